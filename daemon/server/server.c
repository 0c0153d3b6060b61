/*
 * server.c: the daemon's threads and their lifecycle (see server.h).  The main thread
 * binds the listeners (backlog NEWSD_LISTEN_BACKLOG), prints the ready line, accepts,
 * enforces the connection cap and deals each socket to the next worker (round robin)
 * through the worker's queue and notification pipe.  It also owns the signals:
 * SIGTERM/SIGINT stop accepting and ask every worker to finish; SIGHUP bumps the index
 * generation so every worker reopens its reader.  Workers run until their last
 * connection is gone (or NEWSD_SHUTDOWN_GRACE_MS), then the writer commits what is left,
 * the answered writes of closed connections are reaped, and everything is freed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "conn.h"
#include "fsutil.h"
#include "log.h"
#include "reindex.h"
#include "server.h"
#include "writer.h"

typedef struct listener {
    struct evconnlistener *lev;
    char name[300];                 /* as printed on the ready line */
    char unix_path[108];            /* removed at exit; "" for TCP */
    dev_t unix_dev;                 /* the socket file bound there: at exit it is removed */
    ino_t unix_ino;                 /* only if it is still this one */
} listener_t;

typedef struct main_ctx {
    server_t *srv;
    struct event_base *base;
    listener_t listeners[NEWSD_MAX_LISTENERS];
    size_t nlisteners;
    unsigned next_worker;
    struct event *accept_retry_ev;  /* listens again after running out of descriptors */
} main_ctx_t;

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
    if (w->stopping && w->nconns == 0)
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
static void *worker_main(void *arg)
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

static int worker_init(worker_t *w, server_t *srv, unsigned id)
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
static void worker_finish(worker_t *w)
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

static void format_peer(const struct sockaddr *sa, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(out, outlen, "%s:%u", host, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(out, outlen, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else {
        snprintf(out, outlen, "unix");
    }
}

void server_conn_closed(server_t *srv, int unix_socket)
{
    atomic_fetch_sub(&srv->stats.conns_open, 1);
    if (!unix_socket)
        atomic_fetch_sub(&srv->stats.tcp_conns_open, 1);
}

/* The slots of --max-connections TCP connections may take: the rest are kept for Unix
 * sockets, so that a flood of TCP connections cannot lock the administrator out. */
static unsigned tcp_connection_cap(unsigned max_connections)
{
    unsigned reserve = max_connections / 4;
    if (reserve > NEWSD_UNIX_RESERVED_CONNECTIONS)
        reserve = NEWSD_UNIX_RESERVED_CONNECTIONS;
    return max_connections - reserve;
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    (void)lev;
    (void)socklen;
    main_ctx_t *m = arg;
    server_t *srv = m->srv;
    char peer[64];
    format_peer(sa, peer, sizeof peer);
    /* Asked of the socket itself, not of the peer's address: write authority must not
     * depend on what a client's address looks like. */
    struct sockaddr_storage local;
    socklen_t local_len = sizeof local;
    int unix_socket = getsockname(fd, (struct sockaddr *)&local, &local_len) == 0 &&
                      local.ss_family == AF_UNIX;
    if (atomic_load(&srv->stats.conns_open) >= srv->cfg.max_connections ||
        (!unix_socket && atomic_load(&srv->stats.tcp_conns_open) >=
                             tcp_connection_cap(srv->cfg.max_connections))) {
        static const char msg[] = "ERR busy too many connections\n";
        ssize_t n = send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL);
        (void)n;
        shutdown(fd, SHUT_WR);
        close(fd);
        atomic_fetch_add(&srv->stats.conns_rejected, 1);
        atomic_fetch_add(&srv->stats.errors, 1);
        LOG(LOG_WARN, "conn_rejected", "peer=%s reason=max_connections max=%u tcp_max=%u",
            peer, srv->cfg.max_connections, tcp_connection_cap(srv->cfg.max_connections));
        return;
    }
    new_conn_t *nc = calloc(1, sizeof *nc);
    if (!nc) {
        close(fd);
        return;
    }
    nc->fd = fd;
    nc->unix_socket = unix_socket;
    snprintf(nc->peer, sizeof nc->peer, "%s", peer);
    atomic_fetch_add(&srv->stats.conns_open, 1);
    if (!unix_socket)
        atomic_fetch_add(&srv->stats.tcp_conns_open, 1);
    atomic_fetch_add(&srv->stats.conns_total, 1);
    worker_t *w = &srv->workers[m->next_worker++ % srv->cfg.workers];
    queue_push(&w->incoming, nc, 1);
}

/* Out of descriptors (or memory), a listener would report the same pending connect
 * forever: stop listening for NEWSD_ACCEPT_RETRY_MS, as memcached does.  The connects
 * wait in the backlog meanwhile. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
    main_ctx_t *m = arg;
    int err = EVUTIL_SOCKET_ERROR();
    LOG(LOG_ERROR, "accept", "fd=%d errno=%d msg=\"%s\"", (int)evconnlistener_get_fd(lev), err,
        evutil_socket_error_to_string(err));
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
        return;
    for (size_t i = 0; i < m->nlisteners; i++)
        if (m->listeners[i].lev)
            evconnlistener_disable(m->listeners[i].lev);
    struct timeval tv = { NEWSD_ACCEPT_RETRY_MS / 1000, (NEWSD_ACCEPT_RETRY_MS % 1000) * 1000 };
    evtimer_add(m->accept_retry_ev, &tv);
}

static void accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    main_ctx_t *m = arg;
    for (size_t i = 0; i < m->nlisteners; i++)
        if (m->listeners[i].lev)
            evconnlistener_enable(m->listeners[i].lev);
}

/* Raises the soft limit on open files to cover --max-connections, as far as the hard
 * limit allows (as redis does); says so when it cannot. */
static void raise_fd_limit(unsigned max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)max_connections + NEWSD_RESERVED_FDS;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = old;
        if (rl.rlim_cur < want)
            LOG(LOG_WARN, "fd_limit", "open_files=%llu wanted=%llu msg=\"fewer connections than "
                "--max-connections can be served; new ones wait in the backlog\"",
                (unsigned long long)rl.rlim_cur, (unsigned long long)want);
    }
}

