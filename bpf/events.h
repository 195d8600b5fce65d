/* SPDX-License-Identifier: GPL-2.0 */
/* Sampled decisions for `synguard events`: a ring buffer the reader
 * consumes, filled only while a reader holds the lease (sg_config's
 * events_until_ns, renewed by the reader each second, so that a reader
 * that is killed stops the sampling within seconds). Nobody reading costs
 * the data path one load of a config field per decision; a reader, at most
 * events.rate samples a second (a per-CPU budget) and never a wait: a full
 * ring counts events_lost.
 */
#ifndef SG_EVENTS_H
#define SG_EVENTS_H

#include "common.h"
#include "budget.h"
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SG_EVENTS_SIZE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_events SEC(".maps");

static __always_inline bool sg_events_leased(const struct sg_config *cfg)
{
	return cfg->events_until_ns && bpf_ktime_get_coarse_ns() < cfg->events_until_ns;
}

/* TCP flags as the wire orders them (FIN is bit 0). */
static __always_inline __u8 sg_tcp_flags(const struct tcphdr *th)
{
	return th->fin | th->syn << 1 | th->rst << 2 | th->psh << 3 | th->ack << 4 | th->urg << 5 |
	       th->ece << 6 | th->cwr << 7;
}

static __always_inline void sg_event_put(const struct sg_config *cfg, const struct sg_pkt *p,
					 __u32 reason, __u32 verdict, __u32 flags)
{
	struct sg_event *ev;
	__u64 now = bpf_ktime_get_ns();

	if (!sg_cpu_budget_take(cfg, SG_BUDGET_events_cpu, now))
		return;
	ev = bpf_ringbuf_reserve(&sg_events, sizeof(*ev), 0);
	if (!ev) {
		sg_count(SG_CNT_events_lost);
		return;
	}
	ev->time_ns = now;
	ev->reason = reason;
	ev->verdict = verdict;
	ev->flags = flags;
	ev->family = p->family;
	ev->tcp_flags = sg_tcp_flags(&p->th);
	ev->sport = bpf_ntohs(p->th.source);
	ev->dport = bpf_ntohs(p->th.dest);
	ev->pad = 0;
	__builtin_memcpy(ev->saddr, p->saddr, sizeof(ev->saddr));
	__builtin_memcpy(ev->daddr, p->daddr, sizeof(ev->daddr));
	bpf_ringbuf_submit(ev, 0);
	sg_count(SG_CNT_events_sampled);
}

#endif /* SG_EVENTS_H */
