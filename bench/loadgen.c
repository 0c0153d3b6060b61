/*
 * loadgen: a load generator for newsd, over TCP or a Unix socket.
 *
 * C connections each send SEARCH requests from the query log one at a time (a request,
 * then its whole reply, then the next request), as interactive clients do; the
 * latency of a request runs from just before its write to the end of its reply.  The
 * connections are spread over T threads (default: at most 4), each driving its share
 * with poll(), so 32 connections need neither 32 threads competing for the two cores
 * nor a client that serialises them.  The parsing per reply is a scan for line ends
 * and tabs: cheap enough that the daemon, not this program, sets the pace.
 *
 * Every reply is checked for the shape newsd(8) ("PROTOCOL") gives it, and anything else
 * is counted as an error (errors=):
 *   text  "OK total=N shown=M took_us=K", M lines of exactly 7 tab-separated fields,
 *         the "did_you_mean" and "query" lines when they come, then "END"; an
 *         "ERR ..." line is an error reply
 *   json  one line, {"status":"ok",...,"shown":M,...,"hits":[...]} with M objects
 *         starting {"rank":; with -V each reply is also parsed with jansson and its hits
 *         array and their ids checked (slower: for a verification pass, not for timing)
 *
 * For comparison the same connections can speak SphinxQL (-f sphinxql) to Sphinx's
 * searchd: the MySQL 4.1 wire protocol, which searchd speaks without checking the
 * user, so a few lines of packet framing replace a MySQL client library.  The request
 * is SELECT id FROM news WHERE MATCH('QUERY') LIMIT 10 OPTION ranker=bm25 (BM25 like
 * newsd; Sphinx 2.2 keeps no text, so ids are all it can return); the reply must be a
 * result set (column count, column definitions, EOF, rows, EOF); an ERR packet, or
 * any other shape, is an error.
 *
 * -F FACETS adds facets=FACETS to every SEARCH (JSON only, whose reply is one line): each
 * reply must then carry a "facets" object (with -V: one list per facet asked for).
 *
 * -S sends SIMILAR (JSON only) instead of SEARCH: each line of the -q file is then an
 * article's id, and the reply has the shape of SEARCH's (plus its "terms").
 * -R DAYS adds recency=DAYS to every SEARCH (newsd(8), RECENCY): the same replies, ranked
 * with age.  -U adds collapse=0: near-duplicates not folded (newsd(8), NEAR-DUPLICATES).
 *
 * -Q CLIENTS puts a queue in front of the connections: CLIENTS clients (each walking
 * the log from its own place, as connections do) put their requests on one queue, and
 * the -c connections, each with one request at a time, take them in order; a request's
 * latency runs from the moment its client queued it to the end of its reply.  With
 * Sphinx's `workers = threads` and -c as many as the cores, searchd runs one thread per
 * core fed from one queue: the set-up of newsd's workers (bench/query.sh's sphinxpool-
 * runs; Debian's Sphinx 2.2.11 has no `workers = thread_pool`).  One client thread.
 *
 * -s best asks for snippet=best (newsd(8)): the best-scoring window of the body, the
 * work FTS5's snippet() does, where -s 1 takes the first good window.
 *
 * -f ping sends PING instead (reply "OK pong"): the round trip through the daemon's
 * event loop with no search, the floor under every SEARCH latency on this machine.
 *
 * -f http asks newsd's HTTP API instead (ADDR is an --http address): GET
 * /search?q=QUERY&limit=10&snippet=S over a kept-alive HTTP/1.1 connection; the reply
 * must be "HTTP/1.1 200" with a Content-Length, and its body is checked as -f json's
 * line (-F and -V too).  The same SEARCH as -f json, so the two compare the protocols.
 *
 * newsd's own figure for each SEARCH (took_us in the reply: the time inside
 * newsidx_search) is collected too, and its p50/p99 printed on a second line, so the
 * gap between in-process and loopback latency can be split into "the search ran
 * slower inside the daemon" and "the request spent time outside the search".
 *
 * Connection k starts at query k*n/C of the log and walks it in order, so at one
 * connection the requests are exactly the log, in the order query_inproc runs it.
 *
 * With -u STOPFILE the run ends early, once STOPFILE exists (each connection stops after
 * its reply in flight): a load that lasts as long as something else does, e.g. a rebuild.
 * -D SECONDS ends it the same way after that long (querylog.h's time limit), so a slow
 * system on a large corpus answers what it can in a fixed time.
 *
 * With -P a thread waiting for replies polls its sockets without sleeping (poll with a
 * timeout of 0, again and again) instead of blocking in poll.  A client that sleeps for
 * the third of a millisecond a search takes lets its vCPU halt, and on this VM the wake
 * when the reply comes costs it tens of microseconds; an in-process loop never sleeps, so
 * -P is the client to set beside it when the daemon's own cost is what is measured
 * (bench/query.sh's poll- runs).  It costs a core per client thread: one connection only.
 *
 *   loadgen -a ADDR -q QUERIES [-c CONNS] [-T THREADS] [-n REQUESTS] [-s 0|1|best]
 *           [-f text|json|http|sphinxql|ping] [-F FACETS] [-R DAYS] [-L LABEL] [-V]
 *           [-u STOPFILE] [-D SECONDS] [-P] [-S] [-Q CLIENTS]
 * ADDR is HOST:PORT or unix:PATH.  Prints one "loadgen: mode=LABEL ..." line
 * (querylog.h) and, for SEARCH, "loadgen: took_us_p50=.. took_us_p99=.."; exit
 * status 1 if any reply was an error or malformed.
 */
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "newsd_limits.h"
#include "querylog.h"
#include "sphinxql.h"

