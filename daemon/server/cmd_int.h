/*
 * cmd_int.h: what the command files share, inside the server: the handlers by kind
 * (cmd_read.c, cmd_write.c, cmd_admin.c), which cmd.c's dispatch calls, and the pieces
 * of cmd.c they use (option values, index statuses as wire errors).
 */
#ifndef NEWSD_CMD_INT_H
#define NEWSD_CMD_INT_H

#include <stddef.h>

#include "cmd.h"
#include "newsidx.h"
#include "proto.h"
#include "reply.h"

/* reads: cmd_read.c */
void cmd_search(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f);
void cmd_count(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f);
void cmd_get(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f);
/* The reply of a search-shaped read: OK total= shown= took_us=, then what extra (if not
 * NULL) adds, then the hits, the facets asked for and the missing shards. */
void cmd_results_reply(cmd_ctx_t *ctx, reply_format_t f, const newsidx_results_t *res,
                       const newsidx_search_opts_t *opts, uint64_t took,
                       void (*extra)(reply_t *, const newsidx_results_t *));
/* The reply to a read the index refused: a shard that is down, or the index's status. */
void cmd_read_error(cmd_ctx_t *ctx, reply_format_t f, newsidx_reader_t *reader,
                    newsidx_status_t st);

/* related stories: cmd_similar.c */
void cmd_similar(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f);

/* near-duplicates: cmd_dups.c */
void cmd_dups(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f);

/* writes: cmd_write.c (the reply is cmd_write_reply, in cmd.h) */
cmd_result_t cmd_write(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f);

/* the rest: cmd_admin.c */
void cmd_stats(cmd_ctx_t *ctx, reply_format_t f);
void cmd_help(cmd_ctx_t *ctx, reply_format_t f);
void cmd_reindex(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f);
void cmd_status(cmd_ctx_t *ctx, reply_format_t f);
cmd_result_t cmd_auth(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f);
void cmd_format(cmd_ctx_t *ctx, const proto_request_t *req);
/* "OK word" (key "reply") or "OK key=word"; {"status":"ok",key:word} */
void cmd_simple_ok(cmd_ctx_t *ctx, reply_format_t f, const char *key, const char *word);

/* shared: cmd.c */
/* Fills opts from SEARCH's and COUNT's options; on a bad value writes the message and
 * returns -1. */
int cmd_search_options(const proto_request_t *req, newsidx_search_opts_t *opts, char *msg,
                       size_t msglen);
/* The start of a command on one article (SIMILAR, DUPS): its id into id (checked for
 * length) and its options into opts (the daemon's deadline, then collapse, then the
 * request's).  Returns 0, or -1 after replying with the error. */
int cmd_id_request(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f,
                   newsidx_search_opts_t *opts, char id[NEWSD_MAX_ID_LEN + 1]);
/* The wire error code of an index status. */
const char *cmd_status_code(newsidx_status_t st);
/* Replies with the error of a failed index call (logged unless the client's fault). */
void cmd_index_error(cmd_ctx_t *ctx, reply_format_t f, newsidx_status_t st, const char *msg);
/* ERR shard_unavailable: the message starts with the shard's name; JSON also gives it
 * alone, as "shard". */
void cmd_shard_error(cmd_ctx_t *ctx, reply_format_t f, newsidx_reader_t *reader);

#endif
