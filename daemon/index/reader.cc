/*
 * newsidx.cc: the only C++ in newsd; implements include/newsidx.h over Xapian 1.4.
 *
 * It owns the index layout (terms, value slots, the document-data format), the query
 * parser set-up, the reader and writer handles, result sets copied out of Xapian, and
 * whole-index operations (merge, compact).  Every extern "C" function is one try block
 * whose handlers (NEWSIDX_CATCH, in the order the style guide asks: Xapian's specific
 * errors, Xapian::Error, std::bad_alloc, std::exception, ...) turn the exception into a
 * newsidx_status_t and keep the message on the handle; nothing C++ escapes into C.
 *
 * Writers always run inside an unflushed transaction (begin_transaction(false)), bulk or
 * not: Xapian 1.4's WritableDatabase destructor commits pending changes unless a
 * transaction is active, so without one newsidx_writer_abandon could not discard them.
 * Inside a transaction glass still flushes its buffers every XAPIAN_FLUSH_THRESHOLD
 * documents (memory stays bounded); it only defers the commit.
 */
#include "newsidx.h"

#include <xapian.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <exception>
#include <list>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "newsd_limits.h"

/* ---- errors ---- */

namespace {

const char VERSION_BYTE = 1; /* first byte of the document data */

/* Stores a message without letting an allocation failure escape. */
newsidx_status_t fail(std::string *err, newsidx_status_t st, const char *what) noexcept
{
    if (err) {
        try {
            *err = what;
        } catch (...) {
            err->clear();
        }
    }
    return st;
}

newsidx_status_t fail_x(std::string *err, newsidx_status_t st, const Xapian::Error &e) noexcept
{
    if (err) {
        try {
            *err = e.get_type();
            *err += ": ";
            *err += e.get_msg();
            const char *es = e.get_error_string();
            if (es && *es) {
                *err += " (";
                *err += es;
                *err += ")";
            }
        } catch (...) {
            err->clear();
        }
    }
    return st;
}

/* A DatabaseError carrying an errno is a failure of the disk or the filesystem; one
 * without is the database's own content failing to make sense (a truncated table gives
 * "EOF reading block 0"), i.e. damage. */
newsidx_status_t db_error_status(const Xapian::DatabaseError &e) noexcept
{
    const char *es = e.get_error_string();
    return (es && *es) ? NEWSIDX_IO : NEWSIDX_CORRUPT;
}

/* Thrown by our own checks; caught first so its status and message pass through. */
struct ApiError {
    newsidx_status_t status;
    const char *msg;
};

/* The same with a message made up at the time (it names a file, a shard). */
struct ApiErrorMsg {
    newsidx_status_t status;
    std::string msg;
};

}  // namespace

/* The handlers of every extern "C" body, most specific first (subclasses before their
 * bases: NotFound and Version are OpeningErrors, all Database* are DatabaseErrors). */
#define NEWSIDX_CATCH(ERR, ST)                                                         \
    catch (const ApiError &e) { ST = fail(ERR, e.status, e.msg); }                     \
    catch (const ApiErrorMsg &e) { ST = fail(ERR, e.status, e.msg.c_str()); }          \
    catch (const Xapian::DatabaseLockError &e) { ST = fail_x(ERR, NEWSIDX_LOCKED, e); } \
    catch (const Xapian::DatabaseNotFoundError &e) { ST = fail_x(ERR, NEWSIDX_NO_INDEX, e); } \
    catch (const Xapian::DatabaseCorruptError &e) { ST = fail_x(ERR, NEWSIDX_CORRUPT, e); } \
    catch (const Xapian::DatabaseVersionError &e) { ST = fail_x(ERR, NEWSIDX_CORRUPT, e); } \
    catch (const Xapian::DatabaseOpeningError &e) { ST = fail_x(ERR, NEWSIDX_CORRUPT, e); } \
    catch (const Xapian::DatabaseModifiedError &e) { ST = fail_x(ERR, NEWSIDX_MODIFIED, e); } \
    catch (const Xapian::QueryParserError &e) { ST = fail_x(ERR, NEWSIDX_BAD_QUERY, e); } \
    catch (const Xapian::WildcardError &e) { ST = fail_x(ERR, NEWSIDX_BAD_QUERY, e); } \
    catch (const Xapian::InvalidArgumentError &e) { ST = fail_x(ERR, NEWSIDX_BAD_ARGUMENT, e); } \
    catch (const Xapian::RangeError &e) { ST = fail_x(ERR, NEWSIDX_BAD_ARGUMENT, e); } \
    catch (const Xapian::DatabaseError &e) { ST = fail_x(ERR, db_error_status(e), e); } \
    catch (const Xapian::NetworkError &e) { ST = fail_x(ERR, NEWSIDX_SHARD_UNAVAILABLE, e); } \
    catch (const Xapian::Error &e) { ST = fail_x(ERR, NEWSIDX_INTERNAL, e); }          \
    catch (const std::bad_alloc &) { ST = fail(ERR, NEWSIDX_NO_MEMORY, "out of memory"); } \
    catch (const std::exception &e) { ST = fail(ERR, NEWSIDX_INTERNAL, e.what()); }    \
    catch (...) { ST = fail(ERR, NEWSIDX_INTERNAL, "unknown exception"); }

/* ---- helpers: dates, terms, document data ---- */

namespace {

bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

bool valid_ymd(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* A document date: "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ss" or the same with "Z".  Fills
 * stamp with "YYYYMMDDhhmmss" (its first 8 bytes are the day). */
bool parse_doc_date(const char *s, std::string &stamp)
{
    size_t n = strlen(s);
    if (n != 10 && n != 19 && n != 20) return false;
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return false;
    if (!valid_ymd(num(s, 4), num(s + 5, 2), num(s + 8, 2))) return false;
    stamp.assign(s, 4).append(s + 5, 2).append(s + 8, 2);
    if (n == 10) {
        stamp += "000000";
        return true;
    }
    if (s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
        s[16] != ':' || !digits(s + 17, 2) || (n == 20 && s[19] != 'Z'))
        return false;
    if (num(s + 11, 2) > 23 || num(s + 14, 2) > 59 || num(s + 17, 2) > 60) return false;
    stamp.append(s + 11, 2).append(s + 14, 2).append(s + 17, 2);
    return true;
}

/* "YYYYMMDDhhmmss" -> "YYYY-MM-DDThh:mm:ssZ" */
std::string iso_from_stamp(const std::string &t)
{
    if (t.size() != 14) return std::string();
    return t.substr(0, 4) + "-" + t.substr(4, 2) + "-" + t.substr(6, 2) + "T" +
           t.substr(8, 2) + ":" + t.substr(10, 2) + ":" + t.substr(12, 2) + "Z";
}

/* A search bound: "YYYY-MM-DD" or "YYYYMMDD" -> "YYYYMMDD". */
std::string parse_day_opt(const char *s, const char *what)
{
    size_t n = strlen(s);
    std::string day;
    if (n == 8 && digits(s, 8)) {
        day.assign(s, 8);
    } else if (n == 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
               digits(s + 8, 2)) {
        day.assign(s, 4).append(s + 5, 2).append(s + 8, 2);
    } else {
        throw ApiError{NEWSIDX_BAD_ARGUMENT, what};
    }
    if (!valid_ymd(num(day.data(), 4), num(day.data() + 4, 2), num(day.data() + 6, 2)))
        throw ApiError{NEWSIDX_BAD_ARGUMENT, what};
    return day;
}

/* A boolean filter term: prefix + lowercased name, cut to the term-length cap at a UTF-8
 * character boundary. */
std::string filter_term(const char *prefix, const std::string &name)
{
    std::string t = prefix + Xapian::Unicode::tolower(name);
    if (t.size() > NEWSD_MAX_TERM_LEN) {
        size_t n = NEWSD_MAX_TERM_LEN;
        while (n > 0 && (static_cast<unsigned char>(t[n]) & 0xC0) == 0x80) n--;
        t.resize(n);
    }
    return t;
}

std::string id_term(const char *id)
{
    if (!id || !*id) throw ApiError{NEWSIDX_BAD_ARGUMENT, "missing or empty id"};
    if (strlen(id) > NEWSD_MAX_ID_LEN) throw ApiError{NEWSIDX_BAD_ARGUMENT, "id too long"};
    return std::string("Q") + id;
}

/*
 * Document data, version 1: the byte VERSION_BYTE, then id, title, date (normalised
 * ISO 8601 or empty), source, url, topics, places, body.  A string is a LEB128 length
 * and its bytes; a list is a LEB128 count followed by that many strings.  We do not
 * compress: glass deflates every docdata tag over COMPRESS_MIN (18) bytes with zlib
 * itself, and compressing twice gains nothing (XAPIAN-INDEXING.md, 1.03x noise).
 */
void put_len(std::string &out, size_t n)
{
    while (n >= 0x80) {
        out += static_cast<char>((n & 0x7F) | 0x80);
        n >>= 7;
    }
    out += static_cast<char>(n);
}

void put_str(std::string &out, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_len(out, n);
    if (n) out.append(s, n);
}

void put_list(std::string &out, const char *const *v, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; v && i < n; i++)
        if (v[i]) count++;
    put_len(out, count);
    for (size_t i = 0; v && i < n; i++)
        if (v[i]) put_str(out, v[i]);
}

struct StoredDoc {
    std::string id, title, date, source, url, body;
    std::vector<std::string> topics, places;
};

class DataReader {
  public:
    explicit DataReader(const std::string &d) : p_(d.data()), end_(d.data() + d.size()) {}
    size_t len()
    {
        size_t n = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (p_ == end_ || shift > 56) bad();
            unsigned char c = static_cast<unsigned char>(*p_++);
            n |= static_cast<size_t>(c & 0x7F) << shift;
            if (!(c & 0x80)) return n;
        }
    }
    std::string str()
    {
        size_t n = len();
        if (n > static_cast<size_t>(end_ - p_)) bad();
        std::string s(p_, n);
        p_ += n;
        return s;
    }
    std::vector<std::string> list()
    {
        size_t n = len();
        if (n > static_cast<size_t>(end_ - p_)) bad(); /* each entry takes >= 1 byte */
        std::vector<std::string> v;
        v.reserve(n);
        for (size_t i = 0; i < n; i++) v.push_back(str());
        return v;
    }
    char byte()
    {
        if (p_ == end_) bad();
        return *p_++;
    }
    bool at_end() const { return p_ == end_; }
    [[noreturn]] static void bad()
    {
        throw Xapian::DatabaseCorruptError("newsidx: malformed document data");
    }

