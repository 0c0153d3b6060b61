#!/bin/sh
# End-to-end tests of a sharded newsd (newsd(8), "SHARDED INDEXES"), loopback only, every
# process started and stopped here.  Part of the Reuters corpus is written once as one
# index and once split in 3 shards by newsidx_shard_of (tests/tools/shardtool split).
# Checked: the option and stub-file errors; for a sample of bench/queries.txt, the ids,
# order and scores over 3 local shards and over 3 xapian-tcpsrv processes equal those of
# the one index (in-process to 1e-9, and through newsd's JSON replies); a killed shard
# gives shard_unavailable naming it, partial=1 answers from the others and names it,
# STATS shows it down, and once it is restarted on its port queries succeed again
# without restarting newsd; a stopped (slow) shard the same, within --shard-timeout;
# ADD/DELETE land in the shard that owns the id, on local shards and through a writable
# xapian-tcpsrv, and an acknowledged write survives kill -9; REINDEX is refused.
# Over remote shards explain=1 answers as the one index, "did you mean" is absent (no
# spelling table) and NEAR between phrases is bad_query.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NC=$T/nclient
TOOL=$ROOT/${BUILD:-build/rel}/tools/shardtool
PIDS=""
TCPSRV=""   # xapian-tcpsrv parents: at exit they and their per-connection children go
trap 'for p in $TCPSRV; do kill_tcpsrv "$p" 9; done
      for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]
check "the shard tool is built" [ -x "$TOOL" ]

# ask ADDR REQUEST...: the replies to the requests, one per line, on one connection
ask() {
    addr=$1; shift
    printf '%s\n' "$@" | "$NC" -t 20 "$addr" | sed 's/"took_us":[0-9]*/"took_us":0/; s/took_us=[0-9]*/took_us=0/'
}

# ---- usage and spec errors ----
"$ND" --index "$T/x" --shard "$T/y" >"$T/out" 2>"$T/err"; rc=$?
check "--index with --shard: exit 2" [ "$rc" -eq 2 ]
check "--index with --shard: message" contains "$T/err" "--index and --shard do not go together"
"$ND" --shard tcp:127.0.0.1 >"$T/out" 2>"$T/err"; rc=$?
check "tcp: without a port: exit 2" [ "$rc" -eq 2 ]
check "tcp: without a port: message" contains "$T/err" "want HOST:PORT"
"$ND" --shard tcp:127.0.0.1:70000 >"$T/out" 2>"$T/err"; rc=$?
check "tcp: port out of range: exit 2" [ "$rc" -eq 2 ]
"$ND" --shard "$T/missing" >"$T/out" 2>"$T/err"; rc=$?
check "missing shard folder: exit 1" [ "$rc" -eq 1 ]
check "missing shard folder: message" contains "$T/err" "no index at $T/missing"
"$ND" --shard tcp:127.0.0.1:1 --shard-timeout 0 >"$T/out" 2>"$T/err"; rc=$?
check "--shard-timeout 0: exit 2" [ "$rc" -eq 2 ]
printf '# a program, not a host\nremote :xapian-progsrv /srv/idx\n' >"$T/prog.stub"
"$ND" --shard "$T/prog.stub" >"$T/out" 2>"$T/err"; rc=$?
check "stub 'remote :PROGRAM': exit 2" [ "$rc" -eq 2 ]
check "stub 'remote :PROGRAM': message" contains "$T/err" "prog.stub line 2: 'remote :PROGRAM' runs a program"
printf 'chert /srv/idx\n' >"$T/chert.stub"
"$ND" --shard "$T/chert.stub" >"$T/out" 2>"$T/err"; rc=$?
check "stub with another backend: exit 2" [ "$rc" -eq 2 ]
check "stub with another backend: message" contains "$T/err" "'chert' is not supported"
printf '\n# nothing\n' >"$T/empty.stub"
"$ND" --shard "$T/empty.stub" >"$T/out" 2>"$T/err"; rc=$?
check "stub listing no shards: exit 2" [ "$rc" -eq 2 ]
check "stub listing no shards: message" contains "$T/err" "lists no shards"
"$ND" --index "$T/empty.stub" >"$T/out" 2>"$T/err"; rc=$?
check "--index of a file that is no usable stub: exit 1" [ "$rc" -eq 1 ]
check "--index of a file that is no usable stub: message" contains "$T/err" "newsd: cannot open the index $T/empty.stub: stub file"
set --
i=0
while [ "$i" -le 64 ]; do set -- "$@" --shard "tcp:127.0.0.1:$((20000 + i))"; i=$((i + 1)); done
"$ND" "$@" >"$T/out" 2>"$T/err"; rc=$?
check "65 shards: exit 2" [ "$rc" -eq 2 ]

