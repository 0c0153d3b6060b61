/*
 * sphinxql.c: the MySQL 4.1 protocol subset of sphinxql.h.  Blocking reads only: the
 * load generator keeps its own poll() loop and uses just the handshake from here.
 */
#include "sphinxql.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION */
#define MYSQL_CLIENT_CAPS 0x00008201u
#define MYSQL_UTF8 33
#define MAX_COLUMNS 16        /* SHOW META has 2, our SELECTs 1 */

static int read_full(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

long sphinxql_read_packet(int fd, unsigned char *buf, size_t cap, unsigned char *seq)
{
    unsigned char h[MYSQL_HEADER];
    if (read_full(fd, h, sizeof h) != 0) return -1;
    size_t n = h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    if (n > cap || read_full(fd, buf, n) != 0) return -1;
    *seq = h[3];
    return (long)n;
}

int sphinxql_handshake(int fd)
{
    unsigned char buf[1024], seq;
    if (sphinxql_read_packet(fd, buf, sizeof buf, &seq) < 1 || buf[0] != 10) return -1;
    unsigned char out[MYSQL_HEADER + 64] = {0};
    unsigned char *p = out + MYSQL_HEADER;
    uint32_t caps = MYSQL_CLIENT_CAPS, maxpkt = 1u << 24;
    memcpy(p, &caps, 4);       /* little-endian, as the protocol */
    memcpy(p + 4, &maxpkt, 4);
    p[8] = MYSQL_UTF8;         /* then 23 reserved zero bytes */
    memcpy(p + 32, "bench", 6); /* user, NUL-terminated */
    p[38] = 0;                 /* no auth data */
    size_t n = 39;
    out[0] = (unsigned char)n;
    out[3] = (unsigned char)(seq + 1);
    if (write(fd, out, MYSQL_HEADER + n) != (ssize_t)(MYSQL_HEADER + n)) return -1;
    if (sphinxql_read_packet(fd, buf, sizeof buf, &seq) < 1 || buf[0] != MYSQL_OK) return -1;
    return 0;
}

/* A length-encoded integer at *p (within end); -1 when truncated, -2 for NULL (0xfb). */
static long long lenenc(unsigned char **p, const unsigned char *end)
{
    if (*p >= end) return -1;
    unsigned c = *(*p)++;
    if (c < 0xfb) return c;
    if (c == 0xfb) return -2;
    size_t bytes = c == 0xfc ? 2 : c == 0xfd ? 3 : 8;
    if ((size_t)(end - *p) < bytes) return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < bytes; i++) v |= (unsigned long long)(*p)[i] << (8 * i);
    *p += bytes;
    return v > (unsigned long long)INT64_MAX ? -1 : (long long)v;
}

/* Splits a text row in place into NUL-terminated columns.  The packet buffer has one
 * spare byte past n; each column's terminator overwrites the next column's length
 * byte(s), which have been read by then. */
static int split_row(unsigned char *b, long n, int ncols, char **cols)
{
    unsigned char *p = b, *end = b + n;
    for (int i = 0; i < ncols; i++) {
        long long len = lenenc(&p, end);
        if (len == -2) {
            cols[i] = NULL;
            continue;
        }
        if (len < 0 || len > end - p) return -1;
        memmove(p - 1, p, (size_t)len);   /* p - 1 >= b: a length took a byte */
        cols[i] = (char *)p - 1;
        p[len - 1] = '\0';
        p += len;
    }
    return p == end ? 0 : -1;
}

int sphinxql_query(int fd, const char *sql, sphinxql_row_fn fn, void *ctx, char *err,
                   size_t errcap)
{
    static unsigned char buf[SPHINXQL_MAX_PACKET + 1];
    size_t len = strlen(sql);
    if (len + 1 > SPHINXQL_MAX_PACKET) return -1;
    buf[0] = (unsigned char)((len + 1) & 0xff);
    buf[1] = (unsigned char)((len + 1) >> 8 & 0xff);
    buf[2] = (unsigned char)((len + 1) >> 16 & 0xff);
    buf[3] = 0;                /* a command starts a new sequence */
    buf[MYSQL_HEADER] = MYSQL_COM_QUERY;
    memcpy(buf + MYSQL_HEADER + 1, sql, len);
    if (write(fd, buf, MYSQL_HEADER + 1 + len) != (ssize_t)(MYSQL_HEADER + 1 + len)) return -1;

    unsigned char seq;
    long n = sphinxql_read_packet(fd, buf, SPHINXQL_MAX_PACKET, &seq);
    if (n < 1) return -1;
    if (buf[0] == MYSQL_ERR) {
        /* 0xff, a 2-byte code, then (4.1) '#' and a 5-byte SQL state, then the text. */
        size_t skip = n > 9 && buf[3] == '#' ? 9 : 3;
        snprintf(err, errcap, "%.*s", (int)(n > (long)skip ? n - (long)skip : 0), buf + skip);
        return 1;
    }
    if (buf[0] == MYSQL_OK) return 0;
    unsigned char *p = buf;
    long long ncols = lenenc(&p, buf + n);
    if (ncols < 1 || ncols > MAX_COLUMNS) return -1;
    /* Column definitions up to an EOF, then rows up to an EOF. */
    for (int phase = 0; phase < 2;) {
        n = sphinxql_read_packet(fd, buf, SPHINXQL_MAX_PACKET, &seq);
        if (n < 1) return -1;
        if (buf[0] == MYSQL_EOF && n < 9) {
            phase++;
            continue;
        }
        if (buf[0] == MYSQL_ERR) return -1;
        if (phase == 0 || !fn) continue;
        char *cols[MAX_COLUMNS];
        if (split_row(buf, n, (int)ncols, cols) != 0) return -1;
        if (fn(ctx, (int)ncols, cols) != 0) fn = NULL;  /* read the rest, ignore it */
    }
    return 0;
}
