/*
 * test_recency.c: the recency blend of newsidx_search (opts.recency_days, recency_now)
 * over a small index with controlled dates: equal relevance ranks the newer article
 * first, recency never adds or drops a match, the score is relevance plus
 * NEWSD_RECENCY_WEIGHT * 2^(-age / halflife), a huge half-life keeps the relevance order,
 * recency 0 changes nothing, bad values are NEWSIDX_BAD_ARGUMENT, three local shards
 * rank and score as the one index does, and an article re-dated after a recency search
 * ranks by its new day once the reader reopens (the reader's day tables follow the
 * index).
 */
#include <math.h>

#include "newsd_limits.h"
#include "newsidx_fixture.h"

#define NSHARDS 3
#define MAX_HITS 64

/* e1..e5: the same text on five days, put oldest first (so plain relevance, ties broken
 * by docid, lists them oldest first); b1..b4: "beta" once to four times, distinct
 * relevance on scattered days; nodate: matches, has no date; late: the newest day of the
 * index (the default origin), matching none of the queries below but "late". */
static const newsidx_doc_t rdocs[] = {
    {"e1", "Same", "identical story about the harbour", "2021-03-01", "Wire", NULL, NULL, 0, NULL, 0},
    {"e2", "Same", "identical story about the harbour", "2021-03-02", "Wire", NULL, NULL, 0, NULL, 0},
    {"e3", "Same", "identical story about the harbour", "2021-03-03", "Wire", NULL, NULL, 0, NULL, 0},
    {"e4", "Same", "identical story about the harbour", "2021-03-04", "Wire", NULL, NULL, 0, NULL, 0},
    {"e5", "Same", "identical story about the harbour", "2021-03-05", "Wire", NULL, NULL, 0, NULL, 0},
    {"b1", "One", "beta harbour news of the week with more words", "2021-03-09", "Wire", NULL, NULL, 0, NULL, 0},
    {"b2", "Two", "beta beta harbour news of the week with words", "2021-02-01", "Wire", NULL, NULL, 0, NULL, 0},
    {"b3", "Three", "beta beta beta harbour news of the week", "2021-03-08", "Wire", NULL, NULL, 0, NULL, 0},
    {"b4", "Four", "beta beta beta beta harbour news of week", "2020-12-25", "Wire", NULL, NULL, 0, NULL, 0},
    {"nodate", "None", "identical story about the harbour, undated", NULL, "Wire", NULL, NULL, 0, NULL, 0},
    {"late", "Late", "late news only", "2021-03-10", "Wire", NULL, NULL, 0, NULL, 0},
};
#define NRDOCS (sizeof rdocs / sizeof rdocs[0])

static void build(const char *one, char shards[NSHARDS][128])
{
    newsidx_writer_t *w = NULL, *part[NSHARDS] = {NULL};
    CHECK_INT(newsidx_writer_open(one, NEWSIDX_OVERWRITE, &w), NEWSIDX_OK);
    for (int k = 0; k < NSHARDS; k++)
        CHECK_INT(newsidx_writer_open(shards[k], NEWSIDX_OVERWRITE, &part[k]), NEWSIDX_OK);
    for (size_t i = 0; i < NRDOCS; i++) {
        CHECK_INT(newsidx_writer_put(w, &rdocs[i], NULL), NEWSIDX_OK);
        CHECK_INT(newsidx_writer_put(part[newsidx_shard_of(rdocs[i].id, NSHARDS)], &rdocs[i], NULL),
                  NEWSIDX_OK);
    }
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    for (int k = 0; k < NSHARDS; k++) CHECK_INT(newsidx_writer_close(part[k]), NEWSIDX_OK);
}

/* One search's hits: ids and scores, and its total. */
typedef struct page {
    size_t n;
    char id[MAX_HITS][16];
    double score[MAX_HITS];
    uint64_t total;
} page_t;

static newsidx_status_t run(newsidx_reader_t *r, const char *q, unsigned days, const char *now,
                            page_t *p)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.limit = MAX_HITS;
    o.exact_total = 1;
    o.recency_days = days;
    o.recency_now = now;
    newsidx_results_t *res = NULL;
    memset(p, 0, sizeof *p);
    newsidx_status_t st = newsidx_search(r, q, &o, &res);
    if (st != NEWSIDX_OK) return st;
    p->total = newsidx_results_total(res);
    for (size_t i = 0; i < newsidx_results_count(res) && i < MAX_HITS; i++, p->n++) {
        const newsidx_hit_t *h = newsidx_results_hit(res, i);
        snprintf(p->id[i], sizeof p->id[i], "%s", h->id);
        p->score[i] = h->score;
    }
    newsidx_results_destroy(res);
    return st;
}

static char *joined(const page_t *p)
{
    static char buf[MAX_HITS * 17];
    buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        if (i) strcat(buf, ",");
        strcat(buf, p->id[i]);
    }
    return buf;
}

