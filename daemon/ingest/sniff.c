/*
 * sniff.c: what kind of file a path is: a regular file or something the readers refuse
 * (a folder, FIFO, socket, device), and which format it holds: by its name's extension
 * (a ".gz" looked through), else by its first non-blank bytes.  It also owns the format
 * names of the command line.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ingest_internal.h"

/* ---- format names ---- */

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

/* ---- what a file is ---- */

const char *ingest_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t l = strlen(suffix);
    return n >= l && strncasecmp(s + n - l, suffix, l) == 0;
}

ingest_format_t ingest_format_by_name(const char *path)
{
    const char *b = ingest_base_name(path);
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

ingest_format_t ingest_format_by_content(const char *s, size_t n)
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

/* Why a file of this type is not read: "Is a directory", or what else it is. */
const char *ingest_not_regular(mode_t mode)
{
    return S_ISDIR(mode) ? strerror(EISDIR)
           : S_ISFIFO(mode) ? "a FIFO, not a regular file; skipped"
           : S_ISSOCK(mode) ? "a socket, not a regular file; skipped"
           : S_ISCHR(mode) ? "a character device, not a regular file; skipped"
           : S_ISBLK(mode) ? "a block device, not a regular file; skipped"
                           : "not a regular file; skipped";
}
