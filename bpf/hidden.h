/* SPDX-License-Identifier: GPL-2.0 */
/* TCP that XDP cannot see whole: fragments, and IPv6 extension chains
 * longer than the parser walks. Judged by what can be known of it, so
 * that no list, budget or cookie can be gone around by hiding a segment.
 */
#ifndef SG_HIDDEN_H
#define SG_HIDDEN_H

#include "common.h"
#include "parse.h"
#include "config.h"
#include "decide.h"
#include "policy.h"
#include "syn.h"

/* A packet the parser found SG_PARSED_HIDDEN (why: its reason), judged by
 * what can be known of it, so that no list, budget or cookie can be gone
 * around by fragmenting a segment or hiding it behind extension headers:
 * shapes no stack sends go first; then the deny list, for any port (that
 * of a later fragment cannot be known, and the kernel would reassemble the
 * whole); then a SYN the first fragment shows, as any SYN: allow list,
 * budget, and in cookie mode a drop, as no cookie can answer a fragment
 * (the kernel would reassemble it and answer statefully). A chain past our
 * walk may hide a SYN: it takes from the source's SYN budget, and cookie
 * mode drops it. All else passes, for the kernel to reassemble. */
__noinline int sg_handle_hidden(const struct sg_pkt *p, __u32 why)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_est est = {};
	enum sg_list_verdict pol = SG_LIST_UNLISTED;
	__u32 slot = 0;
	bool syn;

	if (!p || !cfg)
		return XDP_PASS;
	if (p->frag == SG_FRAG_FIRST)
		slot = sg_port_slot(p->th.dest);
	if (why != SG_CNT_pass_ip_fragment && why != SG_CNT_parse_ipv6_ext_depth)
		return sg_decide(cfg, p, why, slot, SG_PCNT_MAX, SG_VERDICT_DROP);
	/* clang knows its two values now and would drop the counter's mask */
	sg_barrier_var(why);
	syn = why == SG_CNT_parse_ipv6_ext_depth || (slot && p->th.syn && !p->th.ack);
	if (sg_policy_applies(cfg, p, syn))
		pol = sg_policy_verdict(p);
	if (pol == SG_LIST_DENIED)
		return sg_decide(cfg, p, SG_CNT_drop_denied, slot, SG_PCNT_MAX, SG_VERDICT_DROP);
	if (!syn || pol != SG_LIST_UNLISTED)
		return sg_decide(cfg, p, why, slot, SG_PCNT_MAX, SG_VERDICT_PASS);
	if (why == SG_CNT_pass_ip_fragment)
		sg_count(SG_CNT_syn_received);
	if (sg_sketch_on(cfg) && sg_syn_budget(p, &est))
		return sg_decide(cfg, p, SG_CNT_syn_ratelimited, slot, SG_PCNT_syn_ratelimited,
				 SG_VERDICT_DROP);
	if (cfg->cookie_active)
		return sg_decide(cfg, p,
				 why == SG_CNT_pass_ip_fragment ? SG_CNT_drop_frag_syn
								: SG_CNT_drop_ipv6_ext_depth,
				 slot, SG_PCNT_MAX, SG_VERDICT_DROP);
	return sg_decide(cfg, p, why, slot, SG_PCNT_MAX, SG_VERDICT_PASS);
}

#endif /* SG_HIDDEN_H */
