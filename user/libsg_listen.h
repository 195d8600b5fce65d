/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_listen: the host's TCP sockets as the kernel reports them
 * (inet_diag over NETLINK_SOCK_DIAG): the listening ports synguard follows
 * without -p, and a filtered dump of sockets for other modules. */
#ifndef LIBSG_LISTEN_H
#define LIBSG_LISTEN_H

#include "libsg_config.h"

/* ---- local listeners (libsg_listen.c) -----------------------------------
 * The TCP ports with a LISTEN socket (IPv4 or IPv6) in this network
 * namespace, from an inet_diag dump (NETLINK_SOCK_DIAG). Listeners bound
 * to a loopback address only are left out: nothing from a NIC reaches
 * them. 0, or a negative errno with one line printed. */
int sg_listen_ports(struct sg_portset *ps);
/* The same quietly: 0, or -errno. */
int sg_listen_read(struct sg_portset *ps);
/* One buffer of a dump's replies into ps: 1 once NLMSG_DONE was seen, 0
 * when more is to come, -errno on a netlink error or a malformed reply. */
int sg_listen_parse(const void *buf, size_t len, struct sg_portset *ps);
/* Every TCP socket of this network namespace in states (1 << TCP_*),
 * and with a local port of ports[] when nports > 0 (the kernel filters),
 * IPv4 then IPv6, each to cb: 0, or -errno quietly. */
#define SG_DIAG_PORTS_MAX 4
struct sg_diag_req {
	__u32 states;
	int nports;
	__u16 ports[SG_DIAG_PORTS_MAX];
};
struct inet_diag_msg;
typedef void (*sg_diag_cb)(const struct inet_diag_msg *m, void *arg);
int sg_diag_dump(const struct sg_diag_req *q, sg_diag_cb cb, void *arg);

#endif /* LIBSG_LISTEN_H */
