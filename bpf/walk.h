/* SPDX-License-Identifier: GPL-2.0 */
/* The walk of the tables that sg_walk runs for userspace: the per-state
 * gauges, and the daemon's sweep of expired entries, which rebuilds the
 * tracker's and the learned sources' filters (bits.h).
 */
#ifndef SG_WALK_H
#define SG_WALK_H

#include "common.h"
#include "config.h"
#include "bits.h"
#include "conntrack.h"
#include "learned.h"

struct sg_walk_ctx {
	const struct sg_config *cfg;
	__u64 now_ns;
	__u64 expired;
	__u64 tw_ephemeral;
	__u32 delete_expired;
	__u16 eph_lo, eph_hi;
	__u32 gen;  /* the bitmap the sweep rebuilds */
	__u32 lgen; /* ...of the learned sources' filter */
	__u64 ctl;  /* the filter's control word, its size */
	__u64 lctl;
	__u64 live;
	__u64 learned;
	__u64 unconfirmed;
	__u64 states[SG_STATE_MAX]; /* ctx memory takes constant offsets only */
};

static long sg_walk_one(void *map, struct sg_ct_key *key, struct sg_ct_entry *e,
			struct sg_walk_ctx *w)
{
	bool unconfirmed = sg_ct_entry_unconfirmed(e);

	if (sg_ct_expired(w->cfg, e, w->now_ns)) {
		w->expired++;
		if (w->delete_expired && !bpf_map_delete_elem(map, key))
			sg_count(unconfirmed ? SG_CNT_ct_unconfirmed_expired : SG_CNT_ct_expired);
		return 0;
	}
	if (w->delete_expired)
		sg_bits_set(&sg_ct_bits, w->ctl, w->gen, sg_ct_key_hash(key));
	w->live++;
	/* the SYN_RCVD gauge counts request sockets the kernel holds */
	if (unconfirmed)
		w->unconfirmed++;
	else if (e->state < SG_STATE_MAX)
		w->states[e->state]++;
	/* TIME_WAIT holding a port this host picked for connect() */
	if (e->state == SG_TIME_WAIT && key->lport >= w->eph_lo && key->lport <= w->eph_hi)
		w->tw_ephemeral++;
	return 0;
}

/* Learned sources: the expired go (all of them once learning is off). */
static long sg_learned_walk_one(void *map, struct sg_src_key *key, struct sg_learned *l,
				struct sg_walk_ctx *w)
{
	if (!w->cfg->learn_s || sg_learned_expired(w->cfg, l, w->now_ns)) {
		if (w->delete_expired)
			bpf_map_delete_elem(map, key);
		return 0;
	}
	if (w->delete_expired)
		sg_bits_set(&sg_learned_bits, w->lctl, w->lgen, sg_src_hash(w->cfg, key));
	w->learned++;
	return 0;
}

static long sg_ct_bits_clear(__u32 i, __u32 *key0)
{
	return sg_bits_clear_word(&sg_ct_bits, *key0 + i);
}

static long sg_learned_bits_clear(__u32 i, __u32 *key0)
{
	return sg_bits_clear_word(&sg_learned_bits, *key0 + i);
}

#endif /* SG_WALK_H */
