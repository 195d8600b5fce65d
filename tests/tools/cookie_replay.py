#!/usr/bin/python3
"""A handshake's last ACK, sent at once and again after a wait: from an
address the client namespace does not own (so its kernel stays out of it),
sends a SYN, reads the cookie SYN-ACK off the client veth (AF_PACKET), then
answers it with the right ACK after DELAY seconds, then resets whatever
that made (an exact RST), so nothing is left behind.

usage: cookie_replay.py IFACE SRC_MAC DST_MAC SRC_IP DST_IP DPORT DELAY
Prints {"cookie": n, "sent_after_s": s}; exit 1 if no SYN-ACK came.
"""
import json
import random
import sys
import time

from raw_lib import rx_open, synack
from scapy.all import Ether, IP, TCP, sendp  # noqa: E402


def main():
    iface, smac, dmac, src, dst, dport, delay = sys.argv[1:8]
    dport, delay = int(dport), float(delay)
    sport, isn = random.randint(20000, 60000), random.randint(0, 2**32 - 1)
    rx = rx_open(iface)
    l3 = Ether(src=smac, dst=dmac) / IP(src=src, dst=dst)
    sendp(l3 / TCP(sport=sport, dport=dport, flags="S", seq=isn), iface=iface, verbose=False)
    t0 = time.monotonic()
    cookie = synack(rx, src, sport, isn)
    if cookie is None:
        print(json.dumps({"error": "no SYN-ACK"}))
        return 1
    time.sleep(max(0.0, delay - (time.monotonic() - t0)))
    sendp(l3 / TCP(sport=sport, dport=dport, flags="A", seq=(isn + 1) & 0xffffffff,
                   ack=(cookie + 1) & 0xffffffff), iface=iface, verbose=False)
    time.sleep(0.1)
    # leave nothing behind: an accepted connection is reset (exact seq)
    sendp(l3 / TCP(sport=sport, dport=dport, flags="R", seq=(isn + 1) & 0xffffffff),
          iface=iface, verbose=False)
    print(json.dumps({"cookie": cookie, "sent_after_s": round(time.monotonic() - t0, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
