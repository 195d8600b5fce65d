// SPDX-License-Identifier: GPL-2.0
/* The malformed-input catalogue (docs/malformed.md): one row per kind of
 * broken, hostile or merely unusual frame, each with the verdict and the
 * one counter the catalogue documents, and the tracker checked after each:
 * no entry unless the row says so. Cookie mode on, port PORT protected,
 * every flow tracked, unless a row says otherwise. The row names here are
 * the catalogue's. */
#define _GNU_SOURCE
#include "harness.h"

/* What a row does to its frame after building it. */
enum mut {
	M_NONE,
	M_CUT,        /* frame cut to arg bytes, IP lengths as sent       */
	M_CUT_FIX,    /* frame cut to arg bytes, IP lengths fixed to it   */
	M_IHL,        /* IPv4 IHL = arg (checksum fixed)                  */
	M_VERSION,    /* IP version nibble = arg                          */
	M_TOTLEN,     /* IPv4 total length += arg (checksum fixed)        */
	M_PLEN,       /* IPv6 payload length += arg                       */
	M_PAD,        /* arg bytes of trailing padding after the packet   */
	M_FRAG4,      /* IPv4 flags/offset field = arg                    */
	M_FRAG6,      /* IPv6 fragment header, offset/M field = arg       */
	M_PROTO,      /* IPv4 protocol / IPv6 next header = arg           */
	M_EXT_CHAIN,  /* IPv6: arg destination-options headers            */
	M_EXT_HDRLEN, /* IPv6: first extension header's length field = arg */
	M_ROUTING,    /* IPv6 routing header, segments left = arg         */
	M_DOFF,       /* TCP data offset = arg (checksum fixed)           */
	M_VLAN3,      /* a third VLAN tag                                 */
	M_LAND,       /* source address = destination address             */
	M_IP_CSUM,    /* IPv4 header checksum broken                      */
	M_TTL,        /* TTL / hop limit = arg (checksum fixed)           */
	M_WINDOW,     /* TCP window = arg (checksum fixed)                */
	M_HBH_LATE,   /* IPv6: destination options, then hop-by-hop       */
	M_TINY,       /* first fragment (MF / M) holding arg bytes of TCP */
};

struct row {
	const char *name;
	int family;
	uint8_t flags;      /* TCP flags                                */
	struct seg s;       /* vlans, ip_optlen, ip6_ext, paylen, ttl, window */
	const uint8_t *opt; /* raw TCP options (optlen in s)            */
	enum mut mut;
	int arg;
	int verdict;
	int cnt;       /* the counter moved, or -1: none           */
	sg_cmask also; /* counters that move with it (C(...))      */
	bool tracked;  /* leaves a tracker entry                   */
	bool mode_off; /* with cookie mode off                     */
};

#define SYN .flags = TH_SYN
#define V4 .family = 4
#define V6 .family = 6
#define PASS(c) .verdict = XDP_PASS, .cnt = SG_CNT_##c
#define DROP(c) .verdict = XDP_DROP, .cnt = SG_CNT_##c
#define TX .verdict = XDP_TX, .cnt = SG_CNT_syn_cookies_sent

static const uint8_t opt_len0[] = { 3, 0, 1, 1 };
static const uint8_t opt_len1[] = { 4, 1, 1, 1 };
static const uint8_t opt_mss_over[] = { 1, 1, 2, 4 };
static const uint8_t opt_unknown[] = { 30, 4, 0xaa, 0xbb };
static const uint8_t opt_eol_junk[] = { 0, 2, 0, 0 };

