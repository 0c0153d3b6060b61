/*
 * print.c: replies as people read them.  Every byte that comes from the index goes
 * through print_text or print_snippet, which turn control characters (C0, DEL and the
 * C1 range, which terminals obey as escapes) into spaces, so no article can drive the
 * terminal.  Highlighting uses ANSI escapes only when colour is on (a terminal, or
 * --color always); on a pipe a snippet is plain text without the daemon's <b> tags.
 */
#include "newsq.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *out;
static bool color;

#define SGR_TITLE "\033[1m"
#define SGR_META "\033[36m"
#define SGR_MATCH "\033[1;31m"
#define SGR_OFF "\033[0m"

void print_init(FILE *f, enum nq_color when)
{
    out = f;
    if (when == NQ_COLOR_AUTO) {
        const char *term = getenv("TERM");
        const char *no_color = getenv("NO_COLOR");
        color = isatty(fileno(f)) && !(no_color && *no_color) && !(term && !strcmp(term, "dumb"));
    } else {
        color = when == NQ_COLOR_ALWAYS;
    }
}

static void sgr(const char *seq)
{
    if (color) fputs(seq, out);
}

/* Bytes to replace with one space: C0 controls (but tab and newline when kept), DEL,
 * and UTF-8 encoded C1 controls (two bytes).  Returns how many bytes, 0 for none. */
static size_t control_len(const unsigned char *s, size_t n, bool keep_newlines)
{
    if (s[0] == '\n' || s[0] == '\t') return keep_newlines ? 0 : 1;
    if (s[0] < 0x20 || s[0] == 0x7f) return 1;
    if (s[0] == 0xc2 && n > 1 && s[1] >= 0x80 && s[1] <= 0x9f) return 2;
    return 0;
}

void print_text(const char *s, size_t n, bool keep_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0, i = 0;
    while (i < n) {
        size_t c = control_len(p + i, n - i, keep_newlines);
        if (!c) {
            i++;
            continue;
        }
        fwrite(p + run, 1, i - run, out);
        fputc(' ', out);
        i += c;
        run = i;
    }
    fwrite(p + run, 1, n - run, out);
}

/* The daemon's snippet: its text is HTML-escaped and the matches are in <b>..</b>. */
static const struct { const char *esc; char ch; } ENTITIES[] = {
    { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&#39;", '\'' },
};

static void print_snippet(const char *s, size_t n)
{
    size_t i = 0, run = 0;
    while (i < n) {
        const char *rep = NULL;
        size_t skip = 0;
        char ch[2] = { 0, 0 };
        if (s[i] == '<' && n - i >= 3 && memcmp(s + i, "<b>", 3) == 0) {
            rep = SGR_MATCH;
            skip = 3;
        } else if (s[i] == '<' && n - i >= 4 && memcmp(s + i, "</b>", 4) == 0) {
            rep = SGR_OFF;
            skip = 4;
        } else if (s[i] == '&') {
            for (size_t k = 0; k < sizeof ENTITIES / sizeof ENTITIES[0]; k++) {
                size_t el = strlen(ENTITIES[k].esc);
                if (n - i >= el && memcmp(s + i, ENTITIES[k].esc, el) == 0) {
                    ch[0] = ENTITIES[k].ch;
                    skip = el;
                    break;
                }
            }
        }
        if (!skip) {
            i++;
            continue;
        }
        print_text(s + run, i - run, false);
        if (rep) sgr(rep);
        else fputc(ch[0], out);
        i += skip;
        run = i;
    }
    print_text(s + run, n - run, false);
    sgr(SGR_OFF);   /* a snippet cut inside a match must not colour what follows */
}

const char *json_str(json_t *obj, const char *key, size_t *len)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        *len = 0;
        return "";
    }
    *len = json_string_length(v);
    return json_string_value(v);
}

long long json_int(json_t *obj, const char *key)
{
    return (long long)json_integer_value(json_object_get(obj, key));
}

/* "2020-05-01T14:00:00Z" as "2020-05-01 14:00", midnight as the day alone. */
static void print_date(const char *d, size_t n)
{
    if (n == 0) {
        fputs("no date", out);
        return;
    }
    if (n == 20 && d[10] == 'T') {
        print_text(d, 10, false);
        if (memcmp(d + 11, "00:00:00", 8) != 0) {
            fputc(' ', out);
            print_text(d + 11, 5, false);
        }
        return;
    }
    print_text(d, n, false);
}

void print_hit(json_t *hit)
{
    size_t n;
    const char *s;
    sgr(SGR_TITLE);
    fprintf(out, "%lld. ", json_int(hit, "rank"));
    s = json_str(hit, "title", &n);
    if (n) print_text(s, n, false);
    else fputs("(no title)", out);
    sgr(SGR_OFF);
    fputs("\n   ", out);
    sgr(SGR_META);
    s = json_str(hit, "date", &n);
    print_date(s, n);
    fputs("  ", out);
    s = json_str(hit, "source", &n);
    if (n) print_text(s, n, false);
    else fputs("no source", out);
    fputs("  ", out);
    s = json_str(hit, "id", &n);
    print_text(s, n, false);
    sgr(SGR_OFF);
    /* a hit that stands for its near-duplicates too (the daemon folded them) */
    long long dups = json_int(hit, "dups");
    if (dups > 0) fprintf(out, "  (+%lld similar)", dups);
    fputc('\n', out);
    json_t *snip = json_object_get(hit, "snippet");
    if (json_is_string(snip) && json_string_length(snip) > 0) {
        fputs("   ", out);
        print_snippet(json_string_value(snip), json_string_length(snip));
        fputc('\n', out);
    }
    print_explain(hit);
    fputc('\n', out);
}

