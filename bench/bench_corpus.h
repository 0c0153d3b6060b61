/*
 * bench_corpus.h: feeds the benchmark's peer indexers (naive Xapian, SQLite FTS5, the
 * Sphinx xmlpipe2 dumper) the very records newsindex sees.  It drives the daemon's own
 * walker and readers (daemon/ingest/ingest.h), so every system in the comparison pays the same
 * parsing cost on the same documents and differs only in how it indexes them.
 */
#ifndef NEWSD_BENCH_CORPUS_H
#define NEWSD_BENCH_CORPUS_H

#include <stdint.h>
#include <stdio.h>

#include "newsidx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one pass over the input saw. */
typedef struct bench_corpus_stats {
    uint64_t docs;         /* records handed to the callback */
    uint64_t skipped;      /* malformed records the readers skipped */
    uint64_t errors;       /* files that could not be walked, opened or read to the end */
    uint64_t files;        /* files walked */
    uint64_t input_bytes;  /* uncompressed input bytes the readers consumed */
    uint64_t text_bytes;   /* bytes of title + body handed on */
} bench_corpus_stats_t;

/* Called once per record; the strings are the reader's and live until the call returns.
 * A non-zero return stops the pass (the callback's own failure). */
typedef int (*bench_corpus_fn)(void *ctx, const newsidx_doc_t *doc);

/*
 * Walks paths[0..npaths) as newsindex does and calls fn for every record.  Reader
 * complaints go to stderr and are counted, not fatal: newsindex keeps going too.
 * Returns 0, or -1 when the walk could not allocate or fn asked to stop.
 */
int bench_corpus_each(const char *const *paths, int npaths, bench_corpus_fn fn, void *ctx,
                      bench_corpus_stats_t *stats);

/* Prints the stats as one "who: key=value ..." line to out; run.sh parses it. */
void bench_corpus_report(FILE *out, const char *who, const bench_corpus_stats_t *stats,
                         double seconds);

/* Monotonic seconds, for the programs' own progress lines (run.sh times them itself). */
double bench_now(void);

#ifdef __cplusplus
}
#endif

#endif
