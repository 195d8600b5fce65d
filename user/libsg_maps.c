// SPDX-License-Identifier: GPL-2.0
/* Pin layout, pinned maps and programs, and reading them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libsg_maps.h"

__u64 sg_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

__u64 sg_coarse_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

void sg_pins_init(struct sg_pins *p, const char *bpffs, const char *iface)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->iface, sizeof(p->iface), "%s", iface);
	snprintf(p->bpffs, sizeof(p->bpffs), "%s", bpffs ? bpffs : SG_DEFAULT_BPFFS);
	snprintf(p->dir, sizeof(p->dir), "%s/%s/%s", p->bpffs, SG_PIN_SUBDIR, iface);
	p->config_fd = p->ports_fd = p->secrets_fd = p->counters_fd = -1;
	p->pcounters_fd = p->synced_fd = p->embryonic_fd = p->walk_fd = -1;
	p->daemon_fd = p->policy_fd = p->policy_bits_fd = p->learned_fd = -1;
	p->hitters_fd = p->events_fd = p->local_addrs_fd = -1;
}

bool sg_pins_dir_safe(const struct sg_pins *p)
{
	char sub[PATH_MAX + 16], want[PATH_MAX + IF_NAMESIZE + 1], real[PATH_MAX];
	int n = snprintf(sub, sizeof(sub), "%s/%s", p->bpffs, SG_PIN_SUBDIR);

	if (n < 0 || (size_t)n >= sizeof(sub) || !sg_iface_valid(p->iface) ||
	    !realpath(sub, want) || !realpath(p->dir, real))
		return false;
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "/%s", p->iface);
	return !strcmp(real, want);
}

int sg_pin_path(char *buf, size_t len, const struct sg_pins *p, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", p->dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int sg_pin_get(const struct sg_pins *p, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (sg_pin_path(path, sizeof(path), p, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		sg_err("cannot open %s: %s (restart synguardd -i %s)", path, strerror(-fd),
		       p->iface);
	}
	return fd;
}

size_t sg_map_len(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) / page * page;
}

void *sg_map_mmap(int fd, size_t len, const char *name)
{
	void *m = mmap(NULL, sg_map_len(len), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (m != MAP_FAILED)
		return m;
	sg_err("cannot mmap %s: %s", name, strerror(errno));
	return NULL;
}

int sg_pins_open(struct sg_pins *p)
{
	struct stat st;
	struct {
		int *fd;
		const char *name;
	} tab[] = {
		{ &p->config_fd, "sg_config" },           { &p->ports_fd, "sg_ports" },
		{ &p->secrets_fd, "sg_secrets" },         { &p->counters_fd, "sg_counters" },
		{ &p->pcounters_fd, "sg_port_counters" }, { &p->synced_fd, "sg_ct_synced" },
		{ &p->embryonic_fd, "sg_ct_embryonic" },  { &p->walk_fd, "prog_walk" },
		{ &p->daemon_fd, "sg_daemon" },           { &p->policy_fd, "sg_policy" },
		{ &p->policy_bits_fd, "sg_policy_bits" }, { &p->learned_fd, "sg_learned" },
		{ &p->hitters_fd, "sg_hitters" },         { &p->events_fd, "sg_events" },
		{ &p->local_addrs_fd, "sg_local_addrs" },
	};

	if (stat(p->dir, &st) || !S_ISDIR(st.st_mode)) {
		sg_err("no synguard on %s: start synguardd -i %s", p->iface, p->iface);
		return -ENODEV;
	}
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		*tab[i].fd = sg_pin_get(p, tab[i].name);
		if (*tab[i].fd < 0) {
			int r = *tab[i].fd;

			sg_pins_close(p);
			return r;
		}
	}
	p->cfg = sg_map_mmap(p->config_fd, sizeof(*p->cfg), "sg_config");
	p->dpage = sg_map_mmap(p->daemon_fd, sizeof(*p->dpage), "sg_daemon");
	if (!p->cfg || !p->dpage) {
		sg_pins_close(p);
		return -EIO;
	}
	return 0;
}

void sg_pins_close(struct sg_pins *p)
{
	int *fds[] = { &p->config_fd,    &p->ports_fd,  &p->secrets_fd,     &p->counters_fd,
		       &p->pcounters_fd, &p->synced_fd, &p->embryonic_fd,   &p->walk_fd,
		       &p->daemon_fd,    &p->policy_fd, &p->policy_bits_fd, &p->learned_fd,
		       &p->hitters_fd,   &p->events_fd, &p->local_addrs_fd };

	if (p->cfg)
		munmap(p->cfg, sg_map_len(sizeof(*p->cfg)));
	if (p->dpage)
		munmap(p->dpage, sg_map_len(sizeof(*p->dpage)));
	p->cfg = NULL;
	p->dpage = NULL;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

bool sg_pins_current(const struct sg_pins *p)
{
	struct bpf_map_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	char path[PATH_MAX];
	int fd;
	bool same;

	if (sg_pin_path(path, sizeof(path), p, "sg_config"))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	same = !bpf_obj_get_info_by_fd(fd, &a, &la) &&
	       !bpf_obj_get_info_by_fd(p->config_fd, &b, &lb) && a.id == b.id;
	close(fd);
	return same;
}

int sg_pins_guess_iface(const char *bpffs, char *iface, size_t len, bool quiet)
{
	char path[PATH_MAX], names[256] = "";
	struct dirent *de;
	size_t used = 0;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", bpffs, SG_PIN_SUBDIR);
	d = opendir(path);
	if (!d) {
		if (!quiet)
			sg_err("no synguard found under %s: start synguardd -i IFACE", path);
		return -ENOENT;
	}
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !sg_iface_valid(de->d_name))
			continue;
		if (!n)
			snprintf(iface, len, "%s", de->d_name);
		/* named in the error below, as many as fit */
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 n ? ", " : "", de->d_name);
		n++;
	}
	closedir(d);
	if (n == 1)
		return 0;
	if (quiet && !n)
		return -ENOENT;
	if (n) {
		sg_err("synguard runs on %d interfaces (%s%s): name one with -i IFACE", n, names,
		       used >= sizeof(names) ? "..." : "");
		return -ENOTUNIQ;
	}
	sg_err("no synguard found under %s: start synguardd -i IFACE", path);
	return -ENOENT;
}

