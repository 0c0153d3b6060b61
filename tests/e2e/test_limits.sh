#!/bin/sh
# End-to-end tests of the hard query limits (newsd(8), "QUERY LIMITS"): the cost caps of one
# query, the deadline that ends every match (COUNT included, which then says timeout and
# never a short count), the longest reply, and a daemon that keeps answering and stops on
# SIGTERM while every worker runs the worst queries a client may send.  The index holds
# Reuters-21578 and a generated feed whose documents hold "the" and "of" far apart, so
# that an OR of the phrase "of of" reads every position list of them and is slow on any
# machine (seconds here), while it stays within the cost caps.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]

# ---- the index: Reuters-21578, 3,000 slow documents, one long one ----
mkdir -p "$T/feed"
# Their titles are long too, so that a page of 100 of them passes --max-reply-bytes.
body=$(i=0; while [ $i -lt 100 ]; do printf 'the of '; i=$((i + 1)); done)
head=$(i=0; while [ $i -lt 80 ]; do printf 'headline '; i=$((i + 1)); done)
awk -v body="$body" -v head="$head" 'BEGIN { for (i = 0; i < 3000; i++)
    printf "{\"id\":\"slow-%d\",\"title\":\"slow %d %s\",\"body\":\"%s\",\"date\":\"1987-03-01\",\"source\":\"slowfeed\"}\n", i, i, head, body }' \
    >"$T/feed/slow.jsonl"
long=$(awk 'BEGIN { for (i = 0; i < 12000; i++) printf "longword%d ", i % 97 }')
printf '{"id":"long-1","title":"long","body":"%s","date":"1987-03-02"}\n' "$long" >"$T/feed/long.jsonl"
"$BIN/newsindex" --index "$T/idx" "$ROOT/corpus/reuters21578" "$T/feed" >"$T/out" 2>&1
check "index built: Reuters-21578 and the feed" field_is "$T/out" docs 24579

# ---- option errors ----
"$ND" --index "$T/idx" --max-reply-bytes 100 >"$T/out" 2>"$T/err"; rc=$?
check "--max-reply-bytes below the minimum: exit 2" [ "$rc" -eq 2 ]
check "--max-reply-bytes: message names the range" \
    contains "$T/err" "--max-reply-bytes takes bytes from 65536 to 1073741824, not '100'"
"$ND" --index "$T/idx" --query-timeout 0 >"$T/out" 2>"$T/err"; rc=$?
check "--query-timeout 0: exit 2" [ "$rc" -eq 2 ]

DEADLINE_MS=100
start main --index "$T/idx" --listen 127.0.0.1:0 --workers 2 --query-timeout $DEADLINE_MS \
    --max-reply-bytes 65536
MAIN=$PID
ADDR=$TCP

ask() { printf '%s\n' "$1" | "$NC" -t 60 "$ADDR"; }
alive() { [ "$(ask PING)" = "OK pong" ]; }

# ---- cost caps ----
# The review's line: 184 wildcards, the 23 letters 8 times.
wild=$(for i in 1 2 3 4 5 6 7 8; do for l in a b c d e f g h i j k l m n o p r s t u v w y; do
    printf '%s* OR ' "$l"; done; done)
wild=${wild% OR }
check "the review's wildcards: 1,106 bytes with COUNT" [ "${#wild}" -eq 1100 ]
ask "COUNT $wild" >"$T/r"
check "COUNT of 184 wildcards: bad_query naming the limit" \
    contains "$T/r" "ERR bad_query wildcards expand to more than 4096 terms in all (NEWSD_MAX_QUERY_EXPANSION)"
ask "SEARCH sort=date limit=100 snippet=0 $wild" >"$T/r"
check "SEARCH of 184 wildcards: bad_query" contains "$T/r" "ERR bad_query wildcards expand"
check "PING after the wildcards" alive
many=$(i=0; while [ $i -lt 400 ]; do printf 'oil OR '; i=$((i + 1)); done)
ask "COUNT ${many}oil" >"$T/r"
check "400 ORed words: bad_query naming NEWSD_MAX_QUERY_NODES" \
    contains "$T/r" "ERR bad_query query too complex: more than 1024 terms and operators (NEWSD_MAX_QUERY_NODES)"
