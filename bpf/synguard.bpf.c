// SPDX-License-Identifier: GPL-2.0
/* synguard data path: XDP on the NIC answers SYNs to protected ports with
 * cookie SYN-ACKs and validates returning ACKs; TC ingress hands validated
 * ACKs to the kernel as request sockets. */
#include "common.h"
#include "parse.h"
#include "csum.h"
#include "counters.h"
#include "cookie.h"
#include "conntrack.h"
#include "budget.h"
#include "sketch.h"
#include "learned.h"
#include "policy.h"
#include "events.h"
#include "local.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_config);
	/* userspace writes single fields in place: no read-modify-write race
	 * between synguardd switching cookie mode and `synguard set` */
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_config SEC(".maps");

/* The daemon's settings and last sample (see struct sg_dpage): pinned with
 * the rest, so a restart and the CLI find them; never read here. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_dpage);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_daemon SEC(".maps");

/* dport (host order) -> counter slot; 0 = not protected. Mmapable: the
 * CLI reads all 65536 slots in place (a batch lookup costs ~14 ms). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u16);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_ports SEC(".maps");

static __always_inline struct sg_config *sg_get_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sg_config, &zero);
}

static __always_inline __u16 sg_port_slot(__u16 port_be)
{
	__u32 port = bpf_ntohs(port_be);
	__u16 *slot = bpf_map_lookup_elem(&sg_ports, &port);

	return slot ? *slot : 0;
}

/* The loops of parsing and checksumming live in global functions: the
 * verifier checks each once, instead of once per path that reaches it.
 * Each is defined once per context type (XDP, TC) by these macros. */
/* An IP length past the first buffer is checked against the whole frame
 * (multi-buffer XDP, a paged skb) only then: the length costs XDP a helper
 * call, which the common single-buffer frame is spared. */
#define SG_DEFINE_PARSE(name, ctx_t, full_len)                               \
	__noinline int name(ctx_t *ctx, struct sg_pkt *p)                    \
	{                                                                    \
		void *data = (void *)(long)ctx->data;                        \
		void *data_end = (void *)(long)ctx->data_end;                \
		__u32 len = data_end - data;                                 \
		int ret;                                                     \
                                                                             \
		if (!p)                                                      \
			return SG_CNT_parse_eth_short;                       \
		ret = sg_parse(data, data_end, len, p);                      \
		if (ret == SG_CNT_parse_ip_bad && (full_len) > len)          \
			ret = sg_parse(data, data_end, full_len, p);         \
		return ret;                                                  \
	}

/* A global function name(ctx, off, end, o) running parser fn over ctx's
 * packet from off to end. */
#define SG_DEFINE_TCPOPT_FN(name, ctx_t, fn)                                 \
	__noinline int name(ctx_t *ctx, __u32 off, __u32 end,                \
			    struct sg_tcpopt *o)                             \
	{                                                                    \
		if (!o)                                                      \
			return -1;                                           \
		return fn((void *)(long)ctx->data, (void *)(long)ctx->data_end, \
			  off, end, o);                                      \
	}

/* Aligned layouts in one call (sg_tcpopt_words); else (name##_steps) one
 * option per call: the loop then carries no packet pointer and the
 * verifier walks it once per iteration, not once per option layout.
 * name() returns 0, or SG_CNT_parse_tcp_options when an option overruns. */
#define SG_DEFINE_TCPOPT(name, ctx_t)                                        \
	SG_DEFINE_TCPOPT_FN(name##_words, ctx_t, sg_tcpopt_words)            \
	SG_DEFINE_TCPOPT_FN(name##_step, ctx_t, sg_tcpopt_one)               \
	static __always_inline int name##_steps(ctx_t *ctx,                  \
						const struct sg_pkt *p,      \
						struct sg_tcpopt *o)         \
	{                                                                    \
		__u32 off = p->l4_off + sizeof(struct tcphdr);               \
		__u32 end = p->l4_off + p->thlen;                            \
		int i, n;                                                    \
                                                                             \
		o->flags = 0;                                                \
		for (i = 0; i < SG_TCP_MAX_OPTLEN; i++) {                    \
			n = name##_step(ctx, off, end, o);                   \
			if (n < 0)                                           \
				return SG_CNT_parse_tcp_options;             \
			if (n == 0)                                          \
				break;                                       \
			off += n;                                            \
		}                                                            \
		return 0;                                                    \
	}                                                                    \
	static __always_inline int name(ctx_t *ctx, const struct sg_pkt *p,  \
					struct sg_tcpopt *o)                 \
	{                                                                    \
		o->flags = 0;                                                \
		if (!name##_words(ctx, p->l4_off + sizeof(struct tcphdr),    \
				  p->l4_off + p->thlen, o))                  \
			return 0;                                            \
		return name##_steps(ctx, p, o);                              \
	}

SG_DEFINE_PARSE(sg_parse_xdp, struct xdp_md, (__u32)bpf_xdp_get_buff_len(ctx))
SG_DEFINE_PARSE(sg_parse_skb, struct __sk_buff, ctx->len)
SG_DEFINE_TCPOPT(sg_tcpopt_xdp, struct xdp_md)
SG_DEFINE_TCPOPT(sg_tcpopt_skb, struct __sk_buff)

/* The option-by-option walk of the SYN path, out of line: inline, its
 * states times those of the SYN-ACK build pass the verifier's limit. */
__noinline int sg_tcpopt_xdp_slow(struct xdp_md *ctx, const struct sg_pkt *p,
			       struct sg_tcpopt *o)
{
	if (!p || !o)
		return SG_CNT_parse_tcp_options;
	return sg_tcpopt_xdp_steps(ctx, p, o);
}

/* sg_tcpopt_xdp with the aligned layouts inline, for the SYN path: a
 * call costs more than the few loads sg_tcpopt_words makes (where the
 * kernel mitigates SRSO, every return is a mispredicted one); inline on
 * every path, the verifier's walk of the program passes its limit. */
static __always_inline int sg_tcpopt_syn(struct xdp_md *ctx,
					 const struct sg_pkt *p,
					 struct sg_tcpopt *o)
{
	o->flags = 0;
	if (!sg_tcpopt_words((void *)(long)ctx->data,
			     (void *)(long)ctx->data_end,
			     p->l4_off + sizeof(struct tcphdr),
			     p->l4_off + p->thlen, o))
		return 0;
	return sg_tcpopt_xdp_slow(ctx, p, o);
}

/* The remote end of p (dir: SG_CT_IN, it sent p) proved itself: learned. */
__noinline int sg_learn_src(const struct sg_pkt *p, __u32 dir)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_src_key s;

	if (!p || !cfg)
		return 0;
	sg_learn_key(&s, cfg, p->family, dir == SG_CT_IN ? p->saddr : p->daddr);
	sg_learn(cfg, &s, bpf_ktime_get_coarse_ns());
	return 0;
}

/* Is p's source learned (cookie mode skips it)? */
__noinline int sg_learned_src(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_src_key s;

	if (!p || !cfg)
		return 0;
	sg_learn_key(&s, cfg, p->family, p->saddr);
	return sg_learned_has(cfg, &s, bpf_ktime_get_coarse_ns());
}

