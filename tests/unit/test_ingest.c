/*
 * test_ingest.c: the corpus readers and the walker, through the public ingest.h API only.
 * Small fixtures under tests/data/ingest/ cover every quirk listed in the corpus README
 * and every error path; files that must be binary (gzip, truncated gzip) or that need a
 * known mtime, symlinks or hidden files are written at run time into a temporary folder.
 * The last part reads the real shipped corpus (corpus/) and checks its exact counts.
 * Runs from the repository root.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "ingest.h"
#include "newsd_limits.h"

#define DATA "tests/data/ingest/"
#define MAX_DOCS 64

typedef struct got_doc {
    char *id, *title, *body, *date, *source, *url, *topics, *places;
} got_doc_t;

typedef struct got {
    int opened;
    char open_err[512];
    ingest_format_t format;
    got_doc_t docs[MAX_DOCS];
    size_t ndocs;
    size_t total;        /* documents, also past MAX_DOCS */
    size_t stale_errors; /* documents for which ingest_error was not "" */
    char *skips[MAX_DOCS];
    size_t nskips;
    int failed;
    char fail_msg[1024];
    uint64_t bytes;
} got_t;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *join(const char *const *v, size_t n)
{
    char buf[4096] = "";
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(buf, ",");
        strncat(buf, v[i], sizeof buf - strlen(buf) - 2);
    }
    return strdup(buf);
}

/* Reads a whole file with the public API, copying what each call returned. */
static void read_source(got_t *g, const ingest_source_t *src)
{
    memset(g, 0, sizeof *g);
    ingest_reader_t *r = ingest_open(src, g->open_err, sizeof g->open_err);
    if (!r)
        return;
    g->opened = 1;
    g->format = ingest_reader_format(r);
    for (;;) {
        newsidx_doc_t d;
        ingest_result_t res = ingest_next(r, &d);
        if (res == INGEST_EOF)
            break;
        if (res == INGEST_FAIL) {
            g->failed = 1;
            snprintf(g->fail_msg, sizeof g->fail_msg, "%s", ingest_error(r));
            /* a failed reader stays failed */
            CHECK_INT(ingest_next(r, &d), INGEST_FAIL);
            break;
        }
        if (res == INGEST_SKIP) {
            if (g->nskips < MAX_DOCS)
                g->skips[g->nskips++] = strdup(ingest_error(r));
            continue;
        }
        if (ingest_error(r)[0] != '\0')
            g->stale_errors++;
        g->total++;
        if (g->ndocs == MAX_DOCS)
            continue;
        got_doc_t *o = &g->docs[g->ndocs++];
        o->id = dup_or_null(d.id);
        o->title = dup_or_null(d.title);
        o->body = dup_or_null(d.body);
        o->date = dup_or_null(d.date);
        o->source = dup_or_null(d.source);
        o->url = dup_or_null(d.url);
        o->topics = join(d.topics, d.ntopics);
        o->places = join(d.places, d.nplaces);
    }
    g->bytes = ingest_bytes_read(r);
    CHECK_INT(g->stale_errors, 0);
    ingest_close(r);
}

static void read_file(got_t *g, const char *path, const char *id, const char *source,
                      ingest_format_t format)
{
    ingest_source_t src = { .path = path, .id = id, .source = source, .format = format };
    read_source(g, &src);
}

static void got_free(got_t *g)
{
    for (size_t i = 0; i < g->ndocs; i++) {
        got_doc_t *o = &g->docs[i];
        free(o->id); free(o->title); free(o->body); free(o->date);
        free(o->source); free(o->url); free(o->topics); free(o->places);
    }
    for (size_t i = 0; i < g->nskips; i++)
        free(g->skips[i]);
    memset(g, 0, sizeof *g);
}

/* ---- temporary files ---- */

static char tmpdir[64];

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *name, const char *data, size_t len)
{
    char path[512];
    tmp_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fwrite(data, 1, len, f);
    fclose(f);
}

