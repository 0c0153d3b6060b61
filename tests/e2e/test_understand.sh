#!/bin/sh
# End-to-end tests of query understanding (newsd(8), "DID YOU MEAN", "EXPLAIN", QUERY
# SYNTAX): the shipped corpus indexed once as one index and once as 3 local shards, a
# newsd on each, over TCP and a Unix socket, text and JSON.
# Did you mean: "Istanbul Convnetion" suggests "Istanbul Convention" (the did_you_mean
# line, the "suggestion" member), quotes, field prefixes and operators kept, none for a
# query with matches enough or when the filters leave the correction nothing; the table
# of tests/data/spelling/misspellings.txt (each typed word matching fewer than 5
# articles) and its hit rate; the spelling table kept by ADD and DELETE (a deleted article's words leave it);
# newsq's "Did you mean" (under the hits, on stderr without hits, exit 1) and --fix.
# Explain: for a set of queries every hit's weights add up to its score, the parsed
# query's description, the same over the shards; the text form; bad values; newsq
# --explain.
# NEAR and ADJ between phrases: what Xapian's parser alone does with them (quest); COUNT
# of tests/data/near/queries.txt equal to a brute-force scan of the corpus
# (tests/tools/nearscan.cc) on the one index and the shards; a search with it, explained;
# every form we cannot match exactly is ERR bad_query with the byte.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NI=$BIN/newsindex
NQ=$BIN/newsq
NC=$T/nclient
NEARSCAN=$ROOT/${BUILD:-build/rel}/tools/nearscan
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
TAB=$(printf '\t')

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]
check "the brute-force counter is built" [ -x "$NEARSCAN" ]

"$NI" --index "$T/one" --jobs 2 "$ROOT/corpus" >"$T/ni.one" 2>&1
check "one index built" contains "$T/ni.one" "newsindex: done "
"$NI" --index "$T/sh" --shards 3 --jobs 2 "$ROOT/corpus" >"$T/ni.sh" 2>&1
check "3 shards built" contains "$T/ni.sh" "newsindex: done "
start one --index "$T/one" --listen 127.0.0.1:0 --listen "unix:$T/one.sock" --workers 2
ONE=$TCP
ONE_UNIX=unix:$T/one.sock
start sharded --index "$T/sh/shards.stub" --listen 127.0.0.1:0 --listen "unix:$T/sh.sock" --workers 2
SHARDED=$TCP
SHARDED_UNIX=unix:$T/sh.sock

jqe() { jq -e "$@" >/dev/null; }
# ask ADDR REQUEST: the reply to one line, took_us masked.
ask() {
    printf '%s\n' "$2" | "$NC" -t 60 "$1" |
        sed -E 's/took_us=[0-9]+/took_us=N/; s/"took_us":[0-9]+/"took_us":N/'
}
# askj ADDR REQUEST: the same unmasked, for jq.
askj() { printf '%s\n' "$2" | "$NC" -t 60 "$1"; }
alive() { [ "$(ask "$1" PING)" = "OK pong" ]; }
is() { [ "$1" = "$2" ] || { printf 'got:  %s\nwant: %s\n' "$1" "$2" >&2; return 1; }; }

# ---- did you mean ----
for a in "$ONE" "$ONE_UNIX" "$SHARDED" "$SHARDED_UNIX"; do
    check "text: did_you_mean line ($a)" is "$(ask "$a" 'SEARCH limit=0 Istanbul Convnetion')" \
        "OK total=0 shown=0 took_us=N
