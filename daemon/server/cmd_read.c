/*
 * cmd_read.c: the commands that read the index: SEARCH (with its facets), COUNT and GET,
 * on the worker's reader.  The index checks the query, the filter lists and counts the
 * facets; a failure is its status and message, mapped to a wire error by cmd.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_int.h"
#include "log.h"

/* What SEARCH and COUNT share before they run: options parsed into opts (collapse= as
 * given, else collapse), the query copied into a C string (req->arg points into the
 * request line and ends at arg_len, not at a NUL), which the caller frees.  NULL when an
 * error reply was sent. */
static char *query_prelude(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f,
                           newsidx_search_opts_t *opts, int collapse)
{
    server_t *srv = ctx->worker->srv;
    char msg[256];
    newsidx_search_opts_init(opts);
    opts->timeout_ms = srv->cfg.query_timeout_ms;
    opts->recency_now = srv->cfg.recency_now;
    opts->collapse = collapse;
    if (cmd_search_options(req, opts, msg, sizeof msg) != 0) {
        cmd_error(srv, ctx->out, f, "bad_request", "%s", msg);
        return NULL;
    }
    char *query = strndup(req->arg, req->arg_len);
    if (!query)
        cmd_error(srv, ctx->out, f, "internal", "out of memory");
    return query;
}

/* A partial answer's missing shards: the "missing_shards" array in JSON, present (maybe
 * empty) whenever the request asked for partial=1; in text " missing_shards=A,B" on the
 * OK line when there are any, with spaces, commas and control characters in a name as
 * '?'. */
static void put_missing(reply_t *r, int partial, size_t n,
                        const char *(*get)(const void *, size_t), const void *src)
{
    if (partial) {
        reply_next(r, REPLY_JSON_ONLY);
        reply_key(r, "missing_shards");
        reply_begin_list(r);
        for (size_t i = 0; i < n; i++)
            reply_string(r, get(src, i));
        reply_end_list(r);
    }
    if (n == 0)
        return;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(get(src, i)) + 1;
    char *joined = malloc(len), *p = joined;
    if (!joined)
        return;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        for (const char *s = get(src, i); *s; s++)
            *p++ = (unsigned char)*s <= 0x20 || *s == ',' || *s == 0x7F ? '?' : *s;
    }
    *p = '\0';
    reply_next(r, REPLY_TEXT_ONLY);
    reply_kv_string(r, "missing_shards", joined);
    free(joined);
}

static const char *results_missing(const void *src, size_t i)
{
    return newsidx_results_missing_shard(src, i);
}

static const char *reader_missing(const void *src, size_t i)
{
    return newsidx_reader_missing_shard(src, i);
}

/* explain=1: the hit's weighted parts, JSON "explain":[{"term":..,"weight":..},..], text
 * an eighth field "term:weight term:weight ..." (weights with 3 decimals). */
static void put_explain(reply_t *r, const newsidx_results_t *res, size_t i)
{
    size_t n = newsidx_results_hit_terms(res, i);
    reply_next(r, REPLY_JSON_ONLY);
    reply_key(r, "explain");
    reply_begin_list(r);
    for (size_t k = 0; k < n; k++) {
        const newsidx_term_weight_t *t = newsidx_results_hit_term(res, i, k);
        reply_begin_map(r);
        reply_kv_string(r, "term", t->term);
        reply_kv_real(r, "weight", reply_round3(t->weight), 3);
        reply_end_map(r);
    }
    reply_end_list(r);
    size_t len = 1;
    for (size_t k = 0; k < n; k++)
        len += strlen(newsidx_results_hit_term(res, i, k)->term) + 32;
    char *line = malloc(len), *p = line;
    if (!line)
        return;
    *p = '\0';
    for (size_t k = 0; k < n; k++) {
        const newsidx_term_weight_t *t = newsidx_results_hit_term(res, i, k);
        p += snprintf(p, len - (size_t)(p - line), "%s%s:%.3f", k ? " " : "", t->term,
                      reply_round3(t->weight));
    }
    reply_next(r, REPLY_TEXT_ONLY);
    reply_kv_string(r, "explain", line);
    free(line);
}

/* One hit: JSON {rank,id,score,title,date,source,url,snippet,dups,cluster}, the snippet
 * only when asked for, cluster "" for a document alone in its cluster; text "rank id
 * score date source title snippet", tab-separated (put_dup_lines says which hits fold
 * others); with explain=1, put_explain's member last. */
