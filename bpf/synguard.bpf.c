// SPDX-License-Identifier: GPL-2.0
/* synguard's programs, in the order a packet meets them (docs/design.md,
 * "Data path"). XDP on the NIC: parse, the local-address check, the
 * lists, then one stage by the segment's kind: a SYN (syn.h), an ACK of
 * an unknown flow (ack.h), a SYN-ACK (synack.h) or a tracked segment
 * (track.h); what XDP cannot see whole goes to hidden.h. tc ingress hands
 * a validated cookie ACK to the kernel as a request socket; tc egress
 * moves the tracker with every segment the host sends; sg_walk serves
 * the daemon's gauges and sweep. Each stage's body lives in its header.
 */
#include "common.h"
#include "parse.h"
#include "tcpopt.h"
#include "counters.h"
#include "config.h"
#include "decide.h"
#include "conntrack.h"
#include "policy.h"
#include "local.h"
#include "kernel.h"
#include "track.h"
#include "syn.h"
#include "ack.h"
#include "synack.h"
#include "hidden.h"
#include "walk.h"

/* frags: multi-buffer aware, so it attaches at jumbo MTUs too; every
 * header it reads must be in the first buffer, where drivers put them. */
SEC("xdp.frags")
int sg_xdp(struct xdp_md *ctx)
{
	struct sg_config *cfg;
	struct sg_syn_track t = {};
	struct sg_pkt p = {};
	struct tcphdr *th;
	enum sg_list_verdict pol = SG_LIST_UNLISTED;
	__u16 slot;
	enum sg_parse_result parsed;
	bool syn;
	int ret;

	/* the first buffer inline (no call for the common frame); an IP
	 * length past it gets sg_parse_xdp's look at the whole frame */
	parsed = sg_parse((void *)(long)ctx->data, (void *)(long)ctx->data_end,
			  ctx->data_end - ctx->data, &p);
	if (parsed != SG_PARSED_TCP && p.reason == SG_CNT_parse_ip_bad)
		parsed = sg_parse_xdp(ctx, &p);
	if (parsed == SG_PARSED_HIDDEN)
		return sg_handle_hidden(&p, p.reason);
	if (parsed != SG_PARSED_TCP) {
		sg_count(p.reason);
		return XDP_PASS;
	}
	cfg = sg_get_config();
	if (!cfg)
		return XDP_PASS;
	th = &p.th;
	slot = sg_port_slot(th->dest);
	/* forwarded, bridged or promiscuous: not ours to answer nor judge */
	if (sg_tracked(cfg, slot) && !sg_local_dst(cfg, &p)) {
		sg_count(SG_CNT_pass_not_local);
		return XDP_PASS;
	}
	syn = slot && th->syn && !th->ack;
	/* the lists, where they hold anything for this packet */
	if (slot && sg_policy_applies(cfg, &p, syn)) {
		pol = sg_policy_verdict(&p);
		if (pol == SG_LIST_DENIED) {
			if (sg_decide(cfg, &p, SG_CNT_drop_denied, slot, SG_PCNT_MAX,
				      SG_VERDICT_DROP) == XDP_DROP)
				return XDP_DROP;
			pol = SG_LIST_DENY_SHADOWED;
		}
	}
	/* SYNs to protected ports: the SYN path decides, cookies first */
	if (syn) {
		ret = sg_handle_syn(ctx, &p, slot, pol, &t);
		if (t.track)
			sg_ct_update_in(ctx, &p, t.wscale);
		return ret;
	}
	if (sg_tracked(cfg, slot)) {
		/* known flows: the tracker alone decides */
		ret = sg_ct_update_in(ctx, &p, th->syn ? sg_syn_wscale(ctx, &p) : SG_CT_WS_NOSYN);
		if (ret == SG_CT_DROP && pol != SG_LIST_DENY_SHADOWED)
			return sg_decide(cfg, &p, SG_CNT_drop_rst_oow, slot, SG_PCNT_MAX,
					 SG_VERDICT_DROP);
		if (ret != SG_CT_UNKNOWN)
			return XDP_PASS;
		if (th->syn && th->ack && !th->rst && pol != SG_LIST_DENY_SHADOWED)
			return sg_handle_synack(ctx, cfg, &p, slot);
	}
	if (!slot) {
		sg_count(SG_CNT_pass_unprotected);
		return XDP_PASS;
	}
	if (pol == SG_LIST_DENY_SHADOWED)
		return XDP_PASS;
	if (th->ack && !th->syn && !th->rst)
		return sg_handle_ack(ctx, &p, slot);
	/* Neither SYN, ACK nor RST (a bare FIN, null or Xmas scans): TCP
	 * discards it in every state, so it never needs to reach the host. */
	if (!th->syn && !th->ack && !th->rst)
		return sg_decide(cfg, &p, SG_CNT_drop_no_ack, slot, SG_PCNT_MAX, SG_VERDICT_DROP);
	return XDP_PASS;
}

