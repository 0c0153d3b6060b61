/*
 * http_api.c: the JSON API's endpoints (newsd(8), "HTTP").  Each request becomes the
 * protocol line it stands for, "SEARCH format=json limit=5 -- QUERY" for
 * /search?q=QUERY&limit=5, and runs through cmd_execute like a line of the line protocol:
 * the parser (proto.c) checks the options, so every option of a command works here as it
 * lands, and a parameter that is no option of the command gets the line protocol's
 * error.  The JSON reply is the body; its error code gives the HTTP status (http.c).
 * Writes are handed to the writer by the same code, a batch of them per request, and
 * answered when the last is back (http_write_done).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "cmd.h"
#include "http_int.h"
#include "log.h"
#include "writer.h"

/* The writes of one POST /doc or DELETE /doc/ID, and their replies in request order. */
typedef struct http_batch {
    http_worker_t *hw;
    struct evhttp_request *req;
    unsigned n;                       /* writes (articles) */
    unsigned left;                    /* of them still with the writer */
    int many;                         /* JSON Lines: the response lists every reply */
    struct evbuffer *replies[];       /* one per write */
} http_batch_t;

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) (and '+' to a space when plus) into out (len + 1 bytes);
 * returns the decoded length, or -1 on a malformed escape. */
static long http_decode(const char *s, size_t len, int plus, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1, lo = hi >= 0 ? hexval(s[i + 2]) : -1;
            if (lo < 0)
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = plus && s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return (long)o;
}

/* Runs one protocol line for call; the reply goes to out. */
static cmd_result_t run_line(http_call_t *call, struct evbuffer *line, struct evbuffer *out,
                             http_batch_t *batch, unsigned slot)
{
    reply_format_t format = REPLY_JSON;
    cmd_auth_t auth = { 0, call->may_write, 0, 0 };
    unsigned bad = 0;
    cmd_ctx_t ctx = { call->hw->w, NULL, call->conn->id, call->conn->peer, &format, out,
                      &auth, &bad, batch, slot };
    size_t len = evbuffer_get_length(line);
    const char *p = (const char *)evbuffer_pullup(line, (ev_ssize_t)len);
    return cmd_execute(&ctx, p ? p : "", p ? len : 0);
}

/* A name as the client sent it, made printable for a message. */
static const char *shown(const char *s, char *buf, size_t buflen)
{
    size_t o = 0;
    for (; *s && o + 1 < buflen; s++)
        buf[o++] = (*s >= 0x20 && *s < 0x7f && *s != '\'') ? *s : '?';
    buf[o] = '\0';
    return buf;
}

/*
 * Appends " name=value" for each parameter of query (after percent-decoding) to line,
 * and the argument parameter arg_param's value to arg (several joined by spaces when
 * multi).  Returns 0, or -1 after sending the error.  Only what the line cannot carry is
 * refused here: a name that is no option name, a value with a space or tab (which would
 * end it), format (always json); the parser judges the rest.
 */
