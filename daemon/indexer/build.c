/*
 * build.c: a fresh build.  The input files are split into --jobs contiguous ranges of
 * about equal text, one builder thread per range writes its own part (one per shard) in
 * Xapian's bulk mode, and each shard's parts are merged, in parallel, into DIR.new-PID,
 * which then takes DIR's place.  The live index is untouched until that swap.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fsutil.h"
#include "indexer.h"
#include "partition.h"
#include "shardlayout.h"

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
        b->status = newsidx_writer_open(b->parts[k],
                                        NEWSIDX_OVERWRITE | NEWSIDX_BULK | NEWSIDX_PART, &s->w[k]);
        if (b->status != NEWSIDX_OK) {
            snprintf(b->msg, sizeof b->msg, "%s",
                     s->w[k] ? newsidx_writer_error(s->w[k]) : "out of memory");
            sink_abandon(s);
            return;
        }
    }
    for (size_t i = b->first; i < b->last && !indexer_stop_requested; i++) {
        if (sink_read_file(b->opt, &b->files->files[i], &b->states[i], s, &b->counts) < 0) {
            b->status = NEWSIDX_IO;
            snprintf(b->msg, sizeof b->msg, "%s", sink_error(s));
            sink_abandon(s);
            return;
        }
    }
    if (indexer_stop_requested) {
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
    double t0 = progress_elapsed();
    builder_run(b);
    b->seconds = progress_elapsed() - t0;
    return NULL;
}

/*
 * The uncompressed size of a file: for gzip, the trailer's ISIZE (exact below 4 GiB for
 * single-member files, which is what gzip writes), else the size on disk.  Used only
 * to balance builders and estimate progress.
 */
uint64_t build_estimated_size(const ingest_file_t *f)
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
        if (i >= p->n || indexer_stop_requested)
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
    if (indexer_stop_requested)
        return -1;
    for (unsigned k = 0; k < n; k++)
        if (jobs[k].status != NEWSIDX_OK) {
            progress_fail("merging into %s failed (%s): %s", jobs[k].dest,
                          newsidx_status_name(jobs[k].status), jobs[k].msg);
            return -1;
        }
    return 0;
}

/* One fresh build: its builders, their parts, the merges, and the folders. */
typedef struct build {
    const options_t *opt;
    unsigned nb, nshards;          /* builders, shards */
    builder_t *b;
    pthread_t *th;
    char (*parts)[PATH_MAX];       /* builder k's part of shard s: parts[k * nshards + s] */
    merge_job_t *merges;           /* one per shard */
    char work[PATH_MAX - 32];      /* room for "/shard-BB-K" below it */
    char newdir[PATH_MAX], olddir[PATH_MAX];
} build_t;

/* A builder buffers for each of its shards' writers: the flush threshold is split
 * between them, so that a builder holds about NEWSD_BULK_FLUSH_THRESHOLD documents in
 * all, as in a plain build.  Set before any writer exists; a value in the environment
 * wins. */
static void split_flush_threshold(unsigned nshards)
{
    if (nshards < 2 || getenv("XAPIAN_FLUSH_THRESHOLD"))
        return;
    char threshold[16];
    unsigned per = NEWSD_BULK_FLUSH_THRESHOLD / nshards;
    snprintf(threshold, sizeof threshold, "%u", per ? per : 1);
    setenv("XAPIAN_FLUSH_THRESHOLD", threshold, 1);
}

/* --jobs, fewer when builders x shards would pass NEWSD_MAX_SHARD_WRITERS or there are
 * fewer files. */
static unsigned builder_count(const options_t *opt, size_t nfiles, unsigned nshards)
{
    unsigned nb = opt->jobs;
    if (nshards > 1 && nb > NEWSD_MAX_SHARD_WRITERS / nshards)
        nb = NEWSD_MAX_SHARD_WRITERS / nshards ? NEWSD_MAX_SHARD_WRITERS / nshards : 1;
    if (nb > nfiles)
        nb = nfiles ? (unsigned)nfiles : 1;
    return nb;
}

