// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition (format 0.0.4) of what synguard counts and
 * measures, served over HTTP by libmicrohttpd from synguardd's own loop:
 * MHD's epoll fd sits in the daemon's poll(), no thread of its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <bpf/bpf.h>
#include "libsg_metrics.h"
#include "libsg_config.h"
#include "libsg_maps.h"
#include "libsg_policy.h"
#include "libsg_secrets.h"
#include "libsg_settings.h"
#include "sg_counter_help.h"

/* ---- the exposition ------------------------------------------------------------ */
/* Every series carries the interface as its iface label, so the series of
 * several daemons on one host (one per interface) never collide. */
struct sg_expo {
	FILE *f;
	const char *iface;
};

static void sg_family(const struct sg_expo *x, const char *name, const char *type, const char *help)
{
	fprintf(x->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* label values escape backslash, double quote and newline */
static void sg_label(FILE *f, const char *name, const char *value)
{
	fprintf(f, ",%s=\"", name);
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			fputc('\\', f);
		if (*c == '\n')
			fputs("\\n", f);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

/* name{iface="...": the caller adds its labels with sg_label, then sg_value */
static void sg_series(const struct sg_expo *x, const char *name)
{
	fprintf(x->f, "%s{iface=\"%s\"", name, x->iface);
}

static void sg_value(const struct sg_expo *x, double v)
{
	/* counters and gauges are mostly whole numbers: print them exactly */
	if (v == (double)(long long)v && v < 9007199254740992.0)
		fprintf(x->f, "} %lld\n", (long long)v);
	else
		fprintf(x->f, "} %.12g\n", v);
}

/* name{iface="...",label="value"} v, or without the second label */
static void sg_sample_labelled(const struct sg_expo *x, const char *name, const char *label,
			       const char *value, double v)
{
	sg_series(x, name);
	if (label)
		sg_label(x->f, label, value);
	sg_value(x, v);
}

static void sg_gauge(const struct sg_expo *x, const char *name, const char *help, double v)
{
	sg_family(x, name, "gauge", help);
	sg_sample_labelled(x, name, NULL, NULL, v);
}

/* The families counters share, a label telling them apart: those matched
 * by prefix take the rest of their name as the label's value; a counter
 * matched by its whole name takes the value given. A drop is a drop
 * whatever counted it, so the drops of the cookie checks join the drop_*
 * counters in one family. Each counter lands in exactly one family; those
 * in none are a family of their own, synguard_NAME_total. */
static const struct sg_counter_family {
	const char *match, *value, *metric, *label, *help;
} sg_counter_families[] = {
	{ "drop_", NULL, "synguard_dropped_total", "reason", "Packets dropped at XDP, by reason" },
	{ "cookies_rejected", "cookie_rejected", "synguard_dropped_total", "reason", NULL },
	{ "cookies_over_budget", "cookie_over_budget", "synguard_dropped_total", "reason", NULL },
	{ "pass_", NULL, "synguard_passed_total", "reason",
	  "Packets passed to the kernel unexamined, by reason" },
	{ "parse_", NULL, "synguard_parse_errors_total", "reason",
	  "Malformed packets, by what was wrong" },
	{ "ct_", NULL, "synguard_ct_events_total", "event", "Connection tracker events" },
};
#define SG_NFAMILIES (sizeof(sg_counter_families) / sizeof(sg_counter_families[0]))

/* The family entry of counter i, or NULL: a family of its own. */
static const struct sg_counter_family *sg_counter_family(int i)
{
	const char *name = sg_counter_names[i];

	for (size_t k = 0; k < SG_NFAMILIES; k++) {
		const struct sg_counter_family *c = &sg_counter_families[k];

		if (c->value ? !strcmp(name, c->match) : !strncmp(name, c->match, strlen(c->match)))
			return c;
	}
	return NULL;
}

/* Where counter i goes: its metric, label and label value (NULL when none). */
struct sg_counter_series {
	char metric[96];
	const char *label, *value;
};

static void sg_counter_series(int i, struct sg_counter_series *s)
{
	const struct sg_counter_family *c = sg_counter_family(i);

	if (!c) {
		snprintf(s->metric, sizeof(s->metric), "synguard_%s_total", sg_counter_names[i]);
		s->label = s->value = NULL;
		return;
	}
	snprintf(s->metric, sizeof(s->metric), "%s", c->metric);
	s->label = c->label;
	s->value = c->value ? c->value : sg_counter_names[i] + strlen(c->match);
}

static void sg_counters_text(const struct sg_expo *x, const __u64 *cnt)
{
	struct sg_counter_series s;

	for (size_t k = 0; k < SG_NFAMILIES; k++) {
		if (!sg_counter_families[k].help)
			continue;
		sg_family(x, sg_counter_families[k].metric, "counter", sg_counter_families[k].help);
		for (int i = 0; i < SG_CNT_MAX; i++) {
			sg_counter_series(i, &s);
			if (!strcmp(s.metric, sg_counter_families[k].metric))
				sg_sample_labelled(x, s.metric, s.label, s.value, (double)cnt[i]);
		}
	}
	for (int i = 0; i < SG_CNT_MAX; i++) {
		if (sg_counter_family(i))
			continue;
		sg_counter_series(i, &s);
		sg_family(x, s.metric, "counter", sg_counter_help[i]);
		sg_sample_labelled(x, s.metric, NULL, NULL, (double)cnt[i]);
	}
}

/* The kernel's own SYN counters of the daemon's network namespace
 * (/proc/net/netstat, TcpExt), beside synguard's: what the listeners'
 * queues and the kernel's own cookies did with what synguard passed. */
static const struct {
	const char *field, *metric, *help;
} sg_kernel_counters[] = {
	{ "SyncookiesSent", "synguard_kernel_syncookies_sent_total",
	  "The kernel's own SYN cookies sent (TcpExtSyncookiesSent)" },
	{ "SyncookiesRecv", "synguard_kernel_syncookies_recv_total",
	  "ACKs with a valid kernel SYN cookie (TcpExtSyncookiesRecv)" },
	{ "SyncookiesFailed", "synguard_kernel_syncookies_failed_total",
	  "ACKs with an invalid kernel SYN cookie (TcpExtSyncookiesFailed)" },
	{ "ListenDrops", "synguard_kernel_listen_drops_total",
	  "SYNs and ACKs a listener dropped, for any reason (TcpExtListenDrops)" },
	{ "ListenOverflows", "synguard_kernel_listen_overflows_total",
	  "ACKs dropped on a full accept queue (TcpExtListenOverflows)" },
};
#define SG_KERNEL_MAX ((int)(sizeof(sg_kernel_counters) / sizeof(sg_kernel_counters[0])))

/* The values of the TcpExt fields named in sg_kernel_counters: the file
 * has a line of names then a line of values per group. 0 when read,
 * -ENOENT when it has no TcpExt group, -errno when it cannot be opened. */
static int sg_kernel_read(__u64 *v)
{
	char names[4096], vals[4096], *ns, *vs, *n, *w;
	FILE *f = fopen("/proc/net/netstat", "re");
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "TcpExt:", 7) || strncmp(vals, "TcpExt:", 7))
			continue;
		n = strtok_r(names + 7, " \n", &ns);
		w = strtok_r(vals + 7, " \n", &vs);
		for (; n && w; n = strtok_r(NULL, " \n", &ns), w = strtok_r(NULL, " \n", &vs))
			for (int i = 0; i < SG_KERNEL_MAX; i++)
				if (!strcmp(n, sg_kernel_counters[i].field))
					v[i] = strtoull(w, NULL, 10);
		found = 0;
	}
	fclose(f);
	return found;
}

