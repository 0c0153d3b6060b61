/*
 * test_dups.c: near-duplicates through the C API (include/newsidx.h, "Near-duplicates"):
 * the fingerprint (words, case, the minimum length, small and large changes); live
 * clusters through put, replace, delete of a first member and of a member, copy_doc and
 * linked shards; folding in search and count; DUPS; and, over the shipped corpus, the
 * clusters newsidx_cluster makes against a brute-force reference of every pair within
 * NEWSD_DUP_MAX_DISTANCE: recall, the precision of every cluster (word 3-shingle
 * Jaccard), and BBC's byte-identical pairs.  Runs from the repository root.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ingest.h"
#include "newsd_limits.h"
#include "newsidx.h"

static char dir[64];

static char *path(const char *name)
{
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* A wire story of STORY_WORDS made-up words in sentences of 12, from a seed; with
 * changed >= 0, that sentence's words are drawn from another seed (a rewrite). */
#define STORY_WORDS 1200
static char STORY[STORY_WORDS * 12], REWRITE[STORY_WORDS * 12], OTHER[STORY_WORDS * 12];

static void make_story(char *out, unsigned seed, int changed)
{
    static const char *const syll[] = { "ban", "ker", "ra", "te", "mo", "ney", "lo", "an",
                                        "stock", "fu", "el", "gra", "in", "port", "tra", "de" };
    out[0] = '\0';
    unsigned x = seed, y = seed * 7919u + 17u;
    for (int i = 0; i < STORY_WORDS; i++) {
        unsigned *r = (changed >= 0 && i / 12 == changed) ? &y : &x;
        char w[16] = "";
        for (int k = 0; k < 3; k++) {
            *r = *r * 1103515245u + 12345u;
            strcat(w, syll[(*r >> 16) & 15]);
        }
        strcat(out, w);
        strcat(out, i % 12 == 11 ? ". " : " ");
    }
}

static void test_fingerprint(void)
{
    make_story(STORY, 1, -1);
    make_story(REWRITE, 1, 40);
    make_story(OTHER, 2, -1);
    int ok = 0;
    uint64_t a = newsidx_fingerprint(STORY, &ok);
    CHECK_INT(ok, 1);
    char *loud = strdup(STORY);
    for (char *q = loud; *q; q++) {
        if (*q >= 'a' && *q <= 'z' && (q == loud || q[-1] == ' ')) *q = (char)(*q - 32);
        if (*q == '.') *q = '!';
    }
    uint64_t same = newsidx_fingerprint(loud, &ok);
    free(loud);
    CHECK(ok && same == a);   /* case and punctuation do not count */
    uint64_t b = newsidx_fingerprint(REWRITE, &ok);
    /* one sentence of a hundred changed: still a near-duplicate */
    CHECK(ok && __builtin_popcountll(a ^ b) >= 1 &&
          __builtin_popcountll(a ^ b) <= NEWSD_DUP_MAX_DISTANCE);
    uint64_t c = newsidx_fingerprint(OTHER, &ok);
    CHECK(ok && __builtin_popcountll(a ^ c) > NEWSD_DUP_MAX_DISTANCE);
    /* the shortest body with a fingerprint */
    char words[512] = "";
    for (int i = 0; i < NEWSD_DUP_MIN_WORDS - 1; i++) {
        char w[16];
        snprintf(w, sizeof w, "word%d ", i);
        strcat(words, w);
    }
    newsidx_fingerprint(words, &ok);
    CHECK_INT(ok, 0);
    strcat(words, "last");
    newsidx_fingerprint(words, &ok);
    CHECK_INT(ok, 1);
    CHECK_INT(newsidx_fingerprint(NULL, &ok) == 0 && !ok, 1);
    CHECK_INT(newsidx_fingerprint("", &ok) == 0 && !ok, 1);
}

