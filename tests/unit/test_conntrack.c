// SPDX-License-Identifier: GPL-2.0
/* The connection tracker's state machine through BPF_PROG_TEST_RUN: each
 * scenario is a sequence of crafted segments, the remote's through sg_xdp
 * (ingress) and the local host's through sg_tc_egress (egress), and after
 * every segment the entry's local and inferred remote states are checked,
 * with the verdict and the counter of the decision.
 *
 * The test runs in a network namespace of its own: bpf_skc_lookup_tcp finds
 * no socket for any test flow and egress skbs carry no socket, so entries
 * start only from SYNs, as for flows the tracker sees open. Cookie mode is
 * off (mode=off), so SYNs to the protected port are tracked and passed.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np */
#include <pthread.h>
#include <stdatomic.h>
#include "harness.h"

#define LPORT_OUT 40000 /* local port of connections we open    */
#define RPORT_OUT 443

enum { REMOTE, LOCAL }; /* who sends a segment                  */

/* Both directions of one connection and the next sequence number of each
 * side, so that segments follow each other as a real TCP would send them. */
struct conn {
	struct flow f[2]; /* f[REMOTE]: remote -> local            */
	uint32_t isn[2], nxt[2];
	char name[48];
};

static struct conn conn_new(int family, bool inbound, const char *what)
{
	uint32_t i = T.next_flow++;
	struct conn c = {};

	c.f[REMOTE] = flow_client(family, i, PORT);
	if (!inbound) {
		c.f[REMOTE].sport = RPORT_OUT;
		c.f[REMOTE].dport = (uint16_t)(LPORT_OUT + i % 20000);
	}
	c.f[LOCAL] = flow_reverse(&c.f[REMOTE]);
	c.isn[REMOTE] = c.nxt[REMOTE] = 0x10000000u * (i % 15) + 1000;
	c.isn[LOCAL] = c.nxt[LOCAL] = 0xf0000000u + i * 7919u;
	snprintf(c.name, sizeof(c.name), "IPv%d %s", family, what);
	return c;
}

/* The frame of one segment with explicit numbers, the SYN with MSS and
 * WScale; returns the offset of its TCP header. */
static int seg_frame(struct frame *f, const struct conn *c, int who, uint8_t flags, uint32_t seq,
		     uint32_t ack, int paylen)
{
	struct tcpopts to = { .mss = 1460, .wscale = 7 };
	uint8_t opt[40];
	struct seg s = { .seq = seq, .ack = ack, .flags = flags, .paylen = paylen };

	if (flags & TH_SYN) {
		s.opt = opt;
		s.optlen = opts_build(opt, &to);
	}
	return frame_build(f, &c->f[who], &s);
}

/* One segment with explicit numbers (seg_frame), run by who's program. */
static struct run *send_raw(struct conn *c, int who, uint8_t flags, uint32_t seq, uint32_t ack,
			    int paylen)
{
	static struct run r;
	struct frame f;

	seg_frame(&f, c, who, flags, seq, ack, paylen);
	if (who == REMOTE)
		xdp_run(&f, &r);
	else
		tc_egress_run(&f, &r);
	return &r;
}

/* The next segment of who, acking everything the other side sent. */
static struct run *send_seg(struct conn *c, int who, uint8_t flags, int paylen)
{
	uint32_t seq = c->nxt[who];

	c->nxt[who] += (uint32_t)paylen + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	return send_raw(c, who, flags, seq, flags & TH_ACK ? c->nxt[!who] : 0, paylen);
}

static struct sg_ct_key conn_key(const struct conn *c)
{
	const struct flow *in = &c->f[REMOTE];
	struct sg_ct_key k = { .family = (__u8)in->family, .lport = in->dport, .rport = in->sport };

	memcpy(k.laddr, in->daddr, 16);
	memcpy(k.raddr, in->saddr, 16);
	return k;
}

/* The entry of c, and which table holds it (0: none, 1: embryonic,
 * 2: synchronized, 3: both — never right). */
static int conn_entry(const struct conn *c, struct sg_ct_entry *e)
{
	struct sg_ct_key k = conn_key(c);
	struct sg_ct_entry tmp;
	int where = 0;

	if (!bpf_map_lookup_elem(T.ct_embryonic, &k, e))
		where |= 1;
	if (!bpf_map_lookup_elem(T.ct_synced, &k, &tmp)) {
		where |= 2;
		*e = tmp;
	}
	return where;
}

/* The entry is in the right table with these states. */
static bool expect(const struct conn *c, int local, int remote, const char *step)
{
	struct sg_ct_entry e = {};
	int where = conn_entry(c, &e);
	int want = local == SG_SYN_SENT || local == SG_SYN_RCVD ? 1 : 2;
	bool ok = where == want && e.state == local && e.rstate == remote;

	if (!ok)
		diag("%s: %s: table %d (want %d), state %s/%s", c->name, step, where, want,
		     sg_state_name(e.state), sg_state_name(e.rstate));
	return check(ok, "%s: %s -> %s / remote %s", c->name, step, sg_state_name((unsigned)local),
		     sg_state_name((unsigned)remote));
}

static bool passed(const struct run *r, int who)
{
	return r->verdict == (who == REMOTE ? XDP_PASS : SG_TCX_NEXT);
}

/* A segment that must pass and move the entry to (local, remote). */
static void step(struct conn *c, int who, uint8_t flags, int paylen, int local, int remote,
		 const char *what)
{
	struct run *r = send_seg(c, who, flags, paylen);

	if (!passed(r, who))
		diag("%s: %s: verdict %d", c->name, what, r->verdict);
	expect(c, local, remote, what);
}

/* ---- scenarios ---------------------------------------------------------- */

static struct conn handshake_in(int family, const char *what)
{
	struct conn c = conn_new(family, true, what);

	step(&c, REMOTE, TH_SYN, 0, SG_SYN_RCVD, SG_SYN_SENT, "SYN in");
	step(&c, LOCAL, TH_SYN | TH_ACK, 0, SG_SYN_RCVD, SG_ESTABLISHED, "SYN-ACK out");
	step(&c, REMOTE, TH_ACK, 0, SG_ESTABLISHED, SG_ESTABLISHED, "ACK in");
	return c;
}

static struct conn handshake_out(int family, const char *what)
{
	struct conn c = conn_new(family, false, what);

	step(&c, LOCAL, TH_SYN, 0, SG_SYN_SENT, SG_SYN_RCVD, "SYN out");
	step(&c, REMOTE, TH_SYN | TH_ACK, 0, SG_ESTABLISHED, SG_SYN_RCVD, "SYN-ACK in");
	step(&c, LOCAL, TH_ACK, 0, SG_ESTABLISHED, SG_ESTABLISHED, "ACK out");
	return c;
}

static void test_simultaneous_open(int family)
{
	struct conn c = conn_new(family, false, "simultaneous open");

	step(&c, LOCAL, TH_SYN, 0, SG_SYN_SENT, SG_SYN_RCVD, "SYN out");
	/* the remote's own SYN crosses ours */
	send_raw(&c, REMOTE, TH_SYN, c.isn[REMOTE], 0, 0);
	c.nxt[REMOTE]++;
	expect(&c, SG_SYN_RCVD, SG_SYN_RCVD, "crossing SYN in");
	/* both answer with SYN-ACK: same ISN, now acking the other SYN */
	send_raw(&c, LOCAL, TH_SYN | TH_ACK, c.isn[LOCAL], c.nxt[REMOTE], 0);
	expect(&c, SG_SYN_RCVD, SG_ESTABLISHED, "SYN-ACK out");
	send_raw(&c, REMOTE, TH_SYN | TH_ACK, c.isn[REMOTE], c.nxt[LOCAL], 0);
	expect(&c, SG_ESTABLISHED, SG_ESTABLISHED, "SYN-ACK in");
}

static void test_close_local_first(int family)
{
	struct conn c = handshake_out(family, "local-first close");

	step(&c, LOCAL, TH_PSH | TH_ACK, 100, SG_ESTABLISHED, SG_ESTABLISHED, "data out");
	step(&c, LOCAL, TH_FIN | TH_ACK, 0, SG_FIN_WAIT_1, SG_CLOSE_WAIT, "FIN out");
	step(&c, REMOTE, TH_ACK, 0, SG_FIN_WAIT_2, SG_CLOSE_WAIT, "ACK in");
	step(&c, REMOTE, TH_FIN | TH_ACK, 0, SG_TIME_WAIT, SG_LAST_ACK, "FIN in");
	step(&c, LOCAL, TH_ACK, 0, SG_TIME_WAIT, SG_CLOSED, "last ACK out");
}

static void test_close_remote_first(int family)
{
	struct conn c = handshake_in(family, "remote-first close");

	step(&c, REMOTE, TH_FIN | TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_1, "FIN in");
	step(&c, LOCAL, TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_2, "ACK out");
	step(&c, LOCAL, TH_FIN | TH_ACK, 0, SG_LAST_ACK, SG_TIME_WAIT, "FIN out");
	step(&c, REMOTE, TH_ACK, 0, SG_CLOSED, SG_TIME_WAIT, "last ACK in");
}