  private:
    const char *p_, *end_;
};

StoredDoc decode(const std::string &data)
{
    DataReader r(data);
    if (r.byte() != VERSION_BYTE) DataReader::bad();
    StoredDoc d;
    d.id = r.str();
    d.title = r.str();
    d.date = r.str();
    d.source = r.str();
    d.url = r.str();
    d.topics = r.list();
    d.places = r.list();
    d.body = r.str();
    if (!r.at_end()) DataReader::bad();
    return d;
}

/*
 * The document cache of a reader (newsidx_reader_set_doc_cache): the fields a hit shows
 * (id, title, date, source, url and the body its snippet is cut from), decoded, by
 * docid, least recently used first out.  Xapian keeps no cache of its own: without this
 * a hit costs a B-tree lookup, a pread of its block, an inflate of the data (glass
 * deflates it) and our decoding, about 9 us a hit here (README.md, "The document
 * cache").  Bytes are counted as the strings' heap blocks plus the list and map nodes, so
 * the bound holds for the memory itself.  A docid names another document after the
 * reader moves to another revision (a replaced document keeps its docid), so every move
 * empties the cache (DocCache::clear, called by the reader's reopen paths).  One per
 * reader, like the reader not thread-safe.
 */
class DocCache {
  public:
    void set_capacity(uint64_t bytes)
    {
        cap_ = bytes;
        trim(0);
    }
    uint64_t capacity() const { return cap_; }

    bool contains(Xapian::docid id) const { return map_.count(id) != 0; }

    /* The document, now the most recently used; NULL (a miss) when absent.  The pointer
     * holds until the next put or clear. */
    const StoredDoc *find(Xapian::docid id)
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

    /* Keeps d (its topics and places dropped: no hit shows them) and returns it, or NULL
     * when it alone is over the capacity.  The pointer holds until the next put or clear. */
    const StoredDoc *put(Xapian::docid id, StoredDoc &&d)
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

    void clear()
    {
        map_.clear();
        lru_.clear();
        used_ = 0;
    }

    void stats(newsidx_cache_stats_t *out) const
    {
        out->hits = hits_;
        out->misses = misses_;
        out->docs = map_.size();
        out->bytes = used_;
        out->capacity = cap_;
    }

  private:
    struct Node {
        Xapian::docid id;
        uint64_t bytes;
        StoredDoc doc;
    };
    using Lru = std::list<Node>;

    /* A heap block of the string's, if it has one (short strings live inside it). */
    static uint64_t heap(const std::string &str)
    {
        return str.capacity() > 15 ? str.capacity() + 1 : 0;
    }
    static uint64_t cost(const StoredDoc &d)
    {
        /* the list node (two links and the Node) and the map node (link, key, iterator,
         * cached hash) and its bucket */
        uint64_t b = 2 * sizeof(void *) + sizeof(Node) + 4 * sizeof(void *) + sizeof(void *);
        return b + heap(d.id) + heap(d.title) + heap(d.date) + heap(d.source) + heap(d.url) +
               heap(d.body);
    }
    /* Evicts until `room` more bytes fit. */
    void trim(uint64_t room)
    {
        while (!lru_.empty() && used_ + room > cap_) {
            const Node &last = lru_.back();
            used_ -= last.bytes;
            map_.erase(last.id);
            lru_.pop_back();
        }
    }

    Lru lru_;
    std::unordered_map<Xapian::docid, Lru::iterator> map_;
    uint64_t cap_ = uint64_t(NEWSD_DEFAULT_DOC_CACHE_MB) << 20;
    uint64_t used_ = 0, hits_ = 0, misses_ = 0;
};

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

/*
 * Query syntax.  Flags: FLAG_DEFAULT (PHRASE | BOOLEAN | LOVEHATE: "..." phrases,
 * AND/OR/NOT/XOR in capitals with brackets, +must/-mustnot), plus FLAG_WILDCARD
 * (prefix*, expanded against this database, at most NEWSD_MAX_WILDCARD_TERMS terms, the
 * most frequent kept rather than an error) and FLAG_PURE_NOT ("NOT spam" alone).  Left
 * out: BOOLEAN_ANY_CASE ("and" is a word in headlines), PARTIAL (search-as-you-type),
 * SPELLING_CORRECTION and SYNONYM (no such data in the index), CJK_NGRAM (the indexer
 * does not n-gram either).  Note that on a syntax error Xapian's parser retries with the
 * operators treated as words, so few inputs fail: what does fail is NEWSIDX_BAD_QUERY.
 */
const unsigned QUERY_FLAGS = Xapian::QueryParser::FLAG_DEFAULT |
                             Xapian::QueryParser::FLAG_WILDCARD |
                             Xapian::QueryParser::FLAG_PURE_NOT;

/* Snippets, chosen by measurement on Reuters-21578 and bench/queries.txt (README.md,
 * "Snippets"): without SNIPPET_BACKGROUND_MODEL, which looks up a term frequency for
 * every word of the text (about 10x slower here).  NEWSIDX_SNIPPET_FIRST leaves out
 * SNIPPET_EXHAUSTIVE, so Xapian stops reading the body once it has a window with matches
 * and has moved past it (Xapian's default; the window may be less dense than the best one
 * further on); NEWSIDX_SNIPPET_BEST reads the whole body for the best window.  Without
 * SNIPPET_EMPTY_WITHOUT_MATCH a hit matched only in its title gets the start of the body. */
unsigned snippet_flags(int mode)
{
    return mode == NEWSIDX_SNIPPET_BEST ? unsigned(Xapian::MSet::SNIPPET_EXHAUSTIVE) : 0u;
}

/*
 * Xapian's English stemmer behind a memo.  MSet::snippet stems every word of the text it
 * reads that is not a query term as written, and that stemming was a third of a page's
 * snippet cost; news text repeats its words, so nearly every word is found here instead.
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

/*
 * The cost caps of one query, checked before it runs: its parsed tree holds at most
 * NEWSD_MAX_QUERY_NODES subqueries, and its wildcards together expand to at most
 * NEWSD_MAX_QUERY_EXPANSION terms (each keeps its NEWSD_MAX_WILDCARD_TERMS most frequent)
 * after scanning at most NEWSD_MAX_WILDCARD_SCAN index terms.  Xapian 1.4 expands a
 * wildcard when the match starts, opening a posting list for every term it keeps, so
 * without these a short line of wildcards holds a worker and hundreds of MB.
 */
struct QueryCost {
    size_t nodes = 0, expansion = 0, scanned = 0;
    uint64_t postings = 0;      /* entries in the posting lists of its leaves, at most */
    bool positional = false;    /* it has a phrase or NEAR, whose cost postings miss */
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
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM:
        for (Xapian::TermIterator t = q.get_terms_begin(); t != q.get_terms_end(); ++t)
            c.postings += db.get_termfreq(*t);
        break;
    case Xapian::Query::OP_PHRASE:
    case Xapian::Query::OP_NEAR:
        c.positional = true;
        break;
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR:
    case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX:
    case Xapian::Query::OP_SCALE_WEIGHT:
    case Xapian::Query::OP_ELITE_SET:
        break;
    default:    /* value ranges, match-all, posting sources: up to a pass over the index */
        c.postings += db.get_doccount();
        break;
    }
    for (size_t i = 0, n = q.get_num_subqueries(); i < n; i++) add_cost(db, q.get_subquery(i), c);
}

const char *const SNIPPET_OMIT = "...";

Xapian::Query parse_query(const Xapian::Database &db, const char *query, QueryCost &cost)
{
    if (!query) throw ApiError{NEWSIDX_BAD_ARGUMENT, "query is NULL"};
    size_t n = strlen(query);
    if (n > NEWSD_MAX_QUERY_LEN) throw ApiError{NEWSIDX_BAD_QUERY, "query too long"};
    size_t i = 0;
    while (i < n && (query[i] == ' ' || (query[i] >= '\t' && query[i] <= '\r'))) i++;
    if (i == n) throw ApiError{NEWSIDX_BAD_QUERY, "empty query"};

    Xapian::QueryParser qp;
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

    Xapian::Query q = qp.parse_query(query, QUERY_FLAGS);
    if (q.empty()) throw ApiError{NEWSIDX_BAD_QUERY, "query has no searchable terms"};
    add_cost(db, q, cost);
    return q;
}

