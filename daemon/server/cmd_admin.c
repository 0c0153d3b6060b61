/*
 * cmd_admin.c: the commands about the daemon rather than the documents: STATS, HELP,
 * PING and QUIT (cmd_simple_ok), FORMAT, AUTH, and REINDEX and STATUS, which start and
 * follow a rebuild (reindex.h).
 */
#include <dirent.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cmd_int.h"
#include "log.h"
#include "reindex.h"

void cmd_simple_ok(cmd_ctx_t *ctx, reply_format_t f, const char *key, const char *word)
{
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    if (strcmp(key, "reply") == 0)
        reply_next(&r, REPLY_BARE);
    reply_kv_string(&r, key, word);
    reply_end(&r);
}

/* FORMAT text|json: the connection's default reply format from now on. */
void cmd_format(cmd_ctx_t *ctx, const proto_request_t *req)
{
    if (req->arg_len == 4 && memcmp(req->arg, "json", 4) == 0)
        *ctx->format = REPLY_JSON;
    else if (req->arg_len == 4 && memcmp(req->arg, "text", 4) == 0)
        *ctx->format = REPLY_TEXT;
    else {
        cmd_error(ctx->worker->srv, ctx->out, *ctx->format, "bad_request",
                  "FORMAT takes text or json");
        return;
    }
    cmd_simple_ok(ctx, *ctx->format, "format", *ctx->format == REPLY_JSON ? "json" : "text");
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

/* Every STATS figure but the shards', in the order of the reply. */
typedef struct stat_row {
    const char *name;
    uint64_t v;
} stat_row_t;

void cmd_stats(cmd_ctx_t *ctx, reply_format_t f)
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
            cmd_index_error(ctx, f, st, newsidx_reader_error(reader));
            return;
        }
        bytes = folder_bytes(srv->cfg.index_path);
    }
    /* Near-duplicate figures: 0 when the index cannot say (a shard down), as STATS must
     * answer then too. */
    uint64_t clusters = 0, duplicates = 0;
    if (newsidx_reader_dup_stats(reader, &clusters, &duplicates) != NEWSIDX_OK)
        clusters = duplicates = 0;
    stat_row_t rows[] = {
        { "documents", docs },
        { "index_bytes", bytes },
        { "uptime_s", (server_now_us() - srv->started_us) / 1000000 },
        { "workers", srv->cfg.workers },
        { "connections", atomic_load(&s->conns_open) },
        { "connections_total", atomic_load(&s->conns_total) },
        { "connections_rejected", atomic_load(&s->conns_rejected) },
        { "requests", atomic_load(&s->requests) },
        { "searches", atomic_load(&s->searches) },
        { "facet_searches", atomic_load(&s->facet_searches) },
        { "similar_searches", atomic_load(&s->similar_searches) },
        { "writes", atomic_load(&s->writes) },
        { "commits", atomic_load(&s->commits) },
        { "errors", atomic_load(&s->errors) },
        { "search_p50_us", reqstats_percentile_us(&s->reqs, PROTO_CMD_SEARCH, 50) },
        { "search_p90_us", reqstats_percentile_us(&s->reqs, PROTO_CMD_SEARCH, 90) },
        { "search_p99_us", reqstats_percentile_us(&s->reqs, PROTO_CMD_SEARCH, 99) },
        { "doc_cache_hits", cache_sum(srv, offsetof(worker_t, cache_hits)) },
        { "doc_cache_misses", cache_sum(srv, offsetof(worker_t, cache_misses)) },
        { "doc_cache_docs", cache_sum(srv, offsetof(worker_t, cache_docs)) },
        { "doc_cache_bytes", cache_sum(srv, offsetof(worker_t, cache_bytes)) },
        { "clusters", clusters },
        { "duplicates", duplicates },
    };
    size_t n = sizeof rows / sizeof rows[0];
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    reply_next(&r, REPLY_TEXT_ONLY);   /* text: the count of the lines that follow */
    reply_kv_uint(&r, "stats", n + (nshards ? 2 + nshards : 0));
    for (size_t i = 0; i < n; i++) {
        reply_next(&r, REPLY_LINE);
        reply_kv_uint(&r, rows[i].name, rows[i].v);
    }
    if (nshards) {
        reply_next(&r, REPLY_LINE);
        reply_kv_uint(&r, "shards", nshards);
        reply_next(&r, REPLY_LINE);
        reply_kv_uint(&r, "shards_up", up);
        for (size_t k = 0; k < nshards; k++) {
            char key[32], val[NEWSD_LOG_LINE_LEN];
            snprintf(key, sizeof key, "shard.%zu", k);
            shard_state(reader, k, val, sizeof val);
            reply_next(&r, REPLY_LINE);
            reply_kv_string(&r, key, val);
        }
    }
    reply_end(&r);
}

