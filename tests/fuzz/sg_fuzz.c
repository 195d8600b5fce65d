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
 * Input: byte 0 = configuration (FUZZ_CFG_* bits), then records of
 * [ctl][len hi][len lo][len bytes]; ctl bit 0 = egress, bit 1 = rotate the
 * cookie secret first, bit 2 = instead of these bytes, the client's answer
 * to the last cookie SYN-ACK (a blind fuzzer never guesses a cookie; this
 * way the accepting path is fuzzed too). A short last record takes what is
 * left.
 *
 *   sg_fuzz [libFuzzer options] [CORPUS_DIR...]   (root: loads BPF)
 * At exit it prints "# sg_fuzz: N frames (...), M inputs, K mismatches".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "harness.h"
#include "sg_model.h"

#define FUZZ_CFG_COOKIE_ON (1u << 0)  /* cookie mode active                */
#define FUZZ_CFG_TRACK_PORTS (1u << 1) /* track=protected, not all         */
#define FUZZ_CFG_DROP_OOW (1u << 2)   /* drop_oow_rst=1                     */
#define FUZZ_CFG_WINDOW (1u << 3)     /* cookie mode off, still checking    */
#define FUZZ_CFG_BUDGET (1u << 4)     /* a tiny failed-cookie budget        */
#define FUZZ_CFG_NO_OPTS (1u << 5)    /* host refuses TS/SACK/WS/ECN        */

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
	void *mcfg, *mports, *msecrets, *mcnt, *mpcnt, *msynced, *membryonic,
		*mbudget;
	int budget_fd, walk_fd;
	struct sg_config base;
	unsigned long long frames, xdp, egress, inputs, clock_skips, refused;
	unsigned long long multibuf; /* XDP frames beyond one buffer        */
	unsigned long long moved[SG_CNT_MAX]; /* counter totals: how deep */
} F;

static void summary(void)
{
	printf("# sg_fuzz: %llu frames (%llu xdp, %llu of them multi-buffer, %llu egress), "
	       "%llu inputs, 0 mismatches; %llu SYN-ACKs compared without TSval "
	       "clock bits, %llu frames the test runner refused\n",
	       F.frames, F.xdp, F.multibuf, F.egress, F.inputs, F.clock_skips,
	       F.refused);
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

__attribute__((format(printf, 1, 2), noreturn))
static void mismatch(const char *fmt, ...)
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

	if (!m || !bm || bpf_map__key_size(bm) != ks ||
	    bpf_map__value_size(bm) != vs || bpf_map__max_entries(bm) != max) {
		fprintf(stderr, "sg_fuzz: MISMATCH: map %s is missing from the model "
			"or differs in shape (tests/fuzz/model.c maps[])\n", name);
		exit(1);
	}
	return m;
}

static void model_counters(__u64 out[SG_CNT_MAX], __u64 pout[SG_PCNT_MAX])
{
	__u32 zero = 0, slot = 1;
	const struct sg_counters *c = sg_model_lookup(F.mcnt, &zero);
	const struct sg_port_counters *pc = sg_model_lookup(F.mpcnt, &slot);

	memcpy(out, c->v, sizeof(__u64) * SG_CNT_MAX);
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static __u16 slots[65536];
	struct bpf_map *m;
	__u32 zero = 0;

	(void)argc, (void)argv;
	/* small tables: each input ends with a walk of both of them */
	T.ct_size = FUZZ_TABLE_SIZE;
	if (setup("mode=on")) {
		fprintf(stderr, "sg_fuzz: cannot load synguard (root? make all?)\n");
		exit(1);
	}
	/* every map of the object must exist in the model, alike */
	bpf_object__for_each_map(m, T.skel->obj)
		if (bpf_map__name(m)[0] != '.')
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
	if (sg_ports_read(bpf_map__fd(T.skel->maps.sg_ports), slots))
		exit(1);
	for (__u32 p = 0; p < 65536; p++)
		if (slots[p])
			sg_model_update(F.mports, &p, &slots[p]);
	sync_secrets();
	F.base = T.cfg;
	/* idle timeouts far longer than any run: the two clocks differ by
	 * microseconds, and expiry is test_conntrack's business */
	for (int i = 0; i < SG_STATE_MAX; i++)
		F.base.timeout_s[i] = 4000000;
	sg_model_update(F.mcfg, &zero, &F.base);
	atexit(summary);
	return 0;
}

static void configure(uint8_t bits)
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
	T.cfg = c;
	if (config_apply())
		exit(1);
	sg_model_update(F.mcfg, &zero, &c);
}

