// SPDX-License-Identifier: GPL-2.0
/* The reference model: bpf/synguard.bpf.c itself, compiled natively (the
 * SG_MODEL shim in tests/fuzz/model.h), with the helpers and maps it calls
 * implemented here as the kernel documents them. The fuzzer feeds the same
 * frames to this and to the kernel's copy and demands identical results:
 * what differs is then the verifier's, the JIT's, a helper's or the test
 * runner's doing, or code that leans on something neither side promises.
 *
 * This file sees kernel types (vmlinux.h) and so no libc headers; the
 * harness talks to it through sg_model.h's plain-typed functions.
 */
#define SG_MODEL
#include "synguard.bpf.c"
#include "sg_model.h"

void *calloc(unsigned long n, unsigned long size);
void free(void *p);
int strcmp(const char *a, const char *b);

#define EINVAL 22
#define EEXIST 17
#define ENOENT 2
#define E2BIG 7
#define EACCES 13

/* ---- maps ---------------------------------------------------------------- */
struct mentry {
	struct mentry *next;          /* bucket chain                                */
	struct mentry *older, *newer; /* every entry, in insertion order      */
	__u64 used;                   /* LRU stamp: last lookup or update             */
	__u8 kv[];                    /* key, then value at koff                     */
};

struct mmap_ {
	const char *name;
	void *def; /* the map definition's address: its identity */
	__u32 type, ksize, vsize, max, koff;
	__u32 count, nbuckets;
	__u8 *array;            /* array types                                 */
	struct mentry **bucket; /* hash types                                 */
	struct mentry *newest;
};

#define SG_MODEL_MAP(m, t)           \
	{ .name = #m,                \
	  .def = &m,                 \
	  .type = t,                 \
	  .ksize = sizeof(*m.key),   \
	  .vsize = sizeof(*m.value), \
	  .max = sizeof(*m.max_entries) / sizeof(int) }
/* a ring buffer has no key nor value: its size is its max_entries */
#define SG_MODEL_RINGBUF(m)             \
	{ .name = #m,                   \
	  .def = &m,                    \
	  .type = BPF_MAP_TYPE_RINGBUF, \
	  .max = sizeof(*m.max_entries) / sizeof(int) }

/* Every map of synguard.bpf.c; sg_model_map() fails for a name missing
 * here, and the harness asks for every map of the skeleton. */
static struct mmap_ maps[] = {
	SG_MODEL_MAP(sg_config, BPF_MAP_TYPE_ARRAY),
	SG_MODEL_MAP(sg_ports, BPF_MAP_TYPE_ARRAY),
	SG_MODEL_MAP(sg_secrets, BPF_MAP_TYPE_ARRAY),
	SG_MODEL_MAP(sg_counters, BPF_MAP_TYPE_PERCPU_ARRAY),
	SG_MODEL_MAP(sg_port_counters, BPF_MAP_TYPE_PERCPU_ARRAY),
	SG_MODEL_MAP(sg_ct_synced, BPF_MAP_TYPE_LRU_HASH),
	SG_MODEL_MAP(sg_ct_embryonic, BPF_MAP_TYPE_LRU_HASH),
	SG_MODEL_MAP(sg_ct_scratch, BPF_MAP_TYPE_PERCPU_ARRAY),
	SG_MODEL_MAP(sg_budget, BPF_MAP_TYPE_LRU_HASH),
	SG_MODEL_MAP(sg_cookie_spent, BPF_MAP_TYPE_ARRAY),
	SG_MODEL_MAP(sg_daemon, BPF_MAP_TYPE_ARRAY),
	SG_MODEL_MAP(sg_ct_bits, BPF_MAP_TYPE_ARRAY),
	SG_MODEL_MAP(sg_cpu_budget, BPF_MAP_TYPE_PERCPU_ARRAY),
	SG_MODEL_MAP(sg_sketch, BPF_MAP_TYPE_PERCPU_ARRAY),
	SG_MODEL_MAP(sg_sketch_syns, BPF_MAP_TYPE_PERCPU_ARRAY),
	SG_MODEL_MAP(sg_hitters, BPF_MAP_TYPE_LRU_PERCPU_HASH),
	SG_MODEL_MAP(sg_learned, BPF_MAP_TYPE_LRU_HASH),
	SG_MODEL_MAP(sg_learned_bits, BPF_MAP_TYPE_ARRAY),
	SG_MODEL_MAP(sg_policy, BPF_MAP_TYPE_LPM_TRIE),
	SG_MODEL_MAP(sg_policy_bits, BPF_MAP_TYPE_ARRAY),
	SG_MODEL_MAP(sg_local_addrs, BPF_MAP_TYPE_HASH),
	SG_MODEL_RINGBUF(sg_events),
};
#define NMAPS (sizeof(maps) / sizeof(maps[0]))

