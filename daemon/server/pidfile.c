/*
 * pidfile.c: the pid file and its lock (see pidfile.h).  The lock is held on the open
 * descriptor (close-on-exec, so REINDEX's newsindex does not inherit it); the file is
 * removed before the descriptor closes, so there is no moment at which another newsd
 * could take a file that is about to disappear.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "newsd_limits.h"
#include "pidfile.h"

struct pidfile {
    const char *path;
    int fd;
};

/* The pid the file holds (its first line), or 0. */
static long pid_in_file(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

pidfile_t *pidfile_take(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
                  NEWSD_PIDFILE_MODE);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the pid file %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "the pid file %s is not a regular file", path);
        close(fd);
        return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long pid = pid_in_file(fd);
        if (e == EWOULDBLOCK && pid)
            snprintf(err, errlen, "the pid file %s is held by process %ld, which is running "
                     "(another newsd?); stop it, or name another --pidfile", path, pid);
        else if (e == EWOULDBLOCK)
            snprintf(err, errlen, "the pid file %s is held by another running process "
                     "(another newsd?); stop it, or name another --pidfile", path);
        else
            snprintf(err, errlen, "cannot lock the pid file %s: %s", path, strerror(e));
        close(fd);
        return NULL;
    }
    pidfile_t *pf = malloc(sizeof *pf);
    if (!pf) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    pf->path = path;
    pf->fd = fd;
    return pf;
}

int pidfile_write(pidfile_t *pf, char *err, size_t errlen)
{
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    if (ftruncate(pf->fd, 0) != 0 || pwrite(pf->fd, line, (size_t)n, 0) != n) {
        snprintf(err, errlen, "cannot write the pid file %s: %s", pf->path, strerror(errno));
        return -1;
    }
    return 0;
}

void pidfile_release(pidfile_t *pf)
{
    if (!pf)
        return;
    /* only the file this process locked: not one that replaced it meanwhile */
    struct stat mine, there;
    if (fstat(pf->fd, &mine) == 0 && lstat(pf->path, &there) == 0 &&
        mine.st_dev == there.st_dev && mine.st_ino == there.st_ino)
        unlink(pf->path);
    close(pf->fd);
    free(pf);
}
