/*
 * cmd.c: the dispatch of requests to the command handlers (see cmd.h), the one check of
 * write authority, the reply format of a request, the option values SEARCH and COUNT
 * share, and index statuses as wire errors.  The parser (proto.c) has checked that each
 * option exists for the command; the values are checked here.  Limits the index also
 * enforces (query length, limit, offset, days) are checked here too, only because the
 * replies name them in words the index does not use.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "cmd_int.h"
#include "log.h"

/* The code of the last error reply this thread made (NULL: none), which cmd_execute and
 * cmd_write_reply count their request under (reqstats.h).  Every error reply goes through
 * cmd_error or cmd_shard_error, so the handlers need not report it. */
static _Thread_local const char *last_error_code;

void cmd_error(server_t *srv, struct evbuffer *out, reply_format_t format, const char *code,
               const char *fmt, ...)
{
    last_error_code = code;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    atomic_fetch_add(&srv->stats.errors, 1);
    reply_error(out, format, code, NULL, msg);
}

/* ---- option values ---- */

/* Parses a decimal number of at most 9 digits; -1 when v is not one.  Its range is the
 * index's rule (newsidx_search says which value is out of it). */
static int parse_uint(const char *v, unsigned *out)
{
    if (!*v || strlen(v) > 9)
        return -1;
    unsigned long n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (unsigned long)(*p - '0');
    }
    *out = (unsigned)n;
    return 0;
}

/* v is "0" or "1": *out gets it; -1 otherwise. */
static int parse_flag(const char *v, int *out)
{
    if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
        return -1;
    *out = v[0] == '1';
    return 0;
}

/* The index of v in names (NULL-terminated), or -1. */
static int pick(const char *v, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    return -1;
}

