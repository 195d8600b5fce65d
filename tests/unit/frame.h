/* SPDX-License-Identifier: GPL-2.0 */
/* Crafted frames for BPF_PROG_TEST_RUN, shared by the unit tests and the
 * benchmark: build Ethernet (+ up to two VLAN tags) / IPv4 (+ options) or
 * IPv6 (+ extension headers) / TCP (+ options, payload) with correct
 * checksums, and parse what a program sent back. Header-only so each test
 * binary takes just what it uses.
 */
#ifndef SG_TEST_FRAME_H
#define SG_TEST_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#define FRAME_MAX 9216

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
};

/* One direction of a connection: saddr/daddr network order, ports host. */
struct flow {
	int family;
	uint32_t saddr[4], daddr[4];
	uint16_t sport, dport;
};

/* One TCP segment and the wrapping around it. */
struct seg {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;    /* 0 means 64240                             */
	const uint8_t *opt; /* raw TCP options, padded by the caller     */
	int optlen;
	int paylen;    /* zero bytes of payload                     */
	int vlans;     /* 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q)     */
	int ip_optlen; /* IPv4 options (NOPs), multiple of 4        */
	int ip6_ext;   /* IPv6 hop-by-hop + destination opts hdrs   */
	uint8_t tos;
	uint8_t ttl; /* 0 means 64                                */
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3];
}