static void test_three_segment_close(int family)
{
	struct conn c = handshake_in(family, "FIN+ACK close");

	step(&c, REMOTE, TH_FIN | TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_1, "FIN in");
	step(&c, LOCAL, TH_FIN | TH_ACK, 0, SG_LAST_ACK, SG_TIME_WAIT, "FIN+ACK out");
	step(&c, REMOTE, TH_ACK, 0, SG_CLOSED, SG_TIME_WAIT, "ACK in");
}

static void test_simultaneous_close(int family)
{
	struct conn c = handshake_in(family, "simultaneous close");

	step(&c, LOCAL, TH_FIN | TH_ACK, 0, SG_FIN_WAIT_1, SG_CLOSE_WAIT, "FIN out");
	/* the remote's FIN crosses ours: it does not ack our FIN */
	send_raw(&c, REMOTE, TH_FIN | TH_ACK, c.nxt[REMOTE], c.nxt[LOCAL] - 1, 0);
	c.nxt[REMOTE]++;
	expect(&c, SG_CLOSING, SG_CLOSING, "crossing FIN in");
	step(&c, LOCAL, TH_ACK, 0, SG_CLOSING, SG_TIME_WAIT, "ACK out");
	step(&c, REMOTE, TH_ACK, 0, SG_TIME_WAIT, SG_TIME_WAIT, "ACK in");
}

static void test_half_close(int family)
{
	struct conn c = handshake_in(family, "half-close");
	struct sg_ct_entry e;

	step(&c, LOCAL, TH_FIN | TH_ACK, 0, SG_FIN_WAIT_1, SG_CLOSE_WAIT, "FIN out");
	step(&c, REMOTE, TH_ACK, 0, SG_FIN_WAIT_2, SG_CLOSE_WAIT, "ACK in");
	for (int i = 0; i < 3; i++) {
		send_seg(&c, REMOTE, TH_PSH | TH_ACK, 1000);
		send_seg(&c, LOCAL, TH_ACK, 0);
	}
	expect(&c, SG_FIN_WAIT_2, SG_CLOSE_WAIT, "3 KB still flowing in");
	conn_entry(&c, &e);
	/* in: SYN, ACK, ACK of our FIN, 3 data; out: SYN-ACK, FIN, 3 ACKs */
	check(e.pkts_in == 6 && e.pkts_out == 5 && e.bytes_in > 3000,
	      "%s: packets and bytes counted both ways (in %u/%llu out %u)", c.name, e.pkts_in,
	      (unsigned long long)e.bytes_in, e.pkts_out);
	step(&c, REMOTE, TH_FIN | TH_ACK, 0, SG_TIME_WAIT, SG_LAST_ACK, "FIN in");
}

/* ---- RST in every state --------------------------------------------------- */

/* Brings a fresh connection to the named local state. */
static struct conn conn_in_state(int family, int st)
{
	char what[40];
	struct conn c;

	snprintf(what, sizeof(what), "RST in %s", sg_state_name((unsigned)st));
	if (st == SG_SYN_SENT) {
		c = conn_new(family, false, what);
		send_seg(&c, LOCAL, TH_SYN, 0);
		return c;
	}
	c = conn_new(family, true, what);
	send_seg(&c, REMOTE, TH_SYN, 0);
	send_seg(&c, LOCAL, TH_SYN | TH_ACK, 0);
	if (st == SG_SYN_RCVD)
		return c;
	send_seg(&c, REMOTE, TH_ACK, 0);
	switch (st) {
	case SG_FIN_WAIT_1:
		send_seg(&c, LOCAL, TH_FIN | TH_ACK, 0);
		break;
	case SG_FIN_WAIT_2:
	case SG_TIME_WAIT:
		send_seg(&c, LOCAL, TH_FIN | TH_ACK, 0);
		send_seg(&c, REMOTE, TH_ACK, 0);
		if (st == SG_TIME_WAIT)
			send_seg(&c, REMOTE, TH_FIN | TH_ACK, 0);
		break;
	case SG_CLOSE_WAIT:
	case SG_LAST_ACK:
		send_seg(&c, REMOTE, TH_FIN | TH_ACK, 0);
		send_seg(&c, LOCAL, TH_ACK, 0);
		if (st == SG_LAST_ACK)
			send_seg(&c, LOCAL, TH_FIN | TH_ACK, 0);
		break;
	case SG_CLOSING:
		send_seg(&c, LOCAL, TH_FIN | TH_ACK, 0);
		send_raw(&c, REMOTE, TH_FIN | TH_ACK, c.nxt[REMOTE], c.nxt[LOCAL] - 1, 0);
		c.nxt[REMOTE]++;
		break;
	}
	return c;
}

static bool entry_state(const struct conn *c, struct sg_ct_entry *e)
{
	return conn_entry(c, e) != 0;
}

/* A RST that must change nothing: in-window inexact or out of window. */
static void rst_ignored(struct conn *c, uint32_t seq, uint32_t ack, sg_cmask cnt, int verdict,
			const char *what)
{
	struct sg_ct_entry before = {}, after = {};
	struct run *r;

	entry_state(c, &before);
	r = send_raw(c, REMOTE, TH_RST | (ack ? TH_ACK : 0), seq, ack, 0);
	entry_state(c, &after);
	check(r->verdict == verdict && r->delta[__builtin_ctzll(cnt)] == 1 &&
		      after.state == before.state && after.rstate == before.rstate,
	      "%s: %s: %s, state stays %s", c->name, what, verdict_name(r->verdict),
	      sg_state_name(after.state));
}

static void test_rst(int family, int st)
{
	struct conn c = conn_in_state(family, st);
	bool syn_sent = st == SG_SYN_SENT;
	struct sg_ct_entry e;
	struct run *r;
	int where;

	if (!check(entry_state(&c, &e) && e.state == st, "%s: reached (%s)", c.name,
		   sg_state_name(e.state)))
		return;
	if (syn_sent) {
		/* RFC 9293: in SYN_SENT a RST counts only if it acks our SYN */
		rst_ignored(&c, 0, c.nxt[LOCAL] + 1, C(ct_rst_oow), XDP_PASS,
			    "RST acking the wrong sequence");
	} else {
		rst_ignored(&c, c.nxt[REMOTE] + 100, 0, C(ct_rst_challenged), XDP_PASS,
			    "in-window inexact RST");
		rst_ignored(&c, c.nxt[REMOTE] - 0x40000000u, 0, C(ct_rst_oow), XDP_PASS,
			    "out-of-window RST");
		T.cfg.drop_oow_rst = 1;
		config_apply();
		rst_ignored(&c, c.nxt[REMOTE] - 0x40000000u, 0, C(ct_rst_oow) | C(drop_rst_oow),
			    XDP_DROP, "out-of-window RST with drop_oow_rst=1");
		T.cfg.drop_oow_rst = 0;
		config_apply();
	}
	r = send_raw(&c, REMOTE, TH_RST | (syn_sent ? TH_ACK : 0), syn_sent ? 0 : c.nxt[REMOTE],
		     syn_sent ? c.nxt[LOCAL] : 0, 0);
	if (syn_sent || st == SG_SYN_RCVD) {
		/* never synchronized: no socket in ss, no entry either */
		where = conn_entry(&c, &e);
		check(r->verdict == XDP_PASS && r->delta[SG_CNT_ct_rst_closed] == 1 && where == 0,
		      "%s: exact RST closes: the entry is deleted, never moved to "
		      "the synchronized table (table %d)",
		      c.name, where);
		return;
	}
	where = conn_entry(&c, &e);
	check(r->verdict == XDP_PASS && r->delta[SG_CNT_ct_rst_closed] == 1 && where == 2 &&
		      e.state == SG_CLOSED && e.rstate == SG_CLOSED,
	      "%s: exact RST closes (%s/%s)", c.name, sg_state_name(e.state),
	      sg_state_name(e.rstate));
}

static void test_local_rst(int family)
{
	struct conn c = handshake_in(family, "local RST");

	step(&c, LOCAL, TH_RST | TH_ACK, 0, SG_CLOSED, SG_CLOSED, "RST out");
}

/* ---- off-path attacks on the tracker --------------------------------------- */

/* An attacker's segment that must pass to the kernel and change nothing in
 * c's entry, not even its clock or packet counts (byte for byte), counted
 * as cnt; then, if the segment ends past RCV.NXT (rst_seq: its end, else
 * 0), a RST there, where the segment would have moved the edge, must not
 * close the entry either. */
static void offpath(struct conn *c, int who, uint8_t flags, uint32_t seq, uint32_t ack, int paylen,
		    sg_cmask cnt, uint32_t rst_seq, const char *what)
{
	struct sg_ct_entry before = {}, after = {};
	int w0 = conn_entry(c, &before), w1;
	struct run *r = send_raw(c, who, flags, seq, ack, paylen);
	bool same;

	w1 = conn_entry(c, &after);
	same = w0 == w1 && !memcmp(&before, &after, sizeof(before));
	if (!passed(r, who) || !(r->delta[__builtin_ctzll(cnt)] == 1) || !same)
		diag("%s: %s: verdict %d, counters%s, entry %s (state %s/%s)", c->name, what,
		     r->verdict, deltas(r), same ? "unchanged" : "CHANGED",
		     sg_state_name(after.state), sg_state_name(after.rstate));
	check(passed(r, who) && r->delta[__builtin_ctzll(cnt)] == 1 && same,
	      "%s: %s: passed, counted %s, entry unchanged", c->name, what,
	      sg_counter_names[__builtin_ctzll(cnt)]);
	if (!rst_seq)
		return;
	r = send_raw(c, REMOTE, TH_RST, rst_seq, 0, 0);
	w1 = conn_entry(c, &after);
	check(w1 == w0 && after.state == before.state && after.rstate == before.rstate &&
		      !r->delta[SG_CNT_ct_rst_closed],
	      "%s: %s: ...a RST at its end closes nothing (%s/%s, counters%s)", c->name, what,
	      sg_state_name(after.state), sg_state_name(after.rstate), deltas(r));
}