static __u64 lru_clock;

static bool is_array(const struct mmap_ *m)
{
	return m->type == BPF_MAP_TYPE_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static struct mmap_ *map_of(const void *def)
{
	for (unsigned i = 0; i < NMAPS; i++)
		if (maps[i].def == def)
			return &maps[i];
	__builtin_trap(); /* a map the list above lacks */
}

/* One CPU here: a per-CPU LRU hash is an LRU hash. */
static bool is_lru(const struct mmap_ *m)
{
	return m->type == BPF_MAP_TYPE_LRU_HASH || m->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static void map_init(struct mmap_ *m)
{
	if (m->array || m->bucket || m->type == BPF_MAP_TYPE_RINGBUF)
		return;
	m->koff = (m->ksize + 7) & ~7u;
	if (is_array(m)) {
		m->array = calloc(m->max, (m->vsize + 7) & ~7u);
		return;
	}
	for (m->nbuckets = 64; m->nbuckets < m->max; m->nbuckets *= 2)
		;
	m->bucket = calloc(m->nbuckets, sizeof(*m->bucket));
}

static __u32 hash_key(const struct mmap_ *m, const __u8 *k)
{
	__u32 h = 2166136261u;

	for (__u32 i = 0; i < m->ksize; i++)
		h = (h ^ k[i]) * 16777619u;
	return h & (m->nbuckets - 1);
}

static struct mentry **find(struct mmap_ *m, const void *key)
{
	struct mentry **pe = &m->bucket[hash_key(m, key)];

	for (; *pe; pe = &(*pe)->next)
		if (!__builtin_memcmp((*pe)->kv, key, m->ksize))
			return pe;
	return pe;
}

/* An LPM trie's lookup (key: prefixlen, then the data): of the entries
 * whose first prefixlen bits match the key's, the longest; kernel/bpf/
 * lpm_trie.c. A list walk: the fuzzer's tries hold a few entries. */
static bool lpm_match(const __u8 *entry, const __u8 *key, __u32 bits)
{
	__u32 i;

	for (i = 0; i + 8 <= bits; i += 8)
		if (entry[4 + i / 8] != key[4 + i / 8])
			return false;
	return i == bits || !((entry[4 + i / 8] ^ key[4 + i / 8]) & (0xff00 >> (bits - i)));
}

static void *lpm_lookup(struct mmap_ *m, const __u8 *key)
{
	__u32 want = *(const __u32 *)key, best_len = 0;
	struct mentry *best = NULL;

	for (struct mentry *e = m->newest; e; e = e->older) {
		__u32 len = *(const __u32 *)e->kv;

		if (len <= want && (!best || len > best_len) && lpm_match(e->kv, key, len)) {
			best = e;
			best_len = len;
		}
	}
	return best ? best->kv + m->koff : NULL;
}

static void *map_lookup(struct mmap_ *m, const void *key)
{
	struct mentry *e;

	map_init(m);
	if (m->type == BPF_MAP_TYPE_LPM_TRIE)
		return lpm_lookup(m, key);
	if (is_array(m)) {
		__u32 i = *(const __u32 *)key;

		return i < m->max ? m->array + (__u64)i * ((m->vsize + 7) & ~7u) : NULL;
	}
	e = *find(m, key);
	if (!e)
		return NULL;
	e->used = ++lru_clock;
	return e->kv + m->koff;
}

static void unlink_entry(struct mmap_ *m, struct mentry **pe)
{
	struct mentry *e = *pe;

	*pe = e->next;
	if (e->older)
		e->older->newer = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		m->newest = e->older;
	free(e);
	m->count--;
}

/* The least recently used entry goes when an LRU map is full. The kernel's
 * LRU is approximate: the fuzzer keeps its tables below their size. */
static void evict_one(struct mmap_ *m)
{
	struct mentry *victim = NULL;

	for (struct mentry *e = m->newest; e; e = e->older)
		if (!victim || e->used < victim->used)
			victim = e;
	if (victim)
		unlink_entry(m, find(m, victim->kv));
}

static long map_update(struct mmap_ *m, const void *key, const void *value, __u64 flags)
{
	struct mentry **pe, *e;

	map_init(m);
	if (is_array(m)) {
		void *v = map_lookup(m, key);

		if (!v)
			return -E2BIG;
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		__builtin_memcpy(v, value, m->vsize);
		return 0;
	}
	pe = find(m, key);
	if (*pe) {
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		__builtin_memcpy((*pe)->kv + m->koff, value, m->vsize);
		(*pe)->used = ++lru_clock;
		return 0;
	}
	if (flags == BPF_EXIST)
		return -ENOENT;
	if (m->count >= m->max) {
		if (!is_lru(m))
			return -E2BIG;
		evict_one(m);
		pe = find(m, key);
	}
	e = calloc(1, sizeof(*e) + m->koff + m->vsize);
	__builtin_memcpy(e->kv, key, m->ksize);
	__builtin_memcpy(e->kv + m->koff, value, m->vsize);
	e->used = ++lru_clock;
	*pe = e;
	e->older = m->newest;
	if (m->newest)
		m->newest->newer = e;
	m->newest = e;
	m->count++;
	return 0;
}

static long map_delete(struct mmap_ *m, const void *key)
{
	struct mentry **pe;

	map_init(m);
	if (is_array(m))
		return -EINVAL;
	pe = find(m, key);
	if (!*pe)
		return -ENOENT;
	unlink_entry(m, pe);
	return 0;
}

void *bpf_map_lookup_elem(void *map, const void *key)
{
	return map_lookup(map_of(map), key);
}

long bpf_map_update_elem(void *map, const void *key, const void *value, __u64 flags)
{
	return map_update(map_of(map), key, value, flags);
}

long bpf_map_delete_elem(void *map, const void *key)
{
	return map_delete(map_of(map), key);
}

long bpf_for_each_map_elem(void *map, void *callback, void *ctx, __u64 flags)
{
	long (*cb)(void *, void *, void *, void *) = callback;
	struct mmap_ *m = map_of(map);
	long n = 0;

	(void)flags;
	map_init(m);
	if (is_array(m)) {
		for (__u32 i = 0; i < m->max; i++) {
			n++;
			if (cb(map, &i, map_lookup(m, &i), ctx))
				break;
		}
		return n;
	}
	for (struct mentry *e = m->newest, *next; e; e = next) {
		next = e->older; /* the callback may delete e */
		n++;
		if (cb(map, e->kv, e->kv + m->koff, ctx))
			break;
	}
	return n;
}

long bpf_loop(__u32 n, void *callback, void *ctx, __u64 flags)
{
	long (*cb)(__u32, void *) = callback;
	__u32 i;

	(void)flags;
	for (i = 0; i < n; i++)
		if (cb(i, ctx))
			return i + 1;
	return i;
}

__u32 sg_model_max_entries(const void *map)
{
	return map_of(map)->max;
}

/* ---- the ring buffer ------------------------------------------------------ */
#define SG_MODEL_EVENTS 256
#define SG_MODEL_EVENT_MAX 64

static __u8 ring[SG_MODEL_EVENTS][SG_MODEL_EVENT_MAX];
static __u32 ring_len[SG_MODEL_EVENTS], ring_n;

/* Records as they are reserved (the data path submits each at once). */
void *bpf_ringbuf_reserve(void *ringbuf, __u64 size, __u64 flags)
{
	(void)ringbuf, (void)flags;
	if (ring_n >= SG_MODEL_EVENTS || size > SG_MODEL_EVENT_MAX)
		return NULL;
	ring_len[ring_n] = (__u32)size;
	return ring[ring_n++];
}

void bpf_ringbuf_submit(void *data, __u64 flags)
{
	(void)data, (void)flags;
}

/* ---- time, sockets ------------------------------------------------------- */
static __u64 model_now, model_coarse;

__u64 bpf_ktime_get_ns(void)
{
	return model_now;
}

__u64 bpf_ktime_get_coarse_ns(void)
{
	return model_coarse;
}

/* The model's kernel ticks at 250 Hz (the lab's CONFIG_HZ), its jiffies
 * counted on the model's clock. */
int CONFIG_HZ = 250;

__u64 bpf_jiffies64(void)
{
	return model_now / (1000000000ull / (__u64)CONFIG_HZ);
}

/* The fuzzer's kernel copy runs in a network namespace of its own with no
 * socket in it: every lookup misses, in both. */
struct bpf_sock *bpf_skc_lookup_tcp(void *ctx, struct bpf_sock_tuple *tuple, __u32 size,
				    __u64 netns, __u64 flags)
{
	(void)ctx, (void)tuple, (void)size, (void)netns, (void)flags;
	return NULL;
}

long bpf_sk_release(void *sk)
{
	(void)sk;
	return 0;
}

struct tcp_sock *bpf_skc_to_tcp_sock(void *sk)
{
	(void)sk;
	return NULL;
}

/* With no listener to ask (none exists, above), the kernel's answer for
 * a socket that is not one: -EINVAL. */
long bpf_tcp_check_syncookie(void *sk, void *iph, __u32 iph_len, struct tcphdr *th, __u32 th_len)
{
	(void)iph, (void)iph_len, (void)th, (void)th_len;
	return sk ? -ENOENT : -EINVAL;
}

/* ...and no netfilter connection either. */
struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple, __u32 tuple__sz,
				  struct bpf_ct_opts *opts, __u32 opts__sz)
{
	(void)ctx, (void)tuple, (void)tuple__sz, (void)opts, (void)opts__sz;
	return NULL;
}

void bpf_ct_release(struct nf_conn *ct)
{
	(void)ct;
}

int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk, struct bpf_tcp_req_attrs *attrs,
			    int attrs__sz)
{
	(void)skb, (void)sk, (void)attrs, (void)attrs__sz;
	return -EINVAL;
}