# ---- the corpus: one index and the same documents in 3 shards ----
R=$ROOT/corpus/reuters21578
"$TOOL" split "$T/sh" 3 "$R/reut2-000.sgm.gz" "$R/reut2-001.sgm.gz" "$R/reut2-002.sgm.gz" >"$T/split" 2>&1
check "split: 3000 documents in 3 shards" grep -q '^split docs=3000 shards=3 ' "$T/split"
check "split: the stub lists the shards" [ "$(cat "$T/sh/shards.stub")" = "glass shard-0
glass shard-1
glass shard-2" ]
sed -n '1,200p' "$ROOT/bench/queries.txt" >"$T/queries"

"$TOOL" compare "$T/queries" "$T/sh/full" "$T/sh/shards.stub" >"$T/cmp" 2>&1
check "local shards (stub): same ids, order and scores in process" grep -q ' mismatches=0$' "$T/cmp"
check "local shards: the comparison saw hits" [ "$(sed -n 's/.* hits=\([0-9]*\) .*/\1/p' "$T/cmp")" -gt 1000 ]

# ---- xapian-tcpsrv shards ----
# tcpsrv K PORT: serves shard K on PORT (0: a free one, tried at random below the
# ephemeral range, so no client socket holds it); sets TPID and TPORT.  Polls for its
# "Listening..." with a deadline; a port in use is tried again (a restart on the same port
# waits out the last closes).
tcpsrv() {
    k=$1; want=$2; tries=0
    while [ "$tries" -lt 200 ]; do
        tries=$((tries + 1))
        if [ "$want" -eq 0 ]; then
            TPORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 10000))
        else
            TPORT=$want
        fi
        log=$T/tcp$k.$TPORT.$tries.log
        xapian-tcpsrv $TCPSRV_FLAGS --port "$TPORT" --interface 127.0.0.1 "$TCPSRV_DIR/shard-$k" >"$log" 2>&1 &
        TPID=$!
        # until it listens or exits (a loaded machine may take its time: no short deadline)
        wait_for 60 tcpsrv_settled "$log" "$TPID"
        if grep -q '^Listening' "$log"; then
            TCPSRV="$TCPSRV $TPID"
            return 0
        fi
        if ! grep -q 'already in use' "$log"; then
            cat "$log" >&2
            kill -9 "$TPID" 2>/dev/null
            return 1
        fi
        kill -9 "$TPID" 2>/dev/null
        wait "$TPID" 2>/dev/null
        sleep 0.1
    done
    echo "xapian-tcpsrv for shard $k did not start; sockets on its port:" >&2
    ss -tanp 2>/dev/null | grep ":$TPORT " >&2
    return 1
}
# tcpsrv_settled LOG PID: it listens, said why it cannot, or is gone (or a zombie)
tcpsrv_settled() {
    grep -qs -e '^Listening' -e 'already in use' -e 'rror' "$1" || ! kill -0 "$2" 2>/dev/null ||
        [ "$(cut -d' ' -f3 "/proc/$2/stat" 2>/dev/null)" = Z ]
}
# kill_tcpsrv PID SIGNAL: the parent and the children it forked per connection (the
# parent is stopped first, so that it forks no child the list would miss; a child left
# over would keep the port and serve newsd's old connection)
kill_tcpsrv() {
    kill -STOP "$1" 2>/dev/null
    for c in $(pgrep -P "$1"); do kill "-$2" "$c" 2>/dev/null; done
    kill "-$2" "$1" 2>/dev/null
    [ "$2" = STOP ] || kill -CONT "$1" 2>/dev/null
}

