/*
 * http.h: newsd over HTTP (--http HOST:PORT; newsd(8), "HTTP").  The main thread binds
 * the addresses; each worker thread runs its own libevent evhttp server on its own
 * event_base, accepting on the shared listening sockets, so HTTP requests are served by
 * the same workers, on the same readers and through the same command code (cmd_execute)
 * as the line protocol.  Writes go to the writer thread and are answered when it hands
 * them back (http_write_done).  HTTP connections count against --max-connections with
 * the line protocol's.
 */
#ifndef NEWSD_HTTP_H
#define NEWSD_HTTP_H

#include "listen.h"
#include "server.h"

/* Binds every --http address of m's server (main thread, before the workers start) and
 * sets up each worker's HTTP server.  Returns 0 or -1 (message printed). */
int http_open(main_ctx_t *m);

/* Closes the main thread's listening sockets (the workers' copies go with their servers). */
void http_close(main_ctx_t *m);

/* SIGTERM, on worker w's thread: stop accepting, and close w's HTTP server once no write of
 * it is with the writer. */
void http_worker_stop(worker_t *w);

/* w was woken (server_wake): it listens for HTTP again if it waited for its turn. */
void http_worker_woken(worker_t *w);
/* 1 while w's HTTP server is still up (not yet closed by http_worker_stop), else 0. */
int http_worker_busy(const worker_t *w);

/* The writer served req, a write an HTTP request of w made: answer it when its batch is
 * complete.  Frees req. */
void http_write_done(worker_t *w, write_req_t *req);

/* After the worker thread ended: frees w's HTTP server and what it holds. */
void http_worker_free(worker_t *w);

#endif
