/*
 * reqstats.c: the request counters and the duration histogram (see reqstats.h).
 */
#include <string.h>

#include "reqstats.h"

const uint64_t reqstats_bounds_us[NEWSD_DURATION_BUCKET_COUNT] = { NEWSD_DURATION_BUCKETS_US };

/* The error codes a reply may carry (newsd(8), "Errors"); "other" counts any new one. */
static const char *const status_names[REQSTATS_STATUSES] = {
    "ok", "bad_request", "bad_query", "unknown_command", "too_long", "not_found",
    "unauthorized", "forbidden", "read_only", "busy", "timeout", "reply_too_large",
    "shard_unavailable", "unsupported", "internal", NULL, NULL, NULL, NULL, "other"
};

const char *reqstats_status_name(unsigned i)
{
    return i < REQSTATS_STATUSES && status_names[i] ? status_names[i] : NULL;
}

static unsigned status_index(const char *code)
{
    if (!code)
        return 0;
    for (unsigned i = 1; i + 1 < REQSTATS_STATUSES; i++)
        if (status_names[i] && strcmp(status_names[i], code) == 0)
            return i;
    return REQSTATS_STATUSES - 1;
}

void reqstats_record(reqstats_t *s, unsigned cmd, const char *code, uint64_t us)
{
    if (cmd >= REQSTATS_COMMANDS)
        cmd = REQSTATS_COMMANDS - 1;
    unsigned b = 0;
    while (b < NEWSD_DURATION_BUCKET_COUNT && us > reqstats_bounds_us[b])
        b++;
    atomic_fetch_add_explicit(&s->status[cmd][status_index(code)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bucket[cmd][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_us[cmd], us, memory_order_relaxed);
}

uint64_t reqstats_percentile_us(reqstats_t *s, unsigned cmd, unsigned pct)
{
    uint64_t counts[REQSTATS_BUCKETS], total = 0;
    if (cmd >= REQSTATS_COMMANDS || pct == 0 || pct > 100)
        return 0;
    for (unsigned b = 0; b < REQSTATS_BUCKETS; b++)
        total += counts[b] = atomic_load_explicit(&s->bucket[cmd][b], memory_order_relaxed);
    if (total == 0)
        return 0;
    /* the rank of the percentile, as a fraction of total (Prometheus: q * count) */
    double rank = (double)total * pct / 100.0, seen = 0;
    for (unsigned b = 0; b < NEWSD_DURATION_BUCKET_COUNT; b++) {
        if (counts[b] && seen + (double)counts[b] >= rank) {
            double lo = b ? (double)reqstats_bounds_us[b - 1] : 0, hi = (double)reqstats_bounds_us[b];
            return (uint64_t)(lo + (hi - lo) * (rank - seen) / (double)counts[b] + 0.5);
        }
        seen += (double)counts[b];
    }
    return reqstats_bounds_us[NEWSD_DURATION_BUCKET_COUNT - 1];
}