static int add_params(http_call_t *call, const char *command, const char *query,
                      const char *arg_param, int multi, struct evbuffer *line,
                      struct evbuffer *arg)
{
    char name[NEWSD_HTTP_MAX_TARGET + 1], value[NEWSD_HTTP_MAX_TARGET + 1], show[64];
    int arg_seen = 0;
    for (const char *p = query; *p;) {
        size_t n = strcspn(p, "&;");
        size_t eq = strcspn(p, "=");
        size_t nl = eq < n ? eq : n;
        long vl = 0;
        if (n == 0) {
            p++;
            continue;
        }
        if (http_decode(p, nl, 1, name) < 0 ||
            (vl = eq < n ? http_decode(p + eq + 1, n - eq - 1, 1, value) : (value[0] = '\0', 0)) <
                0) {
            http_send_error(call->hw, call->req, 400, "bad_request",
                            "bad percent-encoding in the query string");
            return -1;
        }
        p += n + (p[n] != '\0');
        if (arg_param && strcmp(name, arg_param) == 0) {
            if (arg_seen++ && !multi) {
                http_send_error(call->hw, call->req, 400, "bad_request",
                                "parameter '%s' given twice", arg_param);
                return -1;
            }
            if (arg_seen > 1)
                evbuffer_add(arg, " ", 1);
            evbuffer_add(arg, value, (size_t)vl);
            continue;
        }
        size_t k = 0;
        while ((name[k] >= 'a' && name[k] <= 'z') || name[k] == '_')
            k++;
        if (k == 0 || name[k] || strcmp(name, "format") == 0) {
            http_send_error(call->hw, call->req, 400, "bad_request",
                            "unknown option '%s' for %s%s", shown(name, show, sizeof show),
                            command,
                            strcmp(name, "format") == 0 ? " over HTTP (replies are JSON)" : "");
            return -1;
        }
        if (strcspn(value, " \t") != (size_t)vl && memchr(value, '\0', (size_t)vl) == NULL) {
            http_send_error(call->hw, call->req, 400, "bad_request",
                            "the value of '%s' may not hold a space or a tab", name);
            return -1;
        }
        evbuffer_add_printf(line, " %s=", name);
        evbuffer_add(line, value, (size_t)vl);
    }
    return 0;
}

/* Sends the reply of a command (its status from its error code). */
static void send_reply(http_worker_t *hw, struct evhttp_request *req, struct evbuffer *out)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Cache-Control", "no-store");
    http_send(hw, req, http_status_of(out), "application/json", out);
}

void http_api_read(http_call_t *call, const char *command, const char *query,
                   const char *arg_param, const char *arg, size_t arg_len)
{
    struct evbuffer *line = evbuffer_new(), *argbuf = evbuffer_new(), *out = evbuffer_new();
    if (!line || !argbuf || !out) {
        http_send_error(call->hw, call->req, 500, "internal", "out of memory");
        goto done;
    }
    evbuffer_add_printf(line, "%s format=json", command);
    if (add_params(call, command, query, arg_param, strcmp(command, "REINDEX") == 0, line,
                   argbuf) != 0)
        goto done;
    if (arg) {
        char id[NEWSD_HTTP_MAX_TARGET + 1];
        long n = http_decode(arg, arg_len, 0, id);
        if (n < 0) {
            http_send_error(call->hw, call->req, 400, "bad_request",
                            "bad percent-encoding in the path");
            goto done;
        }
        evbuffer_add(argbuf, id, (size_t)n);
    }
    if (evbuffer_get_length(argbuf)) {
        evbuffer_add(line, " -- ", 4);
        evbuffer_add_buffer(line, argbuf);
    }
    run_line(call, line, out, NULL, 0);
    send_reply(call->hw, call->req, out);
done:
    if (line)
        evbuffer_free(line);
    if (argbuf)
        evbuffer_free(argbuf);
    if (out)
        evbuffer_free(out);
}

/* ---- writes ---- */

static void batch_free(http_batch_t *b)
{
    for (unsigned i = 0; i < b->n; i++)
        if (b->replies[i])
            evbuffer_free(b->replies[i]);
    free(b);
}

