#!/bin/sh
# End-to-end tests of near-duplicate folding (newsd(8), NEAR-DUPLICATES) over the shipped
# corpus, indexed once as one index and once as 3 shards (newsindex --shards 3), each
# served by newsd on a TCP port and a Unix socket: STATS clusters and duplicates (the
# same for both); real duplicates of the corpus found through SEARCH's dups (the BBC set
# has byte-identical pairs) and checked with DUPS; SEARCH folds them (one hit, dups),
# collapse=0 lists each, COUNT counts articles unless collapse=1; DUPS over TCP and the
# Unix socket in text and JSON; ERR not_found; every bad option with its error, then
# PING; an ADD of a shipped Reuters article with one sentence changed lands in its
# cluster (distance at most 3) and folds; a DELETE of the cluster's first member keeps
# the others in one cluster named alike; over the shards, the same folding and DUPS as
# one index, and ADDs of near-copies routed to the other shards join the cluster (and a
# DELETE of its first member renames it in every shard); newsq dups and --no-collapse.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NI=$BIN/newsindex
NQ=$BIN/newsq
NC=$T/nclient
PY=/usr/bin/python3
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
[ -x "$PY" ] || { echo "test_dups: $PY is missing (make deps)"; echo "0 passed, 1 failed"; exit 1; }

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]

"$NI" --index "$T/one" --jobs 2 "$ROOT/corpus" >"$T/ni.one" 2>&1
check "one index built" contains "$T/ni.one" "newsindex: done "
"$NI" --index "$T/sh" --shards 3 --jobs 2 "$ROOT/corpus" >"$T/ni.sh" 2>&1
check "3 shards built" contains "$T/ni.sh" "newsindex: done "
start one --index "$T/one" --listen 127.0.0.1:0 --listen "unix:$T/one.sock" --workers 2 --no-config
ONE=$TCP ONEU="unix:$T/one.sock"
start sharded --index "$T/sh/shards.stub" --listen 127.0.0.1:0 --listen "unix:$T/sh.sock" --workers 2 --no-config
SH=$TCP SHU="unix:$T/sh.sock"

TAB=$(printf '\t')
ask() { printf '%s\n' "$2" | "$NC" "$1"; }
alive() { [ "$(ask "$1" PING)" = "OK pong" ]; }
# jqa ADDR REQUEST FILTER: FILTER (jq -r) of the JSON reply to REQUEST.
jqa() { ask "$1" "$2" | jq -r "$3"; }

# ---- STATS: clusters and duplicates, the same for one index and its shards ----
ask "$ONE" "STATS format=json" >"$T/stats.one"
ask "$SH" "STATS format=json" >"$T/stats.sh"
CLUSTERS=$(jq .clusters "$T/stats.one")
DUPLICATES=$(jq .duplicates "$T/stats.one")
check "STATS: clusters > 0 over the corpus" [ "${CLUSTERS:-0}" -gt 0 ]
check "STATS: duplicates >= clusters" [ "${DUPLICATES:-0}" -ge "${CLUSTERS:-1}" ]
check "STATS: the BBC's byte-identical pairs alone make 98 duplicates" [ "${DUPLICATES:-0}" -ge 98 ]
check "STATS over 3 shards: the same clusters" [ "$(jq .clusters "$T/stats.sh")" = "$CLUSTERS" ]
check "STATS over 3 shards: the same duplicates" [ "$(jq .duplicates "$T/stats.sh")" = "$DUPLICATES" ]
ask "$ONE" "STATS" >"$T/stats.txt"
check "STATS text: a clusters line" grep -q "^clusters${TAB}$CLUSTERS\$" "$T/stats.txt"
check "STATS text: a duplicates line" grep -q "^duplicates${TAB}$DUPLICATES\$" "$T/stats.txt"

