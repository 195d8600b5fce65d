/* SPDX-License-Identifier: GPL-2.0 */
/* The sketch: how many SYNs each source (struct sg_src_key) sent in this
 * window and the last one, in fixed memory and without a single insert.
 * Count-min: a source is counted in two counters picked by its hash; its
 * estimate is the least of them, never below the truth. Blocked: both lie
 * in one cache line of SG_SKETCH_BLOCK counters (a random line is a cache
 * miss on a flood: one a SYN, not two). Conservative update (only the
 * counters at that least move) keeps a flood of spoofed sources from
 * raising everyone's. Per CPU: no cache line bounces between CPUs on the
 * SYN path; a source spread over several receive queues is counted on
 * each.
 *
 * One count, three uses: the gate of the SYN and SYN-ACK budgets
 * (bpf/budget.h), and the heavy hitters: a source that reaches
 * top_threshold SYNs in a window is recorded in sg_hitters (a small LRU,
 * per CPU: userspace sums), again at each further multiple of it.
 */
#ifndef SG_SKETCH_H
#define SG_SKETCH_H

#include "common.h"
#include "budget.h"

/* 32 KB per entry: a lookup per SYN, the entry's pointer stays in cache
 * (a map entry per counter made two more misses a SYN). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_SKETCH_ROWS);
	__type(key, __u32);
	__type(value, struct sg_sketch_row);
} sg_sketch SEC(".maps");

/* SYNs counted in each row this window and the last: the noise floor (a
 * row's entry has no room left for them). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_SKETCH_ROWS);
	__type(key, __u32);
	__type(value, struct sg_sketch_slot);
} sg_sketch_syns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, SG_HITTERS_SIZE);
	__type(key, struct sg_src_key);
	__type(value, struct sg_hitter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_hitters SEC(".maps");

/* A source's count in this window and the last, as of coarse. */
struct sg_est {
	__u32 cur;
	__u32 prev;
	__u64 coarse; /* bpf_ktime_get_coarse_ns(), 0: not read   */
};

/* Is anything reading the sketch? */
static __always_inline bool sg_sketch_on(const struct sg_config *cfg)
{
	return cfg->top_threshold ||
	       (cfg->budget[SG_BUDGET_syn].interval_ns | cfg->budget[SG_BUDGET_synack].interval_ns);
}

static __always_inline __u64 sg_sketch_epoch(__u64 now)
{
	return now >> SG_SKETCH_EPOCH_SHIFT;
}

/* A counter's count for window epoch (0 if it holds another window's). */
static __always_inline __u32 sg_sketch_read(__u32 c, __u64 epoch)
{
	return c >> SG_SKETCH_TAG_SHIFT == (epoch & 0xff) ? c & SG_SKETCH_COUNT_MAX : 0;
}

/* Raise counter *c of window epoch to at least n. */
static __always_inline void sg_sketch_raise(__u32 *c, __u64 epoch, __u32 n)
{
	if (sg_sketch_read(*c, epoch) < n)
		*c = (__u32)(epoch & 0xff) << SG_SKETCH_TAG_SHIFT | n;
}

/* A row's noise floor in a window: what every counter of it holds on
 * average when t SYNs raised at most two counters each. */
static __always_inline __u32 sg_sketch_floor(__u32 t)
{
	return t * 2 / SG_SKETCH_WIDTH;
}

/* Row r's SYNs of window epoch, this one counted, and of the last. */
static __always_inline void sg_sketch_row_syns(__u32 r, __u64 epoch, __u32 *cur, __u32 *prev)
{
	struct sg_sketch_slot *t = bpf_map_lookup_elem(&sg_sketch_syns, &r);

	*cur = 1;
	*prev = 0;
	if (!t)
		return;
	*cur = sg_sketch_read(t->c[epoch & 1], epoch) + 1;
	if (*cur > SG_SKETCH_COUNT_MAX)
		*cur = SG_SKETCH_COUNT_MAX;
	sg_sketch_raise(&t->c[epoch & 1], epoch, *cur);
	*prev = sg_sketch_read(t->c[(epoch - 1) & 1], epoch - 1);
}

/* Counts one SYN of s at now (coarse ktime); *est gets its estimates, less
 * the row's noise floor: a flood of spoofed one-SYN sources raises every
 * counter, and without it a new client would look like a heavy source
 * (gated, charged, dropped). A heavy source may gain up to the floor. */
static __always_inline void sg_sketch_count(const struct sg_config *cfg, const struct sg_src_key *s,
					    __u64 now, struct sg_est *est)
{
	__u64 epoch = sg_sketch_epoch(now);
	__u32 h = sg_src_hash(cfg, s), r = h & (SG_SKETCH_ROWS - 1);
	struct sg_sketch_row *row = bpf_map_lookup_elem(&sg_sketch, &r);
	/* the block, then two distinct counters in it */
	__u32 blk = (h >> 1) & (SG_SKETCH_WIDTH / SG_SKETCH_BLOCK - 1);
	__u32 i0 = (h >> 16) & (SG_SKETCH_BLOCK - 1);
	__u32 i1 = (i0 + 1 + (h >> 19) % (SG_SKETCH_BLOCK - 1)) & (SG_SKETCH_BLOCK - 1);
	struct sg_sketch_slot *a, *b;
	__u32 ca, cb, pa, pb, n, tc, tp;

	est->cur = est->prev = 0;
	if (!row)
		return;
	sg_sketch_row_syns(r, epoch, &tc, &tp);
	a = &row->s[(blk * SG_SKETCH_BLOCK + i0) & (SG_SKETCH_WIDTH - 1)];
	b = &row->s[(blk * SG_SKETCH_BLOCK + i1) & (SG_SKETCH_WIDTH - 1)];
	ca = sg_sketch_read(a->c[epoch & 1], epoch);
	cb = sg_sketch_read(b->c[epoch & 1], epoch);
	pa = sg_sketch_read(a->c[(epoch - 1) & 1], epoch - 1);
	pb = sg_sketch_read(b->c[(epoch - 1) & 1], epoch - 1);
	n = (ca < cb ? ca : cb) + 1;
	if (n > SG_SKETCH_COUNT_MAX)
		n = SG_SKETCH_COUNT_MAX;
	sg_sketch_raise(&a->c[epoch & 1], epoch, n);
	sg_sketch_raise(&b->c[epoch & 1], epoch, n);
	tc = sg_sketch_floor(tc);
	tp = sg_sketch_floor(tp);
	est->cur = n > tc ? n - tc : 1;
	pa = pa < pb ? pa : pb;
	est->prev = pa > tp ? pa - tp : 0;
}

/* A source at top_threshold SYNs in this window, or a multiple: recorded
 * (at most one update per threshold's worth of its SYNs). */
static __always_inline void sg_hitter_note(const struct sg_config *cfg, const struct sg_src_key *s,
					   const struct sg_est *est, __u64 now)
{
	__u32 t = cfg->top_threshold;
	struct sg_hitter v;

	if (!t || est->cur < t || est->cur % t)
		return;
	v.epoch = (__u32)sg_sketch_epoch(now);
	v.count = est->cur;
	v.seen_ns = now;
	bpf_map_update_elem(&sg_hitters, s, &v, BPF_ANY);
}

#endif /* SG_SKETCH_H */