/* ---- XDP buffer helpers, as net/core/filter.c defines them ---------------- */
#define SG_ETH_HLEN 14

static __u8 *xp(__u64 v)
{
	return (__u8 *)(unsigned long)v;
}

long bpf_xdp_adjust_head(struct xdp_md *ctx, int delta)
{
	__u64 metalen = ctx->data - ctx->data_meta;
	__u64 start = ctx->hard_start + sizeof(struct xdp_frame) + metalen;
	__u64 data = ctx->data + (__s64)delta;

	if (data < start || data > ctx->data_end - SG_ETH_HLEN)
		return -EINVAL;
	if (metalen)
		__builtin_memmove(xp(ctx->data_meta + (__s64)delta), xp(ctx->data_meta), metalen);
	ctx->data_meta += (__s64)delta;
	ctx->data = data;
	return 0;
}

/* The test runner puts a frame's bytes past its first buffer in pages
 * (kept here in frags[]: the program never reads them). */
#define SG_PAGE 4096
#define SG_FRAME_MAX 16384

static __u8 frags[SG_FRAME_MAX];

/* A multi-buffer frame's tail: shrinking takes from the further buffers
 * first, then from the first once they are all gone; growing takes the
 * last page's room. */
static long frags_adjust_tail(struct xdp_md *ctx, int delta)
{
	__u64 len = ctx->data_end - ctx->data + ctx->frags_len;
	__u64 off = (__u64) - (__s64)delta, take;

	if (delta > 0) {
		__u64 used = ctx->frags_len % SG_PAGE;

		if (used && (__u64)delta > SG_PAGE - used)
			return -EINVAL;
		if (!used)
			return -EINVAL;
		__builtin_memset(frags + ctx->frags_len, 0, (unsigned long)delta);
		ctx->frags_len += (__u64)delta;
		return 0;
	}
	if (off > len - SG_ETH_HLEN)
		return -EINVAL;
	take = off < ctx->frags_len ? off : ctx->frags_len;
	ctx->frags_len -= take;
	if (!ctx->frags_len)
		ctx->data_end -= off - take;
	return 0;
}

