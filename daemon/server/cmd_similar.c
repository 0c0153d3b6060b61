/*
 * cmd_similar.c: SIMILAR, related stories: the article's id, SEARCH's options (but sort)
 * and a reply shaped like SEARCH's plus the terms the index searched with, so a user sees
 * why the stories came up.  The index finds the terms and leaves the article out
 * (newsidx_similar); an unknown id is ERR not_found.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_int.h"

/* JSON "terms":["w",..]; text " terms=w,title:w" on the OK line, with spaces, commas
 * and control characters in a term as '?' (the indexer splits words at them anyway). */
static void put_terms(reply_t *r, const newsidx_results_t *res)
{
    size_t n = newsidx_results_term_count(res), len = 1;
    reply_next(r, REPLY_JSON_ONLY);
    reply_key(r, "terms");
    reply_begin_list(r);
    for (size_t i = 0; i < n; i++) {
        reply_string(r, newsidx_results_term(res, i));
        len += strlen(newsidx_results_term(res, i)) + 1;
    }
    reply_end_list(r);
    char *joined = malloc(len), *p = joined;
    if (!joined)
        return;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        for (const char *s = newsidx_results_term(res, i); *s; s++)
            *p++ = (unsigned char)*s <= 0x20 || *s == ',' || *s == 0x7F ? '?' : *s;
    }
    *p = '\0';
    reply_next(r, REPLY_TEXT_ONLY);
    reply_kv_string(r, "terms", joined);
    free(joined);
}

void cmd_similar(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
{
    newsidx_search_opts_t opts;
    char id[NEWSD_MAX_ID_LEN + 1];
    if (cmd_id_request(ctx, req, f, &opts, id) != 0)
        return;
    newsidx_reader_t *reader = worker_reader(ctx->worker);
    uint64_t t0 = server_now_us();
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_similar(reader, id, &opts, &res);
    uint64_t took = server_now_us() - t0;
    atomic_fetch_add(&ctx->worker->srv->stats.similar_searches, 1);
    worker_cache_published(ctx->worker);
    if (st == NEWSIDX_NOT_FOUND) {
        cmd_error(ctx->worker->srv, ctx->out, f, "not_found", "no document with id %s", id);
        return;
    }
    if (st != NEWSIDX_OK) {
        newsidx_results_destroy(res);
        cmd_read_error(ctx, f, reader, st);
        return;
    }
    cmd_results_reply(ctx, f, res, &opts, took, put_terms);
    newsidx_results_destroy(res);
}
