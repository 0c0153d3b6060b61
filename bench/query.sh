# shellcheck shell=sh
# bench/query.sh: the query half of `make bench`, sourced by bench/run.sh (which sets
# ROOT, WORK, BIN, LOGS, QUICK, TIMEOUT and die/now/sanitized/have_sqlite).
#
# It indexes the Reuters-21578 corpus once with bin/newsindex (and with FTS5 and Sphinx),
# starts bin/newsd on a free TCP port and a Unix socket in a temporary folder, and
# runs the query log (bench/queries.txt, made by make_querylog.c) in rounds.  Each
# round runs every measurement once, interleaved, the starting point rotated every
# round, and the table shows medians over rounds; every comparison is the median of
# the per-round differences or ratios of runs made side by side in the same round:
#   - the in-process C API (query_inproc), and raw Xapian returning ids only
#     (xapian_ids) as the ceiling, against newsd over loopback TCP and over the Unix
#     socket (loadgen), one connection, the same queries in the same order; the poll-
#     runs do it with a client that polls for its reply without sleeping (loadgen -P),
#     the fair partner of an in-process loop, which never sleeps either;
#   - newsd throughput at 1, 8 and 32 connections, snippets off and on (snippet=1, and
#     snippet=best at 1 and 32: the work FTS5's snippet() does);
#   - SEARCH with facets=source,topic,month (JSON, snippets on) beside the same SEARCH
#     without facets, one connection (issue 17: at most TARGET_FACETS times its p50);
#   - SIMILAR of the top hit of each query (JSON, snippets on) beside that SEARCH, one
#     connection (issue 19: at most TARGET_SIMILAR times its p50);
#   - SEARCH with recency=RECENCY_DAYS (JSON, snippets on) beside the same SEARCH without,
#     one connection (issue 19: at most TARGET_RECENCY times its p50);
#   - SEARCH with near-duplicates not folded (collapse=0) beside the wire's default,
#     folded (JSON, snippets on), one connection (issue 16: folding at most TARGET_FOLD
#     times the p50 without);
#   - newsd's HTTP API (GET /search, loadgen -f http) beside the same SEARCH over the
#     line protocol in JSON, at 1 and 32 connections (issue 20: p50 at most
#     TARGET_HTTP_P50 times, queries/s at least TARGET_HTTP_QPS times the line's);
#   - SQLite FTS5 in-process (fts5_query) in two set-ups: a thread and connection per
#     client at 1, 8 and 32 (fts5-), and 8 or 32 clients queueing for a pool of one
#     thread per core (fts5pool-, fts5_query -P), the equal of newsd's workers and queue;
#   - Sphinx searchd (`workers = threads`) over SphinxQL (loadgen -f sphinxql) in two
#     set-ups: a connection, so a searchd thread, per client at 1, 8 and 32 (sphinx-),
#     and 8 or 32 clients queueing for one connection per core (sphinxpool-, loadgen
#     -Q: one searchd thread per core fed from one queue);
#     p99 is compared only between equal set-ups (the pools against newsd);
#   - whole `bin/newsq` processes (proctime), when bin/newsq exists;
#   - newsd's VmRSS after each round's load;
#   - before the rounds, the exact hit count of every query in newsd (query_inproc -o),
#     FTS5 (fts5_query -o) and Sphinx (sphinx_count), reported side by side
#     (hits_report) so that no speed figure is bought with missed results.
#
# Environment (besides run.sh's):
#   BENCH_QUERY_ROUNDS=N   rounds (default 7; 1 when quick)
#   BENCH_QUERY_PATHS="P"  what to index and serve (default corpus/reuters21578, the
#                          corpus the issues' targets were measured on; quick: 3 files)
#   BENCH_QUERIES=FILE     the query log (default bench/queries.txt); zipf: the log of
#                          realistic shape, bench/queries-zipf.txt (bench/README.md)
#   BENCH_NEWSQ_QUERY=Q    the query newsq processes ask (default "oil prices")
#   BENCH_SPHINX=0         leave Sphinx searchd out even when it is installed
#   BENCH_NEWSD=P, BENCH_NEWSQ=P   the daemon and client to time (default bin/newsd,
#                          bin/newsq; newsd must be a release build)
#   BENCH_QUERY_RUNS="L .."  only these measurements (labels of QUERY_RUNS below), e.g.
#                          "tcp-json-snip-1 tcp-facets-snip-1" for the facets comparison
#                          alone, "tcp-json-snip-1 http-json-snip-1 tcp-json-snip-32
#                          http-json-snip-32" for HTTP against the line protocol
#
# Lists of paths, flags and commands are split on purpose.
# shellcheck disable=SC2046,SC2086,SC2154

QUERIES=${BENCH_QUERIES:-$ROOT/bench/queries.txt}
[ "$QUERIES" = zipf ] && QUERIES=$ROOT/bench/queries-zipf.txt
NEWSD=${BENCH_NEWSD:-bin/newsd}
NEWSQ=${BENCH_NEWSQ:-bin/newsq}
NEWSQ_QUERY=${BENCH_NEWSQ_QUERY:-oil prices}
HITS_TOP=12   # queries listed under the largest hit-count differences
# Targets, from issue 3 (daemon), issue 4 (newsq) and issue 7 (peers).
TARGET_LOOPBACK_US=60
TARGET_SCALING=1.8
TARGET_VS_FTS5=1.5
TARGET_NEWSQ_MS=3
# Issue 17: a SEARCH with facets=source,topic,month at most this many times the p50 of
# the same SEARCH without.
TARGET_FACETS=2
FACETS=source,topic,month
# Issue 19: SIMILAR of an article at most this many times the p50 of a plain SEARCH.
TARGET_SIMILAR=3
# Issue 19: a SEARCH with recency=RECENCY_DAYS at most this many times the p50 of the
# same SEARCH without.
TARGET_RECENCY=1.2
RECENCY_DAYS=30
# Issue 16: a SEARCH folding near-duplicates (collapse=1, the default) at most this many
# times the p50 of the same SEARCH with collapse=0.
TARGET_FOLD=1.1
# Issue 20: HTTP /search p50 at most this many times the line protocol's (JSON, one
# connection), and its queries/s at 32 connections at least this fraction of it.
TARGET_HTTP_P50=1.3
TARGET_HTTP_QPS=0.8

if [ "$QUICK" = 1 ]; then
    QROUNDS=${BENCH_QUERY_ROUNDS:-1}
    QUERY_PATHS=${BENCH_QUERY_PATHS:-corpus/reuters21578/reut2-000.sgm.gz \
corpus/reuters21578/reut2-001.sgm.gz corpus/reuters21578/reut2-002.sgm.gz}
    N1=500      # requests of a one-connection run: the first N1 queries of the log
    NT=1000     # requests of a concurrent run, spread over the connections
    NQ=30       # newsq processes per round
else
    QROUNDS=${BENCH_QUERY_ROUNDS:-7}
    QUERY_PATHS=${BENCH_QUERY_PATHS:-corpus/reuters21578}
    N1=$(grep -c . "$QUERIES")
    NT=4000
    NQ=200
fi

# One measurement per label (WHO-WHAT-CONNECTIONS); the order keeps the runs that are
# compared next to each other (in-process, TCP and Unix of the same queries; newsd,
# FTS5 and Sphinx at the same concurrency).
QUERY_RUNS="tcp-ping-1 unix-ping-1 inproc-snip-1 tcp-snip-1 unix-snip-1 tcp-json-snip-1 http-json-snip-1
            tcp-facets-snip-1 tcp-similar-snip-1 tcp-recency-snip-1 tcp-nofold-snip-1 tcp-json-snip-32 http-json-snip-32
            poll-tcp-snip-1 poll-unix-snip-1
            inproc-fields-1 tcp-fields-1 unix-fields-1 inproc-count-1 nocache-inproc-fields-1
            tcp-fields-8 tcp-fields-32 nocache-tcp-fields-32 fts5-fields-32 fts5pool-fields-32
            sphinx-ids-32 sphinxpool-ids-32 sphinxpool-ids-8 sphinx-ids-8
            fts5pool-fields-8 fts5-fields-8 fts5-fields-1 sphinx-ids-1
            inproc-fields-32 xapian-ids-32 xapian-ids-1
            tcp-snip-8 tcp-snip-32 nocache-tcp-snip-32 fts5-snip-32 fts5pool-snip-32 tcp-best-32
            fts5-snip-8 fts5-snip-1 tcp-best-1
            newsq true"
