/*
 * opts.c: newsq's command line.  Options may come before, between or after the words;
 * "--" ends the options, so query words may start with '-'.  The first word names a
 * subcommand (get, stats, count, add, similar, dups, search) unless it comes after "--"; otherwise
 * every word is part of the query.  Values that become protocol option values are
 * checked here, since a space in one would end the token on the wire.
 */
#include "newsq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "newsd_limits.h"

void opts_usage(FILE *f)
{
    fprintf(f,
            "usage: newsq [options] QUERY...        search; the words form one query\n"
            "       newsq [options] count QUERY...  the exact number of matches\n"
            "       newsq [options] get ID          one article, every field, body last\n"
            "       newsq [options] similar ID      related stories: articles like that one,\n"
            "                                       with the words searched for (search options\n"
            "                                       apply, but --sort and --count)\n"
            "       newsq [options] dups ID         the article's near-duplicates: its cluster,\n"
            "                                       oldest first, with each one's distance\n"
            "       newsq [options] stats           the daemon's counters\n"
            "       newsq [options] add FILE|-      add JSON Lines articles (- = stdin)\n"
            "       newsq [options] reindex [PATH...]  rebuild the daemon's index from PATHs\n"
            "                                       (default: the paths it was built from)\n"
            "       newsq [options] status          the state of the last rebuild\n"
            "       newsq [options] search QUERY... search, when the first word is a subcommand's\n"
            "\n"
            "search options:\n"
            "  -n, --limit N       hits to show, 0 to %d (default %d)\n"
            "      --offset N      hits to skip, 0 to %d\n"
            "      --sort ORDER    rank (default), date (newest first) or date_asc\n"
            "      --since DATE    only articles from DATE on (YYYY-MM-DD)\n"
            "      --until DATE    only articles up to DATE, inclusive\n"
            "      --source S,..   only articles from one of these sources\n"
            "      --topic T,..    only articles about one of these topics\n"
            "      --place P,..    only articles about one of these places\n"
            "      --not-source S,..  --not-topic T,..  --not-place P,..\n"
            "                      leave out the articles that have one of these\n"
            "      --facets F,..   below the hits, how many matches have each value of\n"
            "                      the facets F: source, topic, place, year, month, day\n"
            "                      (time facets as a bar chart)\n"
            "      --facet-limit N values per source/topic/place facet, 1 to %d\n"
            "                      (default %d)\n"
            "      --recent[=DAYS] rank newer articles higher: relevance plus a weight\n"
            "                      halving every DAYS days of age, 1 to %d (default %d)\n"
            "      --count         print only the exact number of matches\n"
            "      --exact         make the total exact (default: an estimate for large sets)\n"
            "      --partial       sharded index: answer from the shards that are up, and\n"
            "                      name the missing ones on stderr (default: an error)\n"
            "      --explain       each hit's score as the weights of the query's parts,\n"
            "                      and what the parser made of the query\n"
            "      --fix           when the daemon suggests a spelling correction (\"Did\n"
            "                      you mean\"), search for it instead\n"
            "      --no-collapse   list near-duplicates as hits of their own (default: one\n"
            "                      hit per cluster, marked \"(+N similar)\")\n"
            "      --no-snippet    no snippets\n"
            "      --best-snippet  snippets from the best window of the whole text (slower)\n"
            "reindex options:\n"
            "      --detach        start the rebuild and return at once\n"
            "      --cancel        stop the rebuild that is running\n"
            "other options:\n"
            "      --json          print the daemon's JSON replies, one object per line\n"
            "      --color WHEN    highlight: auto (on a terminal; default), always, never\n"
            "  -a, --addr ADDR     the daemon: HOST:PORT, [IPv6]:PORT or unix:PATH\n"
            "                      (default: $NEWSQ_ADDR, else newsd's default socket,\n"
            "                      unix:$XDG_RUNTIME_DIR/%s/%s or unix:%sUID/%s,\n"
            "                      then %s:%d; the token goes only to an address named)\n"
            "      --timeout S     seconds to connect and to wait for each reply (default %d)\n"
            "      --auth-token-file PATH\n"
            "                      add over TCP: the file (mode 0600) holding newsd's token,\n"
            "                      sent with AUTH first (default: $NEWSQ_AUTH_TOKEN_FILE)\n"
            "  -h, --help          this help\n"
            "  -V, --version       the version\n"
            "Use -- before query words that start with '-': newsq -- -foo bar\n"
            "Exit status: 0 found (or done), 1 nothing found, 2 usage, connection or server "
            "error.\n",
            NEWSD_MAX_LIMIT, NEWSD_DEFAULT_LIMIT, NEWSD_MAX_OFFSET, NEWSD_MAX_FACET_LIMIT,
            NEWSD_DEFAULT_FACET_LIMIT, NEWSD_MAX_RECENCY_DAYS, NEWSQ_DEFAULT_RECENT_DAYS,
            NEWSD_SOCKET_DIR_NAME,
            NEWSD_DEFAULT_SOCKET_NAME, NEWSD_SOCKET_TMP_PREFIX, NEWSD_DEFAULT_SOCKET_NAME,
            NEWSD_DEFAULT_HOST, NEWSD_DEFAULT_PORT, NEWSQ_DEFAULT_TIMEOUT_S);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("newsq: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (try newsq --help)\n", stderr);
    va_end(ap);
    return NQ_EXIT_ERROR;
}

