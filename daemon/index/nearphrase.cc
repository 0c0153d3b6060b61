/*
 * nearphrase.cc: NEAR and ADJ between phrases (nearphrase.hh).
 *
 * Meaning.  An operand is a quoted phrase or a word; it occurs at a run of positions
 * (its words in order at consecutive positions, as the indexer numbered them).  `A NEAR/n
 * B` matches a document where an occurrence of A and one of B do not overlap and the one
 * that comes second starts at most n positions after the first one ends (at most n - 1
 * words between them); `A ADJ/n B` the same with A first.  n defaults to 10.  For two
 * words this is exactly Xapian's NEAR/n and ADJ/n (a window of n + 1), which is what the
 * parser builds when neither side is quoted.  As with words, the body and the title are
 * searched separately: both operands in the body, or both in the title.
 *
 * Matching.  Per field, the phrases' own Xapian query (both must occur, and they carry
 * the weight, so ranking is the phrases') filtered by NearSource, a posting source that
 * reads the two operands' positions in each candidate document.  It never leads the
 * match (it claims every document), so it is asked only about documents the phrases
 * already matched, under the deadline guard that query.cc puts on every phrase.  A
 * source of our own cannot travel to a remote shard (xapian-tcpsrv does not know it).
 */
#include "nearphrase.hh"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "private.hh"

namespace shim {

namespace {

/* The field our processor answers to: `newsdnearphrase:K` stands for expression K. */
const char NEAR_FIELD[] = "newsdnearphrase";

/* One expression: the operands' words (as the indexer makes terms of them), the
 * distance and whether the order matters. */
struct NearSpec {
    std::vector<std::string> a, b;
    std::string text;       /* as typed, for messages and descriptions */
    unsigned n;
    bool ordered;
};

/* The positions of words[0..k) as one run in document did (the start of each run), from
 * the documents' position lists. */
std::vector<Xapian::termpos> runs(const Xapian::Database &db, Xapian::docid did,
                                  const std::vector<std::string> &words)
{
    std::vector<std::vector<Xapian::termpos>> pos(words.size());
    for (size_t i = 0; i < words.size(); i++) {
        for (Xapian::PositionIterator p = db.positionlist_begin(did, words[i]);
             p != db.positionlist_end(did, words[i]); ++p)
            pos[i].push_back(*p);
        if (pos[i].empty()) return {};
    }
    std::vector<Xapian::termpos> out;
    for (Xapian::termpos s : pos[0]) {
        bool all = true;
        for (size_t i = 1; i < words.size() && all; i++)
            all = std::binary_search(pos[i].begin(), pos[i].end(), s + Xapian::termpos(i));
        if (all) out.push_back(s);
    }
    return out;
}

class NearSource : public Xapian::PostingSource {
  public:
    NearSource(std::vector<std::string> a, std::vector<std::string> b, unsigned n, bool ordered)
        : a_(std::move(a)), b_(std::move(b)), n_(n), ordered_(ordered)
    {
    }

    void init(const Xapian::Database &db) override
    {
        db_ = db;
        set_maxweight(0);
        /* Claiming every document keeps the matcher from leading with this source. */
        freq_ = db.get_doccount();
        lead_ = a_[0];
        for (const auto *side : {&a_, &b_})
            for (const std::string &t : *side)
                if (db.get_termfreq(t) < db.get_termfreq(lead_)) lead_ = t;
        it_ = db_.postlist_begin(lead_);
        cur_ = 0;
        ended_ = false;
    }
    Xapian::doccount get_termfreq_min() const override { return 0; }
    Xapian::doccount get_termfreq_est() const override { return freq_; }
    Xapian::doccount get_termfreq_max() const override { return freq_; }

    void next(double) override { advance(cur_ + 1); }
    void skip_to(Xapian::docid did, double) override
    {
        if (did > cur_) advance(did);
    }
    bool check(Xapian::docid did, double) override
    {
        if (did <= cur_) return true;
        cur_ = did;
        if (matches(did)) return true;
        return false; /* indeterminate: next() goes on after did */
    }
    bool at_end() const override { return ended_; }
    Xapian::docid get_docid() const override { return cur_; }
    NearSource *clone() const override { return new NearSource(a_, b_, n_, ordered_); }
    std::string get_description() const override
    {
        std::string s = std::string(ordered_ ? "ADJ/" : "NEAR/") + std::to_string(n_) + " (";
        for (size_t i = 0; i < a_.size(); i++) s += (i ? " " : "") + a_[i];
        s += ") (";
        for (size_t i = 0; i < b_.size(); i++) s += (i ? " " : "") + b_[i];
        return s + ")";
    }

