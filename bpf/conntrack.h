/* SPDX-License-Identifier: GPL-2.0 */
/* Connection tracker: both endpoints' RFC 9293 states, inferred from every
 * segment the host receives (XDP) and sends (TC egress).
 *
 * One state machine serves both endpoints: a segment is "sent" by one side
 * and "received" by the other, so the local endpoint's state and the remote
 * one's inferred state come from the same two functions, with the roles
 * swapped by direction.
 *
 * Embryonic flows (local SYN_SENT / SYN_RCVD) and synchronized ones live in
 * separate LRU maps, so a SYN flood can only evict other embryonic entries,
 * never an established connection. An entry moves to the synchronized map
 * only by synchronizing (an ACK of its SYN that the kernel would accept);
 * one that closes before that is deleted, as the kernel keeps no socket for
 * it either: spoofed SYN+RST, SYN+FIN or SYN+ACK floods and scans of closed
 * ports stay among the embryonic entries.
 */
#ifndef SG_CONNTRACK_H
#define SG_CONNTRACK_H

#include "common.h"
#include "bits.h"
#include "counters.h"
#include "parse.h"

#define SG_CT_DEFAULT_SIZE 65536

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_CT_DEFAULT_SIZE);
	__type(key, struct sg_ct_key);
	__type(value, struct sg_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_ct_synced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_CT_DEFAULT_SIZE);
	__type(key, struct sg_ct_key);
	__type(value, struct sg_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_ct_embryonic SEC(".maps");

/* Which tuples the tracker may hold (bpf/bits.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 + 2 * (SG_CT_DEFAULT_SIZE * SG_BITS_PER_SLOT / 64));
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_ct_bits SEC(".maps");

/* Room for one entry under construction: the stack is too small for it
 * once the SYN/ACK paths are on the call chain. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_ct_entry);
} sg_ct_scratch SEC(".maps");

enum sg_ct_direction {
	SG_CT_IN,  /* remote -> local: seen by XDP       */
	SG_CT_OUT, /* local -> remote: seen by TC egress */
};

/* What the tracker needs of one segment. */
struct sg_seg {
	__u32 seq;
	__u32 ack;
	__u32 len;    /* payload bytes                          */
	__u16 window; /* raw, unscaled                          */
	__u8 syn, ack_f, fin, rst;
	__u8 wscale; /* from a SYN's options; 0xf = none       */
};

/* What the caller should do with the packet after tracking. */
enum sg_ct_verdict {
	SG_CT_PASS,
	SG_CT_DROP,
	SG_CT_UNKNOWN,      /* no entry, none created: the caller decides */
	SG_CT_IGNORED,      /* sg_ct_apply() only: the receiver would discard the
			 * segment; it moved nothing (the caller passes it) */
	SG_CT_ASK_LISTENER, /* a SYN past a TIME_WAIT: nothing moved; track
			     * it again saying whether a listener takes it */
};

/* Window scales: what a SYN carried (0..14, 0xf none), or for an entry
 * seeded mid-flow the pair remote | local << 8, or: */
#define SG_CT_WS_NOSYN 0xff   /* not a SYN: no scale on this segment     */
#define SG_CT_WS_UNKNOWN 0xfe /* seeded mid-flow, scales never seen      */
#define SG_CT_WS_MAX 14

static __always_inline bool sg_state_embryonic(__u8 st)
{
	return st == SG_SYN_SENT || st == SG_SYN_RCVD;
}

static __always_inline bool sg_ct_expired(const struct sg_config *cfg, const struct sg_ct_entry *e,
					  __u64 now)
{
	return sg_ct_entry_expired(cfg->timeout_s, e, now);
}

