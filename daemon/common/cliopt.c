/*
 * cliopt.c: the numeric options of the command lines (cliopt.h): what a number is, and
 * the one message of a number out of range.
 */
#include "cliopt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits with an optional leading '-' (and for a real, one '.' among them): strtol and
 * strtod would also take leading spaces, a '+', hex and exponents. */
static int plain_decimal(const char *s, int fraction)
{
    if (*s == '-')
        s++;
    size_t digits = 0;
    int dot = 0;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digits++;
        else if (*s == '.' && fraction && !dot)
            dot = 1;
        else
            return 0;
    }
    return digits > 0;
}

int cliopt_parse_long(const char *arg, long lo, long hi, long *out)
{
    if (!arg || !plain_decimal(arg, 0))
        return -1;
    errno = 0;
    long v = strtol(arg, NULL, 10);
    if (errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int cliopt_parse_real_above(const char *arg, double lo, double hi, double *out)
{
    if (!arg || !plain_decimal(arg, 1))
        return -1;
    errno = 0;
    double v = strtod(arg, NULL);
    if (errno || !isfinite(v) || !(v > lo) || v > hi)
        return -1;
    *out = v;
    return 0;
}

int cliopt_range_text(char *buf, size_t len, const char *unit, long lo, long hi)
{
    return snprintf(buf, len, "%s from %ld to %ld", unit, lo, hi);
}

int cliopt_number(const char *prog, const char *opt, const char *arg, long lo, long hi,
                  const char *unit, long *out)
{
    if (cliopt_parse_long(arg, lo, hi, out) == 0)
        return 0;
    char range[128];
    cliopt_range_text(range, sizeof range, unit, lo, hi);
    fprintf(stderr, "%s: %s takes %s, not '%s'\n", prog, opt, range, arg ? arg : "");
    return -1;
}
