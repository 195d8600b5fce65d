// SPDX-License-Identifier: GPL-2.0
/* sg_bench: per-packet cost of synguard's XDP program through
 * BPF_PROG_TEST_RUN, side by side with a floor program (swap MACs,
 * addresses and ports, XDP_TX) and a drop program (the harness's own
 * overhead); the connection table's memory per flow.
 *
 * Every run is repeat = 1: the kernel does not restore the packet between
 * repeats, so a rewriting program would be fed its own output. Each case
 * runs every candidate on the same frame, in turn (a different one first
 * each time), RUNS times; the figure is the median of the kernel-reported
 * durations. Nothing is pinned: this never touches a running synguard.
 *
 *   sg_bench [-n RUNS] [-f FLOWS,...] [-c CPU] [-k CASE] [-o FILE.json] [-q]
 *            [--obj FILE] [--vs NAME=FILE]... [--synproxy FILE]
 *   sg_bench --populate PINNED_CT_MAP -f N    fill a pinned sg_ct_synced
 *   sg_bench flood ...                        the end-to-end floods (flood.c)
 *   sg_bench stats-hold                       BPF run-time stats on until killed
 *
 * --synproxy FILE adds the kernel's XDP synproxy selftest program
 * (xdp_synproxy_kern.c, built by tests/bench/synproxy.sh) as a candidate
 * of the SYN cases.
 *
 * --obj benchmarks another build of synguard.bpf.o (clang 14, say);
 * --vs adds one as a candidate beside it, configured the same way, so two
 * builds are compared within one run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "libsynguard.h"
#include "frame.h"
#include "synguard.skel.h"
#include "bench_floor.skel.h"
#include "bench_drop.skel.h"
#include "bench_lookup.skel.h"
#include "flood.h"

#define PORT 80
#define MTU 1500
#define MAX_VS 6
#define PERIOD_NS (60ull * 1000000000ull)

static bool quiet;
static const char *only; /* -k: only cases whose name contains it */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sg_bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static bool wanted(const char *name)
{
	return !only || strstr(name, only);
}

/* ---- frames --------------------------------------------------------------- */

/* Linux's SYN options: MSS, SACK-permitted, (timestamps,) window scale.
 * Flows of SYNs start at SYN_FLOW0: never one of a table's established
 * flows (0..n-1). */
#define SYN_FLOW0 0x4000000u

/* Candidate k's own copy of flow fl: its source port moved. The ACK
 * paths ask the kernel's socket and conntrack tables, which every loaded
 * copy shares; on one tuple, the copy that ran first warmed their buckets
 * for the others (a second copy of the same object measured 170-200 ns
 * less a spoofed ACK, of ~1,000). */
static void flow_for_cand(struct flow *fl, int k)
{
	fl->sport = (uint16_t)(fl->sport + k * 4099);
}

/* The SYN of flow i, as candidate k sends it (flow_for_cand). */
static struct frame syn_frame(int family, bool ts, uint32_t i, int k)
{
	struct tcpopts t = { .mss = family == 4 ? 1460 : 1440,
			     .wscale = 7,
			     .sack_perm = true,
			     .ts = ts,
			     .tsval = 0x01000000u + i };
	struct flow fl = flow_client(family, SYN_FLOW0 + i, PORT);
	uint8_t o[40];
	struct seg s = { .seq = 0x20000000u + i * 2654435761u, .flags = TH_SYN, .opt = o };

	flow_for_cand(&fl, k);
	struct frame f;

	s.optlen = opts_build(o, &t);
	frame_build(&f, &fl, &s);
	return f;
}

/* The tracker's key of an inbound segment of flow fl (as sg_ct_make_key). */
static void ct_key(struct sg_ct_key *k, const struct flow *fl)
{
	memset(k, 0, sizeof(*k));
	k->family = (__u8)fl->family;
	k->lport = fl->dport;
	k->rport = fl->sport;
	memcpy(k->laddr, fl->daddr, 16);
	memcpy(k->raddr, fl->saddr, 16);
}

/* Flow i of a table of established connections: local and remote ISNs. */
static uint32_t est_lisn(uint32_t i)
{
	return 0x10000000u + i * 7919u;
}
static uint32_t est_risn(uint32_t i)
{
	return 0x50000000u + i * 104729u;
}

/* One side of an established flow, its ISN isn and the other's peer. */
static struct sg_ct_dir est_dir(uint32_t isn, uint32_t peer)
{
	return (struct sg_ct_dir){ .isn = isn,
				   .snd_nxt = isn + 1,
				   .ack = peer + 1,
				   .win = 64240u << 7,
				   .wscale = 7,
				   .flags = SG_CTD_SYN | SG_CTD_ACKED };
}

static void est_entry(struct sg_ct_entry *e, uint32_t i, __u64 now)
{
	memset(e, 0, sizeof(*e));
	e->created_ns = now;
	e->last_ns = now;
	e->state = SG_ESTABLISHED;
	e->rstate = SG_ESTABLISHED;
	e->local = est_dir(est_lisn(i), est_risn(i));
	e->remote = est_dir(est_risn(i), est_lisn(i));
	e->pkts_in = 3;
	e->pkts_out = 2;
}

/* An in-window data segment (64 bytes) of established flow i. */
static struct frame est_frame(uint32_t i)
{
	struct flow fl = flow_client(4, i, PORT);
	struct seg s = { .seq = est_risn(i) + 1,
			 .ack = est_lisn(i) + 1,
			 .flags = TH_ACK | TH_PSH,
			 .paylen = 64 };
	struct frame f;

	frame_build(&f, &fl, &s);
	return f;
}

/* Fill a synced table with established flows 0..n-1; returns seconds. */
static double populate(int fd, uint32_t n)
{
	const uint32_t chunk = 65536;
	struct sg_ct_key *keys = calloc(chunk, sizeof(*keys));
	struct sg_ct_entry *vals = calloc(chunk, sizeof(*vals));
	__u64 now = sg_now_ns(), t0 = now;

	if (!keys || !vals)
		die("out of memory");
	for (uint32_t base = 0; base < n; base += chunk) {
		uint32_t cnt = n - base < chunk ? n - base : chunk;
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		for (uint32_t j = 0; j < cnt; j++) {
			struct flow fl = flow_client(4, base + j, PORT);

			ct_key(&keys[j], &fl);
			est_entry(&vals[j], base + j, now);
		}
		if (bpf_map_update_batch(fd, keys, vals, &cnt, &bo))
			die("populate: %s", strerror(errno));
	}
	free(keys);
	free(vals);
	return (double)(sg_now_ns() - t0) / 1e9;
}

