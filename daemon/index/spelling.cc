/*
 * spelling.cc: the spelling dictionary and "did you mean" (spelling.hh).  Every word is
 * Xapian's: the table is its spelling table (summed by compaction and merges, so a
 * build from parallel parts or shards keeps it whole), the words are the terms its
 * TermGenerator made, and the correction is its QueryParser's, which replaces only the words
 * it finds misspelt in the query string as typed, so quotes, field prefixes and
 * operators stay as they were.  Remote databases have no spelling table: a remote
 * writer keeps none and a reader with a remote shard suggests nothing (newsd(8)).
 */
#include "spelling.hh"

#include <string>
#include <vector>

#include "private.hh"

namespace shim {

namespace {

/* A word for the dictionary: a term the TermGenerator made without a prefix (prefixes
 * start with a capital), holding no digit: numbers, amounts and codes are a third of a
 * news corpus's distinct words, and a correction to another number helps nobody. */
bool spelling_word(const std::string &t)
{
    if (t.empty() || (t[0] >= 'A' && t[0] <= 'Z')) return false;
    for (char c : t)
        if (c >= '0' && c <= '9') return false;
    return true;
}

/* Runs of word characters and of the rest, in order: the pieces case is restored on. */
std::vector<std::string> runs(const std::string &s)
{
    std::vector<std::string> out;
    int kind = -1;
    for (Xapian::Utf8Iterator it(s); it != Xapian::Utf8Iterator(); ++it) {
        int k = Xapian::Unicode::is_wordchar(*it) ? 1 : 0;
        if (k != kind) out.emplace_back();
        kind = k;
        Xapian::Unicode::append_utf8(out.back(), *it);
    }
    return out;
}

/* word with the capitals of typed: all capitals when typed is all capitals (and longer
 * than one letter), else a capital first letter when typed starts with one. */
std::string recase(const std::string &word, const std::string &typed)
{
    bool first_upper = false, all_upper = true, first = true;
    size_t letters = 0;
    for (Xapian::Utf8Iterator it(typed); it != Xapian::Utf8Iterator(); ++it) {
        unsigned ch = *it;
        bool upper = Xapian::Unicode::tolower(ch) != ch;
        bool lower = Xapian::Unicode::toupper(ch) != ch;
        if (first) first_upper = upper;
        first = false;
        if (upper || lower) letters++;
        if (lower) all_upper = false;
    }
    std::string out;
    first = true;
    for (Xapian::Utf8Iterator it(word); it != Xapian::Utf8Iterator(); ++it) {
        unsigned ch = *it;
        if ((all_upper && letters > 1) || (first && first_upper)) ch = Xapian::Unicode::toupper(ch);
        first = false;
        Xapian::Unicode::append_utf8(out, ch);
    }
    return out;
}

/* corrected (Xapian's, lowercase words) with each replaced word cased as the word it
 * replaces in typed; corrected as it is when the two do not line up run for run. */
std::string restore_case(const std::string &typed, const std::string &corrected)
{
    std::vector<std::string> a = runs(typed), b = runs(corrected);
    if (a.size() != b.size()) return corrected;
    std::string out;
    for (size_t i = 0; i < a.size(); i++)
        out += a[i] == b[i] ? b[i] : recase(b[i], a[i]);
    return out;
}

/* Whether q, under the options o and the deadline d, matches at least `need` documents:
 * a match stopped once it has seen that many. */
bool matches_at_least(const Xapian::Database &db, const std::string &q,
                      const newsidx_search_opts_t &o, bool local, Deadline &d, uint64_t need)
{
    Xapian::Enquire enq(db);
    enq.set_query(deadline_query(db, q.c_str(), o, local, d));
    enq.set_weighting_scheme(Xapian::BoolWeight());
    Xapian::doccount check = need > db.get_doccount() ? db.get_doccount() : Xapian::doccount(need);
    Xapian::MSet m = enq.get_mset(0, 0, check);
    return !d.expired && m.get_matches_lower_bound() >= need;
}

}  // namespace

void spelling_learn(newsidx_writer_t *w, const Xapian::Document &doc)
{
    for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t)
        if (spelling_word(*t)) w->spelling_delta[*t] += t.get_wdf();
    if (w->spelling_delta.size() >= NEWSD_SPELLING_BATCH_WORDS) spelling_flush(w);
}

