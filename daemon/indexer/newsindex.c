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
 *    stub DIR/shards.stub (daemon/indexer/shardlayout.h); each builder keeps one bulk writer per
 *    shard and routes every record by newsidx_shard_of, and each shard's parts are
 *    merged on their own.  An update or compaction of a sharded DIR works shard by
 *    shard, with one writer per shard (the sink below).
 *
 * Every run records its state in the index's metadata (README.md, "Index layout"):
 * "newsd.paths", the command line's paths, and per source file "newsd.file:<path>".
 *
 * Everything it knows about Xapian goes through include/newsidx.h, and everything about
 * file formats through daemon/ingest/ingest.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest.h"
#include "log.h"
#include "newsd_limits.h"
#include "newsidx.h"
#include "fsutil.h"
#include "partition.h"
#include "shardlayout.h"

#define NEWSD_VERSION_STRING "0.1.0"

/* Exit statuses (README.md, "newsindex"). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_LOCKED = 3 };

/* Metadata keys (README.md, "Index layout"). */
#define PATHS_KEY NEWSD_PATHS_METADATA_KEY
#define FILE_KEY_PREFIX "newsd.file:"

typedef struct options {
    const char *index;
    int rebuild;
    int prune;                    /* delete documents of recorded files that are gone */
    int force;                    /* read every file, records or not */
    int compact;                  /* --compact: compact DIR, index nothing */
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
} counts_t;

/* What newsindex knows about one input file beyond the walker's listing. */
typedef struct file_state {
    char *real;          /* realpath, or NULL when it vanished since the walk */
    uint64_t size;
    int64_t mtime_ns;    /* modification time, nanoseconds since the epoch */
    int changed;         /* 1: to be read (no matching record, or --force) */
} file_state_t;

typedef enum phase { PHASE_SCAN, PHASE_INDEX, PHASE_MERGE, PHASE_COMPACT, PHASE_DONE } phase_t;

static const char *const phase_names[] = { "scan", "index", "merge", "compact", "done" };

/* Shared by the builders, the main thread and the progress reporter. */
static struct {
    pthread_mutex_t lock;          /* guards warnings, the progress line, warn_count, last_error */
    unsigned warn_count;
    int progress_shown;            /* a progress line is on the terminal */
    atomic_uint_fast64_t docs;     /* records read so far, all builders */
    atomic_uint_fast64_t bytes;    /* uncompressed bytes read so far */
    atomic_uint_fast64_t total_bytes; /* estimated uncompressed bytes to read */
    atomic_int phase;
    unsigned nshards;              /* shown while merging */
    char last_error[512];          /* the last failure, for --progress-json's final line */
    struct timespec start;
} shared = { .lock = PTHREAD_MUTEX_INITIALIZER };

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static double elapsed_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - shared.start.tv_sec) +
           (double)(now.tv_nsec - shared.start.tv_nsec) / 1e9;
}

/* Clears the progress line, if any, so that a message can take its place.  Caller holds
 * shared.lock. */
static void clear_progress_locked(void)
{
    if (shared.progress_shown) {
        fputs("\r\033[K", stderr);
        shared.progress_shown = 0;
    }
}

