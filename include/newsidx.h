/*
 * newsidx.h: the news index, a plain C API over Xapian.
 *
 * This is the only way newsd, newsindex and the tests reach the index.  No Xapian or
 * C++ type appears here; the implementation (daemon/index/) catches every C++
 * exception at the boundary and turns it into a newsidx_status_t, keeping the message
 * on the handle (newsidx_reader_error / newsidx_writer_error).
 *
 * Handles are not thread-safe: use one reader per thread.  Only one writer may be open
 * on an index at a time (Xapian's lock); a second gets NEWSIDX_LOCKED.
 *
 * Memory: everything this API returns is owned by the API and released by the matching
 * *_destroy / *_free / *_close function, each of which accepts NULL.  Strings inside a
 * result stay valid until that result is released.  The caller's inputs are copied
 * before the call returns.
 *
 * Index layout (also in newsindex(8), "INDEX LAYOUT"):
 *   terms   unprefixed: body words, with positions; Z<stem>: body stems (no positions)
 *           S<word>:   title words, with positions, wdf x NEWSIDX_TITLE_WEIGHT; ZS<stem>
 *           Q<id>:     the document id (unique);  XS<source>, XT<topic>, XP<place>:
 *           boolean filters, lowercased
 *           XF<path>:  the source file a document was read from (newsidx_writer_set_origin);
 *           XF#<digest> when "XF"+path would pass NEWSD_MAX_TERM_LEN
 *           XH<b><hhhh>: near-duplicate bands: band b (0-3) of the body's simhash, 4 hex
 *           digits, for documents that have one (see "Near-duplicates")
 *           XC<id>:    near-duplicate cluster: the id of its first member, on every
 *                      member of a cluster of two or more (as slot 6)
 *   values  slot 0 (NEWSIDX_SLOT_DAY):  "YYYYMMDD" (UTC), for date ranges and time facets
 *           slot 1 (NEWSIDX_SLOT_TIME): "YYYYMMDDhhmmss" (UTC), for sorting by date
 *           slot 2 (NEWSIDX_SLOT_SOURCE): the source, lowercased (the filter form)
 *           slot 3 (NEWSIDX_SLOT_TOPICS), slot 4 (NEWSIDX_SLOT_PLACES): the topics and
 *           the places, lowercased, each followed by a NUL byte, for facets
 *           slot 5 (NEWSIDX_SLOT_SIMHASH): the body's 64-bit simhash, 16 hex digits
 *           slot 6 (NEWSIDX_SLOT_CLUSTER): the id of the first member of the document's
 *           near-duplicate cluster; absent when the document is alone in its cluster
 *   data    id, title, date, source, topics, places, url and body, length-prefixed;
 *           glass deflates it with zlib on disk.
 *   metadata  user key/value pairs (newsidx_writer_set_metadata); newsindex keeps
 *           "newsd.paths" and "newsd.file:..." there (newsindex(8), "INDEX LAYOUT");
 *           the shim keeps the layout's version, NEWSIDX_FORMAT, under
 *           NEWSIDX_FORMAT_METADATA_KEY.
 */
#ifndef NEWSIDX_H
#define NEWSIDX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum newsidx_status {
    NEWSIDX_OK = 0,
    NEWSIDX_NOT_FOUND,      /* no document with that id */
    NEWSIDX_BAD_QUERY,      /* the query string could not be parsed: the caller's error */
    NEWSIDX_BAD_ARGUMENT,   /* an argument is out of range or malformed: the caller's error */
    NEWSIDX_NO_INDEX,       /* no index at that path */
    NEWSIDX_CORRUPT,        /* the index is damaged or not a Xapian index */
    NEWSIDX_LOCKED,         /* another writer holds the index */
    NEWSIDX_MODIFIED,       /* the index kept changing under a read: returned only after
                               the reader reopened and ran it again NEWSD_MODIFIED_RETRIES
                               times; callers need no retry of their own */
    NEWSIDX_IO,             /* reading or writing the disk failed (full, permissions) */
    NEWSIDX_NO_MEMORY,      /* an allocation failed */
    NEWSIDX_TIMEOUT,        /* the match hit its time limit; results are partial */
    NEWSIDX_INTERNAL,       /* anything else; the message says what */
    NEWSIDX_SHARD_UNAVAILABLE, /* a remote shard is down or did not answer in time; the
                               message (and newsidx_reader_failed_shard) names it */
    NEWSIDX_OLD_FORMAT      /* the index was written in an older layout (or a newer one)
                               than this library's NEWSIDX_FORMAT; the message says what
                               to do: newsidx_upgrade (newsindex --upgrade) or a rebuild */
} newsidx_status_t;

/* A short, stable, lowercase name for a status ("bad_query", "not_found", ...). */
const char *newsidx_status_name(newsidx_status_t status);

