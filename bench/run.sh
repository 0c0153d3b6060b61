#!/bin/sh
# bench/run.sh: the benchmark behind `make bench` and `make bench-quick`: indexing here,
# queries in bench/query.sh (sourced; its header describes that half and its settings).
#
# It times four builds of one index from the same documents: bin/newsindex --rebuild,
# the naive Xapian loop (naive_index.cc), SQLite FTS5 (fts5_index.c) and, when
# installed, Sphinx's `indexer` fed by dump_xmlpipe2.c.  The peers read the corpus
# through the daemon's own readers, so every system parses the same records.
#
# The machine is shared and noisy, so absolute times mean little: the systems run
# interleaved, one of each per round, with the starting system rotated every round, and
# every figure is a median over rounds; speedups are medians of per-round ratios.
#
# Environment:
#   BENCH_QUICK=1        one round over three Reuters files (about a minute)
#   BENCH_INDEXING=0     skip the indexing half;  BENCH_QUERY=0: skip the query half
#   BENCH_ROUNDS=N       rounds per input set (default 3; 1 when quick)
#   BENCH_PATHS="P ..."  index these paths instead of the default sets
#   BENCH_REUTERS=0      skip the Reuters-only set in a full run
#   BENCH_JOBS=N         pass --jobs N to newsindex (default: newsindex's own)
#   BENCH_TIMEOUT=S      kill any single build after S seconds (default 300)
#   BENCH_NEWSINDEX=P    the newsindex binary to time (default bin/newsindex); it must
#                        be a release build: a sanitizer build is refused, not timed
#   BENCH_LIBS="FILES"   the daemon libraries the bench programs link (default the
#                        ingest, index and common layers of build/rel)
#   BENCH_OUT=FILE       where the table goes (default bench/RESULTS.md; quick runs
#                        write bench/work/RESULTS-quick.md so they never replace it)
#   BENCH_REINDEX=0      skip the queries-during-REINDEX part (bench/reindex.sh; one
#                        connection in a full run, BENCH_REINDEX_CONNS="1 8" for more)
#   BENCH_SHARDS=0       skip the sharded-queries part (bench/shards.sh; one round in a
#                        full run, BENCH_SHARDS_ROUNDS=N for more)
#   BENCH_HOSTILE=0      skip the hostile-clients part (bench/hostile.sh: normal clients'
#                        latency with and without hostile ones, against main's newsd)
#   BENCH_SCALE="N ..."  also run the scale half (bench/scale.sh) for these factors
#                        against 1x; default 0, off: a 10x build alone takes minutes
#                        (`make bench-scale` runs it alone, BENCH_SCALE=10)
#
# Everything temporary lives under bench/work/ (gitignored); each build's index is
# removed as soon as it has been measured.  Logs of the last run: bench/work/logs/.
#
# Lists of paths and flags are split on purpose (SC2046, SC2086); -nt is in dash, bash
# and busybox sh alike (SC3013).
# shellcheck disable=SC2046,SC2086,SC3013

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
WORK=$ROOT/bench/work
# median(), for the awk programs that build the tables
MEDIAN_AWK=$(cat "$ROOT/bench/median.awk")
BIN=$WORK/bin
LOGS=$WORK/logs
LIBS=${BENCH_LIBS:-"$ROOT/build/rel/libingest.a $ROOT/build/rel/libindex.a $ROOT/build/rel/libcommon.a"}
QUICK=${BENCH_QUICK:-0}
INDEXING=${BENCH_INDEXING:-1}
QUERY=${BENCH_QUERY:-1}
TIMEOUT=${BENCH_TIMEOUT:-300}
NEWSINDEX=${BENCH_NEWSINDEX:-bin/newsindex}
SYSTEMS="newsindex naive fts5 sphinx"
# The target newsindex is held to, from the issue: this many times the naive loop.
TARGET_SPEEDUP=2.5

