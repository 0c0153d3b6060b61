#!/bin/sh
# End-to-end tests of newsd's configuration file and --check-config (newsd(8),
# "CONFIGURATION FILE"), and of --version.  Checked: the file's settings take effect
# (listen addresses, workers, log level, the connection cap seen as ERR busy), comments,
# blanks and repeated keys; the command line over the file (a value, a whole list, what
# to serve); every error with the file's name and line (unknown key, missing '=', bad
# value, a command-line-only key) and the unreadable file, each a non-zero exit with no
# ready line; --no-config and --config ""; --check-config's 0 and 1; the shipped
# newsd.conf.example names every option of --help, passes --check-config as shipped and
# with its settings uncommented; newsd and newsindex --version name their libraries.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
EXAMPLE=$ROOT/daemon/server/newsd.conf.example

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]
"$BIN/newsindex" --index "$T/idx" "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "fixture index built" contains "$T/out" "docs=6"

# ---- --version ----
"$ND" --version >"$T/v" 2>&1; rc=$?
check "newsd --version: exit 0" [ "$rc" -eq 0 ]
check "newsd --version names the version and its four libraries" \
    grep -qE '^newsd [0-9]+\.[0-9]+\.[0-9]+ \(Xapian [0-9.]+, libevent [0-9][^,]*, zlib [0-9.]+, jansson [0-9.]+\)$' "$T/v"
"$BIN/newsindex" --version >"$T/vi" 2>&1; rc=$?
check "newsindex --version: exit 0" [ "$rc" -eq 0 ]
check "newsindex --version names the version, Xapian, zlib and jansson" \
    grep -qE '^newsindex [0-9]+\.[0-9]+\.[0-9]+ \(Xapian [0-9.]+, zlib [0-9.]+, jansson [0-9.]+\)$' "$T/vi"
check "newsd and newsindex are the same version" \
    [ "$(cut -d' ' -f2 "$T/v")" = "$(cut -d' ' -f2 "$T/vi")" ]
check "--version's Xapian is the one xapian-config reports" \
    contains "$T/v" "Xapian $(xapian-config --version 2>/dev/null | sed 's/.* //')"

# ---- a file's settings take effect ----
cat >"$T/a.conf" <<CONF
# the daemon of this test
   # an indented comment

index = $T/idx
listen = 127.0.0.1:0
	listen	=	unix:$T/a.sock
workers=3
log-level = debug
max-connections = 4
CONF
start a --config "$T/a.conf"
A=$PID
check "listen from the file: TCP and the Unix socket" \
    grep -q "^newsd: ready listen=127.0.0.1:[0-9]* listen=unix:$T/a.sock workers=3 docs=6$" "$T/a.log"
check "the Unix socket of the file answers" sh -c "[ \"\$(printf 'PING\n' | '$NC' 'unix:$T/a.sock')\" = 'OK pong' ]"
check "log-level from the file: debug lines" grep -q 'level=debug' "$T/a.log"
# max-connections 4 keeps one slot for Unix sockets: the fourth TCP connection is busy
"$NC" -H 3 "$TCP" >"$T/busy" 2>&1
check "max-connections from the file: ERR busy past the TCP share" \
    contains "$T/busy" "ERR busy too many connections"
stop "$A"
check "the daemon of the file stops: exit 0" [ "$RC" -eq 0 ]

# ---- the command line over the file ----
start b --config "$T/a.conf" --workers 2 --listen 127.0.0.1:0 --log-level info
B=$PID
check "a value on the command line replaces the file's (workers=2)" grep -q ' workers=2 docs=6$' "$T/b.log"
check "--listen replaces the file's whole list (no Unix socket)" \
    grep -q '^newsd: ready listen=127.0.0.1:[0-9]* workers=2' "$T/b.log"
check "... and its socket file is not made" [ ! -e "$T/a.sock" ]
check "--log-level info over the file's debug" lacks "$T/b.log" 'level=debug'
stop "$B"
cat >"$T/serve.conf" <<CONF
index = $T/no-such-index
shard = $T/idx
shard = $T/idx
listen = 127.0.0.1:0
CONF
"$ND" --config "$T/serve.conf" >"$T/out" 2>"$T/err"; rc=$?
check "index and shard in one file: usage error (exit 2)" [ "$rc" -eq 2 ]
check "... which says why" contains "$T/err" "--index and --shard do not go together"
start c --config "$T/serve.conf" --index "$T/idx"
check "--index on the command line replaces the file's index and shards" \
    grep -q ' docs=6$' "$T/c.log"
