#!/usr/bin/python3
"""A TCP handshake in two halves (scapy, raw frames): the SYN goes to one
host and the ACK to another, as ECMP/anycast may route them. The source
address is one no kernel owns, so the sender's own stack stays silent.

syn IFACE DSTMAC SRC DST DPORT STATE
    sends a SYN (MSS 1460, SACK, timestamps, wscale 7) from IFACE, waits
    for the SYN-ACK (5 s), saves what the ACK needs in STATE (JSON)
ack IFACE DSTMAC SRC DST DPORT STATE [--data TEXT]
    sends the ACK of STATE's SYN-ACK carrying TEXT, and waits 3 s for
    DST to acknowledge that data (it made a socket: the cookie was
    accepted); then resets the connection. Prints {"acked", "flags"}.
Exit status 0 when the step did what it says, 1 otherwise.
"""
import json
import logging
import random
import sys
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # "no default route"
from scapy.all import AsyncSniffer, Ether, IP, TCP, conf, sendp  # noqa: E402

conf.verb = 0


def reply_from(dst, dport, sport):
    def match(p):
        return (IP in p and TCP in p and p[IP].src == dst and
                p[TCP].sport == dport and p[TCP].dport == sport)
    return match


def ts_of(p):
    for k, v in p[TCP].options:
        if k == "Timestamp":
            return v
    return None


def frame(iface, dmac, src, dst, sport, dport, **tcp):
    return Ether(dst=dmac) / IP(src=src, dst=dst, ttl=64) / TCP(sport=sport, dport=dport, **tcp)


def syn(iface, dmac, src, dst, dport, state):
    sport = random.randint(20000, 60000)
    isn = random.getrandbits(32)
    tsval = random.getrandbits(31)
    sn = AsyncSniffer(iface=iface, lfilter=reply_from(dst, dport, sport), count=1, timeout=5)
    sn.start()
    time.sleep(0.2)
    sendp(frame(iface, dmac, src, dst, sport, dport, flags="S", seq=isn, window=64240,
                options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (tsval, 0)),
                         ("NOP", None), ("WScale", 7)]), iface=iface)
    sn.join()
    got = sn.results or []
    if not got or got[0][TCP].flags != "SA":
        print(json.dumps({"synack": False, "got": [p.summary() for p in got]}))
        return 1
    sa = got[0][TCP]
    st = {"sport": sport, "isn": isn, "tsval": tsval, "synack_seq": sa.seq,
          "synack_ack": sa.ack, "synack_ts": ts_of(got[0]), "synack_opts": str(sa.options)}
    with open(state, "w") as f:
        json.dump(st, f)
    print(json.dumps(dict(st, synack=sa.ack == (isn + 1) % 2**32)))
    return 0 if sa.ack == (isn + 1) % 2**32 else 1


def ack(iface, dmac, src, dst, dport, state, data):
    st = json.load(open(state))
    sport, seq, ackn = st["sport"], (st["isn"] + 1) % 2**32, (st["synack_seq"] + 1) % 2**32
    opts = [("NOP", None), ("NOP", None)]
    if st["synack_ts"]:
        opts.append(("Timestamp", (st["tsval"] + 1, st["synack_ts"][0])))
    want = (seq + len(data)) % 2**32
    sn = AsyncSniffer(iface=iface, lfilter=reply_from(dst, dport, sport), timeout=3,
                      stop_filter=lambda p: (p[TCP].flags & 0x10) and p[TCP].ack == want)
    sn.start()
    time.sleep(0.2)
    sendp(frame(iface, dmac, src, dst, sport, dport, flags="PA", seq=seq, ack=ackn,
                window=502, options=opts) / data.encode(), iface=iface)
    sn.join()
    got = sn.results or []
    acked = any((p[TCP].flags & 0x10) and p[TCP].ack == want and not (p[TCP].flags & 0x04)
                for p in got)
    print(json.dumps({"acked": acked, "flags": [str(p[TCP].flags) for p in got]}))
    if acked:
        # leave nothing half-open behind on the accepting host
        sendp(frame(iface, dmac, src, dst, sport, dport, flags="R", seq=want), iface=iface)
    return 0 if acked else 1


def main():
    if len(sys.argv) < 8 or sys.argv[1] not in ("syn", "ack"):
        print(__doc__, file=sys.stderr)
        return 2
    step, iface, dmac, src, dst, dport, state = sys.argv[1:8]
    data = sys.argv[sys.argv.index("--data") + 1] if "--data" in sys.argv else "hello"
    if step == "syn":
        return syn(iface, dmac, src, dst, int(dport), state)
    return ack(iface, dmac, src, dst, int(dport), state, data)


if __name__ == "__main__":
    sys.exit(main())
