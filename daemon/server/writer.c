/*
 * writer.c: the writer thread (see writer.h).  The thread sleeps on its queue (queue.h),
 * takes everything queued (up to NEWSD_WRITE_BATCH_MAX) at once, applies the batch with one newsidx_writer_t and commits once.  A failed commit
 * abandons the handle (its uncommitted changes are lost, as they must be, since nobody was
 * told they succeeded) and fails every request of the batch; the next batch reopens.
 *
 * Control requests of a REINDEX travel through the same queue, alone in their batch, so
 * "the writes before the swap" and "the writes after it" are exactly the queue's order:
 * while the journal is on, the id of every committed write is remembered, and the swap
 * copies each remembered id's current document (or its absence) from the live index into
 * the rebuilt one, commits, and renames the folders, all before the next write is served.
 *
 * A sharded index (server_config_t.shards) has one handle per shard: a write goes to the
 * shard newsidx_shard_of names for its id, but its near-duplicate cluster may span every
 * shard (an ADD joins a cluster whose first member lives elsewhere, a DELETE of a first
 * member renames its cluster in the other shards), so before a batch every shard's
 * handle is opened and the handles are linked (newsidx_writer_link_shards), and after it
 * every open shard commits, each on its own.  A shard that cannot be opened fails the
 * whole batch: a write applied without it could leave its cluster named differently in
 * the shards.  A write is acknowledged once its own shard committed; a shard whose
 * commit fails fails its own writes (and loses the cluster changes others made in it).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "writer.h"

struct writer {
    server_t *srv;
    pthread_t thread;
    queue_t queue;                     /* the requests, from the workers and reindex.c */
    newsidx_writer_t *handle;          /* the writer thread's alone */
    newsidx_writer_t **shard_handles;  /* sharded: one per shard (NULL: not open) */
    int shards_linked;                 /* every shard handle open and linked to the others */
    uint64_t handle_ino;               /* st_ino of the index folder it was opened on */
    /* the REINDEX journal, the writer thread's alone */
    int journaling;
    int journal_overflow;
    char **journal;
    size_t njournal, journal_cap;
};

