/*
 * auth.c: the token file and the token comparison (see auth.h).  The file is opened
 * once, checked with fstat on the open descriptor (so the file checked is the file
 * read), and read up to one byte past the longest token plus its line end, which is
 * enough to tell "too long" from "fits".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int auth_token_load(const char *path, char *out, size_t *len, char *err, size_t errlen)
{
    /* the token, "\r\n", and one byte more to see that there is more */
    char buf[NEWSD_AUTH_TOKEN_MAX_LEN + 3];
    *len = 0;
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fail(err, errlen, "cannot open the token file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, "cannot read the token file %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "the token file %s is not a regular file", path);
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return fail(err, errlen,
                    "the token file %s is accessible by group or others (mode %04o); like ssh "
                    "with private keys, it must be private: chmod 600 %s",
                    path, (unsigned)(st.st_mode & 07777), path);
    }
    size_t n = 0;
    while (n < sizeof buf) {
        ssize_t got = read(fd, buf + n, sizeof buf - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            return fail(err, errlen, "cannot read the token file %s: %s", path, strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r')
            n--;
    }
    if (n == 0)
        return fail(err, errlen, "the token file %s is empty", path);
    if (n > NEWSD_AUTH_TOKEN_MAX_LEN)
        return fail(err, errlen, "the token in %s is longer than %d bytes", path,
                    NEWSD_AUTH_TOKEN_MAX_LEN);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\n' || ch == '\r')
            return fail(err, errlen, "the token file %s holds more than one line", path);
        if (ch <= 0x20 || ch >= 0x7F)
            return fail(err, errlen,
                        "the token in %s holds a space, a control character or a non-ASCII "
                        "byte (at byte %zu); use printable ASCII only", path, i + 1);
    }
    if (n < NEWSD_AUTH_TOKEN_MIN_LEN)
        return fail(err, errlen,
                    "the token in %s is shorter than %d bytes; make a random one, e.g. "
                    "head -c 24 /dev/urandom | base64", path, NEWSD_AUTH_TOKEN_MIN_LEN);
    memcpy(out, buf, n);
    out[n] = '\0';
    *len = n;
    return 0;
}

int auth_token_equal(const char *token, size_t token_len, const char *guess, size_t guess_len)
{
    /* Every byte of the token is looked at, whatever the guess: no early exit. */
    volatile unsigned char diff = token_len != guess_len;
    for (size_t i = 0; i < token_len; i++) {
        unsigned char g = i < guess_len ? (unsigned char)guess[i] : 0;
        diff |= (unsigned char)token[i] ^ g;
    }
    return diff == 0;
}
