/*
 * query.cc: what a query string becomes: the one query-parser set-up (query.hh), the
 * search options' filters, the cost caps checked before a match runs, and the deadline
 * guard that ends a match at its time limit.
 */
#include "query.hh"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "nearphrase.hh"
#include "private.hh"

namespace shim {

namespace {

/* Lowercases the value of a boolean field (source:Reuters finds XSreuters), as the
 * indexer does; QueryParser leaves boolean values as typed. */
class LowercaseFilter : public Xapian::FieldProcessor {
  public:
    explicit LowercaseFilter(const char *prefix) : prefix_(prefix) {}
    Xapian::Query operator()(const std::string &str) override
    {
        return Xapian::Query(filter_term(prefix_, str));
    }

  private:
    const char *prefix_;
};

/* The pattern of an OP_WILDCARD subquery.  Xapian 1.4 has no accessor for it; its
 * serialisation (the remote protocol's, so stable within 1.4) is 0x0b, the expansion
 * limit, the limit type and combiner (a byte each), then the pattern's length and bytes,
 * lengths as in net/length.h: one byte below 255, else 0xff and a 7-bit varint. */
std::string wildcard_pattern(const Xapian::Query &q)
{
    std::string s = q.serialise();
    size_t pos = 1;
    auto length = [&s, &pos]() {
        if (pos >= s.size()) throw ApiError{NEWSIDX_INTERNAL, "unexpected wildcard serialisation"};
        size_t len = static_cast<unsigned char>(s[pos++]);
        if (len < 255) return len;
        size_t v = 0;
        for (unsigned shift = 0; pos < s.size() && shift < 8 * sizeof v; shift += 7) {
            unsigned char b = static_cast<unsigned char>(s[pos++]);
            v |= size_t(b & 0x7f) << shift;
            if (b & 0x80) return v + 255;
        }
        throw ApiError{NEWSIDX_INTERNAL, "unexpected wildcard serialisation"};
    };
    if (s.empty() || s[0] != '\x0b') throw ApiError{NEWSIDX_INTERNAL, "not a wildcard"};
    length();
    pos += 2;
    size_t n = length();
    if (pos + n > s.size()) throw ApiError{NEWSIDX_INTERNAL, "unexpected wildcard serialisation"};
    return s.substr(pos, n);
}

/* An operator that only combines its subqueries, with no parameter of its own (so it can
 * be rebuilt from them): the ones the parser and the filters make. */
bool plain_operator(Xapian::Query::op op)
{
    switch (op) {
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR:
    case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX:
        return true;
    default:
        return false;
    }
}

void add_cost(const Xapian::Database &db, const Xapian::Query &q, QueryCost &c)
{
    if (++c.nodes > NEWSD_MAX_QUERY_NODES)
        throw ApiErrorMsg{NEWSIDX_BAD_QUERY, "query too complex: more than " +
                          std::to_string(NEWSD_MAX_QUERY_NODES) +
                          " terms and operators (NEWSD_MAX_QUERY_NODES)"};
    if (q.get_type() == Xapian::Query::OP_WILDCARD) {
        std::string prefix = wildcard_pattern(q);
        size_t matched = 0;
        for (Xapian::TermIterator t = db.allterms_begin(prefix); t != db.allterms_end(prefix); ++t) {
            c.postings += t.get_termfreq();
            if (++c.scanned > NEWSD_MAX_WILDCARD_SCAN)
                throw ApiErrorMsg{NEWSIDX_BAD_QUERY, "wildcards too broad: they match more than " +
                                  std::to_string(NEWSD_MAX_WILDCARD_SCAN) +
                                  " index terms (NEWSD_MAX_WILDCARD_SCAN)"};
            matched++;
        }
        c.expansion += std::min<size_t>(matched, NEWSD_MAX_WILDCARD_TERMS);
        if (c.expansion > NEWSD_MAX_QUERY_EXPANSION)
            throw ApiErrorMsg{NEWSIDX_BAD_QUERY, "wildcards expand to more than " +
                              std::to_string(NEWSD_MAX_QUERY_EXPANSION) +
                              " terms in all (NEWSD_MAX_QUERY_EXPANSION)"};
        return;
    }
    Xapian::Query::op op = q.get_type();
    if (op == Xapian::Query::LEAF_TERM) {
        c.terms++;
    } else if (op == Xapian::Query::OP_PHRASE || op == Xapian::Query::OP_NEAR) {
        c.positional = true;
    } else if (op == Xapian::Query::LEAF_POSTING_SOURCE) {
        c.own_source = true;
        c.postings += db.get_doccount();
    } else if (!plain_operator(op) && op != Xapian::Query::OP_SCALE_WEIGHT &&
               op != Xapian::Query::OP_ELITE_SET) {
        /* value ranges, match-all, posting sources: up to a pass over the index */
        c.postings += db.get_doccount();
    }
    for (size_t i = 0, n = q.get_num_subqueries(); i < n; i++) add_cost(db, q.get_subquery(i), c);
}

/* The query string parsed, checked against the caps; its cost added to cost. */
Xapian::Query parse_query(const Xapian::Database &db, const char *query, QueryCost &cost)
{
    if (!query) throw ApiError{NEWSIDX_BAD_ARGUMENT, "query is NULL"};
    size_t n = strlen(query);
    if (n > NEWSD_MAX_QUERY_LEN)
        throw ApiErrorMsg{NEWSIDX_BAD_QUERY,
                          "query longer than " + std::to_string(NEWSD_MAX_QUERY_LEN) + " bytes"};
    size_t i = 0;
    while (i < n && (query[i] == ' ' || (query[i] >= '\t' && query[i] <= '\r'))) i++;
    if (i == n) throw ApiError{NEWSIDX_BAD_QUERY, "empty query"};

    Xapian::QueryParser qp;
    setup_query_parser(qp, db);
    Xapian::Query q = parse_with_near(qp, query, QUERY_FLAGS);
    if (q.empty()) throw ApiError{NEWSIDX_BAD_QUERY, "query has no searchable terms"};
    add_cost(db, q, cost);
    return q;
}

/* The filter list `list` of option `name` (newsidx.h: comma-separated values, any of
 * them): the OR of their boolean terms, whose postings are added to cost; ApiError for an
 * empty value or more than NEWSD_MAX_FILTER_VALUES of them. */
Xapian::Query filter_list(const Xapian::Database &db, const char *list, const char *name,
                          const char *prefix, QueryCost &cost)
{
    std::vector<Xapian::Query> terms;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? size_t(comma - p) : strlen(p);
        if (len == 0)
            throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, std::string(name) + " has an empty value"};
        if (terms.size() == NEWSD_MAX_FILTER_VALUES)
            throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                              std::string(name) + " has more than " +
                                  std::to_string(NEWSD_MAX_FILTER_VALUES) + " values"};
        std::string t = filter_term(prefix, std::string(p, len));
        cost.postings += db.get_termfreq(t);
        terms.emplace_back(t);
        if (!comma) break;
        p = comma + 1;
    }
    return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
}