/* The parsed query with the filters of opts applied, and what it may cost. */
Xapian::Query build_query(const Xapian::Database &db, const char *query,
                          const newsidx_search_opts_t &o, QueryCost &cost)
{
    Xapian::Query q = parse_query(db, query, cost);
    std::string since, until;
    if (o.since && *o.since) since = parse_day_opt(o.since, "since: want YYYY-MM-DD or YYYYMMDD");
    if (o.until && *o.until) until = parse_day_opt(o.until, "until: want YYYY-MM-DD or YYYYMMDD");
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
    if (o.source && *o.source) {
        std::string t = filter_term("XS", o.source);
        cost.postings += db.get_termfreq(t);
        q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(t));
    }
    if (o.topic && *o.topic) {
        std::string t = filter_term("XT", o.topic);
        cost.postings += db.get_termfreq(t);
        q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(t));
    }
    return q;
}


}  // namespace

/* ---- handles ---- */

namespace {

using Clock = std::chrono::steady_clock;

/* One shard of a sharded reader.  Each keeps its own Database so that a failure can be
 * pinned on it (Xapian's NetworkError names a host only sometimes), the shard left out
 * of a partial answer, and its connection made again later. */
struct Shard {
    std::string name;                   /* "tcp:HOST:PORT" or the folder */
    bool remote = false;
    std::string host;                   /* remote: host (brackets stripped) and port */
    unsigned port = 0;
    Xapian::Database db;
    bool up = false;
    Clock::time_point next_try{};       /* down: no connect attempt before this */
    std::string error;                  /* down: why */
};

}  // namespace

struct newsidx_reader {
    Xapian::Database db;                /* sharded: the shards that are up, combined */
    Xapian::Stem snippet_stem{new StemMemo};   /* MSet::snippet's stemmer (StemMemo) */
    DocCache docs;                      /* hits' stored fields; emptied when db moves */
    bool open = false;
    std::string error;
    std::vector<Shard> shards;          /* empty: a plain reader (newsidx_reader_open) */
    std::vector<size_t> up;             /* the shards in db, in its order */
    unsigned timeout_ms = 0;
    std::vector<std::string> missing;   /* shards the last partial count/search left out */
    std::string failed_shard;           /* named by the last NEWSIDX_SHARD_UNAVAILABLE */
};

struct newsidx_writer {
    Xapian::WritableDatabase db;
    Xapian::TermGenerator tg;
    bool open = false;
    bool in_txn = false;
    bool bulk = false;
    std::string origin;                 /* XF term put on every document; "" for none */
    std::unordered_set<std::string> seen; /* id terms stored since set_origin (not bulk) */
    std::string error;
};

namespace {

struct HitStrings {
    unsigned rank;
    double score;
    std::string id, title, date, source, url, snippet;
};

}  // namespace

struct newsidx_results {
    uint64_t total = 0;
    int exact = 0;
    std::vector<std::string> missing;   /* shards left out (opts.partial) */
    std::vector<HitStrings> store;
    std::vector<newsidx_hit_t> hits; /* points into store, built once store is final */
};

/* ---- C API (declared extern "C" in newsidx.h, so these keep C linkage) ---- */


const char *newsidx_status_name(newsidx_status_t status)
{
    switch (status) {
    case NEWSIDX_OK: return "ok";
    case NEWSIDX_NOT_FOUND: return "not_found";
    case NEWSIDX_BAD_QUERY: return "bad_query";
    case NEWSIDX_BAD_ARGUMENT: return "bad_argument";
    case NEWSIDX_NO_INDEX: return "no_index";
    case NEWSIDX_CORRUPT: return "corrupt";
    case NEWSIDX_LOCKED: return "locked";
    case NEWSIDX_MODIFIED: return "modified";
    case NEWSIDX_IO: return "io";
    case NEWSIDX_NO_MEMORY: return "no_memory";
    case NEWSIDX_TIMEOUT: return "timeout";
    case NEWSIDX_INTERNAL: return "internal";
    case NEWSIDX_SHARD_UNAVAILABLE: return "shard_unavailable";
    }
    return "unknown";
}

const char *newsidx_xapian_version(void)
{
    return Xapian::version_string();
}

/* ---- reader ---- */

namespace {

/* The stub file xapian-replicate keeps in a replica folder ("auto replica_N"). */
const char REPLICA_STUB[] = "/XAPIANDB";

bool regular_file(const std::string &path)
{
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/* 1 when the file lists at least one database: a stub listing none opens as an empty
 * index, which must not pass for a replica. */
bool stub_lists_a_database(const std::string &path)
{
    FILE *f = fopen(path.c_str(), "r");
    if (!f) return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = line[0] != '#' && line[0] != '\n' && line[0] != '\0';
    fclose(f);
    return found;
}

}  // namespace

int newsidx_is_replica(const char *path)
{
    if (!path || !*path) return 0;
    try {
        std::string dir(path);
        return !regular_file(dir + "/iamglass") && regular_file(dir + REPLICA_STUB) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

namespace {

/* The end of a reader open: *out is set on every status but NEWSIDX_NO_MEMORY. */
newsidx_status_t reader_opened(newsidx_reader_t *r, newsidx_status_t st, newsidx_reader_t **out)
{
    if (st == NEWSIDX_NO_MEMORY) {
        delete r;
        return st;
    }
    *out = r;
    return st;
}

}  // namespace

newsidx_status_t newsidx_reader_open(const char *path, newsidx_reader_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    newsidx_reader_t *r = nullptr;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        r = new newsidx_reader_t;
        if (!path || !*path) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no index path"};
        /* Glass only: without the flag a plain file at path is read as a stub database
         * listing no shards, and opens as an empty index instead of failing.  The one
         * stub opened on purpose is a replica folder's: xapian-replicate switches its
         * live copy by rewriting that stub, so it is read afresh at every open. */
        if (newsidx_is_replica(path)) {
            std::string stub = std::string(path) + REPLICA_STUB;
            if (!stub_lists_a_database(stub))
                throw ApiError{NEWSIDX_CORRUPT, "the replica's XAPIANDB stub lists no database"};
            r->db = Xapian::Database(stub, Xapian::DB_BACKEND_STUB);
        } else {
            r->db = Xapian::Database(path, Xapian::DB_BACKEND_GLASS);
        }
        r->open = true;
    }
    NEWSIDX_CATCH(r ? &r->error : nullptr, st)
    return reader_opened(r, st, out);
}

void newsidx_reader_close(newsidx_reader_t *reader)
{
    delete reader; /* Database's destructor does not throw */
}

const char *newsidx_reader_error(const newsidx_reader_t *reader)
{
    return reader ? reader->error.c_str() : "no reader";
}

namespace {

newsidx_reader_t *usable(newsidx_reader_t *r)
{
    if (!r->open) throw ApiError{NEWSIDX_BAD_ARGUMENT, "reader is not open"};
    return r;
}

}  // namespace

/* ---- shards: the machinery (the C API of shards is at the end) ---- */

namespace {

unsigned shard_timeout(unsigned ms)
{
    return ms ? ms : NEWSD_DEFAULT_SHARD_TIMEOUT_MS;
}

std::string describe(const Xapian::Error &e)
{
    std::string m;
    fail_x(&m, NEWSIDX_INTERNAL, e);
    return m;
}

/* "HOST:PORT" (HOST a name, an IPv4 address or [IPv6]) into host (brackets stripped)
 * and port; where says what to blame in the message. */
void split_host_port(const std::string &hp, const std::string &where, std::string &host,
                     unsigned &port)
{
    size_t colon = hp.rfind(':');
    std::string h = colon == std::string::npos ? std::string() : hp.substr(0, colon);
    std::string p = colon == std::string::npos ? std::string() : hp.substr(colon + 1);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    else if (h.find(':') != std::string::npos) h.clear(); /* a bare IPv6 address is ambiguous */
    unsigned long n = 0;
    bool ok = !h.empty() && !p.empty() && p.size() <= 5 &&
              p.find_first_not_of("0123456789") == std::string::npos;
    if (ok) n = std::stoul(p);
    if (!ok || n < 1 || n > 65535)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                          where + ": want HOST:PORT (IPv6 in brackets, port 1 to 65535), not '" +
                              hp + "'"};
    host = h;
    port = static_cast<unsigned>(n);
}

/* The canonical spec of a remote shard: "tcp:HOST:PORT". */
std::string tcp_spec(const std::string &hp, const std::string &where)
{
    std::string host;
    unsigned port;
    split_host_port(hp, where, host, port);
    bool v6 = host.find(':') != std::string::npos;
    return "tcp:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_dir(const std::string &p)
{
    struct stat sb;
    return stat(p.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool is_file(const std::string &p)
{
    struct stat sb;
    return stat(p.c_str(), &sb) == 0 && S_ISREG(sb.st_mode);
}

void add_shard(std::vector<std::string> &out, std::string spec)
{
    if (out.size() >= NEWSD_MAX_SHARDS)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                          "more than " + std::to_string(NEWSD_MAX_SHARDS) + " shards"};
    out.push_back(std::move(spec));
}

/* A stub database file's shards, in file order (the format Xapian's stub backend reads,
 * minus what newsd will not do: run programs, open other backends). */
void expand_stub(const std::string &file, std::vector<std::string> &out)
{
    FILE *f = fopen(file.c_str(), "rb");
    if (!f)
        throw ApiErrorMsg{errno == ENOENT ? NEWSIDX_NO_INDEX : NEWSIDX_IO,
                          "cannot read the stub file " + file + ": " + strerror(errno)};
    std::string text(NEWSD_MAX_STUB_BYTES + 1, '\0');
    size_t got = fread(&text[0], 1, text.size(), f);
    bool err = ferror(f);
    fclose(f);
    if (err) throw ApiErrorMsg{NEWSIDX_IO, "cannot read the stub file " + file};
    if (got > NEWSD_MAX_STUB_BYTES)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "stub file " + file + " is larger than " +
                                                    std::to_string(NEWSD_MAX_STUB_BYTES) +
                                                    " bytes"};
    text.resize(got);
    if (text.find('\0') != std::string::npos)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, file + " is not a stub file (it holds NUL bytes)"};
    size_t slash = file.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
    size_t before = out.size(), pos = 0;
    for (unsigned lineno = 1; pos < text.size(); lineno++) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        const char *ws = " \t\r";
        size_t a = line.find_first_not_of(ws);
        if (a == std::string::npos || line[a] == '#') continue;
        line = line.substr(a, line.find_last_not_of(ws) - a + 1);
        size_t sp = line.find_first_of(" \t");
        std::string word = line.substr(0, sp);
        std::string rest = sp == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", sp));
        std::string where = "stub file " + file + " line " + std::to_string(lineno);
        if (word == "glass" || word == "auto") {
            if (rest.empty()) throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, where + ": no path after " + word};
            std::string path = rest[0] == '/' ? rest : dir + "/" + rest;
            if (!is_dir(path))
                throw ApiErrorMsg{NEWSIDX_NO_INDEX, where + ": no index folder at " + path};
            add_shard(out, path);
        } else if (word == "remote") {
            if (!rest.empty() && rest[0] == ':')
                throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                                  where + ": 'remote :PROGRAM' runs a program, which newsd "
                                          "does not do; serve the shard with xapian-tcpsrv "
                                          "and write 'remote HOST:PORT'"};
            add_shard(out, tcp_spec(rest, where));
        } else {
            throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                              where + ": '" + word + "' is not supported (glass PATH, auto "
                                      "PATH or remote HOST:PORT)"};
        }
    }
    if (out.size() == before)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "stub file " + file + " lists no shards"};
}

