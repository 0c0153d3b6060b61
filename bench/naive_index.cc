/*
 * naive_index: the NAIVE baseline newsindex is measured against.  It is the loop a
 * newcomer writes from the Xapian documentation, with every default left alone:
 *
 *   - one thread, one WritableDatabase opened DB_CREATE_OR_OVERWRITE;
 *   - the default flush threshold (XAPIAN_FLUSH_THRESHOLD is unset before the database
 *     is constructed, so a value in the caller's environment cannot tune the baseline);
 *   - TermGenerator with Stem("en") and the default STEM_SOME;
 *   - title with prefix "S" and wdf increment 3, body unprefixed, both with positions;
 *   - a "Q"+id term, the body stored as document data;
 *   - replace_document("Q"+id) per record, one commit at the end.
 *
 * It reads the documents through the daemon's own readers (bench_corpus.h), so parsing
 * costs the same as in newsindex and only the indexing strategy differs.
 *
 *   naive_index DBDIR PATH...     prints "naive: docs=... seconds=..." on stdout
 */
#include <xapian.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "bench_corpus.h"

namespace {

struct Naive {
    Xapian::WritableDatabase db;
    Xapian::TermGenerator tg;
};

// The per-record body of the naive loop.
void index_doc(Naive *n, const newsidx_doc_t *doc)
{
    Xapian::Document xdoc;
    n->tg.set_document(xdoc);
    if (doc->title)
        n->tg.index_text(doc->title, 3, "S");
    if (doc->body) {
        n->tg.index_text(doc->body);
        xdoc.set_data(doc->body);
    }
    std::string idterm = std::string("Q") + doc->id;
    xdoc.add_boolean_term(idterm);
    n->db.replace_document(idterm, xdoc);
}

// The callback runs inside the C reader loop, which exceptions must not unwind through.
int index_one(void *ctx, const newsidx_doc_t *doc)
{
    if (!doc->id || !*doc->id)
        return 0;  // the readers always give an id; an empty one cannot be a Q term
    try {
        index_doc(static_cast<Naive *>(ctx), doc);
        return 0;
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "naive_index: %s: %s\n", doc->id, e.get_description().c_str());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "naive_index: %s: %s\n", doc->id, e.what());
    }
    return -1;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: naive_index DBDIR PATH...\n");
        return 2;
    }
    // Read by GlassWritableDatabase's constructor: unset it first so the baseline is
    // always Xapian's default (10000 documents).
    unsetenv("XAPIAN_FLUSH_THRESHOLD");
    try {
        double t0 = bench_now();
        Naive n{Xapian::WritableDatabase(argv[1], Xapian::DB_CREATE_OR_OVERWRITE),
                Xapian::TermGenerator()};
        n.tg.set_stemmer(Xapian::Stem("en"));
        bench_corpus_stats_t stats;
        if (bench_corpus_each(const_cast<const char *const *>(argv) + 2, argc - 2, index_one,
                              &n, &stats) != 0)
            return 1;
        n.db.commit();
        n.db.close();
        bench_corpus_report(stdout, "naive", &stats, bench_now() - t0);
        return stats.docs > 0 ? 0 : 1;
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "naive_index: %s\n", e.get_description().c_str());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "naive_index: %s\n", e.what());
    }
    return 1;
}
