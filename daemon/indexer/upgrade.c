/*
 * upgrade.c: --upgrade, an index (or each shard in turn) rewritten in place in this
 * version's layout by newsidx_upgrade, one transaction per shard: readers see the old
 * documents until its commit; then the near-duplicate clusters of all shards.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "indexer.h"

int upgrade_index(const options_t *opt, unsigned nshards, uint64_t *upgraded, int *locked)
{
    char dir[PATH_MAX];
    char *dirs[NEWSD_MAX_SHARDS] = { 0 };
    int rc = 0;
    *locked = 0;
    for (unsigned k = 0; k < nshards; k++) {
        if (shards_dir(opt, nshards, k, dir) != 0) {
            progress_fail("%s: path too long", opt->index);
            rc = -1;
            break;
        }
        char msg[512] = "";
        uint64_t n = 0;
        newsidx_status_t st = newsidx_upgrade(dir, &n, msg, sizeof msg);
        if (st != NEWSIDX_OK) {
            *locked = st == NEWSIDX_LOCKED;
            progress_fail("upgrading %s failed (%s): %s", dir, newsidx_status_name(st), msg);
            rc = -1;
            break;
        }
        *upgraded += n;
        dirs[k] = strdup(dir);
        if (!dirs[k]) {
            progress_fail("out of memory");
            rc = -1;
            break;
        }
    }
    /* The fingerprints are new in this format: the clusters are made afresh. */
    if (rc == 0 && *upgraded > 0)
        rc = shards_cluster(opt, (const char *const *)dirs, nshards);
    for (unsigned k = 0; k < nshards; k++)
        free(dirs[k]);
    return rc;
}
