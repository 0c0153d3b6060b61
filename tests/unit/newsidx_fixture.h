/*
 * newsidx_fixture.h: what the index API's unit tests (test_newsidx.c, test_index_admin.c,
 * test_index_shards.c) share: a temporary directory for their indexes, removed at the
 * end, and helpers that turn a search into a string to compare.
 */
#ifndef NEWSD_NEWSIDX_FIXTURE_H
#define NEWSD_NEWSIDX_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "newsidx.h"

static char tmpdir[64];

static inline const char *path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

static inline int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The ids of the hits of query, comma-separated ("" for none, "ERR:<status>" on error). */
static inline char *ids(newsidx_reader_t *r, const char *query, const newsidx_search_opts_t *opts)
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

static inline newsidx_status_t search_status(newsidx_reader_t *r, const char *query,
                                      const newsidx_search_opts_t *opts)
{
    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(r, query, opts, &res);
    if (st != NEWSIDX_OK) CHECK(res == NULL);
    newsidx_results_destroy(res);
    return st;
}

/* Position of id in a comma list, or -1. */
static inline int pos_of(const char *list, const char *id)
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

/* Puts a document of id and body; checks that it did or did not replace one. */
static inline void put_body(newsidx_writer_t *w, const char *id, const char *body, int want_replaced)
{
    newsidx_doc_t d = {0};
    d.id = id;
    d.body = body;
    int replaced = -1;
    CHECK_INT(newsidx_writer_put(w, &d, &replaced), NEWSIDX_OK);
    CHECK_INT(replaced, want_replaced);
}

/* Five documents every suite indexes somewhere. */
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

/* Makes the temporary directory; 0, or -1 after saying why. */
static inline int fixture_begin(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/newsidx-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

/* Removes the temporary directory and everything in it. */
static inline void fixture_end(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
