#!/bin/sh
# newsd --http (newsd(8), "HTTP"), driven by tests/e2e/http_api.py against daemons on free
# ports over a small index (the seed article and the fixture): the read endpoints equal
# the line protocol's format=json replies (/dups/ID as DUPS, collapse= on /search and
# /count); every error maps its code to its HTTP status
# with the line protocol's message (unknown options, bad values, bad queries, not found,
# bad percent-encoding, values the line cannot carry, unknown paths and methods); the
# limits (target, headers, body, idle keep-alive) and the connection cap shared with the
# line protocol; writes (one article, one spread over lines, JSON Lines, too many,
# DELETE, REINDEX) only with the token, 401 without it and 403 without a token file;
# CORS only with --http-cors; /healthz 503 once a commit failed (the disk full, by
# RLIMIT_FSIZE); option errors at start.
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "test_http: $PY is missing (make deps)"; echo "0 passed, 1 failed"; exit 1; }

"$BIN/newsindex" --index "$T/idx" "$ROOT/corpus/seed" >"$T/out" 2>&1
check "index built" contains "$T/out" "docs=1"
export SEED=seed/duvar-2021-03-24-turkey-s400-done-deal.txt

http_of() { sed -n 's/^newsd: ready .* http=\([0-9.]*:[0-9]*\) .*/\1/p' "$T/$1.log"; }
# py SECTION: runs http_api.py's section; its checks count as this script's.
py() {
    "$PY" "$ROOT/tests/e2e/http_api.py" "$1" >"$T/py.out" 2>&1
    grep -v '^[0-9]* passed, [0-9]* failed$' "$T/py.out" >&2
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$T/py.out" | tail -n 1)
    if [ -z "$line" ]; then
        FAILED=$((FAILED + 1)); echo "FAILED: http_api.py $1 did not finish" >&2; return
    fi
    PASSED=$((PASSED + ${line%% passed*})); f=${line#*passed, }; FAILED=$((FAILED + ${f%% failed*}))
}

# ---- reads, errors, limits: no token file ----
start plain --index "$T/idx" --listen 127.0.0.1:0 --http 127.0.0.1:0 --idle-timeout 1 --no-config
check "ready line names the HTTP address" [ -n "$(http_of plain)" ]
LINE=$TCP HTTP=$(http_of plain) py reads
LINE=$TCP HTTP=$(http_of plain) py limits
stop "$PID"
check "plain: exit 0 on SIGTERM" [ "$RC" -eq 0 ]
check "plain: no sanitizer report" lacks "$T/plain.log" "Sanitizer"

# ---- the connection cap, shared with the line protocol ----
start cap --index "$T/idx" --listen 127.0.0.1:0 --http 127.0.0.1:0 --max-connections 4 --no-config
LINE=$TCP HTTP=$(http_of cap) py cap
stop "$PID"

# ---- writes with the token, CORS ----
TOKEN=Zq7-http.token_0123456789
printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"
cp -r "$T/idx" "$T/widx"
start writes --index "$T/widx" --listen 127.0.0.1:0 --http 127.0.0.1:0 --auth-token-file "$T/token" \
    --http-cors https://news.example.org --no-config
LINE=$TCP HTTP=$(http_of writes) TOKEN=$TOKEN py writes
LINE=$TCP HTTP=$(http_of writes) ORIGIN=https://news.example.org py cors
check "the token is in no log line" lacks "$T/writes.log" "$TOKEN"
stop "$PID"
check "writes: exit 0 on SIGTERM" [ "$RC" -eq 0 ]

# ---- /healthz after a failed commit: RLIMIT_FSIZE at the largest index file ----
cp -r "$T/idx" "$T/fidx"
ND=sh start full -c 'trap "" XFSZ; exec "$@"' sh "$BIN/newsd" --index "$T/fidx" --listen 127.0.0.1:0 \
    --listen "unix:$T/f.sock" --http 127.0.0.1:0 --no-config
biggest=$(ls -l "$T/fidx" | awk 'NR > 1 && $5 > m { m = $5 } END { print m }')
prlimit --pid "$PID" --fsize="$biggest:unlimited"
"$PY" - "$T/f.sock" <<'PY' >"$T/reply"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
doc = {"id": "big", "title": "big", "body": " ".join("w%dx" % i for i in range(3000))}
s.sendall(b"ADD " + json.dumps(doc).encode() + b"\n"); print(s.recv(4096).decode())
PY
check "the commit failed" grep -q '^ERR internal commit failed' "$T/reply"
LINE=$TCP HTTP=$(http_of full) py health_down
prlimit --pid "$PID" --fsize=unlimited:unlimited
stop "$PID"

# ---- bad options ----
# bad RC MESSAGE OPTION...: newsd with OPTION... exits RC, saying MESSAGE.
bad() {
    want=$1; msg=$2; shift 2
    timeout 60 "$BIN/newsd" --index "$T/idx" --listen 127.0.0.1:0 --no-config "$@" >"$T/out" 2>&1
    rc=$?
    check "$* refused (exit $want, got $rc)" [ "$rc" -eq "$want" ]
    check "$*: says why" grep -qF -- "$msg" "$T/out"
}
bad 2 "--http takes HOST:PORT, not 'unix:/tmp/x'" --http unix:/tmp/x
bad 1 "bad --http address 'nowhere'" --http nowhere
bad 2 "--http-cors takes an origin" --http-cors '*'
bad 2 "--http-cors takes an origin" --http-cors 'https://a.example/path'
"$BIN/newsd" --index "$T/idx" --http 256.1.1.1:80 --listen 127.0.0.1:0 --no-config >"$T/out" 2>&1
check "an address that cannot be bound: exit 1" [ $? -eq 1 ]
check "... and says which" grep -q -- "--http" "$T/out"
finish