/* Gives each builder its range of files, of about equal text, and its parts' folders. */
static int plan_builders(build_t *bd, const ingest_filelist_t *files,
                         const file_state_t *states)
{
    uint64_t *sizes = calloc(files->n ? files->n : 1, sizeof *sizes);
    if (!sizes) {
        progress_fail("out of memory");
        return -1;
    }
    for (size_t i = 0; i < files->n; i++) {
        uint64_t est = build_estimated_size(&files->files[i]);
        atomic_fetch_add(&progress_counters.total_bytes, est);
        sizes[i] = (uint64_t)((double)est * text_share(files->files[i].path));
    }
    size_t bounds[NEWSD_MAX_BUILDERS + 1];
    partition_ranges(sizes, files->n, bd->nb, bounds);
    free(sizes);
    for (unsigned k = 0; k < bd->nb; k++) {
        builder_t *b = &bd->b[k];
        b->opt = bd->opt;
        b->files = files;
        b->states = states;
        b->first = bounds[k];
        b->last = bounds[k + 1];
        b->parts = bd->parts + (size_t)k * bd->nshards;
        b->sink.n = bd->nshards;
        for (unsigned s = 0; s < bd->nshards; s++) {
            if (bd->nshards == 1)
                snprintf(b->parts[s], PATH_MAX, "%s/shard-%02u", bd->work, k % 100);
            else
                snprintf(b->parts[s], PATH_MAX, "%s/shard-%02u-%u", bd->work, k % 100, s);
        }
    }
    return 0;
}

/* Runs the builders to their end and adds up what they read.  Returns 0, or -1 with
 * the failure reported. */
static int run_builders(build_t *bd, counts_t *total)
{
    progress_set_phase(PHASE_INDEX);
    unsigned started = 0;
    for (unsigned k = 0; k < bd->nb; k++) {
        if (pthread_create(&bd->th[k], NULL, builder_main, &bd->b[k]) != 0) {
            progress_fail("cannot start a builder thread");
            indexer_stop_requested = 1;
            break;
        }
        started++;
    }
    for (unsigned k = 0; k < started; k++)
        pthread_join(bd->th[k], NULL);
    if (indexer_stop_requested) {
        progress_fail("interrupted; %s is unchanged", bd->opt->index);
        return -1;
    }
    if (started < bd->nb)
        return -1;
    for (unsigned k = 0; k < bd->nb; k++) {
        const builder_t *b = &bd->b[k];
        if (b->status != NEWSIDX_OK) {
            progress_fail("writing %s failed (%s): %s",
                          bd->nshards == 1 ? b->parts[0] : bd->work,
                          newsidx_status_name(b->status), b->msg);
            return -1;
        }
        total->added += b->counts.added;
        total->skipped += b->counts.skipped;
        total->errors += b->counts.errors;
        total->bytes += b->counts.bytes;
        total->files_indexed += b->counts.files_indexed;
    }
    return 0;
}

/* Merges each shard's parts into its folder in newdir (newdir itself for one shard).
 * Returns 0, or -1 with the failure reported and newdir removed. */