static inline uint32_t csum_add(uint32_t sum, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (; n > 1; b += 2, n -= 2)
		sum += (uint32_t)b[0] << 8 | b[1];
	if (n)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline uint32_t csum_pseudo(int family, const uint32_t *saddr, const uint32_t *daddr,
				   uint32_t tcplen)
{
	int alen = family == 4 ? 4 : 16;
	uint32_t sum = csum_add(0, saddr, alen);

	return csum_add(sum, daddr, alen) + 6 + tcplen;
}

/* The reverse direction of fl. */
static inline struct flow flow_reverse(const struct flow *fl)
{
	struct flow r = *fl;

	memcpy(r.saddr, fl->daddr, 16);
	memcpy(r.daddr, fl->saddr, 16);
	r.sport = fl->dport;
	r.dport = fl->sport;
	return r;
}

/* A client flow in the lab ranges: 198.18.x.y -> 198.19.0.1 or
 * 2001:db8::be:i -> 2001:db8:1::1, distinct per i. */
static inline struct flow flow_client(int family, uint32_t i, uint16_t dport)
{
	struct flow fl = { .family = family, .dport = dport };

	fl.sport = 1024 + (uint16_t)((i / 65536) * 7 % 60000) + (i % 7);
	if (family == 4) {
		fl.saddr[0] = htonl(0xc6120000u + 1 + (i % 65536));
		fl.daddr[0] = htonl(0xc6130001u);
	} else {
		fl.saddr[0] = htonl(0x20010db8);
		fl.saddr[2] = htonl(0xbe);
		fl.saddr[3] = htonl(i + 1);
		fl.daddr[0] = htonl(0x20010db8);
		fl.daddr[1] = htonl(1);
		fl.daddr[3] = htonl(1);
	}
	return fl;
}

/* Offset of the L3 header behind Ethernet and its VLAN tags (len >= 14);
 * *proto gets the ethertype found there. */
static inline int frame_l3_off(const uint8_t *b, uint32_t len, uint16_t *proto)
{
	uint32_t off = 12;

	*proto = get16(b + off);
	while ((*proto == 0x8100 || *proto == 0x88a8) && off + 6 <= len) {
		off += 4;
		*proto = get16(b + off);
	}
	return (int)off + 2;
}

/* Builds the frame; returns the TCP header offset. */
static inline int frame_build(struct frame *f, const struct flow *fl, const struct seg *s)
{
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	int thl = 20 + s->optlen, tcplen = thl + s->paylen;
	int off = 12, l3, l4, i;
	uint8_t *ip, *t;

	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b, dmac, 6);
	memcpy(f->b + 6, smac, 6);
	for (i = 0; i < s->vlans; i++) {
		put16(f->b + off, i == 0 && s->vlans == 2 ? 0x88a8 : 0x8100);
		put16(f->b + off + 2, 100 + i);
		off += 4;
	}
	put16(f->b + off, fl->family == 4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	ip = f->b + l3;
	if (fl->family == 4) {
		int ihl = 20 + s->ip_optlen;

		l4 = l3 + ihl;
		ip[0] = 0x40 | ihl / 4;
		ip[1] = s->tos;
		put16(ip + 2, ihl + tcplen);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = 6;
		memcpy(ip + 12, &fl->saddr[0], 4);
		memcpy(ip + 16, &fl->daddr[0], 4);
		memset(ip + 20, 1, s->ip_optlen); /* NOPs */
		put16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
	} else {
		uint8_t next = 6;
		int ext = 40 + 8 * s->ip6_ext;

		l4 = l3 + ext;
		/* chain: hop-by-hop first, then destination options */
		for (i = s->ip6_ext - 1; i >= 0; i--) {
			uint8_t *h = ip + 40 + 8 * i;

			h[0] = next;
			h[1] = 0;
			h[2] = 1; /* PadN filling the 6 option bytes */
			h[3] = 4;
			next = i == 0 ? 0 : 60;
		}
		ip[0] = 0x60 | s->tos >> 4;
		ip[1] = (uint8_t)(s->tos << 4);
		put16(ip + 4, ext - 40 + tcplen);
		ip[6] = next;
		ip[7] = s->ttl ? s->ttl : 64;
		memcpy(ip + 8, fl->saddr, 16);
		memcpy(ip + 24, fl->daddr, 16);
	}
	t = f->b + l4;
	put16(t, fl->sport);
	put16(t + 2, fl->dport);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = s->flags;
	put16(t + 14, s->window ? s->window : 64240);
	if (s->optlen)
		memcpy(t + 20, s->opt, s->optlen);
	put16(t + 16, csum_fold(csum_add(csum_pseudo(fl->family, fl->saddr, fl->daddr, tcplen), t,
					 tcplen)));
	f->len = l4 + tcplen;
	return l4;
}

/* TCP options as a client offers them, in the order a stack lays them
 * out: Linux's by default, others' to cover every parser path. */
enum opts_order {
	OPTS_LINUX,   /* MSS [SACK TS | NOP NOP SACK | NOP NOP TS] NOP WS  */
	OPTS_WINDOWS, /* MSS NOP WS NOP NOP SACK NOP NOP TS                 */
	OPTS_MACOS,   /* MSS NOP WS NOP NOP TS SACK, EOL-padded             */
	OPTS_BSD,     /* MSS NOP WS SACK [NOP NOP] TS, EOL-padded           */
	OPTS_PACKED,  /* MSS WS SACK TS, no NOPs: off 4-byte boundaries     */
	OPTS_ORDERS,
};

struct tcpopts {
	int mss;    /* 0: absent */
	int wscale; /* -1: absent */
	bool sack_perm;
	bool ts;
	uint32_t tsval, tsecr;
	enum opts_order order;
};

static inline const char *opts_order_name(enum opts_order o)
{
	static const char *const names[] = { "Linux", "Windows", "macOS", "BSD", "packed" };

	return o < OPTS_ORDERS ? names[o] : "?";
}

/* Puts nops NOPs, then option kind (2 MSS, 3 WScale, 4 SACK-permitted,
 * 8 timestamps) with t's value, if t offers it; returns the new length. */
static inline int opt_put(uint8_t *o, int n, const struct tcpopts *t, int kind, int nops)
{
	static const uint8_t len[9] = { [2] = 4, [3] = 3, [4] = 2, [8] = 10 };

	if ((kind == 2 && !t->mss) || (kind == 3 && t->wscale < 0) ||
	    (kind == 4 && !t->sack_perm) || (kind == 8 && !t->ts))
		return n;
	while (nops--)
		o[n++] = 1;
	o[n] = (uint8_t)kind;
	o[n + 1] = len[kind];
	if (kind == 2)
		put16(o + n + 2, (uint16_t)t->mss);
	else if (kind == 3)
		o[n + 2] = (uint8_t)t->wscale;
	else if (kind == 8) {
		put32(o + n + 2, t->tsval);
		put32(o + n + 6, t->tsecr);
	}
	return n + len[kind];
}

/* Lays out the options in t->order, padded to a 4-byte multiple. */
static inline int opts_build(uint8_t *o, const struct tcpopts *t)
{
	int n = opt_put(o, 0, t, 2, 0);
	uint8_t pad = 0; /* EOL */

	switch (t->order) {
	case OPTS_LINUX:
		if (t->sack_perm && t->ts) {
			n = opt_put(o, n, t, 4, 0);
			n = opt_put(o, n, t, 8, 0);
		} else {
			n = opt_put(o, n, t, 4, 2);
			n = opt_put(o, n, t, 8, 2);
		}
		n = opt_put(o, n, t, 3, 1);
		pad = 1;
		break;
	case OPTS_WINDOWS:
		n = opt_put(o, n, t, 3, 1);
		n = opt_put(o, n, t, 4, 2);
		n = opt_put(o, n, t, 8, 2);
		pad = 1;
		break;
	case OPTS_MACOS:
		n = opt_put(o, n, t, 3, 1);
		n = opt_put(o, n, t, 8, 2);
		n = opt_put(o, n, t, 4, 0);
		break;
	case OPTS_BSD:
		n = opt_put(o, n, t, 3, 1);
		n = opt_put(o, n, t, 4, 0);
		n = opt_put(o, n, t, 8, t->sack_perm ? 0 : 2);
		break;
	default:
		n = opt_put(o, n, t, 3, 0);
		n = opt_put(o, n, t, 4, 0);
		n = opt_put(o, n, t, 8, 0);
		break;
	}
	while (n % 4)
		o[n++] = pad;
	return n;
}

/* What a test needs to know about a frame a program produced. */
struct parsed {
	int family, l3, l4;
	uint32_t saddr[4], daddr[4];
	uint16_t sport, dport, window;
	uint32_t seq, ack;
	uint8_t flags, ttl, ip_flags_hi;
	int thl;
	struct tcpopts o;
	bool ip_csum_ok, tcp_csum_ok, opts_ok;
	const uint8_t *eth;
};

/* Parses Ethernet/VLAN/IP/TCP (IPv6 extension headers skipped);
 * returns false if it is not a well-formed TCP frame. */
static inline bool frame_parse(const uint8_t *b, uint32_t len, struct parsed *p)
{
	uint32_t tcplen;
	uint16_t proto;
	const uint8_t *ip, *t;
	int i;

	memset(p, 0, sizeof(*p));
	p->o.wscale = -1;
	p->eth = b;
	if (len < 14)
		return false;
	p->l3 = frame_l3_off(b, len, &proto);
	ip = b + p->l3;
	if (proto == 0x0800) {
		int ihl;

		if ((uint32_t)p->l3 + 20 > len)
			return false;
		ihl = (ip[0] & 0xf) * 4;
		p->family = 4;
		p->ttl = ip[8];
		p->ip_flags_hi = ip[6];
		memcpy(p->saddr, ip + 12, 4);
		memcpy(p->daddr, ip + 16, 4);
		p->ip_csum_ok = csum_fold(csum_add(0, ip, ihl)) == 0;
		if (ip[9] != 6 || get16(ip + 2) < ihl || (uint32_t)p->l3 + get16(ip + 2) > len)
			return false;
		p->l4 = p->l3 + ihl;
		tcplen = get16(ip + 2) - ihl;
	} else if (proto == 0x86dd) {
		uint8_t next;
		uint32_t ext = 0;

		if ((uint32_t)p->l3 + 40 > len)
			return false;
		p->family = 6;
		p->ttl = ip[7];
		p->ip_csum_ok = true;
		memcpy(p->saddr, ip + 8, 16);
		memcpy(p->daddr, ip + 24, 16);
		/* hop-by-hop, routing, fragment (8 bytes) and destination
		 * options headers */
		for (next = ip[6]; next == 0 || next == 43 || next == 44 || next == 60;) {
			const uint8_t *h = ip + 40 + ext;

			if ((uint32_t)p->l3 + 40 + ext + 8 > len)
				return false;
			ext += next == 44 ? 8u : (h[1] + 1) * 8u;
			next = h[0];
		}
		if (next != 6 || get16(ip + 4) < ext)
			return false;
		p->l4 = p->l3 + 40 + (int)ext;
		tcplen = get16(ip + 4) - ext;
		if ((uint32_t)p->l4 + tcplen > len)
			return false;
	} else {
		return false;
	}
	if (tcplen < 20)
		return false;
	t = b + p->l4;
	p->sport = get16(t);
	p->dport = get16(t + 2);
	p->seq = get32(t + 4);
	p->ack = get32(t + 8);
	p->thl = (t[12] >> 4) * 4;
	p->flags = t[13];
	p->window = get16(t + 14);
	p->tcp_csum_ok = csum_fold(csum_add(csum_pseudo(p->family, p->saddr, p->daddr, tcplen), t,
					    tcplen)) == 0;
	if (p->thl < 20 || (uint32_t)p->thl > tcplen)
		return false;
	p->opts_ok = true;
	for (i = 20; i < p->thl;) {
		uint8_t k = t[i], l;

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		l = i + 1 < p->thl ? t[i + 1] : 0;
		if (l < 2 || i + l > p->thl) {
			p->opts_ok = false;
			break;
		}
		if (k == 2 && l == 4)
			p->o.mss = get16(t + i + 2);
		else if (k == 3 && l == 3)
			p->o.wscale = t[i + 2];
		else if (k == 4 && l == 2)
			p->o.sack_perm = true;
		else if (k == 8 && l == 10) {
			p->o.ts = true;
			p->o.tsval = get32(t + i + 2);
			p->o.tsecr = get32(t + i + 6);
		}
		i += l;
	}
	return true;
}

/* Cuts f to its first len bytes (len >= 14). With fix_len, the IPv4 total
 * length (and header checksum) or IPv6 payload length is rewritten to end
 * at the cut, where those fields survive it: a parser then gets past the
 * IP length check and meets the cut wherever it lands. Without, the IP
 * header still claims the original length. */
static inline void frame_truncate(struct frame *f, uint32_t len, bool fix_len)
{
	uint16_t proto;
	int l3 = frame_l3_off(f->b, len, &proto);
	uint8_t *ip = f->b + l3;

	f->len = len;
	if (!fix_len)
		return;
	if (proto == 0x0800 && (uint32_t)l3 + 20 <= len) {
		int ihl = (ip[0] & 0xf) * 4;

		put16(ip + 2, (uint16_t)(len - l3));
		if ((uint32_t)(l3 + ihl) <= len) {
			put16(ip + 10, 0);
			put16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
		}
	} else if (proto == 0x86dd && (uint32_t)l3 + 40 <= len) {
		put16(ip + 4, (uint16_t)(len - l3 - 40));
	}
}

/* Sets the IPv4 flags + fragment offset field (host order, e.g. 0x2000 for
 * MF, 0x0001 for offset 8 bytes) and the header checksum. */
static inline void frame_ip4_set_frag(struct frame *f, uint16_t frag)
{
	uint16_t proto;
	uint8_t *ip = f->b + frame_l3_off(f->b, f->len, &proto);

	put16(ip + 6, frag);
	put16(ip + 10, 0);
	put16(ip + 10, csum_fold(csum_add(0, ip, (ip[0] & 0xf) * 4)));
}

/* Puts an IPv6 fragment header right behind the fixed header; off_flags is
 * its offset/M field (host order: offset << 3 | M). The upper-layer
 * checksum does not cover it, so it stays valid. */
static inline void frame_ip6_add_frag(struct frame *f, uint16_t off_flags, uint32_t id)
{
	uint16_t proto;
	int l3 = frame_l3_off(f->b, f->len, &proto);
	uint8_t *ip = f->b + l3, *h = ip + 40;

	memmove(h + 8, h, f->len - (uint32_t)(l3 + 40));
	h[0] = ip[6];
	h[1] = 0;
	put16(h + 2, off_flags);
	put32(h + 4, id);
	ip[6] = 44;
	put16(ip + 4, (uint16_t)(get16(ip + 4) + 8));
	f->len += 8;
}

/* Puts n empty destination-options headers (8 bytes each: a PadN) right
 * behind the fixed IPv6 header. */
static inline void frame_ip6_add_dstopts(struct frame *f, int n)
{
	uint16_t proto;
	int l3 = frame_l3_off(f->b, f->len, &proto);
	uint8_t *ip = f->b + l3, *h = ip + 40;

	for (int i = 0; i < n; i++) {
		memmove(h + 8, h, f->len - (uint32_t)(l3 + 40));
		h[0] = ip[6];
		h[1] = 0;
		h[2] = 1;
		h[3] = 4;
		memset(h + 4, 0, 4);
		ip[6] = 60;
		put16(ip + 4, (uint16_t)(get16(ip + 4) + 8));
		f->len += 8;
	}
}

#endif /* SG_TEST_FRAME_H */
