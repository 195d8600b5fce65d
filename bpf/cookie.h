/* SPDX-License-Identifier: GPL-2.0 */
/* SYN cookies: encode the client's options into the ISN (and the TSval when
 * it sent timestamps), turn the SYN into a SYN-ACK in place, and decode a
 * returning ACK back into the attributes the kernel needs to create the
 * socket (handed to TC ingress as XDP metadata). */
#ifndef SG_COOKIE_H
#define SG_COOKIE_H

#include "common.h"
#include "csum.h"
#include "tcpopt.h"
#include "siphash.h"

/* The SYN-ACK always carries 20 bytes of options (padded with EOL), so its
 * size is a constant per family: no variable-length writes on the hot path. */
#define SG_SYNACK_OPTLEN 20
#define SG_SYNACK_THLEN (20 + SG_SYNACK_OPTLEN)

struct sg_synack_tcp {
	struct tcphdr th;
	__u32 opt[SG_SYNACK_OPTLEN / 4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_secret_state);
	/* userspace writes a new slot, then flips cur, through an mmap */
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_secrets SEC(".maps");

/* Hash over (client addr, server addr, client port, server port, client ISN)
 * with the 8 option bits of the ISN as the trailing byte. */
static __always_inline __u64 sg_cookie_hash(const struct sg_secret *k, const struct sg_pkt *p,
					    __u32 client_isn, __u8 optbits)
{
	__u64 ports = (__u64)p->th.source | ((__u64)p->th.dest << 16);
	__u64 m[5];

	if (p->family == 4) {
		m[0] = (__u64)p->saddr[0] | ((__u64)p->daddr[0] << 32);
		m[1] = ports | ((__u64)client_isn << 32);
		return sg_siphash(k, m, 2, optbits);
	}
	m[0] = (__u64)p->saddr[0] | ((__u64)p->saddr[1] << 32);
	m[1] = (__u64)p->saddr[2] | ((__u64)p->saddr[3] << 32);
	m[2] = (__u64)p->daddr[0] | ((__u64)p->daddr[1] << 32);
	m[3] = (__u64)p->daddr[2] | ((__u64)p->daddr[3] << 32);
	m[4] = ports | ((__u64)client_isn << 32);
	return sg_siphash(k, m, 5, optbits);
}

static __always_inline __u32 sg_cookie_isn(__u64 h, __u8 optbits)
{
	return (((__u32)(h >> 32) & 0xffffff) << 8) | optbits;
}

static __always_inline const __u16 *sg_msstab(const struct sg_config *cfg, __u8 family)
{
	return family == 4 ? cfg->msstab4 : cfg->msstab6;
}

/* Index of the largest bucket not above the client's MSS (0 if below all). */
static __always_inline __u8 sg_mss_index(const struct sg_config *cfg, __u8 family, __u16 mss)
{
	const __u16 *tab = sg_msstab(cfg, family);

	if (mss >= tab[3])
		return 3;
	if (mss >= tab[2])
		return 2;
	if (mss >= tab[1])
		return 1;
	return 0;
}

/* What the client offered, limited to what the host's kernel accepts. */
static __always_inline __u8 sg_cookie_optbits(const struct sg_config *cfg, const struct sg_pkt *p,
					      const struct sg_tcpopt *o)
{
	/* RFC 9293: no MSS option means 536 (IPv4) / 1220 (IPv6) */
	__u16 mss = (o->flags & SG_OPT_MSS) ? o->mss : (p->family == 4 ? 536 : 1220);
	__u8 bits = sg_mss_index(cfg, p->family, mss) << SG_COOKIE_MSS_SHIFT;

	if ((o->flags & SG_OPT_WSCALE) && cfg->allow_wscale)
		bits |= o->wscale > 14 ? 14 : o->wscale;
	else
		bits |= SG_COOKIE_WS_NONE;
	if ((o->flags & SG_OPT_SACK_PERM) && cfg->allow_sack)
		bits |= SG_COOKIE_SACK;
	/* ECN setup SYN: ECE and CWR both set (RFC 3168 6.1.1) */
	if (p->th.ece && p->th.cwr && cfg->allow_ecn)
		bits |= SG_COOKIE_ECN;
	return bits;
}

/* Options in the layout the kernel's own SYN-ACK uses, EOL-padded. */
static __always_inline void sg_synack_options(struct sg_synack_tcp *s, const struct sg_config *cfg,
					      __u8 family, __u8 optbits, const struct sg_tcpopt *o,
					      bool ts, __u32 tsval)
{
	__u16 mss = family == 4 ? cfg->adv_mss4 : cfg->adv_mss6;
	bool sack = optbits & SG_COOKIE_SACK;
	bool ws = (optbits & 0xf) != SG_COOKIE_WS_NONE;
	__u32 wsopt = ws ? bpf_htonl(0x01030300 | cfg->rcv_wscale) : 0;

	s->opt[0] = bpf_htonl(0x02040000 | mss);
	if (ts) {
		s->opt[1] = bpf_htonl(sack ? 0x0402080a : 0x0101080a);
		s->opt[2] = bpf_htonl(tsval);
		s->opt[3] = bpf_htonl(o->tsval);
		s->opt[4] = wsopt;
	} else {
		s->opt[1] = sack ? bpf_htonl(0x01010402) : wsopt;
		s->opt[2] = sack ? wsopt : 0;
		s->opt[3] = 0;
		s->opt[4] = 0;
	}
}

/* Write the SYN-ACK's TCP header, checksum included, over the SYN's (s
 * points into the frame; every byte is rewritten). */
static __always_inline void sg_synack_write_tcp(struct sg_synack_tcp *s, const struct sg_pkt *p,
						const struct sg_config *cfg, __u32 isn,
						__u8 optbits, const struct sg_tcpopt *o, bool ts,
						__u32 tsval)
{
	__u16 flags = 0x12; /* SYN, ACK */
	__u64 sum;
	int i;

	if (optbits & SG_COOKIE_ECN)
		flags |= 0x40; /* ECE */
	s->th.source = p->th.dest;
	s->th.dest = p->th.source;
	s->th.seq = bpf_htonl(isn);
	s->th.ack_seq = bpf_htonl(bpf_ntohl(p->th.seq) + 1);
	/* data offset, reserved bits and flags: the 16 bits after ack_seq */
	*((__be16 *)&s->th.ack_seq + 2) = bpf_htons((SG_SYNACK_THLEN / 4) << 12 | flags);
	s->th.window = bpf_htons(cfg->synack_window);
	s->th.check = 0;
	s->th.urg_ptr = 0;
	sg_synack_options(s, cfg, p->family, optbits, o, ts, tsval);

	/* addresses swap in the reply: pseudo-header sum is symmetric */
	sum = sg_csum_pseudo(p->saddr, p->daddr, p->family, SG_SYNACK_THLEN);
#pragma unroll
	for (i = 0; i < SG_SYNACK_THLEN / 4; i++)
		sum += ((__u32 *)s)[i];
	s->th.check = ~sg_csum_fold(sum);
}

static __always_inline void sg_swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

#define SG_L2_MAX (sizeof(struct ethhdr) + SG_MAX_VLANS * sizeof(struct vlan_hdr))

/* Make the frame exactly delta bytes longer (or shorter), keeping its L2
 * header at the front. A SYN is grown at the head: drivers guarantee
 * XDP_PACKET_HEADROOM there, while tailroom depends on how the frame was
 * allocated (veth often has none for a small skb). The L2 header moves as
 * a fixed SG_L2_MAX block; whatever it overwrites behind a shorter header
 * is the L3 header, which the caller rewrites in full. */
static __always_inline int sg_resize_frame(struct xdp_md *ctx, int delta)
{
	__u8 l2[SG_L2_MAX];
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (delta <= 0)
		return bpf_xdp_adjust_tail(ctx, delta);
	if (data + SG_L2_MAX > data_end)
		return -1;
	__builtin_memcpy(l2, data, SG_L2_MAX);
	if (bpf_xdp_adjust_head(ctx, -delta))
		return bpf_xdp_adjust_tail(ctx, delta);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + SG_L2_MAX > data_end)
		return -1;
	__builtin_memcpy(data, l2, SG_L2_MAX);
	return 0;
}