static const struct row rows[] = {
	/* ---- truncation at each header boundary ---- */
	{ "Ethernet header only, IPv4 ethertype", V4, SYN, .mut = M_CUT, .arg = 14,
	  PASS(parse_ip_short) },
	{ "cut inside the VLAN tag", V4, SYN, .s.vlans = 1, .mut = M_CUT, .arg = 16,
	  PASS(parse_vlan_short) },
	{ "cut inside the IPv4 header", V4, SYN, .mut = M_CUT, .arg = 33, PASS(parse_ip_short) },
	{ "cut inside the IPv6 header", V6, SYN, .mut = M_CUT, .arg = 53, PASS(parse_ip_short) },
	{ "cut inside an IPv6 extension header", V6, SYN, .s.ip6_ext = 1, .mut = M_CUT_FIX,
	  .arg = 57, PASS(parse_ipv6_ext_short) },
	{ "cut inside the TCP header (IPv4)", V4, SYN, .mut = M_CUT_FIX, .arg = 14 + 20 + 10,
	  PASS(parse_tcp_short) },
	{ "cut inside the TCP header (IPv6)", V6, SYN, .mut = M_CUT_FIX, .arg = 14 + 40 + 10,
	  PASS(parse_tcp_short) },
	{ "cut inside the TCP options", V4, SYN, .s.optlen = 4, .opt = opt_unknown,
	  .mut = M_CUT_FIX, .arg = 14 + 20 + 22, PASS(parse_tcp_doff) },
	{ "cut with the IP length as sent", V4, SYN, .mut = M_CUT, .arg = 14 + 20 + 19,
	  PASS(parse_ip_bad) },
	/* ---- Ethernet ---- */
	{ "three VLAN tags", V4, SYN, .s.vlans = 2, .mut = M_VLAN3, PASS(parse_vlan_depth) },
	{ "two VLAN tags (802.1ad + 802.1Q)", V4, SYN, .s.vlans = 2, TX },
	/* ---- IPv4 ---- */
	{ "IPv4 options (40 bytes, IHL 15)", V4, SYN, .s.ip_optlen = 40, TX },
	{ "IHL 4 (< 5)", V4, SYN, .mut = M_IHL, .arg = 4, PASS(parse_ip_bad) },
	{ "IHL 15 past the total length", V4, SYN, .mut = M_IHL, .arg = 15, PASS(parse_ip_bad) },
	{ "IP version 5 under the IPv4 ethertype", V4, SYN, .mut = M_VERSION, .arg = 5,
	  PASS(parse_ip_bad) },
	{ "total length beyond the frame", V4, SYN, .mut = M_TOTLEN, .arg = 100,
	  PASS(parse_ip_bad) },
	{ "total length short of the TCP header", V4, SYN, .mut = M_TOTLEN, .arg = -10,
	  PASS(parse_tcp_short) },
	{ "total length short of the header + options", V4, SYN, .s.optlen = 4, .opt = opt_unknown,
	  .mut = M_TOTLEN, .arg = -4, PASS(parse_tcp_doff) },
	{ "Ethernet padding after the packet", V4, SYN, .mut = M_PAD, .arg = 12, TX },
	{ "first fragment (MF) of a SYN: no cookie for a fragment", V4, SYN, .mut = M_FRAG4,
	  .arg = 0x2000, DROP(drop_frag_syn), .also = C(syn_received) },
	{ "first fragment (MF) of a SYN, cookie mode off", V4, SYN, .mut = M_FRAG4, .arg = 0x2000,
	  .mode_off = true, PASS(pass_ip_fragment), .also = C(syn_received) },
	{ "first fragment (MF) of an ACK", V4, TH_ACK, .mut = M_FRAG4, .arg = 0x2000,
	  PASS(pass_ip_fragment) },
	{ "tiny first fragment: 8 bytes of the TCP header (RFC 1858)", V4, SYN, .mut = M_TINY,
	  .arg = 8, DROP(drop_frag_tiny) },
	{ "tiny first fragment: 16 bytes, flags in it, not the rest", V4, SYN, .mut = M_TINY,
	  .arg = 16, DROP(drop_frag_tiny) },
	{ "first fragment ending inside the TCP options", V4, SYN, .s.optlen = 4,
	  .opt = opt_unknown, .mut = M_TINY, .arg = 20, DROP(drop_frag_tiny) },
	{ "later fragment at offset 8: over the TCP flags (RFC 1858)", V4, SYN, .mut = M_FRAG4,
	  .arg = 0x2001, DROP(drop_frag_overlap) },
	{ "last fragment at offset 16: inside the TCP header", V4, TH_ACK, .mut = M_FRAG4,
	  .arg = 0x0002, DROP(drop_frag_overlap) },
	{ "later fragment at offset 24 (past the TCP header)", V4, SYN, .mut = M_FRAG4,
	  .arg = 0x2003, PASS(pass_ip_fragment) },
	{ "last fragment (offset, no MF)", V4, TH_ACK, .mut = M_FRAG4, .arg = 0x00b9,
	  PASS(pass_ip_fragment) },
	{ "DF only: not a fragment", V4, SYN, .mut = M_FRAG4, .arg = 0x4000, TX },
	{ "IPv4 protocol UDP", V4, SYN, .mut = M_PROTO, .arg = 17, PASS(pass_not_tcp) },
	{ "IPv4 header checksum wrong", V4, SYN, .mut = M_IP_CSUM, DROP(drop_ip_csum) },
	{ "TTL 0 (a forwarding matter, not ours)", V4, SYN, .mut = M_TTL, .arg = 0, TX },
	{ "TTL 1", V4, SYN, .s.ttl = 1, TX },
	{ "hop limit 1", V6, SYN, .s.ttl = 1, TX },
	/* ---- IPv6 extension headers ---- */
	{ "hop-by-hop + destination options", V6, SYN, .s.ip6_ext = 2, TX },
	{ "six extension headers (the limit)", V6, SYN, .mut = M_EXT_CHAIN, .arg = 6, TX },
	{ "seven extension headers: a SYN may hide there, no cookie for it", V6, SYN,
	  .mut = M_EXT_CHAIN, .arg = 7, DROP(drop_ipv6_ext_depth) },
	{ "nine extension headers", V6, TH_ACK, .mut = M_EXT_CHAIN, .arg = 9,
	  DROP(drop_ipv6_ext_depth) },
	{ "seven extension headers, cookie mode off", V6, SYN, .mut = M_EXT_CHAIN, .arg = 7,
	  .mode_off = true, PASS(parse_ipv6_ext_depth) },
	{ "hop-by-hop header not first (Linux drops it)", V6, SYN, .mut = M_HBH_LATE,
	  PASS(parse_ip_bad) },
	{ "extension header length past the frame", V6, SYN, .s.ip6_ext = 1, .mut = M_EXT_HDRLEN,
	  .arg = 255, PASS(parse_ipv6_ext_short) },
	{ "extension headers longer than the payload length", V6, SYN, .s.ip6_ext = 2,
	  .mut = M_PLEN, .arg = -30, PASS(parse_ip_bad) },
	{ "payload length beyond the frame", V6, SYN, .mut = M_PLEN, .arg = 8, PASS(parse_ip_bad) },
	{ "fragment header, first fragment (M) of a SYN", V6, SYN, .mut = M_FRAG6, .arg = 1,
	  DROP(drop_frag_syn), .also = C(syn_received) },
	{ "fragment header, first fragment (M) of a SYN, cookie mode off", V6, SYN, .mut = M_FRAG6,
	  .arg = 1, .mode_off = true, PASS(pass_ip_fragment), .also = C(syn_received) },
	{ "fragment header, first fragment (M) of an ACK", V6, TH_ACK, .mut = M_FRAG6, .arg = 1,
	  PASS(pass_ip_fragment) },
	{ "fragment header, tiny first fragment (12 bytes of TCP)", V6, SYN, .mut = M_TINY,
	  .arg = 12, DROP(drop_frag_tiny) },
	{ "fragment header, later fragment at offset 8 (over the TCP flags)", V6, SYN,
	  .mut = M_FRAG6, .arg = 1 << 3 | 1, DROP(drop_frag_overlap) },
	{ "fragment header, later fragment", V6, SYN, .mut = M_FRAG6, .arg = 8 << 3,
	  PASS(pass_ip_fragment) },
	{ "atomic fragment header (whole segment)", V6, SYN, .mut = M_FRAG6, .arg = 0, TX },
	{ "routing header, segments left 1 (not for us yet)", V6, SYN, .mut = M_ROUTING, .arg = 1,
	  PASS(pass_ipv6_routed) },
	{ "routing header, segments left 0", V6, SYN, .mut = M_ROUTING, .arg = 0, TX },
	{ "next header ESP", V6, SYN, .mut = M_PROTO, .arg = 50, PASS(pass_not_tcp) },
	{ "next header none (59)", V6, SYN, .mut = M_PROTO, .arg = 59, PASS(pass_not_tcp) },
	/* ---- TCP header and options ---- */
	{ "doff 0", V4, SYN, .mut = M_DOFF, .arg = 0, PASS(parse_tcp_doff) },
	{ "doff 4", V6, SYN, .mut = M_DOFF, .arg = 4, PASS(parse_tcp_doff) },
	{ "doff 15 past the segment", V4, SYN, .mut = M_DOFF, .arg = 15, PASS(parse_tcp_doff) },
	{ "option length 0", V4, SYN, .s.optlen = 4, .opt = opt_len0, DROP(parse_tcp_options) },
	{ "option length 1", V6, SYN, .s.optlen = 4, .opt = opt_len1, DROP(parse_tcp_options) },
	{ "MSS option overrunning the header", V4, SYN, .s.optlen = 4, .opt = opt_mss_over,
	  DROP(parse_tcp_options) },
	{ "unknown option kind (skipped by its length)", V4, SYN, .s.optlen = 4, .opt = opt_unknown,
	  TX },
	{ "bytes after EOL", V4, SYN, .s.optlen = 4, .opt = opt_eol_junk, TX },
	{ "option length 0, cookie mode off (Linux keeps it)", V4, SYN, .s.optlen = 4,
	  .opt = opt_len0, .mode_off = true, PASS(syn_passed), .also = C(parse_tcp_options),
	  .tracked = true },
	/* ---- flags ---- */
	{ "SYN+FIN", V4, TH_SYN | TH_FIN, DROP(drop_syn_flags) },
	{ "SYN+RST", V6, TH_SYN | TH_RST, DROP(drop_syn_flags) },
	{ "null scan (no flags)", V4, 0, DROP(drop_no_ack) },
	{ "Xmas scan (FIN+PSH+URG)", V4, TH_FIN | TH_PSH | TH_URG, DROP(drop_no_ack) },
	{ "Xmas scan with ACK, unknown flow", V6, TH_FIN | TH_PSH | TH_URG | TH_ACK,
	  DROP(cookies_rejected) },
	{ "bare FIN, unknown flow", V4, TH_FIN, DROP(drop_no_ack) },
	{ "bare RST, unknown flow (the kernel may own it)", V4, TH_RST, .verdict = XDP_PASS,
	  .cnt = -1 },
	{ "SYN-ACK, no local SYN_SENT (reflection)", V4, TH_SYN | TH_ACK,
	  DROP(drop_synack_unsolicited) },
	{ "land: SYN from our own address", V4, SYN, .mut = M_LAND, DROP(drop_land) },
	{ "land: SYN from our own address (IPv6)", V6, SYN, .mut = M_LAND, DROP(drop_land) },
	{ "zero window SYN", V4, SYN, .mut = M_WINDOW, .arg = 0, TX },
	{ "zero window ACK, unknown flow", V6, TH_ACK, .mut = M_WINDOW, .arg = 0,
	  DROP(cookies_rejected) },
	{ "SYN with 1000 bytes of data", V4, SYN, .s.paylen = 1000, TX },
	{ "SYN with 1600 bytes of data (too long to verify)", V4, SYN, .s.paylen = 1600,
	  PASS(syn_oversize), .also = C(syn_passed), .tracked = true },
};