did_you_mean${TAB}Istanbul Convention
END"
    check "json: suggestion ($a)" is "$(ask "$a" 'SEARCH format=json limit=0 Istanbul Convnetion')" \
        '{"status":"ok","total":0,"shown":0,"took_us":N,"hits":[],"suggestion":"Istanbul Convention"}'
    askj "$a" 'SEARCH format=json limit=0 "Istanbul Convnetion"' >"$T/q1"
    check "quotes kept ($a)" jqe '.suggestion == "\"Istanbul Convention\""' "$T/q1"
    askj "$a" 'SEARCH format=json limit=0 title:nato AND "Istanbul Convnetion"' >"$T/q2"
    check "prefix and operator kept ($a)" jqe '.suggestion == "title:nato AND \"Istanbul Convention\""' "$T/q2"
    askj "$a" 'SEARCH format=json limit=0 oil NEAR/3 prics' >"$T/q3"
    check "NEAR/3 kept ($a)" jqe '.suggestion == "oil NEAR/3 prices"' "$T/q3"
    askj "$a" 'SEARCH format=json limit=0 oil prices' >"$T/q4"
    check "no suggestion with matches enough ($a)" jqe 'has("suggestion") | not' "$T/q4"
    ask "$a" 'SEARCH limit=0 oil prices' >"$T/q4t"
    check "no did_you_mean line with matches enough ($a)" lacks "$T/q4t" "did_you_mean"
    askj "$a" 'SEARCH format=json limit=0 source=reuters Istanbul Convnetion' >"$T/q5"
    check "no suggestion when the filters leave it nothing ($a)" jqe 'has("suggestion") | not' "$T/q5"
done

# The table: every typed word matches fewer than 5 articles (NEWSD_SUGGEST_FEW_MATCHES:
# some are typos the corpus has too); the hit rate is the share corrected to
# the wanted word, on the one index and on the shards (Xapian's combined spelling data
# may choose another of two equally close words there: newsd(8), BUGS).
n=0; hits=0; hits_sh=0; zero=0
grep -v '^#' "$ROOT/tests/data/spelling/misspellings.txt" >"$T/table"
while read -r kind typed want; do
    n=$((n + 1))
    c=$(ask "$ONE" "COUNT $typed" | sed -n 's/^OK count=\([0-9]*\) .*/\1/p')
    [ -n "$c" ] && [ "$c" -lt 5 ] && zero=$((zero + 1))
    got=$(askj "$ONE" "SEARCH format=json limit=0 $typed" | jq -r '.suggestion // "-"')
    got_sh=$(askj "$SHARDED" "SEARCH format=json limit=0 $typed" | jq -r '.suggestion // "-"')
    [ "$got_sh" = "$want" ] && hits_sh=$((hits_sh + 1))
    if [ "$got" = "$want" ]; then hits=$((hits + 1)); else echo "note: $kind $typed -> $got (want $want)"; fi
    [ "$got" = "$got_sh" ] || echo "note: shards: $typed -> $got_sh (one index: $got)"
done <"$T/table"
echo "note: did-you-mean hit rate $hits/$n (3 shards: $hits_sh/$n)"
check "at least 30 misspellings in the table" [ "$n" -ge 30 ]
check "every typed word matches fewer than 5 articles" [ "$zero" -eq "$n" ]
check "hit rate at least 85%" [ $((hits * 100)) -ge $((n * 85)) ]
check "hit rate over the shards at least 85%" [ $((hits_sh * 100)) -ge $((n * 85)) ]

# ADD and DELETE keep the table: a word only in a title is never suggested (titles are
# not in it), so once the article with it in its body is deleted, the title's match
# is no reason to suggest it.
ask "$ONE_UNIX" 'ADD {"id":"sp-title","title":"Quokkaburger","body":"A snack."}' >"$T/a1"
check "ADD title-only article" contains "$T/a1" "OK"
askj "$ONE_UNIX" 'SEARCH format=json limit=0 quokkaburgr' >"$T/a2"
check "a title-only word is not suggested" jqe 'has("suggestion") | not' "$T/a2"
ask "$ONE_UNIX" 'ADD {"id":"sp-body","title":"Snacks","body":"The quokkaburger is sold out."}' >"$T/a3"
wait_for 10 sh -c "printf 'SEARCH format=json limit=0 quokkaburgr\n' | '$NC' '$ONE_UNIX' | grep -q quokkaburger"
askj "$ONE_UNIX" 'SEARCH format=json limit=0 quokkaburgr' >"$T/a4"
check "ADD puts its body words in the table" jqe '.suggestion == "quokkaburger"' "$T/a4"
ask "$ONE_UNIX" 'DELETE sp-body' >"$T/a5"
check "DELETE" contains "$T/a5" "OK"
wait_for 10 sh -c "[ \"\$(printf 'COUNT quokkaburger\n' | '$NC' '$ONE_UNIX' | cut -d' ' -f2)\" = count=1 ]"
askj "$ONE_UNIX" 'SEARCH format=json limit=0 quokkaburgr' >"$T/a6"
check "DELETE takes its words out of the table" jqe 'has("suggestion") | not' "$T/a6"
ask "$ONE_UNIX" 'DELETE sp-title' >/dev/null