/* What the allow and deny lists say of p's source (enum sg_action). */
__noinline int sg_policy_verdict(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();

	if (!p || !cfg)
		return SG_ACT_NONE;
	return sg_policy_lookup(cfg, p);
}

/* A decision for `synguard events`, if a reader holds the lease. */
__noinline int sg_sample(const struct sg_pkt *p, __u32 reason, __u32 verdict,
			 __u32 flags)
{
	struct sg_config *cfg = sg_get_config();

	if (p && cfg && sg_events_leased(cfg))
		sg_event_put(cfg, p, reason, verdict, flags);
	return 0;
}

/* sg_src_unanswerable, out of line: inline, its branches times those of
 * the SYN path pass the verifier's limit. */
__noinline int sg_syn_src_check(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();

	if (!p || !cfg)
		return 0;
	return sg_src_unanswerable(cfg, p);
}

/* A pass that hands the kernel more than the packet (a cookie ACK's
 * socket attributes): not an XDP action, not carried out in shadow mode. */
#define SG_PASS_META 0x100

/* Every decision on a packet to a protected port: sampled while a reader
 * holds the events lease, counted (by its counter cnt, by port: pcnt, or
 * SG_PCNT_MAX for none) and returned as the XDP action to take. In shadow
 * mode it is counted in the would-be bank, and what is not a plain pass
 * becomes one (pass_shadow): nothing is dropped or answered. */
static __always_inline int sg_decide(const struct sg_config *cfg,
				     const struct sg_pkt *p, __u32 cnt,
				     __u32 slot, __u32 pcnt, int action)
{
	bool shadow = cfg->mode == SG_MODE_SHADOW;
	int done = action == SG_PASS_META ? XDP_PASS : action;

	if (cfg->events_until_ns)
		sg_sample(p, cnt, done, shadow ? SG_EV_WOULD : 0);
	if (shadow) {
		sg_count_bank(SG_BANK_WOULD, cnt);
		if (action != XDP_PASS) {
			sg_count(SG_CNT_pass_shadow);
			return XDP_PASS;
		}
	}
	sg_count(cnt);
	if (pcnt < SG_PCNT_MAX)
		sg_count_port(slot, pcnt);
	if (done == XDP_DROP)
		sg_count_port(slot, SG_PCNT_drops);
	return done;
}

/* Track one segment; new entries only from a SYN, or for a flow whose
 * kernel state (kstate) is known; seed: the flags of such an entry, wscale:
 * see SG_CT_WS_* in conntrack.h. A global function: one
 * verification of the state machine serves XDP and TC alike. */
__noinline int sg_ct_update(const struct sg_pkt *p, __u32 dir, __u32 kstate,
			    __u32 seed, __u32 wscale)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_ct_key k;
	struct sg_seg s;
	int ret;

	if (!p || !cfg)
		return SG_CT_PASS;
	sg_ct_make_key(&k, p, dir);
	sg_seg_from_pkt(&s, p);
	s.wscale = wscale & 0xff;
	ret = sg_ct_track(&k, &s, dir, cfg, p->tcp_len, kstate, seed, wscale);
	/* the remote holds an established connection: learned */
	if ((ret & SG_CT_F_ESTABLISHED) && cfg->learn_s)
		sg_learn_src(p, dir);
	return ret & ~SG_CT_F_ESTABLISHED;
}

/* sg_ct_syn_kernel's answers: why a SYN in cookie mode goes to the kernel. */
enum sg_syn_held {
	SG_SYN_HELD_NONE,
	SG_SYN_HELD_SYNCED,  /* a synchronized flow (TIME_WAIT reuse...)     */
	SG_SYN_HELD_RETRANS, /* the SYN again of a handshake the kernel holds */
};

/* Does the kernel hold the flow of this SYN (inbound p)? A live
 * synchronized entry, or a live SYN_RCVD entry made by this very SYN's
 * first copy: the tracker makes embryonic entries only of SYNs passed to
 * the kernel (a cookie SYN-ACK leaves none), and the remote ISN must match,
 * so only a tuple that already went to the kernel qualifies. A cookie
 * SYN-ACK to it would differ from the kernel's, and the client's ACK of
 * it would be reset. Asked only once the filter said maybe (sg_ct_maybe). */
__noinline int sg_ct_syn_kernel(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_ct_entry *e;
	struct sg_ct_key k;
	bool embryonic, stale;

	if (!p || !cfg)
		return SG_SYN_HELD_NONE;
	sg_ct_make_key(&k, p, SG_CT_IN);
	e = sg_ct_lookup(&k, cfg, bpf_ktime_get_ns(), false, &embryonic, &stale);
	if (!e)
		return SG_SYN_HELD_NONE;
	if (!embryonic)
		return SG_SYN_HELD_SYNCED;
	if (e->state == SG_SYN_RCVD && (e->remote.flags & SG_CTD_SYN) &&
	    e->remote.isn == bpf_ntohl(p->th.seq))
		return SG_SYN_HELD_RETRANS;
	return SG_SYN_HELD_NONE;
}

static __always_inline bool sg_tracked(const struct sg_config *cfg,
				       __u16 slot)
{
	return cfg->track_all || slot;
}

/* Cookies can only exist while cookie mode is on or shortly after. */
static __always_inline bool sg_cookie_window(const struct sg_config *cfg)
{
	return cfg->cookie_active ||
	       bpf_ktime_get_ns() < cfg->cookie_check_until_ns;
}

/* Fills *t with the tuple of inbound p, as the socket lookups take it;
 * returns its size. */
static __always_inline __u32 sg_sock_tuple(const struct sg_pkt *p,
					   struct bpf_sock_tuple *t)
{
	if (p->family == 4) {
		t->ipv4.saddr = p->saddr[0];
		t->ipv4.daddr = p->daddr[0];
		t->ipv4.sport = p->th.source;
		t->ipv4.dport = p->th.dest;
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, p->saddr, 16);
	__builtin_memcpy(t->ipv6.daddr, p->daddr, 16);
	t->ipv6.sport = p->th.source;
	t->ipv6.dport = p->th.dest;
	return sizeof(t->ipv6);
}

/* Does listener sk's own syncookie check accept ACK p? The kernel answers
 * with its cookies when a SYN queue overflows (or always, with
 * tcp_syncookies=2) and keeps nothing; it checks only while such an
 * overflow is recent, so this costs nothing otherwise. It reads only the
 * addresses and the fixed TCP header: a header made here will do. */
static __always_inline bool sg_kernel_cookie_ok(struct bpf_sock *sk,
						const struct sg_pkt *p)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip = {};

	if (p->family == 4) {
		ip.v4.version = 4;
		ip.v4.ihl = 5;
		ip.v4.saddr = p->saddr[0];
		ip.v4.daddr = p->daddr[0];
	} else {
		ip.v6.version = 6;
		__builtin_memcpy(&ip.v6.saddr, p->saddr, 16);
		__builtin_memcpy(&ip.v6.daddr, p->daddr, 16);
	}
	return !bpf_tcp_check_syncookie(sk, &ip, sizeof(ip),
					(struct tcphdr *)&p->th,
					sizeof(p->th));
}

