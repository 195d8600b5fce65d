/* SPDX-License-Identifier: GPL-2.0 */
/* Structs and constants shared by the BPF programs and userspace: the single
 * source of truth for map keys/values, state names, counter ids and config.
 * Only fixed-width __uN types, so the same layout compiles on both sides.
 */
#ifndef SYNGUARD_H
#define SYNGUARD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* ---- TCP states (the local endpoint's RFC 9293 state) ------------------ */
#define SG_STATES(X)   \
	X(SYN_SENT)    \
	X(SYN_RCVD)    \
	X(ESTABLISHED) \
	X(FIN_WAIT_1)  \
	X(FIN_WAIT_2)  \
	X(CLOSE_WAIT)  \
	X(CLOSING)     \
	X(LAST_ACK)    \
	X(TIME_WAIT)   \
	X(CLOSED)

enum sg_state {
#define SG_ENUM_STATE(n) SG_##n,
	SG_STATES(SG_ENUM_STATE)
#undef SG_ENUM_STATE
	SG_STATE_MAX,
};

/* ---- global event counters (per-CPU array, one slot each) --------------- */
#define SG_COUNTERS(X)                                                                        \
	X(syn_cookies_sent)        /* SYN answered from XDP with a cookie      */             \
	X(cookies_accepted)        /* ACK carried a valid cookie -> kernel     */             \
	X(cookies_rejected)        /* ACK with a bad cookie, no socket: drop   */             \
	X(syn_passed)              /* SYN handed to the kernel listener        */             \
	X(syn_ratelimited)         /* SYN over its source budget: a cookie     */             \
	X(ack_kernel_owned)        /* unknown ACK, the kernel owns the flow    */             \
	X(ack_unchecked)           /* unknown ACK outside the cookie window    */             \
	X(syn_csum_offloaded)      /* SYN with a TX-offload partial checksum   */             \
	X(drop_ip_csum)            /* SYN with a wrong IPv4 header checksum    */             \
	X(drop_tcp_csum)           /* SYN with a wrong TCP checksum            */             \
	X(drop_syn_flags)          /* SYN with RST or FIN set                  */             \
	X(drop_synack_build)       /* could not resize the frame for SYN-ACK   */             \
	X(drop_synack_unsolicited) /* SYN-ACK with no local SYN_SENT         */               \
	X(drop_rst_oow)            /* out-of-window RST, drop setting on       */             \
	X(pass_not_ip)             /* not IPv4/IPv6                            */             \
	X(pass_not_tcp)            /* IP, but not TCP                          */             \
	X(pass_unprotected)        /* TCP to a port we do not protect          */             \
	X(pass_ip_fragment)        /* IPv4/IPv6 fragment: never parsed as TCP  */             \
	X(pass_ipv6_routed)        /* routing header with segments left        */             \
	X(parse_eth_short)         /* truncated Ethernet header                */             \
	X(parse_vlan_short)        /* truncated VLAN tag                       */             \
	X(parse_vlan_depth)        /* more than two VLAN tags                  */             \
	X(parse_ip_short)          /* truncated IPv4/IPv6 header               */             \
	X(parse_ip_bad)            /* bad version / IHL / total length         */             \
	X(parse_ipv6_ext_short)    /* truncated IPv6 extension header          */             \
	X(parse_ipv6_ext_depth)    /* too many extension headers               */             \
	X(parse_tcp_short)         /* truncated TCP header                     */             \
	X(parse_tcp_doff)          /* doff < 5 or header beyond the packet     */             \
	X(parse_tcp_options)       /* an option overruns the header            */             \
	X(tc_assigned)             /* TC created the kernel socket from attrs  */             \
	X(tc_assign_failed)        /* kernel refused the attrs (sysctl/mss)    */             \
	X(tc_no_listener)          /* valid cookie but no listener anymore     */             \
	X(ct_created)              /* new tracker entry                        */             \
	X(ct_rst_closed)           /* exact RST closed an entry                */             \
	X(ct_rst_challenged)       /* in-window inexact RST: ignored, counted  */             \
	X(ct_rst_oow)              /* out-of-window RST: ignored, counted      */             \
	X(ct_fin_oow)              /* FIN the receiver would not take: ignored */             \
	X(ct_table_full)           /* insert failed (table full beyond LRU)    */             \
	X(ct_expired)              /* entries swept after their timeout        */             \
	X(syn_received)            /* SYN to a protected port, any verdict     */             \
	X(cookies_over_budget)     /* ACK from a source out of cookie budget   */             \
	X(drop_no_ack)             /* no SYN/ACK/RST, unknown flow, protected  */             \
	X(drop_land)               /* SYN from our own address (land attack)   */             \
	X(syn_oversize)            /* SYN too long to verify: to the kernel    */             \
	X(syn_allowed)             /* SYN from an allowed prefix: to the kernel */            \
	X(drop_denied)             /* TCP from a denied prefix                 */             \
	X(syn_learned)             /* cookie mode, learned source: to the kernel */           \
	X(learned_added)           /* a source learned (or learned again)      */             \
	X(budget_tracked)          /* exact bucket made past the sketch's gate */             \
	X(drop_synack_global)      /* cookie SYN-ACK over synack.rate: not sent */            \
	X(drop_synack_dest)        /* cookie SYN-ACK over synack.dest_rate     */             \
	X(pass_shadow)             /* shadow mode: passed, would not have been */             \
	X(events_sampled)          /* decisions put in the events ring buffer  */             \
	X(events_lost)             /* events ring buffer full: the reader lags */             \
	X(ack_kernel_cookie)       /* bad cookie, but the kernel's own: pass   */             \
	X(syn_retrans_kernel)      /* SYN again of a handshake the kernel holds */            \
	X(cookies_budget_refused)  /* valid cookie, no TS, over budget: kernel */             \
	X(tc_assign_sysctl)        /* valid cookie, tcp_syncookies=0: not given */            \
	X(syn_cookie_budget)       /* source's cookie budget low: SYN to kernel */            \
	X(syn_secret_stale)        /* cookie secret not rotated: SYN to kernel */             \
	X(drop_frag_tiny)          /* first fragment without the whole TCP header */          \
	X(drop_frag_overlap)       /* later fragment inside the TCP header (RFC 1858) */      \
	X(drop_frag_syn)           /* fragmented SYN in cookie mode: no cookie for it */      \
	X(drop_ipv6_ext_depth)     /* IPv6 chain past our walk, cookie mode or over budget */ \
	X(ct_seg_oow)              /* segment the receiver would discard: moves nothing */    \
	X(ct_rst_host_answer)      /* host RST answering a bad segment: moves nothing */      \
	X(ct_state_contended)      /* states changed by other CPUs on every try: not moved */ \
	X(pass_not_local)          /* to an address not the host's: untouched */              \
	X(drop_src_broadcast)      /* SYN from a broadcast address             */             \
	X(drop_src_multicast)      /* SYN from a multicast address             */             \
	X(drop_src_loopback)       /* SYN from a loopback address              */             \
	X(drop_src_unspecified)    /* SYN from 0.0.0.0/8 or ::                 */             \
	X(synack_forwarded)        /* SYN-ACK of a flow netfilter tracks: pass */             \
	X(ct_unconfirmed_expired)  /* SYN_RCVD entries with no kernel socket, swept */        \
	X(drop_syn_shed)           /* over synack.rate, unknown source: shed   */             \
	X(ack_forwarded)           /* ACK of a flow netfilter tracks (DNAT): pass */

