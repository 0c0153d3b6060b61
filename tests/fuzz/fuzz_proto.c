/*
 * fuzz_proto.c: the request-line parser (daemon/server/proto.c) and the command handlers
 * behind it (daemon/server/cmd*.c: option values; reply.c: replies in text and JSON),
 * without a socket.  The input is what a client sends on one connection: lines cut at
 * "\n" or "\r\n" as conn.c cuts them.  Each line is parsed and checked against what
 * proto.h promises, then run through cmd_execute against a worker whose reader is on the
 * small real index (fuzz_index); each reply must be complete, valid UTF-8 and well-formed
 * (OK/ERR lines, or one JSON object per line).  ADD and DELETE would go to the writer
 * thread: their argument goes to ingest_jsonl_parse, as cmd_write.c hands it on, instead.
 * The connection is a TCP one without write authority, as a stranger's would be: AUTH
 * fails (no token is set) and every write command, REINDEX included, gets ERR
 * unauthorized.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "cmd.h"
#include "fuzz.h"
#include "log.h"
#include "proto.h"
#include "reindex.h"
#include "utf8.h"

/* Request lines of one input served; the rest is ignored (a pipelining client). */
#define FUZZ_PROTO_MAX_LINES 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static server_t srv;
static worker_t worker;
static ingest_article_t *article;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    log_threshold = LOG_ERROR;   /* every bad request would log a warning */
    const char *path;
    worker.reader = fuzz_index(&path);
    worker.srv = &srv;
    worker.reader_refreshed_us = server_now_us();
    /* as worker_init does: else worker_reader takes the folder for a replaced one and
     * swaps in a reader of its own for fuzz_index's */
    struct stat st;
    if (stat(path, &st) != 0)
        FUZZ_FAIL("cannot stat the fuzz index");
    worker.reader_ino = (uint64_t)st.st_ino;
    srv.cfg.index_path = path;
    srv.cfg.workers = 1;
    srv.workers = &worker;               /* STATS sums the workers' cache figures */
    srv.cfg.query_timeout_ms = NEWSD_DEFAULT_QUERY_TIMEOUT_MS;
    srv.started_us = server_now_us();
    srv.reindex = reindex_new(&srv);   /* STATUS reads it; no REINDEX can start */
    article = ingest_article_new();
    if (!article || !srv.reindex)
        FUZZ_FAIL("out of memory");
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* What proto.h promises about a parsed request. */
static void check_request(proto_status_t st, const char *line, size_t len,
                          const proto_request_t *req, const char *err)
{
    if (st != PROTO_OK) {
        if (st != PROTO_EMPTY && !*err)
            FUZZ_FAIL("parse status %d without a message", (int)st);
        if (!utf8_valid(err, strlen(err)))
            FUZZ_FAIL("the parse error message is not valid UTF-8");
        return;
    }
    const proto_command_t *c = req->command;
    if (!c)
        FUZZ_FAIL("PROTO_OK without a command");
    if (req->nopts > NEWSD_MAX_OPTIONS)
        FUZZ_FAIL("%zu options", req->nopts);
    for (size_t i = 0; i < req->nopts; i++) {
        int known = 0;
        for (const char *const *o = c->options; *o; o++)
            known |= strcmp(*o, req->opts[i].name) == 0;
        if (!known)
            FUZZ_FAIL("option %s is not one of %s's", req->opts[i].name, c->name);
        for (size_t k = 0; k < i; k++)
            if (strcmp(req->opts[k].name, req->opts[i].name) == 0)
                FUZZ_FAIL("option %s twice", req->opts[i].name);
    }
    if (req->arg < line || req->arg + req->arg_len > line + len)
        FUZZ_FAIL("the argument does not lie in the line");
    if (req->arg_len && (is_space(req->arg[0]) || is_space(req->arg[req->arg_len - 1])))
        FUZZ_FAIL("the argument is not trimmed");
    if ((c->arg == PROTO_ARG_REQUIRED && req->arg_len == 0) ||
        (c->arg == PROTO_ARG_NONE && req->arg_len > 0))
        FUZZ_FAIL("%s with an argument of %zu bytes", c->name, req->arg_len);
    if (!utf8_valid(req->arg, req->arg_len) || memchr(req->arg, 0, req->arg_len))
        FUZZ_FAIL("the argument is not clean UTF-8");
}