void expand_spec(const std::string &spec, std::vector<std::string> &out)
{
    if (spec.empty()) throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "empty shard spec"};
    if (spec.compare(0, 4, "tcp:") == 0) {
        add_shard(out, tcp_spec(spec.substr(4), "shard '" + spec + "'"));
        return;
    }
    struct stat sb;
    if (stat(spec.c_str(), &sb) != 0)
        throw ApiErrorMsg{NEWSIDX_NO_INDEX, "no index at " + spec + " (want a folder, a stub "
                                            "file or tcp:HOST:PORT)"};
    if (S_ISREG(sb.st_mode)) {
        expand_stub(spec, out);
    } else if (S_ISDIR(sb.st_mode)) {
        /* newsindex --shards writes shard folders and shards.stub into one folder */
        if (!is_file(spec + "/iamglass") && is_file(spec + "/shards.stub"))
            expand_stub(spec + "/shards.stub", out);
        else
            add_shard(out, spec);
    } else {
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, spec + " is neither a folder nor a stub file"};
    }
}

std::vector<std::string> expand_specs(const char *const *specs, size_t n)
{
    if (!specs || n == 0) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no shards"};
    std::vector<std::string> out;
    for (size_t i = 0; i < n; i++) {
        if (!specs[i]) throw ApiError{NEWSIDX_BAD_ARGUMENT, "NULL shard spec"};
        expand_spec(specs[i], out);
    }
    return out;
}

void open_shard(Shard &s, unsigned timeout_ms)
{
    if (s.remote)
        s.db = Xapian::Remote::open(s.host, s.port, timeout_ms,
                                    std::min<unsigned>(timeout_ms, NEWSD_SHARD_CONNECT_TIMEOUT_MS));
    else
        s.db = Xapian::Database(s.name, Xapian::DB_BACKEND_GLASS);
    s.up = true;
    s.error.clear();
}

void mark_down(Shard &s, const std::string &why)
{
    s.up = false;
    s.db = Xapian::Database(); /* drops the connection (once the combined one lets go) */
    s.error = why;
    s.next_try = Clock::now() + std::chrono::milliseconds(NEWSD_SHARD_RETRY_MS);
}

/* Connects a shard that is down; on failure it stays down until NEWSD_SHARD_RETRY_MS. */
bool try_connect(newsidx_reader_t *r, Shard &s)
{
    try {
        open_shard(s, r->timeout_ms);
        return true;
    } catch (const Xapian::Error &e) {
        mark_down(s, describe(e));
        return false;
    }
}

/* The combined database of the shards that are up, in shard order. */
void rebuild(newsidx_reader_t *r)
{
    Xapian::Database all;
    r->up.clear();
    for (size_t k = 0; k < r->shards.size(); k++)
        if (r->shards[k].up) {
            all.add_database(r->shards[k].db);
            r->up.push_back(k);
        }
    r->db = all;
    r->docs.clear(); /* docids of the combined database follow the shards that are up */
}

[[noreturn]] void shard_down(newsidx_reader_t *r, size_t k)
{
    const Shard &s = r->shards[k];
    r->failed_shard = s.name;
    throw ApiErrorMsg{NEWSIDX_SHARD_UNAVAILABLE,
                      s.name + " (shard " + std::to_string(k) + " of " +
                          std::to_string(r->shards.size()) + ", numbered from 0) is unavailable: " +
                          (s.error.empty() ? std::string("down") : s.error)};
}

/* Before a call: reconnects the shards that are down and due, then fails fast when one
 * is still down (unless partial and some are up).  Fills r->missing. */
void prepare(newsidx_reader_t *r, bool partial)
{
    Clock::time_point now = Clock::now();
    bool changed = false;
    for (Shard &s : r->shards)
        if (!s.up && now >= s.next_try && try_connect(r, s)) changed = true;
    if (changed) rebuild(r);
    r->missing.clear();
    size_t first_down = r->shards.size();
    for (size_t k = 0; k < r->shards.size(); k++)
        if (!r->shards[k].up) {
            if (first_down == r->shards.size()) first_down = k;
            r->missing.push_back(r->shards[k].name);
        }
    if (first_down < r->shards.size() && (!partial || r->missing.size() == r->shards.size()))
        shard_down(r, first_down);
}

/* Which shards a NetworkError came from: the one its context names
 * ("remote:tcp(HOST:PORT)"), else every remote shard that does not answer a keep-alive.
 * Marks them down, then tries each once more at once (a shard restarted since the last
 * call is back without a failed call).  Returns them. */
std::vector<size_t> blame(newsidx_reader_t *r, const Xapian::NetworkError &e)
{
    std::vector<size_t> culprits;
    const std::string &ctx = e.get_context();
    for (size_t k = 0; k < r->shards.size(); k++) {
        Shard &s = r->shards[k];
        if (s.remote && s.up &&
            ctx.find("tcp(" + s.host + ":" + std::to_string(s.port) + ")") != std::string::npos) {
            mark_down(s, describe(e));
            culprits.push_back(k);
        }
    }
    if (culprits.empty())
        for (size_t k = 0; k < r->shards.size(); k++) {
            Shard &s = r->shards[k];
            if (!s.remote || !s.up) continue;
            try {
                s.db.keep_alive();
            } catch (const Xapian::Error &pe) {
                mark_down(s, describe(pe));
                culprits.push_back(k);
            }
        }
    rebuild(r); /* lets go of the dead connections before reconnecting */
    bool back = false;
    for (size_t k : culprits)
        if (try_connect(r, r->shards[k])) back = true;
    if (back) rebuild(r);
    return culprits;
}

/* Runs f; if the database moved under it, reopens (emptying the document cache) and runs
 * it once more (a second DatabaseModifiedError reaches the caller's handlers as
 * NEWSIDX_MODIFIED). */
template <class F>
void with_retry(newsidx_reader_t *r, F &&f)
{
    try {
        f();
    } catch (const Xapian::DatabaseModifiedError &) {
        r->docs.clear();
        r->db.reopen();
        f();
    }
}

/* Runs f on the reader's database.  A plain reader: as with_retry.  A sharded one: see
 * newsidx_reader_open_shards; f runs again after a shard failed (and was reconnected,
 * or, with partial, left out). */
template <class F>
void sharded(newsidx_reader_t *r, bool partial, F &&f)
{
    r->failed_shard.clear();
    r->missing.clear();
    if (r->shards.empty()) {
        with_retry(r, f);
        return;
    }
    for (size_t attempt = 0;; attempt++) {
        prepare(r, partial);
        try {
            with_retry(r, f);
            return;
        } catch (const Xapian::NetworkError &e) {
            std::vector<size_t> culprits = blame(r, e);
            if (culprits.empty() || attempt >= r->shards.size()) throw;
            size_t still_down = r->shards.size();
            for (size_t k : culprits)
                if (!r->shards[k].up && still_down == r->shards.size()) still_down = k;
            if (still_down < r->shards.size() && !partial) shard_down(r, still_down);
        }
    }
}

