#!/usr/bin/python3
"""Seed corpus for sg_fuzz from real Linux TCP, captured in the lab.

  capture.py sniff IFACE OUT SECONDS   every frame on IFACE (AF_PACKET), with
                                       its direction, to OUT (server netns)
  capture.py serve PORT                server: the first byte a client sends
                                       picks echo (e), jumbo echo (j),
                                       server-closes (s) or reset (r)
  capture.py client HOST PORT KIND     one connection of that kind
  capture.py corpus RAW DIR            one seed file per connection and
                                       variant (see below) into DIR
  capture.py repeats DIR               the repeat seeds (below) from DIR's
                                       plain-cookie ones

A seed is sg_fuzz's input: a configuration byte, a policy byte, then [ctl][len][frame]
records, ctl bit 0 = egress (what the server sent). Each connection becomes
several seeds: as captured, with an 802.1Q tag, with IPv4 options or IPv6
hop-by-hop + destination-options headers, each under cookie mode off and
on; in cookie mode the client's handshake ACK is marked (ctl bit 2) so the
harness answers the cookie SYN-ACK the kernel copy sent instead. A connection
seen once is a source seen once: each IPv4/IPv6 plain-cookie seed also gives
repeat seeds: the SYN, its answered ACK, then two more SYNs from the next
source ports, with learning (policy 0xE0), the SYN-ACK cap per destination
(0xD0) or in all (0xD4), sampling and hitters: so that a learned source, the
caps and the thresholds are met.
"""
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def sniff(iface, out, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    end = time.monotonic() + float(seconds)
    with open(out, "wb") as f:
        while time.monotonic() < end:
            try:
                frame, addr = s.recvfrom(65535)
            except socket.timeout:
                continue
            egress = 1 if addr[2] == PACKET_OUTGOING else 0
            f.write(struct.pack("!BH", egress, len(frame)) + frame)
            f.flush()


def serve(port):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", int(port)))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        c.settimeout(5)
        try:
            kind = c.recv(1)
            if kind in (b"e", b"j"):
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    c.sendall(b)
                c.shutdown(socket.SHUT_WR)
            elif kind == b"s":
                c.sendall(os.urandom(1800))
                c.shutdown(socket.SHUT_WR)
                while c.recv(65536):
                    pass
            elif kind == b"r":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        c.close()


def client(host, port, kind):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((host, int(port)))
    s.sendall(kind.encode())
    if kind in ("e", "j"):
        s.sendall(os.urandom(2500 if kind == "e" else 20000))
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    elif kind == "s":
        while s.recv(65536):
            pass
        s.shutdown(socket.SHUT_WR)
    elif kind == "r":
        try:
            while s.recv(65536):
                pass
        except ConnectionResetError:
            pass
    time.sleep(0.2)
    s.close()


# ---- corpus ---------------------------------------------------------------
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp_of(frame):
    """(family, l3 offset, tuple key, tcp flags) or None."""
    if len(frame) < 14:
        return None
    proto = struct.unpack("!H", frame[12:14])[0]
    if proto == 0x0800 and len(frame) >= 34 and frame[23] == 6:
        l4 = 14 + (frame[14] & 0xf) * 4
        src, dst = frame[26:30], frame[30:34]
        fam = 4
    elif proto == 0x86DD and len(frame) >= 54 and frame[20] == 6:
        l4 = 54
        src, dst = frame[22:38], frame[38:54]
        fam = 6
    else:
        return None
    sp, dp = struct.unpack("!HH", frame[l4:l4 + 4])
    ends = sorted([(src, sp), (dst, dp)])
    return fam, (fam, tuple(ends)), frame[l4 + 13]


def add_vlan(f):
    return f[:12] + struct.pack("!HH", 0x8100, 100) + f[12:]


def add_l3_ext(f):
    proto = struct.unpack("!H", f[12:14])[0]
    if proto == 0x0800:
        ihl = (f[14] & 0xf) * 4
        ip = bytearray(f[14:14 + ihl] + b"\x01\x01\x01\x00")  # NOP NOP NOP EOL
        ip[0] = 0x40 | (ihl + 4) // 4
        struct.pack_into("!H", ip, 2, struct.unpack("!H", f[16:18])[0] + 4)
        struct.pack_into("!H", ip, 10, 0)
        struct.pack_into("!H", ip, 10, csum(bytes(ip)))
        return f[:14] + bytes(ip) + f[14 + ihl:]
    ip = bytearray(f[14:54])
    nxt = ip[6]
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])       # hop-by-hop -> dest opts
    dst = bytes([nxt, 0, 1, 4, 0, 0, 0, 0])      # dest opts -> TCP
    ip[6] = 0
    struct.pack_into("!H", ip, 4, struct.unpack("!H", f[18:20])[0] + 16)
    return f[:14] + bytes(ip) + hbh + dst + f[54:]


