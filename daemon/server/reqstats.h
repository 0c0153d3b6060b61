/*
 * reqstats.h: what newsd counts of each request, by command: how many ended with each
 * status ("ok" or the wire error code) and how long they took, in a histogram of fixed
 * buckets (NEWSD_DURATION_BUCKETS_US).  The same histogram is GET /metrics'
 * newsd_request_duration_seconds and the source of STATS' search_p50_us..search_p99_us,
 * so the two never disagree.  Every figure is an atomic counter: any thread records,
 * any thread reads.
 */
#ifndef NEWSD_REQSTATS_H
#define NEWSD_REQSTATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "newsd_limits.h"
#include "proto.h"

/* Rows of the tables: one per protocol command (proto_cmd_t) and one, the last, for
 * lines that name no command. */
#define REQSTATS_COMMANDS (PROTO_CMD_COUNT_OF + 1)
/* Columns of the status table: "ok", the error codes of reqstats_status_names, and a
 * last one for any other code. */
#define REQSTATS_STATUSES 20
/* Histogram buckets: those of NEWSD_DURATION_BUCKETS_US and +Inf. */
#define REQSTATS_BUCKETS (NEWSD_DURATION_BUCKET_COUNT + 1)

typedef struct reqstats {
    atomic_uint_fast64_t status[REQSTATS_COMMANDS][REQSTATS_STATUSES];
    /* bucket i counts requests of at most bound i (not cumulative); the last, the rest */
    atomic_uint_fast64_t bucket[REQSTATS_COMMANDS][REQSTATS_BUCKETS];
    atomic_uint_fast64_t sum_us[REQSTATS_COMMANDS];
} reqstats_t;

/* The upper bounds of the buckets in microseconds, ascending. */
extern const uint64_t reqstats_bounds_us[NEWSD_DURATION_BUCKET_COUNT];

/* The name of status column i ("ok", "bad_request", ..., "other"). */
const char *reqstats_status_name(unsigned i);

/* Counts one request of row cmd that ended with code (NULL: ok) after us microseconds. */
void reqstats_record(reqstats_t *s, unsigned cmd, const char *code, uint64_t us);

/* The pct-th percentile (1..100) of row cmd's durations in microseconds, interpolated
 * linearly inside its bucket as Prometheus's histogram_quantile does (a bucket's lower
 * end is the bound below it, 0 for the first); past the last bound, that bound.  0 when
 * nothing was recorded. */
uint64_t reqstats_percentile_us(reqstats_t *s, unsigned cmd, unsigned pct);

#endif
