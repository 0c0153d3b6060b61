/*
 * newsindex: the offline indexer, for batch jobs and cron.
 *
 *   newsindex --index DIR [options] PATH...
 *
 * It owns the two ways an index is written in bulk:
 *
 *  - A fresh build (DIR does not exist, or --rebuild): the input files are split into
 *    --jobs contiguous ranges of about equal uncompressed size, one builder thread per
 *    range writes its own shard in Xapian's fast bulk mode, and the shards are merged by
 *    compaction into a new index that then takes DIR's place with a rename.  The live
 *    index is untouched until that rename, so an interrupted or failed rebuild loses
 *    nothing; leftovers of a killed run are removed by the next one.
 *  - An update (DIR exists): one writer adds or replaces each document by id and
 *    commits every NEWSD_UPDATE_COMMIT_EVERY documents and at the end.
 *
 * Everything it knows about Xapian goes through include/newsidx.h, and everything about
 * file formats through daemon/ingest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
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
#include "newsd_limits.h"
#include "newsidx.h"
#include "fsutil.h"
#include "partition.h"

#define NEWSD_VERSION_STRING "0.1.0"

/* Exit statuses (README.md, "newsindex"). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

typedef struct options {
    const char *index;
    int rebuild;
    unsigned jobs;
    int progress;                 /* 1: progress bar on stderr */
    int verbose;                  /* 1: phase timings on stderr */
    const char *source;
    ingest_format_t format;
    const char **include;         /* NULL-terminated */
    const char **exclude;
    size_t ninclude, nexclude;
    const char *const *paths;
    size_t npaths;
} options_t;

typedef struct counts {
    uint64_t added, replaced, skipped, errors, bytes;
} counts_t;

