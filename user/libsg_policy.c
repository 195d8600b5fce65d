// SPDX-License-Identifier: GPL-2.0
/* Policy and visibility from the pins: prefixes, the allow and deny lists
 * and the trie and filter they become, learned sources, heavy hitters of
 * the sketch, and the remote prefixes holding most tracked connections (in
 * bounded memory). The commands that show them are libsg_policy_cli.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libsg_policy.h"
#include "libsg_maps.h"

/* ---- prefixes ---------------------------------------------------------------- */
void sg_addr_format(char *buf, size_t len, __u8 family, const __u32 *a)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void sg_prefix_of(struct sg_src_key *p, __u8 fam, const __u32 *addr, __u8 plen)
{
	memset(p, 0, sizeof(*p));
	p->family = fam;
	p->plen = plen;
	for (int i = 0; i < 4; i++) {
		unsigned int bits = plen > i * 32 ? plen - i * 32 : 0;

		p->addr[i] = bits >= 32 ? addr[i] : bits ? addr[i] & htonl(~0u << (32 - bits)) : 0;
	}
}

void sg_prefix_format(const struct sg_src_key *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	sg_addr_format(a, sizeof(a), p->family, p->addr);
	snprintf(buf, n, "%s/%u", a, p->plen);
}

int sg_prefix_parse(const char *s, struct sg_src_key *p, char *err, size_t n)
{
	const char *slash = strchr(s, '/');
	__u32 addr[4] = { 0 };
	char a[INET6_ADDRSTRLEN + 1], want[64];
	unsigned long plen, max;
	__u8 fam;
	char *end;

	snprintf(a, sizeof(a), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, a, addr) == 1) {
		fam = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, a, addr) == 1) {
		fam = 6;
		max = 128;
	} else {
		snprintf(err, n,
			 "'%s' is not an IPv4 or IPv6 prefix (198.18.0.0/15, 2001:db8::/32)", s);
		return -EINVAL;
	}
	plen = max;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || slash[1] == '-' || plen > max) {
			snprintf(err, n, "'%s': the prefix length must be 0..%lu", s, max);
			return -EINVAL;
		}
	}
	sg_prefix_of(p, fam, addr, (__u8)plen);
	if (memcmp(p->addr, addr, sizeof(addr))) {
		sg_prefix_format(p, want, sizeof(want));
		snprintf(err, n, "'%s' has host bits set: the prefix is %s", s, want);
		return -EINVAL;
	}
	return 0;
}

/* ---- lists ---------------------------------------------------------------------- */
static int sg_prefix_cmp(const void *x, const void *y)
{
	const struct sg_src_key *a = x, *b = y;
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r;
	return a->plen < b->plen ? -1 : a->plen > b->plen;
}

bool sg_plist_has(const struct sg_plist *l, const struct sg_src_key *p)
{
	return bsearch(p, l->p, l->n, sizeof(*p), sg_prefix_cmp) != NULL;
}

int sg_plist_add(struct sg_plist *l, const struct sg_src_key *p)
{
	if (sg_plist_has(l, p))
		return 0;
	if (l->n >= SG_PLIST_MAX)
		return -ENOSPC;
	l->p[l->n++] = *p;
	qsort(l->p, l->n, sizeof(*p), sg_prefix_cmp);
	return 1;
}

int sg_plist_del(struct sg_plist *l, const struct sg_src_key *p)
{
	struct sg_src_key *e = bsearch(p, l->p, l->n, sizeof(*p), sg_prefix_cmp);

	if (!e)
		return 0;
	memmove(e, e + 1, (size_t)(l->p + l->n - (e + 1)) * sizeof(*e));
	l->n--;
	memset(&l->p[l->n], 0, sizeof(l->p[0]));
	return 1;
}