/* Segments an off-path attacker can send for a known tuple: out of the
 * window, a new SYN or SYN-ACK, an ACK of data never sent. None of them
 * may move an edge (else a RST at the moved edge would close the entry, as
 * it once did) or a state: the kernel discards them all (tcp_sequence(),
 * RFC 5961 4.2 challenge ACKs, tcp_ack()). Each on a fresh connection. */
static void test_offpath_segments(int family)
{
	static const struct {
		const char *what;
		uint8_t flags;
		int32_t dseq, dack; /* from RCV.NXT, from the local SND.NXT */
		int paylen;
		bool outbound;
	} a[] = {
		{ "data 2^30 past the window", TH_PSH | TH_ACK, 0x40000000, 0, 100, false },
		{ "data 2^30 behind the window", TH_PSH | TH_ACK, -0x40000000, 0, 100, false },
		{ "in-window ACK of data never sent", TH_ACK, 0, 0x1000000, 0, false },
		{ "a new SYN on the established tuple", TH_SYN, 0x20000000, 0, 0, false },
		{ "a SYN-ACK on the established tuple", TH_SYN | TH_ACK, 0x20000000, 777, 0,
		  false },
		{ "a second SYN-ACK with another ISN (outbound)", TH_SYN | TH_ACK, 0x20000000, 0, 0,
		  true },
	};

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		struct conn c = a[i].outbound ? handshake_out(family, "off-path")
					      : handshake_in(family, "off-path");
		uint32_t seq, len;

		send_seg(&c, REMOTE, TH_PSH | TH_ACK, 100);
		send_seg(&c, LOCAL, TH_ACK, 0); /* RCV.NXT and the window known */
		seq = c.nxt[REMOTE] + (uint32_t)a[i].dseq;
		len = (uint32_t)a[i].paylen + !!(a[i].flags & TH_SYN);
		offpath(&c, REMOTE, a[i].flags, seq,
			a[i].flags & TH_ACK ? c.nxt[LOCAL] + (uint32_t)a[i].dack : 0, a[i].paylen,
			C(ct_seg_oow), a[i].dseq > 0 ? seq + len : 0, a[i].what);
		step(&c, REMOTE, TH_PSH | TH_ACK, 10, SG_ESTABLISHED, SG_ESTABLISHED,
		     "the real peer's data still moves it");
		step(&c, REMOTE, TH_FIN | TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_1,
		     "...and its FIN");
	}
}

/* RFC 5961 3.2: a RST counts only at exactly RCV.NXT. Data the local host
 * has not acknowledged yet moved RCV.NXT past its last ACK: a RST at that
 * ACK is in the window, inexact: challenged, nothing changes. */
/* After the remote's FIN, a RST at the FIN's own number (RCV.NXT - 1)
 * resets the kernel's socket in CLOSE_WAIT, LAST_ACK and CLOSING
 * (tcp_reset_check): the entry closes with it. */
static void test_rst_at_fin(int family)
{
	static const int states[] = { SG_CLOSE_WAIT, SG_LAST_ACK, SG_CLOSING };

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		struct conn c = conn_in_state(family, states[i]);
		struct sg_ct_entry e = {};
		struct run *r;

		r = send_raw(&c, REMOTE, TH_RST, c.nxt[REMOTE] - 1, 0, 0);
		entry_state(&c, &e);
		check(r->verdict == XDP_PASS && r->delta[SG_CNT_ct_rst_closed] == 1 &&
			      e.state == SG_CLOSED,
		      "%s: a RST at the FIN's number closes the entry (%s)", c.name,
		      sg_state_name(e.state));
	}
}

static void test_rst_exact_rcv_nxt(int family)
{
	struct conn c = handshake_in(family, "RST at RCV.NXT");
	uint32_t last_ack;
	struct run *r;

	send_seg(&c, REMOTE, TH_PSH | TH_ACK, 100);
	send_seg(&c, LOCAL, TH_ACK, 0);
	last_ack = c.nxt[REMOTE];
	send_seg(&c, REMOTE, TH_PSH | TH_ACK, 500); /* not acked yet */
	offpath(&c, REMOTE, TH_RST, last_ack, 0, 0, C(ct_rst_challenged), 0,
		"RST at our last ACK, 500 bytes behind RCV.NXT");
	r = send_raw(&c, REMOTE, TH_RST, c.nxt[REMOTE], 0, 0);
	check(r->delta[SG_CNT_ct_rst_closed] == 1,
	      "%s: a RST at exactly RCV.NXT closes (counters%s)", c.name, deltas(r));
}

/* The host answers a bad segment with a RST of its own (tcp_v4_send_reset:
 * seq = the bad ACK's ack_seq) and keeps its connection: an attacker's
 * bogus ACK to a handshake in SYN_RCVD, a bogus SYN-ACK to our SYN_SENT.
 * That RST must not delete the real handshake's entry. */
static void test_host_rst_answer(int family)
{
	struct conn c = conn_new(family, true, "host RST answer, SYN_RCVD");
	uint32_t bad;

	step(&c, REMOTE, TH_SYN, 0, SG_SYN_RCVD, SG_SYN_SENT, "SYN in");
	step(&c, LOCAL, TH_SYN | TH_ACK, 0, SG_SYN_RCVD, SG_ESTABLISHED, "SYN-ACK out");
	bad = c.nxt[LOCAL] + 0x12345;
	send_raw(&c, REMOTE, TH_ACK, c.nxt[REMOTE], bad, 0);
	expect(&c, SG_SYN_RCVD, SG_ESTABLISHED, "bogus ACK in (wrong ack)");
	send_raw(&c, LOCAL, TH_RST, bad, 0, 0);
	expect(&c, SG_SYN_RCVD, SG_ESTABLISHED, "the host's RST answering it");
	step(&c, REMOTE, TH_ACK, 0, SG_ESTABLISHED, SG_ESTABLISHED,
	     "the real ACK completes the handshake");

	c = conn_new(family, false, "host RST answer, SYN_SENT");
	step(&c, LOCAL, TH_SYN, 0, SG_SYN_SENT, SG_SYN_RCVD, "SYN out");
	bad = c.nxt[LOCAL] + 0x5555;
	send_raw(&c, REMOTE, TH_SYN | TH_ACK, c.isn[REMOTE] + 0x777, bad, 0);
	expect(&c, SG_SYN_SENT, SG_SYN_RCVD, "bogus SYN-ACK in (wrong ack)");
	send_raw(&c, LOCAL, TH_RST, bad, 0, 0);
	expect(&c, SG_SYN_SENT, SG_SYN_RCVD, "the host's RST answering it");
	step(&c, REMOTE, TH_SYN | TH_ACK, 0, SG_ESTABLISHED, SG_SYN_RCVD, "the real SYN-ACK");
	step(&c, LOCAL, TH_ACK, 0, SG_ESTABLISHED, SG_ESTABLISHED, "ACK out");
}

/* ---- XDP and TC on one entry at once --------------------------------------- */

/* One side of a race: its frame through its program, repeat times in the
 * kernel, on its own CPU, once both sides are ready. */
struct racer {
	int prog, cpu;
	bool xdp;
	struct frame f;
	uint32_t repeat, delay_us;
	atomic_int *ready;
	int err;
};

static void *race_run(void *arg)
{
	struct racer *r = arg;
	struct xdp_md ctx = { .data_end = r->f.len };
	cpu_set_t set;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->f.b, .data_size_in = r->f.len,
		    .repeat = r->repeat);

	if (r->xdp) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	atomic_fetch_add(r->ready, 1);
	while (atomic_load(r->ready) < 2)
		;
	if (r->delay_us)
		usleep(r->delay_us);
	r->err = bpf_prog_test_run_opts(r->prog, &o);
	return NULL;
}

/* A simultaneous close, its two FINs tracked at once on two CPUs: the
 * remote's by XDP (and its retransmissions, thousands of them, each a
 * full update of the entry), ours by TC egress in the middle of them.
 * Each update reads both states and writes them back: done in place
 * without care, the one that lands last undoes the other's (a FIN lost,
 * a state stuck for good). Whatever the interleaving, the result must be
 * that of either order: CLOSING on both ends, both FINs recorded. */
