/*
 * cmd.c: the command handlers (see cmd.h) and the two reply forms.  Text replies are
 * built straight into the output evbuffer, with tabs, newlines and other control
 * characters inside fields turned into spaces; JSON replies are one jansson object
 * dumped compact on one line.  Option values are checked here (the parser only checks
 * that each option exists for the command); index statuses become wire error codes.
 */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "auth.h"
#include "cmd.h"
#include "log.h"
#include "proto.h"
#include "reindex.h"
#include "writer.h"

/* ---- reply helpers ---- */

/* Appends s with every control character (tab, newline included) as a space. */
static void put_field(struct evbuffer *out, const char *s)
{
    const char *p = s;
    while (*p) {
        size_t run = 0;
        while (p[run] && (unsigned char)p[run] >= 0x20 && p[run] != 0x7F)
            run++;
        if (run)
            evbuffer_add(out, p, run);
        p += run;
        if (*p) {
            evbuffer_add(out, " ", 1);
            p++;
        }
    }
}

/* A JSON string, never NULL: text that is not valid UTF-8 has its bad bytes as '?'. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return json_string("");
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j ? j : json_string("");
}

static void put_json(struct evbuffer *out, json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(obj);
    if (!s) {
        evbuffer_add_printf(out, "{\"status\":\"error\",\"code\":\"internal\","
                                 "\"message\":\"out of memory\"}\n");
        return;
    }
    evbuffer_add(out, s, strlen(s));
    evbuffer_add(out, "\n", 1);
    free(s);
}

void cmd_error(server_t *srv, struct evbuffer *out, cmd_format_t format, const char *code,
               const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    atomic_fetch_add(&srv->stats.errors, 1);
    if (format == CMD_JSON) {
        put_json(out, json_pack("{s:s, s:s, s:o}", "status", "error", "code", code, "message",
                                jstr(msg)));
        return;
    }
    evbuffer_add_printf(out, "ERR %s ", code);
    put_field(out, msg);
    evbuffer_add(out, "\n", 1);
}

static double round3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

/* ---- option values ---- */

/* Parses a decimal number 0..max; -1 when v is not one. */
static int parse_uint(const char *v, unsigned max, unsigned *out)
{
    if (!*v || strlen(v) > 9)
        return -1;
    unsigned long n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (unsigned long)(*p - '0');
    }
    if (n > max)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* "YYYY-MM-DD" or "YYYYMMDD" with a plausible month and day. */
static int valid_day(const char *v)
{
    char d[9];
    size_t n = strlen(v);
    if (n == 10 && v[4] == '-' && v[7] == '-') {
        memcpy(d, v, 4);
        memcpy(d + 4, v + 5, 2);
        memcpy(d + 6, v + 8, 2);
    } else if (n == 8) {
        memcpy(d, v, 8);
    } else {
        return 0;
    }
    for (int i = 0; i < 8; i++)
        if (d[i] < '0' || d[i] > '9')
            return 0;
    int mon = (d[4] - '0') * 10 + (d[5] - '0'), day = (d[6] - '0') * 10 + (d[7] - '0');
    return mon >= 1 && mon <= 12 && day >= 1 && day <= 31;
}

/* Fills opts from the request; on a bad value writes the message and returns -1. */
static int search_options(const proto_request_t *req, newsidx_search_opts_t *opts, char *msg,
                          size_t msglen)
{
    const char *v;
    if ((v = proto_option(req, "limit")) && parse_uint(v, NEWSD_MAX_LIMIT, &opts->limit)) {
        snprintf(msg, msglen, "limit must be a number from 0 to %d", NEWSD_MAX_LIMIT);
        return -1;
    }
    if ((v = proto_option(req, "offset")) && parse_uint(v, NEWSD_MAX_OFFSET, &opts->offset)) {
        snprintf(msg, msglen, "offset must be a number from 0 to %d", NEWSD_MAX_OFFSET);
        return -1;
    }
    if ((v = proto_option(req, "exact"))) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
            snprintf(msg, msglen, "exact must be 0 or 1");
            return -1;
        }
        opts->exact_total = v[0] == '1';
    }
    if ((v = proto_option(req, "partial"))) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
            snprintf(msg, msglen, "partial must be 0 or 1");
            return -1;
        }
        opts->partial = v[0] == '1';
    }
    opts->snippets = NEWSIDX_SNIPPET_FIRST;
    if ((v = proto_option(req, "snippet"))) {
        if (strcmp(v, "0") == 0)
            opts->snippets = NEWSIDX_SNIPPET_NONE;
        else if (strcmp(v, "1") == 0)
            opts->snippets = NEWSIDX_SNIPPET_FIRST;
        else if (strcmp(v, "best") == 0)
            opts->snippets = NEWSIDX_SNIPPET_BEST;
        else {
            snprintf(msg, msglen, "snippet must be 0, 1 or best");
            return -1;
        }
    }
    if ((v = proto_option(req, "sort"))) {
        if (strcmp(v, "rank") == 0)
            opts->sort = NEWSIDX_SORT_RANK;
        else if (strcmp(v, "date") == 0)
            opts->sort = NEWSIDX_SORT_DATE;
        else if (strcmp(v, "date_asc") == 0)
            opts->sort = NEWSIDX_SORT_DATE_ASC;
        else {
            snprintf(msg, msglen, "sort must be rank, date or date_asc");
            return -1;
        }
    }
    static const char *const days[] = { "since", "until" };
    for (int i = 0; i < 2; i++)
        if ((v = proto_option(req, days[i]))) {
            if (!valid_day(v)) {
                snprintf(msg, msglen, "%s must be a day, YYYY-MM-DD or YYYYMMDD", days[i]);
                return -1;
            }
            if (i == 0)
                opts->since = v;
            else
                opts->until = v;
        }
    opts->source = proto_option(req, "source");
    opts->topic = proto_option(req, "topic");
    return 0;
}