# newsq: under the hits; on stderr without hits (exit 1); --fix
"$NQ" -a "$ONE" --no-snippet Erdogan OR convnetion >"$T/n1" 2>"$T/n1.err"; rc=$?
check "newsq: hits and a suggestion: exit 0" [ "$rc" -eq 0 ]
check "newsq: Did you mean under the hits" [ "$(tail -n 1 "$T/n1")" = "Did you mean: Erdogan OR convention?" ]
"$NQ" -a "$ONE_UNIX" Istanbul Convnetion >"$T/n2" 2>"$T/n2.err"; rc=$?
check "newsq: no hits: exit 1" [ "$rc" -eq 1 ]
check "newsq: no hits: Did you mean on stderr" is "$(cat "$T/n2.err")" "Did you mean: Istanbul Convention?"
check "newsq: no hits: stdout says so" is "$(sed 's/, took .*//' "$T/n2")" "no matches"
"$NQ" -a "$ONE" --fix --no-snippet Istanbul Convnetion >"$T/n3" 2>"$T/n3.err"; rc=$?
check "newsq --fix: exit 0" [ "$rc" -eq 0 ]
check "newsq --fix: says what it searched" is "$(cat "$T/n3.err")" "newsq: searching for: Istanbul Convention"
check "newsq --fix: the corrected query's hit" contains "$T/n3" "corpus/seed/duvar-2021-03-24-turkey-s400-done-deal.txt"
"$NQ" -a "$ONE" --fix --json Istanbul Convnetion >"$T/n4" 2>/dev/null
check "newsq --fix --json: one reply, the corrected search's" [ "$(wc -l <"$T/n4")" -eq 1 ]
check "newsq --fix --json: total 1" jqe '.total == 1' "$T/n4"
"$NQ" -a "$ONE" count --fix oil >"$T/n5" 2>&1; rc=$?
check "newsq count --fix: usage error" [ "$rc" -eq 2 ]
check "newsq count --fix: message" contains "$T/n5" "--fix applies to a search, not a count"

# ---- explain ----
# Queries marked = must explain the same over the shards; the others have ties in
# score (their order is the docids') or wildcards (Xapian estimates a wildcard's
# frequency per shard, so the scores themselves differ).
cat >"$T/xq" <<'Q'
=oil prices
="interest rates"
=opec OR cartel
 petro*
=(oil OR crude) NOT opec
 title:cocoa
=nato NEAR turkey
=source:bbc music
=+wheat -corn
 NOT cocoa
Q
while IFS= read -r line; do
    q=${line#?}
    for a in "$ONE" "$SHARDED_UNIX"; do
        askj "$a" "SEARCH format=json limit=20 snippet=0 explain=1 $q" >"$T/x"
        check "explain: hits for '$q' ($a)" jqe '.shown > 0' "$T/x"
        check "explain: weights add up to the score for '$q' ($a)" \
            jqe '[.hits[] | ((.score - ([.explain[].weight] | add)) | fabs) <= 0.001 * ((.explain | length) + 1)] | all' "$T/x"
        check "explain: every hit has a part for '$q' ($a)" jqe '[.hits[] | (.explain | length) > 0] | all' "$T/x"
        check "explain: the parsed query for '$q' ($a)" jqe '.query | startswith("Query(")' "$T/x"
    done
    askj "$ONE" "SEARCH format=json limit=20 snippet=0 explain=1 $q" | jq -c '[.hits[] | {id, score, explain}], .query' >"$T/x1"
    askj "$SHARDED" "SEARCH format=json limit=20 snippet=0 explain=1 $q" | jq -c '[.hits[] | {id, score, explain}], .query' >"$T/x2"
    case $line in =*) check "explain: the shards explain as the one index for '$q'" cmp -s "$T/x1" "$T/x2" ;; esac
