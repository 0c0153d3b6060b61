/*
 * reply.c: the reply printer (see reply.h): the front, which applies reply_next's flags
 * and keeps the depth, and the two back ends, text and JSON.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "reply.h"

double reply_round3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

/* ---- text ---- */

/* Appends s with every control character (tab, newline included) as a space. */
static void put_field(struct evbuffer *out, const char *s)
{
    const char *p = s;
    while (*p) {
        size_t run = 0;
        while (p[run] && (unsigned char)p[run] >= 0x20 && p[run] != 0x7F)
            run++;
        if (run)
            evbuffer_add(out, p, run);
        p += run;
        if (*p) {
            evbuffer_add(out, " ", 1);
            p++;
        }
    }
}

static struct evbuffer *text_body(reply_t *r)
{
    if (!r->body)
        r->body = evbuffer_new();
    return r->body;
}

static void text_begin(reply_t *r, const char *status)
{
    evbuffer_add_printf(r->out, "%s", strcmp(status, "ok") == 0 ? "OK" : "ERR");
}

static void text_key(reply_t *r, const char *key)
{
    (void)r;
    (void)key;
}

/*
 * Where a scalar goes, by where it stands: on the OK line (a member of the reply's map),
 * as a "key<TAB>value" line (REPLY_LINE, or a member of a map below the reply's), as a
 * line of its own (an item of a list), as a field of a line (a member of a map in a list:
 * tab-separated; an item of a list in a map: comma-separated).
 */
static void text_scalar(reply_t *r, const char *s, int field)
{
    int d = r->depth;
    struct evbuffer *b;
    if (d == 1 && !(r->member & REPLY_LINE)) {
        b = r->out;
        evbuffer_add(b, " ", 1);
        if (!(r->member & REPLY_BARE))
            evbuffer_add_printf(b, "%s=", r->key);
    } else {
        if (!(b = text_body(r)))
            return;
        if (d == 1 || (d == 2 && r->kind[2] == 'm'))
            evbuffer_add_printf(b, "%s\t", r->key);
        else if (d >= 3 && r->count[d] > 0)
            evbuffer_add(b, r->kind[d] == 'm' ? "\t" : ",", 1);
    }
    if (field)
        put_field(b, s);
    else
        evbuffer_add(b, s, strlen(s));
    if (b != r->out && d <= 2)
        evbuffer_add(b, "\n", 1);
    r->count[d]++;
}

static void text_string(reply_t *r, const char *s)
{
    text_scalar(r, s, 1);
}

static void text_uinteger(reply_t *r, uint64_t v)
{
    char s[32];
    snprintf(s, sizeof s, "%" PRIu64, v);
    text_scalar(r, s, 0);
}

static void text_real(reply_t *r, double v, int decimals)
{
    char s[64];
    snprintf(s, sizeof s, "%.*f", decimals, v);
    text_scalar(r, s, 0);
}

static void text_boolean(reply_t *r, int v)
{
    text_scalar(r, v ? "1" : "0", 0);
}

static void text_null(reply_t *r)
{
    text_scalar(r, "", 0);
}

/* A list or map as the value of a reply member opens the lines after the OK line; a
 * list in a map is one "key<TAB>a,b" line. */
static void text_open(reply_t *r, char kind)
{
    int d = r->depth;
    r->kind[d] = kind;
    r->count[d] = 0;
    struct evbuffer *b = text_body(r);
    if (b && d == 3 && kind == 'l' && r->kind[2] == 'm')
        evbuffer_add_printf(b, "%s\t", r->key);
}

static void text_begin_map(reply_t *r)
{
    text_open(r, 'm');
}

static void text_begin_list(reply_t *r)
{
    text_open(r, 'l');
}

static void text_end_container(reply_t *r)
{
    if (r->depth == 3 && r->body)
        evbuffer_add(r->body, "\n", 1);   /* the end of a line of fields */
    if (r->depth > 1)
        r->count[r->depth - 1]++;
}

static void text_end(reply_t *r)
{
    evbuffer_add(r->out, "\n", 1);
    if (r->body) {
        evbuffer_add_buffer(r->out, r->body);
        evbuffer_add(r->out, "END\n", 4);
        evbuffer_free(r->body);
        r->body = NULL;
    }
}

static const reply_ops_t text_ops = {
    text_begin, text_key, text_string, text_uinteger, text_real, text_boolean, text_null,
    text_begin_map, text_begin_list, text_end_container, text_end,
};

/* ---- JSON ---- */

/* A JSON string, never NULL: text that is not valid UTF-8 has its bad bytes as '?'. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return json_string("");
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j ? j : json_string("");
}

/* Adds v to the open container, under the current key in a map. */
static void json_add(reply_t *r, json_t *v, int depth)
{
    json_t *parent = r->stack[depth];
    if (!v || !parent) {
        r->oom = 1;
        json_decref(v);
        return;
    }
    if (json_is_object(parent))
        r->oom |= json_object_set_new(parent, r->key, v) != 0;
    else
        r->oom |= json_array_append_new(parent, v) != 0;
}

static void json_begin(reply_t *r, const char *status)
{
    r->stack[1] = json_object();
    r->key = "status";
    json_add(r, json_string(status), 1);
}

static void json_key(reply_t *r, const char *key)
{
    (void)r;
    (void)key;
}

static void json_string_(reply_t *r, const char *s)
{
    json_add(r, jstr(s), r->depth);
}

static void json_uinteger(reply_t *r, uint64_t v)
{
    json_add(r, json_integer((json_int_t)v), r->depth);
}

static void json_real_(reply_t *r, double v, int decimals)
{
    (void)decimals;
    json_add(r, json_real(reply_round3(v)), r->depth);
}