/* ---- config, counters, ports, secrets ------------------------------------ */
__u32 sg_map_max_entries(int fd)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);

	return bpf_obj_get_info_by_fd(fd, &mi, &len) ? 0 : mi.max_entries;
}

int sg_config_read(int fd, struct sg_config *c)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, c))
		return sg_err_errno("cannot read sg_config");
	return 0;
}

int sg_config_write(int fd, const struct sg_config *c)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(fd, &zero, c, BPF_ANY))
		return sg_err_errno("cannot write sg_config");
	return 0;
}

static int sg_ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

int sg_counters_read(int fd, __u64 out[SG_CNT_MAX])
{
	return sg_counters_read_bank(fd, SG_BANK_REAL, out);
}

int sg_counters_read_bank(int fd, __u32 bank, __u64 out[SG_CNT_MAX])
{
	int ncpu = sg_ncpus();
	struct sg_counters *v = calloc((size_t)ncpu, sizeof(*v));

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(__u64) * SG_CNT_MAX);
	if (bpf_map_lookup_elem(fd, &bank, v)) {
		int ret = -errno;

		sg_err("cannot read sg_counters: %s", strerror(-ret));
		free(v);
		return ret;
	}
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < SG_CNT_MAX; i++)
			out[i] += v[c].v[i];
	free(v);
	return 0;
}

/* Every slot in one batch (one syscall, not SG_PORT_SLOTS), slot by slot
 * where batches are not supported. */
