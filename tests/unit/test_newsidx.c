/*
 * test_newsidx.c: the index API (include/newsidx.h) against real Xapian indexes in a
 * temporary directory: opening errors, indexing and every query feature, replace and
 * delete, readers seeing commits, locking, bulk build + merge + compact, and damaged
 * indexes.  The directory is removed at the end.
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

static char tmpdir[64];

static const char *path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The ids of the hits of query, comma-separated ("" for none, "ERR:<status>" on error). */
static char *ids(newsidx_reader_t *r, const char *query, const newsidx_search_opts_t *opts)
{
    static char buf[512];
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(r, query, opts, &res);
    if (st != NEWSIDX_OK) {
        snprintf(buf, sizeof buf, "ERR:%s", newsidx_status_name(st));
        return buf;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < newsidx_results_count(res); i++) {
        if (i) strcat(buf, ",");
        strncat(buf, newsidx_results_hit(res, i)->id, sizeof buf - strlen(buf) - 2);
    }
    newsidx_results_destroy(res);
    return buf;
}

static newsidx_status_t search_status(newsidx_reader_t *r, const char *query,
                                      const newsidx_search_opts_t *opts)
{
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(r, query, opts, &res);
    if (st != NEWSIDX_OK) CHECK(res == NULL);
    newsidx_results_destroy(res);
    return st;
}

/* Position of id in a comma list, or -1. */
static int pos_of(const char *list, const char *id)
{
    int pos = 0;
    size_t n = strlen(id);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, id, n) == 0) return pos;
        pos++;
        if (!e) break;
        p = e + 1;
    }
    return -1;
}

static const char *const t_r1[] = {"Trade", "steel"};
static const char *const p_r1[] = {"USA"};
static const char *const t_r2[] = {"defense"};
static const char *const t_r3[] = {"markets"};
static const char *const t_r4[] = {"weather"};
static const char *const t_r5[] = {"labour", "Steel"};

static const newsidx_doc_t docs[] = {
    {"r1", "Sanctions on steel imports",
     "The government announced new sanctions against steel producers. Officials called it a done deal.",
     "2021-03-05T08:00:00Z", "Reuters", "http://example.com/r1", t_r1, 2, p_r1, 1},
    {"r2", "Turkey buys missiles",
     "Ankara said the purchase was done and the deal was signed. The US sanctioned Turkey.",
     "2021-03-20", "Duvar", "http://example.com/r2", t_r2, 1, NULL, 0},
    {"r3", "Markets rally",
     "Stocks rose as steel demand grew. Traders ignored sanctions talk.",
     "2021-04-02T12:30:00", "Reuters", NULL, t_r3, 1, NULL, 0},
    {"r4", "Weather report",
     "Rain expected in the north. Use <tags> & markup safely.",
     "2021-02-10T00:00:00Z", "BBC", NULL, t_r4, 1, NULL, 0},
    {"r5", "Steel strike", "Workers at a plant walked out on Monday.",
     "2021-03-15T09:00:00Z", "BBC", NULL, t_r5, 2, NULL, 0},
};
#define NDOCS (sizeof docs / sizeof docs[0])

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

static void put_shard(const char *path, const char *const *idv, const char *const *bodies, size_t n)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_OVERWRITE | NEWSIDX_BULK, &w), NEWSIDX_OK);
    for (size_t i = 0; i < n; i++) {
        newsidx_doc_t d = {0};
        d.id = idv[i];
        d.title = idv[i];
        d.body = bodies[i];
        int replaced = -1;
        CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_OK);
        CHECK_INT(replaced, 0);
        if (i == 0) CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK); /* and go on in bulk */
    }
    uint64_t count = 0;
    CHECK_INT(newsidx_writer_doc_count(w, &count), NEWSIDX_OK);
    CHECK_INT(count, n);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

