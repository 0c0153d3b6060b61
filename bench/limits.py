#!/usr/bin/env python3
"""bench/limits.py: how the hard query limits hold against the costliest queries.

Runs bin/newsd (--workers 2) over an index of the shipped corpus and measures, at the
client:
  * the deadline's overshoot: random hostile queries (wildcards, ORed phrases of common
    words, NEAR, AND NOT, dates; all within the cost caps) and the costliest ones (25 of
    each) under a short --query-timeout, each reply's wall time minus the deadline, for
    those that timed out;
  * PING on a new connection while 2 connections (one per worker) send the costliest
    queries back to back: its latency, p50 and max;
  * memory: 4 connections sending the costliest queries for BENCH_LIMITS_SECONDS, the
    daemon's RSS before, at its peak and 5 s after;
  * SIGTERM while both workers run them: the time until the daemon has exited.
Prints a Markdown section (the run's date and commit first).  Run as `make bench-limits`
(which writes bench/RESULTS-limits.md).  Environment: BENCH_LIMITS_SECONDS (60),
BENCH_LIMITS_QUERIES (300).
"""
import os
import random
import signal
import socket
import statistics
import subprocess
import threading
import time

from newsdproc import die, start

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench", "work", "limits")
SECONDS = float(os.environ.get("BENCH_LIMITS_SECONDS", "60"))
QUERIES = int(os.environ.get("BENCH_LIMITS_QUERIES", "300"))
WORDS = ("the of to and in a said for on it is that by from at with as was be its has mln "
         "pct will year oil bank trade market price share company dlrs billion").split()
PHRASES = " OR ".join(['"the of the said mln"'] * 75)
WORST = ["COUNT " + PHRASES, "SEARCH sort=date limit=100 snippet=0 a* OR b*"]




def read_reply(s):
    """One whole reply: a line, or a SEARCH page up to its END line; None when closed."""
    buf = b""
    while True:
        d = s.recv(1 << 16)
        if not d:
            return None
        buf += d
        if buf.startswith(b"OK total="):
            if b"\nEND\n" in buf:
                return buf
        elif buf.endswith(b"\n"):
            return buf


def ask(addr, line, timeout=120):
    """Sends one request on a new connection; returns (seconds, first reply line)."""
    s = socket.create_connection(addr)
    s.settimeout(timeout)
    t0 = time.monotonic()
    s.sendall((line + "\n").encode())
    buf = read_reply(s) or b""
    took = time.monotonic() - t0
    s.close()
    return took, buf.split(b"\n", 1)[0].decode(errors="replace")


def hostile_query(rng):
    def atom(d):
        r = rng.random()
        if d > 3 or r < 0.3:
            return rng.choice(WORDS)
        if r < 0.4:
            return rng.choice("abcdefghimnoprstw") + "*"
        if r < 0.6:
            return '"' + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))) + '"'
        if r < 0.7:
            return atom(d + 1) + " NEAR/%d " % rng.randint(1, 20) + atom(d + 1)
        if r < 0.8:
            return "(" + " OR ".join(atom(d + 1) for _ in range(rng.randint(2, 8))) + ")"
        if r < 0.9:
            return atom(d + 1) + " AND NOT " + atom(d + 1)
        return "(" + " ".join(atom(d + 1) for _ in range(rng.randint(2, 5))) + ")"
    q = " OR ".join(atom(0) for _ in range(rng.randint(10, 80)))[:4000]
    cmd = rng.choice(["COUNT", "SEARCH", "SEARCH sort=date limit=100",
                      "SEARCH snippet=best limit=100", "COUNT since=1987-01-01"])
    return cmd + " " + q


