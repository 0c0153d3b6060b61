/*
 * newsd.c: the daemon's command line (newsd(8), "OPTIONS").  It reads the
 * options into a server_config_t, checks them, reads the write token
 * (--auth-token-file), and hands over to server_run.  Exit status: 0 after
 * SIGTERM/SIGINT, 1 when the index, an address, the default socket's folder or the
 * token file fails, 2 for usage.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cliopt.h"
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
            "      --reindex-nice N     its niceness, 0 to %d (default %d)\n"
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
            NEWSD_MAX_REINDEX_NICE, NEWSD_REINDEX_NICE, NEWSD_MAX_CORPUS_ROOTS);
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

/* "newsd: MESSAGE" and the pointer to --help on stderr; returns the exit status 2. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "newsd: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(newsd --help for usage)\n");
    va_end(ap);
    return 2;
}

/* A ranged option's value into *out; 0, or 2 after cliopt's message and the pointer to
 * --help. */
static int ranged(const char *name, const char *unit, const char *arg, long lo, long hi,
                  unsigned *out)
{
    long v;
    if (cliopt_number("newsd", name, arg, lo, hi, unit, &v) != 0) {
        fprintf(stderr, "(newsd --help for usage)\n");
        return 2;
    }
    *out = (unsigned)v;
    return 0;
}

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

/* What the command line gives beyond server_config_t. */
typedef struct cmdline {
    const char *token_file;
    const char *shard_args[NEWSD_MAX_SHARDS];
    size_t nshard_args;
} cmdline_t;

static void set_defaults(server_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->workers = cores < 1 ? 1 : cores > NEWSD_MAX_WORKERS ? NEWSD_MAX_WORKERS : (unsigned)cores;
    cfg->max_connections = NEWSD_MAX_CONNECTIONS;
    cfg->idle_timeout_s = NEWSD_IDLE_TIMEOUT_S;
    cfg->query_timeout_ms = NEWSD_DEFAULT_QUERY_TIMEOUT_MS;
    cfg->max_reply_bytes = NEWSD_MAX_REPLY_BYTES;
    cfg->busy_poll_us = NEWSD_DEFAULT_BUSY_POLL_US;
    cfg->doc_cache_mb = NEWSD_DEFAULT_DOC_CACHE_MB;
    /* newsindex runs at most NEWSD_MAX_BUILDERS builders, and refuses --jobs above it */
    cfg->reindex_jobs = cores < 1 ? 1 : cores > NEWSD_MAX_BUILDERS ? NEWSD_MAX_BUILDERS
                                                                    : (unsigned)cores;
    cfg->reindex_nice = NEWSD_REINDEX_NICE;
    cfg->shard_timeout_ms = NEWSD_DEFAULT_SHARD_TIMEOUT_MS;
}

/* The options with a number in a range.  Returns 0 or the exit status 2; -1 when c is
 * not one of them. */
static int ranged_option(int c, const char *arg, server_config_t *cfg)
{
    unsigned v;
    int rc;
    switch (c) {
    case OPT_SHARD_TIMEOUT:
        return ranged("--shard-timeout", "milliseconds", arg, 1, NEWSD_MAX_SHARD_TIMEOUT_MS,
                      &cfg->shard_timeout_ms);
    case 'w':
        return ranged("--workers", "a number", arg, 1, NEWSD_MAX_WORKERS, &cfg->workers);
    case OPT_MAX_CONNS:
        return ranged("--max-connections", "a number", arg, 1, NEWSD_MAX_CONNECTIONS_LIMIT,
                      &cfg->max_connections);
    case OPT_IDLE:
        return ranged("--idle-timeout", "seconds", arg, 1, NEWSD_MAX_IDLE_TIMEOUT_S,
                      &cfg->idle_timeout_s);
    case OPT_QUERY_TIMEOUT:
        return ranged("--query-timeout", "milliseconds", arg, 1, NEWSD_MAX_QUERY_TIMEOUT_MS,
                      &cfg->query_timeout_ms);
    case OPT_MAX_REPLY:
        rc = ranged("--max-reply-bytes", "bytes", arg, NEWSD_MIN_REPLY_BYTES,
                    NEWSD_MAX_REPLY_BYTES_LIMIT, &v);
        if (rc == 0)
            cfg->max_reply_bytes = v;
        return rc;
    case OPT_REINDEX_JOBS:
        return ranged("--reindex-jobs", "a number", arg, 1, NEWSD_MAX_BUILDERS,
                      &cfg->reindex_jobs);
    case OPT_REINDEX_NICE:
        return ranged("--reindex-nice", "a number", arg, 0, NEWSD_MAX_REINDEX_NICE,
                      &cfg->reindex_nice);
    case OPT_BUSY_POLL:
        return ranged("--busy-poll-us", "microseconds", arg, 0, NEWSD_MAX_BUSY_POLL_US,
                      &cfg->busy_poll_us);
    case OPT_DOC_CACHE:
        return ranged("--doc-cache-mb", "MiB", arg, 0, NEWSD_MAX_DOC_CACHE_MB,
                      &cfg->doc_cache_mb);
    }
    return -1;
}

