/*
 * http.c: the HTTP side of newsd (see http.h): binding the --http addresses, each
 * worker's evhttp server (its limits, its listeners, pausing when out of descriptors),
 * the HTTP connections it counts against --max-connections, routing a request to its
 * endpoint (http_api.c, http_metrics.c, the page), responses with their headers (CORS),
 * and error codes as HTTP statuses.  Nothing here runs a command: http_api.c builds the
 * protocol line and cmd_execute runs it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "http_int.h"
#include "log.h"
#include "reply.h"

/* ---- binding (main thread) ---- */

/* Binds one --http HOST:PORT; fills *fd and name (the address bound).  Returns 0 or -1
 * (message printed). */
static int bind_http(const char *addr, int *fd, char *name, size_t namelen)
{
    struct sockaddr_storage ss;
    int sslen, one = 1;
    if (listen_resolve("--http", addr, &ss, &sslen) != 0)
        return -1;
    int s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, (struct sockaddr *)&ss, (socklen_t)sslen) != 0 ||
        listen(s, NEWSD_LISTEN_BACKLOG) != 0) {
        fprintf(stderr, "newsd: cannot listen on --http %s: %s\n", addr, strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    char host[64] = "?";
    unsigned port = 0;
    getsockname(s, (struct sockaddr *)&bound, &blen);
    if (bound.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&bound;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(name, namelen, "[%s]:%u", host, port);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&bound;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(name, namelen, "%s:%u", host, port);
    }
    *fd = s;
    return 0;
}

void http_close(main_ctx_t *m)
{
    for (size_t i = 0; i < m->nhttp; i++)
        if (m->http_fds[i] >= 0)
            close(m->http_fds[i]);
    m->nhttp = 0;
}

/* ---- one worker's server ---- */

static void request_cb(struct evhttp_request *req, void *arg);

static void set_listener(struct evhttp_bound_socket *b, void *arg)
{
    struct evconnlistener *lev = evhttp_bound_socket_get_listener(b);
    if (arg)
        evconnlistener_enable(lev);
    else
        evconnlistener_disable(lev);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_worker_t *hw = arg;
    hw->paused = 0;
    atomic_store(&hw->waiting, 0);
    if (hw->evh)
        evhttp_foreach_bound_socket(hw->evh, set_listener, hw);
}

/* The workers share each --http socket, and libevent's listener accepts until the
 * backlog is empty: a burst of connects would all go to the worker that woke first and
 * stay there, one core serving them while the others idle.  So the workers take the
 * connections in turn, as listen.c deals line protocol sockets: evhttp asks this for
 * each new connection's bufferevent, the listeners pause, and accept_again listens again
 * once no worker is behind this one.  A worker waiting for that is woken by the next
 * accept elsewhere (the accepts are counted before waiting is read, and waiting is set
 * before the counts are read, so one of the two sides sees the other). */
static struct bufferevent *new_conn_bev(struct event_base *base, void *arg)
{
    http_worker_t *hw = arg;
    server_t *srv = hw->w->srv;
    atomic_fetch_add(&hw->accepts, 1);
    for (unsigned i = 0; i < srv->cfg.workers; i++) {
        http_worker_t *o = srv->workers[i].http;
        if (o && o != hw && atomic_load(&o->waiting))
            server_wake(o->w);
    }
    if (hw->evh && !hw->paused) {
        evhttp_foreach_bound_socket(hw->evh, set_listener, NULL);
        event_active(hw->accept_ev, EV_TIMEOUT, 0);
    }
    return bufferevent_socket_new(base, -1, 0);   /* what evhttp makes without this hook */
}

/* 1 if hw has taken more connections than some other worker. */
static int ahead_of_others(const http_worker_t *hw)
{
    const server_t *srv = hw->w->srv;
    uint64_t mine = atomic_load(&hw->accepts);
    for (unsigned i = 0; i < srv->cfg.workers; i++) {
        const http_worker_t *o = srv->workers[i].http;
        if (o && o != hw && atomic_load(&o->accepts) < mine)
            return 1;
    }
    return 0;
}

/* Listens again, unless another worker is behind this one: then it waits, for the
 * other's next accept (http_worker_woken) or NEWSD_HTTP_ACCEPT_HANDOFF_MS at most (a
 * worker deep in a query must not hold new connections back), when it listens anyway. */
static void accept_again(http_worker_t *hw, int timed_out)
{
    if (!hw->evh || hw->paused)
        return;
    if (!timed_out) {
        int was_waiting = atomic_exchange(&hw->waiting, 1);
        if (ahead_of_others(hw)) {
            if (!was_waiting) {
                struct timeval tv = { NEWSD_HTTP_ACCEPT_HANDOFF_MS / 1000,
                                      (NEWSD_HTTP_ACCEPT_HANDOFF_MS % 1000) * 1000 };
                evtimer_add(hw->accept_ev, &tv);
            }
            return;
        }
        evtimer_del(hw->accept_ev);
    }
    atomic_store(&hw->waiting, 0);
    evhttp_foreach_bound_socket(hw->evh, set_listener, hw);
}

static void accept_again_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_worker_t *hw = arg;
    accept_again(hw, atomic_load(&hw->waiting));
}

