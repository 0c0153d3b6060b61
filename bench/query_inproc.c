/*
 * query_inproc: the query log through the C API in-process, the floor newsd's
 * loopback figures are compared with.  No socket, no protocol, no formatting: what is
 * left is the cost of newsidx_search itself.
 *
 * Modes (-m):
 *   snip    top 10 by relevance with stored fields and snippets (SEARCH snippet=1)
 *   fields  top 10 with stored fields, no snippets (SEARCH snippet=0)
 *   count   limit 0: the match and its estimated total only, no document read; the
 *           closest the C API comes to "ids only" (it has no ids-only page)
 *   exact   newsidx_count, the exact number of matches: the hit totals compared with
 *           the other systems' (hits= is then the sum of the exact counts)
 *   similar newsidx_similar with snippets, each line of the log an article's id
 *
 * With -t T, T threads each open their own reader (handles are not thread-safe) and
 * run their share of the requests, starting at different places in the log so they
 * do not walk the same queries in step.
 *
 * Each reader has its document cache (newsd(8), "THE DOCUMENT CACHE"), of the C API's
 * default size or -C MB (0: none).  With -w each thread first runs its share once,
 * untimed, so that its cache holds what a daemon that served these queries before would
 * hold: the state newsd is in when the bench compares the two.  -T MS sets each query's
 * deadline (0: none, as the C API allows), to measure what the deadline's guard costs;
 * -R DAYS ranks with recency=DAYS, to measure what the blend costs; -F folds near-duplicates
 * (SEARCH collapse=1, the wire's default; without it collapse=0, the C API's).
 *
 *   query_inproc -i INDEX -q QUERIES [-m MODE] [-t THREADS] [-n REQUESTS] [-o COUNTS]
 *                [-w] [-C MB] [-T MS] [-R DAYS] [-F]
 * prints one "inproc: mode=... p50_us=... qps=..." line (querylog.h); -o (one thread
 * only) also writes each request's count to COUNTS, "COUNT<TAB>QUERY" per line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "newsd_limits.h"
#include "newsidx.h"
#include "querylog.h"

#define MAX_THREADS 64
#define PAGE 10

typedef enum mode { MODE_SNIP, MODE_FIELDS, MODE_COUNT, MODE_EXACT, MODE_SIMILAR } mode_t_;

typedef struct worker {
    bench_thread_t b;       /* first: see bench_run_threads */
    const char *index;
    mode_t_ mode;
    int warm;               /* -w: one untimed pass first */
    long cache_mb;          /* -C: document cache size, or -1 for the default */
    long timeout_ms;        /* -T: each query's deadline (0: none), or -1 for the default */
    long recency_days;      /* -R: SEARCH recency= half-life in days (0: plain relevance) */
    int fold;               /* -F: collapse=1 */
    uint64_t *counts;       /* -o: each request's count, in order (one thread) */
} worker_t;

static void *run(void *arg)
{
    worker_t *w = arg;
    newsidx_reader_t *r = NULL;
    newsidx_status_t st = newsidx_reader_open(w->index, &r);
    if (st != NEWSIDX_OK) {
        fprintf(stderr, "query_inproc: %s: %s\n", w->index, r ? newsidx_reader_error(r) : "");
        w->b.failed = 1;
    }
    if (!w->b.failed && w->cache_mb >= 0 &&
        newsidx_reader_set_doc_cache(r, (uint64_t)w->cache_mb << 20) != NEWSIDX_OK) {
        fprintf(stderr, "query_inproc: -C: %s\n", newsidx_reader_error(r));
        w->b.failed = 1;
    }
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.limit = w->mode == MODE_COUNT ? 0 : PAGE;
    o.snippets = w->mode == MODE_SNIP || w->mode == MODE_SIMILAR;
    if (w->timeout_ms >= 0) o.timeout_ms = (unsigned)w->timeout_ms;
    o.recency_days = (unsigned)w->recency_days;
    o.collapse = w->fold;
    for (size_t i = 0; w->warm && !w->b.failed && w->mode != MODE_EXACT && i < w->b.count; i++) {
        newsidx_results_t *res = NULL;
        const char *q = w->b.log->q[(w->b.first + i) % w->b.log->n];
        if (w->mode == MODE_SIMILAR)
            newsidx_similar(r, q, &o, &res);
        else
            newsidx_search(r, q, &o, &res);
        newsidx_results_destroy(res);
    }
    pthread_barrier_wait(w->b.start);
    for (size_t i = 0; !w->b.failed && i < w->b.count; i++) {
        const char *q = w->b.log->q[(w->b.first + i) % w->b.log->n];
        uint64_t n = 0;
        double t0 = bench_us();
        if (w->mode == MODE_EXACT) {
            st = newsidx_count(r, q, &o, &n);
        } else {
            newsidx_results_t *res = NULL;
            st = w->mode == MODE_SIMILAR ? newsidx_similar(r, q, &o, &res)
                                         : newsidx_search(r, q, &o, &res);
            if (res) {
                n = w->mode == MODE_COUNT ? newsidx_results_total(res)
                                          : newsidx_results_count(res);
                /* Touch what a server would send, so nothing is optimised away. */
                for (size_t k = 0; k < newsidx_results_count(res); k++)
                    if (!newsidx_results_hit(res, k)->id[0]) st = NEWSIDX_INTERNAL;
            }
            newsidx_results_destroy(res);
        }
        w->b.lat[i] = bench_us() - t0;
        if (w->counts) w->counts[i] = st == NEWSIDX_OK ? n : COUNT_FAILED;
        if (st != NEWSIDX_OK) {
            if (w->b.errors++ < 3)
                fprintf(stderr, "query_inproc: %s: %s: %s\n", q, newsidx_status_name(st),
                        newsidx_reader_error(r));
            continue;
        }
        w->b.hits += n;
        w->b.matched += n > 0;
    }
    newsidx_reader_close(r);
    return NULL;
}

