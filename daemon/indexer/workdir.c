/*
 * workdir.c: the folders a run works in beside the index (DIR.build-PID, DIR.new-PID,
 * DIR.old-PID) and the two renames that put a new index in DIR's place, so that DIR is
 * always either the old index or the new one (fsutil_remove_stale undoes a killed run).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "indexer.h"

/* Bytes of the files in an index folder (glass keeps its tables flat in it), and in
 * its shard folders when it is sharded. */
uint64_t workdir_bytes(const char *dir)
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
                total += workdir_bytes(sub);
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
int workdir_swap_in(const char *index, const char *newdir, const char *olddir)
{
    int had_old = access(index, F_OK) == 0;
    if (had_old && rename(index, olddir) != 0) {
        progress_fail("cannot move %s aside: %s", index, strerror(errno));
        fsutil_remove_tree(newdir);
        return -1;
    }
    if (rename(newdir, index) != 0) {
        progress_fail("cannot move the new index into place: %s", strerror(errno));
        if (had_old && rename(olddir, index) != 0)
            progress_note("the previous index is at %s", olddir);
        fsutil_remove_tree(newdir);
        return -1;
    }
    if (had_old)
        fsutil_remove_tree(olddir);
    return 0;
}

/* Work folder names beside the index: DIR.build-PID, DIR.new-PID, DIR.old-PID. */
int workdir_names(const char *index, char *work, size_t wlen, char *newdir, char *olddir)
{
    long pid = (long)getpid();
    if ((work && snprintf(work, wlen, "%s.build-%ld", index, pid) >= (int)wlen) ||
        snprintf(newdir, PATH_MAX, "%s.new-%ld", index, pid) >= PATH_MAX ||
        snprintf(olddir, PATH_MAX, "%s.old-%ld", index, pid) >= PATH_MAX) {
        progress_fail("%s: path too long", index);
        return -1;
    }
    return 0;
}
