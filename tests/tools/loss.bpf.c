// SPDX-License-Identifier: GPL-2.0
/* Lab helper (tests/tools/loss.sh): a seeded loss and duplication injector
 * for both directions of a veth, on its tc ingress and egress. This kernel
 * has no sch_netem, nftables' numgen takes no seed, and its dup only sends
 * out of a device, so a duplicate towards the host could not be made.
 * Every TCP segment draws from a xorshift64 generator that loss.sh seeds: a
 * drop ends it; a duplicate is a clone redirected the way the segment goes
 * (into the device's ingress, or out of it), marked so that it draws
 * nothing itself. Two CPUs may draw at once: the seed fixes the draws, not
 * which segment gets which. */
#include "common.h"

#define SG_LOSS_MARK 0x1055d0b1 /* a clone of ours, passed as it is */

enum { SG_LOSS_DROP_IN, SG_LOSS_DROP_OUT, SG_LOSS_DUP_IN, SG_LOSS_DUP_OUT, SG_LOSS_COUNTS };

struct sg_loss {
	__u64 state;             /* xorshift64, never 0 (loss.sh seeds) */
	__u32 drop_pm;           /* per mille of segments dropped       */
	__u32 dup_pm;            /* per mille of segments sent twice    */
	__u64 n[SG_LOSS_COUNTS]; /* what was done, by the enum above    */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_loss);
} sg_loss SEC(".maps");

/* The next draw, per mille. */
static __always_inline __u32 sg_loss_draw(struct sg_loss *l)
{
	__u64 x = l->state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	l->state = x;
	return (__u32)(x % 1000);
}

static __always_inline bool sg_loss_is_tcp(struct __sk_buff *skb)
{
	__u8 proto = 0;

	if (skb->protocol == bpf_htons(ETH_P_IP))
		bpf_skb_load_bytes(skb, sizeof(struct ethhdr) + 9, &proto, 1);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		bpf_skb_load_bytes(skb, sizeof(struct ethhdr) + 6, &proto, 1);
	return proto == IPPROTO_TCP;
}

/* out: the segment leaves by the device (egress), else it arrives. */
static __always_inline int sg_loss_inject(struct __sk_buff *skb, bool out)
{
	struct sg_loss *l;
	__u32 zero = 0, mark;

	if (skb->mark == SG_LOSS_MARK) {
		skb->mark = 0;
		return TC_ACT_OK;
	}
	if (!sg_loss_is_tcp(skb))
		return TC_ACT_OK;
	l = bpf_map_lookup_elem(&sg_loss, &zero);
	if (!l)
		return TC_ACT_OK;
	if (sg_loss_draw(l) < l->drop_pm) {
		__sync_fetch_and_add(&l->n[out ? SG_LOSS_DROP_OUT : SG_LOSS_DROP_IN], 1);
		return TC_ACT_SHOT;
	}
	if (sg_loss_draw(l) < l->dup_pm) {
		mark = skb->mark;
		skb->mark = SG_LOSS_MARK;
		if (!bpf_clone_redirect(skb, skb->ifindex, out ? 0 : BPF_F_INGRESS))
			__sync_fetch_and_add(&l->n[out ? SG_LOSS_DUP_OUT : SG_LOSS_DUP_IN], 1);
		skb->mark = mark;
	}
	return TC_ACT_OK;
}

SEC("tc")
int sg_loss_in(struct __sk_buff *skb)
{
	return sg_loss_inject(skb, false);
}

SEC("tc")
int sg_loss_out(struct __sk_buff *skb)
{
	return sg_loss_inject(skb, true);
}

char LICENSE[] SEC("license") = "GPL";