/* Sequence comparisons modulo 2^32 (RFC 9293 3.4). */
static __always_inline bool sg_seq_after(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

static __always_inline void sg_ct_make_key(struct sg_ct_key *k, const struct sg_pkt *p,
					   enum sg_ct_direction d)
{
	const __u32 *l = d == SG_CT_IN ? p->daddr : p->saddr;
	const __u32 *r = d == SG_CT_IN ? p->saddr : p->daddr;

	__builtin_memset(k, 0, sizeof(*k));
	k->family = p->family;
	k->lport = bpf_ntohs(d == SG_CT_IN ? p->th.dest : p->th.source);
	k->rport = bpf_ntohs(d == SG_CT_IN ? p->th.source : p->th.dest);
	__builtin_memcpy(k->laddr, l, 16);
	__builtin_memcpy(k->raddr, r, 16);
}

/* ---- the filter ---------------------------------------------------------- */

/* A tuple (as a key holds it) folded to 64 bits, then mixed. */
static __always_inline __u32 sg_ct_hash(const __u32 *l, const __u32 *r, __u16 lport, __u16 rport)
{
	__u64 h = (__u64)(l[0] ^ l[1] ^ l[2] ^ l[3]) << 32 | (r[0] ^ r[1] ^ r[2] ^ r[3]);

	return sg_mix(h ^ ((__u64)lport << 16 | rport) * 0x9e3779b97f4a7c15ULL);
}

static __always_inline __u32 sg_ct_key_hash(const struct sg_ct_key *k)
{
	return sg_ct_hash(k->laddr, k->raddr, k->lport, k->rport);
}

/* The hash of an inbound packet's tuple, without building its key. */
static __always_inline __u32 sg_ct_in_hash(const struct sg_pkt *p)
{
	return sg_ct_hash(p->daddr, p->saddr, bpf_ntohs(p->th.dest), bpf_ntohs(p->th.source));
}

/* Might the tracker hold the tuple of hash h? No means surely not. */
static __always_inline bool sg_ct_maybe(__u32 h)
{
	return sg_bits_maybe(&sg_ct_bits, h);
}

/* After k went into a table: its bit, in both bitmaps. */
static __always_inline void sg_ct_mark(const struct sg_ct_key *k)
{
	sg_bits_mark(&sg_ct_bits, sg_ct_key_hash(k));
}

static __always_inline void sg_seg_from_pkt(struct sg_seg *s, const struct sg_pkt *p)
{
	s->seq = bpf_ntohl(p->th.seq);
	s->ack = bpf_ntohl(p->th.ack_seq);
	s->len = p->tcp_len - p->thlen;
	s->window = bpf_ntohs(p->th.window);
	s->syn = p->th.syn;
	s->ack_f = p->th.ack;
	s->fin = p->th.fin;
	s->rst = p->th.rst;
	s->wscale = SG_COOKIE_WS_NONE;
}

/* The window a side advertises, scaled once both sides agreed to scale. */
static __always_inline __u32 sg_ct_window(const struct sg_ct_dir *snd, const struct sg_ct_dir *rcv,
					  const struct sg_seg *s)
{
	if (s->syn || snd->wscale > SG_CT_WS_MAX || rcv->wscale > SG_CT_WS_MAX)
		return s->window;
	return (__u32)s->window << (snd->wscale & 0xf);
}

/* The receiver's window as it last advertised it: its left edge, RCV.WUP
 * (the last ACK it sent; before it sent one, where the sender is), and its
 * width (65535 before it told one). */
static __always_inline __u32 sg_ct_rcv_wup(const struct sg_ct_dir *snd, const struct sg_ct_dir *rcv)
{
	return rcv->flags & SG_CTD_ACKED ? rcv->ack : snd->snd_nxt;
}

static __always_inline __u32 sg_ct_rcv_wnd(const struct sg_ct_dir *rcv)
{
	return rcv->win ? rcv->win : 65535;
}

/* RCV.NXT as far as we know it: the end of what the sender sent that the
 * receiver took, or the receiver's last ACK where that is further (it got
 * a segment we did not see, such as a fragmented one). */
static __always_inline __u32 sg_ct_rcv_nxt(const struct sg_ct_dir *snd, const struct sg_ct_dir *rcv)
{
	__u32 wup = sg_ct_rcv_wup(snd, rcv);

	return sg_seq_after(wup, snd->snd_nxt) ? wup : snd->snd_nxt;
}

/* Is this RST acceptable to the receiver (RFC 5961 3.2)? Only exactly
 * RCV.NXT counts; in SYN_SENT it must ack our SYN. One in the window
 * (tcp_sequence()) gets the kernel's challenge ACK and changes nothing. A
 * RST of the local host (host: the receiver is the remote) is final unless
 * it answers a bad segment (SG_RST_ANSWER, sg_ct_host_rst_final()). */
enum sg_rst_class { SG_RST_EXACT, SG_RST_IN_WINDOW, SG_RST_OOW, SG_RST_ANSWER };

static __always_inline int sg_ct_classify_rst(const struct sg_ct_dir *snd,
					      const struct sg_ct_dir *rcv, __u8 rcv_state,
					      const struct sg_seg *s)
{
	__u32 wup = sg_ct_rcv_wup(snd, rcv);

	if (rcv_state == SG_SYN_SENT)
		return s->ack_f && s->ack == rcv->snd_nxt ? SG_RST_EXACT : SG_RST_OOW;
	if (s->seq == sg_ct_rcv_nxt(snd, rcv))
		return SG_RST_EXACT;
	/* After the sender's FIN the kernel also takes a RST at the FIN's own
	 * number, one before RCV.NXT, as some stacks send it (tcp_reset_check) */
	if (s->seq == sg_ct_rcv_nxt(snd, rcv) - 1 &&
	    (rcv_state == SG_CLOSE_WAIT || rcv_state == SG_LAST_ACK || rcv_state == SG_CLOSING))
		return SG_RST_EXACT;
	if (s->seq - wup < sg_ct_rcv_wnd(rcv))
		return SG_RST_IN_WINDOW;
	return SG_RST_OOW;
}

/* Does a RST the local host sent (snd: the local side) end its connection?
 * A socket resets at its SND.NXT (tcp_acceptable_seq()), or at least
 * within what the peer has not acked yet. An answer to a bad segment
 * (tcp_v4_send_reset(): a bogus ACK to a handshake in SYN_RCVD, a bogus
 * SYN-ACK to our SYN_SENT) takes its number from that segment's ACK, and
 * the host's connection stays as it was: so does the entry. Before the
 * host sent anything we saw (a closed port's RST+ACK) nothing is kept. */
static __always_inline bool sg_ct_host_rst_final(const struct sg_ct_dir *snd,
						 const struct sg_ct_dir *rcv,
						 const struct sg_seg *s)
{
	__u32 una = rcv->flags & SG_CTD_ACKED ? rcv->ack : snd->snd_nxt;

	if (!(snd->flags & SG_CTD_SYN))
		return true;
	return s->seq - una <= snd->snd_nxt - una;
}

/* Does s acknowledge sequence number seq of the receiver's? Only an ACK
 * of something it sent: SND.UNA < SEG.ACK =< SND.NXT (RFC 9293 3.10.7.4),
 * as the kernel requires (tcp_check_req() wants exactly ISN + 1), so a
 * blind ACK cannot complete a handshake or a close for it. */
static __always_inline bool sg_ct_acks(const struct sg_ct_dir *rcv, const struct sg_seg *s,
				       __u32 seq)
{
	return s->ack_f && !sg_seq_after(seq + 1, s->ack) && !sg_seq_after(s->ack, rcv->snd_nxt);
}

static __always_inline bool sg_ct_acks_syn(const struct sg_ct_dir *rcv, const struct sg_seg *s)
{
	return (rcv->flags & SG_CTD_SYN) && sg_ct_acks(rcv, s, rcv->isn);
}

/* Would the receiver take inbound s (not a RST) at all? A SYN only as the
 * sender's first or that one again (RFC 5961 4.2: a new one gets a
 * challenge ACK); a SYN-ACK only acking the receiver's SYN; anything else
 * only with an ACK of nothing the receiver did not send (tcp_ack()), and
 * overlapping its window (tcp_sequence(); a keepalive probe, one byte
 * behind, is let in: it moves no edge). What the kernel discards must
 * move nothing here, or a blind attacker could move an edge and then
 * close the entry with a RST at it. */
static __always_inline bool sg_ct_seg_acceptable(const struct sg_ct_dir *snd,
						 const struct sg_ct_dir *rcv,
						 const struct sg_seg *s)
{
	__u32 wup = rcv->ack, end = s->seq + s->len + s->fin;

	if (s->syn)
		return (!(snd->flags & SG_CTD_SYN) || s->seq == snd->isn) &&
		       (!s->ack_f || sg_ct_acks_syn(rcv, s));
	if (!s->ack_f)
		return false;
	if ((rcv->flags & SG_CTD_SYN) && sg_seq_after(s->ack, rcv->snd_nxt))
		return false;
	if (!(rcv->flags & SG_CTD_ACKED))
		return true;
	return !sg_seq_after(wup, end + 1) && !sg_seq_after(s->seq, wup + sg_ct_rcv_wnd(rcv));
}

/* Would the receiver, in state rcv_st, take this FIN? As the kernel does
 * (tcp_validate_incoming(), tcp_sequence(), RFC 9293 3.10.7.4): only with
 * the ACK bit, from a receiver in SYN_RCVD only with its SYN acknowledged,
 * never in SYN_SENT; and only if the FIN is not behind what the receiver
 * already has (the segment ends at or after RCV.NXT, so it may repeat
 * data) and the segment starts inside the window. */
static __always_inline bool sg_ct_fin_acceptable(const struct sg_ct_dir *snd,
						 const struct sg_ct_dir *rcv, __u8 rcv_st,
						 const struct sg_seg *s)
{
	__u32 rcv_nxt = sg_ct_rcv_wup(snd, rcv);
	__u32 win = sg_ct_rcv_wnd(rcv);

	if (!s->ack_f || rcv_st == SG_SYN_SENT ||
	    (rcv_st == SG_SYN_RCVD && !sg_ct_acks_syn(rcv, s)))
		return false;
	return !sg_seq_after(rcv_nxt, s->seq + s->len) && sg_seq_after(rcv_nxt + win, s->seq);
}

/* The sender's own state after it sent s; fin: s carries a FIN that
 * counts (an out-of-window one does not). */
static __always_inline __u8 sg_ct_on_send(__u8 st, const struct sg_ct_dir *rcv,
					  const struct sg_seg *s, bool fin)
{
	if (s->rst)
		return SG_CLOSED;
	if (s->syn && !s->ack_f)
		return st == SG_CLOSED ? SG_SYN_SENT : st;
	if (s->syn) /* a retransmitted SYN-ACK never moves a state back */
		return st == SG_CLOSED || st == SG_SYN_SENT ? SG_SYN_RCVD : st;
	if (fin) {
		switch (st) {
		case SG_ESTABLISHED:
		case SG_SYN_RCVD:
			return SG_FIN_WAIT_1;
		case SG_CLOSE_WAIT:
			/* a FIN that does not ack the other FIN crossed it:
			 * simultaneous close, not a passive one */
			if ((rcv->flags & SG_CTD_FIN) &&
			    !(s->ack_f && !sg_seq_after(rcv->fin_seq + 1, s->ack)))
				return SG_CLOSING;
			return SG_LAST_ACK;
		}
	}
	return st;
}

/* The receiver's state after it accepted s; fin_new: s carries a FIN the
 * receiver had not seen yet. */
static __always_inline __u8 sg_ct_on_recv(__u8 st, const struct sg_ct_dir *rcv,
					  const struct sg_seg *s, bool fin_new)
{
	bool acks_syn = sg_ct_acks_syn(rcv, s);
	bool acks_fin = (rcv->flags & SG_CTD_FIN) && sg_ct_acks(rcv, s, rcv->fin_seq);

	if (s->syn && !s->ack_f) {
		/* passive open, or simultaneous open from SYN_SENT */
		if (st == SG_CLOSED || st == SG_SYN_SENT)
			return SG_SYN_RCVD;
		return st;
	}
	if (s->syn) {
		if ((st == SG_SYN_SENT || st == SG_SYN_RCVD) && acks_syn)
			return SG_ESTABLISHED;
		return st;
	}
	if (st == SG_SYN_RCVD && acks_syn)
		st = SG_ESTABLISHED;
	if (acks_fin) {
		if (st == SG_FIN_WAIT_1)
			st = SG_FIN_WAIT_2;
		else if (st == SG_CLOSING)
			st = SG_TIME_WAIT;
		else if (st == SG_LAST_ACK)
			st = SG_CLOSED;
	}
	if (fin_new) {
		switch (st) {
		case SG_ESTABLISHED:
		case SG_SYN_RCVD:
			return SG_CLOSE_WAIT;
		case SG_FIN_WAIT_1:
			return SG_CLOSING;
		case SG_FIN_WAIT_2:
			return SG_TIME_WAIT;
		}
	}
	return st;
}

/* Record what the sender put on the wire (fin as in sg_ct_on_send). */
static __always_inline void sg_ct_sent(struct sg_ct_dir *snd, const struct sg_ct_dir *rcv,
				       const struct sg_seg *s, bool fin)
{
	__u32 end = s->seq + s->len + s->syn + fin;

	if (s->syn) {
		snd->isn = s->seq;
		snd->flags |= SG_CTD_SYN;
		if (s->wscale != SG_CT_WS_NOSYN)
			snd->wscale = s->wscale;
		snd->snd_nxt = end;
	} else if (sg_seq_after(end, snd->snd_nxt)) {
		snd->snd_nxt = end;
	}
	if (s->ack_f) {
		if (!(snd->flags & SG_CTD_ACKED) || sg_seq_after(s->ack, snd->ack))
			snd->ack = s->ack;
		snd->flags |= SG_CTD_ACKED;
		snd->win = sg_ct_window(snd, rcv, s);
	}
	if (fin && !(snd->flags & SG_CTD_FIN)) {
		snd->fin_seq = s->seq + s->len;
		snd->flags |= SG_CTD_FIN;
	}
}

/* struct sg_ct_entry's states word, by name. */
union sg_ct_states {
	__u64 word;
	struct {
		__u8 state;
		__u8 rstate;
		__u8 flags;
	} s;
};
_Static_assert(__builtin_offsetof(struct sg_ct_entry, state) ==
			       __builtin_offsetof(struct sg_ct_entry, states) &&
		       __builtin_offsetof(struct sg_ct_entry, rstate) ==
			       __builtin_offsetof(struct sg_ct_entry, states) + 1 &&
		       __builtin_offsetof(struct sg_ct_entry, flags) ==
			       __builtin_offsetof(struct sg_ct_entry, states) + 2,
	       "union sg_ct_states mirrors struct sg_ct_entry");

/* How often a segment recomputes the states after another CPU moved them
 * first: the other direction commits once per segment, so a second try
 * all but always succeeds. */
#define SG_CT_COMMIT_TRIES 4

/* Move e's states by s, sent in direction d (fin, fin_new as for
 * sg_ct_on_send() and sg_ct_on_recv()), from whatever they are now. XDP
 * and TC may track the two directions of one flow on two CPUs at once:
 * each computes the next states from a snapshot and installs them only if
 * the states still are that snapshot (compare-and-swap), else computes
 * again from the other's result, so neither transition is undone. The
 * sequence edges need no such care: each direction writes only its
 * sender's, before this, and the compare-and-swap orders them before the
 * states that depend on them. Returns false when every try lost. */
static __always_inline bool sg_ct_commit(struct sg_ct_entry *e, const struct sg_ct_dir *rcv,
					 const struct sg_seg *s, enum sg_ct_direction d, bool fin,
					 bool fin_new)
{
	union sg_ct_states cur, next;
	__u64 seen;
	int i;

	cur.word = *(volatile __u64 *)&e->states;
	for (i = 0; i < SG_CT_COMMIT_TRIES; i++) {
		next = cur;
		if (d == SG_CT_IN) {
			next.s.rstate = sg_ct_on_send(cur.s.rstate, rcv, s, fin);
			next.s.state = sg_ct_on_recv(cur.s.state, rcv, s, fin_new);
		} else {
			next.s.state = sg_ct_on_send(cur.s.state, rcv, s, fin);
			next.s.rstate = sg_ct_on_recv(cur.s.rstate, rcv, s, fin_new);
		}
		if (next.word == cur.word)
			return true;
		seen = __sync_val_compare_and_swap(&e->states, cur.word, next.word);
		if (seen == cur.word)
			return true;
		cur.word = seen;
	}
	return false;
}

/* Close e on both ends: one store of the states word, so a concurrent
 * commit sees it and recomputes from CLOSED, which nothing reopens. */
static __always_inline void sg_ct_close(struct sg_ct_entry *e)
{
	union sg_ct_states w;

	w.word = *(volatile __u64 *)&e->states;
	w.s.state = SG_CLOSED;
	w.s.rstate = SG_CLOSED;
	*(volatile __u64 *)&e->states = w.word;
}

/* The kernel holds a socket for e's SYN_RCVD (SG_CT_REQSK). The flags
 * share the states word with the states that sg_ct_commit() swaps from
 * another CPU: an atomic OR, so that neither write undoes the other. */
static __always_inline void sg_ct_confirm(struct sg_ct_entry *e)
{
	union sg_ct_states bit = { .word = 0 };

	if (e->flags & SG_CT_REQSK)
		return;
	bit.s.flags = SG_CT_REQSK;
	__sync_fetch_and_or(&e->states, bit.word);
}

static __always_inline void sg_ct_init(struct sg_ct_entry *e, __u64 now)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->created_ns = now;
	e->last_ns = now;
	e->state = SG_CLOSED;
	e->rstate = SG_CLOSED;
	e->local.wscale = SG_COOKIE_WS_NONE;
	e->remote.wscale = SG_COOKIE_WS_NONE;
}

