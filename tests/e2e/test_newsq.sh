#!/bin/sh
# End-to-end tests of bin/newsq against a real bin/newsd: the daemon on a free TCP port
# and a Unix socket in the scratch folder, serving an index built by bin/newsindex from
# tests/data/newsd.  Checked: the default output on a pipe (golden text, timing
# masked), --json, every search option changing the result, every exit status, the
# unreachable-daemon message, a bad query, -a and NEWSQ_ADDR over TCP and unix:, get,
# stats, count, add (file and stdin, a bad line among good ones) and --timeout.  Last,
# the README's quick start: the whole corpus/ indexed, and "Istanbul Convention" must
# list the seed article first.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NQ=$BIN/newsq
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
unset NEWSQ_ADDR


# q ARGS...: runs newsq with ARGS; stdout in $T/out (timing masked), stderr in $T/err,
# the exit status in RC.
q() {
    "$NQ" "$@" >"$T/raw" 2>"$T/err"
    RC=$?
    sed -E 's/took [0-9]+\.[0-9]+ ms$/took N ms/' "$T/raw" >"$T/out"
}
# golden NAME TEXT: $T/out is exactly TEXT (plus the final newline).
golden() {
    printf '%s\n' "$2" >"$T/want"
    if cmp -s "$T/want" "$T/out"; then PASSED=$((PASSED + 1)); else
        FAILED=$((FAILED + 1)); echo "FAILED: $1" >&2; diff "$T/want" "$T/out" | head -20 >&2; fi
}
is_rc() { [ "$RC" -eq "$1" ]; }
# hits: the ids of the hits in $T/out, one per line, in order.
ids() { sed -n 's/^   .*  \([^ ]*\)$/\1/p' "$T/out" | tr '\n' ' '; }
ids_are() { [ "$(ids)" = "$1" ]; }
lines_of() { [ "$(wc -l <"$1")" -eq "$2" ]; }

# ---- without a daemon ----
q --version
check "--version: exit 0" is_rc 0
check "--version: names newsq" grep -q '^newsq [0-9]' "$T/out"
q --help
check "--help: exit 0" is_rc 0
check "--help: usage" contains "$T/out" "usage: newsq [options] QUERY..."
check "--help: names NEWSQ_ADDR" contains "$T/out" "NEWSQ_ADDR"
for bad in "" "--bogus wheat" "-n x wheat" "-n 101 wheat" "--offset -1 wheat" "--sort best wheat" \
           "stats extra" "get" "get a b" "add" "--timeout 0 wheat" "--source a\ b wheat" \
           "--color sometimes wheat" "get -n 2 wire-1" "-a" "--no-snippet --best-snippet wheat"; do
    eval "q $bad"
    check "usage error ($bad): exit 2" is_rc 2
    check "usage error ($bad): one line on stderr" lines_of "$T/err" 1
    check "usage error ($bad): nothing on stdout" lines_of "$T/out" 0
done
q --bogus wheat
check "unknown option: says so, and how to search for -words" \
    contains "$T/err" "newsq: unknown option '--bogus'; put -- before query words that start with '-'"
q -n 101 wheat
check "-n out of range: message" contains "$T/err" "-n must be a number from 0 to 100"

NOWHERE="unix:$T/nobody.sock"
q -a "$NOWHERE" wheat
check "unreachable (unix): exit 2" is_rc 2
check "unreachable (unix): one line" lines_of "$T/err" 1
check "unreachable (unix): names the address and errno" \
    contains "$T/err" "newsq: cannot reach newsd at $NOWHERE (No such file or directory);"
check "unreachable: says how to start newsd" contains "$T/err" "start it with 'make run' or 'bin/newsd --index DIR'"
NEWSQ_ADDR=127.0.0.1:1 q wheat
check "unreachable (TCP via NEWSQ_ADDR): exit 2" is_rc 2
check "unreachable (TCP via NEWSQ_ADDR): names it" \
    contains "$T/err" "cannot reach newsd at 127.0.0.1:1 (Connection refused);"
