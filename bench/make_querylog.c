/*
 * make_querylog: builds the benchmark's query log from the shipped corpus.
 *
 * Real query logs of news sites are mostly one to three content words ("cocoa",
 * "opec output", "bank of england rates" minus its stopwords) and quoted two-word names
 * ("west germany").  Lacking such a log, this program draws that mix from the text the
 * index holds, so every query is made of words that occur together in some article:
 *   35% one word, 30% two words, 10% three words, 25% a two-word phrase in quotes.
 * Words are picked from one title (40%) or a window of one body (60%); multi-word
 * queries take words that occur close together, as users type names and topics.
 * Stopwords, news boilerplate ("said", "reuter"), words with digits and words under
 * three letters are skipped; the phrases are two adjacent words of the original text.
 *
 * The sequence depends only on the seed and the corpus (a fixed splitmix64 generator,
 * not rand()), so `make_querylog -s 7 -n 2000 corpus/reuters21578 > bench/queries.txt`
 * regenerates the committed log.  Duplicates are dropped, so the log has n distinct lines.
 *
 * With -z EXPONENT it writes a log of realistic shape instead: the generator above makes
 * a pool of -p POOL distinct queries (default 50,000), the pool's k-th query is given
 * the weight 1/k^EXPONENT (a Zipf law, as the popularity of real search queries), and
 * COUNT queries are drawn from it with replacement, in draw order.  A few queries then
 * come back again and again while most are seen once: the long tail a document cache
 * meets in a real service.  `make_querylog -s 7 -n 2000 -p 50000 -z 0.8 corpus >
 * bench/queries-zipf.txt` regenerates the committed one; the counts (distinct queries,
 * queries seen once, the most repeated one's count) are printed on stderr.
 *
 *   make_querylog [-s SEED] [-n COUNT] [-p POOL -z EXPONENT] PATH...
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_corpus.h"

#define DEFAULT_SEED 7
#define DEFAULT_COUNT 2000
#define MIN_WORD 3           /* shorter words are mostly abbreviations and noise */
#define MAX_WORD 20          /* longer "words" are glued tokens from the markup */
#define WINDOW 12            /* multi-word queries pick words this close together */
#define MAX_TRIES 200        /* draws per query before giving up on a document */
#define DEFAULT_POOL 50000   /* the Zipf log's pool of distinct queries (-p) */
#define MAX_POOL 10000000    /* a pool bigger than this is a typo, not a benchmark */
#define MAX_EXPONENT 5.0     /* past this the log is one query repeated */
#define USAGE "usage: make_querylog [-s SEED] [-n COUNT] [-p POOL -z EXPONENT] PATH...\n"

/* The usual English stopwords, plus words every Reuters story has and nobody searches. */
static const char *const STOPWORDS[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down",
    "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he",
    "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no",
    "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
    "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such",
    "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves",
    "near", "xor",  /* query-syntax words in any case, to keep queries portable */
    /* news boilerplate and Reuters abbreviations */
    "said", "says", "say", "reuter", "reuters", "told", "added", "mln", "pct", "dlrs",
    "cts", "billion", "million", "year", "years", "last", "new", "one", "two", "first",
    "may", "april", "march", "june", "january", "february", "july", "august",
    "september", "october", "november", "december", "week", "today", "yesterday",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "inc", "corp", "ltd", "company", "shr", "net", "qtr", "avg", "shrs", "vs", "dlr",
    "mths", "oper", "rev", "revs", "per", "prior",
};

typedef struct doc {
    char *title;
    char *body;
} doc_t;

typedef struct docs {
    doc_t *v;
    size_t n, cap;
} docs_t;

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

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char **stop_sorted;
static size_t stop_n;

static int is_stopword(const char *w)
{
    return bsearch(&w, stop_sorted, stop_n, sizeof *stop_sorted, cmp_str) != NULL;
}

static char *dup_or_empty(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        perror("make_querylog");
        exit(1);
    }
    return d;
}

static int collect(void *ctx, const newsidx_doc_t *d)
{
    docs_t *docs = ctx;
    if (docs->n == docs->cap) {
        docs->cap = docs->cap ? docs->cap * 2 : 1024;
        docs->v = realloc(docs->v, docs->cap * sizeof *docs->v);
        if (!docs->v) {
            perror("make_querylog");
            exit(1);
        }
    }
    docs->v[docs->n].title = dup_or_empty(d->title);
    docs->v[docs->n].body = dup_or_empty(d->body);
    docs->n++;
    return 0;
}

