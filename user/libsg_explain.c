// SPDX-License-Identifier: GPL-2.0
/* synguard explain: the data path's decisions for one source, worked out
 * from the pinned maps in the order bpf/synguard.bpf.c takes them
 * (sg_xdp, sg_handle_syn, sg_handle_ack), so that "why can't this client
 * connect" is one command. What depends on the packet itself (checksums,
 * options, the SYN-ACK caps, the cookie's validity) is named, not guessed. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "libsg_explain.h"
#include "libsg_filter.h"
#include "libsg_settings.h"

/* Everything explain found, then what follows from it. */
struct sg_explain {
	struct sg_src_key addr; /* the source, a full-length prefix  */
	int port;               /* local port asked about; -1: none  */
	bool port_protected;
	enum sg_action policy; /* the longest listed prefix's list  */
	struct sg_src_key policy_prefix;
	bool budget_on;      /* syn_budget.rate is set            */
	bool budget_bucket;  /* the source has an exact bucket    */
	__u32 budget_tokens; /* tokens left (burst: no bucket)    */
	struct sg_src_key budget_src;
	bool learned;
	double learned_ago_s;
	bool hitter; /* recorded by top this minute       */
	__u64 hitter_syns;
	bool cookie_window;    /* unknown ACKs are checked now      */
	struct sg_conn *conns; /* tracker entries of this source    */
	size_t nconns;
	/* the decisions */
	const char *syn_does, *ack_does;
	int syn_counter, syn_also, ack_counter; /* -1: none */
};

int sg_explain_target(const char *s, struct sg_src_key *addr, int *port, char *err, size_t n)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long v;
	char *end;

	*port = -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':')) {
			snprintf(err, n, "'%s': write an IPv6 address with a port as [ADDR]:PORT",
				 s);
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		colon = close[1] ? close + 1 : NULL;
	} else if (colon && strchr(s, ':') == colon) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	} else {
		snprintf(host, sizeof(host), "%s", s);
		colon = NULL; /* IPv6 without brackets: no port */
	}
	if (colon) {
		errno = 0;
		v = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || v < 1 || v > 65535) {
			snprintf(err, n, "'%s': the port must be 1..65535", s);
			return -EINVAL;
		}
		*port = (int)v;
	}
	if (strchr(host, '/')) {
		snprintf(err, n, "'%s': explain takes one address, not a prefix", s);
		return -EINVAL;
	}
	return sg_prefix_parse(host, addr, err, n);
}

/* ---- what the maps hold of the source ----------------------------------------- */
static bool sg_prefix_covers(const struct sg_src_key *p, const struct sg_src_key *a)
{
	struct sg_src_key k;

	if (p->family != a->family)
		return false;
	sg_prefix_of(&k, a->family, a->addr, p->plen);
	return !memcmp(k.addr, p->addr, sizeof(k.addr));
}

/* The longest listed prefix holding the source decides, as the trie does. */
static int sg_explain_policy(const struct sg_view *v, struct sg_explain *x)
{
	static struct sg_plist allow, deny;
	int best = -1;
	int ret = sg_policy_read(v->pins->policy_fd, &allow, &deny);

	if (ret)
		return ret;
	x->policy = SG_ACT_NONE;
	for (int list = 0; list < 2; list++) {
		const struct sg_plist *l = list ? &deny : &allow;

		for (__u32 i = 0; i < l->n; i++) {
			if (!sg_prefix_covers(&l->p[i], &x->addr) || l->p[i].plen <= best)
				continue;
			best = l->p[i].plen;
			x->policy = list ? SG_ACT_DENY : SG_ACT_ALLOW;
			x->policy_prefix = l->p[i];
		}
	}
	return 0;
}

