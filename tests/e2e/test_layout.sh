#!/bin/sh
# The layering of daemon/ (Makefile, "The layers of daemon/"): each folder includes only
# headers of the folders below it, so no include circle can form between folders; the
# index and ingest layers know nothing of the server or the indexer; newsq links nothing
# of the index, the readers or the server; each program links only the layers it uses.
. "$(dirname "$0")/lib.sh"

# allowed LAYER: the folders whose headers LAYER's sources may include (itself too).
allowed() {
    case $1 in
    common) echo "common" ;;
    index) echo "index common" ;;
    ingest) echo "ingest common" ;;
    indexer) echo "indexer ingest index common" ;;
    server) echo "server ingest index common" ;;
    client) echo "client common" ;;
    esac
}
# home HEADER: the folder of daemon/ (or client) that holds HEADER, "" for include/ and
# system headers.
home() {
    for d in "$ROOT"/daemon/*/ "$ROOT/client/"; do
        [ -f "$d$1" ] && { basename "$d"; return; }
    done
}

check "daemon/ holds exactly the five layers" \
    [ "$(cd "$ROOT/daemon" && ls -d */ | tr -d / | tr '\n' ' ')" = "common index indexer ingest server " ]
for layer in common index ingest indexer server client; do
    dir=$ROOT/daemon/$layer
    [ "$layer" = client ] && dir=$ROOT/client
    bad=""
    for f in "$dir"/*.c "$dir"/*.cc "$dir"/*.h "$dir"/*.hh; do
        [ -f "$f" ] || continue
        for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
            from=$(home "$h")
            [ -z "$from" ] && continue
            case " $(allowed "$layer") " in
            *" $from "*) ;;
            *) bad="$bad $(basename "$f")->$from/$h" ;;
            esac
        done
    done
    check "$layer includes only the layers below it${bad:+:$bad}" [ -z "$bad" ]
done

# The same rule as the compiler sees it: a server header included from ingest/ fails.
printf '#include "server.h"\n' >"$T/probe.c"
check "ingest/ cannot see a server header" sh -c \
    "! ${CC:-cc} -fsyntax-only -Iinclude -Idaemon/common -Idaemon/ingest '$T/probe.c' 2>/dev/null"

# What each program links.
for prog in newsq newsd newsindex; do
    check "bin/$prog is built" [ -x "$BIN/$prog" ]
done
nm "$BIN/newsq" >"$T/newsq.nm" 2>&1
check "nm reads bin/newsq" [ -s "$T/newsq.nm" ]
check "bin/newsq holds no index symbol" sh -c "! grep -q ' [TDB] newsidx_' '$T/newsq.nm'"
check "bin/newsq holds no Xapian" sh -c "! grep -qi 'xapian' '$T/newsq.nm'"
check "bin/newsq holds no reader symbol" sh -c "! grep -q ' [TDB] ingest_' '$T/newsq.nm'"
check "bin/newsq holds no server symbol" sh -c "! grep -qE ' [TDB] (cmd|conn|proto|server|writer|reindex)_' '$T/newsq.nm'"
nm "$BIN/newsindex" >"$T/newsindex.nm" 2>&1
check "bin/newsindex holds no server symbol" sh -c "! grep -qE ' [TDB] (cmd|conn|proto|server|writer|reindex)_' '$T/newsindex.nm'"
nm "$BIN/newsd" >"$T/newsd.nm" 2>&1
check "bin/newsd holds no indexer symbol" sh -c "! grep -qE ' [TDB] (partition|shardlayout)_' '$T/newsd.nm'"
check "bin/newsd holds the index" grep -q ' T newsidx_search$' "$T/newsd.nm"

finish
