/*
 * cmd.h: the command handlers.  cmd_execute takes one request line of a connection,
 * parses it (proto.c), runs the command on the worker's reader and appends the reply, in
 * text or JSON (reply.h; newsd(8), "Replies"), to the connection's output buffer.  The
 * handlers live by kind: reads in cmd_read.c, writes in cmd_write.c, the rest in
 * cmd_admin.c; cmd.c dispatches and holds what they share.  A
 * write (ADD, DELETE) is handed to the writer thread instead and answered later by
 * cmd_write_reply.  A command marked PROTO_WRITE runs only on a connection with write
 * authority (a Unix socket, or AUTH with the token: newsd(8), "AUTHORITY FOR WRITES");
 * one function checks that, before any handler.  Nothing here touches a socket.
 */
#ifndef NEWSD_CMD_H
#define NEWSD_CMD_H

#include <stddef.h>

#include "reply.h"
#include "server.h"

struct evbuffer;

typedef enum cmd_result {
    CMD_DONE = 0,     /* the reply is in the output buffer; go on with the next request */
    CMD_PENDING,      /* a write went to the writer; serve nothing more until it is back */
    CMD_CLOSE         /* the reply is in the output buffer; close once it is sent */
} cmd_result_t;

/* What one connection may do (newsd(8), "AUTHORITY FOR WRITES"). */
typedef struct cmd_auth {
    int unix_socket;          /* the connection came through a Unix socket */
    int may_write;            /* ADD, DELETE (every PROTO_WRITE command) are served */
    unsigned failures;        /* failed AUTH requests; NEWSD_AUTH_MAX_FAILURES closes */
    int refused_logged;       /* a refused write was logged: pipelined ones are not */
} cmd_auth_t;

typedef struct cmd_ctx {
    worker_t *worker;
    conn_t *conn;             /* stored in write requests, for the reply */
    uint64_t conn_id;         /* for the log */
    const char *peer;         /* for the log */
    reply_format_t *format;   /* the connection's default; FORMAT changes it */
    struct evbuffer *out;
    cmd_auth_t *auth;         /* the connection's; AUTH changes it */
    unsigned *bad_requests;   /* the connection's count of bad requests, which caps their
                                 log lines (NEWSD_LOG_BAD_PER_CONN); NULL: log every one */
    struct http_batch *http_batch;   /* an HTTP request's writes (http_api.c): stored in
                                        the write request, which then goes back to HTTP */
    unsigned http_slot;              /* which of the batch's writes this is */
} cmd_ctx_t;

cmd_result_t cmd_execute(cmd_ctx_t *ctx, const char *line, size_t len);

/* Appends the reply to a write the writer has served. */
void cmd_write_reply(server_t *srv, const write_req_t *req, struct evbuffer *out);

/* Appends an error reply (and counts it). */
void cmd_error(server_t *srv, struct evbuffer *out, reply_format_t format, const char *code,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
