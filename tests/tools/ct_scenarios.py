#!/usr/bin/python3
"""Conntrack scenarios: tracked local state == ss state, step by step.
Run by tests/integration/conntrack.sh (which sets up the lab); usage:
ct_scenarios.py [FAMILY ...] [-k SUBSTRING]"""
import os, random, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ct_lib import *  # noqa

PORT = 8080


def srv_listener(fam, port=PORT):
    return listener(SRV_NS, fam, ADDR[fam]["srv"], port)


def real_pair(fam, lsn, bind=None):
    """client (client ns) -> server listener; returns (client, server sock)."""
    c = connect(CLI_NS, fam, ADDR[fam]["srv"], lsn.getsockname()[1], bind=bind)
    s, _ = lsn.accept()
    s.settimeout(5)
    return c, s


def sniffer(fam):
    with netns(CLI_NS):
        sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        sk.bind((CLI_IF, 0))
    return sk


def sniff_from_srv(sk, tup, pred, timeout=2.0):
    """Segments server->client of tup (server-side tuple) on the client veth."""
    from scapy.all import Ether, TCP
    deadline = time.time() + timeout
    while time.time() < deadline:
        sk.settimeout(max(0.01, deadline - time.time()))
        try:
            data, addr = sk.recvfrom(65535)
        except socket.timeout:
            break
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        p = Ether(data)
        if TCP not in p:
            continue
        t = p[TCP]
        if (norm(p.payload.src), t.sport, norm(p.payload.dst), t.dport) != tup:
            continue
        s = Seg(t, time.time())
        if pred(s):
            return s
    return None


# ------------------------------------------------------------ real sockets
def t_handshake_in(fam, lsn):
    c, s = real_pair(fam, lsn)
    check_state("v%d handshake inbound: ESTABLISHED" % fam, tup_of(s), "ESTABLISHED")
    # the remote endpoint's inferred state too
    e = [x for x in conns() if (norm(x["local"]), x["lport"], norm(x["remote"]), x["rport"]) == tup_of(s)]
    check_true("v%d handshake inbound: remote_state ESTABLISHED" % fam,
               e and e[0].get("remote_state") == "ESTABLISHED", "entry %s" % e)
    linger0(c); c.close(); s.close()


def t_handshake_out(fam, _lsn):
    l = listener(CLI_NS, fam, ADDR[fam]["cli"], 0)
    o = connect(SRV_NS, fam, ADDR[fam]["cli"], l.getsockname()[1])
    p, _ = l.accept()
    check_state("v%d handshake outbound: ESTABLISHED" % fam, tup_of(o), "ESTABLISHED")
    o.sendall(b"x" * 1000); recv_exact(p, 1000)
    p.sendall(b"y" * 1000); recv_exact(o, 1000)
    check_state("v%d handshake outbound: ESTABLISHED after data" % fam, tup_of(o), "ESTABLISHED")
    linger0(p); p.close(); o.close(); l.close()


def t_close_local_first(fam, lsn):
    c, s = real_pair(fam, lsn)
    t = tup_of(s)
    s.sendall(b"hello"); recv_exact(c, 5)
    s.close()  # server FIN, client kernel ACKs, client app holds
    check_state("v%d close local-first: FIN_WAIT_2 while peer holds" % fam, t, "FIN_WAIT_2")
    assert c.recv(10) == b""
    c.close()
    check_state("v%d close local-first: TIME_WAIT" % fam, t, "TIME_WAIT")


def t_close_remote_first(fam, lsn):
    c, s = real_pair(fam, lsn)
    t = tup_of(s)
    c.sendall(b"hello"); recv_exact(s, 5)
    c.close()
    check_state("v%d close remote-first: CLOSE_WAIT" % fam, t, "CLOSE_WAIT")
    assert s.recv(10) == b""
    s.close()
    check_state("v%d close remote-first: LAST_ACK then gone" % fam, t, None)


