/* SPDX-License-Identifier: GPL-2.0 */
/* Each source's budget of failed cookie checks, as the two paths meet it:
 * the ACK path spends it on a bad cookie and marks when a source ran
 * out; the SYN path then sends that source to the kernel's own handshake
 * instead of a cookie. The cookie check window is kept open here too.
 */
#ifndef SG_COOKIE_BUDGET_H
#define SG_COOKIE_BUDGET_H

#include "common.h"
#include "parse.h"
#include "config.h"
#include "budget.h"
#include "cookie.h"

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
static __always_inline void sg_cookie_spent_mark(const struct sg_budget_cfg *b, __u64 now)
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
 * valid cookie without timestamps is refused (sg_ack_cookie_judge): the
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

#endif /* SG_COOKIE_BUDGET_H */
