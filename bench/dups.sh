#!/bin/sh
# bench/dups.sh: what near-duplicate folding (issue 16) costs.
#   1. A fresh build of the corpus: newsindex of a commit before it (OLD_NEWSINDEX)
#      against newsindex with it (fingerprints, band terms, the clustering pass),
#      interleaved rounds, the starting binary alternating.  Wall and CPU seconds (user +
#      system: the machine is shared, so CPU time is the steadier figure) and the index
#      size; the ratio is the median of each round's new / old.
#   2. SEARCH with folding (collapse=1, the wire's default) against without (collapse=0)
#      over the query log, in-process (query_inproc, the cost of newsidx_search alone),
#      warm document cache, interleaved rounds: p50 of each, the ratio the median of each
#      round's ratio.
#
#   sh bench/dups.sh OLD_NEWSINDEX [NEW_NEWSINDEX]   (NEW default: bin/newsindex)
# Environment: BENCH_DUPS_ROUNDS (default 5), BENCH_DUPS_PATHS (default corpus),
# BENCH_DUPS_QUERIES (default bench/queries.txt).  Prints a Markdown section.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
OLD=${1:?usage: sh bench/dups.sh OLD_NEWSINDEX [NEW_NEWSINDEX]}
NEW=${2:-$ROOT/bin/newsindex}
ROUNDS=${BENCH_DUPS_ROUNDS:-5}
PATHS=${BENCH_DUPS_PATHS:-$ROOT/corpus}
QUERIES=${BENCH_DUPS_QUERIES:-$ROOT/bench/queries.txt}
WORK=$ROOT/bench/work/dups
MEDIAN_AWK=$(cat "$ROOT/bench/median.awk")
rm -rf "$WORK"
mkdir -p "$WORK"

# query_inproc, built against this tree's libraries as bench/run.sh builds it
[ -f build/rel/libindex.a ] || { echo "bench/dups.sh: run make first" >&2; exit 1; }
BENCH_CFLAGS="-std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Idaemon/common -Idaemon/ingest -Idaemon/index -Ibench"
PKGS="xapian-core libevent zlib jansson"
for src in query_inproc querylog bench_corpus sphinxql; do
    # shellcheck disable=SC2046
    cc $BENCH_CFLAGS $(pkg-config --cflags $PKGS) -c "bench/$src.c" -o "$WORK/$src.o" || exit 1
done
# shellcheck disable=SC2046
c++ -o "$WORK/query_inproc" "$WORK/query_inproc.o" "$WORK/querylog.o" "$WORK/bench_corpus.o" \
    "$WORK/sphinxql.o" build/rel/libingest.a build/rel/libindex.a build/rel/libcommon.a \
    $(pkg-config --libs $PKGS) -lpthread -lm || exit 1

# build NAME BINARY: one fresh build; appends "wall cpu bytes" to $WORK/NAME.times
build() {
    rm -rf "$WORK/$1.idx"
    /usr/bin/time -f '%e %U %S' -o "$WORK/t" "$2" --index "$WORK/$1.idx" $PATHS \
        >"$WORK/$1.log" 2>&1 || { cat "$WORK/$1.log" >&2; exit 1; }
    bytes=$(du -sb "$WORK/$1.idx" | cut -f1)
    awk -v b="$bytes" '{ printf "%s %.2f %s\n", $1, $2 + $3, b }' "$WORK/t" >>"$WORK/$1.times"
}
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    if [ $((i % 2)) -eq 0 ]; then build old "$OLD"; build new "$NEW"; else build new "$NEW"; build old "$OLD"; fi
    i=$((i + 1))
done

# search NAME FLAGS: one pass of the log; appends its p50 (µs) to $WORK/NAME.p50
search() {
    # shellcheck disable=SC2086
    "$WORK/query_inproc" -i "$WORK/new.idx" -q "$QUERIES" -m snip -w $2 >"$WORK/q.out" 2>&1 ||
        { cat "$WORK/q.out" >&2; exit 1; }
    sed -n 's/.* p50_us=\([0-9.]*\).*/\1/p' "$WORK/q.out" >>"$WORK/$1.p50"
}
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    if [ $((i % 2)) -eq 0 ]; then search plain ""; search fold -F; else search fold -F; search plain ""; fi
    i=$((i + 1))
done

med() { awk "$MEDIAN_AWK"' { s = s " " $'"$2"' } END { print median(s) }' "$WORK/$1"; }
# ratio A B COL: the median over rounds of A's COL / B's COL
ratio() {
    paste -d' ' "$WORK/$1" "$WORK/$2" | awk -v c="$3" -v n="$(awk '{ print NF; exit }' "$WORK/$1")" \
        "$MEDIAN_AWK"' { s = s " " ($c / $(n + c)) } END { printf "%.3f", median(s) }'
}
ow=$(med old.times 1); nw=$(med new.times 1); oc=$(med old.times 2); nc=$(med new.times 2)
os=$(med old.times 3); ns=$(med new.times 3)
rw=$(ratio new.times old.times 1); rc=$(ratio new.times old.times 2); rs=$(ratio new.times old.times 3)
pp=$(med plain.p50 1); fp=$(med fold.p50 1); rp=$(ratio fold.p50 plain.p50 1)
summary=$(grep -h '^newsindex: done' "$WORK/new.log" | sed 's/.*\(clusters=[0-9]* duplicates=[0-9]*\).*/\1/')
verdict() { awk -v x="$1" -v t="$2" 'BEGIN { print (x <= t ? "met" : "not met") }'; }

echo "## Near-duplicate folding: its cost"
echo
echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- Machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "- Command: \`sh bench/dups.sh $OLD${2:+ $2}\`, $ROUNDS rounds, paths $PATHS, queries $QUERIES"
echo "- The new index: $summary"
echo
echo "### A fresh build"
echo
echo "| newsindex | wall s (median) | CPU s (median) | index bytes |"
echo "|---|---|---|---|"
echo "| without fingerprints (OLD) | $ow | $oc | $os |"
echo "| with fingerprints and clusters | $nw | $nc | $ns |"
echo "| with / without (median of the rounds' ratios) | $rw | $rc | $rs |"
echo
echo "### SEARCH, in-process, snippets, top 10"
echo
echo "| SEARCH | p50 µs (median) |"
echo "|---|---|"
echo "| collapse=0 | $pp |"
echo "| collapse=1 | $fp |"
echo "| collapse=1 / collapse=0 (median of the rounds' ratios) | $rp |"
echo
echo "### Targets (issue 16)"
echo
echo "- Indexing at most 10% slower, CPU seconds: $(verdict "$rc" 1.10) ($rc; wall $rw)"
echo "- SEARCH with folding at most 10% slower at p50: $(verdict "$rp" 1.10) ($rp)"
