/* SPDX-License-Identifier: GPL-2.0 */
/* The learned allowlist: a source (sg_learned_key_of) that completed a
 * valid cookie handshake, or whose connection became ESTABLISHED, skips
 * cookie mode for learn_s seconds after (its SYNs go to the kernel, which
 * answers them with a full handshake). An LRU, so it never fills; the
 * daemon's sweep removes what expired and rebuilds its filter
 * (sg_learned_bits, bpf/bits.h), which spares each SYN of a flood the
 * lookup while cookie mode is on.
 */
#ifndef SG_LEARNED_H
#define SG_LEARNED_H

#include "common.h"
#include "bits.h"
#include "budget.h"
#include "parse.h"
#include "config.h"
#include "conntrack.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_LEARNED_SIZE);
	__type(key, struct sg_src_key);
	__type(value, struct sg_learned);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_learned SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 + 2 * (SG_LEARNED_SIZE * SG_BITS_PER_SLOT / 64));
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_learned_bits SEC(".maps");

static __always_inline bool sg_learned_expired(const struct sg_config *cfg,
					       const struct sg_learned *l, __u64 now)
{
	return now > l->seen_ns && now - l->seen_ns > (__u64)cfg->learn_s * SG_NSEC_PER_SEC;
}

/* The learned source of addr: masked to learn.prefix4/6, by default the
 * address itself. Only a handshake completed from an address (a valid
 * cookie, or a tracked connection that reached ESTABLISHED: its ACK acked
 * our ISN) learns it, and it vouches for no neighbour: a spoofer that
 * shares a client's /64 gains nothing from the client's connections. */
static __always_inline void sg_learned_key_of(struct sg_src_key *s, const struct sg_config *cfg,
					      __u8 family, const __u32 *addr)
{
	sg_src_make_plen(s, family, addr, family == 4 ? cfg->learn_prefix4 : cfg->learn_prefix6);
}

/* Is s a learned source, unexpired at now? */
static __always_inline bool sg_learned_has(const struct sg_config *cfg, const struct sg_src_key *s,
					   __u64 now)
{
	struct sg_learned *l;

	if (!sg_bits_maybe(&sg_learned_bits, sg_src_hash(cfg, s)))
		return false;
	l = bpf_map_lookup_elem(&sg_learned, s);
	return l && !sg_learned_expired(cfg, l, now);
}

/* s proved itself at now: learned, or learned again. */
static __always_inline void sg_learned_put(const struct sg_config *cfg, const struct sg_src_key *s,
					   __u64 now)
{
	struct sg_learned v = { .seen_ns = now };

	if (bpf_map_update_elem(&sg_learned, s, &v, BPF_ANY))
		return;
	sg_bits_mark(&sg_learned_bits, sg_src_hash(cfg, s));
	sg_count(SG_CNT_learned_added);
}

/* The remote end of p (dir: SG_CT_IN, it sent p) proved itself: learned. */
__noinline int sg_learned_note_peer(const struct sg_pkt *p, __u32 dir)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_src_key s;

	if (!p || !cfg)
		return 0;
	sg_learned_key_of(&s, cfg, p->family, dir == SG_CT_IN ? p->saddr : p->daddr);
	sg_learned_put(cfg, &s, bpf_ktime_get_coarse_ns());
	return 0;
}

/* Is p's source learned (cookie mode skips it)? */
__noinline int sg_src_is_learned(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_src_key s;

	if (!p || !cfg)
		return 0;
	sg_learned_key_of(&s, cfg, p->family, p->saddr);
	return sg_learned_has(cfg, &s, bpf_ktime_get_coarse_ns());
}

#endif /* SG_LEARNED_H */
