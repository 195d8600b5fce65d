#!/usr/bin/python3
"""A handshake with an off-path attacker's ACK in the middle (scapy, raw
frames). The source address is one no kernel owns; the server routes it
back through the veth.

open IFACE DSTMAC SRC DST DPORT STATE
    sends a SYN, waits for the SYN-ACK (5 s), then sends the attacker's
    ACK for the same tuple, in the window but acking a number the server
    never sent, and waits 0.3 s for the server's answer. Saves what the real
    ACK needs in STATE. Prints {"synack", "answer_rst", "answer_ack"}: the
    server answered the bogus ACK with a RST at its ACK number (Linux, for
    a handshake in SYN_RCVD) or with an ACK.
ack IFACE DSTMAC SRC DST DPORT STATE
    sends the real ACK of STATE's SYN-ACK. Prints {"sent": true}.
Exit status 0 when the step did what it says, 1 otherwise.
"""
import json
import logging
import random
import sys
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # "no default route"
from scapy.all import (AsyncSniffer, Ether, IP, IPv6, TCP, conf,  # noqa: E402
                       sendp)

conf.verb = 0


def main():
    step, iface, dstmac, src, dst, dport, state = sys.argv[1:8]
    dport = int(dport)
    L3 = IPv6 if ":" in src else IP

    def frame(sport, flags, seq, ack):
        return (Ether(dst=dstmac) / L3(src=src, dst=dst) /
                TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack,
                    window=64240))
    if step == "ack":
        st = json.load(open(state))
        sendp(frame(st["sport"], "A", st["isn"] + 1, st["srv_isn"] + 1),
              iface=iface)
        print(json.dumps({"sent": True}))
        return 0
    sport = random.randrange(20000, 60000)
    isn = random.getrandbits(32)

    def mine(p):
        return (L3 in p and TCP in p and p[L3].src == dst and
                p[TCP].sport == dport and p[TCP].dport == sport)
    got = []   # filled as packets arrive (results come only at stop())
    sn = AsyncSniffer(iface=iface, lfilter=mine, prn=got.append, store=False)
    sn.start()
    time.sleep(0.3)
    sendp(frame(sport, "S", isn, 0), iface=iface)
    t0 = time.monotonic()
    srv_isn = None
    while srv_isn is None and time.monotonic() < t0 + 5:
        for p in list(got):
            if p[TCP].flags & 0x12 == 0x12 and p[TCP].ack == (isn + 1) % 2**32:
                srv_isn = p[TCP].seq
        time.sleep(0.05)
    out = {"synack": srv_isn is not None, "answer_rst": False,
           "answer_ack": False}
    if srv_isn is None:
        sn.stop()
        print(json.dumps(out))
        return 1
    bogus = (srv_isn + 1 + 0x10000) % 2**32
    seen = len(got)
    sendp(frame(sport, "A", isn + 1, bogus), iface=iface)
    time.sleep(0.3)  # the RST comes at once; the SYN-ACK again only at 1 s
    sn.stop()
    for p in got[seen:]:
        fl = p[TCP].flags
        if fl & 0x04 and p[TCP].seq == bogus:
            out["answer_rst"] = True
        elif fl & 0x10 and not fl & 0x02:
            out["answer_ack"] = True
    json.dump({"sport": sport, "isn": isn, "srv_isn": srv_isn},
              open(state, "w"))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
