// SPDX-License-Identifier: GPL-2.0
/* Policy and visibility on the data path, through BPF_PROG_TEST_RUN: the
 * per-source SYN budget behind the sketch's gate (exact past it, nothing in
 * the LRU below it, no burst regained by eviction), prefix aggregation,
 * the allow and deny lists (IPv4, IPv6, longest prefix, the filter), the
 * learned allowlist (from a cookie handshake and from an ESTABLISHED
 * connection, flushed), the SYN-ACK caps (global and per destination),
 * shadow mode (every verdict a pass, the would-be decisions counted, the
 * packet untouched), decision sampling (nothing without a lease, the
 * fields with one, the rate), and the heavy hitters.
 */
#define _GNU_SOURCE
#include <time.h>
#include <bpf/libbpf.h>
#include "harness.h"

#define FAR (1ull << 40) /* an interval no test outlives: no refill */

static int budget_fd, learned_fd, hitters_fd, policy_fd, policy_bits_fd;
static struct ring_buffer *rb;
static struct sg_event evs[64];
static int nevs;

/* ---- frames ------------------------------------------------------------------ */
static struct flow flow4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t sport)
{
	struct flow fl = { .family = 4, .sport = sport, .dport = PORT };

	fl.saddr[0] = htonl((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d);
	fl.daddr[0] = htonl(0xc6130001u); /* 198.19.0.1 */
	return fl;
}

/* 2001:db8:<n>::<host> -> 2001:db8:1::1 */
static struct flow flow6(uint16_t net, uint32_t host, uint16_t sport)
{
	struct flow fl = { .family = 6, .sport = sport, .dport = PORT };

	fl.saddr[0] = htonl(0x20010db8);
	fl.saddr[1] = htonl((uint32_t)net << 16);
	fl.saddr[3] = htonl(host);
	fl.daddr[0] = htonl(0x20010db8);
	fl.daddr[1] = htonl(1u << 16);
	fl.daddr[3] = htonl(1);
	return fl;
}

static uint32_t seqno = 0x10000000;

/* A SYN of fl with Linux's options (no timestamps: a bare cookie ACK). */
static struct frame syn_of(const struct flow *fl)
{
	struct tcpopts t = { .mss = 1460, .wscale = 7, .sack_perm = true };
	uint8_t o[40];
	struct seg s = { .seq = seqno += 0x10001, .flags = TH_SYN, .opt = o };
	struct frame f;

