/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_config: what the host is. It owns reading sysctls, the MTU and
 * the driver's XDP_TX losses, turning them into the kernel facts of struct
 * sg_config, the names of the reasons synguard refuses to run, and port
 * lists (parsing, sets, slots, formatting). */
#ifndef LIBSG_CONFIG_H
#define LIBSG_CONFIG_H

#include <sys/socket.h>
#include "libsg_util.h"

/* enum sg_refuse: a short name ("tcp_syncookies", "xdp_tx"), and why */
const char *sg_refuse_name(unsigned int reason);
const char *sg_refuse_why(unsigned int reason);

struct sg_sysctls {
	int syncookies, window_scaling, timestamps, sack, ecn;
	int syn_retries, synack_retries, fin_timeout, default_ttl;
	long rmem_max, tcp_rmem2;
};
int sg_read_sysctls(struct sg_sysctls *s);      /* current netns */
int sg_sysctl_int(const char *name, long *val); /* "net/ipv4/..." */
int sg_iface_mtu(const char *iface);            /* ioctl, netns-correct */
/* The driver's count of lost XDP_TX frames (ETHTOOL_GSTATS: the stats
 * named *xdp_tx*err* or *xdp_tx*drop*, summed): 0, or -ENOENT when the
 * driver has none, or -errno. */
int sg_xdp_tx_errors(const char *iface, __u64 *errs);
/* The sysctls mirrored in the data path (and tcp_syncookies) that differ,
 * "net.ipv4.tcp_timestamps 1 -> 0, ..." into buf: how many. */
int sg_sysctls_diff(const struct sg_sysctls *a, const struct sg_sysctls *b, char *buf, size_t n);
struct sg_tw_limits {
	__u64 max_buckets;      /* net.ipv4.tcp_max_tw_buckets              */
	__u16 port_lo, port_hi; /* net.ipv4.ip_local_port_range             */
	__u64 port_range;       /* its size                                 */
};
/* What TIME_WAIT is measured against, in the current netns. */
void sg_tw_limits_read(struct sg_tw_limits *t);
/* What a kernel has when nobody changed its sysctls (the sample config). */
void sg_sysctls_defaults(struct sg_sysctls *s);
/* Kernel facts only: MSS tables, window scale, TTL, options. */
void sg_config_kernel(struct sg_config *c, const struct sg_sysctls *s, int mtu);
/* The settings of struct sg_config at their defaults (the settings table). */

#define SG_MAX_PORT_SLOTS (SG_PORT_SLOTS - 2)
struct sg_portset {
	bool all; /* no -p: the ports with a local listener  */
	unsigned char bit[65536 / 8];
};
/* "80,443,8000-8099" or "all" -> set; on error the offending token in err. */
int sg_ports_parse_err(const char *s, struct sg_portset *ps, char *err, size_t n);
/* The same, printing the error as a -p error. */
int sg_ports_parse(const char *s, struct sg_portset *ps);
/* Whether port is in the bits of ps (its "all" flag not looked at). */
bool sg_ports_has(const struct sg_portset *ps, unsigned int port);
void sg_ports_add(struct sg_portset *ps, unsigned int port);
/* values for sg_ports: slot per port; "all" is the ports in listening
 * (only read then); past SG_MAX_PORT_SLOTS ports, SG_PORT_SLOT_OTHER */
void sg_ports_slots(const struct sg_portset *ps, const struct sg_portset *listening,
		    __u16 *slots /* [65536] */);
/* "80,443,8000-8099" from a slot map ("none" when no port). */
char *sg_ports_format(const __u16 *slots);
/* The same from the bits of a set (its "all" flag not looked at). */
char *sg_portset_format(const struct sg_portset *ps);

/* The metrics endpoint's address (metrics.addr): "off" -> 1; "ADDR:PORT" or "[ADDR6]:PORT" -> 0; else -1 with err. */
int sg_metrics_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
		    size_t n);

#endif /* LIBSG_CONFIG_H */