def t_half_close(fam, lsn):
    # remote half-closes, local keeps sending
    c, s = real_pair(fam, lsn)
    t = tup_of(s)
    c.shutdown(socket.SHUT_WR)
    check_state("v%d half-close by remote: CLOSE_WAIT" % fam, t, "CLOSE_WAIT")
    data = os.urandom(200000)
    s.sendall(data)
    got = recv_exact(c, len(data))
    check_true("v%d half-close by remote: data still flows" % fam, got == data,
               "got %d of %d bytes" % (len(got), len(data)))
    check_state("v%d half-close by remote: still CLOSE_WAIT after data" % fam, t, "CLOSE_WAIT")
    s.close()
    check_state("v%d half-close by remote: closed" % fam, t, None)
    c.close()
    # local half-closes, remote keeps sending
    c, s = real_pair(fam, lsn)
    t = tup_of(s)
    s.shutdown(socket.SHUT_WR)
    check_state("v%d half-close by local: FIN_WAIT_2" % fam, t, "FIN_WAIT_2")
    c.sendall(data)
    got = recv_exact(s, len(data))
    check_true("v%d half-close by local: data still flows" % fam, got == data,
               "got %d of %d bytes" % (len(got), len(data)))
    check_state("v%d half-close by local: still FIN_WAIT_2 after data" % fam, t, "FIN_WAIT_2")
    c.close()
    check_state("v%d half-close by local: TIME_WAIT" % fam, t, "TIME_WAIT")
    s.close()


def t_rst_abort(fam, lsn):
    before = counter("ct_rst_closed")
    c, s = real_pair(fam, lsn)
    t = tup_of(s)
    c.sendall(b"a"); recv_exact(s, 1)
    linger0(c); c.close()  # client RST
    check_state("v%d RST from remote in ESTABLISHED closes" % fam, t, None)
    check_true("v%d RST from remote counted ct_rst_closed" % fam,
               counter("ct_rst_closed") > before, "ct_rst_closed did not move")
    s.close()
    c, s = real_pair(fam, lsn)
    t = tup_of(s)
    linger0(s); s.close()  # server RST
    check_state("v%d RST from local in ESTABLISHED closes" % fam, t, None)
    c.close()


def t_rst_spoofed(fam, lsn):
    """Out-of-window and in-window inexact RSTs spoofed from the client's
    address into a live connection: no state change, counted, and the
    server's challenge ACK reaches the client."""
    from scapy.all import Ether, IP, IPv6, TCP
    sk = sniffer(fam)
    c, s = real_pair(fam, lsn)
    t = tup_of(s)
    s.sendall(b"z" * 10)
    last = sniff_from_srv(sk, t, lambda g: g.len == 10)
    recv_exact(c, 10)
    if not last:
        notok("v%d spoofed RST: learn sequence numbers" % fam, "no data segment seen")
        return
    rcv_nxt = last.ack  # server's next expected seq from the client
    smac, dmac = mac_of(CLI_NS, CLI_IF), mac_of(SRV_NS, SRV_IF)
    l3 = IP if fam == 4 else IPv6

    def rst(seq):
        f = (Ether(src=smac, dst=dmac) / l3(src=t[2], dst=t[0]) /
             TCP(sport=t[3], dport=t[1], flags="R", seq=seq & 0xffffffff, window=0))
        sk.send(bytes(f))

    st0 = stats()
    oow0, ch0 = counter("ct_rst_oow", st0), counter("ct_rst_challenged", st0)
    rst(rcv_nxt + 2**31 - 12345)
    time.sleep(0.2)
    check_state("v%d out-of-window RST changes nothing" % fam, t, "ESTABLISHED")
    st1 = stats()
    check_true("v%d out-of-window RST counted ct_rst_oow" % fam,
               counter("ct_rst_oow", st1) == oow0 + 1,
               "ct_rst_oow %d -> %d" % (oow0, counter("ct_rst_oow", st1)))
    rst(rcv_nxt + 1000)
    chal = sniff_from_srv(sk, t, lambda g: g.flags == "A" and g.len == 0 and g.ack == rcv_nxt)
    check_true("v%d in-window RST: server's challenge ACK reaches the client" % fam,
               chal is not None, "no ACK with ack=%d seen on the client veth" % rcv_nxt)
    check_state("v%d in-window inexact RST changes nothing" % fam, t, "ESTABLISHED")
    st2 = stats()
    check_true("v%d in-window inexact RST counted ct_rst_challenged" % fam,
               counter("ct_rst_challenged", st2) == ch0 + 1,
               "ct_rst_challenged %d -> %d" % (ch0, counter("ct_rst_challenged", st2)))
    c.sendall(b"still"); ok1 = recv_exact(s, 5) == b"still"
    s.sendall(b"alive"); ok2 = recv_exact(c, 5) == b"alive"
    check_true("v%d connection keeps working after spoofed RSTs" % fam, ok1 and ok2,
               "data exchange failed")
    check_state("v%d ESTABLISHED after data following the RSTs" % fam, t, "ESTABLISHED")
    # and an exact RST (seq == rcv_nxt + 5 now) closes it
    rst(rcv_nxt + 5)
    check_state("v%d exact RST closes" % fam, t, None)
    sk.close(); c.close(); s.close()


