/*
 * xapian_shards: the query log over one Database made of shards, in-process, with raw
 * Xapian: what a sharded newsd pays below its C API for 1 local index, N local shards
 * or N remote shards (xapian-tcpsrv), and what reading a page's stored documents costs
 * over the remote protocol with and without MSet::fetch().
 *
 * Each SPEC is an index folder or tcp:HOST:PORT (a xapian-tcpsrv); all of them are
 * added to one Xapian::Database, so BM25 uses the statistics of the whole.  The parser
 * is the shim's own set-up (daemon/index/query.hh), as in bench/xapian_ids.cc.
 *
 * Modes (-m), each a top-10 page by relevance:
 *   ids    the document ids only: no document is read
 *   data   ids plus each hit's stored data, read one document after another
 *          (Document::get_data: over the remote backend one round trip per hit)
 *   fetch  the same after MSet::fetch(), which asks the backends for every hit's
 *          document first.  Glass reads ahead; Xapian 1.4.22's remote backend does not
 *          implement the request (RemoteDatabase keeps Database::Internal's no-op
 *          request_document, backends/database.cc), so over tcp it is "data" again
 *   pershard  the page's documents read by shard, the shards in parallel: one thread
 *          per shard holding hits, each on its own connection to that shard (a second
 *          Database per shard), reading its documents one after another; the least
 *          round trips in sequence the 1.4 remote protocol allows without opening a
 *          connection per document
 *
 * With -t T, T threads each open their own Database (handles are not thread-safe; over
 * tcp each has its own connections) and run their share of the requests.
 *
 *   xapian_shards -q QUERIES [-m MODE] [-t THREADS] [-n REQUESTS] [-T TIMEOUT_MS] SPEC...
 * prints one "shards: mode=M ..." line (querylog.h).
 */
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>
#include <xapian.h>

#include "querylog.h"
#include "query.hh"

namespace {

const int MAX_THREADS = 64;
const Xapian::doccount PAGE = 10;

enum Mode { MODE_IDS, MODE_DATA, MODE_FETCH, MODE_PERSHARD };

struct Worker {
    bench_thread_t b;   /* first: see bench_run_threads */
    const std::vector<std::string> *specs;
    Mode mode;
    unsigned timeout_ms;
};

/* pershard: the stored data of docids (of one shard) through that shard's own handle. */
void read_shard(Xapian::Database *db, const std::vector<Xapian::docid> *dids, size_t *bytes,
                int *failed)
{
    try {
        for (Xapian::docid d : *dids) *bytes += db->get_document(d).get_data().size();
    } catch (...) {
        *failed = 1;
    }
}

/* One shard: a glass folder, or a remote one for tcp:HOST:PORT. */
Xapian::Database open_spec(const std::string &spec, unsigned timeout_ms)
{
    if (spec.compare(0, 4, "tcp:") != 0) return Xapian::Database(spec, Xapian::DB_BACKEND_GLASS);
    std::string hostport = spec.substr(4);
    std::string::size_type colon = hostport.rfind(':');
    if (colon == std::string::npos) throw Xapian::InvalidArgumentError("no port in " + spec);
    unsigned port = (unsigned)strtoul(hostport.c_str() + colon + 1, nullptr, 10);
    return Xapian::Remote::open(hostport.substr(0, colon), port, timeout_ms, timeout_ms);
}

/* The page's hits grouped by shard (a combined Database numbers shard s's document d as
 * (d - 1) * n + s + 1), each group read by a thread of its own on shards[s]. */
void read_by_shard(const Xapian::MSet &m, std::vector<Xapian::Database> &shards, size_t *bytes)
{
    size_t n = shards.size();
    std::vector<std::vector<Xapian::docid>> dids(n);
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
        dids[(*it - 1) % n].push_back((*it - 1) / n + 1);
    std::vector<size_t> got(n, 0);
    std::vector<int> bad(n, 0);
    std::vector<std::thread> helpers;
    size_t last = n;
    for (size_t s = 0; s < n; s++)
        if (!dids[s].empty()) last = s;
    for (size_t s = 0; s < n; s++) {
        if (dids[s].empty() || s == last) continue;
        helpers.emplace_back(read_shard, &shards[s], &dids[s], &got[s], &bad[s]);
    }
    if (last < n) read_shard(&shards[last], &dids[last], &got[last], &bad[last]);
    for (std::thread &t : helpers) t.join();
    for (size_t s = 0; s < n; s++) {
        if (bad[s]) throw Xapian::NetworkError("reading documents of shard " + std::to_string(s));
        *bytes += got[s];
    }
}

/* One page in the worker's mode; returns the hits shown. */
Xapian::doccount page(Xapian::Database &db, std::vector<Xapian::Database> &shards,
                      Xapian::QueryParser &qp, const char *q, Mode mode, size_t *bytes)
{
    Xapian::Enquire enq(db);
    enq.set_query(qp.parse_query(q, shim::QUERY_FLAGS));
    Xapian::MSet m = enq.get_mset(0, PAGE, PAGE);
    if (mode == MODE_PERSHARD) {
        read_by_shard(m, shards, bytes);
        return m.size();
    }
    if (mode == MODE_FETCH) m.fetch();
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
        if (mode == MODE_IDS)
            *bytes += *it != 0;
        else
            *bytes += it.get_document().get_data().size();
    }
    return m.size();
}

