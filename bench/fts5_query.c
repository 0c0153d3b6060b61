/*
 * fts5_query: the query log against SQLite FTS5, in-process, the peer newsd's query
 * figures are compared with (issue 7).  The database is the one fts5_index builds:
 * fts5(id UNINDEXED, title, body, date UNINDEXED, source UNINDEXED), porter unicode61.
 *
 * The log's queries are valid FTS5 syntax as they stand (lowercase words are ANDed,
 * "two words" is a phrase), so both systems get the same strings.  Modes (-m):
 *   fields  SELECT id, title, date, source ... MATCH ? ORDER BY rank LIMIT 10
 *   snip    the same plus snippet(news, 2, '<b>', '</b>', '...', 32): the body around
 *           the matches, 32 tokens being about newsd's 200 bytes
 *   exact   SELECT count(*) ... MATCH ?: the hit totals (hits= is their sum)
 *
 * Tuning, for a read-only workload that fits in memory: each thread its own
 * connection (multi-thread mode, SQLITE_OPEN_NOMUTEX: no sharing, so no locking inside
 * SQLite), no memory statistics (their global mutex serialises malloc), a 256 MiB
 * page cache and a 256 MiB mmap, the statement prepared once per thread.  -O first
 * runs FTS5's 'optimize' (merging the index into one b-tree, as a tuned deployment
 * would after a bulk load), outside any timing.
 *
 * Two set-ups under load.  By default each of the THREADS clients is a thread with its
 * own connection, so 32 clients are 32 threads on the machine's cores.  With -P POOL
 * the THREADS clients are threads that hand each query to one shared queue and wait
 * for its answer, and POOL threads (as many as the cores, the equal of newsd's workers
 * and queue) each with its own connection take them in order; a request's latency
 * runs from the moment its client queues it to the moment the client has the answer.
 *
 *   fts5_query -d DBFILE -q QUERIES [-m MODE] [-t THREADS] [-P POOL] [-n REQUESTS]
 *              [-o COUNTS] [-O] [-D SECONDS]
 * prints one "fts5: mode=... p50_us=... qps=..." line (querylog.h); -o (one thread
 * only, no pool, no -D) also writes each request's count to COUNTS, "COUNT<TAB>QUERY"
 * per line.  -D SECONDS ends the run after that long (querylog.h's time limit): the
 * figures are those of the requests answered.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "querylog.h"

#define MAX_THREADS 64
#define CACHE_KIB 262144
#define MMAP_BYTES 268435456

static const char *const SQL_FIELDS =
    "SELECT id, title, date, source FROM news WHERE news MATCH ?1 ORDER BY rank LIMIT 10";
static const char *const SQL_SNIP =
    "SELECT id, title, date, source, snippet(news, 2, '<b>', '</b>', '...', 32)"
    " FROM news WHERE news MATCH ?1 ORDER BY rank LIMIT 10";
static const char *const SQL_EXACT = "SELECT count(*) FROM news WHERE news MATCH ?1";

typedef struct worker {
    bench_thread_t b;       /* first: see bench_run_threads */
    const char *db_path, *sql;
    int exact;
    uint64_t *counts;       /* -o: each request's count, in order (one thread) */
    /* -P: this client's one request in the pool's queue, under pool.lock */
    const char *job_query;
    uint64_t job_rows;
    int job_ok, job_done;
    pthread_cond_t job_cv;
} worker_t;

