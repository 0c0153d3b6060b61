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
#include <cstring>
#include <string>

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

/* The recency weight of each article that has a day, over the day slot's values. */
class RecencySource : public Xapian::ValuePostingSource {
  public:
    RecencySource(long origin, unsigned halflife)
        : Xapian::ValuePostingSource(NEWSIDX_SLOT_DAY), origin_(origin), halflife_(halflife)
    {
    }

    void init(const Xapian::Database &db) override
    {
        Xapian::ValuePostingSource::init(db);
        set_maxweight(NEWSD_RECENCY_WEIGHT);
    }

    double get_weight() const override
    {
        long day;
        if (!day_number(get_value(), day)) return 0;
        long age = origin_ > day ? origin_ - day : 0;
        return NEWSD_RECENCY_WEIGHT * std::exp2(-double(age) / double(halflife_));
    }

    RecencySource *clone() const override { return new RecencySource(origin_, halflife_); }
    std::string get_description() const override
    {
        return "RecencySource(" + std::to_string(origin_) + ", " + std::to_string(halflife_) + ")";
    }

  private:
    long origin_;
    unsigned halflife_;
};

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

Xapian::Query with_recency(const Xapian::Database &db, const Xapian::Query &q,
                           const newsidx_search_opts_t &o, bool local)
{
    if (!o.recency_days) return q;
    if (!local)
        throw ApiError{NEWSIDX_BAD_ARGUMENT,
                       "recency needs every shard local: a remote shard (xapian-tcpsrv) cannot "
                       "run its weighting"};
    std::string now = o.recency_now ? parse_day_opt(o.recency_now, BAD_NOW)
                                    : db.get_value_upper_bound(NEWSIDX_SLOT_DAY);
    long origin;
    if (!day_number(now, origin)) return q; /* no article has a date: nothing to weigh */
    Xapian::Query boost((new RecencySource(origin, o.recency_days))->release());
    return Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, boost);
}

}  // namespace shim
