#!/bin/sh
# bench/hostile.sh: normal clients' latency with and without hostile clients, for the
# daemon of this tree and, side by side in the same invocation, an older one.
#
# The daemon (--workers 2) serves an index of 2,000 Reuters records, as in
# tests/e2e/test_load.sh.  A round is tests/tools/stress.c's load mode: C churning normal
# connections (1 to 8 requests each, one at a time, then reconnect) until Q replies have
# come, every reply checked against the one computed on the idle daemon; "plain" is that
# alone, "hostile" the same with the hostile clients (4 slow senders, 4 never-readers
# pipelining 5,000 full pages with snippets each, 8 half-open connections, 2 huge lines,
# 2 of binary garbage) for the whole round.  Each round runs plain and hostile for every daemon,
# alternating the order of the phases and of the daemons from round to round; between
# phases the daemon must be back to no client connection.  Reported per daemon: normal
# clients' p50 and p99 in each phase (medians over rounds), the ratios hostile / plain
# (medians of the per-round ratios), the daemon's CPU per phase, and whether the target
# holds: hostile p99 at most 2x plain p99 and hostile p50 at most 1.5x plain p50.
#
# The hostile clients run in a process of their own (`stress hostile`), started just
# before the round (once its ready line says every one is connected and has sent its
# first bytes, so that their first moves fall in the round) and stopped after it: real
# attackers are other processes or machines, not part of the poll loop of the clients
# whose latency is measured.  BENCH_HOSTILE_SETUP=inproc runs them inside the measuring
# process instead (stress -H load), as tests/e2e/test_load.sh does; the two setups differ
# little since stress's never-readers stopped spinning its poll loop (tests/README.md).  BENCH_HOSTILE_KINDS picks the hostile kinds (stress -K: a comma-
# separated list of slow, never, half, huge, garbage; default all), to find which one
# costs the normal clients; BENCH_HOSTILE_KINDS=query is the hostile-queries run (2
# clients sending the costliest queries within the caps back to back: make
# bench-hostile-queries).  BENCH_HOSTILE_STRESS=PATH times with another stress binary
# (an older one knows only the inproc setup and all kinds).
#
# The older daemon is BENCH_HOSTILE_BASE (a git revision, default main), built from a
# `git archive` of it under bench/work/hostile/base; it is skipped (and said so) when
# BENCH_HOSTILE_BASE is empty or the revision's daemon/ and include/ equal this tree's.
#
# BENCH_HOSTILE_EXTRA="NAME=PATH ..." adds more newsd binaries to the comparison (e.g.
# builds with other limits, when choosing them by measurement).
#
# Prints a Markdown section on stdout.  Environment: BENCH_HOSTILE_ROUNDS (default 5),
# BENCH_HOSTILE_CONNS (200), BENCH_HOSTILE_QUERIES (4000), BENCH_HOSTILE_BASE (main),
# BENCH_HOSTILE_EXTRA (none), BENCH_HOSTILE_SETUP (separate), BENCH_HOSTILE_KINDS (all),
# BENCH_HOSTILE_STRESS (built from this tree).
# Run alone as `sh bench/hostile.sh` or `make bench-hostile`; bench/run.sh includes it.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
WORK=$ROOT/bench/work/hostile
ROUNDS=${BENCH_HOSTILE_ROUNDS:-5}
CONNS=${BENCH_HOSTILE_CONNS:-200}
QUERIES=${BENCH_HOSTILE_QUERIES:-4000}
BASE=${BENCH_HOSTILE_BASE-main}
SETUP=${BENCH_HOSTILE_SETUP:-separate}
KINDS=${BENCH_HOSTILE_KINDS:-all}
P99_TARGET=2
P50_TARGET=1.5

die() { echo "bench/hostile.sh: $*" >&2; exit 1; }

