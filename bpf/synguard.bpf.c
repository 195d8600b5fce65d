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

/* Aligned layouts in one call (sg_tcpopt_words); else one option per
 * call: the loop then carries no packet pointer and the verifier walks it
 * once per iteration, not once per option layout. name() returns 0, or
 * SG_CNT_parse_tcp_options when an option overruns. */
#define SG_DEFINE_TCPOPT(name, ctx_t)                                        \
	SG_DEFINE_TCPOPT_FN(name##_words, ctx_t, sg_tcpopt_words)            \
	SG_DEFINE_TCPOPT_FN(name##_step, ctx_t, sg_tcpopt_one)               \
	static __always_inline int name(ctx_t *ctx, const struct sg_pkt *p,  \
					struct sg_tcpopt *o)                 \
	{                                                                    \
		__u32 off = p->l4_off + sizeof(struct tcphdr);               \
		__u32 end = p->l4_off + p->thlen;                            \
		int i, n;                                                    \
                                                                             \
		o->flags = 0;                                                \
		if (!name##_words(ctx, off, end, o))                         \
			return 0;                                            \
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
	}

SG_DEFINE_PARSE(sg_parse_xdp, struct xdp_md, (__u32)bpf_xdp_get_buff_len(ctx))
SG_DEFINE_PARSE(sg_parse_skb, struct __sk_buff, ctx->len)
SG_DEFINE_TCPOPT(sg_tcpopt_xdp, struct xdp_md)
SG_DEFINE_TCPOPT(sg_tcpopt_skb, struct __sk_buff)

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

	if (!p || !cfg)
		return SG_CT_PASS;
	sg_ct_make_key(&k, p, dir);
	sg_seg_from_pkt(&s, p);
	s.wscale = wscale & 0xff;
	return sg_ct_track(&k, &s, dir, cfg, p->tcp_len, kstate, seed, wscale);
}

/* Is there a live synchronized entry for this (inbound) packet's flow?
 * Asked only once the filter said maybe (sg_ct_maybe). */
__noinline int sg_ct_synced_has(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_ct_entry *e;
	struct sg_ct_key k;

	if (!p || !cfg)
		return 0;
	sg_ct_make_key(&k, p, SG_CT_IN);
	e = bpf_map_lookup_elem(&sg_ct_synced, &k);
	return e && !sg_ct_expired(cfg, e, bpf_ktime_get_ns());
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

static __always_inline int sg_drop(__u32 cnt, __u16 slot)
{
	sg_count(cnt);
	sg_count_port(slot, SG_PCNT_drops);
	return XDP_DROP;
}

/* The state of the kernel's socket for this flow, or SG_STATE_MAX when it
 * has none (only a listener, or nothing). Global: its frame stays off the
 * ACK path's call chain. */
__noinline int sg_kernel_state(struct xdp_md *ctx, const struct sg_pkt *p)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 size;
	__u8 st;

	if (!p)
		return SG_STATE_MAX;

	if (p->family == 4) {
		t.ipv4.saddr = p->saddr[0];
		t.ipv4.daddr = p->daddr[0];
		t.ipv4.sport = p->th.source;
		t.ipv4.dport = p->th.dest;
		size = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, p->saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, p->daddr, 16);
		t.ipv6.sport = p->th.source;
		t.ipv6.dport = p->th.dest;
		size = sizeof(t.ipv6);
	}
	sk = bpf_skc_lookup_tcp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return SG_STATE_MAX;
	st = sg_state_from_kernel(sk->state);
	bpf_sk_release(sk);
	return st;
}

enum sg_cookie_verdict {
	SG_COOKIE_OK,
	SG_COOKIE_BAD,
	SG_COOKIE_OVER_BUDGET,
};

/* An ACK's cookie, checked under its source's budget of failed checks: a
 * source out of tokens gets no check at all (blind guessing then runs at
 * the budget's rate whatever it sends), a failed check costs a token.
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

	ss = bpf_map_lookup_elem(&sg_secrets, &zero);
	if (!p || !o || !m || !cfg || !ss)
		return SG_COOKIE_BAD;
	b = sg_budget_cfg_of(cfg, SG_BUDGET_cookie);
	e = sg_budget_find(b, SG_BUDGET_cookie, p->family, p->saddr, &k);
	now = b->interval_ns ? bpf_ktime_get_ns() : 0;
	if (!sg_budget_has(b, e, now))
		return SG_COOKIE_OVER_BUDGET;
	if (sg_cookie_check(p, cfg, ss, o, m))
		return SG_COOKIE_OK;
	sg_budget_take(b, e, &k, now);
	return SG_COOKIE_BAD;
}

/* Not an XDP action: sg_syn_cookie leaves the SYN to the kernel. */
#define SG_SYN_TO_KERNEL (-1)

/* Answer a SYN with its cookie SYN-ACK (XDP_TX), options o parsed; a SYN
 * too long to verify gets SG_SYN_TO_KERNEL. */
__noinline int sg_syn_cookie(struct xdp_md *ctx, const struct sg_pkt *p,
			     const struct sg_tcpopt *o, __u32 slot)
{
	struct sg_config *cfg = sg_get_config();
	const struct sg_secret_state *ss;
	__u32 zero = 0, isn, tsval = 0;
	__u8 optbits;
	bool ts;
	__u64 h;
	int ret;

	if (!p || !o || !cfg)
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
		return sg_drop(SG_CNT_drop_ip_csum, slot);
	if (ret == SG_CSUM_BAD_TCP)
		return sg_drop(SG_CNT_drop_tcp_csum, slot);
	if (ret == SG_CSUM_OFFLOAD)
		sg_count(SG_CNT_syn_csum_offloaded);

	ss = bpf_map_lookup_elem(&sg_secrets, &zero);
	if (!ss)
		return XDP_PASS;
	optbits = sg_cookie_optbits(cfg, p, o);
	h = sg_cookie_hash(&ss->slot[ss->cur & 1], p, bpf_ntohl(p->th.seq),
			   optbits);
	isn = sg_cookie_isn(h, optbits);
	ts = (o->flags & SG_OPT_TS) && cfg->allow_ts;
	if (ts) {
		/* a clock above the hash bits (steps of 2^28 ns: the coarse
		 * clock is precise enough) keeps our TSval moving forward, as
		 * the kernel's does */
		tsval = ((__u32)(bpf_ktime_get_coarse_ns() >> 20) &
			 ~SG_COOKIE_TS_HASH_MASK) |
			((__u32)h & SG_COOKIE_TS_HASH_MASK);
	}
	ret = sg_build_synack(ctx, p, cfg, o, isn, optbits, ts, tsval);
	if (ret)
		return sg_drop(ret, slot);
	sg_count(SG_CNT_syn_cookies_sent);
	sg_count_port(slot, SG_PCNT_syn_cookies_sent);
	return XDP_TX;
}

/* A SYN to a protected port, not part of a known flow. Global functions
 * for the SYN and ACK paths keep each stack frame apart: the verifier caps
 * the stack of a whole call chain at 512 bytes. */
__noinline int sg_handle_syn(struct xdp_md *ctx, const struct sg_pkt *p,
			     __u32 slot)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_tcpopt o = {};
	__u32 ws;
	int ret;

	if (!p || !cfg)
		return XDP_PASS;
	/* every SYN to a protected port, whatever follows: auto mode's rate */
	sg_count(SG_CNT_syn_received);
	if (p->th.rst || p->th.fin)
		return sg_drop(SG_CNT_drop_syn_flags, slot);
	/* From our own address (land): routing drops it as martian, so do we,
	 * before answering ourselves. */
	if (p->saddr[0] == p->daddr[0] && p->saddr[1] == p->daddr[1] &&
	    p->saddr[2] == p->daddr[2] && p->saddr[3] == p->daddr[3])
		return sg_drop(SG_CNT_drop_land, slot);
	ret = sg_tcpopt_xdp(ctx, p, &o);
	ws = o.flags & SG_OPT_WSCALE ? o.wscale : SG_COOKIE_WS_NONE;
	/* Cookie mode off, or a SYN on a synchronized flow we track (a TIME_WAIT
	 * reuse, a peer that restarted): the kernel handles it, statefully.
	 * Linux stops at a broken option and keeps the SYN, so do we. */
	if (!cfg->cookie_active ||
	    (sg_tracked(cfg, slot) && sg_ct_maybe(sg_ct_in_hash(p)) &&
	     sg_ct_synced_has(p))) {
		if (ret)
			sg_count(ret);
to_kernel:
		sg_count(SG_CNT_syn_passed);
		sg_count_port(slot, SG_PCNT_syn_passed);
		if (sg_tracked(cfg, slot))
			sg_ct_update(p, SG_CT_IN, SG_STATE_MAX, 0, ws);
		return XDP_PASS;
	}
	/* no cookie for options we cannot read in full */
	if (ret)
		return sg_drop(ret, slot);
	ret = sg_syn_cookie(ctx, p, &o, slot);
	if (ret != SG_SYN_TO_KERNEL)
		return ret;
	sg_count(SG_CNT_syn_oversize);
	goto to_kernel;
}