/* The source's SYN bucket: GCRA, full again at tat (bpf/budget.h). */
static int sg_explain_budget(const struct sg_view *v, struct sg_explain *x)
{
	const struct sg_budget_cfg *b = &v->cfg.budget[SG_BUDGET_syn];
	struct sg_budget_key k = { .family = x->addr.family, .kind = SG_BUDGET_syn };
	struct sg_budget e;
	char path[PATH_MAX];
	__u64 now, tat, full;
	int fd;

	x->budget_on = b->interval_ns != 0;
	x->budget_tokens = b->burst;
	sg_prefix_of(&x->budget_src, x->addr.family, x->addr.addr,
		     x->addr.family == 4 ? b->prefix4 : b->prefix6);
	if (!x->budget_on)
		return 0;
	memcpy(k.addr, x->budget_src.addr, sizeof(k.addr));
	if (sg_pin_path(path, sizeof(path), v->pins, "sg_budget") || (fd = bpf_obj_get(path)) < 0)
		return sg_err_errno("cannot open %s/sg_budget", v->pins->dir);
	if (!bpf_map_lookup_elem(fd, &k, &e)) {
		x->budget_bucket = true;
		now = sg_now_ns();
		tat = e.tat_ns > now ? e.tat_ns : now;
		full = b->interval_ns * b->burst;
		x->budget_tokens =
			tat - now >= full ? 0 : (__u32)((full - (tat - now)) / b->interval_ns);
	}
	close(fd);
	return 0;
}

static int sg_explain_learned(const struct sg_view *v, struct sg_explain *x)
{
	struct sg_learned_src *l = NULL;
	__u64 now = sg_coarse_now_ns();
	size_t n = 0;
	int ret;

	if (!v->cfg.learn_s)
		return 0;
	ret = sg_learned_read(v->pins, &v->cfg, now, &l, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (!sg_prefix_covers(&l[i].k, &x->addr))
			continue;
		x->learned = true;
		x->learned_ago_s = now > l[i].seen_ns ? (double)(now - l[i].seen_ns) / 1e9 : 0;
	}
	free(l);
	return 0;
}

static int sg_explain_hitter(const struct sg_view *v, struct sg_explain *x)
{
	struct sg_top_src *hs = NULL;
	size_t n = 0;
	int ret;

	if (!v->cfg.top_threshold)
		return 0;
	ret = sg_hitters_read(v->pins, sg_coarse_now_ns(), &hs, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (!sg_prefix_covers(&hs[i].k, &x->addr))
			continue;
		x->hitter = true;
		x->hitter_syns = hs[i].syns;
	}
	free(hs);
	return 0;
}

/* The tracker's entries whose remote end is the source (and whose local
 * port is the one asked about). */
static int sg_explain_conns(const struct sg_view *v, struct sg_explain *x)
{
	struct sg_filter f;
	struct sg_conn *cv = NULL;
	size_t n = 0, kept = 0;
	int ret;

	sg_filter_init(&f);
	f.has_dst = true;
	f.dst = x->addr;
	f.sport = x->port;
	ret = sg_conns_read(v->pins, &v->cfg, &cv, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++)
		if (sg_filter_conn(&f, &cv[i].k, cv[i].e.state))
			cv[kept++] = cv[i];
	x->conns = cv;
	x->nconns = kept;
	return 0;
}

static int sg_explain_port(const struct sg_view *v, struct sg_explain *x)
{
	static __u16 slots[65536];
	int ret;

	if (x->port < 0)
		return 0;
	ret = sg_ports_read(v->pins->ports_fd, slots);
	if (ret)
		return ret;
	x->port_protected = slots[x->port] != 0;
	return 0;
}

