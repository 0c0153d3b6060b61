/*
 * newsq.h: what the parts of newsq share.  newsq is a thin client: it parses its command
 * line (opts.c), opens one connection to newsd and exchanges request and reply lines
 * (net.c), prints replies for people (print.c, facets.c), and runs the subcommands
 * (newsq.c).  It
 * knows only the line protocol (newsd(8)) and asks for every reply in JSON.
 */
#ifndef NEWSQ_H
#define NEWSQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "version.h"

#define NEWSQ_VERSION NEWSD_VERSION

/* Exit statuses, as grep's. */
enum {
    NQ_EXIT_FOUND = 0,    /* something found, or the command succeeded */
    NQ_EXIT_NOTHING = 1,  /* nothing found */
    NQ_EXIT_ERROR = 2,    /* usage, connection or server error */
};

enum nq_cmd { NQ_SEARCH, NQ_COUNT, NQ_GET, NQ_STATS, NQ_ADD, NQ_REINDEX, NQ_STATUS, NQ_SIMILAR, NQ_DUPS,
              NQ_HELP, NQ_VERSION };
enum nq_color { NQ_COLOR_AUTO, NQ_COLOR_ALWAYS, NQ_COLOR_NEVER };

struct nq_opts {
    enum nq_cmd cmd;
    const char *addr;        /* -a or NEWSQ_ADDR; NULL: the daemon's default addresses */
    double timeout_s;
    long limit;              /* -1: the daemon's default */
    long offset;             /* -1: none */
    const char *sort, *since, *until, *source, *topic;  /* NULL: not given */
    const char *place, *not_source, *not_topic, *not_place;  /* comma lists; NULL: none */
    const char *facets;      /* --facets: comma list of facet names; NULL: none */
    long facet_limit;        /* --facet-limit; -1: the daemon's default */
    long recent;             /* --recent[=DAYS]: recency half-life; 0: relevance alone */
    bool exact, json, no_snippet, best_snippet;
    bool partial;         /* --partial: partial=1, missing shards named on stderr */
    bool explain;         /* --explain: explain=1, each hit's weights and the parsed query */
    bool fix;             /* --fix: run the daemon's "did you mean" instead, when it has one */
    bool no_collapse;     /* --no-collapse: collapse=0, every near-duplicate its own hit */
    enum nq_color color;
    char *query;             /* SEARCH and COUNT: the words joined by spaces (owned) */
    const char *id;          /* GET, SIMILAR, DUPS */
    const char *file;        /* ADD: a path, or "-" for stdin */
    char **paths;            /* REINDEX: absolute paths (owned, each and the array) */
    int npaths;
    bool detach, cancel;     /* REINDEX: --detach, --cancel */
    const char *token_file;  /* --auth-token-file or NEWSQ_AUTH_TOKEN_FILE; NULL: none */
};

/* opts.c */
/* Fills *o from argv and the environment.  Returns 0, or NQ_EXIT_ERROR after printing a
 * usage error on stderr. */
int opts_parse(struct nq_opts *o, int argc, char **argv);
void opts_free(struct nq_opts *o);
void opts_usage(FILE *f);

/* net.c */
struct nq_conn {
    int fd;
    FILE *in;                /* buffered reader over fd */
    char where[300];         /* the address connected to, for messages */
    bool named;              /* the user named the address (-a, NEWSQ_ADDR): only such
                                an address is sent the token */
    double timeout_s;
    char *line;              /* the last reply line read, NUL-terminated, without '\n' */
    size_t line_cap;
};

/* Connects to addr, or when it is NULL to the daemon's default addresses in turn.
 * Returns 0, or NQ_EXIT_ERROR after printing one line on stderr naming every address
 * tried (or the malformed address). */
int net_open(struct nq_conn *c, const char *addr, double timeout_s);
void net_close(struct nq_conn *c);
/* Writes all of buf.  Returns 0, or -1 after printing why on stderr. */
int net_write(struct nq_conn *c, const char *buf, size_t len);
/* 1 when c is connected through a Unix socket (writes need no AUTH there). */
bool net_is_unix(const struct nq_conn *c);
/* Reads one reply line into c->line (its length in *len).  Returns 0, or -1 after
 * printing why on stderr (timeout, connection closed, too long). */
int net_read_line(struct nq_conn *c, size_t *len);

/* A parsed reply: *obj is the JSON object (the caller decrefs it) on "ok"; on an error
 * reply code and message point into *obj or into the line.  Returns 0 for ok, 1 for an
 * error reply, -1 for an unreadable reply (message printed). */
int net_parse_reply(struct nq_conn *c, size_t len, json_t **obj, const char **code,
                    const char **msg);

/* print.c */
void print_init(FILE *out, enum nq_color when);
/* Text from the daemon, with control characters made spaces (keep_newlines: body text). */
void print_text(const char *s, size_t n, bool keep_newlines);
void print_hit(json_t *hit);
/* "terms: w title:w ...": the words a SIMILAR reply searched for. */
void print_terms(json_t *obj);
/* --explain: the hit's weighted parts, one line (nothing when the hit has none). */
void print_explain(json_t *hit);
/* Below a search: explain's "Query: ..." and "Did you mean: ...?" (on stderr when the
 * search showed no hits). */
void print_query_notes(json_t *obj, bool hits);
void print_search_footer(long long total, long long shown, long long offset, bool about,
                         long long took_us);
void print_doc(json_t *doc);
/* DUPS: the cluster's name, then one line per member (distance, date, source, id, title). */
void print_dups(json_t *obj);
void print_stats(json_t *obj);

/* facets.c */
/* The reply's "facets" below the hits: the value facets as lists, the time facets (year,
 * month, day) as one bar per bucket, as wide as print_width() allows. */
void print_facets(json_t *obj);
/* Columns to print in: $COLUMNS, else the terminal's width when stdout is one, else
 * NEWSQ_DEFAULT_COLUMNS. */
int print_width(void);

/* Length-aware access to a string member ("" when absent or not a string). */
const char *json_str(json_t *obj, const char *key, size_t *len);
long long json_int(json_t *obj, const char *key);

#endif
