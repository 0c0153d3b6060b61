#!/usr/bin/env python3
"""notify_listen.py: the systemd side of sd_notify for tests/e2e/test_signals.sh.

    notify_listen.py ADDRESS OUT

Binds an AF_UNIX datagram socket at ADDRESS (a path, or @NAME for the abstract
namespace), writes "bound" on a line of its own to OUT.ready once it listens, then
appends each datagram it receives to OUT, its lines as they came, followed by a line
"--".  It exits after a datagram holding STOPPING=1, or when killed.
"""
import os
import socket
import sys


def main():
    address, out = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + address[1:] if address.startswith("@") else address)
    with open(out + ".ready", "w") as f:
        f.write("bound\n")
    while True:
        data = sock.recv(4096).decode("utf-8", "replace")
        with open(out, "a") as f:
            f.write(data.rstrip("\n") + "\n--\n")
            f.flush()
            os.fsync(f.fileno())
        if "STOPPING=1" in data.split("\n"):
            return 0


if __name__ == "__main__":
    sys.exit(main())