static void put_hit(reply_t *r, const newsidx_results_t *res, size_t i, int snippets,
                    int explain)
{
    const newsidx_hit_t *h = newsidx_results_hit(res, i);
    reply_begin_map(r);
    reply_kv_uint(r, "rank", h->rank);
    reply_kv_string(r, "id", h->id);
    reply_kv_real(r, "score", reply_round3(h->score), 3);
    reply_next(r, REPLY_JSON_ONLY);
    reply_kv_string(r, "title", h->title);
    reply_kv_string(r, "date", h->date);
    reply_kv_string(r, "source", h->source);
    reply_next(r, REPLY_TEXT_ONLY);
    reply_kv_string(r, "title", h->title);
    reply_next(r, REPLY_JSON_ONLY);
    reply_kv_string(r, "url", h->url);
    if (!snippets)
        reply_next(r, REPLY_TEXT_ONLY);
    reply_kv_string(r, "snippet", h->snippet);
    reply_next(r, REPLY_JSON_ONLY);
    reply_kv_uint(r, "dups", h->dups);
    reply_next(r, REPLY_JSON_ONLY);
    reply_kv_string(r, "cluster", h->cluster);
    if (explain)
        put_explain(r, res, i);
    reply_end_map(r);
}

/*
 * Text only: a line "dups<TAB>rank<TAB>id<TAB>N<TAB>cluster" per hit that folds N > 0
 * near-duplicates (collapse=1), after the hit lines, so that the hit lines keep their
 * fields and a line is told by its first field (a number for a hit).
 */
static void put_dup_lines(reply_t *r, const newsidx_results_t *res)
{
    size_t n = newsidx_results_count(res);
    reply_next(r, REPLY_TEXT_ONLY);
    reply_key(r, "dup_lines");
    reply_begin_list(r);
    for (size_t i = 0; i < n; i++) {
        const newsidx_hit_t *h = newsidx_results_hit(res, i);
        if (h->dups == 0)
            continue;
        reply_begin_map(r);
        reply_kv_string(r, "kind", "dups");
        reply_kv_uint(r, "rank", h->rank);
        reply_kv_string(r, "id", h->id);
        reply_kv_uint(r, "dups", h->dups);
        reply_kv_string(r, "cluster", h->cluster);
        reply_end_map(r);
    }
    reply_end_list(r);
}

/*
 * The facets asked for, in the order of newsidx_facet_t (source, topic, place, year,
 * month, day), after the hits: JSON "facets":{"topic":[{"value":..,"count":..},..],..},
 * every facet asked for present (maybe empty); text one line per value,
 * "facet<TAB>name<TAB>value<TAB>count", below the hit lines.
 */
static void put_facets(reply_t *r, const newsidx_results_t *res, unsigned facets)
{
    reply_next(r, REPLY_JSON_ONLY);
    reply_key(r, "facets");
    reply_begin_map(r);
    for (int f = 0; f < NEWSIDX_FACETS; f++) {
        if (!(facets & NEWSIDX_FACET_BIT(f)))
            continue;
        reply_key(r, newsidx_facet_name((newsidx_facet_t)f));
        reply_begin_list(r);
        size_t n = newsidx_results_facet_size(res, (newsidx_facet_t)f);
        for (size_t i = 0; i < n; i++) {
            const newsidx_facet_value_t *v =
                newsidx_results_facet_value(res, (newsidx_facet_t)f, i);
            if (!v)
                continue;
            reply_begin_map(r);
            reply_kv_string(r, "value", v->value);
            reply_kv_uint(r, "count", v->count);
            reply_end_map(r);
        }
        reply_end_list(r);
    }
    reply_end_map(r);
    reply_next(r, REPLY_TEXT_ONLY);
    reply_key(r, "facet_lines");
    reply_begin_list(r);
    for (int f = 0; f < NEWSIDX_FACETS; f++) {
        size_t n = facets & NEWSIDX_FACET_BIT(f)
                       ? newsidx_results_facet_size(res, (newsidx_facet_t)f) : 0;
        for (size_t i = 0; i < n; i++) {
            const newsidx_facet_value_t *v =
                newsidx_results_facet_value(res, (newsidx_facet_t)f, i);
            if (!v)
                continue;
            reply_begin_map(r);
            reply_kv_string(r, "kind", "facet");
            reply_kv_string(r, "facet", newsidx_facet_name((newsidx_facet_t)f));
            reply_kv_string(r, "value", v->value);
            reply_kv_uint(r, "count", v->count);
            reply_end_map(r);
        }
    }
    reply_end_list(r);
}

/* "Did you mean" and explain's parsed query, after the hits (and facets): JSON
 * "suggestion" when there is one and "query" with explain=1; text a line
 * "did_you_mean<TAB>..." and a line "query<TAB>...". */
static void put_query_notes(reply_t *r, const newsidx_results_t *res, int explain)
{
    const char *s = newsidx_results_suggestion(res);
    if (*s) {
        reply_next(r, REPLY_JSON_ONLY);
        reply_kv_string(r, "suggestion", s);
        reply_next(r, REPLY_TEXT_ONLY | REPLY_LINE);
        reply_kv_string(r, "did_you_mean", s);
    }
    if (explain) {
        reply_next(r, REPLY_LINE);
        reply_kv_string(r, "query", newsidx_results_query(res));
    }
}