static double score_of(const page_t *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->id[i], id) == 0) return p->score[i];
    return -1;
}

static int has(const page_t *p, const char *id) { return score_of(p, id) >= 0; }

static void test_equal_relevance(newsidx_reader_t *r)
{
    page_t plain, rec;
    CHECK_INT(run(r, "identical", 0, NULL, &plain), NEWSIDX_OK);
    CHECK_STR(joined(&plain), "e1,e2,e3,e4,e5,nodate");
    CHECK_INT(run(r, "identical", 10, NULL, &rec), NEWSIDX_OK);
    /* the newer first; the undated one, with no boost, last */
    CHECK_STR(joined(&rec), "e5,e4,e3,e2,e1,nodate");
    for (size_t i = 1; i + 1 < rec.n; i++) CHECK(rec.score[i] < rec.score[i - 1]);
    /* an origin inside the days: the articles after it count as new, ties by docid */
    CHECK_INT(run(r, "identical", 10, "2021-03-03", &rec), NEWSIDX_OK);
    CHECK_STR(joined(&rec), "e3,e4,e5,e2,e1,nodate");
}

/* The score is relevance plus the recency weight of the article's age from the origin. */
static void test_formula(newsidx_reader_t *r)
{
    page_t plain, rec;
    CHECK_INT(run(r, "harbour", 0, NULL, &plain), NEWSIDX_OK);
    CHECK_INT(run(r, "harbour", 7, NULL, &rec), NEWSIDX_OK);
    static const struct { const char *id; int age; } ages[] = {
        {"e1", 9}, {"e5", 5}, {"b1", 1}, {"b2", 37}, {"b4", 75}, {"nodate", -1}};
    for (size_t i = 0; i < sizeof ages / sizeof ages[0]; i++) {
        double want = ages[i].age < 0 ? 0 : NEWSD_RECENCY_WEIGHT * exp2(-ages[i].age / 7.0);
        double got = score_of(&rec, ages[i].id) - score_of(&plain, ages[i].id);
        CHECK(fabs(got - want) < 1e-9);
    }
    /* given as YYYYMMDD, an origin of 2021-03-01 makes e1 new and later days no newer */
    CHECK_INT(run(r, "harbour", 7, "20210301", &rec), NEWSIDX_OK);
    CHECK(fabs(score_of(&rec, "e1") - score_of(&plain, "e1") - NEWSD_RECENCY_WEIGHT) < 1e-9);
    CHECK(fabs(score_of(&rec, "b1") - score_of(&plain, "b1") - NEWSD_RECENCY_WEIGHT) < 1e-9);
}

/* Recency reorders the matches; it never adds one or drops one. */
static void test_same_matches(newsidx_reader_t *r)
{
    static const char *const queries[] = {"harbour", "identical", "beta", "beta OR late",
                                          "harbour -beta", "news", "nothingmatches"};
    static const unsigned days[] = {1, 30, NEWSD_MAX_RECENCY_DAYS};
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        page_t plain, rec;
        CHECK_INT(run(r, queries[q], 0, NULL, &plain), NEWSIDX_OK);
        for (size_t d = 0; d < sizeof days / sizeof days[0]; d++) {
            CHECK_INT(run(r, queries[q], days[d], NULL, &rec), NEWSIDX_OK);
            CHECK_INT(rec.total, plain.total);
            CHECK_INT(rec.n, plain.n);
            for (size_t i = 0; i < rec.n; i++) CHECK(has(&plain, rec.id[i]));
        }
    }
    page_t rec;
    CHECK_INT(run(r, "harbour", 1, NULL, &rec), NEWSIDX_OK);
    CHECK(!has(&rec, "late")); /* the newest article, matching nothing asked */
}

/* With the longest half-life the weights differ by less than relevance does: the
 * relevance order (b4 > b3 > b2 > b1, whatever their days) stays, and recency 0 is the
 * plain search score for score. */
static void test_huge_halflife_and_off(newsidx_reader_t *r)
{
    page_t plain, rec, off;
    static const char *const queries[] = {"beta", "beta harbour", "week"};
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        CHECK_INT(run(r, queries[q], 0, NULL, &plain), NEWSIDX_OK);
        CHECK_INT(run(r, queries[q], NEWSD_MAX_RECENCY_DAYS, NULL, &rec), NEWSIDX_OK);
        CHECK_STR(joined(&rec), joined(&plain));
        CHECK_INT(run(r, queries[q], 0, "2030-01-01", &off), NEWSIDX_OK);
        CHECK_INT(off.n, plain.n);
        for (size_t i = 0; i < off.n; i++) {
            CHECK_STR(off.id[i], plain.id[i]);
            CHECK(off.score[i] == plain.score[i]);
        }
    }
    CHECK_INT(run(r, "beta", 0, NULL, &plain), NEWSIDX_OK);
    CHECK_STR(joined(&plain), "b4,b3,b2,b1");
    /* a short half-life lets age win over the small differences of relevance */
    CHECK_INT(run(r, "beta", 1, NULL, &rec), NEWSIDX_OK);
    CHECK_STR(joined(&rec), "b1,b3,b4,b2");
}

