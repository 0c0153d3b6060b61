/*
 * test_log.c: the daemon's log helpers (daemon/common/log.c): level names, and the cleaned,
 * length-capped sample of wire bytes quoted in protocol-error lines.
 */
#include "check.h"
#include "log.h"
#include "newsd_limits.h"

int main(void)
{
    log_level_t l = LOG_INFO;
    CHECK_INT(log_level_parse("debug", &l), 0);
    CHECK_INT(l, LOG_DEBUG);
    CHECK_INT(log_level_parse("error", &l), 0);
    CHECK_INT(l, LOG_ERROR);
    CHECK_INT(log_level_parse("loud", &l), -1);
    CHECK_INT(l, LOG_ERROR);

    char out[NEWSD_LOG_SAMPLE_LEN * 4 + 8];
    CHECK_STR(log_sample(out, sizeof out, "PING", 4), "PING");
    CHECK_STR(log_sample(out, sizeof out, "PI\0NG", 5), "PI\\x00NG");
    CHECK_STR(log_sample(out, sizeof out, "a\"b\\c", 5), "a\\\"b\\\\c");
    CHECK_STR(log_sample(out, sizeof out, "caf\xc3\xa9\r\n", 7), "caf\\xc3\\xa9\\x0d\\x0a");
    CHECK_STR(log_sample(out, sizeof out, "", 0), "");

    /* capped at NEWSD_LOG_SAMPLE_LEN input bytes, then "..." */
    char big[1000];
    memset(big, 'x', sizeof big);
    log_sample(out, sizeof out, big, sizeof big);
    CHECK_INT(strlen(out), NEWSD_LOG_SAMPLE_LEN + 3);
    CHECK(strcmp(out + NEWSD_LOG_SAMPLE_LEN, "...") == 0);
    /* the worst case (every byte escaped) fits the documented buffer */
    memset(big, 0x01, sizeof big);
    log_sample(out, sizeof out, big, sizeof big);
    CHECK_INT(strlen(out), NEWSD_LOG_SAMPLE_LEN * 4 + 3);
    /* a small buffer is never overrun and stays terminated */
    char tiny[8];
    log_sample(tiny, sizeof tiny, big, sizeof big);
    CHECK(strlen(tiny) < sizeof tiny);

    /* log_escape: the same escaping, no sample cap; cut (with "...") only by the buffer */
    char esc[64];
    CHECK_STR(log_escape(esc, sizeof esc, "\x1b]0;t\x07\"\n", 8), "\\x1b]0;t\\x07\\\"\\x0a");
    memset(big, 'y', sizeof big);
    log_escape(out, sizeof out, big, NEWSD_LOG_SAMPLE_LEN + 10);
    CHECK_INT(strlen(out), NEWSD_LOG_SAMPLE_LEN + 10);
    log_escape(esc, sizeof esc, big, sizeof big);
    CHECK(strlen(esc) < sizeof esc);
    CHECK(strcmp(esc + strlen(esc) - 3, "...") == 0);
    return check_report();
}