#define MAX_CONNS 1024
#define MAX_THREADS 64
#define DEFAULT_THREADS 4    /* two cores: more client threads only steal the daemon's time */
#define READ_CHUNK 65536
#define MAX_REPLY (4u << 20) /* a top-10 reply is a few KB; more means a framing bug */
#define PAGE 10

typedef struct conn {
    int fd;
    size_t next, left;       /* next log entry to send; requests still to send */
    double *lat;             /* this connection's latencies, one per request */
    double *took;            /* and newsd's took_us of each */
    size_t done;
    double sent_at;
    /* The reply being read: buf[0..len), lines complete so far and where the current
     * line starts; need is the number of lines the reply has (0 until its first line). */
    char *buf;
    size_t len, cap, scanned, line_start, lines, need;
    int phase;               /* SphinxQL: 0 column count, 1 column definitions, 2 rows */
    int bad;                 /* this reply is malformed */
    unsigned shown;
    double took_now;         /* took_us of the reply being read */
    long client;             /* -Q: the client whose request is in flight, or -1 */
} conn_t;

/* -Q: a client queueing for the connections. */
typedef struct qclient {
    size_t next, left;       /* its next log entry; requests still to send */
    double queued_at;        /* when its current request joined the queue */
} qclient_t;

typedef struct thread {
    pthread_t tid;
    conn_t *conns;
    size_t nconns;
    size_t errors, matched;
    uint64_t hits;
    int failed;              /* a connection broke: the run is void */
} thread_t;

static struct {
    const char *addr;
    querylog_t log;
    int snippet, json, http, sphinxql, ping, verify, spin;
    const char *snippet_word;  /* -s as sent: "0", "1" or "best" (snippet: not "0") */
    const char *stop_file;
    const char *facets;      /* -F: the facets= value, or NULL */
    int similar;             /* -S: SIMILAR ID instead of SEARCH QUERY */
    long recency;            /* -R: the recency= value; 0: none */
    int unfolded;            /* -U: collapse=0 */
    long queue_clients;      /* -Q: clients queueing for the connections; 0: none */
    qclient_t *qc;           /* -Q: the clients, and the queue (a ring of their indices) */
    long *ring;
    size_t ring_head, ring_len;
    pthread_barrier_t start_line;
} g;

