#!/bin/sh
# End-to-end tests of newsindex's incremental runs on a small corpus copied to the scratch
# folder and edited between runs: unchanged reruns skip every file, touched and edited
# files are read again (records gone from a file are deleted), new files are added,
# --prune deletes vanished files' documents only under the roots given, --force,
# --compact, long paths, waiting for the write lock (held by a run blocked on a FIFO) and
# its timeout, kill -9 and SIGTERM in the middle of an update, --progress-json (every
# line parsed by jq), and an update of an index that a running newsd serves.
. "$(dirname "$0")/lib.sh"
NI=$BIN/newsindex
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# hits QUERY: how many documents of $T/idx match, as quest counts them.
hits() { quest -d "${IDX:-$T/idx}" -b id:Q "$1" 2>/dev/null | sed -n 's/^.*[Ee]xactly \([0-9]*\) matches.*$/\1/p'; }
hits_is() { [ "$(hits "$1")" = "$2" ]; }
run() { "$NI" --index "$T/idx" "$@" >"$T/out" 2>"$T/err"; RC=$?; }

# ---- usage errors ----
"$NI" --index "$T/x" --compact "$T" >"$T/out" 2>"$T/err"; rc=$?
check "--compact with a PATH: exit 2" [ "$rc" -eq 2 ]
check "--compact with a PATH: message" contains "$T/err" "--compact takes no PATH"
"$NI" --index "$T/x" --lock-timeout soon "$T" >"$T/out" 2>"$T/err"; rc=$?
check "bad --lock-timeout: exit 2" [ "$rc" -eq 2 ]
check "bad --lock-timeout: message" contains "$T/err" "--lock-timeout takes seconds from 0 to"
"$NI" --index "$T/x" --commit-every 0 "$T" >"$T/out" 2>"$T/err"; rc=$?
check "--commit-every 0: exit 2" [ "$rc" -eq 2 ]
"$NI" --index "$T/x" --rebuild --prune "$T" >"$T/out" 2>"$T/err"; rc=$?
check "--rebuild --prune: exit 2" [ "$rc" -eq 2 ]
"$NI" --index "$T/x" --compact >"$T/out" 2>"$T/err"; rc=$?
check "--compact of a missing index: exit 1" [ "$rc" -eq 1 ]
check "--compact of a missing index: message" contains "$T/err" "no index to compact"
check "no index created by these" [ ! -e "$T/x" ]

# ---- the corpus ----
mkdir -p "$T/news/world" "$T/news/sport" "$T/news2"
printf 'Ankara buys missiles\n\nThe purchase is a done deal, the minister said.\n' > "$T/news/world/001.txt"
printf 'Harbour reopens\n\nShips return to the harbour after the storm.\n' > "$T/news/world/002.txt"
printf 'Cup final tonight\n\nThe final kicks off at eight.\n' > "$T/news/sport/001.txt"
cat > "$T/news/feed.jsonl" <<'EOF'
{"id":"wire-1","title":"Wheat prices fall","body":"Wheat fell on the Chicago exchange."}
{"id":"wire-2","title":"Copper climbs","body":"Copper rose on strong demand."}
{"id":"wire-3","title":"Cocoa steady","body":"Cocoa was unchanged in London."}
EOF
printf '{"id":"other-1","title":"Tin","body":"Tin output grew."}\n' > "$T/news2/other.jsonl"

run "$T/news"
check "fresh build: exit 0" [ "$RC" -eq 0 ]
check "fresh build: added=6" field_is "$T/out" added 6
check "fresh build: files_indexed=4" field_is "$T/out" files_indexed 4
check "fresh build: 6 documents" [ "$(doc_count "$T/idx")" = 6 ]
check "fresh build: records the paths" grep -qaF "[\"$T/news\"]" "$T/idx/postlist.glass"