q -a nonsense wheat
check "malformed address: exit 2" is_rc 2
check "malformed address: message" contains "$T/err" "newsq: bad address 'nonsense'"
# The defaults are tried in order; a daemon someone runs there would answer instead.
# (the default socket is in the user's folder: $XDG_RUNTIME_DIR/newsd, here in $T)
XDG_RUNTIME_DIR=$T/xdg q wheat
if grep -q 'cannot reach' "$T/err"; then
    check "unreachable (defaults): exit 2" is_rc 2
    check "unreachable (defaults): one line naming both defaults in order" \
        grep -q "^newsq: cannot reach newsd at unix:$T/xdg/newsd/newsd.sock ([^)]*), 127.0.0.1:7878 ([^)]*); start it" "$T/err"
    check "unreachable (defaults): a single line" lines_of "$T/err" 1
else
    echo "note: a daemon answers at the default address; the defaults' message is not checked" >&2
fi
q add "$T/no-such-file.jsonl"
check "add of a missing file: exit 2" is_rc 2
check "add of a missing file: message" contains "$T/err" "cannot read $T/no-such-file.jsonl: No such file or directory"

# ---- against the fixture index ----
"$BIN/newsindex" --index "$T/idx" "$ROOT/tests/data/newsd" >"$T/ix.out" 2>&1
check "fixture index built" contains "$T/ix.out" "docs=6"
start main --index "$T/idx" --listen 127.0.0.1:0 --listen "unix:$T/s.sock" --workers 2
check "newsd started on a real port" [ -n "$TCP" ]
UNIX="unix:$T/s.sock"
export NEWSQ_ADDR="$UNIX"

q wheat
check "found: exit 0" is_rc 0
golden "default output on a pipe" "1. Wheat exports to Egypt
   2020-04-20  wire  wire-3
   Egypt bought wheat from France and Russia in its latest tender.

2. Wheat prices fall in Chicago
   2020-05-01 14:00  wire  wire-1
   Wheat futures fell sharply on the Chicago exchange as rains improved the harvest outlook.

3. Harvest report
   2020-05-03  newsd  newsd/world/2020-05-03-harvest.txt
   The wheat harvest in Kansas is the largest in a decade.

3 matches, took N ms"
check "no escape codes on a pipe" lacks "$T/raw" "$(printf '\033')"
check "took is the daemon's took_us in ms" grep -q '^3 matches, took [0-9]*\.[0-9][0-9][0-9] ms$' "$T/raw"

q --color always wheat
check "--color always: matches highlighted" contains "$T/out" "Egypt bought $(printf '\033')[1;31mwheat$(printf '\033')[0m from"
check "--color always: no <b> tags" lacks "$T/out" "<b>"