static void json_boolean_(reply_t *r, int v)
{
    json_add(r, json_boolean(v), r->depth);
}

static void json_null_(reply_t *r)
{
    json_add(r, json_null(), r->depth);
}

static void json_open(reply_t *r, json_t *c)
{
    json_t *parent = r->stack[r->depth - 1];
    int rc = !c || !parent ? -1
             : json_is_object(parent) ? json_object_set_new(parent, r->key, c)
                                      : json_array_append_new(parent, c);
    /* on success the parent holds c, and the pointer stays valid while it is filled */
    r->stack[r->depth] = rc == 0 ? c : NULL;
    r->oom |= rc != 0;
}

static void json_begin_map(reply_t *r)
{
    json_open(r, json_object());
}

static void json_begin_list(reply_t *r)
{
    json_open(r, json_array());
}

static void json_end_container(reply_t *r)
{
    r->stack[r->depth] = NULL;
}

static void json_end(reply_t *r)
{
    char *s = r->oom ? NULL : json_dumps(r->stack[1], JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(r->stack[1]);
    r->stack[1] = NULL;
    if (!s) {
        evbuffer_add_printf(r->out, "{\"status\":\"error\",\"code\":\"internal\","
                                    "\"message\":\"out of memory\"}\n");
        return;
    }
    evbuffer_add(r->out, s, strlen(s));
    evbuffer_add(r->out, "\n", 1);
    free(s);
}

static const reply_ops_t json_ops = {
    json_begin, json_key, json_string_, json_uinteger, json_real_, json_boolean_, json_null_,
    json_begin_map, json_begin_list, json_end_container, json_end,
};

/* ---- the front ---- */

void reply_begin(reply_t *r, struct evbuffer *out, reply_format_t f, const char *status)
{
    memset(r, 0, sizeof *r);
    r->ops = f == REPLY_JSON ? &json_ops : &text_ops;
    r->out = out;
    r->depth = 1;
    r->kind[1] = 'm';
    r->ops->begin(r, status);
}

void reply_end(reply_t *r)
{
    r->ops->end(r);
    r->depth = 0;
}

void reply_next(reply_t *r, unsigned flags)
{
    r->next = flags;
}

void reply_key(reply_t *r, const char *key)
{
    unsigned flags = r->next;
    r->next = 0;
    if (r->mute)
        return;
    unsigned leave_out = r->ops == &json_ops ? REPLY_TEXT_ONLY : REPLY_JSON_ONLY;
    if (flags & leave_out) {
        r->mute = r->depth;   /* until this member's value is over */
        return;
    }
    if (r->depth == 1)
        r->member = flags;
    r->key = key;
    r->ops->key(r, key);
}

/* 1 when a scalar is left out; a muted member ends with its scalar value. */
static int muted_scalar(reply_t *r)
{
    if (!r->mute)
        return 0;
    if (r->depth == r->mute)
        r->mute = 0;
    return 1;
}

void reply_string(reply_t *r, const char *s)
{
    if (!muted_scalar(r))
        r->ops->string(r, s ? s : "");
}

void reply_uint(reply_t *r, uint64_t v)
{
    if (!muted_scalar(r))
        r->ops->uinteger(r, v);
}

void reply_real(reply_t *r, double v, int decimals)
{
    if (!muted_scalar(r))
        r->ops->real(r, v, decimals);
}

void reply_bool(reply_t *r, int v)
{
    if (!muted_scalar(r))
        r->ops->boolean(r, v);
}

void reply_null(reply_t *r)
{
    if (!muted_scalar(r))
        r->ops->null(r);
}

static void begin_container(reply_t *r, int map)
{
    if (r->depth >= REPLY_MAX_DEPTH) {
        r->oom = 1;   /* a programming error: the reply is replaced by an error */
        r->depth++;
        return;
    }
    r->depth++;
    if (r->mute)
        return;
    if (map)
        r->ops->begin_map(r);
    else
        r->ops->begin_list(r);
}

static void end_container(reply_t *r)
{
    if (r->mute) {
        r->depth--;
        if (r->depth == r->mute)
            r->mute = 0;
        return;
    }
    if (r->depth <= REPLY_MAX_DEPTH)
        r->ops->end_container(r);
    r->depth--;
}

void reply_begin_map(reply_t *r)
{
    begin_container(r, 1);
}

void reply_end_map(reply_t *r)
{
    end_container(r);
}

void reply_begin_list(reply_t *r)
{
    begin_container(r, 0);
}

void reply_end_list(reply_t *r)
{
    end_container(r);
}

void reply_kv_string(reply_t *r, const char *key, const char *s)
{
    reply_key(r, key);
    reply_string(r, s);
}

void reply_kv_uint(reply_t *r, const char *key, uint64_t v)
{
    reply_key(r, key);
    reply_uint(r, v);
}

void reply_kv_real(reply_t *r, const char *key, double v, int decimals)
{
    reply_key(r, key);
    reply_real(r, v, decimals);
}

void reply_kv_bool(reply_t *r, const char *key, int v)
{
    reply_key(r, key);
    reply_bool(r, v);
}

void reply_error(struct evbuffer *out, reply_format_t f, const char *code, const char *shard,
                 const char *message)
{
    reply_t r;
    reply_begin(&r, out, f, "error");
    reply_next(&r, REPLY_BARE);
    reply_kv_string(&r, "code", code);
    if (shard) {
        reply_next(&r, REPLY_JSON_ONLY);
        reply_kv_string(&r, "shard", shard);
    }
    reply_next(&r, REPLY_BARE);
    reply_kv_string(&r, "message", message);
    reply_end(&r);
}
