/*
 * log.h: the daemon's log.  One line per event on stderr, "newsd: level=L event=E k=v ...".
 * The level is checked before anything is formatted (LOG_ON), so a debug line costs one
 * comparison when debug is off.  log_sample and log_escape clean bytes from the wire or
 * from a file for quoting.
 */
#ifndef NEWSD_LOG_H
#define NEWSD_LOG_H

#include <stddef.h>

typedef enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level_t;

extern log_level_t log_threshold;

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