check "... and serves no shards" lacks "$T/c.log" "shards="
stop "$PID"

# ---- errors: the file's name and the line's number, non-zero, never a start ----
# refused NAME WANT_RC MESSAGE: newsd --config $T/bad.conf exits WANT_RC with MESSAGE.
refused() {
    "$ND" --config "$T/bad.conf" >"$T/out" 2>"$T/err"; rc=$?
    check "$1: exit $2" [ "$rc" -eq "$2" ]
    check "$1: message" contains "$T/err" "$3"
    check "$1: not started" lacks "$T/err" "newsd: ready"
}
printf 'index = %s\n# comment\n\nlistne = 127.0.0.1:0\n' "$T/idx" >"$T/bad.conf"
refused "unknown key" 2 "newsd: $T/bad.conf:4: unknown key \"listne\""
printf 'index = %s\nworkers 4\n' "$T/idx" >"$T/bad.conf"
refused "missing '='" 2 "newsd: $T/bad.conf:2: missing '=' in \"workers 4\" (a line is: key = value)"
printf 'index = %s\nquery-timeout = 0\n' "$T/idx" >"$T/bad.conf"
refused "bad value" 2 "newsd: $T/bad.conf:2: --query-timeout takes milliseconds from 1 to 60000, not '0'"
printf 'index = %s\nworkers = 4 threads\n' "$T/idx" >"$T/bad.conf"
refused "not a number" 2 "newsd: $T/bad.conf:2: --workers takes a number from 1 to 64, not '4 threads'"
printf 'index = %s\nlog-level = loud\n' "$T/idx" >"$T/bad.conf"
refused "bad log level" 2 "newsd: $T/bad.conf:2: --log-level takes error, warn, info or debug, not 'loud'"
printf 'corpus-root = relative/path\n' >"$T/bad.conf"
refused "bad corpus-root" 2 "newsd: $T/bad.conf:1: --corpus-root takes an absolute path to a folder, not 'relative/path'"
printf 'index = %s\nlisten =\n' "$T/idx" >"$T/bad.conf"
refused "a key without a value" 2 "newsd: $T/bad.conf:2: no value after \"listen =\""
for key in check-config config help version no-config; do
    printf 'index = %s\n%s = true\n' "$T/idx" "$key" >"$T/bad.conf"
    refused "$key in a file" 2 "newsd: $T/bad.conf:2: \"$key\" is an option of the command line only, not a key of the configuration file"
done
printf 'index = %s\n' "$T/idx" >"$T/bad.conf"
"$ND" --config "$T/bad.conf" --workers 0 >"$T/out" 2>"$T/err"; rc=$?
check "a bad value on the command line after a good file: exit 2" [ "$rc" -eq 2 ]
check "... named as the command line's, with the pointer to --help" \
    sh -c "grep -qx \"newsd: --workers takes a number from 1 to 64, not '0'\" '$T/err' && grep -qx '(newsd --help for usage)' '$T/err'"
"$ND" --config "$T/nope.conf" >"$T/out" 2>"$T/err"; rc=$?
check "a missing file: exit 1" [ "$rc" -eq 1 ]
check "a missing file: message" contains "$T/err" "newsd: cannot open the configuration file $T/nope.conf: No such file or directory"
"$ND" --config "$T" >"$T/out" 2>"$T/err"; rc=$?
check "a folder as the file: exit 1" [ "$rc" -eq 1 ]
check "a folder as the file: message" contains "$T/err" "newsd: the configuration file $T is not a regular file"
"$ND" --config >"$T/out" 2>"$T/err"; rc=$?
check "--config without a value: usage error" [ "$rc" -eq 2 ]

# ---- no file ----
"$ND" --no-config --config "$T/nope.conf" --index "$T/idx" --check-config >"$T/out" 2>"$T/err"; rc=$?
check "--no-config reads no file (not even --config's)" [ "$rc" -eq 0 ]
"$ND" --config "" --index "$T/idx" --check-config >"$T/out" 2>"$T/err"; rc=$?
check "--config \"\" reads no file" [ "$rc" -eq 0 ]
"$ND" --help >"$T/help" 2>&1
check "--help names the default file" grep -q "/newsd.conf" "$T/help"

