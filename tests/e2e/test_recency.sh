#!/bin/sh
# End-to-end tests of SEARCH recency= (newsd(8), "RECENCY") over TCP: an index of
# articles with the same text on different days, served by a newsd with the default
# origin (the newest article's day) and one with --recency-now.  Equal relevance ranks the
# newer first; the score is relevance plus 3 * 2^(-age/DAYS); the matches and the total
# stay those of the plain search; recency=0 changes nothing; bad values, sort=date with
# recency and a bad --recency-now are errors with their messages (then PING); newsq
# --recent and --recent=DAYS send it, and refuse bad values.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NQ=$BIN/newsq
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]

# e1..e4 put oldest first: plain relevance (ties by docid) lists them oldest first.
mkdir "$T/in"
for d in 1 2 3 4; do
    printf '{"id":"e%s","title":"Same","body":"identical harbour strike report","date":"2021-03-0%sT12:00:00Z","source":"wire"}\n' "$d" "$d"
done >"$T/in/a.jsonl"
printf '{"id":"late","title":"Late","body":"unrelated late news","date":"2021-03-10","source":"wire"}\n' >>"$T/in/a.jsonl"
"$BIN/newsindex" --index "$T/idx" "$T/in" >"$T/ni" 2>&1
check "index built" contains "$T/ni" "docs=5"

start plain --index "$T/idx" --listen 127.0.0.1:0 --workers 1
A=$TCP
start origin --index "$T/idx" --listen 127.0.0.1:0 --workers 1 --recency-now 2021-03-02
B=$TCP

ask() { printf '%s\n' "$2" | "$NC" -t 20 "$1"; }
alive() { [ "$(ask "$1" PING)" = "OK pong" ]; }
ids() { ask "$1" "SEARCH format=json snippet=0 $2" | jq -r '[.hits[].id] | join(",")'; }

check "plain: oldest first (docid order)" [ "$(ids "$A" "harbour")" = "e1,e2,e3,e4" ]
check "recency=7: newest first" [ "$(ids "$A" "recency=7 harbour")" = "e4,e3,e2,e1" ]
check "--recency-now 2021-03-02: later days count as new, ties by docid" \
    [ "$(ids "$B" "recency=7 harbour")" = "e2,e3,e4,e1" ]
check "recency never adds a match (the newest article matches none)" \
    [ "$(ask "$A" "SEARCH format=json exact=1 recency=1 harbour" | jq '.total')" = 4 ]

# score = relevance + 3 * 2^(-age/7), age from 2021-03-10 (the newest day): e1 is 9 days old.
ask "$A" "SEARCH format=json snippet=0 harbour" >"$T/p"
ask "$A" "SEARCH format=json snippet=0 recency=7 harbour" >"$T/r"
diff=$(jq -n --slurpfile p "$T/p" --slurpfile r "$T/r" \
    '($r[0].hits[] | select(.id == "e1") | .score) - ($p[0].hits[] | select(.id == "e1") | .score)')
check "the score adds 3 * 2^(-9/7) for e1" awk -v d="$diff" 'BEGIN { w = 3 * 2 ^ (-9 / 7); exit !(d - w < 0.002 && w - d < 0.002) }'
ask "$A" "SEARCH format=json snippet=0 recency=0 harbour" >"$T/z"
check "recency=0: the plain reply" [ "$(jq -c .hits "$T/z")" = "$(jq -c .hits "$T/p")" ]

# ---- bad input: ERR bad_request with the message, and the daemon still answers ----
bad() {
    check "$2: the message" [ "$(ask "$A" "$1")" = "ERR bad_request $3" ]
    check "$2: still answers" alive "$A"
}
bad "SEARCH recency=x harbour" "recency=x" "recency must be a number of days from 0 to 36500"
bad "SEARCH recency=-1 harbour" "recency=-1" "recency must be a number of days from 0 to 36500"
bad "SEARCH recency=36501 harbour" "recency=36501" "recency must be a number of days from 0 to 36500"
bad "SEARCH recency=7 sort=date harbour" "recency with sort=date" \
    "recency ranks by relevance and age: not with sort by date"
bad "COUNT recency=7 harbour" "recency on COUNT" "unknown option 'recency' for COUNT"

"$ND" --index "$T/idx" --listen 127.0.0.1:0 --recency-now 2021-02-30 >"$T/out" 2>"$T/err"; rc=$?
check "bad --recency-now: exit 2" [ "$rc" -eq 2 ]
check "bad --recency-now: message" contains "$T/err" "--recency-now takes a day, YYYY-MM-DD, not '2021-02-30'"

# ---- newsq --recent ----
"$NQ" -a "$A" --json --no-snippet --recent harbour >"$T/q1" 2>&1
check "newsq --recent: newest first" [ "$(jq -r '[.hits[].id] | join(",")' "$T/q1")" = "e4,e3,e2,e1" ]
"$NQ" -a "$A" --json --no-snippet --recent=1 harbour >"$T/q2" 2>&1
ask "$A" "SEARCH format=json snippet=0 recency=1 harbour" >"$T/w2"
check "newsq --recent=1: recency=1" [ "$(jq -c .hits "$T/q2")" = "$(jq -c .hits "$T/w2")" ]
ask "$A" "SEARCH format=json snippet=0 recency=30 harbour" >"$T/w30"
check "newsq --recent: the default is 30 days" [ "$(jq -c .hits "$T/q1")" = "$(jq -c .hits "$T/w30")" ]
usage_failed() { [ "$rc" -eq 2 ] && contains "$T/nq.err" "$1"; }
"$NQ" -a "$A" --recent=0 harbour >/dev/null 2>"$T/nq.err"; rc=$?
check "newsq --recent=0: usage error" usage_failed "--recent takes a half-life in days, 1 to 36500, not '0'"
"$NQ" -a "$A" --recent=soon harbour >/dev/null 2>"$T/nq.err"; rc=$?
check "newsq --recent=soon: usage error" usage_failed "--recent takes a half-life in days"
"$NQ" -a "$A" --recent --sort date harbour >/dev/null 2>"$T/nq.err"; rc=$?
check "newsq --recent --sort date: usage error" usage_failed "--recent ranks by relevance and age: not with --sort date"
"$NQ" -a "$A" --recent count harbour >/dev/null 2>"$T/nq.err"; rc=$?
check "newsq --recent with count: usage error" usage_failed "--recent applies to a search, not a count"

for p in $PIDS; do stop "$p"; done
PIDS=""
finish