q --json wheat
check "--json: exit 0" is_rc 0
check "--json: one line" lines_of "$T/out" 1
check "--json: the daemon's object" grep -q '^{"status":"ok","total":[0-9]*,"shown":3,"took_us":[0-9]*,"hits":\[{"rank":1,"id":"wire-3",.*}\]}$' "$T/out"
check "--json: ids in rank order" [ "$(grep -o '"id":"[^"]*"' "$T/out" | tr '\n' ' ')" = '"id":"wire-3" "id":"wire-1" "id":"newsd/world/2020-05-03-harvest.txt" ' ]
check "--json: snippets keep the daemon's markup" contains "$T/out" '"snippet":"Egypt bought <b>wheat</b> from'

q istanbul convention
check "words joined into one query: exit 0" is_rc 0
check "words joined into one query: only the article with both" ids_are "daily-1 "
cp "$T/out" "$T/joined"
q "istanbul convention"
check "one quoted argument gives the same" cmp -s "$T/out" "$T/joined"
q istanbul
check "one word alone matches more (so the join mattered)" ids_are "daily-2 daily-1 "
check "snippet shows the matched words without tags" contains "$T/joined" "spoke about the Istanbul Convention."

q search stats
check "search subcommand: 'stats' is searched for" is_rc 1
golden "search subcommand: no matches for 'stats'" "no matches, took N ms"
q -- stats
check "after --, a subcommand's name is a query word" is_rc 1
q -- -chicago wheat
check "-- then a word starting with '-': exit 0" is_rc 0
check "-- then -chicago excludes wire-1" ids_are "wire-3 newsd/world/2020-05-03-harvest.txt "

q -n 1 wheat
check "-n 1: one hit" ids_are "wire-3 "
check "-n 1: footer says one of the total" grep -q '^1 of .*matches, took N ms$' "$T/out"
q -n 1 --exact wheat
check "--exact: the total is exact, not 'about'" grep -q '^1 of 3 matches, took N ms$' "$T/out"
q -n1 wheat
check "-n1 (joined value)" ids_are "wire-3 "
q --offset 1 wheat
check "--offset 1: skips the first" ids_are "wire-1 newsd/world/2020-05-03-harvest.txt "
check "--offset 1: ranks go on from 2" grep -q '^2\. Wheat prices fall in Chicago$' "$T/out"
q --sort date wheat
check "--sort date: newest first" ids_are "newsd/world/2020-05-03-harvest.txt wire-1 wire-3 "
q --sort=date_asc wheat
check "--sort=date_asc: oldest first" ids_are "wire-3 wire-1 newsd/world/2020-05-03-harvest.txt "
q --since 2020-05-01 wheat
check "--since: drops older" ids_are "wire-1 newsd/world/2020-05-03-harvest.txt "
q --until 2020-04-30 wheat
check "--until: drops newer" ids_are "wire-3 "
q --since 2020-05-01 --until 2020-05-02 wheat
check "--since and --until together" ids_are "wire-1 "
q --source newsd wheat
check "--source: only that source" ids_are "newsd/world/2020-05-03-harvest.txt "
q --topic grain wheat
check "--topic: only that topic" ids_are "wire-3 wire-1 "
q --no-snippet wheat
check "--no-snippet: exit 0" is_rc 0
golden "--no-snippet: no snippet lines" "1. Wheat exports to Egypt
   2020-04-20  wire  wire-3

2. Wheat prices fall in Chicago
   2020-05-01 14:00  wire  wire-1

3. Harvest report
   2020-05-03  newsd  newsd/world/2020-05-03-harvest.txt

3 matches, took N ms"
q --json --best-snippet -n 1 wheat
check "--best-snippet: a snippet with the match" contains "$T/out" '"snippet":"Egypt bought <b>wheat</b>'
q --json --no-snippet -n 1 wheat
check "--no-snippet --json: no snippet field" lacks "$T/out" '"snippet"'

q --count wheat
check "--count: exit 0" is_rc 0
golden "--count: only the number" "3"
q --count --source wire wheat
golden "--count with --source" "2"
q count istanbul
golden "count subcommand" "2"
q count --since 2021-01-01 wheat
check "count of nothing: exit 1" is_rc 1
golden "count of nothing: 0" "0"
q --json count wheat
check "count --json: the daemon's object" grep -q '^{"status":"ok","count":3,"took_us":[0-9]*}$' "$T/out"

q zzzunknownword
check "nothing found: exit 1" is_rc 1
golden "nothing found: says so" "no matches, took N ms"
check "nothing found: nothing on stderr" lines_of "$T/err" 0
q --offset 5 wheat
check "past the last hit: exit 1" is_rc 1
q -n 0 wheat
check "-n 0 with matches: exit 0" is_rc 0
check "-n 0: no hits, the total" grep -q '^\(about \)\{0,1\}[1-9][0-9]* matches, none shown, took N ms$' "$T/out"

q "wheat AND"
check "bad query: exit 2" is_rc 2
check "bad query: the daemon's code and message" \
    contains "$T/err" "newsq: bad_query: QueryParserError: Syntax: <expression> AND <expression>"
check "bad query: nothing on stdout" lines_of "$T/out" 0
q --since 2020-13-45 wheat
check "option the daemon rejects: exit 2" is_rc 2
check "option the daemon rejects: its message" contains "$T/err" "newsq: bad_request: since must be"
q "$(head -c 4097 /dev/zero | tr '\0' w)"
check "query over the daemon's limit: exit 2" is_rc 2
check "query over the daemon's limit: its message" \
    contains "$T/err" "newsq: bad_query: query longer than 4096 bytes"
q --json "wheat AND"
check "bad query --json: exit 2" is_rc 2
check "bad query --json: the error object on stdout" grep -q '^{"status":"error","code":"bad_query",' "$T/out"

# ---- addresses ----
NEWSQ_ADDR=$TCP q --no-snippet wheat
check "NEWSQ_ADDR over TCP" ids_are "wire-3 wire-1 newsd/world/2020-05-03-harvest.txt "
NEWSQ_ADDR=$UNIX q --no-snippet wheat
check "NEWSQ_ADDR over unix:" ids_are "wire-3 wire-1 newsd/world/2020-05-03-harvest.txt "
NEWSQ_ADDR=$NOWHERE q -a "$TCP" --no-snippet wheat
check "-a over TCP (beats NEWSQ_ADDR)" ids_are "wire-3 wire-1 newsd/world/2020-05-03-harvest.txt "
NEWSQ_ADDR=$NOWHERE q --addr="$UNIX" --no-snippet wheat
check "--addr= over unix: (beats NEWSQ_ADDR)" ids_are "wire-3 wire-1 newsd/world/2020-05-03-harvest.txt "
NEWSQ_ADDR=$TCP q -a "$NOWHERE" wheat
check "-a is the only address tried" is_rc 2
check "-a is the only address tried: message" grep -q "^newsq: cannot reach newsd at $NOWHERE ([^)]*); start" "$T/err"
PORT=${TCP##*:}
q -a "localhost:$PORT" --no-snippet wheat
check "-a with a host name" ids_are "wire-3 wire-1 newsd/world/2020-05-03-harvest.txt "

# --timeout: a socket that accepts connections and never replies.
cat >"$T/silent.c" <<'EOF'
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (argc != 2 || strlen(argv[1]) >= sizeof a.sun_path) return 2;
    strcpy(a.sun_path, argv[1]);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) return 1;
    for (;;) pause();
}
EOF
${CC:-cc} -o "$T/silent" "$T/silent.c"
"$T/silent" "$T/silent.sock" &
PIDS="$PIDS $!"
wait_for 5 test -S "$T/silent.sock"
q --timeout 0.2 -a "unix:$T/silent.sock" wheat
check "--timeout: exit 2 when no reply comes" is_rc 2
check "--timeout: says so" contains "$T/err" "newsq: no reply from unix:$T/silent.sock within 0.2 s (--timeout)"

# ---- get and stats ----
q get wire-2
check "get: exit 0" is_rc 0
golden "get: every field, the body last" "id      wire-2
title   Cocoa prices rise
date    2020-05-02T09:30:00Z
source  wire
url     
topics  cocoa, markets
places  ivory-coast

Cocoa prices rose for a third day. Traders cited dry weather in Ivory Coast."
q get no-such-id
check "get not found: exit 1" is_rc 1
check "get not found: the daemon's message" contains "$T/err" "newsq: not_found: no document with id no-such-id"
q --json get wire-1
check "get --json: the daemon's object" grep -q '^{"status":"ok","doc":{"id":"wire-1",.*"url":"https://example.org/wire-1",.*}}$' "$T/out"

q stats
check "stats: exit 0" is_rc 0
check "stats: documents" grep -q '^documents  *6$' "$T/out"
check "stats: the search counter" grep -q '^searches  *[1-9][0-9]*$' "$T/out"
# rows_only FILE: every line is "name  number".
rows_only() { ! grep -qv '^[a-z0-9_]*  *[0-9][0-9]*$' "$1"; }
check "stats: one name and number per line" rows_only "$T/out"
check "stats: the latency rows too" grep -q '^search_p99_us  *[0-9][0-9]*$' "$T/out"
q --json stats
check "stats --json" grep -q '^{"status":"ok","documents":6,' "$T/out"

# ---- add ----
cat >"$T/feed.jsonl" <<'EOF'
{"id":"add-1","title":"Zebra crossing opens","body":"A new zebra crossing opened on the high street.","date":"2022-01-10","source":"local"}

{"id":"add-2","title":"broken record"
{"id":"add-3","title":"Fish & chips","body":"Zebra fans ate fish & chips <hot> and said \"it's fine\".","source":"local"}
EOF
q add "$T/feed.jsonl"
check "add file with a bad line: exit 2" is_rc 2
golden "add file: the summary" "added 2, failed 1"
check "add file: the bad line by number, with the daemon's error" \
    grep -q "^newsq: $T/feed.jsonl:3: bad_request: invalid JSON: " "$T/err"
check "add file: only the bad line reported" lines_of "$T/err" 1
q --no-snippet zebra
check "added articles are searchable" ids_are "add-1 add-3 "
q -n 1 --offset 1 zebra
check "snippet entities unescaped" contains "$T/out" "Zebra fans ate fish & chips <hot> and said \"it's fine\"."
q get add-1
check "added article: get" contains "$T/out" "title   Zebra crossing opens"

printf '%s\n' '{"id":"add-4","title":"Quokka seen","body":"A quokka was seen."}' \
    '   ' 'not json' '{"id":"add-5","title":"Second quokka","body":"Another quokka."}' >"$T/stdin.jsonl"
q add - <"$T/stdin.jsonl"
check "add from stdin: exit 2 (one failed)" is_rc 2
golden "add from stdin: the summary" "added 2, failed 1"
check "add from stdin: line 3 reported" grep -q '^newsq: stdin:3: bad_request: ' "$T/err"
q --count quokka
golden "added from stdin: searchable" "2"

awk 'BEGIN { for (i = 1; i <= 300; i++)
    printf "{\"id\":\"bulk-%d\",\"title\":\"Bulk wombat %d\",\"body\":\"wombat\"}\n", i, i }' >"$T/bulk.jsonl"
q add "$T/bulk.jsonl"
check "add of more records than the window: exit 0" is_rc 0
golden "add of more records than the window: all acknowledged" "added 300, failed 0"
q --count wombat
golden "every pipelined record searchable" "300"
q --json add "$T/feed.jsonl"
check "add --json: one reply object per record" lines_of "$T/out" 3
check "add --json: replies in order" [ "$(sed -E 's/^[{]"status":"([a-z]+)",("id":"([^"]*)"|"code":"([a-z_]*)").*/\1 \3\4/' "$T/out" | tr '\n' ' ')" = 'ok add-1 error bad_request ok add-3 ' ]
check "add --json: the summary on stderr" contains "$T/err" "added 2, failed 1"

check "newsd still answers after all that" sh -c "'$NQ' -a '$TCP' stats >/dev/null"

# ---- the quick start: the whole shipped corpus ----
"$BIN/newsindex" --index "$T/corpus-idx" "$ROOT/corpus" >"$T/cix.out" 2>&1
check "corpus indexed" grep -q '^newsindex: done .* errors=0 ' "$T/cix.out"
start corpus --index "$T/corpus-idx" --listen 127.0.0.1:0 --listen "unix:$T/c.sock"
NEWSQ_ADDR="unix:$T/c.sock" q "Istanbul Convention"
check "quick start: exit 0" is_rc 0
check "quick start: the seed article first" \
    [ "$(sed -n 2p "$T/out" | awk '{ print $NF }')" = "corpus/seed/duvar-2021-03-24-turkey-s400-done-deal.txt" ]
check "quick start: its title" grep -q "^1\. Turkey tells US at NATO that Russian defense purchase is 'done deal'$" "$T/out"
check "quick start: the snippet shows the phrase" grep -q '^   .*Istanbul Convention' "$T/out"

# ---- the daemon's own deadline per query (--query-timeout), on the whole corpus ----
start slow --index "$T/corpus-idx" --listen 127.0.0.1:0 --query-timeout 1
# Two wildcards of 1,024 terms each, in body and title (the most one query may expand to),
# over 23,804 documents: far more than 1 ms.
q -a "$TCP" --exact -n 100 's* OR t*'
check "query timeout: exit 2" is_rc 2
check "query timeout: the daemon's code and limit" grep -q '^newsq: timeout: query took longer than 1 ms$' "$T/err"
q -a "$TCP" stats
check "query timeout: the daemon still answers" is_rc 0
"$ND" --index "$T/corpus-idx" --query-timeout 0 >"$T/out" 2>"$T/err"; RC=$?
check "--query-timeout 0: usage error" is_rc 2
check "--query-timeout 0: message" grep -q "query-timeout takes milliseconds from 1 to 60000" "$T/err"

# ---- writes while another process holds the index's write lock: ERR busy, nothing lost ----
# --force: the files are unchanged since the build, and an update would skip them all.
"$BIN/newsindex" --index "$T/corpus-idx" --force --progress "$ROOT/corpus/reuters21578" \
    >"$T/upd.out" 2>"$T/upd.err" &
UPD=$!
check "newsindex holds the lock (its progress bar is up)" wait_for 30 grep -q 'indexing \[' "$T/upd.err"
printf '{"id":"lock-1","title":"Written during a batch","body":"zebrafinch"}\n' >"$T/lock.jsonl"
q -a "unix:$T/c.sock" add "$T/lock.jsonl"
check "ADD under another writer's lock: exit 2" is_rc 2
check "ADD under another writer's lock: busy, named" grep -q 'busy' "$T/err"
wait "$UPD"; RC=$?
check "the batch finished undisturbed" is_rc 0
check "the batch replaced every Reuters record" grep -q ' replaced=21578 ' "$T/upd.out"
q -a "unix:$T/c.sock" add "$T/lock.jsonl"
check "the same ADD once the lock is free: exit 0" is_rc 0
q -a "unix:$T/c.sock" zebrafinch
check "and it is searchable" grep -q 'lock-1' "$T/out"

finish
