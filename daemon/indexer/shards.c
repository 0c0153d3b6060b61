/*
 * shards.c: the shards a run works on (newsd(8), "SHARDED INDEXES"): a fresh build
 * writes --shards N (default: as many as DIR has), an update or compaction the shards
 * DIR has; the folder and the documents of each; and the near-duplicate clusters of
 * them all together.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "fsutil.h"
#include "indexer.h"
#include "shardlayout.h"

/* The folder of shard k of an index of nshards shards: DIR itself, or DIR/shard-K. */
int shards_dir(const options_t *opt, unsigned nshards, unsigned k, char *buf)
{
    if (nshards == 1)
        return snprintf(buf, PATH_MAX, "%s", opt->index) < PATH_MAX ? 0 : -1;
    return shardlayout_shard_path(opt->index, k, buf, PATH_MAX);
}

/* Documents in the index folder: the sum over its shards when it is sharded. */
uint64_t shards_doc_count(const char *index)
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
unsigned shards_for_run(const options_t *opt, int *usage)
{
    unsigned have = 1;
    char msg[512];
    int layout = shardlayout_read(opt->index, &have, msg, sizeof msg);
    int fresh = opt->rebuild || access(opt->index, F_OK) != 0;
    *usage = 0;
    if (layout < 0) {
        if (fresh && opt->shards)
            return opt->shards;   /* the broken folder is replaced whole */
        progress_fail("%s; rebuild the index with --rebuild --shards N", msg);
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
            progress_note("%s has %u shards: the rebuild makes as many (--shards 1 makes one "
                          "index)", opt->index, have);
        return opt->shards ? opt->shards : have;
    }
    if (opt->shards && opt->shards != have) {
        *usage = 1;
        if (layout == 1)
            progress_fail("%s has %u shards, not %u; an update cannot move documents between "
                          "shards: rebuild with --rebuild --shards %u", opt->index, have,
                          opt->shards, opt->shards);
        else
            progress_fail("%s is one index, not %u shards; an update cannot split it: rebuild "
                          "with --rebuild --shards %u", opt->index, opt->shards, opt->shards);
        return 0;
    }
    return have;
}

int shards_cluster(const options_t *opt, const char *const *dirs, unsigned n)
{
    char msg[512] = "";
    uint64_t clusters = 0, dups = 0;
    double start = progress_elapsed();
    newsidx_status_t st = newsidx_cluster(dirs, n, &clusters, &dups, msg, sizeof msg);
    if (st != NEWSIDX_OK) {
        progress_fail("clustering near-duplicates failed (%s): %s", newsidx_status_name(st), msg);
        return -1;
    }
    if (opt->verbose)
        progress_note("clustered near-duplicates in %.2f s: %" PRIu64 " clusters, %" PRIu64
                      " documents folded", progress_elapsed() - start, clusters, dups);
    return 0;
}

void shards_dup_stats(const char *index, uint64_t *clusters, uint64_t *duplicates)
{
    *clusters = *duplicates = 0;
    newsidx_reader_t *r = NULL;
    if (newsidx_reader_open_shards(&index, 1, 0, &r) == NEWSIDX_OK)
        newsidx_reader_dup_stats(r, clusters, duplicates);
    newsidx_reader_close(r);
}