long bpf_xdp_adjust_tail(struct xdp_md *ctx, int delta)
{
	__u64 end = ctx->data_end + (__s64)delta;

	if (ctx->frags_len)
		return frags_adjust_tail(ctx, delta);
	if (end > ctx->hard_end || end < ctx->data + SG_ETH_HLEN)
		return -EINVAL;
	if (delta > 0)
		__builtin_memset(xp(ctx->data_end), 0, (unsigned long)delta);
	ctx->data_end = end;
	return 0;
}

long bpf_xdp_adjust_meta(struct xdp_md *ctx, int delta)
{
	__u64 meta = ctx->data_meta + (__s64)delta;
	__u64 metalen = ctx->data - meta;

	if (meta < ctx->hard_start + sizeof(struct xdp_frame) || meta > ctx->data)
		return -EINVAL;
	if (metalen & 3 || metalen > 32)
		return -EACCES;
	ctx->data_meta = meta;
	return 0;
}

__u64 bpf_xdp_get_buff_len(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data + ctx->frags_len;
}

/* ---- what the harness calls ---------------------------------------------- */
/* BPF_PROG_TEST_RUN's XDP buffer: one page, XDP_PACKET_HEADROOM in front,
 * room for skb_shared_info at the end; what does not fit goes on in
 * further buffers. */
