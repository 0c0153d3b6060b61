#!/bin/sh
# Runs every suite given on the command line (unit test binaries) and every
# tests/e2e/test_*.sh, adds up their "N passed, M failed" lines and prints the total as the
# last line.  Exit status: 0 only when nothing failed and every suite reported.
set -u
total_pass=0
total_fail=0
log_dir=${TMPDIR:-/tmp}/newsd-test-logs.$$
mkdir -p "$log_dir"
run_suite() {
    name=$1; shift
    log="$log_dir/$(basename "$name").log"
    "$@" >"$log" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        p=0; f=1
        echo "FAIL $name: exited $rc without a result line"
    else
        p=${line%% passed*}
        f=${line#*passed, }; f=${f%% failed*}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        if [ "$f" -eq 0 ]; then echo "ok   $name: $line"; else echo "FAIL $name: $line (exit $rc)"; fi
    fi
    if [ "$f" -ne 0 ]; then sed 's/^/    | /' "$log" | tail -n 40; fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}
for bin in "$@"; do
    run_suite "$bin" "$bin"
done
for script in tests/e2e/test_*.sh; do
    [ -f "$script" ] || continue
    run_suite "$script" sh "$script"
done
rm -rf "$log_dir"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
