// SPDX-License-Identifier: GPL-2.0
/* ports=all follows the local TCP listeners: the inet_diag reply parser on
 * crafted netlink messages (listeners, loopback-only ones, the end of the
 * dump, an error, a truncated reply); the dump against real sockets in a
 * network namespace of our own; and synguardd's per-sample sync into a
 * real sg_ports map (only differences written, the log lines, the warning
 * for listed ports without a listener). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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
#include "libsynguard.h"
#include "tap.h"

/* ---- the parser on crafted replies ------------------------------------------------ */
static char msgbuf[8192];
static size_t msglen;

static void put_msg(__u16 type, const void *body, size_t len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(msgbuf + msglen);

	memset(h, 0, NLMSG_SPACE(len));
	h->nlmsg_len = (__u32)NLMSG_LENGTH(len);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_MULTI;
	memcpy(NLMSG_DATA(h), body, len);
	msglen += NLMSG_SPACE(len);
}

/* a LISTEN socket (state given) on addr:port; addr "a.b.c.d" or IPv6 text */
static void put_sock(const char *addr, __u16 port, __u8 state)
{
	struct inet_diag_msg m = { .idiag_state = state };

	m.idiag_family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	m.id.idiag_sport = htons(port);
	inet_pton(m.idiag_family, addr, m.id.idiag_src);
	put_msg(SOCK_DIAG_BY_FAMILY, &m, sizeof(m));
}

static void test_parse(void)
{
	struct sg_portset ps;
	struct nlmsgerr e = { .error = -EPERM };
	__u32 done = 0;
	int r;

	memset(&ps, 0, sizeof(ps));
	msglen = 0;
	put_sock("0.0.0.0", 80, TCP_LISTEN);
	put_sock("198.18.0.1", 8080, TCP_LISTEN);
	put_sock("127.0.0.1", 5432, TCP_LISTEN);
	put_sock("127.1.2.3", 5433, TCP_LISTEN);
	put_sock("::", 443, TCP_LISTEN);
	put_sock("::1", 6000, TCP_LISTEN);
	put_sock("::ffff:127.0.0.1", 6001, TCP_LISTEN);
	put_sock("::ffff:198.18.0.1", 6002, TCP_LISTEN);
	put_sock("0.0.0.0", 7000, TCP_ESTABLISHED);
	r = sg_listen_parse(msgbuf, msglen, &ps);
	check(r == 0, "listen: a reply without NLMSG_DONE asks for more (%d)", r);
	check(sg_ports_has(&ps, 80) && sg_ports_has(&ps, 8080) && sg_ports_has(&ps, 443) &&
		      sg_ports_has(&ps, 6002),
	      "listen: IPv4, IPv6 and v4-mapped listeners on any or a NIC address are listed");
	check(!sg_ports_has(&ps, 5432) && !sg_ports_has(&ps, 5433) && !sg_ports_has(&ps, 6000) &&
		      !sg_ports_has(&ps, 6001),
	      "listen: listeners on 127/8, ::1 and ::ffff:127/104 only are left out");
	check(!sg_ports_has(&ps, 7000), "listen: a socket not in LISTEN is left out");

	msglen = 0;
	put_sock("0.0.0.0", 22, TCP_LISTEN);
	put_msg(NLMSG_DONE, &done, sizeof(done));
	r = sg_listen_parse(msgbuf, msglen, &ps);
	check(r == 1 && sg_ports_has(&ps, 22), "listen: NLMSG_DONE ends the dump (%d)", r);

	msglen = 0;
	put_msg(NLMSG_ERROR, &e, sizeof(e));
	r = sg_listen_parse(msgbuf, msglen, &ps);
	check(r == -EPERM, "listen: a netlink error is returned as -errno (%d)", r);

	msglen = 0;
	put_sock("0.0.0.0", 23, TCP_LISTEN);
	r = sg_listen_parse(msgbuf, msglen - 8, &ps);
	check(r == -EBADMSG && !sg_ports_has(&ps, 23),
	      "listen: a truncated reply is refused, its socket not taken (%d)", r);

	msglen = 0;
	put_msg(SOCK_DIAG_BY_FAMILY, &done, sizeof(done));
	r = sg_listen_parse(msgbuf, msglen, &ps);
	check(r == -EBADMSG, "listen: a reply too short for inet_diag_msg is refused (%d)", r);
}

