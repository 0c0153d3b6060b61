#!/bin/sh
# bench/shards.sh: query latency and throughput over 1 local index, 3 local shards and
# 3 remote shards (3 xapian-tcpsrv on loopback) of the same corpus, and the cost of a
# page's stored fields over remote shards with and without MSet::fetch().
#
# Indexes: `newsindex` of the corpus into one index, and `newsindex --shards 3` of the
# same files.  The program is bench/xapian_shards.cc: raw Xapian in-process, all shards
# in one Xapian::Database (global BM25 statistics), the daemon's query parser setup,
# bench/queries.txt; T threads, each with its own Database (and, remote, its own
# connections: xapian-tcpsrv forks one server process per connection).  Modes: "ids"
# (a top-10 page, no document read), "data" (the page plus each hit's stored data, read
# one after another), "fetch" (the same after MSet::fetch()).  Every configuration and
# mode runs once per round, in an order rotated round by round; figures are medians
# over rounds.
#
# Prints a Markdown section on stdout.  Environment: BENCH_SHARDS_ROUNDS (default 3),
# BENCH_SHARDS_CONNS (default "1 8"), BENCH_SHARDS_REQUESTS (per run, default 2000),
# BENCH_SHARDS_PATHS (default corpus/reuters21578).  Run as `make bench-shards` (which
# writes bench/RESULTS-shards.md) or `sh bench/shards.sh`.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
WORK=$ROOT/bench/work/shards
ROUNDS=${BENCH_SHARDS_ROUNDS:-3}
CONNS=${BENCH_SHARDS_CONNS:-1 8}
REQUESTS=${BENCH_SHARDS_REQUESTS:-2000}
PATHS=${BENCH_SHARDS_PATHS:-$ROOT/corpus/reuters21578}
QUERIES=$ROOT/bench/queries.txt
NSHARDS=3
TCPSRVS=""

die() { echo "bench/shards.sh: $*" >&2; exit 1; }

[ -x bin/newsindex ] || die "bin/newsindex is missing: run make first"
if ldd bin/newsindex 2> /dev/null | grep -q 'libasan'; then
    die "bin/ holds a sanitizer build (make test SANITIZE=1 left it): run make first"