[ -x bin/newsd ] && [ -x bin/newsindex ] || die "bin/newsd is missing: run make first"
if ldd bin/newsd 2> /dev/null | grep -q 'libasan'; then
    die "bin/ holds a sanitizer build (make test SANITIZE=1 left it): run make first"
fi
rm -rf "$WORK"
mkdir -p "$WORK/in" || die "cannot create $WORK"
case $SETUP in separate | inproc) ;; *) die "BENCH_HOSTILE_SETUP: separate or inproc, not $SETUP" ;; esac
KFLAG="-K $KINDS"
[ "$KINDS" = all ] && KFLAG=""
STRESS=$WORK/stress
if [ -n "${BENCH_HOSTILE_STRESS:-}" ]; then
    cp "$BENCH_HOSTILE_STRESS" "$STRESS" || die "BENCH_HOSTILE_STRESS: cannot copy $BENCH_HOSTILE_STRESS"
else
    ${CC:-cc} -O2 -D_GNU_SOURCE -Iinclude -o "$STRESS" tests/tools/stress.c tests/tools/stress_load.c || die "cannot build stress"
fi

# ---- the daemons: this tree's, and the base revision's when it differs ----
DAEMONS="this"
cp bin/newsd "$WORK/newsd-this"
rev=""
if [ -n "$BASE" ] && ! rev=$(git rev-parse --short "$BASE^{commit}" 2> /dev/null); then
    echo "bench/hostile.sh: no git revision $BASE here: no comparison" >&2
    rev=""
fi
if [ -n "$rev" ]; then
    if git diff --quiet "$rev" -- daemon include; then
        echo "bench/hostile.sh: $BASE ($rev) has this tree's daemon: no comparison" >&2
    else
        mkdir -p "$WORK/base"
        git archive "$rev" | tar -x -C "$WORK/base" || die "cannot unpack $rev"
        echo "bench/hostile.sh: building newsd of $BASE ($rev)" >&2
        make -C "$WORK/base" -j2 bin/newsd > "$WORK/base.log" 2>&1 ||
            die "cannot build newsd of $rev (see $WORK/base.log)"
        cp "$WORK/base/bin/newsd" "$WORK/newsd-base"
        DAEMONS="base this"
    fi
fi
for extra in ${BENCH_HOSTILE_EXTRA:-}; do
    name=${extra%%=*}
    case $name in *[!a-z0-9_]* | "") die "BENCH_HOSTILE_EXTRA: bad name in $extra (a-z, 0-9, _)" ;; esac
    cp "${extra#*=}" "$WORK/newsd-$name" || die "BENCH_HOSTILE_EXTRA: cannot copy ${extra#*=}"
    DAEMONS="$DAEMONS $name"
done

cp corpus/reuters21578/reut2-000.sgm.gz corpus/reuters21578/reut2-001.sgm.gz "$WORK/in/"
bin/newsindex --index "$WORK/idx" --jobs 1 "$WORK/in" > "$WORK/index.log" 2>&1 ||
    die "cannot index (see $WORK/index.log)"

# The requests of tests/e2e/test_load.sh: searches with and without snippets, counts,
# filters, GETs, PING.
: > "$WORK/reqs"
for w in cocoa oil wheat coffee gold bank trade dollar sugar shares '"money supply"' 'oil AND prices' 'grain NOT wheat'; do
    echo "SEARCH format=json limit=10 snippet=0 $w" >> "$WORK/reqs"
    echo "COUNT format=json $w" >> "$WORK/reqs"
done
for w in cocoa opec tonnes; do echo "SEARCH format=json limit=5 $w" >> "$WORK/reqs"; done
echo "SEARCH format=json limit=20 sort=date snippet=0 topic=grain wheat" >> "$WORK/reqs"
echo "COUNT format=json since=1987-03-01 until=1987-03-05 oil" >> "$WORK/reqs"
for n in 1 17 500 1999; do echo "GET format=json reuters-$n" >> "$WORK/reqs"; done
echo "PING format=json" >> "$WORK/reqs"

