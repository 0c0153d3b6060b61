/*
 * day.c: the calendar-day rule of day.h: which y-m-d exist, and the two spellings of a
 * day that options and bounds accept.
 */
#include "day.h"

#include <string.h>

int day_valid(int y, int m, int d)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* The n digits at s as a number, or -1 when one is not a digit. */
static int decimal(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int day_parse(const char *s, size_t len, char out[9])
{
    char day[8];
    if (!s)
        return -1;
    if (len == 8) {
        memcpy(day, s, 8);
    } else if (len == 10 && s[4] == '-' && s[7] == '-') {
        memcpy(day, s, 4);
        memcpy(day + 4, s + 5, 2);
        memcpy(day + 6, s + 8, 2);
    } else {
        return -1;
    }
    int y = decimal(day, 4), m = decimal(day + 4, 2), d = decimal(day + 6, 2);
    if (y < 0 || m < 0 || d < 0 || !day_valid(y, m, d))
        return -1;
    memcpy(out, day, 8);
    out[8] = '\0';
    return 0;
}
