// SPDX-License-Identifier: GPL-2.0
/* For tests/integration/tcx_chain.sh: a tc program that only counts the
 * packets reaching it and lets them go on. Attached as a legacy clsact
 * filter behind synguard's tcx programs, it counts only what they hand
 * on (TCX_NEXT). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sg_tc_seen SEC(".maps");

SEC("tc")
int sg_tc_count(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&sg_tc_seen, &k);

	(void)skb;
	if (n)
		(*n)++;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
