/*
 * newsindex: the offline indexer, for batch jobs and cron.
 *
 *   newsindex --index DIR [options] PATH...
 *   newsindex --index DIR --compact
 *   newsindex --upgrade DIR
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
 *  - --shards N (newsd(8), "SHARDED INDEXES"): a fresh build writes DIR/shard-K and the
 *    stub DIR/shards.stub (shardlayout.h); each builder keeps one bulk writer per shard
 *    and routes every record by newsidx_shard_of, and each shard's parts are
 *    merged on their own.  An update or compaction of a sharded DIR works shard by
 *    shard, with one writer per shard (sink.c).
 *
 * Every run records its state in the index's metadata (newsindex(8), "INDEX LAYOUT"):
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


/* --compact: the index compacted in place.  Returns the exit status. */
static int run_compact(const options_t *opt, unsigned nshards, FILE *summary)
{
    uint64_t before = 0, after = 0;
    int rc = compact_index(opt, nshards, &before, &after);
    progress_set_phase(PHASE_DONE);
    progress_stop();
    double secs = progress_elapsed();
    if (rc == 0)
        fprintf(summary, "newsindex: compacted %s bytes_before=%" PRIu64 " bytes_after=%" PRIu64
                " seconds=%.2f\n", opt->index, before, after, secs);
    fflush(summary);
    if (opt->progress_json)
        progress_json_done(rc == 0, &(counts_t){ 0 }, rc == 0 ? shards_doc_count(opt->index) : 0,
                           rc == 0 ? after : workdir_bytes(opt->index));
    return rc == 0 ? EXIT_OK : update_locked_out ? EXIT_LOCKED : EXIT_FAILED;
}

/* --upgrade: the index rewritten in place in this version's format.  Returns the exit
 * status. */
static int run_upgrade(const options_t *opt, unsigned nshards, FILE *summary)
{
    uint64_t upgraded = 0;
    int locked = 0;
    int rc = upgrade_index(opt, nshards, &upgraded, &locked);
    progress_set_phase(PHASE_DONE);
    progress_stop();
    if (rc == 0)
        fprintf(summary, "newsindex: upgraded %s rewritten=%" PRIu64 " format=%d seconds=%.2f\n",
                opt->index, upgraded, NEWSIDX_FORMAT, progress_elapsed());
    fflush(summary);
    if (opt->progress_json)
        progress_json_done(rc == 0, &(counts_t){ 0 }, rc == 0 ? shards_doc_count(opt->index) : 0,
                           workdir_bytes(opt->index));
    return rc == 0 ? EXIT_OK : locked ? EXIT_LOCKED : EXIT_FAILED;
}

/* Lists the input files, then builds the index afresh or updates it.  Returns 0 or -1
 * (the failure reported). */
static int index_files(const options_t *opt, unsigned nshards, ingest_filelist_t *files,
                       file_state_t **states, counts_t *c)
{
    unsigned walk_errors = 0;
    if (ingest_walk(opt->paths, opt->npaths, opt->ninclude ? opt->include : NULL,
                    opt->nexclude ? opt->exclude : NULL, files, progress_warn_cb, NULL,
                    &walk_errors) != 0 || !(*states = stat_files(files))) {
        progress_fail("out of memory while listing files");
        return -1;
    }
    c->errors = walk_errors;
    int exists = access(opt->index, F_OK) == 0;
    if (files->n == 0 && !(exists && opt->prune && !opt->rebuild)) {
        progress_fail("no files to index in the paths given");
        return -1;
    }
    if (!exists || opt->rebuild)
        return build_fresh(opt, files, *states, c, nshards);
    return update_index(opt, files, *states, c, nshards);
}

/* The summary line of an indexing run. */
static void print_summary(FILE *summary, int rc, const counts_t *c, size_t files, uint64_t docs)
{
    double secs = progress_elapsed();
    double mb = (double)c->bytes / 1e6;
    /* The keys of earlier versions come first, in their order: scripts grep for them. */
    fprintf(summary, "newsindex: %s added=%" PRIu64 " replaced=%" PRIu64 " skipped=%" PRIu64
            " errors=%" PRIu64 " files=%zu docs=%" PRIu64 " mb=%.2f seconds=%.2f mb_per_s=%.2f"
            " docs_per_s=%.0f deleted=%" PRIu64 " unchanged=%" PRIu64 " files_indexed=%" PRIu64
            " files_skipped=%" PRIu64 " files_pruned=%" PRIu64 " clusters=%" PRIu64
            " duplicates=%" PRIu64 "\n",
            rc == 0 ? "done" : "failed", c->added, c->replaced, c->skipped, c->errors, files,
            docs, mb, secs, secs > 0 ? mb / secs : 0,
            secs > 0 ? (double)(c->added + c->replaced) / secs : 0, c->deleted, c->unchanged,
            c->files_indexed, c->files_skipped, c->files_pruned, c->clusters, c->dup_docs);
    fflush(summary);
}

/* An indexing run (a build or an update).  Returns the exit status. */
static int run_index(const options_t *opt, unsigned nshards, FILE *summary)
{
    counts_t c = { 0 };
    ingest_filelist_t files = { 0 };
    file_state_t *states = NULL;
    int rc = index_files(opt, nshards, &files, &states, &c);
    progress_set_phase(PHASE_DONE);
    progress_stop();
    progress_hidden_warnings();
    uint64_t docs = 0;
    if (rc == 0 || access(opt->index, F_OK) == 0)
        docs = shards_doc_count(opt->index);
    if (rc == 0)
        shards_dup_stats(opt->index, &c.clusters, &c.dup_docs);
    print_summary(summary, rc, &c, files.n, docs);

    int nothing_read = c.added + c.replaced + c.deleted + c.files_skipped == 0 &&
                       (c.errors > 0 || c.skipped > 0);
    if (rc == 0 && nothing_read)
        progress_fail("nothing could be read from the paths given");
    int ok = rc == 0 && !nothing_read && !indexer_stop_requested;
    if (opt->progress_json)
        progress_json_done(ok, &c, docs, workdir_bytes(opt->index));
    for (size_t i = 0; states && i < files.n; i++)
        free(states[i].real);
    free(states);
    ingest_filelist_free(&files);
    if (ok)
        return EXIT_OK;
    return update_locked_out ? EXIT_LOCKED : EXIT_FAILED;
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
    int usage_error = 0, status;
    unsigned nshards = shards_for_run(&opt, &usage_error);
    if (nshards == 0) {
        progress_set_phase(PHASE_DONE);
        progress_stop();
        if (opt.progress_json)
            progress_json_done(0, &(counts_t){ 0 }, 0, 0);
        status = usage_error ? EXIT_USAGE : EXIT_FAILED;
    } else if (opt.compact) {
        status = run_compact(&opt, nshards, summary);
    } else if (opt.upgrade) {
        status = run_upgrade(&opt, nshards, summary);
    } else {
        status = run_index(&opt, nshards, summary);
    }
    cli_free(&opt);
    return status;
}