/* A count out of its range: "NAME must be a number from LO to HI" (cliopt's range text,
 * in newsq's wording). */
static int range_error(const char *name, long lo, long hi)
{
    char range[96];
    cliopt_range_text(range, sizeof range, "a number", lo, hi);
    return usage_error("%s must be %s", name, range);
}

static bool is_ctl(unsigned char ch) { return ch < 0x20 || ch == 0x7f; }

/* A value sent as name=value must be one token of printable bytes. */
static bool is_token(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (*s == ' ' || is_ctl((unsigned char)*s)) return false;
    return true;
}

/* Joins words with single spaces; control characters (a pasted newline would end the
 * request line) become spaces.  NULL when the result is blank. */
static char *join_words(char **w, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(w[i]) + 1;
    char *q = malloc(len), *p = q;
    if (!q) return NULL;
    for (int i = 0; i < n; i++) {
        if (i) *p++ = ' ';
        for (const char *s = w[i]; *s; s++) *p++ = is_ctl((unsigned char)*s) ? ' ' : *s;
    }
    *p = '\0';
    if (strspn(q, " ") == strlen(q)) {
        free(q);
        return NULL;
    }
    return q;
}

/* REINDEX paths are the daemon's: made absolute here, so that "newsq reindex corpus"
 * means this folder's corpus (the daemon runs elsewhere).  A path that does not exist
 * here is taken as it is when absolute (it may exist only on the daemon's host). */
static int resolve_paths(struct nq_opts *o, char **w, int n)
{
    o->paths = calloc((size_t)n + 1, sizeof *o->paths);
    if (!o->paths) return usage_error("out of memory");
    for (int i = 0; i < n; i++) {
        for (const char *s = w[i]; *s; s++)
            if (is_ctl((unsigned char)*s))
                return usage_error("a path cannot hold control characters");
        char *abs = realpath(w[i], NULL);
        if (!abs && w[i][0] != '/')
            return usage_error("%s: %s", w[i], strerror(errno));
        o->paths[o->npaths++] = abs ? abs : strdup(w[i]);
        if (!o->paths[o->npaths - 1]) return usage_error("out of memory");
    }
    return 0;
}

enum { O_LIMIT, O_OFFSET, O_SORT, O_SINCE, O_UNTIL, O_SOURCE, O_TOPIC, O_COUNT, O_EXACT,
       O_NOSNIP, O_BESTSNIP, O_JSON, O_COLOR, O_ADDR, O_TIMEOUT, O_HELP, O_VERSION, O_DETACH, O_CANCEL,
       O_TOKEN, O_PARTIAL, O_PLACE, O_NOT_SOURCE, O_NOT_TOPIC, O_NOT_PLACE, O_FACETS,
       O_FACET_LIMIT, O_RECENT, O_EXPLAIN, O_FIX, O_NO_COLLAPSE };

