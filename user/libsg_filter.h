/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_filter.c: which connections and events a command is about, in the
 * habits of ss (sport/dport, src/dst prefixes, state names such as
 * syn-recv) and conntrack (SYN_RECV, TIME_WAIT, -D deletes what matches). */
#ifndef LIBSG_FILTER_H
#define LIBSG_FILTER_H

#include "libsg_maps.h"
#include "libsg_policy.h"

/* What to match; a field left at its init value matches everything. As in
 * ss, for a connection src and sport are the local side, dst and dport
 * the remote side; for an event they are the packet's own source and
 * destination. port matches either side. */
struct sg_filter {
	__u32 states;           /* 1 << enum sg_state; 0: any state       */
	int sport, dport, port; /* -1: any                                */
	bool has_src, has_dst;
	struct sg_src_key src, dst;
};

void sg_filter_init(struct sg_filter *f);
/* Does f select less than everything? */
bool sg_filter_narrows(const struct sg_filter *f);
/* "syn-recv,TIME_WAIT fin-wait" (ss, conntrack and synguard spellings, any
 * case, ',' or space between) added to *mask; -EINVAL with one line in err. */
int sg_state_list_parse(const char *list, __u32 *mask, char *err, size_t n);
/* A port 1..65535 for --sport/--dport/--port (":80" as ss writes it too);
 * -EINVAL after one line. */
int sg_filter_port(const char *opt, const char *s, int *port);
/* A prefix or address for --src/--dst; -EINVAL after one line. */
int sg_filter_prefix(const char *opt, const char *s, struct sg_src_key *p);

bool sg_filter_conn(const struct sg_filter *f, const struct sg_ct_key *k, unsigned int state);
bool sg_filter_event(const struct sg_filter *f, const struct sg_event *e);

/* conns delete/flush: the entries of cv[0..n) that f selects leave both
 * tables; *removed says how many were still there. 0, or -errno after one line. */
int sg_conns_delete(const struct sg_pins *p, const struct sg_conn *cv, size_t n,
		    const struct sg_filter *f, size_t *removed);

#endif /* LIBSG_FILTER_H */
