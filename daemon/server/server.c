/*
 * server.c: the daemon's main thread and its lifecycle (see server.h; the workers are
 * worker.c).  The main thread binds the listeners (backlog NEWSD_LISTEN_BACKLOG), prints the ready line, accepts,
 * enforces the connection cap and deals each socket to the next worker (round robin)
 * through the worker's queue and notification pipe.  It also owns the signals, handled
 * on its event loop (evsignal), never in a signal handler: SIGTERM/SIGINT stop
 * accepting and ask every worker to finish; SIGHUP reopens the log file, reads the token
 * file again and bumps the index generation so every worker reopens its reader.  Around
 * both it tells systemd (notify.c), and it holds the pid file (pidfile.c) for the run.  Workers run until their last
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

#include "auth.h"
#include "conn.h"
#include "fsutil.h"
#include "log.h"
#include "notify.h"
#include "pidfile.h"
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
    struct event *signals[3];       /* SIGTERM, SIGINT, SIGHUP */
    pidfile_t *pidfile;             /* --pidfile, locked from start to exit */
    uint64_t docs;                  /* the documents counted at start (STATUS= to systemd) */
} main_ctx_t;

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

/* Binds unix:PATH, the socket born owner-only.  Returns 0 or -1 (message printed). */
static int bind_unix(main_ctx_t *m, const char *addr, unsigned flags, listener_t *l)
{
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
    return 0;
}

/* Resolves HOST:PORT, with an IPv6 host in brackets and HOST a number or a name, into
 * *ss and *sslen.  Returns 0 or -1 (message printed). */
static int resolve_host_port(const char *addr, struct sockaddr_storage *ss, int *sslen)
{
    memset(ss, 0, sizeof *ss);
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
        ai->ai_addrlen > sizeof *ss) {
        fprintf(stderr, "newsd: cannot resolve --listen address '%s'\n", addr);
        if (ai)
            freeaddrinfo(ai);
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sslen = (int)ai->ai_addrlen;
    freeaddrinfo(ai);
    if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
        fprintf(stderr, "newsd: bad --listen address '%s'\n", addr);
        return -1;
    }
    return 0;
}

/* Binds HOST:PORT; the name printed is the address bound (port 0 gets a real one).
 * Returns 0 or -1 (message printed). */
static int bind_tcp(main_ctx_t *m, const char *addr, unsigned flags, listener_t *l)
{
    struct sockaddr_storage ss;
    int sslen;
    if (resolve_host_port(addr, &ss, &sslen) != 0)
        return -1;
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
    return 0;
}

/* Binds one --listen address.  Returns 0 or -1 (message printed). */
static int bind_one(main_ctx_t *m, const char *addr, listener_t *l)
{
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    int rc = strncmp(addr, "unix:", 5) == 0 ? bind_unix(m, addr, flags, l)
                                            : bind_tcp(m, addr, flags, l);
    if (rc != 0)
        return -1;
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
    notify_send("STOPPING=1\nSTATUS=stopping");
    close_listeners(m);
    for (unsigned i = 0; i < srv->cfg.workers; i++) {
        worker_t *w = &srv->workers[i];
        atomic_store(&w->stop_requested, 1);
        server_wake(w);
    }
    event_base_loopbreak(m->base);
}

int server_auth_configured(server_t *srv)
{
    pthread_mutex_lock(&srv->auth_lock);
    int configured = srv->cfg.auth_token_len > 0;
    pthread_mutex_unlock(&srv->auth_lock);
    return configured;
}

int server_auth_matches(server_t *srv, const char *guess, size_t guess_len)
{
    pthread_mutex_lock(&srv->auth_lock);
    int ok = srv->cfg.auth_token_len > 0 &&
             auth_token_equal(srv->cfg.auth_token, srv->cfg.auth_token_len, guess, guess_len);
    pthread_mutex_unlock(&srv->auth_lock);
    return ok;
}

/* SIGHUP's new token: the token file read again.  A file that no longer passes
 * auth_token_load's rules changes nothing (the old token stays valid: never a daemon
 * without a token, nor one that stopped). */