/* sg_kernel_state's answer beyond the states: no socket, but the listener
 * made this ACK's cookie itself. */
#define SG_KERNEL_COOKIE (SG_STATE_MAX + 1)

/* The state of the kernel's socket for this flow; SG_KERNEL_COOKIE for an
 * ACK (ack set) that only a listener knows, by its own cookie; else
 * SG_STATE_MAX (only a listener, or nothing). Global: its frame stays off
 * the ACK path's call chain. */
__noinline int sg_kernel_state(struct xdp_md *ctx, const struct sg_pkt *p,
			       __u32 ack)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	int st;

	if (!p)
		return SG_STATE_MAX;
	sk = bpf_skc_lookup_tcp(ctx, &t, sg_sock_tuple(p, &t),
				BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return SG_STATE_MAX;
	st = sg_state_from_kernel(sk->state);
	if (ack && sk->state == BPF_TCP_LISTEN && sg_kernel_cookie_ok(sk, p))
		st = SG_KERNEL_COOKIE;
	bpf_sk_release(sk);
	return st;
}

/* Until when (ktime) a source may have less than half its cookie budget
 * left: the last time one ran out, plus what its bucket takes to refill
 * half way. Until then the SYN path looks for its source's bucket
 * (sg_cookie_budget_low); otherwise every SYN is spared that lookup. 0:
 * no source ran out since. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sg_cookie_spent SEC(".maps");

/* A time mark the data path keeps moving forward under a stream of
 * packets (sg_cookie_spent, sg_config.cookie_check_until_ns) moves at most
 * this often: one write in so many ns, not one a packet. */
#define SG_MARK_STEP_NS (SG_NSEC_PER_SEC / 8)

/* A source ran out of cookie budget at now. */
static __always_inline void sg_cookie_spent_mark(const struct sg_budget_cfg *b,
						 __u64 now)
{
	__u64 t = now + (__u64)sg_budget_half(b) * b->interval_ns;
	__u32 zero = 0;
	__u64 *until = bpf_map_lookup_elem(&sg_cookie_spent, &zero);

	if (until && (__s64)(t - *until) > (__s64)SG_MARK_STEP_NS)
		*until = t;
}

/* May some source have less than half its cookie budget left? */
static __always_inline bool sg_cookie_spent_maybe(void)
{
	__u32 zero = 0;
	__u64 *until = bpf_map_lookup_elem(&sg_cookie_spent, &zero);

	return until && *until;
}

/* Is the cookie budget of p's source down to less than half its burst?
 * Spoofed bad ACKs in a client's name spend it, and while it is spent a
 * valid cookie without timestamps is refused (sg_cookie_verdict): the
 * client's SYNs then go to the kernel's own handshake instead, which
 * needs no cookie. Half, not empty: a SYN answered with a cookie while
 * half the burst was left has its ACK refused only if the spoofer spends
 * that half within the handshake's round trip. */
__noinline int sg_cookie_budget_low(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();
	const struct sg_budget_cfg *b;
	struct sg_budget_key k;
	struct sg_budget *e;
	__u32 zero = 0;
	__u64 *until, last, now;

	until = bpf_map_lookup_elem(&sg_cookie_spent, &zero);
	if (!p || !cfg || !until)
		return 0;
	now = bpf_ktime_get_ns();
	last = *until;
	if ((__s64)(now - last) >= 0) {
		/* every bucket has refilled half way since: close the gate,
		 * unless a new mark came meanwhile */
		__sync_val_compare_and_swap(until, last, 0);
		return 0;
	}
	b = sg_budget_cfg_of(cfg, SG_BUDGET_cookie);
	e = sg_budget_find(b, SG_BUDGET_cookie, p->family, p->saddr, &k);
	return !sg_budget_left(b, e, now, sg_budget_half(b));
}

enum sg_cookie_verdict {
	SG_COOKIE_OK,
	SG_COOKIE_BAD,
	SG_COOKIE_OVER_BUDGET,
	SG_COOKIE_REFUSED,
};

/* An ACK's cookie, checked under its source's budget of failed checks. A
 * failed check costs a token; a source out of tokens is still checked
 * (spoofed garbage in its name must not lock it out), but then a cookie
 * counts only with the 8 more hash bits of the timestamp echo: blind
 * guessing from it succeeds once in 2^31 tries whatever the rate, and in
 * 2^23 only within the budget. A valid cookie without them is refused;
 * that source's SYNs get no cookie meanwhile (sg_cookie_budget_low), so
 * a spent budget costs a client its cookies, not its connections.
 * Fills *m on success. Global: the bucket's key stays off the call chain
 * of the ACK path. */
__noinline int sg_cookie_verdict(const struct sg_pkt *p,
				 const struct sg_tcpopt *o, struct sg_meta *m)
{
	struct sg_config *cfg = sg_get_config();
	const struct sg_secret_state *ss;
	const struct sg_budget_cfg *b;
	struct sg_budget_key k;
	struct sg_budget *e;
	__u32 zero = 0;
	__u64 now;
	bool has;

	ss = bpf_map_lookup_elem(&sg_secrets, &zero);
	if (!p || !o || !m || !cfg || !ss)
		return SG_COOKIE_BAD;
	b = sg_budget_cfg_of(cfg, SG_BUDGET_cookie);
	e = sg_budget_find(b, SG_BUDGET_cookie, p->family, p->saddr, &k);
	now = bpf_ktime_get_ns();
	has = sg_budget_has(b, e, now);
	if (!has)
		sg_cookie_spent_mark(b, now);
	if (sg_cookie_check(p, cfg, ss, o, m, now))
		return has || (m->flags & SG_META_F_TS) ? SG_COOKIE_OK :
							  SG_COOKIE_REFUSED;
	if (!has)
		return SG_COOKIE_OVER_BUDGET;
	sg_budget_take(b, e, &k, now);
	return SG_COOKIE_BAD;
}

/* A cookie went out while cookie mode is off (its source is over its SYN
 * budget): its ACK is to be checked, so the check window stays open as
 * long as the cookie can live (struct sg_secret_state). */
__noinline int sg_cookie_window_keep(void)
{
	struct sg_config *cfg = sg_get_config();
	const struct sg_secret_state *ss;
	__u32 zero = 0;
	__u64 until;

	ss = bpf_map_lookup_elem(&sg_secrets, &zero);
	if (!cfg || !ss)
		return 0;
	until = bpf_ktime_get_ns() + 2 * ss->period_ns + SG_SECRET_SLACK_NS;
	if ((__s64)(until - cfg->cookie_check_until_ns) > (__s64)SG_MARK_STEP_NS)
		cfg->cookie_check_until_ns = until;
	return 0;
}

/* Not XDP actions: sg_syn_cookie leaves the SYN to the kernel, as it is
 * too long to verify, or in shadow mode after counting what it would do,
 * or as the current secret is past its time (no daemon rotates it). */
#define SG_SYN_TO_KERNEL (-1)
#define SG_SYN_SHADOWED (-2)
#define SG_SYN_STALE (-3)

