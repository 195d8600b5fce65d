/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_policy: who may connect. It owns prefixes (parse, format), the
 * allow/deny lists and the trie and filter the data path reads, learned
 * sources, heavy hitters, the busiest remote prefixes, and the allow, deny
 * and top commands. */
#ifndef LIBSG_POLICY_H
#define LIBSG_POLICY_H

#include "libsg_maps.h"

/* A list of prefixes (allow.prefixes, deny.prefixes): sorted, no
 * duplicates, so that equal lists are equal bytes. A prefix is a struct
 * sg_src_key: family, length, address with its host bits zero. */
#define SG_PLIST_MAX 4096
struct sg_plist {
	__u32 n;
	struct sg_src_key p[SG_PLIST_MAX];
};

/* "198.18.0.0/15", "2001:db8::/32", an address alone (a host); -EINVAL with one
 * line in err (host bits set: the prefix meant is named). */
int sg_prefix_parse(const char *s, struct sg_src_key *p, char *err, size_t n);
void sg_prefix_format(const struct sg_src_key *p, char *buf, size_t n);
/* The address of family fam (4/6, network order) masked to plen bits. */
void sg_prefix_of(struct sg_src_key *p, __u8 fam, const __u32 *addr, __u8 plen);
/* 1: new, 0: there already, -ENOSPC: the list holds SG_PLIST_MAX. */
int sg_plist_add(struct sg_plist *l, const struct sg_src_key *p);
int sg_plist_del(struct sg_plist *l, const struct sg_src_key *p); /* 1: was */
bool sg_plist_has(const struct sg_plist *l, const struct sg_src_key *p);
/* The trie's entries as two lists. */
int sg_policy_read(int fd, struct sg_plist *allow, struct sg_plist *deny);
/* The trie and its filter as the lists say; *flags gets sg_config.policy.
 * 0, or -errno after one line. */
int sg_policy_write(int policy_fd, int bits_fd, const struct sg_plist *allow,
		    const struct sg_plist *deny, __u32 *flags);
/* The filter's words alone (SG_POLICY_BITS_ENTRIES), and the flags. */
void sg_policy_bits_make(const struct sg_plist *allow, const struct sg_plist *deny, __u64 *words,
			 __u32 *flags);
void sg_lpm_key_of(struct sg_lpm_key *k, const struct sg_src_key *p);
/* ...and back: the prefix a trie key stands for. */
void sg_prefix_of_lpm(struct sg_src_key *p, const struct sg_lpm_key *k);
/* Live learned sources (now: CLOCK_MONOTONIC); flush empties the list. */
struct sg_learned_src {
	struct sg_src_key k;
	__u64 seen_ns;
};
int sg_learned_read(const struct sg_pins *p, const struct sg_config *c, __u64 now,
		    struct sg_learned_src **out, size_t *n);
int sg_learned_flush(const struct sg_pins *p, size_t *removed);
/* Heavy hitters: SYN sources past top.threshold seen in the last
 * SG_TOP_RECENT_S, summed over CPUs, and the remote prefixes holding most
 * tracked connections. */
#define SG_TOP_RECENT_S 60
struct sg_top_src {
	struct sg_src_key k;
	__u64 syns;    /* in its last window, all CPUs            */
	__u64 seen_ns; /* last recorded                          */
};
int sg_hitters_read(const struct sg_pins *p, __u64 now, struct sg_top_src **out, size_t *n);
struct sg_top_ct {
	struct sg_src_key k;
	__u64 entries, embryonic; /* tracked (at least: a bounded summary)   */
	__u64 error;              /* ...overcounted by at most this          */
};
/* A bounded-memory walk of both tables (Space-Saving summary of cap
 * prefixes, prefixes of plen4/plen6 bits); sorted, most first. */
int sg_ct_top(const struct sg_pins *p, const struct sg_config *c, __u8 plen4, __u8 plen6,
	      size_t cap, struct sg_top_ct **out, size_t *n, __u64 *walked);

/* An address of family 4/6 (network order) as text. */
void sg_addr_format(char *buf, size_t len, __u8 family, const __u32 *a);

#endif /* LIBSG_POLICY_H */