/* A validated cookie ACK arrives with sg_meta in front of it: create the
 * kernel's request socket from the decoded attributes. */
SEC("tc")
int sg_tc_ingress(struct __sk_buff *skb)
{
	struct sg_meta *mp = (void *)(long)skb->data_meta;
	void *data = (void *)(long)skb->data;
	struct bpf_tcp_req_attrs attrs = {};
	struct bpf_sock_tuple t = {};
	struct bpf_sock *skc;
	struct tcp_sock *tp;
	struct sg_config *cfg;
	struct sg_pkt p = {};
	struct sg_meta m;
	int ret;

	if ((void *)(mp + 1) > data || mp->magic != SG_META_MAGIC)
		return TCX_NEXT;
	m = *mp;
	if (sg_parse_skb(skb, &p) != SG_PARSED_TCP)
		return TCX_NEXT;
	cfg = sg_get_config();
	if (!cfg)
		return TCX_NEXT;
	skc = bpf_skc_lookup_tcp(skb, &t, sg_sock_tuple(&p, &t), BPF_F_CURRENT_NETNS, 0);
	if (!skc) {
		sg_count(SG_CNT_tc_no_listener);
		return TCX_NEXT;
	}
	if (skc->state != BPF_TCP_LISTEN) {
		/* A segment with the cookie after the socket exists (the
		 * data that follows the handshake's ACK, a retransmission):
		 * now the flow is the kernel's, tracked (and so learned). */
		if (sg_tracked(cfg, sg_port_slot(p.th.dest)))
			sg_ct_update(&p, SG_CT_IN, sg_state_from_kernel(skc->state), SG_CT_COOKIE,
				     sg_meta_wscale(cfg, &m));
		bpf_sk_release(skc);
		return TCX_NEXT;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp) {
		bpf_sk_release(skc);
		sg_count(SG_CNT_tc_no_listener);
		return TCX_NEXT;
	}
	/* With tcp_syncookies=0 the kfunc still succeeds, but the kernel
	 * drops the request socket and resets the ACK (cookie_v4_check):
	 * read the listener's netns sysctl, as the kernel will, so that
	 * tc_assigned counts only handoffs the kernel keeps. */
	if (!sg_kernel_syncookies(tp)) {
		bpf_sk_release(skc);
		sg_count(SG_CNT_tc_assign_sysctl);
		return TC_ACT_OK;
	}
	attrs.mss = m.mss;
	if (m.flags & SG_META_F_WSCALE) {
		attrs.wscale_ok = 1;
		attrs.snd_wscale = m.snd_wscale;
		attrs.rcv_wscale = cfg->rcv_wscale;
	}
	attrs.sack_ok = !!(m.flags & SG_META_F_SACK);
	attrs.ecn_ok = !!(m.flags & SG_META_F_ECN);
	if (m.flags & SG_META_F_TS) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = m.rcv_tsval;
		attrs.rcv_tsecr = m.rcv_tsecr;
	}
	ret = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &attrs, sizeof(attrs));
	bpf_sk_release(skc);
	sg_count(ret ? SG_CNT_tc_assign_failed : SG_CNT_tc_assigned);
	return TCX_NEXT;
}

/* Every segment the host sends moves the tracker too. For a flow it has
 * not seen open, the sending socket tells the kernel's state. */
