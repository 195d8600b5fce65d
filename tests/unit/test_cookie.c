// SPDX-License-Identifier: GPL-2.0
/* The XDP SYN-cookie path through BPF_PROG_TEST_RUN on crafted frames:
 * SYN -> SYN-ACK for every option combination and L2/L3 layout, the
 * returning ACK decoded back into XDP metadata, bad cookies, secret
 * rotation, checksums, truncation and malformed TCP headers, each with its
 * verdict and the one counter that names the decision.
 *
 * Every run uses repeat = 1: the kernel does not restore the packet
 * between repeats, so a second repeat would see our own SYN-ACK.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include "harness.h"

#define MAX_DIAG 5 /* failure details printed per check        */

/* ---- one SYN and what its SYN-ACK must be ---------------------------------- */
struct layout {
	int family, vlans;
	int l3ext; /* IPv4 option bytes, or IPv6 ext headers    */
};

struct syn_case {
	struct layout l;
	struct tcpopts o;
	uint8_t ecn; /* 0, ECE, or ECE|CWR (an ECN-setup SYN)     */
	uint32_t seq;
	int paylen; /* data on the SYN (TFO-style) and the ACK    */
	struct flow fl;
};

static const uint16_t *msstab(int family)
{
	return family == 4 ? T.cfg.msstab4 : T.cfg.msstab6;
}

/* The option bits the ISN must carry (include/synguard.h cookie layout). */
static uint8_t expect_optbits(const struct syn_case *c)
{
	const uint16_t *tab = msstab(c->l.family);
	int mss = c->o.mss ? c->o.mss : (c->l.family == 4 ? 536 : 1220);
	uint8_t bucket = 0, bits;

	for (int i = 1; i < SG_MSS_BUCKETS; i++)
		if (mss >= tab[i])
			bucket = (uint8_t)i;
	bits = (uint8_t)(bucket << SG_COOKIE_MSS_SHIFT);
	if (c->o.wscale >= 0 && T.cfg.allow_wscale)
		bits |= c->o.wscale > 14 ? 14 : (uint8_t)c->o.wscale;
	else
		bits |= SG_COOKIE_WS_NONE;
	if (c->o.sack_perm && T.cfg.allow_sack)
		bits |= SG_COOKIE_SACK;
	if (c->ecn == (TH_ECE | TH_CWR) && T.cfg.allow_ecn)
		bits |= SG_COOKIE_ECN;
	return bits;
}

static bool expect_ts(const struct syn_case *c)
{
	return c->o.ts && T.cfg.allow_ts;
}

static void syn_build(struct frame *f, const struct syn_case *c)
{
	uint8_t opt[40];
	struct seg s = {
		.seq = c->seq,
		.flags = TH_SYN | c->ecn,
		.opt = opt,
		.optlen = opts_build(opt, &c->o),
		.paylen = c->paylen,
		.vlans = c->l.vlans,
	};

	if (c->l.family == 4)
		s.ip_optlen = c->l.l3ext;
	else
		s.ip6_ext = c->l.l3ext;
	frame_build(f, &c->fl, &s);
}

static struct syn_case syn_case_new(struct layout l)
{
	struct syn_case c = { .l = l, .o = { .wscale = -1 } };

	c.fl = flow_client(l.family, T.next_flow++, PORT);
	c.seq = T.next_flow * 2654435761u;
	return c;
}

#define REQUIRE(cond)                 \
	do {                          \
		if (!(cond))          \
			return #cond; \
	} while (0)

/* NULL if r is the right SYN-ACK for SYN f of case c, counted as sent (and
 * as the counters in also), else what is wrong. */
static const char *synack_wrong(const struct syn_case *c, const struct frame *f,
				const struct run *r, sg_cmask also, struct parsed *sa)
{
	int l3 = 14 + 4 * c->l.vlans;
	bool ws = (expect_optbits(c) & 0xf) != SG_COOKIE_WS_NONE;
	bool sack = expect_optbits(c) & SG_COOKIE_SACK;
	bool ecn = expect_optbits(c) & SG_COOKIE_ECN;

	REQUIRE(r->verdict == XDP_TX);
	REQUIRE(counted(r, C(syn_received) | C(syn_cookies_sent) | also));
	REQUIRE(frame_parse(r->out, r->len, sa));
	REQUIRE(sa->family == c->l.family);
	/* grown or shrunk to exactly L2 + bare IP header + 40 bytes of TCP */
	REQUIRE(r->len == (uint32_t)(l3 + (c->l.family == 4 ? 20 : 40) + 40));
	REQUIRE(sa->l3 == l3);
	REQUIRE(!memcmp(r->out, f->b + 6, 6) && !memcmp(r->out + 6, f->b, 6));
	REQUIRE(!memcmp(r->out + 12, f->b + 12, (size_t)l3 - 12)); /* VLANs */
	REQUIRE(!memcmp(sa->saddr, c->fl.daddr, 16));
	REQUIRE(!memcmp(sa->daddr, c->fl.saddr, 16));
	REQUIRE(sa->sport == c->fl.dport && sa->dport == c->fl.sport);
	REQUIRE(sa->ack == c->seq + 1);
	REQUIRE(sa->flags == (TH_SYN | TH_ACK | (ecn ? TH_ECE : 0)));
	REQUIRE(sa->ip_csum_ok);
	REQUIRE(sa->tcp_csum_ok);
	REQUIRE(sa->ttl == T.cfg.ttl);
	REQUIRE(sa->window == T.cfg.synack_window);
	REQUIRE(sa->opts_ok);
	REQUIRE(sa->o.mss == (c->l.family == 4 ? T.cfg.adv_mss4 : T.cfg.adv_mss6));
	REQUIRE(sa->o.mss == msstab(c->l.family)[SG_MSS_BUCKETS - 1]);
	REQUIRE(sa->o.wscale == (ws ? T.cfg.rcv_wscale : -1));
	REQUIRE(sa->o.sack_perm == sack);
	REQUIRE(sa->o.ts == expect_ts(c));
	REQUIRE(!expect_ts(c) || sa->o.tsecr == c->o.tsval);
	REQUIRE((sa->seq & 0xff) == expect_optbits(c));
	return NULL;
}

