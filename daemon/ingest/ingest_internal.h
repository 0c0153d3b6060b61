/*
 * ingest_internal.h: what the corpus readers share and nothing outside them sees: the
 * reader struct, and the shared pieces each format's reader (ingest_<format>.c) fills its
 * record through.  Each section names the file that owns it: buf.c (growable buffers),
 * gzline.c (lines of plain or gzip files, byte caps, failures), clean.c (UTF-8 or
 * Latin-1, control characters, entities, trimming and cutting), sgml.c (elements and
 * attributes), dates.c (dates), sniff.c (file types and formats, for ingest.c and
 * walk.c).  None of these calls back into ingest.c or a reader.
 */
#ifndef NEWSD_INGEST_INTERNAL_H
#define NEWSD_INGEST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <zlib.h>

#include "ingest.h"
#include "newsd_limits.h"

/* Bytes looked at to recognise a file's format by its content. */
#define INGEST_SNIFF_BYTES 512
/* Bytes handed to one gzgets call; longer lines are read in several pieces. */
#define INGEST_CHUNK 8192
/* zlib's internal input/output buffer size for each open file. */
#define INGEST_GZ_BUFFER (128u * 1024u)
/* Room for "path:line: reason" messages. */
#define INGEST_ERR_LEN 1024
/* ISO 8601 UTC "YYYY-MM-DDThh:mm:ssZ" plus its NUL. */
#define INGEST_ISO_LEN 21

/* ---- buffers (buf.c) ---- */

/* A growable byte buffer, always NUL-terminated once anything was put in it. */
typedef struct ingest_buf {
    char *p;
    size_t len;
    size_t cap;
} ingest_buf_t;

int ingest_buf_reserve(ingest_buf_t *b, size_t extra);
int ingest_buf_append(ingest_buf_t *b, const char *s, size_t n);
int ingest_buf_putc(ingest_buf_t *b, char c);
void ingest_buf_clear(ingest_buf_t *b);
/* The contents as a C string ("" for an untouched buffer). */
const char *ingest_buf_str(ingest_buf_t *b);
void ingest_buf_free(ingest_buf_t *b);

/* ---- the reader (ingest.c) ---- */

/* A list of topics or places, each capped at NEWSD_MAX_TAG_LEN, at most NEWSD_MAX_TOPICS. */
typedef struct ingest_tags {
    char store[NEWSD_MAX_TOPICS][NEWSD_MAX_TAG_LEN + 1];
    const char *ptr[NEWSD_MAX_TOPICS];
    size_t n;
} ingest_tags_t;

enum { INGEST_STATE_OPEN = 0, INGEST_STATE_EOF, INGEST_STATE_FAILED };

struct ingest_reader {
    gzFile gz;
    char *path;
    char *id;                 /* src->id or the base name of path */
    char *source;             /* src->source, or NULL */
    ingest_format_t format;
    int64_t mtime;
    uint64_t bytes;           /* uncompressed bytes consumed */
    uint64_t max_bytes;       /* ... at most (src->max_bytes or NEWSD_MAX_FILE_BYTES) */
    unsigned long line_no;    /* lines consumed so far */
    int state;                /* INGEST_STATE_* */
    char *chunk;              /* INGEST_CHUNK bytes, pre-filled with '\n' (gzline.c) */
    ingest_buf_t line;        /* the last line read, NULs removed, '\n' kept */
    uint64_t line_raw;        /* bytes that line took in the (uncompressed) file */
    char err[INGEST_ERR_LEN];

    /* the record being built; the newsidx_doc_t handed out points in here */
    ingest_buf_t rec, scratch, scratch2;
    ingest_buf_t id_buf, title, body, date, src_buf, url;
    ingest_tags_t topics, places;
    int text_done;            /* plain text: the one document was delivered */
    int reuse_line;           /* SGML: r->line starts the next record; do not read */
    ingest_article_t *article; /* JSON Lines: the record's buffers (ingest_jsonl.c) */
};

/* ---- lines, caps and failures (gzline.c) ---- */

/* Reads one line into r->line.  Returns 1, 0 at end of file, or INGEST_FAIL (r->err set:
 * truncated gzip, I/O error, line over NEWSD_MAX_RECORD_BYTES counting its NUL bytes,
 * file over its byte cap or NEWSD_MAX_GZ_RATIO). */
int ingest_read_line(ingest_reader_t *r);

