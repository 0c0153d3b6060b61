#!/bin/sh
# The documentation: each man page (daemon/server/newsd.8, client/newsq.1,
# daemon/indexer/newsindex.8) renders with `man --warnings -l` without a single warning
# from groff, and names every long option its program's --help lists; README.md stays a
# newcomer's page (at most README_MAX_LINES lines) and every relative link, in-page
# anchor and repository path it names exists.  A missing man(1) is a failure, not a skip:
# `make deps` installs man-db.
. "$(dirname "$0")/lib.sh"

README_MAX_LINES=400
cd "$ROOT" || exit 1

if [ ! -x bin/newsd ] || [ ! -x bin/newsq ] || [ ! -x bin/newsindex ]; then
    make --no-print-directory all >"$T/make.log" 2>&1 || cat "$T/make.log" >&2
fi

has_man() { command -v man >/dev/null; }
check "man(1) is installed (make deps installs man-db)" has_man

# render PAGE OUT: the page as plain text in OUT, groff's warnings in OUT.err.  The C
# locale and a fixed width make the text the same on every machine; man-db's seccomp
# sandbox is off because some containers refuse it.
render() {
    LC_ALL=C MANWIDTH=80 MANPAGER=cat PAGER=cat MAN_DISABLE_SECCOMP=1 \
        man --warnings -l "$1" >"$2" 2>"$2.err"
}
# no_warnings OUT: nothing on stderr (it is printed when there is).
no_warnings() {
    [ ! -s "$1.err" ] && return 0
    sed 's/^/    | /' "$1.err" >&2
    return 1
}
# names_options PROG OUT: every --long option of PROG --help appears in the rendered page.
names_options() {
    missing=""
    for opt in $("$BIN/$1" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
        grep -qF -- "$opt" "$2" || missing="$missing $opt"
    done
    [ -z "$missing" ] && return 0
    echo "    $1: not in its page:$missing" >&2
    return 1
}
# has_options PROG: --help lists some long options at all (else the check above is empty).
has_options() { [ "$("$BIN/$1" --help 2>&1 | grep -cE -- '--[a-z]')" -gt 3 ]; }

for page in daemon/server/newsd.8 client/newsq.1 daemon/indexer/newsindex.8; do
    prog=$(basename "$page"); prog=${prog%.*}
    out=$T/$prog.txt
    check "$page exists" [ -f "$page" ]
    check "$page renders" render "$page" "$out"
    check "$page renders without a warning" no_warnings "$out"
    check "$page has a NAME section naming $prog" grep -q "^ *$prog - " "$out"
    check "$prog --help lists long options" has_options "$prog"
    check "$page names every long option of $prog --help" names_options "$prog" "$out"
done

# ---- README.md ----
lines=$(wc -l <README.md)
check "README.md has at most $README_MAX_LINES lines (it has $lines)" \
    [ "$lines" -le "$README_MAX_LINES" ]

# README.md without its fenced code blocks (commands and output there are examples).
awk '/^```/ { fence = !fence; next } !fence' README.md >"$T/prose.md"

# anchors: the GitHub anchor of every heading.
sed -n 's/^#\{1,6\} //p' README.md | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 _-]//g; s/ /-/g' \
    >"$T/anchors"

# Markdown links: relative targets must exist, in-page anchors must be headings.
bad_links=""
for target in $(grep -oE '\]\([^) ]+\)' "$T/prose.md" | sed 's/^](//; s/)$//'); do
    case $target in
    http://* | https://* | mailto:*) continue ;;
    \#*) grep -qx -- "${target#\#}" "$T/anchors" || bad_links="$bad_links $target" ;;
    *) [ -e "${target%%#*}" ] || bad_links="$bad_links $target" ;;
    esac
done
check "every relative link and anchor of README.md exists:${bad_links:- ok}" [ -z "$bad_links" ]

# Paths in inline code (`...`) that name a file or folder of the repository.
bad_paths=""
for word in $(grep -oE '`[^`]+`' "$T/prose.md" | tr -d '`' | tr ' ' '\n' |
              sed 's/[),;:.]*$//; s/^(//'); do
    case $word in
    *'<'* | *'>'* | bench/work/*) ;;     # a placeholder, or the bench's scratch folder
    daemon/* | client/* | include/* | tests/* | bench/* | corpus/* | .ci/* | \
    LICENSE | Makefile | README.md)
        # A glob (bench/RESULTS*.md) must match something.
        # shellcheck disable=SC2086
        set -- $word
        [ -e "$1" ] || bad_paths="$bad_paths $word" ;;
    esac
done
check "every repository path README.md names exists:${bad_paths:- ok}" [ -z "$bad_paths" ]

# The pages and the other READMEs the README sends readers to.
for f in daemon/server/newsd.8 client/newsq.1 daemon/indexer/newsindex.8 \
         include/newsidx.h tests/README.md bench/README.md; do
    check "README.md points to $f" grep -qF -- "$f" README.md
done

finish
