/* SPDX-License-Identifier: GPL-2.0 */
/* Packet parsing shared by XDP and TC: Ethernet (up to two VLAN tags),
 * IPv4 with options, IPv6 with its extension header chain, and the fixed
 * TCP header (its options: tcpopt.h). Every access is bounds-checked against data_end; what is not
 * understood is reported with the counter id that names the reason.
 */
#ifndef SG_PARSE_H
#define SG_PARSE_H

#include "common.h"

#define SG_MAX_VLANS 2
#define SG_MAX_IPV6_EXT 6

/* The parse result: valid only when sg_parse() returned SG_PARSED_TCP.
 * Offsets, not pointers, so that the parser can be a separately verified
 * global function; callers re-derive pointers with one bounds check. */
struct sg_pkt {
	__u32 saddr[4]; /* network byte order; IPv4 in [0]            */
	__u32 daddr[4];
	__u16 l3_off; /* bytes from the frame start                 */
	__u16 l4_off;
	__u16 tcp_len;    /* TCP header + payload, from the IP length   */
	__u16 thlen;      /* TCP header length (doff * 4)               */
	__u8 family;      /* 4 or 6                                     */
	__u8 ext_len;     /* IPv6 extension headers present (bytes/8)   */
	__u8 ihl_opts;    /* IPv4 header carried options                */
	__u8 tos;         /* IPv4 TOS / IPv6 traffic class              */
	__u8 frag;        /* enum sg_frag                               */
	__u8 reason;      /* why it is not SG_PARSED_TCP: the counter   */
	struct tcphdr th; /* copy of the fixed TCP header               */
};

/* Which part of a fragmented packet p is. Every fragment is reported as
 * pass_ip_fragment (or dropped by shape: drop_frag_*), never as TCP: the
 * segment is whole only after the kernel reassembles it. The addresses of
 * a fragment are always filled in; th, thlen and l4_off only for a first
 * fragment, which must hold the whole TCP header. */
enum sg_frag {
	SG_FRAG_NONE,
	SG_FRAG_FIRST, /* offset 0, more to come                     */
	SG_FRAG_LATER, /* offset > 0: no TCP header in it            */
};

/* A later fragment must start past the fixed TCP header (20 bytes), or it
 * could overwrite the ports and flags the first one showed (RFC 1858 and
 * RFC 3128: offset 1 reaches the flags). No stack sends one: a first
 * fragment holds the whole header, so the next offset is at least 3. */
#define SG_FRAG_MIN_LATER 3

/* What sg_parse() found; sg_pkt.reason names the counter of why a packet
 * is not SG_PARSED_TCP. */
enum sg_parse_result {
	SG_PARSED_TCP,    /* a whole TCP segment: p is filled in        */
	SG_PARSED_HIDDEN, /* TCP that XDP cannot see whole: a fragment,
				 * or an IPv6 chain longer than the walk      */
	SG_PARSED_OTHER,  /* not TCP, or malformed                      */
};

/* The parse's steps below answer the counter of the reason a packet is
 * not a TCP segment, or this: none, go on. Only sg_parse() sees it. */
#define SG_PARSE_TCP SG_CNT_MAX

static __always_inline int sg_parse_eth(void *data, void *data_end, __u16 *proto, __u16 *off)
{
	struct ethhdr *eth = data;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return SG_CNT_parse_eth_short;
	h_proto = eth->h_proto;
	*off = sizeof(*eth);

#pragma unroll
	for (i = 0; i < SG_MAX_VLANS; i++) {
		struct vlan_hdr *vh;

		if (h_proto != bpf_htons(ETH_P_8021Q) && h_proto != bpf_htons(ETH_P_8021AD))
			break;
		vh = data + *off;
		if ((void *)(vh + 1) > data_end)
			return SG_CNT_parse_vlan_short;
		h_proto = vh->h_vlan_encapsulated_proto;
		*off += sizeof(*vh);
	}
	if (h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD))
		return SG_CNT_parse_vlan_depth;
	*proto = h_proto;
	return SG_PARSE_TCP;
}

static __always_inline int sg_parse_ipv4(void *data, void *data_end, __u32 pkt_len,
					 struct sg_pkt *p, void **l4)
{
	struct iphdr *ip = data + p->l3_off;
	__u32 ihl, tot;

