# shellcheck shell=sh
# bench/scale.sh: the scale run (`make bench-scale`, or BENCH_SCALE=... with `make bench`),
# sourced by bench/run.sh (which sets ROOT, WORK, BIN, LOGS, NEWSINDEX, TIMEOUT and
# die/now/sanitized/write_sphinx_conf).
#
# How newsd and its peers grow with the corpus: make_scaled.c writes synthetic corpora of
# 1x and Nx the input (real sentences and titles recombined into new documents, JSON
# Lines, under bench/work/scale/, removed once indexed); each is indexed by newsindex
# --rebuild, by SQLite FTS5 (fts5_index, then FTS5's optimize) and by Sphinx's indexer
# when installed, then served: newsd and searchd one daemon per corpus, FTS5 in process.
# The query log runs against every system and corpus in rounds: the corpora and the
# systems take turns within a round (the first one rotated each round), figures are
# medians over rounds, and every growth figure is the median of per-round ratios Nx / 1x
# of runs made side by side, plus the growth exponent: the slope of the least-squares
# line through (log documents, log figure) over every size.  Both sides are synthetic,
# so the ratios measure size alone, not the difference between real and recombined text.
#
# Per corpus and system: build wall and CPU seconds, index size against the text (title
# and body bytes as the readers give them), where newsd's index bytes go (each Xapian
# table file); p50, p99 and queries/s at 1 and 32 connections, snippets off and on; newsd's
# document-cache hit rate over each run (STATS' doc_cache_hits/misses before and after);
# newsd's and searchd's VmRSS after start and after each round.  newsd runs with its
# default document cache.  With gnuplot installed, a PNG per figure against corpus size
# on log axes goes to bench/scale-plots/.
#
# Environment (besides run.sh's):
#   BENCH_SCALE="N ..."          the factors to run besides 1 (e.g. "10", "10 100"); 0 or
#                                empty: no scale run
#   BENCH_SCALE_PATHS="P ..."    the input the corpora are made from (default corpus)
#   BENCH_SCALE_ROUNDS=N         query rounds (default 3)
#   BENCH_SCALE_RUN_SECONDS=S    a query run ends after S seconds (default 30; 0: none),
#                                its figures those of the requests answered, so a slow
#                                peer at 100x answers what it can in fixed time
#   BENCH_SCALE_SEED=S           make_scaled's seed (default its own)
#   BENCH_SCALE_SYSTEMS="..."    which of newsd fts5 sphinx to run (default all three; a
#                                peer not installed is named in the results, not dropped)
#   BENCH_QUERIES=zipf|uniform|FILE  the query log (default zipf: bench/queries-zipf.txt,
#                                2,000 draws with a Zipf skew from 50,000 queries; uniform:
#                                bench/queries.txt, 2,000 distinct queries)
#
# Lists of paths, flags and commands are split on purpose.
# shellcheck disable=SC2013,SC2046,SC2086,SC2154

SCALE_PATHS=${BENCH_SCALE_PATHS:-corpus}
SCALE_ROUNDS=${BENCH_SCALE_ROUNDS:-3}
case ${BENCH_QUERIES:-zipf} in
zipf) SCALE_QUERIES=$ROOT/bench/queries-zipf.txt ;;
uniform) SCALE_QUERIES=$ROOT/bench/queries.txt ;;
*) SCALE_QUERIES=$BENCH_QUERIES ;;
esac
SCALE_NEWSD=${BENCH_NEWSD:-bin/newsd}
SCALE_NEWSQ=${BENCH_NEWSQ:-bin/newsq}
SCALE_SYSTEMS=${BENCH_SCALE_SYSTEMS:-newsd fts5 sphinx}
SCALE_DIR=$WORK/scale
SCALE_PLOTS=$ROOT/bench/scale-plots
SCALE_N1=$(grep -c . "$SCALE_QUERIES" 2> /dev/null)   # one connection: the whole log
SCALE_NT=4000                                        # 32 connections: requests in all
SCALE_RUNS="fields-1 snip-1 fields-32 snip-32"
SCALE_RUN_SECONDS=${BENCH_SCALE_RUN_SECONDS:-30}
SCALE_POOL=$(nproc)                                  # the peers' threads at 32 connections
SCALE_FACTORS=
SCALE_PIDS=
SCALE_MISSING=
SCALE_SPHINX_WORKERS=thread_pool

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

# Why system $1 cannot run here, on stdout; nothing when it can.
scale_unavailable() {
    case $1 in
    newsd) ;;
    fts5) [ -x "$BIN/fts5_index" ] && [ -x "$BIN/fts5_query" ] ||
              echo "no libsqlite3-dev (make bench-peers)" ;;
    sphinx) command -v indexer > /dev/null 2>&1 && command -v searchd > /dev/null 2>&1 ||
              echo "no Sphinx indexer/searchd (make bench-peers: Debian sphinxsearch)" ;;
    *) echo "unknown system (BENCH_SCALE_SYSTEMS: newsd fts5 sphinx)" ;;
    esac
}

# Starts newsd on corpus F's index on a free TCP port; records "F newsd pid addr" in
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
    echo "$f newsd $pid $addr" >> "$SCALE_DIR/daemons"
}

