#!/bin/sh
# End-to-end tests of bin/newsindex: the command line, updates by id, rebuilds,
# bad input, progress output, leftovers of killed runs, and an interrupted rebuild of
# the shipped corpus.  Document counts come from xapian-delve and queries from quest,
# so the index is checked as an ordinary Xapian database.
. "$(dirname "$0")/lib.sh"
NI=$BIN/newsindex

# ---- usage errors: exit 2 with a message ----
"$NI" >"$T/out" 2>"$T/err"; rc=$?
check "no arguments: exit 2" [ "$rc" -eq 2 ]
check "no arguments: says --index is required" contains "$T/err" "--index DIR is required"
"$NI" --index "$T/x" >"$T/out" 2>"$T/err"; rc=$?
check "no paths: exit 2" [ "$rc" -eq 2 ]
check "no paths: message" contains "$T/err" "name at least one file or folder"
"$NI" --index "$T/x" --jobs 0 corpus >"$T/out" 2>"$T/err"; rc=$?
check "--jobs 0: exit 2" [ "$rc" -eq 2 ]
check "--jobs 0: message" contains "$T/err" "--jobs takes a number from 1 to"
"$NI" --index "$T/x" --format xml corpus >"$T/out" 2>"$T/err"; rc=$?
check "bad --format: exit 2" [ "$rc" -eq 2 ]
check "bad --format: message" contains "$T/err" "unknown --format 'xml'"
"$NI" --help >"$T/out" 2>&1; rc=$?
check "--help: exit 0" [ "$rc" -eq 0 ]
check "--help: usage" contains "$T/out" "usage: newsindex --index DIR"
check "no index created by usage errors" [ ! -e "$T/x" ]

# ---- a small corpus, built, re-run, edited, rebuilt ----
mkdir -p "$T/news/world" "$T/news/sport"
printf 'Ankara buys missiles\n\nThe purchase is a done deal, the minister said.\n' > "$T/news/world/001.txt"
printf 'Cup final tonight\n\nThe final kicks off at eight.\n' > "$T/news/sport/001.txt"
printf '{"id":"wire-1","title":"Wheat prices fall","body":"Wheat fell on the Chicago exchange.","date":"2020-05-01","source":"wire"}\n' > "$T/news/feed.jsonl"
printf 'do not index me\n' > "$T/news/README"
printf 'hidden\n\nhidden body\n' > "$T/news/.hidden.txt"

"$NI" --index "$T/idx" "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "fresh build: exit 0" [ "$rc" -eq 0 ]
check "fresh build: added=3" field_is "$T/out" added 3
check "fresh build: replaced=0" field_is "$T/out" replaced 0
check "fresh build: files=3 (README and hidden skipped)" field_is "$T/out" files 3
check "fresh build: docs=3" field_is "$T/out" docs 3
check "fresh build: summary says done" contains "$T/out" "newsindex: done "
check "fresh build: xapian-delve counts 3" [ "$(doc_count "$T/idx")" = 3 ]
check "fresh build: xapian-check clean" xapian-check "$T/idx" >/dev/null 2>&1
check "on a pipe: no progress bar" lacks "$T/err" "indexing ["
check "no work folders left" [ -z "$(ls -d "$T"/idx.* 2>/dev/null)" ]
quest -d "$T/idx" '"done deal"' >"$T/q" 2>&1
check "quest finds the phrase" contains "$T/q" "news/world/001.txt"
quest -d "$T/idx" -b id:Q 'id:wire-1' >"$T/q" 2>&1
check "the JSON record has its id term" contains "$T/q" "Exactly 1 matches"

"$NI" --index "$T/idx" "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "re-run: exit 0" [ "$rc" -eq 0 ]
check "re-run: added=0" field_is "$T/out" added 0
check "re-run: replaced=0 (unchanged files are skipped)" field_is "$T/out" replaced 0
check "re-run: files_skipped=3" field_is "$T/out" files_skipped 3
check "re-run adds nothing twice" [ "$(doc_count "$T/idx")" = 3 ]

printf 'Ankara buys jets\n\nThe purchase of aircraft was agreed.\n' > "$T/news/world/001.txt"
printf 'Second story\n\nAnother one about turnips.\n' > "$T/news/world/002.txt"
"$NI" --index "$T/idx" "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "update: exit 0" [ "$rc" -eq 0 ]
check "update: added=1" field_is "$T/out" added 1
check "update: replaced=1 (only the edited file is read)" field_is "$T/out" replaced 1
check "update: 4 documents" [ "$(doc_count "$T/idx")" = 4 ]
quest -d "$T/idx" 'turnips' >"$T/q" 2>&1
check "update: new article searchable" contains "$T/q" "news/world/002.txt"
quest -d "$T/idx" '"done deal"' >"$T/q" 2>&1
check "update: replaced text is gone" contains "$T/q" "Exactly 0 matches"
quest -d "$T/idx" 'aircraft' >"$T/q" 2>&1
check "update: replacement text is found" contains "$T/q" "Exactly 1 matches"

"$NI" --index "$T/idx" --rebuild "$T/news/sport" >"$T/out" 2>"$T/err"; rc=$?
quest -d "$T/idx" -b id:Q 'id:sport/001.txt' >"$T/q" 2>&1
check "--rebuild: id is relative to the folder named" contains "$T/q" "Exactly 1 matches"
check "--rebuild: exit 0" [ "$rc" -eq 0 ]
check "--rebuild: starts from empty" [ "$(doc_count "$T/idx")" = 1 ]
check "--rebuild: added=1" field_is "$T/out" added 1
check "--rebuild: no work folders left" [ -z "$(ls -d "$T"/idx.* 2>/dev/null)" ]

