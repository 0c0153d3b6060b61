#!/bin/sh
# End-to-end tests of bin/newsd: the real daemon on a free TCP port and a Unix socket in
# the scratch folder, against an index built by bin/newsindex from tests/data/newsd.
# Every command and every error code is checked with its exact reply (took_us masked);
# after each bad input the daemon must still answer PING.  Also: pipelining, line and
# connection limits, idle timeout, live ADD/DELETE (ordering, visibility, group commit,
# survival of kill -9), concurrency (20 clients x 100 requests, every reply checked),
# SIGHUP and SIGTERM; a release build's binaries are hardened.  Requests go through
# tests/e2e/nclient.c, compiled here with cc.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]

# ---- release builds are hardened (Makefile: HARDEN_CFLAGS, HARDEN_LDFLAGS) ----
# bin/.flags holds the flags bin/ was built with; sanitizer builds are not hardened.
if grep -q -- '-fsanitize' "$BIN/.flags" 2>/dev/null; then
    echo "newsd: sanitizer build, hardening checks skipped"
else
    for prog in newsd newsq newsindex; do
        readelf -h "$BIN/$prog" >"$T/elf.h" 2>&1
        readelf -dW "$BIN/$prog" >"$T/elf.d" 2>&1
        readelf -lW "$BIN/$prog" >"$T/elf.l" 2>&1
        readelf --dyn-syms -W "$BIN/$prog" >"$T/elf.s" 2>&1
        check "$prog: a position-independent executable (type DYN)" grep -q 'Type: *DYN' "$T/elf.h"
        check "$prog: FLAGS_1 PIE" grep -q 'FLAGS_1.*PIE' "$T/elf.d"
        check "$prog: bound at start (BIND_NOW)" grep -Eq 'BIND_NOW|FLAGS.*NOW' "$T/elf.d"
        check "$prog: read-only relocations (GNU_RELRO)" grep -q 'GNU_RELRO' "$T/elf.l"
        check "$prog: stack protector (__stack_chk_fail)" grep -q '__stack_chk_fail' "$T/elf.s"
        check "$prog: fortified libc calls (__*_chk)" grep -Eq '__[a-z_]+_chk' "$T/elf.s"
    done
fi

# ---- usage and start-up errors ----
"$ND" >"$T/out" 2>"$T/err"; rc=$?
check "no --index: exit 2" [ "$rc" -eq 2 ]
check "no --index: message" contains "$T/err" "--index DIR is required"
"$ND" --index "$T/x" --workers 0 >"$T/out" 2>"$T/err"; rc=$?
check "--workers 0: exit 2" [ "$rc" -eq 2 ]
"$ND" --index "$T/x" --log-level loud >"$T/out" 2>"$T/err"; rc=$?
check "bad --log-level: exit 2" [ "$rc" -eq 2 ]
"$ND" --index "$T/x" stray >"$T/out" 2>"$T/err"; rc=$?
check "stray argument: exit 2" [ "$rc" -eq 2 ]
"$ND" --help >"$T/out" 2>&1; rc=$?
check "--help: exit 0" [ "$rc" -eq 0 ]
check "--help: usage" contains "$T/out" "usage: newsd --index DIR"
"$ND" --version >"$T/out" 2>&1; rc=$?
check "--version: exit 0" [ "$rc" -eq 0 ]
check "--version: names Xapian" contains "$T/out" "Xapian"
"$ND" --index "$T/missing" --listen 127.0.0.1:0 >"$T/out" 2>"$T/err"; rc=$?
check "missing index: exit 1" [ "$rc" -eq 1 ]
check "missing index: message" contains "$T/err" "cannot open the index"

"$BIN/newsindex" --index "$T/idx" "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "fixture index built" contains "$T/out" "docs=6"
"$ND" --index "$T/idx" --listen nonsense >"$T/out" 2>"$T/err"; rc=$?
check "bad --listen address: exit 1" [ "$rc" -eq 1 ]
check "bad --listen address: message" contains "$T/err" "bad --listen address 'nonsense' (HOST:PORT or unix:PATH)"
"$ND" --index "$T/idx" --listen "unix:$T/no/such/dir/s.sock" >"$T/out" 2>"$T/err"; rc=$?
check "unix socket in a missing folder: exit 1" [ "$rc" -eq 1 ]


# Writes over TCP need AUTH with this token (tests/e2e/test_auth.sh tests that rule);
# the write tests below authenticate first, so that they test what they always did.
TOKEN=e2e-token-0123456789abcdef
printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"
AUTHL="AUTH $TOKEN
"
AUTHOK='OK auth
'
start main --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/s.sock" --workers 2 \
    --auth-token-file "$T/token"
MAIN=$PID
check "ready line names both listeners" grep -q "^newsd: ready listen=127.0.0.1:[1-9][0-9]* listen=unix:$T/s.sock workers=2 docs=6\$" "$T/main.log"
check "port 0 gave a real port" [ -n "$TCP" ]
UNIX="unix:$T/s.sock"

# send ADDR: stdin to the daemon in one write, prints the replies with timings masked.
send() { "$NC" "$@" | sed -E 's/took_us=[0-9]+/took_us=N/; s/"took_us":[0-9]+/"took_us":N/'; }
# expect NAME ADDR REQUESTS EXPECTED: the exact replies.
expect() {
    printf '%s' "$3" | send "$2" >"$T/got"
    printf '%s' "$4" >"$T/want"
    if cmp -s "$T/got" "$T/want"; then PASSED=$((PASSED + 1)); else
        FAILED=$((FAILED + 1)); echo "FAILED: $1" >&2; diff "$T/want" "$T/got" | head -20 >&2; fi
}
alive() { [ "$(printf 'PING\n' | "$NC" "$1")" = "OK pong" ]; }
TAB=$(printf '\t')

