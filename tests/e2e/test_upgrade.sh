#!/bin/sh
# End-to-end tests of the index format version (newsindex(8), "UPGRADES") on
# tests/data/format1-index, an index written by the format-1 newsindex: newsd refuses it
# with the message that says what to do and a non-zero exit, so do updates and
# compaction; `newsindex --upgrade` rewrites a copy in place (Xapian's own quest ranks
# it exactly as before), and newsd then serves it; the same for a shard of a sharded
# index; a format-3 index (tests/data/format3-index) gains its cluster terms.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NQ=$BIN/newsq
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

OLD=$T/old
cp -R "$ROOT/tests/data/format1-index" "$OLD"
WANT="the index at $OLD is in format 1 and this newsd reads format 4: run \`newsindex --upgrade $OLD\`, or rebuild it with newsindex"

# ---- refused ----
"$ND" --index "$OLD" --listen 127.0.0.1:0 >"$T/out" 2>"$T/err"; rc=$?
check "newsd on a format-1 index: exit 1" [ "$rc" -eq 1 ]
check "newsd on a format-1 index: says what to do" contains "$T/err" "$WANT"
"$BIN/newsindex" --index "$OLD" "$ROOT/tests/data/newsd" >"$T/out" 2>"$T/err"; rc=$?
check "update of a format-1 index: exit 1" [ "$rc" -eq 1 ]
check "update of a format-1 index: says what to do" contains "$T/err" "$WANT"
"$BIN/newsindex" --index "$OLD" --compact >"$T/out" 2>"$T/err"; rc=$?
check "compaction of a format-1 index: exit 1" [ "$rc" -eq 1 ]
check "compaction of a format-1 index: says what to do" contains "$T/err" "$WANT"

# ---- usage errors ----
"$BIN/newsindex" --upgrade "$T/missing" >"$T/out" 2>"$T/err"; rc=$?
check "--upgrade of no index: exit 1" [ "$rc" -eq 1 ]
check "--upgrade of no index: message" contains "$T/err" "upgrading $T/missing failed (no_index)"
"$BIN/newsindex" --index "$OLD" --upgrade "$OLD" >"$T/out" 2>"$T/err"; rc=$?
check "--upgrade with --index: exit 2" [ "$rc" -eq 2 ]
check "--upgrade with --index: message" contains "$T/err" "--upgrade DIR names the index itself"
"$BIN/newsindex" --upgrade "$OLD" "$ROOT/tests/data/newsd" >"$T/out" 2>"$T/err"; rc=$?
check "--upgrade with a PATH: exit 2" [ "$rc" -eq 2 ]
"$BIN/newsindex" --upgrade >"$T/out" 2>"$T/err"; rc=$?
check "--upgrade without DIR: exit 2" [ "$rc" -eq 2 ]

# ---- upgraded ----
# quest ranks with Xapian alone: document numbers and weights must not move.
ranks() { quest -d "$1" -m 100 "$2" | grep -a '^[0-9]*: \[' ; }
for q in the cocoa "the company" "oil bank"; do ranks "$OLD" "$q" >"$T/before.$q"; done
THE=$(quest -d "$OLD" -m 0 the | sed -n 's/^Exactly \([0-9]*\) matches$/\1/p')
"$BIN/newsindex" --upgrade "$OLD" >"$T/out" 2>"$T/err"; rc=$?
check "--upgrade: exit 0" [ "$rc" -eq 0 ]
check "--upgrade: says how many" grep -q "^newsindex: upgraded $OLD rewritten=30 format=4 seconds=" "$T/out"
for q in the cocoa "the company" "oil bank"; do
    ranks "$OLD" "$q" >"$T/after.$q"
    check "quest '$q': the same ranks and weights" cmp -s "$T/before.$q" "$T/after.$q"
    check "quest '$q': some hits" [ -s "$T/after.$q" ]
done
check "xapian-check passes" sh -c "xapian-check '$OLD' >/dev/null"
"$BIN/newsindex" --upgrade "$OLD" >"$T/out" 2>"$T/err"; rc=$?
check "--upgrade again: exit 0" [ "$rc" -eq 0 ]
check "--upgrade again: nothing rewritten" grep -q "^newsindex: upgraded $OLD rewritten=0 format=4" "$T/out"

