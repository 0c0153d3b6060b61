/*
 * fts5_index: SQLite FTS5 as a peer of newsindex, indexing the same records read through
 * the daemon's readers (bench_corpus.h).
 *
 * Schema: fts5(id UNINDEXED, title, body, date UNINDEXED, source UNINDEXED) with
 * tokenize='porter unicode61': Porter stemming as in Xapian's English stemmer, and
 * positions always kept (FTS5 has no way to drop them).  The table keeps its own copy of
 * every column, like Xapian's document data.
 *
 * Tuning, chosen for a one-shot bulk build where a crash means "run it again":
 *   journal_mode=OFF and synchronous=OFF (no rollback journal, no fsync), one
 *   transaction around all inserts, a 256 MiB page cache, temp_store=MEMORY,
 *   locking_mode=EXCLUSIVE, one prepared INSERT reused.  FTS5's own defaults
 *   (automerge, crisismerge, pgsz) are left alone and no 'optimize' is run, so the size
 *   reported is what a build leaves behind.
 *
 *   fts5_index DBFILE PATH...     prints "fts5: docs=... seconds=..." on stdout
 */
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "bench_corpus.h"

/* Page cache in KiB (SQLite's negative cache_size unit). */
#define FTS5_CACHE_KIB 262144

typedef struct fts5_ctx {
    sqlite3 *db;
    sqlite3_stmt *insert;
} fts5_ctx_t;

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fts5_index: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* SQLITE_STATIC is safe: the strings outlive sqlite3_step, which copies them. */
static void bind_text(sqlite3_stmt *st, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

static int insert_one(void *vctx, const newsidx_doc_t *doc)
{
    fts5_ctx_t *ctx = vctx;
    bind_text(ctx->insert, 1, doc->id);
    bind_text(ctx->insert, 2, doc->title);
    bind_text(ctx->insert, 3, doc->body);
    bind_text(ctx->insert, 4, doc->date);
    bind_text(ctx->insert, 5, doc->source);
    int rc = sqlite3_step(ctx->insert);
    sqlite3_reset(ctx->insert);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "fts5_index: insert %s: %s\n", doc->id, sqlite3_errmsg(ctx->db));
        return -1;
    }
    return 0;
}

static int build(sqlite3 *db, const char *const *paths, int npaths)
{
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-%d;"
             "PRAGMA temp_store=MEMORY; PRAGMA locking_mode=EXCLUSIVE;", FTS5_CACHE_KIB);
    if (exec_sql(db, pragmas) != 0 ||
        exec_sql(db, "CREATE VIRTUAL TABLE news USING fts5(id UNINDEXED, title, body,"
                     " date UNINDEXED, source UNINDEXED, tokenize='porter unicode61')") != 0 ||
        exec_sql(db, "BEGIN") != 0)
        return -1;

    fts5_ctx_t ctx = { db, NULL };
    if (sqlite3_prepare_v2(db, "INSERT INTO news(id, title, body, date, source)"
                               " VALUES (?, ?, ?, ?, ?)", -1, &ctx.insert, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5_index: prepare: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    double t0 = bench_now();
    bench_corpus_stats_t stats;
    int rc = bench_corpus_each(paths, npaths, insert_one, &ctx, &stats);
    sqlite3_finalize(ctx.insert);
    if (rc != 0 || exec_sql(db, "COMMIT") != 0)
        return -1;
    bench_corpus_report(stdout, "fts5", &stats, bench_now() - t0);
    return stats.docs > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fts5_index DBFILE PATH...\n");
        return 2;
    }
    unlink(argv[1]);  /* always a fresh build, like --rebuild */
    sqlite3 *db = NULL;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "fts5_index: %s: %s\n", argv[1], db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return 1;
    }
    int rc = build(db, (const char *const *)argv + 2, argc - 2);
    if (sqlite3_close(db) != SQLITE_OK)
        rc = -1;
    return rc == 0 ? 0 : 1;
}
