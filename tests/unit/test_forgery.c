// SPDX-License-Identifier: GPL-2.0
/* Cookie forgery through BPF_PROG_TEST_RUN: millions of random ACKs aimed
 * at tuples that really were sent cookies. Each ACK's fate is predicted
 * with an independent, textbook SipHash-2-4 over the cookie's message bytes
 * and both live secrets, and the kernel must agree ACK by ACK; the count of
 * accepted ones must fit the false-accept probability the hash bits give:
 *
 *   without timestamps: 24 hash bits in the ISN, 2 secrets: p = 2 * 2^-24
 *   with timestamps:    8 more in the TSecr:              p = 2 * 2^-32
 *
 * (the 8 option bits come from the ACK itself, so they never fail). Then
 * the per-source budget on failed checks: with it on, a source's failures
 * past burst + rate * time are over budget; every ACK is still checked (a
 * spoofed stream must not lock its victim out), but from then on a cookie
 * counts only with the timestamp's 8 more bits: a source guesses with
 * p = 2^-23 only burst + rate * time times, past that with p = 2^-31 (a
 * valid cookie without timestamps is refused, counted, and handed to the
 * kernel, which resets it). Prefixes share a bucket. A source whose budget
 * is spent to less than half gets no cookies: its SYNs go to the kernel's
 * own handshake, so spoofed ACKs in its name cost it no connection.
 *
 * Every run is repeat = 1, a fresh ACK each time. SG_FORGERY_N sets the
 * number of ACKs per run (default 10,000,000).
 */
#define _GNU_SOURCE
#include <math.h>
#include <time.h>
#include "harness.h"

#define NTUPLES 16

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* ---- SipHash-2-4, byte by byte as its paper states it -------------------- */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define ROUND                      \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t siphash24(uint64_t k0, uint64_t k1, const uint8_t *m, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
	uint64_t b = (uint64_t)len << 56, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = le64(m + i);
		v3 ^= w;
		ROUND;
		ROUND;
		v0 ^= w;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)m[i + j] << (8 * j);
	v3 ^= b;
	ROUND;
	ROUND;
	v0 ^= b;
	v2 ^= 0xff;
	ROUND;
	ROUND;
	ROUND;
	ROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Would synguard accept this ACK (include/synguard.h cookie layout)? The
 * message: client address, server address, client port, server port (as
 * on the wire), the client's ISN (little-endian), the option byte. */
static bool predict(const struct flow *fl, uint32_t seq, uint32_t ack, bool ts, uint32_t tsecr)
{
	uint32_t cookie = ack - 1, isn = seq - 1;
	uint8_t m[41], optbits = (uint8_t)cookie;
	int alen = fl->family == 4 ? 4 : 16;
	size_t n = 0;

	memcpy(m, fl->saddr, (size_t)alen);
	memcpy(m + alen, fl->daddr, (size_t)alen);
	n = 2 * (size_t)alen;
	put16(m + n, fl->sport);
	put16(m + n + 2, fl->dport);
	n += 4;
	for (int i = 0; i < 4; i++)
		m[n++] = (uint8_t)(isn >> (8 * i));
	m[n++] = optbits;
	for (int s = 0; s < 2; s++) {
		const struct sg_secret *k = &T.secrets->slot[s];
		uint64_t h = siphash24(k->k0, k->k1, m, n);

		if (((((uint32_t)(h >> 32) & 0xffffff) << 8) | optbits) == cookie &&
		    (!ts || (tsecr & 0xff) == (h & 0xff)))
			return true;
	}
	return false;
}

/* ---- the runs ---------------------------------------------------------------- */
struct tuples {
	struct flow fl[NTUPLES];
	struct frame f[NTUPLES];
	uint32_t seq[NTUPLES], ack[NTUPLES], tsecr[NTUPLES]; /* the true ACK */
	int l4;
};

/* NTUPLES clients whose SYNs got cookie SYN-ACKs; f[i] their ACK frames,
 * seq/ack (and TSecr) rewritten per try. */