/* The client's third segment: acks the cookie, echoes our TSval. */
static void ack_build(struct frame *f, const struct syn_case *c, const struct parsed *sa,
		      uint32_t ack_xor, uint32_t tsecr_xor)
{
	struct tcpopts o = { .wscale = -1 };
	uint8_t opt[40];
	struct seg s = {
		.seq = c->seq + 1,
		.ack = (sa->seq + 1) ^ ack_xor,
		.flags = TH_ACK,
		.opt = opt,
		.paylen = c->paylen,
		.vlans = c->l.vlans,
	};

	if (sa->o.ts) {
		o.ts = true;
		o.tsval = c->o.tsval + 1;
		o.tsecr = sa->o.tsval ^ tsecr_xor;
	}
	s.optlen = opts_build(opt, &o);
	if (c->l.family == 4)
		s.ip_optlen = c->l.l3ext;
	else
		s.ip6_ext = c->l.l3ext;
	frame_build(f, &c->fl, &s);
}

/* NULL if the ACK was accepted and decoded into what c offered. */
static const char *decode_wrong(const struct syn_case *c, const struct parsed *sa,
				const struct frame *ack, const struct run *r)
{
	uint8_t bits = expect_optbits(c);
	uint8_t ws = bits & 0xf;
	const struct sg_meta *m = &r->meta;

	REQUIRE(r->verdict == XDP_PASS);
	REQUIRE(counted(r, C(cookies_accepted)));
	REQUIRE(r->len == ack->len && !memcmp(r->out, ack->b, ack->len));
	REQUIRE(r->meta_len == sizeof(struct sg_meta));
	REQUIRE(m->magic == SG_META_MAGIC);
	REQUIRE(m->mss == msstab(c->l.family)[bits >> SG_COOKIE_MSS_SHIFT]);
	REQUIRE(!!(m->flags & SG_META_F_WSCALE) == (ws != SG_COOKIE_WS_NONE));
	REQUIRE(ws == SG_COOKIE_WS_NONE || m->snd_wscale == ws);
	REQUIRE(!!(m->flags & SG_META_F_SACK) == !!(bits & SG_COOKIE_SACK));
	REQUIRE(!!(m->flags & SG_META_F_ECN) == !!(bits & SG_COOKIE_ECN));
	REQUIRE(!!(m->flags & SG_META_F_TS) == expect_ts(c));
	REQUIRE(!expect_ts(c) || (m->rcv_tsval == c->o.tsval + 1 && m->rcv_tsecr == sa->o.tsval));
	return NULL;
}

static void case_name(char *buf, size_t len, const struct syn_case *c)
{
	snprintf(buf, len, "mss=%d ws=%d sack=%d ts=%d ecn=%s seq=%#x", c->o.mss, c->o.wscale,
		 c->o.sack_perm, c->o.ts,
		 c->ecn == (TH_ECE | TH_CWR) ? "ece+cwr"
		 : c->ecn                    ? "ece"
					     : "no",
		 c->seq);
}

struct tally {
	int cases, synack_bad, decode_bad;
};

/* SYN -> SYN-ACK -> ACK for one case; counts what went wrong. */
static void handshake(struct syn_case *c, struct tally *t)
{
	struct frame syn, ack;
	struct parsed sa;
	struct run r;
	const char *why;
	char name[128];

	t->cases++;
	syn_build(&syn, c);
	xdp_run(&syn, &r);
	why = synack_wrong(c, &syn, &r, 0, &sa);
	if (why) {
		case_name(name, sizeof(name), c);
		if (t->synack_bad++ < MAX_DIAG)
			diag("SYN %s: %s (%s,%s)", name, why, verdict_name(r.verdict), deltas(&r));
		return;
	}
	ack_build(&ack, c, &sa, 0, 0);
	xdp_run(&ack, &r);
	why = decode_wrong(c, &sa, &ack, &r);
	if (why) {
		case_name(name, sizeof(name), c);
		if (t->decode_bad++ < MAX_DIAG)
			diag("ACK %s: %s (%s,%s, meta %u bytes)", name, why,
			     verdict_name(r.verdict), deltas(&r), r.meta_len);
	}
}

static const char *layout_name(const struct layout *l)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "IPv%d vlans=%d %s=%d", l->family, l->vlans,
		 l->family == 4 ? "ipopt_bytes" : "ext_hdrs", l->l3ext);
	return buf;
}

/* Every combination of MSS / WScale / SACK / TS / ECN for one layout, the
 * options in the given order. */
static void test_combinations(struct layout l, enum opts_order order, const char *what)
{
	const uint16_t *tab = msstab(l.family);
	/* absent (536 / 1220), tiny, each bucket's edge and just under it */
	const int mss[] = {
		0, 88, tab[1] - 1, tab[1], tab[2] - 1, tab[2], tab[3] - 1, tab[3], 65535
	};
	const int ws[] = { -1, 0, 7, 14, 15 };
	const uint8_t ecn[] = { 0, TH_ECE, TH_ECE | TH_CWR };
	struct tally t = {};

	for (size_t a = 0; a < sizeof(mss) / sizeof(mss[0]); a++)
		for (size_t b = 0; b < sizeof(ws) / sizeof(ws[0]); b++)
			for (int sack = 0; sack < 2; sack++)
				for (int ts = 0; ts < 2; ts++)
					for (size_t e = 0; e < sizeof(ecn); e++) {
						struct syn_case c = syn_case_new(l);

						c.o.order = order;
						c.o.mss = mss[a];
						c.o.wscale = ws[b];
						c.o.sack_perm = sack;
						c.o.ts = ts;
						c.o.tsval = 0x7f000000u + (uint32_t)t.cases;
						c.ecn = ecn[e];
						handshake(&c, &t);
					}
	check(!t.synack_bad, "%s %s, %s options: %d SYNs answered XDP_TX with the right SYN-ACK",
	      what, layout_name(&l), opts_order_name(order), t.cases);
	check(!t.decode_bad && !t.synack_bad,
	      "%s %s, %s options: %d cookie ACKs accepted, metadata = the options offered", what,
	      layout_name(&l), opts_order_name(order), t.cases);
}

