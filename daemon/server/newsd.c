/*
 * newsd.c: the daemon's command line (newsd(8), "OPTIONS").  It reads the
 * options into a server_config_t, checks them, reads the write token
 * (--auth-token-file), and hands over to server_run.  Exit status: 0 after
 * SIGTERM/SIGINT, 1 when the index, an address, the default socket's folder or the
 * token file fails, 2 for usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "newsd_limits.h"
#include "newsidx.h"
#include "server.h"
#include "sockdir.h"

#define NEWSD_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: newsd --index DIR | --shard SPEC... [--listen ADDR]... [--workers N]\n"
            "             [--shard-timeout MS] [--log-level L]\n"
            "             [--max-connections N] [--idle-timeout SECONDS] [--query-timeout MS]\n"
            "             [--max-reply-bytes N]\n"
            "             [--busy-poll-us US] [--doc-cache-mb MB]\n"
            "             [--indexer PATH] [--reindex-jobs N] [--reindex-nice N]\n"
            "             [--corpus-root DIR]...\n"
            "             [--auth-token-file PATH]\n"
            "  -i, --index DIR          the index to serve: a folder, or a sharded index (a\n"
            "                           folder holding shards.stub, or a stub file)\n"
            "  -s, --shard SPEC         one shard of the index, in shard order, repeatable (up\n"
            "                           to %d): a folder, tcp:HOST:PORT (a xapian-tcpsrv) or a\n"
            "                           stub file (its shards in place); not with --index\n"
            "      --shard-timeout MS   most ms a query waits for each answer of a remote\n"
            "                           shard, 1 to %d (default %d)\n"
            "  -l, --listen ADDR        HOST:PORT or unix:PATH, repeatable; port 0: any free port\n"
            "                           (default: %s:%d and unix:$XDG_RUNTIME_DIR/%s/%s,\n"
            "                           else unix:%sUID/%s: a folder of mode 0700)\n"
            "  -w, --workers N          worker threads, 1 to %d (default: the number of cores)\n"
            "      --log-level L        error, warn, info (default) or debug\n"
            "      --max-connections N  open connections, 1 to %d (default %d)\n"
            "      --idle-timeout S     seconds a silent connection stays open, 1 to %d (default %d)\n"
            "      --query-timeout MS   milliseconds a match (SEARCH, COUNT) may run, 1 to %d\n"
            "                           (default %d)\n"
            "      --max-reply-bytes N  the longest reply, %u to %u (default %u)\n"
            "      --busy-poll-us US    the longest a worker polls for input before sleeping,\n"
            "                           adapting below it; 0 to %d, 0: never (default %d)\n"
            "      --doc-cache-mb MB    memory each worker keeps for the stored fields of\n"
            "                           hits it has shown, 0 to %d, 0: none (default %d)\n"
            "      --indexer PATH       the newsindex REINDEX runs (default: the one beside newsd)\n"
            "      --reindex-jobs N     its --jobs, 1 to %d (default: the number of cores,\n"
            "                           at most %d)\n"
            "      --reindex-nice N     its niceness, 0 to 19 (default %d)\n"
            "      --corpus-root DIR    REINDEX reads only regular files and folders under\n"
            "                           DIR, repeatable (up to %d; default: the paths the\n"
            "                           index was built from)\n"
            "      --auth-token-file PATH\n"
            "                           the write token (one line, mode 0600): AUTH with it\n"
            "                           lets a TCP connection ADD and DELETE; without it\n"
            "                           only Unix sockets take writes\n"
            "  -h, --help               this text\n"
            "  -V, --version            the version\n"
            "The protocol: send HELP, or see newsd(8) (man -l daemon/server/newsd.8).\n",
            NEWSD_MAX_SHARDS, NEWSD_MAX_SHARD_TIMEOUT_MS, NEWSD_DEFAULT_SHARD_TIMEOUT_MS,
            NEWSD_DEFAULT_HOST, NEWSD_DEFAULT_PORT, NEWSD_SOCKET_DIR_NAME, NEWSD_DEFAULT_SOCKET_NAME,
            NEWSD_SOCKET_TMP_PREFIX, NEWSD_DEFAULT_SOCKET_NAME, NEWSD_MAX_WORKERS,
            NEWSD_MAX_CONNECTIONS_LIMIT, NEWSD_MAX_CONNECTIONS, NEWSD_MAX_IDLE_TIMEOUT_S,
            NEWSD_IDLE_TIMEOUT_S, NEWSD_MAX_QUERY_TIMEOUT_MS, NEWSD_DEFAULT_QUERY_TIMEOUT_MS,
            NEWSD_MIN_REPLY_BYTES, NEWSD_MAX_REPLY_BYTES_LIMIT, NEWSD_MAX_REPLY_BYTES,
            NEWSD_MAX_BUSY_POLL_US, NEWSD_DEFAULT_BUSY_POLL_US, NEWSD_MAX_DOC_CACHE_MB,
            NEWSD_DEFAULT_DOC_CACHE_MB, NEWSD_MAX_BUILDERS, NEWSD_MAX_BUILDERS,
            NEWSD_REINDEX_NICE, NEWSD_MAX_CORPUS_ROOTS);
}

/* A decimal number lo..hi; -1 otherwise. */
static long number(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    return v;
}

