/*
 * test_ingest.c: the corpus readers, through the public ingest.h API only: format names
 * and detection, then each format on small fixtures under tests/data/ingest/ covering
 * every quirk listed in the corpus README and every error path, and how messages quote
 * a file's bytes.  The walker, the hostile inputs and the real corpus have their own
 * suites (test_ingest_walk.c, test_ingest_limits.c, test_ingest_corpus.c).  Runs from
 * the repository root.
 */
#include "ingest_fixture.h"

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

/* Long: a list of quirks of plain-text files, each a few lines of fixture and checks. */
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

/* Long: one scenario per way a file can break, each a few lines of setup and checks. */
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

int main(void)
{
    if (fixture_setup() != 0)
        return 1;
    test_format_names();
    test_detection();
    test_text();
    test_reuters();
    test_errors();
    test_jsonl();
    test_trec();
    test_quoting();
    test_url_cap();
    fixture_cleanup();
    return check_report();
}