/* Shared by the builders and the progress display. */
static struct {
    pthread_mutex_t lock;          /* guards warnings, progress line and warn_count */
    unsigned warn_count;
    int progress_shown;            /* a progress line is on the terminal */
    atomic_uint_fast64_t docs;     /* records read so far, all builders */
    atomic_uint_fast64_t bytes;    /* uncompressed bytes read so far */
    atomic_uint finished;          /* builders that have returned */
    uint64_t total_bytes;          /* estimated uncompressed bytes of the whole input */
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
static void warn(const char *fmt, ...)
{
    pthread_mutex_lock(&shared.lock);
    if (shared.warn_count++ < NEWSD_MAX_WARNINGS) {
        clear_progress_locked();
        va_list ap;
        va_start(ap, fmt);
        fputs("newsindex: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    pthread_mutex_unlock(&shared.lock);
}

static void warn_cb(void *ctx, const char *msg)
{
    (void)ctx;
    warn("%s", msg);
}

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

static void show_progress(const char *phase)
{
    uint64_t docs = atomic_load(&shared.docs), bytes = atomic_load(&shared.bytes);
    double secs = elapsed_seconds();
    double frac = shared.total_bytes ? (double)bytes / (double)shared.total_bytes : 0;
    if (frac > 1)
        frac = 1;
    double rate = secs > 0 ? (double)docs / secs : 0;
    double eta = (frac > 0.01 && frac < 1) ? secs * (1 - frac) / frac : (frac >= 1 ? 0 : -1);
    char etabuf[32];
    format_eta(etabuf, sizeof etabuf, eta);
    char bar[NEWSD_PROGRESS_BAR_WIDTH + 1];
    int filled = (int)(frac * NEWSD_PROGRESS_BAR_WIDTH);
    for (int i = 0; i < NEWSD_PROGRESS_BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[NEWSD_PROGRESS_BAR_WIDTH] = '\0';

    pthread_mutex_lock(&shared.lock);
    fprintf(stderr, "\r\033[K%s [%s] %3.0f%%  %" PRIu64 " docs  %.1f/%.1f MB  %.0f docs/s  ETA %s",
            phase, bar, frac * 100, docs, (double)bytes / 1e6, (double)shared.total_bytes / 1e6,
            rate, etabuf);
    shared.progress_shown = 1;
    pthread_mutex_unlock(&shared.lock);
}

static void end_progress(void)
{
    pthread_mutex_lock(&shared.lock);
    clear_progress_locked();
    pthread_mutex_unlock(&shared.lock);
}

/* ---- reading one file into a writer ---- */

/*
 * Feeds every record of file f to writer w.  Returns 0, or -1 when the writer failed
 * (the index cannot be written: the whole run fails; the message is in w).
 */
static int index_file(const options_t *opt, const ingest_file_t *f, newsidx_writer_t *w,
                      counts_t *c)
{
    char err[512];
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
        if (res == INGEST_EOF)
            break;
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
        newsidx_status_t st = newsidx_writer_put(w, &doc, &replaced);
        if (st == NEWSIDX_BAD_ARGUMENT) {
            warn("%s: %s: %s", f->path, doc.id, newsidx_writer_error(w));
            c->skipped++;
            continue;
        }
        if (st != NEWSIDX_OK) {
            rc = -1;
            break;
        }
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

/* ---- fresh builds: parallel shards, then merge ---- */

typedef struct builder {
    const options_t *opt;
    const ingest_filelist_t *files;
    size_t first, last;            /* files [first, last) */
    char shard[PATH_MAX];
    counts_t counts;
    newsidx_status_t status;
    double seconds;                /* from start to its shard committed */
    char msg[512];
} builder_t;

static void builder_run(builder_t *b)
{
    newsidx_writer_t *w = NULL;
    b->status = newsidx_writer_open(b->shard, NEWSIDX_OVERWRITE | NEWSIDX_BULK, &w);
    if (b->status != NEWSIDX_OK) {
        snprintf(b->msg, sizeof b->msg, "%s", w ? newsidx_writer_error(w) : "out of memory");
        newsidx_writer_abandon(w);
        return;
    }
    for (size_t i = b->first; i < b->last && !stop_requested; i++) {
        if (index_file(b->opt, &b->files->files[i], w, &b->counts) < 0) {
            b->status = NEWSIDX_IO;
            snprintf(b->msg, sizeof b->msg, "%s", newsidx_writer_error(w));
            newsidx_writer_abandon(w);
            return;
        }
    }
    if (stop_requested) {
        newsidx_writer_abandon(w);
        return;
    }
    b->status = newsidx_writer_close(w);
    if (b->status != NEWSIDX_OK)
        snprintf(b->msg, sizeof b->msg, "commit failed");
    return;
}

static void *builder_main(void *arg)
{
    builder_t *b = arg;
    double t0 = elapsed_seconds();
    builder_run(b);
    b->seconds = elapsed_seconds() - t0;
    atomic_fetch_add(&shared.finished, 1);
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

static int fresh_build(const options_t *opt, const ingest_filelist_t *files, counts_t *total)
{
    /* Room for "/shard-N" below the work folder. */
    char work[PATH_MAX - 32], newdir[PATH_MAX], olddir[PATH_MAX];
    long pid = (long)getpid();
    if (snprintf(work, sizeof work, "%s.build-%ld", opt->index, pid) >= (int)sizeof work ||
        snprintf(newdir, sizeof newdir, "%s.new-%ld", opt->index, pid) >= (int)sizeof newdir ||
        snprintf(olddir, sizeof olddir, "%s.old-%ld", opt->index, pid) >= (int)sizeof olddir) {
        fprintf(stderr, "newsindex: %s: path too long\n", opt->index);
        return -1;
    }
    if (mkdir(work, 0755) != 0) {
        fprintf(stderr, "newsindex: cannot create %s: %s\n", work, strerror(errno));
        return -1;
    }

    unsigned nb = opt->jobs;
    if (nb > files->n)
        nb = files->n ? (unsigned)files->n : 1;
    uint64_t *sizes = calloc(files->n ? files->n : 1, sizeof *sizes);
    builder_t *b = calloc(nb, sizeof *b);
    pthread_t *th = calloc(nb, sizeof *th);
    int rc = -1;
    if (!sizes || !b || !th) {
        fprintf(stderr, "newsindex: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < files->n; i++) {
        uint64_t est = estimated_size(&files->files[i]);
        shared.total_bytes += est;
        sizes[i] = (uint64_t)((double)est * text_share(files->files[i].path));
    }
    size_t bounds[NEWSD_MAX_BUILDERS + 1];
    partition_ranges(sizes, files->n, nb, bounds);
    for (unsigned k = 0; k < nb; k++) {
        b[k].first = bounds[k];
        b[k].last = bounds[k + 1];
    }

    unsigned started = 0;
    for (unsigned k = 0; k < nb; k++) {
        b[k].opt = opt;
        b[k].files = files;
        snprintf(b[k].shard, sizeof b[k].shard, "%s/shard-%02u", work, k % 100);
        if (pthread_create(&th[k], NULL, builder_main, &b[k]) != 0) {
            fprintf(stderr, "newsindex: cannot start a builder thread\n");
            stop_requested = 1;
            break;
        }
        started++;
    }
    if (opt->progress) {
        /* The main thread only draws; the builders do the work. */
        while (atomic_load(&shared.finished) < started) {
            struct timespec ts = { 0, NEWSD_PROGRESS_INTERVAL_MS * 1000000L };
            nanosleep(&ts, NULL);
            show_progress("indexing");
        }
        show_progress("indexing");   /* the final state, also when the run beat the first tick */
    }
    for (unsigned k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    if (opt->progress)
        end_progress();
    if (stop_requested) {
        fprintf(stderr, "newsindex: interrupted; %s is unchanged\n", opt->index);
        goto out;
    }
    if (started < nb)
        goto out;

    const char *shards[NEWSD_MAX_BUILDERS];
    for (unsigned k = 0; k < nb; k++) {
        if (b[k].status != NEWSIDX_OK) {
            fprintf(stderr, "newsindex: writing %s failed (%s): %s\n", b[k].shard,
                    newsidx_status_name(b[k].status), b[k].msg);
            goto out;
        }
        shards[k] = b[k].shard;
        total->added += b[k].counts.added;
        total->skipped += b[k].counts.skipped;
        total->errors += b[k].counts.errors;
        total->bytes += b[k].counts.bytes;
    }

    if (opt->progress) {
        pthread_mutex_lock(&shared.lock);
        fprintf(stderr, "\r\033[Kmerging %u shard%s...", nb, nb == 1 ? "" : "s");
        shared.progress_shown = 1;
        pthread_mutex_unlock(&shared.lock);
    }
    if (opt->verbose)
        for (unsigned k = 0; k < nb; k++)
            fprintf(stderr, "newsindex: builder %u: files %zu-%zu, %" PRIu64 " MB, %.2f s\n", k,
                    b[k].first, b[k].last, b[k].counts.bytes / 1000000, b[k].seconds);
    char msg[512] = "";
    uint64_t dups = 0;
    double merge_start = elapsed_seconds();
    newsidx_status_t st = newsidx_merge(shards, nb, newdir, &dups, msg, sizeof msg);
    if (opt->progress)
        end_progress();
    if (st != NEWSIDX_OK) {
        fprintf(stderr, "newsindex: merging into %s failed (%s): %s\n", newdir,
                newsidx_status_name(st), msg);
        fsutil_remove_tree(newdir);
        goto out;
    }
    if (opt->verbose)
        fprintf(stderr, "newsindex: merged %u shards in %.2f s (%" PRIu64 " duplicate ids)\n", nb,
                elapsed_seconds() - merge_start, dups);
    /* A later record with the same id replaced an earlier one. */
    total->added -= dups;
    total->replaced += dups;

    if (stop_requested) {
        fprintf(stderr, "newsindex: interrupted; %s is unchanged\n", opt->index);
        fsutil_remove_tree(newdir);
        goto out;
    }
    /* The swap: from here on DIR is either the old index or the new one. */
    int had_old = access(opt->index, F_OK) == 0;
    if (had_old && rename(opt->index, olddir) != 0) {
        fprintf(stderr, "newsindex: cannot move %s aside: %s\n", opt->index, strerror(errno));
        fsutil_remove_tree(newdir);
        goto out;
    }
    if (rename(newdir, opt->index) != 0) {
        fprintf(stderr, "newsindex: cannot move the new index into place: %s\n",
                strerror(errno));
        if (had_old && rename(olddir, opt->index) != 0)
            fprintf(stderr, "newsindex: the previous index is at %s\n", olddir);
        fsutil_remove_tree(newdir);
        goto out;
    }
    if (had_old)
        fsutil_remove_tree(olddir);
    rc = 0;
out:
    fsutil_remove_tree(work);
    free(sizes);
    free(b);
    free(th);
    return rc;
}

/* ---- updates: one writer, replace by id ---- */

static int update_index(const options_t *opt, const ingest_filelist_t *files, counts_t *total)
{
    /* Small flush batches are faster for updates too (the bulk mode sets it itself);
     * a value in the environment wins. */
    char threshold[16];
    snprintf(threshold, sizeof threshold, "%d", NEWSD_BULK_FLUSH_THRESHOLD);
    setenv("XAPIAN_FLUSH_THRESHOLD", threshold, 0);
    newsidx_writer_t *w = NULL;
    newsidx_status_t st = newsidx_writer_open(opt->index, 0, &w);
    if (st != NEWSIDX_OK) {
        if (st == NEWSIDX_LOCKED)
            fprintf(stderr, "newsindex: %s is locked by another writer (a running newsd or "
                            "newsindex); try again when it is done\n", opt->index);
        else
            fprintf(stderr, "newsindex: cannot open %s for writing (%s): %s\n", opt->index,
                    newsidx_status_name(st), w ? newsidx_writer_error(w) : "out of memory");
        newsidx_writer_abandon(w);
        return -1;
    }
    for (size_t i = 0; i < files->n; i++)
        shared.total_bytes += estimated_size(&files->files[i]);

    uint64_t since_commit = 0;
    for (size_t i = 0; i < files->n && !stop_requested; i++) {
        uint64_t before = total->added + total->replaced;
        if (index_file(opt, &files->files[i], w, total) < 0)
            goto failed;
        since_commit += total->added + total->replaced - before;
        if (since_commit >= NEWSD_UPDATE_COMMIT_EVERY) {
            if (newsidx_writer_commit(w) != NEWSIDX_OK)
                goto failed;
            since_commit = 0;
        }
        if (opt->progress)
            show_progress("updating");
    }
    if (opt->progress)
        end_progress();
    /* Work done before an interrupt is committed: every document written is whole. */
    st = newsidx_writer_close(w);
    if (st != NEWSIDX_OK) {
        fprintf(stderr, "newsindex: committing to %s failed (%s)\n", opt->index,
                newsidx_status_name(st));
        return -1;
    }
    if (stop_requested)
        fprintf(stderr, "newsindex: interrupted; what was indexed so far is committed\n");
    return 0;
failed:
    if (opt->progress)
        end_progress();
    fprintf(stderr, "newsindex: writing to %s failed: %s\n", opt->index, newsidx_writer_error(w));
    newsidx_writer_abandon(w);
    return -1;
}

/* ---- command line ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: newsindex --index DIR [options] PATH...\n"
            "\n"
            "Builds or updates the news index DIR from files and folders of news:\n"
            "Reuters-21578 SGML, plain-text articles, JSON Lines and TREC, each plain or .gz.\n"
            "\n"
            "  -i, --index DIR      the index to build or update (required)\n"
            "  -r, --rebuild        build a fresh index and swap it in when done\n"
            "  -j, --jobs N         parallel builders for a fresh build (default: cores, max %d)\n"
            "      --include GLOB   only files whose name matches GLOB (repeatable)\n"
            "      --exclude GLOB   skip files whose name matches GLOB (repeatable)\n"
            "      --format F       auto, text, reuters, jsonl or trec (default: auto)\n"
            "      --source NAME    the source (outlet) of records that name none\n"
            "      --progress       show the progress bar even when stderr is not a terminal\n"
            "      --no-progress    never show it\n"
            "  -v, --verbose        print the time each phase took\n"
            "  -h, --help           this text\n"
            "  -V, --version        the version\n"
            "\n"
            "Exit status: 0 done, 1 the index could not be written or nothing could be read,\n"
            "2 usage error.\n",
            NEWSD_MAX_BUILDERS);
}

static int parse_args(int argc, char **argv, options_t *opt)
{
    enum { OPT_INCLUDE = 256, OPT_EXCLUDE, OPT_FORMAT, OPT_SOURCE, OPT_PROGRESS, OPT_NO_PROGRESS };
    static const struct option longopts[] = {
        { "index", required_argument, NULL, 'i' },
        { "rebuild", no_argument, NULL, 'r' },
        { "jobs", required_argument, NULL, 'j' },
        { "include", required_argument, NULL, OPT_INCLUDE },
        { "exclude", required_argument, NULL, OPT_EXCLUDE },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "source", required_argument, NULL, OPT_SOURCE },
        { "progress", no_argument, NULL, OPT_PROGRESS },
        { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    opt->jobs = cores > 0 ? (unsigned)cores : 1;
    if (opt->jobs > NEWSD_MAX_BUILDERS)
        opt->jobs = NEWSD_MAX_BUILDERS;
    opt->progress = isatty(STDERR_FILENO);
    opt->include = calloc((size_t)argc + 1, sizeof *opt->include);
    opt->exclude = calloc((size_t)argc + 1, sizeof *opt->exclude);
    if (!opt->include || !opt->exclude) {
        fprintf(stderr, "newsindex: out of memory\n");
        return -1;
    }
    int c;
    while ((c = getopt_long(argc, argv, "i:rj:vhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            opt->index = optarg;
            break;
        case 'r':
            opt->rebuild = 1;
            break;
        case 'j': {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (errno || *end || n < 1 || n > NEWSD_MAX_BUILDERS) {
                fprintf(stderr, "newsindex: --jobs takes a number from 1 to %d, not '%s'\n",
                        NEWSD_MAX_BUILDERS, optarg);
                return -1;
            }
            opt->jobs = (unsigned)n;
            break;
        }
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
    if (!opt->index || !*opt->index) {
        fprintf(stderr, "newsindex: --index DIR is required\nTry 'newsindex --help'.\n");
        return -1;
    }
    if (optind >= argc) {
        fprintf(stderr, "newsindex: name at least one file or folder to index\n"
                        "Try 'newsindex --help'.\n");
        return -1;
    }
    /* A trailing slash would put the work folders inside the index folder. */
    size_t n = strlen(opt->index);
    while (n > 1 && opt->index[n - 1] == '/')
        n--;
    opt->index = strndup(opt->index, n);
    if (!opt->index) {
        fprintf(stderr, "newsindex: out of memory\n");
        return -1;
    }
    opt->paths = (const char *const *)argv + optind;
    opt->npaths = (size_t)(argc - optind);
    return 0;
}

int main(int argc, char **argv)
{
    options_t opt = { 0 };
    if (parse_args(argc, argv, &opt) != 0) {
        free(opt.include);
        free(opt.exclude);
        return EXIT_USAGE;
    }

    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    clock_gettime(CLOCK_MONOTONIC, &shared.start);

    ingest_filelist_t files = { 0 };
    unsigned walk_errors = 0;
    if (ingest_walk(opt.paths, opt.npaths, opt.ninclude ? opt.include : NULL,
                    opt.nexclude ? opt.exclude : NULL, &files, warn_cb, NULL,
                    &walk_errors) != 0) {
        fprintf(stderr, "newsindex: out of memory while listing files\n");
        return EXIT_FAILED;
    }
    counts_t c = { .errors = walk_errors };
    fsutil_remove_stale(opt.index);
    int exists = access(opt.index, F_OK) == 0;
    int rc;
    if (files.n == 0) {
        fprintf(stderr, "newsindex: no files to index in the paths given\n");
        rc = -1;
    } else if (!exists || opt.rebuild) {
        rc = fresh_build(&opt, &files, &c);
    } else {
        rc = update_index(&opt, &files, &c);
    }

    double secs = elapsed_seconds();
    if (shared.warn_count > NEWSD_MAX_WARNINGS)
        fprintf(stderr, "newsindex: %u more warnings not shown\n",
                shared.warn_count - NEWSD_MAX_WARNINGS);
    uint64_t docs = 0;
    if (rc == 0) {
        newsidx_reader_t *r = NULL;
        if (newsidx_reader_open(opt.index, &r) == NEWSIDX_OK)
            newsidx_reader_doc_count(r, &docs);
        newsidx_reader_close(r);
    }
    double mb = (double)c.bytes / 1e6;
    printf("newsindex: %s added=%" PRIu64 " replaced=%" PRIu64 " skipped=%" PRIu64
           " errors=%" PRIu64 " files=%zu docs=%" PRIu64 " mb=%.2f seconds=%.2f mb_per_s=%.2f"
           " docs_per_s=%.0f\n",
           rc == 0 ? "done" : "failed", c.added, c.replaced, c.skipped, c.errors, files.n, docs,
           mb, secs, secs > 0 ? mb / secs : 0,
           secs > 0 ? (double)(c.added + c.replaced) / secs : 0);
    fflush(stdout);

    int nothing_read = c.added + c.replaced == 0 && (c.errors > 0 || c.skipped > 0);
    if (rc == 0 && nothing_read)
        fprintf(stderr, "newsindex: nothing could be read from the paths given\n");
    ingest_filelist_free(&files);
    free(opt.include);
    free(opt.exclude);
    free((char *)opt.index);
    if (stop_requested)
        return EXIT_FAILED;
    return rc == 0 && !nothing_read ? EXIT_OK : EXIT_FAILED;
}
