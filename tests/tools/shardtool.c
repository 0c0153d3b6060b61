/*
 * shardtool.c: what the shard suite (tests/e2e/test_shards.sh) needs beyond newsd,
 * over the C API (include/newsidx.h) and the corpus readers:
 *
 *   shardtool split OUT N PATH...
 *       reads the corpus files under PATH... once and writes every document both into
 *       one index OUT/full and into OUT/shard-K (K = newsidx_shard_of(id, N)), plus
 *       OUT/shards.stub ("glass shard-K" lines, the layout newsindex --shards writes).
 *       Prints "split docs=D shards=N shard_docs=a,b,c".
 *
 *   shardtool compare QUERIES FULL SPEC...
 *       runs every line of QUERIES (limit 100, exact totals) on the index FULL and on
 *       the shards SPEC... (newsidx_reader_open_shards), and compares the totals, the
 *       hits' ids, order and scores (relative difference at most 1e-9; hits with equal
 *       scores may come in either order, as the two number their documents differently),
 *       the document counts and GET of each query's first hit.  Prints
 *       "compare queries=Q hits=H exact_scores=E mismatches=M" and exits 1 on a mismatch.
 *
 *   shardtool which N ID...
 *       prints, for each ID, the shard newsidx_shard_of gives it among N.
 *
 *   shardtool time QUERIES ROUNDS SPEC...
 *       not a test: the median time of a full 10-hit page with stored fields over SPEC...,
 *       for README.md's figures (built once as is, once with -DNEWSIDX_NO_PREFETCH).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ingest.h"
#include "newsd_limits.h"
#include "newsidx.h"

#define MAX_QUERIES 4096

static int die(const char *what, const char *msg)
{
    fprintf(stderr, "shardtool: %s: %s\n", what, msg);
    return 2;
}

static int split(const char *out, unsigned n, const char *const *paths, size_t npaths)
{
    if (n < 1 || n > NEWSD_MAX_SHARDS)
        return die("split", "shard count out of range");
    char path[4096];
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        return die(out, strerror(errno));
    newsidx_writer_t *full = NULL, *shard[NEWSD_MAX_SHARDS] = { NULL };
    snprintf(path, sizeof path, "%s/full", out);
    if (newsidx_writer_open(path, NEWSIDX_OVERWRITE | NEWSIDX_BULK, &full) != NEWSIDX_OK)
        return die(path, newsidx_writer_error(full));
    FILE *stub;
    snprintf(path, sizeof path, "%s/shards.stub", out);
    if (!(stub = fopen(path, "w")))
        return die(path, "cannot create");
    for (unsigned k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/shard-%u", out, k);
        if (newsidx_writer_open(path, NEWSIDX_OVERWRITE | NEWSIDX_BULK, &shard[k]) != NEWSIDX_OK)
            return die(path, newsidx_writer_error(shard[k]));
        fprintf(stub, "glass shard-%u\n", k);
    }
    fclose(stub);
    ingest_filelist_t list = { 0 };
    unsigned errors = 0;
    if (ingest_walk(paths, npaths, NULL, NULL, &list, NULL, NULL, &errors) != 0 || errors)
        return die("split", "cannot list the corpus files");
    uint64_t docs = 0, per[NEWSD_MAX_SHARDS] = { 0 };
    for (size_t i = 0; i < list.n; i++) {
        char err[512];
        ingest_source_t src = { list.files[i].path, list.files[i].id, NULL, INGEST_AUTO, 0 };
        ingest_reader_t *rd = ingest_open(&src, err, sizeof err);
        if (!rd)
            return die(list.files[i].path, err);
        newsidx_doc_t doc;
        ingest_result_t r;
        while ((r = ingest_next(rd, &doc)) != INGEST_EOF) {
            if (r == INGEST_SKIP)
                continue;
            if (r == INGEST_FAIL)
                return die(list.files[i].path, ingest_error(rd));
            unsigned k = newsidx_shard_of(doc.id, n);
            if (newsidx_writer_put(full, &doc, NULL) != NEWSIDX_OK)
                return die("full", newsidx_writer_error(full));
            if (newsidx_writer_put(shard[k], &doc, NULL) != NEWSIDX_OK)
                return die("shard", newsidx_writer_error(shard[k]));
            docs++;
            per[k]++;
        }
        ingest_close(rd);
    }
    ingest_filelist_free(&list);
    if (newsidx_writer_close(full) != NEWSIDX_OK)
        return die("full", "commit failed");
    printf("split docs=%llu shards=%u shard_docs=", (unsigned long long)docs, n);
    for (unsigned k = 0; k < n; k++) {
        if (newsidx_writer_close(shard[k]) != NEWSIDX_OK)
            return die("shard", "commit failed");
        printf("%s%llu", k ? "," : "", (unsigned long long)per[k]);
    }
    printf("\n");
    return 0;
}

/* The query lines of a file, without line ends and empty lines. */
static size_t read_queries(const char *file, char **q, size_t max)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char line[NEWSD_MAX_QUERY_LEN + 2];
    size_t n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line && (q[n] = strdup(line)))
            n++;
    }
    fclose(f);
    return n;
}

