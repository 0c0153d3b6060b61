#!/bin/sh
# Crash safety (tests/README.md): nothing acknowledged is lost and the index stays
# valid whatever point a process is killed at.
#  - newsd: CRASH_CYCLES (20) cycles of: start the daemon, check that every ADD acknowledged
#    in any earlier cycle is there (GET), stream pipelined ADDs (tests/tools/stress.c
#    records each acknowledged id before it reads the next reply), SIGKILL the daemon at a
#    random point (after a random number of acknowledgements, or after a random delay),
#    xapian-check the index.
#  - newsindex: SIGKILL at random points of a fresh build, of an in-place update and of a
#    --rebuild of part of corpus/ (test_newsindex.sh kills one rebuild at a fixed point);
#    the index is clean and searchable with an unchanged (or complete) document count, and
#    a rerun completes.
# The random points come from CRASH_SEED (printed; set it to replay a run).
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NI=$BIN/newsindex
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

STRESS=$ROOT/${BUILD:-build/rel}/tools/stress
if [ ! -x "$STRESS" ]; then     # run by hand, outside make test
    STRESS=$T/stress
    ${CC:-cc} -O2 -D_GNU_SOURCE -I"$ROOT/include" -o "$STRESS" "$ROOT/tests/tools/stress.c" "$ROOT/tests/tools/stress_load.c"
fi
check "the stress client is there" [ -x "$STRESS" ]