static void test_concurrent_updates(void)
{
	enum { TRIALS = 200 };
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), bad = 0, errs = 0;
	__u64 c0[SG_CNT_MAX], c1[SG_CNT_MAX];
	struct sg_ct_entry e;

	if (ncpu < 2) {
		diag("one CPU online: no race to run");
		check(true, "concurrent XDP + TC updates: skipped (one CPU)");
		return;
	}
	sg_counters_read(T.cnt_fd, c0);
	for (int t = 0; t < TRIALS; t++) {
		struct conn c = handshake_in(4, "race");
		struct seg in = { .seq = c.nxt[REMOTE],
				  .ack = c.nxt[LOCAL],
				  .flags = TH_FIN | TH_ACK };
		struct seg out = { .seq = c.nxt[LOCAL],
				   .ack = c.nxt[REMOTE],
				   .flags = TH_FIN | TH_ACK };
		atomic_int ready = 0;
		struct racer x = {
			.prog = T.prog, .cpu = 0, .xdp = true, .repeat = 3000, .ready = &ready
		};
		struct racer y = { .prog = T.tc_egress, .cpu = 1, .repeat = 3000, .ready = &ready };
		pthread_t tx, ty;

		frame_build(&x.f, &c.f[REMOTE], &in);
		frame_build(&y.f, &c.f[LOCAL], &out);
		pthread_create(&tx, NULL, race_run, &x);
		pthread_create(&ty, NULL, race_run, &y);
		pthread_join(tx, NULL);
		pthread_join(ty, NULL);
		errs += x.err || y.err;
		if (conn_entry(&c, &e) != 2 || e.state != SG_CLOSING || e.rstate != SG_CLOSING ||
		    !(e.local.flags & SG_CTD_FIN) || !(e.remote.flags & SG_CTD_FIN)) {
			if (!bad)
				diag("race %d: %s / remote %s, FINs local %d remote %d", t,
				     sg_state_name(e.state), sg_state_name(e.rstate),
				     !!(e.local.flags & SG_CTD_FIN),
				     !!(e.remote.flags & SG_CTD_FIN));
			bad++;
		}
	}
	sg_counters_read(T.cnt_fd, c1);
	check(!errs && !bad,
	      "concurrent XDP + TC updates of one entry: %d simultaneous closes "
	      "raced on two CPUs, each ends CLOSING / CLOSING with both FINs "
	      "(%d wrong, %d run errors, ct_state_contended +%llu)",
	      TRIALS, bad, errs,
	      (unsigned long long)(c1[SG_CNT_ct_state_contended] - c0[SG_CNT_ct_state_contended]));
}

/* ---- retransmissions, reuse, reflection ------------------------------------ */

static void test_retransmissions(int family)
{
	struct conn c = conn_new(family, true, "retransmissions");

	step(&c, REMOTE, TH_SYN, 0, SG_SYN_RCVD, SG_SYN_SENT, "SYN in");
	send_raw(&c, REMOTE, TH_SYN, c.isn[REMOTE], 0, 0);
	expect(&c, SG_SYN_RCVD, SG_SYN_SENT, "retransmitted SYN in");
	step(&c, LOCAL, TH_SYN | TH_ACK, 0, SG_SYN_RCVD, SG_ESTABLISHED, "SYN-ACK out");
	send_raw(&c, LOCAL, TH_SYN | TH_ACK, c.isn[LOCAL], c.nxt[REMOTE], 0);
	expect(&c, SG_SYN_RCVD, SG_ESTABLISHED, "retransmitted SYN-ACK out");
	step(&c, REMOTE, TH_ACK, 0, SG_ESTABLISHED, SG_ESTABLISHED, "ACK in");
	send_raw(&c, LOCAL, TH_SYN | TH_ACK, c.isn[LOCAL], c.nxt[REMOTE], 0);
	expect(&c, SG_ESTABLISHED, SG_ESTABLISHED, "SYN-ACK retransmitted after the handshake");
	send_raw(&c, REMOTE, TH_SYN, c.isn[REMOTE], 0, 0);
	expect(&c, SG_ESTABLISHED, SG_ESTABLISHED, "old SYN retransmitted after the handshake");
	step(&c, REMOTE, TH_FIN | TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_1, "FIN in");
	send_raw(&c, REMOTE, TH_FIN | TH_ACK, c.nxt[REMOTE] - 1, c.nxt[LOCAL], 0);
	expect(&c, SG_CLOSE_WAIT, SG_FIN_WAIT_1, "retransmitted FIN in");
	step(&c, LOCAL, TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_2, "ACK out");
	send_raw(&c, REMOTE, TH_FIN | TH_ACK, c.nxt[REMOTE] - 1, c.nxt[LOCAL], 0);
	expect(&c, SG_CLOSE_WAIT, SG_FIN_WAIT_2, "FIN retransmitted after our ACK");
}

/* ---- FINs the receiver would not take -------------------------------------- */

/* One FIN|ACK (or what flags say) from the remote of a fresh established
 * connection at seq (len bytes of data): taken (moves it to CLOSE_WAIT) or
 * ignored and counted ct_fin_oow, as RFC 9293 3.10.7.4 and the kernel's
 * tcp_sequence() decide. */
static void fin_case(int family, const char *what, int32_t off, int paylen, uint8_t flags,
		     bool taken)
{
	char name[64];
	struct conn c;
	struct sg_ct_entry e = {};
	struct run *r;
	int where;

	snprintf(name, sizeof(name), "FIN %s", what);
	c = handshake_in(family, name);
	send_seg(&c, REMOTE, TH_PSH | TH_ACK, 2000);
	send_seg(&c, LOCAL, TH_ACK, 0); /* RCV.NXT is now known */
	r = send_raw(&c, REMOTE, flags, c.nxt[REMOTE] + (uint32_t)off,
		     flags & TH_ACK ? c.nxt[LOCAL] : 0, paylen);
	where = conn_entry(&c, &e);
	if (taken)
		check(r->verdict == XDP_PASS && counted(r, 0) && where == 2 &&
			      e.state == SG_CLOSE_WAIT && e.rstate == SG_FIN_WAIT_1,
		      "%s: taken: CLOSE_WAIT / remote FIN_WAIT_1 (%s/%s, counters%s)", c.name,
		      sg_state_name(e.state), sg_state_name(e.rstate), deltas(r));
	else
		check(r->verdict == XDP_PASS && counted(r, C(ct_fin_oow)) && where == 2 &&
			      e.state == SG_ESTABLISHED && e.rstate == SG_ESTABLISHED &&
			      !(e.remote.flags & SG_CTD_FIN),
		      "%s: ignored, counted ct_fin_oow, still ESTABLISHED "
		      "(%s/%s, counters%s)",
		      c.name, sg_state_name(e.state), sg_state_name(e.rstate), deltas(r));
}

static void test_fin_acceptance(int family)
{
	static const struct {
		int32_t off;
		const char *what;
	} old[] = {
		{ -1, "1 behind RCV.NXT" },
		{ -1000, "1000 behind" },
		{ -100000, "100000 behind" },
		{ -0x10000000, "2^28 behind" },
		{ -0x7fff0000, "almost 2^31 behind" },
	};
	char what[64];

	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		snprintf(what, sizeof(what), "old, %s", old[i].what);
		fin_case(family, what, old[i].off, 0, TH_FIN | TH_ACK, false);
	}
	fin_case(family, "with 1000 bytes ending 500 behind", -1500, 1000, TH_FIN | TH_ACK, false);
	fin_case(family, "beyond the window", 0x40000000, 0, TH_FIN | TH_ACK, false);
	fin_case(family, "without ACK (the kernel drops it)", 0, 0, TH_FIN, false);
	fin_case(family, "at RCV.NXT", 0, 0, TH_FIN | TH_ACK, true);
	fin_case(family, "in the window, after a gap", 3000, 0, TH_FIN | TH_ACK, true);
	fin_case(family, "with data overlapping RCV.NXT", -500, 1000, TH_FIN | TH_ACK, true);
	fin_case(family, "with data ending just at RCV.NXT", -1000, 1000, TH_FIN | TH_ACK, true);
}

/* A FIN before the handshake completed: the kernel takes it only with the
 * ACK of its SYN-ACK (the client's third segment lost), so must we. */
static void test_fin_syn_rcvd(int family)
{
	struct conn c = conn_new(family, true, "FIN in SYN_RCVD");
	struct run *r;

	send_seg(&c, REMOTE, TH_SYN, 0);
	send_seg(&c, LOCAL, TH_SYN | TH_ACK, 0);
	r = send_raw(&c, REMOTE, TH_FIN | TH_ACK, c.nxt[REMOTE], c.nxt[LOCAL] + 777, 0);
	check(r->verdict == XDP_PASS && counted(r, C(ct_fin_oow)),
	      "%s: FIN not acking our SYN-ACK: ignored, counted (%s)", c.name, deltas(r));
	expect(&c, SG_SYN_RCVD, SG_ESTABLISHED, "...stays embryonic");
	send_raw(&c, REMOTE, TH_ACK, c.nxt[REMOTE], c.nxt[LOCAL] - 1, 0);
	expect(&c, SG_SYN_RCVD, SG_ESTABLISHED, "an ACK short of our SYN-ACK: still SYN_RCVD");
	send_raw(&c, REMOTE, TH_ACK, c.nxt[REMOTE], c.nxt[LOCAL] + 0x1000000, 0);
	expect(&c, SG_SYN_RCVD, SG_ESTABLISHED, "an ACK of what we never sent: still SYN_RCVD");
	step(&c, REMOTE, TH_FIN | TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_1,
	     "FIN acking our SYN-ACK: CLOSE_WAIT");
}

