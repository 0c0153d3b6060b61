/*
 * sockdir.c: the default Unix socket's per-user folder (see sockdir.h).  The folder is
 * checked with lstat, so a symlink is seen as one and never followed; a folder made here
 * is made with mode 0700 from the start.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockdir.h"

static sockdir_status_t unsafe(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sockdir_status_t unsafe(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return SOCKDIR_UNSAFE;
}

/* The folder: $XDG_RUNTIME_DIR/newsd, else /tmp/newsd-UID.  -1 when it does not fit. */
static int folder_path(char *out, size_t outlen)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, outlen, "%s/%s", xdg, NEWSD_SOCKET_DIR_NAME);
    else
        n = snprintf(out, outlen, "%s%lu", NEWSD_SOCKET_TMP_PREFIX, (unsigned long)geteuid());
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

sockdir_status_t sockdir_default_path(char *out, size_t outlen, int create, char *err,
                                      size_t errlen)
{
    char dir[512];
    if (folder_path(dir, sizeof dir) != 0)
        return unsafe(err, errlen, "the default socket folder's path is too long "
                      "($XDG_RUNTIME_DIR); name a socket with unix:PATH");
    int n = snprintf(out, outlen, "%s/%s", dir, NEWSD_DEFAULT_SOCKET_NAME);
    if (n < 0 || (size_t)n >= outlen)
        return unsafe(err, errlen, "the default socket path in %s is too long; name a socket "
                      "with unix:PATH", dir);
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT)
            return unsafe(err, errlen, "cannot use the socket folder %s: %s", dir,
                          strerror(errno));
        if (!create)
            return SOCKDIR_MISSING;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return unsafe(err, errlen, "cannot create the socket folder %s: %s", dir,
                          strerror(errno));
        if (lstat(dir, &st) != 0)
            return unsafe(err, errlen, "cannot use the socket folder %s: %s", dir,
                          strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
        return unsafe(err, errlen, "the socket folder %s is a symlink; refusing it (another "
                      "user may have made it): remove it, or name a socket with unix:PATH", dir);
    if (!S_ISDIR(st.st_mode))
        return unsafe(err, errlen, "the socket folder %s is not a folder; remove it, or name "
                      "a socket with unix:PATH", dir);
    if (st.st_uid != geteuid())
        return unsafe(err, errlen, "the socket folder %s is owned by uid %lu, not by you "
                      "(uid %lu); refusing it: remove it, or name a socket with unix:PATH", dir,
                      (unsigned long)st.st_uid, (unsigned long)geteuid());
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return unsafe(err, errlen, "the socket folder %s is accessible by group or others "
                      "(mode %04o); refusing it: chmod 700 %s", dir,
                      (unsigned)(st.st_mode & 07777), dir);
    return SOCKDIR_OK;
}
