// SPDX-License-Identifier: GPL-2.0
/* The host's addresses in sg_local_addrs (bpf/local.h): the data path
 * answers and judges only packets to them, and never answers a SYN from
 * one of them or from an IPv4 subnet's broadcast address. Re-read each
 * second, like the listeners: an address added since is not protected
 * until then (its packets pass untouched), one removed stops being so. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "libsg_addrs.h"
#include "libsg_maps.h"

struct sg_addr_ent {
	struct sg_addr_key k;
	__u8 kind; /* enum sg_addr_kind */
};

struct sg_addrset {
	unsigned int n;
	struct sg_addr_ent e[SG_LOCAL_ADDRS_SIZE];
};

static int sg_addr_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct sg_addr_ent *)a)->k, &((const struct sg_addr_ent *)b)->k,
		      sizeof(struct sg_addr_key));
}

/* Adds sa (IPv4 or IPv6) as kind; ENOSPC once the set is full. */
static int sg_addrset_add(struct sg_addrset *s, const struct sockaddr *sa, __u8 kind)
{
	struct sg_addr_ent *e;

	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return 0;
	if (s->n >= SG_LOCAL_ADDRS_SIZE)
		return -ENOSPC;
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	if (sa->sa_family == AF_INET) {
		e->k.family = 4;
		memcpy(e->k.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		e->k.family = 6;
		memcpy(e->k.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
	return 0;
}

/* An IPv4 address's subnet broadcast, as the kernel's local table has it
 * whether or not the address was given one (ip addr add without brd): the
 * host part all ones, for prefixes up to /30 (a /31 or /32 has none). */
static int sg_addrset_add_bcast(struct sg_addrset *s, const struct ifaddrs *i)
{
	const struct sockaddr_in *a = (const void *)i->ifa_addr, *m = (const void *)i->ifa_netmask;
	struct sockaddr_in b = { .sin_family = AF_INET };
	int err = 0;

	if (i->ifa_broadaddr && (i->ifa_flags & IFF_BROADCAST) &&
	    ((const struct sockaddr_in *)(const void *)i->ifa_broadaddr)->sin_addr.s_addr)
		err = sg_addrset_add(s, i->ifa_broadaddr, SG_ADDR_BROADCAST);
	if (err || !m || m->sin_family != AF_INET || ntohl(m->sin_addr.s_addr) > 0xfffffffcu)
		return err;
	b.sin_addr.s_addr = a->sin_addr.s_addr | ~m->sin_addr.s_addr;
	return sg_addrset_add(s, (const struct sockaddr *)&b, SG_ADDR_BROADCAST);
}

/* Every address of this network namespace, and the IPv4 broadcasts,
 * sorted, one entry per key (an address both local and another subnet's
 * broadcast is local). 0 or -errno. */
static int sg_addrs_read(struct sg_addrset *s)
{
	struct ifaddrs *all, *i;
	unsigned int w = 0;
	int err = 0;

	s->n = 0;
	if (getifaddrs(&all))
		return -errno;
	for (i = all; i && !err; i = i->ifa_next) {
		err = sg_addrset_add(s, i->ifa_addr, SG_ADDR_LOCAL);
		if (!err && i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
			err = sg_addrset_add_bcast(s, i);
	}
	freeifaddrs(all);
	if (err)
		return err;
	qsort(s->e, s->n, sizeof(s->e[0]), sg_addr_cmp);
	for (unsigned int r = 0; r < s->n; r++) {
		if (w && !sg_addr_cmp(&s->e[w - 1], &s->e[r])) {
			if (s->e[r].kind == SG_ADDR_LOCAL)
				s->e[w - 1].kind = SG_ADDR_LOCAL;
			continue;
		}
		s->e[w++] = s->e[r];
	}
	s->n = w;
	return 0;
}

static const struct sg_addr_ent *sg_addrset_find(const struct sg_addrset *s,
						 const struct sg_addr_key *k)
{
	struct sg_addr_ent key = { .k = *k };

	return bsearch(&key, s->e, s->n, sizeof(s->e[0]), sg_addr_cmp);
}

/* The map becomes s: what it holds beyond s goes, then s is written.
 * 0 or -errno. */
static int sg_addrs_write(int fd, const struct sg_addrset *s, unsigned int *added,
			  unsigned int *removed)
{
	struct sg_addr_key k, next, *prev = NULL;
	__u8 kind;

	*added = *removed = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		const struct sg_addr_ent *e = sg_addrset_find(s, &next);

		k = next;
		prev = &k;
		if (e && !bpf_map_lookup_elem(fd, &next, &kind) && kind == e->kind)
			continue;
		if (!e) {
			if (bpf_map_delete_elem(fd, &next) && errno != ENOENT)
				return -errno;
			(*removed)++;
		}
	}
	for (unsigned int i = 0; i < s->n; i++) {
		if (!bpf_map_lookup_elem(fd, &s->e[i].k, &kind) && kind == s->e[i].kind)
			continue;
		if (bpf_map_update_elem(fd, &s->e[i].k, &s->e[i].kind, BPF_ANY))
			return -errno;
		(*added)++;
	}
	return 0;
}

int sg_local_addrs_sync(const struct sg_pins *p, int *last_err)
{
	static struct sg_addrset s;
	unsigned int added, removed;
	int err = sg_addrs_read(&s);

	if (!err)
		err = sg_addrs_write(p->local_addrs_fd, &s, &added, &removed);
	if (err != *last_err)
		sg_log(err ? "%s: cannot follow the host's addresses: %s; sg_local_addrs kept as it is"
			   : "%s: the host's addresses are followed again%s",
		       p->iface, err ? strerror(-err) : "");
	*last_err = err;
	if (err)
		return err;
	/* from now on the data path answers only for these addresses */
	if (!p->cfg->local_addrs)
		__atomic_store_n(&p->cfg->local_addrs, 1, __ATOMIC_RELAXED);
	return (int)(added + removed);
}
