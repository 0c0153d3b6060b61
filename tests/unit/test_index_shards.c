/*
 * test_index_shards.c: the index API's shards against real Xapian indexes in a temporary
 * directory: routing an id to its shard, expanding shard specs and stub files, a sharded
 * reader with a shard down (partial answers, reconnection), a replica folder.
 */
#include "newsidx_fixture.h"
#include "newsd_limits.h"

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

int main(void)
{
    if (fixture_begin() != 0) return 1;
    test_shard_of();
    test_shards_expand();
    test_sharded_reader();
    test_replica();
    fixture_end();
    return check_report();
}
