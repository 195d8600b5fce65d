#!/usr/bin/python3
"""Gauge checks for tests/integration/conntrack_gauges.sh.
ct_churn.py churn N        many short connections, every ending, then
                           stats states == ss counts == table walk
ct_churn.py tw-expire S    after `set timeout.TIME_WAIT=S`: gauges == walk
ct_churn.py flood N        SYN flood (cookies off) while a few long-lived
                           connections stay ESTABLISHED and listed; then N
                           SYN+RST pairs and a SYN scan of N closed-port
                           tuples: entries that close before they ever
                           synchronize never push those connections out"""
import os, random, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ct_lib import *  # noqa

STATES = "SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT".split()
PORT = 8081
HELD = []


def counts(d):
    out = {s: 0 for s in STATES}
    for v in d.values():
        out[v] = out.get(v, 0) + 1
    return out


def walk_counts():
    out = {s: 0 for s in STATES + ["CLOSED"]}
    for c in conns():
        out[c["state"]] = out.get(c["state"], 0) + 1
    return out


def compare(tag, with_ss=True, tw_slack=0):
    """stats states vs table walk (and ss); settle for up to 3 s."""
    deadline = time.time() + 3
    while True:
        st = stats()["states"]
        walk = walk_counts()
        ssc = counts(ss_states()) if with_ss else None
        bad = []
        for s in STATES + ["CLOSED"]:
            g, w = int(st.get(s, 0)), walk.get(s, 0)
            if g != w:
                bad.append("%s gauge=%d walk=%d" % (s, g, w))
            if with_ss and s in STATES:
                k = ssc.get(s, 0)
                slack = tw_slack if s == "TIME_WAIT" else 0
                if abs(g - k) > slack:
                    bad.append("%s gauge=%d ss=%d" % (s, g, k))
        if not bad or time.time() > deadline:
            break
        time.sleep(0.3)
    line = " ".join("%s=%s/%s%s" % (s, st.get(s, 0), walk.get(s, 0),
                                     ("/%d" % ssc.get(s, 0)) if with_ss and s in STATES else "")
                    for s in STATES + ["CLOSED"] if st.get(s, 0) or walk.get(s, 0) or (ssc or {}).get(s, 0))
    print("# %s gauge/walk%s: %s" % (tag, "/ss" if with_ss else "", line), flush=True)
    check_true(tag, not bad, "; ".join(bad))
    return st, walk, ssc


def churn(n):
    fams = [4, 6]
    lsn = {f: listener(SRV_NS, f, ADDR[f]["srv"], PORT, backlog=1024) for f in fams}
    done = {"srv_first": 0, "cli_first": 0, "cli_rst": 0, "srv_rst": 0}
    t0 = time.time()
    for i in range(n):
        f = fams[i % 2]
        c = connect(CLI_NS, f, ADDR[f]["srv"], PORT)
        s, _ = lsn[f].accept()
        kind = ("srv_first", "cli_first", "srv_first", "cli_first", "cli_rst", "srv_rst")[i % 6]
        c.sendall(b"q"); recv_exact(s, 1)
        s.sendall(b"r"); recv_exact(c, 1)
        if kind == "srv_first":
            s.close(); c.recv(1); c.close()
        elif kind == "cli_first":
            c.close(); s.recv(1); s.close()
        elif kind == "cli_rst":
            linger0(c); c.close(); s.close()
        else:
            linger0(s); s.close(); c.close()
        done[kind] += 1
    print("# churn: %d connections in %.1f s: %s" % (n, time.time() - t0, done), flush=True)
    # some left in the long states, per family
    for f in fams:
        for k in range(10):
            c = connect(CLI_NS, f, ADDR[f]["srv"], PORT); s, _ = lsn[f].accept()
            HELD.append((c, s))  # ESTABLISHED
            c = connect(CLI_NS, f, ADDR[f]["srv"], PORT); s, _ = lsn[f].accept()
            c.shutdown(socket.SHUT_WR); HELD.append((c, s))  # CLOSE_WAIT
            c = connect(CLI_NS, f, ADDR[f]["srv"], PORT); s, _ = lsn[f].accept()
            s.shutdown(socket.SHUT_WR); HELD.append((c, s))  # FIN_WAIT_2
    time.sleep(0.5)
    compare("gauges after %d-connection churn == ss == table walk" % n, tw_slack=0)
    # The kernel's TIME_WAIT sockets are the server-first closes, less those
    # a client's new SYN on the same port took over (TIME_WAIT reuse): the
    # gauge must say what the kernel holds, not what was closed.
    st = stats()["states"]
    tw_k = counts(ss_states()).get("TIME_WAIT", 0)
    check_true("churn: TIME_WAIT gauge == the kernel's TIME_WAIT sockets (%d of %d "
               "server-first closes)" % (tw_k, done["srv_first"]),
               int(st.get("TIME_WAIT", 0)) == tw_k and 0 < tw_k <= done["srv_first"],
               "TIME_WAIT gauge=%s, ss=%d, server-first closes %d" %
               (st.get("TIME_WAIT"), tw_k, done["srv_first"]))


