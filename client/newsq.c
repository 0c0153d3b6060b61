/*
 * newsq.c: the command-line client of newsd.  One process makes one connection and
 * sends one request (SEARCH, COUNT, GET, SIMILAR, DUPS or STATS, always with format=json so that any
 * bytes in a field survive), prints the reply and exits with grep's statuses.  `add`
 * is the exception that streams: it pipelines one ADD per JSON Lines record, at most
 * NEWSQ_ADD_WINDOW in flight, and matches the replies to the lines in order.  Over TCP
 * newsd takes writes only from a connection that sent AUTH with its token, so `add`
 * and `reindex` send AUTH first there when they have a token file (newsd(8), "AUTHORITY FOR WRITES").
 */
#include "newsq.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "newsd_limits.h"

/* One request line: the protocol's longest, plus "\n" and the terminator. */
struct req {
    char buf[NEWSD_MAX_LINE + 2];
    size_t len;
    bool overflow;
};

__attribute__((format(printf, 2, 3))) static void req_add(struct req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->len, sizeof r->buf - r->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof r->buf - r->len) r->overflow = true;
    else r->len += (size_t)n;
}

/* "CODE: MESSAGE" of an error reply, on one line of stderr, after prefix. */
static void server_error_at(const char *prefix, const char *code, const char *msg)
{
    fprintf(stderr, "newsq: %s%s: ", prefix, code);
    /* The message may quote the query: keep it on one line. */
    for (const char *s = msg; *s; s++) fputc((unsigned char)*s < 0x20 ? ' ' : *s, stderr);
    fputc('\n', stderr);
}

static void server_error(const char *code, const char *msg) { server_error_at("", code, msg); }

/* Sends one request and reads its reply.  Returns 0 for an ok reply (*obj set, the
 * caller decrefs it), 1 for an error reply (code and message set, and printed), -1 when
 * there is no usable reply (the reason printed).  With --json the raw reply goes to stdout. */
static int exchange(const struct nq_opts *o, struct nq_conn *c, struct req *r, json_t **obj,
                    const char **code, const char **msg)
{
    *obj = NULL;
    if (r->overflow || r->len > NEWSD_MAX_LINE) {
        fprintf(stderr, "newsq: the request is longer than %u bytes\n", NEWSD_MAX_LINE);
        return -1;
    }
    r->buf[r->len++] = '\n';
    size_t len;
    if (net_write(c, r->buf, r->len) < 0 || net_read_line(c, &len) < 0) return -1;
    if (o->json) {
        fwrite(c->line, 1, len, stdout);
        fputc('\n', stdout);
    }
    int rc = net_parse_reply(c, len, obj, code, msg);
    if (rc == 1) server_error(*code, *msg);
    return rc;
}

static void add_filters(struct req *r, const struct nq_opts *o)
{
    if (o->since) req_add(r, " since=%s", o->since);
    if (o->until) req_add(r, " until=%s", o->until);
    if (o->source) req_add(r, " source=%s", o->source);
    if (o->topic) req_add(r, " topic=%s", o->topic);
    if (o->place) req_add(r, " place=%s", o->place);
    if (o->not_source) req_add(r, " not_source=%s", o->not_source);
    if (o->not_topic) req_add(r, " not_topic=%s", o->not_topic);
    if (o->not_place) req_add(r, " not_place=%s", o->not_place);
}

/* A partial answer (--partial) says on stderr which shards it lacks: the hits and counts
 * on stdout are then those of the other shards. */
static void warn_missing(json_t *obj)
{
    json_t *missing = json_object_get(obj, "missing_shards");
    size_t i;
    json_t *name;
    json_array_foreach(missing, i, name)
        fprintf(stderr, "newsq: partial answer: shard %s did not answer\n",
                json_is_string(name) ? json_string_value(name) : "?");
}

/* The search of o for query (SIMILAR of the id query when o->cmd is NQ_SIMILAR), its
 * reply in *obj (the caller decrefs it) and an error's code in *code (it lives in *obj);
 * as exchange.  With --json and --fix the raw reply is printed only when it carries no
 * suggestion to run instead. */