TCPSRV_FLAGS=""
TCPSRV_DIR=$T/sh
tcpsrv 0 0; P0=$TPORT; T0=$TPID
tcpsrv 1 0; P1=$TPORT; T1=$TPID
tcpsrv 2 0; P2=$TPORT; T2=$TPID
check "three xapian-tcpsrv serve the shards" [ -n "$P0" -a -n "$P1" -a -n "$P2" ]
S0=tcp:127.0.0.1:$P0
S1=tcp:127.0.0.1:$P1
S2=tcp:127.0.0.1:$P2

"$TOOL" compare "$T/queries" "$T/sh/full" "$S0" "$S1" "$S2" >"$T/cmp" 2>&1
check "remote shards: same ids, order and scores in process" grep -q ' mismatches=0$' "$T/cmp"
check "remote shards: the comparison saw hits" [ "$(sed -n 's/.* hits=\([0-9]*\) .*/\1/p' "$T/cmp")" -gt 1000 ]

start full --index "$T/sh/full" --listen 127.0.0.1:0 --workers 1
FULL=$TCP
start remote --shard "$S0" --shard "$S1" --shard "$S2" --listen 127.0.0.1:0 --workers 1 \
    --shard-timeout 1000
REMOTE=$TCP
RPID=$PID
check "ready line counts documents and shards" grep -q 'docs=3000 shards=3$' "$T/remote.log"
start local --index "$T/sh" --listen 127.0.0.1:0 --workers 1
LOCAL=$TCP

# The JSON replies of newsd, normalised: hits with equal scores may come in either order
# (the two number documents differently), and a tie group cut by the page's end may be
# cut at different members, so each page is sorted by score and id and its last tie group
# left out when the page is full.
sed -n '1,60p' "$T/queries" | sed 's/^/SEARCH format=json limit=20 exact=1 snippet=0 /' >"$T/requests"
norm() {
    jq -c '{total, shown, hits: ([(.hits // [])[] | {id, score, title, date}] | sort_by(-.score, .id)
           | if length == 20 then (.[-1].score) as $m | map(select(.score > $m)) else . end)}'
}
"$NC" -t 60 "$FULL" <"$T/requests" | norm >"$T/r.full"
"$NC" -t 60 "$REMOTE" <"$T/requests" | norm >"$T/r.remote"
"$NC" -t 60 "$LOCAL" <"$T/requests" | norm >"$T/r.local"
check "newsd: 60 answers from the one index" [ "$(wc -l <"$T/r.full")" -eq 60 ]
check "newsd: the answers hold hits" [ "$(grep -o '"id"' "$T/r.full" | wc -l)" -gt 300 ]
check "newsd over 3 xapian-tcpsrv answers as the one index" cmp -s "$T/r.full" "$T/r.remote"
check "newsd over 3 local shards answers as the one index" cmp -s "$T/r.full" "$T/r.local"
ask "$FULL" "SEARCH format=json limit=5 snippet=1 sort=date oil" | jq -c '[.hits[] | {id, snippet}]' >"$T/d.full"
ask "$REMOTE" "SEARCH format=json limit=5 snippet=1 sort=date oil" | jq -c '[.hits[] | {id, snippet}]' >"$T/d.remote"
check "sort=date and snippets over remote shards: as the one index" cmp -s "$T/d.full" "$T/d.remote"
# recency= (newsd(8), RECENCY): local shards rank and score as the one index; remote
# shards cannot run its weighting, a bad_request that names them.
sed -n '1,30p' "$T/queries" | sed 's/^/SEARCH format=json limit=20 exact=1 snippet=0 recency=30 /' >"$T/rrequests"
"$NC" -t 60 "$FULL" <"$T/rrequests" | norm >"$T/rr.full"
"$NC" -t 60 "$LOCAL" <"$T/rrequests" | norm >"$T/rr.local"
check "recency=: 30 answers, with hits" [ "$(wc -l <"$T/rr.full")" -eq 30 -a "$(grep -o '"id"' "$T/rr.full" | wc -l)" -gt 100 ]
check "recency= over 3 local shards: as the one index" cmp -s "$T/rr.full" "$T/rr.local"
check "recency= with remote shards: bad_request" [ "$(ask "$REMOTE" "SEARCH recency=30 oil")" = \
    "ERR bad_request recency needs every shard local: a remote shard (xapian-tcpsrv) cannot run its weighting" ]
