/*
 * log.h: the daemon's log.  One line per event, "newsd: level=L event=E k=v ...", on
 * stderr or in the file of --log.
 * The level is checked before anything is formatted (LOG_ON), so a debug line costs one
 * comparison when debug is off.  log_sample and log_escape clean bytes from the wire or
 * from a file for quoting.
 */
#ifndef NEWSD_LOG_H
#define NEWSD_LOG_H

#include <stddef.h>

typedef enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level_t;

extern log_level_t log_threshold;

/* Log lines go to the file at path from now on (appended; created with mode
 * NEWSD_LOG_FILE_MODE; close-on-exec) instead of standard error.  path is kept, not
 * copied.  Returns 0, or -1 with the message in err. */
int log_open(const char *path, char *err, size_t errlen);
/* Opens log_open's path again and writes there from now on (after logrotate renamed the
 * file, a new one is made).  Nothing to do without a log file.  Returns 0, or -1 with
 * the message in err, and lines still go to the file open before. */
int log_reopen(char *err, size_t errlen);
/* Writes text and a newline where log lines go, in one write(2) (cut to
 * NEWSD_LOG_LINE_LEN): the ready line. */
void log_line(const char *text);

/* Parses "error", "warn", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *name, log_level_t *out);

/* Writes one line: "newsd: level=<level> event=<event> " + fmt.  Use the LOG macro. */
void log_write(log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_ON(level) ((level) <= log_threshold)
#define LOG(level, event, ...)                                                       \
    do {                                                                             \
        if (LOG_ON(level))                                                           \
            log_write((level), (event), __VA_ARGS__);                                \
    } while (0)

/*
 * Writes into out (outlen bytes, NUL-terminated) a printable sample of s[0..n): at most
 * NEWSD_LOG_SAMPLE_LEN input bytes, printable ASCII kept, '"' and '\\' escaped, every other
 * byte as \xNN, "..." appended when cut.  Returns out.
 */
char *log_sample(char *out, size_t outlen, const char *s, size_t n);
/* The same escaping for any bytes from outside quoted in a message (file contents in
 * newsindex's warnings too), without the sample's length cap: as much as fits in outlen
 * (4 bytes per input byte at most, plus 4), "..." appended when cut.  Returns out. */
char *log_escape(char *out, size_t outlen, const char *s, size_t n);

#endif