/* Retransmitted FINs never count as new nor as out of window. */
static void test_fin_retransmitted(int family)
{
	struct conn c = handshake_in(family, "FIN retransmitted");
	struct run *r;

	step(&c, REMOTE, TH_FIN | TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_1, "FIN in");
	step(&c, LOCAL, TH_ACK, 0, SG_CLOSE_WAIT, SG_FIN_WAIT_2, "ACK out");
	r = send_raw(&c, REMOTE, TH_FIN | TH_ACK, c.nxt[REMOTE] - 1, c.nxt[LOCAL], 0);
	check(r->verdict == XDP_PASS && counted(r, 0), "%s: the same FIN again: no counter (%s)",
	      c.name, deltas(r));
	expect(&c, SG_CLOSE_WAIT, SG_FIN_WAIT_2, "...no regression");
}

/* A listener on port for both families, in the test's own netns; -1 if
 * none could be made. */
static int listen_on_port(uint16_t port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), off = 0, one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A SYN past a TIME_WAIT's sequence ends it only where a listener takes
 * it; with none, the kernel keeps its TIME_WAIT socket (TCP_TW_SYN). */
static void test_time_wait_reuse(int family)
{
	struct conn c = conn_in_state(family, SG_TIME_WAIT);
	struct sg_ct_entry before, after;
	struct run *r;
	int lfd;

	snprintf(c.name, sizeof(c.name), "IPv%d TIME_WAIT reuse", family);
	expect(&c, SG_TIME_WAIT, SG_LAST_ACK, "closed by us first");
	/* an old duplicate SYN (sequence behind the old connection) */
	send_raw(&c, REMOTE, TH_SYN, c.isn[REMOTE], 0, 0);
	expect(&c, SG_TIME_WAIT, SG_LAST_ACK, "old SYN changes nothing");
	/* a new incarnation: sequence past the old one (RFC 6191) */
	c.isn[REMOTE] = c.nxt[REMOTE] + 100000;
	c.nxt[REMOTE] = c.isn[REMOTE];
	conn_entry(&c, &before);
	r = send_seg(&c, REMOTE, TH_SYN, 0);
	check(r->verdict == XDP_PASS && r->delta[SG_CNT_ct_created] == 0 &&
		      r->delta[SG_CNT_ct_seg_oow] == 1 && conn_entry(&c, &after) &&
		      !memcmp(&before, &after, sizeof(after)),
	      "%s: with no listener, the new SYN passes and the entry stays, untouched", c.name);
	lfd = listen_on_port(PORT);
	if (lfd < 0)
		diag("%s: listen on port %d: %s", c.name, PORT, strerror(errno));
	r = send_seg(&c, REMOTE, TH_SYN, 0);
	if (lfd >= 0)
		close(lfd);
	check(r->verdict == XDP_PASS && r->delta[SG_CNT_ct_created] == 1,
	      "%s: with a listener, the new SYN starts a new entry", c.name);
	expect(&c, SG_SYN_RCVD, SG_SYN_SENT, "new SYN in");
	c.isn[LOCAL] += 0x01000000;
	c.nxt[LOCAL] = c.isn[LOCAL];
	step(&c, LOCAL, TH_SYN | TH_ACK, 0, SG_SYN_RCVD, SG_ESTABLISHED, "SYN-ACK out");
	step(&c, REMOTE, TH_ACK, 0, SG_ESTABLISHED, SG_ESTABLISHED, "ACK in");
}

/* A SYN past a TIME_WAIT's sequence with a bad checksum: the kernel drops
 * it before it looks for the socket, listener or not; the entry stays. */
static void test_time_wait_bad_csum(int family)
{
	struct conn c = conn_in_state(family, SG_TIME_WAIT);
	struct sg_ct_entry before, after;
	struct frame f;
	struct run r;
	int l4, lfd;

	snprintf(c.name, sizeof(c.name), "IPv%d TIME_WAIT bad checksum", family);
	l4 = seg_frame(&f, &c, REMOTE, TH_SYN, c.nxt[REMOTE] + 100000, 0, 0);
	f.b[l4 + 16] ^= 0x5a;
	conn_entry(&c, &before);
	lfd = listen_on_port(PORT);
	if (lfd < 0)
		diag("%s: listen on port %d: %s", c.name, PORT, strerror(errno));
	xdp_run(&f, &r);
	if (lfd >= 0)
		close(lfd);
	check(r.verdict == XDP_PASS && r.delta[SG_CNT_ct_created] == 0 && conn_entry(&c, &after) &&
		      !memcmp(&before, &after, sizeof(after)),
	      "%s: with a listener, the SYN leaves the entry untouched", c.name);
}

/* A SYN+RST past a TIME_WAIT's sequence: the kernel ignores it
 * (tcp_timewait_state_process: TCP_TW_SYN needs !th->rst), listener or
 * not; the tracker must keep its TIME_WAIT entry in both cases. On an
 * unprotected port (track=all): a protected one drops SYN+RST first. */
static void test_time_wait_synrst(int family)
{
	struct conn c = conn_new(family, true, "TIME_WAIT SYN+RST");
	struct sg_ct_entry after;
	struct run *r;
	int lfd, w;

	c.f[REMOTE].dport = 9;
	c.f[LOCAL] = flow_reverse(&c.f[REMOTE]);
	send_seg(&c, REMOTE, TH_SYN, 0);
	send_seg(&c, LOCAL, TH_SYN | TH_ACK, 0);
	send_seg(&c, REMOTE, TH_ACK, 0);
	send_seg(&c, LOCAL, TH_FIN | TH_ACK, 0);
	send_seg(&c, REMOTE, TH_ACK, 0);
	send_seg(&c, REMOTE, TH_FIN | TH_ACK, 0);
	expect(&c, SG_TIME_WAIT, SG_LAST_ACK, "closed by us first");
	lfd = listen_on_port(9);
	if (lfd < 0)
		diag("%s: listen on port 9: %s", c.name, strerror(errno));
	r = send_raw(&c, REMOTE, TH_SYN | TH_RST, c.nxt[REMOTE] + 100000, 0, 0);
	if (lfd >= 0)
		close(lfd);
	w = conn_entry(&c, &after);
	check(w == 2 && after.state == SG_TIME_WAIT && r->delta[SG_CNT_ct_created] == 0,
	      "%s: with a listener, the entry stays TIME_WAIT (where %d, state %s, created %llu)",
	      c.name, w, sg_state_name(after.state),
	      (unsigned long long)r->delta[SG_CNT_ct_created]);
}

/* The listener lookup missed a listener the kernel found (sk_lookup
 * steering by source, a device the XDP lookup does not match...): the
 * tracker kept TIME_WAIT, and the kernel answers with a SYN-ACK. With
 * kernel syncookies that SYN-ACK leaves with no socket (kstate unknown at
 * tc egress): does the tracker still follow the new connection? */
static void test_time_wait_missed_listener(int family)
{
	struct conn c = conn_in_state(family, SG_TIME_WAIT);
	struct sg_ct_entry e;
	struct run *r;

	snprintf(c.name, sizeof(c.name), "IPv%d TIME_WAIT missed listener", family);
	c.isn[REMOTE] = c.nxt[REMOTE] + 100000;
	c.nxt[REMOTE] = c.isn[REMOTE];
	send_seg(&c, REMOTE, TH_SYN, 0);
	expect(&c, SG_TIME_WAIT, SG_LAST_ACK, "new SYN, no listener found");
	c.isn[LOCAL] += 0x01000000;
	c.nxt[LOCAL] = c.isn[LOCAL];
	send_seg(&c, LOCAL, TH_SYN | TH_ACK, 0);
	conn_entry(&c, &e);
	diag("%s: after SYN-ACK out: %s/%s", c.name, sg_state_name(e.state),
	     sg_state_name(e.rstate));
	send_seg(&c, REMOTE, TH_ACK, 0);
	r = send_seg(&c, REMOTE, TH_ACK, 100);
	conn_entry(&c, &e);
	check(e.state == SG_ESTABLISHED,
	      "%s: the kernel's new connection is ESTABLISHED in the tracker (%s/%s, oow %llu)",
	      c.name, sg_state_name(e.state), sg_state_name(e.rstate),
	      (unsigned long long)r->delta[SG_CNT_ct_seg_oow]);
}

static void test_unsolicited_synack(int family)
{
	struct conn c = conn_new(family, false, "unsolicited SYN-ACK");
	struct sg_ct_entry e;
	struct run *r;

	r = send_seg(&c, REMOTE, TH_SYN | TH_ACK, 0);
	check(r->verdict == XDP_DROP && r->delta[SG_CNT_drop_synack_unsolicited] == 1 &&
		      !conn_entry(&c, &e),
	      "%s: dropped, counted, nothing tracked (%s)", c.name, verdict_name(r->verdict));
	r = send_seg(&c, REMOTE, TH_ACK, 0);
	check(r->verdict == XDP_PASS && !conn_entry(&c, &e),
	      "%s: a stray ACK to an unprotected port creates nothing", c.name);
}

/* ---- expiry and gauges ----------------------------------------------------- */

