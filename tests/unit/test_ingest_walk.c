/*
 * test_ingest_walk.c: the folder walker (ingest_walk): order, skipped names, globs, ids,
 * symlinks, dedupe, "."; and files that are not regular (FIFOs, devices, folders), which
 * ingest_open refuses without blocking and the walker leaves out with a warning.
 */
#include "ingest_fixture.h"

/* ---- the walker ---- */

typedef struct warns {
    unsigned n;
    char last[512];
} warns_t;

static void on_warn(void *ctx, const char *msg)
{
    warns_t *w = ctx;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

static void mk(const char *rel)
{
    char path[512];
    tmp_path(path, sizeof path, rel);
    if (rel[strlen(rel) - 1] == '/')
        CHECK_INT(mkdir(path, 0755), 0);
    else
        write_file(rel, "T\n\nB\n", 5);
}

static int ids_are(const ingest_filelist_t *l, const char *const *want, size_t n)
{
    int ok = l->n == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(l->files[i].id, want[i]) == 0;
    if (!ok) {
        fprintf(stderr, "walk gave %zu files:\n", l->n);
        for (size_t i = 0; i < l->n; i++)
            fprintf(stderr, "  %s (%s)\n", l->files[i].id, l->files[i].path);
    }
    return ok;
}

static void test_walk(void)
{
    static const char *const tree[] = {
        "w/", "w/a/", "w/a/b/", "w/.git/", "w/README.md", "w/readme.txt", "w/LICENSE",
        "w/License.txt", "w/lewis.dtd", "w/.hidden.txt", "w/.git/f.txt", "w/a/2.txt",
        "w/a/10.txt", "w/a/b/1.txt", "w/c.jsonl", "w/z.txt", "w/Z.txt",
    };
    for (size_t i = 0; i < sizeof tree / sizeof tree[0]; i++)
        mk(tree[i]);
    char w[512], a2[512], missing[512], link_in[512], link_top[512], wa[512];
    tmp_path(w, sizeof w, "w/");
    tmp_path(a2, sizeof a2, "w/a/2.txt");
    tmp_path(missing, sizeof missing, "missing");
    tmp_path(link_in, sizeof link_in, "w/link.txt");
    tmp_path(link_top, sizeof link_top, "linked");
    tmp_path(wa, sizeof wa, "w/a");
    CHECK_INT(symlink(a2, link_in), 0);   /* inside a folder: not followed */
    CHECK_INT(symlink(wa, link_top), 0);  /* named: followed */

    ingest_filelist_t l = { 0 };
    warns_t wr = { 0 };
    unsigned errors = 0;
    const char *paths[] = { w, a2, missing };
    CHECK_INT(ingest_walk(paths, 3, NULL, NULL, &l, on_warn, &wr, &errors), 0);
    static const char *const all[] = { "w/Z.txt", "w/a/10.txt", "w/a/2.txt", "w/a/b/1.txt",
                                       "w/c.jsonl", "w/z.txt" };
    CHECK(ids_are(&l, all, 6));
    CHECK_INT(errors, 1);
    CHECK_INT(wr.n, 1);
    char want[600];
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    CHECK_STR(wr.last, want);
    if (l.n == 6) {
        CHECK_INT(l.files[0].size, 5);
        CHECK(l.files[0].mtime > 0);
        char p[600];
        snprintf(p, sizeof p, "%sa/10.txt", w);
        CHECK_STR(l.files[1].path, p);
    }
    ingest_filelist_free(&l);
    CHECK(l.files == NULL && l.n == 0);

    /* a file named directly: its base name; named first, the folder copy is dropped */
    errors = 0;
    const char *paths2[] = { a2, w };
    CHECK_INT(ingest_walk(paths2, 2, NULL, NULL, &l, NULL, NULL, &errors), 0);
    static const char *const direct[] = { "2.txt", "w/Z.txt", "w/a/10.txt", "w/a/b/1.txt",
                                          "w/c.jsonl", "w/z.txt" };
    CHECK(ids_are(&l, direct, 6));
    CHECK_INT(errors, 0);
    /* a second call on the same list also dedupes against what is there */
    const char *paths3[] = { link_top };
    CHECK_INT(ingest_walk(paths3, 1, NULL, NULL, &l, NULL, NULL, &errors), 0);
    CHECK_INT(l.n, 6);
    ingest_filelist_free(&l);

    /* a symlinked folder named on the command line is followed; ids use its name */
    CHECK_INT(ingest_walk(paths3, 1, NULL, NULL, &l, NULL, NULL, &errors), 0);
    static const char *const linked[] = { "linked/10.txt", "linked/2.txt", "linked/b/1.txt" };
    CHECK(ids_are(&l, linked, 3));
    ingest_filelist_free(&l);

    /* globs on the base name */
    const char *inc[] = { "*.txt", NULL }, *exc[] = { "1*", NULL };
    const char *paths4[] = { w };
    CHECK_INT(ingest_walk(paths4, 1, inc, exc, &l, NULL, NULL, &errors), 0);
    static const char *const globbed[] = { "w/Z.txt", "w/a/2.txt", "w/z.txt" };
    CHECK(ids_are(&l, globbed, 3));
    ingest_filelist_free(&l);

    /* "." takes the name of the folder it is */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK_INT(chdir(wa), 0);
    const char *dot[] = { "." };
    CHECK_INT(ingest_walk(dot, 1, NULL, NULL, &l, NULL, NULL, &errors), 0);
    static const char *const dotted[] = { "a/10.txt", "a/2.txt", "a/b/1.txt" };
    CHECK(ids_are(&l, dotted, 3));
    if (l.n)
        CHECK_STR(l.files[0].path, "./10.txt");
    ingest_filelist_free(&l);
    CHECK_INT(chdir(cwd), 0);
}

/* FIFOs, sockets and devices are never opened for reading (a FIFO would block for ever)
 * and never listed by the walker. */
static void test_not_regular(void)
{
    char fifo[512], dir[512], inner[512], err[512], want[1100];
    tmp_path(dir, sizeof dir, "special");
    CHECK_INT(mkdir(dir, 0755), 0);
    mk("special/a.txt");
    tmp_path(inner, sizeof inner, "special/pipe.txt");
    tmp_path(fifo, sizeof fifo, "named-pipe");
    CHECK_INT(mkfifo(inner, 0600), 0);
    CHECK_INT(mkfifo(fifo, 0600), 0);

    ingest_source_t src = { .path = fifo };
    CHECK(ingest_open(&src, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "%s: a FIFO, not a regular file; skipped", fifo);
    CHECK_STR(err, want);
    src.path = "/dev/null";
    CHECK(ingest_open(&src, err, sizeof err) == NULL);
    CHECK_STR(err, "/dev/null: a character device, not a regular file; skipped");
    src.path = dir;
    CHECK(ingest_open(&src, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "%s: Is a directory", dir);
    CHECK_STR(err, want);

    ingest_filelist_t l = { 0 };
    warns_t wr = { 0 };
    unsigned errors = 0;
    const char *paths[] = { dir, fifo, "/dev/null" };
    CHECK_INT(ingest_walk(paths, 3, NULL, NULL, &l, on_warn, &wr, &errors), 0);
    static const char *const only[] = { "special/a.txt" };
    CHECK(ids_are(&l, only, 1));
    CHECK_INT(errors, 3);
    CHECK_INT(wr.n, 3);
    CHECK_STR(wr.last, "/dev/null: a character device, not a regular file; skipped");
    ingest_filelist_free(&l);
    /* in a folder, a FIFO the globs leave out is not mentioned */
    const char *exc[] = { "pipe*", NULL };
    wr.n = 0;
    errors = 0;
    CHECK_INT(ingest_walk(paths, 1, NULL, exc, &l, on_warn, &wr, &errors), 0);
    CHECK_INT(l.n, 1);
    CHECK_INT(wr.n, 0);
    ingest_filelist_free(&l);
}

int main(void)
{
    if (fixture_setup() != 0)
        return 1;
    test_walk();
    test_not_regular();
    fixture_cleanup();
    return check_report();
}