/* ---- the trie ------------------------------------------------------------------- */
void sg_lpm_key_of(struct sg_lpm_key *k, const struct sg_src_key *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = SG_LPM_FAMILY_BITS + p->plen;
	k->family = p->family;
	memcpy(k->addr, p->addr, sizeof(k->addr));
}

void sg_prefix_of_lpm(struct sg_src_key *p, const struct sg_lpm_key *k)
{
	memset(p, 0, sizeof(*p));
	p->family = k->family;
	p->plen = (__u8)(k->prefixlen - SG_LPM_FAMILY_BITS);
	memcpy(p->addr, k->addr, sizeof(p->addr));
}

int sg_policy_read(int fd, struct sg_plist *allow, struct sg_plist *deny)
{
	struct sg_lpm_key k, next;
	struct sg_lpm_value v;
	void *prev = NULL;

	memset(allow, 0, sizeof(*allow));
	memset(deny, 0, sizeof(*deny));
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct sg_src_key pr;

		if (!bpf_map_lookup_elem(fd, &next, &v)) {
			sg_prefix_of_lpm(&pr, &next);
			sg_plist_add(v.action == SG_ACT_DENY ? deny : allow, &pr);
		}
		k = next;
		prev = &k;
	}
	return 0;
}

/* How many filter units (SG_POLICY_UNIT4/6) prefix p covers. */
static __u64 sg_policy_units(const struct sg_src_key *p)
{
	unsigned int unit = p->family == 4 ? SG_POLICY_UNIT4 : SG_POLICY_UNIT6;

	return p->plen >= unit ? 1 : 1ull << (unit - p->plen);
}

void sg_policy_bits_make(const struct sg_plist *allow, const struct sg_plist *deny, __u64 *words,
			 __u32 *flags)
{
	const __u32 nw = 1u << SG_POLICY_BITS_LG;
	const struct sg_plist *lists[2] = { allow, deny };

	memset(words, 0, sizeof(__u64) * SG_POLICY_BITS_ENTRIES);
	*flags = 0;
	for (int l = 0; l < 2; l++) {
		for (__u32 i = 0; i < lists[l]->n; i++) {
			const struct sg_src_key *pr = &lists[l]->p[i];
			bool v4 = pr->family == 4;
			unsigned int unit = v4 ? SG_POLICY_UNIT4 : SG_POLICY_UNIT6;
			__u64 units = sg_policy_units(pr);

			*flags |= v4 ? SG_POLICY_F_V4 : SG_POLICY_F_V6;
			if (l)
				*flags |= v4 ? SG_POLICY_F_DENY4 : SG_POLICY_F_DENY6;
			if (units > SG_POLICY_UNITS_MAX) {
				*flags |= v4 ? SG_POLICY_F_WIDE4 : SG_POLICY_F_WIDE6;
				continue;
			}
			/* each unit's address: the prefix plus u in the unit's bits;
			 * ctl (word 0) stays 0: both bitmaps whole, the first live */
			for (__u64 u = 0; u < units; u++) {
				__u32 a[4], h;

				memcpy(a, pr->addr, sizeof(a));
				a[0] = htonl(ntohl(a[0]) | (__u32)(u << (32 - unit)));
				h = sg_policy_unit(pr->family, a);
				for (int g = 0; g < 2; g++)
					words[1 + g * nw + ((h >> 6) & (nw - 1))] |= 1ull
										     << (h & 63);
			}
		}
	}
}