/* Value slots and weights (documented above). */
#define NEWSIDX_SLOT_DAY 0
#define NEWSIDX_SLOT_TIME 1
#define NEWSIDX_SLOT_SOURCE 2
#define NEWSIDX_SLOT_TOPICS 3
#define NEWSIDX_SLOT_PLACES 4
#define NEWSIDX_SLOT_SIMHASH 5
#define NEWSIDX_SLOT_CLUSTER 6
#define NEWSIDX_TITLE_WEIGHT 3

/*
 * The version of the index layout this library reads and writes, kept in the index's
 * metadata under NEWSIDX_FORMAT_METADATA_KEY ("4"; an index without the key is format 1,
 * which had no slots 2 to 4; format 2 had no near-duplicate fingerprints, slots 5 and 6;
 * format 3 no cluster terms XC<id>).  Readers and writers refuse another format with
 * NEWSIDX_OLD_FORMAT, except a writer opened with NEWSIDX_UPGRADE.
 */
#define NEWSIDX_FORMAT 4
#define NEWSIDX_FORMAT_METADATA_KEY "newsd.format"

/* ---- documents ---- */

/*
 * One article.  In newsidx_writer_put every field except id may be NULL (or 0);
 * strings are UTF-8 without NUL bytes.  date is UTC, ISO 8601 "YYYY-MM-DDThh:mm:ssZ"
 * (a bare "YYYY-MM-DD" is accepted too); NULL means unknown.
 */
typedef struct newsidx_doc {
    const char *id;
    const char *title;
    const char *body;
    const char *date;
    const char *source;
    const char *url;
    const char *const *topics;
    size_t ntopics;
    const char *const *places;
    size_t nplaces;
} newsidx_doc_t;

/* ---- reading ---- */

typedef struct newsidx_reader newsidx_reader_t;

/*
 * Opens the index at path for reading.  *out is set on NEWSIDX_OK, and also on every
 * other status (so the message can be read with newsidx_reader_error) except
 * NEWSIDX_NO_MEMORY, where it is NULL.  Returns NEWSIDX_NO_INDEX, NEWSIDX_CORRUPT,
 * NEWSIDX_IO, NEWSIDX_NO_MEMORY.  Release with newsidx_reader_close, also on failure.
 */
newsidx_status_t newsidx_reader_open(const char *path, newsidx_reader_t **out);
void newsidx_reader_close(newsidx_reader_t *reader);

/* The message of the last failed call on this reader ("" if none).  Owned by the reader,
 * valid until its next call. */
const char *newsidx_reader_error(const newsidx_reader_t *reader);

/*
 * 1 when path is a replica folder kept by xapian-replicate (newsd(8), "REPLICAS"): no
 * glass tables, but a stub file XAPIANDB naming the live copy inside it, which
 * xapian-replicate rewrites when it switches copies.  newsidx_reader_open reads such a
 * folder through its stub (the stub's database must be reopened by opening the folder
 * again when the stub changes); newsidx_writer_open refuses it with NEWSIDX_BAD_ARGUMENT,
 * as only xapian-replicate may write there.
 */
int newsidx_is_replica(const char *path);

/* Moves the reader to the latest committed revision.  *changed (if not NULL) is set to
 * 1 when the revision moved. */
newsidx_status_t newsidx_reader_reopen(newsidx_reader_t *reader, int *changed);

/* Number of documents in the index. */
newsidx_status_t newsidx_reader_doc_count(newsidx_reader_t *reader, uint64_t *count);

/*
 * The document cache: a reader keeps the stored fields of the hits it has shown, decoded,
 * so that a hit shown again costs no B-tree lookup, no read of the block from the file,
 * no inflate of the data and no decoding (newsd(8), "THE DOCUMENT CACHE").  Least
 * recently used documents leave first; the cache is emptied whenever the reader moves to
 * another revision, so a replaced or deleted document is never shown stale.  A reader
 * opens with NEWSD_DEFAULT_DOC_CACHE_MB MiB; newsidx_reader_set_doc_cache sets the most
 * it may hold, in bytes (0: no cache; at most NEWSD_MAX_DOC_CACHE_MB MiB), evicting at
 * once what no longer fits.  Returns NEWSIDX_BAD_ARGUMENT over the maximum.
 */
newsidx_status_t newsidx_reader_set_doc_cache(newsidx_reader_t *reader, uint64_t bytes);

typedef struct newsidx_cache_stats {
    uint64_t hits;      /* hits of searches served from the cache */
    uint64_t misses;    /* hits of searches read from the index */
    uint64_t docs;      /* documents held now */
    uint64_t bytes;     /* their memory, bookkeeping included */
    uint64_t capacity;  /* the most it may hold, in bytes */
} newsidx_cache_stats_t;

/* The cache's figures since the reader was opened. */
newsidx_status_t newsidx_reader_doc_cache_stats(const newsidx_reader_t *reader,
                                                newsidx_cache_stats_t *out);

/* The index metadata key under which newsindex records the paths it was built from (a
 * JSON array of absolute paths); REINDEX without paths rebuilds from them. */
#define NEWSD_PATHS_METADATA_KEY "newsd.paths"