static void test_bad_values(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.recency_days = NEWSD_MAX_RECENCY_DAYS + 1;
    CHECK_INT(search_status(r, "harbour", &o), NEWSIDX_BAD_ARGUMENT);
    CHECK(strstr(newsidx_reader_error(r), "recency must be a number of days") != NULL);
    o.recency_days = 30;
    static const char *const bad_days[] = {"2021-13-01", "yesterday", "", "2021-02-30"};
    for (size_t i = 0; i < sizeof bad_days / sizeof bad_days[0]; i++) {
        o.recency_now = bad_days[i];
        CHECK_INT(search_status(r, "harbour", &o), NEWSIDX_BAD_ARGUMENT);
        CHECK(strstr(newsidx_reader_error(r), "recency now must be a day") != NULL);
    }
    o.recency_now = NULL;
    o.sort = NEWSIDX_SORT_DATE;
    CHECK_INT(search_status(r, "harbour", &o), NEWSIDX_BAD_ARGUMENT);
    CHECK(strstr(newsidx_reader_error(r), "not with sort by date") != NULL);
    o.sort = NEWSIDX_SORT_DATE_ASC;
    CHECK_INT(search_status(r, "harbour", &o), NEWSIDX_BAD_ARGUMENT);
    o.recency_days = 0; /* sorting by date without recency is fine */
    CHECK_INT(search_status(r, "harbour", &o), NEWSIDX_OK);
}

static void test_sharded(newsidx_reader_t *one, newsidx_reader_t *sharded)
{
    static const char *const queries[] = {"harbour", "identical", "beta", "news OR late"};
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        page_t a, b;
        CHECK_INT(run(one, queries[q], 5, NULL, &a), NEWSIDX_OK);
        CHECK_INT(run(sharded, queries[q], 5, NULL, &b), NEWSIDX_OK);
        CHECK_STR(joined(&b), joined(&a));
        CHECK_INT(b.total, a.total);
        for (size_t i = 0; i < a.n && i < b.n; i++) CHECK(fabs(a.score[i] - b.score[i]) < 1e-9);
    }
}

/* Re-putting e1 with the newest day moves it to the top once the reader reopens; the
 * one of the shards that holds it moves too, and the shards still rank as one index. */
static void test_redated(const char *one, char shards[NSHARDS][128], newsidx_reader_t *r,
                         newsidx_reader_t *sharded)
{
    page_t before, after, sh;
    CHECK_INT(run(r, "identical", 10, NULL, &before), NEWSIDX_OK);
    CHECK_STR(joined(&before), "e5,e4,e3,e2,e1,nodate");
    newsidx_doc_t d = rdocs[0];
    d.date = "2021-03-10";
    const char *paths[2] = {one, shards[newsidx_shard_of(d.id, NSHARDS)]};
    for (int k = 0; k < 2; k++) {
        newsidx_writer_t *w = NULL;
        CHECK_INT(newsidx_writer_open(paths[k], 0, &w), NEWSIDX_OK);
        CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
        CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    }
    int changed = 0;
    CHECK_INT(newsidx_reader_reopen(r, &changed), NEWSIDX_OK);
    CHECK_INT(changed, 1);
    CHECK_INT(newsidx_reader_reopen(sharded, &changed), NEWSIDX_OK);
    CHECK_INT(run(r, "identical", 10, NULL, &after), NEWSIDX_OK);
    CHECK_STR(joined(&after), "e1,e5,e4,e3,e2,nodate");
    CHECK_INT(run(sharded, "identical", 10, NULL, &sh), NEWSIDX_OK);
    CHECK_STR(joined(&sh), joined(&after));
    for (size_t i = 0; i < sh.n && i < after.n; i++)
        CHECK(fabs(sh.score[i] - after.score[i]) < 1e-9);
}

int main(void)
{
    if (fixture_begin() != 0) return 1;
    char one[128], shards[NSHARDS][128];
    path_in(one, sizeof one, "one");
    for (int k = 0; k < NSHARDS; k++) snprintf(shards[k], sizeof shards[k], "%s/shard-%d", tmpdir, k);
    build(one, shards);
    newsidx_reader_t *r = NULL, *sharded = NULL;
    const char *specs[NSHARDS] = {shards[0], shards[1], shards[2]};
    CHECK_INT(newsidx_reader_open(one, &r), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_open_shards(specs, NSHARDS, 0, &sharded), NEWSIDX_OK);
    if (r && sharded) {
        test_equal_relevance(r);
        test_formula(r);
        test_same_matches(r);
        test_huge_halflife_and_off(r);
        test_bad_values(r);
        test_sharded(r, sharded);
        test_redated(one, shards, r, sharded);
    }
    newsidx_reader_close(r);
    newsidx_reader_close(sharded);
    fixture_end();
    return check_report();
}
