/*
 * test_reqstats.c: the request counters and the duration histogram (reqstats.c): which
 * bucket a duration lands in (bounds inclusive), the status columns, and the percentiles
 * STATS reports, interpolated inside a bucket as Prometheus's histogram_quantile.
 */
#include "check.h"
#include "reqstats.h"

int main(void)
{
    static reqstats_t s;   /* zeroed: atomics start at 0 */
    CHECK_INT(reqstats_percentile_us(&s, PROTO_CMD_SEARCH, 50), 0);   /* nothing yet */

    /* bucket bounds are upper bounds, inclusive */
    reqstats_record(&s, PROTO_CMD_SEARCH, NULL, 100);
    reqstats_record(&s, PROTO_CMD_SEARCH, NULL, 101);
    CHECK_INT(atomic_load(&s.bucket[PROTO_CMD_SEARCH][0]), 1);
    CHECK_INT(atomic_load(&s.bucket[PROTO_CMD_SEARCH][1]), 1);
    CHECK_INT(atomic_load(&s.sum_us[PROTO_CMD_SEARCH]), 201);
    /* past the last bound: the +Inf bucket */
    reqstats_record(&s, PROTO_CMD_GET, NULL, 20000000);
    CHECK_INT(atomic_load(&s.bucket[PROTO_CMD_GET][REQSTATS_BUCKETS - 1]), 1);
    CHECK_INT(reqstats_percentile_us(&s, PROTO_CMD_GET, 50), 10000000);

    /* statuses: ok, a known code, an unknown one */
    reqstats_record(&s, PROTO_CMD_COUNT, "bad_query", 5);
    reqstats_record(&s, PROTO_CMD_COUNT, "no_such_code", 5);
    CHECK_STR(reqstats_status_name(0), "ok");
    CHECK_STR(reqstats_status_name(REQSTATS_STATUSES - 1), "other");
    CHECK_INT(atomic_load(&s.status[PROTO_CMD_COUNT][REQSTATS_STATUSES - 1]), 1);
    int found = 0;
    for (unsigned k = 0; k < REQSTATS_STATUSES; k++)
        if (reqstats_status_name(k) && strcmp(reqstats_status_name(k), "bad_query") == 0)
            found = atomic_load(&s.status[PROTO_CMD_COUNT][k]) == 1;
    CHECK(found);
    /* a line naming no command counts in the last row; a row past it too */
    reqstats_record(&s, REQSTATS_COMMANDS + 5, NULL, 1);
    CHECK_INT(atomic_load(&s.status[REQSTATS_COMMANDS - 1][0]), 1);

    /* interpolation: 100 requests of 1001..2500 us all in bucket (1000, 2500]: the
     * median is its middle, 1750; p90 is 1000 + 0.9 * 1500 = 2350 */
    static reqstats_t h;
    for (int i = 0; i < 100; i++)
        reqstats_record(&h, PROTO_CMD_SEARCH, NULL, 2000);
    CHECK_INT(reqstats_percentile_us(&h, PROTO_CMD_SEARCH, 50), 1750);
    CHECK_INT(reqstats_percentile_us(&h, PROTO_CMD_SEARCH, 90), 2350);
    CHECK_INT(reqstats_percentile_us(&h, PROTO_CMD_SEARCH, 100), 2500);
    /* and across buckets: 50 in (0, 100], 50 in (250, 500]: p50 ends the first (100),
     * p75 is half-way through the third: 250 + 0.5 * 250 = 375 */
    static reqstats_t two;
    for (int i = 0; i < 50; i++) {
        reqstats_record(&two, PROTO_CMD_SEARCH, NULL, 10);
        reqstats_record(&two, PROTO_CMD_SEARCH, NULL, 400);
    }
    CHECK_INT(reqstats_percentile_us(&two, PROTO_CMD_SEARCH, 50), 100);
    CHECK_INT(reqstats_percentile_us(&two, PROTO_CMD_SEARCH, 75), 375);
    CHECK_INT(reqstats_percentile_us(&two, PROTO_CMD_SEARCH, 0), 0);     /* out of range */
    CHECK_INT(reqstats_percentile_us(&two, PROTO_CMD_SEARCH, 101), 0);
    return check_report();
}
