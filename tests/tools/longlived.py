#!/usr/bin/python3
"""Established connections that must survive whatever the lab throws at the
server: opens N connections to an echo server (tcpinfo_server.py), round
robin over the given hosts, writes their tuples as JSON to TUPLES, then
every PERIOD seconds sends 64 bytes on each and reads them back, until the
file STOP exists or SECONDS pass. Last line: {"conns", "alive", "rounds",
"errors"}; exit status 0 when every connection lived to the end.

usage: longlived.py PORT HOST [HOST...] -n N --tuples FILE --stop FILE
       [-t SECONDS] [--period S]
"""
import argparse
import json
import os
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("hosts", nargs="+")
    ap.add_argument("-n", type=int, default=4)
    ap.add_argument("--tuples", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("-t", type=float, default=120)
    ap.add_argument("--period", type=float, default=0.2)
    a = ap.parse_args()

    conns, tuples, errors = [], [], []
    for i in range(a.n):
        host = a.hosts[i % len(a.hosts)]
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((host, a.port))
        conns.append(s)
        tuples.append({"family": 6 if fam == socket.AF_INET6 else 4,
                       "local": s.getsockname()[0], "lport": s.getsockname()[1],
                       "remote": host, "rport": a.port})
    with open(a.tuples + ".tmp", "w") as f:
        json.dump(tuples, f)
    os.rename(a.tuples + ".tmp", a.tuples)

    alive = [True] * len(conns)
    rounds = 0
    end = time.monotonic() + a.t
    while time.monotonic() < end and not os.path.exists(a.stop):
        rounds += 1
        for i, s in enumerate(conns):
            if not alive[i]:
                continue
            msg = os.urandom(64)
            try:
                s.sendall(msg)
                back = b""
                while len(back) < len(msg):
                    b = s.recv(len(msg) - len(back))
                    if not b:
                        raise EOFError("closed by the server")
                    back += b
                if back != msg:
                    raise ValueError("echo mismatch")
            except (OSError, EOFError, ValueError) as e:
                alive[i] = False
                errors.append("conn %d (%s port %d) round %d: %s: %s" % (
                    i, tuples[i]["local"], tuples[i]["lport"], rounds, type(e).__name__, e))
        time.sleep(a.period)
    for s in conns:
        s.close()
    print(json.dumps({"conns": len(conns), "alive": sum(alive), "rounds": rounds,
                      "errors": errors}), flush=True)
    sys.exit(0 if all(alive) else 1)


if __name__ == "__main__":
    main()