PIDS=""
trap 'for p in $PIDS; do kill "$p" 2> /dev/null; done; wait 2> /dev/null' EXIT
for d in $DAEMONS; do
    "$WORK/newsd-$d" --index "$WORK/idx" --listen 127.0.0.1:0 --workers 2 \
        --max-connections 2000 2> "$WORK/newsd-$d.log" &
    pid=$!
    PIDS="$PIDS $pid"
    i=0
    until grep -qs "^newsd: ready" "$WORK/newsd-$d.log"; do
        i=$((i + 1)); [ "$i" -lt 400 ] || die "newsd ($d) did not start"; sleep 0.05
    done
    eval "PID_$d=$pid"
    eval "ADDR_$d=$(sed -n 's/^newsd: ready listen=\([0-9.]*:[0-9]*\) .*/\1/p' "$WORK/newsd-$d.log")"
    eval "addr=\$ADDR_$d"
    "$STRESS" expect "$addr" "$WORK/reqs" "$WORK/expected-$d" > /dev/null 2>&1 ||
        die "no expected replies from newsd ($d)"
done

# cpu_ticks PID: the process's user + system time in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# settled ADDR: waits (at most 60 s) until the only connection is the one asking.
settled() {
    i=0
    until [ "$(bin/newsq -a "$1" stats 2> /dev/null | awk '$1 == "connections" { print $2 }')" = 1 ]; do
        i=$((i + 1)); [ "$i" -lt 1200 ] || die "the connections of a round did not close"; sleep 0.05
    done
}
# hostile_up ADDR: starts the hostile clients' process and waits (at most 60 s) for its
# ready line; hostile_down stops it and checks its summary.
hostile_up() {
    # shellcheck disable=SC2086
    "$STRESS" -t 600 $KFLAG hostile "$1" > "$WORK/hostile.out" 2>&1 &
    HPID=$!
    PIDS="$PIDS $HPID"
    i=0
    until grep -qs "^hostile ready" "$WORK/hostile.out"; do
        kill -0 "$HPID" 2> /dev/null || die "stress hostile failed: $(cat "$WORK/hostile.out")"
        i=$((i + 1)); [ "$i" -lt 6000 ] || die "stress hostile did not start"; sleep 0.01
    done
}
hostile_down() {
    kill "$HPID"
    wait "$HPID" || die "stress hostile failed: $(cat "$WORK/hostile.out")"
}
# phase D NAME: one stress round (plain or hostile) against daemon D; appends a result line.
phase() {
    eval "addr=\$ADDR_$1 pid=\$PID_$1"
    settled "$addr"
    flags=""
    if [ "$2" = hostile ] && [ "$SETUP" = inproc ]; then
        flags=${KFLAG:--H}
    elif [ "$2" = hostile ]; then
        hostile_up "$addr"
    fi
    c0=$(cpu_ticks "$pid")
    # shellcheck disable=SC2086
    "$STRESS" -t 300 $flags load "$addr" "$WORK/expected-$1" "$CONNS" "$QUERIES" > "$WORK/out" 2>&1 ||
        die "stress $2 round against newsd ($1) failed: $(cat "$WORK/out")"
    c1=$(cpu_ticks "$pid")
    if [ "$2" = hostile ] && [ "$SETUP" = separate ]; then hostile_down; fi
    p50=$(sed -n 's/.* latency_p50_ms=\([0-9.]*\).*/\1/p' "$WORK/out")
    p99=$(sed -n 's/.* latency_p99_ms=\([0-9.]*\).*/\1/p' "$WORK/out")
    echo "$round $1 $2 $p50 $p99 $((c1 - c0))" >> "$WORK/results"
}

