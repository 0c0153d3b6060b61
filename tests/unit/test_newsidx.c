/*
 * test_newsidx.c: the index API (include/newsidx.h) against real Xapian indexes in a
 * temporary directory: opening errors, indexing and every query feature, replace and
 * delete, readers seeing commits, the retry when the index moves under a reader, the
 * document cache, snippets.  Whole-index operations are in test_index_admin.c, shards in
 * test_index_shards.c.
 */
#include "newsidx_fixture.h"
#include "newsd_limits.h"

static void test_open_errors(void)
{
    char p[128];
    newsidx_reader_t *r = NULL;
    newsidx_writer_t *w = NULL;

    CHECK_INT(newsidx_reader_open(path_in(p, sizeof p, "missing"), &r), NEWSIDX_NO_INDEX);
    CHECK(r != NULL);
    CHECK(strlen(newsidx_reader_error(r)) > 0);
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    CHECK_INT(search_status(r, "x", &o), NEWSIDX_BAD_ARGUMENT); /* handle never opened */
    newsidx_reader_close(r);

    CHECK_INT(newsidx_writer_open(path_in(p, sizeof p, "missing"), 0, &w), NEWSIDX_NO_INDEX);
    CHECK(w != NULL);
    CHECK(strlen(newsidx_writer_error(w)) > 0);
    newsidx_writer_abandon(w);
    struct stat sb;
    CHECK(stat(p, &sb) != 0); /* not created */

    /* A directory of files that are not an index: Xapian finds no index there. */
    path_in(p, sizeof p, "junkdir");
    mkdir(p, 0700);
    char f[160];
    snprintf(f, sizeof f, "%s/notes.txt", p);
    write_file(f, "hello\n");
    CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_NO_INDEX);
    newsidx_reader_close(r);

    /* A plain file where the index folder should be: Xapian would read it as a stub
     * database file and open it as an empty index; newsd must refuse it instead. */
    path_in(p, sizeof p, "plainfile");
    write_file(p, "");
    CHECK(newsidx_reader_open(p, &r) != NEWSIDX_OK);
    CHECK(strlen(newsidx_reader_error(r)) > 0);
    newsidx_reader_close(r);
    CHECK(newsidx_writer_open(p, 0, &w) != NEWSIDX_OK);
    newsidx_writer_abandon(w);
    w = NULL;

    /* A directory that claims to be glass but holds garbage: corrupt. */
    path_in(p, sizeof p, "fakeglass");
    mkdir(p, 0700);
    snprintf(f, sizeof f, "%s/iamglass", p);
    write_file(f, "junk");
    snprintf(f, sizeof f, "%s/postlist.glass", p);
    write_file(f, "junk junk junk");
    CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_CORRUPT);
    CHECK(strstr(newsidx_reader_error(r), "Corrupt") != NULL);
    newsidx_reader_close(r);

    CHECK_INT(newsidx_writer_open(path_in(p, sizeof p, "x"), 64, &w), NEWSIDX_BAD_ARGUMENT);
    newsidx_writer_abandon(w);
}

static void test_put_errors(newsidx_writer_t *w)
{
    char longid[NEWSD_MAX_ID_LEN + 2];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    newsidx_doc_t d = {0};
    int replaced = -1;

    d.id = NULL;
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_BAD_ARGUMENT);
    d.id = "";
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_BAD_ARGUMENT);
    d.id = longid;
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_BAD_ARGUMENT);
    CHECK(strstr(newsidx_writer_error(w), "id") != NULL);
    d.id = "bad-date";
    const char *bad_dates[] = {"2021-3-05", "05/03/2021", "2021-02-30", "2021-03-05T25:00:00Z",
                               "2021-03-05 08:00:00", "2021-03-05T08:00:00+01:00", ""};
    for (size_t i = 0; i < sizeof bad_dates / sizeof bad_dates[0]; i++) {
        d.date = bad_dates[i];
        CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_BAD_ARGUMENT);
    }
    CHECK(strstr(newsidx_writer_error(w), "date") != NULL);
    CHECK_INT(newsidx_writer_put(w, NULL, &replaced), NEWSIDX_BAD_ARGUMENT);
    uint64_t n = 99;
    CHECK_INT(newsidx_writer_doc_count(w, &n), NEWSIDX_OK);
    CHECK_INT(n, 0);
}

