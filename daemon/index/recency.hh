/*
 * recency.hh: the recency blend of a search (recency.cc): the search's relevance query
 * AND_MAYBE a posting source whose weight halves every recency_days days of an
 * article's age, so recency reorders the matches and never adds one.
 */
#ifndef NEWSIDX_RECENCY_HH
#define NEWSIDX_RECENCY_HH

#include "newsidx.h"
#include "private.hh"

#include <xapian.h>

#pragma GCC visibility push(hidden)

namespace shim {

/* NEWSIDX_BAD_ARGUMENT (ApiError) unless o's recency options are valid: recency_days at
 * most NEWSD_MAX_RECENCY_DAYS, recency_now a day, no sort by date with recency. */
void check_recency(const newsidx_search_opts_t &o);

/* q blended with recency (o.recency_days > 0; else q itself), ages counted from
 * o.recency_now or else the newest day in r's index (all its shards).  The days come
 * from r's day tables, read from each database's day slot at the first recency search
 * after it moved.  local is false when a remote shard is up: its server cannot run our
 * posting source, NEWSIDX_BAD_ARGUMENT. */
Xapian::Query with_recency(newsidx_reader_t *r, const Xapian::Query &q,
                           const newsidx_search_opts_t &o, bool local);

}  // namespace shim

#pragma GCC visibility pop

#endif