int sg_policy_write(int policy_fd, int bits_fd, const struct sg_plist *allow,
		    const struct sg_plist *deny, __u32 *flags)
{
	static __u64 words[SG_POLICY_BITS_ENTRIES];
	static __u32 keys[SG_POLICY_BITS_ENTRIES];
	static struct sg_plist had[2];
	const struct sg_plist *lists[2] = { allow, deny };
	const enum sg_action acts[2] = { SG_ACT_ALLOW, SG_ACT_DENY };
	__u32 count = SG_POLICY_BITS_ENTRIES;
	int ret = sg_policy_read(policy_fd, &had[0], &had[1]);

	if (ret)
		return ret;
	/* what left the lists goes; what came in (or moved from one list to
	 * the other) is written; the rest keeps its hits */
	for (int l = 0; l < 2; l++) {
		for (__u32 i = 0; i < had[l].n; i++) {
			struct sg_lpm_key k;

			if (sg_plist_has(allow, &had[l].p[i]) || sg_plist_has(deny, &had[l].p[i]))
				continue;
			sg_lpm_key_of(&k, &had[l].p[i]);
			if (bpf_map_delete_elem(policy_fd, &k) && errno != ENOENT)
				return sg_err_errno("cannot remove a prefix from sg_policy");
		}
	}
	for (int l = 0; l < 2; l++) {
		for (__u32 i = 0; i < lists[l]->n; i++) {
			struct sg_lpm_value v = { .action = acts[l] };
			struct sg_lpm_key k;

			if (sg_plist_has(&had[l], &lists[l]->p[i]))
				continue;
			sg_lpm_key_of(&k, &lists[l]->p[i]);
			if (bpf_map_update_elem(policy_fd, &k, &v, BPF_ANY)) {
				ret = -errno;
				sg_err("cannot add a prefix to sg_policy: %s%s", strerror(-ret),
				       ret == -ENOSPC || ret == -E2BIG
					       ? " (the lists hold at most 8192 prefixes in all)"
					       : "");
				return ret;
			}
		}
	}
	sg_policy_bits_make(allow, deny, words, flags);
	for (__u32 i = 0; i < count; i++)
		keys[i] = i;
	if (!bpf_map_update_batch(bits_fd, keys, words, &count, NULL))
		return 0;
	for (__u32 i = 0; i < SG_POLICY_BITS_ENTRIES; i++) {
		if (bpf_map_update_elem(bits_fd, &keys[i], &words[i], BPF_ANY))
			return sg_err_errno("cannot write sg_policy_bits");
	}
	return 0;
}

/* ---- learned sources ---------------------------------------------------------- */
static int sg_src_cmp(const void *x, const void *y)
{
	return sg_prefix_cmp(x, y);
}

int sg_learned_read(const struct sg_pins *p, const struct sg_config *c, __u64 now,
		    struct sg_learned_src **out, size_t *n)
{
	struct sg_src_key k, next;
	struct sg_learned_src *v = NULL;
	size_t cap = 0;
	void *prev = NULL;

	*n = 0;
	while (!bpf_map_get_next_key(p->learned_fd, prev, &next)) {
		struct sg_learned l;

		if (!bpf_map_lookup_elem(p->learned_fd, &next, &l) && c->learn_s &&
		    !(now > l.seen_ns && now - l.seen_ns > (__u64)c->learn_s * SG_NS)) {
			if (*n == cap) {
				struct sg_learned_src *nv;

				cap = cap ? cap * 2 : 256;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			v[*n].k = next;
			v[*n].seen_ns = l.seen_ns;
			(*n)++;
		}
		k = next;
		prev = &k;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), sg_src_cmp);
	*out = v;
	return 0;
}

int sg_learned_flush(const struct sg_pins *p, size_t *removed)
{
	struct sg_src_key k;

	*removed = 0;
	while (!bpf_map_get_next_key(p->learned_fd, NULL, &k)) {
		if (bpf_map_delete_elem(p->learned_fd, &k))
			return sg_err_errno("cannot flush sg_learned");
		(*removed)++;
	}
	return 0;
}

/* ---- heavy hitters --------------------------------------------------------------- */
static int sg_top_src_cmp(const void *x, const void *y)
{
	const struct sg_top_src *a = x, *b = y;

	if (a->syns != b->syns)
		return a->syns > b->syns ? -1 : 1;
	return sg_prefix_cmp(&a->k, &b->k);
}

