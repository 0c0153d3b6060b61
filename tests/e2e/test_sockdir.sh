#!/bin/sh
# The default Unix socket (daemon/common/sockdir.c, newsd(8), "OPTIONS"): it lives in a
# per-user folder ($XDG_RUNTIME_DIR/newsd here), made mode 0700; newsd and newsq both
# refuse a folder of mode 0755, a symlink, or one owned by another user (as root only:
# chown), and try no address then.  newsd never removes a socket something answers on
# (a second daemon refuses to start; the first still answers) nor a stale one of another
# user.  newsq sends the token only to an address the user named, never to the TCP
# address it fell back to (checked when 127.0.0.1:7878, the default, is free).
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NQ=$BIN/newsq
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
unset NEWSQ_ADDR NEWSQ_AUTH_TOKEN_FILE

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]
"$BIN/newsindex" --index "$T/idx" "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "fixture index built" contains "$T/out" "docs=6"

# refused_dir NAME XDG WHY: newsd and newsq both refuse the folder XDG/newsd, saying WHY
refused_dir() {
    name=$1; xdg=$2; why=$3
    XDG_RUNTIME_DIR=$xdg timeout 60 "$ND" --index "$T/idx" >"$T/out" 2>"$T/err"; rc=$?
    check "$name: newsd exits 1 (got $rc)" [ "$rc" -eq 1 ]
    check "$name: newsd says why" contains "$T/err" "$why"
    check "$name: newsd is never ready" lacks "$T/err" "newsd: ready"
    XDG_RUNTIME_DIR=$xdg "$NQ" wheat >"$T/out" 2>"$T/err"; rc=$?
    check "$name: newsq exits 2" [ "$rc" -eq 2 ]
    check "$name: newsq says why" contains "$T/err" "$why"
    check "$name: newsq tries no address" lacks "$T/err" "cannot reach"
}

mkdir -p "$T/open/newsd"
chmod 755 "$T/open/newsd"
refused_dir "a folder of mode 0755" "$T/open" "newsd is accessible by group or others (mode 0755)"
check "the refused folder keeps its mode" [ "$(stat -c %a "$T/open/newsd")" = 755 ]
mkdir -p "$T/link" "$T/elsewhere"
chmod 700 "$T/elsewhere"
ln -s "$T/elsewhere" "$T/link/newsd"
refused_dir "a symlink" "$T/link" "newsd is a symlink; refusing it"
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$T/theirs/newsd"
    chmod 700 "$T/theirs/newsd"
    chown 65534 "$T/theirs/newsd"
    refused_dir "a folder owned by another user" "$T/theirs" "newsd is owned by uid 65534, not by you"
else
    echo "sockdir: not root, so no folder of another user can be made; that case is not run"
fi

# ---- a live socket is never removed; a stale one only when it is ours ----
start live --index "$T/idx" --listen "unix:$T/live.sock"
LIVE=$PID
"$ND" --index "$T/idx" --listen "unix:$T/live.sock" >"$T/out" 2>"$T/err"; rc=$?
check "a second newsd on a live socket: exit 1" [ "$rc" -eq 1 ]
check "a second newsd on a live socket: says so" contains "$T/err" "something already answers on unix:$T/live.sock"
check "the first newsd still answers" [ "$(printf 'PING\n' | "$NC" "unix:$T/live.sock")" = "OK pong" ]
kill -9 "$LIVE"; wait "$LIVE" 2>/dev/null
check "kill -9 leaves the socket file" [ -S "$T/live.sock" ]
if [ "$(id -u)" = 0 ]; then
    chown 65534 "$T/live.sock"
    "$ND" --index "$T/idx" --listen "unix:$T/live.sock" >"$T/out" 2>"$T/err"; rc=$?
    check "a stale socket of another user: exit 1" [ "$rc" -eq 1 ]
    check "a stale socket of another user: says so" contains "$T/err" "belongs to uid 65534"
    check "a stale socket of another user is not removed" [ -S "$T/live.sock" ]
    chown 0 "$T/live.sock"
fi
start stale --index "$T/idx" --listen "unix:$T/live.sock"
check "a stale socket of ours is replaced" [ "$(printf 'PING\n' | "$NC" "unix:$T/live.sock")" = "OK pong" ]
stop "$PID"
check "SIGTERM removes the socket" [ ! -e "$T/live.sock" ]

# ---- the defaults: the folder made 0700, newsq finds the socket; no token to a fallback ----
head -c 24 /dev/urandom | base64 >"$T/token"
chmod 600 "$T/token"
mkdir "$T/run"
XDG_RUNTIME_DIR=$T/run "$ND" --index "$T/idx" --auth-token-file "$T/token" 2>"$T/default.log" &
DPID=$!
PIDS="$PIDS $DPID"
wait_for 60 sh -c "grep -q '^newsd: ready' '$T/default.log' || ! kill -0 $DPID 2>/dev/null"
if grep -q '^newsd: ready' "$T/default.log"; then
    check "the default listeners: 127.0.0.1:7878 and the socket in the folder" \
        grep -q "^newsd: ready listen=127.0.0.1:7878 listen=unix:$T/run/newsd/newsd.sock " "$T/default.log"
    check "the folder is made mode 0700" [ "$(stat -c %a "$T/run/newsd")" = 700 ]
    XDG_RUNTIME_DIR=$T/run "$NQ" --json count wheat >"$T/out" 2>"$T/err"; rc=$?
    check "newsq finds the default socket" [ "$rc" -eq 0 ]
    printf '{"id":"sockdir-1","title":"t","body":"b"}\n' >"$T/doc.jsonl"
    # no folder where newsq looks: it falls back to 127.0.0.1:7878 on its own
    XDG_RUNTIME_DIR=$T/nowhere "$NQ" --auth-token-file "$T/token" add "$T/doc.jsonl" >"$T/out" 2>"$T/err"; rc=$?
    check "newsq add over a fallback TCP address: exit 2" [ "$rc" -eq 2 ]
    check "newsq add over a fallback TCP address: the token is not sent" \
        contains "$T/err" "newsq: not sending the token to 127.0.0.1:7878, which newsq fell back to on its own"
    check "newsd saw no AUTH" lacks "$T/default.log" "event=auth"
    XDG_RUNTIME_DIR=$T/nowhere "$NQ" -a 127.0.0.1:7878 --auth-token-file "$T/token" add "$T/doc.jsonl" >"$T/out" 2>"$T/err"; rc=$?
    check "newsq add to a named TCP address sends the token: exit 0" [ "$rc" -eq 0 ]
    check "newsd logged the AUTH" grep -q "event=auth " "$T/default.log"
    stop "$DPID"
    check "SIGTERM: exit 0" [ "$RC" -eq 0 ]
    check "SIGTERM removes the default socket" [ ! -e "$T/run/newsd/newsd.sock" ]
else
    echo "sockdir: 127.0.0.1:7878 is taken here; the default listeners are not checked"
    sed -n 's/^/    /p' "$T/default.log" | head -n 3
fi

finish
