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
 *
 * Kinds counted by the sketch (syn, synack: bpf/sketch.h) keep no bucket
 * for a source until the sketch saw it pass a gate (sg_budget_gate): one
 * event a window (a spoofed source) never reaches the LRU, and a bucket
 * made late is charged with what the sketch saw, so evicting a heavy
 * source's bucket gains it nothing (sg_budget_src_take). Kinds *_cpu are a
 * budget for everything, one bucket per CPU (sg_cpu_budget_take).
 */
#ifndef SG_BUDGET_H
#define SG_BUDGET_H

#include "common.h"
#include "counters.h"

#define SG_BUDGET_DEFAULT_SIZE 65536

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_BUDGET_DEFAULT_SIZE);
	__type(key, struct sg_budget_key);
	__type(value, struct sg_budget);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_budget SEC(".maps");

/* The buckets of the *_cpu kinds, by kind. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_BUDGET_SLOTS);
	__type(key, __u32);
	__type(value, struct sg_budget);
} sg_cpu_budget SEC(".maps");

/* The network-order mask of 32-bit word i of a prefix of plen bits. */
static __always_inline __u32 sg_prefix_mask(__u32 plen, __u32 i)
{
	__u32 bits = plen > i * 32 ? plen - i * 32 : 0;

	if (bits >= 32)
		return 0xffffffff;
	return bits ? bpf_htonl(~0u << (32 - bits)) : 0;
}

/* addr's first plen bits, the rest zero. */
static __always_inline void sg_addr_prefix(__u32 *dst, const __u32 *addr, __u32 plen)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++)
		dst[i] = addr[i] & sg_prefix_mask(plen, i);
}

static __always_inline void sg_budget_key_make(struct sg_budget_key *k,
					       const struct sg_budget_cfg *b, __u32 kind,
					       __u8 family, const __u32 *saddr)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->family = family;
	k->kind = kind;
	sg_addr_prefix(k->addr, saddr, family == 4 ? b->prefix4 : b->prefix6);
}

static __always_inline const struct sg_budget_cfg *sg_budget_cfg_of(const struct sg_config *cfg,
								    __u32 kind)
{
	return &cfg->budget[kind & (SG_BUDGET_SLOTS - 1)];
}

/* The source of addr masked to plen bits (include/synguard.h struct
 * sg_src_key). */
static __always_inline void sg_src_make_plen(struct sg_src_key *s, __u8 family, const __u32 *addr,
					     __u32 plen)
{
	__builtin_memset(s, 0, sizeof(*s));
	s->family = family;
	s->plen = plen;
	sg_addr_prefix(s->addr, addr, plen);
}

/* The source of addr: masked to syn_budget.prefix4/6. */
static __always_inline void sg_src_make(struct sg_src_key *s, const struct sg_config *cfg,
					__u8 family, const __u32 *addr)
{
	const struct sg_budget_cfg *b = sg_budget_cfg_of(cfg, SG_BUDGET_syn);

	sg_src_make_plen(s, family, addr, family == 4 ? b->prefix4 : b->prefix6);
}

/* A source's hash, keyed by the daemon's random seed: no one outside can
 * aim sources at another's sketch counters. */
static __always_inline __u32 sg_src_hash(const struct sg_config *cfg, const struct sg_src_key *s)
{
	__u64 h = ((__u64)s->addr[0] << 32 | s->addr[1]) ^ cfg->sketch_seed ^ s->family;

	if (s->family == 6)
		h = (__u64)sg_mix(h) << 32 ^ ((__u64)s->addr[2] << 32 | s->addr[3]);
	return sg_mix(h);
}

/* The source's bucket (its key in *k), NULL while it has never spent a
 * token (a full bucket) or the kind is unlimited. */
static __always_inline struct sg_budget *sg_budget_find(const struct sg_budget_cfg *b, __u32 kind,
							__u8 family, const __u32 *saddr,
							struct sg_budget_key *k)
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

/* Has the source of bucket e (NULL: full) n tokens left? */
static __always_inline bool sg_budget_left(const struct sg_budget_cfg *b, const struct sg_budget *e,
					   __u64 now, __u32 n)
{
	__u64 t = b->interval_ns;

	return !t || sg_budget_tat(e, now) - now + t * n <= t * b->burst;
}