static int search_once(const struct nq_opts *o, struct nq_conn *c, const char *query,
                       json_t **obj, const char **code)
{
    static struct req r;
    r.len = 0;
    r.overflow = false;
    req_add(&r, "%s format=json", o->cmd == NQ_SIMILAR ? "SIMILAR" : "SEARCH");
    if (o->limit >= 0) req_add(&r, " limit=%ld", o->limit);
    if (o->offset >= 0) req_add(&r, " offset=%ld", o->offset);
    if (o->sort) req_add(&r, " sort=%s", o->sort);
    add_filters(&r, o);
    if (o->no_snippet) req_add(&r, " snippet=0");
    if (o->best_snippet) req_add(&r, " snippet=best");
    if (o->exact) req_add(&r, " exact=1");
    if (o->partial) req_add(&r, " partial=1");
    if (o->facets) req_add(&r, " facets=%s", o->facets);
    if (o->facet_limit >= 0) req_add(&r, " facet_limit=%ld", o->facet_limit);
    if (o->explain) req_add(&r, " explain=1");
    if (o->recent) req_add(&r, " recency=%ld", o->recent);
    if (o->no_collapse) req_add(&r, " collapse=0");
    req_add(&r, " -- %s", query);
    struct nq_opts quiet = *o;
    quiet.json = o->json && !o->fix;
    const char *msg = NULL;
    int rc = exchange(&quiet, c, &r, obj, code, &msg);
    if (rc == 0 && o->json && o->fix && !json_object_get(*obj, "suggestion"))
        printf("%s\n", c->line);
    return rc;
}

/* SEARCH QUERY, or SIMILAR ID (o->cmd NQ_SIMILAR), which prints a "terms:" line, the
 * words the daemon searched for, below the hits. */
static int cmd_search(const struct nq_opts *o, struct nq_conn *c)
{
    bool similar = o->cmd == NQ_SIMILAR;
    json_t *obj;
    const char *code = NULL;
    int rc = search_once(o, c, similar ? o->id : o->query, &obj, &code);
    json_t *fix = rc == 0 && o->fix ? json_object_get(obj, "suggestion") : NULL;
    if (json_is_string(fix)) {
        /* --fix: the corrected query at once, in place of the one typed (the line names
         * it on stderr, as the daemon wrote it) */
        char *q = strdup(json_string_value(fix));
        json_decref(obj);
        if (!q) {
            fprintf(stderr, "newsq: out of memory\n");
            return NQ_EXIT_ERROR;
        }
        fprintf(stderr, "newsq: searching for: ");
        for (const char *s = q; *s; s++) fputc((unsigned char)*s < 0x20 ? ' ' : *s, stderr);
        fputc('\n', stderr);
        struct nq_opts again = *o;
        again.fix = false;
        rc = search_once(&again, c, q, &obj, &code);
        free(q);
    }
    if (rc != 0) {
        /* an unknown id finds nothing, as for get */
        int status = rc == 1 && similar && code && strcmp(code, "not_found") == 0
                         ? NQ_EXIT_NOTHING
                         : NQ_EXIT_ERROR;
        json_decref(obj);
        return status;
    }
    warn_missing(obj);
    long long total = json_int(obj, "total"), shown = json_int(obj, "shown");
    long limit = o->limit >= 0 ? o->limit : NEWSD_DEFAULT_LIMIT;
    if (!o->json) {
        size_t i;
        json_t *hit;
        json_array_foreach(json_object_get(obj, "hits"), i, hit) print_hit(hit);
        /* Xapian's total is exact once the match ran out of documents before filling
         * the page, and with facets (which count every match); a full page may have more
         * behind it than the estimate says. */
        bool about = !o->exact && !o->facets && shown == limit;
        print_search_footer(total, shown, o->offset > 0 ? o->offset : 0, about,
                            json_int(obj, "took_us"));
        if (similar) print_terms(obj);
        if (o->facets) print_facets(obj);
        print_query_notes(obj, shown > 0);
    }
    json_decref(obj);
    return shown > 0 || (limit == 0 && total > 0) ? NQ_EXIT_FOUND : NQ_EXIT_NOTHING;
}

