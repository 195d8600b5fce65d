#!/usr/bin/python3
"""SYNs that hide their TCP header from a packet filter (scapy, raw frames):
split into IP fragments, or behind a long IPv6 extension header chain.
The source address is one no kernel owns (the server routes it back
through the veth), so nothing answers the server's SYN-ACK: a SYN the
server's stack took leaves it a SYN_RECV socket.

frag_syn.py IFACE DSTMAC SRC DST DPORT SHAPE [-n COUNT] [-w SECS]
    sends COUNT SYNs of SHAPE (each from its own source port), then
    waits SECS for SYN-ACKs from DST:DPORT. Prints {"sent", "synacks"}.

SHAPE (the family follows SRC):
    tiny    the first fragment holds 8 bytes of the TCP header, the second
            the rest at offset 8 (RFC 1858's tiny fragment)
    first   the first fragment holds the whole TCP header (40 bytes, with
            options), the second 16 bytes of SYN data: what a stack that
            fragments sends
    deep    IPv6 only, not fragmented: 8 destination-options headers
            before the TCP header
"""
import argparse
import json
import logging
import random
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # "no default route"
from scapy.all import (AsyncSniffer, Ether, IP, IPv6,  # noqa: E402
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, Raw, TCP, conf,
                       sendp)

conf.verb = 0
OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None),
        ("WScale", 7)]


def tcp_bytes(ip, sport, dport, isn, data):
    """The SYN's TCP header and data, checksummed for ip's addresses."""
    pkt = ip / TCP(sport=sport, dport=dport, seq=isn, flags="S",
                   options=OPTS) / Raw(data)
    return bytes(pkt[TCP])


def frames(a, sport):
    """The frames of one SYN of shape a.shape from a.src port sport."""
    v6 = ":" in a.src
    ip = (IPv6(src=a.src, dst=a.dst) if v6 else IP(src=a.src, dst=a.dst))
    isn = random.getrandbits(32)
    eth = Ether(dst=a.dstmac)
    if a.shape == "deep":
        chain = IPv6(src=a.src, dst=a.dst, nh=60)
        for i in range(8):
            chain = chain / IPv6ExtHdrDestOpt(nh=6 if i == 7 else 60)
        return [eth / chain / Raw(tcp_bytes(ip, sport, a.dport, isn, b""))]
    data = b"x" * 16 if a.shape == "first" else b""
    seg = tcp_bytes(ip, sport, a.dport, isn, data)
    cut = 8 if a.shape == "tiny" else len(seg) - len(data)
    fid = random.getrandbits(16 if not v6 else 32)
    parts = [(0, seg[:cut], True), (cut // 8, seg[cut:], False)]
    out = []
    for off, body, more in parts:
        if v6:
            h = IPv6(src=a.src, dst=a.dst) / IPv6ExtHdrFragment(
                nh=6, offset=off, m=int(more), id=fid)
        else:
            h = IP(src=a.src, dst=a.dst, proto=6, id=fid,
                   flags="MF" if more else 0, frag=off)
        out.append(eth / h / Raw(body))
    return out


def main():
    ap = argparse.ArgumentParser()
    for n in ("iface", "dstmac", "src", "dst"):
        ap.add_argument(n)
    ap.add_argument("dport", type=int)
    ap.add_argument("shape", choices=("tiny", "first", "deep"))
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("-w", type=float, default=2.0)
    a = ap.parse_args()
    if a.shape == "deep" and ":" not in a.src:
        ap.error("deep is an IPv6 shape")
    ports = random.sample(range(20000, 60000), a.n)
    v6 = ":" in a.src
    L3 = IPv6 if v6 else IP

    def synack(p):
        return (L3 in p and TCP in p and p[L3].src == a.dst and
                p[L3].dst == a.src and p[TCP].sport == a.dport and
                p[TCP].dport in ports and p[TCP].flags & 0x12 == 0x12)
    sn = AsyncSniffer(iface=a.iface, lfilter=synack, store=True)
    sn.start()
    time.sleep(0.3)
    for sport in ports:
        sendp(frames(a, sport), iface=a.iface)
    time.sleep(a.w)
    got = sn.stop() or []
    print(json.dumps({"sent": a.n,
                      "synacks": len({p[TCP].dport for p in got})}))


if __name__ == "__main__":
    main()
