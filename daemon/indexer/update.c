/*
 * update.c: an incremental update in place, one writer per shard, each taken when its
 * lock is free (waiting up to --lock-timeout).  A file whose record matches its size and
 * mtime is skipped unopened; a changed or new file is read again; with --prune the
 * documents of recorded files that are gone are deleted.  Work done before an interrupt
 * is committed: a file cut short has no new record, so the next run reads it again.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "indexer.h"

int update_locked_out;

/*
 * Opens dir for writing, retrying every NEWSD_LOCK_RETRY_MS while another writer holds it,
 * for up to opt->lock_timeout seconds.  Returns the writer or NULL (the failure printed).
 */
newsidx_writer_t *update_open_writer(const options_t *opt, const char *dir)
{
    double deadline = progress_elapsed() + opt->lock_timeout;
    int announced = 0;
    for (;;) {
        newsidx_writer_t *w = NULL;
        newsidx_status_t st = newsidx_writer_open(dir, 0, &w);
        if (st == NEWSIDX_OK) {
            if (announced || opt->verbose)
                progress_note("writing to %s", dir);
            return w;
        }
        if (st != NEWSIDX_LOCKED) {
            progress_fail("cannot open %s for writing (%s): %s", dir, newsidx_status_name(st),
                          w ? newsidx_writer_error(w) : "out of memory");
            newsidx_writer_abandon(w);
            return NULL;
        }
        newsidx_writer_abandon(w);
        if (indexer_stop_requested) {
            progress_fail("interrupted while waiting for the lock on %s", dir);
            return NULL;
        }
        if (progress_elapsed() >= deadline) {
            update_locked_out = 1;
            progress_fail("%s is still locked by another writer (a running newsd or newsindex) "
                          "after %u s; giving up", dir, opt->lock_timeout);
            return NULL;
        }
        if (!announced) {
            progress_note("%s is locked by another writer (a running newsd or newsindex); "
                          "waiting up to %u s", dir, opt->lock_timeout);
            announced = 1;
        }
        struct timespec ts = { 0, NEWSD_LOCK_RETRY_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
}

typedef struct prune_ctx {
    const options_t *opt;
    newsidx_writer_t *w;
    counts_t *c;
    int count_files;     /* 1: count files pruned or missing (one shard's pass only) */
    int failed;
} prune_ctx_t;

static int prune_one(void *ctx, const char *key, const char *value)
{
    prune_ctx_t *p = ctx;
    record_t rec;
    if (record_parse(value, &rec) != 0) {
        progress_warn("ignoring a malformed file record %s", key);
        return 0;
    }
    int in_scope = 0;
    for (size_t i = 0; i < p->opt->npaths && !in_scope; i++)
        in_scope = record_path_under(rec.path, p->opt->roots[i]);
    if (!in_scope)
        return 0;
    struct stat st;
    if (lstat(rec.path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
        return 0;
    if (!p->opt->prune) {
        p->c->files_missing += (uint64_t)p->count_files;
        return 0;
    }
    uint64_t deleted = 0;
    if (newsidx_writer_delete_origin(p->w, rec.path, &deleted) != NEWSIDX_OK ||
        newsidx_writer_set_metadata(p->w, key, NULL) != NEWSIDX_OK) {
        p->failed = 1;
        return 1;
    }
    p->c->deleted += deleted;
    p->c->files_pruned += (uint64_t)p->count_files;
    return 0;
}

/* Marks each file changed or not by its records (in every shard), and counts what is
 * skipped. */
static int scan_records(const options_t *opt, sink_t *sink, const ingest_filelist_t *files,
                        file_state_t *states, counts_t *c)
{
    for (size_t i = 0; i < files->n && !indexer_stop_requested; i++) {
        file_state_t *fs = &states[i];
        fs->changed = 1;
        if (fs->real && !opt->force) {
            uint64_t docs = 0;
            int all = 1;
            for (unsigned k = 0; k < sink->n && all; k++) {
                int m = record_matches(sink->w[k], fs, &docs);
                if (m < 0) {
                    sink->failed = k;
                    return -1;
                }
                all = m;
            }
            if (all) {
                fs->changed = 0;
                c->files_skipped++;
                c->unchanged += docs;
            }
        }
        if (fs->changed)
            atomic_fetch_add(&progress_counters.total_bytes,
                             build_estimated_size(&files->files[i]));
    }
    return 0;
}

/* Looks for recorded files under the paths given that are gone: deletes their documents
 * with --prune, else counts them and says so.  Returns 0, or -1 (sink->failed set). */
static int prune_pass(const options_t *opt, sink_t *sink, counts_t *total)
{
    for (unsigned k = 0; k < sink->n; k++) {
        prune_ctx_t p = { .opt = opt, .w = sink->w[k], .c = total, .count_files = k == 0 };
        if (newsidx_writer_list_metadata(sink->w[k], FILE_KEY_PREFIX, prune_one, &p) !=
                NEWSIDX_OK || p.failed) {
            sink->failed = k;
            return -1;
        }
    }
    if (total->files_missing)
        progress_note("%" PRIu64 " file%s recorded under the paths given no longer exist%s; "
                      "the documents stay until a run with --prune", total->files_missing,
                      total->files_missing == 1 ? "" : "s", total->files_missing == 1 ? "s" : "");
    return 0;
}

/*
 * An update in place of opt->index, one index or nshards shards: one writer per shard
 * (each taken when its lock is free), every record routed to the shard that owns its id.
 */
int update_index(const options_t *opt, const ingest_filelist_t *files,
                 file_state_t *states, counts_t *total, unsigned nshards)
{
    /* Small flush batches are faster for updates too (the bulk mode sets it itself);
     * a value in the environment wins. */
    char threshold[16];
    snprintf(threshold, sizeof threshold, "%d", NEWSD_BULK_FLUSH_THRESHOLD);
    setenv("XAPIAN_FLUSH_THRESHOLD", threshold, 0);
    sink_t sink = { .n = nshards };
    char dir[PATH_MAX];
    for (unsigned k = 0; k < nshards; k++) {
        if (shards_dir(opt, nshards, k, dir) != 0) {
            progress_fail("%s: path too long", opt->index);
            sink_abandon(&sink);
            return -1;
        }
        sink.w[k] = update_open_writer(opt, dir);
        if (!sink.w[k]) {
            sink_abandon(&sink);
            return -1;
        }
        if (record_set_paths(opt, sink.w[k], 1) != NEWSIDX_OK) {
            sink.failed = k;
            goto failed;
        }
    }
    /* Near-duplicates are looked for, and their clusters kept, in every shard. */
    for (unsigned k = 0; nshards > 1 && k < nshards; k++)
        newsidx_writer_link_shards(sink.w[k], sink.w, nshards);
    if (scan_records(opt, &sink, files, states, total) != 0)
        goto failed;

    progress_set_phase(PHASE_INDEX);
    uint64_t since_commit = 0;
    for (size_t i = 0; i < files->n && !indexer_stop_requested; i++) {
        if (!states[i].changed)
            continue;
        uint64_t before = total->added + total->replaced + total->deleted;
        if (sink_read_file(opt, &files->files[i], &states[i], &sink, total) < 0)
            goto failed;
        /* Commits fall between files, so a file's record and documents land together. */
        since_commit += total->added + total->replaced + total->deleted - before;
        if (since_commit >= opt->commit_every) {
            if (sink_commit(&sink) != 0)
                goto failed;
            since_commit = 0;
        }
    }
    if (!indexer_stop_requested && prune_pass(opt, &sink, total) != 0)
        goto failed;
    /* Work done before an interrupt is committed: every document written is whole, and
     * a file cut short has no new record, so the next run reads it again. */
    for (unsigned k = 0; k < nshards; k++)
        newsidx_writer_link_shards(sink.w[k], NULL, 0);
    for (unsigned k = 0; k < nshards; k++) {
        newsidx_status_t st = newsidx_writer_close(sink.w[k]);
        sink.w[k] = NULL;
        if (st != NEWSIDX_OK) {
            shards_dir(opt, nshards, k, dir);
            progress_fail("committing to %s failed (%s)", dir, newsidx_status_name(st));
            sink_abandon(&sink);
            return -1;
        }
    }
    if (indexer_stop_requested) {
        progress_fail("interrupted; what was indexed so far is committed");
        return -1;
    }
    return 0;
failed:
    shards_dir(opt, nshards, sink.failed, dir);
    progress_fail("writing to %s failed: %s", dir, sink_error(&sink));
    sink_abandon(&sink);
    return -1;
}