ask "$FULL" "COUNT oil" "COUNT topic=crude oil OR gas" >"$T/c.full"
ask "$REMOTE" "COUNT oil" "COUNT topic=crude oil OR gas" >"$T/c.remote"
check "COUNT over remote shards: as the one index" cmp -s "$T/c.full" "$T/c.remote"
ask "$FULL" "GET format=json reuters-2001" >"$T/g.full"
ask "$REMOTE" "GET format=json reuters-2001" >"$T/g.remote"
check "GET over remote shards: as the one index" cmp -s "$T/g.full" "$T/g.remote"
check "GET over remote shards: found" contains "$T/g.remote" '"status":"ok"'
ask "$REMOTE" "STATS" >"$T/stats"
check "STATS: 3 shards, all up" contains "$T/stats" "shards_up	3"
check "STATS: a shard's line" contains "$T/stats" "shard.1	up $S1 documents="
check "STATS: documents of all shards" contains "$T/stats" "documents	3000"
# explain=1 over remote shards as over the one index; no spelling table there, so no "did
# you mean"; NEAR between phrases refused (its posting source cannot travel)
ask "$FULL" "SEARCH format=json limit=5 snippet=0 explain=1 oil prices" | jq -c '[.hits[] | {id, score, explain}], .query' >"$T/e.full"
ask "$REMOTE" "SEARCH format=json limit=5 snippet=0 explain=1 oil prices" | jq -c '[.hits[] | {id, score, explain}], .query' >"$T/e.remote"
check "explain over remote shards: as the one index" cmp -s "$T/e.full" "$T/e.remote"
check "explain over remote shards: parts listed" grep -q '"term":"Zoil"' "$T/e.remote"
ask "$FULL" "SEARCH format=json limit=0 oil prics" >"$T/s.full"
ask "$REMOTE" "SEARCH format=json limit=0 oil prics" >"$T/s.remote"
check "did you mean on the one index" jq -e '.suggestion == "oil prices"' "$T/s.full"
check "no did you mean over remote shards" jq -e 'has("suggestion") | not' "$T/s.remote"
check "NEAR between phrases over remote shards: bad_query" \
    [ "$(ask "$REMOTE" 'COUNT "oil prices" NEAR/5 "per barrel"')" = "ERR bad_query NEAR and ADJ with a phrase cannot run on a remote shard (xapian-tcpsrv)" ]

# ---- a shard killed ----
# ids on shard 0 and shard 1, for GET
ID0=""; ID1=""
n=1
while [ -z "$ID0" ] || [ -z "$ID1" ]; do
    k=$("$TOOL" which 3 "reuters-$n")
    [ "$k" -eq 0 ] && [ -z "$ID0" ] && ID0=reuters-$n
    [ "$k" -eq 1 ] && [ -z "$ID1" ] && ID1=reuters-$n
    n=$((n + 1))
done
ask "$REMOTE" "SEARCH format=json limit=10 snippet=0 oil" | norm >"$T/before"
kill_tcpsrv "$T1" 9
wait "$T1" 2>/dev/null
ask "$REMOTE" "SEARCH limit=3 snippet=0 oil" >"$T/k1"
check "killed shard: shard_unavailable naming it" grep -q "^ERR shard_unavailable $S1 (shard 1 of 3" "$T/k1"
ask "$REMOTE" "SEARCH format=json limit=3 snippet=0 partial=1 oil" "COUNT partial=1 oil" \
    "COUNT format=json oil" "GET $ID0" "GET $ID1" "PING" "STATS" >"$T/k2"
