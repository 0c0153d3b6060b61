/*
 * private.hh: what the pieces of the index shim share, and nothing C sees.
 *
 * The shim implements include/newsidx.h over Xapian 1.4, one concern a file: errors.cc
 * (statuses and messages), codec.cc (the index layout: terms, dates, the stored-document
 * codec), cache.cc (the document cache, the stem memo), query.cc (the query parser, the
 * cost caps, the deadline guard), reader.cc (open, reopen and retry, get), search.cc
 * (search and count), facets.cc (the facets' counters), shards.cc (sharded readers,
 * remote shards), writer.cc (writers, origins), dups.cc and clusters.cc (near-duplicate
 * fingerprints and clusters) and admin.cc (metadata, merge, compaction, upgrade).
 *
 * Here: the handle structs behind the C API's opaque types, the exceptions our own checks
 * throw, the one exception-to-status guard (NEWSIDX_CATCH) every extern "C" body ends
 * with, and the helpers more than one file uses.  Those live in namespace shim with
 * hidden visibility: the only symbols the library offers are the C API's.
 */
#ifndef NEWSIDX_PRIVATE_HH
#define NEWSIDX_PRIVATE_HH

#include "newsidx.h"

#include <xapian.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "newsd_limits.h"

/* Gives a member function of a class the handles hold the hidden visibility of the rest
 * (the class itself stays visible: the handles are). */
#define SHIM_HIDDEN __attribute__((visibility("hidden")))

namespace shim {

using Clock = std::chrono::steady_clock;

/* ---- errors (errors.cc) ---- */

/* Thrown by our own checks; caught first so its status and message pass through. */
struct ApiError {
    newsidx_status_t status;
    const char *msg;
};

/* The same with a message made up at the time (it names a file, a shard). */
struct ApiErrorMsg {
    newsidx_status_t status;
    std::string msg;
};

#pragma GCC visibility push(hidden)

/* Stores a message without letting an allocation failure escape; returns st. */
newsidx_status_t fail(std::string *err, newsidx_status_t st, const char *what) noexcept;
/* The same with Xapian's type, message and errno text. */
newsidx_status_t fail_x(std::string *err, newsidx_status_t st, const Xapian::Error &e) noexcept;
/* NEWSIDX_IO or NEWSIDX_CORRUPT for a DatabaseError (errors.cc says which is which). */
newsidx_status_t db_error_status(const Xapian::DatabaseError &e) noexcept;
/* The message fail_x would keep. */
std::string describe(const Xapian::Error &e);
/* err into the caller's msg buffer of msglen bytes, cut and terminated (none: no-op). */
void copy_msg(const std::string &err, char *msg, size_t msglen);

#pragma GCC visibility pop

}  // namespace shim

/* The handlers of every extern "C" body, most specific first (subclasses before their
 * bases: NotFound and Version are OpeningErrors, all Database* are DatabaseErrors). */
#define NEWSIDX_CATCH(ERR, ST)                                                              \
    catch (const shim::ApiError &e) { ST = shim::fail(ERR, e.status, e.msg); }              \
    catch (const shim::ApiErrorMsg &e) { ST = shim::fail(ERR, e.status, e.msg.c_str()); }   \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, DatabaseLockError, NEWSIDX_LOCKED)                        \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, DatabaseNotFoundError, NEWSIDX_NO_INDEX)                  \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, DatabaseCorruptError, NEWSIDX_CORRUPT)                    \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, DatabaseVersionError, NEWSIDX_CORRUPT)                    \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, DatabaseOpeningError, NEWSIDX_CORRUPT)                    \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, DatabaseModifiedError, NEWSIDX_MODIFIED)                  \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, QueryParserError, NEWSIDX_BAD_QUERY)                      \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, WildcardError, NEWSIDX_BAD_QUERY)                         \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, InvalidArgumentError, NEWSIDX_BAD_ARGUMENT)               \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, RangeError, NEWSIDX_BAD_ARGUMENT)                         \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, DatabaseError, shim::db_error_status(e))                  \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, NetworkError, NEWSIDX_SHARD_UNAVAILABLE)                  \
    NEWSIDX_CATCH_XAPIAN(ERR, ST, Error, NEWSIDX_INTERNAL)                                  \
    catch (const std::bad_alloc &) { ST = shim::fail(ERR, NEWSIDX_NO_MEMORY, "out of memory"); } \
    catch (const std::exception &e) { ST = shim::fail(ERR, NEWSIDX_INTERNAL, e.what()); }   \
    catch (...) { ST = shim::fail(ERR, NEWSIDX_INTERNAL, "unknown exception"); }