/* A socket file already at path is removed only when it is a stale one of ours: nothing
 * answers a connect there (a live daemon would lose its clients, and a second daemon
 * would steal them), and it belongs to this user.  Returns 0 (the path is free, or
 * holds something bind will refuse), or -1 (message printed). */
static int clear_stale_socket(const char *path, const struct sockaddr_un *sun)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return 0;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "newsd: cannot check unix:%s: %s\n", path, strerror(errno));
        return -1;
    }
    int live = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
    int e = errno;
    close(fd);
    if (live) {
        fprintf(stderr, "newsd: something already answers on unix:%s (another newsd?); "
                "stop it, or listen on another path\n", path);
        return -1;
    }
    if (e != ECONNREFUSED && e != ENOENT) {
        fprintf(stderr, "newsd: cannot tell whether unix:%s is in use: %s\n", path,
                strerror(e));
        return -1;
    }
    if (st.st_uid != geteuid()) {
        fprintf(stderr, "newsd: the socket file %s belongs to uid %lu, not to this user; "
                "not removing it: remove it yourself, or listen on another path\n", path,
                (unsigned long)st.st_uid);
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        fprintf(stderr, "newsd: cannot remove the stale socket %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Binds one --listen address.  Returns 0 or -1 (message printed). */
static int bind_one(main_ctx_t *m, const char *addr, listener_t *l)
{
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    if (strncmp(addr, "unix:", 5) == 0) {
        const char *path = addr + 5;
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        if (!*path || strlen(path) >= sizeof sun.sun_path) {
            fprintf(stderr, "newsd: bad unix socket path '%s' (1 to %zu bytes)\n", path,
                    sizeof sun.sun_path - 1);
            return -1;
        }
        strcpy(sun.sun_path, path);
        if (clear_stale_socket(path, &sun) != 0)
            return -1;
        /* Whoever can connect here may write (newsd(8), "AUTHORITY FOR WRITES"): the
         * socket is born owner-only (0600), with no moment at a laxer mode.  No other
         * thread runs yet, so changing the process's umask for the bind is safe. */
        mode_t old_mask = umask(0177);
        l->lev = evconnlistener_new_bind(m->base, accept_cb, m, flags, NEWSD_LISTEN_BACKLOG,
                                         (struct sockaddr *)&sun, sizeof sun);
        umask(old_mask);
        if (!l->lev) {
            fprintf(stderr, "newsd: cannot listen on %s: %s\n", addr, strerror(errno));
            return -1;
        }
        struct stat st;
        if (stat(path, &st) == 0) {
            l->unix_dev = st.st_dev;
            l->unix_ino = st.st_ino;
        }
        snprintf(l->unix_path, sizeof l->unix_path, "%s", path);
        snprintf(l->name, sizeof l->name, "unix:%s", path);
    } else {
        /* HOST:PORT, with an IPv6 host in brackets; HOST a number or a name */
        struct sockaddr_storage ss;
        int sslen;
        memset(&ss, 0, sizeof ss);
        const char *colon = strrchr(addr, ':');
        const char *h = addr, *hend = colon;
        char host[256];
        if (colon && addr[0] == '[' && colon > addr && colon[-1] == ']') {
            h = addr + 1;
            hend = colon - 1;
        }
        if (!colon || hend <= h || (size_t)(hend - h) >= sizeof host || !colon[1]) {
            fprintf(stderr, "newsd: bad --listen address '%s' (HOST:PORT or unix:PATH)\n",
                    addr);
            return -1;
        }
        memcpy(host, h, (size_t)(hend - h));
        host[hend - h] = '\0';
        struct addrinfo hints, *ai = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai ||
            ai->ai_addrlen > sizeof ss) {
            fprintf(stderr, "newsd: cannot resolve --listen address '%s'\n", addr);
            if (ai)
                freeaddrinfo(ai);
            return -1;
        }
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        sslen = (int)ai->ai_addrlen;
        freeaddrinfo(ai);
        if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
            fprintf(stderr, "newsd: bad --listen address '%s'\n", addr);
            return -1;
        }
        l->lev = evconnlistener_new_bind(m->base, accept_cb, m, flags, NEWSD_LISTEN_BACKLOG,
                                         (struct sockaddr *)&ss, sslen);
        if (!l->lev) {
            fprintf(stderr, "newsd: cannot listen on %s: %s\n", addr, strerror(errno));
            return -1;
        }
        struct sockaddr_storage bound;
        socklen_t blen = sizeof bound;
        getsockname(evconnlistener_get_fd(l->lev), (struct sockaddr *)&bound, &blen);
        format_peer((struct sockaddr *)&bound, l->name, sizeof l->name);
    }
    evconnlistener_set_error_cb(l->lev, accept_error_cb);
    return 0;
}