int sg_pcounters_read(int fd, __u64 (*out)[SG_PCNT_MAX])
{
	size_t ncpu = (size_t)sg_ncpus();
	struct sg_port_counters *v = calloc(ncpu * SG_PORT_SLOTS, sizeof(*v));
	__u32 *keys = calloc(SG_PORT_SLOTS, sizeof(*keys));
	__u32 out_batch, count = SG_PORT_SLOTS;
	int err = -1;

	if (!v || !keys)
		goto out;
	memset(out, 0, sizeof(*out) * SG_PORT_SLOTS);
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, v, &count, NULL) &&
	    !(errno == ENOENT && count == SG_PORT_SLOTS)) {
		for (__u32 s = 0; s < SG_PORT_SLOTS; s++) {
			keys[s] = s;
			if (bpf_map_lookup_elem(fd, &s, &v[s * ncpu])) {
				sg_err("cannot read sg_port_counters: %s", strerror(errno));
				goto out;
			}
		}
	}
	for (__u32 s = 0; s < SG_PORT_SLOTS; s++)
		for (size_t c = 0; c < ncpu; c++)
			for (int i = 0; i < SG_PCNT_MAX; i++)
				out[keys[s] & (SG_PORT_SLOTS - 1)][i] += v[s * ncpu + c].v[i];
	err = 0;
out:
	free(v);
	free(keys);
	return err;
}

/* Through the map's mmap (one 8-byte element per port), or in a batch. */
int sg_ports_read(int fd, __u16 *slots)
{
	static __u32 keys[65536];
	__u32 out_batch, count = 65536;
	size_t len = 65536 * sizeof(__u64);
	const char *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	int err;

	if (m != MAP_FAILED) {
		for (__u32 k = 0; k < 65536; k++)
			memcpy(&slots[k], m + k * sizeof(__u64), sizeof(slots[k]));
		munmap((void *)m, len);
		return 0;
	}
	err = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, slots, &count, NULL);
	if (!err || (errno == ENOENT && count == 65536))
		return 0;
	for (__u32 k = 0; k < 65536; k++) {
		if (bpf_map_lookup_elem(fd, &k, &slots[k]))
			return sg_err_errno("cannot read sg_ports");
	}
	return 0;
}

int sg_ports_write(int fd, const __u16 *slots)
{
	static __u32 keys[65536];
	__u32 count = 65536;

	for (__u32 k = 0; k < 65536; k++)
		keys[k] = k;
	if (!bpf_map_update_batch(fd, keys, slots, &count, NULL) && count == 65536)
		return 0;
	for (__u32 k = 0; k < 65536; k++) {
		if (bpf_map_update_elem(fd, &k, &slots[k], BPF_ANY))
			return sg_err_errno("cannot write sg_ports");
	}
	return 0;
}

int sg_secrets_read(int fd, struct sg_secret_state *s)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, s))
		return sg_err_errno("cannot read sg_secrets");
	return 0;
}

int sg_walk_run(int prog_fd, int delete_expired, struct sg_walk_args *a)
{
	return sg_walk_run_tw(prog_fd, delete_expired, 0, 0, a);
}

int sg_walk_run_tw(int prog_fd, int delete_expired, __u16 lo, __u16 hi, struct sg_walk_args *a)
{
	/* syscall programs take ctx_in only; the kernel copies it back */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = a, .ctx_size_in = sizeof(*a));

	memset(a, 0, sizeof(*a));
	a->now_ns = sg_now_ns();
	a->delete_expired = (__u32)delete_expired;
	a->eph_lo = lo;
	a->eph_hi = hi;
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return sg_err_errno("cannot run the table walker");
	if (o.retval) {
		sg_err("table walker failed (no config in sg_config?)");
		return -EINVAL;
	}
	return 0;
}

