/*
 * search.cc: search and count over a reader (plain or sharded): the ranked match of any
 * query a QueryMaker builds (a search's, newsidx_similar's), folded by near-duplicate
 * cluster on request, its page of hits copied out of Xapian (through the document
 * cache), snippets, facets (an unranked second match over every match), and the accessors of a result set.  Each extern "C" body is one try
 * block ending in NEWSIDX_CATCH (private.hh).
 */
#include "private.hh"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "dups.hh"
#include "explain.hh"
#include "facets.hh"
#include "query.hh"
#include "recency.hh"
#include "spelling.hh"

using namespace shim;

namespace {

/* Snippets (newsd(8), "SEARCH"): without SNIPPET_BACKGROUND_MODEL, which looks up a
 * term frequency for every word of the text, many times slower.  NEWSIDX_SNIPPET_FIRST
 * leaves out SNIPPET_EXHAUSTIVE, so Xapian stops reading the body once it has a window
 * with matches and has moved past it (Xapian's default; the window may be less dense
 * than the best one further on); NEWSIDX_SNIPPET_BEST reads the whole body for the best
 * window.  Without SNIPPET_EMPTY_WITHOUT_MATCH a hit matched only in its title gets the
 * start of the body. */
unsigned snippet_flags(int mode)
{
    return mode == NEWSIDX_SNIPPET_BEST ? unsigned(Xapian::MSet::SNIPPET_EXHAUSTIVE) : 0u;
}

const char *const SNIPPET_OMIT = "...";

void run_search(newsidx_reader_t *r, const char *query, const QueryMaker &make,
                const newsidx_search_opts_t &o, newsidx_results &res, Deadline &dl)
{
    Xapian::Database &db = r->db;
    const Xapian::Stem &stem = r->snippet_stem;
    QueryCost cost;
    cost_under(cost, db, all_local(r), dl);
    Xapian::Query q = make(r, o, res, cost), page_query, every_query;
    guard_queries(db, q, cost, all_local(r), dl, page_query, every_query);
    /* Recency only reorders the page: the counting match sees the query alone. */
    page_query = with_recency(r, page_query, o, all_local(r));
    for (FacetList &f : res.facet_store) f.clear();
    res.store.clear();
    res.hits.clear();
    res.total = 0;
    res.exact = false;
    /* No Enquire::set_time_limit: Xapian 1.4 arms a POSIX timer whose SIGEV_THREAD
     * callback may still write its flag into the match's stack frame after the match
     * has returned (timer_delete does not wait for it), and the deadline guard ends the
     * match at that very moment.  Remote shards end at --shard-timeout instead. */
    /* The page: the ranked match, which stops early once it has checked enough
     * candidates.  A faceted search with limit 0 has no page and skips it. */
    Xapian::Enquire enq(db);
    Xapian::MSet m;
    if (!o.facets || o.limit > 0) {
        enq.set_query(page_query);
        if (o.collapse) enq.set_collapse_key(NEWSIDX_SLOT_CLUSTER);
        if (o.sort == NEWSIDX_SORT_DATE)
            enq.set_sort_by_value_then_relevance(NEWSIDX_SLOT_TIME, true);
        else if (o.sort == NEWSIDX_SORT_DATE_ASC)
            enq.set_sort_by_value_then_relevance(NEWSIDX_SLOT_TIME, false);
        /* At least one candidate is checked even for a count-only page (limit 0): with
         * check_at_least 0 Xapian may skip the match and estimate 0 matches.  A faceted
         * search has its exact total from the counting match below. */
        Xapian::doccount check = o.exact_total && !o.facets ? db.get_doccount() : o.offset + o.limit;
        if (check == 0) check = 1;
        m = enq.get_mset(o.offset, o.limit, check);
        res.total = m.get_matches_estimated();
        res.exact = m.get_matches_lower_bound() == m.get_matches_upper_bound();
        /* Xapian's folded estimate can pass the articles it folds: it never counts more. */
        if (o.collapse)
            res.total = std::min<uint64_t>(res.total, m.get_uncollapsed_matches_estimated());
        /* Xapian only estimates a folded total, even from a full match: count it. */
        if (o.collapse && o.exact_total && !o.facets && !dl.expired) {
            res.total = count_folded(db, every_query);
            res.exact = !dl.expired;
        }
    }
    /* The facets: a second match of the same query over every match, unranked
     * (BoolWeight: no weight is computed), with the spies; its count is the exact
     * total.  Counts cut short by the deadline are no answer: the caller gets none. */
    if (o.facets && !dl.expired) {
        Xapian::Enquire counter(db);
        counter.set_query(every_query);
        counter.set_weighting_scheme(Xapian::BoolWeight());
        FacetSpies spies(o.facets, db, all_local(r));
        spies.attach(counter);
        /* Facets count articles, folded or not; a folded total counts clusters. */
        Xapian::ValueCountMatchSpy clusters(NEWSIDX_SLOT_CLUSTER);
        if (o.collapse) counter.add_matchspy(&clusters);
        Xapian::MSet all = counter.get_mset(0, 0, std::max(db.get_doccount(), Xapian::doccount(1)));
        uint64_t articles = all.get_matches_estimated();
        if (!dl.expired || o.limit == 0) {
            res.total = o.collapse ? folded_total(clusters, articles) : articles;
            res.exact = all.get_matches_lower_bound() == all.get_matches_upper_bound();
        }
        if (!dl.expired) spies.collect(o.facet_limit, articles, res.facet_store);
    }
    if (query && !dl.expired)
        res.suggestion = suggestion(db, query, o, res.total, all_local(r), dl);
    res.store.reserve(m.size());
    /* Hits in the document cache are not read; the others are read (remote shards' in
     * parallel), decoded and kept.  Each hit is finished before the next is kept, since
     * keeping one may evict another. */
    std::vector<char> want(m.size());
    size_t i = 0;
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i)
        want[i] = !r->docs.contains(*it);
    std::vector<std::string> data = page_data(r, m, want);
    std::vector<Xapian::docid> page;
    i = 0;
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i) {
        /* Snippets of long bodies cost time too: past the deadline the page ends here. */
        if (o.snippets && Clock::now() >= dl.at) {
            dl.expired = true;
            break;
        }
        const StoredDoc *d = r->docs.find(*it);
        StoredDoc local;
        if (!d) {
            /* a miss, or (a cache smaller than a page) evicted by this page's own misses */
            local = decode(want[i] ? data[i] : it.get_document().get_data());
            d = r->docs.put(*it, std::move(local));
            if (!d) d = &local; /* over the whole capacity (or none): used once */
        }
        HitStrings h;
        h.rank = it.get_rank() + 1;
        h.score = it.get_weight();
        h.id = d->id;
        h.title = d->title;
        h.date = d->date;
        h.source = d->source;
        h.url = d->url;
        h.cluster = o.collapse ? it.get_collapse_key() : it.get_document().get_value(NEWSIDX_SLOT_CLUSTER);
        if (o.snippets)
            h.snippet = m.snippet(d->body, o.snippet_len ? o.snippet_len : NEWSD_DEFAULT_SNIPPET_LEN,
                                  stem, snippet_flags(o.snippets), o.hi_start ? o.hi_start : "<b>",
                                  o.hi_end ? o.hi_end : "</b>", SNIPPET_OMIT);
        res.store.push_back(std::move(h));
        page.push_back(*it);
    }
    /* A folded hit's dups: the other members of its cluster the query matches, counted
     * by one unranked match over the page's clusters. */
    std::set<std::string> clusters;
    for (const HitStrings &h : res.store)
        if (!h.cluster.empty()) clusters.insert(h.cluster);
    if (o.collapse && !clusters.empty() && !dl.expired) {
        std::map<std::string, unsigned> counts;
        count_cluster_matches(db, every_query, clusters, counts);
        for (HitStrings &h : res.store)
            if (!h.cluster.empty() && counts[h.cluster] > 0) h.dups = counts[h.cluster] - 1;
    }
    if (query && o.explain && !dl.expired) {
        std::vector<std::string> ids;
        for (const HitStrings &h : res.store) ids.push_back(h.id);
        std::vector<TermWeights> weights;
        explain_page(db, query, page, ids, dl, res.query, weights);
        for (size_t k = 0; k < weights.size(); k++) res.store[k].terms = std::move(weights[k]);
    }
}

