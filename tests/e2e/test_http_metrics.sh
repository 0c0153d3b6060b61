#!/bin/sh
# GET /metrics (newsd(8), "HTTP", "Metrics") parsed with the Prometheus client library's
# parser (tests/e2e/http_metrics.py, Debian's python3-prometheus-client, which make deps
# installs; without it this suite fails): the families and their types, the counters
# moving by the requests sent over both protocols (ok and errors), a write, the
# histogram's shape, the two workers taking a burst of connections in turn, and STATS'
# percentiles equal to the histogram's quantiles.
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
PY=/usr/bin/python3
if ! "$PY" -c 'import prometheus_client' 2>/dev/null; then
    echo "test_http_metrics: $PY cannot import prometheus_client: run make deps"
    echo "0 passed, 1 failed"; exit 1
fi
"$BIN/newsindex" --index "$T/idx" "$ROOT/corpus/seed" "$ROOT/tests/data/newsd" >"$T/out" 2>&1
check "index built" contains "$T/out" "docs=7"
TOKEN=Zq7-metrics.token_0123456789
printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"
start m --index "$T/idx" --listen 127.0.0.1:0 --http 127.0.0.1:0 --auth-token-file "$T/token" --workers 2 --no-config
HTTP=$(sed -n 's/^newsd: ready .* http=\([0-9.]*:[0-9]*\) .*/\1/p' "$T/m.log")
LINE=$TCP HTTP=$HTTP TOKEN=$TOKEN "$PY" "$ROOT/tests/e2e/http_metrics.py" >"$T/py.out" 2>&1
grep -v '^[0-9]* passed, [0-9]* failed$' "$T/py.out" >&2
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$T/py.out" | tail -n 1)
if [ -n "$line" ]; then
    PASSED=$((PASSED + ${line%% passed*})); f=${line#*passed, }; FAILED=$((FAILED + ${f%% failed*}))
else
    check "http_metrics.py finished" false
fi
stop "$PID"
check "exit 0 on SIGTERM" [ "$RC" -eq 0 ]
check "no sanitizer report" lacks "$T/m.log" "Sanitizer"
finish
