/*
 * ingest.c: the part of the corpus readers every format shares.  It opens a file through
 * zlib (gzdopen reads plain files transparently, so .gz and plain take one path), picks
 * the format (extension, then the first non-blank bytes), reads lines with gzgets while
 * keeping count of bytes and line numbers and telling a truncated gzip stream from a clean
 * end, and provides the text clean-up every record goes through: strict UTF-8 or else
 * Latin-1, control characters to spaces, SGML entities, trimming and capping.  It also
 * holds the date helpers and the folder walker (fts(3), fnmatch(3), dedupe by dev/ino).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <fts.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest_internal.h"

/* Bytes looked at to recognise a file's format by its content. */
#define INGEST_SNIFF_BYTES 512

/* ---- buffers ---- */

int ingest_buf_reserve(ingest_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int ingest_buf_append(ingest_buf_t *b, const char *s, size_t n)
{
    if (ingest_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int ingest_buf_putc(ingest_buf_t *b, char c)
{
    return ingest_buf_append(b, &c, 1);
}

void ingest_buf_clear(ingest_buf_t *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

const char *ingest_buf_str(ingest_buf_t *b)
{
    return b->p ? b->p : "";
}

void ingest_buf_free(ingest_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- errors ---- */

static int vfail(ingest_reader_t *r, int result, unsigned long line, const char *fmt,
                 va_list ap)
{
    int n = line ? snprintf(r->err, sizeof r->err, "%s:%lu: ", r->path, line)
                 : snprintf(r->err, sizeof r->err, "%s: ", r->path);
    if (n < 0 || (size_t)n >= sizeof r->err)
        return result;
    vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
    return result;
}

int ingest_fail(ingest_reader_t *r, int result, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(r, result, line, fmt, ap);
    va_end(ap);
    if (result == INGEST_FAIL)
        r->state = INGEST_STATE_FAILED;
    return result;
}

int ingest_too_long(ingest_reader_t *r, unsigned long line)
{
    return ingest_fail(r, INGEST_FAIL, line, "record longer than %u bytes",
                       (unsigned)NEWSD_MAX_RECORD_BYTES);
}

/* ---- line reading ---- */

/*
 * gzgets NUL-terminates what it read but cannot say how much that was when the data
 * itself holds NUL bytes.  The chunk is therefore kept filled with '\n' outside what was
 * just read: the last NUL in it is gzgets' terminator.
 */
/* zlib's message for the last error, without the "<fd:N>: " gzdopen puts before it (the
 * caller names the file). */
static const char *gz_reason(gzFile gz, int *errnum)
{
    const char *msg = gzerror(gz, errnum);
    const char *sep = strncmp(msg, "<fd:", 4) == 0 ? strstr(msg, ">: ") : NULL;
    return sep ? sep + 3 : msg;
}

/* Fails the reader when the file has given more bytes than its cap, or (past
 * NEWSD_GZ_RATIO_FLOOR_BYTES) more than NEWSD_MAX_GZ_RATIO times the compressed bytes read:
 * a small gzip file must not cost unbounded time. */
static int over_file_caps(ingest_reader_t *r)
{
    if (r->bytes > r->max_bytes)
        return ingest_fail(r, INGEST_FAIL, 0,
                           "more than %" PRIu64 " bytes once decompressed; rest of file skipped",
                           r->max_bytes);
    if (r->bytes > NEWSD_GZ_RATIO_FLOOR_BYTES) {
        z_off_t in = gzoffset(r->gz);
        if (in > 0 && r->bytes / (uint64_t)in > NEWSD_MAX_GZ_RATIO)
            return ingest_fail(r, INGEST_FAIL, 0,
                               "gzip data expands more than %u times; rest of file skipped",
                               (unsigned)NEWSD_MAX_GZ_RATIO);
    }
    return 0;
}

int ingest_read_line(ingest_reader_t *r)
{
    ingest_buf_clear(&r->line);
    r->line_raw = 0;
    if (r->state == INGEST_STATE_FAILED)
        return INGEST_FAIL;
    for (;;) {
        if (!gzgets(r->gz, r->chunk, INGEST_CHUNK)) {
            int errnum = Z_OK;
            const char *msg = gz_reason(r->gz, &errnum);
            if (errnum == Z_BUF_ERROR)
                return ingest_fail(r, INGEST_FAIL, 0, "truncated gzip data");
            if (errnum == Z_ERRNO)
                return ingest_fail(r, INGEST_FAIL, 0, "%s", strerror(errno));
            if (errnum != Z_OK && errnum != Z_STREAM_END)
                return ingest_fail(r, INGEST_FAIL, 0, "%s", msg);
            if (r->line.len) {
                r->line_no++;
                return 1;
            }
            return 0;
        }
        size_t n = strlen(r->chunk), got;
        if (n > 0 && r->chunk[n - 1] == '\n') {
            got = n;
            if (ingest_buf_append(&r->line, r->chunk, n) != 0)
                return ingest_fail(r, INGEST_FAIL, 0, "out of memory");
        } else {
            const char *term = memrchr(r->chunk, '\0', INGEST_CHUNK);
            got = (size_t)(term - r->chunk);
            for (size_t i = 0; i < got;) {
                size_t run = strnlen(r->chunk + i, got - i);
                if (run && ingest_buf_append(&r->line, r->chunk + i, run) != 0)
                    return ingest_fail(r, INGEST_FAIL, 0, "out of memory");
                i += run + 1;
            }
        }
        memset(r->chunk, '\n', got + 1);
        r->bytes += got;
        /* NUL bytes are dropped from the line but count: a file of zeros is no record */
        r->line_raw += got;
        if (r->line_raw > NEWSD_MAX_RECORD_BYTES)
            return ingest_too_long(r, r->line_no + 1);
        if (over_file_caps(r))
            return INGEST_FAIL;
        if (r->line.len && r->line.p[r->line.len - 1] == '\n') {
            r->line_no++;
            return 1;
        }
    }
}

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

/* ---- UTF-8 ---- */

int ingest_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2; cp = c & 0x1F; min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3; cp = c & 0x0F; min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4; cp = c & 0x07; min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

int ingest_put_utf8(ingest_buf_t *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp; n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    return ingest_buf_append(b, u, n);
}

const char *ingest_as_utf8(ingest_buf_t *scratch, const char *s, size_t n, size_t *outlen)
{
    if (ingest_utf8_valid(s, n)) {
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

/* Decodes one code point of valid UTF-8 at s (n > 0 bytes left); sets *len. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    size_t l = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (l > n)
        l = n;
    uint32_t cp = l == 1 ? c : l == 2 ? (c & 0x1F) : l == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < l; k++)
        cp = (cp << 6) | (s[k] & 0x3F);
    *len = l;
    return cp;
}

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
        uint32_t cp = utf8_next((const unsigned char *)s, (size_t)(end - s), &l);
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
    size_t cut = max;
    while (cut > 0 && ((unsigned char)b->p[cut] & 0xC0) == 0x80)
        cut--;
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

/* ---- SGML helpers ---- */

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

/* ---- dates ---- */

static int days_in_month(int year, int mon)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return mon == 2 && leap ? 29 : dim[mon - 1];
}

int ingest_iso_from_fields(int year, int mon, int day, int hour, int min, int sec,
                           char out[INGEST_ISO_LEN])
{
    if (year < 0 || year > 9999 || mon < 1 || mon > 12 || day < 1 ||
        day > days_in_month(year, mon) || hour < 0 || hour > 23 || min < 0 || min > 59 ||
        sec < 0 || sec > 60)
        return -1;
    if (sec == 60)  /* a leap second: keep the day, stay inside it */
        sec = 59;
    char tmp[64];  /* the compiler cannot see the ranges checked above */
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, mon, day, hour, min, sec);
    memcpy(out, tmp, INGEST_ISO_LEN);
    return 0;
}

int ingest_iso_from_time(int64_t t, char out[INGEST_ISO_LEN])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt != t || !gmtime_r(&tt, &tm))
        return -1;
    return ingest_iso_from_fields(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                  tm.tm_min, tm.tm_sec, out);
}

/* Reads exactly n digits at *s. */
static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

int ingest_parse_iso(const char *s, char out[INGEST_ISO_LEN])
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
        digits(&s, 2, &d))
        return -1;
    int offset = 0;  /* seconds east of UTC */
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi))
            return -1;
        if (*s == ':') {
            s++;
            if (digits(&s, 2, &se))
                return -1;
            if (*s == '.' || *s == ',') {
                s++;
                if (!isdigit((unsigned char)*s))
                    return -1;
                while (isdigit((unsigned char)*s))
                    s++;
            }
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int sign = *s++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&s, 2, &oh))
                return -1;
            if (*s == ':')
                s++;
            if (isdigit((unsigned char)*s) && digits(&s, 2, &om))
                return -1;
            if (oh > 23 || om > 59)
                return -1;
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (*s != '\0')
        return -1;
    if (ingest_iso_from_fields(y, mo, d, h, mi, se, out) != 0)
        return -1;
    if (offset == 0)
        return 0;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_sec = se > 59 ? 59 : se };
    return ingest_iso_from_time((int64_t)timegm(&tm) - offset, out);
}