/* One handler of NEWSIDX_CATCH: Xapian::TYPE gives STATUS, with Xapian's message. */
#define NEWSIDX_CATCH_XAPIAN(ERR, ST, TYPE, STATUS) \
    catch (const Xapian::TYPE &e) { ST = shim::fail_x(ERR, STATUS, e); }

namespace shim {

/* ---- the index layout (codec.cc) ---- */

/* A stored document, decoded. */
struct StoredDoc {
    std::string id, title, date, source, url, body;
    std::vector<std::string> topics, places;
};

#pragma GCC visibility push(hidden)

/* A document date: "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ss" or the same with "Z".  Fills
 * stamp with "YYYYMMDDhhmmss" (its first 8 bytes are the day). */
bool parse_doc_date(const char *s, std::string &stamp);
/* A search bound: "YYYY-MM-DD" or "YYYYMMDD" -> "YYYYMMDD"; else ApiError with what. */
std::string parse_day_opt(const char *s, const char *what);
/* A boolean filter term: prefix + lowercased name, cut to NEWSD_MAX_TERM_LEN at a UTF-8
 * character boundary. */
std::string filter_term(const char *prefix, const std::string &name);
/* The id term of id ("Q" + id); ApiError for a missing, empty or too long id. */
std::string id_term(const char *id);
/* The Xapian document for doc: terms, values and data; ApiError for a bad date. */
Xapian::Document make_document(Xapian::TermGenerator &tg, const newsidx_doc_t &doc,
                               const std::string &idterm);
/* The stored data of a document decoded; DatabaseCorruptError when it is malformed. */
StoredDoc decode(const std::string &data);
/* d copied into one malloc'd block for C (newsidx_doc_free releases it). */
newsidx_doc_t *doc_block(const StoredDoc &d);
/* A malloc'd copy for C, or NULL for an absent (empty) value. */
char *c_copy(const std::string &v);
/* The layout version of db (NEWSIDX_FORMAT_METADATA_KEY): the recorded number, 1 for a
 * non-empty index without one, NEWSIDX_FORMAT for an empty one; NEWSIDX_CORRUPT (naming
 * where, the index's path or shard) when the value is no number. */
unsigned index_format(const Xapian::Database &db, const std::string &where);
/* NEWSIDX_OLD_FORMAT, with what to do, unless db is in NEWSIDX_FORMAT (or, with
 * older_too, an older one). */
void check_format(const Xapian::Database &db, const std::string &where, bool older_too);

#pragma GCC visibility pop

/* ---- caches (cache.cc) ---- */

/*
 * The document cache of a reader (newsidx_reader_set_doc_cache): the fields a hit shows
 * (id, title, date, source, url and the body its snippet is cut from), decoded, by
 * docid, least recently used first out.  Xapian keeps no cache of its own: without this
 * a hit costs a B-tree lookup, a pread of its block, an inflate of the data (glass
 * deflates it) and our decoding.  Bytes are counted as the strings' heap blocks plus the
 * list and map nodes, so the bound holds for the memory itself.  A docid names another
 * document after the reader moves to another revision (a replaced document keeps its
 * docid), so every move empties the cache (clear, called by the reader's reopen paths).
 * One per reader, like the reader not thread-safe.
 */
class DocCache {
  public:
    SHIM_HIDDEN void set_capacity(uint64_t bytes);
    uint64_t capacity() const { return cap_; }

