/* SPDX-License-Identifier: GPL-2.0 */
/* How a stage's decision on a packet is carried out: sampled for
 * `synguard events`, counted by its reason (and its port), and turned into
 * the XDP action, except in shadow mode, which only counts what it would
 * have done. Every stage decides through sg_decide, so that no decision
 * can go uncounted.
 */
#ifndef SG_DECIDE_H
#define SG_DECIDE_H

#include "common.h"
#include "parse.h"
#include "counters.h"
#include "config.h"
#include "events.h"

/* A decision for `synguard events`, if a reader holds the lease. */
__noinline int sg_sample(const struct sg_pkt *p, __u32 reason, __u32 verdict, __u32 flags)
{
	struct sg_config *cfg = sg_get_config();

	if (p && cfg && sg_events_leased(cfg))
		sg_event_put(cfg, p, reason, verdict, flags);
	return 0;
}

/* What XDP does with a packet to a protected port that it decided on. */
enum sg_verdict {
	SG_VERDICT_PASS,
	SG_VERDICT_DROP,
	SG_VERDICT_TX, /* answered in place: the SYN became our SYN-ACK */
	/* Passed with more than the packet: a cookie ACK carries its socket's
	 * attributes (struct sg_meta) to tc ingress, which hands them to the
	 * kernel. Shadow mode does not carry it out. */
	SG_VERDICT_HANDOFF,
};

static __always_inline int sg_xdp_action(enum sg_verdict v)
{
	if (v == SG_VERDICT_DROP)
		return XDP_DROP;
	return v == SG_VERDICT_TX ? XDP_TX : XDP_PASS;
}

/* Every decision on a packet to a protected port: sampled while a reader
 * holds the events lease, counted (by its counter cnt, by port: pcnt, or
 * SG_PCNT_MAX for none) and returned as the XDP action that carries out
 * verdict v. In shadow mode it is counted in the would-be bank, and what is
 * not a plain pass becomes one (pass_shadow): nothing is dropped or
 * answered. */
static __always_inline int sg_decide(const struct sg_config *cfg, const struct sg_pkt *p, __u32 cnt,
				     __u32 slot, __u32 pcnt, enum sg_verdict v)
{
	bool shadow = cfg->mode == SG_MODE_SHADOW;
	int done = sg_xdp_action(v);

	if (cfg->events_until_ns)
		sg_sample(p, cnt, done, shadow ? SG_EV_WOULD : 0);
	if (shadow) {
		sg_count_bank(SG_BANK_WOULD, cnt);
		if (v != SG_VERDICT_PASS) {
			sg_count(SG_CNT_pass_shadow);
			return XDP_PASS;
		}
	}
	sg_count(cnt);
	if (pcnt < SG_PCNT_MAX)
		sg_count_port(slot, pcnt);
	if (done == XDP_DROP)
		sg_count_port(slot, SG_PCNT_drops);
	return done;
}

#endif /* SG_DECIDE_H */
