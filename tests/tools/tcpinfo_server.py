#!/usr/bin/python3
"""Echo server for the cookie tests. Listens on one port on IPv4 and IPv6,
accepts N connections (0: until killed), and for each one: reads TCP_INFO
of the accepted socket right after accept, echoes every byte it receives
until the client shuts down its side, and prints one JSON line:
{"peer", "family", "bytes", "info": {options, ts, sack, wscale, ecn,
snd_wscale, rcv_wscale, snd_mss, advmss, ...}}.

usage: tcpinfo_server.py PORT [-n N] [-t TIMEOUT_S] [--ready FILE]
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

lock = threading.Lock()


def serve(conn, peer, fam, per_conn_timeout):
    info = tcp_info(conn)
    total = 0
    err = None
    conn.settimeout(per_conn_timeout)
    try:
        while True:
            b = conn.recv(65536)
            if not b:
                break
            total += len(b)
            conn.sendall(b)
        conn.shutdown(socket.SHUT_WR)
        # wait for the client's close so our FIN is acked, bounded
        conn.settimeout(2)
        try:
            conn.recv(1)
        except OSError:
            pass
    except OSError as e:
        err = str(e)
    end = tcp_info(conn)
    conn.close()
    rec = {"peer": peer[0], "pport": peer[1], "family": fam, "bytes": total,
           "info": summary(info), "total_retrans": end.get("total_retrans")}
    if err:
        rec["error"] = err
    with lock:
        print(json.dumps(rec), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("-n", type=int, default=0, help="connections (0: forever)")
    ap.add_argument("-t", type=float, default=60, help="overall timeout, s")
    ap.add_argument("--ready", help="touch FILE once listening")
    ap.add_argument("--backlog", type=int, default=1024)
    a = ap.parse_args()

    sel = selectors.DefaultSelector()
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, a.port))
        s.listen(a.backlog)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, 4 if fam == socket.AF_INET else 6)
    if a.ready:
        open(a.ready, "w").close()

    deadline = time.monotonic() + a.t
    accepted = 0
    threads = []
    while a.n == 0 or accepted < a.n:
        left = deadline - time.monotonic()
        if left <= 0:
            print(json.dumps({"error": "timeout", "accepted": accepted}), flush=True)
            break
        for key, _ in sel.select(min(left, 1.0)):
            try:
                conn, peer = key.fileobj.accept()
            except BlockingIOError:
                continue
            conn.setblocking(True)
            accepted += 1
            th = threading.Thread(target=serve, args=(conn, peer, key.data, max(left, 1)),
                                  daemon=True)
            th.start()
            threads.append(th)
    for th in threads:
        th.join(max(deadline - time.monotonic(), 0.1))


if __name__ == "__main__":
    main()
