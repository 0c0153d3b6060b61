/*
 * newsd.c: the daemon's command line and configuration file (newsd(8), "OPTIONS",
 * "CONFIGURATION FILE").  It reads the file's settings and then the command line's
 * into a server_config_t, every value through the one handler of its option, checks
 * them, reads the write token (--auth-token-file), and hands over to server_run (or,
 * with --check-config, says whether all of it is usable).  Exit status: 0 after
 * SIGTERM/SIGINT, 1 when the index, an address, the default socket's folder, the token
 * file, the log file, the pid file or the configuration file cannot be used, 2 for
 * usage (also a bad line in the configuration file).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "cliopt.h"
#include "config.h"
#include "day.h"
#include "log.h"
#include "newsd_limits.h"
#include "newsidx.h"
#include "notify.h"
#include "server.h"
#include "sockdir.h"
#include "version.h"

/* The configuration file read when --config names none (the Makefile's sysconfdir). */
#ifndef NEWSD_SYSCONFDIR
#define NEWSD_SYSCONFDIR "/usr/local/etc"
#endif
#define DEFAULT_CONFIG_FILE NEWSD_SYSCONFDIR "/" NEWSD_CONFIG_FILE_NAME

static void usage(FILE *f)
{
    fprintf(f,
            "usage: newsd --index DIR | --shard SPEC... [--listen ADDR]... [--workers N]\n"
            "             [--config FILE | --no-config] [--check-config]\n"
            "             [--shard-timeout MS] [--log-level L]\n"
            "             [--max-connections N] [--idle-timeout SECONDS] [--query-timeout MS]\n"
            "             [--max-reply-bytes N] [--recency-now DAY]\n"
            "             [--busy-poll-us US] [--doc-cache-mb MB]\n"
            "             [--indexer PATH] [--reindex-jobs N] [--reindex-nice N]\n"
            "             [--corpus-root DIR]...\n"
            "             [--auth-token-file PATH] [--log FILE] [--pidfile FILE]\n"
            "             [--http HOST:PORT]... [--http-cors ORIGIN]\n"
            "  -c, --config FILE        settings, one \"option = value\" a line; the command\n"
            "                           line wins (default: %s\n"
            "                           if it exists; \"\": none)\n"
            "      --no-config          read no configuration file\n"
            "      --check-config       check the file and the options, print \"configuration\n"
            "                           OK\" or the error, exit 0 or 1 without serving\n"
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
            "      --http HOST:PORT     serve HTTP there too: the JSON API, /metrics and the\n"
            "                           search page; repeatable (up to %d; default: none)\n"
            "      --http-cors ORIGIN   let pages from ORIGIN (https://host[:port]) call the\n"
            "                           HTTP API (default: no other origin)\n"
            "  -w, --workers N          worker threads, 1 to %d (default: the number of cores)\n"
            "      --log-level L        error, warn, info (default) or debug\n"
            "      --max-connections N  open connections, 1 to %d (default %d)\n"
            "      --idle-timeout S     seconds a silent connection stays open, 1 to %d (default %d)\n"
            "      --query-timeout MS   milliseconds a match (SEARCH, COUNT) may run, 1 to %d\n"
            "                           (default %d)\n"
            "      --max-reply-bytes N  the longest reply, %u to %u (default %u)\n"
            "      --recency-now DAY    the day SEARCH recency= counts ages from, YYYY-MM-DD\n"
            "                           (default: the newest article's day in the index)\n"
            "      --busy-poll-us US    the longest a worker polls for input before sleeping,\n"
            "                           adapting below it; 0 to %d, 0: never (default %d)\n"
            "      --doc-cache-mb MB    memory each worker keeps for the stored fields of\n"
            "                           hits it has shown, 0 to %d, 0: none (default %d)\n"
            "      --indexer PATH       the newsindex REINDEX runs (default: beside newsd, or ../bin)\n"
            "      --reindex-jobs N     its --jobs, 1 to %d (default: the number of cores,\n"
            "                           at most %d)\n"
            "      --reindex-nice N     its niceness, 0 to %d (default %d)\n"
            "      --corpus-root DIR    REINDEX reads only regular files and folders under\n"
            "                           DIR, repeatable (up to %d; default: the paths the\n"
            "                           index was built from)\n"
            "      --auth-token-file PATH\n"
            "                           the write token (one line, mode 0600): AUTH with it\n"
            "                           lets a TCP connection ADD and DELETE; without it\n"
            "                           only Unix sockets take writes; SIGHUP reads it again\n"
            "      --log FILE           log lines go to FILE (appended, mode 0640), reopened\n"
            "                           on SIGHUP (default: standard error)\n"
            "      --pidfile FILE       the daemon's pid, written once it listens and locked\n"
            "                           while it runs, removed at exit\n"
            "  -h, --help               this text\n"
            "  -V, --version            the version\n"
            "The protocol: send HELP, or see newsd(8) (man -l daemon/server/newsd.8).\n",
            DEFAULT_CONFIG_FILE, NEWSD_MAX_SHARDS, NEWSD_MAX_SHARD_TIMEOUT_MS, NEWSD_DEFAULT_SHARD_TIMEOUT_MS,
            NEWSD_DEFAULT_HOST, NEWSD_DEFAULT_PORT, NEWSD_SOCKET_DIR_NAME, NEWSD_DEFAULT_SOCKET_NAME,
            NEWSD_SOCKET_TMP_PREFIX, NEWSD_DEFAULT_SOCKET_NAME, NEWSD_MAX_HTTP_LISTENERS,
            NEWSD_MAX_WORKERS,
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

/* The message of a bad option, into msg (len bytes); returns -1. */
__attribute__((format(printf, 3, 4))) static int bad(char *msg, size_t len, const char *fmt,
                                                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* A ranged option's value into *out: 0, or -1 with cliopt's message ("--X takes UNIT
 * from LO to HI, not 'ARG'") in msg. */
static int ranged(const char *name, const char *unit, const char *arg, long lo, long hi,
                  unsigned *out, char *msg, size_t len)
{
    long v;
    if (cliopt_parse_long(arg, lo, hi, &v) != 0) {
        char range[128];
        cliopt_range_text(range, sizeof range, unit, lo, hi);
        return bad(msg, len, "%s takes %s, not '%s'", name, range, arg);
    }
    *out = (unsigned)v;
    return 0;
}

enum { OPT_LOG_LEVEL = 256, OPT_MAX_CONNS, OPT_IDLE, OPT_QUERY_TIMEOUT, OPT_INDEXER,
       OPT_REINDEX_JOBS, OPT_REINDEX_NICE, OPT_AUTH_TOKEN_FILE, OPT_BUSY_POLL,
       OPT_SHARD_TIMEOUT, OPT_DOC_CACHE, OPT_MAX_REPLY, OPT_CORPUS_ROOT, OPT_NO_CONFIG,
       OPT_CHECK_CONFIG, OPT_LOG, OPT_PIDFILE, OPT_RECENCY_NOW, OPT_HTTP, OPT_HTTP_CORS };

/* The options; every one that takes a value, but --config, is also a key of the
 * configuration file. */
static const struct option longopts[] = {
    { "index", required_argument, NULL, 'i' },
    { "shard", required_argument, NULL, 's' },
    { "shard-timeout", required_argument, NULL, OPT_SHARD_TIMEOUT },
    { "listen", required_argument, NULL, 'l' },
    { "http", required_argument, NULL, OPT_HTTP },
    { "http-cors", required_argument, NULL, OPT_HTTP_CORS },
    { "workers", required_argument, NULL, 'w' },
    { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
    { "max-connections", required_argument, NULL, OPT_MAX_CONNS },
    { "idle-timeout", required_argument, NULL, OPT_IDLE },
    { "query-timeout", required_argument, NULL, OPT_QUERY_TIMEOUT },
    { "max-reply-bytes", required_argument, NULL, OPT_MAX_REPLY },
    { "recency-now", required_argument, NULL, OPT_RECENCY_NOW },
    { "indexer", required_argument, NULL, OPT_INDEXER },
    { "reindex-jobs", required_argument, NULL, OPT_REINDEX_JOBS },
    { "reindex-nice", required_argument, NULL, OPT_REINDEX_NICE },
    { "corpus-root", required_argument, NULL, OPT_CORPUS_ROOT },
    { "busy-poll-us", required_argument, NULL, OPT_BUSY_POLL },
    { "doc-cache-mb", required_argument, NULL, OPT_DOC_CACHE },
    { "auth-token-file", required_argument, NULL, OPT_AUTH_TOKEN_FILE },
    { "log", required_argument, NULL, OPT_LOG },
    { "pidfile", required_argument, NULL, OPT_PIDFILE },
    { "config", required_argument, NULL, 'c' },
    { "no-config", no_argument, NULL, OPT_NO_CONFIG },
    { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

/* One option of the command line, kept until the configuration file has been read. */
typedef struct arg_pair {
    int c;
    const char *arg;
} arg_pair_t;

/* What the command line and the file give beyond server_config_t. */
typedef struct cmdline {
    const char *shard_args[NEWSD_MAX_SHARDS];
    size_t nshard_args;
    const char *log_path;           /* --log */
    const char *config;             /* --config; NULL: the default file, if it exists */
    int no_config;                  /* --no-config, or --config "" */
    int check;                      /* --check-config */
    arg_pair_t *pairs;              /* the other options, in command-line order */
    size_t npairs;
    config_values_t values;         /* the file's values, which cfg points into */
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

/* The options with a number in a range.  Returns 0, or -1 with the message; -2 when c
 * is not one of them. */
static int ranged_option(int c, const char *arg, server_config_t *cfg, char *msg, size_t len)
{
    unsigned v = 0;
    int rc;
    switch (c) {
    case OPT_SHARD_TIMEOUT:
        return ranged("--shard-timeout", "milliseconds", arg, 1, NEWSD_MAX_SHARD_TIMEOUT_MS,
                      &cfg->shard_timeout_ms, msg, len);
    case 'w':
        return ranged("--workers", "a number", arg, 1, NEWSD_MAX_WORKERS, &cfg->workers, msg,
                      len);
    case OPT_MAX_CONNS:
        return ranged("--max-connections", "a number", arg, 1, NEWSD_MAX_CONNECTIONS_LIMIT,
                      &cfg->max_connections, msg, len);
    case OPT_IDLE:
        return ranged("--idle-timeout", "seconds", arg, 1, NEWSD_MAX_IDLE_TIMEOUT_S,
                      &cfg->idle_timeout_s, msg, len);
    case OPT_QUERY_TIMEOUT:
        return ranged("--query-timeout", "milliseconds", arg, 1, NEWSD_MAX_QUERY_TIMEOUT_MS,
                      &cfg->query_timeout_ms, msg, len);
    case OPT_MAX_REPLY:
        rc = ranged("--max-reply-bytes", "bytes", arg, NEWSD_MIN_REPLY_BYTES,
                    NEWSD_MAX_REPLY_BYTES_LIMIT, &v, msg, len);
        if (rc == 0)
            cfg->max_reply_bytes = v;
        return rc;
    case OPT_REINDEX_JOBS:
        return ranged("--reindex-jobs", "a number", arg, 1, NEWSD_MAX_BUILDERS,
                      &cfg->reindex_jobs, msg, len);
    case OPT_REINDEX_NICE:
        return ranged("--reindex-nice", "a number", arg, 0, NEWSD_MAX_REINDEX_NICE,
                      &cfg->reindex_nice, msg, len);
    case OPT_BUSY_POLL:
        return ranged("--busy-poll-us", "microseconds", arg, 0, NEWSD_MAX_BUSY_POLL_US,
                      &cfg->busy_poll_us, msg, len);
    case OPT_DOC_CACHE:
        return ranged("--doc-cache-mb", "MiB", arg, 0, NEWSD_MAX_DOC_CACHE_MB,
                      &cfg->doc_cache_mb, msg, len);
    }
    return -2;
}

/* --http-cors ORIGIN: a scheme, "://" and a host (and port), as a browser sends in its
 * Origin header, nothing else (no path, no wildcard, no spaces or control bytes, which
 * would break the header). */
static int cors_origin(const char *arg, server_config_t *cfg, char *msg, size_t len)
{
    const char *host = strstr(arg, "://");
    size_t n = strlen(arg);
    int ok = host && host > arg && n <= NEWSD_HTTP_MAX_ORIGIN && host[3] != '\0';
    for (const char *p = arg; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr(".-:[]", *p) || (p > host && p < host + 3 && *p == '/');
    if (!ok)
        return bad(msg, len, "--http-cors takes an origin such as https://news.example.org "
                   "(scheme://host[:port], at most %d bytes), not '%s'", NEWSD_HTTP_MAX_ORIGIN,
                   arg);
    cfg->http_cors = arg;
    return 0;
}

/* The one handler of an option's value (c as getopt_long gives it), for the command
 * line and the configuration file alike.  Returns 0, or -1 with the message in msg. */
static int apply_option(int c, const char *arg, server_config_t *cfg, cmdline_t *cl,
                        char *msg, size_t len)
{
    struct stat st;
    switch (c) {
    case 'i':
        cfg->index_path = arg;
        return 0;
    case 's':
        if (cl->nshard_args == NEWSD_MAX_SHARDS)
            return bad(msg, len, "at most %d --shard options", NEWSD_MAX_SHARDS);
        cl->shard_args[cl->nshard_args++] = arg;
        return 0;
    case 'l':
        if (cfg->nlisten == NEWSD_MAX_LISTENERS)
            return bad(msg, len, "at most %d --listen addresses", NEWSD_MAX_LISTENERS);
        cfg->listen[cfg->nlisten++] = arg;
        return 0;
    case OPT_HTTP:
        if (cfg->nhttp == NEWSD_MAX_HTTP_LISTENERS)
            return bad(msg, len, "at most %d --http addresses", NEWSD_MAX_HTTP_LISTENERS);
        if (!*arg || strncmp(arg, "unix:", 5) == 0)
            return bad(msg, len, "--http takes HOST:PORT, not '%s'", arg);
        cfg->http[cfg->nhttp++] = arg;
        return 0;
    case OPT_HTTP_CORS:
        return cors_origin(arg, cfg, msg, len);
    case OPT_LOG_LEVEL:
        if (log_level_parse(arg, &log_threshold) != 0)
            return bad(msg, len, "--log-level takes error, warn, info or debug, not '%s'", arg);
        return 0;
    case OPT_INDEXER:
        if (access(arg, X_OK) != 0)
            return bad(msg, len, "--indexer: '%s' is not an executable program", arg);
        cfg->indexer = arg;
        return 0;
    case OPT_CORPUS_ROOT:
        if (cfg->ncorpus_roots == NEWSD_MAX_CORPUS_ROOTS)
            return bad(msg, len, "at most %d --corpus-root folders", NEWSD_MAX_CORPUS_ROOTS);
        if (arg[0] != '/' || stat(arg, &st) != 0 || !S_ISDIR(st.st_mode))
            return bad(msg, len, "--corpus-root takes an absolute path to a folder, not '%s'",
                       arg);
        cfg->corpus_roots[cfg->ncorpus_roots++] = arg;
        return 0;
    case OPT_AUTH_TOKEN_FILE:
        if (!*arg)
            return bad(msg, len, "--auth-token-file needs a path");
        cfg->auth_token_file = arg;
        return 0;
    case OPT_LOG:
        if (!*arg)
            return bad(msg, len, "--log needs a path");
        cl->log_path = arg;
        return 0;
    case OPT_RECENCY_NOW: {
        char day[9];
        if (day_parse(arg, strlen(arg), day) != 0)
            return bad(msg, len, "--recency-now takes a day, YYYY-MM-DD, not '%s'", arg);
        cfg->recency_now = arg;
        return 0;
    }
    case OPT_PIDFILE:
        if (!*arg)
            return bad(msg, len, "--pidfile needs a path");
        cfg->pidfile = arg;
        return 0;
    }
    int rc = ranged_option(c, arg, cfg, msg, len);
    return rc == -2 ? bad(msg, len, "option %d has no handler", c) : rc;
}

/* Reads the command line into cl: --config, --no-config and --check-config are taken
 * here, the other options kept in order for after the file.  Returns -1 to go on, or
 * the exit status (0 after --help or --version). */
static int scan_command_line(int argc, char **argv, cmdline_t *cl)
{
    cl->pairs = calloc((size_t)argc, sizeof *cl->pairs);
    if (!cl->pairs) {
        fprintf(stderr, "newsd: out of memory\n");
        return 1;
    }
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":i:s:l:w:c:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cl->config = optarg;
            if (!*optarg)
                cl->no_config = 1;
            break;
        case OPT_NO_CONFIG:
            cl->no_config = 1;
            break;
        case OPT_CHECK_CONFIG:
            cl->check = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            version_print(stdout, "newsd", newsidx_xapian_version(), event_get_version());
            return 0;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        case '?':
            return usage_error("unknown option '%s'", argv[optind - 1]);
        default:
            cl->pairs[cl->npairs++] = (arg_pair_t){ c, optarg };
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return -1;
}

/* What the file reader needs to hand a pair to apply_option. */
typedef struct file_ctx {
    server_config_t *cfg;
    cmdline_t *cl;
} file_ctx_t;

/* One "key = value" of the configuration file: the key is the name of an option that
 * takes a value (not --config), the value goes to that option's handler. */
static int file_pair(const char *key, const char *value, void *arg, char *err, size_t errlen)
{
    file_ctx_t *fc = arg;
    char quoted[4 * 64 + 8];
    log_escape(quoted, sizeof quoted, key, strlen(key));
    for (const struct option *o = longopts; o->name; o++) {
        if (strcmp(o->name, key) != 0)
            continue;
        if (o->has_arg == no_argument || o->val == 'c')
            return bad(err, errlen, "\"%s\" is an option of the command line only, not a "
                       "key of the configuration file", quoted);
        return apply_option(o->val, value, fc->cfg, fc->cl, err, errlen);
    }
    return bad(err, errlen, "unknown key \"%s\"", quoted);
}

/* The configuration file, if any: --config's, else the default one when it exists.
 * Returns -1 to go on, or the exit status (1: unreadable, 2: a bad line). */
static int read_config_file(server_config_t *cfg, cmdline_t *cl)
{
    const char *path = cl->config;
    if (cl->no_config)
        return -1;
    struct stat st;
    if (!path && stat(DEFAULT_CONFIG_FILE, &st) == 0)
        path = DEFAULT_CONFIG_FILE;
    if (!path)
        return -1;
    file_ctx_t fc = { cfg, cl };
    char err[1024];
    config_status_t rc = config_read(path, file_pair, &fc, &cl->values, err, sizeof err);
    if (rc == CONFIG_OK)
        return -1;
    fprintf(stderr, "newsd: %s\n", err);
    return rc == CONFIG_UNREADABLE ? 1 : 2;
}

/* The command line's options, over the file's settings: a scalar replaces the file's
 * value; the first --listen (--http, --corpus-root) replaces the file's whole list; the first
 * --index or --shard replaces what the file said to serve (its index and its shards).
 * Returns -1 to go on, or the exit status. */
static int apply_command_line(server_config_t *cfg, cmdline_t *cl)
{
    int listen_seen = 0, http_seen = 0, roots_seen = 0, target_seen = 0;
    for (size_t i = 0; i < cl->npairs; i++) {
        int c = cl->pairs[i].c;
        if (c == 'l' && !listen_seen++)
            cfg->nlisten = 0;
        if (c == OPT_HTTP && !http_seen++)
            cfg->nhttp = 0;
        if (c == OPT_CORPUS_ROOT && !roots_seen++)
            cfg->ncorpus_roots = 0;
        if ((c == 'i' || c == 's') && !target_seen++) {
            cfg->index_path = NULL;
            cl->nshard_args = 0;
        }
        char msg[1024];
        if (apply_option(c, cl->pairs[i].arg, cfg, cl, msg, sizeof msg) != 0)
            return usage_error("%s", msg);
    }
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

/* --check-config's last step: the index opens as the workers will open it (a remote
 * shard that does not answer is down, as at start, and fails nothing).  Returns 0 or 1
 * (message printed). */
static int check_index_opens(const server_config_t *cfg)
{
    newsidx_reader_t *r = NULL;
    newsidx_status_t st =
        cfg->nshards ? newsidx_reader_open_shards((const char *const *)cfg->shards,
                                                  cfg->nshards, cfg->shard_timeout_ms, &r)
                     : newsidx_reader_open(cfg->index_path, &r);
    if (st != NEWSIDX_OK)
        fprintf(stderr, "newsd: cannot open the index %s: %s\n",
                cfg->nshards ? "shards" : cfg->index_path,
                r ? newsidx_reader_error(r) : newsidx_status_name(st));
    newsidx_reader_close(r);
    return st == NEWSIDX_OK ? 0 : 1;
}

/* The default addresses when neither the file nor the command line names one.  Returns
 * -1 to go on, or the exit status. */
static int default_listeners(server_config_t *cfg)
{
    static char tcp[64], unix_addr[600];
    char path[512], err[700];
    if (sockdir_default_path(path, sizeof path, 1, err, sizeof err) != SOCKDIR_OK) {
        fprintf(stderr, "newsd: %s\n", err);
        return 1;
    }
    snprintf(tcp, sizeof tcp, "%s:%d", NEWSD_DEFAULT_HOST, NEWSD_DEFAULT_PORT);
    snprintf(unix_addr, sizeof unix_addr, "unix:%s", path);
    cfg->listen[cfg->nlisten++] = tcp;
    cfg->listen[cfg->nlisten++] = unix_addr;
    return -1;
}

/* Everything up to the start: the file, the command line, the shards, the token (and
 * with --check-config, the index).  Returns -1 to start, or the exit status. */
static int configure(int argc, char **argv, server_config_t *cfg, cmdline_t *cl)
{
    set_defaults(cfg);
    int rc = scan_command_line(argc, argv, cl);
    if (rc >= 0)                    /* --help, --version, or a usage error */
        return cl->check && rc != 0 ? 1 : rc;
    rc = read_config_file(cfg, cl);
    if (rc < 0)
        rc = apply_command_line(cfg, cl);
    if (rc < 0)
        rc = expand_shards(cfg, cl);
    if (rc < 0 && cfg->auth_token_file) {
        char err[600];
        if (auth_token_load(cfg->auth_token_file, cfg->auth_token, &cfg->auth_token_len,
                            err, sizeof err) != 0) {
            fprintf(stderr, "newsd: %s\n", err);
            rc = 1;
        }
    }
    if (!cl->check)
        return rc;
    if (rc < 0)
        rc = check_index_opens(cfg);
    if (rc == 0)
        printf("configuration OK\n");
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    notify_init();
    server_config_t cfg;
    cmdline_t cl = { 0 };
    int rc = configure(argc, argv, &cfg, &cl);
    if (rc < 0 && cl.log_path) {
        char err[600];
        if (log_open(cl.log_path, err, sizeof err) != 0) {
            fprintf(stderr, "newsd: %s\n", err);
            rc = 1;
        }
    }
    if (rc < 0 && cfg.nlisten == 0)
        rc = default_listeners(&cfg);
    if (rc < 0)
        rc = server_run(&cfg);
    newsidx_shards_free(cfg.shards, cfg.nshards);
    config_values_free(&cl.values);
    free(cl.pairs);
    return rc;
}