/* One problem with the input: printed for the first NEWSD_MAX_WARNINGS, counted always. */
/* "newsindex: MESSAGE" on stderr, below any progress line (shared.lock held). */
static void say_locked(const char *fmt, va_list ap)
{
    clear_progress_locked();
    fputs("newsindex: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void warn(const char *fmt, ...)
{
    pthread_mutex_lock(&shared.lock);
    if (shared.warn_count++ < NEWSD_MAX_WARNINGS) {
        va_list ap;
        va_start(ap, fmt);
        say_locked(fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&shared.lock);
}

static void warn_cb(void *ctx, const char *msg)
{
    (void)ctx;
    warn("%s", msg);
}

/* A failure of the run: always printed, and kept for the final JSON line. */
static void fail_msg(const char *fmt, ...)
{
    pthread_mutex_lock(&shared.lock);
    clear_progress_locked();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(shared.last_error, sizeof shared.last_error, fmt, ap);
    va_end(ap);
    fprintf(stderr, "newsindex: %s\n", shared.last_error);
    pthread_mutex_unlock(&shared.lock);
}

/* A notice that is not a failure (waiting for a lock, missing files). */
static void note(const char *fmt, ...)
{
    pthread_mutex_lock(&shared.lock);
    va_list ap;
    va_start(ap, fmt);
    say_locked(fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&shared.lock);
}

/* ---- progress: a bar on stderr and/or JSON lines on stdout, from one thread ---- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;           /* signalled on a phase change and at stop */
    int stop;
    int running;
    pthread_t thread;
    const options_t *opt;
} reporter = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void format_eta(char *buf, size_t len, double seconds)
{
    if (seconds < 0 || seconds > 360000)
        snprintf(buf, len, "--:--");
    else if (seconds >= 3600)
        snprintf(buf, len, "%d:%02d:%02d", (int)seconds / 3600, ((int)seconds / 60) % 60,
                 (int)seconds % 60);
    else
        snprintf(buf, len, "%d:%02d", (int)seconds / 60, (int)seconds % 60);
}

/* Fraction done and the ETA in seconds (-1: unknown yet). */
static double progress_fraction(double secs, double *eta)
{
    uint64_t bytes = atomic_load(&shared.bytes), total = atomic_load(&shared.total_bytes);
    double frac = total ? (double)bytes / (double)total : 0;
    if (frac > 1)
        frac = 1;
    *eta = (frac > 0.01 && frac < 1) ? secs * (1 - frac) / frac : (frac >= 1 ? 0 : -1);
    return frac;
}

static void show_progress(phase_t phase)
{
    pthread_mutex_lock(&shared.lock);
    if (phase == PHASE_MERGE || phase == PHASE_COMPACT) {
        if (phase == PHASE_MERGE)
            fprintf(stderr, "\r\033[Kmerging %u shard%s...", shared.nshards,
                    shared.nshards == 1 ? "" : "s");
        else
            fprintf(stderr, "\r\033[Kcompacting...");
        shared.progress_shown = 1;
        pthread_mutex_unlock(&shared.lock);
        return;
    }
    pthread_mutex_unlock(&shared.lock);
    if (phase != PHASE_INDEX)
        return;
    uint64_t docs = atomic_load(&shared.docs), bytes = atomic_load(&shared.bytes);
    double secs = elapsed_seconds(), eta;
    double frac = progress_fraction(secs, &eta);
    double rate = secs > 0 ? (double)docs / secs : 0;
    char etabuf[32];
    format_eta(etabuf, sizeof etabuf, eta);
    char bar[NEWSD_PROGRESS_BAR_WIDTH + 1];
    int filled = (int)(frac * NEWSD_PROGRESS_BAR_WIDTH);
    for (int i = 0; i < NEWSD_PROGRESS_BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[NEWSD_PROGRESS_BAR_WIDTH] = '\0';

    pthread_mutex_lock(&shared.lock);
    fprintf(stderr, "\r\033[Kindexing [%s] %3.0f%%  %" PRIu64 " docs  %.1f/%.1f MB  %.0f docs/s  ETA %s",
            bar, frac * 100, docs, (double)bytes / 1e6,
            (double)atomic_load(&shared.total_bytes) / 1e6, rate, etabuf);
    shared.progress_shown = 1;
    pthread_mutex_unlock(&shared.lock);
}

static void emit_json_progress(phase_t phase)
{
    uint64_t docs = atomic_load(&shared.docs), bytes = atomic_load(&shared.bytes);
    double secs = elapsed_seconds(), eta;
    progress_fraction(secs, &eta);
    char etabuf[32] = "null";
    if (phase == PHASE_INDEX && eta >= 0)
        snprintf(etabuf, sizeof etabuf, "%.1f", eta);
    printf("{\"phase\":\"%s\",\"docs\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"total_bytes\":%" PRIu64
           ",\"elapsed_s\":%.3f,\"mb_per_s\":%.2f,\"eta_s\":%s}\n",
           phase_names[phase], docs, bytes, (uint64_t)atomic_load(&shared.total_bytes), secs,
           secs > 0 ? (double)bytes / 1e6 / secs : 0, etabuf);
    fflush(stdout);
}

/* Periodic output; phase changes are shown at once by set_phase. */
static void *reporter_main(void *arg)
{
    (void)arg;
    const options_t *opt = reporter.opt;
    long tick_ms = opt->progress ? NEWSD_PROGRESS_INTERVAL_MS : NEWSD_PROGRESS_JSON_MS;
    double next_json = elapsed_seconds() + NEWSD_PROGRESS_JSON_MS / 1000.0;
    pthread_mutex_lock(&reporter.lock);
    while (!reporter.stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += tick_ms / 1000;
        until.tv_nsec += (tick_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&reporter.cond, &reporter.lock, &until);
        phase_t phase = (phase_t)atomic_load(&shared.phase);
        if (reporter.stop || phase == PHASE_DONE)
            break;
        double now = elapsed_seconds();
        if (opt->progress_json && now >= next_json) {
            emit_json_progress(phase);
            next_json = now + NEWSD_PROGRESS_JSON_MS / 1000.0;
        }
        if (opt->progress)
            show_progress(phase);
    }
    pthread_mutex_unlock(&reporter.lock);
    return NULL;
}

/* Moves to the next phase and shows it at once, so that even a short run reports every
 * phase it went through (the final "done" line is main's). */
static void set_phase(phase_t phase)
{
    pthread_mutex_lock(&reporter.lock);
    atomic_store(&shared.phase, (int)phase);
    if (reporter.running && phase != PHASE_DONE) {
        if (reporter.opt->progress_json)
            emit_json_progress(phase);
        if (reporter.opt->progress)
            show_progress(phase);
    }
    pthread_mutex_unlock(&reporter.lock);
}

static void reporter_start(const options_t *opt)
{
    if (!opt->progress && !opt->progress_json)
        return;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&reporter.cond, &attr);
    pthread_condattr_destroy(&attr);
    reporter.opt = opt;
    pthread_mutex_lock(&reporter.lock);
    reporter.running = pthread_create(&reporter.thread, NULL, reporter_main, NULL) == 0;
    pthread_mutex_unlock(&reporter.lock);
    if (!reporter.running)
        note("cannot start the progress thread; going on without progress output");
    set_phase(PHASE_SCAN);
}

static void reporter_stop(void)
{
    if (!reporter.running)
        return;
    pthread_mutex_lock(&reporter.lock);
    reporter.stop = 1;
    pthread_cond_signal(&reporter.cond);
    pthread_mutex_unlock(&reporter.lock);
    pthread_join(reporter.thread, NULL);
    reporter.running = 0;
    pthread_mutex_lock(&shared.lock);
    clear_progress_locked();
    pthread_mutex_unlock(&shared.lock);
}

/* ---- per-file records in the index's metadata ---- */

/* "newsd.file:<path>", or "newsd.file:#<digest>" when that would be over-long. */
static void record_key(const char *real, char key[NEWSD_MAX_METADATA_KEY_LEN + 1])
{
    if (strlen(FILE_KEY_PREFIX) + strlen(real) <= NEWSD_MAX_METADATA_KEY_LEN) {
        snprintf(key, NEWSD_MAX_METADATA_KEY_LEN + 1, "%s%s", FILE_KEY_PREFIX, real);
    } else {
        char d[NEWSIDX_DIGEST_LEN + 1];
        newsidx_digest(real, d);
        snprintf(key, NEWSD_MAX_METADATA_KEY_LEN + 1, "%s#%s", FILE_KEY_PREFIX, d);
    }
}

typedef struct record {
    uint64_t size;
    int64_t mtime_ns;
    uint64_t docs;
    const char *path;    /* points into the parsed value */
} record_t;

/* A record's value is "<size> <mtime_ns> <docs> <path>".  Returns -1 if malformed. */
static int parse_record(const char *value, record_t *rec)
{
    int off = 0;
    if (sscanf(value, "%" SCNu64 " %" SCNd64 " %" SCNu64 " %n", &rec->size, &rec->mtime_ns,
               &rec->docs, &off) != 3 || off == 0 || value[off] != '/')
        return -1;
    rec->path = value + off;
    return 0;
}

static newsidx_status_t write_record(newsidx_writer_t *w, const file_state_t *fs, uint64_t docs)
{
    char key[NEWSD_MAX_METADATA_KEY_LEN + 1];
    record_key(fs->real, key);
    /* three numbers of at most 20 digits, their separators, the path and the NUL */
    size_t len = 3 * 21 + strlen(fs->real) + 1;
    char *value = malloc(len);
    if (!value)
        return NEWSIDX_NO_MEMORY;
    snprintf(value, len, "%" PRIu64 " %" PRId64 " %" PRIu64 " %s", fs->size, fs->mtime_ns, docs,
             fs->real);
    newsidx_status_t st = newsidx_writer_set_metadata(w, key, value);
    free(value);
    return st;
}

/* ---- where documents go: one writer, or one per shard ---- */

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

static const char *sink_error(const sink_t *s)
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
static int sink_commit(sink_t *s)
{
    for (unsigned k = 0; k < s->n; k++)
        if (newsidx_writer_commit(s->w[k]) != NEWSIDX_OK) {
            s->failed = k;
            return -1;
        }
    return 0;
}

static void sink_abandon(sink_t *s)
{
    for (unsigned k = 0; k < s->n; k++) {
        newsidx_writer_abandon(s->w[k]);
        s->w[k] = NULL;
    }
}

/* ---- reading one file into the writers ---- */

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
    while (!stop_requested && access(go, F_OK) != 0)
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
        warn("%s", err);
        c->errors++;
        return 0;
    }
    uint64_t reported = 0;
    int rc = 0;
    for (;;) {
        if (stop_requested)
            break;
        newsidx_doc_t doc;
        ingest_result_t res = ingest_next(r, &doc);
        uint64_t now = ingest_bytes_read(r);
        atomic_fetch_add(&shared.bytes, now - reported);
        reported = now;
        if (res == INGEST_EOF) {
            *complete = 1;
            break;
        }
        if (res == INGEST_FAIL) {
            warn("%s", ingest_error(r));
            c->errors++;
            break;
        }
        if (res == INGEST_SKIP) {
            warn("%s", ingest_error(r));
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
            warn("%s: %s: %s", f->path, log_escape(id, sizeof id, raw, strlen(raw)),
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
        atomic_fetch_add(&shared.docs, 1);
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
static int index_tracked(const options_t *opt, const ingest_file_t *f, const file_state_t *fs,
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
    if (!complete || stop_requested)
        return sink_set_origin(sink, NULL);
    /* Every shard gets the file's record, with the documents it holds of it (maybe 0):
     * an update skips the file only when all of them match. */
    for (unsigned k = 0; k < sink->n; k++) {
        uint64_t deleted = 0;
        if (newsidx_writer_end_origin(sink->w[k], &deleted) != NEWSIDX_OK ||
            write_record(sink->w[k], fs, sink->docs[k]) != NEWSIDX_OK) {
            sink->failed = k;
            return -1;
        }
        c->deleted += deleted;
    }
    c->files_indexed++;
    return 0;
}

/* ---- fresh builds: parallel shards, then merge ---- */

typedef struct builder {
    const options_t *opt;
    const ingest_filelist_t *files;
    const file_state_t *states;
    size_t first, last;            /* files [first, last) */
    char (*parts)[PATH_MAX];       /* its writers' folders, one per shard */
    sink_t sink;
    counts_t counts;
    newsidx_status_t status;
    double seconds;                /* from start to its shards committed */
    char msg[512];
} builder_t;

static void builder_run(builder_t *b)
{
    sink_t *s = &b->sink;
    for (unsigned k = 0; k < s->n; k++) {
        b->status = newsidx_writer_open(b->parts[k], NEWSIDX_OVERWRITE | NEWSIDX_BULK, &s->w[k]);
        if (b->status != NEWSIDX_OK) {
            snprintf(b->msg, sizeof b->msg, "%s",
                     s->w[k] ? newsidx_writer_error(s->w[k]) : "out of memory");
            sink_abandon(s);
            return;
        }
    }
    for (size_t i = b->first; i < b->last && !stop_requested; i++) {
        if (index_tracked(b->opt, &b->files->files[i], &b->states[i], s, &b->counts) < 0) {
            b->status = NEWSIDX_IO;
            snprintf(b->msg, sizeof b->msg, "%s", sink_error(s));
            sink_abandon(s);
            return;
        }
    }
    if (stop_requested) {
        sink_abandon(s);
        return;
    }
    for (unsigned k = 0; k < s->n; k++) {
        b->status = newsidx_writer_close(s->w[k]);
        s->w[k] = NULL;
        if (b->status != NEWSIDX_OK) {
            snprintf(b->msg, sizeof b->msg, "commit of %s failed", b->parts[k]);
            sink_abandon(s);
            return;
        }
    }
}

static void *builder_main(void *arg)
{
    builder_t *b = arg;
    double t0 = elapsed_seconds();
    builder_run(b);
    b->seconds = elapsed_seconds() - t0;
    return NULL;
}

/*
 * The uncompressed size of a file: for gzip, the trailer's ISIZE (exact below 4 GiB for
 * single-member files, which is what gzip writes), else the size on disk.  Used only
 * to balance builders and estimate progress.
 */
static uint64_t estimated_size(const ingest_file_t *f)
{
    size_t n = strlen(f->path);
    if (n < 3 || strcmp(f->path + n - 3, ".gz") != 0 || f->size < 18)
        return f->size;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return f->size;
    unsigned char t[4];
    uint64_t est = f->size;
    if (pread(fd, t, 4, (off_t)f->size - 4) == 4) {
        uint32_t isize = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
                         (uint32_t)t[3] << 24;
        if (isize >= f->size / 2)   /* else: multi-member or >4 GiB; keep the disk size */
            est = isize;
    }
    close(fd);
    return est;
}

/*
 * The share of a file's bytes that is text rather than markup, from its first
 * NEWSD_SAMPLE_BYTES (decompressed): bytes inside <tags> and &entities; do not become
 * terms, and in Reuters SGML they are a third of the file.  Indexing cost follows the
 * text, so builders are balanced on size x this share.
 */
static double text_share(const char *path)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return 1.0;
    static _Thread_local char buf[NEWSD_SAMPLE_BYTES];
    int n = gzread(gz, buf, sizeof buf);
    gzclose(gz);
    if (n <= 0)
        return 1.0;
    size_t text = 0;
    int in_tag = 0, in_entity = 0;
    for (int i = 0; i < n; i++) {
        char c = buf[i];
        if (in_tag) {
            in_tag = c != '>';
        } else if (in_entity) {
            in_entity = c != ';' && c != ' ' && c != '\n';
        } else if (c == '<') {
            in_tag = 1;
        } else if (c == '&') {
            in_entity = 1;
        } else {
            text++;
        }
    }
    double share = (double)text / n;
    return share < 0.05 ? 0.05 : share;
}

/* Bytes of the files in an index folder (glass keeps its tables flat in it), and in
 * its shard folders when it is sharded. */
static uint64_t dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode)) {
            total += (uint64_t)st.st_size;
        } else if (S_ISDIR(st.st_mode) && strncmp(e->d_name, "shard-", 6) == 0) {
            char sub[PATH_MAX];
            if (snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) < (int)sizeof sub)
                total += dir_bytes(sub);
        }
    }
    closedir(d);
    return total;
}

