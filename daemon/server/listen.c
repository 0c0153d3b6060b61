/*
 * listen.c: the listeners of the main thread: binding TCP and Unix addresses (a stale
 * socket file of a dead newsd is replaced, a live one never), accepting with the
 * connection cap (a quarter of it, at most NEWSD_UNIX_RESERVED_CONNECTIONS, kept for
 * Unix sockets), dealing each socket to the next worker, and pausing when out of
 * descriptors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/util.h>

#include "conn.h"
#include "fsutil.h"
#include "listen.h"
#include "log.h"

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

/* The slots of --max-connections TCP connections (HTTP ones too) may take: the rest are
 * kept for Unix sockets, so that a flood of TCP connections cannot lock the administrator
 * out. */
unsigned listen_tcp_cap(unsigned max_connections)
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
                             listen_tcp_cap(srv->cfg.max_connections))) {
        static const char msg[] = "ERR busy too many connections\n";
        ssize_t n = send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL);
        (void)n;
        shutdown(fd, SHUT_WR);
        close(fd);
        atomic_fetch_add(&srv->stats.conns_rejected, 1);
        atomic_fetch_add(&srv->stats.errors, 1);
        LOG(LOG_WARN, "conn_rejected", "peer=%s reason=max_connections max=%u tcp_max=%u",
            peer, srv->cfg.max_connections, listen_tcp_cap(srv->cfg.max_connections));
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

void listen_retry_cb(evutil_socket_t fd, short what, void *arg)
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
void listen_raise_fd_limit(unsigned max_connections)
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

int listen_resolve(const char *opt, const char *addr, struct sockaddr_storage *ss, int *sslen)
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
        fprintf(stderr, "newsd: bad %s address '%s' (%s)\n", opt, addr,
                strcmp(opt, "--listen") == 0 ? "HOST:PORT or unix:PATH" : "HOST:PORT");
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
        fprintf(stderr, "newsd: cannot resolve %s address '%s'\n", opt, addr);
        if (ai)
            freeaddrinfo(ai);
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sslen = (int)ai->ai_addrlen;
    freeaddrinfo(ai);
    if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
        fprintf(stderr, "newsd: bad %s address '%s'\n", opt, addr);
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
    if (listen_resolve("--listen", addr, &ss, &sslen) != 0)
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

void listen_close(main_ctx_t *m)
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

/* Binds every --listen address.  Returns 0 or -1 (message printed). */
int listen_open(main_ctx_t *m)
{
    const server_config_t *cfg = &m->srv->cfg;
    for (size_t i = 0; i < cfg->nlisten; i++) {
        if (bind_one(m, cfg->listen[i], &m->listeners[i]) != 0)
            return -1;
        m->nlisteners++;
    }
    return 0;
}