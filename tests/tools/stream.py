#!/usr/bin/python3
"""A long-lived TCP connection that streams data, for restart tests.

server PORT [-t SECS] [--ready FILE]
    accepts one connection (IPv4) and sends 16 KB every 20 ms until the
    client closes or SECS pass; prints {"sent", "error"}.
client HOST PORT --progress FILE --stop FILE [-t SECS]
    connects and reads; every 0.1 s writes the byte count received so far
    to FILE (atomically); when the stop FILE appears (or SECS pass) closes
    cleanly; prints {"received", "lport", "error"}; exit 1 on an error
    (a reset, a stall of 10 s, an early EOF).
"""
import argparse
import json
import os
import select
import socket
import sys
import time


def server(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(4)
    if a.ready:
        open(a.ready, "w").close()
    ls.settimeout(a.t)
    sent, err = 0, None
    try:
        c, _ = ls.accept()
        c.setblocking(False)
        chunk = b"x" * 16384
        end = time.monotonic() + a.t
        while time.monotonic() < end:
            r, _, _ = select.select([c], [], [], 0.02)
            if r and not c.recv(4096):
                break  # the client closed
            try:
                sent += c.send(chunk)
            except BlockingIOError:
                pass
        c.close()
    except OSError as e:
        err = "%s: %s" % (type(e).__name__, e)
    print(json.dumps({"sent": sent, "error": err}), flush=True)


def client(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    got, err, lport = 0, None, None
    try:
        s.connect((a.host, a.port))
        lport = s.getsockname()[1]
        s.settimeout(0.1)
        end = time.monotonic() + a.t
        last_data = time.monotonic()
        last_write = 0
        while time.monotonic() < end and not os.path.exists(a.stop):
            try:
                b = s.recv(65536)
                if not b:
                    err = "EOF: the server closed early"
                    break
                got += len(b)
                last_data = time.monotonic()
            except socket.timeout:
                if time.monotonic() - last_data > 10:
                    err = "stalled: no data for 10 s"
                    break
            if time.monotonic() - last_write > 0.1:
                with open(a.progress + ".tmp", "w") as f:
                    f.write("%d %d\n" % (got, lport))
                os.rename(a.progress + ".tmp", a.progress)
                last_write = time.monotonic()
        s.close()
    except OSError as e:
        err = "%s: %s" % (type(e).__name__, e)
    print(json.dumps({"received": got, "lport": lport, "error": err}), flush=True)
    sys.exit(1 if err else 0)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="role", required=True)
    sv = sub.add_parser("server")
    sv.add_argument("port", type=int)
    sv.add_argument("-t", type=float, default=120)
    sv.add_argument("--ready")
    cl = sub.add_parser("client")
    cl.add_argument("host")
    cl.add_argument("port", type=int)
    cl.add_argument("--progress", required=True)
    cl.add_argument("--stop", required=True)
    cl.add_argument("-t", type=float, default=120)
    a = ap.parse_args()
    server(a) if a.role == "server" else client(a)


if __name__ == "__main__":
    main()