enum sg_counter {
#define SG_ENUM_COUNTER(n) SG_CNT_##n,
	SG_COUNTERS(SG_ENUM_COUNTER)
#undef SG_ENUM_COUNTER
	SG_CNT_MAX,
};

/* Per protected port counters (per-CPU array indexed by port slot). */
#define SG_PORT_COUNTERS(X) \
	X(syn_cookies_sent) \
	X(cookies_accepted) \
	X(cookies_rejected) \
	X(syn_passed)       \
	X(syn_ratelimited)  \
	X(drops)

enum sg_port_counter {
#define SG_ENUM_PCOUNTER(n) SG_PCNT_##n,
	SG_PORT_COUNTERS(SG_ENUM_PCOUNTER)
#undef SG_ENUM_PCOUNTER
	SG_PCNT_MAX,
};

/* Arrays are sized to a power of two so the BPF side can index them with
 * a mask the verifier trusts; only the first *_MAX slots are used. */
#define SG_CNT_SLOTS 128
#define SG_PCNT_SLOTS 8

/* sg_counters holds two banks: what was done, and in shadow mode what
 * would have been done (every decision, under the same names). */
#define SG_BANK_REAL 0
#define SG_BANK_WOULD 1
#define SG_BANKS 2

struct sg_counters {
	__u64 v[SG_CNT_SLOTS];
};

struct sg_port_counters {
	__u64 v[SG_PCNT_SLOTS];
};

_Static_assert(SG_CNT_MAX <= SG_CNT_SLOTS, "grow SG_CNT_SLOTS");
_Static_assert(SG_PCNT_MAX <= SG_PCNT_SLOTS, "grow SG_PCNT_SLOTS");

/* Port map: value is the port's counter slot; 0 = not protected.
 * Slot SG_PORT_SLOT_OTHER aggregates ports beyond the slot table (and every
 * port when the whole host is protected). */
#define SG_PORT_SLOTS 1024
#define SG_PORT_SLOT_OTHER (SG_PORT_SLOTS - 1)

/* ---- configuration (single-entry array map, written by userspace) -------- */
enum sg_mode {
	SG_MODE_OFF = 0,
	SG_MODE_ON = 1,
	SG_MODE_AUTO = 2,
	SG_MODE_SHADOW = 3,
};

