// SPDX-License-Identifier: GPL-2.0
/* Differential fuzzer (libFuzzer): every input is a configuration byte and
 * a sequence of frames, each for ingress (sg_xdp) or egress (sg_tc_egress).
 * Each frame goes through the kernel's copy of the programs
 * (BPF_PROG_TEST_RUN, repeat = 1) and through the reference model (the
 * same sources built natively, model.c), and both must agree exactly: the
 * action, the bytes and metadata handed on, every counter moved, and at
 * the end of the input every tracker entry, budget bucket and the per-state
 * gauges of a table walk. Independent checks ride along: a SYN-ACK is a
 * well-formed reply to the SYN with valid checksums, a passed frame is
 * untouched, the embryonic table holds only embryonic states.
 *
 * The same for policy and visibility: the allow/deny trie's hits, learned
 * sources, heavy hitters, the per-CPU budgets, the would-be counters of
 * shadow mode and every sampled decision (the fuzzer runs on one CPU, so
 * the kernel's per-CPU maps are the model's).
 *
 * Input: byte 0 = configuration (FUZZ_CFG_* bits), byte 1 = policy
 * (FUZZ_POL_* bits), then records of
 * [ctl][len hi][len lo][len bytes]; ctl bit 0 = egress, bit 1 = rotate the
 * cookie secret first, bit 2 = instead of these bytes, the client's answer
 * to the last cookie SYN-ACK (a blind fuzzer never guesses a cookie; this
 * way the accepting path is fuzzed too), bit 3 = switch cookie mode (on/off)
 * first, so a handshake begun in one mode ends in the other. A short last
 * record takes what is left.
 *
 *   sg_fuzz [libFuzzer options] [CORPUS_DIR...]   (root: loads BPF)
 * At exit it prints "# sg_fuzz: N frames (...), M inputs, K mismatches".
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "sg_model.h"

#define FUZZ_CFG_COOKIE_ON (1u << 0)   /* cookie mode active                */
#define FUZZ_CFG_TRACK_PORTS (1u << 1) /* track=protected, not all         */
#define FUZZ_CFG_DROP_OOW (1u << 2)    /* drop_oow_rst=1                     */
#define FUZZ_CFG_WINDOW (1u << 3)      /* cookie mode off, still checking    */
#define FUZZ_CFG_BUDGET (1u << 4)      /* a tiny failed-cookie budget        */
#define FUZZ_CFG_NO_OPTS (1u << 5)     /* host refuses TS/SACK/WS/ECN        */

#define FUZZ_POL_SHADOW (1u << 0)     /* mode shadow (cookie bit: would-be) */
#define FUZZ_POL_LISTS (1u << 1)      /* allow and deny prefixes            */
#define FUZZ_POL_FLIP (1u << 2)       /* ...the other set; /24 and /48 sources */
#define FUZZ_POL_SYN_BUDGET (1u << 3) /* a tiny SYN budget                  */
#define FUZZ_POL_SYNACK (1u << 4)     /* a tiny SYN-ACK cap (FLIP: global)  */
#define FUZZ_POL_LEARN (1u << 5)      /* learned allowlist                  */
#define FUZZ_POL_EVENTS (1u << 6)     /* a reader holds the events lease    */
#define FUZZ_POL_TOP (1u << 7)        /* heavy hitters past 2 SYNs          */

/* A budget whose bucket never refills during a run: both sides then agree
 * whatever their clocks say; tat >> 60 counts the tokens taken. */
#define FUZZ_BUDGET_SHIFT 60
#define FUZZ_BUDGET_BURST 2
#define FUZZ_TABLE_SIZE 4096
/* jumbo frames too: the test runner (and the model) split what does not
 * fit a page into further buffers, as a multi-buffer driver does */
#define FUZZ_FRAME_MAX 9000
#define FUZZ_LINEAR_MAX 3520 /* the runner's first buffer: page - headroom - shinfo */

static struct {
	void *mcfg, *mports, *msecrets, *mcnt, *mpcnt, *msynced, *membryonic, *mbudget,
		*mcpu_budget, *mhitters, *mlearned, *mpolicy, *mpolicy_bits;
	int budget_fd, walk_fd, cpu_budget_fd, hitters_fd, learned_fd, policy_fd, policy_bits_fd;
	struct ring_buffer *rb;
	uint8_t lists; /* FUZZ_POL_LISTS | FUZZ_POL_FLIP now written */
	struct sg_config base;
	unsigned long long frames, xdp, egress, inputs, clock_skips, refused, events;
	unsigned long long multibuf;          /* XDP frames beyond one buffer        */
	unsigned long long moved[SG_CNT_MAX]; /* counter totals: how deep */
} F;

