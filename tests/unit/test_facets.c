/*
 * test_facets: facets and filter lists through the C API (newsidx.h, "Facets").
 *
 * The shipped corpus is read once and written into one index and into three shards split
 * by newsidx_shard_of.  For several queries every facet value is checked against
 * newsidx_count with that value as the only extra filter (a time bucket as since/until),
 * and the sharded reader's facets must equal the single index's.  Filter lists are
 * checked against single filters (any-of of disjoint values is their sum; a not_ list is
 * the total minus the values), filters must leave scores alone, and every bad input gets
 * its error.  A tiny index with dates a century apart makes the bucket limit easy to
 * reach.  Runs from the repository root.
 */
#include "ingest.h"
#include "newsidx_fixture.h"

#include "day.h"
#include "newsd_limits.h"

#define NSHARDS 3
#define TOP 20

static const char *const QUERIES[] = { "the", "\"crude oil\"", "bank rates", "oil OR gas" };

static const unsigned COUNT_FACETS = NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE) |
                                     NEWSIDX_FACET_BIT(NEWSIDX_FACET_TOPIC) |
                                     NEWSIDX_FACET_BIT(NEWSIDX_FACET_PLACE);

/* ---- building ---- */

static void build_corpus(const char *single, char shards[NSHARDS][128])
{
    newsidx_writer_t *one = NULL, *part[NSHARDS] = { NULL };
    CHECK_INT(newsidx_writer_open(single, NEWSIDX_OVERWRITE | NEWSIDX_BULK, &one), NEWSIDX_OK);
    for (int k = 0; k < NSHARDS; k++)
        CHECK_INT(newsidx_writer_open(shards[k], NEWSIDX_OVERWRITE | NEWSIDX_BULK, &part[k]),
                  NEWSIDX_OK);
    ingest_filelist_t l = { 0 };
    unsigned errors = 0;
    const char *paths[] = { "corpus" };
    CHECK_INT(ingest_walk(paths, 1, NULL, NULL, &l, NULL, NULL, &errors), 0);
    size_t docs = 0;
    for (size_t i = 0; i < l.n; i++) {
        char err[512];
        ingest_source_t src = { .path = l.files[i].path, .id = l.files[i].id };
        ingest_reader_t *r = ingest_open(&src, err, sizeof err);
        CHECK(r != NULL);
        if (!r)
            continue;
        newsidx_doc_t d;
        ingest_result_t res;
        while ((res = ingest_next(r, &d)) != INGEST_EOF && res != INGEST_FAIL) {
            if (res != INGEST_DOC)
                continue;
            CHECK_INT(newsidx_writer_put(one, &d, NULL), NEWSIDX_OK);
            CHECK_INT(newsidx_writer_put(part[newsidx_shard_of(d.id, NSHARDS)], &d, NULL),
                      NEWSIDX_OK);
            docs++;
        }
        ingest_close(r);
    }
    ingest_filelist_free(&l);
    CHECK_INT(docs, 23804);
    CHECK_INT(newsidx_writer_close(one), NEWSIDX_OK);
    for (int k = 0; k < NSHARDS; k++)
        CHECK_INT(newsidx_writer_close(part[k]), NEWSIDX_OK);
}

static void put(newsidx_writer_t *w, const char *id, const char *date, const char *source,
                const char **topics, size_t ntopics, const char **places, size_t nplaces)
{
    newsidx_doc_t d;
    memset(&d, 0, sizeof d);
    d.id = id;
    d.title = "a title";
    d.body = "common words";
    d.date = date;
    d.source = source;
    d.topics = topics;
    d.ntopics = ntopics;
    d.places = places;
    d.nplaces = nplaces;
    CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
}