# ---- unchanged rerun: nothing read, nothing changed ----
run "$T/news"
check "rerun: exit 0" [ "$RC" -eq 0 ]
check "rerun: files_skipped=4" field_is "$T/out" files_skipped 4
check "rerun: files_indexed=0" field_is "$T/out" files_indexed 0
check "rerun: added=0" field_is "$T/out" added 0
check "rerun: replaced=0" field_is "$T/out" replaced 0
check "rerun: deleted=0" field_is "$T/out" deleted 0
check "rerun: unchanged=6" field_is "$T/out" unchanged 6
check "rerun: mb=0.00 (nothing read)" field_is "$T/out" mb 0.00
check "rerun: 6 documents" [ "$(doc_count "$T/idx")" = 6 ]
check "rerun: search still finds the phrase" hits_is '"done deal"' 1

# ---- touched, not changed: read again, documents replaced, nothing deleted ----
touch -d '2001-02-03 04:05:06' "$T/news/feed.jsonl"
run "$T/news"
check "touch: files_indexed=1" field_is "$T/out" files_indexed 1
check "touch: files_skipped=3" field_is "$T/out" files_skipped 3
check "touch: replaced=3" field_is "$T/out" replaced 3
check "touch: deleted=0" field_is "$T/out" deleted 0
check "touch: unchanged=3" field_is "$T/out" unchanged 3
check "touch: 6 documents" [ "$(doc_count "$T/idx")" = 6 ]
run "$T/news"
check "touch: the next rerun skips it" field_is "$T/out" files_skipped 4

# ---- edited: a record removed, one changed, one as it was ----
cat > "$T/news/feed.jsonl" <<'EOF'
{"id":"wire-1","title":"Wheat prices fall","body":"Wheat slumped on the Chicago exchange."}
{"id":"wire-3","title":"Cocoa steady","body":"Cocoa was unchanged in London."}
EOF
run "$T/news"
check "edit: exit 0" [ "$RC" -eq 0 ]
check "edit: files_indexed=1" field_is "$T/out" files_indexed 1
check "edit: replaced=2" field_is "$T/out" replaced 2
check "edit: deleted=1 (the record gone from the file)" field_is "$T/out" deleted 1
check "edit: added=0" field_is "$T/out" added 0
check "edit: 5 documents" [ "$(doc_count "$T/idx")" = 5 ]
check "edit: the removed record is gone" hits_is copper 0
check "edit: the new body is found" hits_is slumped 1
check "edit: the old body is gone" hits_is '"wheat fell"' 0

# ---- a new file ----
printf 'Bridge opens\n\nA new bridge spans the river.\n' > "$T/news/world/003.txt"
run "$T/news"
check "new file: files_indexed=1" field_is "$T/out" files_indexed 1
check "new file: added=1" field_is "$T/out" added 1
check "new file: files_skipped=4" field_is "$T/out" files_skipped 4
check "new file: searchable" hits_is bridge 1

# ---- a deleted file: kept without --prune, deleted with it ----
rm "$T/news/world/002.txt"
run "$T/news"
check "gone, no --prune: exit 0" [ "$RC" -eq 0 ]
check "gone, no --prune: files_pruned=0" field_is "$T/out" files_pruned 0
check "gone, no --prune: deleted=0" field_is "$T/out" deleted 0
check "gone, no --prune: documents kept" hits_is harbour 1
check "gone, no --prune: says so" contains "$T/err" "1 file recorded under the paths given no longer exists"
run --prune "$T/news"
check "--prune: exit 0" [ "$RC" -eq 0 ]
check "--prune: files_pruned=1" field_is "$T/out" files_pruned 1
check "--prune: deleted=1" field_is "$T/out" deleted 1
check "--prune: its document is gone" hits_is harbour 0
check "--prune: 5 documents" [ "$(doc_count "$T/idx")" = 5 ]
run --prune "$T/news"
check "--prune again: nothing left to prune" field_is "$T/out" files_pruned 0

