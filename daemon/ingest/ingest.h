/*
 * ingest.h: the corpus readers.  They turn files of news (plain text, Reuters-21578
 * SGML, JSON Lines, TREC SGML; each plain or gzip-compressed) into newsidx_doc_t
 * records, one at a time, streaming: a file is never loaded whole.
 *
 * A reader owns one open file.  ingest_next fills a newsidx_doc_t whose strings belong
 * to the reader and stay valid until the next ingest_next or ingest_close.  Text is
 * always valid UTF-8 without control characters (files that are not UTF-8 are read as
 * Latin-1; control characters become spaces).
 *
 * The walker (ingest_walk_*) expands the paths named on a command line into a sorted list
 * of files, skipping README*, LICENSE*, *.dtd and hidden files, and applying --include /
 * --exclude globs.  Anything that is neither a regular file nor a folder (a FIFO, socket
 * or device) is left out with a warning.
 */
#ifndef NEWSD_INGEST_H
#define NEWSD_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "newsidx.h"

typedef enum ingest_format {
    INGEST_AUTO = 0,   /* decide by extension, then by the first bytes */
    INGEST_TEXT,       /* title line, blank line, body */
    INGEST_REUTERS,    /* Reuters-21578 SGML */
    INGEST_JSONL,      /* one JSON object per line */
    INGEST_TREC        /* <DOC><DOCNO>..</DOCNO>..<TEXT>..</TEXT></DOC> */
} ingest_format_t;

/* "text", "reuters", "jsonl", "trec" (or "auto"). */
const char *ingest_format_name(ingest_format_t format);
/* Parses a format name; returns -1 when unknown. */
int ingest_format_parse(const char *name, ingest_format_t *out);

typedef enum ingest_result {
    INGEST_DOC = 1,        /* *doc holds the next record */
    INGEST_EOF = 0,        /* no more records */
    INGEST_SKIP = -1,      /* a malformed record was skipped; ingest_error says where and why;
                              call ingest_next again for the next one */
    INGEST_FAIL = -2       /* the file cannot be read further (truncated gzip, I/O error,
                              over-long record); ingest_error says why; close it */
} ingest_result_t;

typedef struct ingest_reader ingest_reader_t;

/* Where a file sits, for ids and defaults. */
typedef struct ingest_source {
    const char *path;        /* the file to open */
    const char *id;          /* document id for single-document formats (plain text):
                                see ingest_walk; NULL: the file's base name */
    const char *source;      /* default source (outlet) when the record names none;
                                NULL: derived as newsindex(8), "INPUT FORMATS" says */
    ingest_format_t format;  /* INGEST_AUTO unless forced */
    uint64_t max_bytes;      /* bytes read (decompressed) before the file is given up
                                (INGEST_FAIL); 0: NEWSD_MAX_FILE_BYTES */
} ingest_source_t;

/*
 * Opens src->path, which must be a regular file (FIFOs, sockets and devices are refused
 * without blocking).  On failure returns NULL and writes a message to err (errlen bytes).
 * The reader copies what it needs from src.
 */
ingest_reader_t *ingest_open(const ingest_source_t *src, char *err, size_t errlen);

/* Reads the next record into *doc (see ingest_result_t). */
ingest_result_t ingest_next(ingest_reader_t *reader, newsidx_doc_t *doc);

/* "path:line: reason" for the last INGEST_SKIP or INGEST_FAIL; "" otherwise.  Owned by
 * the reader. */
const char *ingest_error(const ingest_reader_t *reader);

/* The format the reader decided on. */
ingest_format_t ingest_reader_format(const ingest_reader_t *reader);

/* Bytes of (uncompressed) input consumed so far. */
uint64_t ingest_bytes_read(const ingest_reader_t *reader);

void ingest_close(ingest_reader_t *reader);

/* ---- one JSON article (JSON Lines records, and the daemon's ADD) ---- */

/* The buffers a parsed article lives in, reusable from one parse to the next. */
typedef struct ingest_article ingest_article_t;

/* NULL when out of memory. */
ingest_article_t *ingest_article_new(void);
void ingest_article_free(ingest_article_t *article);

/*
 * Parses one JSON object (line[0..len), no line end needed) into *doc, exactly as the JSON
 * Lines reader reads a record: keys id, title, body|text, date, source, url, topics,
 * places (newsindex(8), "INPUT FORMATS").  default_source (may be NULL) is used when the record
 * names none.  Returns 0 with *doc pointing into article (valid until the next parse or
 * ingest_article_free); -1 when the record is malformed, or INGEST_FAIL when out of
 * memory, with the reason (e.g. "no \"id\"") in err.
 */
int ingest_jsonl_parse(ingest_article_t *article, const char *line, size_t len,
                       const char *default_source, newsidx_doc_t *doc, char *err,
                       size_t errlen);

/* ---- walking folders ---- */

typedef struct ingest_file {
    char *path;      /* path to open */
    char *id;        /* document id for a plain-text file: the path relative to the folder
                        named on the command line, prefixed with that folder's name
                        ("bbc/business/001.txt"); a file named directly: its base name */
    uint64_t size;   /* bytes on disk */
    int64_t mtime;   /* seconds since the epoch */
} ingest_file_t;

typedef struct ingest_filelist {
    ingest_file_t *files;
    size_t n;
    size_t cap;
} ingest_filelist_t;

/*
 * Appends the files under each of paths[0..npaths) to list, in a stable order (paths
 * in the given order, folders walked in byte order of names).  include/exclude are
 * NULL-terminated arrays of fnmatch globs matched against the base name (NULL: none;
 * a file must match some include glob if any is given, and no exclude glob).  A path
 * that does not exist or cannot be read, and anything that is neither a regular file nor
 * a folder, is reported through warn (may be NULL) and counted in *errors; the rest go on.  The same file named twice is listed once.
 * Returns 0, or -1 on allocation failure.
 */
int ingest_walk(const char *const *paths, size_t npaths, const char *const *include,
                const char *const *exclude, ingest_filelist_t *list,
                void (*warn)(void *ctx, const char *msg), void *ctx, unsigned *errors);

void ingest_filelist_free(ingest_filelist_t *list);

#endif