# Starts searchd on corpus F's Sphinx index (SphinxQL; a pool of as many threads as
# cores, Sphinx's best set-up for many connections on few cores, where the build has one,
# else a thread per connection); records "F sphinx pid addr".  searchd cannot be asked for a free port: a few are tried, each checked by a
# real query.
scale_start_searchd() {
    f=$1 sdir=$SCALE_DIR/sphinx-x$f
    try=0
    while [ "$try" -lt 5 ]; do
        children=$(nproc)
        [ "$SCALE_SPHINX_WORKERS" = threads ] && children=128
        port=$((20000 + ($$ * 7 + f * 17 + try * 131) % 30000))
        {
            cat "$sdir/base.conf"
            cat <<EOF
searchd
{
    listen = 127.0.0.1:$port:mysql41
    log = $sdir/searchd.log
    pid_file = $sdir/searchd.pid
    watchdog = 0
    workers = $SCALE_SPHINX_WORKERS
    max_children = $children
    binlog_path =
    read_buffer = 1M
    read_unhinted = 256K
}
EOF
        } > "$sdir/sphinx.conf"
        searchd --config "$sdir/sphinx.conf" --nodetach > "$LOGS/scale-searchd-x$f.out" 2>&1 &
        pid=$!
        tries=0
        while kill -0 "$pid" 2> /dev/null && [ "$tries" -lt 100 ]; do
            if "$BIN/loadgen" -a "127.0.0.1:$port" -q "$SCALE_QUERIES" -f sphinxql -n 1 \
                   > /dev/null 2>&1; then
                SCALE_PIDS="$SCALE_PIDS $pid"
                echo "$f sphinx $pid 127.0.0.1:$port" >> "$SCALE_DIR/daemons"
                return 0
            fi
            tries=$((tries + 1))
            sleep 0.1
        done
        kill "$pid" 2> /dev/null
        wait "$pid" 2> /dev/null
        # Debian's Sphinx 2.2 is built without the thread pool: threads is what it has.
        if [ "$SCALE_SPHINX_WORKERS" = thread_pool ] &&
           grep -q 'unknown workers=thread_pool' "$LOGS/scale-searchd-x$f.out"; then
            SCALE_SPHINX_WORKERS=threads
            continue
        fi
        try=$((try + 1))
    done
    return 1
}

scale_daemon() {  # factor system field (3 = pid, 4 = address)
    awk -v f="$1" -v s="$2" -v k="$3" '$1 == f && $2 == s { print $k }' "$SCALE_DIR/daemons"
}

scale_rss_kb() {
    sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2> /dev/null
}

