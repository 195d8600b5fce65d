// SPDX-License-Identifier: GPL-2.0
/* status / stats / conns: human tables and JSON (json-c). */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libsg_format.h"
#include "libsg_config.h"
#include "libsg_maps.h"
#include "libsg_policy.h"
#include "libsg_secrets.h"
#include "libsg_settings.h"
#include "libsg_filter.h"
#include "libsg_rows.h"

/* seconds with millisecond precision, printed as written */
static struct json_object *sg_jsecs(double s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", s);
	return json_object_new_double_s(s, buf);
}

static struct json_object *sg_ju64(__u64 v)
{
	return json_object_new_int64(v > (__u64)INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* ---- attachments -------------------------------------------------------------- */
struct sg_attach_info {
	bool have_ifindex;
	__u32 xdp_prog_id, xdp_ours_id;
	const char *xdp_mode;
	__u32 tc_link_id[2], tc_prog_id[2];
	bool tc_here[2]; /* the pinned link is on this namespace's iface */
};

/* Whether synguard protects the interface now: its XDP program and its
 * tcx ingress link are on it (a running daemon may be waiting for the
 * interface to come back). */
static bool sg_protecting(const struct sg_attach_info *ai)
{
	return ai->xdp_prog_id &&
	       (ai->xdp_prog_id == ai->xdp_ours_id || !strcmp(ai->xdp_mode, "multi")) &&
	       ai->tc_here[0];
}

static void sg_link_info(const struct sg_pins *p, const char *name, __u32 *link_id, __u32 *prog_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	*link_id = *prog_id = 0;
	if (sg_pin_path(path, sizeof(path), p, name))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*link_id = info.id;
		*prog_id = info.prog_id;
	}
	close(fd);
}

static void sg_attach_query(const struct sg_pins *p, struct sg_attach_info *ai)
{
	int ifindex = (int)if_nametoindex(p->iface);
	char path[PATH_MAX];
	int fd;

	memset(ai, 0, sizeof(*ai));
	ai->xdp_mode = "none";
	if (!sg_pin_path(path, sizeof(path), p, "prog_xdp") && (fd = bpf_obj_get(path)) >= 0) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			ai->xdp_ours_id = info.id;
		close(fd);
	}
	if (ifindex) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		ai->have_ifindex = true;
		if (!bpf_xdp_query(ifindex, 0, &q)) {
			ai->xdp_prog_id = q.prog_id;
			switch (q.attach_mode) {
			case XDP_ATTACHED_DRV:
				ai->xdp_mode = "native";
				break;
			case XDP_ATTACHED_SKB:
				ai->xdp_mode = "skb";
				break;
			case XDP_ATTACHED_HW:
				ai->xdp_mode = "hw";
				break;
			case XDP_ATTACHED_MULTI:
				ai->xdp_mode = "multi";
				break;
			default:
				ai->xdp_mode = "none";
				break;
			}
		}
	}
	sg_link_info(p, "link_tc_ingress", &ai->tc_link_id[0], &ai->tc_prog_id[0]);
	sg_link_info(p, "link_tc_egress", &ai->tc_link_id[1], &ai->tc_prog_id[1]);
	for (int d = 0; d < 2; d++)
		ai->tc_here[d] = ifindex && ai->tc_prog_id[d] &&
				 sg_tcx_has_prog(ifindex, d, ai->tc_prog_id[d]);
}

static char *sg_age(char *buf, size_t len, __u64 ns)
{
	__u64 s = ns / 1000000000ull;

	if (s < 120)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	return buf;
}

/* ---- status ------------------------------------------------------------------------ */
/* Everything status shows, read once. */
struct sg_status {
	struct sg_settings set;
	struct sg_secret_state ss;
	struct sg_attach_info ai;
	struct sg_walk_args wa;
	double wa_age; /* 0: walked now; else the sweep's */
	struct sg_live live;
	struct sg_daemon_status st; /* the daemon's last sample (copy) */
	bool fresh;                 /* ...taken within the last 5 s    */
	__u32 synced_max, emb_max;
	__u64 now;
	long syncookies;               /* net.ipv4.tcp_syncookies, now    */
	char *protected_ports;         /* what sg_ports holds now         */
	char *no_listener;             /* listed, no listener; NULL: ?    */
	char dversion[96], dbuild[32]; /* the running daemon's; "": ?  */
};

static void sg_status_free(struct sg_status *x)
{
	free(x->protected_ports);
	free(x->no_listener);
}

/* The ports protected now, and (explicit ports, from a fresh sample) the
 * listed ones without a listener. */
static int sg_status_ports(struct sg_view *v, struct sg_status *x)
{
	static __u16 slots[65536];
	static struct sg_portset missing;

	int ret = sg_ports_read(v->pins->ports_fd, slots);

	if (ret)
		return ret;
	x->protected_ports = sg_ports_format(slots);
	if (x->fresh && !x->st.listen_err) {
		memcpy(missing.bit, x->st.no_listener, sizeof(missing.bit));
		x->no_listener = sg_portset_format(&missing);
	}
	return x->protected_ports ? 0 : -ENOMEM;
}

