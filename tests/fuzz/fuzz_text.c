/*
 * fuzz_text.c: the plain-text reader (daemon/ingest/ingest_text.c).  The input is the file; when
 * a NUL byte comes within its first FUZZ_TEXT_NAME_MAX bytes, what precedes it is the
 * document id instead (as the walker gives it, "outlet/topic/2020-02-29-x.txt"), and the
 * file is named after its last part, so the source, topic and date taken from paths and
 * names are fuzzed too.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

/* Longest id taken from the input. */
#define FUZZ_TEXT_NAME_MAX 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char id[FUZZ_TEXT_NAME_MAX + 1] = "fuzz.txt";
    const uint8_t *nul = memchr(data, 0, size < FUZZ_TEXT_NAME_MAX ? size : FUZZ_TEXT_NAME_MAX);
    if (nul) {
        size_t n = (size_t)(nul - data);
        if (n) {
            memcpy(id, data, n);
            id[n] = '\0';
        }
        size -= n + 1;
        data = nul + 1;
    }
    /* the file's name: the id's last part, made safe ("." and ".." are folders) */
    const char *base = strrchr(id, '/') ? strrchr(id, '/') + 1 : id;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        base = "fuzz.txt";
    const char *path = fuzz_write_file(base, data, size);
    size_t docs = fuzz_read_all(path, id, INGEST_TEXT);
    if (docs > 1)
        FUZZ_FAIL("a plain-text file gave %zu documents", docs);
    return 0;
}