if [ "$QUICK" = 1 ]; then
    ROUNDS=${BENCH_ROUNDS:-1}
    OUT=${BENCH_OUT:-$WORK/RESULTS-quick.md}
    SETS=quick
else
    ROUNDS=${BENCH_ROUNDS:-3}
    OUT=${BENCH_OUT:-$ROOT/bench/RESULTS.md}
    SETS=all
    [ "${BENCH_REUTERS:-1}" = 1 ] && SETS="all reuters"
fi
[ -n "${BENCH_PATHS:-}" ] && SETS=custom

# The input paths of a set, relative to the repository (no spaces: they are split).
set_paths() {
    case $1 in
    all) echo corpus ;;
    reuters) echo corpus/reuters21578 ;;
    quick) echo corpus/reuters21578/reut2-000.sgm.gz corpus/reuters21578/reut2-001.sgm.gz \
                corpus/reuters21578/reut2-002.sgm.gz ;;
    custom) echo "$BENCH_PATHS" ;;
    esac
}

set_label() {
    case $1 in
    all) echo "whole corpus/ (Reuters-21578 + BBC + seed)" ;;
    reuters) echo "Reuters-21578 only (corpus/reuters21578)" ;;
    quick) echo "quick subset (corpus/reuters21578/reut2-00[0-2].sgm.gz)" ;;
    custom) echo "BENCH_PATHS=$BENCH_PATHS" ;;
    esac
}

die() {
    echo "bench: $*" >&2
    exit 1
}

now() { date +%s.%N; }

# ---- building the bench programs ----

CC=${CC:-cc}
CXX=${CXX:-c++}
BENCH_CFLAGS="-std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Idaemon/common -Idaemon/ingest -Idaemon/index -Ibench"
BENCH_CXXFLAGS="-std=c++17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Idaemon/common -Idaemon/ingest -Idaemon/index -Ibench"
PKGS="xapian-core libevent zlib jansson"

have_sqlite() {
    pkg-config --exists sqlite3 2> /dev/null
}

