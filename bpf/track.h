/* SPDX-License-Identifier: GPL-2.0 */
/* The tracker as the programs drive it (its state machine: conntrack.h):
 * one global function moves an entry for XDP and tc alike, and the SYN
 * path asks whether the kernel already holds the flow of a SYN.
 */
#ifndef SG_TRACK_H
#define SG_TRACK_H

#include "common.h"
#include "parse.h"
#include "config.h"
#include "conntrack.h"
#include "learned.h"
#include "kernel.h"

/* Track one segment; new entries only from a SYN, or for a flow whose
 * kernel state (kstate) is known; seed: the flags of such an entry, wscale:
 * see SG_CT_WS_* in conntrack.h. A global function: one
 * verification of the state machine serves XDP and TC alike. */
__noinline enum sg_ct_verdict sg_ct_update(const struct sg_pkt *p, __u32 dir, __u32 kstate,
					   __u32 seed, __u32 wscale)
{
	struct sg_config *cfg = sg_get_config();
	enum sg_ct_verdict verdict;
	bool established = false;
	struct sg_ct_key k;
	struct sg_seg s;

	if (!p || !cfg)
		return SG_CT_PASS;
	sg_ct_make_key(&k, p, dir);
	sg_seg_from_pkt(&s, p);
	s.wscale = wscale & 0xff;
	verdict = sg_ct_track(&k, &s, dir, cfg, p->tcp_len, kstate, seed, wscale, &established);
	/* the remote holds an established connection: learned */
	if (established && cfg->learn_s)
		sg_learned_note_peer(p, dir);
	return verdict;
}

/* Track inbound p at XDP with no kernel state to tell; a SYN past a
 * TIME_WAIT entry's sequence asks whether the kernel hands it to a
 * listener (sg_ct_track). */
static __always_inline enum sg_ct_verdict sg_ct_update_in(struct xdp_md *ctx,
							  const struct sg_pkt *p, __u32 wscale)
{
	enum sg_ct_verdict verdict = sg_ct_update(p, SG_CT_IN, SG_STATE_MAX, 0, wscale);

	if (verdict != SG_CT_ASK_LISTENER)
		return verdict;
	return sg_ct_update(p, SG_CT_IN, sg_kernel_takes_tw_syn(ctx, p) ? SG_CLOSED : SG_TIME_WAIT,
			    0, wscale);
}

/* sg_ct_syn_kernel's answers: why a SYN in cookie mode goes to the kernel. */
enum sg_syn_held {
	SG_SYN_HELD_NONE,
	SG_SYN_HELD_SYNCED,  /* a synchronized flow (TIME_WAIT reuse...)     */
	SG_SYN_HELD_RETRANS, /* the SYN again of a handshake the kernel holds */
};

/* Does the kernel hold the flow of this SYN (inbound p)? A live
 * synchronized entry, or a live SYN_RCVD entry made by this very SYN's
 * first copy: the tracker makes embryonic entries only of SYNs passed to
 * the kernel (a cookie SYN-ACK leaves none), and the remote ISN must match,
 * so only a tuple that already went to the kernel qualifies. A cookie
 * SYN-ACK to it would differ from the kernel's, and the client's ACK of
 * it would be reset. Asked only once the filter said maybe (sg_ct_maybe). */
__noinline enum sg_syn_held sg_ct_syn_kernel(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_ct_entry *e;
	struct sg_ct_key k;
	bool embryonic, stale;

	if (!p || !cfg)
		return SG_SYN_HELD_NONE;
	sg_ct_make_key(&k, p, SG_CT_IN);
	e = sg_ct_lookup(&k, cfg, sg_ct_now(), false, &embryonic, &stale);
	if (!e)
		return SG_SYN_HELD_NONE;
	if (!embryonic)
		return SG_SYN_HELD_SYNCED;
	if (e->state == SG_SYN_RCVD && (e->remote.flags & SG_CTD_SYN) &&
	    e->remote.isn == bpf_ntohl(p->th.seq))
		return SG_SYN_HELD_RETRANS;
	return SG_SYN_HELD_NONE;
}

#endif /* SG_TRACK_H */