static void test_search(newsidx_reader_t *r)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);

    uint64_t n = 0;
    CHECK_INT(newsidx_reader_doc_count(r, &n), NEWSIDX_OK);
    CHECK_INT(n, NDOCS);

    /* words, phrases, stemming */
    CHECK_STR(ids(r, "missiles", &o), "r2");
    CHECK_STR(ids(r, "\"done deal\"", &o), "r1");
    const char *both = ids(r, "done deal", &o);
    CHECK(pos_of(both, "r1") >= 0 && pos_of(both, "r2") >= 0 && strlen(both) == 5);
    const char *stems = ids(r, "sanctions", &o);
    CHECK(pos_of(stems, "r2") >= 0); /* "sanctioned" */
    CHECK(pos_of(stems, "r1") >= 0 && pos_of(stems, "r3") >= 0);
    CHECK_STR(ids(r, "Ankara", &o), "r2");

    /* title weight: steel in r5's title only beats steel in r3's body only */
    const char *steel = ids(r, "steel", &o);
    CHECK(pos_of(steel, "r5") >= 0 && pos_of(steel, "r3") >= 0);
    CHECK(pos_of(steel, "r5") < pos_of(steel, "r3"));
    CHECK_INT(strlen(steel), 8);

    /* fields */
    CHECK_STR(ids(r, "title:steel", &o), pos_of(steel, "r1") < pos_of(steel, "r5") ? "r1,r5" : "r5,r1");
    CHECK_STR(ids(r, "title:rally", &o), "r3");
    CHECK_STR(ids(r, "title:rain", &o), "");
    CHECK_STR(ids(r, "steel source:reuters", &o), pos_of(steel, "r1") < pos_of(steel, "r3") ? "r1,r3" : "r3,r1");
    CHECK_STR(ids(r, "steel source:BBC", &o), "r5");
    CHECK_STR(ids(r, "steel topic:labour", &o), "r5");
    CHECK_STR(ids(r, "sanctions topic:TRADE", &o), "r1");
    CHECK_STR(ids(r, "steel place:usa", &o), "r1");
    CHECK_STR(ids(r, "id:r4", &o), "r4");

    /* filters as options */
    o.source = "REUTERS";
    CHECK_STR(ids(r, "steel", &o), pos_of(steel, "r1") < pos_of(steel, "r3") ? "r1,r3" : "r3,r1");
    o.source = NULL;
    o.topic = "Steel";
    CHECK_STR(ids(r, "steel", &o), pos_of(steel, "r1") < pos_of(steel, "r5") ? "r1,r5" : "r5,r1");
    o.topic = NULL;

    /* dates: sort both ways, since/until, the date: range syntax */
    o.sort = NEWSIDX_SORT_DATE;
    CHECK_STR(ids(r, "steel", &o), "r3,r5,r1");
    o.sort = NEWSIDX_SORT_DATE_ASC;
    CHECK_STR(ids(r, "steel", &o), "r1,r5,r3");
    o.since = "2021-03-10";
    CHECK_STR(ids(r, "steel", &o), "r5,r3");
    o.until = "20210331";
    CHECK_STR(ids(r, "steel", &o), "r5");
    o.since = NULL;
    CHECK_STR(ids(r, "steel", &o), "r1,r5");
    o.until = "2021-03-05"; /* inclusive */
    CHECK_STR(ids(r, "steel", &o), "r1");
    o.until = "2021/03/05";
    CHECK_INT(search_status(r, "steel", &o), NEWSIDX_BAD_ARGUMENT);
    o.until = "2021-13-01";
    CHECK_INT(search_status(r, "steel", &o), NEWSIDX_BAD_ARGUMENT);
    o.until = NULL;
    CHECK_STR(ids(r, "steel date:2021-03-01..2021-03-31", &o), "r1,r5");
    CHECK_STR(ids(r, "steel 20210301..20210310", &o), "r1");
    CHECK_STR(ids(r, "date:2021-02-01..2021-02-28", &o), "r4");
    CHECK_INT(search_status(r, "steel 1..10", &o), NEWSIDX_BAD_QUERY);
    o.sort = NEWSIDX_SORT_RANK;

    /* wildcard, boolean operators */
    const char *wild = ids(r, "sanct*", &o);
    CHECK(pos_of(wild, "r1") >= 0 && pos_of(wild, "r2") >= 0 && pos_of(wild, "r3") >= 0);
    CHECK_INT(strlen(wild), 8);
    CHECK_STR(ids(r, "stri*", &o), "r5");
    CHECK_STR(ids(r, "steel NOT strike", &o), pos_of(steel, "r1") < pos_of(steel, "r3") ? "r1,r3" : "r3,r1");
    const char *orr = ids(r, "rain OR missiles", &o);
    CHECK(pos_of(orr, "r2") >= 0 && pos_of(orr, "r4") >= 0 && strlen(orr) == 5);
    CHECK_STR(ids(r, "NOT steel NOT sanctions", &o), "r4");
    CHECK_STR(ids(r, "steel -strike -imports", &o), "r3");

    /* bad queries: the client's error, with a message */
    const char *bad[] = {"AND", "steel AND", "steel OR", "NOT", "steel 1..10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(search_status(r, bad[i], &o), NEWSIDX_BAD_QUERY);
        CHECK(strlen(newsidx_reader_error(r)) > 0);
    }
    CHECK_INT(search_status(r, "steel AND", &o), NEWSIDX_BAD_QUERY);
    CHECK(strstr(newsidx_reader_error(r), "Syntax") != NULL);
    /* the parser forgives unbalanced brackets and quotes */
    CHECK_STR(ids(r, "(missiles", &o), "r2");
    CHECK_STR(ids(r, "\"done deal", &o), "r1");
    CHECK_INT(search_status(r, "", &o), NEWSIDX_BAD_QUERY);
    CHECK_STR(newsidx_reader_error(r), "empty query");
    CHECK_INT(search_status(r, " \t\n ", &o), NEWSIDX_BAD_QUERY);
    CHECK_STR(newsidx_reader_error(r), "empty query");
    CHECK_INT(search_status(r, "\"\"", &o), NEWSIDX_BAD_QUERY);
    CHECK_INT(search_status(r, NULL, &o), NEWSIDX_BAD_ARGUMENT);
    char *huge = malloc(NEWSD_MAX_QUERY_LEN + 2);
    memset(huge, 'a', NEWSD_MAX_QUERY_LEN + 1);
    huge[NEWSD_MAX_QUERY_LEN + 1] = '\0';
    CHECK_INT(search_status(r, huge, &o), NEWSIDX_BAD_QUERY);
    free(huge);
    CHECK_STR(ids(r, "unknownfield:steel", &o), ""); /* a word, not an error */

    /* paging and limits */
    o.limit = NEWSD_MAX_LIMIT + 1;
    CHECK_INT(search_status(r, "steel", &o), NEWSIDX_BAD_ARGUMENT);
    o.limit = NEWSD_MAX_LIMIT;
    o.offset = NEWSD_MAX_OFFSET + 1;
    CHECK_INT(search_status(r, "steel", &o), NEWSIDX_BAD_ARGUMENT);
    o.offset = 1;
    o.limit = 1;
    o.sort = NEWSIDX_SORT_DATE;
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, "steel", &o, &res), NEWSIDX_OK);
    CHECK_INT(newsidx_results_count(res), 1);
    CHECK_STR(newsidx_results_hit(res, 0)->id, "r5");
    CHECK_INT(newsidx_results_hit(res, 0)->rank, 2);
    CHECK(newsidx_results_hit(res, 1) == NULL);
    CHECK_INT(newsidx_results_total(res), 3);
    newsidx_results_destroy(res);
    o.offset = 0;
    o.limit = 0; /* count only */
    o.exact_total = 1;
    CHECK_INT(newsidx_search(r, "steel", &o, &res), NEWSIDX_OK);
    CHECK_INT(newsidx_results_count(res), 0);
    CHECK_INT(newsidx_results_total(res), 3);
    CHECK_INT(newsidx_results_total_exact(res), 1);
    newsidx_results_destroy(res);

    /* hit fields and snippets */
    newsidx_search_opts_init(&o);
    o.snippets = 1;
    CHECK_INT(newsidx_search(r, "rain", &o, &res), NEWSIDX_OK);
    CHECK_INT(newsidx_results_count(res), 1);
    const newsidx_hit_t *h = newsidx_results_hit(res, 0);
    CHECK_STR(h->id, "r4");
    CHECK_STR(h->title, "Weather report");
    CHECK_STR(h->date, "2021-02-10T00:00:00Z");
    CHECK_STR(h->source, "BBC");
    CHECK_STR(h->url, "");
    CHECK_INT(h->rank, 1);
    CHECK(h->score > 0);
    CHECK(strstr(h->snippet, "<b>Rain</b>") != NULL);
    CHECK(strstr(h->snippet, "&lt;tags&gt; &amp; markup") != NULL);
    CHECK(strstr(h->snippet, "<tags>") == NULL);
    newsidx_results_destroy(res);
    o.hi_start = "[";
    o.hi_end = "]";
    CHECK_INT(newsidx_search(r, "\"done deal\"", &o, &res), NEWSIDX_OK);
    CHECK(newsidx_results_count(res) == 1 &&
          strstr(newsidx_results_hit(res, 0)->snippet, "[done deal]") != NULL);
    CHECK_STR(newsidx_results_hit(res, 0)->url, "http://example.com/r1");
    newsidx_results_destroy(res);
    /* matched only in the title: the snippet is the start of the body, unmarked */
    CHECK_INT(newsidx_search(r, "title:strike", &o, &res), NEWSIDX_OK);
    CHECK(newsidx_results_count(res) == 1 &&
          strncmp(newsidx_results_hit(res, 0)->snippet, "Workers at a plant", 18) == 0);
    newsidx_results_destroy(res);
    o.snippets = 0;
    CHECK_INT(newsidx_search(r, "rain", &o, &res), NEWSIDX_OK);
    CHECK(newsidx_results_count(res) == 1 && newsidx_results_hit(res, 0)->snippet[0] == '\0');
    newsidx_results_destroy(res);
    CHECK_INT(newsidx_search(r, "rain", NULL, &res), NEWSIDX_OK); /* NULL opts: defaults */
    CHECK_INT(newsidx_results_count(res), 1);
    newsidx_results_destroy(res);

    /* exact counts, with filters */
    newsidx_search_opts_init(&o);
    CHECK_INT(newsidx_count(r, "steel", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 3);
    o.source = "bbc";
    CHECK_INT(newsidx_count(r, "steel", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 1);
    CHECK_INT(newsidx_count(r, "NOT nothingatall", NULL, &n), NEWSIDX_OK);
    CHECK_INT(n, NDOCS);
    CHECK_INT(newsidx_count(r, "steel AND", NULL, &n), NEWSIDX_BAD_QUERY);
}

static void test_get(newsidx_reader_t *r)
{
    newsidx_doc_t *d = NULL;
    CHECK_INT(newsidx_get(r, "r1", &d), NEWSIDX_OK);
    if (d) {
        CHECK_STR(d->id, "r1");
        CHECK_STR(d->title, docs[0].title);
        CHECK_STR(d->body, docs[0].body);
        CHECK_STR(d->date, "2021-03-05T08:00:00Z");
        CHECK_STR(d->source, "Reuters");
        CHECK_STR(d->url, "http://example.com/r1");
        CHECK_INT(d->ntopics, 2);
        if (d->ntopics == 2) {
            CHECK_STR(d->topics[0], "Trade");
            CHECK_STR(d->topics[1], "steel");
        }
        CHECK_INT(d->nplaces, 1);
        if (d->nplaces == 1) CHECK_STR(d->places[0], "USA");
    }
    newsidx_doc_free(d);
    CHECK_INT(newsidx_get(r, "r2", &d), NEWSIDX_OK);
    if (d) {
        CHECK_STR(d->date, "2021-03-20T00:00:00Z"); /* a bare day, normalised */
        CHECK_INT(d->nplaces, 0);
    }
    newsidx_doc_free(d);
    CHECK_INT(newsidx_get(r, "r3", &d), NEWSIDX_OK);
    if (d) {
        CHECK_STR(d->date, "2021-04-02T12:30:00Z");
        CHECK_STR(d->url, "");
    }
    newsidx_doc_free(d);
    CHECK_INT(newsidx_get(r, "nope", &d), NEWSIDX_NOT_FOUND);
    CHECK(d == NULL);
    CHECK_INT(newsidx_get(r, "", &d), NEWSIDX_BAD_ARGUMENT);
    newsidx_doc_free(NULL);
}

static void test_updates(const char *path, newsidx_reader_t *r)
{
    newsidx_writer_t *w = NULL, *w2 = NULL;
    int replaced = -1, changed = -1;
    uint64_t n = 0;
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);

    CHECK_INT(newsidx_writer_open(path, 0, &w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_CREATE, &w2), NEWSIDX_LOCKED);
    CHECK(w2 != NULL && strstr(newsidx_writer_error(w2), "Lock") != NULL);
    newsidx_writer_abandon(w2);

    /* replace */
    newsidx_doc_t d = docs[2];
    d.body = "Completely different text about copper.";
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_OK);
    CHECK_INT(replaced, 1);
    CHECK_INT(newsidx_writer_doc_count(w, &n), NEWSIDX_OK);
    CHECK_INT(n, NDOCS);
    d = docs[0];
    d.id = "r6";
    d.date = NULL;
    d.source = NULL;
    d.topics = NULL;
    d.ntopics = 0;
    d.places = NULL;
    d.nplaces = 0;
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_OK);
    CHECK_INT(replaced, 0);

    /* delete */
    CHECK_INT(newsidx_writer_delete(w, "r4"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_delete(w, "r4"), NEWSIDX_NOT_FOUND);
    CHECK_INT(newsidx_writer_delete(w, "never"), NEWSIDX_NOT_FOUND);
    CHECK_INT(newsidx_writer_delete(w, ""), NEWSIDX_BAD_ARGUMENT);

    /* the reader sees nothing until commit and reopen */
    CHECK_STR(ids(r, "copper", &o), "");
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(ids(r, "copper", &o), "");
    CHECK_INT(newsidx_reader_reopen(r, &changed), NEWSIDX_OK);
    CHECK_INT(changed, 1);
    CHECK_INT(newsidx_reader_reopen(r, &changed), NEWSIDX_OK);
    CHECK_INT(changed, 0);
    CHECK_STR(ids(r, "copper", &o), "r3");
    CHECK_STR(ids(r, "traders", &o), "");
    CHECK_STR(ids(r, "rain", &o), "");
    CHECK_INT(newsidx_reader_doc_count(r, &n), NEWSIDX_OK);
    CHECK_INT(n, NDOCS); /* one replaced, one deleted, one added */
    newsidx_doc_t *got = NULL;
    CHECK_INT(newsidx_get(r, "r4", &got), NEWSIDX_NOT_FOUND);
    CHECK_INT(newsidx_get(r, "r6", &got), NEWSIDX_OK);
    if (got) {
        CHECK(got->date == NULL);
        CHECK_STR(got->source, "");
        CHECK_INT(got->ntopics, 0);
    }
    newsidx_doc_free(got);
    /* undated documents sort first, oldest-first */
    o.sort = NEWSIDX_SORT_DATE_ASC;
    CHECK_STR(ids(r, "title:steel", &o), "r6,r1,r5");
    o.sort = NEWSIDX_SORT_RANK;

    /* abandon discards what was not committed */
    d = docs[3];
    d.id = "lost";
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_delete(w, "r1"), NEWSIDX_OK);
    newsidx_writer_abandon(w);
    CHECK_INT(newsidx_writer_open(path, 0, &w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_doc_count(w, &n), NEWSIDX_OK);
    CHECK_INT(n, NDOCS);
    CHECK_INT(newsidx_writer_delete(w, "lost"), NEWSIDX_NOT_FOUND);
    /* close commits */
    CHECK_INT(newsidx_writer_delete(w, "r6"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_reopen(r, &changed), NEWSIDX_OK);
    CHECK_INT(changed, 1);
    CHECK_INT(newsidx_get(r, "lost", &got), NEWSIDX_NOT_FOUND);
    CHECK_INT(newsidx_get(r, "r6", &got), NEWSIDX_NOT_FOUND);
    CHECK_INT(newsidx_get(r, "r1", &got), NEWSIDX_OK);
    newsidx_doc_free(got);
}

/* A reader left several commits behind hits DatabaseModifiedError inside Xapian; the
 * shim reopens and retries, so the count reflects the latest revision. */
static void test_modified_retry(void)
{
    char p[128], id[32], body[128];
    newsidx_writer_t *w = NULL;
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_writer_open(path_in(p, sizeof p, "moving"), NEWSIDX_CREATE, &w), NEWSIDX_OK);
    for (int gen = 0; gen <= 4; gen++) {
        int failed = 0;
        for (int i = 0; i < 200; i++) {
            snprintf(id, sizeof id, "d%d", i);
            snprintf(body, sizeof body, "common word%d text gen%d", i, gen);
            newsidx_doc_t d = {0};
            d.id = id;
            d.body = body;
            failed += newsidx_writer_put(w, &d, NULL) != NEWSIDX_OK;
        }
        CHECK_INT(failed, 0);
        CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
        if (gen == 0) CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_OK);
    }
    uint64_t n = 0;
    CHECK_INT(newsidx_count(r, "gen4", NULL, &n), NEWSIDX_OK);
    CHECK_INT(n, 200);
    CHECK_STR(ids(r, "word7", NULL), "d7");
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    newsidx_reader_close(r);
}

