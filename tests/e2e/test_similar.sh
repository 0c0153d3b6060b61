#!/bin/sh
# End-to-end tests of SIMILAR (related stories, newsd(8)) and `newsq similar`: a daemon
# on a TCP port and a Unix socket over an index of a few Reuters-like articles, one of
# them an identical copy of another.  SIMILAR in text and JSON over both listeners (the
# article and its copy never among the hits; the terms on the OK line / as a list), the
# filters, ERR not_found, every bad option as ERR bad_request (then PING), STATS
# similar_searches, the reply cap, and newsq similar (hits, the terms: line, exit
# statuses, --json, usage errors).
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NI=$BIN/newsindex
NQ=$BIN/newsq
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]

mkdir -p "$T/docs"
cat >"$T/docs/a.jsonl" <<'EOF2'
{"id":"a1","title":"Oil prices rise after OPEC cut","body":"Crude oil prices rose as OPEC cut output; barrels of crude traded higher.","date":"1987-03-01","source":"wire","topics":["crude"]}
{"id":"a1-copy","title":"Oil prices rise after OPEC cut","body":"Crude oil prices rose as OPEC cut output; barrels of crude traded higher.","date":"1987-03-02","source":"wire","topics":["crude"]}
{"id":"a2","title":"OPEC output cut lifts crude","body":"OPEC members cut output and crude oil barrels rose.","date":"1987-04-01","source":"wire2","topics":["crude"]}
{"id":"a3","title":"Wheat harvest improves","body":"Rains improved the wheat harvest in Kansas.","date":"1987-05-01","source":"wire","topics":["grain"]}
{"id":"a4","title":"Oil barrels","body":"Oil prices: barrels of crude, higher again.","date":"1988-01-01","source":"other","topics":["crude"]}
EOF2
"$NI" --index "$T/idx" "$T/docs" >"$T/ni.out" 2>&1
check "index built" contains "$T/ni.out" "newsindex: done "
start main --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/s.sock" --workers 2
UNIX="unix:$T/s.sock"

ask() { printf '%s\n' "$2" | "$NC" "$1"; }
alive() { [ "$(ask "$1" PING)" = "OK pong" ]; }
no_line() { ! grep -q -- "$2" "$1"; }

for addr in "$TCP" "$UNIX"; do
    ask "$addr" "SIMILAR snippet=0 a1" >"$T/text"
    check "$addr text: OK line with the terms" \
        grep -Eq '^OK total=[0-9]+ shown=2 took_us=[0-9]+ terms=[a-z:,]+$' "$T/text"
    check "$addr text: the terms are the article's words" \
        grep -Eq '^OK .* terms=(.*,)?title:opec(,.*)?$' "$T/text"
    check "$addr text: hits a2, a4 (no a1, no copy, no a3)" \
        [ "$(sed -n '2,$p' "$T/text" | cut -f 2 | sort | tr '\n' ' ')" = "END a2 a4 " ]
    check "$addr text: END last" [ "$(tail -n 1 "$T/text")" = END ]
    ask "$addr" "SIMILAR format=json a1" >"$T/json"
    check "$addr json: shape" jq -e >/dev/null '.status == "ok" and (.terms | length > 3) and
        ([.hits[].id] | sort) == ["a2","a4"] and (.hits[0].snippet | type) == "string" and
        .shown == 2 and (.total | type) == "number"' "$T/json"
    check "$addr json: no number among the terms" jq -e >/dev/null '[.terms[] | test("^(title:)?[0-9]")] | any | not' "$T/json"
    check "$addr json: no term that only the article and its copy hold" \
        jq -e >/dev/null '.terms | index("traded") == null' "$T/json"
done

# filters, paging and facets as SEARCH's
check "source= filters" [ "$(ask "$TCP" "SIMILAR format=json source=wire2 a1" | jq -c '[.hits[].id]')" = '["a2"]' ]
check "since= filters" [ "$(ask "$TCP" "SIMILAR format=json since=1987-12-01 a1" | jq -c '[.hits[].id]')" = '["a4"]' ]
check "not_topic= filters" [ "$(ask "$TCP" "SIMILAR format=json not_topic=crude a1" | jq .shown)" = 0 ]
check "limit=1" [ "$(ask "$TCP" "SIMILAR format=json limit=1 a1" | jq .shown)" = 1 ]
check "facets" [ "$(ask "$TCP" "SIMILAR format=json facets=topic a1" | jq -c .facets)" = '{"topic":[{"value":"crude","count":2}]}' ]
check "a copy's stories leave out the original" \
    [ "$(ask "$TCP" "SIMILAR format=json a1-copy" | jq -c '[.hits[].id] | sort')" = '["a2","a4"]' ]

