/*
 * querylog.c: the query log, the clock and the one summary line (querylog.h).
 */
#include "querylog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int querylog_load(const char *path, querylog_t *log)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    log->q = NULL;
    log->n = 0;
    while ((len = getline(&line, &linecap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        if (log->n == cap) {
            cap = cap ? cap * 2 : 1024;
            char **v = realloc(log->q, cap * sizeof *v);
            if (!v) goto oom;
            log->q = v;
        }
        if (!(log->q[log->n] = strdup(line))) goto oom;
        log->n++;
    }
    free(line);
    fclose(f);
    if (log->n == 0) {
        fprintf(stderr, "%s: no queries\n", path);
        return -1;
    }
    return 0;
oom:
    perror("querylog");
    free(line);
    fclose(f);
    return -1;
}

void querylog_free(querylog_t *log)
{
    for (size_t i = 0; i < log->n; i++) free(log->q[i]);
    free(log->q);
    log->q = NULL;
    log->n = 0;
}

double bench_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void bench_sort(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
}

double bench_percentile(const double *v, size_t n, double p)
{
    if (n == 0) return 0;
    size_t k = (size_t)(p / 100.0 * n + 0.999999);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

void bench_report(FILE *out, const bench_summary_t *s, double *lat, size_t n)
{
    bench_sort(lat, n);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += lat[i];
    fprintf(out,
            "%s: mode=%s conns=%u queries=%zu errors=%zu hits=%llu matched=%zu p50_us=%.1f "
            "p99_us=%.1f mean_us=%.1f qps=%.1f\n",
            s->who, s->mode, s->conns, s->queries, s->errors, (unsigned long long)s->hits,
            s->matched,
            bench_percentile(lat, n, 50), bench_percentile(lat, n, 99), n ? sum / n : 0,
            s->wall_us > 0 ? s->queries / (s->wall_us / 1e6) : 0);
}

static double time_limit_us, deadline_us;

void bench_set_time_limit(double seconds)
{
    time_limit_us = seconds > 0 ? seconds * 1e6 : 0;
}

void bench_start_clock(void)
{
    deadline_us = time_limit_us > 0 ? bench_us() + time_limit_us : 0;
}

int bench_time_up(void)
{
    return deadline_us > 0 && bench_us() >= deadline_us;
}

int bench_run_threads(void *workers, size_t stride, long threads, void *(*body)(void *),
                      const querylog_t *log, long requests, bench_summary_t *s)
{
    double *lat = calloc(requests > 0 ? (size_t)requests : 1, sizeof *lat);
    if (!lat)
        return 1;
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    size_t given = 0;
    long started = 0;
    for (long t = 0; t < threads; t++) {
        bench_thread_t *b = (bench_thread_t *)((char *)workers + (size_t)t * stride);
        b->log = log;
        b->first = (size_t)t * log->n / (size_t)threads;
        b->count = (size_t)requests / (size_t)threads + ((size_t)t < (size_t)requests % (size_t)threads);
        b->done = b->count;
        b->lat = lat + given;
        b->start = &start;
        given += b->count;
        if (pthread_create(&b->tid, NULL, body, b) != 0) {
            perror("pthread_create");
            exit(1);    /* the others wait on the barrier for ever: nothing to join */
        }
        started++;
    }
    bench_start_clock();
    pthread_barrier_wait(&start);
    double t0 = bench_us();
    s->conns = (unsigned)threads;
    int failed = 0;
    size_t answered = 0;
    for (long t = 0; t < started; t++) {
        bench_thread_t *b = (bench_thread_t *)((char *)workers + (size_t)t * stride);
        pthread_join(b->tid, NULL);
        s->errors += b->errors;
        s->hits += b->hits;
        s->matched += b->matched;
        failed |= b->failed;
        memmove(lat + answered, b->lat, b->done * sizeof *lat);   /* only answered ones */
        answered += b->done;
    }
    s->wall_us = bench_us() - t0;
    s->queries = answered;
    pthread_barrier_destroy(&start);
    if (!failed)
        bench_report(stdout, s, lat, answered);
    free(lat);
    return failed || s->errors ? 1 : 0;
}

int bench_write_counts(const char *path, const querylog_t *log, const uint64_t *counts,
                       size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *q = log->q[i % log->n];
        if (counts[i] == COUNT_FAILED)
            fprintf(f, "error\t%s\n", q);
        else
            fprintf(f, "%llu\t%s\n", (unsigned long long)counts[i], q);
    }
    /* A full disk shows only at the flush. */
    if (fclose(f) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