/* --index names a sharded index when it is a stub file, or a folder that holds no glass
 * index but a shards.stub (the layout newsindex --shards writes). */
static int sharded_index(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return 1;
    char file[4096];
    if (!S_ISDIR(st.st_mode) || (size_t)snprintf(file, sizeof file, "%s/iamglass", path) >= sizeof file)
        return 0;
    if (stat(file, &st) == 0)
        return 0;
    snprintf(file, sizeof file, "%s/shards.stub", path);
    return stat(file, &st) == 0 && S_ISREG(st.st_mode);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "newsd: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(newsd --help for usage)\n");
    return 2;
}

int main(int argc, char **argv)
{
    enum { OPT_LOG_LEVEL = 256, OPT_MAX_CONNS, OPT_IDLE, OPT_QUERY_TIMEOUT, OPT_INDEXER,
           OPT_REINDEX_JOBS, OPT_REINDEX_NICE, OPT_AUTH_TOKEN_FILE, OPT_BUSY_POLL,
           OPT_SHARD_TIMEOUT, OPT_DOC_CACHE, OPT_MAX_REPLY, OPT_CORPUS_ROOT };
    static const struct option longopts[] = {
        { "index", required_argument, NULL, 'i' },
        { "shard", required_argument, NULL, 's' },
        { "shard-timeout", required_argument, NULL, OPT_SHARD_TIMEOUT },
        { "listen", required_argument, NULL, 'l' },
        { "workers", required_argument, NULL, 'w' },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "max-connections", required_argument, NULL, OPT_MAX_CONNS },
        { "idle-timeout", required_argument, NULL, OPT_IDLE },
        { "query-timeout", required_argument, NULL, OPT_QUERY_TIMEOUT },
        { "max-reply-bytes", required_argument, NULL, OPT_MAX_REPLY },
        { "indexer", required_argument, NULL, OPT_INDEXER },
        { "reindex-jobs", required_argument, NULL, OPT_REINDEX_JOBS },
        { "reindex-nice", required_argument, NULL, OPT_REINDEX_NICE },
        { "corpus-root", required_argument, NULL, OPT_CORPUS_ROOT },
        { "busy-poll-us", required_argument, NULL, OPT_BUSY_POLL },
        { "doc-cache-mb", required_argument, NULL, OPT_DOC_CACHE },
        { "auth-token-file", required_argument, NULL, OPT_AUTH_TOKEN_FILE },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    server_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.workers = cores < 1 ? 1 : cores > NEWSD_MAX_WORKERS ? NEWSD_MAX_WORKERS : (unsigned)cores;
    cfg.max_connections = NEWSD_MAX_CONNECTIONS;
    cfg.idle_timeout_s = NEWSD_IDLE_TIMEOUT_S;
    cfg.query_timeout_ms = NEWSD_DEFAULT_QUERY_TIMEOUT_MS;
    cfg.max_reply_bytes = NEWSD_MAX_REPLY_BYTES;
    cfg.busy_poll_us = NEWSD_DEFAULT_BUSY_POLL_US;
    cfg.doc_cache_mb = NEWSD_DEFAULT_DOC_CACHE_MB;
    /* newsindex runs at most NEWSD_MAX_BUILDERS builders, and refuses --jobs above it */
    cfg.reindex_jobs = cores < 1 ? 1 : cores > NEWSD_MAX_BUILDERS ? NEWSD_MAX_BUILDERS
                                                                   : (unsigned)cores;
    cfg.reindex_nice = NEWSD_REINDEX_NICE;
    cfg.shard_timeout_ms = NEWSD_DEFAULT_SHARD_TIMEOUT_MS;
    const char *token_file = NULL;
    const char *shard_args[NEWSD_MAX_SHARDS];
    size_t nshard_args = 0;
    int c;
    long v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":i:s:l:w:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            cfg.index_path = optarg;
            break;
        case 's':
            if (nshard_args == NEWSD_MAX_SHARDS)
                return usage_error("at most 64 --shard options%s", "");
            shard_args[nshard_args++] = optarg;
            break;
        case OPT_SHARD_TIMEOUT:
            if ((v = number(optarg, 1, NEWSD_MAX_SHARD_TIMEOUT_MS)) < 0)
                return usage_error("--shard-timeout takes milliseconds from 1 to 60000, not '%s'",
                                   optarg);
            cfg.shard_timeout_ms = (unsigned)v;
            break;
        case 'l':
            if (cfg.nlisten == NEWSD_MAX_LISTENERS)
                return usage_error("at most 16 --listen addresses%s", "");
            cfg.listen[cfg.nlisten++] = optarg;
            break;
        case 'w':
            if ((v = number(optarg, 1, NEWSD_MAX_WORKERS)) < 0)
                return usage_error("--workers takes a number from 1 to 64, not '%s'", optarg);
            cfg.workers = (unsigned)v;
            break;
        case OPT_LOG_LEVEL:
            if (log_level_parse(optarg, &log_threshold) != 0)
                return usage_error("--log-level takes error, warn, info or debug, not '%s'",
                                   optarg);
            break;
        case OPT_MAX_CONNS:
            if ((v = number(optarg, 1, NEWSD_MAX_CONNECTIONS_LIMIT)) < 0)
                return usage_error("--max-connections takes a number from 1 to 100000, not '%s'",
                                   optarg);
            cfg.max_connections = (unsigned)v;
            break;
        case OPT_IDLE:
            if ((v = number(optarg, 1, NEWSD_MAX_IDLE_TIMEOUT_S)) < 0)
                return usage_error("--idle-timeout takes seconds from 1 to 86400, not '%s'",
                                   optarg);
            cfg.idle_timeout_s = (unsigned)v;
            break;
        case OPT_QUERY_TIMEOUT:
            if ((v = number(optarg, 1, NEWSD_MAX_QUERY_TIMEOUT_MS)) < 0)
                return usage_error("--query-timeout takes milliseconds from 1 to 60000, not '%s'",
                                   optarg);
            cfg.query_timeout_ms = (unsigned)v;
            break;
        case OPT_MAX_REPLY:
            if ((v = number(optarg, NEWSD_MIN_REPLY_BYTES, NEWSD_MAX_REPLY_BYTES_LIMIT)) < 0) {
                char fmt[96];
                snprintf(fmt, sizeof fmt, "--max-reply-bytes takes bytes from %u to %u, not '%%s'",
                         NEWSD_MIN_REPLY_BYTES, NEWSD_MAX_REPLY_BYTES_LIMIT);
                return usage_error(fmt, optarg);
            }
            cfg.max_reply_bytes = (size_t)v;
            break;
        case OPT_INDEXER:
            if (access(optarg, X_OK) != 0)
                return usage_error("--indexer: '%s' is not an executable program", optarg);
            cfg.indexer = optarg;
            break;
        case OPT_REINDEX_JOBS:
            if ((v = number(optarg, 1, NEWSD_MAX_BUILDERS)) < 0) {
                char msg[200];
                snprintf(msg, sizeof msg, "--reindex-jobs takes a number from 1 to %d, not '%s'",
                         NEWSD_MAX_BUILDERS, optarg);
                return usage_error("%s", msg);
            }
            cfg.reindex_jobs = (unsigned)v;
            break;
        case OPT_REINDEX_NICE:
            if ((v = number(optarg, 0, 19)) < 0)
                return usage_error("--reindex-nice takes a number from 0 to 19, not '%s'",
                                   optarg);
            cfg.reindex_nice = (unsigned)v;
            break;
        case OPT_CORPUS_ROOT: {
            struct stat st;
            char msg[200];
            if (cfg.ncorpus_roots == NEWSD_MAX_CORPUS_ROOTS) {
                snprintf(msg, sizeof msg, "at most %d --corpus-root folders",
                         NEWSD_MAX_CORPUS_ROOTS);
                return usage_error("%s", msg);
            }
            if (optarg[0] != '/' || stat(optarg, &st) != 0 || !S_ISDIR(st.st_mode))
                return usage_error("--corpus-root takes an absolute path to a folder, not '%s'",
                                   optarg);
            cfg.corpus_roots[cfg.ncorpus_roots++] = optarg;
            break;
        }
        case OPT_BUSY_POLL:
            if ((v = number(optarg, 0, NEWSD_MAX_BUSY_POLL_US)) < 0)
                return usage_error("--busy-poll-us takes microseconds from 0 to 10000, not '%s'",
                                   optarg);
            cfg.busy_poll_us = (unsigned)v;
            break;
        case OPT_DOC_CACHE:
            if ((v = number(optarg, 0, NEWSD_MAX_DOC_CACHE_MB)) < 0)
                return usage_error("--doc-cache-mb takes MiB from 0 to 65536, not '%s'", optarg);
            cfg.doc_cache_mb = (unsigned)v;
            break;
        case OPT_AUTH_TOKEN_FILE:
            if (!*optarg)
                return usage_error("--auth-token-file needs a path%s", "");
            token_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("newsd %s (Xapian %s)\n", NEWSD_VERSION, newsidx_xapian_version());
            return 0;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (cfg.index_path && nshard_args)
        return usage_error("--index and --shard do not go together: name the shards with "
                           "--shard alone, or a sharded index with --index%s", "");
    if (!cfg.index_path && !nshard_args)
        return usage_error("--index DIR is required (or --shard SPEC, repeated)%s", "");
    const char *sharded = NULL;    /* --index named a sharded index: this one */
    if (cfg.index_path && sharded_index(cfg.index_path)) {
        sharded = shard_args[nshard_args++] = cfg.index_path;
        cfg.index_path = NULL;
    }
    if (nshard_args) {
        char msg[600];
        newsidx_status_t st = newsidx_shards_expand(shard_args, nshard_args, &cfg.shards,
                                                    &cfg.nshards, msg, sizeof msg);
        /* a bad --index is an index that cannot be opened (a plain file that is no stub,
         * say), as for an unsharded one; a bad --shard is a usage error */
        if (st != NEWSIDX_OK && sharded) {
            fprintf(stderr, "newsd: cannot open the index %s: %s\n", sharded, msg);
            return 1;
        }
        if (st == NEWSIDX_BAD_ARGUMENT)
            return usage_error("%s", msg);
        if (st != NEWSIDX_OK) {
            fprintf(stderr, "newsd: %s\n", msg);
            return 1;
        }
    }
    if (token_file) {
        char err[600];
        if (auth_token_load(token_file, cfg.auth_token, &cfg.auth_token_len, err,
                            sizeof err) != 0) {
            fprintf(stderr, "newsd: %s\n", err);
            return 1;
        }
    }
    if (cfg.nlisten == 0) {
        static char tcp[64], unix_addr[600];
        char path[512], err[700];
        if (sockdir_default_path(path, sizeof path, 1, err, sizeof err) != SOCKDIR_OK) {
            fprintf(stderr, "newsd: %s\n", err);
            return 1;
        }
        snprintf(tcp, sizeof tcp, "%s:%d", NEWSD_DEFAULT_HOST, NEWSD_DEFAULT_PORT);
        snprintf(unix_addr, sizeof unix_addr, "unix:%s", path);
        cfg.listen[cfg.nlisten++] = tcp;
        cfg.listen[cfg.nlisten++] = unix_addr;
    }
    int rc = server_run(&cfg);
    newsidx_shards_free(cfg.shards, cfg.nshards);
    return rc;
}
