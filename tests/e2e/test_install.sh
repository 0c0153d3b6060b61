#!/bin/sh
# `make install` and `make uninstall` (Makefile, "install, uninstall"), into scratch
# DESTDIRs, never into /: with PREFIX=/usr and with the default prefix, every file at its
# place with its mode and nothing else; the installed newsindex, newsd and newsq run
# from there (newsd with the arguments of the installed newsd.service, the rebuild with
# those of newsd-reindex.service); a C program built with `pkg-config --cflags --libs
# newsidx` searches an index through the installed shared library, which exports only
# the C API; `systemd-analyze verify` finds nothing to say about the installed units;
# an operator's config is never overwritten nor removed; uninstall leaves nothing else.
# The sysusers.d and tmpfiles.d snippets are applied to a scratch root.  What needs a
# real systemd (the units started and stopped by it) is not run here.
# A missing tool (systemd-analyze, pkg-config) is a failure: `make deps` installs them.
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
# The suite runs inside `make test`: its make must not join the parent's job server,
# nor take the variables of the parent's command line, which make puts in the
# environment (`make test SANITIZE=1`, a PREFIX): each install below says what it sets.
unset MAKEFLAGS MFLAGS MAKELEVEL SANITIZE DESTDIR PREFIX prefix exec_prefix bindir sbindir \
    libdir includedir datarootdir datadir docdir mandir man1dir man8dir pkgconfigdir \
    sysconfdir localstatedir runstatedir systemdunitdir sysusersdir tmpfilesdir INSTALL
# newsd has its default config's folder (sysconfdir, from PREFIX) built in, so an
# install with another PREFIX builds again: the installs run in a copy of the sources,
# never touching the tree's bin/ and build/ that the other suites run.  What is
# installed is the release build, also when `make test SANITIZE=1` runs this suite.
SRC=$T/src
mkdir -p "$SRC"
cp -a "$ROOT/Makefile" "$ROOT/include" "$ROOT/daemon" "$ROOT/client" "$SRC/"
cd "$SRC" || exit 1

has() { command -v "$1" >/dev/null; }
check "systemd-analyze is installed (make deps installs systemd)" has systemd-analyze
check "pkg-config is installed (make deps installs it)" has pkg-config