/* A decision to drop a SYN; in shadow mode SG_SYN_SHADOWED. */
static __always_inline int sg_syn_drop(const struct sg_config *cfg,
				       const struct sg_pkt *p, __u32 cnt,
				       __u32 slot, __u32 pcnt)
{
	return sg_decide(cfg, p, cnt, slot, pcnt, XDP_DROP) == XDP_DROP ?
	       XDP_DROP : SG_SYN_SHADOWED;
}

/* Counts a SYN of p's source in the sketch (*est: its counts, and the
 * coarse clock read for it), notes it as a heavy hitter past
 * top.threshold, and takes from its SYN budget: 1 when it is over.
 * Global: the source's keys stay off the SYN path's call chain. */
__noinline int sg_syn_budget(const struct sg_pkt *p, struct sg_est *est)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_src_key s;
	__u64 now;
	__u32 n;

	if (!p || !est || !cfg)
		return 0;
	now = est->coarse = bpf_ktime_get_coarse_ns();
	sg_src_make(&s, cfg, p->family, p->saddr);
	sg_sketch_count(cfg, &s, now, est);
	sg_hitter_note(cfg, &s, est, now);
	n = est->cur > est->prev ? est->cur : est->prev;
	if (!sg_budget_gate(sg_budget_cfg_of(cfg, SG_BUDGET_syn), n))
		return 0;
	return !sg_budget_src_take(cfg, SG_BUDGET_syn, &s, n,
				   bpf_ktime_get_ns());
}

/* May a cookie SYN-ACK go to p's source (est: its counts in the sketch)?
 * 0, or the counter of the cap it is over: the destination prefix's
 * (synack.dest_rate), or everything's (synack.rate). Takes the tokens. */
__noinline int sg_synack_capped(const struct sg_pkt *p, const struct sg_est *est)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_src_key s;
	__u64 now;

	if (!p || !est || !cfg)
		return 0;
	now = bpf_ktime_get_ns();
	if (cfg->budget[SG_BUDGET_synack].interval_ns) {
		sg_src_make(&s, cfg, p->family, p->saddr);
		if (!sg_budget_src_take(cfg, SG_BUDGET_synack, &s,
					est->cur > est->prev ? est->cur : est->prev,
					now))
			return SG_CNT_drop_synack_dest;
	}
	if (!sg_cpu_budget_take(cfg, SG_BUDGET_synack_cpu, now))
		return SG_CNT_drop_synack_global;
	return 0;
}

/* Answer a SYN with its cookie SYN-ACK (XDP_TX), options o parsed, est
 * its source's counts (and the coarse clock, if read); a SYN too long to
 * verify gets SG_SYN_TO_KERNEL, one that finds the current secret past its
 * time (sg_secret_mints) SG_SYN_STALE. A global function: inline, its
 * branches multiplied by the policy's before it (source checks, budgets,
 * learned sources, the tracker) pass the verifier's 1M-instruction walk. */
__noinline int sg_syn_cookie(struct xdp_md *ctx, const struct sg_pkt *p,
			     const struct sg_tcpopt *o, __u32 slot,
			     const struct sg_est *est)
{
	const struct sg_config *cfg = sg_get_config();
	const struct sg_secret_state *ss;
	__u32 zero = 0, isn, tsval = 0;
	__u8 optbits;
	bool ts;
	__u64 h, now;
	int ret;

	if (!p || !o || !est || !cfg)
		return XDP_PASS;
	ret = sg_verify_syn_csum(p, (void *)(long)ctx->data,
				 (void *)(long)ctx->data_end);
	/* the sum could not cover the segment: longer than its loop, or
	 * running on into a further buffer (jumbo frames, SYN data) */
	if (ret == SG_CSUM_BAD_TCP &&
	    (p->tcp_len > SG_SYN_CSUM_MAX ||
	     (long)p->l4_off + p->tcp_len > (long)(ctx->data_end - ctx->data)))
		return SG_SYN_TO_KERNEL;
	if (ret == SG_CSUM_BAD_IP)
		return sg_syn_drop(cfg, p, SG_CNT_drop_ip_csum, slot, SG_PCNT_MAX);
	if (ret == SG_CSUM_BAD_TCP)
		return sg_syn_drop(cfg, p, SG_CNT_drop_tcp_csum, slot, SG_PCNT_MAX);
	if (ret == SG_CSUM_OFFLOAD)
		sg_count(SG_CNT_syn_csum_offloaded);
	ss = bpf_map_lookup_elem(&sg_secrets, &zero);
	if (!ss)
		return XDP_PASS;
	now = est->coarse ? est->coarse : bpf_ktime_get_coarse_ns();
	if (!sg_secret_mints(ss, now))
		return SG_SYN_STALE;
	/* never a reflector: caps on what we send, per destination and all */
	if (cfg->budget[SG_BUDGET_synack].interval_ns |
	    cfg->budget[SG_BUDGET_synack_cpu].interval_ns) {
		ret = sg_synack_capped(p, est);
		/* clang knows its few values and drops the counter's mask */
		sg_barrier_var(ret);
		if (ret)
			return sg_syn_drop(cfg, p, ret, slot, SG_PCNT_MAX);
	}
	if (cfg->mode == SG_MODE_SHADOW) {
		sg_decide(cfg, p, SG_CNT_syn_cookies_sent, slot,
			  SG_PCNT_syn_cookies_sent, XDP_TX);
		return SG_SYN_SHADOWED;
	}

	optbits = sg_cookie_optbits(cfg, p, o);
	h = sg_cookie_hash(&ss->slot[ss->cur & 1], p, bpf_ntohl(p->th.seq),
			   optbits);
	isn = sg_cookie_isn(h, optbits);
	ts = (o->flags & SG_OPT_TS) && cfg->allow_ts;
	if (ts) {
		/* a clock above the hash bits (steps of 2^28 ns: the coarse
		 * clock is precise enough) keeps our TSval moving forward, as
		 * the kernel's does */
		tsval = ((__u32)(now >> 20) & ~SG_COOKIE_TS_HASH_MASK) |
			((__u32)h & SG_COOKIE_TS_HASH_MASK);
	}
	ret = sg_build_synack(ctx, p, cfg, o, isn, optbits, ts, tsval);
	if (ret)
		return sg_decide(cfg, p, ret, slot, SG_PCNT_MAX, XDP_DROP);
	return sg_decide(cfg, p, SG_CNT_syn_cookies_sent, slot,
			 SG_PCNT_syn_cookies_sent, XDP_TX);
}

/* A SYN over its source's budget (it gets a cookie, or what the caps
 * decide): counted beside the decision, in shadow mode as a would-be. */
static __always_inline void sg_count_syn_over(const struct sg_config *cfg,
					      __u32 slot)
{
	if (cfg->mode == SG_MODE_SHADOW) {
		sg_count_bank(SG_BANK_WOULD, SG_CNT_syn_ratelimited);
		return;
	}
	sg_count(SG_CNT_syn_ratelimited);
	sg_count_port(slot, SG_PCNT_syn_ratelimited);
}

/* sg_handle_syn's pol beyond enum sg_action: shadow mode already counted
 * a decision (deny) for this packet; it goes on as if unlisted. */
#define SG_ACT_DECIDED 3