/* Titles: what the searches below look for (the bodies are made-up words). */
static const char *title_of(const char *id, const char *body)
{
    if (body == OTHER) return "River floods the town";
    if (strcmp(id, "b") == 0) return "Central bank raises rate, analysts say";
    return strcmp(id, "short") == 0 ? "Short" : "Central bank raises rate";
}

static void put(newsidx_writer_t *w, const char *id, const char *date, const char *body)
{
    newsidx_doc_t d = { .id = id, .title = title_of(id, body), .body = body, .date = date,
                        .source = "test" };
    CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
}

/* "cluster:member(distance),..." of DUPS id, as a static string. */
static const char *dups_of(newsidx_reader_t *r, const char *id)
{
    static char out[512];
    newsidx_dups_t *d = NULL;
    newsidx_status_t st = newsidx_dups(r, id, NULL, &d);
    if (st != NEWSIDX_OK) {
        snprintf(out, sizeof out, "ERR:%s", newsidx_status_name(st));
        return out;
    }
    snprintf(out, sizeof out, "%s:", newsidx_dups_cluster(d));
    for (size_t i = 0; i < newsidx_dups_count(d); i++) {
        const newsidx_dup_t *m = newsidx_dups_member(d, i);
        char one[96];
        /* 0, or near (1 to the maximum), or far */
        snprintf(one, sizeof one, "%s%s(%s)", i ? "," : "", m->id,
                 m->distance == 0 ? "0" : m->distance <= NEWSD_DUP_MAX_DISTANCE ? "~" : "far");
        strncat(out, one, sizeof out - strlen(out) - 1);
    }
    newsidx_dups_destroy(d);
    return out;
}

/* "id+dups,..." of a search for query. */
static const char *hits(newsidx_reader_t *r, const char *query, int collapse, uint64_t *total)
{
    static char out[512];
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.collapse = collapse;
    o.exact_total = 1;
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(r, query, &o, &res);
    if (st != NEWSIDX_OK) {
        snprintf(out, sizeof out, "ERR:%s", newsidx_status_name(st));
        return out;
    }
    out[0] = '\0';
    /* in id order: the ranking is not what is tested here */
    char one[16][64];
    size_t n = newsidx_results_count(res) < 16 ? newsidx_results_count(res) : 16;
    for (size_t i = 0; i < n; i++) {
        const newsidx_hit_t *h = newsidx_results_hit(res, i);
        snprintf(one[i], sizeof one[i], "%s+%u", h->id, h->dups);
    }
    qsort(one, n, sizeof one[0], (int (*)(const void *, const void *))strcmp);
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, ",");
        strncat(out, one[i], sizeof out - strlen(out) - 1);
    }
    if (total) *total = newsidx_results_total(res);
    newsidx_results_destroy(res);
    return out;
}

static uint64_t count(newsidx_reader_t *r, const char *query, int collapse)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.collapse = collapse;
    uint64_t n = 0;
    CHECK_INT(newsidx_count(r, query, &o, &n), NEWSIDX_OK);
    return n;
}

static newsidx_reader_t *reopen(newsidx_reader_t *r, const char *p)
{
    newsidx_reader_close(r);
    r = NULL;
    CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_OK);
    return r;
}

