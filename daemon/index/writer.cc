/*
 * writer.cc: writers: open (local; remote ones are in shards.cc), put, delete, copy
 * (each keeping near-duplicate clusters, dups.cc, outside bulk mode), commit and close,
 * and origins, the source file each document was read from, by which
 * an update deletes what a file no longer holds.
 *
 * Writers always run inside an unflushed transaction (begin_transaction(false)), bulk or
 * not: Xapian 1.4's WritableDatabase destructor commits pending changes unless a
 * transaction is active, so without one newsidx_writer_abandon could not discard them.
 * Inside a transaction glass still flushes its buffers every XAPIAN_FLUSH_THRESHOLD
 * documents (memory stays bounded); it only defers the commit.
 */
#include "private.hh"
#include "dups.hh"
#include "spelling.hh"

#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

using namespace shim;

namespace shim {

/* What every newly opened writer does: the indexing setup and the open transaction. */
void writer_start(newsidx_writer_t *w)
{
    w->tg.set_stemmer(Xapian::Stem("en"));
    w->tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    w->db.begin_transaction(false);
    w->in_txn = true;
    w->open = true;
}

void writer_format(newsidx_writer_t *w, const std::string &where, bool older_too)
{
    check_format(w->db, where, older_too);
    writer_start(w);
    if (w->db.get_doccount() == 0 && w->db.get_metadata(NEWSIDX_FORMAT_METADATA_KEY).empty())
        w->db.set_metadata(NEWSIDX_FORMAT_METADATA_KEY, std::to_string(NEWSIDX_FORMAT));
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

newsidx_writer_t *usable(newsidx_writer_t *w)
{
    if (!w->open) throw ApiError{NEWSIDX_BAD_ARGUMENT, "writer is not open"};
    return w;
}

namespace {

/* Ends the current transaction and commits it; the caller starts the next one. */
void commit_all(newsidx_writer_t *w)
{
    spelling_flush(w);
    if (w->in_txn) {
        w->in_txn = false;
        w->db.commit_transaction();
    }
    w->db.commit();
}

}  // namespace

}  // namespace shim

newsidx_status_t newsidx_writer_open(const char *path, int flags, newsidx_writer_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    newsidx_writer_t *w = nullptr;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        w = new newsidx_writer_t;
        if (!path || !*path) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no index path"};
        if (flags & ~(NEWSIDX_CREATE | NEWSIDX_OVERWRITE | NEWSIDX_BULK | NEWSIDX_UPGRADE |
                      NEWSIDX_PART))
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
        w->spelling = !(flags & NEWSIDX_PART);
        writer_format(w, path, (flags & NEWSIDX_UPGRADE) != 0);
    }
    NEWSIDX_CATCH(w ? &w->error : nullptr, st)
    return writer_opened(w, st, out);
}

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
        if (w->spelling) spelling_learn(w, xd);
        if (!w->origin.empty()) {
            xd.add_boolean_term(w->origin);
            if (!w->bulk) w->seen.insert(idterm);
        }
        if (w->bulk) {
            w->db.add_document(xd); /* the caller promised a new id: no lookup */
        } else {
            Xapian::PostingIterator old = w->db.postlist_begin(idterm);
            bool existed = old != w->db.postlist_end(idterm);
            Xapian::docid old_did = existed ? *old : 0;
            if (existed && w->spelling) spelling_forget(w, old_did);
            cluster_put(w, xd, idterm, old_did);
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
        Xapian::PostingIterator p = w->db.postlist_begin(term);
        if (p == w->db.postlist_end(term))
            throw ApiError{NEWSIDX_NOT_FOUND, "no document with that id"};
        if (w->spelling) spelling_forget(w, *p);
        cluster_delete(w, *p);
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
        Xapian::PostingIterator mine_it = d->db.postlist_begin(term);
        Xapian::docid mine = mine_it != d->db.postlist_end(term) ? *mine_it : 0;
        if (d->spelling && mine) spelling_forget(d, mine);
        if (found) {
            /* a Document read from one database and handed to another is copied whole */
            Xapian::Document doc = s->db.get_document(*it);
            if (d->spelling) spelling_learn(d, doc);
            /* its cluster is the one it joins in dst, not the one it had in src */
            put_cluster(doc, std::string());
            cluster_put(d, doc, term, mine);
            d->db.replace_document(term, doc);
        } else if (mine) {
            cluster_delete(d, mine);
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

/* Deletes the documents of w tagged term whose id term is not in keep (NULL: all). */
uint64_t delete_tagged(newsidx_writer_t *w, const std::string &term,
                       const std::unordered_set<std::string> *keep)
{
    Xapian::WritableDatabase &db = w->db;
    std::vector<Xapian::docid> doomed;
    for (Xapian::PostingIterator p = db.postlist_begin(term); p != db.postlist_end(term); ++p)
        if (!keep || !keep->count("Q" + doc_id(db, *p))) doomed.push_back(*p);
    for (Xapian::docid did : doomed) {
        if (w->spelling) spelling_forget(w, did);
        cluster_delete(w, did);
        db.delete_document(did);
    }
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
        uint64_t n = w->bulk ? 0 : delete_tagged(w, w->origin, &w->seen);
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
        uint64_t n = delete_tagged(w, origin_term(origin), nullptr);
        if (deleted) *deleted = n;
    }
    NEWSIDX_CATCH(&writer->error, st)
    return st;
}