int sg_gauges_read(const struct sg_pins *p, int daemon_pid, __u16 lo, __u16 hi,
		   struct sg_walk_args *a, double *age_s)
{
	const struct sg_daemon_status *st = &p->dpage->st;
	const struct sg_walk_args *sw = &st->sweep;
	__u64 entries = sw->synced + sw->embryonic, now = sg_now_ns();

	*age_s = 0;
	if (daemon_pid > 0 && entries > SG_GAUGES_WALK_MAX && now >= sw->now_ns &&
	    now - sw->now_ns < SG_GAUGES_MAX_AGE_NS + 3 * st->sweep_ns) {
		*a = *sw;
		*age_s = (double)(now - sw->now_ns) / 1e9;
		return 0;
	}
	return sg_walk_run_tw(p->walk_fd, 0, lo, hi, a);
}

/* ---- connections ------------------------------------------------------------ */
struct sg_connv {
	struct sg_conn *v;
	size_t n, cap;
};

static int sg_connv_push(struct sg_connv *cv, const struct sg_ct_key *k,
			 const struct sg_ct_entry *e)
{
	if (cv->n == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 1024;
		struct sg_conn *nv = realloc(cv->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		cv->v = nv;
		cv->cap = cap;
	}
	cv->v[cv->n].k = *k;
	cv->v[cv->n].e = *e;
	cv->n++;
	return 0;
}

/* keys and values of 4096 entries a call: 700 KB of buffers */
#define SG_BATCH 4096

static int sg_ct_dump(int fd, const struct sg_config *c, __u64 now, struct sg_connv *cv)
{
	static struct sg_ct_key keys[SG_BATCH];
	static struct sg_ct_entry vals[SG_BATCH];
	size_t start = cv->n;
	__u32 in_batch, out_batch, count;
	bool first = true;
	int err;

	for (;;) {
		count = SG_BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, vals,
					   &count, NULL);
		if (err && errno != ENOENT)
			goto fallback;
		for (__u32 i = 0; i < count; i++)
			if (!sg_ct_entry_expired(c->timeout_s, &vals[i], now) &&
			    sg_connv_push(cv, &keys[i], &vals[i]))
				return -ENOMEM;
		if (err)
			return 0;
		in_batch = out_batch;
		first = false;
	}

fallback:
	/* older kernels, or a bucket bigger than the batch */
	cv->n = start;
	{
		struct sg_ct_key k, next;
		struct sg_ct_entry e;
		void *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, &next)) {
			if (!bpf_map_lookup_elem(fd, &next, &e) &&
			    !sg_ct_entry_expired(c->timeout_s, &e, now) &&
			    sg_connv_push(cv, &next, &e))
				return -ENOMEM;
			k = next;
			prev = &k;
		}
	}
	return 0;
}

static int sg_conn_cmp(const struct sg_ct_key *x, const struct sg_ct_key *y)
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

/* The order of sg_conn_cmp in two integers, so that sorting compares
 * 16 bytes next to each other instead of following a pointer to a
 * 136-byte connection: an IPv4 key (zeros past laddr[0] and raddr[0]) in
 * full, an IPv6 key by the first 15 bytes of its local address (ties go
 * to sg_conn_cmp). */
struct sg_conn_rank {
	__u64 hi, lo;
	const struct sg_conn *c;
};

static void sg_conn_rank_of(struct sg_conn_rank *r, const struct sg_conn *c)
{
	const struct sg_ct_key *k = &c->k;
	const unsigned char *la = (const unsigned char *)k->laddr;

	r->c = c;
	if (k->family == 4) {
		r->hi = (__u64)4 << 56 | (__u64)ntohl(k->laddr[0]) << 16 | k->lport;
		r->lo = (__u64)ntohl(k->raddr[0]) << 16 | k->rport;
		return;
	}
	r->hi = (__u64)k->family << 56;
	r->lo = 0;
	for (int i = 0; i < 7; i++)
		r->hi |= (__u64)la[i] << (48 - 8 * i);
	for (int i = 7; i < 15; i++)
		r->lo |= (__u64)la[i] << (8 * (14 - i));
}