/* The reply format of one request: format= or the connection's default. */
static int request_format(const proto_request_t *req, cmd_format_t dflt, cmd_format_t *out,
                          char *msg, size_t msglen)
{
    const char *v = proto_option(req, "format");
    *out = dflt;
    if (!v)
        return 0;
    if (strcmp(v, "json") == 0)
        *out = CMD_JSON;
    else if (strcmp(v, "text") == 0)
        *out = CMD_TEXT;
    else {
        snprintf(msg, msglen, "format must be text or json");
        return -1;
    }
    return 0;
}

/* ---- index statuses to wire errors ---- */

static const char *status_code(newsidx_status_t st)
{
    switch (st) {
    case NEWSIDX_BAD_QUERY: return "bad_query";
    case NEWSIDX_BAD_ARGUMENT: return "bad_request";
    case NEWSIDX_NOT_FOUND: return "not_found";
    case NEWSIDX_TIMEOUT: return "timeout";
    case NEWSIDX_LOCKED: return "busy";
    case NEWSIDX_SHARD_UNAVAILABLE: return "shard_unavailable";
    default: return "internal";
    }
}

/* ERR shard_unavailable: the message starts with the shard's name; JSON also gives it
 * alone, as "shard". */
static void shard_error(cmd_ctx_t *ctx, cmd_format_t f, newsidx_reader_t *reader)
{
    server_t *srv = ctx->worker->srv;
    const char *msg = newsidx_reader_error(reader);
    LOG(LOG_WARN, "shard_unavailable", "conn=%" PRIu64 " shard=%s msg=\"%s\"", ctx->conn_id,
        newsidx_reader_failed_shard(reader), msg);
    if (f != CMD_JSON) {
        cmd_error(srv, ctx->out, f, "shard_unavailable", "%s", msg);
        return;
    }
    atomic_fetch_add(&srv->stats.errors, 1);
    put_json(ctx->out, json_pack("{s:s, s:s, s:o, s:o}", "status", "error", "code",
                                 "shard_unavailable", "shard",
                                 jstr(newsidx_reader_failed_shard(reader)), "message", jstr(msg)));
}

/* A partial answer's missing shards: text, " missing_shards=A,B" on the OK line (spaces,
 * commas and control characters in a name as '?'); JSON, the "missing_shards" array,
 * present (maybe empty) whenever the request asked for partial=1. */
static void put_missing_text(struct evbuffer *out, size_t n, const char *(*get)(const void *, size_t),
                             const void *src)
{
    if (n == 0)
        return;
    evbuffer_add(out, " missing_shards=", 16);
    for (size_t i = 0; i < n; i++) {
        if (i)
            evbuffer_add(out, ",", 1);
        for (const char *p = get(src, i); *p; p++) {
            char c = (unsigned char)*p <= 0x20 || *p == ',' || *p == 0x7F ? '?' : *p;
            evbuffer_add(out, &c, 1);
        }
    }
}

static json_t *missing_json(size_t n, const char *(*get)(const void *, size_t), const void *src)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, jstr(get(src, i)));
    return a;
}

static const char *results_missing(const void *src, size_t i)
{
    return newsidx_results_missing_shard(src, i);
}

static const char *reader_missing(const void *src, size_t i)
{
    return newsidx_reader_missing_shard(src, i);
}

static void index_error(cmd_ctx_t *ctx, cmd_format_t f, newsidx_status_t st, const char *msg)
{
    if (st != NEWSIDX_BAD_QUERY && st != NEWSIDX_BAD_ARGUMENT && st != NEWSIDX_NOT_FOUND)
        LOG(LOG_WARN, "index_error", "conn=%" PRIu64 " status=%s msg=\"%s\"", ctx->conn_id,
            newsidx_status_name(st), msg);
    if (st == NEWSIDX_TIMEOUT)
        cmd_error(ctx->worker->srv, ctx->out, f, "timeout", "query took longer than %u ms",
                  ctx->worker->srv->cfg.query_timeout_ms);
    else
        cmd_error(ctx->worker->srv, ctx->out, f, status_code(st), "%s",
                  msg && *msg ? msg : newsidx_status_name(st));
}

/* ---- reads ---- */

/* The API reopens and retries once when a commit lands under a read; a second
 * NEWSIDX_MODIFIED means commits in quick succession: reopen and allow one more try. */
static int again(newsidx_reader_t *reader)
{
    return newsidx_reader_reopen(reader, NULL) == NEWSIDX_OK;
}

static void record_latency(server_t *srv, uint64_t us)
{
    unsigned b = 0;
    while (b + 1 < NEWSD_LATENCY_BUCKETS && (us >> (b + 1)))
        b++;
    atomic_fetch_add(&srv->stats.latency[b], 1);
}

/* What SEARCH and COUNT share before they run: options parsed into opts and the query's
 * length checked, then the query copied into query as a C string (req->arg points into
 * the request line and ends at arg_len, not at a NUL).  Returns the worker's reader, or
 * NULL when an error reply was sent. */
static newsidx_reader_t *query_prelude(cmd_ctx_t *ctx, const proto_request_t *req,
                                       cmd_format_t f, newsidx_search_opts_t *opts,
                                       char query[NEWSD_MAX_QUERY_LEN + 1])
{
    server_t *srv = ctx->worker->srv;
    char msg[256];
    newsidx_search_opts_init(opts);
    opts->timeout_ms = srv->cfg.query_timeout_ms;
    if (search_options(req, opts, msg, sizeof msg) != 0) {
        cmd_error(srv, ctx->out, f, "bad_request", "%s", msg);
        return NULL;
    }
    if (req->arg_len > NEWSD_MAX_QUERY_LEN) {
        cmd_error(srv, ctx->out, f, "bad_query", "query longer than %d bytes",
                  NEWSD_MAX_QUERY_LEN);
        return NULL;
    }
    memcpy(query, req->arg, req->arg_len);
    query[req->arg_len] = '\0';
    return worker_reader(ctx->worker);
}