fi
command -v xapian-tcpsrv > /dev/null || die "xapian-tcpsrv is missing (Debian xapian-tools; make deps)"
rm -rf "$WORK"
mkdir -p "$WORK" || die "cannot create $WORK"
# shellcheck disable=SC2046
{ ${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Ibench -c bench/querylog.c \
      -o "$WORK/querylog.o" &&
  ${CXX:-c++} -std=c++17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Ibench -Iinclude \
      -Idaemon/index -o "$WORK/xapian_shards" bench/xapian_shards.cc "$WORK/querylog.o" \
      build/rel/libindex.a build/rel/libcommon.a $(pkg-config --cflags --libs xapian-core) \
      -lpthread -lm; } || die "cannot build bench/xapian_shards.cc"

# shellcheck disable=SC2086
bin/newsindex --index "$WORK/one" $PATHS > "$WORK/one.log" 2>&1 || die "cannot index $PATHS"
# shellcheck disable=SC2086
bin/newsindex --index "$WORK/sharded" --shards "$NSHARDS" $PATHS > "$WORK/sharded.log" 2>&1 ||
    die "cannot build $NSHARDS shards of $PATHS"
docs=$(sed -n 's/.* docs=\([0-9]*\).*/\1/p' "$WORK/one.log" | tail -n 1)
sdocs=$(sed -n 's/.* docs=\([0-9]*\).*/\1/p' "$WORK/sharded.log" | tail -n 1)
[ "$docs" = "$sdocs" ] || die "the shards hold $sdocs documents, the index $docs"

# Each xapian-tcpsrv in a session of its own: on SIGTERM it signals its whole process
# group (its forked children), which would otherwise include this script.
stop_tcpsrvs() { for p in $TCPSRVS; do kill -TERM "$p" 2> /dev/null; done; }
trap stop_tcpsrvs EXIT
listening() { ss -ltnpH 2> /dev/null | grep -q "pid=$1,"; }
# tcpsrv DIR: starts a xapian-tcpsrv on a free port for DIR; sets PORT.  It takes no
# port 0, so ports are tried until one binds.
tcpsrv() {
    tries=0
    while [ "$tries" -lt 20 ]; do
        PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
        setsid xapian-tcpsrv --quiet --interface 127.0.0.1 --port "$PORT" "$1" > "$WORK/tcpsrv-$PORT.log" 2>&1 &
        pid=$!
        i=0
        while [ "$i" -lt 100 ] && kill -0 "$pid" 2> /dev/null && ! listening "$pid"; do
            sleep 0.05; i=$((i + 1))
        done
        if listening "$pid"; then
            TCPSRVS="$TCPSRVS $pid"
            return 0
        fi
        kill -TERM "$pid" 2> /dev/null
        tries=$((tries + 1))
    done
    die "no xapian-tcpsrv could bind a port for $1"
}
LOCAL1="$WORK/one"
LOCAL3=""
REMOTE3=""
k=0
while [ "$k" -lt "$NSHARDS" ]; do
    LOCAL3="$LOCAL3 $WORK/sharded/shard-$k"
    tcpsrv "$WORK/sharded/shard-$k"
    REMOTE3="$REMOTE3 tcp:127.0.0.1:$PORT"
    k=$((k + 1))
done

# run CONFIG MODE CONNS: one timed run; appends "round config mode conns p50 p99 qps".
run() {
    case $1 in
        local1) specs=$LOCAL1 ;;
        local3) specs=$LOCAL3 ;;
        remote3) specs=$REMOTE3 ;;
    esac
    # shellcheck disable=SC2086
    "$WORK/xapian_shards" -q "$QUERIES" -m "$2" -t "$3" -n "$REQUESTS" $specs \
        > "$WORK/run.out" 2> "$WORK/run.err" ||
        die "xapian_shards $1 $2 $3 failed: $(cat "$WORK/run.out" "$WORK/run.err")"
    figs=$(sed -n 's/^shards: mode=.* p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).* qps=\([0-9.]*\).*/\1 \2 \3/p' "$WORK/run.out")
    [ -n "$figs" ] || die "no figures from xapian_shards: $(cat "$WORK/run.out")"
    echo "$round $1 $2 $3 $figs" >> "$WORK/results"
}

# The runs of a round: at each load, every configuration searching only (ids) and
# with the page's stored data (fetch; over remote shards also by shard in parallel);
# at 1 thread also the stored data read plainly one document after another.
RUNS=""
for c in $CONNS; do
    for cfg in local1 local3 remote3; do RUNS="$RUNS $cfg:ids:$c $cfg:fetch:$c"; done
    RUNS="$RUNS remote3:pershard:$c"