static void close_listeners(main_ctx_t *m)
{
    for (size_t i = 0; i < m->nlisteners; i++) {
        if (m->listeners[i].lev)
            evconnlistener_free(m->listeners[i].lev);
        m->listeners[i].lev = NULL;
        struct stat st;
        /* not a file that replaced ours meanwhile */
        if (m->listeners[i].unix_path[0] && lstat(m->listeners[i].unix_path, &st) == 0 &&
            st.st_dev == m->listeners[i].unix_dev && st.st_ino == m->listeners[i].unix_ino)
            unlink(m->listeners[i].unix_path);
        m->listeners[i].unix_path[0] = '\0';
    }
}

/* ---- signals ---- */

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    main_ctx_t *m = arg;
    server_t *srv = m->srv;
    LOG(LOG_INFO, "shutdown", "signal=%s connections=%" PRIuFAST64,
        sig == SIGINT ? "INT" : "TERM", atomic_load(&srv->stats.conns_open));
    close_listeners(m);
    for (unsigned i = 0; i < srv->cfg.workers; i++) {
        worker_t *w = &srv->workers[i];
        atomic_store(&w->stop_requested, 1);
        server_wake(w);
    }
    event_base_loopbreak(m->base);
}

static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    main_ctx_t *m = arg;
    atomic_fetch_add(&m->srv->index_gen, 1);
    LOG(LOG_INFO, "reopen", "signal=HUP");
}

/* ---- the whole run ---- */

