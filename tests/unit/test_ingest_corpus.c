/*
 * test_ingest_corpus.c: the real shipped corpus (corpus/) walked and read end to end,
 * with its exact counts and the quirks of known records.  Runs from the repository root.
 */
#include "ingest_fixture.h"

/* ---- the real corpus ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), l = strlen(suffix);
    return n >= l && strcmp(s + n - l, suffix) == 0;
}

/* Long: one pass over the whole corpus checks every known record on the way, so the
 * corpus is read once. */
static void test_corpus(void)
{
    ingest_filelist_t l = { 0 };
    unsigned errors = 0;
    const char *paths[] = { "corpus/" };
    CHECK_INT(ingest_walk(paths, 1, NULL, NULL, &l, NULL, NULL, &errors), 0);
    CHECK_INT(errors, 0);
    CHECK_INT(l.n, 22 + 2225 + 1);
    size_t docs = 0, skips = 0, fails = 0, reuters = 0, bbc = 0, reuters_1987 = 0;
    size_t brief_ok = 0, unproc_ok = 0, bad_names = 0, order_errors = 0, bad_files = 0;
    uint64_t reuters_bytes = 0;
    int seen_199 = 0, seen_seed = 0, seen_b001 = 0, seen_17980 = 0;
    for (size_t i = 0; i < l.n; i++) {
        const char *base = strrchr(l.files[i].path, '/');
        base = base ? base + 1 : l.files[i].path;
        if (strncasecmp(base, "README", 6) == 0 || ends_with(base, ".dtd"))
            bad_names++;
        char err[512];
        ingest_source_t src = { .path = l.files[i].path, .id = l.files[i].id };
        ingest_reader_t *r = ingest_open(&src, err, sizeof err);
        if (!r) {
            fprintf(stderr, "open: %s\n", err);
            fails++;
            continue;
        }
        int is_reuters = ingest_reader_format(r) == INGEST_REUTERS;
        size_t in_file = 0;
        newsidx_doc_t d;
        ingest_result_t res;
        while ((res = ingest_next(r, &d)) != INGEST_EOF) {
            if (res == INGEST_SKIP) {
                skips++;
                fprintf(stderr, "skip: %s\n", ingest_error(r));
                continue;
            }
            if (res == INGEST_FAIL) {
                fails++;
                fprintf(stderr, "fail: %s\n", ingest_error(r));
                break;
            }
            docs++;
            in_file++;
            if (is_reuters) {
                char want[32];
                snprintf(want, sizeof want, "reuters-%zu", ++reuters);
                if (strcmp(d.id, want) != 0 && order_errors++ < 5)
                    fprintf(stderr, "expected %s, got %s\n", want, d.id);
                if (d.date && strncmp(d.date, "1987-", 5) == 0 && strlen(d.date) == 20)
                    reuters_1987++;
                if (strcmp(d.id, "reuters-17980") == 0)
                    seen_17980 = strstr(d.body, "growth.\xc3\xbc") != NULL;
                if (strcmp(d.id, "reuters-30") == 0)  /* BRIEF */
                    brief_ok = strcmp(d.title, "ASSETS OF MONEY MARKET MUTUAL FUNDS ROSE 720.4 "
                                               "MLN DLRS IN LATEST WEEK") == 0 &&
                               strcmp(d.body, "Blah blah blah.") == 0;
                if (strcmp(d.id, "reuters-99") == 0)  /* UNPROC */
                    unproc_ok = strcmp(d.title, "FEDERAL RESERVE WEEKLY REPORT 1 - FEB 26") == 0 &&
                                strstr(d.body, "Net free reserves") != NULL;
                if (strcmp(d.id, "reuters-10280") == 0)  /* &#5;&#5;&#5;F after the date */
                    CHECK_STR(d.date, "1987-03-27T00:03:35Z");
                if (strcmp(d.id, "reuters-17192") == 0)  /* hour 605 */
                    CHECK_STR(d.date, "1987-03-31T00:00:00Z");
                if (strcmp(d.id, "reuters-15370") == 0)  /* trailing comment */
                    CHECK_STR(d.date, "1987-04-09T00:00:00Z");
                if (strcmp(d.id, "reuters-1") == 0) {
                    CHECK_STR(d.title, "BAHIA COCOA REVIEW");
                    CHECK_STR(d.date, "1987-02-26T15:01:01Z");
                    CHECK_INT(d.ntopics, 1);
                    CHECK_INT(d.nplaces, 3);
                    CHECK(strncmp(d.body, "SALVADOR, Feb 26 - Showers continued", 36) == 0);
                }
            } else if (strncmp(d.id, "corpus/bbc/", 11) == 0) {
                bbc++;
                if (strcmp(d.id, "corpus/bbc/sport/199.txt") == 0)
                    seen_199 = strstr(d.body, "\xc2\xa3" "15.8m") != NULL;
                if (strcmp(d.id, "corpus/bbc/business/001.txt") == 0) {
                    seen_b001 = 1;
                    CHECK_STR(d.source, "bbc");
                    CHECK_INT(d.ntopics, 1);
                    if (d.ntopics)
                        CHECK_STR(d.topics[0], "business");
                    CHECK_STR(d.title, "Ad sales boost Time Warner profit");
                }
            } else if (strstr(d.id, "duvar-2021-03-24") != NULL) {
                seen_seed = 1;
                CHECK_STR(d.title, "Turkey tells US at NATO that Russian defense purchase is "
                                   "'done deal'");
                CHECK_STR(d.source, "duvar");
                CHECK_STR(d.date, "2021-03-24T00:00:00Z");
                CHECK(strstr(d.body, "Istanbul Convention") != NULL);
            }
        }
        size_t want = !is_reuters ? 1 : strstr(l.files[i].path, "reut2-021") ? 578 : 1000;
        if (in_file != want && bad_files++ < 5)
            fprintf(stderr, "%s: %zu documents, expected %zu\n", l.files[i].path, in_file, want);
        if (is_reuters)
            reuters_bytes += ingest_bytes_read(r);
        ingest_close(r);
    }
    CHECK_INT(bad_names, 0);
    CHECK_INT(bad_files, 0);  /* 1000 per reut2 file (578 in reut2-021), 1 per text */
    CHECK_INT(docs, 21578 + 2225 + 1);
    CHECK_INT(skips, 0);
    CHECK_INT(fails, 0);
    CHECK_INT(reuters, 21578);
    CHECK_INT(order_errors, 0);
    CHECK_INT(reuters_1987, 21578);  /* every DATE, garbage and all, gives a 1987 date */
    CHECK_INT(reuters_bytes, 27636766);
    CHECK_INT(bbc, 2225);
    CHECK(brief_ok);
    CHECK(unproc_ok);
    CHECK(seen_17980);
    CHECK(seen_199);
    CHECK(seen_seed);
    CHECK(seen_b001);
    ingest_filelist_free(&l);

    /* the README's own check: each reut2 file holds 1000 records, reut2-021 578 */
    got_t g;
    read_file(&g, "corpus/reuters21578/reut2-021.sgm.gz", NULL, NULL, INGEST_AUTO);
    CHECK(!g.failed);
    CHECK_INT(g.nskips, 0);
    CHECK_INT(g.total, 578);
    got_free(&g);
}

int main(void)
{
    if (fixture_setup() != 0)
        return 1;
    test_corpus();
    fixture_cleanup();
    return check_report();
}
