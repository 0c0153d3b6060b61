#!/bin/sh
# Resource faults (tests/README.md):
#  - at start, the index folder missing, a plain file in its place, an empty folder,
#    unreadable (chmod 000: as root, which chmod does not stop, the daemon is run as
#    nobody through setpriv), or damaged (tables truncated or overwritten, the revision
#    file cut or garbage): exit status 1, "cannot open the index" with Xapian's reason,
#    no ready line, no crash (no signal, no sanitizer report);
#  - the disk full during a commit: the client gets ERR internal (not a hang, not a
#    crash), nothing of the failed write shows, the index stays valid, the daemon keeps
#    answering, and writes succeed again once space is freed.  The disk is a 4 MiB tmpfs
#    where this machine allows mount (root, no container veto); otherwise the daemon's
#    RLIMIT_FSIZE is lowered with prlimit(1) to the size of its largest index file, with
#    SIGXFSZ ignored, so a write that grows a file fails with EFBIG (FAULTS_NO_MOUNT=1
#    forces that way).
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NI=$BIN/newsindex
NC=$T/nclient
PIDS=""
MOUNTED=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; [ -n "$MOUNTED" ] && umount "$MOUNTED"; rm -rf "$T"' EXIT

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]

"$NI" --index "$T/idx" "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "fixture index built" contains "$T/out" "docs=6"

# refused NAME CMD...: newsd run by CMD must exit 1 with the open error, never start
# serving, and not die of a signal or a sanitizer report.
refused() {
    name=$1; shift
    timeout 60 "$@" >"$T/out" 2>"$T/err"; rc=$?   # (124: it started serving)
    check "$name: exit status 1 (got $rc)" [ "$rc" -eq 1 ]
    check "$name: says it cannot open the index" contains "$T/err" "newsd: cannot open the index"
    check "$name: never ready" lacks "$T/err" "newsd: ready"
    check "$name: no sanitizer report" lacks "$T/err" "Sanitizer"
    sed -n 's/^/    /p' "$T/err" | head -n 2
}

# ---- the index at start ----
refused "missing folder" "$ND" --index "$T/missing" --listen 127.0.0.1:0
check "missing folder: the reason is Xapian's" contains "$T/err" "No such file or directory"
: >"$T/plain"
refused "a plain file where the folder should be" "$ND" --index "$T/plain" --listen 127.0.0.1:0
mkdir "$T/empty"
refused "an empty folder" "$ND" --index "$T/empty" --listen 127.0.0.1:0

cp -r "$T/idx" "$T/locked"
chmod 000 "$T/locked"
if [ "$(id -u)" != 0 ]; then
    refused "an unreadable folder (chmod 000)" "$ND" --index "$T/locked" --listen 127.0.0.1:0
elif command -v setpriv >/dev/null 2>&1; then
    # root reads through chmod 000: run the daemon as nobody, who must be able to reach
    # the folder (the scratch folder is private) but not to read it
    chmod 711 "$T"
    echo "faults: running as root, the unreadable index is tried as nobody (setpriv)"
    refused "an unreadable folder (chmod 000, as nobody)" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$ND" --index "$T/locked" --listen 127.0.0.1:0
    check "unreadable: the reason is Xapian's" contains "$T/err" "Permission denied"
    chmod 700 "$T"
else
    echo "faults: SKIPPED the unreadable folder: running as root without setpriv (root reads through chmod 000)"
fi
chmod 700 "$T/locked"

# damage DIR FILE HOW: cut (truncate to 0), half (truncate to half), junk (random bytes
# over the whole file: over only its start, a table whose root block lies further on
# still opens, and the damage shows at the first search instead).
damage() {
    rm -rf "$T/bad"; cp -r "$T/idx" "$T/bad"
    case $2 in
    cut) : >"$T/bad/$1" ;;
    half) truncate -s $(( $(wc -c <"$T/bad/$1") / 2 )) "$T/bad/$1" ;;
    junk) head -c "$(wc -c <"$T/bad/$1")" /dev/urandom | dd of="$T/bad/$1" conv=notrunc 2>/dev/null ;;
    esac
}
for spec in iamglass:cut iamglass:half iamglass:junk postlist.glass:cut postlist.glass:junk \
            docdata.glass:cut termlist.glass:junk position.glass:cut; do
    damage "${spec%%:*}" "${spec#*:}"
    refused "damaged index ($spec)" "$ND" --index "$T/bad" --listen 127.0.0.1:0
done
check "the index damaged copies came from is untouched" xapian-check "$T/idx" >/dev/null 2>&1