static void test_live(void)
{
    const char *p = path("live");
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(p, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    put(w, "a", "2020-01-02", STORY);
    put(w, "b", "2020-01-03", REWRITE);
    put(w, "c", "2020-01-01", OTHER);
    put(w, "short", "2020-01-01", "The central bank raised its rate.");
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    newsidx_reader_t *r = reopen(NULL, p);
    CHECK_STR(dups_of(r, "a"), "a:a(0),b(~)");
    CHECK_STR(dups_of(r, "b"), "a:a(~),b(0)");
    CHECK_STR(dups_of(r, "c"), "c:c(0)");
    CHECK_STR(dups_of(r, "short"), "short:short(0)");
    CHECK_STR(dups_of(r, "nope"), "ERR:not_found");
    uint64_t total = 0;
    CHECK_STR(hits(r, "central bank", 1, &total), "a+1,short+0");
    CHECK_INT(total, 2);
    CHECK_STR(hits(r, "central bank", 0, &total), "a+0,b+0,short+0");
    CHECK_INT(total, 3);
    /* dups counts only the members that match: "analysts" is in b alone */
    CHECK_STR(hits(r, "analysts", 1, NULL), "b+0");
    CHECK_INT(count(r, "central bank", 0), 3);
    CHECK_INT(count(r, "central bank", 1), 2);
    /* with facets: the total counts clusters, the facets count articles */
    newsidx_search_opts_t fo;
    newsidx_search_opts_init(&fo);
    fo.collapse = 1;
    fo.facets = NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE);
    newsidx_results_t *fr = NULL;
    CHECK_INT(newsidx_search(r, "central bank", &fo, &fr), NEWSIDX_OK);
    CHECK_INT(newsidx_results_total(fr), 2);
    CHECK_INT(newsidx_results_total_exact(fr), 1);
    CHECK_INT(newsidx_results_facet_size(fr, NEWSIDX_FACET_SOURCE), 1);
    const newsidx_facet_value_t *fv = newsidx_results_facet_value(fr, NEWSIDX_FACET_SOURCE, 0);
    CHECK(fv && strcmp(fv->value, "test") == 0 && fv->count == 3);
    newsidx_results_destroy(fr);
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.collapse = 2;
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, "bank", &o, &res), NEWSIDX_BAD_ARGUMENT);
    uint64_t n = 0;
    CHECK_INT(newsidx_count(r, "bank", &o, &n), NEWSIDX_BAD_ARGUMENT);
    uint64_t clusters = 9, folded = 9;
    CHECK_INT(newsidx_reader_dup_stats(r, &clusters, &folded), NEWSIDX_OK);
    CHECK(clusters == 1 && folded == 1);

    /* a third copy, older than a: the cluster keeps its name (a arrived first) */
    put(w, "d", "2019-12-31", STORY);
    /* a replaced by itself: nothing moves */
    put(w, "a", "2020-01-02", STORY);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    r = reopen(r, p);
    CHECK_STR(dups_of(r, "b"), "a:d(~),a(~),b(0)");
    /* the first member deleted: named after the oldest left, d */
    CHECK_INT(newsidx_writer_delete(w, "a"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    r = reopen(r, p);
    CHECK_STR(dups_of(r, "b"), "d:d(~),b(0)");
    CHECK_STR(hits(r, "central bank", 1, NULL), "d+1,short+0");
    /* a member deleted: the one left is alone */
    CHECK_INT(newsidx_writer_delete(w, "b"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    r = reopen(r, p);
    CHECK_STR(dups_of(r, "d"), "d:d(0)");
    CHECK_INT(newsidx_reader_dup_stats(r, &clusters, &folded), NEWSIDX_OK);
    CHECK(clusters == 0 && folded == 0);
    /* a replaced by other text leaves its cluster */
    put(w, "e", "2020-02-01", STORY);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    r = reopen(r, p);
    CHECK_STR(dups_of(r, "e"), "d:d(0),e(0)");
    put(w, "e", "2020-02-01", OTHER);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    r = reopen(r, p);
    CHECK_STR(dups_of(r, "d"), "d:d(0)");
    CHECK_STR(dups_of(r, "e"), "c:c(0),e(0)");

    /* copy_doc into another index joins the cluster there */
    const char *q = path("copy");
    newsidx_writer_t *w2 = NULL;
    CHECK_INT(newsidx_writer_open(q, NEWSIDX_CREATE, &w2), NEWSIDX_OK);
    put(w2, "x", "2018-01-01", REWRITE);
    int copied = 0;
    CHECK_INT(newsidx_writer_copy_doc(w2, w, "d", &copied), NEWSIDX_OK);
    if (!copied) fprintf(stderr, "copy_doc: %s\n", newsidx_writer_error(w2));
    CHECK_INT(copied, 1);
    CHECK_INT(newsidx_writer_close(w2), NEWSIDX_OK);
    newsidx_reader_t *r2 = reopen(NULL, q);
    CHECK_STR(dups_of(r2, "d"), "x:x(~),d(0)");
    newsidx_reader_close(r2);

    /* the whole index clustered from scratch: d (2019) is the oldest, so it is first */
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    const char *one[] = { p };
    uint64_t c = 0, dd = 0;
    char msg[256];
    CHECK_INT(newsidx_cluster(one, 1, &c, &dd, msg, sizeof msg), NEWSIDX_OK);
    CHECK(c == 1 && dd == 1);
    r = reopen(r, p);
    CHECK_STR(dups_of(r, "d"), "d:d(0)");
    CHECK_STR(dups_of(r, "c"), "c:c(0),e(0)");
    newsidx_reader_close(r);
    const char *none[] = { path("missing") };
    CHECK_INT(newsidx_cluster(none, 1, &c, &dd, msg, sizeof msg), NEWSIDX_NO_INDEX);
    CHECK_INT(newsidx_cluster(NULL, 0, &c, &dd, msg, sizeof msg), NEWSIDX_BAD_ARGUMENT);
}

/* Linked shard writers: a near-copy whose id lives in another shard joins the cluster. */
static void test_shards(void)
{
    const char *s0 = path("s0"), *s1 = path("s1");
    newsidx_writer_t *w[2] = { NULL, NULL };
    CHECK_INT(newsidx_writer_open(s0, NEWSIDX_CREATE, &w[0]), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_open(s1, NEWSIDX_CREATE, &w[1]), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_link_shards(w[0], w, 2), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_link_shards(w[1], w, 2), NEWSIDX_OK);
    put(w[0], "a", "2020-01-02", STORY);
    put(w[1], "b", "2020-01-03", REWRITE);
    put(w[1], "c", "2020-01-04", STORY);
    CHECK_INT(newsidx_writer_commit(w[0]), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w[1]), NEWSIDX_OK);
    const char *specs[] = { s0, s1 };
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open_shards(specs, 2, 0, &r), NEWSIDX_OK);
    CHECK_STR(dups_of(r, "b"), "a:a(~),b(0),c(~)");
    CHECK_STR(hits(r, "central bank", 1, NULL), "a+2");
    CHECK_INT(count(r, "central bank", 1), 1);
    newsidx_reader_close(r);
    /* the first member deleted through its shard renames the members in the other */
    CHECK_INT(newsidx_writer_delete(w[0], "a"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w[0]), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w[1]), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_open_shards(specs, 2, 0, &r), NEWSIDX_OK);
    CHECK_STR(dups_of(r, "c"), "b:b(~),c(0)");
    newsidx_reader_close(r);
    CHECK_INT(newsidx_writer_link_shards(w[0], NULL, 0), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_link_shards(w[1], NULL, 0), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w[0]), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w[1]), NEWSIDX_OK);
    /* clustered from scratch across both */
    uint64_t c = 0, d = 0;
    char msg[256];
    CHECK_INT(newsidx_cluster(specs, 2, &c, &d, msg, sizeof msg), NEWSIDX_OK);
    CHECK(c == 1 && d == 1);
}