  private:
    /* Moves to the first document from did on that matches (the lead term's postings). */
    void advance(Xapian::docid did)
    {
        it_.skip_to(did);
        while (it_ != db_.postlist_end(lead_) && !matches(*it_)) ++it_;
        ended_ = it_ == db_.postlist_end(lead_);
        if (!ended_) cur_ = *it_;
    }

    bool matches(Xapian::docid did) const
    {
        std::vector<Xapian::termpos> ra = runs(db_, did, a_);
        if (ra.empty()) return false;
        std::vector<Xapian::termpos> rb = runs(db_, did, b_);
        Xapian::termpos ka = Xapian::termpos(a_.size()), kb = Xapian::termpos(b_.size());
        for (Xapian::termpos s : ra) {
            Xapian::termpos aend = s + ka - 1;
            for (Xapian::termpos u : rb) {
                Xapian::termpos bend = u + kb - 1;
                if (u > aend && u - aend <= n_) return true;
                if (!ordered_ && s > bend && s - bend <= n_) return true;
            }
        }
        return false;
    }

    std::vector<std::string> a_, b_;
    unsigned n_;
    bool ordered_;
    Xapian::Database db_;
    std::string lead_;
    Xapian::PostingIterator it_;
    Xapian::docid cur_ = 0;
    bool ended_ = false;
    Xapian::doccount freq_ = 0;
};

/* The words of an operand as the indexer makes terms of them (the writer's
 * TermGenerator: lowercased, Xapian's word breaking), in order. */
std::vector<std::string> words_of(const std::string &text)
{
    Xapian::TermGenerator tg;
    Xapian::Document d;
    tg.set_document(d);
    tg.index_text(text);
    std::vector<std::pair<Xapian::termpos, std::string>> at;
    for (Xapian::TermIterator t = d.termlist_begin(); t != d.termlist_end(); ++t)
        for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p)
            at.emplace_back(*p, *t);
    std::sort(at.begin(), at.end());
    std::vector<std::string> out;
    for (const auto &w : at) out.push_back(w.second);
    return out;
}

std::vector<std::string> prefixed(const char *prefix, const std::vector<std::string> &w)
{
    std::vector<std::string> out;
    for (const std::string &t : w) out.push_back(prefix + t);
    return out;
}

Xapian::Query phrase(const std::vector<std::string> &w)
{
    if (w.size() == 1) return Xapian::Query(w[0]);
    return Xapian::Query(Xapian::Query::OP_PHRASE, w.begin(), w.end(), Xapian::termcount(w.size()));
}

/* The query of one expression, body or title. */
Xapian::Query build(const NearSpec &s)
{
    std::vector<Xapian::Query> fields;
    for (const char *prefix : {"", "S"}) {
        std::vector<std::string> a = prefixed(prefix, s.a), b = prefixed(prefix, s.b);
        if (a.size() == 1 && b.size() == 1) {
            /* two words: Xapian's own operator, the same meaning */
            std::vector<std::string> both{a[0], b[0]};
            fields.emplace_back(s.ordered ? Xapian::Query::OP_PHRASE : Xapian::Query::OP_NEAR,
                                both.begin(), both.end(), s.n + 1);
            continue;
        }
        Xapian::Query source((new NearSource(a, b, s.n, s.ordered))->release());
        fields.emplace_back(Xapian::Query::OP_FILTER,
                            Xapian::Query(Xapian::Query::OP_AND, phrase(a), phrase(b)), source);
    }
    return Xapian::Query(Xapian::Query::OP_OR, fields.begin(), fields.end());
}

class NearField : public Xapian::FieldProcessor {
  public:
    explicit NearField(std::shared_ptr<std::vector<NearSpec>> specs) : specs_(std::move(specs)) {}
    Xapian::Query operator()(const std::string &value) override
    {
        size_t k = value.find_first_not_of("0123456789") == std::string::npos && !value.empty() &&
                           value.size() < 6
                       ? size_t(std::stoul(value))
                       : specs_->size();
        if (k >= specs_->size())
            throw Xapian::QueryParserError(std::string("the field ") + NEAR_FIELD +
                                           ": is newsd's own");
        return build((*specs_)[k]);
    }

