/*
 * upgrade.c: --upgrade, an index (or each shard in turn) rewritten in place in this
 * version's layout by newsidx_upgrade, one transaction per shard: readers see the old
 * documents until its commit.
 */
#include <limits.h>
#include <stdint.h>

#include "indexer.h"

int upgrade_index(const options_t *opt, unsigned nshards, uint64_t *upgraded, int *locked)
{
    char dir[PATH_MAX];
    *locked = 0;
    for (unsigned k = 0; k < nshards; k++) {
        if (shards_dir(opt, nshards, k, dir) != 0) {
            progress_fail("%s: path too long", opt->index);
            return -1;
        }
        char msg[512] = "";
        uint64_t n = 0;
        newsidx_status_t st = newsidx_upgrade(dir, &n, msg, sizeof msg);
        if (st != NEWSIDX_OK) {
            *locked = st == NEWSIDX_LOCKED;
            progress_fail("upgrading %s failed (%s): %s", dir, newsidx_status_name(st), msg);
            return -1;
        }
        *upgraded += n;
    }
    return 0;
}
