/*
 * fuzz_query.c: query strings and search options into the index shim (daemon/index/query.cc
 * and reader.cc: Xapian's query parser with the shim's prefixes and wildcard cap, date and
 * tag filters, sorting by date, snippets with highlight markers, newsidx_count and
 * newsidx_get) on a small index built once from real documents (fuzz_index).
 *
 * Input: FUZZ_QUERY_HEADER bytes of numeric options, then newline-separated fields: the
 * query, since, until, source, topic, highlight start, highlight end (absent or empty:
 * NULL, i.e. no filter / the default).  Byte 0: bits 0-1 sort (3 is no sort order), bit 2
 * snippets, bit 3 exact total; byte 1: limit; byte 2: offset (the top values reach past
 * the limits); byte 3: snippet length in steps of FUZZ_SNIPPET_STEP bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "newsd_limits.h"
#include "utf8.h"

/* Bytes of numeric options before the fields. */
#define FUZZ_QUERY_HEADER 4
/* Fields after the header: query, since, until, source, topic, hi_start, hi_end. */
#define FUZZ_QUERY_FIELDS 7
/* Offsets reached by byte 2 below this value are small (paging through the few hits). */
#define FUZZ_OFFSET_SMALL 250
/* Snippet length per unit of byte 3: 255 units reach past NEWSD_MAX_SNIPPET_LEN. */
#define FUZZ_SNIPPET_STEP 20

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static newsidx_reader_t *reader;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    reader = fuzz_index(NULL);
    return 0;
}

static int ok_status(newsidx_status_t st)
{
    return st == NEWSIDX_OK || st == NEWSIDX_TIMEOUT || st == NEWSIDX_BAD_QUERY ||
           st == NEWSIDX_BAD_ARGUMENT;
}

static int utf8(const char *s)
{
    return !s || utf8_valid(s, strlen(s));
}