static void reload_token(server_t *srv)
{
    if (!srv->cfg.auth_token_file)
        return;
    char token[NEWSD_AUTH_TOKEN_MAX_LEN + 1], err[600];
    size_t len;
    if (auth_token_load(srv->cfg.auth_token_file, token, &len, err, sizeof err) != 0) {
        char quoted[sizeof err * 4 + 4];
        LOG(LOG_ERROR, "auth_token_reload", "action=kept_old_token msg=\"%s\"",
            log_escape(quoted, sizeof quoted, err, strlen(err)));
        return;
    }
    pthread_mutex_lock(&srv->auth_lock);
    memcpy(srv->cfg.auth_token, token, len + 1);
    srv->cfg.auth_token_len = len;
    pthread_mutex_unlock(&srv->auth_lock);
    explicit_bzero(token, sizeof token);
    LOG(LOG_INFO, "auth_token_reload", "file=%s", srv->cfg.auth_token_file);
}

static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    main_ctx_t *m = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
                (unsigned long long)now.tv_sec * 1000000ull + (unsigned long long)now.tv_nsec / 1000);
    char err[600];
    if (log_reopen(err, sizeof err) != 0)
        LOG(LOG_ERROR, "log_reopen", "msg=\"%s\"", err);
    reload_token(m->srv);
    atomic_fetch_add(&m->srv->index_gen, 1);
    LOG(LOG_INFO, "reopen", "signal=HUP");
    notify_send("READY=1");
}

/* ---- the whole run ---- */

/* The server as configured, before anything is opened.  A daemon killed during a
 * REINDEX leaves its work folder (or, between the two renames of the swap, the live
 * index parked aside: put back). */
static void server_init(server_t *srv, main_ctx_t *m, const server_config_t *cfg)
{
    memset(m, 0, sizeof *m);
    memset(srv, 0, sizeof *srv);
    srv->cfg = *cfg;
    srv->cfg.replica = newsidx_is_replica(cfg->index_path);
    srv->started_us = server_now_us();
    m->srv = srv;
    signal(SIGPIPE, SIG_IGN);
    pthread_rwlock_init(&srv->swap_lock, NULL);
    pthread_mutex_init(&srv->auth_lock, NULL);
    if (cfg->index_path)
        fsutil_remove_stale(cfg->index_path);
}

/* The main thread's event base and every worker's state (each opens its reader), no
 * thread yet.  Returns 0 or -1. */
static int open_workers(main_ctx_t *m)
{
    server_t *srv = m->srv;
    raise_fd_limit(srv->cfg.max_connections);
    srv->workers = calloc(srv->cfg.workers, sizeof *srv->workers);
    m->base = event_base_new();
    if (!srv->workers || !m->base)
        return -1;
    m->accept_retry_ev = evtimer_new(m->base, accept_retry_cb, m);
    if (!m->accept_retry_ev)
        return -1;
    for (unsigned i = 0; i < srv->cfg.workers; i++)
        if (worker_init(&srv->workers[i], srv, i) != 0)
            return -1;
    return 0;
}

/* The documents the ready line counts, from the first worker's reader: of a sharded
 * index, those of the shards that are up (a down one must not stop the start). */
static uint64_t count_docs(server_t *srv)
{
    uint64_t docs = 0;
    if (srv->cfg.nshards) {
        for (size_t k = 0; k < srv->cfg.nshards; k++) {
            newsidx_shard_info_t info;
            if (newsidx_reader_shard_info(srv->workers[0].reader, k, &info) == NEWSIDX_OK)
                docs += info.docs;
        }
    } else {
        newsidx_reader_doc_count(srv->workers[0].reader, &docs);
    }
    return docs;
}

/* Binds every --listen address.  Returns 0 or -1 (message printed). */
static int open_listeners(main_ctx_t *m)
{
    const server_config_t *cfg = &m->srv->cfg;
    for (size_t i = 0; i < cfg->nlisten; i++) {
        if (bind_one(m, cfg->listen[i], &m->listeners[i]) != 0)
            return -1;
        m->nlisteners++;
    }
    return 0;
}

/* The writer thread and the REINDEX job's state.  Returns 0 or -1. */
static int start_writer(server_t *srv)
{
    srv->writer = writer_start(srv);
    if (!srv->writer)
        return -1;
    srv->reindex = reindex_new(srv);
    if (!srv->reindex)
        return -1;
    LOG(LOG_INFO, "write_authority", "unix=always tcp=%s",
        srv->cfg.auth_token_len ? "after_auth" : "never");
    return 0;
}

/* SIGTERM and SIGINT stop the daemon, SIGHUP reopens the index.  Returns 0 or -1. */
static int add_signal_events(main_ctx_t *m)
{
    m->signals[0] = evsignal_new(m->base, SIGTERM, stop_cb, m);
    m->signals[1] = evsignal_new(m->base, SIGINT, stop_cb, m);
    m->signals[2] = evsignal_new(m->base, SIGHUP, hup_cb, m);
    for (int i = 0; i < 3; i++)
        if (!m->signals[i] || evsignal_add(m->signals[i], NULL) != 0)
            return -1;
    return 0;
}

