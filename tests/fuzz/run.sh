#!/bin/sh
# tests/fuzz/run.sh: `make fuzz-run`.  Runs each fuzz target named on the command line for
# FUZZ_SECONDS with libFuzzer, starting from a seed corpus made here from the real data
# (corpus/, tests/data/, the request lines of the end-to-end tests) plus the committed
# tests/fuzz/seeds/<target>/ and tests/fuzz/regress/<target>/.  Prints one line per target
# with the executions done, and last "N passed, M failed" (a target passes when libFuzzer
# found no crash, leak, timeout or out-of-memory).  Exit status 0 only when all passed.
#
# What libFuzzer finds goes to build/fuzz/artifacts/<target>/ (crash-*, leak-*, timeout-*,
# oom-*); replay one with build/rel/tests/fuzz/replay_<target> FILE, fix the code, and commit
# the input under tests/fuzz/regress/<target>/.  The corpus libFuzzer grows is kept in
# build/fuzz/corpus/<target>/ and reused by the next run.
set -u
B=${FUZZ_BUILD:-build/fuzz}
S=${FUZZ_SECONDS:-60}
L=${FUZZ_MAX_LEN:-16384}
T=${FUZZ_TIMEOUT:-10}
R=${FUZZ_RSS_MB:-2048}
# Bytes of a Reuters .sgm file per seed: a few whole <REUTERS> records.
SGM_SEED_BYTES=12000
# Queries of bench/queries.txt made into seeds (query and proto targets).
QUERY_SEEDS=40

seed() {   # seed DIR NAME: stdin into DIR/NAME
    cat >"$1/$2"
}

make_seeds() {
    t=$1; d=$2
    rm -rf "$d"; mkdir -p "$d"
    case $t in
    text)
        for f in corpus/bbc/*/00[1-3].txt corpus/seed/*.txt tests/data/ingest/text/*.txt \
                 tests/data/newsd/world/*.txt; do
            [ -f "$f" ] && seed "$d" "$(echo "$f" | tr '/' '_')" <"$f"
        done
        # an id before a NUL byte: source, topic and date come from the path
        { printf 'bbc/business/outlet-2020-02-29-x.txt\000'; cat corpus/bbc/business/004.txt; } |
            seed "$d" named-id
        ;;
    reuters)
        cp tests/data/ingest/sample.sgm "$d/"
        for n in 000 010 021; do
            gzip -dc "corpus/reuters21578/reut2-$n.sgm.gz" | head -c "$SGM_SEED_BYTES" |
                seed "$d" "reut2-$n-head"
        done
        gzip -dc corpus/reuters21578/reut2-005.sgm.gz | head -c $((SGM_SEED_BYTES * 4)) |
            tail -c "$SGM_SEED_BYTES" | seed "$d" reut2-005-middle
        ;;
    trec)
        cp tests/data/ingest/sample.trec "$d/"
        # BBC articles wrapped as TREC documents
        i=0
        for f in corpus/bbc/*/005.txt; do
            i=$((i + 1))
            { printf '<DOC>\n<DOCNO>BBC-%s</DOCNO>\n<DATE>2005-03-0%s</DATE>\n<HEADLINE>' "$i" "$i"
              head -n 1 "$f"; printf '</HEADLINE>\n<TEXT>\n'; tail -n +2 "$f"
              printf '</TEXT>\n</DOC>\n'; } | seed "$d" "bbc-$i.trec"
        done
        ;;
    jsonl)
        for f in tests/data/ingest/sample.jsonl tests/data/newsd/feed.jsonl; do
            cp "$f" "$d/"
            n=0
            while IFS= read -r line; do
                n=$((n + 1))
                printf '%s\n' "$line" | seed "$d" "$(basename "$f")-$n"
            done <"$f"
        done
        ;;
    gz)
        # byte 0: format (0 auto, 1 text, 2 reuters, 3 jsonl, 4 trec), +8 for a raw .gz
        for pair in 0:tests/data/ingest/sample.sgm 1:corpus/bbc/tech/003.txt \
                    2:tests/data/ingest/sample.sgm 3:tests/data/ingest/sample.jsonl \
                    4:tests/data/ingest/sample.trec 0:tests/data/newsd/feed.jsonl; do
            fmt=${pair%%:*}; f=${pair#*:}; name=$fmt-$(basename "$f")
            { printf "\\00$fmt"; cat "$f"; } | seed "$d" "$name"
            { printf "\\0$((fmt + 10))"; gzip -c "$f"; } | seed "$d" "$name.gz"
            # the same stream cut short: a truncated file
            gzip -c "$f" >"$d/.whole"
            { printf "\\0$((fmt + 10))"; head -c $(($(wc -c <"$d/.whole") / 2)) "$d/.whole"; } |
                seed "$d" "$name.cut.gz"
            rm -f "$d/.whole"
        done
        ;;
    query)
        # header: flags (sort, snippets 4, exact 8), limit, offset, snippet length / 20
        head -n "$QUERY_SEEDS" bench/queries.txt | while IFS= read -r q; do
            n=$(printf '%s' "$q" | cksum | cut -d ' ' -f 1)
            { printf '\014\012\000\012'; printf '%s' "$q"; } | seed "$d" "q-$n"
        done
        printf '\015\005\001\012wheat OR cocoa\n19870101\n19871231\nreuters\n\n[\n]' |
            seed "$d" date-filters
        printf '\016\144\000\377title:oil AND NOT cocoa\n\n\n\ngrain' | seed "$d" topic-date-asc
        printf '\004\012\000\012"istanbul convention"\n2021-01-01\n\nduvar' | seed "$d" phrase
        printf '\010\000\000\000wh* OR sha*' | seed "$d" wildcard
        ;;
    proto)
        grep -hE '^(SEARCH|COUNT|GET|ADD|DELETE|STATS|PING|HELP|QUIT|FORMAT|FROB)( |$)' \
            tests/e2e/test_newsd.sh tests/e2e/test_newsq.sh 2>/dev/null | sed "s/'.*//" |
            sort -u | while IFS= read -r line; do
            n=$(printf '%s' "$line" | cksum | cut -d ' ' -f 1)
            printf '%s\n' "$line" | seed "$d" "line-$n"
        done
        head -n "$QUERY_SEEDS" bench/queries.txt | while IFS= read -r q; do
            n=$(printf '%s' "$q" | cksum | cut -d ' ' -f 1)
            printf 'SEARCH format=json %s\r\nCOUNT %s\n' "$q" "$q" | seed "$d" "q-$n"
        done
        ;;
    esac
}