/* An ACK of a flow the tracker does not know, to a protected port. */
__noinline int sg_handle_ack(struct xdp_md *ctx, const struct sg_pkt *p,
			     __u32 slot)
{
	struct sg_config *cfg = sg_get_config();
	struct sg_tcpopt o = {};
	struct sg_meta m, *mp;
	__u32 ws;
	__u8 kstate;
	int verdict;
	void *data;

	if (!p || !cfg)
		return XDP_PASS;
	if (!sg_cookie_window(cfg)) {
		sg_count(SG_CNT_ack_unchecked);
		return XDP_PASS;
	}
	if (sg_tcpopt_xdp(ctx, p, &o))
		o.flags = 0; /* a broken ACK still gets the hash check */
	verdict = sg_cookie_verdict(p, &o, &m);
	if (verdict != SG_COOKIE_OK) {
		kstate = sg_kernel_state(ctx, p);
		if (kstate < SG_STATE_MAX) {
			sg_count(SG_CNT_ack_kernel_owned);
			if (sg_tracked(cfg, slot))
				sg_ct_update(p, SG_CT_IN, kstate,
					     SG_CT_RETRACKED, SG_CT_WS_UNKNOWN);
			return XDP_PASS;
		}
		if (verdict == SG_COOKIE_OVER_BUDGET)
			return sg_drop(SG_CNT_cookies_over_budget, slot);
		sg_count(SG_CNT_cookies_rejected);
		sg_count_port(slot, SG_PCNT_cookies_rejected);
		sg_count_port(slot, SG_PCNT_drops);
		return XDP_DROP;
	}
	if (sg_tracked(cfg, slot)) {
		ws = m.flags & SG_META_F_WSCALE ?
		     m.snd_wscale | ((__u32)cfg->rcv_wscale << 8) :
		     SG_COOKIE_WS_NONE | (SG_COOKIE_WS_NONE << 8);
		sg_ct_update(p, SG_CT_IN, SG_ESTABLISHED, SG_CT_COOKIE, ws);
	}
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(m)))
		return XDP_PASS; /* the kernel's own cookie check still runs */
	mp = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(mp + 1) > data)
		return XDP_PASS;
	*mp = m;
	sg_count(SG_CNT_cookies_accepted);
	sg_count_port(slot, SG_PCNT_cookies_accepted);
	return XDP_PASS;
}

