#!/bin/sh
# End-to-end tests of facets and filter lists (newsd(8), "FACETS"): the shipped corpus
# indexed once as one index and once as 3 shards, a newsd on each.  For a broad query, a
# phrase and a query with since/until, the 20 largest values of every facet (source,
# topic, place, month, year) have exactly the count COUNT gives with that value as a
# filter (a month or year: since/until of it), on both daemons, and both give the same
# facets.  Also: the JSON shape (jq) and the text lines, time facets in date order with
# their empty buckets, limit=0, facet_limit, any-of lists as the sum of their values,
# not_ lists as the total less the included, filters that leave the scores alone, every
# bad input (ERR bad_request, then PING), the STATS counter, the deadline (ERR timeout,
# never short counts), and newsq --facets (the chart, scaled to COLUMNS) and --json.
. "$(dirname "$0")/lib.sh"
ND=$BIN/newsd
NI=$BIN/newsindex
NQ=$BIN/newsq
NC=$T/nclient
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
TAB=$(printf '\t')

${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -pthread -o "$NC" "$ROOT/tests/e2e/nclient.c"
check "the test client builds" [ -x "$NC" ]

# ---- the shipped corpus: one index, and 3 shards ----
"$NI" --index "$T/one" --jobs 2 "$ROOT/corpus" >"$T/ni.one" 2>&1
check "one index built" contains "$T/ni.one" "newsindex: done "
"$NI" --index "$T/sh" --shards 3 --jobs 2 "$ROOT/corpus" >"$T/ni.sh" 2>&1
check "3 shards built" contains "$T/ni.sh" "newsindex: done "
start one --index "$T/one" --listen 127.0.0.1:0 --workers 2
ONE=$TCP
start sharded --index "$T/sh/shards.stub" --listen 127.0.0.1:0 --workers 2
SHARDED=$TCP

# jqe FILTER [FILE]: jq -e, quietly: the filter's last output is true.
jqe() { jq -e "$@" >/dev/null; }
# ask ADDR REQUEST: the reply(ies) to one line.
ask() { printf '%s\n' "$2" | "$NC" -t 60 "$1"; }
alive() { [ "$(ask "$1" PING)" = "OK pong" ]; }

# The queries: OPTIONS|QUERY; since/until on month boundaries so that a month's range
# within them is the whole month.
cat >"$T/queries" <<EOF
|oil
|"interest rates"
since=1987-03-01 until=1987-04-30|trade
EOF

# max_day A B, min_day A B: the later, the earlier of two days YYYY-MM-DD.
max_day() { if [ "$1" \> "$2" ]; then echo "$1"; else echo "$2"; fi; }
min_day() { if [ "$1" \< "$2" ]; then echo "$1"; else echo "$2"; fi; }
# opt OPTIONS NAME: the value of NAME= in OPTIONS, or empty.
opt() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# agree ADDR TAG OPTIONS QUERY: the facets of the query and, for the 20 largest values of
# each, COUNT with that filter; writes "facet value facet_count count_count" lines to
# $T/TAG.pairs and the facets (JSON) to $T/TAG.facets.
agree() {
    addr=$1; tag=$2; o=$3; q=$4
    ask "$addr" "SEARCH format=json limit=0 facets=source,topic,place,year,month facet_limit=20 $o $q" >"$T/$tag.json"
    jq -c .facets <"$T/$tag.json" >"$T/$tag.facets"
    since=$(opt "$o" since); until=$(opt "$o" until)
    rest=$(printf '%s\n' "$o" | tr ' ' '\n' | grep -v '^since=\|^until=' | tr '\n' ' ')
    : >"$T/$tag.reqs"; : >"$T/$tag.want"
    for f in source topic place year month; do
        jq -r --arg f "$f" '.facets[$f] | sort_by(-.count) | .[:20][] | "\(.value) \(.count)"' \
            <"$T/$tag.json" | while read -r line; do
            v=${line% *}; n=${line##* }
            case $f in
            year | month)
                if [ "$f" = year ]; then lo="$v-01-01"; hi="$v-12-31"
                else lo="$v-01"; hi=$(date -u -d "$lo +1 month -1 day" +%F); fi
                [ -n "$since" ] && lo=$(max_day "$lo" "$since")
                [ -n "$until" ] && hi=$(min_day "$hi" "$until")
                echo "COUNT format=json $rest since=$lo until=$hi $q" ;;
            *) echo "COUNT format=json $o $f=$v $q" ;;
            esac >>"$T/$tag.reqs"
            echo "$f $v $n" >>"$T/$tag.want"
        done
    done
    "$NC" -t 120 "$addr" <"$T/$tag.reqs" | jq -r '.count // ("error: " + .message)' >"$T/$tag.got"
    paste -d ' ' "$T/$tag.want" "$T/$tag.got" >"$T/$tag.pairs"
}
# pairs_equal TAG: every facet count equals its COUNT (and there are some).
pairs_equal() {
    [ -s "$T/$1.pairs" ] || return 1
    bad=$(awk '$3 != $4' "$T/$1.pairs")
    [ -z "$bad" ] && return 0
    echo "$bad" | head -n 5 | sed 's/^/    | facet value facet_count COUNT: /' >&2
    return 1
}
# has_facet TAG FACET N: the facet has at least N values.
has_facet() { [ "$(grep -c "^$2 " "$T/$1.pairs")" -ge "$3" ]; }

