/*
 * clusters.cc: near-duplicate clusters of whole indexes at once (newsidx_cluster): the
 * fingerprints of every shard read from their value streams, clustered in memory in
 * order of date (then id) through tables of first members by band, and only the cluster slots
 * and terms that change written back.  A build clusters its shards together here, after their
 * merge, instead of looking each new document up as a live write does (dups.cc).
 */
#include "dups.hh"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

using namespace shim;

namespace {

struct Item {
    uint64_t fp;
    std::string time;           /* "" (no date) sorts last */
    uint32_t shard;
    Xapian::docid did;
    uint32_t first;             /* index of its cluster's first member */
};

/* Every fingerprinted document of db, with its date. */
void read_items(Xapian::Database &db, uint32_t shard, std::vector<Item> &items)
{
    Xapian::ValueIterator t = db.valuestream_begin(NEWSIDX_SLOT_TIME);
    for (Xapian::ValueIterator v = db.valuestream_begin(NEWSIDX_SLOT_SIMHASH);
         v != db.valuestream_end(NEWSIDX_SLOT_SIMHASH); ++v) {
        Item it{0, std::string(), shard, v.get_docid(), 0};
        if (!parse_fingerprint(*v, it.fp)) continue;
        if (t != db.valuestream_end(NEWSIDX_SLOT_TIME) && t.get_docid() < it.did) t.skip_to(it.did);
        if (t != db.valuestream_end(NEWSIDX_SLOT_TIME) && t.get_docid() == it.did) it.time = *t;
        items.push_back(std::move(it));
    }
}

/* Leader clustering in the items' order: each joins the oldest first member within
 * NEWSD_DUP_MAX_DISTANCE that shares a band with it, or becomes one. */
void assign(std::vector<Item> &items)
{
    std::unordered_map<uint32_t, std::vector<uint32_t>> firsts; /* band << 16 | value */
    for (uint32_t i = 0; i < items.size(); i++) {
        uint64_t fp = items[i].fp;
        uint32_t best = UINT32_MAX;
        for (uint32_t b = 0; b < 4; b++) {
            auto f = firsts.find(b << 16 | uint32_t((fp >> (16 * b)) & 0xffff));
            if (f == firsts.end()) continue;
            for (uint32_t k : f->second)
                if (k < best && distance(fp, items[k].fp) <= NEWSD_DUP_MAX_DISTANCE) best = k;
        }
        if (best != UINT32_MAX) {
            items[i].first = best;
            continue;
        }
        items[i].first = i;
        for (uint32_t b = 0; b < 4; b++)
            firsts[b << 16 | uint32_t((fp >> (16 * b)) & 0xffff)].push_back(i);
    }
}

}  // namespace

newsidx_status_t newsidx_cluster(const char *const *paths, size_t n, uint64_t *clusters,
                                 uint64_t *duplicates, char *msg, size_t msglen)
{
    std::string err;
    newsidx_status_t st = NEWSIDX_OK;
    if (clusters) *clusters = 0;
    if (duplicates) *duplicates = 0;
    try {
        if (!paths || n == 0) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no index to cluster"};
        std::vector<Xapian::WritableDatabase> dbs;
        for (size_t s = 0; s < n; s++) {
            dbs.emplace_back(paths[s], Xapian::DB_OPEN | Xapian::DB_BACKEND_GLASS);
            check_format(dbs.back(), paths[s], false);
        }
        std::vector<Item> items;
        for (size_t s = 0; s < n; s++) read_items(dbs[s], uint32_t(s), items);
        std::sort(items.begin(), items.end(), [](const Item &a, const Item &b) {
            if (a.time.empty() != b.time.empty()) return b.time.empty();
            if (a.time != b.time) return a.time < b.time;
            return a.shard != b.shard ? a.shard < b.shard : a.did < b.did;
        });
        /* Equal dates are ordered by id, so that a cluster's name does not depend on how
         * the index is split into shards (ids are read only where dates tie). */
        for (size_t i = 0; i < items.size();) {
            size_t j = i + 1;
            while (j < items.size() && items[j].time == items[i].time) j++;
            if (j - i > 1) {
                std::vector<std::pair<std::string, Item>> run;
                for (size_t k = i; k < j; k++)
                    run.emplace_back(doc_id(dbs[items[k].shard], items[k].did), items[k]);
                std::sort(run.begin(), run.end(),
                          [](const auto &x, const auto &y) { return x.first < y.first; });
                for (size_t k = i; k < j; k++) items[k] = run[k - i].second;
            }
            i = j;
        }
        assign(items);

        /* The name of each cluster of more than one member: its first member's id. */
        std::vector<uint32_t> size(items.size(), 0);
        for (const Item &it : items) size[it.first]++;
        std::unordered_map<uint32_t, std::string> names;
        uint64_t c = 0, d = 0;
        for (uint32_t i = 0; i < items.size(); i++)
            if (size[i] > 1) {
                names[i] = doc_id(dbs[items[i].shard], items[i].did);
                c++;
                d += size[i] - 1;
            }

        /* What each document's cluster slot and term should hold, against what they
         * hold (a document whose slot and term disagree holds neither). */
        std::vector<std::unordered_map<Xapian::docid, std::string>> want(n), have(n);
        for (const Item &it : items)
            if (size[it.first] > 1) want[it.shard][it.did] = names[it.first];
        const std::string prefix = cluster_term(std::string());
        for (size_t s = 0; s < n; s++) {
            std::unordered_map<Xapian::docid, std::string> termed;
            for (Xapian::TermIterator t = dbs[s].allterms_begin(prefix); t != dbs[s].allterms_end(prefix);
                 ++t)
                for (Xapian::PostingIterator p = dbs[s].postlist_begin(*t); p != dbs[s].postlist_end(*t);
                     ++p)
                    termed[*p] = (*t).substr(prefix.size());
            for (Xapian::ValueIterator v = dbs[s].valuestream_begin(NEWSIDX_SLOT_CLUSTER);
                 v != dbs[s].valuestream_end(NEWSIDX_SLOT_CLUSTER); ++v) {
                auto t = termed.find(v.get_docid());
                have[s][v.get_docid()] = t != termed.end() && t->second == *v ? *v : std::string();
            }
            for (const auto &t : termed)
                if (!have[s].count(t.first)) have[s][t.first] = std::string();
            std::vector<std::pair<Xapian::docid, std::string>> changes;
            for (const auto &w : want[s]) {
                auto h = have[s].find(w.first);
                if (h == have[s].end() || h->second != w.second) changes.push_back(w);
            }
            for (const auto &h : have[s])
                if (!want[s].count(h.first)) changes.emplace_back(h.first, std::string());
            std::sort(changes.begin(), changes.end());
            for (const auto &ch : changes) {
                Xapian::Document doc = dbs[s].get_document(ch.first);
                put_cluster(doc, ch.second);
                dbs[s].replace_document(ch.first, doc);
            }
            dbs[s].commit();
        }
        if (clusters) *clusters = c;
        if (duplicates) *duplicates = d;
    }
    NEWSIDX_CATCH(&err, st)
    copy_msg(err, msg, msglen);
    return st;
}
