// SPDX-License-Identifier: GPL-2.0
/* Benchmark client end of the veth: counts what the server answered to the
 * flood's spoofed sources (198.19.0.0/16) — SYN-ACKs, RSTs, anything else —
 * and drops it there, where no host owns those addresses anyway, so the
 * flood's core does not also pay a full receive path per answer. The rest
 * (the legit client's traffic) passes. Being an XDP program, it is also
 * what the peer of a veth needs for the server's XDP_TX to arrive. */
#include "common.h"

enum { SG_ANS_SYNACK, SG_ANS_RST, SG_ANS_OTHER, SG_ANS_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_ANS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sg_answers SEC(".maps");

SEC("xdp")
int sg_bench_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	__u32 kind = SG_ANS_OTHER;
	__u64 *n;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    (ip->daddr & bpf_htonl(0xffff0000)) != bpf_htonl(0xc6130000))
		return XDP_PASS;
	if (ip->protocol == IPPROTO_TCP && ip->ihl == 5 && (void *)(th + 1) <= end) {
		if (th->rst)
			kind = SG_ANS_RST;
		else if (th->syn && th->ack)
			kind = SG_ANS_SYNACK;
	}
	n = bpf_map_lookup_elem(&sg_answers, &kind);
	if (n)
		(*n)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