/* sg_handle_syn's pass that the tracker is to see first, the window scale
 * the SYN announces (0xf: none) in its low byte: sg_xdp tracks it, so
 * that the tracker's frame is not stacked on this one's. */
#define SG_SYN_TRACK 0x10000

/* A SYN to a protected port, not part of a known flow; pol: what the
 * lists said of its source. Global functions for the SYN and ACK paths
 * keep each stack frame apart: the verifier caps the stack of a whole
 * call chain at 512 bytes. */
__noinline int sg_handle_syn(struct xdp_md *ctx, const struct sg_pkt *p,
			     __u32 slot, __u32 pol)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_tcpopt o = {};
	struct sg_est est = {};
	__u32 cnt = SG_CNT_syn_passed, ws = SG_COOKIE_WS_NONE;
	int ret, held, opt = 0;
	bool over;

	if (!p || !cfg)
		return XDP_PASS;
	/* every SYN to a protected port, whatever follows: auto mode's rate */
	sg_count(SG_CNT_syn_received);
	if (p->th.rst || p->th.fin) {
		cnt = SG_CNT_drop_syn_flags;
		goto drop;
	}
	/* From our own address (land), broadcast, multicast, loopback or
	 * unspecified: routing drops it as martian, so do we, before a
	 * SYN-ACK goes to an address that no single peer has. */
	ret = sg_syn_src_check(p);
	if (ret) {
		cnt = ret;
		goto drop;
	}
	opt = sg_tcpopt_syn(ctx, p, &o);
	/* clang knows its few values and drops the counter's mask */
	sg_barrier_var(opt);
	ws = o.flags & SG_OPT_WSCALE ? o.wscale : SG_COOKIE_WS_NONE;
	if (pol == SG_ACT_DECIDED)
		goto to_kernel;
	if (pol == SG_ACT_ALLOW) {
		cnt = SG_CNT_syn_allowed;
		goto pass;
	}
	/* Per-source budgets apply in every mode: a source over its SYN
	 * budget gets no more of the kernel's handshakes, but cookies (the
	 * SYN-ACK caps bound what they send). Not a drop: SYNs carry no proof
	 * of their source, and a spoofer who spends a client's budget must not
	 * cost it its connections. */
	over = sg_sketch_on(cfg) && sg_syn_budget(p, &est);
	if (over)
		sg_count_syn_over(cfg, slot);
	/* Cookie mode off, or a SYN on a synchronized flow we track (a TIME_WAIT
	 * reuse, a peer that restarted), or the SYN again of a handshake the
	 * kernel holds: the kernel handles it, statefully. Linux stops at a
	 * broken option and keeps the SYN, so do we. */
	if (!cfg->cookie_active && !over)
		goto pass;
	if (sg_tracked(cfg, slot) && sg_ct_maybe(sg_ct_in_hash(p))) {
		held = sg_ct_syn_kernel(p);
		if (held == SG_SYN_HELD_RETRANS)
			cnt = SG_CNT_syn_retrans_kernel;
		if (held != SG_SYN_HELD_NONE)
			goto pass;
	}
	if (!over && cfg->learn_s && sg_learned_src(p)) {
		cnt = SG_CNT_syn_learned;
		goto pass;
	}
	if (sg_cookie_spent_maybe() && sg_cookie_budget_low(p)) {
		cnt = SG_CNT_syn_cookie_budget;
		goto pass;
	}
	/* no cookie for options we cannot read in full */
	if (opt) {
		cnt = opt;
		goto drop;
	}
	ret = sg_syn_cookie(ctx, p, &o, slot, &est);
	if (ret == XDP_TX && !cfg->cookie_active)
		sg_cookie_window_keep();
	if (ret == SG_SYN_TO_KERNEL) {
		sg_count(SG_CNT_syn_oversize);
		goto pass;
	}
	if (ret == SG_SYN_STALE) {
		cnt = SG_CNT_syn_secret_stale;
		goto pass;
	}
	if (ret != SG_SYN_SHADOWED)
		return ret;
	goto to_kernel;
drop:
	if (sg_syn_drop(cfg, p, cnt, slot, SG_PCNT_MAX) == XDP_DROP)
		return XDP_DROP;
	/* shadow mode: the kernel gets every SYN, as with mode off */
to_kernel:
	sg_count(SG_CNT_syn_passed);
	sg_count_port(slot, SG_PCNT_syn_passed);
	goto track;
pass:
	if (opt)
		sg_count(opt);
	sg_decide(cfg, p, cnt, slot, SG_PCNT_syn_passed, XDP_PASS);
	if (cnt != SG_CNT_syn_passed)
		sg_count(SG_CNT_syn_passed);
track:
	return sg_tracked(cfg, slot) ? SG_SYN_TRACK | ws : XDP_PASS;
}

/* The tracker's wscale argument for a cookie flow (SG_CT_WS_* in
 * conntrack.h): the client's scale the cookie carried, and ours. */
static __always_inline __u32 sg_meta_wscale(const struct sg_config *cfg,
					    const struct sg_meta *m)
{
	if (!(m->flags & SG_META_F_WSCALE))
		return SG_COOKIE_WS_NONE | (SG_COOKIE_WS_NONE << 8);
	return m->snd_wscale | ((__u32)cfg->rcv_wscale << 8);
}

