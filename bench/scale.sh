# shellcheck shell=sh
# bench/scale.sh: the scale run (`make bench-scale`, or BENCH_SCALE=... with `make bench`),
# sourced by bench/run.sh (which sets ROOT, WORK, BIN, LOGS, NEWSINDEX, TIMEOUT and
# die/now/sanitized).
#
# How newsd grows with the corpus: make_scaled.c writes synthetic corpora of 1x and Nx
# the input (real sentences and titles recombined into new documents, JSON Lines, under
# bench/work/scale/, removed afterwards); each is indexed with newsindex --rebuild, then
# served by its own newsd, and the query log runs against every daemon in rounds.  As
# in the other halves, the corpora take turns within a round (the first one rotated
# each round), figures are medians over rounds, and every growth figure is the median
# of per-round ratios Nx / 1x of runs made side by side.  Both sides are synthetic, so
# the ratios measure size alone, not the difference between real and recombined text.
#
# Per corpus: index wall time and size; newsd over TCP at 1 and 32 connections,
# snippets off and on (p50, p99, queries/s); newsd's VmRSS after start and after each
# round's load.
#
# Environment (besides run.sh's):
#   BENCH_SCALE="N ..."          the factors to run besides 1 (e.g. "10", "3 10"); 0 or
#                                empty: no scale run
#   BENCH_SCALE_PATHS="P ..."    the input the corpora are made from (default corpus)
#   BENCH_SCALE_ROUNDS=N         query rounds (default 3)
#   BENCH_SCALE_INDEX_ROUNDS=N   builds of each index (default 1: a 10x build takes
#                                minutes; the last build of each is the one queried)
#   BENCH_SCALE_SEED=S           make_scaled's seed (default its own)
#
# Lists of paths, flags and commands are split on purpose.
# shellcheck disable=SC2046,SC2086,SC2154

SCALE_PATHS=${BENCH_SCALE_PATHS:-corpus}
SCALE_ROUNDS=${BENCH_SCALE_ROUNDS:-3}
SCALE_INDEX_ROUNDS=${BENCH_SCALE_INDEX_ROUNDS:-1}
SCALE_QUERIES=${BENCH_QUERIES:-$ROOT/bench/queries.txt}
SCALE_NEWSD=${BENCH_NEWSD:-bin/newsd}
SCALE_DIR=$WORK/scale
SCALE_N1=$(grep -c . "$SCALE_QUERIES" 2> /dev/null)   # one connection: the whole log
SCALE_NT=4000                                        # 32 connections: requests in all
SCALE_RUNS="fields-1 snip-1 fields-32 snip-32"
SCALE_FACTORS=
SCALE_PIDS=

# "1" and the factors asked for, each once, ascending (scale_bench checked them).
scale_factors() {
    for f in 1 $BENCH_SCALE; do
        [ "$f" -gt 0 ] && echo "$f"
    done | sort -n -u | tr '\n' ' '
}

scale_cleanup() {
    for pid in $SCALE_PIDS; do
        kill "$pid" 2> /dev/null
        wait "$pid" 2> /dev/null
    done
    SCALE_PIDS=
    rm -rf "$SCALE_DIR"
}

# Starts newsd on corpus F's index on a free TCP port; records "F pid addr" in
# $SCALE_DIR/daemons.
scale_start_newsd() {
    f=$1
    err=$LOGS/scale-newsd-x$f.err
    "$SCALE_DIR/newsd" --index "$SCALE_DIR/idx-x$f" --listen 127.0.0.1:0 --log-level warn \
        2> "$err" &
    pid=$!
    SCALE_PIDS="$SCALE_PIDS $pid"
    tries=0
    while ! grep -q '^newsd: ready' "$err" 2> /dev/null; do
        kill -0 "$pid" 2> /dev/null || die "scale: newsd (x$f) exited: $(tail -n 3 "$err")"
        tries=$((tries + 1))
        [ "$tries" -gt 600 ] && die "scale: newsd (x$f) not ready after 60 s"
        sleep 0.1
    done
    addr=$(sed -n 's/^newsd: ready.* listen=\(127\.0\.0\.1:[0-9]*\).*/\1/p' "$err" | head -n 1)
    [ -n "$addr" ] || die "scale: no TCP address in newsd's ready line: $(head -n 1 "$err")"
    echo "$f $pid $addr" >> "$SCALE_DIR/daemons"
}

