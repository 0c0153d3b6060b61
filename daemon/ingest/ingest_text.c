/*
 * ingest_text.c: the plain-text reader (BBC News, the seed article): one file is one
 * document.  It owns the layout "title line, blank line, body" (paragraphs separated by
 * blank lines), and what is derived from where the file sits: the date from a YYYY-MM-DD
 * in the file name (else the file's mtime), the source from the outlet of a dated name or
 * from the folders in the id, the topic from the parent folder.  The whole file (at most
 * NEWSD_MAX_RECORD_BYTES) is decoded at once, as UTF-8 or else Latin-1.
 */
#include <ctype.h>
#include <string.h>

#include "readers.h"
#include "utf8.h"

static void set_lower(ingest_buf_t *b, const char *s, size_t n)
{
    ingest_buf_clear(b);
    ingest_clean(b, s, n, INGEST_CLEAN_SINGLE_LINE);
    for (size_t i = 0; i < b->len; i++)
        b->p[i] = (char)tolower((unsigned char)b->p[i]);
    ingest_cut(b, NEWSD_MAX_TAG_LEN, 0);
}

/* 1 when id is valid UTF-8 without C0 controls or DEL: what a request line may hold, and
 * what the JSON Lines reader accepts as an id. */
static int clean_id(const char *id, size_t n)
{
    if (!utf8_valid(id, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7F)
            return 0;
    return 1;
}

/* Source and topic from "…/<source>/<topic>/<file>" or "<source>/<file>". */
static void from_path(ingest_reader_t *r, int want_source)
{
    const char *comp[3] = { 0 };
    size_t len[3] = { 0 }, n = 0;
    for (const char *p = r->id; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (n == 3) {
            memmove(comp, comp + 1, 2 * sizeof comp[0]);
            memmove(len, len + 1, 2 * sizeof len[0]);
            n = 2;
        }
        comp[n] = p;
        len[n++] = l;
        p += l;
    }
    if (n == 3) {
        if (want_source)
            set_lower(&r->src_buf, comp[0], len[0]);
        ingest_tags_add(&r->topics, comp[1], len[1], 0);
    } else if (n == 2 && want_source) {
        set_lower(&r->src_buf, comp[0], len[0]);
    }
}

static void derive(ingest_reader_t *r)
{
    const char *slash = strrchr(r->path, '/');
    const char *name = slash ? slash + 1 : r->path;
    char iso[INGEST_ISO_LEN];
    const char *ymd = ingest_find_ymd(name, iso);
    if (ymd || ingest_iso_from_time(r->mtime, iso) == 0)
        ingest_buf_append(&r->date, iso, strlen(iso));
    if (r->source) {
        ingest_clean(&r->src_buf, r->source, strlen(r->source), INGEST_CLEAN_SINGLE_LINE);
        ingest_cut(&r->src_buf, NEWSD_MAX_TAG_LEN, 0);
        from_path(r, 0);
    } else if (ymd && ymd - name >= 2 && ymd[-1] == '-') {
        set_lower(&r->src_buf, name, (size_t)(ymd - 1 - name));
    } else {
        from_path(r, 1);
    }
}

/* Builds the body from the lines after the title: blank runs become one "\n\n". */
static int build_body(ingest_buf_t *body, const char *s, const char *end)
{
    int pending_break = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        const char *t = e;
        while (t > s && t[-1] == ' ')
            t--;
        if (t == s) {
            pending_break = body->len > 0;
        } else {
            const char *sep = pending_break ? "\n\n" : body->len ? "\n" : "";
            if (ingest_buf_append(body, sep, strlen(sep)) != 0 ||
                ingest_buf_append(body, s, (size_t)(t - s)) != 0)
                return -1;
            pending_break = 0;
        }
        s = nl ? nl + 1 : end;
    }
    return 0;
}

int ingest_text_next(ingest_reader_t *r, newsidx_doc_t *doc)
{
    if (r->text_done)
        return INGEST_EOF;
    r->text_done = 1;
    ingest_buf_clear(&r->rec);
    int rc;
    uint64_t raw = 0;   /* the file's bytes, NULs included */
    while ((rc = ingest_read_line(r)) == 1) {
        raw += r->line_raw;
        if (raw > NEWSD_MAX_RECORD_BYTES)
            return ingest_too_long(r, r->line_no);
        if (ingest_buf_append(&r->rec, r->line.p, r->line.len) != 0)
            return ingest_fail(r, INGEST_FAIL, 0, "out of memory");
    }
    if (rc == INGEST_FAIL)
        return INGEST_FAIL;
    size_t idlen = strlen(r->id);
    if (idlen == 0 || idlen > NEWSD_MAX_ID_LEN)
        return ingest_fail(r, INGEST_SKIP, 0, "id empty or longer than %d bytes",
                           NEWSD_MAX_ID_LEN);
    /* The id comes from the file's path, which may hold any bytes; a client could never
     * name such an id in GET or DELETE (the protocol takes UTF-8 without controls). */
    if (!clean_id(r->id, idlen))
        return ingest_fail(r, INGEST_SKIP, 0,
                           "id (from the file's path) is not UTF-8 or holds control characters");

    size_t n;
    const char *text = ingest_as_utf8(&r->scratch, ingest_buf_str(&r->rec), r->rec.len, &n);
    if (text && n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {  /* a byte-order mark */
        text += 3;
        n -= 3;
    }
    ingest_buf_clear(&r->scratch2);
    if (!text || ingest_clean(&r->scratch2, text, n, 0) != 0)
        return ingest_fail(r, INGEST_FAIL, 0, "out of memory");
    if (r->scratch2.len == 0)
        return ingest_fail(r, INGEST_SKIP, 0, "empty file");

    const char *s = r->scratch2.p, *end = s + r->scratch2.len;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *title_end = nl ? nl : end;
    if (ingest_clean(&r->title, s, (size_t)(title_end - s), INGEST_CLEAN_SINGLE_LINE) != 0 ||
        build_body(&r->body, nl ? nl + 1 : end, end) != 0)
        return ingest_fail(r, INGEST_FAIL, 0, "out of memory");
    ingest_cut(&r->title, NEWSD_MAX_TITLE_LEN, 0);
    derive(r);

    doc->id = r->id;
    doc->title = ingest_buf_str(&r->title);
    doc->body = ingest_buf_str(&r->body);
    doc->date = r->date.len ? r->date.p : NULL;
    doc->source = r->src_buf.len ? r->src_buf.p : NULL;
    return INGEST_DOC;
}