static void sg_kernel_text(const struct sg_expo *x)
{
	__u64 v[SG_KERNEL_MAX] = {};

	if (sg_kernel_read(v))
		return;
	for (int i = 0; i < SG_KERNEL_MAX; i++) {
		sg_family(x, sg_kernel_counters[i].metric, "counter", sg_kernel_counters[i].help);
		sg_sample_labelled(x, sg_kernel_counters[i].metric, NULL, NULL, (double)v[i]);
	}
}

void sg_metrics_catalog(FILE *f)
{
	struct sg_counter_series s;

	for (int i = 0; i < SG_CNT_MAX; i++) {
		sg_counter_series(i, &s);
		fprintf(f, "%s\t%s%s%s%s\t%s\t%s\n", s.metric, s.label ? s.label : "",
			s.label ? "=\"" : "", s.value ? s.value : "", s.label ? "\"" : "",
			sg_counter_names[i], sg_counter_help[i]);
	}
	for (int i = 0; i < SG_KERNEL_MAX; i++)
		fprintf(f, "%s\t\t\t%s\n", sg_kernel_counters[i].metric,
			sg_kernel_counters[i].help);
}
/* Shadow mode's would-be decisions, by the counter that names each. */
static void sg_would_text(const struct sg_expo *x, const struct sg_pins *p)
{
	__u64 would[SG_CNT_MAX];

	if (sg_counters_read_bank(p->counters_fd, SG_BANK_WOULD, would))
		return;
	sg_family(x, "synguard_would_total", "counter",
		  "Shadow mode: decisions enforcing would have taken, by counter name");
	for (int i = 0; i < SG_CNT_MAX; i++)
		sg_sample_labelled(x, "synguard_would_total", "counter", sg_counter_names[i],
				   (double)would[i]);
}

