/*
 * log.c: the daemon's log lines (see log.h).  Each line is formatted into one buffer and
 * written with a single write(2), so lines from different threads never interleave.
 * With a log file, the descriptor lines go to keeps its number for the whole run: a
 * reopen puts the new file under that number with dup2(2), which is atomic, so a thread
 * writing meanwhile writes whole lines to the old file or to the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "newsd_limits.h"

log_level_t log_threshold = LOG_INFO;

static int log_fd = STDERR_FILENO;
static const char *log_path;         /* the log file, NULL for standard error */

/* The log file at path, opened for appending; -1 with the message in err. */
static int open_log_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
                  NEWSD_LOG_FILE_MODE);
    if (fd < 0)
        snprintf(err, errlen, "cannot open the log file %s: %s", path, strerror(errno));
    return fd;
}

int log_open(const char *path, char *err, size_t errlen)
{
    int fd = open_log_file(path, err, errlen);
    if (fd < 0)
        return -1;
    log_fd = fd;
    log_path = path;
    return 0;
}

int log_reopen(char *err, size_t errlen)
{
    if (!log_path)
        return 0;
    int fd = open_log_file(log_path, err, errlen);
    if (fd < 0)
        return -1;
    int rc = dup2(fd, log_fd) < 0 ? -1 : 0;
    if (rc != 0)
        snprintf(err, errlen, "cannot reopen the log file %s: %s", log_path, strerror(errno));
    close(fd);
    return rc;
}

void log_line(const char *text)
{
    char line[NEWSD_LOG_LINE_LEN];
    int n = snprintf(line, sizeof line, "%s\n", text);
    if (n <= 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    line[len - 1] = '\n';
    ssize_t w = write(log_fd, line, len);
    (void)w;
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *name, log_level_t *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
        if (strcmp(name, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    return -1;
}

void log_write(log_level_t level, const char *event, const char *fmt, ...)
{
    char line[NEWSD_LOG_LINE_LEN];
    int n = snprintf(line, sizeof line, "newsd: level=%s event=%s ", level_names[level], event);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + len, sizeof line - len, fmt, ap);
    va_end(ap);
    if (m > 0)
        len += (size_t)m < sizeof line - len ? (size_t)m : sizeof line - len - 1;
    while (len > 0 && line[len - 1] == ' ')
        len--;
    if (len >= sizeof line - 1)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(log_fd, line, len);
    (void)w;
}

/* The one escaping of quoted input: at most max bytes of s[0..n), within outlen, always
 * leaving room for the "..." that says it was cut. */
static char *escape(char *out, size_t outlen, const char *s, size_t n, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i = 0;
    size_t take = n < max ? n : max;
    if (outlen == 0)
        return out;
    for (; i < take && o + 8 <= outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c >= 0x20 && c < 0x7F) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (i < n && o + 4 <= outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

char *log_sample(char *out, size_t outlen, const char *s, size_t n)
{
    return escape(out, outlen, s, n, NEWSD_LOG_SAMPLE_LEN);
}

char *log_escape(char *out, size_t outlen, const char *s, size_t n)
{
    return escape(out, outlen, s, n, n);
}