# newsd's document-cache counters "hits misses" (STATS).
scale_cache() {
    "$SCALE_NEWSQ" -a "$1" stats 2> /dev/null |
        awk '$1 == "doc_cache_hits" { h = $2 } $1 == "doc_cache_misses" { m = $2 }
             END { print h + 0, m + 0 }'
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

# Builds corpus F's index with system SYS and appends "index F SYS status seconds bytes
# docs cpu_seconds", and for newsd "table F NAME bytes" per Xapian table file.  CPU time
# (of the whole process tree: Sphinx's indexer with its xmlpipe2 feeder) moves less than
# wall time with the load of the host.
scale_index_one() {
    f=$1 sys=$2
    log=$LOGS/scale-index-x$f-$sys
    scale_cpu_children
    cpu0=$(cat "$SCALE_DIR/cpu")
    t0=$(now)
    case $sys in
    newsd)
        out=$SCALE_DIR/idx-x$f
        { timeout "$SCALE_TIMEOUT" "$NEWSINDEX" --index "$out" --rebuild \
              "$SCALE_DIR/x$f" 2> "$log.err"; echo $? > "$SCALE_DIR/rc"; } | cat > "$log.out"
        ;;
    fts5)
        # fts5_index loads in one transaction; FTS5's optimize merges the segments into
        # one b-tree, as a deployment would after a bulk load: both are the build.
        out=$SCALE_DIR/fts5-x$f.db
        { timeout "$SCALE_TIMEOUT" "$BIN/fts5_index" "$out" "$SCALE_DIR/x$f" &&
          timeout "$SCALE_TIMEOUT" "$BIN/fts5_query" -O -d "$out" -q "$SCALE_QUERIES" \
              -m exact -n 1 > /dev/null; } > "$log.out" 2> "$log.err"
        echo $? > "$SCALE_DIR/rc"
        ;;
    sphinx)
        out=$SCALE_DIR/sphinx-x$f
        mkdir -p "$out"
        write_sphinx_conf "$out/base.conf" "$out" "$SCALE_DIR/x$f"
        timeout "$SCALE_TIMEOUT" indexer --config "$out/base.conf" --all > "$log.out" 2> "$log.err"
        echo $? > "$SCALE_DIR/rc"
        grep -q '^ERROR' "$log.out" && echo 1 > "$SCALE_DIR/rc"
        ;;
    esac
    t1=$(now)
    scale_cpu_children
    cpu1=$(cat "$SCALE_DIR/cpu")
    case $sys in
    newsd) docs=$(sed -n 's/.*added=\([0-9]*\).*/\1/p' "$log.out" | tail -n 1)
           size=$(du -sb "$out" 2> /dev/null | cut -f1) ;;
    fts5) docs=$(sed -n 's/.* docs=\([0-9]*\).*/\1/p' "$log.out" | tail -n 1)
          size=$(du -sb "$out" 2> /dev/null | cut -f1) ;;
    sphinx) docs=$(sed -n 's/^total \([0-9]*\) docs.*/\1/p' "$log.out" | tail -n 1)
            # the index files alone, not the config and logs beside them
            size=$(cat "$out"/news.* 2> /dev/null | wc -c) ;;
    esac
    status=ok
    if [ "$(cat "$SCALE_DIR/rc")" != 0 ] || [ "${docs:-0}" = 0 ]; then
        status=failed
        echo "bench: scale: $sys on x$f failed; see $log.out and $log.err" >&2
        tail -n 5 "$log.err" >&2
    fi
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')
    echo "index $f $sys $status $secs ${size:-0} ${docs:-0} $cpu" >> "$SCALE_RESULTS"
    if [ "$sys" = newsd ] && [ "$status" = ok ]; then
        for t in "$out"/*.glass; do
            [ -f "$t" ] && echo "table $f $(basename "$t" .glass) $(wc -c < "$t")" >> "$SCALE_RESULTS"
        done
    fi
    printf 'bench: scale: index x%-3s %-6s: %s s, %s s of CPU, %s docs, %s bytes, %s\n' \
        "$f" "$sys" "$secs" "$cpu" "${docs:-?}" "${size:-?}" "$status" >&2
    [ "$status" = ok ]
}

# One query run of system SYS against corpus F; appends "query ROUND F SYS LABEL status
# p50 p99 qps errors cache_hits cache_misses" (the cache counters are newsd's, "- -"
# for the peers).
scale_query_one() {
    f=$1 sys=$2 label=$3 round=$4
    conns=${label##*-}
    s=0
    case $label in snip-*) s=1 ;; esac
    n=$SCALE_N1
    [ "$conns" -gt 1 ] && n=$SCALE_NT
    log=$LOGS/scale-query-x$f-$sys-$label-$round
    c0="- -" c1="- -"
    case $sys in
    newsd)
        addr=$(scale_daemon "$f" newsd 4)
        c0=$(scale_cache "$addr")
        timeout "$SCALE_TIMEOUT" "$BIN/loadgen" -a "$addr" -q "$SCALE_QUERIES" \
            -s "$s" -c "$conns" -n "$n" -D "$SCALE_RUN_SECONDS" > "$log.out" 2> "$log.err"
        rc=$?
        c1=$(scale_cache "$addr")
        ;;
    fts5)
        m=fields
        [ "$s" = 1 ] && m=snip
        # at 32 connections, the equal of newsd's workers: as many threads as cores,
        # fed from one queue by the 32 clients
        pool=
        [ "$conns" -gt 1 ] && pool="-P $SCALE_POOL"
        timeout "$SCALE_TIMEOUT" "$BIN/fts5_query" -d "$SCALE_DIR/fts5-x$f.db" \
            -q "$SCALE_QUERIES" -m "$m" -t "$conns" $pool -n "$n" -D "$SCALE_RUN_SECONDS" \
            > "$log.out" 2> "$log.err"
        rc=$?
        ;;
    sphinx)
        # at 32 connections: as many as cores, fed from one queue by the 32 clients
        # (loadgen -Q), the pool this Sphinx cannot run itself
        shape="-c $conns"
        [ "$conns" -gt 1 ] && shape="-c $SCALE_POOL -Q $conns"
        timeout "$SCALE_TIMEOUT" "$BIN/loadgen" -a "$(scale_daemon "$f" sphinx 4)" \
            -q "$SCALE_QUERIES" -f sphinxql $shape -n "$n" -D "$SCALE_RUN_SECONDS" \
            > "$log.out" 2> "$log.err"
        rc=$?
        ;;
    esac
    line=$(grep 'p50_us=' "$log.out" | tail -n 1)
    status=ok
    if [ "$rc" != 0 ] || [ -z "$line" ]; then
        status=failed
        echo "bench: scale: $sys $label on x$f (round $round) failed, status $rc:" >&2
        tail -n 3 "$log.err" >&2
    fi
    get() { echo "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
    hm=$(echo "$c0 $c1" | awk '$1 == "-" { print "- -"; next } { print $3 - $1, $4 - $2 }')
    echo "query $round $f $sys $label $status $(get p50_us) $(get p99_us) $(get qps) $(get errors) $hm $(get queries)" \
        >> "$SCALE_RESULTS"
    printf 'bench: scale: query x%-3s %-6s %-9s round %d: p50 %s us, p99 %s us, %s q/s, cache hits/misses %s, %s\n' \
        "$f" "$sys" "$label" "$round" "$(get p50_us)" "$(get p99_us)" "$(get qps)" "$hm" "$status" >&2
}

# The runs of system SYS: Sphinx 2.2 keeps no text, so it has no snippet runs.
scale_runs_of() {
    case $1 in
    sphinx) echo fields-1 fields-32 ;;
    *) echo $SCALE_RUNS ;;
    esac
}

scale_bench() {
    for f in $BENCH_SCALE; do
        case $f in
        *[!0-9]*) die "BENCH_SCALE: not a whole number: $f" ;;
        esac
    done
    SCALE_FACTORS=$(scale_factors)
    [ "$SCALE_FACTORS" = "1 " ] && die "BENCH_SCALE=$BENCH_SCALE: no factor above 1"
    [ -s "$SCALE_QUERIES" ] || die "scale: no query log $SCALE_QUERIES (BENCH_QUERIES)"
    # A build may take up to ten times a 1x build's allowance per factor of 10.
    top=$(echo $SCALE_FACTORS | awk '{ print $NF }')
    SCALE_TIMEOUT=$((TIMEOUT * (top > 10 ? top : 10)))
    SCALE_RESULTS=$WORK/scale-results.txt
    : > "$SCALE_RESULTS"
    rm -f "$LOGS"/scale-*
    [ -x "$SCALE_NEWSD" ] || die "no $SCALE_NEWSD (make)"
    sanitized "$SCALE_NEWSD" && die "$SCALE_NEWSD is a sanitizer build, not timed (run make)"
    systems=
    for sys in $SCALE_SYSTEMS; do
        why=$(scale_unavailable "$sys")
        if [ -n "$why" ]; then
            SCALE_MISSING="$SCALE_MISSING$sys: $why; "
            echo "bench: scale: $sys not run: $why" >&2
        else
            systems="$systems $sys"
        fi
    done
    SCALE_SYSTEMS=$systems
    rm -rf "$SCALE_DIR"
    mkdir -p "$SCALE_DIR" || die "cannot create $SCALE_DIR"
    trap 'scale_cleanup' EXIT
    trap 'scale_cleanup; exit 1' INT TERM
    cp "$SCALE_NEWSD" "$SCALE_DIR/newsd" || die "cannot copy $SCALE_NEWSD"
    : > "$SCALE_DIR/daemons"
    scale_load_start=$(cut -d' ' -f1-3 /proc/loadavg)
    scale_date_start=$(date -u '+%Y-%m-%d %H:%M UTC')
    SCALE_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo unknown)
    git -C "$ROOT" diff --quiet HEAD -- bench daemon include Makefile 2> /dev/null ||
        SCALE_COMMIT="$SCALE_COMMIT with uncommitted changes"
    # One corpus at a time: generated, built by every system, then its text removed, so
    # the disk holds one corpus's text at most.
    turn=0
    for f in $SCALE_FACTORS; do
        mkdir -p "$SCALE_DIR/x$f"
        echo "bench: scale: generating x$f from $SCALE_PATHS" >&2
        "$BIN/make_scaled" ${BENCH_SCALE_SEED:+-s "$BENCH_SCALE_SEED"} -x "$f" -o "$SCALE_DIR/x$f" \
            $SCALE_PATHS > "$LOGS/scale-make-x$f.out" 2> "$LOGS/scale-make-x$f.err" ||
            die "make_scaled -x $f failed: $(tail -n 3 "$LOGS/scale-make-x$f.err")"
        line=$(cat "$LOGS/scale-make-x$f.out")
        text=$("$BIN/corpus_stats" "$SCALE_DIR/x$f" | sed -n 's/.*text_bytes=\([0-9]*\).*/\1/p')
        echo "corpus $f $(echo "$line" | sed -n 's/.* docs=\([0-9]*\).*/\1/p')" \
             "$(echo "$line" | sed -n 's/.* bytes=\([0-9]*\).*/\1/p')" \
             "$(echo "$line" | sed -n 's/.* seconds=\([0-9.]*\).*/\1/p') ${text:-0}" >> "$SCALE_RESULTS"
        for sys in $(scale_rotate "$turn" $SCALE_SYSTEMS); do
            if ! scale_index_one "$f" "$sys"; then
                [ "$sys" = newsd ] && die "scale: cannot go on without newsd's x$f index"
                SCALE_MISSING="$SCALE_MISSING$sys x$f: the build failed (bench/work/logs/scale-index-x$f-$sys.*); "
            fi
        done
        turn=$((turn + 1))
        rm -rf "$SCALE_DIR/x$f"
    done
    for f in $SCALE_FACTORS; do
        scale_start_newsd "$f"
        echo "rss-start 0 $f newsd $(scale_rss_kb "$(scale_daemon "$f" newsd 3)")" >> "$SCALE_RESULTS"
        # One untimed pass: checks every reply and warms the page cache for the rounds.
        "$BIN/loadgen" -a "$(scale_daemon "$f" newsd 4)" -q "$SCALE_QUERIES" -s 1 -n "$SCALE_N1" \
            > "$LOGS/scale-warm-x$f.out" 2>&1 ||
            die "scale: warm-up on x$f failed: $(tail -n 3 "$LOGS/scale-warm-x$f.out")"
        case " $SCALE_SYSTEMS " in
        *" sphinx "*)
            if grep -q "^index $f sphinx ok" "$SCALE_RESULTS" && scale_start_searchd "$f"; then
                echo "rss-start 0 $f sphinx $(scale_rss_kb "$(scale_daemon "$f" sphinx 3)")" >> "$SCALE_RESULTS"
                "$BIN/loadgen" -a "$(scale_daemon "$f" sphinx 4)" -q "$SCALE_QUERIES" -f sphinxql \
                    -n "$SCALE_N1" > "$LOGS/scale-warm-sphinx-x$f.out" 2>&1
            else
                SCALE_MISSING="${SCALE_MISSING}sphinx x$f: searchd did not start (bench/work/logs/scale-searchd-x$f.out); "
            fi ;;
        esac
    done
    round=1
    while [ "$round" -le "$SCALE_ROUNDS" ]; do
        for label in $(scale_rotate $((round - 1)) $SCALE_RUNS); do
            for f in $(scale_rotate $((round - 1)) $SCALE_FACTORS); do
                for sys in $(scale_rotate $((round - 1)) $SCALE_SYSTEMS); do
                    case " $(scale_runs_of "$sys") " in *" $label "*) ;; *) continue ;; esac
                    case $sys in
                    fts5) grep -q "^index $f fts5 ok" "$SCALE_RESULTS" || continue ;;
                    sphinx) [ -n "$(scale_daemon "$f" sphinx 4)" ] || continue ;;
                    esac
                    scale_query_one "$f" "$sys" "$label" "$round"
                done
            done
        done
        for f in $SCALE_FACTORS; do
            echo "rss $round $f newsd $(scale_rss_kb "$(scale_daemon "$f" newsd 3)")" >> "$SCALE_RESULTS"
            pid=$(scale_daemon "$f" sphinx 3)
            [ -n "$pid" ] && echo "rss $round $f sphinx $(scale_rss_kb "$pid")" >> "$SCALE_RESULTS"
        done
        round=$((round + 1))
    done
    for f in $SCALE_FACTORS; do
        kill -0 "$(scale_daemon "$f" newsd 3)" 2> /dev/null ||
            die "scale: newsd (x$f) died during the rounds: $(tail -n 3 "$LOGS/scale-newsd-x$f.err")"
    done
    scale_load_end=$(cut -d' ' -f1-3 /proc/loadavg)
    scale_date_end=$(date -u '+%H:%M UTC')
    scale_plots
    scale_cleanup
}