/* The lists, learned sources, the events lease, the top SYN sources: the
 * last are one series per source prefix, so only on request
 * (metrics.sources) and at most 10. */
static void sg_policy_text(const struct sg_expo *x, const struct sg_pins *p,
			   const struct sg_walk_args *w, __u64 now)
{
	static struct sg_settings s;
	struct sg_top_src *hs = NULL;
	size_t nh = 0;
	char buf[64];

	if (!sg_policy_load(p, &s)) {
		sg_family(x, "synguard_policy_prefixes", "gauge",
			  "Prefixes in the allow and deny lists");
		sg_sample_labelled(x, "synguard_policy_prefixes", "list", "allow", s.allow.n);
		sg_sample_labelled(x, "synguard_policy_prefixes", "list", "deny", s.deny.n);
	}
	sg_gauge(x, "synguard_learned_sources",
		 "Learned sources (skip cookie mode), at the last sweep", (double)w->learned);
	sg_gauge(x, "synguard_events_reader",
		 "1 while a synguard events reader holds the sampling lease",
		 p->cfg->events_until_ns > sg_coarse_now_ns());
	if (!p->dpage->set.metrics_sources || sg_hitters_read(p, now, &hs, &nh))
		return;
	sg_family(
		x, "synguard_hitter_syns", "gauge",
		"SYNs of the 10 heaviest source prefixes past top.threshold, in their last window (~1.07 s)");
	for (size_t i = 0; i < nh && i < 10; i++) {
		sg_prefix_format(&hs[i].k, buf, sizeof(buf));
		sg_sample_labelled(x, "synguard_hitter_syns", "prefix", buf, (double)hs[i].syns);
	}
	free(hs);
}

