#!/usr/bin/python3
"""Real TCP connections from chosen source addresses, for the policy tests.

connect HOST PORT --src ADDR [ADDR...] [-n N] [-T SECS] [--hold SECS]
    N connections from each source (bound to it), one after the other, each
    with a connect timeout of SECS (under 1 s: a single SYN, as the kernel's
    first retransmission comes after 1 s); each sends a byte and reads the
    echo. With --hold the connections stay open that long before closing.
    Prints {"ok": n, "failed": n, "by_src": {ADDR: ok}, "ms": [...]}.
listen PORT BACKLOG SECS
    a listener that never accepts (its queue overflows), for SECS.
"""
import json
import socket
import sys
import time


def connect(args):
    host, port = args[0], int(args[1])
    srcs, n, tmo, hold = [], 1, 0.7, 0.0
    i = 2
    while i < len(args):
        if args[i] == "--src":
            i += 1
            while i < len(args) and not args[i].startswith("-"):
                srcs.append(args[i])
                i += 1
            continue
        if args[i] == "-n":
            n = int(args[i + 1])
        elif args[i] == "-T":
            tmo = float(args[i + 1])
        elif args[i] == "--hold":
            hold = float(args[i + 1])
        i += 2
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    ok, failed, by, ms, keep = 0, 0, {}, [], []
    for src in srcs:
        by[src] = 0
        for _ in range(n):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(tmo)
            t0 = time.monotonic()
            try:
                s.bind((src, 0))
                s.connect((host, port))
                s.sendall(b"x")
                s.settimeout(5)
                if s.recv(1) != b"x":
                    raise OSError("no echo")
                ok += 1
                by[src] += 1
                ms.append(round((time.monotonic() - t0) * 1000, 2))
                if hold:
                    keep.append(s)
                else:
                    s.close()
            except OSError:
                failed += 1
                s.close()
    if hold:
        time.sleep(hold)
    for s in keep:
        s.close()
    print(json.dumps({"ok": ok, "failed": failed, "by_src": by, "ms": ms}))


def listen(args):
    port, backlog, secs = int(args[0]), int(args[1]), float(args[2])
    socks = []
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.listen(backlog)
        socks.append(s)
    time.sleep(secs)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("connect", "listen"):
        sys.exit(__doc__)
    (connect if sys.argv[1] == "connect" else listen)(sys.argv[2:])