# ---- every command ----
expect "PING over TCP" "$TCP" 'PING
' 'OK pong
'
expect "PING over the Unix socket, lower case, CRLF" "$UNIX" 'ping
' 'OK pong
'
printf 'PING\r\nPING\r\n' | "$NC" "$TCP" >"$T/got"
check "CRLF line ends" [ "$(cat "$T/got")" = "$(printf 'OK pong\nOK pong')" ]
expect "blank lines get no reply" "$TCP" '

  	
PING
' 'OK pong
'
expect "SEARCH text, no snippets" "$TCP" 'SEARCH snippet=0 wheat
' "OK total=3 shown=3 took_us=N
1${TAB}wire-3${TAB}1.394${TAB}2020-04-20T00:00:00Z${TAB}wire${TAB}Wheat exports to Egypt${TAB}
2${TAB}wire-1${TAB}1.342${TAB}2020-05-01T14:00:00Z${TAB}wire${TAB}Wheat prices fall in Chicago${TAB}
3${TAB}newsd/world/2020-05-03-harvest.txt${TAB}0.444${TAB}2020-05-03T00:00:00Z${TAB}newsd${TAB}Harvest report${TAB}
END
"
expect "SEARCH phrase with snippet" "$TCP" 'SEARCH "istanbul convention"
' "OK total=1 shown=1 took_us=N
1${TAB}daily-1${TAB}1.620${TAB}2021-03-24T00:00:00Z${TAB}daily${TAB}Ankara says the missile purchase is a done deal${TAB}The minister said the purchase of the S-400 system is a done deal, and spoke about the <b>Istanbul Convention</b>.
END
"
expect "SEARCH snippet=best" "$TCP" 'SEARCH snippet=best "istanbul convention"
' "OK total=1 shown=1 took_us=N
1${TAB}daily-1${TAB}1.620${TAB}2021-03-24T00:00:00Z${TAB}daily${TAB}Ankara says the missile purchase is a done deal${TAB}The minister said the purchase of the S-400 system is a done deal, and spoke about the <b>Istanbul Convention</b>.
END
"
expect "SEARCH json" "$TCP" 'SEARCH format=json limit=1 exact=1 wheat
' '{"status":"ok","total":3,"shown":1,"took_us":N,"hits":[{"rank":1,"id":"wire-3","score":1.394,"title":"Wheat exports to Egypt","date":"2020-04-20T00:00:00Z","source":"wire","url":"","snippet":"Egypt bought <b>wheat</b> from France and Russia in its latest tender.","dups":0,"cluster":""}]}
'
expect "SEARCH json without snippets, with url" "$TCP" 'SEARCH format=json snippet=0 title:chicago
' '{"status":"ok","total":1,"shown":1,"took_us":N,"hits":[{"rank":1,"id":"wire-1","score":1.92,"title":"Wheat prices fall in Chicago","date":"2020-05-01T14:00:00Z","source":"wire","url":"https://example.org/wire-1","dups":0,"cluster":""}]}
'
expect "SEARCH sort=date, offset, limit" "$TCP" 'SEARCH sort=date snippet=0 offset=1 limit=2 exact=1 wheat
' "OK total=3 shown=2 took_us=N
2${TAB}wire-1${TAB}1.342${TAB}2020-05-01T14:00:00Z${TAB}wire${TAB}Wheat prices fall in Chicago${TAB}
3${TAB}wire-3${TAB}1.394${TAB}2020-04-20T00:00:00Z${TAB}wire${TAB}Wheat exports to Egypt${TAB}
END
"
expect "SEARCH sort=date_asc, source, since/until, topic" "$TCP" 'SEARCH sort=date_asc snippet=0 limit=1 exact=1 wheat
SEARCH snippet=0 source=WIRE since=2020-04-25 until=20200501 wheat
SEARCH snippet=0 topic=cocoa prices
SEARCH limit=0 exact=1 wheat
' "OK total=3 shown=1 took_us=N
1${TAB}wire-3${TAB}1.394${TAB}2020-04-20T00:00:00Z${TAB}wire${TAB}Wheat exports to Egypt${TAB}
END
OK total=1 shown=1 took_us=N
1${TAB}wire-1${TAB}1.342${TAB}2020-05-01T14:00:00Z${TAB}wire${TAB}Wheat prices fall in Chicago${TAB}
END
OK total=1 shown=1 took_us=N
1${TAB}wire-2${TAB}2.313${TAB}2020-05-02T09:30:00Z${TAB}wire${TAB}Cocoa prices rise${TAB}
END
OK total=3 shown=0 took_us=N
END
"
expect "COUNT, with filters, json" "$TCP" 'COUNT wheat
COUNT source=daily istanbul
COUNT since=2021-01-01 wheat
COUNT format=json topic:grain
' 'OK count=3 took_us=N
OK count=2 took_us=N
OK count=0 took_us=N
{"status":"ok","count":2,"took_us":N}
'
expect "GET text" "$TCP" 'GET wire-2
' "OK id=wire-2
id${TAB}wire-2
title${TAB}Cocoa prices rise
date${TAB}2020-05-02T09:30:00Z
source${TAB}wire
url${TAB}
topics${TAB}cocoa,markets
places${TAB}ivory-coast
body${TAB}Cocoa prices rose for a third day. Traders cited dry weather in Ivory Coast.
END
"
expect "GET json" "$TCP" 'GET format=json wire-1
' '{"status":"ok","doc":{"id":"wire-1","title":"Wheat prices fall in Chicago","date":"2020-05-01T14:00:00Z","source":"wire","url":"https://example.org/wire-1","topics":["grain","markets"],"places":["usa"],"body":"Wheat futures fell sharply on the Chicago exchange as rains improved the harvest outlook."}}
'
printf 'HELP\nHELP format=json\n' | "$NC" "$TCP" >"$T/got"
check "HELP: count line" [ "$(head -n 1 "$T/got")" = "OK commands=15" ]
check "HELP: every command" [ "$(sed -n '2,16p' "$T/got" | cut -f 1 | tr '\n' ' ')" = "SEARCH COUNT SIMILAR DUPS GET ADD DELETE STATS PING HELP QUIT FORMAT REINDEX STATUS AUTH " ]
check "HELP: END" [ "$(sed -n 17p "$T/got")" = "END" ]
check "HELP json" grep -q '^{"status":"ok","commands":\[{"name":"SEARCH","synopsis":"SEARCH \[limit=N' "$T/got"
printf 'STATS\nSTATS format=json\n' | "$NC" "$TCP" >"$T/got"
check "STATS: names" [ "$(sed -n '2,24p' "$T/got" | cut -f 1 | tr '\n' ' ')" = "documents index_bytes uptime_s workers connections connections_total connections_rejected requests searches facet_searches similar_searches writes commits errors search_p50_us search_p90_us search_p99_us doc_cache_hits doc_cache_misses doc_cache_docs doc_cache_bytes clusters duplicates " ]
check "STATS: documents" grep -q "^documents${TAB}6\$" "$T/got"
check "STATS: workers" grep -q "^workers${TAB}2\$" "$T/got"
check "STATS: one connection (this one)" grep -q "^connections${TAB}1\$" "$T/got"
check "STATS: END" [ "$(sed -n 25p "$T/got")" = "END" ]
check "STATS json" grep -q '^{"status":"ok","documents":6,"index_bytes":[1-9]' "$T/got"
expect "FORMAT switches the connection" "$TCP" 'FORMAT json
PING
COUNT wheat
PING format=text
FROB
FORMAT text
PING
QUIT
PING
' '{"status":"ok","format":"json"}
{"status":"ok","reply":"pong"}
{"status":"ok","count":3,"took_us":N}
OK pong
{"status":"error","code":"unknown_command","message":"unknown command '"'"'FROB'"'"' (send HELP)"}
OK format=text
OK pong
OK bye
'
expect "QUIT json" "$TCP" 'QUIT format=json
' '{"status":"ok","reply":"bye"}
'