/* ---- what follows from it: sg_xdp, sg_handle_syn, sg_handle_ack --------------- */
static void sg_explain_syn(const struct sg_view *v, struct sg_explain *x)
{
	bool shadow = v->cfg.mode == SG_MODE_SHADOW;
	bool over = x->budget_on && x->budget_bucket && !x->budget_tokens;

	x->syn_also = -1;
	if (x->port >= 0 && !x->port_protected) {
		x->syn_does = "passed to the kernel untouched: the port is not protected";
		x->syn_counter = SG_CNT_pass_unprotected;
	} else if (x->policy == SG_ACT_DENY) {
		x->syn_does =
			shadow ? "passed to the kernel (shadow mode: counted as a would-be drop)"
			       : "dropped at XDP: the source is denied";
		x->syn_counter = SG_CNT_drop_denied;
	} else if (x->policy == SG_ACT_ALLOW) {
		x->syn_does =
			"passed to the kernel's handshake: the source is allowed (no budget, no cookie)";
		x->syn_counter = SG_CNT_syn_allowed;
	} else if (!v->cfg.cookie_active && !over) {
		x->syn_does = "passed to the kernel's handshake: cookie mode is off and the "
			      "source is within its SYN budget";
		x->syn_counter = SG_CNT_syn_passed;
	} else if (!over && v->cfg.learn_s && x->learned) {
		x->syn_does = "passed to the kernel's handshake: a learned source skips cookie "
			      "mode (and is never shed over synack.rate)";
		x->syn_counter = SG_CNT_syn_learned;
	} else if (!over && v->cfg.cookie_active &&
		   v->cfg.budget[SG_BUDGET_synack_cpu].interval_ns) {
		x->syn_does =
			shadow ? "passed to the kernel (shadow mode: counted as a would-be cookie, "
				 "or a would-be shed while the CPU's share of synack.rate is spent)"
			       : "answered with a SYN cookie at XDP while the CPU's share of "
				 "synack.rate lasts; past it the SYN of a source synguard does not "
				 "know is shed first, before any cookie work";
		x->syn_counter = SG_CNT_syn_cookies_sent;
		x->syn_also = SG_CNT_drop_syn_shed;
	} else {
		x->syn_does =
			over ? (shadow ? "passed to the kernel (shadow mode: counted as a would-be cookie): over its SYN budget"
				       : "answered with a SYN cookie at XDP: the source is over its SYN budget "
					 "(it still connects; on a CPU whose sketch has not seen it pass its "
					 "burst, a SYN still goes to the kernel)")
			     : (shadow ? "passed to the kernel (shadow mode: counted as a would-be cookie)"
				       : "answered with a SYN cookie at XDP: cookie mode is on");
		x->syn_counter = SG_CNT_syn_cookies_sent;
		if (over)
			x->syn_also = SG_CNT_syn_ratelimited;
	}
}

static void sg_explain_ack(const struct sg_view *v, struct sg_explain *x)
{
	if (x->port >= 0 && !x->port_protected) {
		x->ack_does = "passed to the kernel untouched: the port is not protected";
		x->ack_counter = SG_CNT_pass_unprotected;
	} else if (x->policy == SG_ACT_DENY) {
		x->ack_does =
			v->cfg.mode == SG_MODE_SHADOW
				? "passed to the kernel (shadow mode: counted as a would-be drop)"
				: "dropped at XDP: the source is denied";
		x->ack_counter = SG_CNT_drop_denied;
	} else if (x->cookie_window) {
		x->ack_does = "of a flow not tracked: checked as a cookie; valid: the kernel "
			      "gets the socket (cookies_accepted); invalid with no kernel "
			      "socket: dropped (cookies_rejected); the kernel's own flow: "
			      "passed (ack_kernel_owned)";
		x->ack_counter = SG_CNT_cookies_accepted;
	} else {
		x->ack_does =
			"of a flow not tracked: passed to the kernel unchecked (cookie checks are off)";
		x->ack_counter = SG_CNT_ack_unchecked;
	}
}

static int sg_explain_read(const struct sg_view *v, struct sg_explain *x)
{
	int (*const reads[])(const struct sg_view *, struct sg_explain *) = {
		sg_explain_port,    sg_explain_policy, sg_explain_budget,
		sg_explain_learned, sg_explain_hitter, sg_explain_conns,
	};

	x->cookie_window = v->cfg.cookie_active || sg_now_ns() < v->cfg.cookie_check_until_ns;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		int ret = reads[i](v, x);

		if (ret)
			return ret;
	}
	sg_explain_syn(v, x);
	sg_explain_ack(v, x);
	return 0;
}