int server_run(const server_config_t *cfg)
{
    static server_t srv_storage;
    server_t *srv = &srv_storage;
    main_ctx_t m;
    memset(&m, 0, sizeof m);
    memset(srv, 0, sizeof *srv);
    srv->cfg = *cfg;
    srv->cfg.replica = newsidx_is_replica(cfg->index_path);
    srv->started_us = server_now_us();
    m.srv = srv;
    signal(SIGPIPE, SIG_IGN);
    pthread_rwlock_init(&srv->swap_lock, NULL);
    /* a daemon killed during a REINDEX leaves its work folder (or, between the two renames
     * of the swap, the live index parked aside: put back) */
    if (cfg->index_path)
        fsutil_remove_stale(cfg->index_path);

    int rc = 1;
    unsigned started = 0;
    struct event *sigs[3] = { NULL, NULL, NULL };
    raise_fd_limit(cfg->max_connections);
    srv->workers = calloc(cfg->workers, sizeof *srv->workers);
    m.base = event_base_new();
    if (!srv->workers || !m.base)
        goto out;
    m.accept_retry_ev = evtimer_new(m.base, accept_retry_cb, &m);
    if (!m.accept_retry_ev)
        goto out;
    for (unsigned i = 0; i < cfg->workers; i++)
        if (worker_init(&srv->workers[i], srv, i) != 0)
            goto out;
    uint64_t docs = 0;
    if (cfg->nshards) {
        /* the documents of the shards that are up: a down one must not stop the start */
        for (size_t k = 0; k < cfg->nshards; k++) {
            newsidx_shard_info_t info;
            if (newsidx_reader_shard_info(srv->workers[0].reader, k, &info) == NEWSIDX_OK)
                docs += info.docs;
        }
    } else {
        newsidx_reader_doc_count(srv->workers[0].reader, &docs);
    }
    for (size_t i = 0; i < cfg->nlisten; i++) {
        if (bind_one(&m, cfg->listen[i], &m.listeners[i]) != 0)
            goto out;
        m.nlisteners++;
    }
    srv->writer = writer_start(srv);
    if (!srv->writer)
        goto out;
    srv->reindex = reindex_new(srv);
    if (!srv->reindex)
        goto out;
    LOG(LOG_INFO, "write_authority", "unix=always tcp=%s",
        cfg->auth_token_len ? "after_auth" : "never");

    /* only this thread takes the signals: the others start with them blocked */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigs[0] = evsignal_new(m.base, SIGTERM, stop_cb, &m);
    sigs[1] = evsignal_new(m.base, SIGINT, stop_cb, &m);
    sigs[2] = evsignal_new(m.base, SIGHUP, hup_cb, &m);
    for (int i = 0; i < 3; i++)
        if (!sigs[i] || evsignal_add(sigs[i], NULL) != 0)
            goto out;
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (; started < cfg->workers; started++)
        if (pthread_create(&srv->workers[started].thread, NULL, worker_main,
                           &srv->workers[started]) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started < cfg->workers) {
        fprintf(stderr, "newsd: cannot start worker threads\n");
        stop_cb(SIGTERM, 0, &m);
    } else {
        char line[NEWSD_LOG_LINE_LEN];
        size_t len = (size_t)snprintf(line, sizeof line, "newsd: ready");
        for (size_t i = 0; i < m.nlisteners && len < sizeof line; i++)
            len += (size_t)snprintf(line + len, sizeof line - len, " listen=%s",
                                    m.listeners[i].name);
        if (len < sizeof line)
            len += (size_t)snprintf(line + len, sizeof line - len, " workers=%u docs=%" PRIu64,
                                    cfg->workers, docs);
        if (cfg->nshards && len < sizeof line)
            snprintf(line + len, sizeof line - len, " shards=%zu", cfg->nshards);
        fprintf(stderr, "%s\n", line);
        fflush(stderr);
        event_base_dispatch(m.base);
        rc = 0;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(srv->workers[i].thread, NULL);
out:
    close_listeners(&m);
    reindex_free(srv->reindex);  /* cancels a rebuild still running; before the writer */
    srv->reindex = NULL;
    writer_stop(srv->writer);   /* commits what is queued; answers go to the queues */
    srv->writer = NULL;
    if (srv->workers)
        for (unsigned i = 0; i < cfg->workers; i++)
            worker_finish(&srv->workers[i]);
    for (int i = 0; i < 3; i++)
        if (sigs[i])
            event_free(sigs[i]);
    if (m.accept_retry_ev)
        event_free(m.accept_retry_ev);
    if (m.base)
        event_base_free(m.base);
    free(srv->workers);
    pthread_rwlock_destroy(&srv->swap_lock);
    if (rc == 0)
        LOG(LOG_INFO, "exit", "status=0 requests=%" PRIuFAST64 " writes=%" PRIuFAST64,
            atomic_load(&srv->stats.requests), atomic_load(&srv->stats.writes));
    return rc;
}