/* Three documents: dates a century apart, a topic set written two ways, one bare. */
static void build_tiny(const char *path)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    const char *t1[] = { "Crude", "oil" }, *t2[] = { "oil", "crude", "OIL" };
    const char *p1[] = { "usa" };
    put(w, "d1", "1900-01-01", "Wire", t1, 2, p1, 1);
    put(w, "d2", "2000-01-01T10:00:00Z", "wire", t2, 3, NULL, 0);
    put(w, "d3", NULL, NULL, NULL, 0, NULL, 0);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

/* Documents of one source (written two ways), split over two indexes: the source facet
 * then comes from the value statistics instead of a spy. */
static void build_one_source(const char *a, const char *b)
{
    newsidx_writer_t *w = NULL;
    const char *t[] = { "oil" };
    CHECK_INT(newsidx_writer_open(a, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    put(w, "s1", "2001-01-01", "Wire", t, 1, NULL, 0);
    put(w, "s2", "2002-01-01", "wire", NULL, 0, NULL, 0);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_open(b, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    put(w, "s3", "2003-01-01", "WIRE", t, 1, NULL, 0);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

/* ---- helpers ---- */

static uint64_t count(newsidx_reader_t *r, const char *q, const newsidx_search_opts_t *o)
{
    uint64_t n = 0;
    newsidx_status_t st = newsidx_count(r, q, o, &n);
    if (st != NEWSIDX_OK)
        fprintf(stderr, "count '%s': %s\n", q, newsidx_reader_error(r));
    CHECK_INT(st, NEWSIDX_OK);
    return n;
}

static newsidx_results_t *search(newsidx_reader_t *r, const char *q, const newsidx_search_opts_t *o)
{
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(r, q, o, &res);
    if (st != NEWSIDX_OK)
        fprintf(stderr, "search '%s': %s\n", q, newsidx_reader_error(r));
    CHECK_INT(st, NEWSIDX_OK);
    return res;
}

/* The first and last day of a time bucket ("YYYY", "YYYY-MM" or "YYYY-MM-DD"). */
static void bucket_days(const char *b, char since[11], char until[11])
{
    int y = atoi(b), m = strlen(b) > 4 ? atoi(b + 5) : 0, d = strlen(b) > 7 ? atoi(b + 8) : 0;
    int m1 = m ? m : 1, m2 = m ? m : 12;
    int last = 31;
    while (!day_valid(y, m2, last))
        last--;
    snprintf(since, 11, "%04d-%02d-%02d", y, m1, d ? d : 1);
    snprintf(until, 11, "%04d-%02d-%02d", y, m2, d ? d : last);
}

/* Whether bucket i of a time facet of n buckets is checked: the ends, and every one
 * with documents. */
static int checked_bucket(size_t i, size_t n, uint64_t c)
{
    return i < 24 || i + 24 >= n || c > 0;
}

/*
 * Every facet of `facets` for q under base: the total equals newsidx_count; each of the
 * first TOP values of a count facet, and the checked buckets of a time facet, have the
 * count newsidx_count gives with that value as a filter (a bucket as since/until, within
 * base's); count facets are in order, most first, ties by value.
 */
static void check_against_counts(newsidx_reader_t *r, const char *q,
                                 const newsidx_search_opts_t *base, unsigned facets)
{
    newsidx_search_opts_t o = *base;
    o.facets = facets;
    o.facet_limit = TOP;
    o.limit = 0;
    newsidx_results_t *res = search(r, q, &o);
    if (!res)
        return;
    uint64_t total = count(r, q, base);
    CHECK_INT(newsidx_results_total(res), total);
    CHECK_INT(newsidx_results_total_exact(res), 1);
    CHECK_INT(newsidx_results_count(res), 0);
    for (int f = 0; f < NEWSIDX_FACETS; f++) {
        size_t n = newsidx_results_facet_size(res, (newsidx_facet_t)f);
        if (!(facets & NEWSIDX_FACET_BIT(f))) {
            CHECK_INT(n, 0);
            continue;
        }
        int is_count = f <= NEWSIDX_FACET_PLACE;
        if (is_count)
            CHECK(n <= TOP);
        if (total > 0 && f != NEWSIDX_FACET_PLACE)
            CHECK(n > 0);   /* every corpus document has a source, a topic-or-folder, a date */
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            const newsidx_facet_value_t *v = newsidx_results_facet_value(res, (newsidx_facet_t)f, i);
            sum += v->count;
            if (is_count && i > 0) {
                const newsidx_facet_value_t *p = newsidx_results_facet_value(res, (newsidx_facet_t)f, i - 1);
                CHECK(p->count > v->count || (p->count == v->count && strcmp(p->value, v->value) < 0));
            }
            if (!is_count && !checked_bucket(i, n, v->count))
                continue;
            newsidx_search_opts_t c = *base;
            char since[11], until[11];
            if (f == NEWSIDX_FACET_SOURCE) {
                c.source = v->value;
            } else if (f == NEWSIDX_FACET_TOPIC) {
                c.topic = v->value;
            } else if (f == NEWSIDX_FACET_PLACE) {
                c.place = v->value;
            } else {
                bucket_days(v->value, since, until);
                if (!base->since || strcmp(since, base->since) > 0)
                    c.since = since;
                if (!base->until || strcmp(until, base->until) < 0)
                    c.until = until;
            }
            uint64_t want = count(r, q, &c);
            if (want != v->count)
                fprintf(stderr, "query '%s' facet %s value '%s': facet %" PRIu64
                        " count %" PRIu64 "\n", q, newsidx_facet_name((newsidx_facet_t)f),
                        v->value, v->count, want);
            CHECK_INT(v->count, want);
        }
        /* Time buckets cover every dated match; sources every match (when all listed). */
        if (!is_count || (f == NEWSIDX_FACET_SOURCE && n < TOP))
            CHECK_INT(sum, total);
    }
    newsidx_results_destroy(res);
}

/* The facets of the two readers for q are the same, value for value. */
static void check_same_facets(newsidx_reader_t *a, newsidx_reader_t *b, const char *q,
                              const newsidx_search_opts_t *base, unsigned facets)
{
    newsidx_search_opts_t o = *base;
    o.facets = facets;
    o.facet_limit = NEWSD_MAX_FACET_LIMIT;
    newsidx_results_t *ra = search(a, q, &o), *rb = search(b, q, &o);
    if (ra && rb) {
        CHECK_INT(newsidx_results_total(ra), newsidx_results_total(rb));
        for (int f = 0; f < NEWSIDX_FACETS; f++) {
            size_t n = newsidx_results_facet_size(ra, (newsidx_facet_t)f);
            CHECK_INT(newsidx_results_facet_size(rb, (newsidx_facet_t)f), n);
            if (newsidx_results_facet_size(rb, (newsidx_facet_t)f) != n)
                continue;
            size_t diffs = 0;
            for (size_t i = 0; i < n; i++) {
                const newsidx_facet_value_t *va = newsidx_results_facet_value(ra, (newsidx_facet_t)f, i);
                const newsidx_facet_value_t *vb = newsidx_results_facet_value(rb, (newsidx_facet_t)f, i);
                diffs += strcmp(va->value, vb->value) != 0 || va->count != vb->count;
            }
            CHECK_INT(diffs, 0);
        }
    }
    newsidx_results_destroy(ra);
    newsidx_results_destroy(rb);
}

/* ---- the tests ---- */

static void test_facets_equal_counts(newsidx_reader_t *one, newsidx_reader_t *sharded)
{
    newsidx_search_opts_t base;
    newsidx_search_opts_init(&base);
    unsigned coarse = COUNT_FACETS | NEWSIDX_FACET_BIT(NEWSIDX_FACET_YEAR) |
                      NEWSIDX_FACET_BIT(NEWSIDX_FACET_MONTH);
    for (size_t i = 0; i < sizeof QUERIES / sizeof *QUERIES; i++) {
        check_against_counts(one, QUERIES[i], &base, coarse);
        check_same_facets(one, sharded, QUERIES[i], &base, coarse);
    }
    /* Days, within two months of 1987. */
    newsidx_search_opts_t spring = base;
    spring.since = "1987-03-01";
    spring.until = "1987-04-30";
    unsigned all = (1u << NEWSIDX_FACETS) - 1;
    for (size_t i = 0; i < sizeof QUERIES / sizeof *QUERIES; i++) {
        check_against_counts(one, QUERIES[i], &spring, all);
        check_same_facets(one, sharded, QUERIES[i], &spring, all);
    }
    /* Under filter lists (none on a field whose facet then replaces it in the check). */
    newsidx_search_opts_t some = base;
    some.source = "reuters,bbc";
    some.not_topic = "earn,acq";
    some.not_place = "usa";
    check_against_counts(one, "the", &some, coarse);
    check_same_facets(one, sharded, "the", &some, coarse);
    check_against_counts(sharded, "\"crude oil\"", &spring, all);
}

static void test_filter_lists(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    uint64_t total = count(r, "the", &o);
    o.source = "reuters";
    uint64_t reuters = count(r, "the", &o);
    o.source = "bbc";
    uint64_t bbc = count(r, "the", &o);
    CHECK(reuters > 0 && bbc > 0);
    /* A document has one source: any-of over sources is the sum. */
    o.source = "reuters,bbc";
    CHECK_INT(count(r, "the", &o), reuters + bbc);
    o.source = "REUTERS,Bbc,nosuchsource";
    CHECK_INT(count(r, "the", &o), reuters + bbc);
    o.source = NULL;
    o.not_source = "reuters";
    CHECK_INT(count(r, "the", &o), total - reuters);
    o.not_source = "reuters,bbc";
    CHECK_INT(count(r, "the", &o), total - reuters - bbc);

    /* Topics overlap: any-of lies between the largest single and the sum; leaving out
     * is the total minus the any-of. */
    o.not_source = NULL;
    o.topic = "crude";
    uint64_t crude = count(r, "oil", &o);
    o.topic = "ship";
    uint64_t ship = count(r, "oil", &o);
    o.topic = "crude,ship";
    uint64_t either = count(r, "oil", &o);
    CHECK(either >= crude && either >= ship && either <= crude + ship);
    newsidx_search_opts_t plain;
    newsidx_search_opts_init(&plain);
    uint64_t oil = count(r, "oil", &plain);
    o.topic = NULL;
    o.not_topic = "crude,ship";
    CHECK_INT(count(r, "oil", &o), oil - either);
    o.not_topic = NULL;
    o.place = "usa";
    uint64_t usa = count(r, "oil", &o);
    o.place = NULL;
    o.not_place = "usa";
    CHECK_INT(count(r, "oil", &o), oil - usa);
    /* Together: topic any-of, minus a place. */
    o.topic = "crude,ship";
    o.place = "usa";
    o.not_place = NULL;
    uint64_t both = count(r, "oil", &o);
    o.place = NULL;
    o.not_place = "usa";
    CHECK_INT(count(r, "oil", &o), either - both);
}

/* The ids and scores of every hit of q under o, paged, as "id:score;...". */
static char *all_hits(newsidx_reader_t *r, const char *q, newsidx_search_opts_t o,
                      const char *keep_source)
{
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    o.limit = NEWSD_MAX_LIMIT;
    for (o.offset = 0;; o.offset += NEWSD_MAX_LIMIT) {
        newsidx_results_t *res = search(r, q, &o);
        size_t n = newsidx_results_count(res);
        for (size_t i = 0; i < n; i++) {
            const newsidx_hit_t *h = newsidx_results_hit(res, i);
            if (keep_source && strcmp(h->source, keep_source) != 0)
                continue;
            if (len + strlen(h->id) + 32 >= cap)
                out = realloc(out, cap *= 2);
            len += (size_t)sprintf(out + len, "%s:%.9g;", h->id, h->score);
        }
        newsidx_results_destroy(res);
        if (n < NEWSD_MAX_LIMIT)
            break;
    }
    return out;
}

static void test_filters_keep_scores(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    const char *q = "\"crude oil\" prices";
    char *unfiltered = all_hits(r, q, o, "bbc");
    o.source = "bbc";
    char *filtered = all_hits(r, q, o, NULL);
    CHECK(strlen(filtered) > 0);
    CHECK_STR(filtered, unfiltered);
    free(filtered);
    /* The same with a not_ list and facets asked (which run the match to its end). */
    o.source = NULL;
    o.not_source = "reuters";
    o.facets = COUNT_FACETS;
    filtered = all_hits(r, q, o, NULL);
    CHECK_STR(filtered, unfiltered);
    free(filtered);
    free(unfiltered);
}

static void expect_bad(newsidx_reader_t *r, const newsidx_search_opts_t *o, const char *words)
{
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, "common", o, &res), NEWSIDX_BAD_ARGUMENT);
    CHECK(res == NULL);
    const char *msg = newsidx_reader_error(r);
    if (!strstr(msg, words))
        fprintf(stderr, "want '%s' in '%s'\n", words, msg);
    CHECK(strstr(msg, words) != NULL);
}

static void test_bad_inputs(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.source = "";
    expect_bad(r, &o, "source has an empty value");
    o.source = "a,,b";
    expect_bad(r, &o, "source has an empty value");
    o.source = "a,";
    expect_bad(r, &o, "source has an empty value");
    o.source = NULL;
    o.not_place = ",a";
    expect_bad(r, &o, "not_place has an empty value");
    /* The count refuses the same. */
    uint64_t n = 777;
    CHECK_INT(newsidx_count(r, "common", &o, &n), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(n, 777);
    o.not_place = NULL;

    /* NEWSD_MAX_FILTER_VALUES values pass, one more does not. */
    char many[NEWSD_MAX_FILTER_VALUES * 4 + 8] = "";
    for (int i = 0; i < NEWSD_MAX_FILTER_VALUES; i++)
        sprintf(many + strlen(many), "%sv%d", i ? "," : "", i);
    o.topic = many;
    CHECK_INT(count(r, "common", &o), 0);
    strcat(many, ",x");
    char limit[32];
    snprintf(limit, sizeof limit, "more than %d values", NEWSD_MAX_FILTER_VALUES);
    expect_bad(r, &o, "topic has");
    expect_bad(r, &o, limit);
    o.topic = NULL;

    /* facet_limit: 0 is the default, the maximum passes, one more does not. */
    o.facets = NEWSIDX_FACET_BIT(NEWSIDX_FACET_TOPIC);
    o.facet_limit = NEWSD_MAX_FACET_LIMIT;
    newsidx_results_t *res = search(r, "common", &o);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_TOPIC), 2);
    newsidx_results_destroy(res);
    o.facet_limit = NEWSD_MAX_FACET_LIMIT + 1;
    char want[64];
    snprintf(want, sizeof want, "facet_limit must be a number from 1 to %d", NEWSD_MAX_FACET_LIMIT);
    expect_bad(r, &o, want);
    o.facet_limit = 0;
    o.facets = 1u << NEWSIDX_FACETS;
    expect_bad(r, &o, "unknown facet");
    o.facets = ~0u;
    expect_bad(r, &o, "unknown facet");

    /* A day facet over a century passes NEWSD_MAX_FACET_BUCKETS; since/until fix it. */
    o.facets = NEWSIDX_FACET_BIT(NEWSIDX_FACET_DAY);
    snprintf(want, sizeof want, "more than %d", NEWSD_MAX_FACET_BUCKETS);
    expect_bad(r, &o, want);
    expect_bad(r, &o, "since and until");
    o.since = "1999-12-01";
    res = search(r, "common", &o);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_DAY), 1);
    const newsidx_facet_value_t *v = newsidx_results_facet_value(res, NEWSIDX_FACET_DAY, 0);
    CHECK_STR(v ? v->value : NULL, "2000-01-01");
    CHECK_INT(v ? v->count : 0, 1);
    newsidx_results_destroy(res);
}

