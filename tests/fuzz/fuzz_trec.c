/*
 * fuzz_trec.c: the TREC SGML reader (daemon/ingest/ingest_trec.c), with the
 * shared SGML element reader and entity decoding in daemon/ingest/ingest.c.  The input is the
 * file; every record read must keep the promises fuzz_check_doc checks.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read_all(fuzz_write_file("fuzz.trec", data, size), NULL, INGEST_TREC);
    return 0;
}