static void test_all_layouts(void)
{
	for (int vlans = 0; vlans <= 2; vlans++) {
		test_combinations((struct layout){ 4, vlans, 0 }, OPTS_LINUX, "SYN");
		test_combinations((struct layout){ 4, vlans, 40 }, OPTS_LINUX, "SYN");
		for (int ext = 0; ext <= 2; ext++)
			test_combinations((struct layout){ 6, vlans, ext }, OPTS_LINUX, "SYN");
	}
	/* other stacks' option orders: the word-wise parser's layouts and,
	 * packed, the option-by-option walk */
	for (int o = OPTS_LINUX + 1; o < OPTS_ORDERS; o++) {
		test_combinations((struct layout){ 4, 0, 0 }, o, "SYN");
		test_combinations((struct layout){ 6, 1, 1 }, o, "SYN");
	}
}

/* The host's kernel refuses an option: the SYN-ACK must not offer it and
 * the cookie must not carry it. */
static void test_sysctls_off(void)
{
	struct sg_config saved = T.cfg;

	T.cfg.allow_ts = T.cfg.allow_sack = 0;
	T.cfg.allow_wscale = T.cfg.allow_ecn = 0;
	config_apply();
	test_combinations((struct layout){ 4, 0, 0 }, OPTS_LINUX, "sysctls off");
	test_combinations((struct layout){ 6, 1, 1 }, OPTS_LINUX, "sysctls off");
	T.cfg = saved;
	config_apply();
}

/* A 54-byte SYN has no room for the SYN-ACK's options: grown at the head. */
static void test_small_syn(void)
{
	struct syn_case c = syn_case_new((struct layout){ 4, 0, 0 });
	struct frame f;
	struct parsed sa;
	struct run r;
	const char *why;

	syn_build(&f, &c);
	xdp_run(&f, &r);
	why = synack_wrong(&c, &f, &r, 0, &sa);
	if (why)
		diag("%s", why);
	check(f.len == 54 && !why && r.len == 74 && sa.l4 == 34 && sa.thl == 40,
	      "54-byte SYN without options -> 74-byte SYN-ACK, headers in place");
}

static struct syn_case full_opts_case(int family)
{
	struct syn_case c = syn_case_new((struct layout){ family, 0, 0 });

	c.o = (struct tcpopts){
		.mss = 1460, .wscale = 7, .sack_perm = true, .ts = true, .tsval = 0x01020304
	};
	return c;
}

/* Data on the SYN is not acked and not sent back; data on the ACK does not
 * get in the way of its cookie. Odd lengths take the checksum's odd byte. */
static void test_payload(int family)
{
	const int lens[] = { 1, 33, 1440 };
	struct tally t = {};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct syn_case c = syn_case_new((struct layout){ family, 1, 0 });

		c.o = (struct tcpopts){ .mss = 1460, .wscale = 2, .ts = true, .tsval = 5 };
		c.paylen = lens[i];
		handshake(&c, &t);
	}
	check(!t.synack_bad && !t.decode_bad,
	      "IPv%d: SYN and ACK with 1, 33, 1440 data bytes: SYN-ACK without data, ACK decoded",
	      family);
}

/* The client's ISN at the edge of sequence space: ack and the cookie's
 * client ISN (ACK seq - 1) wrap. */
static void test_seq_wrap(int family)
{
	const uint32_t seqs[] = { 0xffffffffu, 0 };
	struct tally t = {};

	for (size_t i = 0; i < 2; i++) {
		struct syn_case c = full_opts_case(family);

		c.seq = seqs[i];
		handshake(&c, &t);
	}
	check(!t.synack_bad && !t.decode_bad,
	      "IPv%d: client ISN 0xffffffff and 0: ack wraps, cookie ACK decoded", family);
}

/* ---- cookies that must not pass ------------------------------------------ */

/* A SYN answered; *sa is the SYN-ACK. */
static bool synack_for(struct syn_case *c, struct parsed *sa)
{
	struct frame f;
	struct run r;
	const char *why;

	syn_build(&f, c);
	xdp_run(&f, &r);
	why = synack_wrong(c, &f, &r, 0, sa);
	if (why)
		diag("SYN not answered as expected: %s", why);
	return !why;
}

/* What is wrong with an ACK: its number shifted, bits of it or of its
 * TSecr flipped. */
struct ack_fault {
	int ack_delta;
	uint32_t ack_xor, tsecr_xor;
	bool needs_ts;
	const char *what;
};

/* The ACK of a fresh handshake, with fault x: never a valid cookie. */
static void test_bad_ack(int family, bool ts, const struct ack_fault *x)
{
	struct syn_case c = full_opts_case(family);
	struct parsed sa;
	struct frame f;
	struct run r;
	char name[160];

	c.o.ts = ts;
	snprintf(name, sizeof(name), "IPv%d%s: %s -> XDP_DROP, cookies_rejected", family,
		 ts ? " +TS" : "", x->what);
	if (!synack_for(&c, &sa)) {
		check(false, "%s", name);
		return;
	}
	sa.seq += (uint32_t)x->ack_delta;
	ack_build(&f, &c, &sa, x->ack_xor, x->tsecr_xor);
	xdp_run(&f, &r);
	check_run(&r, XDP_DROP, C(cookies_rejected), name);
}

static void test_wrong_cookies(void)
{
	static const struct ack_fault faults[] = {
		{ .ack_delta = 1, .what = "ACK number +1" },
		{ .ack_delta = -1, .what = "ACK number -1" },
		{ .ack_xor = 1u << 8, .what = "lowest hash bit flipped" },
		{ .ack_xor = 1u << 31, .what = "top hash bit flipped" },
		{ .ack_xor = SG_COOKIE_SACK, .what = "SACK bit of the cookie flipped" },
		{ .ack_xor = 1u << SG_COOKIE_MSS_SHIFT,
		  .what = "MSS bucket of the cookie changed" },
		{ .tsecr_xor = 1, .needs_ts = true, .what = "TSecr hash bit 0 flipped" },
		{ .tsecr_xor = 0x80, .needs_ts = true, .what = "TSecr hash bit 7 flipped" },
	};

	for (int family = 4; family <= 6; family += 2)
		for (int ts = 0; ts < 2; ts++)
			for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
				if (ts || !faults[i].needs_ts)
					test_bad_ack(family, ts, &faults[i]);
}

