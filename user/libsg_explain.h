/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_explain.c: synguard explain ADDR[:PORT], what the data path would
 * do now with a SYN and an ACK from that source, from the same pinned
 * state it decides on, and what it holds of it (tracker entries, learned
 * source, SYN budget, heavy-hitter record). */
#ifndef LIBSG_EXPLAIN_H
#define LIBSG_EXPLAIN_H

#include "libsg_maps.h"
#include "libsg_policy.h"

/* "198.18.0.2", "198.18.0.2:80", "[2001:db8::2]:80", "2001:db8::2":
 * *port -1 when none is given; -EINVAL with one line in err. */
int sg_explain_target(const char *s, struct sg_src_key *addr, int *port, char *err, size_t n);
/* The whole explanation, as text or one JSON object: an SG_EXIT_* code. */
int sg_cmd_explain(struct sg_view *v, const char *target, bool json);

#endif /* LIBSG_EXPLAIN_H */
