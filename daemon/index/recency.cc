/*
 * recency.cc: the recency blend of a search (newsd(8), "RECENCY").  An article's recency
 * weight is NEWSD_RECENCY_WEIGHT * 2^(-age / halflife), its age in days from the origin
 * (recency_now, else the newest day in the index) to its day (NEWSIDX_SLOT_DAY), never
 * below 0; an article without a date gets none.  The weight joins the query through
 * OP_AND_MAYBE, so only a matching article gets it, and the hit's score is its BM25
 * relevance plus its recency weight.
 */
#include "recency.hh"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "private.hh"

namespace shim {

namespace {

/* Days from 1970-01-01 to the day "YYYYMMDD" (its first 8 bytes, digits as the index
 * writes them); false when v is shorter or not digits. */
bool day_number(const std::string &v, long &out)
{
    if (v.size() < 8) return false;
    long n[3] = {0, 0, 0};
    static const int width[3] = {4, 2, 2};
    size_t pos = 0;
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < width[f]; i++, pos++) {
            if (v[pos] < '0' || v[pos] > '9') return false;
            n[f] = n[f] * 10 + (v[pos] - '0');
        }
    /* days from civil (proleptic Gregorian), March-based years */
    long y = n[0] - (n[1] <= 2), m = n[1], d = n[2];
    long era = y / 400, yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    out = era * 146097 + doe - 719468;
    return true;
}

/* The day number of each document of one database, by docid, read once from its day
 * slot; NO_DAY for a document without one (or no document). */
constexpr int32_t NO_DAY = INT32_MIN;

DayTable build_day_table(const Xapian::Database &db)
{
    DayTable t;
    t.revision = db.get_revision();
    t.day.assign(size_t(db.get_lastdocid()) + 1, NO_DAY);
    for (Xapian::ValueIterator v = db.valuestream_begin(NEWSIDX_SLOT_DAY);
         v != db.valuestream_end(NEWSIDX_SLOT_DAY); ++v) {
        long d;
        if (v.get_docid() < t.day.size() && day_number(*v, d)) {
            t.day[v.get_docid()] = int32_t(d);
            t.with_day++;
        }
    }
    return t;
}

/*
 * The recency weight of each article that has a day.  Xapian gives a posting source
 * each database of a sharded reader in turn (init), with that database's docids: the
 * source picks that database's table by its UUID.  A table lookup instead of the day
 * slot's value stream: the stream reads its chunks from disk at every search.
 */
class RecencySource : public Xapian::PostingSource {
  public:
    RecencySource(std::shared_ptr<const DayTables> tables, long origin, unsigned halflife)
        : tables_(std::move(tables)), origin_(origin), halflife_(halflife)
    {
    }

    void init(const Xapian::Database &db) override
    {
        auto it = tables_->find(db.get_uuid());
        if (it == tables_->end())
            throw Xapian::InvalidOperationError("recency: no day table for a database");
        table_ = &it->second;
        cur_ = 0;
        set_maxweight(NEWSD_RECENCY_WEIGHT);
    }
    Xapian::doccount get_termfreq_min() const override { return table_->with_day; }
    Xapian::doccount get_termfreq_est() const override { return table_->with_day; }
    Xapian::doccount get_termfreq_max() const override { return table_->with_day; }
    void next(double) override
    {
        ++cur_;
        settle();
    }
    void skip_to(Xapian::docid did, double) override
    {
        if (did > cur_) cur_ = did;
        settle();
    }
    bool at_end() const override { return cur_ >= table_->day.size(); }
    Xapian::docid get_docid() const override { return cur_; }
    double get_weight() const override
    {
        long day = table_->day[cur_];
        long age = origin_ > day ? origin_ - day : 0;
        return NEWSD_RECENCY_WEIGHT * std::exp2(-double(age) / double(halflife_));
    }

    RecencySource *clone() const override { return new RecencySource(tables_, origin_, halflife_); }
    std::string get_description() const override
    {
        return "RecencySource(" + std::to_string(origin_) + ", " + std::to_string(halflife_) + ")";
    }

  private:
    /* On to the first document at or after cur_ that has a day. */
    void settle()
    {
        while (cur_ < table_->day.size() && table_->day[cur_] == NO_DAY) ++cur_;
    }

    std::shared_ptr<const DayTables> tables_;
    const DayTable *table_ = nullptr;
    long origin_;
    unsigned halflife_;
    Xapian::docid cur_ = 0;
};

/* The reader's day tables, each brought up to its database's revision; the set is
 * rebuilt only when one of them moved (tables of unmoved databases are kept). */
std::shared_ptr<const DayTables> day_tables(newsidx_reader_t *r)
{
    std::vector<const Xapian::Database *> dbs;
    if (r->shards.empty())
        dbs.push_back(&r->db);
    else
        for (size_t k : r->up) dbs.push_back(&r->shards[k].db);
    const DayTables *old = r->day_tables.get();
    bool current = old && old->size() == dbs.size();
    for (size_t i = 0; current && i < dbs.size(); i++) {
        auto it = old->find(dbs[i]->get_uuid());
        current = it != old->end() && it->second.revision == dbs[i]->get_revision();
    }
    if (current) return r->day_tables;
    auto fresh = std::make_shared<DayTables>();
    for (const Xapian::Database *db : dbs) {
        std::string uuid = db->get_uuid();
        auto it = old ? old->find(uuid) : DayTables::const_iterator();
        if (old && it != old->end() && it->second.revision == db->get_revision())
            (*fresh)[uuid] = it->second;
        else
            (*fresh)[uuid] = build_day_table(*db);
    }
    r->day_tables = fresh;
    return fresh;
}

const char *const BAD_NOW = "recency now must be a day, YYYY-MM-DD or YYYYMMDD";

}  // namespace

void check_recency(const newsidx_search_opts_t &o)
{
    if (o.recency_days > NEWSD_MAX_RECENCY_DAYS)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "recency must be a number of days from 0 to " +
                                                    std::to_string(NEWSD_MAX_RECENCY_DAYS)};
    if (o.recency_now) parse_day_opt(o.recency_now, BAD_NOW);
    if (o.recency_days && o.sort != NEWSIDX_SORT_RANK)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "recency ranks by relevance and age: not with sort by date"};
}

Xapian::Query with_recency(newsidx_reader_t *r, const Xapian::Query &q,
                           const newsidx_search_opts_t &o, bool local)
{
    const Xapian::Database &db = r->db;
    if (!o.recency_days) return q;
    if (!local)
        throw ApiError{NEWSIDX_BAD_ARGUMENT,
                       "recency needs every shard local: a remote shard (xapian-tcpsrv) cannot "
                       "run its weighting"};
    std::string now = o.recency_now ? parse_day_opt(o.recency_now, BAD_NOW)
                                    : db.get_value_upper_bound(NEWSIDX_SLOT_DAY);
    long origin;
    if (!day_number(now, origin)) return q; /* no article has a date: nothing to weigh */
    Xapian::Query boost((new RecencySource(day_tables(r), origin, o.recency_days))->release());
    return Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, boost);
}

}  // namespace shim