/* An ACK of a flow the tracker does not know, to a protected port. */
__noinline int sg_handle_ack(struct xdp_md *ctx, const struct sg_pkt *p,
			     __u32 slot)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_tcpopt o = {};
	struct sg_meta m, *mp;
	__u32 cnt;
	int verdict, kstate;
	void *data;

	if (!p || !cfg)
		return XDP_PASS;
	if (!sg_cookie_window(cfg))
		return sg_decide(cfg, p, SG_CNT_ack_unchecked, slot, SG_PCNT_MAX,
				 XDP_PASS);
	if (sg_tcpopt_xdp(ctx, p, &o))
		o.flags = 0; /* a broken ACK still gets the hash check */
	verdict = sg_cookie_verdict(p, &o, &m);
	if (verdict != SG_COOKIE_OK) {
		kstate = sg_kernel_state(ctx, p, 1);
		if (kstate != SG_STATE_MAX) {
			/* the kernel's own cookie makes an ESTABLISHED socket */
			cnt = kstate == SG_KERNEL_COOKIE ?
			      SG_CNT_ack_kernel_cookie : SG_CNT_ack_kernel_owned;
			if (kstate == SG_KERNEL_COOKIE)
				kstate = SG_ESTABLISHED;
			if (sg_tracked(cfg, slot))
				sg_ct_update(p, SG_CT_IN, kstate,
					     SG_CT_RETRACKED, SG_CT_WS_UNKNOWN);
			return sg_decide(cfg, p, cnt, slot, SG_PCNT_MAX,
					 XDP_PASS);
		}
		if (verdict == SG_COOKIE_OVER_BUDGET)
			return sg_decide(cfg, p, SG_CNT_cookies_over_budget,
					 slot, SG_PCNT_MAX, XDP_DROP);
		/* the kernel finds no request for it and resets the client,
		 * which then fails at once rather than retransmit into a
		 * spent budget; its next SYN goes to the kernel's handshake
		 * (sg_cookie_budget_low) */
		if (verdict == SG_COOKIE_REFUSED)
			return sg_decide(cfg, p, SG_CNT_cookies_budget_refused,
					 slot, SG_PCNT_MAX, XDP_PASS);
		return sg_decide(cfg, p, SG_CNT_cookies_rejected, slot,
				 SG_PCNT_cookies_rejected, XDP_DROP);
	}
	/* shadow mode: counted, the kernel gets the ACK as it is */
	if (cfg->mode == SG_MODE_SHADOW)
		return sg_decide(cfg, p, SG_CNT_cookies_accepted, slot,
				 SG_PCNT_cookies_accepted, SG_PASS_META);
	/* No tracker entry yet: the kernel has no socket until tc ingress
	 * hands it this ACK, which may still be lost on the way (a full
	 * accept queue, a filter). Until the socket exists, the flow stays
	 * unknown and each segment is checked against the cookie again (the
	 * client's data after a lost ACK carries the same one); tc ingress
	 * tracks it once it meets the kernel's socket. The source proved
	 * itself all the same: it got our SYN-ACK. */
	if (cfg->learn_s)
		sg_learn_src(p, SG_CT_IN);
	/* The next segment of a handshake whose ACK made the socket (the
	 * client's data) still carries the cookie: the socket exists now,
	 * so it is the kernel's flow, tracked here, not a new acceptance. */
	kstate = sg_kernel_state(ctx, p, 0);
	if (kstate != SG_STATE_MAX) {
		if (sg_tracked(cfg, slot))
			sg_ct_update(p, SG_CT_IN, kstate, SG_CT_COOKIE,
				     sg_meta_wscale(cfg, &m));
		return sg_decide(cfg, p, SG_CNT_ack_kernel_owned, slot,
				 SG_PCNT_MAX, XDP_PASS);
	}
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(m)))
		return XDP_PASS; /* the kernel's own cookie check still runs */
	mp = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(mp + 1) > data)
		return XDP_PASS;
	*mp = m;
	return sg_decide(cfg, p, SG_CNT_cookies_accepted, slot,
			 SG_PCNT_cookies_accepted, SG_PASS_META);
}

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx,
					 struct bpf_sock_tuple *tuple,
					 __u32 tuple__sz,
					 struct bpf_ct_opts *opts,
					 __u32 opts__sz) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

/* Does netfilter track p's flow? A SYN-ACK to one of our addresses with
 * no socket behind it is still solicited when the host NATs the flow
 * (MASQUERADE of a container's connection), whichever interface its SYN
 * left by. Global: its frame stays off the SYN-ACK path's call chain. */
__noinline int sg_netfilter_tracks(struct xdp_md *ctx, const struct sg_pkt *p)
{
	struct bpf_ct_opts o = {
		.netns_id = BPF_F_CURRENT_NETNS,
		.l4proto = IPPROTO_TCP,
	};
	struct bpf_sock_tuple t = {};
	struct nf_conn *ct;

	if (!p)
		return 0;
	ct = bpf_xdp_ct_lookup(ctx, &t, sg_sock_tuple(p, &t), &o, sizeof(o));
	if (!ct)
		return 0;
	bpf_ct_release(ct);
	return 1;
}

/* A SYN-ACK for a flow with no local SYN_SENT is unsolicited (reflection),
 * unless the kernel has the connection we forgot, or forwards it. */
static __always_inline int sg_handle_synack(struct xdp_md *ctx,
					    const struct sg_config *cfg,
					    const struct sg_pkt *p, __u16 slot)
{
	__u8 kstate = sg_kernel_state(ctx, p, 0);

	if (kstate != SG_SYN_SENT && sg_netfilter_tracks(ctx, p))
		return sg_decide(cfg, p, SG_CNT_synack_forwarded, slot,
				 SG_PCNT_MAX, XDP_PASS);
	if (kstate != SG_SYN_SENT)
		return sg_decide(cfg, p, SG_CNT_drop_synack_unsolicited, slot,
				 SG_PCNT_MAX, XDP_DROP);
	sg_ct_update(p, SG_CT_IN, kstate, SG_CT_RETRACKED, SG_CT_WS_UNKNOWN);
	return XDP_PASS;
}

/* The window scale a SYN or SYN-ACK announces (0xf: none). */
__noinline int sg_syn_wscale(struct xdp_md *ctx, const struct sg_pkt *p)
{
	struct sg_tcpopt o = {};

	if (!p || sg_tcpopt_xdp(ctx, p, &o) || !(o.flags & SG_OPT_WSCALE))
		return SG_COOKIE_WS_NONE;
	return o.wscale;
}

/* Is the parser's reason ret about a TCP packet whose segment XDP cannot
 * see whole: a fragment, or an IPv6 chain longer than its walk? */
static __always_inline bool sg_hidden_tcp(int ret)
{
	return ret == SG_CNT_pass_ip_fragment || ret == SG_CNT_drop_frag_tiny ||
	       ret == SG_CNT_drop_frag_overlap ||
	       ret == SG_CNT_parse_ipv6_ext_depth;
}

/* A packet sg_hidden_tcp() says of (why: the parser's reason), judged by
 * what can be known of it, so that no list, budget or cookie can be gone
 * around by fragmenting a segment or hiding it behind extension headers:
 * shapes no stack sends go first; then the deny list, for any port (that
 * of a later fragment cannot be known, and the kernel would reassemble the
 * whole); then a SYN the first fragment shows, as any SYN: allow list,
 * budget, and in cookie mode a drop, as no cookie can answer a fragment
 * (the kernel would reassemble it and answer statefully). A chain past our
 * walk may hide a SYN: it takes from the source's SYN budget, and cookie
 * mode drops it. All else passes, for the kernel to reassemble. */
__noinline int sg_handle_hidden(const struct sg_pkt *p, __u32 why)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_est est = {};
	__u32 pol = SG_ACT_NONE, slot = 0;
	bool syn;

	if (!p || !cfg)
		return XDP_PASS;
	if (p->frag == SG_FRAG_FIRST)
		slot = sg_port_slot(p->th.dest);
	if (why != SG_CNT_pass_ip_fragment && why != SG_CNT_parse_ipv6_ext_depth)
		return sg_decide(cfg, p, why, slot, SG_PCNT_MAX, XDP_DROP);
	/* clang knows its two values now and would drop the counter's mask */
	sg_barrier_var(why);
	syn = why == SG_CNT_parse_ipv6_ext_depth ||
	      (slot && p->th.syn && !p->th.ack);
	if (sg_policy_applies(cfg, p, syn))
		pol = sg_policy_verdict(p);
	if (pol == SG_ACT_DENY)
		return sg_decide(cfg, p, SG_CNT_drop_denied, slot, SG_PCNT_MAX,
				 XDP_DROP);
	if (!syn || pol != SG_ACT_NONE)
		return sg_decide(cfg, p, why, slot, SG_PCNT_MAX, XDP_PASS);
	if (why == SG_CNT_pass_ip_fragment)
		sg_count(SG_CNT_syn_received);
	if (sg_sketch_on(cfg) && sg_syn_budget(p, &est))
		return sg_decide(cfg, p, SG_CNT_syn_ratelimited, slot,
				 SG_PCNT_syn_ratelimited, XDP_DROP);
	if (cfg->cookie_active)
		return sg_decide(cfg, p, why == SG_CNT_pass_ip_fragment ?
				 SG_CNT_drop_frag_syn : SG_CNT_drop_ipv6_ext_depth,
				 slot, SG_PCNT_MAX, XDP_DROP);
	return sg_decide(cfg, p, why, slot, SG_PCNT_MAX, XDP_PASS);
}

