/*
 * facets.cc: facets (newsidx.h, "Facets"): the facet names, the checks of a request's
 * facet options, and the counts of a match.  Xapian's ValueCountMatchSpy counts each
 * distinct value of a slot over the matching documents; the source facet is that count
 * as is, the topic and place facets add the count of each distinct list value (its
 * members NUL-terminated, codec.cc) to each member, and the time facets add up the day
 * counts by year, month or day and fill in the empty buckets between the first and the
 * last.
 */
#include "facets.hh"

#include <algorithm>
#include <cstring>
#include <map>

#include "day.h"
#include "private.hh"

namespace {

const char *const FACET_NAMES[NEWSIDX_FACETS] = {"source", "topic", "place",
                                                 "year",   "month", "day"};

const unsigned TIME_FACETS = NEWSIDX_FACET_BIT(NEWSIDX_FACET_YEAR) |
                             NEWSIDX_FACET_BIT(NEWSIDX_FACET_MONTH) |
                             NEWSIDX_FACET_BIT(NEWSIDX_FACET_DAY);

/* Days from 1970-01-01 to y-m-d of the Gregorian calendar (negative before). */
long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct Day {
    int y, m, d;
};

/* A day slot value "YYYYMMDD"; false for anything else (never written, but a value is
 * bytes from the index). */
bool read_day(const std::string &v, Day &out)
{
    if (v.size() != 8 || v.find_first_not_of("0123456789") != std::string::npos) return false;
    out.y = std::stoi(v.substr(0, 4));
    out.m = std::stoi(v.substr(4, 2));
    out.d = std::stoi(v.substr(6, 2));
    return day_valid(out.y, out.m, out.d) != 0;
}

std::string two(int n)
{
    char b[3] = {char('0' + n / 10 % 10), char('0' + n % 10), '\0'};
    return b;
}

std::string four(int n)
{
    return two(n / 100) + two(n % 100);
}

/* The most frequent values first, ties by value, at most limit of them. */
void top(const std::map<std::string, uint64_t> &counts, unsigned limit, shim::FacetList &out)
{
    out.assign(counts.begin(), counts.end());
    auto before = [](const std::pair<std::string, uint64_t> &a,
                     const std::pair<std::string, uint64_t> &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    };
    if (out.size() > limit) {
        std::partial_sort(out.begin(), out.begin() + limit, out.end(), before);
        out.resize(limit);
    } else {
        std::sort(out.begin(), out.end(), before);
    }
}

/* A count facet from its spy: each value as is (source), or each member of each list
 * value (topics, places). */
void count_facet(const Xapian::ValueCountMatchSpy &spy, bool list, unsigned limit,
                 shim::FacetList &out)
{
    std::map<std::string, uint64_t> counts;
    for (Xapian::TermIterator v = spy.values_begin(); v != spy.values_end(); ++v) {
        const std::string &value = *v;
        uint64_t n = v.get_termfreq();
        if (!list) {
            if (!value.empty()) counts[value] += n;
            continue;
        }
        for (size_t pos = 0; pos < value.size();) {
            size_t end = value.find('\0', pos);
            if (end == std::string::npos) end = value.size();
            if (end > pos) counts[value.substr(pos, end - pos)] += n;
            pos = end + 1;
        }
    }
    top(counts, limit, out);
}

[[noreturn]] void too_many_buckets(newsidx_facet_t f, long n)
{
    throw shim::ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                            std::string("the ") + FACET_NAMES[f] + " facet would have " +
                                std::to_string(n) + " buckets, more than " +
                                std::to_string(NEWSD_MAX_FACET_BUCKETS) +
                                ": narrow the dates with since and until, or ask for a "
                                "coarser facet (month, year)"};
}

/* The time facet f from the day counts (in date order, as the spy gives them): every
 * bucket from the first day's to the last's. */
void time_facet(const std::vector<std::pair<Day, uint64_t>> &days, newsidx_facet_t f,
                shim::FacetList &out)
{
    out.clear();
    if (days.empty()) return;
    Day a = days.front().first, b = days.back().first;
    long n = f == NEWSIDX_FACET_YEAR    ? long(b.y - a.y) + 1
             : f == NEWSIDX_FACET_MONTH ? long(b.y * 12 + b.m) - (a.y * 12 + a.m) + 1
                                        : days_from_civil(b.y, b.m, b.d) -
                                              days_from_civil(a.y, a.m, a.d) + 1;
    if (n > NEWSD_MAX_FACET_BUCKETS) too_many_buckets(f, n);
    auto name = [f](const Day &d) {
        std::string s = four(d.y);
        if (f != NEWSIDX_FACET_YEAR) s += "-" + two(d.m);
        if (f == NEWSIDX_FACET_DAY) s += "-" + two(d.d);
        return s;
    };
    auto next = [f](Day &d) {
        if (f == NEWSIDX_FACET_YEAR) {
            d.y++;
            return;
        }
        if (f == NEWSIDX_FACET_DAY && day_valid(d.y, d.m, d.d + 1)) {
            d.d++;
            return;
        }
        d.d = 1;
        if (++d.m > 12) {
            d.m = 1;
            d.y++;
        }
    };
    out.reserve(size_t(n));
    Day cur = a;
    if (f != NEWSIDX_FACET_DAY) cur.d = 1;
    if (f == NEWSIDX_FACET_YEAR) cur.m = 1;
    size_t i = 0;
    for (long k = 0; k < n; k++, next(cur)) {
        std::string bucket = name(cur);
        uint64_t count = 0;
        while (i < days.size() && name(days[i].first) == bucket) count += days[i++].second;
        out.emplace_back(std::move(bucket), count);
    }
}

}  // namespace

