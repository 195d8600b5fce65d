/* SPDX-License-Identifier: GPL-2.0 */
/* The unit tests' harness: a private copy of synguard's programs, loaded
 * and configured as synguardd does, in a network namespace of its own, and
 * BPF_PROG_TEST_RUN wrappers that report the verdict and exactly which
 * counters moved. Every run uses repeat = 1: the kernel does not restore
 * the packet between repeats, so a second repeat would see our own output.
 */
#ifndef SG_TEST_HARNESS_H
#define SG_TEST_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* unshare */
#endif

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libsynguard.h"
#include "synguard.skel.h"
#include "frame.h"
#include "tap.h"

#define PORT 8080
#define MTU 1500 /* what the daemon reads off a plain NIC   */
#define PERIOD_NS (60ull * 1000000000ull)
/* The secrets' period: the tests rotate them themselves, and a test that
 * runs minutes (test_forgery) must not see them expire; test_cookie ages
 * a secret by writing its installed time. */
#define SECRET_PERIOD_NS (3600ull * 1000000000ull)

/* A set of counters, one bit each: there are more than 64. */
typedef unsigned __int128 sg_cmask;
#define C(name) ((sg_cmask)1 << SG_CNT_##name)

static struct {
	bool own_netns;
	struct synguard_bpf *skel;
	int prog, tc_egress, cfg_fd, cnt_fd, pcnt_fd, ct_synced, ct_embryonic;
	struct sg_config cfg;
	struct sg_secret_state *secrets;
	size_t secrets_len;
	uint32_t next_flow; /* a fresh flow per case: ACKs create entries */
	uint32_t ct_size;   /* if set before setup(): tracker and budget tables */
} T;

/* One BPF_PROG_TEST_RUN and what it changed. */
/* The tc programs' verdict, TCX_NEXT (Debian's uapi headers predate tcx) */
#define SG_TCX_NEXT (-1)

struct run {
	int verdict; /* XDP or TC action (TCX_NEXT is -1)           */
	int err;     /* -errno: the kernel refused the test run    */
	uint8_t out[FRAME_MAX];
	uint32_t len; /* frame length, without the metadata         */
	uint32_t meta_len;
	struct sg_meta meta; /* valid when meta_len == sizeof(meta)        */
	__u64 delta[SG_CNT_MAX];
};

/* Runs prog once on o, with the counters it moved in r->delta. */
static inline void test_run_counted(int prog, struct bpf_test_run_opts *o, struct run *r)
{
	__u64 before[SG_CNT_MAX], after[SG_CNT_MAX];

	sg_counters_read(T.cnt_fd, before);
	r->err = bpf_prog_test_run_opts(prog, o) ? -errno : 0;
	r->verdict = r->err ? r->err : (int)o->retval;
	sg_counters_read(T.cnt_fd, after);
	for (int i = 0; i < SG_CNT_MAX; i++)
		r->delta[i] = after[i] - before[i];
}

/* The frame through sg_xdp, as the NIC would hand it in. */
static inline void xdp_run(const struct frame *f, struct run *r)
{
	struct xdp_md ctx_in = { .data_end = f->len }, ctx_out = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	memset(r, 0, sizeof(*r));
	test_run_counted(T.prog, &o, r);
	if (r->err)
		return;
	/* data_out starts at data_meta; ctx_out.data is the metadata size */
	r->meta_len = ctx_out.data;
	r->len = o.data_size_out - r->meta_len;
	if (r->meta_len == sizeof(r->meta))
		memcpy(&r->meta, r->out, sizeof(r->meta));
	memmove(r->out, r->out + r->meta_len, r->len);
}

/* Exactly the counters in mask moved, each by one. */
static inline bool counted(const struct run *r, sg_cmask mask)
{
	for (int i = 0; i < SG_CNT_MAX; i++)
		if (r->delta[i] != (mask >> i & 1))
			return false;
	return true;
}

static inline const char *deltas(const struct run *r)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < SG_CNT_MAX; i++)
		if (r->delta[i] && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s+%llu",
					      sg_counter_names[i], (unsigned long long)r->delta[i]);
	return n ? buf : " none";
}

/* The frame through sg_tc_egress, as the host would send it. */
static inline void tc_egress_run(const struct frame *f, struct run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .repeat = 1);

	memset(r, 0, sizeof(*r));
	test_run_counted(T.tc_egress, &o, r);
	r->len = o.data_size_out;
}