/* ACKs of SYN-ACKs sent before one / two rotations. */
static void test_rotation(int family)
{
	struct syn_case one = full_opts_case(family), two = full_opts_case(family);
	struct parsed sa_one, sa_two;
	struct frame f;
	struct run r;
	char name[128];

	if (!synack_for(&two, &sa_two)) {
		check(false, "IPv%d: SYN-ACK before rotating", family);
		return;
	}
	sg_secrets_rotate(T.secrets);
	if (!synack_for(&one, &sa_one)) {
		check(false, "IPv%d: SYN-ACK after one rotation", family);
		return;
	}
	sg_secrets_rotate(T.secrets);

	ack_build(&f, &one, &sa_one, 0, 0);
	xdp_run(&f, &r);
	snprintf(name, sizeof(name), "IPv%d: cookie of the previous secret (one rotation) accepted",
		 family);
	check_run(&r, XDP_PASS, C(cookies_accepted), name);

	ack_build(&f, &two, &sa_two, 0, 0);
	xdp_run(&f, &r);
	snprintf(name, sizeof(name),
		 "IPv%d: cookie from two rotations ago -> XDP_DROP, cookies_rejected", family);
	check_run(&r, XDP_DROP, C(cookies_rejected), name);
}

/* The current secret's installed time set to age ns ago (and the other
 * slot's a day before, so that only the current one can be in play). */
static void secret_age(__u64 age)
{
	__u64 now = sg_now_ns();

	T.secrets->installed_ns[T.secrets->cur & 1] = now - age;
	T.secrets->installed_ns[(T.secrets->cur ^ 1) & 1] = now - age - 86400 * SG_NS;
}

/* A cookie expires by time alone, no rotation needed: the current secret
 * makes cookies up to a period and the slack after it was installed, and
 * checks ACKs up to two periods and the slack after. A SYN that finds it
 * too old goes to the kernel (syn_secret_stale); an ACK of a cookie past
 * the bound is refused. Ageing the secret's installed time stands in for
 * a daemon that stopped rotating. */
static void test_lifetime(int family)
{
	__u64 p = T.secrets->period_ns, s = SG_SECRET_SLACK_NS;
	struct syn_case c = full_opts_case(family), late = full_opts_case(family);
	struct parsed sa;
	struct frame f;
	struct run r;
	char name[160];

	sg_secrets_rotate(T.secrets);
	secret_age(p + s - SG_NS);
	snprintf(name, sizeof(name),
		 "IPv%d: secret a period + slack - 1 s old: SYN -> cookie SYN-ACK", family);
	if (!check(synack_for(&c, &sa), "%s", name))
		return;
	secret_age(p + s + SG_NS);
	syn_build(&f, &late);
	xdp_run(&f, &r);
	snprintf(
		name, sizeof(name),
		"IPv%d: secret a period + slack + 1 s old: SYN -> XDP_PASS to the kernel, syn_secret_stale",
		family);
	check_run(&r, XDP_PASS,
		  C(syn_received) | C(syn_secret_stale) | C(syn_passed) | C(ct_created), name);
	ack_build(&f, &c, &sa, 0, 0);
	secret_age(2 * p + s - SG_NS);
	xdp_run(&f, &r);
	untrack(&c.fl);
	snprintf(name, sizeof(name),
		 "IPv%d: its cookie 2 periods + slack - 1 s after the secret's install -> accepted",
		 family);
	check_run(&r, XDP_PASS, C(cookies_accepted), name);
	secret_age(2 * p + s + SG_NS);
	xdp_run(&f, &r);
	snprintf(name, sizeof(name),
		 "IPv%d: the same ACK 2 periods + slack + 1 s after -> XDP_DROP, cookies_rejected",
		 family);
	check_run(&r, XDP_DROP, C(cookies_rejected), name);
	sg_secrets_rotate(T.secrets);
	late.fl.sport++;
	syn_build(&f, &late);
	xdp_run(&f, &r);
	snprintf(name, sizeof(name), "IPv%d: rotated again: SYN -> XDP_TX, a cookie", family);
	check_run(&r, XDP_TX, C(syn_received) | C(syn_cookies_sent), name);
	/* the other slot, aged a day by secret_age, must not stay so */
	sg_secrets_rotate(T.secrets);
}

/* ---- checksums ------------------------------------------------------------ */
static void test_checksums(int family)
{
	struct syn_case c = full_opts_case(family);
	struct frame f;
	struct parsed sa;
	struct run r;
	const char *why;
	char name[128];
	int l4;
	uint16_t partial;

	if (family == 4) {
		syn_build(&f, &c);
		f.b[14 + 10] ^= 0x01;
		xdp_run(&f, &r);
		check_run(&r, XDP_DROP, C(syn_received) | C(drop_ip_csum),
			  "IPv4: bad header checksum -> XDP_DROP, drop_ip_csum");

		/* the sum covers the options too, not just 20 bytes */
		c.l.l3ext = 8;
		syn_build(&f, &c);
		f.b[14 + 20 + 3] ^= 0x01;
		xdp_run(&f, &r);
		check_run(&r, XDP_DROP, C(syn_received) | C(drop_ip_csum),
			  "IPv4: corrupt IP option byte -> XDP_DROP, drop_ip_csum");
		c.l.l3ext = 0;
	}

	syn_build(&f, &c);
	l4 = 14 + (family == 4 ? 20 : 40);
	f.b[l4 + 16] ^= 0x40;
	xdp_run(&f, &r);
	snprintf(name, sizeof(name), "IPv%d: bad TCP checksum -> XDP_DROP, drop_tcp_csum", family);
	check_run(&r, XDP_DROP, C(syn_received) | C(drop_tcp_csum), name);

	/* a corrupt byte elsewhere in the segment, checksum as sent */
	syn_build(&f, &c);
	f.b[l4 + 22] ^= 0x01; /* inside the MSS value */
	xdp_run(&f, &r);
	snprintf(name, sizeof(name), "IPv%d: corrupt option byte -> XDP_DROP, drop_tcp_csum",
		 family);
	check_run(&r, XDP_DROP, C(syn_received) | C(drop_tcp_csum), name);

	/* TX checksum offload: the field holds the folded pseudo-header sum */
	c = full_opts_case(family);
	syn_build(&f, &c);
	partial = (uint16_t)~csum_fold(
		csum_pseudo(family, c.fl.saddr, c.fl.daddr, f.len - (uint32_t)l4));
	put16(f.b + l4 + 16, partial);
	xdp_run(&f, &r);
	why = synack_wrong(&c, &f, &r, C(syn_csum_offloaded), &sa);
	if (why)
		diag("%s (%s,%s)", why, verdict_name(r.verdict), deltas(&r));
	check(!why, "IPv%d: partial (TX offload) checksum SYN answered, syn_csum_offloaded",
	      family);
}

