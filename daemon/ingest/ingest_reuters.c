/*
 * ingest_reuters.c: the Reuters-21578 SGML reader.  It owns one <REUTERS> record's
 * layout: the NEWID attribute (id "reuters-<NEWID>"), the lenient <DATE>, the <D> entries
 * of <TOPICS> and <PLACES>, and the three kinds of <TEXT>: normal (TITLE, DATELINE,
 * BODY; the dateline is kept, prepended to the body), BRIEF (TITLE then untagged text)
 * and UNPROC (untagged text only; the title is its first line).  Records are streamed one
 * at a time; each is checked as UTF-8 on its own and read as Latin-1 if it is not.
 */
#include <ctype.h>
#include <string.h>

#include "readers.h"

/* Room for a NEWID attribute value. */
#define REUTERS_NEWID_LEN 32

/*
 * " 1-APR-1987 00:02:13.34", "27-MAR-1987 00:03:35.68&#5;&#5;&#5;F",
 * "31-MAR-1987 605:12:19.12", "9-APR-1987 00:00:00.00    # comment".  The day must parse;
 * a missing or impossible time of day becomes 00:00:00; anything after it is ignored.
 */
static int reuters_date(const char *s, const char *end, char out[INGEST_ISO_LEN])
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    int day = 0, year = 0, nd = 0;
    while (s < end && isdigit((unsigned char)*s) && nd < 2) {
        day = day * 10 + (*s++ - '0');
        nd++;
    }
    if (!nd || s >= end || *s++ != '-')
        return -1;
    const char *m = s;
    while (s < end && isalpha((unsigned char)*s))
        s++;
    int mon = ingest_month(m, (size_t)(s - m));
    if (!mon || s >= end || *s++ != '-')
        return -1;
    int ny = 0;
    while (s < end && isdigit((unsigned char)*s) && ny < 4) {
        year = year * 10 + (*s++ - '0');
        ny++;
    }
    if (ny == 2)
        year += 1900;
    else if (ny != 4)
        return -1;

    int hms[3] = { 0, 0, 0 }, ok = 1;
    while (s < end && *s == ' ')
        s++;
    for (int i = 0; i < 3 && ok; i++) {
        int v = 0, n = 0;
        while (s < end && isdigit((unsigned char)*s) && n < 3) {
            v = v * 10 + (*s++ - '0');
            n++;
        }
        if (n == 0 || n > 2 || (i < 2 && (s >= end || *s++ != ':')))
            ok = 0;
        hms[i] = v;
    }
    if (ok && ingest_iso_from_fields(year, mon, day, hms[0], hms[1], hms[2], out) == 0)
        return 0;
    return ingest_iso_from_fields(year, mon, day, 0, 0, 0, out);
}

static void add_entries(ingest_tags_t *t, const char *s, const char *end, const char *field)
{
    const char *c, *ce;
    if (!ingest_find_element(s, end, field, NULL, &c, &ce, NULL))
        return;
    const char *dc, *dce, *next;
    while (ingest_find_element(c, ce, "D", NULL, &dc, &dce, &next)) {
        ingest_tags_add(t, dc, (size_t)(dce - dc), INGEST_CLEAN_ENTITIES);
        c = next;
    }
}

/* Title of an untitled (UNPROC) text: its first line, cut at a word. */
static void first_line_title(ingest_buf_t *title, const ingest_buf_t *body)
{
    if (!body->len)
        return;
    const char *nl = memchr(body->p, '\n', body->len);
    size_t n = nl ? (size_t)(nl - body->p) : body->len;
    ingest_clean(title, body->p, n, INGEST_CLEAN_SINGLE_LINE);
    ingest_cut(title, NEWSD_DERIVED_TITLE_LEN, 1);
}

static int fill_text(ingest_reader_t *r, const char *s, const char *end)
{
    const char *c, *ce;
    if (!ingest_find_element(s, end, "TEXT", NULL, &c, &ce, NULL))
        return 0;
    const char *tc, *tce, *title_end;
    int has_title = ingest_find_element(c, ce, "TITLE", NULL, &tc, &tce, &title_end);
    if (has_title) {
        if (ingest_clean(&r->title, tc, (size_t)(tce - tc),
                         INGEST_CLEAN_ENTITIES | INGEST_CLEAN_SINGLE_LINE) != 0)
            return -1;
        size_t skip = strspn(ingest_buf_str(&r->title), "* ");
        if (skip) {
            memmove(r->title.p, r->title.p + skip, r->title.len - skip + 1);
            r->title.len -= skip;
        }
        ingest_cut(&r->title, NEWSD_MAX_TITLE_LEN, 0);
    }
    const char *bc, *bce, *dc, *dce;
    int rc;
    if (ingest_find_element(c, ce, "BODY", NULL, &bc, &bce, NULL)) {
        if (ingest_find_element(c, ce, "DATELINE", NULL, &dc, &dce, NULL)) {
            if (ingest_clean(&r->body, dc, (size_t)(dce - dc),
                             INGEST_CLEAN_ENTITIES | INGEST_CLEAN_SINGLE_LINE) != 0)
                return -1;
            if (r->body.len && ingest_buf_putc(&r->body, ' ') != 0)
                return -1;
        }
        rc = ingest_clean(&r->body, bc, (size_t)(bce - bc), INGEST_CLEAN_ENTITIES);
        while (r->body.len && r->body.p[r->body.len - 1] == ' ')
            r->body.p[--r->body.len] = '\0';
    } else if (has_title) {
        rc = ingest_clean(&r->body, title_end, (size_t)(ce - title_end), INGEST_CLEAN_ENTITIES);
    } else {
        rc = ingest_clean(&r->body, c, (size_t)(ce - c), INGEST_CLEAN_ENTITIES);
        first_line_title(&r->title, &r->body);
    }
    return rc;
}

int ingest_reuters_next(ingest_reader_t *r, newsidx_doc_t *doc)
{
    unsigned long start = 0;
    size_t n;
    const char *s;
    int rc = ingest_read_element(r, "REUTERS", &start, &s, &n);
    if (rc != 1)
        return rc == 0 ? INGEST_EOF : rc;
    const char *end = s + n;

    char newid[REUTERS_NEWID_LEN];
    if (!ingest_tag_attr(s, end, "NEWID", newid, sizeof newid) || !newid[0] ||
        strspn(newid, "0123456789") != strlen(newid))
        return ingest_fail(r, INGEST_SKIP, start, "<REUTERS> without a numeric NEWID");
    ingest_buf_append(&r->id_buf, "reuters-", strlen("reuters-"));
    ingest_buf_append(&r->id_buf, newid, strlen(newid));

    const char *dc, *dce;
    char iso[INGEST_ISO_LEN];
    if (ingest_find_element(s, end, "DATE", NULL, &dc, &dce, NULL) &&
        reuters_date(dc, dce, iso) == 0)
        ingest_buf_append(&r->date, iso, strlen(iso));
    add_entries(&r->topics, s, end, "TOPICS");
    add_entries(&r->places, s, end, "PLACES");
    if (fill_text(r, s, end) != 0)
        return ingest_fail(r, INGEST_FAIL, 0, "out of memory");

    doc->id = ingest_buf_str(&r->id_buf);
    doc->title = ingest_buf_str(&r->title);
    doc->body = ingest_buf_str(&r->body);
    doc->date = r->date.len ? r->date.p : NULL;
    doc->source = "reuters";
    return INGEST_DOC;
}