int sg_hitters_read(const struct sg_pins *p, __u64 now, struct sg_top_src **out, size_t *n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sg_hitter *h = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*h));
	struct sg_top_src *v = calloc(SG_HITTERS_SIZE, sizeof(*v));
	struct sg_src_key k, next;
	void *prev = NULL;

	*n = 0;
	if (!h || !v) {
		free(h);
		free(v);
		return -ENOMEM;
	}
	while (*n < SG_HITTERS_SIZE && !bpf_map_get_next_key(p->hitters_fd, prev, &next)) {
		__u64 syns = 0, seen = 0;
		__u32 last = 0;

		if (!bpf_map_lookup_elem(p->hitters_fd, &next, h)) {
			/* its SYNs in the last window it was seen in, all CPUs */
			for (int c = 0; c < ncpu; c++) {
				if (!h[c].count)
					continue;
				if (h[c].epoch > last)
					last = h[c].epoch, syns = 0;
				if (h[c].epoch == last)
					syns += h[c].count;
				if (h[c].seen_ns > seen)
					seen = h[c].seen_ns;
			}
			/* a flood that just stopped still shows, for a while */
			if (syns && now - seen < SG_TOP_RECENT_S * 1000000000ull) {
				v[*n].k = next;
				v[*n].syns = syns;
				v[*n].seen_ns = seen;
				(*n)++;
			}
		}
		k = next;
		prev = &k;
	}
	free(h);
	qsort(v, *n, sizeof(*v), sg_top_src_cmp);
	*out = v;
	return 0;
}

/* ---- remote prefixes of tracked connections: Space-Saving -------------------------
 * cap counters, a min-heap by count and an open-addressed index: a prefix
 * not counted takes the least one's place with its count + 1 (error: that
 * count). Memory is bounded by cap whatever the tables hold; a prefix
 * holding more than walked/cap entries is surely counted. */
struct sg_ss {
	struct sg_top_ct *c; /* heap by entries                        */
	__u32 *slot;         /* index: hash -> heap position + 1       */
	size_t cap, n, nslots;
};

static __u32 sg_ss_hash(const struct sg_src_key *k)
{
	__u64 h = ((__u64)k->addr[0] << 32 | k->addr[1]) ^ ((__u64)k->addr[2] << 32 | k->addr[3]);

	return sg_mix(h ^ k->family);
}

static size_t *sg_ss_find(struct sg_ss *s, const struct sg_src_key *k, size_t *pos)
{
	size_t i = sg_ss_hash(k) & (s->nslots - 1);

	for (;; i = (i + 1) & (s->nslots - 1)) {
		if (!s->slot[i] || !memcmp(&s->c[s->slot[i] - 1].k, k, sizeof(*k))) {
			*pos = i;
			return s->slot[i] ? pos : NULL;
		}
	}
}

static void sg_ss_swap(struct sg_ss *s, size_t a, size_t b)
{
	struct sg_top_ct t = s->c[a];
	size_t ia, ib;

	sg_ss_find(s, &s->c[a].k, &ia);
	sg_ss_find(s, &s->c[b].k, &ib);
	s->c[a] = s->c[b];
	s->c[b] = t;
	s->slot[ia] = (__u32)b + 1;
	s->slot[ib] = (__u32)a + 1;
}

static void sg_ss_down(struct sg_ss *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->n && s->c[l].entries < s->c[m].entries)
			m = l;
		if (r < s->n && s->c[r].entries < s->c[m].entries)
			m = r;
		if (m == i)
			return;
		sg_ss_swap(s, i, m);
		i = m;
	}
}

