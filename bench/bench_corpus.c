/*
 * bench_corpus.c: the shared input loop of the benchmark programs (see bench_corpus.h).
 * It is the only bench file that knows the reader API, so a change there touches one place.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench_corpus.h"
#include "ingest.h"

static void warn_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "bench: walk: %s\n", msg);
}

/* Reads every record of one file; returns -1 only when fn asked to stop. */
static int each_in_file(const ingest_file_t *file, bench_corpus_fn fn, void *ctx,
                        bench_corpus_stats_t *stats)
{
    char err[512];
    ingest_source_t src = { .path = file->path, .id = file->id, .format = INGEST_AUTO };
    ingest_reader_t *reader = ingest_open(&src, err, sizeof err);
    if (!reader) {
        fprintf(stderr, "bench: open: %s\n", err);
        stats->errors++;
        return 0;
    }
    int rc = 0;
    for (;;) {
        newsidx_doc_t doc;
        memset(&doc, 0, sizeof doc);
        ingest_result_t r = ingest_next(reader, &doc);
        if (r == INGEST_EOF)
            break;
        if (r == INGEST_SKIP) {
            stats->skipped++;
            continue;
        }
        if (r == INGEST_FAIL) {
            fprintf(stderr, "bench: read: %s\n", ingest_error(reader));
            stats->errors++;
            break;
        }
        stats->docs++;
        stats->text_bytes += (doc.title ? strlen(doc.title) : 0) + (doc.body ? strlen(doc.body) : 0);
        if (fn && fn(ctx, &doc) != 0) {
            rc = -1;
            break;
        }
    }
    stats->input_bytes += ingest_bytes_read(reader);
    ingest_close(reader);
    return rc;
}

int bench_corpus_each(const char *const *paths, int npaths, bench_corpus_fn fn, void *ctx,
                      bench_corpus_stats_t *stats)
{
    memset(stats, 0, sizeof *stats);
    ingest_filelist_t list;
    memset(&list, 0, sizeof list);
    unsigned walk_errors = 0;
    if (ingest_walk(paths, (size_t)npaths, NULL, NULL, &list, warn_stderr, NULL,
                    &walk_errors) != 0) {
        fprintf(stderr, "bench: walk: out of memory\n");
        ingest_filelist_free(&list);
        return -1;
    }
    stats->errors = walk_errors;
    stats->files = list.n;
    int rc = 0;
    for (size_t i = 0; i < list.n && rc == 0; i++)
        rc = each_in_file(&list.files[i], fn, ctx, stats);
    ingest_filelist_free(&list);
    return rc;
}

void bench_corpus_report(FILE *out, const char *who, const bench_corpus_stats_t *stats,
                         double seconds)
{
    fprintf(out,
            "%s: docs=%llu skipped=%llu errors=%llu files=%llu input_bytes=%llu "
            "text_bytes=%llu seconds=%.2f\n",
            who, (unsigned long long)stats->docs, (unsigned long long)stats->skipped,
            (unsigned long long)stats->errors, (unsigned long long)stats->files,
            (unsigned long long)stats->input_bytes, (unsigned long long)stats->text_bytes,
            seconds);
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
