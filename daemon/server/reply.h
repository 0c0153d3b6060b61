/*
 * reply.h: the reply printer, after notmuch's sprinter.  A command describes its reply
 * once, as a map of keys and values (strings, numbers, lists, maps), and one of two back
 * ends prints it (newsd(8), "Replies"):
 *
 *   JSON  one object on one line, built with jansson: {"status":"ok",...}
 *   text  "OK key=value ..." for the top map's scalars, then, when a member is a list or a
 *         map, its lines and "END": a list of maps gives one tab-separated line per map
 *         (keys left out), a map gives "key<TAB>value" lines, a list inside a line is
 *         comma-separated.  Control characters in text fields become spaces.
 *
 * The text form predates the printer and differs from JSON in a few places; reply_next
 * marks the next member for one back end only, or asks text for a bare value or a line.
 * Usage: reply_begin, members (reply_key then a value), reply_end.
 */
#ifndef NEWSD_REPLY_H
#define NEWSD_REPLY_H

#include <stdint.h>

#include <jansson.h>

struct evbuffer;

typedef enum reply_format { REPLY_TEXT = 0, REPLY_JSON } reply_format_t;

/* For reply_next: how the next member (key and value) is printed. */
enum reply_member {
    REPLY_TEXT_ONLY = 1u << 0,   /* JSON leaves it out */
    REPLY_JSON_ONLY = 1u << 1,   /* text leaves it out */
    REPLY_BARE = 1u << 2,        /* text: on the OK line as the value alone ("OK pong") */
    REPLY_LINE = 1u << 3         /* text: a top-level scalar as a "key<TAB>value" line */
};

/* The deepest nesting a reply uses: the reply's map, a list, a map in it, a list in that,
 * a map in that (SEARCH explain=1: hits, a hit, its terms, a term). */
#define REPLY_MAX_DEPTH 5

typedef struct reply reply_t;

/* One back end; the front (reply.c) handles reply_next's flags before calling it. */
typedef struct reply_ops {
    void (*begin)(reply_t *r, const char *status);
    void (*key)(reply_t *r, const char *key);
    void (*string)(reply_t *r, const char *s);
    void (*uinteger)(reply_t *r, uint64_t v);
    void (*real)(reply_t *r, double v, int decimals);
    void (*boolean)(reply_t *r, int v);
    void (*null)(reply_t *r);
    void (*begin_map)(reply_t *r);
    void (*begin_list)(reply_t *r);
    void (*end_container)(reply_t *r);
    void (*end)(reply_t *r);
} reply_ops_t;

struct reply {
    const reply_ops_t *ops;
    struct evbuffer *out;
    int depth;                   /* open maps and lists, the reply's own map included */
    int mute;                    /* depth of a member this back end leaves out; 0: none */
    unsigned next;               /* reply_next's flags, for the member about to start */
    unsigned member;             /* the flags of the current top-level member */
    const char *key;             /* the current member's key */
    /* text */
    struct evbuffer *body;       /* the lines after the OK line; NULL until one */
    char kind[REPLY_MAX_DEPTH + 1];      /* 'm' map or 'l' list, by depth */
    unsigned count[REPLY_MAX_DEPTH + 1]; /* values printed in the container, by depth */
    /* JSON */
    json_t *stack[REPLY_MAX_DEPTH + 1];
    int oom;
};

/* Starts a reply to out: status "ok" (text "OK") or "error" (text "ERR"). */
void reply_begin(reply_t *r, struct evbuffer *out, reply_format_t f, const char *status);
/* Prints the reply and releases what it holds. */
void reply_end(reply_t *r);

void reply_next(reply_t *r, unsigned flags);
void reply_key(reply_t *r, const char *key);
void reply_string(reply_t *r, const char *s);    /* NULL prints as "" */
void reply_uint(reply_t *r, uint64_t v);
/* v with decimals places in text; in JSON rounded to three places, as every JSON real. */
void reply_real(reply_t *r, double v, int decimals);
void reply_bool(reply_t *r, int v);               /* JSON true/false, text 1/0 */
void reply_null(reply_t *r);
void reply_begin_map(reply_t *r);
void reply_end_map(reply_t *r);
void reply_begin_list(reply_t *r);
void reply_end_list(reply_t *r);

/* A key and its value in one call. */
void reply_kv_string(reply_t *r, const char *key, const char *s);
void reply_kv_uint(reply_t *r, const char *key, uint64_t v);
void reply_kv_real(reply_t *r, const char *key, double v, int decimals);
void reply_kv_bool(reply_t *r, const char *key, int v);

/* A whole error reply: "ERR code message", or {"status":"error","code":..,"message":..}
 * with "shard" (JSON only) before the message when shard is not NULL. */
void reply_error(struct evbuffer *out, reply_format_t f, const char *code, const char *shard,
                 const char *message);

/* x rounded to three decimal places. */
double reply_round3(double x);

#endif