static void test_bulk_merge_compact(void)
{
    char a[128], b[128], m[128], c[128], msg[256];
    const char *ida[] = {"a1", "a2", "x"}, *bodya[] = {"alpha one", "alpha two", "old version"};
    const char *idb[] = {"b1", "x"}, *bodyb[] = {"beta one", "new version"};
    put_shard(path_in(a, sizeof a, "shard-a"), ida, bodya, 3);
    put_shard(path_in(b, sizeof b, "shard-b"), idb, bodyb, 2);
    CHECK(getenv("XAPIAN_FLUSH_THRESHOLD") != NULL);

    const char *sources[] = {a, b};
    uint64_t dups = 99;
    path_in(m, sizeof m, "merged");
    CHECK_INT(newsidx_merge(sources, 2, m, &dups, msg, sizeof msg), NEWSIDX_OK);
    CHECK_STR(msg, "");
    CHECK_INT(dups, 1);

    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(m, &r), NEWSIDX_OK);
    uint64_t n = 0;
    CHECK_INT(newsidx_reader_doc_count(r, &n), NEWSIDX_OK);
    CHECK_INT(n, 4);
    /* equal (zero) weights come back in docid order: the order of the sources */
    CHECK_STR(ids(r, "NOT nothingatall", NULL), "a1,a2,b1,x");
    CHECK_STR(ids(r, "version", NULL), "x");
    newsidx_doc_t *d = NULL;
    CHECK_INT(newsidx_get(r, "x", &d), NEWSIDX_OK);
    if (d) CHECK_STR(d->body, "new version");
    newsidx_doc_free(d);
    newsidx_reader_close(r);

    /* the merged index takes ordinary updates */
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(m, 0, &w), NEWSIDX_OK);
    newsidx_doc_t nd = {0};
    nd.id = "a1";
    nd.body = "alpha replaced";
    int replaced = 0;
    CHECK_INT(newsidx_writer_put(w, &nd, &replaced), NEWSIDX_OK);
    CHECK_INT(replaced, 1);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);

    CHECK_INT(newsidx_merge(sources, 2, m, &dups, msg, sizeof msg), NEWSIDX_BAD_ARGUMENT);
    CHECK(strstr(msg, "exists") != NULL);
    const char *missing[] = {a, "/nonexistent/newsidx"};
    CHECK_INT(newsidx_merge(missing, 2, path_in(c, sizeof c, "m2"), &dups, msg, sizeof msg),
              NEWSIDX_NO_INDEX);
    CHECK(strlen(msg) > 0);
    CHECK_INT(newsidx_merge(sources, 0, c, &dups, msg, sizeof msg), NEWSIDX_BAD_ARGUMENT);

    path_in(c, sizeof c, "compacted");
    CHECK_INT(newsidx_compact(m, c, msg, sizeof msg), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_open(c, &r), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_doc_count(r, &n), NEWSIDX_OK);
    CHECK_INT(n, 4);
    CHECK_STR(ids(r, "replaced", NULL), "a1"); /* the update made after the merge */
    CHECK_STR(ids(r, "NOT nothingatall", NULL), "a1,a2,b1,x");
    newsidx_reader_close(r);
    CHECK_INT(newsidx_compact(m, c, msg, sizeof msg), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(newsidx_compact(path_in(a, sizeof a, "missing"), path_in(b, sizeof b, "c2"), msg, sizeof msg),
              NEWSIDX_NO_INDEX);
}

/* A reader left several commits behind hits DatabaseModifiedError inside Xapian; the
 * shim reopens and retries, so the count reflects the latest revision. */