void check_page(const newsidx_search_opts_t &o)
{
    if (o.offset > NEWSD_MAX_OFFSET)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "offset must be a number from 0 to " +
                                                    std::to_string(NEWSD_MAX_OFFSET)};
    if (o.limit > NEWSD_MAX_LIMIT)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "limit must be a number from 0 to " +
                                                    std::to_string(NEWSD_MAX_LIMIT)};
    if (o.snippet_len > NEWSD_MAX_SNIPPET_LEN)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "snippet length too large"};
    if (o.snippets < NEWSIDX_SNIPPET_NONE || o.snippets > NEWSIDX_SNIPPET_BEST)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "unknown snippet mode"};
    if (o.sort != NEWSIDX_SORT_RANK && o.sort != NEWSIDX_SORT_DATE && o.sort != NEWSIDX_SORT_DATE_ASC)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "unknown sort order"};
    if (o.explain != 0 && o.explain != 1)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "explain must be 0 or 1"};
    if (o.collapse != 0 && o.collapse != 1)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "collapse must be 0 or 1"};
    check_facets(o);
    check_recency(o);
}

}  // namespace

bool shim::all_local(const newsidx_reader_t *r)
{
    for (size_t pos = 0; pos < r->up.size(); pos++)
        if (r->shards[r->up[pos]].remote) return false;
    return true;
}

