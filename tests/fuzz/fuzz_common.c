/*
 * fuzz_common.c: the helpers every fuzz target shares (see fuzz.h): a private temporary
 * folder the readers' input files are written to, the document checks, a whole-file read
 * through the reader API, and the small real index the query and proto targets search.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "fuzz.h"
#include "newsd_limits.h"
#include "utf8.h"

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: fuzz check failed: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/*
 * LeakSanitizer reads this at start-up (fuzz targets and the replay driver under
 * SANITIZE=1).  Xapian 1.4.22's query parser loses the window token of NEAR/n and ADJ/n
 * (2 x 96 bytes) on some malformed queries ("a OR NEAR/3 b", "a OR NEAR/3 topic:x"); that
 * leak is inside libxapian, not ours, and is documented in tests/README.md, "Fuzzing".  Only
 * leaks allocated directly by that function are ignored.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:Xapian::QueryParser::Internal::parse_query\n";
}

/* ---- temporary files ---- */

static char tmp_root[4096];
static pid_t tmp_owner;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void remove_tmpdir(void)
{
    /* only the process that made the folder removes it (replay forks a child per input) */
    if (tmp_root[0] && tmp_owner == getpid())
        nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_tmpdir(void)
{
    if (tmp_root[0])
        return tmp_root;
    /* /dev/shm keeps the per-input file writes off the disk when it exists */
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tmp_root, sizeof tmp_root, "%s/newsd-fuzz.XXXXXX", base);
    if (!mkdtemp(tmp_root))
        FUZZ_FAIL("cannot make a temporary folder under %s: %s", base, strerror(errno));
    char in[sizeof tmp_root + 8];
    snprintf(in, sizeof in, "%s/in", tmp_root);
    if (mkdir(in, 0700) != 0)
        FUZZ_FAIL("cannot make %s: %s", in, strerror(errno));
    tmp_owner = getpid();
    atexit(remove_tmpdir);
    return tmp_root;
}

static char file_path[8192];

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    snprintf(file_path, sizeof file_path, "%s/in/%s", fuzz_tmpdir(), name);
    FILE *f = fopen(file_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        FUZZ_FAIL("cannot write %s: %s", file_path, strerror(errno));
    return file_path;
}

const char *fuzz_write_gz(const char *name, const uint8_t *data, size_t size)
{
    snprintf(file_path, sizeof file_path, "%s/in/%s", fuzz_tmpdir(), name);
    gzFile gz = gzopen(file_path, "wb1");
    if (!gz)
        FUZZ_FAIL("cannot write %s: %s", file_path, strerror(errno));
    if (size && gzwrite(gz, data, (unsigned)size) != (int)size)
        FUZZ_FAIL("cannot compress into %s", file_path);
    if (gzclose(gz) != Z_OK)
        FUZZ_FAIL("cannot finish %s", file_path);
    return file_path;
}

/* ---- documents ---- */

/* An id: valid UTF-8 without C0 controls or DEL, as a request line may name it. */
static void check_id(const char *id)
{
    if (!id || !*id)
        FUZZ_FAIL("document without an id");
    size_t n = strlen(id);
    if (n > NEWSD_MAX_ID_LEN)
        FUZZ_FAIL("id of %zu bytes, over %d", n, NEWSD_MAX_ID_LEN);
    if (!utf8_valid(id, n))
        FUZZ_FAIL("id is not valid UTF-8");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7F)
            FUZZ_FAIL("id holds control character 0x%02x at byte %zu", (unsigned char)id[i], i);
}

/* A field a reader handed out: valid UTF-8, no control characters but those allowed. */
static void check_text(const char *what, const char *s, size_t max, int newlines_ok)
{
    if (!s)
        return;
    size_t n = strlen(s);
    if (max && n > max)
        FUZZ_FAIL("%s is %zu bytes, over %zu", what, n, max);
    if (!utf8_valid(s, n))
        FUZZ_FAIL("%s is not valid UTF-8", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 || c == 0x7F) && !(newlines_ok && c == '\n'))
            FUZZ_FAIL("%s holds control character 0x%02x at byte %zu", what, c, i);
        /* C1 controls, U+0080..U+009F, are cleaned too (ingest_clean) */
        if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9F)
            FUZZ_FAIL("%s holds C1 control U+%04X at byte %zu", what, (unsigned char)s[i + 1], i);
    }
}

static void check_tags(const char *what, const char *const *v, size_t n)
{
    if (n > NEWSD_MAX_TOPICS)
        FUZZ_FAIL("%zu %s, over %d", n, what, NEWSD_MAX_TOPICS);
    if (n && !v)
        FUZZ_FAIL("%zu %s but no array", n, what);
    for (size_t i = 0; i < n; i++) {
        if (!v[i] || !*v[i])
            FUZZ_FAIL("%s[%zu] is empty", what, i);
        check_text(what, v[i], NEWSD_MAX_TAG_LEN, 0);
    }
}

static void check_date(const char *date)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!date)
        return;
    if (strlen(date) != sizeof shape - 1)
        FUZZ_FAIL("date \"%s\" is not YYYY-MM-DDThh:mm:ssZ", date);
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? (date[i] < '0' || date[i] > '9') : date[i] != shape[i])
            FUZZ_FAIL("date \"%s\" is not YYYY-MM-DDThh:mm:ssZ", date);
}

void fuzz_check_doc(const newsidx_doc_t *doc)
{
    check_id(doc->id);
    check_text("title", doc->title, NEWSD_MAX_TITLE_LEN, 0);
    check_text("body", doc->body, NEWSD_MAX_RECORD_BYTES, 1);
    check_text("source", doc->source, 0, 0);
    check_text("url", doc->url, NEWSD_MAX_URL_LEN, 0);
    check_date(doc->date);
    check_tags("topics", doc->topics, doc->ntopics);
    check_tags("places", doc->places, doc->nplaces);
}