int ingest_month(const char *s, size_t n)
{
    static const char *const names[12] = { "january", "february", "march", "april",
                                           "may", "june", "july", "august",
                                           "september", "october", "november", "december" };
    while (n && s[n - 1] == '.')
        n--;
    if (n < 3)
        return 0;
    for (int m = 0; m < 12; m++) {
        size_t full = strlen(names[m]);
        if (n <= full && strncasecmp(s, names[m], n) == 0)
            return m + 1;
    }
    return 0;
}

const char *ingest_find_ymd(const char *name, char out[INGEST_ISO_LEN])
{
    for (const char *p = name; *p; p++) {
        if (p > name && isdigit((unsigned char)p[-1]))
            continue;
        const char *q = p;
        int y, m, d;
        if (digits(&q, 4, &y) || *q++ != '-' || digits(&q, 2, &m) || *q++ != '-' ||
            digits(&q, 2, &d) || isdigit((unsigned char)*q))
            continue;
        if (ingest_iso_from_fields(y, m, d, 0, 0, 0, out) == 0)
            return p;
    }
    return NULL;
}

/* ---- formats ---- */

const char *ingest_format_name(ingest_format_t format)
{
    switch (format) {
    case INGEST_AUTO: return "auto";
    case INGEST_TEXT: return "text";
    case INGEST_REUTERS: return "reuters";
    case INGEST_JSONL: return "jsonl";
    case INGEST_TREC: return "trec";
    }
    return "unknown";
}

