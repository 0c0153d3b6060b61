/*
 * fuzz_gz.c: gzip input through the readers (daemon/ingest/ingest.c opens every file through
 * zlib and must tell a truncated or corrupt stream from a clean end).  The first byte
 * chooses: its low three bits the format (auto, text, reuters, jsonl, trec; by content when
 * auto), bit 3 the mode.  Mode 0 compresses the rest of the input, so the records the
 * readers see are fuzzed behind a valid gzip stream; mode 1 writes the rest as it is to a
 * .gz file, so the gzip stream itself is fuzzed (seeds are real, small .gz files).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ingest_format_t formats[] = { INGEST_AUTO, INGEST_TEXT, INGEST_REUTERS,
                                               INGEST_JSONL, INGEST_TREC };
    if (size < 1)
        return 0;
    ingest_format_t format = formats[(data[0] & 7) % (sizeof formats / sizeof formats[0])];
    int raw = (data[0] >> 3) & 1;
    const char *path = raw ? fuzz_write_file("fuzz.gz", data + 1, size - 1)
                           : fuzz_write_gz("fuzz.gz", data + 1, size - 1);
    fuzz_read_all(path, NULL, format);
    return 0;
}
