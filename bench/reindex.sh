#!/bin/sh
# bench/reindex.sh: query latency while newsd rebuilds its index (REINDEX), against the
# same load on the same daemon when nothing is rebuilt; one invocation, interleaved.
#
# The daemon serves an index of the shipped corpus.  Each round runs, in an order that
# alternates round by round:
#   - "during": `newsq reindex corpus` (the whole rebuild, child newsindex at the
#     daemon's niceness NEWSD_REINDEX_NICE) while bench/loadgen.c sends SEARCHes (top 10
#     with snippets) on C connections, from the start of the rebuild to its end;
#   - "quiet": the same load for as long as that rebuild took, with no rebuild.
# Each load is closed-loop (one request at a time per connection) and every reply is
# checked.  Reported: p50/p99 of each, the p99 ratio (during / quiet, the median of the
# per-round ratios) against the issue's target (at most 3x), and the rebuild's wall time
# under load against an offline `newsindex --rebuild` of the same corpus (timed in the
# same rounds, no load).
#
# Prints a Markdown section on stdout.  Environment: BENCH_REINDEX_ROUNDS (default 3),
# BENCH_REINDEX_CONNS (default "1 8"), BENCH_REINDEX_PATHS (default corpus).
# Run alone as `sh bench/reindex.sh`; bench/run.sh includes its section.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
WORK=$ROOT/bench/work/reindex
ROUNDS=${BENCH_REINDEX_ROUNDS:-3}
CONNS=${BENCH_REINDEX_CONNS:-1 8}
PATHS=${BENCH_REINDEX_PATHS:-$ROOT/corpus}
QUERIES=$ROOT/bench/queries.txt
TARGET=3

die() { echo "bench/reindex.sh: $*" >&2; exit 1; }

for b in newsd newsindex newsq; do
    [ -x "bin/$b" ] || die "bin/$b is missing: run make first"
done
# Sanitizer builds are not timed.
if ldd bin/newsd bin/newsindex 2> /dev/null | grep -q 'libasan'; then
    die "bin/ holds a sanitizer build (make test SANITIZE=1 left it): run make first"
fi
rm -rf "$WORK"
mkdir -p "$WORK" || die "cannot create $WORK"
LOADGEN=$WORK/loadgen
${CC:-cc} -O2 -D_GNU_SOURCE -Iinclude -Ibench -o "$LOADGEN" bench/loadgen.c bench/querylog.c bench/sphinxql.c \
    $(pkg-config --cflags --libs jansson) -lpthread -lm || die "cannot build loadgen"

IDX=$WORK/idx
bin/newsindex --index "$IDX" $PATHS > "$WORK/build.log" 2>&1 || die "cannot index $PATHS"
docs=$(sed -n 's/.* docs=\([0-9]*\).*/\1/p' "$WORK/build.log" | tail -n 1)
SOCK=$WORK/newsd.sock
bin/newsd --index "$IDX" --listen "unix:$SOCK" 2> "$WORK/newsd.log" &
NEWSD=$!
trap 'kill $NEWSD 2>/dev/null; wait $NEWSD 2>/dev/null' EXIT
i=0
until grep -q '^newsd: ready' "$WORK/newsd.log"; do
    i=$((i + 1)); [ "$i" -lt 200 ] || die "newsd did not start"; sleep 0.05
done
ADDR=unix:$SOCK

now() { date +%s.%N; }
# since T0: seconds elapsed
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# load C SECONDS|-: loadgen on C connections until SECONDS pass or (-) the stop file appears.
load_start() {
    rm -f "$WORK/stop"
    "$LOADGEN" -a "$ADDR" -q "$QUERIES" -s 1 -c "$1" -n 100000000 -u "$WORK/stop" \
        -L "$2" > "$WORK/load.out" 2> "$WORK/load.err" &
    LOAD=$!
}
# (not in a subshell: it waits for its own child)
load_stop() {
    touch "$WORK/stop"
    wait "$LOAD" || die "loadgen reported errors: $(cat "$WORK/load.out" "$WORK/load.err")"
    FIGS=$(sed -n 's/^loadgen: mode=.* p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).* qps=\([0-9.]*\).*/\1 \2 \3/p' "$WORK/load.out")
}