/* Apply one segment to an entry. Returns the verdict; *cnt gets the id of
 * a counter to bump (0 if none). */
static __always_inline int sg_ct_apply(struct sg_ct_entry *e, const struct sg_seg *s,
				       enum sg_ct_direction d, const struct sg_config *cfg,
				       __u32 *cnt)
{
	struct sg_ct_dir *snd = d == SG_CT_IN ? &e->remote : &e->local;
	struct sg_ct_dir *rcv = d == SG_CT_IN ? &e->local : &e->remote;
	__u8 rcv_st = d == SG_CT_IN ? e->state : e->rstate;
	bool fin = s->fin, fin_new = false;

	*cnt = 0;
	if (s->rst) {
		int cls = sg_ct_classify_rst(snd, rcv, rcv_st, s);

		if (d == SG_CT_OUT)
			cls = sg_ct_host_rst_final(snd, rcv, s) ? SG_RST_EXACT : SG_RST_ANSWER;
		if (cls == SG_RST_ANSWER) {
			*cnt = SG_CNT_ct_rst_host_answer;
			return SG_CT_IGNORED;
		}
		if (cls == SG_RST_IN_WINDOW) {
			*cnt = SG_CNT_ct_rst_challenged;
			return SG_CT_IGNORED;
		}
		if (cls == SG_RST_OOW) {
			*cnt = SG_CNT_ct_rst_oow;
			return cfg->drop_oow_rst ? SG_CT_DROP : SG_CT_IGNORED;
		}
		*cnt = SG_CNT_ct_rst_closed;
		sg_ct_close(e);
		return SG_CT_PASS;
	}
	/* the host's own segments are what it sent; the remote's, only what
	 * the host would take */
	if (d == SG_CT_IN && !sg_ct_seg_acceptable(snd, rcv, s)) {
		*cnt = s->fin && !(snd->flags & SG_CTD_FIN) ? SG_CNT_ct_fin_oow : SG_CNT_ct_seg_oow;
		return SG_CT_IGNORED;
	}
	if (s->fin && !(snd->flags & SG_CTD_FIN)) {
		if (d == SG_CT_IN && !sg_ct_fin_acceptable(snd, rcv, rcv_st, s)) {
			*cnt = SG_CNT_ct_fin_oow;
			fin = false; /* not recorded, moves nothing */
		} else {
			fin_new = true;
		}
	}
	sg_ct_sent(snd, rcv, s, fin);
	if (!sg_ct_commit(e, rcv, s, d, fin, fin_new))
		*cnt = SG_CNT_ct_state_contended;
	return SG_CT_PASS;
}