static void check_results(const newsidx_results_t *res, const newsidx_search_opts_t *o,
                          int markers_utf8)
{
    size_t n = newsidx_results_count(res);
    uint64_t total = newsidx_results_total(res);
    if (n > o->limit)
        FUZZ_FAIL("%zu hits for limit %u", n, o->limit);
    if (newsidx_results_hit(res, n) != NULL)
        FUZZ_FAIL("a hit past the last");
    if (newsidx_results_total_exact(res) && n && total < (uint64_t)o->offset + n)
        FUZZ_FAIL("exact total %llu, below offset %u + %zu hits", (unsigned long long)total,
                  o->offset, n);
    if (total > fuzz_index_docs())
        FUZZ_FAIL("total %llu, more than the %llu documents", (unsigned long long)total,
                  (unsigned long long)fuzz_index_docs());
    const char *prev_date = NULL;
    for (size_t i = 0; i < n; i++) {
        const newsidx_hit_t *h = newsidx_results_hit(res, i);
        if (!h)
            FUZZ_FAIL("hit %zu of %zu is NULL", i, n);
        if (h->rank != o->offset + i + 1)
            FUZZ_FAIL("hit %zu has rank %u at offset %u", i, h->rank, o->offset);
        const char *s[] = { h->id, h->title, h->date, h->source, h->url, h->snippet };
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            if (!s[k])
                FUZZ_FAIL("hit %zu has a NULL string (%zu)", i, k);
        if (!*h->id)
            FUZZ_FAIL("hit %zu has no id", i);
        if (!o->snippets && *h->snippet)
            FUZZ_FAIL("a snippet nobody asked for");
        if (markers_utf8 && !utf8(h->snippet))
            FUZZ_FAIL("snippet of %s is not valid UTF-8", h->id);
        if (*h->date && prev_date && *prev_date &&
            ((o->sort == NEWSIDX_SORT_DATE && strcmp(prev_date, h->date) < 0) ||
             (o->sort == NEWSIDX_SORT_DATE_ASC && strcmp(prev_date, h->date) > 0)))
            FUZZ_FAIL("sorted by date, yet %s comes before %s", prev_date, h->date);
        prev_date = h->date;
    }
    if (n) {
        /* every hit can be fetched by its id */
        newsidx_doc_t *doc = NULL;
        const char *id = newsidx_results_hit(res, 0)->id;
        newsidx_status_t st = newsidx_get(reader, id, &doc);
        if (st != NEWSIDX_OK || !doc || strcmp(doc->id, id) != 0)
            FUZZ_FAIL("GET %s after finding it: %s", id, newsidx_status_name(st));
        newsidx_doc_free(doc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t head[FUZZ_QUERY_HEADER] = { 0 };
    size_t hn = size < FUZZ_QUERY_HEADER ? size : FUZZ_QUERY_HEADER;
    memcpy(head, data, hn);
    data += hn;
    size -= hn;

    /* the fields; a NUL byte ends a field's C string early, as it would in any caller */
    char *field[FUZZ_QUERY_FIELDS] = { 0 };
    for (int i = 0; i < FUZZ_QUERY_FIELDS; i++) {
        const uint8_t *nl = size ? memchr(data, '\n', size) : NULL;
        size_t n = nl ? (size_t)(nl - data) : size;
        if (i == 0 || n)
            field[i] = strndup((const char *)data, n);
        if (!nl)
            break;
        data = nl + 1;
        size -= n + 1;
    }
    const char *query = field[0] ? field[0] : "";

    newsidx_search_opts_t o;
    newsidx_search_opts_init(&o);
    o.sort = (newsidx_sort_t)(head[0] & 3);
    o.snippets = (head[0] >> 2) & 1 ? ((head[0] >> 4) & 1 ? NEWSIDX_SNIPPET_BEST : NEWSIDX_SNIPPET_FIRST) : NEWSIDX_SNIPPET_NONE;
    o.exact_total = (head[0] >> 3) & 1;
    o.limit = head[1] % (NEWSD_MAX_LIMIT + 2);
    o.offset = head[2] < FUZZ_OFFSET_SMALL ? head[2] % 20u
                                           : NEWSD_MAX_OFFSET - 2u + (head[2] - FUZZ_OFFSET_SMALL);
    o.snippet_len = head[3] * (unsigned)FUZZ_SNIPPET_STEP;
    o.since = field[1];
    o.until = field[2];
    o.source = field[3];
    o.topic = field[4];
    if (field[5])
        o.hi_start = field[5];
    if (field[6])
        o.hi_end = field[6];
    int out_of_range = o.limit > NEWSD_MAX_LIMIT || o.offset > NEWSD_MAX_OFFSET ||
                       o.snippet_len > NEWSD_MAX_SNIPPET_LEN || o.sort > NEWSIDX_SORT_DATE_ASC;

    newsidx_results_t *res = NULL;
    newsidx_status_t st = newsidx_search(reader, query, &o, &res);
    if (!ok_status(st))
        FUZZ_FAIL("search [%s]: %s: %s", query, newsidx_status_name(st),
                  newsidx_reader_error(reader));
    if (out_of_range && st != NEWSIDX_BAD_ARGUMENT)
        FUZZ_FAIL("options out of range gave %s, not bad_argument", newsidx_status_name(st));
    if ((st == NEWSIDX_OK || st == NEWSIDX_TIMEOUT) != (res != NULL))
        FUZZ_FAIL("search gave %s with results %p", newsidx_status_name(st), (void *)res);
    if (st != NEWSIDX_OK && !*newsidx_reader_error(reader))
        FUZZ_FAIL("search failed (%s) without a message", newsidx_status_name(st));
    if (res)
        check_results(res, &o, utf8(o.hi_start) && utf8(o.hi_end));

    uint64_t count = 0;
    newsidx_status_t cst = newsidx_count(reader, query, &o, &count);
    if (!ok_status(cst))
        FUZZ_FAIL("count [%s]: %s: %s", query, newsidx_status_name(cst),
                  newsidx_reader_error(reader));
    /* the same query and filters: an exact total must agree with the count */
    if (st == NEWSIDX_OK && cst == NEWSIDX_OK && newsidx_results_total_exact(res) &&
        newsidx_results_total(res) != count)
        FUZZ_FAIL("search total %llu, count %llu", (unsigned long long)newsidx_results_total(res),
                  (unsigned long long)count);
    newsidx_results_destroy(res);
    for (int i = 0; i < FUZZ_QUERY_FIELDS; i++)
        free(field[i]);
    return 0;
}
