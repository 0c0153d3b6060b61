/*
 * sgml.c: what the SGML formats (Reuters-21578, TREC) share: finding an element or an
 * attribute in a record (tag names case-insensitive), and collecting the next element
 * of a stream into one record, line by line, without ever holding more than one record.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest_internal.h"

/* ---- finding elements and attributes ---- */

/* Finds "<name" (case-insensitive) followed by '>' or whitespace in [s, end). */
static const char *find_open(const char *s, const char *end, const char *name, size_t nl)
{
    while (s < end) {
        const char *lt = memchr(s, '<', (size_t)(end - s));
        if (!lt)
            return NULL;
        if ((size_t)(end - lt) > nl + 1 && strncasecmp(lt + 1, name, nl) == 0 &&
            (lt[nl + 1] == '>' || isspace((unsigned char)lt[nl + 1])))
            return lt;
        s = lt + 1;
    }
    return NULL;
}

static const char *find_close(const char *s, const char *end, const char *name, size_t nl)
{
    while (s < end) {
        const char *lt = memchr(s, '<', (size_t)(end - s));
        if (!lt)
            return NULL;
        if ((size_t)(end - lt) >= nl + 3 && lt[1] == '/' &&
            strncasecmp(lt + 2, name, nl) == 0 && lt[nl + 2] == '>')
            return lt;
        s = lt + 1;
    }
    return NULL;
}

int ingest_find_element(const char *s, const char *end, const char *name, const char **open,
                        const char **content, const char **content_end,
                        const char **close_end)
{
    size_t nl = strlen(name);
    const char *o = find_open(s, end, name, nl);
    if (!o)
        return 0;
    const char *gt = memchr(o, '>', (size_t)(end - o));
    if (!gt)
        return 0;
    const char *c = find_close(gt + 1, end, name, nl);
    if (!c)
        return 0;
    if (open)
        *open = o;
    *content = gt + 1;
    *content_end = c;
    if (close_end)
        *close_end = c + nl + 3;
    return 1;
}

int ingest_tag_attr(const char *tag, const char *end, const char *name, char *out,
                    size_t outlen)
{
    const char *gt = memchr(tag, '>', (size_t)(end - tag));
    if (gt)
        end = gt;
    size_t nl = strlen(name);
    for (const char *p = tag + 1; p + nl < end; p++) {
        if (!isspace((unsigned char)p[-1]) || strncasecmp(p, name, nl) != 0)
            continue;
        const char *q = p + nl;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || *q != '=')
            continue;
        q++;
        while (q < end && isspace((unsigned char)*q))
            q++;
        const char *v = q, *ve;
        if (q < end && (*q == '"' || *q == '\'')) {
            v = q + 1;
            ve = memchr(v, *q, (size_t)(end - v));
            if (!ve)
                ve = end;
        } else {
            for (ve = v; ve < end && !isspace((unsigned char)*ve); ve++)
                ;
        }
        size_t l = (size_t)(ve - v);
        if (l >= outlen)
            l = outlen - 1;
        memcpy(out, v, l);
        out[l] = '\0';
        return 1;
    }
    return 0;
}

int ingest_line_has_tag(const char *line, const char *name, const char **at)
{
    const char *p = find_open(line, line + strlen(line), name, strlen(name));
    if (at)
        *at = p;
    return p != NULL;
}

/* ---- one element of a stream ---- */

static int read_element_raw(ingest_reader_t *r, const char *name, unsigned long *start)
{
    char close[32];
    snprintf(close, sizeof close, "</%s>", name);
    ingest_buf_clear(&r->rec);
    const char *at = NULL;
    for (;;) {
        if (r->reuse_line) {
            r->reuse_line = 0;
        } else {
            int rc = ingest_read_line(r);
            if (rc != 1)
                return rc;
        }
        if (ingest_line_has_tag(r->line.p, name, &at))
            break;
    }
    *start = r->line_no;
    const char *from = at;
    uint64_t raw = 0;   /* the record's bytes in the file, NULs included */
    for (;;) {
        const char *end = strcasestr(from, close);
        size_t take = end ? (size_t)(end - from) + strlen(close)
                          : r->line.len - (size_t)(from - r->line.p);
        raw += take + (r->line_raw - r->line.len);
        if (raw > NEWSD_MAX_RECORD_BYTES)
            return ingest_too_long(r, *start);
        if (ingest_buf_append(&r->rec, from, take) != 0)
            return ingest_fail(r, INGEST_FAIL, 0, "out of memory");
        if (end)
            return 1;
        int rc = ingest_read_line(r);
        if (rc == 0)
            return ingest_fail(r, INGEST_SKIP, *start, "<%s> not closed before end of file",
                               name);
        if (rc != 1)
            return rc;
        if (ingest_line_has_tag(r->line.p, name, NULL)) {
            r->reuse_line = 1;
            return ingest_fail(r, INGEST_SKIP, *start, "<%s> not closed before the next one",
                               name);
        }
        from = r->line.p;
    }
}

int ingest_read_element(ingest_reader_t *r, const char *name, unsigned long *start,
                        const char **text, size_t *len)
{
    int rc = read_element_raw(r, name, start);
    if (rc != 1)
        return rc;
    *text = ingest_as_utf8(&r->scratch, r->rec.p, r->rec.len, len);
    return *text ? 1 : ingest_fail(r, INGEST_FAIL, 0, "out of memory");
}