void *run(void *arg)
{
    Worker *w = static_cast<Worker *>(arg);
    Xapian::Database db;
    std::vector<Xapian::Database> shards;   /* pershard: a second handle on each */
    Xapian::QueryParser qp;
    /* Every thread reaches the barrier, opened or not, so a failure cannot hang main. */
    try {
        for (const std::string &s : *w->specs) {
            db.add_database(open_spec(s, w->timeout_ms));
            if (w->mode == MODE_PERSHARD) shards.push_back(open_spec(s, w->timeout_ms));
        }
        shim::setup_query_parser(qp, db);
    } catch (const Xapian::Error &e) {
        fprintf(stderr, "xapian_shards: %s\n", e.get_description().c_str());
        w->b.failed = 1;
    } catch (const std::exception &e) {
        fprintf(stderr, "xapian_shards: %s\n", e.what());
        w->b.failed = 1;
    }
    pthread_barrier_wait(w->b.start);
    for (size_t i = 0; !w->b.failed && i < w->b.count; i++) {
        const char *q = w->b.log->q[(w->b.first + i) % w->b.log->n];
        double t0 = bench_us();
        try {
            size_t bytes = 0;
            Xapian::doccount n = page(db, shards, qp, q, w->mode, &bytes);
            w->b.lat[i] = bench_us() - t0;
            w->b.hits += n;
            w->b.matched += n > 0 && bytes > 0;
        } catch (const Xapian::Error &e) {
            w->b.lat[i] = bench_us() - t0;
            if (w->b.errors++ < 3)
                fprintf(stderr, "xapian_shards: %s: %s\n", q, e.get_description().c_str());
        } catch (const std::exception &e) {
            fprintf(stderr, "xapian_shards: %s\n", e.what());
            w->b.failed = 1;
        }
    }
    return nullptr;
}

}  // namespace

int main(int argc, char **argv)
{
    const char *qpath = nullptr, *mode_name = "ids";
    long threads = 1, requests = 0, timeout_ms = 10000;
    Mode mode = MODE_IDS;
    int opt;
    while ((opt = getopt(argc, argv, "q:m:t:n:T:")) != -1) {
        switch (opt) {
        case 'q': qpath = optarg; break;
        case 'm': mode_name = optarg; break;
        case 't': threads = strtol(optarg, nullptr, 10); break;
        case 'n': requests = strtol(optarg, nullptr, 10); break;
        case 'T': timeout_ms = strtol(optarg, nullptr, 10); break;
        default: goto usage;
        }
    }
    if (strcmp(mode_name, "ids") == 0) mode = MODE_IDS;
    else if (strcmp(mode_name, "data") == 0) mode = MODE_DATA;
    else if (strcmp(mode_name, "fetch") == 0) mode = MODE_FETCH;
    else if (strcmp(mode_name, "pershard") == 0) mode = MODE_PERSHARD;
    else goto usage;
    if (!qpath || optind >= argc || threads < 1 || threads > MAX_THREADS || requests < 0 ||
        timeout_ms < 1)
        goto usage;
    {
        std::vector<std::string> specs(argv + optind, argv + argc);
        querylog_t log;
        if (querylog_load(qpath, &log) != 0) return 1;
        if (requests == 0) requests = (long)log.n;
        std::vector<Worker> w((size_t)threads);
        for (Worker &x : w) {
            memset(&x.b, 0, sizeof x.b);
            x.specs = &specs;
            x.mode = mode;
            x.timeout_ms = (unsigned)timeout_ms;
        }
        bench_summary_t s = {"shards", mode_name, 0, 0, 0, 0, 0, 0};
        int rc = bench_run_threads(w.data(), sizeof w[0], threads, run, &log, requests, &s);
        querylog_free(&log);
        return rc;
    }
usage:
    fprintf(stderr, "usage: xapian_shards -q QUERIES [-m ids|data|fetch|pershard] [-t THREADS] "
                    "[-n REQUESTS] [-T TIMEOUT_MS] SPEC...\n");
    return 2;
}
