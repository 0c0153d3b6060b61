# lib.sh: the shell test harness for tests/e2e/test_*.sh (sourced, not run).
# check NAME CMD...  passes when CMD exits 0; every check is counted, and
# finish prints "N passed, M failed" and sets the exit status.
# Each script gets its own scratch folder $T, removed at exit.
set -u
PASSED=0
FAILED=0
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
T=$(mktemp -d "${TMPDIR:-/tmp}/newsd-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT

check() {
    name=$1; shift
    if "$@"; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
        echo "FAILED: $name" >&2
    fi
}

# contains FILE TEXT: the file holds TEXT (fixed string).
contains() { grep -qF -- "$2" "$1"; }
# lacks FILE TEXT
lacks() { ! grep -qF -- "$2" "$1"; }

# summary_field FILE KEY: the value of KEY=VALUE in newsindex's summary line.
summary_field() {
    grep '^newsindex: ' "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
field_is() { [ "$(summary_field "$1" "$2")" = "$3" ]; }

# doc_count DIR: the number of documents, as Xapian's own tool reports it.
doc_count() { xapian-delve "$1" 2>/dev/null | sed -n 's/^number of documents = //p'; }

# wait_for DEADLINE_S CMD...: polls CMD every 50 ms until it succeeds or time is up.
wait_for() {
    limit=$(( $1 * 20 )); shift
    i=0
    while [ "$i" -lt "$limit" ]; do
        if "$@"; then return 0; fi
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

# start NAME ARGS...: starts $ND (bin/newsd unless the script set ND) with ARGS, its
# stderr in $T/NAME.log, and waits for its ready line (START_DEADLINE seconds, default
# 60: a sanitizer build on a loaded machine is slow to start); sets PID (also added to
# PIDS, which the scripts kill at exit) and TCP, the HOST:PORT of its first listener
# when that is a TCP one.
start() {
    name=$1; shift
    "${ND:-$BIN/newsd}" "$@" 2>"$T/$name.log" &
    PID=$!
    PIDS="${PIDS:-} $PID"
    wait_for "${START_DEADLINE:-60}" grep -qs '^newsd: ready' "$T/$name.log" ||
        { echo "newsd did not start" >&2; cat "$T/$name.log" >&2; return 1; }
    TCP=$(sed -n 's/^newsd: ready listen=\([0-9.]*:[0-9]*\) .*/\1/p' "$T/$name.log")
}
# stop PID: SIGTERM, then waits for the exit; sets RC.
stop() {
    kill -TERM "$1"
    wait "$1"; RC=$?
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