/* Waits until the tracker's clock (sg_ct_now: the coarse one, moving a
 * tick at a time) is past ns, a second at most. */
static void tracker_clock_past(__u64 ns)
{
	for (int i = 0; i < 1000 && sg_coarse_now_ns() <= ns; i++)
		usleep(1000);
}

static void test_expiry(int family)
{
	struct conn c = handshake_in(family, "expiry");
	struct sg_ct_entry e;
	struct sg_walk_args w;
	__u64 c0[SG_CNT_MAX], c1[SG_CNT_MAX];
	struct run *r;

	T.cfg.timeout_s[SG_ESTABLISHED] = 0;
	config_apply();
	conn_entry(&c, &e);
	tracker_clock_past(e.last_ns);
	r = send_seg(&c, REMOTE, TH_ACK, 10);
	conn_entry(&c, &e);
	check(r->verdict == XDP_PASS && r->delta[SG_CNT_ack_unchecked] == 1 && e.pkts_in == 2,
	      "%s: an expired entry is absent to the data path (ACK unchecked, "
	      "entry untouched: %u packets in)",
	      c.name, e.pkts_in);
	sg_counters_read(T.cnt_fd, c0);
	check(!sg_walk_run(bpf_program__fd(T.skel->progs.sg_walk), 1, &w) && w.expired >= 1 &&
		      !conn_entry(&c, &e),
	      "%s: the sweep removes it (%llu expired)", c.name, (unsigned long long)w.expired);
	sg_counters_read(T.cnt_fd, c1);
	check(c1[SG_CNT_ct_expired] - c0[SG_CNT_ct_expired] == w.expired,
	      "%s: ...and counts what it removed in ct_expired (+%llu)", c.name,
	      (unsigned long long)(c1[SG_CNT_ct_expired] - c0[SG_CNT_ct_expired]));
	T.cfg.timeout_s[SG_ESTABLISHED] = 432000;
	config_apply();
}

/* The sweeper reads its clock, then walks: a packet that touches an entry
 * in between leaves last_ns after the walk's now. That entry is live. */
static void test_expiry_race(int family)
{
	struct conn c = handshake_in(family, "expiry race");
	struct sg_walk_args w = {};
	struct sg_ct_entry e;
	int err;
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &w, .ctx_size_in = sizeof(w));

	send_seg(&c, REMOTE, TH_ACK, 10);
	if (!check(conn_entry(&c, &e), "%s: tracked", c.name))
		return;
	w.now_ns = e.last_ns - 1000; /* read just before the packet came */
	w.delete_expired = 1;
	err = bpf_prog_test_run_opts(bpf_program__fd(T.skel->progs.sg_walk), &o);
	check(!err && !o.retval && w.expired == 0 && w.states[SG_ESTABLISHED] >= 1 &&
		      conn_entry(&c, &e),
	      "%s: an entry touched after the sweeper's clock read is neither "
	      "expired nor removed (%llu expired)",
	      c.name, (unsigned long long)w.expired);
}

static void tables_clear(void)
{
	int fds[2] = { T.ct_synced, T.ct_embryonic };
	struct sg_ct_key k;

	for (int i = 0; i < 2; i++)
		while (!bpf_map_get_next_key(fds[i], NULL, &k))
			bpf_map_delete_elem(fds[i], &k);
}

/* A known mix of states: the in-kernel walk must count exactly it. */
static void test_gauges(void)
{
	static const int mix[] = {
		SG_ESTABLISHED, SG_ESTABLISHED, SG_ESTABLISHED, SG_SYN_RCVD,   SG_SYN_RCVD,
		SG_SYN_SENT,    SG_FIN_WAIT_1,  SG_FIN_WAIT_2,  SG_FIN_WAIT_2, SG_CLOSE_WAIT,
		SG_LAST_ACK,    SG_CLOSING,     SG_TIME_WAIT,   SG_TIME_WAIT,
	};
	__u64 want[SG_STATE_MAX] = {};
	struct sg_walk_args w;
	bool same = true;

	tables_clear();
	for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
		conn_in_state(i % 2 ? 6 : 4, mix[i]);
		want[mix[i]]++;
	}
	if (!check(!sg_walk_run(bpf_program__fd(T.skel->progs.sg_walk), 0, &w),
		   "gauges: sg_walk runs"))
		return;
	/* the harness's SYN-ACKs leave with no socket, as a syncookie's: its
	 * SYN_RCVD entries are unconfirmed, outside the gauge */
	same = w.unconfirmed == want[SG_SYN_RCVD];
	want[SG_SYN_RCVD] = 0;
	for (int s = 0; s < SG_STATE_MAX; s++) {
		if (w.states[s] != want[s])
			diag("gauges: %s walk %llu want %llu", sg_state_name((unsigned)s),
			     (unsigned long long)w.states[s], (unsigned long long)want[s]);
		same &= w.states[s] == want[s];
	}
	check(same && w.embryonic == 3 && w.synced == 11,
	      "gauges: the table walk counts every state exactly "
	      "(%llu embryonic, %llu synchronized, %u SYN_RCVD unconfirmed)",
	      (unsigned long long)w.embryonic, (unsigned long long)w.synced, w.unconfirmed);
}

/* A SYN_RCVD entry counts in the gauge once the kernel holds a request
 * socket for it (SG_CT_REQSK, set where the kernel's SYN-ACK leaves with
 * one: tests/integration/ct_accuracy.sh); one without lives a second. */
static void test_unconfirmed(int family)
{
	struct conn held, bare;
	struct sg_ct_key k;
	__u64 c0[SG_CNT_MAX], c1[SG_CNT_MAX];
	struct sg_walk_args w;
	struct sg_ct_entry e, b;
	int fd = bpf_program__fd(T.skel->progs.sg_walk);

	tables_clear();
	held = conn_in_state(family, SG_SYN_RCVD);
	bare = conn_in_state(family, SG_SYN_RCVD);
	k = conn_key(&held);
	if (!check(conn_entry(&held, &e) == 1 && !(e.flags & SG_CT_REQSK) &&
			   conn_entry(&bare, &b) == 1,
		   "IPv%d: a SYN_RCVD entry whose SYN-ACK left with no socket is "
		   "unconfirmed",
		   family))
		return;
	e.flags |= SG_CT_REQSK;
	bpf_map_update_elem(T.ct_embryonic, &k, &e, BPF_EXIST);
	sg_walk_run(fd, 0, &w);
	check(w.states[SG_SYN_RCVD] == 1 && w.unconfirmed == 1,
	      "IPv%d: the gauge counts the confirmed one (%llu), not the other "
	      "(%u unconfirmed)",
	      family, (unsigned long long)w.states[SG_SYN_RCVD], w.unconfirmed);
	sg_counters_read(T.cnt_fd, c0);
	memset(&w, 0, sizeof(w));
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &w, .ctx_size_in = sizeof(w));

		w.now_ns = b.last_ns + SG_CT_UNCONFIRMED_NS + 1000;
		w.delete_expired = 1;
		bpf_prog_test_run_opts(fd, &o);
	}
	sg_counters_read(T.cnt_fd, c1);
	check(conn_entry(&held, &e) == 1 && !conn_entry(&bare, &e) &&
		      c1[SG_CNT_ct_unconfirmed_expired] - c0[SG_CNT_ct_unconfirmed_expired] == 1 &&
		      c1[SG_CNT_ct_expired] == c0[SG_CNT_ct_expired],
	      "IPv%d: a second on, the sweep removes the unconfirmed one "
	      "(ct_unconfirmed_expired +%llu) and keeps the confirmed one",
	      family,
	      (unsigned long long)(c1[SG_CNT_ct_unconfirmed_expired] -
				   c0[SG_CNT_ct_unconfirmed_expired]));
	/* one SYN-ACK sent: the kernel's next is due a second after it, and
	 * without one by then (plus its timer's rounding) it kept nothing */
	memset(&w, 0, sizeof(w));
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &w, .ctx_size_in = sizeof(w));

		w.now_ns = e.last_ns + sg_ct_synack_due_ns(&e) + 1000;
		w.delete_expired = 1;
		bpf_prog_test_run_opts(fd, &o);
	}
	check(e.pkts_out == 1 && !conn_entry(&held, &e) && w.expired == 1,
	      "IPv%d: the confirmed one goes once the kernel's SYN-ACK retry is "
	      "%.3f s overdue, not at timeout.SYN_RCVD (%u s)",
	      family, (double)sg_ct_synack_due_ns(&e) / 1e9, T.cfg.timeout_s[SG_SYN_RCVD]);
}

/* The kernel's timer wheel, worked through by hand from the rules of
 * kernel/time/timer.c (calc_wheel_index): the level by delta, the bucket
 * after the expiry's at that level's granularity. */
