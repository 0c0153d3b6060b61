/*
 * reader.cc: readers of one index (sharded ones are in shards.cc): open, reopen, and the
 * retry when a commit moves the index under a read; search, count and get, each one try
 * block whose handlers (NEWSIDX_CATCH, private.hh) turn any exception into a status; the
 * result sets copied out of Xapian before control returns to C.
 */
#include "private.hh"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "query.hh"

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

namespace {

/* Snippets (newsd(8), "SEARCH"): without SNIPPET_BACKGROUND_MODEL, which looks up a
 * term frequency for every word of the text, many times slower.  NEWSIDX_SNIPPET_FIRST
 * leaves out SNIPPET_EXHAUSTIVE, so Xapian stops reading the body once it has a window
 * with matches and has moved past it (Xapian's default; the window may be less dense
 * than the best one further on); NEWSIDX_SNIPPET_BEST reads the whole body for the best
 * window.  Without SNIPPET_EMPTY_WITHOUT_MATCH a hit matched only in its title gets the
 * start of the body. */
unsigned snippet_flags(int mode)
{
    return mode == NEWSIDX_SNIPPET_BEST ? unsigned(Xapian::MSet::SNIPPET_EXHAUSTIVE) : 0u;
}

const char *const SNIPPET_OMIT = "...";

/* Whether every database of r runs its match here (no remote shard is up). */
bool all_local(const newsidx_reader_t *r)
{
    for (size_t pos = 0; pos < r->up.size(); pos++)
        if (r->shards[r->up[pos]].remote) return false;
    return true;
}

void run_search(newsidx_reader_t *r, const char *query, const newsidx_search_opts_t &o,
                newsidx_results &res, Deadline &dl)
{
    Xapian::Database &db = r->db;
    const Xapian::Stem &stem = r->snippet_stem;
    Xapian::Enquire enq(db);
    enq.set_query(deadline_query(db, query, o, all_local(r), dl));
    if (o.sort == NEWSIDX_SORT_DATE)
        enq.set_sort_by_value_then_relevance(NEWSIDX_SLOT_TIME, true);
    else if (o.sort == NEWSIDX_SORT_DATE_ASC)
        enq.set_sort_by_value_then_relevance(NEWSIDX_SLOT_TIME, false);
    /* No Enquire::set_time_limit: Xapian 1.4 arms a POSIX timer whose SIGEV_THREAD
     * callback may still write its flag into the match's stack frame after the match
     * has returned (timer_delete does not wait for it), and the deadline guard ends the
     * match at that very moment.  Remote shards end at --shard-timeout instead. */
    /* At least one candidate is checked even for a count-only page (limit 0): with
     * check_at_least 0 Xapian may skip the match and estimate 0 matches. */
    Xapian::doccount check = o.exact_total ? db.get_doccount() : o.offset + o.limit;
    if (check == 0) check = 1;
    Xapian::MSet m = enq.get_mset(o.offset, o.limit, check);

    res.store.clear();
    res.hits.clear();
    res.total = m.get_matches_estimated();
    res.exact = m.get_matches_lower_bound() == m.get_matches_upper_bound();
    res.store.reserve(m.size());
    /* Hits in the document cache are not read; the others are read (remote shards' in
     * parallel), decoded and kept.  Each hit is finished before the next is kept, since
     * keeping one may evict another. */
    std::vector<char> want(m.size());
    size_t i = 0;
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i)
        want[i] = !r->docs.contains(*it);
    std::vector<std::string> data = page_data(r, m, want);
    i = 0;
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i) {
        /* Snippets of long bodies cost time too: past the deadline the page ends here. */
        if (o.snippets && Clock::now() >= dl.at) {
            dl.expired = true;
            break;
        }
        const StoredDoc *d = r->docs.find(*it);
        StoredDoc local;
        if (!d) {
            /* a miss, or (a cache smaller than a page) evicted by this page's own misses */
            local = decode(want[i] ? data[i] : it.get_document().get_data());
            d = r->docs.put(*it, std::move(local));
            if (!d) d = &local; /* over the whole capacity (or none): used once */
        }
        HitStrings h;
        h.rank = it.get_rank() + 1;
        h.score = it.get_weight();
        h.id = d->id;
        h.title = d->title;
        h.date = d->date;
        h.source = d->source;
        h.url = d->url;
        if (o.snippets)
            h.snippet = m.snippet(d->body, o.snippet_len ? o.snippet_len : NEWSD_DEFAULT_SNIPPET_LEN,
                                  stem, snippet_flags(o.snippets), o.hi_start ? o.hi_start : "<b>",
                                  o.hi_end ? o.hi_end : "</b>", SNIPPET_OMIT);
        res.store.push_back(std::move(h));
    }
}