static const struct {
    const char *shrt, *lng;
    int id;
    bool value;
    bool search_only;   /* meaningless for get, stats and add */
} OPTS[] = {
    { "-n", "--limit", O_LIMIT, true, true },     { NULL, "--offset", O_OFFSET, true, true },
    { NULL, "--sort", O_SORT, true, true },       { NULL, "--since", O_SINCE, true, true },
    { NULL, "--until", O_UNTIL, true, true },     { NULL, "--source", O_SOURCE, true, true },
    { NULL, "--topic", O_TOPIC, true, true },     { NULL, "--count", O_COUNT, false, true },
    { NULL, "--exact", O_EXACT, false, true },    { NULL, "--no-snippet", O_NOSNIP, false, true },
    { NULL, "--json", O_JSON, false, false },     { NULL, "--color", O_COLOR, true, false },
    { "-a", "--addr", O_ADDR, true, false },      { NULL, "--timeout", O_TIMEOUT, true, false },
    { "-h", "--help", O_HELP, false, false },     { "-V", "--version", O_VERSION, false, false },
    { NULL, "--detach", O_DETACH, false, false }, { NULL, "--cancel", O_CANCEL, false, false },
    { NULL, "--auth-token-file", O_TOKEN, true, false },
    { NULL, "--best-snippet", O_BESTSNIP, false, true },
    { NULL, "--partial", O_PARTIAL, false, true },
    { NULL, "--place", O_PLACE, true, true },
    { NULL, "--not-source", O_NOT_SOURCE, true, true },
    { NULL, "--not-topic", O_NOT_TOPIC, true, true },
    { NULL, "--not-place", O_NOT_PLACE, true, true },
    { NULL, "--facets", O_FACETS, true, true },
    { NULL, "--facet-limit", O_FACET_LIMIT, true, true },
    { NULL, "--recent", O_RECENT, false, true },  /* its =DAYS is optional */
    { NULL, "--explain", O_EXPLAIN, false, true },
    { NULL, "--fix", O_FIX, false, true },
    { NULL, "--no-collapse", O_NO_COLLAPSE, false, true },
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

/* Finds the option arg names; *inline_val is set for --name=value and -nVALUE. */
static int find_opt(const char *arg, const char **inline_val)
{
    *inline_val = NULL;
    for (size_t i = 0; i < NOPTS; i++) {
        size_t ln = strlen(OPTS[i].lng);
        if (strncmp(arg, OPTS[i].lng, ln) == 0) {
            if (arg[ln] == '\0') return (int)i;
            if (arg[ln] == '=' && (OPTS[i].value || OPTS[i].id == O_RECENT)) {
                *inline_val = arg + ln + 1;
                return (int)i;
            }
        }
        if (OPTS[i].shrt && strncmp(arg, OPTS[i].shrt, 2) == 0) {
            if (arg[2] == '\0') return (int)i;
            if (OPTS[i].value) {
                *inline_val = arg + 2;
                return (int)i;
            }
        }
    }
    return -1;
}

static int set_opt(struct nq_opts *o, int id, const char *name, const char *v)
{
    switch (id) {
    case O_LIMIT:
        if (cliopt_parse_long(v, 0, NEWSD_MAX_LIMIT, &o->limit) != 0)
            return range_error(name, 0, NEWSD_MAX_LIMIT);
        break;
    case O_OFFSET:
        if (cliopt_parse_long(v, 0, NEWSD_MAX_OFFSET, &o->offset) != 0)
            return range_error(name, 0, NEWSD_MAX_OFFSET);
        break;
    case O_SORT:
        if (strcmp(v, "rank") && strcmp(v, "date") && strcmp(v, "date_asc"))
            return usage_error("%s must be rank, date or date_asc, not '%s'", name, v);
        o->sort = v;
        break;
    case O_SINCE: case O_UNTIL: case O_SOURCE: case O_TOPIC: case O_PLACE:
    case O_NOT_SOURCE: case O_NOT_TOPIC: case O_NOT_PLACE: case O_FACETS:
        if (!is_token(v)) return usage_error("%s needs a value without spaces, not '%s'", name, v);
        if (id == O_SINCE) o->since = v;
        else if (id == O_UNTIL) o->until = v;
        else if (id == O_SOURCE) o->source = v;
        else if (id == O_TOPIC) o->topic = v;
        else if (id == O_PLACE) o->place = v;
        else if (id == O_NOT_SOURCE) o->not_source = v;
        else if (id == O_NOT_TOPIC) o->not_topic = v;
        else if (id == O_NOT_PLACE) o->not_place = v;
        else o->facets = v;
        break;
    case O_FACET_LIMIT:
        if (cliopt_parse_long(v, 1, NEWSD_MAX_FACET_LIMIT, &o->facet_limit) != 0)
            return range_error(name, 1, NEWSD_MAX_FACET_LIMIT);
        break;
    case O_RECENT:
        o->recent = NEWSQ_DEFAULT_RECENT_DAYS;
        if (v && cliopt_parse_long(v, 1, NEWSD_MAX_RECENCY_DAYS, &o->recent) != 0)
            return usage_error("%s takes a half-life in days, 1 to %d, not '%s'", name,
                               NEWSD_MAX_RECENCY_DAYS, v);
        break;
    case O_COLOR:
        if (strcmp(v, "auto") == 0) o->color = NQ_COLOR_AUTO;
        else if (strcmp(v, "always") == 0) o->color = NQ_COLOR_ALWAYS;
        else if (strcmp(v, "never") == 0) o->color = NQ_COLOR_NEVER;
        else return usage_error("%s must be auto, always or never, not '%s'", name, v);
        break;
    case O_ADDR:
        if (!*v) return usage_error("%s needs an address", name);
        o->addr = v;
        break;
    case O_TIMEOUT:
        if (cliopt_parse_real_above(v, 0, NEWSQ_MAX_TIMEOUT_S, &o->timeout_s) != 0)
            return usage_error("%s must be a number of seconds above 0 and up to %d", name,
                               NEWSQ_MAX_TIMEOUT_S);
        break;
    case O_TOKEN:
        if (!*v) return usage_error("%s needs a path", name);
        o->token_file = v;
        break;
    case O_COUNT: o->cmd = NQ_COUNT; break;
    case O_EXACT: o->exact = true; break;
    case O_PARTIAL: o->partial = true; break;
    case O_EXPLAIN: o->explain = true; break;
    case O_FIX: o->fix = true; break;
    case O_NO_COLLAPSE: o->no_collapse = true; break;
    case O_NOSNIP: o->no_snippet = true; break;
    case O_BESTSNIP: o->best_snippet = true; break;
    case O_JSON: o->json = true; break;
    case O_DETACH: o->detach = true; break;
    case O_CANCEL: o->cancel = true; break;
    }
    return 0;
}

/* The defaults, then the environment's address and token file. */
static void set_defaults(struct nq_opts *o)
{
    memset(o, 0, sizeof *o);
    o->cmd = NQ_SEARCH;
    o->limit = -1;
    o->offset = -1;
    o->facet_limit = -1;
    o->timeout_s = NEWSQ_DEFAULT_TIMEOUT_S;
    const char *env = getenv("NEWSQ_ADDR");
    if (env && *env) o->addr = env;
    env = getenv("NEWSQ_AUTH_TOKEN_FILE");
    if (env && *env) o->token_file = env;
}

/* The command line sorted: the words in order, and what the options said that the
 * subcommand decides about. */
struct sorted_args {
    char **words;
    int nwords;
    int before_dashdash;        /* words before "--"; -1 when there is none */
    bool help, version, count_flag;
    const char *search_only;    /* the first search option given, by its long name */
};

/* Sorts argv into options (set on o) and words (into a, whose words the caller frees). */
static int sort_args(struct nq_opts *o, int argc, char **argv, struct sorted_args *a)
{
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *arg = argv[i];
        if (a->before_dashdash < 0 && strcmp(arg, "--") == 0) {
            a->before_dashdash = a->nwords;
            continue;
        }
        if (a->before_dashdash >= 0 || arg[0] != '-' || arg[1] == '\0') {
            a->words[a->nwords++] = argv[i];
            continue;
        }
        const char *val;
        int k = find_opt(arg, &val);
        if (k < 0) {
            rc = usage_error("unknown option '%s'%s", arg,
                             "; put -- before query words that start with '-'");
            break;
        }
        if (OPTS[k].value && !val) {
            if (i + 1 >= argc) {
                rc = usage_error("%s needs a value", arg);
                break;
            }
            val = argv[++i];
        }
        if (OPTS[k].search_only && !a->search_only) a->search_only = OPTS[k].lng;
        if (OPTS[k].id == O_HELP) a->help = true;
        else if (OPTS[k].id == O_VERSION) a->version = true;
        else rc = set_opt(o, OPTS[k].id, arg[1] == '-' ? OPTS[k].lng : OPTS[k].shrt, val);
        if (OPTS[k].id == O_COUNT) a->count_flag = true;
    }
    if (!rc && o->no_snippet && o->best_snippet)
        rc = usage_error("--no-snippet and --best-snippet exclude each other");
    return rc;
}