/* Every write of b is answered: one reply as it is, or JSON Lines' summary with each. */
static void batch_send(http_batch_t *b)
{
    if (!b->many) {
        send_reply(b->hw, b->req, b->replies[0]);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (!body) {
        http_send_error(b->hw, b->req, 500, "internal", "out of memory");
        return;
    }
    unsigned failed = 0;
    int status = 200;
    for (unsigned i = 0; i < b->n; i++) {
        int s = http_status_of(b->replies[i]);
        if (s != 200 && failed++ == 0)
            status = s;
    }
    evbuffer_add_printf(body, "{\"status\":\"%s\",\"written\":%u,\"failed\":%u,\"results\":[",
                        failed ? "error" : "ok", b->n - failed, failed);
    for (unsigned i = 0; i < b->n; i++) {
        struct evbuffer *r = b->replies[i];
        size_t len = evbuffer_get_length(r);
        const char *p = (const char *)evbuffer_pullup(r, (ev_ssize_t)len);
        while (len && p[len - 1] == '\n')
            len--;
        if (i)
            evbuffer_add(body, ",", 1);
        evbuffer_add(body, p, len);
    }
    evbuffer_add(body, "]}\n", 3);
    evhttp_add_header(evhttp_request_get_output_headers(b->req), "Cache-Control", "no-store");
    http_send(b->hw, b->req, status, "application/json", body);
    evbuffer_free(body);
}

void http_write_done(worker_t *w, write_req_t *req)
{
    http_batch_t *b = req->http_batch;
    cmd_write_reply(w->srv, req, b->replies[req->http_slot]);
    write_req_free(req);
    if (--b->left > 0)
        return;
    http_worker_t *hw = b->hw;
    batch_send(b);
    batch_free(b);
    http_batch_finished(hw);
}

/* Runs the writes of lines (n of them, each lines[i] of lens[i] bytes) as one batch
 * behind prefix ("ADD format=json"). */
static void run_batch(http_call_t *call, struct evbuffer *prefix, const char *const *lines,
                      const size_t *lens, unsigned n, int many)
{
    http_batch_t *b = calloc(1, sizeof *b + n * sizeof b->replies[0]);
    struct evbuffer *line = evbuffer_new();
    if (!b || !line) {
        free(b);
        if (line)
            evbuffer_free(line);
        http_send_error(call->hw, call->req, 500, "internal", "out of memory");
        return;
    }
    b->hw = call->hw;
    b->req = call->req;
    b->n = n;
    b->many = many;
    b->left = 1;   /* held until every write is handed over, so none can finish b early */
    for (unsigned i = 0; i < n; i++) {
        b->replies[i] = evbuffer_new();
        if (!b->replies[i])
            break;
        evbuffer_drain(line, evbuffer_get_length(line));
        const char *p = (const char *)evbuffer_pullup(prefix, -1);
        evbuffer_add(line, p, evbuffer_get_length(prefix));
        evbuffer_add(line, " -- ", 4);
        evbuffer_add(line, lines[i], lens[i]);
        if (lens[i] > NEWSD_MAX_LINE) {
            cmd_error(call->hw->w->srv, b->replies[i], REPLY_JSON, "too_long",
                      "article %u is longer than %u bytes", i + 1, NEWSD_MAX_LINE);
            continue;
        }
        if (run_line(call, line, b->replies[i], b, i) == CMD_PENDING)
            b->left++;
    }
    evbuffer_free(line);
    for (unsigned i = 0; i < n; i++)
        if (!b->replies[i]) {
            http_send_error(call->hw, call->req, 500, "internal", "out of memory");
            if (b->left == 1)
                batch_free(b);   /* else a write still refers to it: freed when back */
            return;
        }
    call->hw->writes_out++;
    if (--b->left == 0) {
        batch_send(b);
        batch_free(b);
        http_batch_finished(call->hw);
    }
}

void http_api_delete(http_call_t *call, const char *id, size_t id_len, const char *query)
{
    char buf[NEWSD_HTTP_MAX_TARGET + 1];
    struct evbuffer *prefix = evbuffer_new();
    long n = http_decode(id, id_len, 0, buf);
    if (!prefix || n < 0) {
        http_send_error(call->hw, call->req, n < 0 ? 400 : 500, n < 0 ? "bad_request" : "internal",
                        n < 0 ? "bad percent-encoding in the path" : "out of memory");
    } else {
        evbuffer_add_printf(prefix, "DELETE format=json");
        if (add_params(call, "DELETE", query, NULL, 0, prefix, NULL) == 0) {
            const char *lines[1] = { buf };
            size_t lens[1] = { (size_t)n };
            run_batch(call, prefix, lines, lens, 1, 0);
        }
    }
    if (prefix)
        evbuffer_free(prefix);
}

/* The articles of a POST /doc body: one JSON object (on one line, or spread over several,
 * then written again on one), or JSON Lines (blank lines skipped).  Returns how many,
 * with each in lines/lens (pointing into body, or into *joined, which the caller frees),
 * or -1 after sending the error. */
static long split_articles(http_call_t *call, char *body, size_t len, const char **lines,
                           size_t *lens, char **joined)
{
    *joined = NULL;
    while (len && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
        len--;
    if (memchr(body, '\n', len)) {
        json_t *one = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        if (one && json_is_object(one))
            *joined = json_dumps(one, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(one);
        if (*joined) {
            lines[0] = *joined;
            lens[0] = strlen(*joined);
            return 1;
        }
    }
    long n = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && body[e] != '\n')
            e++;
        size_t end = e;
        while (end > i && (body[end - 1] == '\r' || body[end - 1] == ' ' || body[end - 1] == '\t'))
            end--;
        if (end > i) {
            if (n == NEWSD_HTTP_MAX_DOCS) {
                http_send_error(call->hw, call->req, 400, "bad_request",
                                "more than %d articles in one POST /doc: nothing was written",
                                NEWSD_HTTP_MAX_DOCS);
                return -1;
            }
            lines[n] = body + i;
            lens[n++] = end - i;
        }
        i = e + 1;
    }
    if (n == 0)
        http_send_error(call->hw, call->req, 400, "bad_request",
                        "POST /doc needs a body: one JSON article, or JSON Lines");
    return n ? n : -1;
}

void http_api_add(http_call_t *call, const char *query)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(call->req);
    size_t len = evbuffer_get_length(in);
    char *body = len ? (char *)evbuffer_pullup(in, (ev_ssize_t)len) : (char *)"";
    struct evbuffer *prefix = evbuffer_new();
    const char **lines = calloc(NEWSD_HTTP_MAX_DOCS, sizeof *lines);
    size_t *lens = calloc(NEWSD_HTTP_MAX_DOCS, sizeof *lens);
    char *joined = NULL;
    if (!prefix || !lines || !lens || !body) {
        http_send_error(call->hw, call->req, 500, "internal", "out of memory");
    } else {
        evbuffer_add_printf(prefix, "ADD format=json");
        long n;
        if (add_params(call, "ADD", query, NULL, 0, prefix, NULL) == 0 &&
            (n = split_articles(call, body, len, lines, lens, &joined)) > 0) {
            int many = joined == NULL && n > 1;
            run_batch(call, prefix, lines, lens, (unsigned)n, many);
        }
    }
    free(joined);
    free(lines);
    free(lens);
    if (prefix)
        evbuffer_free(prefix);
}

/* ---- health ---- */

void http_api_health(http_call_t *call)
{
    worker_t *w = call->hw->w;
    server_t *srv = w->srv;
    newsidx_reader_t *reader = worker_reader(w);
    uint64_t docs = 0;
    newsidx_status_t st = reader ? newsidx_reader_doc_count(reader, &docs) : NEWSIDX_INTERNAL;
    if (st != NEWSIDX_OK) {
        http_send_error(call->hw, call->req, 503, "internal", "the index cannot be read: %s",
                        reader ? newsidx_reader_error(reader) : "no reader");
        return;
    }
    if (atomic_load(&srv->stats.writer_failing)) {
        http_send_error(call->hw, call->req, 503, "internal",
                        "the last commit failed: writes are failing (see the log)");
        return;
    }
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        http_send_error(call->hw, call->req, 500, "internal", "out of memory");
        return;
    }
    evbuffer_add_printf(out, "{\"status\":\"ok\",\"documents\":%" PRIu64
                        ",\"index_generation\":%" PRIuFAST64 "}\n",
                        docs, atomic_load(&srv->index_gen));
    send_reply(call->hw, call->req, out);
    evbuffer_free(out);
}