static void write_gz(const char *name, const char *data, size_t len)
{
    char path[512];
    tmp_path(path, sizeof path, name);
    gzFile gz = gzopen(path, "wb9");
    CHECK(gz != NULL);
    if (!gz)
        return;
    CHECK_INT(gzwrite(gz, data, (unsigned)len), len);
    gzclose(gz);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n + 4096 > cap) {
            cap = (cap + 4096) * 2;
            buf = realloc(buf, cap);
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

/* ---- format names and detection ---- */

static void test_format_names(void)
{
    ingest_format_t f = INGEST_TEXT;
    CHECK_INT(ingest_format_parse("reuters", &f), 0);
    CHECK_INT(f, INGEST_REUTERS);
    CHECK_INT(ingest_format_parse("JSONL", &f), 0);
    CHECK_INT(f, INGEST_JSONL);
    CHECK_INT(ingest_format_parse("trec", &f), 0);
    CHECK_INT(f, INGEST_TREC);
    CHECK_INT(ingest_format_parse("text", &f), 0);
    CHECK_INT(f, INGEST_TEXT);
    CHECK_INT(ingest_format_parse("auto", &f), 0);
    CHECK_INT(f, INGEST_AUTO);
    CHECK_INT(ingest_format_parse("xml", &f), -1);
    CHECK_STR(ingest_format_name(INGEST_JSONL), "jsonl");
    CHECK_STR(ingest_format_name(INGEST_REUTERS), "reuters");
}

static void test_detection(void)
{
    static const struct { const char *name, *data; ingest_format_t want; } cases[] = {
        { "noext_reuters", "\n<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n", INGEST_REUTERS },
        { "noext_reuters2", "  <REUTERS NEWID=\"1\">\n</REUTERS>\n", INGEST_REUTERS },
        { "noext_trec", "\n\n<DOC>\n<DOCNO>X1</DOCNO>\n</DOC>\n", INGEST_TREC },
        { "noext_jsonl", " {\"id\":\"j\",\"title\":\"t\"}\n", INGEST_JSONL },
        { "noext_text", "Just a title\n\nAnd a body.\n", INGEST_TEXT },
        { "data.sgm", "not really sgml\n", INGEST_REUTERS },
        { "data.ndjson", "x\n", INGEST_JSONL },
        { "data.json", "x\n", INGEST_JSONL },
        { "data.trec", "x\n", INGEST_TREC },
        { "data.TXT", "{\"looks\":\"like json\"}\n", INGEST_TEXT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(cases[i].name, cases[i].data, strlen(cases[i].data));
        char path[512];
        tmp_path(path, sizeof path, cases[i].name);
        got_t g;
        read_file(&g, path, NULL, NULL, INGEST_AUTO);
        CHECK(g.opened);
        if (g.format != cases[i].want)
            fprintf(stderr, "detection of %s\n", cases[i].name);
        CHECK_INT(g.format, cases[i].want);
        got_free(&g);
    }
    /* content sniffing must not eat the first bytes: the jsonl document is complete */
    char path[512];
    tmp_path(path, sizeof path, "noext_jsonl");
    got_t g;
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs)
        CHECK_STR(g.docs[0].id, "j");
    got_free(&g);
    /* .gz after the real extension */
    write_gz("det.jsonl.gz", "{\"id\":\"g\",\"title\":\"T\"}\n", 24);
    tmp_path(path, sizeof path, "det.jsonl.gz");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.format, INGEST_JSONL);
    CHECK_INT(g.ndocs, 1);
    got_free(&g);
    /* a forced format wins over the extension */
    read_file(&g, DATA "sample.trec", NULL, NULL, INGEST_TEXT);
    CHECK_INT(g.format, INGEST_TEXT);
    CHECK_INT(g.ndocs, 1);
    got_free(&g);
}

/* ---- plain text ---- */