static int parse_mode(const char *s, mode_t_ *m)
{
    static const char *const names[] = {"snip", "fields", "count", "exact", "similar"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *m = (mode_t_)i;
            return 0;
        }
    return -1;
}

int main(int argc, char **argv)
{
    const char *index = NULL, *qpath = NULL, *mode_name = "snip", *out = NULL;
    long threads = 1, requests = 0, cache_mb = -1, timeout_ms = -1, recency_days = 0;
    int fold = 0;
    int warm = 0;
    mode_t_ mode = MODE_SNIP;
    int opt;
    while ((opt = getopt(argc, argv, "i:q:m:t:n:o:wC:T:R:F")) != -1) {
        switch (opt) {
        case 'i': index = optarg; break;
        case 'q': qpath = optarg; break;
        case 'm': mode_name = optarg; break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'n': requests = strtol(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        case 'w': warm = 1; break;
        case 'C': cache_mb = strtol(optarg, NULL, 10); break;
        case 'T': timeout_ms = strtol(optarg, NULL, 10); break;
        case 'R': recency_days = strtol(optarg, NULL, 10); break;
        case 'F': fold = 1; break;
        default: goto usage;
        }
    }
    if (!index || !qpath || parse_mode(mode_name, &mode) != 0 || threads < 1 ||
        threads > MAX_THREADS || requests < 0 || (out && threads != 1) || cache_mb < -1 ||
        timeout_ms < -1 || timeout_ms > NEWSD_MAX_QUERY_TIMEOUT_MS || recency_days < 0 ||
        recency_days > NEWSD_MAX_RECENCY_DAYS)
        goto usage;
    querylog_t log;
    if (querylog_load(qpath, &log) != 0) return 1;
    if (requests == 0) requests = (long)log.n;

    worker_t w[MAX_THREADS];
    memset(w, 0, sizeof w);
    for (long t = 0; t < threads; t++) {
        w[t].index = index;
        w[t].mode = mode;
        w[t].warm = warm;
        w[t].cache_mb = cache_mb;
        w[t].timeout_ms = timeout_ms;
        w[t].recency_days = recency_days;
        w[t].fold = fold;
    }
    uint64_t *counts = NULL;
    if (out && !(counts = w[0].counts = calloc((size_t)requests, sizeof *counts))) {
        perror("query_inproc");
        return 1;
    }
    bench_summary_t s = {"inproc", mode_name, 0, 0, 0, 0, 0, 0};
    int rc = bench_run_threads(w, sizeof w[0], threads, run, &log, requests, &s);
    if (out && !w[0].b.failed && bench_write_counts(out, &log, counts, (size_t)requests) != 0)
        rc = 1;
    free(counts);
    querylog_free(&log);
    return rc;
usage:
    fprintf(stderr, "usage: query_inproc -i INDEX -q QUERIES [-m snip|fields|count|exact] "
                    "[-t THREADS] [-n REQUESTS] [-o COUNTS] [-w] [-C MB] [-T MS] [-R DAYS] [-F]\n");
    return 2;
}
