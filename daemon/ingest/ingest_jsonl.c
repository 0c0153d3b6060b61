/*
 * ingest_jsonl.c: the JSON article: one object on one line, parsed by jansson.  It owns
 * the mapping of keys to fields (id, title, body|text, date, source, url, topics, places;
 * other keys ignored) and the checks that reject a record with a reason.  Two users share
 * it through ingest_jsonl_parse: the JSON Lines reader (a rejected line becomes a SKIP
 * with "path:line: reason") and the daemon's ADD command (a bad_request with the same
 * reason).  A line that is not UTF-8 is read as Latin-1 before parsing.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "readers.h"
#include "log.h"


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

/* The buffers one parsed article lives in; reused from one parse to the next. */
struct ingest_article {
    ingest_buf_t scratch, id, title, body, date, source, url;
    ingest_tags_t topics, places;
};

/* Writes the reason a record is rejected into err; returns -1. */
static int reject(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int get_id(ingest_article_t *a, json_t *obj, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "id");
    if (json_is_integer(v)) {
        char num[32];
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        ingest_buf_append(&a->id, num, strlen(num));
        return 0;
    }
    if (!v || json_is_null(v))
        return reject(err, errlen, "no \"id\"");
    if (!json_is_string(v))
        return reject(err, errlen, "\"id\" is not a string or an integer");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return reject(err, errlen, "empty \"id\"");
    if (n > NEWSD_MAX_ID_LEN)
        return reject(err, errlen, "\"id\" longer than %d bytes", NEWSD_MAX_ID_LEN);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return reject(err, errlen, "\"id\" holds a control character");
    ingest_buf_append(&a->id, s, n);
    return 0;
}

static int get_date(ingest_article_t *a, json_t *obj, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "date");
    char iso[INGEST_ISO_LEN];
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        if (ingest_iso_from_time((int64_t)json_integer_value(v), iso) != 0)
            return reject(err, errlen, "\"date\" %" JSON_INTEGER_FORMAT " out of range",
                          json_integer_value(v));
    } else if (json_is_string(v)) {
        if (ingest_parse_iso(json_string_value(v), iso) != 0) {
            char quoted[NEWSD_LOG_SAMPLE_LEN * 4 + 8];
            return reject(err, errlen, "unparsable \"date\" \"%s\"",
                          log_sample(quoted, sizeof quoted, json_string_value(v),
                                     json_string_length(v)));
        }
    } else {
        return reject(err, errlen, "\"date\" is not a string or an integer");
    }
    ingest_buf_append(&a->date, iso, strlen(iso));
    return 0;
}

static int parse_object(ingest_article_t *a, json_t *obj, const char *default_source,
                        char *err, size_t errlen)
{
    static const char *const single[] = { "title", "source", "url" };
    ingest_buf_t *dest[] = { &a->title, &a->source, &a->url };
    if (get_id(a, obj, err, errlen) != 0 || get_date(a, obj, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < 3; i++)
        if (get_text(obj, single[i], dest[i], INGEST_CLEAN_SINGLE_LINE) < 0)
            return reject(err, errlen, "\"%s\" is not a string", single[i]);
    int got = get_text(obj, "body", &a->body, 0);
    if (got < 0)
        return reject(err, errlen, "\"body\" is not a string");
    if (got == 0 && get_text(obj, "text", &a->body, 0) < 0)
        return reject(err, errlen, "\"text\" is not a string");
    if (get_tags(obj, "topics", &a->topics) < 0)
        return reject(err, errlen, "\"topics\" is not a string or strings");
    if (get_tags(obj, "places", &a->places) < 0)
        return reject(err, errlen, "\"places\" is not a string or strings");
    if (!a->title.len && !a->body.len)
        return reject(err, errlen, "neither \"title\" nor \"body\"");
    ingest_cut(&a->title, NEWSD_MAX_TITLE_LEN, 0);
    ingest_cut(&a->url, NEWSD_MAX_URL_LEN, 0);
    ingest_cut(&a->source, NEWSD_MAX_TAG_LEN, 0);
    if (!a->source.len && default_source) {
        ingest_clean(&a->source, default_source, strlen(default_source),
                     INGEST_CLEAN_SINGLE_LINE);
        ingest_cut(&a->source, NEWSD_MAX_TAG_LEN, 0);
    }
    return 0;
}

ingest_article_t *ingest_article_new(void)
{
    return calloc(1, sizeof(ingest_article_t));
}

void ingest_article_free(ingest_article_t *a)
{
    if (!a)
        return;
    ingest_buf_t *bufs[] = { &a->scratch, &a->id, &a->title, &a->body, &a->date, &a->source,
                             &a->url };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        ingest_buf_free(bufs[i]);
    free(a);
}

int ingest_jsonl_parse(ingest_article_t *a, const char *line, size_t len,
                       const char *default_source, newsidx_doc_t *doc, char *err,
                       size_t errlen)
{
    memset(doc, 0, sizeof *doc);
    ingest_buf_t *bufs[] = { &a->id, &a->title, &a->body, &a->date, &a->source, &a->url };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        ingest_buf_clear(bufs[i]);
    a->topics.n = a->places.n = 0;

    size_t n;
    const char *text = ingest_as_utf8(&a->scratch, line, len, &n);
    if (!text) {
        reject(err, errlen, "out of memory");
        return INGEST_FAIL;
    }
    json_error_t jerr;
    json_t *obj = json_loadb(text, n, JSON_ALLOW_NUL, &jerr);
    if (!obj) {
        /* jansson quotes the bytes it stopped at ("near '...'") */
        char why[sizeof jerr.text * 4 + 8];
        log_escape(why, sizeof why, jerr.text, strnlen(jerr.text, sizeof jerr.text));
        if (jerr.column > 0)
            return reject(err, errlen, "invalid JSON: %s (column %d)", why, jerr.column);
        return reject(err, errlen, "invalid JSON: %s", why);
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        return reject(err, errlen, "not a JSON object");
    }
    int rc = parse_object(a, obj, default_source, err, errlen);
    json_decref(obj);
    if (rc != 0)
        return -1;
    doc->id = ingest_buf_str(&a->id);
    doc->title = ingest_buf_str(&a->title);
    doc->body = ingest_buf_str(&a->body);
    doc->date = a->date.len ? a->date.p : NULL;
    doc->source = a->source.len ? a->source.p : NULL;
    doc->url = a->url.len ? a->url.p : NULL;
    doc->topics = a->topics.n ? a->topics.ptr : NULL;
    doc->ntopics = a->topics.n;
    doc->places = a->places.n ? a->places.ptr : NULL;
    doc->nplaces = a->places.n;
    return 0;
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
    if (!r->article && !(r->article = ingest_article_new()))
        return ingest_fail(r, INGEST_FAIL, 0, "out of memory");

    const char *text = r->line.p;
    size_t n = r->line.len;
    if (line == 1 && n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {  /* byte-order mark */
        text += 3;
        n -= 3;
    }
    char why[INGEST_ERR_LEN];
    rc = ingest_jsonl_parse(r->article, text, n, r->source, doc, why, sizeof why);
    if (rc == INGEST_FAIL)
        return ingest_fail(r, INGEST_FAIL, 0, "%s", why);
    if (rc != 0)
        return ingest_fail(r, INGEST_SKIP, line, "%s", why);
    return INGEST_DOC;
}