/* Has the source of bucket e (NULL: full) a token left? */
static __always_inline bool sg_budget_has(const struct sg_budget_cfg *b, const struct sg_budget *e,
					  __u64 now)
{
	return sg_budget_left(b, e, now, 1);
}

/* Half the burst, at least one token. */
static __always_inline __u32 sg_budget_half(const struct sg_budget_cfg *b)
{
	return (b->burst + 1) / 2;
}

/* Takes a token from bucket e, or from a new one under key k. */
static __always_inline void sg_budget_take(const struct sg_budget_cfg *b, struct sg_budget *e,
					   const struct sg_budget_key *k, __u64 now)
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

/* Is a source that the sketch saw n times in its window (or the last one)
 * worth an exact bucket? Below both its burst and its rate per window the
 * budget could not limit it yet. */
static __always_inline bool sg_budget_gate(const struct sg_budget_cfg *b, __u32 n)
{
	return n >= b->burst || (__u64)n * b->interval_ns >= 1ULL << SG_SKETCH_EPOCH_SHIFT;
}

/* One event of source s, which the sketch saw n times (this one too):
 * within budget (and the token taken)? Past the gate the source gets an
 * exact bucket; a new one starts charged with the n - 1 events before,
 * up to the burst. */
static __always_inline bool sg_budget_src_take(const struct sg_config *cfg, __u32 kind,
					       const struct sg_src_key *s, __u32 n, __u64 now)
{
	const struct sg_budget_cfg *b = sg_budget_cfg_of(cfg, kind);
	struct sg_budget_key k;
	struct sg_budget *e, v;
	__u32 charge;
	bool has;

	if (!b->interval_ns || !sg_budget_gate(b, n))
		return true;
	__builtin_memset(&k, 0, sizeof(k));
	k.family = s->family;
	k.kind = kind;
	__builtin_memcpy(k.addr, s->addr, sizeof(k.addr));
	e = bpf_map_lookup_elem(&sg_budget, &k);
	if (e) {
		has = sg_budget_has(b, e, now);
		if (has)
			sg_budget_take(b, e, &k, now);
		return has;
	}
	/* the n - 1 before this one, as if they had come now */
	charge = n - 1 < b->burst ? n - 1 : b->burst;
	v.tat_ns = now + (__u64)charge * b->interval_ns;
	has = sg_budget_has(b, &v, now);
	if (has)
		v.tat_ns += b->interval_ns;
	bpf_map_update_elem(&sg_budget, &k, &v, BPF_ANY);
	sg_count(SG_CNT_budget_tracked);
	return has;
}

/* A *_cpu kind: its rate shared evenly by the CPUs, each with a bucket of
 * its own (no shared cache line on the hot path) and the whole burst.
 * This CPU's bucket, and in *b its budget; NULL when the kind has no rate. */
static __always_inline struct sg_budget *sg_cpu_budget_find(const struct sg_config *cfg, __u32 kind,
							    struct sg_budget_cfg *b)
{
	const struct sg_budget_cfg *g = sg_budget_cfg_of(cfg, kind);
	__u32 slot = kind & (SG_BUDGET_SLOTS - 1);

	b->interval_ns = g->interval_ns * (cfg->ncpus ? cfg->ncpus : 1);
	b->burst = g->burst;
	if (!b->interval_ns)
		return NULL;
	return bpf_map_lookup_elem(&sg_cpu_budget, &slot);
}

/* Takes a token of a *_cpu kind on this CPU if there is one. */
static __always_inline bool sg_cpu_budget_take(const struct sg_config *cfg, __u32 kind, __u64 now)
{
	struct sg_budget_cfg b;
	struct sg_budget *e = sg_cpu_budget_find(cfg, kind, &b);

	if (!e)
		return true;
	if (!sg_budget_has(&b, e, now))
		return false;
	e->tat_ns = sg_budget_tat(e, now) + b.interval_ns;
	return true;
}

/* Is this CPU's bucket of a *_cpu kind out of tokens at now? A look only:
 * nothing taken. */
static __always_inline bool sg_cpu_budget_spent(const struct sg_config *cfg, __u32 kind, __u64 now)
{
	struct sg_budget_cfg b;
	struct sg_budget *e = sg_cpu_budget_find(cfg, kind, &b);

	return e && !sg_budget_has(&b, e, now);
}

#endif /* SG_BUDGET_H */
