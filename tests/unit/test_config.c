/*
 * test_config.c: the configuration file's reader (daemon/server/config.c): pairs in
 * file order with the blanks around key and value dropped and '#' kept inside a value;
 * comments, blank lines and CRLF line ends; every refusal with its PATH:LINE (no '=',
 * no key, no value, a NUL byte, a line one byte past NEWSD_CONFIG_MAX_LINE and one
 * exactly at it, the callback's own message); a file past NEWSD_CONFIG_MAX_BYTES, a
 * missing file and a folder; and that the values stay valid after the read.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "newsd_limits.h"

static char dir[] = "/tmp/newsd-test-config.XXXXXX";
static char path[256];
static char err[2048];

/* What the callback saw: "key=value;" for each pair. */
static char seen[NEWSD_CONFIG_MAX_LINE * 2];
static const char *kept[8];
static size_t nkept;

static int record(const char *key, const char *value, void *arg, char *e, size_t elen)
{
    (void)arg;
    if (strcmp(key, "refuse") == 0) {
        snprintf(e, elen, "refused \"%s\"", value);
        return -1;
    }
    size_t n = strlen(seen);
    snprintf(seen + n, sizeof seen - n, "%s=%s;", key, value);
    if (nkept < 8)
        kept[nkept++] = value;
    return 0;
}

/* Writes n bytes of s as the scratch file and reads it. */
static config_status_t read_bytes(const char *s, size_t n, config_values_t *vals)
{
    snprintf(path, sizeof path, "%s/newsd.conf", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fwrite(s, 1, n, f);
        fclose(f);
    }
    seen[0] = '\0';
    err[0] = '\0';
    nkept = 0;
    return config_read(path, record, NULL, vals, err, sizeof err);
}

static config_status_t read_text(const char *s)
{
    config_values_t vals = { 0 };
    config_status_t st = read_bytes(s, strlen(s), &vals);
    config_values_free(&vals);
    return st;
}

/* err is "PATH:LINE: tail". */
static int err_is(unsigned line, const char *tail)
{
    char want[sizeof err];
    snprintf(want, sizeof want, "%s:%u: %s", path, line, tail);
    if (strcmp(err, want) == 0)
        return 1;
    fprintf(stderr, "  want: %s\n  got:  %s\n", want, err);
    return 0;
}

static void test_pairs(void)
{
    config_values_t vals = { 0 };
    const char *text = "# a comment\n"
                       "\n"
                       "   # an indented comment\n"
                       "index = /var/lib/newsd/index\n"
                       "  listen=127.0.0.1:7878  \n"
                       "\tlisten\t=\tunix:/run/newsd #1.sock\t\n"
                       "query-timeout = 1234\r\n"
                       "key = a = b\n"
                       "last = no newline";
    CHECK_INT(read_bytes(text, strlen(text), &vals), CONFIG_OK);
    CHECK_STR(seen, "index=/var/lib/newsd/index;listen=127.0.0.1:7878;"
                    "listen=unix:/run/newsd #1.sock;query-timeout=1234;key=a = b;"
                    "last=no newline;");
    /* the callback may keep the values: they live until config_values_free */
    CHECK_INT(nkept, 6);
    CHECK_STR(kept[0], "/var/lib/newsd/index");
    CHECK_STR(kept[5], "no newline");
    CHECK_INT(vals.n, 6);
    config_values_free(&vals);
    CHECK_INT(vals.n, 0);
    config_values_free(NULL);

    CHECK_INT(read_text(""), CONFIG_OK);
    CHECK_STR(seen, "");
    CHECK_INT(read_text("# only\n\n  \n"), CONFIG_OK);
    CHECK_STR(seen, "");
}

