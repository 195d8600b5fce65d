#!/usr/bin/python3
"""Helpers for the conntrack integration tests: sockets in named network
namespaces (one process drives both ends), ss and synguard oracles, and a
raw TCP peer (scapy-built frames on an AF_PACKET socket) for segments a
Linux stack will not send on demand.

Environment (set by tests/integration/conntrack*.sh):
  CT_SRV_NS CT_CLI_NS    namespaces (sg-*)
  CT_SRV_IF CT_CLI_IF    veth ends
  CT_SG_CLI              JSON list: the synguard CLI command prefix, incl.
                         -i IFACE --bpffs DIR (run in the server namespace)
"""
import ctypes, ipaddress, json, os, random, socket, struct, subprocess, sys, time
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_root_ns = os.open("/proc/self/ns/net", os.O_RDONLY)

SRV_NS = os.environ.get("CT_SRV_NS", "sg-ct-srv")
CLI_NS = os.environ.get("CT_CLI_NS", "sg-ct-cli")
SRV_IF = os.environ.get("CT_SRV_IF", "ct-srv0")
CLI_IF = os.environ.get("CT_CLI_IF", "ct-cli0")
SG_CLI = json.loads(os.environ.get("CT_SG_CLI", "[]"))

ADDR = {
    4: dict(srv="198.18.0.1", cli="198.18.0.2", raw="198.18.0.99"),
    6: dict(srv="2001:db8::1", cli="2001:db8::2", raw="2001:db8::99"),
}

FAILS = 0
PASSES = 0


def ok(name):
    global PASSES
    PASSES += 1
    print("ok - " + name, flush=True)


def notok(name, detail):
    global FAILS
    FAILS += 1
    print("not ok - %s: %s" % (name, detail), flush=True)


def check_true(name, cond, detail=""):
    (ok(name) if cond else notok(name, detail))
    return cond


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


@contextmanager
def netns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        _setns(fd)
        yield
    finally:
        _setns(_root_ns)
        os.close(fd)


def run(cmd, timeout=20):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def nsrun(ns, cmd, timeout=20):
    return run(["nsenter", "--net=/run/netns/" + ns] + cmd, timeout)


# ---------------------------------------------------------------- sockets
def fam_af(fam):
    return socket.AF_INET if fam == 4 else socket.AF_INET6