/* ---- malformed and truncated SYNs ----------------------------------------- */

/* The reason the parser must give for frame f cut at len (see parse.h). */
static int truncation_reason(const struct syn_case *c, const struct frame *f, uint32_t len,
			     bool fixed)
{
	uint32_t l3 = 14 + 4 * (uint32_t)c->l.vlans;
	uint32_t iph = c->l.family == 4 ? 20 : 40;
	uint32_t ext = c->l.family == 6 ? 8 * (uint32_t)c->l.l3ext : 0;
	uint32_t l4 = l3 + iph + (c->l.family == 4 ? (uint32_t)c->l.l3ext : ext);
	uint32_t thl = (uint32_t)(f->b[l4 + 12] >> 4) * 4;

	if (len < l3)
		return SG_CNT_parse_vlan_short;
	if (len < l3 + iph)
		return SG_CNT_parse_ip_short;
	if (!fixed)
		return SG_CNT_parse_ip_bad; /* IP length runs past the end */
	if (len < l4)
		return c->l.family == 4 ? SG_CNT_parse_ip_bad /* tot < IHL */
					: SG_CNT_parse_ipv6_ext_short;
	if (len < l4 + 20)
		return SG_CNT_parse_tcp_short;
	if (len < l4 + thl)
		return SG_CNT_parse_tcp_doff;
	return -1;
}

static void test_truncation(struct layout l, bool fixed)
{
	struct syn_case c = syn_case_new(l);
	struct frame full, f;
	struct run r;
	int bad = 0, n = 0, refused = 0;

	c.o = (struct tcpopts){
		.mss = 1460, .wscale = 7, .sack_perm = true, .ts = true, .tsval = 99
	};
	c.ecn = TH_ECE | TH_CWR;
	syn_build(&full, &c);
	for (uint32_t len = 0; len < full.len; len++) {
		int reason;

		if (len < 14) {
			/* the kernel refuses frames shorter than Ethernet */
			f = full;
			f.len = len;
			xdp_run(&f, &r);
			refused += r.err != 0;
			continue;
		}
		f = full;
		frame_truncate(&f, len, fixed);
		reason = truncation_reason(&c, &full, len, fixed);
		xdp_run(&f, &r);
		n++;
		if (reason >= 0 && decided(&r, XDP_PASS, (sg_cmask)1 << reason))
			continue;
		if (bad++ < MAX_DIAG)
			diag("cut at %u: got %s,%s; want XDP_PASS, %s", len,
			     verdict_name(r.verdict), deltas(&r),
			     reason >= 0 ? sg_counter_names[reason] : "?");
	}
	if (refused != 14)
		diag("kernel refused %d of the 14 frames under 14 bytes", refused);
	check(!bad && n == (int)full.len - 14,
	      "%s SYN of %u bytes cut at each of %d byte boundaries (%s): never XDP_TX, XDP_PASS counted by reason",
	      layout_name(&l), full.len, n,
	      fixed ? "IP length fixed to the cut" : "IP length as sent");
}

/* A SYN with the TCP data offset rewritten (checksum made right again). */
static void test_doff(int family, int doff)
{
	struct syn_case c = full_opts_case(family);
	struct frame f;
	struct run r;
	char name[96];
	int l4;

	syn_build(&f, &c);
	l4 = 14 + (family == 4 ? 20 : 40);
	f.b[l4 + 12] = (uint8_t)(doff << 4);
	put16(f.b + l4 + 16, 0);
	put16(f.b + l4 + 16,
	      csum_fold(csum_add(csum_pseudo(family, c.fl.saddr, c.fl.daddr, f.len - (uint32_t)l4),
				 f.b + l4, f.len - (uint32_t)l4)));
	xdp_run(&f, &r);
	snprintf(name, sizeof(name), "IPv%d: doff=%d -> XDP_PASS, parse_tcp_doff", family, doff);
	check_run(&r, XDP_PASS, C(parse_tcp_doff), name);
}

/* A SYN with raw option bytes; expect verdict and counter cnt. */
static void test_raw_options(int family, const uint8_t *opt, int optlen, int verdict, int cnt,
			     const char *what)
{
	struct flow fl = flow_client(family, T.next_flow++, PORT);
	struct seg s = { .seq = 12345, .flags = TH_SYN, .opt = opt, .optlen = optlen };
	struct frame f;
	struct run r;
	char name[128];

	frame_build(&f, &fl, &s);
	xdp_run(&f, &r);
	snprintf(name, sizeof(name), "IPv%d: %s -> %s, %s", family, what, verdict_name(verdict),
		 sg_counter_names[cnt]);
	check_run(&r, verdict, C(syn_received) | (sg_cmask)1 << cnt, name);
}

static void test_malformed(int family)
{
	static const struct {
		uint8_t opt[8];
		int len, verdict, cnt;
		const char *what;
	} raw[] = {
		{ { 1, 1, 2, 4 },
		  4,
		  XDP_DROP,
		  SG_CNT_parse_tcp_options,
		  "MSS option overrunning the header" },
		{ { 1, 1, 8, 10, 0, 0, 0, 1 },
		  8,
		  XDP_DROP,
		  SG_CNT_parse_tcp_options,
		  "timestamp option overrunning the header" },
		{ { 3, 0, 1, 1 }, 4, XDP_DROP, SG_CNT_parse_tcp_options, "option length 0" },
		{ { 4, 1, 1, 1 }, 4, XDP_DROP, SG_CNT_parse_tcp_options, "option length 1" },
		{ { 30, 4, 0xaa, 0xbb },
		  4,
		  XDP_TX,
		  SG_CNT_syn_cookies_sent,
		  "unknown option kind skipped" },
		{ { 0, 2, 0, 0 }, 4, XDP_TX, SG_CNT_syn_cookies_sent, "bytes after EOL ignored" },
	};

	for (int doff = 0; doff < 5; doff++)
		test_doff(family, doff);
	test_doff(family, 15); /* header longer than the segment */
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		test_raw_options(family, raw[i].opt, raw[i].len, raw[i].verdict, raw[i].cnt,
				 raw[i].what);
}