size_t first_missing(const newsidx_reader_t *r)
{
    for (size_t k = 0; k < r->shards.size(); k++)
        if (!r->shards[k].up) return k;
    return 0;
}

/* Moves every shard that is up to its latest revision; one that fails is marked down
 * and reconnected at once (a restarted xapian-tcpsrv), and the shards that are down and
 * due are tried.  Never fails for a shard: the next call reports it.  Returns whether
 * anything may have changed. */
bool reopen_shards(newsidx_reader_t *r)
{
    bool moved = false, set_changed = false;
    Clock::time_point now = Clock::now();
    for (Shard &s : r->shards) {
        if (!s.up) {
            if (now >= s.next_try && try_connect(r, s)) set_changed = true;
            continue;
        }
        try {
            if (s.db.reopen()) moved = true;
        } catch (const Xapian::NetworkError &e) {
            mark_down(s, describe(e));
            rebuild(r);
            try_connect(r, s);
            set_changed = true;
        }
    }
    if (set_changed) rebuild(r);
    return moved || set_changed;
}

}  // namespace


newsidx_status_t newsidx_reader_reopen(newsidx_reader_t *reader, int *changed)
{
    if (!reader) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_reader_t *r = usable(reader);
        if (r->shards.empty()) {
            Xapian::Database &db = r->db;
            Xapian::rev before = db.get_revision();
            db.reopen();
            bool moved = db.get_revision() != before;
            if (moved) r->docs.clear();
            if (changed) *changed = moved;
        } else {
            bool moved = reopen_shards(r);
            if (moved) r->docs.clear();
            if (changed) *changed = moved;
        }
    }
    NEWSIDX_CATCH(&reader->error, st)
    return st;
}

newsidx_status_t newsidx_reader_set_doc_cache(newsidx_reader_t *reader, uint64_t bytes)
{
    if (!reader) return NEWSIDX_BAD_ARGUMENT;
    if (bytes > (uint64_t(NEWSD_MAX_DOC_CACHE_MB) << 20)) {
        reader->error = "document cache over " + std::to_string(NEWSD_MAX_DOC_CACHE_MB) + " MiB";
        return NEWSIDX_BAD_ARGUMENT;
    }
    reader->docs.set_capacity(bytes);
    return NEWSIDX_OK;
}

newsidx_status_t newsidx_reader_doc_cache_stats(const newsidx_reader_t *reader,
                                                newsidx_cache_stats_t *out)
{
    if (!reader || !out) return NEWSIDX_BAD_ARGUMENT;
    reader->docs.stats(out);
    return NEWSIDX_OK;
}

newsidx_status_t newsidx_reader_doc_count(newsidx_reader_t *reader, uint64_t *count)
{
    if (!reader || !count) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_reader_t *r = usable(reader);
        sharded(r, false, [&] { *count = r->db.get_doccount(); });
    }
    NEWSIDX_CATCH(&reader->error, st)
    return st;
}

void newsidx_search_opts_init(newsidx_search_opts_t *opts)
{
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->limit = NEWSD_DEFAULT_LIMIT;
    opts->sort = NEWSIDX_SORT_RANK;
    opts->snippet_len = NEWSD_DEFAULT_SNIPPET_LEN;
    opts->hi_start = "<b>";
    opts->hi_end = "</b>";
    opts->timeout_ms = NEWSD_DEFAULT_QUERY_TIMEOUT_MS;
}

namespace {

/*
 * The stored data of the hits of m that `want` marks, in page order ("" for the others).
 * Xapian 1.4's remote backend fetches
 * a document in one round trip of its own, and MSet::fetch() does not pipeline them
 * (RemoteDatabase has no request_document before 1.5), so a page of ten hits costs ten
 * round trips in a row.  Each shard's connection is independent, though: the hits are
 * grouped by shard (a combined database numbers shard j's document d as
 * (d - 1) * n + j + 1) and each remote shard's group is read by a thread of its own,
 * so the page costs as many round trips as the busiest shard holds hits (README.md,
 * "Sharded indexes", has the figures).  Local shards and plain readers read in line.
 * Building with -DNEWSIDX_SERIAL_FETCH reads everything in line, to measure it.
 */
std::vector<std::string> page_data(newsidx_reader_t *r, const Xapian::MSet &m,
                                   const std::vector<char> &want)
{
    std::vector<std::string> out(m.size());
    size_t nup = r->up.size(), remote = 0;
    for (size_t pos = 0; pos < nup; pos++) remote += r->shards[r->up[pos]].remote;
#ifdef NEWSIDX_SERIAL_FETCH
    remote = 0;
#endif
    size_t wanted = static_cast<size_t>(std::count(want.begin(), want.end(), 1));
    if (remote < 2 || wanted < 2) {
        size_t i = 0;
        for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i)
            if (want[i]) out[i] = it.get_document().get_data();
        return out;
    }
    std::vector<std::vector<std::pair<size_t, Xapian::docid>>> groups(nup);
    size_t i = 0;
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i)
        if (want[i]) groups[(*it - 1) % nup].emplace_back(i, (*it - 1) / nup + 1);
    std::vector<std::exception_ptr> errors(nup);
    std::vector<std::thread> threads;
    threads.reserve(nup);
    for (size_t pos = 0; pos < nup; pos++) {
        if (groups[pos].empty()) continue;
        Shard &s = r->shards[r->up[pos]];
        auto work = [&out, &errors, &groups, &s, pos] {
            try {
                for (const auto &g : groups[pos]) out[g.first] = s.db.get_document(g.second).get_data();
            } catch (...) {
                errors[pos] = std::current_exception();
            }
        };
        if (!s.remote) {
            work();
            continue;
        }
        try {
            threads.emplace_back(work);
        } catch (const std::system_error &) {
            work(); /* no thread to be had: in line, slower but the same */
        }
    }
    for (std::thread &t : threads) t.join();
    for (const std::exception_ptr &e : errors)
        if (e) std::rethrow_exception(e);
    return out;
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
struct Deadline {
    Clock::time_point at;
    bool expired = false;
};

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
    switch (q.get_type()) {
    case Xapian::Query::OP_PHRASE:
    case Xapian::Query::OP_NEAR:
        changed = true;
        return Xapian::Query(Xapian::Query::OP_FILTER, q, guard);
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR:
    case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX: {
        std::vector<Xapian::Query> subs;
        bool any = false;
        for (size_t i = 0, n = q.get_num_subqueries(); i < n; i++)
            subs.push_back(guard_positional(q.get_subquery(i), guard, any));
        if (!any) return q;
        changed = true;
        return Xapian::Query(q.get_type(), subs.begin(), subs.end());
    }
    default:
        return q;
    }
}

/* The query and filters of o, under the deadline d when the match can run long (it reads
 * NEWSD_DEADLINE_MIN_POSTINGS postings or more, or checks positions) and every database of
 * r runs its match here.  A match reading fewer postings ends within milliseconds. */
Xapian::Query deadline_query(const newsidx_reader_t *r, const char *query,
                             const newsidx_search_opts_t &o, Deadline &d)
{
    QueryCost cost;
    Xapian::Query q = build_query(r->db, query, o, cost);
    if (d.at == Clock::time_point::max()) return q;
    if (!cost.positional && cost.postings < NEWSD_DEADLINE_MIN_POSTINGS) return q;
    for (size_t pos = 0; pos < r->up.size(); pos++)
        if (r->shards[r->up[pos]].remote) return q;
    Xapian::Query guard((new DeadlineSource(&d))->release());
    bool changed = false;
    return Xapian::Query(Xapian::Query::OP_FILTER, guard_positional(q, guard, changed), guard);
}

/* The deadline of a call with options o, from now (none when o.timeout_ms is 0). */
Deadline deadline_of(const newsidx_search_opts_t &o)
{
    Deadline d;
    d.at = o.timeout_ms ? Clock::now() + std::chrono::milliseconds(o.timeout_ms)
                        : Clock::time_point::max();
    return d;
}

void run_search(newsidx_reader_t *r, const char *query, const newsidx_search_opts_t &o,
                newsidx_results &res, Deadline &dl)
{
    Xapian::Database &db = r->db;
    const Xapian::Stem &stem = r->snippet_stem;
    Xapian::Enquire enq(db);
    enq.set_query(deadline_query(r, query, o, dl));
    if (o.sort == NEWSIDX_SORT_DATE)
        enq.set_sort_by_value_then_relevance(NEWSIDX_SLOT_TIME, true);
    else if (o.sort == NEWSIDX_SORT_DATE_ASC)
        enq.set_sort_by_value_then_relevance(NEWSIDX_SLOT_TIME, false);
    /* Remote shards get the time limit too: it ends their widening of the count. */
    if (o.timeout_ms) enq.set_time_limit(o.timeout_ms / 1000.0);
    /* At least one candidate is checked even for a count-only page (limit 0): with
     * check_at_least 0 Xapian may skip the match and estimate 0 matches. */
    Xapian::doccount check = o.exact_total ? db.get_doccount() : o.offset + o.limit;
    if (check == 0) check = 1;
    Xapian::MSet m = enq.get_mset(o.offset, o.limit, check);

    res.store.clear();
    res.hits.clear();
    res.total = m.get_matches_estimated();
    res.exact = m.get_matches_lower_bound() == m.get_matches_upper_bound();
    res.store.reserve(m.size());
    /* Hits in the document cache are not read; the others are read (remote shards' in
     * parallel), decoded and kept.  Each hit is finished before the next is kept, since
     * keeping one may evict another. */
    std::vector<char> want(m.size());
    size_t i = 0;
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i)
        want[i] = !r->docs.contains(*it);
    std::vector<std::string> data = page_data(r, m, want);
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
        if (o.snippets)
            h.snippet = m.snippet(d->body, o.snippet_len ? o.snippet_len : NEWSD_DEFAULT_SNIPPET_LEN,
                                  stem, snippet_flags(o.snippets), o.hi_start ? o.hi_start : "<b>",
                                  o.hi_end ? o.hi_end : "</b>", SNIPPET_OMIT);
        res.store.push_back(std::move(h));
    }
}