#define SG_MSS_BUCKETS 4

#define SG_NSEC_PER_SEC 1000000000ULL

/* ---- per-source budgets (bpf/budget.h): one token bucket per source
 * prefix and kind of event, in one LRU map ------------------------------- */
#define SG_BUDGET_KINDS(X)                                                          \
	X(cookie)     /* failed cookie checks: blind ACK guessing                */ \
	X(syn)        /* SYNs from a source prefix (past the sketch's gate)      */ \
	X(synack)     /* cookie SYN-ACKs to a destination prefix (ditto)         */ \
	X(synack_cpu) /* cookie SYN-ACKs in all: one bucket per CPU           */    \
	X(events_cpu) /* sampled decisions: one bucket per CPU                 */

enum sg_budget_kind {
#define SG_ENUM_BUDGET(n) SG_BUDGET_##n,
	SG_BUDGET_KINDS(SG_ENUM_BUDGET)
#undef SG_ENUM_BUDGET
	SG_BUDGET_MAX,
};

#define SG_BUDGET_SLOTS 8 /* power of two: the BPF side masks the kind */
_Static_assert(SG_BUDGET_MAX <= SG_BUDGET_SLOTS, "grow SG_BUDGET_SLOTS");

struct sg_budget_cfg {
	__u64 interval_ns; /* one token per interval; 0 = no budget      */
	__u32 burst;       /* tokens a source starts with (>= 1)         */
	__u8 prefix4;      /* IPv4 source prefix one bucket covers       */
	__u8 prefix6;      /* IPv6 source prefix one bucket covers       */
	__u16 pad;
};

struct sg_budget_key {
	__u8 family; /* 4 or 6                                     */
	__u8 kind;   /* enum sg_budget_kind                        */
	__u16 pad;
	__u32 addr[4]; /* source address masked to the prefix        */
};

struct sg_budget {
	__u64 tat_ns; /* GCRA: when the bucket is full again        */
};

struct sg_config {
	__u32 mode;                    /* enum sg_mode, as configured                  */
	__u32 cookie_active;           /* 1: answer SYNs to protected ports with cookies */
	__u64 cookie_check_until_ns;   /* ktime: keep checking cookies until then */
	__u16 msstab4[SG_MSS_BUCKETS]; /* ascending; top one from the MTU      */
	__u16 msstab6[SG_MSS_BUCKETS];
	__u16 adv_mss4; /* MSS option our SYN-ACK advertises            */
	__u16 adv_mss6;
	__u16 synack_window; /* unscaled window in the SYN-ACK               */
	__u8 rcv_wscale;     /* our window scale, as the kernel would pick   */
	__u8 ttl;            /* TTL / hop limit of the SYN-ACK               */
	/* the protected host's sysctls: never offer what its kernel refuses */
	__u8 allow_ts;
	__u8 allow_sack;
	__u8 allow_wscale;
	__u8 allow_ecn;
	__u8 track_all;     /* 1: track every TCP flow; 0: protected ports  */
	__u8 drop_oow_rst;  /* 1: drop out-of-window RSTs at XDP            */
	__u8 learn_prefix4; /* a learned source is its address masked so    */
	__u8 learn_prefix6;
	__u8 local_addrs; /* 1: sg_local_addrs holds the host's addresses */
	__u8 pad[3];
	__u32 timeout_s[SG_STATE_MAX];                /* per-state idle timeout, seconds      */
	struct sg_budget_cfg budget[SG_BUDGET_SLOTS]; /* by enum sg_budget_kind */
	/* policy and visibility (include: allow/deny, learned, sketch, events) */
	__u32 ncpus;           /* online CPUs: a *_cpu budget is shared by them */
	__u32 top_threshold;   /* SYNs a window from which a prefix is a hitter */
	__u64 sketch_seed;     /* keys the sketch's hash (random, the daemon's) */
	__u32 learn_s;         /* learned sources skip cookie mode so long; 0 off */
	__u32 policy;          /* SG_POLICY_F_*: what sg_policy holds           */
	__u64 events_until_ns; /* coarse ktime: a reader holds the lease till then */
};

/* ---- the host's addresses (sg_local_addrs, bpf/local.h) ----------------
 * Every address of the network namespace (all interfaces: Linux accepts a
 * packet for any of them on any interface) and each IPv4 subnet's
 * broadcast address, re-read by the daemon each second. */
struct sg_addr_key {
	__u8 family; /* 4 or 6                                      */
	__u8 pad[3];
	__u32 addr[4]; /* network order; IPv4 in [0], the rest 0      */
};

enum sg_addr_kind {
	SG_ADDR_OTHER = 0,     /* not in the map: not this host's             */
	SG_ADDR_LOCAL = 1,     /* an address of this host                     */
	SG_ADDR_BROADCAST = 2, /* the broadcast address of a local subnet     */
};
#define SG_LOCAL_ADDRS_SIZE 4096