/* Turn the parsed SYN in ctx into its cookie SYN-ACK, in place. p must be
 * a copy of what the frame held (it is rewritten under it). Returns 0 or
 * a counter id on failure. */
static __always_inline int sg_build_synack(struct xdp_md *ctx, const struct sg_pkt *p,
					   const struct sg_config *cfg, const struct sg_tcpopt *o,
					   __u32 isn, __u8 optbits, bool ts, __u32 tsval)
{
	__u32 l3_off = p->l3_off;
	__u32 iplen = p->family == 4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	struct sg_synack_tcp *s;
	void *data, *data_end;
	int delta;

	if (l3_off > SG_L2_MAX)
		return SG_CNT_drop_synack_build;
	/* the program is not frags-aware: the frame is its linear part */
	delta = (int)(l3_off + iplen + SG_SYNACK_THLEN) - (int)(ctx->data_end - ctx->data);
	if (delta && sg_resize_frame(ctx, delta))
		return SG_CNT_drop_synack_build;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + l3_off + iplen + SG_SYNACK_THLEN > data_end)
		return SG_CNT_drop_synack_build;

	if (data + sizeof(struct ethhdr) > data_end)
		return SG_CNT_drop_synack_build;
	sg_swap_mac(data);

	if (p->family == 4) {
		struct iphdr *ip = data + l3_off;
		__u64 sum = 0;
		int i;

		if ((void *)(ip + 1) + SG_SYNACK_THLEN > data_end)
			return SG_CNT_drop_synack_build;
		*(__u16 *)ip = bpf_htons(0x4500);
		ip->tot_len = bpf_htons(sizeof(*ip) + SG_SYNACK_THLEN);
		ip->id = 0;
		ip->frag_off = bpf_htons(0x4000); /* DF */
		ip->ttl = cfg->ttl;
		ip->protocol = IPPROTO_TCP;
		ip->check = 0;
		ip->saddr = p->daddr[0];
		ip->daddr = p->saddr[0];
#pragma unroll
		for (i = 0; i < 5; i++)
			sum += ((__u32 *)ip)[i];
		ip->check = ~sg_csum_fold(sum);
		s = (void *)(ip + 1);
	} else {
		struct ipv6hdr *ip6 = data + l3_off;

		if ((void *)(ip6 + 1) + SG_SYNACK_THLEN > data_end)
			return SG_CNT_drop_synack_build;
		*(__u32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(SG_SYNACK_THLEN);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = cfg->ttl;
		__builtin_memcpy(&ip6->saddr, p->daddr, 16);
		__builtin_memcpy(&ip6->daddr, p->saddr, 16);
		s = (void *)(ip6 + 1);
	}
	sg_synack_write_tcp(s, p, cfg, isn, optbits, o, ts, tsval);
	return 0;
}

