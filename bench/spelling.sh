#!/bin/sh
# bench/spelling.sh: what the spelling dictionary (issue 18: Xapian's spelling table,
# filled by every local writer) costs a fresh build: newsindex of a commit before it
# against newsindex with it, the same corpus, interleaved rounds, the starting binary
# alternating.  Reported: median wall seconds, median CPU seconds (user + system: the
# machine is shared, so CPU time is the steadier figure), the index size (du -sb) and
# the spelling table's share of it, each with the ratio with / without.
#
#   sh bench/spelling.sh OLD_NEWSINDEX [NEW_NEWSINDEX]   (NEW default: bin/newsindex)
# Environment: BENCH_SPELLING_ROUNDS (default 5), BENCH_SPELLING_JOBS (default: as
# newsindex), BENCH_SPELLING_PATHS (default corpus).  Prints a Markdown section.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
OLD=${1:?usage: sh bench/spelling.sh OLD_NEWSINDEX [NEW_NEWSINDEX]}
NEW=${2:-$ROOT/bin/newsindex}
ROUNDS=${BENCH_SPELLING_ROUNDS:-5}
JOBS=${BENCH_SPELLING_JOBS:-}
PATHS=${BENCH_SPELLING_PATHS:-$ROOT/corpus}
WORK=$ROOT/bench/work/spelling
MEDIAN_AWK=$(cat "$ROOT/bench/median.awk")
rm -rf "$WORK"
mkdir -p "$WORK"

# build NAME BINARY: one fresh build; appends "wall cpu" to $WORK/NAME.times
build() {
    rm -rf "$WORK/$1.idx"
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %U %S' -o "$WORK/t" "$2" --index "$WORK/$1.idx" ${JOBS:+--jobs $JOBS} $PATHS \
        >/dev/null 2>"$WORK/$1.log" || { cat "$WORK/$1.log" >&2; exit 1; }
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$WORK/t" >>"$WORK/$1.times"
}
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    if [ $((i % 2)) -eq 0 ]; then build old "$OLD"; build new "$NEW"; else build new "$NEW"; build old "$OLD"; fi
    i=$((i + 1))
done
med() { awk "$MEDIAN_AWK"' { s = s " " $'"$2"' } END { print median(s) }' "$WORK/$1.times"; }
size() { du -sb "$WORK/$1.idx" | cut -f1; }
spell=$(stat -c %s "$WORK/new.idx/spelling.glass" 2>/dev/null || echo 0)
ow=$(med old 1); nw=$(med new 1); oc=$(med old 2); nc=$(med new 2)
os=$(size old); ns=$(size new)
echo "## The spelling dictionary's cost to a fresh build"
echo
echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- Machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "- Command: \`sh bench/spelling.sh $OLD${2:+ $2}\`, $ROUNDS rounds, paths $PATHS${JOBS:+, --jobs $JOBS}"
echo
echo "| newsindex | wall s (median) | CPU s (median) | index bytes | spelling.glass bytes |"
echo "|---|---|---|---|---|"
echo "| without spelling | $ow | $oc | $os | 0 |"
echo "| with spelling | $nw | $nc | $ns | $spell |"
awk -v ow="$ow" -v nw="$nw" -v oc="$oc" -v nc="$nc" -v os="$os" -v ns="$ns" 'BEGIN {
    printf "| with / without | %.3f | %.3f | %.3f | |\n", nw / ow, nc / oc, ns / os
}'
echo
echo "Target (issue 18): under 1.15 in build time and index size."