# The figures of the scale run as series for the plots, one line each:
#   FIGURE SERIES FACTOR DOCUMENTS VALUE
# (medians over rounds; FIGURE one of wall cpu size rss p50 p99 qps, SERIES a system or
# "system run").
scale_series() {
    awk "$MEDIAN_AWK"'
    $1 == "corpus" { docs[$2] = $3; next }
    $1 == "index" && $4 == "ok" {
        print "wall", $3, $2, docs[$2], $5; print "cpu", $3, $2, docs[$2], $8
        print "size", $3, $2, docs[$2], $6 / 1e6; next
    }
    $1 == "rss" { rss[$3 " " $4] = rss[$3 " " $4] " " $5; next }
    $1 == "query" && $6 == "ok" {
        k = $3 " " $4 " " $5; p50[k] = p50[k] " " $7; p99[k] = p99[k] " " $8; qps[k] = qps[k] " " $9
    }
    END {
        for (k in rss) { split(k, a, " "); print "rss", a[2], a[1], docs[a[1]], median(rss[k]) / 1024 }
        for (k in p50) {
            split(k, a, " ")
            print "p50", a[2] "-" a[3], a[1], docs[a[1]], median(p50[k])
            print "p99", a[2] "-" a[3], a[1], docs[a[1]], median(p99[k])
            print "qps", a[2] "-" a[3], a[1], docs[a[1]], median(qps[k])
        }
    }' "$SCALE_RESULTS" | sort -k1,1 -k2,2 -k3,3n
}

