/*
 * http_int.h: what the HTTP files share inside the server: each worker's HTTP state
 * (http.c: listeners, connections, routing), the API's endpoints (http_api.c: requests
 * turned into protocol lines run by cmd_execute, writes answered later), the metrics
 * (http_metrics.c) and the page built into the binary (http_assets[], which
 * daemon/server/www/embed.sh generates at build time).
 */
#ifndef NEWSD_HTTP_INT_H
#define NEWSD_HTTP_INT_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include <event2/http.h>

#include "http.h"

struct evbuffer;

typedef struct http_conn http_conn_t;

typedef struct http_worker {
    worker_t *w;
    struct evhttp *evh;               /* NULL once closed (shutdown) */
    struct event *retry_ev;           /* listens again after running out of descriptors */
    struct event *accept_ev;          /* listens again after taking one connection */
    int paused;                       /* out of descriptors: not listening until retry_ev */
    atomic_uint_fast64_t accepts;     /* connections taken (read by the other workers) */
    atomic_int waiting;               /* not listening until a worker behind catches up */
    http_conn_t *conns[NEWSD_HTTP_CONN_BUCKETS];   /* by evhttp_connection */
    unsigned writes_out;              /* write batches with the writer */
    int stopping;                     /* SIGTERM came: close once writes_out is 0 */
} http_worker_t;

/* One HTTP connection that has made a request. */
struct http_conn {
    http_conn_t *next;                /* in its bucket */
    struct evhttp_connection *evcon;
    http_worker_t *hw;
    uint64_t id;                      /* for the log, as a line connection's */
    char peer[64];
};

/* What one request is: the worker, its connection, and whether it may write. */
typedef struct http_call {
    http_worker_t *hw;
    http_conn_t *conn;
    struct evhttp_request *req;
    int may_write;                    /* Authorization matched the write token */
} http_call_t;

/* ---- http.c ---- */
/* Sends body (may be NULL) as req's response with status code, Content-Type type (NULL:
 * none) and the CORS headers; body is emptied, not freed. */
void http_send(http_worker_t *hw, struct evhttp_request *req, int code, const char *type,
               struct evbuffer *body);
/* Sends {"status":"error","code":err_code,"message":...} with HTTP status code. */
void http_send_error(http_worker_t *hw, struct evhttp_request *req, int code,
                     const char *err_code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A write batch of hw was answered (http_api.c): at shutdown the server closes after the
 * last. */
void http_batch_finished(http_worker_t *hw);
/* The HTTP status of a JSON reply made by the command code: 200, or its error's. */
int http_status_of(struct evbuffer *reply);

/* ---- http_api.c ---- */
/* GET /search, /count, /doc/ID, /similar/ID, /dups/ID, /stats and POST /reindex: the protocol line of command
 * with query's parameters as options, run and its reply sent.  The argument is the
 * parameter arg_param (NULL: none; repeated ones joined by spaces for REINDEX's paths),
 * or arg[0..arg_len) percent-encoded (an id from the path). */
void http_api_read(http_call_t *call, const char *command, const char *query,
                   const char *arg_param, const char *arg, size_t arg_len);
/* POST /doc (body: one article, or JSON Lines) and DELETE /doc/ID: the writes go to the
 * writer; the response is sent when the last is back (http_write_done). */
void http_api_add(http_call_t *call, const char *query);
void http_api_delete(http_call_t *call, const char *id, size_t id_len, const char *query);
/* GET /healthz. */
void http_api_health(http_call_t *call);

/* ---- http_metrics.c ---- */
/* GET /metrics: the Prometheus text exposition format. */
void http_metrics(http_call_t *call);

/* ---- the page, generated from daemon/server/www/ at build time ---- */
typedef struct http_asset {
    const char *path;                 /* "/index.html" */
    const char *type;                 /* its Content-Type */
    const unsigned char *data;
    size_t len;
} http_asset_t;
extern const http_asset_t http_assets[];
extern const size_t http_nassets;

#endif