check "partial=1: answers (JSON)" grep -q '^{"status":"ok","total":' "$T/k2"
check "partial=1: names the missing shard (JSON)" grep -q "\"missing_shards\":\[\"$S1\"\]" "$T/k2"
check "partial=1: names the missing shard (text)" grep -q "^OK count=[0-9]* took_us=0 missing_shards=$S1\$" "$T/k2"
check "COUNT without partial: shard_unavailable (JSON)" grep -q "\"code\":\"shard_unavailable\",\"shard\":\"$S1\"" "$T/k2"
check "GET of a document on a live shard: found" grep -q "^OK id=$ID0\$" "$T/k2"
check "GET of a document on the dead shard: shard_unavailable" grep -q "^ERR shard_unavailable $S1 " "$T/k2"
check "the daemon still answers PING" grep -q '^OK pong$' "$T/k2"
check "STATS: the shard is down" grep -q "^shard.1	down $S1 error=" "$T/k2"
check "STATS: 2 shards up" grep -q "^shards_up	2\$" "$T/k2"
"$BIN/newsq" -a "$REMOTE" --partial --no-snippet oil >"$T/q.out" 2>"$T/q.err"; rc=$?
check "newsq --partial: hits, exit 0" [ "$rc" -eq 0 ]
check "newsq --partial: names the missing shard" grep -q "^newsq: partial answer: shard $S1 did not answer\$" "$T/q.err"
"$BIN/newsq" -a "$REMOTE" count --partial oil >"$T/q.out" 2>"$T/q.err"; rc=$?
check "newsq count --partial: a count" grep -q '^[1-9][0-9]*$' "$T/q.out"
"$BIN/newsq" -a "$REMOTE" --no-snippet oil >"$T/q.out" 2>"$T/q.err"; rc=$?
check "newsq without --partial: an error naming the shard" grep -q "shard_unavailable.*$S1" "$T/q.err"
check "newsq without --partial: exit status of an error" [ "$rc" -ne 0 -a "$rc" -ne 1 ]
# restarted on the same port: queries succeed again, newsd untouched
if tcpsrv 1 "$P1"; then ok=1; else ok=0; fi
T1=$TPID
check "shard 1 restarted on its port" [ "$ok" -eq 1 ]
back() { ask "$REMOTE" "SEARCH format=json limit=10 snippet=0 oil" | norm >"$T/after" && cmp -s "$T/before" "$T/after"; }
# (on failure the daemon's view goes to stderr, for the log of make test)
if wait_for 60 back; then ok=1; else ok=0; ask "$REMOTE" "SEARCH limit=1 snippet=0 oil" "STATS" >&2; fi
check "after the restart queries succeed again, as before" [ "$ok" -eq 1 ]
check "newsd was not restarted" kill -0 "$RPID"

# ---- a shard stopped (slow): the query fails within the timeout, not hangs ----
kill_tcpsrv "$T2" STOP
ask "$REMOTE" "SEARCH limit=3 snippet=0 oil" "PING" >"$T/s1"
check "stopped shard: shard_unavailable naming it" grep -q "^ERR shard_unavailable $S2 (shard 2 of 3" "$T/s1"
check "stopped shard: the error says it timed out" grep -q "Timeout" "$T/s1"
check "stopped shard: PING after it" grep -q '^OK pong$' "$T/s1"
kill_tcpsrv "$T2" CONT
check "continued shard: queries succeed again" wait_for 60 back
stop "$RPID"
check "sharded newsd: clean exit" [ "$RC" -eq 0 ]

# ---- writes to local shards ----
mkdir "$T/w"
cp -r "$T/sh/shard-0" "$T/sh/shard-1" "$T/sh/shard-2" "$T/sh/shards.stub" "$T/w/"
start wl --index "$T/w" --listen "unix:$T/w.sock" --workers 1
WL=unix:$T/w.sock
WID=shard-write-test-7
WK=$("$TOOL" which 3 "$WID")
OTHER=$(( (WK + 1) % 3 ))
before_k=$(doc_count "$T/w/shard-$WK"); before_o=$(doc_count "$T/w/shard-$OTHER")
ask "$WL" "ADD {\"id\":\"$WID\",\"title\":\"Zanzibar cloves\",\"body\":\"zanzibar clove harvest\"}" \
    "GET $WID" "SEARCH snippet=0 zanzibar" "REINDEX" >"$T/w1"