i=0
while IFS='|' read -r o q; do
    i=$((i + 1))
    agree "$ONE" "one$i" "$o" "$q"
    agree "$SHARDED" "sh$i" "$o" "$q"
    check "query $i ($q): facet counts = COUNT with the filter, one index" pairs_equal "one$i"
    check "query $i ($q): facet counts = COUNT with the filter, 3 shards" pairs_equal "sh$i"
    check "query $i ($q): the same facets over 3 shards as over one index" \
        cmp -s "$T/one$i.facets" "$T/sh$i.facets"
    for f in source topic month year; do
        check "query $i ($q): the $f facet has values" has_facet "one$i" "$f" 1
    done
done <"$T/queries"
check "the broad query: 20 topics and 20 places compared" has_facet one1 topic 20
check "the broad query: 20 places compared" has_facet one1 place 20

# ---- the JSON shape ----
J=$T/one1.json
check "JSON: facets holds exactly the facets asked for, in their order" \
    [ "$(jq -c '.facets | keys_unsorted' "$J")" = '["source","topic","place","year","month"]' ]
check "JSON: every value is {value: string, count: number}" \
    jqe '[.facets[][] | (keys == ["count","value"]) and (.value|type) == "string" and (.count|type) == "number"] | all' "$J"
check "JSON: value facets hold at most facet_limit values" \
    jqe '[.facets.source, .facets.topic, .facets.place | length <= 20] | all' "$J"
check "JSON: value facets most first, ties by value" \
    jqe '[.facets.source, .facets.topic, .facets.place | . == sort_by(-.count, .value)] | all' "$J"
check "JSON: value facets count only values that match" \
    jqe '[.facets.source[], .facets.topic[], .facets.place[] | .count > 0] | all' "$J"