/*
 * Puts newdir in index's place: index (if any) moves to olddir, newdir to index, olddir is
 * removed.  From the first rename on, index is always either the old or the new one, and
 * a run killed between the renames is undone by the next (fsutil_remove_stale).
 * Returns 0, or -1 with newdir removed and the old index where it was.
 */
static int swap_in(const char *index, const char *newdir, const char *olddir)
{
    int had_old = access(index, F_OK) == 0;
    if (had_old && rename(index, olddir) != 0) {
        fail_msg("cannot move %s aside: %s", index, strerror(errno));
        fsutil_remove_tree(newdir);
        return -1;
    }
    if (rename(newdir, index) != 0) {
        fail_msg("cannot move the new index into place: %s", strerror(errno));
        if (had_old && rename(olddir, index) != 0)
            note("the previous index is at %s", olddir);
        fsutil_remove_tree(newdir);
        return -1;
    }
    if (had_old)
        fsutil_remove_tree(olddir);
    return 0;
}

/* Work folder names beside the index: DIR.build-PID, DIR.new-PID, DIR.old-PID. */
static int work_names(const char *index, char *work, size_t wlen, char *newdir, char *olddir)
{
    long pid = (long)getpid();
    if ((work && snprintf(work, wlen, "%s.build-%ld", index, pid) >= (int)wlen) ||
        snprintf(newdir, PATH_MAX, "%s.new-%ld", index, pid) >= PATH_MAX ||
        snprintf(olddir, PATH_MAX, "%s.old-%ld", index, pid) >= PATH_MAX) {
        fail_msg("%s: path too long", index);
        return -1;
    }
    return 0;
}

/* 1 when path is root or lies below it. */
static int path_under(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/' ||
                                           (n > 0 && root[n - 1] == '/'));
}

/* Appends s to arr unless a path already in arr covers it; removes the ones it covers. */
static void add_root(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (path_under(s, json_string_value(v)))
            return;
    for (i = json_array_size(arr); i-- > 0;)
        if (path_under(json_string_value(json_array_get(arr, i)), s))
            json_array_remove(arr, i);
    json_array_append_new(arr, json_string(s));
}

/*
 * The JSON array stored in newsd.paths (malloc'd): the command line's paths, and for an
 * update also those already recorded, so that an update of one folder does not make a
 * later REINDEX without paths forget the others.  A path below another is left out.
 */