static void cmd_search(cmd_ctx_t *ctx, const proto_request_t *req, cmd_format_t f)
{
    server_t *srv = ctx->worker->srv;
    newsidx_search_opts_t opts;
    char query[NEWSD_MAX_QUERY_LEN + 1];
    newsidx_reader_t *reader = query_prelude(ctx, req, f, &opts, query);
    if (!reader)
        return;
    uint64_t t0 = server_now_us();
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(reader, query, &opts, &res);
    if (st == NEWSIDX_MODIFIED && again(reader))
        st = newsidx_search(reader, query, &opts, &res);
    uint64_t took = server_now_us() - t0;
    atomic_fetch_add(&srv->stats.searches, 1);
    worker_cache_published(ctx->worker);
    if (st == NEWSIDX_SHARD_UNAVAILABLE) {
        newsidx_results_destroy(res);
        shard_error(ctx, f, reader);
        return;
    }
    if (st != NEWSIDX_OK) {
        newsidx_results_destroy(res);
        index_error(ctx, f, st, newsidx_reader_error(reader));
        return;
    }
    record_latency(srv, took);
    size_t n = newsidx_results_count(res);
    uint64_t total = newsidx_results_total(res);
    if (f == CMD_JSON) {
        json_t *hits = json_array();
        for (size_t i = 0; i < n; i++) {
            const newsidx_hit_t *h = newsidx_results_hit(res, i);
            json_t *o = json_pack("{s:I, s:o, s:f, s:o, s:o, s:o, s:o}", "rank", (json_int_t)h->rank,
                                  "id", jstr(h->id), "score", round3(h->score), "title",
                                  jstr(h->title), "date", jstr(h->date), "source",
                                  jstr(h->source), "url", jstr(h->url));
            if (opts.snippets)
                json_object_set_new(o, "snippet", jstr(h->snippet));
            json_array_append_new(hits, o);
        }
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:o}", "status", "ok", "total",
                              (json_int_t)total, "shown", (json_int_t)n, "took_us",
                              (json_int_t)took, "hits", hits);
        if (opts.partial)
            json_object_set_new(o, "missing_shards",
                                missing_json(newsidx_results_missing_count(res),
                                             results_missing, res));
        put_json(ctx->out, o);
    } else {
        evbuffer_add_printf(ctx->out, "OK total=%" PRIu64 " shown=%zu took_us=%" PRIu64, total,
                            n, took);
        put_missing_text(ctx->out, newsidx_results_missing_count(res), results_missing, res);
        evbuffer_add(ctx->out, "\n", 1);
        for (size_t i = 0; i < n; i++) {
            const newsidx_hit_t *h = newsidx_results_hit(res, i);
            evbuffer_add_printf(ctx->out, "%u\t", h->rank);
            put_field(ctx->out, h->id);
            evbuffer_add_printf(ctx->out, "\t%.3f\t", round3(h->score));
            const char *rest[] = { h->date, h->source, h->title, h->snippet };
            for (int k = 0; k < 4; k++) {
                put_field(ctx->out, rest[k]);
                evbuffer_add(ctx->out, k < 3 ? "\t" : "\n", 1);
            }
        }
        evbuffer_add(ctx->out, "END\n", 4);
    }
    newsidx_results_destroy(res);
}

static void cmd_count(cmd_ctx_t *ctx, const proto_request_t *req, cmd_format_t f)
{
    server_t *srv = ctx->worker->srv;
    newsidx_search_opts_t opts;
    char query[NEWSD_MAX_QUERY_LEN + 1];
    newsidx_reader_t *reader = query_prelude(ctx, req, f, &opts, query);
    if (!reader)
        return;
    uint64_t t0 = server_now_us(), count = 0;
    newsidx_status_t st = newsidx_count(reader, query, &opts, &count);
    if (st == NEWSIDX_MODIFIED && again(reader))
        st = newsidx_count(reader, query, &opts, &count);
    uint64_t took = server_now_us() - t0;
    atomic_fetch_add(&srv->stats.searches, 1);
    if (st == NEWSIDX_SHARD_UNAVAILABLE) {
        shard_error(ctx, f, reader);
        return;
    }
    if (st != NEWSIDX_OK) {
        index_error(ctx, f, st, newsidx_reader_error(reader));
        return;
    }
    size_t nmissing = newsidx_reader_missing_count(reader);
    if (f == CMD_JSON) {
        json_t *o = json_pack("{s:s, s:I, s:I}", "status", "ok", "count", (json_int_t)count,
                              "took_us", (json_int_t)took);
        if (opts.partial)
            json_object_set_new(o, "missing_shards", missing_json(nmissing, reader_missing, reader));
        put_json(ctx->out, o);
    } else {
        evbuffer_add_printf(ctx->out, "OK count=%" PRIu64 " took_us=%" PRIu64, count, took);
        put_missing_text(ctx->out, nmissing, reader_missing, reader);
        evbuffer_add(ctx->out, "\n", 1);
    }
}

static json_t *jlist(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, jstr(v[i]));
    return a;
}

static void put_list(struct evbuffer *out, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            evbuffer_add(out, ",", 1);
        put_field(out, v[i]);
    }
}