printf 'FORMAT json\nCOUNT %s\n' "$wild" | "$NC" -t 60 "$ADDR" >"$T/r"
check "the cap in JSON" contains "$T/r" '{"status":"error","code":"bad_query","message":"wildcards expand to more than 4096 terms in all (NEWSD_MAX_QUERY_EXPANSION)"}'
check "PING after the caps" alive

# ---- the deadline ----
slow=$(i=0; while [ $i -lt 120 ]; do printf '"of of" OR '; i=$((i + 1)); done)
slow=${slow% OR }
ask "COUNT $slow" >"$T/r"
check "a slow COUNT: ERR timeout, no count" \
    [ "$(cat "$T/r")" = "ERR timeout query took longer than $DEADLINE_MS ms" ]
ask "SEARCH $slow" >"$T/r"
check "a slow SEARCH: ERR timeout" \
    [ "$(cat "$T/r")" = "ERR timeout query took longer than $DEADLINE_MS ms" ]
ask "SEARCH sort=date limit=100 $slow" >"$T/r"
check "a slow SEARCH by date: ERR timeout" contains "$T/r" "ERR timeout"
ask "COUNT since=1987-01-01 until=1987-12-31 the AND NOT ($slow)" >"$T/r"
check "the slow phrases under AND NOT, with dates: ERR timeout" contains "$T/r" "ERR timeout"
printf 'FORMAT json\nCOUNT %s\n' "$slow" | "$NC" -t 60 "$ADDR" >"$T/r"
check "timeout in JSON" contains "$T/r" '{"status":"error","code":"timeout","message":"query took longer than 100 ms"}'
ask 'COUNT source=slowfeed "the of"' >"$T/r"
check "a phrase that matches: the exact count" grep -q '^OK count=3000 ' "$T/r"
ask 'COUNT source=slowfeed "of of"' >"$T/r"
check "one slow phrase alone is quick enough: count 0" grep -q '^OK count=0 ' "$T/r"
ask "COUNT oil" >"$T/r"
check "COUNT oil on Reuters" grep -q '^OK count=' "$T/r"
check "PING after the timeouts" alive
grep -c 'status=timeout' "$T/main.log" >"$T/n" || true
check "timeouts are logged as such" [ "$(cat "$T/n")" -ge 1 ]

# ---- the longest reply ----
ask "GET long-1" >"$T/r"
check "GET of a reply over --max-reply-bytes: reply_too_large" \
    grep -q '^ERR reply_too_large the reply would be [0-9]* bytes, over the limit of 65536 (--max-reply-bytes)$' "$T/r"
check "nothing of the document was sent" lacks "$T/r" "longword"
ask "GET slow-1" >"$T/r"
check "GET of a short one still works" grep -q '^OK id=slow-1$' "$T/r"
ask "SEARCH limit=100 collapse=0 source=slowfeed the" >"$T/r"
check "a page over the limit: reply_too_large" grep -q '^ERR reply_too_large ' "$T/r"
check "PING after reply_too_large" alive

# ---- every worker busy with slow queries ----
printf 'COUNT %s\tERR timeout query took longer than %s ms\n' "$slow" "$DEADLINE_MS" >"$T/slow.load"
"$NC" -t 120 -u "$T/stop" -L 2,1 "$ADDR" "$T/slow.load" >"$T/load.out" 2>&1 &
LOAD=$!
check "the slow load is under way" wait_for 60 grep -q 'status=timeout' "$T/main.log"
check "PING on a new connection while both workers run slow queries" alive
ask "COUNT oil" >"$T/r"
check "a normal COUNT still answers" grep -q '^OK count=' "$T/r"
touch "$T/stop"
wait "$LOAD"; rc=$?
check "the slow load: every reply was ERR timeout" [ "$rc" -eq 0 ]
check "the slow load: counted" grep -q '^load ok=[1-9][0-9]* bad=0$' "$T/load.out"