dict_for() {
    case $1 in
    proto) echo tests/fuzz/dict/proto.dict ;;
    query) echo tests/fuzz/dict/query.dict ;;
    reuters|trec) echo tests/fuzz/dict/sgml.dict ;;
    jsonl) echo tests/fuzz/dict/jsonl.dict ;;
    *) echo "" ;;
    esac
}

pass=0; fail=0
for t in "$@"; do
    bin=$B/fuzz_$t
    mkdir -p "$B/corpus/$t" "$B/artifacts/$t" "$B/logs"
    make_seeds "$t" "$B/seeds/$t"
    log=$B/logs/$t.log
    dict=$(dict_for "$t")
    dirs="$B/corpus/$t $B/seeds/$t"
    for extra in tests/fuzz/seeds/$t tests/fuzz/regress/$t; do
        [ -d "$extra" ] && dirs="$dirs $extra"
    done
    echo "fuzz_$t: $S s ($log)"
    # shellcheck disable=SC2086  # $dirs is a list of folders without spaces
    "$bin" -max_total_time="$S" -print_final_stats=1 -max_len="$L" -timeout="$T" \
        -rss_limit_mb="$R" -artifact_prefix="$B/artifacts/$t/" ${dict:+-dict="$dict"} \
        $dirs >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d ' ' -f 2)
    units=$(find "$B/corpus/$t" -type f | wc -l)
    if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
        echo "ok   fuzz_$t: ${execs} executions in ${S} s, coverage ${cov:-?} edges, corpus ${units} inputs"
        pass=$((pass + 1))
    else
        art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        kind=$(grep -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)[^ ]*( [a-z-]+)*' "$log" | head -n 1)
        echo "FAIL fuzz_$t: exit $rc, ${execs:-?} executions; ${kind:-see the log}; input: ${art:-none written}"
        sed 's/^/    | /' "$log" | grep -v '^    | #[0-9]' | tail -n 40
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