static int sg_status_read(struct sg_view *v, struct sg_status *x)
{
	int ret;

	memset(x, 0, sizeof(*x));
	x->now = sg_now_ns();
	sg_tw_limits_read(&x->live.tw);
	if (sg_sysctl_int("net/ipv4/tcp_syncookies", &x->syncookies))
		x->syncookies = -1;
	ret = sg_settings_read(v->pins, &x->set);
	if (!ret)
		ret = sg_secrets_read(v->pins->secrets_fd, &x->ss);
	if (!ret)
		ret = sg_gauges_read(v->pins, v->daemon_pid, x->live.tw.port_lo, x->live.tw.port_hi,
				     &x->wa, &x->wa_age);
	if (ret)
		return ret;
	x->synced_max = sg_map_max_entries(v->pins->synced_fd);
	x->emb_max = sg_map_max_entries(v->pins->embryonic_fd);
	sg_attach_query(v->pins, &x->ai);
	if (v->daemon_pid <= 0 || sg_daemon_build(v->pins->iface, x->dversion, sizeof(x->dversion),
						  x->dbuild, sizeof(x->dbuild)))
		x->dversion[0] = x->dbuild[0] = 0;
	x->st = v->pins->dpage->st;
	x->fresh = v->daemon_pid > 0 && x->st.tick_ns && x->st.tick_ns <= x->now &&
		   x->now - x->st.tick_ns < 5 * SG_NS;
	x->live.st = x->fresh ? &x->st : NULL;
	x->live.walk = &x->wa;
	x->live.secrets = &x->ss;
	x->live.now_ns = x->now;
	return sg_status_ports(v, x);
}

static __u64 sg_ago(__u64 now, __u64 then)
{
	return then && then <= now ? now - then : 0;
}

/* The XDP program and the two tc links, as status finds them attached. */
static void sg_status_json_attach(struct json_object *o, const struct sg_attach_info *ai)
{
	struct json_object *j;

	j = json_object_new_object();
	json_object_object_add(j, "prog_id",
			       ai->xdp_prog_id ? json_object_new_int64(ai->xdp_prog_id) : NULL);
	json_object_object_add(j, "mode",
			       json_object_new_string(ai->have_ifindex ? ai->xdp_mode : "unknown"));
	json_object_object_add(
		j, "ours",
		json_object_new_boolean(ai->xdp_prog_id && (ai->xdp_prog_id == ai->xdp_ours_id ||
							    !strcmp(ai->xdp_mode, "multi"))));
	json_object_object_add(o, "xdp", j);
	for (int d = 0; d < 2; d++) {
		j = json_object_new_object();
		json_object_object_add(j, "link_id",
				       ai->tc_link_id[d] ? json_object_new_int64(ai->tc_link_id[d])
							 : NULL);
		json_object_object_add(j, "prog_id",
				       ai->tc_prog_id[d] ? json_object_new_int64(ai->tc_prog_id[d])
							 : NULL);
		json_object_object_add(o, d ? "tc_egress" : "tc_ingress", j);
	}
}

/* Auto mode: the daemon's last sample and its last switch. */
static struct json_object *sg_status_json_auto(const struct sg_status *x)
{
	struct json_object *j;

	j = json_object_new_object();
	json_object_object_add(j, "sample_age_s",
			       x->fresh ? sg_jsecs((double)(x->now - x->st.tick_ns) / 1e9) : NULL);
	json_object_object_add(j, "syn_rate", x->fresh ? sg_ju64(x->st.syn_rate) : NULL);
	json_object_object_add(j, "syn_rcvd", sg_ju64(x->wa.states[SG_SYN_RCVD]));
	json_object_object_add(j, "switches", sg_ju64(x->st.switches));
	json_object_object_add(j, "last_switch",
			       x->st.last_switch[0] ? json_object_new_string(x->st.last_switch)
						    : NULL);
	json_object_object_add(j, "last_switch_ago_s",
			       x->st.switched_ns
				       ? sg_jsecs((double)sg_ago(x->now, x->st.switched_ns) / 1e9)
				       : NULL);
	json_object_object_add(j, "calm_for_s",
			       x->fresh && x->st.calm_since_ns
				       ? sg_jsecs((double)sg_ago(x->now, x->st.calm_since_ns) / 1e9)
				       : NULL);
	return j;
}

/* The cookie secret: its id (not the key), where it comes from, its age. */
static struct json_object *sg_status_json_secret(const struct sg_status *x)
{
	struct json_object *j;
	char val[16];

	j = json_object_new_object();
	snprintf(val, sizeof(val), "%08x", sg_secret_id(&x->ss.slot[x->ss.cur & 1]));
	json_object_object_add(j, "id", json_object_new_string(val));
	snprintf(val, sizeof(val), "%08x", sg_secret_id(&x->ss.slot[(x->ss.cur ^ 1) & 1]));
	json_object_object_add(j, "other_id", json_object_new_string(val));
	json_object_object_add(j, "source",
			       json_object_new_string(x->set.d.secret_file[0] ? "file" : "random"));
	json_object_object_add(j, "period_no",
			       x->fresh && x->st.secret_derived ? sg_ju64(x->st.secret_period_no)
								: NULL);
	json_object_object_add(j, "age_s",
			       sg_jsecs((double)sg_ago(x->now, x->ss.rotated_ns) / 1e9));
	return j;
}

/* TIME_WAIT against the kernel's limits, and the pressure the daemon saw. */
static struct json_object *sg_status_json_time_wait(const struct sg_status *x)
{
	struct json_object *j, *t;

