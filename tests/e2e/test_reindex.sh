#!/bin/sh
# End-to-end tests of REINDEX / STATUS and `newsq reindex`: the daemon rebuilds the
# shipped corpus while clients query it without pause (every reply checked: no error, no
# empty result, no wrong count) and live writes arrive (carried over into the new
# index); the document count afterwards; the old folder removed; errors (busy, bad
# paths, a failing indexer, cancel) leave the live index as it was; a daemon killed
# mid-rebuild leaves nothing behind that its next start does not clean up.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NQ=$BIN/newsq
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
TAB=$(printf '\t')

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]

send() { "$NC" "$@" | sed -E 's/took_us=[0-9]+/took_us=N/; s/"took_us":[0-9]+/"took_us":N/'; }
# status_is STATE: STATUS reports STATE.
status_is() { printf 'STATUS\n' | "$NC" "$UNIX" | grep -q "^OK state=$1 "; }
# reindex_over: the job is done or failed.
reindex_over() { printf 'STATUS\n' | "$NC" "$UNIX" | grep -Eq '^OK state=(done|failed) '; }

CORPUS=$ROOT/corpus
"$BIN/newsindex" --index "$T/idx" "$CORPUS" >"$T/build.out" 2>&1
check "the shipped corpus is indexed" contains "$T/build.out" "docs=23804"
start main --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/s.sock" --workers 2
MAIN=$PID
MAIN_TCP=$TCP
UNIX="unix:$T/s.sock"

# ---- before any rebuild ----
check "STATUS before any rebuild" [ "$(printf 'STATUS\n' | send "$UNIX")" = "OK state=idle job=0" ]
printf 'STATUS format=json\n' | send "$UNIX" >"$T/got"
check "STATUS in JSON" [ "$(cat "$T/got")" = '{"status":"ok","state":"idle","job":0}' ]
"$NQ" -a "$UNIX" status >"$T/got" 2>&1
check "newsq status" contains "$T/got" "idle"

# ---- bad requests: the index stays as it is ----
printf 'REINDEX relative/corpus\nREINDEX /no/such/corpus\nREINDEX cancel=1\nREINDEX cancel=2\nREINDEX cancel=1 /tmp\nREINDEX "unterminated\nREINDEX bogus=1 /tmp\nPING\n' | send "$UNIX" >"$T/got"
cat >"$T/want" <<'EOF'
ERR bad_request paths must be absolute, not 'relative/corpus'
ERR bad_request /no/such/corpus: No such file or directory
ERR not_found no rebuild is running
ERR bad_request cancel takes 1
ERR bad_request REINDEX cancel=1 takes no paths
ERR bad_request a quoted path must be a JSON string: premature end of input near '"unterminated'
ERR bad_request unknown option 'bogus' for REINDEX
OK pong
EOF
check "REINDEX errors, exact replies" diff -u "$T/want" "$T/got"
# ---- REINDEX reads only regular files and folders under the corpus roots ----
# (the default roots: the paths the index was built from, here corpus/)
printf 'REINDEX /etc/passwd\nPING\nREINDEX /proc/self/environ\nPING\nREINDEX /\nPING\nREINDEX /dev/zero\nPING\nREINDEX %s/../tests\nPING\n' "$CORPUS" | send "$UNIX" >"$T/got"
cat >"$T/want" <<EOF
ERR forbidden /etc/passwd is outside the corpus roots (--corpus-root)
OK pong
ERR forbidden /proc/self/environ is outside the corpus roots (--corpus-root)
OK pong
ERR forbidden / is outside the corpus roots (--corpus-root)
OK pong
ERR forbidden /dev/zero is outside the corpus roots (--corpus-root)
OK pong
ERR forbidden $CORPUS/../tests is outside the corpus roots (--corpus-root)
OK pong
EOF
check "REINDEX outside the recorded corpus root: forbidden, newsd answers" diff -u "$T/want" "$T/got"
printf 'REINDEX format=json /etc/passwd\n' | send "$UNIX" >"$T/got"
check "ERR forbidden in JSON" [ "$(cat "$T/got")" = '{"status":"error","code":"forbidden","message":"/etc/passwd is outside the corpus roots (--corpus-root)"}' ]
"$NQ" -a "$UNIX" reindex /etc/passwd >"$T/out" 2>"$T/err"; rc=$?
check "newsq reindex /etc/passwd: exit 2" [ "$rc" -eq 2 ]
check "newsq reindex /etc/passwd: forbidden" contains "$T/err" "forbidden: /etc/passwd is outside the corpus roots"
check "a forbidden REINDEX starts no job" [ "$(printf 'STATUS\n' | send "$UNIX")" = "OK state=idle job=0" ]

