/*
 * cli.c: newsindex's command line: the options into an options_t, their checks, and
 * --help.  The limits it names come from include/newsd_limits.h.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliopt.h"
#include "indexer.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: newsindex --index DIR [options] PATH...\n"
            "       newsindex --index DIR --compact\n"
            "       newsindex --upgrade DIR\n"
            "\n"
            "Builds or updates the news index DIR from files and folders of news:\n"
            "Reuters-21578 SGML, plain-text articles, JSON Lines and TREC, each plain or .gz.\n"
            "An update reads only the files that changed since the last run.\n"
            "\n"
            "  -i, --index DIR      the index to build or update (required)\n"
            "  -r, --rebuild        build a fresh index and swap it in when done\n"
            "      --prune          delete the documents of files under PATH that are gone\n"
            "      --force          read every file again, changed or not\n"
            "      --compact        compact DIR in place (no PATH)\n"
            "      --upgrade DIR    rewrite the index DIR in place in this version's format\n"
            "      --lock-timeout S wait up to S seconds for another writer (default %d)\n"
            "      --commit-every N documents between commits of an update (default %d)\n"
            "  -j, --jobs N         parallel builders for a fresh build (default: cores, max %d)\n"
            "      --shards N       split a fresh build into N shards by id (1 to %d): DIR/shard-K\n"
            "                       and DIR/shards.stub; updates of DIR route by id by themselves\n"
            "      --include GLOB   only files whose name matches GLOB (repeatable)\n"
            "      --exclude GLOB   skip files whose name matches GLOB (repeatable)\n"
            "      --format F       auto, text, reuters, jsonl or trec (default: auto)\n"
            "      --source NAME    the source (outlet) of records that name none\n"
            "      --progress       show the progress bar even when stderr is not a terminal\n"
            "      --no-progress    never show it\n"
            "      --progress-json  JSON progress lines on stdout (the summary goes to stderr)\n"
            "  -v, --verbose        print the time each phase took\n"
            "  -h, --help           this text\n"
            "  -V, --version        the version\n"
            "\n"
            "Exit status: 0 done, 1 the index could not be written or nothing could be read,\n"
            "2 usage error, 3 the index stayed locked by another writer.\n",
            NEWSD_LOCK_TIMEOUT_S, NEWSD_UPDATE_COMMIT_EVERY, NEWSD_MAX_BUILDERS, NEWSD_MAX_SHARDS);
}

/* The absolute form of a command-line path: its realpath, or for one that does not exist
 * (a folder deleted since the last run, for --prune) the working folder joined to it. */
static char *absolute_path(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    if (errno == ENOMEM)
        return NULL;
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (path[0] == '/')
        return strndup(path, n);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t len = strlen(cwd) + 1 + n + 1;
    char *abs = malloc(len);
    if (abs)
        snprintf(abs, len, "%s/%.*s", cwd, (int)n, path);
    return abs;
}

enum { OPT_INCLUDE = 256, OPT_EXCLUDE, OPT_FORMAT, OPT_SOURCE, OPT_PROGRESS, OPT_NO_PROGRESS,
       OPT_PROGRESS_JSON, OPT_PRUNE, OPT_FORCE, OPT_COMPACT, OPT_LOCK_TIMEOUT,
       OPT_COMMIT_EVERY, OPT_SHARDS, OPT_UPGRADE };