static void test_wheel(void)
{
	static const struct {
		__u64 now, delta, fires;
	} c[] = {
		{ 0, 10, 11 }, /* level 0: the next jiffy        */
		{ 0, 62, 63 },
		{ 0, 63, 64 },                /* level 1, 8 jiffies             */
		{ 512 * 1000, 15000, 15360 }, /* 60 s at HZ=250: level 3 */
		{ 512 * 1000 + 100, 15000, 15260 },
		{ 512 * 1000 + 511, 15000, 15361 }, /* late in a jiffy's bucket */
		{ 4096 * 77, 60000, 61440 },        /* 60 s at HZ=1000: level 4 */
		{ 0, 0, 1 },                        /* timeout 0: the next jiffy */
		{ 0, 503, 504 },                    /* the last of level 1 */
		{ 0, 504, 512 },                    /* the first of level 2 */
		{ 0, 63ull << 21, 1ull << 27 },     /* the last level */
		/* past the kernel's cap (WHEEL_TIMEOUT_MAX), but beyond timer_ms (u32 ms) too */
		{ 0, 1ull << 40, (1ull << 40) + (1ull << 24) },
		{ ~0ull, 0, 1 }, /* jiffies wrap */
		{ ~0ull - 99, 15000, 15460 },
	};
	bool ok = true;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		__u64 got = sg_wheel_fires_in(c[i].now, c[i].delta);

		if (got != c[i].fires)
			diag("wheel: now %llu delta %llu: %llu, want %llu",
			     (unsigned long long)c[i].now, (unsigned long long)c[i].delta,
			     (unsigned long long)got, (unsigned long long)c[i].fires);
		ok &= got == c[i].fires;
	}
	check(ok, "wheel: timers fire at their bucket, as the kernel's wheel does");
	/* a kept bucket applies only while within a bucket of the timeout */
	check(sg_ct_timer_fits(60672, 60000000000ull) && !sg_ct_timer_fits(60672, 1000000000ull) &&
		      !sg_ct_timer_fits(0, 60000000000ull) && sg_ct_timer_fits(0, 0) &&
		      !sg_ct_timer_fits(4, 0) &&
		      !sg_ct_timer_fits(~0u, 0xffffffffull * 1000000000ull),
	      "wheel: a timer fits its timeout only within a bucket (0, lowered, huge)");
}

/* One walk of the tables at now (CLOCK_MONOTONIC ns), removing what
 * expired. */
static void walk_at(__u64 now, struct sg_walk_args *w)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = w, .ctx_size_in = sizeof(*w));

	memset(w, 0, sizeof(*w));
	w->now_ns = now;
	w->delete_expired = 1;
	bpf_prog_test_run_opts(bpf_program__fd(T.skel->progs.sg_walk), &o);
}

/* A TIME_WAIT entry lives until the kernel's TIME_WAIT timer fires: when
 * its timer-wheel bucket comes round, up to a bucket past
 * timeout.TIME_WAIT (8^n jiffies at level n, at most 8/63 of the timeout),
 * not a moment less; an ACK from the remote rearms it, as it does the
 * kernel's, and what the host sends does not. */
static void test_time_wait_timer(int family)
{
	__u64 t = (__u64)T.cfg.timeout_s[SG_TIME_WAIT] * 1000, at;
	struct sg_walk_args w;
	struct sg_ct_entry e, e2;
	struct conn c;

	tables_clear();
	c = conn_in_state(family, SG_TIME_WAIT);
	snprintf(c.name, sizeof(c.name), "IPv%d TIME_WAIT timer", family);
	if (!check(conn_entry(&c, &e) == 2 && e.state == SG_TIME_WAIT, "%s: in TIME_WAIT", c.name))
		return;
	check(e.timer_ms >= t && e.timer_ms <= t + t * 8 / 63 + 1,
	      "%s: the kernel's timer fires %u ms after the FIN in "
	      "(timeout %llu ms, plus at most a bucket)",
	      c.name, e.timer_ms, (unsigned long long)t);
	tracker_clock_past(e.last_ns);
	send_seg(&c, LOCAL, TH_ACK, 0);
	conn_entry(&c, &e2);
	check(e2.last_ns == e.last_ns && e2.timer_ms == e.timer_ms,
	      "%s: the host's ACK does not rearm it", c.name);
	send_raw(&c, REMOTE, TH_FIN | TH_ACK, c.nxt[REMOTE] - 1, c.nxt[LOCAL], 0);
	conn_entry(&c, &e2);
	check(e2.last_ns > e.last_ns && e2.timer_ms >= t && e2.timer_ms <= t + t * 8 / 63 + 1,
	      "%s: the remote's FIN again rearms it (%u ms from then)", c.name, e2.timer_ms);
	/* an off-path ACK, far out of the window, rearms the kernel's timer
	 * too (tcp_timewait_state_process): the entry must not go first */
	e = e2;
	tracker_clock_past(e.last_ns);
	send_raw(&c, REMOTE, TH_ACK, c.nxt[REMOTE] + 0x40000000u, c.nxt[LOCAL] + 0x40000000u, 0);
	conn_entry(&c, &e2);
	check(e2.state == SG_TIME_WAIT && e2.last_ns > e.last_ns && e2.timer_ms >= t &&
		      e2.timer_ms <= t + t * 8 / 63 + 1,
	      "%s: an out-of-window ACK rearms it as it does the kernel's", c.name);
	e = e2;
	send_raw(&c, REMOTE, TH_RST | TH_ACK, c.nxt[REMOTE] + 0x40000000u, c.nxt[LOCAL], 0);
	conn_entry(&c, &e2);
	check(e2.state == SG_TIME_WAIT && e2.last_ns == e.last_ns,
	      "%s: an out-of-window RST neither ends nor rearms it", c.name);
	at = e2.last_ns + (__u64)e2.timer_ms * 1000000;
	walk_at(at, &w);
	check(conn_entry(&c, &e) == 2 && w.states[SG_TIME_WAIT] == 1 && !w.expired,
	      "%s: live and counted when its bucket fires", c.name);
	walk_at(at + 1000000, &w);
	check(!conn_entry(&c, &e) && w.expired == 1, "%s: expired a millisecond later", c.name);
	/* a timeout lowered since applies at once, not at the old bucket */
	c = conn_in_state(family, SG_TIME_WAIT);
	snprintf(c.name, sizeof(c.name), "IPv%d TIME_WAIT timer", family);
	conn_entry(&c, &e);
	T.cfg.timeout_s[SG_TIME_WAIT] = 1;
	config_apply();
	walk_at(e.last_ns + 1001000000ull, &w);
	check(!conn_entry(&c, &e2) && w.expired == 1,
	      "%s: timeout.TIME_WAIT lowered to 1 s expires it a second on", c.name);
	T.cfg.timeout_s[SG_TIME_WAIT] = (__u32)(t / 1000);
	config_apply();
}

/* A request socket's SYN-ACK timer: each SYN-ACK it sends rearms it for
 * the next, 1 s doubled per SYN-ACK before; the entry expires when the
 * wheel's bucket for it fires, plus the time sending takes, not before. */
static void test_synack_timer(int family)
{
	struct conn c;
	struct sg_ct_key k;
	struct sg_ct_entry e;
	struct sg_walk_args w;
	__u64 at;

	tables_clear();
	c = conn_in_state(family, SG_SYN_RCVD);
	snprintf(c.name, sizeof(c.name), "IPv%d SYN-ACK timer", family);
	k = conn_key(&c);
	if (!check(conn_entry(&c, &e) == 1 && !e.timer_ms,
		   "%s: no timer for a SYN-ACK that left with no socket", c.name))
		return;
	e.flags |= SG_CT_REQSK;
	bpf_map_update_elem(T.ct_embryonic, &k, &e, BPF_EXIST);
	/* the kernel's second SYN-ACK: the timer now runs 2 s */
	send_raw(&c, LOCAL, TH_SYN | TH_ACK, c.isn[LOCAL], c.nxt[REMOTE], 0);
	conn_entry(&c, &e);
	check(e.pkts_out == 2 && e.timer_ms >= 2000 && e.timer_ms <= 2000 + 2000 * 8 / 63 + 1,
	      "%s: the second SYN-ACK arms 2 s, fired by the wheel %u ms on", c.name, e.timer_ms);
	at = e.last_ns + (__u64)e.timer_ms * 1000000 + SG_CT_SYNACK_SLACK_NS;
	walk_at(at, &w);
	check(conn_entry(&c, &e) == 1 && w.states[SG_SYN_RCVD] == 1,
	      "%s: live and counted until then", c.name);
	walk_at(at + 1000000, &w);
	check(!conn_entry(&c, &e) && w.expired == 1, "%s: expired a millisecond later", c.name);
}

/* ---- the tracker filter across sweeps -------------------------------------- */

/* The live bitmap of sg_ct_bits: how many bits are set in the words in
 * use, and its size (include/synguard.h). */
static int filter_bits(unsigned *words)
{
	__u32 key = 0, n = (bpf_map__max_entries(T.skel->maps.sg_ct_bits) - 1) / 2;
	int fd = bpf_map__fd(T.skel->maps.sg_ct_bits), bits = 0;
	__u64 ctl, w;
	unsigned gen, lg;

	if (bpf_map_lookup_elem(fd, &key, &ctl))
		return -1;
	gen = ctl & SG_BITS_GEN;
	lg = (ctl >> SG_BITS_LG_SHIFT(gen)) & 31;
	*words = lg && (1u << lg) < n ? 1u << lg : n;
	for (__u32 i = 0; i < *words; i++) {
		key = 1 + gen * n + i;
		if (bpf_map_lookup_elem(fd, &key, &w))
			return -1;
		bits += __builtin_popcountll(w);
	}
	return bits;
}