void cmd_read_error(cmd_ctx_t *ctx, reply_format_t f, newsidx_reader_t *reader,
                    newsidx_status_t st)
{
    if (st == NEWSIDX_SHARD_UNAVAILABLE)
        cmd_shard_error(ctx, f, reader);
    else
        cmd_index_error(ctx, f, st, newsidx_reader_error(reader));
}

void cmd_search(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
{
    server_t *srv = ctx->worker->srv;
    newsidx_search_opts_t opts;
    char *query = query_prelude(ctx, req, f, &opts, NEWSD_DEFAULT_COLLAPSE);
    if (!query)
        return;
    newsidx_reader_t *reader = worker_reader(ctx->worker);
    uint64_t t0 = server_now_us();
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(reader, query, &opts, &res);
    uint64_t took = server_now_us() - t0;
    free(query);
    atomic_fetch_add(&srv->stats.searches, 1);
    if (opts.facets)
        atomic_fetch_add(&srv->stats.facet_searches, 1);
    worker_cache_published(ctx->worker);
    if (st != NEWSIDX_OK) {
        newsidx_results_destroy(res);
        cmd_read_error(ctx, f, reader, st);
        return;
    }
    cmd_results_reply(ctx, f, res, &opts, took, NULL);
    newsidx_results_destroy(res);
}

void cmd_results_reply(cmd_ctx_t *ctx, reply_format_t f, const newsidx_results_t *res,
                       const newsidx_search_opts_t *opts, uint64_t took,
                       void (*extra)(reply_t *, const newsidx_results_t *))
{
    size_t n = newsidx_results_count(res);
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    reply_kv_uint(&r, "total", newsidx_results_total(res));
    reply_kv_uint(&r, "shown", n);
    reply_kv_uint(&r, "took_us", took);
    if (extra)
        extra(&r, res);
    reply_key(&r, "hits");
    reply_begin_list(&r);
    for (size_t i = 0; i < n; i++)
        put_hit(&r, res, i, opts->snippets != NEWSIDX_SNIPPET_NONE, opts->explain);
    reply_end_list(&r);
    put_dup_lines(&r, res);
    if (opts->facets)
        put_facets(&r, res, opts->facets);
    put_query_notes(&r, res, opts->explain);
    put_missing(&r, opts->partial, newsidx_results_missing_count(res), results_missing, res);
    reply_end(&r);
}

void cmd_count(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
{
    server_t *srv = ctx->worker->srv;
    newsidx_search_opts_t opts;
    /* COUNT counts articles unless collapse=1 asks for clusters */
    char *query = query_prelude(ctx, req, f, &opts, 0);
    if (!query)
        return;
    newsidx_reader_t *reader = worker_reader(ctx->worker);
    uint64_t t0 = server_now_us(), count = 0;
    newsidx_status_t st = newsidx_count(reader, query, &opts, &count);
    uint64_t took = server_now_us() - t0;
    free(query);
    atomic_fetch_add(&srv->stats.searches, 1);
    if (st != NEWSIDX_OK) {
        cmd_read_error(ctx, f, reader, st);
        return;
    }
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    reply_kv_uint(&r, "count", count);
    reply_kv_uint(&r, "took_us", took);
    put_missing(&r, opts.partial, newsidx_reader_missing_count(reader), reader_missing, reader);
    reply_end(&r);
}

static void put_strings(reply_t *r, const char *key, const char *const *v, size_t n)
{
    reply_key(r, key);
    reply_begin_list(r);
    for (size_t i = 0; i < n; i++)
        reply_string(r, v[i]);
    reply_end_list(r);
}

void cmd_get(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
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
    if (st == NEWSIDX_NOT_FOUND) {
        cmd_error(srv, ctx->out, f, "not_found", "no document with id %s", id);
        return;
    }
    if (st != NEWSIDX_OK) {
        cmd_read_error(ctx, f, reader, st);
        return;
    }
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    reply_next(&r, REPLY_TEXT_ONLY);
    reply_kv_string(&r, "id", doc->id);
    reply_key(&r, "doc");
    reply_begin_map(&r);
    reply_kv_string(&r, "id", doc->id);
    reply_kv_string(&r, "title", doc->title);
    reply_kv_string(&r, "date", doc->date);
    reply_kv_string(&r, "source", doc->source);
    reply_kv_string(&r, "url", doc->url);
    put_strings(&r, "topics", doc->topics, doc->ntopics);
    put_strings(&r, "places", doc->places, doc->nplaces);
    reply_kv_string(&r, "body", doc->body);
    reply_end_map(&r);
    reply_end(&r);
    newsidx_doc_free(doc);
}
