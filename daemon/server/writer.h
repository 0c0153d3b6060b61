/*
 * writer.h: the writer thread, the only holder of a newsidx_writer_t in the daemon.
 * Workers hand it write requests (ADD, DELETE); it takes everything queued, applies it
 * and commits once (group commit), bumps the index generation so every worker reopens
 * its reader, and only then hands each request back to its worker to answer: an
 * acknowledged write is on disk.  It opens the index for writing on demand and lets go
 * of it (and of Xapian's lock) after NEWSD_WRITER_IDLE_MS without writes.  During a
 * REINDEX it also remembers which ids were written, and it performs the swap to the
 * rebuilt index itself, so no write can slip in between the two.
 */
#ifndef NEWSD_WRITER_H
#define NEWSD_WRITER_H

#include <stdint.h>

#include "ingest.h"
#include "newsidx.h"
#include "server.h"

typedef enum write_op { WRITE_ADD = 0, WRITE_DELETE, WRITE_CONTROL } write_op_t;

/* What the reindex job (reindex.c) asks of the writer, in queue order with the writes. */
typedef enum writer_ctl_op {
    WRITER_JOURNAL_BEGIN = 0,   /* from now on remember the id of every committed write */
    WRITER_SWITCH,              /* carry the remembered writes into new_index, then put it
                                   in the index's place (old folder to old_parking) */
    WRITER_JOURNAL_END          /* forget them (the rebuild failed or was cancelled) */
} writer_ctl_op_t;

typedef struct writer_ctl {
    writer_ctl_op_t op;
    const char *new_index;             /* WRITER_SWITCH */
    const char *old_parking;           /* WRITER_SWITCH */
    /* filled by the writer */
    int failed;
    char message[256];
    uint64_t carried;                  /* WRITER_SWITCH: writes carried over */
    uint64_t docs;                     /* WRITER_SWITCH: documents in the new index */
    uint64_t epoch;                    /* WRITER_SWITCH: the index epoch after the swap */
    /* private */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
} writer_ctl_t;

struct write_req {
    struct write_req *next;            /* in the writer's queue, then the worker's */
    write_op_t op;
    worker_t *worker;                  /* who gets it back */
    conn_t *conn;                      /* whose request it is (touched by the worker only) */
    struct http_batch *http_batch;     /* or the HTTP request's (http_api.c), conn NULL */
    unsigned http_slot;                /* its place in that batch */
    int format;                        /* reply format */
    uint64_t started_us;
    writer_ctl_t *ctl;                 /* WRITE_CONTROL: the request (worker is NULL) */
    ingest_article_t *article;         /* ADD: the parsed article, doc points into it */
    newsidx_doc_t doc;
    char id[NEWSD_MAX_ID_LEN + 1];     /* the document id */
    /* filled by the writer */
    unsigned shard;                    /* sharded index: the shard the id belongs to */
    newsidx_status_t status;
    int replaced;
    char message[256];
};

/* Starts the thread; NULL on failure. */
writer_t *writer_start(server_t *srv);
/* Queues req; -1 (req untouched) when NEWSD_WRITE_QUEUE_MAX are already waiting. */
int writer_submit(writer_t *w, write_req_t *req);
/* Queues ctl behind the writes already queued and waits until the writer has served it;
 * never refused for a full queue.  The caller owns ctl. */
void writer_control(writer_t *w, writer_ctl_t *ctl);
/* Serves everything still queued, commits, releases the index and joins the thread. */
void writer_stop(writer_t *w);

/* Frees a request and what it owns. */
void write_req_free(write_req_t *req);

#endif