typedef enum newsidx_sort {
    NEWSIDX_SORT_RANK = 0,  /* by relevance, best first */
    NEWSIDX_SORT_DATE,      /* newest first, relevance breaking ties */
    NEWSIDX_SORT_DATE_ASC   /* oldest first, relevance breaking ties */
} newsidx_sort_t;

/* Snippets (newsidx_search_opts_t.snippets).  FIRST: the window around the first cluster
 * of matches Xapian finds good enough, reading the body only that far (fast); BEST: the
 * best window of the whole body (reads all of it). */
enum {
    NEWSIDX_SNIPPET_NONE = 0,
    NEWSIDX_SNIPPET_FIRST = 1,
    NEWSIDX_SNIPPET_BEST = 2
};

/*
 * Facets: per facet, how many matching documents have each value (newsd(8), "FACETS").
 * SOURCE, TOPIC and PLACE give the values with the most documents, most first, ties by
 * value, at most opts.facet_limit of them; YEAR ("YYYY"), MONTH ("YYYY-MM") and DAY
 * ("YYYY-MM-DD") give every bucket from the first matching date to the last in date
 * order, empty buckets included, at most NEWSD_MAX_FACET_BUCKETS (more is
 * NEWSIDX_BAD_ARGUMENT).  Documents without the field are not counted in that facet.
 * Counts are exact: a search with facets runs its match over every matching document
 * (so its total is exact too), within the same deadline (NEWSIDX_TIMEOUT, and no facets,
 * when it runs out).  A bit beyond NEWSIDX_FACETS is NEWSIDX_BAD_ARGUMENT; limit 0 with
 * facets gives the facets alone.  newsidx_count ignores facets.
 */
typedef enum newsidx_facet {
    NEWSIDX_FACET_SOURCE = 0,
    NEWSIDX_FACET_TOPIC,
    NEWSIDX_FACET_PLACE,
    NEWSIDX_FACET_YEAR,
    NEWSIDX_FACET_MONTH,
    NEWSIDX_FACET_DAY,
    NEWSIDX_FACETS          /* how many facets there are */
} newsidx_facet_t;

/* The bit of facet f in newsidx_search_opts_t.facets. */
#define NEWSIDX_FACET_BIT(f) (1u << (f))

/* The facet's name ("source", "topic", "place", "year", "month", "day"); NULL when out
 * of range. */
const char *newsidx_facet_name(newsidx_facet_t f);
/* The facet named name[0..len) (case-sensitive), or -1. */
int newsidx_facet_parse(const char *name, size_t len);

/*
 * Search options.  Start from newsidx_search_opts_init(); NULL strings mean "no filter".
 * The filters source, topic and place (and their not_ forms) are lists: values separated
 * by commas, matched case-insensitively, any of them matching ("reuters,bbc"); at most
 * NEWSD_MAX_FILTER_VALUES values, none empty (else NEWSIDX_BAD_ARGUMENT).  A not_ list
 * leaves out the documents that have any of its values.  Filters never change ranking.
 */
typedef struct newsidx_search_opts {
    unsigned offset;        /* hits to skip, <= NEWSD_MAX_OFFSET */
    unsigned limit;         /* hits to return, 0..NEWSD_MAX_LIMIT (0: count only) */
    newsidx_sort_t sort;
    int snippets;           /* fill hit.snippet: NEWSIDX_SNIPPET_NONE, _FIRST or _BEST */
    unsigned snippet_len;   /* bytes of text per snippet */
    const char *hi_start;   /* highlight markers around matched words; default "<b>" */
    const char *hi_end;     /*  and "</b>"; the rest of the snippet is HTML-escaped */
    const char *since;      /* "YYYY-MM-DD" or "YYYYMMDD", inclusive */
    const char *until;      /* likewise, inclusive */
    const char *source;     /* sources, any of (see above) */
    const char *topic;      /* topics, any of */
    const char *place;      /* places, any of */
    const char *not_source; /* sources to leave out */
    const char *not_topic;  /* topics to leave out */
    const char *not_place;  /* places to leave out */
    unsigned facets;        /* OR of NEWSIDX_FACET_BIT(f): the facets to count */
    unsigned facet_limit;   /* values per SOURCE/TOPIC/PLACE facet, 1..NEWSD_MAX_FACET_LIMIT;
                               0: NEWSD_DEFAULT_FACET_LIMIT */
    unsigned timeout_ms;    /* match time limit; 0: none */
    int exact_total;        /* 1: total is exact (costs a full match) */
    int partial;            /* sharded reader: 1 answers from the shards that are up
                               (newsidx_results_missing_* says which were left out);
                               0 fails with NEWSIDX_SHARD_UNAVAILABLE instead */
    unsigned recency_days;  /* 1..NEWSD_MAX_RECENCY_DAYS: blend relevance with age, this
                               half-life in days (newsd(8), "RECENCY"); 0: relevance
                               alone.  Only with sort RANK, only on local shards */
    const char *recency_now;/* the day ages count from, "YYYY-MM-DD" or "YYYYMMDD";
                               NULL: the newest day in the index */
    int explain;            /* 1: explain the query and each hit (see "Explain"); 0 or 1 */
    int collapse;           /* 1: one hit per near-duplicate cluster, the best ranked, and
                               the total counts clusters (see "Near-duplicates"); 0: every
                               matching document.  Also for newsidx_count */
} newsidx_search_opts_t;

