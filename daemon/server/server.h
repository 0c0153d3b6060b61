/*
 * server.h: the daemon's shape.  One thread (the caller of server_run) owns the
 * listeners and the signals and accepts connections; it hands each new socket to one of
 * N workers in turn through the worker's notification pipe (memcached's dispatch).  Each
 * worker thread owns an event_base, the connections it was given and its own
 * newsidx_reader_t (over every shard, for a sharded index); nothing on the index is
 * shared between threads.  One writer thread (writer.c) owns the only newsidx_writer_t
 * (one per shard).  What threads do share is here: the
 * configuration (read-only after start), the counters (atomics) and the index
 * generation, which the writer and SIGHUP bump to make every worker reopen its reader.
 */
#ifndef NEWSD_SERVER_H
#define NEWSD_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "newsd_limits.h"
#include "newsidx.h"
#include "queue.h"
#include "reqstats.h"

struct event_base;
struct event;
typedef struct conn conn_t;
typedef struct write_req write_req_t;
typedef struct writer writer_t;
typedef struct server server_t;
typedef struct reindex reindex_t;

typedef struct server_config {
    const char *index_path;        /* NULL when the index is sharded */
    /* a sharded index: one spec per shard, in shard order ("tcp:HOST:PORT" or a folder;
     * newsidx_shards_expand's list), nshards 0 otherwise */
    char **shards;
    size_t nshards;
    unsigned shard_timeout_ms;     /* each exchange with a remote shard waits at most this */
    const char *listen[NEWSD_MAX_LISTENERS];
    size_t nlisten;
    const char *http[NEWSD_MAX_HTTP_LISTENERS];   /* --http HOST:PORT addresses */
    size_t nhttp;
    const char *http_cors;         /* --http-cors: the one origin allowed, or NULL */
    unsigned workers;
    unsigned max_connections;
    unsigned idle_timeout_s;
    unsigned query_timeout_ms;     /* a match past this is cut short: ERR timeout */
    size_t max_reply_bytes;        /* a longer reply is ERR reply_too_large instead */
    const char *recency_now;       /* the day SEARCH recency= counts ages from (NULL:
                                      the newest in the index) */
    unsigned busy_poll_us;         /* a worker polls this long for more input before it
                                      sleeps (0: it sleeps at once) */
    unsigned doc_cache_mb;         /* each worker's reader keeps this many MiB of hits'
                                      stored fields (0: none) */
    const char *indexer;           /* the newsindex program REINDEX runs */
    unsigned reindex_jobs;         /* its --jobs */
    unsigned reindex_nice;         /* its niceness */
    /* --corpus-root: REINDEX reads only regular files and folders under these; none
     * given: the paths the index records it was built from */
    const char *corpus_roots[NEWSD_MAX_CORPUS_ROOTS];
    size_t ncorpus_roots;
    /* --auth-token-file: AUTH with this token gives a TCP connection write authority;
     * auth_token_len 0: no token, so TCP connections never write */
    char auth_token[NEWSD_AUTH_TOKEN_MAX_LEN + 1];
    size_t auth_token_len;
    const char *auth_token_file;   /* where the token was read; SIGHUP reads it again */
    const char *pidfile;           /* --pidfile, or NULL */
    int replica;                   /* the index is a replica kept by xapian-replicate:
                                      every write is refused (set by server_run) */
} server_config_t;

typedef struct server_stats {
    atomic_uint_fast64_t conns_open;       /* sockets open now (accept thread adds, workers subtract) */
    atomic_uint_fast64_t tcp_conns_open;   /* of which TCP (the rest: Unix sockets) */
    atomic_uint_fast64_t conns_total;
    atomic_uint_fast64_t conns_rejected;
    atomic_uint_fast64_t requests;
    atomic_uint_fast64_t searches;
    atomic_uint_fast64_t facet_searches;   /* of the searches, SEARCHes with facets= */
    atomic_uint_fast64_t similar_searches; /* SIMILAR requests (not in searches) */
    atomic_uint_fast64_t writes;
    atomic_uint_fast64_t commits;
    atomic_uint_fast64_t errors;
    atomic_int writer_failing;             /* the last commit failed (GET /healthz: 503) */
    atomic_uint_fast64_t http_conns_open;  /* of the TCP ones, HTTP (reqstats: by command) */
    reqstats_t reqs;                       /* every request by command: statuses, durations */
} server_stats_t;