void http_worker_woken(worker_t *w)
{
    if (w->http && atomic_load(&w->http->waiting))
        accept_again(w->http, 0);
}

/* Out of descriptors (or memory), a listener would report the same pending connect
 * forever: this worker stops accepting HTTP for NEWSD_ACCEPT_RETRY_MS (as listen.c). */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
    http_worker_t *hw = arg;
    int err = EVUTIL_SOCKET_ERROR();
    LOG(LOG_ERROR, "accept", "http=1 fd=%d errno=%d msg=\"%s\"", (int)evconnlistener_get_fd(lev),
        err, evutil_socket_error_to_string(err));
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
        return;
    hw->paused = 1;
    evhttp_foreach_bound_socket(hw->evh, set_listener, NULL);
    struct timeval tv = { NEWSD_ACCEPT_RETRY_MS / 1000, (NEWSD_ACCEPT_RETRY_MS % 1000) * 1000 };
    evtimer_add(hw->retry_ev, &tv);
}

/* Worker w's evhttp, accepting on copies of the bound sockets.  Returns 0 or -1. */
static int worker_open(worker_t *w, const main_ctx_t *m)
{
    server_t *srv = w->srv;
    http_worker_t *hw = calloc(1, sizeof *hw);
    if (!hw)
        return -1;
    w->http = hw;
    hw->w = w;
    hw->evh = evhttp_new(w->base);
    hw->retry_ev = evtimer_new(w->base, retry_cb, hw);
    hw->accept_ev = event_new(w->base, -1, 0, accept_again_cb, hw);
    if (!hw->evh || !hw->retry_ev || !hw->accept_ev)
        return -1;
    evhttp_set_bevcb(hw->evh, new_conn_bev, hw);
    unsigned idle = srv->cfg.idle_timeout_s < NEWSD_HTTP_IDLE_TIMEOUT_S ? srv->cfg.idle_timeout_s
                                                                       : NEWSD_HTTP_IDLE_TIMEOUT_S;
    evhttp_set_timeout(hw->evh, (int)idle);
    evhttp_set_max_headers_size(hw->evh, NEWSD_HTTP_MAX_HEADERS);
    evhttp_set_max_body_size(hw->evh, NEWSD_HTTP_MAX_BODY);
    evhttp_set_allowed_methods(hw->evh, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(hw->evh, request_cb, hw);
    for (size_t i = 0; i < m->nhttp; i++) {
        int fd = fcntl(m->http_fds[i], F_DUPFD_CLOEXEC, 0);
        struct evhttp_bound_socket *b = fd >= 0 ? evhttp_accept_socket_with_handle(hw->evh, fd)
                                                : NULL;
        if (!b) {
            if (fd >= 0)
                close(fd);
            fprintf(stderr, "newsd: cannot listen on --http %s: %s\n", m->http_names[i],
                    strerror(errno));
            return -1;
        }
        evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(b), accept_error_cb);
    }
    return 0;
}

int http_open(main_ctx_t *m)
{
    server_t *srv = m->srv;
    for (size_t i = 0; i < srv->cfg.nhttp; i++) {
        if (bind_http(srv->cfg.http[i], &m->http_fds[i], m->http_names[i],
                      sizeof m->http_names[i]) != 0)
            return -1;
        m->nhttp++;
    }
    if (m->nhttp == 0)
        return 0;
    for (unsigned i = 0; i < srv->cfg.workers; i++)
        if (worker_open(&srv->workers[i], m) != 0) {
            fprintf(stderr, "newsd: cannot set up HTTP on worker %u\n", i);
            return -1;
        }
    return 0;
}

/* Closes w's server: its listeners and every HTTP connection (their close callbacks give
 * back the connection slots). */
static void worker_close(http_worker_t *hw)
{
    if (!hw->evh)
        return;
    evhttp_free(hw->evh);
    hw->evh = NULL;
}

void http_worker_stop(worker_t *w)
{
    http_worker_t *hw = w->http;
    if (!hw)
        return;
    hw->stopping = 1;
    if (hw->writes_out == 0)
        worker_close(hw);
}