static void test_tiny(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.facets = (1u << NEWSIDX_FACETS) - 1 - NEWSIDX_FACET_BIT(NEWSIDX_FACET_DAY);
    o.limit = 0;
    newsidx_results_t *res = search(r, "common", &o);
    if (!res)
        return;
    CHECK_INT(newsidx_results_total(res), 3);
    CHECK_INT(newsidx_results_count(res), 0);
    /* Sources lowercased into one value; the document without one is not counted. */
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_SOURCE), 1);
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_SOURCE, 0)->value, "wire");
    CHECK_INT(newsidx_results_facet_value(res, NEWSIDX_FACET_SOURCE, 0)->count, 2);
    /* {Crude, oil} and {oil, crude, OIL} are one set: each member counted once per
     * document; the tie is broken by value. */
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_TOPIC), 2);
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_TOPIC, 0)->value, "crude");
    CHECK_INT(newsidx_results_facet_value(res, NEWSIDX_FACET_TOPIC, 0)->count, 2);
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_TOPIC, 1)->value, "oil");
    CHECK_INT(newsidx_results_facet_value(res, NEWSIDX_FACET_TOPIC, 1)->count, 2);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_PLACE), 1);
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_PLACE, 0)->value, "usa");
    /* Every year from 1900 to 2000, empty ones included; months likewise. */
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_YEAR), 101);
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_YEAR, 0)->value, "1900");
    CHECK_INT(newsidx_results_facet_value(res, NEWSIDX_FACET_YEAR, 0)->count, 1);
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_YEAR, 50)->value, "1950");
    CHECK_INT(newsidx_results_facet_value(res, NEWSIDX_FACET_YEAR, 50)->count, 0);
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_YEAR, 100)->value, "2000");
    CHECK_INT(newsidx_results_facet_value(res, NEWSIDX_FACET_YEAR, 100)->count, 1);
    CHECK(newsidx_results_facet_value(res, NEWSIDX_FACET_YEAR, 101) == NULL);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_MONTH), 100 * 12 + 1);
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_MONTH, 1)->value, "1900-02");
    CHECK_STR(newsidx_results_facet_value(res, NEWSIDX_FACET_MONTH, 1200)->value, "2000-01");
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_DAY), 0);   /* not asked */
    CHECK(newsidx_results_facet_value(res, NEWSIDX_FACET_DAY, 0) == NULL);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACETS), 0);
    CHECK(newsidx_results_facet_value(res, NEWSIDX_FACETS, 0) == NULL);
    newsidx_results_destroy(res);

    /* Hits and facets together. */
    o.facets = NEWSIDX_FACET_BIT(NEWSIDX_FACET_DAY) | NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE);
    o.since = "1999-01-01";
    o.limit = 10;
    res = search(r, "common", &o);
    CHECK_INT(newsidx_results_count(res), 1);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_DAY), 1);
    newsidx_results_destroy(res);

    /* No match: no values. */
    res = search(r, "nosuchword", &o);
    CHECK_INT(newsidx_results_total(res), 0);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_DAY), 0);
    CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_SOURCE), 0);
    newsidx_results_destroy(res);
    CHECK_INT(newsidx_results_facet_size(NULL, NEWSIDX_FACET_SOURCE), 0);
}

