/*
 * buf.c: the growable byte buffer every reader builds its records in (ingest_buf_t in
 * ingest_internal.h).  It doubles as it grows and is always NUL-terminated once anything
 * was put in it, so its contents can be handed out as a C string.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest_internal.h"

int ingest_buf_reserve(ingest_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int ingest_buf_append(ingest_buf_t *b, const char *s, size_t n)
{
    if (ingest_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int ingest_buf_putc(ingest_buf_t *b, char c)
{
    return ingest_buf_append(b, &c, 1);
}

void ingest_buf_clear(ingest_buf_t *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

const char *ingest_buf_str(ingest_buf_t *b)
{
    return b->p ? b->p : "";
}

void ingest_buf_free(ingest_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