void check_page(const newsidx_search_opts_t &o)
{
    if (o.offset > NEWSD_MAX_OFFSET) throw ApiError{NEWSIDX_BAD_ARGUMENT, "offset too large"};
    if (o.limit > NEWSD_MAX_LIMIT) throw ApiError{NEWSIDX_BAD_ARGUMENT, "limit too large"};
    if (o.snippet_len > NEWSD_MAX_SNIPPET_LEN)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "snippet length too large"};
    if (o.snippets < NEWSIDX_SNIPPET_NONE || o.snippets > NEWSIDX_SNIPPET_BEST)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "unknown snippet mode"};
    if (o.sort != NEWSIDX_SORT_RANK && o.sort != NEWSIDX_SORT_DATE && o.sort != NEWSIDX_SORT_DATE_ASC)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "unknown sort order"};
}

}  // namespace

newsidx_status_t newsidx_search(newsidx_reader_t *reader, const char *query,
                                const newsidx_search_opts_t *opts, newsidx_results_t **out)
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
        res = new newsidx_results_t;
        Deadline dl = deadline_of(o);
        sharded(r, o.partial != 0, [&] { run_search(r, query, o, *res, dl); });
        res->missing = r->missing;
        /* A search cut by its deadline (here, or by the time limit on a remote shard)
         * is reported as timed out, with what it found. */
        if (dl.expired || (o.timeout_ms && Clock::now() >= dl.at)) {
            st = NEWSIDX_TIMEOUT;
            reader->error = "the search ran past its time limit of " +
                            std::to_string(o.timeout_ms) + " ms; results are partial";
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
            res->hits.push_back(hit);
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
        /* The count is exact or an error: check_at_least = doccount makes the matcher
         * see every candidate, so the estimate is the exact count, unless the deadline
         * cut the match, which is NEWSIDX_TIMEOUT and no number. */
        Deadline dl = deadline_of(o);
        uint64_t n = 0;
        sharded(r, o.partial != 0, [&] {
            Xapian::Database &db = r->db;
            Xapian::Enquire enq(db);
            enq.set_query(deadline_query(r, query, o, dl));
            enq.set_weighting_scheme(Xapian::BoolWeight());
            Xapian::MSet m = enq.get_mset(0, 0, db.get_doccount());
            n = m.get_matches_estimated();
        });
        if (dl.expired || (o.timeout_ms && Clock::now() >= dl.at))
            throw ApiErrorMsg{NEWSIDX_TIMEOUT, "the count ran past its time limit of " +
                              std::to_string(o.timeout_ms) + " ms"};
        *count = n;
    }
    NEWSIDX_CATCH(&reader->error, st)
    return st;
}

namespace {

/* Copies d into one malloc'd block: the struct, the two pointer arrays, the strings. */
newsidx_doc_t *doc_block(const StoredDoc &d)
{
    const std::string *strs[] = {&d.id, &d.title, &d.body, &d.source, &d.url};
    size_t bytes = sizeof(newsidx_doc_t) + (d.topics.size() + d.places.size()) * sizeof(char *);
    for (const std::string *s : strs) bytes += s->size() + 1;
    for (const std::string &s : d.topics) bytes += s.size() + 1;
    for (const std::string &s : d.places) bytes += s.size() + 1;
    bytes += d.date.size() + 1;
    void *block = malloc(bytes);
    if (!block) throw std::bad_alloc();

    newsidx_doc_t *doc = static_cast<newsidx_doc_t *>(block);
    const char **topics = reinterpret_cast<const char **>(doc + 1);
    const char **places = topics + d.topics.size();
    char *p = reinterpret_cast<char *>(places + d.places.size());
    auto copy = [&p](const std::string &s) {
        char *dst = p;
        memcpy(dst, s.c_str(), s.size() + 1);
        p += s.size() + 1;
        return dst;
    };
    doc->id = copy(d.id);
    doc->title = copy(d.title);
    doc->body = copy(d.body);
    doc->source = copy(d.source);
    doc->url = copy(d.url);
    doc->date = d.date.empty() ? nullptr : copy(d.date);
    for (size_t i = 0; i < d.topics.size(); i++) topics[i] = copy(d.topics[i]);
    for (size_t i = 0; i < d.places.size(); i++) places[i] = copy(d.places[i]);
    doc->topics = d.topics.empty() ? nullptr : topics;
    doc->ntopics = d.topics.size();
    doc->places = d.places.empty() ? nullptr : places;
    doc->nplaces = d.places.size();
    return doc;
}

}  // namespace

newsidx_status_t newsidx_get(newsidx_reader_t *reader, const char *id, newsidx_doc_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    if (!reader) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_reader_t *r = usable(reader);
        std::string term = id_term(id);
        StoredDoc d;
        /* Ids are unique across shards: a document found on a shard that is up is the
         * answer even while another is down; "not found" needs them all. */
        try {
            sharded(r, true, [&] {
                Xapian::Database &db = r->db;
                Xapian::PostingIterator p = db.postlist_begin(term);
                if (p == db.postlist_end(term))
                    throw ApiError{NEWSIDX_NOT_FOUND, "no document with that id"};
                d = decode(db.get_document(*p).get_data());
            });
        } catch (const ApiError &e) {
            if (e.status == NEWSIDX_NOT_FOUND && !r->missing.empty()) shard_down(r, first_missing(r));
            throw;
        }
        *out = doc_block(d);
    }
    NEWSIDX_CATCH(&reader->error, st)
    return st;
}

void newsidx_doc_free(newsidx_doc_t *doc)
{
    free(doc);
}

/* ---- writer ---- */

namespace {

/* What every newly opened writer does: the indexing setup and the open transaction. */
void writer_start(newsidx_writer_t *w)
{
    w->tg.set_stemmer(Xapian::Stem("en"));
    w->tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    w->db.begin_transaction(false);
    w->in_txn = true;
    w->open = true;
}

/* The end of a writer open: *out is set on every status but NEWSIDX_NO_MEMORY. */
newsidx_status_t writer_opened(newsidx_writer_t *w, newsidx_status_t st, newsidx_writer_t **out)
{
    if (st == NEWSIDX_NO_MEMORY) {
        newsidx_writer_abandon(w);
        return st;
    }
    *out = w;
    return st;
}

}  // namespace

newsidx_status_t newsidx_writer_open(const char *path, int flags, newsidx_writer_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    newsidx_writer_t *w = nullptr;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        w = new newsidx_writer_t;
        if (!path || !*path) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no index path"};
        if (flags & ~(NEWSIDX_CREATE | NEWSIDX_OVERWRITE | NEWSIDX_BULK))
            throw ApiError{NEWSIDX_BAD_ARGUMENT, "unknown writer flags"};
        if (newsidx_is_replica(path))
            throw ApiError{NEWSIDX_BAD_ARGUMENT, "the index is a replica kept by "
                           "xapian-replicate, which would overwrite any write: write to "
                           "its master"};
        int action = (flags & NEWSIDX_OVERWRITE) ? Xapian::DB_CREATE_OR_OVERWRITE
                     : (flags & NEWSIDX_CREATE)  ? Xapian::DB_CREATE_OR_OPEN
                                                 : Xapian::DB_OPEN;
        action |= Xapian::DB_BACKEND_GLASS;  /* as the reader: a plain file is no index */
        w->bulk = (flags & NEWSIDX_BULK) != 0;
        if (w->bulk) {
            /* Read by glass when the database is constructed; 0: a value the user set
             * wins.  It stays set for the process (later writers in it get it too). */
            setenv("XAPIAN_FLUSH_THRESHOLD", std::to_string(NEWSD_BULK_FLUSH_THRESHOLD).c_str(), 0);
            action |= Xapian::DB_NO_SYNC;
        }
        w->db = Xapian::WritableDatabase(path, action);
        writer_start(w);
    }
    NEWSIDX_CATCH(w ? &w->error : nullptr, st)
    return writer_opened(w, st, out);
}

namespace {

newsidx_writer_t *usable(newsidx_writer_t *w)
{
    if (!w->open) throw ApiError{NEWSIDX_BAD_ARGUMENT, "writer is not open"};
    return w;
}

/* Ends the current transaction and commits it; the caller starts the next one. */
void commit_all(newsidx_writer_t *w)
{
    if (w->in_txn) {
        w->in_txn = false;
        w->db.commit_transaction();
    }
    w->db.commit();
}

}  // namespace

