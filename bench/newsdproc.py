"""bench/newsdproc.py: what the Python benches share: starting bin/newsd on an index on a
free loopback port and waiting for its ready line, and failing with the bench's name."""
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_SECONDS = 60


def die(msg):
    sys.stderr.write("%s: %s\n" % (os.path.relpath(sys.argv[0], ROOT), msg))
    sys.exit(1)


def start(index, log_path, *args):
    """bin/newsd on index with the extra args, its stderr in log_path; returns the process
    and its (host, port) once it says it is ready."""
    log = open(log_path, "w+")
    p = subprocess.Popen([os.path.join(ROOT, "bin", "newsd"), "--index", index, "--listen",
                          "127.0.0.1:0"] + list(args), stderr=log)
    deadline = time.time() + START_SECONDS
    while time.time() < deadline:
        log.seek(0)
        for line in log:
            if line.startswith("newsd: ready listen="):
                host, port = line.split()[2].split("=", 1)[1].rsplit(":", 1)
                return p, (host, int(port))
        if p.poll() is not None:
            break
        time.sleep(0.05)
    die("newsd did not start; see %s" % log_path)
