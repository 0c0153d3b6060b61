/*
 * fsutil.h: the few file-system chores of replacing an index folder: removing a tree,
 * and cleaning up (or recovering from) the work folders of a run that was killed.
 */
#ifndef NEWSD_FSUTIL_H
#define NEWSD_FSUTIL_H

/* Removes path and everything below it (links are removed, not followed).  Returns 0,
 * or -1 with errno set; a path that does not exist is not an error. */
int fsutil_remove_tree(const char *path);

/*
 * Cleans up after newsindex runs on index that were killed: removes the folders
 * "<index>.build-PID" and "<index>.new-PID" of processes that no longer run, and
 * "<index>.old-PID" likewise, except that when <index> itself is missing an ".old-PID"
 * is renamed back to <index> (the kill fell between the two renames of a swap).
 */
void fsutil_remove_stale(const char *index);

#endif