/* SYN flags that never open a connection. */
static void test_syn_flags(int family)
{
	const uint8_t extra[] = { TH_RST, TH_FIN };

	for (size_t i = 0; i < sizeof(extra); i++) {
		struct flow fl = flow_client(family, T.next_flow++, PORT);
		struct seg s = { .seq = 1, .flags = TH_SYN | extra[i] };
		struct frame f;
		struct run r;
		char name[96];

		frame_build(&f, &fl, &s);
		xdp_run(&f, &r);
		snprintf(name, sizeof(name), "IPv%d: SYN+%s -> XDP_DROP, drop_syn_flags", family,
			 extra[i] == TH_RST ? "RST" : "FIN");
		check_run(&r, XDP_DROP, C(syn_received) | C(drop_syn_flags), name);
	}
}

/* Fragments are never read as TCP, and no cookie answers one (cookie mode
 * drops a fragmented SYN); an atomic IPv6 fragment is a SYN. */
static void test_fragments(void)
{
	struct syn_case c = full_opts_case(4);
	struct frame f;
	struct parsed sa;
	struct run r;

	syn_build(&f, &c);
	frame_ip4_set_frag(&f, 0x2000); /* MF, first fragment */
	xdp_run(&f, &r);
	check_run(&r, XDP_DROP, C(syn_received) | C(drop_frag_syn),
		  "IPv4: first fragment (MF) of a SYN -> XDP_DROP, drop_frag_syn");

	c = full_opts_case(4);
	syn_build(&f, &c);
	frame_ip4_set_frag(&f, 0x0000); /* no DF: still a SYN */
	xdp_run(&f, &r);
	check(!synack_wrong(&c, &f, &r, 0, &sa), "IPv4: SYN without DF answered");

	c = full_opts_case(6);
	syn_build(&f, &c);
	frame_ip6_add_frag(&f, 1, 7); /* offset 0, M set */
	xdp_run(&f, &r);
	check_run(&r, XDP_DROP, C(syn_received) | C(drop_frag_syn),
		  "IPv6: first fragment (M) of a SYN -> XDP_DROP, drop_frag_syn");

	c = full_opts_case(6);
	syn_build(&f, &c);
	frame_ip6_add_frag(&f, 0, 7); /* atomic fragment: the whole SYN */
	xdp_run(&f, &r);
	if (synack_wrong(&c, &f, &r, 0, &sa))
		diag("%s", synack_wrong(&c, &f, &r, 0, &sa));
	check(!synack_wrong(&c, &f, &r, 0, &sa),
	      "IPv6: SYN behind an atomic fragment header answered");
}

/* ---- cookie mode off ------------------------------------------------------- */
static void test_mode_off(void)
{
	struct syn_case before = full_opts_case(4), c;
	struct parsed sa;
	struct frame f;
	struct run r;

	if (!synack_for(&before, &sa)) {
		check(false, "SYN-ACK before mode=off");
		return;
	}
	sg_config_set(&T.cfg, "mode=off", PERIOD_NS);
	config_apply();
	for (int family = 4; family <= 6; family += 2) {
		char name[96];

		c = full_opts_case(family);
		syn_build(&f, &c);
		xdp_run(&f, &r);
		snprintf(name, sizeof(name), "IPv%d: cookie mode off: SYN -> XDP_PASS, syn_passed",
			 family);
		/* the kernel answers it statefully, the tracker follows */
		check_run(&r, XDP_PASS, C(syn_received) | C(syn_passed) | C(ct_created), name);
	}
	/* Linux stops parsing at a broken option and accepts the SYN: with
	 * cookies off, the listener decides, the reason is still counted */
	{
		static const uint8_t len0[] = { 3, 0, 1, 1 };
		struct flow fl = flow_client(4, T.next_flow++, PORT);
		struct seg s = { .seq = 7, .flags = TH_SYN, .opt = len0, .optlen = sizeof(len0) };

		frame_build(&f, &fl, &s);
		xdp_run(&f, &r);
		check_run(
			&r, XDP_PASS,
			C(syn_received) | C(syn_passed) | C(parse_tcp_options) | C(ct_created),
			"cookie mode off: SYN with option length 0 -> XDP_PASS, syn_passed, parse_tcp_options");
	}
	/* a cookie sent just before still opens its connection */
	ack_build(&f, &before, &sa, 0, 0);
	xdp_run(&f, &r);
	check_run(&r, XDP_PASS, C(cookies_accepted),
		  "cookie mode just switched off: earlier cookie still accepted");

	/* two secret periods later no cookie can exist: not checked */
	T.cfg.cookie_check_until_ns = 0;
	config_apply();
	c = full_opts_case(4);
	ack_build(&f, &c, &sa, 0, 0);
	xdp_run(&f, &r);
	check_run(&r, XDP_PASS, C(ack_unchecked),
		  "cookie window over: unknown ACK -> XDP_PASS, ack_unchecked");

	sg_config_set(&T.cfg, "mode=on", PERIOD_NS);
	config_apply();
}

/* f through sg_xdp: its verdict and exactly the counters of mask, checked
 * under the name fmt formats. */