/* Every field of every hit of query (snippets on), one line each, into out. */
static void page_text(newsidx_reader_t *r, const char *query, unsigned limit, char *out, size_t len)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.limit = limit;
    o.snippets = NEWSIDX_SNIPPET_FIRST;
    newsidx_results_t *res = NULL;
    out[0] = '\0';
    if (newsidx_search(r, query, &o, &res) != NEWSIDX_OK) {
        snprintf(out, len, "ERR");
        return;
    }
    size_t used = 0;
    for (size_t i = 0; i < newsidx_results_count(res) && used < len; i++) {
        const newsidx_hit_t *h = newsidx_results_hit(res, i);
        used += (size_t)snprintf(out + used, len - used, "%u|%s|%s|%s|%s|%s|%s\n", h->rank,
                                 h->id, h->title, h->date, h->source, h->url, h->snippet);
    }
    newsidx_results_destroy(res);
}

/* The document cache: pages served from it are the pages read from the index, whatever
 * its capacity (down to evicting, within one page, hits it held when the page began); its
 * bytes stay within the capacity; a reopen onto a new revision empties it, so a replaced
 * document (same docid) is never shown stale. */
static void test_doc_cache(void)
{
    char p[128], id[32], title[64], body[256];
    static char want[65536], got[65536];
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path_in(p, sizeof p, "cache"), NEWSIDX_CREATE, &w), NEWSIDX_OK);
    for (int i = 0; i < 60; i++) {
        snprintf(id, sizeof id, "c%d", i);
        snprintf(title, sizeof title, "Cached story %d", i);
        snprintf(body, sizeof body, "Common words fill story %d; the harvest of week %d was "
                 "late, and prices of grain%d rose as traders expected.", i, i % 7, i);
        newsidx_doc_t d = {0};
        d.id = id;
        d.title = title;
        d.body = body;
        d.date = "2021-05-01";
        d.source = "test";
        CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
    }
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);

    newsidx_reader_t *plain = NULL, *r = NULL;
    CHECK_INT(newsidx_reader_open(p, &plain), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_OK);
    if (!plain || !r) goto out;
    CHECK_INT(newsidx_reader_set_doc_cache(plain, 0), NEWSIDX_OK);
    newsidx_cache_stats_t cs;
    CHECK_INT(newsidx_reader_doc_cache_stats(r, &cs), NEWSIDX_OK);
    CHECK_INT(cs.capacity, (uint64_t)NEWSD_DEFAULT_DOC_CACHE_MB << 20);
    CHECK_INT(cs.hits + cs.misses + cs.docs + cs.bytes, 0);

    page_text(plain, "harvest", 10, want, sizeof want);
    CHECK(strstr(want, "10|c") != NULL);
    page_text(r, "harvest", 10, got, sizeof got);
    CHECK_STR(got, want);
    CHECK_INT(newsidx_reader_doc_cache_stats(r, &cs), NEWSIDX_OK);
    CHECK_INT(cs.misses, 10);
    CHECK_INT(cs.hits, 0);
    CHECK_INT(cs.docs, 10);
    CHECK(cs.bytes > 10 * 100 && cs.bytes <= cs.capacity);
    page_text(r, "harvest", 10, got, sizeof got);
    CHECK_STR(got, want);
    CHECK_INT(newsidx_reader_doc_cache_stats(r, &cs), NEWSIDX_OK);
    CHECK_INT(cs.hits, 10);
    CHECK_INT(cs.misses, 10);
    /* another query highlights other words in the same cached bodies */
    page_text(plain, "traders grain7", 10, want, sizeof want);
    page_text(r, "traders grain7", 10, got, sizeof got);
    CHECK_STR(got, want);
    CHECK(strstr(got, "<b>grain7</b>") != NULL);

    /* a cache smaller than a page: every page still whole and the same */
    CHECK_INT(newsidx_reader_set_doc_cache(r, 2000), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_doc_cache_stats(r, &cs), NEWSIDX_OK);
    CHECK(cs.bytes <= 2000 && cs.docs < 10);
    page_text(plain, "harvest", 60, want, sizeof want);
    CHECK(strstr(want, "60|c") != NULL);
    for (int round = 0; round < 3; round++) {
        page_text(r, "harvest", 60, got, sizeof got);
        CHECK_STR(got, want);
        CHECK_INT(newsidx_reader_doc_cache_stats(r, &cs), NEWSIDX_OK);
        CHECK(cs.bytes <= 2000 && cs.docs >= 1);
    }
    /* no cache: nothing kept, misses still counted */
    CHECK_INT(newsidx_reader_set_doc_cache(r, 0), NEWSIDX_OK);
    uint64_t misses = 0;
    CHECK_INT(newsidx_reader_doc_cache_stats(r, &cs), NEWSIDX_OK);
    misses = cs.misses;
    page_text(r, "harvest", 60, got, sizeof got);
    CHECK_STR(got, want);
    CHECK_INT(newsidx_reader_doc_cache_stats(r, &cs), NEWSIDX_OK);
    CHECK_INT(cs.docs + cs.bytes, 0);
    CHECK_INT(cs.misses, misses + 60);
    /* the limit */
    CHECK_INT(newsidx_reader_set_doc_cache(r, ((uint64_t)NEWSD_MAX_DOC_CACHE_MB << 20) + 1),
              NEWSIDX_BAD_ARGUMENT);
    CHECK(strstr(newsidx_reader_error(r), "document cache over") != NULL);
    CHECK_INT(newsidx_reader_set_doc_cache(r, (uint64_t)NEWSD_MAX_DOC_CACHE_MB << 20), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_set_doc_cache(NULL, 0), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(newsidx_reader_doc_cache_stats(r, NULL), NEWSIDX_BAD_ARGUMENT);

    /* a replaced document keeps its docid: the reopen must empty the cache */
    page_text(r, "grain7", 10, got, sizeof got);
    CHECK(strstr(got, "Cached story 7|") != NULL);
    newsidx_doc_t d = {0};
    d.id = "c7";
    d.title = "Rewritten story";
    d.body = "The grain7 report was withdrawn.";
    int replaced = 0, changed = 0;
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_OK);
    CHECK_INT(replaced, 1);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    page_text(r, "grain7", 10, got, sizeof got); /* the old revision: the old text */
    CHECK(strstr(got, "Cached story 7|") != NULL);
    CHECK_INT(newsidx_reader_reopen(r, &changed), NEWSIDX_OK);
    CHECK_INT(changed, 1);
    CHECK_INT(newsidx_reader_doc_cache_stats(r, &cs), NEWSIDX_OK);
    CHECK_INT(cs.docs + cs.bytes, 0);
    page_text(r, "grain7", 10, got, sizeof got);
    CHECK_STR(got, "1|c7|Rewritten story||||The <b>grain7</b> report was withdrawn.\n");