newsidx_status_t newsidx_search(newsidx_reader_t *reader, const char *query,
                                const newsidx_search_opts_t *opts, newsidx_results_t **out)
{
    return run_results(reader, query, opts, out,
                       [query](newsidx_reader_t *r, const newsidx_search_opts_t &o, newsidx_results &,
                               QueryCost &cost) { return filtered_query(r->db, query, o, cost); });
}

newsidx_status_t shim::run_results(newsidx_reader_t *reader, const char *query,
                                   const newsidx_search_opts_t *opts, newsidx_results_t **out,
                                   const QueryMaker &make)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    if (!reader) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    newsidx_results_t *res = nullptr;
    try {
        newsidx_reader_t *r = usable(reader);
        newsidx_search_opts_t o;
        newsidx_search_opts_init(&o);
        if (opts) o = *opts;
        check_page(o);
        if (!query && o.explain)
            throw ApiError{NEWSIDX_BAD_ARGUMENT, "explain explains a typed query: not here"};
        res = new newsidx_results_t;
        Deadline dl = deadline_of(o);
        sharded(r, o.partial != 0, [&] { run_search(r, query, make, o, *res, dl); });
        res->missing = r->missing;
        /* A search cut by its deadline (here, or by the time limit on a remote shard)
         * is reported as timed out, with what it found. */
        if (dl.expired || (o.timeout_ms && Clock::now() >= dl.at)) {
            st = NEWSIDX_TIMEOUT;
            reader->error = "the search ran past its time limit of " +
                            std::to_string(o.timeout_ms) + " ms; results are partial";
            for (FacetList &f : res->facet_store) f.clear();
        }
        for (int f = 0; f < NEWSIDX_FACETS; f++) {
            res->facets[f].reserve(res->facet_store[f].size());
            for (const auto &v : res->facet_store[f])
                res->facets[f].push_back(newsidx_facet_value_t{v.first.c_str(), v.second});
        }
        res->hits.reserve(res->store.size());
        for (const HitStrings &h : res->store) {
            newsidx_hit_t hit;
            hit.rank = h.rank;
            hit.score = h.score;
            hit.id = h.id.c_str();
            hit.title = h.title.c_str();
            hit.date = h.date.c_str();
            hit.source = h.source.c_str();
            hit.url = h.url.c_str();
            hit.snippet = h.snippet.c_str();
            hit.cluster = h.cluster.c_str();
            hit.dups = h.dups;
            res->hits.push_back(hit);
            res->hit_terms.emplace_back();
            for (const auto &t : h.terms)
                res->hit_terms.back().push_back(newsidx_term_weight_t{t.first.c_str(), t.second});
        }
        *out = res;
        res = nullptr;
    }
    NEWSIDX_CATCH(&reader->error, st)
    delete res;
    return st;
}

