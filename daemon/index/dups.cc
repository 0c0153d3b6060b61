/*
 * dups.cc: near-duplicates one document at a time (newsidx.h, "Near-duplicates"): the
 * body's fingerprint and band terms, written with every document; the cluster a live
 * write joins (through the band terms, in every linked shard) and what a delete leaves
 * behind; the members a folded hit stands for; DUPS and the figures of STATS.  Whole
 * indexes are clustered in clusters.cc.
 */
#include "dups.hh"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "query.hh"

using namespace shim;

namespace {

/* MurmurHash3's 64-bit finaliser: every input bit moves every output bit. */
inline uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

/* Words are runs of ASCII letters and digits and of any non-ASCII byte (UTF-8). */
inline bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

const char HEX[] = "0123456789abcdef";

/* One document of a cluster, wherever it lives. */
struct Member {
    newsidx_writer_t *w;
    Xapian::docid did;
    std::string id, time;
};

/* Older first: by time (documents without a date last), then id. */
bool older(const Member &a, const Member &b)
{
    if (a.time.empty() != b.time.empty()) return b.time.empty();
    if (a.time != b.time) return a.time < b.time;
    return a.id < b.id;
}

/* The writers near-duplicates are looked for in. */
std::vector<newsidx_writer_t *> shard_writers(newsidx_writer_t *w)
{
    if (w->linked.empty()) return {w};
    return w->linked;
}

void set_cluster(newsidx_writer_t *w, Xapian::docid did, const std::string &name)
{
    Xapian::Document d = w->db.get_document(did);
    if (name.empty() && d.get_value(NEWSIDX_SLOT_CLUSTER).empty()) return;
    put_cluster(d, name);
    w->db.replace_document(did, d);
}

/* The documents of every shard whose cluster is name: its term's posting list. */
std::vector<Member> members(newsidx_writer_t *w, const std::string &name)
{
    std::vector<Member> out;
    std::string term = cluster_term(name);
    for (newsidx_writer_t *x : shard_writers(w))
        for (Xapian::PostingIterator p = x->db.postlist_begin(term); p != x->db.postlist_end(term);
             ++p)
            out.push_back(Member{x, *p, doc_id(x->db, *p),
                                 x->db.get_document(*p).get_value(NEWSIDX_SLOT_TIME)});
    return out;
}

/* Document did of w leaves its cluster: a cluster left with one member is none any
 * more; one that lost its first member is named after the oldest member left. */
void leave(newsidx_writer_t *w, Xapian::docid did)
{
    Xapian::Document d = w->db.get_document(did);
    std::string name = d.get_value(NEWSIDX_SLOT_CLUSTER);
    if (name.empty()) return;
    std::vector<Member> rest;
    for (Member &m : members(w, name))
        if (!(m.w == w && m.did == did)) rest.push_back(std::move(m));
    if (rest.size() == 1) {
        set_cluster(rest[0].w, rest[0].did, std::string());
    } else if (rest.size() > 1 && doc_id(w->db, did) == name) {
        const Member &first = *std::min_element(rest.begin(), rest.end(), older);
        std::string renamed = first.id;
        for (const Member &m : rest) set_cluster(m.w, m.did, renamed);
    }
}

/* The first member of a cluster within NEWSD_DUP_MAX_DISTANCE of fp (the oldest, when
 * several are), among the documents sharing a band with fp, the document idterm names
 * left out; false when there is none. */
bool find_first_member(newsidx_writer_t *w, uint64_t fp, const std::string &idterm, Member &out,
                       std::string &its_cluster)
{
    bool found = false;
    for (newsidx_writer_t *x : shard_writers(w)) {
        for (unsigned b = 0; b < 4; b++) {
            std::string term = band_term(b, fp);
            for (Xapian::PostingIterator p = x->db.postlist_begin(term); p != x->db.postlist_end(term);
                 ++p) {
                Xapian::Document d = x->db.get_document(*p);
                uint64_t other;
                if (!parse_fingerprint(d.get_value(NEWSIDX_SLOT_SIMHASH), other) ||
                    distance(fp, other) > NEWSD_DUP_MAX_DISTANCE)
                    continue;
                std::string id = doc_id(x->db, *p);
                std::string name = d.get_value(NEWSIDX_SLOT_CLUSTER);
                if (("Q" + id) == idterm || (!name.empty() && name != id)) continue;
                Member m{x, *p, id, d.get_value(NEWSIDX_SLOT_TIME)};
                if (!found || older(m, out)) {
                    out = std::move(m);
                    its_cluster = name;
                    found = true;
                }
            }
        }
    }
    return found;
}

}  // namespace