/* Starts the worker threads; returns how many started.  Only the main thread takes the
 * signals: the others start with them blocked. */
static unsigned start_worker_threads(server_t *srv)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    unsigned started = 0;
    for (; started < srv->cfg.workers; started++)
        if (pthread_create(&srv->workers[started].thread, NULL, worker_main,
                           &srv->workers[started]) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return started;
}

/* "newsd: ready listen=... workers=N docs=N [shards=N]": what the tests and scripts wait
 * for before they connect. */
static void print_ready_line(const main_ctx_t *m, uint64_t docs)
{
    const server_config_t *cfg = &m->srv->cfg;
    char line[NEWSD_LOG_LINE_LEN];
    size_t len = (size_t)snprintf(line, sizeof line, "newsd: ready");
    for (size_t i = 0; i < m->nlisteners && len < sizeof line; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, " listen=%s",
                                m->listeners[i].name);
    if (len < sizeof line)
        len += (size_t)snprintf(line + len, sizeof line - len, " workers=%u docs=%" PRIu64,
                                cfg->workers, docs);
    if (cfg->nshards && len < sizeof line)
        snprintf(line + len, sizeof line - len, " shards=%zu", cfg->nshards);
    log_line(line);
}

/* Starts the workers and runs the main loop until a stop signal; every worker thread
 * started is joined.  Returns 0, or 1 when the workers could not all start. */
static int serve(main_ctx_t *m, uint64_t docs)
{
    char err[600];
    if (m->pidfile && pidfile_write(m->pidfile, err, sizeof err) != 0) {
        fprintf(stderr, "newsd: %s\n", err);
        return 1;
    }
    server_t *srv = m->srv;
    int rc = 1;
    unsigned started = start_worker_threads(srv);
    if (started < srv->cfg.workers) {
        fprintf(stderr, "newsd: cannot start worker threads\n");
        stop_cb(SIGTERM, 0, m);
    } else {
        print_ready_line(m, docs);
        notify_send("READY=1\nSTATUS=serving %" PRIu64 " documents\nMAINPID=%ld", docs,
                    (long)getpid());
        event_base_dispatch(m->base);
        rc = 0;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(srv->workers[i].thread, NULL);
    return rc;
}

/* The orderly end, after a run or a failed start: whatever was opened is closed, in the
 * order that lets the writer answer what is queued. */
static void server_teardown(main_ctx_t *m)
{
    server_t *srv = m->srv;
    close_listeners(m);
    reindex_free(srv->reindex);  /* cancels a rebuild still running; before the writer */
    srv->reindex = NULL;
    writer_stop(srv->writer);   /* commits what is queued; answers go to the queues */
    srv->writer = NULL;
    if (srv->workers)
        for (unsigned i = 0; i < srv->cfg.workers; i++)
            worker_finish(&srv->workers[i]);
    for (int i = 0; i < 3; i++)
        if (m->signals[i])
            event_free(m->signals[i]);
    if (m->accept_retry_ev)
        event_free(m->accept_retry_ev);
    if (m->base)
        event_base_free(m->base);
    free(srv->workers);
    pthread_rwlock_destroy(&srv->swap_lock);
    pthread_mutex_destroy(&srv->auth_lock);
    pidfile_release(m->pidfile);
    m->pidfile = NULL;
}

int server_run(const server_config_t *cfg)
{
    static server_t srv_storage;
    server_t *srv = &srv_storage;
    main_ctx_t m;
    int rc = 1;
    server_init(srv, &m, cfg);
    char err[600];
    if (cfg->pidfile && !(m.pidfile = pidfile_take(cfg->pidfile, err, sizeof err)))
        fprintf(stderr, "newsd: %s\n", err);
    else if (open_workers(&m) == 0) {
        m.docs = count_docs(srv);
        if (open_listeners(&m) == 0 && start_writer(srv) == 0 && add_signal_events(&m) == 0)
            rc = serve(&m, m.docs);
    }
    server_teardown(&m);
    if (rc == 0)
        LOG(LOG_INFO, "exit", "status=0 requests=%" PRIuFAST64 " writes=%" PRIuFAST64,
            atomic_load(&srv->stats.requests), atomic_load(&srv->stats.writes));
    return rc;
}