def t_tw_reuse(fam, lsn):
    port = random.randint(30000, 39999)
    bind = (ADDR[fam]["cli"], port)
    c, s = real_pair(fam, lsn, bind=bind)
    t = tup_of(s)
    s.close()
    c.recv(10); c.close()
    check_state("v%d TIME_WAIT on the server (active close)" % fam, t, "TIME_WAIT")
    time.sleep(0.05)
    c2, s2 = real_pair(fam, lsn, bind=bind)
    check_true("v%d new SYN reuses the TIME_WAIT tuple" % fam, tup_of(s2) == t,
               "tuple %s != %s" % (tup_of(s2), t))
    check_state("v%d TIME_WAIT reused by a new SYN: ESTABLISHED" % fam, t, "ESTABLISHED")
    c2.sendall(b"again"); recv_exact(s2, 5)
    check_state("v%d reused tuple carries data: ESTABLISHED" % fam, t, "ESTABLISHED")
    linger0(c2); c2.close(); s2.close()


# ------------------------------------------------------------ raw peer
def raw_open(fam, lsn, ts=False):
    p = RawPeer(fam, dport=lsn.getsockname()[1], ts=ts)
    sa = p.connect()
    return p, sa


def t_raw_syn_rcvd(fam, lsn):
    p = RawPeer(fam, dport=lsn.getsockname()[1])
    p.send("S")
    sa = p.recv(lambda g: g.flags == "SA")
    check_true("v%d raw: SYN answered by SYN-ACK" % fam, sa is not None, "no SYN-ACK")
    if not sa:
        return
    p.rcv = sa.seq + 1
    check_state("v%d passive open: SYN_RCVD" % fam, p.tup(), "SYN_RCVD")
    p.send("S", seq=p.isn)  # retransmitted SYN
    p.recv(lambda g: "S" in g.flags, timeout=0.5)
    check_state("v%d retransmitted SYN: still SYN_RCVD" % fam, p.tup(), "SYN_RCVD")
    p.ack()
    s, _ = lsn.accept()
    check_state("v%d passive open completed: ESTABLISHED" % fam, p.tup(), "ESTABLISHED")
    p.send("S", seq=p.isn, ack=0, advance=False)  # stale SYN in ESTABLISHED
    p.recv(lambda g: g.flags == "A", timeout=0.5)  # challenge ACK
    check_state("v%d old SYN in ESTABLISHED: no regression" % fam, p.tup(), "ESTABLISHED")
    # remote-first close with retransmitted FINs
    p.send("FA")
    p.recv(lambda g: "A" in g.flags and g.ack == p.nxt)
    check_state("v%d raw FIN: CLOSE_WAIT" % fam, p.tup(), "CLOSE_WAIT")
    p.send("FA", seq=p.nxt - 1, advance=False)
    p.recv(lambda g: "A" in g.flags, timeout=0.5)
    check_state("v%d retransmitted FIN in CLOSE_WAIT: no regression" % fam, p.tup(), "CLOSE_WAIT")
    s.close()
    fin = p.recv(lambda g: "F" in g.flags)
    check_state("v%d local close after remote FIN, unacked: LAST_ACK" % fam, p.tup(), "LAST_ACK")
    p.send("FA", seq=p.nxt - 1, advance=False)  # FIN again, not acking ours
    p.recv(lambda g: "A" in g.flags, timeout=0.5)
    check_state("v%d retransmitted FIN in LAST_ACK: no regression" % fam, p.tup(), "LAST_ACK")
    if fin:
        p.rcv = fin.seq + 1
    p.ack()
    check_state("v%d LAST_ACK acked: gone" % fam, p.tup(), None)
    p.close()


