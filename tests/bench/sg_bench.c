// SPDX-License-Identifier: GPL-2.0
/* sg_bench: per-packet cost of synguard's XDP program through
 * BPF_PROG_TEST_RUN, beside a floor program (swap MACs/addresses/ports,
 * XDP_TX) and a drop program (the harness's own overhead), plus the map
 * memory of the connection table.
 *
 * Every run is repeat = 1: the kernel does not restore the packet between
 * repeats, so a rewriting program would be fed its own output. The figure
 * per case is the median of the kernel-reported durations of many runs.
 * Nothing is pinned: this never touches a running synguard.
 *
 *   sg_bench [-n RUNS] [-f FLOWS,...] [-c CPU] [-o FILE.json] [-q]
 *   sg_bench --populate PINNED_MAP -f N     fill a pinned sg_ct_synced
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "synguard.h"
#include "synguard.skel.h"
#include "bench_floor.skel.h"
#include "bench_drop.skel.h"

#define SERVER_PORT 80
#define FRAME_MAX 512

static bool quiet;

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

static void note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* ---- frames --------------------------------------------------------------- */

struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
};

struct flow {
	int family;
	uint32_t saddr[4], daddr[4]; /* network order */
	uint16_t sport, dport;       /* host order */
};

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static uint32_t csum_add(uint32_t sum, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 1) {
		sum += (uint32_t)b[0] << 8 | b[1];
		b += 2;
		n -= 2;
	}
	if (n)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Ethernet + IPv4/IPv6 + TCP with options and zeroed payload, with correct
 * IPv4 and TCP checksums. */
static void build(struct frame *f, const struct flow *fl, uint32_t seq,
		  uint32_t ack, uint8_t flags, const uint8_t *opt, int optlen,
		  int paylen)
{
	static const uint8_t smac[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 0x02};
	int l3 = 14, iphl = fl->family == 4 ? 20 : 40, thl = 20 + optlen;
	int l4 = l3 + iphl, tcplen = thl + paylen;
	uint8_t *t;
	uint32_t sum;

	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b, dmac, 6);
	memcpy(f->b + 6, smac, 6);
	put16(f->b + 12, fl->family == 4 ? 0x0800 : 0x86dd);
	if (fl->family == 4) {
		uint8_t *ip = f->b + l3;

		ip[0] = 0x45;
		put16(ip + 2, iphl + tcplen);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, &fl->saddr[0], 4);
		memcpy(ip + 16, &fl->daddr[0], 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		uint8_t *ip = f->b + l3;

		ip[0] = 0x60;
		put16(ip + 4, tcplen);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, fl->saddr, 16);
		memcpy(ip + 24, fl->daddr, 16);
	}
	t = f->b + l4;
	put16(t, fl->sport);
	put16(t + 2, fl->dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (thl / 4) << 4;
	t[13] = flags;
	put16(t + 14, 64240);
	if (optlen)
		memcpy(t + 20, opt, optlen);
	/* pseudo-header */
	if (fl->family == 4) {
		sum = csum_add(0, &fl->saddr[0], 4);
		sum = csum_add(sum, &fl->daddr[0], 4);
	} else {
		sum = csum_add(0, fl->saddr, 16);
		sum = csum_add(sum, fl->daddr, 16);
	}
	sum += 6 + tcplen;
	sum = csum_add(sum, t, tcplen);
	put16(t + 16, csum_fold(sum));
	f->len = l4 + tcplen;
}

/* Linux's SYN options: MSS, SACK-permitted, timestamps, window scale. */
static int syn_opts(uint8_t *o, int family, bool ts, uint32_t tsval)
{
	uint16_t mss = family == 4 ? 1460 : 1440;
	int n = 0;

	o[n++] = 2; o[n++] = 4; put16(o + n, mss); n += 2;
	if (ts) {
		o[n++] = 4; o[n++] = 2;
		o[n++] = 8; o[n++] = 10; put32(o + n, tsval); n += 4;
		put32(o + n, 0); n += 4;
	} else {
		o[n++] = 1; o[n++] = 1; o[n++] = 4; o[n++] = 2;
	}
	o[n++] = 1; o[n++] = 3; o[n++] = 3; o[n++] = 7;
	return n;
}

