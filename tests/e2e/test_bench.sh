#!/bin/sh
# The benchmark's data tools, whose output the published figures rest on:
# bench/make_scaled.c (the synthetic corpus of the scale run) must be deterministic,
# give exactly N times the input's documents under unique new ids, in records newsindex
# reads without a complaint; query_inproc -o (the per-query counts of the hit-count
# comparison) must write one line per query, in log order, with the exact count, and
# mark a failed query; make_querylog -z (the scale run's Zipf log) must regenerate the
# committed log.  They are compiled here against the libraries `make` built.
. "$(dirname "$0")/lib.sh"

BUILD=${BUILD:-build/rel}
LIBS="$ROOT/$BUILD/libingest.a $ROOT/$BUILD/libindex.a $ROOT/$BUILD/libcommon.a"
SAN=
case $BUILD in *san*) SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" ;; esac
PKGS="xapian-core libevent zlib jansson"
FLAGS="-std=c11 -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -I$ROOT/include -I$ROOT/daemon/common -I$ROOT/daemon/ingest -I$ROOT/bench $SAN"
build() {  # program sources...
    prog=$1; shift
    for src in "$@"; do
        ${CC:-cc} $FLAGS $(pkg-config --cflags $PKGS) -c "$ROOT/bench/$src.c" -o "$T/$src.o" || return 1
    done
    objs=$(for src in "$@"; do printf '%s ' "$T/$src.o"; done)
    ${CXX:-c++} $SAN -o "$T/$prog" $objs $LIBS $(pkg-config --libs $PKGS) -lpthread -lm
}
check "make_scaled builds" build make_scaled make_scaled bench_corpus querylog
check "query_inproc builds" build query_inproc query_inproc querylog
MS=$T/make_scaled
IN=$ROOT/tests/data/ingest
# The fixture's readable records (the rest are its malformed ones, skipped).
in_docs=$("$ROOT/bin/newsindex" --index "$T/in-idx" "$IN" 2> /dev/null | sed -n 's/.* docs=\([0-9]*\).*/\1/p')
check "the fixture has records" [ "${in_docs:-0}" -gt 0 ]

# Usage errors: exit status 2 and the usage line.
"$MS" -o "$T" "$IN" > /dev/null 2> "$T/err"; rc=$?
check "no -x: usage error" [ "$rc" = 2 ]
check "usage line" contains "$T/err" "usage: make_scaled"
"$MS" -x 0 -o "$T" "$IN" > /dev/null 2>&1; check "-x 0 refused" [ $? = 2 ]
"$MS" -x 2x -o "$T" "$IN" > /dev/null 2>&1; check "-x 2x refused" [ $? = 2 ]
"$MS" -x 2 "$IN" > /dev/null 2>&1; check "no -o refused" [ $? = 2 ]
"$MS" -x 2 -o "$T/missing" "$IN" > /dev/null 2> "$T/err"; rc=$?
check "missing output folder: failure" [ "$rc" = 1 ]
check "missing output folder: named" contains "$T/err" "$T/missing/scaled-0001.jsonl"

mkdir -p "$T/a" "$T/b" "$T/c"
"$MS" -x 3 -f 4 -o "$T/a" "$IN" > "$T/a.out" 2> /dev/null
check "make_scaled -x 3 succeeds" [ $? = 0 ]
check "four files" [ "$(ls "$T/a" | wc -l)" = 4 ]
cat "$T/a"/scaled-*.jsonl > "$T/a.all"
# Records with neither title nor body are no templates; the rest are the input.
used=$(sed -n 's/.* input_docs=\([0-9]*\).*/\1/p' "$T/a.out")
empty=$(sed -n 's/.* empty_input_docs=\([0-9]*\).*/\1/p' "$T/a.out")
check "every input record seen" [ "$((${used:-0} + ${empty:-0}))" = "$in_docs" ]
want=$((3 * ${used:-0}))
check "3x the input's documents" [ "$(wc -l < "$T/a.all")" = "$want" ]
check "summary counts them" contains "$T/a.out" "docs=$want "
sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$T/a.all" > "$T/ids"
check "every record starts with its id" [ "$(wc -l < "$T/ids")" = "$want" ]
check "ids unique" [ -z "$(sort "$T/ids" | uniq -d)" ]
check "ids numbered scaled-1 to scaled-$want" \
    [ "$(head -n 1 "$T/ids")-$(tail -n 1 "$T/ids")" = "scaled-1-scaled-$want" ]
"$MS" -x 3 -f 4 -o "$T/b" "$IN" > /dev/null 2>&1
check "same seed: the same bytes" sh -c "cat '$T/b'/scaled-*.jsonl | cmp -s - '$T/a.all'"
"$MS" -s 12345 -x 3 -f 4 -o "$T/c" "$IN" > /dev/null 2>&1
check "another seed: other documents" sh -c "! cat '$T/c'/scaled-*.jsonl | cmp -s - '$T/a.all'"