/* ---- the shipped corpus ---- */

typedef struct article {
    char *id, *title, *body;
    uint64_t fp;
    int has_fp;
} article_t;

static article_t *arts;
static size_t narts;

static void read_corpus(void)
{
    ingest_filelist_t l = { 0 };
    unsigned errors = 0;
    const char *paths[] = { "corpus/" };
    CHECK_INT(ingest_walk(paths, 1, NULL, NULL, &l, NULL, NULL, &errors), 0);
    size_t cap = 32768;
    arts = calloc(cap, sizeof *arts);
    const char *ix = path("corpus");
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(ix, NEWSIDX_OVERWRITE | NEWSIDX_BULK, &w), NEWSIDX_OK);
    for (size_t i = 0; i < l.n; i++) {
        char err[512];
        ingest_source_t src = { .path = l.files[i].path, .id = l.files[i].id };
        ingest_reader_t *r = ingest_open(&src, err, sizeof err);
        if (!r) continue;
        newsidx_doc_t d;
        ingest_result_t res;
        while ((res = ingest_next(r, &d)) != INGEST_EOF) {
            if (res != INGEST_DOC) break;
            if (narts == cap) {
                cap *= 2;
                arts = realloc(arts, cap * sizeof *arts);
            }
            article_t *a = &arts[narts++];
            a->id = strdup(d.id);
            a->title = strdup(d.title ? d.title : "");
            a->body = strdup(d.body ? d.body : "");
            a->fp = newsidx_fingerprint(a->body, &a->has_fp);
            newsidx_doc_t lean = { .id = d.id, .body = d.body, .date = d.date };
            CHECK_INT(newsidx_writer_put(w, &lean, NULL), NEWSIDX_OK);
        }
        ingest_close(r);
    }
    ingest_filelist_free(&l);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