out:
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    newsidx_reader_close(plain);
    newsidx_reader_close(r);
}

/* snippet modes: FIRST stops at the first window with a match, BEST reads the whole body
 * for the densest; both stem through the reader's memo like Xapian's stemmer. */
static void test_snippet_modes(void)
{
    char p[128];
    path_in(p, sizeof p, "snip");
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(p, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    /* one lone "harvest" at the start, then filler, then a dense cluster of matches */
    char body[4096];
    size_t n = (size_t)snprintf(body, sizeof body, "The harvest began early. ");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "Nothing of note happened today. ");
    snprintf(body + n, sizeof body - n,
             "Harvests harvested: the harvest of harvesting farmers. Then more filler text.");
    put_body(w, "s1", body, 0);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);

    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_OK);
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.snippet_len = 60;
    newsidx_results_t *res = NULL;
    o.snippets = NEWSIDX_SNIPPET_FIRST;
    CHECK_INT(newsidx_search(r, "harvest", &o, &res), NEWSIDX_OK);
    CHECK(newsidx_results_count(res) == 1 &&
          strstr(newsidx_results_hit(res, 0)->snippet, "<b>harvest</b> began early.") != NULL &&
          strstr(newsidx_results_hit(res, 0)->snippet, "farmers") == NULL);
    newsidx_results_destroy(res);
    o.snippets = NEWSIDX_SNIPPET_BEST;
    for (int round = 0; round < 2; round++) { /* the second time the stems are memoised */
        CHECK_INT(newsidx_search(r, "harvest", &o, &res), NEWSIDX_OK);
        const char *s = newsidx_results_count(res) == 1 ? newsidx_results_hit(res, 0)->snippet : "";
        CHECK(strstr(s, "<b>Harvests</b> <b>harvested</b>: the <b>harvest</b> of "
                        "<b>harvesting</b>") != NULL);
        CHECK(strstr(s, "began") == NULL);
        newsidx_results_destroy(res);
    }
    o.snippets = 3;
    CHECK_INT(newsidx_search(r, "harvest", &o, &res), NEWSIDX_BAD_ARGUMENT);
    CHECK(res == NULL);
    newsidx_reader_close(r);
}

