#!/bin/sh
# bench/incremental.sh: a full rebuild of the input against a no-change incremental
# rerun of bin/newsindex, from the issue's target: "A no-change incremental rerun over
# the whole shipped corpus takes under 5% of the time of a full rebuild."
#
# The two kinds of run are interleaved, one of each per round, the first one alternating
# between rounds (a rerun needs an index, so round 1 starts with the rebuild); wall time
# is measured around the whole program.  Figures are medians over rounds, and the ratio
# is the median of the per-round ratios.  A rerun that read any file is a failure, not a
# figure.  Prints a Markdown section on stdout (bench/run.sh puts it in the results).
#
# Environment (shared with bench/run.sh where the names match):
#   BENCH_QUICK=1          the three Reuters files of the quick set instead of corpus/
#   BENCH_PATHS="P ..."    index these paths instead
#   BENCH_INCR_ROUNDS=N    rounds (default 3; 1 when quick)
#   BENCH_NEWSINDEX=P      the newsindex binary (default bin/newsindex)
#   BENCH_JOBS=N           pass --jobs N to the rebuilds
# Lists of paths and flags are split on purpose.
# shellcheck disable=SC2086
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
WORK=$ROOT/bench/work/incremental
# median(), for the awk programs that build the tables
MEDIAN_AWK=$(cat "$ROOT/bench/median.awk")
NEWSINDEX=${BENCH_NEWSINDEX:-bin/newsindex}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    PATHS=${BENCH_PATHS:-"corpus/reuters21578/reut2-000.sgm.gz corpus/reuters21578/reut2-001.sgm.gz corpus/reuters21578/reut2-002.sgm.gz"}
    ROUNDS=${BENCH_INCR_ROUNDS:-1}
else
    PATHS=${BENCH_PATHS:-corpus}
    ROUNDS=${BENCH_INCR_ROUNDS:-3}
fi
# The target from the issue: rerun time / rebuild time below this share.
TARGET=0.05

now() { date +%s.%N; }
die() { echo "bench/incremental: $*" >&2; exit 1; }

[ -x "$NEWSINDEX" ] || die "$NEWSINDEX is not built (make)"
rm -rf "$WORK"
mkdir -p "$WORK" || die "cannot create $WORK"
IDX=$WORK/idx
RESULTS=$WORK/results.txt
: > "$RESULTS"

# time_run KIND ROUND: one timed run, appended to $RESULTS as "round kind status seconds".
time_run() {
    kind=$1
    case $kind in
    rebuild) flags="--rebuild ${BENCH_JOBS:+--jobs $BENCH_JOBS}" ;;
    rerun) flags="" ;;
    esac
    t0=$(now)
    "$NEWSINDEX" --index "$IDX" --no-progress $flags $PATHS > "$WORK/$kind.out" 2> "$WORK/$kind.err"
    rc=$?
    t1=$(now)
    status=ok
    [ "$rc" -eq 0 ] || status=failed
    if [ "$kind" = rerun ] && ! grep -q ' files_indexed=0 ' "$WORK/$kind.out"; then
        status=failed    # a no-change rerun must read nothing
    fi
    echo "$2 $kind $status $(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')" >> "$RESULTS"
}

round=1
while [ "$round" -le "$ROUNDS" ]; do
    if [ $((round % 2)) -eq 1 ]; then
        time_run rebuild "$round"; time_run rerun "$round"
    else
        time_run rerun "$round"; time_run rebuild "$round"
    fi
    round=$((round + 1))
done
files=$(sed -n 's/.* files=\([0-9]*\) .*/\1/p' "$WORK/rebuild.out" | tail -n 1)
docs=$(sed -n 's/.* docs=\([0-9]*\) .*/\1/p' "$WORK/rebuild.out" | tail -n 1)

echo "## Incremental rerun vs full rebuild"
echo
echo "Input: \`$PATHS\` ($files files, $docs documents); $ROUNDS round(s), the two runs"
echo "interleaved and the first alternating; wall time around the whole program."
echo "Command: \`sh bench/incremental.sh\`."
echo
awk -v target="$TARGET" -v newsindex="$NEWSINDEX" "$MEDIAN_AWK"'
{
    if ($3 != "ok") { failed[$2]++; next }
    t[$1, $2] = $4; times[$2] = times[$2] " " $4; rounds[$1] = 1
}
END {
    print "| run | wall s (median) | rounds (s) |"
    print "|---|---|---|"
    label["rebuild"] = "full rebuild: `" newsindex " --index DIR --rebuild PATH...`"
    label["rerun"] = "no-change rerun: `" newsindex " --index DIR PATH...`"
    for (k = 1; k <= 2; k++) {
        s = k == 1 ? "rebuild" : "rerun"
        if (times[s] == "") printf "| %s | failed (%d runs; see bench/work/incremental) | |\n", label[s], failed[s]
        else printf "| %s | %.3f | %s |\n", label[s], median(times[s]), substr(times[s], 2)
    }
    ratio = ""
    for (r in rounds)
        if ((r, "rebuild") in t && (r, "rerun") in t && t[r, "rebuild"] > 0)
            ratio = ratio " " t[r, "rerun"] / t[r, "rebuild"]
    print ""
    if (ratio == "" || failed["rerun"] || failed["rebuild"]) {
        print "Target: rerun < 5% of a rebuild: not measured (a run failed)."
    } else {
        v = median(ratio)
        printf "Rerun / rebuild (median of per-round ratios): %.2f%%. Target < %.0f%%: %s.\n", v * 100, target * 100, v < target ? "met" : "not met"
    }
}' "$RESULTS"
rm -rf "$IDX"