/* q with the filters of opts applied; their cost added to cost. */
Xapian::Query filtered(const Xapian::Database &db, Xapian::Query q, const newsidx_search_opts_t &o,
                       QueryCost &cost)
{
    std::string since, until;
    if (o.since) since = parse_day_opt(o.since, "since must be a day, YYYY-MM-DD or YYYYMMDD");
    if (o.until) until = parse_day_opt(o.until, "until must be a day, YYYY-MM-DD or YYYYMMDD");
    if (!since.empty() && !until.empty()) {
        if (since > until) throw ApiError{NEWSIDX_BAD_ARGUMENT, "since is after until"};
        q = Xapian::Query(Xapian::Query::OP_FILTER, q,
                          Xapian::Query(Xapian::Query::OP_VALUE_RANGE, NEWSIDX_SLOT_DAY, since, until));
    } else if (!since.empty()) {
        q = Xapian::Query(Xapian::Query::OP_FILTER, q,
                          Xapian::Query(Xapian::Query::OP_VALUE_GE, NEWSIDX_SLOT_DAY, since));
    } else if (!until.empty()) {
        q = Xapian::Query(Xapian::Query::OP_FILTER, q,
                          Xapian::Query(Xapian::Query::OP_VALUE_LE, NEWSIDX_SLOT_DAY, until));
    }
    if (!since.empty() || !until.empty()) cost.postings += db.get_doccount();
    struct Filter {
        const char *list, *name, *prefix;
        bool exclude;
    } filters[] = {
        {o.source, "source", "XS", false},     {o.topic, "topic", "XT", false},
        {o.place, "place", "XP", false},       {o.not_source, "not_source", "XS", true},
        {o.not_topic, "not_topic", "XT", true}, {o.not_place, "not_place", "XP", true},
    };
    for (const Filter &f : filters) {
        if (!f.list) continue;
        Xapian::Query any = filter_list(db, f.list, f.name, f.prefix, cost);
        /* The right side of either operator adds no weight: ranking stays the query's. */
        q = Xapian::Query(f.exclude ? Xapian::Query::OP_AND_NOT : Xapian::Query::OP_FILTER, q,
                          any);
    }
    return q;
}

