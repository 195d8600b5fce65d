/* SPDX-License-Identifier: GPL-2.0 */
/* Per-source budgets: one token bucket per (family, kind of event, source
 * prefix) in one LRU map, so an attacker's sources cost him table slots,
 * not us memory. Each kind has its own rate, burst and prefix lengths in
 * sg_config.budget[kind]; a kind whose interval is 0 is unlimited.
 *
 * The bucket is GCRA (a virtual scheduling clock): one u64 per source, no
 * division on the packet path. tat is when the bucket would be full again;
 * a source has n tokens left while tat - now <= (burst - n) * interval.
 *
 * A user finds the bucket once (sg_budget_find), asks sg_budget_has before
 * the work the budget guards, and sg_budget_take after it when it counts
 * (for the cookie kind: a failed check).
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

static __always_inline const struct sg_budget_cfg *
sg_budget_cfg_of(const struct sg_config *cfg, __u32 kind)
{
	return &cfg->budget[kind & (SG_BUDGET_SLOTS - 1)];
}

/* The source's bucket (its key in *k), NULL while it has never spent a
 * token (a full bucket) or the kind is unlimited. */
static __always_inline struct sg_budget *
sg_budget_find(const struct sg_budget_cfg *b, __u32 kind, __u8 family,
	       const __u32 *saddr, struct sg_budget_key *k)
{
	if (!b->interval_ns)
		return NULL;
	sg_budget_key_make(k, b, kind, family, saddr);
	return bpf_map_lookup_elem(&sg_budget, k);
}

/* The bucket's clock as of now: it never lags the present. */
static __always_inline __u64 sg_budget_tat(const struct sg_budget *e, __u64 now)
{
	return e && (__s64)(e->tat_ns - now) > 0 ? e->tat_ns : now;
}

/* Has the source of bucket e (NULL: full) a token left? */
static __always_inline bool sg_budget_has(const struct sg_budget_cfg *b,
					  const struct sg_budget *e, __u64 now)
{
	__u64 t = b->interval_ns;

	return !t || sg_budget_tat(e, now) - now + t <= t * b->burst;
}

/* Takes a token from bucket e, or from a new one under key k. */
static __always_inline void sg_budget_take(const struct sg_budget_cfg *b,
					   struct sg_budget *e,
					   const struct sg_budget_key *k,
					   __u64 now)
{
	struct sg_budget v;

	if (!b->interval_ns)
		return;
	v.tat_ns = sg_budget_tat(e, now) + b->interval_ns;
	if (e)
		e->tat_ns = v.tat_ns;
	else
		bpf_map_update_elem(&sg_budget, k, &v, BPF_ANY);
}

#endif /* SG_BUDGET_H */