check "JSON: limit=0 gives no hits" jqe '.shown == 0 and .hits == []' "$J"
# A month facet in date order with every month from the first to the last.
months_in_order() {
    jq -r ".facets.$2[].value" "$1" >"$T/m.got"
    first=$(head -n 1 "$T/m.got"); last=$(tail -n 1 "$T/m.got")
    : >"$T/m.want"; m=$first
    while [ "$m" \< "$last" ] || [ "$m" = "$last" ]; do
        echo "$m" >>"$T/m.want"
        if [ "$2" = year ]; then m=$((m + 1))
        else m=$(date -u -d "$m-01 +1 month" +%Y-%m); fi
    done
    cmp -s "$T/m.got" "$T/m.want"
}
check "month: every month from the first match to the last, in order" months_in_order "$J" month
check "year: every year from the first match to the last, in order" months_in_order "$J" year
check "month: empty months are there with count 0" jqe '[.facets.month[] | select(.count == 0)] | length > 0' "$J"
check "year: empty years are there with count 0" jqe '[.facets.year[] | select(.count == 0)] | length > 0' "$J"
check "time facets start and end with a match" \
    jqe '[.facets.month, .facets.year | (.[0].count > 0 and .[-1].count > 0)] | all' "$J"
check "the since/until query: months only within the range" \
    [ "$(jq -r '[.facets.month[].value] | join(" ")' "$T/one3.json")" = "1987-03 1987-04" ]
check "the year counts add up to the matches with a date" \
    [ "$(jq '[.facets.year[].count] | add' "$J")" = "$(jq '[.facets.month[].count] | add' "$J")" ]
ask "$ONE" "SEARCH format=json limit=0 facets=day since=1987-03-01 until=1987-03-31 oil" >"$T/day.json"
check "day: every day of the range that lies between matches, YYYY-MM-DD" \
    jqe '.facets.day | length > 20 and all(.value | test("^1987-03-[0-3][0-9]$"))' "$T/day.json"
check "day: the days add up to COUNT of the range" \
    [ "$(jq '[.facets.day[].count] | add' "$T/day.json")" = \
      "$(ask "$ONE" "COUNT format=json since=1987-03-01 until=1987-03-31 oil" | jq .count)" ]
# (collapse=0: each article counts, as COUNT's do; folded, the total counts clusters)
ask "$ONE" "SEARCH format=json limit=3 collapse=0 facets=topic oil" >"$T/both.json"
check "facets with hits: the page is there too" jqe '.shown == 3 and (.hits | length) == 3' "$T/both.json"
check "facet_limit: default 10 values" jqe '.facets.topic | length == 10' "$T/both.json"
check "a facets search counts exactly: total = COUNT" \
    [ "$(jq .total "$T/both.json")" = "$(ask "$ONE" "COUNT format=json oil" | jq .count)" ]
check "a folded facets search counts clusters: total = COUNT collapse=1" \
    [ "$(ask "$ONE" "SEARCH format=json limit=0 facets=topic oil" | jq .total)" = \
      "$(ask "$ONE" "COUNT format=json collapse=1 oil" | jq .count)" ]
ask "$ONE" "SEARCH format=json limit=0 facets=topic facet_limit=3 oil" >"$T/lim.json"
check "facet_limit=3: the first 3 of the default list" \
    [ "$(jq -c .facets.topic "$T/lim.json")" = "$(jq -c '.facets.topic[:3]' "$T/both.json")" ]
ask "$ONE" "SEARCH format=json limit=0 facets=place facet_limit=1000 oil" >"$T/all.json"
check "facet_limit=1000: every place of the matches (over 20)" jqe '.facets.place | length > 20 and length < 1000' "$T/all.json"
ask "$ONE" "SEARCH format=json limit=0 facets=topic zzyzxnotaword" >"$T/none.json"
check "no matches: the facet is an empty list" jqe '.total == 0 and .facets.topic == []' "$T/none.json"

# ---- the text form ----
ask "$ONE" "SEARCH limit=2 snippet=0 facets=topic,year facet_limit=3 oil" >"$T/text"
check "text: the OK line" grep -q '^OK total=[0-9]* shown=2 took_us=[0-9]*$' "$T/text"
check "text: two hit lines, starting with their ranks" [ "$(sed -n '2p;3p' "$T/text" | cut -f 1 | tr '\n' ' ')" = "1 2 " ]
jq -r '.facets.topic[] | "facet\ttopic\t\(.value)\t\(.count)"' "$T/lim.json" >"$T/text.topic"
check "text: facet<TAB>topic<TAB>value<TAB>count lines, as the JSON" \
    [ "$(sed -n '4,6p' "$T/text")" = "$(cat "$T/text.topic")" ]