static char *paths_json(const options_t *opt, const char *recorded)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    json_t *old = recorded ? json_loads(recorded, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    json_array_foreach(old, i, v)
        if (json_is_string(v))
            add_root(arr, json_string_value(v));
    json_decref(old);
    for (size_t k = 0; k < opt->npaths; k++) {
        json_t *probe = json_string(opt->roots[k]);
        if (!probe) {
            warn("%s: not UTF-8; left out of %s", opt->roots[k], PATHS_KEY);
            continue;
        }
        json_decref(probe);
        add_root(arr, opt->roots[k]);
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

/* update: 1 to keep the paths recorded before (an update), 0 to replace them (a build). */
static newsidx_status_t set_paths(const options_t *opt, newsidx_writer_t *w, int update)
{
    char *recorded = NULL;
    if (update)
        newsidx_writer_get_metadata(w, PATHS_KEY, &recorded);
    char *json = paths_json(opt, recorded);
    free(recorded);
    if (!json)
        return NEWSIDX_NO_MEMORY;
    newsidx_status_t st = newsidx_writer_set_metadata(w, PATHS_KEY, json);
    free(json);
    return st;
}

/* Opens dir, records the run's paths in it and commits (fail_msg on failure). */
static int record_paths(const options_t *opt, const char *dir)
{
    newsidx_writer_t *w = NULL;
    newsidx_status_t st = newsidx_writer_open(dir, 0, &w);
    if (st == NEWSIDX_OK)
        st = set_paths(opt, w, 0);
    if (st == NEWSIDX_OK) {
        st = newsidx_writer_close(w);
        w = NULL;
    }
    if (st != NEWSIDX_OK) {
        fail_msg("recording the paths in %s failed (%s): %s", dir, newsidx_status_name(st),
                 w ? newsidx_writer_error(w) : "");
        newsidx_writer_abandon(w);
        return -1;
    }
    return 0;
}

/* One merge of a fresh build: the builders' parts of one shard into its final folder. */
typedef struct merge_job {
    const char *sources[NEWSD_MAX_BUILDERS];
    size_t n;
    char dest[PATH_MAX];
    uint64_t dups;
    newsidx_status_t status;
    char msg[512];
} merge_job_t;

typedef struct merge_pool {
    merge_job_t *jobs;
    unsigned n;
    atomic_uint next;
} merge_pool_t;

static void *merger_main(void *arg)
{
    merge_pool_t *p = arg;
    for (;;) {
        unsigned i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n || stop_requested)
            return NULL;
        merge_job_t *j = &p->jobs[i];
        j->status = newsidx_merge(j->sources, j->n, j->dest, &j->dups, j->msg, sizeof j->msg);
    }
}

/* Runs the merges on up to `threads` threads (the calling one included).  Returns 0, or
 * -1 with the first failure reported. */
static int run_merges(merge_job_t *jobs, unsigned n, unsigned threads)
{
    merge_pool_t pool = { .jobs = jobs, .n = n };
    for (unsigned k = 0; k < n; k++)
        jobs[k].status = NEWSIDX_INTERNAL;   /* until it has run */
    if (threads > n)
        threads = n;
    pthread_t th[NEWSD_MAX_BUILDERS];
    unsigned started = 0;
    while (started + 1 < threads && pthread_create(&th[started], NULL, merger_main, &pool) == 0)
        started++;
    merger_main(&pool);
    for (unsigned k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    if (stop_requested)
        return -1;
    for (unsigned k = 0; k < n; k++)
        if (jobs[k].status != NEWSIDX_OK) {
            fail_msg("merging into %s failed (%s): %s", jobs[k].dest,
                     newsidx_status_name(jobs[k].status), jobs[k].msg);
            return -1;
        }
    return 0;
}

/*
 * A fresh build of opt->index with nshards shards (1: one plain index): builders write
 * their file ranges, each into one bulk writer per shard; then each shard's parts are
 * merged (in parallel) into DIR.new-PID (itself, or its shard-K folders and the stub),
 * which replaces DIR.
 */
static int fresh_build(const options_t *opt, const ingest_filelist_t *files,
                       const file_state_t *states, counts_t *total, unsigned nshards)
{
    /* Room for "/shard-BB-K" below the work folder. */
    char work[PATH_MAX - 32], newdir[PATH_MAX], olddir[PATH_MAX];
    if (work_names(opt->index, work, sizeof work, newdir, olddir) != 0)
        return -1;
    if (mkdir(work, 0755) != 0) {
        fail_msg("cannot create %s: %s", work, strerror(errno));
        return -1;
    }

    /* A builder buffers for each of its shards' writers: the flush threshold is split
     * between them, so that a builder holds about NEWSD_BULK_FLUSH_THRESHOLD documents
     * in all, as in a plain build (measured on Reuters: 3 shards at 500 each cost 30%
     * more CPU than one index, at 166 the same; 64 shards at 500 took 600 MB, at 7
     * 110 MB).  Set before any writer exists; a value in the environment wins. */
    if (nshards > 1 && !getenv("XAPIAN_FLUSH_THRESHOLD")) {
        char threshold[16];
        unsigned per = NEWSD_BULK_FLUSH_THRESHOLD / nshards;
        snprintf(threshold, sizeof threshold, "%u", per ? per : 1);
        setenv("XAPIAN_FLUSH_THRESHOLD", threshold, 1);
    }
    unsigned nb = opt->jobs;
    if (nshards > 1 && nb > NEWSD_MAX_SHARD_WRITERS / nshards)
        nb = NEWSD_MAX_SHARD_WRITERS / nshards ? NEWSD_MAX_SHARD_WRITERS / nshards : 1;
    if (nb > files->n)
        nb = files->n ? (unsigned)files->n : 1;
    uint64_t *sizes = calloc(files->n ? files->n : 1, sizeof *sizes);
    builder_t *b = calloc(nb, sizeof *b);
    pthread_t *th = calloc(nb, sizeof *th);
    char (*parts)[PATH_MAX] = calloc((size_t)nb * nshards, sizeof *parts);
    merge_job_t *merges = calloc(nshards, sizeof *merges);
    int rc = -1;
    if (!sizes || !b || !th || !parts || !merges) {
        fail_msg("out of memory");
        goto out;
    }
    for (size_t i = 0; i < files->n; i++) {
        uint64_t est = estimated_size(&files->files[i]);
        atomic_fetch_add(&shared.total_bytes, est);
        sizes[i] = (uint64_t)((double)est * text_share(files->files[i].path));
    }
    size_t bounds[NEWSD_MAX_BUILDERS + 1];
    partition_ranges(sizes, files->n, nb, bounds);
    for (unsigned k = 0; k < nb; k++) {
        b[k].first = bounds[k];
        b[k].last = bounds[k + 1];
        b[k].parts = parts + (size_t)k * nshards;
        b[k].sink.n = nshards;
        for (unsigned s = 0; s < nshards; s++) {
            if (nshards == 1)
                snprintf(b[k].parts[s], PATH_MAX, "%s/shard-%02u", work, k % 100);
            else
                snprintf(b[k].parts[s], PATH_MAX, "%s/shard-%02u-%u", work, k % 100, s);
        }
    }

    set_phase(PHASE_INDEX);
    unsigned started = 0;
    for (unsigned k = 0; k < nb; k++) {
        b[k].opt = opt;
        b[k].files = files;
        b[k].states = states;
        if (pthread_create(&th[k], NULL, builder_main, &b[k]) != 0) {
            fail_msg("cannot start a builder thread");
            stop_requested = 1;
            break;
        }
        started++;
    }
    for (unsigned k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    if (stop_requested) {
        fail_msg("interrupted; %s is unchanged", opt->index);
        goto out;
    }
    if (started < nb)
        goto out;

    for (unsigned k = 0; k < nb; k++) {
        if (b[k].status != NEWSIDX_OK) {
            fail_msg("writing %s failed (%s): %s", nshards == 1 ? b[k].parts[0] : work,
                     newsidx_status_name(b[k].status), b[k].msg);
            goto out;
        }
        total->added += b[k].counts.added;
        total->skipped += b[k].counts.skipped;
        total->errors += b[k].counts.errors;
        total->bytes += b[k].counts.bytes;
        total->files_indexed += b[k].counts.files_indexed;
    }
    for (unsigned s = 0; s < nshards; s++) {
        merges[s].n = nb;
        for (unsigned k = 0; k < nb; k++)
            merges[s].sources[k] = b[k].parts[s];
        if (nshards == 1)
            snprintf(merges[s].dest, PATH_MAX, "%s", newdir);
        else if (shardlayout_shard_path(newdir, s, merges[s].dest, PATH_MAX) != 0) {
            fail_msg("%s: path too long", newdir);
            goto out;
        }
    }

    shared.nshards = nb;
    set_phase(PHASE_MERGE);
    if (opt->verbose)
        for (unsigned k = 0; k < nb; k++)
            note("builder %u: files %zu-%zu, %" PRIu64 " MB, %.2f s", k, b[k].first, b[k].last,
                 b[k].counts.bytes / 1000000, b[k].seconds);
    if (nshards > 1 && mkdir(newdir, 0755) != 0) {
        fail_msg("cannot create %s: %s", newdir, strerror(errno));
        goto out;
    }
    double merge_start = elapsed_seconds();
    if (run_merges(merges, nshards, opt->jobs) != 0) {
        if (stop_requested)
            fail_msg("interrupted; %s is unchanged", opt->index);
        fsutil_remove_tree(newdir);
        goto out;
    }
    uint64_t dups = 0;
    for (unsigned s = 0; s < nshards; s++)
        dups += merges[s].dups;
    if (opt->verbose)
        note("merged %u builder%s' output into %u shard%s in %.2f s (%" PRIu64
             " duplicate ids)", nb, nb == 1 ? "" : "s", nshards, nshards == 1 ? "" : "s",
             elapsed_seconds() - merge_start, dups);
    /* A later record with the same id replaced an earlier one. */
    total->added -= dups;
    total->replaced += dups;

    /* The merge keeps the parts' file records; the paths are set once, here. */
    for (unsigned s = 0; s < nshards; s++)
        if (record_paths(opt, merges[s].dest) != 0) {
            fsutil_remove_tree(newdir);
            goto out;
        }
    char msg[512];
    if (nshards > 1 && shardlayout_write_stub(newdir, nshards, msg, sizeof msg) != 0) {
        fail_msg("%s", msg);
        fsutil_remove_tree(newdir);
        goto out;
    }

    if (stop_requested) {
        fail_msg("interrupted; %s is unchanged", opt->index);
        fsutil_remove_tree(newdir);
        goto out;
    }
    /* The swap: from here on DIR is either the old index or the new one. */
    if (swap_in(opt->index, newdir, olddir) != 0)
        goto out;
    rc = 0;
out:
    fsutil_remove_tree(work);
    free(sizes);
    free(b);
    free(th);
    free(parts);
    free(merges);
    return rc;
}

/* ---- the writer lock ---- */

static int locked_out;   /* the run failed because the lock stayed taken */

/*
 * Opens dir for writing, retrying every NEWSD_LOCK_RETRY_MS while another writer holds it,
 * for up to opt->lock_timeout seconds.  Returns the writer or NULL (the failure printed).
 */
static newsidx_writer_t *open_writer_waiting(const options_t *opt, const char *dir)
{
    double deadline = elapsed_seconds() + opt->lock_timeout;
    int announced = 0;
    for (;;) {
        newsidx_writer_t *w = NULL;
        newsidx_status_t st = newsidx_writer_open(dir, 0, &w);
        if (st == NEWSIDX_OK) {
            if (announced || opt->verbose)
                note("writing to %s", dir);
            return w;
        }
        if (st != NEWSIDX_LOCKED) {
            fail_msg("cannot open %s for writing (%s): %s", dir, newsidx_status_name(st),
                     w ? newsidx_writer_error(w) : "out of memory");
            newsidx_writer_abandon(w);
            return NULL;
        }
        newsidx_writer_abandon(w);
        if (stop_requested) {
            fail_msg("interrupted while waiting for the lock on %s", dir);
            return NULL;
        }
        if (elapsed_seconds() >= deadline) {
            locked_out = 1;
            fail_msg("%s is still locked by another writer (a running newsd or newsindex) "
                     "after %u s; giving up", dir, opt->lock_timeout);
            return NULL;
        }
        if (!announced) {
            note("%s is locked by another writer (a running newsd or newsindex); waiting up "
                 "to %u s", dir, opt->lock_timeout);
            announced = 1;
        }
        struct timespec ts = { 0, NEWSD_LOCK_RETRY_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* ---- updates: one writer, skip what has not changed ---- */

typedef struct prune_ctx {
    const options_t *opt;
    newsidx_writer_t *w;
    counts_t *c;
    int count_files;     /* 1: count files pruned or missing (one shard's pass only) */
    int failed;
} prune_ctx_t;

/* 1 when path is root or lies below it. */
static int under(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (strncmp(path, root, n) != 0)
        return 0;
    return path[n] == '\0' || path[n] == '/' || (n > 0 && root[n - 1] == '/');
}

static int prune_one(void *ctx, const char *key, const char *value)
{
    prune_ctx_t *p = ctx;
    record_t rec;
    if (parse_record(value, &rec) != 0) {
        warn("ignoring a malformed file record %s", key);
        return 0;
    }
    int in_scope = 0;
    for (size_t i = 0; i < p->opt->npaths && !in_scope; i++)
        in_scope = under(rec.path, p->opt->roots[i]);
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

/* 1 when writer w holds a record of fs matching its size and mtime (adding the
 * documents it counts to *docs); 0 when not; -1 when the metadata cannot be read. */
static int record_matches(newsidx_writer_t *w, const file_state_t *fs, uint64_t *docs)
{
    char key[NEWSD_MAX_METADATA_KEY_LEN + 1];
    char *value = NULL;
    record_key(fs->real, key);
    if (newsidx_writer_get_metadata(w, key, &value) != NEWSIDX_OK)
        return -1;
    record_t rec;
    int match = value && parse_record(value, &rec) == 0 && rec.size == fs->size &&
                rec.mtime_ns == fs->mtime_ns && strcmp(rec.path, fs->real) == 0;
    if (match)
        *docs += rec.docs;
    free(value);
    return match;
}

/* Marks each file changed or not by its records (in every shard), and counts what is
 * skipped. */
static int scan_records(const options_t *opt, sink_t *sink, const ingest_filelist_t *files,
                        file_state_t *states, counts_t *c)
{
    for (size_t i = 0; i < files->n && !stop_requested; i++) {
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
            atomic_fetch_add(&shared.total_bytes, estimated_size(&files->files[i]));
    }
    return 0;
}

/* The folder of writer k of an update: DIR itself, or DIR/shard-K. */
static int update_target(const options_t *opt, unsigned nshards, unsigned k, char *buf)
{
    if (nshards == 1)
        return snprintf(buf, PATH_MAX, "%s", opt->index) < PATH_MAX ? 0 : -1;
    return shardlayout_shard_path(opt->index, k, buf, PATH_MAX);
}

/*
 * An update in place of opt->index, one index or nshards shards: one writer per shard
 * (each taken when its lock is free), every record routed to the shard that owns its id.
 */
static int update_index(const options_t *opt, const ingest_filelist_t *files,
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
        if (update_target(opt, nshards, k, dir) != 0) {
            fail_msg("%s: path too long", opt->index);
            sink_abandon(&sink);
            return -1;
        }
        sink.w[k] = open_writer_waiting(opt, dir);
        if (!sink.w[k]) {
            sink_abandon(&sink);
            return -1;
        }
        if (set_paths(opt, sink.w[k], 1) != NEWSIDX_OK) {
            sink.failed = k;
            goto failed;
        }
    }
    if (scan_records(opt, &sink, files, states, total) != 0)
        goto failed;

    set_phase(PHASE_INDEX);
    uint64_t since_commit = 0;
    for (size_t i = 0; i < files->n && !stop_requested; i++) {
        if (!states[i].changed)
            continue;
        uint64_t before = total->added + total->replaced + total->deleted;
        if (index_tracked(opt, &files->files[i], &states[i], &sink, total) < 0)
            goto failed;
        /* Commits fall between files, so a file's record and documents land together. */
        since_commit += total->added + total->replaced + total->deleted - before;
        if (since_commit >= opt->commit_every) {
            if (sink_commit(&sink) != 0)
                goto failed;
            since_commit = 0;
        }
    }
    if (!stop_requested) {
        for (unsigned k = 0; k < nshards; k++) {
            prune_ctx_t p = { .opt = opt, .w = sink.w[k], .c = total, .count_files = k == 0 };
            if (newsidx_writer_list_metadata(sink.w[k], FILE_KEY_PREFIX, prune_one, &p) !=
                    NEWSIDX_OK || p.failed) {
                sink.failed = k;
                goto failed;
            }
        }
        if (total->files_missing)
            note("%" PRIu64 " file%s recorded under the paths given no longer exist%s; the "
                 "documents stay until a run with --prune", total->files_missing,
                 total->files_missing == 1 ? "" : "s", total->files_missing == 1 ? "s" : "");
    }
    /* Work done before an interrupt is committed: every document written is whole, and
     * a file cut short has no new record, so the next run reads it again. */
    for (unsigned k = 0; k < nshards; k++) {
        newsidx_status_t st = newsidx_writer_close(sink.w[k]);
        sink.w[k] = NULL;
        if (st != NEWSIDX_OK) {
            update_target(opt, nshards, k, dir);
            fail_msg("committing to %s failed (%s)", dir, newsidx_status_name(st));
            sink_abandon(&sink);
            return -1;
        }
    }
    if (stop_requested) {
        fail_msg("interrupted; what was indexed so far is committed");
        return -1;
    }
    return 0;
failed:
    update_target(opt, nshards, sink.failed, dir);
    fail_msg("writing to %s failed: %s", dir, sink_error(&sink));
    sink_abandon(&sink);
    return -1;
}

/* ---- compaction on demand ---- */

/* Compacts the index folder dir in place (adding its sizes to *before and *after). */
static int compact_one(const options_t *opt, const char *dir, uint64_t *before, uint64_t *after)
{
    char newdir[PATH_MAX], olddir[PATH_MAX];
    if (work_names(dir, NULL, 0, newdir, olddir) != 0)
        return -1;
    if (access(dir, F_OK) != 0) {
        fail_msg("%s: no index to compact", dir);
        return -1;
    }
    /* Holding the write lock keeps commits from landing in DIR while the copy is made:
     * they would be lost with the swap. */
    newsidx_writer_t *w = open_writer_waiting(opt, dir);
    if (!w)
        return -1;
    set_phase(PHASE_COMPACT);
    uint64_t size = dir_bytes(dir);
    char msg[512] = "";
    newsidx_status_t st = newsidx_compact(dir, newdir, msg, sizeof msg);
    int rc = -1;
    if (st != NEWSIDX_OK) {
        fail_msg("compacting %s failed (%s): %s", dir, newsidx_status_name(st), msg);
        fsutil_remove_tree(newdir);
    } else if (stop_requested) {
        fail_msg("interrupted; %s is unchanged", dir);
        fsutil_remove_tree(newdir);
    } else {
        *before += size;
        *after += dir_bytes(newdir);
        rc = swap_in(dir, newdir, olddir);
    }
    newsidx_writer_abandon(w);
    return rc;
}

/* Compacts the index, or each of its nshards shards in turn (each swap is atomic on
 * its own; shards compacted before a failure stay compacted, which changes no result). */
static int compact_index(const options_t *opt, unsigned nshards, uint64_t *before,
                         uint64_t *after)
{
    char dir[PATH_MAX];
    for (unsigned k = 0; k < nshards; k++) {
        if (update_target(opt, nshards, k, dir) != 0) {
            fail_msg("%s: path too long", opt->index);
            return -1;
        }
        if (compact_one(opt, dir, before, after) != 0)
            return -1;
    }
    return 0;
}

/* ---- command line ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: newsindex --index DIR [options] PATH...\n"
            "       newsindex --index DIR --compact\n"
            "\n"
            "Builds or updates the news index DIR from files and folders of news:\n"
            "Reuters-21578 SGML, plain-text articles, JSON Lines and TREC, each plain or .gz.\n"
            "An update reads only the files that changed since the last run.\n"
            "\n"
            "  -i, --index DIR      the index to build or update (required)\n"
            "  -r, --rebuild        build a fresh index and swap it in when done\n"
            "      --prune          delete the documents of files under PATH that are gone\n"
            "      --force          read every file again, changed or not\n"
            "      --compact        compact DIR in place (no PATH)\n"
            "      --lock-timeout S wait up to S seconds for another writer (default %d)\n"
            "      --commit-every N documents between commits of an update (default %d)\n"
            "  -j, --jobs N         parallel builders for a fresh build (default: cores, max %d)\n"
            "      --shards N       split a fresh build into N shards by id (1 to %d): DIR/shard-K\n"
            "                       and DIR/shards.stub; updates of DIR route by id by themselves\n"
            "      --include GLOB   only files whose name matches GLOB (repeatable)\n"
            "      --exclude GLOB   skip files whose name matches GLOB (repeatable)\n"
            "      --format F       auto, text, reuters, jsonl or trec (default: auto)\n"
            "      --source NAME    the source (outlet) of records that name none\n"
            "      --progress       show the progress bar even when stderr is not a terminal\n"
            "      --no-progress    never show it\n"
            "      --progress-json  JSON progress lines on stdout (the summary goes to stderr)\n"
            "  -v, --verbose        print the time each phase took\n"
            "  -h, --help           this text\n"
            "  -V, --version        the version\n"
            "\n"
            "Exit status: 0 done, 1 the index could not be written or nothing could be read,\n"
            "2 usage error, 3 the index stayed locked by another writer.\n",
            NEWSD_LOCK_TIMEOUT_S, NEWSD_UPDATE_COMMIT_EVERY, NEWSD_MAX_BUILDERS, NEWSD_MAX_SHARDS);
}

/* Parses a whole number from min to max; -1 when it is not one. */
static int parse_number(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || end == s || *end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

/* A numeric option's value min..max into *out; else says so (what: "seconds", "a number")
 * and returns -1. */
static int number_option(const char *name, const char *what, const char *s, long min,
                         long max, long *out)
{
    if (parse_number(s, min, max, out) == 0)
        return 0;
    fprintf(stderr, "newsindex: %s takes %s from %ld to %ld, not '%s'\n", name, what, min, max, s);
    return -1;
}

/* The absolute form of a command-line path: its realpath, or for one that does not exist
 * (a folder deleted since the last run, for --prune) the working folder joined to it. */
static char *absolute_path(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    if (errno == ENOMEM)
        return NULL;
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (path[0] == '/')
        return strndup(path, n);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t len = strlen(cwd) + 1 + n + 1;
    char *abs = malloc(len);
    if (abs)
        snprintf(abs, len, "%s/%.*s", cwd, (int)n, path);
    return abs;
}

static int parse_args(int argc, char **argv, options_t *opt)
{
    enum { OPT_INCLUDE = 256, OPT_EXCLUDE, OPT_FORMAT, OPT_SOURCE, OPT_PROGRESS, OPT_NO_PROGRESS,
           OPT_PROGRESS_JSON, OPT_PRUNE, OPT_FORCE, OPT_COMPACT, OPT_LOCK_TIMEOUT,
           OPT_COMMIT_EVERY, OPT_SHARDS };
    static const struct option longopts[] = {
        { "index", required_argument, NULL, 'i' },
        { "rebuild", no_argument, NULL, 'r' },
        { "prune", no_argument, NULL, OPT_PRUNE },
        { "force", no_argument, NULL, OPT_FORCE },
        { "compact", no_argument, NULL, OPT_COMPACT },
        { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
        { "commit-every", required_argument, NULL, OPT_COMMIT_EVERY },
        { "jobs", required_argument, NULL, 'j' },
        { "shards", required_argument, NULL, OPT_SHARDS },
        { "include", required_argument, NULL, OPT_INCLUDE },
        { "exclude", required_argument, NULL, OPT_EXCLUDE },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "source", required_argument, NULL, OPT_SOURCE },
        { "progress", no_argument, NULL, OPT_PROGRESS },
        { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
        { "progress-json", no_argument, NULL, OPT_PROGRESS_JSON },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    opt->jobs = cores > 0 ? (unsigned)cores : 1;
    if (opt->jobs > NEWSD_MAX_BUILDERS)
        opt->jobs = NEWSD_MAX_BUILDERS;
    opt->lock_timeout = NEWSD_LOCK_TIMEOUT_S;
    opt->commit_every = NEWSD_UPDATE_COMMIT_EVERY;
    opt->progress = isatty(STDERR_FILENO);
    opt->include = calloc((size_t)argc + 1, sizeof *opt->include);
    opt->exclude = calloc((size_t)argc + 1, sizeof *opt->exclude);
    if (!opt->include || !opt->exclude) {
        fprintf(stderr, "newsindex: out of memory\n");
        return -1;
    }
    int c;
    long n;
    const char *index = NULL;   /* opt->index is set to a copy at the end */
    while ((c = getopt_long(argc, argv, "i:rj:vhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            index = optarg;
            break;
        case 'r':
            opt->rebuild = 1;
            break;
        case OPT_PRUNE:
            opt->prune = 1;
            break;
        case OPT_FORCE:
            opt->force = 1;
            break;
        case OPT_COMPACT:
            opt->compact = 1;
            break;
        case OPT_LOCK_TIMEOUT:
            if (number_option("--lock-timeout", "seconds", optarg, 0, NEWSD_MAX_LOCK_TIMEOUT_S,
                              &n) != 0)
                return -1;
            opt->lock_timeout = (unsigned)n;
            break;
        case OPT_COMMIT_EVERY:
            if (number_option("--commit-every", "a number", optarg, 1, NEWSD_MAX_COMMIT_EVERY,
                              &n) != 0)
                return -1;
            opt->commit_every = (uint64_t)n;
            break;
        case 'j':
            if (number_option("--jobs", "a number", optarg, 1, NEWSD_MAX_BUILDERS, &n) != 0)
                return -1;
            opt->jobs = (unsigned)n;
            break;
        case OPT_SHARDS:
            if (number_option("--shards", "a number", optarg, 1, NEWSD_MAX_SHARDS, &n) != 0)
                return -1;
            opt->shards = (unsigned)n;
            break;
        case OPT_INCLUDE:
            opt->include[opt->ninclude++] = optarg;
            break;
        case OPT_EXCLUDE:
            opt->exclude[opt->nexclude++] = optarg;
            break;
        case OPT_FORMAT:
            if (ingest_format_parse(optarg, &opt->format) != 0) {
                fprintf(stderr, "newsindex: unknown --format '%s' (auto, text, reuters, jsonl, "
                                "trec)\n", optarg);
                return -1;
            }
            break;
        case OPT_SOURCE:
            if (!*optarg || strlen(optarg) > NEWSD_MAX_TAG_LEN) {
                fprintf(stderr, "newsindex: --source takes a name of 1 to %d bytes\n",
                        NEWSD_MAX_TAG_LEN);
                return -1;
            }
            opt->source = optarg;
            break;
        case OPT_PROGRESS:
            opt->progress = 1;
            break;
        case OPT_NO_PROGRESS:
            opt->progress = 0;
            break;
        case OPT_PROGRESS_JSON:
            opt->progress_json = 1;
            break;
        case 'v':
            opt->verbose = 1;
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        case 'V':
            printf("newsindex %s (Xapian %s)\n", NEWSD_VERSION_STRING, newsidx_xapian_version());
            exit(EXIT_OK);
        default:
            fprintf(stderr, "Try 'newsindex --help'.\n");
            return -1;
        }
    }
    if (!index || !*index) {
        fprintf(stderr, "newsindex: --index DIR is required\nTry 'newsindex --help'.\n");
        return -1;
    }
    if (opt->compact) {
        if (optind < argc || opt->rebuild || opt->prune || opt->force || opt->shards) {
            fprintf(stderr, "newsindex: --compact takes no PATH and no --rebuild, --prune, "
                            "--force or --shards\nTry 'newsindex --help'.\n");
            return -1;
        }
    } else if (optind >= argc) {
        fprintf(stderr, "newsindex: name at least one file or folder to index\n"
                        "Try 'newsindex --help'.\n");
        return -1;
    }
    if (opt->rebuild && opt->prune) {
        fprintf(stderr, "newsindex: --prune is for updates; a --rebuild keeps only what it "
                        "reads anyway\n");
        return -1;
    }
    /* A trailing slash would put the work folders inside the index folder. */
    size_t len = strlen(index);
    while (len > 1 && index[len - 1] == '/')
        len--;
    opt->index = strndup(index, len);
    opt->paths = (const char *const *)argv + optind;
    opt->npaths = (size_t)(argc - optind);
    opt->roots = calloc(opt->npaths + 1, sizeof *opt->roots);
    if (!opt->index || !opt->roots) {
        fprintf(stderr, "newsindex: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < opt->npaths; i++) {
        opt->roots[i] = absolute_path(opt->paths[i]);
        if (!opt->roots[i]) {
            fprintf(stderr, "newsindex: %s: cannot make an absolute path: %s\n", opt->paths[i],
                    strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void free_options(options_t *opt)
{
    free(opt->include);
    free(opt->exclude);
    free((char *)opt->index);
    for (size_t i = 0; opt->roots && i < opt->npaths; i++)
        free(opt->roots[i]);
    free(opt->roots);
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

/* The final --progress-json line. */
static void emit_json_done(int ok, const counts_t *c, uint64_t docs, uint64_t index_bytes)
{
    const char *msg = ok ? "" : shared.last_error[0] ? shared.last_error : "failed";
    json_t *m = json_string(msg);
    if (!m) {   /* not UTF-8 (a file name): keep the ASCII of it */
        char clean[sizeof shared.last_error];
        size_t i = 0;
        for (; msg[i] && i < sizeof clean - 1; i++)
            clean[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
        clean[i] = '\0';
        m = json_string(clean);
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:o}",
                          "phase", "done", "status", ok ? "ok" : "error",
                          "docs", (json_int_t)docs, "added", (json_int_t)c->added,
                          "replaced", (json_int_t)c->replaced, "deleted", (json_int_t)c->deleted,
                          "unchanged", (json_int_t)c->unchanged,
                          "skipped_files", (json_int_t)c->files_skipped,
                          "indexed_files", (json_int_t)c->files_indexed,
                          "pruned_files", (json_int_t)c->files_pruned,
                          "elapsed_s", elapsed_seconds(), "index_bytes", (json_int_t)index_bytes,
                          "message", m);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text)
        printf("%s\n", text);
    else
        printf("{\"phase\":\"done\",\"status\":\"error\",\"message\":\"out of memory\"}\n");
    fflush(stdout);
    free(text);
    json_decref(o);
}

/* Documents in the index folder: the sum over its shards when it is sharded. */
static uint64_t index_docs(const char *index)
{
    unsigned n = 1;
    char msg[512], dir[PATH_MAX];
    int sharded = shardlayout_read(index, &n, msg, sizeof msg) == 1;
    uint64_t total = 0;
    for (unsigned k = 0; k < n; k++) {
        if (sharded ? shardlayout_shard_path(index, k, dir, sizeof dir) != 0
                    : snprintf(dir, sizeof dir, "%s", index) >= (int)sizeof dir)
            return 0;
        uint64_t docs = 0;
        newsidx_reader_t *r = NULL;
        if (newsidx_reader_open(dir, &r) == NEWSIDX_OK)
            newsidx_reader_doc_count(r, &docs);
        newsidx_reader_close(r);
        total += docs;
    }
    return total;
}

/*
 * The shard count this run writes, from --shards and DIR's layout: a fresh build makes
 * --shards N (default: as many as DIR has now); an update or compaction works on the
 * shards DIR has, and --shards, if given, must agree, for an update cannot move
 * documents between shards.  Returns 0 after printing why when they disagree (*usage
 * set to 1 for a command-line conflict).
 */
static unsigned shards_for_run(const options_t *opt, int *usage)
{
    unsigned have = 1;
    char msg[512];
    int layout = shardlayout_read(opt->index, &have, msg, sizeof msg);
    int fresh = opt->rebuild || access(opt->index, F_OK) != 0;
    *usage = 0;
    if (layout < 0) {
        if (fresh && opt->shards)
            return opt->shards;   /* the broken folder is replaced whole */
        fail_msg("%s; rebuild the index with --rebuild --shards N", msg);
        return 0;
    }
    if (layout == 0)
        have = 1;
    /* A killed run may have left a shard's work folders, or a shard parked aside. */
    for (unsigned k = 0; layout == 1 && k < have; k++) {
        char dir[PATH_MAX];
        if (shardlayout_shard_path(opt->index, k, dir, sizeof dir) == 0)
            fsutil_remove_stale(dir);
    }
    if (fresh) {
        if (!opt->shards && have > 1 && !opt->compact)
            note("%s has %u shards: the rebuild makes as many (--shards 1 makes one index)",
                 opt->index, have);
        return opt->shards ? opt->shards : have;
    }
    if (opt->shards && opt->shards != have) {
        *usage = 1;
        if (layout == 1)
            fail_msg("%s has %u shards, not %u; an update cannot move documents between "
                     "shards: rebuild with --rebuild --shards %u", opt->index, have,
                     opt->shards, opt->shards);
        else
            fail_msg("%s is one index, not %u shards; an update cannot split it: rebuild "
                     "with --rebuild --shards %u", opt->index, opt->shards, opt->shards);
        return 0;
    }
    return have;
}

int main(int argc, char **argv)
{
    options_t opt = { 0 };
    if (parse_args(argc, argv, &opt) != 0) {
        free_options(&opt);
        return EXIT_USAGE;
    }

    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    clock_gettime(CLOCK_MONOTONIC, &shared.start);
    /* With --progress-json stdout carries only JSON: the summary goes to stderr. */
    FILE *summary = opt.progress_json ? stderr : stdout;
    reporter_start(&opt);
    fsutil_remove_stale(opt.index);
    int usage_error = 0;
    unsigned nshards = shards_for_run(&opt, &usage_error);
    if (nshards == 0) {
        set_phase(PHASE_DONE);
        reporter_stop();
        if (opt.progress_json)
            emit_json_done(0, &(counts_t){ 0 }, 0, 0);
        free_options(&opt);
        return usage_error ? EXIT_USAGE : EXIT_FAILED;
    }

    counts_t c = { 0 };
    int rc;
    ingest_filelist_t files = { 0 };
    file_state_t *states = NULL;
    if (opt.compact) {
        uint64_t before = 0, after = 0;
        rc = compact_index(&opt, nshards, &before, &after);
        set_phase(PHASE_DONE);
        reporter_stop();
        double secs = elapsed_seconds();
        if (rc == 0)
            fprintf(summary, "newsindex: compacted %s bytes_before=%" PRIu64 " bytes_after=%" PRIu64
                    " seconds=%.2f\n", opt.index, before, after, secs);
        fflush(summary);
        if (opt.progress_json)
            emit_json_done(rc == 0, &c, rc == 0 ? index_docs(opt.index) : 0,
                           rc == 0 ? after : dir_bytes(opt.index));
        free_options(&opt);
        return rc == 0 ? EXIT_OK : locked_out ? EXIT_LOCKED : EXIT_FAILED;
    }

    unsigned walk_errors = 0;
    if (ingest_walk(opt.paths, opt.npaths, opt.ninclude ? opt.include : NULL,
                    opt.nexclude ? opt.exclude : NULL, &files, warn_cb, NULL,
                    &walk_errors) != 0 || !(states = stat_files(&files))) {
        fail_msg("out of memory while listing files");
        rc = -1;
    } else {
        c.errors = walk_errors;
        int exists = access(opt.index, F_OK) == 0;
        if (files.n == 0 && !(exists && opt.prune && !opt.rebuild)) {
            fail_msg("no files to index in the paths given");
            rc = -1;
        } else if (!exists || opt.rebuild) {
            rc = fresh_build(&opt, &files, states, &c, nshards);
        } else {
            rc = update_index(&opt, &files, states, &c, nshards);
        }
    }
    set_phase(PHASE_DONE);
    reporter_stop();

    double secs = elapsed_seconds();
    if (shared.warn_count > NEWSD_MAX_WARNINGS)
        fprintf(stderr, "newsindex: %u more warnings not shown\n",
                shared.warn_count - NEWSD_MAX_WARNINGS);
    uint64_t docs = 0;
    if (rc == 0 || access(opt.index, F_OK) == 0)
        docs = index_docs(opt.index);
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
        fail_msg("nothing could be read from the paths given");
    }
    int ok = rc == 0 && !nothing_read && !stop_requested;
    if (opt.progress_json)
        emit_json_done(ok, &c, docs, dir_bytes(opt.index));
    for (size_t i = 0; states && i < files.n; i++)
        free(states[i].real);
    free(states);
    ingest_filelist_free(&files);
    free_options(&opt);
    if (ok)
        return EXIT_OK;
    return locked_out ? EXIT_LOCKED : EXIT_FAILED;
}