CYCLES=${CRASH_CYCLES:-20}
SEED=${CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "crash: seed=$SEED cycles=$CYCLES (rerun with CRASH_SEED=$SEED)"
R_I=0
# rnd N: sets RND to the next pseudo-random number in 0..N-1 of this seed (not in a
# subshell, so that the sequence advances).
rnd() {
    R_I=$((R_I + 1))
    RND=$(awk -v s="$SEED" -v i="$R_I" -v n="$1" 'BEGIN { srand(s * 1000 + i); print int(rand() * n) }')
}
# one_of VALUE A B: VALUE is A or B.
one_of() { [ "$1" = "$2" ] || [ "$1" = "$3" ]; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

W=$T/d.sock
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
at_least() { [ "$(lines "$1")" -ge "$2" ]; }

# ---- newsd: stream ADDs, kill -9 at a random point, restart, nothing acknowledged lost ----
"$NI" --index "$T/idx" "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "fixture index built" contains "$T/out" "docs=6"
BASE=6
: >"$T/acked"
SENT=0
cyc=1
ok_cycles=0
while [ "$cyc" -le "$CYCLES" ]; do
    # writes go through the Unix socket: newsd takes them over TCP only after AUTH
    start "d$cyc" --index "$T/idx" --listen "unix:$W" --workers 2 || break
    # everything acknowledged before any earlier kill is there
    if "$STRESS" gets "unix:$W" "$T/acked" >"$T/gets" 2>"$T/gets.err"; then got_all=1; else got_all=0; cat "$T/gets" "$T/gets.err" >&2; fi
    check "cycle $cyc: every earlier acknowledged ADD is there ($(lines "$T/acked") ids)" [ "$got_all" -eq 1 ]
    "$STRESS" -t 120 adds "unix:$W" "c$cyc" 1000000 "$T/acks.$cyc" >"$T/adds.$cyc" 2>"$T/adds.$cyc.err" &
    SPID=$!
    PIDS="$PIDS $SPID"
    wait_for 20 grep -qs "adds connected" "$T/adds.$cyc" || echo "cycle $cyc: the ADD stream did not connect" >&2
    if [ $((cyc % 2)) -eq 1 ]; then
        # after a random number of acknowledgements: the next commit is usually under way
        rnd 300; k=$((RND + 1))
        how="after $k acks"
        wait_for 60 at_least "$T/acks.$cyc" "$k" || echo "cycle $cyc: fewer than $k acks" >&2
    else
        # after a random delay from the connect: any point, the first commit included
        rnd 800; ms=$RND
        how="after ${ms} ms"
        sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    fi
    kill -9 "$PID"
    wait "$PID" 2>/dev/null
    wait "$SPID"; src=$?
    n=$(lines "$T/acks.$cyc")
    s=$(sed -n 's/.* sent=\([0-9]*\) .*/\1/p' "$T/adds.$cyc")
    SENT=$((SENT + ${s:-0}))
    check "cycle $cyc: the ADD stream was cut by the kill, not by an error (exit $src)" [ "$src" -eq 4 ]
    cat "$T/acks.$cyc" >>"$T/acked"
    echo "cycle $cyc: killed $how; acknowledged $n of ${s:-?} sent"
    xapian-check "$T/idx" >"$T/xc" 2>&1; xrc=$?
    check "cycle $cyc: xapian-check clean after kill -9" [ "$xrc" -eq 0 ]
    [ "$xrc" -eq 0 ] || cat "$T/xc" >&2
    [ "$got_all" -eq 1 ] && [ "$src" -eq 4 ] && [ "$xrc" -eq 0 ] && ok_cycles=$((ok_cycles + 1))
    cyc=$((cyc + 1))
done
start final --index "$T/idx" --listen "unix:$W" --workers 2
"$STRESS" gets "unix:$W" "$T/acked" >"$T/gets" 2>"$T/gets.err"; rc=$?
check "after the last kill: all $(lines "$T/acked") acknowledged ADDs are there" [ "$rc" -eq 0 ]
kill -TERM "$PID"; wait "$PID"
ACKED=$(lines "$T/acked")
DOCS=$(doc_count "$T/idx")
check "documents: at least every acknowledged one ($DOCS >= $BASE + $ACKED)" [ "$DOCS" -ge $((BASE + ACKED)) ]
check "documents: no more than were sent ($DOCS <= $BASE + $SENT)" [ "$DOCS" -le $((BASE + SENT)) ]
check "the killed cycles left some acknowledged ADDs to check" [ "$ACKED" -gt 0 ]
echo "crash: newsd cycles=$ok_cycles/$CYCLES survived, acknowledged=$ACKED sent=$SENT documents=$DOCS (base $BASE)"

# ---- newsindex killed at random points ----
# Input: two Reuters files (2,000 records) for builds, two more (2,000) for the update.
mkdir "$T/in" "$T/more"
cp "$ROOT/corpus/reuters21578/reut2-000.sgm.gz" "$ROOT/corpus/reuters21578/reut2-001.sgm.gz" "$T/in/"
cp "$ROOT/corpus/reuters21578/reut2-002.sgm.gz" "$ROOT/corpus/reuters21578/reut2-003.sgm.gz" "$T/more/"
t0=$(now_ms)
"$NI" --index "$T/ref" --jobs 1 "$T/in" >"$T/out" 2>&1
BUILD_MS=$(( $(now_ms) - t0 ))
check "reference build: 2000 documents" [ "$(doc_count "$T/ref")" = 2000 ]
t0=$(now_ms)
cp -r "$T/ref" "$T/upd"
"$NI" --index "$T/upd" "$T/more" >"$T/out" 2>&1
UPDATE_MS=$(( $(now_ms) - t0 ))
check "reference update: 4000 documents" [ "$(doc_count "$T/upd")" = 4000 ]
rm -rf "$T/upd"
echo "crash: reference build ${BUILD_MS} ms, update ${UPDATE_MS} ms"
# searchable DIR: quest finds the Reuters cocoa stories (any count above 0).
searchable() { quest -d "$1" 'cocoa' 2>/dev/null | grep -Eq '^(Exactly|About|Between) [1-9]'; }
# has_id DIR ID
has_id() { xapian-delve -t "Q$2" "$1" 2>/dev/null | grep -q '^Posting List'; }
no_leftovers() { [ -z "$(ls -d "$1".* 2>/dev/null)" ]; }

# kill_run KIND DIR DURATION_MS ARGS...: runs newsindex ARGS, SIGKILLs it at a random point
# within the run's expected duration; sets KILLED=1 when it was killed before it finished.
kill_run() {
    kind=$1; dir=$2; dur=$3; shift 3
    "$NI" "$@" >"$T/kout" 2>"$T/kerr" &
    kp=$!
    PIDS="$PIDS $kp"
    rnd $((dur * 8 / 10 + 1)); ms=$((RND + dur / 20))
    sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -9 "$kp" 2>/dev/null
    wait "$kp"; krc=$?
    if [ "$krc" -eq 137 ]; then KILLED=1; else KILLED=0; fi
    echo "crash: newsindex $kind killed after ${ms} ms: $([ "$KILLED" -eq 1 ] && echo interrupted || echo "had finished (exit $krc)")"
}

# A fresh build (DIR absent): killed, DIR is absent or complete; the rerun completes.
n=0; hit=0
while [ "$n" -lt 3 ] || { [ "$hit" -eq 0 ] && [ "$n" -lt 6 ]; }; do
    n=$((n + 1))
    rm -rf "$T/fresh"
    kill_run "fresh build $n" "$T/fresh" "$BUILD_MS" --index "$T/fresh" --jobs 1 "$T/in"
    hit=$((hit + KILLED))
    if [ -d "$T/fresh" ]; then
        check "fresh build $n killed: the index that exists is complete" [ "$(doc_count "$T/fresh")" = 2000 ]
        check "fresh build $n killed: xapian-check clean" xapian-check "$T/fresh" >/dev/null 2>&1
    else
        check "fresh build $n killed: no index, no half-built one under its name" [ ! -e "$T/fresh" ]
    fi
    "$NI" --index "$T/fresh" --jobs 1 "$T/in" >"$T/out" 2>"$T/err"; rc=$?
    check "fresh build $n: the rerun completes" [ "$rc" -eq 0 ]
    check "fresh build $n: rerun has 2000 documents" [ "$(doc_count "$T/fresh")" = 2000 ]
    check "fresh build $n: rerun removed the killed run's work folders" no_leftovers "$T/fresh"
done
check "fresh build: at least one kill landed mid-run ($hit of $n)" [ "$hit" -ge 1 ]

# An in-place update: killed, the index holds the old documents (one commit at the end,
# under NEWSD_UPDATE_COMMIT_EVERY) or all of them, is clean and searchable; the rerun
# completes.
n=0; hit=0
while [ "$n" -lt 3 ] || { [ "$hit" -eq 0 ] && [ "$n" -lt 6 ]; }; do
    n=$((n + 1))
    rm -rf "$T/upd"; cp -r "$T/ref" "$T/upd"
    kill_run "update $n" "$T/upd" "$UPDATE_MS" --index "$T/upd" "$T/more"
    hit=$((hit + KILLED))
    c=$(doc_count "$T/upd")
    check "update $n killed: documents all old or all new ($c)" one_of "$c" 2000 4000
    check "update $n killed: xapian-check clean" xapian-check "$T/upd" >/dev/null 2>&1
    check "update $n killed: searchable" searchable "$T/upd"
    "$NI" --index "$T/upd" "$T/more" >"$T/out" 2>"$T/err"; rc=$?
    check "update $n: the rerun completes" [ "$rc" -eq 0 ]
    check "update $n: rerun has 4000 documents" [ "$(doc_count "$T/upd")" = 4000 ]
done
check "update: at least one kill landed mid-run ($hit of $n)" [ "$hit" -ge 1 ]

# A --rebuild over an existing index: killed, the live index is untouched.
rm -rf "$T/live"; cp -r "$T/ref" "$T/live"
n=0; hit=0
while [ "$n" -lt 3 ] || { [ "$hit" -eq 0 ] && [ "$n" -lt 6 ]; }; do
    n=$((n + 1))
    kill_run "rebuild $n" "$T/live" "$BUILD_MS" --index "$T/live" --rebuild --jobs 1 "$T/more"
    hit=$((hit + KILLED))
    # the old input holds reuters-1..2000, the new reuters-2001..4000
    if has_id "$T/live" reuters-1 && ! has_id "$T/live" reuters-2001; then state=old
    elif has_id "$T/live" reuters-2001 && ! has_id "$T/live" reuters-1; then state=new
    else state=mixed; fi
    check "rebuild $n killed: live index is the old one or the new one whole ($state)" [ "$state" != mixed ]
    check "rebuild $n killed: 2000 documents" [ "$(doc_count "$T/live")" = 2000 ]
    check "rebuild $n killed: xapian-check clean" xapian-check "$T/live" >/dev/null 2>&1
    check "rebuild $n killed: searchable" searchable "$T/live"
    rm -rf "$T/live"; cp -r "$T/ref" "$T/live"
done
check "rebuild: at least one kill landed mid-run ($hit of $n)" [ "$hit" -ge 1 ]
"$NI" --index "$T/live" --rebuild --jobs 1 "$T/more" >"$T/out" 2>"$T/err"; rc=$?
check "rebuild: a run after the kills completes" [ "$rc" -eq 0 ]
check "rebuild: 2000 documents of the new input" [ "$(doc_count "$T/live")" = 2000 ]

finish
