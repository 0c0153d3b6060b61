/*
 * test_format: the index format version (newsidx.h, NEWSIDX_FORMAT) through the C API.
 *
 * tests/data/format1-index was written by the format-1 newsindex from the first 30
 * articles of corpus/reuters21578/reut2-000.sgm.gz (tests/data/README.md).  Readers,
 * sharded readers, writers, merge and compaction refuse it with NEWSIDX_OLD_FORMAT and a
 * message that says what to do; newsidx_upgrade of a copy rewrites its 30 documents,
 * after which it searches exactly as an index built afresh from the same articles does
 * (same ids, order and scores) and has facets.  An index of a newer format, one whose
 * key is no number, and an empty index without the key are covered too.  Runs from the
 * repository root.
 */
#include "ingest.h"
#include "newsidx_fixture.h"

#include "newsd_limits.h"

#define FIXTURE "tests/data/format1-index"
#define FIXTURE_DOCS 30
#define FIXTURE_ORIGIN "/tmp/format1-src/reut2-sample.sgm"

static const char *const QUERIES[] = { "the", "cocoa", "\"the company\"", "oil OR bank",
                                       "said NOT dlrs" };

static void copy_tree(const char *from, const char *to)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp -R '%s' '%s'", from, to);
    CHECK_INT(system(cmd), 0);
}

static void expect_msg(const char *msg, const char *want)
{
    if (!strstr(msg, want))
        fprintf(stderr, "want '%s' in '%s'\n", want, msg);
    CHECK(strstr(msg, want) != NULL);
}

static char *metadata(const char *path, const char *key)
{
    newsidx_reader_t *r = NULL;
    char *v = NULL;
    CHECK_INT(newsidx_reader_open(path, &r), NEWSIDX_OK);
    if (r)
        CHECK_INT(newsidx_reader_get_metadata(r, key, &v), NEWSIDX_OK);
    newsidx_reader_close(r);
    return v;
}

/* The same articles as the fixture, written afresh in this format. */
static void build_fresh(const char *path)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    char err[512];
    ingest_source_t src = { .path = "corpus/reuters21578/reut2-000.sgm.gz", .id = "x" };
    ingest_reader_t *r = ingest_open(&src, err, sizeof err);
    CHECK(r != NULL);
    newsidx_doc_t d;
    int n = 0;
    while (r && n < FIXTURE_DOCS && ingest_next(r, &d) == INGEST_DOC) {
        CHECK_INT(newsidx_writer_put(w, &d, NULL), NEWSIDX_OK);
        n++;
    }
    CHECK_INT(n, FIXTURE_DOCS);
    ingest_close(r);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

/* "id:score;..." of the first NEWSD_MAX_LIMIT hits, and the facets, of q. */
static void describe(newsidx_reader_t *r, const char *q, char *out, size_t len)
{
    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.limit = NEWSD_MAX_LIMIT;
    o.facets = (1u << NEWSIDX_FACETS) - 1;
    newsidx_results_t *res = NULL;
    CHECK_INT(newsidx_search(r, q, &o, &res), NEWSIDX_OK);
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < newsidx_results_count(res) && at < len; i++) {
        const newsidx_hit_t *h = newsidx_results_hit(res, i);
        at += (size_t)snprintf(out + at, len - at, "%s:%.9g;", h->id, h->score);
    }
    for (int f = 0; f < NEWSIDX_FACETS && at < len; f++)
        for (size_t i = 0; i < newsidx_results_facet_size(res, (newsidx_facet_t)f) && at < len; i++) {
            const newsidx_facet_value_t *v = newsidx_results_facet_value(res, (newsidx_facet_t)f, i);
            at += (size_t)snprintf(out + at, len - at, "%d %s=%" PRIu64 ";", f, v->value, v->count);
        }
    newsidx_results_destroy(res);
}