typedef struct hit {
    double score;
    char id[NEWSD_MAX_ID_LEN + 1];
} hit_t;

static int by_score_id(const void *a, const void *b)
{
    const hit_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Copies a page's hits, ties put in id order. */
static size_t page(const newsidx_results_t *res, hit_t *out)
{
    size_t n = newsidx_results_count(res);
    for (size_t i = 0; i < n; i++) {
        const newsidx_hit_t *h = newsidx_results_hit(res, i);
        out[i].score = h->score;
        snprintf(out[i].id, sizeof out[i].id, "%s", h->id);
    }
    qsort(out, n, sizeof *out, by_score_id);
    return n;
}

static int same_score(double a, double b)
{
    return a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static int compare(const char *qfile, const char *full, const char *const *specs, size_t nspecs)
{
    static char *q[MAX_QUERIES];
    size_t nq = read_queries(qfile, q, MAX_QUERIES);
    if (nq == 0)
        return die(qfile, "no queries");
    newsidx_reader_t *a = NULL, *b = NULL;
    if (newsidx_reader_open(full, &a) != NEWSIDX_OK)
        return die(full, newsidx_reader_error(a));
    if (newsidx_reader_open_shards(specs, nspecs, 0, &b) != NEWSIDX_OK)
        return die("shards", newsidx_reader_error(b));
    unsigned long mismatches = 0, hits = 0, exact = 0;
    uint64_t da = 0, db = 0;
    if (newsidx_reader_doc_count(a, &da) != NEWSIDX_OK ||
        newsidx_reader_doc_count(b, &db) != NEWSIDX_OK || da != db || da == 0) {
        fprintf(stderr, "doc counts differ: %llu %llu\n", (unsigned long long)da,
                (unsigned long long)db);
        mismatches++;
    }
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.limit = NEWSD_MAX_LIMIT;
    o.timeout_ms = 0;
    o.exact_total = 1;
    static hit_t ha[NEWSD_MAX_LIMIT], hb[NEWSD_MAX_LIMIT];
    for (size_t i = 0; i < nq; i++) {
        newsidx_results_t *ra = NULL, *rb = NULL;
        newsidx_status_t sa = newsidx_search(a, q[i], &o, &ra);
        newsidx_status_t sb = newsidx_search(b, q[i], &o, &rb);
        if (sa != sb) {
            fprintf(stderr, "query '%s': status %s vs %s (%s)\n", q[i], newsidx_status_name(sa),
                    newsidx_status_name(sb), newsidx_reader_error(b));
            mismatches++;
        } else if (sa == NEWSIDX_OK) {
            size_t na = page(ra, ha), nb = page(rb, hb);
            /* a tie group cut by the page's end may be cut at different members */
            size_t cmp = na;
            if (na == NEWSD_MAX_LIMIT)
                while (cmp > 0 && ha[cmp - 1].score == ha[na - 1].score)
                    cmp--;
            int bad = na != nb || newsidx_results_total(ra) != newsidx_results_total(rb);
            for (size_t k = 0; !bad && k < cmp; k++) {
                if (strcmp(ha[k].id, hb[k].id) != 0 || !same_score(ha[k].score, hb[k].score))
                    bad = 1;
                exact += ha[k].score == hb[k].score;
            }
            hits += cmp;
            if (!bad && na > 0) {
                newsidx_doc_t *d1 = NULL, *d2 = NULL;
                if (newsidx_get(a, ha[0].id, &d1) != NEWSIDX_OK ||
                    newsidx_get(b, ha[0].id, &d2) != NEWSIDX_OK ||
                    strcmp(d1->title, d2->title) != 0 || strcmp(d1->body, d2->body) != 0)
                    bad = 1;
                newsidx_doc_free(d1);
                newsidx_doc_free(d2);
            }
            if (bad) {
                fprintf(stderr, "query '%s': results differ (total %llu vs %llu, %zu vs %zu hits)\n",
                        q[i], (unsigned long long)newsidx_results_total(ra),
                        (unsigned long long)newsidx_results_total(rb), na, nb);
                mismatches++;
            }
        }
        newsidx_results_destroy(ra);
        newsidx_results_destroy(rb);
        free(q[i]);
    }
    newsidx_reader_close(a);
    newsidx_reader_close(b);
    printf("compare queries=%zu hits=%lu exact_scores=%lu mismatches=%lu\n", nq, hits, exact,
           mismatches);
    return mismatches ? 1 : 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int timing(const char *qfile, unsigned rounds, const char *const *specs, size_t nspecs)
{
    static char *q[MAX_QUERIES];
    size_t nq = read_queries(qfile, q, MAX_QUERIES);
    newsidx_reader_t *r = NULL;
    if (nq == 0 || rounds == 0)
        return die(qfile, "no queries or rounds");
    if (newsidx_reader_open_shards(specs, nspecs, 0, &r) != NEWSIDX_OK)
        return die("shards", newsidx_reader_error(r));
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.snippets = 0;
    o.timeout_ms = 0;
    double *t = calloc(nq * rounds, sizeof *t);
    size_t nt = 0;
    for (unsigned round = 0; t && round < rounds; round++)
        for (size_t i = 0; i < nq; i++) {
            newsidx_results_t *res = NULL;
            double t0 = now_ms();
            newsidx_search(r, q[i], &o, &res);
            double took = now_ms() - t0;
            /* full pages only: a page of 2 hits says little about fetching 10 */
            if (res && newsidx_results_count(res) == o.limit)
                t[nt++] = took;
            newsidx_results_destroy(res);
        }
    if (nt == 0)
        return die("time", "no query succeeded");
    qsort(t, nt, sizeof *t, cmp_double);
    printf("time pages=%zu median_ms=%.3f p90_ms=%.3f\n", nt, t[nt / 2], t[nt * 9 / 10]);
    free(t);
    newsidx_reader_close(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "split") == 0)
        return split(argv[2], (unsigned)atoi(argv[3]), (const char *const *)argv + 4,
                     (size_t)argc - 4);
    if (argc >= 5 && strcmp(argv[1], "compare") == 0)
        return compare(argv[2], argv[3], (const char *const *)argv + 4, (size_t)argc - 4);
    if (argc >= 4 && strcmp(argv[1], "which") == 0) {
        for (int i = 3; i < argc; i++)
            printf("%u\n", newsidx_shard_of(argv[i], (unsigned)atoi(argv[2])));
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "time") == 0)
        return timing(argv[2], (unsigned)atoi(argv[3]), (const char *const *)argv + 4,
                      (size_t)argc - 4);
    fprintf(stderr, "usage: shardtool split OUT N PATH... | compare QUERIES FULL SPEC... |"
                    " which N ID... | time QUERIES ROUNDS SPEC...\n");
    return 2;
}