# ---- real duplicates: BBC articles found through SEARCH's dups ----
Q="source=bbc limit=100 snippet=0 -- said"
ask "$ONE" "SEARCH format=json $Q" >"$T/bbc.one"
check "SEARCH: every hit has dups and cluster" \
    jq -e >/dev/null '.hits | length > 0 and all(has("dups") and has("cluster"))' "$T/bbc.one"
check "SEARCH: some BBC hits fold a duplicate (dups >= 1)" \
    jq -e >/dev/null '[.hits[] | select(.dups >= 1)] | length > 0' "$T/bbc.one"
check "SEARCH: a folding hit names its cluster" \
    jq -e >/dev/null '[.hits[] | select(.dups >= 1) | .cluster != ""] | all' "$T/bbc.one"
check "SEARCH: one hit per cluster" \
    jq -e >/dev/null '[.hits[] | select(.cluster != "") | .cluster] | length == (unique | length)' "$T/bbc.one"
HIT=$(jq -r '[.hits[] | select(.dups >= 1)][0].id' "$T/bbc.one")
HITC=$(jq -r '[.hits[] | select(.dups >= 1)][0].cluster' "$T/bbc.one")
HITD=$(jq -r '[.hits[] | select(.dups >= 1)][0].dups' "$T/bbc.one")
ask "$ONE" "DUPS format=json $HIT" >"$T/dups.hit"
check "DUPS of a folding hit: its cluster" [ "$(jq -r .cluster "$T/dups.hit")" = "$HITC" ]
check "DUPS: more members than the hit's dups" \
    [ "$(jq '.members | length' "$T/dups.hit")" -gt "$HITD" ]
check "DUPS: the hit itself at distance 0, the first member among them, all within 3" \
    jq -e >/dev/null --arg id "$HIT" --arg c "$HITC" '(.members | map(select(.id == $id)) | .[0].distance == 0)
        and (.members | map(.id) | index($c) != null) and (.members | all(.distance <= 3))' "$T/dups.hit"
check "DUPS: members oldest first" jq -e >/dev/null '[.members[].date] == ([.members[].date] | sort)' "$T/dups.hit"
check "DUPS: every member names the same cluster" sh -c '
    for m in $(jq -r ".members[].id" "$1"); do
        [ "$(printf "DUPS format=json %s\n" "$m" | "$2" "$3" | jq -r .cluster)" = "$4" ] || exit 1
    done' - "$T/dups.hit" "$NC" "$ONE" "$HITC"
ask "$ONE" "SEARCH format=json collapse=0 $Q" >"$T/bbc.all"
check "collapse=0: no hit folds anything" jq -e >/dev/null '.hits | all(.dups == 0)' "$T/bbc.all"
check "collapse=0: a cluster shows twice" \
    jq -e >/dev/null '[.hits[] | select(.cluster != "") | .cluster] | length > (unique | length)' "$T/bbc.all"
C0=$(jqa "$ONE" "COUNT format=json source=bbc -- said" .count)
C1=$(jqa "$ONE" "COUNT format=json collapse=1 source=bbc -- said" .count)
CX=$(jqa "$ONE" "COUNT format=json collapse=0 source=bbc -- said" .count)
check "COUNT counts articles by default (collapse=0)" [ "$C0" = "$CX" ]
check "COUNT collapse=1 counts fewer (clusters)" [ "$C1" -lt "$C0" ]
check "SEARCH exact=1 total is COUNT collapse=1" \
    [ "$(jqa "$ONE" "SEARCH format=json exact=1 limit=0 source=bbc -- said" .total)" = "$C1" ]
check "SEARCH collapse=0 exact=1 total is COUNT" \
    [ "$(jqa "$ONE" "SEARCH format=json collapse=0 exact=1 limit=0 source=bbc -- said" .total)" = "$C0" ]

# text form of a folding hit: a "dups" line after the hit lines
ask "$ONE" "SEARCH snippet=0 limit=100 source=bbc -- said" >"$T/bbc.txt"
check "text: the hit lines keep 7 fields" \
    sh -c '[ -z "$(grep -E "^[0-9]+	" "$1" | awk -F "	" "NF != 7")" ]' - "$T/bbc.txt"
