// SPDX-License-Identifier: GPL-2.0
/* The tracker checked against the kernel's own sockets (inet_diag, what
 * `ss` reads). Some of what the kernel does sends no segment the data path
 * could see: it drops a request socket whose SYN-ACK retries ran out
 * (net.ipv4.tcp_synack_retries) or that it pruned from a full queue, and
 * past net.ipv4.tcp_max_tw_buckets it makes no TIME_WAIT socket at all
 * (TcpExtTCPTimeWaitOverflow). The daemon's sample lists the kernel's
 * sockets in such a state and removes the tracker's entries in it that the
 * kernel does not hold, so the gauges follow the kernel's within a sample. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <bpf/bpf.h>
#include "libsg_reconcile.h"
#include "libsg_maps.h"
#include "libsg_listen.h"
#include "libsg_util.h"

/* A request socket's state in the kernel's hash tables (not in glibc's
 * enum; inet_diag dumps them with TCP_SYN_RECV's). */
#define SG_TCP_NEW_SYN_RECV 12

/* The kernel's sockets in one state, as tracker keys, sorted. */
struct sg_kset {
	struct sg_ct_key *v;
	size_t n, cap;
	int err;
};

static int sg_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sg_ct_key));
}

/* An IPv4 connection on a dual-stack socket shows as ::ffff:a.b.c.d. */
static bool sg_v4mapped(const __be32 *a)
{
	return !a[0] && !a[1] && a[2] == htonl(0xffff);
}

static void sg_kset_add(const struct inet_diag_msg *m, void *arg)
{
	const __be32 *src = m->id.idiag_src, *dst = m->id.idiag_dst;
	struct sg_kset *ks = arg;
	struct sg_ct_key *k;

	if (ks->err)
		return;
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? 2 * ks->cap : 1024;
		void *v = realloc(ks->v, cap * sizeof(*ks->v));

		if (!v) {
			ks->err = -ENOMEM;
			return;
		}
		ks->v = v;
		ks->cap = cap;
	}
	k = &ks->v[ks->n++];
	memset(k, 0, sizeof(*k));
	k->lport = ntohs(m->id.idiag_sport);
	k->rport = ntohs(m->id.idiag_dport);
	if (m->idiag_family == AF_INET || (sg_v4mapped(src) && sg_v4mapped(dst))) {
		k->family = 4;
		k->laddr[0] = m->idiag_family == AF_INET ? src[0] : src[3];
		k->raddr[0] = m->idiag_family == AF_INET ? dst[0] : dst[3];
		return;
	}
	k->family = 6;
	memcpy(k->laddr, src, 16);
	memcpy(k->raddr, dst, 16);
}

/* Does the tracker's entry in state have a kernel socket to answer for? A
 * SYN_RCVD one only once the kernel confirmed it (SG_CT_REQSK): the rest
 * the gauge does not count, and they expire on their own within a second. */
static bool sg_reconcile_wants(const struct sg_ct_entry *e, __u8 state, __u64 t0)
{
	if (e->state != state || e->last_ns >= t0)
		return false;
	return state != SG_SYN_RCVD || (e->flags & SG_CT_REQSK);
}

/* Removes from table fd the entries in state, last touched before t0 (the
 * dump's start: a socket made since may be missing from it), whose tuple
 * is not in ks. */
static int sg_reconcile_table(int fd, __u8 state, const struct sg_kset *ks, __u64 t0, __u64 *gone)
{
	enum { SG_BATCH = 1024 };
	static struct sg_ct_key keys[SG_BATCH];
	static struct sg_ct_entry vals[SG_BATCH];
	__u32 in = 0, out = 0;
	bool first = true;

	for (;;) {
		__u32 n = SG_BATCH;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL);
		int err = r ? errno : 0;

		if (r && err != ENOENT)
			return -err;
		for (__u32 i = 0; i < n; i++) {
			if (!sg_reconcile_wants(&vals[i], state, t0) ||
			    bsearch(&keys[i], ks->v, ks->n, sizeof(*ks->v), sg_key_cmp))
				continue;
			if (!bpf_map_delete_elem(fd, &keys[i]))
				(*gone)++;
		}
		if (err == ENOENT)
			return 0;
		in = out;
		first = false;
	}
}

int sg_ct_reconcile(int fd, __u8 state, __u64 *gone)
{
	struct sg_diag_req q = { 0 };
	struct sg_kset ks = { 0 };
	/* the tracker's clock (sg_ct_now): an entry touched since has
	 * last_ns >= t0, even within this tick */
	__u64 t0 = sg_coarse_now_ns();
	int r;

	*gone = 0;
	if (state == SG_SYN_RCVD)
		q.states = 1u << TCP_SYN_RECV | 1u << SG_TCP_NEW_SYN_RECV;
	else if (state == SG_TIME_WAIT)
		q.states = 1u << TCP_TIME_WAIT;
	else
		return -EINVAL;
	r = sg_diag_dump(&q, sg_kset_add, &ks);
	if (!r)
		r = ks.err;
	if (!r) {
		qsort(ks.v, ks.n, sizeof(*ks.v), sg_key_cmp);
		r = sg_reconcile_table(fd, state, &ks, t0, gone);
	}
	free(ks.v);
	return r;
}
