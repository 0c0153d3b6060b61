/*
 * writer.c: the writer thread (see writer.h).  Its queue is a mutex and a condition
 * variable; the thread sleeps on it, takes the whole queue (up to NEWSD_WRITE_BATCH_MAX)
 * at once, applies the batch with one newsidx_writer_t and commits once.  A failed commit
 * abandons the handle (its uncommitted changes are lost, as they must be, since nobody was
 * told they succeeded) and fails every request of the batch; the next batch reopens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "writer.h"

struct writer {
    server_t *srv;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    write_req_t *head, *tail;
    size_t queued;
    int stop;
    newsidx_writer_t *handle;          /* the writer thread's alone */
};

void write_req_free(write_req_t *req)
{
    if (!req)
        return;
    ingest_article_free(req->article);
    free(req);
}

int writer_submit(writer_t *w, write_req_t *req)
{
    pthread_mutex_lock(&w->lock);
    if (w->queued >= NEWSD_WRITE_QUEUE_MAX || w->stop) {
        pthread_mutex_unlock(&w->lock);
        return -1;
    }
    req->next = NULL;
    if (w->tail)
        w->tail->next = req;
    else
        w->head = req;
    w->tail = req;
    w->queued++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* Hands a served request back to its worker. */
static void give_back(write_req_t *req)
{
    worker_t *wk = req->worker;
    req->next = NULL;
    pthread_mutex_lock(&wk->lock);
    if (wk->done_tail)
        wk->done_tail->next = req;
    else
        wk->done_head = req;
    wk->done_tail = req;
    pthread_mutex_unlock(&wk->lock);
    server_wake(wk);
}

static void fail_all(write_req_t *batch, newsidx_status_t st, const char *msg)
{
    for (write_req_t *r = batch; r; r = r->next)
        if (r->status == NEWSIDX_OK) {
            r->status = st;
            snprintf(r->message, sizeof r->message, "%s", msg);
        }
}

static void apply(writer_t *w, write_req_t *batch, size_t n)
{
    char msg[200];
    if (!w->handle) {
        newsidx_status_t st = newsidx_writer_open(w->srv->cfg.index_path, 0, &w->handle);
        if (st != NEWSIDX_OK) {
            snprintf(msg, sizeof msg, "cannot open the index for writing: %s",
                     w->handle ? newsidx_writer_error(w->handle) : newsidx_status_name(st));
            LOG(LOG_ERROR, "writer_open", "status=%s msg=\"%s\"", newsidx_status_name(st), msg);
            newsidx_writer_abandon(w->handle);
            w->handle = NULL;
            fail_all(batch, st, msg);
            return;
        }
        LOG(LOG_INFO, "writer_open", "index=%s", w->srv->cfg.index_path);
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
        return;
    }
    atomic_fetch_add(&w->srv->index_gen, 1);
    atomic_fetch_add(&w->srv->stats.commits, 1);
    atomic_fetch_add(&w->srv->stats.writes, applied);
    LOG(LOG_DEBUG, "commit", "writes=%zu batch=%zu commit_us=%llu", applied, n,
        (unsigned long long)(server_now_us() - t0));
}

static void *writer_main(void *arg)
{
    writer_t *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        if (!w->head) {
            if (w->stop)
                break;
            if (w->handle) {
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += NEWSD_WRITER_IDLE_MS / 1000;
                until.tv_nsec += (long)(NEWSD_WRITER_IDLE_MS % 1000) * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                    until.tv_sec++;
                    until.tv_nsec -= 1000000000L;
                }
                int rc = pthread_cond_timedwait(&w->cond, &w->lock, &until);
                if (rc == ETIMEDOUT && !w->head) {   /* idle: let others write */
                    newsidx_writer_close(w->handle);
                    w->handle = NULL;
                    LOG(LOG_INFO, "writer_close", "reason=idle");
                }
            } else {
                pthread_cond_wait(&w->cond, &w->lock);
            }
            continue;
        }
        write_req_t *batch = w->head, *last = batch;
        size_t n = 1;
        while (last->next && n < NEWSD_WRITE_BATCH_MAX) {
            last = last->next;
            n++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        w->queued -= n;
        pthread_mutex_unlock(&w->lock);

        apply(w, batch, n);
        while (batch) {
            write_req_t *next = batch->next;
            give_back(batch);
            batch = next;
        }
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    if (w->handle) {
        newsidx_status_t st = newsidx_writer_close(w->handle);
        if (st != NEWSIDX_OK)
            LOG(LOG_ERROR, "writer_close", "status=%s", newsidx_status_name(st));
        w->handle = NULL;
    }
    return NULL;
}

writer_t *writer_start(server_t *srv)
{
    writer_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->srv = srv;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return NULL;
    }
    return w;
}

void writer_stop(writer_t *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
