/*
 * queue.c: the locked queue with a wake-up (see queue.h).
 */
#include <errno.h>
#include <time.h>

#include "queue.h"

static void **link_of(const queue_t *q, const void *item)
{
    return (void **)((char *)item + q->link);
}

void *queue_next(const queue_t *q, const void *item)
{
    return *link_of(q, item);
}

void queue_init(queue_t *q, size_t link, size_t max, void (*wake)(void *), void *wake_arg)
{
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->cond, NULL);
    q->head = q->tail = NULL;
    q->len = 0;
    q->max = max;
    q->link = link;
    q->closed = 0;
    q->wake = wake;
    q->wake_arg = wake_arg;
}

void queue_destroy(queue_t *q)
{
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->cond);
}

int queue_push(queue_t *q, void *item, int force)
{
    pthread_mutex_lock(&q->lock);
    if (q->closed || (!force && q->max && q->len >= q->max)) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    *link_of(q, item) = NULL;
    if (q->tail)
        *link_of(q, q->tail) = item;
    else
        q->head = item;
    q->tail = item;
    q->len++;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    if (q->wake)
        q->wake(q->wake_arg);
    return 0;
}

void *queue_take_all(queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    void *list = q->head;
    q->head = q->tail = NULL;
    q->len = 0;
    pthread_mutex_unlock(&q->lock);
    return list;
}

void *queue_take(queue_t *q, size_t max, int (*fits)(const void *first, const void *item),
                 size_t *n)
{
    pthread_mutex_lock(&q->lock);
    void *first = q->head, *last = first;
    size_t count = first != NULL;
    while (last && count < max) {
        void *next = *link_of(q, last);
        if (!next || (fits && !fits(first, next)))
            break;
        last = next;
        count++;
    }
    if (last) {
        q->head = *link_of(q, last);
        if (!q->head)
            q->tail = NULL;
        *link_of(q, last) = NULL;
        q->len -= count;
    }
    pthread_mutex_unlock(&q->lock);
    *n = count;
    return first;
}

queue_wait_t queue_wait(queue_t *q, int timeout_ms)
{
    queue_wait_t st = QUEUE_ITEMS;
    struct timespec until;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&q->lock);
    while (!q->head) {
        if (q->closed) {
            st = QUEUE_CLOSED;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->cond, &q->lock);
        } else if (pthread_cond_timedwait(&q->cond, &q->lock, &until) == ETIMEDOUT) {
            if (!q->head)
                st = q->closed ? QUEUE_CLOSED : QUEUE_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    return st;
}

void queue_close(queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
}
