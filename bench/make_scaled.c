/*
 * make_scaled: a synthetic corpus N times the size of the input, for the scale run of
 * bench/scale.sh: how index time, index size, query latency and daemon memory grow.
 *
 * Every generated document is made of real text recombined: a template document drawn
 * from the input gives its source, topics, places, date and number of sentences; its
 * title is the title of another document of the same source; its body is that many
 * sentences drawn from all the bodies of that source.  So the vocabulary, the word and
 * sentence frequencies, the document lengths and the mix of sources are the input's,
 * while each document is new; phrases inside a sentence survive, phrases across
 * sentences mostly do not.  Dates are the template's moved forward by up to N years (a
 * random day, the same time of day), so a 10x corpus spans ten times the years.
 * Ids are "scaled-1" ... "scaled-<N*docs>", unique and disjoint from the input's;
 * input records with neither title nor body are left out of the count and the draws.
 * The output is cut into files of equal document counts (-f, default 10 per input
 * size), because newsindex gives each parallel builder a range of whole files: one
 * big file would be built by one thread.
 *
 * The input (about 23 MB of text for corpus/) is held in memory; the output is
 * streamed, one JSON Lines record at a time (the format newsindex reads, newsindex(8),
 * "INPUT FORMATS"), so a 10x corpus of ~300 MB never is.  The output depends only on the
 * seed, N and the input (a fixed splitmix64 generator, as make_querylog uses).
 *
 *   make_scaled [-s SEED] -x N [-f FILES] -o DIR PATH...
 * writes DIR/scaled-0001.jsonl ... (DIR must exist) and prints one
 * "make_scaled: docs=... bytes=..." line on stdout.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_corpus.h"

#define DEFAULT_SEED 11
#define MAX_FACTOR 1000          /* 1000x the shipped corpus would be ~33 GB */
#define MAX_SOURCES 256          /* distinct sources kept apart; the rest share one pool */
#define SECONDS_PER_DAY 86400
#define DAYS_PER_YEAR 365
#define FILES_PER_FACTOR 10      /* default output files per input size: ~2.5 MB each */
#define MAX_FILES 9999           /* the file names have four digits */

typedef struct span {
    size_t off, len;             /* into the arena */
} span_t;

typedef struct vec {             /* a growable array of spans */
    span_t *v;
    size_t n, cap;
} vec_t;

typedef struct tmpl {            /* what a generated document takes from its template */
    span_t title;
    span_t meta;                 /* ,"source":...,"topics":[...],"places":[...] as JSON */
    int64_t date;                /* Unix time, or -1 when the record has none */
    uint32_t source;             /* index into sources */
    uint32_t sentences;
} tmpl_t;

static struct {
    char *arena;
    size_t used, cap;
    tmpl_t *docs;
    size_t ndocs, docs_cap;
    char *source_name[MAX_SOURCES];
    vec_t titles[MAX_SOURCES];   /* per source: its documents' titles */
    vec_t sentences[MAX_SOURCES];/* per source: every sentence of its bodies */
    uint32_t nsources;
} g;

static void die_oom(void)
{
    fprintf(stderr, "make_scaled: out of memory\n");
    exit(1);
}

/* splitmix64: tiny, well-mixed and the same on every platform. */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static size_t rng_below(size_t n) { return n ? (size_t)(rng_next() % n) : 0; }

static span_t arena_add(const char *s, size_t len)
{
    if (g.cap - g.used < len) {
        size_t cap = g.cap ? g.cap : 1 << 20;
        while (cap - g.used < len) cap *= 2;
        char *a = realloc(g.arena, cap);
        if (!a) die_oom();
        g.arena = a;
        g.cap = cap;
    }
    memcpy(g.arena + g.used, s, len);
    span_t sp = {g.used, len};
    g.used += len;
    return sp;
}

static void vec_push(vec_t *v, span_t s)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->v = realloc(v->v, v->cap * sizeof *v->v);
        if (!v->v) die_oom();
    }
    v->v[v->n++] = s;
}

/* ---- JSON output ---- */

/* Writes s[0..len) as a JSON string body (no quotes): escapes ", \ and control bytes;
 * the readers hand over valid UTF-8, which JSON takes as it is. */