/* A SYN-ACK for a flow with no local SYN_SENT is unsolicited (reflection),
 * unless the kernel has the connection we forgot. */
static __always_inline int sg_handle_synack(struct xdp_md *ctx,
					    const struct sg_pkt *p, __u16 slot)
{
	__u8 kstate = sg_kernel_state(ctx, p);

	if (kstate != SG_SYN_SENT)
		return sg_drop(SG_CNT_drop_synack_unsolicited, slot);
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

/* frags: multi-buffer aware, so it attaches at jumbo MTUs too; every
 * header it reads must be in the first buffer, where drivers put them. */
SEC("xdp.frags")
int sg_xdp(struct xdp_md *ctx)
{
	struct sg_config *cfg;
	struct sg_pkt p = {};
	struct tcphdr *th;
	__u16 slot;
	int ret;

	ret = sg_parse_xdp(ctx, &p);
	if (ret != SG_PARSE_TCP) {
		sg_count(ret);
		return XDP_PASS;
	}
	cfg = sg_get_config();
	if (!cfg)
		return XDP_PASS;
	th = &p.th;
	slot = sg_port_slot(th->dest);
	/* SYNs to protected ports: the SYN path decides, cookies first */
	if (slot && th->syn && !th->ack)
		return sg_handle_syn(ctx, &p, slot);
	if (sg_tracked(cfg, slot)) {
		/* known flows: the tracker alone decides */
		ret = sg_ct_update(&p, SG_CT_IN, SG_STATE_MAX, 0,
				   th->syn ? sg_syn_wscale(ctx, &p) :
					     SG_CT_WS_NOSYN);
		if (ret == SG_CT_DROP)
			return sg_drop(SG_CNT_drop_rst_oow, slot);
		if (ret == SG_CT_PASS)
			return XDP_PASS;
		if (th->syn && th->ack && !th->rst)
			return sg_handle_synack(ctx, &p, slot);
	}
	if (!slot) {
		sg_count(SG_CNT_pass_unprotected);
		return XDP_PASS;
	}
	if (th->ack && !th->syn && !th->rst)
		return sg_handle_ack(ctx, &p, slot);
	/* Neither SYN, ACK nor RST (a bare FIN, null or Xmas scans): TCP
	 * discards it in every state, so it never needs to reach the host. */
	if (!th->syn && !th->ack && !th->rst)
		return sg_drop(SG_CNT_drop_no_ack, slot);
	return XDP_PASS;
}

extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs,
				   int attrs__sz) __ksym;

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
	__u32 size;
	int ret;

	if ((void *)(mp + 1) > data || mp->magic != SG_META_MAGIC)
		return TC_ACT_OK;
	m = *mp;
	if (sg_parse_skb(skb, &p) != SG_PARSE_TCP)
		return TC_ACT_OK;
	cfg = sg_get_config();
	if (!cfg)
		return TC_ACT_OK;

	if (p.family == 4) {
		t.ipv4.saddr = p.saddr[0];
		t.ipv4.daddr = p.daddr[0];
		t.ipv4.sport = p.th.source;
		t.ipv4.dport = p.th.dest;
		size = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, p.saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, p.daddr, 16);
		t.ipv6.sport = p.th.source;
		t.ipv6.dport = p.th.dest;
		size = sizeof(t.ipv6);
	}
	skc = bpf_skc_lookup_tcp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!skc) {
		sg_count(SG_CNT_tc_no_listener);
		return TC_ACT_OK;
	}
	if (skc->state != BPF_TCP_LISTEN) {
		/* a retransmitted ACK after the socket exists */
		bpf_sk_release(skc);
		return TC_ACT_OK;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp) {
		bpf_sk_release(skc);
		sg_count(SG_CNT_tc_no_listener);
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
	return TC_ACT_OK;
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
		return TC_ACT_OK;
	cfg = sg_get_config();
	if (!cfg || !sg_tracked(cfg, sg_port_slot(p.th.source)))
		return TC_ACT_OK;
	if (p.th.syn) {
		ws = SG_COOKIE_WS_NONE;
		if (!sg_tcpopt_skb(skb, &p, &o) && (o.flags & SG_OPT_WSCALE))
			ws = o.wscale;
	}
	sk = skb->sk;
	if (sk && (p.th.syn || p.tcp_len > p.thlen || p.th.fin))
		kstate = sg_state_from_kernel(sk->state);
	sg_ct_update(&p, SG_CT_OUT, kstate, SG_CT_RETRACKED, ws);
	return TC_ACT_OK;
}

