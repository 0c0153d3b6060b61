/*
 * shards.cc: sharded readers (newsidx_reader_open_shards): the shard specs expanded
 * (folders, stub files, tcp:HOST:PORT), each shard's own connection, a shard that fails
 * marked down, reconnected later and, with partial, left out of the answer; a page's
 * stored documents read from the remote shards in parallel; remote writers; and the
 * routing of an id to its shard.
 */
#include "private.hh"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <system_error>
#include <thread>
#include <utility>

using namespace shim;

namespace shim {

namespace {

unsigned shard_timeout(unsigned ms)
{
    return ms ? ms : NEWSD_DEFAULT_SHARD_TIMEOUT_MS;
}

/* "HOST:PORT" (HOST a name, an IPv4 address or [IPv6]) into host (brackets stripped)
 * and port; where says what to blame in the message. */
void split_host_port(const std::string &hp, const std::string &where, std::string &host,
                     unsigned &port)
{
    size_t colon = hp.rfind(':');
    std::string h = colon == std::string::npos ? std::string() : hp.substr(0, colon);
    std::string p = colon == std::string::npos ? std::string() : hp.substr(colon + 1);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    else if (h.find(':') != std::string::npos) h.clear(); /* a bare IPv6 address is ambiguous */
    unsigned long n = 0;
    bool ok = !h.empty() && !p.empty() && p.size() <= 5 &&
              p.find_first_not_of("0123456789") == std::string::npos;
    if (ok) n = std::stoul(p);
    if (!ok || n < 1 || n > 65535)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                          where + ": want HOST:PORT (IPv6 in brackets, port 1 to 65535), not '" +
                              hp + "'"};
    host = h;
    port = static_cast<unsigned>(n);
}

/* The canonical spec of a remote shard: "tcp:HOST:PORT". */
std::string tcp_spec(const std::string &hp, const std::string &where)
{
    std::string host;
    unsigned port;
    split_host_port(hp, where, host, port);
    bool v6 = host.find(':') != std::string::npos;
    return "tcp:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_dir(const std::string &p)
{
    struct stat sb;
    return stat(p.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool is_file(const std::string &p)
{
    struct stat sb;
    return stat(p.c_str(), &sb) == 0 && S_ISREG(sb.st_mode);
}

void add_shard(std::vector<std::string> &out, std::string spec)
{
    if (out.size() >= NEWSD_MAX_SHARDS)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                          "more than " + std::to_string(NEWSD_MAX_SHARDS) + " shards"};
    out.push_back(std::move(spec));
}

/* A stub database file's shards, in file order (the format Xapian's stub backend reads,
 * minus what newsd will not do: run programs, open other backends). */
void expand_stub(const std::string &file, std::vector<std::string> &out)
{
    FILE *f = fopen(file.c_str(), "rb");
    if (!f)
        throw ApiErrorMsg{errno == ENOENT ? NEWSIDX_NO_INDEX : NEWSIDX_IO,
                          "cannot read the stub file " + file + ": " + strerror(errno)};
    std::string text(NEWSD_MAX_STUB_BYTES + 1, '\0');
    size_t got = fread(&text[0], 1, text.size(), f);
    bool err = ferror(f);
    fclose(f);
    if (err) throw ApiErrorMsg{NEWSIDX_IO, "cannot read the stub file " + file};
    if (got > NEWSD_MAX_STUB_BYTES)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "stub file " + file + " is larger than " +
                                                    std::to_string(NEWSD_MAX_STUB_BYTES) +
                                                    " bytes"};
    text.resize(got);
    if (text.find('\0') != std::string::npos)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, file + " is not a stub file (it holds NUL bytes)"};
    size_t slash = file.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
    size_t before = out.size(), pos = 0;
    for (unsigned lineno = 1; pos < text.size(); lineno++) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        const char *ws = " \t\r";
        size_t a = line.find_first_not_of(ws);
        if (a == std::string::npos || line[a] == '#') continue;
        line = line.substr(a, line.find_last_not_of(ws) - a + 1);
        size_t sp = line.find_first_of(" \t");
        std::string word = line.substr(0, sp);
        std::string rest = sp == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", sp));
        std::string where = "stub file " + file + " line " + std::to_string(lineno);
        if (word == "glass" || word == "auto") {
            if (rest.empty()) throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, where + ": no path after " + word};
            std::string path = rest[0] == '/' ? rest : dir + "/" + rest;
            if (!is_dir(path))
                throw ApiErrorMsg{NEWSIDX_NO_INDEX, where + ": no index folder at " + path};
            add_shard(out, path);
        } else if (word == "remote") {
            if (!rest.empty() && rest[0] == ':')
                throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                                  where + ": 'remote :PROGRAM' runs a program, which newsd "
                                          "does not do; serve the shard with xapian-tcpsrv "
                                          "and write 'remote HOST:PORT'"};
            add_shard(out, tcp_spec(rest, where));
        } else {
            throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT,
                              where + ": '" + word + "' is not supported (glass PATH, auto "
                                      "PATH or remote HOST:PORT)"};
        }
    }
    if (out.size() == before)
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "stub file " + file + " lists no shards"};
}