start upgraded --index "$OLD" --listen 127.0.0.1:0
check "newsd serves the upgraded index" [ -n "$TCP" ]
"$NQ" -a "$TCP" count the >"$T/out" 2>"$T/err"
check "newsd counts what quest counted before" [ "$(cat "$T/out")" = "${THE:-none}" ]
"$NQ" -a "$TCP" --color never --no-snippet cocoa >"$T/out" 2>"$T/err"
check "a search finds the article" contains "$T/out" "reuters-1"
stop "$PID"
check "newsd stops cleanly" [ "$RC" -eq 0 ]

# An update of the upgraded index works (the file is unchanged: nothing is read).
"$BIN/newsindex" --index "$OLD" "$ROOT/tests/data/newsd" >"$T/out" 2>"$T/err"; rc=$?
check "update after the upgrade: exit 0" [ "$rc" -eq 0 ]
check "update after the upgrade: the new documents added" field_is "$T/out" docs 36

# ---- a sharded index: each shard refused or upgraded on its own ----
"$BIN/newsindex" --index "$T/sh" --shards 2 "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "sharded index built" field_is "$T/out" docs 6
rm -rf "$T/sh/shard-1"
cp -R "$ROOT/tests/data/format1-index" "$T/sh/shard-1"
"$ND" --index "$T/sh" --listen 127.0.0.1:0 >"$T/out" 2>"$T/err"; rc=$?
check "newsd on a format-1 shard: exit 1" [ "$rc" -eq 1 ]
check "newsd on a format-1 shard: names it" contains "$T/err" "the index at $T/sh/shard-1 is in format 1"
"$BIN/newsindex" --upgrade "$T/sh" >"$T/out" 2>"$T/err"; rc=$?
check "--upgrade of a sharded index: exit 0" [ "$rc" -eq 0 ]
check "--upgrade of a sharded index: the old shard rewritten" grep -q "^newsindex: upgraded $T/sh rewritten=30 format=4" "$T/out"
start sharded --index "$T/sh" --listen 127.0.0.1:0
check "newsd serves the upgraded shards" [ -n "$TCP" ]
stop "$PID"

# ---- format 3: clusters without their terms ----
# tests/data/format3-index holds three near-duplicate pairs, named in slot 6 only.
F3=$T/f3
cp -R "$ROOT/tests/data/format3-index" "$F3"
"$ND" --index "$F3" --listen 127.0.0.1:0 >"$T/out" 2>"$T/err"; rc=$?
check "newsd on a format-3 index: exit 1" [ "$rc" -eq 1 ]
check "newsd on a format-3 index: says what to do" contains "$T/err" "is in format 3 and this newsd reads format 4"
check "format 3: no cluster terms" [ -z "$(xapian-delve -1 -A XC "$F3" 2>/dev/null | grep '^XC')" ]
"$BIN/newsindex" --upgrade "$F3" >"$T/out" 2>"$T/err"; rc=$?
check "--upgrade of format 3: exit 0" [ "$rc" -eq 0 ]
check "--upgrade of format 3: every document rewritten" \
    grep -q "^newsindex: upgraded $F3 rewritten=12 format=4 " "$T/out"
xapian-delve -1 -A XC "$F3" 2>/dev/null | grep '^XC' >"$T/xc"
check "a cluster term per cluster" [ "$(wc -l <"$T/xc")" = 3 ]
for t in $(cat "$T/xc"); do
    check "$t: on the two members slot 6 names" \
        [ "$(xapian-delve -1 -t "$t" "$F3" 2>/dev/null | grep -c '^[0-9]')" = 2 ]
done
start f3 --index "$F3" --listen 127.0.0.1:0
"$NQ" -a "$TCP" --json stats >"$T/stats" 2>"$T/err"
check "STATS: 3 clusters, 3 duplicates" [ "$(jq -c '[.clusters, .duplicates]' "$T/stats")" = "[3,3]" ]
stop "$PID"

finish
