/* SPDX-License-Identifier: GPL-2.0 */
/* The SYN path: a SYN to a protected port that no known flow explains.
 * In order: the flags and the source's shape, the shedding of unknown
 * sources while over the SYN-ACK cap, the options, the lists' word, the
 * source's SYN budget, the flows the kernel holds, learned sources and
 * spent cookie budgets; then a cookie SYN-ACK (XDP_TX), or a pass to the
 * kernel's own handshake, which the tracker then follows.
 */
#ifndef SG_SYN_H
#define SG_SYN_H

#include "common.h"
#include "parse.h"
#include "tcpopt.h"
#include "csum.h"
#include "counters.h"
#include "config.h"
#include "decide.h"
#include "cookie.h"
#include "budget.h"
#include "sketch.h"
#include "learned.h"
#include "policy.h"
#include "local.h"
#include "track.h"
#include "cookie_budget.h"

/* What sg_syn_cookie did with a SYN. */
enum sg_syn_answer {
	SG_ANSWER_SENT,      /* our cookie SYN-ACK goes back: XDP_TX      */
	SG_ANSWER_DROPPED,   /* a bad checksum, a SYN-ACK cap: XDP_DROP   */
	SG_ANSWER_NO_SECRET, /* no secrets map: the kernel gets it as is   */
	SG_ANSWER_OVERSIZE,  /* too long to verify: the kernel handles it  */
	SG_ANSWER_STALE,     /* the secret is past its time (no daemon
				 * rotates it): the kernel handles it         */
	SG_ANSWER_SHADOWED,  /* shadow mode: counted what it would do      */
};

/* A decision to drop a SYN: true when it is dropped, false in shadow mode,
 * where it is only counted. */
static __always_inline bool sg_syn_drop(const struct sg_config *cfg, const struct sg_pkt *p,
					__u32 cnt, __u32 slot, __u32 pcnt)
{
	return sg_decide(cfg, p, cnt, slot, pcnt, SG_VERDICT_DROP) == XDP_DROP;
}

/* Counts a SYN of p's source in the sketch (*est: its counts, and the
 * coarse clock read for it), notes it as a heavy hitter past
 * top.threshold, and takes from its SYN budget: 1 when it is over.
 * Global: the source's keys stay off the SYN path's call chain. */
__noinline int sg_syn_budget(const struct sg_pkt *p, struct sg_est *est)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_src_key s;
	__u64 now;
	__u32 n;

	if (!p || !est || !cfg)
		return 0;
	now = est->coarse = bpf_ktime_get_coarse_ns();
	sg_src_make(&s, cfg, p->family, p->saddr);
	sg_sketch_count(cfg, &s, now, est);
	sg_hitter_note(cfg, &s, est, now);
	n = est->cur > est->prev ? est->cur : est->prev;
	if (!sg_budget_gate(sg_budget_cfg_of(cfg, SG_BUDGET_syn), n))
		return 0;
	return !sg_budget_src_take(cfg, SG_BUDGET_syn, &s, n, bpf_ktime_get_ns());
}

/* May a cookie SYN-ACK go to p's source (est: its counts in the sketch)?
 * 0, or the counter of the cap it is over: the destination prefix's
 * (synack.dest_rate), or everything's (synack.rate). Takes the tokens. */
__noinline int sg_synack_capped(const struct sg_pkt *p, const struct sg_est *est)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_src_key s;
	__u64 now;

	if (!p || !est || !cfg)
		return 0;
	now = bpf_ktime_get_ns();
	if (cfg->budget[SG_BUDGET_synack].interval_ns) {
		sg_src_make(&s, cfg, p->family, p->saddr);
		if (!sg_budget_src_take(cfg, SG_BUDGET_synack, &s,
					est->cur > est->prev ? est->cur : est->prev, now))
			return SG_CNT_drop_synack_dest;
	}
	if (!sg_cpu_budget_take(cfg, SG_BUDGET_synack_cpu, now))
		return SG_CNT_drop_synack_global;
	return 0;
}

