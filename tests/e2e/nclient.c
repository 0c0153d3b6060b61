/*
 * nclient.c: the line client of tests/e2e/test_newsd.sh, compiled by that script with cc.
 * It owns nothing of the daemon; it only speaks to it over a socket, so the tests need
 * neither nc nor python.  ADDR is HOST:PORT (IPv4) or unix:PATH.
 *
 *   nclient ADDR              sends stdin in one write, shuts down its sending side,
 *                             prints every byte received until the daemon closes
 *   nclient -k ADDR           the same without shutting down (the daemon must close)
 *   nclient -p SECONDS ADDR   the same, but reads nothing for SECONDS after sending (a
 *                             client that does not read its replies)
 *   nclient -w FILE ADDR      the same, but reads nothing until FILE exists
 *   nclient -r BYTES ...      sets the socket's receive buffer (SO_RCVBUF) before it
 *                             connects: how much a client that does not read can hold
 *   nclient -s MS ADDR        sends stdin one byte every MS milliseconds (a slow sender),
 *                             stopping as soon as the daemon says something; then as -k
 *   nclient -i ADDR           sends nothing; prints what arrives until the daemon closes
 *   nclient -H N ADDR         opens N connections (each answers PING), then one more and
 *                             prints what that one receives; then closes them all
 *   nclient -L C,Q ADDR FILE  C concurrent clients each send Q requests, one at a time,
 *                             cycling through FILE's lines "REQUEST<TAB>EXPECTED REPLY";
 *                             prints "load ok=N bad=M" (every reply is checked)
 *   nclient -u STOPFILE -L ...  the same, but each client goes on past Q requests until
 *                             STOPFILE exists (a load that lasts as long as something else)
 *   nclient -d MS -L ...      each client pauses MS milliseconds after each reply
 * Every mode gives up after -t SECONDS (default 20): exit status 3.  Exit 0 otherwise
 * (load: only when bad=0), 1 for connection errors, 2 for usage.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../tools/dial.h"

static int timeout_s = 20;
static const char *stop_file;   /* -u */
static int pause_ms;            /* -d */
static int rcvbuf;              /* -r */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(const char *addr)
{
    return test_dial("nclient", addr, rcvbuf);
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copies fd to stdout until EOF (0), a reset (0: the daemon closed), or the deadline (3). */
static int drain(int fd, double deadline)
{
    char buf[65536];
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0)
            return 3;
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        fwrite(buf, 1, (size_t)n, stdout);
    }
}

/* Reads one line (without '\n') into buf; -1 on EOF/error/deadline. */
static int read_line(int fd, char *buf, size_t cap, char *pend, size_t *plen, double deadline)
{
    for (;;) {
        char *nl = memchr(pend, '\n', *plen);
        if (nl) {
            size_t n = (size_t)(nl - pend);
            if (n >= cap)
                n = cap - 1;
            memcpy(buf, pend, n);
            buf[n] = '\0';
            size_t used = (size_t)(nl - pend) + 1;
            memmove(pend, pend + used, *plen - used);
            *plen -= used;
            return 0;
        }
        if (*plen >= 65536 || now_s() > deadline)
            return -1;
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 1000) <= 0)
            continue;
        ssize_t n = recv(fd, pend + *plen, 65536 - *plen, 0);
        if (n <= 0)
            return -1;
        *plen += (size_t)n;
    }
}

static int ping(int fd, double deadline)
{
    char line[256], pend[65536];
    size_t plen = 0;
    if (send_all(fd, "PING\n", 5) != 0 || read_line(fd, line, sizeof line, pend, &plen,
                                                    deadline) != 0)
        return -1;
    return strcmp(line, "OK pong") == 0 ? 0 : -1;
}

/* ---- load ---- */

typedef struct load {
    const char *addr;
    char **req, **want;
    size_t n;
    int queries;
    int offset;
    int ok, bad;
} load_t;

static void *load_main(void *arg)
{
    load_t *l = arg;
    double deadline = now_s() + timeout_s;
    int fd = dial(l->addr);
    if (fd < 0) {
        l->bad = l->queries;
        return NULL;
    }
    static __thread char pend[65536];
    size_t plen = 0;
    char line[65536];
    for (int q = 0; q < l->queries || (stop_file && access(stop_file, F_OK) != 0); q++) {
        size_t k = (size_t)(l->offset + q) % l->n;
        if (send_all(fd, l->req[k], strlen(l->req[k])) != 0 || send_all(fd, "\n", 1) != 0 ||
            read_line(fd, line, sizeof line, pend, &plen, deadline) != 0) {
            l->bad += q < l->queries ? l->queries - q : 1;
            break;
        }
        /* "took_us=" varies: compare up to it */
        char *t = strstr(line, " took_us=");
        if (t)
            *t = '\0';
        if (pause_ms > 0)
            poll(NULL, 0, pause_ms);
        if (strcmp(line, l->want[k]) == 0) {
            l->ok++;
        } else {
            l->bad++;
            if (l->bad < 5)
                fprintf(stderr, "nclient: %s: got '%s', want '%s'\n", l->req[k], line,
                        l->want[k]);
        }
    }
    close(fd);
    return NULL;
}

