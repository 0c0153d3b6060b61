/*
 * indexer.h: what the pieces of newsindex share (private to daemon/indexer/).
 *
 *   newsindex.c  main: the run's outline (compact, or list the files, then build or update)
 *   cli.c        the command line: options, usage
 *   progress.c   messages, the progress bar, --progress-json, the stop flag
 *   records.c    the per-file records and newsd.paths in the index's metadata
 *   sink.c       the writers a run stores documents through; reading one file into them
 *   build.c      the parallel fresh build and the merge of its parts
 *   update.c     the incremental update, --prune, and taking the write lock
 *   compact.c    --compact
 *   upgrade.c    --upgrade
 *   workdir.c    the work folders beside the index and the swap that replaces it
 *   shards.c     the shards a run works on (--shards, DIR's layout)
 */
#ifndef NEWSD_INDEXER_H
#define NEWSD_INDEXER_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ingest.h"
#include "newsd_limits.h"
#include "newsidx.h"

/* Exit statuses (newsindex(8), "EXIT STATUS"). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_LOCKED = 3 };

/* Metadata keys (newsindex(8), "INDEX LAYOUT"). */
#define PATHS_KEY NEWSD_PATHS_METADATA_KEY
#define FILE_KEY_PREFIX "newsd.file:"

typedef struct options {
    const char *index;
    int rebuild;
    int prune;                    /* delete documents of recorded files that are gone */
    int force;                    /* read every file, records or not */
    int compact;                  /* --compact: compact DIR, index nothing */
    const char *upgrade;          /* --upgrade DIR: upgrade DIR (then also index) */
    unsigned shards;              /* --shards N; 0 when not given */
    unsigned jobs;
    unsigned lock_timeout;        /* seconds to wait for another writer's lock */
    uint64_t commit_every;        /* documents between commits of an update */
    int progress;                 /* 1: progress bar on stderr */
    int progress_json;            /* 1: JSON progress lines on stdout */
    int verbose;                  /* 1: phase timings on stderr */
    const char *source;
    ingest_format_t format;
    const char **include;         /* NULL-terminated */
    const char **exclude;
    size_t ninclude, nexclude;
    const char *const *paths;
    size_t npaths;
    char **roots;                 /* absolute forms of paths[], for newsd.paths and --prune */
} options_t;

typedef struct counts {
    uint64_t added, replaced, deleted, unchanged, skipped, errors, bytes;
    uint64_t files_indexed, files_skipped, files_pruned, files_missing;
    uint64_t clusters, dup_docs;  /* near-duplicates in the index at the end */
} counts_t;

/* What newsindex knows about one input file beyond the walker's listing. */
typedef struct file_state {
    char *real;          /* realpath, or NULL when it vanished since the walk */
    uint64_t size;
    int64_t mtime_ns;    /* modification time, nanoseconds since the epoch */
    int changed;         /* 1: to be read (no matching record, or --force) */
} file_state_t;

/* ---- cli.c ---- */

/* Fills *opt from the command line.  Returns 0, or -1 after printing why (exit 2);
 * --help and --version print and exit.  cli_free releases what it allocated. */
int cli_parse(int argc, char **argv, options_t *opt);
void cli_free(options_t *opt);

/* ---- progress.c ---- */

typedef enum phase { PHASE_SCAN, PHASE_INDEX, PHASE_MERGE, PHASE_COMPACT, PHASE_DONE } phase_t;

/* What the progress output shows, counted by the builders and the update. */
extern struct progress_counters {
    atomic_uint_fast64_t docs;        /* records read so far, all builders */
    atomic_uint_fast64_t bytes;       /* uncompressed bytes read so far */
    atomic_uint_fast64_t total_bytes; /* estimated uncompressed bytes to read */
    unsigned nshards;                 /* parts shown while merging */
} progress_counters;

/* Set by SIGINT, SIGTERM and SIGHUP: every loop of the run stops at its next step. */
extern volatile sig_atomic_t indexer_stop_requested;

/* One problem with the input: printed for the first NEWSD_MAX_WARNINGS, counted always. */
void progress_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* progress_warn for ingest_walk's callback. */
void progress_warn_cb(void *ctx, const char *msg);
/* A failure of the run: always printed, and kept for the final JSON line. */
void progress_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A notice that is not a failure (waiting for a lock, missing files). */
void progress_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "N more warnings not shown", when some were not. */
void progress_hidden_warnings(void);
/* Seconds since progress_start. */
double progress_elapsed(void);
/* Starts the clock, and the reporter thread when opt asks for progress output. */
void progress_start(const options_t *opt);
/* Moves to the next phase and shows it at once. */
void progress_set_phase(phase_t phase);
/* Stops the reporter and clears the progress line. */
void progress_stop(void);
/* The final --progress-json line. */
void progress_json_done(int ok, const counts_t *c, uint64_t docs, uint64_t index_bytes);

/* ---- records.c ---- */