/* ---- allow and deny prefixes (one LPM trie, bpf/policy.h) ---------------- */
enum sg_action {
	SG_ACT_NONE = 0,
	SG_ACT_ALLOW = 1, /* skips the SYN budget and cookie mode         */
	SG_ACT_DENY = 2,  /* every TCP segment to a protected port dropped */
};

/* The trie's key: the family byte and padding are matched too, so one
 * trie holds both families; prefixlen = SG_LPM_FAMILY_BITS + prefix. */
struct sg_lpm_key {
	__u32 prefixlen;
	__u8 family;
	__u8 pad[3];
	__u32 addr[4];
};
#define SG_LPM_FAMILY_BITS 32

struct sg_lpm_value {
	__u32 action; /* enum sg_action                               */
	__u32 pad;
	__u64 hits; /* packets it decided                           */
};

#define SG_POLICY_SIZE 8192 /* prefixes in the trie, both lists         */
/* sg_config.policy: the data path looks only where there is something */
#define SG_POLICY_F_V4 (1u << 0) /* IPv4 prefixes listed             */
#define SG_POLICY_F_V6 (1u << 1)
#define SG_POLICY_F_DENY4 (1u << 2) /* ...of which denied ones          */
#define SG_POLICY_F_DENY6 (1u << 3)
#define SG_POLICY_F_WIDE4 (1u << 4) /* a prefix shorter than the filter's */
#define SG_POLICY_F_WIDE6 (1u << 5) /* unit: no filter for the family   */
/* The filter's unit (sg_policy_bits): a listed prefix sets the bit of
 * each unit it covers, up to SG_POLICY_UNITS_MAX of them (else WIDE). */
#define SG_POLICY_UNIT4 16
#define SG_POLICY_UNIT6 32
#define SG_POLICY_UNITS_MAX 4096
#define SG_POLICY_BITS_LG 10 /* 1024 words: 65536 bits                 */
#define SG_POLICY_BITS_ENTRIES (1 + 2 * (1 << SG_POLICY_BITS_LG))

/* ---- sources: a source address masked to syn_budget.prefix4/6 ------------
 * The unit of the SYN budget, the SYN-ACK destination cap and the heavy
 * hitters; the learned allowlist's, masked to learn.prefix4/6. */
struct sg_src_key {
	__u8 family; /* 4 or 6                                      */
	__u8 plen;   /* the prefix length it is masked to           */
	__u16 pad;
	__u32 addr[4];
};

/* The sketch (bpf/sketch.h): count-min, conservative update, per CPU;
 * SYNs per source in windows of 2^SG_SKETCH_EPOCH_SHIFT ns, two windows
 * kept (each counter: window tag << 24 | count). Blocked: a source's two
 * counters lie in one block of 8 (a cache line), one miss a SYN. */
#define SG_SKETCH_ROWS 2         /* map entries, 32 KB each (a per-CPU most) */
#define SG_SKETCH_WIDTH 4096     /* counters an entry                        */
#define SG_SKETCH_BLOCK 8        /* counters a cache line                    */
#define SG_SKETCH_EPOCH_SHIFT 30 /* ~1.07 s                          */
#define SG_SKETCH_TAG_SHIFT 24
#define SG_SKETCH_COUNT_MAX 0xffffffu

struct sg_sketch_slot {
	__u32 c[2]; /* window & 1                                  */
};

struct sg_sketch_row {
	struct sg_sketch_slot s[SG_SKETCH_WIDTH];
};

/* A heavy hitter as one CPU saw it (sg_hitters, per-CPU LRU). */
struct sg_hitter {
	__u32 epoch;   /* window of count (low 32 bits)               */
	__u32 count;   /* SYNs in it when last recorded               */
	__u64 seen_ns; /* ktime of that                               */
};
#define SG_HITTERS_SIZE 1024

/* A learned source (sg_learned, LRU): seen_ns + learn_s is its expiry. */
struct sg_learned {
	__u64 seen_ns;
};
#define SG_LEARNED_SIZE 65536

/* ---- sampled decisions (sg_events ring buffer, bpf/events.h) ------------- */
struct sg_event {
	__u64 time_ns; /* CLOCK_MONOTONIC                             */
	__u16 reason;  /* the counter of the decision (enum sg_counter) */
	__u8 verdict;  /* XDP action carried out                      */
	__u8 flags;    /* SG_EV_*                                     */
	__u8 family;
	__u8 tcp_flags; /* FIN 1 SYN 2 RST 4 PSH 8 ACK 16 URG 32 ECE 64 CWR 128 */
	__u16 sport;    /* host order                                  */
	__u16 dport;
	__u16 pad;
	__u32 saddr[4]; /* network order; IPv4 in [0]                  */
	__u32 daddr[4];
};
#define SG_EV_WOULD (1u << 0) /* shadow mode: the decision was not carried out */
#define SG_EVENTS_SIZE (256 * 1024)
#define SG_EVENTS_LEASE_NS (3 * 1000000000ULL) /* a reader renews it each second */

