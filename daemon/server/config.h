/*
 * config.h: newsd's configuration file (newsd(8), "CONFIGURATION FILE"), read line by
 * line: "key = value", '#' comment lines and blank lines, whitespace around key and
 * value dropped.  The reader knows nothing of the keys: it hands each pair to a
 * callback (newsd.c gives each to the same handler as the command line's option of
 * that name) and puts "PATH:LINE: " before whatever the callback or the reader itself
 * refuses, so every error names its place.
 */
#ifndef NEWSD_CONFIG_H
#define NEWSD_CONFIG_H

#include <stddef.h>

/* The values read, owned here so that the callback may keep pointers to them (the
 * options of the command line are argv's strings, kept as pointers the same way). */
typedef struct config_values {
    char **v;
    size_t n, cap;
} config_values_t;

/* Frees every value kept in vals (vals itself is the caller's); NULL-safe. */
void config_values_free(config_values_t *vals);

/* Called for each pair, in file order; value is never empty and stays valid until
 * config_values_free.  Returns 0, or -1 with a message (without the place) in err. */
typedef int (*config_pair_fn)(const char *key, const char *value, void *arg, char *err,
                              size_t errlen);

typedef enum config_status {
    CONFIG_OK = 0,
    CONFIG_UNREADABLE,   /* cannot be opened or read, or is not a regular file */
    CONFIG_INVALID,      /* a line the reader or the callback refused */
} config_status_t;

/*
 * Reads the file at path and calls fn for each pair.  Stops at the first error, with
 * the message in err (errlen bytes): "PATH:LINE: ..." for a line (too long
 * (NEWSD_CONFIG_MAX_LINE), a NUL byte, no '=', no key, no value, or fn's refusal), or
 * one naming path when it cannot be read or is larger than NEWSD_CONFIG_MAX_BYTES.
 */
config_status_t config_read(const char *path, config_pair_fn fn, void *arg,
                            config_values_t *vals, char *err, size_t errlen);

#endif