check "text: a dups line for the folding hit" \
    grep -q "^dups${TAB}[0-9]*${TAB}$HIT${TAB}$HITD${TAB}$HITC\$" "$T/bbc.txt"
check "text: as many dups lines as folding hits" \
    [ "$(grep -c "^dups${TAB}" "$T/bbc.txt")" = "$(jq '[.hits[] | select(.dups >= 1)] | length' "$T/bbc.one")" ]
check "text: END last" [ "$(tail -n 1 "$T/bbc.txt")" = END ]

# ---- the shards fold and find as one index ----
ask "$SH" "SEARCH format=json $Q" >"$T/bbc.sh"
# (identical members have equal scores and may have equal dates, so which one a page
# keeps and which one names the cluster may differ: compare what does not depend on it)
FOLD='[.hits[] | select(.cluster == "") | .id] + ([.hits[] | .dups] | sort | map(tostring))'
check "3 shards: the same lone hits and dups as one index" \
    [ "$(jq -c "$FOLD" "$T/bbc.sh")" = "$(jq -c "$FOLD" "$T/bbc.one")" ]
MEMBERS='[.members[] | [.id, .distance]] | sort'
check "3 shards: DUPS has the members and distances of one index" \
    [ "$(jqa "$SH" "DUPS format=json $HIT" "$MEMBERS | tostring")" = "$(jq -c "$MEMBERS" "$T/dups.hit")" ]
check "3 shards: COUNT collapse=1 as one index" \
    [ "$(jqa "$SH" "COUNT format=json collapse=1 source=bbc -- said" .count)" = "$C1" ]

# ---- DUPS over both listeners, both formats ----
for addr in "$ONE" "$ONEU" "$SH" "$SHU"; do
    ask "$addr" "DUPS format=json $HIT" >"$T/json"
    n=$(jq '.members | length' "$T/json")
    c=$(jq -r .cluster "$T/json")
    ask "$addr" "DUPS $HIT" >"$T/text"
    check "$addr DUPS text: OK line" grep -Eq "^OK id=$HIT cluster=$c members=$n took_us=[0-9]+\$" "$T/text"
    check "$addr DUPS text: a line per member, as in JSON" \
        [ "$(sed -n "2,$((n + 1))p" "$T/text")" = "$(jq -r '.members[] | [.id, .distance, .date, .source, .title] | map(tostring) | join("\t")' "$T/json")" ]
    check "$addr DUPS text: fields id distance date source title" \
        [ "$(sed -n "2,$((n + 1))p" "$T/text" | awk -F "$TAB" '{print NF}' | sort -u)" = 5 ]
    check "$addr DUPS text: END" [ "$(sed -n "$((n + 2))p" "$T/text")" = END ]
    check "$addr DUPS json: the shape" jq -e >/dev/null --arg id "$HIT" '.status == "ok" and .id == $id and
        (.took_us | type) == "number" and (.members | all(keys == ["date","distance","id","source","title"]))' "$T/json"
    check "$addr DUPS nosuch: ERR not_found" [ "$(ask "$addr" "DUPS nosuch-id")" = "ERR not_found no document with id nosuch-id" ]
    check "$addr DUPS nosuch json: not_found" [ "$(jqa "$addr" "DUPS format=json nosuch-id" .code)" = not_found ]
done
SEED=corpus/seed/duvar-2021-03-24-turkey-s400-done-deal.txt
check "DUPS of an article alone: itself, its own cluster" \
    [ "$(jqa "$ONE" "DUPS format=json $SEED" '[.cluster, (.members | map([.id, .distance]) | tostring)] | join(" ")')" = "$SEED [[\"$SEED\",0]]" ]
check "SEARCH: an article alone has cluster \"\" and dups 0" \
    [ "$(jqa "$ONE" 'SEARCH format=json limit=1 "Istanbul Convention"' '.hits[0] | [.cluster, .dups] | tostring')" = '["",0]' ]

