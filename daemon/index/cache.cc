/*
 * cache.cc: what a reader remembers between searches: the document cache (decoded stored
 * fields of hits, by docid, within a byte budget; declared in private.hh) and the stem
 * memo that snippets stem their words through.
 */
#include "private.hh"

#include <utility>

namespace shim {

void DocCache::set_capacity(uint64_t bytes)
{
    cap_ = bytes;
    trim(0);
}

const StoredDoc *DocCache::find(Xapian::docid id)
{
    auto it = map_.find(id);
    if (it == map_.end()) {
        misses_++;
        return nullptr;
    }
    hits_++;
    lru_.splice(lru_.begin(), lru_, it->second);
    return &it->second->doc;
}

const StoredDoc *DocCache::put(Xapian::docid id, StoredDoc &&d)
{
    d.topics.clear();
    d.topics.shrink_to_fit();
    d.places.clear();
    d.places.shrink_to_fit();
    uint64_t b = cost(d);
    if (b > cap_ || map_.count(id)) return nullptr;
    trim(b);
    lru_.push_front(Node{id, b, std::move(d)});
    map_.emplace(id, lru_.begin());
    used_ += b;
    return &lru_.front().doc;
}

void DocCache::clear()
{
    map_.clear();
    lru_.clear();
    used_ = 0;
}

void DocCache::stats(newsidx_cache_stats_t *out) const
{
    out->hits = hits_;
    out->misses = misses_;
    out->docs = map_.size();
    out->bytes = used_;
    out->capacity = cap_;
}

namespace {

/* A heap block of the string's, if it has one (short strings live inside it). */
uint64_t heap(const std::string &str)
{
    return str.capacity() > 15 ? str.capacity() + 1 : 0;
}

}  // namespace

uint64_t DocCache::cost(const StoredDoc &d)
{
    /* the list node (two links and the Node) and the map node (link, key, iterator,
     * cached hash) and its bucket */
    uint64_t b = 2 * sizeof(void *) + sizeof(Node) + 4 * sizeof(void *) + sizeof(void *);
    return b + heap(d.id) + heap(d.title) + heap(d.date) + heap(d.source) + heap(d.url) +
           heap(d.body);
}

/* Evicts until `room` more bytes fit. */
void DocCache::trim(uint64_t room)
{
    while (!lru_.empty() && used_ + room > cap_) {
        const Node &last = lru_.back();
        used_ -= last.bytes;
        map_.erase(last.id);
        lru_.pop_back();
    }
}

namespace {

/*
 * Xapian's English stemmer behind a memo.  MSet::snippet stems every word of the text it
 * reads that is not a query term as written, a large share of a page's snippet cost;
 * news text repeats its words, so nearly every word is found here instead.
 * Direct-mapped: a word's slot is picked by its hash and a colliding word replaces it, so
 * the memory is fixed (NEWSD_STEM_CACHE_SLOTS entries) and a lookup is one probe.  The
 * stems are Xapian's own, so snippets are the same as with the stemmer itself.  One per
 * reader, like the reader not thread-safe.
 */
class StemMemo : public Xapian::StemImplementation {
    Xapian::Stem stem_{"en"};
    struct Slot {
        std::string word, stem;
    };
    std::vector<Slot> slots_ = std::vector<Slot>(NEWSD_STEM_CACHE_SLOTS);

  public:
    std::string operator()(const std::string &word) override
    {
        uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 */
        for (unsigned char c : word) h = (h ^ c) * 1099511628211ULL;
        Slot &s = slots_[(h ^ (h >> 32)) % NEWSD_STEM_CACHE_SLOTS];
        if (s.word != word) {
            s.stem = stem_(word);
            s.word = word;
        }
        return s.stem;
    }
    std::string get_description() const override { return "memo(" + stem_.get_description() + ")"; }
};

}  // namespace

Xapian::StemImplementation *new_stem_memo()
{
    return new StemMemo;
}

}  // namespace shim
