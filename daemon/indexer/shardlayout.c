/*
 * shardlayout.c: writing and reading the stub of a sharded index folder (shardlayout.h).
 * The format is Xapian's stub database format, restricted to what newsindex writes, so
 * that a stub edited by hand into something else is refused rather than half-used.
 */
#include "shardlayout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "newsd_limits.h"

int shardlayout_shard_path(const char *dir, unsigned k, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/shard-%u", dir, k);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int shardlayout_write_stub(const char *dir, unsigned n, char *msg, size_t msglen)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, SHARDLAYOUT_STUB) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(msg, msglen, "%s: path too long", dir);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(msg, msglen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "# newsindex --shards %u: shard k holds the documents whose id has\n"
               "# newsidx_shard_of(id, %u) == k.  A Xapian stub database: paths are relative\n"
               "# to this folder.\n", n, n);
    for (unsigned k = 0; k < n; k++)
        fprintf(f, "glass shard-%u\n", k);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    int err = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (bad || rename(tmp, path) != 0) {
        snprintf(msg, msglen, "cannot write %s: %s", path, strerror(bad ? err : errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int shardlayout_read(const char *dir, unsigned *n, char *msg, size_t msglen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, SHARDLAYOUT_STUB) >= (int)sizeof path) {
        snprintf(msg, msglen, "%s: path too long", dir);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        snprintf(msg, msglen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    unsigned count = 0, lineno = 0;
    int rc = 1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        int whole = len > 0 && line[len - 1] == '\n';
        if (whole)
            line[--len] = '\0';
        if (!whole && !feof(f)) {
            snprintf(msg, msglen, "%s:%u: line too long", path, lineno);
            rc = -1;
            break;
        }
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char want[32];
        snprintf(want, sizeof want, "glass shard-%u", count);
        if (strcmp(line, want) != 0) {
            snprintf(msg, msglen, "%s:%u: expected '%s' (not a stub newsindex wrote)", path,
                     lineno, want);
            rc = -1;
            break;
        }
        if (++count > NEWSD_MAX_SHARDS) {
            snprintf(msg, msglen, "%s: more than %d shards", path, NEWSD_MAX_SHARDS);
            rc = -1;
            break;
        }
    }
    if (rc == 1 && ferror(f)) {
        snprintf(msg, msglen, "cannot read %s: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    if (rc == 1 && count == 0) {
        snprintf(msg, msglen, "%s lists no shards", path);
        rc = -1;
    }
    if (rc == 1)
        *n = count;
    return rc;
}