/* Writes fs's record ("<size> <mtime_ns> <docs> <path>") with w's next commit. */
newsidx_status_t record_write(newsidx_writer_t *w, const file_state_t *fs, uint64_t docs);
/* 1 when w holds a record of fs matching its size and mtime (adding the documents it
 * counts to *docs); 0 when not; -1 when the metadata cannot be read. */
int record_matches(newsidx_writer_t *w, const file_state_t *fs, uint64_t *docs);
/* A file's record, parsed from its value "<size> <mtime_ns> <docs> <path>". */
typedef struct record {
    uint64_t size;
    int64_t mtime_ns;
    uint64_t docs;
    const char *path;    /* points into the parsed value */
} record_t;

/* Parses a record's value.  Returns 0, or -1 when it is malformed. */
int record_parse(const char *value, record_t *rec);
/* 1 when path is root or lies below it. */
int record_path_under(const char *path, const char *root);
/* Stores newsd.paths in w; update: 1 to keep the paths recorded before, 0 to replace. */
newsidx_status_t record_set_paths(const options_t *opt, newsidx_writer_t *w, int update);
/* Opens dir, records the run's paths in it and commits (progress_fail on failure). */
int record_commit_paths(const options_t *opt, const char *dir);

/* ---- sink.c ---- */

/*
 * The writers a run stores documents through: one for a plain index, or one per shard,
 * each record going to w[newsidx_shard_of(id, n)].  docs[k] counts what writer k stored
 * of the current file, for its record in that shard.
 */
typedef struct sink {
    newsidx_writer_t *w[NEWSD_MAX_SHARDS];
    unsigned n;
    uint64_t docs[NEWSD_MAX_SHARDS];
    unsigned failed;     /* the writer whose call failed last: its message is the run's */
} sink_t;

const char *sink_error(const sink_t *s);
int sink_commit(sink_t *s);
void sink_abandon(sink_t *s);
/* Reads file f into the sink with its record (see sink.c).  Returns 0, or -1 when a
 * writer failed. */
int sink_read_file(const options_t *opt, const ingest_file_t *f, const file_state_t *fs,
                   sink_t *sink, counts_t *c);

/* ---- build.c ---- */

/* A fresh build of opt->index with nshards shards (1: one plain index). */
int build_fresh(const options_t *opt, const ingest_filelist_t *files,
                const file_state_t *states, counts_t *total, unsigned nshards);
/* A file's uncompressed size, estimated (gzip's trailer), for balance and progress. */
uint64_t build_estimated_size(const ingest_file_t *f);

/* ---- update.c ---- */

/* 1 when the run failed because the lock stayed taken (exit 3). */
extern int update_locked_out;
/* Opens dir for writing, waiting up to opt->lock_timeout for another writer's lock. */
newsidx_writer_t *update_open_writer(const options_t *opt, const char *dir);
/* An update in place of opt->index, one index or nshards shards. */
int update_index(const options_t *opt, const ingest_filelist_t *files, file_state_t *states,
                 counts_t *total, unsigned nshards);

/* ---- upgrade.c ---- */

/* Rewrites the index, or each of its nshards shards in turn, in this version's format
 * (newsidx_upgrade), adding the documents rewritten to *upgraded.  Returns 0, or -1
 * after reporting why (*locked set when another writer held it). */
int upgrade_index(const options_t *opt, unsigned nshards, uint64_t *upgraded, int *locked);

/* ---- compact.c ---- */

/* Compacts the index, or each of its nshards shards in turn. */
int compact_index(const options_t *opt, unsigned nshards, uint64_t *before, uint64_t *after);

/* ---- workdir.c ---- */

/* Work folder names beside the index: DIR.build-PID (work may be NULL), DIR.new-PID,
 * DIR.old-PID (newdir and olddir of PATH_MAX bytes). */
int workdir_names(const char *index, char *work, size_t wlen, char *newdir, char *olddir);
/* Puts newdir in index's place by two renames. */
int workdir_swap_in(const char *index, const char *newdir, const char *olddir);
/* Bytes of the files of an index folder, its shard folders included. */
uint64_t workdir_bytes(const char *dir);

/* ---- shards.c ---- */

/* The shard count this run writes (0 after printing why it cannot run; *usage set to 1
 * for a command-line conflict). */
unsigned shards_for_run(const options_t *opt, int *usage);
/* The folder of shard k of opt->index (PATH_MAX bytes): DIR itself when nshards is 1. */
int shards_dir(const options_t *opt, unsigned nshards, unsigned k, char *buf);
/* Documents in the index folder: the sum over its shards when it is sharded. */
uint64_t shards_doc_count(const char *index);
/* Clusters the near-duplicates of the index whose shards are dirs[0..n), together
 * (with opt->verbose, says how long it took).  Returns 0, or -1 after saying why. */
int shards_cluster(const options_t *opt, const char *const *dirs, unsigned n);
/* The near-duplicate clusters of the index folder (all its shards) and the documents
 * folded into them; 0 when it cannot be read. */
void shards_dup_stats(const char *index, uint64_t *clusters, uint64_t *duplicates);

#endif