/* Consumes the whole packets of a SphinxQL reply; returns 1 once it is complete. */
static int take_packets(conn_t *c)
{
    while (c->len - c->scanned >= MYSQL_HEADER) {
        const unsigned char *h = (const unsigned char *)c->buf + c->scanned;
        size_t n = h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
        if (c->len - c->scanned < MYSQL_HEADER + n) return 0;
        c->scanned += MYSQL_HEADER + n;
        const unsigned char *b = h + MYSQL_HEADER;
        int eof = n > 0 && n < 9 && b[0] == MYSQL_EOF;
        if (n == 0 || b[0] == MYSQL_ERR || (c->phase == 0 && (b[0] == MYSQL_OK || eof))) {
            c->bad = 1;        /* an error, or no result set */
            return 1;
        }
        if (c->phase == 0) {
            c->phase = 1;      /* the column count; definitions follow */
        } else if (eof) {
            if (c->phase++ == 2) return 1;
        } else if (c->phase == 2) {
            c->shown++;
        }
    }
    return 0;
}

static int dial(const char *addr)
{
    int fd;
    if (strncmp(addr, "unix:", 5) == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(addr + 5) >= sizeof sa.sun_path) return -1;
        strcpy(sa.sun_path, addr + 5);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            fd = -1;
        }
        return fd;
    }
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {  /* [::1]:7878 */
        h[strlen(h) - 1] = '\0';
        h++;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
    if (getaddrinfo(h, colon + 1, &hints, &res) != 0) return -1;
    fd = -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        /* Requests are single small writes; Nagle would only add delay. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (fd >= 0 && g.sphinxql && sphinxql_handshake(fd) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int send_request(conn_t *c)
{
    char line[NEWSD_MAX_QUERY_LEN + 128];  /* the query plus the command and its options */
    const char *q = g.log.q[c->next % g.log.n];
    int n;
    if (g.sphinxql) {
        /* The log has no single quotes, so the query goes into the literal as it is. */
        n = snprintf(line + MYSQL_HEADER + 1, sizeof line - MYSQL_HEADER - 1,
                     "SELECT id FROM news WHERE MATCH('%s') LIMIT %d OPTION ranker=bm25", q, PAGE);
        if (n < 0 || (size_t)n >= sizeof line - MYSQL_HEADER - 1 || strchr(q, '\'')) return -1;
        n += 1;
        line[0] = (char)(n & 0xff);
        line[1] = (char)(n >> 8 & 0xff);
        line[2] = (char)(n >> 16 & 0xff);
        line[3] = 0;           /* a command starts a new sequence */
        line[MYSQL_HEADER] = MYSQL_COM_QUERY;
        n += MYSQL_HEADER;
    } else if (g.http) {
        n = snprintf(line, sizeof line, "GET /search?limit=%d&snippet=%s%s%s&q=", PAGE,
                     g.snippet_word, g.facets ? "&facets=" : "", g.facets ? g.facets : "");
        for (const unsigned char *p = (const unsigned char *)q; *p && n > 0 &&
             (size_t)n + 4 < sizeof line; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '-' || *p == '.' || *p == '_' || *p == '~')
                line[n++] = (char)*p;
            else if (*p == ' ')
                line[n++] = '+';
            else
                n += snprintf(line + n, sizeof line - (size_t)n, "%%%02X", *p);
        }
        int k = snprintf(line + n, sizeof line - (size_t)n, " HTTP/1.1\r\nHost: newsd\r\n\r\n");
        if (k < 0 || (size_t)(n + k) >= sizeof line) return -1;
        n += k;
    } else if (g.ping) {
        n = snprintf(line, sizeof line, "PING\n");
    } else {
        /* "--" ends the options, so no query is mistaken for one. */
        char recency[32] = "";
        if (g.recency) snprintf(recency, sizeof recency, " recency=%ld", g.recency);
        n = snprintf(line, sizeof line, "%s limit=%d snippet=%s format=%s%s%s%s%s -- %s\n",
                     g.similar ? "SIMILAR" : "SEARCH", PAGE, g.snippet_word,
                     g.json ? "json" : "text", g.facets ? " facets=" : "",
                     g.facets ? g.facets : "", recency, g.unfolded ? " collapse=0" : "", q);
        if (n < 0 || (size_t)n >= sizeof line) return -1;
    }
    c->len = c->scanned = c->line_start = c->lines = c->need = 0;
    c->phase = 0;
    c->bad = 0;
    c->shown = 0;
    c->took_now = 0;
    c->sent_at = bench_us();
    /* Blocking socket, small line: write returns once it is in the socket buffer. */
    for (int off = 0; off < n;) {
        ssize_t w = write(c->fd, line + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        off += (int)w;
    }
    c->next++;
    c->left--;
    return 0;
}

