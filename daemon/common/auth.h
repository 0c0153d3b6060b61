/*
 * auth.h: the shared token that gives a TCP connection write authority (newsd(8),
 * "AUTHORITY FOR WRITES").  newsd reads it once at start (--auth-token-file) and newsq
 * reads the same kind of file to send AUTH; both use auth_token_load so that the rules
 * for the file (and the messages) are the same.  auth_token_equal compares in time that
 * does not depend on where a guess first differs from the token.  Nothing here logs,
 * allocates or touches a socket.
 */
#ifndef NEWSD_AUTH_H
#define NEWSD_AUTH_H

#include <stddef.h>

#include "newsd_limits.h"

/*
 * Reads the token from the file at path into out (at least NEWSD_AUTH_TOKEN_MAX_LEN + 1
 * bytes, NUL-terminated; its length in *len).  One trailing "\n" or "\r\n" is dropped.
 * Returns 0, or -1 with a message naming path in err (errlen bytes) when the file cannot
 * be opened or read, is not a regular file, is accessible by group or others (ssh's rule
 * for private keys), or its token is shorter than NEWSD_AUTH_TOKEN_MIN_LEN, longer than
 * NEWSD_AUTH_TOKEN_MAX_LEN, spans lines or holds bytes other than printable ASCII
 * without space.
 */
int auth_token_load(const char *path, char *out, size_t *len, char *err, size_t errlen);

/* 1 when guess[0..guess_len) is token[0..token_len), else 0.  The time taken depends on
 * token_len and guess_len only, never on the bytes. */
int auth_token_equal(const char *token, size_t token_len, const char *guess, size_t guess_len);

#endif
