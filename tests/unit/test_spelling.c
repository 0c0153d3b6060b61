/*
 * test_spelling.c: the spelling dictionary and "did you mean" through the C API
 * (include/newsidx.h): a word counts only while an article has it in its body, through
 * put, replace, delete, an abandoned writer, copy_doc, origins and a merge of parts
 * (NEWSIDX_PART ones without a table, duplicates removed); the correction keeps the typed capitals, quotes and operators, and obeys
 * the filters.  Also explain (weights adding up to the score, bad values) and NEAR
 * between phrases (its meaning on small texts, bad forms with their byte).
 * A word only in a title proves the table: a title matches, but titles feed no
 * dictionary, so the correction is offered only while some body has the word.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
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

static void put(newsidx_writer_t *w, const char *id, const char *title, const char *body)
{
    newsidx_doc_t d = { .id = id, .title = title, .body = body, .source = "test" };
    CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
}

/* The suggestion for query on the index at p ("" for none), as a static copy. */
static const char *suggest_opts(const char *p, const char *query, const newsidx_search_opts_t *o)
{
    static char out[256];
    out[0] = '\0';
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_OK);
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, query, o, &res), NEWSIDX_OK);
    if (res) snprintf(out, sizeof out, "%s", newsidx_results_suggestion(res));
    newsidx_results_destroy(res);
    newsidx_reader_close(r);
    return out;
}

static const char *suggest(const char *p, const char *query)
{
    return suggest_opts(p, query, NULL);
}

static void test_writes(void)
{
    const char *p = path("main");
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(p, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    put(w, "t1", "Quokkaburger", "A snack.");
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "");   /* a title word alone: not in the table */

    put(w, "b1", "Snacks", "The quokkaburger stand opened on Monday.");
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "quokkaburger");
    CHECK_STR(suggest(p, "Quokkaburgr"), "Quokkaburger");
    CHECK_STR(suggest(p, "QUOKKABURGR"), "QUOKKABURGER");
    CHECK_STR(suggest(p, "\"quokkaburgr stand\""), "\"quokkaburger stand\"");
    CHECK_STR(suggest(p, "title:snacks AND quokkaburgr"), "title:snacks AND quokkaburger");
    CHECK_STR(suggest(p, "quokkaburger"), "");  /* spelt right: matches */
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.source = "elsewhere";                     /* the filters leave the correction nothing */
    CHECK_STR(suggest_opts(p, "quokkaburgr", &o), "");

    /* replaced: the old body's words leave the table */
    put(w, "b1", "Snacks", "Nothing to eat here.");
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "");

    /* counted per occurrence: deleting one of two articles keeps the word */
    put(w, "b2", "One", "quokkaburger and quokkaburger");
    put(w, "b3", "Two", "quokkaburger");
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "quokkaburger");
    CHECK_INT(newsidx_writer_delete(w, "b2"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "quokkaburger");
    CHECK_INT(newsidx_writer_delete(w, "b3"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "");

    /* a delete in the same batch as its put */
    put(w, "b4", "Three", "quokkaburger");
    CHECK_INT(newsidx_writer_delete(w, "b4"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "");

    /* origins: delete_origin takes the words out */
    CHECK_INT(newsidx_writer_set_origin(w, "/f1"), NEWSIDX_OK);
    put(w, "o1", "Four", "quokkaburger");
    CHECK_INT(newsidx_writer_end_origin(w, NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "quokkaburger");
    uint64_t deleted = 0;
    CHECK_INT(newsidx_writer_delete_origin(w, "/f1", &deleted), NEWSIDX_OK);
    CHECK_INT(deleted, 1);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "");
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);

    /* an abandoned writer's words never reach the table */
    CHECK_INT(newsidx_writer_open(p, 0, &w), NEWSIDX_OK);
    put(w, "b5", "Five", "quokkaburger");
    newsidx_writer_abandon(w);
    CHECK_STR(suggest(p, "quokkaburgr"), "");

    /* copy_doc brings the words along, and takes them when it deletes */
    const char *src = path("src");
    newsidx_writer_t *s = NULL;
    CHECK_INT(newsidx_writer_open(src, NEWSIDX_CREATE, &s), NEWSIDX_OK);
    put(s, "c1", "Six", "quokkaburger");
    CHECK_INT(newsidx_writer_commit(s), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_open(p, 0, &w), NEWSIDX_OK);
    int copied = 0;
    CHECK_INT(newsidx_writer_copy_doc(w, s, "c1", &copied), NEWSIDX_OK);
    CHECK_INT(copied, 1);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "quokkaburger");
    CHECK_INT(newsidx_writer_delete(s, "c1"), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_copy_doc(w, s, "c1", &copied), NEWSIDX_OK);
    CHECK_INT(copied, 0);
    CHECK_INT(newsidx_writer_commit(w), NEWSIDX_OK);
    CHECK_STR(suggest(p, "quokkaburgr"), "");
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(s), NEWSIDX_OK);
}