static void sg_port_counters_text(const struct sg_expo *x, const struct sg_pins *p)
{
	static __u64 pc[SG_PORT_SLOTS][SG_PCNT_MAX];
	static char label[SG_PORT_SLOTS][8];
	static __u16 slots[65536];
	char name[96], help[192];
	unsigned int others = 0;

	if (sg_ports_read(p->ports_fd, slots) || sg_pcounters_read(p->pcounters_fd, pc))
		return;
	sg_slot_labels(slots, label);
	for (unsigned int port = 1; port < 65536; port++)
		others += slots[port] == SG_PORT_SLOT_OTHER;
	sg_gauge(x, "synguard_ports_other",
		 "Protected ports past the 1022 with counters of their own: port=\"other\"",
		 others);
	for (int i = 0; i < SG_PCNT_MAX; i++) {
		snprintf(name, sizeof(name), "synguard_port_%s_total", sg_pcounter_names[i]);
		snprintf(
			help, sizeof(help),
			"Event counter %s per protected port (\"other\": ports past the first 1022)",
			sg_pcounter_names[i]);
		sg_family(x, name, "counter", help);
		for (int s = 1; s < SG_PORT_SLOTS; s++)
			if (label[s][0])
				sg_sample_labelled(x, name, "port", label[s], (double)pc[s][i]);
	}
}

static void sg_tables_text(const struct sg_expo *x, const struct sg_pins *p,
			   const struct sg_walk_args *w)
{
	const struct {
		const char *table;
		__u64 n;
		__u32 max;
	} t[2] = {
		{ "synced", w->synced, sg_map_max_entries(p->synced_fd) },
		{ "embryonic", w->embryonic, sg_map_max_entries(p->embryonic_fd) },
	};

	sg_family(x, "synguard_connections", "gauge",
		  "Tracked connections per TCP state of the local endpoint");
	for (int i = 0; i < SG_STATE_MAX; i++)
		sg_sample_labelled(x, "synguard_connections", "state", sg_state_names[i],
				   (double)w->states[i]);
	sg_family(x, "synguard_ct_entries", "gauge", "Entries in each tracker table");
	for (int i = 0; i < 2; i++)
		sg_sample_labelled(x, "synguard_ct_entries", "table", t[i].table, (double)t[i].n);
	sg_family(x, "synguard_ct_capacity", "gauge", "Size of each tracker table");
	for (int i = 0; i < 2; i++)
		sg_sample_labelled(x, "synguard_ct_capacity", "table", t[i].table,
				   (double)t[i].max);
}

/* Numeric settings, one family per unit so that no family mixes units:
 * seconds, prefix lengths, ratios (a percent setting over 100), rates per second,
 * yes/no as 1/0 and plain counts. */
static const struct {
	const char *unit, *metric, *help;
	double scale;
} sg_setting_units[] = {
	{ "s", "synguard_setting_seconds", "Settings in seconds (synguard help set)", 1 },
	{ "bits", "synguard_setting_prefix_length", "Prefix lengths, in bits (synguard help set)",
	  1 },
	{ "%", "synguard_setting_ratio", "Percent settings as a ratio (synguard help set)", 0.01 },
	{ "per second", "synguard_setting_per_second", "Rates per second (synguard help set)", 1 },
	{ "SYN/s", "synguard_setting_per_second", NULL, 1 },
	{ "yes|no", "synguard_setting_enabled", "Yes/no settings: 1 = yes (synguard help set)", 1 },
	{ NULL, "synguard_setting_quantity",
	  "Settings that count things: connections, SYNs, checks (synguard help set)", 1 },
};
#define SG_NUNITS (sizeof(sg_setting_units) / sizeof(sg_setting_units[0]))

/* The row of sg_setting_units for st: by its unit, else the last one. */
static size_t sg_setting_unit(const struct sg_setting *st)
{
	const char *unit = st->unit ? st->unit : st->type->name;

	for (size_t u = 0; u + 1 < SG_NUNITS; u++)
		if (!strcmp(unit, sg_setting_units[u].unit))
			return u;
	return SG_NUNITS - 1;
}

/* A setting's value as a number: what synguard set takes and shows (a
 * rate per second, not the interval it is stored as; yes = 1). */
static double sg_setting_value(const struct sg_setting *st, const struct sg_settings *s)
{
	char val[64];

	sg_setting_format(st, s, val, sizeof(val));
	if (!strcmp(val, "yes") || !strcmp(val, "no"))
		return val[0] == 'y';
	return strtod(val, NULL);
}