/* frags: multi-buffer aware, so it attaches at jumbo MTUs too; every
 * header it reads must be in the first buffer, where drivers put them. */
SEC("xdp.frags")
int sg_xdp(struct xdp_md *ctx)
{
	struct sg_config *cfg;
	struct sg_pkt p = {};
	struct tcphdr *th;
	__u32 pol = SG_ACT_NONE;
	__u16 slot;
	bool syn;
	int ret;

	/* the first buffer inline (no call for the common frame); an IP
	 * length past it gets sg_parse_xdp's look at the whole frame */
	ret = sg_parse((void *)(long)ctx->data, (void *)(long)ctx->data_end,
		       ctx->data_end - ctx->data, &p);
	if (ret == SG_CNT_parse_ip_bad)
		ret = sg_parse_xdp(ctx, &p);
	if (ret != SG_PARSE_TCP) {
		if (sg_hidden_tcp(ret))
			return sg_handle_hidden(&p, ret);
		sg_count(ret);
		return XDP_PASS;
	}
	cfg = sg_get_config();
	if (!cfg)
		return XDP_PASS;
	th = &p.th;
	slot = sg_port_slot(th->dest);
	/* forwarded, bridged or promiscuous: not ours to answer nor judge */
	if (sg_tracked(cfg, slot) && !sg_local_dst(cfg, &p)) {
		sg_count(SG_CNT_pass_not_local);
		return XDP_PASS;
	}
	syn = slot && th->syn && !th->ack;
	/* the lists, where they hold anything for this packet */
	if (slot && sg_policy_applies(cfg, &p, syn)) {
		pol = sg_policy_verdict(&p);
		if (pol == SG_ACT_DENY) {
			if (sg_decide(cfg, &p, SG_CNT_drop_denied, slot,
				      SG_PCNT_MAX, XDP_DROP) == XDP_DROP)
				return XDP_DROP;
			pol = SG_ACT_DECIDED;
		}
	}
	/* SYNs to protected ports: the SYN path decides, cookies first */
	if (syn) {
		ret = sg_handle_syn(ctx, &p, slot, pol);
		if (!(ret & SG_SYN_TRACK))
			return ret;
		sg_ct_update(&p, SG_CT_IN, SG_STATE_MAX, 0, ret & 0xff);
		return XDP_PASS;
	}
	if (sg_tracked(cfg, slot)) {
		/* known flows: the tracker alone decides */
		ret = sg_ct_update(&p, SG_CT_IN, SG_STATE_MAX, 0,
				   th->syn ? sg_syn_wscale(ctx, &p) :
					     SG_CT_WS_NOSYN);
		if (ret == SG_CT_DROP && pol != SG_ACT_DECIDED)
			return sg_decide(cfg, &p, SG_CNT_drop_rst_oow, slot,
					 SG_PCNT_MAX, XDP_DROP);
		if (ret != SG_CT_UNKNOWN)
			return XDP_PASS;
		if (th->syn && th->ack && !th->rst && pol != SG_ACT_DECIDED)
			return sg_handle_synack(ctx, cfg, &p, slot);
	}
	if (!slot) {
		sg_count(SG_CNT_pass_unprotected);
		return XDP_PASS;
	}
	if (pol == SG_ACT_DECIDED)
		return XDP_PASS;
	if (th->ack && !th->syn && !th->rst)
		return sg_handle_ack(ctx, &p, slot);
	/* Neither SYN, ACK nor RST (a bare FIN, null or Xmas scans): TCP
	 * discards it in every state, so it never needs to reach the host. */
	if (!th->syn && !th->ack && !th->rst)
		return sg_decide(cfg, &p, SG_CNT_drop_no_ack, slot, SG_PCNT_MAX,
				 XDP_DROP);
	return XDP_PASS;
}

/* Every return of the tc programs is TCX_NEXT: the packet goes on to the
 * next program of the tcx chain (TC_ACT_OK, TCX_PASS, would end the chain
 * there); with no program after, or in the clsact fallback (where -1 is
 * TC_ACT_UNSPEC, the default action), it passes. synguard never drops in
 * tc, so a program before or after it sees every packet. */
extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs,
				   int attrs__sz) __ksym;

/* net.ipv4.tcp_syncookies of the listener's network namespace. */
static __always_inline __u8 sg_kernel_syncookies(struct tcp_sock *tp)
{
	struct net *net = tp->inet_conn.icsk_inet.sk.__sk_common.skc_net.net;

	return net ? net->ipv4.sysctl_tcp_syncookies : 1;
}

/* A validated cookie ACK arrives with sg_meta in front of it: create the
 * kernel's request socket from the decoded attributes. */
SEC("tc")
int sg_tc_ingress(struct __sk_buff *skb)
{
	struct sg_meta *mp = (void *)(long)skb->data_meta;
	void *data = (void *)(long)skb->data;
	struct bpf_tcp_req_attrs attrs = {};
	struct bpf_sock_tuple t = {};
	struct bpf_sock *skc;
	struct tcp_sock *tp;
	struct sg_config *cfg;
	struct sg_pkt p = {};
	struct sg_meta m;
	int ret;

	if ((void *)(mp + 1) > data || mp->magic != SG_META_MAGIC)
		return TCX_NEXT;
	m = *mp;
	if (sg_parse_skb(skb, &p) != SG_PARSE_TCP)
		return TCX_NEXT;
	cfg = sg_get_config();
	if (!cfg)
		return TCX_NEXT;
	skc = bpf_skc_lookup_tcp(skb, &t, sg_sock_tuple(&p, &t),
				 BPF_F_CURRENT_NETNS, 0);
	if (!skc) {
		sg_count(SG_CNT_tc_no_listener);
		return TCX_NEXT;
	}
	if (skc->state != BPF_TCP_LISTEN) {
		/* A segment with the cookie after the socket exists (the
		 * data that follows the handshake's ACK, a retransmission):
		 * now the flow is the kernel's, tracked (and so learned). */
		if (sg_tracked(cfg, sg_port_slot(p.th.dest)))
			sg_ct_update(&p, SG_CT_IN, sg_state_from_kernel(skc->state),
				     SG_CT_COOKIE, sg_meta_wscale(cfg, &m));
		bpf_sk_release(skc);
		return TCX_NEXT;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp) {
		bpf_sk_release(skc);
		sg_count(SG_CNT_tc_no_listener);
		return TCX_NEXT;
	}
	/* With tcp_syncookies=0 the kfunc still succeeds, but the kernel
	 * drops the request socket and resets the ACK (cookie_v4_check):
	 * read the listener's netns sysctl, as the kernel will, so that
	 * tc_assigned counts only handoffs the kernel keeps. */
	if (!sg_kernel_syncookies(tp)) {
		bpf_sk_release(skc);
		sg_count(SG_CNT_tc_assign_sysctl);
		return TC_ACT_OK;
	}
	attrs.mss = m.mss;
	if (m.flags & SG_META_F_WSCALE) {
		attrs.wscale_ok = 1;
		attrs.snd_wscale = m.snd_wscale;
		attrs.rcv_wscale = cfg->rcv_wscale;
	}
	attrs.sack_ok = !!(m.flags & SG_META_F_SACK);
	attrs.ecn_ok = !!(m.flags & SG_META_F_ECN);
	if (m.flags & SG_META_F_TS) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = m.rcv_tsval;
		attrs.rcv_tsecr = m.rcv_tsecr;
	}
	ret = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &attrs,
				      sizeof(attrs));
	bpf_sk_release(skc);
	sg_count(ret ? SG_CNT_tc_assign_failed : SG_CNT_tc_assigned);
	return TCX_NEXT;
}

