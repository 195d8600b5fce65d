/* SPDX-License-Identifier: GPL-2.0 */
/* The settings the daemon writes (struct sg_config), its own page, and the
 * protected ports: the maps every stage reads first, and what they say of
 * a packet before any stage looks at it.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include "common.h"

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

static __always_inline bool sg_tracked(const struct sg_config *cfg, __u16 slot)
{
	return cfg->track_all || slot;
}

/* Cookies can only exist while cookie mode is on or shortly after. */
static __always_inline bool sg_cookie_window(const struct sg_config *cfg)
{
	return cfg->cookie_active || bpf_ktime_get_ns() < cfg->cookie_check_until_ns;
}

#endif /* SG_CONFIG_H */
