/*
 * explain.hh: a search that explains itself (explain.cc, newsidx.h "Explain"): what the
 * parser made of the query (Xapian's Query::get_description) and, per hit, the parts of
 * the query that matched it, each with the weight Xapian's BM25 gives it for that hit.
 */
#ifndef NEWSIDX_EXPLAIN_HH
#define NEWSIDX_EXPLAIN_HH

#include "newsidx.h"

#include <xapian.h>

#include <string>
#include <utility>
#include <vector>

#include "query.hh"

#pragma GCC visibility push(hidden)

namespace shim {

/* The weighted parts of one hit, in the order of the query: (label, weight). */
using TermWeights = std::vector<std::pair<std::string, double>>;

/*
 * The explanation of a page: `description` gets the parsed query's description, and
 * out[i] the weighted parts of hit i, document docids[i] with id ids[i]: the parts
 * matched whole (a term, a phrase or NEAR, a wildcard or synonym) through which it got
 * its score, each with its weight for that document, taken from a match of the part
 * alone with the same weighting scheme and database statistics, restricted to the
 * page's documents.  One small match per distinct part, the deadline checked before
 * each (d.expired when it passed).
 */
void explain_page(const Xapian::Database &db, const char *query,
                  const std::vector<Xapian::docid> &docids, const std::vector<std::string> &ids,
                  Deadline &d, std::string &description,
                  std::vector<TermWeights> &out);

}  // namespace shim

#pragma GCC visibility pop

#endif