# --corpus-root: a FIFO, a symlink leading out, a folder whose name only starts like the
# root's, all refused; a path under the root rebuilds
mkdir -p "$T/root/news" "$T/root2"
cp -r "$ROOT/tests/data/newsd/." "$T/root/news/"
cp -r "$ROOT/tests/data/newsd/." "$T/root2/"
mkfifo "$T/root/fifo"
ln -s /etc/passwd "$T/root/passwd-link"
ln -s "$T/root2" "$T/root/root2-link"
"$BIN/newsindex" --index "$T/small" "$T/root/news" >"$T/out" 2>&1
check "a small index under the root" field_is "$T/out" docs 6
start roots --index "$T/small" --listen "unix:$T/r1.sock" --corpus-root "$T/root"
RPID=$PID
printf 'REINDEX %s/fifo\nPING\nREINDEX %s/passwd-link\nPING\nREINDEX %s/root2-link\nPING\nREINDEX %s\nPING\nREINDEX %s/news %s/root2\nPING\n' \
    "$T/root" "$T/root" "$T/root" "$T/root2" "$T/root" "$T" | send "unix:$T/r1.sock" >"$T/got"
cat >"$T/want" <<EOF
ERR forbidden $T/root/fifo is not a regular file or a folder
OK pong
ERR forbidden $T/root/passwd-link is outside the corpus roots (--corpus-root)
OK pong
ERR forbidden $T/root/root2-link is outside the corpus roots (--corpus-root)
OK pong
ERR forbidden $T/root2 is outside the corpus roots (--corpus-root)
OK pong
ERR forbidden $T/root2 is outside the corpus roots (--corpus-root)
OK pong
EOF
check "--corpus-root: FIFO, symlinks out, sibling prefix forbidden; newsd answers" diff -u "$T/want" "$T/got"
check "no forbidden REINDEX started a job" [ "$(printf 'STATUS\n' | send "unix:$T/r1.sock")" = "OK state=idle job=0" ]
keep=$(ls "$T/root/news" | head -n 1)
find "$T/root/news" -type f ! -name "$keep" -exec rm -f {} +
printf 'REINDEX %s/news/../news\n' "$T/root" | send "unix:$T/r1.sock" >"$T/got"
check "a path under the root is rebuilt" [ "$(cat "$T/got")" = "OK job=1 state=running paths=1" ]
wait_for 60 sh -c "printf 'STATUS\n' | '$NC' 'unix:$T/r1.sock' | grep -Eq '^OK state=(done|failed) '"
printf 'STATUS\n' | send "unix:$T/r1.sock" >"$T/got"
check "the rebuild under the root is done" grep -q '^OK state=done job=1 ' "$T/got"
check "the rebuild read only what is left under the root" [ "$(doc_count "$T/small")" -lt 6 ]
stop "$RPID"

# ---- the rebuilt index cannot be flushed to disk: no swap (test-only fault) ----
before=$(doc_count "$T/small")
NEWSD_TEST_FAIL_REINDEX_SYNC=1 start unsynced --index "$T/small" --listen "unix:$T/u.sock" --corpus-root "$T/root"
UPID=$PID
cp -r "$ROOT/tests/data/newsd/." "$T/root/news/"
printf 'REINDEX %s/news\n' "$T/root" | send "unix:$T/u.sock" >"$T/got"
check "unsynced: the rebuild starts" [ "$(cat "$T/got")" = "OK job=1 state=running paths=1" ]
wait_for 60 sh -c "printf 'STATUS\n' | '$NC' 'unix:$T/u.sock' | grep -Eq '^OK state=(done|failed) '"
printf 'STATUS\nPING\n' | send "unix:$T/u.sock" >"$T/got"
check "unsynced: the rebuild fails, saying why" \
    grep -q '^OK state=failed job=1 .* message=cannot flush the rebuilt index to disk: Input/output error; the index was left as it was$' "$T/got"
