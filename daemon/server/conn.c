/*
 * conn.c: the life of one client connection, a state machine over a libevent
 * bufferevent, run by the worker thread that owns it.  Request lines are cut with
 * evbuffer_readln (EVBUFFER_EOL_CRLF) and handed to cmd_execute one at a time; every
 * limit of newsd(8), "CONNECTIONS AND LIMITS" that concerns one connection is
 * enforced here: line length, read-ahead, unsent output, idle and stalled connections,
 * unfinished lines, and requests served per turn.  Each connection carries its write
 * authority (c->auth): given at accept to a Unix socket connection, by AUTH to a TCP one.
 *
 * Fairness.  A request is served only while the connection's unsent replies (newsd's
 * output buffer plus what the kernel still holds unsent: SIOCOUTQNSD on TCP, SIOCOUTQ on
 * a Unix socket, where the replies the client has not read stay charged to our socket)
 * are at most NEWSD_MAX_UNSENT.  So a client that pipelines heavy requests and never
 * reads gets a page or two computed and then nothing, instead of dozens of pages of the
 * CPU the other clients wait for, while a pipelining client that reads keeps the worker
 * busy (its replies leave as fast as they are made).  The socket is set to poll writable
 * only below that line (TCP_NOTSENT_LOWAT; a Unix socket's SO_SNDBUF), so a waiting
 * connection wakes when its client has read, with no timer.  Connections take turns:
 * one request each, a pipeline's further ones on a later turn (schedule_resume).
 *
 * States (c->state):
 *   CONN_READING     serving: each complete request line is answered as it arrives.
 *   CONN_WAIT_WRITE  ADD or DELETE requests are with the writer thread; reading is off.
 *                    Further ADD/DELETE lines already buffered are served too (up to
 *                    NEWSD_MAX_PIPELINED_WRITES), so one client's pipelined writes share
 *                    commits; their replies, and any error replies among them, are held
 *                    in request order (c->held) until the writes before them are back.
 *                    Any other request waits in the input buffer until every write is
 *                    back, so it sees them (replies keep request order).
 *   CONN_THROTTLED   more than NEWSD_MAX_UNSENT of replies are unsent: reading is off
 *                    until the client has read down to it (drain_ev); closed when the
 *                    unsent bytes do not go down for NEWSD_OUTPUT_STALL_S.
 *   CONN_CLOSING     a last reply is queued (QUIT, too_long, HTTP, line timeout, end of
 *                    input, shutdown); reading is off; the connection closes once it is
 *                    sent.
 *   CONN_LINGER      everything is sent and our side is shut down; what the client still
 *                    sends is read and dropped until it closes (or NEWSD_LINGER_MS), so
 *                    that the kernel does not reset the connection, destroying our last
 *                    reply, because unread bytes were left behind.
 *   CONN_ORPHAN      the socket is gone (client vanished, error, shutdown) while a write
 *                    was with the writer; the struct waits for that write to come back.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cmd.h"
#include "conn.h"
#include "log.h"
#include "proto.h"
#include "writer.h"

typedef enum conn_state {
    CONN_READING = 0,
    CONN_WAIT_WRITE,
    CONN_THROTTLED,
    CONN_CLOSING,
    CONN_LINGER,
    CONN_ORPHAN
} conn_state_t;

struct conn {
    worker_t *worker;
    struct bufferevent *bev;       /* NULL once the socket is closed (CONN_ORPHAN) */
    struct event *timer;           /* READING: the line timeout; LINGER: the linger limit */
    struct event *resume_ev;       /* serves more pipelined requests on a later turn;
                                      THROTTLED: looks again after NEWSD_DRAIN_POLL_MS */
    struct event *drain_ev;        /* THROTTLED: the socket polls writable */
    size_t drain_low;              /* THROTTLED: fewest unsent bytes seen so far */
    uint64_t drain_progress_us;    /* THROTTLED: when they last went down */
    unsigned drain_poll_ms;        /* THROTTLED: the next wait when the socket cannot tell */
    conn_state_t state;
    reply_format_t format;         /* the default reply format (FORMAT) */
    cmd_auth_t auth;               /* write authority: Unix socket, or AUTH succeeded */
    int eof;                       /* the client has shut down its sending side */
    int stop_after_write;          /* shutdown came during CONN_WAIT_WRITE */
    unsigned writes_out;           /* writes with the writer thread */
    int head_direct;               /* the oldest write out replies straight to the output */
    unsigned bad_requests;         /* the first NEWSD_LOG_BAD_PER_CONN are logged (cmd.c) */
    struct held *held, *held_tail; /* replies after it, in request order */
    uint64_t id;
    char peer[64];
    conn_t *prev, *next;           /* the worker's list */
};