static void sg_settings_text(const struct sg_expo *x, const struct sg_pins *p)
{
	static struct sg_settings s;
	char val[256];

	if (sg_settings_read(p, &s))
		return;
	for (size_t u = 0; u < SG_NUNITS; u++) {
		if (!sg_setting_units[u].help)
			continue;
		sg_family(x, sg_setting_units[u].metric, "gauge", sg_setting_units[u].help);
		sg_settings_for_each(st) if (st->type->numeric &&
					     !strcmp(sg_setting_units[sg_setting_unit(st)].metric,
						     sg_setting_units[u].metric))
			sg_sample_labelled(x, sg_setting_units[u].metric, "name", st->key,
					   sg_setting_value(st, &s) * sg_setting_units[u].scale);
	}
	sg_family(x, "synguard_setting_info", "gauge", "Other settings, the value as a label");
	sg_settings_for_each(st)
	{
		if (st->type->numeric)
			continue;
		sg_setting_format(st, &s, val, sizeof(val));
		sg_series(x, "synguard_setting_info");
		sg_label(x->f, "name", st->key);
		sg_label(x->f, "value", val);
		sg_value(x, 1);
	}
}

static void sg_daemon_text(const struct sg_expo *x, const struct sg_pins *p, __u64 now)
{
	const struct sg_daemon_status *st = &p->dpage->st;
	const struct sg_config *c = p->cfg;
	struct sg_secret_state ss = {};
	const char *lim[2] = { "tcp_max_tw_buckets", "ephemeral_ports" };
	const double limv[2] = { (double)st->tw_max_buckets, (double)st->port_range };

	sg_gauge(x, "synguard_cookie_mode",
		 "1 while SYNs to protected ports are answered with cookies", c->cookie_active);
	sg_gauge(x, "synguard_cookie_check_seconds",
		 "Seconds ACKs are still checked for cookies after cookie mode went off",
		 !c->cookie_active && c->cookie_check_until_ns > now
			 ? (double)(c->cookie_check_until_ns - now) / 1e9
			 : 0);
	sg_family(x, "synguard_cookie_mode_refused", "gauge",
		  "1 while the reason keeps cookie mode off whatever the mode asks");
	for (unsigned int r = 0; r < SG_REFUSE_MAX; r++)
		sg_sample_labelled(x, "synguard_cookie_mode_refused", "reason", sg_refuse_name(r),
				   !!(st->cookie_refused & (1u << r)));
	sg_family(x, "synguard_cookie_mode_refusals_total", "counter",
		  "Times the reason took cookie mode away since synguardd started");
	for (unsigned int r = 0; r < SG_REFUSE_MAX; r++)
		sg_sample_labelled(x, "synguard_cookie_mode_refusals_total", "reason",
				   sg_refuse_name(r), (double)st->refusals[r]);
	sg_family(x, "synguard_cookie_mode_switches_total", "counter",
		  "Cookie mode switches since synguardd started");
	sg_sample_labelled(x, "synguard_cookie_mode_switches_total", NULL, NULL,
			   (double)st->switches);
	sg_gauge(x, "synguard_start_time_seconds",
		 "When synguardd started, seconds since the epoch",
		 st->started_ns && st->started_ns <= now
			 ? (double)(sg_realtime_ns() - (now - st->started_ns)) / 1e9
			 : 0);
	if (!sg_secrets_read(p->secrets_fd, &ss))
		sg_gauge(x, "synguard_secret_age_seconds", "Age of the current cookie secret",
			 ss.rotated_ns && ss.rotated_ns <= now ? (double)(now - ss.rotated_ns) / 1e9
							       : 0);
	sg_gauge(x, "synguard_secret_derived",
		 "1 when secrets derive from secret.file (shared by hosts)", st->secret_derived);
	sg_gauge(x, "synguard_time_wait_ephemeral",
		 "TIME_WAIT connections holding a local ephemeral port", (double)st->tw_ephemeral);
	sg_family(
		x, "synguard_time_wait_limit", "gauge",
		"What TIME_WAIT is measured against: net.ipv4.tcp_max_tw_buckets, the ephemeral port range size");
	for (int i = 0; i < 2; i++)
		sg_sample_labelled(x, "synguard_time_wait_limit", "limit", lim[i], limv[i]);
	sg_family(x, "synguard_time_wait_pressure", "gauge",
		  "1 while TIME_WAIT is past time_wait.warn percent of the limit");
	for (int i = 0; i < 2; i++)
		sg_sample_labelled(x, "synguard_time_wait_pressure", "limit", lim[i],
				   !!(st->tw_pressure & (i ? SG_TW_PORTS : SG_TW_BUCKETS)));
}