# inst DESTDIR LOG ARGS...: make install into DESTDIR; RC is its exit status.
inst() {
    d=$1; log=$2; shift 2
    make --no-print-directory -j2 install DESTDIR="$d" "$@" >"$log" 2>&1
    RC=$?
    [ "$RC" -eq 0 ] || tail -n 20 "$log" >&2
}
uninst() {
    d=$1; log=$2; shift 2
    make --no-print-directory uninstall DESTDIR="$d" "$@" >"$log" 2>&1
    RC=$?
    [ "$RC" -eq 0 ] || tail -n 20 "$log" >&2
}
is_rc() { [ "$RC" -eq "$1" ]; }
# files DIR: every file and symlink below DIR, relative, sorted.
files() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort); }
# same_list NAME GOT WANT: the two lists (files) are equal, else the difference is shown.
same_list() {
    if cmp -s "$2" "$3"; then return 0; fi
    echo "    $1:" >&2; diff "$3" "$2" | sed 's/^/    /' >&2
    return 1
}
mode_is() { [ "$(stat -c %a "$1" 2>/dev/null)" = "$2" ]; }
# LimitNOFILE as the header has it: the most connections plus newsd's own files.
NOFILE=$(awk '/^#define NEWSD_MAX_CONNECTIONS_LIMIT /{c=$3} /^#define NEWSD_RESERVED_FDS /{r=$3}
              END{print c + r}' "$ROOT/include/newsd_limits.h")
EXAMPLE=$SRC/daemon/server/newsd.conf.example

# expected PREFIX SYSCONFDIR: the files install makes, relative to DESTDIR, with their
# modes ("MODE PATH"; a symlink is "link").  The config and the example are there when
# the tree has the example.
expected() {
    p=${1#/}; e=${2#/}
    {
        echo "755 $p/bin/newsq"; echo "755 $p/bin/newsindex"; echo "755 $p/sbin/newsd"
        echo "644 $p/share/man/man1/newsq.1"; echo "644 $p/share/man/man8/newsd.8"
        echo "644 $p/share/man/man8/newsindex.8"; echo "644 $p/include/newsidx.h"
        echo "644 $p/lib/libnewsidx.so.0"; echo "link $p/lib/libnewsidx.so"
        echo "644 $p/lib/pkgconfig/newsidx.pc"
        echo "644 $p/lib/systemd/system/newsd.service"
        echo "644 $p/lib/systemd/system/newsd-reindex.service"
        echo "644 $p/lib/systemd/system/newsd-reindex.timer"
        echo "644 $p/lib/sysusers.d/newsd.conf"; echo "644 $p/lib/tmpfiles.d/newsd.conf"
        if [ -f "$EXAMPLE" ]; then
            echo "644 $e/newsd.conf"; echo "644 $p/share/doc/newsd/newsd.conf.example"
        fi
    } | LC_ALL=C sort -k2
}
# modes_ok DESTDIR LIST: each file of LIST has its mode (a symlink is one).
modes_ok() {
    bad=""
    while read -r mode path; do
        if [ "$mode" = link ]; then [ -L "$1/$path" ] || bad="$bad $path"
        else [ -f "$1/$path" ] && [ ! -L "$1/$path" ] && mode_is "$1/$path" "$mode" || bad="$bad $path"; fi
    done <"$2"
    [ -z "$bad" ] && return 0
    echo "    wrong or missing:$bad" >&2
    return 1
}

# ==== PREFIX=/usr ====
D=$T/d1
inst "$D" "$T/install1.log" PREFIX=/usr
check "make install PREFIX=/usr DESTDIR=...: exit 0" is_rc 0
VERSION=$("$D/usr/sbin/newsd" --version | sed -n 's/^newsd \([0-9.]*\) .*/\1/p')
expected /usr /usr/etc >"$T/want1"
awk '{ print $2 }' "$T/want1" >"$T/want1.files"
files "$D" >"$T/got1.files"
check "PREFIX=/usr: exactly the expected files" same_list "installed files" "$T/got1.files" "$T/want1.files"
check "PREFIX=/usr: every file with its mode" modes_ok "$D" "$T/want1"
check "libnewsidx.so links to the soname's file" [ "$(readlink "$D/usr/lib/libnewsidx.so")" = libnewsidx.so.0 ]
for p in usr/bin/newsq usr/bin/newsindex usr/sbin/newsd; do
    check "$p is the program make built" cmp -s "$D/$p" "$SRC/bin/$(basename "$p")"
done
check "the man pages are the tree's" cmp -s "$D/usr/share/man/man8/newsd.8" "$ROOT/daemon/server/newsd.8"
check "the installed newsd is the hardened build (BIND_NOW)" sh -c "readelf -d '$D/usr/sbin/newsd' | grep -q BIND_NOW"
check "the installed newsd is position-independent" sh -c "readelf -h '$D/usr/sbin/newsd' | grep -q 'DYN'"
check "no @placeholder@ left in the made files" sh -c \
    "! grep -l '@[a-z_A-Z]*@' '$D/usr/lib/pkgconfig/newsidx.pc' '$D'/usr/lib/systemd/system/*"
U=$D/usr/lib/systemd/system
check "newsd.service starts /usr/sbin/newsd with the config, the index and the indexer" \
    grep -qx "ExecStart=/usr/sbin/newsd --config /usr/etc/newsd.conf --index %S/newsd/index --indexer /usr/bin/newsindex" "$U/newsd.service"
check "newsd-reindex.service runs /usr/bin/newsq" grep -q "^ExecStart=/usr/bin/newsq " "$U/newsd-reindex.service"
check "LimitNOFILE is the header's NEWSD_MAX_CONNECTIONS_LIMIT + NEWSD_RESERVED_FDS ($NOFILE)" \
    grep -qx "LimitNOFILE=$NOFILE" "$U/newsd.service"
check "newsidx.pc: the prefix" grep -qx "prefix=/usr" "$D/usr/lib/pkgconfig/newsidx.pc"

# ---- the shared library ----
LIB=$D/usr/lib/libnewsidx.so.0
check "the library's soname is libnewsidx.so.0" sh -c \
    "readelf -d '$LIB' | grep -q 'Library soname: \[libnewsidx.so.0\]'"
check "the library names Xapian as its dependency" sh -c "readelf -d '$LIB' | grep -q 'NEEDED.*libxapian'"
nm -D --defined-only "$LIB" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' | sort -u >"$T/exported"
nm -D --defined-only "$LIB" | awk '$2 != "T" && $2 != "A" { print $3 }' >"$T/exported.other"
check "the library exports functions" [ "$(wc -l <"$T/exported")" -gt 20 ]
check "the library exports nothing but functions (no data, no C++)" [ ! -s "$T/exported.other" ]
not_api=""
for s in $(cat "$T/exported"); do
    case $s in newsidx_*) grep -q "\b$s(" "$D/usr/include/newsidx.h" || not_api="$not_api $s" ;;
    *) not_api="$not_api $s" ;; esac
