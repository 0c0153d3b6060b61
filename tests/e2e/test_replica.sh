#!/bin/sh
# End-to-end test of read replicas kept with Xapian's own replication (README.md,
# "Replicas"), on loopback, every process started and stopped here: a master index
# served by newsd, xapian-replicate-server publishing its folder, xapian-replicate
# pulling a copy (one-shot runs), and a second newsd on the replica answering as the
# master does; an ADD on the master shows on the replica after the next replication,
# both when it arrives as a changeset applied in place and when a full copy replaces
# the replica's live database; the replica newsd refuses writes; a master that is down
# leaves the replica serving what it had.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]
# send ADDR: the requests on stdin, the replies with the timings masked.
send() { "$NC" "$1" | sed -E 's/took_us=[0-9]+/took_us=N/; s/"took_us":[0-9]+/"took_us":N/'; }

# listening_port PID: the TCP port the process PID listens on (xapian-replicate-server
# binds port 0 to a free port and does not say which: ss(8) does).
listening_port() { ss -ltnpH 2>/dev/null | grep "pid=$1," | awk '{ sub(/.*:/, "", $4); print $4; exit }'; }
has_port() { [ -n "$(listening_port "$1")" ]; }

# ---- the master: an index of part of the shipped corpus, served by newsd ----
mkdir -p "$T/master"   # xapian-replicate makes the replica folder itself: it must not exist
"$BIN/newsindex" --index "$T/master/news" "$ROOT/corpus/reuters21578/reut2-000.sgm.gz" "$ROOT/corpus/seed" >"$T/build.out" 2>&1
check "the master index is built" contains "$T/build.out" "newsindex: done "
docs=$(doc_count "$T/master/news")
# Changesets let xapian-replicate send only what changed; without them every
# replication is a full copy.
XAPIAN_MAX_CHANGESETS=10 start master --index "$T/master/news" --listen 127.0.0.1:0 --listen "unix:$T/master.sock" --workers 1
MASTER=$PID
MASTER_TCP=$TCP

# ---- xapian-replicate-server publishes the master's folder ----
# Its own session: on SIGTERM Xapian's TCP servers pass the signal to their whole
# process group (to stop their forked children), which would otherwise be this script.
setsid xapian-replicate-server -I 127.0.0.1 -p 0 "$T/master" >"$T/repsrv.log" 2>&1 &
REPSRV=$!
PIDS="$PIDS $REPSRV"
check "xapian-replicate-server listens" wait_for 20 has_port "$REPSRV"
PORT=$(listening_port "$REPSRV")
# replicate [OPTIONS]: one one-shot run of xapian-replicate into $T/replica.
replicate() { xapian-replicate -h 127.0.0.1 -p "$PORT" -m news -o -r 0 -t 10 "$@" "$T/replica" >>"$T/rep.log" 2>&1; }

replicate; rc=$?
check "first replication: exit 0" [ "$rc" -eq 0 ]
check "the replica folder holds Xapian's stub" contains "$T/replica/XAPIANDB" "auto replica_"
check "the replica has every document" [ "$(doc_count "$T/replica")" = "$docs" ]
live=$(sed -n 's/^auto //p' "$T/replica/XAPIANDB")
check "the replica's live copy is xapian-check clean" xapian-check "$T/replica/$live" >/dev/null 2>&1

# ---- a second newsd on the replica answers as the master ----
# One worker: a reader refreshes on its own clock (NEWSD_READER_REFRESH_MS), so with
# one the first answer that shows a change shows that every later one will.
start replica --index "$T/replica" --listen 127.0.0.1:0 --listen "unix:$T/replica.sock" --workers 1
REPLICA=$PID
REPLICA_TCP=$TCP
check "the replica newsd counts every document" contains "$T/replica.log" "docs=$docs"
QUERIES='SEARCH format=json limit=10 cocoa
SEARCH format=json limit=10 sort=date oil prices
SEARCH format=json limit=5 snippet=1 "done deal"
COUNT format=json wheat OR corn
GET format=json reuters-5'
printf '%s\n' "$QUERIES" | send "$MASTER_TCP" >"$T/master.answers"
printf '%s\n' "$QUERIES" | send "$REPLICA_TCP" >"$T/replica.answers"
check "the master answers the queries" [ "$(grep -c '"status":"ok"' "$T/master.answers")" = 5 ]
check "the replica's answers equal the master's" cmp -s "$T/master.answers" "$T/replica.answers"