/* One option (c from getopt_long, arg its value).  Returns 0, or the exit status: 2 for
 * a usage error, 0 after --help or --version (*done set). */
static int one_option(int c, const char *arg, char **argv, server_config_t *cfg,
                      cmdline_t *cl, int *done)
{
    struct stat st;
    switch (c) {
    case 'i':
        cfg->index_path = arg;
        return 0;
    case 's':
        if (cl->nshard_args == NEWSD_MAX_SHARDS)
            return usage_error("at most %d --shard options", NEWSD_MAX_SHARDS);
        cl->shard_args[cl->nshard_args++] = arg;
        return 0;
    case 'l':
        if (cfg->nlisten == NEWSD_MAX_LISTENERS)
            return usage_error("at most %d --listen addresses", NEWSD_MAX_LISTENERS);
        cfg->listen[cfg->nlisten++] = arg;
        return 0;
    case OPT_LOG_LEVEL:
        if (log_level_parse(arg, &log_threshold) != 0)
            return usage_error("--log-level takes error, warn, info or debug, not '%s'", arg);
        return 0;
    case OPT_INDEXER:
        if (access(arg, X_OK) != 0)
            return usage_error("--indexer: '%s' is not an executable program", arg);
        cfg->indexer = arg;
        return 0;
    case OPT_CORPUS_ROOT:
        if (cfg->ncorpus_roots == NEWSD_MAX_CORPUS_ROOTS)
            return usage_error("at most %d --corpus-root folders", NEWSD_MAX_CORPUS_ROOTS);
        if (arg[0] != '/' || stat(arg, &st) != 0 || !S_ISDIR(st.st_mode))
            return usage_error("--corpus-root takes an absolute path to a folder, not '%s'",
                               arg);
        cfg->corpus_roots[cfg->ncorpus_roots++] = arg;
        return 0;
    case OPT_AUTH_TOKEN_FILE:
        if (!*arg)
            return usage_error("--auth-token-file needs a path");
        cl->token_file = arg;
        return 0;
    case 'h':
        usage(stdout);
        *done = 1;
        return 0;
    case 'V':
        printf("newsd %s (Xapian %s)\n", NEWSD_VERSION, newsidx_xapian_version());
        *done = 1;
        return 0;
    case ':':
        return usage_error("%s needs a value", argv[optind - 1]);
    }
    int rc = ranged_option(c, arg, cfg);
    return rc >= 0 ? rc : usage_error("unknown option '%s'", argv[optind - 1]);
}

/* Reads the command line into cfg and cl.  Returns -1 to go on, or the exit status. */
static int parse_options(int argc, char **argv, server_config_t *cfg, cmdline_t *cl)
{
    set_defaults(cfg);
    int c, done = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":i:s:l:w:hV", longopts, NULL)) != -1) {
        int rc = one_option(c, optarg, argv, cfg, cl, &done);
        if (rc != 0 || done)
            return rc;
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (cfg->index_path && cl->nshard_args)
        return usage_error("--index and --shard do not go together: name the shards with "
                           "--shard alone, or a sharded index with --index");
    if (!cfg->index_path && !cl->nshard_args)
        return usage_error("--index DIR is required (or --shard SPEC, repeated)");
    return -1;
}

/* The shards of --shard, or of a sharded --index, into cfg.  Returns -1 to go on, or
 * the exit status. */
static int expand_shards(server_config_t *cfg, cmdline_t *cl)
{
    const char *sharded = NULL;    /* --index named a sharded index: this one */
    if (cfg->index_path && sharded_index(cfg->index_path)) {
        sharded = cl->shard_args[cl->nshard_args++] = cfg->index_path;
        cfg->index_path = NULL;
    }
    if (!cl->nshard_args)
        return -1;
    char msg[600];
    newsidx_status_t st = newsidx_shards_expand(cl->shard_args, cl->nshard_args, &cfg->shards,
                                                &cfg->nshards, msg, sizeof msg);
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
    return -1;
}

int main(int argc, char **argv)
{
    server_config_t cfg;
    cmdline_t cl = { 0 };
    int rc = parse_options(argc, argv, &cfg, &cl);
    if (rc < 0)
        rc = expand_shards(&cfg, &cl);
    if (rc >= 0)
        return rc;
    const char *token_file = cl.token_file;
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
    rc = server_run(&cfg);
    newsidx_shards_free(cfg.shards, cfg.nshards);
    return rc;
}
