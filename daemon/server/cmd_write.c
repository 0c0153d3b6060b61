/*
 * cmd_write.c: the commands that change the index, ADD and DELETE, and their replies.
 * The worker checks the request and hands it to the writer thread (writer.h); the reply
 * is written once the writer has committed it and handed it back (cmd_write_reply).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_int.h"
#include "writer.h"

cmd_result_t cmd_write(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
{
    server_t *srv = ctx->worker->srv;
    write_req_t *w = calloc(1, sizeof *w);
    if (!w) {
        cmd_error(srv, ctx->out, f, "internal", "out of memory");
        return CMD_DONE;
    }
    w->worker = ctx->worker;
    w->conn = ctx->conn;
    w->http_batch = ctx->http_batch;
    w->http_slot = ctx->http_slot;
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

/* The reply to a write; returns its error code, or NULL when it succeeded. */
static const char *write_reply(server_t *srv, const write_req_t *req, struct evbuffer *out,
                               uint64_t took)
{
    reply_format_t f = (reply_format_t)req->format;
    if (req->status == NEWSIDX_NOT_FOUND) {
        cmd_error(srv, out, f, "not_found", "no document with id %s", req->id);
        return "not_found";
    }
    if (req->status == NEWSIDX_LOCKED) {
        cmd_error(srv, out, f, "busy", "%s", req->message);
        return "busy";
    }
    if (req->status != NEWSIDX_OK) {
        const char *code = cmd_status_code(req->status);
        cmd_error(srv, out, f, code, "%s", req->message);
        return code;
    }
    reply_t r;
    reply_begin(&r, out, f, "ok");
    reply_kv_string(&r, "id", req->id);
    if (req->op == WRITE_ADD)
        reply_kv_bool(&r, "replaced", req->replaced);
    else
        reply_kv_bool(&r, "deleted", 1);
    reply_kv_uint(&r, "took_us", took);
    reply_end(&r);
    return NULL;
}

void cmd_write_reply(server_t *srv, const write_req_t *req, struct evbuffer *out)
{
    uint64_t took = server_now_us() - req->started_us;
    const char *code = write_reply(srv, req, out, took);
    /* counted here, not by cmd_execute: the writer's queue and commit are part of it */
    reqstats_record(&srv->stats.reqs, req->op == WRITE_ADD ? PROTO_CMD_ADD : PROTO_CMD_DELETE,
                    code, took);
}
