// SPDX-License-Identifier: GPL-2.0
/* A test-only tcx program (tests/security/tcx_chain.sh, lost_cookie_ack.sh):
 * counts the TCP packets that reach its place in the tcx chain, and can
 * drop the next few pure ACKs to one port. It hands every other packet on
 * (TCX_NEXT), as a well-behaved program of the chain does. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct tcx_probe_state {
	__u64 tcp;       /* TCP packets seen                               */
	__u64 dropped;   /* pure ACKs dropped                              */
	__u32 drop_port; /* host order; 0: drop nothing                    */
	__u32 drop_left; /* pure ACKs to drop_port still to drop           */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcx_probe_state);
} probe SEC(".maps");

/* The TCP header of an IPv4 packet without options, or NULL. */
static struct tcphdr *tcp_of(struct __sk_buff *skb, __u32 *payload)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);

	if ((void *)(th + 1) > end || eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_TCP)
		return NULL;
	*payload = bpf_ntohs(ip->tot_len) - 20 - th->doff * 4;
	return th;
}

SEC("tc")
int tcx_probe(struct __sk_buff *skb)
{
	__u32 zero = 0, payload = 0;
	struct tcx_probe_state *p = bpf_map_lookup_elem(&probe, &zero);
	struct tcphdr *th = tcp_of(skb, &payload);

	if (!p || !th)
		return TCX_NEXT;
	__sync_fetch_and_add(&p->tcp, 1);
	if (p->drop_left && bpf_ntohs(th->dest) == p->drop_port && th->ack && !th->syn &&
	    !th->fin && !th->rst && !payload) {
		p->drop_left--;
		__sync_fetch_and_add(&p->dropped, 1);
		return TCX_DROP;
	}
	return TCX_NEXT;
}

char LICENSE[] SEC("license") = "GPL";
