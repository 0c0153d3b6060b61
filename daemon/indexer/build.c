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
        b->status = newsidx_writer_open(b->parts[k], NEWSIDX_OVERWRITE | NEWSIDX_BULK, &s->w[k]);
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

/*
 * A fresh build of opt->index with nshards shards (1: one plain index): builders write
 * their file ranges, each into one bulk writer per shard; then each shard's parts are
 * merged (in parallel) into DIR.new-PID (itself, or its shard-K folders and the stub),
 * which replaces DIR.
 */
int build_fresh(const options_t *opt, const ingest_filelist_t *files,
                       const file_state_t *states, counts_t *total, unsigned nshards)
{
    /* Room for "/shard-BB-K" below the work folder. */
    char work[PATH_MAX - 32], newdir[PATH_MAX], olddir[PATH_MAX];
    if (workdir_names(opt->index, work, sizeof work, newdir, olddir) != 0)
        return -1;
    if (mkdir(work, 0755) != 0) {
        progress_fail("cannot create %s: %s", work, strerror(errno));
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
        progress_fail("out of memory");
        goto out;
    }
    for (size_t i = 0; i < files->n; i++) {
        uint64_t est = build_estimated_size(&files->files[i]);
        atomic_fetch_add(&progress_counters.total_bytes, est);
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

    progress_set_phase(PHASE_INDEX);
    unsigned started = 0;
    for (unsigned k = 0; k < nb; k++) {
        b[k].opt = opt;
        b[k].files = files;
        b[k].states = states;
        if (pthread_create(&th[k], NULL, builder_main, &b[k]) != 0) {
            progress_fail("cannot start a builder thread");
            indexer_stop_requested = 1;
            break;
        }
        started++;
    }
    for (unsigned k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    if (indexer_stop_requested) {
        progress_fail("interrupted; %s is unchanged", opt->index);
        goto out;
    }
    if (started < nb)
        goto out;

    for (unsigned k = 0; k < nb; k++) {
        if (b[k].status != NEWSIDX_OK) {
            progress_fail("writing %s failed (%s): %s", nshards == 1 ? b[k].parts[0] : work,
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
            progress_fail("%s: path too long", newdir);
            goto out;
        }
    }

    progress_counters.nshards = nb;
    progress_set_phase(PHASE_MERGE);
    if (opt->verbose)
        for (unsigned k = 0; k < nb; k++)
            progress_note("builder %u: files %zu-%zu, %" PRIu64 " MB, %.2f s", k, b[k].first, b[k].last,
                 b[k].counts.bytes / 1000000, b[k].seconds);
    if (nshards > 1 && mkdir(newdir, 0755) != 0) {
        progress_fail("cannot create %s: %s", newdir, strerror(errno));
        goto out;
    }
    double merge_start = progress_elapsed();
    if (run_merges(merges, nshards, opt->jobs) != 0) {
        if (indexer_stop_requested)
            progress_fail("interrupted; %s is unchanged", opt->index);
        fsutil_remove_tree(newdir);
        goto out;
    }
    uint64_t dups = 0;
    for (unsigned s = 0; s < nshards; s++)
        dups += merges[s].dups;
    if (opt->verbose)
        progress_note("merged %u builder%s' output into %u shard%s in %.2f s (%" PRIu64
             " duplicate ids)", nb, nb == 1 ? "" : "s", nshards, nshards == 1 ? "" : "s",
             progress_elapsed() - merge_start, dups);
    /* A later record with the same id replaced an earlier one. */
    total->added -= dups;
    total->replaced += dups;

    /* The merge keeps the parts' file records; the paths are set once, here. */
    for (unsigned s = 0; s < nshards; s++)
        if (record_commit_paths(opt, merges[s].dest) != 0) {
            fsutil_remove_tree(newdir);
            goto out;
        }
    char msg[512];
    if (nshards > 1 && shardlayout_write_stub(newdir, nshards, msg, sizeof msg) != 0) {
        progress_fail("%s", msg);
        fsutil_remove_tree(newdir);
        goto out;
    }

    if (indexer_stop_requested) {
        progress_fail("interrupted; %s is unchanged", opt->index);
        fsutil_remove_tree(newdir);
        goto out;
    }
    /* The swap: from here on DIR is either the old index or the new one. */
    if (workdir_swap_in(opt->index, newdir, olddir) != 0)
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