/* One reply in out: complete lines, valid UTF-8, OK/ERR or JSON objects. */
static void check_reply(struct evbuffer *out)
{
    size_t n = evbuffer_get_length(out);
    if (n == 0)
        FUZZ_FAIL("no reply");
    char *s = (char *)evbuffer_pullup(out, -1);
    if (s[n - 1] != '\n')
        FUZZ_FAIL("the reply does not end with a line end");
    if (memchr(s, 0, n) || !utf8_valid(s, n))
        FUZZ_FAIL("the reply is not clean UTF-8");
    if (s[0] == '{') {
        for (char *p = s; p < s + n;) {
            char *nl = memchr(p, '\n', (size_t)(s + n - p));
            json_error_t jerr;
            json_t *j = json_loadb(p, (size_t)(nl - p), 0, &jerr);
            if (!j || !json_is_string(json_object_get(j, "status")))
                FUZZ_FAIL("reply line is not a JSON object with a status: %s", jerr.text);
            json_decref(j);
            p = nl + 1;
        }
    } else if (strncmp(s, "OK", 2) == 0) {
        /* the multi-line replies end in END */
        int multi = memchr(s, '\n', n) != s + n - 1;
        if (multi && (n < 4 || memcmp(s + n - 4, "END\n", 4) != 0))
            FUZZ_FAIL("a multi-line reply without END");
    } else if (strncmp(s, "ERR ", 4) != 0 || memchr(s, '\n', n) != s + n - 1) {
        FUZZ_FAIL("the reply is neither OK, ERR nor JSON: %.40s", s);
    }
    evbuffer_drain(out, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct evbuffer *out = evbuffer_new();
    if (!out)
        FUZZ_FAIL("out of memory");
    reply_format_t format = REPLY_TEXT;
    cmd_auth_t auth = { .unix_socket = 0, .may_write = 0 };
    cmd_ctx_t ctx = { .worker = &worker, .conn = NULL, .conn_id = 1, .peer = "fuzz",
                      .format = &format, .out = out, .auth = &auth };
    const char *p = (const char *)data, *end = p + size;
    for (int i = 0; i < FUZZ_PROTO_MAX_LINES && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        size_t len = (size_t)(line_end - p);
        if (nl && len && p[len - 1] == '\r')
            len--;
        const char *line = p;
        p = nl ? nl + 1 : end;

        proto_request_t req;
        char err[256];
        proto_status_t st = proto_parse(line, len, &req, err, sizeof err);
        check_request(st, line, len, &req, err);
        if (st == PROTO_OK && req.command->cmd == PROTO_CMD_ADD) {
            newsidx_doc_t doc;
            char why[256];
            if (ingest_jsonl_parse(article, req.arg, req.arg_len, NULL, &doc, why,
                                   sizeof why) == 0)
                fuzz_check_doc(&doc);
            continue;
        }
        if (st == PROTO_OK && req.command->cmd == PROTO_CMD_DELETE)
            continue;
        cmd_result_t r = cmd_execute(&ctx, line, len);
        if (st == PROTO_EMPTY) {
            if (evbuffer_get_length(out))
                FUZZ_FAIL("a reply to an empty line");
            continue;
        }
        if (r == CMD_PENDING)
            FUZZ_FAIL("a read went to the writer");
        check_reply(out);
        if (r == CMD_CLOSE)
            break;
    }
    evbuffer_free(out);
    return 0;
}