/* ---- cookie secrets (array map of 2 slots; config picks the current) ---- */
struct sg_secret {
	__u64 k0;
	__u64 k1;
};

/* A cookie expires by time even when no daemon rotates the secret: the
 * data path makes cookies with the current secret only until period_ns +
 * SG_SECRET_SLACK_NS after it was installed, and checks ACKs against a
 * slot's secret only until 2 * period_ns + SG_SECRET_SLACK_NS after it
 * was: a cookie lives at most that long after its SYN-ACK. The slack
 * covers a daemon that rotates a little late. */
struct sg_secret_state {
	__u32 cur; /* slot of the current secret (0/1)             */
	__u32 pad;
	__u64 rotated_ns;      /* CLOCK_MONOTONIC of the last rotation         */
	__u64 period_ns;       /* the rotation period the lifetimes are of     */
	__u64 installed_ns[2]; /* CLOCK_MONOTONIC each slot's secret was written */
	struct sg_secret slot[2];
};
#define SG_SECRET_SLACK_NS (2 * 1000000000ULL)

/* ---- cookie layout ------------------------------------------------------
 * ISN:   | 31 ........ 8 | 7 6 |   5 |    4 | 3 2 1 0 |
 *        |  hash (24)    | MSS | ECN | SACK |  WScale |   (WScale 15 = none)
 * TSval: | 31 ..... 8 | 7 ... 0 |   when the client sent timestamps
 *        | clock      | hash    |
 */
#define SG_COOKIE_HASH_BITS 24
#define SG_COOKIE_WS_NONE 0xf
#define SG_COOKIE_SACK (1u << 4)
#define SG_COOKIE_ECN (1u << 5)
#define SG_COOKIE_MSS_SHIFT 6
#define SG_COOKIE_TS_HASH_MASK 0xffu

/* ---- XDP -> TC ingress metadata for a validated cookie ACK -------------- */
#define SG_META_MAGIC 0x53474d31u /* "SGM1" */

struct sg_meta {
	__u32 magic;
	__u32 rcv_tsval; /* the ACK's TSval (client clock)               */
	__u32 rcv_tsecr; /* the ACK's TSecr (echo of our SYN-ACK TSval)  */
	__u16 mss;
	__u8 snd_wscale; /* client's window scale                        */
	__u8 flags;      /* SG_META_F_*                                  */
};

#define SG_META_F_WSCALE (1u << 0)
#define SG_META_F_SACK (1u << 1)
#define SG_META_F_TS (1u << 2)
#define SG_META_F_ECN (1u << 3)

/* ---- connection tracker ------------------------------------------------- */
struct sg_ct_key {
	__u8 family; /* 4 or 6                                       */
	__u8 pad;
	__u16 lport; /* host byte order                              */
	__u16 rport;
	__u16 pad2;
	__u32 laddr[4]; /* network byte order; IPv4 in laddr[0]         */
	__u32 raddr[4];
};

/* One direction's sequence edges, as RFC 9293 names them. */
struct sg_ct_dir {
	__u32 isn;     /* initial sequence number                      */
	__u32 snd_nxt; /* highest seq + len sent (incl. SYN/FIN)       */
	__u32 ack;     /* highest ack sent                             */
	__u32 fin_seq; /* seq of the FIN once sent                     */
	__u32 win;     /* last advertised window, already scaled       */
	__u8 wscale;   /* window scale announced in SYN (0xf = none)   */
	__u8 flags;    /* SG_CTD_*                                     */
	__u16 pad;
};

#define SG_CTD_SYN (1u << 0)   /* this side sent a SYN                    */
#define SG_CTD_FIN (1u << 1)   /* this side sent a FIN (fin_seq is valid) */
#define SG_CTD_ACKED (1u << 2) /* this side sent an ACK (ack is valid)    */

struct sg_ct_entry {
	__u64 created_ns; /* CLOCK_MONOTONIC_COARSE (bpf/conntrack.h sg_ct_now) */
	__u64 last_ns;
	struct sg_ct_dir local;  /* what the local host sent                 */
	struct sg_ct_dir remote; /* what the remote host sent                */
	__u32 pkts_in;
	__u32 pkts_out;
	__u64 bytes_in;
	__u64 bytes_out;
	union {
		struct {
			__u8 state;  /* enum sg_state, local endpoint       */
			__u8 rstate; /* enum sg_state, remote endpoint (inferred) */
			__u8 flags;  /* SG_CT_*                              */
			__u8 pad;
			/* ms from last_ns until the kernel's timer of this
			 * state fires (bpf/conntrack.h sg_ct_timer_armed):
			 * TIME_WAIT's, or a SYN_RCVD request's next SYN-ACK;
			 * 0: not known (no CONFIG_HZ), the fixed limits */
			__u32 timer_ms;
		};
		/* the above as one word: XDP and TC move the states from two
		 * CPUs at once, by compare-and-swap (bpf/conntrack.h) */
		__u64 states;
	};
};