# ---- the replica refuses writes, on every socket ----
printf 'ADD {"id":"r-1","title":"x","body":"y"}\nDELETE reuters-5\nREINDEX\nPING\n' | send "unix:$T/replica.sock" >"$T/got"
cat >"$T/want" <<'EOF2'
ERR read_only ADD is refused: the index is a replica kept by xapian-replicate; write to its master
ERR read_only DELETE is refused: the index is a replica kept by xapian-replicate; write to its master
ERR read_only REINDEX is refused: the index is a replica kept by xapian-replicate; write to its master
OK pong
EOF2
check "replica: ADD, DELETE and REINDEX get read_only" diff -u "$T/want" "$T/got"
printf 'ADD format=json {"id":"r-1","title":"x","body":"y"}\n' | send "$REPLICA_TCP" >"$T/got"
check "replica over TCP: read_only in JSON" contains "$T/got" '"code":"read_only"'
printf '{"id":"r-1","title":"x","body":"y"}\n{"id":"r-2","title":"x","body":"y"}\n' >"$T/two.jsonl"
"$BIN/newsq" -a "unix:$T/replica.sock" add "$T/two.jsonl" >"$T/out" 2>"$T/err"; rc=$?
check "newsq add to a replica: exit 2" [ "$rc" -eq 2 ]
check "newsq add to a replica: says where writes go" contains "$T/err" "serves a read-only replica; send writes to its master's newsd"
check "newsq add to a replica: the refusal once" [ "$(grep -c 'read_only' "$T/err")" = 1 ]
"$BIN/newsindex" --index "$T/replica" "$ROOT/corpus/seed" >"$T/out" 2>"$T/err"; rc=$?
check "newsindex refuses to update a replica: exit 1" [ "$rc" -eq 1 ]
check "newsindex refuses to update a replica: message" contains "$T/err" "is a replica kept by xapian-replicate"
check "the replica is unchanged" [ "$(doc_count "$T/replica")" = "$docs" ]

# ---- an ADD on the master reaches the replica with the next replication ----
# count_on ADDR QUERY: the exact match count newsd at ADDR reports.
count_on() { printf 'COUNT %s\n' "$2" | "$NC" "$1" | sed -n 's/^OK count=\([0-9]*\).*/\1/p'; }
printf 'ADD {"id":"rep-1","title":"Zanzibar cloves","body":"Clove exports from Zanzibar doubled."}\n' | send "unix:$T/master.sock" >"$T/got"
check "ADD on the master" contains "$T/got" "OK id=rep-1"
check "the master finds it" [ "$(count_on "$MASTER_TCP" zanzibar)" = 1 ]
check "the replica does not have it yet" [ "$(count_on "$REPLICA_TCP" zanzibar)" = 0 ]
before=$(sed -n 's/^auto //p' "$T/replica/XAPIANDB")
replicate; rc=$?
check "replication after the ADD: exit 0" [ "$rc" -eq 0 ]
check "a changeset: applied in place, same live copy" [ "$(sed -n 's/^auto //p' "$T/replica/XAPIANDB")" = "$before" ]
seen() { [ "$(count_on "$REPLICA_TCP" "$1")" = 1 ]; }
check "the replica newsd sees the ADD (changeset)" wait_for 10 seen zanzibar
check "the replica counts one more document" [ "$(doc_count "$T/replica")" = $((docs + 1)) ]

# A full copy (forced here; it also happens when the changesets do not reach back far
# enough) builds the other copy and switches the stub to it.
printf 'ADD {"id":"rep-2","title":"Timbuktu salt","body":"Salt caravans reached Timbuktu."}\n' | send "unix:$T/master.sock" >"$T/got"
check "second ADD on the master" contains "$T/got" "OK id=rep-2"
replicate -f; rc=$?
check "forced full copy: exit 0" [ "$rc" -eq 0 ]
check "a full copy: the stub names the other copy" [ "$(sed -n 's/^auto //p' "$T/replica/XAPIANDB")" != "$before" ]
check "the replica newsd follows the switch" wait_for 10 seen timbuktu
check "and still has the first ADD" seen zanzibar
printf '%s\n' "$QUERIES" | send "$MASTER_TCP" >"$T/master.answers"
printf '%s\n' "$QUERIES" | send "$REPLICA_TCP" >"$T/replica.answers"
check "after both: the replica's answers equal the master's" cmp -s "$T/master.answers" "$T/replica.answers"

# ---- the master down: replication fails, the replica serves on ----
kill -TERM "$REPSRV"; wait "$REPSRV" 2>/dev/null
printf 'ADD {"id":"rep-3","title":"Lost","body":"Samarkand"}\n' | send "unix:$T/master.sock" >/dev/null
replicate; rc=$?
check "replication with the master down: fails (exit status not 0)" [ "$rc" -ne 0 ]
check "the replica newsd still answers" seen timbuktu
check "and has not got what it could not fetch" [ "$(count_on "$REPLICA_TCP" samarkand)" = 0 ]

stop "$REPLICA"
check "replica newsd exits 0" [ "$RC" -eq 0 ]
stop "$MASTER"
check "master newsd exits 0" [ "$RC" -eq 0 ]
finish