/* "source, topic, place, year, month or day": the facet names, for messages. */
static void facet_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int f = 0; f < NEWSIDX_FACETS && used < len; f++) {
        const char *sep = f == 0 ? "" : f + 1 < NEWSIDX_FACETS ? ", " : " or ";
        int n = snprintf(buf + used, len - used, "%s%s", sep,
                         newsidx_facet_name((newsidx_facet_t)f));
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* facets=a,b (a comma list of facet names, each once) and facet_limit=N, which only a
 * request with facets= may give.  The facets' own rules (how many buckets) are the
 * index's. */
static int facet_options(const proto_request_t *req, newsidx_search_opts_t *opts, char *msg,
                         size_t msglen)
{
    const char *v = proto_option(req, "facets"), *lim = proto_option(req, "facet_limit");
    char names[128];
    if (lim && !v) {
        snprintf(msg, msglen, "facet_limit needs facets=");
        return -1;
    }
    if (lim && (parse_uint(lim, &opts->facet_limit) != 0 || opts->facet_limit < 1 ||
                opts->facet_limit > NEWSD_MAX_FACET_LIMIT)) {
        snprintf(msg, msglen, "facet_limit must be a number from 1 to %d",
                 NEWSD_MAX_FACET_LIMIT);
        return -1;
    }
    if (!v)
        return 0;
    if (!*v) {
        facet_names(names, sizeof names);
        snprintf(msg, msglen, "facets needs a list of facet names: %s", names);
        return -1;
    }
    for (const char *p = v;;) {
        size_t n = strcspn(p, ",");
        int f = newsidx_facet_parse(p, n);
        if (n == 0) {
            snprintf(msg, msglen, "facets has an empty name (two commas, or one at an end)");
            return -1;
        }
        if (f < 0) {
            facet_names(names, sizeof names);
            snprintf(msg, msglen, "unknown facet '%.*s': facets are %s", (int)n, p, names);
            return -1;
        }
        if (opts->facets & NEWSIDX_FACET_BIT(f)) {
            snprintf(msg, msglen, "facet '%.*s' given twice", (int)n, p);
            return -1;
        }
        opts->facets |= NEWSIDX_FACET_BIT(f);
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

int cmd_id_request(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f,
                   newsidx_search_opts_t *opts, char id[NEWSD_MAX_ID_LEN + 1])
{
    server_t *srv = ctx->worker->srv;
    char msg[256];
    if (req->arg_len > NEWSD_MAX_ID_LEN) {
        cmd_error(srv, ctx->out, f, "bad_request", "id longer than %d bytes", NEWSD_MAX_ID_LEN);
        return -1;
    }
    newsidx_search_opts_init(opts);
    opts->timeout_ms = srv->cfg.query_timeout_ms;
    opts->collapse = NEWSD_DEFAULT_COLLAPSE;
    if (cmd_search_options(req, opts, msg, sizeof msg) != 0) {
        cmd_error(srv, ctx->out, f, "bad_request", "%s", msg);
        return -1;
    }
    memcpy(id, req->arg, req->arg_len);
    id[req->arg_len] = '\0';
    return 0;
}

int cmd_search_options(const proto_request_t *req, newsidx_search_opts_t *opts, char *msg,
                       size_t msglen)
{
    static const char *const snippets[] = { "0", "1", "best", NULL };
    static const int snippet_modes[] = { NEWSIDX_SNIPPET_NONE,
                                         NEWSIDX_SNIPPET_FIRST,
                                         NEWSIDX_SNIPPET_BEST };
    static const char *const sorts[] = { "rank", "date", "date_asc", NULL };
    static const newsidx_sort_t sort_modes[] = { NEWSIDX_SORT_RANK, NEWSIDX_SORT_DATE,
                                                 NEWSIDX_SORT_DATE_ASC };
    const char *v;
    int flag, k;
    if ((v = proto_option(req, "limit")) && parse_uint(v, &opts->limit)) {
        snprintf(msg, msglen, "limit must be a number from 0 to %d", NEWSD_MAX_LIMIT);
        return -1;
    }
    /* The range and the sort it goes with are the index's to check. */
    if ((v = proto_option(req, "recency")) && parse_uint(v, &opts->recency_days)) {
        snprintf(msg, msglen, "recency must be a number of days from 0 to %d",
                 NEWSD_MAX_RECENCY_DAYS);
        return -1;
    }
    if ((v = proto_option(req, "offset")) && parse_uint(v, &opts->offset)) {
        snprintf(msg, msglen, "offset must be a number from 0 to %d", NEWSD_MAX_OFFSET);
        return -1;
    }
    static const char *const flags[] = { "exact", "partial", "explain", "collapse" };
    int *const flag_fields[] = { &opts->exact_total, &opts->partial, &opts->explain,
                                 &opts->collapse };
    for (int i = 0; i < 4; i++)
        if ((v = proto_option(req, flags[i]))) {
            if (parse_flag(v, &flag) != 0) {
                snprintf(msg, msglen, "%s must be 0 or 1", flags[i]);
                return -1;
            }
            *flag_fields[i] = flag;
        }
    opts->snippets = NEWSIDX_SNIPPET_FIRST;
    if ((v = proto_option(req, "snippet"))) {
        if ((k = pick(v, snippets)) < 0) {
            snprintf(msg, msglen, "snippet must be 0, 1 or best");
            return -1;
        }
        opts->snippets = snippet_modes[k];
    }
    if ((v = proto_option(req, "sort"))) {
        if ((k = pick(v, sorts)) < 0) {
            snprintf(msg, msglen, "sort must be rank, date or date_asc");
            return -1;
        }
        opts->sort = sort_modes[k];
    }
    /* The index checks the days (and the limit and offset ranges) and says which is wrong. */
    opts->since = proto_option(req, "since");
    opts->until = proto_option(req, "until");
    /* The lists are the index's to check (empty values, too many). */
    opts->source = proto_option(req, "source");
    opts->topic = proto_option(req, "topic");
    opts->place = proto_option(req, "place");
    opts->not_source = proto_option(req, "not_source");
    opts->not_topic = proto_option(req, "not_topic");
    opts->not_place = proto_option(req, "not_place");
    return facet_options(req, opts, msg, msglen);
}

/* The reply format of one request: format= or the connection's default. */
static int request_format(const proto_request_t *req, reply_format_t dflt,
                          reply_format_t *out, char *msg, size_t msglen)
{
    const char *v = proto_option(req, "format");
    *out = dflt;
    if (!v)
        return 0;
    if (strcmp(v, "json") == 0)
        *out = REPLY_JSON;
    else if (strcmp(v, "text") == 0)
        *out = REPLY_TEXT;
    else {
        snprintf(msg, msglen, "format must be text or json");
        return -1;
    }
    return 0;
}

/* ---- index statuses to wire errors ---- */

const char *cmd_status_code(newsidx_status_t st)
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

void cmd_shard_error(cmd_ctx_t *ctx, reply_format_t f, newsidx_reader_t *reader)
{
    const char *msg = newsidx_reader_error(reader);
    const char *shard = newsidx_reader_failed_shard(reader);
    LOG(LOG_WARN, "shard_unavailable", "conn=%" PRIu64 " shard=%s msg=\"%s\"", ctx->conn_id,
        shard, msg);
    atomic_fetch_add(&ctx->worker->srv->stats.errors, 1);
    last_error_code = "shard_unavailable";
    reply_error(ctx->out, f, "shard_unavailable", shard ? shard : "", msg);
}

void cmd_index_error(cmd_ctx_t *ctx, reply_format_t f, newsidx_status_t st, const char *msg)
{
    if (st != NEWSIDX_BAD_QUERY && st != NEWSIDX_BAD_ARGUMENT && st != NEWSIDX_NOT_FOUND)
        LOG(LOG_WARN, "index_error", "conn=%" PRIu64 " status=%s msg=\"%s\"", ctx->conn_id,
            newsidx_status_name(st), msg);
    if (st == NEWSIDX_TIMEOUT)
        cmd_error(ctx->worker->srv, ctx->out, f, "timeout", "query took longer than %u ms",
                  ctx->worker->srv->cfg.query_timeout_ms);
    else
        cmd_error(ctx->worker->srv, ctx->out, f, cmd_status_code(st), "%s",
                  msg && *msg ? msg : newsidx_status_name(st));
}

/* ---- authority for writes ---- */

/*
 * The one place that decides whether a request may run on this connection: a command
 * marked PROTO_WRITE in proto.c's table needs write authority, which a Unix socket
 * connection has from the start and a TCP connection gets from AUTH.  Returns 1, or 0
 * after appending the refusal.
 */
static int cmd_permitted(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
{
    server_t *srv = ctx->worker->srv;
    int writes = (req->command->flags & PROTO_WRITE) != 0;
    /* xapian-replicate overwrites a replica with its master's changes: a write made
     * here would vanish, or block the next replication. */
    if (writes && srv->cfg.replica) {
        cmd_error(srv, ctx->out, f, "read_only",
                  "%s is refused: the index is a replica kept by xapian-replicate; "
                  "write to its master", req->command->name);
        return 0;
    }
    if (!writes || ctx->auth->may_write)
        return 1;
    if (!ctx->auth->refused_logged)
        LOG(LOG_INFO, "write_refused", "conn=%" PRIu64 " peer=%s cmd=%s", ctx->conn_id,
            ctx->peer, req->command->name);
    ctx->auth->refused_logged = 1;
    if (server_auth_configured(srv))
        cmd_error(srv, ctx->out, f, "unauthorized",
                  "%s needs write authority on TCP: send AUTH with the token first, "
                  "or use the Unix socket", req->command->name);
    else
        cmd_error(srv, ctx->out, f, "unauthorized",
                  "%s is refused on TCP: newsd runs without --auth-token-file; "
                  "write through its Unix socket", req->command->name);
    return 0;
}

/* ---- dispatch ---- */

/* Runs a command whose reply has no fixed bound (SEARCH, SIMILAR, DUPS, GET) into a buffer
 * of its own, so
 * that a reply longer than --max-reply-bytes is replaced by ERR reply_too_large before any
 * of it is sent. */
static void capped(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f,
                   void (*run)(cmd_ctx_t *, const proto_request_t *, reply_format_t))
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

/* Replies to a line the parser refused, and logs it (a line that may carry a secret is
 * not quoted; the log lines of one connection are capped). */
static cmd_result_t refused(cmd_ctx_t *ctx, proto_status_t ps, const char *err,
                            const char *line, size_t len)
{
    const char *code = ps == PROTO_UNKNOWN_COMMAND ? "unknown_command" : "bad_request";
    unsigned seen = ctx->bad_requests ? (*ctx->bad_requests)++ : 0;
    if (LOG_ON(LOG_WARN) && seen < NEWSD_LOG_BAD_PER_CONN) {
        char why[NEWSD_LOG_SAMPLE_LEN * 4 + 8], sample[NEWSD_LOG_SAMPLE_LEN * 4 + 8];
        int secret = proto_is_secret_line(line, len);
        LOG(LOG_WARN, "bad_request", "conn=%" PRIu64 " peer=%s code=%s reason=\"%s\" sample=\"%s\"",
            ctx->conn_id, ctx->peer, code,
            secret ? "(AUTH line, not quoted)" : log_sample(why, sizeof why, err, strlen(err)),
            secret ? "AUTH (not quoted)" : log_sample(sample, sizeof sample, line, len));
    }
    cmd_error(ctx->worker->srv, ctx->out, *ctx->format, code, "%s", err);
    return ps == PROTO_HTTP ? CMD_CLOSE : CMD_DONE;
}

static cmd_result_t dispatch(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f,
                             const char *line, size_t len);

/* The row of reqstats a line counts under: its command, or the last row for a line that
 * names none. */
static unsigned stats_row(const char *line, size_t len)
{
    const proto_command_t *c = proto_find(line, len);
    return c ? (unsigned)c->cmd : REQSTATS_COMMANDS - 1;
}

cmd_result_t cmd_execute(cmd_ctx_t *ctx, const char *line, size_t len)
{
    server_t *srv = ctx->worker->srv;
    proto_request_t req;
    char err[512];   /* the longest message quotes a synopsis from HELP */
    uint64_t t0 = server_now_us();
    last_error_code = NULL;
    proto_status_t ps = proto_parse(line, len, &req, err, sizeof err);
    if (ps == PROTO_EMPTY)
        return CMD_DONE;
    atomic_fetch_add(&srv->stats.requests, 1);
    cmd_result_t rc;
    reply_format_t f;
    if (ps != PROTO_OK) {
        rc = refused(ctx, ps, err, line, len);
    } else if (request_format(&req, *ctx->format, &f, err, sizeof err) != 0) {
        cmd_error(srv, ctx->out, *ctx->format, "bad_request", "%s", err);
        rc = CMD_DONE;
    } else {
        rc = dispatch(ctx, &req, f, line, len);
    }
    /* a write is counted when its reply is made (cmd_write_reply) */
    if (rc != CMD_PENDING)
        reqstats_record(&srv->stats.reqs, stats_row(line, len), last_error_code,
                        server_now_us() - t0);
    return rc;
}

/* Runs one well-formed request. */
static cmd_result_t dispatch(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f,
                             const char *line, size_t len)
{
    if (LOG_ON(LOG_DEBUG)) {
        char sample[NEWSD_LOG_SAMPLE_LEN * 4 + 8];
        LOG(LOG_DEBUG, "request", "conn=%" PRIu64 " cmd=%s sample=\"%s\"", ctx->conn_id,
            req->command->name,
            proto_is_secret_line(line, len) ? "AUTH (not quoted)"
                                            : log_sample(sample, sizeof sample, line, len));
    }
    if (!cmd_permitted(ctx, req, f))
        return CMD_DONE;
    switch (req->command->cmd) {
    case PROTO_CMD_SEARCH: capped(ctx, req, f, cmd_search); break;
    case PROTO_CMD_COUNT: cmd_count(ctx, req, f); break;
    case PROTO_CMD_GET: capped(ctx, req, f, cmd_get); break;
    case PROTO_CMD_SIMILAR: capped(ctx, req, f, cmd_similar); break;
    case PROTO_CMD_DUPS: capped(ctx, req, f, cmd_dups); break;
    case PROTO_CMD_ADD:
    case PROTO_CMD_DELETE: return cmd_write(ctx, req, f);
    case PROTO_CMD_STATS: cmd_stats(ctx, f); break;
    case PROTO_CMD_PING: cmd_simple_ok(ctx, f, "reply", "pong"); break;
    case PROTO_CMD_HELP: cmd_help(ctx, f); break;
    case PROTO_CMD_QUIT:
        cmd_simple_ok(ctx, f, "reply", "bye");
        return CMD_CLOSE;
    case PROTO_CMD_FORMAT: cmd_format(ctx, req); break;
    case PROTO_CMD_REINDEX: cmd_reindex(ctx, req, f); break;
    case PROTO_CMD_STATUS: cmd_status(ctx, f); break;
    case PROTO_CMD_AUTH: return cmd_auth(ctx, req, f);
    case PROTO_CMD_COUNT_OF: break;
    }
    return CMD_DONE;
}
