#!/usr/bin/env python3
"""bench/similar.py: the quality of SIMILAR (related stories) against a title search.

Indexes the shipped Reuters corpus (corpus/reuters21578) alone, runs bin/newsd on it and
takes the first BENCH_SIMILAR_ARTICLES (50) articles, by id number, that have topics.
For each, the top 5 of `SIMILAR ID` and, as the baseline, the top 5 of a SEARCH for the
article's title (its words lowercased and ORed, the article itself left out); a story
counts when it shares a topic with the article.  Prints a Markdown section (the run's
date and commit first): the share of stories that count, for both.  Run as
`make bench-similar` (which writes bench/RESULTS-similar.md).
"""
import json
import os
import re
import socket
import subprocess
import time

from newsdproc import die, start

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench", "work", "similar")
ARTICLES = int(os.environ.get("BENCH_SIMILAR_ARTICLES", "50"))
TOP = 5




class Conn:
    def __init__(self, addr):
        self.s = socket.create_connection(addr)
        self.f = self.s.makefile("rb")

    def ask(self, line):
        self.s.sendall(line.encode() + b"\n")
        return json.loads(self.f.readline())


def main():
    if not os.access(os.path.join(ROOT, "bin", "newsd"), os.X_OK):
        die("bin/newsd is missing: run make first")
    os.makedirs(WORK, exist_ok=True)
    index = os.path.join(WORK, "index")
    subprocess.run(["rm", "-rf", index], check=True)
    subprocess.run([os.path.join(ROOT, "bin", "newsindex"), "--index", index, "--jobs", "2",
                    os.path.join(ROOT, "corpus", "reuters21578")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p, addr = start(index, os.path.join(WORK, "newsd.log"), "--workers", "1")
    try:
        c = Conn(addr)
        topics = {}

        def topics_of(doc_id):
            if doc_id not in topics:
                r = c.ask("GET format=json " + doc_id)
                topics[doc_id] = set(r["doc"]["topics"]) if r["status"] == "ok" else set()
            return topics[doc_id]

        picked, n = [], 0
        while len(picked) < ARTICLES and n < 30000:
            n += 1
            r = c.ask("GET format=json reuters-%d" % n)
            if r["status"] == "ok" and r["doc"]["topics"] and r["doc"]["title"].strip():
                topics["reuters-%d" % n] = set(r["doc"]["topics"])
                picked.append(r["doc"])
        sim_good = sim_all = base_good = base_all = 0
        for d in picked:
            mine = set(d["topics"])
            r = c.ask("SIMILAR format=json snippet=0 limit=%d %s" % (TOP, d["id"]))
            for h in r["hits"]:
                sim_all += 1
                sim_good += bool(topics_of(h["id"]) & mine)
            words = re.findall(r"[a-z0-9]+", d["title"].lower())
            r = c.ask("SEARCH format=json snippet=0 limit=%d -- %s" % (TOP + 1, " OR ".join(words)))
            hits = [h for h in r.get("hits", []) if h["id"] != d["id"]][:TOP]
            for h in hits:
                base_all += 1
                base_good += bool(topics_of(h["id"]) & mine)
    finally:
        p.terminate()
        p.wait()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    pct = lambda g, a: 100.0 * g / a if a else 0.0
    out = ["# SIMILAR: related stories that share a topic", "",
           "Run: %s, commit %s. Command: `make bench-similar` (bench/similar.py)." % (
               time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit), "",
           "The first %d shipped Reuters articles (by id number) that have topics; for each, "
           "the top %d stories; a story counts when it shares a topic with the article." % (
               len(picked), TOP), "",
           "| method | stories | sharing a topic | share |",
           "| --- | ---: | ---: | ---: |",
           "| `SIMILAR ID` | %d | %d | %.1f%% |" % (sim_all, sim_good, pct(sim_good, sim_all)),
           "| baseline: `SEARCH` of the title's words ORed | %d | %d | %.1f%% |" % (
               base_all, base_good, pct(base_good, base_all)), ""]
    print("\n".join(out))


main()