/* -P: the queue the clients share and the pool threads that serve it.  A client has at
 * most one request queued, so a ring of MAX_THREADS entries never overflows. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t work_cv;
    worker_t *ring[MAX_THREADS];
    size_t head, len;
    int stop, failed;
    const char *db_path, *sql;
    pthread_barrier_t ready;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work_cv = PTHREAD_COND_INITIALIZER};

static sqlite3 *open_db(const char *path, int flags)
{
    sqlite3 *db = NULL;
    char pragmas[160];
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5_query: %s: %s\n", path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return NULL;
    }
    snprintf(pragmas, sizeof pragmas, "PRAGMA cache_size=-%d; PRAGMA mmap_size=%d;", CACHE_KIB,
             MMAP_BYTES);
    sqlite3_exec(db, pragmas, NULL, NULL, NULL);
    return db;
}

static void *run(void *arg)
{
    worker_t *w = arg;
    sqlite3_stmt *st = NULL;
    sqlite3 *db = open_db(w->db_path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    if (!db || sqlite3_prepare_v3(db, w->sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        if (db) fprintf(stderr, "fts5_query: prepare: %s\n", sqlite3_errmsg(db));
        w->b.failed = 1;
    }
    pthread_barrier_wait(w->b.start);
    size_t i;
    for (i = 0; !w->b.failed && i < w->b.count && !bench_time_up(); i++) {
        const char *q = w->b.log->q[(w->b.first + i) % w->b.log->n];
        uint64_t n = 0;
        int rc;
        double t0 = bench_us();
        sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (w->exact) {
                n = (uint64_t)sqlite3_column_int64(st, 0);
                continue;
            }
            /* Read every column, as a server would to send it. */
            for (int c = 0; c < sqlite3_column_count(st); c++) sqlite3_column_text(st, c);
            n++;
        }
        sqlite3_reset(st);
        w->b.lat[i] = bench_us() - t0;
        if (w->counts) w->counts[i] = rc == SQLITE_DONE ? n : COUNT_FAILED;
        if (rc != SQLITE_DONE) {
            if (w->b.errors++ < 3) fprintf(stderr, "fts5_query: %s: %s\n", q, sqlite3_errmsg(db));
            continue;
        }
        w->b.hits += n;
        w->b.matched += n > 0;
    }
    w->b.done = i;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