# errors
check "unknown id: ERR not_found" [ "$(ask "$TCP" "SIMILAR nosuch")" = "ERR not_found no document with id nosuch" ]
check "unknown id, JSON" [ "$(ask "$UNIX" "SIMILAR format=json nosuch" | jq -r .code)" = not_found ]
check "no id: ERR bad_request" grep -q '^ERR bad_request SIMILAR needs an argument' "$(ask "$TCP" SIMILAR >"$T/e"; echo "$T/e")"
for bad in "sort=date a1|unknown option 'sort' for SIMILAR" "limit=x a1|limit must be a number" \
           "limit=100000 a1|limit must be a number from 0 to" "snippet=2 a1|snippet must be 0, 1 or best" \
           "since=tomorrow a1|since must be a day" "source=, a1|source has an empty value" \
           "facets=nope a1|unknown facet 'nope'" "exact=2 a1|exact must be 0 or 1"; do
    req=${bad%%|*} want=${bad#*|}
    ask "$TCP" "SIMILAR $req" >"$T/e"
    check "SIMILAR $req: ERR bad_request" grep -q "^ERR bad_request $want" "$T/e"
    check "alive after SIMILAR $req" alive "$TCP"
done
long=$(head -c 300 /dev/zero | tr '\0' x)
check "over-long id: ERR bad_request" grep -q '^ERR bad_request id longer than' "$(ask "$TCP" "SIMILAR $long" >"$T/e"; echo "$T/e")"

# STATS and HELP
before=$(ask "$TCP" "STATS format=json" | jq .similar_searches)
ask "$TCP" "SIMILAR a2" >/dev/null
check "STATS similar_searches counts SIMILAR" [ "$(ask "$TCP" "STATS format=json" | jq .similar_searches)" = $((before + 1)) ]
check "HELP lists SIMILAR" grep -q "^SIMILAR${TAB:-	}SIMILAR \[limit=N" "$(ask "$TCP" HELP >"$T/h"; echo "$T/h")"

# the reply cap applies: 80 stories with 1500-byte titles pass the smallest cap
long=$(head -c 1500 /dev/zero | tr '\0' x)
i=0
while [ $i -lt 80 ]; do
    printf '{"id":"big%d","title":"Oil prices rise %s","body":"Crude oil prices rose as OPEC cut output; barrels of crude traded higher."}\n' $i "$long"
    i=$((i + 1))
done >"$T/docs/big.jsonl"
# and fillers, so that the stories' words stay rare enough to weigh
while [ $i -lt 400 ]; do
    printf '{"id":"filler%d","title":"Filler","body":"Nothing to see here."}\n' $i
    i=$((i + 1))
done >>"$T/docs/big.jsonl"
"$NI" --index "$T/idx2" "$T/docs" >"$T/ni2.out" 2>&1
start capped --index "$T/idx2" --listen 127.0.0.1:0 --max-reply-bytes 65536
ask "$TCP" "SIMILAR limit=100 snippet=best format=json a1" >"$T/e"
check "over --max-reply-bytes: ERR reply_too_large" grep -q '"code":"reply_too_large"' "$T/e"
check "under it: the reply" [ "$(ask "$TCP" "SIMILAR limit=2 format=json a1" | jq .shown)" = 2 ]

# newsq similar
"$NQ" -a "$UNIX" --no-snippet similar a1 >"$T/nq" 2>"$T/nq.err"; rc=$?
check "newsq similar: exit 0" [ "$rc" = 0 ]
check "newsq similar: the hits" grep -q '^1\. ' "$T/nq"
check "newsq similar: a2 shown" grep -q 'a2$' "$T/nq"
check "newsq similar: a1 not shown" no_line "$T/nq" ' a1$'
check "newsq similar: terms: line" grep -Eq '^terms: [a-z:]+( [a-z:]+)+$' "$T/nq"
"$NQ" -a "$UNIX" similar nosuch >"$T/nq" 2>"$T/nq.err"; rc=$?
check "newsq similar nosuch: exit 1" [ "$rc" = 1 ]
check "newsq similar nosuch: message" grep -q 'not_found: no document with id nosuch' "$T/nq.err"
"$NQ" -a "$UNIX" --json similar a1 >"$T/nq" 2>&1
check "newsq --json similar: the reply" jq -e >/dev/null '.terms | length > 3' "$T/nq"
"$NQ" -a "$UNIX" --sort date similar a1 >"$T/nq" 2>&1; rc=$?
check "newsq --sort similar: usage error" [ "$rc" = 2 ] && grep -q -- "--sort does not apply to 'similar'" "$T/nq"
"$NQ" -a "$UNIX" similar a1 a2 >"$T/nq" 2>&1; rc=$?
check "newsq similar with two ids: usage error" [ "$rc" = 2 ] && grep -q "'similar' takes one argument, the id" "$T/nq"
"$NQ" -a "$UNIX" similar >"$T/nq" 2>&1; rc=$?
check "newsq similar without id: usage error" [ "$rc" = 2 ]

finish