	if ((void *)(ip + 1) > data_end)
		return SG_CNT_parse_ip_short;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl || p->l3_off + tot > pkt_len)
		return SG_CNT_parse_ip_bad;
	if (ip->protocol != IPPROTO_TCP)
		return SG_CNT_pass_not_tcp;
	p->family = 4;
	p->saddr[0] = ip->saddr;
	p->daddr[0] = ip->daddr;
	p->tos = ip->tos;
	/* Any fragment (MF set or offset != 0) is judged by its source and
	 * its shape, never read as a segment. DF is ignored. */
	if (ip->frag_off & bpf_htons(0x1fff)) {
		p->frag = SG_FRAG_LATER;
		if ((bpf_ntohs(ip->frag_off) & 0x1fff) < SG_FRAG_MIN_LATER)
			return SG_CNT_drop_frag_overlap;
		return SG_CNT_pass_ip_fragment;
	}
	if (ip->frag_off & bpf_htons(0x2000))
		p->frag = SG_FRAG_FIRST;
	p->ihl_opts = ihl > sizeof(*ip);
	p->tcp_len = tot - ihl;
	*l4 = (void *)ip + ihl;
	return SG_PARSE_TCP;
}

static __always_inline int sg_parse_ipv6(void *data, void *data_end, __u32 pkt_len,
					 struct sg_pkt *p, void **l4)
{
	struct ipv6hdr *ip6 = data + p->l3_off;
	void *cur;
	__u32 plen, ext = 0;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return SG_CNT_parse_ip_short;
	plen = bpf_ntohs(ip6->payload_len);
	if (ip6->version != 6 || p->l3_off + sizeof(*ip6) + plen > pkt_len)
		return SG_CNT_parse_ip_bad;
	/* known before the chain is: a fragment, or a chain longer than the
	 * walk below, is judged by its source */
	p->family = 6;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	nexthdr = ip6->nexthdr;
	cur = ip6 + 1;

#pragma unroll
	for (i = 0; i < SG_MAX_IPV6_EXT; i++) {
		struct ipv6_opt_hdr *oh = cur;
		__u32 len;

		if (nexthdr == IPPROTO_TCP)
			break;
		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
			/* only right behind the IPv6 header (RFC 8200 4.1):
			 * anywhere else Linux drops the packet, so we leave
			 * it to do so */
			if (i)
				return SG_CNT_parse_ip_bad;
			/* fall through */
		case IPPROTO_DSTOPTS:
		case IPPROTO_ROUTING:
			if ((void *)(oh + 1) > data_end)
				return SG_CNT_parse_ipv6_ext_short;
			len = (oh->hdrlen + 1) * 8;
			if (nexthdr == IPPROTO_ROUTING) {
				struct ipv6_rt_hdr *rh = cur;

				if ((void *)(rh + 1) > data_end)
					return SG_CNT_parse_ipv6_ext_short;
				/* Not addressed to us yet: the kernel forwards it. */
				if (rh->segments_left)
					return SG_CNT_pass_ipv6_routed;
			}
			break;
		case IPPROTO_FRAGMENT: {
			struct frag_hdr *fh = cur;

			if ((void *)(fh + 1) > data_end)
				return SG_CNT_parse_ipv6_ext_short;
			/* A later fragment: what follows is the middle of
			 * the payload. The first (M set, offset 0) holds the
			 * rest of the chain and the TCP header (RFC 7112):
			 * walk on. An atomic fragment (both zero) carries the
			 * whole segment. */
			if (fh->frag_off & bpf_htons(0xfff8)) {
				p->frag = SG_FRAG_LATER;
				if (fh->nexthdr == IPPROTO_TCP &&
				    (bpf_ntohs(fh->frag_off) >> 3) < SG_FRAG_MIN_LATER)
					return SG_CNT_drop_frag_overlap;
				return SG_CNT_pass_ip_fragment;
			}
			if (fh->frag_off & bpf_htons(1))
				p->frag = SG_FRAG_FIRST;
			len = sizeof(*fh);
			break;
		}
		default:
			/* ESP, no-next-header, UDP, ...: not TCP we can see. */
			return SG_CNT_pass_not_tcp;
		}
		nexthdr = oh->nexthdr;
		cur += len;
		ext += len;
		if (cur > data_end)
			return SG_CNT_parse_ipv6_ext_short;
	}
	if (nexthdr != IPPROTO_TCP)
		return SG_CNT_parse_ipv6_ext_depth;
	if (ext > plen)
		return SG_CNT_parse_ip_bad;
	p->tos = (bpf_ntohs(*(__be16 *)ip6) >> 4) & 0xff;
	p->ext_len = ext / 8;
	p->tcp_len = plen - ext;
	*l4 = cur;
	return SG_PARSE_TCP;
}

/* Parse up to the TCP header (not its options). pkt_len is the whole
 * packet's length: a multi-buffer frame or a paged skb has only its head
 * between data and data_end, where the headers must be. */