jq -r '.facets.year[] | "facet\tyear\t\(.value)\t\(.count)"' "$J" >"$T/text.year"
check "text: then the year lines, in date order" \
    [ "$(grep "^facet${TAB}year${TAB}" "$T/text")" = "$(cat "$T/text.year")" ]
check "text: END last" [ "$(tail -n 1 "$T/text")" = "END" ]
check "text: every other line is a hit or a facet" \
    [ "$(sed '1d;$d' "$T/text" | grep -cv "^facet${TAB}\|^[0-9]")" = 0 ]

# ---- filter lists ----
count() { ask "$1" "COUNT format=json $2" | jq -r '.count // ("error: " + .message)'; }
for addr in "$ONE" "$SHARDED"; do
    r=$(count "$addr" "source=reuters oil"); b=$(count "$addr" "source=bbc oil")
    check "source=reuters,bbc is the sum of the two ($addr)" \
        [ "$(count "$addr" "source=reuters,bbc oil")" = $((r + b)) ]
    check "source=Reuters,BBC: case-insensitive" [ "$(count "$addr" "source=Reuters,BBC oil")" = $((r + b)) ]
    all=$(count "$addr" "oil")
    e=$(count "$addr" "topic=crude oil")
    check "not_topic=crude: the total less topic=crude ($addr)" \
        [ "$(count "$addr" "not_topic=crude oil")" = $((all - e)) ]
    u=$(count "$addr" "place=usa oil")
    check "not_place=usa: the total less place=usa ($addr)" \
        [ "$(count "$addr" "not_place=usa oil")" = $((all - u)) ]
    check "not_source=reuters: the total less source=reuters ($addr)" \
        [ "$(count "$addr" "not_source=reuters oil")" = $((all - r)) ]
    cu=$(count "$addr" "topic=crude place=usa oil")
    check "topic=crude not_place=usa: crude less crude in the usa ($addr)" \
        [ "$(count "$addr" "topic=crude not_place=usa oil")" = $((e - cu)) ]
done
all_positive() { for n in "$@"; do [ "$n" -gt 0 ] || return 1; done; }
check "the filters keep some (the counts are not 0)" all_positive "$r" "$b" "$e" "$u" "$cu"
# any-of over topics counts an article with both once: the facet of the filtered search
# shows only the values kept.
ask "$ONE" "SEARCH format=json limit=0 collapse=0 facets=source source=reuters,bbc oil" >"$T/src.json"
check "source=reuters,bbc: only those two in the source facet" \
    [ "$(jq -r '[.facets.source[].value] | sort | join(",")' "$T/src.json")" = "bbc,reuters" ]
check "source=reuters,bbc: SEARCH total = COUNT" [ "$(jq .total "$T/src.json")" = $((r + b)) ]
ask "$ONE" "SEARCH format=json limit=0 facets=topic not_topic=crude,earn oil" >"$T/nt.json"
check "not_topic=crude,earn: neither in the topic facet" \
    jqe '[.facets.topic[].value] | (index("crude") == null and index("earn") == null)' "$T/nt.json"
ask "$ONE" "SEARCH format=json limit=100 snippet=0 oil" >"$T/plain.json"
ask "$ONE" "SEARCH format=json limit=100 snippet=0 facets=topic oil" >"$T/faceted.json"
check "facets leave the hits alone" \
    [ "$(jq -c '[.hits[] | [.id, .score]]' "$T/plain.json")" = "$(jq -c '[.hits[] | [.id, .score]]' "$T/faceted.json")" ]