static bool tuples_make(struct tuples *t, int family, bool ts)
{
	struct tcpopts o = { .wscale = -1, .ts = ts, .tsval = 77, .tsecr = 1 };
	uint8_t opt[40];

	for (int i = 0; i < NTUPLES; i++) {
		struct seg syn = { .seq = (uint32_t)rnd(), .flags = TH_SYN, .opt = opt };
		struct seg ack = { .flags = TH_ACK, .opt = opt };
		struct run r;
		struct frame f;

		t->fl[i] = flow_client(family, T.next_flow++, PORT);
		syn.optlen = opts_build(opt, &(struct tcpopts){ .mss = 1460,
								.wscale = 7,
								.sack_perm = true,
								.ts = ts,
								.tsval = 7 });
		struct parsed sa;

		frame_build(&f, &t->fl[i], &syn);
		xdp_run(&f, &r);
		if (r.verdict != XDP_TX || !frame_parse(r.out, r.len, &sa))
			return false;
		t->seq[i] = syn.seq + 1;
		t->ack[i] = sa.seq + 1;
		t->tsecr[i] = sa.o.tsval;
		ack.optlen = opts_build(opt, &o);
		t->l4 = frame_build(&t->f[i], &t->fl[i], &ack);
	}
	return true;
}

struct tally {
	uint64_t sent, accepted, refused, predicted, disagreements;
	__u64 cnt[SG_CNT_MAX];
	double secs;
};

/* Did the valid cookie of this run go to the kernel refused (over budget,
 * no timestamps) rather than accepted? Asked of the rare predicted ones. */
static bool refused_run(const __u64 *before)
{
	__u64 after[SG_CNT_MAX];

	sg_counters_read(T.cnt_fd, after);
	return after[SG_CNT_cookies_budget_refused] != before[SG_CNT_cookies_budget_refused];
}