static __always_inline int sg_parse_reason(void *data, void *data_end, __u32 pkt_len,
					   struct sg_pkt *p)
{
	struct tcphdr *tcp;
	void *l4 = NULL;
	__u16 proto;
	__u16 off;
	int ret;

	ret = sg_parse_eth(data, data_end, &proto, &off);
	if (ret != SG_PARSE_TCP)
		return ret;
	p->l3_off = off;
	if (proto == bpf_htons(ETH_P_IP))
		ret = sg_parse_ipv4(data, data_end, pkt_len, p, &l4);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = sg_parse_ipv6(data, data_end, pkt_len, p, &l4);
	else
		return SG_CNT_pass_not_ip;
	if (ret != SG_PARSE_TCP)
		return ret;

	tcp = l4;
	/* a first fragment that stops inside the TCP header leaves the rest
	 * of it to a later one: RFC 1858's tiny fragment */
	if (p->frag && p->tcp_len < sizeof(*tcp))
		return SG_CNT_drop_frag_tiny;
	if ((void *)(tcp + 1) > data_end || p->tcp_len < sizeof(*tcp))
		return SG_CNT_parse_tcp_short;
	p->thlen = tcp->doff * 4;
	if (p->frag && p->thlen > p->tcp_len)
		return SG_CNT_drop_frag_tiny;
	if (p->thlen < sizeof(*tcp) || p->thlen > p->tcp_len || (void *)tcp + p->thlen > data_end)
		return SG_CNT_parse_tcp_doff;
	p->l4_off = (void *)tcp - data;
	__builtin_memcpy(&p->th, tcp, sizeof(*tcp));
	return p->frag ? SG_CNT_pass_ip_fragment : SG_PARSE_TCP;
}

/* The TCP header of a parsed packet, or NULL (never, once parsed). */
static __always_inline struct tcphdr *sg_tcp(const struct sg_pkt *p, void *data, void *data_end)
{
	struct tcphdr *tcp;
	__u32 off = p->l4_off;

	if (off > 0xfff)
		return NULL;
	tcp = data + off;
	if ((void *)(tcp + 1) > data_end)
		return NULL;
	return tcp;
}

/* Is the parser's reason about a TCP packet whose segment XDP cannot see
 * whole: a fragment, or an IPv6 chain longer than its walk? */
static __always_inline bool sg_reason_hidden(int reason)
{
	return reason == SG_CNT_pass_ip_fragment || reason == SG_CNT_drop_frag_tiny ||
	       reason == SG_CNT_drop_frag_overlap || reason == SG_CNT_parse_ipv6_ext_depth;
}

/* The parse of a frame's first pkt_len bytes, and its reason in p. */
static __always_inline enum sg_parse_result sg_parse(void *data, void *data_end, __u32 pkt_len,
						     struct sg_pkt *p)
{
	int reason = sg_parse_reason(data, data_end, pkt_len, p);

	p->reason = reason;
	if (reason == SG_PARSE_TCP)
		return SG_PARSED_TCP;
	return sg_reason_hidden(reason) ? SG_PARSED_HIDDEN : SG_PARSED_OTHER;
}

/* Parses a frame whose IP length may pass its first buffer (multi-buffer
 * XDP, a paged skb): full_len is the whole frame's. That length is
 * looked at only when the first buffer falls short of the IP length, so
 * the common frame is parsed once. */
static __always_inline enum sg_parse_result sg_parse_frame(void *data, void *data_end,
							   __u32 full_len, struct sg_pkt *p)
{
	__u32 len = data_end - data;
	enum sg_parse_result parsed = sg_parse(data, data_end, len, p);

	if (p->reason == SG_CNT_parse_ip_bad && full_len > len)
		parsed = sg_parse(data, data_end, full_len, p);
	return parsed;
}

/* The parse as global functions, one per program type (a global function
 * must name its context's type): the verifier checks the parser once,
 * not once per path that reaches it. XDP calls this only when its inline
 * parse of the first buffer fell short, as the whole length costs it a
 * helper call. */
__noinline enum sg_parse_result sg_parse_xdp(struct xdp_md *ctx, struct sg_pkt *p)
{
	if (!p)
		return SG_PARSED_OTHER;
	return sg_parse_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end,
			      bpf_xdp_get_buff_len(ctx), p);
}

__noinline enum sg_parse_result sg_parse_skb(struct __sk_buff *ctx, struct sg_pkt *p)
{
	if (!p)
		return SG_PARSED_OTHER;
	return sg_parse_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end, ctx->len, p);
}

#endif /* SG_PARSE_H */