    bool contains(Xapian::docid id) const { return map_.count(id) != 0; }

    /* The document, now the most recently used; NULL (a miss) when absent.  The pointer
     * holds until the next put or clear. */
    SHIM_HIDDEN const StoredDoc *find(Xapian::docid id);

    /* Keeps d (its topics and places dropped: no hit shows them) and returns it, or NULL
     * when it alone is over the capacity.  The pointer holds until the next put or clear. */
    SHIM_HIDDEN const StoredDoc *put(Xapian::docid id, StoredDoc &&d);

    SHIM_HIDDEN void clear();
    SHIM_HIDDEN void stats(newsidx_cache_stats_t *out) const;

  private:
    struct Node {
        Xapian::docid id;
        uint64_t bytes;
        StoredDoc doc;
    };
    using Lru = std::list<Node>;

    SHIM_HIDDEN static uint64_t cost(const StoredDoc &d);
    SHIM_HIDDEN void trim(uint64_t room);

    Lru lru_;
    std::unordered_map<Xapian::docid, Lru::iterator> map_;
    uint64_t cap_ = uint64_t(NEWSD_DEFAULT_DOC_CACHE_MB) << 20;
    uint64_t used_ = 0, hits_ = 0, misses_ = 0;
};

/* A new English stemmer behind a memo of NEWSD_STEM_CACHE_SLOTS words, for snippets
 * (cache.cc); Xapian::Stem takes it over. */
SHIM_HIDDEN Xapian::StemImplementation *new_stem_memo();

/* ---- shards (shards.cc) ---- */

/* One shard of a sharded reader.  Each keeps its own Database so that a failure can be
 * pinned on it (Xapian's NetworkError names a host only sometimes), the shard left out
 * of a partial answer, and its connection made again later. */
struct Shard {
    std::string name;                   /* "tcp:HOST:PORT" or the folder */
    bool remote = false;
    std::string host;                   /* remote: host (brackets stripped) and port */
    unsigned port = 0;
    Xapian::Database db;
    bool up = false;
    Clock::time_point next_try{};       /* down: no connect attempt before this */
    std::string error;                  /* down: why */
};

/* The day number (days since 1970-01-01) of each document of one database, by docid,
 * at one revision of it (recency.cc). */
struct DayTable {
    Xapian::rev revision = 0;
    std::vector<int32_t> day;
    Xapian::doccount with_day = 0;      /* documents that have a day */
};
using DayTables = std::map<std::string, DayTable>; /* by database UUID */

struct HitStrings {
    unsigned rank;
    double score;
    std::string id, title, date, source, url, snippet;
    std::string cluster;                                /* near-duplicates (dups.hh) */
    unsigned dups = 0;
    std::vector<std::pair<std::string, double>> terms;  /* explain: weighted parts */
};

}  // namespace shim

/* ---- the handles behind the C API's opaque types ---- */

struct newsidx_reader {
    Xapian::Database db;                /* sharded: the shards that are up, combined */
    Xapian::Stem snippet_stem{shim::new_stem_memo()};  /* MSet::snippet's stemmer */
    shim::DocCache docs;                /* hits' stored fields; emptied when db moves */
    bool open = false;
    std::string error;
    std::vector<shim::Shard> shards;    /* empty: a plain reader (newsidx_reader_open) */
    std::vector<size_t> up;             /* the shards in db, in its order */
    unsigned timeout_ms = 0;
    std::vector<std::string> missing;   /* shards the last partial count/search left out */
    std::string failed_shard;           /* named by the last NEWSIDX_SHARD_UNAVAILABLE */
    std::shared_ptr<const shim::DayTables> day_tables; /* recency's, built on first use */
};