/* A reply that must wait for earlier writes: one per request served in CONN_WAIT_WRITE. */
typedef struct held {
    struct evbuffer *buf;
    int pending;                   /* its write is still with the writer */
    struct held *next;
} held_t;

static void serve(conn_t *c);

static void held_free_all(conn_t *c)
{
    while (c->held) {
        held_t *h = c->held;
        c->held = h->next;
        evbuffer_free(h->buf);
        free(h);
    }
    c->held_tail = NULL;
}

static size_t out_len(conn_t *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* Reply bytes the client has not taken yet: newsd's output buffer plus what the kernel
 * holds.  On a Unix socket the kernel's count (SIOCOUTQ) runs until the client reads.  On
 * TCP it is the unsent part (SIOCOUTQNSD): bytes in flight to a distant client that
 * reads are no backlog.  What the client's own kernel took but the client did not read
 * is not seen: its advertised window is the only trace of it, and a client that reads
 * does not always advertise the reopened window, so waiting on it could wait for ever. */
static size_t kernel_queued(conn_t *c)
{
    int queued = 0;
    if (ioctl(bufferevent_getfd(c->bev), c->auth.unix_socket ? SIOCOUTQ : SIOCOUTQNSD,
              &queued) != 0 || queued < 0)
        return 0;
    return (size_t)queued;
}

static size_t unsent(conn_t *c)
{
    return out_len(c) + kernel_queued(c);
}

/* Frees the struct and everything it owns; the socket too if still open. */
static void destroy(conn_t *c)
{
    worker_t *w = c->worker;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    if (c->bev) {
        bufferevent_free(c->bev);
        server_conn_closed(w->srv, c->auth.unix_socket);
    }
    event_free(c->timer);
    event_free(c->resume_ev);
    event_free(c->drain_ev);
    held_free_all(c);
    if (c->bad_requests > NEWSD_LOG_BAD_PER_CONN)
        LOG(LOG_WARN, "bad_requests", "conn=%" PRIu64 " peer=%s count=%u logged=%u", c->id,
            c->peer, c->bad_requests, NEWSD_LOG_BAD_PER_CONN);
    LOG(LOG_DEBUG, "close", "conn=%" PRIu64 " peer=%s", c->id, c->peer);
    free(c);
    worker_conn_gone(w);
}

void conn_free(conn_t *c)
{
    if (c->state != CONN_WAIT_WRITE && c->state != CONN_ORPHAN) {
        destroy(c);
        return;
    }
    /* a write is out: close the socket now, keep the struct for the writer's answer */
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
        server_conn_closed(c->worker->srv, c->auth.unix_socket);
    }
    evtimer_del(c->timer);
    evtimer_del(c->resume_ev);
    event_del(c->drain_ev);
    c->state = CONN_ORPHAN;
}

/* All replies are out: shut our side and drop whatever the client still sends. */
static void linger(conn_t *c)
{
    if (c->eof) {
        destroy(c);
        return;
    }
    shutdown(bufferevent_getfd(c->bev), SHUT_WR);
    c->state = CONN_LINGER;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    evbuffer_drain(in, evbuffer_get_length(in));
    bufferevent_enable(c->bev, EV_READ);
    /* A stopping daemon lingers less: a client that keeps sending must not hold its exit. */
    unsigned ms = c->worker->stopping ? NEWSD_SHUTDOWN_LINGER_MS : NEWSD_LINGER_MS;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add(c->timer, &tv);
}

static void begin_close(conn_t *c)
{
    c->state = CONN_CLOSING;
    bufferevent_disable(c->bev, EV_READ);
    evtimer_del(c->timer);
    evtimer_del(c->resume_ev);
    event_del(c->drain_ev);
    if (out_len(c) == 0)
        linger(c);
}

/* NEWSD_LINE_TIMEOUT_MS, or the idle timeout when that is shorter: a half-sent line is
 * no more of a request than silence is. */