	j = json_object_new_object();
	json_object_object_add(j, "tracked", sg_ju64(x->wa.states[SG_TIME_WAIT]));
	json_object_object_add(j, "ephemeral", sg_ju64(x->wa.tw_ephemeral));
	json_object_object_add(j, "max_tw_buckets", sg_ju64(x->live.tw.max_buckets));
	json_object_object_add(j, "port_range", sg_ju64(x->live.tw.port_range));
	t = json_object_new_array();
	if (x->fresh && (x->st.tw_pressure & SG_TW_BUCKETS))
		json_object_array_add(t, json_object_new_string("tcp_max_tw_buckets"));
	if (x->fresh && (x->st.tw_pressure & SG_TW_PORTS))
		json_object_array_add(t, json_object_new_string("ephemeral_ports"));
	json_object_object_add(j, "warnings", t);
	return j;
}

/* What of the kernel's settings breaks synguard. */
static struct json_object *sg_status_json_kernel(const struct sg_status *x)
{
	struct json_object *j, *t;

	j = json_object_new_object();
	json_object_object_add(j, "tcp_syncookies",
			       x->syncookies >= 0 ? json_object_new_int64(x->syncookies) : NULL);
	t = json_object_new_array();
	if (!x->syncookies)
		json_object_array_add(t, json_object_new_string("tcp_syncookies"));
	json_object_object_add(j, "warnings", t);
	return j;
}

/* Every setting, typed: numbers, yes/no as booleans, the rest text. */
static struct json_object *sg_status_json_settings(const struct sg_status *x)
{
	struct json_object *j, *t;
	char val[256];

	t = json_object_new_object();
	sg_settings_for_each(st)
	{
		if (st->type == &sg_t_bool)
			j = json_object_new_boolean(sg_setting_number(st, &x->set) != 0);
		else if (st->type->numeric)
			j = json_object_new_int64((int64_t)sg_setting_number(st, &x->set));
		else {
			sg_setting_format(st, &x->set, val, sizeof(val));
			j = json_object_new_string(val);
		}
		json_object_object_add(t, st->key, j);
	}
	return t;
}

static struct json_object *sg_status_json(struct sg_view *v, const struct sg_status *x)
{
	const struct sg_config *c = &x->set.cfg;
	const struct sg_attach_info *ai = &x->ai;
	struct json_object *o = json_object_new_object(), *j, *t;
	char val[256];

	json_object_object_add(o, "iface", json_object_new_string(v->pins->iface));
	json_object_object_add(o, "pin_dir", json_object_new_string(v->pins->dir));
	json_object_object_add(o, "daemon_running", json_object_new_boolean(v->daemon_pid > 0));
	json_object_object_add(o, "daemon_pid",
			       v->daemon_pid > 0 ? json_object_new_int(v->daemon_pid) : NULL);
	json_object_object_add(o, "protecting", json_object_new_boolean(sg_protecting(ai)));
	json_object_object_add(
		o, "daemon_elsewhere",
		json_object_new_boolean(v->daemon_pid <= 0 && sg_pins_held(v->pins)));
	json_object_object_add(o, "version", json_object_new_string(sg_version));
	json_object_object_add(o, "build_id", json_object_new_string(sg_build_id));
	json_object_object_add(o, "daemon_version",
			       x->dversion[0] ? json_object_new_string(x->dversion) : NULL);
	json_object_object_add(o, "daemon_build_id",
			       x->dbuild[0] ? json_object_new_string(x->dbuild) : NULL);
	sg_status_json_attach(o, ai);
	json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(c->mode)));
	json_object_object_add(o, "cookie_mode_active", json_object_new_boolean(c->cookie_active));
	json_object_object_add(o, "cookie_check_s",
			       sg_jsecs(!c->cookie_active && c->cookie_check_until_ns > x->now
						? (double)(c->cookie_check_until_ns - x->now) / 1e9
						: 0));
	/* what keeps cookie mode off whatever the mode asks, and how often */
	t = json_object_new_array();
	j = json_object_new_object();
	for (unsigned int r = 0; r < SG_REFUSE_MAX; r++) {
		if (x->fresh && (x->st.cookie_refused & (1u << r)))
			json_object_array_add(t, json_object_new_string(sg_refuse_name(r)));
		json_object_object_add(j, sg_refuse_name(r), sg_ju64(x->st.refusals[r]));
	}
	json_object_object_add(o, "cookie_refused", t);
	json_object_object_add(o, "cookie_refusals", j);
	sg_setting_format(sg_setting_find("ports"), &x->set, val, sizeof(val));
	json_object_object_add(o, "ports", json_object_new_string(val));
	json_object_object_add(o, "protected_ports", json_object_new_string(x->protected_ports));
	json_object_object_add(o, "ports_without_listener",
			       x->no_listener ? json_object_new_string(x->no_listener) : NULL);
	json_object_object_add(o, "track",
			       json_object_new_string(c->track_all ? "all" : "protected"));
	json_object_object_add(o, "drop_oow_rst", json_object_new_boolean(c->drop_oow_rst));
	json_object_object_add(o, "secret_age_s",
			       sg_jsecs((double)sg_ago(x->now, x->ss.rotated_ns) / 1e9));

	json_object_object_add(o, "auto", sg_status_json_auto(x));
	json_object_object_add(o, "secret", sg_status_json_secret(x));
	json_object_object_add(o, "time_wait", sg_status_json_time_wait(x));
	json_object_object_add(o, "kernel", sg_status_json_kernel(x));
	j = json_object_new_object();
	json_object_object_add(j, "allow", json_object_new_int64(x->set.allow.n));
	json_object_object_add(j, "deny", json_object_new_int64(x->set.deny.n));
	json_object_object_add(j, "learned", sg_ju64(x->wa.learned));
	json_object_object_add(o, "policy", j);
	json_object_object_add(o, "events_reader",
			       json_object_new_boolean(c->events_until_ns > sg_coarse_now_ns()));

	j = json_object_new_object();
	json_object_object_add(j, "synced", sg_ju64(x->wa.synced));
	json_object_object_add(j, "synced_max", json_object_new_int64(x->synced_max));
	json_object_object_add(j, "embryonic", sg_ju64(x->wa.embryonic));
	json_object_object_add(j, "embryonic_max", json_object_new_int64(x->emb_max));
	json_object_object_add(j, "age_s", json_object_new_double(x->wa_age));
	json_object_object_add(o, "ct", j);
	t = json_object_new_object();
	for (int i = 0; i < SG_STATE_MAX; i++)
		json_object_object_add(t, sg_state_names[i],
				       json_object_new_int64(c->timeout_s[i]));
	json_object_object_add(o, "timeouts_s", t);

	json_object_object_add(o, "settings", sg_status_json_settings(x));
	return o;
}