/* Share of flows 0..n-1 really in the table (LRU may have evicted). */
static double present_fraction(int fd, uint32_t n)
{
	const uint32_t samples = 10000;
	struct sg_ct_entry e;
	struct sg_ct_key k;
	uint32_t hit = 0;

	for (uint32_t i = 0; i < samples; i++) {
		struct flow fl = flow_client(4, (uint32_t)((uint64_t)i * n / samples), PORT);

		ct_key(&k, &fl);
		hit += bpf_map_lookup_elem(fd, &k, &e) == 0;
	}
	return (double)hit / samples;
}

/* ---- synguard objects ----------------------------------------------------- */

/* One loaded copy of synguard's programs and maps. */
struct sgo {
	const char *name;
	const char *path; /* NULL: this build's, from the skeleton */
	struct bpf_object *obj;
	int xdp, walk, config, secrets, ports, synced, embryonic;
};

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m)
		die("no map %s in the object", name);
	return bpf_map__fd(m);
}

/* Load with tables of the daemon's default sizes unless told (0). */
static void sgo_load(struct sgo *o, uint32_t synced, uint32_t embryonic)
{
	struct bpf_program *prog;
	struct bpf_map *m;
	size_t len;

	if (o->path) {
		o->obj = bpf_object__open_file(o->path, NULL);
	} else {
		const void *elf = synguard_bpf__elf_bytes(&len);

		o->obj = bpf_object__open_mem(elf, len, NULL);
	}
	if (!o->obj)
		die("open %s: %s", o->path ? o->path : "synguard.bpf.o", strerror(errno));
	bpf_object__for_each_map(m, o->obj) bpf_map__set_pin_path(m, NULL);
	/* the daemon's default table size, from its settings table */
	synced = synced ? synced : (uint32_t)strtoul(sg_setting_find("ct_size")->def, NULL, 0);
	embryonic = embryonic ? embryonic : synced / 4;
	if (bpf_map__set_max_entries(bpf_object__find_map_by_name(o->obj, "sg_ct_synced"),
				     synced) ||
	    bpf_map__set_max_entries(bpf_object__find_map_by_name(o->obj, "sg_ct_embryonic"),
				     embryonic))
		die("%s: cannot size the tables", o->name);
	/* the tracker filter, as the daemon sizes it (older builds lack it) */
	m = bpf_object__find_map_by_name(o->obj, "sg_ct_bits");
	if (m)
		bpf_map__set_max_entries(m, sg_bits_entries(synced));
	if (bpf_object__load(o->obj))
		die("load %s: %s", o->name, strerror(errno));
	prog = bpf_object__find_program_by_name(o->obj, "sg_xdp");
	if (!prog)
		die("%s: no sg_xdp program", o->name);
	o->xdp = bpf_program__fd(prog);
	prog = bpf_object__find_program_by_name(o->obj, "sg_walk");
	if (!prog)
		die("%s: no sg_walk program", o->name);
	o->walk = bpf_program__fd(prog);
	o->config = map_fd(o->obj, "sg_config");
	o->secrets = map_fd(o->obj, "sg_secrets");
	o->ports = map_fd(o->obj, "sg_ports");
	o->synced = map_fd(o->obj, "sg_ct_synced");
	o->embryonic = map_fd(o->obj, "sg_ct_embryonic");
}

/* Configure as synguardd does on a 1500-byte NIC protecting PORT, with
 * mode (on/off) and the given cookie secrets (the same for every copy,
 * so that one copy's SYN-ACK is valid for another). */
static void sgo_configure(const struct sgo *o, const char *mode,
			  const struct sg_secret_state *secrets)
{
	static __u16 slots[65536];
	struct sg_sysctls sy = {};
	struct sg_config c = {};
	struct sg_portset ps;
	char setting[32], port[8];
	__u32 zero = 0;

	sg_read_sysctls(&sy);
	sg_config_defaults(&c, &sy);
	sg_config_kernel(&c, &sy, MTU);
	snprintf(setting, sizeof(setting), "mode=%s", mode);
	snprintf(port, sizeof(port), "%d", PORT);
	if (sg_config_set(&c, setting, PERIOD_NS) || sg_config_write(o->config, &c) ||
	    sg_ports_parse(port, &ps))
		die("%s: cannot configure", o->name);
	sg_ports_slots(&ps, NULL, slots);
	if (sg_ports_write(o->ports, slots) || bpf_map_update_elem(o->secrets, &zero, secrets, 0))
		die("%s: cannot configure ports/secrets", o->name);
}

static void sgo_close(struct sgo *o)
{
	bpf_object__close(o->obj);
	o->obj = NULL;
}

