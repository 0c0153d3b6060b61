/*
 * ingest_trec.c: the TREC SGML reader (<DOC> records as in the TREC/TIPSTER collections).
 * It owns the record layout: <DOCNO> is the id, the first of <HEADLINE>, <HEAD>, <TITLE>
 * the title, every <TEXT> block the body (inner tags stripped, entities decoded), and an
 * optional <DATE> read best-effort.  The source is the caller's default, else the letters
 * that start the DOCNO ("AP880212-0001" -> "ap").
 */
#include <ctype.h>
#include <string.h>

#include "readers.h"

static const int TREC_CLEAN = INGEST_CLEAN_ENTITIES | INGEST_CLEAN_STRIP_TAGS;

static int number(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "880212", "19880212", "1988-02-12[T...]", "February 12, 1988", "12 Feb 1988". */
static int trec_date(const char *s, char out[INGEST_ISO_LEN])
{
    if (ingest_parse_iso(s, out) == 0)
        return 0;
    int year = 0, mon = 0, day = 0;
    size_t lead = strspn(s, "0123456789");
    if (lead == 6 || lead == 8) {
        int v = 0;
        number(s, lead, &v);
        year = v / 10000;
        if (lead == 6)
            year += year >= 50 ? 1900 : 2000;
        mon = v / 100 % 100;
        day = v % 100;
        return ingest_iso_from_fields(year, mon, day, 0, 0, 0, out);
    }
    year = -1;
    while (*s) {
        while (*s && !isalnum((unsigned char)*s))
            s++;
        const char *t = s;
        while (isalnum((unsigned char)*s))
            s++;
        size_t n = (size_t)(s - t);
        int v;
        if (!n)
            break;
        if (!mon && isalpha((unsigned char)*t))
            mon = ingest_month(t, n);
        else if (!day && n <= 2 && number(t, n, &v) == 0)
            day = v;
        else if (year < 0 && n == 4 && number(t, n, &v) == 0)
            year = v;
    }
    return ingest_iso_from_fields(year, mon, day, 0, 0, 0, out);
}

static int fill(ingest_reader_t *r, const char *s, const char *end)
{
    static const char *const heads[] = { "HEADLINE", "HEAD", "TITLE" };
    const char *c, *ce, *next;
    for (size_t i = 0; i < 3 && !r->title.len; i++)
        if (ingest_find_element(s, end, heads[i], NULL, &c, &ce, NULL) &&
            ingest_clean(&r->title, c, (size_t)(ce - c), TREC_CLEAN | INGEST_CLEAN_SINGLE_LINE))
            return -1;
    for (const char *p = s; ingest_find_element(p, end, "TEXT", NULL, &c, &ce, &next);
         p = next) {
        size_t before = r->body.len;
        if (before && ingest_buf_append(&r->body, "\n\n", 2) != 0)
            return -1;
        size_t mark = r->body.len;
        if (ingest_clean(&r->body, c, (size_t)(ce - c), TREC_CLEAN) != 0)
            return -1;
        if (r->body.len == mark) {  /* an empty block adds no paragraph break */
            r->body.len = before;
            r->body.p[before] = '\0';
        }
    }
    if (!r->title.len && r->body.len) {
        const char *nl = memchr(r->body.p, '\n', r->body.len);
        ingest_clean(&r->title, r->body.p, nl ? (size_t)(nl - r->body.p) : r->body.len,
                     INGEST_CLEAN_SINGLE_LINE);
        ingest_cut(&r->title, NEWSD_DERIVED_TITLE_LEN, 1);
    }
    ingest_cut(&r->title, NEWSD_MAX_TITLE_LEN, 0);
    char iso[INGEST_ISO_LEN];
    ingest_buf_clear(&r->scratch2);
    if (ingest_find_element(s, end, "DATE", NULL, &c, &ce, NULL) &&
        ingest_clean(&r->scratch2, c, (size_t)(ce - c), TREC_CLEAN | INGEST_CLEAN_SINGLE_LINE) == 0 &&
        trec_date(ingest_buf_str(&r->scratch2), iso) == 0)
        ingest_buf_append(&r->date, iso, strlen(iso));
    if (r->source) {
        ingest_clean(&r->src_buf, r->source, strlen(r->source), INGEST_CLEAN_SINGLE_LINE);
    } else {
        for (size_t i = 0; i < r->id_buf.len && isalpha((unsigned char)r->id_buf.p[i]); i++)
            ingest_buf_putc(&r->src_buf, (char)tolower((unsigned char)r->id_buf.p[i]));
    }
    ingest_cut(&r->src_buf, NEWSD_MAX_TAG_LEN, 0);
    return 0;
}

int ingest_trec_next(ingest_reader_t *r, newsidx_doc_t *doc)
{
    unsigned long start = 0;
    size_t n;
    const char *s;
    int rc = ingest_read_element(r, "DOC", &start, &s, &n);
    if (rc != 1)
        return rc == 0 ? INGEST_EOF : rc;
    const char *end = s + n, *c, *ce;
    if (!ingest_find_element(s, end, "DOCNO", NULL, &c, &ce, NULL) ||
        ingest_clean(&r->id_buf, c, (size_t)(ce - c), TREC_CLEAN | INGEST_CLEAN_SINGLE_LINE) ||
        r->id_buf.len == 0)
        return ingest_fail(r, INGEST_SKIP, start, "<DOC> without a <DOCNO>");
    if (r->id_buf.len > NEWSD_MAX_ID_LEN)
        return ingest_fail(r, INGEST_SKIP, start, "DOCNO longer than %d bytes",
                           NEWSD_MAX_ID_LEN);
    if (fill(r, s, end) != 0)
        return ingest_fail(r, INGEST_FAIL, 0, "out of memory");
    doc->id = ingest_buf_str(&r->id_buf);
    doc->title = ingest_buf_str(&r->title);
    doc->body = ingest_buf_str(&r->body);
    doc->date = r->date.len ? r->date.p : NULL;
    doc->source = r->src_buf.len ? r->src_buf.p : NULL;
    return INGEST_DOC;
}
