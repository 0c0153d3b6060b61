/*
 * server.c: the daemon's main thread and its lifecycle (see server.h; the workers are
 * worker.c, the listeners and accepting listen.c).  It opens the index for the workers,
 * binds the listeners, prints the ready line and runs the main event loop.  It also owns
 * the signals, handled on that loop (evsignal), never in a signal handler: SIGTERM/SIGINT
 * stop accepting and ask every worker to finish; SIGHUP reopens the log file, reads the
 * token file again and bumps the index generation so every worker reopens its reader.
 * Around both it tells systemd (notify.c), and it holds the pid file (pidfile.c) for the
 * run.  Workers run until their last connection is gone (or NEWSD_SHUTDOWN_GRACE_MS),
 * then the writer commits what is left, the answered writes of closed connections are
 * reaped, and everything is freed.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "auth.h"
#include "fsutil.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "pidfile.h"
#include "reindex.h"
#include "server.h"
#include "writer.h"


/* ---- signals ---- */

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    main_ctx_t *m = arg;
    server_t *srv = m->srv;
    LOG(LOG_INFO, "shutdown", "signal=%s connections=%" PRIuFAST64,
        sig == SIGINT ? "INT" : "TERM", atomic_load(&srv->stats.conns_open));
    notify_send("STOPPING=1\nSTATUS=stopping");
    listen_close(m);
    http_close(m);   /* the workers close their copies as they stop */
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
    listen_raise_fd_limit(srv->cfg.max_connections);
    srv->workers = calloc(srv->cfg.workers, sizeof *srv->workers);
    m->base = event_base_new();
    if (!srv->workers || !m->base)
        return -1;
    m->accept_retry_ev = evtimer_new(m->base, listen_retry_cb, m);
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

/* "newsd: ready listen=... [http=...] workers=N docs=N [shards=N]": what the tests and
 * scripts wait for before they connect. */
static void print_ready_line(const main_ctx_t *m, uint64_t docs)
{
    const server_config_t *cfg = &m->srv->cfg;
    char line[NEWSD_LOG_LINE_LEN];
    size_t len = (size_t)snprintf(line, sizeof line, "newsd: ready");
    for (size_t i = 0; i < m->nlisteners && len < sizeof line; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, " listen=%s",
                                m->listeners[i].name);
    for (size_t i = 0; i < m->nhttp && len < sizeof line; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, " http=%s", m->http_names[i]);
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
    listen_close(m);
    http_close(m);
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
        if (listen_open(&m) == 0 && http_open(&m) == 0 && start_writer(srv) == 0 &&
            add_signal_events(&m) == 0)
            rc = serve(&m, m.docs);
    }
    server_teardown(&m);
    if (rc == 0)
        LOG(LOG_INFO, "exit", "status=0 requests=%" PRIuFAST64 " writes=%" PRIuFAST64,
            atomic_load(&srv->stats.requests), atomic_load(&srv->stats.writes));
    return rc;
}