#define SG_CT_COOKIE (1u << 0)    /* admitted by a valid cookie            */
#define SG_CT_RETRACKED (1u << 1) /* seen mid-flow, state from the kernel */
/* SYN_RCVD with the kernel's request socket behind it: its SYN-ACK left
 * with one, or a socket lookup found it. A SYN the kernel answered with
 * its own stateless syncookie, dropped (ListenDrops, ListenOverflows) or
 * never saw leaves no request socket, and its entry is "unconfirmed". */
#define SG_CT_REQSK (1u << 2)

#ifdef __VMLINUX_H__
#define SG_SHARED_INLINE static __always_inline
#else
#define SG_SHARED_INLINE static inline
#endif

/* Is e a SYN_RCVD entry without the kernel's request socket behind it? */
SG_SHARED_INLINE int sg_ct_entry_unconfirmed(const struct sg_ct_entry *e)
{
	return e->state == SG_SYN_RCVD && !(e->flags & SG_CT_REQSK);
}

/* How long an unconfirmed SYN_RCVD entry lives idle: the kernel answers a
 * SYN it keeps within microseconds, so an entry still unconfirmed after
 * this has no request socket behind it; the SYN_RCVD gauge never counts
 * it, and it lingers only so that a client's ACK to the kernel's syncookie
 * SYN-ACK still finds it. */
#define SG_CT_UNCONFIRMED_NS 1000000000ull

/* When the kernel's next SYN-ACK for a confirmed SYN_RCVD entry is due:
 * a request socket retransmits 1 s, 2 s, 4 s ... after the SYN-ACK before
 * (TCP_TIMEOUT_INIT, doubled per retry; what the host sent of a SYN_RCVD
 * flow is its SYN-ACKs, pkts_out), and once it gives up (tcp_synack_retries,
 * fewer from a queue over half full) it drops the socket at that moment,
 * sending nothing. Past it, plus the timer wheel's rounding (up to 1/8 of
 * a timeout) and some scheduling slack, the kernel holds no socket. A
 * client's retransmitted SYN draws an extra SYN-ACK: that only makes the
 * entry wait longer (the daemon's check with the kernel removes it). */
#define SG_CT_SYNACK_SLACK_NS 100000000ull
#define SG_CT_SYNACK_MAX_SHIFT 7 /* 128 s: past TCP_RTO_MAX (120 s)   */

SG_SHARED_INLINE __u64 sg_ct_synack_due_ns(const struct sg_ct_entry *e)
{
	__u32 n = e->pkts_out ? e->pkts_out - 1 : 0;
	__u64 gap;

	/* the data path knew the timer wheel's bucket: it only takes sending */
	if (e->timer_ms)
		return (__u64)e->timer_ms * 1000000ull + SG_CT_SYNACK_SLACK_NS;
	if (n > SG_CT_SYNACK_MAX_SHIFT)
		n = SG_CT_SYNACK_MAX_SHIFT;
	gap = 1000000000ull << n;
	return gap + gap / 8 + SG_CT_SYNACK_SLACK_NS;
}

/* The kernel's timer wheel (kernel/time/timer.c): a timer armed at jiffy
 * now for delta jiffies goes to the first level whose range holds delta
 * (level n starts at 63 << 3(n-1) jiffies), and a level-n bucket spans 8^n
 * jiffies; the timer fires at the start of the bucket after the one its
 * expiry falls in, so never early and up to 8^n jiffies late (for the 60 s
 * TIME_WAIT timer at HZ=250, level 3: up to 512 jiffies, 2.048 s). Returns
 * how many jiffies after now it fires. */
#define SG_WHEEL_LVL_SHIFT 3
#define SG_WHEEL_LVL_LAST 8 /* the last level (LVL_DEPTH - 1, HZ > 100) */

SG_SHARED_INLINE __u64 sg_wheel_fires_in(__u64 now, __u64 delta)
{
	__u64 expires = now + delta;
	__u32 lvl = 0, shift;

	while (lvl < SG_WHEEL_LVL_LAST && delta >= 63ull << (lvl * SG_WHEEL_LVL_SHIFT))
		lvl++;
	shift = lvl * SG_WHEEL_LVL_SHIFT;
	return (((expires >> shift) + 1) << shift) - now;
}

/* Was a timer that fires timer_ms on armed for timeout_ns: at most one of
 * the wheel's buckets later, 8/63 of the timeout (sg_wheel_fires_in)? A
 * timeout changed since (synguard set timeout.TIME_WAIT) applies at once. */
SG_SHARED_INLINE int sg_ct_timer_fits(__u32 timer_ms, __u64 timeout_ns)
{
	__u64 t = (__u64)timer_ms * 1000000ull;

	return t >= timeout_ns && t - timeout_ns <= timeout_ns / 63 * 8 + 1000000ull;
}