static uint64_t folder_ino(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

void write_req_free(write_req_t *req)
{
    if (!req)
        return;
    ingest_article_free(req->article);
    free(req);
}

int writer_submit(writer_t *w, write_req_t *req)
{
    return queue_push(&w->queue, req, 0);
}

/* Hands a served request back to its worker. */
static void give_back(write_req_t *req)
{
    if (req->op == WRITE_CONTROL) {
        writer_ctl_t *ctl = req->ctl;
        free(req);
        pthread_mutex_lock(&ctl->lock);
        ctl->done = 1;
        pthread_cond_signal(&ctl->cond);
        pthread_mutex_unlock(&ctl->lock);
        return;
    }
    queue_push(&req->worker->done, req, 1);   /* never closed: the worker outlives us */
}

static void fail_all(write_req_t *batch, newsidx_status_t st, const char *msg)
{
    for (write_req_t *r = batch; r; r = r->next)
        if (r->status == NEWSIDX_OK) {
            r->status = st;
            snprintf(r->message, sizeof r->message, "%s", msg);
        }
}

/* The journal: every id written since WRITER_JOURNAL_BEGIN, duplicates and all (the
 * swap copies each id's latest state, so a repeat costs one more copy, not correctness). */
static void journal_note(writer_t *w, const char *id)
{
    if (!w->journaling || w->journal_overflow)
        return;
    if (w->njournal == w->journal_cap) {
        size_t cap = w->journal_cap ? w->journal_cap * 2 : 256;
        char **grown = w->njournal >= NEWSD_REINDEX_JOURNAL_MAX
                           ? NULL : realloc(w->journal, cap * sizeof *grown);
        if (!grown) {
            w->journal_overflow = 1;
            LOG(LOG_ERROR, "reindex_journal", "writes=%zu msg=\"journal full: the rebuild will fail\"",
                w->njournal);
            return;
        }
        w->journal = grown;
        w->journal_cap = cap;
    }
    char *copy = strdup(id);
    if (!copy) {
        w->journal_overflow = 1;
        return;
    }
    w->journal[w->njournal++] = copy;
}

static void journal_clear(writer_t *w)
{
    for (size_t i = 0; i < w->njournal; i++)
        free(w->journal[i]);
    free(w->journal);
    w->journal = NULL;
    w->njournal = w->journal_cap = 0;
    w->journal_overflow = 0;
}

/* Opens the write handle when there is none, or when the index folder was replaced under
 * it (a newsindex --rebuild of the served index): writes must go to the live folder. */
static newsidx_status_t ensure_handle(writer_t *w, char *msg, size_t msglen)
{
    const char *path = w->srv->cfg.index_path;
    if (w->handle && folder_ino(path) != w->handle_ino) {
        LOG(LOG_INFO, "writer_close", "reason=index_replaced");
        newsidx_writer_close(w->handle);
        w->handle = NULL;
    }
    if (w->handle)
        return NEWSIDX_OK;
    uint64_t ino = folder_ino(path);
    newsidx_status_t st = newsidx_writer_open(path, 0, &w->handle);
    if (st != NEWSIDX_OK) {
        snprintf(msg, msglen, "cannot open the index for writing: %s",
                 w->handle ? newsidx_writer_error(w->handle) : newsidx_status_name(st));
        LOG(LOG_ERROR, "writer_open", "status=%s msg=\"%s\"", newsidx_status_name(st), msg);
        newsidx_writer_abandon(w->handle);
        w->handle = NULL;
        return st;
    }
    w->handle_ino = ino;
    LOG(LOG_INFO, "writer_open", "index=%s", path);
    return NEWSIDX_OK;
}

static void apply(writer_t *w, write_req_t *batch, size_t n)
{
    char msg[200];
    {
        newsidx_status_t st = ensure_handle(w, msg, sizeof msg);
        if (st != NEWSIDX_OK) {
            fail_all(batch, st, msg);
            return;
        }
    }
    size_t applied = 0;
    for (write_req_t *r = batch; r; r = r->next) {
        r->status = r->op == WRITE_ADD ? newsidx_writer_put(w->handle, &r->doc, &r->replaced)
                                       : newsidx_writer_delete(w->handle, r->id);
        if (r->status == NEWSIDX_OK)
            applied++;
        else
            snprintf(r->message, sizeof r->message, "%s", newsidx_writer_error(w->handle));
    }
    if (applied == 0)
        return;
    uint64_t t0 = server_now_us();
    newsidx_status_t st = newsidx_writer_commit(w->handle);
    if (st != NEWSIDX_OK) {
        snprintf(msg, sizeof msg, "commit failed: %s", newsidx_writer_error(w->handle));
        LOG(LOG_ERROR, "commit", "status=%s writes=%zu msg=\"%s\"", newsidx_status_name(st),
            applied, msg);
        newsidx_writer_abandon(w->handle);
        w->handle = NULL;
        fail_all(batch, st, msg);
        atomic_store(&w->srv->stats.writer_failing, 1);
        return;
    }
    atomic_store(&w->srv->stats.writer_failing, 0);
    for (write_req_t *r = batch; r; r = r->next)
        if (r->status == NEWSIDX_OK)
            journal_note(w, r->id);
    atomic_fetch_add(&w->srv->index_gen, 1);
    atomic_fetch_add(&w->srv->stats.commits, 1);
    atomic_fetch_add(&w->srv->stats.writes, applied);
    LOG(LOG_DEBUG, "commit", "writes=%zu batch=%zu commit_us=%llu", applied, n,
        (unsigned long long)(server_now_us() - t0));
}

/* ---- a sharded index ---- */

static newsidx_status_t ensure_shard(writer_t *w, size_t k, char *msg, size_t msglen)
{
    const server_config_t *cfg = &w->srv->cfg;
    if (w->shard_handles[k])
        return NEWSIDX_OK;
    newsidx_status_t st = newsidx_writer_open_shard(cfg->shards[k], cfg->shard_timeout_ms,
                                                    &w->shard_handles[k]);
    if (st != NEWSIDX_OK) {
        snprintf(msg, msglen, "cannot open shard %zu (%s) for writing: %s", k, cfg->shards[k],
                 w->shard_handles[k] ? newsidx_writer_error(w->shard_handles[k])
                                     : newsidx_status_name(st));
        LOG(LOG_ERROR, "writer_open", "shard=%zu status=%s msg=\"%s\"", k,
            newsidx_status_name(st), msg);
        newsidx_writer_abandon(w->shard_handles[k]);
        w->shard_handles[k] = NULL;
        return st;
    }
    LOG(LOG_INFO, "writer_open", "shard=%zu name=%s", k, cfg->shards[k]);
    return NEWSIDX_OK;
}

/* Undoes the links of every open shard handle (each must be unlinked before any of them
 * is closed or abandoned). */
static void unlink_shards(writer_t *w)
{
    for (size_t k = 0; w->shard_handles && k < w->srv->cfg.nshards; k++)
        if (w->shard_handles[k])
            newsidx_writer_link_shards(w->shard_handles[k], NULL, 0);
    w->shards_linked = 0;
}

static void close_shards(writer_t *w)
{
    unlink_shards(w);
    for (size_t k = 0; w->shard_handles && k < w->srv->cfg.nshards; k++)
        if (w->shard_handles[k]) {
            newsidx_status_t st = newsidx_writer_close(w->shard_handles[k]);
            if (st != NEWSIDX_OK)
                LOG(LOG_ERROR, "writer_close", "shard=%zu status=%s", k, newsidx_status_name(st));
            w->shard_handles[k] = NULL;
        }
}

static int any_shard_open(const writer_t *w)
{
    for (size_t k = 0; w->shard_handles && k < w->srv->cfg.nshards; k++)
        if (w->shard_handles[k])
            return 1;
    return 0;
}

/* Fails the writes of batch that went to shard k and have not failed yet. */
static void fail_shard(write_req_t *batch, unsigned k, newsidx_status_t st, const char *msg)
{
    for (write_req_t *r = batch; r; r = r->next)
        if (r->shard == k && r->status == NEWSIDX_OK) {
            r->status = st;
            snprintf(r->message, sizeof r->message, "%s", msg);
        }
}

/* Opens every shard's handle that is not open and links them all, so that a write's
 * near-duplicates are looked up, and their clusters kept, in every shard.  Returns
 * NEWSIDX_OK, or the status of a shard that cannot be opened with msg saying which. */
static newsidx_status_t ensure_all_shards(writer_t *w, char *msg, size_t msglen)
{
    size_t nshards = w->srv->cfg.nshards;
    for (size_t k = 0; k < nshards; k++) {
        if (w->shard_handles[k])
            continue;
        unlink_shards(w);    /* the set changes: link again below */
        char why[180];
        newsidx_status_t st = ensure_shard(w, k, why, sizeof why);
        if (st != NEWSIDX_OK) {
            snprintf(msg, msglen, "%s (clusters span the shards: every shard must be "
                     "writable)", why);
            return st;
        }
    }
    if (w->shards_linked)
        return NEWSIDX_OK;
    for (size_t k = 0; k < nshards; k++) {
        newsidx_status_t st = newsidx_writer_link_shards(w->shard_handles[k],
                                                         w->shard_handles, nshards);
        if (st != NEWSIDX_OK) {
            snprintf(msg, msglen, "cannot link shard %zu to the others: %s", k,
                     newsidx_writer_error(w->shard_handles[k]));
            LOG(LOG_ERROR, "writer_link", "shard=%zu status=%s msg=\"%s\"", k,
                newsidx_status_name(st), msg);
            unlink_shards(w);
            return st;
        }
    }
    w->shards_linked = 1;
    return NEWSIDX_OK;
}

static void apply_sharded(writer_t *w, write_req_t *batch, size_t n)
{
    size_t nshards = w->srv->cfg.nshards;
    char msg[sizeof batch->message];
    for (write_req_t *r = batch; r; r = r->next)
        r->shard = newsidx_shard_of(r->id, (unsigned)nshards);
    newsidx_status_t st = ensure_all_shards(w, msg, sizeof msg);
    if (st != NEWSIDX_OK) {
        fail_all(batch, st, msg);
        return;
    }
    for (write_req_t *r = batch; r; r = r->next) {
        newsidx_writer_t *h = w->shard_handles[r->shard];
        r->status = r->op == WRITE_ADD ? newsidx_writer_put(h, &r->doc, &r->replaced)
                                       : newsidx_writer_delete(h, r->id);
        if (r->status != NEWSIDX_OK)
            snprintf(r->message, sizeof r->message, "%s", newsidx_writer_error(h));
    }
    /* every open shard: a write may have renamed a cluster in any of them */
    size_t commits = 0;
    int failed = 0;
    unsigned char bad[NEWSD_MAX_SHARDS] = { 0 };
    for (size_t k = 0; k < nshards; k++) {
        st = newsidx_writer_commit(w->shard_handles[k]);
        if (st != NEWSIDX_OK) {
            snprintf(msg, sizeof msg, "commit of shard %zu failed: %s", k,
                     newsidx_writer_error(w->shard_handles[k]));
            LOG(LOG_ERROR, "commit", "shard=%zu status=%s msg=\"%s\"", k,
                newsidx_status_name(st), msg);
            fail_shard(batch, (unsigned)k, st, msg);
            failed = bad[k] = 1;
            continue;
        }
        commits++;
    }
    if (failed) {
        /* the failed handles go (their uncommitted changes with them); the others are
         * unlinked from them first, and the next batch opens and links them again */
        unlink_shards(w);
        for (size_t k = 0; k < nshards; k++)
            if (bad[k]) {
                newsidx_writer_abandon(w->shard_handles[k]);
                w->shard_handles[k] = NULL;
            }
    }
    atomic_store(&w->srv->stats.writer_failing, failed);
    size_t applied = 0;
    for (write_req_t *r = batch; r; r = r->next)
        if (r->status == NEWSIDX_OK)
            applied++;
    if (commits == 0 || applied == 0)
        return;
    atomic_fetch_add(&w->srv->index_gen, 1);
    atomic_fetch_add(&w->srv->stats.commits, 1);
    atomic_fetch_add(&w->srv->stats.writes, applied);
    LOG(LOG_DEBUG, "commit", "writes=%zu batch=%zu shards=%zu", applied, n, commits);
}

static void ctl_fail(writer_ctl_t *ctl, const char *what, const char *why)
{
    ctl->failed = 1;
    snprintf(ctl->message, sizeof ctl->message, "%s: %s", what, why);
    LOG(LOG_ERROR, "reindex_switch", "msg=\"%s\"", ctl->message);
}

/* Test-only fault (tests/e2e/test_reindex.sh): with NEWSD_TEST_FAIL_REINDEX_SYNC=1 in
 * its environment newsd acts as if flushing the rebuilt index failed with EIO, a failure
 * no test can provoke on a healthy disk. */
static int sync_fault_injected(void)
{
    const char *v = getenv("NEWSD_TEST_FAIL_REINDEX_SYNC");
    return v && strcmp(v, "1") == 0;
}

/* Flushes a folder's files and its entry to disk: the rebuilt index was written without
 * fsync (bulk mode), and it is about to become the live one.  Returns 0, or -1 with
 * errno set. */
static int sync_folder(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = syncfs(fd) == 0 && fsync(fd) == 0 ? 0 : -1;
    int e = errno;
    close(fd);
    if (rc != 0)
        LOG(LOG_WARN, "reindex_sync", "path=%s errno=%d", path, e);
    errno = e;
    return rc;
}

/* The rebuilt index made ready to go live: the journal's writes carried into it,
 * committed, closed and flushed to disk.  Returns 0, or -1 after ctl_fail. */
static int finish_rebuilt(writer_t *w, writer_ctl_t *ctl)
{
    char msg[200];
    if (w->journal_overflow) {
        snprintf(msg, sizeof msg, "more than %d writes arrived during the rebuild",
                 NEWSD_REINDEX_JOURNAL_MAX);
        ctl_fail(ctl, "the rebuilt index would miss live writes", msg);
        return -1;
    }
    newsidx_writer_t *nw = NULL;
    newsidx_status_t st = newsidx_writer_open(ctl->new_index, 0, &nw);
    if (st != NEWSIDX_OK) {
        ctl_fail(ctl, "cannot open the rebuilt index",
                 nw ? newsidx_writer_error(nw) : newsidx_status_name(st));
        newsidx_writer_abandon(nw);
        return -1;
    }
    if (w->njournal > 0 && ensure_handle(w, msg, sizeof msg) != NEWSIDX_OK) {
        ctl_fail(ctl, "cannot carry live writes over", msg);
        newsidx_writer_abandon(nw);
        return -1;
    }
    for (size_t i = 0; i < w->njournal; i++)
        if (newsidx_writer_copy_doc(nw, w->handle, w->journal[i], NULL) != NEWSIDX_OK) {
            ctl_fail(ctl, "cannot carry a live write over", newsidx_writer_error(nw));
            newsidx_writer_abandon(nw);
            return -1;
        }
    if ((st = newsidx_writer_commit(nw)) != NEWSIDX_OK ||
        (st = newsidx_writer_doc_count(nw, &ctl->docs)) != NEWSIDX_OK) {
        ctl_fail(ctl, "cannot commit the rebuilt index", newsidx_writer_error(nw));
        newsidx_writer_abandon(nw);
        return -1;
    }
    if ((st = newsidx_writer_close(nw)) != NEWSIDX_OK) {
        ctl_fail(ctl, "cannot close the rebuilt index", newsidx_status_name(st));
        return -1;
    }
    /* an index that may not be on disk must not go live: a crash after the swap would
     * lose it and the old one both */
    if (sync_fault_injected()) {
        errno = EIO;
        ctl_fail(ctl, "cannot flush the rebuilt index to disk", strerror(errno));
        return -1;
    }
    if (sync_folder(ctl->new_index) != 0) {
        ctl_fail(ctl, "cannot flush the rebuilt index to disk", strerror(errno));
        return -1;
    }
    return 0;
}

/* The two renames, under swap_lock (see server.h); a new epoch and generation send the
 * workers to the new folder.  Returns 0, or -1 after ctl_fail (the old index put back
 * when it can be). */
static int swap_folders(writer_t *w, writer_ctl_t *ctl)
{
    server_t *srv = w->srv;
    const char *index = srv->cfg.index_path;
    pthread_rwlock_wrlock(&srv->swap_lock);
    if (rename(index, ctl->old_parking) != 0) {
        pthread_rwlock_unlock(&srv->swap_lock);
        ctl_fail(ctl, "cannot move the old index aside", strerror(errno));
        return -1;
    }
    if (rename(ctl->new_index, index) != 0) {
        int e = errno;
        if (rename(ctl->old_parking, index) != 0)
            LOG(LOG_ERROR, "reindex_switch", "msg=\"cannot put the old index back: %s\"",
                strerror(errno));
        pthread_rwlock_unlock(&srv->swap_lock);
        ctl_fail(ctl, "cannot put the rebuilt index in place", strerror(e));
        return -1;
    }
    ctl->epoch = atomic_fetch_add(&srv->index_epoch, 1) + 1;
    atomic_fetch_add(&srv->index_gen, 1);
    pthread_rwlock_unlock(&srv->swap_lock);
    char *dcopy = strdup(index);
    if (dcopy) {
        (void)sync_folder(dirname(dcopy));   /* the renames themselves (already live) */
        free(dcopy);
    }
    return 0;
}

/* WRITER_SWITCH (see the top of the file). */
static void do_switch(writer_t *w, writer_ctl_t *ctl)
{
    if (finish_rebuilt(w, ctl) != 0)
        return;
    /* every batch commits before the next request, so the live handle has nothing pending */
    if (w->handle) {
        newsidx_writer_close(w->handle);
        w->handle = NULL;
    }
    if (swap_folders(w, ctl) != 0)
        return;
    ctl->carried = w->njournal;
    w->journaling = 0;
    journal_clear(w);
}

static void control(writer_t *w, writer_ctl_t *ctl)
{
    switch (ctl->op) {
    case WRITER_JOURNAL_BEGIN:
        journal_clear(w);
        w->journaling = 1;
        break;
    case WRITER_SWITCH:
        do_switch(w, ctl);
        break;
    case WRITER_JOURNAL_END:
        w->journaling = 0;
        journal_clear(w);
        break;
    }
}

/* A control request is served alone, between the writes before and after it. */
static int same_batch(const void *first, const void *item)
{
    return ((const write_req_t *)first)->op != WRITE_CONTROL &&
           ((const write_req_t *)item)->op != WRITE_CONTROL;
}

static void *writer_main(void *arg)
{
    writer_t *w = arg;
    for (;;) {
        int open = w->handle || any_shard_open(w);
        queue_wait_t ws = queue_wait(&w->queue, open ? NEWSD_WRITER_IDLE_MS : -1);
        if (ws == QUEUE_CLOSED)
            break;
        if (ws == QUEUE_TIMEOUT) {   /* idle: let others write */
            newsidx_writer_close(w->handle);
            w->handle = NULL;
            close_shards(w);
            LOG(LOG_INFO, "writer_close", "reason=idle");
            continue;
        }
        size_t n;
        write_req_t *batch = queue_take(&w->queue, NEWSD_WRITE_BATCH_MAX, same_batch, &n);
        if (batch->op == WRITE_CONTROL)
            control(w, batch->ctl);
        else if (w->shard_handles)
            apply_sharded(w, batch, n);
        else
            apply(w, batch, n);
        while (batch) {
            write_req_t *next = batch->next;
            give_back(batch);
            batch = next;
        }
    }
    if (w->handle) {
        newsidx_status_t st = newsidx_writer_close(w->handle);
        if (st != NEWSIDX_OK)
            LOG(LOG_ERROR, "writer_close", "status=%s", newsidx_status_name(st));
        w->handle = NULL;
    }
    close_shards(w);
    journal_clear(w);
    return NULL;
}

writer_t *writer_start(server_t *srv)
{
    writer_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->srv = srv;
    if (srv->cfg.nshards) {
        w->shard_handles = calloc(srv->cfg.nshards, sizeof *w->shard_handles);
        if (!w->shard_handles) {
            free(w);
            return NULL;
        }
    }
    queue_init(&w->queue, offsetof(write_req_t, next), NEWSD_WRITE_QUEUE_MAX, NULL, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        queue_destroy(&w->queue);
        free(w->shard_handles);
        free(w);
        return NULL;
    }
    return w;
}

void writer_control(writer_t *w, writer_ctl_t *ctl)
{
    write_req_t *req = calloc(1, sizeof *req);
    ctl->done = 0;
    ctl->failed = 0;
    ctl->message[0] = '\0';
    if (!req) {
        ctl->failed = 1;
        snprintf(ctl->message, sizeof ctl->message, "out of memory");
        return;
    }
    pthread_mutex_init(&ctl->lock, NULL);
    pthread_cond_init(&ctl->cond, NULL);
    req->op = WRITE_CONTROL;
    req->ctl = ctl;
    if (queue_push(&w->queue, req, 1) != 0) {
        free(req);
        pthread_mutex_destroy(&ctl->lock);
        pthread_cond_destroy(&ctl->cond);
        ctl->failed = 1;
        snprintf(ctl->message, sizeof ctl->message, "the writer has stopped");
        return;
    }
    pthread_mutex_lock(&ctl->lock);
    while (!ctl->done)
        pthread_cond_wait(&ctl->cond, &ctl->lock);
    pthread_mutex_unlock(&ctl->lock);
    pthread_mutex_destroy(&ctl->lock);
    pthread_cond_destroy(&ctl->cond);
}

void writer_stop(writer_t *w)
{
    if (!w)
        return;
    queue_close(&w->queue);
    pthread_join(w->thread, NULL);
    queue_destroy(&w->queue);
    free(w->shard_handles);
    free(w);
}