void newsidx_search_opts_init(newsidx_search_opts_t *opts);

/* One hit.  Strings are never NULL ("" when absent); owned by the results. */
typedef struct newsidx_hit {
    unsigned rank;          /* 1-based, counting the offset */
    double score;           /* BM25 weight (plus the recency weight with recency_days);
                               0 when sorted by date only */
    const char *id;
    const char *title;
    const char *date;       /* "YYYY-MM-DDThh:mm:ssZ" or "" */
    const char *source;
    const char *url;
    const char *snippet;    /* "" unless opts.snippets */
    const char *cluster;    /* the id of its near-duplicate cluster's first member; "" when
                               it is alone in its cluster */
    unsigned dups;          /* opts.collapse: the other members of its cluster that match
                               the query too (folded into this hit); else 0 */
} newsidx_hit_t;

typedef struct newsidx_results newsidx_results_t;

/*
 * Runs query (Xapian query-parser syntax, see newsd(8), "QUERY SYNTAX") with opts (NULL:
 * defaults).  On NEWSIDX_OK or NEWSIDX_TIMEOUT *out holds the results (partial for a
 * timeout); otherwise *out is NULL.  NEWSIDX_BAD_QUERY and NEWSIDX_BAD_ARGUMENT are the
 * caller's errors.  If the index is modified during the search the reader reopens and
 * runs it again, up to NEWSD_MODIFIED_RETRIES times (as every read of a reader does);
 * NEWSIDX_MODIFIED only after those.
 */
newsidx_status_t newsidx_search(newsidx_reader_t *reader, const char *query,
                                const newsidx_search_opts_t *opts, newsidx_results_t **out);

/*
 * Related stories: the documents most like the one with this id, by Xapian's relevance
 * feedback (the document as the relevance set, its NEWSD_SIMILAR_TERMS best expand terms
 * ORed as the query).  The terms are words of its body and title, never filter terms,
 * stems or numbers; newsidx_results_term gives them.  The document itself and the
 * documents whose title and body equal its own (identical copies) are left out.  opts
 * and the result set are as for newsidx_search (opts.sort included), with its statuses,
 * plus NEWSIDX_NOT_FOUND when no document has the id and NEWSIDX_BAD_ARGUMENT for an
 * empty or over-long id.  A sharded reader answers as one index would.
 */
newsidx_status_t newsidx_similar(newsidx_reader_t *reader, const char *id,
                                 const newsidx_search_opts_t *opts, newsidx_results_t **out);

/*
 * Near-duplicates (newsd(8), "NEAR-DUPLICATES").  Every document whose body has at least
 * NEWSD_DUP_MIN_WORDS words gets a fingerprint: a 64-bit simhash of the body's lowercased
 * word 3-shingles (the title is left out: a rewrite or a correction of a wire story
 * often has a new headline over the same text).  Documents whose fingerprints differ in
 * at most NEWSD_DUP_MAX_DISTANCE bits are near-duplicates.  A cluster is named by its
 * first member (the oldest by date when clustered in bulk, else the first to arrive) and
 * holds the documents within NEWSD_DUP_MAX_DISTANCE of that member, never of another
 * member, so clusters do not chain unrelated stories.  Candidates are found through the
 * band terms (four 16-bit bands: two fingerprints within 3 bits share a band), in every
 * shard of the index.  newsidx_writer_put joins a new document to its cluster and
 * newsidx_writer_delete of a first member names the cluster after the oldest member left;
 * newsidx_cluster clusters whole indexes at once (newsindex runs it after a build).
 */

/* One member of a cluster: its stored fields and the Hamming distance between its
 * fingerprint and that of the document asked about. */
typedef struct newsidx_dup {
    const char *id;
    const char *title;
    const char *date;       /* "YYYY-MM-DDThh:mm:ssZ" or "" */
    const char *source;
    unsigned distance;
} newsidx_dup_t;

typedef struct newsidx_dups newsidx_dups_t;

/*
 * The cluster of the document with this id: its name and its members (the document
 * itself included), oldest first, ties by id, at most NEWSD_MAX_DUP_MEMBERS.  A document
 * alone in its cluster (or without a fingerprint) gives itself alone, the cluster named
 * after it.  opts: only timeout_ms and partial count (NULL: none).  Returns
 * NEWSIDX_NOT_FOUND for an unknown id, NEWSIDX_BAD_ARGUMENT for an empty or over-long
 * one, NEWSIDX_TIMEOUT past the deadline (no answer), and the reader's statuses.  Owned
 * by the caller: release with newsidx_dups_destroy.
 */
newsidx_status_t newsidx_dups(newsidx_reader_t *reader, const char *id,
                              const newsidx_search_opts_t *opts, newsidx_dups_t **out);