SEC("tc")
int sg_tc_egress(struct __sk_buff *skb)
{
	struct sg_tcpopt o = {};
	struct sg_optsrc src;
	struct bpf_sock *sk;
	struct sg_config *cfg;
	struct sg_pkt p = {};
	/* A segment past the handshake tells no scale; an entry seeded from
	 * it (a flow the tracker lost) takes the widest, as elsewhere. */
	__u32 ws = SG_CT_WS_UNKNOWN;
	__u8 kstate = SG_STATE_MAX;

	if (sg_parse_skb(skb, &p) != SG_PARSED_TCP)
		return TCX_NEXT;
	cfg = sg_get_config();
	if (!cfg || !sg_tracked(cfg, sg_port_slot(p.th.source)))
		return TCX_NEXT;
	/* Forwarded: the tracker follows the host's own connections only.
	 * A MASQUERADEd flow leaves from our address, but its SYN has no
	 * socket behind it (every SYN the host opens with has one). */
	sk = skb->sk;
	if (cfg->local_addrs && (sg_addr_classify(p.family, p.saddr) != SG_ADDR_LOCAL ||
				 (p.th.syn && !p.th.ack && !sk)))
		return TCX_NEXT;
	if (p.th.syn) {
		src = sg_optsrc_skb(skb, &p);
		ws = SG_COOKIE_WS_NONE;
		if (sg_tcpopt_parse(&src, &o) == SG_TCPOPT_OK && (o.flags & SG_OPT_WSCALE))
			ws = o.wscale;
	}
	if (sk && (p.th.syn || p.tcp_len > p.thlen || p.th.fin))
		kstate = sg_state_from_kernel(sk->state);
	sg_ct_update(&p, SG_CT_OUT, kstate, SG_CT_RETRACKED, ws);
	return TCX_NEXT;
}

/* Run from userspace (BPF_PROG_TEST_RUN): the per-state gauges are a walk
 * of both tables in the kernel, so they equal the table by construction,
 * through LRU eviction and expiry alike; with delete_expired it is also
 * the daemon's sweeper, which rebuilds the filters of the tracker and of
 * the learned sources: each one's other bitmap is cleared, gets every live
 * entry's bit, and goes live. */
SEC("syscall")
int sg_walk(struct sg_walk_args *args)
{
	struct sg_walk_ctx w = {
		.now_ns = args->now_ns,
		.delete_expired = args->delete_expired,
		.eph_lo = args->eph_lo,
		.eph_hi = args->eph_hi,
	};
	__u32 zero = 0;
	__u64 *ctl, *lctl;
	int i;

	w.cfg = sg_get_config();
	ctl = bpf_map_lookup_elem(&sg_ct_bits, &zero);
	lctl = bpf_map_lookup_elem(&sg_learned_bits, &zero);
	if (!w.cfg || !ctl || !lctl)
		return -1;
	if (w.delete_expired) {
		w.gen = !(*ctl & SG_BITS_GEN);
		w.ctl = sg_bits_start(&sg_ct_bits, ctl, w.gen, sg_ct_bits_clear);
		w.lgen = !(*lctl & SG_BITS_GEN);
		w.lctl = sg_bits_start(&sg_learned_bits, lctl, w.lgen, sg_learned_bits_clear);
	}
	args->synced = bpf_for_each_map_elem(&sg_ct_synced, sg_walk_one, &w, 0);
	args->embryonic = bpf_for_each_map_elem(&sg_ct_embryonic, sg_walk_one, &w, 0);
	bpf_for_each_map_elem(&sg_learned, sg_learned_walk_one, &w, 0);
	if (w.delete_expired) {
		sg_bits_finish(ctl, w.ctl, w.gen, w.live);
		sg_bits_finish(lctl, w.lctl, w.lgen, w.learned);
	}
#pragma unroll
	for (i = 0; i < SG_STATE_MAX; i++)
		args->states[i] = w.states[i];
	args->expired = w.expired;
	args->tw_ephemeral = w.tw_ephemeral;
	args->unconfirmed = w.unconfirmed;
	args->unconfirmed = w.unconfirmed;
	args->learned = w.learned;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
