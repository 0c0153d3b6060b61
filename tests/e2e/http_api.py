"""http_api.py SECTION: the checks of tests/e2e/test_http.sh against a running newsd.

The shell script starts the daemons and passes their addresses in the environment:
LINE (the line protocol's HOST:PORT), HTTP (its --http HOST:PORT), TOKEN (the write
token, when the daemon has one).  Each check prints "FAILED: name" when it fails; the
last line is "N passed, M failed".  Python's standard library only.
"""
import http.client
import json
import os
import socket
import sys
import time
import urllib.parse

from pycheck import check, finish, hostport



def line(request):
    """One request line over the line protocol; the reply's first line (JSON)."""
    with socket.create_connection(hostport("LINE"), timeout=30) as s:
        s.sendall(request.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data.decode())


def call(method, path, body=None, headers=None, conn=None):
    """(status, headers dict, body bytes) of one HTTP request."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(*hostport("HTTP"), timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    if own:
        conn.close()
    return r.status, hdrs, data


def jget(path, **kw):
    status, hdrs, data = call("GET", path, **kw)
    return status, hdrs, json.loads(data.decode())


def without_took(obj):
    if isinstance(obj, dict):
        return {k: without_took(v) for k, v in obj.items() if k != "took_us"}
    if isinstance(obj, list):
        return [without_took(v) for v in obj]
    return obj


def raw(data, read_until_close=True):
    """Sends bytes on a fresh connection; returns what comes back until close."""
    with socket.create_connection(hostport("HTTP"), timeout=30) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            if not read_until_close:
                break
    return out


SEED = os.environ.get("SEED", "")


def reads():
    q = urllib.parse.quote_plus("Istanbul Convention")
    status, hdrs, got = jget("/search?q=%s&limit=3&facets=source,month&snippet=1" % q)
    check("search: 200", status == 200, status)
    check("search: JSON", hdrs.get("content-type") == "application/json", hdrs)
    check("search: the seed article first", got.get("hits", [{}])[0].get("id") == SEED, got)
    check("search: highlighted", "<b>Istanbul</b>" in got["hits"][0].get("snippet", ""))
    want = line("SEARCH format=json limit=3 facets=source,month snippet=1 -- Istanbul Convention")
    check("search: the line protocol's reply, less took_us", without_took(got) == without_took(want),
          (got, want))
    status, _, got = jget("/count?q=%s&since=2021-01-01" % q)
    want = line("COUNT format=json since=2021-01-01 -- Istanbul Convention")
    check("count: as COUNT", status == 200 and without_took(got) == without_took(want), (got, want))
    status, _, got = jget("/doc/" + urllib.parse.quote(SEED, safe=""))
    want = line("GET format=json " + SEED)
    check("doc: as GET, the id URL-encoded", status == 200 and got == want, got)
    status, _, got = jget("/similar/%s?limit=3&snippet=0" % urllib.parse.quote(SEED, safe=""))
    want = line("SIMILAR format=json limit=3 snippet=0 " + SEED)
    # (the index holds the seed article alone: nothing is like it, and no word of it is
    # held by another article, so the terms are empty too)
    check("similar: as SIMILAR, the id URL-encoded", status == 200 and
          without_took(got) == without_took(want) and got.get("terms") == [], (got, want))
    status, _, got = jget("/similar/no-such-article")
    check("similar: an unknown id is 404 not_found", status == 404 and
          got.get("code") == "not_found", got)
    # near-duplicates: /dups/ID is DUPS; collapse passes through /search and /count
    status, _, got = jget("/dups/" + urllib.parse.quote(SEED, safe=""))
    want = line("DUPS format=json " + SEED)
    check("dups: as DUPS, the id URL-encoded", status == 200 and
          without_took(got) == without_took(want), (got, want))
    check("dups: the seed alone, its own cluster, distance 0", got.get("cluster") == SEED and
          [(m.get("id"), m.get("distance")) for m in got.get("members", [])] == [(SEED, 0)], got)
    status, _, got = jget("/dups/no-such-article")
    check("dups: an unknown id is 404 not_found", status == 404 and
          got.get("code") == "not_found" and got.get("message") == "no document with id no-such-article", got)
    status, _, got = jget("/dups/no%zzid")
    check("dups: bad percent-encoding is 400", status == 400 and got.get("code") == "bad_request", got)
    status, _, got = jget("/dups/" + urllib.parse.quote(SEED, safe="") + "?limit=3")
    check("dups: an option it does not take is 400", status == 400 and
          got.get("message") == "unknown option 'limit' for DUPS", got)
    status, _, got = jget("/search?q=%s&collapse=0&snippet=0" % q)
    want = line("SEARCH format=json collapse=0 snippet=0 -- Istanbul Convention")
    check("search collapse=0: as SEARCH", status == 200 and without_took(got) == without_took(want),
          (got, want))
    check("search: hits carry dups and cluster", all("dups" in h and "cluster" in h
                                                     for h in got.get("hits", [])) and got.get("hits"), got)
    status, _, got = jget("/count?q=%s&collapse=1" % q)
    want = line("COUNT format=json collapse=1 -- Istanbul Convention")
    check("count collapse=1: as COUNT", status == 200 and without_took(got) == without_took(want),
          (got, want))
    status, _, got = jget("/search?q=x&collapse=2")
    check("search collapse=2: 400 with SEARCH's message", status == 400 and
          got.get("message") == "collapse must be 0 or 1", got)
    status, _, got = jget("/stats")
    check("stats: 200 with STATS' names", status == 200 and "search_p50_us" in got, got)
    check("stats: clusters and duplicates", got.get("clusters") == 0 and got.get("duplicates") == 0, got)
    status, _, got = jget("/healthz")
    check("healthz: 200 while the index is open", status == 200 and got.get("status") == "ok", got)

    # every error: the line protocol's code and message, and the HTTP status of the code
    def err(name, path, code, want_status, message=None, method="GET", body=None):
        status, hdrs, data = call(method, path, body=body)
        try:
            got = json.loads(data.decode())
        except ValueError:
            got = {}
        check(name + ": HTTP %d" % want_status, status == want_status, (status, data[:200]))
        check(name + ": code " + code, got.get("status") == "error" and got.get("code") == code, got)
        if message is not None:
            check(name + ": message", got.get("message") == message, got)
        return got

    with socket.create_connection(hostport("LINE"), timeout=30) as s:
        s.sendall(b"SEARCH format=json foo=1 x\n")
        first = s.recv(65536).decode()
    want_msg = first.split(" ", 2)[2].strip()   # "ERR bad_request MESSAGE" (format= comes after)
    err("unknown option", "/search?q=x&foo=1", "bad_request", 400, want_msg)
    err("an option of another command", "/count?q=x&limit=3", "bad_request", 400,
        "unknown option 'limit' for COUNT")
    err("format", "/search?q=x&format=text", "bad_request", 400)
    err("no query", "/search?limit=3", "bad_request", 400)
    err("bad query", "/search?q=AND", "bad_query", 400)
    err("bad limit", "/search?q=x&limit=z", "bad_request", 400,
        line("SEARCH format=json limit=z x").get("message"))
    err("bad facet", "/search?q=x&facets=nope", "bad_request", 400)
    err("bad day", "/search?q=x&since=2021-13-01", "bad_request", 400)
    err("no such document", "/doc/nope%20here", "not_found", 404, "no document with id nope here")
    err("bad percent-encoding", "/search?q=%zz", "bad_request", 400)
    err("a space in an option value", "/search?q=x&source=a+b", "bad_request", 400)
    err("a name that is no option", "/search?q=x&Limit=3", "bad_request", 400)
    err("NUL in the query", "/search?q=a%00b", "bad_request", 400)
    err("no such endpoint", "/nope", "not_found", 404)
    err("method not allowed", "/search?q=x", "bad_request", 405, method="POST", body=b"")
    status, hdrs, _ = call("POST", "/search?q=x", body=b"")
    check("405 says what is allowed", hdrs.get("allow") == "GET, HEAD", hdrs)
    status, hdrs, data = call("HEAD", "/search?q=Istanbul")
    check("HEAD: 200, no body", status == 200 and data == b"", (status, data))
    status, hdrs, _ = call("GET", "/search?q=x")
    check("no CORS header without --http-cors", "access-control-allow-origin" not in hdrs, hdrs)
    status, _, _ = call("OPTIONS", "/search")
    check("no preflight without --http-cors", status == 405, status)
    # writes are refused on a listener without a token file
    err("POST /doc without a token file", "/doc", "forbidden", 403, method="POST",
        body=b'{"id":"x","title":"y"}')
    err("DELETE without a token file", "/doc/x", "forbidden", 403, method="DELETE")
    err("POST /reindex without a token file", "/reindex", "forbidden", 403, method="POST", body=b"")
    # still answering after all of it
    status, _, got = jget("/healthz")
    check("still answering", status == 200, status)


def limits():
    long_target = "/search?q=" + "a" * 8200
    out = raw(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % long_target).encode())
    check("target over NEWSD_HTTP_MAX_TARGET: 414", out.startswith(b"HTTP/1.1 414 "), out[:100])
    check("414: the JSON error", b'"code":"bad_request"' in out, out[-200:])
    hdrs = "".join("X-Filler-%d: %s\r\n" % (i, "b" * 100) for i in range(200))
    out = raw(("GET /healthz HTTP/1.1\r\nHost: x\r\n%s\r\n" % hdrs).encode())
    check("headers over NEWSD_HTTP_MAX_HEADERS: 400, closed", out.startswith(b"HTTP/1.1 400 ")
          and b"Connection: close" in out, out[:100])
    body = b"x" * (8 * 1024 * 1024 + 10)
    out = raw(b"POST /doc HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    check("body over NEWSD_HTTP_MAX_BODY: 413", out.startswith(b"HTTP/1.1 413 "), out[:100])
    # keep-alive: two requests on one connection, then the idle timeout closes it
    conn = http.client.HTTPConnection(*hostport("HTTP"), timeout=30)
    s1, _, _ = call("GET", "/healthz", conn=conn)
    s2, _, _ = call("GET", "/healthz", conn=conn)
    check("keep-alive: two requests on one connection", s1 == 200 and s2 == 200, (s1, s2))
    sock = conn.sock
    sock.settimeout(30)
    t0 = time.time()
    try:
        closed = sock.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        closed = False
    check("idle timeout: the server closes an idle connection", closed and time.time() - t0 < 30)
    conn.close()
    status, _, _ = call("GET", "/healthz")
    check("still answering after the limits", status == 200, status)


def cap():
    """The daemon runs with --max-connections 4: TCP gets 3 of them."""
    held = []
    for i in range(3):
        c = http.client.HTTPConnection(*hostport("HTTP"), timeout=30)
        s, _, _ = call("GET", "/healthz", conn=c)
        check("cap: connection %d served" % (i + 1), s == 200, s)
        held.append(c)
    status, hdrs, data = call("GET", "/healthz")
    got = json.loads(data.decode())
    check("cap: over it, 503 busy", status == 503 and got.get("code") == "busy", (status, got))
    check("cap: Retry-After", hdrs.get("retry-after") == "1", hdrs)
    with socket.create_connection(hostport("LINE"), timeout=30) as s:
        s.sendall(b"PING\n")
        reply = s.recv(1000)
    check("cap: shared with the line protocol", reply.startswith(b"ERR busy"), reply)
    held.pop().close()
    deadline = time.time() + 30
    status = 0
    while time.time() < deadline and status != 200:
        status, _, _ = call("GET", "/healthz")
    check("cap: a slot freed by a close is taken again", status == 200, status)
    for c in held:
        c.close()


def writes():
    token = os.environ["TOKEN"]
    auth = {"Authorization": "Bearer " + token}
    art = {"id": "http-1", "title": "Tulip harvest in Zeeland", "body": "The zorblat tulips",
           "date": "2024-04-01", "source": "httptest"}
    status, hdrs, data = call("POST", "/doc", body=json.dumps(art).encode())
    check("POST /doc without Authorization: 401", status == 401, status)
    check("401: WWW-Authenticate", hdrs.get("www-authenticate", "").startswith("Bearer"), hdrs)
    check("401: code unauthorized", json.loads(data.decode()).get("code") == "unauthorized", data)
    status, _, _ = call("POST", "/doc", body=json.dumps(art).encode(),
                        headers={"Authorization": "Bearer wrong-token-0123456789"})
    check("POST /doc with a wrong token: 401", status == 401, status)
    status, _, data = call("POST", "/doc", body=json.dumps(art).encode(), headers=auth)
    got = json.loads(data.decode())
    check("POST /doc: 200 once committed", status == 200 and got.get("id") == "http-1"
          and got.get("replaced") is False, (status, got))
    status, _, got = jget("/search?q=zorblat")
    check("the article is searchable", got.get("total") == 1, got)
    pretty = json.dumps(dict(art, id="http-2", title="<script>alert(1)</script> zorblat"), indent=2)
    status, _, data = call("POST", "/doc", body=pretty.encode(), headers=auth)
    check("POST /doc: one article over several lines", status == 200, (status, data))
    jl = "\n".join([json.dumps(dict(art, id="http-3")), "", json.dumps(dict(art, id="http-4")),
                    '{"title":"no id"}']).encode()
    status, _, data = call("POST", "/doc", body=jl, headers=auth)
    got = json.loads(data.decode())
    check("JSON Lines: every result in order", [r.get("id") for r in got.get("results", [])][:2]
          == ["http-3", "http-4"] and len(got["results"]) == 3, got)
    check("JSON Lines: one failed, 400", status == 400 and got.get("written") == 2
          and got.get("failed") == 1 and got["results"][2].get("code") == "bad_request", (status, got))
    status, _, data = call("POST", "/doc", body=b"", headers=auth)
    check("POST /doc without a body: 400", status == 400, (status, data))
    many = "\n".join(json.dumps(dict(art, id="m%d" % i)) for i in range(300)).encode()
    status, _, data = call("POST", "/doc", body=many, headers=auth)
    check("more than NEWSD_HTTP_MAX_DOCS articles: 400", status == 400, (status, data[:200]))
    status, _, got = jget("/doc/m1")
    check("... and none of them written", status == 404, got)
    status, _, data = call("DELETE", "/doc/http-3", headers=auth)
    check("DELETE /doc/ID: 200", status == 200 and json.loads(data.decode()).get("deleted") is True,
          (status, data))
    status, _, data = call("DELETE", "/doc/http-3", headers=auth)
    check("DELETE again: 404", status == 404, (status, data))
    status, _, data = call("DELETE", "/doc/http-4")
    check("DELETE without Authorization: 401", status == 401, status)
    status, _, data = call("POST", "/reindex?cancel=1", body=b"", headers=auth)
    got = json.loads(data.decode())
    check("POST /reindex?cancel=1 with nothing running: REINDEX's not_found, 404",
          status == 404 and got.get("code") == "not_found", (status, got))
    status, _, data = call("POST", "/reindex?bogus=1", body=b"", headers=auth)
    check("POST /reindex with an unknown option: 400", status == 400, (status, data))
    status, _, got = jget("/search?q=zorblat&sort=date")
    check("reads see the writes", got.get("total") == 3, got)


def cors():
    status, hdrs, _ = call("GET", "/healthz")
    check("--http-cors: Access-Control-Allow-Origin",
          hdrs.get("access-control-allow-origin") == os.environ["ORIGIN"], hdrs)
    status, hdrs, _ = call("OPTIONS", "/doc", headers={"Origin": os.environ["ORIGIN"],
                                                      "Access-Control-Request-Method": "POST"})
    check("--http-cors: preflight 204", status == 204, status)
    check("--http-cors: Authorization allowed",
          "Authorization" in hdrs.get("access-control-allow-headers", ""), hdrs)


def health_down():
    status, _, data = call("GET", "/healthz")
    got = json.loads(data.decode())
    check("healthz: 503 after a failed commit", status == 503 and got.get("code") == "internal",
          (status, got))


if __name__ == "__main__":
    {"reads": reads, "limits": limits, "cap": cap, "writes": writes, "cors": cors,
     "health_down": health_down}[sys.argv[1]]()
    finish()
