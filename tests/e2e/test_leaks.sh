#!/bin/sh
# No leaks (tests/README.md): bin/newsd serves a scripted session (every command,
# every error reply, ADD/DELETE pipelined and committed, a too-long line, an HTTP line,
# binary garbage, a Unix-socket client, a connection still open at SIGTERM) under
#   valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
# and must exit 0 after SIGTERM with no definite leak and no memory error.
# A sanitizer build (make test SANITIZE=1) cannot run under valgrind; there the same
# session runs under AddressSanitizer's own leak checker (LeakSanitizer) instead when this
# machine lets it work, and the output line says which checker ran.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NI=$BIN/newsindex
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]
"$NI" --index "$T/idx" "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "fixture index built" contains "$T/out" "docs=6"

if nm "$ND" 2>/dev/null | grep -q '__asan_init' || grep -qs 'fsanitize=address' "$BIN/.flags"; then
    MODE=asan
elif command -v valgrind >/dev/null 2>&1; then
    MODE=valgrind
else
    MODE=none
fi

# session ADDR: the scripted session; sets S_OK when every reply was as expected.
session() {
    a=$1
    {
        printf 'PING\nHELP\nSTATS\nFORMAT json\nPING\nSTATS\nHELP\nFORMAT text\n'
        printf 'SEARCH limit=2 wheat\nSEARCH format=json limit=3 sort=date since=2020-01-01 wheat\n'
        printf 'COUNT wheat\nCOUNT format=json source=wire topic=grain wheat\nGET wire-1\nGET format=json wire-2\n'
        printf 'GET nope\nSEARCH AND\nSEARCH ""\nFROB x\nSEARCH limit=abc x\nSEARCH bogus=1 x\nPING extra\nFORMAT xml\n'
        printf 'SEARCH \377\376 invalid utf-8\nPI\001NG\n'
        i=0
        while [ "$i" -lt 20 ]; do
            printf 'ADD {"id":"leak-%d","title":"Leak check %d","body":"wheat and cocoa %d"}\n' "$i" "$i" "$i"
            i=$((i + 1))
        done
        printf 'ADD {"id":"x","title":"t"\nADD {"title":"no id"}\nADD format=json {"id":"leak-0","title":"replaced"}\n'
        printf 'DELETE leak-1\nDELETE leak-1\nDELETE format=json leak-2\nCOUNT leak\nSEARCH format=json leak\nQUIT\n'
    } | "$NC" "$a" >"$T/s1"
    head -c 70000 /dev/zero | tr '\0' 'a' | "$NC" -k "$a" >"$T/s2"
    printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | "$NC" -k "$a" >"$T/s3"
    head -c 4096 /dev/urandom | "$NC" "$a" >"$T/s4" 2>&1
    S_OK=1
    grep -q '^OK bye$' "$T/s1" || S_OK=0
    [ "$(grep -c '^OK id=leak-' "$T/s1")" -ge 20 ] || S_OK=0
    grep -q '^ERR not_found no document with id leak-1$' "$T/s1" || S_OK=0
    grep -q '^ERR unknown_command' "$T/s1" || S_OK=0
    grep -q '^ERR too_long' "$T/s2" || S_OK=0
    grep -q '^ERR bad_request' "$T/s3" || S_OK=0
}

if [ "$MODE" = none ]; then
    echo "leaks: SKIPPED: valgrind is not installed (make deps installs it)"
    check "valgrind is installed" false
elif [ "$MODE" = valgrind ]; then
    echo "leaks: checker=valgrind"
    valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
        --log-file="$T/vg.log" "$ND" --index "$T/idx" --listen 127.0.0.1:0 \
        --listen "unix:$T/s.sock" --workers 2 2>"$T/nd.log" &
    PID=$!
else
    echo "leaks: checker=LeakSanitizer (bin/newsd is an AddressSanitizer build: valgrind cannot run it)"
    ASAN_OPTIONS=detect_leaks=1:exitcode=99 "$ND" --index "$T/idx" --listen 127.0.0.1:0 \
        --listen "unix:$T/s.sock" --workers 2 2>"$T/nd.log" &
    PID=$!
fi
if [ "$MODE" != none ]; then
    PIDS="$PIDS $PID"
    check "newsd starts under the checker" wait_for 120 grep -qs '^newsd: ready' "$T/nd.log"
    TCP=$(sed -n 's/^newsd: ready listen=\([0-9.]*:[0-9]*\) .*/\1/p' "$T/nd.log")
    session "unix:$T/s.sock"   # (writes need the Unix socket, or AUTH on TCP)
    check "the session got the replies it should" [ "$S_OK" -eq 1 ]
    check "a Unix-socket client is answered" [ "$(printf 'PING\n' | "$NC" "unix:$T/s.sock")" = "OK pong" ]
    # a connection still open at SIGTERM, with half a request line sent
    printf 'SEARCH whe' | "$NC" -k "$TCP" >"$T/s5" &
    HALF=$!
    check "the half-open connection is counted" wait_for 30 sh -c "printf 'STATS\n' | '$NC' '$TCP' | grep -q '^connections	2\$'"
    kill -TERM "$PID"
    wait "$PID"; rc=$?
    wait "$HALF"
    check "$MODE: exit 0 after SIGTERM (got $rc; 99 means errors or definite leaks)" [ "$rc" -eq 0 ]
    if [ "$MODE" = valgrind ]; then
        check "valgrind: no errors" grep -q 'ERROR SUMMARY: 0 errors' "$T/vg.log"
        check "valgrind: no definite leaks" grep -Eq 'definitely lost: 0 bytes|no leaks are possible' "$T/vg.log"
        grep -E 'definitely lost|indirectly lost|possibly lost|ERROR SUMMARY|All heap' "$T/vg.log" | sed 's/^==[0-9]*== /    /'
        [ "$rc" -eq 0 ] || tail -n 60 "$T/vg.log" >&2
    else
        check "LeakSanitizer: no leak report" lacks "$T/nd.log" "ERROR: LeakSanitizer"
        check "AddressSanitizer: no error report" lacks "$T/nd.log" "ERROR: AddressSanitizer"
        [ "$rc" -eq 0 ] || tail -n 60 "$T/nd.log" >&2
    fi
fi

finish
