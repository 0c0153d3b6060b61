#!/bin/sh
# End-to-end tests of newsindex --shards: a corpus split by id into shard indexes
# (each shard holds exactly its ids, the union is the one-index build), the stub file,
# bad shard counts, and what updates, --prune, --force, --rebuild and --compact do with a
# sharded folder.  Shards are checked with Xapian's own tools (xapian-delve,
# xapian-check) and the C API (tests/tools/shardcheck).
. "$(dirname "$0")/lib.sh"
NI=$BIN/newsindex
TOOL=$ROOT/${BUILD:-build/rel}/tools/shardcheck
# A sizable slice of the shipped corpus: three Reuters archives and one BBC folder.
SRC="$ROOT/corpus/reuters21578/reut2-000.sgm.gz $ROOT/corpus/reuters21578/reut2-001.sgm.gz $ROOT/corpus/reuters21578/reut2-002.sgm.gz $ROOT/corpus/bbc/business"

# ids DIR: the document ids in an index, one a line, sorted.
ids() { xapian-delve -A Q -1 "$1" 2>/dev/null | sed -n 's/^Q//p' | LC_ALL=C sort; }
# misplaced DIR K N: how many ids in DIR do not belong to shard K of N.
misplaced() { ids "$1" | "$TOOL" of "$3" | grep -cvx "$2"; }
# owned DIR K N: every id in DIR belongs to shard K of N (and there is at least one).
owned() { [ -n "$(ids "$1")" ] && [ "$(misplaced "$1" "$2" "$3")" = 0 ]; }
# shard_sum DIR N: documents over the N shards of DIR.
shard_sum() {
    s=0; k=0
    while [ "$k" -lt "$2" ]; do s=$((s + $(doc_count "$1/shard-$k"))); k=$((k + 1)); done
    echo "$s"
}

# ---- bad shard counts: exit 2, a message, nothing written ----
for bad in 0 65 abc -1 ""; do
    "$NI" --index "$T/bad" --shards "$bad" corpus >"$T/out" 2>"$T/err"; rc=$?
    check "--shards '$bad': exit 2" [ "$rc" -eq 2 ]
    check "--shards '$bad': message" contains "$T/err" "--shards takes a number from 1 to 64, not '$bad'"
done
check "bad --shards: no index created" [ ! -e "$T/bad" ]
"$NI" --index "$T/bad" --compact --shards 2 >"$T/out" 2>"$T/err"; rc=$?
check "--compact --shards: exit 2" [ "$rc" -eq 2 ]
check "--compact --shards: message" contains "$T/err" "--compact takes no PATH and no --rebuild, --prune, --force or --shards"
"$NI" --help >"$T/out" 2>&1
check "--help names --shards" contains "$T/out" "--shards N"

# ---- the same corpus as one index and as 3 shards ----
# shellcheck disable=SC2086
"$NI" --index "$T/one" --jobs 2 $SRC >"$T/out.one" 2>"$T/err.one"; rc=$?
check "one index: exit 0" [ "$rc" -eq 0 ]
# shellcheck disable=SC2086
"$NI" --index "$T/sh" --shards 3 --jobs 2 $SRC >"$T/out.sh" 2>"$T/err.sh"; rc=$?
check "3 shards: exit 0" [ "$rc" -eq 0 ]
check "3 shards: summary says done" contains "$T/out.sh" "newsindex: done "
total=$(doc_count "$T/one")
check "the slice is sizable (over 3000 documents)" [ "${total:-0}" -gt 3000 ]
check "3 shards: summary docs is the total" field_is "$T/out.sh" docs "$total"
check "3 shards: added as the one index" [ "$(summary_field "$T/out.sh" added)" = "$(summary_field "$T/out.one" added)" ]
check "3 shards: the folder holds shard-0..2 and the stub" \
    [ "$(ls "$T/sh" | tr '\n' ' ')" = "shard-0 shard-1 shard-2 shards.stub " ]
check "3 shards: no work folders left" [ -z "$(ls -d "$T"/sh.* 2>/dev/null)" ]
grep -v '^#' "$T/sh/shards.stub" >"$T/stub.lines"
printf 'glass shard-0\nglass shard-1\nglass shard-2\n' >"$T/stub.want"
check "the stub lists the shards in order" cmp -s "$T/stub.lines" "$T/stub.want"
for k in 0 1 2; do
    check "shard $k: xapian-check clean" xapian-check "$T/sh/shard-$k" >/dev/null 2>&1
    check "shard $k: holds only ids it owns" owned "$T/sh/shard-$k" "$k" 3
    check "shard $k: a fair share (over a fifth)" [ "$(doc_count "$T/sh/shard-$k")" -gt $((total / 5)) ]
    "$TOOL" meta "$T/sh/shard-$k" newsd.paths >"$T/paths" 2>&1
    check "shard $k: newsd.paths records the roots" contains "$T/paths" "$ROOT/corpus/bbc/business"
