/*
 * query.hh: the query side of the index shim (query.cc): the one query-parser set-up
 * (the syntax newsd accepts, used by the shim and by the bench programs that call Xapian
 * directly), the cost caps a query is checked against before it runs, and the deadline
 * guard that ends a long match.
 */
#ifndef NEWSIDX_QUERY_HH
#define NEWSIDX_QUERY_HH

#include "newsidx.h"

#include <xapian.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#pragma GCC visibility push(hidden)

namespace shim {

using Clock = std::chrono::steady_clock;

/*
 * Query syntax.  Flags: FLAG_DEFAULT (PHRASE | BOOLEAN | LOVEHATE: "..." phrases,
 * AND/OR/NOT/XOR in capitals with brackets, +must/-mustnot), plus FLAG_WILDCARD
 * (prefix*, expanded against this database, at most NEWSD_MAX_WILDCARD_TERMS terms, the
 * most frequent kept rather than an error) and FLAG_PURE_NOT ("NOT spam" alone).  Left
 * out: BOOLEAN_ANY_CASE ("and" is a word in headlines), PARTIAL (search-as-you-type),
 * SPELLING_CORRECTION and SYNONYM (no such data in the index), CJK_NGRAM (the indexer
 * does not n-gram either).  Note that on a syntax error Xapian's parser retries with the
 * operators treated as words, so few inputs fail: what does fail is NEWSIDX_BAD_QUERY.
 */
const unsigned QUERY_FLAGS = Xapian::QueryParser::FLAG_DEFAULT |
                             Xapian::QueryParser::FLAG_WILDCARD |
                             Xapian::QueryParser::FLAG_PURE_NOT;

/* Sets qp up to parse against db as newsd does (parse with QUERY_FLAGS): English stems
 * (STEM_SOME), default AND, unfielded words in body and title, the field prefixes, the
 * date ranges and the wildcard cap. */
void setup_query_parser(Xapian::QueryParser &qp, const Xapian::Database &db);

/*
 * The cost caps of one query, checked before it runs: its parsed tree holds at most
 * NEWSD_MAX_QUERY_NODES subqueries, and its wildcards together expand to at most
 * NEWSD_MAX_QUERY_EXPANSION terms (each keeps its NEWSD_MAX_WILDCARD_TERMS most frequent)
 * after scanning at most NEWSD_MAX_WILDCARD_SCAN index terms.  Xapian 1.4 expands a
 * wildcard when the match starts, opening a posting list for every term it keeps, so
 * without these a short line of wildcards holds a worker and hundreds of MB.
 */
struct QueryCost {
    size_t nodes = 0, expansion = 0, scanned = 0;
    uint64_t postings = 0;      /* entries in the posting lists of its leaves, at most,
                                   not counting its plain terms: */
    uint64_t terms = 0;         /* plain terms, whose frequencies are looked up only when
                                   they could matter (term_postings) */
    bool positional = false;    /* it has a phrase or NEAR, whose cost postings miss */
    bool own_source = false;    /* it has a posting source of ours (NEAR between phrases,
                                   nearphrase.hh), which no remote shard can run */
};

/* The deadline of one call; `expired` says that the match was cut short. */
struct Deadline {
    Clock::time_point at;
    bool expired = false;
};

/* The deadline of a call with options o, from now (none when o.timeout_ms is 0). */
Deadline deadline_of(const newsidx_search_opts_t &o);

/* q under the deadline guard of d: its match ends (d.expired set) once d is past.  Only
 * where the match runs here (no remote shard). */
Xapian::Query guarded(const Xapian::Query &q, Deadline &d);

/* The parsed query with the filters of o applied (filter lists: newsidx.h), checked
 * against the cost caps (ApiError when over one or malformed), under the deadline d when
 * the match can run long (it reads NEWSD_DEADLINE_MIN_POSTINGS postings or more, or
 * checks positions) or counts facets (it reads every match, and its counts must not come
 * short of the deadline unnoticed), and runs here (local: no remote shard, which could
 * not run the guard).  A match reading fewer postings ends within milliseconds. */
Xapian::Query deadline_query(const Xapian::Database &db, const char *query,
                             const newsidx_search_opts_t &o, bool local, Deadline &d);

/* The query string parsed (its cost in cost, checked against the caps) with the filters
 * of o applied: what deadline_query guards. */
Xapian::Query filtered_query(const Xapian::Database &db, const char *query,
                             const newsidx_search_opts_t &o, QueryCost &cost);

/* The same for a query built by the shim (newsidx_similar's expand terms): the filters of
 * o and the node cap apply to it as to a parsed one.  The shim has looked up its plain
 * terms' frequencies already: known_postings is their sum, and counts as their cost. */
Xapian::Query filtered_query(const Xapian::Database &db, const Xapian::Query &base,
                             uint64_t known_postings, const newsidx_search_opts_t &o,
                             QueryCost &cost);

/* The two matches of a search, from the filtered query q: `page` as deadline_query
 * guards a search without facets, `every` always under the deadline (when it runs here),
 * for the match that counts every match. */
void guard_queries(const Xapian::Database &db, const Xapian::Query &q, const QueryCost &cost,
                   bool local, Deadline &d, Xapian::Query &page, Xapian::Query &every);

/* Whether every database of r runs its match here (no remote shard is up). */
bool all_local(const newsidx_reader_t *r);

/* What a search-shaped call matches, built afresh for each try (a retry after the index
 * moved, a shard that failed), filtered but not guarded, its cost in cost: it may keep
 * what it learns (the terms) in the results. */
using QueryMaker = std::function<Xapian::Query(newsidx_reader_t *r, const newsidx_search_opts_t &o,
                                               newsidx_results_t &res, QueryCost &cost)>;

/* The body of newsidx_search (search.cc) for any query make builds: the options checked,
 * the matches run (with retries and shards), its page of hits, snippets and facets; the
 * statuses and ownership of newsidx_search.  query is the typed query the suggestion and
 * explain work from; NULL for a query the shim built (no suggestion; explain refused). */
newsidx_status_t run_results(newsidx_reader_t *reader, const char *query,
                             const newsidx_search_opts_t *opts, newsidx_results_t **out,
                             const QueryMaker &make);

}  // namespace shim

#pragma GCC visibility pop

#endif