check "ADD on local shards: acknowledged" grep -q "^OK id=$WID replaced=0 " "$T/w1"
check "ADD on local shards: GET finds it" grep -q "^OK id=$WID\$" "$T/w1"
check "ADD on local shards: SEARCH finds it" grep -q "^1	$WID	" "$T/w1"
check "REINDEX on a sharded index: refused" grep -q '^ERR unsupported REINDEX does not rebuild a sharded index' "$T/w1"
check "the document is in its own shard" [ "$(doc_count "$T/w/shard-$WK")" -eq $((before_k + 1)) ]
check "no other shard got it" [ "$(doc_count "$T/w/shard-$OTHER")" -eq "$before_o" ]
check "its id term is in its own shard" sh -c "xapian-delve -t 'Q$WID' '$T/w/shard-$WK' 2>&1 | grep -q 'termfreq 1'"
ask "$WL" "ADD {\"id\":\"$WID-b\",\"title\":\"x\",\"body\":\"acknowledged then killed\"}" >"$T/w2"
check "second ADD acknowledged" grep -q "^OK id=$WID-b " "$T/w2"
kill -9 "$PID"; wait "$PID" 2>/dev/null
KB=$("$TOOL" which 3 "$WID-b")
check "an acknowledged write survives kill -9" sh -c "xapian-delve -t 'Q$WID-b' '$T/w/shard-$KB' 2>&1 | grep -q 'termfreq 1'"
start wl2 --index "$T/w" --listen "unix:$T/w.sock" --workers 1
ask "$WL" "DELETE $WID" "GET $WID" >"$T/w3"
check "DELETE on local shards: acknowledged" grep -q "^OK id=$WID deleted=1 " "$T/w3"
check "DELETE on local shards: gone" grep -q "^ERR not_found no document with id $WID" "$T/w3"
extra=0; [ "$KB" -eq "$WK" ] && extra=1
check "DELETE removed it from its shard" [ "$(doc_count "$T/w/shard-$WK")" -eq $((before_k + extra)) ]
stop "$PID"

# ---- writes through writable xapian-tcpsrv (which serve readers too) ----
mkdir "$T/ww"
cp -r "$T/sh/shard-0" "$T/sh/shard-1" "$T/sh/shard-2" "$T/ww/"
TCPSRV_FLAGS=--writable
TCPSRV_DIR=$T/ww
tcpsrv 0 0; W0=tcp:127.0.0.1:$TPORT
tcpsrv 1 0; W1=tcp:127.0.0.1:$TPORT
tcpsrv 2 0; W2=tcp:127.0.0.1:$TPORT
start wr --shard "$W0" --shard "$W1" --shard "$W2" --listen "unix:$T/wr.sock" --workers 1
WR=unix:$T/wr.sock
before_k=$(doc_count "$T/ww/shard-$WK")
ask "$WR" "ADD {\"id\":\"$WID\",\"title\":\"Zanzibar cloves\",\"body\":\"zanzibar clove harvest\"}" \
    "SEARCH snippet=0 zanzibar" >"$T/r1"
check "ADD through writable xapian-tcpsrv: acknowledged" grep -q "^OK id=$WID replaced=0 " "$T/r1"
check "ADD through writable xapian-tcpsrv: readers of the same servers see it" grep -q "^1	$WID	" "$T/r1"
check "ADD through writable xapian-tcpsrv: committed in its shard's folder" \
    [ "$(doc_count "$T/ww/shard-$WK")" -eq $((before_k + 1)) ]
ask "$WR" "DELETE $WID" >"$T/r2"
check "DELETE through writable xapian-tcpsrv" grep -q "^OK id=$WID deleted=1 " "$T/r2"
stop "$PID"
check "newsd over writable shards: clean exit" [ "$RC" -eq 0 ]

[ -n "${SHARDS_DEBUG:-}" ] && cp -r "$T" "$SHARDS_DEBUG"
finish
