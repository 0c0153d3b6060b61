/*
 * reader.cc: readers of one index (sharded ones are in shards.cc): open, reopen, and the
 * retry when a commit moves the index under a read, and get (search and count are in
 * search.cc), each one try block whose handlers (NEWSIDX_CATCH, private.hh) turn any
 * exception into a status.
 */
#include "private.hh"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace shim;

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

namespace shim {

newsidx_status_t reader_opened(newsidx_reader_t *r, newsidx_status_t st, newsidx_reader_t **out)
{
    if (st == NEWSIDX_NO_MEMORY) {
        delete r;
        return st;
    }
    *out = r;
    return st;
}

newsidx_reader_t *usable(newsidx_reader_t *r)
{
    if (!r->open) throw ApiError{NEWSIDX_BAD_ARGUMENT, "reader is not open"};
    return r;
}

/* A writer's commit can overwrite the blocks of the revision a reader is reading (glass
 * keeps two), and Xapian then throws DatabaseModifiedError; the reader moves to the
 * latest revision (emptying the document cache) and runs f again.  Commits in quick
 * succession can do that again: after NEWSD_MODIFIED_RETRIES reopens, one more reaches
 * the caller's handlers as NEWSIDX_MODIFIED. */
void with_retry(newsidx_reader_t *r, const std::function<void()> &f)
{
    for (unsigned retries = 0;; retries++) {
        try {
            f();
            return;
        } catch (const Xapian::DatabaseModifiedError &) {
            if (retries >= NEWSD_MODIFIED_RETRIES) throw;
            r->docs.clear();
            r->db.reopen();
        }
    }
}

}  // namespace shim

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
        check_format(r->db, path, false);
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
