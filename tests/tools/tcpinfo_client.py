#!/usr/bin/python3
"""Client for tcpinfo_server.py. Makes N connections to HOST PORT one after
another (or -c at a time); on each: connect (timed), TCP_INFO of its own
socket, send BYTES of random data while reading the echo, half-close, read
to EOF, compare. Prints one JSON line per connection ({"ok", "connect_ms",
"bytes_back", "info": {...}}) unless -q, and always a last line
{"summary": {"n", "ok", "failed", "p50_ms", "p99_ms", "max_ms", "errors"}}.

usage: tcpinfo_client.py HOST PORT [-n N] [-b BYTES] [-c CONC] [-T CONNECT_TIMEOUT]
       [--interval S] [-t TOTAL_TIMEOUT] [-q]
"""
import argparse
import json
import os
import selectors
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpinfo import tcp_info, summary  # noqa: E402


def one(host, port, nbytes, ctimeout, iotimeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(ctimeout)
    rec = {"ok": False}
    t0 = time.monotonic()
    try:
        s.connect((host, port))
        rec["connect_ms"] = (time.monotonic() - t0) * 1000
        rec["info"] = summary(tcp_info(s))
        rec["lport"] = s.getsockname()[1]
        data = os.urandom(nbytes)
        back = bytearray()
        s.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        sent, wdone = 0, False
        deadline = time.monotonic() + iotimeout
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("echo timed out after %d/%d bytes back" % (len(back), nbytes))
            for _, ev in sel.select(0.5):
                if ev & selectors.EVENT_WRITE and not wdone:
                    if sent < nbytes:
                        sent += s.send(data[sent:sent + 65536])
                    if sent >= nbytes:
                        s.shutdown(socket.SHUT_WR)
                        wdone = True
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    b = s.recv(65536)
                    if not b:
                        raise EOFError
                    back += b
        # not reached
    except EOFError:
        rec["bytes_back"] = len(back)
        rec["ok"] = bytes(back) == data
        if not rec["ok"]:
            rec["error"] = "echo mismatch: %d of %d bytes back" % (len(back), nbytes)
        rec["total_retrans"] = tcp_info(s).get("total_retrans")
    except (OSError, TimeoutError) as e:
        rec.setdefault("connect_ms", None)
        rec["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()
    return rec


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("-n", type=int, default=1)
    ap.add_argument("-b", type=int, default=100 * 1024, help="bytes each way")
    ap.add_argument("-c", type=int, default=1, help="concurrent connections")
    ap.add_argument("-T", type=float, default=5, help="connect timeout, s")
    ap.add_argument("--io-timeout", type=float, default=10)
    ap.add_argument("--interval", type=float, default=0, help="pause between connects, s")
    ap.add_argument("-t", type=float, default=120, help="overall timeout, s")
    ap.add_argument("-q", action="store_true", help="summary line only")
    a = ap.parse_args()

    recs = []
    lock = threading.Lock()
    idx = iter(range(a.n))
    end = time.monotonic() + a.t

    def worker():
        while time.monotonic() < end:
            with lock:
                i = next(idx, None)
            if i is None:
                return
            r = one(a.host, a.port, a.b, a.T, a.io_timeout)
            with lock:
                recs.append(r)
                if not a.q:
                    print(json.dumps(r), flush=True)
            if a.interval:
                time.sleep(a.interval)

    ths = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, a.c))]
    for t in ths:
        t.start()
    for t in ths:
        t.join(max(end - time.monotonic(), 0.1))
    lat = [r["connect_ms"] for r in recs if r.get("ok") and r.get("connect_ms") is not None]
    errs = {}
    for r in recs:
        if not r.get("ok"):
            k = r.get("error", "?").split(":")[0]
            errs[k] = errs.get(k, 0) + 1
    ok = sum(1 for r in recs if r.get("ok"))
    out = {"n": a.n, "done": len(recs), "ok": ok, "failed": a.n - ok,
           "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat) if lat else None,
           "errors": errs}
    print(json.dumps({"summary": out}), flush=True)
    sys.exit(0 if ok == a.n else 1)


if __name__ == "__main__":
    main()