/* Answer a SYN with its cookie SYN-ACK (XDP_TX), options o parsed, est
 * its source's counts (and the coarse clock, if read). A global function: inline, its
 * branches multiplied by the policy's before it (source checks, budgets,
 * learned sources, the tracker) pass the verifier's 1M-instruction walk. */
__noinline enum sg_syn_answer sg_syn_cookie(struct xdp_md *ctx, const struct sg_pkt *p,
					    const struct sg_tcpopt *o, __u32 slot,
					    const struct sg_est *est)
{
	const struct sg_config *cfg = sg_get_config();
	const struct sg_secret_state *ss;
	__u32 zero = 0, isn, tsval = 0;
	__u8 optbits;
	bool ts;
	__u64 h, now;
	int ret;

	if (!p || !o || !est || !cfg)
		return SG_ANSWER_NO_SECRET;
	ret = sg_verify_syn_csum(p, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	/* the sum could not cover the segment: longer than its loop, or
	 * running on into a further buffer (jumbo frames, SYN data) */
	if (ret == SG_CSUM_BAD_TCP &&
	    (p->tcp_len > SG_SYN_CSUM_MAX ||
	     (long)p->l4_off + p->tcp_len > (long)(ctx->data_end - ctx->data)))
		return SG_ANSWER_OVERSIZE;
	if (ret == SG_CSUM_BAD_IP || ret == SG_CSUM_BAD_TCP)
		return sg_syn_drop(cfg, p,
				   ret == SG_CSUM_BAD_IP ? SG_CNT_drop_ip_csum
							 : SG_CNT_drop_tcp_csum,
				   slot, SG_PCNT_MAX)
			       ? SG_ANSWER_DROPPED
			       : SG_ANSWER_SHADOWED;
	if (ret == SG_CSUM_OFFLOAD)
		sg_count(SG_CNT_syn_csum_offloaded);
	ss = bpf_map_lookup_elem(&sg_secrets, &zero);
	if (!ss)
		return SG_ANSWER_NO_SECRET;
	now = est->coarse ? est->coarse : bpf_ktime_get_coarse_ns();
	if (!sg_secret_mints(ss, now))
		return SG_ANSWER_STALE;
	/* never a reflector: caps on what we send, per destination and all */
	if (cfg->budget[SG_BUDGET_synack].interval_ns |
	    cfg->budget[SG_BUDGET_synack_cpu].interval_ns) {
		ret = sg_synack_capped(p, est);
		/* clang knows its few values and drops the counter's mask */
		sg_barrier_var(ret);
		if (ret)
			return sg_syn_drop(cfg, p, ret, slot, SG_PCNT_MAX) ? SG_ANSWER_DROPPED
									   : SG_ANSWER_SHADOWED;
	}
	if (cfg->mode == SG_MODE_SHADOW) {
		sg_decide(cfg, p, SG_CNT_syn_cookies_sent, slot, SG_PCNT_syn_cookies_sent,
			  SG_VERDICT_TX);
		return SG_ANSWER_SHADOWED;
	}

	optbits = sg_cookie_optbits(cfg, p, o);
	h = sg_cookie_hash(&ss->slot[ss->cur & 1], p, bpf_ntohl(p->th.seq), optbits);
	isn = sg_cookie_isn(h, optbits);
	ts = (o->flags & SG_OPT_TS) && cfg->allow_ts;
	if (ts) {
		/* a clock above the hash bits (steps of 2^28 ns: the coarse
		 * clock is precise enough) keeps our TSval moving forward, as
		 * the kernel's does */
		tsval = ((__u32)(now >> 20) & ~SG_COOKIE_TS_HASH_MASK) |
			((__u32)h & SG_COOKIE_TS_HASH_MASK);
	}
	ret = sg_build_synack(ctx, p, cfg, o, isn, optbits, ts, tsval);
	if (ret) {
		sg_decide(cfg, p, ret, slot, SG_PCNT_MAX, SG_VERDICT_DROP);
		return SG_ANSWER_DROPPED;
	}
	sg_decide(cfg, p, SG_CNT_syn_cookies_sent, slot, SG_PCNT_syn_cookies_sent, SG_VERDICT_TX);
	return SG_ANSWER_SENT;
}

/* A SYN over its source's budget (it gets a cookie, or what the caps
 * decide): counted beside the decision, in shadow mode as a would-be. */
static __always_inline void sg_count_syn_over(const struct sg_config *cfg, __u32 slot)
{
	if (cfg->mode == SG_MODE_SHADOW) {
		sg_count_bank(SG_BANK_WOULD, SG_CNT_syn_ratelimited);
		return;
	}
	sg_count(SG_CNT_syn_ratelimited);
	sg_count_port(slot, SG_PCNT_syn_ratelimited);
}

/* A SYN sg_handle_syn passed that the tracker is to see: sg_xdp tracks
 * it, so that the tracker's stack frame is not stacked on the SYN path's. */
struct sg_syn_track {
	__u8 track;  /* the tracker is to see this SYN             */
	__u8 wscale; /* the window scale it announces (0xf: none)  */
};

/* Where a SYN goes, as each stage of sg_handle_syn decides. */
enum sg_syn_route {
	SG_SYN_NEXT,      /* no stage decided yet                      */
	SG_SYN_COOKIE,    /* answered with a cookie SYN-ACK (XDP_TX)    */
	SG_SYN_DROPPED,   /* dropped, counted already                   */
	SG_SYN_UNTOUCHED, /* to the kernel, neither counted nor tracked */
	SG_SYN_DROP,      /* to drop for ctx.cnt (shadow mode: passed)  */
	SG_SYN_TO_KERNEL, /* the kernel's handshake: syn_passed         */
	SG_SYN_PASS,      /* the kernel's handshake for ctx.cnt         */
};

/* One SYN on its way through the stages of sg_handle_syn. */
struct sg_syn_ctx {
	struct xdp_md *xdp;
	const struct sg_pkt *p;
	struct sg_config *cfg;
	__u32 slot;
	enum sg_list_verdict pol; /* what the lists said of its source  */
	__u32 cnt;                /* the counter of the route taken     */
	enum sg_tcpopt_result opt;
	struct sg_tcpopt o;
	struct sg_est est; /* its source's counts in the sketch  */
	bool over;         /* its source is over its SYN budget  */
};

/* The flags and the source's address: a SYN that no peer could send, or
 * one no SYN-ACK may answer, is dropped (counted for its reason). */
static __always_inline enum sg_syn_route sg_syn_screen(struct sg_syn_ctx *s)
{
	int ret;

	if (s->p->th.rst || s->p->th.fin) {
		s->cnt = SG_CNT_drop_syn_flags;
		return SG_SYN_DROP;
	}
	/* From our own address (land), broadcast, multicast, loopback or
	 * unspecified: routing drops it as martian, so do we, before a
	 * SYN-ACK goes to an address that no single peer has. */
	ret = sg_syn_src_check(s->p);
	if (ret) {
		s->cnt = ret;
		return SG_SYN_DROP;
	}
	return SG_SYN_NEXT;
}

/* Is p's source one synguard knows: a flow the tracker may hold, a
 * learned source, or one whose spent cookie budget sends it to the
 * kernel's handshake? Cheap looks only (filters first); the stages after
 * decide on it in full. */
static __always_inline bool sg_syn_known(const struct sg_syn_ctx *s)
{
	if (sg_tracked(s->cfg, s->slot) && sg_ct_maybe(sg_ct_in_hash(s->p)))
		return true;
	if (s->cfg->learn_s && sg_src_is_learned(s->p))
		return true;
	return sg_cookie_spent_maybe() && sg_cookie_budget_low(s->p);
}

/* Over what the machine answers: in cookie mode, this CPU's share of
 * synack.rate has no SYN-ACK left, so a SYN headed for a cookie would be
 * dropped at that cap anyway (drop_synack_global), after its options,
 * the sketch, the checksum, the secret and the caps' own lookups. Shed it
 * here instead, at a few lookups' cost, unless its source is listed or
 * known (sg_syn_known): those go on through every stage as before and
 * keep their service while the flood is shed. A look at the bucket
 * takes nothing: a new client still gets a cookie whenever the cap has
 * one. The shed SYNs are not counted in the sketch (drop_syn_shed
 * counts them). */
static __always_inline enum sg_syn_route sg_syn_shed(struct sg_syn_ctx *s)
{
	if (s->pol != SG_LIST_UNLISTED || !s->cfg->cookie_active ||
	    !s->cfg->budget[SG_BUDGET_synack_cpu].interval_ns)
		return SG_SYN_NEXT;
	if (!sg_cpu_budget_spent(s->cfg, SG_BUDGET_synack_cpu, bpf_ktime_get_ns()))
		return SG_SYN_NEXT;
	if (sg_syn_known(s))
		return SG_SYN_NEXT;
	s->cnt = SG_CNT_drop_syn_shed;
	return SG_SYN_DROP;
}

/* The lists' word and the source's SYN budget. Per-source budgets apply
 * in every mode: a source over its SYN budget gets no more of the
 * kernel's handshakes, but cookies (the SYN-ACK caps bound what they
 * send). Not a drop: SYNs carry no proof of their source, and a spoofer
 * who spends a client's budget must not cost it its connections. */
static __always_inline enum sg_syn_route sg_syn_policy(struct sg_syn_ctx *s)
{
	if (s->pol == SG_LIST_DENY_SHADOWED)
		return SG_SYN_TO_KERNEL;
	if (s->pol == SG_LIST_ALLOWED) {
		s->cnt = SG_CNT_syn_allowed;
		return SG_SYN_PASS;
	}
	s->over = sg_sketch_on(s->cfg) && sg_syn_budget(s->p, &s->est);
	if (s->over)
		sg_count_syn_over(s->cfg, s->slot);
	return SG_SYN_NEXT;
}

/* Does the kernel's own handshake take this SYN rather than a cookie?
 * Cookie mode off (and the source within budget), a SYN on a
 * synchronized flow we track (a TIME_WAIT reuse, a peer that restarted)
 * or the SYN again of a handshake the kernel holds, a learned source, a
 * source whose cookie budget is low. */
static __always_inline enum sg_syn_route sg_syn_kernel_gates(struct sg_syn_ctx *s)
{
	enum sg_syn_held held;

	if (!s->cfg->cookie_active && !s->over)
		return SG_SYN_PASS;
	if (sg_tracked(s->cfg, s->slot) && sg_ct_maybe(sg_ct_in_hash(s->p))) {
		held = sg_ct_syn_kernel(s->p);
		if (held == SG_SYN_HELD_RETRANS)
			s->cnt = SG_CNT_syn_retrans_kernel;
		if (held != SG_SYN_HELD_NONE)
			return SG_SYN_PASS;
	}
	if (!s->over && s->cfg->learn_s && sg_src_is_learned(s->p)) {
		s->cnt = SG_CNT_syn_learned;
		return SG_SYN_PASS;
	}
	if (sg_cookie_spent_maybe() && sg_cookie_budget_low(s->p)) {
		s->cnt = SG_CNT_syn_cookie_budget;
		return SG_SYN_PASS;
	}
	return SG_SYN_NEXT;
}

/* The cookie SYN-ACK, and where sg_syn_cookie's answer sends the SYN. */
static __always_inline enum sg_syn_route sg_syn_answer(struct sg_syn_ctx *s)
{
	enum sg_syn_answer answer;

	/* no cookie for options we cannot read in full */
	if (s->opt == SG_TCPOPT_OVERRUN) {
		s->cnt = SG_CNT_parse_tcp_options;
		return SG_SYN_DROP;
	}
	answer = sg_syn_cookie(s->xdp, s->p, &s->o, s->slot, &s->est);
	if (answer == SG_ANSWER_SENT && !s->cfg->cookie_active)
		sg_cookie_window_keep();
	if (answer == SG_ANSWER_SENT)
		return SG_SYN_COOKIE;
	if (answer == SG_ANSWER_DROPPED)
		return SG_SYN_DROPPED;
	if (answer == SG_ANSWER_NO_SECRET)
		return SG_SYN_UNTOUCHED;
	if (answer == SG_ANSWER_OVERSIZE) {
		sg_count(SG_CNT_syn_oversize);
		return SG_SYN_PASS;
	}
	if (answer == SG_ANSWER_STALE) {
		s->cnt = SG_CNT_syn_secret_stale;
		return SG_SYN_PASS;
	}
	return SG_SYN_TO_KERNEL;
}

/* The XDP action of a route. A SYN to the kernel is counted, and the
 * tracker is to see it (*t). */
static __always_inline int sg_syn_finish(struct sg_syn_ctx *s, enum sg_syn_route route,
					 struct sg_syn_track *t)
{
	if (route == SG_SYN_COOKIE)
		return XDP_TX;
	if (route == SG_SYN_DROPPED)
		return XDP_DROP;
	if (route == SG_SYN_UNTOUCHED)
		return XDP_PASS;
	if (route == SG_SYN_DROP) {
		/* clang knows cnt's few values and would drop the counter's
		 * mask */
		sg_barrier_var(s->cnt);
		if (sg_syn_drop(s->cfg, s->p, s->cnt, s->slot, SG_PCNT_MAX))
			return XDP_DROP;
		/* shadow mode: the kernel gets every SYN, as with mode off */
		route = SG_SYN_TO_KERNEL;
	}
	if (route == SG_SYN_TO_KERNEL) {
		sg_count(SG_CNT_syn_passed);
		sg_count_port(s->slot, SG_PCNT_syn_passed);
	} else {
		if (s->opt == SG_TCPOPT_OVERRUN)
			sg_count(SG_CNT_parse_tcp_options);
		sg_decide(s->cfg, s->p, s->cnt, s->slot, SG_PCNT_syn_passed, SG_VERDICT_PASS);
		if (s->cnt != SG_CNT_syn_passed)
			sg_count(SG_CNT_syn_passed);
	}
	t->track = sg_tracked(s->cfg, s->slot);
	t->wscale = s->o.flags & SG_OPT_WSCALE ? s->o.wscale : SG_COOKIE_WS_NONE;
	return XDP_PASS;
}

/* A SYN to a protected port, not part of a known flow; pol: what the
 * lists said of its source. The stages in order, each free to decide:
 * screen, shed (over the SYN-ACK cap), options, policy, the kernel's
 * gates, the cookie. Returns the XDP action; *t says whether the tracker
 * is to see the SYN. Global functions for the SYN and ACK paths keep each
 * stack frame apart: the verifier caps the stack of a whole call chain at
 * 512 bytes. */
__noinline int sg_handle_syn(struct xdp_md *ctx, const struct sg_pkt *p, __u32 slot,
			     enum sg_list_verdict pol, struct sg_syn_track *t)
{
	struct sg_syn_ctx s = {
		.xdp = ctx,
		.p = p,
		.cfg = sg_get_config(),
		.slot = slot,
		.pol = pol,
		.cnt = SG_CNT_syn_passed,
	};
	enum sg_syn_route route;

	if (!p || !s.cfg || !t)
		return XDP_PASS;
	/* every SYN to a protected port, whatever follows: auto mode's rate */
	sg_count(SG_CNT_syn_received);
	route = sg_syn_screen(&s);
	if (route == SG_SYN_NEXT)
		route = sg_syn_shed(&s);
	if (route == SG_SYN_NEXT) {
		/* Linux stops at a broken option and keeps the SYN, so do we */
		s.opt = sg_tcpopt_syn(ctx, p, &s.o);
		route = sg_syn_policy(&s);
	}
	if (route == SG_SYN_NEXT)
		route = sg_syn_kernel_gates(&s);
	if (route == SG_SYN_NEXT)
		route = sg_syn_answer(&s);
	return sg_syn_finish(&s, route, t);
}

#endif /* SG_SYN_H */
