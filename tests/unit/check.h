/*
 * check.h: the unit-test harness.  Each test binary counts its checks and ends by
 * printing "N passed, M failed"; tests/run.sh adds the counts up.  A failed check prints
 * file:line and the expression (plus the values, for the typed variants) and goes on.
 */
#ifndef NEWSD_CHECK_H
#define NEWSD_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned check_passed, check_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);       \
        }                                                                            \
    } while (0)

#define CHECK_STR(got, want)                                                         \
    do {                                                                             \
        const char *g_ = (got), *w_ = (want);                                        \
        if (g_ && w_ && strcmp(g_, w_) == 0) {                                       \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "%s:%d: FAILED: %s == \"%s\" (got \"%s\")\n", __FILE__,  \
                    __LINE__, #got, w_ ? w_ : "(null)", g_ ? g_ : "(null)");         \
        }                                                                            \
    } while (0)

#define CHECK_INT(got, want)                                                         \
    do {                                                                             \
        long long g_ = (long long)(got), w_ = (long long)(want);                     \
        if (g_ == w_) {                                                              \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "%s:%d: FAILED: %s == %lld (got %lld)\n", __FILE__,      \
                    __LINE__, #got, w_, g_);                                         \
        }                                                                            \
    } while (0)

/* Prints the closing line; use as the return value of main. */
static inline int check_report(void)
{
    printf("%u passed, %u failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
