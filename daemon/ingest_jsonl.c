/*
 * ingest_jsonl.c: the JSON Lines reader: one object per line, parsed by jansson.  It owns
 * the mapping of keys to fields (id, title, body|text, date, source, url, topics, places;
 * other keys ignored) and the checks that make a line a SKIP with "path:line: reason".
 * A line that is not UTF-8 is read as Latin-1 before parsing.
 */
#include <inttypes.h>
#include <string.h>

#include <jansson.h>

#include "ingest_internal.h"

/* Longest value quoted back in an error message, in bytes. */
#define JSONL_QUOTE_LEN 40

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return 1;
}

/* Copies a string member into b (cleaned); 1 if set, 0 if absent or null, -1 wrong type. */
static int get_text(json_t *obj, const char *key, ingest_buf_t *b, int flags)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    ingest_clean(b, json_string_value(v), json_string_length(v), flags);
    return 1;
}

static int get_tags(json_t *obj, const char *key, ingest_tags_t *t)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        ingest_tags_add(t, json_string_value(v), json_string_length(v), 0);
        return 1;
    }
    if (!json_is_array(v))
        return -1;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return -1;
        ingest_tags_add(t, json_string_value(e), json_string_length(e), 0);
    }
    return 1;
}

static int get_id(ingest_reader_t *r, json_t *obj, unsigned long line)
{
    json_t *v = json_object_get(obj, "id");
    if (json_is_integer(v)) {
        char num[32];
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        ingest_buf_append(&r->id_buf, num, strlen(num));
        return 0;
    }
    if (!v || json_is_null(v))
        return ingest_fail(r, INGEST_SKIP, line, "no \"id\"");
    if (!json_is_string(v))
        return ingest_fail(r, INGEST_SKIP, line, "\"id\" is not a string or an integer");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return ingest_fail(r, INGEST_SKIP, line, "empty \"id\"");
    if (n > NEWSD_MAX_ID_LEN)
        return ingest_fail(r, INGEST_SKIP, line, "\"id\" longer than %d bytes",
                           NEWSD_MAX_ID_LEN);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return ingest_fail(r, INGEST_SKIP, line, "\"id\" holds a control character");
    ingest_buf_append(&r->id_buf, s, n);
    return 0;
}

static int get_date(ingest_reader_t *r, json_t *obj, unsigned long line)
{
    json_t *v = json_object_get(obj, "date");
    char iso[INGEST_ISO_LEN];
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        if (ingest_iso_from_time((int64_t)json_integer_value(v), iso) != 0)
            return ingest_fail(r, INGEST_SKIP, line, "\"date\" %" JSON_INTEGER_FORMAT
                               " out of range", json_integer_value(v));
    } else if (json_is_string(v)) {
        if (ingest_parse_iso(json_string_value(v), iso) != 0)
            return ingest_fail(r, INGEST_SKIP, line, "unparsable \"date\" \"%.*s\"",
                               JSONL_QUOTE_LEN, json_string_value(v));
    } else {
        return ingest_fail(r, INGEST_SKIP, line, "\"date\" is not a string or an integer");
    }
    ingest_buf_append(&r->date, iso, strlen(iso));
    return 0;
}

static int parse_object(ingest_reader_t *r, json_t *obj, unsigned long line)
{
    static const char *const single[] = { "title", "source", "url" };
    ingest_buf_t *dest[] = { &r->title, &r->src_buf, &r->url };
    if (get_id(r, obj, line) != 0 || get_date(r, obj, line) != 0)
        return INGEST_SKIP;
    for (size_t i = 0; i < 3; i++)
        if (get_text(obj, single[i], dest[i], INGEST_CLEAN_SINGLE_LINE) < 0)
            return ingest_fail(r, INGEST_SKIP, line, "\"%s\" is not a string", single[i]);
    int got = get_text(obj, "body", &r->body, 0);
    if (got < 0)
        return ingest_fail(r, INGEST_SKIP, line, "\"body\" is not a string");
    if (got == 0 && get_text(obj, "text", &r->body, 0) < 0)
        return ingest_fail(r, INGEST_SKIP, line, "\"text\" is not a string");
    if (get_tags(obj, "topics", &r->topics) < 0)
        return ingest_fail(r, INGEST_SKIP, line, "\"topics\" is not a string or strings");
    if (get_tags(obj, "places", &r->places) < 0)
        return ingest_fail(r, INGEST_SKIP, line, "\"places\" is not a string or strings");
    if (!r->title.len && !r->body.len)
        return ingest_fail(r, INGEST_SKIP, line, "neither \"title\" nor \"body\"");
    ingest_cut(&r->title, NEWSD_MAX_TITLE_LEN, 0);
    ingest_cut(&r->src_buf, NEWSD_MAX_TAG_LEN, 0);
    if (!r->src_buf.len && r->source) {
        ingest_clean(&r->src_buf, r->source, strlen(r->source), INGEST_CLEAN_SINGLE_LINE);
        ingest_cut(&r->src_buf, NEWSD_MAX_TAG_LEN, 0);
    }
    return INGEST_DOC;
}

int ingest_jsonl_next(ingest_reader_t *r, newsidx_doc_t *doc)
{
    int rc;
    do {
        rc = ingest_read_line(r);
        if (rc != 1)
            return rc == 0 ? INGEST_EOF : rc;
    } while (blank(r->line.p, r->line.len));
    unsigned long line = r->line_no;

    size_t n;
    const char *text = ingest_as_utf8(&r->scratch, r->line.p, r->line.len, &n);
    if (!text)
        return ingest_fail(r, INGEST_FAIL, 0, "out of memory");
    if (line == 1 && n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {  /* byte-order mark */
        text += 3;
        n -= 3;
    }
    json_error_t jerr;
    json_t *obj = json_loadb(text, n, JSON_ALLOW_NUL, &jerr);
    if (!obj && jerr.column > 0)
        return ingest_fail(r, INGEST_SKIP, line, "invalid JSON: %s (column %d)", jerr.text,
                           jerr.column);
    if (!obj)
        return ingest_fail(r, INGEST_SKIP, line, "invalid JSON: %s", jerr.text);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return ingest_fail(r, INGEST_SKIP, line, "not a JSON object");
    }
    rc = parse_object(r, obj, line);
    json_decref(obj);
    if (rc != INGEST_DOC)
        return rc;
    doc->id = ingest_buf_str(&r->id_buf);
    doc->title = ingest_buf_str(&r->title);
    doc->body = ingest_buf_str(&r->body);
    doc->date = r->date.len ? r->date.p : NULL;
    doc->source = r->src_buf.len ? r->src_buf.p : NULL;
    doc->url = r->url.len ? r->url.p : NULL;
    return INGEST_DOC;
}