#define SG_HEADROOM 256
#define SG_SHINFO 320
#define SG_LINEAR_MAX (SG_PAGE - SG_HEADROOM - SG_SHINFO)
#define SG_SKB_HEADROOM 64

static __u8 page[SG_PAGE] __attribute__((aligned(64)));

void sg_model_set_time(__u64 ns, __u64 coarse_ns)
{
	model_now = ns;
	model_coarse = coarse_ns;
}

int sg_model_xdp(const __u8 *in, __u32 len, __u8 *out, __u32 *out_len, __u32 *meta_len)
{
	struct xdp_md ctx;
	int ret;

	__u32 linear = len < SG_LINEAR_MAX ? len : SG_LINEAR_MAX;

	if (len > SG_FRAME_MAX)
		return -EINVAL;
	__builtin_memset(page, 0, sizeof(page));
	__builtin_memcpy(page + SG_HEADROOM, in, linear);
	__builtin_memcpy(frags, in + linear, len - linear);
	ctx.hard_start = (__u64)(unsigned long)page;
	ctx.hard_end = ctx.hard_start + SG_PAGE - SG_SHINFO;
	ctx.data = ctx.hard_start + SG_HEADROOM;
	ctx.data_meta = ctx.data;
	ctx.data_end = ctx.data + linear;
	ctx.frags_len = len - linear;
	ret = sg_xdp(&ctx);
	*meta_len = (__u32)(ctx.data - ctx.data_meta);
	*out_len = (__u32)(ctx.data_end - ctx.data_meta);
	__builtin_memcpy(out, xp(ctx.data_meta), *out_len);
	/* a frame grown into its last page reads zeros there */
	__builtin_memcpy(out + *out_len, frags, ctx.frags_len);
	*out_len += (__u32)ctx.frags_len;
	return ret;
}

