#!/bin/sh
# End-to-end tests of write authority (newsd(8), "AUTHORITY FOR WRITES"): bin/newsd with
# and without --auth-token-file, on a free TCP port and a Unix socket in the scratch
# folder.  Checked: every refusal of a bad token file at start (exit 1, the reason);
# ADD and DELETE refused on an unauthenticated TCP connection, which stays usable for
# reads; AUTH with a wrong token, the connection closed after NEWSD_AUTH_MAX_FAILURES;
# the right token opening writes for that connection only; Unix socket writes without a
# token and the socket's mode; no token in any log line, even at debug level; and
# newsq add over TCP with and without a token file.
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

TOKEN=Zq7-e2e.token_0123456789
# token_file NAME MODE CONTENT: a token file; CONTENT is printf's format.
token_file() {
    printf "$3" >"$T/$1"
    chmod "$2" "$T/$1"
}
token_file token 600 "$TOKEN\n"

# ---- a bad token file: newsd does not start (exit 1) and says why ----
# refused NAME FILE MESSAGE: newsd --auth-token-file FILE exits 1 with MESSAGE on stderr.
refused() {
    "$ND" --index "$T/idx" --listen 127.0.0.1:0 --auth-token-file "$2" >"$T/out" 2>"$T/err"
    rc=$?
    check "$1: exit 1" [ "$rc" -eq 1 ]
    check "$1: message" contains "$T/err" "$3"
    check "$1: not ready" lacks "$T/err" "newsd: ready"
}
refused "missing token file" "$T/nope" "newsd: cannot open the token file $T/nope: No such file or directory"
token_file empty 600 ""
refused "empty token file" "$T/empty" "newsd: the token file $T/empty is empty"
token_file newline 600 "\n"
refused "token file of one newline" "$T/newline" "the token file $T/newline is empty"
token_file open 644 "$TOKEN\n"
refused "token file readable by others" "$T/open" "newsd: the token file $T/open is accessible by group or others (mode 0644); like ssh with private keys, it must be private: chmod 600 $T/open"
token_file group 640 "$TOKEN\n"
refused "token file readable by the group" "$T/group" "accessible by group or others (mode 0640)"
token_file long 600 "$(head -c 257 /dev/zero | tr '\0' 'k')\n"
refused "token longer than 256 bytes" "$T/long" "the token in $T/long is longer than 256 bytes"
token_file short 600 "short-token\n"
refused "token shorter than 16 bytes" "$T/short" "the token in $T/short is shorter than 16 bytes"
token_file twolines 600 "$TOKEN\nsecond-line-here\n"
refused "token file of two lines" "$T/twolines" "the token file $T/twolines holds more than one line"
token_file spaced 600 "two words in a token\n"
refused "token with a space" "$T/spaced" "holds a space, a control character or a non-ASCII byte (at byte 4)"
refused "a folder as token file" "$T" "is not a regular file"
"$ND" --index "$T/idx" --auth-token-file >"$T/out" 2>"$T/err"; rc=$?
check "--auth-token-file without a value: usage error (exit 2)" [ "$rc" -eq 2 ]
"$ND" --help >"$T/out" 2>&1
check "--help names --auth-token-file" contains "$T/out" "--auth-token-file PATH"

# expect NAME ADDR REQUESTS EXPECTED: the daemon's exact replies (timings masked).
expect() {
    printf '%s' "$3" | "$NC" "$2" |
        sed -E 's/took_us=[0-9]+/took_us=N/; s/"took_us":[0-9]+/"took_us":N/' >"$T/got"
    printf '%s' "$4" >"$T/want"
    if cmp -s "$T/got" "$T/want"; then PASSED=$((PASSED + 1)); else
        FAILED=$((FAILED + 1)); echo "FAILED: $1" >&2; diff "$T/want" "$T/got" | head -20 >&2; fi
}

# ---- a daemon with a token (debug logging: not even that may show a token) ----
UNIX="unix:$T/s.sock"
start tok --index "$T/idx" --listen 127.0.0.1:0 --listen "$UNIX" --workers 2 \
    --auth-token-file "$T/token" --log-level debug
TOKD=$PID
check "the start names the rule in the log" grep -q 'event=write_authority unix=always tcp=after_auth' "$T/tok.log"
check "the Unix socket is owner-only (0600)" [ "$(stat -c %a "$T/s.sock")" = 600 ]