void spelling_forget(newsidx_writer_t *w, Xapian::docid did)
{
    for (Xapian::TermIterator t = w->db.termlist_begin(did); t != w->db.termlist_end(did); ++t)
        if (spelling_word(*t)) w->spelling_delta[*t] -= t.get_wdf();
    if (w->spelling_delta.size() >= NEWSD_SPELLING_BATCH_WORDS) spelling_flush(w);
}

void spelling_flush(newsidx_writer_t *w)
{
    for (const auto &d : w->spelling_delta) {
        if (d.second > 0)
            w->db.add_spelling(d.first, Xapian::termcount(d.second));
        else if (d.second < 0)
            w->db.remove_spelling(d.first, Xapian::termcount(-d.second));
    }
    w->spelling_delta.clear();
}

void spelling_collect(const Xapian::Database &db, const std::string &path)
{
    Xapian::WritableDatabase out(path, Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS |
                                           Xapian::DB_NO_SYNC);
    for (Xapian::TermIterator t = db.allterms_begin(); t != db.allterms_end(); ++t) {
        const std::string word = *t;
        if (spelling_word(word)) out.add_spelling(word, db.get_collection_freq(word));
    }
    out.commit();
    out.close();
}

void spelling_rebuild(Xapian::WritableDatabase &db)
{
    /* The table as it is, read before any change; both lists are in byte order. */
    std::vector<std::pair<std::string, Xapian::termcount>> had;
    for (Xapian::TermIterator s = db.spellings_begin(); s != db.spellings_end(); ++s)
        had.emplace_back(*s, s.get_termfreq());
    size_t k = 0;
    for (Xapian::TermIterator t = db.allterms_begin(); t != db.allterms_end(); ++t) {
        const std::string word = *t;
        if (!spelling_word(word)) continue;
        for (; k < had.size() && had[k].first < word; k++)
            db.remove_spelling(had[k].first, had[k].second);
        Xapian::termcount have = 0;
        if (k < had.size() && had[k].first == word) have = had[k++].second;
        Xapian::termcount want = db.get_collection_freq(word);
        if (want > have) db.add_spelling(word, want - have);
        else if (have > want) db.remove_spelling(word, have - want);
    }
    for (; k < had.size(); k++) db.remove_spelling(had[k].first, had[k].second);
}

std::string suggestion(const Xapian::Database &db, const char *query,
                       const newsidx_search_opts_t &o, uint64_t total, bool local, Deadline &d)
{
    if (total >= NEWSD_SUGGEST_FEW_MATCHES || !local) return std::string();
    Xapian::QueryParser qp;
    setup_query_parser(qp, db);
    qp.parse_query(query, QUERY_FLAGS | Xapian::QueryParser::FLAG_SPELLING_CORRECTION);
    std::string corrected = qp.get_corrected_query_string();
    if (corrected.empty() || corrected == query) return std::string();
    corrected = restore_case(query, corrected);
    /* The count has the search's deadline but not its verdict: a suggestion the time
     * left could not check is left out, and the search stands as it was. */
    Deadline mine = d;
    mine.expired = false;
    uint64_t need = total ? NEWSD_SUGGEST_GAIN * total : 1;
    try {
        if (!matches_at_least(db, corrected, o, local, mine, need)) return std::string();
    } catch (const ApiError &e) {
        if (e.status != NEWSIDX_BAD_QUERY) throw;
        return std::string();
    } catch (const ApiErrorMsg &e) {
        if (e.status != NEWSIDX_BAD_QUERY) throw;
        return std::string();
    } catch (const Xapian::QueryParserError &) {
        return std::string();
    }
    return corrected;
}

}  // namespace shim