"$ROOT/bin/newsindex" --index "$T/idx" "$T/a" > "$T/ni.out" 2> "$T/ni.err"
check "newsindex reads the corpus" [ $? = 0 ]
check "newsindex: every record added" field_is "$T/ni.out" added "$want"
check "newsindex: nothing skipped" field_is "$T/ni.out" skipped 0
check "newsindex: no complaint" [ ! -s "$T/ni.err" ]

# Per-query counts: a word of the corpus, the same word again, a word in no document
# and a query the parser refuses, in that order.
word=$(sed -n 's/^{"id":"[^"]*","title":"\([A-Za-z]\{4,\}\).*/\1/p' "$T/a.all" | head -n 1 |
       tr 'A-Z' 'a-z')
check "a title word to ask for" [ -n "$word" ]
printf '%s\n%s\nzzqqxxnothere\nAND\n' "$word" "$word" > "$T/queries"
"$T/query_inproc" -i "$T/idx" -q "$T/queries" -m exact -o "$T/counts" > "$T/qi.out" 2> /dev/null
check "a failed query: exit status 1" [ $? = 1 ]
check "one line per query" [ "$(wc -l < "$T/counts")" = 4 ]
n=$(sed -n '1s/\t.*//p' "$T/counts")
check "the word matches" [ "${n:-0}" -gt 0 ]
check "its count as COUNT<TAB>QUERY" [ "$(sed -n 1p "$T/counts")" = "$(printf '%s\t%s' "$n" "$word")" ]
check "the same query, the same count" [ "$(sed -n 2p "$T/counts")" = "$(sed -n 1p "$T/counts")" ]
check "no match: 0" [ "$(sed -n 3p "$T/counts")" = "$(printf '0\tzzqqxxnothere')" ]
check "bad query: error" [ "$(sed -n 4p "$T/counts")" = "$(printf 'error\tAND')" ]
"$T/query_inproc" -i "$T/idx" -q "$T/queries" -m exact -t 2 -o "$T/counts" > /dev/null 2>&1
check "-o with two threads refused" [ $? = 2 ]
# The document cache in the in-process runs: warmed (-w) or off (-C 0), the same hits.
printf '%s\n%s\n' "$word" "$word" > "$T/q1"
hits_qi() { "$T/query_inproc" -i "$T/idx" -q "$T/q1" -m fields "$@" 2> /dev/null |
            sed -n 's/.* hits=\([0-9]*\) .*/\1/p'; }
h=$(hits_qi)
check "query_inproc fields: hits" [ "${h:-0}" -gt 0 ]
check "query_inproc -w: the same hits" [ "$(hits_qi -w)" = "$h" ]
check "query_inproc -C 0 -w: the same hits" [ "$(hits_qi -C 0 -w)" = "$h" ]
"$T/query_inproc" -i "$T/idx" -q "$T/q1" -C -2 > /dev/null 2>&1
check "-C below 0 refused" [ $? = 2 ]
"$T/query_inproc" -i "$T/idx" -q "$T/q1" -C 70000 > /dev/null 2> "$T/err"
check "-C over the C API's limit: a failure" [ $? = 1 ]
check "-C over the C API's limit: named" contains "$T/err" "document cache over"
check "query_inproc -R 30: the same hits" [ "$(hits_qi -R 30)" = "$h" ]
"$T/query_inproc" -i "$T/idx" -q "$T/q1" -R 36501 > /dev/null 2>&1
check "-R over NEWSD_MAX_RECENCY_DAYS refused" [ $? = 2 ]

# xapian_shards (bench/shards.sh's figures): the same hits over one index and over its
# shards, in every mode; usage errors; a shard that cannot be reached is a failure.
# Both raw-Xapian programs parse with the shim's own set-up (daemon/index/query.hh).
XFLAGS="-std=c++17 -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -I$ROOT/bench -I$ROOT/include -I$ROOT/daemon/index $SAN"
check "xapian_shards builds" sh -c "${CXX:-c++} $XFLAGS -o $T/xapian_shards \
    $ROOT/bench/xapian_shards.cc $T/querylog.o $LIBS $(pkg-config --cflags --libs xapian-core) -lpthread"
check "xapian_ids builds" sh -c "${CXX:-c++} $XFLAGS -o $T/xapian_ids \
    $ROOT/bench/xapian_ids.cc $T/querylog.o $LIBS $(pkg-config --cflags --libs xapian-core) -lpthread"