static int cmd_count(const struct nq_opts *o, struct nq_conn *c)
{
    static struct req r;
    req_add(&r, "COUNT format=json");
    add_filters(&r, o);
    if (o->partial) req_add(&r, " partial=1");
    req_add(&r, " -- %s", o->query);
    json_t *obj;
    const char *code = NULL, *msg = NULL;
    int rc = exchange(o, c, &r, &obj, &code, &msg);
    if (rc != 0) {
        json_decref(obj);
        return NQ_EXIT_ERROR;
    }
    warn_missing(obj);
    long long n = json_int(obj, "count");
    if (!o->json) printf("%lld\n", n);
    json_decref(obj);
    return n > 0 ? NQ_EXIT_FOUND : NQ_EXIT_NOTHING;
}

static int cmd_get(const struct nq_opts *o, struct nq_conn *c)
{
    static struct req r;
    req_add(&r, "GET format=json -- %s", o->id);
    json_t *obj;
    const char *code = NULL, *msg = NULL;
    int rc = exchange(o, c, &r, &obj, &code, &msg);
    if (rc == 0 && !o->json) print_doc(json_object_get(obj, "doc"));
    int status = rc == 0 ? NQ_EXIT_FOUND
                 : rc == 1 && strcmp(code, "not_found") == 0 ? NQ_EXIT_NOTHING : NQ_EXIT_ERROR;
    json_decref(obj);
    return status;
}

/* DUPS ID: the cluster, exit 1 for an unknown id (as get). */
static int cmd_dups(const struct nq_opts *o, struct nq_conn *c)
{
    static struct req r;
    req_add(&r, "DUPS format=json -- %s", o->id);
    json_t *obj;
    const char *code = NULL, *msg = NULL;
    int rc = exchange(o, c, &r, &obj, &code, &msg);
    if (rc == 0 && !o->json) print_dups(obj);
    int status = rc == 0 ? NQ_EXIT_FOUND
                 : rc == 1 && strcmp(code, "not_found") == 0 ? NQ_EXIT_NOTHING : NQ_EXIT_ERROR;
    json_decref(obj);
    return status;
}

/* STATS or STATUS: a request without argument whose reply is printed as name/value rows. */
static int cmd_rows(const struct nq_opts *o, struct nq_conn *c, const char *command)
{
    static struct req r;
    req_add(&r, "%s format=json", command);
    json_t *obj;
    const char *code = NULL, *msg = NULL;
    int rc = exchange(o, c, &r, &obj, &code, &msg);
    if (rc == 0 && !o->json) print_stats(obj);
    json_decref(obj);
    return rc == 0 ? NQ_EXIT_FOUND : NQ_EXIT_ERROR;
}

/* ---- reindex and status ---- */

/* A path as one REINDEX argument: bare when it has no space or quote, else a JSON string. */
static void req_add_path(struct req *r, const char *path)
{
    if (!strpbrk(path, " \t\"")) {
        req_add(r, " %s", path);
        return;
    }
    json_t *s = json_string(path);
    char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    if (q) req_add(r, " %s", q);
    else r->overflow = true;
    free(q);
    json_decref(s);
}

static double jnum(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : -1;
}

/* The progress line on a terminal: documents, MB/s and the time left. */
static void show_progress(json_t *st)
{
    double eta = jnum(st, "eta_s");
    size_t n;
    fprintf(stderr, "\rreindex: %s, %lld documents, %.1f MB/s", json_str(st, "phase", &n),
            json_int(st, "docs"), jnum(st, "mb_per_s") > 0 ? jnum(st, "mb_per_s") : 0.0);
    if (eta >= 0) fprintf(stderr, ", %.0f s left", eta);
    fputs("    ", stderr);
}

static int authenticate(struct nq_conn *c, const char *token);

