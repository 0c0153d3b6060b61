/*
 * listen.h: the main thread's state, shared by server.c (the run and the signals) and
 * listen.c (the listeners and accepting).  Internal to the server.
 */
#ifndef NEWSD_LISTEN_H
#define NEWSD_LISTEN_H

#include <sys/types.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "pidfile.h"
#include "server.h"

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
    int http_fds[NEWSD_MAX_HTTP_LISTENERS];   /* --http sockets (each worker has a copy) */
    char http_names[NEWSD_MAX_HTTP_LISTENERS][64];   /* as printed on the ready line */
    size_t nhttp;
} main_ctx_t;

/* How many of max_connections TCP connections (line protocol and HTTP) may take. */
unsigned listen_tcp_cap(unsigned max_connections);
/* Resolves HOST:PORT (an IPv6 host in brackets; a number or a name) into *ss and *sslen.
 * Returns 0 or -1 (message printed, naming option opt). */
struct sockaddr_storage;
int listen_resolve(const char *opt, const char *addr, struct sockaddr_storage *ss, int *sslen);
/* Raises the soft limit on open files to cover max_connections, as far as the hard limit
 * allows; says so when it cannot. */
void listen_raise_fd_limit(unsigned max_connections);
/* Binds every --listen address of m's server.  Returns 0 or -1 (message printed). */
int listen_open(main_ctx_t *m);
/* Frees the listeners and removes the Unix socket files that are still ours. */
void listen_close(main_ctx_t *m);
/* The timer callback (arg: m) that listens again after running out of descriptors. */
void listen_retry_cb(evutil_socket_t fd, short what, void *arg);

#endif