/* n random ACKs at the tuples, each run once. */
static void forge(struct tuples *t, bool ts, uint64_t n, struct tally *y)
{
	__u64 before[SG_CNT_MAX], after[SG_CNT_MAX], one[SG_CNT_MAX];
	uint8_t out[FRAME_MAX];
	struct timespec a, b;

	memset(y, 0, sizeof(*y));
	sg_counters_read(T.cnt_fd, before);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint64_t i = 0; i < n; i++) {
		int k = (int)(i % NTUPLES);
		struct frame *f = &t->f[k];
		uint8_t *th = f->b + t->l4;
		uint32_t seq = (uint32_t)rnd(), ack = (uint32_t)rnd();
		uint32_t tsecr = (uint32_t)rnd() | 1; /* 0 means "no echo" */
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
		bool want, refused = false;

		put32(th + 4, seq);
		put32(th + 8, ack);
		if (ts) /* NOP NOP TS(8,10) tsval tsecr */
			put32(th + 20 + 8, tsecr);
		want = predict(&t->fl[k], seq, ack, ts, tsecr);
		if (want)
			sg_counters_read(T.cnt_fd, one);
		if (bpf_prog_test_run_opts(T.prog, &o)) {
			y->disagreements++;
			continue;
		}
		if (want)
			refused = refused_run(one);
		y->sent++;
		y->predicted += want;
		y->refused += refused;
		y->accepted += o.retval == XDP_PASS && !refused;
		if ((o.retval == XDP_PASS) != want) {
			y->disagreements++;
			diag("ACK %llu: kernel %s, predicted %s", (unsigned long long)i,
			     verdict_name((int)o.retval), want ? "accept" : "reject");
		}
		if (o.retval == XDP_PASS && !refused)
			untrack(&t->fl[k]);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	sg_counters_read(T.cnt_fd, after);
	for (int i = 0; i < SG_CNT_MAX; i++)
		y->cnt[i] = after[i] - before[i];
	y->secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* P(X >= k) for X ~ Poisson(mu): how surprising a count is. */
static double poisson_tail(double mu, uint64_t k)
{
	double term = exp(-mu), cdf = 0;

	for (uint64_t i = 0; i < k; i++) {
		cdf += term;
		term *= mu / (double)(i + 1);
	}
	return 1 - cdf;
}

/* The genuine ACK of each tuple: the predictor must accept it, and so
 * must the kernel (so that "predicted 0" below means something). */
static bool genuine_acks_pass(struct tuples *t, bool ts)
{
	int good = 0;

	for (int k = 0; k < NTUPLES; k++) {
		uint8_t *th = t->f[k].b + t->l4;
		struct run r;

		put32(th + 4, t->seq[k]);
		put32(th + 8, t->ack[k]);
		if (ts)
			put32(th + 20 + 8, t->tsecr[k]);
		xdp_run(&t->f[k], &r);
		untrack(&t->fl[k]);
		good += predict(&t->fl[k], t->seq[k], t->ack[k], ts, t->tsecr[k]) &&
			r.verdict == XDP_PASS && r.delta[SG_CNT_cookies_accepted] == 1;
	}
	return good == NTUPLES;
}

static void test_forgery(int family, bool ts, uint64_t n)
{
	double p = ts ? 2.0 / 4294967296.0 : 2.0 / 16777216.0;
	double mu = p * (double)n;
	struct tuples t;
	struct tally y;

	if (!check(tuples_make(&t, family, ts), "IPv%d%s: %d tuples sent cookies", family,
		   ts ? " +TS" : "", NTUPLES))
		return;
	check(genuine_acks_pass(&t, ts),
	      "IPv%d%s: the genuine ACK of each tuple: predicted and accepted", family,
	      ts ? " +TS" : "");
	forge(&t, ts, n, &y);
	diag("IPv%d%s: %llu random ACKs in %.1f s: %llu accepted, %llu predicted, expected %.4f (p = %s)",
	     family, ts ? " +TS" : "", (unsigned long long)y.sent, y.secs,
	     (unsigned long long)y.accepted, (unsigned long long)y.predicted, mu,
	     ts ? "2^-31" : "2^-23");
	check(y.sent == n && !y.disagreements,
	      "IPv%d%s: kernel and independent SipHash agree on each of %llu forged ACKs", family,
	      ts ? " +TS" : "", (unsigned long long)n);
	check(y.cnt[SG_CNT_cookies_accepted] == y.accepted &&
		      y.cnt[SG_CNT_cookies_rejected] == y.sent - y.accepted,
	      "IPv%d%s: counters: cookies_accepted %llu, cookies_rejected %llu", family,
	      ts ? " +TS" : "", (unsigned long long)y.cnt[SG_CNT_cookies_accepted],
	      (unsigned long long)y.cnt[SG_CNT_cookies_rejected]);
	/* a count this high or higher has less than a 1e-4 chance */
	check(poisson_tail(mu, y.accepted) > 1e-4,
	      "IPv%d%s: %llu accepted fits p = %s over %llu tries (P(X >= %llu) = %.3g)", family,
	      ts ? " +TS" : "", (unsigned long long)y.accepted, ts ? "2^-31" : "2^-23",
	      (unsigned long long)n, (unsigned long long)y.accepted, poisson_tail(mu, y.accepted));
}

static void budget_set(__u64 interval_ns, __u32 burst, __u8 p4, __u8 p6)
{
	T.cfg.budget[SG_BUDGET_cookie] = (struct sg_budget_cfg){
		.interval_ns = interval_ns, .burst = burst, .prefix4 = p4, .prefix6 = p6
	};
	config_apply();
}

/* The same attack from one source with the default budget on, with and
 * without timestamps. */
static void test_budget_attack(bool ts, uint64_t n)
{
	const char *tag = ts ? "budget +TS" : "budget";
	struct sg_config saved = T.cfg;
	struct sg_sysctls sy = {};
	struct tuples t;
	struct tally y;
	const struct sg_budget_cfg *b;
	uint64_t failed, allowed, over, refused;
	double mu;

	sg_read_sysctls(&sy);
	sg_config_defaults(&T.cfg, &sy);
	config_apply();
	b = &T.cfg.budget[SG_BUDGET_cookie];
	if (!check(tuples_make(&t, 4, ts), "%s: tuples sent cookies", tag))
		return;
	for (int i = 1; i < NTUPLES; i++) { /* one source, many ports */
		t.fl[i] = t.fl[0];
		t.fl[i].sport = (uint16_t)(t.fl[0].sport + i);
		t.f[i] = t.f[0];
		put16(t.f[i].b + t.l4, t.fl[i].sport);
	}
	forge(&t, ts, n, &y);
	failed = y.cnt[SG_CNT_cookies_rejected];
	over = y.cnt[SG_CNT_cookies_over_budget];
	refused = y.cnt[SG_CNT_cookies_budget_refused];
	check(refused == y.refused,
	      "%s: the valid cookies the kernel was handed refused: %llu, counted cookies_budget_refused %llu",
	      tag, (unsigned long long)y.refused, (unsigned long long)refused);
	allowed = b->burst + (uint64_t)(y.secs * 1e9 / (double)b->interval_ns) + 1;
	/* within budget 2^-23 a try; past it 2^-31, or nothing without TS */
	mu = (double)failed * 2.0 / 16777216.0 + (ts ? (double)over * 2.0 / 4294967296.0 : 0);
	diag("%s on (%llu/s, burst %u per /32): %llu ACKs from one source in %.1f s: "
	     "%llu failed within budget, %llu over budget, %llu accepted, %llu refused (expected accepted %.6f)",
	     tag, (unsigned long long)(SG_NSEC_PER_SEC / b->interval_ns), b->burst,
	     (unsigned long long)y.sent, y.secs, (unsigned long long)failed,
	     (unsigned long long)over, (unsigned long long)y.accepted, (unsigned long long)refused,
	     mu);
	check(failed <= allowed && failed >= b->burst &&
		      failed + over + y.accepted + refused == y.sent,
	      "%s: one source failed %llu cookie checks of %llu ACKs within budget (burst %u + rate x time <= %llu), the rest counted cookies_over_budget",
	      tag, (unsigned long long)failed, (unsigned long long)y.sent, b->burst,
	      (unsigned long long)allowed);
	/* every valid cookie the predictor saw: accepted, or (no TS, over
	 * budget) refused and counted */
	check(y.accepted == y.cnt[SG_CNT_cookies_accepted] && y.predicted == y.accepted + refused &&
		      (!ts || !refused),
	      "%s: every valid cookie accepted or counted cookies_budget_refused (%llu predicted, %llu accepted, %llu refused)",
	      tag, (unsigned long long)y.predicted, (unsigned long long)y.accepted,
	      (unsigned long long)refused);
	check(poisson_tail(mu, y.accepted) > 1e-4,
	      "%s: %llu forged ACKs accepted fits the bound (expected %.6f, P(X >= %llu) = %.3g)",
	      tag, (unsigned long long)y.accepted, mu, (unsigned long long)y.accepted,
	      poisson_tail(mu, y.accepted));
	if (ts)
		diag("%s: past the budget one success takes 2^31 ACKs: %.0f s at 10 Mpps", tag,
		     2147483648.0 / 1e7);
	else
		diag("%s: one success takes 2^23 checks: %.1f days per source at %llu/s", tag,
		     8388608.0 / (double)(SG_NSEC_PER_SEC / b->interval_ns) / 86400,
		     (unsigned long long)(SG_NSEC_PER_SEC / b->interval_ns));
	T.cfg = saved;
	config_apply();
}

/* One bad ACK from fl; returns the counter it moved (or -1). */
static int bad_ack_from(const struct flow *fl)
{
	struct seg s = { .seq = 1000, .ack = 0x12345678, .flags = TH_ACK };
	struct frame f;
	struct run r;

	frame_build(&f, fl, &s);
	xdp_run(&f, &r);
	for (int i = 0; i < SG_CNT_MAX; i++)
		if (r.delta[i])
			return i;
	return -1;
}

static struct flow flow_at(int family, uint32_t a0, uint32_t a1, uint32_t a3)
{
	struct flow fl = flow_client(family, T.next_flow++, PORT);

	fl.saddr[0] = htonl(a0);
	if (family == 6) {
		fl.saddr[1] = htonl(a1);
		fl.saddr[3] = htonl(a3);
	}
	return fl;
}

/* Buckets are per prefix, per family; an empty one refills with time. */
static void test_budget_prefixes(void)
{
	struct flow a, b, c;

	budget_set(1000000000000ull, 2, 24, 64);
	a = flow_at(4, 0xc6130a01, 0, 0);
	b = flow_at(4, 0xc6130afe, 0, 0); /* same /24 */
	c = flow_at(4, 0xc6130b01, 0, 0); /* next /24 */
	check(bad_ack_from(&a) == SG_CNT_cookies_rejected &&
		      bad_ack_from(&b) == SG_CNT_cookies_rejected &&
		      bad_ack_from(&a) == SG_CNT_cookies_over_budget &&
		      bad_ack_from(&b) == SG_CNT_cookies_over_budget &&
		      bad_ack_from(&c) == SG_CNT_cookies_rejected,
	      "budget: IPv4 /24 sources share one bucket (burst 2), the next /24 has its own");

	a = flow_at(6, 0x20010db8, 0x00070001, 1);
	b = flow_at(6, 0x20010db8, 0x00070001, 0xffff); /* same /64 */
	c = flow_at(6, 0x20010db8, 0x00070002, 1);      /* next /64 */
	check(bad_ack_from(&a) == SG_CNT_cookies_rejected &&
		      bad_ack_from(&b) == SG_CNT_cookies_rejected &&
		      bad_ack_from(&b) == SG_CNT_cookies_over_budget &&
		      bad_ack_from(&c) == SG_CNT_cookies_rejected,
	      "budget: IPv6 /64 sources share one bucket, the next /64 has its own");

	budget_set(1000000, 1, 32, 128); /* one token per millisecond */
	a = flow_at(4, 0xc6130c01, 0, 0);
	check(bad_ack_from(&a) == SG_CNT_cookies_rejected &&
		      bad_ack_from(&a) == SG_CNT_cookies_over_budget,
	      "budget: burst 1: the second failure is over budget");
	usleep(20000);
	check(bad_ack_from(&a) == SG_CNT_cookies_rejected,
	      "budget: after 20 ms at 1 token/ms the source is checked again");

	budget_set(0, 0, 0, 0);
	a = flow_at(4, 0xc6130d01, 0, 0);
	for (int i = 0; i < 1000; i++)
		if (bad_ack_from(&a) != SG_CNT_cookies_rejected)
			break;
	check(bad_ack_from(&a) == SG_CNT_cookies_rejected,
	      "budget: rate 0 = unlimited: 1000 failures, still checked");
}

/* Spoofed garbage ACKs spend a victim's budget: its genuine cookie ACK
 * with timestamps still opens its connection; without them it is refused,
 * counted (cookies_budget_refused) and handed to the kernel (which resets
 * it: a prompt error, not a hang). Meanwhile the victim's SYNs go to the
 * kernel's handshake (syn_cookie_budget), another source's get cookies;
 * with half its burst back, the victim gets cookies again. */
static void test_budget_lockout(bool ts)
{
	const char *tag = ts ? " +TS" : "";
	struct seg syn = { .seq = 99, .flags = TH_SYN };
	struct tuples t;
	struct frame f;
	struct run r;
	uint8_t *th;
	int i;

	/* burst 2, a token each 200 ms: all that follows, up to the wait
	 * below, runs well within 200 ms of the second failure */
	budget_set(200000000, 2, 32, 128);
	if (!check(tuples_make(&t, 4, ts), "lockout%s: tuples sent cookies", tag))
		return;
	for (i = 0; i < 3; i++) /* 2 failures, then over budget */
		bad_ack_from(&t.fl[0]);
	check(bad_ack_from(&t.fl[0]) == SG_CNT_cookies_over_budget,
	      "lockout%s: spoofed bad ACKs put the source over budget", tag);
	th = t.f[0].b + t.l4;
	put32(th + 4, t.seq[0]);
	put32(th + 8, t.ack[0]);
	if (ts)
		put32(th + 20 + 8, t.tsecr[0]);
	xdp_run(&t.f[0], &r);
	untrack(&t.fl[0]);
	if (ts)
		check_run(
			&r, XDP_PASS, C(cookies_accepted),
			"lockout +TS: the victim's genuine ACK, over budget -> XDP_PASS, cookies_accepted");
	else
		check(decided(&r, XDP_PASS, C(cookies_budget_refused)) && !r.meta_len,
		      "lockout: the victim's genuine ACK without TS, over budget -> XDP_PASS without attributes, cookies_budget_refused");
	if (ts)
		return budget_set(0, 0, 0, 0);
	frame_build(&f, &t.fl[0], &syn);
	xdp_run(&f, &r);
	untrack(&t.fl[0]);
	check_run(&r, XDP_PASS,
		  C(syn_received) | C(syn_cookie_budget) | C(syn_passed) | C(ct_created),
		  "lockout: the victim's next SYN -> XDP_PASS to the kernel, syn_cookie_budget");
	frame_build(&f, &t.fl[1], &syn);
	xdp_run(&f, &r);
	check_run(&r, XDP_TX, C(syn_received) | C(syn_cookies_sent),
		  "lockout: another source's SYN meanwhile -> XDP_TX, a cookie");
	usleep(250000);  /* one token back: half the burst */
	t.fl[0].sport++; /* not the tuple the kernel holds a handshake of */
	frame_build(&f, &t.fl[0], &syn);
	xdp_run(&f, &r);
	check_run(&r, XDP_TX, C(syn_received) | C(syn_cookies_sent),
		  "lockout: the victim's SYN once half its budget is back -> XDP_TX, a cookie");
	budget_set(0, 0, 0, 0);
}

/* Bad ACKs dripped at the refill rate keep a source's bucket low without
 * ever finding it empty. The failure that takes it under half its burst
 * opens the SYN path's gate, so the source's next SYN goes to the
 * kernel's handshake rather than to a cookie whose ACK a spoofer could
 * get refused. */
static void test_budget_drip(void)
{
	struct seg syn = { .seq = 77, .flags = TH_SYN };
	struct flow a = flow_at(4, 0xc6131001, 0, 0), other = flow_at(4, 0xc6131101, 0, 0);
	__u64 closed = 0;
	__u32 zero = 0;
	struct frame f;
	struct run r;
	int rejected = 0;

	/* burst 4, no token back within the test; no source marked low */
	budget_set(1000000000000ull, 4, 32, 128);
	bpf_map_update_elem(bpf_map__fd(T.skel->maps.sg_cookie_spent), &zero, &closed, 0);
	for (int i = 0; i < 3; i++)
		rejected += bad_ack_from(&a) == SG_CNT_cookies_rejected;
	check(rejected == 3,
	      "drip: 3 bad ACKs against a burst of 4: each checked and rejected (%d), "
	      "none over budget",
	      rejected);
	frame_build(&f, &a, &syn);
	xdp_run(&f, &r);
	untrack(&a);
	check_run(&r, XDP_PASS,
		  C(syn_received) | C(syn_cookie_budget) | C(syn_passed) | C(ct_created),
		  "drip: the source under half its burst, never empty -> its SYN to the "
		  "kernel's handshake, syn_cookie_budget");
	frame_build(&f, &other, &syn);
	xdp_run(&f, &r);
	check_run(&r, XDP_TX, C(syn_received) | C(syn_cookies_sent),
		  "drip: another source's SYN meanwhile -> XDP_TX, a cookie");
	budget_set(0, 0, 0, 0);
}

/* A cookie stays valid one rotation, not two. */
static void test_replay_after_two_rotations(void)
{
	struct flow fl = flow_client(4, T.next_flow++, PORT);
	struct seg syn = { .seq = 4242, .flags = TH_SYN }, ack = { .seq = 4243, .flags = TH_ACK };
	struct frame f;
	struct parsed sa;
	struct run r;

	budget_set(0, 0, 0, 0);
	frame_build(&f, &fl, &syn);
	xdp_run(&f, &r);
	if (!check(r.verdict == XDP_TX && frame_parse(r.out, r.len, &sa),
		   "replay: SYN answered with a cookie"))
		return;
	ack.ack = sa.seq + 1;
	frame_build(&f, &fl, &ack);
	sg_secrets_rotate(T.secrets);
	xdp_run(&f, &r);
	untrack(&fl);
	check_run(&r, XDP_PASS, C(cookies_accepted),
		  "replay: the valid ACK after one rotation -> XDP_PASS, cookies_accepted");
	sg_secrets_rotate(T.secrets);
	xdp_run(&f, &r);
	check_run(&r, XDP_DROP, C(cookies_rejected),
		  "replay: the same ACK after two rotations -> XDP_DROP, cookies_rejected");
}

int main(void)
{
	const char *e = getenv("SG_FORGERY_N");
	uint64_t n = e ? strtoull(e, NULL, 10) : 10000000;

	if (setup("mode=on")) {
		printf("not ok - forgery: load and configure synguard\n");
		return 1;
	}
	budget_set(0, 0, 0, 0); /* the bare cookie first */
	test_forgery(4, false, n);
	test_forgery(4, true, n);
	test_forgery(6, false, n / 10);
	test_budget_attack(false, n / 10);
	test_budget_attack(true, n / 10);
	test_budget_prefixes();
	test_budget_lockout(false);
	test_budget_lockout(true);
	test_budget_drip();
	test_replay_after_two_rotations();
	return tap_failed ? 1 : 0;
}