done <"$T/xq"
askj "$ONE" 'SEARCH format=json limit=1 snippet=0 explain=1 oil prices' >"$T/x3"
check "explain: the description" jqe '.query == "Query(((Zoil@1 OR ZSoil@1) AND (Zprice@2 OR ZSprice@2)))"' "$T/x3"
check "explain: the parts of oil prices" jqe '[.hits[0].explain[].term] == ["Zoil","ZSoil","Zprice","ZSprice"]' "$T/x3"
ask "$ONE_UNIX" 'SEARCH limit=1 snippet=0 explain=1 oil prices' >"$T/x4"
check "explain text: the query line" contains "$T/x4" "query${TAB}Query(((Zoil@1 OR ZSoil@1) AND (Zprice@2 OR ZSprice@2)))"
check "explain text: an eighth field of term:weight" \
    [ "$(sed -n 2p "$T/x4" | cut -f8 | sed -E 's/:[0-9]+\.[0-9]{3}//g')" = "Zoil ZSoil Zprice ZSprice" ]
check "explain text: ends with END" [ "$(tail -n 1 "$T/x4")" = "END" ]
ask "$ONE" 'SEARCH limit=1 snippet=0 explain=0 oil prices' >"$T/x5"
check "explain=0: no query line" lacks "$T/x5" "query${TAB}"
askj "$ONE" 'SEARCH format=json limit=1 explain=0 oil prices' >"$T/x6"
check "explain=0: no explain member" jqe '(has("query") | not) and (.hits[0] | has("explain") | not)' "$T/x6"
check "explain=2: bad_request" is "$(ask "$ONE" 'SEARCH explain=2 oil')" "ERR bad_request explain must be 0 or 1"
check "explain on COUNT: bad_request" is "$(ask "$ONE" 'COUNT explain=1 oil')" "ERR bad_request unknown option 'explain' for COUNT"
check "still answers after the bad requests" alive "$ONE"
"$NQ" -a "$ONE" --explain -n 1 --no-snippet oil prices >"$T/n6"
check "newsq --explain: the score line" grep -Eq '^   score [0-9.]+ = Zoil [0-9.]+ \+ ZSoil [0-9.]+ \+ Zprice [0-9.]+ \+ ZSprice [0-9.]+$' "$T/n6"
check "newsq --explain: the query" contains "$T/n6" "Query: Query(((Zoil@1 OR ZSoil@1) AND (Zprice@2 OR ZSprice@2)))"
"$NQ" -a "$ONE" count --explain oil >"$T/n7" 2>&1; rc=$?
check "newsq count --explain: usage error" [ "$rc" -eq 2 ]

# ---- NEAR and ADJ between phrases ----
# What Xapian's own parser makes of a phrase operand (the reason for nearphrase.cc): the
# phrases dropped and NEAR/5 read as the phrase "near 5", silently.
quest -d "$T/one" -m 0 -o and '"interest rates" NEAR/5 "federal reserve"' >"$T/quest" 2>&1
check "Xapian's parser alone rewrites NEAR between phrases" \
    contains "$T/quest" 'Parsed Query: Query((Zinterest@1 AND rates@2 AND (near@3 PHRASE 2 5@4) AND (Zfeder@5 AND reserve@6)))'
# Brute force: the corpus read again and scanned word by word (tests/tools/nearscan.cc);
# COUNT must agree for every query, with the operands quoted, with a one-word operand
# bare, on the one index (TCP) and the shards (Unix socket).
"$NEARSCAN" "$ROOT/tests/data/near/queries.txt" "$ROOT/corpus" >"$T/scan" 2>"$T/scan.err"
check "the brute force read the corpus" [ "$(head -n 1 "$T/scan")" = "docs=23804" ]
agree=0; total=0
while IFS="$TAB" read -r want line; do
    op=${line%% *}; rest=${line#* }; n=${rest%% *}; ops=${rest#* }
    a=${ops%%|*}; b=${ops#*|}
    forms="\"$a\" $op/$n \"$b\""
    case $a in *" "*) ;; *) forms="$forms