/* ---- independent checks of what the kernel's copy did ---------------------- */
static void check_xdp_output(const uint8_t *in, uint32_t len, const struct run *r)
{
	struct parsed q, a;

	if (r->verdict != XDP_PASS && r->verdict != XDP_DROP &&
	    r->verdict != XDP_TX)
		mismatch("XDP verdict %s", verdict_name(r->verdict));
	if (r->meta_len && (r->verdict != XDP_PASS || r->meta_len != sizeof(r->meta) ||
			    r->meta.magic != SG_META_MAGIC ||
			    r->delta[SG_CNT_cookies_accepted] != 1))
		mismatch("metadata of %u bytes with %s", r->meta_len,
			 verdict_name(r->verdict));
	if (r->verdict == XDP_PASS &&
	    (r->len != len || memcmp(r->out, in, len)))
		mismatch("XDP_PASS changed the frame");
	if (r->verdict != XDP_TX)
		return;
	if (!frame_parse(in, len, &q) || !frame_parse(r->out, r->len, &a))
		mismatch("XDP_TX of a frame that is not TCP, or not a TCP reply");
	if (q.flags & (TH_ACK | TH_RST | TH_FIN) || !(q.flags & TH_SYN) ||
	    q.dport != PORT)
		mismatch("XDP_TX for flags %#x to port %u", q.flags, q.dport);
	if (a.flags != (TH_SYN | TH_ACK | (a.flags & TH_ECE)) ||
	    !a.ip_csum_ok || !a.tcp_csum_ok || !a.opts_ok ||
	    a.ack != q.seq + 1 || a.sport != q.dport || a.dport != q.sport ||
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

static bool same_synack_but_clock(const uint8_t *a, const uint8_t *b,
				  uint32_t len)
{
	struct parsed pa, pb;

	if (!frame_parse(a, len, &pa) || !frame_parse(b, len, &pb) ||
	    !pa.o.ts || !pb.o.ts)
		return false;
	return (pa.o.tsval & 0xff) == (pb.o.tsval & 0xff) &&
	       !memcmp(a, b, (size_t)pa.l4 + 16); /* up to the checksum */
}

static void run_one(bool egress, const uint8_t *b, uint32_t len)
{
	static struct frame f;
	__u64 mb[SG_CNT_MAX], ma[SG_CNT_MAX], pb[SG_PCNT_MAX], pa[SG_PCNT_MAX];
	__u64 kb[SG_PCNT_MAX], ka[SG_PCNT_MAX];
	static uint8_t mout[FRAME_MAX + 64];
	struct run r;
	__u32 mlen, mmeta = 0;
	__u64 t0, c0, c1;
	int mv;

	memcpy(f.b, b, len);
	f.len = len;
	cur_frame = b;
	cur_len = len;
	model_counters(mb, pb);
	bpf_pcounters(kb);
	t0 = sg_now_ns();
	c0 = coarse_ns();
	if (egress)
		tc_egress_run(&f, &r);
	else
		xdp_run(&f, &r);
	c1 = coarse_ns();
	if (r.verdict < 0) {
		/* the test runner refused the frame (e.g. an skb too short for
		 * the IP header its ethertype names): no program ran */
		F.refused++;
		return;
	}
	bpf_pcounters(ka);
	sg_model_set_time(t0, c0);
	mv = egress ? sg_model_tc_egress(b, len, mout, &mlen) :
		      sg_model_xdp(b, len, mout, &mlen, &mmeta);
	model_counters(ma, pa);
	F.frames++;
	egress ? F.egress++ : F.xdp++;
	F.multibuf += !egress && len > FUZZ_LINEAR_MAX;

	if (r.verdict != mv)
		mismatch("%s: kernel %d, model %d", egress ? "egress" : "xdp",
			 r.verdict, mv);
	if (!egress && r.verdict == XDP_TX) {
		memcpy(last_synack.b, r.out, r.len);
		last_synack.len = r.len;
	}
	if (!egress)
		check_xdp_output(b, len, &r);
	else if (r.verdict != 0 /* TC_ACT_OK */ || r.len != len || memcmp(r.out, b, len))
		mismatch("egress changed the frame or its verdict (%d)", r.verdict);
	if (mmeta != r.meta_len ||
	    (mmeta && memcmp(mout, &r.meta, mmeta)))
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
			mismatch("counter %s: kernel +%llu, model +%llu",
				 sg_counter_names[i], (unsigned long long)r.delta[i],
				 (unsigned long long)(ma[i] - mb[i]));
	for (int i = 0; i < SG_PCNT_MAX; i++)
		if (ka[i] - kb[i] != pa[i] - pb[i])
			mismatch("port counter %d: kernel +%llu, model +%llu", i,
				 (unsigned long long)(ka[i] - kb[i]),
				 (unsigned long long)(pa[i] - pb[i]));
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
	/* creation and last-seen times come from two clocks */
	k.created_ns = k.last_ns = m.created_ns = m.last_ns = 0;
	if (memcmp(&k, &m, sizeof(k)))
		mismatch("%s: entry differs (kernel state %u/%u, model %u/%u)",
			 t->name, k.state, k.rstate, m.state, m.rstate);
	if (m.state >= SG_STATE_MAX || m.rstate >= SG_STATE_MAX ||
	    embryonic_state(m.state) != t->embryonic)
		mismatch("%s: entry in state %u", t->name, m.state);
	t->n++;
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
static void tables_cmp_clear(int fd, void *mm, const char *name,
			     bool embryonic, size_t ksize,
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
	if (memcmp(k.states, m.states, sizeof(k.states)) ||
	    k.synced != m.synced || k.embryonic != m.embryonic)
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

	if (!size)
		return 0;
	F.inputs++;
	last_synack.len = 0;
	configure(data[0]);
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
		if (ctl & 4) {
			if (answer_synack(&ack, len % 64, len))
				run_one(false, ack.b, ack.len);
		} else if (len >= 14 && len <= FUZZ_FRAME_MAX)
			/* the runner refuses frames shorter than Ethernet */
			run_one(ctl & 1, data + off, len);
		off += len;
	}
	walk_cmp();
	tables_cmp_clear(T.ct_synced, F.msynced, "sg_ct_synced", false,
			 sizeof(struct sg_ct_key), ct_entry_cmp);
	tables_cmp_clear(T.ct_embryonic, F.membryonic, "sg_ct_embryonic", true,
			 sizeof(struct sg_ct_key), ct_entry_cmp);
	tables_cmp_clear(F.budget_fd, F.mbudget, "sg_budget", false,
			 sizeof(struct sg_budget_key), budget_cmp);
	return 0;
}
