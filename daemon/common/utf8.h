/*
 * utf8.h: the one UTF-8 rule every layer applies.  Text that enters newsd (a request
 * line, a corpus record, an id) is accepted as UTF-8 only when it is strict: no overlong
 * forms, no surrogates, nothing past U+10FFFF.  Text that is cut to a byte cap (titles,
 * urls, tags, log samples) is cut at a character boundary, so it stays valid.
 */
#ifndef NEWSD_UTF8_H
#define NEWSD_UTF8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of the longest encoding of one code point. */
#define UTF8_MAX_BYTES 4

/* 1 when s[0..n) is strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
int utf8_valid(const char *s, size_t n);

/* Writes the encoding of code point cp (at most U+10FFFF) into out; returns its length. */
size_t utf8_encode(uint32_t cp, char out[UTF8_MAX_BYTES]);

/* Decodes the code point at s, which must start a character of valid UTF-8 (n > 0 bytes
 * left); sets *len to its length.  A sequence cut short by n sets *len to n and returns
 * no meaningful value, but never reads past s[n - 1]. */
uint32_t utf8_decode(const char *s, size_t n, size_t *len);

/* The length of s[0..len) cut to at most max bytes at a character boundary: len when it
 * fits, else max or less, never splitting a character of valid UTF-8. */
size_t utf8_cut(const char *s, size_t len, size_t max);

#ifdef __cplusplus
}
#endif

#endif