/* ---- output ---------------------------------------------------------------------- */
static const char *sg_explain_policy_name(enum sg_action a)
{
	return a == SG_ACT_DENY ? "deny" : a == SG_ACT_ALLOW ? "allow" : "none";
}

static struct json_object *sg_explain_json(const struct sg_view *v, const struct sg_explain *x)
{
	struct json_object *o = json_object_new_object(), *j, *a;
	char buf[64];

	json_object_object_add(o, "iface", json_object_new_string(v->pins->iface));
	sg_addr_format(buf, sizeof(buf), x->addr.family, x->addr.addr);
	json_object_object_add(o, "address", json_object_new_string(buf));
	json_object_object_add(o, "port", x->port >= 0 ? json_object_new_int(x->port) : NULL);
	json_object_object_add(o, "port_protected",
			       x->port >= 0 ? json_object_new_boolean(x->port_protected) : NULL);
	json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(v->cfg.mode)));
	json_object_object_add(o, "cookie_mode_active",
			       json_object_new_boolean(v->cfg.cookie_active));
	json_object_object_add(o, "cookie_checks", json_object_new_boolean(x->cookie_window));
	j = json_object_new_object();
	json_object_object_add(j, "action",
			       json_object_new_string(sg_explain_policy_name(x->policy)));
	sg_prefix_format(&x->policy_prefix, buf, sizeof(buf));
	json_object_object_add(j, "prefix", x->policy ? json_object_new_string(buf) : NULL);
	json_object_object_add(o, "policy", j);
	j = json_object_new_object();
	json_object_object_add(j, "limited", json_object_new_boolean(x->budget_on));
	sg_prefix_format(&x->budget_src, buf, sizeof(buf));
	json_object_object_add(j, "source", json_object_new_string(buf));
	json_object_object_add(j, "bucket", json_object_new_boolean(x->budget_bucket));
	json_object_object_add(j, "tokens", json_object_new_int64(x->budget_tokens));
	json_object_object_add(j, "burst",
			       json_object_new_int64(v->cfg.budget[SG_BUDGET_syn].burst));
	json_object_object_add(o, "syn_budget", j);
	j = json_object_new_object();
	json_object_object_add(j, "enabled", json_object_new_boolean(v->cfg.learn_s != 0));
	json_object_object_add(j, "learned", json_object_new_boolean(x->learned));
	json_object_object_add(j, "seen_ago_s",
			       x->learned ? json_object_new_double(x->learned_ago_s) : NULL);
	json_object_object_add(o, "learned", j);
	json_object_object_add(o, "top_syns",
			       x->hitter ? json_object_new_int64((int64_t)x->hitter_syns) : NULL);
	j = json_object_new_object();
	json_object_object_add(j, "does", json_object_new_string(x->syn_does));
	json_object_object_add(j, "counter",
			       json_object_new_string(sg_counter_names[x->syn_counter]));
	if (x->syn_also >= 0)
		json_object_object_add(j, "also",
				       json_object_new_string(sg_counter_names[x->syn_also]));
	json_object_object_add(o, "syn", j);
	j = json_object_new_object();
	json_object_object_add(j, "does", json_object_new_string(x->ack_does));
	json_object_object_add(j, "counter",
			       json_object_new_string(sg_counter_names[x->ack_counter]));
	json_object_object_add(o, "ack", j);
	a = json_object_new_array();
	for (size_t i = 0; i < x->nconns; i++) {
		const struct sg_ct_key *k = &x->conns[i].k;

		j = json_object_new_object();
		sg_addr_format(buf, sizeof(buf), k->family, k->laddr);
		json_object_object_add(j, "local", json_object_new_string(buf));
		json_object_object_add(j, "lport", json_object_new_int(k->lport));
		json_object_object_add(j, "rport", json_object_new_int(k->rport));
		json_object_object_add(j, "state",
				       json_object_new_string(sg_state_name(x->conns[i].e.state)));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "tracked", a);
	return o;
}

