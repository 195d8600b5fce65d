/* SPDX-License-Identifier: GPL-2.0 */
/* Per-source budgets: one token bucket per (family, kind of event, source
 * prefix) in one LRU map, so an attacker's sources cost him table slots,
 * not us memory. Each kind has its own rate, burst and prefix lengths in
 * sg_config.budget[kind]; a kind whose interval is 0 is unlimited.
 *
 * The bucket is GCRA (a virtual scheduling clock): one u64 per source, no
 * division on the packet path. tat is when the bucket would be full again;
 * a source has n tokens left while tat - now <= (burst - n) * interval.
 */
#ifndef SG_BUDGET_H
#define SG_BUDGET_H

#include "common.h"

#define SG_BUDGET_DEFAULT_SIZE 65536

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_BUDGET_DEFAULT_SIZE);
	__type(key, struct sg_budget_key);
	__type(value, struct sg_budget);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_budget SEC(".maps");

/* The network-order mask of 32-bit word i of a prefix of plen bits. */
static __always_inline __u32 sg_prefix_mask(__u32 plen, __u32 i)
{
	__u32 bits = plen > i * 32 ? plen - i * 32 : 0;

	if (bits >= 32)
		return 0xffffffff;
	return bits ? bpf_htonl(~0u << (32 - bits)) : 0;
}

static __always_inline void sg_budget_key_make(struct sg_budget_key *k,
					       const struct sg_budget_cfg *b,
					       __u32 kind, __u8 family,
					       const __u32 *saddr)
{
	__u32 plen = family == 4 ? b->prefix4 : b->prefix6;
	int i;

	__builtin_memset(k, 0, sizeof(*k));
	k->family = family;
	k->kind = kind;
#pragma unroll
	for (i = 0; i < 4; i++)
		k->addr[i] = saddr[i] & sg_prefix_mask(plen, i);
}

/* Takes cost tokens from the source's bucket of this kind. Returns false,
 * taking nothing, when the source has no token left; cost 0 only asks. */
static __always_inline bool sg_budget_spend(const struct sg_config *cfg,
					    __u32 kind, __u8 family,
					    const __u32 *saddr, __u32 cost,
					    __u64 now)
{
	const struct sg_budget_cfg *b = &cfg->budget[kind & (SG_BUDGET_SLOTS - 1)];
	__u64 t = b->interval_ns, tat;
	struct sg_budget_key k;
	struct sg_budget *e, v;

	if (!t)
		return true;
	sg_budget_key_make(&k, b, kind, family, saddr);
	e = bpf_map_lookup_elem(&sg_budget, &k);
	tat = e && (__s64)(e->tat_ns - now) > 0 ? e->tat_ns : now;
	if (tat - now + t > t * b->burst)
		return false;
	if (!cost)
		return true;
	tat += (__u64)cost * t;
	if (e) {
		e->tat_ns = tat;
	} else {
		v.tat_ns = tat;
		bpf_map_update_elem(&sg_budget, &k, &v, BPF_ANY);
	}
	return true;
}

#endif /* SG_BUDGET_H */
