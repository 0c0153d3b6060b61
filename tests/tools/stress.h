/*
 * stress.h: what the two halves of the stress client share (tests/tools/stress.c: main,
 * the buffers, the adds, gets, expect and cap modes; stress_load.c: the load and hostile
 * modes).  See the comment at the top of stress.c for the modes.
 */
#ifndef NEWSD_STRESS_H
#define NEWSD_STRESS_H

#include <stddef.h>
#include <stdint.h>

/* -t: every mode gives up after this many seconds (exit status 3). */
extern int timeout_s;

double now_s(void);
void die_usage(void);
int dial(const char *addr);
void nonblocking(int fd);

/* ---- a growable byte buffer ---- */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

void buf_add(buf_t *b, const void *data, size_t n);
void buf_drop(buf_t *b, size_t n);
/* Moves the first line of b (without its "\n") into line; 0 when b holds no whole line. */
int buf_line(buf_t *b, buf_t *line);
/* Reads what the socket has into b: 1 data, 0 nothing now, -1 closed or reset. */
int buf_recv(int fd, buf_t *b);
/* Sends what b holds; -1 when the connection is gone. */
int buf_send(int fd, buf_t *b);
/* Waits (until deadline) for a whole line on fd; 0, or -1. */
int wait_line(int fd, buf_t *in, buf_t *line, double deadline);
/* Replaces the took_us value of a reply line by "X", so replies compare across runs. */
void mask_took(buf_t *line);

/* A request and the reply it must get. */
typedef struct pair {
    char *req;       /* with its "\n" */
    char *reply;     /* without */
} pair_t;

/* The load and hostile modes (stress_load.c). */
int stress_pick_kinds(const char *list);
int mode_load(const char *addr, const char *expfile, size_t conns, long queries, int hostile,
              long pid);
int mode_hostile(const char *addr);

#endif
