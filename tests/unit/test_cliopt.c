/*
 * test_cliopt: the ranged numeric options of the command lines (daemon/common/cliopt.h):
 * what counts as a number, the range, and the one message built from the limits.
 */
#include <limits.h>
#include <unistd.h>

#include "check.h"
#include "cliopt.h"
#include "newsd_limits.h"

/* Runs cliopt_number with stderr caught; returns its status, the text in msg. */
static int number_msg(const char *prog, const char *opt, const char *arg, long lo, long hi,
                      const char *unit, long *out, char *msg, size_t len)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return -2;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    int rc = cliopt_number(prog, opt, arg, lo, hi, unit, out);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(msg, 1, len - 1, tmp);
    msg[n] = '\0';
    fclose(tmp);
    return rc;
}

static void test_parse_long(void)
{
    long v = -7;
    CHECK_INT(cliopt_parse_long("0", 0, 10, &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(cliopt_parse_long("10", 0, 10, &v), 0);
    CHECK_INT(v, 10);
    CHECK_INT(cliopt_parse_long("-3", -5, 5, &v), 0);
    CHECK_INT(v, -3);
    CHECK_INT(cliopt_parse_long("007", 0, 10, &v), 0);
    CHECK_INT(v, 7);

    /* the bounds are inclusive, and nothing outside them passes */
    v = 42;
    CHECK_INT(cliopt_parse_long("11", 0, 10, &v), -1);
    CHECK_INT(cliopt_parse_long("-1", 0, 10, &v), -1);
    CHECK_INT(v, 42);   /* untouched on failure */

    /* only plain decimals: no sign '+', spaces, hex, fractions, trailing bytes */
    const char *bad[] = { "", "-", "+5", " 5", "5 ", "0x10", "5.0", "1e3", "5x", "x",
                          "--5", "99999999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(cliopt_parse_long(bad[i], LONG_MIN, LONG_MAX, &v), -1);
    CHECK_INT(cliopt_parse_long(NULL, 0, 10, &v), -1);
    CHECK_INT(v, 42);

    /* the widest ranges in use fit */
    CHECK_INT(cliopt_parse_long("1073741824", NEWSD_MIN_REPLY_BYTES,
                                NEWSD_MAX_REPLY_BYTES_LIMIT, &v), 0);
    CHECK_INT(v, NEWSD_MAX_REPLY_BYTES_LIMIT);
    CHECK_INT(cliopt_parse_long("1000000000", 1, NEWSD_MAX_COMMIT_EVERY, &v), 0);
}

static void test_parse_real(void)
{
    double t = -1;
    CHECK_INT(cliopt_parse_real_above("0.2", 0, NEWSQ_MAX_TIMEOUT_S, &t), 0);
    CHECK(t > 0.19 && t < 0.21);
    CHECK_INT(cliopt_parse_real_above("86400", 0, NEWSQ_MAX_TIMEOUT_S, &t), 0);
    CHECK(t == 86400);
    CHECK_INT(cliopt_parse_real_above("5", 0, 10, &t), 0);
    CHECK(t == 5);
    t = 3;
    /* the low bound is excluded, the high one included */
    CHECK_INT(cliopt_parse_real_above("0", 0, 10, &t), -1);
    CHECK_INT(cliopt_parse_real_above("0.0", 0, 10, &t), -1);
    CHECK_INT(cliopt_parse_real_above("10.5", 0, 10, &t), -1);
    const char *bad[] = { "", ".", "-", "+1", " 1", "1e2", "inf", "nan", "1.2.3", "0x1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(cliopt_parse_real_above(bad[i], -100, 1000, &t), -1);
    CHECK(t == 3);
}

static void test_messages(void)
{
    char buf[256], want[256];
    CHECK_INT(cliopt_range_text(buf, sizeof buf, "seconds", 0, 86400), 23);
    CHECK_STR(buf, "seconds from 0 to 86400");

    long v = 5;
    CHECK_INT(number_msg("newsd", "--query-timeout", "60000", 1, NEWSD_MAX_QUERY_TIMEOUT_MS,
                         "milliseconds", &v, buf, sizeof buf), 0);
    CHECK_INT(v, NEWSD_MAX_QUERY_TIMEOUT_MS);
    CHECK_STR(buf, "");   /* nothing said when the value is good */

    CHECK_INT(number_msg("newsd", "--query-timeout", "0", 1, NEWSD_MAX_QUERY_TIMEOUT_MS,
                         "milliseconds", &v, buf, sizeof buf), -1);
    CHECK_STR(buf, "newsd: --query-timeout takes milliseconds from 1 to 60000, not '0'\n");

    /* the limits in the message are the ones passed, not numbers of its own */
    CHECK_INT(number_msg("newsindex", "--shards", "x", 1, NEWSD_MAX_SHARDS, "a number", &v,
                         buf, sizeof buf), -1);
    snprintf(want, sizeof want, "newsindex: --shards takes a number from 1 to %d, not 'x'\n",
             NEWSD_MAX_SHARDS);
    CHECK_STR(buf, want);
    CHECK_INT(number_msg("p", "-k", "", -2, 3, "a number", &v, buf, sizeof buf), -1);
    CHECK_STR(buf, "p: -k takes a number from -2 to 3, not ''\n");
    CHECK_INT(v, NEWSD_MAX_QUERY_TIMEOUT_MS);
}

int main(void)
{
    test_parse_long();
    test_parse_real();
    test_messages();
    return check_report();
}
