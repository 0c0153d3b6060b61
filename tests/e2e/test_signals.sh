#!/bin/sh
# End-to-end tests of newsd as a service (newsd(8), "SIGNALS", "READINESS NOTIFICATION", "FILES"):
# --log writes the log lines (the ready line too) to its file, created with mode 0640;
# after the file is renamed, SIGHUP makes a new one and later lines land there; SIGHUP
# reads the token file again (the old token refused and the new one taken over TCP
# AUTH) and keeps the old token when the file has become unusable; --pidfile holds the
# pid while newsd runs, refuses a second newsd, takes over a stale file and is removed
# at exit; sd_notify over a datagram socket at a path and in the abstract namespace:
# READY=1 with the document count and MAINPID once newsd answers, RELOADING=1 then
# READY=1 around SIGHUP, the new count after a REINDEX, STOPPING=1 on SIGTERM.  Nothing waits on a timer: each step
# polls for the line or the datagram it needs, with a deadline.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
unset NOTIFY_SOCKET
DEADLINE=${START_DEADLINE:-60}

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]
"$BIN/newsindex" --index "$T/idx" "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "fixture index built" contains "$T/out" "docs=6"

# ask ADDR REQUESTS: the daemon's replies to REQUESTS (printf's format).
ask() { printf "$2" | "$NC" "$1"; }
answers_ping() { [ "$(ask "$1" 'PING\n')" = "OK pong" ]; }

# ---- --log, and SIGHUP reopening it ----
umask 022
"$ND" --index "$T/idx" --listen 127.0.0.1:0 --workers 1 --log "$T/newsd.log" 2>"$T/stderr" &
L=$!
PIDS="$PIDS $L"
wait_for "$DEADLINE" grep -qs '^newsd: ready' "$T/newsd.log"
check "--log: the ready line is in the log file" grep -q '^newsd: ready listen=127.0.0.1:[0-9]* workers=1 docs=6$' "$T/newsd.log"
check "--log: nothing on standard error" sh -c "[ ! -s '$T/stderr' ]"
check "--log: the file's mode is 0640" [ "$(stat -c %a "$T/newsd.log")" = 640 ]
TCP=$(sed -n 's/^newsd: ready listen=\([0-9.]*:[0-9]*\) .*/\1/p' "$T/newsd.log")
ask "$TCP" 'FROB before\n' >/dev/null
check "a bad request is logged to the file" wait_for 10 grep -q 'sample="FROB before"' "$T/newsd.log"
mv "$T/newsd.log" "$T/newsd.log.1"
kill -HUP "$L"
check "SIGHUP after a rename: a new log file" wait_for 10 grep -qs 'event=reopen signal=HUP' "$T/newsd.log"
ask "$TCP" 'FROB after\n' >/dev/null
check "later lines land in the new file" wait_for 10 grep -q 'sample="FROB after"' "$T/newsd.log"
check "... and not in the renamed one" lacks "$T/newsd.log.1" 'FROB after'
check "the renamed file kept its lines" contains "$T/newsd.log.1" 'FROB before'
stop "$L"
check "--log: exit 0" [ "$RC" -eq 0 ]
check "--log: the exit is logged to the file" contains "$T/newsd.log" "event=exit status=0"
"$ND" --index "$T/idx" --listen 127.0.0.1:0 --log "$T/no/such/folder/x.log" >"$T/out" 2>"$T/err"; rc=$?
check "--log into a missing folder: exit 1" [ "$rc" -eq 1 ]
check "--log into a missing folder: message" contains "$T/err" "newsd: cannot open the log file $T/no/such/folder/x.log: No such file or directory"