static int cmd_reindex(const struct nq_opts *o, struct nq_conn *c, const char *token)
{
    if (token && !net_is_unix(c)) {
        int rc = authenticate(c, token);
        if (rc) return rc;
    }
    static struct req r;
    if (o->cancel) {
        req_add(&r, "REINDEX format=json cancel=1");
    } else {
        req_add(&r, "REINDEX format=json --");
        for (int i = 0; i < o->npaths; i++) req_add_path(&r, o->paths[i]);
    }
    json_t *obj;
    const char *code = NULL, *msg = NULL;
    if (exchange(o, c, &r, &obj, &code, &msg) != 0) {
        json_decref(obj);
        return NQ_EXIT_ERROR;
    }
    long long job = json_int(obj, "job");
    json_decref(obj);
    if (o->cancel) {
        if (!o->json) printf("cancelling the rebuild\n");
        return NQ_EXIT_FOUND;
    }
    if (o->detach) {
        if (!o->json) printf("rebuild %lld started; newsq status follows it\n", job);
        return NQ_EXIT_FOUND;
    }
    bool tty = isatty(STDERR_FILENO) && !o->json;
    for (;;) {
        struct timespec ts = { NEWSQ_REINDEX_POLL_MS / 1000,
                               (NEWSQ_REINDEX_POLL_MS % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        r.len = 0;
        r.overflow = false;
        req_add(&r, "STATUS format=json");
        struct nq_opts quiet = *o;
        quiet.json = false;     /* --json prints only the last STATUS */
        if (exchange(&quiet, c, &r, &obj, &code, &msg) != 0) {
            json_decref(obj);
            if (tty) fputc('\n', stderr);
            return NQ_EXIT_ERROR;
        }
        size_t n;
        const char *state = json_str(obj, "state", &n);
        if (json_int(obj, "job") != job) {
            if (tty) fputc('\n', stderr);
            fprintf(stderr, "newsq: the daemon no longer reports rebuild %lld (it restarted?)\n",
                    job);
            json_decref(obj);
            return NQ_EXIT_ERROR;
        }
        if (strcmp(state, "running") == 0 || strcmp(state, "switching") == 0) {
            if (tty) show_progress(obj);
            json_decref(obj);
            continue;
        }
        if (tty) fputs("\r\033[K", stderr);
        if (o->json) {   /* the reply as the daemon sent it */
            fputs(c->line, stdout);
            fputc('\n', stdout);
        }
        int rc = NQ_EXIT_FOUND;
        if (strcmp(state, "done") == 0) {
            if (!o->json)
                printf("reindexed %lld documents from %lld path%s in %.1f s (%.1f MB/s); "
                       "%lld live write%s carried over; the index holds %lld documents\n",
                       json_int(obj, "docs"), json_int(obj, "paths"),
                       json_int(obj, "paths") == 1 ? "" : "s", jnum(obj, "elapsed_s"),
                       jnum(obj, "mb_per_s") > 0 ? jnum(obj, "mb_per_s") : 0.0,
                       json_int(obj, "live_writes"), json_int(obj, "live_writes") == 1 ? "" : "s",
                       json_int(obj, "documents"));
        } else {
            fprintf(stderr, "newsq: reindex failed: %s\n", json_str(obj, "message", &n));
            rc = NQ_EXIT_ERROR;
        }
        json_decref(obj);
        return rc;
    }
}

/* ---- add: pipelined ADDs ---- */

#define ADD_PREFIX "ADD format=json -- "

struct adder {
    const struct nq_opts *o;
    struct nq_conn *c;
    FILE *w;                          /* buffered writer over the connection */
    const char *name;                 /* the input, for messages */
    bool refused;                     /* the daemon said unauthorized or read_only: send
                                         no more */
    long pending[NEWSQ_ADD_WINDOW];   /* line numbers of the ADDs awaiting replies, in order */
    size_t head, npending;
    long added, failed;
};

static void add_failure(struct adder *a, long lineno, const char *code, const char *msg)
{
    char where[300];
    snprintf(where, sizeof where, "%s:%ld: ", a->name, lineno);
    server_error_at(where, code, msg);
    a->failed++;
}

/* Reads the reply to the oldest ADD in flight.  Returns 0, or -1 when none came. */
static int take_reply(struct adder *a)
{
    long lineno = a->pending[a->head];
    size_t len;
    if (net_read_line(a->c, &len) < 0) return -1;
    a->head = (a->head + 1) % NEWSQ_ADD_WINDOW;
    a->npending--;
    if (a->o->json) {
        fwrite(a->c->line, 1, len, stdout);
        fputc('\n', stdout);
    }
    json_t *obj;
    const char *code = NULL, *msg = NULL;
    int rc = net_parse_reply(a->c, len, &obj, &code, &msg);
    if (rc == 0) {
        a->added++;
    } else if (rc == 1 && (strcmp(code, "unauthorized") == 0 || strcmp(code, "read_only") == 0)) {
        /* Every record after it would be refused alike: say it once, and why. */
        if (!a->refused) {
            add_failure(a, lineno, code, msg);
            if (strcmp(code, "read_only") == 0)
                fprintf(stderr, "newsq: %s serves a read-only replica; send writes to its "
                        "master's newsd\n", a->c->where);
            else
                fprintf(stderr, "newsq: %s does not take writes from this connection; give "
                        "newsq --auth-token-file FILE (or NEWSQ_AUTH_TOKEN_FILE) with newsd's "
                        "token, or use newsd's Unix socket (-a unix:PATH)\n", a->c->where);
        } else {
            a->failed++;
        }
        a->refused = true;
    } else if (rc == 1) {
        add_failure(a, lineno, code, msg);
    }
    json_decref(obj);
    return rc < 0 ? -1 : 0;
}

static int flush_requests(struct adder *a)
{
    if (fflush(a->w) == 0) return 0;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        fprintf(stderr, "newsq: %s took more than %g s to take a request (--timeout)\n",
                a->c->where, a->o->timeout_s);
    else
        fprintf(stderr, "newsq: lost the connection to %s: %s\n", a->c->where, strerror(errno));
    return -1;
}

static int drain(struct adder *a)
{
    if (a->npending && flush_requests(a) < 0) return -1;
    while (a->npending)
        if (take_reply(a) < 0) return -1;
    return 0;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return false;
    return true;
}

static int send_lines(struct adder *a, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && !a->refused && (got = getline(&line, &cap, in)) >= 0) {
        size_t n = (size_t)got;
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        if (is_blank(line, n)) continue;
        if (n > NEWSD_MAX_LINE - strlen(ADD_PREFIX)) {
            /* newsd would close the connection; report it in its place among the replies. */
            rc = drain(a);
            char why[80];
            snprintf(why, sizeof why, "record longer than the %u bytes a request may hold",
                     NEWSD_MAX_LINE);
            if (rc == 0) add_failure(a, lineno, "too_long", why);
            continue;
        }
        fputs(ADD_PREFIX, a->w);
        fwrite(line, 1, n, a->w);
        fputc('\n', a->w);
        a->pending[(a->head + a->npending) % NEWSQ_ADD_WINDOW] = lineno;
        a->npending++;
        if (a->npending == NEWSQ_ADD_WINDOW)
            rc = flush_requests(a) < 0 || take_reply(a) < 0 ? -1 : 0;
    }
    if (rc == 0 && ferror(in)) {
        fprintf(stderr, "newsq: reading %s: %s\n", a->name, strerror(errno));
        rc = -1;
        drain(a);
    }
    if (rc == 0) rc = drain(a);
    if (rc == 0 && a->refused && getline(&line, &cap, in) >= 0)
        fprintf(stderr, "newsq: stopped after line %ld of %s: the rest was not sent\n", lineno,
                a->name);
    free(line);
    return rc;
}

/* AUTH with the token, before any write on a TCP connection.  Returns 0, or
 * NQ_EXIT_ERROR after printing why.  The reply is not echoed, even with --json: the
 * output of `add --json` is one object per record. */
static int authenticate(struct nq_conn *c, const char *token)
{
    /* An address newsq fell back to on its own may be anyone's port on this host. */
    if (!c->named) {
        fprintf(stderr, "newsq: not sending the token to %s, which newsq fell back to on its "
                "own; name the daemon's address with -a or NEWSQ_ADDR to send it there\n",
                c->where);
        return NQ_EXIT_ERROR;
    }
    static struct req r;
    req_add(&r, "AUTH format=json -- %s\n", token);
    size_t len;
    if (net_write(c, r.buf, r.len) < 0 || net_read_line(c, &len) < 0) return NQ_EXIT_ERROR;
    json_t *obj;
    const char *code = NULL, *msg = NULL;
    int rc = net_parse_reply(c, len, &obj, &code, &msg);
    if (rc == 1) server_error(code, msg);
    json_decref(obj);
    return rc == 0 ? 0 : NQ_EXIT_ERROR;
}

static int cmd_add(const struct nq_opts *o, struct nq_conn *c, FILE *in, const char *token)
{
    if (token && !net_is_unix(c)) {
        int rc = authenticate(c, token);
        if (rc) return rc;
    }
    struct adder a = { .o = o, .c = c, .name = strcmp(o->file, "-") ? o->file : "stdin" };
    int wfd = dup(c->fd);
    a.w = wfd >= 0 ? fdopen(wfd, "w") : NULL;
    if (!a.w) {
        fprintf(stderr, "newsq: %s\n", strerror(errno));
        if (wfd >= 0) close(wfd);
        return NQ_EXIT_ERROR;
    }
    signal(SIGPIPE, SIG_IGN);   /* a daemon that goes away is reported, not fatal */
    int rc = send_lines(&a, in);
    if (rc < 0 && a.npending)
        fprintf(stderr, "newsq: %zu record%s from line %ld on not confirmed\n", a.npending,
                a.npending == 1 ? "" : "s", a.pending[a.head]);
    fprintf(o->json ? stderr : stdout, "added %ld, failed %ld\n", a.added, a.failed);
    fclose(a.w);
    return rc < 0 || a.failed ? NQ_EXIT_ERROR : NQ_EXIT_FOUND;
}

int main(int argc, char **argv)
{
    struct nq_opts o;
    int rc = opts_parse(&o, argc, argv);
    if (rc) return rc;
    if (o.cmd == NQ_HELP || o.cmd == NQ_VERSION) {
        if (o.cmd == NQ_HELP) opts_usage(stdout);
        else printf("newsq %s\n", NEWSQ_VERSION);
        return fflush(stdout) == 0 ? 0 : NQ_EXIT_ERROR;
    }
    print_init(stdout, o.color);

    FILE *in = NULL;
    /* Read before connecting, so that a bad token file is reported on its own; only
     * add and reindex write, so only they read it. */
    static char token[NEWSD_AUTH_TOKEN_MAX_LEN + 1];
    bool have_token = false;
    if ((o.cmd == NQ_ADD || o.cmd == NQ_REINDEX) && o.token_file) {
        char err[600];
        size_t token_len;
        if (auth_token_load(o.token_file, token, &token_len, err, sizeof err) != 0) {
            fprintf(stderr, "newsq: %s\n", err);
            opts_free(&o);
            return NQ_EXIT_ERROR;
        }
        have_token = true;
    }
    if (o.cmd == NQ_ADD) {
        in = strcmp(o.file, "-") == 0 ? stdin : fopen(o.file, "r");
        if (!in) {
            fprintf(stderr, "newsq: cannot read %s: %s\n", o.file, strerror(errno));
            return NQ_EXIT_ERROR;
        }
    }
    struct nq_conn c;
    rc = net_open(&c, o.addr, o.timeout_s);
    if (rc == 0) {
        switch (o.cmd) {
        case NQ_SEARCH:
        case NQ_SIMILAR: rc = cmd_search(&o, &c); break;
        case NQ_COUNT: rc = cmd_count(&o, &c); break;
        case NQ_GET: rc = cmd_get(&o, &c); break;
        case NQ_DUPS: rc = cmd_dups(&o, &c); break;
        case NQ_STATS: rc = cmd_rows(&o, &c, "STATS"); break;
        case NQ_ADD: rc = cmd_add(&o, &c, in, have_token ? token : NULL); break;
        case NQ_REINDEX: rc = cmd_reindex(&o, &c, have_token ? token : NULL); break;
        case NQ_STATUS: rc = cmd_rows(&o, &c, "STATUS"); break;
        default: rc = NQ_EXIT_ERROR; break;
        }
    }
    net_close(&c);
    if (in && in != stdin) fclose(in);
    opts_free(&o);
    if (fflush(stdout) != 0 && rc != NQ_EXIT_ERROR) {
        fprintf(stderr, "newsq: writing the output: %s\n", strerror(errno));
        rc = NQ_EXIT_ERROR;
    }
    return rc;
}