/* Formats "path:line: " + fmt into r->err; returns INGEST_SKIP or INGEST_FAIL as given. */
int ingest_fail(ingest_reader_t *r, int result, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same, for a record longer than NEWSD_MAX_RECORD_BYTES (always INGEST_FAIL). */
int ingest_too_long(ingest_reader_t *r, unsigned long line);
/* zlib's message for gz's last error (errnum as gzerror sets it), without gzdopen's
 * "<fd:N>: " prefix. */
const char *ingest_gz_reason(gzFile gz, int *errnum);

/* ---- text clean-up (clean.c) ---- */

/* s[0..n) as UTF-8: s itself when valid (utf8.h), else its Latin-1 reading converted
 * into scratch.  NULL on allocation failure. */
const char *ingest_as_utf8(ingest_buf_t *scratch, const char *s, size_t n, size_t *outlen);
/* Appends the UTF-8 encoding of code point cp (0 < cp <= 0x10FFFF, no surrogates). */
int ingest_put_utf8(ingest_buf_t *b, uint32_t cp);

enum {
    INGEST_CLEAN_ENTITIES = 1,     /* decode &lt; &gt; &amp; &quot; &apos; &#N; &#xN; */
    INGEST_CLEAN_SINGLE_LINE = 2,  /* newlines become spaces; whitespace runs collapse */
    INGEST_CLEAN_STRIP_TAGS = 4,   /* drop <...> markup (letters, '/' or '!' after '<') */
};
/*
 * Appends valid UTF-8 s[0..n) to out, cleaned: NUL and DEL dropped, CR LF and lone CR
 * become LF, other C0 and C1 controls (tab included) become spaces; leading and trailing
 * whitespace trimmed.  Returns -1 on allocation failure.
 */
int ingest_clean(ingest_buf_t *out, const char *s, size_t n, int flags);
/* Cuts b to at most max bytes at a UTF-8 boundary; with at_word, at the last space when
 * one lies in the second half. */
void ingest_cut(ingest_buf_t *b, size_t max, int at_word);
/* Cleans (see INGEST_CLEAN_*), trims, caps and appends one tag; empty ones are dropped. */
void ingest_tags_add(ingest_tags_t *t, const char *s, size_t n, int clean_flags);

/* ---- SGML (sgml.c; case-insensitive tag names) ---- */

/* Finds <name ...>...</name> in [s, end).  On success sets *open (the '<' of the opening
 * tag), *content and *content_end, *close_end (past "</name>") and returns 1. */
int ingest_find_element(const char *s, const char *end, const char *name, const char **open,
                        const char **content, const char **content_end,
                        const char **close_end);
/* Value of attribute name (quoted or bare) inside the tag starting at tag; copies it into
 * out (NUL-terminated, at most outlen-1 bytes).  Returns 1 if found. */
int ingest_tag_attr(const char *tag, const char *end, const char *name, char *out,
                    size_t outlen);
/* 1 when the line holds "<name" followed by '>' or whitespace; *at gets the '<'. */
int ingest_line_has_tag(const char *line, const char *name, const char **at);
/*
 * Collects into r->rec the next element <name ...> ... </name> of an SGML stream (the open
 * tag starts a line's content; text before it and after the close tag on their lines is
 * ignored).  *start gets the line of the open tag.  Returns 1, 0 at end of file,
 * INGEST_SKIP for an element not closed before end of file or before the next open tag
 * (that line then starts the next call), or INGEST_FAIL.  On 1, *text and *len are the
 * element as UTF-8 (each record checked on its own, Latin-1 when it is not valid UTF-8),
 * valid until the next read.
 */
int ingest_read_element(ingest_reader_t *r, const char *name, unsigned long *start,
                        const char **text, size_t *len);

/* ---- dates (dates.c) ---- */

/* Writes "YYYY-MM-DDThh:mm:ssZ" for t; returns -1 outside years 0..9999. */
int ingest_iso_from_time(int64_t t, char out[INGEST_ISO_LEN]);
/* Same from broken-down UTC fields; validates ranges (hour 0-23 etc.), -1 if invalid. */
int ingest_iso_from_fields(int year, int mon, int day, int hour, int min, int sec,
                           char out[INGEST_ISO_LEN]);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DD[T ]hh:mm[:ss[.frac]][Z|±hh[:]mm]" (no zone: UTC),
 * whole string, into UTC ISO.  Returns 0 or -1. */
int ingest_parse_iso(const char *s, char out[INGEST_ISO_LEN]);
/* 1..12 for a month name or abbreviation ("JAN", "February", "Sept."); 0 otherwise. */
int ingest_month(const char *s, size_t n);
/* Finds a valid YYYY-MM-DD inside name; returns a pointer to it (or NULL), day in out. */
const char *ingest_find_ymd(const char *name, char out[INGEST_ISO_LEN]);

/* ---- file types and formats (sniff.c) ---- */

/* The part of path after its last '/'. */
const char *ingest_base_name(const char *path);
/* Why a file of this type is not read: "Is a directory", or what else it is. */
const char *ingest_not_regular(mode_t mode);
/* The format a file's name says (".gz" looked through), or INGEST_AUTO. */
ingest_format_t ingest_format_by_name(const char *path);
/* The format s[0..n), a file's first bytes, looks like; INGEST_TEXT when none. */
ingest_format_t ingest_format_by_content(const char *s, size_t n);

#endif