/* The flow of row i: distinct per row, in the lab's ranges. */
static struct flow row_flow(const struct row *r)
{
	return flow_client(r->family, T.next_flow++, PORT);
}

static int l3_off(const struct frame *f)
{
	uint16_t proto;

	return frame_l3_off(f->b, f->len, &proto);
}

static void ip4_csum(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, csum_fold(csum_add(0, ip, (ip[0] & 0xf) * 4u)));
}

static void tcp_csum(struct frame *f, const struct flow *fl, int l4)
{
	uint32_t len = f->len - (uint32_t)l4;

	put16(f->b + l4 + 16, 0);
	put16(f->b + l4 + 16, csum_fold(csum_add(csum_pseudo(fl->family, fl->saddr, fl->daddr, len),
						 f->b + l4, len)));
}

/* Inserts n bytes at off (the frame grows). */
static uint8_t *insert(struct frame *f, int off, int n)
{
	memmove(f->b + off + n, f->b + off, f->len - (uint32_t)off);
	memset(f->b + off, 0, (size_t)n);
	f->len += (uint32_t)n;
	return f->b + off;
}

/* An IPv6 extension header of kind next in front of the first one. */
static void ip6_push_ext(struct frame *f, uint8_t kind, int len8, uint8_t seg_left)
{
	uint8_t *ip = f->b + l3_off(f), *h;

	h = insert(f, l3_off(f) + 40, 8 * len8);
	h[0] = ip[6];
	h[1] = (uint8_t)(len8 - 1);
	if (kind == 43) {
		h[2] = 0; /* routing type 0 layout: type, segments left */
		h[3] = seg_left;
	} else {
		h[2] = 1; /* PadN */
		h[3] = (uint8_t)(8 * len8 - 4);
	}
	ip[6] = kind;
	put16(ip + 4, (uint16_t)(get16(ip + 4) + 8 * len8));
}