# True when $1 is missing or older than any bench source or daemon library.
stale() {
    [ -x "$1" ] || return 0
    for s in bench/*.c bench/*.cc bench/*.h $LIBS; do
        [ "$s" -nt "$1" ] && return 0
    done
    return 1
}

build_programs() {
    for lib in $LIBS; do
        [ -f "$lib" ] || make --no-print-directory "$lib" >&2 || die "cannot build $lib"
    done
    mkdir -p "$BIN" "$LOGS"
    pkg_cflags=$(pkg-config --cflags $PKGS) || die "pkg-config: missing one of $PKGS"
    pkg_libs="$(pkg-config --libs $PKGS) -lpthread -lm"
    # The index library is C++ (daemon/index/), so everything links with the C++ driver.
    for obj in bench_corpus querylog sphinxql; do
        if stale "$BIN/$obj.o"; then
            $CC $BENCH_CFLAGS $pkg_cflags -c "bench/$obj.c" -o "$BIN/$obj.o" ||
                die "build failed: $obj.c"
        fi
    done
    progs="corpus_stats dump_xmlpipe2 naive_index make_querylog query_inproc xapian_ids loadgen proctime
           sphinx_count make_scaled"
    # FTS5 is a peer, not a dependency: without libsqlite3-dev its row says so.
    have_sqlite && progs="$progs fts5_index fts5_query"
    for prog in $progs; do
        stale "$BIN/$prog" || continue
        echo "bench: building $prog" >&2
        extra_cflags='' extra_libs=''
        if [ "$prog" = fts5_index ] || [ "$prog" = fts5_query ]; then
            extra_cflags=$(pkg-config --cflags sqlite3)
            extra_libs=$(pkg-config --libs sqlite3)
        fi
        if [ -f "bench/$prog.cc" ]; then
            $CXX $BENCH_CXXFLAGS $pkg_cflags -c "bench/$prog.cc" -o "$BIN/$prog.o"
        else
            $CC $BENCH_CFLAGS $pkg_cflags $extra_cflags -c "bench/$prog.c" -o "$BIN/$prog.o"
        fi || die "build failed: $prog"
        $CXX -o "$BIN/$prog" "$BIN/$prog.o" "$BIN/bench_corpus.o" "$BIN/querylog.o" \
            "$BIN/sphinxql.o" $LIBS \
            $extra_libs $pkg_libs ||
            die "link failed: $prog"
    done
}

# ---- one timed build ----

# Absolute paths, for sphinx.conf (indexer runs the dumper from its own directory).
abs_paths() {
    for p in "$@"; do
        case $p in /*) printf '%s ' "$p" ;; *) printf '%s ' "$ROOT/$p" ;; esac
    done
}

write_sphinx_conf() {  # conf index_dir paths...
    conf=$1 dir=$2
    shift 2
    cat > "$conf" <<EOF
# Generated by bench/run.sh; Sphinx only builds a local index here (no searchd).
source news
{
    type = xmlpipe2
    xmlpipe_command = $BIN/dump_xmlpipe2 $(abs_paths "$@")
}
index news
{
    source = news
    path = $dir/news
    # Porter stemming, as Xapian's Stem("en") and FTS5's porter tokenizer.
    morphology = stem_en
    # Positions (hitlists) are kept by default, as in the other systems.
}
indexer
{
    # The same memory budget as FTS5's page cache.
    mem_limit = 256M
}
EOF
}

# Runs system $1 on set $2 for round $3 and appends a line to $RESULTS:
#   set round system status seconds size_bytes docs cpu_seconds
# (cpu_seconds: user + sys of the builder and every process it waited for, from
# proctime -c, which wraps each build)
run_one() {
    sys=$1 set=$2 round=$3
    paths=$(set_paths "$set")
    tmp=$(mktemp -d "$WORK/run.XXXXXX") || die "mktemp failed"
    log=$LOGS/$set-$round-$sys
    size_of=$tmp/idx
    t0=$(now)
    case $sys in
    newsindex)
        jobs=
        [ -n "${BENCH_JOBS:-}" ] && jobs="--jobs $BENCH_JOBS"
        # Through a pipe, as newsindex prints its summary line only there; the status
        # travels through a file because sh has no pipefail.
        { "$BIN/proctime" -c "$tmp/cpu" -- timeout "$TIMEOUT" "$NEWSINDEX" --index "$tmp/idx" --rebuild $jobs $paths \
              2> "$log.err"; echo $? > "$tmp/rc"; } | cat > "$log.out"
        ;;
    naive)
        "$BIN/proctime" -c "$tmp/cpu" -- timeout "$TIMEOUT" "$BIN/naive_index" "$tmp/idx" $paths > "$log.out" 2> "$log.err"
        echo $? > "$tmp/rc"
        ;;
    fts5)
        size_of=$tmp/news.db
        "$BIN/proctime" -c "$tmp/cpu" -- timeout "$TIMEOUT" "$BIN/fts5_index" "$tmp/news.db" $paths > "$log.out" 2> "$log.err"
        echo $? > "$tmp/rc"
        ;;
    sphinx)
        mkdir -p "$tmp/idx"
        write_sphinx_conf "$tmp/sphinx.conf" "$tmp/idx" $paths
        "$BIN/proctime" -c "$tmp/cpu" -- timeout "$TIMEOUT" indexer --config "$tmp/sphinx.conf" --all > "$log.out" 2> "$log.err"
        echo $? > "$tmp/rc"
        ;;
    esac
    t1=$(now)
    rc=$(cat "$tmp/rc")
    case $sys in
    newsindex) docs=$(sed -n 's/.*added=\([0-9]*\).*/\1/p' "$log.out" | tail -n 1) ;;
    sphinx) docs=$(sed -n 's/^total \([0-9]*\) docs.*/\1/p' "$log.out" | tail -n 1)
            # indexer reports a broken source on stdout yet may still exit 0
            grep -q '^ERROR' "$log.out" && rc=1 ;;
    *) docs=$(sed -n 's/.* docs=\([0-9]*\).*/\1/p' "$log.out" | tail -n 1) ;;
    esac
    status=ok
    # An empty index is a failure too, whatever the exit status says.
    if [ "$rc" != 0 ] || [ ! -e "$size_of" ] || [ "${docs:-0}" = 0 ]; then
        status=failed
        echo "bench: $sys on $set (round $round) failed, status $rc; last lines of $log.err:" >&2
        tail -n 5 "$log.err" >&2
    fi
    size=$(du -sb "$size_of" 2> /dev/null | cut -f1)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    cpu=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                 printf "%.3f", v["user_s"] + v["sys_s"] }' "$tmp/cpu" 2> /dev/null)
    echo "$set $round $sys $status $secs ${size:-0} ${docs:-0} ${cpu:--}" >> "$RESULTS"
    printf 'bench: %-8s %-9s round %d: %s s, %s CPU s, %s docs, %s bytes, %s\n' \
        "$set" "$sys" "$round" "$secs" "${cpu:-?}" "${docs:-?}" "${size:-?}" "$status" >&2
    # One structural check of newsindex's output per invocation, outside the timing.
    if [ "$sys" = newsindex ] && [ "$status" = ok ] && [ ! -s "$WORK/xapian-check" ]; then
        if xapian-check "$tmp/idx" > "$LOGS/xapian-check.out" 2>&1; then
            echo "$(tail -n 1 "$LOGS/xapian-check.out") ($set)" > "$WORK/xapian-check"
        else
            echo "FAILED ($set): $(tail -n 1 "$LOGS/xapian-check.out")" > "$WORK/xapian-check"
        fi
    fi
    rm -rf "$tmp"
}