/*
 * Splits text into tokens (maximal runs of letters, digits, ' and -) and keeps, in
 * order, one entry per token: the lowercased word if usable, or "" as a gap, so that
 * "adjacent in the text" survives for phrases.  Returns the count; words point into buf.
 */
static size_t tokenize(const char *text, char *buf, size_t bufsize, char **words, size_t max)
{
    size_t n = 0, used = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p && n < max) {
        while (*p && !(isalnum(*p) || *p == '\'' || *p == '-' || *p >= 0x80)) p++;
        if (!*p) break;
        const unsigned char *s = p;
        while (*p && (isalnum(*p) || *p == '\'' || *p == '-' || *p >= 0x80)) p++;
        size_t len = (size_t)(p - s);
        int ok = len >= MIN_WORD && len <= MAX_WORD && used + len + 1 <= bufsize;
        for (size_t i = 0; ok && i < len; i++)
            ok = isalpha(s[i]);  /* no digits, hyphens, apostrophes or non-ASCII */
        if (ok) {
            char *w = buf + used;
            for (size_t i = 0; i < len; i++) w[i] = (char)tolower(s[i]);
            w[len] = '\0';
            used += len + 1;
            words[n++] = is_stopword(w) ? (char *)"" : w;
        } else {
            words[n++] = (char *)"";
        }
    }
    return n;
}

/* Open addressing over the queries already written, to drop duplicates. */
typedef struct seen {
    char **slot;
    size_t cap;
} seen_t;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

/* Returns 1 if q was new (and remembers it). */
static int seen_add(seen_t *t, const char *q)
{
    size_t i = hash_str(q) & (t->cap - 1);
    while (t->slot[i]) {
        if (strcmp(t->slot[i], q) == 0) return 0;
        i = (i + 1) & (t->cap - 1);
    }
    t->slot[i] = dup_or_empty(q);
    return 1;
}

/* Builds one query from one document into q; returns 0 on success. */
static int make_query(const doc_t *d, char *q, size_t qsize)
{
    static char buf[1 << 20];
    static char *words[1 << 17];
    int from_title = rng_below(100) < 40 && d->title[0];
    size_t n = tokenize(from_title ? d->title : d->body, buf, sizeof buf, words,
                        sizeof words / sizeof *words);
    if (n == 0) return -1;
    unsigned kind = (unsigned)rng_below(100);
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        size_t i = rng_below(n);
        if (!words[i][0]) continue;
        if (kind >= 75) {  /* a phrase: this word and the next in the text */
            if (i + 1 >= n || !words[i + 1][0] || strcmp(words[i], words[i + 1]) == 0)
                continue;
            snprintf(q, qsize, "\"%s %s\"", words[i], words[i + 1]);
            return 0;
        }
        size_t want = kind < 35 ? 1 : kind < 65 ? 2 : 3;
        const char *pick[3] = {words[i], NULL, NULL};
        size_t got = 1;
        for (int t = 0; got < want && t < 4 * WINDOW; t++) {
            size_t j = i + 1 + rng_below(WINDOW);
            if (j >= n || !words[j][0]) continue;
            int dup = 0;
            for (size_t k = 0; k < got; k++) dup |= strcmp(pick[k], words[j]) == 0;
            if (!dup) pick[got++] = words[j];
        }
        if (got < want) continue;
        snprintf(q, qsize, "%s%s%s%s%s", pick[0], got > 1 ? " " : "", got > 1 ? pick[1] : "",
                 got > 2 ? " " : "", got > 2 ? pick[2] : "");
        return 0;
    }
    return -1;
}

/* Index of the first cdf[k] > u (cdf ascending, cdf[n-1] = 1). */
static size_t cdf_find(const double *cdf, size_t n, double u)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u) hi = mid; else lo = mid + 1;
    }
    return lo;
}

/*
 * Draws count queries from pool[0..n) with weight 1/(k+1)^exponent for pool[k] and
 * prints them; the shape of the result goes to stderr.  Returns 0, or 1 out of memory.
 */
