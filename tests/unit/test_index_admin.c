/*
 * test_index_admin.c: the index API's whole-index operations and what is kept beside the
 * documents, against real Xapian indexes in a temporary directory: bulk build, merge and
 * compaction, copying a document between writers, damaged indexes, metadata, origins.
 */
#include "newsidx_fixture.h"
#include "newsd_limits.h"

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

int main(void)
{
    if (fixture_begin() != 0) return 1;
    test_bulk_merge_compact();
    test_copy_doc();
    test_metadata();
    test_origins();
    test_damaged();
    fixture_end();
    return check_report();
}