/* Has e outlived its state's timeout at now (CLOCK_MONOTONIC ns)? The data
 * path keeps updating last_ns while a reader (the sweeper, the CLI) walks
 * the table with a clock read before the walk: an entry touched after that
 * read is live, not 2^64 ns idle. One definition for BPF and userspace. */
SG_SHARED_INLINE int sg_ct_entry_expired(const __u32 *timeout_s, const struct sg_ct_entry *e,
					 __u64 now)
{
	__u32 st = e->state;
	__u64 limit;

	if (st >= SG_STATE_MAX)
		return 1;
	limit = (__u64)timeout_s[st] * 1000000000ull;
	if (sg_ct_entry_unconfirmed(e))
		limit = SG_CT_UNCONFIRMED_NS;
	else if (st == SG_SYN_RCVD && sg_ct_synack_due_ns(e) < limit)
		limit = sg_ct_synack_due_ns(e);
	else if (st == SG_TIME_WAIT && sg_ct_timer_fits(e->timer_ms, limit))
		limit = (__u64)e->timer_ms * 1000000ull;
	return now > e->last_ns && now - e->last_ns > limit;
}

/* A 64-bit value mixed to 32 bits (splitmix64's finalizer): the filters'
 * and the sketch's hash, and the policy filter's, which userspace writes. */
SG_SHARED_INLINE __u32 sg_mix(__u64 h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return (__u32)(h ^ (h >> 31));
}

/* The policy filter's bit of address a (network order): its /16 for
 * IPv4 (exact), its /32 hashed for IPv6. */
SG_SHARED_INLINE __u32 sg_policy_unit(__u8 family, const __u32 *a)
{
	const __u8 *b = (const __u8 *)a;
	__u32 top = (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];

	if (family == 4)
		return top >> 16;
	return sg_mix(top) & 0xffff;
}

/* ---- filters (bpf/bits.h): sg_ct_bits, sg_learned_bits, sg_policy_bits --
 * A bit per key hash, set for every key a table holds, so that a packet
 * whose key is surely not there (every SYN and spoofed ACK of a flood, for
 * the tracker) skips the table lookup, a cache miss, without touching the
 * table. Word 0 is the control word (SG_BITS_*), then come two bitmaps of
 * up to SG_BITS_PER_SLOT bits per table slot. The data path sets a key's
 * bit in both after inserting it; the daemon's sweep clears the other
 * bitmap, sized to the entries it last found (small while the table is:
 * it then stays in cache), sets the bit of every live entry in it and makes
 * it live. A set bit may be stale or shared (the table decides); a clear
 * bit in the live bitmap is never wrong. Entries written from userspace are
 * seen once a sweep has run (sg_policy_bits: userspace writes it whole). */
#define SG_BITS_PER_SLOT 16
#define SG_BITS_PER_ENTRY 16                  /* of the last sweep's count        */
#define SG_BITS_MIN_LG 6                      /* 64 words                          */
#define SG_BITS_GEN 1ULL                      /* the live bitmap (0/1)             */
#define SG_BITS_LG_SHIFT(gen) (8 + 8 * (gen)) /* log2 words in use, 0: all */
#define SG_BITS_LIVE_SHIFT 32                 /* live entries of the last sweep    */

/* A filter's max_entries for a table of size entries. */
SG_SHARED_INLINE __u32 sg_bits_entries(__u32 size)
{
	__u64 want = (__u64)size * SG_BITS_PER_SLOT / 64;
	__u32 words = 1u << SG_BITS_MIN_LG;

	while (words < want && words < (1u << 30))
		words <<= 1;
	return 1 + 2 * words;
}

/* ---- table walker (syscall program run from userspace) ----------------- */
struct sg_walk_args {
	__u64 now_ns;         /* in: CLOCK_MONOTONIC                          */
	__u32 delete_expired; /* in: 1 = remove what timed out                */
	__u32 pad;
	__u64 states[SG_STATE_MAX]; /* out: live entries per state            */
	__u64 expired;              /* out: entries found expired (and removed)     */
	__u64 embryonic;            /* out: entries in the embryonic table          */
	__u64 synced;               /* out: entries in the synchronized table       */
	__u16 eph_lo;               /* in: net.ipv4.ip_local_port_range            */
	__u16 eph_hi;
	__u32 unconfirmed;  /* out: SYN_RCVD entries without a request socket
			       * (SG_CT_REQSK), not in states[]              */
	__u64 tw_ephemeral; /* out: TIME_WAIT entries on a local port in it */
	__u64 learned;      /* out: learned sources unexpired               */
};

/* ---- daemon settings and state (array map of 1, mmapable, pinned) -------
 * What synguardd acts on in userspace: the thresholds of auto mode, secret
 * rotation, metrics. Pinned, so `synguard set` and `synguard status` read and
 * change it whether the daemon runs or not; BPF never reads it. Every field of
 * sg_daemon_settings is a setting of user/libsg_settings.c's table. */