static int ts_opts(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10;
	put32(o + 4, tsval);
	put32(o + 8, tsecr);
	return 12;
}

/* The i-th client of a flood: distinct (address, port) per i. */
static void client_flow(struct flow *fl, int family, uint32_t i)
{
	memset(fl, 0, sizeof(*fl));
	fl->family = family;
	fl->dport = SERVER_PORT;
	fl->sport = 1024 + (i / 65536) * 7 % 60000;
	if (family == 4) {
		fl->saddr[0] = htonl(0xc6120000u + 1 + (i % 65536)); /* 198.18/16 */
		fl->daddr[0] = htonl(0xc6130001u);                 /* 198.19.0.1 */
	} else {
		fl->saddr[0] = htonl(0x20010db8);
		fl->saddr[2] = htonl(0xbe);
		fl->saddr[3] = htonl(i + 1);
		fl->daddr[0] = htonl(0x20010db8);
		fl->daddr[1] = htonl(1);
		fl->daddr[3] = htonl(1);
	}
}

/* TCP header offset and the TSval of a SYN-ACK in out (0 if none). */
static int parse_synack(const uint8_t *b, uint32_t len, uint32_t *seq,
			uint32_t *tsval)
{
	int l4 = (b[12] == 0x08 && b[13] == 0x00) ? 14 + (b[14] & 0xf) * 4 : 54;
	int thl, i;

	if ((uint32_t)l4 + 20 > len || (b[l4 + 13] & (F_SYN | F_ACK)) != (F_SYN | F_ACK))
		return -1;
	*seq = get32(b + l4 + 4);
	*tsval = 0;
	thl = (b[l4 + 12] >> 4) * 4;
	for (i = 20; i < thl;) {
		uint8_t k = b[l4 + i];

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		if (k == 8)
			*tsval = get32(b + l4 + i + 2);
		i += b[l4 + i + 1] ? b[l4 + i + 1] : 1;
	}
	return 0;
}

/* ---- test runs ------------------------------------------------------------ */

struct sample {
	uint32_t *ns;
	uint32_t n;
	uint32_t bad; /* runs whose verdict was not the expected one */
};

static uint8_t outbuf[4096];

static int run_once(int prog_fd, const struct frame *f, uint32_t *dur,
		    uint32_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b,
		    .data_size_in = f->len, .data_out = outbuf,
		    .data_size_out = sizeof(outbuf), .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &o);

	if (err)
		die("BPF_PROG_TEST_RUN: %s", strerror(errno));
	*dur = o.duration;
	if (out_len)
		*out_len = o.data_size_out;
	return o.retval;
}

