/*
 * test_ingest_limits.c: the readers against hostile input: markup that could make the
 * clean-up quadratic, records of NUL bytes, gzip bombs, and the per-file byte cap.
 */
#include "ingest_fixture.h"

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

int main(void)
{
    if (fixture_setup() != 0)
        return 1;
    test_unclosed_tags();
    test_file_caps();
    fixture_cleanup();
    return check_report();
}
