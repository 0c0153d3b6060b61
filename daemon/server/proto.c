/*
 * proto.c: the request-line parser (see proto.h) and the table of commands with their
 * options.  Checks run in an order that makes the message useful: bytes first (NUL,
 * control, UTF-8), then the HTTP request line, then the command, options and argument.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto.h"
#include "utf8.h"

static const char *const search_opts[] = { "limit", "offset", "snippet", "sort", "since",
                                           "until", "source", "topic", "place",
                                           "not_source", "not_topic", "not_place", "facets",
                                           "facet_limit", "exact", "partial", "explain",
                                           "format", "recency", "collapse", NULL };
/* No facets on COUNT: they are a SEARCH option (limit=0 facets=... counts and facets). */
static const char *const count_opts[] = { "since", "until", "source", "topic", "place",
                                          "not_source", "not_topic", "not_place", "partial",
                                          "format", "collapse", NULL };
/* SEARCH's options but sort: related stories come best first. */
static const char *const similar_opts[] = { "limit", "offset", "snippet", "since", "until",
                                            "source", "topic", "place", "not_source",
                                            "not_topic", "not_place", "facets", "facet_limit",
                                            "exact", "partial", "format", "collapse", NULL };
/* DUPS runs a lookup under the deadline; partial=1 answers while a shard is down. */
static const char *const dups_opts[] = { "partial", "format", NULL };
static const char *const format_only[] = { "format", NULL };
static const char *const no_opts[] = { NULL };
static const char *const reindex_opts[] = { "cancel", "format", NULL };

static const proto_command_t commands[] = {
    { "SEARCH", PROTO_CMD_SEARCH, PROTO_ARG_REQUIRED, 0, search_opts,
      "SEARCH [limit=N offset=N snippet=0|1|best sort=rank|date|date_asc since=DAY until=DAY "
      "source=S,.. topic=T,.. place=P,.. not_source=S,.. not_topic=T,.. not_place=P,.. "
      "facets=F,.. facet_limit=N exact=0|1 partial=0|1 explain=0|1 recency=DAYS "
      "collapse=0|1 format=text|json] QUERY" },
    { "COUNT", PROTO_CMD_COUNT, PROTO_ARG_REQUIRED, 0, count_opts,
      "COUNT [since=DAY until=DAY source=S,.. topic=T,.. place=P,.. not_source=S,.. "
      "not_topic=T,.. not_place=P,.. partial=0|1 collapse=0|1 format=F] QUERY" },
    { "SIMILAR", PROTO_CMD_SIMILAR, PROTO_ARG_REQUIRED, 0, similar_opts,
      "SIMILAR [limit=N offset=N snippet=0|1|best since=DAY until=DAY source=S,.. topic=T,.. "
      "place=P,.. not_source=S,.. not_topic=T,.. not_place=P,.. facets=F,.. facet_limit=N "
      "exact=0|1 partial=0|1 collapse=0|1 format=F] ID" },
    { "DUPS", PROTO_CMD_DUPS, PROTO_ARG_REQUIRED, 0, dups_opts,
      "DUPS [partial=0|1 format=F] ID" },
    { "GET", PROTO_CMD_GET, PROTO_ARG_REQUIRED, 0, format_only, "GET [format=F] ID" },
    { "ADD", PROTO_CMD_ADD, PROTO_ARG_REQUIRED, PROTO_WRITE | PROTO_QUEUED, format_only,
      "ADD [format=F] {\"id\":..,\"title\":..,\"body\":..,\"date\":..,\"source\":..}" },
    { "DELETE", PROTO_CMD_DELETE, PROTO_ARG_REQUIRED, PROTO_WRITE | PROTO_QUEUED, format_only,
      "DELETE [format=F] ID" },
    { "STATS", PROTO_CMD_STATS, PROTO_ARG_NONE, 0, format_only, "STATS [format=F]" },
    { "PING", PROTO_CMD_PING, PROTO_ARG_NONE, 0, format_only, "PING [format=F]" },
    { "HELP", PROTO_CMD_HELP, PROTO_ARG_NONE, 0, format_only, "HELP [format=F]" },
    { "QUIT", PROTO_CMD_QUIT, PROTO_ARG_NONE, 0, format_only, "QUIT [format=F]" },
    { "FORMAT", PROTO_CMD_FORMAT, PROTO_ARG_REQUIRED, 0, no_opts, "FORMAT text|json" },
    { "REINDEX", PROTO_CMD_REINDEX, PROTO_ARG_OPTIONAL, PROTO_WRITE, reindex_opts,
      "REINDEX [cancel=1 format=F] [PATH ...]" },
    { "STATUS", PROTO_CMD_STATUS, PROTO_ARG_NONE, 0, format_only, "STATUS [format=F]" },
    { "AUTH", PROTO_CMD_AUTH, PROTO_ARG_REQUIRED, PROTO_SECRET, format_only,
      "AUTH [format=F] TOKEN" },
};

