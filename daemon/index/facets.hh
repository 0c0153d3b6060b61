/*
 * facets.hh: the facets of a search (facets.cc): which a request may ask for, the match
 * spies that count them while the match runs, and the counts turned into the values the
 * C API returns (newsidx.h, "Facets").
 */
#ifndef NEWSIDX_FACETS_HH
#define NEWSIDX_FACETS_HH

#include "newsidx.h"

#include <xapian.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#pragma GCC visibility push(hidden)

namespace shim {

/* The values of one facet, in the order the C API gives them. */
using FacetList = std::vector<std::pair<std::string, uint64_t>>;

/* ApiError when o asks for an unknown facet or a facet_limit over NEWSD_MAX_FACET_LIMIT. */
void check_facets(const newsidx_search_opts_t &o);

/*
 * The counters of one match: Xapian's ValueCountMatchSpy on the source, topics, places
 * and day slots, attached only for the facets asked for.  They serialise, so remote
 * shards count their own documents and Xapian adds the counts up.  One per match run: a
 * spy keeps counting over every match it is attached to.
 */
class FacetSpies {
  public:
    /* The spies of facets for a match over db; local: db has no remote shard. */
    FacetSpies(unsigned facets, const Xapian::Database &db, bool local);
    void attach(Xapian::Enquire &enq);
    /* The facets asked for, from the counts and total, the exact number of matches
     * (ApiError when a time facet would pass NEWSD_MAX_FACET_BUCKETS); count facets cut
     * to limit values. */
    void collect(unsigned limit, uint64_t total, FacetList out[NEWSIDX_FACETS]) const;

  private:
    unsigned facets_;
    /* The one source of every document of a local db that has one, else empty: the
     * source facet is then that source with the total, and its spy is left out. */
    std::string only_source_;
    Xapian::ValueCountMatchSpy source_, topics_, places_, day_;
};

}  // namespace shim

#pragma GCC visibility pop

#endif