static void test_text(void)
{
    got_t g;
    read_file(&g, DATA "text/blanks.txt", "bbc/business/001.txt", NULL, INGEST_AUTO);
    CHECK_INT(g.format, INGEST_TEXT);
    CHECK_INT(g.ndocs, 1);
    CHECK_INT(g.nskips, 0);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].id, "bbc/business/001.txt");
        CHECK_STR(g.docs[0].title, "Title here");
        CHECK_STR(g.docs[0].body, "Para one line1\nline2\n\nPara two\n\nPara three");
        CHECK_STR(g.docs[0].source, "bbc");
        CHECK_STR(g.docs[0].topics, "business");
    }
    got_free(&g);

    /* 4 components: the third from last is the source */
    read_file(&g, DATA "text/blanks.txt", "corpus/bbc/sport/7.txt", NULL, INGEST_AUTO);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].source, "bbc");
        CHECK_STR(g.docs[0].topics, "sport");
    }
    got_free(&g);
    /* 2 components: source is the folder, no topic; 1 component: nothing */
    read_file(&g, DATA "text/blanks.txt", "Folder/x.txt", NULL, INGEST_AUTO);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].source, "folder");
        CHECK_STR(g.docs[0].topics, "");
    }
    got_free(&g);
    read_file(&g, DATA "text/blanks.txt", NULL, NULL, INGEST_AUTO);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].id, "blanks.txt");
        CHECK(g.docs[0].source == NULL);
        CHECK_STR(g.docs[0].topics, "");
    }
    got_free(&g);
    /* the caller's source wins; the topic still comes from the path */
    read_file(&g, DATA "text/blanks.txt", "x/news/world/1.txt", "Wire", INGEST_AUTO);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].source, "Wire");
        CHECK_STR(g.docs[0].topics, "world");
    }
    got_free(&g);

    read_file(&g, DATA "text/latin1.txt", NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].title, "Caf\xc3\xa9 prices");
        CHECK_STR(g.docs[0].body, "A \xc2\xa3" "15.8m deal.");
    }
    got_free(&g);

    read_file(&g, DATA "text/outlet-2020-02-29-leap.txt", "seed/outlet-2020-02-29-leap.txt",
              NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].date, "2020-02-29T00:00:00Z");
        CHECK_STR(g.docs[0].source, "outlet");
        CHECK_STR(g.docs[0].topics, "");
        CHECK_STR(g.docs[0].body, "Body.");
    }
    got_free(&g);

    read_file(&g, DATA "text/noblank.txt", NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].title, "Title only line");
        CHECK_STR(g.docs[0].body, "body line 1\nbody line 2");
    }
    got_free(&g);

    /* tab, 0x01, DEL, NUL, ESC and CR LF */
    read_file(&g, DATA "text/ctrl.txt", NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].title, "Tab here");
        CHECK_STR(g.docs[0].body, "Body withNUL and  esc\nCRLF line");
    }
    got_free(&g);

    /* an id (from a path) with a control character or invalid UTF-8 is skipped: no client
     * could name it (found by fuzzing, tests/fuzz/regress/text/) */
    static const char *const bad_ids[] = { "a\tb.txt", "bbc/x\x01.txt", "caf\xE9.txt",
                                           "del\x7F.txt" };
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        read_file(&g, DATA "text/noblank.txt", bad_ids[i], NULL, INGEST_TEXT);
        CHECK_INT(g.ndocs, 0);
        CHECK_INT(g.nskips, 1);
        if (g.nskips)
            CHECK_STR(g.skips[0], DATA "text/noblank.txt: id (from the file's path) is not "
                                       "UTF-8 or holds control characters");
        got_free(&g);
    }
    read_file(&g, DATA "text/noblank.txt", "caf\xC3\xA9.txt", NULL, INGEST_TEXT);
    CHECK_INT(g.ndocs, 1);
    got_free(&g);

    read_file(&g, DATA "text/empty.txt", NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 0);
    CHECK_INT(g.nskips, 1);
    CHECK(!g.failed);
    if (g.nskips)
        CHECK_STR(g.skips[0], DATA "text/empty.txt: empty file");
    got_free(&g);

    char path[512];
    /* a byte-order mark is not part of the title, in text or JSON Lines */
    write_file("bom.txt", "\xEF\xBB\xBFTitle\n\nBody\n", 15);
    tmp_path(path, sizeof path, "bom.txt");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    if (g.ndocs)
        CHECK_STR(g.docs[0].title, "Title");
    got_free(&g);
    write_file("bom.jsonl", "\xEF\xBB\xBF{\"id\":\"b\",\"title\":\"T\"}\n", 27);
    tmp_path(path, sizeof path, "bom.jsonl");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    CHECK_INT(g.nskips, 0);
    got_free(&g);

    /* whitespace only is empty too */
    write_file("spaces.txt", " \n\t\n\n", 5);
    tmp_path(path, sizeof path, "spaces.txt");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 0);
    CHECK_INT(g.nskips, 1);
    got_free(&g);

    /* no date in the name: the file's mtime, as UTC */
    write_file("undated.txt", "T\n\nB\n", 5);
    tmp_path(path, sizeof path, "undated.txt");
    struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
    CHECK_INT(utimes(path, tv), 0);
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    if (g.ndocs)
        CHECK_STR(g.docs[0].date, "2001-09-09T01:46:40Z");
    CHECK_INT(g.bytes, 5);
    got_free(&g);

    /* an invalid date in the name is no date: mtime again */
    write_file("x-2021-02-30-y.txt", "T\n\nB\n", 5);
    tmp_path(path, sizeof path, "x-2021-02-30-y.txt");
    CHECK_INT(utimes(path, tv), 0);
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    if (g.ndocs) {
        CHECK_STR(g.docs[0].date, "2001-09-09T01:46:40Z");
        CHECK(g.docs[0].source == NULL);
    }
    got_free(&g);

    /* a long title is cut at a UTF-8 boundary: byte 1024 is inside an "é" */
    char big[2 * NEWSD_MAX_TITLE_LEN];
    size_t bl = 0;
    big[bl++] = 'x';
    while (bl < NEWSD_MAX_TITLE_LEN + 100) {
        memcpy(big + bl, "\xc3\xa9", 2);
        bl += 2;
    }
    memcpy(big + bl, "\n\nb\n", 4);
    write_file("longtitle.txt", big, bl + 4);
    tmp_path(path, sizeof path, "longtitle.txt");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs) {
        CHECK_INT(strlen(g.docs[0].title), NEWSD_MAX_TITLE_LEN - 1);
        CHECK_STR(g.docs[0].body, "b");
    }
    got_free(&g);
}

/* ---- Reuters ---- */