	s.optlen = opts_build(o, &t);
	frame_build(&f, fl, &s);
	return f;
}

static struct frame seg_of(const struct flow *fl, uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct seg s = { .seq = seq, .ack = ack, .flags = flags };
	struct frame f;

	frame_build(&f, fl, &s);
	return f;
}

static void syn_run(const struct flow *fl, struct run *r)
{
	struct frame f = syn_of(fl);

	xdp_run(&f, r);
}

static void would_read(__u64 *w)
{
	sg_counters_read_bank(T.cnt_fd, SG_BANK_WOULD, w);
}

static __u64 coarse_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

/* An empty sketch, and at least 0.6 s of its window ahead: a test's SYNs
 * all fall in one window. */
static void sketch_fresh(void)
{
	const __u64 w = 1ull << SG_SKETCH_EPOCH_SHIFT;
	int ncpu = libbpf_num_possible_cpus();
	void *zero = calloc((size_t)ncpu, sizeof(struct sg_sketch_row));

	while (w - (coarse_now() & (w - 1)) < 600000000ull)
		usleep(10000);
	for (__u32 r = 0; r < SG_SKETCH_ROWS; r++)
		if (bpf_map_update_elem(bpf_map__fd(T.skel->maps.sg_sketch), &r, zero, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(T.skel->maps.sg_sketch_syns), &r, zero,
					BPF_ANY))
			diag("cannot clear the sketch: %s", strerror(errno));
	free(zero);
}

static void cfg_fresh(const char *mode)
{
	static struct sg_config base;
	static bool have;

	if (!have) {
		base = T.cfg;
		have = true;
	}
	T.cfg = base;
	if (sg_config_set(&T.cfg, mode, PERIOD_NS))
		diag("cannot set %s", mode);
	config_apply();
	sketch_fresh();
}

static void map_clear(int fd)
{
	uint8_t key[64];

	while (!bpf_map_get_next_key(fd, NULL, key))
		bpf_map_delete_elem(fd, key);
}

static unsigned map_count(int fd)
{
	uint8_t key[64], next[64];
	unsigned n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

static void budget_on(__u32 kind, __u64 interval, __u32 burst, __u8 p4, __u8 p6)
{
	T.cfg.budget[kind].interval_ns = interval;
	T.cfg.budget[kind].burst = burst;
	T.cfg.budget[kind].prefix4 = p4;
	T.cfg.budget[kind].prefix6 = p6;
	config_apply();
}

/* ---- the SYN budget ------------------------------------------------------------- */
static bool handshake(struct flow fl, struct run *r);

/* A source over its SYN budget gets cookies, not the kernel's handshake,
 * in every mode: SYNs carry no proof of their source, so a spoofer that
 * spends a client's budget must not cost it its connections. */
static void test_syn_budget(void)
{
	struct flow a = flow4(198, 18, 5, 1, 2000), b = flow4(198, 18, 6, 1, 2000);
	struct run r;
	int passed = 0, limited = 0;

	cfg_fresh("mode=off");
	map_clear(budget_fd);
	/* 10/s: the gate is the burst */
	budget_on(SG_BUDGET_syn, 100000000, 3, 32, 64);
	for (int i = 0; i < 6; i++) {
		a.sport++;
		syn_run(&a, &r);
		passed += r.verdict == XDP_PASS && r.delta[SG_CNT_syn_passed] == 1;
		limited += r.verdict == XDP_TX && r.delta[SG_CNT_syn_ratelimited] == 1 &&
			   r.delta[SG_CNT_syn_cookies_sent] == 1;
	}
	check(passed == 3 && limited == 3,
	      "syn budget: burst 3, cookie mode off: a source's first 3 SYNs pass, the next 3 get cookies (%d passed, %d syn_ratelimited)",
	      passed, limited);
	a.sport++;
	check(handshake(a, &r),
	      "syn budget: cookie mode off, the ACK of an over-budget SYN's cookie is checked and accepted");
	syn_run(&b, &r);
	check_run(&r, XDP_PASS, C(syn_received) | C(syn_passed) | C(ct_created),
		  "syn budget: another /32 passes meanwhile");
	check(map_count(budget_fd) == 1,
	      "syn budget: one exact bucket, for the source past its gate (%u)",
	      map_count(budget_fd));

	/* prefixes: a /24 and a /64 are one source each */
	sketch_fresh();
	map_clear(budget_fd);
	budget_on(SG_BUDGET_syn, FAR, 2, 24, 64);
	passed = limited = 0;
	for (int i = 1; i <= 4; i++) {
		struct flow x = flow4(198, 18, 7, (uint8_t)i, 3000);

		syn_run(&x, &r);
		passed += r.verdict == XDP_PASS;
		limited += r.delta[SG_CNT_syn_ratelimited];
	}
	check(passed == 2 && limited == 2,
	      "syn budget: prefix4=24: four addresses of one /24 share a burst of 2 (%d passed)",
	      passed);
	passed = limited = 0;
	for (int i = 1; i <= 4; i++) {
		struct flow x = flow6(7, (uint32_t)i * 7919, 3000);

		syn_run(&x, &r);
		passed += r.verdict == XDP_PASS;
		limited += r.delta[SG_CNT_syn_ratelimited];
	}
	{
		struct flow y = flow6(8, 1, 3000);

		syn_run(&y, &r);
	}
	check(passed == 2 && limited == 2 && r.verdict == XDP_PASS,
	      "syn budget: prefix6=64: a source rotating addresses in its /64 is one source, the next /64 is not (%d passed)",
	      passed);

	/* below the gate nothing reaches the LRU: one SYN each from many */
	map_clear(budget_fd);
	budget_on(SG_BUDGET_syn, 100000000 /* 10/s */, 50, 32, 64);
	{
		__u64 made = 0;

		for (int i = 0; i < 2000; i++) {
			struct flow x = flow4(198, 19, (uint8_t)(i >> 8), (uint8_t)i, 4000);

			syn_run(&x, &r);
			made += r.delta[SG_CNT_budget_tracked];
		}
		check(made == 0 && map_count(budget_fd) == 0,
		      "syn budget: 2000 one-SYN sources: no bucket made (budget_tracked +%llu, %u in the LRU)",
		      (unsigned long long)made, map_count(budget_fd));
	}

	/* an evicted bucket comes back charged with what the sketch saw */
	sketch_fresh();
	map_clear(budget_fd);
	budget_on(SG_BUDGET_syn, 100000000, 5, 32, 64);
	a = flow4(198, 18, 9, 9, 5000);
	for (int i = 0; i < 5; i++) {
		a.sport++;
		syn_run(&a, &r);
	}
	map_clear(budget_fd); /* as LRU eviction by spoofed sources would */
	a.sport++;
	syn_run(&a, &r);
	check_run(
		&r, XDP_TX,
		C(syn_received) | C(syn_ratelimited) | C(budget_tracked) | C(syn_cookies_sent),
		"syn budget: after its bucket is evicted, a source over its burst is still over (no fresh burst): a cookie");

	/* a flood of one-SYN spoofed sources fills the sketch's counters past
	 * the burst: none of them, nor a new client, may look like a heavy
	 * source for it (the sketch discounts its noise floor) */
	sketch_fresh();
	map_clear(budget_fd);
	budget_on(SG_BUDGET_syn, 100000000 /* 10/s */, 10, 32, 64);
	{
		struct timespec t0, t1;
		__u64 lim = 0;
		int n = 120000, heavy = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < n; i++) {
			struct flow x = flow4(198, (uint8_t)(18 + (i >> 16)), (uint8_t)(i >> 8),
					      (uint8_t)i, 4100);

			syn_run(&x, &r);
			lim += r.delta[SG_CNT_syn_ratelimited];
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		diag("%d spoofed sources in %.2f s", n,
		     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		check(lim == 0,
		      "syn budget: %d one-SYN sources in a window (burst 10): none limited (syn_ratelimited +%llu)",
		      n, (unsigned long long)lim);
		a = flow4(198, 19, 250, 7, 6000); /* an address the flood never used */
		syn_run(&a, &r);
		check_run(&r, XDP_PASS, C(syn_received) | C(syn_passed) | C(ct_created),
			  "syn budget: ...and a new client's SYN passes during it");
		for (int i = 0; i < 400; i++) {
			a.sport++;
			syn_run(&a, &r);
			heavy += r.verdict == XDP_TX && r.delta[SG_CNT_syn_ratelimited];
		}
		check(heavy >= 400 - 10 - 2 * 60,
		      "syn budget: ...while a source sending 400 SYNs is still limited (%d got cookies)",
		      heavy);
	}
	budget_on(SG_BUDGET_syn, 0, 0, 32, 64);
}

/* ---- allow and deny ---------------------------------------------------------------- */
static void lists_set(const char *allow, const char *deny)
{
	static struct sg_plist al, dl;
	char err[256];
	const struct sg_setting *sa = sg_setting_find("allow.prefixes");

	if (sa->type->parse(sa, &al, allow, err, sizeof(err)) ||
	    sa->type->parse(sa, &dl, deny, err, sizeof(err)))
		diag("lists: %s", err);
	if (sg_policy_write(policy_fd, policy_bits_fd, &al, &dl, &T.cfg.policy))
		diag("lists: cannot write");
	config_apply();
}

static __u64 hits_of(const char *prefix)
{
	struct sg_lpm_value v = { 0 };
	struct sg_src_key p;
	struct sg_lpm_key k;
	char err[128];

	if (sg_prefix_parse(prefix, &p, err, sizeof(err)))
		return ~0ull;
	sg_lpm_key_of(&k, &p);
	bpf_map_lookup_elem(policy_fd, &k, &v);
	return v.hits;
}

static void test_lists(void)
{
	struct flow d4 = flow4(198, 18, 20, 5, 6000), a4 = flow4(198, 18, 21, 5, 6000);
	struct flow in = flow4(198, 18, 20, 77, 6000); /* allowed /28 inside the denied /24 */
	struct flow d6 = flow6(0x20, 5, 6000), a6 = flow6(0x21, 5, 6000),
		    o4 = flow4(203, 0, 113, 9, 6000);
	struct frame f;
	struct run r;

	cfg_fresh("mode=on");
	lists_set("198.18.21.0/24, 2001:db8:21::/48, 198.18.20.64/28",
		  "198.18.20.0/24, 2001:db8:20::/48");
	check((T.cfg.policy & (SG_POLICY_F_V4 | SG_POLICY_F_V6 | SG_POLICY_F_DENY4 |
			       SG_POLICY_F_DENY6)) == (SG_POLICY_F_V4 | SG_POLICY_F_V6 |
						       SG_POLICY_F_DENY4 | SG_POLICY_F_DENY6) &&
		      !(T.cfg.policy & (SG_POLICY_F_WIDE4 | SG_POLICY_F_WIDE6)),
	      "lists: flags say both families, deny entries, no wide prefix (%#x)", T.cfg.policy);
	syn_run(&d4, &r);
	check_run(&r, XDP_DROP, C(drop_denied), "deny: IPv4 SYN from a denied /24 dropped at XDP");
	syn_run(&d6, &r);
	check_run(&r, XDP_DROP, C(drop_denied), "deny: IPv6 SYN from a denied /48 dropped at XDP");
	f = seg_of(&d4, 1000, 2000, TH_ACK);
	xdp_run(&f, &r);
	check_run(&r, XDP_DROP, C(drop_denied), "deny: an ACK (any TCP segment) from it too");
	f = seg_of(&d4, 1000, 2000, TH_ACK);
	{
		struct flow u = d4;

		u.dport = PORT + 1;
		f = seg_of(&u, 1000, 2000, TH_ACK);
		xdp_run(&f, &r);
		check(r.verdict == XDP_PASS && !r.delta[SG_CNT_drop_denied],
		      "deny: to an unprotected port it passes");
	}
	syn_run(&a4, &r);
	check_run(&r, XDP_PASS, C(syn_received) | C(syn_allowed) | C(syn_passed) | C(ct_created),
		  "allow: IPv4 SYN from an allowed /24 skips cookie mode (to the kernel, tracked)");
	syn_run(&a6, &r);
	check_run(&r, XDP_PASS, C(syn_received) | C(syn_allowed) | C(syn_passed) | C(ct_created),
		  "allow: IPv6 SYN from an allowed /48 skips cookie mode");
	syn_run(&in, &r);
	check_run(&r, XDP_PASS, C(syn_received) | C(syn_allowed) | C(syn_passed) | C(ct_created),
		  "lists: the longest prefix decides (an allowed /28 inside a denied /24)");
	syn_run(&o4, &r);
	check_run(&r, XDP_TX, C(syn_received) | C(syn_cookies_sent),
		  "lists: an unlisted source gets a cookie as before");
	check(hits_of("198.18.20.0/24") == 2 && hits_of("198.18.21.0/24") == 1 &&
		      hits_of("198.18.20.64/28") == 1 && hits_of("2001:db8:20::/48") == 1,
	      "lists: each prefix counts its hits (%llu %llu %llu %llu)",
	      (unsigned long long)hits_of("198.18.20.0/24"),
	      (unsigned long long)hits_of("198.18.21.0/24"),
	      (unsigned long long)hits_of("198.18.20.64/28"),
	      (unsigned long long)hits_of("2001:db8:20::/48"));

	/* the allow list skips the SYN budget too */
	budget_on(SG_BUDGET_syn, FAR, 1, 32, 64);
	for (int i = 0; i < 3; i++) {
		a4.sport++;
		syn_run(&a4, &r);
	}
	check(r.verdict == XDP_PASS && r.delta[SG_CNT_syn_allowed] == 1,
	      "allow: an allowed source is not held to the SYN budget (burst 1, third SYN passes)");
	budget_on(SG_BUDGET_syn, 0, 0, 32, 64);

	/* a prefix too wide for the filter: looked up without it */
	lists_set("", "0.0.0.0/2");
	check(T.cfg.policy & SG_POLICY_F_WIDE4,
	      "lists: a /2 is too wide for the filter (flag WIDE4)");
	syn_run(&o4, &r); /* 203.0.113.9 is outside 0.0.0.0/2 */
	check(r.verdict == XDP_TX, "lists: wide deny: outside it, a cookie");
	{
		struct flow x = flow4(10, 1, 2, 3, 6000);

		syn_run(&x, &r);
		check_run(&r, XDP_DROP, C(drop_denied), "lists: wide deny: inside it, dropped");
	}
	lists_set("", "");
	check(T.cfg.policy == 0, "lists: emptied, the data path looks at nothing (flags 0)");
	syn_run(&d4, &r);
	check(r.verdict == XDP_TX, "lists: emptied, the once denied source gets a cookie");
}

/* Fragments and long IPv6 chains go around neither list nor budget: a
 * denied source is dropped whatever its fragments show (any port: that of
 * a later fragment cannot be known), in every mode; an allowed one passes;
 * a SYN in a first fragment, or a chain past the parser's walk, takes from
 * the SYN budget. Cookie mode off throughout, so that only these decide. */
static struct frame frag_of(const struct flow *fl, uint16_t port, int shape)
{
	struct flow f2 = *fl;
	struct frame f;

	f2.dport = port;
	f = syn_of(&f2);
	if (shape == 0)
		frame_ip4_set_frag(&f, 0x2000); /* first, whole TCP header */
	else if (shape == 1)
		frame_ip4_set_frag(&f, 0x2000 | 185); /* later, offset 1480 */
	else if (shape == 2)
		frame_ip6_add_frag(&f, 1, 9); /* IPv6 first */
	else if (shape == 3)
		frame_ip6_add_frag(&f, 185 << 3, 9); /* IPv6 later */
	else
		frame_ip6_add_dstopts(&f, 8); /* SYN behind 8 headers */
	return f;
}

static void test_hidden(void)
{
	static const char *const shapes[] = {
		"IPv4 first fragment of a SYN",        "IPv4 later fragment",
		"IPv6 first fragment of a SYN",        "IPv6 later fragment",
		"IPv6 SYN behind 8 extension headers",
	};
	struct flow d4 = flow4(198, 18, 20, 9, 6100), a4 = flow4(198, 18, 21, 9, 6100);
	struct flow d6 = flow6(0x20, 9, 6100), a6 = flow6(0x21, 9, 6100);
	char name[160];
	struct frame f;
	struct run r;

	cfg_fresh("mode=off");
	lists_set("198.18.21.0/24, 2001:db8:21::/48", "198.18.20.0/24, 2001:db8:20::/48");
	for (int i = 0; i < 5; i++) {
		const struct flow *d = i < 2 ? &d4 : &d6, *a = i < 2 ? &a4 : &a6;

		f = frag_of(d, PORT, i);
		xdp_run(&f, &r);
		snprintf(name, sizeof(name), "deny: %s from a denied source dropped", shapes[i]);
		check_run(&r, XDP_DROP, C(drop_denied), name);
		f = frag_of(d, PORT + 1, i);
		xdp_run(&f, &r);
		snprintf(name, sizeof(name), "deny: %s to an unprotected port dropped too",
			 shapes[i]);
		check_run(&r, XDP_DROP, C(drop_denied), name);
		f = frag_of(a, PORT, i);
		xdp_run(&f, &r);
		snprintf(name, sizeof(name), "allow: %s from an allowed source passes", shapes[i]);
		check_run(&r, XDP_PASS, i == 4 ? C(parse_ipv6_ext_depth) : C(pass_ip_fragment),
			  name);
	}
	lists_set("", "");

	/* burst 1: a source's second SYN is over its budget, hidden or not */
	budget_on(SG_BUDGET_syn, FAR, 1, 32, 64);
	for (int i = 0; i < 5; i += 2) {
		struct flow o = i < 2 ? flow4(198, 18, 22, (uint8_t)i, 6100)
				      : flow6((uint16_t)(0x22 + i), 1, 6100);
		sg_cmask pass =
			C(budget_tracked) |
			(i == 4 ? C(parse_ipv6_ext_depth) : C(syn_received) | C(pass_ip_fragment));

		f = frag_of(&o, PORT, i);
		xdp_run(&f, &r);
		snprintf(name, sizeof(name), "budget: %s within the budget passes", shapes[i]);
		check_run(&r, XDP_PASS, pass, name);
		o.sport++;
		f = frag_of(&o, PORT, i);
		xdp_run(&f, &r);
		snprintf(name, sizeof(name), "budget: %s over the budget dropped", shapes[i]);
		check_run(&r, XDP_DROP, (pass & C(syn_received)) | C(syn_ratelimited), name);
	}
	budget_on(SG_BUDGET_syn, 0, 0, 32, 64);
}

/* ---- learned sources ---------------------------------------------------------------- */
/* SYN -> our SYN-ACK -> the client's ACK with the cookie: *r the ACK's run. */
static bool handshake(struct flow fl, struct run *r)
{
	struct frame f = syn_of(&fl);
	uint32_t syn_seq = get32(f.b + 14 + (fl.family == 4 ? 20 : 40) + 4);
	struct parsed p;

	xdp_run(&f, r);
	if (r->verdict != XDP_TX || !frame_parse(r->out, r->len, &p))
		return false;
	f = seg_of(&fl, syn_seq + 1, p.seq + 1, TH_ACK);
	xdp_run(&f, r);
	return r->verdict == XDP_PASS && r->delta[SG_CNT_cookies_accepted] == 1;
}

static void test_learned(void)
{
	struct flow c = flow4(198, 18, 30, 1, 7000), c6 = flow6(0x30, 1, 7000);
	struct run r;
	bool ok;

	cfg_fresh("mode=on");
	map_clear(learned_fd);
	T.cfg.learn_s = 3600;
	config_apply();
	ok = handshake(c, &r);
	check(ok && r.delta[SG_CNT_learned_added] == 1,
	      "learned: a valid cookie ACK learns its source (learned_added +%llu)",
	      (unsigned long long)r.delta[SG_CNT_learned_added]);
	c.sport++;
	syn_run(&c, &r);
	check_run(&r, XDP_PASS, C(syn_received) | C(syn_learned) | C(syn_passed) | C(ct_created),
		  "learned: its next SYN skips cookie mode (to the kernel)");
	ok = handshake(c6, &r);
	c6.sport++;
	syn_run(&c6, &r);
	check(ok && r.verdict == XDP_PASS && r.delta[SG_CNT_syn_learned] == 1,
	      "learned: IPv6 alike");
	{
		struct flow other = flow4(198, 18, 30, 2, 7000);
		struct flow near6 = flow6(0x30, 2, 7000); /* c6's /64 */

		syn_run(&other, &r);
		check(r.verdict == XDP_TX, "learned: another source still gets a cookie");
		/* one host's handshake vouches for no neighbour */
		syn_run(&near6, &r);
		check(r.verdict == XDP_TX && !r.delta[SG_CNT_syn_learned],
		      "learned: another host of the learned host's IPv6 /64 still gets a cookie");
		T.cfg.learn_prefix6 = 64;
		config_apply();
		map_clear(learned_fd);
		c6.sport++;
		ok = handshake(c6, &r);
		near6.sport++;
		syn_run(&near6, &r);
		check(ok && r.verdict == XDP_PASS && r.delta[SG_CNT_syn_learned] == 1,
		      "learned: with learn.prefix6 = 64 the whole /64 is learned");
		T.cfg.learn_prefix6 = 128;
		config_apply();
	}
	map_clear(learned_fd);
	c.sport++;
	syn_run(&c, &r);
	check(r.verdict == XDP_TX, "learned: flushed, it gets a cookie again");

	/* an ESTABLISHED connection, cookie mode off: SYN, our SYN-ACK, ACK */
	cfg_fresh("mode=off");
	T.cfg.learn_s = 3600;
	config_apply();
	map_clear(learned_fd);
	{
		struct flow e = flow4(198, 18, 31, 1, 7100), back = flow_reverse(&e);
		struct frame f = syn_of(&e);
		uint32_t cs = get32(f.b + 34 + 4);
		struct run rr;

		xdp_run(&f, &rr);
		f = seg_of(&back, 0x5000, cs + 1, TH_SYN | TH_ACK);
		tc_egress_run(&f, &rr);
		f = seg_of(&e, cs + 1, 0x5001, TH_ACK);
		xdp_run(&f, &rr);
		check(rr.delta[SG_CNT_learned_added] == 1 && map_count(learned_fd) == 1,
		      "learned: a connection that became ESTABLISHED learns its remote (learned_added +%llu)",
		      (unsigned long long)rr.delta[SG_CNT_learned_added]);
	}
	/* learning off: the sweep empties the list */
	T.cfg.learn_s = 0;
	config_apply();
	{
		struct sg_walk_args wa;

		sg_walk_run(bpf_program__fd(T.skel->progs.sg_walk), 1, &wa);
		check(map_count(learned_fd) == 0 && wa.learned == 0,
		      "learned: with learn.time 0 the sweep removes every learned source");
	}
}

/* ---- SYN-ACK caps ---------------------------------------------------------------- */
/* No tracked flow, and the tracker's filter rebuilt empty by a sweep: the
 * flows of earlier tests would make it say "maybe" for most tuples. */
static void ct_reset(void)
{
	struct sg_walk_args wa;

	map_clear(T.ct_synced);
	map_clear(T.ct_embryonic);
	sg_walk_run(bpf_program__fd(T.skel->progs.sg_walk), 1, &wa);
}

static void test_synack_caps(void)
{
	struct run r;
	int tx = 0, capped = 0;

	cfg_fresh("mode=on");
	ct_reset();
	map_clear(budget_fd);
	/* per destination: burst 2 per /24 */
	budget_on(SG_BUDGET_syn, 0, 0, 24, 48);
	budget_on(SG_BUDGET_synack, FAR, 2, 0, 0);
	for (int i = 1; i <= 5; i++) {
		struct flow v = flow4(198, 18, 40, (uint8_t)i, 8000);

		syn_run(&v, &r);
		tx += r.verdict == XDP_TX;
		capped += r.verdict == XDP_DROP && r.delta[SG_CNT_drop_synack_dest];
	}
	check(tx == 2 && capped == 3,
	      "synack cap: 5 SYNs spoofed from one victim /24: 2 SYN-ACKs (its burst), 3 suppressed (drop_synack_dest)");
	{
		struct flow o = flow4(198, 18, 41, 1, 8000);

		syn_run(&o, &r);
		check(r.verdict == XDP_TX, "synack cap: another destination prefix is answered");
	}
	budget_on(SG_BUDGET_synack, 0, 0, 0, 0);
	/* global: burst 3 per CPU, no refill */
	budget_on(SG_BUDGET_synack_cpu, FAR, 3, 0, 0);
	tx = capped = 0;
	for (int i = 1; i <= 5; i++) {
		struct flow v = flow4(198, 18, 42 + i, 1, 8000);

		syn_run(&v, &r);
		tx += r.verdict == XDP_TX;
		capped += r.verdict == XDP_DROP && r.delta[SG_CNT_drop_syn_shed];
	}
	/* past the cap an unknown source's SYN is shed before the cookie
	 * path (test_shed), so the cap itself is never reached here */
	check(tx == 3 && capped == 2,
	      "synack cap: global burst 3: 3 SYN-ACKs to 5 sources, 2 suppressed (shed: drop_syn_shed)");
	budget_on(SG_BUDGET_synack_cpu, 0, 0, 0, 0);
	budget_on(SG_BUDGET_syn, 0, 0, 32, 64);
}

/* ---- shedding over the SYN-ACK cap ----------------------------------------------- */
/* The global SYN-ACK cap's bucket full again on every CPU (a refill). */
static void synack_cap_refill(void)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sg_budget *zero = calloc((size_t)ncpu, sizeof(*zero));
	__u32 k = SG_BUDGET_synack_cpu & (SG_BUDGET_SLOTS - 1);

	if (!zero ||
	    bpf_map_update_elem(bpf_map__fd(T.skel->maps.sg_cpu_budget), &k, zero, BPF_ANY))
		diag("cannot refill the SYN-ACK cap: %s", strerror(errno));
	free(zero);
}

/* The local state of c's tracked synchronized entry (SG_STATE_MAX: none). */
static int ct_state_of(const struct flow *c)
{
	struct sg_ct_key k = { .family = (uint8_t)c->family, .lport = c->dport, .rport = c->sport };
	struct sg_ct_entry e;

	memcpy(k.laddr, c->daddr, 16);
	memcpy(k.raddr, c->saddr, 16);
	return bpf_map_lookup_elem(T.ct_synced, &k, &e) ? SG_STATE_MAX : e.state;
}

/* A learned client's handshake, its SYN going to the kernel: SYN (PASS),
 * the kernel's SYN-ACK (tc egress), the ACK and a data segment (PASS):
 * true when every step passed and the ACK made it ESTABLISHED. */
static bool kernel_handshake(const struct flow *c, struct run *r)
{
	struct flow back = flow_reverse(c);
	struct frame f = syn_of(c);
	uint32_t cs = get32(f.b + 34 + 4);
	bool ok;

	xdp_run(&f, r);
	ok = r->verdict == XDP_PASS && r->delta[SG_CNT_syn_learned] == 1;
	f = seg_of(&back, 0x7000, cs + 1, TH_SYN | TH_ACK);
	tc_egress_run(&f, r);
	f = seg_of(c, cs + 1, 0x7001, TH_ACK);
	xdp_run(&f, r);
	ok = ok && r->verdict == XDP_PASS && ct_state_of(c) == SG_ESTABLISHED;
	f = seg_of(c, cs + 1, 0x7001, TH_ACK | TH_PSH);
	xdp_run(&f, r);
	return ok && r->verdict == XDP_PASS;
}

static void test_shed(void)
{
	__u64 w0[SG_CNT_MAX], w1[SG_CNT_MAX];
	struct flow known = flow4(198, 18, 60, 1, 8100), fresh = flow4(198, 18, 62, 1, 8100);
	struct run r;
	int tx = 0, shed = 0, other = 0;
	bool ok;

	cfg_fresh("mode=on");
	map_clear(learned_fd);
	ct_reset();
	T.cfg.learn_s = 3600;
	config_apply();
	synack_cap_refill();
	ok = handshake(known, &r);
	/* the cap: burst 2 per CPU, no refill; 6 SYNs of a spoofed flood */
	budget_on(SG_BUDGET_synack_cpu, FAR, 2, 0, 0);
	for (int i = 1; i <= 6; i++) {
		struct flow v = flow4(198, 18, 61, (uint8_t)i, 8100);

		syn_run(&v, &r);
		tx += r.verdict == XDP_TX;
		if (r.verdict == XDP_DROP && r.delta[SG_CNT_drop_syn_shed] == 1)
			shed++;
		else if (r.verdict != XDP_TX)
			other++;
	}
	check(ok && tx == 2 && shed == 4 && !other,
	      "shed: over synack.rate, 2 SYN-ACKs then 4 unknown sources' SYNs shed (%d TX, %d shed, %d other)",
	      tx, shed, other);
	check_run(
		&r, XDP_DROP, C(syn_received) | C(drop_syn_shed),
		"shed: a shed SYN costs no cookie, no cap, no sketch count (drop_syn_shed alone)");
	known.sport++;
	check(kernel_handshake(&known, &r),
	      "shed: meanwhile the learned client's SYN goes to the kernel (syn_learned), its handshake and data pass");
	known.sport++;
	syn_run(&known, &r);
	check(r.verdict == XDP_PASS && r.delta[SG_CNT_syn_learned] == 1 &&
		      !r.delta[SG_CNT_drop_syn_shed],
	      "shed: and again: a learned source is never shed");
	synack_cap_refill();
	syn_run(&fresh, &r);
	check(r.verdict == XDP_TX && r.delta[SG_CNT_syn_cookies_sent] == 1,
	      "shed: the cap refilled, a new client gets its cookie (the look took no token)");

	/* shadow mode: counted as a would-be shed, the kernel gets the SYN */
	T.cfg.mode = SG_MODE_SHADOW;
	T.cfg.cookie_active = 1;
	config_apply();
	syn_run(&fresh, &r); /* the cap's last token */
	fresh.sport++;
	would_read(w0);
	syn_run(&fresh, &r);
	would_read(w1);
	check(r.verdict == XDP_PASS && r.delta[SG_CNT_pass_shadow] == 1 &&
		      w1[SG_CNT_drop_syn_shed] - w0[SG_CNT_drop_syn_shed] == 1,
	      "shed: shadow mode passes it, would-be drop_syn_shed +1");

	/* no cap (the default): nothing is shed, the bucket's state aside */
	cfg_fresh("mode=on");
	budget_on(SG_BUDGET_synack_cpu, 0, 0, 0, 0);
	fresh.sport++;
	syn_run(&fresh, &r);
	check(r.verdict == XDP_TX && !r.delta[SG_CNT_drop_syn_shed],
	      "shed: without synack.rate an unknown SYN gets its cookie as before");
	synack_cap_refill();
	T.cfg.learn_s = 0;
	config_apply();
}

/* ---- shadow mode ---------------------------------------------------------------- */
static void test_shadow(void)
{
	__u64 w0[SG_CNT_MAX], w1[SG_CNT_MAX];
	struct flow s = flow4(198, 18, 50, 1, 9000);
	struct frame f;
	struct run r;

	cfg_fresh("mode=shadow");
	T.cfg.cookie_active = 1; /* auto mode would be on: the daemon's choice */
	config_apply();
	would_read(w0);
	f = syn_of(&s);
	xdp_run(&f, &r);
	would_read(w1);
	check(r.verdict == XDP_PASS && r.len == f.len && !memcmp(r.out, f.b, f.len) &&
		      r.delta[SG_CNT_syn_passed] == 1 && r.delta[SG_CNT_pass_shadow] == 1 &&
		      !r.delta[SG_CNT_syn_cookies_sent] &&
		      w1[SG_CNT_syn_cookies_sent] - w0[SG_CNT_syn_cookies_sent] == 1,
	      "shadow: a SYN in (would-be) cookie mode passes untouched to the kernel; would-be syn_cookies_sent +1");

	s.sport++; /* an untracked flow */
	f = seg_of(&s, 1234, 5678, TH_ACK);
	would_read(w0);
	xdp_run(&f, &r);
	would_read(w1);
	check(r.verdict == XDP_PASS && r.delta[SG_CNT_pass_shadow] == 1 &&
		      !r.delta[SG_CNT_cookies_rejected] &&
		      w1[SG_CNT_cookies_rejected] - w0[SG_CNT_cookies_rejected] == 1,
	      "shadow: a bad cookie ACK passes; would-be cookies_rejected +1");

	lists_set("", "198.18.51.0/24");
	{
		struct flow d = flow4(198, 18, 51, 1, 9000);

		would_read(w0);
		syn_run(&d, &r);
		would_read(w1);
		check(r.verdict == XDP_PASS && !r.delta[SG_CNT_drop_denied] &&
			      r.delta[SG_CNT_syn_passed] == 1 &&
			      w1[SG_CNT_drop_denied] - w0[SG_CNT_drop_denied] == 1 &&
			      w1[SG_CNT_syn_cookies_sent] == w0[SG_CNT_syn_cookies_sent],
		      "shadow: a denied SYN passes; would-be drop_denied +1, and only that");
	}
	lists_set("", "");
	budget_on(SG_BUDGET_syn, FAR, 1, 32, 64);
	s.sport++;
	syn_run(&s, &r);
	would_read(w0);
	s.sport++;
	f = syn_of(&s);
	xdp_run(&f, &r);
	would_read(w1);
	check(r.verdict == XDP_PASS && !memcmp(r.out, f.b, f.len) &&
		      !r.delta[SG_CNT_syn_ratelimited] &&
		      w1[SG_CNT_syn_ratelimited] - w0[SG_CNT_syn_ratelimited] == 1,
	      "shadow: a SYN over budget passes untouched; would-be syn_ratelimited +1");
	budget_on(SG_BUDGET_syn, 0, 0, 32, 64);
	T.cfg.cookie_active = 0;
	config_apply();
	would_read(w0);
	s.sport++;
	syn_run(&s, &r);
	would_read(w1);
	check(r.verdict == XDP_PASS && r.delta[SG_CNT_syn_passed] == 1 &&
		      !r.delta[SG_CNT_pass_shadow] &&
		      w1[SG_CNT_syn_passed] - w0[SG_CNT_syn_passed] == 1,
	      "shadow: with (would-be) cookie mode off a SYN passes and would have: syn_passed in both banks");
}

/* ---- sampling ---------------------------------------------------------------------- */
static int ev_keep(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(struct sg_event) && nevs < 64)
		evs[nevs++] = *(struct sg_event *)data;
	return 0;
}

static int ev_take(void)
{
	nevs = 0;
	ring_buffer__consume(rb);
	return nevs;
}

static void test_events(void)
{
	struct flow s = flow4(198, 18, 60, 7, 9100);
	struct run r;

	cfg_fresh("mode=on");
	ev_take();
	syn_run(&s, &r);
	check(ev_take() == 0 && !r.delta[SG_CNT_events_sampled],
	      "events: no lease, nothing sampled (the data path read one field)");
	T.cfg.events_until_ns = coarse_now() + 10 * 1000000000ull;
	budget_on(SG_BUDGET_events_cpu, 0, 1, 0, 0);
	s.sport++;
	syn_run(&s, &r);
	check(ev_take() == 1 && r.delta[SG_CNT_events_sampled] == 1 &&
		      evs[0].reason == SG_CNT_syn_cookies_sent && evs[0].verdict == XDP_TX &&
		      evs[0].family == 4 && evs[0].saddr[0] == s.saddr[0] &&
		      evs[0].daddr[0] == s.daddr[0] && evs[0].sport == s.sport &&
		      evs[0].dport == PORT && evs[0].tcp_flags == TH_SYN && !evs[0].flags &&
		      evs[0].time_ns,
	      "events: with a lease, a decision is sampled: reason, verdict, family, addresses, ports, flags, time");
	{
		struct flow d = flow6(0x61, 3, 9100);
		struct frame f = seg_of(&d, 1, 2, TH_ACK);

		xdp_run(&f, &r);
		check(ev_take() == 1 && evs[0].reason == SG_CNT_cookies_rejected &&
			      evs[0].verdict == XDP_DROP && evs[0].family == 6 &&
			      !memcmp(evs[0].saddr, d.saddr, 16) && evs[0].tcp_flags == TH_ACK,
		      "events: an IPv6 bad cookie ACK: cookies_rejected, drop");
	}
	/* events.rate: burst 2, no refill */
	budget_on(SG_BUDGET_events_cpu, FAR, 2, 0, 0);
	{
		__u32 k = SG_BUDGET_events_cpu;
		int ncpu = libbpf_num_possible_cpus();
		struct sg_budget zero[ncpu];

		memset(zero, 0, sizeof(zero));
		bpf_map_update_elem(bpf_map__fd(T.skel->maps.sg_cpu_budget), &k, zero, BPF_ANY);
	}
	{
		__u64 sampled = 0;

		for (int i = 0; i < 4; i++) {
			s.sport++;
			syn_run(&s, &r);
			sampled += r.delta[SG_CNT_events_sampled];
		}
		ev_take();
		check(nevs == 2 && sampled == 2,
		      "events: events.rate holds: burst 2, 4 decisions, 2 sampled (%d, events_sampled +%llu)",
		      nevs, (unsigned long long)sampled);
	}
	budget_on(SG_BUDGET_events_cpu, 0, 1, 0, 0);
	T.cfg.events_until_ns = coarse_now() - 1000000000ull;
	config_apply();
	s.sport++;
	syn_run(&s, &r);
	check(ev_take() == 0 && !r.delta[SG_CNT_events_sampled],
	      "events: the lease expired (its reader gone): nothing sampled");
	T.cfg.events_until_ns = 0;
	config_apply();
}

/* ---- heavy hitters -------------------------------------------------------------------- */
static void test_hitters(void)
{
	struct flow a = flow4(198, 18, 70, 1, 9200), b = flow4(198, 18, 71, 1, 9200);
	int ncpu = libbpf_num_possible_cpus();
	struct sg_hitter v[ncpu];
	struct sg_src_key k = { .family = 4, .plen = 32 };
	struct run r;
	__u64 count = 0;

	cfg_fresh("mode=on");
	map_clear(hitters_fd);
	T.cfg.top_threshold = 5;
	config_apply();
	for (int i = 0; i < 12; i++) {
		a.sport++;
		syn_run(&a, &r);
	}
	for (int i = 0; i < 4; i++) {
		b.sport++;
		syn_run(&b, &r);
	}
	k.addr[0] = a.saddr[0];
	if (!bpf_map_lookup_elem(hitters_fd, &k, v))
		for (int c = 0; c < ncpu; c++)
			count += v[c].count;
	check(map_count(hitters_fd) == 1 && count == 10,
	      "top: a source at 12 SYNs (threshold 5) is recorded at its multiples (count %llu); one at 4 is not",
	      (unsigned long long)count);
	T.cfg.top_threshold = 0;
	config_apply();
}

int main(void)
{
	cpu_set_t set;

	/* per-CPU maps (sketch, buckets): every run on one CPU */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (!check(!setup("mode=on"), "load sg_xdp and configure it as synguardd does"))
		return 1;
	budget_fd = bpf_map__fd(T.skel->maps.sg_budget);
	learned_fd = bpf_map__fd(T.skel->maps.sg_learned);
	hitters_fd = bpf_map__fd(T.skel->maps.sg_hitters);
	policy_fd = bpf_map__fd(T.skel->maps.sg_policy);
	policy_bits_fd = bpf_map__fd(T.skel->maps.sg_policy_bits);
	rb = ring_buffer__new(bpf_map__fd(T.skel->maps.sg_events), ev_keep, NULL, NULL);
	if (!check(rb != NULL, "events ring buffer opens"))
		return 1;
	/* the cookie budget stays out of the way of these tests */
	T.cfg.budget[SG_BUDGET_cookie].interval_ns = 0;
	config_apply();
	test_syn_budget();
	test_lists();
	test_hidden();
	test_learned();
	test_synack_caps();
	test_shed();
	test_shadow();
	test_events();
	test_hitters();
	ring_buffer__free(rb);
	return tap_failed ? 1 : 0;
}