static unsigned line_timeout_ms(const conn_t *c)
{
    unsigned idle_ms = c->worker->srv->cfg.idle_timeout_s * 1000u;
    return idle_ms < NEWSD_LINE_TIMEOUT_MS ? idle_ms : NEWSD_LINE_TIMEOUT_MS;
}

static void set_timeouts(conn_t *c, int idle_on)
{
    struct timeval idle = { (time_t)c->worker->srv->cfg.idle_timeout_s, 0 };
    struct timeval stall = { NEWSD_OUTPUT_STALL_S, 0 };
    bufferevent_set_timeouts(c->bev, idle_on ? &idle : NULL, &stall);
}

/* A line has started: the line timer replaces the idle timeout until it ends. */
static void line_timer_start(conn_t *c)
{
    unsigned ms = line_timeout_ms(c);
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add(c->timer, &tv);
    set_timeouts(c, 0);
}

static void line_timer_stop(conn_t *c)
{
    if (!evtimer_pending(c->timer, NULL))
        return;
    evtimer_del(c->timer);
    set_timeouts(c, 1);
}

/* More requests of c are waiting: a timer at 0 runs after the next poll of sockets, so
 * every connection whose request has come meanwhile is served first, one turn each: round
 * robin, a deep pipeline's further requests after every connection's fresh one. */
static void schedule_resume(conn_t *c)
{
    static const struct timeval now = { 0, 0 };
    evtimer_add(c->resume_ev, &now);
}

static void stalled(conn_t *c, size_t left)
{
    LOG(LOG_WARN, "stalled", "conn=%" PRIu64 " peer=%s unsent=%zu seconds=%d", c->id, c->peer,
        left, NEWSD_OUTPUT_STALL_S);
    conn_free(c);
}

/* Waits for the socket to poll writable, at most until the stall deadline. */
static void drain_wait(conn_t *c, uint64_t now)
{
    uint64_t deadline = c->drain_progress_us + (uint64_t)NEWSD_OUTPUT_STALL_S * 1000000u;
    uint64_t left = deadline > now ? deadline - now : 0;
    struct timeval tv = { (time_t)(left / 1000000u), (suseconds_t)(left % 1000000u) };
    event_add(c->drain_ev, &tv);
}

/* Serving stops until the client has read its replies down to NEWSD_MAX_UNSENT. */
static void throttle(conn_t *c, size_t left)
{
    c->state = CONN_THROTTLED;
    bufferevent_disable(c->bev, EV_READ);
    c->drain_low = left;
    c->drain_progress_us = server_now_us();
    c->drain_poll_ms = NEWSD_DRAIN_POLL_MS;
    LOG(LOG_DEBUG, "throttle", "conn=%" PRIu64 " unsent=%zu", c->id, left);
    drain_wait(c, c->drain_progress_us);
}

/* THROTTLED: has the client read enough?  writable: the socket polled writable. */
static void drain_check(conn_t *c, int writable)
{
    size_t left = unsent(c);
    if (left <= NEWSD_MAX_UNSENT) {
        event_del(c->drain_ev);
        evtimer_del(c->resume_ev);
        c->state = CONN_READING;
        if (!c->eof)
            bufferevent_enable(c->bev, EV_READ);
        schedule_resume(c);
        return;
    }
    uint64_t now = server_now_us();
    if (left < c->drain_low) {
        c->drain_low = left;
        c->drain_progress_us = now;
        c->drain_poll_ms = NEWSD_DRAIN_POLL_MS;
    } else if (now - c->drain_progress_us >= (uint64_t)NEWSD_OUTPUT_STALL_S * 1000000u) {
        stalled(c, left);
        return;
    }
    if (writable && out_len(c) == 0) {
        /* Writable, nothing of ours to send, and still over the line: the kernel's own
         * threshold is above ours (TCP_NOTSENT_LOWAT refused, a Unix socket's buffer
         * rounded).  Look again later, less often while nothing moves, not spinning. */
        unsigned ms = c->drain_poll_ms;
        struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };
        c->drain_poll_ms = ms * 2 > NEWSD_DRAIN_POLL_MAX_MS ? NEWSD_DRAIN_POLL_MAX_MS : ms * 2;
        event_del(c->drain_ev);
        evtimer_add(c->resume_ev, &tv);
        return;
    }
    drain_wait(c, now);
}