check "unsynced: newsd answers" grep -q '^OK pong$' "$T/got"
check "unsynced: the old index stays live" [ "$(doc_count "$T/small")" = "$before" ]
check "unsynced: no work or old folder is left" wait_for 10 sh -c "[ -z \"\$(ls -d '$T'/small.* 2>/dev/null)\" ]"
stop "$UPID"
TCP=$MAIN_TCP   # (start set it to the last daemon's)
"$ND" --index "$T/small" --corpus-root relative/dir >"$T/out" 2>"$T/err"; rc=$?
check "--corpus-root must be an absolute folder: exit 2" [ "$rc" -eq 2 ]

printf 'REINDEX %s\nSTATUS\n' "$CORPUS" | send "$TCP" >"$T/got"
check "REINDEX over TCP needs write authority" [ "$(sed -n 1p "$T/got")" = "ERR unauthorized REINDEX is refused on TCP: newsd runs without --auth-token-file; write through its Unix socket" ]
check "STATUS over TCP is open" [ "$(sed -n 2p "$T/got")" = "OK state=idle job=0" ]
"$NQ" -a "$UNIX" reindex "$T/no-such-dir" >"$T/out" 2>"$T/err"; rc=$?
check "newsq reindex of a missing folder: exit 2" [ "$rc" -eq 2 ]
check "newsq reindex of a missing folder: message" contains "$T/err" "no-such-dir: No such file or directory"
"$NQ" -a "$UNIX" reindex --cancel >"$T/out" 2>"$T/err"; rc=$?
check "newsq reindex --cancel with nothing running: exit 2" [ "$rc" -eq 2 ]
check "newsq reindex --cancel with nothing running: message" contains "$T/err" "not_found: no rebuild is running"
"$NQ" -a "$UNIX" stats --detach >"$T/out" 2>"$T/err"; rc=$?
check "--detach belongs to reindex only" [ "$rc" -eq 2 ]

# ---- queries that must keep their answers while the index is rebuilt ----
# Counts are taken now; the live writes below touch only source=live and one Reuters
# document, so every BBC count stays as it is.
: >"$T/load"
for q in economy "\"oil prices\"" title:election "film OR music" "bank NEAR rates" "gov*"; do
    r=$(printf 'COUNT source=bbc %s\n' "$q" | "$NC" "$UNIX" | sed 's/ took_us=.*//')
    printf 'COUNT source=bbc %s\t%s\n' "$q" "$r" >>"$T/load"
done
first=$(printf 'SEARCH limit=1 snippet=0 source=bbc format=json economy\n' | "$NC" "$UNIX" | sed -n 's/.*"hits":\[{"rank":1,"id":"\([^"]*\)".*/\1/p')
printf 'GET format=json %s\t%s\n' "$first" "$(printf 'GET format=json %s\n' "$first" | "$NC" "$UNIX")" >>"$T/load"
printf 'PING\tOK pong\n' >>"$T/load"
check "the load's expected replies are real" [ "$(grep -c "${TAB}OK count=[1-9]" "$T/load")" -eq 6 ]
check "the load's GET is real" grep -q "^GET format=json [^$TAB]*$TAB{\"status\":\"ok\"" "$T/load"
victim=$(printf 'SEARCH limit=1 snippet=0 source=reuters format=json cocoa\n' | "$NC" "$UNIX" | sed -n 's/.*"hits":\[{"rank":1,"id":"\([^"]*\)".*/\1/p')
check "a Reuters document to delete during the rebuild" [ -n "$victim" ]

# clients query over both sockets until the rebuild is over
"$NC" -t 600 -u "$T/stop" -d 5 -L 3,50 "$TCP" "$T/load" >"$T/load.tcp" 2>"$T/load.tcp.err" &
LT=$!
"$NC" -t 600 -u "$T/stop" -d 5 -L 2,50 "$UNIX" "$T/load" >"$T/load.unix" 2>"$T/load.unix.err" &
LU=$!