static void test_refused(void)
{
    const char *want = "the index at " FIXTURE " is in format 1 and this newsd reads format 4: "
                       "run `newsindex --upgrade " FIXTURE "`, or rebuild it with newsindex";
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(FIXTURE, &r), NEWSIDX_OLD_FORMAT);
    expect_msg(newsidx_reader_error(r), want);
    CHECK_STR(newsidx_status_name(NEWSIDX_OLD_FORMAT), "old_format");
    newsidx_reader_close(r);

    char copy[128], fresh[128], out[128], msg[512];
    copy_tree(FIXTURE, path_in(copy, sizeof copy, "old"));
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(copy, 0, &w), NEWSIDX_OLD_FORMAT);
    expect_msg(newsidx_writer_error(w), "is in format 1 and this newsd reads format 4");
    expect_msg(newsidx_writer_error(w), "newsindex --upgrade");
    newsidx_writer_abandon(w);
    w = NULL;
    CHECK_INT(newsidx_writer_open(copy, NEWSIDX_CREATE, &w), NEWSIDX_OLD_FORMAT);
    newsidx_writer_abandon(w);
    /* The upgrade flag opens it, and writes no format key of its own. */
    w = NULL;
    CHECK_INT(newsidx_writer_open(copy, NEWSIDX_UPGRADE, &w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);

    /* A sharded reader names the old shard; merge and compaction refuse it. */
    build_fresh(path_in(fresh, sizeof fresh, "fresh"));
    const char *specs[] = { fresh, copy };
    r = NULL;
    CHECK_INT(newsidx_reader_open_shards(specs, 2, 0, &r), NEWSIDX_OLD_FORMAT);
    expect_msg(newsidx_reader_error(r), copy);
    expect_msg(newsidx_reader_error(r), "format 1");
    newsidx_reader_close(r);
    CHECK_INT(newsidx_merge(specs, 2, path_in(out, sizeof out, "merged"), NULL, msg, sizeof msg),
              NEWSIDX_OLD_FORMAT);
    expect_msg(msg, "newsindex --upgrade");
    CHECK_INT(newsidx_compact(copy, path_in(out, sizeof out, "compacted"), msg, sizeof msg),
              NEWSIDX_OLD_FORMAT);
    expect_msg(msg, "format 1");
}

static void test_upgrade(void)
{
    char copy[128], fresh[128], msg[512];
    copy_tree(FIXTURE, path_in(copy, sizeof copy, "upgraded"));
    path_in(fresh, sizeof fresh, "fresh");
    uint64_t n = 0;
    CHECK_INT(newsidx_upgrade(copy, &n, msg, sizeof msg), NEWSIDX_OK);
    CHECK_INT(n, FIXTURE_DOCS);
    CHECK_STR(msg, "");
    char *v = metadata(copy, NEWSIDX_FORMAT_METADATA_KEY);
    CHECK_STR(v, "4");
    free(v);
    v = metadata(copy, "newsd.paths");   /* the rest of the metadata stays */
    CHECK(v && strstr(v, "/tmp/format1-src") != NULL);
    free(v);

    /* It searches as a fresh build of the same articles does, facets included. */
    newsidx_reader_t *a = NULL, *b = NULL;
    CHECK_INT(newsidx_reader_open(copy, &a), NEWSIDX_OK);
    CHECK_INT(newsidx_reader_open(fresh, &b), NEWSIDX_OK);
    static char da[16384], db[16384];
    for (size_t i = 0; a && b && i < sizeof QUERIES / sizeof *QUERIES; i++) {
        describe(a, QUERIES[i], da, sizeof da);
        describe(b, QUERIES[i], db, sizeof db);
        CHECK(strchr(da, ':') != NULL);
        CHECK_STR(da, db);
    }
    describe(a, "cocoa", da, sizeof da);
    expect_msg(da, "0 reuters=");
    expect_msg(da, "1 cocoa=");
    newsidx_reader_close(a);
    newsidx_reader_close(b);

    /* Once is enough: a second upgrade rewrites nothing. */
    n = 777;
    CHECK_INT(newsidx_upgrade(copy, &n, msg, sizeof msg), NEWSIDX_OK);
    CHECK_INT(n, 0);
    /* The documents kept their origin (XF) terms: the file's documents can be deleted. */
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(copy, 0, &w), NEWSIDX_OK);
    uint64_t deleted = 0;
    CHECK_INT(newsidx_writer_delete_origin(w, FIXTURE_ORIGIN, &deleted), NEWSIDX_OK);
    CHECK_INT(deleted, FIXTURE_DOCS);
    newsidx_writer_abandon(w);

    CHECK_INT(newsidx_upgrade(path_in(copy, sizeof copy, "nothing-here"), &n, msg, sizeof msg),
              NEWSIDX_NO_INDEX);
    CHECK_INT(newsidx_upgrade(NULL, &n, msg, sizeof msg), NEWSIDX_BAD_ARGUMENT);
}