/* 1 when the request line at the head of in (eol at pos) goes to the writer thread, as
 * the protocol table says (PROTO_QUEUED): it may be pipelined behind the writes out. */
static int is_queued_line(struct evbuffer *in, size_t pos)
{
    const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)pos);
    const proto_command_t *cmd = p ? proto_find(p, pos) : NULL;
    return cmd && (cmd->flags & PROTO_QUEUED);
}

/*
 * Handles one complete line; returns 0 to go on, -1 when the connection stops serving
 * for now.  h is the held reply for a line served while writes are out (NULL otherwise).
 */
static int handle_line(conn_t *c, const char *line, size_t len, held_t *h)
{
    cmd_ctx_t ctx = { c->worker, c, c->id, c->peer, &c->format,
                      h ? h->buf : bufferevent_get_output(c->bev), &c->auth, &c->bad_requests,
                      NULL, 0 };
    if (h) {
        if (c->held_tail)
            c->held_tail->next = h;
        else
            c->held = h;
        c->held_tail = h;
    }
    switch (cmd_execute(&ctx, line, len)) {
    case CMD_DONE:
        return 0;
    case CMD_PENDING:
        if (h)
            h->pending = 1;
        else
            c->head_direct = 1;
        c->writes_out++;
        if (c->state != CONN_WAIT_WRITE) {
            c->state = CONN_WAIT_WRITE;
            bufferevent_disable(c->bev, EV_READ);
        }
        return 0;
    case CMD_CLOSE:
        if (c->writes_out > 0) {
            /* e.g. "DELETE / HTTP/1.1": close once the writes before it are answered */
            c->stop_after_write = 1;
            return -1;
        }
        begin_close(c);
        return -1;
    }
    return 0;
}

static void too_long(conn_t *c, struct evbuffer *in)
{
    char sample[NEWSD_LOG_SAMPLE_LEN * 4 + 8];
    unsigned char *head = evbuffer_pullup(in, NEWSD_LOG_SAMPLE_LEN);
    size_t n = evbuffer_get_length(in);
    size_t shown = n < NEWSD_LOG_SAMPLE_LEN ? n : NEWSD_LOG_SAMPLE_LEN + 1;
    if (head && proto_is_secret_line((const char *)head, shown))
        shown = 0;            /* it may hold the token */
    LOG(LOG_WARN, "too_long", "conn=%" PRIu64 " peer=%s buffered=%zu sample=\"%s\"", c->id,
        c->peer, n, shown ? log_sample(sample, sizeof sample, (const char *)head, shown)
                          : "AUTH (not quoted)");
    cmd_error(c->worker->srv, bufferevent_get_output(c->bev), c->format, "too_long",
              "request line longer than %u bytes", NEWSD_MAX_LINE);
    begin_close(c);
}

/* Serves complete request lines, per turn at most NEWSD_MAX_REQUESTS_PER_WAKEUP, and
 * after the first only within NEWSD_TURN_BUDGET_US, so that a pipeline of heavy requests
 * cannot hold up the worker's other connections (whose line timers keep running). */