static void cmd_get(cmd_ctx_t *ctx, const proto_request_t *req, cmd_format_t f)
{
    server_t *srv = ctx->worker->srv;
    if (req->arg_len > NEWSD_MAX_ID_LEN) {
        cmd_error(srv, ctx->out, f, "bad_request", "id longer than %d bytes", NEWSD_MAX_ID_LEN);
        return;
    }
    newsidx_reader_t *reader = worker_reader(ctx->worker);
    char id[NEWSD_MAX_ID_LEN + 1];
    memcpy(id, req->arg, req->arg_len);
    id[req->arg_len] = '\0';
    newsidx_doc_t *doc = NULL;
    newsidx_status_t st = newsidx_get(reader, id, &doc);
    if (st == NEWSIDX_MODIFIED && again(reader))
        st = newsidx_get(reader, id, &doc);
    if (st == NEWSIDX_NOT_FOUND) {
        cmd_error(srv, ctx->out, f, "not_found", "no document with id %s", id);
        return;
    }
    if (st == NEWSIDX_SHARD_UNAVAILABLE) {
        shard_error(ctx, f, reader);
        return;
    }
    if (st != NEWSIDX_OK) {
        index_error(ctx, f, st, newsidx_reader_error(reader));
        return;
    }
    const char *names[] = { "id", "title", "date", "source", "url" };
    const char *vals[] = { doc->id, doc->title, doc->date, doc->source, doc->url };
    if (f == CMD_JSON) {
        json_t *d = json_object();
        for (int i = 0; i < 5; i++)
            json_object_set_new(d, names[i], jstr(vals[i] ? vals[i] : ""));
        json_object_set_new(d, "topics", jlist(doc->topics, doc->ntopics));
        json_object_set_new(d, "places", jlist(doc->places, doc->nplaces));
        json_object_set_new(d, "body", jstr(doc->body ? doc->body : ""));
        put_json(ctx->out, json_pack("{s:s, s:o}", "status", "ok", "doc", d));
    } else {
        evbuffer_add(ctx->out, "OK id=", 6);
        put_field(ctx->out, doc->id);
        evbuffer_add(ctx->out, "\n", 1);
        for (int i = 0; i < 5; i++) {
            evbuffer_add_printf(ctx->out, "%s\t", names[i]);
            put_field(ctx->out, vals[i] ? vals[i] : "");
            evbuffer_add(ctx->out, "\n", 1);
        }
        evbuffer_add(ctx->out, "topics\t", 7);
        put_list(ctx->out, doc->topics, doc->ntopics);
        evbuffer_add(ctx->out, "\nplaces\t", 8);
        put_list(ctx->out, doc->places, doc->nplaces);
        evbuffer_add(ctx->out, "\nbody\t", 6);
        put_field(ctx->out, doc->body ? doc->body : "");
        evbuffer_add(ctx->out, "\nEND\n", 5);
    }
    newsidx_doc_free(doc);
}

/* Bytes of the regular files in the index folder (glass keeps them flat). */
static uint64_t folder_bytes(const char *path)
{
    uint64_t total = 0;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    char file[4096];
    struct stat st;
    while ((e = readdir(d)))
        if (snprintf(file, sizeof file, "%s/%s", path, e->d_name) < (int)sizeof file &&
            stat(file, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    closedir(d);
    return total;
}

/* The upper bound (us) of the histogram bucket holding the pct-th percentile; 0 if empty. */
static uint64_t percentile(server_t *srv, unsigned pct)
{
    uint64_t counts[NEWSD_LATENCY_BUCKETS], total = 0;
    for (int i = 0; i < NEWSD_LATENCY_BUCKETS; i++)
        total += counts[i] = atomic_load(&srv->stats.latency[i]);
    if (total == 0)
        return 0;
    uint64_t want = (total * pct + 99) / 100, seen = 0;
    for (int i = 0; i < NEWSD_LATENCY_BUCKETS; i++) {
        seen += counts[i];
        if (seen >= want)
            return (uint64_t)1 << (i + 1);
    }
    return (uint64_t)1 << NEWSD_LATENCY_BUCKETS;
}

/* STATS' line for shard k: "up NAME documents=N" or "down NAME error=WHY". */
static void shard_state(newsidx_reader_t *reader, size_t k, char *out, size_t outlen)
{
    newsidx_shard_info_t info;
    if (newsidx_reader_shard_info(reader, k, &info) != NEWSIDX_OK)
        snprintf(out, outlen, "unknown");
    else if (info.up)
        snprintf(out, outlen, "up %s documents=%" PRIu64, info.name, info.docs);
    else
        snprintf(out, outlen, "down %s error=%s", info.name, info.error);
}

/* A document cache figure summed over the workers (the field of worker_t at off). */
static uint64_t cache_sum(server_t *srv, size_t off)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < srv->cfg.workers; i++)
        sum += atomic_load_explicit((atomic_uint_fast64_t *)((char *)&srv->workers[i] + off),
                                    memory_order_relaxed);
    return sum;
}