/* The sorted hashes of a body's lowercased word 3-shingles (the Jaccard's sets). */
static size_t shingles(const char *body, uint64_t **out)
{
    size_t cap = 256, n = 0, words = 0;
    uint64_t *v = malloc(cap * sizeof *v), w0 = 0, w1 = 0;
    for (const unsigned char *p = (const unsigned char *)body; *p;) {
        int wb;
        while (*p && !((wb = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                              (*p >= '0' && *p <= '9') || *p >= 0x80)))
            p++;
        if (!*p) break;
        uint64_t h = 1469598103934665603ULL;
        for (; *p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p >= 0x80); p++)
            h = (h ^ (uint64_t)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p)) * 1099511628211ULL;
        if (++words >= 3) {
            if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
            v[n++] = (w0 * 31 + w1) * 1000003 ^ h;
        }
        w0 = w1;
        w1 = h;
    }
    for (size_t i = 1; i < n; i++)   /* insertion sort: bodies are short */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || v[u - 1] != v[i]) v[u++] = v[i];
    *out = v;
    return u;
}

static double jaccard(const char *a, const char *b)
{
    uint64_t *x, *y;
    size_t nx = shingles(a, &x), ny = shingles(b, &y), i = 0, j = 0, both = 0;
    while (i < nx && j < ny) {
        if (x[i] == y[j]) both++, i++, j++;
        else if (x[i] < y[j]) i++;
        else j++;
    }
    free(x);
    free(y);
    size_t any = nx + ny - both;
    return any ? (double)both / (double)any : 1.0;
}

static article_t *find(const char *id)
{
    for (size_t i = 0; i < narts; i++)
        if (strcmp(arts[i].id, id) == 0) return &arts[i];
    return NULL;
}

