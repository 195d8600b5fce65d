// SPDX-License-Identifier: GPL-2.0
/* One stage, the TCP option parser (bpf/tcpopt.h), as each program reads
 * it through its own context: a remote's SYN through sg_xdp and the local
 * host's SYN through sg_tc_egress. The window scale a SYN announces is
 * what both keep of the options in the tracker's entry (struct sg_ct_dir
 * wscale), so each case crafts a SYN with one option layout, runs it, and
 * reads the scale back from the embryonic table: every layout a stack
 * sends, aligned (read a word at a time) or not (walked one by one), must
 * give the scale it carries, and a SYN without one 0xf. An option that
 * runs past the header is counted at XDP, where the scale read before it
 * is kept, as Linux keeps the options before a broken one; tc egress then
 * keeps none (the host's own stack never sends such a SYN).
 *
 * Cookie mode is off (mode=off): SYNs to the protected port are passed
 * and tracked, so the tracker holds the parse's result.
 */
#include "harness.h"

#define LPORT_OUT 41000 /* local port of the connections we open */
#define RPORT_OUT 443

enum side { INBOUND, OUTBOUND };

struct opt_case {
	const char *name;
	struct tcpopts to; /* laid out by opts_build                  */
	bool overrun;      /* then the last option's length runs past */
	int want;          /* the scale the entry keeps; 0xf: none    */
	int want_tc;       /* ...when the host sent it                */
};

static const struct opt_case cases[] = {
	{ "Linux layout",
	  { .mss = 1460, .wscale = 7, .sack_perm = true, .ts = true, .order = OPTS_LINUX },
	  false,
	  7,
	  7 },
	{ "Windows layout",
	  { .mss = 1460, .wscale = 8, .sack_perm = true, .ts = true, .order = OPTS_WINDOWS },
	  false,
	  8,
	  8 },
	{ "macOS layout",
	  { .mss = 1460, .wscale = 6, .sack_perm = true, .ts = true, .order = OPTS_MACOS },
	  false,
	  6,
	  6 },
	{ "BSD layout",
	  { .mss = 1460, .wscale = 9, .sack_perm = true, .ts = true, .order = OPTS_BSD },
	  false,
	  9,
	  9 },
	{ "packed layout (walked)",
	  { .mss = 1460, .wscale = 14, .sack_perm = true, .ts = true, .order = OPTS_PACKED },
	  false,
	  14,
	  14 },
	{ "MSS only", { .mss = 1460, .wscale = -1, .order = OPTS_LINUX }, false, 0xf, 0xf },
	{ "WScale, then an option past the header",
	  { .mss = 1460, .wscale = 5, .order = OPTS_WINDOWS },
	  true,
	  5,
	  0xf },
};

/* The flow of one case, as the host's tables key it: local is ours. */
static struct flow case_flow(enum side side, uint32_t i)
{
	struct flow in = flow_client(4, i, PORT);

	if (side == OUTBOUND) {
		in.sport = RPORT_OUT;
		in.dport = (uint16_t)(LPORT_OUT + i);
		return flow_reverse(&in);
	}
	return in;
}

/* The options of c; an overrun appends a timestamps option whose length
 * reaches 4 bytes past the header's end. */
static int case_options(const struct opt_case *c, uint8_t *opt)
{
	int n = opts_build(opt, &c->to);

	if (c->overrun) {
		opt[n] = 8;
		opt[n + 1] = 10;
		opt[n + 2] = opt[n + 3] = 0;
		n += 4;
	}
	return n;
}

/* The window scale the embryonic entry of fl keeps for its sender. */
static int entry_wscale(const struct flow *fl, enum side side)
{
	const struct flow *in = fl;
	struct flow rev = flow_reverse(fl);
	struct sg_ct_key k = { .family = 4 };
	struct sg_ct_entry e;

	if (side == OUTBOUND)
		in = &rev;
	k.lport = in->dport;
	k.rport = in->sport;
	memcpy(k.laddr, in->daddr, 16);
	memcpy(k.raddr, in->saddr, 16);
	if (bpf_map_lookup_elem(T.ct_embryonic, &k, &e))
		return -1;
	return side == INBOUND ? e.remote.wscale : e.local.wscale;
}

static void run_case(const struct opt_case *c, enum side side)
{
	struct flow fl = case_flow(side, T.next_flow++);
	uint8_t opt[44];
	struct seg s = { .seq = 1000, .flags = TH_SYN, .opt = opt };
	const char *prog = side == INBOUND ? "sg_xdp" : "sg_tc_egress";
	struct frame f;
	struct run r;
	int ws, want = side == OUTBOUND ? c->want_tc : c->want;

	s.optlen = case_options(c, opt);
	frame_build(&f, &fl, &s);
	if (side == INBOUND)
		xdp_run(&f, &r);
	else
		tc_egress_run(&f, &r);
	ws = entry_wscale(&fl, side);
	if (ws != want)
		diag("%s %s: entry wscale %d, counters%s", prog, c->name, ws, deltas(&r));
	check(!r.err && ws == want, "tcpopt: %s, %s: the entry keeps wscale %d", prog, c->name,
	      want);
	/* the SYN path counts an option it cannot read in full, and passes
	 * the SYN as Linux does (it stops at a broken option) */
	if (side == INBOUND)
		check(r.verdict == XDP_PASS &&
			      r.delta[SG_CNT_parse_tcp_options] == (c->overrun ? 1u : 0u),
		      "tcpopt: sg_xdp, %s: XDP_PASS, parse_tcp_options %s", c->name,
		      c->overrun ? "counted" : "not counted");
}

int main(void)
{
	if (!check(!setup("mode=off"), "tcpopt: load and configure synguard"))
		return 1;
	T.cfg.track_all = 1;
	config_apply();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&cases[i], INBOUND);
		run_case(&cases[i], OUTBOUND);
	}
	return tap_failed ? 1 : 0;
}
