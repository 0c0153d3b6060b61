/*
 * day.h: the one rule for a calendar day, shared by every layer that reads one (the
 * index's since/until bounds and document dates, the readers' dates, the server's
 * options): the days of the Gregorian calendar from 0001-01-01 to 9999-12-31, written
 * "YYYY-MM-DD" or "YYYYMMDD".
 */
#ifndef NEWSD_DAY_H
#define NEWSD_DAY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when y-m-d is a day of the Gregorian calendar (years 1 to 9999). */
int day_valid(int y, int m, int d);

/* Reads "YYYY-MM-DD" or "YYYYMMDD" (exactly len bytes) into out as "YYYYMMDD" and a NUL;
 * 0, or -1 when it is not a valid day. */
int day_parse(const char *s, size_t len, char out[9]);

#ifdef __cplusplus
}
#endif

#endif