done
check "every exported symbol is a function of newsidx.h:${not_api:- ok}" [ -z "$not_api" ]
for prog in usr/sbin/newsd usr/bin/newsindex usr/bin/newsq; do
    check "$prog does not need the shared library" sh -c "! readelf -d '$D/$prog' | grep -q libnewsidx"
done

# ---- the installed programs against a fresh index ----
STATE=$T/state      # what %S (/var/lib) is to the service
RUN=$T/run          # what %t (/run) is
mkdir -p "$STATE/newsd" "$RUN/newsd"
chmod 700 "$RUN/newsd"      # RuntimeDirectoryMode=0700
IDX=$STATE/newsd/index
"$D/usr/bin/newsindex" --index "$IDX" "$ROOT/corpus/seed" "$ROOT/corpus/bbc/tech" >"$T/ix.out" 2>&1
# The seed article's id (its path below the folder given) and the one hit of the phrase.
SEED=seed/duvar-2021-03-24-turkey-s400-done-deal.txt
check "the installed newsindex builds an index from corpus/" grep -q '^newsindex: done .* errors=0 ' "$T/ix.out"

# unit_cmd UNIT: its ExecStart with %S and %t and the install paths mapped into the scratch
# folders (unit files have no quoting here: one word per argument).
unit_cmd() {
    sed -n 's/^ExecStart=//p' "$U/$1" | sed "s|%S|$STATE|g; s|%t|$RUN|g; s| /usr/| $D/usr/|g; s|^/usr/|$D/usr/|"
}
cmd=$(unit_cmd newsd.service)
check "newsd.service: ExecStart read" [ -n "$cmd" ]
ND=${cmd%% *}
# Until the tree ships an example config, nothing is at --config's path to read; once it
# does, the installed config and the unit's command line must pass newsd's own check.
if [ -f "$D/usr/etc/newsd.conf" ]; then
    # shellcheck disable=SC2086
    "$ND" ${cmd#* } --check-config >"$T/check-config.out" 2>&1; RC=$?
    check "newsd.service's command line with the installed config passes --check-config" is_rc 0
else
    cmd=$(printf '%s\n' "$cmd" | sed 's| --config [^ ]*||')
fi
env_line=$(sed -n 's/^Environment=XDG_RUNTIME_DIR=//p' "$U/newsd.service" | sed "s|%t|$RUN|")
check "newsd.service: XDG_RUNTIME_DIR is the runtime folder" [ "$env_line" = "$RUN" ]
# The socket newsd-reindex.service talks to.
reindex_cmd=$(unit_cmd newsd-reindex.service)
SOCK=$(printf '%s\n' "$reindex_cmd" | sed -n 's/.*--addr unix:\([^ ]*\).*/\1/p')
check "newsd-reindex.service names the socket in the runtime folder" [ "$SOCK" = "$RUN/newsd/newsd.sock" ]
# The unit's own listeners are the defaults: 127.0.0.1:7878 and the socket in
# $XDG_RUNTIME_DIR.  A fixed port may be taken on a test machine, so the test names a
# free port, and the socket (newsq's default below checks it is the default one).
export XDG_RUNTIME_DIR="$RUN"
# shellcheck disable=SC2086
start unit ${cmd#* } --listen 127.0.0.1:0 --listen "unix:$SOCK"
UNITPID=$PID
NQ=$D/usr/bin/newsq
"$NQ" -a "$TCP" "Istanbul Convention" >"$T/q.out" 2>&1
check "the installed newsq gets an answer from the installed newsd" \
    [ "$(sed -n 2p "$T/q.out" | awk '{ print $NF }')" = "$SEED" ]
env -u NEWSQ_ADDR "$NQ" stats >"$T/stats.out" 2>&1
check "newsq's default socket with XDG_RUNTIME_DIR=%t is the unit's socket" grep -q '^documents ' "$T/stats.out"
unset XDG_RUNTIME_DIR
# shellcheck disable=SC2086
$reindex_cmd >"$T/reindex.out" 2>&1; RC=$?
check "newsd-reindex.service's command rebuilds through the installed newsindex: exit 0" is_rc 0
check "newsd-reindex.service's command: the rebuild's summary" grep -q '^reindexed [0-9]* documents' "$T/reindex.out"
"$NQ" -a "$TCP" --count "Istanbul Convention" >"$T/count.out" 2>&1
check "the rebuilt index answers" [ "$(cat "$T/count.out")" = 1 ]
stop "$UNITPID"
check "newsd of the unit stops on SIGTERM: exit 0" [ "$RC" -eq 0 ]

# ---- a C program through pkg-config ----
cat >"$T/search.c" <<'EOF'
/* Opens the index named by argv[1] through libnewsidx, searches argv[2] and prints the
 * id of each hit, one a line. */
#include <newsidx.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    newsidx_reader_t *r = NULL;
    newsidx_results_t *res = NULL;
    newsidx_search_opts_t opts;
    if (argc != 3)
        return 2;
    newsidx_status_t st = newsidx_reader_open(argv[1], &r);
    if (st != NEWSIDX_OK) {
        fprintf(stderr, "open: %s\n", newsidx_status_name(st));
        return 1;
    }
    newsidx_search_opts_init(&opts);
    st = newsidx_search(r, argv[2], &opts, &res);
    if (st != NEWSIDX_OK) {
        fprintf(stderr, "search: %s: %s\n", newsidx_status_name(st), newsidx_reader_error(r));
        newsidx_reader_close(r);
        return 1;
    }
    for (size_t i = 0; i < newsidx_results_count(res); i++)
        printf("%s\n", newsidx_results_hit(res, i)->id);
    newsidx_results_destroy(res);
    newsidx_reader_close(r);
    return 0;
}
EOF
PC="env PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D pkg-config"
# (pkgconf ends its line with a space)
flags=$($PC --cflags --libs newsidx 2>"$T/pc.err" | sed 's/ *$//')
check "pkg-config --cflags --libs newsidx: the DESTDIR's include and lib folders" \
    [ "$flags" = "-I$D/usr/include -L$D/usr/lib -lnewsidx" ]
check "pkg-config --modversion newsidx is newsd's version ($VERSION)" [ "$($PC --modversion newsidx)" = "$VERSION" ]
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$T/search" "$T/search.c" $flags >"$T/cc.out" 2>&1
check "a C program builds with pkg-config's flags alone" [ -x "$T/search" ]
[ -s "$T/cc.out" ] && sed 's/^/    | /' "$T/cc.out" >&2
check "the program links the shared library" sh -c "readelf -d '$T/search' | grep -q 'NEEDED.*libnewsidx.so.0'"
LD_LIBRARY_PATH=$D/usr/lib "$T/search" "$IDX" "Istanbul Convention" >"$T/search.out" 2>&1; RC=$?
check "the program runs: exit 0" is_rc 0
check "the program finds the seed article through the C API" \
    [ "$(head -n 1 "$T/search.out")" = "$SEED" ]
LD_LIBRARY_PATH=$D/usr/lib "$T/search" "$T/no-such-index" "x" >"$T/search.out" 2>&1; RC=$?
check "the program reports a missing index: exit 1" is_rc 1

# ---- systemd-analyze ----
# The units checked as installed, but with the install paths moved into DESTDIR so that
# the programs they start exist, and the man pages of Documentation= found there.
V=$T/verify
mkdir -p "$V"
for u in newsd.service newsd-reindex.service newsd-reindex.timer; do
    sed "s|=/usr/|=$D/usr/|g; s| /usr/| $D/usr/|g" "$U/$u" >"$V/$u"
done
# verify DIR UNITS...: systemd-analyze verify exits 0 and prints nothing at all.
verify() {
    dir=$1; shift
    (cd "$dir" && MANPATH=$D/usr/share/man systemd-analyze verify "$@") >"$T/verify.out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && [ ! -s "$T/verify.out" ] && return 0
    sed 's/^/    | /' "$T/verify.out" >&2
    return 1
}
check "systemd-analyze verify: the units, without a word" \
    verify "$V" newsd.service newsd-reindex.service newsd-reindex.timer
fails_verify() { ! verify "$@" 2>/dev/null; }
# The same check must catch a bad unit: an unknown key, and a program that is not there.
mkdir -p "$T/bad1" "$T/bad2"
sed 's/^UMask=/Umask=/' "$V/newsd.service" >"$T/bad1/newsd.service"
check "systemd-analyze verify catches an unknown key" fails_verify "$T/bad1" newsd.service
sed "s|^ExecStart=$D/usr/sbin/newsd|ExecStart=$D/usr/sbin/nonesuch|" "$V/newsd.service" >"$T/bad2/newsd.service"
check "systemd-analyze verify catches a missing program" fails_verify "$T/bad2" newsd.service
# systemd's own rating of the sandbox, 0 (locked down) to 10: the daemon at most 2.0, the
# client of the rebuild at most 1.0.
check "systemd-analyze security: newsd.service's exposure at most 2.0" \
    sh -c "cd '$V' && systemd-analyze security --offline=true --threshold=20 newsd.service >'$T/sec.out' 2>&1"
check "systemd-analyze security: newsd-reindex.service's exposure at most 1.0" \
    sh -c "cd '$V' && systemd-analyze security --offline=true --threshold=10 newsd-reindex.service >'$T/sec.out' 2>&1"

# ---- the user and the state folder, made in a scratch root ----
# What `make install` runs when it installs to /: here with --root, which both tools
# take, so that the snippets are really applied.
R=$T/root
mkdir -p "$R/etc"
systemd-sysusers --root="$R" "$D/usr/lib/sysusers.d/newsd.conf" >"$T/sysusers.out" 2>&1; RC=$?
check "systemd-sysusers takes sysusers.d/newsd.conf: exit 0" is_rc 0
check "the user newsd: home /var/lib/newsd, no login shell" \
    grep -q '^newsd:x:[0-9]*:[0-9]*:[^:]*:/var/lib/newsd:/usr/sbin/nologin$' "$R/etc/passwd"
check "the group newsd" grep -q '^newsd:x:[0-9]*:$' "$R/etc/group"
systemd-tmpfiles --root="$R" --create "$D/usr/lib/tmpfiles.d/newsd.conf" >"$T/tmpfiles.out" 2>&1; RC=$?
check "systemd-tmpfiles takes tmpfiles.d/newsd.conf: exit 0" is_rc 0
uid=$(sed -n 's/^newsd:x:\([0-9]*\):.*/\1/p' "$R/etc/passwd")
check "/var/lib/newsd: mode 0750, the newsd user's" \
    [ "$(stat -c '%a %u' "$R/var/lib/newsd" 2>/dev/null)" = "750 $uid" ]

# ---- uninstall ----
uninst "$D" "$T/uninstall1.log" PREFIX=/usr
check "make uninstall PREFIX=/usr: exit 0" is_rc 0
files "$D" >"$T/left1"
check "make uninstall PREFIX=/usr leaves no file" same_list "left behind" "$T/left1" /dev/null

# ==== the default prefix, and the operator's config ====
# A scratch example config stands for daemon/server/newsd.conf.example.
D=$T/d2
printf '# newsd.conf: the shipped example (scratch)\n' >"$T/example.conf"
inst "$D" "$T/install2.log" CONF_EXAMPLE="$T/example.conf"
check "make install (default prefix): exit 0" is_rc 0
EXAMPLE=$T/example.conf expected /usr/local /usr/local/etc >"$T/want2"
awk '{ print $2 }' "$T/want2" >"$T/want2.files"
files "$D" >"$T/got2.files"
check "default prefix: exactly the expected files under usr/local" same_list "installed files" "$T/got2.files" "$T/want2.files"
check "default prefix: every file with its mode" modes_ok "$D" "$T/want2"
check "default prefix: the config is the example" cmp -s "$D/usr/local/etc/newsd.conf" "$T/example.conf"
check "default prefix: newsd.service starts /usr/local/sbin/newsd with /usr/local/etc/newsd.conf" \
    grep -q "^ExecStart=/usr/local/sbin/newsd --config /usr/local/etc/newsd.conf " \
    "$D/usr/local/lib/systemd/system/newsd.service"
check "default prefix: newsidx.pc's prefix" grep -qx "prefix=/usr/local" "$D/usr/local/lib/pkgconfig/newsidx.pc"
# The operator edits the config; a new install keeps it, uninstall too.
printf 'workers = 2\n' >>"$D/usr/local/etc/newsd.conf"
cp "$D/usr/local/etc/newsd.conf" "$T/edited.conf"
inst "$D" "$T/install3.log" CONF_EXAMPLE="$T/example.conf"
check "install over an edited config: exit 0" is_rc 0
check "install over an edited config: the config kept" cmp -s "$D/usr/local/etc/newsd.conf" "$T/edited.conf"
check "install over an edited config: says it kept it" grep -q "newsd.conf exists: kept as it is" "$T/install3.log"
uninst "$D" "$T/uninstall2.log"
check "make uninstall (default prefix): exit 0" is_rc 0
check "uninstall: the edited config kept" cmp -s "$D/usr/local/etc/newsd.conf" "$T/edited.conf"
check "uninstall: says it kept the config" grep -q "newsd.conf differs from the example installed: kept" "$T/uninstall2.log"
files "$D" >"$T/left2"
echo "usr/local/etc/newsd.conf" >"$T/want-left2"
check "uninstall leaves only the edited config" same_list "left behind" "$T/left2" "$T/want-left2"
# A config as shipped is removed with the rest.
rm -f "$D/usr/local/etc/newsd.conf"
inst "$D" "$T/install4.log" CONF_EXAMPLE="$T/example.conf"
uninst "$D" "$T/uninstall3.log"
files "$D" >"$T/left3"
check "uninstall removes a config still as shipped: nothing left" same_list "left behind" "$T/left3" /dev/null

finish
