/*
 * dups.hh: near-duplicates (dups.cc, clusters.cc): the body's fingerprint and its band
 * terms, the cluster a written document joins or leaves (the writer's side), and the
 * folded hits' counts (the search's side).  newsidx.h, "Near-duplicates", says what a
 * cluster is.
 */
#ifndef NEWSIDX_DUPS_HH
#define NEWSIDX_DUPS_HH

#include "private.hh"

#include <set>

#pragma GCC visibility push(hidden)

namespace shim {

/* The simhash of body's lowercased word 3-shingles; false when it has fewer than
 * NEWSD_DUP_MIN_WORDS words. */
bool fingerprint(const char *body, uint64_t &fp);
/* Bits in which two fingerprints differ. */
inline unsigned distance(uint64_t a, uint64_t b) { return unsigned(__builtin_popcountll(a ^ b)); }
/* The band term of band b (0-3) of fp. */
std::string band_term(unsigned b, uint64_t fp);
/* The fingerprint held in slot NEWSIDX_SLOT_SIMHASH's value v; false when v is none. */
bool parse_fingerprint(const std::string &v, uint64_t &fp);
/* Gives xd the fingerprint of body (value and band terms), when it has one. */
void add_fingerprint(Xapian::Document &xd, const char *body);
/* The id of document did of db (its Q term without the Q); "" when it has none. */
std::string doc_id(const Xapian::Database &db, Xapian::docid did);
/* The boolean term every member of cluster name carries (beside slot
 * NEWSIDX_SLOT_CLUSTER): a cluster's members are its posting list. */
std::string cluster_term(const std::string &name);
/* Puts d in cluster name (slot and term; "" for none), out of the one it was in. */
void put_cluster(Xapian::Document &d, const std::string &name);

/* The writer's side: xd, about to be stored under idterm by w (replacing the document
 * old, 0 for none), gets its cluster; the clusters around old are kept right.  Not for
 * bulk writers (newsidx_cluster clusters their indexes afterwards). */
void cluster_put(newsidx_writer_t *w, Xapian::Document &xd, const std::string &idterm,
                 Xapian::docid old);
/* Document did of w, about to be deleted, leaves its cluster. */
void cluster_delete(newsidx_writer_t *w, Xapian::docid did);

/* The search's side: for the page's hits, whose clusters are given (one per hit, "" for
 * none), the members of each cluster that match every_query, in counts (by cluster). */
void count_cluster_matches(Xapian::Database &db, const Xapian::Query &every_query,
                           const std::set<std::string> &clusters,
                           std::map<std::string, unsigned> &counts);

/* The number of matches, folded, of a match of `matches` documents that spy (a
 * ValueCountMatchSpy on NEWSIDX_SLOT_CLUSTER) saw whole: each cluster counts once. */
uint64_t folded_total(const Xapian::ValueCountMatchSpy &spy, uint64_t matches);
/* The exact folded number of matches of q (an unranked match over all of them). */
uint64_t count_folded(Xapian::Database &db, const Xapian::Query &q);

}  // namespace shim

#pragma GCC visibility pop

#endif