const proto_command_t *proto_commands(size_t *n)
{
    *n = sizeof commands / sizeof commands[0];
    return commands;
}

static size_t skip_space(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i;
}

/* The command named tok[0..n), in any case; NULL when none is. */
static const proto_command_t *lookup(const char *tok, size_t n)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strlen(commands[i].name) == n && strncasecmp(commands[i].name, tok, n) == 0)
            return &commands[i];
    return NULL;
}

const proto_command_t *proto_find(const char *line, size_t len)
{
    size_t i = skip_space(line, len), end = i;
    while (end < len && line[end] != ' ' && line[end] != '\t')
        end++;
    return lookup(line + i, end - i);
}

int proto_is_secret_line(const char *line, size_t len)
{
    size_t i = skip_space(line, len);
    /* Whatever follows the name: "AUTH\x01secret" must not be quoted either. */
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        size_t n = strlen(commands[k].name);
        if ((commands[k].flags & PROTO_SECRET) && len - i >= n &&
            strncasecmp(line + i, commands[k].name, n) == 0)
            return 1;
    }
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Next token of line[*pos..len): sets *tok and *toklen, advances *pos past it.  0 at end. */
static int next_token(const char *line, size_t len, size_t *pos, const char **tok,
                      size_t *toklen)
{
    size_t i = *pos;
    while (i < len && is_space(line[i]))
        i++;
    if (i == len) {
        *pos = i;
        return 0;
    }
    size_t start = i;
    while (i < len && !is_space(line[i]))
        i++;
    *tok = line + start;
    *toklen = i - start;
    *pos = i;
    return 1;
}

/* "METHOD target HTTP/x": three or more tokens, an upper-case first, the last "HTTP/". */
static int is_http(const char *line, size_t len)
{
    size_t pos = 0, n, count = 0;
    const char *tok, *last = NULL, *first = NULL;
    size_t last_len = 0, first_len = 0;
    while (next_token(line, len, &pos, &tok, &n)) {
        if (count++ == 0) {
            first = tok;
            first_len = n;
        }
        last = tok;
        last_len = n;
    }
    if (count < 3 || last_len < 5 || strncmp(last, "HTTP/", 5) != 0)
        return 0;
    for (size_t i = 0; i < first_len; i++)
        if (first[i] < 'A' || first[i] > 'Z')
            return 0;
    return 1;
}

/* A token "name=..." with name of lowercase letters and '_': the length of name, else 0. */
static size_t option_name_len(const char *tok, size_t n)
{
    size_t i = 0;
    while (i < n && ((tok[i] >= 'a' && tok[i] <= 'z') || tok[i] == '_'))
        i++;
    return i > 0 && i < n && tok[i] == '=' ? i : 0;
}

static int allowed(const proto_command_t *c, const char *name)
{
    for (const char *const *o = c->options; *o; o++)
        if (strcmp(*o, name) == 0)
            return 1;
    return 0;
}