/* The running kernel's CONFIG_HZ (libbpf reads its config); 0 where
 * libbpf finds none. */
extern int CONFIG_HZ __kconfig __weak;

/* The kernel armed the timer of e's state now for secs seconds: keep when
 * the timer wheel fires it (sg_wheel_fires_in), as ms from last_ns, which
 * becomes now. */
static __always_inline void sg_ct_timer_armed(struct sg_ct_entry *e, __u64 secs, __u64 now)
{
	__u64 hz = CONFIG_HZ > 0 ? (__u64)CONFIG_HZ : 0;
	__u64 ms = 0;

	e->last_ns = now;
	/* One jiffy more: now, the coarse clock, can lag the current
	 * jiffy's start by up to a tick, and the entry must not go before
	 * the kernel's timer fires. */
	if (hz)
		ms = ((sg_wheel_fires_in(bpf_jiffies64(), secs * hz) + 1) * 1000 + hz - 1) / hz;
	e->timer_ms = ms > 0xffffffffull ? 0 : (__u32)ms;
}

/* A SYN_RCVD request's timeout for its next SYN-ACK, in s: TCP_TIMEOUT_INIT
 * (1 s) doubled per SYN-ACK it sent before, up to TCP_RTO_MAX (120 s). */
#define SG_TCP_RTO_MAX_S 120

