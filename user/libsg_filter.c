// SPDX-License-Identifier: GPL-2.0
/* Filters of conns and events, spelled as ss and conntrack spell them. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <bpf/bpf.h>
#include "libsg_filter.h"

void sg_filter_init(struct sg_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->sport = f->dport = f->port = -1;
}

bool sg_filter_narrows(const struct sg_filter *f)
{
	return f->states || f->sport >= 0 || f->dport >= 0 || f->port >= 0 || f->has_src ||
	       f->has_dst;
}

/* Names other tools give these states, after upper-casing and '-' -> '_'
 * (ss: syn-recv, time-wait; conntrack: SYN_RECV, FIN_WAIT, CLOSE). */
static const struct {
	const char *name;
	__u32 mask;
} sg_state_aliases[] = {
	{ "SYN_RECV", 1u << SG_SYN_RCVD },
	{ "FIN_WAIT", (1u << SG_FIN_WAIT_1) | (1u << SG_FIN_WAIT_2) },
	{ "CLOSE", 1u << SG_CLOSED },
	{ "ESTAB", 1u << SG_ESTABLISHED },
};

static __u32 sg_state_mask_of(const char *word)
{
	char up[32];
	size_t i;
	int st;

	for (i = 0; word[i] && i < sizeof(up) - 1; i++)
		up[i] = word[i] == '-' ? '_' : (char)toupper((unsigned char)word[i]);
	up[i] = 0;
	st = sg_state_parse(up);
	if (st >= 0)
		return 1u << st;
	for (i = 0; i < sizeof(sg_state_aliases) / sizeof(sg_state_aliases[0]); i++)
		if (!strcmp(up, sg_state_aliases[i].name))
			return sg_state_aliases[i].mask;
	return 0;
}

int sg_state_list_parse(const char *list, __u32 *mask, char *err, size_t n)
{
	while (*list) {
		size_t len = strcspn(list, ", \t");
		char word[32];
		__u32 m;

		if (!len) {
			list++;
			continue;
		}
		snprintf(word, sizeof(word), "%.*s", (int)(len < 31 ? len : 31), list);
		m = sg_state_mask_of(word);
		if (!m) {
			snprintf(
				err, n,
				"unknown state '%s': use one of SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT CLOSED (any case; ss's syn-recv and conntrack's SYN_RECV too)",
				word);
			return -EINVAL;
		}
		*mask |= m;
		list += len;
	}
	return 0;
}

int sg_filter_port(const char *opt, const char *s, int *port)
{
	unsigned long v;
	int ret = sg_parse_uint(opt, s[0] == ':' ? s + 1 : s, 1, 65535, &v);

	if (ret)
		return ret;
	*port = (int)v;
	return 0;
}

int sg_filter_prefix(const char *opt, const char *s, struct sg_src_key *p)
{
	char err[256];

	if (sg_prefix_parse(s, p, err, sizeof(err))) {
		sg_err("%s: %s", opt, err);
		return -EINVAL;
	}
	return 0;
}

/* Is addr (family fam, network order) inside prefix p? */
static bool sg_prefix_holds(const struct sg_src_key *p, __u8 fam, const __u32 *addr)
{
	struct sg_src_key k;

	if (p->family != fam)
		return false;
	sg_prefix_of(&k, fam, addr, p->plen);
	return !memcmp(k.addr, p->addr, sizeof(k.addr));
}

/* The checks both kinds of record share: one side's address and port,
 * the other's, in the filter's own terms. */
static bool sg_filter_ends(const struct sg_filter *f, __u8 fam, const __u32 *saddr, int sport,
			   const __u32 *daddr, int dport)
{
	if (f->sport >= 0 && f->sport != sport)
		return false;
	if (f->dport >= 0 && f->dport != dport)
		return false;
	if (f->port >= 0 && f->port != sport && f->port != dport)
		return false;
	if (f->has_src && !sg_prefix_holds(&f->src, fam, saddr))
		return false;
	return !f->has_dst || sg_prefix_holds(&f->dst, fam, daddr);
}

bool sg_filter_conn(const struct sg_filter *f, const struct sg_ct_key *k, unsigned int state)
{
	if (f->states && !(f->states & (1u << state)))
		return false;
	return sg_filter_ends(f, k->family, k->laddr, k->lport, k->raddr, k->rport);
}

bool sg_filter_event(const struct sg_filter *f, const struct sg_event *e)
{
	return sg_filter_ends(f, e->family, e->saddr, e->sport, e->daddr, e->dport);
}

int sg_conns_delete(const struct sg_pins *p, const struct sg_conn *cv, size_t n,
		    const struct sg_filter *f, size_t *removed)
{
	*removed = 0;
	for (size_t i = 0; i < n; i++) {
		if (!sg_filter_conn(f, &cv[i].k, cv[i].e.state))
			continue;
		/* an entry lives in one table; which one it moved to since the
		 * read does not matter: try both */
		if (!bpf_map_delete_elem(p->synced_fd, &cv[i].k) ||
		    !bpf_map_delete_elem(p->embryonic_fd, &cv[i].k)) {
			(*removed)++;
			continue;
		}
		if (errno != ENOENT)
			return sg_err_errno("cannot delete a tracked connection");
	}
	return 0;
}