static void cmd_stats(cmd_ctx_t *ctx, cmd_format_t f)
{
    server_t *srv = ctx->worker->srv;
    server_stats_t *s = &srv->stats;
    uint64_t docs = 0, bytes = 0, up = 0;
    newsidx_reader_t *reader = worker_reader(ctx->worker);
    size_t nshards = srv->cfg.nshards;
    if (nshards) {
        /* the shards as this worker last saw them: STATS answers while one is down */
        for (size_t k = 0; k < nshards; k++) {
            newsidx_shard_info_t info;
            if (newsidx_reader_shard_info(reader, k, &info) != NEWSIDX_OK)
                continue;
            docs += info.docs;
            up += info.up != 0;
            if (!info.remote)
                bytes += folder_bytes(info.name);
        }
    } else {
        newsidx_status_t st = newsidx_reader_doc_count(reader, &docs);
        if (st != NEWSIDX_OK) {
            index_error(ctx, f, st, newsidx_reader_error(reader));
            return;
        }
        bytes = folder_bytes(srv->cfg.index_path);
    }
    struct { const char *name; uint64_t v; } rows[] = {
        { "documents", docs },
        { "index_bytes", bytes },
        { "uptime_s", (server_now_us() - srv->started_us) / 1000000 },
        { "workers", srv->cfg.workers },
        { "connections", atomic_load(&s->conns_open) },
        { "connections_total", atomic_load(&s->conns_total) },
        { "connections_rejected", atomic_load(&s->conns_rejected) },
        { "requests", atomic_load(&s->requests) },
        { "searches", atomic_load(&s->searches) },
        { "writes", atomic_load(&s->writes) },
        { "commits", atomic_load(&s->commits) },
        { "errors", atomic_load(&s->errors) },
        { "search_p50_us", percentile(srv, 50) },
        { "search_p90_us", percentile(srv, 90) },
        { "search_p99_us", percentile(srv, 99) },
        { "doc_cache_hits", cache_sum(srv, offsetof(worker_t, cache_hits)) },
        { "doc_cache_misses", cache_sum(srv, offsetof(worker_t, cache_misses)) },
        { "doc_cache_docs", cache_sum(srv, offsetof(worker_t, cache_docs)) },
        { "doc_cache_bytes", cache_sum(srv, offsetof(worker_t, cache_bytes)) },
    };
    size_t n = sizeof rows / sizeof rows[0];
    if (f == CMD_JSON) {
        json_t *o = json_pack("{s:s}", "status", "ok");
        for (size_t i = 0; i < n; i++)
            json_object_set_new(o, rows[i].name, json_integer((json_int_t)rows[i].v));
        if (nshards) {
            json_object_set_new(o, "shards", json_integer((json_int_t)nshards));
            json_object_set_new(o, "shards_up", json_integer((json_int_t)up));
            for (size_t k = 0; k < nshards; k++) {
                char key[32], val[NEWSD_LOG_LINE_LEN];
                snprintf(key, sizeof key, "shard.%zu", k);
                shard_state(reader, k, val, sizeof val);
                json_object_set_new(o, key, jstr(val));
            }
        }
        put_json(ctx->out, o);
        return;
    }
    evbuffer_add_printf(ctx->out, "OK stats=%zu\n", n + (nshards ? 2 + nshards : 0));
    for (size_t i = 0; i < n; i++)
        evbuffer_add_printf(ctx->out, "%s\t%" PRIu64 "\n", rows[i].name, rows[i].v);
    if (nshards) {
        evbuffer_add_printf(ctx->out, "shards\t%zu\nshards_up\t%" PRIu64 "\n", nshards, up);
        for (size_t k = 0; k < nshards; k++) {
            char val[NEWSD_LOG_LINE_LEN];
            shard_state(reader, k, val, sizeof val);
            evbuffer_add_printf(ctx->out, "shard.%zu\t", k);
            put_field(ctx->out, val);
            evbuffer_add(ctx->out, "\n", 1);
        }
    }
    evbuffer_add(ctx->out, "END\n", 4);
}

static void cmd_help(cmd_ctx_t *ctx, cmd_format_t f)
{
    size_t n;
    const proto_command_t *c = proto_commands(&n);
    if (f == CMD_JSON) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_pack("{s:s, s:s}", "name", c[i].name, "synopsis",
                                               c[i].synopsis));
        put_json(ctx->out, json_pack("{s:s, s:o}", "status", "ok", "commands", a));
        return;
    }
    evbuffer_add_printf(ctx->out, "OK commands=%zu\n", n);
    for (size_t i = 0; i < n; i++)
        evbuffer_add_printf(ctx->out, "%s\t%s\n", c[i].name, c[i].synopsis);
    evbuffer_add(ctx->out, "END\n", 4);
}

static void simple_ok(cmd_ctx_t *ctx, cmd_format_t f, const char *key, const char *word)
{
    if (f == CMD_JSON)
        put_json(ctx->out, json_pack("{s:s, s:s}", "status", "ok", key, word));
    else if (strcmp(key, "reply") == 0)
        evbuffer_add_printf(ctx->out, "OK %s\n", word);
    else
        evbuffer_add_printf(ctx->out, "OK %s=%s\n", key, word);
}

/* ---- REINDEX and STATUS ---- */

/*
 * Splits REINDEX's argument into paths: separated by spaces, each either a bare word or a
 * JSON string ("/data/my corpus") for names with spaces.  Returns the count, or -1 with a
 * message.  The strings are malloc'd.
 */
static int split_paths(const char *arg, size_t len, char **paths, size_t max, char *err,
                       size_t errlen)
{
    size_t n = 0, pos = 0;
    for (;;) {
        while (pos < len && (arg[pos] == ' ' || arg[pos] == '\t'))
            pos++;
        if (pos == len)
            return (int)n;
        if (n == max) {
            snprintf(err, errlen, "more than %zu paths", max);
            goto fail;
        }
        if (arg[pos] == '"') {
            json_error_t je;
            json_t *j = json_loadb(arg + pos, len - pos, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK,
                                   &je);
            if (!json_is_string(j)) {
                json_decref(j);
                snprintf(err, errlen, "a quoted path must be a JSON string: %s", je.text);
                goto fail;
            }
            paths[n] = strdup(json_string_value(j));
            json_decref(j);
            pos += je.position;
        } else {
            size_t end = pos;
            while (end < len && arg[end] != ' ' && arg[end] != '\t')
                end++;
            paths[n] = strndup(arg + pos, end - pos);
            pos = end;
        }
        if (!paths[n]) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        n++;
    }
fail:
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    return -1;
}

