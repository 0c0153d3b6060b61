/*
 * test_query_limits: the cost caps and the hard deadline of a query, through the C API.
 *
 * An index is made whose documents make the caps and the deadline easy to reach: one
 * document with NEWSD_MAX_WILDCARD_SCAN / 3 words starting "b" (so four "b*" scan past
 * the cap while they expand to only 4 x NEWSD_MAX_WILDCARD_TERMS), and many documents
 * holding "of" and "the" far apart, so the phrase "of of" reads every one of their
 * position lists and never matches: an OR of such phrases is slow for any machine.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "newsd_limits.h"
#include "newsidx.h"

/* Documents whose positions the slow phrases read; each holds WORDS words. */
#define SLOW_DOCS 3000
#define WORDS 200
/* Phrases in the slow query: each reads every slow document's position lists. */
#define SLOW_PHRASES 120

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void put(newsidx_writer_t *w, const char *id, const char *body)
{
    newsidx_doc_t d;
    memset(&d, 0, sizeof d);
    d.id = id;
    d.title = "a title";
    d.body = body;
    d.date = "1987-03-01";
    CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
}

static void build(const char *idx)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(idx, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    size_t nb = NEWSD_MAX_WILDCARD_SCAN / 3 + 1;
    char *body = malloc(nb * 8 + 1);
    char *p = body;
    for (size_t i = 0; i < nb; i++) p += sprintf(p, "b%06zu ", i);
    put(w, "wide", body);
    /* "of" and "the" alternate with other words, never "of" next to "of". */
    p = body;
    for (int i = 0; i < WORDS; i++) p += sprintf(p, "%s ", i % 2 ? "of" : "the");
    char id[32];
    for (int i = 0; i < SLOW_DOCS; i++) {
        snprintf(id, sizeof id, "slow%d", i);
        put(w, id, body);
    }
    free(body);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

/* The query "<part> OR <part> OR ..." with n parts. */
static char *repeat_or(const char *part, int n)
{
    size_t len = (strlen(part) + 4) * (size_t)n + 1;
    char *q = malloc(len);
    q[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(q, " OR ");
        strcat(q, part);
    }
    return q;
}

static void expect_bad_query(newsidx_reader_t *r, const char *query, const char *limit_name)
{
    uint64_t n = 12345;
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    CHECK_INT(newsidx_count(r, query, &o, &n), NEWSIDX_BAD_QUERY);
    CHECK(strstr(newsidx_reader_error(r), limit_name) != NULL);
    CHECK_INT(n, 12345);
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, query, &o, &res), NEWSIDX_BAD_QUERY);
    CHECK(res == NULL);
    CHECK(strstr(newsidx_reader_error(r), limit_name) != NULL);
}