/* newsidx_writer_copy_doc: what a REINDEX does with the writes made during the rebuild. */
static void test_copy_doc(void)
{
    char a[128], b[128];
    const char *ida[] = {"c1", "c2"}, *bodya[] = {"live copy one", "live copy two"};
    const char *idb[] = {"c2", "c3"}, *bodyb[] = {"stale two", "stale three"};
    put_shard(path_in(a, sizeof a, "copy-live"), ida, bodya, 2);
    put_shard(path_in(b, sizeof b, "copy-rebuilt"), idb, bodyb, 2);
    newsidx_writer_t *src = NULL, *dst = NULL;
    CHECK_INT(newsidx_writer_open(a, 0, &src), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_open(b, 0, &dst), NEWSIDX_OK);
    int copied = -1;
    CHECK_INT(newsidx_writer_copy_doc(dst, src, "c1", &copied), NEWSIDX_OK);   /* new there */
    CHECK_INT(copied, 1);
    CHECK_INT(newsidx_writer_copy_doc(dst, src, "c2", &copied), NEWSIDX_OK);   /* replaced */
    CHECK_INT(copied, 1);
    CHECK_INT(newsidx_writer_copy_doc(dst, src, "c3", &copied), NEWSIDX_OK);   /* deleted */
    CHECK_INT(copied, 0);
    CHECK_INT(newsidx_writer_copy_doc(dst, src, "nowhere", &copied), NEWSIDX_OK);
    CHECK_INT(copied, 0);
    CHECK_INT(newsidx_writer_copy_doc(dst, src, "c1", NULL), NEWSIDX_OK);      /* twice */
    CHECK_INT(newsidx_writer_copy_doc(NULL, src, "c1", NULL), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(newsidx_writer_copy_doc(dst, NULL, "c1", NULL), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(newsidx_writer_copy_doc(dst, src, NULL, NULL), NEWSIDX_BAD_ARGUMENT);
    uint64_t n = 0;
    CHECK_INT(newsidx_writer_doc_count(dst, &n), NEWSIDX_OK);
    CHECK_INT(n, 2);
    CHECK_INT(newsidx_writer_close(dst), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(src), NEWSIDX_OK);

    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(b, &r), NEWSIDX_OK);
    CHECK_STR(ids(r, "stale", NULL), "");
    /* the copy is whole: terms with positions (phrases), the title, the stored body */
    CHECK_STR(ids(r, "\"live copy one\"", NULL), "c1");
    CHECK_STR(ids(r, "title:c2", NULL), "c2");
    newsidx_doc_t *d = NULL;
    CHECK_INT(newsidx_get(r, "c2", &d), NEWSIDX_OK);
    if (d) CHECK_STR(d->body, "live copy two");
    newsidx_doc_free(d);
    CHECK_INT(newsidx_get(r, "c3", &d), NEWSIDX_NOT_FOUND);
    newsidx_reader_close(r);
}

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

/* Overwrite every table of a small index with garbage: open or search must fail
 * cleanly. */
static void build_small(const char *path)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    for (size_t i = 0; i < NDOCS; i++) CHECK_INT(newsidx_writer_put(w, &docs[i], NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

static void test_damaged(void)
{
    char p[128], f[192];
    build_small(path_in(p, sizeof p, "damaged"));

    const char *tables[] = {"postlist.glass", "docdata.glass", "termlist.glass", "position.glass"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(f, sizeof f, "%s/%s", p, tables[i]);
        FILE *fp = fopen(f, "r+b");
        CHECK(fp != NULL);
        if (!fp) continue;
        fseek(fp, 0, SEEK_END);
        long size = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        for (long j = 0; j < size; j++) fputc(0xA5, fp);
        fclose(fp);
    }
    newsidx_reader_t *r = NULL;
    newsidx_status_t st = newsidx_reader_open(p, &r);
    if (st == NEWSIDX_OK) {
        newsidx_results_t *res = NULL;
        st = newsidx_search(r, "steel", NULL, &res);
        newsidx_results_destroy(res);
    }
    CHECK(st != NEWSIDX_OK);
    CHECK(st == NEWSIDX_CORRUPT || st == NEWSIDX_IO);
    CHECK(strlen(newsidx_reader_error(r)) > 0);
    fprintf(stderr, "damaged tables: %s: %s\n", newsidx_status_name(st), newsidx_reader_error(r));
    newsidx_reader_close(r);

    /* a truncated table, in a fresh index */
    build_small(path_in(p, sizeof p, "truncated"));
    snprintf(f, sizeof f, "%s/postlist.glass", p);
    CHECK(truncate(f, 100) == 0);
    st = newsidx_reader_open(p, &r);
    if (st == NEWSIDX_OK) {
        uint64_t n;
        st = newsidx_count(r, "steel", NULL, &n);
    }
    CHECK(st != NEWSIDX_OK);
    fprintf(stderr, "truncated table: %s: %s\n", newsidx_status_name(st), newsidx_reader_error(r));
    newsidx_reader_close(r);
}

/* Metadata: absent keys, set/remove, uncommitted visibility, bad keys, and survival of
 * merge (sources unioned, first source's value wins) and compaction. */
static newsidx_writer_t *shard_with_meta(const char *path, const char *id, const char *key,
                                         const char *shared_value)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_OVERWRITE | NEWSIDX_BULK, &w), NEWSIDX_OK);
    newsidx_doc_t d = {0};
    d.id = id;
    d.body = "shard text";
    CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_set_metadata(w, key, id), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_set_metadata(w, "shared", shared_value), NEWSIDX_OK);
    return w;
}

static int collect_keys(void *ctx, const char *key, const char *value)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 256 - n, "%s%s=%s", n ? "," : "", key, value);
    return 0;
}

static int stop_at_first(void *ctx, const char *key, const char *value)
{
    (void)key, (void)value;
    ++*(int *)ctx;
    return 1;
}