# ---- prune scope: only under the roots given (news2 shares news's prefix) ----
run "$T/news2"
check "second root: added=1" field_is "$T/out" added 1
rm "$T/news2/other.jsonl"
printf '{"id":"other-2","title":"Zinc","body":"Zinc output fell."}\n' > "$T/news2/more.jsonl"
run --prune "$T/news"
check "prune of news leaves news2's records: files_pruned=0" field_is "$T/out" files_pruned 0
check "prune of news leaves news2's documents" hits_is tin 1
run --prune "$T/news2"
check "prune of news2: files_pruned=1" field_is "$T/out" files_pruned 1
check "prune of news2: its document is gone" hits_is tin 0
check "prune of news2: the news documents stay" hits_is bridge 1
# an update adds its paths to those recorded: a REINDEX without paths must not forget news
check "records every root updated so far" grep -qaF "[\"$T/news\",\"$T/news2\"]" "$T/idx/postlist.glass"

# ---- --force reads everything ----
run --force "$T/news"
check "--force: files_indexed=4" field_is "$T/out" files_indexed 4
check "--force: files_skipped=0" field_is "$T/out" files_skipped 0
check "--force: replaced=5" field_is "$T/out" replaced 5
check "--force: added=0" field_is "$T/out" added 0

# ---- long paths: the file term and the record key use a digest ----
L="$T/news/$(printf 'a%.0s' $(seq 90))/$(printf 'b%.0s' $(seq 90))"
mkdir -p "$L"
printf 'Long way down\n\nA story filed deep in the tree.\n' > "$L/deep.txt"
run "$T/news"
check "long path: added=1" field_is "$T/out" added 1
run "$T/news"
check "long path: skipped on the rerun" field_is "$T/out" files_skipped 5
rm "$L/deep.txt"
run --prune "$T/news"
check "long path: pruned" field_is "$T/out" files_pruned 1
check "long path: its document is gone" hits_is 'filed deep' 0

# ---- --compact ----
before=$(doc_count "$T/idx")
"$NI" --index "$T/idx" --compact >"$T/out" 2>"$T/err"; rc=$?
check "--compact: exit 0" [ "$rc" -eq 0 ]
check "--compact: reports the sizes" grep -q "^newsindex: compacted .* bytes_before=[0-9]* bytes_after=[0-9]*" "$T/out"
check "--compact: smaller" [ "$(sed -n 's/.*bytes_after=\([0-9]*\).*/\1/p' "$T/out")" -lt "$(sed -n 's/.*bytes_before=\([0-9]*\).*/\1/p' "$T/out")" ]
check "--compact: xapian-check clean" xapian-check "$T/idx" >/dev/null 2>&1
check "--compact: same documents" [ "$(doc_count "$T/idx")" = "$before" ]
check "--compact: no work folders left" [ -z "$(ls -d "$T"/idx.* 2>/dev/null)" ]
run "$T/news"
check "--compact keeps the file records" field_is "$T/out" files_skipped 4

# ---- the write lock: a run held before its input (NEWSINDEX_TEST_HOLD) keeps it ----
printf '{"id":"held-1","title":"Held","body":"Released at last."}\n' > "$T/hold.jsonl"
NEWSINDEX_TEST_HOLD=$T/hold.jsonl "$NI" --index "$T/idx" --verbose "$T/hold.jsonl" >"$T/hold.out" 2>"$T/hold.err" &
HOLDER=$!
PIDS="$PIDS $HOLDER"
check "the holder has the lock" wait_for 20 grep -qs "writing to" "$T/hold.err"
run --lock-timeout 1 "$T/news"
check "lock timeout: exit 3" [ "$RC" -eq 3 ]
check "lock timeout: says it waited" contains "$T/err" "waiting up to 1 s"
check "lock timeout: gives up clearly" contains "$T/err" "is still locked by another writer (a running newsd or newsindex) after 1 s; giving up"
check "lock timeout: summary says failed" contains "$T/out" "newsindex: failed "
"$NI" --index "$T/idx" "$T/news" >"$T/wait.out" 2>"$T/wait.err" &
WAITER=$!
PIDS="$PIDS $WAITER"
check "lock wait: the second run waits" wait_for 20 grep -qs "waiting up to 30 s" "$T/wait.err"
touch "$T/hold.jsonl.go"
wait "$HOLDER"; rc=$?
check "lock wait: the holder finished" [ "$rc" -eq 0 ]
wait "$WAITER"; rc=$?
check "lock wait: the waiter got the lock and finished" [ "$rc" -eq 0 ]
check "lock wait: the waiter's run is complete" field_is "$T/wait.out" files_skipped 4
check "lock wait: the holder's document is there" hits_is released 1
rm -f "$T/hold.jsonl" "$T/hold.jsonl.go"

