// SPDX-License-Identifier: GPL-2.0
/* The settings table and everything it drives: defaults, KEY=VALUE, the INI
 * config file (inih), rules between settings, the pinned maps, help and the
 * sample config. See libsg_settings.h. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libsg_settings.h"
#include "libsg_config.h"
#include "libsg_maps.h"
#include "libsg_listen.h"
#include "libsg_policy.h"
#include "libsg_secrets.h"

/* ---- field access ----------------------------------------------------------- */
static void *sg_field(struct sg_settings *s, const struct sg_setting *st)
{
	return (char *)s + st->off;
}

static const void *sg_cfield(const struct sg_settings *s, const struct sg_setting *st)
{
	return (const char *)s + st->off;
}

static unsigned long long sg_uget(const void *f, unsigned int size)
{
	switch (size) {
	case 1:
		return *(const __u8 *)f;
	case 2:
		return *(const __u16 *)f;
	case 4:
		return *(const __u32 *)f;
	default:
		return *(const __u64 *)f;
	}
}

/* Aligned stores of the field's width: BPF and other readers of a pinned
 * map see the old or the new value, never half of each. */
static void sg_uput(void *f, unsigned int size, unsigned long long v)
{
	switch (size) {
	case 1:
		__atomic_store_n((__u8 *)f, (__u8)v, __ATOMIC_RELAXED);
		break;
	case 2:
		__atomic_store_n((__u16 *)f, (__u16)v, __ATOMIC_RELAXED);
		break;
	case 4:
		__atomic_store_n((__u32 *)f, (__u32)v, __ATOMIC_RELAXED);
		break;
	default:
		__atomic_store_n((__u64 *)f, (__u64)v, __ATOMIC_RELAXED);
		break;
	}
}

/* ---- types ------------------------------------------------------------------- */
static int sg_uint_parse(const struct sg_setting *st, void *f, const char *v, char *err, size_t n)
{
	unsigned long long x = 0;
	const char *p = v;

	for (; *p >= '0' && *p <= '9' && x <= 1ull << 40; p++)
		x = x * 10 + (unsigned long long)(*p - '0');
	if (!*v || *p || x < st->lo || x > st->hi) {
		snprintf(err, n, "'%s' is not a number in %lu..%lu", v, st->lo, st->hi);
		return -EINVAL;
	}
	sg_uput(f, st->size, x);
	return 0;
}

static void sg_uint_format(const struct sg_setting *st, const void *f, char *buf, size_t n)
{
	snprintf(buf, n, "%llu", sg_uget(f, st->size));
}

const struct sg_stype sg_t_uint = { "integer", sg_uint_parse, sg_uint_format, true, NULL };

static int sg_bool_parse(const struct sg_setting *st, void *f, const char *v, char *err, size_t n)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			sg_uput(f, st->size, !strcasecmp(v, yes[i]));
			return 0;
		}
	}
	snprintf(err, n, "'%s' is not yes or no", v);
	return -EINVAL;
}

static void sg_bool_format(const struct sg_setting *st, const void *f, char *buf, size_t n)
{
	snprintf(buf, n, "%s", sg_uget(f, st->size) ? "yes" : "no");
}

const struct sg_stype sg_t_bool = { "yes|no", sg_bool_parse, sg_bool_format, true, NULL };

static void sg_enum_list(const struct sg_setting *st, char *buf, size_t n)
{
	size_t len = 0;
	int k = 0;

	while (st->names[k])
		k++;
	buf[0] = 0;
	for (int i = 0; i < k && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s",
					!i           ? ""
					: i == k - 1 ? " or "
						     : ", ",
					st->names[i]);
}

static int sg_enum_parse(const struct sg_setting *st, void *f, const char *v, char *err, size_t n)
{
	char list[128];

	for (int i = 0; st->names[i]; i++) {
		if (!strcasecmp(v, st->names[i])) {
			sg_uput(f, st->size, (unsigned long long)i);
			return 0;
		}
	}
	sg_enum_list(st, list, sizeof(list));
	snprintf(err, n, "'%s' is not %s", v, list);
	return -EINVAL;
}

static void sg_enum_format(const struct sg_setting *st, const void *f, char *buf, size_t n)
{
	unsigned long long v = sg_uget(f, st->size);

	for (unsigned long long i = 0; st->names[i]; i++)
		if (i == v) {
			snprintf(buf, n, "%s", st->names[i]);
			return;
		}
	snprintf(buf, n, "?");
}

const struct sg_stype sg_t_enum = { "name", sg_enum_parse, sg_enum_format, false, NULL };

static int sg_string_parse(const struct sg_setting *st, void *f, const char *v, char *err, size_t n)
{
	size_t len = strlen(v);

	if (len >= st->size) {
		snprintf(err, n, "'%.40s...' is longer than %u characters", v, st->size - 1);
		return -EINVAL;
	}
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\') {
			snprintf(err, n, "'%s' has a quote, backslash or control character", v);
			return -EINVAL;
		}
	}
	memset(f, 0, st->size);
	memcpy(f, v, len);
	return 0;
}

static void sg_string_format(const struct sg_setting *st, const void *f, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)st->size, (const char *)f);
}

const struct sg_stype sg_t_string = { "text", sg_string_parse, sg_string_format, false, NULL };

static int sg_portlist_parse(const struct sg_setting *st, void *f, const char *v, char *err,
			     size_t n)
{
	(void)st;
	return sg_ports_parse_err(v, f, err, n);
}

static void sg_portlist_format(const struct sg_setting *st, const void *f, char *buf, size_t n)
{
	const struct sg_portset *ps = f;
	char *s;

	(void)st;
	if (ps->all) {
		snprintf(buf, n, "all");
		return;
	}
	s = sg_portset_format(ps);
	snprintf(buf, n, "%s", s ? s : "?");
	free(s);
}

const struct sg_stype sg_t_ports = { "ports and ranges (80,443,8000-8099) or all",
				     sg_portlist_parse, sg_portlist_format, false, NULL };