/* Bytes the kernel charges for a map (fdinfo "memlock:"). */
static uint64_t map_memlock(int fd)
{
	char path[64], line[256];
	unsigned long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* ---- runs ----------------------------------------------------------------- */

/* A program run side by side with the others of a case. */
struct cand {
	const char *name;
	int fd;
	int expect; /* its verdict on every frame of the case */
	uint32_t *ns;
	uint32_t n, bad;
};

/* per thread: cases_percpu runs programs from several at once */
static __thread uint8_t outbuf[FRAME_MAX + 256];

static int run_once(int fd, const struct frame *f, uint32_t *dur, uint32_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .data_out = outbuf, .data_size_out = sizeof(outbuf), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		die("BPF_PROG_TEST_RUN: %s", strerror(errno));
	*dur = o.duration;
	if (out_len)
		*out_len = o.data_size_out;
	return (int)o.retval;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct stat_s {
	double median, p10, p90;
};

static struct stat_s stats_of(struct cand *c)
{
	struct stat_s r = { 0 };

	if (!c->n)
		return r;
	qsort(c->ns, c->n, sizeof(*c->ns), cmp_u32);
	r.median = c->n % 2 ? c->ns[c->n / 2] : (c->ns[c->n / 2 - 1] + c->ns[c->n / 2]) / 2.0;
	r.p10 = c->ns[c->n / 10];
	r.p90 = c->ns[c->n * 9 / 10];
	return r;
}

/* ---- JSON and the table --------------------------------------------------- */

/* The JSON file: cases as they run; tables gathered, written at the end. */
static FILE *js, *js_tables, *js_percpu;
static char *tables_buf, *percpu_buf;
static size_t tables_len, percpu_len;

static int js_ncases, js_ntables, js_npercpu;

/* c[0] is synguard, c[nc-2] the floor, c[nc-1] the drop program. */
static void report(const char *name, const char *desc, uint32_t flows, struct cand *c, int nc)
{
	struct stat_s s[MAX_VS + 4];
	double fl, dr;
	int i;

	for (i = 0; i < nc; i++)
		s[i] = stats_of(&c[i]);
	fl = s[nc - 2].median;
	dr = s[nc - 1].median;
	if (!quiet) {
		printf("%-24s %8.0f %6.0f %6.0f %6.0f %6.2f %6.0f %4u\n", name, s[0].median,
		       s[0].p10, s[0].p90, fl, fl > 0 ? s[0].median / fl : 0, dr, c[0].bad);
		for (i = 1; i < nc - 2; i++)
			printf("  %-22s %8.0f %6.0f %6.0f %6s %6.2f %6s %4u\n", c[i].name,
			       s[i].median, s[i].p10, s[i].p90, "", fl > 0 ? s[i].median / fl : 0,
			       "", c[i].bad);
		fflush(stdout);
	}
	if (!js)
		return;
	fprintf(js,
		"%s\n    {\"case\": \"%s\", \"desc\": \"%s\", \"flows\": %u, "
		"\"runs\": %u, \"bad_verdicts\": %u, \"ns_median\": %.1f, "
		"\"ns_p10\": %.1f, \"ns_p90\": %.1f, \"floor_ns_median\": %.1f, "
		"\"drop_ns_median\": %.1f, \"ratio_to_floor\": %.3f, "
		"\"net_ns_median\": %.1f, \"floor_bad_verdicts\": %u, "
		"\"candidates\": [",
		js_ncases++ ? "," : "", name, desc, flows, c[0].n, c[0].bad, s[0].median, s[0].p10,
		s[0].p90, fl, dr, fl > 0 ? s[0].median / fl : 0, s[0].median - dr, c[nc - 2].bad);
	for (i = 1; i < nc - 2; i++)
		fprintf(js,
			"%s{\"name\": \"%s\", \"ns_median\": %.1f, "
			"\"ns_p10\": %.1f, \"ns_p90\": %.1f, "
			"\"ratio_to_floor\": %.3f, \"bad_verdicts\": %u}",
			i > 1 ? ", " : "", c[i].name, s[i].median, s[i].p10, s[i].p90,
			fl > 0 ? s[i].median / fl : 0, c[i].bad);
	fprintf(js, "]}");
}

/* Runs every candidate k on frame make(i, k), i = 0..runs-1, in turn
 * (starting with a different one each run), after a warm-up. Frames of stateless cases are the same for every k; a case
 * that looks up state gives each candidate its own flow, so that no
 * candidate finds the cache warmed by the one before. */
typedef struct frame (*make_fn)(uint32_t i, int k, void *arg);

static void run_case(const char *name, const char *desc, uint32_t flows, struct cand *c, int nc,
		     uint32_t runs, make_fn make, void *arg)
{
	uint32_t warm = runs / 20 + 10, d;

	for (int k = 0; k < nc; k++) {
		c[k].ns = calloc(runs, sizeof(*c[k].ns));
		if (!c[k].ns)
			die("out of memory");
		c[k].n = c[k].bad = 0;
	}
	for (uint32_t i = 0; i < runs + warm; i++) {
		bool rec = i >= warm;
		/* warm-up frames come after the recorded ones: no flow twice */
		uint32_t idx = rec ? i - warm : runs + i;

		/* each run starts with another candidate: whichever goes
		 * first meets the frame's cache lines cold (~20 ns) */
		for (int j = 0; j < nc; j++) {
			int k = (int)((i + (uint32_t)j) % (uint32_t)nc);
			struct frame f = make(idx, k, arg);
			int ret = run_once(c[k].fd, &f, &d, NULL);

			if (!rec)
				continue;
			c[k].ns[c[k].n++] = d;
			c[k].bad += ret != c[k].expect;
		}
	}
	report(name, desc, flows, c, nc);
	for (int k = 0; k < nc; k++)
		free(c[k].ns);
}

/* ---- cases ---------------------------------------------------------------- */

struct bench {
	uint32_t runs;
	struct sgo sg[1 + MAX_VS]; /* [0] the build under test */
	int nsg;
	int floor, drop, lookup;
	struct bench_lookup_bpf *lk;
	struct sg_secret_state secrets;
	int synproxy; /* the kernel's selftest program, or -1 */
};

/* Candidates: every synguard copy (verdict expect), the extra program if
 * any (same verdict), then floor and drop. */
static int cands(struct bench *b, struct cand *c, int expect, const char *xname, int xfd)
{
	int n = 0;

	for (int i = 0; i < b->nsg; i++)
		c[n++] = (struct cand){ .name = b->sg[i].name,
					.fd = b->sg[i].xdp,
					.expect = expect };
	if (xname)
		c[n++] = (struct cand){ .name = xname, .fd = xfd, .expect = expect };
	c[n++] = (struct cand){ .name = "floor", .fd = b->floor, .expect = XDP_TX };
	c[n++] = (struct cand){ .name = "drop", .fd = b->drop, .expect = XDP_DROP };
	return n;
}

/* A sweep, as the daemon runs one each second (expiry, tracker filter). */
static void sweep_all(struct bench *b)
{
	struct sg_walk_args wa;

	for (int i = 0; i < b->nsg; i++)
		if (sg_walk_run(b->sg[i].walk, 1, &wa))
			die("%s: sweep failed", b->sg[i].name);
}

static void load_all(struct bench *b, uint32_t synced, const char *mode)
{
	for (int i = 0; i < b->nsg; i++) {
		sgo_load(&b->sg[i], synced, 0);
		sgo_configure(&b->sg[i], mode, &b->secrets);
	}
	sweep_all(b);
}

static void close_all(struct bench *b)
{
	for (int i = 0; i < b->nsg; i++)
		sgo_close(&b->sg[i]);
}

struct syn_arg {
	int family;
	bool ts;
};

static struct frame make_syn(uint32_t i, int k __attribute__((unused)), void *arg)
{
	struct syn_arg *a = arg;

	return syn_frame(a->family, a->ts, i, 0);
}

/* SYN -> cookie SYN-ACK, and (cookie mode off) SYN -> tracked, passed. */
static void cases_syn(struct bench *b)
{
	static const struct {
		const char *name, *desc;
		struct syn_arg a;
	} t[] = {
		{ "syn_synack_v4", "IPv4 SYN (MSS,SACK,WS) -> cookie SYN-ACK", { 4, false } },
		{ "syn_synack_v4_ts", "IPv4 SYN (MSS,SACK,TS,WS) -> cookie SYN-ACK", { 4, true } },
		{ "syn_synack_v6", "IPv6 SYN (MSS,SACK,WS) -> cookie SYN-ACK", { 6, false } },
		{ "syn_synack_v6_ts", "IPv6 SYN (MSS,SACK,TS,WS) -> cookie SYN-ACK", { 6, true } },
	};
	struct cand c[MAX_VS + 4];
	struct syn_arg a4 = { 4, true };
	int nc;

	load_all(b, 0, "on");
	nc = cands(b, c, XDP_TX, b->synproxy >= 0 ? "kernel_synproxy" : NULL, b->synproxy);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (wanted(t[i].name))
			run_case(t[i].name, t[i].desc, 0, c, nc, b->runs, make_syn,
				 (void *)&t[i].a);
	close_all(b);

	if (!wanted("syn_pass_v4"))
		return;
	/* every SYN a new embryonic entry: the stateful path of mode off */
	load_all(b, 0, "off");
	nc = cands(b, c, XDP_PASS, NULL, 0);
	run_case("syn_pass_v4", "IPv4 SYN, cookie mode off -> tracked (SYN_RCVD), PASS", 0, c, nc,
		 b->runs, make_syn, &a4);
	close_all(b);
}

/* ---- policy and visibility: what each feature adds to the SYN path ------------ */

/* Settings of sg_config on every copy, as synguard set would write them. */
static void set_all(struct bench *b, const char *const *kv)
{
	for (int i = 0; i < b->nsg; i++) {
		struct sg_config c;

		if (sg_config_read(b->sg[i].config, &c))
			die("%s: cannot read the config", b->sg[i].name);
		for (const char *const *x = kv; x && *x; x++)
			if (sg_config_set(&c, *x, PERIOD_NS))
				die("%s: bad setting %s", b->sg[i].name, *x);
		if (sg_config_write(b->sg[i].config, &c))
			die("%s: cannot write the config", b->sg[i].name);
	}
}

/* The lists on every copy, and their flags in its config. */
static void lists_all(struct bench *b, const char *allow, const char *deny)
{
	static struct sg_plist al, dl;
	const struct sg_setting *st = sg_setting_find("allow.prefixes");
	char err[256];

	if (st->type->parse(st, &al, allow, err, sizeof(err)) ||
	    st->type->parse(st, &dl, deny, err, sizeof(err)))
		die("lists: %s", err);
	for (int i = 0; i < b->nsg; i++) {
		struct sg_config c;

		if (!bpf_object__find_map_by_name(b->sg[i].obj, "sg_policy"))
			continue; /* an older build */
		if (sg_config_read(b->sg[i].config, &c) ||
		    sg_policy_write(map_fd(b->sg[i].obj, "sg_policy"),
				    map_fd(b->sg[i].obj, "sg_policy_bits"), &al, &dl, &c.policy) ||
		    sg_config_write(b->sg[i].config, &c))
			die("%s: cannot write the lists", b->sg[i].name);
	}
}

/* "100.64.0.0/24, 100.64.1.0/24, ...": n /24s from a.b.0.0 on. */
static char *prefixes(int a, int b, int n, int c0)
{
	size_t len = (size_t)n * 20 + 1;
	char *s = calloc(1, len), *p = s;

	for (int i = 0; i < n; i++)
		p += snprintf(p, len - (size_t)(p - s), "%s%d.%d.%d.0/24", i ? ", " : "", a,
			      b + (c0 + i) / 256, (c0 + i) % 256);
	return s;
}

/* Every source of the SYNs a case sends, learned (then a sweep makes the
 * filter know them). */
static void learn_all(struct bench *b, uint32_t n)
{
	struct sg_learned v = { .seen_ns = sg_now_ns() };

	for (int i = 0; i < b->nsg; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(b->sg[i].obj, "sg_learned");

		for (uint32_t j = 0; m && j < n && j < 65536; j++) {
			struct flow fl = flow_client(4, SYN_FLOW0 + j, PORT);
			struct sg_src_key k = { .family = 4, .plen = 32 };

			k.addr[0] = fl.saddr[0];
			bpf_map__update_elem(m, &k, sizeof(k), &v, sizeof(v), BPF_ANY);
		}
	}
	sweep_all(b);
}

/* One heavy source: the same address every run (another port). */
static struct frame make_syn_known(uint32_t i, int k __attribute__((unused)),
				   void *arg __attribute__((unused)))
{
	struct frame f = syn_frame(4, false, 0, 0);
	int l4 = 14 + 20;

	put16(f.b + l4, (uint16_t)(1024 + i % 60000));
	/* the port moved: the checksum moves with it */
	put16(f.b + l4 + 16, 0);
	put16(f.b + l4 + 16, csum_fold(csum_add(csum_pseudo(4, (uint32_t *)(f.b + 26),
							    (uint32_t *)(f.b + 30), f.len - l4),
						f.b + l4, f.len - l4)));
	return f;
}

/* SYNs from every source while a reader drains the events ring buffer. */
static struct ring_buffer *bench_rb;

static int drop_event(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

static struct frame make_syn_drained(uint32_t i, int k, void *arg)
{
	if (bench_rb && !(i % 256) && !k)
		ring_buffer__consume(bench_rb);
	return make_syn(i, k, arg);
}

static void cases_policy(struct bench *b)
{
	static const char *const off[] = { "top.threshold=0", NULL };
	static const char *const budget[] = { "top.threshold=0", "syn_budget.rate=100",
					      "syn_budget.burst=50", NULL };
	static const char *const heavy[] = { "top.threshold=0", "syn_budget.rate=10000000",
					     "syn_budget.burst=10", NULL };
	static const char *const caps[] = { "top.threshold=0",          "synack.rate=100000000",
					    "synack.burst=1000000",     "synack.dest_rate=1000000",
					    "synack.dest_burst=100000", NULL };
	static const char *const overcap[] = { "synack.rate=1", "synack.burst=1", NULL };
	static const char *const learn[] = { "top.threshold=0", "learn.time=3600", NULL };
	static const char *const top[] = { "top.threshold=100", NULL };
	static const char *const events[] = { "top.threshold=0", "events.rate=1000", NULL };
	static const char *const every[] = { "top.threshold=0", "events.rate=0", NULL };
	static const char *const shadow[] = { "top.threshold=0", "mode=shadow", NULL };
	const struct {
		const char *name, *desc;
		const char *const *set;
		int lists; /* 1: deny elsewhere, 2: deny in the SYNs' /16, 3: allow them */
		bool learned, known, lease, drained;
		int expect;
	} t[] = {
		{ "syn_policy_off",
		  "IPv4 SYN -> cookie SYN-ACK, every policy feature off (top.threshold=0)", off, 0,
		  false, false, false, false, XDP_TX },
		{ "syn_top", "...with top.threshold=100 (the sketch counts every SYN): the default",
		  top, 0, false, false, false, false, XDP_TX },
		{ "syn_budget_flood",
		  "...SYN budget on, a new source every SYN (sketch only: below the gate)", budget,
		  0, false, false, false, false, XDP_TX },
		{ "syn_budget_heavy",
		  "...SYN budget on, one source every SYN (its exact bucket in the LRU)", heavy, 0,
		  false, true, false, false, XDP_TX },
		{ "syn_synack_caps",
		  "...SYN-ACK caps on, global and per destination, a new source every SYN", caps, 0,
		  false, false, false, false, XDP_TX },
		{ "syn_over_cap",
		  "...over synack.rate (this CPU's share spent), a new source every SYN, the "
		  "sketch on (the default): dropped unanswered",
		  overcap, 0, false, false, false, false, XDP_DROP },
		{ "syn_deny_other",
		  "...1000 denied /24s, the source's /16 not among them (the filter says no)", off,
		  1, false, false, false, false, XDP_TX },
		{ "syn_deny_near",
		  "...1000 denied /24s in the source's /16, not it (an LPM lookup, a miss)", off, 2,
		  false, false, false, false, XDP_TX },
		{ "syn_allowed",
		  "...the source allowed (/16): to the kernel, tracked (compare syn_pass_v4)", off,
		  3, false, false, false, false, XDP_PASS },
		{ "syn_learn_miss",
		  "...learn.time on, the source not learned (the filter, then a cookie)", learn, 0,
		  false, false, false, false, XDP_TX },
		{ "syn_learned",
		  "...learn.time on, the source learned: to the kernel, tracked (compare syn_pass_v4)",
		  learn, 0, true, false, false, false, XDP_PASS },
		{ "syn_events_reader",
		  "...a reader holds the events lease, events.rate=1000 (most not sampled)", events,
		  0, false, false, true, false, XDP_TX },
		{ "syn_events_every",
		  "...a reader drains the ring, events.rate=0: every SYN sampled", every, 0, false,
		  false, true, true, XDP_TX },
		{ "syn_shadow",
		  "...mode shadow, would-be cookie mode on: counted, passed untouched", shadow, 0,
		  false, false, false, false, XDP_PASS },
	};
	struct cand c[MAX_VS + 4];
	struct syn_arg a4 = { 4, false };
	/* the SYNs come from 198.18.0-78.x (flow_client): near is their /16,
	 * 198.18.100-255.0/24, and more /24s elsewhere, 1000 in all */
	char *other = prefixes(100, 64, 1000, 0), *near_in = prefixes(198, 18, 156, 100);
	char *near_out = prefixes(100, 64, 844, 0),
	     *near = malloc(strlen(near_in) + strlen(near_out) + 3);

	sprintf(near, "%s, %s", near_in, near_out);
	free(near_in);
	free(near_out);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		make_fn make = t[i].known     ? make_syn_known
			       : t[i].drained ? make_syn_drained
					      : make_syn;
		int nc;

		if (!wanted(t[i].name))
			continue;
		load_all(b, 0, "on");
		set_all(b, t[i].set);
		if (t[i].lists)
			lists_all(b, t[i].lists == 3 ? "198.18.0.0/16" : "",
				  t[i].lists == 1   ? other
				  : t[i].lists == 2 ? near
						    : "");
		if (t[i].learned)
			learn_all(b, b->runs + b->runs / 20 + 16);
		if (t[i].lease) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
			for (int j = 0; j < b->nsg; j++) {
				struct sg_config cf;

				sg_config_read(b->sg[j].config, &cf);
				cf.events_until_ns = (__u64)now.tv_sec * 1000000000ull +
						     (__u64)now.tv_nsec + 3600ull * 1000000000ull;
				sg_config_write(b->sg[j].config, &cf);
			}
		}
		if (!strcmp(t[i].name, "syn_shadow"))
			for (int j = 0; j < b->nsg; j++) {
				struct sg_config cf;

				sg_config_read(b->sg[j].config, &cf);
				cf.cookie_active = 1; /* what auto mode would do under a flood */
				sg_config_write(b->sg[j].config, &cf);
			}
		bench_rb = t[i].drained ? ring_buffer__new(map_fd(b->sg[0].obj, "sg_events"),
							   drop_event, NULL, NULL)
					: NULL;
		nc = cands(b, c, t[i].expect, NULL, 0);
		run_case(t[i].name, t[i].desc, 0, c, nc, b->runs, make, &a4);
		ring_buffer__free(bench_rb);
		bench_rb = NULL;
		close_all(b);
	}
	free(other);
	free(near);
}

/* ACKs: valid cookies (SYN-ACKs made beforehand, one flow per run, so
 * each ACK is its flow's first), bad cookies, unprotected port. */
/* ACKs of flows 0..n-1, each candidate below ncand its own copy of
 * each (flow_for_cand); the floor and drop, which ask no table, take
 * copy 0. */
struct ack_arg {
	uint32_t n;
	int ncand;
	uint32_t *isn, *tsval; /* of the SYN-ACK of flow i, copy k: [i * ncand + k] */
	bool ts;
	uint16_t dport;
};

static void ack_arg_alloc(struct ack_arg *a)
{
	a->isn = calloc((size_t)a->n * (size_t)a->ncand, sizeof(*a->isn));
	a->tsval = calloc((size_t)a->n * (size_t)a->ncand, sizeof(*a->tsval));
	if (!a->isn || !a->tsval)
		die("out of memory");
}

static void ack_arg_free(struct ack_arg *a)
{
	free(a->isn);
	free(a->tsval);
}

static struct frame make_valid_ack(uint32_t i, int k, void *arg)
{
	struct ack_arg *a = arg;
	uint32_t at = (i % a->n) * (uint32_t)a->ncand + (uint32_t)(k < a->ncand ? k : 0);
	struct flow fl = flow_client(4, SYN_FLOW0 + i % a->n, PORT);
	struct tcpopts t = {
		.ts = true, .wscale = -1, .tsval = 0x01000000u + i % a->n + 1, .tsecr = a->tsval[at]
	};
	uint8_t o[40];
	struct seg s = { .seq = 0x20000000u + (i % a->n) * 2654435761u + 1,
			 .ack = a->isn[at] + 1,
			 .flags = TH_ACK,
			 .opt = o };
	struct frame f;

	flow_for_cand(&fl, k < a->ncand ? k : 0);
	if (a->ts)
		s.optlen = opts_build(o, &t);
	frame_build(&f, &fl, &s);
	return f;
}

static struct frame make_bad_ack(uint32_t i, int k, void *arg)
{
	struct ack_arg *a = arg;
	/* flows no other case uses: nothing tracked, no cookie */
	struct flow fl = flow_client(4, 2 * SYN_FLOW0 + i, a->dport);
	struct seg s = { .seq = i * 2654435761u, .ack = i * 40503u + 7, .flags = TH_ACK };
	struct frame f;

	flow_for_cand(&fl, k < a->ncand ? k : 0);
	frame_build(&f, &fl, &s);
	return f;
}

/* The cookie SYN-ACK of every flow and copy (the copies share secrets). */
static void synacks_of(struct bench *b, struct ack_arg *a)
{
	uint32_t d, len;

	for (uint32_t i = 0; i < a->n; i++) {
		for (int k = 0; k < a->ncand; k++) {
			struct frame f = syn_frame(4, a->ts, i, k);
			uint32_t at = i * (uint32_t)a->ncand + (uint32_t)k;
			struct parsed p;

			if (run_once(b->sg[0].xdp, &f, &d, &len) != XDP_TX ||
			    !frame_parse(outbuf, len, &p) || p.flags != (TH_SYN | TH_ACK) ||
			    p.o.ts != a->ts)
				die("SYN %u was not answered with the SYN-ACK expected", i);
			a->isn[at] = p.seq;
			a->tsval[at] = p.o.tsval;
		}
	}
}

static void cases_ack(struct bench *b)
{
	uint32_t n = b->runs + b->runs / 20 + 16;
	struct ack_arg a = { .n = n, .ncand = b->nsg, .dport = PORT };
	struct cand c[MAX_VS + 4];
	int nc;

	if (!wanted("ack_"))
		return;
	ack_arg_alloc(&a);
	for (int ts = 1; ts >= 0; ts--) {
		const char *name = ts ? "ack_cookie_valid_ts" : "ack_cookie_valid";

		if (!wanted(name))
			continue;
		a.ts = ts;
		/* each valid ACK creates an entry: room for all of them */
		load_all(b, n + n / 4 + 4096, "on");
		synacks_of(b, &a);
		nc = cands(b, c, XDP_PASS, NULL, 0);
		run_case(
			name,
			ts ? "IPv4 ACK, valid cookie + TS -> socket attrs in metadata, tracked, PASS"
			   : "IPv4 ACK, valid cookie, no TS -> socket attrs in metadata, tracked, PASS",
			0, c, nc, b->runs, make_valid_ack, &a);
		close_all(b);
	}
	load_all(b, 0, "on");
	nc = cands(b, c, XDP_DROP, NULL, 0);
	if (wanted("ack_cookie_invalid"))
		run_case("ack_cookie_invalid", "IPv4 ACK, bad cookie, no socket -> DROP", 0, c, nc,
			 b->runs, make_bad_ack, &a);
	a.dport = PORT + 1;
	nc = cands(b, c, XDP_PASS, NULL, 0);
	if (wanted("ack_unprotected_port"))
		run_case("ack_unprotected_port",
			 "IPv4 ACK of an unknown flow to an unprotected port -> PASS", 0, c, nc,
			 b->runs, make_bad_ack, &a);
	close_all(b);
	ack_arg_free(&a);
}

struct est_arg {
	uint32_t flows;
	bool hot; /* the same flow every run */
};

static struct frame make_est(uint32_t i, int k, void *arg)
{
	struct est_arg *a = arg;
	uint64_t r = ((uint64_t)i << 3 | (uint64_t)k) * 0x9e3779b97f4a7c15ull;

	/* a pseudo-random flow per run and candidate */
	return est_frame(a->hot ? a->flows / 2 : (uint32_t)((r >> 32) % a->flows));
}

/* The bare lookup program on copy 0's synced table. */
static void lookup_attach(struct bench *b)
{
	struct bpf_map *m;

	b->lk = bench_lookup_bpf__open();
	if (!b->lk)
		die("open the lookup program: %s", strerror(errno));
	bpf_object__for_each_map(m, b->lk->obj) bpf_map__set_pin_path(m, NULL);
	if (bpf_map__reuse_fd(b->lk->maps.sg_ct_synced, b->sg[0].synced) ||
	    bench_lookup_bpf__load(b->lk))
		die("load the lookup program: %s", strerror(errno));
	b->lookup = bpf_program__fd(b->lk->progs.sg_bench_lookup);
}

/* Established segments with n synchronized flows in the table; the table's
 * memory; and with the largest table, a SYN flood through it. */
static void cases_table(struct bench *b, uint32_t n, bool largest)
{
	/* LRU tables evict before they are completely full: some headroom */
	uint32_t size = n + n / 64 + 1024;
	struct cand c[MAX_VS + 5];
	struct est_arg a = { .flows = n };
	struct syn_arg s4 = { 4, false };
	char name[64], desc[160];
	uint64_t synced, emb, all = 0;
	double fill = 0;
	struct bpf_map *m;
	int nc;

	/* established traffic in normal operation: cookie mode off */
	load_all(b, size, "off");
	for (int i = 0; i < b->nsg; i++)
		fill = populate(b->sg[i].synced, n);
	/* the filter learns of entries made from userspace at a sweep; the
	 * second sizes it to them */
	sweep_all(b);
	sweep_all(b);
	synced = map_memlock(b->sg[0].synced);
	emb = map_memlock(b->sg[0].embryonic);
	bpf_object__for_each_map(m, b->sg[0].obj) all += map_memlock(bpf_map__fd(m));
	if (js) {
		fprintf(js_tables,
			"%s\n    {\"table\": %u, \"max_entries\": %u, \"fill_s\": %.3f, "
			"\"present_fraction\": %.4f, \"synced_map_bytes\": %lu, "
			"\"embryonic_map_bytes\": %lu, \"all_maps_bytes\": %lu, "
			"\"bytes_per_flow\": %.1f, \"bytes_per_slot\": %.1f, "
			"\"key_bytes\": %zu, \"value_bytes\": %zu}",
			js_ntables++ ? "," : "", n, size, fill,
			present_fraction(b->sg[0].synced, n), (unsigned long)synced,
			(unsigned long)emb, (unsigned long)all, (double)synced / n,
			(double)synced / size, sizeof(struct sg_ct_key),
			sizeof(struct sg_ct_entry));
	}
	lookup_attach(b);
	/* beside synguard: a bare lookup of the same key in the same table */
	nc = cands(b, c, XDP_PASS, "lookup_only", b->lookup);
	snprintf(name, sizeof(name), "established_%u", n);
	snprintf(desc, sizeof(desc),
		 "IPv4 data segment of a random one of %u ESTABLISHED flows -> PASS", n);
	if (wanted(name))
		run_case(name, desc, n, c, nc, b->runs, make_est, &a);
	if (largest) {
		a.hot = true;
		snprintf(name, sizeof(name), "established_%u_hot", n);
		snprintf(desc, sizeof(desc),
			 "the same one of %u ESTABLISHED flows every run (cache-hot) -> PASS", n);
		if (wanted(name))
			run_case(name, desc, n, c, nc, b->runs, make_est, &a);
		snprintf(name, sizeof(name), "syn_synack_v4_table_%u", n);
		snprintf(desc, sizeof(desc), "IPv4 SYN -> cookie SYN-ACK with %u flows tracked", n);
		for (int i = 0; i < b->nsg; i++)
			sgo_configure(&b->sg[i], "on", &b->secrets);
		nc = cands(b, c, XDP_TX, NULL, 0);
		if (wanted(name))
			run_case(name, desc, n, c, nc, b->runs, make_syn, &s4);
	}
	bench_lookup_bpf__destroy(b->lk);
	close_all(b);
}

/* ---- every CPU at once ---------------------------------------------------- */

/* A program run from one thread per CPU at the same time: what a write to
 * a cache line that CPUs share (a global counter, a bucket, a rate cap)
 * costs shows as a slower run on every CPU than on one alone. */
struct pc_thread {
	pthread_t tid;
	int cpu, fd, expect;
	uint32_t runs, base, bad;
	make_fn make;
	void *arg;
	pthread_barrier_t *start;
	uint32_t *ns;
};

static void *pc_run(void *v)
{
	struct pc_thread *t = v;
	cpu_set_t set;
	uint32_t d;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (t->start)
		pthread_barrier_wait(t->start);
	for (uint32_t i = 0; i < t->runs; i++) {
		struct frame f = t->make(t->base + i, 0, t->arg);

		t->bad += run_once(t->fd, &f, &d, NULL) != t->expect;
		t->ns[i] = d;
	}
	return NULL;
}

static double median_u32(uint32_t *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), cmp_u32);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* Median ns of prog fd on frames make(base..) from n threads at once, on
 * CPUs first..first+n-1; each thread takes its own flows. */