struct sg_walk_ctx {
	const struct sg_config *cfg;
	__u64 now_ns;
	__u64 expired;
	__u64 tw_ephemeral;
	__u32 delete_expired;
	__u16 eph_lo, eph_hi;
	__u32 gen;                  /* the bitmap the sweep rebuilds */
	__u64 ctl;                  /* the filter's control word, its size */
	__u64 live;
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
		sg_ct_bits_set(w->ctl, w->gen, sg_ct_key_hash(key));
	w->live++;
	if (e->state < SG_STATE_MAX)
		w->states[e->state]++;
	/* TIME_WAIT holding a port this host picked for connect() */
	if (e->state == SG_TIME_WAIT && key->lport >= w->eph_lo &&
	    key->lport <= w->eph_hi)
		w->tw_ephemeral++;
	return 0;
}

static long sg_bits_clear_one(__u32 i, __u32 *key0)
{
	__u32 key = *key0 + i;
	__u64 *w = bpf_map_lookup_elem(&sg_ct_bits, &key);

	if (w)
		*w = 0;
	return 0;
}

/* The sweep's first step: size the bitmap it rebuilds to the entries the
 * last sweep found, record that size (marks from now on land inside it),
 * clear it. Returns the control word to rebuild with. */
static __always_inline __u64 sg_bits_start(__u64 *ctlp, __u32 gen)
{
	__u64 want = (*ctlp >> SG_CT_BITS_LIVE_SHIFT) * SG_CT_BITS_PER_ENTRY / 64;
	__u32 n = sg_ct_bits_words(), lg = SG_CT_BITS_MIN_LG, key0;
	__u64 ctl;

	while ((1ULL << lg) < want && (1u << lg) < n && lg < 30)
		lg++;
	ctl = *ctlp & ~(31ULL << SG_CT_BITS_LG_SHIFT(gen));
	ctl |= (__u64)lg << SG_CT_BITS_LG_SHIFT(gen);
	*ctlp = ctl;
	key0 = 1 + gen * n;
	bpf_loop((1u << lg) < n ? 1u << lg : n, sg_bits_clear_one, &key0, 0);
	return ctl;
}

