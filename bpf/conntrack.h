/* SPDX-License-Identifier: GPL-2.0 */
/* Connection tracker tables. Embryonic flows (SYN_SENT, SYN_RCVD) and
 * synchronized ones live in separate LRU maps, so a SYN flood can only
 * evict other embryonic entries, never an established connection. */
#ifndef SG_CONNTRACK_H
#define SG_CONNTRACK_H

#include "common.h"

#define SG_CT_DEFAULT_SIZE 65536

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_CT_DEFAULT_SIZE);
	__type(key, struct sg_ct_key);
	__type(value, struct sg_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_ct_synced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_CT_DEFAULT_SIZE);
	__type(key, struct sg_ct_key);
	__type(value, struct sg_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_ct_embryonic SEC(".maps");

static __always_inline bool sg_ct_expired(const struct sg_config *cfg,
					  const struct sg_ct_entry *e,
					  __u64 now)
{
	__u32 st = e->state;

	if (st >= SG_STATE_MAX)
		return true;
	return now - e->last_ns > (__u64)cfg->timeout_s[st] * SG_NSEC_PER_SEC;
}

#endif /* SG_CONNTRACK_H */
