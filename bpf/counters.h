/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU event counters: one global array (two banks: what was done, and
 * in shadow mode what would have been), one per protected-port slot.
 * Plain increments: each CPU owns its copy, userspace sums them. */
#ifndef SG_COUNTERS_H
#define SG_COUNTERS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_BANKS);
	__type(key, __u32);
	__type(value, struct sg_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_PORT_SLOTS);
	__type(key, __u32);
	__type(value, struct sg_port_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_port_counters SEC(".maps");

static __always_inline void sg_count_bank(__u32 bank, __u32 id)
{
	struct sg_counters *c = bpf_map_lookup_elem(&sg_counters, &bank);

	if (c)
		c->v[id & (SG_CNT_SLOTS - 1)]++;
}

static __always_inline void sg_count(__u32 id)
{
	sg_count_bank(SG_BANK_REAL, id);
}

static __always_inline void sg_count_port(__u32 slot, __u32 id)
{
	struct sg_port_counters *c;

	if (!slot)
		return;
	c = bpf_map_lookup_elem(&sg_port_counters, &slot);
	if (c)
		c->v[id & (SG_PCNT_SLOTS - 1)]++;
}

#endif /* SG_COUNTERS_H */