int ingest_format_parse(const char *name, ingest_format_t *out)
{
    static const ingest_format_t all[] = { INGEST_AUTO, INGEST_TEXT, INGEST_REUTERS,
                                           INGEST_JSONL, INGEST_TREC };
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++) {
        if (strcasecmp(name, ingest_format_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -1;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t l = strlen(suffix);
    return n >= l && strncasecmp(s + n - l, suffix, l) == 0;
}

static ingest_format_t format_by_name(const char *path)
{
    const char *b = base_name(path);
    size_t n = strlen(b);
    if (has_suffix(b, n, ".gz"))
        n -= 3;
    if (has_suffix(b, n, ".sgm"))
        return INGEST_REUTERS;
    if (has_suffix(b, n, ".jsonl") || has_suffix(b, n, ".ndjson") || has_suffix(b, n, ".json"))
        return INGEST_JSONL;
    if (has_suffix(b, n, ".trec"))
        return INGEST_TREC;
    if (has_suffix(b, n, ".txt"))
        return INGEST_TEXT;
    return INGEST_AUTO;
}

static ingest_format_t format_by_content(const char *s, size_t n)
{
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    while (n && (isspace((unsigned char)*s) || *s == '\0')) {
        s++;
        n--;
    }
    static const struct { const char *prefix; ingest_format_t format; } sniff[] = {
        { "<!DOCTYPE lewis", INGEST_REUTERS }, { "<REUTERS", INGEST_REUTERS },
        { "<DOC>", INGEST_TREC }, { "{", INGEST_JSONL },
    };
    for (size_t i = 0; i < sizeof sniff / sizeof sniff[0]; i++) {
        size_t l = strlen(sniff[i].prefix);
        if (n >= l && strncasecmp(s, sniff[i].prefix, l) == 0)
            return sniff[i].format;
    }
    return INGEST_TEXT;
}

/* ---- the reader ---- */

/* Why a file of this type is not read: "Is a directory", or what else it is. */
static const char *not_regular(mode_t mode)
{
    return S_ISDIR(mode) ? strerror(EISDIR)
           : S_ISFIFO(mode) ? "a FIFO, not a regular file; skipped"
           : S_ISSOCK(mode) ? "a socket, not a regular file; skipped"
           : S_ISCHR(mode) ? "a character device, not a regular file; skipped"
           : S_ISBLK(mode) ? "a block device, not a regular file; skipped"
                           : "not a regular file; skipped";
}

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

ingest_reader_t *ingest_open(const ingest_source_t *src, char *err, size_t errlen)
{
    if (!src || !src->path) {
        errf(err, errlen, "ingest_open: no path");
        return NULL;
    }
    const char *path = src->path;
    /* Only regular files: opening a FIFO waits for a writer, reading a device may never
     * end.  Checked before the open (which may itself block or act on a device), and
     * again on what was opened, in case the path changed in between. */
    struct stat st;
    if (stat(path, &st) != 0) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        errf(err, errlen, "%s: %s", path, not_regular(st.st_mode));
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL);
    int bad = fstat(fd, &st) != 0 ? errno
              : flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ? errno : 0;
    if (bad || !S_ISREG(st.st_mode)) {
        errf(err, errlen, "%s: %s", path, bad ? strerror(bad) : not_regular(st.st_mode));
        close(fd);
        return NULL;
    }
    ingest_reader_t *r = calloc(1, sizeof *r);
    if (r) {
        r->path = strdup(path);
        r->id = strdup(src->id ? src->id : base_name(path));
        r->source = src->source ? strdup(src->source) : NULL;
        r->chunk = malloc(INGEST_CHUNK);
    }
    if (!r || !r->path || !r->id || (src->source && !r->source) || !r->chunk) {
        errf(err, errlen, "%s: out of memory", path);
        close(fd);
        ingest_close(r);
        return NULL;
    }
    memset(r->chunk, '\n', INGEST_CHUNK);
    r->mtime = (int64_t)st.st_mtime;
    r->max_bytes = src->max_bytes ? src->max_bytes : NEWSD_MAX_FILE_BYTES;
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        errf(err, errlen, "%s: cannot start reading (out of memory)", path);
        close(fd);
        ingest_close(r);
        return NULL;
    }
    gzbuffer(r->gz, INGEST_GZ_BUFFER);
    r->format = src->format != INGEST_AUTO ? src->format : format_by_name(path);
    if (r->format == INGEST_AUTO) {
        char head[INGEST_SNIFF_BYTES];
        int n = gzread(r->gz, head, sizeof head);
        r->format = format_by_content(head, n > 0 ? (size_t)n : 0);
        if (gzrewind(r->gz) != 0) {
            /* gzrewind refuses after a data error: the stream's start is already corrupt */
            int errnum = Z_OK;
            const char *msg = gz_reason(r->gz, &errnum);
            if (n < 0 && errnum != Z_OK && errnum != Z_ERRNO)
                errf(err, errlen, "%s: corrupt gzip data: %s", path, msg);
            else if (n < 0 && errnum == Z_ERRNO)
                errf(err, errlen, "%s: %s", path, strerror(errno));
            else
                errf(err, errlen, "%s: cannot rewind after looking at its first bytes", path);
            ingest_close(r);
            return NULL;
        }
    }
    return r;
}

