/*
 * test_corpus: the integration test over the shipped corpus.  It runs the real
 * bin/newsindex over corpus/ into a temporary index, then checks the document count,
 * Xapian's own consistency check, and known queries through the C API: the seed
 * article for "Istanbul Convention", stemming, phrases, fields, filters, dates, and the
 * stored fields of known records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check.h"
#include "fsutil.h"
#include "newsd_limits.h"
#include "newsidx.h"

#define SEED_ID "corpus/seed/duvar-2021-03-24-turkey-s400-done-deal.txt"
#define CORPUS_DOCS 23804   /* 21,578 Reuters + 2,225 BBC + 1 seed */

static newsidx_results_t *search(newsidx_reader_t *r, const char *q,
                                 const newsidx_search_opts_t *o)
{
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(r, q, o, &res);
    if (st != NEWSIDX_OK)
        fprintf(stderr, "search '%s': %s: %s\n", q, newsidx_status_name(st),
                newsidx_reader_error(r));
    CHECK_INT(st, NEWSIDX_OK);
    return res;
}

static uint64_t count(newsidx_reader_t *r, const char *q, const newsidx_search_opts_t *o)
{
    uint64_t n = 0;
    CHECK_INT(newsidx_count(r, q, o, &n), NEWSIDX_OK);
    return n;
}

static const char *first_id(const newsidx_results_t *res)
{
    const newsidx_hit_t *h = res ? newsidx_results_hit(res, 0) : NULL;
    return h ? h->id : "(no hit)";
}

static void test_queries(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);

    /* The quick-start query of README.md. */
    newsidx_results_t *res = search(r, "\"Istanbul Convention\"", &o);
    CHECK_STR(first_id(res), SEED_ID);
    const newsidx_hit_t *h = res ? newsidx_results_hit(res, 0) : NULL;
    CHECK(h && strcmp(h->source, "duvar") == 0);
    CHECK(h && strcmp(h->date, "2021-03-24T00:00:00Z") == 0);
    newsidx_results_destroy(res);

    res = search(r, "\"done deal\" S-400", &o);
    CHECK_STR(first_id(res), SEED_ID);
    newsidx_results_destroy(res);

    /* A count-only page (limit 0) still reports how many match. */
    o.limit = 0;
    res = search(r, "\"swiss franc\"", &o);
    CHECK(res && newsidx_results_count(res) == 0);
    CHECK(res && newsidx_results_total(res) > 0);
    newsidx_results_destroy(res);
    o.limit = NEWSD_DEFAULT_LIMIT;

    /* Stemming: the seed says "sanctioned"; "sanctions" must find it too. */
    CHECK(count(r, "sanctions turkey blinken", &o) >= 1);
    CHECK(count(r, "sanctioned turkey blinken", &o) >= 1);

    /* Title words weigh more: the best "cocoa" hits are cocoa stories by title. */
    res = search(r, "cocoa", &o);
    h = res ? newsidx_results_hit(res, 0) : NULL;
    CHECK(h && strcasestr(h->title, "cocoa") != NULL);
    CHECK(res && newsidx_results_count(res) == NEWSD_DEFAULT_LIMIT);
    newsidx_results_destroy(res);

    /* Fields and filters. */
    CHECK_INT(count(r, "source:bbc", &o), 2225);
    CHECK_INT(count(r, "source:bbc topic:business", &o), 510);
    CHECK_INT(count(r, "source:reuters", &o), 21578);
    CHECK_INT(count(r, "source:duvar", &o), 1);
    o.source = "bbc";
    o.topic = "sport";
    CHECK_INT(count(r, "source:bbc", &o), 511);
    o.source = o.topic = NULL;
    uint64_t title_only = count(r, "title:cocoa", &o);
    uint64_t anywhere = count(r, "cocoa", &o);
    CHECK(title_only > 0 && title_only < anywhere);
    CHECK(count(r, "topic:cocoa", &o) > 50);

    /* Dates: Reuters runs from 26 Feb to 20 Oct 1987. */
    o.since = "1987-03-01";
    o.until = "1987-03-31";
    o.sort = NEWSIDX_SORT_DATE_ASC;
    o.limit = 5;
    res = search(r, "oil", &o);
    CHECK(res && newsidx_results_count(res) == 5);
    for (size_t i = 0; res && i < newsidx_results_count(res); i++)
        CHECK(strncmp(newsidx_results_hit(res, i)->date, "1987-03-", 8) == 0);
    newsidx_results_destroy(res);
    newsidx_search_opts_init(&o);
    CHECK(count(r, "oil date:19870301..19870331", &o) > 0);
    CHECK_INT(count(r, "oil date:19600101..19601231", &o), 0);
    CHECK(count(r, "oil date:1987-10-01..", &o) > 0);
    CHECK_INT(count(r, "oil source:reuters date:1987-10-21..", &o), 0);
    o.sort = NEWSIDX_SORT_DATE_ASC;
    res = search(r, "cocoa", &o);
    h = res ? newsidx_results_hit(res, 0) : NULL;
    CHECK(h && strncmp(h->date, "1987-02-26", 10) == 0);
    newsidx_results_destroy(res);
}

