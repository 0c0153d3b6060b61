/*
 * clean.c: the text clean-up every record goes through.  A record's bytes are read as
 * UTF-8 when they are valid (utf8.h's rule), else as Latin-1; then control characters
 * become spaces, CR LF becomes LF, SGML entities are decoded and markup is dropped when
 * the format asks, whitespace is trimmed (or collapsed, for one-line fields), and fields
 * are cut to their caps at a character boundary.
 */
#include <ctype.h>
#include <string.h>

#include "ingest_internal.h"
#include "utf8.h"

/* ---- UTF-8 or Latin-1 ---- */

int ingest_put_utf8(ingest_buf_t *b, uint32_t cp)
{
    char u[UTF8_MAX_BYTES];
    return ingest_buf_append(b, u, utf8_encode(cp, u));
}

const char *ingest_as_utf8(ingest_buf_t *scratch, const char *s, size_t n, size_t *outlen)
{
    if (utf8_valid(s, n)) {
        *outlen = n;
        return s;
    }
    ingest_buf_clear(scratch);
    if (ingest_buf_reserve(scratch, n * 2) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        ingest_put_utf8(scratch, (unsigned char)s[i]);  /* room reserved above */
    *outlen = scratch->len;
    return ingest_buf_str(scratch);
}

/* ---- entities, controls, whitespace ---- */

/* Parses an entity at s ('&'); returns its length and the code point, or 0. */
static size_t parse_entity(const char *s, const char *end, uint32_t *cp)
{
    static const struct { const char *name; uint32_t cp; } named[] = {
        { "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' },
    };
    const char *semi = memchr(s, ';', (size_t)(end - s) < 12 ? (size_t)(end - s) : 12);
    if (!semi || semi - s < 2)
        return 0;
    const char *p = s + 1;
    if (*p == '#') {
        p++;
        int base = 10;
        if (*p == 'x' || *p == 'X') {
            base = 16;
            p++;
        }
        if (p == semi)
            return 0;
        uint32_t v = 0;
        for (; p < semi; p++) {
            int d = isdigit((unsigned char)*p) ? *p - '0'
                    : base == 16 && isxdigit((unsigned char)*p) ? tolower((unsigned char)*p) - 'a' + 10
                    : -1;
            if (d < 0)
                return 0;
            v = v * (uint32_t)base + (uint32_t)d;
            if (v > 0x10FFFF)
                return 0;
        }
        *cp = v;
        return (size_t)(semi - s + 1);
    }
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t l = strlen(named[i].name);
        if ((size_t)(semi - p) == l && memcmp(p, named[i].name, l) == 0) {
            *cp = named[i].cp;
            return l + 2;
        }
    }
    return 0;
}

typedef struct clean_state {
    ingest_buf_t *out;
    int flags;
    int started;        /* a non-space character was written */
    int pending_space;  /* single-line: whitespace seen since the last character */
    size_t keep;        /* out->len just after the last non-space character */
    int oom;
} clean_state_t;

static void emit(clean_state_t *c, uint32_t cp)
{
    if (cp == 0 || cp == 0x7F || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return;
    if (cp != '\n' && (cp < 0x20 || (cp >= 0x80 && cp <= 0x9F)))
        cp = ' ';
    if (cp == ' ' || cp == '\n') {
        if (!c->started)
            return;
        if (c->flags & INGEST_CLEAN_SINGLE_LINE) {
            c->pending_space = 1;
            return;
        }
        if (ingest_buf_putc(c->out, (char)cp) != 0)
            c->oom = 1;
        return;
    }
    if (c->pending_space && ingest_buf_putc(c->out, ' ') != 0)
        c->oom = 1;
    c->pending_space = 0;
    c->started = 1;
    if (ingest_put_utf8(c->out, cp) != 0)
        c->oom = 1;
    c->keep = c->out->len;
}

int ingest_clean(ingest_buf_t *out, const char *str, size_t n, int flags)
{
    clean_state_t c = { .out = out, .flags = flags, .keep = out->len };
    if (ingest_buf_reserve(out, n) != 0)
        return -1;
    const char *s = str, *end = str + n;
    /* Once no '>' is left, no later '<' can start a tag: looking again from every '<'
     * would make "<a<a<a..." quadratic. */
    int no_gt_left = 0;
    while (s < end) {
        if (*s == '<' && (flags & INGEST_CLEAN_STRIP_TAGS) && !no_gt_left && s + 1 < end &&
            (isalpha((unsigned char)s[1]) || s[1] == '/' || s[1] == '!')) {
            const char *gt = memchr(s, '>', (size_t)(end - s));
            if (gt) {
                s = gt + 1;
                continue;
            }
            no_gt_left = 1;
        }
        if (*s == '&' && (flags & INGEST_CLEAN_ENTITIES)) {
            uint32_t cp;
            size_t l = parse_entity(s, end, &cp);
            if (l) {
                emit(&c, cp);
                s += l;
                continue;
            }
        }
        if (*s == '\r') {
            s++;
            if (s < end && *s == '\n')
                continue;
            emit(&c, '\n');
            continue;
        }
        size_t l;
        uint32_t cp = utf8_decode(s, (size_t)(end - s), &l);
        emit(&c, cp);
        s += l;
    }
    if (c.oom)
        return -1;
    out->len = c.keep;
    if (out->p)
        out->p[out->len] = '\0';
    return 0;
}

void ingest_cut(ingest_buf_t *b, size_t max, int at_word)
{
    if (b->len <= max)
        return;
    size_t cut = utf8_cut(b->p, b->len, max);
    if (at_word) {
        for (size_t i = cut; i > max / 2; i--) {
            if (b->p[i] == ' ') {
                cut = i;
                break;
            }
        }
    }
    while (cut > 0 && (b->p[cut - 1] == ' ' || b->p[cut - 1] == '\n'))
        cut--;
    b->len = cut;
    b->p[cut] = '\0';
}

void ingest_tags_add(ingest_tags_t *t, const char *s, size_t n, int clean_flags)
{
    if (t->n >= NEWSD_MAX_TOPICS)
        return;
    ingest_buf_t b = { 0 };
    if (ingest_clean(&b, s, n, clean_flags | INGEST_CLEAN_SINGLE_LINE) == 0 && b.len) {
        ingest_cut(&b, NEWSD_MAX_TAG_LEN, 0);
        memcpy(t->store[t->n], b.p, b.len + 1);
        t->ptr[t->n] = t->store[t->n];
        t->n++;
    }
    ingest_buf_free(&b);
}
