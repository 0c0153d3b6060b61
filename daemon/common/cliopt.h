/*
 * cliopt.h: the numeric options of the command lines (newsd, newsindex, newsq).  One
 * rule for what a number is (decimal digits with an optional '-': no sign '+', no
 * space, nothing after), and range messages built from the limits the caller passes,
 * its named constants (include/newsd_limits.h), so no program writes a limit as a
 * literal number.
 */
#ifndef NEWSD_CLIOPT_H
#define NEWSD_CLIOPT_H

#include <stddef.h>

/* Parses arg as a whole decimal number from lo to hi into *out.  Returns 0, or -1 (and
 * *out untouched) when it is not one or out of range. */
int cliopt_parse_long(const char *arg, long lo, long hi, long *out);

/* Parses arg as a decimal number above lo and up to hi (a fraction allowed: "0.5")
 * into *out.  Returns 0, or -1 (and *out untouched). */
int cliopt_parse_real_above(const char *arg, double lo, double hi, double *out);

/* Writes "UNIT from LO to HI" ("seconds from 0 to 86400") into buf, cut to len.
 * Returns what snprintf does. */
int cliopt_range_text(char *buf, size_t len, const char *unit, long lo, long hi);

/*
 * A ranged option: parses arg as cliopt_parse_long does and returns 0, or prints
 * "PROG: OPT takes UNIT from LO to HI, not 'ARG'" and a newline on stderr and returns -1.
 * unit names what the number counts: "a number", "seconds", "milliseconds", "bytes".
 */
int cliopt_number(const char *prog, const char *opt, const char *arg, long lo, long hi,
                  const char *unit, long *out);

#endif