/* Every example of newsd(8)'s QUERY SYNTAX does what it says. */
static void test_readme_examples(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    uint64_t cocoa = count(r, "cocoa", &o), prices = count(r, "prices", &o);
    uint64_t both = count(r, "cocoa prices", &o);
    CHECK(both > 0 && both < cocoa && both < prices);
    uint64_t opec = count(r, "opec", &o), cartel = count(r, "cartel", &o);
    uint64_t either = count(r, "opec OR cartel", &o);
    CHECK(either >= opec && either >= cartel && either <= opec + cartel);
    uint64_t wheat = count(r, "wheat", &o), wheat_no_corn = count(r, "+wheat -corn", &o);
    CHECK(wheat_no_corn > 0 && wheat_no_corn < wheat);
    CHECK_INT(count(r, "NOT cocoa", &o), CORPUS_DOCS - cocoa);
    uint64_t oil_crude = count(r, "oil OR crude", &o);
    uint64_t no_opec = count(r, "(oil OR crude) NOT opec", &o);
    CHECK(no_opec > 0 && no_opec < oil_crude);
    uint64_t near10 = count(r, "nato NEAR turkey", &o), near3 = count(r, "nato NEAR/3 turkey", &o);
    CHECK(near10 >= 1 && near3 <= near10);
    CHECK(count(r, "nato ADJ turkey", &o) <= near10);
    CHECK(count(r, "petro*", &o) > count(r, "petroleum", &o));
    CHECK(count(r, "place:usa", &o) > 1000);
    CHECK_INT(count(r, "place:USA", &o), count(r, "place:usa", &o));
    CHECK_INT(count(r, "id:reuters-1", &o), 1);
    CHECK(count(r, "sanction", &o) > 0);
    CHECK(count(r, "sanctions", &o) >= count(r, "\"sanctions\"", &o));
}

/* A search that runs past its time limit says so, and still hands back its results. */
static void test_timeout(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.timeout_ms = 1;
    o.exact_total = 1;
    o.snippets = 1;
    o.limit = NEWSD_MAX_LIMIT;
    newsidx_results_t *res = NULL;
    /* Two wildcards of 1,024 terms each, in body and title (NEWSD_MAX_QUERY_EXPANSION
     * in all) over 23,804 documents: far more than 1 ms. */
    newsidx_status_t st = newsidx_search(r, "s* OR t*", &o, &res);
    CHECK_INT(st, NEWSIDX_TIMEOUT);
    CHECK(res != NULL);
    CHECK(strstr(newsidx_reader_error(r), "time limit") != NULL);
    newsidx_results_destroy(res);
    /* The same search with the default limit completes. */
    newsidx_search_opts_init(&o);
    res = NULL;
    CHECK_INT(newsidx_search(r, "s* OR t*", &o, &res), NEWSIDX_OK);
    newsidx_results_destroy(res);
    /* Four are over the cap, whatever the time limit. */
    res = NULL;
    CHECK_INT(newsidx_search(r, "s* OR t* OR c* OR p*", &o, &res), NEWSIDX_BAD_QUERY);
    CHECK(strstr(newsidx_reader_error(r), "NEWSD_MAX_QUERY_EXPANSION") != NULL);
    newsidx_results_destroy(res);
}

static void test_stored(newsidx_reader_t *r)
{
    newsidx_doc_t *d = NULL;
    CHECK_INT(newsidx_get(r, "reuters-1", &d), NEWSIDX_OK);
    if (d) {
        CHECK_STR(d->title, "BAHIA COCOA REVIEW");
        CHECK_STR(d->source, "reuters");
        CHECK_STR(d->date, "1987-02-26T15:01:01Z");
        CHECK(d->ntopics == 1 && strcmp(d->topics[0], "cocoa") == 0);
        CHECK(d->nplaces == 3 && strcmp(d->places[0], "el-salvador") == 0);
        CHECK(d->body && strstr(d->body, "Showers continued throughout the week") != NULL);
    }
    newsidx_doc_free(d);

    /* The one raw Latin-1 byte of Reuters-21578 comes back as UTF-8. */
    d = NULL;
    CHECK_INT(newsidx_get(r, "reuters-17980", &d), NEWSIDX_OK);
    CHECK(d && d->body && strstr(d->body, "\xc3\xbc") != NULL);
    newsidx_doc_free(d);

    d = NULL;
    CHECK_INT(newsidx_get(r, "corpus/bbc/sport/199.txt", &d), NEWSIDX_OK);
    CHECK(d && d->body && strstr(d->body, "\xc2\xa3" "15.8m") != NULL);
    newsidx_doc_free(d);

    d = NULL;
    CHECK_INT(newsidx_get(r, "no-such-id", &d), NEWSIDX_NOT_FOUND);
    CHECK(d == NULL);
}

int main(void)
{
    char dir[] = "/tmp/newsd-corpus-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char index[sizeof dir + 8], cmd[512];
    snprintf(index, sizeof index, "%s/index", dir);
    snprintf(cmd, sizeof cmd, "bin/newsindex --index %s corpus > %s/out 2> %s/err", index, dir,
             dir);
    int rc = system(cmd);
    CHECK_INT(rc, 0);
    snprintf(cmd, sizeof cmd, "grep -q ' added=%d replaced=0 skipped=0 errors=0 files=2248 ' %s/out",
             CORPUS_DOCS, dir);
    CHECK_INT(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "xapian-check %s > %s/check 2>&1", index, dir);
    CHECK_INT(system(cmd), 0);

    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(index, &r), NEWSIDX_OK);
    uint64_t n = 0;
    CHECK_INT(newsidx_reader_doc_count(r, &n), NEWSIDX_OK);
    CHECK_INT(n, CORPUS_DOCS);
    if (n == CORPUS_DOCS) {
        test_queries(r);
        test_readme_examples(r);
        test_timeout(r);
        test_stored(r);
    }
    newsidx_reader_close(r);
    fsutil_remove_tree(dir);
    return check_report();
}
