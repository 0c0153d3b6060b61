/*
 * stress.c: the heavy client of tests/e2e/test_crash.sh and test_load.sh, built by the
 * Makefile for `make test` (libc only, one thread, poll(2)).  It speaks the line protocol
 * to a running newsd and checks every reply it gets; it owns nothing of the daemon.
 * ADDR is HOST:PORT (IPv4) or unix:PATH.  Every mode gives up after -t SECONDS (default
 * 60) with exit status 3; 2 is a usage error, 1 a failed check.  Options come before
 * the mode.
 *
 *   stress adds ADDR PREFIX COUNT ACKFILE
 *       pipelines COUNT ADDs (ids PREFIX-0, PREFIX-1, ...; STRESS_ADD_WINDOW in flight)
 *       and appends the id of every acknowledged ADD to ACKFILE with write(2) as soon as
 *       its reply is read, so whatever kills the daemon, ACKFILE lists exactly the ids
 *       newsd said were committed.  Exit 0 when all COUNT were acknowledged, 4 when the
 *       daemon went away first (the crash test's case), 1 on an error reply.  Prints
 *       "adds connected" once connected.
 *   stress gets ADDR IDFILE
 *       pipelines one GET per line of IDFILE; every reply must be that document.
 *   stress expect ADDR REQFILE OUTFILE
 *       sends each line of REQFILE (JSON-format requests) one at a time on one connection
 *       and writes "REQUEST<TAB>REPLY" lines, took_us masked: the answers load checks.
 *   stress [-p PID] [-H] [-K KINDS] load ADDR EXPECTFILE CONNS QUERIES
 *       CONNS connections at once, each sending a few requests of EXPECTFILE one at a time
 *       and then closing and reconnecting (churn), until QUERIES replies have come; every
 *       reply must equal the expected one.  -H adds the hostile clients (slow senders,
 *       never-readers pipelining thousands of big SEARCHes, half-open connections, huge
 *       lines, binary garbage) for the whole run.  -p PID samples the daemon's VmRSS and
 *       fails when its growth passes the bound derived from newsd_limits.h (mem_bound).
 *   stress [-K KINDS] hostile ADDR
 *       the hostile clients of load -H alone, in a process of their own (as real attackers
 *       are: not in the poll loop of the clients whose latency is measured), until SIGTERM
 *       or SIGINT.  Prints "hostile ready clients=N" once every one is connected and has
 *       sent its first bytes, and a summary at the end; exit 1 when a huge line did not
 *       get ERR too_long.
 *   -K KINDS (implies -H) picks the hostile kinds, a comma-separated list of slow, never,
 *   half, huge, garbage (default: all of these), STRESS_<KIND> clients of each; and query,
 *   clients sending the costliest queries within the caps back to back (never by default).
 *   stress cap ADDR HOLD EXTRA
 *       holds HOLD connections (each answers PING), then opens EXTRA more, each of which
 *       must get "ERR busy too many connections" and be closed; then the HOLD still answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dial.h"
#include "stress.h"

#include "newsd_limits.h"

/* ADDs in flight on the adds connection: enough that every commit takes a group. */
#define STRESS_ADD_WINDOW 64
/* GETs in flight in the gets mode. */
#define STRESS_GET_WINDOW 64

int timeout_s = 60;

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void die_usage(void)
{
    fprintf(stderr, "usage: stress [-t SECONDS] adds|gets|expect|load|hostile|cap ADDR ... "
                    "(see the comment at the top of tests/tools/stress.c)\n");
    exit(2);
}

int dial(const char *addr)
{
    return test_dial("stress", addr, 0);
}