static void test_names(void)
{
    CHECK_STR(newsidx_status_name(NEWSIDX_OK), "ok");
    CHECK_STR(newsidx_status_name(NEWSIDX_BAD_QUERY), "bad_query");
    CHECK_STR(newsidx_status_name(NEWSIDX_NOT_FOUND), "not_found");
    CHECK_STR(newsidx_status_name(NEWSIDX_INTERNAL), "internal");
    CHECK_STR(newsidx_status_name(NEWSIDX_SHARD_UNAVAILABLE), "shard_unavailable");
    CHECK(strncmp(newsidx_xapian_version(), "1.", 2) == 0);
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    CHECK_INT(o.limit, NEWSD_DEFAULT_LIMIT);
    CHECK_STR(o.hi_start, "<b>");
}

int main(void)
{
    if (fixture_begin() != 0) return 1;
    char idx[128];
    path_in(idx, sizeof idx, "index");

    test_names();
    test_snippet_modes();
    test_open_errors();

    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(idx, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    test_put_errors(w);
    for (size_t i = 0; i < NDOCS; i++) {
        int replaced = -1;
        CHECK_INT(newsidx_writer_put(w, &docs[i], &replaced), NEWSIDX_OK);
        CHECK_INT(replaced, 0);
    }
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);

    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(idx, &r), NEWSIDX_OK);
    CHECK_STR(newsidx_reader_error(r), "");
    if (r) {
        test_search(r);
        test_get(r);
        test_updates(idx, r);
    }
    newsidx_reader_close(r);

    test_modified_retry();
    test_doc_cache();

    fixture_end();
    return check_report();
}