static int draw_zipf(char **pool, size_t n, long count, double exponent)
{
    double *cdf = malloc(n * sizeof *cdf);
    unsigned *times = calloc(n, sizeof *times);
    if (!cdf || !times) {
        free(cdf);
        free(times);
        return 1;
    }
    double sum = 0;
    for (size_t k = 0; k < n; k++) cdf[k] = sum += pow((double)(k + 1), -exponent);
    for (size_t k = 0; k < n; k++) cdf[k] /= sum;
    cdf[n - 1] = 1.0;
    for (long i = 0; i < count; i++) {
        /* 53 random bits: a uniform double in [0, 1) */
        size_t k = cdf_find(cdf, n, (double)(rng_next() >> 11) / 9007199254740992.0);
        times[k]++;
        puts(pool[k]);
    }
    size_t distinct = 0, once = 0, top = 0, top_k = 0;
    for (size_t k = 0; k < n; k++) {
        distinct += times[k] > 0;
        once += times[k] == 1;
        if (times[k] > top) top = times[k], top_k = k;
    }
    fprintf(stderr, "make_querylog: zipf exponent=%.2f pool=%zu queries=%ld distinct=%zu "
            "seen_once=%zu top=%zu top_query=%s\n", exponent, n, count, distinct, once, top,
            top ? pool[top_k] : "");
    free(cdf);
    free(times);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t seed = DEFAULT_SEED;
    long count = DEFAULT_COUNT, pool = DEFAULT_POOL;
    double exponent = 0;
    int opt;
    char *end;
    while ((opt = getopt(argc, argv, "s:n:p:z:")) != -1) {
        switch (opt) {
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'n': count = strtol(optarg, NULL, 10); break;
        case 'p': pool = strtol(optarg, NULL, 10); break;
        case 'z':
            exponent = strtod(optarg, &end);
            if (*end || !(exponent > 0 && exponent <= MAX_EXPONENT)) {
                fprintf(stderr, "make_querylog: -z %s: the exponent must be a number in (0, %.0f]\n",
                        optarg, MAX_EXPONENT);
                return 2;
            }
            break;
        default: fputs(USAGE, stderr); return 2;
        }
    }
    if (optind >= argc || count <= 0 || pool <= 0 || pool > MAX_POOL) {
        fputs(USAGE, stderr);
        return 2;
    }
    stop_n = sizeof STOPWORDS / sizeof *STOPWORDS;
    stop_sorted = malloc(stop_n * sizeof *stop_sorted);
    if (!stop_sorted) return 1;
    memcpy(stop_sorted, STOPWORDS, stop_n * sizeof *stop_sorted);
    qsort(stop_sorted, stop_n, sizeof *stop_sorted, cmp_str);

    docs_t docs = {0};
    bench_corpus_stats_t stats;
    if (bench_corpus_each((const char *const *)argv + optind, argc - optind, collect, &docs,
                          &stats) != 0 || docs.n == 0) {
        fprintf(stderr, "make_querylog: no documents read\n");
        return 1;
    }
    /* The distinct queries to write, or the Zipf log's pool to draw from. */
    long distinct = exponent > 0 ? pool : count;
    char **made = exponent > 0 ? malloc((size_t)pool * sizeof *made) : NULL;
    if (exponent > 0 && !made) return 1;
    seen_t seen = {NULL, 1};
    while (seen.cap < (size_t)distinct * 4) seen.cap *= 2;
    seen.slot = calloc(seen.cap, sizeof *seen.slot);
    if (!seen.slot) return 1;

    rng_state = seed;
    char q[256];
    long written = 0, attempts = 0;
    while (written < distinct) {
        if (++attempts > distinct * 100L) {
            fprintf(stderr, "make_querylog: only %ld distinct queries found\n", written);
            return 1;
        }
        if (make_query(&docs.v[rng_below(docs.n)], q, sizeof q) != 0) continue;
        if (!seen_add(&seen, q)) continue;
        if (made) made[written] = dup_or_empty(q);
        else puts(q);
        written++;
    }
    if (made && draw_zipf(made, (size_t)pool, count, exponent) != 0) {
        perror("make_querylog");
        return 1;
    }
    fprintf(stderr, "make_querylog: queries=%ld docs=%zu seed=%llu\n", made ? count : written,
            docs.n, (unsigned long long)seed);
    /* Everything freed, so that a sanitizer build reports no leak. */
    for (long i = 0; made && i < written; i++) free(made[i]);
    free(made);
    for (size_t i = 0; i < seen.cap; i++) free(seen.slot[i]);
    free(seen.slot);
    for (size_t i = 0; i < docs.n; i++) {
        free(docs.v[i].title);
        free(docs.v[i].body);
    }
    free(docs.v);
    free(stop_sorted);
    return 0;
}