def t_raw_fin_wait_1_and_fin_ack(fam, lsn):
    """local-first close; the remote answers with one FIN+ACK segment:
    FIN, FIN+ACK, ACK."""
    p, sa = raw_open(fam, lsn)
    p.ack()
    s, _ = lsn.accept()
    check_state("v%d raw open: ESTABLISHED" % fam, p.tup(), "ESTABLISHED")
    s.close()
    fin = p.recv(lambda g: "F" in g.flags)
    if not fin:
        notok("v%d FIN+ACK close" % fam, "server FIN not seen")
        return
    check_state("v%d local FIN unacked: FIN_WAIT_1" % fam, p.tup(), "FIN_WAIT_1")
    p.rcv = fin.seq + 1
    p.send("FA")
    last = p.recv(lambda g: g.flags == "A" and g.ack == p.nxt)
    check_true("v%d FIN+ACK close: server ACKs the FIN (3rd segment)" % fam, last is not None,
               "no final ACK")
    check_state("v%d FIN+ACK three-segment close: TIME_WAIT" % fam, p.tup(), "TIME_WAIT")
    p.send("FA", seq=p.nxt - 1, advance=False)  # retransmitted FIN in TIME_WAIT
    p.recv(lambda g: "A" in g.flags, timeout=0.5)
    check_state("v%d retransmitted FIN in TIME_WAIT: no regression" % fam, p.tup(), "TIME_WAIT")
    p.close()


def t_raw_fin_wait_2(fam, lsn):
    """local FIN acked (FIN_WAIT_2), remote FIN retransmitted in TIME_WAIT."""
    p, sa = raw_open(fam, lsn)
    p.ack()
    s, _ = lsn.accept()
    s.shutdown(socket.SHUT_WR)
    fin = p.recv(lambda g: "F" in g.flags)
    p.rcv = fin.seq + 1
    p.ack()
    check_state("v%d raw: FIN acked: FIN_WAIT_2" % fam, p.tup(), "FIN_WAIT_2")
    p.send("PA", data=b"more data")
    p.recv(lambda g: g.ack == p.nxt)
    check_state("v%d raw: data in FIN_WAIT_2: FIN_WAIT_2" % fam, p.tup(), "FIN_WAIT_2")
    p.send("FA")
    p.recv(lambda g: g.ack == p.nxt)
    check_state("v%d raw: remote FIN in FIN_WAIT_2: TIME_WAIT" % fam, p.tup(), "TIME_WAIT")
    s.close(); p.close()


def t_raw_simultaneous_close(fam, lsn):
    p, sa = raw_open(fam, lsn)
    p.ack()
    s, _ = lsn.accept()
    s.close()
    fin = p.recv(lambda g: "F" in g.flags)
    if not fin:
        notok("v%d simultaneous close" % fam, "server FIN not seen")
        return
    # our FIN crosses theirs: it does not ack their FIN
    p.send("FA")
    a = p.recv(lambda g: "A" in g.flags and g.ack == p.nxt)
    check_true("v%d simultaneous close: server ACKs our FIN" % fam, a is not None, "no ACK")
    check_state("v%d simultaneous close: CLOSING" % fam, p.tup(), "CLOSING")
    p.rcv = fin.seq + 1
    p.ack()
    check_state("v%d simultaneous close: both FINs acked: TIME_WAIT" % fam, p.tup(), "TIME_WAIT")
    p.close()