done
check "the shards add up to the one index" [ "$(shard_sum "$T/sh" 3)" = "$total" ]
ids "$T/one" >"$T/ids.one"
for k in 0 1 2; do ids "$T/sh/shard-$k"; done | LC_ALL=C sort >"$T/ids.sh"
check "the union of the shards' ids is the one index's" cmp -s "$T/ids.one" "$T/ids.sh"
check "no id in two shards" [ -z "$(uniq -d "$T/ids.sh")" ]
check "Xapian opens the stub as one database of all" [ "$(doc_count "$T/sh/shards.stub")" = "$total" ]
quest -d "$T/sh/shards.stub" 'cocoa' >"$T/q.sh" 2>&1
quest -d "$T/one" 'cocoa' >"$T/q.one" 2>&1
# same_matches: both quest outputs report the same, non-zero, number of matches.
same_matches() {
    a=$(grep -a -m1 'matches' "$T/q.sh"); b=$(grep -a -m1 'matches' "$T/q.one")
    [ -n "$a" ] && [ "$a" = "$b" ] && ! contains "$T/q.sh" "Exactly 0 matches"
}
check "a query over the stub matches as many as over one index" same_matches
# shellcheck disable=SC2086
"$NI" --index "$T/sh1" --shards 3 --jobs 1 $SRC >"$T/out" 2>&1
for k in 0 1 2; do
    check "shard $k is the same with --jobs 1" [ "$(ids "$T/sh1/shard-$k")" = "$(ids "$T/sh/shard-$k")" ]
done
"$NI" --index "$T/sh" --progress-json --rebuild --shards 3 $SRC >"$T/pj" 2>/dev/null
check "--progress-json: the done line counts every shard" contains "$T/pj" "\"status\":\"ok\",\"docs\":$total,"

# ---- duplicate ids across files: the later record wins, in its shard ----
mkdir -p "$T/dup"
printf '{"id":"d-1","title":"first","body":"alpha"}\n{"id":"d-2","title":"two","body":"beta"}\n' >"$T/dup/a.jsonl"
printf '{"id":"d-1","title":"second","body":"gamma"}\n{"id":"d-3","title":"three","body":"delta"}\n' >"$T/dup/b.jsonl"
"$NI" --index "$T/dx" --shards 2 --jobs 2 "$T/dup" >"$T/out" 2>&1; rc=$?
check "duplicates: exit 0" [ "$rc" -eq 0 ]
check "duplicates: added=3" field_is "$T/out" added 3
check "duplicates: replaced=1" field_is "$T/out" replaced 1
check "duplicates: 3 documents in all" [ "$(shard_sum "$T/dx" 2)" = 3 ]
d1=$(echo d-1 | "$TOOL" of 2)
quest -d "$T/dx/shard-$d1" 'gamma' >"$T/q" 2>&1
check "duplicates: d-1 is the later record, in its shard" contains "$T/q" "Exactly 1 matches"
quest -d "$T/dx/shard-$d1" 'alpha' >"$T/q" 2>&1
check "duplicates: the earlier d-1 is gone" contains "$T/q" "Exactly 0 matches"

# ---- updates of a sharded folder route each record to its shard ----
mkdir -p "$T/news"
printf '{"id":"n-1","title":"Wheat","body":"wheat falls"}\n{"id":"n-2","title":"Corn","body":"corn rises"}\n{"id":"n-3","title":"Oil","body":"oil flat"}\n' >"$T/news/f1.jsonl"
printf '{"id":"n-4","title":"Gold","body":"gold up"}\n' >"$T/news/f2.jsonl"
"$NI" --index "$T/u" --shards 3 "$T/news" >"$T/out" 2>&1
"$NI" --index "$T/u" "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "no-change update: exit 0" [ "$rc" -eq 0 ]
check "no-change update: both files skipped" field_is "$T/out" files_skipped 2
check "no-change update: unchanged=4" field_is "$T/out" unchanged 4
i=5
while [ "$i" -le 40 ]; do
    printf '{"id":"n-%d","title":"Tin %d","body":"tin story %d"}\n' "$i" "$i" "$i" >>"$T/news/f1.jsonl"
    i=$((i + 1))
done
"$NI" --index "$T/u" "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "update: exit 0" [ "$rc" -eq 0 ]
check "update: added=36" field_is "$T/out" added 36
check "update: replaced=3" field_is "$T/out" replaced 3
check "update: f2 skipped" field_is "$T/out" files_skipped 1
check "update: docs=40" field_is "$T/out" docs 40
for k in 0 1 2; do
    check "update: shard $k holds only ids it owns" owned "$T/u/shard-$k" "$k" 3
    check "update: shard $k xapian-check clean" xapian-check "$T/u/shard-$k" >/dev/null 2>&1