static void summary(void)
{
	printf("# sg_fuzz: %llu frames (%llu xdp, %llu of them multi-buffer, %llu egress), "
	       "%llu inputs, 0 mismatches; %llu SYN-ACKs compared without TSval "
	       "clock bits, %llu frames the test runner refused, %llu sampled decisions\n",
	       F.frames, F.xdp, F.multibuf, F.egress, F.inputs, F.clock_skips, F.refused, F.events);
	printf("# decisions taken:");
	for (int i = 0; i < SG_CNT_MAX; i++)
		if (F.moved[i])
			printf(" %s=%llu", sg_counter_names[i], F.moved[i]);
	printf("\n");
	fflush(stdout);
}

static void hexdump(const char *what, const uint8_t *b, uint32_t len)
{
	fprintf(stderr, "%s (%u bytes):", what, len);
	for (uint32_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", b[i]);
	fputc('\n', stderr);
}

static struct frame last_synack; /* the last XDP_TX output, if any */
static const uint8_t *cur_frame;
static uint32_t cur_len;

__attribute__((format(printf, 1, 2), noreturn)) static void mismatch(const char *fmt, ...)
{
	va_list ap;

	fputs("sg_fuzz: MISMATCH: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cur_frame)
		hexdump("frame", cur_frame, cur_len);
	printf("# sg_fuzz: mismatch after %llu frames\n", F.frames);
	fflush(stdout);
	abort();
}

static void *model_map(const char *name)
{
	struct bpf_map *bm = bpf_object__find_map_by_name(T.skel->obj, name);
	__u32 ks, vs, max = bm ? bpf_map__max_entries(bm) : 0;
	void *m = sg_model_map(name, &ks, &vs, &max);

	if (!m || !bm || bpf_map__key_size(bm) != ks || bpf_map__value_size(bm) != vs ||
	    bpf_map__max_entries(bm) != max) {
		fprintf(stderr,
			"sg_fuzz: MISMATCH: map %s is missing from the model "
			"or differs in shape (tests/fuzz/model.c maps[])\n",
			name);
		exit(1);
	}
	return m;
}

static void model_counters(__u64 out[SG_CNT_MAX], __u64 pout[SG_PCNT_MAX], __u64 would[SG_CNT_MAX])
{
	__u32 zero = 0, slot = 1, bank = SG_BANK_WOULD;
	const struct sg_counters *c = sg_model_lookup(F.mcnt, &zero);
	const struct sg_counters *w = sg_model_lookup(F.mcnt, &bank);
	const struct sg_port_counters *pc = sg_model_lookup(F.mpcnt, &slot);

	memcpy(out, c->v, sizeof(__u64) * SG_CNT_MAX);
	memcpy(would, w->v, sizeof(__u64) * SG_CNT_MAX);
	memcpy(pout, pc->v, sizeof(__u64) * SG_PCNT_MAX);
}

static void bpf_pcounters(__u64 out[SG_PCNT_MAX])
{
	static struct sg_port_counters *percpu;
	static int ncpu;
	__u32 slot = 1; /* the only protected port (harness.h PORT) */

	if (!percpu) {
		ncpu = libbpf_num_possible_cpus();
		percpu = calloc((size_t)ncpu, sizeof(*percpu));
	}
	memset(out, 0, sizeof(__u64) * SG_PCNT_MAX);
	if (bpf_map_lookup_elem(T.pcnt_fd, &slot, percpu))
		mismatch("port counters unreadable");
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < SG_PCNT_MAX; i++)
			out[i] += percpu[c].v[i];
}

/* With SG_FUZZ_SABOTAGE set, the model gets a secret one bit off: the
 * first cookie SYN-ACK must then be caught as a mismatch (the bounded run
 * proves its comparison is live this way). */
static void sync_secrets(void)
{
	struct sg_secret_state s = *T.secrets;
	__u32 zero = 0;

	if (getenv("SG_FUZZ_SABOTAGE"))
		s.slot[s.cur & 1].k0 ^= 1;
	sg_model_update(F.msecrets, &zero, &s);
}

/* Sampled decisions the kernel's copy submitted (ring buffer callback). */
static struct sg_event kev[256];
static int nkev;

static int kev_keep(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (nkev < 256 && size >= sizeof(struct sg_event))
		kev[nkev++] = *(struct sg_event *)data;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static __u16 slots[65536];
	struct bpf_map *m;
	__u32 zero = 0;
	cpu_set_t set;

	(void)argc, (void)argv;
	/* one CPU: the kernel's per-CPU maps (sketch, budgets, hitters) are
	 * then the model's single ones */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/* small tables: each input ends with a walk of both of them */
	T.ct_size = FUZZ_TABLE_SIZE;
	if (setup("mode=on")) {
		fprintf(stderr, "sg_fuzz: cannot load synguard (root? make all?)\n");
		exit(1);
	}
	/* every map of the object must exist in the model, alike (libbpf's
	 * own, the globals and CONFIG_HZ's .kconfig, are variables there) */
	bpf_object__for_each_map(m, T.skel->obj) if (!bpf_map__is_internal(m))
		model_map(bpf_map__name(m));
	F.mcfg = model_map("sg_config");
	F.mports = model_map("sg_ports");
	F.msecrets = model_map("sg_secrets");
	F.mcnt = model_map("sg_counters");
	F.mpcnt = model_map("sg_port_counters");
	F.msynced = model_map("sg_ct_synced");
	F.membryonic = model_map("sg_ct_embryonic");
	F.mbudget = model_map("sg_budget");
	F.budget_fd = bpf_map__fd(T.skel->maps.sg_budget);
	F.walk_fd = bpf_program__fd(T.skel->progs.sg_walk);
	F.mcpu_budget = model_map("sg_cpu_budget");
	F.mhitters = model_map("sg_hitters");
	F.mlearned = model_map("sg_learned");
	F.mpolicy = model_map("sg_policy");
	F.mpolicy_bits = model_map("sg_policy_bits");
	F.cpu_budget_fd = bpf_map__fd(T.skel->maps.sg_cpu_budget);
	F.hitters_fd = bpf_map__fd(T.skel->maps.sg_hitters);
	F.learned_fd = bpf_map__fd(T.skel->maps.sg_learned);
	F.policy_fd = bpf_map__fd(T.skel->maps.sg_policy);
	F.policy_bits_fd = bpf_map__fd(T.skel->maps.sg_policy_bits);
	F.rb = ring_buffer__new(bpf_map__fd(T.skel->maps.sg_events), kev_keep, NULL, NULL);
	if (!F.rb) {
		fprintf(stderr, "sg_fuzz: cannot read the events ring buffer\n");
		exit(1);
	}
	if (sg_ports_read(bpf_map__fd(T.skel->maps.sg_ports), slots))
		exit(1);
	for (__u32 p = 0; p < 65536; p++)
		if (slots[p])
			sg_model_update(F.mports, &p, &slots[p]);
	sync_secrets();
	F.base = T.cfg;
	F.base.sketch_seed = 0x5eed5eed5eedull;
	/* idle timeouts far longer than any run: the two clocks differ by
	 * microseconds, and expiry is test_conntrack's business */
	for (int i = 0; i < SG_STATE_MAX; i++)
		F.base.timeout_s[i] = 4000000;
	sg_model_update(F.mcfg, &zero, &F.base);
	atexit(summary);
	return 0;
}

/* The lists of policy bits pol (FUZZ_POL_LISTS, FUZZ_POL_FLIP), written
 * into the kernel's trie and filter and the model's; flags for sg_config.
 * Around the lab's addresses (198.18.31.0/24, 2001:db8:31::/48, where the
 * seeds were captured), a longest-prefix case, and prefixes too wide for
 * the filter. */
static __u32 lists_write(uint8_t pol)
{
	static const char *const sets[3][2] = {
		{ "", "" },
		{ "198.18.31.2, 2001:db8:30::/44", "2001:db8:31::/48, 10.0.0.0/8, 3000::/4" },
		{ "2001:db8::/32, 192.0.0.0/2", "198.18.0.0/15, 2001:db8:31::2/128" },
	};
	static struct sg_plist al, dl;
	static __u64 words[SG_POLICY_BITS_ENTRIES];
	const struct sg_setting *st = sg_setting_find("allow.prefixes");
	int which = !(pol & FUZZ_POL_LISTS) ? 0 : pol & FUZZ_POL_FLIP ? 2 : 1;
	char err[200];
	__u32 flags;

	if (st->type->parse(st, &al, sets[which][0], err, sizeof(err)) ||
	    st->type->parse(st, &dl, sets[which][1], err, sizeof(err)) ||
	    sg_policy_write(F.policy_fd, F.policy_bits_fd, &al, &dl, &flags)) {
		fprintf(stderr, "sg_fuzz: cannot write the lists: %s\n", err);
		exit(1);
	}
	sg_model_clear(F.mpolicy);
	for (int l = 0; l < 2; l++) {
		const struct sg_plist *p = l ? &dl : &al;

		for (__u32 i = 0; i < p->n; i++) {
			struct sg_lpm_value v = { .action = l ? SG_ACT_DENY : SG_ACT_ALLOW };
			struct sg_lpm_key k;

			sg_lpm_key_of(&k, &p->p[i]);
			sg_model_update(F.mpolicy, &k, &v);
		}
	}
	sg_policy_bits_make(&al, &dl, words, &flags);
	for (__u32 i = 0; i < SG_POLICY_BITS_ENTRIES; i++)
		sg_model_update(F.mpolicy_bits, &i, &words[i]);
	return flags;
}

/* Both per-CPU budgets' buckets, emptied. */
static void cpu_budget_clear(void)
{
	static struct sg_budget *zero;
	int ncpu = libbpf_num_possible_cpus();

	if (!zero)
		zero = calloc((size_t)ncpu, sizeof(*zero));
	for (__u32 k = 0; k < SG_BUDGET_SLOTS; k++) {
		bpf_map_update_elem(F.cpu_budget_fd, &k, zero, BPF_ANY);
		sg_model_update(F.mcpu_budget, &k, zero);
	}
}

static void configure(uint8_t bits, uint8_t pol)
{
	struct sg_config c = F.base;
	__u32 zero = 0;

	c.cookie_active = !!(bits & FUZZ_CFG_COOKIE_ON);
	c.mode = c.cookie_active ? SG_MODE_ON : SG_MODE_OFF;
	c.cookie_check_until_ns = bits & FUZZ_CFG_WINDOW ? ~0ull : 0;
	c.track_all = !(bits & FUZZ_CFG_TRACK_PORTS);
	c.drop_oow_rst = !!(bits & FUZZ_CFG_DROP_OOW);
	memset(&c.budget[SG_BUDGET_cookie], 0, sizeof(c.budget[0]));
	if (bits & FUZZ_CFG_BUDGET) {
		c.budget[SG_BUDGET_cookie].interval_ns = 1ull << FUZZ_BUDGET_SHIFT;
		c.budget[SG_BUDGET_cookie].burst = FUZZ_BUDGET_BURST;
		c.budget[SG_BUDGET_cookie].prefix4 = (uint8_t)(24 + (bits >> 6));
		c.budget[SG_BUDGET_cookie].prefix6 = (uint8_t)(48 + 8 * (bits >> 6));
	}
	if (bits & FUZZ_CFG_NO_OPTS)
		c.allow_ts = c.allow_sack = c.allow_wscale = c.allow_ecn = 0;
	if (pol & FUZZ_POL_SHADOW)
		c.mode = SG_MODE_SHADOW;
	/* every budget never refills: tat >> 60 counts the tokens taken */
	memset(&c.budget[SG_BUDGET_syn], 0,
	       sizeof(c.budget[0]) * (SG_BUDGET_SLOTS - SG_BUDGET_syn));
	c.budget[SG_BUDGET_syn].prefix4 = pol & FUZZ_POL_FLIP ? 24 : 32;
	c.budget[SG_BUDGET_syn].prefix6 = pol & FUZZ_POL_FLIP ? 48 : 64;
	if (pol & FUZZ_POL_SYN_BUDGET) {
		c.budget[SG_BUDGET_syn].interval_ns = 1ull << FUZZ_BUDGET_SHIFT;
		c.budget[SG_BUDGET_syn].burst = FUZZ_BUDGET_BURST;
	}
	/* one cookie SYN-ACK per destination prefix, or (FLIP) in all */
	if (pol & FUZZ_POL_SYNACK) {
		__u32 kind = pol & FUZZ_POL_FLIP ? SG_BUDGET_synack_cpu : SG_BUDGET_synack;

		c.budget[kind].interval_ns = 1ull << FUZZ_BUDGET_SHIFT;
		c.budget[kind].burst = 1;
	}
	c.learn_s = pol & FUZZ_POL_LEARN ? 1000000 : 0;
	c.events_until_ns = pol & FUZZ_POL_EVENTS ? ~0ull : 0;
	c.budget[SG_BUDGET_events_cpu].burst = 1; /* interval 0: every one */
	c.top_threshold = pol & FUZZ_POL_TOP ? 2 : 0;
	if ((pol ^ F.lists) & (FUZZ_POL_LISTS | FUZZ_POL_FLIP)) {
		F.base.policy = lists_write(pol);
		F.lists = pol & (FUZZ_POL_LISTS | FUZZ_POL_FLIP);
	}
	c.policy = F.base.policy;
	cpu_budget_clear();
	T.cfg = c;
	if (config_apply())
		exit(1);
	sg_model_update(F.mcfg, &zero, &c);
}

/* Cookie mode switched, in both copies; shadow mode stays shadow. */
static void cookie_mode_flip(void)
{
	__u32 zero = 0;

	T.cfg.cookie_active = !T.cfg.cookie_active;
	if (T.cfg.mode != SG_MODE_SHADOW)
		T.cfg.mode = T.cfg.cookie_active ? SG_MODE_ON : SG_MODE_OFF;
	if (config_apply())
		exit(1);
	sg_model_update(F.mcfg, &zero, &T.cfg);
}

/* ---- independent checks of what the kernel's copy did ---------------------- */
static void check_xdp_output(const uint8_t *in, uint32_t len, const struct run *r)
{
	struct parsed q, a;

	if (r->verdict != XDP_PASS && r->verdict != XDP_DROP && r->verdict != XDP_TX)
		mismatch("XDP verdict %s", verdict_name(r->verdict));
	if (r->meta_len &&
	    (r->verdict != XDP_PASS || r->meta_len != sizeof(r->meta) ||
	     r->meta.magic != SG_META_MAGIC || r->delta[SG_CNT_cookies_accepted] != 1))
		mismatch("metadata of %u bytes with %s", r->meta_len, verdict_name(r->verdict));
	if (r->verdict == XDP_PASS && (r->len != len || memcmp(r->out, in, len)))
		mismatch("XDP_PASS changed the frame");
	if (r->verdict != XDP_TX)
		return;
	if (!frame_parse(in, len, &q) || !frame_parse(r->out, r->len, &a))
		mismatch("XDP_TX of a frame that is not TCP, or not a TCP reply");
	if (q.flags & (TH_ACK | TH_RST | TH_FIN) || !(q.flags & TH_SYN) || q.dport != PORT)
		mismatch("XDP_TX for flags %#x to port %u", q.flags, q.dport);
	if (a.flags != (TH_SYN | TH_ACK | (a.flags & TH_ECE)) || !a.ip_csum_ok || !a.tcp_csum_ok ||
	    !a.opts_ok || a.ack != q.seq + 1 || a.sport != q.dport || a.dport != q.sport ||
	    memcmp(a.saddr, q.daddr, 16) || memcmp(a.daddr, q.saddr, 16) ||
	    memcmp(r->out, in + 6, 6) || memcmp(r->out + 6, in, 6))
		mismatch("XDP_TX frame is not a well-formed SYN-ACK to the SYN");
}

/* bpf_ktime_get_coarse_ns()'s clock, as userspace reads it */
static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* The TSval of a cookie SYN-ACK carries the (coarse) clock above its hash
 * bits: equal unless the clock's bit 28 moved while the kernel ran. */
static bool tsval_clock_moved(__u64 t0, __u64 t1)
{
	return (t0 >> 28) != (t1 >> 28);
}

static bool same_synack_but_clock(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	struct parsed pa, pb;

	if (!frame_parse(a, len, &pa) || !frame_parse(b, len, &pb) || !pa.o.ts || !pb.o.ts)
		return false;
	return (pa.o.tsval & 0xff) == (pb.o.tsval & 0xff) &&
	       !memcmp(a, b, (size_t)pa.l4 + 16); /* up to the checksum */
}

/* The sketch's windows: never one boundary between the kernel's run and
 * the model's (both read the coarse clock). */
static void window_guard(void)
{
	const __u64 w = 1ull << SG_SKETCH_EPOCH_SHIFT, margin = 30000000;

	while (w - (coarse_ns() & (w - 1)) < margin)
		usleep(1000);
}

/* Every decision the kernel's copy sampled, the model's too, alike but
 * for the clock. */
static void events_cmp(void)
{
	static struct sg_event mev[256];
	int n;

	nkev = 0;
	ring_buffer__consume(F.rb);
	n = sg_model_events(mev, sizeof(mev[0]), 256);
	if (n != nkev)
		mismatch("events: kernel sampled %d, model %d", nkev, n);
	for (int i = 0; i < n; i++) {
		if (!kev[i].time_ns)
			mismatch("events: a sample without a time");
		kev[i].time_ns = mev[i].time_ns = 0;
		if (memcmp(&kev[i], &mev[i], sizeof(mev[i])))
			mismatch("events: sample %d differs (kernel %s, model %s)", i,
				 kev[i].reason < SG_CNT_MAX ? sg_counter_names[kev[i].reason] : "?",
				 mev[i].reason < SG_CNT_MAX ? sg_counter_names[mev[i].reason]
							    : "?");
	}
	F.events += (unsigned long long)n;
}

static void run_one(bool egress, const uint8_t *b, uint32_t len)
{
	static struct frame f;
	__u64 mb[SG_CNT_MAX], ma[SG_CNT_MAX], pb[SG_PCNT_MAX], pa[SG_PCNT_MAX];
	__u64 kb[SG_PCNT_MAX], ka[SG_PCNT_MAX];
	__u64 mwb[SG_CNT_MAX], mwa[SG_CNT_MAX], kwb[SG_CNT_MAX], kwa[SG_CNT_MAX];
	static uint8_t mout[FRAME_MAX + 64];
	struct run r;
	__u32 mlen, mmeta = 0;
	__u64 t0, c0, c1;
	int mv;

	memcpy(f.b, b, len);
	f.len = len;
	cur_frame = b;
	cur_len = len;
	window_guard();
	model_counters(mb, pb, mwb);
	bpf_pcounters(kb);
	sg_counters_read_bank(T.cnt_fd, SG_BANK_WOULD, kwb);
	t0 = sg_now_ns();
	c0 = coarse_ns();
	if (egress)
		tc_egress_run(&f, &r);
	else
		xdp_run(&f, &r);
	c1 = coarse_ns();
	if (r.err) {
		/* the test runner refused the frame (e.g. an skb too short for
		 * the IP header its ethertype names): no program ran */
		F.refused++;
		return;
	}
	bpf_pcounters(ka);
	sg_counters_read_bank(T.cnt_fd, SG_BANK_WOULD, kwa);
	sg_model_set_time(t0, c0);
	mv = egress ? sg_model_tc_egress(b, len, mout, &mlen)
		    : sg_model_xdp(b, len, mout, &mlen, &mmeta);
	model_counters(ma, pa, mwa);
	F.frames++;
	egress ? F.egress++ : F.xdp++;
	F.multibuf += !egress && len > FUZZ_LINEAR_MAX;

	if (r.verdict != mv)
		mismatch("%s: kernel %d, model %d", egress ? "egress" : "xdp", r.verdict, mv);
	if (!egress && r.verdict == XDP_TX) {
		memcpy(last_synack.b, r.out, r.len);
		last_synack.len = r.len;
	}
	if (!egress)
		check_xdp_output(b, len, &r);
	else if (r.verdict != SG_TCX_NEXT || r.len != len || memcmp(r.out, b, len))
		mismatch("egress changed the frame or its verdict (%d)", r.verdict);
	if (mmeta != r.meta_len || (mmeta && memcmp(mout, &r.meta, mmeta)))
		mismatch("metadata: kernel %u bytes, model %u", r.meta_len, mmeta);
	if (mlen - mmeta != r.len)
		mismatch("output length: kernel %u, model %u", r.len, mlen - mmeta);
	if (memcmp(mout + mmeta, r.out, r.len)) {
		if (!(r.verdict == XDP_TX && tsval_clock_moved(c0, c1) &&
		      same_synack_but_clock(mout + mmeta, r.out, r.len))) {
			hexdump("kernel output", r.out, r.len);
			hexdump("model output", mout + mmeta, r.len);
			mismatch("output bytes differ");
		}
		F.clock_skips++;
	}
	for (int i = 0; i < SG_CNT_MAX; i++)
		F.moved[i] += r.delta[i];
	for (int i = 0; i < SG_CNT_MAX; i++)
		if (r.delta[i] != ma[i] - mb[i])
			mismatch("counter %s: kernel +%llu, model +%llu", sg_counter_names[i],
				 (unsigned long long)r.delta[i],
				 (unsigned long long)(ma[i] - mb[i]));
	for (int i = 0; i < SG_PCNT_MAX; i++)
		if (ka[i] - kb[i] != pa[i] - pb[i])
			mismatch("port counter %d: kernel +%llu, model +%llu", i,
				 (unsigned long long)(ka[i] - kb[i]),
				 (unsigned long long)(pa[i] - pb[i]));
	for (int i = 0; i < SG_CNT_MAX; i++)
		if (kwa[i] - kwb[i] != mwa[i] - mwb[i])
			mismatch("would-be counter %s: kernel +%llu, model +%llu",
				 sg_counter_names[i], (unsigned long long)(kwa[i] - kwb[i]),
				 (unsigned long long)(mwa[i] - mwb[i]));
	events_cmp();
	cur_frame = NULL;
}

/* ---- tables at the end of an input ---------------------------------------- */
static bool embryonic_state(unsigned st)
{
	return st == SG_SYN_SENT || st == SG_SYN_RCVD;
}

struct table_cmp {
	int fd;
	const char *name;
	bool embryonic;
	unsigned n;
};

static void ct_entry_cmp(const void *key, const void *value, void *arg)
{
	struct table_cmp *t = arg;
	struct sg_ct_entry k, m = *(const struct sg_ct_entry *)value;

	if (bpf_map_lookup_elem(t->fd, key, &k))
		mismatch("%s: entry only in the model", t->name);
	/* creation and last-seen times come from two clocks, and so does
	 * the jiffy a TIME_WAIT timer was armed at: both have one or neither */
	k.created_ns = k.last_ns = m.created_ns = m.last_ns = 0;
	if (!k.timer_ms != !m.timer_ms)
		mismatch("%s: TIME_WAIT timer known to one only (kernel %u ms, "
			 "model %u ms)",
			 t->name, k.timer_ms, m.timer_ms);
	k.timer_ms = m.timer_ms = 0;
	if (memcmp(&k, &m, sizeof(k)))
		mismatch("%s: entry differs (kernel state %u/%u, model %u/%u)", t->name, k.state,
			 k.rstate, m.state, m.rstate);
	if (m.state >= SG_STATE_MAX || m.rstate >= SG_STATE_MAX ||
	    embryonic_state(m.state) != t->embryonic)
		mismatch("%s: entry in state %u", t->name, m.state);
	t->n++;
}

/* Learned sources: the same keys (their times come from two clocks). */
static void learned_cmp(const void *key, const void *value, void *arg)
{
	struct table_cmp *t = arg;
	struct sg_learned k;

	(void)value;
	if (bpf_map_lookup_elem(t->fd, key, &k))
		mismatch("%s: source only in the model", t->name);
	t->n++;
}

/* Heavy hitters: the kernel's per-CPU values summed, the model's one. */
static void hitter_cmp(const void *key, const void *value, void *arg)
{
	static struct sg_hitter *v;
	static int ncpu;
	struct table_cmp *t = arg;
	const struct sg_hitter *m = value;
	__u64 count = 0;
	__u32 epoch = 0;

	if (!v) {
		ncpu = libbpf_num_possible_cpus();
		v = calloc((size_t)ncpu, sizeof(*v));
	}
	if (bpf_map_lookup_elem(t->fd, key, v))
		mismatch("%s: hitter only in the model", t->name);
	for (int c = 0; c < ncpu; c++) {
		count += v[c].count;
		epoch |= v[c].epoch;
	}
	if (count != m->count || epoch != m->epoch)
		mismatch("%s: hitter counted %llu (window %u), model %u (window %u)", t->name,
			 (unsigned long long)count, epoch, m->count, m->epoch);
	t->n++;
}

/* The lists' entries: the same hits. */
static void policy_cmp(const void *key, const void *value, void *arg)
{
	struct table_cmp *t = arg;
	const struct sg_lpm_value *m = value;
	struct sg_lpm_value k;

	if (bpf_map_lookup_elem(t->fd, key, &k))
		mismatch("%s: prefix only in the model", t->name);
	if (k.action != m->action || k.hits != m->hits)
		mismatch("%s: hits: kernel %llu, model %llu", t->name, (unsigned long long)k.hits,
			 (unsigned long long)m->hits);
	t->n++;
}

/* The per-CPU budgets: tokens taken on this CPU, alike. */
static void cpu_budget_cmp(void)
{
	static struct sg_budget *v;
	static int ncpu;

	if (!v) {
		ncpu = libbpf_num_possible_cpus();
		v = calloc((size_t)ncpu, sizeof(*v));
	}
	for (__u32 kind = 0; kind < SG_BUDGET_SLOTS; kind++) {
		const struct sg_budget *m = sg_model_lookup(F.mcpu_budget, &kind);
		__u64 k = 0;

		if (bpf_map_lookup_elem(F.cpu_budget_fd, &kind, v))
			mismatch("sg_cpu_budget unreadable");
		for (int c = 0; c < ncpu; c++)
			k += v[c].tat_ns >> FUZZ_BUDGET_SHIFT;
		if (k != m->tat_ns >> FUZZ_BUDGET_SHIFT)
			mismatch("sg_cpu_budget %u: tokens taken differ", kind);
	}
}

static void budget_cmp(const void *key, const void *value, void *arg)
{
	struct table_cmp *t = arg;
	const struct sg_budget *m = value;
	struct sg_budget k;

	if (bpf_map_lookup_elem(t->fd, key, &k))
		mismatch("%s: bucket only in the model", t->name);
	if (k.tat_ns >> FUZZ_BUDGET_SHIFT != m->tat_ns >> FUZZ_BUDGET_SHIFT)
		mismatch("%s: tokens taken differ", t->name);
	t->n++;
}

/* Both tables hold the same entries; then both are emptied. */
static void tables_cmp_clear(int fd, void *mm, const char *name, bool embryonic, size_t ksize,
			     void (*cmp)(const void *, const void *, void *))
{
	struct table_cmp t = { fd, name, embryonic, 0 };
	uint8_t key[64], next[64];
	unsigned n = 0;
	void *prev = NULL;

	sg_model_each(mm, cmp, &t);
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksize);
		prev = key;
		n++;
	}
	if (n != t.n)
		mismatch("%s: kernel has %u entries, model %u", name, n, t.n);
	while (!bpf_map_get_next_key(fd, NULL, next))
		bpf_map_delete_elem(fd, next);
	sg_model_clear(mm);
}