newsidx_status_t newsidx_writer_close(newsidx_writer_t *writer)
{
    if (!writer) return NEWSIDX_OK;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        if (writer->open) {
            commit_all(writer);
            writer->db.close();
            writer->open = false;
        }
    }
    NEWSIDX_CATCH(&writer->error, st)
    newsidx_writer_abandon(writer);
    return st;
}

void newsidx_writer_abandon(newsidx_writer_t *writer)
{
    if (!writer) return;
    /* Cancelling the transaction discards everything since the last commit; the
     * destructor then has nothing left to commit. */
    try {
        if (writer->in_txn) writer->db.cancel_transaction();
        writer->in_txn = false;
        writer->db.close();
    } catch (...) {
        /* Nothing to report to: the handle goes away.  Xapian's destructor swallows
         * errors too. */
    }
    delete writer;
}

const char *newsidx_writer_error(const newsidx_writer_t *writer)
{
    return writer ? writer->error.c_str() : "no writer";
}

namespace {

/* The Xapian document for doc (layout in newsidx.h); throws ApiError for a bad date. */
Xapian::Document make_document(Xapian::TermGenerator &tg, const newsidx_doc_t &doc,
                               const std::string &idterm)
{
    std::string stamp;
    if (doc.date && !parse_doc_date(doc.date, stamp))
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "malformed date: want YYYY-MM-DD[Thh:mm:ss[Z]]"};

    Xapian::Document xd;
    tg.set_document(xd);
    if (doc.title) tg.index_text(doc.title, NEWSIDX_TITLE_WEIGHT, "S");
    tg.increase_termpos(); /* no phrase spans title and body */
    if (doc.body) tg.index_text(doc.body);
    xd.add_boolean_term(idterm);
    if (doc.source && *doc.source) xd.add_boolean_term(filter_term("XS", doc.source));
    for (size_t i = 0; doc.topics && i < doc.ntopics; i++)
        if (doc.topics[i] && *doc.topics[i]) xd.add_boolean_term(filter_term("XT", doc.topics[i]));
    for (size_t i = 0; doc.places && i < doc.nplaces; i++)
        if (doc.places[i] && *doc.places[i]) xd.add_boolean_term(filter_term("XP", doc.places[i]));
    if (!stamp.empty()) {
        xd.add_value(NEWSIDX_SLOT_DAY, stamp.substr(0, 8));
        xd.add_value(NEWSIDX_SLOT_TIME, stamp);
    }

    std::string data(1, VERSION_BYTE);
    put_str(data, doc.id);
    put_str(data, doc.title);
    put_str(data, iso_from_stamp(stamp).c_str());
    put_str(data, doc.source);
    put_str(data, doc.url);
    put_list(data, doc.topics, doc.ntopics);
    put_list(data, doc.places, doc.nplaces);
    put_str(data, doc.body);
    xd.set_data(data);
    return xd;
}

}  // namespace