void expand_spec(const std::string &spec, std::vector<std::string> &out)
{
    if (spec.empty()) throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, "empty shard spec"};
    if (spec.compare(0, 4, "tcp:") == 0) {
        add_shard(out, tcp_spec(spec.substr(4), "shard '" + spec + "'"));
        return;
    }
    struct stat sb;
    if (stat(spec.c_str(), &sb) != 0)
        throw ApiErrorMsg{NEWSIDX_NO_INDEX, "no index at " + spec + " (want a folder, a stub "
                                            "file or tcp:HOST:PORT)"};
    if (S_ISREG(sb.st_mode)) {
        expand_stub(spec, out);
    } else if (S_ISDIR(sb.st_mode)) {
        /* newsindex --shards writes shard folders and shards.stub into one folder */
        if (!is_file(spec + "/iamglass") && is_file(spec + "/shards.stub"))
            expand_stub(spec + "/shards.stub", out);
        else
            add_shard(out, spec);
    } else {
        throw ApiErrorMsg{NEWSIDX_BAD_ARGUMENT, spec + " is neither a folder nor a stub file"};
    }
}

std::vector<std::string> expand_specs(const char *const *specs, size_t n)
{
    if (!specs || n == 0) throw ApiError{NEWSIDX_BAD_ARGUMENT, "no shards"};
    std::vector<std::string> out;
    for (size_t i = 0; i < n; i++) {
        if (!specs[i]) throw ApiError{NEWSIDX_BAD_ARGUMENT, "NULL shard spec"};
        expand_spec(specs[i], out);
    }
    return out;
}

void open_shard(Shard &s, unsigned timeout_ms)
{
    if (s.remote)
        s.db = Xapian::Remote::open(s.host, s.port, timeout_ms,
                                    std::min<unsigned>(timeout_ms, NEWSD_SHARD_CONNECT_TIMEOUT_MS));
    else
        s.db = Xapian::Database(s.name, Xapian::DB_BACKEND_GLASS);
    check_format(s.db, s.name, false);
    s.up = true;
    s.error.clear();
}

void mark_down(Shard &s, const std::string &why)
{
    s.up = false;
    s.db = Xapian::Database(); /* drops the connection (once the combined one lets go) */
    s.error = why;
    s.next_try = Clock::now() + std::chrono::milliseconds(NEWSD_SHARD_RETRY_MS);
}

/* Connects a shard that is down; on failure it stays down until NEWSD_SHARD_RETRY_MS. */
bool try_connect(newsidx_reader_t *r, Shard &s)
{
    try {
        open_shard(s, r->timeout_ms);
        return true;
    } catch (const Xapian::Error &e) {
        mark_down(s, describe(e));
        return false;
    }
}

/* The combined database of the shards that are up, in shard order. */
void rebuild(newsidx_reader_t *r)
{
    Xapian::Database all;
    r->up.clear();
    for (size_t k = 0; k < r->shards.size(); k++)
        if (r->shards[k].up) {
            all.add_database(r->shards[k].db);
            r->up.push_back(k);
        }
    r->db = all;
    r->docs.clear(); /* docids of the combined database follow the shards that are up */
}