/* Which interface, which daemon, which build. */
static void sg_status_print_daemon(const struct sg_view *v, const struct sg_status *x)
{
	const struct sg_attach_info *ai = &x->ai;

	printf("%-14s %s (pins %s)\n", "iface:", v->pins->iface, v->pins->dir);
	if (v->daemon_pid > 0)
		printf("%-14s running (pid %d)%s%s\n", "daemon:", v->daemon_pid,
		       x->fresh ? "" : ", no sample in the last 5 s",
		       sg_protecting(ai) ? ""
					 : ", NOT protecting the interface (see xdp and tc below)");
	else if (sg_pins_held(v->pins))
		printf("%-14s not in this network namespace: a synguardd elsewhere holds these pins (run status in its namespace: nsenter --net=/run/netns/NAME)\n",
		       "daemon:");
	else
		printf("%-14s not running (showing the pinned maps)\n", "daemon:");
	printf("%-14s %s (build %s)", "version:", sg_version, sg_build_id);
	if (x->dbuild[0] && strcmp(x->dbuild, sg_build_id))
		printf("; the daemon runs %s (build %s): restart it to run this build", x->dversion,
		       x->dbuild);
	printf("\n");
}

/* The XDP program and the two tc links, as status finds them attached. */
static void sg_status_print_attach(const struct sg_view *v, const struct sg_attach_info *ai)
{
	if (!ai->have_ifindex)
		printf("%-14s unknown (%s is not in this network namespace)\n",
		       "xdp:", v->pins->iface);
	else if (!ai->xdp_prog_id)
		printf("%-14s not attached\n", "xdp:");
	else
		printf("%-14s prog id %u, %s%s\n", "xdp:", ai->xdp_prog_id, ai->xdp_mode,
		       ai->xdp_prog_id == ai->xdp_ours_id ? ""
		       : !strcmp(ai->xdp_mode, "multi")   ? " (libxdp dispatcher)"
							  : " (NOT synguard's)");
	for (int d = 0; d < 2; d++) {
		if (ai->tc_link_id[d])
			printf("%-14s tcx link id %u (prog id %u)\n",
			       d ? "tc egress:" : "tc ingress:", ai->tc_link_id[d],
			       ai->tc_prog_id[d]);
		else
			printf("%-14s no pinned tcx link\n", d ? "tc egress:" : "tc ingress:");
	}
}

/* The mode, what refuses cookie mode, and auto mode's thresholds. */
static void sg_status_print_mode(const struct sg_status *x)
{
	const struct sg_config *c = &x->set.cfg;
	char buf[64];

	printf("%-14s %s, cookies %s", "mode:", sg_mode_name(c->mode),
	       c->cookie_active ? "active" : "inactive");
	if (x->st.switched_ns)
		printf(" since %s", sg_age(buf, sizeof(buf), sg_ago(x->now, x->st.switched_ns)));
	if (!c->cookie_active && c->cookie_check_until_ns > x->now)
		printf(" (checking ACKs for %s more)",
		       sg_age(buf, sizeof(buf), c->cookie_check_until_ns - x->now));
	printf("\n");
	for (unsigned int r = 0; r < SG_REFUSE_MAX; r++)
		if (x->fresh && (x->st.cookie_refused & (1u << r)))
			printf("%-14s cookie mode refused: %s (the daemon's log says more)\n", "",
			       sg_refuse_why(r));
	if (c->mode == SG_MODE_AUTO) {
		printf("%-14s SYN rate ", "auto:");
		if (x->fresh)
			printf("%llu/s", (unsigned long long)x->st.syn_rate);
		else
			printf("?");
		printf(" (on at %u, off under %u), SYN_RCVD %llu (on at %u, off under %u), hold %us\n",
		       x->set.d.syn_rate_high, x->set.d.syn_rate_low,
		       (unsigned long long)x->wa.states[SG_SYN_RCVD], x->set.d.synrcvd_high,
		       x->set.d.synrcvd_low, x->set.d.hold_s);
	}
	if (x->st.last_switch[0])
		printf("%-14s %s ago: %s\n",
		       "last switch:", sg_age(buf, sizeof(buf), sg_ago(x->now, x->st.switched_ns)),
		       x->st.last_switch);
}