const char *newsidx_dups_cluster(const newsidx_dups_t *dups);
size_t newsidx_dups_count(const newsidx_dups_t *dups);
const newsidx_dup_t *newsidx_dups_member(const newsidx_dups_t *dups, size_t i);
void newsidx_dups_destroy(newsidx_dups_t *dups);

/* Near-duplicate figures of the reader's index: clusters with more than one member, and
 * the documents in them beyond each cluster's first (those a collapsed search folds). */
newsidx_status_t newsidx_reader_dup_stats(newsidx_reader_t *reader, uint64_t *clusters,
                                          uint64_t *duplicates);

/* The 64-bit simhash fingerprint of a body, as the index computes it; 0 in *ok when the
 * body has fewer than NEWSD_DUP_MIN_WORDS words (no fingerprint). */
uint64_t newsidx_fingerprint(const char *body, int *ok);

/* The terms newsidx_similar searched with, best first, as the query syntax writes them
 * ("word", "title:word"), and the i-th (0-based; NULL when out of range); 0 for the
 * results of newsidx_search.  Owned by the results. */
size_t newsidx_results_term_count(const newsidx_results_t *results);
const char *newsidx_results_term(const newsidx_results_t *results, size_t i);

/* Number of matching documents: an estimate unless opts.exact_total was set
 * (newsidx_results_total_exact says which). */
uint64_t newsidx_results_total(const newsidx_results_t *results);
int newsidx_results_total_exact(const newsidx_results_t *results);
/* Hits on this page, and the i-th of them (0-based; NULL when out of range). */
size_t newsidx_results_count(const newsidx_results_t *results);
const newsidx_hit_t *newsidx_results_hit(const newsidx_results_t *results, size_t i);
void newsidx_results_destroy(newsidx_results_t *results);

/* One value of a facet and the number of matching documents that have it. */
typedef struct newsidx_facet_value {
    const char *value;
    uint64_t count;
} newsidx_facet_value_t;

/* The values of facet f in results (0 when f was not asked for), and the i-th of them
 * (0-based, in the order described above; NULL when out of range). */
size_t newsidx_results_facet_size(const newsidx_results_t *results, newsidx_facet_t f);
const newsidx_facet_value_t *newsidx_results_facet_value(const newsidx_results_t *results,
                                                         newsidx_facet_t f, size_t i);

/*
 * Explain (opts.explain = 1): newsidx_results_query is Xapian's description of the parsed
 * query (Query::get_description: stems, prefixes, phrases, NEAR; the options' filters
 * are not in it), "" without explain.  Per hit i, newsidx_results_hit_terms parts of
 * the query that matched it, in query order, and newsidx_results_hit_term the k-th: a
 * term (as indexed: "Zstem", "Sword"), or a phrase, NEAR or wildcard as a whole (its
 * description), with the weight Xapian's BM25 gives it for that hit.  Their weights add
 * up to the hit's score.  A part is weighed by matching it alone against the page's
 * documents, one small match per distinct part, within the search's deadline
 * (NEWSIDX_TIMEOUT past it).  0 parts without explain.  Owned by the results.
 */
typedef struct newsidx_term_weight {
    const char *term;
    double weight;
} newsidx_term_weight_t;

const char *newsidx_results_query(const newsidx_results_t *results);
size_t newsidx_results_hit_terms(const newsidx_results_t *results, size_t i);
const newsidx_term_weight_t *newsidx_results_hit_term(const newsidx_results_t *results,
                                                      size_t i, size_t k);

/*
 * Did you mean: a correction of the query's misspelt words, "" when there is none.  The
 * index keeps a spelling dictionary of its body words without digits (Xapian's spelling
 * table, kept by every local writer as it adds, replaces and deletes documents; none
 * over a remote writer).  A search that matches fewer than NEWSD_SUGGEST_FEW_MATCHES documents has its
 * words corrected by Xapian's query parser, which changes only the words it finds
 * misspelt (quotes, field prefixes and operators stay as typed; a corrected word keeps
 * the capitals of the typed one), and the correction is given when, with the same
 * filters and within the same deadline, it matches at least NEWSD_SUGGEST_GAIN times as
 * many documents (at least one when the query matched none).  Never on a reader with a
 * remote shard (the remote backend has no spelling table).  Owned by the results.
 */
const char *newsidx_results_suggestion(const newsidx_results_t *results);

/* Shards a partial search (opts.partial) left out because they were down, and the name
 * of the i-th (0-based; NULL when out of range), as newsidx_reader_shard_info names it.
 * 0 for a complete answer. */
size_t newsidx_results_missing_count(const newsidx_results_t *results);
const char *newsidx_results_missing_shard(const newsidx_results_t *results, size_t i);

/* The exact number of documents matching query (all filters in opts apply; paging and
 * snippet fields are ignored). */
newsidx_status_t newsidx_count(newsidx_reader_t *reader, const char *query,
                               const newsidx_search_opts_t *opts, uint64_t *count);

/* A stored document, as newsidx_doc_t (date normalised to "YYYY-MM-DDThh:mm:ssZ" or
 * NULL).  Owned by the API: release with newsidx_doc_free. */