/* Before a call: reconnects the shards that are down and due, then fails fast when one
 * is still down (unless partial and some are up).  Fills r->missing. */
void prepare(newsidx_reader_t *r, bool partial)
{
    Clock::time_point now = Clock::now();
    bool changed = false;
    for (Shard &s : r->shards)
        if (!s.up && now >= s.next_try && try_connect(r, s)) changed = true;
    if (changed) rebuild(r);
    r->missing.clear();
    size_t first_down = r->shards.size();
    for (size_t k = 0; k < r->shards.size(); k++)
        if (!r->shards[k].up) {
            if (first_down == r->shards.size()) first_down = k;
            r->missing.push_back(r->shards[k].name);
        }
    if (first_down < r->shards.size() && (!partial || r->missing.size() == r->shards.size()))
        shard_down(r, first_down);
}

/* Which shards a NetworkError came from: the one its context names
 * ("remote:tcp(HOST:PORT)"), else every remote shard that does not answer a keep-alive.
 * Marks them down, then tries each once more at once (a shard restarted since the last
 * call is back without a failed call).  Returns them. */
std::vector<size_t> blame(newsidx_reader_t *r, const Xapian::NetworkError &e)
{
    std::vector<size_t> culprits;
    const std::string &ctx = e.get_context();
    for (size_t k = 0; k < r->shards.size(); k++) {
        Shard &s = r->shards[k];
        if (s.remote && s.up &&
            ctx.find("tcp(" + s.host + ":" + std::to_string(s.port) + ")") != std::string::npos) {
            mark_down(s, describe(e));
            culprits.push_back(k);
        }
    }
    if (culprits.empty())
        for (size_t k = 0; k < r->shards.size(); k++) {
            Shard &s = r->shards[k];
            if (!s.remote || !s.up) continue;
            try {
                s.db.keep_alive();
            } catch (const Xapian::Error &pe) {
                mark_down(s, describe(pe));
                culprits.push_back(k);
            }
        }
    rebuild(r); /* lets go of the dead connections before reconnecting */
    bool back = false;
    for (size_t k : culprits)
        if (try_connect(r, r->shards[k])) back = true;
    if (back) rebuild(r);
    return culprits;
}

}  // namespace

[[noreturn]] void shard_down(newsidx_reader_t *r, size_t k)
{
    const Shard &s = r->shards[k];
    r->failed_shard = s.name;
    throw ApiErrorMsg{NEWSIDX_SHARD_UNAVAILABLE,
                      s.name + " (shard " + std::to_string(k) + " of " +
                          std::to_string(r->shards.size()) + ", numbered from 0) is unavailable: " +
                          (s.error.empty() ? std::string("down") : s.error)};
}

/* A plain reader: f under with_retry.  A sharded one: see newsidx_reader_open_shards; f
 * runs again after a shard failed (and was reconnected, or, with partial, left out). */
void sharded(newsidx_reader_t *r, bool partial, const std::function<void()> &f)
{
    r->failed_shard.clear();
    r->missing.clear();
    if (r->shards.empty()) {
        with_retry(r, f);
        return;
    }
    for (size_t attempt = 0;; attempt++) {
        prepare(r, partial);
        try {
            with_retry(r, f);
            return;
        } catch (const Xapian::NetworkError &e) {
            std::vector<size_t> culprits = blame(r, e);
            if (culprits.empty() || attempt >= r->shards.size()) throw;
            size_t still_down = r->shards.size();
            for (size_t k : culprits)
                if (!r->shards[k].up && still_down == r->shards.size()) still_down = k;
            if (still_down < r->shards.size() && !partial) shard_down(r, still_down);
        }
    }
}

size_t first_missing(const newsidx_reader_t *r)
{
    for (size_t k = 0; k < r->shards.size(); k++)
        if (!r->shards[k].up) return k;
    return 0;
}

/* Moves every shard that is up to its latest revision; one that fails is marked down
 * and reconnected at once (a restarted xapian-tcpsrv), and the shards that are down and
 * due are tried.  Never fails for a shard: the next call reports it.  Returns whether
 * anything may have changed. */
