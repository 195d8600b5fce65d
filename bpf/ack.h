/* SPDX-License-Identifier: GPL-2.0 */
/* The ACK path: an ACK of a flow the tracker does not know, to a
 * protected port. A valid cookie goes on to tc ingress with its socket's
 * attributes in front of it (struct sg_meta); a flow the kernel holds
 * goes on as it is; anything else is dropped and counted.
 */
#ifndef SG_ACK_H
#define SG_ACK_H

#include "common.h"
#include "parse.h"
#include "tcpopt.h"
#include "config.h"
#include "decide.h"
#include "cookie.h"
#include "budget.h"
#include "learned.h"
#include "kernel.h"
#include "track.h"
#include "cookie_budget.h"

enum sg_cookie_verdict {
	SG_COOKIE_OK,
	SG_COOKIE_BAD,
	SG_COOKIE_OVER_BUDGET,
	SG_COOKIE_REFUSED,
};

/* An ACK's cookie, checked under its source's budget of failed checks. A
 * failed check costs a token; a source out of tokens is still checked
 * (spoofed garbage in its name must not lock it out), but then a cookie
 * counts only with the 8 more hash bits of the timestamp echo: blind
 * guessing from it succeeds once in 2^31 tries whatever the rate, and in
 * 2^23 only within the budget. A valid cookie without them is refused;
 * that source's SYNs get no cookie meanwhile (sg_cookie_budget_low), so
 * a spent budget costs a client its cookies, not its connections.
 * Fills *m on success. Global: the bucket's key stays off the call chain
 * of the ACK path. */
__noinline enum sg_cookie_verdict sg_ack_cookie_judge(const struct sg_pkt *p,
						      const struct sg_tcpopt *o, struct sg_meta *m)
{
	struct sg_config *cfg = sg_get_config();
	const struct sg_secret_state *ss;
	const struct sg_budget_cfg *b;
	struct sg_budget_key k;
	struct sg_budget *e;
	__u32 zero = 0;
	__u64 now;
	bool has, valid;

	ss = bpf_map_lookup_elem(&sg_secrets, &zero);
	if (!p || !o || !m || !cfg || !ss)
		return SG_COOKIE_BAD;
	now = bpf_ktime_get_ns();
	valid = sg_cookie_check(p, cfg, ss, o, m, now);
	/* With the timestamp's bits a valid cookie counts whatever the
	 * budget, so most handshakes (every client that sends timestamps)
	 * skip the bucket's lookup, a cache miss in a table of sources. A
	 * source low on budget was marked by the failed checks that took it
	 * low (below), not by its valid ACKs. */
	if (valid && (m->flags & SG_META_F_TS))
		return SG_COOKIE_OK;
	b = sg_budget_cfg_of(cfg, SG_BUDGET_cookie);
	e = sg_budget_find(b, SG_BUDGET_cookie, p->family, p->saddr, &k);
	has = sg_budget_has(b, e, now);
	if (!valid && has) {
		struct sg_budget after = { .tat_ns = sg_budget_tat(e, now) + b->interval_ns };

		sg_budget_take(b, e, &k, now);
		/* The failure that leaves the source under half its burst
		 * opens the SYN path's gate (sg_cookie_budget_low): bad ACKs
		 * dripped at the refill rate keep a bucket low without ever
		 * finding it empty. */
		if (!sg_budget_left(b, &after, now, sg_budget_half(b)))
			sg_cookie_spent_mark(b, now);
		return SG_COOKIE_BAD;
	}
	if (!has)
		sg_cookie_spent_mark(b, now);
	if (valid)
		return has ? SG_COOKIE_OK : SG_COOKIE_REFUSED;
	return SG_COOKIE_OVER_BUDGET;
}

/* The tracker's wscale argument for a cookie flow (SG_CT_WS_* in
 * conntrack.h): the client's scale the cookie carried, and ours. */
static __always_inline __u32 sg_meta_wscale(const struct sg_config *cfg, const struct sg_meta *m)
{
	if (!(m->flags & SG_META_F_WSCALE))
		return SG_COOKIE_WS_NONE | (SG_COOKIE_WS_NONE << 8);
	return m->snd_wscale | ((__u32)cfg->rcv_wscale << 8);
}