static const struct option longopts[] = {
    { "index", required_argument, NULL, 'i' },
    { "rebuild", no_argument, NULL, 'r' },
    { "prune", no_argument, NULL, OPT_PRUNE },
    { "force", no_argument, NULL, OPT_FORCE },
    { "compact", no_argument, NULL, OPT_COMPACT },
    { "upgrade", required_argument, NULL, OPT_UPGRADE },
    { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
    { "commit-every", required_argument, NULL, OPT_COMMIT_EVERY },
    { "jobs", required_argument, NULL, 'j' },
    { "shards", required_argument, NULL, OPT_SHARDS },
    { "include", required_argument, NULL, OPT_INCLUDE },
    { "exclude", required_argument, NULL, OPT_EXCLUDE },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "source", required_argument, NULL, OPT_SOURCE },
    { "progress", no_argument, NULL, OPT_PROGRESS },
    { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
    { "progress-json", no_argument, NULL, OPT_PROGRESS_JSON },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

/* The defaults, and room for the --include and --exclude lists.  Returns 0 or -1. */
static int set_defaults(int argc, options_t *opt)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    opt->jobs = cores > 0 ? (unsigned)cores : 1;
    if (opt->jobs > NEWSD_MAX_BUILDERS)
        opt->jobs = NEWSD_MAX_BUILDERS;
    opt->lock_timeout = NEWSD_LOCK_TIMEOUT_S;
    opt->commit_every = NEWSD_UPDATE_COMMIT_EVERY;
    opt->progress = isatty(STDERR_FILENO);
    opt->include = calloc((size_t)argc + 1, sizeof *opt->include);
    opt->exclude = calloc((size_t)argc + 1, sizeof *opt->exclude);
    if (!opt->include || !opt->exclude) {
        fprintf(stderr, "newsindex: out of memory\n");
        return -1;
    }
    return 0;
}

/* A ranged option's value into *out (of unsigned type). */
static int ranged(const char *name, const char *unit, const char *arg, long lo, long hi,
                  unsigned *out)
{
    long n;
    if (cliopt_number("newsindex", name, arg, lo, hi, unit, &n) != 0)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* The options that take a value.  Returns 0, or -1 after saying why. */
static int value_option(int c, const char *arg, options_t *opt)
{
    long n;
    switch (c) {
    case OPT_LOCK_TIMEOUT:
        return ranged("--lock-timeout", "seconds", arg, 0, NEWSD_MAX_LOCK_TIMEOUT_S,
                      &opt->lock_timeout);
    case OPT_COMMIT_EVERY:
        if (cliopt_number("newsindex", "--commit-every", arg, 1, NEWSD_MAX_COMMIT_EVERY,
                          "a number", &n) != 0)
            return -1;
        opt->commit_every = (uint64_t)n;
        return 0;
    case 'j':
        return ranged("--jobs", "a number", arg, 1, NEWSD_MAX_BUILDERS, &opt->jobs);
    case OPT_SHARDS:
        return ranged("--shards", "a number", arg, 1, NEWSD_MAX_SHARDS, &opt->shards);
    case OPT_INCLUDE:
        opt->include[opt->ninclude++] = arg;
        return 0;
    case OPT_EXCLUDE:
        opt->exclude[opt->nexclude++] = arg;
        return 0;
    case OPT_FORMAT:
        if (ingest_format_parse(arg, &opt->format) != 0) {
            fprintf(stderr, "newsindex: unknown --format '%s' (auto, text, reuters, jsonl, "
                            "trec)\n", arg);
            return -1;
        }
        return 0;
    case OPT_SOURCE:
        if (!*arg || strlen(arg) > NEWSD_MAX_TAG_LEN) {
            fprintf(stderr, "newsindex: --source takes a name of 1 to %d bytes\n",
                    NEWSD_MAX_TAG_LEN);
            return -1;
        }
        opt->source = arg;
        return 0;
    }
    return -1;
}

/* One option of the command line (index: where --index goes).  Returns 0, or -1 after
 * saying why; --help and --version exit here. */
static int one_option(int c, const char *arg, options_t *opt, const char **index)
{
    switch (c) {
    case 'i':
        *index = arg;
        return 0;
    case 'r':
        opt->rebuild = 1;
        return 0;
    case OPT_PRUNE:
        opt->prune = 1;
        return 0;
    case OPT_FORCE:
        opt->force = 1;
        return 0;
    case OPT_COMPACT:
        opt->compact = 1;
        return 0;
    case OPT_UPGRADE:
        opt->upgrade = arg;
        return 0;
    case OPT_PROGRESS:
        opt->progress = 1;
        return 0;
    case OPT_NO_PROGRESS:
        opt->progress = 0;
        return 0;
    case OPT_PROGRESS_JSON:
        opt->progress_json = 1;
        return 0;
    case 'v':
        opt->verbose = 1;
        return 0;
    case 'h':
        usage(stdout);
        exit(EXIT_OK);
    case 'V':
        printf("newsindex %s (Xapian %s)\n", NEWSD_VERSION_STRING, newsidx_xapian_version());
        exit(EXIT_OK);
    case '?':
        fprintf(stderr, "Try 'newsindex --help'.\n");
        return -1;
    }
    return value_option(c, arg, opt);
}

/* The checks of the options together, once all are read (paths: how many PATHs). */
static int check_options(const options_t *opt, const char *index, int paths)
{
    if (opt->upgrade) {
        if (index || paths || opt->compact || opt->rebuild || opt->prune || opt->force ||
            opt->shards || !*opt->upgrade) {
            fprintf(stderr, "newsindex: --upgrade DIR names the index itself and takes no "
                            "--index, PATH, --compact, --rebuild, --prune, --force or --shards\n"
                            "Try 'newsindex --help'.\n");
            return -1;
        }
        return 0;
    }
    if (!index || !*index) {
        fprintf(stderr, "newsindex: --index DIR is required\nTry 'newsindex --help'.\n");
        return -1;
    }
    if (opt->compact) {
        if (paths || opt->rebuild || opt->prune || opt->force || opt->shards) {
            fprintf(stderr, "newsindex: --compact takes no PATH and no --rebuild, --prune, "
                            "--force or --shards\nTry 'newsindex --help'.\n");
            return -1;
        }
    } else if (!paths) {
        fprintf(stderr, "newsindex: name at least one file or folder to index\n"
                        "Try 'newsindex --help'.\n");
        return -1;
    }
    if (opt->rebuild && opt->prune) {
        fprintf(stderr, "newsindex: --prune is for updates; a --rebuild keeps only what it "
                        "reads anyway\n");
        return -1;
    }
    return 0;
}

/* The index folder without trailing slashes, and the absolute form of each PATH. */
static int set_paths(options_t *opt, const char *index, char **paths, int npaths)
{
    /* A trailing slash would put the work folders inside the index folder. */
    size_t len = strlen(index);
    while (len > 1 && index[len - 1] == '/')
        len--;
    opt->index = strndup(index, len);
    opt->paths = (const char *const *)paths;
    opt->npaths = (size_t)npaths;
    opt->roots = calloc(opt->npaths + 1, sizeof *opt->roots);
    if (!opt->index || !opt->roots) {
        fprintf(stderr, "newsindex: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < opt->npaths; i++) {
        opt->roots[i] = absolute_path(opt->paths[i]);
        if (!opt->roots[i]) {
            fprintf(stderr, "newsindex: %s: cannot make an absolute path: %s\n", opt->paths[i],
                    strerror(errno));
            return -1;
        }
    }
    return 0;
}

int cli_parse(int argc, char **argv, options_t *opt)
{
    if (set_defaults(argc, opt) != 0)
        return -1;
    const char *index = NULL;   /* opt->index is set to a copy at the end */
    int c;
    while ((c = getopt_long(argc, argv, "i:rj:vhV", longopts, NULL)) != -1)
        if (one_option(c, optarg, opt, &index) != 0)
            return -1;
    if (check_options(opt, index, argc - optind) != 0)
        return -1;
    if (opt->upgrade)
        index = opt->upgrade;
    return set_paths(opt, index, argv + optind, argc - optind);
}

void cli_free(options_t *opt)
{
    free(opt->include);
    free(opt->exclude);
    free((char *)opt->index);
    for (size_t i = 0; opt->roots && i < opt->npaths; i++)
        free(opt->roots[i]);
    free(opt->roots);
}
