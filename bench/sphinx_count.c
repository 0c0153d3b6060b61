/*
 * sphinx_count: the exact number of matches Sphinx's searchd finds for each query of
 * the log, for the side-by-side hit counts in bench/query.sh.  Per query it sends the
 * benchmark's own MATCH (the one loadgen -f sphinxql times) with LIMIT 1 and no
 * ranking, then SHOW META, whose total_found is the number of matching documents
 * (total is capped by max_matches; total_found is not).  One blocking connection:
 * this is a count, not a timing.
 *
 *   sphinx_count -a HOST:PORT -q QUERIES -o COUNTS
 * writes "COUNT<TAB>QUERY" per query to COUNTS (querylog.h) and prints one
 * "sphinx_count: queries=N errors=E hits=H matched=M" line.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "newsd_limits.h"
#include "querylog.h"
#include "sphinxql.h"

typedef struct meta {
    int found;
    uint64_t total_found;
} meta_t;

static int take_meta(void *ctx, int ncols, char **cols)
{
    meta_t *m = ctx;
    if (ncols == 2 && cols[0] && cols[1] && strcmp(cols[0], "total_found") == 0) {
        char *end;
        m->total_found = strtoull(cols[1], &end, 10);
        m->found = end != cols[1] && *end == '\0';
    }
    return 0;
}

static int dial(const char *addr)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) return -1;
    int fd = -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0 && sphinxql_handshake(fd) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* The count of one query: 0 with *count set, 1 for a query searchd refused (message
 * on stderr), -1 when the connection broke. */
static int count_one(int fd, const char *q, uint64_t *count)
{
    char sql[NEWSD_MAX_QUERY_LEN + 128], err[256];
    /* The log has no single quotes or backslashes, so the query goes into the literal as
     * it is (as in loadgen); anything else would need escaping, so it is refused. */
    if (strpbrk(q, "'\\")) {
        fprintf(stderr, "sphinx_count: %s: quote or backslash in the query\n", q);
        return 1;
    }
    int n = snprintf(sql, sizeof sql,
                     "SELECT id FROM news WHERE MATCH('%s') LIMIT 1 OPTION ranker=none", q);
    if (n < 0 || (size_t)n >= sizeof sql) {
        fprintf(stderr, "sphinx_count: %.60s...: query too long\n", q);
        return 1;
    }
    int rc = sphinxql_query(fd, sql, NULL, NULL, err, sizeof err);
    if (rc == 0) {
        meta_t m = {0, 0};
        rc = sphinxql_query(fd, "SHOW META", take_meta, &m, err, sizeof err);
        if (rc == 0 && !m.found) {
            snprintf(err, sizeof err, "no total_found in SHOW META");
            rc = 1;
        }
        *count = m.total_found;
    }
    if (rc == 1) fprintf(stderr, "sphinx_count: %s: %s\n", q, err);
    return rc;
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *qpath = NULL, *out = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "a:q:o:")) != -1) {
        switch (opt) {
        case 'a': addr = optarg; break;
        case 'q': qpath = optarg; break;
        case 'o': out = optarg; break;
        default: goto usage;
        }
    }
    if (!addr || !qpath || !out || optind != argc) goto usage;
    querylog_t log;
    if (querylog_load(qpath, &log) != 0) return 1;
    uint64_t *counts = calloc(log.n ? log.n : 1, sizeof *counts);
    int fd = dial(addr);
    if (!counts || fd < 0) {
        fprintf(stderr, "sphinx_count: %s\n", counts ? "cannot connect to searchd" : "no memory");
        free(counts);
        querylog_free(&log);
        return 1;
    }
    size_t errors = 0, matched = 0;
    uint64_t hits = 0;
    int rc = 0;
    for (size_t i = 0; i < log.n; i++) {
        int r = count_one(fd, log.q[i], &counts[i]);
        if (r < 0) {
            fprintf(stderr, "sphinx_count: connection to %s broken at query %zu\n", addr, i + 1);
            rc = 1;
            break;
        }
        if (r > 0) {
            counts[i] = COUNT_FAILED;
            errors++;
            continue;
        }
        hits += counts[i];
        matched += counts[i] > 0;
    }
    close(fd);
    if (rc == 0) {
        rc = bench_write_counts(out, &log, counts, log.n) != 0 || errors;
        printf("sphinx_count: queries=%zu errors=%zu hits=%llu matched=%zu\n", log.n, errors,
               (unsigned long long)hits, matched);
    }
    free(counts);
    querylog_free(&log);
    return rc;
usage:
    fprintf(stderr, "usage: sphinx_count -a HOST:PORT -q QUERIES -o COUNTS\n");
    return 2;
}