[ -n "${BENCH_QUERY_RUNS:-}" ] && QUERY_RUNS=$BENCH_QUERY_RUNS

QTMP=
NEWSD_PID=
NC_PID=
SEARCHD_PID=
SPHINX_ADDR=
# The threads of the peers' pool set-ups (fts5pool-, sphinxpool-): one per core, as
# newsd's default workers.
POOL=$(nproc)
# The peers (or their set-ups) the query half could not run, each with its reason and
# a "; ": run.sh names them in the results' first line.
QMISSING=

query_cleanup() {
    for pid in $SEARCHD_PID $NEWSD_PID $NC_PID; do
        kill "$pid" 2> /dev/null
        wait "$pid" 2> /dev/null
    done
    NEWSD_PID= NC_PID= SEARCHD_PID=
    [ -n "$QTMP" ] && rm -rf "$QTMP"
    QTMP=
}

query_available() {
    case $1 in
    fts5-* | fts5pool-*) have_sqlite && [ -x "$BIN/fts5_query" ] && [ -s "$QTMP/news.db" ] ;;
    sphinx-* | sphinxpool-*) [ -n "$SPHINX_ADDR" ] ;;
    newsq | true) [ -x "$NEWSQ" ] ;;
    *) true ;;
    esac
}

# Starts newsd on the index with ERRFILE as its stderr and the further options given,
# and waits for its ready line: sets LAUNCHED_PID and LAUNCHED_TCP (its TCP address).
launch_newsd() {
    err=$1; shift
    "$NEWSD" --index "$QTMP/idx" --listen 127.0.0.1:0 --log-level warn "$@" 2> "$err" &
    LAUNCHED_PID=$!
    # Wait for the ready line (it names the real port), with a deadline.
    tries=0
    while ! grep -q '^newsd: ready' "$err" 2> /dev/null; do
        kill -0 "$LAUNCHED_PID" 2> /dev/null || die "newsd exited: $(tail -n 3 "$err")"
        tries=$((tries + 1))
        [ "$tries" -gt 300 ] && die "newsd not ready after 30 s"
        sleep 0.1
    done
    LAUNCHED_TCP=$(sed -n 's/^newsd: ready.* listen=\(127\.0\.0\.1:[0-9]*\).*/\1/p' "$err" | head -n 1)
    [ -n "$LAUNCHED_TCP" ] || die "no TCP address in newsd's ready line: $(head -n 1 "$err")"
}

# Starts the measured newsd (TCP and a Unix socket; TCP_ADDR, UNIX_ADDR, NEWSD_PID) and
# a second one without the document cache (--doc-cache-mb 0; NC_ADDR, NC_PID) for the
# nocache- runs, which show what the cache is worth.
start_newsd() {
    UNIX_ADDR=unix:$QTMP/newsd.sock
    launch_newsd "$LOGS/newsd.err" --listen "$UNIX_ADDR" --http 127.0.0.1:0
    NEWSD_PID=$LAUNCHED_PID TCP_ADDR=$LAUNCHED_TCP
    HTTP_ADDR=$(sed -n 's/^newsd: ready.* http=\(127\.0\.0\.1:[0-9]*\).*/\1/p' "$LOGS/newsd.err" | head -n 1)
    [ -n "$HTTP_ADDR" ] || die "no HTTP address in newsd's ready line: $(head -n 1 "$LOGS/newsd.err")"
    launch_newsd "$LOGS/newsd-nocache.err" --doc-cache-mb 0
    NC_PID=$LAUNCHED_PID NC_ADDR=$LAUNCHED_TCP
}

rss_kb() {
    sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2> /dev/null
}

# Starts searchd on the Sphinx index in DIR (DIR/base.conf) with the workers set-up
# WORKERS (lines of the searchd section) on a free port with SphinxQL; sets
# LAUNCHED_SPHINX_ADDR and LAUNCHED_SEARCHD_PID, or leaves them empty.
launch_searchd() {
    sdir=$1 workers=$2 first_try=$3
    LAUNCHED_SPHINX_ADDR= LAUNCHED_SEARCHD_PID=
    # searchd cannot be asked for any free port: try a few, each checked by a real query.
    try=$first_try
    while [ "$try" -lt $((first_try + 5)) ]; do
        port=$((20000 + ($$ * 7 + try * 131) % 30000))
        {
            cat "$sdir/base.conf"
            cat <<EOF
searchd
{
    listen = 127.0.0.1:$port:mysql41
    log = $sdir/searchd.log
    pid_file = $sdir/searchd.pid
    # One process, no crash-restarting parent, so \$! is searchd and kill stops it.
    watchdog = 0
$workers
    binlog_path =
    # Tuned as issue 7 says: larger read buffers for doclists and hitlists.
    read_buffer = 1M
    read_unhinted = 256K
}
EOF
        } > "$sdir/sphinx.conf"
        searchd --config "$sdir/sphinx.conf" --nodetach > "$sdir/searchd.out" 2>&1 &
        LAUNCHED_SEARCHD_PID=$!
        tries=0
        while kill -0 "$LAUNCHED_SEARCHD_PID" 2> /dev/null && [ "$tries" -lt 100 ]; do
            if "$BIN/loadgen" -a "127.0.0.1:$port" -q "$QUERIES" -f sphinxql -n 1 \
                   > /dev/null 2>&1; then
                LAUNCHED_SPHINX_ADDR=127.0.0.1:$port
                return 0
            fi
            tries=$((tries + 1))
            sleep 0.1
        done
        kill "$LAUNCHED_SEARCHD_PID" 2> /dev/null
        wait "$LAUNCHED_SEARCHD_PID" 2> /dev/null
        LAUNCHED_SEARCHD_PID=
        try=$((try + 1))
    done
    cp "$sdir/searchd.out" "$LOGS/query-searchd-$(basename "$sdir").out" 2> /dev/null
    cp "$sdir/searchd.log" "$LOGS/query-searchd-$(basename "$sdir").log" 2> /dev/null
    return 1
}

# Indexes the same input with Sphinx's indexer (run.sh's config: stem_en, xmlpipe2 from
# the daemon's readers) and starts searchd on it with `workers = threads` (SPHINX_ADDR,
# SEARCHD_PID), or leaves SPHINX_ADDR empty with a reason in QMISSING.  The pool
# set-up (sphinxpool- runs) is this searchd behind loadgen's queue (-Q): POOL
# connections, so POOL searchd threads, fed from one queue by the clients; Debian's
# Sphinx 2.2.11 refuses `workers = thread_pool` ("unknown workers=thread_pool value").
start_searchd() {
    sdir=$QTMP/sphinx
    mkdir -p "$sdir"
    write_sphinx_conf "$sdir/base.conf" "$sdir" $QUERY_PATHS
    if ! indexer --config "$sdir/base.conf" --all > "$LOGS/query-sphinx-indexer.out" 2>&1 ||
       grep -q '^ERROR' "$LOGS/query-sphinx-indexer.out"; then
        echo "bench: query: Sphinx indexer failed; see $LOGS/query-sphinx-indexer.out" >&2
        QMISSING="${QMISSING}Sphinx searchd (its indexer failed: bench/work/logs/query-sphinx-indexer.out); "
        return 0
    fi
    # max_children bounds the connections here, 128 being far above the 32 of a run.
    if launch_searchd "$sdir" "    workers = threads
    max_children = 128" 0; then
        SPHINX_ADDR=$LAUNCHED_SPHINX_ADDR SEARCHD_PID=$LAUNCHED_SEARCHD_PID
    else
        echo "bench: query: searchd did not start; see $LOGS/query-searchd-sphinx.*" >&2
        QMISSING="${QMISSING}Sphinx searchd (did not start: bench/work/logs/query-searchd-sphinx.*); "
    fi
}