/* A rate per second, kept as the interval between two events (0: no
 * limit): the data path then needs no division. */
static int sg_rate_parse(const struct sg_setting *st, void *f, const char *v, char *err, size_t n)
{
	struct sg_setting u = *st;
	__u64 rate;

	u.size = sizeof(rate);
	if (sg_uint_parse(&u, &rate, v, err, n))
		return -EINVAL;
	sg_uput(f, st->size, rate ? SG_NS / rate : 0);
	return 0;
}

static void sg_rate_format(const struct sg_setting *st, const void *f, char *buf, size_t n)
{
	unsigned long long t = sg_uget(f, st->size);

	snprintf(buf, n, "%llu", t ? SG_NS / t : 0);
}

const struct sg_stype sg_t_rate = { "integer", sg_rate_parse, sg_rate_format, true, NULL };

/* ---- checks, computed defaults, side effects ----------------------------------- */
static int sg_check_metrics(const struct sg_settings *s, char *err, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return sg_metrics_addr(s->d.metrics, &ss, &len, err, n) < 0 ? -EINVAL : 0;
}

static int sg_check_secret_file(const struct sg_settings *s, char *err, size_t n)
{
	struct sg_secret k;

	if (!s->d.secret_file[0])
		return 0;
	return sg_secret_file_load(s->d.secret_file, &k, err, n);
}

static unsigned long sg_def_syn_sent(const struct sg_sysctls *sy)
{
	int r = sy->syn_retries < 0 ? 0 : sy->syn_retries > 20 ? 20 : sy->syn_retries;

	return (1ul << (r + 1)) - 1;
}

static unsigned long sg_def_syn_rcvd(const struct sg_sysctls *sy)
{
	int r = sy->synack_retries < 0 ? 0 : sy->synack_retries > 20 ? 20 : sy->synack_retries;

	return (1ul << (r + 1)) - 1;
}

static unsigned long sg_def_fin_wait_2(const struct sg_sysctls *sy)
{
	return sy->fin_timeout > 0 ? (unsigned long)sy->fin_timeout : 60;
}

void sg_config_cookies(struct sg_config *c, bool on, __u64 now_ns, __u64 period_ns)
{
	/* a cookie lives at most two periods and the slack (struct
	 * sg_secret_state): check them that long after */
	if (!on && c->cookie_active)
		__atomic_store_n(&c->cookie_check_until_ns,
				 now_ns + 2 * period_ns + SG_SECRET_SLACK_NS, __ATOMIC_RELAXED);
	__atomic_store_n(&c->cookie_active, (__u32)on, __ATOMIC_RELAXED);
}

void sg_config_mode(struct sg_config *c, unsigned int mode, __u64 now_ns, __u64 period_ns)
{
	if (mode == SG_MODE_ON || mode == SG_MODE_OFF)
		sg_config_cookies(c, mode == SG_MODE_ON, now_ns, period_ns);
	__atomic_store_n(&c->mode, (__u32)mode, __ATOMIC_RELAXED);
}

static int sg_apply_mode(const struct sg_pins *p, const struct sg_settings *old,
			 const struct sg_settings *new)
{
	(void)old;
	sg_config_mode(p->cfg, new->cfg.mode, sg_now_ns(), (__u64) new->d.secret_period_s *SG_NS);
	return 0;
}

/* "all" is a flag beside the map: the map holds the listeners then. */
static int sg_load_ports(const struct sg_pins *p, struct sg_settings *s)
{
	static __u16 slots[65536];
	int ret;

	memset(&s->ports, 0, sizeof(s->ports));
	s->ports.all = p->dpage->set.ports_all;
	if (s->ports.all)
		return 0;
	ret = sg_ports_read(p->ports_fd, slots);
	if (ret)
		return ret;
	for (unsigned int port = 1; port < 65536; port++)
		if (slots[port])
			sg_ports_add(&s->ports, port);
	return 0;
}

/* New slots for the ports ("all": the listeners now, synguardd follows
 * them each second); a slot that now counts another port starts from
 * zero, so no port is credited with another's counts. */
static int sg_apply_ports(const struct sg_pins *p, const struct sg_settings *old,
			  const struct sg_settings *new)
{
	static __u16 was[65536], now[65536];
	static __u32 first_was[SG_PORT_SLOTS], first_now[SG_PORT_SLOTS];
	static struct sg_portset listening;
	int ncpu = libbpf_num_possible_cpus();
	struct sg_port_counters *zero;
	int ret;

	(void)old;
	ret = sg_ports_read(p->ports_fd, was);
	if (ret)
		return ret;
	/* sg_listen_ports said why in one line but keeps its errno */
	if (new->ports.all && sg_listen_ports(&listening))
		return -EIO;
	sg_ports_slots(&new->ports, &listening, now);
	memset(first_was, 0, sizeof(first_was));
	memset(first_now, 0, sizeof(first_now));
	for (__u32 port = 65535; port >= 1; port--) {
		first_was[was[port]] = port;
		first_now[now[port]] = port;
	}
	/* the daemon writes the map while the flag is set: clear it first */
	if (!new->ports.all)
		p->dpage->set.ports_all = 0;
	ret = sg_ports_write(p->ports_fd, now);
	if (ret)
		return ret;
	p->dpage->set.ports_all = new->ports.all;
	zero = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (__u32 slot = 1; slot < SG_PORT_SLOTS; slot++)
		if (first_was[slot] != first_now[slot] &&
		    bpf_map_update_elem(p->pcounters_fd, &slot, zero, BPF_ANY))
			sg_err("cannot clear the counters of port slot %u: %s", slot,
			       strerror(errno));
	free(zero);
	return 0;
}

