/* SPDX-License-Identifier: GPL-2.0 */
/* SYN-ACKs the tracker does not expect: solicited only if the kernel or
 * netfilter knows the flow, else reflection, dropped. And the window scale
 * a tracked SYN or SYN-ACK announces, for the tracker.
 */
#ifndef SG_SYNACK_H
#define SG_SYNACK_H

#include "common.h"
#include "parse.h"
#include "tcpopt.h"
#include "config.h"
#include "decide.h"
#include "cookie.h"
#include "kernel.h"
#include "track.h"

/* A SYN-ACK for a flow with no local SYN_SENT is unsolicited (reflection),
 * unless the kernel has the connection we forgot, or forwards it. */
static __always_inline int sg_handle_synack(struct xdp_md *ctx, const struct sg_config *cfg,
					    const struct sg_pkt *p, __u16 slot)
{
	struct sg_kernel_flow kf = {};
	bool solicited;

	sg_kernel_flow_of(ctx, p, 0, &kf);
	solicited = kf.state == SG_SYN_SENT;
	if (!solicited && sg_netfilter_tracks(ctx, p))
		return sg_decide(cfg, p, SG_CNT_synack_forwarded, slot, SG_PCNT_MAX,
				 SG_VERDICT_PASS);
	if (!solicited)
		return sg_decide(cfg, p, SG_CNT_drop_synack_unsolicited, slot, SG_PCNT_MAX,
				 SG_VERDICT_DROP);
	sg_ct_update(p, SG_CT_IN, SG_SYN_SENT, SG_CT_RETRACKED, SG_CT_WS_UNKNOWN);
	return XDP_PASS;
}

/* The window scale a SYN or SYN-ACK announces (0xf: none). */
__noinline int sg_syn_wscale(struct xdp_md *ctx, const struct sg_pkt *p)
{
	struct sg_tcpopt o = {};
	struct sg_optsrc s;

	if (!p)
		return SG_COOKIE_WS_NONE;
	s = sg_optsrc_xdp(ctx, p);
	if (sg_tcpopt_parse(&s, &o) != SG_TCPOPT_OK || !(o.flags & SG_OPT_WSCALE))
		return SG_COOKIE_WS_NONE;
	return o.wscale;
}

#endif /* SG_SYNACK_H */
