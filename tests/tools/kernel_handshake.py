#!/usr/bin/python3
"""A handshake the server kernel answered itself, finished after a change
(HOOK, e.g. cookie mode on). From an address the client namespace does not
own (its kernel stays out of it): sends a SYN and reads the SYN-ACK off the
client veth (AF_PACKET); runs HOOK; in mode "retx" sends the same SYN again
(the kernel's SYN-ACK was lost) and reads the SYN-ACK that answers it; then
ACKs the last SYN-ACK with 5 bytes of data and watches for 2 s whether the
data is acked or the flow reset. Then resets it (exact seq): nothing is
left behind.

usage: kernel_handshake.py MODE IFACE SRC_MAC DST_MAC SRC_IP DST_IP DPORT HOOK...
MODE: "ack" or "retx". Prints {"synack1": seq, "synack2": seq (retx),
"data_acked": bool, "reset": bool}; exit 1 if a SYN-ACK never came.
"""
import json
import random
import subprocess
import sys

from raw_lib import replies, rx_open, synack
from scapy.all import Ether, IP, TCP, sendp  # noqa: E402


def main():
    mode, iface, smac, dmac, src, dst, dport = sys.argv[1:8]
    hook = sys.argv[8:]
    dport = int(dport)
    sport, isn = random.randint(20000, 60000), random.randint(0, 2**32 - 1)
    rx = rx_open(iface)
    l3 = Ether(src=smac, dst=dmac) / IP(src=src, dst=dst)
    syn = l3 / TCP(sport=sport, dport=dport, flags="S", seq=isn,
                   options=[("MSS", 1460), ("SAckOK", b""), ("WScale", 7)])
    out = {}
    sendp(syn, iface=iface, verbose=False)
    sa = out["synack1"] = synack(rx, src, sport, isn)
    if sa is not None:
        subprocess.run(hook, check=True, stdout=subprocess.DEVNULL)
        if mode == "retx":
            sendp(syn, iface=iface, verbose=False)
            sa = out["synack2"] = synack(rx, src, sport, isn)
    if sa is None:
        print(json.dumps(dict(out, error="no SYN-ACK")))
        return 1
    seq, data = (isn + 1) & 0xffffffff, b"hello"
    end = (seq + len(data)) & 0xffffffff
    sendp(l3 / TCP(sport=sport, dport=dport, flags="PA", seq=seq,
                   ack=(sa + 1) & 0xffffffff) / data, iface=iface, verbose=False)
    got = list(replies(rx, src, sport, 2))
    out["data_acked"] = any(f & 0x10 and not f & 0x04 and a == end for f, _, a in got)
    out["reset"] = any(f & 0x04 for f, _, _ in got)
    sendp(l3 / TCP(sport=sport, dport=dport, flags="R", seq=end), iface=iface,
          verbose=False)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