def corpus(raw, outdir):
    data = open(raw, "rb").read()
    recs, off = [], 0
    while off + 3 <= len(data):
        eg, ln = struct.unpack("!BH", data[off:off + 3])
        recs.append((eg, data[off + 3:off + 3 + ln]))
        off += 3 + ln
    conns = {}
    for eg, fr in recs:
        t = tcp_of(fr)
        if t and len(fr) <= 9100:
            conns.setdefault(t[1], []).append((eg, fr, t[2]))
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for i, (key, segs) in enumerate(sorted(conns.items())):
        fam = key[0]
        # the policy byte (FUZZ_POL_*): none; lists, budgets, caps,
        # learning, events, hitters; the same in shadow mode, other lists
        variants = [("plain", lambda f: f, 0x00), ("vlan", add_vlan, 0xFA),
                    ("ipopt" if fam == 4 else "ext", add_l3_ext, 0x7F)]
        for vname, fn, pol in variants:
            for cookie in (0, 1):
                out = bytearray([cookie, pol])  # FUZZ_CFG_COOKIE_ON
                answered = False
                for eg, fr, flags in segs:
                    ctl = eg
                    # the client's first pure ACK answers the SYN-ACK
                    if cookie and not eg and flags & 0x10 and not flags & 0x07 and not answered:
                        ctl |= 4
                        answered = True
                    f = fn(fr)
                    out += struct.pack("!BH", ctl, len(f)) + f
                name = "v%d-conn%02d-%s-%s" % (fam, i, vname, "cookie" if cookie else "plain")
                with open(os.path.join(outdir, name), "wb") as fh:
                    fh.write(out)
                n += 1
    print("%d seeds from %d connections, %d frames" % (n, len(conns), len(recs)))
    repeats(outdir)


def repeats(outdir):
    n = 0
    for name in sorted(os.listdir(outdir)):
        if not name.endswith("-plain-cookie"):
            continue
        data = open(os.path.join(outdir, name), "rb").read()
        off, syn = 2, None
        while off + 3 <= len(data):
            ctl, ln = struct.unpack("!BH", data[off:off + 3])
            fr = data[off + 3:off + 3 + ln]
            t = tcp_of(fr)
            if not ctl & 1 and t and t[2] & 0x12 == 0x02:
                syn = fr
                break
            off += 3 + ln
        if syn is None:
            continue
        rec = lambda ctl, f: struct.pack("!BH", ctl, len(f)) + f
        for suffix, pol in (("learn", 0xE0), ("capdest", 0xD0), ("capall", 0xD4)):
            out = bytearray([1, pol]) + rec(0, syn) + rec(4, b"")
            for k in (1, 2):
                out += rec(0, other_port(syn, k))
            with open(os.path.join(outdir, name.replace("-plain-cookie", "-repeat-" + suffix)), "wb") as fh:
                fh.write(out)
            n += 1
        # cookie mode off at the SYN, on at its copy (ctl bit 3): the
        # kernel holds that handshake; a new ISN on the tuple does not
        out = bytearray([0, 0]) + rec(0, syn) + rec(8, syn) + rec(0, other_isn(syn))
        with open(os.path.join(outdir, name.replace("-plain-cookie", "-repeat-flip")), "wb") as fh:
            fh.write(out)
        n += 1
    print("%d repeat seeds" % n)


def other_port(f, k):
    """f with its TCP source port k higher; a full TCP checksum is made
    again, a TX-offload partial one (the pseudo-header's) stays as it is."""
    return tcp_rewrite(f, 0, k)


def other_isn(f):
    """f with another sequence number (checksum as other_port)."""
    return tcp_rewrite(f, 4, 0x10000)


def tcp_rewrite(f, at, k):
    """f with k added to the TCP field at offset at: 0, the source port, or
    4, the sequence number; its checksum as other_port says."""
    f = bytearray(f)
    fam = 4 if struct.unpack("!H", f[12:14])[0] == 0x0800 else 6
    if fam == 4:
        l4 = 14 + (f[14] & 0xf) * 4
        tlen = struct.unpack("!H", f[16:18])[0] - (f[14] & 0xf) * 4
        pseudo = f[26:34] + struct.pack("!BBH", 0, 6, tlen)
    else:
        l4 = 54
        tlen = struct.unpack("!H", f[18:20])[0]
        pseudo = f[22:54] + struct.pack("!IxxxB", tlen, 6)
    partial = ~csum(pseudo) & 0xffff
    if at == 0:
        sp = struct.unpack("!H", f[l4:l4 + 2])[0]
        struct.pack_into("!H", f, l4, (sp + k) & 0xffff)
    else:
        sq = struct.unpack("!I", f[l4 + at:l4 + at + 4])[0]
        struct.pack_into("!I", f, l4 + at, (sq + k) & 0xffffffff)
    if struct.unpack("!H", f[l4 + 16:l4 + 18])[0] != partial:
        struct.pack_into("!H", f, l4 + 16, 0)
        seg = bytes(f[l4:l4 + tlen])
        struct.pack_into("!H", f, l4 + 16, csum(pseudo + seg + (b"\0" if tlen % 2 else b"")))
    return bytes(f)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "sniff":
        sniff(*sys.argv[2:5])
    elif cmd == "serve":
        serve(sys.argv[2])
    elif cmd == "client":
        client(*sys.argv[2:5])
    elif cmd == "corpus":
        corpus(*sys.argv[2:4])
    elif cmd == "repeats":
        repeats(sys.argv[2])
    else:
        sys.exit(__doc__)