"$NQ" -a "$UNIX" reindex "$CORPUS" >"$T/reindex.out" 2>"$T/reindex.err" &
RJ=$!
wait_for 30 status_is running
check "STATUS says running" status_is running
printf 'REINDEX %s\n' "$CORPUS" | send "$UNIX" >"$T/got"
check "a second REINDEX meanwhile is busy" grep -q "^ERR busy rebuild 1 is still running; see STATUS\$" "$T/got"
printf 'ADD {"id":"live-1","title":"Quokka sighting","body":"A quokka was seen.","source":"live"}\nADD {"id":"live-2","title":"Second quokka","body":"Another quokka.","source":"live"}\nDELETE %s\nADD {"id":"live-3","title":"Doomed","body":"short-lived quokka","source":"live"}\nDELETE live-3\n' "$victim" | send "$UNIX" >"$T/writes"
check "live writes during the rebuild are acknowledged" [ "$(grep -c '^OK id=' "$T/writes")" -eq 5 ]
printf 'COUNT quokka\n' | send "$UNIX" >"$T/got"
check "live writes are visible at once during the rebuild" [ "$(cat "$T/got")" = "OK count=2 took_us=N" ]
wait "$RJ"; rc=$?
touch "$T/stop"
wait "$LT"; wait "$LU"
check "newsq reindex: exit 0" [ "$rc" -eq 0 ]
check "newsq reindex: summary" grep -q "^reindexed 23804 documents from 1 path in .* 5 live writes carried over; the index holds 23805 documents\$" "$T/reindex.out"
check "TCP clients: every reply right during the rebuild" grep -q '^load ok=[0-9]* bad=0$' "$T/load.tcp"
check "Unix clients: every reply right during the rebuild" grep -q '^load ok=[0-9]* bad=0$' "$T/load.unix"
n_tcp=$(sed -n 's/^load ok=\([0-9]*\) .*/\1/p' "$T/load.tcp")
check "the TCP clients kept querying through the rebuild ($n_tcp replies)" [ "${n_tcp:-0}" -ge 150 ]
printf 'STATUS\n' | send "$UNIX" >"$T/got"
check "STATUS says done, with the figures" grep -q '^OK state=done job=1 phase=done docs=23804 .* paths=1 live_writes=5 documents=23805$' "$T/got"
printf 'COUNT quokka\nGET live-1\nGET %s\nGET live-3\n' "$victim" | send "$UNIX" >"$T/got"
check "the live ADDs are in the new index" [ "$(sed -n 1p "$T/got")" = "OK count=2 took_us=N" ]
check "the live DELETE holds in the new index" grep -q "^ERR not_found no document with id $victim\$" "$T/got"
check "an ADD then DELETE during the rebuild stays deleted" grep -q '^ERR not_found no document with id live-3$' "$T/got"
printf 'STATS\n' | "$NC" "$UNIX" >"$T/got"
check "the document count afterwards" grep -q "^documents${TAB}23805\$" "$T/got"
check "the reopen to the new folder is logged" grep -q 'event=reopen .*reason=new_index' "$T/main.log"
check "no work or old folder is left" [ -z "$(ls -d "$T"/idx.* 2>/dev/null)" ]
check "the new index is sound (xapian-check)" sh -c "xapian-check '$T/idx' >'$T/xc' 2>&1"

# ---- cancel, and a failing indexer: the live index stays ----
printf 'REINDEX\n' | send "$UNIX" >"$T/got"
check "REINDEX without paths starts from the paths the index records" grep -q '^OK job=2 state=running paths=1$' "$T/got"
"$NQ" -a "$UNIX" reindex --cancel >"$T/out" 2>&1; rc=$?
check "newsq reindex --cancel: exit 0" [ "$rc" -eq 0 ]
wait_for 60 reindex_over
printf 'STATUS\n' | send "$UNIX" >"$T/got"
check "a cancelled rebuild: failed, saying so" grep -q '^OK state=failed job=2 .* message=cancelled; the index was left as it was$' "$T/got"
printf 'COUNT quokka\n' | send "$UNIX" >"$T/got"
check "after the cancel the index is as it was" [ "$(cat "$T/got")" = "OK count=2 took_us=N" ]
check "a cancelled rebuild leaves no folder" wait_for 10 sh -c "[ -z \"\$(ls -d '$T'/idx.* 2>/dev/null)\" ]"
# a cancel on the heels of the start (before, during or just after the fork), five times
# (not $i: wait_for uses it)
round=0
while [ "$round" -lt 5 ]; do
    printf 'REINDEX %s\nREINDEX cancel=1\n' "$CORPUS" | send "$UNIX" >"$T/got"
    wait_for 60 reindex_over
    round=$((round + 1))