/* What the kernel's SYN_RCVD queue is bounded by, read now in the daemon's
 * network namespace: a listener's backlog is at most net.core.somaxconn,
 * and without syncookies net.ipv4.tcp_max_syn_backlog drops earlier. */
static void sg_backlog_text(const struct sg_expo *x)
{
	static const char *const sysctl[2] = { "net/core/somaxconn",
					       "net/ipv4/tcp_max_syn_backlog" };
	static const char *const label[2] = { "somaxconn", "tcp_max_syn_backlog" };
	long v;

	sg_family(
		x, "synguard_syn_backlog_limit", "gauge",
		"What SYN_RCVD is measured against: net.core.somaxconn, net.ipv4.tcp_max_syn_backlog");
	for (int i = 0; i < 2; i++)
		if (!sg_sysctl_int(sysctl[i], &v))
			sg_sample_labelled(x, "synguard_syn_backlog_limit", "limit", label[i],
					   (double)v);
}

char *sg_metrics_text(const struct sg_pins *p, const struct sg_walk_args *sample, size_t *len)
{
	__u64 cnt[SG_CNT_MAX], now = sg_now_ns();
	struct sg_expo x = { .iface = p->iface };
	char *buf = NULL;

	if (sg_counters_read(p->counters_fd, cnt))
		return NULL;
	x.f = open_memstream(&buf, len);
	if (!x.f)
		return NULL;
	sg_family(&x, "synguard_info", "gauge", "synguard on this interface, its mode as a label");
	sg_sample_labelled(&x, "synguard_info", "mode", sg_mode_name(p->cfg->mode), 1);
	sg_daemon_text(&x, p, now);
	sg_backlog_text(&x);
	sg_tables_text(&x, p, sample);
	sg_settings_text(&x, p);
	sg_counters_text(&x, cnt);
	sg_kernel_text(&x);
	sg_would_text(&x, p);
	sg_policy_text(&x, p, sample, now);
	sg_port_counters_text(&x, p);
	if (fclose(x.f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- HTTP ---------------------------------------------------------------------- */
/* Idle clients must not keep the scraper out: one address holds at most a
 * few connections (more are closed at once, not queued), and a
 * connection that sends nothing for SG_METRICS_IDLE_S is closed. A
 * scraper is one client with one connection at a time. */
#define SG_METRICS_CONNS 64u
#define SG_METRICS_CONNS_PER_IP 4u
#define SG_METRICS_IDLE_S 5u

struct sg_metrics {
	struct MHD_Daemon *mhd;
	const struct sg_pins *p;
	const struct sg_walk_args *sample;
	__u64 logged_ns; /* when sg_mhd_log last wrote a line     */
	__u64 muted;     /* lines it held back since              */
};

static enum MHD_Result sg_reply(struct MHD_Connection *c, unsigned int code, const char *type,
				char *body, size_t len, enum MHD_ResponseMemoryMode mem)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mem);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* /healthz, for liveness and readiness probes: 200 while synguard's XDP
 * program is attached and the daemon's loop sampled within the last
 * SG_HEALTH_MAX_AGE_NS (it samples every second); 503 with the reason
 * otherwise. */
#define SG_HEALTH_MAX_AGE_NS (5 * SG_NS)
static enum MHD_Result sg_healthz(struct MHD_Connection *c, const struct sg_pins *p)
{
	static char ok[] = "ok\n";
	static char detached[] = "synguard's XDP program is not attached\n";
	static char stale[] = "the daemon loop has not sampled for 5 s\n";
	__u64 tick = p->dpage->st.tick_ns, now = sg_now_ns();
	char *why = NULL;

	if (!sg_xdp_is_ours(p))
		why = detached;
	else if (!tick || tick > now || now - tick > SG_HEALTH_MAX_AGE_NS)
		why = stale;
	return sg_reply(c, why ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, "text/plain",
			why ? why : ok, strlen(why ? why : ok), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result sg_http(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_len, void **req)
{
	static char notfound[] = "not found: metrics are at /metrics, health at /healthz\n";
	static char badmethod[] = "only GET and HEAD\n";
	static char failed[] = "cannot read the pinned maps\n";
	struct sg_metrics *m = cls;
	size_t len;
	char *text;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return sg_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", badmethod,
				strlen(badmethod), MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/healthz"))
		return sg_healthz(c, m->p);
	if (strcmp(url, "/metrics"))
		return sg_reply(c, MHD_HTTP_NOT_FOUND, "text/plain", notfound, strlen(notfound),
				MHD_RESPMEM_PERSISTENT);
	text = sg_metrics_text(m->p, m->sample, &len);
	if (!text)
		return sg_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
				strlen(failed), MHD_RESPMEM_PERSISTENT);
	return sg_reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len,
			MHD_RESPMEM_MUST_FREE);
}

/* What libmicrohttpd says, at most a line every SG_METRICS_LOG_NS: each
 * connection refused over the limits makes a line, and whoever can
 * connect must not fill the log. */
#define SG_METRICS_LOG_NS (10 * SG_NS)
static void sg_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct sg_metrics *m = cls;
	__u64 now = sg_now_ns();
	char buf[256];

	if (m->logged_ns && now - m->logged_ns < SG_METRICS_LOG_NS) {
		m->muted++;
		return;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = 0;
	if (m->muted)
		sg_log("metrics: %s (and %llu more held back since the last line)", buf,
		       (unsigned long long)m->muted);
	else
		sg_log("metrics: %s", buf);
	m->logged_ns = now;
	m->muted = 0;
}

struct sg_metrics *sg_metrics_start(const char *addr, const struct sg_pins *p,
				    const struct sg_walk_args *sample, char *err, size_t n)
{
	struct sockaddr_storage ss;
	struct sg_metrics *m;
	socklen_t len;
	int fd, one = 1;

	if (sg_metrics_addr(addr, &ss, &len, err, n))
		return NULL;
	/* our own socket: a bind error names its cause */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, n, "metrics: socket: %s", strerror(errno));
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		/* one synguardd per interface: the second one in a network
		 * namespace meets the first's default port */
		if (errno == EADDRINUSE)
			snprintf(
				err, n,
				"metrics: cannot listen on %s: %s is taken (by another synguardd of this network namespace?): give each its own with --metrics ADDR:PORT or metrics = ADDR:PORT in its config, or off",
				addr, addr);
		else
			snprintf(
				err, n,
				"metrics: cannot listen on %s: %s (set metrics=ADDR:PORT or metrics=off)",
				addr, strerror(errno));
		close(fd);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		snprintf(err, n, "metrics: out of memory");
		return NULL;
	}
	m->p = p;
	m->sample = sample;
	m->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, sg_http, m, MHD_OPTION_EXTERNAL_LOGGER, sg_mhd_log, m,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
		SG_METRICS_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, SG_METRICS_CONNS_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, SG_METRICS_IDLE_S, MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, n, "metrics: libmicrohttpd cannot serve %s", addr);
		close(fd);
		free(m);
		return NULL;
	}
	return m;
}

int sg_metrics_fd(const struct sg_metrics *m)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

void sg_metrics_serve(struct sg_metrics *m)
{
	MHD_run(m->mhd);
}

void sg_metrics_stop(struct sg_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