ingest_result_t ingest_next(ingest_reader_t *r, newsidx_doc_t *doc)
{
    if (!r || !doc)
        return INGEST_FAIL;
    memset(doc, 0, sizeof *doc);
    if (r->state == INGEST_STATE_FAILED)
        return INGEST_FAIL;
    r->err[0] = '\0';
    if (r->state == INGEST_STATE_EOF)
        return INGEST_EOF;
    ingest_buf_t *bufs[] = { &r->id_buf, &r->title, &r->body, &r->date, &r->src_buf, &r->url };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        ingest_buf_clear(bufs[i]);
    r->topics.n = r->places.n = 0;

    int res;
    switch (r->format) {
    case INGEST_REUTERS: res = ingest_reuters_next(r, doc); break;
    case INGEST_JSONL: res = ingest_jsonl_next(r, doc); break;
    case INGEST_TREC: res = ingest_trec_next(r, doc); break;
    default: res = ingest_text_next(r, doc); break;
    }
    if (res == INGEST_FAIL)
        r->state = INGEST_STATE_FAILED;
    else if (res == INGEST_EOF)
        r->state = INGEST_STATE_EOF;
    if (res != INGEST_DOC)
        memset(doc, 0, sizeof *doc);
    if (res == INGEST_DOC && r->format != INGEST_JSONL) {  /* JSON fills its own */
        doc->topics = r->topics.n ? r->topics.ptr : NULL;
        doc->ntopics = r->topics.n;
        doc->places = r->places.n ? r->places.ptr : NULL;
        doc->nplaces = r->places.n;
    }
    return (ingest_result_t)res;
}