int http_worker_busy(const worker_t *w)
{
    return w->http && w->http->evh;
}

void http_worker_free(worker_t *w)
{
    http_worker_t *hw = w->http;
    if (!hw)
        return;
    worker_close(hw);
    if (hw->retry_ev)
        event_free(hw->retry_ev);
    if (hw->accept_ev)
        event_free(hw->accept_ev);
    for (size_t b = 0; b < NEWSD_HTTP_CONN_BUCKETS; b++)
        while (hw->conns[b]) {
            http_conn_t *c = hw->conns[b];
            hw->conns[b] = c->next;
            free(c);
        }
    free(hw);
    w->http = NULL;
}

/* A write batch of hw was answered: at shutdown, the server closes after its last one. */
void http_batch_finished(http_worker_t *hw)
{
    hw->writes_out--;
    if (hw->stopping && hw->writes_out == 0) {
        worker_close(hw);
        worker_conn_gone(hw->w);
    }
}

/* ---- connections ---- */

static size_t bucket_of(const struct evhttp_connection *evcon)
{
    return ((uintptr_t)evcon >> 4) % NEWSD_HTTP_CONN_BUCKETS;
}

static http_conn_t *conn_find(http_worker_t *hw, const struct evhttp_connection *evcon)
{
    for (http_conn_t *c = hw->conns[bucket_of(evcon)]; c; c = c->next)
        if (c->evcon == evcon)
            return c;
    return NULL;
}

/* evhttp frees a connection: its slot is free again. */
static void conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
    http_worker_t *hw = arg;
    http_conn_t **p = &hw->conns[bucket_of(evcon)];
    while (*p && (*p)->evcon != evcon)
        p = &(*p)->next;
    if (!*p)
        return;
    http_conn_t *c = *p;
    *p = c->next;
    LOG(LOG_DEBUG, "close", "conn=%" PRIu64 " peer=%s http=1", c->id, c->peer);
    free(c);
    atomic_fetch_sub(&hw->w->srv->stats.http_conns_open, 1);
    server_conn_closed(hw->w->srv, 0);
}

/* Adds one to *n unless it is already cap: 1, or 0 when full.  Every worker takes HTTP
 * slots at once, so the test and the add are one step. */
static int take_slot(atomic_uint_fast64_t *n, uint64_t cap)
{
    uint_fast64_t v = atomic_load(n);
    do {
        if (v >= cap)
            return 0;
    } while (!atomic_compare_exchange_weak(n, &v, v + 1));
    return 1;
}

/* A connection's first request: it takes a slot of --max-connections, as a line
 * protocol connection does at accept (libevent accepts HTTP connections itself).  NULL
 * when over the cap (or out of memory). */
static http_conn_t *conn_add(http_worker_t *hw, struct evhttp_connection *evcon)
{
    server_t *srv = hw->w->srv;
    http_conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (!take_slot(&srv->stats.conns_open, srv->cfg.max_connections)) {
        free(c);
        return NULL;
    }
    if (!take_slot(&srv->stats.tcp_conns_open, listen_tcp_cap(srv->cfg.max_connections))) {
        atomic_fetch_sub(&srv->stats.conns_open, 1);
        free(c);
        return NULL;
    }
    c->evcon = evcon;
    c->hw = hw;
    c->id = atomic_fetch_add(&srv->next_conn_id, 1) + 1;
    char *addr = NULL;
    uint16_t port = 0;
    evhttp_connection_get_peer(evcon, &addr, &port);
    snprintf(c->peer, sizeof c->peer, "%s:%u", addr ? addr : "?", (unsigned)port);
    size_t b = bucket_of(evcon);
    c->next = hw->conns[b];
    hw->conns[b] = c;
    evhttp_connection_set_closecb(evcon, conn_closed_cb, hw);
    atomic_fetch_add(&srv->stats.http_conns_open, 1);
    atomic_fetch_add(&srv->stats.conns_total, 1);
    LOG(LOG_DEBUG, "accept", "conn=%" PRIu64 " peer=%s http=1", c->id, c->peer);
    return c;
}

/* ---- responses ---- */

/* The HTTP status of an error code (newsd(8), "HTTP"). */
static int status_of_code(const char *code, size_t len)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {
        { "bad_request", 400 }, { "bad_query", 400 }, { "unknown_command", 400 },
        { "too_long", 400 }, { "not_found", 404 }, { "unauthorized", 401 },
        { "forbidden", 403 }, { "read_only", 403 }, { "busy", 503 }, { "timeout", 504 },
        { "shard_unavailable", 503 }, { "unsupported", 501 },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].code) == len && memcmp(map[i].code, code, len) == 0)
            return map[i].status;
    return 500;   /* internal, reply_too_large, and any code added later */
}