class Hammer:
    """n connections sending the costliest queries back to back until stop()."""

    def __init__(self, addr, n):
        self.stopped = False
        self.replies = 0
        self.threads = [threading.Thread(target=self.run, args=(addr, i), daemon=True)
                        for i in range(n)]
        for t in self.threads:
            t.start()

    def run(self, addr, i):
        try:
            s = socket.create_connection(addr)
            s.settimeout(120)
            k = i
            while not self.stopped:
                s.sendall((WORST[k % 2] + "\n").encode())
                if read_reply(s) is None:
                    return
                self.replies += 1
                k += 1
        except OSError:
            return

    def stop(self):
        self.stopped = True
        for t in self.threads:
            t.join(130)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    if not os.access(os.path.join(ROOT, "bin", "newsd"), os.X_OK):
        die("bin/newsd is missing: run make first")
    os.makedirs(WORK, exist_ok=True)
    index = os.path.join(WORK, "idx")
    if not os.path.isdir(index):
        subprocess.run([os.path.join(ROOT, "bin", "newsindex"), "--index", index,
                        os.path.join(ROOT, "corpus")], check=True, stdout=subprocess.DEVNULL)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    rng = random.Random(1)
    out = ["## Hard query limits", "",
           "Run: %s, commit %s, %d cores. Command: `make bench-limits` (bench/limits.py); "
           "newsd --workers 2 over the shipped corpus." % (
               time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit, os.cpu_count()), ""]

    # The deadline's overshoot at the client.
    out += ["| --query-timeout | queries | timed out | overshoot p50 / p99 / max (ms) | "
            "slowest reply (ms) |", "| --- | --- | --- | --- | --- |"]
    queries = [hostile_query(rng) for _ in range(QUERIES)] + WORST * 25
    for timeout_ms in (50, 200):
        p, addr = start(index, os.path.join(WORK, "newsd-%d.log" % timeout_ms), "--workers", "2",
                        "--query-timeout", str(timeout_ms))
        over, slowest, timed_out = [], 0.0, 0
        for q in queries:
            took, first = ask(addr, q)
            slowest = max(slowest, took)
            if first.startswith("ERR timeout"):
                timed_out += 1
                over.append(took * 1000 - timeout_ms)
        p.send_signal(signal.SIGTERM)
        p.wait(60)
        if over:
            out.append("| %d ms | %d | %d | %.1f / %.1f / %.1f | %.0f |" % (
                timeout_ms, len(queries), timed_out, pct(over, 50), pct(over, 99), max(over),
                slowest * 1000))
        else:
            out.append("| %d ms | %d | 0 | - | %.0f |" % (timeout_ms, len(queries), slowest * 1000))
    out.append("")

    # PING beside the costliest queries, memory, SIGTERM: at the default deadline.
    p, addr = start(index, os.path.join(WORK, "newsd-2000.log"), "--workers", "2",
                    "--query-timeout", "2000")
    pings = [ask(addr, "PING")[0] * 1000 for _ in range(20)]
    h = Hammer(addr, 2)
    time.sleep(1)
    busy = []
    for _ in range(40):
        busy.append(ask(addr, "PING")[0] * 1000)
        time.sleep(0.05)
    h.stop()
    out += ["| PING on a new connection | p50 (ms) | max (ms) |", "| --- | --- | --- |",
            "| idle daemon | %.2f | %.2f |" % (statistics.median(pings), max(pings)),
            "| both workers running the costliest queries (%d replies) | %.1f | %.1f |" % (
                h.replies, statistics.median(busy), max(busy)), ""]

    rss0 = peak = rss_kb(p.pid)
    h = Hammer(addr, 4)
    end = time.time() + SECONDS
    while time.time() < end:
        peak = max(peak, rss_kb(p.pid))
        time.sleep(0.2)
    h.stop()
    time.sleep(5)
    rss1 = rss_kb(p.pid)
    out += ["| RSS of newsd (MiB) | before | peak | 5 s after |", "| --- | --- | --- | --- |",
            "| 4 connections of the costliest queries for %.0f s (%d replies) | %.1f | %.1f | %.1f |" % (
                SECONDS, h.replies, rss0 / 1024.0, peak / 1024.0, rss1 / 1024.0), ""]

    h = Hammer(addr, 2)
    time.sleep(1)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.wait(60)
    took = time.monotonic() - t0
    h.stop()
    out += ["SIGTERM while both workers run the costliest queries: exited after %.0f ms "
            "(deadline 2000 ms), status %d." % (took * 1000, p.returncode), ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