bool reopen_shards(newsidx_reader_t *r)
{
    bool moved = false, set_changed = false;
    Clock::time_point now = Clock::now();
    for (Shard &s : r->shards) {
        if (!s.up) {
            if (now >= s.next_try && try_connect(r, s)) set_changed = true;
            continue;
        }
        try {
            if (s.db.reopen()) moved = true;
        } catch (const Xapian::NetworkError &e) {
            mark_down(s, describe(e));
            rebuild(r);
            try_connect(r, s);
            set_changed = true;
        }
    }
    if (set_changed) rebuild(r);
    return moved || set_changed;
}

/*
 * The stored data of the hits of m that `want` marks, in page order ("" for the others).
 * Xapian 1.4's remote backend fetches
 * a document in one round trip of its own, and MSet::fetch() does not pipeline them
 * (RemoteDatabase has no request_document before 1.5), so a page of ten hits costs ten
 * round trips in a row.  Each shard's connection is independent, though: the hits are
 * grouped by shard (a combined database numbers shard j's document d as
 * (d - 1) * n + j + 1) and each remote shard's group is read by a thread of its own,
 * so the page costs as many round trips as the busiest shard holds hits
 * (bench/RESULTS-shards.md has the figures).  Local shards and plain readers read in line.
 * Building with -DNEWSIDX_SERIAL_FETCH reads everything in line, to measure it.
 */
std::vector<std::string> page_data(newsidx_reader_t *r, const Xapian::MSet &m,
                                   const std::vector<char> &want)
{
    std::vector<std::string> out(m.size());
    size_t nup = r->up.size(), remote = 0;
    for (size_t pos = 0; pos < nup; pos++) remote += r->shards[r->up[pos]].remote;
#ifdef NEWSIDX_SERIAL_FETCH
    remote = 0;
#endif
    size_t wanted = static_cast<size_t>(std::count(want.begin(), want.end(), 1));
    if (remote < 2 || wanted < 2) {
        size_t i = 0;
        for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i)
            if (want[i]) out[i] = it.get_document().get_data();
        return out;
    }
    std::vector<std::vector<std::pair<size_t, Xapian::docid>>> groups(nup);
    size_t i = 0;
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++i)
        if (want[i]) groups[(*it - 1) % nup].emplace_back(i, (*it - 1) / nup + 1);
    std::vector<std::exception_ptr> errors(nup);
    std::vector<std::thread> threads;
    threads.reserve(nup);
    for (size_t pos = 0; pos < nup; pos++) {
        if (groups[pos].empty()) continue;
        Shard &s = r->shards[r->up[pos]];
        auto work = [&out, &errors, &groups, &s, pos] {
            try {
                for (const auto &g : groups[pos]) out[g.first] = s.db.get_document(g.second).get_data();
            } catch (...) {
                errors[pos] = std::current_exception();
            }
        };
        if (!s.remote) {
            work();
            continue;
        }
        try {
            threads.emplace_back(work);
        } catch (const std::system_error &) {
            work(); /* no thread to be had: in line, slower but the same */
        }
    }
    for (std::thread &t : threads) t.join();
    for (const std::exception_ptr &e : errors)
        if (e) std::rethrow_exception(e);
    return out;
}

}  // namespace shim

unsigned newsidx_shard_of(const char *id, unsigned nshards)
{
    if (nshards <= 1) return 0;
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = reinterpret_cast<const unsigned char *>(id ? id : ""); *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (unsigned)(h % nshards);
}

/* ---- shards: the C API ---- */

