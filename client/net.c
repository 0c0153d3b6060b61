/*
 * net.c: newsq's one connection.  Addresses are those newsd's --listen takes: HOST:PORT
 * (IPv4, [IPv6], or a name) or unix:PATH.  Connecting is bounded by the timeout (a
 * non-blocking connect and poll); reads and writes then by SO_RCVTIMEO/SO_SNDTIMEO.
 * Replies are read through stdio, one line at a time, up to NEWSQ_MAX_REPLY_LINE.
 */
#include "newsq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "newsd_limits.h"
#include "sockdir.h"

#define STR_(x) #x
#define STR(x) STR_(x)
/* The daemon's default TCP address, tried after its default Unix socket (which is
 * cheaper, and the only one a write goes to without the token). */
static const char DEFAULT_TCP[] = NEWSD_DEFAULT_HOST ":" STR(NEWSD_DEFAULT_PORT);
/* First bytes of a reply read in one go; most replies fit. */
#define REPLY_CHUNK 16384

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Connects fd to sa before the deadline; returns 0 or an errno value. */
static int connect_by(int fd, const struct sockaddr *sa, socklen_t len, double deadline)
{
    if (connect(fd, sa, len) == 0) return 0;
    if (errno != EINPROGRESS) return errno;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) return ETIMEDOUT;
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int n = poll(&p, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return ETIMEDOUT;
        int err = 0;
        socklen_t elen = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) return errno;
        return err;
    }
}

/* Opens a socket of sa's family and connects it; returns the fd, or -1 with errno set. */
static int dial(const struct sockaddr *sa, socklen_t len, double deadline)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int err = connect_by(fd, sa, len, deadline);
    if (err) {
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* dial_addr's work; on failure errno, or *why for a name that did not resolve. */
static int dial_addr_errno(const char *addr, double deadline, const char **why)
{
    if (strncmp(addr, "unix:", 5) == 0) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        const char *path = addr + 5;
        if (!*path || strlen(path) >= sizeof un.sun_path) return -2;
        memcpy(un.sun_path, path, strlen(path) + 1);
        return dial((struct sockaddr *)&un, sizeof un, deadline);
    }
    char host[256];
    const char *colon = strrchr(addr, ':'), *h = addr;
    if (!colon || colon == addr || !colon[1]) return -2;
    size_t hlen = (size_t)(colon - addr);
    if (addr[0] == '[') {
        if (colon[-1] != ']') return -2;
        h++;
        hlen -= 2;
    } else if (memchr(addr, ':', hlen)) {
        return -2;   /* an IPv6 address needs brackets */
    }
    if (hlen == 0 || hlen >= sizeof host) return -2;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    const char *port = colon + 1;
    if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atoi(port) > 65535)
        return -2;

    /* Numeric addresses skip the resolver: it reads files newsq does not need. */
    struct sockaddr_in in4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    if (inet_pton(AF_INET, host, &in4.sin_addr) == 1)
        return dial((struct sockaddr *)&in4, sizeof in4, deadline);
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
                                .sin6_port = htons((uint16_t)atoi(port)) };
    if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1)
        return dial((struct sockaddr *)&in6, sizeof in6, deadline);

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai) {
        if (gai != EAI_SYSTEM) *why = gai_strerror(gai);
        return -1;
    }
    int fd = -1, err = EHOSTUNREACH;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = dial(ai->ai_addr, ai->ai_addrlen, deadline);
        if (fd < 0) err = errno;
    }
    freeaddrinfo(res);
    if (fd < 0) errno = err;
    return fd;
}

/* Connects to one address.  Returns the fd; -1 when it cannot be reached (*why says
 * why); -2 when the address is malformed. */
static int dial_addr(const char *addr, double deadline, const char **why)
{
    int fd = dial_addr_errno(addr, deadline, why);
    if (fd == -1 && !*why) *why = strerror(errno);
    return fd;
}

