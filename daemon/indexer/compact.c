/*
 * compact.c: --compact, a compacted copy of the index (or of each shard in turn) made
 * beside it under its write lock, and swapped in by the renames of workdir.c.
 */
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "fsutil.h"
#include "indexer.h"

/* Compacts the index folder dir in place (adding its sizes to *before and *after). */
static int compact_one(const options_t *opt, const char *dir, uint64_t *before, uint64_t *after)
{
    char newdir[PATH_MAX], olddir[PATH_MAX];
    if (workdir_names(dir, NULL, 0, newdir, olddir) != 0)
        return -1;
    if (access(dir, F_OK) != 0) {
        progress_fail("%s: no index to compact", dir);
        return -1;
    }
    /* Holding the write lock keeps commits from landing in DIR while the copy is made:
     * they would be lost with the swap. */
    newsidx_writer_t *w = update_open_writer(opt, dir);
    if (!w)
        return -1;
    progress_set_phase(PHASE_COMPACT);
    uint64_t size = workdir_bytes(dir);
    char msg[512] = "";
    newsidx_status_t st = newsidx_compact(dir, newdir, msg, sizeof msg);
    int rc = -1;
    if (st != NEWSIDX_OK) {
        progress_fail("compacting %s failed (%s): %s", dir, newsidx_status_name(st), msg);
        fsutil_remove_tree(newdir);
    } else if (indexer_stop_requested) {
        progress_fail("interrupted; %s is unchanged", dir);
        fsutil_remove_tree(newdir);
    } else {
        *before += size;
        *after += workdir_bytes(newdir);
        rc = workdir_swap_in(dir, newdir, olddir);
    }
    newsidx_writer_abandon(w);
    return rc;
}

/* Compacts the index, or each of its nshards shards in turn (each swap is atomic on
 * its own; shards compacted before a failure stay compacted, which changes no result). */
int compact_index(const options_t *opt, unsigned nshards, uint64_t *before,
                         uint64_t *after)
{
    char dir[PATH_MAX];
    for (unsigned k = 0; k < nshards; k++) {
        if (shards_dir(opt, nshards, k, dir) != 0) {
            progress_fail("%s: path too long", opt->index);
            return -1;
        }
        if (compact_one(opt, dir, before, after) != 0)
            return -1;
    }
    return 0;
}