static int merge_parts(build_t *bd, counts_t *total)
{
    const options_t *opt = bd->opt;
    for (unsigned s = 0; s < bd->nshards; s++) {
        merge_job_t *m = &bd->merges[s];
        m->n = bd->nb;
        for (unsigned k = 0; k < bd->nb; k++)
            m->sources[k] = bd->b[k].parts[s];
        if (bd->nshards == 1)
            snprintf(m->dest, PATH_MAX, "%s", bd->newdir);
        else if (shardlayout_shard_path(bd->newdir, s, m->dest, PATH_MAX) != 0) {
            progress_fail("%s: path too long", bd->newdir);
            return -1;
        }
    }
    progress_counters.nshards = bd->nb;
    progress_set_phase(PHASE_MERGE);
    for (unsigned k = 0; opt->verbose && k < bd->nb; k++) {
        const builder_t *b = &bd->b[k];
        progress_note("builder %u: files %zu-%zu, %" PRIu64 " MB, %.2f s", k, b->first,
                      b->last, b->counts.bytes / 1000000, b->seconds);
    }
    if (bd->nshards > 1 && mkdir(bd->newdir, 0755) != 0) {
        progress_fail("cannot create %s: %s", bd->newdir, strerror(errno));
        return -1;
    }
    double merge_start = progress_elapsed();
    if (run_merges(bd->merges, bd->nshards, opt->jobs) != 0) {
        if (indexer_stop_requested)
            progress_fail("interrupted; %s is unchanged", opt->index);
        fsutil_remove_tree(bd->newdir);
        return -1;
    }
    uint64_t dups = 0;
    const char *dests[NEWSD_MAX_SHARDS];
    for (unsigned s = 0; s < bd->nshards; s++) {
        dups += bd->merges[s].dups;
        dests[s] = bd->merges[s].dest;
    }
    if (opt->verbose)
        progress_note("merged %u builder%s' output into %u shard%s in %.2f s (%" PRIu64
                      " duplicate ids)", bd->nb, bd->nb == 1 ? "" : "s", bd->nshards,
                      bd->nshards == 1 ? "" : "s", progress_elapsed() - merge_start, dups);
    if (shards_cluster(opt, dests, bd->nshards) != 0) {
        fsutil_remove_tree(bd->newdir);
        return -1;
    }
    /* A later record with the same id replaced an earlier one. */
    total->added -= dups;
    total->replaced += dups;
    return 0;
}

/* Records the paths in each shard of newdir (the merge keeps the parts' file records;
 * the paths are set once, here) and writes the stub.  Returns 0, or -1 with newdir
 * removed. */
static int finish_newdir(const build_t *bd)
{
    char msg[512];
    for (unsigned s = 0; s < bd->nshards; s++)
        if (record_commit_paths(bd->opt, bd->merges[s].dest) != 0) {
            fsutil_remove_tree(bd->newdir);
            return -1;
        }
    if (bd->nshards > 1 && shardlayout_write_stub(bd->newdir, bd->nshards, msg, sizeof msg) != 0) {
        progress_fail("%s", msg);
        fsutil_remove_tree(bd->newdir);
        return -1;
    }
    if (indexer_stop_requested) {
        progress_fail("interrupted; %s is unchanged", bd->opt->index);
        fsutil_remove_tree(bd->newdir);
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
int build_fresh(const options_t *opt, const ingest_filelist_t *files,
                const file_state_t *states, counts_t *total, unsigned nshards)
{
    build_t *bd = calloc(1, sizeof *bd);
    if (!bd) {
        progress_fail("out of memory");
        return -1;
    }
    bd->opt = opt;
    bd->nshards = nshards;
    if (workdir_names(opt->index, bd->work, sizeof bd->work, bd->newdir, bd->olddir) != 0) {
        free(bd);
        return -1;
    }
    if (mkdir(bd->work, 0755) != 0) {
        progress_fail("cannot create %s: %s", bd->work, strerror(errno));
        free(bd);
        return -1;
    }
    split_flush_threshold(nshards);
    bd->nb = builder_count(opt, files->n, nshards);
    bd->b = calloc(bd->nb, sizeof *bd->b);
    bd->th = calloc(bd->nb, sizeof *bd->th);
    bd->parts = calloc((size_t)bd->nb * nshards, sizeof *bd->parts);
    bd->merges = calloc(nshards, sizeof *bd->merges);
    int rc = -1;
    if (!bd->b || !bd->th || !bd->parts || !bd->merges)
        progress_fail("out of memory");
    else if (plan_builders(bd, files, states) == 0 && run_builders(bd, total) == 0 &&
             merge_parts(bd, total) == 0 && finish_newdir(bd) == 0)
        /* The swap: from here on DIR is either the old index or the new one. */
        rc = workdir_swap_in(opt->index, bd->newdir, bd->olddir);
    fsutil_remove_tree(bd->work);
    free(bd->b);
    free(bd->th);
    free(bd->parts);
    free(bd->merges);
    free(bd);
    return rc;
}