void cmd_help(cmd_ctx_t *ctx, reply_format_t f)
{
    size_t n;
    const proto_command_t *c = proto_commands(&n);
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    reply_next(&r, REPLY_TEXT_ONLY);
    reply_kv_uint(&r, "commands", n);
    reply_key(&r, "commands");
    reply_begin_list(&r);
    for (size_t i = 0; i < n; i++) {
        reply_begin_map(&r);
        reply_kv_string(&r, "name", c[i].name);
        reply_kv_string(&r, "synopsis", c[i].synopsis);
        reply_end_map(&r);
    }
    reply_end_list(&r);
    reply_end(&r);
}

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

void cmd_reindex(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
{
    server_t *srv = ctx->worker->srv;
    if (srv->cfg.nshards) {
        cmd_error(srv, ctx->out, f, "unsupported",
                  "REINDEX does not rebuild a sharded index: rebuild the shards with "
                  "newsindex --shards (newsindex(8), \"SHARDED INDEXES\")");
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
        cmd_simple_ok(ctx, f, "reindex", "cancelling");
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
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    reply_kv_uint(&r, "job", job);
    reply_kv_string(&r, "state", "running");
    reply_kv_uint(&r, "paths", st.npaths);
    reply_end(&r);
}

void cmd_status(cmd_ctx_t *ctx, reply_format_t f)
{
    reindex_status_t st;
    reindex_get_status(ctx->worker->srv->reindex, &st);
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    reply_kv_string(&r, "state", reindex_state_name(st.state));
    reply_kv_uint(&r, "job", st.job);
    if (st.state != REINDEX_IDLE) {
        reply_kv_string(&r, "phase", st.phase);
        reply_kv_uint(&r, "docs", st.docs);
        reply_kv_uint(&r, "bytes", st.bytes);
        reply_kv_uint(&r, "total_bytes", st.total_bytes);
        reply_kv_real(&r, "elapsed_s", st.elapsed_s, 1);
        reply_kv_real(&r, "mb_per_s", st.mb_per_s, 2);
        if (st.eta_s >= 0) {
            reply_kv_real(&r, "eta_s", st.eta_s, 1);
        } else {
            reply_next(&r, REPLY_JSON_ONLY);
            reply_key(&r, "eta_s");
            reply_null(&r);
        }
        reply_kv_uint(&r, "paths", st.npaths);
    }
    if (st.state == REINDEX_DONE) {
        reply_kv_uint(&r, "live_writes", st.live_writes);
        reply_kv_uint(&r, "documents", st.doc_count);
    }
    if (st.state == REINDEX_FAILED)
        reply_kv_string(&r, "message", st.message);
    reply_end(&r);
}

/* AUTH TOKEN: write authority for this connection when TOKEN is newsd's.  A wrong token
 * changes nothing it had; the NEWSD_AUTH_MAX_FAILURES-th closes the connection.  The
 * token itself is never logged or echoed. */
cmd_result_t cmd_auth(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
{
    server_t *srv = ctx->worker->srv;
    if (server_auth_matches(srv, req->arg, req->arg_len)) {
        ctx->auth->may_write = 1;
        LOG(LOG_INFO, "auth", "conn=%" PRIu64 " peer=%s", ctx->conn_id, ctx->peer);
        cmd_simple_ok(ctx, f, "reply", "auth");
        return CMD_DONE;
    }
    unsigned n = ++ctx->auth->failures;
    int configured = server_auth_configured(srv);
    int closing = n >= NEWSD_AUTH_MAX_FAILURES;
    LOG(LOG_WARN, "auth_failed", "conn=%" PRIu64 " peer=%s reason=%s failures=%u max=%d%s",
        ctx->conn_id, ctx->peer, configured ? "wrong_token" : "no_token_configured",
        n, NEWSD_AUTH_MAX_FAILURES, closing ? " action=close" : "");
    const char *why = configured
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