static void cmd_reindex(cmd_ctx_t *ctx, const proto_request_t *req, cmd_format_t f)
{
    server_t *srv = ctx->worker->srv;
    if (srv->cfg.nshards) {
        cmd_error(srv, ctx->out, f, "unsupported",
                  "REINDEX does not rebuild a sharded index: rebuild the shards with "
                  "newsindex --shards (README.md, \"Sharded indexes\")");
        return;
    }
    const char *cancel = proto_option(req, "cancel");
    if (cancel) {
        if (strcmp(cancel, "1") != 0) {
            cmd_error(srv, ctx->out, f, "bad_request", "cancel takes 1");
            return;
        }
        if (req->arg_len) {
            cmd_error(srv, ctx->out, f, "bad_request", "REINDEX cancel=1 takes no paths");
            return;
        }
        if (reindex_cancel(srv->reindex) != 0) {
            cmd_error(srv, ctx->out, f, "not_found", "no rebuild is running");
            return;
        }
        LOG(LOG_INFO, "reindex_cancel", "conn=%" PRIu64 " peer=%s", ctx->conn_id, ctx->peer);
        simple_ok(ctx, f, "reindex", "cancelling");
        return;
    }
    char *paths[NEWSD_REINDEX_MAX_PATHS];
    char err[512];
    int n = split_paths(req->arg, req->arg_len, paths, NEWSD_REINDEX_MAX_PATHS, err, sizeof err);
    if (n < 0) {
        cmd_error(srv, ctx->out, f, "bad_request", "%s", err);
        return;
    }
    const char *code = "internal";
    err[0] = '\0';
    uint64_t job = reindex_start(srv->reindex, (const char *const *)paths, (size_t)n, &code,
                                 err, sizeof err);
    for (int i = 0; i < n; i++)
        free(paths[i]);
    if (job == 0) {
        cmd_error(srv, ctx->out, f, code, "%s", err);
        return;
    }
    reindex_status_t st;
    reindex_get_status(srv->reindex, &st);
    if (f == CMD_JSON)
        put_json(ctx->out, json_pack("{s:s, s:I, s:s, s:i}", "status", "ok", "job",
                                     (json_int_t)job, "state", "running", "paths",
                                     (int)st.npaths));
    else
        evbuffer_add_printf(ctx->out, "OK job=%" PRIu64 " state=running paths=%u\n", job,
                            st.npaths);
}

static void cmd_status(cmd_ctx_t *ctx, cmd_format_t f)
{
    reindex_status_t st;
    reindex_get_status(ctx->worker->srv->reindex, &st);
    const char *state = reindex_state_name(st.state);
    if (f == CMD_JSON) {
        json_t *o = json_pack("{s:s, s:s, s:I}", "status", "ok", "state", state, "job",
                              (json_int_t)st.job);
        if (st.state != REINDEX_IDLE) {
            json_object_set_new(o, "phase", jstr(st.phase));
            json_object_set_new(o, "docs", json_integer((json_int_t)st.docs));
            json_object_set_new(o, "bytes", json_integer((json_int_t)st.bytes));
            json_object_set_new(o, "total_bytes", json_integer((json_int_t)st.total_bytes));
            json_object_set_new(o, "elapsed_s", json_real(round3(st.elapsed_s)));
            json_object_set_new(o, "mb_per_s", json_real(round3(st.mb_per_s)));
            json_object_set_new(o, "eta_s", st.eta_s < 0 ? json_null() : json_real(round3(st.eta_s)));
            json_object_set_new(o, "paths", json_integer(st.npaths));
        }
        if (st.state == REINDEX_DONE) {
            json_object_set_new(o, "live_writes", json_integer((json_int_t)st.live_writes));
            json_object_set_new(o, "documents", json_integer((json_int_t)st.doc_count));
        }
        if (st.state == REINDEX_FAILED)
            json_object_set_new(o, "message", jstr(st.message));
        put_json(ctx->out, o);
        return;
    }
    evbuffer_add_printf(ctx->out, "OK state=%s job=%" PRIu64, state, st.job);
    if (st.state != REINDEX_IDLE) {
        evbuffer_add_printf(ctx->out, " phase=%s docs=%" PRIu64 " bytes=%" PRIu64
                            " total_bytes=%" PRIu64 " elapsed_s=%.1f mb_per_s=%.2f",
                            st.phase, st.docs, st.bytes, st.total_bytes, st.elapsed_s,
                            st.mb_per_s);
        if (st.eta_s >= 0)
            evbuffer_add_printf(ctx->out, " eta_s=%.1f", st.eta_s);
        evbuffer_add_printf(ctx->out, " paths=%u", st.npaths);
    }
    if (st.state == REINDEX_DONE)
        evbuffer_add_printf(ctx->out, " live_writes=%" PRIu64 " documents=%" PRIu64,
                            st.live_writes, st.doc_count);
    if (st.state == REINDEX_FAILED) {
        evbuffer_add(ctx->out, " message=", 9);
        put_field(ctx->out, st.message);
    }
    evbuffer_add(ctx->out, "\n", 1);
}

/* ---- writes ---- */

static cmd_result_t cmd_write(cmd_ctx_t *ctx, const proto_request_t *req, cmd_format_t f)
{
    server_t *srv = ctx->worker->srv;
    write_req_t *w = calloc(1, sizeof *w);
    if (!w) {
        cmd_error(srv, ctx->out, f, "internal", "out of memory");
        return CMD_DONE;
    }
    w->worker = ctx->worker;
    w->conn = ctx->conn;
    w->format = f;
    w->started_us = server_now_us();
    if (req->command->cmd == PROTO_CMD_ADD) {
        char why[256];
        w->op = WRITE_ADD;
        w->article = ingest_article_new();
        int rc = w->article ? ingest_jsonl_parse(w->article, req->arg, req->arg_len, NULL,
                                                 &w->doc, why, sizeof why)
                            : INGEST_FAIL;
        if (rc != 0) {
            if (rc == INGEST_FAIL)
                cmd_error(srv, ctx->out, f, "internal", "out of memory");
            else
                cmd_error(srv, ctx->out, f, "bad_request", "%s", why);
            write_req_free(w);
            return CMD_DONE;
        }
        snprintf(w->id, sizeof w->id, "%s", w->doc.id);
    } else {
        w->op = WRITE_DELETE;
        if (req->arg_len > NEWSD_MAX_ID_LEN) {
            cmd_error(srv, ctx->out, f, "bad_request", "id longer than %d bytes",
                      NEWSD_MAX_ID_LEN);
            write_req_free(w);
            return CMD_DONE;
        }
        memcpy(w->id, req->arg, req->arg_len);
        w->id[req->arg_len] = '\0';
    }
    if (writer_submit(srv->writer, w) != 0) {
        cmd_error(srv, ctx->out, f, "busy", "%d writes are waiting; try again later",
                  NEWSD_WRITE_QUEUE_MAX);
        write_req_free(w);
        return CMD_DONE;
    }
    return CMD_PENDING;
}