static __always_inline __u64 sg_ct_synack_rto_s(const struct sg_ct_entry *e)
{
	__u32 n = e->pkts_out ? e->pkts_out - 1 : 0;

	return n < SG_CT_SYNACK_MAX_SHIFT ? 1ull << n : SG_TCP_RTO_MAX_S;
}

/* Move e's clock for a segment, and keep the kernel's timer where the
 * segment shows it armed:
 * TIME_WAIT: tcp_time_wait() arms the socket's timer, and every segment
 * with an ACK that the TIME_WAIT socket takes in rearms it
 * (tcp_timewait_state_process), for timeout.TIME_WAIT (TCP_TIMEWAIT_LEN,
 * 60 s) from the current jiffy; the wheel fires it up to a bucket later,
 * 2 s at HZ=250, and the entry expires with it (at exactly the timeout,
 * the gauge ran up to 2 s of expiries under ss while many TIME_WAIT
 * sockets went at once). In TIME_WAIT, last_ns is when the kernel last
 * armed its timer: what the host sends (its ACKs) does not move it.
 * SYN_RCVD: a request socket's timer sends each SYN-ACK and rearms itself
 * for the next (sg_ct_synack_rto_s) from the jiffy that SYN-ACK left; when
 * it fires with no retry left, the kernel drops the request.
 * Other states have no such timer: a value of an earlier state goes. */
