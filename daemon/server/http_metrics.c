/*
 * http_metrics.c: GET /metrics, newsd's figures in the Prometheus text exposition format
 * (version 0.0.4; newsd(8), "HTTP").  The request counters and the duration histogram
 * are reqstats' (the same that STATS' percentiles come from); the rest are read from
 * the server's counters, this worker's reader, and the process (/proc/self).
 */
#include <dirent.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "http_int.h"
#include "proto.h"
#include "reindex.h"

/* The name of reqstats row r: its command, or "unknown" for lines naming none. */
static const char *row_name(unsigned r)
{
    size_t n;
    const proto_command_t *c = proto_commands(&n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned)c[i].cmd == r)
            return c[i].name;
    return "unknown";
}

static void family(struct evbuffer *o, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void requests(struct evbuffer *o, reqstats_t *s)
{
    family(o, "newsd_requests_total", "counter",
           "Requests answered, by command and status (ok or the error code).");
    for (unsigned r = 0; r < REQSTATS_COMMANDS; r++)
        for (unsigned k = 0; k < REQSTATS_STATUSES; k++) {
            uint64_t v = atomic_load_explicit(&s->status[r][k], memory_order_relaxed);
            const char *status = reqstats_status_name(k);
            if (status && (v || k == 0))
                evbuffer_add_printf(o, "newsd_requests_total{command=\"%s\",status=\"%s\"} %" PRIu64 "\n",
                                    row_name(r), status, v);
        }
    family(o, "newsd_request_duration_seconds", "histogram",
           "Time from a request to its reply (a write's includes its commit), by command.");
    for (unsigned r = 0; r < REQSTATS_COMMANDS; r++) {
        uint64_t cum = 0;
        const char *cmd = row_name(r);
        for (unsigned b = 0; b < REQSTATS_BUCKETS; b++) {
            cum += atomic_load_explicit(&s->bucket[r][b], memory_order_relaxed);
            if (b < NEWSD_DURATION_BUCKET_COUNT)
                evbuffer_add_printf(o, "newsd_request_duration_seconds_bucket{command=\"%s\",le=\"%g\"} %" PRIu64 "\n",
                                    cmd, (double)reqstats_bounds_us[b] / 1e6, cum);
            else
                evbuffer_add_printf(o, "newsd_request_duration_seconds_bucket{command=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
                                    cmd, cum);
        }
        double sum = (double)atomic_load_explicit(&s->sum_us[r], memory_order_relaxed) / 1e6;
        evbuffer_add_printf(o, "newsd_request_duration_seconds_sum{command=\"%s\"} %.6f\n", cmd, sum);
        evbuffer_add_printf(o, "newsd_request_duration_seconds_count{command=\"%s\"} %" PRIu64 "\n",
                            cmd, cum);
    }
    uint64_t ok = 0, failed = 0;
    for (unsigned k = 0; k < REQSTATS_STATUSES; k++) {
        uint64_t v = atomic_load(&s->status[PROTO_CMD_ADD][k]) +
                     atomic_load(&s->status[PROTO_CMD_DELETE][k]);
        *(k == 0 ? &ok : &failed) += v;
    }
    family(o, "newsd_writes_total", "counter", "ADD and DELETE answered, by result.");
    evbuffer_add_printf(o, "newsd_writes_total{result=\"ok\"} %" PRIu64 "\n", ok);
    evbuffer_add_printf(o, "newsd_writes_total{result=\"error\"} %" PRIu64 "\n", failed);
}

static void gauge(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
    family(o, name, "gauge", help);
    evbuffer_add_printf(o, "%s %" PRIu64 "\n", name, v);
}

static void counter(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
    family(o, name, "counter", help);
    evbuffer_add_printf(o, "%s %" PRIu64 "\n", name, v);
}

static void server_figures(struct evbuffer *o, worker_t *w)
{
    server_t *srv = w->srv;
    server_stats_t *s = &srv->stats;
    uint64_t docs = 0;
    newsidx_reader_t *reader = worker_reader(w);
    if (reader)
        newsidx_reader_doc_count(reader, &docs);
    gauge(o, "newsd_documents", "Documents in the index, as a worker's reader sees it.", docs);
    uint64_t open = atomic_load(&s->conns_open), tcp = atomic_load(&s->tcp_conns_open),
             http = atomic_load(&s->http_conns_open);
    family(o, "newsd_connections", "gauge",
           "Open connections by kind of listener (unix, tcp: line protocol; http).");
    evbuffer_add_printf(o, "newsd_connections{listener=\"unix\"} %" PRIu64 "\n",
                        open > tcp ? open - tcp : 0);
    evbuffer_add_printf(o, "newsd_connections{listener=\"tcp\"} %" PRIu64 "\n",
                        tcp > http ? tcp - http : 0);
    evbuffer_add_printf(o, "newsd_connections{listener=\"http\"} %" PRIu64 "\n", http);
    counter(o, "newsd_connections_rejected_total", "Connections refused over the cap.",
            atomic_load(&s->conns_rejected));
    family(o, "newsd_http_accepts_total", "counter",
           "HTTP connections accepted, by worker (the workers take them in turn).");
    for (unsigned i = 0; i < srv->cfg.workers; i++)
        if (srv->workers[i].http)
            evbuffer_add_printf(o, "newsd_http_accepts_total{worker=\"%u\"} %" PRIu64 "\n", i,
                                (uint64_t)atomic_load(&srv->workers[i].http->accepts));
    gauge(o, "newsd_index_generation",
          "Bumped by each commit and SIGHUP: workers reopen their readers.",
          atomic_load(&srv->index_gen));
    counter(o, "newsd_commits_total", "Commits made (one per group of writes).",
            atomic_load(&s->commits));
    reindex_status_t rs;
    reindex_get_status(srv->reindex, &rs);
    gauge(o, "newsd_reindex_running", "1 while a REINDEX builds or swaps, else 0.",
          rs.state == REINDEX_RUNNING || rs.state == REINDEX_SWITCHING);
    uint64_t hits = 0, misses = 0;
    for (unsigned i = 0; i < srv->cfg.workers; i++) {
        hits += atomic_load(&srv->workers[i].cache_hits);
        misses += atomic_load(&srv->workers[i].cache_misses);
    }
    counter(o, "newsd_doc_cache_hits_total", "Hits whose stored fields came from a document cache.",
            hits);
    counter(o, "newsd_doc_cache_misses_total", "Hits whose stored fields were read from the index.",
            misses);
}

/* The process_* metrics every Prometheus client library exports. */
static void process_figures(struct evbuffer *o)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        family(o, "process_cpu_seconds_total", "counter", "User and system CPU time spent.");
        evbuffer_add_printf(o, "process_cpu_seconds_total %.6f\n", cpu);
    }
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) == 2) {
            long page = sysconf(_SC_PAGESIZE);
            gauge(o, "process_resident_memory_bytes", "Resident memory size in bytes.",
                  (uint64_t)resident * (uint64_t)page);
            gauge(o, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                  (uint64_t)size * (uint64_t)page);
        }
        fclose(f);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        uint64_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)))
            n += e->d_name[0] != '.';
        closedir(d);
        gauge(o, "process_open_fds", "Open file descriptors.", n - 1);   /* less d's own */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        gauge(o, "process_max_fds", "Most open file descriptors.", (uint64_t)rl.rlim_cur);
}

void http_metrics(http_call_t *call)
{
    struct evbuffer *o = evbuffer_new();
    if (!o) {
        http_send_error(call->hw, call->req, 500, "internal", "out of memory");
        return;
    }
    requests(o, &call->hw->w->srv->stats.reqs);
    server_figures(o, call->hw->w);
    process_figures(o);
    evhttp_add_header(evhttp_request_get_output_headers(call->req), "Cache-Control", "no-store");
    http_send(call->hw, call->req, 200, "text/plain; version=0.0.4; charset=utf-8", o);
    evbuffer_free(o);
}
