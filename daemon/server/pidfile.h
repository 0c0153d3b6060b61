/*
 * pidfile.h: --pidfile (newsd(8), "FILES").  The file is taken at start: opened
 * (created with mode NEWSD_PIDFILE_MODE) and locked with flock(2) for the whole run, so
 * a second newsd on the same file is refused while the first runs, and a file left by a
 * killed daemon (no lock on it) is simply taken over, whatever pid it holds: no guess
 * from a pid that may have been reused.  The pid is written once newsd listens, and the
 * file removed at a clean exit.
 */
#ifndef NEWSD_PIDFILE_H
#define NEWSD_PIDFILE_H

#include <stddef.h>

typedef struct pidfile pidfile_t;

/* Opens and locks the file at path (kept, not copied).  Returns the handle, or NULL with
 * the message in err: another process holds the lock (its pid named when the file
 * holds one), or the file cannot be opened. */
pidfile_t *pidfile_take(const char *path, char *err, size_t errlen);

/* Writes this process's pid and a newline into the file, replacing what it held.
 * Returns 0, or -1 with the message in err. */
int pidfile_write(pidfile_t *pf, char *err, size_t errlen);

/* Removes the file (if it is still the one taken) and frees pf; NULL-safe. */
void pidfile_release(pidfile_t *pf);

#endif