static void mutate(struct frame *f, struct flow *fl, const struct row *r, int l4)
{
	uint8_t *ip = f->b + l3_off(f);

	switch (r->mut) {
	case M_NONE:
		break;
	case M_CUT:
	case M_CUT_FIX:
		frame_truncate(f, (uint32_t)r->arg, r->mut == M_CUT_FIX);
		break;
	case M_IHL:
		ip[0] = (uint8_t)(0x40 | r->arg);
		ip4_csum(ip);
		break;
	case M_VERSION:
		ip[0] = (uint8_t)(r->arg << 4 | (ip[0] & 0xf));
		break;
	case M_TOTLEN:
		put16(ip + 2, (uint16_t)(get16(ip + 2) + r->arg));
		ip4_csum(ip);
		break;
	case M_PLEN:
		put16(ip + 4, (uint16_t)(get16(ip + 4) + r->arg));
		break;
	case M_PAD:
		memset(f->b + f->len, 0xee, (size_t)r->arg);
		f->len += (uint32_t)r->arg;
		break;
	case M_FRAG4:
		frame_ip4_set_frag(f, (uint16_t)r->arg);
		break;
	case M_FRAG6:
		frame_ip6_add_frag(f, (uint16_t)r->arg, 0x1234);
		break;
	case M_PROTO:
		if (r->family == 4) {
			ip[9] = (uint8_t)r->arg;
			ip4_csum(ip);
		} else {
			ip[6] = (uint8_t)r->arg;
		}
		break;
	case M_EXT_CHAIN:
		for (int i = 0; i < r->arg; i++)
			ip6_push_ext(f, 60, 1, 0);
		break;
	case M_EXT_HDRLEN:
		ip[40 + 1] = (uint8_t)r->arg;
		break;
	case M_ROUTING:
		ip6_push_ext(f, 43, 1, (uint8_t)r->arg);
		break;
	case M_HBH_LATE:
		ip6_push_ext(f, 0, 1, 0);
		ip6_push_ext(f, 60, 1, 0);
		break;
	case M_TINY:
		if (r->family == 4) {
			frame_truncate(f, (uint32_t)(l4 + r->arg), true);
			frame_ip4_set_frag(f, 0x2000);
		} else {
			frame_ip6_add_frag(f, 1, 0x1234);
			frame_truncate(f, (uint32_t)(l4 + 8 + r->arg), true);
		}
		break;
	case M_DOFF:
		f->b[l4 + 12] = (uint8_t)(r->arg << 4);
		tcp_csum(f, fl, l4);
		break;
	case M_VLAN3:
		insert(f, 12, 4);
		put16(f->b + 12, 0x8100);
		put16(f->b + 14, 300);
		break;
	case M_LAND:
		memcpy(fl->saddr, fl->daddr, 16);
		memcpy(ip + (r->family == 4 ? 12 : 8), ip + (r->family == 4 ? 16 : 24),
		       r->family == 4 ? 4 : 16);
		if (r->family == 4)
			ip4_csum(ip);
		tcp_csum(f, fl, l4);
		break;
	case M_IP_CSUM:
		ip[10] ^= 0x55;
		break;
	case M_TTL:
		ip[r->family == 4 ? 8 : 7] = (uint8_t)r->arg;
		if (r->family == 4)
			ip4_csum(ip);
		break;
	case M_WINDOW:
		put16(f->b + l4 + 14, (uint16_t)r->arg);
		tcp_csum(f, fl, l4);
		break;
	}
}