newsidx_status_t newsidx_writer_put(newsidx_writer_t *writer, const newsidx_doc_t *doc,
                                    int *replaced)
{
    if (!writer) return NEWSIDX_BAD_ARGUMENT;
    if (replaced) *replaced = 0;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        if (!doc) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no document"};
        std::string idterm = id_term(doc->id);
        Xapian::Document xd = make_document(w->tg, *doc, idterm);
        if (!w->origin.empty()) {
            xd.add_boolean_term(w->origin);
            if (!w->bulk) w->seen.insert(idterm);
        }
        if (w->bulk) {
            w->db.add_document(xd); /* the caller promised a new id: no lookup */
        } else {
            bool existed = w->db.term_exists(idterm);
            w->db.replace_document(idterm, xd);
            if (replaced) *replaced = existed;
        }
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

newsidx_status_t newsidx_writer_delete(newsidx_writer_t *writer, const char *id)
{
    if (!writer) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        std::string term = id_term(id);
        if (!w->db.term_exists(term)) throw ApiError{NEWSIDX_NOT_FOUND, "no document with that id"};
        w->db.delete_document(term);
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

newsidx_status_t newsidx_writer_copy_doc(newsidx_writer_t *dst, newsidx_writer_t *src,
                                         const char *id, int *copied)
{
    if (!dst || !src || !id) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *d = usable(dst);
        newsidx_writer_t *s = usable(src);
        std::string term = id_term(id);
        Xapian::PostingIterator it = s->db.postlist_begin(term);
        int found = it != s->db.postlist_end(term);
        if (found) {
            /* a Document read from one database and handed to another is copied whole */
            d->db.replace_document(term, s->db.get_document(*it));
        } else if (d->db.term_exists(term)) {
            d->db.delete_document(term);
        }
        if (copied) *copied = found;
    }
    NEWSIDX_CATCH(&dst->error, st)
    return st;
}

newsidx_status_t newsidx_writer_commit(newsidx_writer_t *writer)
{
    if (!writer) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        commit_all(w);
        w->db.begin_transaction(false);
        w->in_txn = true;
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

newsidx_status_t newsidx_writer_doc_count(newsidx_writer_t *writer, uint64_t *count)
{
    if (!writer || !count) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        *count = usable(writer)->db.get_doccount();
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

/* ---- metadata ---- */

namespace {

void check_key(const char *key)
{
    if (!key || !*key) throw ApiError{NEWSIDX_BAD_ARGUMENT, "empty metadata key"};
    if (strlen(key) > NEWSD_MAX_METADATA_KEY_LEN)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "metadata key too long"};
}

/* A malloc'd copy for C, or NULL for an absent (empty) value. */
char *c_copy(const std::string &v)
{
    if (v.empty()) return nullptr;
    char *p = static_cast<char *>(malloc(v.size() + 1));
    if (!p) throw std::bad_alloc();
    memcpy(p, v.c_str(), v.size() + 1);
    return p;
}

}  // namespace

newsidx_status_t newsidx_reader_get_metadata(newsidx_reader_t *reader, const char *key,
                                             char **value)
{
    if (!value) return NEWSIDX_BAD_ARGUMENT;
    *value = nullptr;
    if (!reader) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_reader_t *r = usable(reader);
        check_key(key);
        std::string v;
        /* over shards, Xapian reads metadata from the first (README.md, "Sharded indexes") */
        sharded(r, false, [&] { v = r->db.get_metadata(key); });
        *value = c_copy(v);
    }
    NEWSIDX_CATCH(&reader->error, st)
    return st;
}

newsidx_status_t newsidx_writer_get_metadata(newsidx_writer_t *writer, const char *key,
                                             char **value)
{
    if (!value) return NEWSIDX_BAD_ARGUMENT;
    *value = nullptr;
    if (!writer) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        check_key(key);
        *value = c_copy(w->db.get_metadata(key));
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

newsidx_status_t newsidx_writer_set_metadata(newsidx_writer_t *writer, const char *key,
                                             const char *value)
{
    if (!writer) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        check_key(key);
        /* Xapian removes a key set to "". */
        w->db.set_metadata(key, value ? value : "");
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

newsidx_status_t newsidx_writer_list_metadata(newsidx_writer_t *writer, const char *prefix,
                                              int (*fn)(void *ctx, const char *key,
                                                        const char *value),
                                              void *ctx)
{
    if (!writer || !fn) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        std::string pre = prefix ? prefix : "";
        std::vector<std::pair<std::string, std::string>> pairs;
        for (Xapian::TermIterator k = w->db.metadata_keys_begin(pre);
             k != w->db.metadata_keys_end(pre); ++k)
            pairs.emplace_back(*k, w->db.get_metadata(*k));
        for (const auto &kv : pairs)
            if (fn(ctx, kv.first.c_str(), kv.second.c_str()) != 0) break;
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

/* ---- origins ---- */

void newsidx_digest(const char *s, char out[NEWSIDX_DIGEST_LEN + 1])
{
    /* FNV-1a 64 from its standard offset basis, and again from a second basis: two
     * independent 64-bit hashes make collisions among real paths negligible. */
    uint64_t h1 = 14695981039346656037ULL, h2 = 0x6c62272e07bb0142ULL;
    const uint64_t prime = 1099511628211ULL;
    for (const unsigned char *p = reinterpret_cast<const unsigned char *>(s ? s : ""); *p; p++) {
        h1 = (h1 ^ *p) * prime;
        h2 = (h2 ^ *p) * prime;
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[i] = hex[(h1 >> (60 - 4 * i)) & 15];
        out[16 + i] = hex[(h2 >> (60 - 4 * i)) & 15];
    }
    out[NEWSIDX_DIGEST_LEN] = '\0';
}

unsigned newsidx_shard_of(const char *id, unsigned nshards)
{
    if (nshards <= 1) return 0;
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = reinterpret_cast<const unsigned char *>(id ? id : ""); *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (unsigned)(h % nshards);
}

namespace {

std::string origin_term(const char *origin)
{
    if (!origin || !*origin) throw ApiError{NEWSIDX_BAD_ARGUMENT, "empty origin"};
    std::string t = std::string("XF") + origin;
    if (t.size() <= NEWSD_MAX_TERM_LEN) return t;
    char d[NEWSIDX_DIGEST_LEN + 1];
    newsidx_digest(origin, d);
    return std::string("XF#") + d;
}

/* The id term of document did: its one Q term. */
std::string doc_id_term(Xapian::WritableDatabase &db, Xapian::docid did)
{
    Xapian::TermIterator t = db.termlist_begin(did);
    t.skip_to("Q");
    if (t != db.termlist_end(did) && (*t)[0] == 'Q') return *t;
    return std::string();
}

/* Deletes the documents tagged term whose id term is not in keep (NULL: all). */
uint64_t delete_tagged(Xapian::WritableDatabase &db, const std::string &term,
                       const std::unordered_set<std::string> *keep)
{
    std::vector<Xapian::docid> doomed;
    for (Xapian::PostingIterator p = db.postlist_begin(term); p != db.postlist_end(term); ++p)
        if (!keep || !keep->count(doc_id_term(db, *p))) doomed.push_back(*p);
    for (Xapian::docid did : doomed) db.delete_document(did);
    return doomed.size();
}

}  // namespace

newsidx_status_t newsidx_writer_set_origin(newsidx_writer_t *writer, const char *origin)
{
    if (!writer) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        w->seen.clear();
        w->origin.clear();
        if (origin) w->origin = origin_term(origin);
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

newsidx_status_t newsidx_writer_end_origin(newsidx_writer_t *writer, uint64_t *deleted)
{
    if (!writer) return NEWSIDX_BAD_ARGUMENT;
    if (deleted) *deleted = 0;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        if (w->origin.empty()) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no origin set"};
        uint64_t n = w->bulk ? 0 : delete_tagged(w->db, w->origin, &w->seen);
        if (deleted) *deleted = n;
        w->origin.clear();
        w->seen.clear();
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

newsidx_status_t newsidx_writer_delete_origin(newsidx_writer_t *writer, const char *origin,
                                              uint64_t *deleted)
{
    if (!writer) return NEWSIDX_BAD_ARGUMENT;
    if (deleted) *deleted = 0;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_writer_t *w = usable(writer);
        uint64_t n = delete_tagged(w->db, origin_term(origin), nullptr);
        if (deleted) *deleted = n;
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

/* ---- whole indexes ---- */

namespace {

void copy_msg(const std::string &err, char *msg, size_t msglen)
{
    if (!msg || msglen == 0) return;
    size_t n = err.size() < msglen - 1 ? err.size() : msglen - 1;
    memcpy(msg, err.data(), n);
    msg[n] = '\0';
}

void check_dest(const char *dest)
{
    if (!dest || !*dest) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no destination path"};
    struct stat sb;
    if (stat(dest, &sb) == 0) throw ApiError{NEWSIDX_BAD_ARGUMENT, "destination already exists"};
}

/* Keeps, for each id term posted more than once, only its highest docid. */
uint64_t remove_duplicates(Xapian::WritableDatabase &db)
{
    std::vector<std::string> dups;
    for (Xapian::TermIterator t = db.allterms_begin("Q"); t != db.allterms_end("Q"); ++t)
        if (t.get_termfreq() > 1) dups.push_back(*t);
    uint64_t removed = 0;
    for (const std::string &term : dups) {
        std::vector<Xapian::docid> ids(db.postlist_begin(term), db.postlist_end(term));
        ids.pop_back(); /* postlists are in ascending docid order: keep the last */
        for (Xapian::docid id : ids) db.delete_document(id);
        removed += ids.size();
    }
    db.commit();
    return removed;
}

}  // namespace

newsidx_status_t newsidx_merge(const char *const *sources, size_t n, const char *dest,
                               uint64_t *duplicates, char *msg, size_t msglen)
{
    newsidx_status_t st = NEWSIDX_OK;
    std::string err;
    if (duplicates) *duplicates = 0;
    try {
        if (!sources || n == 0) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no source indexes"};
        check_dest(dest);
        Xapian::Database all;
        for (size_t i = 0; i < n; i++) {
            if (!sources[i]) throw ApiError{NEWSIDX_BAD_ARGUMENT, "NULL source path"};
            all.add_database(Xapian::Database(sources[i]));
        }
        /* Renumbering compaction: docids become contiguous in source order. */
        all.compact(dest, Xapian::DBCOMPACT_MULTIPASS);
        all.close();
        Xapian::WritableDatabase w(dest, Xapian::DB_OPEN);
        uint64_t removed = remove_duplicates(w);
        w.close();
        if (duplicates) *duplicates = removed;
    }
    NEWSIDX_CATCH(&err, st)
    if (st != NEWSIDX_OK) copy_msg(err, msg, msglen);
    else copy_msg(std::string(), msg, msglen);
    return st;
}

newsidx_status_t newsidx_compact(const char *src, const char *dest, char *msg, size_t msglen)
{
    newsidx_status_t st = NEWSIDX_OK;
    std::string err;
    try {
        if (!src || !*src) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no source index"};
        check_dest(dest);
        Xapian::Database(src).compact(dest);
    }
    NEWSIDX_CATCH(&err, st)
    if (st != NEWSIDX_OK) copy_msg(err, msg, msglen);
    else copy_msg(std::string(), msg, msglen);
    return st;
}

/* ---- shards: the C API ---- */

newsidx_status_t newsidx_shards_expand(const char *const *specs, size_t n, char ***out,
                                       size_t *n_out, char *msg, size_t msglen)
{
    if (!out || !n_out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    *n_out = 0;
    newsidx_status_t st = NEWSIDX_OK;
    std::string err;
    char **list = nullptr;
    size_t filled = 0;
    try {
        std::vector<std::string> v = expand_specs(specs, n);
        list = static_cast<char **>(calloc(v.size(), sizeof *list));
        if (!list) throw std::bad_alloc();
        for (; filled < v.size(); filled++) list[filled] = c_copy(v[filled]);
        *out = list;
        *n_out = filled;
        list = nullptr;
    }
    NEWSIDX_CATCH(&err, st)
    newsidx_shards_free(list, filled);
    copy_msg(err, msg, msglen);
    return st;
}

void newsidx_shards_free(char **list, size_t n)
{
    if (!list) return;
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
}

newsidx_status_t newsidx_reader_open_shards(const char *const *specs, size_t n,
                                            unsigned timeout_ms, newsidx_reader_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    newsidx_reader_t *r = nullptr;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        r = new newsidx_reader_t;
        r->timeout_ms = shard_timeout(timeout_ms);
        for (std::string &spec : expand_specs(specs, n)) {
            Shard s;
            s.name = spec;
            if (spec.compare(0, 4, "tcp:") == 0) {
                s.remote = true;
                split_host_port(spec.substr(4), spec, s.host, s.port);
            }
            r->shards.push_back(std::move(s));
        }
        for (Shard &s : r->shards) {
            if (s.remote) {
                try_connect(r, s); /* down is a state, not a failure to open */
                continue;
            }
            try {
                open_shard(s, r->timeout_ms);
            } catch (const Xapian::Error &e) {
                /* keep the status the error's class gives, with the shard's name first */
                std::string what = s.name + ": " + describe(e);
                try {
                    throw;
                }
                NEWSIDX_CATCH(nullptr, st)
                throw ApiErrorMsg{st, what};
            }
        }
        rebuild(r);
        r->open = true;
    }
    NEWSIDX_CATCH(r ? &r->error : nullptr, st)
    return reader_opened(r, st, out);
}

size_t newsidx_reader_shard_count(const newsidx_reader_t *reader)
{
    return reader ? reader->shards.size() : 0;
}

newsidx_status_t newsidx_reader_shard_info(newsidx_reader_t *reader, size_t i,
                                           newsidx_shard_info_t *info)
{
    if (!reader || !info || i >= reader->shards.size()) return NEWSIDX_BAD_ARGUMENT;
    Shard &s = reader->shards[i];
    info->name = s.name.c_str();
    info->remote = s.remote;
    info->up = s.up;
    info->docs = 0;
    info->error = s.error.c_str();
    if (s.up) {
        /* a remote database keeps the count of its last exchange: no round trip */
        try {
            info->docs = s.db.get_doccount();
        } catch (...) {
            info->docs = 0;
        }
    }
    return NEWSIDX_OK;
}

const char *newsidx_reader_failed_shard(const newsidx_reader_t *reader)
{
    return reader ? reader->failed_shard.c_str() : "";
}

size_t newsidx_reader_missing_count(const newsidx_reader_t *reader)
{
    return reader ? reader->missing.size() : 0;
}

const char *newsidx_reader_missing_shard(const newsidx_reader_t *reader, size_t i)
{
    return reader && i < reader->missing.size() ? reader->missing[i].c_str() : nullptr;
}

size_t newsidx_results_missing_count(const newsidx_results_t *results)
{
    return results ? results->missing.size() : 0;
}

const char *newsidx_results_missing_shard(const newsidx_results_t *results, size_t i)
{
    return results && i < results->missing.size() ? results->missing[i].c_str() : nullptr;
}

newsidx_status_t newsidx_writer_open_shard(const char *spec, unsigned timeout_ms,
                                           newsidx_writer_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    if (!spec || strncmp(spec, "tcp:", 4) != 0) return newsidx_writer_open(spec, 0, out);
    *out = nullptr;
    newsidx_writer_t *w = nullptr;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        w = new newsidx_writer_t;
        std::string host;
        unsigned port;
        split_host_port(spec + 4, std::string("shard '") + spec + "'", host, port);
        unsigned t = shard_timeout(timeout_ms);
        w->db = Xapian::Remote::open_writable(
            host, port, t, std::min<unsigned>(t, NEWSD_SHARD_CONNECT_TIMEOUT_MS));
        writer_start(w);
    }
    NEWSIDX_CATCH(w ? &w->error : nullptr, st)
    return writer_opened(w, st, out);
}