static proto_status_t fail(proto_status_t st, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static proto_status_t fail(proto_status_t st, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return st;
}

static proto_status_t parse_options(const char *line, size_t len, size_t *pos,
                                    proto_request_t *req, char *err, size_t errlen)
{
    const proto_command_t *c = req->command;
    for (;;) {
        size_t before = *pos, n;
        const char *tok;
        if (!next_token(line, len, pos, &tok, &n))
            return PROTO_OK;
        if (n == 2 && tok[0] == '-' && tok[1] == '-')
            return PROTO_OK;   /* "--": the argument starts after it */
        size_t nl = option_name_len(tok, n);
        if (nl == 0) {
            *pos = before;     /* the argument starts with this token */
            return PROTO_OK;
        }
        if (nl > NEWSD_MAX_OPTION_NAME)
            return fail(PROTO_BAD_REQUEST, err, errlen,
                        "option name longer than %d bytes", NEWSD_MAX_OPTION_NAME);
        size_t vl = n - nl - 1;
        if (vl > NEWSD_MAX_OPTION_VALUE)
            return fail(PROTO_BAD_REQUEST, err, errlen, "value of '%.*s' longer than %d bytes",
                        (int)nl, tok, NEWSD_MAX_OPTION_VALUE);
        if (req->nopts == NEWSD_MAX_OPTIONS)
            return fail(PROTO_BAD_REQUEST, err, errlen, "more than %d options",
                        NEWSD_MAX_OPTIONS);
        proto_option_t *o = &req->opts[req->nopts];
        memcpy(o->name, tok, nl);
        o->name[nl] = '\0';
        memcpy(o->value, tok + nl + 1, vl);
        o->value[vl] = '\0';
        if (!allowed(c, o->name))
            return fail(PROTO_BAD_REQUEST, err, errlen, "unknown option '%s' for %s", o->name,
                        c->name);
        if (proto_option(req, o->name))
            return fail(PROTO_BAD_REQUEST, err, errlen, "option '%s' given twice", o->name);
        req->nopts++;
    }
}

proto_status_t proto_parse(const char *line, size_t len, proto_request_t *req, char *err,
                           size_t errlen)
{
    memset(req, 0, offsetof(proto_request_t, opts));
    req->arg = "";
    if (errlen)
        err[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch == 0)
            return fail(PROTO_BAD_REQUEST, err, errlen, "NUL byte in request");
        if ((ch < 0x20 && ch != '\t') || ch == 0x7F)
            return fail(PROTO_BAD_REQUEST, err, errlen, "control character in request");
    }
    if (!utf8_valid(line, len))
        return fail(PROTO_BAD_REQUEST, err, errlen, "request is not valid UTF-8");
    size_t pos = 0, n;
    const char *tok;
    if (!next_token(line, len, &pos, &tok, &n))
        return PROTO_EMPTY;
    if (is_http(line, len))
        return fail(PROTO_HTTP, err, errlen,
                    "this is the newsd line protocol, not HTTP (send HELP)");
    req->command = lookup(tok, n);
    if (!req->command) {
        size_t show = utf8_cut(tok, n, NEWSD_LOG_SAMPLE_LEN);  /* quote a prefix */
        return fail(PROTO_UNKNOWN_COMMAND, err, errlen, "unknown command '%.*s' (send HELP)",
                    (int)show, tok);
    }
    proto_status_t st = parse_options(line, len, &pos, req, err, errlen);
    if (st != PROTO_OK)
        return st;
    while (pos < len && is_space(line[pos]))
        pos++;
    size_t end = len;
    while (end > pos && is_space(line[end - 1]))
        end--;
    req->arg = line + pos;
    req->arg_len = end - pos;
    if (req->command->arg == PROTO_ARG_NONE && req->arg_len)
        return fail(PROTO_BAD_REQUEST, err, errlen, "%s takes no argument", req->command->name);
    if (req->command->arg == PROTO_ARG_REQUIRED && !req->arg_len)
        return fail(PROTO_BAD_REQUEST, err, errlen, "%s needs an argument: %s",
                    req->command->name, req->command->synopsis);
    return PROTO_OK;
}

const char *proto_option(const proto_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->nopts; i++)
        if (strcmp(req->opts[i].name, name) == 0)
            return req->opts[i].value;
    return NULL;
}