static void put_escaped(FILE *out, const char *s, size_t len)
{
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        fwrite(s + from, 1, i - from, out);
        from = i + 1;
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c == '\n') fputs("\\n", out);
        else if (c == '\t') fputs("\\t", out);
        else fprintf(out, "\\u%04x", c);
    }
    fwrite(s + from, 1, len - from, out);
}

/* ---- reading the input ---- */

/* A document's source as an index into g.source_name; past MAX_SOURCES, the last. */
static uint32_t source_index(const char *name)
{
    for (uint32_t i = 0; i < g.nsources; i++)
        if (strcmp(g.source_name[i], name) == 0) return i;
    if (g.nsources == MAX_SOURCES) return MAX_SOURCES - 1;
    if (!(g.source_name[g.nsources] = strdup(name))) die_oom();
    return g.nsources++;
}

/* "YYYY-MM-DDThh:mm:ssZ" (the readers' form) as Unix time, or -1. */
static int64_t parse_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

/* The source, topics and places of d as the JSON members that follow the date. */
static span_t meta_of(const newsidx_doc_t *d)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (!m) die_oom();
    if (d->source && d->source[0]) {
        fputs(",\"source\":\"", m);
        put_escaped(m, d->source, strlen(d->source));
        fputc('"', m);
    }
    const char *const *lists[2] = {d->topics, d->places};
    size_t counts[2] = {d->ntopics, d->nplaces};
    const char *keys[2] = {"topics", "places"};
    for (int k = 0; k < 2; k++) {
        if (counts[k] == 0) continue;
        fprintf(m, ",\"%s\":[", keys[k]);
        for (size_t i = 0; i < counts[k]; i++) {
            fputs(i ? ",\"" : "\"", m);
            put_escaped(m, lists[k][i], strlen(lists[k][i]));
            fputc('"', m);
        }
        fputc(']', m);
    }
    if (fclose(m) != 0) die_oom();
    span_t sp = arena_add(buf, size);
    free(buf);
    return sp;
}

static int is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

/*
 * Cuts body into sentences and adds them to the source's pool; returns how many.  A
 * sentence ends after '.', '!' or '?' followed by white space, or at a blank line
 * (paragraph break, list items and tables); "U.S. officials" is cut too, harmlessly:
 * the pieces are still real text.  Leading and trailing white space is dropped.
 */
static uint32_t add_sentences(uint32_t src, const char *body)
{
    uint32_t n = 0;
    const char *p = body;
    while (*p) {
        while (is_space(*p)) p++;
        if (!*p) break;
        const char *s = p;
        while (*p) {
            if ((*p == '.' || *p == '!' || *p == '?') && is_space(p[1])) {
                p++;
                break;
            }
            if (*p == '\n' && p[1] == '\n') break;
            p++;
        }
        const char *e = p;
        while (e > s && is_space(e[-1])) e--;
        if (e > s) {
            vec_push(&g.sentences[src], arena_add(s, (size_t)(e - s)));
            n++;
        }
    }
    return n;
}

static int collect(void *ctx, const newsidx_doc_t *d)
{
    uint64_t *empty = ctx;
    /* A record with neither title nor body (Reuters NEWID 12793) is no template: a copy
     * of it would be a JSON record newsindex refuses. */
    int has_title = d->title && d->title[0], has_body = d->body && strspn(d->body, " \n\t\r") < strlen(d->body);
    if (!has_title && !has_body) {
        ++*empty;
        return 0;
    }
    if (g.ndocs == g.docs_cap) {
        g.docs_cap = g.docs_cap ? g.docs_cap * 2 : 4096;
        g.docs = realloc(g.docs, g.docs_cap * sizeof *g.docs);
        if (!g.docs) die_oom();
    }
    tmpl_t *t = &g.docs[g.ndocs++];
    t->source = source_index(d->source ? d->source : "");
    /* Only real titles are drawn: a document gets an empty one only when its source has
     * none at all, and then its template has a body. */
    t->title = arena_add(has_title ? d->title : "", has_title ? strlen(d->title) : 0);
    if (has_title) vec_push(&g.titles[t->source], t->title);
    t->meta = meta_of(d);
    t->date = parse_date(d->date);
    t->sentences = add_sentences(t->source, d->body ? d->body : "");
    return 0;
}

/* ---- writing ---- */