/* Run from userspace (BPF_PROG_TEST_RUN): the per-state gauges are a walk
 * of both tables in the kernel, so they equal the table by construction,
 * through LRU eviction and expiry alike; with delete_expired it is also
 * the daemon's sweeper, which rebuilds the tracker filter's other bitmap
 * (cleared first, then every live entry's bit) and makes it live. */
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
	__u64 *ctl;
	int i;

	w.cfg = sg_get_config();
	ctl = bpf_map_lookup_elem(&sg_ct_bits, &zero);
	if (!w.cfg || !ctl)
		return -1;
	if (w.delete_expired) {
		w.gen = !(*ctl & SG_CT_BITS_GEN);
		w.ctl = sg_bits_start(ctl, w.gen);
	}
	args->synced = bpf_for_each_map_elem(&sg_ct_synced, sg_walk_one, &w, 0);
	args->embryonic = bpf_for_each_map_elem(&sg_ct_embryonic, sg_walk_one,
						&w, 0);
	/* the rebuilt bitmap goes live, with the count that sizes the next */
	if (w.delete_expired)
		*ctl = (w.ctl & ((1ULL << SG_CT_BITS_LIVE_SHIFT) - 1) & ~SG_CT_BITS_GEN) |
		       w.gen | w.live << SG_CT_BITS_LIVE_SHIFT;
#pragma unroll
	for (i = 0; i < SG_STATE_MAX; i++)
		args->states[i] = w.states[i];
	args->expired = w.expired;
	args->tw_ephemeral = w.tw_ephemeral;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
