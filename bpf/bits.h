/* SPDX-License-Identifier: GPL-2.0 */
/* Filters: a bit per key hash, so that a key surely not in a table skips
 * the lookup (layout and life cycle: "filters" in include/synguard.h).
 * One implementation for every table that has one: the tracker's tuples
 * (sg_ct_bits), learned sources (sg_learned_bits), listed prefixes
 * (sg_policy_bits). A filter map is an array of __u64: the control word,
 * then two bitmaps of (max_entries - 1) / 2 words each.
 */
#ifndef SG_BITS_H
#define SG_BITS_H

#include "common.h"

/* Words per bitmap, from the map's size (the daemon sizes it). */
static __always_inline __u32 sg_bits_word_count(void *map)
{
	return (sg_map_max_entries(map) - 1) / 2;
}

static __always_inline __u64 sg_bits_ctl(void *map)
{
	__u32 zero = 0;
	__u64 *ctl = bpf_map_lookup_elem(map, &zero);

	return ctl ? *ctl : 0;
}

/* The word of hash h in bitmap gen, at the size ctl gives it. */
static __always_inline __u64 *sg_bits_word(void *map, __u64 ctl, __u32 gen, __u32 h)
{
	__u32 n = sg_bits_word_count(map);
	__u32 lg = (ctl >> SG_BITS_LG_SHIFT(gen & 1)) & 31;
	__u32 used = lg && (1u << lg) < n ? 1u << lg : n;
	__u32 key = 1 + (gen & 1) * n + ((h >> 6) & (used - 1));

	return bpf_map_lookup_elem(map, &key);
}

static __always_inline void sg_bits_set(void *map, __u64 ctl, __u32 gen, __u32 h)
{
	__u64 *w = sg_bits_word(map, ctl, gen, h);

	if (w)
		__sync_fetch_and_or(w, 1ULL << (h & 63));
}

/* Might the table hold the key of hash h? No means surely not. */
static __always_inline bool sg_bits_maybe(void *map, __u32 h)
{
	__u64 ctl = sg_bits_ctl(map);
	__u64 *w = sg_bits_word(map, ctl, ctl & SG_BITS_GEN, h);

	return !w || (*w >> (h & 63)) & 1;
}

/* After a key went into the table: its bit, in both bitmaps. */
static __always_inline void sg_bits_mark(void *map, __u32 h)
{
	__u64 ctl = sg_bits_ctl(map);

	sg_bits_set(map, ctl, 0, h);
	sg_bits_set(map, ctl, 1, h);
}

/* ---- the sweep (sg_walk) ------------------------------------------------- */

/* Zeroes word key of map: the body of the sweep's clearing loop. Each
 * filter has its own bpf_loop callback around it (walk.h), as the loop
 * takes no argument but its context and the map must be a constant. */
static __always_inline long sg_bits_clear_word(void *map, __u32 key)
{
	__u64 *w = bpf_map_lookup_elem(map, &key);

	if (w)
		*w = 0;
	return 0;
}

/* The sweep's first step: size the bitmap gen it rebuilds to the entries
 * the last sweep found, record that size (marks from now on land inside
 * it), clear it with clear (a bpf_loop callback). Returns the control word to
 * rebuild with. */
static __always_inline __u64 sg_bits_start(void *map, __u64 *ctlp, __u32 gen, void *clear)
{
	__u64 want = (*ctlp >> SG_BITS_LIVE_SHIFT) * SG_BITS_PER_ENTRY / 64;
	__u32 n = sg_bits_word_count(map), lg = SG_BITS_MIN_LG, key0;
	__u64 ctl;

	while ((1ULL << lg) < want && (1u << lg) < n && lg < 30)
		lg++;
	ctl = *ctlp & ~(31ULL << SG_BITS_LG_SHIFT(gen));
	ctl |= (__u64)lg << SG_BITS_LG_SHIFT(gen);
	*ctlp = ctl;
	key0 = 1 + gen * n;
	bpf_loop((1u << lg) < n ? 1u << lg : n, clear, &key0, 0);
	return ctl;
}

/* The rebuilt bitmap goes live, with the count that sizes the next. */
static __always_inline void sg_bits_finish(__u64 *ctlp, __u64 ctl, __u32 gen, __u64 live)
{
	*ctlp = (ctl & ((1ULL << SG_BITS_LIVE_SHIFT) - 1) & ~SG_BITS_GEN) | gen |
		live << SG_BITS_LIVE_SHIFT;
}

#endif /* SG_BITS_H */