const char *ingest_error(const ingest_reader_t *r)
{
    return r ? r->err : "";
}

ingest_format_t ingest_reader_format(const ingest_reader_t *r)
{
    return r ? r->format : INGEST_AUTO;
}

uint64_t ingest_bytes_read(const ingest_reader_t *r)
{
    return r ? r->bytes : 0;
}

void ingest_close(ingest_reader_t *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose(r->gz);
    ingest_buf_t *bufs[] = { &r->line, &r->rec, &r->scratch, &r->scratch2, &r->id_buf,
                             &r->title, &r->body, &r->date, &r->src_buf, &r->url };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        ingest_buf_free(bufs[i]);
    ingest_article_free(r->article);
    free(r->chunk);
    free(r->path);
    free(r->id);
    free(r->source);
    free(r);
}

/* ---- walking folders ---- */

typedef struct walk_key {
    dev_t dev;
    ino_t ino;
    size_t index;   /* position in the list */
} walk_key_t;

typedef struct walk {
    ingest_filelist_t *list;
    walk_key_t *keys;   /* parallel to list->files */
    const char *const *include, *const *exclude;
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
    unsigned *errors;
} walk_t;

static void walk_warn_msg(walk_t *w, const char *path, const char *why)
{
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "%s: %s", path, why);
    if (w->warn)
        w->warn(w->ctx, msg);
    if (w->errors)
        (*w->errors)++;
}

static void walk_warn(walk_t *w, const char *path, int err)
{
    walk_warn_msg(w, path, strerror(err));
}

static int glob_any(const char *const *globs, const char *name)
{
    for (size_t i = 0; globs && globs[i]; i++)
        if (fnmatch(globs[i], name, 0) == 0)
            return 1;
    return 0;
}

static int wanted(const walk_t *w, const char *name)
{
    if (w->include && w->include[0] && !glob_any(w->include, name))
        return 0;
    return !glob_any(w->exclude, name);
}

/* Files a folder walk never lists: the corpora's own documentation and hidden files. */
static int skipped_name(const char *name)
{
    return name[0] == '.' || fnmatch("README*", name, FNM_CASEFOLD) == 0 ||
           fnmatch("LICENSE*", name, FNM_CASEFOLD) == 0 ||
           fnmatch("*.dtd", name, FNM_CASEFOLD) == 0;
}

static int walk_add(walk_t *w, const char *path, const char *id, const struct stat *st)
{
    ingest_filelist_t *l = w->list;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ingest_file_t *f = realloc(l->files, cap * sizeof *f);
        if (!f)
            return -1;
        l->files = f;
        walk_key_t *k = realloc(w->keys, cap * sizeof *k);
        if (!k)
            return -1;
        w->keys = k;
        l->cap = cap;
    }
    ingest_file_t *f = &l->files[l->n];
    f->path = strdup(path);
    f->id = strdup(id);
    if (!f->path || !f->id) {
        free(f->path);
        free(f->id);
        return -1;
    }
    f->size = (uint64_t)st->st_size;
    f->mtime = (int64_t)st->st_mtime;
    w->keys[l->n] = (walk_key_t){ st->st_dev, st->st_ino, l->n };
    l->n++;
    return 0;
}

