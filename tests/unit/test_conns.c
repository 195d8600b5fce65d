// SPDX-License-Identifier: GPL-2.0
/* sg_conns_read's order: both tracker tables dumped and sorted by family,
 * local address, local port, remote address, remote port. The sort goes
 * by a 16-byte rank first and settles ties by the whole key, so the keys
 * here are made to tie: IPv6 local addresses that differ only in their
 * last byte, or not at all, with remote ends that differ anywhere. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "libsynguard.h"
#include "tap.h"

#define N_FLOWS 30000

/* The order the CLI promises, from the whole key. */
static int key_cmp(const struct sg_ct_key *x, const struct sg_ct_key *y)
{
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->laddr, y->laddr, sizeof(x->laddr));
	if (r)
		return r;
	if (x->lport != y->lport)
		return x->lport < y->lport ? -1 : 1;
	r = memcmp(x->raddr, y->raddr, sizeof(x->raddr));
	if (r)
		return r;
	return x->rport < y->rport ? -1 : x->rport > y->rport;
}

/* A key with few distinct values in each field, so that sorts meet ties:
 * 2 families, 4 local addresses (IPv6: the same but for byte 15, and
 * one twice), 3 local ports, remote addresses differing in their first
 * or their last byte. */
static void key_make(struct sg_ct_key *k, unsigned int i)
{
	unsigned char *la = (unsigned char *)k->laddr, *ra = (unsigned char *)k->raddr;

	memset(k, 0, sizeof(*k));
	k->family = i % 2 ? 6 : 4;
	k->lport = (__u16)(80 + i / 2 % 3);
	k->rport = (__u16)(1024 + rand() % 60000);
	if (k->family == 4) {
		k->laddr[0] = htonl(0xc6130001 + i / 6 % 4);
		k->raddr[0] = htonl(0xc6120000 + (__u32)(rand() & 0xffff));
		return;
	}
	inet_pton(AF_INET6, "2001:db8::1", la);
	la[15] = (unsigned char)(1 + i / 6 % 3);
	inet_pton(AF_INET6, "2001:db8:1::", ra);
	ra[rand() % 2 ? 0 : 15] ^= (unsigned char)rand();
	ra[14] = (unsigned char)rand();
}

static int map_new(void)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, NULL, sizeof(struct sg_ct_key),
			      sizeof(struct sg_ct_entry), N_FLOWS, NULL);
}

int main(void)
{
	static struct sg_config cfg;
	struct sg_pins p = { .synced_fd = map_new(), .embryonic_fd = map_new() };
	struct sg_ct_entry e = { .state = SG_ESTABLISHED, .last_ns = sg_now_ns() };
	struct sg_conn *cv = NULL;
	size_t n = 0, bad = 0, v4 = 0;
	unsigned int stored = 0;
	int ret;

	if (p.synced_fd < 0 || p.embryonic_fd < 0) {
		check(false, "conns: two hash maps for the tables: %s", strerror(errno));
		return 1;
	}
	srand(7);
	for (int s = 0; s < SG_STATE_MAX; s++)
		cfg.timeout_s[s] = 3600;
	for (unsigned int i = 0; i < N_FLOWS; i++) {
		struct sg_ct_key k;

		key_make(&k, i);
		/* a third of them embryonic: the two tables are read as one */
		e.state = i % 3 ? SG_ESTABLISHED : SG_SYN_RCVD;
		ret = bpf_map_update_elem(i % 3 ? p.synced_fd : p.embryonic_fd, &k, &e,
					  BPF_NOEXIST);
		stored += !ret;
	}
	ret = sg_conns_read(&p, &cfg, &cv, &n);
	check(!ret && n == stored, "conns: every stored flow read back (%zu of %u)", n, stored);
	for (size_t i = 1; i < n; i++)
		bad += key_cmp(&cv[i - 1].k, &cv[i].k) >= 0;
	for (size_t i = 0; i < n; i++)
		v4 += cv[i].k.family == 4;
	check(n > 1 && bad == 0 && v4 && v4 < n,
	      "conns: %zu rows in key order, IPv4 (%zu) before IPv6, ties settled by the whole "
	      "key (%zu out of order)",
	      n, v4, bad);
	free(cv);
	close(p.synced_fd);
	close(p.embryonic_fd);
	return tap_failed ? 1 : 0;
}
