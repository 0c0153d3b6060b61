/*
 * dial.h: a blocking connect to newsd's HOST:PORT (IPv4) or unix:PATH, for the test
 * clients tests/tools/stress.c and tests/e2e/nclient.c (included by both; header-only
 * because the e2e scripts compile each client as one file).  rcvbuf > 0 sets SO_RCVBUF
 * before connecting (a small window, for clients that never read).  On failure prints
 * "PROG: cannot connect to ADDR: why" and returns -1.
 */
#ifndef NEWSD_TEST_DIAL_H
#define NEWSD_TEST_DIAL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int test_dial(const char *prog, const char *addr, int rcvbuf)
{
    int fd = -1;
    struct sockaddr_un sun;
    struct sockaddr_in sin;
    struct sockaddr *sa;
    socklen_t salen;
    if (strncmp(addr, "unix:", 5) == 0) {
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        snprintf(sun.sun_path, sizeof sun.sun_path, "%s", addr + 5);
        sa = (struct sockaddr *)&sun;
        salen = sizeof sun;
    } else {
        char host[256];
        const char *colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof host)
            return -1;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_port = htons((unsigned short)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
            return -1;
        sa = (struct sockaddr *)&sin;
        salen = sizeof sin;
    }
    fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd >= 0 && rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (fd >= 0 && connect(fd, sa, salen) == 0)
        return fd;
    fprintf(stderr, "%s: cannot connect to %s: %s\n", prog, addr, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

#endif