static void check_reuters_sample(got_t *g, const char *path)
{
    CHECK_INT(g->format, INGEST_REUTERS);
    CHECK(!g->failed);
    CHECK_INT(g->ndocs, 6);
    CHECK_INT(g->nskips, 1);
    if (g->nskips) {
        char want[512];
        snprintf(want, sizeof want, "%s:66: <REUTERS> without a numeric NEWID", path);
        CHECK_STR(g->skips[0], want);
    }
    if (g->ndocs < 6)
        return;
    got_doc_t *d = g->docs;
    CHECK_STR(d[0].id, "reuters-1");
    CHECK_STR(d[0].title, "BANKAMERICA <BAC> SEES A & B");
    CHECK_STR(d[0].body, "SALVADOR, Feb 26 - Showers continued <BAC> in\n"
                         "the Bahia cocoa zone , A & B.\n    Second paragraph.\n Reuter");
    CHECK_STR(d[0].date, "1987-04-01T00:02:13Z");
    CHECK_STR(d[0].source, "reuters");
    CHECK_STR(d[0].topics, "cocoa,grain");
    CHECK_STR(d[0].places, "el-salvador,usa");
    CHECK(strstr(d[0].body, "SPF") == NULL);      /* MKNOTE is not text */
    CHECK(strstr(d[0].body, "reute\n") == NULL);  /* nor are the UNKNOWN blocks */
    CHECK(strstr(d[0].body, "Jane Doe") == NULL); /* nor the AUTHOR */

    CHECK_STR(d[1].id, "reuters-2");  /* BRIEF, garbage after the date */
    CHECK_STR(d[1].title, "ASSETS OF MONEY MARKET MUTUAL FUNDS ROSE 720.4 MLN DLRS IN LATEST WEEK");
    CHECK_STR(d[1].body, "Blah blah blah.");
    CHECK_STR(d[1].date, "1987-03-27T00:03:35Z");
    CHECK_STR(d[1].topics, "");
    CHECK_STR(d[1].places, "usa");

    CHECK_STR(d[2].id, "reuters-3");  /* UNPROC, impossible hour */
    CHECK_STR(d[2].title, "FEDERAL RESERVE WEEKLY REPORT ON THE RESERVES OF THE BANKING SYSTEM "
                          "AND THE MONEY SUPPLY FIGURES FOR");
    CHECK(strlen(d[2].title) <= NEWSD_DERIVED_TITLE_LEN);
    CHECK(strncmp(d[2].body, "FEDERAL RESERVE WEEKLY REPORT ON", 32) == 0);
    CHECK(strstr(d[2].body, "Net free reserves.............644 vs.....1,337") != NULL);
    CHECK_STR(d[2].date, "1987-03-31T00:00:00Z");

    CHECK_STR(d[3].id, "reuters-5");  /* raw 0xFC, date with a comment */
    CHECK_STR(d[3].body, "LONDON, June 2 - world economic growth.\xc3\xbc  side measures.\n Reuter");
    CHECK_STR(d[3].date, "1987-04-09T00:00:00Z");

    CHECK_STR(d[4].id, "reuters-6");  /* double spaces in the date, no sign-off */
    CHECK_STR(d[4].date, "1987-04-03T07:09:42Z");
    CHECK_STR(d[4].body, "TOKYO, April 3 - Body without the usual sign-off.");

    CHECK_STR(d[5].id, "reuters-7");  /* unparsable date: kept, no date */
    CHECK(d[5].date == NULL);
    CHECK_STR(d[5].title, "BAD DATE");
}

static void test_reuters(void)
{
    got_t g;
    read_file(&g, DATA "sample.sgm", NULL, NULL, INGEST_AUTO);
    check_reuters_sample(&g, DATA "sample.sgm");
    size_t plain_len = 0;
    char *plain = slurp(DATA "sample.sgm", &plain_len);
    CHECK(plain != NULL);
    CHECK_INT(g.bytes, plain_len);
    got_free(&g);

    /* the same through gzip: identical records, uncompressed bytes counted */
    write_gz("sample.sgm.gz", plain, plain_len);
    char path[512];
    tmp_path(path, sizeof path, "sample.sgm.gz");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    check_reuters_sample(&g, path);
    CHECK_INT(g.bytes, plain_len);
    got_free(&g);

    /* no extension: recognised by "<!DOCTYPE lewis" */
    write_file("reuters-noext", plain, plain_len);
    tmp_path(path, sizeof path, "reuters-noext");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    check_reuters_sample(&g, path);
    got_free(&g);
    free(plain);

    /* a record never closed */
    static const char open_only[] =
        "<REUTERS NEWID=\"8\">\n<TEXT><TITLE>A</TITLE><BODY>b</BODY></TEXT>\n"
        "<REUTERS NEWID=\"9\">\n<TEXT><TITLE>C</TITLE><BODY>d</BODY></TEXT>\n</REUTERS>\n"
        "<REUTERS NEWID=\"10\">\n<TEXT>\n";
    write_file("unclosed.sgm", open_only, sizeof open_only - 1);
    tmp_path(path, sizeof path, "unclosed.sgm");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    CHECK_INT(g.nskips, 2);
    CHECK(!g.failed);
    if (g.ndocs)
        CHECK_STR(g.docs[0].id, "reuters-9");
    if (g.nskips == 2) {
        CHECK(strstr(g.skips[0], "unclosed.sgm:1: <REUTERS> not closed before the next one"));
        CHECK(strstr(g.skips[1], "unclosed.sgm:6: <REUTERS> not closed before end of file"));
    }
    got_free(&g);
}

/* ---- errors common to all formats ---- */