static int run_load(const char *spec, const char *addr, const char *file)
{
    int clients = 0, queries = 0;
    if (sscanf(spec, "%d,%d", &clients, &queries) != 2 || clients < 1 || queries < 1)
        return 2;
    FILE *f = fopen(file, "r");
    if (!f)
        return 2;
    char **req = NULL, **want = NULL, buf[4096];
    size_t n = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        char *tab = strchr(buf, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        req = realloc(req, (n + 1) * sizeof *req);
        want = realloc(want, (n + 1) * sizeof *want);
        req[n] = strdup(buf);
        want[n] = strdup(tab + 1);
        n++;
    }
    fclose(f);
    if (n == 0)
        return 2;
    load_t *ls = calloc((size_t)clients, sizeof *ls);
    pthread_t *th = calloc((size_t)clients, sizeof *th);
    for (int i = 0; i < clients; i++) {
        ls[i] = (load_t){ addr, req, want, n, queries, i, 0, 0 };
        pthread_create(&th[i], NULL, load_main, &ls[i]);
    }
    int ok = 0, bad = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        ok += ls[i].ok;
        bad += ls[i].bad;
    }
    printf("load ok=%d bad=%d\n", ok, bad);
    for (size_t i = 0; i < n; i++) {
        free(req[i]);
        free(want[i]);
    }
    free(req);
    free(want);
    free(ls);
    free(th);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    int opt, keep = 0, idle = 0, hold = -1, pause_s = 0, slow_ms = 0;
    const char *load = NULL, *read_file = NULL;
    while ((opt = getopt(argc, argv, "kip:s:H:L:t:u:d:r:w:")) != -1) {
        switch (opt) {
        case 'k': keep = 1; break;
        case 'i': idle = 1; break;
        case 'p': pause_s = atoi(optarg); break;
        case 's': slow_ms = atoi(optarg); keep = 1; break;
        case 'H': hold = atoi(optarg); break;
        case 'L': load = optarg; break;
        case 't': timeout_s = atoi(optarg); break;
        case 'u': stop_file = optarg; break;
        case 'd': pause_ms = atoi(optarg); break;
        case 'r': rcvbuf = atoi(optarg); break;
        case 'w': read_file = optarg; break;
        default: return 2;
        }
    }
    if (optind >= argc)
        return 2;
    const char *addr = argv[optind];
    double deadline = now_s() + timeout_s;
    if (load)
        return optind + 1 < argc ? run_load(load, addr, argv[optind + 1]) : 2;
    if (hold >= 0) {
        int *fds = calloc((size_t)hold + 1, sizeof *fds);
        for (int i = 0; i < hold; i++) {
            fds[i] = dial(addr);
            if (fds[i] < 0 || ping(fds[i], deadline) != 0) {
                fprintf(stderr, "nclient: connection %d failed\n", i);
                return 1;
            }
        }
        int extra = dial(addr);
        int rc = extra < 0 ? 1 : drain(extra, deadline);
        if (extra >= 0)
            close(extra);
        for (int i = 0; i < hold; i++)
            close(fds[i]);
        free(fds);
        return rc;
    }
    int fd = dial(addr);
    if (fd < 0)
        return 1;
    if (!idle) {
        size_t cap = 1 << 16, len = 0;
        char *in = malloc(cap);
        size_t r;
        while ((r = fread(in + len, 1, cap - len, stdin)) > 0) {
            len += r;
            if (len == cap)
                in = realloc(in, cap *= 2);
        }
        int failed = 0;
        if (slow_ms > 0) {
            for (size_t i = 0; i < len && !failed; i++) {
                struct pollfd p = { fd, POLLIN, 0 };
                if (poll(&p, 1, slow_ms) > 0)
                    break;          /* the daemon spoke: stop sending */
                failed = send_all(fd, in + i, 1);
            }
        } else {
            failed = send_all(fd, in, len);
        }
        free(in);
        if (failed != 0) {
            /* the daemon may close early (too_long): still print what it said */
        } else if (!keep) {
            shutdown(fd, SHUT_WR);
        }
    }
    if (pause_s > 0)
        sleep((unsigned)pause_s);
    while (read_file && access(read_file, F_OK) != 0) {
        if (now_s() > deadline) {
            fprintf(stderr, "nclient: %s did not appear\n", read_file);
            return 3;
        }
        poll(NULL, 0, 20);
    }
    int rc = drain(fd, deadline + pause_s);
    fflush(stdout);
    close(fd);
    return rc;
}