static __always_inline void sg_ct_timers(struct sg_ct_entry *e, const struct sg_seg *s,
					 enum sg_ct_direction d, const struct sg_config *cfg,
					 bool is_new, __u64 now)
{
	if (e->state == SG_TIME_WAIT) {
		if (is_new || (d == SG_CT_IN && s->ack_f))
			sg_ct_timer_armed(e, cfg->timeout_s[SG_TIME_WAIT], now);
		return;
	}
	e->last_ns = now;
	if (e->state == SG_SYN_RCVD && (e->flags & SG_CT_REQSK) && d == SG_CT_OUT && s->syn &&
	    s->ack_f)
		sg_ct_timer_armed(e, sg_ct_synack_rto_s(e), now);
	else if (e->timer_ms && e->state != SG_SYN_RCVD)
		e->timer_ms = 0;
}

static __always_inline void *sg_ct_table(__u8 state)
{
	return sg_state_embryonic(state) ? (void *)&sg_ct_embryonic : (void *)&sg_ct_synced;
}

/* Put n into the table its state belongs to, and mark its tuple. */
static __always_inline int sg_ct_insert(const struct sg_ct_key *k, const struct sg_ct_entry *n)
{
	if (bpf_map_update_elem(sg_ct_table(n->state), k, n, BPF_ANY)) {
		sg_count(SG_CNT_ct_table_full);
		return -1;
	}
	sg_ct_mark(k);
	return 0;
}

/* The tracker's clock: the coarse one, the time of the last tick. Its
 * timeouts are seconds and the kernel timers it follows run in jiffies,
 * while a precise read (a clocksource, paravirtual on a VM) was a fifth of
 * an established segment's path. Userspace compares with the same clock
 * where a race needs it (CLOCK_MONOTONIC_COARSE, libsg_reconcile.c); read
 * against CLOCK_MONOTONIC a stamp is up to two ticks older, and up to one
 * before the jiffy it was taken in (sg_ct_timer_armed counts that tick). */
static __always_inline __u64 sg_ct_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

/* Find the live entry of k; *in_embryonic tells which table holds it and
 * *stale whether an expired one was in the way. screen: ask the filter
 * first, worth it where the flow is likely unknown (it costs a cache miss
 * of its own in a big table's filter). */
static __always_inline struct sg_ct_entry *sg_ct_lookup(const struct sg_ct_key *k,
							const struct sg_config *cfg, __u64 now,
							bool screen, bool *in_embryonic,
							bool *stale)
{
	struct sg_ct_entry *e;

	*in_embryonic = false;
	*stale = false;
	if (screen && !sg_ct_maybe(sg_ct_key_hash(k)))
		return NULL;
	e = bpf_map_lookup_elem(&sg_ct_synced, k);
	if (e && !sg_ct_expired(cfg, e, now))
		return e;
	if (e)
		*stale = true;
	e = bpf_map_lookup_elem(&sg_ct_embryonic, k);
	/* keep clang from merging the two map pointers into one test */
	sg_barrier_var(e);
	if (!e)
		return NULL;
	if (!sg_ct_expired(cfg, e, now)) {
		*in_embryonic = true;
		return e;
	}
	*stale = true;
	return NULL;
}

