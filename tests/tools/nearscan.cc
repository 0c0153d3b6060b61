/*
 * nearscan.cc: the brute-force side of test_understand.sh's NEAR and ADJ test.  It reads
 * a corpus with the daemon's own walker and readers, cuts every title and body into its
 * sequence of words with Xapian's TermGenerator (as the indexer does), and counts, per
 * query, the articles whose title or body holds the two operands within the distance,
 * by looking at every place in the sequence where each operand starts and at every pair
 * of them: no index, no posting list, no position list.  Meaning (newsd(8), QUERY
 * SYNTAX): the operands do not overlap and the second to come starts at most N words
 * after the first ends; ADJ wants A first.
 *
 *   nearscan QUERIES PATH...   QUERIES has lines "NEAR|ADJ N A WORDS|B WORDS"; prints
 *                              "docs=D" then one "COUNT<TAB>LINE" per query.
 * An article read twice (the same id) counts as its last record, as newsindex keeps it.
 */
#include <xapian.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include "ingest.h"
}

namespace {

struct Query {
    std::string line;
    bool ordered;
    size_t n;
    std::vector<std::string> a, b;
};

/* The words of text in order, as the TermGenerator numbers them (one slot per
 * position; a position without a word is ""). */
std::vector<std::string> words(const char *text)
{
    std::vector<std::string> seq;
    if (!text) return seq;
    Xapian::TermGenerator tg;
    tg.set_stemmer(Xapian::Stem("en"));
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    Xapian::Document d;
    tg.set_document(d);
    tg.index_text(text);
    for (Xapian::TermIterator t = d.termlist_begin(); t != d.termlist_end(); ++t) {
        if ((*t)[0] >= 'A' && (*t)[0] <= 'Z') continue; /* stems */
        for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p) {
            if (seq.size() <= *p) seq.resize(*p + 1);
            seq[*p] = *t;
        }
    }
    return seq;
}

bool at(const std::vector<std::string> &seq, size_t i, const std::vector<std::string> &w)
{
    if (i + w.size() > seq.size()) return false;
    for (size_t k = 0; k < w.size(); k++)
        if (seq[i + k] != w[k]) return false;
    return true;
}

bool holds(const std::vector<std::string> &seq, const Query &q)
{
    std::vector<size_t> as, bs;
    for (size_t i = 0; i < seq.size(); i++) {
        if (at(seq, i, q.a)) as.push_back(i);
        if (at(seq, i, q.b)) bs.push_back(i);
    }
    for (size_t i : as) {
        size_t aend = i + q.a.size() - 1;
        for (size_t j : bs) {
            size_t bend = j + q.b.size() - 1;
            if (j > aend && j - aend <= q.n) return true;
            if (!q.ordered && i > bend && i - bend <= q.n) return true;
        }
    }
    return false;
}

std::vector<std::string> split_words(const std::string &s)
{
    std::vector<std::string> seq = words(s.c_str()), out;
    for (const std::string &w : seq)
        if (!w.empty()) out.push_back(w);
    return out;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: nearscan QUERIES PATH...\n");
        return 2;
    }
    std::vector<Query> queries;
    std::ifstream in(argv[1]);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        Query q;
        q.line = line;
        char op[8];
        int used = 0;
        if (std::sscanf(line.c_str(), "%7s %zu %n", op, &q.n, &used) != 2 || used == 0) {
            std::fprintf(stderr, "nearscan: bad line: %s\n", line.c_str());
            return 2;
        }
        q.ordered = std::strcmp(op, "ADJ") == 0;
        std::string rest = line.substr(size_t(used));
        size_t bar = rest.find('|');
        if (bar == std::string::npos) {
            std::fprintf(stderr, "nearscan: no '|' in: %s\n", line.c_str());
            return 2;
        }
        q.a = split_words(rest.substr(0, bar));
        q.b = split_words(rest.substr(bar + 1));
        queries.push_back(q);
    }
    ingest_filelist_t list;
    std::memset(&list, 0, sizeof list);
    unsigned errors = 0;
    if (ingest_walk(const_cast<const char *const *>(argv + 2), size_t(argc - 2), nullptr, nullptr,
                    &list, nullptr, nullptr, &errors) != 0 || errors) {
        std::fprintf(stderr, "nearscan: cannot walk the corpus\n");
        return 1;
    }
    std::map<std::string, std::vector<char>> found; /* id -> per query */
    for (size_t f = 0; f < list.n; f++) {
        char err[512];
        ingest_source_t src;
        std::memset(&src, 0, sizeof src);
        src.path = list.files[f].path;
        src.id = list.files[f].id;
        src.format = INGEST_AUTO;
        ingest_reader_t *r = ingest_open(&src, err, sizeof err);
        if (!r) {
            std::fprintf(stderr, "nearscan: %s\n", err);
            return 1;
        }
        for (;;) {
            newsidx_doc_t doc;
            std::memset(&doc, 0, sizeof doc);
            ingest_result_t res = ingest_next(r, &doc);
            if (res == INGEST_EOF) break;
            if (res == INGEST_SKIP) continue;
            if (res == INGEST_FAIL) {
                std::fprintf(stderr, "nearscan: %s\n", ingest_error(r));
                return 1;
            }
            std::vector<std::string> title = words(doc.title), body = words(doc.body);
            std::vector<char> &hit = found[doc.id];
            hit.assign(queries.size(), 0);
            for (size_t k = 0; k < queries.size(); k++)
                hit[k] = holds(body, queries[k]) || holds(title, queries[k]);
        }
        ingest_close(r);
    }
    ingest_filelist_free(&list);
    std::printf("docs=%zu\n", found.size());
    for (size_t k = 0; k < queries.size(); k++) {
        size_t n = 0;
        for (const auto &d : found) n += d.second[k];
        std::printf("%zu\t%s\n", n, queries[k].line.c_str());
    }
    return 0;
}