/* The source facet of an index of one source is that source with the exact total,
 * with and without hits, under filters, and on a sharded reader. */
static void test_one_source(newsidx_reader_t *r, uint64_t docs)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.facets = NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE) | NEWSIDX_FACET_BIT(NEWSIDX_FACET_TOPIC);
    for (unsigned limit = 0; limit <= 1; limit++) {
        o.limit = limit;
        o.since = NULL;
        newsidx_results_t *res = search(r, "common", &o);
        CHECK_INT(newsidx_results_total(res), docs);
        CHECK(newsidx_results_total_exact(res));
        CHECK_INT(newsidx_results_count(res), limit);
        CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_SOURCE), 1);
        const newsidx_facet_value_t *v = newsidx_results_facet_value(res, NEWSIDX_FACET_SOURCE, 0);
        CHECK_STR(v ? v->value : NULL, "wire");
        CHECK_INT(v ? v->count : 0, docs);
        newsidx_results_destroy(res);

        o.since = "2002-01-01";
        res = search(r, "common", &o);
        CHECK_INT(newsidx_results_total(res), docs - 1);
        v = newsidx_results_facet_value(res, NEWSIDX_FACET_SOURCE, 0);
        CHECK_INT(v ? v->count : 0, docs - 1);
        CHECK_INT(v ? v->count : 0, count(r, "common", &o));
        newsidx_results_destroy(res);

        res = search(r, "nosuchword", &o);
        CHECK_INT(newsidx_results_total(res), 0);
        CHECK_INT(newsidx_results_facet_size(res, NEWSIDX_FACET_SOURCE), 0);
        newsidx_results_destroy(res);
    }
}