static void test_metadata(void)
{
    char p[128], a[128], b[128], m[128], c[128], msg[256];
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path_in(p, sizeof p, "meta"), NEWSIDX_CREATE, &w), NEWSIDX_OK);
    char *v = (char *)"sentinel";
    CHECK_INT(newsidx_writer_get_metadata(w, "newsd.paths", &v), NEWSIDX_OK);
    CHECK(v == NULL);
    CHECK_INT(newsidx_writer_set_metadata(w, "newsd.paths", "[\"/a\"]"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_get_metadata(w, "newsd.paths", &v), NEWSIDX_OK);
    CHECK_STR(v, "[\"/a\"]"); /* the writer sees its own uncommitted value */
    free(v);

    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_get_metadata(r, "newsd.paths", &v), NEWSIDX_OK);
    CHECK(v == NULL); /* not committed yet */
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_reopen(r, NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_get_metadata(r, "newsd.paths", &v), NEWSIDX_OK);
    CHECK_STR(v, "[\"/a\"]");
    free(v);

    /* bad keys */
    char longkey[NEWSD_MAX_METADATA_KEY_LEN + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    CHECK_INT(newsidx_writer_set_metadata(w, longkey, "x"), NEWSIDX_BAD_ARGUMENT);
    CHECK(strstr(newsidx_writer_error(w), "too long") != NULL);
    CHECK_INT(newsidx_reader_get_metadata(r, longkey, &v), NEWSIDX_BAD_ARGUMENT);
    CHECK(v == NULL);
    CHECK_INT(newsidx_writer_set_metadata(w, "", "x"), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(newsidx_writer_set_metadata(w, NULL, "x"), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(newsidx_reader_get_metadata(r, "k", NULL), NEWSIDX_BAD_ARGUMENT);
    longkey[NEWSD_MAX_METADATA_KEY_LEN] = '\0'; /* the longest allowed key works */
    CHECK_INT(newsidx_writer_set_metadata(w, longkey, "longest"), NEWSIDX_OK);

    /* listing by prefix, and removal with NULL and "" */
    CHECK_INT(newsidx_writer_set_metadata(w, "newsd.file:/b", "2"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_set_metadata(w, "newsd.file:/a", "1"), NEWSIDX_OK);
    char list[256] = "";
    CHECK_INT(newsidx_writer_list_metadata(w, "newsd.file:", collect_keys, list), NEWSIDX_OK);
    CHECK_STR(list, "newsd.file:/a=1,newsd.file:/b=2");
    int calls = 0;
    CHECK_INT(newsidx_writer_list_metadata(w, "", stop_at_first, &calls), NEWSIDX_OK);
    CHECK_INT(calls, 1);
    CHECK_INT(newsidx_writer_set_metadata(w, "newsd.file:/a", NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_set_metadata(w, "newsd.file:/b", ""), NEWSIDX_OK);
    list[0] = '\0';
    CHECK_INT(newsidx_writer_list_metadata(w, "newsd.file:", collect_keys, list), NEWSIDX_OK);
    CHECK_STR(list, "");
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    newsidx_reader_close(r);

    /* merge keeps the metadata of every shard; compaction keeps it too */
    newsidx_writer_t *wa = shard_with_meta(path_in(a, sizeof a, "meta-a"), "ma", "newsd.file:/x/a", "from-a");
    CHECK_INT(newsidx_writer_close(wa), NEWSIDX_OK);
    newsidx_writer_t *wb = shard_with_meta(path_in(b, sizeof b, "meta-b"), "mb", "newsd.file:/x/b", "from-b");
    CHECK_INT(newsidx_writer_close(wb), NEWSIDX_OK);
    const char *sources[] = {a, b};
    CHECK_INT(newsidx_merge(sources, 2, path_in(m, sizeof m, "meta-merged"), NULL, msg, sizeof msg),
              NEWSIDX_OK);
    CHECK_INT(newsidx_compact(m, path_in(c, sizeof c, "meta-compacted"), msg, sizeof msg), NEWSIDX_OK);
    const char *dbs[] = {m, c};
    for (int i = 0; i < 2; i++) {
        CHECK_INT(newsidx_reader_open(dbs[i], &r), NEWSIDX_OK);
        CHECK_INT(newsidx_reader_get_metadata(r, "newsd.file:/x/a", &v), NEWSIDX_OK);
        CHECK_STR(v, "ma");
        free(v);
        CHECK_INT(newsidx_reader_get_metadata(r, "newsd.file:/x/b", &v), NEWSIDX_OK);
        CHECK_STR(v, "mb");
        free(v);
        CHECK_INT(newsidx_reader_get_metadata(r, "shared", &v), NEWSIDX_OK);
        CHECK_STR(v, "from-a");
        free(v);
        newsidx_reader_close(r);
    }
}

static void put_body(newsidx_writer_t *w, const char *id, const char *body, int want_replaced)
{
    newsidx_doc_t d = {0};
    d.id = id;
    d.body = body;
    int replaced = -1;
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_OK);
    CHECK_INT(replaced, want_replaced);
}

static uint64_t count_of(const char *path, const char *query)
{
    newsidx_reader_t *r = NULL;
    uint64_t n = 0;
    if (newsidx_reader_open(path, &r) == NEWSIDX_OK) newsidx_count(r, query, NULL, &n);
    newsidx_reader_close(r);
    return n;
}

/* Origins: re-reading a file deletes only its records that are gone; other files' and
 * untagged documents stay; delete_origin removes a whole file; long origins work. */
static void test_origins(void)
{
    char p[128];
    newsidx_writer_t *w = NULL;
    uint64_t deleted = 99;
    CHECK_INT(newsidx_writer_open(path_in(p, sizeof p, "origins"), NEWSIDX_CREATE, &w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_end_origin(w, &deleted), NEWSIDX_BAD_ARGUMENT);
    CHECK_INT(newsidx_writer_set_origin(w, ""), NEWSIDX_BAD_ARGUMENT);
    put_body(w, "plain", "untagged orig", 0);
    CHECK_INT(newsidx_writer_set_origin(w, "/news/f1.jsonl"), NEWSIDX_OK);
    put_body(w, "f1-a", "first orig", 0);
    put_body(w, "f1-b", "second orig", 0);
    put_body(w, "f1-c", "third orig", 0);
    CHECK_INT(newsidx_writer_end_origin(w, &deleted), NEWSIDX_OK);
    CHECK_INT(deleted, 0);
    char longpath[400];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    CHECK_INT(newsidx_writer_set_origin(w, longpath), NEWSIDX_OK);
    put_body(w, "long-a", "long orig", 0);
    CHECK_INT(newsidx_writer_end_origin(w, NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_INT(count_of(p, "orig"), 5);

    /* f1 re-read: f1-b is gone, f1-a changed, f1-d is new */
    CHECK_INT(newsidx_writer_set_origin(w, "/news/f1.jsonl"), NEWSIDX_OK);
    put_body(w, "f1-a", "first changed", 1);
    put_body(w, "f1-c", "third orig", 1);
    put_body(w, "f1-d", "fourth orig", 0);
    CHECK_INT(newsidx_writer_end_origin(w, &deleted), NEWSIDX_OK);
    CHECK_INT(deleted, 1);
    uint64_t n = 0;
    CHECK_INT(newsidx_writer_doc_count(w, &n), NEWSIDX_OK);
    CHECK_INT(n, 5);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_INT(count_of(p, "id:f1-b"), 0);
    CHECK_INT(count_of(p, "changed"), 1);
    CHECK_INT(count_of(p, "id:plain"), 1);

    /* a record that moved to another file is not deleted with its old file */
    CHECK_INT(newsidx_writer_set_origin(w, "/news/f2.jsonl"), NEWSIDX_OK);
    put_body(w, "f1-d", "moved", 1);
    CHECK_INT(newsidx_writer_end_origin(w, NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_delete_origin(w, "/news/f1.jsonl", &deleted), NEWSIDX_OK);
    CHECK_INT(deleted, 2); /* f1-a, f1-c */
    CHECK_INT(newsidx_writer_delete_origin(w, longpath, &deleted), NEWSIDX_OK);
    CHECK_INT(deleted, 1);
    CHECK_INT(newsidx_writer_delete_origin(w, "/nothing/here", &deleted), NEWSIDX_OK);
    CHECK_INT(deleted, 0);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    CHECK_INT(count_of(p, "id:f1-d"), 1);
    CHECK_INT(count_of(p, "id:plain"), 1);
    CHECK_INT(count_of(p, "orig"), 1); /* only the untagged one is left */

    char d1[NEWSIDX_DIGEST_LEN + 1], d2[NEWSIDX_DIGEST_LEN + 1];
    newsidx_digest("/news/f1.jsonl", d1);
    newsidx_digest("/news/f2.jsonl", d2);
    CHECK_INT(strlen(d1), NEWSIDX_DIGEST_LEN);
    CHECK(strcmp(d1, d2) != 0);
    newsidx_digest("/news/f1.jsonl", d2);
    CHECK_STR(d1, d2);
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

static void test_shard_of(void)
{
    /* FNV-1a 64 reference values: "" hashes to the offset basis, "a" to af63dc4c8601ec8c. */
    CHECK_INT(newsidx_shard_of("", 7), (int)(14695981039346656037ULL % 7));
    CHECK_INT(newsidx_shard_of(NULL, 7), (int)(14695981039346656037ULL % 7));
    CHECK_INT(newsidx_shard_of("a", 1000), (int)(0xaf63dc4c8601ec8cULL % 1000));
    CHECK_INT(newsidx_shard_of("a", 1), 0);
    CHECK_INT(newsidx_shard_of("a", 0), 0);
    /* Spread: 3000 ids over 3 shards, each gets a fair share. */
    unsigned n[3] = {0, 0, 0};
    for (int i = 0; i < 3000; i++) {
        char id[32];
        snprintf(id, sizeof id, "reuters-%d", i);
        unsigned s = newsidx_shard_of(id, 3);
        CHECK(s < 3);
        if (s < 3) n[s]++;
    }
    for (int k = 0; k < 3; k++)
        CHECK(n[k] > 850 && n[k] < 1150);
}


/* Expands specs and joins the list with '|'; "ERR:<status>:<message>" on failure. */
static const char *expand(const char *const *specs, size_t n)
{
    static char buf[2048];
    char **list = NULL, msg[512];
    size_t nl = 0;
    newsidx_status_t st = newsidx_shards_expand(specs, n, &list, &nl, msg, sizeof msg);
    if (st != NEWSIDX_OK) {
        snprintf(buf, sizeof buf, "ERR:%s:%s", newsidx_status_name(st), msg);
        return buf;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < nl; i++) {
        if (i) strcat(buf, "|");
        strncat(buf, list[i], sizeof buf - strlen(buf) - 2);
    }
    newsidx_shards_free(list, nl);
    return buf;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_shards_expand(void)
{
    char a[256], b[256], stub[256], dir[256], want[1024];
    path_in(a, sizeof a, "spec-a");
    path_in(b, sizeof b, "spec-b");
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(a, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    newsidx_writer_close(w);
    CHECK_INT(newsidx_writer_open(b, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    newsidx_writer_close(w);

    /* tcp specs: canonical form, ports and hosts checked */
    const char *t1[] = { "tcp:127.0.0.1:07001", "tcp:[::1]:7002", "tcp:shard.example:7003" };
    CHECK_STR(expand(t1, 3), "tcp:127.0.0.1:7001|tcp:[::1]:7002|tcp:shard.example:7003");
    const char *bad[] = { "tcp:127.0.0.1", "tcp::7000", "tcp:h:0", "tcp:h:65536", "tcp:h:x1",
                          "tcp:::1:7000", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(starts(expand(&bad[i], 1), "ERR:bad_argument:"));
    CHECK(strstr(expand(&bad[0], 1), "want HOST:PORT") != NULL);
    const char *missing[] = { "/nonexistent/shard" };
    CHECK(starts(expand(missing, 1), "ERR:no_index:no index at /nonexistent/shard"));
    CHECK(starts(expand(NULL, 0), "ERR:bad_argument:"));

    /* a folder is a shard, in the order given */
    const char *two[] = { b, a };
    snprintf(want, sizeof want, "%s|%s", b, a);
    CHECK_STR(expand(two, 2), want);

    /* a stub: relative paths against its folder, remote lines, comments; in place */
    path_in(stub, sizeof stub, "s.stub");
    write_file(stub, "# shards\n\n  glass spec-a  \nremote 10.0.0.1:7000\r\nauto spec-b\n");
    const char *st1[] = { "tcp:h:1", stub, "tcp:h:2" };
    snprintf(want, sizeof want, "tcp:h:1|%s/spec-a|tcp:10.0.0.1:7000|%s/spec-b|tcp:h:2", tmpdir,
             tmpdir);
    CHECK_STR(expand(st1, 3), want);
    /* a folder holding no index but shards.stub stands for its shards */
    path_in(dir, sizeof dir, "layout");
    mkdir(dir, 0755);
    char file[300], sub[300];
    snprintf(sub, sizeof sub, "%s/shard-0", dir);
    CHECK_INT(newsidx_writer_open(sub, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    newsidx_writer_close(w);
    snprintf(file, sizeof file, "%s/shards.stub", dir);
    write_file(file, "glass shard-0\n");
    const char *lay[] = { dir };
    CHECK_STR(expand(lay, 1), sub);

    /* what a stub may not say */
    write_file(stub, "remote :xapian-progsrv /srv/db\n");
    CHECK(starts(expand(st1 + 1, 1), "ERR:bad_argument:stub file "));
    CHECK(strstr(expand(st1 + 1, 1), "line 1: 'remote :PROGRAM' runs a program") != NULL);
    write_file(stub, "glass spec-a\ninmemory\n");
    CHECK(strstr(expand(st1 + 1, 1), "line 2: 'inmemory' is not supported") != NULL);
    write_file(stub, "glass no-such-folder\n");
    CHECK(starts(expand(st1 + 1, 1), "ERR:no_index:stub file "));
    write_file(stub, "remote somehost\n");
    CHECK(strstr(expand(st1 + 1, 1), "want HOST:PORT") != NULL);
    write_file(stub, "glass\n");
    CHECK(strstr(expand(st1 + 1, 1), "no path after glass") != NULL);
    write_file(stub, "# nothing\n");
    CHECK(strstr(expand(st1 + 1, 1), "lists no shards") != NULL);

    /* at most NEWSD_MAX_SHARDS */
    FILE *f = fopen(stub, "w");
    for (int i = 0; f && i < NEWSD_MAX_SHARDS; i++) fprintf(f, "remote h:%d\n", 1000 + i);
    if (f) fclose(f);
    CHECK(!starts(expand(st1 + 1, 1), "ERR:"));
    const char *over[] = { stub, "tcp:h:1" };
    CHECK(strstr(expand(over, 2), "more than 64 shards") != NULL);
}

static void put_doc(const char *path, const char *id, const char *body)
{
    newsidx_writer_t *w = NULL;
    newsidx_doc_t d = { .id = id, .title = id, .body = body };
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

/* Two local shards and a remote one nobody serves (port 1 on loopback: refused at once). */
static void test_sharded_reader(void)
{
    char s0[256], s1[256];
    path_in(s0, sizeof s0, "shard-r0");
    path_in(s1, sizeof s1, "shard-r1");
    put_doc(s0, "a1", "apple banana");
    put_doc(s1, "a2", "apple cherry");
    const char *ok[] = { s0, s1 };
    newsidx_reader_t *r = NULL;
    uint64_t n = 0;
    CHECK_INT(newsidx_reader_open_shards(ok, 2, 0, &r), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_shard_count(r), 2);
    CHECK_INT(newsidx_reader_doc_count(r, &n), NEWSIDX_OK);
    CHECK_INT(n, 2);
    CHECK_STR(ids(r, "apple", NULL), "a1,a2");
    newsidx_reader_close(r);

    const char *specs[] = { s0, s1, "tcp:127.0.0.1:1" };
    CHECK_INT(newsidx_reader_open_shards(specs, 3, 0, &r), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_shard_count(r), 3);
    newsidx_shard_info_t info;
    CHECK_INT(newsidx_reader_shard_info(r, 2, &info), NEWSIDX_OK);
    CHECK_STR(info.name, "tcp:127.0.0.1:1");
    CHECK_INT(info.remote, 1);
    CHECK_INT(info.up, 0);
    CHECK(strstr(info.error, "NetworkError") != NULL);
    CHECK_INT(newsidx_reader_shard_info(r, 0, &info), NEWSIDX_OK);
    CHECK_STR(info.name, s0);
    CHECK_INT(info.up, 1);
    CHECK_INT(info.docs, 1);
    CHECK_INT(newsidx_reader_shard_info(r, 3, &info), NEWSIDX_BAD_ARGUMENT);

    /* without partial: fails fast, naming the shard */
    CHECK_STR(ids(r, "apple", NULL), "ERR:shard_unavailable");
    CHECK_STR(newsidx_reader_failed_shard(r), "tcp:127.0.0.1:1");
    CHECK(starts(newsidx_reader_error(r), "tcp:127.0.0.1:1 (shard 2 of 3, numbered from 0) is unavailable"));
    CHECK_INT(newsidx_reader_doc_count(r, &n), NEWSIDX_SHARD_UNAVAILABLE);
    CHECK_INT(newsidx_count(r, "apple", NULL, &n), NEWSIDX_SHARD_UNAVAILABLE);
    char *v = NULL;
    CHECK_INT(newsidx_reader_get_metadata(r, "k", &v), NEWSIDX_SHARD_UNAVAILABLE);

    /* partial: the others answer, and the missing one is named */
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.partial = 1;
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, "apple", &o, &res), NEWSIDX_OK);
    CHECK_INT(newsidx_results_count(res), 2);
    CHECK_INT(newsidx_results_missing_count(res), 1);
    CHECK_STR(newsidx_results_missing_shard(res, 0), "tcp:127.0.0.1:1");
    CHECK(newsidx_results_missing_shard(res, 1) == NULL);
    newsidx_results_destroy(res);
    CHECK_INT(newsidx_count(r, "cherry", &o, &n), NEWSIDX_OK);
    CHECK_INT(n, 1);
    CHECK_INT(newsidx_reader_missing_count(r), 1);
    CHECK_STR(newsidx_reader_missing_shard(r, 0), "tcp:127.0.0.1:1");
    CHECK_STR(newsidx_reader_failed_shard(r), "");

    /* GET: found on a live shard; "not found" needs every shard */
    newsidx_doc_t *d = NULL;
    CHECK_INT(newsidx_get(r, "a2", &d), NEWSIDX_OK);
    CHECK(d && strcmp(d->body, "apple cherry") == 0);
    newsidx_doc_free(d);
    d = NULL;
    CHECK_INT(newsidx_get(r, "zz", &d), NEWSIDX_SHARD_UNAVAILABLE);
    CHECK(d == NULL);
    int changed = -1;
    CHECK_INT(newsidx_reader_reopen(r, &changed), NEWSIDX_OK);
    newsidx_reader_close(r);

    /* a plain reader has no shards and answers not_found as ever */
    CHECK_INT(newsidx_reader_open(s0, &r), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_shard_count(r), 0);
    CHECK_INT(newsidx_get(r, "zz", &d), NEWSIDX_NOT_FOUND);
    newsidx_reader_close(r);

    /* a local shard that cannot be opened fails the open, naming it */
    const char *broken[] = { s0, tmpdir };
    CHECK_INT(newsidx_reader_open_shards(broken, 2, 0, &r), NEWSIDX_NO_INDEX);
    CHECK(r && starts(newsidx_reader_error(r), tmpdir));
    newsidx_reader_close(r);

    /* writers: a local shard as ever; a remote one nobody serves is unavailable */
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open_shard(s0, 0, &w), NEWSIDX_OK);
    newsidx_writer_close(w);
    w = NULL;
    CHECK_INT(newsidx_writer_open_shard("tcp:127.0.0.1:1", 0, &w), NEWSIDX_SHARD_UNAVAILABLE);
    CHECK(w && strstr(newsidx_writer_error(w), "NetworkError") != NULL);
    newsidx_writer_abandon(w);
    w = NULL;
    CHECK_INT(newsidx_writer_open_shard("tcp:nohost", 0, &w), NEWSIDX_BAD_ARGUMENT);
    newsidx_writer_abandon(w);
}

/* A replica folder as xapian-replicate lays it out: XAPIANDB naming the live copy. */
static void test_replica(void)
{
    char rep[128], live[160], stub[160];
    path_in(rep, sizeof rep, "replica");
    snprintf(live, sizeof live, "%s/replica_1", rep);
    snprintf(stub, sizeof stub, "%s/XAPIANDB", rep);
    CHECK(mkdir(rep, 0755) == 0);
    CHECK_INT(newsidx_is_replica(rep), 0);   /* an empty folder is no replica */
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(live, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_put(w, &docs[0], NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    CHECK_INT(newsidx_is_replica(live), 0);  /* a glass index is not */

    /* A stub listing nothing would open as an empty index: refused. */
    write_file(stub, "# Automatically generated\n");
    CHECK_INT(newsidx_is_replica(rep), 1);
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(rep, &r), NEWSIDX_CORRUPT);
    CHECK(strstr(newsidx_reader_error(r), "lists no database") != NULL);
    newsidx_reader_close(r);

    write_file(stub, "# Automatically generated\nauto replica_1\n");
    r = NULL;
    uint64_t n = 0;
    CHECK_INT(newsidx_reader_open(rep, &r), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_doc_count(r, &n), NEWSIDX_OK);
    CHECK_INT(n, 1);
    newsidx_reader_close(r);

    /* Only xapian-replicate writes a replica. */
    w = NULL;
    CHECK_INT(newsidx_writer_open(rep, 0, &w), NEWSIDX_BAD_ARGUMENT);
    CHECK(strstr(newsidx_writer_error(w), "replica") != NULL);
    newsidx_writer_abandon(w);
    CHECK_INT(newsidx_is_replica(NULL), 0);
    CHECK_INT(newsidx_is_replica(""), 0);
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/newsidx-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char idx[128];
    path_in(idx, sizeof idx, "index");

    test_names();
    test_shard_of();
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
    test_bulk_merge_compact();
    test_copy_doc();
    test_metadata();
    test_origins();
    test_damaged();
    test_shards_expand();
    test_sharded_reader();
    test_replica();

    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_report();
}
