/*
 * notify.c: sd_notify's datagrams (see notify.h).  The address is kept from start; each
 * message opens a socket, sends one datagram and closes it, which is all the protocol
 * asks and costs nothing on a path taken a handful of times in a run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "newsd_limits.h"
#include "notify.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_addr_len;       /* 0: no socket to notify */

void notify_init(void)
{
    const char *name = getenv("NOTIFY_SOCKET");
    size_t n = name ? strlen(name) : 0;
    if (n >= 2 && n < sizeof notify_addr.sun_path && (name[0] == '/' || name[0] == '@')) {
        memset(&notify_addr, 0, sizeof notify_addr);
        notify_addr.sun_family = AF_UNIX;
        memcpy(notify_addr.sun_path, name, n);
        if (name[0] == '@')                 /* the abstract namespace: a leading NUL */
            notify_addr.sun_path[0] = '\0';
        notify_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else if (name) {
        LOG(LOG_WARN, "notify", "msg=\"NOTIFY_SOCKET is not an absolute path or @name: "
            "not notifying\"");
    }
    unsetenv("NOTIFY_SOCKET");
}

int notify_send(const char *fmt, ...)
{
    if (!notify_addr_len)
        return 0;
    char msg[NEWSD_NOTIFY_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ssize_t sent = -1;
    if (fd >= 0) {
        sent = sendto(fd, msg, len, MSG_NOSIGNAL, (const struct sockaddr *)&notify_addr,
                      notify_addr_len);
        int e = errno;
        close(fd);
        errno = e;
    }
    if (sent == (ssize_t)len)
        return 0;
    LOG(LOG_WARN, "notify", "errno=%d msg=\"%s\"", errno, strerror(errno));
    return -1;
}
