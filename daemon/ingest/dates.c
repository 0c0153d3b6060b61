/*
 * dates.c: the date helpers of the readers.  Every date a record carries, in whatever
 * form its format writes it (ISO 8601 with or without a zone, month names, a day in a
 * file name, a file's mtime), becomes one UTC "YYYY-MM-DDThh:mm:ssZ", or nothing when
 * it names no real day.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "day.h"
#include "ingest_internal.h"

int ingest_iso_from_fields(int year, int mon, int day, int hour, int min, int sec,
                           char out[INGEST_ISO_LEN])
{
    if (!day_valid(year, mon, day) || hour < 0 || hour > 23 || min < 0 || min > 59 ||
        sec < 0 || sec > 60)
        return -1;
    if (sec == 60)  /* a leap second: keep the day, stay inside it */
        sec = 59;
    char tmp[64];  /* the compiler cannot see the ranges checked above */
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, mon, day, hour, min, sec);
    memcpy(out, tmp, INGEST_ISO_LEN);
    return 0;
}

int ingest_iso_from_time(int64_t t, char out[INGEST_ISO_LEN])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt != t || !gmtime_r(&tt, &tm))
        return -1;
    return ingest_iso_from_fields(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                  tm.tm_min, tm.tm_sec, out);
}

/* Reads exactly n digits at *s. */
static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

int ingest_parse_iso(const char *s, char out[INGEST_ISO_LEN])
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
        digits(&s, 2, &d))
        return -1;
    int offset = 0;  /* seconds east of UTC */
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi))
            return -1;
        if (*s == ':') {
            s++;
            if (digits(&s, 2, &se))
                return -1;
            if (*s == '.' || *s == ',') {
                s++;
                if (!isdigit((unsigned char)*s))
                    return -1;
                while (isdigit((unsigned char)*s))
                    s++;
            }
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int sign = *s++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&s, 2, &oh))
                return -1;
            if (*s == ':')
                s++;
            if (isdigit((unsigned char)*s) && digits(&s, 2, &om))
                return -1;
            if (oh > 23 || om > 59)
                return -1;
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (*s != '\0')
        return -1;
    if (ingest_iso_from_fields(y, mo, d, h, mi, se, out) != 0)
        return -1;
    if (offset == 0)
        return 0;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_sec = se > 59 ? 59 : se };
    return ingest_iso_from_time((int64_t)timegm(&tm) - offset, out);
}

int ingest_month(const char *s, size_t n)
{
    static const char *const names[12] = { "january", "february", "march", "april",
                                           "may", "june", "july", "august",
                                           "september", "october", "november", "december" };
    while (n && s[n - 1] == '.')
        n--;
    if (n < 3)
        return 0;
    for (int m = 0; m < 12; m++) {
        size_t full = strlen(names[m]);
        if (n <= full && strncasecmp(s, names[m], n) == 0)
            return m + 1;
    }
    return 0;
}

const char *ingest_find_ymd(const char *name, char out[INGEST_ISO_LEN])
{
    for (const char *p = name; *p; p++) {
        if (p > name && isdigit((unsigned char)p[-1]))
            continue;
        const char *q = p;
        int y, m, d;
        if (digits(&q, 4, &y) || *q++ != '-' || digits(&q, 2, &m) || *q++ != '-' ||
            digits(&q, 2, &d) || isdigit((unsigned char)*q))
            continue;
        if (ingest_iso_from_fields(y, m, d, 0, 0, 0, out) == 0)
            return p;
    }
    return NULL;
}