static void test_bulk_merge(void)
{
    /* part0 a build's part (no table of its own), part1 a bulk index with one; the
     * article "dup" is in both, and the merge keeps part1's copy, so part0's body word
     * kangaroobread must leave the dictionary (a title in part1 still matches it) */
    const char *parts[2] = { path("part0"), path("part1") };
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(parts[0], NEWSIDX_OVERWRITE | NEWSIDX_BULK | NEWSIDX_PART, &w),
              NEWSIDX_OK);
    put(w, "m0", "Bulk", "numbatpie");
    put(w, "dup", "Dup", "kangaroobread");
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    CHECK_STR(suggest(parts[0], "numbtpie"), "");  /* a part keeps no dictionary */
    CHECK_INT(newsidx_writer_open(parts[1], NEWSIDX_OVERWRITE | NEWSIDX_BULK, &w), NEWSIDX_OK);
    put(w, "m1", "Kangaroobread", "wallabyshake");
    put(w, "dup", "Dup", "emu");
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    char msg[256];
    uint64_t dups = 0;
    CHECK_INT(newsidx_merge(parts, 2, path("merged"), &dups, msg, sizeof msg), NEWSIDX_OK);
    CHECK_INT(dups, 1);
    CHECK_STR(suggest(path("merged"), "walabyshake"), "wallabyshake");
    CHECK_STR(suggest(path("merged"), "numbtpie"), "numbatpie");
    CHECK_STR(suggest(path("merged"), "kangarobread"), "");
    char words[160];
    snprintf(words, sizeof words, "%s.words", parts[0]);
    CHECK(access(words, F_OK) != 0);  /* the scratch index is gone */
}

static void test_explain_and_near(void)
{
    const char *p = path("near");
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(p, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    put(w, "n1", "One", "interest rates rose and the federal reserve said so");
    put(w, "n2", "Two", "the federal reserve kept interest rates");
    put(w, "n3", "Three",
        "interest rates are high; much later, many words on, the federal reserve");
    put(w, "n4", "Four", "rates interest federal reserve");
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(p, &r), NEWSIDX_OK);
    uint64_t n = 0;
    struct { const char *q; uint64_t want; } near[] = {
        { "\"interest rates\" NEAR/4 \"federal reserve\"", 2 },  /* n1 (3 words between), n2 */
        { "\"interest rates\" NEAR/3 \"federal reserve\"", 1 },  /* n2 only (1 word between) */
        { "\"interest rates\" ADJ/4 \"federal reserve\"", 1 },   /* n1: in order */
        { "\"interest rates\" NEAR \"federal reserve\"", 3 },    /* 10: n3 (8 between) too */
        { "\"interest rates\" NEAR/8 \"federal reserve\"", 2 },  /* not n3 */
        { "interest NEAR/1 \"federal reserve\"", 1 },            /* n4: "interest federal" */
        { "(\"interest rates\" NEAR/4 \"federal reserve\") AND kept", 1 },
    };
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
        CHECK_INT(newsidx_count(r, near[i].q, NULL, &n), NEWSIDX_OK);
        if (n != near[i].want) fprintf(stderr, "  query: %s\n", near[i].q);
        CHECK_INT(n, near[i].want);
    }
    CHECK_INT(newsidx_count(r, "\"a b\" NEAR c NEAR d", NULL, &n), NEWSIDX_BAD_QUERY);
    CHECK_STR(newsidx_reader_error(r),
              "at byte 7: NEAR and ADJ with a phrase take exactly two operands (no chains)");
    CHECK_INT(newsidx_count(r, "\"a b\" NEAR/0 c", NULL, &n), NEWSIDX_BAD_QUERY);
    CHECK(strncmp(newsidx_reader_error(r), "at byte 7: NEAR/0", 17) == 0);

    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.explain = 1;
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, "(interest AND kept) OR reserve", &o, &res), NEWSIDX_OK);
    CHECK_INT(newsidx_results_count(res), 4);
    CHECK(strncmp(newsidx_results_query(res), "Query(", 6) == 0);
    for (size_t i = 0; i < newsidx_results_count(res); i++) {
        double sum = 0;
        size_t k = newsidx_results_hit_terms(res, i);
        CHECK(k > 0);
        for (size_t j = 0; j < k; j++) sum += newsidx_results_hit_term(res, i, j)->weight;
        CHECK(fabs(sum - newsidx_results_hit(res, i)->score) < 1e-9);
        /* only n2 has kept: elsewhere interest is in no AND that matched */
        int has_interest = 0;
        for (size_t j = 0; j < k; j++)
            has_interest |= strcmp(newsidx_results_hit_term(res, i, j)->term, "Zinterest") == 0;
        CHECK_INT(has_interest, strcmp(newsidx_results_hit(res, i)->id, "n2") == 0);
    }
    CHECK(newsidx_results_hit_term(res, 0, 99) == NULL);
    CHECK(newsidx_results_hit_term(res, 99, 0) == NULL);
    newsidx_results_destroy(res);
    o.explain = 0;
    CHECK_INT(newsidx_search(r, "reserve", &o, &res), NEWSIDX_OK);
    CHECK_STR(newsidx_results_query(res), "");
    CHECK_INT(newsidx_results_hit_terms(res, 0), 0);
    newsidx_results_destroy(res);
    o.explain = 2;
    CHECK_INT(newsidx_search(r, "reserve", &o, &res), NEWSIDX_BAD_ARGUMENT);
    CHECK_STR(newsidx_reader_error(r), "explain must be 0 or 1");
    newsidx_reader_close(r);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_spelling.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    test_writes();
    test_bulk_merge();
    test_explain_and_near();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (getenv("KEEP")) return check_report();
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