NEED='needs write authority on TCP: send AUTH with the token first, or use the Unix socket'
expect "TCP without AUTH: writes refused, reads served, the connection goes on" "$TCP" 'ADD {"id":"t-1","title":"Tern","body":"A tern."}
DELETE wire-1
ADD format=json {"id":"t-1","title":"Tern"}
COUNT tern
GET format=json nosuch
COUNT wheat
PING
' "ERR unauthorized ADD $NEED
ERR unauthorized DELETE $NEED
{\"status\":\"error\",\"code\":\"unauthorized\",\"message\":\"ADD $NEED\"}
OK count=0 took_us=N
{\"status\":\"error\",\"code\":\"not_found\",\"message\":\"no document with id nosuch\"}
OK count=3 took_us=N
OK pong
"
check "a refused write is logged" grep -q 'event=write_refused conn=[0-9]* peer=127.0.0.1:[0-9]* cmd=ADD' "$T/tok.log"
printf 'SEARCH snippet=0 wheat\nGET wire-1\nSTATS\nHELP\n' | "$NC" "$TCP" >"$T/got"
check "reads stay open on TCP: SEARCH" grep -q '^OK total=3 shown=3 ' "$T/got"
check "reads stay open on TCP: GET" grep -q '^OK id=wire-1$' "$T/got"
check "reads stay open on TCP: STATS" grep -q '^OK stats=' "$T/got"
check "HELP lists AUTH" grep -q "^AUTH	AUTH \[format=F\] TOKEN\$" "$T/got"

expect "a wrong token: refused, counted; reads go on; writes still refused" "$TCP" 'AUTH not-the-token-at-all
COUNT wheat
ADD {"id":"t-1","title":"Tern"}
AUTH format=json still-not-the-token
PING
' "ERR unauthorized wrong token (failed attempt 1 of 3)
OK count=3 took_us=N
ERR unauthorized ADD $NEED
{\"status\":\"error\",\"code\":\"unauthorized\",\"message\":\"wrong token (failed attempt 2 of 3)\"}
OK pong
"
expect "three wrong tokens: the third reply closes the connection" "$TCP" "AUTH wrong-one-xxxxxxxx
AUTH wrong-two-xxxxxxxx
AUTH ${TOKEN}x
PING
" 'ERR unauthorized wrong token (failed attempt 1 of 3)
ERR unauthorized wrong token (failed attempt 2 of 3)
ERR unauthorized wrong token; 3 failed attempts, closing the connection
'
check "the closing is logged" grep -q 'event=auth_failed conn=[0-9]* peer=127.0.0.1:[0-9]* reason=wrong_token failures=3 max=3 action=close' "$T/tok.log"
expect "a prefix of the token is wrong" "$TCP" "AUTH $(printf '%s' "$TOKEN" | cut -c 1-20)
" 'ERR unauthorized wrong token (failed attempt 1 of 3)
'
expect "AUTH without a token" "$TCP" 'AUTH
' 'ERR bad_request AUTH needs an argument: AUTH [format=F] TOKEN
'
check "after the failures the daemon answers" sh -c "[ \"\$(printf 'PING\n' | '$NC' '$TCP')\" = 'OK pong' ]"

expect "the right token: OK auth, then writes on that connection" "$TCP" "AUTH $TOKEN
ADD {\"id\":\"t-1\",\"title\":\"Tern\",\"body\":\"A tern.\"}
COUNT tern
DELETE t-1
COUNT tern
" 'OK auth
OK id=t-1 replaced=0 took_us=N
OK count=1 took_us=N
OK id=t-1 deleted=1 took_us=N
OK count=0 took_us=N
'
expect "AUTH in JSON, and with -- before the token" "$TCP" "AUTH format=json -- $TOKEN
" '{"status":"ok","reply":"auth"}
'
expect "a wrong AUTH after the right one takes nothing away" "$TCP" "AUTH $TOKEN
AUTH wrong-token-xxxxxxxxx
ADD {\"id\":\"t-2\",\"title\":\"Tern two\"}
" 'OK auth
ERR unauthorized wrong token (failed attempt 1 of 3)
OK id=t-2 replaced=0 took_us=N
'
expect "authority is per connection: a new one starts without" "$TCP" 'DELETE t-2
' "ERR unauthorized DELETE $NEED
"
# one write of AUTH and 100 pipelined ADDs: all acknowledged, in order
{ printf 'AUTH %s\n' "$TOKEN"
  i=0; while [ $i -lt 100 ]; do
      printf 'ADD {"id":"p-%d","title":"Puffin","body":"puffin"}\n' $i; i=$((i + 1)); done
  printf 'COUNT puffin\n'; } | "$NC" "$TCP" | sed -E 's/took_us=[0-9]+/took_us=N/' >"$T/got"
check "AUTH then 100 pipelined ADDs: OK auth first" [ "$(head -n 1 "$T/got")" = "OK auth" ]
check "AUTH then 100 pipelined ADDs: every one acknowledged, in order" \
    [ "$(sed -n 's/^OK id=p-\([0-9]*\) replaced=0 .*/\1/p' "$T/got" | tr '\n' ' ')" = "$(seq 0 99 | tr '\n' ' ')" ]
check "AUTH then 100 pipelined ADDs: the COUNT behind sees them" [ "$(tail -n 1 "$T/got")" = "OK count=100 took_us=N" ]

expect "the Unix socket writes without a token" "$UNIX" 'ADD {"id":"u-1","title":"Unix tern"}
DELETE u-1
DELETE p-0
' 'OK id=u-1 replaced=0 took_us=N
OK id=u-1 deleted=1 took_us=N
OK id=p-0 deleted=1 took_us=N
'
expect "a wrong AUTH on the Unix socket is refused but takes nothing away" "$UNIX" 'AUTH wrong-token-xxxxxxxxx
DELETE p-1
' 'ERR unauthorized wrong token (failed attempt 1 of 3)
OK id=p-1 deleted=1 took_us=N
'
# a token in a malformed AUTH line: the parser's error, and no quote of it in the log
printf 'AUTH sec\001ret-in-bad-line\nAUTH lowercase=leaks-not\nPING\n' | "$NC" "$TCP" >"$T/got"
check "a malformed AUTH line: bad_request, then PING" \
    [ "$(cat "$T/got")" = "$(printf 'ERR bad_request control character in request\nERR bad_request unknown option '"'"'lowercase'"'"' for AUTH\nOK pong')" ]
check "a malformed AUTH line is logged without its text" grep -q 'event=bad_request .*reason="(AUTH line, not quoted)" sample="AUTH (not quoted)"' "$T/tok.log"
{ printf 'AUTH %s' "$TOKEN"; head -c 70000 /dev/zero | tr '\0' 'a'; printf '\n'; } | "$NC" "$TCP" >"$T/got"
check "an over-long AUTH line: too_long" [ "$(cat "$T/got")" = "ERR too_long request line longer than 65536 bytes" ]
check "an over-long AUTH line is logged without its text" grep -q 'event=too_long .*sample="AUTH (not quoted)"' "$T/tok.log"
check "successes are logged" grep -q 'event=auth conn=[0-9]* peer=127.0.0.1:' "$T/tok.log"
check "the debug log quotes no AUTH line" grep -q 'event=request .*cmd=AUTH sample="AUTH (not quoted)"' "$T/tok.log"
check "no token, right or wrong, in the log" sh -c "! grep -E '$TOKEN|not-the-token|still-not|wrong-one|wrong-two|wrong-token|ret-in-bad|leaks-not|lowercase' '$T/tok.log'"

# ---- newsq against it ----
# q ARGS...: runs newsq; stdout in $T/out, stderr in $T/err, the exit status in RC.
q() { "$NQ" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
is_rc() { [ "$RC" -eq "$1" ]; }
printf '%s\n' '{"id":"nq-1","title":"Gannet","body":"gannet"}' \
    '{"id":"nq-2","title":"Gannet two","body":"gannet"}' >"$T/two.jsonl"
awk 'BEGIN { for (i = 1; i <= 100; i++)
    printf "{\"id\":\"nqb-%d\",\"title\":\"Skua\",\"body\":\"skua\"}\n", i }' >"$T/many.jsonl"

q -a "$TCP" add "$T/many.jsonl"
check "newsq add over TCP without a token: exit 2" is_rc 2
check "newsq add over TCP without a token: the daemon's refusal, once" \
    [ "$(grep -c "unauthorized: ADD $NEED" "$T/err")" -eq 1 ]
check "newsq add over TCP without a token: the refusal at line 1" \
    grep -q "^newsq: $T/many.jsonl:1: unauthorized: " "$T/err"
check "newsq add over TCP without a token: how to fix it" \
    contains "$T/err" "give newsq --auth-token-file FILE (or NEWSQ_AUTH_TOKEN_FILE) with newsd's token, or use newsd's Unix socket"
check "newsq add over TCP without a token: says it stopped" \
    grep -q "^newsq: stopped after line [0-9]* of $T/many.jsonl: the rest was not sent\$" "$T/err"
check "newsq add over TCP without a token: nothing added" grep -q '^added 0, failed [1-9][0-9]*$' "$T/out"
q -a "$TCP" count skua
check "newsq add over TCP without a token: nothing in the index" [ "$(cat "$T/out")" = 0 ]

q -a "$TCP" --auth-token-file "$T/token" add "$T/many.jsonl"
check "newsq add over TCP with --auth-token-file: exit 0" is_rc 0
check "newsq add over TCP with --auth-token-file: all added" [ "$(cat "$T/out")" = "added 100, failed 0" ]
q -a "$TCP" count skua
check "newsq add with a token: searchable" [ "$(cat "$T/out")" = 100 ]
NEWSQ_AUTH_TOKEN_FILE="$T/token" q -a "$TCP" --json add "$T/two.jsonl"
check "newsq add with NEWSQ_AUTH_TOKEN_FILE: exit 0" is_rc 0
check "newsq add --json: one object per record, no AUTH reply" \
    [ "$(sed -E 's/"took_us":[0-9]+/"took_us":N/' "$T/out")" = "$(printf '%s\n%s' '{"status":"ok","id":"nq-1","replaced":false,"took_us":N}' '{"status":"ok","id":"nq-2","replaced":false,"took_us":N}')" ]
token_file wrong 600 "this-is-the-wrong-token\n"
q -a "$TCP" --auth-token-file "$T/wrong" add "$T/two.jsonl"
check "newsq add with a wrong token: exit 2" is_rc 2
check "newsq add with a wrong token: the daemon's message" \
    [ "$(cat "$T/err")" = "newsq: unauthorized: wrong token (failed attempt 1 of 3)" ]
check "newsq add with a wrong token: nothing sent" [ ! -s "$T/out" ]
q -a "$TCP" --auth-token-file "$T/open" add "$T/two.jsonl"
check "newsq with a token file others can read: exit 2" is_rc 2
check "newsq with a token file others can read: why" \
    contains "$T/err" "newsq: the token file $T/open is accessible by group or others (mode 0644)"
q -a "$TCP" --auth-token-file "$T/nope" add "$T/two.jsonl"
check "newsq with a missing token file: exit 2" is_rc 2
check "newsq with a missing token file: why" contains "$T/err" "newsq: cannot open the token file $T/nope: No such file or directory"
q -a "$TCP" --auth-token-file "$T/token" --auth-token-file= add "$T/two.jsonl"
check "newsq --auth-token-file with an empty value: usage error" is_rc 2
NEWSQ_AUTH_TOKEN_FILE="$T/nope" q -a "$TCP" count gannet
check "reads ignore the token file" is_rc 0
q -a "$UNIX" --auth-token-file "$T/token" add "$T/two.jsonl"
check "newsq add over the Unix socket with a token file: exit 0" is_rc 0
q -a "$UNIX" add "$T/two.jsonl"
check "newsq add over the Unix socket without a token: exit 0" is_rc 0
check "newsq add over the Unix socket without a token: all added" [ "$(cat "$T/out")" = "added 2, failed 0" ]
q --help
check "newsq --help names --auth-token-file" contains "$T/out" "--auth-token-file PATH"
check "newsq --help names NEWSQ_AUTH_TOKEN_FILE" contains "$T/out" "NEWSQ_AUTH_TOKEN_FILE"
stop "$TOKD"
check "the daemon with a token: exit 0" [ "$RC" -eq 0 ]

# ---- a daemon without a token: TCP is read-only, the Unix socket writes ----
start notok --index "$T/idx" --listen 127.0.0.1:0 --listen "$UNIX" --workers 1
NOTOK=$PID
check "the start names the rule in the log" grep -q 'event=write_authority unix=always tcp=never' "$T/notok.log"
OFF='is refused on TCP: newsd runs without --auth-token-file; write through its Unix socket'
expect "no token configured: TCP writes refused, AUTH refused, reads served" "$TCP" "ADD {\"id\":\"n-1\",\"title\":\"Noddy\"}
AUTH $TOKEN
DELETE wire-1
COUNT noddy
" "ERR unauthorized ADD $OFF
ERR unauthorized newsd runs without --auth-token-file, so no token is valid; write through its Unix socket (failed attempt 1 of 3)
ERR unauthorized DELETE $OFF
OK count=0 took_us=N
"
expect "no token configured: the Unix socket writes" "$UNIX" 'ADD {"id":"n-1","title":"Noddy"}
COUNT noddy
' 'OK id=n-1 replaced=0 took_us=N
OK count=1 took_us=N
'
q -a "$TCP" --auth-token-file "$T/token" add "$T/two.jsonl"
check "newsq add over TCP to a daemon without a token: exit 2" is_rc 2
check "newsq add over TCP to a daemon without a token: the daemon's reason" \
    contains "$T/err" "newsq: unauthorized: newsd runs without --auth-token-file"
stop "$NOTOK"
check "the daemon without a token: exit 0" [ "$RC" -eq 0 ]

check "no sanitizer report in any daemon log" sh -c "! grep -l -E 'Sanitizer|runtime error' $T/*.log"
finish