static double pc_measure(int fd, int expect, int first, int n, uint32_t runs, uint32_t base,
			 make_fn make, void *arg, uint32_t *bad)
{
	struct pc_thread t[64];
	pthread_barrier_t start;
	double m = 0;

	if (n > 64)
		n = 64;
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		t[i] = (struct pc_thread){ .cpu = first + i,
					   .fd = fd,
					   .expect = expect,
					   .runs = runs,
					   .base = base + (uint32_t)i * runs,
					   .make = make,
					   .arg = arg,
					   .start = &start,
					   .ns = calloc(runs, sizeof(uint32_t)) };
		if (!t[i].ns || pthread_create(&t[i].tid, NULL, pc_run, &t[i]))
			die("cannot start a thread");
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i].tid, NULL);
		m += median_u32(t[i].ns, runs) / n;
		*bad += t[i].bad;
		free(t[i].ns);
	}
	pthread_barrier_destroy(&start);
	return m;
}

/* Each CPU alone, in turn (the mean of their medians), then every CPU at
 * once, alternating for a few rounds; the medians of the rounds. */
static void pc_case(const char *name, const char *desc, int fd, int expect, uint32_t runs,
		    make_fn make, void *arg)
{
	enum { ROUNDS = 5 };
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t bad = 0, base = 0;
	uint32_t one[ROUNDS], all[ROUNDS];
	double m1, ma;

	for (int r = 0; r < ROUNDS; r++) {
		double sum = 0;

		for (int c = 0; c < ncpu; c++, base += runs)
			sum += pc_measure(fd, expect, c, 1, runs, base, make, arg, &bad);
		one[r] = (uint32_t)(sum / ncpu);
		all[r] = (uint32_t)pc_measure(fd, expect, 0, ncpu, runs, base, make, arg, &bad);
		base += (uint32_t)ncpu * runs;
	}
	m1 = median_u32(one, ROUNDS);
	ma = median_u32(all, ROUNDS);
	if (!quiet)
		printf("%-24s %8.0f each CPU alone, %.0f on each of %d at once: %.2fx%s\n", name,
		       m1, ma, ncpu, m1 > 0 ? ma / m1 : 0, bad ? "  BAD VERDICTS" : "");
	if (!js)
		return;
	fprintf(js_percpu,
		"%s\n    {\"case\": \"%s\", \"desc\": \"%s\", \"cpus\": %d, "
		"\"runs\": %u, \"rounds\": %d, \"ns_one_cpu\": %.1f, \"ns_all_cpus\": %.1f, "
		"\"ratio\": %.3f, \"bad_verdicts\": %u}",
		js_npercpu++ ? "," : "", name, desc, ncpu, runs, ROUNDS, m1, ma,
		m1 > 0 ? ma / m1 : 0, bad);
}