static int sg_conn_rank_cmp(const void *a, const void *b)
{
	const struct sg_conn_rank *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return sg_conn_cmp(&x->c->k, &y->c->k);
}

/* Digit d (0..7, least significant first) of a rank: 16 bits of lo,
 * then of hi. */
static unsigned int sg_rank_digit(const struct sg_conn_rank *r, int d)
{
	return (unsigned int)((d < 4 ? r->lo : r->hi) >> (16 * (d % 4))) & 0xffff;
}

#define SG_RANK_DIGITS 8

/* The ranks in order: a radix sort, 16 bits a pass, which skips a digit
 * that every rank shares (on a server, its address and port: three
 * passes are left of eight). A million rows take it a fraction of what
 * qsort's comparisons took. Stable, so IPv6 ranks that tie on their 15
 * bytes are then ordered by the whole key, run by run. */
static int sg_conn_ranks_sort(struct sg_conn_rank *r, size_t n)
{
	static size_t count[SG_RANK_DIGITS][1 << 16];
	struct sg_conn_rank *tmp = sg_huge_alloc(n * sizeof(*tmp)), *src = r, *dst = tmp, *t;

	if (!tmp)
		return -ENOMEM;
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < SG_RANK_DIGITS; d++)
			count[d][sg_rank_digit(&r[i], d)]++;
	for (int d = 0; d < SG_RANK_DIGITS; d++) {
		size_t at = 0, c;

		if (count[d][sg_rank_digit(&r[0], d)] == n)
			continue;
		for (unsigned int v = 0; v < 1 << 16; v++) {
			c = count[d][v];
			count[d][v] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[d][sg_rank_digit(&src[i], d)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != r)
		memcpy(r, src, n * sizeof(*r));
	free(tmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && r[j].hi == r[i].hi && r[j].lo == r[i].lo; j++)
			;
		if (j - i > 1)
			qsort(r + i, j - i, sizeof(*r), sg_conn_rank_cmp);
	}
	return 0;
}

/* Puts each connection where its rank says, in place, one cycle of the
 * permutation at a time: each connection moves once, and no second table
 * is allocated. A fresh table cost more than the moves: the kernel clears
 * every page of it on first touch (a quarter of conns --json at 1M rows). */
static void sg_conns_permute(struct sg_conn *v, struct sg_conn_rank *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sg_conn held;
		size_t at = i, from;

		if (r[i].c == &v[i])
			continue;
		held = v[i];
		for (;;) {
			from = (size_t)(r[at].c - v);
			r[at].c = &v[at];
			if (from == i)
				break;
			v[at] = v[from];
			at = from;
		}
		v[at] = held;
	}
}

/* Sorted in place: the ranks, then each connection moved once. */
static int sg_conns_sort(struct sg_connv *cv)
{
	struct sg_conn_rank *r = sg_huge_alloc(cv->n * sizeof(*r));
	int ret = -ENOMEM;

	if (!r)
		return ret;
	for (size_t i = 0; i < cv->n; i++)
		sg_conn_rank_of(&r[i], &cv->v[i]);
	ret = sg_conn_ranks_sort(r, cv->n);
	if (!ret)
		sg_conns_permute(cv->v, r, cv->n);
	free(r);
	return ret;
}