static int by_name(const FTSENT **a, const FTSENT **b)
{
    return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* The name a folder contributes to ids: its base name, or its real path's for "." etc. */
static char *folder_label(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    char *copy = strndup(path, n);
    if (!copy)
        return NULL;
    const char *b = base_name(copy);
    if (strcmp(b, ".") != 0 && strcmp(b, "..") != 0 && *b) {
        char *label = strdup(b);
        free(copy);
        return label;
    }
    char *real = realpath(copy, NULL);
    free(copy);
    if (!real)
        return strdup("");
    char *label = strdup(base_name(real));
    free(real);
    return label;
}

static int walk_folder(walk_t *w, const char *root)
{
    char *label = folder_label(root);
    if (!label)
        return -1;
    size_t rootlen = strlen(root);
    while (rootlen > 0 && root[rootlen - 1] == '/')
        rootlen--;
    char *roots[2] = { (char *)root, NULL };
    FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW, by_name);
    if (!fts) {
        walk_warn(w, root, errno);
        free(label);
        return 0;
    }
    int rc = 0;
    FTSENT *e;
    while (rc == 0 && (e = fts_read(fts)) != NULL) {
        if (e->fts_level == 0)
            continue;
        switch (e->fts_info) {
        case FTS_D:
            if (e->fts_name[0] == '.')
                fts_set(fts, e, FTS_SKIP);
            break;
        case FTS_F: {
            if (skipped_name(e->fts_name) || !wanted(w, e->fts_name))
                break;
            const char *rel = e->fts_path + rootlen;
            while (*rel == '/')
                rel++;
            size_t idlen = strlen(label) + 1 + strlen(rel) + 1;
            char *id = malloc(idlen);
            if (!id) {
                rc = -1;
                break;
            }
            snprintf(id, idlen, "%s%s%s", label, *label ? "/" : "", rel);
            rc = walk_add(w, e->fts_path, id, e->fts_statp);
            free(id);
            break;
        }
        case FTS_DNR:
        case FTS_ERR:
        case FTS_NS:
            walk_warn(w, e->fts_path, e->fts_errno);
            break;
        case FTS_DEFAULT:  /* FIFOs, sockets, devices */
            if (!skipped_name(e->fts_name) && wanted(w, e->fts_name))
                walk_warn_msg(w, e->fts_path, not_regular(e->fts_statp->st_mode));
            break;
        default:  /* symlinks inside folders, cycles, post-order dirs */
            break;
        }
    }
    fts_close(fts);
    free(label);
    return rc;
}

static int by_key(const void *a, const void *b)
{
    const walk_key_t *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Drops every file whose dev/ino appeared earlier in the list, keeping the order. */
static int dedupe(walk_t *w)
{
    ingest_filelist_t *l = w->list;
    if (l->n < 2)
        return 0;
    walk_key_t *sorted = malloc(l->n * sizeof *sorted);
    char *drop = calloc(l->n, 1);
    if (!sorted || !drop) {
        free(sorted);
        free(drop);
        return -1;
    }
    memcpy(sorted, w->keys, l->n * sizeof *sorted);
    qsort(sorted, l->n, sizeof *sorted, by_key);
    for (size_t i = 1; i < l->n; i++)
        if (sorted[i].dev == sorted[i - 1].dev && sorted[i].ino == sorted[i - 1].ino)
            drop[sorted[i].index] = 1;
    size_t out = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (drop[i]) {
            free(l->files[i].path);
            free(l->files[i].id);
        } else {
            l->files[out++] = l->files[i];
        }
    }
    l->n = out;
    free(sorted);
    free(drop);
    return 0;
}

int ingest_walk(const char *const *paths, size_t npaths, const char *const *include,
                const char *const *exclude, ingest_filelist_t *list,
                void (*warn)(void *ctx, const char *msg), void *ctx, unsigned *errors)
{
    walk_t w = { .list = list, .include = include, .exclude = exclude, .warn = warn,
                 .ctx = ctx, .errors = errors };
    int rc = 0;
    /* files already listed by an earlier call take part in the dedupe */
    if (list->cap) {
        w.keys = calloc(list->cap, sizeof *w.keys);
        if (!w.keys)
            return -1;
        for (size_t i = 0; i < list->n; i++) {
            struct stat st;
            w.keys[i] = (walk_key_t){ 0, 0, i };
            if (stat(list->files[i].path, &st) == 0) {
                w.keys[i].dev = st.st_dev;
                w.keys[i].ino = st.st_ino;
            } else {
                w.keys[i].ino = (ino_t)-1 - i;  /* unique: never matches a real file */
            }
        }
    }
    for (size_t i = 0; rc == 0 && i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            walk_warn(&w, paths[i], errno);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk_folder(&w, paths[i]);
        } else if (!S_ISREG(st.st_mode)) {
            walk_warn_msg(&w, paths[i], not_regular(st.st_mode));
        } else if (wanted(&w, base_name(paths[i]))) {
            rc = walk_add(&w, paths[i], base_name(paths[i]), &st);
        }
    }
    if (rc == 0)
        rc = dedupe(&w);
    free(w.keys);
    return rc;
}

void ingest_filelist_free(ingest_filelist_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++) {
        free(list->files[i].path);
        free(list->files[i].id);
    }
    free(list->files);
    list->files = NULL;
    list->n = list->cap = 0;
}