done
printf 'STATUS\nPING\n' | send "$UNIX" >"$T/got"
check "REINDEX and cancel back to back, five times: cancelled" grep -q '^OK state=failed job=7 .* message=cancelled; the index was left as it was$' "$T/got"
check "REINDEX and cancel back to back, five times: newsd serves on" grep -q '^OK pong$' "$T/got"
check "REINDEX and cancel back to back: no shutdown" lacks "$T/main.log" "event=shutdown"
stop "$MAIN"
check "SIGTERM after rebuilds: exit 0" [ "$RC" -eq 0 ]

printf '#!/bin/sh\necho "newsindex: cannot read the input" >&2\nexit 1\n' >"$T/failing-indexer"
chmod +x "$T/failing-indexer"
start failing --index "$T/idx" --listen "unix:$T/f.sock" --indexer "$T/failing-indexer"
printf 'REINDEX %s\n' "$CORPUS" | send "unix:$T/f.sock" >/dev/null
wait_for 30 sh -c "printf 'STATUS\n' | '$NC' 'unix:$T/f.sock' | grep -q '^OK state=failed'"
printf 'STATUS\nCOUNT quokka\n' | send "unix:$T/f.sock" >"$T/got"
check "a failing indexer: the job fails with its exit status" grep -q '^OK state=failed job=1 .* message=newsindex exited with status 1$' "$T/got"
check "a failing indexer: the index serves on" grep -q '^OK count=2 took_us=N$' "$T/got"
"$NQ" -a "unix:$T/f.sock" reindex "$CORPUS" >"$T/out" 2>"$T/err"; rc=$?
check "newsq reindex with a failing indexer: exit 2" [ "$rc" -eq 2 ]
check "newsq reindex with a failing indexer: message" contains "$T/err" "newsq: reindex failed: newsindex exited with status 1"
stop "$PID"
"$ND" --index "$T/idx" --indexer "$T/nope" >"$T/out" 2>"$T/err"; rc=$?
check "--indexer that is not a program: exit 2" [ "$rc" -eq 2 ]
# one limit for newsd's --reindex-jobs and newsindex's --jobs (NEWSD_MAX_BUILDERS)
max_builders=$(sed -n 's/^#define NEWSD_MAX_BUILDERS \([0-9]*\)$/\1/p' "$ROOT/include/newsd_limits.h")
"$ND" --index "$T/idx" --reindex-jobs $((max_builders + 1)) >"$T/out" 2>"$T/err"; rc=$?
check "--reindex-jobs over NEWSD_MAX_BUILDERS: exit 2" [ "$rc" -eq 2 ]
check "--reindex-jobs over NEWSD_MAX_BUILDERS: the range in the message" \
    contains "$T/err" "--reindex-jobs takes a number from 1 to $max_builders, not '$((max_builders + 1))'"
"$ND" --index "$T/idx" --reindex-jobs 0 >"$T/out" 2>"$T/err"; rc=$?
check "--reindex-jobs 0: exit 2" [ "$rc" -eq 2 ]
"$BIN/newsindex" --index "$T/jobs-idx" --jobs "$max_builders" "$ROOT/tests/data/newsd" >"$T/out" 2>&1; rc=$?
check "newsindex takes --jobs NEWSD_MAX_BUILDERS, the most newsd passes" [ "$rc" -eq 0 ]

# ---- kill -9 of the daemon mid-rebuild: the next start cleans up ----
start killed --index "$T/idx" --listen "unix:$T/k.sock"
KPID=$PID
printf 'REINDEX %s\n' "$CORPUS" | send "unix:$T/k.sock" >/dev/null
wait_for 30 sh -c "ls -d '$T'/idx.new-$KPID >/dev/null 2>&1"
kill -9 "$KPID"; wait "$KPID" 2>/dev/null
# ([i] keeps pgrep from finding the shell that runs it)
check "the rebuild's child dies with the daemon" wait_for 20 sh -c "! pgrep -f '[i]dx.new-$KPID/index' >/dev/null"
start restarted --index "$T/idx" --listen "unix:$T/r.sock"
printf 'COUNT quokka\n' | send "unix:$T/r.sock" >"$T/got"
check "after kill -9 mid-rebuild the index is intact" [ "$(cat "$T/got")" = "OK count=2 took_us=N" ]
check "the restart removed the dead daemon's work folder" [ -z "$(ls -d "$T"/idx.* 2>/dev/null)" ]
stop "$PID"
check "xapian-check after it all" sh -c "xapian-check '$T/idx' >'$T/xc' 2>&1"

finish