/* Ports, tracking, the secret, the tables, the kernel, policy and events. */
static void sg_status_print_protection(const struct sg_status *x)
{
	const struct sg_config *c = &x->set.cfg;
	char buf[64], val[256];

	sg_setting_format(sg_setting_find("ports"), &x->set, val, sizeof(val));
	printf("%-14s %s\n", "ports:", val);
	printf("%-14s %s%s", "protected:", x->protected_ports,
	       x->set.ports.all ? " (the ports with a local TCP listener)" : "");
	if (x->no_listener && strcmp(x->no_listener, "none"))
		printf("; WARNING: no local listener on %s (forwarded or NATed destinations must not be listed)",
		       x->no_listener);
	else if (x->fresh && x->st.listen_err)
		printf("; cannot list the TCP listeners: %s", strerror(-x->st.listen_err));
	printf("\n");
	printf("%-14s %s, drop out-of-window RSTs: %s\n",
	       "tracking:", c->track_all ? "all TCP flows" : "protected ports only",
	       c->drop_oow_rst ? "yes" : "no");
	printf("%-14s %s, id %08x, rotated %s ago, period %us",
	       "secret:", x->set.d.secret_file[0] ? "derived from the key file" : "random",
	       sg_secret_id(&x->ss.slot[x->ss.cur & 1]),
	       sg_age(buf, sizeof(buf), sg_ago(x->now, x->ss.rotated_ns)),
	       x->set.d.secret_period_s);
	if (x->fresh && x->st.secret_derived)
		printf(" (#%llu)", (unsigned long long)x->st.secret_period_no);
	printf("\n%-14s synced %llu/%u, embryonic %llu/%u\n",
	       "ct tables:", (unsigned long long)x->wa.synced, x->synced_max,
	       (unsigned long long)x->wa.embryonic, x->emb_max);
	printf("%-14s %llu tracked (tcp_max_tw_buckets %llu), %llu on ephemeral ports (range of %llu)%s%s\n",
	       "time_wait:", (unsigned long long)x->wa.states[SG_TIME_WAIT],
	       (unsigned long long)x->live.tw.max_buckets, (unsigned long long)x->wa.tw_ephemeral,
	       (unsigned long long)x->live.tw.port_range,
	       x->fresh && (x->st.tw_pressure & SG_TW_BUCKETS)
		       ? "; WARNING: near tcp_max_tw_buckets"
		       : "",
	       x->fresh && (x->st.tw_pressure & SG_TW_PORTS)
		       ? "; WARNING: near running out of ephemeral ports"
		       : "");
	if (!x->syncookies)
		printf("%-14s WARNING: net.ipv4.tcp_syncookies is 0: the kernel refuses BPF request sockets, every cookie handshake fails (sysctl -w net.ipv4.tcp_syncookies=1)\n",
		       "kernel:");
	printf("%-14s allow %u prefix%s, deny %u; %llu learned source%s (learn.time %us)\n",
	       "policy:", x->set.allow.n, x->set.allow.n == 1 ? "" : "es", x->set.deny.n,
	       (unsigned long long)x->wa.learned, x->wa.learned == 1 ? "" : "s", c->learn_s);
	if (c->events_until_ns > sg_coarse_now_ns())
		printf("%-14s a reader holds the lease (%.1fs left): sampling at most events.rate a second\n",
		       "events:", (double)(c->events_until_ns - sg_coarse_now_ns()) / 1e9);
	else
		printf("%-14s no reader: nothing sampled\n", "events:");
}

/* Every setting with its value, when it applies, and what it means now. */
static void sg_status_print_settings(const struct sg_status *x)
{
	char val[256];

	printf("\n%-22s %-24s %-7s %s\n", "SETTING", "VALUE", "WHEN", "NOW");
	sg_settings_for_each(st)
	{
		char now[256] = "";

		sg_setting_format(st, &x->set, val, sizeof(val));
		if (st->unit && (st->type == &sg_t_uint || st->type == &sg_t_rate))
			snprintf(val + strlen(val), sizeof(val) - strlen(val), " %s", st->unit);
		if (st->beside)
			st->beside(st, &x->live, now, sizeof(now));
		printf("%-22s %-24s %-7s %s\n", st->key, val[0] ? val : "none",
		       sg_when_name(st->when), now);
	}
}

int sg_cmd_status(struct sg_view *v, bool json)
{
	static struct sg_status x;

	if (sg_status_read(v, &x))
		return SG_EXIT_FAIL;
	if (json) {
		struct json_object *o = sg_status_json(v, &x);

		sg_json_print(o);
		json_object_put(o);
		sg_status_free(&x);
		return 0;
	}

	sg_status_print_daemon(v, &x);
	sg_status_print_attach(v, &x.ai);
	sg_status_print_mode(&x);
	sg_status_print_protection(&x);
	sg_status_print_settings(&x);
	sg_status_free(&x);
	return 0;
}

/* ---- stats --------------------------------------------------------------------------- */
/* A gauge with where it came from: walked now (exact), or the daemon's
 * last sweep, this old (the table was too big to walk at each call). */
static void sg_gauge_line(const char *name, __u64 v, double age)
{
	char src[32] = "walked now";

	if (age > 0)
		snprintf(src, sizeof(src), "sweep %.1f s ago", age);
	printf("%-24s %12llu   %s\n", name, (unsigned long long)v, src);
}