# ---- memory: four connections of the worst queries, then idle again ----
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
rss0=$(rss_kb "$MAIN")
{
    printf 'COUNT %s\tERR timeout query took longer than %s ms\n' "$slow" "$DEADLINE_MS"
    printf 'SEARCH sort=date limit=100 snippet=0 %s\tERR timeout query took longer than %s ms\n' "$slow" "$DEADLINE_MS"
} >"$T/worst.load"
"$NC" -t 300 -L 4,20 "$ADDR" "$T/worst.load" >"$T/load.out" 2>&1; rc=$?
check "four connections of slow queries: all ERR timeout" [ "$rc" -eq 0 ]
printf 'COUNT a* OR b*\n' | "$NC" -t 60 "$ADDR" >"$T/r"
check "the widest wildcards allowed run (or time out)" grep -Eq '^(OK count=|ERR timeout)' "$T/r"
# The wildcards' expansion is under the deadline too: with 1 ms, a* OR s* (some 12,000
# index terms to scan, 4 x 1024 posting lists to merge) ends in ERR timeout, whether the
# scan or the match sees the deadline first; the daemon answers afterwards.
start tiny --index "$T/idx" --listen 127.0.0.1:0 --workers 1 --query-timeout 1
TINY=$PID
TINY_ADDR=$TCP
printf 'SEARCH a* OR s*\nCOUNT a* OR s*\nSEARCH sort=date limit=100 snippet=0 a* OR s*\nFORMAT json\nCOUNT a* OR s*\n' |
    "$NC" -t 60 "$TINY_ADDR" >"$T/r"
check "1 ms: SEARCH of wildcards is ERR timeout" \
    [ "$(sed -n 1p "$T/r")" = "ERR timeout query took longer than 1 ms" ]
check "1 ms: COUNT of wildcards is ERR timeout, no count" \
    [ "$(sed -n 2p "$T/r")" = "ERR timeout query took longer than 1 ms" ]
check "1 ms: SEARCH by date of wildcards is ERR timeout" \
    [ "$(sed -n 3p "$T/r")" = "ERR timeout query took longer than 1 ms" ]
check "1 ms: the code in JSON is timeout" \
    contains "$T/r" '{"status":"error","code":"timeout","message":"query took longer than 1 ms"}'
printf 'PING\n' | "$NC" -t 60 "$TINY_ADDR" >"$T/r"
check "1 ms: the daemon answers afterwards" [ "$(cat "$T/r")" = "OK pong" ]
stop "$TINY"
check "1 ms: exit 0 on SIGTERM" [ "$RC" -eq 0 ]
rss1=$(rss_kb "$MAIN")
case "${BUILD:-build/rel}" in
*san*) ;;   # the sanitizers keep freed memory in quarantine: RSS says nothing here
*)
    check "RSS grew by less than 256 MB under the worst queries ($rss0 -> $rss1 kB)" \
        [ $((rss1 - rss0)) -lt 262144 ] ;;
esac

# ---- SIGTERM while every worker runs slow queries ----
rm -f "$T/stop"
"$NC" -t 120 -u "$T/stop" -L 2,1 "$ADDR" "$T/slow.load" >"$T/load.out" 2>&1 &
LOAD=$!
n0=$(grep -c 'status=timeout' "$T/main.log")
check "slow queries again" wait_for 60 sh -c "[ \$(grep -c 'status=timeout' '$T/main.log') -gt $n0 ]"
kill -TERM "$MAIN"
check "SIGTERM under slow queries: the daemon exits" wait_for 30 sh -c "! kill -0 $MAIN 2>/dev/null"
wait "$MAIN"; rc=$?
check "SIGTERM under slow queries: exit status 0" [ "$rc" -eq 0 ]
touch "$T/stop"
wait "$LOAD" 2>/dev/null
check "the exit is logged" contains "$T/main.log" "event=exit status=0"

finish
