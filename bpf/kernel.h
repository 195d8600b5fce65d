/* SPDX-License-Identifier: GPL-2.0 */
/* What the kernel holds for a flow: its sockets, a listener's own
 * syncookies, netfilter's connections, a namespace's sysctls. The XDP
 * stages ask before they judge a segment the tracker does not know, so
 * that a flow the tracker forgot is never dropped while the kernel has it.
 */
#ifndef SG_KERNEL_H
#define SG_KERNEL_H

#include "common.h"
#include "parse.h"
#include "conntrack.h"
#include "csum.h"

/* Fills *t with the tuple of inbound p, as the socket lookups take it;
 * returns its size. */
static __always_inline __u32 sg_sock_tuple(const struct sg_pkt *p, struct bpf_sock_tuple *t)
{
	if (p->family == 4) {
		t->ipv4.saddr = p->saddr[0];
		t->ipv4.daddr = p->daddr[0];
		t->ipv4.sport = p->th.source;
		t->ipv4.dport = p->th.dest;
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, p->saddr, 16);
	__builtin_memcpy(t->ipv6.daddr, p->daddr, 16);
	t->ipv6.sport = p->th.source;
	t->ipv6.dport = p->th.dest;
	return sizeof(t->ipv6);
}

/* Does listener sk's own syncookie check accept ACK p? The kernel answers
 * with its cookies when a SYN queue overflows (or always, with
 * tcp_syncookies=2) and keeps nothing; it checks only while such an
 * overflow is recent, so this costs nothing otherwise. It reads only the
 * addresses and the fixed TCP header: a header made here will do. */
static __always_inline bool sg_kernel_cookie_ok(struct bpf_sock *sk, const struct sg_pkt *p)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip = {};

	if (p->family == 4) {
		ip.v4.version = 4;
		ip.v4.ihl = 5;
		ip.v4.saddr = p->saddr[0];
		ip.v4.daddr = p->daddr[0];
	} else {
		ip.v6.version = 6;
		__builtin_memcpy(&ip.v6.saddr, p->saddr, 16);
		__builtin_memcpy(&ip.v6.daddr, p->daddr, 16);
	}
	return !bpf_tcp_check_syncookie(sk, &ip, sizeof(ip), (struct tcphdr *)&p->th,
					sizeof(p->th));
}

/* What the kernel holds for a flow. */
struct sg_kernel_flow {
	__u8 state;           /* its socket's state; SG_STATE_MAX: none (a
				 * listener at most)                          */
	__u8 listener_cookie; /* no socket, but the listener made this
				 * ACK's cookie itself                        */
};

/* Fills *kf for p's flow, asking a listener about its own cookie only
 * for an ACK (ack set). True when the kernel holds the flow: a socket, or
 * a listener's cookie. Global: its frame stays off the ACK path's call
 * chain. */
__noinline bool sg_kernel_flow_of(struct xdp_md *ctx, const struct sg_pkt *p, __u32 ack,
				  struct sg_kernel_flow *kf)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;

	if (!p || !kf)
		return false;
	kf->state = SG_STATE_MAX;
	kf->listener_cookie = 0;
	sk = bpf_skc_lookup_tcp(ctx, &t, sg_sock_tuple(p, &t), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return false;
	kf->state = sg_state_from_kernel(sk->state);
	if (ack && sk->state == BPF_TCP_LISTEN && sg_kernel_cookie_ok(sk, p))
		kf->listener_cookie = 1;
	bpf_sk_release(sk);
	return kf->state != SG_STATE_MAX || kf->listener_cookie;
}

/* Would the kernel hand SYN p, past the sequence of a TIME_WAIT socket,
 * to a listener (tcp_v4_rcv, TCP_TW_SYN)? Only a whole SYN, the checksum
 * verified before the socket is found, and only if one listens; else the
 * socket stays and answers with an ACK. (Its PAWS check, against the last
 * timestamp the socket saw, is not made here.) The listener is asked for
 * with no source, so that no connection can match. Global: its frame and
 * checksum loop stay off the tracker's call chain. */
__noinline bool sg_kernel_takes_tw_syn(struct xdp_md *ctx, const struct sg_pkt *p)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	bool listens;
	__u32 size;
	int csum;

	if (!p)
		return false;
	csum = sg_verify_syn_csum(p, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	if (csum == SG_CSUM_BAD_IP || csum == SG_CSUM_BAD_TCP)
		return false;
	size = sg_sock_tuple(p, &t);
	if (p->family == 4) {
		t.ipv4.saddr = 0;
		t.ipv4.sport = 0;
	} else {
		__builtin_memset(t.ipv6.saddr, 0, sizeof(t.ipv6.saddr));
		t.ipv6.sport = 0;
	}
	sk = bpf_skc_lookup_tcp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return false;
	listens = sk->state == BPF_TCP_LISTEN;
	bpf_sk_release(sk);
	return listens;
}

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple,
					 __u32 tuple__sz, struct bpf_ct_opts *opts,
					 __u32 opts__sz) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

/* Does netfilter track p's flow? A SYN-ACK to one of our addresses with
 * no socket behind it is still solicited when the host NATs the flow
 * (MASQUERADE of a container's connection), whichever interface its SYN
 * left by. Global: its frame stays off the SYN-ACK path's call chain. */
__noinline int sg_netfilter_tracks(struct xdp_md *ctx, const struct sg_pkt *p)
{
	struct bpf_ct_opts o = {
		.netns_id = BPF_F_CURRENT_NETNS,
		.l4proto = IPPROTO_TCP,
	};
	struct bpf_sock_tuple t = {};
	struct nf_conn *ct;

	if (!p)
		return 0;
	ct = bpf_xdp_ct_lookup(ctx, &t, sg_sock_tuple(p, &t), &o, sizeof(o));
	if (!ct)
		return 0;
	bpf_ct_release(ct);
	return 1;
}

/* Every return of the tc programs is TCX_NEXT: the packet goes on to the
 * next program of the tcx chain (TC_ACT_OK, TCX_PASS, would end the chain
 * there); with no program after, or in the clsact fallback (where -1 is
 * TC_ACT_UNSPEC, the default action), it passes. synguard never drops in
 * tc, so a program before or after it sees every packet. */
extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs, int attrs__sz) __ksym;

/* net.ipv4.tcp_syncookies of the listener's network namespace. */
static __always_inline __u8 sg_kernel_syncookies(struct tcp_sock *tp)
{
	struct net *net = tp->inet_conn.icsk_inet.sk.__sk_common.skc_net.net;

	return net ? net->ipv4.sysctl_tcp_syncookies : 1;
}

#endif /* SG_KERNEL_H */
