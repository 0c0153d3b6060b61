/*
 * test_similar: related stories through the C API (newsidx_similar): the article and its
 * identical copies never among its results, an unknown id, the terms (words of the
 * article, no numbers or filter terms), the filters, a sharded reader answering as one
 * index, and the deadline (a match over thousands of documents sharing every term, with
 * facets counted, under 1 ms, which no machine does).
 */
#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "newsd_limits.h"
#include "newsidx.h"

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static const char *const t_oil[] = {"oil"};
static const char *const t_grain[] = {"grain"};

#define A1_TITLE "Oil prices rise after OPEC cut"
#define A1_BODY "Crude oil prices rose 1987 as OPEC cut output; barrels of crude traded higher."

static const newsidx_doc_t docs[] = {
    {"a1", A1_TITLE, A1_BODY, "1987-03-01", "wire", NULL, t_oil, 1, NULL, 0},
    {"a1-copy", A1_TITLE, A1_BODY, "1987-03-02", "wire", NULL, t_oil, 1, NULL, 0},
    {"a2", "OPEC output cut lifts crude", "OPEC members cut output and crude oil barrels rose.",
     "1987-04-01", "wire2", NULL, t_oil, 1, NULL, 0},
    {"a3", "Wheat harvest improves", "Rains improved the wheat harvest in Kansas.",
     "1987-05-01", "wire", NULL, t_grain, 1, NULL, 0},
    {"a4", "Oil barrels", "Oil prices: barrels of crude, higher again.", "1988-01-01",
     "other", NULL, t_oil, 1, NULL, 0},
    {"a5", "Crude prices", "Crude oil prices rose after OPEC cut output; barrels traded.",
     "1987-03-05", "wire", NULL, t_oil, 1, NULL, 0},
};
#define NDOCS (sizeof docs / sizeof docs[0])

/* "id:score,..." of SIMILAR id with opts, then " terms:t,t,..."; "ERR:<status>" on error. */
static char *similar(newsidx_reader_t *r, const char *id, const newsidx_search_opts_t *o)
{
    static char buf[2048];
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_similar(r, id, o, &res);
    if (st != NEWSIDX_OK) {
        CHECK(res == NULL);
        snprintf(buf, sizeof buf, "ERR:%s", newsidx_status_name(st));
        return buf;
    }
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < newsidx_results_count(res); i++) {
        const newsidx_hit_t *h = newsidx_results_hit(res, i);
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s:%.6f", i ? "," : "", h->id,
                                 h->score);
    }
    used += (size_t)snprintf(buf + used, sizeof buf - used, " terms:");
    for (size_t i = 0; i < newsidx_results_term_count(res) && used < sizeof buf; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? "," : "",
                                 newsidx_results_term(res, i));
    newsidx_results_destroy(res);
    return buf;
}

/* Whether the hits part of a similar() string names id. */
static int has_hit(const char *s, const char *id)
{
    char pat[64];
    snprintf(pat, sizeof pat, "%s:", id);
    const char *end = strstr(s, " terms:");
    for (const char *p = s; (p = strstr(p, pat)) && p < end; p++)
        if (p == s || p[-1] == ',') return 1;
    return 0;
}