def t_raw_outbound(fam, _lsn):
    """server connects out to the raw peer: SYN_SENT, retransmitted
    SYN-ACK, ESTABLISHED; then simultaneous open on a second tuple."""
    p = RawPeer(fam, sport=random.randint(40000, 49999), dport=0)
    o = connect(SRV_NS, fam, ADDR[fam]["raw"], p.sport, block=False)
    p.dport = o.getsockname()[1]
    syn = p.recv(lambda g: g.flags == "S")
    if not syn:
        notok("v%d outbound to raw peer" % fam, "no SYN seen")
        return
    check_state("v%d active open: SYN_SENT" % fam, p.tup(), "SYN_SENT")
    p.rcv = syn.seq + 1
    p.send("SA")
    p.recv(lambda g: g.flags == "A")
    check_state("v%d active open: SYN-ACK received: ESTABLISHED" % fam, p.tup(), "ESTABLISHED")
    p.send("SA", seq=p.isn, advance=False)  # retransmitted SYN-ACK
    p.recv(lambda g: g.flags == "A", timeout=0.5)
    check_state("v%d retransmitted SYN-ACK: no regression" % fam, p.tup(), "ESTABLISHED")
    linger0(o); o.close()
    check_state("v%d local abort of outbound: gone" % fam, p.tup(), None)
    p.close()

    # simultaneous open: the server's SYN crosses the peer's SYN
    p = RawPeer(fam, sport=random.randint(50000, 59999), dport=0)
    o = connect(SRV_NS, fam, ADDR[fam]["raw"], p.sport, block=False)
    p.dport = o.getsockname()[1]
    syn = p.recv(lambda g: g.flags == "S")
    if not syn:
        notok("v%d simultaneous open" % fam, "no SYN seen")
        return
    check_state("v%d simultaneous open: SYN_SENT" % fam, p.tup(), "SYN_SENT")
    p.send("S")  # our SYN, not acking theirs
    sa = p.recv(lambda g: g.flags == "SA")
    check_true("v%d simultaneous open: server answers SYN-ACK" % fam, sa is not None, "none")
    check_state("v%d simultaneous open: SYN_RCVD" % fam, p.tup(), "SYN_RCVD")
    p.rcv = syn.seq + 1
    p.send("SA", seq=p.isn, advance=False)  # our SYN-ACK acking theirs
    check_state("v%d simultaneous open: ESTABLISHED" % fam, p.tup(), "ESTABLISHED")
    p.send("PA", data=b"hi")
    got = recv_exact(o, 2, timeout=2) if True else b""
    check_true("v%d simultaneous open: data delivered" % fam, got == b"hi", "got %r" % got)
    linger0(o); o.close(); p.close()


def t_raw_tw_reuse_ts(fam, lsn):
    """TIME_WAIT reuse the way Linux accepts it with timestamps: the new
    SYN's sequence number is *below* the old connection's, but its TSval is
    newer (tcp_timewait_state_process, RFC 6191)."""
    p, sa = raw_open(fam, lsn, ts=True)
    if not sa or "Timestamp" not in sa.opts:
        notok("v%d TIME_WAIT reuse by timestamp" % fam, "no timestamps on the SYN-ACK")
        return
    p.ack()
    s, _ = lsn.accept()
    p.send("PA", data=b"x" * 100)
    p.recv(lambda g: g.ack == p.nxt)
    recv_exact(s, 100)
    s.close()
    fin = p.recv(lambda g: "F" in g.flags)
    if not fin:
        notok("v%d TIME_WAIT reuse by timestamp" % fam, "server FIN not seen")
        return
    p.rcv = fin.seq + 1
    p.send("FA")
    p.recv(lambda g: g.ack == p.nxt)
    check_state("v%d TIME_WAIT (timestamps on)" % fam, p.tup(), "TIME_WAIT")
    old_isn = p.isn
    p.isn = (old_isn - 100000) & 0xffffffff
    p.nxt = p.isn
    p.tsval += 1000
    p.send("S")
    sa2 = p.recv(lambda g: g.flags == "SA")
    if not sa2:
        ok("v%d TIME_WAIT reuse by timestamp: kernel refused, nothing to compare" % fam)
        return
    p.rcv = sa2.seq + 1
    check_state("v%d TIME_WAIT reused by SYN with lower seq, newer TSval: SYN_RCVD" % fam,
                p.tup(), "SYN_RCVD")
    p.ack()
    s2, _ = lsn.accept()
    check_state("v%d TIME_WAIT reused by SYN with lower seq, newer TSval: ESTABLISHED" % fam,
                p.tup(), "ESTABLISHED")
    linger0(s2); s2.close(); p.close()


def t_raw_unsolicited_synack(fam, lsn):
    p = RawPeer(fam, dport=lsn.getsockname()[1])
    before = counter("drop_synack_unsolicited")
    p.rcv = random.randint(0, 2**32 - 1)
    p.send("SA")
    rst = p.recv(lambda g: True, timeout=0.7)
    check_true("v%d unsolicited SYN-ACK dropped before the kernel (no RST back)" % fam,
               rst is None, "server answered %r" % rst)
    after = counter("drop_synack_unsolicited")
    check_true("v%d unsolicited SYN-ACK counted drop_synack_unsolicited" % fam,
               after == before + 1, "%d -> %d" % (before, after))
    check_true("v%d unsolicited SYN-ACK creates no entry" % fam,
               p.tup() not in ct_states(include_closed=True), "entry created")
    p.close()