/* --explain: "score 12.231 = istanbul 7.783 + convention 4.449", the parts as the daemon
 * named them (index terms: a Z is a stem, an S a title word). */
void print_explain(json_t *hit)
{
    json_t *terms = json_object_get(hit, "explain");
    if (!json_is_array(terms)) return;
    json_t *score = json_object_get(hit, "score");
    fprintf(out, "   score %.3f =", json_is_number(score) ? json_number_value(score) : 0.0);
    size_t i, n;
    json_t *t;
    json_array_foreach(terms, i, t) {
        json_t *w = json_object_get(t, "weight");
        fputs(i ? " + " : " ", out);
        const char *term = json_str(t, "term", &n);
        print_text(term, n, false);
        fprintf(out, " %.3f", json_is_number(w) ? json_number_value(w) : 0.0);
    }
    fputc('\n', out);
}

void print_query_notes(json_t *obj, bool hits)
{
    size_t n;
    const char *q = json_str(obj, "query", &n);
    if (json_object_get(obj, "query")) {
        fputs("Query: ", out);
        print_text(q, n, false);
        fputc('\n', out);
    }
    const char *s = json_str(obj, "suggestion", &n);
    if (!n) return;
    /* with no hits above it, the question goes where the "no matches" reader looks */
    FILE *to = hits ? out : stderr;
    FILE *keep = out;
    out = to;
    fputs("Did you mean: ", out);
    print_text(s, n, false);
    fputs("?\n", out);
    out = keep;
}

static const char *plural(long long n) { return n == 1 ? "" : "es"; }

void print_search_footer(long long total, long long shown, long long offset, bool about,
                         long long took_us)
{
    const char *est = about ? "about " : "";
    if (total == 0)
        fputs("no matches", out);
    else if (shown == 0)
        fprintf(out, "%s%lld match%s, none shown", est, total, plural(total));
    else if (offset == 0 && shown == total)
        fprintf(out, "%lld match%s", total, plural(total));
    else if (shown == 1)
        fprintf(out, "%lld of %s%lld match%s", offset + 1, est, total, plural(total));
    else
        fprintf(out, "%lld-%lld of %s%lld match%s", offset + 1, offset + shown, est, total,
                plural(total));
    fprintf(out, ", took %.3f ms\n", (double)took_us / 1000.0);
}

void print_terms(json_t *obj)
{
    size_t i;
    json_t *v;
    fputs("terms:", out);
    json_array_foreach(json_object_get(obj, "terms"), i, v) {
        fputc(' ', out);
        if (json_is_string(v)) print_text(json_string_value(v), json_string_length(v), false);
    }
    fputc('\n', out);
}

static void print_list(json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (i) fputs(", ", out);
        if (json_is_string(v)) print_text(json_string_value(v), json_string_length(v), false);
    }
}

void print_doc(json_t *doc)
{
    static const char *const FIELDS[] = { "id", "title", "date", "source", "url", "topics",
                                          "places" };
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        sgr(SGR_META);
        fprintf(out, "%-7s", FIELDS[i]);
        sgr(SGR_OFF);
        fputc(' ', out);
        json_t *v = json_object_get(doc, FIELDS[i]);
        if (json_is_array(v)) print_list(v);
        else if (json_is_string(v)) print_text(json_string_value(v), json_string_length(v), false);
        fputc('\n', out);
    }
    size_t n;
    const char *body = json_str(doc, "body", &n);
    fputc('\n', out);
    print_text(body, n, true);
    if (n == 0 || body[n - 1] != '\n') fputc('\n', out);
}

void print_dups(json_t *obj)
{
    size_t n, i;
    const char *s = json_str(obj, "cluster", &n);
    json_t *members = json_object_get(obj, "members"), *m;
    sgr(SGR_TITLE);
    fputs("cluster ", out);
    print_text(s, n, false);
    sgr(SGR_OFF);
    size_t count = json_array_size(members);
    fprintf(out, ": %zu article%s\n", count, count == 1 ? "" : "s");
    json_array_foreach(members, i, m) {
        sgr(SGR_META);
        fprintf(out, "  %2lld  ", json_int(m, "distance"));
        s = json_str(m, "date", &n);
        print_date(s, n);
        fputs("  ", out);
        s = json_str(m, "source", &n);
        if (n) print_text(s, n, false);
        else fputs("no source", out);
        fputs("  ", out);
        s = json_str(m, "id", &n);
        print_text(s, n, false);
        sgr(SGR_OFF);
        fputs("\n      ", out);
        s = json_str(m, "title", &n);
        if (n) print_text(s, n, false);
        else fputs("(no title)", out);
        fputc('\n', out);
    }
}

void print_stats(json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "status") == 0) continue;
        print_text(key, strlen(key), false);
        fprintf(out, "%*s", strlen(key) < 22 ? (int)(23 - strlen(key)) : 1, "");
        if (json_is_integer(v)) fprintf(out, "%lld\n", (long long)json_integer_value(v));
        else if (json_is_real(v)) fprintf(out, "%.1f\n", json_real_value(v));
        else if (json_is_null(v)) fputs("-\n", out);
        else if (json_is_string(v)) {
            print_text(json_string_value(v), json_string_length(v), false);
            fputc('\n', out);
        } else {
            fputs("?\n", out);
        }
    }
}