# ---- every error; the connection goes on after each ----
LONGQ=$(head -c 4097 /dev/zero | tr '\0' 'a')
LONGID=$(head -c 201 /dev/zero | tr '\0' 'i')
expect "request errors" "$TCP" "${AUTHL}FROB x
SEARCH
SEARCH limit=5
SEARCH limit=101 wheat
SEARCH limit=abc wheat
SEARCH offset=10001 wheat
SEARCH snippet=2 wheat
SEARCH sort=best wheat
SEARCH since=yesterday wheat
SEARCH until=2020-13-01 wheat
SEARCH exact=yes wheat
SEARCH colour=red wheat
SEARCH limit=1 limit=2 wheat
COUNT limit=1 wheat
SEARCH format=xml wheat
PING now
FORMAT xml
GET nosuch
GET $LONGID
DELETE $LONGID
SEARCH AND
SEARCH wheat OR
SEARCH \"\"
SEARCH $LONGQ
SEARCH format=json AND
PING
" "${AUTHOK}ERR unknown_command unknown command 'FROB' (send HELP)
ERR bad_request SEARCH needs an argument: SEARCH [limit=N offset=N snippet=0|1|best sort=rank|date|date_asc since=DAY until=DAY source=S,.. topic=T,.. place=P,.. not_source=S,.. not_topic=T,.. not_place=P,.. facets=F,.. facet_limit=N exact=0|1 partial=0|1 explain=0|1 recency=DAYS collapse=0|1 format=text|json] QUERY
ERR bad_request SEARCH needs an argument: SEARCH [limit=N offset=N snippet=0|1|best sort=rank|date|date_asc since=DAY until=DAY source=S,.. topic=T,.. place=P,.. not_source=S,.. not_topic=T,.. not_place=P,.. facets=F,.. facet_limit=N exact=0|1 partial=0|1 explain=0|1 recency=DAYS collapse=0|1 format=text|json] QUERY
ERR bad_request limit must be a number from 0 to 100
ERR bad_request limit must be a number from 0 to 100
ERR bad_request offset must be a number from 0 to 10000
ERR bad_request snippet must be 0, 1 or best
ERR bad_request sort must be rank, date or date_asc
ERR bad_request since must be a day, YYYY-MM-DD or YYYYMMDD
ERR bad_request until must be a day, YYYY-MM-DD or YYYYMMDD
ERR bad_request exact must be 0 or 1
ERR bad_request unknown option 'colour' for SEARCH
ERR bad_request option 'limit' given twice
ERR bad_request unknown option 'limit' for COUNT
ERR bad_request format must be text or json
ERR bad_request PING takes no argument
ERR bad_request FORMAT takes text or json
ERR not_found no document with id nosuch
ERR bad_request id longer than 200 bytes
ERR bad_request id longer than 200 bytes
ERR bad_query QueryParserError: Syntax: <expression> AND <expression>
ERR bad_query QueryParserError: Syntax: <expression> OR <expression>
ERR bad_query query has no searchable terms
ERR bad_query query longer than 4096 bytes
{\"status\":\"error\",\"code\":\"bad_query\",\"message\":\"QueryParserError: Syntax: <expression> AND <expression>\"}
OK pong
"

# ---- bad bytes: an error, and the same connection still answers ----
printf 'PI\000NG\nPING\n' | send "$TCP" >"$T/got"
check "NUL byte: bad_request, then PING" [ "$(cat "$T/got")" = "$(printf 'ERR bad_request NUL byte in request\nOK pong')" ]
printf 'SEARCH caf\351\nPING\n' | send "$TCP" >"$T/got"
check "invalid UTF-8: bad_request, then PING" [ "$(cat "$T/got")" = "$(printf 'ERR bad_request request is not valid UTF-8\nOK pong')" ]
printf '\033[A\001\002\nPING\n' | send "$TCP" >"$T/got"
check "control bytes: bad_request, then PING" [ "$(cat "$T/got")" = "$(printf 'ERR bad_request control character in request\nOK pong')" ]
head -c 3000 /dev/urandom | tr '\n' 'x' >"$T/garbage"; printf '\nPING\n' >>"$T/garbage"
send "$TCP" <"$T/garbage" >"$T/got"
check "binary garbage: one error line, then PING" [ "$(sed -n 2p "$T/got")" = "OK pong" ]
check "binary garbage: the error is bad_request or unknown_command" grep -Eq '^ERR (bad_request|unknown_command) ' "$T/got"
check "binary garbage: exactly two lines" [ "$(wc -l <"$T/got")" -eq 2 ]
printf 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\nPING\n' | send "$TCP" >"$T/got"
check "HTTP request: bad_request and close (nothing after)" [ "$(cat "$T/got")" = "ERR bad_request this is the newsd line protocol, not HTTP (send HELP)" ]
check "after HTTP: daemon answers" alive "$TCP"
check "protocol errors are logged with a cleaned sample" grep -q 'event=bad_request .*code=bad_request .*sample="PI\\x00NG"' "$T/main.log"
# A connection's bad requests past NEWSD_LOG_BAD_PER_CONN are answered and counted, not
# logged: a client reading its errors cannot flood the log; one line at its close.
LOGCAP=$(sed -n 's/^#define NEWSD_LOG_BAD_PER_CONN \([0-9]*\)$/\1/p' "$ROOT/include/newsd_limits.h")
i=0; : >"$T/flood"
while [ "$i" -lt 30 ]; do printf 'FLOOD%d\001\n' "$i" >>"$T/flood"; i=$((i + 1)); done
printf 'PING\n' >>"$T/flood"
send "$TCP" <"$T/flood" >"$T/got"
check "30 bad lines: 30 errors" [ "$(grep -c '^ERR bad_request control character in request$' "$T/got")" -eq 30 ]
check "30 bad lines: then PING" [ "$(tail -n 1 "$T/got")" = "OK pong" ]
check "NEWSD_LOG_BAD_PER_CONN is in the header" [ -n "$LOGCAP" ]
check "bad lines: the first $LOGCAP of the connection are logged" \
    [ "$(grep -c 'event=bad_request .*sample="FLOOD' "$T/main.log")" -eq "$LOGCAP" ]
check "bad lines: the last logged is the ${LOGCAP}th" grep -q "sample=\"FLOOD$((LOGCAP - 1))\\\\x01\"" "$T/main.log"
check "bad lines: the rest are counted in one line at the close" \
    wait_for 10 grep -q "event=bad_requests conn=[0-9]* peer=127.0.0.1:[0-9]* count=30 logged=$LOGCAP\$" "$T/main.log"

# ---- limits ----
{ head -c 70000 /dev/zero | tr '\0' 'a'; printf '\nPING\n'; } | send "$TCP" >"$T/got"
check "line over 64 KiB: too_long, then closed" [ "$(cat "$T/got")" = "ERR too_long request line longer than 65536 bytes" ]
{ printf 'SEARCH '; head -c 65529 /dev/zero | tr '\0' 'a'; printf '\nPING\n'; } | send "$TCP" >"$T/got"
check "line of exactly 64 KiB: served (bad_query), then PING" [ "$(cat "$T/got")" = "$(printf 'ERR bad_query query longer than 4096 bytes\nOK pong')" ]
{ head -c 300000 /dev/zero | tr '\0' 'b'; } | send "$TCP" >"$T/got"
check "300 KB without a newline: too_long" [ "$(cat "$T/got")" = "ERR too_long request line longer than 65536 bytes" ]
check "after too_long: daemon answers" alive "$TCP"
check "too_long is logged" grep -q 'event=too_long ' "$T/main.log"

# ---- pipelining: 600 requests in one write, replies in order ----
: >"$T/pipe.in"; : >"$T/pipe.want"
i=0
while [ $i -lt 200 ]; do
    printf 'GET missing-%d\nCOUNT wheat\nPING\n' $i >>"$T/pipe.in"
    printf 'ERR not_found no document with id missing-%d\nOK count=3 took_us=N\nOK pong\n' $i >>"$T/pipe.want"
    i=$((i + 1))
done
send "$TCP" <"$T/pipe.in" >"$T/got"
check "600 pipelined requests: 600 replies in order" cmp -s "$T/got" "$T/pipe.want"
send "$UNIX" <"$T/pipe.in" >"$T/got"
check "the same over the Unix socket" cmp -s "$T/got" "$T/pipe.want"

# ---- a client that does not read: the daemon stops serving it, others go on ----
i=0; : >"$T/slow.in"
while [ $i -lt 6000 ]; do printf 'GET wire-1\n' >>"$T/slow.in"; i=$((i + 1)); done
"$NC" -t 60 -p 2 "$TCP" <"$T/slow.in" >"$T/slow.out" & slow=$!
check "while a client does not read 2.4 MB of replies, others are served" alive "$TCP"
check "and over the Unix socket" alive "$UNIX"
wait "$slow"; rc=$?
check "the slow reader is answered and closed" [ "$rc" -eq 0 ]
check "the slow reader gets all 6000 replies" [ "$(grep -c '^OK id=wire-1$' "$T/slow.out")" -eq 6000 ]
check "each complete (60000 lines)" [ "$(wc -l <"$T/slow.out")" -eq 60000 ]
check "the last line is END" [ "$(tail -n 1 "$T/slow.out")" = END ]

# ---- live writes ----
expect "ADD, then pipelined reads see it, in order" "$TCP" "$AUTHL"'ADD {"id":"live-1","title":"Zebra crossing","body":"A zebra crossed the road in Nairobi.","date":"2022-01-02","source":"live","topics":["animals"]}
COUNT zebra
GET live-1
SEARCH snippet=0 zebra
' "${AUTHOK}OK id=live-1 replaced=0 took_us=N
OK count=1 took_us=N
OK id=live-1
id${TAB}live-1
title${TAB}Zebra crossing
date${TAB}2022-01-02T00:00:00Z
source${TAB}live
url${TAB}
topics${TAB}animals
places${TAB}
body${TAB}A zebra crossed the road in Nairobi.
END
OK total=1 shown=1 took_us=N
1${TAB}live-1${TAB}3.991${TAB}2022-01-02T00:00:00Z${TAB}live${TAB}Zebra crossing${TAB}
END
"
expect "the write is visible on another connection" "$UNIX" 'COUNT zebra
' 'OK count=1 took_us=N
'
expect "ADD replaces, json" "$UNIX" 'ADD format=json {"id":"live-1","title":"Zebra herd","body":"Zebras everywhere."}
COUNT nairobi
COUNT title:herd
' '{"status":"ok","id":"live-1","replaced":true,"took_us":N}
OK count=0 took_us=N
OK count=1 took_us=N
'
# One connection stays on one worker, so its second SEARCH would find live-1 in that
# worker's document cache if a commit did not empty it: the replaced document keeps its
# docid, and only the cache could still show the old title and body.
printf '%sSEARCH snippet=1 zebra\nADD {"id":"live-1","title":"Zebra herd again","body":"Zebras everywhere, and one wombat."}\nSEARCH snippet=1 zebra\nSTATS\n' \
    "$AUTHL" | "$NC" "$TCP" >"$T/got"
check "doc cache: the first search shows the document as it was" \
    [ "$(grep -c "^1${TAB}live-1${TAB}.*${TAB}Zebra herd${TAB}<b>Zebras</b> everywhere.\$" "$T/got")" -eq 1 ]
check "doc cache: after a replace, the same worker shows the new title and body" \
    grep -q "^1${TAB}live-1${TAB}.*${TAB}Zebra herd again${TAB}<b>Zebras</b> everywhere, and one wombat.\$" "$T/got"
check "doc cache: STATS counts hits and misses" grep -q "^doc_cache_misses${TAB}[1-9]" "$T/got"
expect "ADD errors" "$TCP" "$AUTHL"'ADD {"title":"no id"}
ADD {"id":"x","title":"t"
ADD ["id"]
ADD {"id":"x","date":"yesterday","title":"t"}
ADD {"id":"x"}
ADD {"id":"x","topics":7,"title":"t"}
PING
' "$AUTHOK"'ERR bad_request no "id"
ERR bad_request invalid JSON: '"'"'}'"'"' expected near end of file (column 21)
ERR bad_request not a JSON object
ERR bad_request unparsable "date" "yesterday"
ERR bad_request neither "title" nor "body"
ERR bad_request "topics" is not a string or strings
OK pong
'
expect "DELETE, then GET not_found, DELETE again not_found" "$TCP" "$AUTHL"'DELETE live-1
GET live-1
DELETE live-1
DELETE format=json live-1
COUNT zebra
' "$AUTHOK"'OK id=live-1 deleted=1 took_us=N
ERR not_found no document with id live-1
ERR not_found no document with id live-1
{"status":"error","code":"not_found","message":"no document with id live-1"}
OK count=0 took_us=N
'

# concurrent writers: 10 clients x 20 ADDs, each batch pipelined
i=0
while [ $i -lt 10 ]; do
    j=0; printf '%s' "$AUTHL" >"$T/w$i.in"
    while [ $j -lt 20 ]; do
        printf 'ADD {"id":"bulk-%d-%d","title":"Bulk story %d","body":"Quagga item.","source":"bulk"}\n' $i $j $j >>"$T/w$i.in"
        j=$((j + 1))
    done
    "$NC" "$TCP" <"$T/w$i.in" >"$T/w$i.out" &
    eval "wp$i=\$!"
    i=$((i + 1))
done
ok=1; i=0
while [ $i -lt 10 ]; do
    eval "wait \$wp$i" || ok=0
    [ "$(grep -c '^OK id=bulk-.* replaced=0 took_us=' "$T/w$i.out")" -eq 20 ] || ok=0
    i=$((i + 1))
done
check "200 concurrent ADDs all acknowledged" [ "$ok" -eq 1 ]
expect "all 200 searchable" "$UNIX" 'COUNT source=bulk quagga
' 'OK count=200 took_us=N
'
printf 'STATS\n' | "$NC" "$TCP" >"$T/got"
writes=$(sed -n "s/^writes${TAB}//p" "$T/got"); commits=$(sed -n "s/^commits${TAB}//p" "$T/got")
check "STATS counts the writes (204)" [ "$writes" = 204 ]
check "group commit: fewer commits than writes" [ "$commits" -lt "$writes" ]

# ---- one connection pipelining writes: they share commits, replies keep request order ----
expect "pipelined writes: every reply in order, errors in their place" "$TCP" "$AUTHL"'ADD {"id":"pipe-1","title":"Pipelined one","body":"oryx herd"}
ADD {"id":"pipe-2"
DELETE pipe-none
ADD {"id":"pipe-3","title":"Pipelined three","body":"oryx calf"}
DELETE pipe-1
COUNT oryx
GET pipe-3
' "$AUTHOK"'OK id=pipe-1 replaced=0 took_us=N
ERR bad_request invalid JSON: '"'"'}'"'"' expected near end of file (column 14)
ERR not_found no document with id pipe-none
OK id=pipe-3 replaced=0 took_us=N
OK id=pipe-1 deleted=1 took_us=N
OK count=1 took_us=N
OK id=pipe-3
id	pipe-3
title	Pipelined three
date	
source	
url	
topics	
places	
body	oryx calf
END
'
printf 'STATS\n' | "$NC" "$TCP" >"$T/got"
commits0=$(sed -n "s/^commits${TAB}//p" "$T/got")
i=0; printf '%s' "$AUTHL" >"$T/pipe.in"
while [ $i -lt 200 ]; do
    printf 'ADD {"id":"pipe-bulk-%d","title":"Pipelined bulk","body":"pangolin","source":"pipe"}\n' $i >>"$T/pipe.in"
    i=$((i + 1))
done
printf 'COUNT source=pipe pangolin\n' >>"$T/pipe.in"
send "$TCP" <"$T/pipe.in" >"$T/pipe.out"
check "200 pipelined ADDs on one connection acknowledged in order" \
    [ "$(grep -c '^OK id=pipe-bulk-' "$T/pipe.out")" -eq 200 ]
check "the acknowledgements come in request order" \
    [ "$(sed -n 's/^OK id=pipe-bulk-\([0-9]*\) .*/\1/p' "$T/pipe.out" | tr '\n' ' ')" = "$(seq 0 199 | tr '\n' ' ')" ]
check "the COUNT behind them sees all 200" [ "$(tail -n 1 "$T/pipe.out")" = "OK count=200 took_us=N" ]
printf 'STATS\n' | "$NC" "$TCP" >"$T/got"
commits1=$(sed -n "s/^commits${TAB}//p" "$T/got")
check "one connection's pipelined writes share commits (at most 100 commits for 200)" \
    [ $((commits1 - commits0)) -le 100 ]
check "the daemon still answers" alive "$TCP"

# ---- concurrency: 20 clients x 100 requests, every reply checked ----
printf 'COUNT wheat\tOK count=3\nCOUNT source=bulk quagga\tOK count=200\nPING\tOK pong\nCOUNT cocoa\tOK count=1\nGET nosuch\tERR not_found no document with id nosuch\nCOUNT title:"bulk story 7"\tOK count=10\n' >"$T/load"
"$NC" -t 60 -L 20,100 "$TCP" "$T/load" >"$T/got"
check "20 clients x 100 requests: every reply right" [ "$(cat "$T/got")" = "load ok=2000 bad=0" ]
"$NC" -t 60 -L 10,50 "$UNIX" "$T/load" >"$T/got"
check "10 clients x 50 over the Unix socket" [ "$(cat "$T/got")" = "load ok=500 bad=0" ]
"$NC" -t 60 -L 300,5 "$TCP" "$T/load" >"$T/got"
check "a burst of 300 simultaneous connections, 5 requests each" [ "$(cat "$T/got")" = "load ok=1500 bad=0" ]

# ---- an acknowledged write survives kill -9 ----
expect "ADD before the crash" "$TCP" "$AUTHL"'ADD {"id":"durable-1","title":"Okapi sighted","body":"An okapi was seen."}
' "$AUTHOK"'OK id=durable-1 replaced=0 took_us=N
'
kill -9 "$MAIN"; wait "$MAIN" 2>/dev/null
start main2 --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/s.sock" --workers 2 \
    --auth-token-file "$T/token"
MAIN=$PID
expect "after kill -9 and restart: the acknowledged ADD is there" "$TCP" 'COUNT okapi
COUNT source=bulk quagga
' 'OK count=1 took_us=N
OK count=200 took_us=N
'
check "the index is clean after kill -9" xapian-check "$T/idx" >/dev/null 2>&1

# ---- SIGTERM while writes are in flight: every acknowledged write is kept ----
i=0; printf '%s' "$AUTHL" >"$T/term.in"
while [ $i -lt 300 ]; do
    printf 'ADD {"id":"term-%d","title":"Tapir %d","body":"Tapir.","source":"term"}\n' $i $i >>"$T/term.in"
    i=$((i + 1))
done
"$NC" -t 30 -k "$TCP" <"$T/term.in" >"$T/term.out" & tp=$!
wait_for 10 grep -qs '^OK id=term-' "$T/term.out"
stop "$MAIN"
check "SIGTERM during writes: exit 0" [ "$RC" -eq 0 ]
wait "$tp"; rc=$?
check "SIGTERM during writes: the writing client is closed" [ "$rc" -eq 0 ]
acked=$(grep -c '^OK id=term-[0-9]* replaced=0 took_us=' "$T/term.out")
check "SIGTERM during writes: every reply is a whole acknowledgement" [ "$(grep -vc '^OK auth$' "$T/term.out")" -eq "$acked" ]
check "SIGTERM during writes: at least one acknowledged" [ "$acked" -ge 1 ]
start main3 --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/s.sock" --workers 2 \
    --auth-token-file "$T/token"
MAIN=$PID
expect "after restart: exactly the acknowledged writes are there" "$TCP" 'COUNT source=term tapir
' "OK count=$acked took_us=N
"

# ---- the writer lets go of the index when idle; outside updates show within a second ----
expect "an ADD on the restarted daemon" "$TCP" "$AUTHL"'ADD {"id":"live-2","title":"Ibis","body":"An ibis."}
' "$AUTHOK"'OK id=live-2 replaced=0 took_us=N
'
check "the writer releases the index after 2 s without writes" wait_for 10 grep -qs 'event=writer_close reason=idle' "$T/main3.log"
mkdir -p "$T/extra"
printf '{"id":"outside-1","title":"Wombat news","body":"A wombat was found.","source":"outside"}\n' >"$T/extra/feed.jsonl"
"$BIN/newsindex" --index "$T/idx" "$T/extra" >"$T/out" 2>&1; rc=$?
check "newsindex updates the index while newsd serves it" [ "$rc" -eq 0 ]
seen_wombat() { printf 'COUNT wombat\n' | "$NC" "$TCP" | grep -q '^OK count=1 '; }
check "the outside update is visible within a second" wait_for 1 seen_wombat

# ---- SIGHUP reopens; SIGTERM exits 0 ----
kill -HUP "$MAIN"
check "SIGHUP: still answers" alive "$TCP"
check "SIGHUP: logged" wait_for 5 grep -qs 'event=reopen signal=HUP' "$T/main3.log"
stop "$MAIN"
check "SIGTERM: exit 0" [ "$RC" -eq 0 ]
check "SIGTERM: the Unix socket is removed" [ ! -e "$T/s.sock" ]
check "SIGTERM: logged" grep -q 'event=exit status=0' "$T/main3.log"

# ---- connection cap and idle timeout (a second daemon with small limits) ----
start small --index "$T/idx" --listen 127.0.0.1:0 --workers 1 --max-connections 3 --idle-timeout 1
SMALL=$PID
"$NC" -H 3 "$TCP" >"$T/got"
check "over the connection cap: ERR busy, then closed" [ "$(cat "$T/got")" = "ERR busy too many connections" ]
check "after the cap: answers again" wait_for 5 alive "$TCP"
check "the rejection is logged" grep -q 'event=conn_rejected .*reason=max_connections max=3' "$T/small.log"
"$NC" -t 10 -i "$TCP" >"$T/got"; rc=$?
check "idle connection closed by the daemon" [ "$rc" -eq 0 ]
check "idle connection: no reply" [ ! -s "$T/got" ]
check "idle timeout logged" grep -q 'event=idle_timeout .*seconds=1' "$T/small.log"
printf 'PIN' | "$NC" -t 10 -k "$TCP" >"$T/got"; rc=$?
check "unfinished line: closed by the daemon" [ "$rc" -eq 0 ]
check "unfinished line: ERR timeout" [ "$(cat "$T/got")" = "ERR timeout request line not finished within 1000 ms" ]
check "after the line timeout: answers" alive "$TCP"
printf 'SEARCH a very slow sender sends this line\n' | "$NC" -t 20 -s 200 "$TCP" >"$T/got"; rc=$?
check "slow sender (a byte per 200 ms): closed by the daemon" [ "$rc" -eq 0 ]
check "slow sender: ERR timeout after the line timeout" [ "$(cat "$T/got")" = "ERR timeout request line not finished within 1000 ms" ]
check "line timeouts are logged" grep -q 'event=line_timeout ' "$T/small.log"
# SIGTERM while a client holds an idle connection open: still a clean exit
printf 'PING\n' | "$NC" -t 10 -k "$TCP" >"$T/held" & holder=$!
wait_for 5 grep -q 'OK pong' "$T/held"
stop "$SMALL"
check "SIGTERM with a connection open: exit 0" [ "$RC" -eq 0 ]
wait "$holder"; rc=$?
check "the open connection was closed by the shutdown" [ "$rc" -eq 0 ]

# ---- slots kept for the Unix socket (NEWSD_UNIX_RESERVED_CONNECTIONS, at most a quarter) ----
# --max-connections 8: TCP takes at most 6, so a TCP flood leaves the administrator 2
start reserve --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/r.sock" --workers 1 --max-connections 8
RESERVE=$PID
"$NC" -H 6 "$TCP" >"$T/got"
check "TCP beyond max - reserve: ERR busy, then closed" [ "$(cat "$T/got")" = "ERR busy too many connections" ]
check "the TCP rejection is logged with the TCP cap" wait_for 5 grep -q 'event=conn_rejected .*max=8 tcp_max=6' "$T/reserve.log"
# (the closed ones free their slots when their worker gets to them: wait for that)
check "the rejected round's connections are gone" \
    wait_for 10 sh -c "printf 'STATS\n' | '$NC' 'unix:$T/r.sock' | grep -q '^connections${TAB}1\$'"
holders=""
n=0
while [ "$n" -lt 6 ]; do
    printf 'PING\n' | "$NC" -t 60 -k "$TCP" >"$T/hold.$n" &
    holders="$holders $!"
    n=$((n + 1))
done
check "six TCP connections hold every TCP slot" \
    wait_for 20 sh -c "printf 'STATS\n' | '$NC' 'unix:$T/r.sock' | grep -q '^connections${TAB}7\$'"
check "a seventh TCP connection: ERR busy" [ "$(printf 'PING\n' | "$NC" "$TCP")" = "ERR busy too many connections" ]
"$NC" -H 2 "unix:$T/r.sock" >"$T/got"
check "the Unix socket still gets its 2 slots; the ninth connection is refused" [ "$(cat "$T/got")" = "ERR busy too many connections" ]
check "the Unix socket answers during the TCP flood" wait_for 5 sh -c "[ \"\$(printf 'PING\n' | '$NC' 'unix:$T/r.sock')\" = 'OK pong' ]"
for h in $holders; do kill "$h" 2>/dev/null; wait "$h" 2>/dev/null; done
check "once the flood is gone, TCP answers again" wait_for 10 alive "$TCP"
stop "$RESERVE"
check "reserve: SIGTERM: exit 0" [ "$RC" -eq 0 ]

# ---- port already taken: exit 1 ----
start third --index "$T/idx" --listen 127.0.0.1:0
"$ND" --index "$T/idx" --listen "$TCP" >"$T/out" 2>"$T/err"; rc=$?
check "address in use: exit 1" [ "$rc" -eq 1 ]
check "address in use: message" contains "$T/err" "cannot listen on $TCP"
stop "$PID"
check "third daemon: exit 0" [ "$RC" -eq 0 ]

# ---- out of file descriptors: accepting pauses and resumes, every answer still right ----
(ulimit -n 60; exec "$ND" --index "$T/idx" --listen 127.0.0.1:0 --workers 2 2>"$T/fd.log") &
FDP=$!; PIDS="$PIDS $FDP"
wait_for "${START_DEADLINE:-60}" grep -qs '^newsd: ready' "$T/fd.log"
TCP=$(sed -n 's/^newsd: ready listen=\([0-9.]*:[0-9]*\) .*/\1/p' "$T/fd.log")
check "a low descriptor limit is reported at start" grep -q 'event=fd_limit open_files=60 wanted=1064' "$T/fd.log"
# A first pass of every request while descriptors are plenty: UBSan's vptr check proves a
# new type's vtable readable through a pipe(2), which fails once the descriptors are gone
# and reads as a false "invalid vptr"; checked once, a type stays in its cache.
"$NC" -t 60 -L 2,12 "$TCP" "$T/load" >"$T/got"
check "descriptor-starved daemon: a first pass answered" [ "$(cat "$T/got")" = "load ok=24 bad=0" ]
"$NC" -t 60 -L 100,5 "$TCP" "$T/load" >"$T/got"
check "100 clients against 60 descriptors: every reply right" [ "$(cat "$T/got")" = "load ok=500 bad=0" ]
stop "$FDP"
check "descriptor-starved daemon: exit 0" [ "$RC" -eq 0 ]

# ---- --busy-poll-us: the same replies from a worker that polls before it sleeps ----
"$ND" --index "$T/idx" --busy-poll-us 10001 >"$T/out" 2>"$T/err"; rc=$?
check "--busy-poll-us over the limit: exit 2" [ "$rc" -eq 2 ]
check "--busy-poll-us over the limit: message" contains "$T/err" "--busy-poll-us takes microseconds from 0 to 10000, not '10001'"
start busy --index "$T/idx" --listen 127.0.0.1:0 --workers 2 --busy-poll-us 500
BUSY=$PID
"$NC" -t 60 -L 10,50 "$TCP" "$T/load" >"$T/got"
check "busy polling: 10 clients x 50 requests, every reply right" [ "$(cat "$T/got")" = "load ok=500 bad=0" ]
# Polling adapts: once the clients are gone the workers sleep.  CPU time (utime + stime,
# in clock ticks) over 2 s of quiet must stay far below what polling without end would
# burn (2 s per worker); the bound is generous for a busy machine.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
c0=$(cpu_ticks "$BUSY"); sleep 2; c1=$(cpu_ticks "$BUSY")
check "busy polling: an idle daemon sleeps (CPU ticks in 2 s: $((c1 - c0)))" \
    [ $((c1 - c0)) -lt $(( $(getconf CLK_TCK) / 2 )) ]
stop "$BUSY"
check "busy polling: SIGTERM, exit 0" [ "$RC" -eq 0 ]

# ---- --doc-cache-mb: the same replies with no document cache ----
"$ND" --index "$T/idx" --doc-cache-mb 65537 >"$T/out" 2>"$T/err"; rc=$?
check "--doc-cache-mb over the limit: exit 2" [ "$rc" -eq 2 ]
check "--doc-cache-mb over the limit: message" contains "$T/err" "--doc-cache-mb takes MiB from 0 to 65536, not '65537'"
"$ND" --index "$T/idx" --doc-cache-mb -1 >"$T/out" 2>"$T/err"; rc=$?
check "--doc-cache-mb negative: exit 2" [ "$rc" -eq 2 ]
start nocache --index "$T/idx" --listen 127.0.0.1:0 --workers 2 --doc-cache-mb 0
NOCACHE=$PID
"$NC" -t 60 -L 10,50 "$TCP" "$T/load" >"$T/got"
check "no document cache: 10 clients x 50 requests, every reply right" [ "$(cat "$T/got")" = "load ok=500 bad=0" ]
printf 'SEARCH snippet=0 wheat\nSEARCH snippet=1 wheat\nSTATS\n' | "$NC" "$TCP" >"$T/got"
check "no document cache: searches answered" [ "$(grep -c '^OK total=3 shown=3 ' "$T/got")" -eq 2 ]
check "no document cache: STATS holds no document" grep -q "^doc_cache_docs${TAB}0\$" "$T/got"
check "no document cache: STATS counts each of the 6 hits read as a miss" grep -q "^doc_cache_misses${TAB}6\$" "$T/got"
check "no document cache: no hit" grep -q "^doc_cache_hits${TAB}0\$" "$T/got"
stop "$NOCACHE"
check "no document cache: SIGTERM, exit 0" [ "$RC" -eq 0 ]

check "no sanitizer or leak report in any daemon log" sh -c "! grep -l -E 'Sanitizer|runtime error' $T/*.log"
finish