/* With cookie mode on, a SYN on each of n tracked flows: how many were
 * passed to the kernel, as they must be (a TIME_WAIT reuse, a restarted
 * peer), and not answered with a cookie. */
static int syns_passed(struct conn *c, int n)
{
	int pass = 0;

	T.cfg.cookie_active = 1;
	config_apply();
	for (int i = 0; i < n; i++) {
		struct run *r = send_raw(&c[i], REMOTE, TH_SYN, c[i].nxt[REMOTE] + 100000, 0, 0);

		pass += r->verdict == XDP_PASS && r->delta[SG_CNT_syn_passed] == 1;
	}
	T.cfg.cookie_active = 0;
	config_apply();
	return pass;
}

/* The filter that lets other SYNs skip the tables must know every live
 * entry: as soon as it is made, and after any number of sweeps, each of
 * which rebuilds it; it then holds no more bits than entries, sized to
 * them; once they expire, a sweep empties it. */
static void test_filter(void)
{
	enum { N = 48 };
	int walk = bpf_program__fd(T.skel->progs.sg_walk);
	struct sg_config saved = T.cfg;
	struct conn c[N], fresh;
	int pass, bits;
	unsigned words;
	struct sg_walk_args w;
	struct run *r;

	tables_clear();
	for (int i = 0; i < N; i++)
		c[i] = handshake_in(i % 2 ? 6 : 4, "filter");
	pass = syns_passed(c, N);
	check(pass == N,
	      "filter: cookie mode on, a SYN on each of %d tracked "
	      "flows passes to the kernel (%d did)",
	      N, pass);
	for (int i = 0; i < 3; i++)
		sg_walk_run(walk, 1, &w);
	bits = filter_bits(&words);
	check(bits > 0 && bits <= N && words == 1u << SG_BITS_MIN_LG,
	      "filter: after 3 sweeps, %d bits for %d entries in %u words", bits, N, words);
	pass = syns_passed(c, N);
	check(pass == N,
	      "filter: after the sweeps, still every one of %d "
	      "(%d)",
	      N, pass);
	T.cfg.cookie_active = 1;
	config_apply();
	fresh = conn_new(4, true, "filter");
	r = send_seg(&fresh, REMOTE, TH_SYN, 0);
	check(r->verdict == XDP_TX && r->delta[SG_CNT_syn_cookies_sent] == 1,
	      "filter: a SYN of an untracked flow gets a cookie (%s)", verdict_name(r->verdict));
	T.cfg.cookie_active = 0;
	for (int s = 0; s < SG_STATE_MAX; s++)
		T.cfg.timeout_s[s] = 0;
	config_apply();
	usleep(1000);
	sg_walk_run(walk, 1, &w);
	sg_walk_run(walk, 1, &w);
	bits = filter_bits(&words);
	check(bits == 0 && w.synced + w.embryonic == 0,
	      "filter: once every entry expired and was swept, no bit is left "
	      "(%d)",
	      bits);
	T.cfg = saved;
	config_apply();
}

/* ---- floods into small tables --------------------------------------------- */

/* What follows each flood SYN: nothing (a plain SYN flood), or segments
 * that would once have closed or synchronized the entry, so that it moved
 * into the synchronized table and pushed established ones out. */
enum flood_kind {
	FLOOD_SYN,         /* bare SYNs                                         */
	FLOOD_SYN_RST,     /* + a spoofed exact RST (seq = ISN + 1)              */
	FLOOD_CLOSED_PORT, /* SYN scan of a closed port: the host's RST+ACK      */
	FLOOD_SYN_FIN,     /* + the host's SYN-ACK, then a FIN not acking it     */
	FLOOD_SYN_ACK,     /* + the host's SYN-ACK, then a blind ACK             */
};

static const char *const flood_names[] = {
	[FLOOD_SYN] = "SYN flood",
	[FLOOD_SYN_RST] = "SYN + spoofed exact RST flood",
	[FLOOD_CLOSED_PORT] = "SYN scan of a closed port (host RST+ACK, track=all)",
	[FLOOD_SYN_FIN] = "SYN + FIN not acking the SYN-ACK flood",
	[FLOOD_SYN_ACK] = "SYN + blind ACK flood",
};

static void flood_one(enum flood_kind k, int i)
{
	struct conn c = conn_new(i % 2 ? 6 : 4, true, "flood");

	if (k == FLOOD_CLOSED_PORT) {
		c.f[REMOTE].dport = 9; /* not protected, nobody listens */
		c.f[LOCAL] = flow_reverse(&c.f[REMOTE]);
	}
	send_seg(&c, REMOTE, TH_SYN, 0);
	switch (k) {
	case FLOOD_SYN:
		break;
	case FLOOD_SYN_RST:
		send_seg(&c, REMOTE, TH_RST, 0);
		break;
	case FLOOD_CLOSED_PORT:
		send_raw(&c, LOCAL, TH_RST | TH_ACK, 0, c.nxt[REMOTE], 0);
		break;
	case FLOOD_SYN_FIN:
	case FLOOD_SYN_ACK:
		send_seg(&c, LOCAL, TH_SYN | TH_ACK, 0);
		/* the attacker cannot see the SYN-ACK: any other number */
		send_raw(&c, REMOTE, k == FLOOD_SYN_FIN ? TH_FIN | TH_ACK : TH_ACK, c.nxt[REMOTE],
			 c.nxt[LOCAL] + 1 + (uint32_t)i * 2654435761u, 0);
		break;
	}
}

/* Established connections survive any of these floods into tables of
 * T.ct_size entries: only embryonic entries make room for the flood's. */
static void test_flood_keeps_established(enum flood_kind k)
{
	enum { LIVE = 40, FLOOD = 4000 };
	struct conn live[LIVE];
	struct sg_walk_args w;
	__u64 full0, full;
	__u64 cnt[SG_CNT_MAX];
	int kept = 0;

	tables_clear();
	for (int i = 0; i < LIVE; i++)
		live[i] = handshake_in(i % 2 ? 6 : 4, "flood victim");
	sg_counters_read(T.cnt_fd, cnt);
	full0 = cnt[SG_CNT_ct_table_full];
	for (int i = 0; i < FLOOD; i++)
		flood_one(k, i);
	sg_counters_read(T.cnt_fd, cnt);
	full = cnt[SG_CNT_ct_table_full] - full0;
	for (int i = 0; i < LIVE; i++) {
		struct sg_ct_entry e;

		kept += conn_entry(&live[i], &e) == 2 && e.state == SG_ESTABLISHED;
	}
	sg_walk_run(bpf_program__fd(T.skel->progs.sg_walk), 0, &w);
	check(kept == LIVE && full == 0 && w.synced == LIVE,
	      "%s of %d into %u-entry tables: %d/%d established kept, "
	      "synchronized table holds them alone (%llu), ct_table_full %llu",
	      flood_names[k], FLOOD, T.ct_size, kept, LIVE, (unsigned long long)w.synced,
	      (unsigned long long)full);
	if (k == FLOOD_SYN || k == FLOOD_SYN_FIN || k == FLOOD_SYN_ACK)
		check(w.embryonic <= T.ct_size && w.embryonic > T.ct_size / 2 &&
			      w.unconfirmed == w.embryonic && !w.states[SG_SYN_RCVD],
		      "%s: embryonic table full of SYN_RCVD (%llu), evicting "
		      "only its own; none has a request socket, the gauge "
		      "counts none",
		      flood_names[k], (unsigned long long)w.embryonic);
	else
		check(w.embryonic == 0,
		      "%s: each closed before it synchronized: no entry left "
		      "(%llu embryonic)",
		      flood_names[k], (unsigned long long)w.embryonic);
}

int main(void)
{
	T.ct_size = 512;
	if (!check(!setup("mode=off"), "load the programs, cookie mode off"))
		return 1;
	for (int family = 4; family <= 6; family += 2) {
		handshake_in(family, "inbound handshake");
		handshake_out(family, "outbound handshake");
		test_simultaneous_open(family);
		test_close_local_first(family);
		test_close_remote_first(family);
		test_three_segment_close(family);
		test_simultaneous_close(family);
		test_half_close(family);
		for (int st = SG_SYN_SENT; st < SG_CLOSED; st++)
			test_rst(family, st);
		test_local_rst(family);
		test_offpath_segments(family);
		test_rst_exact_rcv_nxt(family);
		test_rst_at_fin(family);
		test_host_rst_answer(family);
		test_retransmissions(family);
		test_fin_acceptance(family);
		test_fin_syn_rcvd(family);
		test_fin_retransmitted(family);
		test_time_wait_reuse(family);
		test_time_wait_bad_csum(family);
		test_time_wait_synrst(family);
		test_time_wait_missed_listener(family);
		test_unsolicited_synack(family);
		test_expiry(family);
		test_expiry_race(family);
		test_unconfirmed(family);
		test_time_wait_timer(family);
		test_synack_timer(family);
	}
	test_wheel();
	test_gauges();
	test_filter();
	test_concurrent_updates();
	for (int k = FLOOD_SYN; k <= FLOOD_SYN_ACK; k++)
		test_flood_keeps_established(k);
	synguard_bpf__destroy(T.skel);
	return tap_failed ? 1 : 0;
}