static void test_bad_lines(void)
{
    CHECK_INT(read_text("a = 1\nworkers\n"), CONFIG_INVALID);
    CHECK(err_is(2, "missing '=' in \"workers\" (a line is: key = value)"));
    CHECK_STR(seen, "a=1;");           /* what came before the bad line was handed on */
    CHECK_INT(read_text("# x\n = 4\n"), CONFIG_INVALID);
    CHECK(err_is(2, "no key before '='"));
    CHECK_INT(read_text("\n\nworkers =   \n"), CONFIG_INVALID);
    CHECK(err_is(3, "no value after \"workers =\""));
    CHECK_INT(read_text("a = 1\nrefuse = this\nb = 2\n"), CONFIG_INVALID);
    CHECK(err_is(2, "refused \"this\""));
    CHECK_STR(seen, "a=1;");           /* the read stops at the first error */
    CHECK_INT(read_text("a\x01" "b\n"), CONFIG_INVALID);
    CHECK(err_is(1, "missing '=' in \"a\\x01b\" (a line is: key = value)"));

    config_values_t vals = { 0 };
    CHECK_INT(read_bytes("a = 1\nb = x\0y\n", 12, &vals), CONFIG_INVALID);
    CHECK(err_is(2, "NUL byte in the line"));
    config_values_free(&vals);
}

static void test_line_length(void)
{
    /* a line of exactly NEWSD_CONFIG_MAX_LINE bytes, its newline included, is read */
    static char text[NEWSD_CONFIG_MAX_LINE + 16];
    size_t n = NEWSD_CONFIG_MAX_LINE - 1;
    memcpy(text, "k = ", 4);
    memset(text + 4, 'v', n - 4);
    text[n] = '\n';
    config_values_t vals = { 0 };
    CHECK_INT(read_bytes(text, n + 1, &vals), CONFIG_OK);
    CHECK_INT(strlen(seen), 2 + n - 4 + 1);
    config_values_free(&vals);
    /* one byte more is refused */
    memset(text + 4, 'v', n + 1 - 4);
    text[n + 1] = '\n';
    CHECK_INT(read_bytes(text, n + 2, &vals), CONFIG_INVALID);
    char want[64];
    snprintf(want, sizeof want, "line longer than %d bytes", NEWSD_CONFIG_MAX_LINE);
    CHECK(err_is(1, want));
    config_values_free(&vals);
}

static void test_files(void)
{
    /* larger than the cap: refused before a line is read */
    size_t big = NEWSD_CONFIG_MAX_BYTES + 1;
    char *text = malloc(big);
    CHECK(text != NULL);
    if (text) {
        memset(text, '#', big);
        for (size_t i = 80; i < big; i += 80)
            text[i] = '\n';
        config_values_t vals = { 0 };
        CHECK_INT(read_bytes(text, big, &vals), CONFIG_INVALID);
        char want[512];
        snprintf(want, sizeof want, "the configuration file %s is larger than %d bytes", path,
                 NEWSD_CONFIG_MAX_BYTES);
        CHECK_STR(err, want);
        config_values_free(&vals);
        /* exactly at the cap: read */
        CHECK_INT(read_bytes(text, big - 1, &vals), CONFIG_OK);
        config_values_free(&vals);
        free(text);
    }

    config_values_t vals = { 0 };
    char missing[300], want[700];
    snprintf(missing, sizeof missing, "%s/nope.conf", dir);
    CHECK_INT(config_read(missing, record, NULL, &vals, err, sizeof err), CONFIG_UNREADABLE);
    snprintf(want, sizeof want, "cannot open the configuration file %s: No such file or "
             "directory", missing);
    CHECK_STR(err, want);
    CHECK_INT(config_read(dir, record, NULL, &vals, err, sizeof err), CONFIG_UNREADABLE);
    snprintf(want, sizeof want, "the configuration file %s is not a regular file", dir);
    CHECK_STR(err, want);
    CHECK_INT(vals.n, 0);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_pairs();
    test_bad_lines();
    test_line_length();
    test_files();
    unlink(path);
    rmdir(dir);
    return check_report();
}
