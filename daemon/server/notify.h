/*
 * notify.h: systemd's readiness protocol without libsystemd (newsd(8), "SYSTEMD").  When
 * newsd runs under a unit of Type=notify (or notify-reload), $NOTIFY_SOCKET names an
 * AF_UNIX datagram socket (a path, or "@name" in the abstract namespace); newsd sends
 * it one datagram of "KEY=VALUE" lines for each change of state: READY=1 once it
 * listens, RELOADING=1 and READY=1 around SIGHUP, STOPPING=1 on SIGTERM, STATUS= lines
 * for systemctl status.  Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef NEWSD_NOTIFY_H
#define NEWSD_NOTIFY_H

/* Takes $NOTIFY_SOCKET and removes it from the environment, as sd_notify's
 * unset_environment does, so that no child (REINDEX's newsindex) inherits it.  Call
 * once, first thing in main, before any thread starts. */
void notify_init(void);

/* Sends one datagram, fmt's text ("READY=1\nSTATUS=..."), to the socket notify_init
 * took; at most NEWSD_NOTIFY_MAX_LEN bytes.  Returns 0 (also when there is no socket),
 * or -1 after logging why it could not be sent. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