/* The kernel's TCP state (bpf_sock->state) in our names; SG_STATE_MAX for
 * a listener or anything that is not a connection. */
static __always_inline __u8 sg_state_from_kernel(__u32 st)
{
	switch (st) {
	case BPF_TCP_ESTABLISHED:
		return SG_ESTABLISHED;
	case BPF_TCP_SYN_SENT:
		return SG_SYN_SENT;
	case BPF_TCP_SYN_RECV:
	case BPF_TCP_NEW_SYN_RECV:
		return SG_SYN_RCVD;
	case BPF_TCP_FIN_WAIT1:
		return SG_FIN_WAIT_1;
	case BPF_TCP_FIN_WAIT2:
		return SG_FIN_WAIT_2;
	case BPF_TCP_TIME_WAIT:
		return SG_TIME_WAIT;
	case BPF_TCP_CLOSE_WAIT:
		return SG_CLOSE_WAIT;
	case BPF_TCP_LAST_ACK:
		return SG_LAST_ACK;
	case BPF_TCP_CLOSING:
		return SG_CLOSING;
	}
	return SG_STATE_MAX;
}

/* A new entry for a flow first seen mid-way (evicted, or older than us):
 * the local state is the kernel's, the edges come from this segment. */
static __always_inline void sg_ct_seed(struct sg_ct_entry *e, const struct sg_seg *s,
				       enum sg_ct_direction d, __u8 kstate, __u8 flags, __u32 ws)
{
	struct sg_ct_dir *snd = d == SG_CT_IN ? &e->remote : &e->local;
	struct sg_ct_dir *rcv = d == SG_CT_IN ? &e->local : &e->remote;

	e->flags |= flags;
	/* unknown scales: assume the largest, so windows err on the wide side */
	e->remote.wscale = ws == SG_CT_WS_UNKNOWN ? SG_CT_WS_MAX : ws & 0xff;
	e->local.wscale = ws == SG_CT_WS_UNKNOWN ? SG_CT_WS_MAX : (ws >> 8) & 0xff;
	e->state = kstate;
	e->rstate = kstate == SG_SYN_SENT   ? SG_SYN_RCVD
		    : kstate == SG_SYN_RCVD ? SG_SYN_SENT
					    : SG_ESTABLISHED;
	/* a SYN-ACK's own ISN; mid-flow, the one before its sequence */
	snd->flags = SG_CTD_SYN;
	snd->isn = s->syn ? s->seq : s->seq - 1;
	snd->snd_nxt = snd->isn + 1;
	rcv->flags = SG_CTD_SYN;
	if (s->ack_f) {
		rcv->isn = s->ack - 1;
		rcv->snd_nxt = s->ack;
	}
}

/* What a segment does to a finished entry (TIME_WAIT or CLOSED). */
enum sg_ct_reuse {
	SG_CT_REUSE_KEEP,    /* the entry stays as it is                         */
	SG_CT_REUSE_RESTART, /* a new connection on the tuple: start over        */
	SG_CT_REUSE_SYNACK,  /* the host answers one: start over in SYN_RCVD     */
	SG_CT_REUSE_ASK,     /* the kernel decides: the caller asks, track again */
};

/* A SYN on a finished tuple starts over if its sequence number is past
 * the old connection's (RFC 6191, as the kernel does), and after CLOSED.
 * An inbound one leaves a TIME_WAIT socket only when the kernel hands it
 * to a listener; otherwise the kernel keeps the socket and answers with an
 * ACK (tcp_v4_rcv, TCP_TW_SYN). The caller asks and says it in kstate:
 * SG_TIME_WAIT when the kernel keeps its socket. A SYN+RST it ignores. A
 * TIME_WAIT socket never sends a SYN-ACK: the host's SYN-ACK, from a
 * request socket or with none (a syncookie), means a listener took the
 * SYN, even one the sequence test kept out (the kernel also takes a newer
 * timestamp, which we do not record) or that the lookup missed. */
static __always_inline enum sg_ct_reuse sg_ct_reuse_of(const struct sg_ct_entry *e,
						       const struct sg_seg *s,
						       enum sg_ct_direction d, __u8 kstate)
{
	const struct sg_ct_dir *snd = d == SG_CT_IN ? &e->remote : &e->local;

	if (!s->syn || (e->state != SG_TIME_WAIT && e->state != SG_CLOSED))
		return SG_CT_REUSE_KEEP;
	if (s->ack_f)
		return d == SG_CT_OUT && (kstate == SG_SYN_RCVD || kstate == SG_STATE_MAX)
			       ? SG_CT_REUSE_SYNACK
			       : SG_CT_REUSE_KEEP;
	if (e->state == SG_CLOSED)
		return SG_CT_REUSE_RESTART;
	if (!sg_seq_after(s->seq, snd->snd_nxt))
		return SG_CT_REUSE_KEEP;
	if (d == SG_CT_IN && kstate == SG_STATE_MAX && !s->rst)
		return SG_CT_REUSE_ASK;
	return kstate == SG_TIME_WAIT ? SG_CT_REUSE_KEEP : SG_CT_REUSE_RESTART;
}

