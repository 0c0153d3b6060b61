/*
 * querylog.h: what the query benchmarks share: the query log (bench/queries.txt, one
 * query per line, exactly as sent after `SEARCH`), a monotonic clock in microseconds,
 * and the latency summary every program prints in the same form, so run.sh parses one
 * line format:
 *   WHO: mode=M conns=C queries=N errors=E hits=H matched=Q p50_us=.. p99_us=.. mean_us=.. qps=..
 */
#ifndef NEWSD_BENCH_QUERYLOG_H
#define NEWSD_BENCH_QUERYLOG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct querylog {
    char **q;    /* the queries, NUL-terminated, without line ends */
    size_t n;
} querylog_t;

/* Loads path; blank lines are skipped.  Returns 0, or -1 with a message on stderr. */
int querylog_load(const char *path, querylog_t *log);
void querylog_free(querylog_t *log);

/* Monotonic time in microseconds (as a double: sub-microsecond resolution is kept). */
double bench_us(void);

/* The figures of one run.  lat[0..n) are per-request latencies in µs (sorted in place). */
typedef struct bench_summary {
    const char *who, *mode;
    unsigned conns;
    size_t queries;     /* requests answered (well-formed or not) */
    size_t errors;      /* failed or malformed replies */
    uint64_t hits;      /* hits shown (or counted, in count modes), summed */
    size_t matched;     /* requests with at least one hit */
    double wall_us;     /* from the first request sent to the last reply */
} bench_summary_t;

void bench_report(FILE *out, const bench_summary_t *s, double *lat, size_t n);

/*
 * One load thread of an in-process benchmark.  Programs put it first in their own
 * per-thread struct; bench_run_threads fills log, first, count, lat and start, the
 * thread's body the counts.  The body waits on start once it is ready (reader open,
 * statement prepared), so that only requests are timed.
 */
typedef struct bench_thread {
    pthread_t tid;
    const querylog_t *log;
    size_t first, count;       /* requests: log entries first, first+1, ... (mod n) */
    size_t done;               /* requests answered: count, or fewer once time was up */
    double *lat;               /* count latencies, µs */
    size_t errors, matched;
    uint64_t hits;
    int failed;                /* could not start (no reader, no statement) */
    pthread_barrier_t *start;
} bench_thread_t;

/*
 * A run's time limit (the -D SECONDS of loadgen and fts5_query): once `seconds` have
 * passed since bench_start_clock, bench_time_up is 1 and the load threads send no more
 * requests; the figures are those of the requests answered.  0: no limit.
 */
void bench_set_time_limit(double seconds);
void bench_start_clock(void);
int bench_time_up(void);

/*
 * Runs body on `threads` threads; thread t's struct is at (char *)workers + t * stride
 * and begins with a bench_thread_t.  The requests are spread evenly, each thread
 * starting at a different place in the log so they do not walk the same queries in
 * step.  The clock runs from the moment every thread is ready to the last join; the
 * report (s->who and s->mode set by the caller) goes to stdout.  A body that stops
 * early (bench_time_up) sets its done to the requests it answered.  Returns the exit
 * status: 0, or 1 when a thread failed or a request had an error.
 */
int bench_run_threads(void *workers, size_t stride, long threads, void *(*body)(void *),
                      const querylog_t *log, long requests, bench_summary_t *s);

/*
 * Per-query hit counts (the -o FILE of the exact-count modes), for bench/query.sh's
 * side-by-side comparison: one line per request, "COUNT<TAB>QUERY", counts[i] being
 * the answer to log entry i (mod n); COUNT_FAILED is written as "error".  Returns 0, or
 * -1 with a message on stderr.
 */
#define COUNT_FAILED UINT64_MAX
int bench_write_counts(const char *path, const querylog_t *log, const uint64_t *counts,
                       size_t n);

/* Sorts v[0..n) ascending; then bench_percentile gives its nearest-rank p-th percentile. */
void bench_sort(double *v, size_t n);
double bench_percentile(const double *v, size_t n, double p);

#ifdef __cplusplus
}
#endif

#endif