# ---- kill -9 in the middle of an update; the rerun finishes the job ----
# The files are named one by one; NEWSINDEX_TEST_HOLD holds the run before a file.
mkdir -p "$T/k"
for f in a b c; do printf '{"id":"%s-1","title":"%s one","body":"first version"}\n{"id":"%s-2","title":"%s two","body":"first version"}\n' $f $f $f $f > "$T/k/$f.jsonl"; done
K="$T/k/a.jsonl $T/k/b.jsonl $T/k/c.jsonl"
IDX=$T/kidx
"$NI" --index "$T/kidx" $K >"$T/out" 2>"$T/err"
check "kill: built" field_is "$T/out" added 6
printf '{"id":"a-1","title":"a one","body":"second version"}\n' > "$T/k/a.jsonl"
printf '{"id":"b-1","title":"b one","body":"second version"}\n' > "$T/k/b.jsonl"
printf '{"id":"c-1","title":"c one","body":"second version"}\n' > "$T/k/c.jsonl"
NEWSINDEX_TEST_HOLD=$T/k/b.jsonl "$NI" --index "$T/kidx" --commit-every 1 $K >"$T/out" 2>"$T/err" &
pid=$!
PIDS="$PIDS $pid"
check "kill: a.jsonl committed before the run blocks on b" wait_for 20 hits_is '"second version"' 1
kill -9 "$pid"; wait "$pid" 2>/dev/null
check "kill: xapian-check clean" xapian-check "$T/kidx" >/dev/null 2>&1
check "kill: a's removed record is deleted" hits_is 'id:a-2' 0
check "kill: c is untouched" hits_is 'id:c-2' 1
rm "$T/k/b.jsonl"
printf '{"id":"b-1","title":"b one","body":"second version"}\n' > "$T/k/b.jsonl"
"$NI" --index "$T/kidx" $K >"$T/out" 2>"$T/err"; rc=$?
check "kill: rerun exit 0" [ "$rc" -eq 0 ]
check "kill: rerun skips the committed file" field_is "$T/out" files_skipped 1
check "kill: rerun reads the other two" field_is "$T/out" files_indexed 2
check "kill: rerun replaced=2" field_is "$T/out" replaced 2
check "kill: rerun deleted=2" field_is "$T/out" deleted 2
check "kill: 3 documents in the end" [ "$(doc_count "$T/kidx")" = 3 ]
check "kill: every file at its second version" hits_is '"second version"' 3

# ---- SIGTERM while blocked on input: what is done is committed, exit 1 ----
printf '{"id":"a-1","title":"a one","body":"third version"}\n' > "$T/k/a.jsonl"
printf '{"id":"c-1","title":"c one","body":"third version"}\n' > "$T/k/c.jsonl"
NEWSINDEX_TEST_HOLD=$T/k/c.jsonl "$NI" --index "$T/kidx" --commit-every 1 $K >"$T/out" 2>"$T/err" &
pid=$!
PIDS="$PIDS $pid"
check "SIGTERM: a.jsonl committed before the run blocks on c" wait_for 20 hits_is '"third version"' 1
kill -TERM "$pid"; wait "$pid"; rc=$?
check "SIGTERM: exit 1" [ "$rc" -eq 1 ]
check "SIGTERM: says interrupted" contains "$T/err" "interrupted"
check "SIGTERM: xapian-check clean" xapian-check "$T/kidx" >/dev/null 2>&1
rm "$T/k/c.jsonl"
printf '{"id":"c-1","title":"c one","body":"third version"}\n' > "$T/k/c.jsonl"
"$NI" --index "$T/kidx" $K >"$T/out" 2>"$T/err"; rc=$?
check "SIGTERM: rerun exit 0" [ "$rc" -eq 0 ]
check "SIGTERM: rerun reads only c" field_is "$T/out" files_indexed 1
check "SIGTERM: both at their third version" hits_is '"third version"' 2
IDX=