/* What stats shows, read at once: gauges, counters, shadow mode's
 * would-be counters and the per-port counters with their labels. */
struct sg_stats_snap {
	__u64 pc[SG_PORT_SLOTS][SG_PCNT_MAX];
	char label[SG_PORT_SLOTS][8];
	__u16 slots[65536];
	__u64 cnt[SG_CNT_MAX], would[SG_CNT_MAX];
	struct sg_walk_args wa;
	double age, sweep_s; /* 0 when walked now */
};

static int sg_stats_snap_read(const struct sg_view *v, struct sg_stats_snap *st)
{
	int ret = sg_gauges_read(v->pins, v->daemon_pid, 0, 0, &st->wa, &st->age);

	st->sweep_s = st->age > 0 ? (double)v->pins->dpage->st.sweep_ns / 1e9 : 0;
	if (!ret)
		ret = sg_counters_read(v->pins->counters_fd, st->cnt);
	if (!ret)
		ret = sg_counters_read_bank(v->pins->counters_fd, SG_BANK_WOULD, st->would);
	if (!ret)
		ret = sg_pcounters_read(v->pins->pcounters_fd, st->pc);
	if (!ret)
		ret = sg_ports_read(v->pins->ports_fd, st->slots);
	if (!ret)
		sg_slot_labels(st->slots, st->label);
	return ret;
}

/* A port slot worth a row: labelled, and some counter moved. */
static bool sg_stats_port_shown(const struct sg_stats_snap *st, int s)
{
	__u64 sum = 0;

	for (int i = 0; i < SG_PCNT_MAX; i++)
		sum += st->pc[s][i];
	return sum && st->label[s][0];
}

static struct json_object *sg_counters_json(const __u64 *cnt)
{
	struct json_object *x = json_object_new_object();

	for (int i = 0; i < SG_CNT_MAX; i++)
		json_object_object_add(x, sg_counter_names[i], sg_ju64(cnt[i]));
	return x;
}

static void sg_stats_snap_json(const struct sg_view *v, const struct sg_stats_snap *st)
{
	struct json_object *o = json_object_new_object(), *x;

	json_object_object_add(o, "iface", json_object_new_string(v->pins->iface));
	json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(v->cfg.mode)));
	json_object_object_add(o, "cookie_mode_active",
			       json_object_new_boolean(v->cfg.cookie_active));
	json_object_object_add(o, "daemon_running", json_object_new_boolean(v->daemon_pid > 0));
	x = json_object_new_object();
	for (int i = 0; i < SG_STATE_MAX; i++)
		json_object_object_add(x, sg_state_names[i], sg_ju64(st->wa.states[i]));
	json_object_object_add(o, "states", x);
	/* 0: walked now; else the age of the daemon's sweep shown */
	json_object_object_add(o, "states_age_s", json_object_new_double(st->age));
	json_object_object_add(o, "states_source",
			       json_object_new_string(st->age > 0 ? "sweep" : "walk"));
	json_object_object_add(o, "states_sweep_s", json_object_new_double(st->sweep_s));
	json_object_object_add(o, "syn_rcvd_unconfirmed", sg_ju64(st->wa.unconfirmed));
	json_object_object_add(o, "counters", sg_counters_json(st->cnt));
	/* shadow mode's would-be decisions, under the same names */
	json_object_object_add(o, "would", sg_counters_json(st->would));
	x = json_object_new_object();
	for (int s = 1; s < SG_PORT_SLOTS; s++) {
		struct json_object *po;

		if (!sg_stats_port_shown(st, s))
			continue;
		po = json_object_new_object();
		for (int i = 0; i < SG_PCNT_MAX; i++)
			json_object_object_add(po, sg_pcounter_names[i], sg_ju64(st->pc[s][i]));
		json_object_object_add(x, st->label[s], po);
	}
	json_object_object_add(o, "ports", x);
	sg_json_print(o);
	json_object_put(o);
}

static void sg_stats_print_states(const struct sg_stats_snap *st)
{
	if (st->age > 0)
		printf("states as of the daemon's sweep %.1f s ago (%llu entries, swept in %.3f s: "
		       "too many to walk at each call)\n\n",
		       st->age, (unsigned long long)(st->wa.synced + st->wa.embryonic),
		       st->sweep_s);
	printf("%-24s %12s   %s\n", "STATE", "CONNECTIONS", "SOURCE");
	for (int i = 0; i < SG_STATE_MAX; i++)
		sg_gauge_line(sg_state_names[i], st->wa.states[i], st->age);
	printf("%-24s %12llu   (SYNs the kernel keeps no request socket for: not counted)\n",
	       "SYN_RCVD unconfirmed", (unsigned long long)st->wa.unconfirmed);
}

/* What moved first: most of the counters stay at zero on most hosts. Then
 * shadow mode's would-be counters, where any moved. */
static void sg_stats_print_counters(const struct sg_stats_snap *st, bool all)
{
	bool any_would = false;
	int zero = 0;

	printf("\n%-24s %12s\n", "COUNTER", "VALUE");
	for (int i = 0; i < SG_CNT_MAX; i++) {
		if (!st->cnt[i] && !all) {
			zero++;
			continue;
		}
		printf("%-24s %12llu\n", sg_counter_names[i], (unsigned long long)st->cnt[i]);
	}
	if (zero)
		printf("(%d more at zero: stats --all shows them)\n", zero);
	for (int i = 0; i < SG_CNT_MAX; i++) {
		if (!st->would[i])
			continue;
		if (!any_would)
			printf("\n%-24s %12s   (shadow mode: what enforcing would have done)\n",
			       "WOULD", "VALUE");
		any_would = true;
		printf("%-24s %12llu\n", sg_counter_names[i], (unsigned long long)st->would[i]);
	}
}