# ---- bad input: the error, then PING ----
long=$(head -c 300 /dev/zero | tr '\0' x)
for bad in "DUPS|bad_request DUPS needs an argument" \
           "DUPS limit=3 x|bad_request unknown option 'limit' for DUPS" \
           "DUPS collapse=1 x|bad_request unknown option 'collapse' for DUPS" \
           "DUPS partial=2 x|bad_request partial must be 0 or 1" \
           "DUPS format=xml x|bad_request format must be text or json" \
           "DUPS $long|bad_request id longer than 200 bytes" \
           "SEARCH collapse=2 oil|bad_request collapse must be 0 or 1" \
           "SEARCH collapse= oil|bad_request collapse must be 0 or 1" \
           "SEARCH collapse=1 collapse=0 oil|bad_request option 'collapse' given twice" \
           "COUNT collapse=yes oil|bad_request collapse must be 0 or 1" \
           "SIMILAR collapse=-1 reuters-26|bad_request collapse must be 0 or 1"; do
    req=${bad%%|*} want=${bad#*|}
    for addr in "$ONE" "$SH"; do
        ask "$addr" "$req" >"$T/e"
        check "$addr $(echo "$req" | cut -c 1-40): ERR $want" grep -q "^ERR $want" "$T/e"
        check "$addr alive after $(echo "$req" | cut -c 1-40)" alive "$addr"
    done
done
check "SIMILAR takes collapse=0" [ "$(jqa "$ONE" "SIMILAR format=json collapse=0 limit=3 reuters-26" .status)" = ok ]
check "HELP lists DUPS" grep -q "^DUPS${TAB}DUPS \[partial=0|1 format=F\] ID\$" "$(ask "$ONE" HELP >"$T/help"; echo "$T/help")"

# ---- ADD: a shipped Reuters article with one sentence changed joins its cluster ----
ORIG=reuters-26
ask "$ONE" "GET format=json $ORIG" >"$T/orig.json"
check "the Reuters article is there" [ "$(jq -r .doc.id "$T/orig.json")" = "$ORIG" ]
# near_copy ID WORD: the article as an ADD line, id ID, one day later, the first
# sentence's first word of 5 or more letters (after its first 3 words) replaced by WORD.
near_copy() {
    "$PY" - "$T/orig.json" "$1" "$2" <<'EOF2'
import datetime, json, re, sys
doc = json.load(open(sys.argv[1]))["doc"]
body = doc["body"]
words = list(re.finditer(r"[A-Za-z]{5,}", body))
m = words[3]
body = body[:m.start()] + sys.argv[3] + body[m.end():]
day = (datetime.datetime.strptime(doc["date"], "%Y-%m-%dT%H:%M:%SZ")
       + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
print("ADD format=json " + json.dumps({"id": sys.argv[2], "title": doc["title"], "body": body,
      "date": day, "source": doc["source"]}, separators=(",", ":")))
EOF2
}
BEFORE=$(jqa "$ONE" "DUPS format=json $ORIG" .cluster)
near_copy copy-1 Zebrafish >"$T/add1"
near_copy copy-2 Quagmire >"$T/add2"
check "ADD copy-1 (Unix socket)" [ "$("$NC" "$ONEU" <"$T/add1" | jq -r .status)" = ok ]
check "ADD copy-2 (Unix socket)" [ "$("$NC" "$ONEU" <"$T/add2" | jq -r .status)" = ok ]
ask "$ONE" "DUPS format=json copy-1" >"$T/d1"
check "copy-1 is in the article's cluster" [ "$(jq -r .cluster "$T/d1")" = "$BEFORE" ]
check "DUPS copy-1 lists the article, at distance <= 3" \
    jq -e >/dev/null --arg o "$ORIG" '.members | map(select(.id == $o)) | length == 1 and .[0].distance <= 3' "$T/d1"
check "DUPS copy-1 lists copy-2" jq -e >/dev/null '.members | map(.id) | index("copy-2") != null' "$T/d1"
check "DUPS of the article lists both copies" \
    jq -e >/dev/null '.members | map(.id) | (index("copy-1") != null and index("copy-2") != null)' \
    "$(ask "$ONE" "DUPS format=json $ORIG" >"$T/d0"; echo "$T/d0")"
check "the article's cluster keeps its name" [ "$(jq -r .cluster "$T/d0")" = "$BEFORE" ]
TQ=$(jq -r '.doc.title' "$T/orig.json" | tr -c 'A-Za-z0-9\n' ' ' | tr 'A-Z' 'a-z' | awk '{for(i=1;i<=NF;i++) if (length($i) > 3) printf "title:%s ", $i}')
ask "$ONE" "SEARCH format=json limit=100 snippet=0 -- $TQ" >"$T/s1"
check "SEARCH folds the copies: one hit of the three" \
    jq -e >/dev/null --arg o "$ORIG" '[.hits[].id | select(. == $o or . == "copy-1" or . == "copy-2")] | length == 1' "$T/s1"
check "SEARCH: that hit has dups >= 2" \
    jq -e >/dev/null --arg o "$ORIG" '[.hits[] | select(.id == $o or .id == "copy-1" or .id == "copy-2")][0].dups >= 2' "$T/s1"
ask "$ONE" "SEARCH format=json collapse=0 limit=100 snippet=0 -- $TQ" >"$T/s0"
check "SEARCH collapse=0 shows all three" \
    jq -e >/dev/null --arg o "$ORIG" '[.hits[].id | select(. == $o or . == "copy-1" or . == "copy-2")] | length == 3' "$T/s0"
check "SEARCH collapse=0: the three name one cluster" \
    jq -e >/dev/null --arg o "$ORIG" --arg c "$BEFORE" '[.hits[] | select(.id == $o or .id == "copy-1" or .id == "copy-2") | .cluster] | unique == [$c]' "$T/s0"
check "COUNT counts the copies; COUNT collapse=1 does not" \
    [ $(( $(jqa "$ONE" "COUNT format=json -- $TQ" .count) - $(jqa "$ONE" "COUNT format=json collapse=1 -- $TQ" .count) )) -ge 2 ]
check "STATS: two more duplicates" [ "$(jqa "$ONE" "STATS format=json" .duplicates)" = $((DUPLICATES + 2)) ]
"$NQ" -a "$ONE" --color never --no-snippet -n 100 $TQ >"$T/nq.out" 2>&1
check "newsq: (+N similar) after the folding hit" grep -Eq '  \(\+[2-9][0-9]* similar\)$' "$T/nq.out"
"$NQ" -a "$ONE" --color never --no-snippet --no-collapse -n 100 $TQ >"$T/nq.all" 2>&1
check "newsq --no-collapse: the copies are hits" contains "$T/nq.all" "copy-2"
check "newsq --no-collapse: no (+N similar) for them" lacks "$T/nq.all" "similar)"
"$NQ" -a "$ONE" --color never dups copy-1 >"$T/nq.dups"; rc=$?
check "newsq dups: exit 0" [ "$rc" -eq 0 ]
check "newsq dups: the cluster line" grep -q "^cluster $BEFORE: [0-9]* articles\$" "$T/nq.dups"
check "newsq dups: the members" sh -c 'grep -q "  copy-2\$" "$1" && grep -q "  '"$ORIG"'\$" "$1"' - "$T/nq.dups"
"$NQ" -a "$ONE" --json dups copy-1 >"$T/nq.json"
check "newsq --json dups: the daemon's reply" [ "$(jq -c 'del(.took_us)' "$T/nq.json")" = "$(jq -c 'del(.took_us)' "$T/d1")" ]
"$NQ" -a "$ONE" dups nosuch-id >/dev/null 2>"$T/nq.err"; rc=$?
check "newsq dups of an unknown id: exit 1" [ "$rc" -eq 1 ]
check "newsq dups of an unknown id: the message" contains "$T/nq.err" "newsq: not_found: no document with id nosuch-id"
"$NQ" -a "$ONE" dups >/dev/null 2>"$T/nq.err"; rc=$?
check "newsq dups without an id: exit 2" [ "$rc" -eq 2 ]
"$NQ" -a "$ONE" --limit 3 dups copy-1 >/dev/null 2>"$T/nq.err"; rc=$?
check "newsq dups --limit: usage error" sh -c '[ "$1" -eq 2 ] && grep -q "does not apply to .dups." "$2"' - "$rc" "$T/nq.err"

# ---- DELETE of the cluster's first member: the others stay one cluster, named alike ----
check "DELETE the first member $BEFORE" [ "$(ask "$ONEU" "DELETE format=json $BEFORE" | jq -r .status)" = ok ]
LEFT=$(jqa "$ONE" "DUPS format=json copy-1" .cluster)
check "the cluster has a new name" [ -n "$LEFT" -a "$LEFT" != "$BEFORE" ]
check "the copies name the cluster alike" [ "$(jqa "$ONE" "DUPS format=json copy-2" .cluster)" = "$LEFT" ]
check "the copies are still one cluster" jq -e >/dev/null '.members | map(.id) | index("copy-2") != null' \
    "$(ask "$ONE" "DUPS format=json copy-1" >"$T/d2"; echo "$T/d2")"
check "the new name is a member" jq -e >/dev/null --arg c "$LEFT" '.members | map(.id) | index($c) != null' "$T/d2"
check "the deleted one is gone from it" jq -e >/dev/null --arg c "$BEFORE" '.members | map(.id) | index($c) == null' "$T/d2"
postings() { xapian-delve -1 -t "$2" "$1" 2>/dev/null | grep -c '^[0-9]'; }
check "the cluster's term follows its new name: XC<new name> on every member" \
    [ "$(postings "$T/one" "XC$LEFT")" = "$(jq '.members | length' "$T/d2")" ]
check "no member keeps the old name's term" [ "$(postings "$T/one" "XC$BEFORE")" = 0 ]
check "SEARCH collapse=0: the members left name the new cluster" \
    jq -e >/dev/null --arg c "$LEFT" '[.hits[] | select(.id == "copy-1" or .id == "copy-2") | .cluster] | unique == [$c]' \
    "$(ask "$ONE" "SEARCH format=json collapse=0 limit=100 snippet=0 -- $TQ" >"$T/s2"; echo "$T/s2")"

# ---- the shards: near-copies whose ids route to the other shards join the cluster ----
# shard_of ID: newsidx_shard_of(ID, 3), FNV-1a 64 of the id modulo the shard count.
shard_of() {
    "$PY" -c 'import sys
h = 14695981039346656037
for b in sys.argv[1].encode():
    h = ((h ^ b) * 1099511628211) % (1 << 64)
print(h % 3)' "$1"
}
OS=$(shard_of "$ORIG")
ID_A="" ID_B=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    s=$(shard_of "shcopy-$i")
    if [ "$s" != "$OS" ] && [ -z "$ID_A" ]; then ID_A=shcopy-$i SA=$s
    elif [ "$s" != "$OS" ] && [ -n "$ID_A" ] && [ "$s" != "$SA" ] && [ -z "$ID_B" ]; then ID_B=shcopy-$i; fi
done
check "two copy ids routed to the two other shards" [ -n "$ID_A" -a -n "$ID_B" ]
SBEFORE=$(jqa "$SH" "DUPS format=json $ORIG" .cluster)
check "3 shards: the article's cluster as in one index" [ "$SBEFORE" = "$BEFORE" ]
near_copy "$ID_A" Zebrafish >"$T/adda"
near_copy "$ID_B" Quagmire >"$T/addb"
check "3 shards: ADD $ID_A" [ "$("$NC" "$SHU" <"$T/adda" | jq -r .status)" = ok ]
check "3 shards: ADD $ID_B" [ "$("$NC" "$SHU" <"$T/addb" | jq -r .status)" = ok ]
check "3 shards: $ID_A is in the article's cluster, across shards" \
    [ "$(jqa "$SH" "DUPS format=json $ID_A" .cluster)" = "$SBEFORE" ]
check "3 shards: DUPS $ID_B lists the article and $ID_A" \
    jq -e >/dev/null --arg o "$ORIG" --arg a "$ID_A" '.members | map(.id) | (index($o) != null and index($a) != null)' \
    "$(ask "$SH" "DUPS format=json $ID_B" >"$T/db"; echo "$T/db")"
check "3 shards: SEARCH folds them into one hit" \
    jq -e >/dev/null --arg o "$ORIG" --arg a "$ID_A" --arg b "$ID_B" '[.hits[] | select(.id == $o or .id == $a or .id == $b)] | length == 1 and .[0].dups >= 2' \
    "$(ask "$SH" "SEARCH format=json limit=100 snippet=0 -- $TQ" >"$T/ss"; echo "$T/ss")"
check "3 shards: DELETE the first member $SBEFORE" [ "$(ask "$SHU" "DELETE format=json $SBEFORE" | jq -r .status)" = ok ]
SLEFT=$(jqa "$SH" "DUPS format=json $ID_A" .cluster)
check "3 shards: the cluster renamed" [ -n "$SLEFT" -a "$SLEFT" != "$SBEFORE" ]
check "3 shards: named alike in every shard" [ "$(jqa "$SH" "DUPS format=json $ID_B" .cluster)" = "$SLEFT" ]
check "3 shards: SEARCH collapse=0: both copies name the new cluster" \
    jq -e >/dev/null --arg a "$ID_A" --arg b "$ID_B" --arg c "$SLEFT" '[.hits[] | select(.id == $a or .id == $b) | .cluster] | unique == [$c]' \
    "$(ask "$SH" "SEARCH format=json collapse=0 limit=100 snippet=0 -- $TQ" >"$T/ss0"; echo "$T/ss0")"

# ---- a shard that cannot be opened for writing fails the whole batch ----
# newsindex holds shard 0's write lock; an ADD routed to another shard is refused too
# (its cluster may need shard 0), with the reason, and succeeds once the lock is free.
# (Last: the rebuild leaves shard 0 holding a second copy of the Reuters articles.)
for i in 21 22 23 24 25 26 27 28 29 30; do
    [ "$(shard_of "lockcopy-$i")" != 0 ] && { LID=lockcopy-$i; break; }
done
"$NI" --index "$T/sh/shard-0" --force --progress "$ROOT/corpus/reuters21578" >"$T/lock.out" 2>"$T/lock.err" &
LOCKER=$!
check "newsindex holds shard 0's lock" wait_for 60 grep -qs 'indexing \[' "$T/lock.err"
near_copy "$LID" Zeppelin >"$T/addl"
"$NC" "$SHU" <"$T/addl" >"$T/lockreply"
check "ADD routed to shard $(shard_of "$LID") while shard 0 is locked: busy" \
    [ "$(jq -r .code "$T/lockreply")" = busy ]
check "the message names shard 0 and why every shard is needed" \
    jq -e >/dev/null '.message | test("shard 0") and test("every shard must be writable")' "$T/lockreply"
check "reads go on meanwhile" [ "$(jqa "$SH" "DUPS format=json $ID_A" .cluster)" = "$SLEFT" ]
wait "$LOCKER"
check "the same ADD once the lock is free" [ "$("$NC" "$SHU" <"$T/addl" | jq -r .status)" = ok ]
check "3 shards: still answering" alive "$SH"
check "one index: still answering" alive "$ONE"

stop "$(echo $PIDS | cut -d ' ' -f 1)"
check "one: exit 0 on SIGTERM" [ "$RC" -eq 0 ]
finish
