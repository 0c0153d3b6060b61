/*
 * similar.cc: related stories (newsidx_similar): the article as Xapian's relevance set,
 * its best expand terms (words of body and title, no filter or stem terms) made into a
 * query (any of the best few, weighed by all), the article, its identical copies and
 * its near-duplicate cluster left out, then the same match, page,
 * snippets and facets as a search (run_results, search.cc) under the same filters, caps
 * and deadline (query.cc).  Also the accessors of the terms used.
 */
#include "private.hh"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "dups.hh"
#include "query.hh"

using namespace shim;

namespace {

/* Whether an expand term is a real word: an unprefixed body term or an S title term,
 * starting with a lowercase letter (no number, no stem Z..., no filter X..., no Q id). */
class WordDecider : public Xapian::ExpandDecider {
  public:
    bool operator()(const std::string &term) const override
    {
        size_t at = term.size() > 1 && term[0] == 'S' ? 1 : 0;
        unsigned char c = static_cast<unsigned char>(term[at]);
        /* UTF-8 lead bytes are words too (accented and non-Latin letters). */
        return (c >= 'a' && c <= 'z') || c >= 0xc0;
    }
};

/* The term as the query syntax would say it: "word" or "title:word". */
std::string shown(const std::string &term)
{
    return term[0] == 'S' ? "title:" + term.substr(1) : term;
}

/*
 * The id terms of the documents whose title and body equal the article's.  Such a copy
 * holds every term of the article, its expand terms among them, so only the documents
 * holding the NEWSD_SIMILAR_DUP_TERMS rarest expand terms (short posting lists; rare
 * holds each with its frequency) are candidates, and at most NEWSD_SIMILAR_DUP_CHECK of
 * them are read and compared.
 */
std::vector<std::string> identical_copies(Xapian::Database &db, Xapian::docid did,
                                          std::vector<std::pair<Xapian::doccount, std::string>> rare)
{
    std::vector<std::string> ids;
    if (rare.empty()) return ids;
    size_t k = std::min<size_t>(NEWSD_SIMILAR_DUP_TERMS, rare.size());
    std::partial_sort(rare.begin(), rare.begin() + k, rare.end());
    /* A term only the article has: it has no copy. */
    if (rare[0].first <= 1) return ids;
    std::vector<Xapian::Query> all;
    for (size_t i = 0; i < k; i++) all.emplace_back(rare[i].second);
    Xapian::Enquire enq(db);
    enq.set_query(Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end()));
    enq.set_weighting_scheme(Xapian::BoolWeight());
    Xapian::MSet m = enq.get_mset(0, NEWSD_SIMILAR_DUP_CHECK + 1);
    StoredDoc art = decode(db.get_document(did).get_data());
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
        if (*it == did) continue;
        StoredDoc d = decode(it.get_document().get_data());
        if (d.title == art.title && d.body == art.body) ids.push_back(id_term(d.id.c_str()));
    }
    return ids;
}

/* The query of the related stories of the article with id term idterm; its terms (as
 * shown) into res.terms.  ApiError NEWSIDX_NOT_FOUND when no document has the id. */
Xapian::Query similar_query(newsidx_reader_t *r, const std::string &idterm,
                            const newsidx_search_opts_t &o, newsidx_results &res, QueryCost &cost)
{
    Xapian::Database &db = r->db;
    Xapian::PostingIterator p = db.postlist_begin(idterm);
    if (p == db.postlist_end(idterm)) throw ApiError{NEWSIDX_NOT_FOUND, "no document with that id"};
    Xapian::docid did = *p;
    Xapian::RSet rset;
    rset.add_document(did);
    Xapian::Enquire enq(db);
    WordDecider words;
    /* Exact term frequencies: over shards Xapian would otherwise estimate them, and the
     * terms would not be those of one index. */
    Xapian::ESet eset = enq.get_eset(NEWSD_SIMILAR_TERMS, rset, Xapian::Enquire::USE_EXACT_TERMFREQ,
                                     &words);
    std::vector<std::pair<Xapian::doccount, std::string>> freq;
    for (Xapian::ESetIterator t = eset.begin(); t != eset.end(); ++t)
        freq.emplace_back(db.get_termfreq(*t), *t);
    std::vector<std::string> copies = identical_copies(db, did, freq);
    /* A term only the article and its copies hold finds nothing: it is left out. */
    std::vector<std::string> expand;
    res.terms.clear();
    for (const auto &f : freq) {
        if (f.first <= 1 + copies.size()) continue;
        expand.push_back(f.second);
        res.terms.push_back(shown(f.second));
    }
    /* The best NEWSD_SIMILAR_CORE_TERMS pick the candidates; the others weigh them.  An
     * article without a word others have is like nothing. */
    size_t core = std::min<size_t>(NEWSD_SIMILAR_CORE_TERMS, expand.size());
    Xapian::Query q(Xapian::Query::OP_OR, expand.begin(), expand.begin() + core);
    if (expand.empty()) q = Xapian::Query::MatchNothing;
    if (core < expand.size())
        q = Xapian::Query(Xapian::Query::OP_AND_MAYBE, q,
                          Xapian::Query(Xapian::Query::OP_OR, expand.begin() + core, expand.end()));
    std::vector<Xapian::Query> out{Xapian::Query(idterm)};
    for (const std::string &t : copies) out.emplace_back(t);
    /* its near-duplicates are the same story, not a related one */
    std::string cluster = db.get_document(did).get_value(NEWSIDX_SLOT_CLUSTER);
    if (!cluster.empty())
        out.emplace_back(cluster_term(cluster));
    uint64_t postings = out.size(); /* an id term is in one document */
    for (const auto &f : freq)
        if (f.first > 1 + copies.size()) postings += f.first;
    q = Xapian::Query(Xapian::Query::OP_AND_NOT, q,
                      Xapian::Query(Xapian::Query::OP_OR, out.begin(), out.end()));
    return filtered_query(db, q, postings, o, cost);
}

}  // namespace

newsidx_status_t newsidx_similar(newsidx_reader_t *reader, const char *id,
                                 const newsidx_search_opts_t *opts, newsidx_results_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    if (!reader) return NEWSIDX_BAD_ARGUMENT;
    std::string idterm;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        idterm = id_term(id);
    }
    NEWSIDX_CATCH(&reader->error, st)
    if (st != NEWSIDX_OK) return st;
    st = run_results(reader, nullptr, opts, out,
                     [&idterm](newsidx_reader_t *r, const newsidx_search_opts_t &o, newsidx_results &res,
                               QueryCost &cost) { return similar_query(r, idterm, o, res, cost); });
    /* Ids are unique across shards: "not found" while a shard is down may be wrong. */
    if (st == NEWSIDX_NOT_FOUND && !reader->missing.empty()) {
        try {
            shard_down(reader, first_missing(reader));
        }
        NEWSIDX_CATCH(&reader->error, st)
    }
    return st;
}

size_t newsidx_results_term_count(const newsidx_results_t *results)
{
    return results ? results->terms.size() : 0;
}

const char *newsidx_results_term(const newsidx_results_t *results, size_t i)
{
    return results && i < results->terms.size() ? results->terms[i].c_str() : nullptr;
}
