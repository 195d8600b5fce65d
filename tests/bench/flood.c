// SPDX-License-Identifier: GPL-2.0
/* sg_bench flood: the end-to-end benchmark's flood generator.
 *
 * trafgen (netsniff-ng) gives up in the middle of a run here: on a veth
 * whose peer answers with XDP_TX, the sender's skbs live until the answer
 * is freed on the other side, the packet socket's send buffer (the
 * net.core.wmem_default of the host, which a network namespace cannot
 * raise) runs out, and trafgen takes that EAGAIN for fatal ("Flushing
 * TX_RING failed"). This sends through an AF_PACKET socket whose buffer is
 * forced (root), blocking when it is full, so its core stays busy.
 *
 * Packets as lab.sh's trafgen template makes them: IPv4/TCP, no options,
 * from random sources in 198.19.0.0/16 and random ports, sequence and
 * acknowledgment numbers (a pool of distinct frames, sent round robin),
 * valid checksums.
 *
 *   sg_bench flood -i IFACE --src-mac MAC --dst-mac MAC --dst IPV4 --dport PORT
 *                  [-k syn|ack|mixed] [-r PPS] [-s SECS] [-n MAX] [-c CPU]
 * Prints {"sent": N, "secs": S}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "frame.h"
#include "flood.h"

#define POOL 65536
#define SLOT 64 /* a frame of the pool: 54 bytes, room to spare */
#define BATCH 64

static int mac_parse(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6
		       ? 0
		       : -1;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd32(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 16);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sg_bench flood -i IFACE --src-mac MAC --dst-mac MAC --dst IPV4 --dport PORT\n"
		"                      [-k syn|ack|mixed] [-r PPS] [-s SECS] [-n MAX] [-c CPU]\n");
	exit(2);
}

int flood_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "src-mac", required_argument, 0, 'S' },
		{ "dst-mac", required_argument, 0, 'D' },
		{ "dst", required_argument, 0, 'd' },
		{ "dport", required_argument, 0, 'p' },
		{ 0, 0, 0, 0 },
	};
	const char *ifname = NULL, *kind = "syn";
	uint8_t smac[6], dmac[6];
	int have_s = 0, have_d = 0, cpu = 0, c, fd, ifindex;
	uint32_t daddr = 0;
	uint16_t dport = 0;
	double secs = 1;
	unsigned long long rate = 0, max = 0, sent = 0;
	uint8_t *pool;
	uint32_t len = 0;
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	cpu_set_t set;
	uint64_t t0, end;
	int buf = 64 << 20;

	while ((c = getopt_long(argc, argv, "i:k:r:s:n:c:", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 0);
			break;
		case 's':
			secs = strtod(optarg, NULL);
			break;
		case 'n':
			max = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'S':
			have_s = !mac_parse(optarg, smac);
			break;
		case 'D':
			have_d = !mac_parse(optarg, dmac);
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &daddr) != 1)
				usage();
			break;
		case 'p':
			dport = (uint16_t)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!ifname || !have_s || !have_d || !daddr || !dport || secs <= 0 ||
	    (strcmp(kind, "syn") && strcmp(kind, "ack") && strcmp(kind, "mixed")))
		usage();
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "sg_bench flood: no interface %s here\n", ifname);
		return 1;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "sg_bench flood: pin to CPU %d: %s\n", cpu, strerror(errno));
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf))) {
		fprintf(stderr, "sg_bench flood: packet socket: %s\n", strerror(errno));
		return 1;
	}
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);

	pool = calloc(POOL, SLOT);
	if (!pool)
		return 1;
	rnd_state ^= now_ns();
	for (uint32_t i = 0; i < POOL; i++) {
		struct flow fl = { .family = 4, .dport = dport };
		struct seg s = { .seq = rnd32(), .ack = rnd32() };
		struct frame f;
		bool syn = !strcmp(kind, "syn") || (!strcmp(kind, "mixed") && !(i & 1));

		fl.saddr[0] = htonl(0xc6130000u | (rnd32() & 0xffff)); /* 198.19/16 */
		fl.daddr[0] = daddr;
		fl.sport = (uint16_t)(1024 + rnd32() % 64512);
		s.flags = syn ? TH_SYN : TH_ACK;
		if (syn)
			s.ack = 0;
		frame_build(&f, &fl, &s);
		memcpy(f.b, dmac, 6);
		memcpy(f.b + 6, smac, 6);
		memcpy(pool + (size_t)i * SLOT, f.b, f.len);
		len = f.len;
	}
	for (int i = 0; i < BATCH; i++) {
		msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &sll,
							.msg_namelen = sizeof(sll),
							.msg_iov = &iov[i],
							.msg_iovlen = 1 } };
	}

	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (uint64_t now = t0; now < end && (!max || sent < max); now = now_ns()) {
		unsigned int n = BATCH;
		int r;

		if (max && max - sent < n)
			n = (unsigned int)(max - sent);
		for (unsigned int i = 0; i < n; i++) {
			iov[i] = (struct iovec){ .iov_base = pool + (sent + i) % POOL * SLOT,
						 .iov_len = len };
		}
		r = sendmmsg(fd, msg, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			fprintf(stderr, "sg_bench flood: send: %s\n", strerror(errno));
			return 1;
		}
		sent += (unsigned int)r;
		if (rate) {
			/* the time this many packets take at the rate */
			uint64_t due = t0 + sent * 1000000000ull / rate;
			struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ull),
					       .tv_nsec = (long)(due % 1000000000ull) };

			if (due > now_ns())
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
	}
	printf("{\"sent\": %llu, \"secs\": %.3f}\n", sent, (double)(now_ns() - t0) / 1e9);
	free(pool);
	close(fd);
	return 0;
}