/* An ACK of a flow the tracker does not know, to a protected port. */
__noinline int sg_handle_ack(struct xdp_md *ctx, const struct sg_pkt *p, __u32 slot)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_tcpopt o = {};
	struct sg_optsrc src;
	struct sg_meta m, *mp;
	__u32 cnt;
	struct sg_kernel_flow kf = {};
	enum sg_cookie_verdict verdict;
	void *data;

	if (!p || !cfg)
		return XDP_PASS;
	if (!sg_cookie_window(cfg))
		return sg_decide(cfg, p, SG_CNT_ack_unchecked, slot, SG_PCNT_MAX, SG_VERDICT_PASS);
	src = sg_optsrc_xdp(ctx, p);
	if (sg_tcpopt_parse(&src, &o) != SG_TCPOPT_OK)
		o.flags = 0; /* a broken ACK still gets the hash check */
	verdict = sg_ack_cookie_judge(p, &o, &m);
	if (verdict != SG_COOKIE_OK) {
		if (sg_kernel_flow_of(ctx, p, 1, &kf)) {
			/* the kernel's own cookie makes an ESTABLISHED socket */
			cnt = kf.listener_cookie ? SG_CNT_ack_kernel_cookie
						 : SG_CNT_ack_kernel_owned;
			if (sg_tracked(cfg, slot))
				sg_ct_update(p, SG_CT_IN,
					     kf.listener_cookie ? SG_ESTABLISHED : kf.state,
					     SG_CT_RETRACKED, SG_CT_WS_UNKNOWN);
			return sg_decide(cfg, p, cnt, slot, SG_PCNT_MAX, SG_VERDICT_PASS);
		}
		/* A flow the host forwards after its address (DNAT to a
		 * container, a published port) has no socket here, and the
		 * tracker may have lost it (older than the daemon, evicted):
		 * netfilter knows it. Asked only before a drop. */
		if (sg_netfilter_tracks(ctx, p))
			return sg_decide(cfg, p, SG_CNT_ack_forwarded, slot, SG_PCNT_MAX,
					 SG_VERDICT_PASS);
		if (verdict == SG_COOKIE_OVER_BUDGET)
			return sg_decide(cfg, p, SG_CNT_cookies_over_budget, slot, SG_PCNT_MAX,
					 SG_VERDICT_DROP);
		/* the kernel finds no request for it and resets the client,
		 * which then fails at once rather than retransmit into a
		 * spent budget; its next SYN goes to the kernel's handshake
		 * (sg_cookie_budget_low) */
		if (verdict == SG_COOKIE_REFUSED)
			return sg_decide(cfg, p, SG_CNT_cookies_budget_refused, slot, SG_PCNT_MAX,
					 SG_VERDICT_PASS);
		return sg_decide(cfg, p, SG_CNT_cookies_rejected, slot, SG_PCNT_cookies_rejected,
				 SG_VERDICT_DROP);
	}
	/* shadow mode: counted, the kernel gets the ACK as it is */
	if (cfg->mode == SG_MODE_SHADOW)
		return sg_decide(cfg, p, SG_CNT_cookies_accepted, slot, SG_PCNT_cookies_accepted,
				 SG_VERDICT_HANDOFF);
	/* No tracker entry yet: the kernel has no socket until tc ingress
	 * hands it this ACK, which may still be lost on the way (a full
	 * accept queue, a filter). Until the socket exists, the flow stays
	 * unknown and each segment is checked against the cookie again (the
	 * client's data after a lost ACK carries the same one); tc ingress
	 * tracks it once it meets the kernel's socket. The source proved
	 * itself all the same: it got our SYN-ACK. */
	if (cfg->learn_s)
		sg_learned_note_peer(p, SG_CT_IN);
	/* The next segment of a handshake whose ACK made the socket (the
	 * client's data) still carries the cookie: the socket exists now,
	 * so it is the kernel's flow, tracked here, not a new acceptance. */
	if (sg_kernel_flow_of(ctx, p, 0, &kf)) {
		if (sg_tracked(cfg, slot))
			sg_ct_update(p, SG_CT_IN, kf.state, SG_CT_COOKIE, sg_meta_wscale(cfg, &m));
		return sg_decide(cfg, p, SG_CNT_ack_kernel_owned, slot, SG_PCNT_MAX,
				 SG_VERDICT_PASS);
	}
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(m)))
		return XDP_PASS; /* the kernel's own cookie check still runs */
	mp = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(mp + 1) > data)
		return XDP_PASS;
	*mp = m;
	return sg_decide(cfg, p, SG_CNT_cookies_accepted, slot, SG_PCNT_cookies_accepted,
			 SG_VERDICT_HANDOFF);
}

#endif /* SG_ACK_H */