/* reindex [PATH...] and status. */
static int parse_reindex_status(struct nq_opts *o, const char *sub, const struct sorted_args *a)
{
    if (a->search_only)
        return usage_error("%s does not apply to '%s'", a->search_only, sub);
    if (sub[0] == 's') {
        o->cmd = NQ_STATUS;
        return a->nwords != 1 ? usage_error("'status' takes no argument") : 0;
    }
    o->cmd = NQ_REINDEX;
    if (o->cancel && a->nwords > 1)
        return usage_error("--cancel takes no paths");
    return resolve_paths(o, a->words + 1, a->nwords - 1);
}

/* get ID, stats and add FILE|-. */
static int parse_get_stats_add(struct nq_opts *o, const char *sub, const struct sorted_args *a)
{
    if (a->search_only)
        return usage_error("%s does not apply to '%s'", a->search_only, sub);
    int want = strcmp(sub, "stats") == 0 ? 1 : 2;
    if (a->nwords != want)
        return usage_error("'%s' takes %s", sub,
                           want == 1 ? "no argument"
                           : sub[0] == 'g' ? "one argument, the id" : "one argument, FILE or -");
    if (sub[0] == 's') {
        o->cmd = NQ_STATS;
    } else if (sub[0] == 'a') {
        o->cmd = NQ_ADD;
        o->file = a->words[1];
    } else {
        o->cmd = NQ_GET;
        o->id = a->words[1];
        for (const char *s = o->id; *s; s++)
            if (is_ctl((unsigned char)*s))
                return usage_error("an id cannot hold control characters");
        if (strspn(o->id, " ") == strlen(o->id))
            return usage_error("'get' needs an id");
    }
    return 0;
}