/* Flow i of the table, in order: threads given disjoint ranges of i touch
 * disjoint entries, as receive queues do (make_est picks at random). */
static struct frame make_est_seq(uint32_t i, int k __attribute__((unused)), void *arg)
{
	struct est_arg *a = arg;

	return est_frame(i % a->flows);
}

/* A SYN, a valid and an invalid cookie ACK and an established segment,
 * from one CPU and from every CPU at once, on one loaded copy (cookie mode
 * on, a table of established flows). */
static void cases_percpu(struct bench *b)
{
	uint32_t runs = b->runs / 4 < 2000 ? b->runs / 4 + 10 : 2000;
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t nack = 2 * (uint32_t)ncpu * runs * 5 + 16;
	struct ack_arg a = { .n = nack, .ncand = 1, .dport = PORT, .ts = true };
	struct est_arg e = { .flows = 65536 };
	struct syn_arg s4 = { 4, false };

	if (!wanted("percpu_"))
		return;
	ack_arg_alloc(&a);
	load_all(b, e.flows + e.flows / 64 + 1024, "on");
	populate(b->sg[0].synced, e.flows);
	sweep_all(b);
	sweep_all(b);
	synacks_of(b, &a);
	/* The control: the floor writes no map, so what it loses at once is
	 * the machine's own (shared caches, the hypervisor), not synguard's. */
	pc_case("percpu_floor", "IPv4 SYN -> floor: swap + XDP_TX, no map", b->floor, XDP_TX, runs,
		make_syn, &s4);
	pc_case("percpu_syn", "IPv4 SYN -> cookie SYN-ACK", b->sg[0].xdp, XDP_TX, runs, make_syn,
		&s4);
	pc_case("percpu_ack_cookie", "IPv4 ACK, valid cookie + TS -> PASS", b->sg[0].xdp, XDP_PASS,
		runs, make_valid_ack, &a);
	pc_case("percpu_ack_invalid", "IPv4 ACK, bad cookie, a new source each -> DROP",
		b->sg[0].xdp, XDP_DROP, runs, make_bad_ack, &a);
	pc_case("percpu_established", "IPv4 data segment of one of 65536 ESTABLISHED flows -> PASS",
		b->sg[0].xdp, XDP_PASS, runs, make_est_seq, &e);
	close_all(b);
	ack_arg_free(&a);
}