# ---- --progress-json: one JSON object per line on stdout, the last one "done" ----
"$NI" --index "$T/pj" --rebuild --progress-json "$T/news" >"$T/pj.out" 2>"$T/pj.err"; rc=$?
check "--progress-json: exit 0" [ "$rc" -eq 0 ]
check "--progress-json: every line is a JSON object" jq -e -s 'length > 1 and all(type == "object")' "$T/pj.out" >/dev/null
check "--progress-json: phases scan, index, merge in order" [ "$(jq -r 'select(.phase != "done") | .phase' "$T/pj.out" | uniq | tr '\n' ' ')" = "scan index merge " ]
check "--progress-json: progress fields" jq -e -s '.[0] | has("docs") and has("bytes") and has("total_bytes") and has("elapsed_s") and has("mb_per_s") and has("eta_s")' "$T/pj.out" >/dev/null
check "--progress-json: final line ok" jq -e -s 'last | .phase == "done" and .status == "ok" and .docs == 5 and .added == 5 and .index_bytes > 0 and .message == ""' "$T/pj.out" >/dev/null
check "--progress-json: the summary goes to stderr" field_is "$T/pj.err" added 5
"$NI" --index "$T/pj" --progress-json "$T/news" >"$T/pj.out" 2>"$T/pj.err"; rc=$?
check "--progress-json update: final line counts skipped files" jq -e -s 'last | .status == "ok" and .skipped_files == 4 and .unchanged == 5 and .added == 0' "$T/pj.out" >/dev/null
"$NI" --index "$T/pj" --progress-json "$T/nothing-here" >"$T/pj.out" 2>"$T/pj.err"; rc=$?
check "--progress-json failure: exit 1" [ "$rc" -eq 1 ]
check "--progress-json failure: final line is an error with the message" jq -e -s 'last | .status == "error" and (.message | test("no files to index"))' "$T/pj.out" >/dev/null

# ---- an update of an index that newsd serves, with a live ADD ----
NC=$T/nclient
${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
mkdir -p "$T/live"
printf '{"id":"live-1","title":"Barley","body":"Barley harvest begins."}\n' > "$T/live/seed.jsonl"
"$NI" --index "$T/lidx" "$T/live" >"$T/out" 2>"$T/err"
# (the Unix socket: newsd takes writes over TCP only after AUTH)
"$BIN/newsd" --index "$T/lidx" --listen "unix:$T/live.sock" --workers 1 2>"$T/newsd.log" &
ND=$!
PIDS="$PIDS $ND"
check "newsd started" wait_for "${START_DEADLINE:-60}" grep -qs '^newsd: ready' "$T/newsd.log"
ADDR=unix:$T/live.sock
count() { printf 'COUNT %s\n' "$1" | "$NC" "$ADDR" | sed -n 's/^OK count=\([0-9]*\).*/\1/p'; }
count_is() { [ "$(count "$1")" = "$2" ]; }
printf 'ADD {"id":"added-1","title":"Sorghum","body":"Sorghum added live."}\n' | "$NC" "$ADDR" >"$T/add.out"
check "live ADD accepted" grep -q '^OK id=added-1' "$T/add.out"
printf '{"id":"live-2","title":"Millet","body":"Millet prices climb."}\n' > "$T/live/more.jsonl"
# newsd keeps the lock for a moment after its commit: newsindex waits for it
"$NI" --index "$T/lidx" "$T/live" >"$T/out" 2>"$T/err"; rc=$?
check "update under newsd: exit 0" [ "$rc" -eq 0 ]
check "update under newsd: added=1" field_is "$T/out" added 1
check "newsd sees the new document without a restart" wait_for 10 count_is millet 1
check "newsd keeps the ADDed document" count_is sorghum 1
check "newsd still has the old one" count_is barley 1
kill -TERM "$ND"; wait "$ND"

finish