newsidx_status_t newsidx_shards_expand(const char *const *specs, size_t n, char ***out,
                                       size_t *n_out, char *msg, size_t msglen)
{
    if (!out || !n_out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    *n_out = 0;
    newsidx_status_t st = NEWSIDX_OK;
    std::string err;
    char **list = nullptr;
    size_t filled = 0;
    try {
        std::vector<std::string> v = expand_specs(specs, n);
        list = static_cast<char **>(calloc(v.size(), sizeof *list));
        if (!list) throw std::bad_alloc();
        for (; filled < v.size(); filled++) list[filled] = c_copy(v[filled]);
        *out = list;
        *n_out = filled;
        list = nullptr;
    }
    NEWSIDX_CATCH(&err, st)
    newsidx_shards_free(list, filled);
    copy_msg(err, msg, msglen);
    return st;
}

void newsidx_shards_free(char **list, size_t n)
{
    if (!list) return;
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
}

newsidx_status_t newsidx_reader_open_shards(const char *const *specs, size_t n,
                                            unsigned timeout_ms, newsidx_reader_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    *out = nullptr;
    newsidx_reader_t *r = nullptr;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        r = new newsidx_reader_t;
        r->timeout_ms = shard_timeout(timeout_ms);
        for (std::string &spec : expand_specs(specs, n)) {
            Shard s;
            s.name = spec;
            if (spec.compare(0, 4, "tcp:") == 0) {
                s.remote = true;
                split_host_port(spec.substr(4), spec, s.host, s.port);
            }
            r->shards.push_back(std::move(s));
        }
        for (Shard &s : r->shards) {
            if (s.remote) {
                try_connect(r, s); /* down is a state, not a failure to open */
                continue;
            }
            try {
                open_shard(s, r->timeout_ms);
            } catch (const Xapian::Error &e) {
                /* keep the status the error's class gives, with the shard's name first */
                std::string what = s.name + ": " + describe(e);
                try {
                    throw;
                }
                NEWSIDX_CATCH(nullptr, st)
                throw ApiErrorMsg{st, what};
            }
        }
        rebuild(r);
        r->open = true;
    }
    NEWSIDX_CATCH(r ? &r->error : nullptr, st)
    return reader_opened(r, st, out);
}

size_t newsidx_reader_shard_count(const newsidx_reader_t *reader)
{
    return reader ? reader->shards.size() : 0;
}

newsidx_status_t newsidx_reader_shard_info(newsidx_reader_t *reader, size_t i,
                                           newsidx_shard_info_t *info)
{
    if (!reader || !info || i >= reader->shards.size()) return NEWSIDX_BAD_ARGUMENT;
    Shard &s = reader->shards[i];
    info->name = s.name.c_str();
    info->remote = s.remote;
    info->up = s.up;
    info->docs = 0;
    info->error = s.error.c_str();
    if (s.up) {
        /* a remote database keeps the count of its last exchange: no round trip */
        try {
            info->docs = s.db.get_doccount();
        } catch (...) {
            info->docs = 0;
        }
    }
    return NEWSIDX_OK;
}

const char *newsidx_reader_failed_shard(const newsidx_reader_t *reader)
{
    return reader ? reader->failed_shard.c_str() : "";
}

size_t newsidx_reader_missing_count(const newsidx_reader_t *reader)
{
    return reader ? reader->missing.size() : 0;
}

const char *newsidx_reader_missing_shard(const newsidx_reader_t *reader, size_t i)
{
    return reader && i < reader->missing.size() ? reader->missing[i].c_str() : nullptr;
}

size_t newsidx_results_missing_count(const newsidx_results_t *results)
{
    return results ? results->missing.size() : 0;
}

const char *newsidx_results_missing_shard(const newsidx_results_t *results, size_t i)
{
    return results && i < results->missing.size() ? results->missing[i].c_str() : nullptr;
}

newsidx_status_t newsidx_writer_open_shard(const char *spec, unsigned timeout_ms,
                                           newsidx_writer_t **out)
{
    if (!out) return NEWSIDX_BAD_ARGUMENT;
    if (!spec || strncmp(spec, "tcp:", 4) != 0) return newsidx_writer_open(spec, 0, out);
    *out = nullptr;
    newsidx_writer_t *w = nullptr;
    newsidx_status_t st = NEWSIDX_OK;
    try {
        w = new newsidx_writer_t;
        std::string host;
        unsigned port;
        split_host_port(spec + 4, std::string("shard '") + spec + "'", host, port);
        unsigned t = shard_timeout(timeout_ms);
        w->db = Xapian::Remote::open_writable(
            host, port, t, std::min<unsigned>(t, NEWSD_SHARD_CONNECT_TIMEOUT_MS));
        writer_format(w, spec, false);
    }
    NEWSIDX_CATCH(w ? &w->error : nullptr, st)
    return writer_opened(w, st, out);
}