static void test_errors(void)
{
    got_t g;
    read_file(&g, "tests/data/ingest/no-such-file.txt", NULL, NULL, INGEST_AUTO);
    CHECK(!g.opened);
    CHECK_STR(g.open_err, "tests/data/ingest/no-such-file.txt: No such file or directory");
    read_file(&g, DATA "text", NULL, NULL, INGEST_AUTO);
    CHECK(!g.opened);
    CHECK_STR(g.open_err, DATA "text: Is a directory");

    /* a truncated gzip stream: the records before the cut, then FAIL */
    size_t cap = 4u << 20, len = 0;
    char *buf = malloc(cap);
    unsigned seed = 12345;
    for (int id = 1; len + 400 < cap && id <= 3000; id++) {
        len += (size_t)snprintf(buf + len, cap - len,
                                "<REUTERS NEWID=\"%d\">\n<TEXT><TITLE>T%d</TITLE><BODY>", id, id);
        for (int w = 0; w < 40; w++) {
            seed = seed * 1103515245u + 12345u;
            len += (size_t)snprintf(buf + len, cap - len, "%u ", seed >> 8);
        }
        len += (size_t)snprintf(buf + len, cap - len, "</BODY></TEXT>\n</REUTERS>\n");
    }
    write_gz("trunc.sgm.gz", buf, len);
    char path[512];
    tmp_path(path, sizeof path, "trunc.sgm.gz");
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(truncate(path, st.st_size / 2), 0);
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK(g.failed);
    CHECK(g.ndocs > 0);
    char want[600];
    snprintf(want, sizeof want, "%s: truncated gzip data", path);
    CHECK_STR(g.fail_msg, want);
    CHECK(g.bytes > 0 && g.bytes < len);
    got_free(&g);

    /* a text .gz cut short fails too, and yields no document */
    write_gz("trunc.txt.gz", buf, len);
    tmp_path(path, sizeof path, "trunc.txt.gz");
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(truncate(path, st.st_size - 10), 0);
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK(g.failed);
    CHECK_INT(g.ndocs, 0);
    got_free(&g);
    free(buf);

    /* a gzip stream corrupt in the bytes looked at to pick the format: the open fails and
     * says why (it said "cannot rewind"; found by fuzzing, tests/fuzz/regress/gz/) */
    static const char corrupt_gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
                                     "\xff\xff\xff\xff";   /* deflate block type 3 */
    write_file("corrupt.gz", corrupt_gz, sizeof corrupt_gz - 1);
    tmp_path(path, sizeof path, "corrupt.gz");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK(!g.opened);
    snprintf(want, sizeof want, "%s: corrupt gzip data: invalid block type", path);
    CHECK_STR(g.open_err, want);
    got_free(&g);
    /* with the format given, nothing is looked at: the first read fails instead */
    read_file(&g, path, NULL, NULL, INGEST_JSONL);
    CHECK(g.opened && g.failed);
    CHECK_INT(g.ndocs, 0);
    got_free(&g);

    /* over-long records: one JSON line, one SGML record, one text file */
    size_t big = NEWSD_MAX_RECORD_BYTES + 100;
    char *line = malloc(big + 64);
    memset(line, 'a', big + 64);
    memcpy(line, "{\"id\":\"x\",\"body\":\"", 18);
    memcpy(line + big - 3, "\"}\n", 3);
    static const char ok_line[] = "{\"id\":\"first\",\"title\":\"ok\"}\n";
    tmp_path(path, sizeof path, "long.jsonl");
    FILE *f = fopen(path, "wb");
    fwrite(ok_line, 1, sizeof ok_line - 1, f);
    fwrite(line, 1, big, f);
    fclose(f);
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    CHECK(g.failed);
    snprintf(want, sizeof want, "%s:2: record longer than %u bytes", path,
             (unsigned)NEWSD_MAX_RECORD_BYTES);
    CHECK_STR(g.fail_msg, want);
    got_free(&g);

    for (size_t i = 80; i < big; i += 81)
        line[i] = '\n';
    memcpy(line, "<REUTERS NEWID=\"1\">\n", 20);
    tmp_path(path, sizeof path, "long.sgm");
    f = fopen(path, "wb");
    fwrite(line, 1, big, f);
    fclose(f);
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 0);
    CHECK(g.failed);
    snprintf(want, sizeof want, "%s:1: record longer than %u bytes", path,
             (unsigned)NEWSD_MAX_RECORD_BYTES);
    CHECK_STR(g.fail_msg, want);
    got_free(&g);

    tmp_path(path, sizeof path, "long.txt");
    f = fopen(path, "wb");
    fwrite(line, 1, big, f);
    fclose(f);
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 0);
    CHECK(g.failed);
    CHECK(strstr(g.fail_msg, "record longer than") != NULL);
    got_free(&g);
    free(line);
}

/* ---- JSON Lines ---- */