/* A per-port column is as wide as its name, and at least 10. */
static int sg_pcounter_width(int i)
{
	int w = (int)strlen(sg_pcounter_names[i]);

	return w > 10 ? w : 10;
}

static void sg_stats_print_ports(const struct sg_stats_snap *st)
{
	bool header = false;

	for (int s = 1; s < SG_PORT_SLOTS; s++) {
		if (!sg_stats_port_shown(st, s))
			continue;
		if (!header) {
			printf("\n%-6s", "PORT");
			for (int i = 0; i < SG_PCNT_MAX; i++)
				printf(" %*s", sg_pcounter_width(i), sg_pcounter_names[i]);
			printf("\n");
			header = true;
		}
		printf("%-6s", st->label[s]);
		for (int i = 0; i < SG_PCNT_MAX; i++)
			printf(" %*llu", sg_pcounter_width(i), (unsigned long long)st->pc[s][i]);
		printf("\n");
	}
}

int sg_cmd_stats(struct sg_view *v, bool json, bool all)
{
	static struct sg_stats_snap st;

	if (sg_stats_snap_read(v, &st))
		return SG_EXIT_FAIL;
	if (json) {
		sg_stats_snap_json(v, &st);
		return 0;
	}
	printf("%s: mode %s, cookies %s, daemon %s\n\n", v->pins->iface, sg_mode_name(v->cfg.mode),
	       v->cfg.cookie_active ? "active" : "inactive",
	       v->daemon_pid > 0 ? "running" : "not running");
	sg_stats_print_states(&st);
	sg_stats_print_counters(&st, all);
	sg_stats_print_ports(&st);
	return 0;
}

/* ---- conns ------------------------------------------------------------------------------ */
int sg_cmd_conns(struct sg_view *v, const struct sg_filter *f, bool json)
{
	static struct sg_rows w;
	struct sg_conn *cv = NULL;
	size_t n = 0, shown = 0;
	__u64 now = sg_now_ns();

	if (sg_conns_read(v->pins, &v->cfg, &cv, &n))
		return SG_EXIT_FAIL;

	sg_rows_init(&w, stdout);
	if (json)
		sg_rows_str(&w, "[");
	else
		printf("%-3s %-40s %-40s %-11s %-11s %8s %8s %8s %8s %10s %10s\n", "FAM", "LOCAL",
		       "REMOTE", "STATE", "REMOTE", "AGE", "IDLE", "PKTS_IN", "PKTS_OUT",
		       "BYTES_IN", "BYTES_OUT");
	for (size_t i = 0; i < n; i++) {
		if (!sg_filter_conn(f, &cv[i].k, cv[i].e.state))
			continue;
		if (json) {
			sg_rows_str(&w, shown ? ",\n  " : "\n  ");
			sg_rows_conn_json(&w, &cv[i], now);
		} else {
			sg_rows_conn_text(&w, &cv[i], now);
		}
		shown++;
	}
	free(cv);
	if (json) {
		sg_rows_str(&w, shown ? "\n]\n" : "]\n");
		sg_rows_flush(&w);
		return 0;
	}
	sg_rows_flush(&w);
	printf("%zu connection%s%s\n", shown, shown == 1 ? "" : "s",
	       v->daemon_pid > 0 ? "" : " (daemon: not running)");
	return 0;
}

/* ---- stats -w ---------------------------------------------------------------------------- */
static volatile sig_atomic_t sg_watch_stop;

static void sg_watch_signal(int sig)
{
	(void)sig;
	sg_watch_stop = 1;
}

struct sg_watch_sample {
	__u64 at;
	__u64 cnt[SG_CNT_MAX];
	__u64 would[SG_CNT_MAX];
	struct sg_walk_args wa;
};

static int sg_watch_take(struct sg_view *v, struct sg_watch_sample *s)
{
	double age;
	int ret;

	s->at = sg_now_ns();
	ret = sg_counters_read(v->pins->counters_fd, s->cnt);
	if (!ret)
		ret = sg_counters_read_bank(v->pins->counters_fd, SG_BANK_WOULD, s->would);
	if (!ret)
		ret = sg_gauges_read(v->pins, v->daemon_pid, 0, 0, &s->wa, &age);
	return ret;
}