# One PNG per figure against the number of documents, log axes, under $SCALE_PLOTS.
scale_plots() {
    command -v gnuplot > /dev/null 2>&1 || {
        echo "bench: scale: no gnuplot (make bench-peers: Debian gnuplot-nox): no plots" >&2
        return 1
    }
    mkdir -p "$SCALE_PLOTS" "$SCALE_DIR/plot" || return 1
    rm -f "$SCALE_PLOTS"/*.png "$SCALE_DIR"/plot/*
    scale_series > "$SCALE_DIR/plot/series"
    for fig in wall cpu size rss p50 p99 qps; do
        case $fig in
        wall) title="Index build, wall time"; ylabel="seconds" ;;
        cpu) title="Index build, CPU time (user + system)"; ylabel="seconds" ;;
        size) title="Index size on disk"; ylabel="MB" ;;
        rss) title="Daemon VmRSS after the query rounds"; ylabel="MB" ;;
        p50) title="Query latency, p50"; ylabel="microseconds" ;;
        p99) title="Query latency, p99"; ylabel="microseconds" ;;
        qps) title="Queries per second"; ylabel="queries/s" ;;
        esac
        plots=
        for series in $(awk -v f="$fig" '$1 == f { print $2 }' "$SCALE_DIR/plot/series" | sort -u); do
            awk -v f="$fig" -v s="$series" '$1 == f && $2 == s { print $4, $5 }' \
                "$SCALE_DIR/plot/series" > "$SCALE_DIR/plot/$fig-$series.dat"
            plots="$plots${plots:+, }'$SCALE_DIR/plot/$fig-$series.dat' using 1:2 with linespoints title '$series'"
        done
        [ -n "$plots" ] || continue
        gnuplot <<EOF 2> "$LOGS/scale-gnuplot-$fig.err" || echo "bench: scale: gnuplot failed on $fig; see $LOGS/scale-gnuplot-$fig.err" >&2
set terminal pngcairo size 800,500
set output '$SCALE_PLOTS/scale-$fig.png'
set title '$title against corpus size (log axes)'
set logscale xy
set xlabel 'documents'
set ylabel '$ylabel'
set key outside right
set grid
plot $plots
EOF
    done
    rm -rf "$SCALE_DIR/plot"
}

# Prints the Markdown of the scale run from $SCALE_RESULTS.
scale_report() {
    top=$(echo $SCALE_FACTORS | awk '{ print $NF }')
    echo "## Scale: synthetic corpora of 1x to ${top}x $SCALE_PATHS, newsd against SQLite FTS5 and Sphinx"
    echo
    [ -n "$SCALE_MISSING" ] && echo "**Not run:** $SCALE_MISSING" && echo
    echo "- Commit: $SCALE_COMMIT; run $scale_date_start to $scale_date_end"
    qlog=$(basename "$SCALE_QUERIES")
    echo "- Corpora: \`bench/work/bin/make_scaled -x N -o DIR $SCALE_PATHS\` (bench/make_scaled.c:" \
         "real titles and sentences recombined into new documents with new ids, the input's" \
         "sources, topics, document lengths and dates moved forward up to N years; JSON Lines," \
         "10 files per 1x so newsindex's builders share the work), deleted after indexing." \
         "Text = title and body bytes as the readers give them (\`corpus_stats\` text_bytes)."
    echo "- Builds, one per corpus and system, the systems rotated: newsd \`$NEWSINDEX_NAME --index DIR --rebuild DIR/xN\`;" \
         "FTS5 \`fts5_index\` (porter unicode61, all columns stored) then FTS5's optimize (\`fts5_query -O\`), both timed;" \
         "Sphinx \`indexer\` fed by \`dump_xmlpipe2\` (stem_en, mem_limit 256M; Sphinx 2.2 stores no text). CPU = user + system of the whole process tree."
    echo "- Serving: newsd \`$SCALE_NEWSD --listen 127.0.0.1:0 --log-level warn\` with its default document cache, one daemon per corpus;" \
         "Sphinx searchd, SphinxQL, $(scale_sphinx_setup), one per corpus;" \
         "FTS5 in process (\`fts5_query\`). At 32 connections each peer has the set-up of newsd's workers and queue:" \
         "FTS5 $SCALE_POOL threads (as many as cores) fed from one queue by the 32 clients (\`fts5_query -P $SCALE_POOL -t 32\`)," \
         "searchd $SCALE_POOL connections fed from one queue by 32 clients (\`loadgen -c $SCALE_POOL -Q 32\`); \`make bench\` compares the one-thread-per-client set-ups too."
    echo "- Queries: \`$qlog\` ($SCALE_N1 requests; $(scale_log_shape)) in order on 1 connection," \
         "$SCALE_NT requests over 32; top 10; newsd text with stored fields (snippet=0) or snippet=1, FTS5 the same fields with and without \`snippet()\`," \
         "Sphinx ids only (no snippet runs: it keeps no text). One untimed checking pass per daemon, then $SCALE_ROUNDS round(s), the systems and corpora taking turns;" \
         "$(scale_cap_note)" \
         "load average $scale_load_start at start, $scale_load_end at the end."
    echo "- Cache hit rate: newsd's \`STATS\` doc_cache_hits / (hits + misses) over the rounds' runs of that row (per hit shown, whose stored fields come from the cache or the index)."
    echo
    awk -v factors="$SCALE_FACTORS" -v runs="$SCALE_RUNS" -v plots="$SCALE_PLOTS" "$MEDIAN_AWK"'
    function fmt(x, spec) { return x == "" ? "-" : sprintf(spec, x) }
    # Least-squares slope of log(y) on log(docs) over the factors with a value in arr[f].
    function slope(arr,    i, f, n, sx, sy, sxx, sxy, x, y) {
        n = 0; sx = sy = sxx = sxy = 0
        for (i = 1; i <= nf; i++) {
            f = F[i]
            if (!(f in arr) || arr[f] == "" || arr[f] <= 0) continue
            x = log(docs[f]); y = log(arr[f]); n++
            sx += x; sy += y; sxx += x * x; sxy += x * y
        }
        if (n < 2 || n * sxx - sx * sx == 0) return ""
        return (n * sxy - sx * sy) / (n * sxx - sx * sx)
    }
    # Median over rounds of v[key, r, f] / v[key, r, 1].
    function ratio(key, f,    r, s) {
        s = ""
        for (r = 1; r <= qro; r++)
            if (((key, r, f) in v) && ((key, r, 1) in v) && v[key, r, 1] > 0)
                s = s " " v[key, r, f] / v[key, r, 1]
        return s == "" ? "" : median(s)
    }
    $1 == "corpus" { docs[$2] = $3; bytes[$2] = $4; text[$2] = $6; next }
    $1 == "index" {
        if ($4 != "ok") { ifail[$2, $3] = 1; next }
        built[$2, $3] = 1; wall[$2, $3] = $5; isize[$2, $3] = $6; cpu[$2, $3] = $8; sys_seen[$3] = 1
        next
    }
    $1 == "table" { tb[$2, $3] = $4; tsum[$2] += $4; tnames[$3] = 1; next }
    $1 == "rss-start" { rss0[$3, $4] = $5; next }
    $1 == "rss" { rss[$3, $4] = rss[$3, $4] " " $5; next }
    $1 == "query" {
        if ($2 > qro) qro = $2
        k = $3 SUBSEP $4 SUBSEP $5
        if ($6 != "ok") { qfail[k]++; next }
        p50[k] = p50[k] " " $7; p99[k] = p99[k] " " $8; qps[k] = qps[k] " " $9; answered[k] = answered[k] " " $13
        v[$4 "-" $5 "-p50", $2, $3] = $7; v[$4 "-" $5 "-qps", $2, $3] = $9
        if ($11 != "-") { hits[k] += $11; miss[k] += $12 }
    }
    END {
        nf = split(factors, F, " "); nr = split(runs, R, " ")
        ns = split("newsd fts5 sphinx", S, " ")
        name["newsd"] = "newsd"; name["fts5"] = "SQLite FTS5"; name["sphinx"] = "Sphinx"
        print "### Builds and index size"
        print ""
        print "| corpus | documents | text MB | system | build wall s | build CPU s | docs/s (wall) | index MB | index / text |"
        print "|---|---|---|---|---|---|---|---|---|"
        for (i = 1; i <= nf; i++) {
            f = F[i]
            for (j = 1; j <= ns; j++) {
                s = S[j]
                if (!((f, s) in built)) {
                    if ((f, s) in ifail) printf "| %sx | %d | %.1f | %s | failed | | | | |\n", f, docs[f], text[f] / 1e6, name[s]
                    continue
                }
                printf "| %sx | %d | %.1f | %s | %.1f | %.1f | %.0f | %.1f | %.2f |\n", f, docs[f], text[f] / 1e6, name[s],
                    wall[f, s], cpu[f, s], docs[f] / wall[f, s], isize[f, s] / 1e6, isize[f, s] / text[f]
                W[s, f] = wall[f, s]; C[s, f] = cpu[f, s]; Z[s, f] = isize[f, s]
            }
        }
        print ""
        print "### Where newsd'"'"'s index bytes go (Xapian glass table files)"
        print ""
        hdr = "| corpus |"; sep = "|---|"
        nt = 0
        for (t in tnames) T[++nt] = t
        for (a = 1; a <= nt; a++) for (b = a + 1; b <= nt; b++) if (T[b] < T[a]) { x = T[a]; T[a] = T[b]; T[b] = x }
        for (a = 1; a <= nt; a++) { hdr = hdr " " T[a] " MB (share, bytes/text byte) |"; sep = sep "---|" }
        print hdr " all tables MB |"; print sep "---|"
        for (i = 1; i <= nf; i++) {
            f = F[i]
            if (!(f in tsum)) continue
            printf "| %sx |", f
            for (a = 1; a <= nt; a++) printf " %.1f (%.0f%%, %.2f) |", tb[f, T[a]] / 1e6, 100 * tb[f, T[a]] / tsum[f], tb[f, T[a]] / text[f]
            printf " %.1f |\n", tsum[f] / 1e6
        }
        print ""
        print "### Queries"
        print ""
        print "| run | corpus | system | p50 µs | p99 µs | queries/s | requests answered per round | newsd document-cache hit rate | p50 per round (µs) |"
        print "|---|---|---|---|---|---|---|---|---|"
        for (j = 1; j <= nr; j++) {
            l = R[j]; c = l; sub(/.*-/, "", c)
            what = (l ~ /^snip/ ? "snippets" : "no snippets") ", " c " conn" (c > 1 ? "s" : "")
            for (i = 1; i <= nf; i++) {
                f = F[i]
                for (jj = 1; jj <= ns; jj++) {
                    s = S[jj]; k = f SUBSEP s SUBSEP l
                    if (!(k in p50)) {
                        if (k in qfail) printf "| %s | %sx | %s | failed (%d runs; see bench/work/logs) | | | | | |\n", what, f, name[s], qfail[k]
                        continue
                    }
                    hr = (k in hits) && hits[k] + miss[k] > 0 ? sprintf("%.1f%% (%d of %d)", 100 * hits[k] / (hits[k] + miss[k]), hits[k], hits[k] + miss[k]) : (s == "newsd" ? "no hits" : "n/a")
                    m50 = median(p50[k]); m99 = median(p99[k]); mq = median(qps[k])
                    printf "| %s | %sx | %s | %.0f | %.0f | %.0f | %s | %s | %s |\n", what, f, name[s], m50, m99, mq, substr(answered[k], 2), hr, substr(p50[k], 2)
                    P50[s "-" l, f] = m50; P99[s "-" l, f] = m99; QPS[s "-" l, f] = mq
                    series[s "-" l] = 1
                }
            }
        }
        print ""
        print "### Memory"
        print ""
        print "| corpus | newsd VmRSS MB after start | newsd VmRSS MB after the rounds (median) | searchd VmRSS MB after start / after the rounds |"
        print "|---|---|---|---|"
        for (i = 1; i <= nf; i++) {
            f = F[i]
            printf "| %sx | %.1f | %.1f | %s |\n", f, rss0[f, "newsd"] / 1024, median(rss[f, "newsd"]) / 1024,
                ((f, "sphinx") in rss) ? sprintf("%.1f / %.1f", rss0[f, "sphinx"] / 1024, median(rss[f, "sphinx"]) / 1024) : "-"
            RSS["newsd", f] = median(rss[f, "newsd"]) / 1024
            if ((f, "sphinx") in rss) RSS["sphinx", f] = median(rss[f, "sphinx"]) / 1024
        }
        print ""
        print "### Growth"
        print ""
        print "The growth exponent is the slope of the least-squares line through (log documents, log figure) over every size run: 1 grows as the corpus, 0 not at all."
        if (nf == 2) print "With two sizes it is log(figure ratio) / log(size ratio)."
        print ""
        printf "| figure | series | exponent |"; for (i = 2; i <= nf; i++) printf " %sx / 1x |", F[i]; print ""
        printf "|---|---|---|"; for (i = 2; i <= nf; i++) printf "---|"; print ""
        for (j = 1; j <= ns; j++) {
            s = S[j]
            if (!(s in sys_seen)) continue
            delete a1; delete a2; delete a3
            for (i = 1; i <= nf; i++) { f = F[i]; if ((s, f) in W) { a1[f] = W[s, f]; a2[f] = C[s, f]; a3[f] = Z[s, f] } }
            growth_row("build wall time", name[s], a1); growth_row("build CPU time", name[s], a2); growth_row("index size", name[s], a3)
        }
        for (j = 1; j <= ns; j++) {
            s = S[j]; delete a1
            for (i = 1; i <= nf; i++) if ((s, F[i]) in RSS) a1[F[i]] = RSS[s, F[i]]
            if (((S[j], F[1]) in RSS)) growth_row("VmRSS after the rounds", name[s], a1)
        }
        for (jr = 1; jr <= nr; jr++) for (j = 1; j <= ns; j++) {
            sr = S[j] "-" R[jr]
            if (!(sr in series)) continue
            delete a1; delete a2; delete a3
            for (i = 1; i <= nf; i++) { f = F[i]; if ((sr, f) in P50) { a1[f] = P50[sr, f]; a2[f] = P99[sr, f]; a3[f] = QPS[sr, f] } }
            growth_row("p50", sr, a1); growth_row("p99", sr, a2); growth_row("queries/s", sr, a3)
        }
        print ""
        print "Plots (log axes, documents against the figure): [build wall](scale-plots/scale-wall.png), [build CPU](scale-plots/scale-cpu.png), [index size](scale-plots/scale-size.png), [VmRSS](scale-plots/scale-rss.png), [p50](scale-plots/scale-p50.png), [p99](scale-plots/scale-p99.png), [queries/s](scale-plots/scale-qps.png)."
        print ""
        print "### Goals (issue 22)"
        print ""
        top = F[nf]
        at = top == 100 ? "" : sprintf(" (**100x not run**: the figure is at %sx, the largest size run)", top)
        for (j = 1; j <= 2; j++) {
            l = j == 1 ? "fields-1" : "snip-1"
            x = ratio("newsd-" l "-p50", top)
            printf "- newsd p50 at 100x at most 3x its 1x value, %s: %s, %sx / 1x = %s%s\n", l == "fields-1" ? "no snippets, 1 connection" : "snippets, 1 connection",
                x == "" ? "not measured" : (x <= 3 ? "**met**" : "**not met**"), top, fmt(x, "%.2fx"), at
        }
        for (j = 1; j <= 2; j++) {
            l = j == 1 ? "fields-32" : "snip-32"
            line = ""; ok = 1; any = 0
            for (i = 1; i <= nf; i++) {
                f = F[i]; s = ""
                for (r = 1; r <= qro; r++) {
                    b = 0; who = ""
                    if (("fts5-" l "-qps", r, f) in v && v["fts5-" l "-qps", r, f] > b) { b = v["fts5-" l "-qps", r, f]; who = "FTS5" }
                    if (("sphinx-" l "-qps", r, f) in v && v["sphinx-" l "-qps", r, f] > b) { b = v["sphinx-" l "-qps", r, f]; who = "Sphinx" }
                    if (b > 0 && ("newsd-" l "-qps", r, f) in v) s = s " " v["newsd-" l "-qps", r, f] / b
                }
                if (s == "") { line = line sprintf(" %sx: no peer measured;", f); ok = 0; continue }
                x = median(s); any = 1
                if (x < 1.5) ok = 0
                line = line sprintf(" %sx: %.2fx;", f, x)
            }
            printf "- newsd queries/s at 32 connections at least 1.5x the better peer'"'"'s at every size, %s (median of per-round ratios to the better of FTS5 and Sphinx%s): %s,%s\n",
                l == "fields-32" ? "no snippets" : "snippets", l == "snip-32" ? "; Sphinx has no snippet runs, so FTS5 alone" : "",
                any ? (ok ? "**met**" : "**not met**") : "not measured", line
        }
        r = RSS["newsd", top]
        printf "- newsd VmRSS at 100x under 1 GB with the default cache: %s, %.1f MB at %sx%s\n", r == "" ? "not measured" : (r < 1024 ? "**met**" : "**not met**"), r, top, at
        line = ""; ok = 1
        for (i = 1; i <= nf; i++) { f = F[i]; if ((f, "newsd") in built) { x = isize[f, "newsd"] / text[f]; if (x > 3) ok = 0; line = line sprintf(" %sx: %.2fx;", f, x) } }
        printf "- newsd index size at most 3x the text: %s,%s (FTS5:", ok ? "**met**" : "**not met**", line
        for (i = 1; i <= nf; i++) { f = F[i]; if ((f, "fts5") in built) printf " %sx %.2fx;", f, isize[f, "fts5"] / text[f] }
        print ")"
    }
    function growth_row(what, s, arr,    i, x) {
        x = slope(arr)
        printf "| %s | %s | %s |", what, s, fmt(x, "%.2f")
        for (i = 2; i <= nf; i++) {
            x = "-"
            if ((F[i] in arr) && (F[1] in arr) && arr[F[1]] > 0) x = sprintf("%.2fx", arr[F[i]] / arr[F[1]])
            printf " %s |", x
        }
        print ""
    }' "$SCALE_RESULTS"
}

# How the query runs are bounded, for the report.
scale_cap_note() {
    if [ "$SCALE_RUN_SECONDS" -gt 0 ] 2> /dev/null; then
        echo "each run ends after ${SCALE_RUN_SECONDS} s (\`-D $SCALE_RUN_SECONDS\`) or with the log, whichever comes first: its figures are those of the requests answered (the table gives how many)."
    else
        echo "each run sends the whole log."
    fi
}

scale_sphinx_setup() {
    if [ "$SCALE_SPHINX_WORKERS" = thread_pool ]; then
        echo "\`workers = thread_pool\`, \`max_children = $(nproc)\` (as many threads as cores)"
    else
        echo "\`workers = threads\` (a thread per connection: this build of Sphinx refuses \`workers = thread_pool\`, so the pool of as many threads as cores could not be set up)"
    fi
}

# The shape of the query log: requests, distinct queries, those sent once, the most
# repeated one's count.
scale_log_shape() {
    sort "$SCALE_QUERIES" | uniq -c | awk '{ n += $1; d++; if ($1 == 1) o++; if ($1 > t) t = $1 }
        END { printf "%d distinct, %d sent once, the most repeated %d times", d, o, t }'
}