newsidx_status_t newsidx_get(newsidx_reader_t *reader, const char *id, newsidx_doc_t **out);
void newsidx_doc_free(newsidx_doc_t *doc);

/* ---- writing ---- */

typedef struct newsidx_writer newsidx_writer_t;

enum {
    NEWSIDX_CREATE = 1,     /* create the index if it does not exist */
    NEWSIDX_OVERWRITE = 2,  /* start from an empty index (implies CREATE) */
    NEWSIDX_BULK = 4,       /* fast build: no fsync, one transaction until commit, and
                               newsidx_writer_put appends without looking up the id (the
                               caller guarantees ids are new); for building fresh indexes */
    NEWSIDX_UPGRADE = 8,    /* open an index of an older format (for newsidx_upgrade) */
    NEWSIDX_PART = 16,      /* a part that newsidx_merge will combine with others: keeps
                               no spelling dictionary, which the merge makes once from
                               the merged index's words (cheaper than one per part) */
};

/*
 * Opens the index at path for writing.  Returns NEWSIDX_LOCKED when another writer has
 * it, NEWSIDX_NO_INDEX when it does not exist and NEWSIDX_CREATE was not given, and
 * NEWSIDX_CORRUPT, NEWSIDX_IO.  *out is set as for newsidx_reader_open.  Close with
 * newsidx_writer_close, which commits what is pending.
 */
newsidx_status_t newsidx_writer_open(const char *path, int flags, newsidx_writer_t **out);

/* Commits pending changes (if any), then releases the writer and its lock.  The status
 * is that of the commit. */
newsidx_status_t newsidx_writer_close(newsidx_writer_t *writer);
/* Releases the writer without committing: pending changes are lost. */
void newsidx_writer_abandon(newsidx_writer_t *writer);
const char *newsidx_writer_error(const newsidx_writer_t *writer);

/* Adds doc, or replaces the document with the same id.  *replaced (if not NULL) is set
 * to 1 when a document was replaced (always 0 in NEWSIDX_BULK mode).  Returns
 * NEWSIDX_BAD_ARGUMENT for a missing, empty or over-long id or a malformed date. */
newsidx_status_t newsidx_writer_put(newsidx_writer_t *writer, const newsidx_doc_t *doc,
                                    int *replaced);

/* Deletes the document with this id; NEWSIDX_NOT_FOUND if there is none. */
newsidx_status_t newsidx_writer_delete(newsidx_writer_t *writer, const char *id);

/* Makes every change so far durable and visible to readers that reopen. */
newsidx_status_t newsidx_writer_commit(newsidx_writer_t *writer);

/*
 * Makes dst's document with this id what src holds: src's document is copied whole
 * (terms, positions, values, data) and replaces dst's, or, when src has no document with
 * the id, dst's is deleted (if any).  *copied (may be NULL) is 1 when a document was
 * copied, 0 when none exists in src.  The change is pending until dst commits.  Used to
 * carry live writes made during a rebuild over into the new index.
 */
newsidx_status_t newsidx_writer_copy_doc(newsidx_writer_t *dst, newsidx_writer_t *src,
                                         const char *id, int *copied);

/* Documents in the index as this writer sees it (including uncommitted changes). */
newsidx_status_t newsidx_writer_doc_count(newsidx_writer_t *writer, uint64_t *count);

/* ---- metadata: user key/value pairs stored in the index ---- */

/*
 * Keys are 1 to NEWSD_MAX_METADATA_KEY_LEN bytes; values any bytes without NUL.  Metadata
 * survives newsidx_merge (keys are unioned; for a key in several sources the first
 * source's value wins) and newsidx_compact.
 */

/* Reads key as of the reader's revision.  On NEWSIDX_OK *value is a malloc'd
 * NUL-terminated copy the caller frees with free(), or NULL when the key is absent.
 * NEWSIDX_BAD_ARGUMENT for an empty or over-long key; *value is NULL on every error. */
newsidx_status_t newsidx_reader_get_metadata(newsidx_reader_t *reader, const char *key,
                                             char **value);

/* The same through a writer: sees its uncommitted changes. */
newsidx_status_t newsidx_writer_get_metadata(newsidx_writer_t *writer, const char *key,
                                             char **value);

/* Sets key to value; value NULL or "" removes the key.  Takes effect at the next commit,
 * together with the documents written before it.  NEWSIDX_BAD_ARGUMENT for an empty or
 * over-long key. */
newsidx_status_t newsidx_writer_set_metadata(newsidx_writer_t *writer, const char *key,
                                             const char *value);

/* Calls fn(ctx, key, value) for every key starting with prefix ("" for all), in byte
 * order, as the writer sees them.  The pairs are collected first, so fn may change
 * metadata or documents through the same writer; key and value are valid only during
 * the call.  A non-zero return from fn stops the walk (the status is still NEWSIDX_OK). */
newsidx_status_t newsidx_writer_list_metadata(newsidx_writer_t *writer, const char *prefix,
                                              int (*fn)(void *ctx, const char *key,
                                                        const char *value),
                                              void *ctx);