# ---- globs ----
"$NI" --index "$T/glob" --include '*.jsonl' "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "--include: only the JSON file" field_is "$T/out" files 1
"$NI" --index "$T/glob2" --exclude '*.jsonl' --exclude '002*' "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "--exclude: two files left" field_is "$T/out" files 2

# ---- bad input: reported, counted, the batch goes on ----
mkdir -p "$T/bad"
printf '{"id":"ok-1","title":"Fine","body":"A good line."}\n{"id":\n{"title":"no id"}\n{"id":"ok-2","title":"Also fine","body":"Good."}\n' > "$T/bad/feed.jsonl"
"$NI" --index "$T/badidx" "$T/bad" "$T/does-not-exist" >"$T/out" 2>"$T/err"; rc=$?
check "bad records: exit 0" [ "$rc" -eq 0 ]
check "bad records: added=2" field_is "$T/out" added 2
check "bad records: skipped=2" field_is "$T/out" skipped 2
check "bad records: errors=1 (the missing path)" field_is "$T/out" errors 1
check "bad records: file:line of the bad JSON" contains "$T/err" "feed.jsonl:2:"
check "bad records: file:line of the missing id" contains "$T/err" "feed.jsonl:3:"
check "missing path named" contains "$T/err" "does-not-exist"

"$NI" --index "$T/none" "$T/does-not-exist" >"$T/out" 2>"$T/err"; rc=$?
check "nothing to read: exit 1" [ "$rc" -eq 1 ]
check "nothing to read: message" contains "$T/err" "no files to index"
check "nothing to read: no index created" [ ! -e "$T/none" ]

printf '\037\213\010\000\000\000\000\000' > "$T/bad/broken.jsonl.gz"   # a gzip header, then nothing
"$NI" --index "$T/gzidx" "$T/bad/broken.jsonl.gz" >"$T/out" 2>"$T/err"; rc=$?
check "truncated gzip only: exit 1" [ "$rc" -eq 1 ]
check "truncated gzip: named" contains "$T/err" "broken.jsonl.gz"

# ---- hostile files: FIFOs skipped (never waited on), a gzip bomb stopped, quotes escaped ----
mkdir -p "$T/hostile"
printf '{"id":"h-1","title":"Still indexed","body":"The rest of the corpus."}\n' > "$T/hostile/ok.jsonl"
mkfifo "$T/hostile/pipe.jsonl" "$T/named.fifo"
head -c 50000000 /dev/zero | gzip -c > "$T/hostile/zeros.jsonl.gz"
printf '{"id":"h-2","title":"t","date":"\\u001b]0;pwned\\u0007"}\n' > "$T/hostile/esc.jsonl"
timeout 60 "$NI" --index "$T/hostidx" "$T/hostile" "$T/named.fifo" >"$T/out" 2>"$T/err"; rc=$?
check "hostile files: exit 0 (not killed by the timeout)" [ "$rc" -eq 0 ]
check "hostile files: the good file indexed" field_is "$T/out" added 1
check "hostile files: errors=3 (two FIFOs, the bomb)" field_is "$T/out" errors 3
check "FIFO in a folder: warned" contains "$T/err" "hostile/pipe.jsonl: a FIFO, not a regular file; skipped"
check "FIFO named: warned" contains "$T/err" "named.fifo: a FIFO, not a regular file; skipped"
check "gzip of zeros: stopped" contains "$T/err" "zeros.jsonl.gz: gzip data expands more than"
check "quoted date escaped" contains "$T/err" 'unparsable "date" "\x1b]0;pwned\x07"'
check "no raw escape byte in the warnings" lacks "$T/err" "$(printf '\033')"

# ---- progress bar when asked for ----
"$NI" --index "$T/prog" --progress "$T/news" >"$T/out" 2>"$T/err"; rc=$?
check "--progress: exit 0" [ "$rc" -eq 0 ]
check "--progress: bar on stderr" contains "$T/err" "docs/s"
check "--progress: summary still on stdout" field_is "$T/out" added 4

# ---- leftovers of killed runs ----
cp -r "$T/idx" "$T/idx.build-999999999"
mkdir "$T/idx.new-999999999"
"$NI" --index "$T/idx" "$T/news/sport" >"$T/out" 2>"$T/err"; rc=$?
check "stale work folders removed" [ -z "$(ls -d "$T"/idx.* 2>/dev/null)" ]
mv "$T/idx" "$T/idx.old-999999999"
"$NI" --index "$T/idx" "$T/news/sport" >"$T/out" 2>"$T/err"; rc=$?
check "index restored from an interrupted swap" contains "$T/err" "restored"
check "restored index updated, not rebuilt" field_is "$T/out" files_skipped 1

# ---- a rebuild of the shipped corpus killed with SIGKILL leaves the index intact ----
"$NI" --index "$T/live" "$ROOT/corpus/seed" >"$T/out" 2>"$T/err"
"$NI" --index "$T/live" --rebuild --jobs 1 "$ROOT/corpus" >"$T/out" 2>"$T/err" &
pid=$!
shard_growing() { [ -n "$(find "$T"/live.build-* -name 'postlist.glass' 2>/dev/null)" ]; }
check "rebuild under way" wait_for 60 shard_growing
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "killed rebuild: live index still has its 1 document" [ "$(doc_count "$T/live")" = 1 ]
check "killed rebuild: xapian-check clean" xapian-check "$T/live" >/dev/null 2>&1
quest -d "$T/live" '"istanbul convention"' >"$T/q" 2>&1
check "killed rebuild: still searchable" contains "$T/q" "Exactly 1 matches"

finish