static void walk_cmp(void)
{
	struct sg_walk_args k = { .now_ns = sg_now_ns() }, m = k;

	if (sg_walk_run(F.walk_fd, 0, &k))
		mismatch("sg_walk did not run");
	sg_model_set_time(k.now_ns, coarse_ns());
	sg_model_walk(&m);
	if (memcmp(k.states, m.states, sizeof(k.states)) || k.synced != m.synced ||
	    k.embryonic != m.embryonic)
		mismatch("walk: gauges differ");
}

/* The ACK a client sends for the last cookie SYN-ACK, with len payload
 * bytes and, if the SYN-ACK had timestamps, tsval; 0 if there is none. */
static uint32_t answer_synack(struct frame *f, uint32_t paylen, uint32_t tsval)
{
	struct parsed a;
	struct flow fl;
	uint8_t opt[40];
	struct tcpopts o = { .wscale = -1 };
	struct seg s = { .flags = TH_ACK, .opt = opt, .paylen = (int)paylen };

	if (!last_synack.len || !frame_parse(last_synack.b, last_synack.len, &a))
		return 0;
	fl.family = a.family;
	memcpy(fl.saddr, a.daddr, 16);
	memcpy(fl.daddr, a.saddr, 16);
	fl.sport = a.dport;
	fl.dport = a.sport;
	if (a.o.ts) {
		o.ts = true;
		o.tsval = tsval;
		o.tsecr = a.o.tsval;
	}
	s.seq = a.ack;
	s.ack = a.seq + 1;
	s.optlen = opts_build(opt, &o);
	s.vlans = (a.l3 - 14) / 4;
	frame_build(f, &fl, &s);
	last_synack.len = 0;
	return f->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame ack;
	size_t off = 1;

	if (size < 2)
		return 0;
	F.inputs++;
	last_synack.len = 0;
	configure(data[0], data[1]);
	off = 2;
	while (off < size) {
		uint8_t ctl = data[off];
		uint32_t len = 0;

		if (off + 3 <= size)
			len = (uint32_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (off >= size)
			break;
		if (len > size - off)
			len = (uint32_t)(size - off);
		if (ctl & 2) {
			sg_secrets_rotate(T.secrets);
			sync_secrets();
		}
		if (ctl & 8)
			cookie_mode_flip();
		if (ctl & 4) {
			if (answer_synack(&ack, len % 64, len))
				run_one(false, ack.b, ack.len);
		} else if (len >= 14 && len <= FUZZ_FRAME_MAX)
			/* the runner refuses frames shorter than Ethernet */
			run_one(ctl & 1, data + off, len);
		off += len;
	}
	walk_cmp();
	tables_cmp_clear(T.ct_synced, F.msynced, "sg_ct_synced", false, sizeof(struct sg_ct_key),
			 ct_entry_cmp);
	tables_cmp_clear(T.ct_embryonic, F.membryonic, "sg_ct_embryonic", true,
			 sizeof(struct sg_ct_key), ct_entry_cmp);
	tables_cmp_clear(F.budget_fd, F.mbudget, "sg_budget", false, sizeof(struct sg_budget_key),
			 budget_cmp);
	tables_cmp_clear(F.learned_fd, F.mlearned, "sg_learned", false, sizeof(struct sg_src_key),
			 learned_cmp);
	tables_cmp_clear(F.hitters_fd, F.mhitters, "sg_hitters", false, sizeof(struct sg_src_key),
			 hitter_cmp);
	cpu_budget_cmp();
	{
		struct table_cmp t = { F.policy_fd, "sg_policy", false, 0 };

		sg_model_each(F.mpolicy, policy_cmp, &t);
	}
	return 0;
}
