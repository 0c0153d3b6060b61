/*
 * cmd_dups.c: DUPS, an article's near-duplicate cluster (newsd(8), "NEAR-DUPLICATES"):
 * the cluster's name and its members, oldest first, each with the Hamming distance of
 * its fingerprint to the article's.  The index finds them through its band terms under
 * the query deadline (newsidx_dups); an unknown id is ERR not_found.
 */
#include <string.h>

#include "cmd_int.h"

/* One member: JSON {id,title,date,source,distance}; text "id distance date source title",
 * tab-separated (the title last, as the free text of a hit line is). */
static void put_member(reply_t *r, const newsidx_dup_t *m)
{
    reply_begin_map(r);
    reply_kv_string(r, "id", m->id);
    reply_next(r, REPLY_TEXT_ONLY);
    reply_kv_uint(r, "distance", m->distance);
    reply_next(r, REPLY_JSON_ONLY);
    reply_kv_string(r, "title", m->title);
    reply_kv_string(r, "date", m->date);
    reply_kv_string(r, "source", m->source);
    reply_next(r, REPLY_JSON_ONLY);
    reply_kv_uint(r, "distance", m->distance);
    reply_next(r, REPLY_TEXT_ONLY);
    reply_kv_string(r, "title", m->title);
    reply_end_map(r);
}

void cmd_dups(cmd_ctx_t *ctx, const proto_request_t *req, reply_format_t f)
{
    /* the shared parser reads partial= (and no other option reaches here: proto.c) */
    newsidx_search_opts_t opts;
    char id[NEWSD_MAX_ID_LEN + 1];
    if (cmd_id_request(ctx, req, f, &opts, id) != 0)
        return;
    newsidx_reader_t *reader = worker_reader(ctx->worker);
    uint64_t t0 = server_now_us();
    newsidx_dups_t *dups = NULL;
    newsidx_status_t st = newsidx_dups(reader, id, &opts, &dups);
    uint64_t took = server_now_us() - t0;
    if (st == NEWSIDX_NOT_FOUND) {
        newsidx_dups_destroy(dups);
        cmd_error(ctx->worker->srv, ctx->out, f, "not_found", "no document with id %s", id);
        return;
    }
    if (st != NEWSIDX_OK) {
        newsidx_dups_destroy(dups);
        cmd_read_error(ctx, f, reader, st);
        return;
    }
    size_t n = newsidx_dups_count(dups);
    reply_t r;
    reply_begin(&r, ctx->out, f, "ok");
    reply_kv_string(&r, "id", id);
    reply_kv_string(&r, "cluster", newsidx_dups_cluster(dups));
    reply_next(&r, REPLY_TEXT_ONLY);   /* text: the count of the lines that follow */
    reply_kv_uint(&r, "members", n);
    reply_kv_uint(&r, "took_us", took);
    reply_key(&r, "members");
    reply_begin_list(&r);
    for (size_t i = 0; i < n; i++) {
        const newsidx_dup_t *m = newsidx_dups_member(dups, i);
        if (m)
            put_member(&r, m);
    }
    reply_end_list(&r);
    reply_end(&r);
    newsidx_dups_destroy(dups);
}