$a $op/$n \"$b\"" ;; esac
    case $b in *" "*) ;; *) forms="$forms
\"$a\" $op/$n $b" ;; esac
    while IFS= read -r q; do
        for a_ in "$ONE" "$SHARDED_UNIX"; do
            total=$((total + 1))
            got=$(ask "$a_" "COUNT $q" | sed -n 's/^OK count=\([0-9]*\) .*/\1/p')
            if [ "$got" = "$want" ]; then agree=$((agree + 1)); else echo "note: $q: COUNT $got, brute force $want ($a_)"; fi
        done
    done <<F
$forms
F
done <<S
$(tail -n +2 "$T/scan")
S
echo "note: NEAR/ADJ COUNT equal to the brute force $agree/$total"
check "NEAR/ADJ: at least 20 queries counted" [ "$total" -ge 40 ]
check "NEAR/ADJ: every COUNT equals the brute force" [ "$agree" -eq "$total" ]
check "NEAR/ADJ: some query matches" [ "$(tail -n +2 "$T/scan" | cut -f1 | sort -n | tail -n 1)" -gt 0 ]
Q='"interest rates" NEAR/5 "federal reserve"'
for a in "$ONE_UNIX" "$SHARDED"; do
    askj "$a" "SEARCH format=json limit=20 snippet=0 explain=1 $Q" >"$T/nj"
    check "NEAR search: the total ($a)" jqe '.total == 9 and .shown == 9' "$T/nj"
    check "NEAR search: weights add up ($a)" \
        jqe '[.hits[] | ((.score - ([.explain[].weight] | add)) | fabs) <= 0.001 * ((.explain | length) + 1)] | all' "$T/nj"
    check "NEAR search: the description names it ($a)" jqe '.query | contains("PostingSource(NEAR/5 (interest rates) (federal reserve))")' "$T/nj"
    check "NEAR search: text ($a)" [ "$(ask "$a" "SEARCH limit=0 $Q")" = "OK total=9 shown=0 took_us=N
END" ]
done
askj "$ONE" "SEARCH format=json limit=20 snippet=0 $Q" | jq -c '[.hits[] | {id, score}]' >"$T/n1.json"
askj "$SHARDED" "SEARCH format=json limit=20 snippet=0 $Q" | jq -c '[.hits[] | {id, score}]' >"$T/n2.json"
check "NEAR search: the shards rank as the one index" cmp -s "$T/n1.json" "$T/n2.json"
check "NEAR in brackets with a filter" is "$(ask "$ONE" 'COUNT ("interest rates" NEAR "federal reserve") AND source:reuters')" "OK count=7 took_us=N"
# forms that cannot be matched exactly: bad_query with the byte, never a rewrite
bad() { check "bad_query: $1" is "$(ask "$ONE" "COUNT $1")" "ERR bad_query $2"; }
bad '"a b" NEAR c NEAR d' 'at byte 7: NEAR and ADJ with a phrase take exactly two operands (no chains)'
bad 'title:"oil prices" NEAR crude' "at byte 1: 'title:\"oil prices\"' next to a phrase with NEAR or ADJ: the operands must be quoted phrases or plain words (no field prefixes, +, -, wildcards or brackets)"
bad '"oil prices" NEAR/0 crude' 'at byte 14: NEAR/0: the distance must be a number from 1 to 1000'
bad '"oil prices" ADJ/1001 crude' 'at byte 14: ADJ/1001: the distance must be a number from 1 to 1000'
bad '"oil prices" NEAR' 'at byte 14: NEAR needs an operand on each side'
bad '"!!" NEAR oil' "at byte 1: '\"!!\"' has no words to match"
bad 'oil OR "oil prices" NEAR (opec OR cartel)' "at byte 26: '(opec' next to a phrase with NEAR or ADJ: the operands must be quoted phrases or plain words (no field prefixes, +, -, wildcards or brackets)"
check "still answers after the bad queries" alive "$ONE"

finish