const char *newsidx_facet_name(newsidx_facet_t f)
{
    return f >= 0 && f < NEWSIDX_FACETS ? FACET_NAMES[f] : nullptr;
}

int newsidx_facet_parse(const char *name, size_t len)
{
    if (!name) return -1;
    for (int f = 0; f < NEWSIDX_FACETS; f++)
        if (strlen(FACET_NAMES[f]) == len && memcmp(FACET_NAMES[f], name, len) == 0) return f;
    return -1;
}

namespace shim {

void check_facets(const newsidx_search_opts_t &o)
{
    if (o.facets & ~((1u << NEWSIDX_FACETS) - 1))
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "unknown facet"};
    if (o.facet_limit > NEWSD_MAX_FACET_LIMIT)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "facet_limit must be a number from 1 to " +
                                                    std::to_string(NEWSD_MAX_FACET_LIMIT)};
}

FacetSpies::FacetSpies(unsigned facets, const Xapian::Database &db, bool local)
    : facets_(facets),
      source_(NEWSIDX_SLOT_SOURCE),
      topics_(NEWSIDX_SLOT_TOPICS),
      places_(NEWSIDX_SLOT_PLACES),
      day_(NEWSIDX_SLOT_DAY)
{
    /* Reading a slot for every match is most of a facet's cost, and an index of one
     * source (one corpus) is common.  The value statistics say so exactly: every
     * document has a value and the least equals the greatest.  Remote shards would
     * cost a round trip each for them, so only a local db is asked. */
    if (local && (facets & NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE)) && db.get_doccount() &&
        db.get_value_freq(NEWSIDX_SLOT_SOURCE) == db.get_doccount()) {
        std::string lo = db.get_value_lower_bound(NEWSIDX_SLOT_SOURCE);
        if (!lo.empty() && lo == db.get_value_upper_bound(NEWSIDX_SLOT_SOURCE))
            only_source_ = lo;
    }
}

void FacetSpies::attach(Xapian::Enquire &enq)
{
    if ((facets_ & NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE)) && only_source_.empty())
        enq.add_matchspy(&source_);
    if (facets_ & NEWSIDX_FACET_BIT(NEWSIDX_FACET_TOPIC)) enq.add_matchspy(&topics_);
    if (facets_ & NEWSIDX_FACET_BIT(NEWSIDX_FACET_PLACE)) enq.add_matchspy(&places_);
    if (facets_ & TIME_FACETS) enq.add_matchspy(&day_);
}

void FacetSpies::collect(unsigned limit, uint64_t total, FacetList out[NEWSIDX_FACETS]) const
{
    if (limit == 0) limit = NEWSD_DEFAULT_FACET_LIMIT;
    if ((facets_ & NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE)) && !only_source_.empty()) {
        out[NEWSIDX_FACET_SOURCE].clear();
        if (total) out[NEWSIDX_FACET_SOURCE].emplace_back(only_source_, total);
    } else if (facets_ & NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE)) {
        count_facet(source_, false, limit, out[NEWSIDX_FACET_SOURCE]);
    }
    if (facets_ & NEWSIDX_FACET_BIT(NEWSIDX_FACET_TOPIC))
        count_facet(topics_, true, limit, out[NEWSIDX_FACET_TOPIC]);
    if (facets_ & NEWSIDX_FACET_BIT(NEWSIDX_FACET_PLACE))
        count_facet(places_, true, limit, out[NEWSIDX_FACET_PLACE]);
    if (!(facets_ & TIME_FACETS)) return;
    std::vector<std::pair<Day, uint64_t>> days;
    for (Xapian::TermIterator v = day_.values_begin(); v != day_.values_end(); ++v) {
        Day d;
        if (read_day(*v, d)) days.emplace_back(d, v.get_termfreq());
    }
    for (newsidx_facet_t f : {NEWSIDX_FACET_YEAR, NEWSIDX_FACET_MONTH, NEWSIDX_FACET_DAY})
        if (facets_ & NEWSIDX_FACET_BIT(f)) time_facet(days, f, out[f]);
}

}  // namespace shim