ask "$ONE" "SEARCH format=json limit=100 snippet=0 not_source=reuters oil" >"$T/filt.json"
# same_scores: every hit of the filtered search has its score of the unfiltered one
# (over the unfiltered top 100 and the filtered hits that are in it).
same_scores() {
    jq -n --slurpfile a "$T/plain.json" --slurpfile b "$T/filt.json" -e '
        ($a[0].hits | map({(.id): .score}) | add) as $s
        | [$b[0].hits[] | select($s[.id] != null) | .score == $s[.id]] | (length > 0 and all)' \
        >/dev/null
}
check "filters never change scores" same_scores
check "not_source=reuters: no reuters hit" jqe '[.hits[].source] | index("reuters") == null' "$T/filt.json"

# ---- bad input: ERR bad_request naming the problem, and the daemon answers ----
# bad NAME REQUEST EXPECTED-REPLY-PREFIX
bad() {
    ask "$ONE" "$2" >"$T/bad"
    check "$1: $3" [ "$(cut -c 1-${#3} "$T/bad")" = "$3" ]
    check "$1: one line" [ "$(wc -l <"$T/bad")" -eq 1 ]
    check "$1: PING after it" alive "$ONE"
}
bad "unknown facet" "SEARCH facets=colour oil" \
    "ERR bad_request unknown facet 'colour': facets are source, topic, place, year, month or day"
bad "unknown facet in a list" "SEARCH facets=topic,Month oil" "ERR bad_request unknown facet 'Month'"
bad "empty facets" "SEARCH facets= oil" \
    "ERR bad_request facets needs a list of facet names: source, topic, place, year, month or day"
bad "empty item" "SEARCH facets=topic,,month oil" \
    "ERR bad_request facets has an empty name (two commas, or one at an end)"
bad "trailing comma" "SEARCH facets=topic, oil" "ERR bad_request facets has an empty name"
bad "a facet twice" "SEARCH facets=topic,month,topic oil" "ERR bad_request facet 'topic' given twice"
bad "facet_limit not a number" "SEARCH facets=topic facet_limit=ten oil" \
    "ERR bad_request facet_limit must be a number from 1 to 1000"
bad "facet_limit 0" "SEARCH facets=topic facet_limit=0 oil" \
    "ERR bad_request facet_limit must be a number from 1 to 1000"
bad "facet_limit 1001" "SEARCH facets=topic facet_limit=1001 oil" \
    "ERR bad_request facet_limit must be a number from 1 to 1000"
bad "facet_limit without facets" "SEARCH facet_limit=5 oil" "ERR bad_request facet_limit needs facets="
bad "facets on COUNT" "COUNT facets=topic oil" "ERR bad_request unknown option 'facets' for COUNT"
bad "facet_limit on COUNT" "COUNT facet_limit=3 oil" "ERR bad_request unknown option 'facet_limit' for COUNT"
bad "facets given twice" "SEARCH facets=topic facets=month oil" "ERR bad_request option 'facets' given twice"
bad "a day facet over 34 years" "SEARCH facets=day oil" "ERR bad_request "
check "the day facet's error says how wide is too wide" contains "$T/bad" "10000"
bad "an empty source list" "SEARCH source= oil" "ERR bad_request source has an empty value"
bad "an empty value in a topic list" "COUNT topic=grain,,wheat oil" \
    "ERR bad_request topic has an empty value"
bad "an empty not_place" "COUNT not_place= oil" "ERR bad_request not_place has an empty value"
many=$(i=0; while [ $i -lt 65 ]; do printf 'p%d,' "$i"; i=$((i + 1)); done)
bad "65 places" "COUNT place=${many%,} oil" "ERR bad_request place has more than 64 values"
bad "unknown option" "SEARCH not_author=x oil" "ERR bad_request unknown option 'not_author' for SEARCH"
ask "$ONE" "SEARCH format=json facets=colour oil" >"$T/bad"
check "JSON error" [ "$(jq -r '.status + " " + .code' "$T/bad")" = "error bad_request" ]
check "64 places are fine" [ "$(count "$ONE" "place=${many%,p64,} oil")" -ge 0 ]

