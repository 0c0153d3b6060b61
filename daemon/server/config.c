/*
 * config.c: the configuration file's reader (see config.h).  The file is opened once
 * and checked with fstat on that descriptor (a regular file, within the size cap), then
 * read with getline; a line's place (PATH:LINE) goes before every message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "newsd_limits.h"

void config_values_free(config_values_t *vals)
{
    if (!vals)
        return;
    for (size_t i = 0; i < vals->n; i++)
        free(vals->v[i]);
    free(vals->v);
    vals->v = NULL;
    vals->n = vals->cap = 0;
}

/* A copy of s kept in vals; NULL when out of memory. */
static char *keep(config_values_t *vals, const char *s)
{
    if (vals->n == vals->cap) {
        size_t cap = vals->cap ? vals->cap * 2 : 16;
        char **v = realloc(vals->v, cap * sizeof *v);
        if (!v)
            return NULL;
        vals->v = v;
        vals->cap = cap;
    }
    char *copy = strdup(s);
    if (copy)
        vals->v[vals->n++] = copy;
    return copy;
}

__attribute__((format(printf, 3, 4))) static config_status_t
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CONFIG_INVALID;
}

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* s without the blanks around it (s is changed in place). */
static char *trim(char *s)
{
    while (blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* One line (len bytes, its line end included) of the file.  Returns CONFIG_OK, or
 * CONFIG_INVALID with the message, its place not yet in front. */
static config_status_t one_line(char *line, size_t len, config_pair_fn fn, void *arg,
                                config_values_t *vals, char *err, size_t errlen)
{
    if (len > NEWSD_CONFIG_MAX_LINE)
        return fail(err, errlen, "line longer than %d bytes", NEWSD_CONFIG_MAX_LINE);
    if (memchr(line, '\0', len))
        return fail(err, errlen, "NUL byte in the line");
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return CONFIG_OK;
    char *eq = strchr(s, '=');
    char quoted[4 * 64 + 8];
    if (!eq) {
        log_escape(quoted, sizeof quoted, s, strlen(s));
        return fail(err, errlen, "missing '=' in \"%s\" (a line is: key = value)", quoted);
    }
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    if (!*key)
        return fail(err, errlen, "no key before '='");
    log_escape(quoted, sizeof quoted, key, strlen(key));
    if (!*value)
        return fail(err, errlen, "no value after \"%s =\"", quoted);
    const char *kept = keep(vals, value);
    if (!kept)
        return fail(err, errlen, "out of memory");
    return fn(key, kept, arg, err, errlen) == 0 ? CONFIG_OK : CONFIG_INVALID;
}

/* The open file, line by line.  Returns as config_read does. */
static config_status_t read_lines(FILE *f, const char *path, config_pair_fn fn, void *arg,
                                  config_values_t *vals, char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0, total = 0;
    unsigned lineno = 0;
    ssize_t got;
    config_status_t st = CONFIG_OK;
    while (st == CONFIG_OK && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        total += (size_t)got;
        if (total > NEWSD_CONFIG_MAX_BYTES) {
            st = fail(err, errlen, "the configuration file %s is larger than %d bytes", path,
                      NEWSD_CONFIG_MAX_BYTES);
            break;
        }
        char msg[700];
        st = one_line(line, (size_t)got, fn, arg, vals, msg, sizeof msg);
        if (st != CONFIG_OK)
            snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
    }
    if (st == CONFIG_OK && ferror(f)) {
        snprintf(err, errlen, "cannot read the configuration file %s: %s", path,
                 strerror(errno));
        st = CONFIG_UNREADABLE;
    }
    free(line);
    return st;
}

config_status_t config_read(const char *path, config_pair_fn fn, void *arg,
                            config_values_t *vals, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the configuration file %s: %s", path,
                 strerror(errno));
        return CONFIG_UNREADABLE;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "the configuration file %s is not a regular file", path);
        close(fd);
        return CONFIG_UNREADABLE;
    }
    if (st.st_size > NEWSD_CONFIG_MAX_BYTES) {
        close(fd);
        return fail(err, errlen, "the configuration file %s is larger than %d bytes", path,
                    NEWSD_CONFIG_MAX_BYTES);
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read the configuration file %s: %s", path,
                 strerror(errno));
        close(fd);
        return CONFIG_UNREADABLE;
    }
    config_status_t rc = read_lines(f, path, fn, arg, vals, err, errlen);
    fclose(f);
    return rc;
}