/* A socket accepted but not yet taken up by its worker. */
typedef struct new_conn {
    struct new_conn *next;
    int fd;
    int unix_socket;                   /* accepted on a Unix socket: may write unasked */
    char peer[64];
} new_conn_t;

typedef struct worker {
    server_t *srv;
    unsigned id;
    pthread_t thread;
    struct event_base *base;
    int notify_rd, notify_wr;          /* the pipe other threads wake this worker with */
    struct event *notify_ev;
    struct event *grace_ev;            /* shutdown: closes what is still open */

    queue_t incoming;                  /* new_conn_t, from the accept thread */
    queue_t done;                      /* write_req_t, from the writer: answered writes */
    atomic_int stop_requested;         /* from the accept thread, on SIGTERM */

    /* owned by the worker thread alone */
    newsidx_reader_t *reader;
    uint64_t reader_gen;               /* the index generation the reader was opened at */
    atomic_uint_fast64_t reader_epoch; /* the index folder the reader is on (see server) */
    uint64_t reader_ino;               /* st_ino of the index folder when it was opened */
    uint64_t reader_refreshed_us;
    conn_t *conns;                     /* every connection of this worker, linked */
    struct http_worker *http;          /* this worker's HTTP server (http.c), or NULL */
    uint64_t activity;                 /* input callbacks run: --busy-poll-us looks at it */
    /* the reader's document cache, as of its last search (STATS sums the workers'):
     * figures of readers this worker replaced are kept in the *_before fields */
    atomic_uint_fast64_t cache_hits, cache_misses, cache_bytes, cache_docs;
    uint64_t cache_hits_before, cache_misses_before;
    unsigned nconns;
    int stopping;
} worker_t;

struct server {
    server_config_t cfg;
    server_stats_t stats;
    atomic_uint_fast64_t index_gen;    /* bumped after each commit and on SIGHUP */
    /* Bumped when a REINDEX puts a new folder in the index's place: readers on an older
     * epoch open the path afresh instead of reopening.  The swap itself holds swap_lock
     * for writing, and readers hold it for reading while they reopen, so no reader ever
     * reopens its old handle by a path that already names the new folder. */
    atomic_uint_fast64_t index_epoch;
    pthread_rwlock_t swap_lock;
    /* cfg.auth_token and auth_token_len change on SIGHUP: read them under this lock, with
     * server_auth_configured and server_auth_matches */
    pthread_mutex_t auth_lock;
    uint64_t started_us;
    worker_t *workers;
    writer_t *writer;
    reindex_t *reindex;
    atomic_uint_fast64_t next_conn_id;
};

/* Runs the daemon until SIGTERM/SIGINT: returns the exit status (0, or 1 when the index
 * cannot be opened or an address cannot be bound). */
int server_run(const server_config_t *cfg);

/* The worker threads' life (worker.c): set up before the thread starts (0, or -1 with the
 * reason logged), the thread's body, and what is freed after it has been joined. */
int worker_init(worker_t *w, server_t *srv, unsigned id);
void *worker_main(void *arg);
void worker_finish(worker_t *w);

/* Monotonic microseconds. */
uint64_t server_now_us(void);

/* Wakes worker w (from any thread) to look at its queues. */
void server_wake(worker_t *w);

/* The worker's reader, first moved to the latest revision when the index generation
 * changed or NEWSD_READER_REFRESH_MS passed, and to a new reader on the path when the
 * index folder was replaced (a REINDEX, or a newsindex --rebuild of the served index).
 * If that fails the reader keeps its revision (and the failure is logged): searches go
 * on. */
newsidx_reader_t *worker_reader(worker_t *w);

/* Wakes every worker, e.g. to move its reader to a new index folder. */
void server_wake_all(server_t *srv);

/* Publishes the figures of w's document cache for STATS (after a search, and after the
 * reader moved, which empties it). */
void worker_cache_published(worker_t *w);

/* A client socket accepted on a Unix socket (unix_socket 1) or TCP was closed: its
 * connection slot is free again. */
void server_conn_closed(server_t *srv, int unix_socket);

/* 1 when newsd has a write token (--auth-token-file), else 0. */
int server_auth_configured(server_t *srv);
/* 1 when guess[0..guess_len) is the write token (as SIGHUP last read it), else 0; in
 * time that does not depend on the bytes (auth_token_equal). */
int server_auth_matches(server_t *srv, const char *guess, size_t guess_len);

/* Called by conn.c when a connection of w is freed. */
void worker_conn_gone(worker_t *w);

#endif
