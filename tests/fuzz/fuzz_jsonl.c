/*
 * fuzz_jsonl.c: the JSON Lines reader (daemon/ingest/ingest_jsonl.c) and ingest_jsonl_parse, the
 * parser the daemon's ADD hands its argument to.  The input is read as a file, then given
 * whole to ingest_jsonl_parse twice with the same ingest_article_t: buffers reused from one
 * parse to the next must give the same document.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read_all(fuzz_write_file("fuzz.jsonl", data, size), NULL, INGEST_JSONL);

    ingest_article_t *a = ingest_article_new();
    if (!a)
        FUZZ_FAIL("ingest_article_new: out of memory");
    char err[256], *first_id = NULL;
    int first_rc = 0;
    for (int round = 0; round < 2; round++) {
        newsidx_doc_t doc;
        err[0] = '\0';
        int rc = ingest_jsonl_parse(a, (const char *)data, size, "fuzz", &doc, err, sizeof err);
        if (rc != 0 && rc != -1)
            FUZZ_FAIL("ingest_jsonl_parse returned %d", rc);
        if (rc != 0 && !err[0])
            FUZZ_FAIL("ingest_jsonl_parse failed without saying why");
        if (rc == 0) {
            fuzz_check_doc(&doc);
            if (!doc.source || !*doc.source)
                FUZZ_FAIL("a record without a source did not get the default");
        }
        if (round == 0) {
            first_rc = rc;
            if (rc == 0 && !(first_id = strdup(doc.id)))
                FUZZ_FAIL("out of memory");
        } else if (rc != first_rc || (rc == 0 && strcmp(doc.id, first_id) != 0)) {
            FUZZ_FAIL("parsing the same record twice gave different results");
        }
    }
    free(first_id);
    ingest_article_free(a);
    return 0;
}