# The command of one measurement, on stdout (one line, split by the caller).
query_command() {
    label=${1#poll-}
    # poll-: the client polls for its replies without sleeping (loadgen -P)
    spin=
    [ "$label" != "$1" ] && spin=-P
    conns=${label##*-}
    n=$N1
    [ "$conns" -gt 1 ] && n=$NT
    case $label in
    xapian-ids-*) echo "$BIN/xapian_ids -i $QTMP/idx -q $QUERIES -t $conns -n $n" ;;
    # In-process readers first serve their queries once, untimed (-w): the state of the
    # daemon's document caches, which have served them in the setup and earlier rounds.
    inproc-*) m=${label#inproc-}; m=${m%-*}
              echo "$BIN/query_inproc -i $QTMP/idx -q $QUERIES -m $m -t $conns -n $n -w" ;;
    nocache-inproc-*) m=${label#nocache-inproc-}; m=${m%-*}
              echo "$BIN/query_inproc -i $QTMP/idx -q $QUERIES -m $m -t $conns -n $n -C 0" ;;
    nocache-tcp-*) s=0
              case $label in *-snip-*) s=1 ;; esac
              echo "$BIN/loadgen -a $NC_ADDR -q $QUERIES -s $s -c $conns -n $n" ;;
    fts5-*) m=${label#fts5-}; m=${m%-*}
            echo "$BIN/fts5_query -d $QTMP/news.db -q $QUERIES -m $m -t $conns -n $n" ;;
    fts5pool-*) m=${label#fts5pool-}; m=${m%-*}
            echo "$BIN/fts5_query -d $QTMP/news.db -q $QUERIES -m $m -t $conns -P $POOL -n $n" ;;
    sphinx-ids-*) echo "$BIN/loadgen -a $SPHINX_ADDR -q $QUERIES -f sphinxql -c $conns -n $n" ;;
    sphinxpool-ids-*) echo "$BIN/loadgen -a $SPHINX_ADDR -q $QUERIES -f sphinxql -c $POOL -Q $conns -n $n" ;;
    tcp-ping-* | unix-ping-*)
        addr=$TCP_ADDR
        case $label in unix-*) addr=$UNIX_ADDR ;; esac
        echo "$BIN/loadgen -a $addr -q $QUERIES -f ping -c $conns -n $n" ;;
    tcp-json-snip-*) echo "$BIN/loadgen -a $TCP_ADDR -q $QUERIES -f json -s 1 -c $conns -n $n" ;;
    http-json-snip-*) echo "$BIN/loadgen -a $HTTP_ADDR -q $QUERIES -f http -s 1 -c $conns -n $n" ;;
    tcp-facets-snip-*)
        echo "$BIN/loadgen -a $TCP_ADDR -q $QUERIES -f json -s 1 -F $FACETS -c $conns -n $n" ;;
    tcp-similar-snip-*)
        echo "$BIN/loadgen -a $TCP_ADDR -q $QTMP/similar-ids -f json -s 1 -S -c $conns -n $n" ;;
    tcp-nofold-snip-*)
        echo "$BIN/loadgen -a $TCP_ADDR -q $QUERIES -f json -s 1 -U -c $conns -n $n" ;;
    tcp-recency-snip-*)
        echo "$BIN/loadgen -a $TCP_ADDR -q $QUERIES -f json -s 1 -R $RECENCY_DAYS -c $conns -n $n" ;;
    tcp-* | unix-*)
        addr=$TCP_ADDR
        case $label in unix-*) addr=$UNIX_ADDR ;; esac
        s=0
        case $label in *-snip-*) s=1 ;; *-best-*) s=best ;; esac
        echo "$BIN/loadgen -a $addr -q $QUERIES -s $s -c $conns -n $n $spin" ;;
    esac
}

# Runs one measurement and appends "round label status queries errors hits matched
# p50 p99 mean qps took50" to $QRESULTS (took50: newsd's own took_us p50, or -).
query_one() {
    label=$1 round=$2
    log=$LOGS/query-$round-$label
    case $label in
    # The query has spaces, so these two are not built as one line.
    newsq) timeout "$TIMEOUT" "$BIN/proctime" -n "$NQ" -L newsq -- "$NEWSQ" -a "$UNIX_ADDR" \
               "$NEWSQ_QUERY" > "$log.out" 2> "$log.err" ;;
    true) timeout "$TIMEOUT" "$BIN/proctime" -n "$NQ" -L true -- /bin/true \
              > "$log.out" 2> "$log.err" ;;
    *) timeout "$TIMEOUT" $(query_command "$label") > "$log.out" 2> "$log.err" ;;
    esac
    rc=$?
    line=$(grep 'p50_us=' "$log.out" | tail -n 1)
    status=ok
    if [ "$rc" != 0 ] || [ -z "$line" ]; then
        status=failed
        echo "bench: query $label (round $round) failed, status $rc; last lines of $log.err:" >&2
        tail -n 3 "$log.err" >&2
    fi
    get() { echo "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
    took=$(sed -n 's/.* took_us_p50=\([0-9.]*\).*/\1/p' "$log.out" | tail -n 1)
    echo "$round $label $status $(get queries) $(get errors) $(get hits) $(get matched)" \
         "$(get p50_us) $(get p99_us) $(get mean_us) $(get qps) ${took:--}" >> "$QRESULTS"
    printf 'bench: query %-16s round %d: p50 %s us, p99 %s us, %s q/s, %s errors, %s\n' \
        "$label" "$round" "$(get p50_us)" "$(get p99_us)" "$(get qps)" "$(get errors)" \
        "$status" >&2
}

# Everything the rounds need, built once: the index, the FTS5 database, the daemon.
query_setup() {
    [ -x "$NEWSD" ] || die "no $NEWSD (make)"
    [ -s "$QUERIES" ] || die "no query log $QUERIES (see bench/make_querylog.c)"
    QTMP=$(mktemp -d "$WORK/query.XXXXXX") || die "mktemp failed"
    # Copies, as run.sh does for newsindex: bin/ may be rebuilt during the run.
    cp "$NEWSD" "$QTMP/newsd" || die "cannot copy $NEWSD"
    NEWSD_NAME=$NEWSD NEWSD=$QTMP/newsd
    sanitized "$NEWSD" && die "$NEWSD_NAME is a sanitizer build, not timed (run make)"
    if [ -x "$NEWSQ" ]; then
        cp "$NEWSQ" "$QTMP/newsq" || die "cannot copy $NEWSQ"
        NEWSQ=$QTMP/newsq
    fi
    trap 'query_cleanup' EXIT
    trap 'query_cleanup; exit 1' INT TERM
    # Per-query counts of an earlier run must not stand in for a system that fails now.
    rm -f "$LOGS"/counts-*.txt
    echo "bench: query: indexing $QUERY_PATHS" >&2
    { "$NEWSINDEX" --index "$QTMP/idx" --rebuild $QUERY_PATHS 2> "$LOGS/query-newsindex.err"
      echo $? > "$QTMP/rc"; } | cat > "$LOGS/query-newsindex.out"
    [ "$(cat "$QTMP/rc")" = 0 ] || die "newsindex failed: $(tail -n 3 "$LOGS/query-newsindex.err")"
    QDOCS=$(sed -n 's/.*added=\([0-9]*\).*/\1/p' "$LOGS/query-newsindex.out" | tail -n 1)
    QINDEX_BYTES=$(du -sb "$QTMP/idx" | cut -f1)
    QFTS5_BYTES=
    if have_sqlite && [ -x "$BIN/fts5_query" ]; then
        # fts5_index leaves the database as a bulk load does; -O merges it, untimed.
        if "$BIN/fts5_index" "$QTMP/news.db" $QUERY_PATHS > "$LOGS/query-fts5.out" 2>&1 &&
           "$BIN/fts5_query" -O -d "$QTMP/news.db" -q "$QUERIES" -m exact \
               -o "$LOGS/counts-fts5.txt" > "$LOGS/query-fts5-exact.out" 2>> "$LOGS/query-fts5.out"; then
            QFTS5_BYTES=$(du -sb "$QTMP/news.db" | cut -f1)
        else
            echo "bench: query: FTS5 database failed; see $LOGS/query-fts5.out" >&2
            QMISSING="${QMISSING}FTS5 queries (its database failed: bench/work/logs/query-fts5.out); "
            rm -f "$QTMP/news.db"
        fi
    else
        QMISSING="${QMISSING}FTS5 queries (libsqlite3-dev not installed: make bench-peers); "
    fi
    start_newsd
    if [ "${BENCH_SPHINX:-1}" != 1 ]; then
        QMISSING="${QMISSING}Sphinx searchd (left out: BENCH_SPHINX=0); "
    elif command -v searchd > /dev/null 2>&1 && command -v indexer > /dev/null 2>&1; then
        start_searchd
    else
        QMISSING="${QMISSING}Sphinx searchd (not installed: make bench-peers); "
    fi
    QRSS_IDLE=$(rss_kb "$NEWSD_PID")
    echo "bench: query: newsd pid $NEWSD_PID on $TCP_ADDR and $UNIX_ADDR, $QDOCS docs; without the document cache: pid $NC_PID on $NC_ADDR" >&2
    # Hit totals (exact counts) and a full check of the replies; these passes also warm
    # the page cache for the timed rounds.
    "$BIN/query_inproc" -i "$QTMP/idx" -q "$QUERIES" -m exact -o "$LOGS/counts-newsd.txt" \
        > "$LOGS/query-inproc-exact.out" ||
        die "query_inproc failed: $(tail -n 3 "$LOGS/query-inproc-exact.out")"
    if [ -n "$SPHINX_ADDR" ] &&
       ! "$BIN/sphinx_count" -a "$SPHINX_ADDR" -q "$QUERIES" -o "$LOGS/counts-sphinx.txt" \
           > "$LOGS/query-sphinx-count.out" 2>&1; then
        echo "bench: query: sphinx_count failed; see $LOGS/query-sphinx-count.out" >&2
        rm -f "$LOGS/counts-sphinx.txt"
    fi
    # SIMILAR's articles: the top hit of each query of the log (a reader asking for the
    # stories related to the first result), as many as the queries.
    python3 - "$TCP_ADDR" "$QUERIES" > "$QTMP/similar-ids" <<'PY' ||
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
f = s.makefile("rb")
queries = [q for q in open(sys.argv[2], encoding="utf-8").read().split("\n") if q]
ids = []
for q in queries:
    s.sendall(("SEARCH limit=1 snippet=0 -- %s\n" % q).encode())
    line = f.readline().decode()
    if not line.startswith("OK"):
        continue
    while True:
        line = f.readline().decode().rstrip("\n")
        if line == "END":
            break
        # A hit's line starts with its rank; did_you_mean and query lines are notes.
        if line.split("\t")[0].isdigit():
            ids.append(line.split("\t")[1])
for i in range(len(queries)):
    print(ids[i % len(ids)])
PY
        die "cannot list the articles for SIMILAR"
    QVERIFY=
    for f in "text -s 0" "text -s 1" "json -s 0 -V" "json -s 1 -V" "json -s 1 -V -F $FACETS"; do
        "$BIN/loadgen" -a "$TCP_ADDR" -q "$QUERIES" -n "$N1" -f $f -L "verify" > "$LOGS/query-verify.out" \
            2> "$LOGS/query-verify.err"
        QVERIFY="$QVERIFY$(sed -n 's/.* queries=\([0-9]*\) errors=\([0-9]*\).*/\1 \2/p' \
            "$LOGS/query-verify.out" | tail -n 1) "
    done
}