/* The kernel's XDP synproxy selftest program (the "syncookie_xdp" of
 * tools/testing/selftests/bpf/progs/xdp_synproxy_kern.c), configured as
 * its loader would for PORT: MSS 1460/1440, window scale 7, TTL 64. */
static int synproxy_load(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	__u64 opts = 1460 | 7ull << 16 | 64ull << 24 | 1440ull << 32;
	__u16 ports[2] = { PORT, 0 };
	__u32 k0 = 0, k1 = 1;

	if (!obj || bpf_object__load(obj))
		die("load %s: %s", path, strerror(errno));
	prog = bpf_object__find_program_by_name(obj, "syncookie_xdp");
	if (!prog || bpf_map_update_elem(map_fd(obj, "values"), &k0, &opts, 0) ||
	    bpf_map_update_elem(map_fd(obj, "allowed_ports"), &k0, &ports[0], 0) ||
	    bpf_map_update_elem(map_fd(obj, "allowed_ports"), &k1, &ports[1], 0))
		die("%s: not the synproxy selftest program", path);
	return bpf_program__fd(prog);
}

/* Holds a BPF_ENABLE_STATS fd until a signal ends the process: the kernel
 * times every program run meanwhile. The kernel counts such holders, so
 * concurrent runs cannot turn it off under each other, as they could by
 * writing kernel.bpf_stats_enabled, a sysctl of the whole machine. */
