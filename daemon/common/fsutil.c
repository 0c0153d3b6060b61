/*
 * fsutil.c: removing index trees and the leftovers of killed indexer runs.  The work
 * folders are named "<index>.<kind>-<pid>" so that a later run can tell whose they
 * are: a folder whose process is gone is garbage (see fsutil.h).
 */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int fsutil_remove_tree(const char *path)
{
    /* Open file descriptors for the walk; the trees are only a few levels deep. */
    enum { WALK_FDS = 16 };
    if (nftw(path, remove_entry, WALK_FDS, FTW_DEPTH | FTW_PHYS) != 0)
        return errno == ENOENT ? 0 : -1;
    return 0;
}

/* 1 when a process with this pid exists (or we cannot tell), 0 when it is gone. */
static int pid_alive(long pid)
{
    if (pid <= 0 || pid > INT_MAX)
        return 0;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

void fsutil_remove_stale(const char *index)
{
    char *dcopy = strdup(index), *bcopy = strdup(index);
    if (!dcopy || !bcopy)
        goto out;
    const char *dir = dirname(dcopy), *base = basename(bcopy);
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    if (!d)
        goto out;
    int have_index = access(index, F_OK) == 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strncmp(name, base, blen) != 0 || name[blen] != '.')
            continue;
        const char *kind = name + blen + 1;
        int is_old = strncmp(kind, "old-", 4) == 0;
        if (!is_old && strncmp(kind, "new-", 4) != 0 && strncmp(kind, "build-", 6) != 0)
            continue;
        const char *num = strchr(kind, '-') + 1;
        char *end;
        long pid = strtol(num, &end, 10);
        if (*end || end == num || pid_alive(pid))
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
            continue;
        if (is_old && !have_index && rename(path, index) == 0) {
            fprintf(stderr, "%s: restored %s from an interrupted run\n",
                    program_invocation_short_name, index);
            have_index = 1;
            continue;
        }
        fsutil_remove_tree(path);
    }
    closedir(d);
out:
    free(dcopy);
    free(bcopy);
}
