/* SPDX-License-Identifier: GPL-2.0 */
/* The host's own addresses (both families) and its IPv4 subnet broadcasts,
 * written by the daemon from the kernel's address list each second. The
 * data path answers and judges only flows that end on this host: a packet
 * to any other address (routed transit, a promiscuous NIC, a bridge port)
 * passes untouched, and no SYN-ACK is ever sent to a source that is one of
 * these addresses, nor to broadcast, multicast, loopback or unspecified.
 */
#ifndef SG_LOCAL_H
#define SG_LOCAL_H

#include "common.h"
#include "parse.h"
#include "config.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_LOCAL_ADDRS_SIZE);
	__type(key, struct sg_addr_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_local_addrs SEC(".maps");

/* What the map says of address a: SG_ADDR_LOCAL, SG_ADDR_BROADCAST, or
 * SG_ADDR_OTHER when it holds no such key. */
static __always_inline __u32 sg_addr_classify(__u8 family, const __u32 *a)
{
	struct sg_addr_key k = { .family = family };
	__u8 *v;

	k.addr[0] = a[0];
	if (family == 6) {
		k.addr[1] = a[1];
		k.addr[2] = a[2];
		k.addr[3] = a[3];
	}
	v = bpf_map_lookup_elem(&sg_local_addrs, &k);
	return v ? *v : SG_ADDR_OTHER;
}

/* Does p end on this host? Everything does until the daemon has written
 * the map once (cfg->local_addrs): a data path loaded by other means (the
 * unit tests, a bare skeleton) keeps answering for every address. */
static __always_inline bool sg_local_dst(const struct sg_config *cfg, const struct sg_pkt *p)
{
	return !cfg->local_addrs || sg_addr_classify(p->family, p->daddr) == SG_ADDR_LOCAL;
}

/* The counter of why no SYN-ACK may go to p's source, or 0: a source no
 * unicast peer can have (routing drops such a SYN as martian, so does
 * this) or one of the host's own addresses (land). */
static __always_inline __u32 sg_src_unanswerable(const struct sg_config *cfg,
						 const struct sg_pkt *p)
{
	const __u32 *s = p->saddr;
	__u32 a0 = bpf_ntohl(s[0]);

	if (p->family == 4) {
		if (a0 == 0xffffffffu)
			return SG_CNT_drop_src_broadcast;
		if ((a0 >> 28) == 0xe)
			return SG_CNT_drop_src_multicast;
		if ((a0 >> 24) == 127)
			return SG_CNT_drop_src_loopback;
		if ((a0 >> 24) == 0)
			return SG_CNT_drop_src_unspecified;
		if (s[0] == p->daddr[0])
			return SG_CNT_drop_land;
	} else {
		if ((a0 >> 24) == 0xff)
			return SG_CNT_drop_src_multicast;
		if (!s[0] && !s[1] && !s[2] && (!s[3] || s[3] == bpf_htonl(1)))
			return s[3] ? SG_CNT_drop_src_loopback : SG_CNT_drop_src_unspecified;
		if (s[0] == p->daddr[0] && s[1] == p->daddr[1] && s[2] == p->daddr[2] &&
		    s[3] == p->daddr[3])
			return SG_CNT_drop_land;
	}
	/* A link-local address belongs to one link: the host may hold
	 * fe80::1 on another (docker0 does) while a router here uses it. */
	if (!cfg->local_addrs || (p->family == 6 && (a0 >> 22) == 0x3fa))
		return 0;
	switch (sg_addr_classify(p->family, s)) {
	case SG_ADDR_LOCAL:
		return SG_CNT_drop_land;
	case SG_ADDR_BROADCAST:
		return SG_CNT_drop_src_broadcast;
	}
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

#endif /* SG_LOCAL_H */