namespace shim {

bool fingerprint(const char *body, uint64_t &fp)
{
    if (!body) return false;
    uint32_t ones[64] = {0};
    uint64_t w0 = 0, w1 = 0;
    size_t words = 0, shingles = 0;
    const unsigned char *p = reinterpret_cast<const unsigned char *>(body);
    for (;;) {
        while (*p && !word_byte(*p)) p++;
        if (!*p) break;
        uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 of the lowercased word */
        for (; *p && word_byte(*p); p++) {
            unsigned char c = *p;
            if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
            h = (h ^ c) * 1099511628211ULL;
        }
        if (++words >= 3) {
            /* the shingle (w0, w1, h), in order */
            uint64_t s = mix(mix(mix(w0) ^ w1) ^ h);
            for (unsigned b = 0; b < 64; b++) ones[b] += unsigned((s >> b) & 1);
            shingles++;
        }
        w0 = w1;
        w1 = h;
    }
    if (words < NEWSD_DUP_MIN_WORDS) return false;
    fp = 0;
    for (unsigned b = 0; b < 64; b++)
        if (2 * size_t(ones[b]) > shingles) fp |= uint64_t(1) << b;
    return true;
}

std::string band_term(unsigned b, uint64_t fp)
{
    unsigned v = unsigned(fp >> (16 * b)) & 0xffff;
    char t[8] = {'X', 'H', char('0' + b), HEX[v >> 12], HEX[(v >> 8) & 15], HEX[(v >> 4) & 15],
                 HEX[v & 15], 0};
    return std::string(t, 7);
}

bool parse_fingerprint(const std::string &v, uint64_t &fp)
{
    if (v.size() != 16) return false;
    fp = 0;
    for (char c : v) {
        const char *at = static_cast<const char *>(memchr(HEX, c, 16));
        if (!at || !c) return false;
        fp = fp << 4 | uint64_t(at - HEX);
    }
    return true;
}

void add_fingerprint(Xapian::Document &xd, const char *body)
{
    uint64_t fp;
    if (!fingerprint(body, fp)) return;
    char v[16];
    for (int i = 0; i < 16; i++) v[i] = HEX[(fp >> (60 - 4 * i)) & 15];
    xd.add_value(NEWSIDX_SLOT_SIMHASH, std::string(v, 16));
    for (unsigned b = 0; b < 4; b++) xd.add_boolean_term(band_term(b, fp));
}

std::string cluster_term(const std::string &name)
{
    return "XC" + name;
}

void put_cluster(Xapian::Document &d, const std::string &name)
{
    const std::string prefix = cluster_term(std::string());
    for (;;) {
        Xapian::TermIterator t = d.termlist_begin();
        t.skip_to(prefix);
        if (t == d.termlist_end() || (*t).compare(0, prefix.size(), prefix) != 0) break;
        d.remove_term(*t);
    }
    if (!d.get_value(NEWSIDX_SLOT_CLUSTER).empty()) d.remove_value(NEWSIDX_SLOT_CLUSTER);
    if (name.empty()) return;
    d.add_value(NEWSIDX_SLOT_CLUSTER, name);
    d.add_boolean_term(cluster_term(name));
}

std::string doc_id(const Xapian::Database &db, Xapian::docid did)
{
    Xapian::TermIterator t = db.termlist_begin(did);
    t.skip_to("Q");
    if (t != db.termlist_end(did) && !(*t).empty() && (*t)[0] == 'Q') return (*t).substr(1);
    return std::string();
}

void cluster_put(newsidx_writer_t *w, Xapian::Document &xd, const std::string &idterm,
                 Xapian::docid old)
{
    if (old) {
        Xapian::Document before = w->db.get_document(old);
        std::string name = before.get_value(NEWSIDX_SLOT_CLUSTER);
        if (!name.empty() &&
            before.get_value(NEWSIDX_SLOT_SIMHASH) == xd.get_value(NEWSIDX_SLOT_SIMHASH)) {
            /* the same fingerprint: the same place in the same cluster */
            put_cluster(xd, name);
            return;
        }
        leave(w, old);
    }
    uint64_t fp;
    if (!parse_fingerprint(xd.get_value(NEWSIDX_SLOT_SIMHASH), fp)) return;
    Member first;
    std::string name;
    if (!find_first_member(w, fp, idterm, first, name)) return;
    if (name.empty()) set_cluster(first.w, first.did, first.id);
    put_cluster(xd, first.id);
}

void cluster_delete(newsidx_writer_t *w, Xapian::docid did)
{
    leave(w, did);
}

void count_cluster_matches(Xapian::Database &db, const Xapian::Query &every_query,
                           const std::set<std::string> &clusters,
                           std::map<std::string, unsigned> &counts)
{
    /* the clusters' terms: the match walks their members, not the query's matches */
    std::vector<Xapian::Query> any;
    for (const std::string &c : clusters) any.emplace_back(cluster_term(c));
    Xapian::Enquire enq(db);
    enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, every_query,
                                Xapian::Query(Xapian::Query::OP_OR, any.begin(), any.end())));
    enq.set_weighting_scheme(Xapian::BoolWeight());
    Xapian::ValueCountMatchSpy spy(NEWSIDX_SLOT_CLUSTER);
    enq.add_matchspy(&spy);
    enq.get_mset(0, 0, std::max(db.get_doccount(), Xapian::doccount(1)));
    for (Xapian::TermIterator v = spy.values_begin(); v != spy.values_end(); ++v)
        counts[*v] = v.get_termfreq();
}