/* -P: one pool thread: its own connection and statement, requests in queue order. */
static void *pool_run(void *arg)
{
    (void)arg;
    sqlite3_stmt *st = NULL;
    sqlite3 *db = open_db(pool.db_path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    int ok = db && sqlite3_prepare_v3(db, pool.sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) ==
                       SQLITE_OK;
    if (!ok) {
        if (db) fprintf(stderr, "fts5_query: prepare: %s\n", sqlite3_errmsg(db));
        pthread_mutex_lock(&pool.lock);
        pool.failed = 1;
        pthread_mutex_unlock(&pool.lock);
    }
    pthread_barrier_wait(&pool.ready);
    int reported = 0;
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (pool.len == 0 && !pool.stop) pthread_cond_wait(&pool.work_cv, &pool.lock);
        if (pool.len == 0) {
            pthread_mutex_unlock(&pool.lock);
            break;
        }
        worker_t *w = pool.ring[pool.head];
        pool.head = (pool.head + 1) % MAX_THREADS;
        pool.len--;
        pthread_mutex_unlock(&pool.lock);
        uint64_t n = 0;
        int rc = SQLITE_ERROR;
        if (ok) {
            sqlite3_bind_text(st, 1, w->job_query, -1, SQLITE_STATIC);
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                for (int c = 0; c < sqlite3_column_count(st); c++) sqlite3_column_text(st, c);
                n++;
            }
            if (rc != SQLITE_DONE && reported++ < 3)
                fprintf(stderr, "fts5_query: %s: %s\n", w->job_query, sqlite3_errmsg(db));
            sqlite3_reset(st);
        }
        pthread_mutex_lock(&pool.lock);
        w->job_rows = n;
        w->job_ok = rc == SQLITE_DONE;
        w->job_done = 1;
        pthread_cond_signal(&w->job_cv);
        pthread_mutex_unlock(&pool.lock);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

/* -P: one client: queue a request, wait for its answer, the next. */
static void *client_run(void *arg)
{
    worker_t *w = arg;
    pthread_barrier_wait(w->b.start);
    size_t i;
    for (i = 0; i < w->b.count && !bench_time_up(); i++) {
        const char *q = w->b.log->q[(w->b.first + i) % w->b.log->n];
        double t0 = bench_us();
        pthread_mutex_lock(&pool.lock);
        w->job_query = q;
        w->job_done = 0;
        pool.ring[(pool.head + pool.len) % MAX_THREADS] = w;
        pool.len++;
        pthread_cond_signal(&pool.work_cv);
        while (!w->job_done) pthread_cond_wait(&w->job_cv, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
        w->b.lat[i] = bench_us() - t0;
        if (!w->job_ok) {
            w->b.errors++;
            continue;
        }
        w->b.hits += w->job_rows;
        w->b.matched += w->job_rows > 0;
    }
    w->b.done = i;
    return NULL;
}

static int optimize(const char *path)
{
    sqlite3 *db = open_db(path, SQLITE_OPEN_READWRITE);
    char *msg = NULL;
    int rc = db ? sqlite3_exec(db, "INSERT INTO news(news) VALUES('optimize')", NULL, NULL, &msg)
                : SQLITE_ERROR;
    if (db && rc != SQLITE_OK) fprintf(stderr, "fts5_query: optimize: %s\n", msg);
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *db_path = NULL, *qpath = NULL, *mode = "snip", *out = NULL;
    long threads = 1, requests = 0, pool_size = 0;
    double limit = 0;
    int opt, opt_optimize = 0;
    while ((opt = getopt(argc, argv, "d:q:m:t:P:n:o:OD:")) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'q': qpath = optarg; break;
        case 'm': mode = optarg; break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'P': pool_size = strtol(optarg, NULL, 10); break;
        case 'n': requests = strtol(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        case 'O': opt_optimize = 1; break;
        case 'D': limit = strtod(optarg, NULL); break;
        default: goto usage;
        }
    }
    const char *sql = strcmp(mode, "fields") == 0 ? SQL_FIELDS
                      : strcmp(mode, "snip") == 0 ? SQL_SNIP
                      : strcmp(mode, "exact") == 0 ? SQL_EXACT : NULL;
    if (!db_path || !qpath || !sql || threads < 1 || threads > MAX_THREADS || requests < 0 ||
        (out && threads != 1) || pool_size < 0 || pool_size > MAX_THREADS ||
        (pool_size && (out || sql == SQL_EXACT)) || limit < 0 || (out && limit > 0))
        goto usage;
    bench_set_time_limit(limit);
    /* Before any other SQLite call: no global mutex around every malloc's statistics, and
     * no per-connection mutexes (each thread has its own connection). */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    if (opt_optimize && optimize(db_path) != 0) return 1;
    querylog_t log;
    if (querylog_load(qpath, &log) != 0) return 1;
    if (requests == 0) requests = (long)log.n;

    worker_t w[MAX_THREADS];
    memset(w, 0, sizeof w);
    for (long t = 0; t < threads; t++) {
        w[t].db_path = db_path;
        w[t].sql = sql;
        w[t].exact = sql == SQL_EXACT;
    }
    uint64_t *counts = NULL;
    if (out && !(counts = w[0].counts = calloc((size_t)requests, sizeof *counts))) {
        perror("fts5_query");
        return 1;
    }
    bench_summary_t s = {"fts5", mode, 0, 0, 0, 0, 0, 0};
    pthread_t pool_tid[MAX_THREADS];
    if (pool_size) {
        pool.db_path = db_path;
        pool.sql = sql;
        pthread_barrier_init(&pool.ready, NULL, (unsigned)pool_size + 1);
        for (long t = 0; t < pool_size; t++)
            if (pthread_create(&pool_tid[t], NULL, pool_run, NULL) != 0) {
                perror("pthread_create");
                return 1;
            }
        pthread_barrier_wait(&pool.ready);
        if (pool.failed) return 1;
        for (long t = 0; t < threads; t++) pthread_cond_init(&w[t].job_cv, NULL);
    }
    int rc = bench_run_threads(w, sizeof w[0], threads, pool_size ? client_run : run, &log,
                               requests, &s);
    if (pool_size) {
        pthread_mutex_lock(&pool.lock);
        pool.stop = 1;
        pthread_cond_broadcast(&pool.work_cv);
        pthread_mutex_unlock(&pool.lock);
        for (long t = 0; t < pool_size; t++) pthread_join(pool_tid[t], NULL);
    }
    if (out && !w[0].b.failed && bench_write_counts(out, &log, counts, (size_t)requests) != 0)
        rc = 1;
    free(counts);
    querylog_free(&log);
    return rc;
usage:
    fprintf(stderr, "usage: fts5_query -d DBFILE -q QUERIES [-m fields|snip|exact] "
                    "[-t THREADS] [-P POOL] [-n REQUESTS] [-o COUNTS] [-O] [-D SECONDS]\n");
    return 2;
}
