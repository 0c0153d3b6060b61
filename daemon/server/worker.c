/*
 * worker.c: a worker thread (see server.h): its event loop, its reader on the index
 * (reopened when a commit, SIGHUP or a REINDEX moves the index), the queues through which
 * the main thread hands it connections and the writer hands back answered writes, and
 * its orderly end (NEWSD_SHUTDOWN_GRACE_MS after it was asked to stop).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "conn.h"
#include "fsutil.h"
#include "http.h"
#include "log.h"
#include "reindex.h"
#include "server.h"
#include "writer.h"

uint64_t server_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void server_wake(worker_t *w)
{
    char b = 1;
    ssize_t n;
    do
        n = write(w->notify_wr, &b, 1);
    while (n < 0 && errno == EINTR);
    /* EAGAIN: the pipe is full of wake-ups already, which is as good */
}

/*
 * What identifies the index a reader has open: the folder's inode (a rebuild swaps in a
 * new folder), and in a replica folder also its XAPIANDB stub's (xapian-replicate
 * switches to a fresh full copy by renaming a new stub over it; a reopen of the old
 * copy would not follow).
 */
static uint64_t folder_ino(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    uint64_t id = (uint64_t)st.st_ino;
    char stub[PATH_MAX];
    if (newsidx_is_replica(path) &&
        snprintf(stub, sizeof stub, "%s/XAPIANDB", path) < (int)sizeof stub &&
        stat(stub, &st) == 0)
        id ^= ((uint64_t)st.st_ino + 1) * UINT64_C(0x9e3779b97f4a7c15);
    return id;
}

/* A reader on whatever the index path names now; the old one is closed once the new one
 * is open (and kept when it cannot be). */
static void reader_replace(worker_t *w, uint64_t epoch)
{
    server_t *srv = w->srv;
    newsidx_reader_t *fresh = NULL;
    uint64_t ino = folder_ino(srv->cfg.index_path);
    newsidx_status_t st = newsidx_reader_open(srv->cfg.index_path, &fresh);
    if (st != NEWSIDX_OK) {
        LOG(LOG_WARN, "reopen", "worker=%u status=%s msg=\"%s\"", w->id,
            newsidx_status_name(st), fresh ? newsidx_reader_error(fresh) : "");
        newsidx_reader_close(fresh);
        return;
    }
    newsidx_reader_set_doc_cache(fresh, (uint64_t)srv->cfg.doc_cache_mb << 20);
    newsidx_cache_stats_t cs;
    if (newsidx_reader_doc_cache_stats(w->reader, &cs) == NEWSIDX_OK) {
        w->cache_hits_before += cs.hits;
        w->cache_misses_before += cs.misses;
    }
    newsidx_reader_close(w->reader);
    w->reader = fresh;
    w->reader_ino = ino;
    worker_cache_published(w);
    atomic_store(&w->reader_epoch, epoch);
    LOG(LOG_INFO, "reopen", "worker=%u epoch=%" PRIu64 " reason=new_index", w->id, epoch);
}

void worker_cache_published(worker_t *w)
{
    newsidx_cache_stats_t cs;
    if (!w->reader || newsidx_reader_doc_cache_stats(w->reader, &cs) != NEWSIDX_OK)
        return;
    atomic_store_explicit(&w->cache_hits, w->cache_hits_before + cs.hits, memory_order_relaxed);
    atomic_store_explicit(&w->cache_misses, w->cache_misses_before + cs.misses,
                          memory_order_relaxed);
    atomic_store_explicit(&w->cache_bytes, cs.bytes, memory_order_relaxed);
    atomic_store_explicit(&w->cache_docs, cs.docs, memory_order_relaxed);
}

newsidx_reader_t *worker_reader(worker_t *w)
{
    server_t *srv = w->srv;
    uint64_t gen = atomic_load(&srv->index_gen), now = server_now_us();
    uint64_t epoch = atomic_load(&srv->index_epoch);
    if (gen == w->reader_gen && epoch == atomic_load(&w->reader_epoch) &&
        now - w->reader_refreshed_us < NEWSD_READER_REFRESH_MS * 1000u)
        return w->reader;
    if (srv->cfg.nshards) {
        /* no REINDEX swaps a sharded index; a shard that fails here is marked down and
         * named by the next query */
        newsidx_status_t st = newsidx_reader_reopen(w->reader, NULL);
        if (st != NEWSIDX_OK)
            LOG(LOG_WARN, "reopen", "worker=%u status=%s msg=\"%s\"", w->id,
                newsidx_status_name(st), newsidx_reader_error(w->reader));
        w->reader_gen = gen;
        w->reader_refreshed_us = now;
        worker_cache_published(w);   /* a move emptied the document cache */
        return w->reader;
    }
    pthread_rwlock_rdlock(&srv->swap_lock);
    epoch = atomic_load(&srv->index_epoch);
    if (epoch != atomic_load(&w->reader_epoch) || folder_ino(srv->cfg.index_path) != w->reader_ino) {
        reader_replace(w, epoch);
    } else {
        newsidx_status_t st = newsidx_reader_reopen(w->reader, NULL);
        if (st != NEWSIDX_OK) {
            /* keep serving the revision we have; say so in the log */
            LOG(LOG_WARN, "reopen", "worker=%u status=%s msg=\"%s\"", w->id,
                newsidx_status_name(st), newsidx_reader_error(w->reader));
        }
    }
    pthread_rwlock_unlock(&srv->swap_lock);
    w->reader_gen = gen;
    w->reader_refreshed_us = now;
    worker_cache_published(w);   /* a move emptied the document cache */
    return w->reader;
}

