// SPDX-License-Identifier: GPL-2.0
/* Benchmark baseline for the established path: parse the segment, build
 * the tracker's key and look it up in sg_ct_synced (the benchmark hands it
 * synguard's own table), nothing else. What any design built on this map
 * pays per packet; synguard's established path is reported beside it. */
#include "common.h"
#include "parse.h"
#include "conntrack.h"

SEC("xdp")
int sg_bench_lookup(struct xdp_md *ctx)
{
	struct sg_pkt p = {};
	struct sg_ct_key k;

	if (sg_parse((void *)(long)ctx->data, (void *)(long)ctx->data_end,
		     ctx->data_end - ctx->data, &p) != SG_PARSED_TCP)
		return XDP_ABORTED;
	sg_ct_make_key(&k, &p, SG_CT_IN);
	return bpf_map_lookup_elem(&sg_ct_synced, &k) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
