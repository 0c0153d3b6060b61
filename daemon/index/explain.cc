/*
 * explain.cc: explain=1 (explain.hh).  The parsed query is read as a tree of operators
 * over parts matched whole (terms, phrases, NEAR, wildcards, value ranges, posting
 * sources).  Each distinct part is matched alone against the page's documents (a boolean
 * filter on their id terms adds no weight), which says whether it matches each of them
 * and with what weight: BM25's weight of a term depends only on the term's statistics,
 * its within-query frequency and the document, not on the rest of the query (newsd uses
 * Xapian's defaults, whose query-length part, k2, is 0).  The operators then say which
 * matching parts a hit's score is made of, as Xapian's matcher adds them up: every
 * matching child of OR, XOR and AND_MAYBE's right side, all of AND's, only the left
 * side of FILTER and AND_NOT, and of a child only when the child itself matches.
 */
#include "explain.hh"

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "nearphrase.hh"
#include "private.hh"

namespace shim {

namespace {

/* A part of the query that is matched as a whole (a term, phrase, NEAR, wildcard,
 * synonym, value range, posting source): its label, how many times the query holds it
 * where it weighs, and per page document whether it matches and its weight. */
struct Part {
    Xapian::Query q;
    std::string label;
    unsigned weighted = 0;
    std::unordered_map<Xapian::docid, double> match;
};

/* The query's tree: a part (part >= 0) or an operator over its children. */
struct Node {
    Xapian::Query::op op;
    int part = -1;
    std::vector<Node> kids;
};

bool whole(Xapian::Query::op op)
{
    switch (op) {
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR:
    case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_ELITE_SET:
    case Xapian::Query::OP_SCALE_WEIGHT:
    case Xapian::Query::OP_MAX:
        return false;
    default:
        return true;
    }
}

/* q without its "Query(" and ")"; a term as it is. */
std::string label_of(const Xapian::Query &q)
{
    if (q.get_type() == Xapian::Query::LEAF_TERM) return *q.get_terms_begin();
    std::string s = q.get_description();
    if (s.size() > 7 && s.compare(0, 6, "Query(") == 0 && s.back() == ')')
        s = s.substr(6, s.size() - 7);
    return s;
}

/* Whether the children after the first of op add weight (FILTER's and AND_NOT's only
 * select). */
bool rest_weighs(Xapian::Query::op op)
{
    return op != Xapian::Query::OP_FILTER && op != Xapian::Query::OP_AND_NOT;
}

Node tree(const Xapian::Query &q, bool weighs, std::vector<Part> &parts,
          std::map<std::string, size_t> &seen)
{
    Node n;
    n.op = q.get_type();
    if (whole(n.op)) {
        std::string key = std::to_string(int(n.op)) + ":" + q.get_description();
        auto it = seen.find(key);
        if (it == seen.end()) {
            it = seen.emplace(key, parts.size()).first;
            parts.push_back(Part{q, label_of(q), 0, {}});
        }
        n.part = int(it->second);
        if (weighs) parts[it->second].weighted++;
        return n;
    }
    for (size_t i = 0, k = q.get_num_subqueries(); i < k; i++)
        n.kids.push_back(
            tree(q.get_subquery(i), weighs && (i == 0 || rest_weighs(n.op)), parts, seen));
    return n;
}

bool matched(const Node &n, const std::vector<Part> &parts, Xapian::docid did)
{
    if (n.part >= 0) return parts[size_t(n.part)].match.count(did) != 0;
    size_t hits = 0;
    for (const Node &k : n.kids) hits += matched(k, parts, did);
    bool first = !n.kids.empty() && matched(n.kids[0], parts, did);
    switch (n.op) {
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_FILTER:
        return hits == n.kids.size();
    case Xapian::Query::OP_AND_NOT:
        return first && hits == 1;
    case Xapian::Query::OP_XOR:
        return hits % 2 == 1;
    case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_SCALE_WEIGHT:
        return first;
    default:
        return hits > 0;
    }
}

/* The weighted parts through which document did gets its score, in query order. */
void contribute(const Node &n, const std::vector<Part> &parts, Xapian::docid did, TermWeights &out)
{
    if (n.part >= 0) {
        const Part &p = parts[size_t(n.part)];
        auto w = p.match.find(did);
        if (w != p.match.end()) out.emplace_back(p.label, w->second);
        return;
    }
    for (size_t i = 0; i < n.kids.size(); i++) {
        if (i > 0 && !rest_weighs(n.op)) break;
        if (matched(n.kids[i], parts, did)) contribute(n.kids[i], parts, did, out);
    }
}

}  // namespace

void explain_page(const Xapian::Database &db, const char *query,
                  const std::vector<Xapian::docid> &docids, const std::vector<std::string> &ids,
                  Deadline &d, std::string &description, std::vector<TermWeights> &out)
{
    Xapian::QueryParser qp;
    setup_query_parser(qp, db);
    Xapian::Query parsed = parse_with_near(qp, query, QUERY_FLAGS);
    description = parsed.get_description();
    out.assign(docids.size(), TermWeights());
    if (docids.empty()) return;

    std::vector<Part> parts;
    std::map<std::string, size_t> seen;
    Node root = tree(parsed, true, parts, seen);
    std::vector<Xapian::Query> id_terms;
    for (size_t i = 0; i < docids.size(); i++) id_terms.emplace_back(id_term(ids[i].c_str()));
    Xapian::Query page(Xapian::Query::OP_OR, id_terms.begin(), id_terms.end());
    for (Part &p : parts) {
        if (Clock::now() >= d.at) {
            d.expired = true;
            return;
        }
        /* A term the query holds n times (where it weighs) weighs with a within-query
         * frequency of n, at each place. */
        bool term = p.q.get_type() == Xapian::Query::LEAF_TERM;
        Xapian::Query alone = term && p.weighted > 1 ? Xapian::Query(p.label, p.weighted) : p.q;
        Xapian::Enquire enq(db);
        enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, alone, page));
        Xapian::MSet m = enq.get_mset(0, Xapian::doccount(docids.size()));
        for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
            p.match[*it] = it.get_weight();
    }
    for (size_t i = 0; i < docids.size(); i++)
        if (matched(root, parts, docids[i])) contribute(root, parts, docids[i], out[i]);
}

}  // namespace shim
