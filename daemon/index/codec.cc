/*
 * codec.cc: the index layout of include/newsidx.h, written and read in one place: the
 * terms of a document (words, stems, the id, the boolean filters, the near-duplicate
 * bands), its values (the dates, the source, topics and places that facets count, the
 * fingerprint), and the stored-document
 * data (encoded here by make_document, decoded by decode), the copies of a stored
 * document that C receives, and the layout's version recorded in the index
 * (index_format, check_format).
 */
#include "private.hh"
#include "dups.hh"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "day.h"
#include "utf8.h"

namespace shim {

namespace {

const char VERSION_BYTE = 1; /* first byte of the document data */

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

/* "YYYYMMDDhhmmss" -> "YYYY-MM-DDThh:mm:ssZ" */
std::string iso_from_stamp(const std::string &t)
{
    if (t.size() != 14) return std::string();
    return t.substr(0, 4) + "-" + t.substr(4, 2) + "-" + t.substr(6, 2) + "T" +
           t.substr(8, 2) + ":" + t.substr(10, 2) + ":" + t.substr(12, 2) + "Z";
}

/*
 * Document data, version 1: the byte VERSION_BYTE, then id, title, date (normalised
 * ISO 8601 or empty), source, url, topics, places, body.  A string is a LEB128 length
 * and its bytes; a list is a LEB128 count followed by that many strings.  We do not
 * compress: glass deflates every docdata tag over COMPRESS_MIN (18) bytes with zlib
 * itself, and compressing twice gains nothing.
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

}  // namespace

bool parse_doc_date(const char *s, std::string &stamp)
{
    size_t n = strlen(s);
    char day[9];
    if ((n != 10 && n != 19 && n != 20) || day_parse(s, 10, day) != 0) return false;
    stamp.assign(day, 8);
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

std::string parse_day_opt(const char *s, const char *what)
{
    char day[9];
    if (day_parse(s, strlen(s), day) != 0) throw ApiError{NEWSIDX_BAD_ARGUMENT, what};
    return std::string(day, 8);
}

std::string filter_term(const char *prefix, const std::string &name)
{
    std::string t = prefix + Xapian::Unicode::tolower(name);
    t.resize(utf8_cut(t.data(), t.size(), NEWSD_MAX_TERM_LEN));
    return t;
}

std::string id_term(const char *id)
{
    if (!id || !*id) throw ApiError{NEWSIDX_BAD_ARGUMENT, "missing or empty id"};
    if (strlen(id) > NEWSD_MAX_ID_LEN) throw ApiError{NEWSIDX_BAD_ARGUMENT, "id too long"};
    return std::string("Q") + id;
}

namespace {

/* The facet value of a list field: its non-empty members in their filter form (the
 * filter term of prefix without the prefix, so a value fed back as a filter finds the
 * same term), sorted, de-duplicated, each followed by a
 * NUL byte, so that equal sets give equal values and a value splits without ambiguity. */
std::string list_value(const char *prefix, const char *const *v, size_t n)
{
    std::vector<std::string> members;
    for (size_t i = 0; v && i < n; i++)
        if (v[i] && *v[i]) members.push_back(filter_term(prefix, v[i]).substr(strlen(prefix)));
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    std::string out;
    for (const std::string &m : members) {
        out += m;
        out += '\0';
    }
    return out;
}

}  // namespace

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
    add_fingerprint(xd, doc.body);
    xd.add_boolean_term(idterm);
    if (doc.source && *doc.source) xd.add_boolean_term(filter_term("XS", doc.source));
    for (size_t i = 0; doc.topics && i < doc.ntopics; i++)
        if (doc.topics[i] && *doc.topics[i]) xd.add_boolean_term(filter_term("XT", doc.topics[i]));
    for (size_t i = 0; doc.places && i < doc.nplaces; i++)
        if (doc.places[i] && *doc.places[i]) xd.add_boolean_term(filter_term("XP", doc.places[i]));
    if (doc.source && *doc.source)
        xd.add_value(NEWSIDX_SLOT_SOURCE, filter_term("XS", doc.source).substr(2));
    std::string topics = list_value("XT", doc.topics, doc.ntopics);
    if (!topics.empty()) xd.add_value(NEWSIDX_SLOT_TOPICS, topics);
    std::string places = list_value("XP", doc.places, doc.nplaces);
    if (!places.empty()) xd.add_value(NEWSIDX_SLOT_PLACES, places);
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

/* A malloc'd copy for C, or NULL for an absent (empty) value. */
char *c_copy(const std::string &v)
{
    if (v.empty()) return nullptr;
    char *p = static_cast<char *>(malloc(v.size() + 1));
    if (!p) throw std::bad_alloc();
    memcpy(p, v.c_str(), v.size() + 1);
    return p;
}

unsigned index_format(const Xapian::Database &db, const std::string &where)
{
    std::string v = db.get_metadata(NEWSIDX_FORMAT_METADATA_KEY);
    if (v.empty()) return db.get_doccount() == 0 ? NEWSIDX_FORMAT : 1;
    if (v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos || v[0] == '0')
        throw ApiErrorMsg{NEWSIDX_CORRUPT, "the index at " + where + " records its format as '" +
                                               v + "' (" NEWSIDX_FORMAT_METADATA_KEY
                                               "), which is no format number"};
    return unsigned(std::stoul(v));
}

void check_format(const Xapian::Database &db, const std::string &where, bool older_too)
{
    unsigned f = index_format(db, where);
    if (f == NEWSIDX_FORMAT || (f < NEWSIDX_FORMAT && older_too)) return;
    std::string ours = std::to_string(NEWSIDX_FORMAT);
    if (f > NEWSIDX_FORMAT)
        throw ApiErrorMsg{NEWSIDX_OLD_FORMAT, "the index at " + where + " is in format " +
                                                  std::to_string(f) +
                                                  ", written by a newer newsd, and this newsd "
                                                  "reads format " + ours + ": upgrade newsd"};
    throw ApiErrorMsg{NEWSIDX_OLD_FORMAT, "the index at " + where + " is in format " +
                                              std::to_string(f) + " and this newsd reads format " +
                                              ours + ": run `newsindex --upgrade " + where +
                                              "`, or rebuild it with newsindex"};
}

}  // namespace shim