/* ---- allow.prefixes and deny.prefixes: lists of the policy module ------------- */
/* "a, b c": every prefix of v added to l. */
static int sg_plist_append(const struct sg_setting *st, void *f, const char *v, char *err, size_t n)
{
	struct sg_plist *l = f;
	char buf[128];

	(void)st;
	while (*v) {
		size_t len = strcspn(v, ", \t");
		struct sg_src_key p;

		if (!len) {
			v++;
			continue;
		}
		snprintf(buf, sizeof(buf), "%.*s",
			 (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), v);
		if (!strcmp(buf, "none")) {
			v += len;
			continue;
		}
		if (sg_prefix_parse(buf, &p, err, n))
			return -EINVAL;
		if (sg_plist_add(l, &p) < 0) {
			snprintf(err, n, "more than %d prefixes", SG_PLIST_MAX);
			return -EINVAL;
		}
		v += len;
	}
	return 0;
}

static int sg_plist_parse(const struct sg_setting *st, void *f, const char *v, char *err, size_t n)
{
	memset(f, 0, sizeof(struct sg_plist));
	return sg_plist_append(st, f, v, err, n);
}

/* Every prefix while they fit the line, else how many. */
static void sg_plist_format(const struct sg_setting *st, const void *f, char *buf, size_t n)
{
	const struct sg_plist *l = f;
	size_t len = 0;

	buf[0] = 0;
	for (__u32 i = 0; i < l->n; i++) {
		char p[64];

		sg_prefix_format(&l->p[i], p, sizeof(p));
		if (len + strlen(p) + 3 >= n || len + strlen(p) > 200) {
			snprintf(buf, n, "%u prefixes (synguard %.*s list)", l->n,
				 (int)strcspn(st->key, "."), st->key);
			return;
		}
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", p);
	}
}

const struct sg_stype sg_t_prefixes = {
	"prefixes (198.18.0.0/15, 2001:db8::/32), comma-separated; repeat the key for more",
	sg_plist_parse,
	sg_plist_format,
	false,
	sg_plist_append,
};

int sg_policy_check(const struct sg_settings *s, char *err, size_t n)
{
	for (__u32 i = 0; i < s->allow.n; i++) {
		char p[64];

		if (!sg_plist_has(&s->deny, &s->allow.p[i]))
			continue;
		sg_prefix_format(&s->allow.p[i], p, sizeof(p));
		snprintf(err, n, "%s is in both allow.prefixes and deny.prefixes", p);
		return -EINVAL;
	}
	return 0;
}

int sg_policy_load(const struct sg_pins *p, struct sg_settings *s)
{
	return sg_policy_read(p->policy_fd, &s->allow, &s->deny);
}

int sg_policy_apply(const struct sg_pins *p, const struct sg_settings *old,
		    const struct sg_settings *new)
{
	__u32 flags;
	int ret;

	(void)old;
	ret = sg_policy_write(p->policy_fd, p->policy_bits_fd, &new->allow, &new->deny, &flags);
	if (ret)
		return ret;
	__atomic_store_n(&p->cfg->policy, flags, __ATOMIC_RELAXED);
	return 0;
}

/* ---- what status shows beside a setting ------------------------------------------ */
static void sg_beside_syn_rate(const struct sg_setting *st, const struct sg_live *l, char *buf,
			       size_t n)
{
	(void)st;
	if (l->st)
		snprintf(buf, n, "now %llu SYN/s", (unsigned long long)l->st->syn_rate);
	else
		snprintf(buf, n, "now ? (no daemon sample)");
}

static void sg_beside_state(const struct sg_setting *st, const struct sg_live *l, char *buf,
			    size_t n)
{
	const char *dot = strchr(st->key, '.');
	int state = dot ? sg_state_parse(dot + 1) : -1;

	/* auto.synrcvd_*: the SYN_RCVD gauge; timeout.STATE: that state's */
	if (state < 0)
		state = SG_SYN_RCVD;
	if (l->walk)
		snprintf(buf, n, "now %llu %s", (unsigned long long)l->walk->states[state],
			 sg_state_names[state]);
}

static void sg_beside_tw(const struct sg_setting *st, const struct sg_live *l, char *buf, size_t n)
{
	const struct sg_tw_limits *t = &l->tw;

	(void)st;
	if (!l->walk || !t->max_buckets || !t->port_range)
		return;
	snprintf(
		buf, n,
		"now TIME_WAIT %llu = %llu%% of tcp_max_tw_buckets, %llu on ephemeral ports = %llu%% of the range",
		(unsigned long long)l->walk->states[SG_TIME_WAIT],
		(unsigned long long)(l->walk->states[SG_TIME_WAIT] * 100 / t->max_buckets),
		(unsigned long long)l->walk->tw_ephemeral,
		(unsigned long long)(l->walk->tw_ephemeral * 100 / t->port_range));
}

static void sg_beside_secret(const struct sg_setting *st, const struct sg_live *l, char *buf,
			     size_t n)
{
	const struct sg_secret_state *ss = l->secrets;

	(void)st;
	if (!ss || !ss->rotated_ns || ss->rotated_ns > l->now_ns)
		return;
	snprintf(buf, n, "current secret %llus old",
		 (unsigned long long)((l->now_ns - ss->rotated_ns) / SG_NS));
}

/* ---- the table ------------------------------------------------------------------- */
/* by enum sg_mode */
static const char *const sg_mode_names_tab[] = { "off", "on", "auto", "shadow", NULL };
static const char *const sg_track_names[] = { "protected", "all", NULL };

const char *sg_mode_name(unsigned int mode)
{
	return mode <= SG_MODE_SHADOW ? sg_mode_names_tab[mode] : "?";
}

#define SG_FIELD(f) \
	.off = offsetof(struct sg_settings, f), .size = sizeof(((struct sg_settings *)0)->f)
