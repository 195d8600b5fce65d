#!/usr/bin/python3
"""RSTs aimed at real connections, from the client's side of the lab:
learns each tuple's next sequence number from the client's own segments
(AF_PACKET on the client veth), then sends N RSTs per tuple that are
either out of the server's window (seq + 2^31) or inside it but not the
exact next sequence number (RFC 5961: the server must only challenge them);
or (finold) N FIN+ACKs per tuple with the right ACK but a sequence number
behind what the server already has, anywhere in the 2^31 below it (the
server discards them, answering a duplicate ACK).

usage: rst_flood.py IFACE SRC_MAC DST_MAC TUPLES_JSON oow|inwin|finold N
Prints {"sent": n, "tuples": k}.
"""
import json
import random
import socket
import struct
import sys
import time

from scapy.all import Ether, IP, IPv6, TCP, sendp  # noqa: E402


def learn(iface, tuples, timeout=10):
    """(lport -> (next seq, ack)) from the client's outgoing segments."""
    want = {t["lport"]: t for t in tuples}
    nxt = {}
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((iface, 0))
    s.settimeout(0.5)
    end = time.monotonic() + timeout
    while len(nxt) < len(want) and time.monotonic() < end:
        try:
            fr, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] != 4:  # PACKET_OUTGOING: what the client sent
            continue
        proto = struct.unpack("!H", fr[12:14])[0]
        if proto == 0x0800 and fr[23] == 6:
            l4 = 14 + (fr[14] & 0xf) * 4
            plen = struct.unpack("!H", fr[16:18])[0] - (fr[14] & 0xf) * 4
        elif proto == 0x86DD and fr[20] == 6:
            l4 = 54
            plen = struct.unpack("!H", fr[18:20])[0]
        else:
            continue
        sport, dport, seq, ack = struct.unpack("!HHII", fr[l4:l4 + 12])
        if sport in want:
            nxt[sport] = ((seq + plen - (fr[l4 + 12] >> 4) * 4) & 0xffffffff, ack)
    return nxt


def main():
    iface, smac, dmac, tfile, mode, n = sys.argv[1:7]
    n = int(n)
    tuples = json.load(open(tfile))
    nxt = learn(iface, tuples)
    pkts = []
    for t in tuples:
        if t["lport"] not in nxt:
            continue
        l3 = (IP if t["family"] == 4 else IPv6)(src=t["local"], dst=t["remote"])
        seq, ack = nxt[t["lport"]]
        for _ in range(n):
            if mode == "finold":
                # the FIN lands 2..2^31 - 2^16 behind: the kernel has all of that
                off = -random.randint(2, 0x7fff0000)
                tcp = TCP(sport=t["lport"], dport=t["rport"], flags="FA",
                          seq=(seq + off) & 0xffffffff, ack=ack)
            else:
                if mode == "oow":
                    off = 0x80000000 + random.randint(0, 0x10000)
                else:
                    # in window but never exact: the connections keep sending
                    # 64-byte messages (longlived.py), so the server's RCV.NXT
                    # is the learned one plus a multiple of 64, which an exact
                    # RST would hit (and rightly reset the connection)
                    off = random.randint(1, 20000)
                    off += off % 64 == 0
                tcp = TCP(sport=t["lport"], dport=t["rport"], flags="R",
                          seq=(seq + off) & 0xffffffff, window=0)
            pkts.append(Ether(src=smac, dst=dmac) / l3 / tcp)
    random.shuffle(pkts)
    sendp(pkts, iface=iface, verbose=False)
    print(json.dumps({"sent": len(pkts), "tuples": len(nxt)}))
    sys.exit(0 if len(nxt) == len(tuples) else 1)


if __name__ == "__main__":
    main()