size_t fuzz_read_all(const char *path, const char *id, ingest_format_t format)
{
    char err[1024];
    ingest_source_t src = { .path = path, .id = id, .source = NULL, .format = format };
    ingest_reader_t *r = ingest_open(&src, err, sizeof err);
    if (!r) {
        /* only a gzip stream corrupt in its first bytes may fail the open, saying so */
        if (strstr(err, "corrupt gzip data: "))
            return 0;
        FUZZ_FAIL("ingest_open %s: %s", path, err);
    }
    if (format != INGEST_AUTO && ingest_reader_format(r) != format)
        FUZZ_FAIL("asked for format %s, the reader chose %s", ingest_format_name(format),
                  ingest_format_name(ingest_reader_format(r)));
    size_t docs = 0, calls = 0;
    for (;;) {
        newsidx_doc_t d;
        ingest_result_t res = ingest_next(r, &d);
        /* a record takes a line at least, and a line that ends one record may start the
         * next: more calls than that mean a reader that does not advance */
        if (++calls > 2 * ingest_bytes_read(r) + 2)
            FUZZ_FAIL("ingest_next called %zu times without reaching the end", calls);
        if (res == INGEST_EOF)
            break;
        if (res == INGEST_DOC) {
            if (ingest_error(r)[0])
                FUZZ_FAIL("a document came with an error message: %s", ingest_error(r));
            fuzz_check_doc(&d);
            docs++;
            continue;
        }
        if (!ingest_error(r)[0])
            FUZZ_FAIL("ingest_next returned %d without saying why", (int)res);
        if (res == INGEST_FAIL) {
            if (ingest_next(r, &d) != INGEST_FAIL)
                FUZZ_FAIL("a reader that failed went on reading");
            break;
        }
        if (res != INGEST_SKIP)
            FUZZ_FAIL("ingest_next returned %d", (int)res);
    }
    if (ingest_next(r, &(newsidx_doc_t){ 0 }) == INGEST_DOC)
        FUZZ_FAIL("a document after the end");
    ingest_close(r);
    return docs;
}

/* ---- the small index ---- */

static newsidx_reader_t *index_reader;
static char index_path[sizeof tmp_root + 16];
static uint64_t index_docs;

/* Real documents of every reader: Reuters SGML, JSON Lines, TREC, plain BBC texts. */
static const char *const index_inputs[] = {
    "tests/data/ingest/sample.sgm",   "tests/data/ingest/sample.jsonl",
    "tests/data/ingest/sample.trec",  "tests/data/newsd/feed.jsonl",
    "corpus/bbc/business/001.txt",    "corpus/bbc/business/002.txt",
    "corpus/bbc/entertainment/001.txt", "corpus/bbc/politics/001.txt",
    "corpus/bbc/sport/001.txt",       "corpus/bbc/tech/001.txt",
    "corpus/bbc/tech/002.txt",        "corpus/seed/duvar-2021-03-24-turkey-s400-done-deal.txt",
};

static void cleanup_index(void)
{
    newsidx_reader_close(index_reader);
    index_reader = NULL;
}

newsidx_reader_t *fuzz_index(const char **path)
{
    if (index_reader) {
        if (path)
            *path = index_path;
        return index_reader;
    }
    snprintf(index_path, sizeof index_path, "%s/index", fuzz_tmpdir());
    newsidx_writer_t *w = NULL;
    newsidx_status_t st = newsidx_writer_open(index_path, NEWSIDX_CREATE, &w);
    if (st != NEWSIDX_OK)
        FUZZ_FAIL("cannot create %s: %s", index_path, w ? newsidx_writer_error(w) : "");
    for (size_t i = 0; i < sizeof index_inputs / sizeof index_inputs[0]; i++) {
        char file[4096], err[1024];
        snprintf(file, sizeof file, "%s/%s", FUZZ_SRCDIR, index_inputs[i]);
        /* the text reader takes the id (and from it source and topic) as the walker would */
        const char *rel = strncmp(index_inputs[i], "corpus/", 7) == 0 ? index_inputs[i] + 7
                                                                      : NULL;
        ingest_source_t src = { .path = file, .id = rel, .format = INGEST_AUTO };
        ingest_reader_t *r = ingest_open(&src, err, sizeof err);
        if (!r)
            FUZZ_FAIL("%s", err);
        newsidx_doc_t d;
        ingest_result_t res;
        while ((res = ingest_next(r, &d)) != INGEST_EOF && res != INGEST_FAIL) {
            if (res != INGEST_DOC)
                continue;
            int replaced = 0;
            if (newsidx_writer_put(w, &d, &replaced) == NEWSIDX_OK && !replaced)
                index_docs++;
        }
        ingest_close(r);
    }
    if (newsidx_writer_close(w) != NEWSIDX_OK)
        FUZZ_FAIL("cannot commit the fuzz index");
    if (index_docs < 10)
        FUZZ_FAIL("only %llu documents in the fuzz index", (unsigned long long)index_docs);
    st = newsidx_reader_open(index_path, &index_reader);
    if (st != NEWSIDX_OK)
        FUZZ_FAIL("cannot open the fuzz index: %s", newsidx_reader_error(index_reader));
    atexit(cleanup_index);
    if (path)
        *path = index_path;
    return index_reader;
}

uint64_t fuzz_index_docs(void)
{
    return index_docs;
}
