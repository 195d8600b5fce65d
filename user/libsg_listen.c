// SPDX-License-Identifier: GPL-2.0
/* The local TCP listeners, and ports=all following them: a port without a
 * listener must get the kernel's RST to a SYN, not a cookie SYN-ACK (port
 * scans, connect-only health checks, and DNAT'd destinations whose ACK
 * finds no listener in this namespace). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <bpf/bpf.h>
#include "libsg_listen.h"
#include "libsg_config.h"

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: no packet from a NIC. */
static bool sg_loopback_only(const struct inet_diag_msg *m)
{
	const __be32 *a = m->id.idiag_src;

	if (m->idiag_family == AF_INET)
		return (ntohl(a[0]) >> 24) == 127;
	if (!a[0] && !a[1] && !a[2])
		return a[3] == htonl(1);
	return !a[0] && !a[1] && a[2] == htonl(0xffff) && (ntohl(a[3]) >> 24) == 127;
}

/* One buffer of a dump's replies, each socket to cb: 1 once NLMSG_DONE
 * was seen, 0 when more is to come, -errno. */
static int sg_diag_parse(const void *buf, size_t len, sg_diag_cb cb, void *arg)
{
	const struct nlmsghdr *h = buf;
	int left = (int)len;

	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		const struct inet_diag_msg *m = NLMSG_DATA(h);

		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error ? e->error : -EBADMSG;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			return -EBADMSG;
		cb(m, arg);
	}
	return left ? -EBADMSG : 0;
}

static void sg_listen_add(const struct inet_diag_msg *m, void *arg)
{
	if (m->idiag_state == TCP_LISTEN && !sg_loopback_only(m))
		sg_ports_add(arg, ntohs(m->id.idiag_sport));
}

int sg_listen_parse(const void *buf, size_t len, struct sg_portset *ps)
{
	return sg_diag_parse(buf, len, sg_listen_add, ps);
}

/* The kernel's filter for "local port is one of ports" (inet_diag
 * bytecode): each port a two-op S_EQ test that jumps to the end (accept)
 * when equal, to the next test when not; past the last, beyond the end
 * (reject). */
struct sg_diag_filter {
	struct nlattr a;
	struct inet_diag_bc_op op[2 * SG_DIAG_PORTS_MAX];
};

static void sg_diag_filter_make(struct sg_diag_filter *f, const struct sg_diag_req *q)
{
	unsigned short len = (unsigned short)(q->nports * 2 * sizeof(f->op[0]));

	f->a.nla_type = INET_DIAG_REQ_BYTECODE;
	f->a.nla_len = (__u16)(NLA_HDRLEN + len);
	for (int i = 0; i < q->nports; i++) {
		unsigned short at = (unsigned short)(i * 2 * sizeof(f->op[0]));

		f->op[2 * i] = (struct inet_diag_bc_op){
			.code = INET_DIAG_BC_S_EQ,
			.yes = (unsigned char)(len - at),
			.no = (unsigned short)(2 * sizeof(f->op[0]) + (i == q->nports - 1 ? 4 : 0)),
		};
		f->op[2 * i + 1] = (struct inet_diag_bc_op){ .no = q->ports[i] };
	}
}

/* One family's dump of the TCP sockets q asks for. */
static int sg_diag_dump_family(int fd, __u8 family, __u32 seq, const struct sg_diag_req *q,
			       sg_diag_cb cb, void *arg)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
		struct sg_diag_filter f;
	} req = {
		.h = { .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = seq },
		.r = { .sdiag_family = family,
		       .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = q->states },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buf[32768];
	int r = 0;

	req.h.nlmsg_len = offsetof(typeof(req), f);
	if (q->nports) {
		sg_diag_filter_make(&req.f, q);
		req.h.nlmsg_len += NLA_ALIGN(req.f.a.nla_len);
	}
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	while (!r) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		r = sg_diag_parse(buf, (size_t)n, cb, arg);
	}
	return r < 0 ? r : 0;
}

int sg_diag_dump(const struct sg_diag_req *q, sg_diag_cb cb, void *arg)
{
	static __u32 seq;
	int fd, r;

	if (q->nports < 0 || q->nports > SG_DIAG_PORTS_MAX)
		return -EINVAL;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	r = sg_diag_dump_family(fd, AF_INET, ++seq, q, cb, arg);
	if (!r)
		r = sg_diag_dump_family(fd, AF_INET6, ++seq, q, cb, arg);
	close(fd);
	return r;
}

int sg_listen_read(struct sg_portset *ps)
{
	const struct sg_diag_req q = { .states = 1u << TCP_LISTEN };

	memset(ps, 0, sizeof(*ps));
	return sg_diag_dump(&q, sg_listen_add, ps);
}

int sg_listen_ports(struct sg_portset *ps)
{
	int r = sg_listen_read(ps);

	if (r)
		sg_err("cannot list the TCP listeners (inet_diag netlink): %s", strerror(-r));
	return r;
}