# ---- STATS ----
stat() { ask "$ONE" "STATS" | sed -n "s/^$1${TAB}//p"; }
before=$(stat facet_searches); searches=$(stat searches)
ask "$ONE" "SEARCH limit=0 facets=topic oil" >/dev/null
ask "$ONE" "SEARCH limit=0 oil" >/dev/null
check "STATS: facet_searches counts a faceted SEARCH, not a plain one" \
    [ "$(stat facet_searches)" = $((before + 1)) ]
check "STATS: both are searches" [ "$(stat searches)" = $((searches + 2)) ]
check "STATS json: facet_searches" \
    [ "$(ask "$ONE" "STATS format=json" | jq .facet_searches)" = $((before + 1)) ]

# ---- newsq ----
# usage_failed MESSAGE: newsq exited 2 and said MESSAGE on stderr.
usage_failed() { [ "$rc" -eq 2 ] && contains "$T/err" "$1"; }
COLUMNS=60 "$NQ" -a "$ONE" -n 0 --facets topic,month oil >"$T/nq60" 2>"$T/nq.err"; rc=$?
check "newsq --facets: exit 0" [ "$rc" -eq 0 ]
check "newsq --facets: the heading of each facet" [ "$(grep -c '^topic:$\|^month:$' "$T/nq60")" = 2 ]
check "newsq --facets: a topic line per value" \
    [ "$(sed -n '/^topic:$/,/^$/p' "$T/nq60" | grep -c '^  [a-z-]* *[0-9][0-9]*$')" = 10 ]
# bar lines: "  YYYY-MM  COUNT #..." (no bar for an empty month)
sed -n '/^month:$/,$p' "$T/nq60" | sed 1d >"$T/bars60"
check "newsq --facets: a month line per bucket" \
    [ "$(wc -l <"$T/bars60")" = "$(ask "$ONE" "SEARCH format=json limit=0 facets=month oil" | jq '.facets.month | length')" ]
check "newsq --facets: every month line is a bar line" \
    [ "$(grep -cvE '^  [0-9]{4}-[0-9]{2} +[0-9]+( #+)?$' "$T/bars60")" = 0 ]
check "newsq --facets: empty months have no bar" grep -qE '^  [0-9]{4}-[0-9]{2} +0$' "$T/bars60"
longest() { awk '{ if (length($0) > n) n = length($0) } END { print n }' "$1"; }
check "newsq --facets: the longest bar fills COLUMNS=60" [ "$(longest "$T/bars60")" = 60 ]
COLUMNS=120 "$NQ" -a "$ONE" -n 0 --facets topic,month oil >"$T/nq120"
sed -n '/^month:$/,$p' "$T/nq120" | sed 1d >"$T/bars120"
check "newsq --facets: the longest bar fills COLUMNS=120" [ "$(longest "$T/bars120")" = 120 ]
bars() { grep -o '#*$' "$1" | awk '{ n += length($0) } END { print n }'; }
check "newsq --facets: bars scale with COLUMNS" [ "$(bars "$T/bars120")" -gt "$(bars "$T/bars60")" ]
env -u COLUMNS "$NQ" -a "$ONE" -n 0 --facets month oil >"$T/nq80"
sed -n '/^month:$/,$p' "$T/nq80" | sed 1d >"$T/bars80"
check "newsq --facets: 80 columns off a terminal without COLUMNS" [ "$(longest "$T/bars80")" = 80 ]
"$NQ" -a "$ONE" -n 2 --no-snippet --facets source oil >"$T/nqhits"
check "newsq --facets: the hits come first" [ "$(head -c 3 "$T/nqhits")" = "1. " ]
check "newsq --facets: then the footer and the facets" \
    [ "$(grep -A 2 ' matches, took ' "$T/nqhits" | sed -n '3p')" = "source:" ]
