/*
 * queue.h: a locked first-in first-out queue with a wake-up, between threads.  The items
 * are the caller's structs, linked through a `next` pointer of their own (the queue is
 * told its offset), so pushing allocates nothing.  A push wakes the consumer: a thread
 * sleeping in queue_wait, and the callback given at init (a worker's notification pipe).
 * Used by the accept thread to hand connections to a worker, by the writer to hand
 * answered writes back, and by the workers to hand writes to the writer.
 */
#ifndef NEWSD_QUEUE_H
#define NEWSD_QUEUE_H

#include <pthread.h>
#include <stddef.h>

typedef struct queue {
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* signalled on each push and on close */
    void *head, *tail;
    size_t len;
    size_t max;                 /* queue_push refuses beyond it; 0: no bound */
    size_t link;                /* offsetof the items' next pointer */
    int closed;                 /* queue_close was called: pushes are refused */
    void (*wake)(void *arg);    /* called after each push, outside the lock; may be NULL */
    void *wake_arg;
} queue_t;

typedef enum queue_wait {
    QUEUE_ITEMS = 0,            /* something is queued */
    QUEUE_CLOSED,               /* closed, and nothing is left */
    QUEUE_TIMEOUT               /* nothing came within the time asked */
} queue_wait_t;

/* Items link through the `void *`-sized pointer at link bytes into them. */
void queue_init(queue_t *q, size_t link, size_t max, void (*wake)(void *), void *wake_arg);
void queue_destroy(queue_t *q);

/* Appends item; -1 (item untouched) when the queue is closed, or full unless force. */
int queue_push(queue_t *q, void *item, int force);

/* Takes everything queued, as a list linked by the items' next pointers; NULL if empty. */
void *queue_take_all(queue_t *q);

/* Takes up to max items from the head, stopping before an item `fits` refuses to join
 * (fits(first, item) is asked of each item after the first; NULL: all fit).  *n gets the
 * count.  The list is NULL-terminated. */
void *queue_take(queue_t *q, size_t max, int (*fits)(const void *first, const void *item),
                 size_t *n);

/* Sleeps until an item is queued, the queue is closed and empty, or timeout_ms pass
 * (negative: no limit).  For one consumer thread. */
queue_wait_t queue_wait(queue_t *q, int timeout_ms);

/* Refuses further pushes and wakes the consumer; what is queued stays to be taken. */
void queue_close(queue_t *q);

/* The item after item in a list queue_take* returned. */
void *queue_next(const queue_t *q, const void *item);

#endif
