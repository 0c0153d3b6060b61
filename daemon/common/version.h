/*
 * version.h: the one version of newsd, newsindex and newsq, which are released together,
 * and the --version line of the daemon and the indexer: the program's version and the
 * versions of the libraries it runs with, as they report themselves at run time (a
 * library upgraded under the program shows here).
 */
#ifndef NEWSD_VERSION_H
#define NEWSD_VERSION_H

#include <stdio.h>

#define NEWSD_VERSION "0.2.0"

/* Prints "PROG 0.2.0 (Xapian X, libevent Y, zlib Z, jansson J)" and a newline on out.
 * xapian is newsidx_xapian_version() (the common layer cannot ask the index);
 * libevent is event_get_version(), or NULL for a program that does not use it. */
void version_print(FILE *out, const char *prog, const char *xapian, const char *libevent);

#endif
