/*
 * stress_load.c: the load and hostile modes of the stress client (see stress.c): churning
 * normal connections whose every reply is checked, beside hostile clients of the kinds -K
 * picks, and the daemon's memory sampled against a bound derived from newsd_limits.h.
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

#include "stress.h"

#include "newsd_limits.h"

/* Requests a load connection sends before it closes and reconnects: 1 to this many. */
#define STRESS_CHURN_MAX 8
/* Hostile clients of each kind in load -H. */
#define STRESS_SLOW 4
#define STRESS_NEVER_READ 4
#define STRESS_HALF_OPEN 8
#define STRESS_HUGE 2
#define STRESS_GARBAGE 2
/* Clients sending the costliest queries newsd accepts, one after another (-K query only). */
#define STRESS_QUERY 2
/* Phrases ORed in the costliest phrase query: as many as NEWSD_MAX_QUERY_NODES allows. */
#define STRESS_QUERY_PHRASES 75
/* SEARCHes a never-reader pipelines (each asks for a full page of hits with snippets). */
#define STRESS_NEVER_READ_REQS 5000
/* Bytes of random binary a garbage client sends. */
#define STRESS_GARBAGE_BYTES (64u * 1024u)
/* Slack for everything a daemon holds that is not a connection's buffers: Xapian's
 * block caches of each worker's reader and of the writer, malloc's arenas per thread. */
#define STRESS_MEM_SLACK (96u * 1024u * 1024u)
/* Per connection: the libevent structures and one read chunk for an idle connection. */
#define STRESS_MEM_PER_CONN (64u * 1024u)

/* ---- load ---- */

typedef enum kind { K_NORMAL, K_SLOW, K_NEVER_READ, K_HALF_OPEN, K_HUGE, K_GARBAGE, K_QUERY } kind_t;

/* The hostile kinds: -K's name for each and how many clients it has. */
static const struct {
    kind_t kind;
    const char *name;
    size_t count;
} hostile_kind[] = {
    { K_SLOW, "slow", STRESS_SLOW },       { K_NEVER_READ, "never", STRESS_NEVER_READ },
    { K_HALF_OPEN, "half", STRESS_HALF_OPEN }, { K_HUGE, "huge", STRESS_HUGE },
    { K_GARBAGE, "garbage", STRESS_GARBAGE }, { K_QUERY, "query", STRESS_QUERY },
};
#define STRESS_NKINDS (sizeof hostile_kind / sizeof hostile_kind[0])
#define ALL_KINDS ((1u << K_SLOW) | (1u << K_NEVER_READ) | (1u << K_HALF_OPEN) | \
                   (1u << K_HUGE) | (1u << K_GARBAGE))
/* The hostile kinds to run (-K), a bit per kind_t value. */
static unsigned hostile_kinds = ALL_KINDS;

/* -K: a comma-separated list of kind names; 0 when one is unknown or the list is empty. */
static unsigned parse_kinds(const char *list)
{
    unsigned kinds = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t k = 0;
        while (k < STRESS_NKINDS &&
               !(strlen(hostile_kind[k].name) == n && strncmp(p, hostile_kind[k].name, n) == 0))
            k++;
        if (k == STRESS_NKINDS) {
            fprintf(stderr, "stress: -K: unknown kind '%.*s' (slow, never, half, huge, garbage, query)\n",
                    (int)n, p);
            return 0;
        }
        kinds |= 1u << hostile_kind[k].kind;
        p += n;
        if (*p == ',')
            p++;
    }
    return kinds;
}

/* Clients of one kind that -K selected. */
static size_t kind_count(kind_t kind)
{
    for (size_t k = 0; k < STRESS_NKINDS; k++)
        if (hostile_kind[k].kind == kind)
            return hostile_kinds & (1u << kind) ? hostile_kind[k].count : 0;
    return 0;
}

static size_t hostile_total(void)
{
    size_t n = 0;
    for (size_t k = 0; k < STRESS_NKINDS; k++)
        n += kind_count(hostile_kind[k].kind);
    return n;
}

typedef struct client {
    kind_t kind;
    int fd;                  /* -1: closed */
    buf_t out, in, line;
    size_t pair;             /* normal: the request awaiting its reply */
    int left;                /* normal: requests before the reconnect; query: in a SEARCH reply */
    int waiting;             /* normal, query: a reply is due */
    size_t queued;           /* never-reader: requests written so far */
    double next_byte;        /* slow: when the next byte goes */
    size_t slow_pos;
    long replies;            /* hostile: reply lines seen */
    int too_long;            /* huge: got ERR too_long */
} client_t;