void cmd_write_reply(server_t *srv, const write_req_t *req, struct evbuffer *out)
{
    cmd_format_t f = (cmd_format_t)req->format;
    uint64_t took = server_now_us() - req->started_us;
    if (req->status == NEWSIDX_NOT_FOUND) {
        cmd_error(srv, out, f, "not_found", "no document with id %s", req->id);
        return;
    }
    if (req->status == NEWSIDX_LOCKED) {
        cmd_error(srv, out, f, "busy", "%s", req->message);
        return;
    }
    if (req->status != NEWSIDX_OK) {
        cmd_error(srv, out, f, status_code(req->status), "%s", req->message);
        return;
    }
    if (req->op == WRITE_ADD) {
        if (f == CMD_JSON) {
            put_json(out, json_pack("{s:s, s:o, s:b, s:I}", "status", "ok", "id", jstr(req->id),
                                    "replaced", req->replaced, "took_us", (json_int_t)took));
            return;
        }
        evbuffer_add(out, "OK id=", 6);
        put_field(out, req->id);
        evbuffer_add_printf(out, " replaced=%d took_us=%" PRIu64 "\n", req->replaced ? 1 : 0,
                            took);
        return;
    }
    if (f == CMD_JSON) {
        put_json(out, json_pack("{s:s, s:o, s:b, s:I}", "status", "ok", "id", jstr(req->id),
                                "deleted", 1, "took_us", (json_int_t)took));
        return;
    }
    evbuffer_add(out, "OK id=", 6);
    put_field(out, req->id);
    evbuffer_add_printf(out, " deleted=1 took_us=%" PRIu64 "\n", took);
}

/* ---- authority for writes ---- */

/*
 * The one place that decides whether a request may run on this connection: a command
 * marked PROTO_WRITE in proto.c's table needs write authority, which a Unix socket
 * connection has from the start and a TCP connection gets from AUTH.  Returns 1, or 0
 * after appending the refusal.
 */
static int cmd_permitted(cmd_ctx_t *ctx, const proto_request_t *req, cmd_format_t f)
{
    server_t *srv = ctx->worker->srv;
    /* xapian-replicate overwrites a replica with its master's changes: a write made
     * here would vanish, or block the next replication. */
    if ((req->command->flags & PROTO_WRITE) && srv->cfg.replica) {
        cmd_error(srv, ctx->out, f, "read_only",
                  "%s is refused: the index is a replica kept by xapian-replicate; "
                  "write to its master", req->command->name);
        return 0;
    }
    if (!(req->command->flags & PROTO_WRITE) || ctx->auth->may_write)
        return 1;
    if (!ctx->auth->refused_logged)
        LOG(LOG_INFO, "write_refused", "conn=%" PRIu64 " peer=%s cmd=%s", ctx->conn_id,
            ctx->peer, req->command->name);
    ctx->auth->refused_logged = 1;
    if (srv->cfg.auth_token_len)
        cmd_error(srv, ctx->out, f, "unauthorized",
                  "%s needs write authority on TCP: send AUTH with the token first, "
                  "or use the Unix socket", req->command->name);
    else
        cmd_error(srv, ctx->out, f, "unauthorized",
                  "%s is refused on TCP: newsd runs without --auth-token-file; "
                  "write through its Unix socket", req->command->name);
    return 0;
}

/* AUTH TOKEN: write authority for this connection when TOKEN is newsd's.  A wrong token
 * changes nothing it had; the NEWSD_AUTH_MAX_FAILURES-th closes the connection.  The
 * token itself is never logged or echoed. */
static cmd_result_t cmd_auth(cmd_ctx_t *ctx, const proto_request_t *req, cmd_format_t f)
{
    server_t *srv = ctx->worker->srv;
    const server_config_t *cfg = &srv->cfg;
    if (cfg->auth_token_len &&
        auth_token_equal(cfg->auth_token, cfg->auth_token_len, req->arg, req->arg_len)) {
        ctx->auth->may_write = 1;
        LOG(LOG_INFO, "auth", "conn=%" PRIu64 " peer=%s", ctx->conn_id, ctx->peer);
        simple_ok(ctx, f, "reply", "auth");
        return CMD_DONE;
    }
    unsigned n = ++ctx->auth->failures;
    int closing = n >= NEWSD_AUTH_MAX_FAILURES;
    LOG(LOG_WARN, "auth_failed", "conn=%" PRIu64 " peer=%s reason=%s failures=%u max=%d%s",
        ctx->conn_id, ctx->peer, cfg->auth_token_len ? "wrong_token" : "no_token_configured",
        n, NEWSD_AUTH_MAX_FAILURES, closing ? " action=close" : "");
    const char *why = cfg->auth_token_len
                          ? "wrong token"
                          : "newsd runs without --auth-token-file, so no token is valid; "
                            "write through its Unix socket";
    if (closing) {
        cmd_error(srv, ctx->out, f, "unauthorized",
                  "%s; %u failed attempts, closing the connection", why, n);
        return CMD_CLOSE;
    }
    cmd_error(srv, ctx->out, f, "unauthorized", "%s (failed attempt %u of %d)", why, n,
              NEWSD_AUTH_MAX_FAILURES);
    return CMD_DONE;
}

