// SPDX-License-Identifier: GPL-2.0
/* The local-address map (bpf/local.h) on crafted frames: in cookie mode,
 * a SYN or ACK to an address the host does not own passes untouched, and
 * no SYN from a broadcast, multicast, loopback, unspecified or local
 * source is answered. Each case also runs with sg_config.local_addrs off
 * where the map is what decides, to show the check is live. */
#include "harness.h"

#define TH_SYN 0x02
#define TH_ACK 0x10

struct lcase {
	const char *name;
	int family;
	const char *dst; /* NULL: flow_client's (made local below)    */
	const char *src; /* NULL: flow_client's                       */
	uint8_t flags;
	int verdict;
	int cnt;     /* the counter of the decision               */
	bool by_map; /* decided by the map: off, the old verdict  */
};

static const struct lcase cases[] = {
	{ "SYN to a local address: cookie", 4, NULL, NULL, TH_SYN, XDP_TX, SG_CNT_syn_cookies_sent,
	  false },
	{ "SYN to 198.18.99.99 (not local)", 4, "198.18.99.99", NULL, TH_SYN, XDP_PASS,
	  SG_CNT_pass_not_local, true },
	{ "ACK to 198.18.99.99 (not local)", 4, "198.18.99.99", NULL, TH_ACK, XDP_PASS,
	  SG_CNT_pass_not_local, true },
	{ "SYN to the subnet broadcast", 4, "198.19.0.255", NULL, TH_SYN, XDP_PASS,
	  SG_CNT_pass_not_local, true },
	{ "SYN from another local address (land)", 4, NULL, "198.19.0.2", TH_SYN, XDP_DROP,
	  SG_CNT_drop_land, true },
	{ "SYN from the subnet broadcast", 4, NULL, "198.19.0.255", TH_SYN, XDP_DROP,
	  SG_CNT_drop_src_broadcast, true },
	{ "SYN from 255.255.255.255", 4, NULL, "255.255.255.255", TH_SYN, XDP_DROP,
	  SG_CNT_drop_src_broadcast, false },
	{ "SYN from 224.0.0.1", 4, NULL, "224.0.0.1", TH_SYN, XDP_DROP, SG_CNT_drop_src_multicast,
	  false },
	{ "SYN from 127.0.0.1", 4, NULL, "127.0.0.1", TH_SYN, XDP_DROP, SG_CNT_drop_src_loopback,
	  false },
	{ "SYN from 0.0.0.0", 4, NULL, "0.0.0.0", TH_SYN, XDP_DROP, SG_CNT_drop_src_unspecified,
	  false },
	{ "SYN to a local address (IPv6): cookie", 6, NULL, NULL, TH_SYN, XDP_TX,
	  SG_CNT_syn_cookies_sent, false },
	{ "SYN to 2001:db8:99::1 (not local)", 6, "2001:db8:99::1", NULL, TH_SYN, XDP_PASS,
	  SG_CNT_pass_not_local, true },
	{ "SYN from another local address (IPv6)", 6, NULL, "2001:db8:0:1::2", TH_SYN, XDP_DROP,
	  SG_CNT_drop_land, true },
	{ "SYN from fe80::1, local on another link (IPv6)", 6, "fe80::2", "fe80::1", TH_SYN, XDP_TX,
	  SG_CNT_syn_cookies_sent, false },
	{ "SYN from ff02::1", 6, NULL, "ff02::1", TH_SYN, XDP_DROP, SG_CNT_drop_src_multicast,
	  false },
	{ "SYN from ::1", 6, NULL, "::1", TH_SYN, XDP_DROP, SG_CNT_drop_src_loopback, false },
	{ "SYN from ::", 6, NULL, "::", TH_SYN, XDP_DROP, SG_CNT_drop_src_unspecified, false },
};

static int addr_put(int fd, int family, const char *text, __u8 kind)
{
	struct sg_addr_key k = { .family = (__u8)family };

	if (inet_pton(family == 4 ? AF_INET : AF_INET6, text, k.addr) != 1)
		return -1;
	return bpf_map_update_elem(fd, &k, &kind, BPF_ANY);
}

/* The host: flow_client's server addresses, one more of each family,
 * 198.19.0.0/24's broadcast, and two link-local addresses (on two links). */
static int host_addrs(int fd)
{
	return addr_put(fd, 4, "198.19.0.1", SG_ADDR_LOCAL) ||
	       addr_put(fd, 4, "198.19.0.2", SG_ADDR_LOCAL) ||
	       addr_put(fd, 4, "198.19.0.255", SG_ADDR_BROADCAST) ||
	       addr_put(fd, 6, "2001:db8:0:1::1", SG_ADDR_LOCAL) ||
	       addr_put(fd, 6, "2001:db8:0:1::2", SG_ADDR_LOCAL) ||
	       addr_put(fd, 6, "fe80::1", SG_ADDR_LOCAL) ||
	       addr_put(fd, 6, "fe80::2", SG_ADDR_LOCAL);
}

static void run_case(const struct lcase *c, bool map_on)
{
	struct flow fl = flow_client(c->family, T.next_flow++, PORT);
	int af = c->family == 4 ? AF_INET : AF_INET6;
	struct seg s = { .seq = 0x1000, .flags = c->flags };
	bool want_old = c->by_map && !map_on;
	struct frame f;
	struct run r;

	if (c->dst)
		inet_pton(af, c->dst, fl.daddr);
	if (c->src)
		inet_pton(af, c->src, fl.saddr);
	s.ack = c->flags & TH_ACK ? 0x5000 : 0;
	frame_build(&f, &fl, &s);
	xdp_run(&f, &r);
	if (want_old) {
		/* before the map: every address was the host's */
		check(r.delta[c->cnt] == 0 && r.verdict != c->verdict,
		      "local: %s, map not in use -> not %s (got %s)", c->name,
		      verdict_name(c->verdict), verdict_name(r.verdict));
		return;
	}
	if (r.verdict != c->verdict || r.delta[c->cnt] != 1)
		diag("%s: got %s, counters%s", c->name, verdict_name(r.verdict), deltas(&r));
	check(r.verdict == c->verdict && r.delta[c->cnt] == 1 &&
		      (c->cnt == SG_CNT_syn_cookies_sent || !r.delta[SG_CNT_syn_cookies_sent]),
	      "local: %s -> %s, %s counted, no cookie", c->name, verdict_name(c->verdict),
	      sg_counter_names[c->cnt]);
}

int main(void)
{
	if (!check(!setup("mode=on"), "local: load and configure synguard"))
		return 1;
	if (!check(!host_addrs(bpf_map__fd(T.skel->maps.sg_local_addrs)),
		   "local: the host's addresses written"))
		return 1;
	for (int on = 0; on < 2; on++) {
		T.cfg.local_addrs = (__u8)on;
		config_apply();
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(&cases[i], on);
	}
	return tap_failed ? 1 : 0;
}