scale_daemon() {  # factor field (2 = pid, 3 = address)
    awk -v f="$1" -v k="$2" '$1 == f { print $k }' "$SCALE_DIR/daemons"
}

scale_rss_kb() {
    sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2> /dev/null
}

# Rotates the list "$2..." left by $1 places.
scale_rotate() {
    k=$1
    shift
    n=$#
    i=0 head='' tail=''
    for x in "$@"; do
        if [ "$i" -lt $((k % n)) ]; then tail="$tail $x"; else head="$head $x"; fi
        i=$((i + 1))
    done
    echo $head $tail
}

# Writes the CPU seconds (user + system) of every child this shell has waited for so
# far to $SCALE_DIR/cpu.  Called directly, not in $(...): a subshell starts from zero.
scale_cpu_children() {
    times > "$SCALE_DIR/times"
    sed -n 2p "$SCALE_DIR/times" | tr 'ms' '  ' |
        awk '{ printf "%.2f\n", $1 * 60 + $2 + $3 * 60 + $4 }' > "$SCALE_DIR/cpu"
}

# Builds corpus F's index once and appends "index ROUND F status seconds bytes docs
# cpu_seconds".  CPU time moves less than wall time with the load of the host.
scale_index_one() {
    f=$1 round=$2
    log=$LOGS/scale-index-x$f-$round
    scale_cpu_children
    cpu0=$(cat "$SCALE_DIR/cpu")
    t0=$(now)
    { timeout "$SCALE_TIMEOUT" "$NEWSINDEX" --index "$SCALE_DIR/idx-x$f" --rebuild \
          "$SCALE_DIR/x$f" 2> "$log.err"; echo $? > "$SCALE_DIR/rc"; } | cat > "$log.out"
    t1=$(now)
    scale_cpu_children
    cpu1=$(cat "$SCALE_DIR/cpu")
    docs=$(sed -n 's/.*added=\([0-9]*\).*/\1/p' "$log.out" | tail -n 1)
    status=ok
    if [ "$(cat "$SCALE_DIR/rc")" != 0 ] || [ "${docs:-0}" = 0 ]; then
        status=failed
        echo "bench: scale: newsindex on x$f failed; last lines of $log.err:" >&2
        tail -n 5 "$log.err" >&2
    fi
    size=$(du -sb "$SCALE_DIR/idx-x$f" 2> /dev/null | cut -f1)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')
    echo "index $round $f $status $secs ${size:-0} ${docs:-0} $cpu" >> "$SCALE_RESULTS"
    printf 'bench: scale: index x%-3s round %d: %s s, %s s of CPU, %s docs, %s bytes, %s\n' \
        "$f" "$round" "$secs" "$cpu" "${docs:-?}" "${size:-?}" "$status" >&2
    [ "$status" = ok ]
}

