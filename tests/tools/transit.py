#!/usr/bin/python3
"""Real TCP peers and raw SYNs for the tests of traffic synguard does not own.

serve PORT SECS
    an echo server on every address (IPv4 and IPv6) for SECS seconds.
connect HOST PORT N [TIMEOUT]
    N connections one after the other, each with a connect timeout of
    TIMEOUT (default 2 s); each sends a line and reads its echo. Prints the
    number that completed, e.g. "20".
hold HOST PORT SECS [AFTER]
    one connection held open SECS seconds (for ss), then one echo, then
    open AFTER seconds more; prints 1 if the echo came back, else 0.
synack IFACE DSTMAC SRC DST DPORT N
    N raw SYNs from SRC (any address, broadcast or multicast too) to
    DST:DPORT out of IFACE to DSTMAC; prints how many SYN-ACKs from
    DST:DPORT came back on IFACE within 2 s.
"""
import random
import socket
import sys
import threading
import time


def serve(port, secs):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(128)
    s.settimeout(0.2)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def echo(c):
    c.settimeout(10)
    try:
        while True:
            b = c.recv(4096)
            if not b:
                break
            c.sendall(b)
    except OSError:
        pass
    c.close()


def one(host, port, tmo, hold=0.0, after=0.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(tmo)
    try:
        s.connect((host, port))
        time.sleep(hold)
        s.sendall(b"ping\n")
        got = s.recv(16)
        time.sleep(after)
        return got == b"ping\n"
    except OSError:
        return False
    finally:
        s.close()


def synack(iface, dmac, src, dst, dport, n):
    from scapy.all import Ether, IP, TCP, sendp, conf  # noqa: E402
    conf.verb = 0
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    rx.bind((iface, 0))
    rx.settimeout(0.2)
    base = random.randint(20000, 60000 - n)
    for i in range(n):
        sendp(Ether(dst=dmac) / IP(src=src, dst=dst, ttl=64) /
              TCP(sport=base + i, dport=dport, flags="S",
                  seq=random.getrandbits(32), options=[("MSS", 1460)]),
              iface=iface)
    got, end = 0, time.monotonic() + 2
    while time.monotonic() < end:
        try:
            fr = rx.recv(65535)
        except socket.timeout:
            continue
        if len(fr) < 54 or fr[23] != 6 or socket.inet_ntoa(fr[26:30]) != dst:
            continue
        l4 = 14 + (fr[14] & 0xf) * 4
        sp = int.from_bytes(fr[l4:l4 + 2], "big")
        if sp == dport and fr[l4 + 13] & 0x12 == 0x12:
            got += 1
    return got


def main(a):
    if a[0] == "serve":
        serve(int(a[1]), float(a[2]))
    elif a[0] == "connect":
        tmo = float(a[4]) if len(a) > 4 else 2.0
        print(sum(one(a[1], int(a[2]), tmo) for _ in range(int(a[3]))))
    elif a[0] == "hold":
        after = float(a[4]) if len(a) > 4 else 0.0
        print(int(one(a[1], int(a[2]), 2.0, float(a[3]), after)))
    elif a[0] == "synack":
        print(synack(a[1], a[2], a[3], a[4], int(a[5]), int(a[6])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