/* Does slot i's secret still check ACKs at now (ktime)? Until two periods
 * and the slack after it was installed, whether or not a daemon rotates
 * (include/synguard.h struct sg_secret_state); signed: userspace may have
 * read the clock a little after the data path. */
static __always_inline bool sg_secret_checks(const struct sg_secret_state *ss, __u32 i, __u64 now)
{
	return (__s64)(now - ss->installed_ns[i & 1]) <=
	       (__s64)(2 * ss->period_ns + SG_SECRET_SLACK_NS);
}

/* Does the current secret still make cookies at now (ktime, coarse will
 * do)? Until one period and the slack after it was installed: a cookie
 * made later would outlive its bound, or be refused before its client's
 * ACK came. */
static __always_inline bool sg_secret_mints(const struct sg_secret_state *ss, __u64 now)
{
	return (__s64)(now - ss->installed_ns[ss->cur & 1]) <=
	       (__s64)(ss->period_ns + SG_SECRET_SLACK_NS);
}

/* Check an ACK's cookie against both live secrets, each while its time
 * lasts (sg_secret_checks) at now. On success fills *m. */
static __always_inline bool sg_cookie_check(const struct sg_pkt *p, const struct sg_config *cfg,
					    const struct sg_secret_state *ss,
					    const struct sg_tcpopt *o, struct sg_meta *m, __u64 now)
{
	__u32 cookie = bpf_ntohl(p->th.ack_seq) - 1;
	__u32 client_isn = bpf_ntohl(p->th.seq) - 1;
	__u8 optbits = cookie & 0xff;
	bool ts = (o->flags & SG_OPT_TS) && o->tsecr;
	__u32 cur = ss->cur & 1;
	bool ok = false;
	int i;

#pragma unroll
	for (i = 0; i < 2; i++) {
		const struct sg_secret *k = &ss->slot[(cur + i) & 1];
		__u64 h;

		if (!sg_secret_checks(ss, cur + i, now))
			continue;
		h = sg_cookie_hash(k, p, client_isn, optbits);
		if (sg_cookie_isn(h, optbits) == cookie &&
		    (!ts || (o->tsecr & SG_COOKIE_TS_HASH_MASK) == (h & SG_COOKIE_TS_HASH_MASK))) {
			ok = true;
			break;
		}
	}
	if (!ok)
		return false;

	m->magic = SG_META_MAGIC;
	m->mss = sg_msstab(cfg, p->family)[optbits >> SG_COOKIE_MSS_SHIFT];
	m->flags = 0;
	m->snd_wscale = 0;
	if ((optbits & 0xf) != SG_COOKIE_WS_NONE) {
		m->flags |= SG_META_F_WSCALE;
		m->snd_wscale = optbits & 0xf;
	}
	if (optbits & SG_COOKIE_SACK)
		m->flags |= SG_META_F_SACK;
	if (optbits & SG_COOKIE_ECN)
		m->flags |= SG_META_F_ECN;
	m->rcv_tsval = 0;
	m->rcv_tsecr = 0;
	if (ts) {
		m->flags |= SG_META_F_TS;
		m->rcv_tsval = o->tsval;
		m->rcv_tsecr = o->tsecr;
	}
	return true;
}

#endif /* SG_COOKIE_H */