: > "$WORK/results"
round=1
while [ "$round" -le "$ROUNDS" ]; do
    order=$DAEMONS
    [ $((round % 2)) -eq 0 ] && order=$(echo "$DAEMONS" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
    for d in $order; do
        if [ $((round % 2)) -eq 1 ]; then
            phase "$d" plain; phase "$d" hostile
        else
            phase "$d" hostile; phase "$d" plain
        fi
    done
    echo "bench/hostile.sh: round $round of $ROUNDS done" >&2
    round=$((round + 1))
done

# ---- report ----
TICK=$(getconf CLK_TCK)
MEDIAN_AWK=$(cat bench/median.awk)
echo "## Normal clients' latency with hostile clients"
echo
echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2> /dev/null || echo unknown)$(git diff --quiet HEAD -- daemon include tests/tools 2> /dev/null || echo ' (with uncommitted changes)'), $(nproc) cores."
echo
echo "Command: \`sh bench/hostile.sh\` (or \`make bench-hostile\`): newsd --workers 2 on an index of 2,000"
echo "Reuters records; tests/tools/stress.c runs $CONNS churning normal connections until $QUERIES replies,"
if [ "$KINDS" = query ]; then
    echo "alone (plain) and with 2 clients sending the costliest queries newsd accepts back to back (hostile:"
    echo "COUNT of 75 ORed phrases of common words, and SEARCH sort=date limit=100 of a* OR b*; stress -K query);"
elif [ "$KINDS" = all ]; then
    echo "alone (plain) and with its hostile clients (hostile: 4 slow senders, 4 never-readers pipelining 5,000"
    echo "full pages with snippets each, 8 half-open connections, 2 huge lines, 2 of binary garbage);"
else
    echo "alone (plain) and with the hostile clients of the kinds $KINDS only (stress -K $KINDS);"
fi
if [ "$SETUP" = separate ]; then
    echo "the hostile clients in a process of their own (stress hostile), started just before each round;"
else
    echo "the hostile clients inside the measuring process (stress -H load);"
fi
echo "$ROUNDS rounds, phases and daemons alternating in order. Latencies are normal replies' (ms), medians over rounds;"
echo "ratios are medians of per-round ratios; CPU is the daemon's user + system time per phase (s)."
echo "Target: hostile p99 <= ${P99_TARGET}x plain p99 and hostile p50 <= ${P50_TARGET}x plain p50."
echo
echo "| newsd | plain p50 / p99 | hostile p50 / p99 | p50 ratio | p99 ratio | CPU plain / hostile | target |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for d in $DAEMONS; do
    case $d in
    this) label="this tree" ;;
    base) label="$BASE ($rev)" ;;
    *) label=$d ;;
    esac
    awk -v d="$d" -v label="$label" -v tick="$TICK" -v t99="$P99_TARGET" -v t50="$P50_TARGET" "$MEDIAN_AWK"'
        $2 == d { v[$1 " " $3 " p50"] = $4; v[$1 " " $3 " p99"] = $5; v[$1 " " $3 " cpu"] = $6; r[$1] = 1 }
        END {
            for (k in r) {
                pp50 = pp50 " " v[k " plain p50"]; pp99 = pp99 " " v[k " plain p99"]
                hp50 = hp50 " " v[k " hostile p50"]; hp99 = hp99 " " v[k " hostile p99"]
                pc = pc " " v[k " plain cpu"] / tick; hc = hc " " v[k " hostile cpu"] / tick
                if (v[k " plain p50"] > 0) r50 = r50 " " v[k " hostile p50"] / v[k " plain p50"]
                if (v[k " plain p99"] > 0) r99 = r99 " " v[k " hostile p99"] / v[k " plain p99"]
            }
            m50 = median(r50); m99 = median(r99)
            printf "| %s | %.1f / %.1f | %.1f / %.1f | %.2fx | %.2fx | %.2f / %.2f | %s |\n", label,
                median(pp50), median(pp99), median(hp50), median(hp99), m50, m99,
                median(pc), median(hc), (m99 <= t99 && m50 <= t50) ? "met" : "not met"
        }' "$WORK/results"
done