/* Every segment the host sends moves the tracker too. For a flow it has
 * not seen open, the sending socket tells the kernel's state. */
SEC("tc")
int sg_tc_egress(struct __sk_buff *skb)
{
	struct sg_tcpopt o = {};
	struct bpf_sock *sk;
	struct sg_config *cfg;
	struct sg_pkt p = {};
	__u32 ws = SG_CT_WS_NOSYN;
	__u8 kstate = SG_STATE_MAX;

	if (sg_parse_skb(skb, &p) != SG_PARSE_TCP)
		return TCX_NEXT;
	cfg = sg_get_config();
	if (!cfg || !sg_tracked(cfg, sg_port_slot(p.th.source)))
		return TCX_NEXT;
	/* Forwarded: the tracker follows the host's own connections only.
	 * A MASQUERADEd flow leaves from our address, but its SYN has no
	 * socket behind it (every SYN the host opens with has one). */
	sk = skb->sk;
	if (cfg->local_addrs &&
	    (sg_addr_kind(p.family, p.saddr) != SG_ADDR_LOCAL ||
	     (p.th.syn && !p.th.ack && !sk)))
		return TCX_NEXT;
	if (p.th.syn) {
		ws = SG_COOKIE_WS_NONE;
		if (!sg_tcpopt_skb(skb, &p, &o) && (o.flags & SG_OPT_WSCALE))
			ws = o.wscale;
	}
	if (sk && (p.th.syn || p.tcp_len > p.thlen || p.th.fin))
		kstate = sg_state_from_kernel(sk->state);
	sg_ct_update(&p, SG_CT_OUT, kstate, SG_CT_RETRACKED, ws);
	return TCX_NEXT;
}

struct sg_walk_ctx {
	const struct sg_config *cfg;
	__u64 now_ns;
	__u64 expired;
	__u64 tw_ephemeral;
	__u32 delete_expired;
	__u16 eph_lo, eph_hi;
	__u32 gen;                  /* the bitmap the sweep rebuilds */
	__u32 lgen;                 /* ...of the learned sources' filter */
	__u64 ctl;                  /* the filter's control word, its size */
	__u64 lctl;
	__u64 live;
	__u64 learned;
	__u64 states[SG_STATE_MAX]; /* ctx memory takes constant offsets only */
};

static long sg_walk_one(void *map, struct sg_ct_key *key,
			struct sg_ct_entry *e, struct sg_walk_ctx *w)
{
	if (sg_ct_expired(w->cfg, e, w->now_ns)) {
		w->expired++;
		if (w->delete_expired && !bpf_map_delete_elem(map, key))
			sg_count(SG_CNT_ct_expired);
		return 0;
	}
	if (w->delete_expired)
		sg_bits_set(&sg_ct_bits, w->ctl, w->gen, sg_ct_key_hash(key));
	w->live++;
	if (e->state < SG_STATE_MAX)
		w->states[e->state]++;
	/* TIME_WAIT holding a port this host picked for connect() */
	if (e->state == SG_TIME_WAIT && key->lport >= w->eph_lo &&
	    key->lport <= w->eph_hi)
		w->tw_ephemeral++;
	return 0;
}

/* Learned sources: the expired go (all of them once learning is off). */
static long sg_learned_walk_one(void *map, struct sg_src_key *key,
				struct sg_learned *l, struct sg_walk_ctx *w)
{
	if (!w->cfg->learn_s || sg_learned_expired(w->cfg, l, w->now_ns)) {
		if (w->delete_expired)
			bpf_map_delete_elem(map, key);
		return 0;
	}
	if (w->delete_expired)
		sg_bits_set(&sg_learned_bits, w->lctl, w->lgen,
			    sg_src_hash(w->cfg, key));
	w->learned++;
	return 0;
}

SG_BITS_CLEAR_FN(sg_ct_bits_clear, sg_ct_bits)
SG_BITS_CLEAR_FN(sg_learned_bits_clear, sg_learned_bits)

/* Run from userspace (BPF_PROG_TEST_RUN): the per-state gauges are a walk
 * of both tables in the kernel, so they equal the table by construction,
 * through LRU eviction and expiry alike; with delete_expired it is also
 * the daemon's sweeper, which rebuilds the filters of the tracker and of
 * the learned sources: each one's other bitmap is cleared, gets every live
 * entry's bit, and goes live. */
SEC("syscall")
int sg_walk(struct sg_walk_args *args)
{
	struct sg_walk_ctx w = {
		.now_ns = args->now_ns,
		.delete_expired = args->delete_expired,
		.eph_lo = args->eph_lo,
		.eph_hi = args->eph_hi,
	};
	__u32 zero = 0;
	__u64 *ctl, *lctl;
	int i;

	w.cfg = sg_get_config();
	ctl = bpf_map_lookup_elem(&sg_ct_bits, &zero);
	lctl = bpf_map_lookup_elem(&sg_learned_bits, &zero);
	if (!w.cfg || !ctl || !lctl)
		return -1;
	if (w.delete_expired) {
		w.gen = !(*ctl & SG_BITS_GEN);
		w.ctl = sg_bits_start(&sg_ct_bits, ctl, w.gen, sg_ct_bits_clear);
		w.lgen = !(*lctl & SG_BITS_GEN);
		w.lctl = sg_bits_start(&sg_learned_bits, lctl, w.lgen,
				       sg_learned_bits_clear);
	}
	args->synced = bpf_for_each_map_elem(&sg_ct_synced, sg_walk_one, &w, 0);
	args->embryonic = bpf_for_each_map_elem(&sg_ct_embryonic, sg_walk_one,
						&w, 0);
	bpf_for_each_map_elem(&sg_learned, sg_learned_walk_one, &w, 0);
	if (w.delete_expired) {
		sg_bits_finish(ctl, w.ctl, w.gen, w.live);
		sg_bits_finish(lctl, w.lctl, w.lgen, w.learned);
	}
#pragma unroll
	for (i = 0; i < SG_STATE_MAX; i++)
		args->states[i] = w.states[i];
	args->expired = w.expired;
	args->tw_ephemeral = w.tw_ephemeral;
	args->learned = w.learned;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