int sg_conns_read(const struct sg_pins *p, const struct sg_config *c, struct sg_conn **out,
		  size_t *n)
{
	/* room for both tables full: one allocation that the kernel backs
	 * page by page as the dump fills it, no copies as it grows */
	struct sg_connv cv = { .cap = (size_t)sg_map_max_entries(p->synced_fd) +
				      sg_map_max_entries(p->embryonic_fd) };
	__u64 now = sg_now_ns();
	int ret;

	cv.v = cv.cap ? sg_huge_alloc(cv.cap * sizeof(*cv.v)) : NULL;
	if (!cv.v)
		cv.cap = 0;
	ret = sg_ct_dump(p->synced_fd, c, now, &cv);

	if (!ret)
		ret = sg_ct_dump(p->embryonic_fd, c, now, &cv);
	if (!ret && cv.n > 1)
		ret = sg_conns_sort(&cv);
	if (ret) {
		sg_err("cannot read the connection tables: %s", strerror(-ret));
		free(cv.v);
		return ret;
	}
	*out = cv.v;
	*n = cv.n;
	return 0;
}

void sg_slot_labels(const __u16 *slots, char (*label)[8])
{
	for (int s = 0; s < SG_PORT_SLOTS; s++)
		label[s][0] = 0;
	for (unsigned int p = 1; p < 65536; p++) {
		__u16 s = slots[p];

		if (s == SG_PORT_SLOT_OTHER)
			snprintf(label[s], 8, "other");
		else if (s && !label[s][0])
			snprintf(label[s], 8, "%u", p);
	}
}

/* ---- attachments ------------------------------------------------------------- */
bool sg_xdp_is_ours(const struct sg_pins *p)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int ifindex = (int)if_nametoindex(p->iface);
	char path[PATH_MAX];
	int fd;

	if (!ifindex || bpf_xdp_query(ifindex, 0, &q) || !q.prog_id)
		return false;
	if (q.attach_mode == XDP_ATTACHED_MULTI)
		return true;
	if (sg_pin_path(path, sizeof(path), p, "prog_xdp") || (fd = bpf_obj_get(path)) < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id == q.prog_id;
}

bool sg_tcx_has_prog(int ifindex, int dir, __u32 id)
{
	__u32 ids[64], n = 64;

	if (bpf_prog_query(ifindex, dir ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, 0, NULL, ids, &n))
		return false;
	for (__u32 i = 0; i < n && i < 64; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* ---- daemon liveness --------------------------------------------------------- */
bool sg_pins_held(const struct sg_pins *p)
{
	int fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Interface names are per network namespace, so the pidfile is too:
 * /run/synguard/NETNS_INODE/IFACE.pid (the inode of /proc/self/ns/net). */
void sg_pidfile_path(char *buf, size_t len, const char *iface, bool dir)
{
	struct stat st;
	unsigned long ino = stat("/proc/self/ns/net", &st) ? 0 : (unsigned long)st.st_ino;

	snprintf(buf, len, "%s/%lu%s%s%s", SG_RUN_DIR, ino, dir ? "" : "/", dir ? "" : iface,
		 dir ? "" : ".pid");
}

void sg_versionfile_path(char *buf, size_t len, const char *iface)
{
	size_t n;

	/* the pidfile's name with .version for .pid */
	sg_pidfile_path(buf, len, iface, false);
	n = strlen(buf);
	if (n > 4 && n + 5 <= len)
		memcpy(buf + n - 4, ".version", 9);
}

int sg_daemon_pid(const char *iface)
{
	char path[PATH_MAX], buf[32] = "";
	ssize_t r;
	int fd, pid;

	sg_pidfile_path(path, sizeof(path), iface, false);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd); /* nobody holds it: not running */
		return 0;
	}
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	pid = r > 0 ? atoi(buf) : 0;
	return pid > 0 ? pid : 1;
}

int sg_daemon_build(const char *iface, char *version, size_t vlen, char *build, size_t blen)
{
	char path[PATH_MAX], v[96], b[32];
	FILE *f;
	int n;

	sg_versionfile_path(path, sizeof(path), iface);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%95s %31s", v, b);
	fclose(f);
	if (n != 2)
		return -EINVAL;
	snprintf(version, vlen, "%s", v);
	snprintf(build, blen, "%s", b);
	return 0;
}
