/*
 * readers.h: the record readers, one per format (ingest_<format>.c).  ingest.c's
 * dispatch table is their only caller; each fills doc through the shared pieces of
 * ingest_internal.h and returns an ingest_result_t (INGEST_FAIL with r->err set).
 */
#ifndef NEWSD_INGEST_READERS_H
#define NEWSD_INGEST_READERS_H

#include "ingest_internal.h"

typedef int (*ingest_next_fn)(ingest_reader_t *r, newsidx_doc_t *doc);

int ingest_text_next(ingest_reader_t *r, newsidx_doc_t *doc);
int ingest_reuters_next(ingest_reader_t *r, newsidx_doc_t *doc);
int ingest_jsonl_next(ingest_reader_t *r, newsidx_doc_t *doc);
int ingest_trec_next(ingest_reader_t *r, newsidx_doc_t *doc);

#endif