"$NQ" -a "$ONE" --json -n 0 --facets topic,month --facet-limit 4 oil >"$T/nqjson"
check "newsq --json: the daemon's facets passed through" \
    [ "$(jq -c .facets "$T/nqjson")" = "$(ask "$ONE" "SEARCH format=json limit=0 facets=topic,month facet_limit=4 oil" | jq -c .facets)" ]
"$NQ" -a "$ONE" count --source reuters,bbc oil >"$T/nqc"
check "newsq --source a,b" [ "$(cat "$T/nqc")" = $((r + b)) ]
"$NQ" -a "$ONE" count --not-topic crude oil >"$T/nqc"
check "newsq --not-topic" [ "$(cat "$T/nqc")" = $((all - e)) ]
"$NQ" -a "$ONE" count --place usa --not-source bbc --not-place uk oil >"$T/nqc"
check "newsq --place --not-source --not-place" \
    [ "$(cat "$T/nqc")" = "$(count "$ONE" "place=usa not_source=bbc not_place=uk oil")" ]
"$NQ" -a "$ONE" --facets colour oil >"$T/out" 2>"$T/err"; rc=$?
check "newsq --facets colour: exit 2, the daemon's message" \
    usage_failed "newsq: bad_request: unknown facet 'colour'"
"$NQ" -a "$ONE" --facet-limit 5 oil >"$T/out" 2>"$T/err"; rc=$?
check "newsq --facet-limit without --facets: usage error" \
    usage_failed "--facet-limit needs --facets"
"$NQ" -a "$ONE" count --facets topic oil >"$T/out" 2>"$T/err"; rc=$?
check "newsq count --facets: usage error" \
    usage_failed "--facets applies to a search, not a count"
"$NQ" -a "$ONE" --facets topic --facet-limit 1001 oil >"$T/out" 2>"$T/err"; rc=$?
check "newsq --facet-limit 1001: usage error naming the range" \
    usage_failed "--facet-limit must be a number from 1 to 1000"

# ---- the deadline: a faceted search out of time is ERR timeout, never short counts ----
# 3,000 documents holding "the" and "of" far apart: an OR of the phrase "of of" reads
# every position list of them, seconds of work (as in test_limits.sh).
mkdir -p "$T/feed"
body=$(i=0; while [ $i -lt 100 ]; do printf 'the of '; i=$((i + 1)); done)
awk -v body="$body" 'BEGIN { for (i = 0; i < 3000; i++)
    printf "{\"id\":\"slow-%d\",\"title\":\"slow %d\",\"body\":\"%s\",\"date\":\"1987-03-01\",\"source\":\"slowfeed\",\"topics\":[\"t%d\"]}\n", i, i, body, i % 7 }' \
    >"$T/feed/slow.jsonl"
"$NI" --index "$T/slow" "$T/feed" >"$T/ni.slow" 2>&1
check "the slow index built" field_is "$T/ni.slow" docs 3000
start slow --index "$T/slow" --listen 127.0.0.1:0 --workers 1 --query-timeout 100
SLOW=$TCP
slowq=$(i=0; while [ $i -lt 120 ]; do printf '"of of" OR '; i=$((i + 1)); done)
ask "$SLOW" "SEARCH limit=0 facets=source,topic,month ${slowq% OR }" >"$T/r"
check "a slow faceted SEARCH: ERR timeout" [ "$(cat "$T/r")" = "ERR timeout query took longer than 100 ms" ]
check "PING after the timeout" alive "$SLOW"
ask "$SLOW" "SEARCH format=json limit=0 collapse=0 facets=topic slow" >"$T/r"
check "a quick faceted SEARCH on the same daemon: 7 topics, 3000 articles" \
    jqe '.total == 3000 and ([.facets.topic[].count] | add) == 3000 and (.facets.topic | length) == 7' "$T/r"

for p in $PIDS; do stop "$p"; done
PIDS=""
finish