static bool xdp_expect(const struct frame *f, int verdict, sg_cmask mask, const char *fmt, ...)
{
	struct run r;
	char name[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	xdp_run(f, &r);
	return check_run(&r, verdict, mask, name);
}

/* A SYN the kernel got while cookie mode was off, sent again after it went
 * on (the kernel's SYN-ACK was lost): the kernel holds the handshake, so
 * it answers again; a cookie SYN-ACK would get its ACK reset. A new SYN
 * (another ISN) on the tuple still gets a cookie. */
static void test_syn_retransmitted(int family)
{
	struct flow fl = flow_client(family, T.next_flow++, PORT);
	struct seg syn = { .seq = 0x71150000, .flags = TH_SYN };
	struct frame f;

	sg_config_set(&T.cfg, "mode=off", PERIOD_NS);
	config_apply();
	frame_build(&f, &fl, &syn);
	xdp_expect(&f, XDP_PASS, C(syn_received) | C(syn_passed) | C(ct_created),
		   "IPv%d: mode off: SYN -> XDP_PASS, tracked SYN_RCVD", family);
	sg_config_set(&T.cfg, "mode=on", PERIOD_NS);
	config_apply();
	xdp_expect(&f, XDP_PASS, C(syn_received) | C(syn_passed) | C(syn_retrans_kernel),
		   "IPv%d: mode on: the same SYN again -> XDP_PASS, syn_retrans_kernel", family);
	syn.seq += 0x10000;
	frame_build(&f, &fl, &syn);
	xdp_expect(
		&f, XDP_TX, C(syn_received) | C(syn_cookies_sent),
		"IPv%d: mode on: a SYN with another ISN on that tuple -> XDP_TX, syn_cookies_sent",
		family);
}

/* ---- a flow the kernel owns ------------------------------------------------ */

/* addr (network order) and port (host order) as a socket address. */
static socklen_t sockaddr_of(int family, const uint32_t *addr, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 4) {
		struct sockaddr_in *a = (void *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		memcpy(&a->sin_addr, addr, 4);
		return sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		memcpy(&a->sin6_addr, addr, 16);
		return sizeof(*a);
	}
}

/* A TCP connection over lo in our netns between the two ends of fl; the
 * client socket's port goes into fl->sport. Returns the three fds. */
static int kernel_connection(struct flow *fl, int fds[3])
{
	struct sockaddr_storage srv, cli;
	socklen_t len = sockaddr_of(fl->family, fl->daddr, fl->dport, &srv);
	int af = srv.ss_family;

	sockaddr_of(fl->family, fl->saddr, 0, &cli);
	fds[0] = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fds[1] = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fds[2] = -1;
	if (fds[0] < 0 || fds[1] < 0 || bind(fds[0], (struct sockaddr *)&srv, len) ||
	    listen(fds[0], 1) || bind(fds[1], (struct sockaddr *)&cli, len) ||
	    connect(fds[1], (struct sockaddr *)&srv, len))
		return -1;
	fds[2] = accept(fds[0], NULL, NULL);
	if (fds[2] < 0 || getsockname(fds[1], (struct sockaddr *)&cli, &len))
		return -1;
	/* sin_port and sin6_port sit at the same offset */
	fl->sport = ntohs(((struct sockaddr_in *)&cli)->sin_port);
	return 0;
}

/* An ACK whose cookie is wrong, of a connection the kernel established
 * (cookie mode switched on mid-connection): passed, never dropped. The
 * same ACK from a port with no socket is dropped. */
static void test_kernel_owned(struct flow fl)
{
	int family = fl.family;
	struct seg s = { .seq = 1000, .ack = 2000, .flags = TH_ACK };
	struct frame f;
	int fds[3];

	if (kernel_connection(&fl, fds)) {
		diag("IPv%d connection over lo: %s", family, strerror(errno));
		check(false, "IPv%d: kernel connection for the test", family);
	} else {
		frame_build(&f, &fl, &s);
		/* the tracker takes the flow over in the kernel's state */
		xdp_expect(
			&f, XDP_PASS, C(ack_kernel_owned) | C(ct_created),
			"IPv%d: bad cookie on a kernel-established flow -> XDP_PASS, ack_kernel_owned",
			family);
	}
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fl.sport++;
	frame_build(&f, &fl, &s);
	xdp_expect(&f, XDP_DROP, C(cookies_rejected),
		   "IPv%d: same ACK, no socket -> XDP_DROP, cookies_rejected", family);
}

/* This netns's tcp_syncookies (-1: unreadable); sets it to v if v >= 0. */
static int syncookies_sysctl(int v)
{
	const char *path = "/proc/sys/net/ipv4/tcp_syncookies";
	FILE *fp = fopen(path, v < 0 ? "r" : "w");
	int old = -1;

	if (!fp)
		return -1;
	if (v < 0 ? fscanf(fp, "%d", &old) != 1 : fprintf(fp, "%d\n", v) < 0)
		old = -1;
	else if (v >= 0)
		old = v;
	fclose(fp);
	return old;
}

/* The SYN-ACK of fl's flow that the kernel sent (a raw IP packet on lo,
 * as a packet socket sees it): its sequence number, or false by timeout. */
static bool kernel_synack_seen(int ps, const struct flow *fl, uint32_t *seq)
{
	uint8_t b[256];
	ssize_t n;

	while ((n = recv(ps, b, sizeof(b), 0)) > 0) {
		int l4 = (b[0] >> 4) == 4 ? (b[0] & 0xf) * 4 : 40;
		int proto = (b[0] >> 4) == 4 ? b[9] : b[6];

		if ((b[0] >> 4) != fl->family || proto != IPPROTO_TCP || n < l4 + 20 ||
		    get16(b + l4) != fl->dport || get16(b + l4 + 2) != fl->sport ||
		    (b[l4 + 13] & (TH_SYN | TH_ACK)) != (TH_SYN | TH_ACK))
			continue;
		*seq = get32(b + l4 + 4);
		return true;
	}
	return false;
}

/* A raw SYN on fl to a listener with tcp_syncookies=2, which answers with
 * its own cookie and keeps nothing: *synack_seq gets that cookie's ISN. */
static bool kernel_cookie_synack(const struct flow *fl, uint32_t isn, uint32_t *synack_seq)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex("lo") };
	struct timeval tv = { .tv_sec = 5 };
	struct seg syn = { .seq = isn, .flags = TH_SYN };
	struct sockaddr_storage dst;
	socklen_t dlen = sockaddr_of(fl->family, fl->daddr, 0, &dst);
	int af = dst.ss_family, rs, ps;
	struct frame f;
	bool ok = false;

	frame_build(&f, fl, &syn);
	rs = socket(af, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	ps = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (rs >= 0 && ps >= 0 && !bind(ps, (struct sockaddr *)&ll, sizeof(ll)) &&
	    !setsockopt(ps, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) &&
	    sendto(rs, f.b + ETH_HLEN, f.len - ETH_HLEN, 0, (struct sockaddr *)&dst, dlen) ==
		    (ssize_t)(f.len - ETH_HLEN))
		ok = kernel_synack_seen(ps, fl, synack_seq);
	if (rs >= 0)
		close(rs);
	if (ps >= 0)
		close(ps);
	return ok;
}

/* A cookie the kernel made itself (cookie mode was off, its SYN queue
 * overflowed or tcp_syncookies=2), acked once the tracker no longer has
 * the flow: the listener's own check accepts it, so the ACK is passed, not
 * dropped as a bad synguard cookie. A wrong ACK number still is. */