int sg_model_tc_egress(const __u8 *in, __u32 len, __u8 *out, __u32 *out_len)
{
	/* the test runner's skb carries a dummy socket, never a TCP one */
	static struct bpf_sock dummy = { .state = BPF_TCP_CLOSE };
	struct __sk_buff skb = {};
	int ret;

	/* the runner's skb: NET_SKB_PAD of headroom, one linear page */
	if (len > SG_PAGE - SG_SKB_HEADROOM - SG_SHINFO)
		return -EINVAL;
	__builtin_memcpy(page + SG_SKB_HEADROOM, in, len);
	skb.data = (__u64)(unsigned long)page + SG_SKB_HEADROOM;
	skb.data_meta = skb.data;
	skb.data_end = skb.data + len;
	skb.len = len;
	skb.sk = &dummy;
	ret = sg_tc_egress(&skb);
	*out_len = (__u32)(skb.data_end - skb.data);
	__builtin_memcpy(out, xp(skb.data), *out_len);
	return ret;
}

int sg_model_walk(void *args)
{
	return sg_walk(args);
}

void *sg_model_map(const char *name, __u32 *ksize, __u32 *vsize, __u32 *max)
{
	for (unsigned i = 0; i < NMAPS; i++) {
		if (strcmp(maps[i].name, name))
			continue;
		/* the loader may size a map before its first use */
		if (*max && !maps[i].array && !maps[i].bucket)
			maps[i].max = *max;
		map_init(&maps[i]);
		*ksize = maps[i].ksize;
		*vsize = maps[i].vsize;
		*max = maps[i].max;
		return &maps[i];
	}
	return NULL;
}

void *sg_model_lookup(void *m, const void *key)
{
	struct mmap_ *mm = m;
	struct mentry *e;

	/* an LPM entry by its exact key, as userspace asks */
	if (mm->type == BPF_MAP_TYPE_LPM_TRIE) {
		map_init(mm);
		e = *find(mm, key);
		return e ? e->kv + mm->koff : NULL;
	}
	return map_lookup(m, key);
}

int sg_model_update(void *m, const void *key, const void *value)
{
	return (int)map_update(m, key, value, BPF_ANY);
}

/* The records submitted since the last call: copies each of at most
 * size bytes into out (n of them at most); returns how many. */
int sg_model_events(void *out, __u32 size, int n)
{
	int got = 0;

	for (__u32 i = 0; i < ring_n && got < n; i++, got++)
		__builtin_memcpy((__u8 *)out + (__u64)got * size, ring[i],
				 ring_len[i] < size ? ring_len[i] : size);
	ring_n = 0;
	return got;
}

/* Calls fn on every entry of a hash map (fn must not change the map). */
void sg_model_each(void *map, void (*fn)(const void *key, const void *value, void *arg), void *arg)
{
	struct mmap_ *m = map;

	for (struct mentry *e = m->newest; e; e = e->older)
		fn(e->kv, e->kv + m->koff, arg);
}

/* Empties hash maps and zeroes arrays. */
void sg_model_clear(void *map)
{
	struct mmap_ *m = map;

	if (is_array(m)) {
		__builtin_memset(m->array, 0, (__u64)m->max * ((m->vsize + 7) & ~7u));
		return;
	}
	while (m->newest)
		unlink_entry(m, find(m, m->newest->kv));
}