# ---- --check-config ----
printf 'index = %s\nlisten = 127.0.0.1:1\nquery-timeout = 1234\n' "$T/idx" >"$T/ok.conf"
"$ND" --config "$T/ok.conf" --check-config >"$T/out" 2>"$T/err"; rc=$?
check "--check-config of a good file: exit 0" [ "$rc" -eq 0 ]
check "--check-config of a good file: configuration OK" grep -qx "configuration OK" "$T/out"
check "--check-config does not start" sh -c "[ ! -s '$T/err' ]"
printf 'index = %s\nidle-timeout = 0\n' "$T/idx" >"$T/bad.conf"
"$ND" --config "$T/bad.conf" --check-config >"$T/out" 2>"$T/err"; rc=$?
check "--check-config of a bad value: exit 1" [ "$rc" -eq 1 ]
check "--check-config of a bad value: the message" contains "$T/err" "$T/bad.conf:2: --idle-timeout takes seconds from 1 to 86400, not '0'"
check "--check-config of a bad value: no OK" lacks "$T/out" "configuration OK"
"$ND" --config "$T/ok.conf" --check-config --max-connections 0 >"$T/out" 2>"$T/err"; rc=$?
check "--check-config of a bad command line: exit 1" [ "$rc" -eq 1 ]
"$ND" --config "$T/ok.conf" --check-config --index "$T/no-such-index" >"$T/out" 2>"$T/err"; rc=$?
check "--check-config opens the index: exit 1 when it cannot" [ "$rc" -eq 1 ]
check "... saying so" contains "$T/err" "newsd: cannot open the index $T/no-such-index"
printf 'short\n' >"$T/short-token"; chmod 600 "$T/short-token"
"$ND" --config "$T/ok.conf" --check-config --auth-token-file "$T/short-token" >"$T/out" 2>"$T/err"; rc=$?
check "--check-config reads the token file: exit 1 for a bad one" [ "$rc" -eq 1 ]
check "... saying why" contains "$T/err" "the token in $T/short-token is shorter than 16 bytes"
"$ND" --check-config >"$T/out" 2>"$T/err"; rc=$?
check "--check-config without an index: exit 1" [ "$rc" -eq 1 ]

# ---- the shipped example ----
check "the example exists" [ -f "$EXAMPLE" ]
missing=""
# the options --help lists in its left column (its text names newsindex's --jobs too)
for opt in $("$ND" --help | sed -nE 's/^ +(-[a-zA-Z], +)?(--[a-z][a-z0-9-]*).*/\2/p' | sort -u); do
    key=${opt#--}
    case $key in help|version|config|no-config|check-config) continue ;; esac
    grep -qE "^#$key = " "$EXAMPLE" || missing="$missing $key"
done
check "--help lists options" [ "$("$ND" --help | grep -cE '^ +(-[a-zA-Z], +)?--[a-z]')" -gt 20 ]
check "the example names every option of --help as a key${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "the example sets nothing as shipped" sh -c "! grep -qE '^[^#[:space:]]' '$EXAMPLE'"
"$ND" --config "$EXAMPLE" --index "$T/idx" --check-config >"$T/out" 2>"$T/err"; rc=$?
check "the example as shipped passes --check-config" [ "$rc" -eq 0 ]
# Every setting uncommented: the defaults it shows are values newsd takes.  The paths
# that must exist here are this test's (the index, the indexer, a corpus root, a token
# file); shard lines go, as they may not stand beside index.
printf 'a-token-for-the-example-0123\n' >"$T/token"; chmod 600 "$T/token"
sed -E -e 's/^#([a-z][a-z0-9-]*) = /\1 = /' -e '/^shard = /d' \
    -e "s|^index = .*|index = $T/idx|" -e "s|^indexer = .*|indexer = $BIN/newsindex|" \
    -e "s|^corpus-root = .*|corpus-root = $T|" -e "s|^auth-token-file = .*|auth-token-file = $T/token|" \
    "$EXAMPLE" >"$T/example.conf"
check "the example uncommented sets every key" \
    [ "$(grep -cE '^[a-z]' "$T/example.conf")" -ge "$(grep -cE '^#[a-z][a-z0-9-]* = ' "$EXAMPLE" | awk '{print $1 - 2}')" ]
"$ND" --config "$T/example.conf" --check-config >"$T/out" 2>"$T/err"; rc=$?
check "the example uncommented passes --check-config" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || cat "$T/err" >&2

finish