struct newsidx_writer {
    Xapian::WritableDatabase db;
    Xapian::TermGenerator tg;
    bool open = false;
    bool in_txn = false;
    bool bulk = false;
    bool spelling = false;              /* keeps the spelling table (local writers only) */
    std::string origin;                 /* XF term put on every document; "" for none */
    std::unordered_set<std::string> seen; /* id terms stored since set_origin (not bulk) */
    /* spelling table changes not yet written, summed per word (spelling.hh) */
    std::unordered_map<std::string, int64_t> spelling_delta;
    /* newsidx_writer_link_shards: every shard's writer, this one among them (empty: this
     * one alone), where near-duplicates are looked for and their clusters kept */
    std::vector<newsidx_writer *> linked;
    std::string error;
};

struct newsidx_results {
    uint64_t total = 0;
    int exact = 0;
    std::vector<std::string> missing;   /* shards left out (opts.partial) */
    std::vector<std::string> terms;     /* newsidx_similar: the query's terms, as typed */
    std::string suggestion;             /* "did you mean" (spelling.hh); "" for none */
    std::string query;                  /* explain: the parsed query's description */
    std::vector<std::vector<newsidx_term_weight_t>> hit_terms; /* explain: C view of terms */
    std::vector<shim::HitStrings> store;
    std::vector<newsidx_hit_t> hits; /* points into store, built once store is final */
    /* the facets asked for (facets.hh), and the C view of them, built as hits are */
    std::vector<std::pair<std::string, uint64_t>> facet_store[NEWSIDX_FACETS];
    std::vector<newsidx_facet_value_t> facets[NEWSIDX_FACETS];
};

#pragma GCC visibility push(hidden)

namespace shim {

/* ---- readers (reader.cc) ---- */

/* r, or ApiError when it is not open. */
newsidx_reader_t *usable(newsidx_reader_t *r);
/* The end of a reader open: *out is set on every status but NEWSIDX_NO_MEMORY. */
newsidx_status_t reader_opened(newsidx_reader_t *r, newsidx_status_t st, newsidx_reader_t **out);
/* Runs f; each time the database moved under it, reopens and runs it again, at most
 * NEWSD_MODIFIED_RETRIES times. */
void with_retry(newsidx_reader_t *r, const std::function<void()> &f);

/* ---- shards (shards.cc) ---- */

/* Runs f on the reader's database with with_retry; on a sharded reader, also through
 * the failure of a shard (newsidx_reader_open_shards says how). */
void sharded(newsidx_reader_t *r, bool partial, const std::function<void()> &f);
/* Moves every shard to its latest revision and retries the shards that are down and
 * due; returns whether anything may have changed. */
bool reopen_shards(newsidx_reader_t *r);
/* The first shard that is down (0 when none is). */
size_t first_missing(const newsidx_reader_t *r);
/* Throws NEWSIDX_SHARD_UNAVAILABLE for shard k, named in the message and on r. */
[[noreturn]] void shard_down(newsidx_reader_t *r, size_t k);
/* The stored data of the hits of m that want marks, in page order ("" for the others). */
std::vector<std::string> page_data(newsidx_reader_t *r, const Xapian::MSet &m,
                                   const std::vector<char> &want);

/* ---- writers (writer.cc) ---- */

/* w, or ApiError when it is not open. */
newsidx_writer_t *usable(newsidx_writer_t *w);
/* What every newly opened writer does: the indexing set-up and the open transaction. */
void writer_start(newsidx_writer_t *w);
/* check_format (where names the index), then writer_start, then records NEWSIDX_FORMAT
 * in an empty index that has none (committed with the writer's first commit). */
void writer_format(newsidx_writer_t *w, const std::string &where, bool older_too);
/* The end of a writer open: *out is set on every status but NEWSIDX_NO_MEMORY. */
newsidx_status_t writer_opened(newsidx_writer_t *w, newsidx_status_t st, newsidx_writer_t **out);

}  // namespace shim

#pragma GCC visibility pop

#endif