query_bench() {
    QRESULTS=$WORK/query-results.txt
    : > "$QRESULTS"
    query_setup
    # The runs whose system is not running, kept as marked rows in the table.
    QUNAVAILABLE=
    for label in $QUERY_RUNS; do
        query_available "$label" || QUNAVAILABLE="$QUNAVAILABLE $label"
    done
    qload_start=$(cut -d' ' -f1-3 /proc/loadavg)
    n=0
    for label in $QUERY_RUNS; do n=$((n + 1)); done
    round=1
    while [ "$round" -le "$QROUNDS" ]; do
        # Rotate by three runs a round, so each keeps its neighbours but none is always first.
        i=0 head='' tail=''
        for label in $QUERY_RUNS; do
            if [ "$i" -lt $(( (round - 1) * 3 % n )) ]; then tail="$tail $label"; else head="$head $label"; fi
            i=$((i + 1))
        done
        for label in $head $tail; do
            query_available "$label" && query_one "$label" "$round"
        done
        echo "$round rss $(rss_kb "$NEWSD_PID")" >> "$QRESULTS"
        echo "$round rss-nocache $(rss_kb "$NC_PID")" >> "$QRESULTS"
        [ -n "$SEARCHD_PID" ] && echo "$round rss-searchd $(rss_kb "$SEARCHD_PID")" >> "$QRESULTS"
        round=$((round + 1))
    done
    qload_end=$(cut -d' ' -f1-3 /proc/loadavg)
    kill -0 "$NEWSD_PID" 2> /dev/null || die "newsd died during the rounds: $(tail -n 3 "$LOGS/newsd.err")"
    kill -0 "$NC_PID" 2> /dev/null ||
        die "newsd --doc-cache-mb 0 died during the rounds: $(tail -n 3 "$LOGS/newsd-nocache.err")"
    # The measured daemon's document cache after the rounds (STATS doc_cache_*).
    QCACHE=$("$NEWSQ" -a "$TCP_ADDR" stats 2> /dev/null | awk '
        $1 == "doc_cache_hits" { h = $2 } $1 == "doc_cache_misses" { m = $2 }
        $1 == "doc_cache_docs" { d = $2 } $1 == "doc_cache_bytes" { b = $2 }
        END { if (h + m > 0) printf "%d %d %d %d", h, m, d, b }')
}

# Prints the side-by-side hit counts from the per-query files the setup wrote
# ($LOGS/counts-SYSTEM.txt, "COUNT<TAB>QUERY" in log order): totals, agreement with newsd,
# the median ratio, and the queries with the largest differences.
hits_report() {
    base=$LOGS/counts-newsd.txt
    if [ ! -s "$base" ]; then
        echo "Hit counts: not measured (no per-query counts from the C API)."
        return 0
    fi
    files="$base"
    names="newsd"
    for s in fts5 sphinx; do
        if [ -s "$LOGS/counts-$s.txt" ]; then
            files="$files $LOGS/counts-$s.txt"
            names="$names $s"
        fi
    done
    awk -v names="$names" -v top="$HITS_TOP" "$MEDIAN_AWK"'
    # Prints the n queries (phrases only if phrases_only) furthest from newsd in documents.
    function show(n, phrases_only, title,    t, i, best, q, k, used) {
        printf "\n" title "\n\n", n
        printf "| query |"; for (k = 1; k <= ns; k++) printf " %s |", sys[k]; print ""
        printf "|---|"; for (k = 1; k <= ns; k++) printf "---|"; print ""
        for (t = 1; t <= n; t++) {
            best = 0
            for (i = 1; i <= nq; i++)
                if (!(i in used) && d[i] > 0 && (!phrases_only || phrase[i]) && (best == 0 || d[i] > d[best])) best = i
            if (best == 0) break
            used[best] = 1
            q = query[best]; gsub(/\|/, "\\|", q)
            printf "| `%s` |", q; for (k = 1; k <= ns; k++) printf " %s |", c[sys[k], best]; print ""
        }
    }
    BEGIN {
        FS = "\t"
        ns = split(names, sys, " ")
        label["newsd"] = "newsd (C API, `newsidx_count`)"
        label["fts5"] = "SQLite FTS5 (`count(*) ... MATCH`)"
        label["sphinx"] = "Sphinx searchd (`SHOW META` total_found)"
    }
    FNR == 1 { k++ }
    {
        s = sys[k]
        if (k == 1) { nq = FNR; query[FNR] = $2 }
        else if ($2 != query[FNR]) { mismatch[s] = 1 }
        c[s, FNR] = $1
        if ($1 == "error") { errors[s]++; next }
        total[s] += $1; hit[s] += $1 > 0
    }
    END {
        print "| system | matching documents, summed over the queries | queries with a hit | errors | same count as newsd | more than newsd | fewer than newsd | median ratio to newsd (all queries; queries that differ) | phrase queries with newsd'"'"'s count | word queries with newsd'"'"'s count |"
        print "|---|---|---|---|---|---|---|---|---|---|"
        for (i = 1; i <= nq; i++) { phrase[i] = query[i] ~ /"/; nphr += phrase[i] }
        for (k = 1; k <= ns; k++) {
            s = sys[k]
            if (s == "newsd") {
                printf "| %s | %d | %d of %d | %d | (the reference) | | | | | |\n", label[s], total[s], hit[s], nq, errors[s]
                continue
            }
            if (mismatch[s]) { printf "| %s | not compared: its queries are not the log in order |\n", label[s]; continue }
            same = more = fewer = sp = sw = 0; all = diff = ""
            for (i = 1; i <= nq; i++) {
                a = c["newsd", i]; b = c[s, i]
                if (a == "error" || b == "error") continue
                if (a + 0 == b + 0) { same++; if (phrase[i]) sp++; else sw++ }
                else if (b + 0 > a + 0) more++
                else fewer++
                if (a > 0) { all = all " " b / a; if (a + 0 != b + 0) diff = diff " " b / a }
            }
            printf "| %s | %d | %d of %d | %d | %d (%.1f%%) | %d | %d | %s; %s | %d of %d | %d of %d |\n", label[s], total[s], hit[s], nq, errors[s], same, 100 * same / nq, more, fewer, all == "" ? "-" : sprintf("%.2f", median(all)), diff == "" ? "-" : sprintf("%.2f", median(diff)), sp, nphr, sw, nq - nphr
        }
        if (ns < 2) exit
        # The queries where some peer is furthest from newsd, in documents.
        for (i = 1; i <= nq; i++) {
            d[i] = 0
            for (k = 2; k <= ns; k++) {
                a = c["newsd", i]; b = c[sys[k], i]
                if (a == "error" || b == "error") continue
                x = b - a; if (x < 0) x = -x
                if (x > d[i]) d[i] = x
            }
        }
        show(top, 0, "The %d queries with the largest differences (in documents, newsd against either peer):")
        show(top / 2, 1, "The %d phrase queries with the largest differences:")
    }' $files
}

# Prints the Markdown of the query part from $QRESULTS.
query_report() {
    sphinx=no
    command -v searchd > /dev/null 2>&1 && sphinx=yes
    set -- $QUERY_PATHS
    echo "## Queries: $1${2:+ ...}, $QDOCS documents, $(grep -c . "$QUERIES") queries ($(basename "$QUERIES"))"
    echo
    echo "- Index: newsindex $(awk -v b="$QINDEX_BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }')${QFTS5_BYTES:+, FTS5 (after optimize) $(awk -v b="$QFTS5_BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }')};" \
         "newsd: \`$NEWSD_NAME --listen 127.0.0.1:0 --listen unix:DIR/newsd.sock --log-level warn\` (default workers: $(nproc))"
    echo "- $QROUNDS round(s), load average $qload_start at start, $qload_end at the end;" \
         "one-connection runs send the first $N1 queries of the log in order (the same as in-process);" \
         "concurrent runs $NT requests spread over the connections, connection k starting at query k*n/C"
    set -- $QVERIFY
    echo "- Reply check before the rounds (every reply parsed; JSON also with jansson): text snippet=0 $2 errors in $1, text snippet=1 $4 in $3, JSON snippet=0 $6 in $5, JSON snippet=1 $8 in $7, JSON snippet=1 facets=$FACETS ${10} in $9"
    echo
    awk -v t_lb="$TARGET_LOOPBACK_US" -v t_sc="$TARGET_SCALING" -v t_fts="$TARGET_VS_FTS5" \
        -v t_nq="$TARGET_NEWSQ_MS" -v t_hp="$TARGET_HTTP_P50" -v t_hq="$TARGET_HTTP_QPS" -v rss_idle="$QRSS_IDLE" -v order="$(printf '%s ' $QUERY_RUNS)" -v sphinx="$sphinx" \
        -v nq_query="$NEWSQ_QUERY" -v cache="$QCACHE" -v t_fa="$TARGET_FACETS" -v t_si="$TARGET_SIMILAR" -v facets="$FACETS" \
        -v t_re="$TARGET_RECENCY" -v recency="$RECENCY_DAYS" -v pool="$POOL" -v t_fo="$TARGET_FOLD" \
        -v unavailable="$QUNAVAILABLE" "$MEDIAN_AWK"'
    # Median over rounds of a op b for field f (op: "-" or "/"); "" when never both ran.
    function cmp(a, b, f, op,    r, s, x, y) {
        s = ""
        for (r = 1; r <= rounds; r++) {
            if (!((a, r, f) in v) || !((b, r, f) in v)) continue
            x = v[a, r, f]; y = v[b, r, f]
            if (op == "/" && y == 0) continue
            s = s " " (op == "-" ? x - y : x / y)
        }
        return median(s)
    }
    # Like cmp with "-", for field fa of run a minus field fb of run b.
    function cmp2(a, fa, b, fb,    r, s) {
        s = ""
        for (r = 1; r <= rounds; r++)
            if (((a, r, fa) in v) && ((b, r, fb) in v)) s = s " " (v[a, r, fa] - v[b, r, fb])
        return median(s)
    }
    function verdict(ok) { return ok ? "**met**" : "**not met**" }
    # A ratio, or "not measured" when a side never ran.
    function fx(x) { return x == "" ? "not measured" : sprintf("%.2fx", x) }
    function num(x) { return x == "" ? "not measured" : sprintf("%.0f", x) }
    function p99v(x) { return x == "" ? "not measured" : sprintf("%.2fx (%s)", x, x < 1 ? "newsd lower" : "newsd higher") }
    # The lowest of the ratios that were measured ("" when none): newsd against the best peer.
    function lowest(a, b, c, d,    w) {
        w = ""
        if (a != "" && (w == "" || a < w)) w = a
        if (b != "" && (w == "" || b < w)) w = b
        if (c != "" && (w == "" || c < w)) w = c
        if (d != "" && (w == "" || d < w)) w = d
        return w
    }
    function partial(a, b, c, d) { return (a == "" || b == "" || c == "" || d == "") ? "; **a set-up not measured** (named in the first line, or left out by BENCH_QUERY_RUNS)" : "" }
    BEGIN {
        split("p50 p99 mean qps", fields, " ")
        what["tcp-ping-1"] = "newsd TCP loopback, PING (round trip, no search)"
        what["unix-ping-1"] = "newsd Unix socket, PING (round trip, no search)"
        what["inproc-snip-1"] = "in-process C API, top 10 + snippets"
        what["inproc-fields-1"] = "in-process C API, top 10 stored fields"
        what["inproc-count-1"] = "in-process C API, limit 0 (total only, an estimate; no page)"
        what["inproc-fields-32"] = "in-process C API, 32 threads, top 10 stored fields"
        what["xapian-ids-1"] = "raw Xapian in-process, top 10 ids only"
        what["xapian-ids-32"] = "raw Xapian in-process, 32 threads, top 10 ids only"
        what["tcp-snip-1"] = "newsd TCP loopback, snippet=1, text"
        what["unix-snip-1"] = "newsd Unix socket, snippet=1, text"
        what["poll-tcp-snip-1"] = "newsd TCP, snippet=1, the client polls for its reply (loadgen -P)"
        what["poll-unix-snip-1"] = "newsd Unix socket, snippet=1, the client polls for its reply"
        what["tcp-json-snip-1"] = "newsd TCP loopback, snippet=1, JSON"
        what["http-json-snip-1"] = "newsd HTTP (GET /search, keep-alive), snippet=1"
        what["tcp-json-snip-32"] = "newsd TCP, 32 connections, snippet=1, JSON"
        what["http-json-snip-32"] = "newsd HTTP, 32 connections, snippet=1"
        what["tcp-facets-snip-1"] = "newsd TCP loopback, snippet=1, JSON, facets=" facets
        what["tcp-similar-snip-1"] = "newsd TCP loopback, snippet=1, JSON, SIMILAR of the top hit of each query"
        what["tcp-recency-snip-1"] = "newsd TCP loopback, snippet=1, JSON, recency=" recency
        what["tcp-nofold-snip-1"] = "newsd TCP loopback, snippet=1, JSON, collapse=0 (near-duplicates not folded)"
        what["tcp-fields-1"] = "newsd TCP loopback, snippet=0, text"
        what["unix-fields-1"] = "newsd Unix socket, snippet=0, text"
        what["tcp-fields-8"] = "newsd TCP, 8 connections, snippet=0"
        what["tcp-fields-32"] = "newsd TCP, 32 connections, snippet=0"
        what["tcp-snip-8"] = "newsd TCP, 8 connections, snippet=1"
        what["tcp-snip-32"] = "newsd TCP, 32 connections, snippet=1"
        what["nocache-tcp-snip-32"] = "newsd --doc-cache-mb 0, TCP, 32 connections, snippet=1"
        what["nocache-tcp-fields-32"] = "newsd --doc-cache-mb 0, TCP, 32 connections, snippet=0"
        what["nocache-inproc-fields-1"] = "in-process C API, no document cache, top 10 stored fields"
        what["fts5-fields-1"] = "SQLite FTS5, 1 thread, top 10 by rank"
        what["fts5-fields-8"] = "SQLite FTS5, 8 threads, top 10 by rank"
        what["fts5-fields-32"] = "SQLite FTS5, 32 threads, top 10 by rank"
        what["fts5-snip-1"] = "SQLite FTS5, 1 thread, top 10 + snippet()"
        what["fts5-snip-8"] = "SQLite FTS5, 8 threads, top 10 + snippet()"
        what["fts5-snip-32"] = "SQLite FTS5, 32 threads, top 10 + snippet()"
        what["fts5pool-fields-8"] = "SQLite FTS5, 8 clients queueing for a pool of " pool " threads, top 10 by rank"
        what["fts5pool-fields-32"] = "SQLite FTS5, 32 clients queueing for a pool of " pool " threads, top 10 by rank"
        what["fts5pool-snip-32"] = "SQLite FTS5, 32 clients queueing for a pool of " pool " threads, top 10 + snippet()"
        what["sphinxpool-ids-8"] = "Sphinx searchd, 8 clients queueing for " pool " connections (" pool " searchd threads), top 10 ids"
        what["sphinxpool-ids-32"] = "Sphinx searchd, 32 clients queueing for " pool " connections (" pool " searchd threads), top 10 ids"
        what["tcp-best-1"] = "newsd TCP loopback, snippet=best, text"
        what["tcp-best-32"] = "newsd TCP, 32 connections, snippet=best"
        what["sphinx-ids-1"] = "Sphinx searchd workers = threads, SphinxQL, top 10 ids"
        what["sphinx-ids-8"] = "Sphinx searchd workers = threads, 8 connections, top 10 ids"
        what["sphinx-ids-32"] = "Sphinx searchd workers = threads, 32 connections, top 10 ids"
        what["newsq"] = "`bin/newsq -a unix:... \"" nq_query "\"`, whole process"
        what["true"] = "`/bin/true`, whole process (the floor of process timing)"
    }
    $2 == "rss" { rss = rss " " $3; next }
    $2 == "rss-searchd" { rss_s = rss_s " " $3; next }
    $2 == "rss-nocache" { rss_nc = rss_nc " " $3; next }
    {
        r = $1; l = $2; if (r > rounds) rounds = r
        if ($3 != "ok") { failed[l]++; if ($5 == "") next }
        errors[l] += $5; hits[l] = $6; matched[l] = $7; queries[l] = $4
        v[l, r, "p50"] = $8; v[l, r, "p99"] = $9; v[l, r, "mean"] = $10; v[l, r, "qps"] = $11
        if ($12 != "-" && $12 != "") { v[l, r, "took"] = $12; all[l, "took"] = all[l, "took"] " " $12 }
        for (k = 1; k <= 4; k++) all[l, fields[k]] = all[l, fields[k]] " " v[l, r, fields[k]]
        seen[l] = 1
    }
    END {
        print "| run | what | conns | p50 µs | p99 µs | mean µs | queries/s | newsd took_us p50 | errors | hits shown (queries with hits) | p50 per round (µs) |"
        print "|---|---|---|---|---|---|---|---|---|---|---|"
        n = split(order, ord, " ")
        for (k = 1; k <= n; k++) {
            l = ord[k]
            c = l; sub(/.*-/, "", c)
            if (!(l in seen)) {
                # A run that could not happen keeps its row, marked (the reason is in the first line).
                if (index(" " unavailable " ", " " l " ")) printf "| %s | %s | %s | **not measured**: its system is not running (see the first line) | | | | | | | |\n", l, what[l], c
                continue
            }
            if (l == "newsq" || l == "true") c = 1
            nohits = l == "newsq" || l == "true" || l ~ /-ping-/
            fl = failed[l] ? sprintf(" (%d failed)", failed[l]) : ""
            tk = ((l, "took") in all) ? sprintf("%.0f", median(all[l, "took"])) : ""
            printf "| %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %s | %d%s | %s (%s) | %s |\n", l, what[l], c,
                median(all[l, "p50"]), median(all[l, "p99"]), median(all[l, "mean"]), median(all[l, "qps"]), tk,
                errors[l], fl, nohits ? "-" : hits[l], l ~ /-ping-/ ? "-" : matched[l], substr(all[l, "p50"], 2)
        }
        print ""
        print "Targets (each a median over rounds of the per-round difference or ratio of runs made side by side):"
        print ""
        x = cmp("poll-tcp-snip-1", "inproc-snip-1", "p50", "-")
        if (x != "") printf "- Issue 3: median loopback SEARCH latency (top 10 with snippets) minus median in-process latency of the same queries < %d µs, with a client that polls for its reply as the in-process loop never sleeps (poll- runs): %s (TCP: %.0f µs; Unix socket: %.0f µs)\n", t_lb, verdict(x < t_lb), x, cmp("poll-unix-snip-1", "inproc-snip-1", "p50", "-")
        x = cmp("tcp-snip-1", "inproc-snip-1", "p50", "-")
        if (x != "") printf "  - With a client that sleeps in poll() for its reply: %s (TCP: %.0f µs", verdict(x < t_lb), x
        y = cmp("unix-snip-1", "inproc-snip-1", "p50", "-")
        if (x != "") printf "; Unix socket: %.0f µs; snippet=0, TCP: %.0f µs, Unix: %.0f µs; a PING round trip in the same rounds: TCP %.0f µs, Unix %.0f µs); the difference, %.0f µs over TCP, is the sleeping client'"'"'s own wake-up when its reply comes (on this VM, a halted vCPU'"'"'s)\n", y, cmp("tcp-fields-1", "inproc-fields-1", "p50", "-"), cmp("unix-fields-1", "inproc-fields-1", "p50", "-"), median(all["tcp-ping-1", "p50"]), median(all["unix-ping-1", "p50"]), cmp("tcp-snip-1", "poll-tcp-snip-1", "p50", "-")
        x = cmp2("tcp-snip-1", "took", "inproc-snip-1", "p50"); y = cmp2("tcp-snip-1", "p50", "tcp-snip-1", "took")
        if (x != "") printf "  - Of the TCP gap (snippets): the search itself, newsd'"'"'s took_us minus in-process, %.0f µs; outside the search (parsing, formatting, I/O, wake-ups), latency minus took_us, %.0f µs\n", x, y
        x = cmp("tcp-fields-32", "tcp-fields-1", "qps", "/"); y = cmp("tcp-snip-32", "tcp-snip-1", "qps", "/")
        if (x != "") printf "- Issue 3: 32-connection throughput >= %.1fx 1-connection (two cores): snippet=0 %s (%.2fx); snippet=1 %s (%.2fx); 8 connections: %.2fx and %.2fx\n", t_sc, verdict(x >= t_sc), x, verdict(y >= t_sc), y, cmp("tcp-fields-8", "tcp-fields-1", "qps", "/"), cmp("tcp-snip-8", "tcp-snip-1", "qps", "/")
        # Throughput: against each peer in its faster set-up (thread per client or pool).
        xf = cmp("tcp-fields-32", "fts5-fields-32", "qps", "/"); xfp = cmp("tcp-fields-32", "fts5pool-fields-32", "qps", "/")
        xs = cmp("tcp-fields-32", "sphinx-ids-32", "qps", "/"); xsp = cmp("tcp-fields-32", "sphinxpool-ids-32", "qps", "/")
        w = lowest(xf, xfp, xs, xsp)
        if (w != "") printf "- Issue 7: newsd at 32 connections (top 10, stored fields, snippet=0) >= %.1fx the better of Sphinx and FTS5 at 32, each peer in its faster set-up: %s (%.2fx the best peer figure; newsd/FTS5 %s thread per client, %s pool; newsd/Sphinx %s thread per connection, %s queue and pool)%s\n", t_fts, verdict(w >= t_fts), w, fx(xf), fx(xfp), fx(xs), fx(xsp), partial(xf, xfp, xs, xsp)
        else print "- Issue 7: newsd at 32 against FTS5 and Sphinx: **not measured** (no peer ran; see the first line)"
        y = cmp("tcp-snip-32", "fts5-snip-32", "qps", "/"); yp = cmp("tcp-snip-32", "fts5pool-snip-32", "qps", "/")
        w = lowest(y, yp, "", "")
        if (w != "") {
            printf "- Issue 7: with snippets, newsd (snippet=1) at 32 >= %.1fx FTS5 with snippet() at 32, in its faster set-up: %s (%.2fx; %s thread per client, %s pool", t_fts, verdict(w >= t_fts), w, fx(y), fx(yp)
            z = cmp("nocache-tcp-snip-32", "fts5-snip-32", "qps", "/")
            if (z != "") printf "; without the document cache, %.2fx FTS5 thread per client", z
            printf ")\n"
        } else print "- Issue 7: with snippets, newsd against FTS5: **not measured** (see the first line)"
        printf "- p99, equal set-ups only (newsd: %d workers and a queue; FTS5: a pool of %d threads fed from one queue by the clients; Sphinx: %d connections to `workers = threads` fed from one queue by the clients), newsd/peer p99 (under 1: newsd'"'"'s is lower):\n", pool, pool, pool
        a1 = cmp("tcp-fields-32", "fts5pool-fields-32", "p99", "/"); a2 = cmp("tcp-snip-32", "fts5pool-snip-32", "p99", "/")
        a3 = cmp("tcp-best-32", "fts5pool-snip-32", "p99", "/"); a4 = cmp("tcp-fields-32", "sphinxpool-ids-32", "p99", "/")
        printf "  - at 32 connections: FTS5 pool snippet=0 %s; FTS5 pool with snippet() against newsd snippet=1 %s, against snippet=best %s; Sphinx queue and pool (ids only) %s\n", p99v(a1), p99v(a2), p99v(a3), p99v(a4)
        printf "  - at 8 connections: FTS5 pool snippet=0 %s; Sphinx queue and pool %s\n", p99v(cmp("tcp-fields-8", "fts5pool-fields-8", "p99", "/")), p99v(cmp("tcp-fields-8", "sphinxpool-ids-8", "p99", "/"))
        printf "  - at 1 connection (no queueing in any set-up): FTS5 snippet=0 %s, with snippets %s (FTS5 in-process, newsd over TCP); Sphinx %s\n", p99v(cmp("tcp-fields-1", "fts5-fields-1", "p99", "/")), p99v(cmp("tcp-snip-1", "fts5-snip-1", "p99", "/")), p99v(cmp("tcp-fields-1", "sphinx-ids-1", "p99", "/"))
        print "  - the thread-per-client set-ups (fts5- runs: a thread and connection per client; sphinx- runs: `workers = threads`) put up to 32 runnable threads on the cores; their p99 is preemption, so it is shown in the table but compared with nothing"
        x1 = cmp("tcp-snip-32", "fts5pool-snip-32", "qps", "/"); x2 = cmp("tcp-best-32", "fts5pool-snip-32", "qps", "/")
        x3 = cmp("tcp-snip-32", "fts5-snip-32", "qps", "/"); x4 = cmp("tcp-best-32", "fts5-snip-32", "qps", "/")
        printf "- Snippet work: FTS5'"'"'s snippet() scores fragments and keeps the best, as newsd'"'"'s snippet=best does; newsd'"'"'s snippet=1 takes the first good window. newsd/FTS5 queries/s at 32: snippet=1 %s, snippet=best %s against the FTS5 pool; %s and %s against FTS5 thread per client. p50 at one connection: newsd snippet=1 %s µs, snippet=best %s µs (best minus 1, per round: %s µs), FTS5 with snippet() %s µs\n", fx(x1), fx(x2), fx(x3), fx(x4), num(median(all["tcp-snip-1", "p50"])), num(median(all["tcp-best-1", "p50"])), num(cmp("tcp-best-1", "tcp-snip-1", "p50", "-")), num(median(all["fts5-snip-1", "p50"]))
        if ("newsq" in seen) {
            x = median(all["newsq", "p50"]) / 1000
            printf "- Issue 4: one `newsq` process against the daemon, median < %d ms: %s (%.2f ms; `/bin/true` spawned the same way: %.2f ms, so newsq costs %.2f ms more, a figure less moved by the load on the host)\n", t_nq, verdict(x < t_nq), x, median(all["true", "p50"]) / 1000, cmp("newsq", "true", "p50", "-") / 1000
        } else print "- Issue 4: `newsq` median < " t_nq " ms: not measured (no bin/newsq yet)"
        x = cmp("tcp-facets-snip-1", "tcp-json-snip-1", "p50", "/")
        if (x != "") printf "- Issue 17: SEARCH with facets=%s (exact counts over every match) at one connection, p50 at most %.1fx the same SEARCH without facets (both JSON, snippet=1, the same queries in the same rounds): %s (%.2fx: p50 %.0f µs against %.0f µs; newsd took_us p50 %.0f µs against %.0f µs, %.2fx)\n", facets, t_fa, verdict(x <= t_fa), x, median(all["tcp-facets-snip-1", "p50"]), median(all["tcp-json-snip-1", "p50"]), median(all["tcp-facets-snip-1", "took"]), median(all["tcp-json-snip-1", "took"]), cmp("tcp-facets-snip-1", "tcp-json-snip-1", "took", "/")
        else print "- Issue 17: SEARCH with facets at most " t_fa "x a plain SEARCH: not measured"
        x = cmp("tcp-similar-snip-1", "tcp-json-snip-1", "p50", "/")
        if (x != "") printf "- Issue 19: SIMILAR of the top hit of each query at one connection, p50 at most %.1fx the SEARCH of the queries (both JSON, snippet=1, in the same rounds): %s (%.2fx: p50 %.0f µs against %.0f µs; newsd took_us p50 %.0f µs against %.0f µs, %.2fx)\n", t_si, verdict(x <= t_si), x, median(all["tcp-similar-snip-1", "p50"]), median(all["tcp-json-snip-1", "p50"]), median(all["tcp-similar-snip-1", "took"]), median(all["tcp-json-snip-1", "took"]), cmp("tcp-similar-snip-1", "tcp-json-snip-1", "took", "/")
        else print "- Issue 19: SIMILAR at most " t_si "x a plain SEARCH: not measured"
        x = cmp("tcp-recency-snip-1", "tcp-json-snip-1", "p50", "/")
        if (x != "") printf "- Issue 19: SEARCH with recency=%s at one connection, p50 at most %.1fx the same SEARCH without recency (both JSON, snippet=1, the same queries in the same rounds): %s (%.2fx: p50 %.0f µs against %.0f µs; newsd took_us p50 %.0f µs against %.0f µs, %.2fx)\n", recency, t_re, verdict(x <= t_re), x, median(all["tcp-recency-snip-1", "p50"]), median(all["tcp-json-snip-1", "p50"]), median(all["tcp-recency-snip-1", "took"]), median(all["tcp-json-snip-1", "took"]), cmp("tcp-recency-snip-1", "tcp-json-snip-1", "took", "/")
        else print "- Issue 19: SEARCH with recency at most " t_re "x a plain SEARCH: not measured"
        x = cmp("tcp-json-snip-1", "tcp-nofold-snip-1", "p50", "/")
        if (x != "") printf "- Issue 16: SEARCH folding near-duplicates (collapse=1, the default) at one connection, p50 at most %.1fx the same SEARCH with collapse=0 (both JSON, snippet=1, the same queries in the same rounds): %s (%.2fx: p50 %.0f µs against %.0f µs; newsd took_us p50 %.0f µs against %.0f µs, %.2fx)\n", t_fo, verdict(x <= t_fo), x, median(all["tcp-json-snip-1", "p50"]), median(all["tcp-nofold-snip-1", "p50"]), median(all["tcp-json-snip-1", "took"]), median(all["tcp-nofold-snip-1", "took"]), cmp("tcp-json-snip-1", "tcp-nofold-snip-1", "took", "/")
        else print "- Issue 16: SEARCH folding at most " t_fo "x SEARCH with collapse=0: not measured"
        x = cmp("http-json-snip-1", "tcp-json-snip-1", "p50", "/"); y = cmp("http-json-snip-32", "tcp-json-snip-32", "qps", "/")
        if (x != "") printf "- Issue 20: HTTP /search p50 at one connection at most %.1fx the line protocol'"'"'s (JSON, snippet=1, the same queries in the same rounds): %s (%.2fx: %.0f µs against %.0f µs)\n", t_hp, verdict(x <= t_hp), x, median(all["http-json-snip-1", "p50"]), median(all["tcp-json-snip-1", "p50"])
        else print "- Issue 20: HTTP p50 at most " t_hp "x the line protocol'"'"'s: not measured"
        if (y != "") printf "- Issue 20: HTTP queries/s at 32 connections at least %.1fx the line protocol'"'"'s: %s (%.2fx: %.0f against %.0f)\n", t_hq, verdict(y >= t_hq), y, median(all["http-json-snip-32", "qps"]), median(all["tcp-json-snip-32", "qps"])
        else print "- Issue 20: HTTP queries/s at 32 connections at least " t_hq "x the line protocol'"'"'s: not measured"
        print ""
        print "Other figures:"
        print ""
        printf "- Snippet cost (median per-round p50 difference, snippet=1 minus snippet=0): in-process %.0f µs, TCP %.0f µs; FTS5 snippet() %.0f µs\n", cmp("inproc-snip-1", "inproc-fields-1", "p50", "-"), cmp("tcp-snip-1", "tcp-fields-1", "p50", "-"), cmp("fts5-snip-1", "fts5-fields-1", "p50", "-")
        printf "- JSON vs text (TCP, snippet=1, p50): %+.0f µs\n", cmp("tcp-json-snip-1", "tcp-snip-1", "p50", "-")
        printf "- newsd resident memory (VmRSS): %.1f MB after start, %.1f MB after each round'"'"'s load (median; rounds: %s kB)\n", rss_idle / 1024, median(rss) / 1024, substr(rss, 2)
        if (rss_s != "") printf "- Sphinx searchd resident memory after each round: %.1f MB (median)\n", median(rss_s) / 1024
        printf "- In-process at 32 threads: C API (top 10, stored fields) %.0f queries/s, %.2fx newsd at 32 connections (snippet=0); raw Xapian ids only %.0f queries/s, %.2fx newsd\n", median(all["inproc-fields-32", "qps"]), cmp("inproc-fields-32", "tcp-fields-32", "qps", "/"), median(all["xapian-ids-32", "qps"]), cmp("xapian-ids-32", "tcp-fields-32", "qps", "/")
        printf "- Reading the stored fields of 10 hits (C API snippet=0 minus raw Xapian ids only, 1 thread, p50): %.0f µs from the index (no document cache), %.0f µs with the cache warm\n", cmp("nocache-inproc-fields-1", "xapian-ids-1", "p50", "-"), cmp("inproc-fields-1", "xapian-ids-1", "p50", "-")
        x = cmp("tcp-snip-32", "nocache-tcp-snip-32", "qps", "/")
        if (x != "") {
            printf "- The document cache (newsd(8), \"THE DOCUMENT CACHE\"): newsd at 32 connections with it / with `--doc-cache-mb 0` (a second newsd, in the same rounds): snippet=1 %.0f / %.0f queries/s (%.2fx), snippet=0 %.0f / %.0f (%.2fx)", median(all["tcp-snip-32", "qps"]), median(all["nocache-tcp-snip-32", "qps"]), x, median(all["tcp-fields-32", "qps"]), median(all["nocache-tcp-fields-32", "qps"]), cmp("tcp-fields-32", "nocache-tcp-fields-32", "qps", "/")
            if (split(cache, cs, " ") == 4) printf "; after the rounds it held %d documents in %.1f MB (both workers) and had served %.1f%% of all hits shown", cs[3], cs[4] / 1e6, 100 * cs[1] / (cs[1] + cs[2])
            if (rss_nc != "") printf "; VmRSS without it %.1f MB", median(rss_nc) / 1024
            printf "\n"
        }
    }' "$QRESULTS"
    echo
    echo "### Hit counts side by side (so no speed is bought with missed results)"
    echo
    echo "The exact number of matching documents of every query of the log, as each system"
    echo "reads the same string: newsd ANDs the words and matches each through its English"
    echo "(Porter2/Snowball) stem in title or body, a quoted phrase word for word, unstemmed;"
    echo "FTS5 (\`porter unicode61\`) and Sphinx (\`stem_en\`, its own variant of Porter) AND the"
    echo "words too but stem with the original Porter algorithm, inside phrases as well."
    echo
    hits_report
    echo
    echo "Why they differ (checked document by document on Reuters-21578; bench/README.md):"
    echo "phrases are stemmed by FTS5 and Sphinx (\`\"three month\"\` also finds \"three months\"), never"
    echo "by newsd; the two Porter algorithms conflate different words (FTS5: \`generating\` ="
    echo "\`general\`, \`quarterly\` apart from \`quarter\`; FTS5 and Sphinx: \`communications\` ="
    echo "\`community\`, \`lbs\` = \`lb\`); Xapian reads an acronym \"T.E.A.M.\" as the word \"team\","
    echo "the others as letters. Sphinx has no stop words in this configuration."
    count_matched=$(awk '$2 == "inproc-count-1" && $3 == "ok" { print $7; exit }' "$QRESULTS")
    exact_matched=$(sed -n 's/.* matched=\([0-9]*\).*/\1/p' "$LOGS/query-inproc-exact.out" | tail -n 1)
    if [ -n "$count_matched" ] && [ "$N1" = "$(grep -c . "$QUERIES")" ] &&
       [ "$count_matched" != "$exact_matched" ]; then
        echo
        echo "Note: with limit 0 (\`SEARCH limit=0\`, the C API's count-only page) only $count_matched of the $exact_matched queries that match report a non-zero total: Xapian's estimate with check_at_least 0 is often 0."
    fi
    echo
    echo "Query systems:"
    echo
    echo "- **inproc**: bench/query_inproc.c, \`newsidx_search\` on one reader per thread, limit 10 (snippets on or off) or 0, the daemon's own query parser (AND of words, phrases, English stemming)."
    echo "- **http**: bench/loadgen.c -f http, \`GET /search?limit=10&snippet=1&q=QUERY\` over kept-alive HTTP/1.1 connections to newsd's \`--http\` listener (the same SEARCH as tcp-json; the body checked as its JSON line)."
    echo "- **tcp / unix**: bench/loadgen.c, \`SEARCH limit=10 snippet=0|1 format=text|json -- QUERY\`, one request at a time per connection, up to 4 client threads each polling its connections; latency from the write to the end of the reply; every reply checked for its protocol shape; in the poll- runs the client polls for its reply without sleeping (\`loadgen -P\`)."
    echo "- **fts5pool**: the same queries and connections, set up as newsd is: the clients (8 or 32 threads) put each query on one queue and wait for its answer; a pool of $POOL threads (one per core), each with its own connection, takes them in order (\`fts5_query -P $POOL\`); latency from queueing to the answer."
    echo "- **fts5**: bench/fts5_query.c, \`SELECT id, title, date, source [, snippet(news, 2, '<b>', '</b>', '...', 32)] FROM news WHERE news MATCH ? ORDER BY rank LIMIT 10\` (bm25), one read-only connection per thread, 256 MiB cache and mmap, the FTS5 table optimized once after the build."
    echo "- **xapian**: bench/xapian_ids.cc, raw Xapian with the daemon's parser setup, \`get_mset(0, 10)\`, document ids only (no document read): the ceiling under the C API."
    echo "- **sphinxpool**: the same searchd set up as newsd is: the clients (8 or 32) put each query on one queue in the client process and $POOL connections (so $POOL searchd threads, one per core) take them in order (\`loadgen -c $POOL -Q CLIENTS\`); latency from queueing to the reply. Sphinx's own pool (\`workers = thread_pool\`) is not in Sphinx 2.2.11 as Debian ships it: its searchd stops with \"unknown workers=thread_pool value\"."
    echo "- **tcp-best**: newsd with \`snippet=best\` (the best-scoring window of the body, the work FTS5's snippet() does) instead of \`snippet=1\` (the first good window)."
    echo "- **sphinx**: Sphinx searchd (\`workers = threads\`, read_buffer 1M, read_unhinted 256K, no binlog) on an index of the same records (run.sh's indexer config: stem_en), driven by bench/loadgen.c over SphinxQL: \`SELECT id FROM news WHERE MATCH('QUERY') LIMIT 10 OPTION ranker=bm25\`; Sphinx 2.2 keeps no text, so it returns ids only, against newsd's stored fields."
    echo "- **newsq / true**: bench/proctime.c, posix_spawn and wait, output to /dev/null."
}