void check_page(const newsidx_search_opts_t &o)
{
    if (o.offset > NEWSD_MAX_OFFSET)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "offset must be a number from 0 to " +
                                                    std::to_string(NEWSD_MAX_OFFSET)};
    if (o.limit > NEWSD_MAX_LIMIT)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "limit must be a number from 0 to " +
                                                    std::to_string(NEWSD_MAX_LIMIT)};
    if (o.snippet_len > NEWSD_MAX_SNIPPET_LEN)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "snippet length too large"};
    if (o.snippets < NEWSIDX_SNIPPET_NONE || o.snippets > NEWSIDX_SNIPPET_BEST)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "unknown snippet mode"};
    if (o.sort != NEWSIDX_SORT_RANK && o.sort != NEWSIDX_SORT_DATE && o.sort != NEWSIDX_SORT_DATE_ASC)
        throw ApiError{NEWSIDX_BAD_ARGUMENT, "unknown sort order"};
}

}  // namespace

newsidx_status_t newsidx_search(newsidx_reader_t *reader, const char *query,
                                const newsidx_search_opts_t *opts, newsidx_results_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    if (!reader) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    newsidx_results_t *res = nullptr;
    try {
        newsidx_reader_t *r = usable(reader);
        newsidx_search_opts_t o;
        newsidx_search_opts_init(&o);
        if (opts) o = *opts;
        check_page(o);
        res = new newsidx_results_t;
        Deadline dl = deadline_of(o);
        sharded(r, o.partial != 0, [&] { run_search(r, query, o, *res, dl); });
        res->missing = r->missing;
        /* A search cut by its deadline (here, or by the time limit on a remote shard)
         * is reported as timed out, with what it found. */
        if (dl.expired || (o.timeout_ms && Clock::now() >= dl.at)) {
            st = NEWSIDX_TIMEOUT;
            reader->error = "the search ran past its time limit of " +
                            std::to_string(o.timeout_ms) + " ms; results are partial";
        }
        res->hits.reserve(res->store.size());
        for (const HitStrings &h : res->store) {
            newsidx_hit_t hit;
            hit.rank = h.rank;
            hit.score = h.score;
            hit.id = h.id.c_str();
            hit.title = h.title.c_str();
            hit.date = h.date.c_str();
            hit.source = h.source.c_str();
            hit.url = h.url.c_str();
            hit.snippet = h.snippet.c_str();
            res->hits.push_back(hit);
        }
        *out = res;
        res = nullptr;
    }
    NEWSIDX_CATCH(&reader->error, st)
    delete res;
    return st;
}

uint64_t newsidx_results_total(const newsidx_results_t *results)
{
    return results ? results->total : 0;
}

int newsidx_results_total_exact(const newsidx_results_t *results)
{
    return results ? results->exact : 0;
}

size_t newsidx_results_count(const newsidx_results_t *results)
{
    return results ? results->hits.size() : 0;
}

const newsidx_hit_t *newsidx_results_hit(const newsidx_results_t *results, size_t i)
{
    return results && i < results->hits.size() ? &results->hits[i] : nullptr;
}

void newsidx_results_destroy(newsidx_results_t *results)
{
    delete results;
}

newsidx_status_t newsidx_count(newsidx_reader_t *reader, const char *query,
                               const newsidx_search_opts_t *opts, uint64_t *count)
{
    if (!reader || !count) return NEWSIDX_BAD_ARGUMENT;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        newsidx_reader_t *r = usable(reader);
        newsidx_search_opts_t o;
        newsidx_search_opts_init(&o);
        if (opts) o = *opts;
        /* The count is exact or an error: check_at_least = doccount makes the matcher
         * see every candidate, so the estimate is the exact count, unless the deadline
         * cut the match, which is NEWSIDX_TIMEOUT and no number. */
        Deadline dl = deadline_of(o);
        uint64_t n = 0;
        sharded(r, o.partial != 0, [&] {
            Xapian::Database &db = r->db;
            Xapian::Enquire enq(db);
            enq.set_query(deadline_query(db, query, o, all_local(r), dl));
            enq.set_weighting_scheme(Xapian::BoolWeight());
            Xapian::MSet m = enq.get_mset(0, 0, db.get_doccount());
            n = m.get_matches_estimated();
        });
        if (dl.expired || (o.timeout_ms && Clock::now() >= dl.at))
            throw ApiErrorMsg{NEWSIDX_TIMEOUT, "the count ran past its time limit of " +
                              std::to_string(o.timeout_ms) + " ms"};
        *count = n;
    }
    NEWSIDX_CATCH(&reader->error, st)
    return st;
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
