"""pycheck.py: what the Python halves of the e2e suites share: the check counters, the
"N passed, M failed" line that ends a suite, and a HOST:PORT from the environment."""
import os
import sys

_count = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    """Counts one check; a failed one prints "FAILED: name detail"."""
    if ok:
        _count["passed"] += 1
    else:
        _count["failed"] += 1
        print("FAILED: %s %s" % (name, detail))


def finish():
    """Prints "N passed, M failed" and exits 1 when a check failed."""
    print("%d passed, %d failed" % (_count["passed"], _count["failed"]))
    sys.exit(1 if _count["failed"] else 0)


def hostport(env):
    """The (host, port) of the HOST:PORT in environment variable env."""
    host, port = os.environ[env].rsplit(":", 1)
    return host, int(port)