/* ---- origins: which source file a document came from ---- */

/*
 * An origin is a name (newsindex uses the file's real path) put on every document the
 * writer stores until the next set_origin: the boolean term XF<origin>.  With it a
 * changed file's old documents can be found again.
 *
 * newsidx_writer_set_origin(w, origin) starts tagging; origin NULL stops.  Outside
 * NEWSIDX_BULK mode the writer also remembers the ids it stores from then on, and
 * newsidx_writer_end_origin deletes every document tagged with the current origin whose
 * id was not stored since set_origin (the records no longer in the file), sets *deleted
 * (if not NULL) to their number and stops tagging.  In bulk mode end_origin deletes
 * nothing (a fresh index has no older documents).  newsidx_writer_delete_origin deletes
 * every document tagged with origin (a file that is gone).  NEWSIDX_BAD_ARGUMENT for an
 * empty origin or end_origin without set_origin.
 */
newsidx_status_t newsidx_writer_set_origin(newsidx_writer_t *writer, const char *origin);
newsidx_status_t newsidx_writer_end_origin(newsidx_writer_t *writer, uint64_t *deleted);
newsidx_status_t newsidx_writer_delete_origin(newsidx_writer_t *writer, const char *origin,
                                              uint64_t *deleted);

/* Length of a newsidx_digest in hex digits. */
#define NEWSIDX_DIGEST_LEN 32

/* A 128-bit digest of s (two FNV-1a 64 hashes) in lowercase hex, NUL-terminated in
 * out[NEWSIDX_DIGEST_LEN + 1]: what stands in for a name too long for a term or key. */
void newsidx_digest(const char *s, char out[NEWSIDX_DIGEST_LEN + 1]);

/* ---- shards ---- */

/*
 * The shard, 0..nshards-1, that owns the document with this id when an index is split
 * into nshards shards (newsindex --shards, and newsd routing ADD/DELETE): FNV-1a 64 of
 * the id's bytes, modulo nshards.  Stable across versions and machines: shards built
 * today keep their documents tomorrow.  nshards 0 or 1 gives 0; id NULL counts as "".
 */
unsigned newsidx_shard_of(const char *id, unsigned nshards);

/*
 * A sharded index (newsd(8), "SHARDED INDEXES") is read through one reader over several
 * shards, each a local glass folder or a remote one served by xapian-tcpsrv, searched
 * together as one Xapian database: ranking uses the statistics of all shards, so the
 * scores equal those of one index holding the same documents.
 *
 * A shard spec is one of
 *   tcp:HOST:PORT   a xapian-tcpsrv (HOST a name, an IPv4 address or [IPv6])
 *   FILE            a Xapian stub database file: its "glass PATH" / "auto PATH" lines
 *                   (PATH relative to the file's folder) and "remote HOST:PORT" lines
 *                   expand in place, in file order; "remote :PROGRAM" (a program to
 *                   run) and other backends are refused
 *   DIR             a glass index folder, or a folder holding no index but a
 *                   "shards.stub" file (newsindex --shards), which then stands for it
 *
 * newsidx_shards_expand turns specs[0..n) into one spec per shard ("tcp:HOST:PORT" or a
 * folder path), in order, at most NEWSD_MAX_SHARDS.  *out is a malloc'd array of n_out
 * malloc'd strings; release it with newsidx_shards_free.  Returns NEWSIDX_BAD_ARGUMENT
 * (malformed spec or stub line, too many shards), NEWSIDX_NO_INDEX (a path that does not
 * exist), NEWSIDX_IO, NEWSIDX_NO_MEMORY, with a message in msg (if not NULL).
 */
newsidx_status_t newsidx_shards_expand(const char *const *specs, size_t n, char ***out,
                                       size_t *n_out, char *msg, size_t msglen);
void newsidx_shards_free(char **list, size_t n);

/*
 * Opens a reader over the shards specs[0..n) name (expanded as above; shard k is the k-th
 * after expansion, the numbering newsidx_shard_of uses).  Every network exchange with a
 * remote shard waits at most timeout_ms (0: NEWSD_DEFAULT_SHARD_TIMEOUT_MS), connecting
 * at most NEWSD_SHARD_CONNECT_TIMEOUT_MS.  A local shard that cannot be opened fails the
 * call; a remote one that cannot be reached does not: it is marked down (see
 * newsidx_reader_shard_info) and tried again on later calls, at most once every
 * NEWSD_SHARD_RETRY_MS.  While a shard is down, search, count, doc count and metadata
 * reads fail fast with NEWSIDX_SHARD_UNAVAILABLE naming it (unless opts.partial), and
 * newsidx_get answers when the document is on a shard that is up.  A shard that fails
 * during a call is marked down the same way (and reconnected at once, once: a restarted
 * shard is used again without a failed call).  *out is set as for newsidx_reader_open.
 */
newsidx_status_t newsidx_reader_open_shards(const char *const *specs, size_t n,
                                            unsigned timeout_ms, newsidx_reader_t **out);