static bool entry_of(const struct flow *fl)
{
	struct sg_ct_key k = { .family = (uint8_t)fl->family,
			       .lport = fl->dport,
			       .rport = fl->sport };
	struct sg_ct_entry e;

	memcpy(k.laddr, fl->daddr, 16);
	memcpy(k.raddr, fl->saddr, 16);
	return !bpf_map_lookup_elem(T.ct_synced, &k, &e) ||
	       !bpf_map_lookup_elem(T.ct_embryonic, &k, &e);
}

/* Did the row's frame reach the SYN path (counted syn_received first)? */
static bool syn_path(int cnt)
{
	switch (cnt) {
	case SG_CNT_syn_cookies_sent:
	case SG_CNT_syn_passed:
	case SG_CNT_syn_oversize:
	case SG_CNT_drop_ip_csum:
	case SG_CNT_drop_tcp_csum:
	case SG_CNT_drop_syn_flags:
	case SG_CNT_drop_land:
	case SG_CNT_parse_tcp_options:
		return true;
	}
	return false;
}

static void run_row(const struct row *r)
{
	struct flow fl = row_flow(r);
	struct seg s = r->s;
	struct frame f;
	struct run out;
	char name[200];
	int l4;
	sg_cmask mask = (r->cnt >= 0 ? (sg_cmask)1 << r->cnt : 0) | r->also;

	s.seq = 0x1000 + T.next_flow;
	s.ack = r->flags & TH_ACK ? 0x5000 : 0;
	s.flags = r->flags;
	s.opt = r->opt;
	l4 = frame_build(&f, &fl, &s);
	mutate(&f, &fl, r, l4);
	if (r->mode_off) {
		T.cfg.cookie_active = 0;
		T.cfg.mode = SG_MODE_OFF;
		config_apply();
	}
	xdp_run(&f, &out);
	if (r->mode_off) {
		T.cfg.cookie_active = 1;
		T.cfg.mode = SG_MODE_ON;
		config_apply();
	}
	/* the tracker counts each entry it makes */
	if (r->tracked)
		mask |= C(ct_created);
	if (syn_path(r->cnt))
		mask |= C(syn_received);
	snprintf(name, sizeof(name), "catalogue: IPv%d %s -> %s, %s%s", r->family, r->name,
		 verdict_name(r->verdict), r->cnt >= 0 ? sg_counter_names[r->cnt] : "no counter",
		 r->tracked ? ", tracked" : ", not tracked");
	if (!decided(&out, r->verdict, mask) || entry_of(&fl) != r->tracked)
		diag("%s: got %s, counters%s, entry %s", r->name, verdict_name(out.verdict),
		     deltas(&out), entry_of(&fl) ? "yes" : "no");
	check(decided(&out, r->verdict, mask) && entry_of(&fl) == r->tracked, "%s", name);
}