static void test_jsonl(void)
{
    got_t g;
    read_file(&g, DATA "sample.jsonl", NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.format, INGEST_JSONL);
    CHECK(!g.failed);
    CHECK_INT(g.ndocs, 5);
    static const char *const skips[] = {
        DATA "sample.jsonl:5: invalid JSON: ",
        DATA "sample.jsonl:6: not a JSON object",
        DATA "sample.jsonl:7: no \"id\"",
        DATA "sample.jsonl:8: empty \"id\"",
        DATA "sample.jsonl:9: \"id\" longer than 200 bytes",
        DATA "sample.jsonl:10: \"title\" is not a string",
        DATA "sample.jsonl:11: unparsable \"date\" \"yesterday\"",
        DATA "sample.jsonl:12: neither \"title\" nor \"body\"",
        DATA "sample.jsonl:13: \"topics\" is not a string or strings",
        DATA "sample.jsonl:14: \"id\" is not a string or an integer",
    };
    CHECK_INT(g.nskips, sizeof skips / sizeof skips[0]);
    for (size_t i = 0; i < g.nskips && i < sizeof skips / sizeof skips[0]; i++) {
        if (i == 0) {
            CHECK(strncmp(g.skips[0], skips[0], strlen(skips[0])) == 0);
            CHECK(strlen(g.skips[0]) > strlen(skips[0]) + 5);  /* jansson's own words */
        } else {
            CHECK_STR(g.skips[i], skips[i]);
        }
    }
    if (g.ndocs == 5) {
        got_doc_t *d = g.docs;
        CHECK_STR(d[0].id, "a1");
        CHECK_STR(d[0].title, "Hello world");
        CHECK_STR(d[0].body, "Para 1\n\nPara 2");
        CHECK_STR(d[0].date, "2021-03-24T08:00:00Z");
        CHECK_STR(d[0].source, "Duvar");
        CHECK_STR(d[0].url, "https://example.org/a1");
        CHECK_STR(d[0].topics, "politics,nato");
        CHECK_STR(d[0].places, "turkey");
        CHECK_STR(d[1].id, "42");
        CHECK_STR(d[1].body, "uses text");
        CHECK_STR(d[1].date, "2021-03-24T10:00:00Z");
        CHECK(d[1].source == NULL);
        CHECK(d[1].url == NULL);
        CHECK_STR(d[2].id, "z");
        CHECK_STR(d[2].date, "2021-03-24T00:00:00Z");
        CHECK_STR(d[2].topics, "one");
        CHECK_STR(d[3].title, "Caf\xc3\xa9 au lait");  /* a Latin-1 line */
        CHECK_STR(d[4].body, "nulbyte");
        CHECK_STR(d[4].date, "2021-03-25T01:00:00Z");
    }
    got_free(&g);

    /* more topics than NEWSD_MAX_TOPICS, a topic longer than NEWSD_MAX_TAG_LEN */
    char line[8192];
    size_t len = (size_t)snprintf(line, sizeof line, "{\"id\":\"cap\",\"title\":\"t\",\"topics\":[");
    for (int i = 0; i < NEWSD_MAX_TOPICS + 10; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, "\"t%d\",", i);
    len += (size_t)snprintf(line + len, sizeof line - len, "\"\"],\"places\":\"");
    for (int i = 0; i < NEWSD_MAX_TAG_LEN + 20; i++)
        line[len++] = 'p';
    len += (size_t)snprintf(line + len, sizeof line - len, "\"}\n");
    write_file("caps.jsonl", line, len);
    char path[512];
    tmp_path(path, sizeof path, "caps.jsonl");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs) {
        CHECK_INT(strlen(g.docs[0].places), NEWSD_MAX_TAG_LEN);
        size_t commas = 0;
        for (const char *c = g.docs[0].topics; *c; c++)
            commas += *c == ',';
        CHECK_INT(commas + 1, NEWSD_MAX_TOPICS);
        CHECK(strncmp(g.docs[0].topics, "t0,t1,", 6) == 0);
    }
    got_free(&g);

    /* the caller's default source fills in, the record's own wins */
    read_file(&g, DATA "sample.jsonl", NULL, "feed", INGEST_AUTO);
    if (g.ndocs == 5) {
        CHECK_STR(g.docs[0].source, "Duvar");
        CHECK_STR(g.docs[1].source, "feed");
    }
    got_free(&g);
}

/* ---- TREC ---- */

static void test_trec(void)
{
    got_t g;
    read_file(&g, DATA "sample.trec", NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.format, INGEST_TREC);
    CHECK(!g.failed);
    CHECK_INT(g.ndocs, 3);
    CHECK_INT(g.nskips, 1);
    if (g.nskips)
        CHECK_STR(g.skips[0], DATA "sample.trec:25: <DOC> without a <DOCNO>");
    if (g.ndocs == 3) {
        got_doc_t *d = g.docs;
        CHECK_STR(d[0].id, "AP880212-0001");
        CHECK_STR(d[0].title, "Reports Detail & Stuff");
        CHECK_STR(d[0].body, "First block with a tag and <entity>.\n\nSecond block.");
        CHECK_STR(d[0].date, "1988-02-12T00:00:00Z");
        CHECK_STR(d[0].source, "ap");
        CHECK_STR(d[1].id, "LA010189-0001");
        CHECK_STR(d[1].title, "A multi line headline");
        CHECK_STR(d[1].body, "Body.");
        CHECK_STR(d[1].date, "1989-01-01T00:00:00Z");
        CHECK_STR(d[1].source, "la");
        CHECK_STR(d[2].id, "FT911-1");
        CHECK_STR(d[2].date, "1991-05-14T00:00:00Z");
        CHECK_STR(d[2].title, "Untitled first line here");
    }
    got_free(&g);
    read_file(&g, DATA "sample.trec", NULL, "trec", INGEST_AUTO);
    if (g.ndocs)
        CHECK_STR(g.docs[0].source, "trec");
    got_free(&g);
}

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

