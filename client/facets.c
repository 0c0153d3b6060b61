/*
 * facets.c: a SEARCH reply's facets as people read them, below the hits.  A value facet
 * (source, topic, place) is a heading and one line per value with its count; a time facet
 * (year, month, day) is a timeline: one line per bucket in date order, its count and a
 * bar of '#' proportional to it, the longest bar filling the width newsq prints in
 * (print_width), so the shape of the coverage shows at a glance.
 */
#include "newsq.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "newsd_limits.h"

int print_width(void)
{
    const char *env = getenv("COLUMNS");
    if (env && *env) {
        char *end;
        long n = strtol(env, &end, 10);
        if (*end == '\0' && n > 0)
            return n > NEWSQ_MAX_COLUMNS ? NEWSQ_MAX_COLUMNS : (int)n;
    }
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col > NEWSQ_MAX_COLUMNS ? NEWSQ_MAX_COLUMNS : ws.ws_col;
    return NEWSQ_DEFAULT_COLUMNS;
}

/* Columns a UTF-8 string takes, counting each character as one. */
static size_t text_columns(const char *s, size_t n)
{
    size_t cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += ((unsigned char)s[i] & 0xc0) != 0x80;
    return cols;
}

static int digits(long long v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

static bool is_time_facet(const char *name)
{
    return !strcmp(name, "year") || !strcmp(name, "month") || !strcmp(name, "day");
}

/* One facet: "name:" then a line per value, "  VALUE  COUNT" with the values padded to
 * the widest and the counts aligned; a time facet adds the bar after the count. */
static void print_facet(const char *name, json_t *values)
{
    size_t i, label = 0;
    long long most = 0;
    json_t *v;
    json_array_foreach(values, i, v) {
        size_t n;
        const char *s = json_str(v, "value", &n);
        if (text_columns(s, n) > label) label = text_columns(s, n);
        if (json_int(v, "count") > most) most = json_int(v, "count");
    }
    int countw = digits(most);
    bool bars = is_time_facet(name);
    /* "  " label "  " count " " bar */
    long room = (long)print_width() - 2 - (long)label - 2 - countw - 1;
    if (room < NEWSQ_MIN_BAR_COLUMNS) room = NEWSQ_MIN_BAR_COLUMNS;
    printf("%s:", name);
    if (json_array_size(values) == 0) fputs(" no values", stdout);
    fputc('\n', stdout);
    json_array_foreach(values, i, v) {
        size_t n;
        const char *s = json_str(v, "value", &n);
        long long count = json_int(v, "count");
        fputs("  ", stdout);
        print_text(s, n, false);
        printf("%*s  %*lld", (int)(label - text_columns(s, n)), "", countw, count);
        if (bars && count > 0) {
            /* rounded, and at least one '#' so that a bucket with articles never looks
             * empty */
            long len = (long)((count * room + most / 2) / most);
            if (len < 1) len = 1;
            fputc(' ', stdout);
            for (long k = 0; k < len; k++) fputc('#', stdout);
        }
        fputc('\n', stdout);
    }
}

void print_facets(json_t *obj)
{
    const char *name;
    json_t *values;
    json_object_foreach(json_object_get(obj, "facets"), name, values) {
        fputc('\n', stdout);
        print_facet(name, values);
    }
}