void nonblocking(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* ---- a growable byte buffer ---- */


void buf_add(buf_t *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "stress: out of memory\n");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_drop(buf_t *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    if (b->p)
        b->p[b->len] = '\0';
}

/* Takes the first line out of b into line (without "\n"); 0 when there is none. */
int buf_line(buf_t *b, buf_t *line)
{
    char *nl = b->len ? memchr(b->p, '\n', b->len) : NULL;
    if (!nl)
        return 0;
    line->len = 0;
    buf_add(line, b->p, (size_t)(nl - b->p));
    buf_drop(b, (size_t)(nl - b->p) + 1);
    return 1;
}

/* Reads what the socket has into b: 1 data, 0 nothing now, -1 closed or reset. */
int buf_recv(int fd, buf_t *b)
{
    char tmp[65536];
    ssize_t n = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
    if (n > 0) {
        buf_add(b, tmp, (size_t)n);
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    return -1;
}

/* Sends what it can of b without blocking: -1 when the peer is gone. */
int buf_send(int fd, buf_t *b)
{
    while (b->len) {
        ssize_t n = send(fd, b->p, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            buf_drop(b, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        return -1;
    }
    return 0;
}

/* Blocking: waits for one line, up to the deadline.  0 ok, -1 closed, 3 timed out. */
int wait_line(int fd, buf_t *in, buf_t *line, double deadline)
{
    while (!buf_line(in, line)) {
        double left = deadline - now_s();
        if (left <= 0)
            return 3;
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            continue;
        if (buf_recv(fd, in) < 0)
            return -1;
    }
    return 0;
}

/* took_us varies from run to run: every "took_us":N becomes "took_us":0. */
void mask_took(buf_t *line)
{
    static const char key[] = "\"took_us\":";
    char *p = line->p;
    while (p && (p = strstr(p, key)) != NULL) {
        char *d = p + sizeof key - 1, *e = d;
        while (*e >= '0' && *e <= '9')
            e++;
        if (e > d) {
            *d = '0';
            memmove(d + 1, e, strlen(e) + 1);
            line->len -= (size_t)(e - d) - 1;
        }
        p = d;
    }
}

/* ---- adds ---- */

static void add_request(buf_t *out, const char *prefix, long i)
{
    char line[512];
    int n = snprintf(line, sizeof line,
                     "ADD format=json {\"id\":\"%s-%ld\",\"title\":\"crash record %ld\","
                     "\"body\":\"Stress body %ld for %s: wheat prices and cocoa crops.\","
                     "\"date\":\"2021-01-02\",\"source\":\"stress\"}\n",
                     prefix, i, i, i, prefix);
    buf_add(out, line, (size_t)n);
}

static int mode_adds(const char *addr, const char *prefix, long count, const char *ackfile)
{
    int ack = open(ackfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (ack < 0) {
        fprintf(stderr, "stress: %s: %s\n", ackfile, strerror(errno));
        return 1;
    }
    int fd = dial(addr);
    if (fd < 0)
        return 1;
    printf("adds connected\n");      /* the crash test's kill timer starts here */
    fflush(stdout);
    nonblocking(fd);
    buf_t out = { 0 }, in = { 0 }, line = { 0 };
    long sent = 0, acked = 0, errors = 0;
    int lost = 0;
    double deadline = now_s() + timeout_s;
    while (acked + errors < count && !lost) {
        while (sent < count && sent - acked - errors < STRESS_ADD_WINDOW)
            add_request(&out, prefix, sent++);
        if (buf_send(fd, &out) < 0) {
            lost = 1;
            break;
        }
        struct pollfd p = { fd, POLLIN | (out.len ? POLLOUT : 0), 0 };
        if (now_s() > deadline) {
            fprintf(stderr, "stress: adds timed out\n");
            return 3;
        }
        if (poll(&p, 1, 1000) <= 0)
            continue;
        int r = buf_recv(fd, &in);
        while (buf_line(&in, &line)) {
            char want[300];
            snprintf(want, sizeof want, "{\"status\":\"ok\",\"id\":\"%s-%ld\",", prefix,
                     acked + errors);
            if (strncmp(line.p, want, strlen(want)) == 0) {
                char id[260];
                int n = snprintf(id, sizeof id, "%s-%ld\n", prefix, acked + errors);
                if (write(ack, id, (size_t)n) != n) {
                    fprintf(stderr, "stress: writing %s: %s\n", ackfile, strerror(errno));
                    return 1;
                }
                acked++;
            } else {
                fprintf(stderr, "stress: ADD %s-%ld: %s\n", prefix, acked + errors, line.p);
                errors++;
            }
        }
        if (r < 0)
            lost = 1;
    }
    close(fd);
    close(ack);
    free(out.p);
    free(in.p);
    free(line.p);
    printf("adds acked=%ld sent=%ld errors=%ld lost=%d\n", acked, sent, errors, lost);
    return errors ? 1 : lost ? 4 : 0;
}

/* ---- gets ---- */

static int mode_gets(const char *addr, const char *idfile)
{
    FILE *f = fopen(idfile, "r");
    if (!f) {
        fprintf(stderr, "stress: %s: %s\n", idfile, strerror(errno));
        return 1;
    }
    char **ids = NULL;
    size_t nids = 0, cap = 0;
    char lb[NEWSD_MAX_ID_LEN + 8];
    while (fgets(lb, sizeof lb, f)) {
        lb[strcspn(lb, "\n")] = '\0';
        if (!*lb)
            continue;
        if (nids == cap) {
            cap = cap ? cap * 2 : 256;
            ids = realloc(ids, cap * sizeof *ids);
        }
        ids[nids++] = strdup(lb);
    }
    fclose(f);
    int fd = dial(addr);
    if (fd < 0)
        return 1;
    nonblocking(fd);
    buf_t out = { 0 }, in = { 0 }, line = { 0 };
    size_t sent = 0, got = 0, ok = 0;
    double deadline = now_s() + timeout_s;
    while (got < nids) {
        while (sent < nids && sent - got < STRESS_GET_WINDOW) {
            char req[NEWSD_MAX_ID_LEN + 32];
            int n = snprintf(req, sizeof req, "GET format=json %s\n", ids[sent++]);
            buf_add(&out, req, (size_t)n);
        }
        if (buf_send(fd, &out) < 0 || now_s() > deadline)
            break;
        struct pollfd p = { fd, POLLIN | (out.len ? POLLOUT : 0), 0 };
        if (poll(&p, 1, 1000) <= 0)
            continue;
        int r = buf_recv(fd, &in);
        while (buf_line(&in, &line)) {
            char want[NEWSD_MAX_ID_LEN + 64];
            snprintf(want, sizeof want, "{\"status\":\"ok\",\"doc\":{\"id\":\"%s\",", ids[got]);
            if (strncmp(line.p, want, strlen(want)) == 0)
                ok++;
            else
                fprintf(stderr, "stress: GET %s: %.200s\n", ids[got], line.p);
            got++;
        }
        if (r < 0)
            break;
    }
    close(fd);
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    free(out.p);
    free(in.p);
    free(line.p);
    printf("gets ok=%zu missing=%zu\n", ok, nids - ok);
    return ok == nids ? 0 : 1;
}

/* ---- expect ---- */

static int mode_expect(const char *addr, const char *reqfile, const char *outfile)
{
    FILE *f = fopen(reqfile, "r"), *o = fopen(outfile, "w");
    if (!f || !o) {
        fprintf(stderr, "stress: cannot open %s or %s\n", reqfile, outfile);
        return 1;
    }
    int fd = dial(addr);
    if (fd < 0)
        return 1;
    buf_t in = { 0 }, line = { 0 };
    char req[NEWSD_MAX_QUERY_LEN + 256];
    double deadline = now_s() + timeout_s;
    int n = 0;
    while (fgets(req, sizeof req, f)) {
        req[strcspn(req, "\n")] = '\0';
        if (!*req)
            continue;
        size_t len = strlen(req);
        req[len] = '\n';
        if (send(fd, req, len + 1, MSG_NOSIGNAL) != (ssize_t)(len + 1) ||
            wait_line(fd, &in, &line, deadline) != 0) {
            fprintf(stderr, "stress: expect: no reply\n");
            return 1;
        }
        req[len] = '\0';
        mask_took(&line);
        fprintf(o, "%s\t%s\n", req, line.p);
        n++;
    }
    fclose(f);
    close(fd);
    free(in.p);
    free(line.p);
    if (fclose(o) != 0)
        return 1;
    printf("expect requests=%d\n", n);
    return 0;
}

/* ---- cap ---- */

static int mode_cap(const char *addr, size_t hold, size_t extra)
{
    static const char busy[] = "ERR busy too many connections";
    int *fds = calloc(hold, sizeof *fds);
    buf_t in = { 0 }, line = { 0 };
    double deadline = now_s() + timeout_s;
    size_t held = 0, rejected = 0, alive = 0;
    for (size_t i = 0; i < hold; i++) {
        fds[i] = dial(addr);
        if (fds[i] < 0)
            break;
        in.len = 0;
        if (send(fds[i], "PING\n", 5, MSG_NOSIGNAL) == 5 &&
            wait_line(fds[i], &in, &line, deadline) == 0 && strcmp(line.p, "OK pong") == 0)
            held++;
    }
    for (size_t i = 0; i < extra; i++) {
        int fd = dial(addr);
        if (fd < 0)
            continue;
        in.len = 0;
        int r = wait_line(fd, &in, &line, deadline);
        /* then the daemon closes: the next read sees the end */
        buf_t rest = { 0 };
        if (r == 0 && strcmp(line.p, busy) == 0 && wait_line(fd, &in, &rest, deadline) == -1)
            rejected++;
        else
            fprintf(stderr, "stress: cap: connection %zu over the cap got '%s'\n", i,
                    r == 0 ? line.p : "nothing");
        free(rest.p);
        close(fd);
    }
    for (size_t i = 0; i < hold; i++) {
        if (fds[i] < 0)
            continue;
        in.len = 0;
        if (send(fds[i], "PING\n", 5, MSG_NOSIGNAL) == 5 &&
            wait_line(fds[i], &in, &line, deadline) == 0 && strcmp(line.p, "OK pong") == 0)
            alive++;
        close(fds[i]);
    }
    free(fds);
    free(in.p);
    free(line.p);
    printf("cap held=%zu rejected=%zu alive=%zu\n", held, rejected, alive);
    return held == hold && rejected == extra && alive == hold ? 0 : 1;
}

int main(int argc, char **argv)
{
    long pid = 0;
    int hostile = 0, opt;
    while ((opt = getopt(argc, argv, "+t:p:HK:")) != -1) {
        switch (opt) {
        case 't':
            timeout_s = atoi(optarg);
            break;
        case 'p':
            pid = atol(optarg);
            break;
        case 'H':
            hostile = 1;
            break;
        case 'K':
            hostile = 1;
            if (stress_pick_kinds(optarg) != 0)
                die_usage();
            break;
        default:
            die_usage();
        }
    }
    argc -= optind;
    argv += optind;
    if (argc < 2)
        die_usage();
    const char *mode = argv[0], *addr = argv[1];
    if (strcmp(mode, "adds") == 0 && argc == 5)
        return mode_adds(addr, argv[2], atol(argv[3]), argv[4]);
    if (strcmp(mode, "gets") == 0 && argc == 3)
        return mode_gets(addr, argv[2]);
    if (strcmp(mode, "expect") == 0 && argc == 4)
        return mode_expect(addr, argv[2], argv[3]);
    if (strcmp(mode, "load") == 0 && argc == 5)
        return mode_load(addr, argv[2], (size_t)atol(argv[3]), atol(argv[4]), hostile, pid);
    if (strcmp(mode, "hostile") == 0 && argc == 2)
        return mode_hostile(addr);
    if (strcmp(mode, "cap") == 0 && argc == 4)
        return mode_cap(addr, (size_t)atol(argv[2]), (size_t)atol(argv[3]));
    die_usage();
    return 2;
}