# ---- SIGHUP reads the token file again ----
OLD=old-token-0123456789abcdef
NEW=new-token-0123456789abcdef
printf '%s\n' "$OLD" >"$T/token"; chmod 600 "$T/token"
start tok --index "$T/idx" --listen 127.0.0.1:0 --workers 2 --auth-token-file "$T/token"
K=$PID
check "the first token is taken" [ "$(ask "$TCP" "AUTH $OLD\n")" = "OK auth" ]
printf '%s\n' "$NEW" >"$T/token"
check "before SIGHUP the old token still counts" [ "$(ask "$TCP" "AUTH $OLD\n")" = "OK auth" ]
kill -HUP "$K"
check "SIGHUP: the token file is read again" wait_for 10 grep -q "event=auth_token_reload file=$T/token" "$T/tok.log"
check "after SIGHUP the old token is refused" \
    [ "$(ask "$TCP" "AUTH $OLD\n")" = "ERR unauthorized wrong token (failed attempt 1 of 3)" ]
check "after SIGHUP the new token is taken" [ "$(ask "$TCP" "AUTH $NEW\n")" = "OK auth" ]
check "... and opens writes" [ "$(ask "$TCP" 'AUTH '"$NEW"'\nADD {"id":"sig-1","title":"Tern","body":"A tern."}\n' | sed 's/took_us=[0-9]*/took_us=N/')" = "OK auth
OK id=sig-1 replaced=0 took_us=N" ]
# a token file that has become unusable: the old token stays, the daemon serves on
# broken NAME: after SIGHUP with the token file broken, the error is logged (the
# NAME-th such line), the token of before still opens writes.
broken() {
    kill -HUP "$K"
    check "$1: the error is logged" wait_for 10 sh -c "[ \$(grep -c 'level=error event=auth_token_reload action=kept_old_token' '$T/tok.log') -ge $2 ]"
    check "$1: the token of before still counts" [ "$(ask "$TCP" "AUTH $NEW\n")" = "OK auth" ]
    check "$1: a wrong token is still refused" \
        [ "$(ask "$TCP" "AUTH wrong-token-0123456789\n")" = "ERR unauthorized wrong token (failed attempt 1 of 3)" ]
}
chmod 644 "$T/token"
broken "token file readable by others" 1
check "... naming the rule" grep -q 'kept_old_token msg="the token file .* is accessible by group or others' "$T/tok.log"
chmod 600 "$T/token"; : >"$T/token"
broken "empty token file" 2
rm -f "$T/token"
broken "token file removed" 3
check "after all that the daemon answers" answers_ping "$TCP"
check "no token is ever logged" sh -c "! grep -qe '$OLD' -e '$NEW' '$T/tok.log'"
stop "$K"
check "the token daemon stops: exit 0" [ "$RC" -eq 0 ]

# ---- --pidfile ----
start p --index "$T/idx" --listen 127.0.0.1:0 --pidfile "$T/newsd.pid"
P=$PID
check "--pidfile holds the daemon's pid" [ "$(cat "$T/newsd.pid")" = "$P" ]
check "--pidfile: mode 0644" [ "$(stat -c %a "$T/newsd.pid")" = 644 ]
"$ND" --index "$T/idx" --listen 127.0.0.1:0 --pidfile "$T/newsd.pid" >"$T/out" 2>"$T/err"; rc=$?
check "a second newsd on the same pid file: exit 1" [ "$rc" -eq 1 ]
check "... naming the running one" contains "$T/err" "newsd: the pid file $T/newsd.pid is held by process $P, which is running (another newsd?); stop it, or name another --pidfile"
check "... not started" lacks "$T/err" "newsd: ready"
check "the first one's pid file is untouched" [ "$(cat "$T/newsd.pid")" = "$P" ]
check "the first one still answers" answers_ping "$TCP"
stop "$P"
check "--pidfile: exit 0" [ "$RC" -eq 0 ]
check "--pidfile: removed at exit" [ ! -e "$T/newsd.pid" ]
printf '%s\n' "$$" >"$T/stale.pid"    # a live pid, but nobody holds the file's lock
start q --index "$T/idx" --listen 127.0.0.1:0 --pidfile "$T/stale.pid"
check "a stale pid file (no lock on it) is taken over" [ "$(cat "$T/stale.pid")" = "$PID" ]
stop "$PID"
check "... and removed at exit" [ ! -e "$T/stale.pid" ]
"$ND" --index "$T/idx" --listen 127.0.0.1:0 --pidfile "$T" >"$T/out" 2>"$T/err"; rc=$?
check "a folder as the pid file: exit 1" [ "$rc" -eq 1 ]
check "a folder as the pid file: message" contains "$T/err" "newsd: cannot open the pid file $T: Is a directory"
"$ND" --index "$T/no-index" --listen 127.0.0.1:0 --pidfile "$T/fail.pid" >"$T/out" 2>"$T/err"; rc=$?
check "a start that fails leaves no pid file" sh -c "[ $rc -eq 1 ] && [ ! -e '$T/fail.pid' ]"

# ---- sd_notify ----
# notified NAME ADDRESS DOCS: newsd under a listener at ADDRESS (NOTIFY_SOCKET's form),
# serving DOCS documents.
notified() {
    out=$T/notify-$1
    python3 "$ROOT/tests/e2e/notify_listen.py" "$2" "$out" &
    LP=$!
    PIDS="$PIDS $LP"
    check "$1: the listener binds" wait_for 10 test -s "$out.ready"
    NOTIFY_SOCKET=$2
    export NOTIFY_SOCKET
    start "notify-$1" --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/n.sock" --workers 2
    unset NOTIFY_SOCKET
    N=$PID
    check "$1: newsd answers" answers_ping "$TCP"
    check "$1: READY=1 arrives" wait_for 10 grep -qx 'READY=1' "$out"
    docs=$(sed -n 's/^newsd: ready .* docs=\([0-9]*\)$/\1/p' "$T/notify-$1.log")
    check "$1: with the document count ($3)" \
        sh -c "[ '$docs' = $3 ] && grep -qx 'STATUS=serving $3 documents' '$out'"
    check "$1: and MAINPID" grep -qx "MAINPID=$N" "$out"
    kill -HUP "$N"
    check "$1: SIGHUP: RELOADING=1" wait_for 10 grep -qx 'RELOADING=1' "$out"
    check "$1: RELOADING=1 with MONOTONIC_USEC" grep -qE '^MONOTONIC_USEC=[0-9]+$' "$out"
    check "$1: then READY=1 again" wait_for 10 sh -c "[ \$(grep -cx 'READY=1' '$out') -eq 2 ]"
    check "$1: in that order" sh -c "grep -nx -e 'READY=1' -e 'RELOADING=1' '$out' | cut -d: -f2 | tr '\n' ' ' | grep -qx 'READY=1 RELOADING=1 READY=1 '"
    if [ "$1" = path ]; then
        ask "unix:$T/n.sock" 'REINDEX\n' >"$T/reindex.out"
        check "$1: REINDEX starts" grep -q '^OK job=1' "$T/reindex.out"
        check "$1: REINDEX done: STATUS with the new count" \
            wait_for "$DEADLINE" grep -qx 'STATUS=serving 6 documents (rebuilt by REINDEX)' "$out"
    fi
    stop "$N"
    check "$1: exit 0" [ "$RC" -eq 0 ]
    check "$1: STOPPING=1 on SIGTERM" grep -qx 'STOPPING=1' "$out"
    wait "$LP"
    check "$1: the listener saw STOPPING=1 and ended" [ $? -eq 0 ]
    check "$1: nothing logged about notifying" lacks "$T/notify-$1.log" "event=notify"
}
notified path "$T/notify.sock" 7        # the fixture's 6 and the ADD above
notified abstract "@newsd-test-$$-notify" 6    # REINDEX rebuilt the fixture's 6

# a NOTIFY_SOCKET nobody listens at: a warning, and the daemon serves all the same
NOTIFY_SOCKET=$T/nobody.sock
export NOTIFY_SOCKET
start nobody --index "$T/idx" --listen 127.0.0.1:0
unset NOTIFY_SOCKET
check "an unanswered NOTIFY_SOCKET: newsd serves" answers_ping "$TCP"
check "... and warns" grep -q 'level=warn event=notify errno=' "$T/nobody.log"
stop "$PID"
check "... and stops: exit 0" [ "$RC" -eq 0 ]

finish
