/*
 * ingest_fixture.h: what the reader tests share: reading a whole file through the public
 * ingest.h API and keeping copies of what each call returned (got_t), and a temporary
 * folder for files written at run time (gzip, truncated gzip, a known mtime, symlinks,
 * FIFOs).  Each test binary calls fixture_setup first and fixture_cleanup last.
 */
#ifndef NEWSD_INGEST_FIXTURE_H
#define NEWSD_INGEST_FIXTURE_H

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

static inline char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static inline char *join(const char *const *v, size_t n)
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
static inline void read_source(got_t *g, const ingest_source_t *src)
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

static inline void read_file(got_t *g, const char *path, const char *id,
                             const char *source, ingest_format_t format)
{
    ingest_source_t src = { .path = path, .id = id, .source = source, .format = format };
    read_source(g, &src);
}

static inline void got_free(got_t *g)
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

static inline void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static inline void write_file(const char *name, const char *data, size_t len)
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

static inline void write_gz(const char *name, const char *data, size_t len)
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

static inline char *slurp(const char *path, size_t *len)
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

static inline int rm_entry(const char *path, const struct stat *st, int flag,
                           struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

/* Makes the temporary folder; 0, or -1 with a message. */
static inline int fixture_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/newsd-ingest-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

static inline void fixture_cleanup(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