/* similar ID: a search for the articles like one, with the search options but --sort
 * (related stories come best first) and --count. */
static int parse_similar(struct nq_opts *o, const struct sorted_args *a)
{
    if (o->sort || a->count_flag)
        return usage_error("%s does not apply to 'similar'", o->sort ? "--sort" : "--count");
    if (o->facet_limit >= 0 && !o->facets)
        return usage_error("--facet-limit needs --facets");
    if (a->nwords != 2)
        return usage_error("'similar' takes one argument, the id");
    o->cmd = NQ_SIMILAR;
    o->id = a->words[1];
    for (const char *s = o->id; *s; s++)
        if (is_ctl((unsigned char)*s) || *s == ' ')
            return usage_error("an id for 'similar' cannot hold spaces or control characters");
    return 0;
}

/* dups ID: the article's near-duplicate cluster; no search option applies. */
static int parse_dups(struct nq_opts *o, const struct sorted_args *a)
{
    if (a->search_only)
        return usage_error("%s does not apply to 'dups'", a->search_only);
    if (a->nwords != 2)
        return usage_error("'dups' takes one argument, the id");
    o->cmd = NQ_DUPS;
    o->id = a->words[1];
    for (const char *s = o->id; *s; s++)
        if (is_ctl((unsigned char)*s))
            return usage_error("an id cannot hold control characters");
    if (strspn(o->id, " ") == strlen(o->id))
        return usage_error("'dups' needs an id");
    return 0;
}