static void serve(conn_t *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    uint64_t turn_start = server_now_us();
    /* asked once a turn: libevent writes to the socket only between turns, so the
     * kernel's queue can only shrink meanwhile */
    size_t queued = kernel_queued(c);
    for (unsigned served = 0; c->state == CONN_READING || c->state == CONN_WAIT_WRITE;
         served++) {
        if (c->stop_after_write)
            return;           /* closing once the writes out are answered */
        size_t left = out_len(c) + queued;
        if (left > NEWSD_MAX_UNSENT) {
            /* with writes out, the state stays WAIT_WRITE (the struct must outlive them):
             * their answers serve again, and throttle then */
            if (c->state == CONN_READING)
                throttle(c, left);
            return;
        }
        if (served == NEWSD_MAX_REQUESTS_PER_WAKEUP ||
            (served > 0 && server_now_us() - turn_start >= NEWSD_TURN_BUDGET_US)) {
            schedule_resume(c);
            return;
        }
        size_t eol_len = 0;
        struct evbuffer_ptr at = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
        size_t buffered = evbuffer_get_length(in);
        if (at.pos < 0 && c->state == CONN_WAIT_WRITE)
            return;           /* the rest is read once the writes are back */
        if (at.pos < 0) {
            /* no complete line; "+ 1": the '\r' of a "\r\n" may be in already */
            if (buffered > NEWSD_MAX_LINE + 1) {
                too_long(c, in);
            } else if (c->eof) {
                begin_close(c);       /* an unfinished last line is dropped */
            } else if (buffered == 0) {
                line_timer_stop(c);
            } else if (!evtimer_pending(c->timer, NULL)) {
                line_timer_start(c);
            }
            return;
        }
        if ((size_t)at.pos > NEWSD_MAX_LINE) {
            if (c->state == CONN_WAIT_WRITE)
                return;       /* answered in order, once the writes are back */
            too_long(c, in);
            return;
        }
        held_t *h = NULL;
        if (c->state == CONN_WAIT_WRITE) {
            /* Only more writes may go ahead, and only so many; the rest wait. */
            if (!is_queued_line(in, (size_t)at.pos) ||
                c->writes_out >= NEWSD_MAX_PIPELINED_WRITES)
                return;
            h = calloc(1, sizeof *h);
            if (h && !(h->buf = evbuffer_new())) {
                free(h);
                h = NULL;
            }
            if (!h)
                return;     /* out of memory: serve it once the writes are back */
        }
        line_timer_stop(c);
        size_t len = 0;
        char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
        if (!line) {
            if (h) {
                evbuffer_free(h->buf);
                free(h);
                return;
            }
            cmd_error(c->worker->srv, bufferevent_get_output(c->bev), c->format, "internal",
                      "out of memory");
            begin_close(c);
            return;
        }
        int rc = handle_line(c, line, len, h);
        free(line);
        if (rc != 0)
            return;
    }
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    conn_t *c = arg;
    c->worker->activity++;
    if (c->state == CONN_LINGER) {
        struct evbuffer *in = bufferevent_get_input(bev);
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    if (c->state == CONN_READING)
        serve(c);
}

/* Output drained (the write low watermark is 0). */
static void write_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_t *c = arg;
    if (c->state == CONN_CLOSING && out_len(c) == 0)
        linger(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    conn_t *c = arg;
    if (what & BEV_EVENT_EOF) {
        c->eof = 1;
        if (c->state == CONN_LINGER)
            destroy(c);
        else if (c->state == CONN_READING)
            serve(c);          /* answer what was sent before the client shut down */
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        if (c->state == CONN_LINGER) {
            destroy(c);
            return;
        }
        if (what & BEV_EVENT_WRITING) {
            stalled(c, unsent(c));
            return;
        }
        LOG(LOG_INFO, "idle_timeout", "conn=%" PRIu64 " peer=%s seconds=%u", c->id, c->peer,
            c->worker->srv->cfg.idle_timeout_s);
        conn_free(c);
        return;
    }
    LOG(LOG_DEBUG, "socket_error", "conn=%" PRIu64 " peer=%s what=0x%x", c->id, c->peer,
        (unsigned)what);
    conn_free(c);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_t *c = arg;
    if (c->state == CONN_LINGER) {
        destroy(c);
        return;
    }
    if (c->state != CONN_READING)
        return;
    LOG(LOG_INFO, "line_timeout", "conn=%" PRIu64 " peer=%s buffered=%zu", c->id, c->peer,
        evbuffer_get_length(bufferevent_get_input(c->bev)));
    cmd_error(c->worker->srv, bufferevent_get_output(c->bev), c->format, "timeout",
              "request line not finished within %u ms", line_timeout_ms(c));
    begin_close(c);
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_t *c = arg;
    if (c->state == CONN_READING || c->state == CONN_WAIT_WRITE)
        serve(c);
    else if (c->state == CONN_THROTTLED)
        drain_check(c, 0);
}

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    conn_t *c = arg;
    if (c->state == CONN_THROTTLED)
        drain_check(c, (what & EV_WRITE) != 0);
}

/* The socket polls writable only when its unsent bytes are below NEWSD_MAX_UNSENT, so a
 * throttled connection is woken by its client's reading.  Failures only leave the
 * kernel's defaults (drain_check then polls): nothing to report. */
static void tune_socket(int fd, int unix_socket)
{
    if (unix_socket) {
        /* Linux doubles it, and a Unix socket polls writable at a quarter of that */
        int sndbuf = 2 * (int)NEWSD_MAX_UNSENT;
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        return;
    }
    /* left to autotuning the send buffer grows to megabytes */
    int sndbuf = NEWSD_SOCKET_SNDBUF, lowat = (int)NEWSD_MAX_UNSENT;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
}