uint64_t newsidx_results_total(const newsidx_results_t *results)
{
    return results ? results->total : 0;
}

int newsidx_results_total_exact(const newsidx_results_t *results)
{
    return results ? results->exact : 0;
}

size_t newsidx_results_count(const newsidx_results_t *results)
{
    return results ? results->hits.size() : 0;
}

const newsidx_hit_t *newsidx_results_hit(const newsidx_results_t *results, size_t i)
{
    return results && i < results->hits.size() ? &results->hits[i] : nullptr;
}

size_t newsidx_results_facet_size(const newsidx_results_t *results, newsidx_facet_t f)
{
    return results && f >= 0 && f < NEWSIDX_FACETS ? results->facets[f].size() : 0;
}

const newsidx_facet_value_t *newsidx_results_facet_value(const newsidx_results_t *results,
                                                         newsidx_facet_t f, size_t i)
{
    if (!results || f < 0 || f >= NEWSIDX_FACETS || i >= results->facets[f].size()) return nullptr;
    return &results->facets[f][i];
}

const char *newsidx_results_query(const newsidx_results_t *results)
{
    return results ? results->query.c_str() : "";
}

size_t newsidx_results_hit_terms(const newsidx_results_t *results, size_t i)
{
    return results && i < results->hit_terms.size() ? results->hit_terms[i].size() : 0;
}

const newsidx_term_weight_t *newsidx_results_hit_term(const newsidx_results_t *results,
                                                      size_t i, size_t k)
{
    if (!results || i >= results->hit_terms.size() || k >= results->hit_terms[i].size())
        return nullptr;
    return &results->hit_terms[i][k];
}

const char *newsidx_results_suggestion(const newsidx_results_t *results)
{
    return results ? results->suggestion.c_str() : "";
}

void newsidx_results_destroy(newsidx_results_t *results)
{
    delete results;
}

newsidx_status_t newsidx_count(newsidx_reader_t *reader, const char *query,
                               const newsidx_search_opts_t *opts, uint64_t *count)
{
    if (!reader || !count) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_reader_t *r = usable(reader);
        newsidx_search_opts_t o;
        newsidx_search_opts_init(&o);
        if (opts) o = *opts;
        o.facets = 0; /* counted only by a search */
        if (o.collapse != 0 && o.collapse != 1)
            throw ApiError{NEWSIDX_BAD_ARGUMENT, "collapse must be 0 or 1"};
        /* The count is exact or an error: check_at_least = doccount makes the matcher
         * see every candidate, so the estimate is the exact count, unless the deadline
         * cut the match, which is NEWSIDX_TIMEOUT and no number. */
        Deadline dl = deadline_of(o);
        uint64_t n = 0;
        sharded(r, o.partial != 0, [&] {
            Xapian::Database &db = r->db;
            Xapian::Enquire enq(db);
            enq.set_query(deadline_query(db, query, o, all_local(r), dl));
            enq.set_weighting_scheme(Xapian::BoolWeight());
            Xapian::ValueCountMatchSpy clusters(NEWSIDX_SLOT_CLUSTER);
            if (o.collapse) enq.add_matchspy(&clusters);
            Xapian::MSet m = enq.get_mset(0, 0, db.get_doccount());
            n = m.get_matches_estimated();
            if (o.collapse) n = folded_total(clusters, n);
        });
        if (dl.expired || (o.timeout_ms && Clock::now() >= dl.at))
            throw ApiErrorMsg{NEWSIDX_TIMEOUT, "the count ran past its time limit of " +
                              std::to_string(o.timeout_ms) + " ms"};
        *count = n;
    }
    NEWSIDX_CATCH(&reader->error, st)
    return st;
}