static void test_kernel_cookie(struct flow fl)
{
	struct seg s = { .seq = 0x5eed0001, .flags = TH_ACK | TH_PSH, .paylen = 10 };
	struct sockaddr_storage srv;
	socklen_t len = sockaddr_of(fl.family, fl.daddr, fl.dport, &srv);
	int lfd, old = syncookies_sysctl(-1);
	struct frame f;
	uint32_t sa = 0;

	fl.sport = (uint16_t)(40000 + fl.family);
	lfd = socket(srv.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!check(old >= 0 && syncookies_sysctl(2) == 2 && lfd >= 0 &&
			   !bind(lfd, (struct sockaddr *)&srv, len) && !listen(lfd, 8) &&
			   kernel_cookie_synack(&fl, s.seq - 1, &sa),
		   "IPv%d: the listener answers a raw SYN with its own cookie (tcp_syncookies=2)",
		   fl.family))
		goto out;
	s.ack = sa + 1;
	frame_build(&f, &fl, &s);
	xdp_expect(
		&f, XDP_PASS, C(ack_kernel_cookie) | C(ct_created),
		"IPv%d: ACK of the kernel's own cookie, flow untracked -> XDP_PASS, ack_kernel_cookie",
		fl.family);
	untrack(&fl);
	/* (its low bits hold the MSS index, which it does not authenticate:
	 * alter a hash bit) */
	s.ack = sa + 1 + 0x10000;
	frame_build(&f, &fl, &s);
	xdp_expect(
		&f, XDP_DROP, C(cookies_rejected),
		"IPv%d: ACK with a hash bit of the kernel's cookie altered -> XDP_DROP, cookies_rejected",
		fl.family);
out:
	if (lfd >= 0)
		close(lfd);
	if (old >= 0)
		syncookies_sysctl(old);
}

/* An IPv6 address's local route is made by the kernel's address work
 * after `ip addr add` returned: wait until a route to addr exists (a UDP
 * connect is a route lookup), at most 2 s. */
static bool route6_ready(const void *addr)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	bool ready = false;

	memcpy(&sa.sin6_addr, addr, 16);
	for (int i = 0; i < 200 && !ready; i++) {
		int fd = socket(AF_INET6, SOCK_DGRAM, 0);

		ready = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (fd >= 0)
			close(fd);
		if (!ready)
			usleep(10000);
	}
	return ready;
}

static void test_kernel_owned_flows(void)
{
	struct flow f4 = flow_client(4, T.next_flow++, PORT);
	struct flow f6 = flow_client(6, T.next_flow++, PORT);
	char cmd[512], a[4][INET6_ADDRSTRLEN];

	if (!T.own_netns) {
		printf("skip - kernel-owned flows (no private netns to add addresses in)\n");
		return;
	}
	inet_ntop(AF_INET, f4.saddr, a[0], sizeof(a[0]));
	inet_ntop(AF_INET, f4.daddr, a[1], sizeof(a[1]));
	inet_ntop(AF_INET6, f6.saddr, a[2], sizeof(a[2]));
	inet_ntop(AF_INET6, f6.daddr, a[3], sizeof(a[3]));
	/* lo of our private netns: it vanishes with this process */
	snprintf(cmd, sizeof(cmd),
		 "ip link set lo up && ip addr add %s/32 dev lo && ip addr add %s/32 dev lo && "
		 "ip addr add %s/128 dev lo nodad && ip addr add %s/128 dev lo nodad",
		 a[0], a[1], a[2], a[3]);
	if (!check(system(cmd) == 0 && route6_ready(f6.saddr) && route6_ready(f6.daddr),
		   "lab addresses on lo of the test's own netns, routable"))
		return;
	test_kernel_owned(f4);
	test_kernel_owned(f6);
	test_kernel_cookie(f4);
	test_kernel_cookie(f6);
}

/* Per-port counters of the protected port add up to the global ones. */
static void test_port_counters(void)
{
	static __u64 pc[SG_PORT_SLOTS][SG_PCNT_MAX];
	__u64 g[SG_CNT_MAX];

	if (sg_counters_read(T.cnt_fd, g) || sg_pcounters_read(T.pcnt_fd, pc)) {
		check(false, "read counters");
		return;
	}
	diag("syn_cookies_sent %llu, cookies_accepted %llu, cookies_rejected %llu",
	     (unsigned long long)g[SG_CNT_syn_cookies_sent],
	     (unsigned long long)g[SG_CNT_cookies_accepted],
	     (unsigned long long)g[SG_CNT_cookies_rejected]);
	check(pc[1][SG_PCNT_syn_cookies_sent] == g[SG_CNT_syn_cookies_sent] &&
		      pc[1][SG_PCNT_cookies_accepted] == g[SG_CNT_cookies_accepted] &&
		      pc[1][SG_PCNT_cookies_rejected] == g[SG_CNT_cookies_rejected] &&
		      pc[1][SG_PCNT_syn_passed] == g[SG_CNT_syn_passed],
	      "port %d's counters equal the global ones", PORT);
}

int main(void)
{
	if (!check(!setup("mode=on"), "load sg_xdp and configure it as synguardd does"))
		return 1;
	test_small_syn();
	test_all_layouts();
	test_payload(4);
	test_payload(6);
	test_seq_wrap(4);
	test_seq_wrap(6);
	test_sysctls_off();
	test_wrong_cookies();
	test_rotation(4);
	test_rotation(6);
	test_lifetime(4);
	test_lifetime(6);
	test_checksums(4);
	test_checksums(6);
	for (int fixed = 0; fixed < 2; fixed++) {
		test_truncation((struct layout){ 4, 0, 0 }, fixed);
		test_truncation((struct layout){ 4, 2, 8 }, fixed);
		test_truncation((struct layout){ 6, 0, 0 }, fixed);
		test_truncation((struct layout){ 6, 2, 2 }, fixed);
	}
	test_malformed(4);
	test_malformed(6);
	test_syn_flags(4);
	test_syn_flags(6);
	test_fragments();
	test_kernel_owned_flows();
	test_mode_off();
	test_syn_retransmitted(4);
	test_syn_retransmitted(6);
	test_port_counters();
	munmap(T.secrets, T.secrets_len);
	synguard_bpf__destroy(T.skel);
	return tap_failed ? 1 : 0;
}