static void sg_explain_text(const struct sg_view *v, const struct sg_explain *x)
{
	const struct sg_budget_cfg *b = &v->cfg.budget[SG_BUDGET_syn];
	char addr[64], pfx[64];

	sg_addr_format(addr, sizeof(addr), x->addr.family, x->addr.addr);
	printf("%s: source %s", v->pins->iface, addr);
	if (x->port >= 0)
		printf(", to port %d (%s)", x->port,
		       x->port_protected ? "protected" : "not protected");
	printf("\n%-12s %s, cookie mode %s%s\n", "mode:", sg_mode_name(v->cfg.mode),
	       v->cfg.cookie_active ? "on" : "off",
	       !v->cfg.cookie_active && x->cookie_window ? " (cookies still checked)" : "");
	sg_prefix_format(&x->policy_prefix, pfx, sizeof(pfx));
	if (x->policy)
		printf("%-12s %s by %s (synguard %s list)\n",
		       "policy:", x->policy == SG_ACT_DENY ? "denied" : "allowed", pfx,
		       sg_explain_policy_name(x->policy));
	else
		printf("%-12s in neither the allow nor the deny list\n", "policy:");
	sg_prefix_format(&x->budget_src, pfx, sizeof(pfx));
	if (!x->budget_on)
		printf("%-12s unlimited (syn_budget.rate 0)\n", "SYN budget:");
	else if (!x->budget_bucket)
		printf("%-12s %s: no bucket yet, %u of %u tokens (one gets a bucket past its burst or rate in a window)\n",
		       "SYN budget:", pfx, b->burst, b->burst);
	else
		printf("%-12s %s: %u of %u tokens left%s\n", "SYN budget:", pfx, x->budget_tokens,
		       b->burst, x->budget_tokens ? "" : ": over budget, its SYNs get cookies");
	if (!v->cfg.learn_s)
		printf("%-12s off (learn.time 0)\n", "learned:");
	else if (x->learned)
		printf("%-12s yes, %.0f s ago (skips cookie mode for learn.time %u s)\n",
		       "learned:", x->learned_ago_s, v->cfg.learn_s);
	else
		printf("%-12s no\n", "learned:");
	if (x->hitter)
		printf("%-12s %llu SYNs in its last window (synguard top)\n",
		       "top:", (unsigned long long)x->hitter_syns);
	printf("%-12s %s [%s%s%s]\n", "a SYN now:", x->syn_does, sg_counter_names[x->syn_counter],
	       x->syn_also >= 0 ? ", " : "", x->syn_also >= 0 ? sg_counter_names[x->syn_also] : "");
	printf("%-12s %s [%s]\n", "an ACK now:", x->ack_does, sg_counter_names[x->ack_counter]);
	printf("%-12s %zu tracked connection%s from it%s\n", "tracked:", x->nconns,
	       x->nconns == 1 ? "" : "s", x->nconns ? ":" : "");
	for (size_t i = 0; i < x->nconns; i++) {
		const struct sg_ct_key *k = &x->conns[i].k;

		sg_addr_format(pfx, sizeof(pfx), k->family, k->laddr);
		printf("%-12s port %u -> %s:%u %s\n", "", k->rport, pfx, k->lport,
		       sg_state_name(x->conns[i].e.state));
	}
	printf("%-12s synguard events --src %s shows its decisions live\n", "events:", addr);
}

int sg_cmd_explain(struct sg_view *v, const char *target, bool json)
{
	struct sg_explain x = {};
	char err[256];

	if (sg_explain_target(target, &x.addr, &x.port, err, sizeof(err))) {
		sg_err("explain: %s", err);
		return SG_EXIT_USAGE;
	}
	if (sg_explain_read(v, &x)) {
		free(x.conns);
		return SG_EXIT_FAIL;
	}
	if (json) {
		struct json_object *o = sg_explain_json(v, &x);

		sg_json_print(o);
		json_object_put(o);
	} else {
		sg_explain_text(v, &x);
	}
	free(x.conns);
	return SG_EXIT_OK;
}