static void write_doc(FILE *out, uint64_t number, unsigned factor)
{
    const tmpl_t *t = &g.docs[rng_below(g.ndocs)];
    const vec_t *titles = &g.titles[t->source], *pool = &g.sentences[t->source];
    span_t title = titles->n ? titles->v[rng_below(titles->n)] : t->title;
    fprintf(out, "{\"id\":\"scaled-%llu\",\"title\":\"", (unsigned long long)number);
    put_escaped(out, g.arena + title.off, title.len);
    fputs("\",\"body\":\"", out);
    for (uint32_t i = 0; i < t->sentences && pool->n; i++) {
        span_t s = pool->v[rng_below(pool->n)];
        if (i) fputc(' ', out);
        put_escaped(out, g.arena + s.off, s.len);
    }
    fputc('"', out);
    if (t->date >= 0) {
        time_t when = (time_t)(t->date + (int64_t)rng_below((size_t)factor * DAYS_PER_YEAR) *
                                             SECONDS_PER_DAY);
        struct tm tm;
        char date[32];
        if (gmtime_r(&when, &tm) && strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm))
            fprintf(out, ",\"date\":\"%s\"", date);
    }
    fwrite(g.arena + t->meta.off, 1, t->meta.len, out);
    fputs("}\n", out);
}

/* Opens DIR/scaled-NNNN.jsonl for writing; NULL with a message on stderr. */
static FILE *open_part(const char *dir, unsigned part, char *path, size_t pathsize)
{
    snprintf(path, pathsize, "%s/scaled-%04u.jsonl", dir, part);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "make_scaled: %s: %s\n", path, strerror(errno));
    return f;
}

/* Closes f, reporting a write error (a full disk shows only here); 0 or -1. */
static int close_part(FILE *f, const char *path, uint64_t *bytes)
{
    long at = ftell(f);
    if (at > 0) *bytes += (uint64_t)at;
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "make_scaled: %s: write failed: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long long seed = DEFAULT_SEED;
    long factor = 0, files = 0;
    const char *dir = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "s:x:f:o:")) != -1) {
        char *end;
        switch (opt) {
        case 's':
            seed = strtoull(optarg, &end, 10);
            if (*end || end == optarg) goto usage;
            break;
        case 'x':
            factor = strtol(optarg, &end, 10);
            if (*end || end == optarg) goto usage;
            break;
        case 'f':
            files = strtol(optarg, &end, 10);
            if (*end || end == optarg || files < 1) goto usage;
            break;
        case 'o': dir = optarg; break;
        default: goto usage;
        }
    }
    if (files == 0) files = factor * FILES_PER_FACTOR;
    if (factor < 1 || factor > MAX_FACTOR || files > MAX_FILES || !dir || optind >= argc)
        goto usage;
    rng_state = seed;

    double t0 = bench_now();
    bench_corpus_stats_t stats;
    uint64_t empty = 0;
    if (bench_corpus_each((const char *const *)argv + optind, argc - optind, collect, &empty,
                          &stats) != 0)
        return 1;
    if (g.ndocs == 0) {
        fprintf(stderr, "make_scaled: no documents in the input\n");
        return 1;
    }
    uint64_t total = (uint64_t)factor * g.ndocs, bytes = 0;
    uint64_t per_file = (total + (uint64_t)files - 1) / (uint64_t)files;
    char path[4096];
    FILE *out = NULL;
    unsigned part = 0;
    for (uint64_t k = 1; k <= total; k++) {
        if ((k - 1) % per_file == 0) {
            if (out && close_part(out, path, &bytes) != 0) return 1;
            if (!(out = open_part(dir, ++part, path, sizeof path))) return 1;
        }
        write_doc(out, k, (unsigned)factor);
    }
    if (close_part(out, path, &bytes) != 0) return 1;
    printf("make_scaled: docs=%llu input_docs=%zu empty_input_docs=%llu sources=%u factor=%ld "
           "seed=%llu files=%u bytes=%llu seconds=%.2f\n",
           (unsigned long long)total, g.ndocs, (unsigned long long)empty, g.nsources, factor,
           seed, part, (unsigned long long)bytes, bench_now() - t0);
    return 0;
usage:
    fprintf(stderr, "usage: make_scaled [-s SEED] -x N [-f FILES] -o DIR PATH...  "
                    "(1 <= N <= %d, FILES <= %d)\n", MAX_FACTOR, MAX_FILES);
    return 2;
}