/* ---- real sockets --------------------------------------------------------------------- */
/* A TCP socket bound to addr:port, listening or not; -1 on failure. */
static int sock_on(const char *addr, __u16 port, bool listening)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET, one = 1, fd;

	fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a6->sin6_addr);
	} else {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &a4->sin_addr);
	}
	if (bind(fd, (struct sockaddr *)&ss, sizeof(ss)) || (listening && listen(fd, 8))) {
		diag("cannot bind/listen %s:%u: %s", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int up_lo(void)
{
	return system("ip link set lo up 2>/dev/null");
}

static void test_dump(void)
{
	struct sg_portset ps;
	int fd[5];

	fd[0] = sock_on("0.0.0.0", 8001, true);
	fd[1] = sock_on("::", 8003, true);
	fd[2] = sock_on("127.0.0.1", 8002, true);
	fd[3] = sock_on("::1", 8004, true);
	fd[4] = sock_on("0.0.0.0", 8005, false);
	if (fd[0] < 0 || fd[1] < 0 || fd[2] < 0 || fd[3] < 0 || fd[4] < 0) {
		check(false, "listen: sockets for the dump");
		return;
	}
	check(!sg_listen_ports(&ps), "listen: the inet_diag dump works");
	check(sg_ports_has(&ps, 8001) && sg_ports_has(&ps, 8003),
	      "listen: the dump lists an IPv4 and an IPv6 listener");
	check(!sg_ports_has(&ps, 8002) && !sg_ports_has(&ps, 8004),
	      "listen: the dump leaves out loopback-only listeners");
	check(!sg_ports_has(&ps, 8005),
	      "listen: the dump leaves out a bound socket that does not listen");
	close(fd[1]);
	check(!sg_listen_ports(&ps) && sg_ports_has(&ps, 8001) && !sg_ports_has(&ps, 8003),
	      "listen: a closed listener is gone from the next dump");
	for (int i = 0; i < 5; i++)
		if (i != 1)
			close(fd[i]);
}

/* ---- the daemon's sample -------------------------------------------------------------- */
static struct sg_daemon *d;
static __u16 slots[65536];
static char logbuf[4096];

/* One sample; its log lines in logbuf. */
static void sample(void)
{
	int saved = dup(2), fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	ssize_t n;

	fflush(stderr);
	dup2(fd, 2);
	sg_listen_sample(d);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, logbuf, sizeof(logbuf) - 1, 0);
	logbuf[n > 0 ? n : 0] = 0;
	close(fd);
	if (logbuf[0])
		diag("log: %.*s", (int)strcspn(logbuf, "\n"), logbuf);
	if (sg_ports_read(d->pins.ports_fd, slots))
		diag("cannot read the test's sg_ports");
}

/* the map holds exactly the ports given, port i with slot want[i] */
static bool map_is(const unsigned int *ports, const __u16 *want, int n)
{
	for (unsigned int p = 0; p < 65536; p++) {
		__u16 w = 0;

		for (int i = 0; i < n; i++)
			if (ports[i] == p)
				w = want[i];
		if (slots[p] != w) {
			diag("port %u: slot %u, want %u", p, slots[p], w);
			return false;
		}
	}
	return true;
}

/* The sum over the CPUs of port slot's first counter; v: a value to
 * store there first (on CPU 0), or 0 to only read. */
static __u64 slot_count(__u32 slot, __u64 v)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sg_port_counters *pc = calloc((size_t)ncpu, sizeof(*pc));
	__u64 sum = 0;

	if (!pc)
		return 0;
	pc[0].v[0] = v;
	if (v)
		bpf_map_update_elem(d->pins.pcounters_fd, &slot, pc, BPF_ANY);
	if (!bpf_map_lookup_elem(d->pins.pcounters_fd, &slot, pc))
		for (int c = 0; c < ncpu; c++)
			sum += pc[c].v[0];
	free(pc);
	return sum;
}