# One query run against corpus F's daemon; appends "query ROUND F LABEL status p50 p99 qps errors".
scale_query_one() {
    f=$1 label=$2 round=$3
    conns=${label##*-}
    s=0
    case $label in snip-*) s=1 ;; esac
    n=$SCALE_N1
    [ "$conns" -gt 1 ] && n=$SCALE_NT
    log=$LOGS/scale-query-x$f-$label-$round
    timeout "$SCALE_TIMEOUT" "$BIN/loadgen" -a "$(scale_daemon "$f" 3)" -q "$SCALE_QUERIES" \
        -s "$s" -c "$conns" -n "$n" > "$log.out" 2> "$log.err"
    rc=$?
    line=$(grep 'p50_us=' "$log.out" | tail -n 1)
    status=ok
    if [ "$rc" != 0 ] || [ -z "$line" ]; then
        status=failed
        echo "bench: scale: query $label on x$f (round $round) failed, status $rc:" >&2
        tail -n 3 "$log.err" >&2
    fi
    get() { echo "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
    echo "query $round $f $label $status $(get p50_us) $(get p99_us) $(get qps) $(get errors)" \
        >> "$SCALE_RESULTS"
    printf 'bench: scale: query x%-3s %-9s round %d: p50 %s us, p99 %s us, %s q/s, %s\n' \
        "$f" "$label" "$round" "$(get p50_us)" "$(get p99_us)" "$(get qps)" "$status" >&2
}

scale_bench() {
    for f in $BENCH_SCALE; do
        case $f in
        *[!0-9]*) die "BENCH_SCALE: not a whole number: $f" ;;
        esac
    done
    SCALE_FACTORS=$(scale_factors)
    [ "$SCALE_FACTORS" = "1 " ] && die "BENCH_SCALE=$BENCH_SCALE: no factor above 1"
    SCALE_TIMEOUT=$((TIMEOUT * 10))   # a 10x build is allowed ten times a build's time
    SCALE_RESULTS=$WORK/scale-results.txt
    : > "$SCALE_RESULTS"
    rm -f "$LOGS"/scale-*
    [ -x "$SCALE_NEWSD" ] || die "no $SCALE_NEWSD (make)"
    sanitized "$SCALE_NEWSD" && die "$SCALE_NEWSD is a sanitizer build, not timed (run make)"
    rm -rf "$SCALE_DIR"
    mkdir -p "$SCALE_DIR" || die "cannot create $SCALE_DIR"
    trap 'scale_cleanup' EXIT
    trap 'scale_cleanup; exit 1' INT TERM
    cp "$SCALE_NEWSD" "$SCALE_DIR/newsd" || die "cannot copy $SCALE_NEWSD"
    : > "$SCALE_DIR/daemons"
    scale_load_start=$(cut -d' ' -f1-3 /proc/loadavg)
    for f in $SCALE_FACTORS; do
        mkdir -p "$SCALE_DIR/x$f"
        echo "bench: scale: generating x$f from $SCALE_PATHS" >&2
        "$BIN/make_scaled" ${BENCH_SCALE_SEED:+-s "$BENCH_SCALE_SEED"} -x "$f" -o "$SCALE_DIR/x$f" \
            $SCALE_PATHS > "$LOGS/scale-make-x$f.out" 2> "$LOGS/scale-make-x$f.err" ||
            die "make_scaled -x $f failed: $(tail -n 3 "$LOGS/scale-make-x$f.err")"
        line=$(cat "$LOGS/scale-make-x$f.out")
        echo "corpus $f $(echo "$line" | sed -n 's/.* docs=\([0-9]*\).*/\1/p')" \
             "$(echo "$line" | sed -n 's/.* bytes=\([0-9]*\).*/\1/p')" \
             "$(echo "$line" | sed -n 's/.* seconds=\([0-9.]*\).*/\1/p')" >> "$SCALE_RESULTS"
    done
    round=1
    while [ "$round" -le "$SCALE_INDEX_ROUNDS" ]; do
        for f in $(scale_rotate $((round - 1)) $SCALE_FACTORS); do
            scale_index_one "$f" "$round" || die "scale: cannot go on without the x$f index"
        done
        round=$((round + 1))
    done
    # The indexes are built; the generated text is not needed any more.
    for f in $SCALE_FACTORS; do rm -rf "$SCALE_DIR/x$f"; done
    for f in $SCALE_FACTORS; do
        scale_start_newsd "$f"
        echo "rss-start 0 $f $(scale_rss_kb "$(scale_daemon "$f" 2)")" >> "$SCALE_RESULTS"
        # One untimed pass: checks every reply and warms the page cache for the rounds.
        "$BIN/loadgen" -a "$(scale_daemon "$f" 3)" -q "$SCALE_QUERIES" -s 1 -n "$SCALE_N1" \
            > "$LOGS/scale-warm-x$f.out" 2>&1 ||
            die "scale: warm-up on x$f failed: $(tail -n 3 "$LOGS/scale-warm-x$f.out")"
    done
    round=1
    while [ "$round" -le "$SCALE_ROUNDS" ]; do
        for label in $(scale_rotate $((round - 1)) $SCALE_RUNS); do
            for f in $(scale_rotate $((round - 1)) $SCALE_FACTORS); do
                scale_query_one "$f" "$label" "$round"
            done
        done
        for f in $SCALE_FACTORS; do
            echo "rss $round $f $(scale_rss_kb "$(scale_daemon "$f" 2)")" >> "$SCALE_RESULTS"
        done
        round=$((round + 1))
    done
    for f in $SCALE_FACTORS; do
        kill -0 "$(scale_daemon "$f" 2)" 2> /dev/null ||
            die "scale: newsd (x$f) died during the rounds: $(tail -n 3 "$LOGS/scale-newsd-x$f.err")"
    done
    scale_load_end=$(cut -d' ' -f1-3 /proc/loadavg)
    scale_cleanup
}