static void set_timeouts(int fd, double timeout_s)
{
    struct timeval tv = { .tv_sec = (time_t)timeout_s,
                          .tv_usec = (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6) };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int net_open(struct nq_conn *c, const char *addr, double timeout_s)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->timeout_s = timeout_s;
    c->named = addr != NULL;
    /* the defaults: the Unix socket in the user's own folder (refused when that folder
     * is not safe, as newsd refuses it), then TCP */
    static char unix_addr[600];
    const char *defaults[2];
    size_t ndefaults = 0;
    if (!addr) {
        char path[512], err[700];
        /* a missing folder is tried as the path it would hold: that says where newsd
         * would be, and fails as it should */
        if (sockdir_default_path(path, sizeof path, 0, err, sizeof err) == SOCKDIR_UNSAFE) {
            fprintf(stderr, "newsq: %s\n", err);
            return NQ_EXIT_ERROR;
        }
        snprintf(unix_addr, sizeof unix_addr, "unix:%s", path);
        defaults[ndefaults++] = unix_addr;
        defaults[ndefaults++] = DEFAULT_TCP;
    }
    const char *const *addrs = addr ? &addr : defaults;
    size_t naddrs = addr ? 1 : ndefaults;
    double deadline = now_s() + timeout_s;
    char tried[1024] = "";
    size_t used = 0;

    for (size_t i = 0; i < naddrs; i++) {
        const char *why = NULL;
        int fd = dial_addr(addrs[i], deadline, &why);
        if (fd == -2) {
            fprintf(stderr, "newsq: bad address '%s' (HOST:PORT, [IPv6]:PORT or unix:PATH)\n",
                    addrs[i]);
            return NQ_EXIT_ERROR;
        }
        if (fd >= 0) {
            int flags = fcntl(fd, F_GETFL);
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
            set_timeouts(fd, timeout_s);
            c->in = fdopen(fd, "r");
            if (!c->in) {
                close(fd);
                fprintf(stderr, "newsq: %s\n", strerror(errno));
                return NQ_EXIT_ERROR;
            }
            c->fd = fd;
            snprintf(c->where, sizeof c->where, "%s", addrs[i]);
            return 0;
        }
        int n = snprintf(tried + used, sizeof tried - used, "%s%s (%s)", i ? ", " : "",
                         addrs[i], why);
        if (n > 0 && (size_t)n < sizeof tried - used) used += (size_t)n;
    }
    fprintf(stderr,
            "newsq: cannot reach newsd at %s; start it with 'make run' or "
            "'bin/newsd --index DIR', or name its address with -a or NEWSQ_ADDR\n",
            tried);
    return NQ_EXIT_ERROR;
}

bool net_is_unix(const struct nq_conn *c)
{
    return strncmp(c->where, "unix:", 5) == 0;
}

void net_close(struct nq_conn *c)
{
    if (c->in) fclose(c->in);   /* closes fd too */
    else if (c->fd >= 0) close(c->fd);
    c->in = NULL;
    c->fd = -1;
    free(c->line);
    c->line = NULL;
    c->line_cap = 0;
}

static void io_error(const struct nq_conn *c, int err, const char *what)
{
    if (err == EAGAIN || err == EWOULDBLOCK)
        fprintf(stderr, "newsq: no %s from %s within %g s (--timeout)\n", what, c->where,
                c->timeout_s);
    else
        fprintf(stderr, "newsq: lost the connection to %s: %s\n", c->where, strerror(err));
}

int net_write(struct nq_conn *c, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            io_error(c, errno, "progress sending");
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int net_read_line(struct nq_conn *c, size_t *len)
{
    size_t n = 0;
    for (;;) {
        if (c->line_cap - n < 2) {
            size_t cap = c->line_cap ? c->line_cap * 2 : REPLY_CHUNK;
            if (c->line_cap >= NEWSQ_MAX_REPLY_LINE) {
                fprintf(stderr, "newsq: a reply from %s is longer than %u bytes\n", c->where,
                        NEWSQ_MAX_REPLY_LINE);
                return -1;
            }
            if (cap > NEWSQ_MAX_REPLY_LINE) cap = NEWSQ_MAX_REPLY_LINE;
            char *p = realloc(c->line, cap);
            if (!p) {
                fprintf(stderr, "newsq: out of memory reading a reply\n");
                return -1;
            }
            c->line = p;
            c->line_cap = cap;
        }
        errno = 0;
        if (!fgets(c->line + n, (int)(c->line_cap - n), c->in)) {
            if (ferror(c->in)) io_error(c, errno, "reply");
            else fprintf(stderr, "newsq: %s closed the connection before replying\n", c->where);
            return -1;
        }
        n += strlen(c->line + n);
        if (n > 0 && c->line[n - 1] == '\n') {
            c->line[--n] = '\0';
            *len = n;
            return 0;
        }
        if (feof(c->in)) {
            fprintf(stderr, "newsq: %s closed the connection in the middle of a reply\n",
                    c->where);
            return -1;
        }
    }
}

int net_parse_reply(struct nq_conn *c, size_t len, json_t **obj, const char **code,
                    const char **msg)
{
    *obj = NULL;
    char *line = c->line;
    /* Before it reads a request (over the connection cap) newsd answers in text. */
    if (strncmp(line, "ERR ", 4) == 0) {
        char *sp = strchr(line + 4, ' ');
        if (sp) *sp = '\0';
        *code = line + 4;
        *msg = sp ? sp + 1 : "";
        return 1;
    }
    json_error_t err;
    json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, &err);
    if (!j || !json_is_object(j)) {
        fprintf(stderr, "newsq: unreadable reply from %s (is newsd listening there?): %s\n",
                c->where, j ? "not a JSON object" : err.text);
        json_decref(j);
        return -1;
    }
    *obj = j;
    const char *status = json_string_value(json_object_get(j, "status"));
    if (status && strcmp(status, "ok") == 0) return 0;
    *code = json_string_value(json_object_get(j, "code"));
    *msg = json_string_value(json_object_get(j, "message"));
    if (!*code) *code = "error";
    if (!*msg) *msg = "";
    return 1;
}