/* A search or a count: the words (after "count" or "search", if named) form the query. */
static int parse_query(struct nq_opts *o, const char *sub, const struct sorted_args *a)
{
    char **rest = a->words;
    int nrest = a->nwords;
    if (strcmp(sub, "count") == 0 || strcmp(sub, "search") == 0) {
        if (sub[0] == 'c') o->cmd = NQ_COUNT;
        rest++;
        nrest--;
    }
    if (a->count_flag) o->cmd = NQ_COUNT;
    if (o->cmd == NQ_COUNT && o->recent)
        return usage_error("--recent applies to a search, not a count");
    if (o->recent && o->sort && strcmp(o->sort, "rank") != 0)
        return usage_error("--recent ranks by relevance and age: not with --sort %s", o->sort);
    if (o->cmd == NQ_COUNT && (o->facets || o->facet_limit >= 0))
        return usage_error("%s applies to a search, not a count",
                           o->facets ? "--facets" : "--facet-limit");
    if (o->cmd == NQ_COUNT && (o->explain || o->fix))
        return usage_error("%s applies to a search, not a count",
                           o->explain ? "--explain" : "--fix");
    if (o->facet_limit >= 0 && !o->facets)
        return usage_error("--facet-limit needs --facets");
    if (nrest == 0)
        return usage_error("no query");
    o->query = join_words(rest, nrest);
    return o->query ? 0 : usage_error("the query is empty");
}

/* Reads the subcommand off the sorted words; only a word before "--" can name one. */
static int parse_subcommand(struct nq_opts *o, struct sorted_args *a)
{
    if (a->help || a->version) {
        o->cmd = a->help ? NQ_HELP : NQ_VERSION;
        return 0;
    }
    if (a->before_dashdash < 0) a->before_dashdash = a->nwords;
    const char *sub = a->before_dashdash > 0 ? a->words[0] : "";
    if ((o->detach || o->cancel) && strcmp(sub, "reindex") != 0)
        return usage_error("%s applies only to 'reindex'", o->detach ? "--detach" : "--cancel");
    if (strcmp(sub, "reindex") == 0 || strcmp(sub, "status") == 0)
        return parse_reindex_status(o, sub, a);
    if (strcmp(sub, "get") == 0 || strcmp(sub, "stats") == 0 || strcmp(sub, "add") == 0)
        return parse_get_stats_add(o, sub, a);
    if (strcmp(sub, "similar") == 0)
        return parse_similar(o, a);
    if (strcmp(sub, "dups") == 0)
        return parse_dups(o, a);
    return parse_query(o, sub, a);
}

/* Sorts argv into options and words, then reads the subcommand off the words. */
int opts_parse(struct nq_opts *o, int argc, char **argv)
{
    set_defaults(o);
    struct sorted_args a = { .before_dashdash = -1 };
    a.words = calloc((size_t)argc + 1, sizeof *a.words);
    if (!a.words) return usage_error("out of memory");
    int rc = sort_args(o, argc, argv, &a);
    if (rc == 0)
        rc = parse_subcommand(o, &a);
    free(a.words);
    return rc;
}

void opts_free(struct nq_opts *o)
{
    free(o->query);
    o->query = NULL;
    for (int i = 0; i < o->npaths; i++) free(o->paths[i]);
    free(o->paths);
    o->paths = NULL;
    o->npaths = 0;
}