/*
 * The hard deadline of a match.  Xapian 1.4's Enquire::set_time_limit only stops
 * widening the count once the time is up; it never ends the match.  So every local
 * match carries this posting source as a boolean filter that matches every document: the
 * matcher asks it about each candidate, it reads the clock every
 * NEWSD_DEADLINE_CHECK_EVERY questions, and once the deadline has passed it says it is at
 * its end, which ends the match at once with what was found so far (`expired` tells the
 * caller that the answer is short).  It claims the database's document count as its
 * frequency, so estimates and the order of the matcher's work are those of the query
 * alone.  Remote shards cannot run it (it has no registered name): their matches end
 * with the shard timeout instead.
 */
class DeadlineSource : public Xapian::PostingSource {
    Deadline *deadline_;
    Xapian::docid cur_ = 0, last_ = 0;
    unsigned ticks_ = 0;

    void tick()
    {
        if (++ticks_ % NEWSD_DEADLINE_CHECK_EVERY == 0 && Clock::now() >= deadline_->at)
            deadline_->expired = true;
    }

  public:
    explicit DeadlineSource(Deadline *d) : deadline_(d) {}
    void init(const Xapian::Database &db) override
    {
        cur_ = 0;
        last_ = db.get_lastdocid();
        set_maxweight(0);
        Xapian::doccount n = db.get_doccount();
        termfreq_min = termfreq_est = termfreq_max = n;
        if (Clock::now() >= deadline_->at) deadline_->expired = true;
    }
    Xapian::doccount get_termfreq_min() const override { return termfreq_min; }
    Xapian::doccount get_termfreq_est() const override { return termfreq_est; }
    Xapian::doccount get_termfreq_max() const override { return termfreq_max; }
    void next(double) override
    {
        ++cur_;
        tick();
    }
    void skip_to(Xapian::docid did, double) override
    {
        if (did > cur_) cur_ = did;
        tick();
    }
    bool at_end() const override { return cur_ > last_ || deadline_->expired; }
    Xapian::docid get_docid() const override { return cur_; }
    DeadlineSource *clone() const override { return new DeadlineSource(deadline_); }
    std::string get_description() const override { return "DeadlineSource"; }

  private:
    Xapian::doccount termfreq_min = 0, termfreq_est = 0, termfreq_max = 0;
};

/*
 * A phrase or NEAR checks positions inside its own loop and may reject thousands of
 * documents before the match above it sees one, so the guard goes into each of them as
 * well: Xapian puts the terms of a phrase under a filter into that filter's AND, which
 * then asks the guard about every document whose positions it would read.  Operators
 * without a parameter are rebuilt around their guarded subqueries; the rest are kept.
 */
Xapian::Query guard_positional(const Xapian::Query &q, const Xapian::Query &guard, bool &changed)
{
    Xapian::Query::op op = q.get_type();
    if (op == Xapian::Query::OP_PHRASE || op == Xapian::Query::OP_NEAR) {
        changed = true;
        return Xapian::Query(Xapian::Query::OP_FILTER, q, guard);
    }
    if (!plain_operator(op)) return q;
    std::vector<Xapian::Query> subs;
    bool any = false;
    for (size_t i = 0, n = q.get_num_subqueries(); i < n; i++)
        subs.push_back(guard_positional(q.get_subquery(i), guard, any));
    if (!any) return q;
    changed = true;
    return Xapian::Query(op, subs.begin(), subs.end());
}

}  // namespace