/* An index whose key says fmt (set through a writer, which then is reopened). */
static void make_with_format(const char *path, const char *fmt)
{
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(path, NEWSIDX_CREATE, &w), NEWSIDX_OK);
    put_body(w, "a", "some words", 0);
    CHECK_INT(newsidx_writer_set_metadata(w, NEWSIDX_FORMAT_METADATA_KEY, fmt), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
}

static void test_other_formats(void)
{
    char newer[128], junk[128], empty[128], out[128], msg[512];
    make_with_format(path_in(newer, sizeof newer, "newer"), "5");
    newsidx_reader_t *r = NULL;
    CHECK_INT(newsidx_reader_open(newer, &r), NEWSIDX_OLD_FORMAT);
    expect_msg(newsidx_reader_error(r), "is in format 5, written by a newer newsd");
    expect_msg(newsidx_reader_error(r), "upgrade newsd");
    newsidx_reader_close(r);
    newsidx_writer_t *w = NULL;
    CHECK_INT(newsidx_writer_open(newer, NEWSIDX_UPGRADE, &w), NEWSIDX_OLD_FORMAT);
    newsidx_writer_abandon(w);
    uint64_t n = 777;
    CHECK_INT(newsidx_upgrade(newer, &n, msg, sizeof msg), NEWSIDX_OLD_FORMAT);
    CHECK_INT(n, 0);
    expect_msg(msg, "newer newsd");

    make_with_format(path_in(junk, sizeof junk, "junk"), "2x");
    r = NULL;
    CHECK_INT(newsidx_reader_open(junk, &r), NEWSIDX_CORRUPT);
    expect_msg(newsidx_reader_error(r), "no format number");
    newsidx_reader_close(r);

    /* An empty index without the key is fine; the first writer records it. */
    w = NULL;
    CHECK_INT(newsidx_writer_open(path_in(empty, sizeof empty, "empty"), NEWSIDX_CREATE, &w),
              NEWSIDX_OK);
    CHECK_INT(newsidx_writer_set_metadata(w, NEWSIDX_FORMAT_METADATA_KEY, NULL), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    char *v = metadata(empty, NEWSIDX_FORMAT_METADATA_KEY);
    CHECK(v == NULL);
    free(v);
    w = NULL;
    CHECK_INT(newsidx_writer_open(empty, 0, &w), NEWSIDX_OK);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    v = metadata(empty, NEWSIDX_FORMAT_METADATA_KEY);
    CHECK_STR(v, "4");
    free(v);

    /* Bulk writers record it; merge and compaction keep it. */
    char bulk[128];
    w = NULL;
    CHECK_INT(newsidx_writer_open(path_in(bulk, sizeof bulk, "bulk"), NEWSIDX_OVERWRITE | NEWSIDX_BULK, &w),
              NEWSIDX_OK);
    put_body(w, "b", "other words", 0);
    CHECK_INT(newsidx_writer_close(w), NEWSIDX_OK);
    const char *sources[] = { bulk, empty };
    CHECK_INT(newsidx_merge(sources, 2, path_in(out, sizeof out, "merged"), NULL, msg, sizeof msg),
              NEWSIDX_OK);
    v = metadata(out, NEWSIDX_FORMAT_METADATA_KEY);
    CHECK_STR(v, "4");
    free(v);
    CHECK_INT(newsidx_compact(bulk, path_in(out, sizeof out, "compacted"), msg, sizeof msg),
              NEWSIDX_OK);
    v = metadata(out, NEWSIDX_FORMAT_METADATA_KEY);
    CHECK_STR(v, "4");
    free(v);
    n = 777;
    CHECK_INT(newsidx_upgrade(out, &n, msg, sizeof msg), NEWSIDX_OK);
    CHECK_INT(n, 0);
}

int main(void)
{
    if (fixture_begin() != 0)
        return 1;
    test_refused();
    test_upgrade();
    test_other_formats();
    fixture_end();
    return check_report();
}