sanitized() {
    ldd "$1" 2> /dev/null | grep -q 'lib[a-z]*san\.so'
}

# Which systems can run at all; the others get one explanatory row in the table.
available() {
    case $1 in
    # `make SANITIZE=1` leaves a sanitizer build in bin/, several times slower.
    newsindex) [ -x "$NEWSINDEX" ] && ! sanitized "$NEWSINDEX" ;;
    sphinx) command -v indexer > /dev/null 2>&1 ;;
    fts5) have_sqlite && [ -x "$BIN/fts5_index" ] ;;
    *) true ;;
    esac
}

missing_note() {
    case $1 in
    newsindex)
        if [ -x "$NEWSINDEX" ]; then
            echo "newsindex: $NEWSINDEX_NAME is a sanitizer build, not timed (run make)"
        else
            echo "newsindex: not built (make)"
        fi ;;
    sphinx) echo "sphinx: not installed (make bench-peers)" ;;
    fts5) echo "fts5: libsqlite3-dev not installed (make bench-peers)" ;;
    esac
}

# ---- the table ----

# Reads $RESULTS and $STATS and prints the Markdown table of one set.
table() {
    set=$1
    notes=
    for sys in $SYSTEMS; do
        available "$sys" || notes="$notes$sys=$(missing_note "$sys");"
    done
    awk -v set="$set" -v target="$TARGET_SPEEDUP" -v systems="$SYSTEMS" -v notes="$notes" "$MEDIAN_AWK"'
    FILENAME ~ /stats$/ { if ($1 == set) { in_bytes = $2; in_docs = $3; text = $4 } next }
    $1 != set { next }
    {
        key = $3; rounds[$2] = 1
        if ($4 != "ok") { failed[key]++; next }
        t[key, $2] = $5; times[key] = times[key] " " $5
        if ($8 != "-" && $8 != "") cpus[key] = cpus[key] " " $8
        sizes[key] = sizes[key] " " $6; docs[key] = $7
    }
    END {
        mb = in_bytes / 1e6
        printf "Input: %d documents, %.2f MB uncompressed input (%.2f MB of title + body text).\n\n", in_docs, mb, text / 1e6
        print "| system | wall s (median) | rounds (s) | CPU s, user+sys (median) | CPU / wall | MB/s | docs/s | docs | index MB | index / input | newsindex speedup (its s / newsindex s) |"
        print "|---|---|---|---|---|---|---|---|---|---|---|"
        nn = split(notes, na, ";")
        for (k = 1; k <= nn; k++) { i = index(na[k], "="); if (i) note_of[substr(na[k], 1, i - 1)] = substr(na[k], i + 1) }
        ns = split(systems, sys, " ")
        for (k = 1; k <= ns; k++) {
            s = sys[k]
            if (times[s] == "") {
                if (failed[s]) printf "| %s | failed (%d runs; see bench/work/logs) | | | | | | | | | |\n", s, failed[s]
                else if (s in note_of) printf "| %s | **not measured**: %s | | | | | | | | | |\n", s, note_of[s]
                continue
            }
            m = median(times[s]); sz = median(sizes[s])
            ratio = ""
            for (r in rounds)
                if ((s, r) in t && ("newsindex", r) in t)
                    ratio = ratio " " t[s, r] / t["newsindex", r]
            sp = (ratio == "") ? "n/a" : sprintf("%.2fx", median(ratio))
            if (s == "newsindex") sp = "1.00x"
            if (s == "naive" && ratio != "") {
                v = median(ratio); verdict = (v >= target) ? "met" : "not met"
                note = sprintf("newsindex >= %.1fx naive: %s (%.2fx)", target, verdict, v)
            }
            # Every system must index every record the readers produced.
            nd = (docs[s] == in_docs) ? docs[s] : docs[s] " (input: " in_docs ")"
            cs = (cpus[s] == "") ? "?" : sprintf("%.2f", median(cpus[s]))
            cw = (cpus[s] == "") ? "?" : sprintf("%.2f", median(cpus[s]) / m)
            printf "| %s | %.2f | %s | %s | %s | %.2f | %.0f | %s | %.1f | %.2f | %s |\n", s, m, substr(times[s], 2), cs, cw, mb / m, docs[s] / m, nd, sz / 1e6, sz / in_bytes, sp
        }
        if (note != "") printf "\nTarget: %s.\n", note
        else print "\nTarget: newsindex >= " target "x naive: not measured (a system is missing or failed)."
    }' "$STATS" "$RESULTS"
}