/* A jumbo frame (more than a page: the test runner splits it into
 * buffers, as a multi-buffer driver would): its headers are in the first
 * buffer, its IP length counts them all. */
static void test_multibuffer(void)
{
	static struct frame f;
	struct flow fl = flow_client(4, T.next_flow++, PORT);
	struct seg syn = { .seq = 100, .flags = TH_SYN },
		   data = { .seq = 101, .ack = 1, .flags = TH_ACK, .paylen = 8000 };
	struct run r;

	T.cfg.cookie_active = 0;
	T.cfg.mode = SG_MODE_OFF;
	config_apply();
	frame_build(&f, &fl, &syn);
	xdp_run(&f, &r);
	frame_build(&f, &fl, &data);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_size_in = f.len,
			    .repeat = 1);
		__u64 before[SG_CNT_MAX], after[SG_CNT_MAX];
		int ret;

		sg_counters_read(T.cnt_fd, before);
		ret = bpf_prog_test_run_opts(T.prog, &o);
		sg_counters_read(T.cnt_fd, after);
		check(!ret && o.retval == XDP_PASS &&
			      after[SG_CNT_parse_ip_bad] == before[SG_CNT_parse_ip_bad],
		      "catalogue: IPv4 8000-byte segment in several buffers of a tracked flow -> XDP_PASS, parsed (ret %d, %s)",
		      ret, verdict_name((int)o.retval));
	}
	check(entry_of(&fl), "catalogue: the multi-buffer segment's flow stays tracked");
	T.cfg.cookie_active = 1;
	T.cfg.mode = SG_MODE_ON;
	config_apply();
}

int main(void)
{
	if (!check(!setup("mode=on"), "catalogue: load and configure synguard"))
		return 1;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_multibuffer();
	diag("%zu catalogue rows + multi-buffer", sizeof(rows) / sizeof(rows[0]));
	return tap_failed ? 1 : 0;
}