/* Counts the '"rank":' objects of a JSON reply line: one per hit. */
static unsigned count_hits_json(const char *s, size_t n)
{
    unsigned k = 0;
    const char *end = s + n;
    while ((s = memmem(s, (size_t)(end - s), "{\"rank\":", 8)) != NULL) {
        k++;
        s += 8;
    }
    return k;
}

/* Full check of a JSON reply with jansson (-V). */
static int json_reply_ok(const char *s, size_t n, unsigned shown)
{
    json_error_t err;
    json_t *root = json_loadb(s, n, 0, &err);
    if (!root) return 0;
    json_t *hits = json_object_get(root, "hits");
    int ok = json_is_array(hits) && json_array_size(hits) == shown &&
             json_integer_value(json_object_get(root, "shown")) == (json_int_t)shown &&
             json_is_integer(json_object_get(root, "total"));
    for (size_t i = 0; ok && i < json_array_size(hits); i++) {
        json_t *h = json_array_get(hits, i);
        ok = json_is_string(json_object_get(h, "id")) &&
             json_is_string(json_object_get(h, "title")) &&
             (json_object_get(h, "snippet") != NULL) == (g.snippet != 0);
    }
    if (ok && g.facets) {
        /* one list per facet asked for, each of {"value","count"} */
        json_t *f = json_object_get(root, "facets");
        size_t asked = 1;
        for (const char *p = g.facets; *p; p++) asked += *p == ',';
        ok = json_is_object(f) && json_object_size(f) == asked;
        const char *name;
        json_t *list;
        json_object_foreach(f, name, list) {
            ok = ok && json_is_array(list);
            for (size_t i = 0; ok && i < json_array_size(list); i++)
                ok = json_is_string(json_object_get(json_array_get(list, i), "value")) &&
                     json_is_integer(json_object_get(json_array_get(list, i), "count"));
        }
    }
    json_decref(root);
    return ok;
}

/* Judges one complete line s[0..n) (without its '\n') of the reply being read. */
static void take_line(conn_t *c, const char *s, size_t n)
{
    if (!s) {   /* no buffer yet: nothing read (and GCC's null check of memmem is met) */
        c->bad = 1;
        return;
    }
    if (g.ping) {
        c->need = 1;
        c->bad = n != 7 || memcmp(s, "OK pong", 7) != 0;
        return;
    }
    if (g.json) {
        static const char ok[] = "{\"status\":\"ok\"";
        const char *p;
        c->need = 1;
        if (n < sizeof ok || memcmp(s, ok, sizeof ok - 1) != 0 || s[n - 1] != '}' ||
            !(p = memmem(s, n, "\"shown\":", 8))) {
            c->bad = 1;
            return;
        }
        c->shown = (unsigned)strtoul(p + 8, NULL, 10);
        if ((p = memmem(s, n, "\"took_us\":", 10)) != NULL) c->took_now = strtod(p + 10, NULL);
        if (count_hits_json(s, n) != c->shown || (g.verify && !json_reply_ok(s, n, c->shown)) ||
            (g.facets && !memmem(s, n, "\"facets\":{", 10)))
            c->bad = 1;
        return;
    }
    if (c->lines == 0) {
        const char *p;
        unsigned long shown;
        char *end;
        if (n < 9 || memcmp(s, "OK total=", 9) != 0 || !(p = memmem(s, n, " shown=", 7)) ||
            (shown = strtoul(p + 7, &end, 10)) > 100 || *end != ' ') {
            c->bad = 1;      /* ERR, or a header we cannot frame: one line */
            c->need = 1;
            return;
        }
        c->shown = (unsigned)shown;
        if ((p = memmem(s, n, " took_us=", 9)) != NULL) c->took_now = strtod(p + 9, NULL);
        c->need = shown + 2;
        return;
    }
    if (c->lines + 1 < c->need) {  /* a hit: seven fields */
        size_t tabs = 0;
        for (const char *t = s; (t = memchr(t, '\t', (size_t)(s + n - t))) != NULL; t++) tabs++;
        if (tabs != 6) c->bad = 1;
        return;
    }
    /* newsd(8): "did you mean", explain's query line and a folded hit's "dups" lines may
     * come before END. */
    if ((n > 13 && memcmp(s, "did_you_mean\t", 13) == 0) || (n > 6 && memcmp(s, "query\t", 6) == 0) ||
        (n > 5 && memcmp(s, "dups\t", 5) == 0)) {
        c->need++;
        return;
    }
    if (n != 3 || memcmp(s, "END", 3) != 0) c->bad = 1;
}