#define SG_CFG(f) .store = SG_STORE_CONFIG, SG_FIELD(cfg.f)
#define SG_DMN(f) .store = SG_STORE_DAEMON, SG_FIELD(d.f)
#define SG_UINT(lo_, hi_) .type = &sg_t_uint, .lo = (lo_), .hi = (hi_)
#define SG_TIMEOUT(st_)                                                                       \
	.type = &sg_t_uint, SG_CFG(timeout_s[SG_##st_]), .lo = 1, .hi = 4000000, .unit = "s", \
	.beside = sg_beside_state

/* One setting a line, however long its help: clang-format would spread
 * each over ten lines. */
/* clang-format off */
const struct sg_setting sg_settings_table[] = {
	{ .key = "mode", .type = &sg_t_enum, SG_CFG(mode), .names = sg_mode_names_tab, .def = "auto", .apply = sg_apply_mode, .help = "cookie mode: auto switches by load (the auto.* thresholds), on always answers SYNs to protected ports with cookies, off never; shadow decides as auto would but drops and answers nothing, counting what it would have done" },
	{ .key = "ports", .type = &sg_t_ports, .store = SG_STORE_PORTS, SG_FIELD(ports), .def = "all", .load = sg_load_ports, .apply = sg_apply_ports, .help = "protected ports and ranges, e.g. 80,443,8000-8099, or all: the ports with a local TCP listener, followed every second; the first 1022 listed get counters of their own; never list a forwarded or NATed destination" },
	{ .key = "track", .type = &sg_t_enum, SG_CFG(track_all), .names = sg_track_names, .def = "all", .help = "which TCP connections the tracker follows: all, or those of protected ports" },
	{ .key = "drop_oow_rst", .type = &sg_t_bool, SG_CFG(drop_oow_rst), .def = "no", .help = "drop out-of-window RSTs at XDP (they are always counted)" },
	{ .key = "ack_budget.rate", .type = &sg_t_rate, SG_CFG(budget[SG_BUDGET_cookie].interval_ns), .lo = 0, .hi = 1000000, .def = "10", .unit = "per second", .help = "failed cookie checks a source prefix may make a second, past its burst (0: unlimited); within it blind guessing (2^-23 a try) runs at this rate; past it failures drop (cookies_over_budget) and a cookie counts only with the timestamp echo (2^-31 a try), a valid one without timestamps is refused (cookies_budget_refused); while a prefix has less than half its burst left its SYNs go to the kernel's handshake (syn_cookie_budget)" },
	{ .key = "ack_budget.burst", SG_UINT(1, 1000000), SG_CFG(budget[SG_BUDGET_cookie].burst), .def = "100", .unit = "checks", .help = "failed cookie checks a source prefix may make at once" },
	{ .key = "ack_budget.prefix4", SG_UINT(1, 32), SG_CFG(budget[SG_BUDGET_cookie].prefix4), .def = "32", .unit = "bits", .help = "IPv4 sources in one prefix this long share a cookie budget" },
	{ .key = "ack_budget.prefix6", SG_UINT(1, 128), SG_CFG(budget[SG_BUDGET_cookie].prefix6), .def = "64", .unit = "bits", .help = "IPv6 sources in one prefix this long share a cookie budget" },
	{ .key = "syn_budget.rate", .type = &sg_t_rate, SG_CFG(budget[SG_BUDGET_syn].interval_ns), .lo = 0, .hi = 10000000, .def = "0", .unit = "per second", .help = "SYNs a source prefix may hand the kernel's handshake a second past its burst, in every mode (0: unlimited); over it they get cookies instead (syn_ratelimited), also with cookie mode off. A source gets an exact bucket only once the sketch saw it send its burst or its rate in a window (~1 s)" },
	{ .key = "syn_budget.burst", SG_UINT(1, 10000000), SG_CFG(budget[SG_BUDGET_syn].burst), .def = "50", .unit = "SYNs", .help = "SYNs a source prefix may send at once" },
	{ .key = "syn_budget.prefix4", SG_UINT(1, 32), SG_CFG(budget[SG_BUDGET_syn].prefix4), .def = "32", .unit = "bits", .help = "IPv4 sources in one prefix this long are one source: for the SYN budget, the SYN-ACK destination cap and synguard top" },
	{ .key = "syn_budget.prefix6", SG_UINT(1, 128), SG_CFG(budget[SG_BUDGET_syn].prefix6), .def = "64", .unit = "bits", .help = "IPv6 sources in one prefix this long are one source (as syn_budget.prefix4)" },
	{ .key = "synack.rate", .type = &sg_t_rate, SG_CFG(budget[SG_BUDGET_synack_cpu].interval_ns), .lo = 0, .hi = 100000000, .def = "0", .unit = "per second", .help = "cookie SYN-ACKs sent a second in all (0: no cap), shared evenly by the CPUs; over it the SYN is dropped: a source synguard does not know (not listed, learned or tracked) before any cookie work (drop_syn_shed), others at the cap (drop_synack_global)" },
	{ .key = "synack.burst", SG_UINT(1, 100000000), SG_CFG(budget[SG_BUDGET_synack_cpu].burst), .def = "10000", .unit = "SYN-ACKs", .help = "cookie SYN-ACKs each CPU may send at once past synack.rate" },
	{ .key = "synack.dest_rate", .type = &sg_t_rate, SG_CFG(budget[SG_BUDGET_synack].interval_ns), .lo = 0, .hi = 10000000, .def = "0", .unit = "per second", .help = "cookie SYN-ACKs a destination prefix (syn_budget.prefix4/6) may get a second (0: no cap), so spoofed SYNs cannot aim synguard at a victim; over it the SYN is dropped (drop_synack_dest)" },
	{ .key = "synack.dest_burst", SG_UINT(1, 10000000), SG_CFG(budget[SG_BUDGET_synack].burst), .def = "100", .unit = "SYN-ACKs", .help = "cookie SYN-ACKs a destination prefix may get at once" },
	{ .key = "learn.time", SG_UINT(0, 2592000), SG_CFG(learn_s), .def = "0", .unit = "s", .help = "a source that completed a cookie handshake or an ESTABLISHED connection skips cookie mode this long after (its SYNs go to the kernel: syn_learned); 0: no learning" },
	{ .key = "learn.prefix4", SG_UINT(1, 32), SG_CFG(learn_prefix4), .def = "32", .unit = "bits", .help = "IPv4 addresses in one prefix this long are learned together: one handshake lets them all skip cookie mode (default: the address alone)" },
	{ .key = "learn.prefix6", SG_UINT(1, 128), SG_CFG(learn_prefix6), .def = "128", .unit = "bits", .help = "IPv6 addresses in one prefix this long are learned together (default: the address alone; 64 learns a client's whole /64, which any host in it may then use)" },
	{ .key = "top.threshold", SG_UINT(0, 10000000), SG_CFG(top_threshold), .def = "0", .unit = "SYNs a window", .help = "a source prefix that sends this many SYNs in a window (~1 s, per CPU) is recorded for synguard top; 0: none" },
	{ .key = "events.rate", .type = &sg_t_rate, SG_CFG(budget[SG_BUDGET_events_cpu].interval_ns), .lo = 0, .hi = 10000000, .def = "1000", .unit = "per second", .help = "decisions sampled a second for synguard events while it runs, shared by the CPUs (0: every one)" },
	{ .key = "events.burst", SG_UINT(1, 10000000), SG_CFG(budget[SG_BUDGET_events_cpu].burst), .def = "100", .unit = "events", .help = "decisions each CPU may sample at once past events.rate" },
	{ .key = "allow.prefixes", .type = &sg_t_prefixes, .store = SG_STORE_POLICY, SG_FIELD(allow), .def = "", .load = sg_policy_load, .apply = sg_policy_apply, .help = "SYNs from these prefixes skip the SYN budget and cookie mode (syn_allowed); also synguard allow add|del" },
	{ .key = "deny.prefixes", .type = &sg_t_prefixes, .store = SG_STORE_POLICY, SG_FIELD(deny), .def = "", .load = sg_policy_load, .apply = sg_policy_apply, .help = "every TCP segment from these prefixes to a protected port is dropped at XDP, established connections too (drop_denied), and every IP fragment from them, to any port; also synguard deny add|del" },
	{ .key = "keep_attached", .type = &sg_t_bool, SG_DMN(keep_attached), .def = "no", .help = "on SIGTERM leave the programs attached and pinned (upgrades: the next synguardd takes over)" },
	{ .key = "ct_size", SG_UINT(1024, 1ul << 26), SG_DMN(ct_size), .when = SG_START, .def = "131072", .unit = "connections", .help = "size of the synchronized table (the embryonic one gets a quarter, at least 1024); fixed once pinned" },
	{ .key = "metrics", .type = &sg_t_string, SG_DMN(metrics), .when = SG_RELOAD, .def = "127.0.0.1:9810", .unit = "ADDR:PORT or off", .check = sg_check_metrics, .help = "Prometheus metrics over HTTP at ADDR:PORT ([ADDR]:PORT for IPv6), or off" },
	{ .key = "metrics.sources", .type = &sg_t_bool, SG_DMN(metrics_sources), .def = "no", .help = "the metrics name source prefixes (synguard_hitter_syns): anyone who can scrape then learns who connects; synguard top shows them either way" },
	{ .key = "auto.syn_rate_high", SG_UINT(1, 1000000000), SG_DMN(syn_rate_high), .def = "10000", .unit = "SYN/s", .beside = sg_beside_syn_rate, .help = "auto: cookie mode on when SYNs to protected ports reach this rate" },
	{ .key = "auto.syn_rate_low", SG_UINT(0, 1000000000), SG_DMN(syn_rate_low), .def = "2000", .unit = "SYN/s", .beside = sg_beside_syn_rate, .help = "auto: cookie mode may go off once the SYN rate stays under this" },
	{ .key = "auto.synrcvd_high", SG_UINT(1, 1000000000), SG_DMN(synrcvd_high), .def = "2000", .unit = "connections", .beside = sg_beside_state, .help = "auto: cookie mode on when this many tracked connections are in SYN_RCVD" },
	{ .key = "auto.synrcvd_low", SG_UINT(0, 1000000000), SG_DMN(synrcvd_low), .def = "200", .unit = "connections", .beside = sg_beside_state, .help = "auto: cookie mode may go off once SYN_RCVD stays under this" },
	{ .key = "auto.hold", SG_UINT(1, 86400), SG_DMN(hold_s), .def = "30", .unit = "s", .help = "auto: cookie mode goes off after both stayed under their low thresholds this long" },
	{ .key = "secret.period", SG_UINT(1, 86400), SG_DMN(secret_period_s), .def = "60", .unit = "s", .beside = sg_beside_secret, .help = "cookie secret rotation period; a cookie is accepted for one to two periods" },
	{ .key = "secret.file", .type = &sg_t_string, SG_DMN(secret_file), .when = SG_RELOAD, .def = "", .unit = "absolute path", .check = sg_check_secret_file, .help = "master key file (32 hex digits, mode 0600): secrets derive from it and the wall clock, so hosts sharing it accept each other's cookies; empty: random secrets" },
	{ .key = "time_wait.warn", SG_UINT(1, 100), SG_DMN(tw_warn_pct), .def = "80", .unit = "%", .beside = sg_beside_tw, .help = "warn when TIME_WAIT reaches this share of net.ipv4.tcp_max_tw_buckets, or TIME_WAIT on ephemeral ports this share of net.ipv4.ip_local_port_range" },
	{ .key = "timeout.SYN_SENT", SG_TIMEOUT(SYN_SENT), .compute = sg_def_syn_sent, .def_note = "2^(net.ipv4.tcp_syn_retries + 1) - 1", .help = "idle timeout of a connection in SYN_SENT (the kernel's last SYN retry)" },
	{ .key = "timeout.SYN_RCVD", SG_TIMEOUT(SYN_RCVD), .compute = sg_def_syn_rcvd, .def_note = "2^(net.ipv4.tcp_synack_retries + 1) - 1", .help = "idle timeout of a connection in SYN_RCVD (the kernel's last SYN-ACK retry)" },
	{ .key = "timeout.ESTABLISHED", SG_TIMEOUT(ESTABLISHED), .def = "432000", .help = "idle timeout of an ESTABLISHED connection (5 days)" },
	{ .key = "timeout.FIN_WAIT_1", SG_TIMEOUT(FIN_WAIT_1), .def = "120", .help = "idle timeout of a connection in FIN_WAIT_1" },
	{ .key = "timeout.FIN_WAIT_2", SG_TIMEOUT(FIN_WAIT_2), .compute = sg_def_fin_wait_2, .def_note = "net.ipv4.tcp_fin_timeout", .help = "idle timeout of a connection in FIN_WAIT_2" },
	{ .key = "timeout.CLOSE_WAIT", SG_TIMEOUT(CLOSE_WAIT), .def = "432000", .help = "idle timeout of a connection in CLOSE_WAIT" },
	{ .key = "timeout.CLOSING", SG_TIMEOUT(CLOSING), .def = "120", .help = "idle timeout of a connection in CLOSING" },
	{ .key = "timeout.LAST_ACK", SG_TIMEOUT(LAST_ACK), .def = "120", .help = "idle timeout of a connection in LAST_ACK" },
	{ .key = "timeout.TIME_WAIT", SG_TIMEOUT(TIME_WAIT), .def = "60", .help = "idle timeout of a connection in TIME_WAIT (Linux keeps TIME_WAIT 60 s)" },
	{ .key = "timeout.CLOSED", SG_TIMEOUT(CLOSED), .def = "10", .help = "how long a closed connection stays listed" },
};
/* clang-format on */

const unsigned int sg_settings_count = sizeof(sg_settings_table) / sizeof(sg_settings_table[0]);
_Static_assert(sizeof(sg_settings_table) / sizeof(sg_settings_table[0]) <= SG_SETTINGS_MAX,
	       "grow SG_SETTINGS_MAX");

/* Pairs of settings where the first must not exceed the second. */
static const struct {
	const char *lo, *hi;
} sg_settings_order[] = {
	{ "auto.syn_rate_low", "auto.syn_rate_high" },
	{ "auto.synrcvd_low", "auto.synrcvd_high" },
};

/* ---- the operations ---------------------------------------------------------------- */
static unsigned int sg_setting_index(const struct sg_setting *st)
{
	return (unsigned int)(st - sg_settings_table);
}

const struct sg_setting *sg_setting_find(const char *key)
{
	sg_settings_for_each(st) if (!strcasecmp(st->key, key)) return st;
	/* state names are accepted in any case, as everywhere */
	if (!strncasecmp(key, "timeout.", 8)) {
		int state = sg_state_parse(key + 8);
		char k[32];

		if (state >= 0) {
			snprintf(k, sizeof(k), "timeout.%s", sg_state_names[state]);
			return sg_setting_find(k);
		}
	}
	return NULL;
}

const char *sg_when_name(enum sg_when w)
{
	return w == SG_LIVE ? "live" : w == SG_RELOAD ? "reload" : "start";
}

/* "# " comment lines of at most 78 columns */
static void sg_comment(FILE *f, const char *text)
{
	while (*text) {
		int len = (int)strlen(text), cut = len;

		if (len > 76) {
			cut = 76;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (!cut)
				cut = 76;
		}
		fprintf(f, "# %.*s\n", cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

static void sg_setting_default(struct sg_settings *s, const struct sg_setting *st,
			       const struct sg_sysctls *sy)
{
	char err[160];

	if (st->compute)
		sg_uput(sg_field(s, st), st->size, st->compute(sy));
	else if (st->type->parse(st, sg_field(s, st), st->def ? st->def : "", err, sizeof(err)))
		sg_err("BUG: default of %s: %s", st->key, err);
}

void sg_settings_defaults(struct sg_settings *s, const struct sg_sysctls *sy)
{
	memset(s, 0, sizeof(*s));
	sg_settings_for_each(st) sg_setting_default(s, st, sy);
}

void sg_config_defaults(struct sg_config *c, const struct sg_sysctls *sy)
{
	static struct sg_settings s;

	sg_settings_defaults(&s, sy);
	sg_settings_for_each(st) if (st->store == SG_STORE_CONFIG)
		memcpy((char *)c + (st->off - offsetof(struct sg_settings, cfg)), sg_cfield(&s, st),
		       st->size);
}

/* One value into one setting, its own check included. */
static int sg_setting_parse(struct sg_settings *s, const struct sg_setting *st, const char *val,
			    const struct sg_sysctls *sy, char *err, size_t n)
{
	char why[200];

	if (!strcmp(val, "default")) {
		sg_setting_default(s, st, sy);
		return 0;
	}
	if (st->type->parse(st, sg_field(s, st), val, why, sizeof(why)) ||
	    (st->check && st->check(s, why, sizeof(why)))) {
		snprintf(err, n, "%s: %s%s", st->key, why,
			 strstr(val, " #") ? " (a comment after a value starts with \" ;\")" : "");
		return -EINVAL;
	}
	return 0;
}

static const struct sg_sysctls *sg_sysctls_host(void)
{
	static struct sg_sysctls sy;
	static bool have;

	if (!have) {
		sg_read_sysctls(&sy);
		have = true;
	}
	return &sy;
}

int sg_settings_kv(struct sg_settings *s, struct sg_given *g, int origin, const char *kv, char *err,
		   size_t n)
{
	const char *eq = strchr(kv, '=');
	const struct sg_setting *st;
	char key[64];

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		snprintf(err, n, "'%s' is not KEY=VALUE (see synguard help set)", kv);
		return -EINVAL;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = 0;
	st = sg_setting_find(key);
	if (!st) {
		snprintf(err, n, "unknown setting '%s' (synguard help set lists them)", key);
		return -EINVAL;
	}
	if (sg_setting_parse(s, st, eq + 1, sg_sysctls_host(), err, n))
		return -EINVAL;
	if (g)
		g->line[sg_setting_index(st)] = origin;
	return 0;
}

int sg_config_set(struct sg_config *c, const char *kv, __u64 period_ns)
{
	static struct sg_settings s;
	const char *eq = strchr(kv, '=');
	const struct sg_setting *st;
	char err[256], key[64];

	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - kv) : 0, kv);
	st = sg_setting_find(key);
	if (st && st->store != SG_STORE_CONFIG) {
		sg_err("%s is not a setting of the BPF config", key);
		return -EINVAL;
	}
	memset(&s, 0, sizeof(s));
	s.cfg = *c;
	if (sg_settings_kv(&s, NULL, 0, kv, err, sizeof(err))) {
		sg_err("%s", err);
		return -EINVAL;
	}
	if (st->apply == sg_apply_mode) {
		__u32 mode = s.cfg.mode;

		s.cfg.mode = c->mode;
		sg_config_mode(&s.cfg, mode, sg_now_ns(), period_ns);
	}
	*c = s.cfg;
	return 0;
}

/* ---- the config file ------------------------------------------------------------------ */
struct sg_ini {
	struct sg_settings *s;
	struct sg_given *g;
	FILE *f;
	int line, next_line; /* line being parsed; the next one         */
	bool indented;       /* it starts with a blank: a continuation  */
	bool too_long;
	int err_line; /* first error of ours, and why            */
	char err[240];
};

static void sg_ini_fail(struct sg_ini *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sg_ini_fail(struct sg_ini *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line)
		return;
	c->err_line = c->line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* fgets for inih that knows which line inih is on. */
static char *sg_ini_reader(char *str, int num, void *stream)
{
	struct sg_ini *c = stream;
	char *r = fgets(str, num, c->f);
	size_t len;
	int ch;

	c->line = c->next_line;
	if (!r)
		return NULL;
	c->indented = *r == ' ' || *r == '\t';
	c->too_long = false;
	len = strlen(r);
	if (len && r[len - 1] == '\n') {
		c->next_line++;
		return r;
	}
	if (feof(c->f))
		return r;
	/* inih would take the rest as a line of its own: skip it */
	c->too_long = true;
	sg_ini_fail(c, "line longer than %d characters", num - 2);
	while ((ch = fgetc(c->f)) != EOF && ch != '\n')
		;
	c->next_line++;
	return r;
}

static int sg_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	struct sg_ini *c = user;
	const struct sg_setting *st;
	char key[128], err[240];
	unsigned int i;

	if (c->too_long)
		return 1;
	if (section[0])
		snprintf(key, sizeof(key), "%s.%s", section, name);
	else
		snprintf(key, sizeof(key), "%s", name);
	st = sg_setting_find(key);
	if (!st) {
		sg_ini_fail(c, "unknown setting '%s'%s (synguard help set lists them)", key,
			    section[0] ? "" : " outside a [section]");
		return 0;
	}
	i = sg_setting_index(st);
	if (c->indented) {
		sg_ini_fail(c, "an indented line continues the value of %s: remove the indentation",
			    key);
		return 0;
	}
	if (c->g->line[i] > 0 && !st->type->append) {
		sg_ini_fail(c, "%s set twice (first on line %d)", key, c->g->line[i]);
		return 0;
	}
	/* a list given again goes on */
	if (c->g->line[i] > 0
		    ? st->type->append(st, sg_field(c->s, st), value, err, sizeof(err))
		    : sg_setting_parse(c->s, st, value, sg_sysctls_host(), err, sizeof(err))) {
		sg_ini_fail(c, "%s%s%s", c->g->line[i] > 0 ? st->key : "",
			    c->g->line[i] > 0 ? ": " : "", err);
		return 0;
	}
	c->g->line[i] = c->line;
	return 1;
}

int sg_settings_file(struct sg_settings *s, struct sg_given *g, const char *path, char *err,
		     size_t n)
{
	struct sg_ini c = { .s = s, .g = g, .next_line = 1 };
	int r;

	c.f = fopen(path, "re");
	if (!c.f) {
		r = -errno;
		snprintf(err, n, "cannot read the config file %s: %s", path, strerror(-r));
		return r;
	}
	g->file = path;
	r = ini_parse_stream(sg_ini_reader, &c, sg_ini_handler, &c);
	fclose(c.f);
	if (r < 0) {
		snprintf(err, n, "cannot parse the config file %s: out of memory", path);
		return -ENOMEM;
	}
	if (c.err_line && (!r || c.err_line <= r)) {
		snprintf(err, n, "%s:%d: %s", path, c.err_line, c.err);
		return -EINVAL;
	}
	if (r) {
		snprintf(err, n, "%s:%d: not KEY = VALUE, a [section] or a comment", path, r);
		return -EINVAL;
	}
	return 0;
}

int sg_settings_check(const struct sg_settings *s, const struct sg_given *g, char *err, size_t n)
{
	char why[200];

	if (sg_policy_check(s, why, sizeof(why))) {
		int la = g ? g->line[sg_setting_index(sg_setting_find("allow.prefixes"))] : 0;
		int ld = g ? g->line[sg_setting_index(sg_setting_find("deny.prefixes"))] : 0;

		if (g && g->file && (la > 0 || ld > 0))
			snprintf(err, n, "%s:%d: %s", g->file, la > ld ? la : ld, why);
		else
			snprintf(err, n, "%s", why);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(sg_settings_order) / sizeof(sg_settings_order[0]); i++) {
		const struct sg_setting *lo = sg_setting_find(sg_settings_order[i].lo);
		const struct sg_setting *hi = sg_setting_find(sg_settings_order[i].hi);
		unsigned long long a = sg_uget(sg_cfield(s, lo), lo->size);
		unsigned long long b = sg_uget(sg_cfield(s, hi), hi->size);
		int la = g ? g->line[sg_setting_index(lo)] : 0;
		int lb = g ? g->line[sg_setting_index(hi)] : 0;
		char where[PATH_MAX + 16] = "";

		if (a <= b)
			continue;
		if (g && g->file && (la > 0 || lb > 0))
			snprintf(where, sizeof(where), "%s:%d: ", g->file, la > lb ? la : lb);
		snprintf(err, n, "%s%s (%llu) must not exceed %s (%llu)", where, lo->key, a,
			 hi->key, b);
		return -EINVAL;
	}
	return 0;
}

void sg_settings_merge(struct sg_settings *dst, const struct sg_settings *src,
		       const struct sg_given *g)
{
	sg_settings_for_each(st) if (g->line[sg_setting_index(st)])
		memcpy(sg_field(dst, st), sg_cfield(src, st), st->size);
}

bool sg_setting_differs(const struct sg_setting *st, const struct sg_settings *a,
			const struct sg_settings *b)
{
	return memcmp(sg_cfield(a, st), sg_cfield(b, st), st->size) != 0;
}

void sg_setting_format(const struct sg_setting *st, const struct sg_settings *s, char *buf,
		       size_t n)
{
	st->type->format(st, sg_cfield(s, st), buf, n);
}

double sg_setting_number(const struct sg_setting *st, const struct sg_settings *s)
{
	return (double)sg_uget(sg_cfield(s, st), st->size);
}

void sg_setting_describe(const struct sg_setting *st, char *buf, size_t n)
{
	char what[160];

	if (st->type == &sg_t_uint || st->type == &sg_t_rate)
		snprintf(what, sizeof(what), "%lu..%lu%s%s", st->lo, st->hi, st->unit ? " " : "",
			 st->unit ? st->unit : "");
	else if (st->type == &sg_t_enum)
		sg_enum_list(st, what, sizeof(what));
	else
		snprintf(what, sizeof(what), "%s", st->unit ? st->unit : st->type->name);
	if (st->compute)
		snprintf(buf, n, "%s; default %s", what, st->def_note);
	else
		snprintf(buf, n, "%s; default %s", what, st->def && st->def[0] ? st->def : "none");
}

void sg_settings_sample(FILE *f)
{
	static struct sg_settings s;
	struct sg_sysctls sy;
	const char *sections[SG_SETTINGS_MAX];
	int nsec = 0;

	sg_sysctls_defaults(&sy);
	sg_settings_defaults(&s, &sy);
	fprintf(f, "# synguardd configuration for one interface (synguardd -i IFACE -c FILE).\n"
		   "# Every setting is listed, commented out, at its default. KEY = VALUE;\n"
		   "# the setting \"a.b\" is \"b\" in section [a]. Comments are lines that\n"
		   "# start with # or ;, or \" ;\" after a value.\n"
		   "# Precedence: command-line flags, then this file; a setting named in\n"
		   "# neither keeps its current (pinned) value, or its default on a fresh\n"
		   "# start. SIGHUP (systemctl reload synguardd@IFACE) re-reads this file;\n"
		   "# an invalid file is refused with FILE:LINE and nothing changes.\n"
		   "# \"live\" settings also change at once with synguard set KEY=VALUE.\n");
	/* top-level keys first, then each section in table order */
	sections[nsec++] = "";
	sg_settings_for_each(st)
	{
		const char *dot = strchr(st->key, '.');
		bool seen = false;

		if (!dot)
			continue;
		for (int i = 1; i < nsec; i++)
			if (!strncmp(sections[i], st->key, (size_t)(dot - st->key)) &&
			    sections[i][dot - st->key] == '.')
				seen = true;
		if (!seen)
			sections[nsec++] = st->key;
	}
	for (int i = 0; i < nsec; i++) {
		size_t sl = i ? (size_t)(strchr(sections[i], '.') - sections[i]) : 0;

		if (i)
			fprintf(f, "\n[%.*s]\n", (int)sl, sections[i]);
		sg_settings_for_each(st)
		{
			const char *dot = strchr(st->key, '.');
			char desc[256], val[256];

			if (i ? !dot || (size_t)(dot - st->key) != sl ||
					    strncmp(st->key, sections[i], sl)
			      : dot != NULL)
				continue;
			sg_setting_describe(st, desc, sizeof(desc));
			sg_setting_format(st, &s, val, sizeof(val));
			fputc('\n', f);
			sg_comment(f, st->help);
			snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), " (%s)",
				 sg_when_name(st->when));
			sg_comment(f, desc);
			fprintf(f, "#%s =%s%s\n", i ? dot + 1 : st->key, val[0] ? " " : "", val);
		}
	}
}

/* ---- the pinned maps ---------------------------------------------------------------- */
static void *sg_pinned_field(const struct sg_pins *p, const struct sg_setting *st)
{
	if (st->store == SG_STORE_CONFIG)
		return (char *)p->cfg + (st->off - offsetof(struct sg_settings, cfg));
	if (st->store == SG_STORE_DAEMON)
		return (char *)&p->dpage->set + (st->off - offsetof(struct sg_settings, d));
	return NULL;
}

int sg_settings_read(const struct sg_pins *p, struct sg_settings *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(&s->cfg, p->cfg, sizeof(s->cfg));
	memcpy(&s->d, &p->dpage->set, sizeof(s->d));
	sg_settings_for_each(st)
	{
		int ret = st->load ? st->load(p, s) : 0;

		if (ret)
			return ret;
	}
	return 0;
}

int sg_settings_write(const struct sg_pins *p, const struct sg_settings *old,
		      const struct sg_settings *new)
{
	sg_settings_for_each(st)
	{
		void *f;

		if (!sg_setting_differs(st, old, new))
			continue;
		if (st->apply) {
			int ret = st->apply(p, old, new);

			if (ret)
				return ret;
			continue;
		}
		f = sg_pinned_field(p, st);
		if (st->type == &sg_t_string) /* only synguardd reads these */
			memcpy(f, sg_cfield(new, st), st->size);
		else
			sg_uput(f, st->size, sg_uget(sg_cfield(new, st), st->size));
	}
	return 0;
}