static void test_corpus(void)
{
    read_corpus();
    CHECK(narts > 20000);
    const char *ix = path("corpus");
    uint64_t c = 0, d = 0;
    char msg[256];
    CHECK_INT(newsidx_cluster(&ix, 1, &c, &d, msg, sizeof msg), NEWSIDX_OK);
    newsidx_reader_t *r = reopen(NULL, ix);

    /* recall: every pair within the distance, found by comparing all pairs */
    size_t pairs = 0, together = 0;
    char *in_pair = calloc(narts, 1);
    for (size_t i = 0; i < narts; i++) {
        if (!arts[i].has_fp) continue;
        for (size_t j = i + 1; j < narts; j++) {
            if (!arts[j].has_fp || __builtin_popcountll(arts[i].fp ^ arts[j].fp) > NEWSD_DUP_MAX_DISTANCE)
                continue;
            pairs++;
            in_pair[i] = in_pair[j] = 1;
            char ci[256];
            snprintf(ci, sizeof ci, "%s", dups_of(r, arts[i].id));
            *strchr(ci, ':') = '\0';
            char cj[256];
            snprintf(cj, sizeof cj, "%s", dups_of(r, arts[j].id));
            *strchr(cj, ':') = '\0';
            together += strcmp(ci, cj) == 0;
        }
    }
    fprintf(stderr, "test_dups: %zu pairs within %d bits, %zu in one cluster (%.1f%%); "
            "%" PRIu64 " clusters, %" PRIu64 " folded\n", pairs, NEWSD_DUP_MAX_DISTANCE,
            together, pairs ? 100.0 * (double)together / (double)pairs : 0.0, c, d);
    CHECK(pairs > 300);
    CHECK(together * 10 >= pairs * 9);

    /* precision: every cluster (its members are all in some pair, with its first) */
    size_t checked = 0, low = 0;
    double min_j = 1.0;
    for (size_t i = 0; i < narts; i++) {
        if (!in_pair[i]) continue;
        newsidx_dups_t *g = NULL;
        CHECK_INT(newsidx_dups(r, arts[i].id, NULL, &g), NEWSIDX_OK);
        if (g && strcmp(newsidx_dups_cluster(g), arts[i].id) == 0 && newsidx_dups_count(g) > 1) {
            checked++;
            for (size_t x = 0; x < newsidx_dups_count(g); x++)
                for (size_t y = x + 1; y < newsidx_dups_count(g); y++) {
                    article_t *ax = find(newsidx_dups_member(g, x)->id);
                    article_t *ay = find(newsidx_dups_member(g, y)->id);
                    CHECK(ax && ay);
                    if (!ax || !ay) continue;
                    double jj = jaccard(ax->body, ay->body);
                    if (jj < min_j) min_j = jj;
                    if (jj < 0.5 && low++ < 5)
                        fprintf(stderr, "low Jaccard %.2f: %s %s\n", jj, ax->id, ay->id);
                }
        }
        newsidx_dups_destroy(g);
    }
    fprintf(stderr, "test_dups: %zu clusters checked, lowest Jaccard %.2f\n", checked, min_j);
    CHECK_INT((long long)checked, (long long)c);
    CHECK_INT(low, 0);

    /* BBC's byte-identical pairs all fold */
    size_t bbc_pairs = 0, bbc_folded = 0;
    for (size_t i = 0; i < narts; i++) {
        if (!strstr(arts[i].id, "/bbc/")) continue;
        for (size_t j = i + 1; j < narts; j++) {
            if (!strstr(arts[j].id, "/bbc/") || strcmp(arts[i].body, arts[j].body) != 0 ||
                strcmp(arts[i].title, arts[j].title) != 0)
                continue;
            bbc_pairs++;
            char ci[256], cj[256];
            snprintf(ci, sizeof ci, "%s", dups_of(r, arts[i].id));
            snprintf(cj, sizeof cj, "%s", dups_of(r, arts[j].id));
            *strchr(ci, ':') = '\0';
            *strchr(cj, ':') = '\0';
            bbc_folded += strcmp(ci, cj) == 0;
        }
    }
    fprintf(stderr, "test_dups: %zu identical BBC pairs, %zu folded\n", bbc_pairs, bbc_folded);
    CHECK_INT(bbc_pairs, 98);
    CHECK_INT(bbc_folded, 98);
    newsidx_reader_close(r);
    free(in_pair);
    for (size_t i = 0; i < narts; i++) {
        free(arts[i].id);
        free(arts[i].title);
        free(arts[i].body);
    }
    free(arts);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_dups.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    test_fingerprint();
    test_live();
    test_shards();
    test_corpus();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