# ---- main ----

command -v timeout > /dev/null 2>&1 || die "needs timeout (coreutils)"
build_programs
# Time copies of the programs under test: bin/ is shared, and a `make SANITIZE=1` or a
# half-finished build there in the middle of a run would otherwise change what is timed.
# The report keeps the names as given.
NEWSINDEX_NAME=$NEWSINDEX
if [ -x "$NEWSINDEX" ]; then
    cp "$NEWSINDEX" "$BIN/newsindex.timed" || die "cannot copy $NEWSINDEX"
    NEWSINDEX=$BIN/newsindex.timed
fi
RESULTS=$WORK/results.txt
STATS=$WORK/stats
: > "$RESULTS"
: > "$STATS"
: > "$WORK/xapian-check"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$INDEXING" = 1 ] || SETS=
# shellcheck source=bench/query.sh
[ "$QUERY" = 1 ] && . "$ROOT/bench/query.sh"
SCALE=
[ "${BENCH_SCALE:-0}" != 0 ] && SCALE=$BENCH_SCALE
# shellcheck source=bench/scale.sh
[ -n "$SCALE" ] && . "$ROOT/bench/scale.sh"

for set in $SETS; do
    # Counts the input once (and warms the page cache for the first timed build).
    line=$("$BIN/corpus_stats" $(set_paths "$set")) || die "cannot read the input of set $set"
    echo "$set $(echo "$line" | sed -n 's/.*input_bytes=\([0-9]*\).*/\1/p') \
$(echo "$line" | sed -n 's/.* docs=\([0-9]*\).*/\1/p') \
$(echo "$line" | sed -n 's/.*text_bytes=\([0-9]*\).*/\1/p')" >> "$STATS"
done