def tw_expire(secs):
    ssc = counts(ss_states())
    time.sleep(secs + 2.5)
    st, walk, _ = compare("after timeout.TIME_WAIT=%d expiry: gauges == table walk" % secs,
                          with_ss=False)
    check_true("after TIME_WAIT expiry: no TIME_WAIT left in gauge (kernel still has %d)" %
               counts(ss_states()).get("TIME_WAIT", 0),
               int(st.get("TIME_WAIT", 0)) == 0 and walk.get("TIME_WAIT", 0) == 0,
               "gauge=%s walk=%s" % (st.get("TIME_WAIT"), walk.get("TIME_WAIT")))
    check_true("after TIME_WAIT expiry: other live states still equal ss",
               all(int(st.get(s, 0)) == counts(ss_states()).get(s, 0)
                   for s in ("ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_2")),
               "gauges %s ss %s" % ({s: st.get(s) for s in ("ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_2")},
                                    {s: counts(ss_states()).get(s, 0) for s in ("ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_2")}))


def flood(n, size):
    from scapy.all import Ether, IP, TCP
    lsn = {f: listener(SRV_NS, f, ADDR[f]["srv"], PORT, backlog=64) for f in (4, 6)}
    long = []
    for f in (4, 6):
        for _ in range(4):
            c = connect(CLI_NS, f, ADDR[f]["srv"], PORT); s, _ = lsn[f].accept()
            c.sendall(b"x"); recv_exact(s, 1)
            long.append((c, s, tup_of(s)))
    smac, dmac = mac_of(CLI_NS, CLI_IF), mac_of(SRV_NS, SRV_IF)
    with netns(CLI_NS):
        sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        sk.bind((CLI_IF, 0))
    tmpl = Ether(src=smac, dst=dmac) / IP(src="198.19.0.1", dst=ADDR[4]["srv"]) / \
        TCP(sport=1, dport=PORT, flags="S", seq=1, options=[("MSS", 1460)])
    t0 = time.time()
    frames = []
    for i in range(n):
        tmpl[IP].src = "198.19.%d.%d" % ((i >> 8) & 0xff, i & 0xff)
        tmpl[TCP].sport = 1024 + (i * 7919) % 60000
        tmpl[TCP].seq = random.randint(0, 2**32 - 1)
        tmpl[IP].chksum = None; tmpl[TCP].chksum = None
        frames.append(bytes(tmpl))
    for fr in frames:
        sk.send(fr)
    print("# flood: %d SYNs from %d sources in %.1f s" % (n, n, time.time() - t0), flush=True)
    time.sleep(0.5)
    ct = ct_states()
    missing = [t for c, s, t in long if ct.get(t) != "ESTABLISHED"]
    check_true("SYN flood into a %d-entry table: long-lived connections still listed ESTABLISHED"
               % size, not missing, "not listed/ESTABLISHED: %s" % missing)
    st = stats()
    # the flood's SYN-ACKs have no route back, so the kernel keeps no request
    # socket: its entries stay unconfirmed (not in the SYN_RCVD gauge) but
    # still take embryonic slots, which the table size bounds
    emb = int(st["states"].get("SYN_RCVD", 0)) + int(st["states"].get("SYN_SENT", 0)) + \
        int(st.get("syn_rcvd_unconfirmed", 0))
    print("# flood: gauges %s; ct_table_full=%s ct_created=%s" %
          ({k: v for k, v in st["states"].items() if v}, counter("ct_table_full", st),
           counter("ct_created", st)), flush=True)
    check_true("SYN flood: embryonic gauge bounded by the table size (%d)" % size,
               0 < emb <= size, "SYN_RCVD+SYN_SENT+unconfirmed=%d" % emb)
    works = True
    for c, s, t in long:
        try:
            c.sendall(b"ping"); works &= recv_exact(s, 4) == b"ping"
            s.sendall(b"pong"); works &= recv_exact(c, 4) == b"pong"
        except OSError:
            works = False
    check_true("SYN flood: long-lived connections still carry data", works, "exchange failed")
    ct = ct_states()
    check_true("after flood traffic: long-lived still ESTABLISHED in conns",
               all(ct.get(t) == "ESTABLISHED" for c, s, t in long),
               "states %s" % [ct.get(t) for c, s, t in long])
    # a new legit connection during/after the flood is tracked
    c = connect(CLI_NS, 4, ADDR[4]["srv"], PORT); s, _ = lsn[4].accept()
    check_state("after flood: a new connection is tracked", tup_of(s), "ESTABLISHED")
    compare("after flood: gauges == table walk", with_ss=False)
    # SYN then the exact RST (seq = ISN + 1) from each spoofed source, and a
    # SYN scan of a port nobody listens on (the host answers RST+ACK): each
    # entry closes before it synchronized, and must leave no trace
    for kind, dport, rst in (("SYN+RST", PORT, True), ("closed-port scan", 9, False)):
        syns, rsts = [], []
        tmpl[TCP].dport = dport
        for i in range(n):
            tmpl[IP].src = "198.19.%d.%d" % (128 + ((i >> 8) & 0x7f), i & 0xff)
            tmpl[TCP].sport = 1024 + (i * 7919) % 60000
            tmpl[TCP].seq = random.randint(0, 2**32 - 1)
            tmpl[TCP].flags = "S"
            tmpl[IP].chksum = None; tmpl[TCP].chksum = None
            syns.append(bytes(tmpl))
            tmpl[TCP].flags = "R"
            tmpl[TCP].seq = (tmpl[TCP].seq + 1) & 0xffffffff
            tmpl[IP].chksum = None; tmpl[TCP].chksum = None
            rsts.append(bytes(tmpl))
        # in batches well under the embryonic table's size, each SYN's
        # RST after the host's SYN-ACK: every one of them closes its entry
        for b in range(0, n, 200):
            for fr in syns[b:b + 200]:
                sk.send(fr)
            if rst:
                time.sleep(0.05)
                for fr in rsts[b:b + 200]:
                    sk.send(fr)
        time.sleep(0.5)
        ct = ct_states()
        missing = [t for c, s, t in long if ct.get(t) != "ESTABLISHED"]
        check_true("%s of %d into a %d-entry table: long-lived connections still listed ESTABLISHED"
                   % (kind, n, size), not missing, "not listed/ESTABLISHED: %s" % missing)
        st = stats()
        print("# %s: gauges %s; ct_rst_closed=%s" %
              (kind, {k: v for k, v in st["states"].items() if v}, counter("ct_rst_closed", st)),
              flush=True)
        check_true("%s: nothing of it entered the synchronized table (CLOSED gauge 0)" % kind,
                   int(st["states"].get("CLOSED", 0)) == 0, "CLOSED=%s" % st["states"].get("CLOSED"))
        compare("after %s: gauges == table walk" % kind, with_ss=False)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "churn":
        churn(int(sys.argv[2]))
        # hold the long-state sockets while the shell changes the timeout
        print("# READY", flush=True)
        sys.stdin.readline()
        tw_expire(int(sys.argv[3]))
    elif cmd == "flood":
        flood(int(sys.argv[2]), int(sys.argv[3]))
    sys.exit(1 if FAILS else 0)
