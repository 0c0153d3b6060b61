/*
 * newsd_limits.h: every limit and default of newsd, newsq and newsindex, in one place.
 *
 * Each constant is named, has a one-line reason, and is documented in README.md
 * ("Limits").  Code never repeats one of these numbers literally.
 */
#ifndef NEWSD_LIMITS_H
#define NEWSD_LIMITS_H

/* ---- documents (readers and index) ---- */

/* Longest document id in bytes; ids become Xapian terms, whose hard cap is 245 bytes. */
#define NEWSD_MAX_ID_LEN 200
/* Longest title kept, in bytes; longer titles are cut at a UTF-8 boundary. */
#define NEWSD_MAX_TITLE_LEN 1024
/* Longest title made from the first line of an untitled text, in bytes (cut at a word). */
#define NEWSD_DERIVED_TITLE_LEN 100
/* Longest single record (article body plus markup) a reader accepts, in bytes. */
#define NEWSD_MAX_RECORD_BYTES (8u * 1024u * 1024u)
/* Most topics (and, separately, places) kept per document. */
#define NEWSD_MAX_TOPICS 64
/* Longest topic, place or source name in bytes. */
#define NEWSD_MAX_TAG_LEN 64

/* ---- search ---- */

/* Results per page when the caller does not say. */
#define NEWSD_DEFAULT_LIMIT 10
/* Most results one page may hold. */
#define NEWSD_MAX_LIMIT 100
/* Largest offset into a result list (deep paging is a scan, not a search). */
#define NEWSD_MAX_OFFSET 10000
/* Longest query string in bytes. */
#define NEWSD_MAX_QUERY_LEN 4096
/* Default snippet length in bytes of source text (before highlight markup). */
#define NEWSD_DEFAULT_SNIPPET_LEN 200
/* Default time a query may run before the match stops early, in milliseconds. */
#define NEWSD_DEFAULT_QUERY_TIMEOUT_MS 2000
/* Longest snippet a caller may ask for, in bytes of source text. */
#define NEWSD_MAX_SNIPPET_LEN 4096
/* Most index terms one wildcard (prefix*) expands to; the most frequent are kept. */
#define NEWSD_MAX_WILDCARD_TERMS 1024
/* Longest Xapian term in bytes (glass's hard cap); longer filter terms are cut. */
#define NEWSD_MAX_TERM_LEN 245

/* ---- indexer ---- */

/* Documents buffered per Xapian flush in bulk builds (see XAPIAN-INDEXING.md). */
#define NEWSD_BULK_FLUSH_THRESHOLD 1000
/* Documents between commits when updating an existing index. */
#define NEWSD_UPDATE_COMMIT_EVERY 10000
/* Most parallel builders a bulk build uses, whatever the core count. */
#define NEWSD_MAX_BUILDERS 16
/* Input warnings (bad records, unreadable files) printed per run; the rest are counted. */
#define NEWSD_MAX_WARNINGS 100
/* Width of the progress bar, in characters. */
#define NEWSD_PROGRESS_BAR_WIDTH 24
/* How often the progress bar is redrawn, in milliseconds. */
#define NEWSD_PROGRESS_INTERVAL_MS 200

#endif