n=0
for sys in $SYSTEMS; do n=$((n + 1)); done
turn=0
for set in $SETS; do
    round=1
    while [ "$round" -le "$ROUNDS" ]; do
        # Rotate the order: round k starts with the system after round k-1's first.
        i=0 order_head='' order_tail=''
        for sys in $SYSTEMS; do
            if [ "$i" -lt $((turn % n)) ]; then order_tail="$order_tail $sys"; else order_head="$order_head $sys"; fi
            i=$((i + 1))
        done
        for sys in $order_head $order_tail; do
            available "$sys" && run_one "$sys" "$set" "$round"
        done
        turn=$((turn + 1))
        round=$((round + 1))
    done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# The daemon is stopped (query_cleanup) before the report is written.
if [ "$QUERY" = 1 ]; then
    query_bench
    query_cleanup
fi
[ -n "$SCALE" ] && scale_bench

# ---- report ----

# The peers that did not run, each with its reason, for the results' first line: the
# indexing ones missing or failed in every round, then the query half's (QMISSING).
peers_missing() {
    if [ "$INDEXING" = 1 ]; then
        for sys in naive fts5 sphinx; do
            if ! available "$sys"; then
                printf '%s indexing (%s); ' "$sys" "$(missing_note "$sys" | sed 's/^[a-z0-9]*: //')"
            elif ! awk -v s="$sys" '$3 == s && $4 == "ok" { ok = 1 } END { exit !ok }' "$RESULTS"; then
                printf '%s indexing (failed in every round: bench/work/logs); ' "$sys"
            fi
        done
    fi
    [ "$QUERY" = 1 ] && printf '%s' "$QMISSING"
}

# The commit the figures are of, marked when the tree had other changes.
commit_of_tree() {
    c=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null) || { echo "unknown (not a git tree)"; return; }
    git -C "$ROOT" diff --quiet HEAD -- . ':!bench/RESULTS*' 2> /dev/null ||
        c="$c (with uncommitted changes)"
    echo "$c $(git -C "$ROOT" log -1 --format=%s HEAD 2> /dev/null | cut -c1-72)"
}

