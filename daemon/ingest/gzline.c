/*
 * gzline.c: a reader's input, one line at a time.  Files are read through zlib's gz*
 * API (gzdopen reads plain files transparently, so .gz and plain take one path) with
 * gzgets, keeping count of bytes and line numbers, telling a truncated gzip stream from a
 * clean end, and enforcing the byte caps: a line over NEWSD_MAX_RECORD_BYTES, a file over
 * its byte cap or expanding more than NEWSD_MAX_GZ_RATIO times.  It also owns how a
 * reader reports a failure: "path:line: reason" in r->err.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ingest_internal.h"

/* ---- failures ---- */

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

/* zlib's message for the last error, without the "<fd:N>: " gzdopen puts before it (the
 * caller names the file). */
const char *ingest_gz_reason(gzFile gz, int *errnum)
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

/*
 * gzgets NUL-terminates what it read but cannot say how much that was when the data
 * itself holds NUL bytes.  The chunk is therefore kept filled with '\n' outside what was
 * just read: the last NUL in it is gzgets' terminator.
 */
int ingest_read_line(ingest_reader_t *r)
{
    ingest_buf_clear(&r->line);
    r->line_raw = 0;
    if (r->state == INGEST_STATE_FAILED)
        return INGEST_FAIL;
    for (;;) {
        if (!gzgets(r->gz, r->chunk, INGEST_CHUNK)) {
            int errnum = Z_OK;
            const char *msg = ingest_gz_reason(r->gz, &errnum);
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
