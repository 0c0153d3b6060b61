/*
 * explain.cc: explain=1 (explain.hh).  The parts of the query that carry weight are
 * found in the parsed query's tree; each distinct part is then matched alone against
 * the page's documents (a boolean filter on their id terms adds no weight), and the
 * weight Xapian's BM25 gives a document in that match is the part's share of the
 * document's score: BM25's weight of a term depends only on the term's statistics, its
 * within-query frequency and the document, not on the rest of the query (newsd uses
 * Xapian's defaults, whose query-length part, k2, is 0).
 */
#include "explain.hh"

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "private.hh"

namespace shim {

namespace {

/* One weighted part of the query and how many times the query holds it. */
struct Part {
    Xapian::Query q;
    std::string label;
    unsigned count;
};

/* q without its "Query(" and ")". */
std::string label_of(const Xapian::Query &q)
{
    if (q.get_type() == Xapian::Query::LEAF_TERM) return *q.get_terms_begin();
    std::string s = q.get_description();
    if (s.size() > 7 && s.compare(0, 6, "Query(") == 0 && s.back() == ')')
        s = s.substr(6, s.size() - 7);
    return s;
}

/* The weighted parts of q, in order, each once (count says how many times). */
void collect(const Xapian::Query &q, std::vector<Part> &parts,
             std::map<std::string, size_t> &seen)
{
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM:
    case Xapian::Query::LEAF_MATCH_ALL:
    case Xapian::Query::OP_WILDCARD:
    case Xapian::Query::OP_SYNONYM:  /* weighs as one term: a wildcard in body and title */
    case Xapian::Query::OP_PHRASE:
    case Xapian::Query::OP_NEAR: {
        std::string key = q.serialise();
        auto it = seen.find(key);
        if (it != seen.end()) {
            parts[it->second].count++;
        } else {
            seen.emplace(key, parts.size());
            parts.push_back(Part{q, label_of(q), 1});
        }
        return;
    }
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_AND_NOT:
        /* the right side of either only selects */
        if (q.get_num_subqueries() > 0) collect(q.get_subquery(0), parts, seen);
        return;
    case Xapian::Query::LEAF_POSTING_SOURCE:
    case Xapian::Query::LEAF_MATCH_NOTHING:
    case Xapian::Query::OP_VALUE_RANGE:
    case Xapian::Query::OP_VALUE_GE:
    case Xapian::Query::OP_VALUE_LE:
        return;
    default:
        for (size_t i = 0, n = q.get_num_subqueries(); i < n; i++)
            collect(q.get_subquery(i), parts, seen);
    }
}

}  // namespace

void explain_page(const Xapian::Database &db, const char *query,
                  const std::vector<Xapian::docid> &docids, const std::vector<std::string> &ids,
                  Deadline &d, std::string &description, std::vector<TermWeights> &out)
{
    Xapian::QueryParser qp;
    setup_query_parser(qp, db);
    Xapian::Query parsed = qp.parse_query(query, QUERY_FLAGS);
    description = parsed.get_description();
    out.assign(docids.size(), TermWeights());
    if (docids.empty()) return;

    std::vector<Part> parts;
    std::map<std::string, size_t> seen;
    collect(parsed, parts, seen);
    std::unordered_map<Xapian::docid, size_t> hit_of;
    std::vector<Xapian::Query> id_terms;
    for (size_t i = 0; i < docids.size(); i++) {
        hit_of.emplace(docids[i], i);
        id_terms.emplace_back(id_term(ids[i].c_str()));
    }
    Xapian::Query page(Xapian::Query::OP_OR, id_terms.begin(), id_terms.end());
    for (const Part &p : parts) {
        if (Clock::now() >= d.at) {
            d.expired = true;
            return;
        }
        /* A term the query holds n times weighs as one of n within-query frequency, n
         * times over. */
        bool term = p.q.get_type() == Xapian::Query::LEAF_TERM;
        Xapian::Query alone = term ? Xapian::Query(p.label, p.count) : p.q;
        Xapian::Enquire enq(db);
        enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, alone, page));
        Xapian::MSet m = enq.get_mset(0, Xapian::doccount(docids.size()));
        for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
            auto h = hit_of.find(*it);
            if (h != hit_of.end()) out[h->second].emplace_back(p.label, it.get_weight() * p.count);
        }
    }
}

}  // namespace shim