sphinx_version=$(indexer 2> /dev/null | head -n 1)
missing=$(peers_missing)
{
    if [ -n "$missing" ]; then
        echo "# newsd benchmarks: indexing and queries. NOT MEASURED: ${missing%; }"
    else
        echo "# newsd benchmarks: indexing and queries (every peer measured)"
    fi
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Commit: $(commit_of_tree)"
    echo "- Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
         "$(awk '/^MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo), $(uname -sr);" \
         "load average $load_start at start, $load_end at the end (shared host: read ratios, not seconds)"
    echo "- Xapian $(xapian-config --version 2> /dev/null | awk '{ print $NF }'), SQLite $(pkg-config --modversion sqlite3 2> /dev/null || echo 'not installed')," \
         "${sphinx_version:-Sphinx not installed}"
    command=bench
    [ "$QUICK" = 1 ] && command=bench-quick
    [ "$INDEXING$QUERY" = 00 ] && [ -n "$SCALE" ] && command=bench-scale
    echo "- Command: \`make $command\`" \
         "(sh bench/run.sh with BENCH_QUICK=$QUICK, $( [ "$INDEXING" = 1 ] && echo "$ROUNDS indexing round(s) per input set" || echo "indexing skipped (BENCH_INDEXING=0)"), $( [ "$QUERY" = 1 ] && echo "$QROUNDS query round(s)" || echo "queries skipped (BENCH_QUERY=0)")${BENCH_JOBS:+, newsindex --jobs $BENCH_JOBS}${BENCH_PATHS:+, BENCH_PATHS=$BENCH_PATHS}${BENCH_NEWSINDEX:+, BENCH_NEWSINDEX=$BENCH_NEWSINDEX}${BENCH_NEWSD:+, BENCH_NEWSD=$BENCH_NEWSD}${BENCH_NEWSQ:+, BENCH_NEWSQ=$BENCH_NEWSQ}${SCALE:+, BENCH_SCALE=$SCALE})"
    check=$(cat "$WORK/xapian-check")
    echo "- xapian-check on newsindex's output: ${check:-not run}"
    if [ "$INDEXING" = 1 ]; then
        echo
        echo "Indexing method: the systems run interleaved, one build of each per round, the starting"
        echo "system rotated each round; wall time is measured around the whole program (start"
        echo "to exit, including reading and parsing the input and the final commit). Figures"
        echo "are medians over rounds; \"newsindex speedup\" is the median of the per-round"
        echo "ratios (system time / newsindex time). MB = 10^6 bytes of uncompressed input as"
        echo "the readers consume it (.gz files gunzipped, markup included); index size is"
        echo "\`du -sb\` of the finished index. CPU s is the user + system time of the builder"
        echo "and of every process it waited for (its threads; Sphinx's xmlpipe2 dumper), from"
        echo "getrusage (bench/proctime.c -c); CPU / wall above 1 means it used more than one core."
        for set in $SETS; do
            echo
            echo "## $(set_label "$set")"
            echo
            table "$set"
        done
        echo
        echo "Indexing systems:"
        echo
        echo "- **newsindex**: \`$NEWSINDEX_NAME --index DIR --rebuild${BENCH_JOBS:+ --jobs $BENCH_JOBS} PATH...\`, the full newsd schema (title, body, filters, values, all fields stored)."
        echo "- **naive**: bench/naive_index.cc, the baseline: one thread, default flush threshold, replace_document per record, title (S, wdf x3) and body with positions, Q id term, body as data, one commit."
        echo "- **fts5**: bench/fts5_index.c, SQLite FTS5 \`porter unicode61\`, id/date/source UNINDEXED, all columns stored; journal_mode=OFF, synchronous=OFF, 256 MiB cache, one transaction."
        echo "- **sphinx**: Sphinx \`indexer\` on an xmlpipe2 stream from bench/dump_xmlpipe2.c (its time included; it runs as a second process), morphology=stem_en, mem_limit=256M; Sphinx 2.2 stores no text, only the index and a string attribute for the id."
        # Rebuild vs no-change rerun of newsindex (its own header says how).
        echo; BENCH_NEWSINDEX=$NEWSINDEX sh "$ROOT/bench/incremental.sh"
    fi
    if [ "$QUERY" = 1 ]; then
        echo
        query_report
    fi
    if [ -n "$SCALE" ]; then
        echo
        scale_report
    fi
    # Queries while newsd rebuilds its index (REINDEX): one connection here, about two
    # minutes; `make bench-reindex` adds 8 connections (BENCH_REINDEX=0 skips it).
    if [ "$QUERY" = 1 ] && [ "$QUICK" != 1 ] && [ "${BENCH_REINDEX:-1}" = 1 ]; then
        echo; BENCH_REINDEX_CONNS=${BENCH_REINDEX_CONNS:-1} sh "$ROOT/bench/reindex.sh"
    fi
    # Queries over 1 local index, 3 local and 3 remote shards (bench/shards.sh): one
    # round here, about a minute; `make bench-shards` runs three (BENCH_SHARDS=0 skips it).
    if [ "$QUERY" = 1 ] && [ "$QUICK" != 1 ] && [ "${BENCH_SHARDS:-1}" = 1 ]; then
        echo; BENCH_SHARDS_ROUNDS=${BENCH_SHARDS_ROUNDS:-1} sh "$ROOT/bench/shards.sh"
    fi
    # Normal clients' latency beside hostile ones (about two minutes, plus a build of
    # main's newsd to compare with; BENCH_HOSTILE=0 skips it).
    if [ "$QUERY" = 1 ] && [ "$QUICK" != 1 ] && [ "${BENCH_HOSTILE:-1}" = 1 ]; then
        echo; sh "$ROOT/bench/hostile.sh"
    fi
} > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
cat "$OUT"
echo "bench: wrote ${OUT#"$ROOT"/}" >&2
