/*
 * fuzz.h: what the libFuzzer targets (tests/fuzz/fuzz_<target>.c) share.  Each target
 * defines LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize where it needs set-up) and is
 * linked either with libFuzzer (make fuzz, clang) or with tests/fuzz/replay.c (make test,
 * the normal compiler), which feeds it the committed seeds and regression inputs.
 *
 * A target does more than wait for a crash: it checks what the code promises (readers hand
 * out valid UTF-8 without control characters, searches return at most limit hits ranked
 * from offset+1, replies are one well-formed OK/ERR or JSON line...).  A broken promise is
 * reported through FUZZ_FAIL, which aborts, so the fuzzer keeps the input as a crash.
 */
#ifndef NEWSD_FUZZ_H
#define NEWSD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "newsidx.h"

/* Where the repository is (so seeds and data are found from any working folder). */
#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

/* Prints file:line and the reason, then aborts. */
/* Seconds one input may take in the replay driver before it fails (make fuzz-run gives
 * libFuzzer the same bound, FUZZ_TIMEOUT): every match ends at its deadline. */
#define FUZZ_INPUT_SECONDS 10

#define FUZZ_FAIL(...) fuzz_fail(__FILE__, __LINE__, __VA_ARGS__)
void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* A private temporary folder for this process, made on first use and removed at exit. */
const char *fuzz_tmpdir(void);

/* Writes data[0..size) to <fuzz_tmpdir>/<name>; returns the path (static buffer). */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* The same, gzip-compressed. */
const char *fuzz_write_gz(const char *name, const uint8_t *data, size_t size);

/* Checks that every field of a document a reader returned keeps ingest.h's promises. */
void fuzz_check_doc(const newsidx_doc_t *doc);

/*
 * Opens path with the readers (format forced unless INGEST_AUTO; id may be NULL) and reads
 * every record, checking each with fuzz_check_doc and the results with the reader API's
 * rules (a FAIL ends the file, an error message accompanies every SKIP and FAIL).  Returns
 * the number of documents read.
 */
size_t fuzz_read_all(const char *path, const char *id, ingest_format_t format);

/* Builds (once) a small index from real documents in tests/data and corpus/bbc and returns
 * a reader on it, and the index's path in *path (if not NULL). */
newsidx_reader_t *fuzz_index(const char **path);

/* Documents fuzz_index put into the index. */
uint64_t fuzz_index_docs(void);

#endif
