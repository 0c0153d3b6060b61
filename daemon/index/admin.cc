/*
 * admin.cc: what is kept beside the documents and what is done to whole indexes: the
 * metadata keys (read through a reader or a writer, written by a writer), merge and
 * compaction into a new folder (both keep the format key, as they keep all metadata), and
 * the upgrade of an index in an older format.
 */
#include "private.hh"
#include "spelling.hh"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
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
            Xapian::Database src(sources[i]);
            check_format(src, sources[i], false);
            all.add_database(src);
        }
        /* The dictionary of all the sources' words goes in as one more source without
         * documents, so the compaction writes its table as compactly as the rest.  It is
         * made beside the first source (a build's parts sit in its work folder, which a
         * killed run's cleanup removes). */
        std::string words = std::string(sources[0]) + ".words";
        std::filesystem::remove_all(words);
        spelling_collect(all, words);
        all.add_database(Xapian::Database(words));
        /* Renumbering compaction: docids become contiguous in source order. */
        all.compact(dest, Xapian::DBCOMPACT_MULTIPASS);
        all.close();
        std::filesystem::remove_all(words);
        Xapian::WritableDatabase w(dest, Xapian::DB_OPEN);
        uint64_t removed = remove_duplicates(w);
        if (removed) spelling_rebuild(w);
        w.commit();
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
        Xapian::Database db(src);
        check_format(db, src, false);
        db.compact(dest);
    }
    NEWSIDX_CATCH(&err, st)
    if (st != NEWSIDX_OK) copy_msg(err, msg, msglen);
    else copy_msg(std::string(), msg, msglen);
    return st;
}

namespace {

/* The XF (origin) terms of document did: the one part of a document its stored data
 * does not hold. */
std::vector<std::string> origin_terms(const Xapian::Database &db, Xapian::docid did)
{
    std::vector<std::string> out;
    Xapian::TermIterator t = db.termlist_begin(did);
    for (t.skip_to("XF"); t != db.termlist_end(did) && (*t).compare(0, 2, "XF") == 0; ++t)
        out.push_back(*t);
    return out;
}

/* Every document of w rebuilt from its stored data (make_document), under its own docid
 * and with its origin terms; returns how many. */
uint64_t rewrite_all(newsidx_writer_t *w)
{
    std::vector<Xapian::docid> dids;
    for (Xapian::PostingIterator p = w->db.postlist_begin(""); p != w->db.postlist_end(""); ++p)
        dids.push_back(*p);
    for (Xapian::docid did : dids) {
        StoredDoc d = decode(w->db.get_document(did).get_data());
        std::vector<const char *> topics, places;
        for (const std::string &t : d.topics) topics.push_back(t.c_str());
        for (const std::string &p : d.places) places.push_back(p.c_str());
        newsidx_doc_t doc;
        memset(&doc, 0, sizeof doc);
        doc.id = d.id.c_str();
        doc.title = d.title.c_str();
        doc.body = d.body.c_str();
        doc.source = d.source.c_str();
        doc.url = d.url.c_str();
        doc.date = d.date.empty() ? nullptr : d.date.c_str();
        doc.topics = topics.data();
        doc.ntopics = topics.size();
        doc.places = places.data();
        doc.nplaces = places.size();
        Xapian::Document xd = make_document(w->tg, doc, id_term(doc.id));
        for (const std::string &t : origin_terms(w->db, did)) xd.add_boolean_term(t);
        w->db.replace_document(did, xd);
    }
    return dids.size();
}

}  // namespace

newsidx_status_t newsidx_upgrade(const char *path, uint64_t *upgraded, char *msg, size_t msglen)
{
    newsidx_status_t st = NEWSIDX_OK;
    std::string err;
    newsidx_writer_t *w = nullptr;
    if (upgraded) *upgraded = 0;
    try {
        if (!path || !*path) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no index path"};
        st = newsidx_writer_open(path, NEWSIDX_UPGRADE, &w);
        if (st != NEWSIDX_OK) throw ApiErrorMsg{st, newsidx_writer_error(w)};
        uint64_t n = 0;
        /* One transaction (the writer's): readers see the old documents until the
         * commit of close, then the new ones with the format key. */
        if (index_format(w->db, path) != NEWSIDX_FORMAT) {
            n = rewrite_all(w);
            w->db.set_metadata(NEWSIDX_FORMAT_METADATA_KEY, std::to_string(NEWSIDX_FORMAT));
        }
        newsidx_writer_t *closing = w;
        w = nullptr;
        st = newsidx_writer_close(closing);
        if (st != NEWSIDX_OK) throw ApiErrorMsg{st, "committing the upgrade failed"};
        if (upgraded) *upgraded = n;
    }
    NEWSIDX_CATCH(&err, st)
    newsidx_writer_abandon(w);
    copy_msg(st == NEWSIDX_OK ? std::string() : err, msg, msglen);
    return st;
}
