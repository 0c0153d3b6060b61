/*
 * conn.h: one client connection, owned by one worker thread from accept to close.
 */
#ifndef NEWSD_CONN_H
#define NEWSD_CONN_H

#include "server.h"

/* Takes over socket fd (non-blocking, accepted by the accept thread) for worker w.  On
 * failure closes fd.  peer names the client for the log.  unix_socket: fd came through
 * a Unix socket, whose file permissions already decided who may write. */
void conn_new(worker_t *w, int fd, const char *peer, int unix_socket);

/* The writer served req, a write of one of w's connections: answer it and go on. */
void conn_write_done(worker_t *w, write_req_t *req);

/* SIGTERM: finish what is in flight, then close. */
void conn_shutdown(conn_t *c);

/* conn_shutdown for every connection of w. */
void conn_shutdown_all(worker_t *w);

/* Closes the connection now; the struct stays while a write of it is with the writer. */
void conn_free(conn_t *c);

/* End of the grace period: closes every connection of w now. */
void conn_close_all(worker_t *w);

/* Last of all (workers stopped, writer stopped): frees every connection of w. */
void conn_destroy_all(worker_t *w);

#endif