XS=$T/xapian_shards
"$ROOT/bin/newsindex" --index "$T/sh" --shards 2 "$IN" > /dev/null 2>&1
printf '%s\n%s\n' "$word" "$word" > "$T/q2"
# hits_of MODE SPEC...: the hits= of one run.
hits_of() { m=$1; shift; "$XS" -q "$T/q2" -m "$m" "$@" 2> /dev/null | sed -n 's/.* hits=\([0-9]*\) .*/\1/p'; }
one=$(hits_of ids "$T/in-idx")
check "xapian_shards: the word has hits" [ "${one:-0}" -gt 0 ]
check "xapian_ids: the same hits as xapian_shards -m ids" [ "$("$T/xapian_ids" -i "$T/in-idx" -q "$T/q2" 2> /dev/null |
    sed -n 's/.* hits=\([0-9]*\) .*/\1/p')" = "$one" ]
for m in ids data fetch pershard; do
    check "xapian_shards -m $m: 2 shards give the one index's hits" [ "$(hits_of "$m" "$T/sh/shard-0" "$T/sh/shard-1")" = "$one" ]
done
"$XS" -q "$T/q2" -m bogus "$T/in-idx" > /dev/null 2>&1
check "xapian_shards: unknown mode refused" [ $? = 2 ]
"$XS" -q "$T/q2" > /dev/null 2>&1
check "xapian_shards: no shard refused" [ $? = 2 ]
"$XS" -q "$T/q2" -T 2000 "$T/in-idx" tcp:127.0.0.1:1 > /dev/null 2>&1
check "xapian_shards: an unreachable shard fails" [ $? = 1 ]

# bench/make_querylog.c -z: the scale run's log of realistic shape (Zipf draws from a
# pool), deterministic, so the committed bench/queries-zipf.txt is what it writes.
check "make_querylog builds" build make_querylog make_querylog bench_corpus querylog
MQ=$T/make_querylog
"$MQ" -s 7 -n 2000 -p 50000 -z 0.8 "$ROOT/corpus" > "$T/zipf" 2> "$T/zipf.err"
check "make_querylog -z succeeds" [ $? = 0 ]
check "the committed Zipf log regenerates" cmp -s "$T/zipf" "$ROOT/bench/queries-zipf.txt"
check "2000 draws" [ "$(wc -l < "$T/zipf")" = 2000 ]
distinct=$(sort -u "$T/zipf" | wc -l)
check "queries repeat: fewer distinct than draws" [ "$distinct" -lt 2000 ]
check "the summary counts the distinct ones" contains "$T/zipf.err" "distinct=$distinct "
"$MQ" -z 0 "$IN" > /dev/null 2> "$T/err"; rc=$?
check "-z 0 refused" [ "$rc" = 2 ]
check "-z 0: the reason named" contains "$T/err" "the exponent must be"
"$MQ" -z 0.8 -p 0 "$IN" > /dev/null 2>&1; check "-p 0 refused" [ $? = 2 ]

# loadgen against newsd: a folded hit's "dups" lines in a text reply are part of it (not a
# bad reply), and -D ends a run in time, its figures those of the requests answered.
check "loadgen builds" build loadgen loadgen bench_corpus querylog sphinxql
"$ROOT/bin/newsindex" --index "$T/bbc" "$ROOT/corpus/bbc" > /dev/null 2>&1
check "the BBC corpus indexed" [ $? = 0 ]
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
start lg --index "$T/bbc" --listen 127.0.0.1:0 --no-config
printf '%s\n' "mobile phone" said music government > "$T/lgq"
"$T/loadgen" -a "$TCP" -q "$T/lgq" -n 4 > "$T/lg.out" 2> "$T/lg.err"
check "text replies with dups lines: exit 0" [ $? = 0 ]
check "text replies with dups lines: no error" contains "$T/lg.out" " errors=0 "
python3 -c '
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=30)
s.sendall(b"SEARCH limit=10 -- mobile phone\n")
d = b""
while not d.endswith(b"END\n"):
    c = s.recv(65536)
    if not c: break
    d += c
sys.stdout.write(d.decode())' "$TCP" > "$T/fold.out"
check "the log's queries fold near-duplicates (dups lines)" grep -q '^dups' "$T/fold.out"
"$T/loadgen" -a "$TCP" -q "$T/lgq" -c 2 -n 100000000 -D 1 > "$T/lg.out" 2> "$T/lg.err"
check "-D 1: exit 0" [ $? = 0 ]
answered=$(sed -n 's/.* queries=\([0-9]*\) .*/\1/p' "$T/lg.out")
check "-D 1: some requests answered, far fewer than asked" \
    [ "${answered:-0}" -gt 0 ] && [ "${answered:-0}" -lt 100000000 ]
"$T/loadgen" -a "$TCP" -q "$T/lgq" -D -1 > /dev/null 2>&1
check "-D below 0 refused" [ $? = 2 ]
stop "$PID"

finish