/* -f http: 1 once the response in buf is complete (its body judged as a JSON line),
 * else 0. */
static int take_http(conn_t *c)
{
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head = (size_t)(end - c->buf) + 4, clen = 0;
    const char *p = c->buf, *stop = end;
    int have_len = 0;
    while ((p = memchr(p, '\n', (size_t)(stop - p))) != NULL) {
        p++;
        if (stop - p > 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
            clen = strtoul(p + 15, NULL, 10);
            have_len = 1;
        }
    }
    if (!have_len) {
        c->bad = 1;            /* no framing we can follow: the run is void */
        return 1;
    }
    if (c->len < head + clen) return 0;
    if (c->len != head + clen || clen == 0 || c->buf[head + clen - 1] != '\n' ||
        strncmp(c->buf, "HTTP/1.1 200 ", 13) != 0)
        c->bad = 1;
    else
        take_line(c, c->buf + head, clen - 1);
    return 1;
}

/* Reads what is there; returns 1 when the reply is complete, 0 if not yet, -1 on EOF
 * or a read error. */
static int read_reply(conn_t *c)
{
    if (c->cap - c->len < READ_CHUNK) {
        size_t cap = c->cap ? c->cap * 2 : 2 * READ_CHUNK;
        if (cap > MAX_REPLY) return -1;
        char *b = realloc(c->buf, cap);
        if (!b) return -1;
        c->buf = b;
        c->cap = cap;
    }
    ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
    if (r < 0 && errno == EINTR) return 0;
    if (r <= 0) return -1;
    c->len += (size_t)r;
    if (g.sphinxql) {
        if (!take_packets(c)) return 0;
        if (c->scanned != c->len) c->bad = 1;
        return 1;
    }
    if (g.http) return take_http(c);
    char *nl;
    while ((nl = memchr(c->buf + c->scanned, '\n', c->len - c->scanned)) != NULL) {
        size_t end = (size_t)(nl - c->buf);
        take_line(c, c->buf + c->line_start, end - c->line_start);
        c->lines++;
        c->line_start = c->scanned = end + 1;
        if (c->lines == c->need) {
            /* One request at a time: nothing may follow the reply. */
            if (c->scanned != c->len) c->bad = 1;
            return 1;
        }
    }
    c->scanned = c->len;
    return 0;
}

/* -Q: hands the request at the head of the queue to idle connection c: 1 sent, 0 the
 * queue is empty, -1 the connection broke. */
static int queue_dispatch(conn_t *c)
{
    if (g.ring_len == 0) {
        c->client = -1;
        return 0;
    }
    long k = g.ring[g.ring_head];
    g.ring_head = (g.ring_head + 1) % (size_t)g.queue_clients;
    g.ring_len--;
    c->client = k;
    c->next = g.qc[k].next;
    c->left = 1;
    if (send_request(c) != 0) return -1;
    g.qc[k].next = c->next;
    g.qc[k].left--;
    return 1;
}

