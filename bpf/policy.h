/* SPDX-License-Identifier: GPL-2.0 */
/* Allow and deny prefixes: one LPM trie for both lists and both families
 * (the family is the key's first byte), so a packet costs one lookup; the
 * value is the action. Nothing is looked up while the lists are empty
 * (sg_config.policy), nor for an address whose unit (a /16 for IPv4, a
 * /32 for IPv6) no listed prefix covers: userspace writes that filter
 * (sg_policy_bits, bpf/bits.h) with the lists.
 */
#ifndef SG_POLICY_H
#define SG_POLICY_H

#include "common.h"
#include "bits.h"
#include "parse.h"
#include "config.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SG_POLICY_SIZE);
	__type(key, struct sg_lpm_key);
	__type(value, struct sg_lpm_value);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_POLICY_BITS_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_policy_bits SEC(".maps");

/* What the lists decided for one packet, as the XDP path acts on it. */
enum sg_list_verdict {
	SG_LIST_UNLISTED, /* no list holds its source                   */
	SG_LIST_ALLOWED,  /* skips the SYN budget and cookie mode       */
	SG_LIST_DENIED,   /* dropped                                    */
	/* Denied in shadow mode: counted as a would-be drop; the packet goes
	 * on as if unlisted, and no later stage decides on it again. */
	SG_LIST_DENY_SHADOWED,
};

/* May the lists decide on p? syn: p opens a connection (allow and deny
 * both matter); other segments only meet deny. */
static __always_inline bool sg_policy_applies(const struct sg_config *cfg, const struct sg_pkt *p,
					      bool syn)
{
	__u32 f = cfg->policy;

	if (p->family == 6)
		f >>= 1;
	return f & (syn ? SG_POLICY_F_V4 : SG_POLICY_F_DENY4);
}

/* The action of the longest listed prefix holding p's source. */
static __always_inline __u32 sg_policy_lookup(const struct sg_config *cfg, const struct sg_pkt *p)
{
	__u32 wide = p->family == 4 ? SG_POLICY_F_WIDE4 : SG_POLICY_F_WIDE6;
	struct sg_lpm_key k;
	struct sg_lpm_value *v;

	if (!(cfg->policy & wide) &&
	    !sg_bits_maybe(&sg_policy_bits, sg_policy_unit(p->family, p->saddr)))
		return SG_ACT_NONE;
	__builtin_memset(&k, 0, sizeof(k));
	k.prefixlen = SG_LPM_FAMILY_BITS + (p->family == 4 ? 32 : 128);
	k.family = p->family;
	__builtin_memcpy(k.addr, p->saddr, sizeof(k.addr));
	v = bpf_map_lookup_elem(&sg_policy, &k);
	if (!v)
		return SG_ACT_NONE;
	__sync_fetch_and_add(&v->hits, 1);
	return v->action;
}

/* What the allow and deny lists say of p's source. */
__noinline enum sg_list_verdict sg_policy_verdict(const struct sg_pkt *p)
{
	struct sg_config *cfg = sg_get_config();
	__u32 action;

	if (!p || !cfg)
		return SG_LIST_UNLISTED;
	action = sg_policy_lookup(cfg, p);
	if (action == SG_ACT_DENY)
		return SG_LIST_DENIED;
	return action == SG_ACT_ALLOW ? SG_LIST_ALLOWED : SG_LIST_UNLISTED;
}

#endif /* SG_POLICY_H */
