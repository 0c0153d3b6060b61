/*
 * sink.c: where documents go, one writer or one per shard (sink_t), and reading one
 * input file into it: every record routed to the shard that owns its id, the file's
 * origin set so that records no longer in it are deleted, and its record written with
 * its documents.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "indexer.h"
#include "log.h"

const char *sink_error(const sink_t *s)
{
    return s->w[s->failed] ? newsidx_writer_error(s->w[s->failed]) : "no writer";
}

/* Sets every writer's origin (NULL: stops tagging).  Returns 0, or -1 on a failure. */
static int sink_set_origin(sink_t *s, const char *origin)
{
    for (unsigned k = 0; k < s->n; k++)
        if (newsidx_writer_set_origin(s->w[k], origin) != NEWSIDX_OK) {
            s->failed = k;
            return -1;
        }
    return 0;
}

/* Commits every writer; a shard's commit is its own, so a run killed between two leaves
 * some shards without the file's record, and the next run reads the file again. */
int sink_commit(sink_t *s)
{
    for (unsigned k = 0; k < s->n; k++)
        if (newsidx_writer_commit(s->w[k]) != NEWSIDX_OK) {
            s->failed = k;
            return -1;
        }
    return 0;
}

void sink_abandon(sink_t *s)
{
    for (unsigned k = 0; k < s->n; k++) {
        newsidx_writer_abandon(s->w[k]);
        s->w[k] = NULL;
    }
}

/*
 * Tests only: NEWSINDEX_TEST_HOLD=FILE makes the run wait before it opens FILE until
 * FILE.go exists (or a signal stops the run), so that a test can hold a run in the
 * middle with the write lock taken.  A FIFO once did that; only regular files are read.
 */
static void test_hold(const char *path)
{
    const char *hold = getenv("NEWSINDEX_TEST_HOLD");
    char a[PATH_MAX], b[PATH_MAX], go[PATH_MAX + 4];
    if (!hold || !realpath(hold, a) || !realpath(path, b) || strcmp(a, b) != 0)
        return;
    snprintf(go, sizeof go, "%s.go", hold);
    while (!indexer_stop_requested && access(go, F_OK) != 0)
        usleep(10000);
}

/*
 * Feeds every record of file f to its writer in sink.  *complete is set to 1 when the
 * file was read to its end (not: unopenable, failed part-way, interrupted).  Returns 0,
 * or -1 when a writer failed (the index cannot be written: the whole run fails; the
 * message is sink_error's).
 */
static int index_file(const options_t *opt, const ingest_file_t *f, sink_t *sink,
                      counts_t *c, int *complete)
{
    char err[512];
    *complete = 0;
    test_hold(f->path);
    ingest_source_t src = { .path = f->path, .id = f->id, .source = opt->source,
                            .format = opt->format };
    ingest_reader_t *r = ingest_open(&src, err, sizeof err);
    if (!r) {
        progress_warn("%s", err);
        c->errors++;
        return 0;
    }
    uint64_t reported = 0;
    int rc = 0;
    for (;;) {
        if (indexer_stop_requested)
            break;
        newsidx_doc_t doc;
        ingest_result_t res = ingest_next(r, &doc);
        uint64_t now = ingest_bytes_read(r);
        atomic_fetch_add(&progress_counters.bytes, now - reported);
        reported = now;
        if (res == INGEST_EOF) {
            *complete = 1;
            break;
        }
        if (res == INGEST_FAIL) {
            progress_warn("%s", ingest_error(r));
            c->errors++;
            break;
        }
        if (res == INGEST_SKIP) {
            progress_warn("%s", ingest_error(r));
            c->skipped++;
            continue;
        }
        int replaced = 0;
        unsigned k = sink->n > 1 ? newsidx_shard_of(doc.id, sink->n) : 0;
        newsidx_writer_t *w = sink->w[k];
        newsidx_status_t st = newsidx_writer_put(w, &doc, &replaced);
        if (st == NEWSIDX_BAD_ARGUMENT) {
            char id[NEWSD_MAX_ID_LEN * 4 + 8];
            const char *raw = doc.id ? doc.id : "";
            progress_warn("%s: %s: %s", f->path, log_escape(id, sizeof id, raw, strlen(raw)),
                          newsidx_writer_error(w));
            c->skipped++;
            continue;
        }
        if (st != NEWSIDX_OK) {
            sink->failed = k;
            rc = -1;
            break;
        }
        sink->docs[k]++;
        atomic_fetch_add(&progress_counters.docs, 1);
        if (replaced)
            c->replaced++;
        else
            c->added++;
    }
    c->bytes += reported;
    ingest_close(r);
    return rc;
}

/*
 * Reads one file with its origin set, so that its documents carry the file's term,
 * records no longer in it are deleted (not in bulk mode) and its record is written in
 * the writer's next commit.  A file not read to its end keeps its old documents and
 * gets no new record: the next run reads it again.  Returns 0, or -1 when the writer
 * failed.
 */
int sink_read_file(const options_t *opt, const ingest_file_t *f, const file_state_t *fs,
                         sink_t *sink, counts_t *c)
{
    if (!fs->real) {   /* gone since the walk: index_file reports it */
        int complete;
        return index_file(opt, f, sink, c, &complete);
    }
    if (sink_set_origin(sink, fs->real) != 0)
        return -1;
    memset(sink->docs, 0, sizeof sink->docs);
    int complete = 0;
    if (index_file(opt, f, sink, c, &complete) < 0)
        return -1;
    if (!complete || indexer_stop_requested)
        return sink_set_origin(sink, NULL);
    /* Every shard gets the file's record, with the documents it holds of it (maybe 0):
     * an update skips the file only when all of them match. */
    for (unsigned k = 0; k < sink->n; k++) {
        uint64_t deleted = 0;
        if (newsidx_writer_end_origin(sink->w[k], &deleted) != NEWSIDX_OK ||
            record_write(sink->w[k], fs, sink->docs[k]) != NEWSIDX_OK) {
            sink->failed = k;
            return -1;
        }
        c->deleted += deleted;
    }
    c->files_indexed++;
    return 0;
}