static void test_names(void)
{
    for (int f = 0; f < NEWSIDX_FACETS; f++) {
        const char *name = newsidx_facet_name((newsidx_facet_t)f);
        CHECK(name != NULL);
        CHECK_INT(newsidx_facet_parse(name, strlen(name)), f);
    }
    CHECK_STR(newsidx_facet_name(NEWSIDX_FACET_MONTH), "month");
    CHECK(newsidx_facet_name(NEWSIDX_FACETS) == NULL);
    CHECK(newsidx_facet_name((newsidx_facet_t)-1) == NULL);
    CHECK_INT(newsidx_facet_parse("Month", 5), -1);
    CHECK_INT(newsidx_facet_parse("sourcex", 6), NEWSIDX_FACET_SOURCE);   /* len counts */
    CHECK_INT(newsidx_facet_parse("sourc", 5), -1);
    CHECK_INT(newsidx_facet_parse("", 0), -1);
    CHECK_INT(newsidx_facet_parse(NULL, 3), -1);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/newsidx-facets-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_names();
    char single[128], tiny[128], shards[NSHARDS][128];
    path_in(single, sizeof single, "one");
    path_in(tiny, sizeof tiny, "tiny");
    for (int k = 0; k < NSHARDS; k++)
        snprintf(shards[k], sizeof shards[k], "%s/shard-%d", tmpdir, k);
    build_tiny(tiny);
    char wire[2][128];
    path_in(wire[0], sizeof wire[0], "wire-a");
    path_in(wire[1], sizeof wire[1], "wire-b");
    build_one_source(wire[0], wire[1]);
    build_corpus(single, shards);

    newsidx_reader_t *t = NULL, *one = NULL, *sharded = NULL;
    const char *specs[NSHARDS] = { shards[0], shards[1], shards[2] };
    CHECK_INT(newsidx_reader_open(tiny, &t), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_open(single, &one), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_open_shards(specs, NSHARDS, 0, &sharded), NEWSIDX_OK);
    if (t && one && sharded) {
        test_tiny(t);
        test_bad_inputs(t);
        test_filter_lists(one);
        test_filters_keep_scores(one);
        test_facets_equal_counts(one, sharded);
    }
    newsidx_reader_t *w1 = NULL, *w2 = NULL;
    const char *wspecs[2] = { wire[0], wire[1] };
    CHECK_INT(newsidx_reader_open(wire[0], &w1), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_open_shards(wspecs, 2, 0, &w2), NEWSIDX_OK);
    if (w1 && w2) {
        test_one_source(w1, 2);
        test_one_source(w2, 3);
    }
    newsidx_reader_close(w1);
    newsidx_reader_close(w2);
    newsidx_reader_close(t);
    newsidx_reader_close(one);
    newsidx_reader_close(sharded);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_report();
}