def t_raw_rst_states(fam, lsn):
    """RST from the remote in other states: exact closes, what ss says."""
    # SYN_RCVD, exact (seq = the SYN's seq + 1)
    p = RawPeer(fam, dport=lsn.getsockname()[1])
    if p.connect():
        check_state("v%d RST test: SYN_RCVD" % fam, p.tup(), "SYN_RCVD")
        p.send("R", ack=0, advance=False)
        check_state("v%d exact RST in SYN_RCVD closes" % fam, p.tup(), None)
    p.close()
    # SYN_RCVD, in-window but inexact: Linux drops the request socket
    # (tcp_check_req: any in-window RST resets an embryonic connection)
    p = RawPeer(fam, dport=lsn.getsockname()[1])
    if p.connect():
        p.send("R", seq=p.nxt + 1000, ack=0, advance=False)
        p.recv(lambda g: True, timeout=1.0)
        check_state("v%d in-window inexact RST in SYN_RCVD: as the kernel" % fam, p.tup(), "ANY")
        p.send("R", ack=0, advance=False)  # clean up: exact RST
        check_state("v%d then the exact RST in SYN_RCVD closes" % fam, p.tup(), None)
    p.close()
    # CLOSE_WAIT, FIN_WAIT_2, TIME_WAIT
    for st in ("CLOSE_WAIT", "FIN_WAIT_2", "TIME_WAIT"):
        p, sa = raw_open(fam, lsn)
        p.ack()
        s, _ = lsn.accept()
        if st == "CLOSE_WAIT":
            p.send("FA"); p.recv(lambda g: g.ack == p.nxt)
        else:
            s.shutdown(socket.SHUT_WR)
            fin = p.recv(lambda g: "F" in g.flags)
            p.rcv = fin.seq + 1
            if st == "FIN_WAIT_2":
                p.ack()
            else:
                p.send("FA")
            p.recv(lambda g: g.ack == p.nxt, timeout=0.5)
        check_state("v%d RST test: %s" % (fam, st), p.tup(), st)
        p.send("R", ack=0, advance=False)
        check_state("v%d exact RST in %s: as the kernel" % (fam, st), p.tup(), "ANY")
        s.close(); p.close()
    # SYN_SENT: connection refused (RST+ACK acking our SYN)
    p = RawPeer(fam, sport=random.randint(40000, 49999), dport=0)
    o = connect(SRV_NS, fam, ADDR[fam]["raw"], p.sport, block=False)
    p.dport = o.getsockname()[1]
    syn = p.recv(lambda g: g.flags == "S")
    if syn:
        p.send("RA", seq=0, ack=syn.seq + 1, advance=False)
        check_state("v%d RST+ACK in SYN_SENT (refused): gone" % fam, p.tup(), None)
    o.close(); p.close()


REAL = [t_handshake_in, t_handshake_out, t_close_local_first, t_close_remote_first,
        t_half_close, t_rst_abort, t_rst_spoofed, t_tw_reuse]
RAW = [t_raw_syn_rcvd, t_raw_fin_wait_1_and_fin_ack, t_raw_fin_wait_2,
       t_raw_simultaneous_close, t_raw_outbound, t_raw_tw_reuse_ts, t_raw_unsolicited_synack,
       t_raw_rst_states]


def main():
    fams = [int(a) for a in sys.argv[1:] if a in ("4", "6")] or [4, 6]
    only = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
    random.seed()
    for fam in fams:
        lsn = srv_listener(fam)
        for t in REAL + RAW:
            if only and only not in t.__name__:
                continue
            try:
                t(fam, lsn)
            except Exception as e:
                import traceback
                notok("v%d %s" % (fam, t.__name__), "exception %r" % e)
                traceback.print_exc(file=sys.stdout)
        lsn.close()
    # the whole table agrees with ss at the end
    time.sleep(0.3)
    ss, ct = ss_states(), ct_states()
    diff = {k: (ss.get(k), ct.get(k)) for k in set(ss) | set(ct) if ss.get(k) != ct.get(k)}
    check_true("final: every tracked tuple's state equals ss", not diff,
               "; ".join("%s:%d<->%s:%d ss=%s tracker=%s" % (k + v) for k, v in list(diff.items())[:8]))
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