done
"$NI" --index "$T/u" --force "$T/news" >"$T/out" 2>&1
check "--force: every record read again" field_is "$T/out" replaced 40
rm "$T/news/f2.jsonl"
"$NI" --index "$T/u" "$T/news" >"$T/out" 2>"$T/err"
check "gone file without --prune: reported once" contains "$T/err" "1 file recorded under the paths given no longer exists"
check "gone file without --prune: documents stay" [ "$(shard_sum "$T/u" 3)" = 40 ]
"$NI" --index "$T/u" --prune "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "--prune: exit 0" [ "$rc" -eq 0 ]
check "--prune: files_pruned=1 (counted once)" field_is "$T/out" files_pruned 1
check "--prune: deleted=1" field_is "$T/out" deleted 1
check "--prune: n-4 gone from its shard" [ "$(shard_sum "$T/u" 3)" = 39 ]

# ---- leftovers of a killed compaction of one shard are cleaned up by the next run ----
mkdir -p "$T/u/shard-1.new-999999999" "$T/u/shard-2.build-999999999"
"$NI" --index "$T/u" "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "run after a killed one: exit 0" [ "$rc" -eq 0 ]
check "run after a killed one: the shards' work folders are gone" \
    [ -z "$(ls -d "$T"/u/shard-*.* 2>/dev/null)" ]

# ---- a shard count that does not match the folder ----
"$NI" --index "$T/u" --shards 2 "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "update with another --shards: exit 2" [ "$rc" -eq 2 ]
check "update with another --shards: message" contains "$T/err" "has 3 shards, not 2; an update cannot move documents between shards: rebuild with --rebuild --shards 2"
"$NI" --index "$T/u" --shards 3 "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "update with the same --shards: exit 0" [ "$rc" -eq 0 ]
"$NI" --index "$T/one" --shards 3 "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "--shards 3 update of one index: exit 2" [ "$rc" -eq 2 ]
check "--shards 3 update of one index: message" contains "$T/err" "is one index, not 3 shards; an update cannot split it"
check "--shards 3 update of one index: untouched" [ "$(doc_count "$T/one")" = "$total" ]

# ---- rebuilds keep or change the layout ----
"$NI" --index "$T/u" --rebuild "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "rebuild without --shards: exit 0" [ "$rc" -eq 0 ]
check "rebuild without --shards: says it keeps 3" contains "$T/err" "has 3 shards: the rebuild makes as many"
check "rebuild without --shards: still 3 shards" test -f "$T/u/shards.stub" -a -d "$T/u/shard-2"
"$NI" --index "$T/u" --rebuild --shards 1 "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "--rebuild --shards 1: exit 0" [ "$rc" -eq 0 ]
check "--rebuild --shards 1: one plain index" test -f "$T/u/iamglass" -a ! -e "$T/u/shards.stub"
check "--rebuild --shards 1: all documents" [ "$(doc_count "$T/u")" = 39 ]
"$NI" --index "$T/u" --rebuild --shards 2 "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "one index rebuilt into 2 shards: exit 0" [ "$rc" -eq 0 ]
check "one index rebuilt into 2 shards: all documents" [ "$(shard_sum "$T/u" 2)" = 39 ]
check "one index rebuilt into 2 shards: shard 1 owns its ids" owned "$T/u/shard-1" 1 2

# ---- compaction of each shard ----
printf '{"id":"n-1","title":"Wheat","body":"wheat rallies"}\n' >"$T/news/f3.jsonl"
"$NI" --index "$T/u" "$T/news" >/dev/null 2>&1
"$NI" --index "$T/u" --compact >"$T/out" 2>"$T/err"; rc=$?
check "--compact of shards: exit 0" [ "$rc" -eq 0 ]
check "--compact of shards: summary" contains "$T/out" "newsindex: compacted $T/u bytes_before="
check "--compact of shards: documents kept" [ "$(shard_sum "$T/u" 2)" = 39 ]
check "--compact of shards: shard 0 clean" xapian-check "$T/u/shard-0" >/dev/null 2>&1
check "--compact of shards: shard 1 clean" xapian-check "$T/u/shard-1" >/dev/null 2>&1
check "--compact of shards: no work folders left" [ -z "$(ls -d "$T"/u/*.* 2>/dev/null | grep -v shards.stub)" ]

# ---- a stub newsindex did not write ----
printf 'glass shard-0\nremote 127.0.0.1:1\n' >"$T/u/shards.stub"
"$NI" --index "$T/u" "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "foreign stub: exit 1" [ "$rc" -eq 1 ]
check "foreign stub: names the line" contains "$T/err" "shards.stub:2: expected 'glass shard-1'"
"$NI" --index "$T/u" --compact >"$T/out" 2>"$T/err"; rc=$?
check "foreign stub: --compact refuses too" [ "$rc" -eq 1 ]
"$NI" --index "$T/u" --rebuild --shards 2 "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "foreign stub: --rebuild --shards: exit 0" [ "$rc" -eq 0 ]
check "foreign stub: --rebuild --shards replaces the folder" [ "$(shard_sum "$T/u" 2)" = 39 ]

finish