struct sg_daemon_settings {
	__u32 syn_rate_high; /* SYN/s to protected ports: cookies on        */
	__u32 syn_rate_low;  /* ...and under it (with synrcvd_low): off     */
	__u32 synrcvd_high;  /* SYN_RCVD gauge: cookies on                  */
	__u32 synrcvd_low;
	__u32 hold_s;          /* both under their low threshold this long    */
	__u32 secret_period_s; /* cookie secret rotation period               */
	__u32 tw_warn_pct;     /* TIME_WAIT pressure warning, % of a limit    */
	__u32 ct_size;         /* synchronized table size (fixed once pinned) */
	__u8 keep_attached;    /* on SIGTERM leave programs attached          */
	__u8 ports_all;        /* ports=all: sg_ports follows the listeners   */
	__u8 metrics_sources;  /* metrics name source prefixes (hitters)      */
	__u8 pad[5];
	char metrics[64];      /* ADDR:PORT of the metrics endpoint, or "off" */
	char secret_file[192]; /* master key the secrets derive from, or ""   */
};

/* What the daemon measured at its last sample, for status and metrics. */
#define SG_TW_BUCKETS (1u << 0) /* near net.ipv4.tcp_max_tw_buckets      */
#define SG_TW_PORTS (1u << 1)   /* near the ephemeral port range size     */

/* What keeps cookie mode off whatever the mode asks: a cookie answered
 * then could only fail (docs/security.md). */
enum sg_refuse {
	SG_REFUSE_SYSCTL = 0, /* net.ipv4.tcp_syncookies=0: the kernel resets */
	SG_REFUSE_XDP_TX = 1, /* the driver loses XDP_TX frames: no SYN-ACK  */
	SG_REFUSE_MAX
};

struct sg_daemon_status {
	__u64 tick_ns;                 /* CLOCK_MONOTONIC of the last sample; 0: none */
	__u64 syn_rate;                /* SYNs/s to protected ports (syn_received)    */
	__u64 syn_rcvd;                /* SYN_RCVD gauge                              */
	__u64 switched_ns;             /* last cookie mode switch                     */
	__u64 calm_since_ns;           /* auto, cookies on: both under low since      */
	__u64 switches;                /* cookie mode switches since the daemon began */
	__u64 time_wait;               /* TIME_WAIT gauge                             */
	__u64 tw_ephemeral;            /* ...of which on a local ephemeral port       */
	__u64 tw_max_buckets;          /* net.ipv4.tcp_max_tw_buckets                 */
	__u64 port_range;              /* size of net.ipv4.ip_local_port_range        */
	__u32 tw_pressure;             /* SG_TW_* warnings in force                   */
	__u32 secret_derived;          /* 1: secrets derived from secret_file         */
	__u64 secret_period_no;        /* derived: period number of the current one   */
	__u64 started_ns;              /* CLOCK_MONOTONIC the daemon started at       */
	char last_switch[160];         /* why cookie mode last switched, in numbers   */
	struct sg_walk_args sweep;     /* the last sample's sweep (SG_GAUGES_*)    */
	__s32 listen_err;              /* 0, or -errno: the listeners could not be read */
	__u32 cookie_refused;          /* 1 << SG_REFUSE_*: why cookie mode is kept off */
	__u64 refusals[SG_REFUSE_MAX]; /* how often each reason took it away  */
	/* explicit ports: the listed ones without a local listener (bit/port) */
	unsigned char no_listener[65536 / 8];
	/* how long the sweep took; last, so that a CLI reading the page of
	 * a daemon built before it finds the page's zero fill here */
	__u64 sweep_ns;
};

struct sg_dpage {
	struct sg_daemon_settings set;
	struct sg_daemon_status st;
};

/* `synguard stats` and `status` walk the tables themselves while the
 * daemon's last sweep found at most SG_GAUGES_WALK_MAX entries; a walk
 * costs ~100 ns per entry (a cache miss each), so beyond that they show
 * the gauges of that sweep (sg_daemon_status.sweep), as long as it is younger
 * than SG_GAUGES_MAX_AGE_NS (the daemon samples every second) and three of
 * its durations (sweep_ns): a sweep is stamped when it begins, and one that
 * outlasts the second is followed at once by the next, so the one shown can
 * be two sweeps old; the third covers a slower next sweep and the rest of
 * the sample (reconcile). Past that the daemon is not keeping up, or is
 * stuck. */
#define SG_GAUGES_WALK_MAX 65536
#define SG_GAUGES_MAX_AGE_NS 2500000000ULL

/* ---- pin layout --------------------------------------------------------- */
#define SG_DEFAULT_BPFFS "/sys/fs/bpf"
#define SG_PIN_SUBDIR "synguard"
#define SG_KEPT_SUBDIR "synguard-kept" /* secrets a plain stop keeps */

#endif /* SYNGUARD_H */