/* ---- hostile input ---- */

/* Writes head, then reps copies of unit, then tail, as a plain file. */
static void write_repeated(const char *name, const char *head, const char *unit,
                           size_t unit_len, size_t reps, const char *tail)
{
    char path[512];
    tmp_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(head, f);
    for (size_t i = 0; i < reps; i++)
        fwrite(unit, 1, unit_len, f);
    fputs(tail, f);
    fclose(f);
}

/* "<a<a<a..." with no '>' after it: every '<' looked for a '>' to the end of the text, so
 * this 6 MiB body took hours; it is one pass now.  The suite finishing is the check. */
static void test_unclosed_tags(void)
{
    size_t reps = 3u * 1024u * 1024u;
    write_repeated("tags.trec", "<DOC>\n<DOCNO>T-1</DOCNO>\n<HEADLINE>h</HEADLINE>\n<TEXT>\n",
                   "<a", 2, reps, "\n</TEXT>\n</DOC>\n");
    char path[512];
    tmp_path(path, sizeof path, "tags.trec");
    got_t g;
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK(!g.failed);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs) {
        CHECK_INT(strlen(g.docs[0].body), reps * 2);  /* not tags: kept as text */
        CHECK(strncmp(g.docs[0].body, "<a<a<a", 6) == 0);
    }
    got_free(&g);
    /* a '<' after the last '>' does not undo the tags before it */
    write_file("tags2.trec", "<DOC><DOCNO>T-2</DOCNO><TEXT>x <b>bold</b> y <c z</TEXT></DOC>\n",
               63);
    tmp_path(path, sizeof path, "tags2.trec");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs)
        CHECK_STR(g.docs[0].body, "x bold y <c z");
    got_free(&g);
}

/* NUL bytes count against NEWSD_MAX_RECORD_BYTES; a file is read to NEWSD_MAX_FILE_BYTES
 * (or the caller's cap) and a gzip file to NEWSD_MAX_GZ_RATIO times its size. */
static void test_file_caps(void)
{
    char path[512], want[1024];
    got_t g;
    size_t mib = 1024u * 1024u;
    char *zeros = calloc(16 * mib, 1);
    CHECK(zeros != NULL);
    if (!zeros)
        return;

    /* one JSON line of 9 MiB of NULs: dropped, it used to read as a blank line */
    write_repeated("nul.jsonl", "{\"id\":\"ok\",\"title\":\"t\"}\n", zeros, mib, 9, "\n");
    tmp_path(path, sizeof path, "nul.jsonl");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    CHECK(g.failed);
    snprintf(want, sizeof want, "%s:2: record longer than %u bytes", path,
             (unsigned)NEWSD_MAX_RECORD_BYTES);
    CHECK_STR(g.fail_msg, want);
    got_free(&g);

    /* a TREC record of short lines that are all NULs */
    char line[64 * 1024];
    memset(line, 0, sizeof line);
    line[sizeof line - 1] = '\n';
    write_repeated("nul.trec", "<DOC>\n<DOCNO>N-1</DOCNO>\n<TEXT>\n", line, sizeof line,
                   NEWSD_MAX_RECORD_BYTES / sizeof line + 1, "</TEXT>\n</DOC>\n");
    tmp_path(path, sizeof path, "nul.trec");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 0);
    CHECK(g.failed);
    snprintf(want, sizeof want, "%s:1: record longer than %u bytes", path,
             (unsigned)NEWSD_MAX_RECORD_BYTES);
    CHECK_STR(g.fail_msg, want);
    got_free(&g);

    /* a gzip of zeros, and one of newlines (no record at all): stopped past the ratio */
    snprintf(want, sizeof want, "gzip data expands more than %u times; rest of file skipped",
             (unsigned)NEWSD_MAX_GZ_RATIO);
    write_gz("zeros.txt.gz", zeros, 16 * mib);
    tmp_path(path, sizeof path, "zeros.txt.gz");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK(g.failed);
    CHECK(strstr(g.fail_msg, want) != NULL);
    CHECK(g.bytes < 2 * NEWSD_GZ_RATIO_FLOOR_BYTES);
    got_free(&g);
    memset(zeros, '\n', 16 * mib);
    memcpy(zeros, "{\"id\":\"ok\",\"title\":\"t\"}\n", 24);
    write_gz("newlines.jsonl.gz", zeros, 16 * mib);
    tmp_path(path, sizeof path, "newlines.jsonl.gz");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    CHECK(g.failed);
    CHECK(strstr(g.fail_msg, want) != NULL);
    got_free(&g);
    /* the same bytes uncompressed are no gzip: read to the end */
    write_file("newlines.jsonl", zeros, 2 * NEWSD_GZ_RATIO_FLOOR_BYTES);
    tmp_path(path, sizeof path, "newlines.jsonl");
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    CHECK(!g.failed);
    CHECK_INT(g.bytes, 2 * NEWSD_GZ_RATIO_FLOOR_BYTES);
    got_free(&g);
    free(zeros);

    /* the per-file cap (NEWSD_MAX_FILE_BYTES unless the caller gives one) */
    static const char rec[] = "{\"id\":\"r\",\"title\":\"t\"}\n";   /* 23 bytes */
    write_repeated("many.jsonl", "", rec, sizeof rec - 1, 100, "");
    tmp_path(path, sizeof path, "many.jsonl");
    ingest_source_t src = { .path = path, .max_bytes = 1000 };
    read_source(&g, &src);
    CHECK(g.failed);
    CHECK_INT(g.total, 1000 / (sizeof rec - 1));
    snprintf(want, sizeof want, "%s: more than 1000 bytes once decompressed; rest of file skipped",
             path);
    CHECK_STR(g.fail_msg, want);
    got_free(&g);
    src.max_bytes = 0;
    read_source(&g, &src);
    CHECK(!g.failed);
    CHECK_INT(g.total, 100);
    got_free(&g);
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