static int stats_hold_main(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0) {
		fprintf(stderr, "sg_bench: cannot enable BPF run-time stats: %s\n",
			strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sg_bench [-n RUNS] [-f FLOWS,...] [-c CPU] [-k CASE] [-o FILE] [-q]\n"
		"                [--obj FILE] [--vs NAME=FILE]... [--synproxy FILE]\n"
		"       sg_bench --populate PINNED_CT_MAP -f N\n"
		"       sg_bench flood ... (sg_bench flood -h)\n"
		"       sg_bench stats-hold\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "populate", required_argument, 0, 'P' },
		{ "obj", required_argument, 0, 'O' },
		{ "vs", required_argument, 0, 'V' },
		{ "synproxy", required_argument, 0, 'S' },
		{ 0, 0, 0, 0 },
	};
	static struct bench b = { .runs = 20000, .nsg = 1, .synproxy = -1 };
	const char *synproxy = NULL;
	const char *out = NULL, *flows_s = "1000,100000,1000000", *pin = NULL;
	uint32_t flows[16], nflows = 0;
	struct bench_floor_bpf *fl;
	struct bench_drop_bpf *dr;
	char *s, *tok, *save, *eq;
	int cpu = -1, c;

	if (argc > 1 && !strcmp(argv[1], "flood"))
		return flood_main(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "stats-hold"))
		return stats_hold_main();
	b.sg[0].name = "synguard";
	while ((c = getopt_long(argc, argv, "n:f:c:k:o:q", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			b.runs = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'f':
			flows_s = optarg;
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'k':
			only = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'P':
			pin = optarg;
			break;
		case 'O':
			b.sg[0].path = optarg;
			break;
		case 'S':
			synproxy = optarg;
			break;
		case 'V':
			eq = strchr(optarg, '=');
			if (!eq || b.nsg > MAX_VS)
				usage();
			*eq = 0;
			b.sg[b.nsg].name = optarg;
			b.sg[b.nsg++].path = eq + 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || b.runs < 10)
		usage();
	s = strdup(flows_s);
	for (tok = strtok_r(s, ",", &save); tok && nflows < 16; tok = strtok_r(NULL, ",", &save))
		if ((flows[nflows] = (uint32_t)strtoul(tok, NULL, 0)))
			nflows++;
	if (!nflows)
		usage();
	sg_quiet_libs(false);

	if (pin) {
		/* fill a running synguard's table, for the CLI timings */
		int fd = bpf_obj_get(pin);
		double t;

		if (fd < 0)
			die("open %s: %s", pin, strerror(errno));
		t = populate(fd, flows[0]);
		printf("{\"populated\": %u, \"seconds\": %.3f, \"present\": %.4f}\n", flows[0], t,
		       present_fraction(fd, flows[0]));
		return 0;
	}

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("pin to CPU %d: %s", cpu, strerror(errno));
	}
	/* a day: no run of the bench sees its secret expire */
	if (sg_secrets_fresh(&b.secrets, 86400ull * SG_NSEC_PER_SEC))
		die("no random secret");
	fl = bench_floor_bpf__open_and_load();
	dr = bench_drop_bpf__open_and_load();
	if (!fl || !dr)
		die("load the floor/drop programs: %s", strerror(errno));
	if (synproxy)
		b.synproxy = synproxy_load(synproxy);
	b.floor = bpf_program__fd(fl->progs.sg_bench_floor);
	b.drop = bpf_program__fd(dr->progs.sg_bench_drop);
	if (out) {
		js = fopen(out, "w");
		if (!js)
			die("%s: %s", out, strerror(errno));
		js_tables = open_memstream(&tables_buf, &tables_len);
		js_percpu = open_memstream(&percpu_buf, &percpu_len);
		if (!js_tables || !js_percpu)
			die("out of memory");
		fprintf(js, "{\"runs\": %u, \"cpu\": %d, \"object\": \"%s\", \"cases\": [", b.runs,
			cpu, b.sg[0].path ? b.sg[0].path : "build");
	}
	if (!quiet)
		printf("%-24s %8s %6s %6s %6s %6s %6s %4s\n", "case (ns/packet)", "median", "p10",
		       "p90", "floor", "ratio", "drop", "bad");
	cases_syn(&b);
	cases_policy(&b);
	cases_ack(&b);
	cases_percpu(&b);
	for (uint32_t i = 0; i < nflows; i++)
		cases_table(&b, flows[i], i == nflows - 1);
	if (js) {
		fclose(js_tables);
		fclose(js_percpu);
		fprintf(js, "\n  ], \"tables\": [%s\n  ], \"percpu\": [%s\n  ]}\n", tables_buf,
			percpu_buf);
		fclose(js);
		free(tables_buf);
		free(percpu_buf);
	}
	bench_floor_bpf__destroy(fl);
	bench_drop_bpf__destroy(dr);
	return 0;
}
