"""http_metrics.py: the checks of tests/e2e/test_http_metrics.sh.  GET /metrics is parsed
with the Prometheus client library's own parser (Debian's python3-prometheus-client),
before and after some traffic: the counters move by what was sent, the histogram is
well-formed, the two workers take a burst of connections in turn, and STATS' search
percentiles are the histogram's quantiles.  Environment:
LINE (line protocol HOST:PORT), HTTP (--http HOST:PORT), TOKEN.  Prints "FAILED: ..."
per failed check and "N passed, M failed" last.
"""
import http.client
import json
import os
import socket

from prometheus_client.parser import text_string_to_metric_families

from pycheck import check, finish, hostport



def get(path, method="GET", body=None, headers=None):
    c = http.client.HTTPConnection(*hostport("HTTP"), timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    ctype = r.getheader("Content-Type")
    c.close()
    return r.status, ctype, data


def line(request):
    with socket.create_connection(hostport("LINE"), timeout=30) as s:
        s.sendall(request.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode()


def scrape():
    """{(name, frozenset(labels)): value} and {family name: type} of one scrape."""
    status, ctype, data = get("/metrics")
    check("metrics: 200", status == 200, status)
    check("metrics: the exposition format's content type",
          (ctype or "").startswith("text/plain; version=0.0.4"), ctype)
    samples, types = {}, {}
    try:
        for fam in text_string_to_metric_families(data.decode()):
            types[fam.name] = fam.type
            for s in fam.samples:
                samples[(s.name, frozenset(s.labels.items()))] = s.value
    except Exception as e:  # the parser's refusal is the failure
        check("metrics: the parser accepts the output", False, repr(e))
    return samples, types


def val(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def quantile(samples, command, q):
    """Prometheus's histogram_quantile over the command's buckets, in microseconds."""
    buckets = sorted((float(dict(k[1])["le"]), v) for k, v in samples.items()
                     if k[0] == "newsd_request_duration_seconds_bucket"
                     and dict(k[1]).get("command") == command)
    total = buckets[-1][1]
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank and count > prev_count:
            if bound == float("inf"):
                return prev_bound * 1e6
            return (prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count)) * 1e6
        prev_bound, prev_count = bound, count
    return prev_bound * 1e6


def main():
    before, types = scrape()
    check("types: requests counter", types.get("newsd_requests") == "counter", types)
    check("types: a histogram", types.get("newsd_request_duration_seconds") == "histogram", types)
    for name in ("newsd_documents", "newsd_index_generation", "newsd_reindex_running",
                 "process_resident_memory_bytes", "process_open_fds"):
        check("types: %s gauge" % name, types.get(name) == "gauge", types.get(name))
    for name in ("newsd_writes", "newsd_doc_cache_hits", "newsd_doc_cache_misses",
                 "process_cpu_seconds"):
        check("types: %s counter" % name, types.get(name) == "counter", types.get(name))
    check("process: resident memory > 0", (val(before, "process_resident_memory_bytes") or 0) > 0)
    check("process: open fds > 0", (val(before, "process_open_fds") or 0) > 0)
    check("process: cpu seconds >= 0", (val(before, "process_cpu_seconds_total") or -1) >= 0)
    check("reindex not running", val(before, "newsd_reindex_running") == 0)

    for i in range(3):
        get("/search?q=Istanbul&limit=2")
    line("SEARCH Convention")
    get("/search?q=AND")
    line("SEARCH limit=x y")
    docs0 = val(before, "newsd_documents")
    status, _, data = get("/doc", "POST", json.dumps({"id": "m-1", "title": "metric tulips"}).encode(),
                          {"Authorization": "Bearer " + os.environ["TOKEN"]})
    check("a write over HTTP", status == 200, (status, data))
    status, _, data = get("/doc/m-1")   # reads the new revision: its reader has moved
    after, _ = scrape()

    def moved(name, delta, **labels):
        a, b = val(after, name, **labels) or 0, val(before, name, **labels) or 0
        check("%s%s moved by %s" % (name, labels, delta), a - b == delta, (b, a))

    moved("newsd_requests_total", 4, command="SEARCH", status="ok")
    moved("newsd_requests_total", 1, command="SEARCH", status="bad_query")
    moved("newsd_requests_total", 1, command="SEARCH", status="bad_request")
    moved("newsd_request_duration_seconds_count", 6, command="SEARCH")
    moved("newsd_requests_total", 1, command="ADD", status="ok")
    moved("newsd_writes_total", 1, result="ok")
    moved("newsd_request_duration_seconds_count", 1, command="ADD")
    check("documents: one more", val(after, "newsd_documents") == docs0 + 1,
          (docs0, val(after, "newsd_documents")))
    check("index generation moved", val(after, "newsd_index_generation") > val(before, "newsd_index_generation"))
    check("an HTTP connection is counted", (val(after, "newsd_connections", listener="http") or 0) >= 1)
    check("the duration sum grew", val(after, "newsd_request_duration_seconds_sum", command="SEARCH")
          > val(before, "newsd_request_duration_seconds_sum", command="SEARCH"))
    inf = val(after, "newsd_request_duration_seconds_bucket", command="SEARCH", le="+Inf")
    check("+Inf bucket = count", inf == val(after, "newsd_request_duration_seconds_count", command="SEARCH"))
    cum = [v for k, v in sorted(((float(dict(k[1])["le"]), v) for k, v in after.items()
                                 if k[0] == "newsd_request_duration_seconds_bucket"
                                 and dict(k[1]).get("command") == "SEARCH"))]
    check("buckets are cumulative", all(a <= b for a, b in zip(cum, cum[1:])), cum)
    check("16 bounds and +Inf", len(cum) == 17, len(cum))

    # A burst of connects lands in the shared socket's backlog at once: the workers take
    # them in turn, so no worker is left idle while another serves them all.
    workers = sorted(dict(k[1])["worker"] for k in after if k[0] == "newsd_http_accepts_total")
    check("an accepts counter per worker", len(workers) == 2, workers)
    socks = [socket.create_connection(hostport("HTTP"), timeout=30) for _ in range(12)]
    for s in socks:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    for s in socks:
        check("healthz on a burst connection", s.recv(65536).startswith(b"HTTP/1.1 200"))
    turns, _ = scrape()
    for s in socks:
        s.close()
    took = [(val(turns, "newsd_http_accepts_total", worker=w) or 0) -
            (val(after, "newsd_http_accepts_total", worker=w) or 0) for w in workers]
    check("13 connections accepted (12 and the scrape)", sum(took) == 13, took)
    check("each worker took at least 3 of them", all(t >= 3 for t in took), took)

    stats = json.loads(line("STATS format=json"))
    for pct in (50, 90, 99):
        want = quantile(after, "SEARCH", pct / 100)
        got = stats["search_p%d_us" % pct]
        check("STATS search_p%d_us is the histogram's quantile" % pct, abs(got - want) <= 1,
              (got, want))


main()
finish()