/* Shards of a reader (0 for one opened with newsidx_reader_open). */
size_t newsidx_reader_shard_count(const newsidx_reader_t *reader);

typedef struct newsidx_shard_info {
    const char *name;       /* "tcp:HOST:PORT" or the folder path */
    int remote;             /* 1: served by xapian-tcpsrv */
    int up;                 /* 0: down (unreachable, or failed and not yet back) */
    uint64_t docs;          /* documents in it as last seen (0 while down) */
    const char *error;      /* why it is down; "" when up */
} newsidx_shard_info_t;

/* Fills *info for shard i (strings owned by the reader, valid until its next call).
 * NEWSIDX_BAD_ARGUMENT when i is out of range.  Asks no shard anything. */
newsidx_status_t newsidx_reader_shard_info(newsidx_reader_t *reader, size_t i,
                                           newsidx_shard_info_t *info);

/* After NEWSIDX_SHARD_UNAVAILABLE: the name of the shard that failed ("" otherwise). */
const char *newsidx_reader_failed_shard(const newsidx_reader_t *reader);

/* Shards the last newsidx_count with opts.partial left out, as for results above. */
size_t newsidx_reader_missing_count(const newsidx_reader_t *reader);
const char *newsidx_reader_missing_shard(const newsidx_reader_t *reader, size_t i);

/*
 * Opens one shard for writing: spec a local index folder (as newsidx_writer_open with
 * flags 0) or "tcp:HOST:PORT", a xapian-tcpsrv started with --writable (every exchange
 * waits at most timeout_ms, 0: NEWSD_DEFAULT_SHARD_TIMEOUT_MS).  A commit through a
 * remote writer returns once the server has committed.  NEWSIDX_SHARD_UNAVAILABLE when
 * the server cannot be reached; otherwise as newsidx_writer_open.
 */
newsidx_status_t newsidx_writer_open_shard(const char *spec, unsigned timeout_ms,
                                           newsidx_writer_t **out);

/* ---- whole indexes ---- */

/*
 * Merges the indexes in sources[0..n) into a new compacted index at dest (which must
 * not exist), keeping their order of document ids, then removes any duplicate ids,
 * keeping the copy with the highest document id (the one added last).  *duplicates (if
 * not NULL) gets the number removed.  The merged index's spelling dictionary (see "Did
 * you mean") is then made to hold exactly its body words' frequencies, whatever the
 * sources' dictionaries held (NEWSIDX_PART sources have none); it is made in a scratch
 * index beside the first source, sources[0] + ".words", removed before returning.  msg
 * (if not NULL) receives an error message.
 */
newsidx_status_t newsidx_merge(const char *const *sources, size_t n, const char *dest,
                               uint64_t *duplicates, char *msg, size_t msglen);

/*
 * Rewrites every document of the index at path in this library's layout (NEWSIDX_FORMAT)
 * from its stored data, then records the format; the index stays readable by the old
 * layout's readers until the final commit.  *upgraded (if not NULL) gets the number of
 * documents rewritten (0 for an index already in this format, which is left alone).
 * NEWSIDX_OLD_FORMAT for an index of a newer format.  msg as for newsidx_merge.  The
 * rewritten documents are in no near-duplicate cluster: newsidx_cluster the index (all
 * its shards together) afterwards, as newsindex --upgrade does.
 */
newsidx_status_t newsidx_upgrade(const char *path, uint64_t *upgraded, char *msg,
                                 size_t msglen);

/*
 * Clusters the near-duplicates of the index made of the shards paths[0..n) (n 1 for an
 * index in one folder) from scratch: every document with a fingerprint, in order of date
 * (then id), joins the cluster of the oldest first member within
 * NEWSD_DUP_MAX_DISTANCE, or starts its own.  Writes only the cluster slot of documents
 * whose cluster changed, and commits each shard.  *clusters and *duplicates (if not NULL)
 * get the figures of newsidx_reader_dup_stats.  msg as for newsidx_merge.
 */
newsidx_status_t newsidx_cluster(const char *const *paths, size_t n, uint64_t *clusters,
                                 uint64_t *duplicates, char *msg, size_t msglen);

/*
 * Makes w one shard of the index whose shards' writers are all[0..n) (w among them), so
 * that the near-duplicates of what w adds and deletes are found, and their clusters
 * kept, in every shard; writes to another shard's document (its cluster slot) are made
 * through that shard's writer and become durable with its next commit.  n 0 (or all
 * NULL): w alone.  The writers must outlive the link (unlink with n 0 before closing).
 */
newsidx_status_t newsidx_writer_link_shards(newsidx_writer_t *w, newsidx_writer_t *const *all,
                                            size_t n);

/* Compacts the index at src into dest (which must not exist). */
newsidx_status_t newsidx_compact(const char *src, const char *dest, char *msg, size_t msglen);

/* Xapian's library version, e.g. "1.4.22". */
const char *newsidx_xapian_version(void);

#ifdef __cplusplus
}
#endif

#endif
