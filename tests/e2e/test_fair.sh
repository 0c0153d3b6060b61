#!/bin/sh
# The fair scheduler of a worker (tests/README.md), over TCP and the
# Unix socket, against an index of 2,000 Reuters records.  Nothing is timed:
#  - a client that pipelines 100 full pages with snippets and never reads gets at most
#    1 + NEWSD_MAX_UNSENT / (page size, rounded up) of them computed (STATS' searches
#    counter, before and after; its receive buffer kept at the minimum, since what the
#    client's own kernel takes newsd cannot tell from reading); no more while it does not
#    read, others are served meanwhile, and once it reads it gets all 100, in order;
#  - a client that pipelines 2,000 requests (PINGs, GETs of missing ids, a page of 20 hits
#    with snippets every tenth) and reads as it goes gets every reply, in order;
#  - two such deep pipelines at once, with a churning load of 20 one-at-a-time clients:
#    everyone gets every answer (nobody starves).
. "$(dirname "$0")/lib.sh"
NC=$T/nclient
NI=$BIN/newsindex
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the line client builds" [ -x "$NC" ]

mkdir "$T/in"
cp "$ROOT/corpus/reuters21578/reut2-000.sgm.gz" "$ROOT/corpus/reuters21578/reut2-001.sgm.gz" "$T/in/"
"$NI" --index "$T/idx" --jobs 1 "$T/in" >"$T/out" 2>&1
check "index of 2000 Reuters records" contains "$T/out" "docs=2000"

start main --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/s.sock" --workers 2 \
    --log-level debug
MAIN=$PID
UNIX=unix:$T/s.sock

alive() { [ "$(printf 'PING\n' | "$NC" "$1")" = "OK pong" ]; }
# stat NAME: one STATS counter.
stat() { printf 'STATS\n' | "$NC" "$TCP" | awk -v k="$1" -F '\t' '$1 == k { print $2 }'; }
# throttles: connections newsd has stopped serving so far for unread replies.
throttles() { grep -c 'event=throttle ' "$T/main.log"; }
more_throttles() { [ "$(throttles)" -gt "$1" ]; }
# masked FILE: took_us values replaced by 0.
masked() { sed 's/"took_us":[0-9]*/"took_us":0/; s/ took_us=[0-9]*/ took_us=0/' "$1"; }
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# all_pages RC FILE: the never-reader exited 0 with 100 replies, each the full page.
all_pages() {
    [ "$1" -eq 0 ] && [ "$(wc -l <"$2")" -eq 100 ] &&
        [ "$(masked "$2" | sort -u)" = "$(masked "$T/page")" ]
}
# in_order RC FILE...: each client exited 0 and got exactly $T/deep.want.
in_order() {
    [ "$1" -eq 0 ] || return 1
    shift
    for f in "$@"; do masked "$f" | cmp -s - "$T/deep.want" || return 1; done
}

# NEWSD_MAX_UNSENT is written (N * 1024u): its value in bytes.
UNSENT=$(sed -n 's/^#define NEWSD_MAX_UNSENT (\([0-9]*\)u \* \([0-9]*\)u)$/\1 \2/p' "$ROOT/include/newsd_limits.h")
UNSENT=$(echo "$UNSENT" | awk '{ print $1 * $2 }')
check "NEWSD_MAX_UNSENT read from newsd_limits.h" [ "${UNSENT:-0}" -gt 0 ]
PAGE_REQ='SEARCH format=json limit=100 the'
printf '%s\n' "$PAGE_REQ" | "$NC" "$TCP" >"$T/page"
PAGE=$(wc -c <"$T/page")
check "a full page with snippets is bigger than NEWSD_MAX_UNSENT ($PAGE > $UNSENT bytes)" [ "$PAGE" -gt "$UNSENT" ]
BOUND=$((1 + (UNSENT + PAGE - 1) / PAGE))
echo "fair: page $PAGE bytes, NEWSD_MAX_UNSENT $UNSENT: a never-reader gets at most $BOUND computed"