static void sample_init(struct sample *s, uint32_t n)
{
	s->ns = calloc(n, sizeof(*s->ns));
	if (!s->ns)
		die("out of memory");
	s->n = 0;
	s->bad = 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct stat_s {
	double median, p10, p90, mean;
};

static struct stat_s stats(struct sample *s)
{
	struct stat_s r = {0};
	double sum = 0;
	uint32_t i;

	if (!s->n)
		return r;
	qsort(s->ns, s->n, sizeof(*s->ns), cmp_u32);
	r.median = s->n % 2 ? s->ns[s->n / 2] :
			      (s->ns[s->n / 2 - 1] + s->ns[s->n / 2]) / 2.0;
	r.p10 = s->ns[s->n / 10];
	r.p90 = s->ns[s->n * 9 / 10];
	for (i = 0; i < s->n; i++)
		sum += s->ns[i];
	r.mean = sum / s->n;
	return r;
}

/* ---- loading -------------------------------------------------------------- */

static struct synguard_bpf *sg_load(uint32_t ct_size)
{
	struct synguard_bpf *sk = synguard_bpf__open();
	struct bpf_map *m;

	if (!sk)
		die("open synguard skeleton: %s", strerror(errno));
	bpf_object__for_each_map(m, sk->obj)
		bpf_map__set_pin_path(m, NULL);
	if (ct_size && bpf_map__set_max_entries(sk->maps.sg_ct_synced, ct_size))
		die("set max_entries");
	if (synguard_bpf__load(sk))
		die("load synguard: %s", strerror(errno));
	return sk;
}

static void sg_configure(struct synguard_bpf *sk)
{
	struct sg_config c = {0};
	struct sg_secret_state ss = {0};
	uint32_t zero = 0, port;
	uint16_t slot = 1;
	int i;

	c.mode = SG_MODE_ON;
	c.cookie_active = 1;
	c.msstab4[0] = 536; c.msstab4[1] = 1300;
	c.msstab4[2] = 1440; c.msstab4[3] = 1460;
	c.msstab6[0] = 1220; c.msstab6[1] = 1340;
	c.msstab6[2] = 1400; c.msstab6[3] = 1440;
	c.adv_mss4 = 1460;
	c.adv_mss6 = 1440;
	c.synack_window = 64240;
	c.rcv_wscale = 7;
	c.ttl = 64;
	c.allow_ts = c.allow_sack = c.allow_wscale = c.allow_ecn = 1;
	c.track_all = 1;
	for (i = 0; i < SG_STATE_MAX; i++)
		c.timeout_s[i] = 1000000;
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.sg_config), &zero, &c, 0))
		die("write sg_config: %s", strerror(errno));
	ss.cur = 0;
	ss.rotated_ns = now_mono();
	for (i = 0; i < 2; i++) {
		ss.slot[i].k0 = rnd();
		ss.slot[i].k1 = rnd();
	}
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.sg_secrets), &zero, &ss, 0))
		die("write sg_secrets: %s", strerror(errno));
	port = SERVER_PORT;
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.sg_ports), &port, &slot, 0))
		die("write sg_ports: %s", strerror(errno));
}

/* Bytes the kernel charges for a map (fdinfo "memlock:", the map's
 * mem_usage on this kernel). */
