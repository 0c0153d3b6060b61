/*
 * test_day.c: the calendar-day rule (daemon/common/day.c): which days exist, leap years
 * (every fourth, not centuries, but every fourth century), the year range, and the two
 * spellings day_parse accepts, length by length.
 */
#include "check.h"
#include "day.h"

/* day_parse of the NUL-terminated s, its output or "ERR". */
static const char *parsed(const char *s)
{
    static char out[9];
    memset(out, 'z', sizeof out);
    return day_parse(s, strlen(s), out) == 0 ? out : "ERR";
}

int main(void)
{
    CHECK_INT(day_valid(2021, 3, 1), 1);
    CHECK_INT(day_valid(2021, 12, 31), 1);
    CHECK_INT(day_valid(2021, 4, 31), 0);
    CHECK_INT(day_valid(2021, 13, 1), 0);
    CHECK_INT(day_valid(2021, 0, 1), 0);
    CHECK_INT(day_valid(2021, 1, 0), 0);
    CHECK_INT(day_valid(2021, 1, 32), 0);
    /* leap years */
    CHECK_INT(day_valid(2024, 2, 29), 1);
    CHECK_INT(day_valid(2023, 2, 29), 0);
    CHECK_INT(day_valid(1900, 2, 29), 0);
    CHECK_INT(day_valid(2000, 2, 29), 1);
    CHECK_INT(day_valid(2023, 2, 28), 1);
    CHECK_INT(day_valid(2024, 2, 30), 0);
    /* years 1 to 9999 */
    CHECK_INT(day_valid(1, 1, 1), 1);
    CHECK_INT(day_valid(9999, 12, 31), 1);
    CHECK_INT(day_valid(0, 1, 1), 0);
    CHECK_INT(day_valid(10000, 1, 1), 0);
    CHECK_INT(day_valid(-4, 2, 29), 0);

    CHECK_STR(parsed("2021-03-01"), "20210301");
    CHECK_STR(parsed("20210301"), "20210301");
    CHECK_STR(parsed("2024-02-29"), "20240229");
    CHECK_STR(parsed("0001-01-01"), "00010101");
    CHECK_STR(parsed("2023-02-29"), "ERR");
    CHECK_STR(parsed("2021-13-01"), "ERR");
    CHECK_STR(parsed("0000-01-01"), "ERR");
    CHECK_STR(parsed("2021/03/01"), "ERR");
    CHECK_STR(parsed("2021-3-01"), "ERR");
    CHECK_STR(parsed("2021-03-1x"), "ERR");
    CHECK_STR(parsed("2021030"), "ERR");
    CHECK_STR(parsed("202103011"), "ERR");
    CHECK_STR(parsed("2021-03-01T00:00:00Z"), "ERR");
    CHECK_STR(parsed("+0210301"), "ERR");
    CHECK_STR(parsed(""), "ERR");
    /* exactly len bytes: a longer string is read only up to len */
    char out[9];
    CHECK_INT(day_parse("2021-03-01 and more", 10, out), 0);
    CHECK_STR(out, "20210301");
    CHECK_INT(day_parse("20210301", 7, out), -1);
    CHECK_INT(day_parse(NULL, 8, out), -1);
    return check_report();
}