uint64_t folded_total(const Xapian::ValueCountMatchSpy &spy, uint64_t matches)
{
    uint64_t members = 0, clusters = 0;
    for (Xapian::TermIterator v = spy.values_begin(); v != spy.values_end(); ++v) {
        members += v.get_termfreq();
        clusters++;
    }
    return matches - members + clusters;
}

uint64_t count_folded(Xapian::Database &db, const Xapian::Query &q)
{
    Xapian::Enquire enq(db);
    enq.set_query(q);
    enq.set_weighting_scheme(Xapian::BoolWeight());
    Xapian::ValueCountMatchSpy spy(NEWSIDX_SLOT_CLUSTER);
    enq.add_matchspy(&spy);
    Xapian::MSet m = enq.get_mset(0, 0, std::max(db.get_doccount(), Xapian::doccount(1)));
    return folded_total(spy, m.get_matches_estimated());
}

}  // namespace shim

/* ---- the C API ---- */

struct newsidx_dups {
    std::string cluster;
    std::vector<StoredDoc> docs;
    std::vector<newsidx_dup_t> members;
};

uint64_t newsidx_fingerprint(const char *body, int *ok)
{
    uint64_t fp = 0;
    bool have = fingerprint(body, fp);
    if (ok) *ok = have;
    return have ? fp : 0;
}

newsidx_status_t newsidx_writer_link_shards(newsidx_writer_t *w, newsidx_writer_t *const *all,
                                            size_t n)
{
    if (!w || (n && !all)) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        w->linked.clear();
        for (size_t i = 0; i < n; i++)
            if (all[i]) w->linked.push_back(all[i]);
        if (!w->linked.empty() &&
            std::find(w->linked.begin(), w->linked.end(), w) == w->linked.end())
            w->linked.push_back(w);
        if (w->linked.size() == 1) w->linked.clear();
    }
    NEWSIDX_CATCH(&w->error, st)
    return st;
}