void setup_query_parser(Xapian::QueryParser &qp, const Xapian::Database &db)
{
    qp.set_stemmer(Xapian::Stem("en"));
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_default_op(Xapian::Query::OP_AND);
    qp.set_database(db);
    qp.set_max_expansion(NEWSD_MAX_WILDCARD_TERMS, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
                         Xapian::QueryParser::FLAG_WILDCARD);
    /* Unfielded words search body and title; the title is indexed once, with S. */
    qp.add_prefix("", "");
    qp.add_prefix("", "S");
    qp.add_prefix("title", "S");
    qp.add_boolean_prefix("source", (new LowercaseFilter("XS"))->release());
    qp.add_boolean_prefix("topic", (new LowercaseFilter("XT"))->release());
    qp.add_boolean_prefix("place", (new LowercaseFilter("XP"))->release());
    qp.add_boolean_prefix("id", "Q");
    /* date:2021-03-01..2021-03-31 and bare 20210301..20210331, on the day slot. */
    qp.add_rangeprocessor((new Xapian::DateRangeProcessor(NEWSIDX_SLOT_DAY, "date:"))->release());
    qp.add_rangeprocessor((new Xapian::DateRangeProcessor(NEWSIDX_SLOT_DAY))->release());
}

Deadline deadline_of(const newsidx_search_opts_t &o)
{
    Deadline d;
    d.at = o.timeout_ms ? Clock::now() + std::chrono::milliseconds(o.timeout_ms)
                        : Clock::time_point::max();
    return d;
}

/* The entries in the posting lists of the plain terms of q. */
uint64_t term_postings(const Xapian::Database &db, const Xapian::Query &q)
{
    uint64_t n = 0;
    if (q.get_type() == Xapian::Query::LEAF_TERM)
        for (Xapian::TermIterator t = q.get_terms_begin(); t != q.get_terms_end(); ++t)
            n += db.get_termfreq(*t);
    for (size_t i = 0, k = q.get_num_subqueries(); i < k; i++) n += term_postings(db, q.get_subquery(i));
    return n;
}

/* Whether the match of q may run long.  The terms' frequencies are looked up only when
 * the terms could reach the threshold were each in every document: most queries cost
 * no lookup of their own. */
bool may_run_long(const Xapian::Database &db, const Xapian::Query &q, const QueryCost &c)
{
    if (c.positional) return true;
    uint64_t bound = c.postings + c.terms * db.get_doccount();
    if (bound < NEWSD_DEADLINE_MIN_POSTINGS) return false;
    if (c.terms == 0) return true; /* every posting is counted in c.postings */
    return c.postings + term_postings(db, q) >= NEWSD_DEADLINE_MIN_POSTINGS;
}

Xapian::Query guarded(const Xapian::Query &q, Deadline &d)
{
    Xapian::Query guard((new DeadlineSource(&d))->release());
    bool changed = false;
    return Xapian::Query(Xapian::Query::OP_FILTER, guard_positional(q, guard, changed), guard);
}

namespace {

/* A query with a posting source of ours cannot be sent to a remote shard. */
void check_remote(const QueryCost &cost, bool local)
{
    if (cost.own_source && !local)
        throw ApiError{NEWSIDX_BAD_QUERY, "NEAR and ADJ with a phrase cannot run on a remote "
                                          "shard (xapian-tcpsrv)"};
}

}  // namespace

Xapian::Query filtered_query(const Xapian::Database &db, const char *query,
                             const newsidx_search_opts_t &o, QueryCost &cost)
{
    return filtered(db, parse_query(db, query, cost), o, cost);
}

Xapian::Query filtered_query(const Xapian::Database &db, const Xapian::Query &base,
                             uint64_t known_postings, const newsidx_search_opts_t &o,
                             QueryCost &cost)
{
    uint64_t terms = cost.terms;
    add_cost(db, base, cost);
    cost.terms = terms;
    cost.postings += known_postings;
    return filtered(db, base, o, cost);
}

Xapian::Query deadline_query(const Xapian::Database &db, const char *query,
                             const newsidx_search_opts_t &o, bool local, Deadline &d)
{
    QueryCost cost;
    Xapian::Query q = filtered_query(db, query, o, cost);
    check_remote(cost, local);
    if (d.at == Clock::time_point::max() || !local) return q;
    /* A faceted match reads every match, and its counts must not be short: it always
     * runs under the guard. */
    if (!o.facets && !may_run_long(db, q, cost)) return q;
    return guarded(q, d);
}

void guard_queries(const Xapian::Database &db, const Xapian::Query &q, const QueryCost &cost,
                   bool local, Deadline &d, Xapian::Query &page, Xapian::Query &every)
{
    check_remote(cost, local);
    page = every = q;
    if (d.at == Clock::time_point::max() || !local) return;
    every = guarded(q, d);
    if (may_run_long(db, q, cost)) page = guarded(q, d);
}

}  // namespace shim