int http_status_of(struct evbuffer *reply)
{
    static const char prefix[] = "{\"status\":\"error\",\"code\":\"";
    size_t n = evbuffer_get_length(reply), plen = sizeof prefix - 1;
    size_t look = n < plen + 64 ? n : plen + 64;
    const char *p = (const char *)evbuffer_pullup(reply, (ev_ssize_t)look);
    if (!p || look < plen || memcmp(p, prefix, plen) != 0)
        return 200;
    const char *code = p + plen, *end = memchr(code, '"', look - plen);
    return end ? status_of_code(code, (size_t)(end - code)) : 500;
}

static const char *reason_of(int code)
{
    switch (code) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Internal Server Error";
    }
}

void http_send(http_worker_t *hw, struct evhttp_request *req, int code, const char *type,
               struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (type)
        evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    const char *origin = hw->w->srv->cfg.http_cors;
    if (origin) {
        evhttp_add_header(h, "Access-Control-Allow-Origin", origin);
        evhttp_add_header(h, "Vary", "Origin");
    }
    if (code == 503)
        evhttp_add_header(h, "Retry-After", "1");
    evhttp_send_reply(req, code, reason_of(code), body);
}

void http_send_error(http_worker_t *hw, struct evhttp_request *req, int code,
                     const char *err_code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct evbuffer *body = evbuffer_new();
    if (!body) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    atomic_fetch_add(&hw->w->srv->stats.errors, 1);
    reply_error(body, REPLY_JSON, err_code, NULL, msg);
    http_send(hw, req, code, "application/json", body);
    evbuffer_free(body);
}

/* ---- routing ---- */

/* The page's files (http_assets.h); "/" is /index.html. */
static void serve_asset(http_worker_t *hw, struct evhttp_request *req, const char *path,
                        size_t len)
{
    if (len == 1)
        path = "/index.html", len = strlen(path);
    for (size_t i = 0; i < http_nassets; i++) {
        const http_asset_t *a = &http_assets[i];
        if (strlen(a->path) != len || memcmp(a->path, path, len) != 0)
            continue;
        struct evbuffer *body = evbuffer_new();
        if (!body) {
            evhttp_send_error(req, 500, NULL);
            return;
        }
        evbuffer_add_reference(body, a->data, a->len, NULL, NULL);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        /* everything the page loads is its own: no other origin, no inline script */
        evhttp_add_header(h, "Content-Security-Policy",
                          "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "connect-src 'self'; img-src 'self'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'");
        evhttp_add_header(h, "Cache-Control", "no-cache");
        http_send(hw, req, 200, a->type, body);
        evbuffer_free(body);
        return;
    }
    http_send_error(hw, req, 404, "not_found", "no such page: %.*s", (int)(len > 200 ? 200 : len),
                    path);
}

/* Writes need the token: 403 without one configured, 401 without a match.  1 when the
 * request may write. */
static int authorized(http_call_t *call)
{
    server_t *srv = call->hw->w->srv;
    struct evhttp_request *req = call->req;
    if (!server_auth_configured(srv)) {
        http_send_error(call->hw, req, 403, "forbidden",
                        "writes over HTTP need newsd to run with --auth-token-file");
        return 0;
    }
    const char *a = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (a && strncasecmp(a, "Bearer ", 7) == 0) {
        const char *t = a + 7;
        while (*t == ' ')
            t++;
        size_t n = strlen(t);
        while (n && t[n - 1] == ' ')
            n--;
        if (server_auth_matches(srv, t, n))
            return call->may_write = 1;
    }
    LOG(LOG_INFO, "write_refused", "conn=%" PRIu64 " peer=%s http=1 auth=%s", call->conn->id,
        call->conn->peer, a ? "wrong" : "none");
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                      "Bearer realm=\"newsd\"");
    http_send_error(call->hw, req, 401, "unauthorized",
                    "a write needs the header Authorization: Bearer TOKEN, with the token of "
                    "--auth-token-file");
    return 0;
}

static void not_allowed(http_call_t *call, const char *allow)
{
    evhttp_add_header(evhttp_request_get_output_headers(call->req), "Allow", allow);
    http_send_error(call->hw, call->req, 405, "bad_request", "method not allowed here: %s",
                    allow);
}

