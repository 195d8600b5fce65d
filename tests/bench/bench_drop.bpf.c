// SPDX-License-Identifier: GPL-2.0
/* Benchmark baseline: drop everything. In the end-to-end runs its busy CPU
 * per packet (generator + veth + an XDP run) is subtracted from every
 * candidate's; through BPF_PROG_TEST_RUN it measures the harness itself. */
#include "common.h"

SEC("xdp")
int sg_bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