done
RUNS="$RUNS local1:data:1 remote3:data:1"
nruns=$(echo $RUNS | wc -w)
: > "$WORK/results"
round=1
while [ "$round" -le "$ROUNDS" ]; do
    # rotate the order by round, so no run always comes first or last
    skip=$(( (round - 1) % nruns ))
    i=0
    for r in $RUNS $RUNS; do
        i=$((i + 1))
        [ "$i" -gt "$skip" ] || continue
        [ "$i" -le $((skip + nruns)) ] || break
        cfg=${r%%:*}; rest=${r#*:}; mode=${rest%%:*}; c=${rest#*:}
        run "$cfg" "$mode" "$c"
    done
    round=$((round + 1))
done

# ---- report ----
MEDIAN_AWK=$(cat "$ROOT/bench/median.awk")
# fig CONFIG MODE CONNS FIELD: the median of FIELD (5 p50, 6 p99, 7 qps) over rounds.
fig() {
    awk -v c="$1" -v m="$2" -v n="$3" -v f="$4" "$MEDIAN_AWK"'
        $2 == c && $3 == m && $4 == n { s = s " " $f } END { print median(s) }' "$WORK/results"
}
# cell CONFIG MODE CONNS: "p50 / p99, q/s" of a run.
cell() { printf '%.0f / %.0f, %.0f' "$(fig "$1" "$2" "$3" 5)" "$(fig "$1" "$2" "$3" 6)" "$(fig "$1" "$2" "$3" 7)"; }
p50() { fig "$1" "$2" "$3" 5; }
echo "## Sharded queries: 1 local index, $NSHARDS local shards, $NSHARDS remote shards"
echo
echo "Command: \`make bench-shards\` (\`sh bench/shards.sh\`), $(date -u +%Y-%m-%d), Xapian $(xapian-delve --version 2> /dev/null | sed -n 's/.* //p'), $(nproc) cores."
echo "Corpus \`${PATHS#"$ROOT"/}\` ($docs documents) as one index and as \`newsindex --shards $NSHARDS\`; the remote"
echo "shards are $NSHARDS \`xapian-tcpsrv\` on 127.0.0.1. bench/xapian_shards.cc runs $REQUESTS queries of bench/queries.txt"
echo "per run, in-process, all shards in one \`Xapian::Database\` (global BM25 statistics), T threads each with its"
echo "own database and connections; a page is the top 10 by relevance. $ROUNDS rounds, the order of the runs"
echo "rotated each round; medians over rounds. Cells: p50 / p99 latency in µs, queries/s."
echo
echo "| shards | threads | search only (ids) | page with stored data |"
echo "| --- | --- | --- | --- |"
for c in $CONNS; do
    printf '| 1 local index | %s | %s | %s |\n' "$c" "$(cell local1 ids "$c")" "$(cell local1 fetch "$c")"
    printf '| %s local shards | %s | %s | %s |\n' "$NSHARDS" "$c" "$(cell local3 ids "$c")" "$(cell local3 fetch "$c")"
    printf '| %s remote shards, documents one after another | %s | %s | %s |\n' "$NSHARDS" "$c" "$(cell remote3 ids "$c")" "$(cell remote3 fetch "$c")"
    printf '| %s remote shards, documents by shard in parallel | %s | (as above) | %s |\n' "$NSHARDS" "$c" "$(cell remote3 pershard "$c")"
done
echo
echo "Stored data of a top-10 page, 1 thread, p50 / p99 (µs):"
echo
echo "| shards | ids only | each hit's data, one after another | after \`MSet::fetch()\` | by shard in parallel |"
echo "| --- | --- | --- | --- | --- |"
pp() { printf '%.0f / %.0f' "$(fig "$1" "$2" 1 5)" "$(fig "$1" "$2" 1 6)"; }
printf '| 1 local index | %s | %s | %s | — |\n' "$(pp local1 ids)" "$(pp local1 data)" "$(pp local1 fetch)"
printf '| %s remote shards | %s | %s | %s | %s |\n' "$NSHARDS" "$(pp remote3 ids)" "$(pp remote3 data)" "$(pp remote3 fetch)" "$(pp remote3 pershard)"
echo
awk -v l1="$(p50 local1 ids 1)" -v l3="$(p50 local3 ids 1)" -v r3="$(p50 remote3 ids 1)" \
    -v pl3="$(p50 local3 fetch 1)" -v pr3="$(p50 remote3 pershard 1)" -v n="$NSHARDS" \
    -v rd="$(p50 remote3 data 1)" -v rf="$(p50 remote3 fetch 1)" -v ri="$(p50 remote3 ids 1)" 'BEGIN {
    printf "**Overhead per remote shard** (1 thread, p50): search only %.0f µs = (%d remote − %d local) / %d;\n", (r3 - l3) / n, n, n, n
    printf "a page with stored data %.0f µs per shard (remote by shard in parallel against local). Splitting one\n", (pr3 - pl3) / n
    printf "index into %d local shards costs %.0f µs of search (%.0f → %.0f µs). Stored data over remote shards: %.0f µs\n", n, l3 - l1, l1, l3, rd - ri
    printf "for the page read one document after another (a round trip each), %.0f µs after `MSet::fetch()` (no\n", rf - ri
    printf "gain: the 1.4 remote backend does not pipeline), %.0f µs by shard in parallel.\n", pr3 - ri
}'