static void sg_ss_up(struct sg_ss *s, size_t i)
{
	while (i && s->c[(i - 1) / 2].entries > s->c[i].entries) {
		sg_ss_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* Removes the index entry at slot i, keeping probe chains whole. */
static void sg_ss_unindex(struct sg_ss *s, size_t i)
{
	size_t j = i;

	s->slot[i] = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & (s->nslots - 1);
		if (!s->slot[j])
			return;
		home = sg_ss_hash(&s->c[s->slot[j] - 1].k) & (s->nslots - 1);
		/* move j back to i if its home is not in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			s->slot[i] = s->slot[j];
			s->slot[j] = 0;
			i = j;
		}
	}
}

static void sg_ss_add(struct sg_ss *s, const struct sg_src_key *k, bool embryonic)
{
	size_t i, pos;

	if (sg_ss_find(s, k, &i)) {
		pos = s->slot[i] - 1;
		s->c[pos].entries++;
		s->c[pos].embryonic += embryonic;
		sg_ss_down(s, pos);
		return;
	}
	if (s->n < s->cap) {
		pos = s->n++;
		s->c[pos] = (struct sg_top_ct){ .k = *k, .entries = 1, .embryonic = embryonic };
		s->slot[i] = (__u32)pos + 1;
		sg_ss_up(s, pos);
		return;
	}
	/* the least counted prefix gives its place up */
	sg_ss_find(s, &s->c[0].k, &pos);
	sg_ss_unindex(s, pos);
	s->c[0].error = s->c[0].entries;
	s->c[0].k = *k;
	s->c[0].entries++;
	s->c[0].embryonic = embryonic;
	sg_ss_find(s, k, &i);
	s->slot[i] = 1;
	sg_ss_down(s, 0);
}

static int sg_top_ct_cmp(const void *x, const void *y)
{
	const struct sg_top_ct *a = x, *b = y;

	if (a->entries != b->entries)
		return a->entries > b->entries ? -1 : 1;
	return sg_prefix_cmp(&a->k, &b->k);
}

#define SG_TOP_BATCH 512

int sg_ct_top(const struct sg_pins *p, const struct sg_config *c, __u8 plen4, __u8 plen6,
	      size_t cap, struct sg_top_ct **out, size_t *n, __u64 *walked)
{
	static struct sg_ct_key keys[SG_TOP_BATCH];
	static struct sg_ct_entry vals[SG_TOP_BATCH];
	int fds[2] = { p->synced_fd, p->embryonic_fd };
	struct sg_ss s = { .cap = cap };
	__u64 now = sg_now_ns();
	int ret = -ENOMEM;

	*walked = 0;
	for (s.nslots = 64; s.nslots < 2 * cap; s.nslots *= 2)
		;
	s.c = calloc(cap, sizeof(*s.c));
	s.slot = calloc(s.nslots, sizeof(*s.slot));
	if (!s.c || !s.slot)
		goto fail;
	for (int t = 0; t < 2; t++) {
		__u32 in_batch, out_batch, count;
		bool first = true;
		int err;

		do {
			count = SG_TOP_BATCH;
			err = bpf_map_lookup_batch(fds[t], first ? NULL : &in_batch, &out_batch,
						   keys, vals, &count, NULL);
			if (err && errno != ENOENT) {
				ret = sg_err_errno("cannot read the connection tables");
				goto fail;
			}
			for (__u32 i = 0; i < count; i++) {
				struct sg_src_key k;

				if (sg_ct_entry_expired(c->timeout_s, &vals[i], now))
					continue;
				sg_prefix_of(&k, keys[i].family, keys[i].raddr,
					     keys[i].family == 4 ? plen4 : plen6);
				sg_ss_add(&s, &k,
					  vals[i].state == SG_SYN_SENT ||
						  vals[i].state == SG_SYN_RCVD);
				(*walked)++;
			}
			in_batch = out_batch;
			first = false;
		} while (!err);
	}
	free(s.slot);
	qsort(s.c, s.n, sizeof(*s.c), sg_top_ct_cmp);
	*out = s.c;
	*n = s.n;
	return 0;
fail:
	free(s.c);
	free(s.slot);
	return ret;
}