def listener(ns, fam, addr, port=0, backlog=128):
    with netns(ns):
        s = socket.socket(fam_af(fam), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(backlog)
        s.settimeout(5)
    return s


def connect(ns, fam, addr, port, bind=None, block=True):
    with netns(ns):
        s = socket.socket(fam_af(fam), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if bind:
            s.bind(bind)
        s.settimeout(5)
        if block:
            s.connect((addr, port))
        else:
            s.setblocking(False)
            try:
                s.connect((addr, port))
            except BlockingIOError:
                pass
    return s


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def recv_exact(s, n, timeout=5):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            break
        buf += d
    return buf


def recv_all(s, timeout=5):
    s.settimeout(timeout)
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            return buf
        buf += d


# ---------------------------------------------------------------- oracles
_SS_MAP = {"ESTAB": "ESTABLISHED", "SYN-RECV": "SYN_RCVD"}


def norm(a):
    return str(ipaddress.ip_address(a.strip("[]").split("%")[0]))


def ss_states(ns=None):
    """{(local, lport, remote, rport): STATE} of ns (server by default)."""
    r = nsrun(ns or SRV_NS, ["ss", "-tanH"])
    out = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        st = f[0]
        if st in ("LISTEN", "UNCONN", "CLOSE"):
            continue
        st = _SS_MAP.get(st, st.replace("-", "_"))
        la, lp = f[3].rsplit(":", 1)
        ra, rp = f[4].rsplit(":", 1)
        if la == "*" or ra == "*":
            continue
        out[(norm(la), int(lp), norm(ra), int(rp))] = st
    return out


def sg(args, timeout=20):
    r = nsrun(SRV_NS, SG_CLI[:1] + args + SG_CLI[1:], timeout)
    if r.returncode != 0:
        raise RuntimeError("synguard %s: rc=%d %s" % (" ".join(args), r.returncode,
                                                      (r.stderr or r.stdout).strip()[:300]))
    return r.stdout


def conns():
    return json.loads(sg(["conns", "--json"]))


def ct_states(include_closed=False):
    out = {}
    for c in conns():
        if c["state"] == "CLOSED" and not include_closed:
            continue
        out[(norm(c["local"]), int(c["lport"]), norm(c["remote"]), int(c["rport"]))] = c["state"]
    return out


def stats():
    return json.loads(sg(["stats", "--json"]))


def counter(name, st=None):
    st = st or stats()
    return int(st.get("counters", {}).get(name, 0))


def tup_of(sock):
    """Server-side tuple of a socket living in the server namespace."""
    la, lp = sock.getsockname()[:2]
    ra, rp = sock.getpeername()[:2]
    return (norm(la), lp, norm(ra), rp)


def check_state(name, tup, expect, timeout=2.0):
    """Tracked local state == ss state of tup in the server ns (== expect,
    None meaning no socket / no live entry)."""
    deadline = time.time() + timeout
    while True:
        try:
            ct = ct_states().get(tup)
        except Exception as e:  # CLI failure is a test failure
            ct = "ERR(%s)" % e
        ssv = ss_states().get(tup)
        if ct == ssv and (expect == "ANY" or ssv == expect):
            ok("%s [%s]" % (name, ssv or "gone"))
            return True
        if time.time() > deadline:
            notok(name, "tuple %s:%d<->%s:%d expected %s, ss=%s tracker=%s" %
                  (tup[0], tup[1], tup[2], tup[3], expect or "gone", ssv or "gone", ct or "gone"))
            return False
        time.sleep(0.05)


# ---------------------------------------------------------------- raw peer
def mac_of(ns, ifname):
    r = nsrun(ns, ["ip", "-j", "link", "show", "dev", ifname])
    return json.loads(r.stdout)[0]["address"]


class Seg:
    def __init__(self, t, when):
        self.seq, self.ack, self.flags = t.seq, t.ack, str(t.flags)
        self.sport, self.dport = t.sport, t.dport
        self.len = len(bytes(t.payload))
        self.opts = dict((o[0], o[1]) for o in t.options if isinstance(o, tuple))
        self.when = when

    def __repr__(self):
        return "<%s seq=%d ack=%d len=%d>" % (self.flags, self.seq, self.ack, self.len)


class RawPeer:
    """One TCP endpoint at ADDR[fam]['raw'] (an address no kernel owns; the
    server has a static neighbour entry for it pointing at the client veth),
    driven segment by segment. The client kernel sees frames to that address
    but does not own it, so it neither answers nor resets."""

    def __init__(self, fam, sport=None, dport=80, ts=False):
        from scapy.all import Ether, IP, IPv6, TCP  # noqa
        self.fam = fam
        self.src = ADDR[fam]["raw"]
        self.dst = ADDR[fam]["srv"]
        self.sport = sport or random.randint(20000, 60000)
        self.dport = dport
        self.isn = random.randint(0, 2**32 - 1)
        self.nxt = self.isn  # our next seq
        self.rcv = 0  # what we ack
        self.ts = ts
        self.tsval = random.randint(1000, 10**6)
        self.smac = mac_of(CLI_NS, CLI_IF)
        self.dmac = mac_of(SRV_NS, SRV_IF)
        with netns(CLI_NS):
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
            self.sock.bind((CLI_IF, 0))
        self.sent = []
        self.got = []

    def tup(self):
        """The server-side tuple."""
        return (norm(self.dst), self.dport, norm(self.src), self.sport)

    def close(self):
        self.sock.close()

    def frame(self, flags, seq=None, ack=None, data=b"", win=65535, opts=None,
              src=None, sport=None, tsval=None):
        from scapy.all import Ether, IP, IPv6, TCP
        seq = self.nxt if seq is None else seq
        ack = self.rcv if ack is None else ack
        if opts is None:
            opts = [("MSS", 1400)] if "S" in flags else []
            if self.ts:
                opts.append(("Timestamp", (tsval or self.tsval, self.peer_ts if "A" in flags else 0)))
        l3 = (IP(src=src or self.src, dst=self.dst) if self.fam == 4 else
              IPv6(src=src or self.src, dst=self.dst))
        return (Ether(src=self.smac, dst=self.dmac) / l3 /
                TCP(sport=sport or self.sport, dport=self.dport, flags=flags,
                    seq=seq & 0xffffffff, ack=ack & 0xffffffff, window=win, options=opts) / data)

    peer_ts = 0

    def send(self, flags, seq=None, ack=None, data=b"", advance=True, **kw):
        self.tsval += 10
        f = self.frame(flags, seq, ack, data, **kw)
        self.sock.send(bytes(f))
        self.sent.append((flags, f))
        if advance and seq is None:
            self.nxt = (self.nxt + len(data) + ("S" in flags) + ("F" in flags)) & 0xffffffff

    def recv(self, pred=lambda s: True, timeout=2.0):
        """Next segment from the server to us matching pred, or None."""
        from scapy.all import Ether, TCP
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                return None
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            p = Ether(data)
            if TCP not in p:
                continue
            t = p[TCP]
            l3 = p.payload
            if norm(l3.src) != norm(self.dst) or norm(l3.dst) != norm(self.src):
                continue
            if t.sport != self.dport or t.dport != self.sport:
                continue
            s = Seg(t, time.time())
            self.got.append(s)
            if "Timestamp" in s.opts:
                self.peer_ts = s.opts["Timestamp"][0]
            if pred(s):
                return s

    def drain(self, timeout=0.2):
        while self.recv(timeout=timeout):
            pass

    # -- conveniences
    def connect(self):
        """Active open toward the server listener: returns the SYN-ACK."""
        self.send("S")
        sa = self.recv(lambda s: "S" in s.flags and "A" in s.flags)
        if not sa:
            return None
        self.rcv = (sa.seq + 1) & 0xffffffff
        self.srv_isn = sa.seq
        return sa

    def ack(self, **kw):
        self.send("A", **kw)
