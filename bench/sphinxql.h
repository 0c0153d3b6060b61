/*
 * sphinxql.h: just enough of the MySQL 4.1 wire protocol to talk SphinxQL to Sphinx's
 * searchd, which speaks it without checking the user: packet framing, the handshake,
 * and (for sphinx_count) one blocking query whose text result set is handed over row
 * by row.  loadgen drives its own non-blocking reads with the constants below.
 */
#ifndef NEWSD_BENCH_SPHINXQL_H
#define NEWSD_BENCH_SPHINXQL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MYSQL_HEADER 4        /* 3 bytes of payload length, 1 of sequence number */
#define MYSQL_COM_QUERY 0x03
#define MYSQL_OK 0x00
#define MYSQL_EOF 0xfe        /* an EOF packet is 0xfe with a payload under 9 bytes */
#define MYSQL_ERR 0xff
#define SPHINXQL_MAX_PACKET 65536   /* a row of SHOW META or of ids is a few bytes */

/* Reads one whole packet (blocking) into buf; returns its payload length, or -1. */
long sphinxql_read_packet(int fd, unsigned char *buf, size_t cap, unsigned char *seq);

/* The server's greeting, our answer (any user, no password) and its OK: 0, or -1. */
int sphinxql_handshake(int fd);

/* Called for each row of a result set: the row's columns as NUL-terminated strings
 * (NULL for SQL NULL), valid until the call returns; non-zero stops the read. */
typedef int (*sphinxql_row_fn)(void *ctx, int ncols, char **cols);

/*
 * Sends sql and reads the whole reply, blocking: a result set (each row to fn, which
 * may be NULL), or an OK.  Returns 0; -1 when the connection broke or the reply was
 * malformed; 1 for an ERR packet, its message copied to err (errcap bytes).  It reads
 * into one static buffer: for one thread only (sphinx_count is single-threaded).
 */
int sphinxql_query(int fd, const char *sql, sphinxql_row_fn fn, void *ctx, char *err,
                   size_t errcap);

#ifdef __cplusplus
}
#endif

#endif