/* Messages that quote a file's bytes escape them: no control character, quote or
 * non-ASCII byte reaches a log line as it was. */
static void test_quoting(void)
{
    static const char lines[] =
        "{\"id\":\"d\",\"title\":\"t\",\"date\":\"\\u001b[2J\\n\\\"x\\\\\\u00e9\"}\n"
        "{\"id\":\"j\",\"title\":\"a\x01\x1b[31m\"}\n"
        "\x1b]0;title\x07{\n";
    write_file("quote.jsonl", lines, sizeof lines - 1);
    char path[512], want[1024];
    tmp_path(path, sizeof path, "quote.jsonl");
    got_t g;
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 0);
    CHECK_INT(g.nskips, 3);
    if (g.nskips == 3) {
        snprintf(want, sizeof want, "%s:1: unparsable \"date\" \"\\x1b[2J\\x0a\\\"x\\\\\\xc3\\xa9\"",
                 path);
        CHECK_STR(g.skips[0], want);
        snprintf(want, sizeof want, "%s:2: invalid JSON: ", path);
        CHECK(strncmp(g.skips[1], want, strlen(want)) == 0);
    }
    for (size_t i = 0; i < g.nskips; i++)
        for (const char *c = g.skips[i]; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7F) {
                CHECK(!"an unescaped byte in a message");
                fprintf(stderr, "  in: %s\n", g.skips[i]);
                break;
            }
    got_free(&g);
}

/* url is capped like the title: cut at a UTF-8 boundary, in the reader and in ADD's parse. */
static void test_url_cap(void)
{
    char line[3 * NEWSD_MAX_URL_LEN + 128];
    size_t len = (size_t)snprintf(line, sizeof line, "{\"id\":\"u\",\"title\":\"t\",\"url\":\"x");
    for (int i = 0; i < NEWSD_MAX_URL_LEN; i++) {  /* "x" then 2-byte characters */
        memcpy(line + len, "\xc3\xa9", 2);
        len += 2;
    }
    len += (size_t)snprintf(line + len, sizeof line - len, "\"}\n");
    write_file("url.jsonl", line, len);
    char path[512];
    tmp_path(path, sizeof path, "url.jsonl");
    got_t g;
    read_file(&g, path, NULL, NULL, INGEST_AUTO);
    CHECK_INT(g.ndocs, 1);
    if (g.ndocs && g.docs[0].url) {
        CHECK_INT(strlen(g.docs[0].url), NEWSD_MAX_URL_LEN - 1);  /* not half a character */
        CHECK(strncmp(g.docs[0].url, "x\xc3\xa9", 3) == 0);
    }
    got_free(&g);

    ingest_article_t *a = ingest_article_new();
    CHECK(a != NULL);
    newsidx_doc_t d;
    char err[256];
    memset(line, 'u', sizeof line);
    len = (size_t)snprintf(line, sizeof line, "{\"id\":\"v\",\"title\":\"t\",\"url\":\"");
    line[len] = 'u';   /* snprintf's NUL */
    len = sizeof line - 2;
    memcpy(line + len, "\"}", 2);
    len += 2;
    CHECK_INT(ingest_jsonl_parse(a, line, len, NULL, &d, err, sizeof err), 0);
    CHECK(d.url != NULL && strlen(d.url) == NEWSD_MAX_URL_LEN);
    CHECK(d.title != NULL && strlen(d.title) == 1);
    ingest_article_free(a);
}

/* ---- the real corpus ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), l = strlen(suffix);
    return n >= l && strcmp(s + n - l, suffix) == 0;
}

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
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/newsd-ingest-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_format_names();
    test_detection();
    test_text();
    test_reuters();
    test_errors();
    test_jsonl();
    test_trec();
    test_walk();
    test_unclosed_tags();
    test_file_caps();
    test_not_regular();
    test_quoting();
    test_url_cap();
    test_corpus();
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_report();
}
