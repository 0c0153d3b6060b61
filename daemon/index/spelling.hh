/*
 * spelling.hh: the index's spelling dictionary (spelling.cc): Xapian's spelling table,
 * which a writer keeps as it writes (every body word counted once per occurrence, as
 * TermGenerator's FLAG_SPELLING would; a deleted or replaced document's words are taken
 * out again), and
 * the "did you mean" of a search that found little, from Xapian's QueryParser spelling
 * correction (newsidx.h, "Did you mean").
 */
#ifndef NEWSIDX_SPELLING_HH
#define NEWSIDX_SPELLING_HH

#include "newsidx.h"

#include <xapian.h>

#include <cstdint>
#include <string>

#include "private.hh"
#include "query.hh"

#pragma GCC visibility push(hidden)

namespace shim {

/* Counts the body words of doc (its unprefixed terms without a digit, each wdf times)
 * into w's spelling table, as a document is added. */
void spelling_learn(newsidx_writer_t *w, const Xapian::Document &doc);

/* Takes the body words of w's document did out of the spelling table, before it is
 * deleted or replaced. */
void spelling_forget(newsidx_writer_t *w, Xapian::docid did);

/* Writes the changes learn and forget collected into the table (they are summed per
 * word first: one Xapian call per word and batch instead of one per word and document);
 * before every commit, and whenever NEWSD_SPELLING_BATCH_WORDS words are waiting. */
void spelling_flush(newsidx_writer_t *w);

/* Writes a new index at path without documents whose spelling table holds the collection
 * frequency of each dictionary word of db: the dictionary of db's documents. */
void spelling_collect(const Xapian::Database &db, const std::string &path);

/* Makes db's spelling table hold exactly the collection frequency of each dictionary
 * word of db (what learn and forget would have counted for its documents), adding and
 * removing what differs; the caller commits.  For a merged index. */
void spelling_rebuild(Xapian::WritableDatabase &db);

/*
 * The "did you mean" of query, which matched `total` documents under the options o: ""
 * unless total is below NEWSD_SUGGEST_FEW_MATCHES, Xapian's parser corrects some word
 * (FLAG_SPELLING_CORRECTION: words only, quotes, prefixes and operators kept), and the
 * corrected query, with the same filters and under the same deadline, matches at least
 * NEWSD_SUGGEST_GAIN times as many documents (at least one when the query matched
 * none).  A corrected word keeps the capitals of the word it replaces.
 */
std::string suggestion(const Xapian::Database &db, const char *query,
                       const newsidx_search_opts_t &o, uint64_t total, bool local, Deadline &d);

}  // namespace shim

#pragma GCC visibility pop

#endif