void server_wake_all(server_t *srv)
{
    for (unsigned i = 0; i < srv->cfg.workers; i++)
        server_wake(&srv->workers[i]);
}

void worker_conn_gone(worker_t *w)
{
    if (w->stopping && w->nconns == 0 && !http_worker_busy(w))
        event_base_loopbreak(w->base);
}

/* ---- workers ---- */

static void worker_take_queues(worker_t *w, new_conn_t **nc, write_req_t **done, int *stop)
{
    *stop = atomic_load(&w->stop_requested);
    *nc = queue_take_all(&w->incoming);
    *done = queue_take_all(&w->done);
}

static void wake_cb(void *arg)
{
    server_wake(arg);
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    worker_t *w = arg;
    LOG(LOG_WARN, "shutdown_grace", "worker=%u closing=%u", w->id, w->nconns);
    conn_close_all(w);
    event_base_loopbreak(w->base);
}

/* Hands each committed write back to its connection, which sends the reply. */
static void deliver_writes(worker_t *w, write_req_t *done)
{
    while (done) {
        write_req_t *next = done->next;
        if (done->http_batch)
            http_write_done(w, done);
        else
            conn_write_done(w, done);
        done = next;
    }
}

static void notify_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    worker_t *w = arg;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    new_conn_t *nc;
    write_req_t *done;
    int stop;
    worker_take_queues(w, &nc, &done, &stop);
    worker_reader(w);   /* an idle worker, too, leaves an index a REINDEX replaced */
    http_worker_woken(w);
    deliver_writes(w, done);
    while (nc) {
        new_conn_t *next = nc->next;
        conn_new(w, nc->fd, nc->peer, nc->unix_socket);
        free(nc);
        nc = next;
    }
    if (stop && !w->stopping) {
        w->stopping = 1;
        struct timeval tv = { NEWSD_SHUTDOWN_GRACE_MS / 1000,
                              (NEWSD_SHUTDOWN_GRACE_MS % 1000) * 1000 };
        evtimer_add(w->grace_ev, &tv);
        conn_shutdown_all(w);
        http_worker_stop(w);
        worker_conn_gone(w);
    }
}

/* One pass of the worker's event loop; 1 when the loop is to end: asked to (libevent
 * forgets that at its next pass, so it is looked at after each), an error, or nothing
 * left to wait for (where event_base_dispatch would return). */
static int worker_pass(struct event_base *base, int flags)
{
    int rc = event_base_loop(base, flags);
    return rc != 0 || event_base_got_break(base) || event_base_got_exit(base);
}

/*
 * Adaptive polling, as KVM polls before halting a vCPU.  A worker with nothing to do
 * polls its sockets without blocking for a while (its window) before it sleeps in
 * epoll_wait: the next request of a client that sends one after another is then read
 * without the scheduler's wake-up, which on a virtual machine whose vCPU halted costs
 * tens of microseconds, and the worker's caches are still warm for the search.  The
 * window follows what the polls achieve: when input came while the worker slept, but
 * sooner after it went idle than --busy-poll-us, a longer window would have caught it,
 * so the window doubles (from NEWSD_BUSY_POLL_GROW_START_US, up to --busy-poll-us);
 * when input came later than that, polling is wasted on this load, so it halves, to 0
 * below the start.  A daemon whose clients pause between requests (a web front end, an
 * idle night) thus settles at 0 and burns nothing; under steady load there is no idle
 * spell to poll in.  --busy-poll-us 0 turns it off.
 */
