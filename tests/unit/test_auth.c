/*
 * test_auth.c: the write token (daemon/common/auth.c): every rule of the token file (missing,
 * not a regular file, open to group or others, empty, too short, too long, more than one
 * line, bytes that are not printable ASCII), the line ends it drops, the limits exactly
 * at their edges, and the comparison (equal, one byte off anywhere, prefixes, longer
 * guesses, empty guesses).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "check.h"

static char dir[] = "/tmp/newsd-test-auth.XXXXXX";
static char path[256];
static char token[NEWSD_AUTH_TOKEN_MAX_LEN + 1];
static size_t token_len;
static char err[1024];

/* Writes n bytes of s to the scratch file with the given mode; returns its path. */
static const char *file_of(const char *s, size_t n, mode_t mode)
{
    snprintf(path, sizeof path, "%s/token", dir);
    unlink(path);
    FILE *f = fopen(path, "w");
    if (!f)
        return path;
    fwrite(s, 1, n, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static int load(const char *s, mode_t mode)
{
    return auth_token_load(file_of(s, strlen(s), mode), token, &token_len, err, sizeof err);
}

static int contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

static void test_good_files(void)
{
    CHECK_INT(load("0123456789abcdef\n", 0600), 0);
    CHECK_STR(token, "0123456789abcdef");
    CHECK_INT(token_len, 16);
    CHECK_INT(load("0123456789abcdef", 0600), 0);          /* no line end at all */
    CHECK_STR(token, "0123456789abcdef");
    CHECK_INT(load("0123456789abcdef\r\n", 0400), 0);      /* CRLF, read-only file */
    CHECK_STR(token, "0123456789abcdef");
    CHECK_INT(load("s3cr3t+/=~!#$%&'()*,-.:;<>?@[]^_`{|}\n", 0600), 0);
    CHECK_INT(token_len, strlen("s3cr3t+/=~!#$%&'()*,-.:;<>?@[]^_`{|}"));
    CHECK_STR(token, "s3cr3t+/=~!#$%&'()*,-.:;<>?@[]^_`{|}");
    char longest[NEWSD_AUTH_TOKEN_MAX_LEN + 2];
    memset(longest, 'k', NEWSD_AUTH_TOKEN_MAX_LEN);
    longest[NEWSD_AUTH_TOKEN_MAX_LEN] = '\n';
    longest[NEWSD_AUTH_TOKEN_MAX_LEN + 1] = '\0';
    CHECK_INT(load(longest, 0600), 0);
    CHECK_INT(token_len, NEWSD_AUTH_TOKEN_MAX_LEN);
    CHECK_INT(strlen(token), NEWSD_AUTH_TOKEN_MAX_LEN);
}

static void test_bad_files(void)
{
    char missing[300];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    CHECK_INT(auth_token_load(missing, token, &token_len, err, sizeof err), -1);
    CHECK(contains(err, "cannot open the token file") && contains(err, "No such file"));
    CHECK_INT(token_len, 0);
    CHECK_STR(token, "");
    CHECK_INT(auth_token_load(dir, token, &token_len, err, sizeof err), -1);
    CHECK(contains(err, "is not a regular file"));

    CHECK_INT(load("0123456789abcdef\n", 0644), -1);
    CHECK(contains(err, "accessible by group or others (mode 0644)"));
    CHECK(contains(err, "chmod 600"));
    CHECK_INT(load("0123456789abcdef\n", 0640), -1);
    CHECK(contains(err, "(mode 0640)"));
    CHECK_INT(load("0123456789abcdef\n", 0604), -1);
    CHECK_INT(load("0123456789abcdef\n", 0601), -1);    /* even execute for others */
    CHECK_INT(load("0123456789abcdef\n", 0610), -1);

    CHECK_INT(load("", 0600), -1);
    CHECK(contains(err, "is empty"));
    CHECK_INT(load("\n", 0600), -1);
    CHECK(contains(err, "is empty"));
    CHECK_INT(load("\r\n", 0600), -1);
    CHECK(contains(err, "is empty"));
    CHECK_INT(load("0123456789abcde\n", 0600), -1);     /* one byte short */
    CHECK(contains(err, "shorter than 16 bytes"));
    CHECK_INT(load("0123456789abcdef\n\n", 0600), -1);
    CHECK(contains(err, "more than one line"));
    CHECK_INT(load("0123456789abcdef\nsecond line\n", 0600), -1);
    CHECK(contains(err, "more than one line"));
    CHECK_INT(load("0123456789 abcdef\n", 0600), -1);
    CHECK(contains(err, "(at byte 11)"));
    CHECK_INT(load("0123456789\tabcdef\n", 0600), -1);
    CHECK_INT(load("0123456789abcdef\x7f\n", 0600), -1);
    CHECK_INT(load("0123456789abcd\xc3\xa9\n", 0600), -1);    /* non-ASCII */
    CHECK(contains(err, "non-ASCII"));
    CHECK_INT(auth_token_load(file_of("0123456789ab\0cdef", 17, 0600), token, &token_len,
                              err, sizeof err), -1);
    CHECK(contains(err, "(at byte 13)"));

    char over[NEWSD_AUTH_TOKEN_MAX_LEN + 3];
    memset(over, 'k', NEWSD_AUTH_TOKEN_MAX_LEN + 1);
    over[NEWSD_AUTH_TOKEN_MAX_LEN + 1] = '\n';
    over[NEWSD_AUTH_TOKEN_MAX_LEN + 2] = '\0';
    CHECK_INT(load(over, 0600), -1);
    CHECK(contains(err, "longer than 256 bytes"));
    char huge[10000];
    memset(huge, 'k', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    CHECK_INT(load(huge, 0600), -1);
    CHECK(contains(err, "longer than 256 bytes"));
    CHECK_INT(token_len, 0);

    /* a message cut to a small buffer is still a string */
    char small[8];
    CHECK_INT(auth_token_load(missing, token, &token_len, small, sizeof small), -1);
    CHECK_INT(strlen(small), sizeof small - 1);
}

static void test_equal(void)
{
    const char *t = "0123456789abcdef";
    CHECK_INT(auth_token_equal(t, 16, "0123456789abcdef", 16), 1);
    CHECK_INT(auth_token_equal(t, 16, "1123456789abcdef", 16), 0);
    CHECK_INT(auth_token_equal(t, 16, "0123456789abcdeg", 16), 0);
    CHECK_INT(auth_token_equal(t, 16, "0123456789abcde", 15), 0);     /* a prefix */
    CHECK_INT(auth_token_equal(t, 16, "0123456789abcdefX", 17), 0);   /* longer */
    CHECK_INT(auth_token_equal(t, 16, "", 0), 0);
    /* a guess padded with the NUL bytes the comparison reads past its end */
    CHECK_INT(auth_token_equal("0123456789abcde", 16, "0123456789abcde", 15), 0);
    int all = 1;
    char g[17];
    for (int i = 0; i < 16; i++) {
        memcpy(g, t, 17);
        g[i] ^= 1;
        all &= auth_token_equal(t, 16, g, 16) == 0;
    }
    CHECK(all);   /* one bit off at any position */
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_good_files();
    test_bad_files();
    test_equal();
    unlink(path);
    rmdir(dir);
    return check_report();
}