static void test_sync(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE);
	const unsigned int l1[] = { 8001, 8003 }, l2[] = { 8001 }, l3[] = { 8001, 8004 };
	const __u16 s1[] = { 1, 2 }, s2[] = { 1 };
	__u32 k = 22;
	__u16 v = SG_PORT_SLOT_OTHER;
	int fd[3], fd4;

	d = calloc(1, sizeof(*d));
	d->pins.dpage = calloc(1, sizeof(*d->pins.dpage));
	d->o.iface = "sg-test";
	d->pins.ports_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sg_ports", 4, 2, 65536, &o);
	d->pins.pcounters_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "sg_port_counters", 4,
					      sizeof(struct sg_port_counters), SG_PORT_SLOTS, NULL);
	if (d->pins.ports_fd < 0 || d->pins.pcounters_fd < 0) {
		check(false, "listen: sync: sg_ports and sg_port_counters maps (%s)",
		      strerror(errno));
		return;
	}
	fd[0] = sock_on("0.0.0.0", 8001, true);
	fd[1] = sock_on("::", 8003, true);
	fd[2] = sock_on("127.0.0.1", 8002, true);

	/* ports=all; the map still holds 22 from before */
	d->pins.dpage->set.ports_all = 1;
	bpf_map_update_elem(d->pins.ports_fd, &k, &v, BPF_ANY);
	slot_count(2, 77);
	sample();
	check(map_is(l1, s1, 2),
	      "listen: sync: all: the map holds the listeners, each in a slot of its own, no more");
	check(slot_count(2, 0) == 0, "listen: sync: ...a slot given to a listener starts from 0");
	check(strstr(logbuf, "sg-test: ports: listeners now 8001,8003 (+8001,8003, -22)") != NULL,
	      "listen: sync: the change is logged with what came and went");
	d->pins.dpage->st.tick_ns = 1; /* past the first sample */
	sample();
	check(!logbuf[0] && map_is(l1, s1, 2), "listen: sync: nothing changed, nothing logged");
	slot_count(1, 5);
	close(fd[1]);
	sample();
	check(map_is(l2, s2, 1) && strstr(logbuf, "ports: listeners now 8001 (-8003)") != NULL,
	      "listen: sync: a closed listener leaves the map, logged");
	check(slot_count(1, 0) == 5, "listen: sync: ...the others keep their slots and counts");
	slot_count(2, 9);
	fd4 = sock_on("0.0.0.0", 8004, true);
	sample();
	check(map_is(l3, s1, 2) && slot_count(2, 0) == 0,
	      "listen: sync: a new listener takes the freed slot, cleared");
	close(fd4);
	sample();

	/* an explicit list: the map is left alone, the missing port warned of once */
	d->pins.dpage->set.ports_all = 0;
	k = 9999, v = 2;
	bpf_map_update_elem(d->pins.ports_fd, &k, &v, BPF_ANY);
	k = 8001, v = 1;
	bpf_map_update_elem(d->pins.ports_fd, &k, &v, BPF_ANY);
	sample();
	check(slots[8001] == 1 && slots[9999] == 2 && !slots[8003],
	      "listen: sync: explicit ports: the map is not touched");
	check(strstr(logbuf, "WARNING: no local listener on 9999, listed in ports") != NULL,
	      "listen: sync: explicit ports: a listed port without a listener is warned of");
	check((d->pins.dpage->st.no_listener[9999 / 8] & (1 << (9999 % 8))) &&
		      !(d->pins.dpage->st.no_listener[8001 / 8] & (1 << (8001 % 8))),
	      "listen: sync: ...and published for status (9999 only)");
	sample();
	check(!logbuf[0], "listen: sync: the same warning is not repeated each second");
	fd[1] = sock_on("0.0.0.0", 9999, true);
	sample();
	check(strstr(logbuf, "every listed port has a local listener now") != NULL &&
		      !d->pins.dpage->st.no_listener[9999 / 8],
	      "listen: sync: a listener on it clears the warning");
	check(d->pins.dpage->st.listen_err == 0, "listen: sync: listen_err 0 after good dumps");
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	close(d->pins.ports_fd);
	close(d->pins.pcounters_fd);
	free(d->pins.dpage);
	free(d);
}

/* ---- slots and formats ----------------------------------------------------------------- */
static void test_slots(void)
{
	static struct sg_portset ps, listening;
	char *s;

	sg_ports_parse("all", &ps);
	sg_ports_add(&listening, 22);
	sg_ports_add(&listening, 8080);
	sg_ports_slots(&ps, &listening, slots);
	check(slots[22] == 1 && slots[8080] == 2 && !slots[80] && !slots[9999],
	      "listen: slots: all is the listeners, each in a slot of its own");
	sg_ports_parse("80,443", &ps);
	sg_ports_slots(&ps, &listening, slots);
	check(slots[80] == 1 && slots[443] == 2 && !slots[22],
	      "listen: slots: an explicit list ignores the listeners");
	sg_ports_parse("1-65535", &ps);
	s = sg_portset_format(&ps);
	check(s && !strcmp(s, "1-65535"), "listen: format: 1-65535 stays a range, not \"all\" (%s)",
	      s ? s : "?");
	free(s);
}

int main(void)
{
	sg_quiet_libs(false);
	test_parse();
	test_slots();
	if (unshare(CLONE_NEWNET)) {
		printf("skip - listen: dump and sync (unshare(CLONE_NEWNET): %s)\n",
		       strerror(errno));
		return tap_failed ? 1 : 0;
	}
	if (up_lo())
		diag("ip link set lo up failed");
	test_dump();
	test_sync();
	return tap_failed ? 1 : 0;
}
