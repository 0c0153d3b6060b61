/*
 * xapian_ids: raw Xapian in-process, top 10 document ids only: the ceiling for any
 * server built on it, and the "raw in-process Xapian (ids only)" figure of issue 7.
 * The C API has no ids-only page (newsidx_search always reads the stored fields), so
 * this talks to Xapian directly, with the shim's own query-parser set-up
 * (daemon/index/query.hh), so the log's queries parse as newsd parses them.  No document
 * is read: the MSet's docids are the result.
 *
 * With -t T, T threads each open their own Database (Xapian handles are not
 * thread-safe) and run their share of the requests from different starting points.
 *
 *   xapian_ids -i INDEX -q QUERIES [-t THREADS] [-n REQUESTS]
 * prints one "xapian: mode=ids ..." line (querylog.h).
 */
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include <xapian.h>

#include "querylog.h"
#include "query.hh"

namespace {

const int MAX_THREADS = 64;
const Xapian::doccount PAGE = 10;

struct Worker {
    pthread_t tid;
    const char *index;
    const querylog_t *log;
    size_t first, count;
    double *lat;
    size_t errors = 0, matched = 0;
    uint64_t hits = 0;
    bool failed = false;
};

pthread_barrier_t start_line;

void *run(void *arg)
{
    Worker *w = static_cast<Worker *>(arg);
    Xapian::Database db;
    Xapian::QueryParser qp;
    /* Every thread reaches the barrier, opened or not, so a failure cannot hang main. */
    try {
        db = Xapian::Database(w->index);
        shim::setup_query_parser(qp, db);
    } catch (const Xapian::Error &e) {
        fprintf(stderr, "xapian_ids: %s\n", e.get_description().c_str());
        w->failed = true;
    } catch (const std::exception &e) {
        fprintf(stderr, "xapian_ids: %s\n", e.what());
        w->failed = true;
    }
    pthread_barrier_wait(&start_line);
    for (size_t i = 0; !w->failed && i < w->count; i++) {
        const char *q = w->log->q[(w->first + i) % w->log->n];
        double t0 = bench_us();
        try {
            Xapian::Enquire enq(db);
            enq.set_query(qp.parse_query(q, shim::QUERY_FLAGS));
            Xapian::MSet m = enq.get_mset(0, PAGE, PAGE);
            /* Read the ids, the one thing this page returns. */
            Xapian::docid sum = 0;
            for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) sum += *it;
            w->lat[i] = bench_us() - t0;
            w->hits += m.size();
            w->matched += m.size() > 0 && sum > 0;
        } catch (const Xapian::Error &e) {
            w->lat[i] = bench_us() - t0;
            if (w->errors++ < 3)
                fprintf(stderr, "xapian_ids: %s: %s\n", q, e.get_description().c_str());
        } catch (const std::exception &e) {
            fprintf(stderr, "xapian_ids: %s\n", e.what());
            w->failed = true;
        }
    }
    return nullptr;
}

}  // namespace

int main(int argc, char **argv)
{
    const char *index = nullptr, *qpath = nullptr;
    long threads = 1, requests = 0;
    int opt;
    while ((opt = getopt(argc, argv, "i:q:t:n:")) != -1) {
        switch (opt) {
        case 'i': index = optarg; break;
        case 'q': qpath = optarg; break;
        case 't': threads = strtol(optarg, nullptr, 10); break;
        case 'n': requests = strtol(optarg, nullptr, 10); break;
        default: goto usage;
        }
    }
    if (!index || !qpath || threads < 1 || threads > MAX_THREADS || requests < 0) goto usage;
    {
        querylog_t log;
        if (querylog_load(qpath, &log) != 0) return 1;
        if (requests == 0) requests = (long)log.n;
        std::vector<double> lat((size_t)requests);
        std::vector<Worker> w((size_t)threads);
        pthread_barrier_init(&start_line, nullptr, (unsigned)threads + 1);
        size_t given = 0;
        for (long t = 0; t < threads; t++) {
            w[t].index = index;
            w[t].log = &log;
            w[t].first = (size_t)t * log.n / (size_t)threads;
            w[t].count = (size_t)requests / (size_t)threads + ((size_t)t < (size_t)requests % (size_t)threads);
            w[t].lat = lat.data() + given;
            given += w[t].count;
            if (pthread_create(&w[t].tid, nullptr, run, &w[t]) != 0) {
                perror("pthread_create");
                return 1;
            }
        }
        pthread_barrier_wait(&start_line);
        double t0 = bench_us();
        bench_summary_t s = {"xapian", "ids", (unsigned)threads, (size_t)requests, 0, 0, 0, 0};
        bool failed = false;
        for (auto &x : w) {
            pthread_join(x.tid, nullptr);
            s.errors += x.errors;
            s.hits += x.hits;
            s.matched += x.matched;
            failed |= x.failed;
        }
        s.wall_us = bench_us() - t0;
        if (failed) return 1;
        bench_report(stdout, &s, lat.data(), lat.size());
        querylog_free(&log);
        return s.errors ? 1 : 0;
    }
usage:
    fprintf(stderr, "usage: xapian_ids -i INDEX -q QUERIES [-t THREADS] [-n REQUESTS]\n");
    return 2;
}
