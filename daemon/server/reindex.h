/*
 * reindex.h: REINDEX, the rebuild of the served index while the daemon keeps serving it.
 * One job at a time: a thread of its own runs bin/newsindex --rebuild as a child process
 * (niced, so queries keep their CPU) into a work folder beside the index, reads its
 * progress (--progress-json) for STATUS, and when it succeeds asks the writer thread to
 * carry the writes that arrived meanwhile over and swap the folders (writer.h).  Workers
 * then move their readers to the new folder; once all have, the old one is removed.
 * A failed or cancelled rebuild removes its work folder and leaves the live index as it was.
 */
#ifndef NEWSD_REINDEX_H
#define NEWSD_REINDEX_H

#include <stdint.h>

#include "server.h"

typedef enum reindex_state {
    REINDEX_IDLE = 0,     /* no job since the daemon started */
    REINDEX_RUNNING,      /* newsindex is building */
    REINDEX_SWITCHING,    /* carrying live writes over and swapping folders */
    REINDEX_DONE,         /* the last job succeeded */
    REINDEX_FAILED        /* the last job failed or was cancelled; message says why */
} reindex_state_t;

/* What STATUS reports: a snapshot of the current (or last) job. */
typedef struct reindex_status {
    reindex_state_t state;
    uint64_t job;                 /* 1, 2, ... ; 0 when there was none */
    char phase[16];               /* newsindex's phase: scan, index, merge, done */
    uint64_t docs;                /* documents read so far */
    uint64_t bytes, total_bytes;  /* input bytes read so far, and in all */
    double elapsed_s;             /* since the job started */
    double mb_per_s;
    double eta_s;                 /* -1 when unknown */
    uint64_t live_writes;         /* writes carried over into the new index (when done) */
    uint64_t doc_count;           /* documents in the new index (when done) */
    unsigned npaths;
    char message[256];            /* why it failed */
} reindex_status_t;

/* NULL when out of memory.  Resolves the corpus roots (--corpus-root, else the paths the
 * index records) with realpath(); roots that no longer exist are logged and left out. */
reindex_t *reindex_new(server_t *srv);
/* Cancels a running job (its child is stopped, its folder removed) and frees. NULL is fine. */
void reindex_free(reindex_t *r);

/*
 * Starts a rebuild from paths (absolute; npaths may be 0: the paths recorded in the
 * index).  Each path is resolved with realpath() and must be a regular file or a folder
 * under a corpus root (a path-component prefix); the indexer is given the resolved
 * paths.  Returns the job number, or 0 with code ("busy", "bad_request", "forbidden",
 * "internal") and a message for the client in err; nothing is read on failure.
 */
uint64_t reindex_start(reindex_t *r, const char *const *paths, size_t npaths,
                       const char **code, char *err, size_t errlen);

/* Asks a running job to stop; 0 when one was running, -1 otherwise. */
int reindex_cancel(reindex_t *r);

void reindex_get_status(reindex_t *r, reindex_status_t *out);

/* "idle", "running", ... */
const char *reindex_state_name(reindex_state_t s);

#endif