static void sg_watch_clock(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* One JSON object per interval: gauges, totals and rates. */
static void sg_watch_json(struct sg_view *v, const struct sg_watch_sample *a,
			  const struct sg_watch_sample *b, double dt)
{
	struct json_object *o = json_object_new_object(), *x, *r;
	char clock[32];

	sg_watch_clock(clock, sizeof(clock));
	json_object_object_add(o, "time", json_object_new_string(clock));
	json_object_object_add(o, "iface", json_object_new_string(v->pins->iface));
	json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(v->pins->cfg->mode)));
	json_object_object_add(o, "cookie_mode_active",
			       json_object_new_boolean(v->pins->cfg->cookie_active));
	json_object_object_add(o, "interval_s", sg_jsecs(dt));
	x = json_object_new_object();
	for (int i = 0; i < SG_STATE_MAX; i++)
		json_object_object_add(x, sg_state_names[i], sg_ju64(b->wa.states[i]));
	json_object_object_add(o, "states", x);
	x = json_object_new_object();
	r = json_object_new_object();
	for (int i = 0; i < SG_CNT_MAX; i++) {
		json_object_object_add(x, sg_counter_names[i], sg_ju64(b->cnt[i]));
		json_object_object_add(r, sg_counter_names[i],
				       sg_jsecs((double)(b->cnt[i] - a->cnt[i]) / dt));
	}
	json_object_object_add(o, "counters", x);
	json_object_object_add(o, "rates", r);
	r = json_object_new_object();
	for (int i = 0; i < SG_CNT_MAX; i++)
		if (b->would[i] != a->would[i])
			json_object_object_add(r, sg_counter_names[i],
					       sg_jsecs((double)(b->would[i] - a->would[i]) / dt));
	json_object_object_add(o, "would_rates", r);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* Piped: one line per interval, what is not zero. */
static void sg_watch_line(struct sg_view *v, const struct sg_watch_sample *a,
			  const struct sg_watch_sample *b, double dt)
{
	char clock[32];
	bool any = false;

	sg_watch_clock(clock, sizeof(clock));
	printf("%s %s mode=%s cookies=%s", clock, v->pins->iface, sg_mode_name(v->pins->cfg->mode),
	       v->pins->cfg->cookie_active ? "on" : "off");
	for (int i = 0; i < SG_STATE_MAX; i++)
		if (b->wa.states[i])
			printf(" %s=%llu", sg_state_names[i], (unsigned long long)b->wa.states[i]);
	for (int i = 0; i < SG_CNT_MAX; i++) {
		if (b->cnt[i] == a->cnt[i])
			continue;
		printf(" %s=%.1f/s", sg_counter_names[i], (double)(b->cnt[i] - a->cnt[i]) / dt);
		any = true;
	}
	for (int i = 0; i < SG_CNT_MAX; i++)
		if (b->would[i] != a->would[i])
			printf(" would:%s=%.1f/s", sg_counter_names[i],
			       (double)(b->would[i] - a->would[i]) / dt);
	printf("%s\n", any ? "" : " idle");
}

/* A terminal: the whole view redrawn in place. */
static void sg_watch_frame(struct sg_view *v, const struct sg_watch_sample *a,
			   const struct sg_watch_sample *b, double dt, unsigned int secs)
{
	char clock[32];

	sg_watch_clock(clock, sizeof(clock));
	printf("\033[H\033[2J");
	printf("%s: mode %s, cookies %s, daemon %s  %s  (every %us, ^C quits)\n\n", v->pins->iface,
	       sg_mode_name(v->pins->cfg->mode),
	       v->pins->cfg->cookie_active ? "active" : "inactive",
	       v->daemon_pid > 0 ? "running" : "not running", clock, secs);
	printf("%-24s %12s\n", "STATE", "CONNECTIONS");
	for (int i = 0; i < SG_STATE_MAX; i++)
		printf("%-24s %12llu\n", sg_state_names[i], (unsigned long long)b->wa.states[i]);
	printf("\n%-24s %14s %14s\n", "COUNTER", "TOTAL", "PER SECOND");
	for (int i = 0; i < SG_CNT_MAX; i++) {
		if (!b->cnt[i])
			continue;
		printf("%-24s %14llu ", sg_counter_names[i], (unsigned long long)b->cnt[i]);
		if (a)
			printf("%14.1f\n", (double)(b->cnt[i] - a->cnt[i]) / dt);
		else
			printf("%14s\n", "-");
	}
	fflush(stdout);
}

int sg_cmd_stats_watch(struct sg_view *v, unsigned int secs, bool json)
{
	struct sigaction sa = { .sa_handler = sg_watch_signal };
	struct sg_watch_sample s[2];
	bool tty = !json && isatty(STDOUT_FILENO);
	int cur = 0, ret = 0;

	/* no SA_RESTART: the sleep ends at ^C */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (sg_watch_take(v, &s[cur]))
		return SG_EXIT_FAIL;
	if (tty) {
		printf("\033[?25l");
		sg_watch_frame(v, NULL, &s[cur], 1, secs);
	}
	while (!sg_watch_stop) {
		struct timespec ts = { .tv_sec = secs };
		double dt;

		while (!sg_watch_stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
		if (sg_watch_stop)
			break;
		if (!sg_pins_current(v->pins)) {
			if (tty)
				printf("\033[?25h\n");
			fflush(stdout);
			sg_err("the pins of %s were removed or replaced (synguardd stopped or started afresh): run synguard stats -w again",
			       v->pins->iface);
			return SG_EXIT_FAIL;
		}
		v->daemon_pid = sg_daemon_pid(v->pins->iface);
		if (sg_watch_take(v, &s[cur ^ 1])) {
			ret = SG_EXIT_FAIL;
			break;
		}
		dt = (double)(s[cur ^ 1].at - s[cur].at) / 1e9;
		if (tty)
			sg_watch_frame(v, &s[cur], &s[cur ^ 1], dt, secs);
		else if (json)
			sg_watch_json(v, &s[cur], &s[cur ^ 1], dt);
		else
			sg_watch_line(v, &s[cur], &s[cur ^ 1], dt);
		fflush(stdout);
		cur ^= 1;
	}
	if (tty)
		printf("\033[?25h\n");
	return ret;
}