static uint64_t map_memlock(int fd)
{
	char path[64], line[256];
	uint64_t v = 0;
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

/* ---- the connection table: N synchronized flows -------------------------- */

static void est_key(struct sg_ct_key *k, uint32_t i)
{
	struct flow fl;

	client_flow(&fl, 4, i);
	memset(k, 0, sizeof(*k));
	k->family = 4;
	k->lport = fl.dport;
	k->rport = fl.sport;
	k->laddr[0] = fl.daddr[0];
	k->raddr[0] = fl.saddr[0];
}

/* Local (server) ISN and remote (client) ISN of flow i. */
static uint32_t est_lisn(uint32_t i) { return 0x10000000u + i * 7919u; }
static uint32_t est_risn(uint32_t i) { return 0x50000000u + i * 104729u; }

static void est_entry(struct sg_ct_entry *e, uint32_t i, uint64_t now)
{
	memset(e, 0, sizeof(*e));
	e->created_ns = now;
	e->last_ns = now;
	e->state = SG_ESTABLISHED;
	e->rstate = SG_ESTABLISHED;
	e->local.isn = est_lisn(i);
	e->local.snd_nxt = est_lisn(i) + 1;
	e->local.ack = est_risn(i) + 1;
	e->local.win = 64240u << 7;
	e->local.wscale = 7;
	e->local.flags = 1 | 4; /* SG_CTD_SYN | SG_CTD_ACKED */
	e->remote.isn = est_risn(i);
	e->remote.snd_nxt = est_risn(i) + 1;
	e->remote.ack = est_lisn(i) + 1;
	e->remote.win = 64240u << 7;
	e->remote.wscale = 7;
	e->remote.flags = 1 | 4;
	e->pkts_in = 3;
	e->pkts_out = 2;
}

/* Fill with flows 0..n-1 in ESTABLISHED; returns seconds taken. */
static double populate(int fd, uint32_t n)
{
	const uint32_t chunk = 65536;
	struct sg_ct_key *keys = calloc(chunk, sizeof(*keys));
	struct sg_ct_entry *vals = calloc(chunk, sizeof(*vals));
	uint64_t now = now_mono(), t0 = now;
	uint32_t base, j;

	if (!keys || !vals)
		die("out of memory");
	for (base = 0; base < n; base += chunk) {
		uint32_t cnt = n - base < chunk ? n - base : chunk;
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		for (j = 0; j < cnt; j++) {
			est_key(&keys[j], base + j);
			est_entry(&vals[j], base + j, now);
		}
		if (bpf_map_update_batch(fd, keys, vals, &cnt, &bo)) {
			/* older kernels/maps: one by one */
			for (j = 0; j < cnt; j++)
				if (bpf_map_update_elem(fd, &keys[j], &vals[j], 0))
					die("populate: %s", strerror(errno));
		}
	}
	free(keys);
	free(vals);
	return (now_mono() - t0) / 1e9;
}

/* How many of flows 0..n-1 are really in the table (sampled). */
static double present_fraction(int fd, uint32_t n, uint32_t samples)
{
	struct sg_ct_key k;
	struct sg_ct_entry e;
	uint32_t i, hit = 0;

	for (i = 0; i < samples; i++) {
		est_key(&k, rnd() % n);
		hit += bpf_map_lookup_elem(fd, &k, &e) == 0;
	}
	return (double)hit / samples;
}

/* ---- JSON ----------------------------------------------------------------- */

static FILE *js;
static bool js_first_case = true;

static void json_case(const char *name, const char *desc, int flows,
		      struct stat_s sg, struct stat_s fl, struct stat_s dr,
		      uint32_t runs, uint32_t bad)
{
	double ratio = fl.median > 0 ? sg.median / fl.median : 0;

	if (!quiet)
		printf("%-22s %9u %8.0f %8.0f %8.0f %8.0f %7.2f %8.0f %5u\n",
		       name, runs, sg.median, sg.p10, sg.p90, fl.median, ratio,
		       dr.median, bad);
	if (!js)
		return;
	fprintf(js,
		"%s\n    {\"case\": \"%s\", \"desc\": \"%s\", \"flows\": %d, "
		"\"runs\": %u, \"bad_verdicts\": %u, "
		"\"ns_median\": %.1f, \"ns_p10\": %.1f, \"ns_p90\": %.1f, "
		"\"ns_mean\": %.1f, \"floor_ns_median\": %.1f, "
		"\"drop_ns_median\": %.1f, \"ratio_to_floor\": %.3f, "
		"\"net_ns_median\": %.1f, \"floor_net_ns_median\": %.1f, "
		"\"net_ratio_to_floor\": %.3f}",
		js_first_case ? "" : ",", name, desc, flows, runs, bad,
		sg.median, sg.p10, sg.p90, sg.mean, fl.median, dr.median, ratio,
		sg.median - dr.median, fl.median - dr.median,
		fl.median - dr.median > 0 ?
			(sg.median - dr.median) / (fl.median - dr.median) : 0);
	js_first_case = false;
}

/* ---- cases ---------------------------------------------------------------- */

struct progs {
	int sg, floor, drop;
};

/* Runs synguard, the floor and the drop program on the same frame, in
 * turn, runs times; make(i, f) builds frame i. expect: synguard's verdict. */
typedef void (*make_fn)(uint32_t i, struct frame *f, void *arg);

static void run_case(const char *name, const char *desc, int flows,
		     struct progs *p, uint32_t runs, make_fn make, void *arg,
		     int expect, void (*after)(uint32_t i, void *arg))
{
	struct sample s_sg, s_fl, s_dr;
	struct frame f;
	uint32_t i, d, warm = runs / 20 + 10;

	sample_init(&s_sg, runs);
	sample_init(&s_fl, runs);
	sample_init(&s_dr, runs);
	for (i = 0; i < runs + warm; i++) {
		bool rec = i >= warm;
		uint32_t idx = i - (rec ? warm : 0);
		int ret;

		make(rec ? idx : runs + i, &f, arg);
		ret = run_once(p->sg, &f, &d, NULL);
		if (rec) {
			s_sg.ns[s_sg.n++] = d;
			if (ret != expect)
				s_sg.bad++;
			if (after)
				after(idx, arg);
		}
		make(rec ? idx : runs + i, &f, arg);
		ret = run_once(p->floor, &f, &d, NULL);
		if (rec)
			s_fl.ns[s_fl.n++] = d;
		if (rec && ret != XDP_TX)
			s_fl.bad++;
		run_once(p->drop, &f, &d, NULL);
		if (rec)
			s_dr.ns[s_dr.n++] = d;
	}
	json_case(name, desc, flows, stats(&s_sg), stats(&s_fl), stats(&s_dr),
		  runs, s_sg.bad + s_fl.bad);
	free(s_sg.ns);
	free(s_fl.ns);
	free(s_dr.ns);
}

struct syn_arg {
	int family;
	bool ts;
};

static void make_syn(uint32_t i, struct frame *f, void *arg)
{
	struct syn_arg *a = arg;
	struct flow fl;
	uint8_t o[40];
	int n;

	client_flow(&fl, a->family, i);
	n = syn_opts(o, a->family, a->ts, 0x01000000u + i);
	build(f, &fl, 0x20000000u + i * 2654435761u, 0, F_SYN, o, n, 0);
}

/* Valid-cookie ACKs: SYN-ACKs produced beforehand, one flow per run, so
 * each ACK is the first of its flow (the tracker entry it creates is never
 * hit again). */
struct ack_arg {
	uint32_t n;
	uint32_t *isn, *tsval; /* from the SYN-ACK of flow i */
	bool ts;
};

static void make_valid_ack(uint32_t i, struct frame *f, void *arg)
{
	struct ack_arg *a = arg;
	struct flow fl;
	uint8_t o[12];
	uint32_t k = i % a->n;
	int n = 0;

	client_flow(&fl, 4, k);
	if (a->ts)
		n = ts_opts(o, 0x01000000u + k + 1, a->tsval[k]);
	build(f, &fl, 0x20000000u + k * 2654435761u + 1, a->isn[k] + 1, F_ACK,
	      o, n, 0);
}

static void make_bad_ack(uint32_t i, struct frame *f, void *arg)
{
	struct flow fl;

	/* flows no other case uses: nothing tracked, no cookie */
	client_flow(&fl, 4, i + 0x400000u);
	if (arg)
		fl.dport = *(uint16_t *)arg;
	build(f, &fl, (uint32_t)rnd(), (uint32_t)rnd(), F_ACK, NULL, 0, 0);
}

struct est_arg {
	uint32_t flows;
};

static void make_est(uint32_t i, struct frame *f, void *arg)
{
	struct est_arg *a = arg;
	struct flow fl;
	uint32_t k;

	/* a pseudo-random flow per run (the same for all three programs) */
	k = (uint32_t)(((uint64_t)i * 0x9e3779b97f4a7c15ull) >> 32) % a->flows;
	client_flow(&fl, 4, k);
	build(f, &fl, est_risn(k) + 1, est_lisn(k) + 1, F_ACK | F_PSH, NULL, 0,
	      64);
}

/* Produce the SYN-ACK of flows 0..n-1 (for the valid-ACK case). */
static void precompute_synacks(struct progs *p, struct ack_arg *a)
{
	struct syn_arg sa = {.family = 4, .ts = a->ts};
	struct frame f;
	uint32_t i, d, olen;

	for (i = 0; i < a->n; i++) {
		make_syn(i, &f, &sa);
		if (run_once(p->sg, &f, &d, &olen) != XDP_TX ||
		    parse_synack(outbuf, olen, &a->isn[i], &a->tsval[i]))
			die("SYN %u was not answered with a SYN-ACK", i);
		if (a->ts && !a->tsval[i])
			die("SYN-ACK %u carries no timestamp", i);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sg_bench [-n RUNS] [-f FLOWS,...] [-c CPU] [-o FILE] [-q]\n"
		"       sg_bench --populate PINNED_CT_MAP -f N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"populate", required_argument, 0, 'P'},
		{0, 0, 0, 0},
	};
	const char *out = NULL, *flows_s = "1000,100000,1000000", *pin = NULL;
	uint32_t runs = 20000, flows[16], nflows = 0, i;
	struct bench_floor_bpf *fl;
	struct bench_drop_bpf *dr;
	struct synguard_bpf *sk;
	struct progs p;
	int cpu = -1, c;
	char *s, *tok, *save;

	while ((c = getopt_long(argc, argv, "n:f:c:o:q", lo, NULL)) != -1) {
		switch (c) {
		case 'n': runs = strtoul(optarg, NULL, 0); break;
		case 'f': flows_s = optarg; break;
		case 'c': cpu = atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'q': quiet = true; break;
		case 'P': pin = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || !runs)
		usage();
	s = strdup(flows_s);
	for (tok = strtok_r(s, ",", &save); tok && nflows < 16;
	     tok = strtok_r(NULL, ",", &save))
		flows[nflows++] = strtoul(tok, NULL, 0);
	rng_state ^= (uint64_t)getpid() << 20 ^ now_mono();

	if (pin) {
		/* fill a running synguard's table, for the CLI timings */
		int fd = bpf_obj_get(pin);
		double t;

		if (fd < 0 || !nflows)
			die("open %s: %s", pin, strerror(errno));
		t = populate(fd, flows[0]);
		printf("{\"populated\": %u, \"seconds\": %.3f, \"present\": %.4f}\n",
		       flows[0], t, present_fraction(fd, flows[0], 10000));
		return 0;
	}

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("pin to CPU %d: %s", cpu, strerror(errno));
	}
	if (out) {
		js = fopen(out, "w");
		if (!js)
			die("%s: %s", out, strerror(errno));
		fprintf(js, "{\"runs\": %u, \"cpu\": %d, \"cases\": [", runs, cpu);
	}

	fl = bench_floor_bpf__open_and_load();
	dr = bench_drop_bpf__open_and_load();
	if (!fl || !dr)
		die("load floor/drop programs: %s", strerror(errno));
	p.floor = bpf_program__fd(fl->progs.sg_bench_floor);
	p.drop = bpf_program__fd(dr->progs.sg_bench_drop);

	if (!quiet)
		printf("%-22s %9s %8s %8s %8s %8s %7s %8s %5s\n", "case (ns/pkt)",
		       "runs", "median", "p10", "p90", "floor", "ratio", "harness",
		       "bad");

	/* SYN -> SYN-ACK, valid and invalid ACKs: a fresh, default-sized table */
	sk = sg_load(0);
	sg_configure(sk);
	p.sg = bpf_program__fd(sk->progs.sg_xdp);
	{
		struct syn_arg a4 = {4, false}, a4t = {4, true};
		struct syn_arg a6 = {6, false}, a6t = {6, true};

		run_case("syn_synack_v4", "IPv4 SYN (MSS,SACK,WS) -> cookie SYN-ACK",
			 0, &p, runs, make_syn, &a4, XDP_TX, NULL);
		run_case("syn_synack_v4_ts", "IPv4 SYN (MSS,SACK,TS,WS) -> cookie SYN-ACK",
			 0, &p, runs, make_syn, &a4t, XDP_TX, NULL);
		run_case("syn_synack_v6", "IPv6 SYN (MSS,SACK,WS) -> cookie SYN-ACK",
			 0, &p, runs, make_syn, &a6, XDP_TX, NULL);
		run_case("syn_synack_v6_ts", "IPv6 SYN (MSS,SACK,TS,WS) -> cookie SYN-ACK",
			 0, &p, runs, make_syn, &a6t, XDP_TX, NULL);
	}
	synguard_bpf__destroy(sk);

	/* valid cookie ACKs: each the first ACK of its flow; the table must
	 * hold them all (each creates an entry), so size it for that */
	{
		uint32_t n = runs + runs / 20 + 16;
		struct ack_arg a = {.n = n, .ts = true};

		a.isn = calloc(n, sizeof(*a.isn));
		a.tsval = calloc(n, sizeof(*a.tsval));
		sk = sg_load(n + n / 4 + 4096);
		sg_configure(sk);
		p.sg = bpf_program__fd(sk->progs.sg_xdp);
		precompute_synacks(&p, &a);
		run_case("ack_cookie_valid_ts", "IPv4 ACK, valid cookie + TS -> PASS, tracked",
			 0, &p, runs, make_valid_ack, &a, XDP_PASS, NULL);
		synguard_bpf__destroy(sk);

		a.ts = false;
		sk = sg_load(n + n / 4 + 4096);
		sg_configure(sk);
		p.sg = bpf_program__fd(sk->progs.sg_xdp);
		precompute_synacks(&p, &a);
		run_case("ack_cookie_valid", "IPv4 ACK, valid cookie, no TS -> PASS, tracked",
			 0, &p, runs, make_valid_ack, &a, XDP_PASS, NULL);
		run_case("ack_cookie_invalid", "IPv4 ACK, bad cookie, no socket -> DROP",
			 0, &p, runs, make_bad_ack, NULL, XDP_DROP, NULL);
		{
			uint16_t port81 = 81;

			run_case("ack_unprotected_port", "IPv4 ACK of an unknown flow to an unprotected port -> PASS (parse + table miss)",
				 0, &p, runs, make_bad_ack, &port81, XDP_PASS, NULL);
		}
		synguard_bpf__destroy(sk);
		free(a.isn);
		free(a.tsval);
	}
	if (js)
		fprintf(js, "\n  ], \"tables\": [");

	/* established segments with N synchronized flows in the table */
	for (i = 0; i < nflows; i++) {
		uint32_t n = flows[i], size = n + n / 64 + 1024;
		struct est_arg a = {.flows = n};
		char name[64], desc[128];
		uint64_t mem_synced, mem_emb, mem_total = 0;
		struct bpf_map *m;
		double t, present;
		int fd;

		sk = sg_load(size);
		sg_configure(sk);
		p.sg = bpf_program__fd(sk->progs.sg_xdp);
		fd = bpf_map__fd(sk->maps.sg_ct_synced);
		t = populate(fd, n);
		present = present_fraction(fd, n, 10000);
		mem_synced = map_memlock(fd);
		mem_emb = map_memlock(bpf_map__fd(sk->maps.sg_ct_embryonic));
		bpf_object__for_each_map(m, sk->obj)
			mem_total += map_memlock(bpf_map__fd(m));
		note("table %u flows: filled in %.2fs, %.2f%% present, %lu bytes\n",
		     n, t, present * 100, mem_synced);
		if (js)
			fprintf(js,
				"%s\n    {\"flows\": %u, \"max_entries\": %u, "
				"\"fill_s\": %.3f, \"present_fraction\": %.4f, "
				"\"synced_map_bytes\": %lu, \"embryonic_map_bytes\": %lu, "
				"\"all_maps_bytes\": %lu, "
				"\"bytes_per_flow\": %.1f, \"bytes_per_slot\": %.1f, "
				"\"key_bytes\": %zu, \"value_bytes\": %zu",
				i ? "," : "", n, size, t, present, mem_synced,
				mem_emb, mem_total, (double)mem_synced / n,
				(double)mem_synced / size, sizeof(struct sg_ct_key),
				sizeof(struct sg_ct_entry));
		snprintf(name, sizeof(name), "established_%u", n);
		snprintf(desc, sizeof(desc),
			 "IPv4 data segment of a random one of %u ESTABLISHED flows -> PASS", n);
		/* cases collected after the tables section: buffer them */
		{
			FILE *save_js = js;
			char *buf = NULL;
			size_t blen = 0;
			bool save_first = js_first_case;

			js = js ? open_memstream(&buf, &blen) : NULL;
			js_first_case = false;
			run_case(name, desc, n, &p, runs, make_est, &a, XDP_PASS, NULL);
			if (js) {
				fclose(js);
				if (save_js)
					fprintf(save_js, ", \"established_case\": %s}",
						buf + 1 + strspn(buf + 1, "\n "));
				free(buf);
			}
			js = save_js;
			js_first_case = save_first;
		}
		synguard_bpf__destroy(sk);
	}
	if (js) {
		fprintf(js, "\n  ]}\n");
		fclose(js);
	}
	bench_floor_bpf__destroy(fl);
	bench_drop_bpf__destroy(dr);
	return 0;
}