static void test_caps(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    uint64_t n = 0;

    /* One wildcard keeps its most frequent NEWSD_MAX_WILDCARD_TERMS; four fit the total. */
    char *q = repeat_or("b*", NEWSD_MAX_QUERY_EXPANSION / NEWSD_MAX_WILDCARD_TERMS);
    CHECK(NEWSD_MAX_QUERY_EXPANSION / NEWSD_MAX_WILDCARD_TERMS * (NEWSD_MAX_WILDCARD_SCAN / 3 + 1) >
          NEWSD_MAX_WILDCARD_SCAN);
    /* ... but they scan more index terms than NEWSD_MAX_WILDCARD_SCAN. */
    expect_bad_query(r, q, "NEWSD_MAX_WILDCARD_SCAN");
    free(q);
    CHECK_INT(newsidx_count(r, "b*", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 1);
    CHECK_INT(newsidx_count(r, "b* OR b*", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 1);

    /* Wildcards that together expand past NEWSD_MAX_QUERY_EXPANSION; each narrow
     * enough (b00*: 1,000 terms) that the scan cap is not what stops them. */
    q = repeat_or("b00*", NEWSD_MAX_QUERY_EXPANSION / 1000 + 1);
    expect_bad_query(r, q, "NEWSD_MAX_QUERY_EXPANSION");
    free(q);
    q = repeat_or("b00*", NEWSD_MAX_QUERY_EXPANSION / 1000);
    CHECK_INT(newsidx_count(r, q, &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 1);
    free(q);

    /* More subqueries than NEWSD_MAX_QUERY_NODES (each word is a body and a title term
     * under an OR, three nodes), in a query within NEWSD_MAX_QUERY_LEN. */
    q = repeat_or("of", NEWSD_MAX_QUERY_NODES / 3 + 1);
    CHECK(strlen(q) <= NEWSD_MAX_QUERY_LEN);
    expect_bad_query(r, q, "NEWSD_MAX_QUERY_NODES");
    free(q);
    q = repeat_or("of", NEWSD_MAX_QUERY_NODES / 8);
    CHECK_INT(newsidx_count(r, q, &o, &n), NEWSIDX_OK);
    CHECK_INT(n, SLOW_DOCS);
    free(q);
}

static void test_deadline(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    char *q = repeat_or("\"of of\"", SLOW_PHRASES);
    CHECK(strlen(q) <= NEWSD_MAX_QUERY_LEN);

    /* A deadline far beyond what the query costs: the exact answer, 0. */
    uint64_t n = 777;
    o.timeout_ms = NEWSD_MAX_QUERY_TIMEOUT_MS;
    CHECK_INT(newsidx_count(r, "\"of of\"", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 0);
    CHECK_INT(newsidx_count(r, "\"the of\"", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, SLOW_DOCS);

    /* 1 ms: the match reads SLOW_PHRASES x SLOW_DOCS x 2 position lists of WORDS / 2
     * entries, which no machine does in a millisecond.  COUNT says timeout, never a
     * number; SEARCH says timeout too. */
    o.timeout_ms = 1;
    n = 777;
    CHECK_INT(newsidx_count(r, q, &o, &n), NEWSIDX_TIMEOUT);
    CHECK_INT(n, 777);
    CHECK(strstr(newsidx_reader_error(r), "time limit") != NULL);
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, q, &o, &res), NEWSIDX_TIMEOUT);
    newsidx_results_destroy(res);

    /* A faceted search cut short gives no facets (no short counts), with hits asked
     * for or not; the same facets under the long deadline are exact. */
    o.facets = (1u << NEWSIDX_FACETS) - 1;
    for (unsigned limit = 0; limit <= 10; limit += 10) {
        o.limit = limit;
        res = NULL;
        CHECK_INT(newsidx_search(r, q, &o, &res), NEWSIDX_TIMEOUT);
        for (int f = 0; f < NEWSIDX_FACETS; f++)
            CHECK_INT(newsidx_results_facet_size(res, (newsidx_facet_t)f), 0);
        newsidx_results_destroy(res);
    }
    o.timeout_ms = NEWSD_MAX_QUERY_TIMEOUT_MS;
    res = NULL;
    CHECK_INT(newsidx_search(r, "\"the of\"", &o, &res), NEWSIDX_OK);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_DAY), 1);
    const newsidx_facet_value_t *v = newsidx_results_facet_value(res, NEWSIDX_FACET_DAY, 0);
    CHECK_STR(v ? v->value : NULL, "1987-03-01");
    CHECK_INT(v ? v->count : 0, SLOW_DOCS);
    newsidx_results_destroy(res);
    o.facets = 0;
    o.limit = NEWSD_DEFAULT_LIMIT;
    o.timeout_ms = 1;

    /* Also where the phrases sit under AND and NOT, and with a date filter. */
    char *q2 = malloc(strlen(q) + 64);
    sprintf(q2, "the AND NOT (%s)", q);
    n = 777;
    CHECK_INT(newsidx_count(r, q2, &o, &n), NEWSIDX_TIMEOUT);
    CHECK_INT(n, 777);
    o.since = "1987-01-01";
    CHECK_INT(newsidx_count(r, q, &o, &n), NEWSIDX_TIMEOUT);
    o.since = NULL;
    free(q2);

    /* The reader is fine afterwards, and a cheap query under the same 1 ms is exact. */
    o.timeout_ms = NEWSD_MAX_QUERY_TIMEOUT_MS;
    CHECK_INT(newsidx_count(r, "wide", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 0);
    CHECK_INT(newsidx_count(r, "b000001", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 1);
    free(q);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/newsidx-limits-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char idx[128];
    snprintf(idx, sizeof idx, "%s/index", tmpdir);
    build(idx);
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(idx, &r), NEWSIDX_OK);
    if (r) {
        test_caps(r);
        test_deadline(r);
    }
    newsidx_reader_close(r);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_report();
}