void *worker_main(void *arg)
{
    worker_t *w = arg;
    const unsigned max = w->srv->cfg.busy_poll_us;
    unsigned window = 0;
    int poll = 1;   /* 0 after a wake-up that was not a client's: nobody is on the way */
    if (max == 0) {
        event_base_dispatch(w->base);
        return NULL;
    }
    for (;;) {
        /* Runs what is ready; a request that arrives meanwhile is served in this pass. */
        if (worker_pass(w->base, EVLOOP_NONBLOCK))
            return NULL;
        uint64_t idle_from = server_now_us();
        uint64_t seen = w->activity;
        while (poll && window && w->activity == seen &&
               server_now_us() - idle_from < window)
            if (worker_pass(w->base, EVLOOP_NONBLOCK))
                return NULL;
        poll = 1;
        if (w->activity != seen)
            continue;
        if (worker_pass(w->base, EVLOOP_ONCE))
            return NULL;
        if (w->activity == seen) {
            poll = 0; /* a timer or a wake-up from another thread, not a client */
            continue;
        }
        if (server_now_us() - idle_from <= max) {
            window = window < NEWSD_BUSY_POLL_GROW_START_US ? NEWSD_BUSY_POLL_GROW_START_US
                                                            : window * 2;
            if (window > max)
                window = max;
        } else {
            window /= 2;
            if (window < NEWSD_BUSY_POLL_GROW_START_US)
                window = 0;
        }
    }
}

/* The worker's reader: on the index folder, or over the shards.  A remote shard that
 * cannot be reached does not stop the start: it is down until it answers (worker 0
 * says so in the log). */
static int open_reader(worker_t *w)
{
    server_t *srv = w->srv;
    const server_config_t *cfg = &srv->cfg;
    newsidx_status_t st;
    if (cfg->nshards)
        st = newsidx_reader_open_shards((const char *const *)cfg->shards, cfg->nshards,
                                        cfg->shard_timeout_ms, &w->reader);
    else
        st = newsidx_reader_open(cfg->index_path, &w->reader);
    if (w->reader)
        newsidx_reader_set_doc_cache(w->reader, (uint64_t)cfg->doc_cache_mb << 20);
    if (st != NEWSIDX_OK) {
        fprintf(stderr, "newsd: cannot open the index %s: %s\n",
                cfg->nshards ? "shards" : cfg->index_path,
                w->reader ? newsidx_reader_error(w->reader) : newsidx_status_name(st));
        return -1;
    }
    for (size_t k = 0; w->id == 0 && k < cfg->nshards; k++) {
        newsidx_shard_info_t info;
        if (newsidx_reader_shard_info(w->reader, k, &info) != NEWSIDX_OK)
            continue;
        if (info.up)
            LOG(LOG_INFO, "shard", "shard=%zu name=%s state=up docs=%" PRIu64, k, info.name,
                info.docs);
        else
            LOG(LOG_WARN, "shard", "shard=%zu name=%s state=down msg=\"%s\"", k, info.name,
                info.error);
    }
    return 0;
}

int worker_init(worker_t *w, server_t *srv, unsigned id)
{
    w->srv = srv;
    w->id = id;
    w->notify_rd = w->notify_wr = -1;
    queue_init(&w->incoming, offsetof(new_conn_t, next), 0, wake_cb, w);
    queue_init(&w->done, offsetof(write_req_t, next), 0, wake_cb, w);
    if (open_reader(w) != 0)
        return -1;
    w->reader_gen = atomic_load(&srv->index_gen);
    w->reader_refreshed_us = server_now_us();
    w->reader_ino = srv->cfg.index_path ? folder_ino(srv->cfg.index_path) : 0;
    atomic_store(&w->reader_epoch, atomic_load(&srv->index_epoch));
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "newsd: pipe: %s\n", strerror(errno));
        return -1;
    }
    w->notify_rd = fds[0];
    w->notify_wr = fds[1];
    evutil_make_socket_nonblocking(fds[0]);
    evutil_make_socket_nonblocking(fds[1]);
    evutil_make_socket_closeonexec(fds[0]);
    evutil_make_socket_closeonexec(fds[1]);
    w->base = event_base_new();
    if (!w->base)
        return -1;
    w->notify_ev = event_new(w->base, w->notify_rd, EV_READ | EV_PERSIST, notify_cb, w);
    w->grace_ev = evtimer_new(w->base, grace_cb, w);
    if (!w->notify_ev || !w->grace_ev || event_add(w->notify_ev, NULL) != 0)
        return -1;
    return 0;
}

/* After the thread ended and the writer stopped: answer what came back, free the rest. */
void worker_finish(worker_t *w)
{
    if (!w->srv)
        return;     /* never initialised */
    new_conn_t *nc;
    write_req_t *done;
    int stop;
    worker_take_queues(w, &nc, &done, &stop);
    deliver_writes(w, done);
    while (nc) {
        new_conn_t *next = nc->next;
        close(nc->fd);
        server_conn_closed(w->srv, nc->unix_socket);
        free(nc);
        nc = next;
    }
    conn_destroy_all(w);
    http_worker_free(w);
    if (w->notify_ev)
        event_free(w->notify_ev);
    if (w->grace_ev)
        event_free(w->grace_ev);
    if (w->base)
        event_base_free(w->base);
    if (w->notify_rd >= 0)
        close(w->notify_rd);
    if (w->notify_wr >= 0)
        close(w->notify_wr);
    newsidx_reader_close(w->reader);
    queue_destroy(&w->incoming);
    queue_destroy(&w->done);
}

/* ---- accepting ---- */

