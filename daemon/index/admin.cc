/*
 * admin.cc: what is kept beside the documents and what is done to whole indexes: the
 * metadata keys (read through a reader or a writer, written by a writer), and merge and
 * compaction into a new folder.
 */
#include "private.hh"

#include <sys/stat.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

using namespace shim;

/* ---- metadata ---- */

namespace {

void check_key(const char *key)
{
    if (!key || !*key) throw ApiError{NEWSIDX_BAD_ARGUMENT, "empty metadata key"};
    if (strlen(key) > NEWSD_MAX_METADATA_KEY_LEN)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "metadata key too long"};
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
        /* over shards, Xapian reads metadata from the first (newsd(8), "SHARDED INDEXES") */
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

/* ---- whole indexes ---- */

namespace {

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