# ---- never-readers: a page or two computed, then nothing until they read ----
i=0; : >"$T/nr.in"
while [ $i -lt 100 ]; do printf '%s\n' "$PAGE_REQ" >>"$T/nr.in"; i=$((i + 1)); done
for addr in "$TCP" "$UNIX"; do
    kind=TCP; [ "$addr" = "$UNIX" ] && kind=Unix
    before=$(stat searches)
    seen=$(throttles)
    rm -f "$T/go"
    "$NC" -t 120 -r 1 -w "$T/go" "$addr" <"$T/nr.in" >"$T/nr.out" & nr=$!
    PIDS="$PIDS $nr"
    check "$kind never-reader: newsd stops serving it" wait_for 60 more_throttles "$seen"
    computed=$(($(stat searches) - before))
    echo "fair: $kind never-reader: $computed of 100 computed"
    check "$kind never-reader: at most $BOUND of its 100 pages computed (got $computed)" \
        between "$computed" 1 "$BOUND"
    check "$kind never-reader: others are served meanwhile" alive "$TCP"
    check "$kind never-reader: and over the Unix socket" alive "$UNIX"
    check "$kind never-reader: nothing more computed while it does not read" \
        [ "$(($(stat searches) - before))" -eq "$computed" ]
    touch "$T/go"
    wait "$nr"; rc=$?
    check "$kind never-reader: once it reads, it gets all 100 pages" all_pages "$rc" "$T/nr.out"
done

# ---- a deep pipeline that reads: every reply, in order ----
printf 'SEARCH format=json limit=20 the\n' | "$NC" "$TCP" >"$T/p20"
masked "$T/p20" >"$T/p20.masked"
check "a page of 20 hits" contains "$T/p20" '"shown":20,'
awk -v in_file="$T/deep.in" -v want_file="$T/deep.want" -v page_file="$T/p20.masked" 'BEGIN {
    getline page < page_file
    for (i = 0; i < 2000; i++) {
        if (i % 10 == 0) {
            print "SEARCH format=json limit=20 the" > in_file; print page > want_file
        } else if (i % 10 == 5) {
            print "GET missing-" i > in_file
            print "ERR not_found no document with id missing-" i > want_file
        } else {
            print "PING" > in_file; print "OK pong" > want_file
        }
    }
}'
for addr in "$TCP" "$UNIX"; do
    kind=TCP; [ "$addr" = "$UNIX" ] && kind=Unix
    "$NC" -t 120 "$addr" <"$T/deep.in" >"$T/deep.out"; rc=$?
    check "$kind: 2000 pipelined requests, 2000 replies in order" in_order "$rc" "$T/deep.out"
done

# ---- two deep pipelines and a churning load at once: nobody starves ----
printf 'PING\tOK pong\nCOUNT cocoa\tOK count=%s\nGET nosuch\tERR not_found no document with id nosuch\n' \
    "$(printf 'COUNT cocoa\n' | "$NC" "$TCP" | sed -n 's/^OK count=\([0-9]*\).*/\1/p')" >"$T/load"
"$NC" -t 120 "$TCP" <"$T/deep.in" >"$T/deep1.out" & d1=$!
"$NC" -t 120 "$UNIX" <"$T/deep.in" >"$T/deep2.out" & d2=$!
PIDS="$PIDS $d1 $d2"
"$NC" -t 120 -L 20,50 "$TCP" "$T/load" >"$T/load.out"
check "a churning load beside two deep pipelines: every answer right" \
    contains "$T/load.out" "load ok=1000 bad=0"
wait "$d1"; r1=$?
wait "$d2"; r2=$?
check "the deep pipelines beside it: every reply, in order" in_order "$((r1 + r2))" \
    "$T/deep1.out" "$T/deep2.out"
check "after all that, PING" alive "$TCP"
stop "$MAIN"
check "SIGTERM: exit 0" [ "$RC" -eq 0 ]

finish