static void queue_push(long k, double now)
{
    g.qc[k].queued_at = now;
    g.ring[(g.ring_head + g.ring_len) % (size_t)g.queue_clients] = k;
    g.ring_len++;
}

/* -Q: one thread drives every connection and owns the queue; the latencies go to the
 * first connection's arrays (sized for every request). */
static void *run_queue(void *arg)
{
    thread_t *t = arg;
    struct pollfd pfd[MAX_CONNS];
    size_t busy = 0, done = 0;
    pthread_barrier_wait(&g.start_line);
    double now = bench_us();
    for (long k = 0; k < g.queue_clients; k++)
        if (g.qc[k].left > 0) queue_push(k, now);
    for (size_t i = 0; i < t->nconns; i++) {
        pfd[i].fd = t->conns[i].fd;
        pfd[i].events = POLLIN;
        int r = queue_dispatch(&t->conns[i]);
        if (r < 0) goto broken;
        busy += (size_t)r;
    }
    while (busy > 0) {
        int n = poll(pfd, (nfds_t)t->nconns, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) goto broken;
        for (size_t i = 0; i < t->nconns && n > 0; i++) {
            if (!pfd[i].revents) continue;
            n--;
            conn_t *c = &t->conns[i];
            if (c->client < 0) goto broken;     /* an idle connection has nothing to say */
            int r = read_reply(c);
            if (r < 0) goto broken;
            if (r == 0) continue;
            now = bench_us();
            t->conns[0].took[done] = c->took_now;
            t->conns[0].lat[done++] = now - g.qc[c->client].queued_at;
            if (c->bad) {
                if (t->errors++ < 3)
                    fprintf(stderr, "loadgen: bad reply to \"%s\"\n", g.log.q[(c->next - 1) % g.log.n]);
            } else {
                t->hits += c->shown;
                t->matched += c->shown > 0;
            }
            if (g.qc[c->client].left > 0 && !bench_time_up()) queue_push(c->client, now);
            busy--;
            r = queue_dispatch(c);
            if (r < 0) goto broken;
            busy += (size_t)r;
        }
    }
    t->conns[0].done = done;
    return NULL;
broken:
    t->conns[0].done = done;
    fprintf(stderr, "loadgen: connection to %s broken: %s\n", g.addr, strerror(errno));
    t->failed = 1;
    return NULL;
}