# ---- the disk full during a commit ----
start() {
    name=$1; shift
    "$@" 2>"$T/$name.log" &
    PID=$!
    PIDS="$PIDS $PID"
    wait_for 20 grep -qs '^newsd: ready' "$T/$name.log" || { echo "newsd did not start" >&2; cat "$T/$name.log" >&2; return 1; }
    TCP=$(sed -n 's/^newsd: ready listen=\([0-9.]*:[0-9]*\) .*/\1/p' "$T/$name.log")
}
ask() { printf '%s\n' "$2" | "$NC" "$1" | sed -E 's/took_us=[0-9]+/took_us=N/'; }
# A document of some 40 KB of distinct words (under NEWSD_MAX_LINE): its commit must
# grow the tables.
big_add() {
    awk -v id="$1" 'BEGIN { printf "ADD {\"id\":\"%s\",\"title\":\"disk full\",\"body\":\"", id;
        for (i = 0; i < 3000; i++) printf "w%dx%s ", i, id; printf "\"}\n" }'
}

mkdir "$T/small"
# writes go through the Unix socket: newsd takes them over TCP only after AUTH
W=unix:$T/f.sock
HOW=tmpfs
if [ -n "${FAULTS_NO_MOUNT:-}" ] || ! mount -t tmpfs -o size=4m tmpfs "$T/small" 2>/dev/null; then
    HOW=rlimit
    if ! command -v prlimit >/dev/null 2>&1; then HOW=none; fi
else
    MOUNTED=$T/small
fi
echo "faults: disk full simulated with: $HOW"
if [ "$HOW" = none ]; then
    echo "faults: SKIPPED disk full: no mount and no prlimit(1) on this machine"
else
    cp -r "$T/idx" "$T/small/idx"
    if [ "$HOW" = tmpfs ]; then
        start full "$ND" --index "$T/small/idx" --listen 127.0.0.1:0 --listen "unix:$T/f.sock" --workers 2
    else
        # ignored signals stay ignored across exec: the daemon gets EFBIG, not SIGXFSZ
        start full sh -c 'trap "" XFSZ; exec "$@"' sh "$ND" --index "$T/small/idx" --listen 127.0.0.1:0 --listen "unix:$T/f.sock" --workers 2
    fi
    FULL=$PID
    check "disk full: a write before the disk fills" [ "$(ask "$W" 'ADD {"id":"before","title":"room to spare"}')" = "OK id=before replaced=0 took_us=N" ]
    if [ "$HOW" = tmpfs ]; then
        dd if=/dev/zero of="$T/small/fill" bs=64k 2>/dev/null
        check "disk full: the tmpfs is full" [ "$(df -P "$T/small" | awk 'NR == 2 { print $4 }')" -eq 0 ]
    else
        biggest=$(ls -l "$T/small/idx" | awk 'NR > 1 && $5 > m { m = $5 } END { print m }')
        prlimit --pid "$FULL" --fsize="$biggest:unlimited"   # soft limit only: it can go back up
    fi
    big_add full-1 | "$NC" "$W" >"$T/reply"
    check "disk full: the ADD gets ERR internal, commit failed" grep -q '^ERR internal commit failed: ' "$T/reply"
    sed 's/^/    /' "$T/reply"
    check "disk full: the error is in the log" contains "$T/full.log" "event=commit"
    check "disk full: the daemon still answers" [ "$(ask "$TCP" PING)" = "OK pong" ]
    check "disk full: the failed document is not there" [ "$(ask "$TCP" 'GET full-1')" = "ERR not_found no document with id full-1" ]
    check "disk full: the earlier write is there" [ "$(ask "$TCP" 'COUNT id:before')" = "OK count=1 took_us=N" ]
    printf 'DELETE before\n' | "$NC" "$W" >"$T/reply"
    check "disk full: DELETE gets an error or succeeds, never hangs" grep -Eq '^(ERR internal commit failed: |OK id=before deleted=1)' "$T/reply"
    check "disk full: xapian-check clean while full" xapian-check "$T/small/idx" >/dev/null 2>&1
    if [ "$HOW" = tmpfs ]; then rm -f "$T/small/fill"; else prlimit --pid "$FULL" --fsize=unlimited:unlimited; fi
    big_add full-2 | "$NC" "$W" | sed -E 's/took_us=[0-9]+/took_us=N/' >"$T/reply"
    check "space freed: the next ADD succeeds" [ "$(cat "$T/reply")" = "OK id=full-2 replaced=0 took_us=N" ]
    check "space freed: it is searchable" [ "$(ask "$TCP" 'COUNT w17xfull-2')" = "OK count=1 took_us=N" ]
    kill -TERM "$FULL"; wait "$FULL"; rc=$?
    check "disk full: SIGTERM afterwards, exit 0" [ "$rc" -eq 0 ]
    check "disk full: xapian-check clean at the end" xapian-check "$T/small/idx" >/dev/null 2>&1
    check "disk full: no sanitizer report" lacks "$T/full.log" "Sanitizer"
fi

finish