  private:
    std::shared_ptr<std::vector<NearSpec>> specs_;
};

[[noreturn]] void bad(size_t at, const std::string &what)
{
    throw ApiErrorMsg{NEWSIDX_BAD_QUERY, "at byte " + std::to_string(at + 1) + ": " + what};
}

struct Token {
    size_t start, end;  /* [start, end) in the query */
};

/* Tokens separated by blanks; a quote runs to the next quote (or the end), blanks and
 * all, as the parser reads a phrase. */
std::vector<Token> tokens(const std::string &q)
{
    std::vector<Token> out;
    size_t i = 0, n = q.size();
    while (i < n) {
        while (i < n && (q[i] == ' ' || q[i] == '\t')) i++;
        if (i == n) break;
        size_t start = i;
        while (i < n && q[i] != ' ' && q[i] != '\t') {
            if (q[i] == '"') {
                size_t close = q.find('"', i + 1);
                i = close == std::string::npos ? n : close + 1;
            } else {
                i++;
            }
        }
        out.push_back(Token{start, i});
    }
    return out;
}

/* A NEAR or ADJ operator, with its distance (10 when none is given). */
bool near_operator(const std::string &t, unsigned &n, bool &ordered, size_t at)
{
    size_t len;
    if (t.compare(0, 4, "NEAR") == 0) {
        len = 4;
        ordered = false;
    } else if (t.compare(0, 3, "ADJ") == 0) {
        len = 3;
        ordered = true;
    } else {
        return false;
    }
    if (t.size() == len) {
        n = NEWSD_DEFAULT_NEAR_DISTANCE;
        return true;
    }
    if (t[len] != '/' || t.size() == len + 1 ||
        t.find_first_not_of("0123456789", len + 1) != std::string::npos)
        return false;
    std::string digits = t.substr(len + 1);
    if (digits.size() > 9 || std::stoul(digits) < 1 || std::stoul(digits) > NEWSD_MAX_NEAR_DISTANCE)
        bad(at, t + ": the distance must be a number from 1 to " +
                    std::to_string(NEWSD_MAX_NEAR_DISTANCE));
    n = unsigned(std::stoul(digits));
    return true;
}

bool is_word(const std::string &s)
{
    if (s.empty()) return false;
    for (Xapian::Utf8Iterator it(s); it != Xapian::Utf8Iterator(); ++it)
        if (!Xapian::Unicode::is_wordchar(*it)) return false;
    return true;
}

/* The words of operand token t (brackets already taken off): a quoted phrase or a word;
 * anything else is no operand we can match exactly. */
std::vector<std::string> operand(const std::string &t, size_t at)
{
    bool quoted = t.size() >= 2 && t.front() == '"' && t.back() == '"';
    if (!quoted && !is_word(t))
        bad(at, "'" + t + "' next to a phrase with NEAR or ADJ: the operands must be quoted "
                "phrases or plain words (no field prefixes, +, -, wildcards or brackets)");
    std::vector<std::string> w = words_of(quoted ? t.substr(1, t.size() - 2) : t);
    if (w.empty()) bad(at, "'" + t + "' has no words to match");
    return w;
}

}  // namespace

Xapian::Query parse_with_near(Xapian::QueryParser &qp, const char *query, unsigned flags)
{
    std::string q(query);
    std::vector<Token> tok = tokens(q);
    auto text = [&q](const Token &t) { return q.substr(t.start, t.end - t.start); };
    auto specs = std::make_shared<std::vector<NearSpec>>();
    std::string out;
    size_t copied = 0;
    for (size_t i = 0; i < tok.size(); i++) {
        unsigned n;
        bool ordered;
        if (!near_operator(text(tok[i]), n, ordered, tok[i].start)) continue;
        bool left_quoted = i > 0 && q.find('"', tok[i - 1].start) < tok[i - 1].end;
        bool right_quoted = i + 1 < tok.size() && q.find('"', tok[i + 1].start) < tok[i + 1].end;
        if (!left_quoted && !right_quoted) continue; /* words: the parser's own NEAR */
        if (i == 0 || i + 1 == tok.size())
            bad(tok[i].start, text(tok[i]) + " needs an operand on each side");
        unsigned other_n;
        bool other_o;
        auto op_at = [&](size_t k) {
            return near_operator(text(tok[k]), other_n, other_o, tok[k].start);
        };
        if ((i >= 2 && op_at(i - 2)) || (i + 2 < tok.size() && op_at(i + 2)))
            bad(tok[i].start, "NEAR and ADJ with a phrase take exactly two operands (no chains)");
        /* Brackets may open before the left operand and close after the right one. */
        Token l = tok[i - 1], r = tok[i + 1];
        while (l.start < l.end && q[l.start] == '(') l.start++;
        while (r.end > r.start && q[r.end - 1] == ')') r.end--;
        NearSpec s;
        s.a = operand(text(l), l.start);
        s.b = operand(text(r), r.start);
        s.text = q.substr(l.start, r.end - l.start);
        s.n = n;
        s.ordered = ordered;
        out += q.substr(copied, l.start - copied);
        out += std::string(NEAR_FIELD) + ":" + std::to_string(specs->size());
        specs->push_back(std::move(s));
        copied = r.end;
        i++;
    }
    if (specs->empty()) return qp.parse_query(query, flags);
    out += q.substr(copied);
    qp.add_prefix(NEAR_FIELD, (new NearField(specs))->release());
    return qp.parse_query(out, flags);
}

}  // namespace shim