newsidx_status_t newsidx_dups(newsidx_reader_t *reader, const char *id,
                              const newsidx_search_opts_t *opts, newsidx_dups_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    if (!reader) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    newsidx_dups_t *res = nullptr;
    try {
        newsidx_reader_t *r = usable(reader);
        newsidx_search_opts_t o;
        newsidx_search_opts_init(&o);
        if (opts) o = *opts;
        std::string idterm = id_term(id);
        res = new newsidx_dups_t;
        Deadline dl = deadline_of(o);
        sharded(r, o.partial != 0, [&] {
            Xapian::Database &db = r->db;
            res->docs.clear();
            res->members.clear();
            Xapian::PostingIterator p = db.postlist_begin(idterm);
            if (p == db.postlist_end(idterm))
                throw ApiError{NEWSIDX_NOT_FOUND, "no document with that id"};
            Xapian::Document d = db.get_document(*p);
            uint64_t fp = 0;
            bool has_fp = parse_fingerprint(d.get_value(NEWSIDX_SLOT_SIMHASH), fp);
            res->cluster = d.get_value(NEWSIDX_SLOT_CLUSTER);
            std::vector<std::pair<Xapian::Document, unsigned>> found;
            if (res->cluster.empty()) {
                res->cluster = id;
                found.emplace_back(d, 0);
            } else {
                Xapian::Query q(cluster_term(res->cluster));
                Xapian::Enquire enq(db);
                enq.set_query(all_local(r) && o.timeout_ms ? guarded(q, dl) : q);
                enq.set_weighting_scheme(Xapian::BoolWeight());
                Xapian::MSet m = enq.get_mset(0, NEWSD_MAX_DUP_MEMBERS);
                for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
                    Xapian::Document md = it.get_document();
                    uint64_t other;
                    unsigned dist = has_fp && parse_fingerprint(md.get_value(NEWSIDX_SLOT_SIMHASH), other)
                                        ? distance(fp, other) : 64;
                    found.emplace_back(md, dist);
                }
            }
            for (auto &f : found) {
                res->docs.push_back(decode(f.first.get_data()));
                res->members.push_back(newsidx_dup_t{nullptr, nullptr, nullptr, nullptr, f.second});
            }
        });
        if (dl.expired || (o.timeout_ms && Clock::now() >= dl.at))
            throw ApiErrorMsg{NEWSIDX_TIMEOUT, "DUPS ran past its time limit of " +
                                                   std::to_string(o.timeout_ms) + " ms"};
        /* oldest first, documents without a date last, then by id */
        std::vector<size_t> idx(res->docs.size());
        for (size_t i = 0; i < idx.size(); i++) idx[i] = i;
        std::sort(idx.begin(), idx.end(), [res](size_t a, size_t b) {
            const StoredDoc &x = res->docs[a], &y = res->docs[b];
            if (x.date.empty() != y.date.empty()) return y.date.empty();
            if (x.date != y.date) return x.date < y.date;
            return x.id < y.id;
        });
        std::vector<newsidx_dup_t> sorted;
        for (size_t i : idx) {
            const StoredDoc &s = res->docs[i];
            sorted.push_back(newsidx_dup_t{s.id.c_str(), s.title.c_str(), s.date.c_str(),
                                           s.source.c_str(), res->members[i].distance});
        }
        res->members = std::move(sorted);
        *out = res;
        res = nullptr;
    }
    NEWSIDX_CATCH(&reader->error, st)
    delete res;
    return st;
}

const char *newsidx_dups_cluster(const newsidx_dups_t *dups)
{
    return dups ? dups->cluster.c_str() : "";
}

size_t newsidx_dups_count(const newsidx_dups_t *dups)
{
    return dups ? dups->members.size() : 0;
}

const newsidx_dup_t *newsidx_dups_member(const newsidx_dups_t *dups, size_t i)
{
    return dups && i < dups->members.size() ? &dups->members[i] : nullptr;
}

void newsidx_dups_destroy(newsidx_dups_t *dups)
{
    delete dups;
}

newsidx_status_t newsidx_reader_dup_stats(newsidx_reader_t *reader, uint64_t *clusters,
                                          uint64_t *duplicates)
{
    if (!reader || !clusters || !duplicates) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_reader_t *r = usable(reader);
        uint64_t c = 0, members = 0;
        sharded(r, false, [&] {
            /* a cluster term each, its members its documents (a cluster spanning shards
             * has one name, so one term over them) */
            c = members = 0;
            const std::string prefix = cluster_term(std::string());
            for (Xapian::TermIterator t = r->db.allterms_begin(prefix); t != r->db.allterms_end(prefix);
                 ++t) {
                c++;
                members += t.get_termfreq();
            }
        });
        *clusters = c;
        *duplicates = members - c;
    }
    NEWSIDX_CATCH(&reader->error, st)
    return st;
}