static inline const char *verdict_name(int v)
{
	static char buf[32];
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	if (v >= 0 && v <= XDP_REDIRECT)
		return names[v];
	snprintf(buf, sizeof(buf), "error %d", v);
	return buf;
}

/* A verdict and the one decision counted for it (plus extra, if any). */
static inline bool decided(const struct run *r, int verdict, sg_cmask mask)
{
	return r->verdict == verdict && counted(r, mask);
}

static inline bool check_run(const struct run *r, int verdict, sg_cmask mask, const char *name)
{
	if (!decided(r, verdict, mask))
		diag("%s: got %s, counters%s", name, verdict_name(r->verdict), deltas(r));
	return check(decided(r, verdict, mask), "%s", name);
}

/* A flow (fl: its client's view) accepted once is tracked from then on:
 * forget it again. */
static inline void untrack(const struct flow *fl)
{
	struct sg_ct_key k = { .family = (uint8_t)fl->family,
			       .lport = fl->dport,
			       .rport = fl->sport };

	memcpy(k.laddr, fl->daddr, 16);
	memcpy(k.raddr, fl->saddr, 16);
	bpf_map_delete_elem(T.ct_synced, &k);
}

/* ---- set-up, as synguardd does it ---------------------------------------- */
static inline int config_apply(void)
{
	return sg_config_write(T.cfg_fd, &T.cfg);
}

/* Loads a private copy of the programs and configures it as synguardd
 * does, with the given mode= setting. */
static inline int setup(const char *mode)
{
	static __u16 slots[65536];
	struct sg_portset ps;
	struct sg_sysctls sy = {};
	struct bpf_map *m;
	char port[8];

	/* a netns of our own: no socket of anyone else's can own a test flow
	 * (bpf_skc_lookup_tcp), and sysctls read are the defaults */
	T.own_netns = !unshare(CLONE_NEWNET);
	if (!T.own_netns)
		diag("unshare(CLONE_NEWNET): %s; using the current netns", strerror(errno));
	sg_quiet_libs(false);
	T.skel = synguard_bpf__open();
	if (!T.skel)
		return -1;
	/* maps pin by name: a private copy must not meet the daemon's pins */
	bpf_object__for_each_map(m, T.skel->obj) bpf_map__set_pin_path(m, NULL);
	if (T.ct_size) {
		bpf_map__set_max_entries(T.skel->maps.sg_ct_synced, T.ct_size);
		bpf_map__set_max_entries(T.skel->maps.sg_ct_embryonic, T.ct_size);
		bpf_map__set_max_entries(T.skel->maps.sg_budget, T.ct_size);
	}
	if (synguard_bpf__load(T.skel))
		return -1;
	T.prog = bpf_program__fd(T.skel->progs.sg_xdp);
	T.tc_egress = bpf_program__fd(T.skel->progs.sg_tc_egress);
	T.ct_synced = bpf_map__fd(T.skel->maps.sg_ct_synced);
	T.ct_embryonic = bpf_map__fd(T.skel->maps.sg_ct_embryonic);
	T.cfg_fd = bpf_map__fd(T.skel->maps.sg_config);
	T.cnt_fd = bpf_map__fd(T.skel->maps.sg_counters);
	T.pcnt_fd = bpf_map__fd(T.skel->maps.sg_port_counters);

	sg_read_sysctls(&sy);
	sg_config_defaults(&T.cfg, &sy);
	sg_config_kernel(&T.cfg, &sy, MTU);
	if (sg_config_set(&T.cfg, mode, PERIOD_NS) || config_apply())
		return -1;
	snprintf(port, sizeof(port), "%d", PORT);
	if (sg_ports_parse(port, &ps))
		return -1;
	sg_ports_slots(&ps, NULL, slots);
	if (sg_ports_write(bpf_map__fd(T.skel->maps.sg_ports), slots))
		return -1;
	T.secrets = sg_secrets_mmap(bpf_map__fd(T.skel->maps.sg_secrets), &T.secrets_len);
	if (!T.secrets || sg_secrets_fresh(T.secrets, SECRET_PERIOD_NS))
		return -1;
	return 0;
}

#endif /* SG_TEST_HARNESS_H */