/* Track one segment. kstate: the kernel's state of the flow when the
 * caller knows it (SG_STATE_MAX otherwise), used to start an entry for a
 * flow we have not seen open, with flags and the scales ws, and to say
 * whether a SYN into TIME_WAIT ends it (SG_CT_ASK_LISTENER). New
 * entries otherwise come only from a SYN without ACK: a stray SYN-ACK or
 * ACK creates nothing. *established is set when the segment made the
 * entry ESTABLISHED (the remote then counts as learned). */
static __always_inline enum sg_ct_verdict
sg_ct_track(const struct sg_ct_key *k, const struct sg_seg *s, enum sg_ct_direction d,
	    const struct sg_config *cfg, __u32 pkt_bytes, __u8 kstate, __u8 flags, __u32 ws,
	    bool *established)
{
	__u64 now = sg_ct_now();
	bool was_embryonic, stale, is_new = false;
	__u8 seed_state = kstate;
	enum sg_ct_reuse reuse;
	struct sg_ct_entry *e, *n;
	__u32 cnt = 0, zero = 0;
	int verdict;

	n = bpf_map_lookup_elem(&sg_ct_scratch, &zero);
	if (!n)
		return SG_CT_PASS;
	/* A SYN likely opens a new flow; while cookie mode is on, an unknown
	 * segment coming in is likely spoofed. Otherwise most segments belong
	 * to a tracked flow and the filter would only add to their cost. */
	e = sg_ct_lookup(k, cfg, now, s->syn || (d == SG_CT_IN && cfg->cookie_active),
			 &was_embryonic, &stale);
	if (e) {
		reuse = sg_ct_reuse_of(e, s, d, kstate);
		if (reuse == SG_CT_REUSE_ASK)
			return SG_CT_ASK_LISTENER;
		if (reuse != SG_CT_REUSE_KEEP) {
			e = NULL;
			stale = true;
		}
		if (reuse == SG_CT_REUSE_SYNACK)
			seed_state = SG_SYN_RCVD;
	}
	if (!e) {
		bool opens = s->syn && !s->ack_f && !s->rst;

		if (!opens && seed_state >= SG_STATE_MAX)
			return SG_CT_UNKNOWN;
		if (stale) {
			bpf_map_delete_elem(&sg_ct_synced, k);
			bpf_map_delete_elem(&sg_ct_embryonic, k);
		}
		sg_ct_init(n, now);
		if (!opens)
			sg_ct_seed(n, s, d, seed_state, flags, ws);
		e = n;
		is_new = true;
		sg_count(SG_CNT_ct_created);
	}

	verdict = sg_ct_apply(e, s, d, cfg, &cnt);
	if (cnt)
		sg_count(cnt);
	/* what the receiver would discard moves nothing, not even the clock:
	 * garbage for a tuple must not keep its entry alive. Except that a
	 * TIME_WAIT socket rearms its timer for any segment with an ACK and
	 * no RST, out of window too (tcp_timewait_state_process answers it
	 * and reschedules): its entry must live as long as the socket does. */
	if (verdict == SG_CT_IGNORED && !is_new) {
		if (e->state == SG_TIME_WAIT && d == SG_CT_IN && s->ack_f && !s->rst)
			sg_ct_timer_armed(e, cfg->timeout_s[SG_TIME_WAIT], now);
		return SG_CT_PASS;
	}
	if (verdict == SG_CT_DROP)
		return SG_CT_DROP;
	verdict = SG_CT_PASS;
	/* kstate comes only from a socket of the kernel's: SYN_RCVD there is
	 * a request socket (the SYN-ACK of a stateless syncookie leaves with
	 * no socket), which the SYN_RCVD gauge counts */
	if (kstate == SG_SYN_RCVD && e->state == SG_SYN_RCVD)
		sg_ct_confirm(e);
	if (d == SG_CT_IN) {
		e->pkts_in++;
		e->bytes_in += pkt_bytes;
	} else {
		e->pkts_out++;
		e->bytes_out += pkt_bytes;
	}
	sg_ct_timers(e, s, d, cfg, is_new, now);
	/* a connection of the remote's just became established here */
	if ((is_new || was_embryonic) && e->state == SG_ESTABLISHED)
		*established = true;
	/* In place, unless new or crossing the embryonic/synchronized line;
	 * closed before it ever synchronized: gone, as the kernel's socket. */
	if (is_new) {
		sg_ct_insert(k, n);
	} else if (was_embryonic && e->state == SG_CLOSED) {
		bpf_map_delete_elem(&sg_ct_embryonic, k);
	} else if (was_embryonic != sg_state_embryonic(e->state)) {
		*n = *e;
		if (!sg_ct_insert(k, n))
			bpf_map_delete_elem(was_embryonic ? (void *)&sg_ct_embryonic
							  : (void *)&sg_ct_synced,
					    k);
	}
	return verdict;
}

#endif /* SG_CONNTRACK_H */