# Prints the Markdown of the scale run from $SCALE_RESULTS.
scale_report() {
    echo "## Scale: synthetic corpora of 1x to $(echo $SCALE_FACTORS | awk '{ print $NF }')x $SCALE_PATHS"
    echo
    echo "- Corpora: \`bench/work/bin/make_scaled -x N -o DIR $SCALE_PATHS\` (bench/make_scaled.c:" \
         "real titles and sentences recombined into new documents with new ids, the input's" \
         "sources, topics, document lengths and dates moved forward up to N years; JSON Lines," \
         "10 files per 1x so newsindex's builders share the work), deleted after indexing"
    echo "- Index: \`$NEWSINDEX_NAME --index DIR --rebuild DIR/xN\`, $SCALE_INDEX_ROUNDS build(s) per corpus;" \
         "newsd: \`$SCALE_NEWSD --listen 127.0.0.1:0 --log-level warn\`, one daemon per corpus, all running during the rounds"
    echo "- Queries: bench/loadgen.c over TCP, the $SCALE_N1 queries of $(basename "$SCALE_QUERIES")" \
         "in order on 1 connection, $SCALE_NT requests over 32; top 10, text; $SCALE_ROUNDS round(s)," \
         "the corpora taking turns within each run; load average $scale_load_start at start, $scale_load_end at the end"
    echo
    awk -v factors="$SCALE_FACTORS" -v runs="$SCALE_RUNS" "$MEDIAN_AWK"'
    # Median over rounds of v[key of f] / v[key of 1]; "" when never both.
    function ratio(kind, f, r0, r1,    r, s) {
        s = ""
        for (r = r0; r <= r1; r++)
            if (((kind, r, f) in v) && ((kind, r, 1) in v) && v[kind, r, 1] > 0)
                s = s " " v[kind, r, f] / v[kind, r, 1]
        return s == "" ? "" : median(s)
    }
    function fmt(x, spec) { return x == "" ? "-" : sprintf(spec, x) }
    $1 == "corpus" { docs[$2] = $3; bytes[$2] = $4; gen[$2] = $5; next }
    $1 == "index" {
        if ($4 != "ok") { ifail[$3]++; next }
        v["t", $2, $3] = $5; v["size", $2, $3] = $6; v["cpu", $2, $3] = $8
        it[$3] = it[$3] " " $5; icpu[$3] = icpu[$3] " " $8; isz[$3] = isz[$3] " " $6; if ($2 > iro) iro = $2
        next
    }
    $1 == "rss-start" { rss0[$3] = $4; next }
    $1 == "rss" { rss[$3] = rss[$3] " " $4; v["rss", $2, $3] = $4; next }
    $1 == "query" {
        if ($2 > qro) qro = $2
        if ($5 != "ok") { qfail[$3, $4]++; next }
        for (k = 6; k <= 8; k++) {
            name = k == 6 ? "p50" : k == 7 ? "p99" : "qps"
            v[$4 "-" name, $2, $3] = $k; all[$4 "-" name, $3] = all[$4 "-" name, $3] " " $k
        }
    }
    END {
        nf = split(factors, F, " "); nr = split(runs, R, " ")
        print "| corpus | documents | JSON Lines MB | index wall s (builds) | index CPU s, user + system | docs/s | index MB | index / input | newsd VmRSS MB after start / after the rounds |"
        print "|---|---|---|---|---|---|---|---|---|"
        for (i = 1; i <= nf; i++) {
            f = F[i]
            t = median(it[f]); sz = median(isz[f])
            printf "| %sx | %d | %.1f | %s (%s) | %s | %s | %s | %s | %.1f / %.1f |\n", f, docs[f], bytes[f] / 1e6,
                t == "" ? "failed" : sprintf("%.1f", t), t == "" ? "" : substr(it[f], 2), t == "" ? "-" : sprintf("%.1f", median(icpu[f])),
                t == "" ? "-" : sprintf("%.0f", docs[f] / t),
                sz == "" ? "-" : sprintf("%.1f", sz / 1e6), sz == "" ? "-" : sprintf("%.2f", sz / bytes[f]),
                rss0[f] / 1024, median(rss[f]) / 1024
        }
        print ""
        print "| run | corpus | p50 µs | p99 µs | queries/s | p50 per round (µs) |"
        print "|---|---|---|---|---|---|"
        for (j = 1; j <= nr; j++) {
            l = R[j]; c = l; sub(/.*-/, "", c)
            what = (l ~ /^snip/ ? "snippet=1" : "snippet=0") ", " c " conn" (c > 1 ? "s" : "")
            for (i = 1; i <= nf; i++) {
                f = F[i]
                if (!((l "-p50", f) in all)) { printf "| %s | %sx | failed (%d runs; see bench/work/logs) | | | |\n", what, f, qfail[f, l]; continue }
                printf "| %s | %sx | %.0f | %.0f | %.0f | %s |\n", what, f, median(all[l "-p50", f]), median(all[l "-p99", f]), median(all[l "-qps", f]), substr(all[l "-p50", f], 2)
            }
        }
        print ""
        print "Growth against 1x (medians of per-round ratios of runs side by side):"
        print ""
        printf "| measure |"; for (i = 2; i <= nf; i++) printf " %sx / 1x |", F[i]; print ""
        printf "|---|"; for (i = 2; i <= nf; i++) printf "---|"; print ""
        printf "| documents |"; for (i = 2; i <= nf; i++) printf " %s |", fmt(docs[F[i]] / docs[1], "%.2fx"); print ""
        printf "| index wall time |"; for (i = 2; i <= nf; i++) printf " %s |", fmt(ratio("t", F[i], 1, iro), "%.2fx"); print ""
        printf "| index CPU time |"; for (i = 2; i <= nf; i++) printf " %s |", fmt(ratio("cpu", F[i], 1, iro), "%.2fx"); print ""
        printf "| index size |"; for (i = 2; i <= nf; i++) printf " %s |", fmt(ratio("size", F[i], 1, iro), "%.2fx"); print ""
        printf "| newsd VmRSS after the rounds |"; for (i = 2; i <= nf; i++) printf " %s |", fmt(ratio("rss", F[i], 1, qro), "%.2fx"); print ""
        for (j = 1; j <= nr; j++) {
            l = R[j]; c = l; sub(/.*-/, "", c)
            what = (l ~ /^snip/ ? "snippet=1" : "snippet=0") ", " c " conn" (c > 1 ? "s" : "")
            split("p50 p99 qps", m, " ")
            for (k = 1; k <= 3; k++) {
                printf "| %s, %s |", what, m[k] == "qps" ? "queries/s" : m[k]
                for (i = 2; i <= nf; i++) printf " %s |", fmt(ratio(l "-" m[k], F[i], 1, qro), "%.2fx")
                print ""
            }
        }
    }' "$SCALE_RESULTS"
}