static void build(const char *path, const newsidx_doc_t *d, size_t n, unsigned shard, unsigned of)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    for (size_t i = 0; i < n; i++)
        if (newsidx_shard_of(d[i].id, of) == shard) CHECK_INT(newsidx_writer_put(w, &d[i], NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

static void test_similar(const char *one, newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    const char *s = similar(r, "a1", &o);
    CHECK(!has_hit(s, "a1"));
    CHECK(!has_hit(s, "a1-copy"));   /* the same title and body */
    CHECK(has_hit(s, "a2"));
    CHECK(has_hit(s, "a4"));
    CHECK(has_hit(s, "a5"));
    CHECK(!has_hit(s, "a3"));        /* no word in common */
    /* a copy's own related stories leave out the original in turn */
    s = similar(r, "a1-copy", &o);
    CHECK(!has_hit(s, "a1") && !has_hit(s, "a1-copy") && has_hit(s, "a5"));

    /* the terms: words of the article's title or body, no number, no filter term */
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_similar(r, "a1", &o, &res), NEWSIDX_OK);
    size_t nt = newsidx_results_term_count(res);
    CHECK(nt > 3 && nt <= NEWSD_SIMILAR_TERMS);
    char lower[256];
    snprintf(lower, sizeof lower, "%s %s", A1_TITLE, A1_BODY);
    for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
    int title_terms = 0;
    for (size_t i = 0; i < nt; i++) {
        const char *t = newsidx_results_term(res, i);
        if (strncmp(t, "title:", 6) == 0) {
            t += 6;
            title_terms++;
        }
        CHECK(strstr(lower, t) != NULL);
        CHECK(isalpha((unsigned char)t[0]) && islower((unsigned char)t[0]));
        CHECK(strcmp(t, "1987") != 0);
    }
    CHECK(title_terms > 0);
    CHECK(newsidx_results_term(res, nt) == NULL);
    newsidx_results_destroy(res);
    /* a search has no terms */
    res = NULL;
    CHECK_INT(newsidx_search(r, "oil", &o, &res), NEWSIDX_OK);
    CHECK_INT(newsidx_results_term_count(res), 0);
    CHECK(newsidx_results_term(res, 0) == NULL);
    newsidx_results_destroy(res);

    /* unknown and bad ids, bad options */
    CHECK_STR(similar(r, "nosuch", &o), "ERR:not_found");
    CHECK(strstr(newsidx_reader_error(r), "no document") != NULL);
    CHECK_STR(similar(r, "", &o), "ERR:bad_argument");
    CHECK_STR(similar(r, NULL, &o), "ERR:bad_argument");
    o.limit = NEWSD_MAX_LIMIT + 1;
    CHECK_STR(similar(r, "a1", &o), "ERR:bad_argument");
    newsidx_search_opts_init(&o);
    o.since = "yesterday";
    CHECK_STR(similar(r, "a1", &o), "ERR:bad_argument");
    newsidx_search_opts_init(&o);
    CHECK_INT(newsidx_similar(r, "a1", &o, NULL), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(newsidx_similar(NULL, "a1", &o, &res), NEWSIDX_BAD_ARGUMENT);

    /* filters apply; limit and offset page */
    o.source = "wire2";
    s = similar(r, "a1", &o);
    CHECK(has_hit(s, "a2") && !has_hit(s, "a4") && !has_hit(s, "a5"));
    newsidx_search_opts_init(&o);
    o.since = "1987-12-01";
    s = similar(r, "a1", &o);
    CHECK(has_hit(s, "a4") && !has_hit(s, "a2"));
    newsidx_search_opts_init(&o);
    o.not_topic = "oil";
    s = similar(r, "a1", &o);
    CHECK(strncmp(s, " terms:", 7) == 0);   /* no hit */
    newsidx_search_opts_init(&o);
    o.limit = 1;
    o.offset = 1;
    char first[64], all[2048];
    snprintf(all, sizeof all, "%s", similar(r, "a1", NULL));
    s = similar(r, "a1", &o);
    snprintf(first, sizeof first, "%.*s", (int)strcspn(s, ":"), s);
    CHECK(strchr(all, ',') && strncmp(strchr(all, ',') + 1, first, strlen(first)) == 0);

    /* facets count the related stories */
    newsidx_search_opts_init(&o);
    o.facets = NEWSIDX_FACET_BIT(NEWSIDX_FACET_TOPIC);
    res = NULL;
    CHECK_INT(newsidx_similar(r, "a1", &o, &res), NEWSIDX_OK);
    const newsidx_facet_value_t *v = newsidx_results_facet_value(res, NEWSIDX_FACET_TOPIC, 0);
    CHECK_STR(v ? v->value : NULL, "oil");
    CHECK_INT(v ? v->count : 0, newsidx_results_count(res));
    newsidx_results_destroy(res);

    /* a sharded reader answers as one index */
    char dir[128], s0[160], s1[160];
    snprintf(dir, sizeof dir, "%s/sh", tmpdir);
    mkdir(dir, 0700);
    snprintf(s0, sizeof s0, "%s/s0", dir);
    snprintf(s1, sizeof s1, "%s/s1", dir);
    build(s0, docs, NDOCS, 0, 2);
    build(s1, docs, NDOCS, 1, 2);
    const char *specs[] = {s0, s1};
    newsidx_reader_t *sh = NULL;
    CHECK_INT(newsidx_reader_open_shards(specs, 2, 0, &sh), NEWSIDX_OK);
    for (size_t i = 0; i < NDOCS; i++) {
        snprintf(all, sizeof all, "%s", similar(r, docs[i].id, NULL));
        CHECK_STR(similar(sh, docs[i].id, NULL), all);
    }
    CHECK_STR(similar(sh, "nosuch", NULL), "ERR:not_found");
    newsidx_reader_close(sh);
    (void)one;
}

/* Many documents, each holding 2 in 5 of a set of words (a word in every document would
 * weigh nothing) and a word of its own (so none is a copy): SIMILAR's match reads
 * thousands of postings of each of its terms, and counts the facets of every match. */
#define SLOW_DOCS 20000
#define SLOW_WORDS 40
static void test_deadline(const char *path)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_CREATE | NEWSIDX_BULK, &w), NEWSIDX_OK);
    char body[2048], id[32];
    for (int i = 0; i < SLOW_DOCS; i++) {
        char *p = body;
        for (int k = 0; k < SLOW_WORDS; k++)
            if ((i + k) % 5 < 2) p += sprintf(p, "word%c%c ", 'a' + k % 26, 'a' + k / 26);
        sprintf(p, "own%d", i);
        snprintf(id, sizeof id, "d%d", i);
        newsidx_doc_t d = {id, "same words", body, "1987-03-01", "wire", NULL, t_oil, 1, NULL, 0};
        CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
    }
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(path, &r), NEWSIDX_OK);
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.facets = (1u << NEWSIDX_FACETS) - 1;
    o.timeout_ms = 1;
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_similar(r, "d0", &o, &res), NEWSIDX_TIMEOUT);
    CHECK(strstr(newsidx_reader_error(r), "time limit") != NULL);
    for (int f = 0; f < NEWSIDX_FACETS; f++) CHECK_INT(newsidx_results_facet_size(res, (newsidx_facet_t)f), 0);
    newsidx_results_destroy(res);
    o.timeout_ms = NEWSD_MAX_QUERY_TIMEOUT_MS;
    res = NULL;
    CHECK_INT(newsidx_similar(r, "d0", &o, &res), NEWSIDX_OK);
    CHECK(newsidx_results_total(res) > SLOW_DOCS / 2);
    CHECK(newsidx_results_count(res) == NEWSD_DEFAULT_LIMIT);
    newsidx_results_destroy(res);
    newsidx_reader_close(r);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_similar.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char one[128], slow[128];
    snprintf(one, sizeof one, "%s/one", tmpdir);
    snprintf(slow, sizeof slow, "%s/slow", tmpdir);
    build(one, docs, NDOCS, 0, 1);
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(one, &r), NEWSIDX_OK);
    test_similar(one, r);
    newsidx_reader_close(r);
    test_deadline(slow);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_report();
}