static pair_t *pairs;
static size_t npairs;

static int load_pairs(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    static char lb[1 << 20];
    size_t cap = 0;
    while (fgets(lb, sizeof lb, f)) {
        lb[strcspn(lb, "\n")] = '\0';
        char *tab = strchr(lb, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        if (npairs == cap) {
            cap = cap ? cap * 2 : 64;
            pairs = realloc(pairs, cap * sizeof *pairs);
        }
        size_t rl = strlen(lb);
        pairs[npairs].req = malloc(rl + 2);
        memcpy(pairs[npairs].req, lb, rl);
        memcpy(pairs[npairs].req + rl, "\n", 2);
        pairs[npairs].reply = strdup(tab + 1);
        npairs++;
    }
    fclose(f);
    return npairs ? 0 : -1;
}

/* Resident memory of a process in bytes (VmRSS, or VmHWM: its peak); 0 if unknown. */
static uint64_t proc_mem(long pid, const char *field)
{
    char path[64], lb[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    uint64_t kb = 0;
    size_t fl = strlen(field);
    while (fgets(lb, sizeof lb, f))
        if (strncmp(lb, field, fl) == 0 && lb[fl] == ':')
            kb = strtoull(lb + fl + 1, NULL, 10);
    fclose(f);
    return kb * 1024u;
}

/*
 * How far the daemon's memory may grow under load.  The buffers of one connection are
 * capped by newsd_limits.h: NEWSD_MAX_INPUT of requests read ahead, and NEWSD_MAX_UNSENT
 * of unsent replies plus the one reply that crossed that line.  The largest reply here is
 * a page of NEWSD_MAX_LIMIT hits, each an id, a title and a snippet of
 * NEWSD_DEFAULT_SNIPPET_LEN source bytes (HTML escaping makes a byte at most 6, "&quot;"),
 * plus 256 bytes of field names and numbers, doubled for JSON escaping.  The clients that
 * fill their buffers (never-readers, huge lines) may each hold all of that; every other
 * connection STRESS_MEM_PER_CONN; and STRESS_MEM_SLACK covers the index caches.
 */
static uint64_t mem_bound(size_t conns)
{
    uint64_t reply = (uint64_t)NEWSD_MAX_LIMIT *
                     (NEWSD_MAX_ID_LEN + NEWSD_MAX_TITLE_LEN + 6u * NEWSD_DEFAULT_SNIPPET_LEN + 256u) *
                     2u;
    uint64_t per_conn = NEWSD_MAX_INPUT + NEWSD_MAX_UNSENT + reply;
    return (uint64_t)kind_count(K_NEVER_READ) * per_conn + (uint64_t)kind_count(K_HUGE) * per_conn +
           (uint64_t)conns * STRESS_MEM_PER_CONN + STRESS_MEM_SLACK;
}

static void client_close(client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->in.len = c->out.len = 0;
    c->waiting = 0;
}

static int client_open(client_t *c, const char *addr)
{
    c->fd = dial(addr);
    if (c->fd < 0)
        return -1;
    nonblocking(c->fd);
    c->in.len = c->out.len = 0;
    return 0;
}

static uint32_t rng_state = 2463534242u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Starts the hostile clients' first moves. */
/* The costliest queries within the caps, taken in turn: an OR of phrases of common words
 * (every document holding them has its positions read) and the widest wildcards. */
static const char *worst_query(size_t i)
{
    static char phrases[STRESS_QUERY_PHRASES * 32 + 16];
    if (!phrases[0]) {
        strcpy(phrases, "COUNT ");
        for (int k = 0; k < STRESS_QUERY_PHRASES; k++)
            strcat(phrases, k ? " OR \"the of the said mln\"" : "\"the of the said mln\"");
        strcat(phrases, "\n");
    }
    return i % 2 ? "SEARCH sort=date limit=100 snippet=0 a* OR b*\n" : phrases;
}

/* A query client sends its next query once the last one is answered. */
static void query_next(client_t *c)
{
    if (c->kind != K_QUERY || c->waiting)
        return;
    const char *q = worst_query(c->queued++);
    buf_add(&c->out, q, strlen(q));
    c->waiting = 1;
}

static void hostile_start(client_t *c, const char *addr)
{
    if (client_open(c, addr) != 0)
        return;
    switch (c->kind) {
    case K_HALF_OPEN:
        if (rng() & 1)     /* half of them send half a line, the others nothing */
            buf_add(&c->out, "SEARCH form", 11);
        break;
    case K_HUGE: {
        char chunk[4096];
        memset(chunk, 'A', sizeof chunk);
        for (size_t n = 0; n < NEWSD_MAX_LINE + 2 * sizeof chunk; n += sizeof chunk)
            buf_add(&c->out, chunk, sizeof chunk);
        break;
    }
    case K_QUERY:
        query_next(c);
        break;
    case K_GARBAGE:
        for (size_t n = 0; n < STRESS_GARBAGE_BYTES; n++) {
            char b = (char)(rng() & 0xff);
            buf_add(&c->out, &b, 1);
        }
        buf_add(&c->out, "\n", 1);
        break;
    default:
        break;
    }
}

/* One turn of a hostile client after poll. */
static void hostile_step(client_t *c, const char *big_search, double now)
{
    if (c->fd < 0)
        return;
    if (c->kind == K_NEVER_READ) {
        while (c->queued < STRESS_NEVER_READ_REQS && c->out.len < 65536) {
            buf_add(&c->out, big_search, strlen(big_search));
            c->queued++;
        }
    } else if (c->kind == K_SLOW && now >= c->next_byte) {
        static const char ping[] = "PING\n";
        buf_add(&c->out, ping + c->slow_pos, 1);
        c->slow_pos = (c->slow_pos + 1) % (sizeof ping - 1);
        c->next_byte = now + 1.0;
    }
    if (buf_send(c->fd, &c->out) < 0) {
        client_close(c);
        return;
    }
    if (c->kind == K_NEVER_READ)
        return;            /* never reads: that is the point */
    int r = buf_recv(c->fd, &c->in);
    while (buf_line(&c->in, &c->line)) {
        /* a query client's SEARCH reply runs to its END line */
        if (c->kind == K_QUERY && strncmp(c->line.p, "OK total=", 9) == 0)
            c->left = 1;
        if (c->kind == K_QUERY && c->left && strcmp(c->line.p, "END") != 0)
            continue;
        c->left = 0;
        c->replies++;
        c->waiting = 0;
        if (c->kind == K_HUGE && strncmp(c->line.p, "ERR too_long ", 13) == 0)
            c->too_long = 1;
    }
    if (r < 0) {
        client_close(c);
        return;
    }
    query_next(c);
    if (c->kind == K_QUERY && buf_send(c->fd, &c->out) < 0)
        client_close(c);
}

/* Opens the clients of the selected hostile kinds into cl (hostile_total() of them). */
static void hostile_start_all(client_t *cl, const char *addr)
{
    size_t h = 0;
    for (size_t k = 0; k < STRESS_NKINDS; k++)
        for (size_t i = 0; i < kind_count(hostile_kind[k].kind); i++, h++) {
            cl[h].kind = hostile_kind[k].kind;
            hostile_start(&cl[h], addr);
        }
}

/* What poll is to wait for on one client.  A never-reader only ever writes, and never
 * asks for POLLIN: its unread replies would make every poll return at once, and the
 * loop would spin, taking a core from the daemon and from the normal clients it times. */
static void poll_events(const client_t *c, struct pollfd *pf)
{
    pf->fd = c->fd;
    pf->events = (short)(POLLIN | (c->out.len ? POLLOUT : 0));
    pf->revents = 0;
    if (c->kind == K_NEVER_READ)
        pf->events = c->queued < STRESS_NEVER_READ_REQS || c->out.len ? POLLOUT : 0;
}

/* Whether a hostile client has anything to do after poll: its socket is ready, or a slow
 * sender's next byte is due.  Stepping every one of them on every pass (a send and a recv
 * each) cost the measuring loop some twenty system calls per pass, beside the daemon. */
static int hostile_due(const client_t *c, const struct pollfd *pf, double now)
{
    return c->fd >= 0 && (pf->revents || (c->kind == K_SLOW && now >= c->next_byte));
}

typedef struct hostile_sum {
    int huge, huge_ok;          /* huge lines, and those answered ERR too_long */
    int replies;                /* reply lines the hostile clients read */
    long never_read_queued;     /* requests the never-readers wrote */
} hostile_sum_t;

/* After the run: waits (until deadline) for the huge lines' replies and sums up. */
static hostile_sum_t hostile_finish(client_t *cl, size_t nh, const char *big_search,
                                    double deadline)
{
    hostile_sum_t s = { 0, 0, 0, 0 };
    for (size_t i = 0; i < nh; i++) {
        /* a huge line's reply may still be on its way: wait for it, within the deadline */
        while (cl[i].kind == K_HUGE && cl[i].fd >= 0 && !cl[i].too_long && now_s() < deadline) {
            struct pollfd p = { cl[i].fd, POLLIN, 0 };
            poll(&p, 1, 100);
            hostile_step(&cl[i], big_search, now_s());
        }
        s.huge += cl[i].kind == K_HUGE;
        s.huge_ok += cl[i].kind == K_HUGE && cl[i].too_long;
        s.replies += (int)cl[i].replies;
        if (cl[i].kind == K_NEVER_READ)
            s.never_read_queued += (long)cl[i].queued;
    }
    return s;
}

static void big_search_line(char *buf, size_t size)
{
    /* the biggest reply the daemon makes for a search: a full page with snippets */
    snprintf(buf, size, "SEARCH format=json limit=%d the\n", NEWSD_MAX_LIMIT);
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int mode_hostile(const char *addr)
{
    size_t nh = hostile_total();
    client_t *cl = calloc(nh, sizeof *cl);
    struct pollfd *pf = calloc(nh, sizeof *pf);
    if (!cl || !pf)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    char big_search[128];
    big_search_line(big_search, sizeof big_search);
    hostile_start_all(cl, addr);
    for (size_t i = 0; i < nh; i++)
        if (cl[i].fd < 0)
            return 1;
    double now = now_s(), deadline = now + timeout_s;
    for (size_t i = 0; i < nh; i++)
        hostile_step(&cl[i], big_search, now);
    printf("hostile ready clients=%zu\n", nh);
    fflush(stdout);
    int timed_out = 0;
    while (!stop_requested) {
        if (now_s() > deadline) {
            timed_out = 1;
            break;
        }
        for (size_t i = 0; i < nh; i++)
            poll_events(&cl[i], &pf[i]);
        poll(pf, (nfds_t)nh, 50);
        now = now_s();
        for (size_t i = 0; i < nh; i++)
            if (hostile_due(&cl[i], &pf[i], now))
                hostile_step(&cl[i], big_search, now);
    }
    hostile_sum_t hs = hostile_finish(cl, nh, big_search, now_s() + timeout_s);
    printf("hostile clients=%zu huge_too_long=%d/%d hostile_replies=%d never_read_queued=%ld%s\n",
           nh, hs.huge_ok, hs.huge, hs.replies, hs.never_read_queued,
           timed_out ? " timed_out=1" : "");
    for (size_t i = 0; i < nh; i++) {
        client_close(&cl[i]);
        free(cl[i].out.p);
        free(cl[i].in.p);
        free(cl[i].line.p);
    }
    free(cl);
    free(pf);
    return timed_out ? 3 : hs.huge_ok == hs.huge ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int mode_load(const char *addr, const char *expfile, size_t conns, long queries,
                     int hostile, long pid)
{
    if (load_pairs(expfile) != 0) {
        fprintf(stderr, "stress: no request<TAB>reply lines in %s\n", expfile);
        return 1;
    }
    char big_search[128];
    big_search_line(big_search, sizeof big_search);
    size_t nh = hostile ? hostile_total() : 0;
    size_t n = conns + nh;
    client_t *cl = calloc(n, sizeof *cl);
    struct pollfd *pf = calloc(n, sizeof *pf);
    if (!cl || !pf)
        return 1;
    uint64_t rss0 = pid ? proc_mem(pid, "VmRSS") : 0, rss_peak = rss0;
    if (hostile)
        hostile_start_all(cl + conns, addr);
    long sent = 0, replies = 0, bad = 0, connects = 0, conn_errors = 0;
    /* reply latencies, printed (never asserted: timings are a bench matter) */
    double *lat = calloc((size_t)queries + 1, sizeof *lat);
    double *sent_at = calloc(conns, sizeof *sent_at);
    if (!lat || !sent_at)
        return 1;
    double deadline = now_s() + timeout_s, last_sample = 0;
    for (size_t i = 0; i < conns; i++) {
        cl[i].kind = K_NORMAL;
        cl[i].fd = -1;
    }
    while (replies < queries) {
        double now = now_s();
        if (now > deadline) {
            fprintf(stderr, "stress: load: only %ld of %ld replies before the deadline\n",
                    replies, queries);
            bad++;
            break;
        }
        if (pid && now - last_sample > 0.05) {
            uint64_t r = proc_mem(pid, "VmRSS");
            if (r > rss_peak)
                rss_peak = r;
            last_sample = now;
        }
        for (size_t i = 0; i < conns; i++) {
            client_t *c = &cl[i];
            if (c->waiting || sent >= queries)
                continue;
            if (c->fd < 0) {
                if (client_open(c, addr) != 0) {
                    conn_errors++;
                    continue;
                }
                connects++;
                c->left = 1 + (int)(rng() % STRESS_CHURN_MAX);
            }
            c->pair = rng() % npairs;
            buf_add(&c->out, pairs[c->pair].req, strlen(pairs[c->pair].req));
            c->waiting = 1;
            sent_at[i] = now_s();
            sent++;
        }
        for (size_t i = 0; i < n; i++)
            poll_events(&cl[i], &pf[i]);
        poll(pf, (nfds_t)n, 50);
        now = now_s();
        for (size_t i = conns; i < n; i++)
            if (hostile_due(&cl[i], &pf[i], now))
                hostile_step(&cl[i], big_search, now);
        for (size_t i = 0; i < conns; i++) {
            client_t *c = &cl[i];
            if (c->fd < 0 || !pf[i].revents)
                continue;
            if (buf_send(c->fd, &c->out) < 0) {
                fprintf(stderr, "stress: load: connection lost while sending\n");
                bad++;
                client_close(c);
                continue;
            }
            int r = buf_recv(c->fd, &c->in);
            if (c->waiting && buf_line(&c->in, &c->line)) {
                mask_took(&c->line);
                if (replies < queries)
                    lat[replies] = now_s() - sent_at[i];
                replies++;
                if (strcmp(c->line.p, pairs[c->pair].reply) != 0) {
                    if (bad < 10)
                        fprintf(stderr, "stress: load: %s  got: %.300s\n  want: %.300s\n",
                                pairs[c->pair].req, c->line.p, pairs[c->pair].reply);
                    bad++;
                }
                c->waiting = 0;
                if (--c->left == 0) {
                    client_close(c);
                    continue;
                }
            }
            if (r < 0) {
                fprintf(stderr, "stress: load: the daemon closed a normal connection\n");
                bad++;
                client_close(c);
            }
        }
    }
    hostile_sum_t hs = hostile_finish(cl + conns, nh, big_search, deadline);
    if (pid) {
        uint64_t r = proc_mem(pid, "VmRSS");
        if (r > rss_peak)
            rss_peak = r;
    }
    for (size_t i = 0; i < n; i++)
        client_close(&cl[i]);
    uint64_t bound = mem_bound(conns + nh);
    int mem_ok = !pid || rss_peak - rss0 <= bound;
    printf("load conns=%zu hostile=%zu replies=%ld bad=%ld connects=%ld conn_errors=%ld "
           "huge_too_long=%d/%d hostile_replies=%d never_read_queued=%ld",
           conns, nh, replies, bad, connects, conn_errors, hs.huge_ok, hs.huge,
           hs.replies, hs.never_read_queued);
    if (pid)
        printf(" rss_before_kb=%llu rss_peak_kb=%llu growth_bound_kb=%llu",
               (unsigned long long)(rss0 / 1024), (unsigned long long)(rss_peak / 1024),
               (unsigned long long)(bound / 1024));
    long nl = replies < queries ? replies : queries;
    if (nl > 0) {
        qsort(lat, (size_t)nl, sizeof *lat, cmp_double);
        printf(" latency_p50_ms=%.2f latency_p99_ms=%.2f latency_max_ms=%.2f",
               lat[nl / 2] * 1e3, lat[nl * 99 / 100] * 1e3, lat[nl - 1] * 1e3);
    }
    printf("\n");
    if (!mem_ok)
        fprintf(stderr, "stress: load: the daemon grew by %llu KiB, over the bound %llu KiB\n",
                (unsigned long long)((rss_peak - rss0) / 1024),
                (unsigned long long)(bound / 1024));
    free(lat);
    free(sent_at);
    for (size_t i = 0; i < n; i++) {
        free(cl[i].out.p);
        free(cl[i].in.p);
        free(cl[i].line.p);
    }
    free(cl);
    free(pf);
    int ok = bad == 0 && conn_errors == 0 && replies >= queries && mem_ok &&
             hs.huge_ok == hs.huge;
    return ok ? 0 : 1;
}

/* -K: picks the hostile kinds; -1 when the list names an unknown one. */
int stress_pick_kinds(const char *list)
{
    unsigned kinds = parse_kinds(list);
    if (!kinds)
        return -1;
    hostile_kinds = kinds;
    return 0;
}

