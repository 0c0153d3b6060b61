/*
 * newsindex: the offline indexer, for batch jobs and cron.
 *
 *   newsindex --index DIR [options] PATH...
 *   newsindex --index DIR --compact
 *
 * It owns the ways an index is written in bulk:
 *
 *  - A fresh build (DIR does not exist, or --rebuild): the input files are split into
 *    --jobs contiguous ranges of about equal uncompressed size, one builder thread per
 *    range writes its own shard in Xapian's fast bulk mode, and the shards are merged by
 *    compaction into a new index that then takes DIR's place with a rename.  The live
 *    index is untouched until that rename, so an interrupted or failed rebuild loses
 *    nothing; leftovers of a killed run are removed by the next one.
 *  - An incremental update (DIR exists): one writer, taken when the lock is free (waiting
 *    up to --lock-timeout).  A file whose size and mtime match its record in the index
 *    is skipped unopened; a changed or new file is read again, its records added or
 *    replaced by id and the ones no longer in it deleted; with --prune the documents of
 *    recorded files that are gone are deleted.  A file's record is written in the same
 *    commit as its documents, so a run killed at any point is finished by the next.
 *  - --compact: a compacted copy beside DIR, swapped in by the same renames.
 *  - --shards N (README.md, "Sharded indexes"): a fresh build writes DIR/shard-K and the
 *    stub DIR/shards.stub (shardlayout.h); each builder keeps one bulk writer per shard
 *    and routes every record by newsidx_shard_of, and each shard's parts are
 *    merged on their own.  An update or compaction of a sharded DIR works shard by
 *    shard, with one writer per shard (sink.c).
 *
 * Every run records its state in the index's metadata (README.md, "Index layout"):
 * "newsd.paths", the command line's paths, and per source file "newsd.file:<path>".
 * This file holds main, the run's outline; indexer.h lists the files that do each part.
 *
 * Everything it knows about Xapian goes through include/newsidx.h, and everything about
 * file formats through daemon/ingest/ingest.h.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "indexer.h"

static void on_signal(int sig)
{
    (void)sig;
    indexer_stop_requested = 1;
}


/* Real path, size and nanosecond mtime of every listed file. */
static file_state_t *stat_files(const ingest_filelist_t *files)
{
    file_state_t *states = calloc(files->n ? files->n : 1, sizeof *states);
    if (!states)
        return NULL;
    for (size_t i = 0; i < files->n; i++) {
        struct stat st;
        if (stat(files->files[i].path, &st) != 0)
            continue;   /* gone since the walk: index_file reports it */
        states[i].real = realpath(files->files[i].path, NULL);
        states[i].size = (uint64_t)st.st_size;
        states[i].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        states[i].changed = 1;
    }
    return states;
}


int main(int argc, char **argv)
{
    options_t opt = { 0 };
    if (cli_parse(argc, argv, &opt) != 0) {
        cli_free(&opt);
        return EXIT_USAGE;
    }

    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* With --progress-json stdout carries only JSON: the summary goes to stderr. */
    FILE *summary = opt.progress_json ? stderr : stdout;
    progress_start(&opt);
    fsutil_remove_stale(opt.index);
    int usage_error = 0;
    unsigned nshards = shards_for_run(&opt, &usage_error);
    if (nshards == 0) {
        progress_set_phase(PHASE_DONE);
        progress_stop();
        if (opt.progress_json)
            progress_json_done(0, &(counts_t){ 0 }, 0, 0);
        cli_free(&opt);
        return usage_error ? EXIT_USAGE : EXIT_FAILED;
    }

    counts_t c = { 0 };
    int rc;
    ingest_filelist_t files = { 0 };
    file_state_t *states = NULL;
    if (opt.compact) {
        uint64_t before = 0, after = 0;
        rc = compact_index(&opt, nshards, &before, &after);
        progress_set_phase(PHASE_DONE);
        progress_stop();
        double secs = progress_elapsed();
        if (rc == 0)
            fprintf(summary, "newsindex: compacted %s bytes_before=%" PRIu64 " bytes_after=%" PRIu64
                    " seconds=%.2f\n", opt.index, before, after, secs);
        fflush(summary);
        if (opt.progress_json)
            progress_json_done(rc == 0, &c, rc == 0 ? shards_doc_count(opt.index) : 0,
                           rc == 0 ? after : workdir_bytes(opt.index));
        cli_free(&opt);
        return rc == 0 ? EXIT_OK : update_locked_out ? EXIT_LOCKED : EXIT_FAILED;
    }

    unsigned walk_errors = 0;
    if (ingest_walk(opt.paths, opt.npaths, opt.ninclude ? opt.include : NULL,
                    opt.nexclude ? opt.exclude : NULL, &files, progress_warn_cb, NULL,
                    &walk_errors) != 0 || !(states = stat_files(&files))) {
        progress_fail("out of memory while listing files");
        rc = -1;
    } else {
        c.errors = walk_errors;
        int exists = access(opt.index, F_OK) == 0;
        if (files.n == 0 && !(exists && opt.prune && !opt.rebuild)) {
            progress_fail("no files to index in the paths given");
            rc = -1;
        } else if (!exists || opt.rebuild) {
            rc = build_fresh(&opt, &files, states, &c, nshards);
        } else {
            rc = update_index(&opt, &files, states, &c, nshards);
        }
    }
    progress_set_phase(PHASE_DONE);
    progress_stop();

    double secs = progress_elapsed();
    progress_hidden_warnings();
    uint64_t docs = 0;
    if (rc == 0 || access(opt.index, F_OK) == 0)
        docs = shards_doc_count(opt.index);
    double mb = (double)c.bytes / 1e6;
    /* The keys of earlier versions come first, in their order: scripts grep for them. */
    fprintf(summary, "newsindex: %s added=%" PRIu64 " replaced=%" PRIu64 " skipped=%" PRIu64
            " errors=%" PRIu64 " files=%zu docs=%" PRIu64 " mb=%.2f seconds=%.2f mb_per_s=%.2f"
            " docs_per_s=%.0f deleted=%" PRIu64 " unchanged=%" PRIu64 " files_indexed=%" PRIu64
            " files_skipped=%" PRIu64 " files_pruned=%" PRIu64 "\n",
            rc == 0 ? "done" : "failed", c.added, c.replaced, c.skipped, c.errors, files.n, docs,
            mb, secs, secs > 0 ? mb / secs : 0,
            secs > 0 ? (double)(c.added + c.replaced) / secs : 0, c.deleted, c.unchanged,
            c.files_indexed, c.files_skipped, c.files_pruned);
    fflush(summary);

    int nothing_read = c.added + c.replaced + c.deleted + c.files_skipped == 0 &&
                       (c.errors > 0 || c.skipped > 0);
    if (rc == 0 && nothing_read) {
        progress_fail("nothing could be read from the paths given");
    }
    int ok = rc == 0 && !nothing_read && !indexer_stop_requested;
    if (opt.progress_json)
        progress_json_done(ok, &c, docs, workdir_bytes(opt.index));
    for (size_t i = 0; states && i < files.n; i++)
        free(states[i].real);
    free(states);
    ingest_filelist_free(&files);
    cli_free(&opt);
    if (ok)
        return EXIT_OK;
    return update_locked_out ? EXIT_LOCKED : EXIT_FAILED;
}