/* ---- dispatch ---- */

/* Runs a command whose reply has no fixed bound (SEARCH, GET) into a buffer of its own, so
 * that a reply longer than --max-reply-bytes is replaced by ERR reply_too_large before any
 * of it is sent. */
static void capped(cmd_ctx_t *ctx, const proto_request_t *req, cmd_format_t f,
                   void (*run)(cmd_ctx_t *, const proto_request_t *, cmd_format_t))
{
    server_t *srv = ctx->worker->srv;
    struct evbuffer *out = ctx->out, *mine = evbuffer_new();
    if (!mine) {
        cmd_error(srv, out, f, "internal", "out of memory");
        return;
    }
    ctx->out = mine;
    run(ctx, req, f);
    ctx->out = out;
    size_t n = evbuffer_get_length(mine);
    if (n > srv->cfg.max_reply_bytes) {
        LOG(LOG_WARN, "reply_too_large", "conn=%" PRIu64 " cmd=%s bytes=%zu limit=%zu",
            ctx->conn_id, req->command->name, n, srv->cfg.max_reply_bytes);
        cmd_error(srv, out, f, "reply_too_large",
                  "the reply would be %zu bytes, over the limit of %zu (--max-reply-bytes)", n,
                  srv->cfg.max_reply_bytes);
    } else {
        evbuffer_add_buffer(out, mine);
    }
    evbuffer_free(mine);
}

cmd_result_t cmd_execute(cmd_ctx_t *ctx, const char *line, size_t len)
{
    server_t *srv = ctx->worker->srv;
    proto_request_t req;
    char err[256], sample[NEWSD_LOG_SAMPLE_LEN * 4 + 8];
    proto_status_t ps = proto_parse(line, len, &req, err, sizeof err);
    if (ps == PROTO_EMPTY)
        return CMD_DONE;
    atomic_fetch_add(&srv->stats.requests, 1);
    /* An AUTH line is quoted in no log line: a reason may quote a piece of it too. */
    int secret = proto_is_secret_line(line, len);
    if (ps != PROTO_OK) {
        const char *code = ps == PROTO_UNKNOWN_COMMAND ? "unknown_command" : "bad_request";
        unsigned seen = ctx->bad_requests ? (*ctx->bad_requests)++ : 0;
        if (LOG_ON(LOG_WARN) && seen < NEWSD_LOG_BAD_PER_CONN) {
            char why[NEWSD_LOG_SAMPLE_LEN * 4 + 8];
            LOG(LOG_WARN, "bad_request", "conn=%" PRIu64 " peer=%s code=%s reason=\"%s\" sample=\"%s\"",
                ctx->conn_id, ctx->peer, code,
                secret ? "(AUTH line, not quoted)" : log_sample(why, sizeof why, err, strlen(err)),
                secret ? "AUTH (not quoted)" : log_sample(sample, sizeof sample, line, len));
        }
        cmd_error(srv, ctx->out, *ctx->format, code, "%s", err);
        return ps == PROTO_HTTP ? CMD_CLOSE : CMD_DONE;
    }
    cmd_format_t f;
    if (request_format(&req, *ctx->format, &f, err, sizeof err) != 0) {
        cmd_error(srv, ctx->out, *ctx->format, "bad_request", "%s", err);
        return CMD_DONE;
    }
    if (LOG_ON(LOG_DEBUG))
        LOG(LOG_DEBUG, "request", "conn=%" PRIu64 " cmd=%s sample=\"%s\"", ctx->conn_id,
            req.command->name,
            secret ? "AUTH (not quoted)" : log_sample(sample, sizeof sample, line, len));
    if (!cmd_permitted(ctx, &req, f))
        return CMD_DONE;
    switch (req.command->cmd) {
    case PROTO_CMD_SEARCH: capped(ctx, &req, f, cmd_search); break;
    case PROTO_CMD_COUNT: cmd_count(ctx, &req, f); break;
    case PROTO_CMD_GET: capped(ctx, &req, f, cmd_get); break;
    case PROTO_CMD_ADD:
    case PROTO_CMD_DELETE: return cmd_write(ctx, &req, f);
    case PROTO_CMD_STATS: cmd_stats(ctx, f); break;
    case PROTO_CMD_PING: simple_ok(ctx, f, "reply", "pong"); break;
    case PROTO_CMD_HELP: cmd_help(ctx, f); break;
    case PROTO_CMD_QUIT:
        simple_ok(ctx, f, "reply", "bye");
        return CMD_CLOSE;
    case PROTO_CMD_FORMAT:
        if (req.arg_len == 4 && memcmp(req.arg, "json", 4) == 0)
            *ctx->format = CMD_JSON;
        else if (req.arg_len == 4 && memcmp(req.arg, "text", 4) == 0)
            *ctx->format = CMD_TEXT;
        else {
            cmd_error(srv, ctx->out, *ctx->format, "bad_request", "FORMAT takes text or json");
            break;
        }
        simple_ok(ctx, *ctx->format, "format", *ctx->format == CMD_JSON ? "json" : "text");
        break;
    case PROTO_CMD_REINDEX: cmd_reindex(ctx, &req, f); break;
    case PROTO_CMD_STATUS: cmd_status(ctx, f); break;
    case PROTO_CMD_AUTH: return cmd_auth(ctx, &req, f);
    case PROTO_CMD_COUNT_OF: break;
    }
    return CMD_DONE;
}