void conn_new(worker_t *w, int fd, const char *peer, int unix_socket)
{
    server_t *srv = w->srv;
    tune_socket(fd, unix_socket);
    conn_t *c = calloc(1, sizeof *c);
    if (c)
        c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c && c->bev) {
        c->timer = evtimer_new(w->base, timer_cb, c);
        c->resume_ev = evtimer_new(w->base, resume_cb, c);
        c->drain_ev = event_new(w->base, fd, EV_WRITE, drain_cb, c);
    }
    if (!c || !c->bev || !c->timer || !c->resume_ev || !c->drain_ev) {
        LOG(LOG_ERROR, "conn_new", "peer=%s msg=\"out of memory\"", peer);
        if (c && c->bev)
            bufferevent_free(c->bev);
        else
            close(fd);
        if (c) {
            if (c->timer)
                event_free(c->timer);
            if (c->resume_ev)
                event_free(c->resume_ev);
            if (c->drain_ev)
                event_free(c->drain_ev);
        }
        free(c);
        server_conn_closed(srv, unix_socket);
        return;
    }
    c->worker = w;
    c->auth.unix_socket = unix_socket;
    c->auth.may_write = unix_socket;
    c->id = atomic_fetch_add(&srv->next_conn_id, 1) + 1;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, NEWSD_MAX_INPUT);
    set_timeouts(c, 1);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    LOG(LOG_DEBUG, "open", "conn=%" PRIu64 " peer=%s worker=%u", c->id, c->peer, w->id);
    if (w->stopping)
        begin_close(c);
}

void conn_write_done(worker_t *w, write_req_t *req)
{
    (void)w;
    conn_t *c = req->conn;
    c->writes_out--;
    if (c->state == CONN_ORPHAN) {
        write_req_free(req);
        if (c->writes_out == 0)
            destroy(c);
        return;
    }
    struct evbuffer *out = bufferevent_get_output(c->bev);
    /* Completions come back in the order the writes were sent (one FIFO writer). */
    if (c->head_direct) {
        cmd_write_reply(c->worker->srv, req, out);
        c->head_direct = 0;
    } else {
        held_t *h = c->held;
        while (h && !h->pending)
            h = h->next;
        if (h) {
            cmd_write_reply(c->worker->srv, req, h->buf);
            h->pending = 0;
        }
    }
    write_req_free(req);
    /* Everything ready at the head of the held replies goes out, in order. */
    while (c->held && !c->held->pending) {
        held_t *h = c->held;
        evbuffer_add_buffer(out, h->buf);
        c->held = h->next;
        evbuffer_free(h->buf);
        free(h);
    }
    if (!c->held) {
        c->held_tail = NULL;
    } else if (c->held->pending) {
        /* The next write out is now the oldest: its reply may go straight out. */
        held_t *h = c->held;
        c->held = h->next;
        if (!c->held)
            c->held_tail = NULL;
        evbuffer_free(h->buf);
        free(h);
        c->head_direct = 1;
    }
    if (c->writes_out > 0) {
        serve(c);                  /* more writes may be buffered behind */
        return;
    }
    c->state = CONN_READING;
    if (c->stop_after_write) {
        begin_close(c);
        return;
    }
    if (!c->eof)
        bufferevent_enable(c->bev, EV_READ);
    serve(c);
}

void conn_shutdown(conn_t *c)
{
    switch (c->state) {
    case CONN_READING:
    case CONN_THROTTLED:
        begin_close(c);
        break;
    case CONN_WAIT_WRITE:
        c->stop_after_write = 1;
        break;
    case CONN_CLOSING:
    case CONN_LINGER:
    case CONN_ORPHAN:
        break;      /* closing already, within NEWSD_LINGER_MS of the last reply */
    }
}

void conn_shutdown_all(worker_t *w)
{
    for (conn_t *c = w->conns, *next; c; c = next) {
        next = c->next;
        conn_shutdown(c);
    }
}

void conn_close_all(worker_t *w)
{
    for (conn_t *c = w->conns, *next; c; c = next) {
        next = c->next;
        conn_free(c);
    }
}

void conn_destroy_all(worker_t *w)
{
    while (w->conns)
        destroy(w->conns);
}