: > "$WORK/results"
round=1
while [ "$round" -le "$ROUNDS" ]; do
    for c in $CONNS; do
        # the offline rebuild, no load: what the rebuild costs by itself
        t0=$(now)
        bin/newsindex --index "$WORK/offline" --rebuild $PATHS > "$WORK/offline.log" 2>&1 ||
            die "offline rebuild failed"
        offline=$(since "$t0")
        rm -rf "$WORK/offline"
        order="during quiet"
        [ $((round % 2)) -eq 0 ] && order="quiet during"
        dur=""
        for phase in $order; do
            if [ "$phase" = during ]; then
                load_start "$c" during
                t0=$(now)
                bin/newsq -a "$ADDR" reindex $PATHS > "$WORK/reindex.out" 2>&1 ||
                    die "newsq reindex failed: $(cat "$WORK/reindex.out")"
                dur=$(since "$t0")
                load_stop
                set -- $FIGS
                echo "$round $c during $1 $2 $3 $dur $offline" >> "$WORK/results"
            else
                # as long as the last rebuild took (the first quiet phase of a round that
                # starts quiet uses the offline build's time, scaled as rebuilds under load are)
                secs=${dur:-$(awk -v o="$offline" 'BEGIN { print o * 2 }')}
                load_start "$c" quiet
                sleep "$secs"
                load_stop
                set -- $FIGS
                echo "$round $c quiet $1 $2 $3 $secs $offline" >> "$WORK/results"
            fi
        done
    done
    round=$((round + 1))
done
docs_after=$(bin/newsq -a "$ADDR" stats | sed -n 's/^documents *//p')

# ---- report ----
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "## Queries during a rebuild (REINDEX)"
echo
echo "Command: \`sh bench/reindex.sh\` (or \`make bench\`): newsd serves an index of \`${PATHS#"$ROOT"/}\` ($docs documents);"
echo "\`newsq reindex\` rebuilds it $ROUNDS times per load level while bench/loadgen.c sends \`SEARCH\` (top 10, snippets)"
echo "on C connections over the Unix socket; the same load runs as long again with no rebuild (\"quiet\"),"
echo "the two phases alternating in order. Figures are medians over rounds; the ratio is the median of the"
echo "per-round p99 ratios. Every reply was checked (loadgen exits non-zero on any error); the index held"
echo "$docs_after documents at the end."
echo
echo "| connections | quiet p50 / p99 (µs) | during p50 / p99 (µs) | p99 during / quiet | target ≤ ${TARGET}× | q/s quiet / during | rebuild under load / offline rebuild (s) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for c in $CONNS; do
    qp50=$(awk -v c="$c" '$2 == c && $3 == "quiet" { print $4 }' "$WORK/results" | median)
    qp99=$(awk -v c="$c" '$2 == c && $3 == "quiet" { print $5 }' "$WORK/results" | median)
    dp50=$(awk -v c="$c" '$2 == c && $3 == "during" { print $4 }' "$WORK/results" | median)
    dp99=$(awk -v c="$c" '$2 == c && $3 == "during" { print $5 }' "$WORK/results" | median)
    qq=$(awk -v c="$c" '$2 == c && $3 == "quiet" { print $6 }' "$WORK/results" | median)
    dq=$(awk -v c="$c" '$2 == c && $3 == "during" { print $6 }' "$WORK/results" | median)
    ratio=$(awk -v c="$c" '$2 == c { p99[$1 " " $3] = $5 } END { for (k in p99) { split(k, a, " "); if (a[2] == "during" && p99[a[1] " quiet"] > 0) print p99[k] / p99[a[1] " quiet"] } }' "$WORK/results" | median)
    dur=$(awk -v c="$c" '$2 == c && $3 == "during" { print $7 }' "$WORK/results" | median)
    off=$(awk -v c="$c" '$2 == c && $3 == "during" { print $8 }' "$WORK/results" | median)
    met=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r <= t) ? "met" : "not met" }')
    printf '| %s | %.0f / %.0f | %.0f / %.0f | %.2f× | %s | %.0f / %.0f | %.1f / %.1f |\n' \
        "$c" "$qp50" "$qp99" "$dp50" "$dp99" "$ratio" "$met" "$qq" "$dq" "$dur" "$off"
done
