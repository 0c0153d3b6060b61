/*
 * ingest.c: a reader's life: ingest_open checks that the path is a regular file, opens
 * it through zlib and decides the format (sniff.c); ingest_next resets the record's
 * buffers and hands over to the format's reader (readers.h), then keeps the reader's
 * state (open, at end, failed) and fills the tag lists; ingest_close frees it all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest_internal.h"
#include "readers.h"

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
        errf(err, errlen, "%s: %s", path, ingest_not_regular(st.st_mode));
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
        errf(err, errlen, "%s: %s", path, bad ? strerror(bad) : ingest_not_regular(st.st_mode));
        close(fd);
        return NULL;
    }
    ingest_reader_t *r = calloc(1, sizeof *r);
    if (r) {
        r->path = strdup(path);
        r->id = strdup(src->id ? src->id : ingest_base_name(path));
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
    r->format = src->format != INGEST_AUTO ? src->format : ingest_format_by_name(path);
    if (r->format == INGEST_AUTO) {
        char head[INGEST_SNIFF_BYTES];
        int n = gzread(r->gz, head, sizeof head);
        r->format = ingest_format_by_content(head, n > 0 ? (size_t)n : 0);
        if (gzrewind(r->gz) != 0) {
            /* gzrewind refuses after a data error: the stream's start is already corrupt */
            int errnum = Z_OK;
            const char *msg = ingest_gz_reason(r->gz, &errnum);
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

/* The record reader of a format; plain text for any other value. */
static ingest_next_fn reader_of(ingest_format_t format)
{
    static const ingest_next_fn by_format[] = {
        [INGEST_TEXT] = ingest_text_next,
        [INGEST_REUTERS] = ingest_reuters_next,
        [INGEST_JSONL] = ingest_jsonl_next,
        [INGEST_TREC] = ingest_trec_next,
    };
    size_t i = (size_t)format;
    return i < sizeof by_format / sizeof by_format[0] && by_format[i] ? by_format[i]
                                                                      : ingest_text_next;
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

    int res = reader_of(r->format)(r, doc);
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