static void *run(void *arg)
{
    thread_t *t = arg;
    struct pollfd pfd[MAX_CONNS];
    size_t active = 0;
    pthread_barrier_wait(&g.start_line);
    for (size_t i = 0; i < t->nconns; i++) {
        pfd[i].fd = t->conns[i].fd;
        pfd[i].events = POLLIN;
        if (t->conns[i].left == 0) {
            pfd[i].fd = -1;
            continue;
        }
        if (send_request(&t->conns[i]) != 0) goto broken;
        active++;
    }
    while (active > 0) {
        int n;
        do
            n = poll(pfd, (nfds_t)t->nconns, g.spin ? 0 : -1);
        while (n == 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) goto broken;
        for (size_t i = 0; i < t->nconns && n > 0; i++) {
            if (pfd[i].fd < 0 || !pfd[i].revents) continue;
            n--;
            conn_t *c = &t->conns[i];
            int r = read_reply(c);
            if (r < 0) goto broken;
            if (r == 0) continue;
            c->took[c->done] = c->took_now;
            c->lat[c->done++] = bench_us() - c->sent_at;
            if (c->bad) {
                /* The buffer is not NUL-terminated: print its first line, capped; of a
                 * SphinxQL ERR packet, the message after the header, 0xff and the code. */
                const char *from = c->buf;
                size_t len = c->len;
                if (g.sphinxql) {
                    size_t skip = MYSQL_HEADER + 3;
                    from += len > skip ? skip : len;
                    len -= len > skip ? skip : len;
                }
                char *nl = memchr(from, '\n', len);
                int shown = (int)(nl ? (size_t)(nl - from) : len);
                if (t->errors++ < 3)
                    fprintf(stderr, "loadgen: bad reply to \"%s\": %.*s\n",
                            g.log.q[(c->next - 1) % g.log.n], shown < 200 ? shown : 200, from);
            } else {
                t->hits += c->shown;
                t->matched += c->shown > 0;
            }
            if (c->left == 0 || (g.stop_file && access(g.stop_file, F_OK) == 0) ||
                bench_time_up()) {
                pfd[i].fd = -1;
                active--;
            } else if (send_request(c) != 0) {
                goto broken;
            }
        }
    }
    return NULL;
broken:
    fprintf(stderr, "loadgen: connection to %s broken: %s\n", g.addr, strerror(errno));
    t->failed = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *qpath = NULL, *label = NULL, *format = "text";
    long conns = 1, threads = 0, requests = 0;
    double limit = 0;
    int opt;
    while ((opt = getopt(argc, argv, "a:q:c:T:n:s:f:F:R:L:Vu:PSQ:UD:")) != -1) {
        switch (opt) {
        case 'a': g.addr = optarg; break;
        case 'q': qpath = optarg; break;
        case 'c': conns = strtol(optarg, NULL, 10); break;
        case 'T': threads = strtol(optarg, NULL, 10); break;
        case 'n': requests = strtol(optarg, NULL, 10); break;
        case 's': g.snippet_word = optarg; break;
        case 'f': format = optarg; break;
        case 'F': g.facets = optarg; break;
        case 'U': g.unfolded = 1; break;
        case 'R': g.recency = strtol(optarg, NULL, 10); break;
        case 'L': label = optarg; break;
        case 'V': g.verify = 1; break;
        case 'u': g.stop_file = optarg; break;
        case 'D': limit = strtod(optarg, NULL); break;
        case 'P': g.spin = 1; break;
        case 'S': g.similar = 1; break;
        case 'Q': g.queue_clients = strtol(optarg, NULL, 10); break;
        default: goto usage;
        }
    }
    if (!g.addr || !qpath || conns < 1 || conns > MAX_CONNS || threads < 0 ||
        threads > MAX_THREADS || requests < 0 || g.recency < 0 ||
        (g.recency && (g.ping || strcmp(format, "sphinxql") == 0)) ||
        (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "http") != 0 &&
         strcmp(format, "sphinxql") != 0 && strcmp(format, "ping") != 0) ||
        (g.facets && ((strcmp(format, "json") != 0 && strcmp(format, "http") != 0) ||
                      !*g.facets || strchr(g.facets, ' '))) ||
        (g.similar && strcmp(format, "json") != 0) || g.queue_clients < 0 ||
        (g.queue_clients && (g.spin || g.stop_file)) || limit < 0)
        goto usage;
    if (!g.snippet_word) g.snippet_word = "0";
    if (strcmp(g.snippet_word, "0") != 0 && strcmp(g.snippet_word, "1") != 0 &&
        strcmp(g.snippet_word, "best") != 0)
        goto usage;
    g.snippet = strcmp(g.snippet_word, "0") != 0;
    g.http = strcmp(format, "http") == 0;
    g.json = strcmp(format, "json") == 0 || g.http;
    g.sphinxql = strcmp(format, "sphinxql") == 0;
    g.ping = strcmp(format, "ping") == 0;
    if (threads == 0) threads = conns < DEFAULT_THREADS ? conns : DEFAULT_THREADS;
    if (g.queue_clients) threads = 1;
    if (threads > conns) threads = conns;
    if (querylog_load(qpath, &g.log) != 0) return 1;
    if (requests == 0) requests = (long)g.log.n;

    conn_t *c = calloc((size_t)conns, sizeof *c);
    thread_t *t = calloc((size_t)threads, sizeof *t);
    double *lat = calloc((size_t)requests, sizeof *lat);
    double *took = calloc((size_t)requests, sizeof *took);
    if (!c || !t || !lat || !took) return 1;
    size_t given = 0;
    for (long k = 0; k < conns; k++) {
        c[k].fd = dial(g.addr);
        if (c[k].fd < 0) {
            fprintf(stderr, "loadgen: cannot connect to %s: %s\n", g.addr, strerror(errno));
            return 1;
        }
        c[k].next = (size_t)k * g.log.n / (size_t)conns;
        c[k].left = (size_t)requests / (size_t)conns + ((size_t)k < (size_t)requests % (size_t)conns);
        c[k].lat = lat + given;
        c[k].took = took + given;
        given += c[k].left;
    }
    if (g.queue_clients) {
        /* The clients take the requests and places in the log the connections had. */
        g.qc = calloc((size_t)g.queue_clients, sizeof *g.qc);
        g.ring = calloc((size_t)g.queue_clients, sizeof *g.ring);
        if (!g.qc || !g.ring) return 1;
        for (long k = 0; k < g.queue_clients; k++) {
            g.qc[k].next = (size_t)k * g.log.n / (size_t)g.queue_clients;
            g.qc[k].left = (size_t)requests / (size_t)g.queue_clients +
                           ((size_t)k < (size_t)requests % (size_t)g.queue_clients);
        }
        for (long k = 0; k < conns; k++) c[k].done = 0;
        c[0].lat = lat;
        c[0].took = took;
    }
    /* Thread i drives connections [i*C/T, (i+1)*C/T). */
    pthread_barrier_init(&g.start_line, NULL, (unsigned)threads + 1);
    for (long i = 0; i < threads; i++) {
        size_t lo = (size_t)(i * conns / threads), hi = (size_t)((i + 1) * conns / threads);
        t[i].conns = c + lo;
        t[i].nconns = hi - lo;
        if (pthread_create(&t[i].tid, NULL, g.queue_clients ? run_queue : run, &t[i]) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    bench_set_time_limit(limit);
    bench_start_clock();
    pthread_barrier_wait(&g.start_line);
    double t0 = bench_us();
    char mode[128];
    snprintf(mode, sizeof mode, "%s", label ? label : g.addr);
    bench_summary_t s = {"loadgen", mode, (unsigned)(g.queue_clients ? g.queue_clients : conns),
                         0, 0, 0, 0, 0};
    int failed = 0;
    for (long i = 0; i < threads; i++) {
        pthread_join(t[i].tid, NULL);
        s.errors += t[i].errors;
        s.hits += t[i].hits;
        s.matched += t[i].matched;
        failed |= t[i].failed;
    }
    s.wall_us = bench_us() - t0;
    /* Only answered requests count; a broken connection voids the run anyway. */
    size_t n = 0;
    for (long k = 0; k < conns; k++) {
        memmove(lat + n, c[k].lat, c[k].done * sizeof *lat);
        memmove(took + n, c[k].took, c[k].done * sizeof *took);
        n += c[k].done;
        close(c[k].fd);
        free(c[k].buf);
    }
    s.queries = n;
    bench_report(stdout, &s, lat, n);
    if (!g.sphinxql && !g.ping) {
        bench_sort(took, n);
        printf("loadgen: took_us_p50=%.1f took_us_p99=%.1f\n", bench_percentile(took, n, 50),
               bench_percentile(took, n, 99));
    }
    free(took);
    free(lat);
    free(c);
    free(t);
    free(g.qc);
    free(g.ring);
    querylog_free(&g.log);
    return failed || s.errors ? 1 : 0;
usage:
    fprintf(stderr, "usage: loadgen -a HOST:PORT|unix:PATH -q QUERIES [-c CONNS] [-T THREADS] "
                    "[-n REQUESTS] [-s 0|1|best] [-f text|json|sphinxql|ping] [-F FACETS (json)] [-R DAYS] "
                    "[-L LABEL] [-V] "
                    "[-u STOPFILE] [-D SECONDS] [-P] [-S (json: SIMILAR, the file holds ids)] "
                    "[-Q CLIENTS (queueing for the -c connections)]\n");
    return 2;
}