/* OPTIONS: a CORS preflight, answered only with --http-cors. */
static void preflight(http_call_t *call)
{
    if (!call->hw->w->srv->cfg.http_cors) {
        not_allowed(call, "GET, HEAD, POST, DELETE");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(call->req);
    evhttp_add_header(h, "Access-Control-Allow-Methods", "GET, HEAD, POST, DELETE");
    evhttp_add_header(h, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    evhttp_add_header(h, "Access-Control-Max-Age", "600");
    http_send(call->hw, call->req, 204, NULL, NULL);
}

static int is(const char *path, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(path, name, len) == 0;
}

static void route(http_call_t *call, const char *uri)
{
    enum evhttp_cmd_type m = evhttp_request_get_command(call->req);
    int get = m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD;
    size_t len = strcspn(uri, "?#");
    const char *query = uri[len] == '?' ? uri + len + 1 : "";
    char qbuf[NEWSD_HTTP_MAX_TARGET + 1];
    size_t qlen = strcspn(query, "#");   /* a fragment, if a client sent one, is not ours */
    memcpy(qbuf, query, qlen);
    qbuf[qlen] = '\0';
    if (m == EVHTTP_REQ_OPTIONS) {
        preflight(call);
    } else if (is(uri, len, "/search") || is(uri, len, "/count") || is(uri, len, "/stats")) {
        const char *cmd = uri[1] == 's' ? (uri[2] == 'e' ? "SEARCH" : "STATS") : "COUNT";
        if (get)
            http_api_read(call, cmd, qbuf, uri[2] == 't' ? NULL : "q", NULL, 0);
        else
            not_allowed(call, "GET, HEAD");
    } else if (len > 5 && memcmp(uri, "/doc/", 5) == 0) {
        if (m == EVHTTP_REQ_DELETE) {
            if (authorized(call))
                http_api_delete(call, uri + 5, len - 5, qbuf);
        } else if (get) {
            http_api_read(call, "GET", qbuf, NULL, uri + 5, len - 5);
        } else {
            not_allowed(call, "GET, HEAD, DELETE");
        }
    } else if (len > 9 && memcmp(uri, "/similar/", 9) == 0) {
        if (get)
            http_api_read(call, "SIMILAR", qbuf, NULL, uri + 9, len - 9);
        else
            not_allowed(call, "GET, HEAD");
    } else if (len > 6 && memcmp(uri, "/dups/", 6) == 0) {
        if (get)
            http_api_read(call, "DUPS", qbuf, NULL, uri + 6, len - 6);
        else
            not_allowed(call, "GET, HEAD");
    } else if (is(uri, len, "/doc")) {
        if (m != EVHTTP_REQ_POST)
            not_allowed(call, "POST");
        else if (authorized(call))
            http_api_add(call, qbuf);
    } else if (is(uri, len, "/reindex")) {
        if (m != EVHTTP_REQ_POST)
            not_allowed(call, "POST");
        else if (authorized(call))
            http_api_read(call, "REINDEX", qbuf, "path", NULL, 0);
    } else if (is(uri, len, "/healthz")) {
        get ? http_api_health(call) : not_allowed(call, "GET, HEAD");
    } else if (is(uri, len, "/metrics")) {
        get ? http_metrics(call) : not_allowed(call, "GET, HEAD");
    } else if (get) {
        serve_asset(call->hw, call->req, uri, len);
    } else {
        http_send_error(call->hw, call->req, 404, "not_found", "no endpoint %.*s",
                        (int)(len > 200 ? 200 : len), uri);
    }
}

static void request_cb(struct evhttp_request *req, void *arg)
{
    http_worker_t *hw = arg;
    server_t *srv = hw->w->srv;
    hw->w->activity++;   /* a client's request: --busy-poll-us counts it */
    http_call_t call = { hw, NULL, req, 0 };
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    call.conn = conn_find(hw, evcon);
    if (!call.conn && !(call.conn = conn_add(hw, evcon))) {
        atomic_fetch_add(&srv->stats.conns_rejected, 1);
        LOG(LOG_WARN, "conn_rejected", "http=1 reason=max_connections max=%u tcp_max=%u",
            srv->cfg.max_connections, listen_tcp_cap(srv->cfg.max_connections));
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        http_send_error(hw, req, 503, "busy", "too many connections");
        return;
    }
    const char *uri = evhttp_request_get_uri(req);
    if (strlen(uri) > NEWSD_HTTP_MAX_TARGET) {
        http_send_error(hw, req, 414, "bad_request", "request target longer than %d bytes",
                        NEWSD_HTTP_MAX_TARGET);
        return;
    }
    if (uri[0] != '/') {
        http_send_error(hw, req, 400, "bad_request", "the request target must be a path");
        return;
    }
    route(&call, uri);
}
