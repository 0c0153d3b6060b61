/*
 * writer.h: the writer thread, the only holder of a newsidx_writer_t in the daemon.
 * Workers hand it write requests (ADD, DELETE); it takes everything queued, applies it
 * and commits once (group commit), bumps the index generation so every worker reopens
 * its reader, and only then hands each request back to its worker to answer: an
 * acknowledged write is on disk.  It opens the index for writing on demand and lets go
 * of it (and of Xapian's lock) after NEWSD_WRITER_IDLE_MS without writes.
 */
#ifndef NEWSD_WRITER_H
#define NEWSD_WRITER_H

#include <stdint.h>

#include "ingest.h"
#include "newsidx.h"
#include "server.h"

typedef enum write_op { WRITE_ADD = 0, WRITE_DELETE } write_op_t;

struct write_req {
    struct write_req *next;            /* in the writer's queue, then the worker's */
    write_op_t op;
    worker_t *worker;                  /* who gets it back */
    conn_t *conn;                      /* whose request it is (touched by the worker only) */
    int format;                        /* reply format */
    uint64_t started_us;
    ingest_article_t *article;         /* ADD: the parsed article, doc points into it */
    newsidx_doc_t doc;
    char id[NEWSD_MAX_ID_LEN + 1];     /* the document id */
    /* filled by the writer */
    newsidx_status_t status;
    int replaced;
    char message[256];
};

/* Starts the thread; NULL on failure. */
writer_t *writer_start(server_t *srv);
/* Queues req; -1 (req untouched) when NEWSD_WRITE_QUEUE_MAX are already waiting. */
int writer_submit(writer_t *w, write_req_t *req);
/* Serves everything still queued, commits, releases the index and joins the thread. */
void writer_stop(writer_t *w);

/* Frees a request and what it owns. */
void write_req_free(write_req_t *req);

#endif
