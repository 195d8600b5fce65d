// SPDX-License-Identifier: GPL-2.0
/* status / stats / conns: human tables and JSON (json-c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libsynguard.h"

void sg_json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
}

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
};

static void sg_link_info(const struct sg_pins *p, const char *name,
			 __u32 *link_id, __u32 *prog_id)
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
	if (!sg_pin_path(path, sizeof(path), p, "prog_xdp") &&
	    (fd = bpf_obj_get(path)) >= 0) {
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
			case XDP_ATTACHED_DRV: ai->xdp_mode = "native"; break;
			case XDP_ATTACHED_SKB: ai->xdp_mode = "skb"; break;
			case XDP_ATTACHED_HW: ai->xdp_mode = "hw"; break;
			case XDP_ATTACHED_MULTI: ai->xdp_mode = "multi"; break;
			default: ai->xdp_mode = "none"; break;
			}
		}
	}
	sg_link_info(p, "link_tc_ingress", &ai->tc_link_id[0], &ai->tc_prog_id[0]);
	sg_link_info(p, "link_tc_egress", &ai->tc_link_id[1], &ai->tc_prog_id[1]);
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
int sg_cmd_status(struct sg_view *v, bool json)
{
	static __u16 slots[65536];
	const struct sg_config *c = &v->cfg;
	struct sg_secret_state ss;
	struct sg_attach_info ai;
	struct sg_walk_args wa;
	__u32 synced_max = 0, emb_max = 0;
	__u64 now = sg_now_ns(), sage;
	double age;
	char *ports;

	if (sg_ports_read(v->pins->ports_fd, slots) ||
	    sg_secrets_read(v->pins->secrets_fd, &ss) ||
	    sg_gauges_read(v->pins, v->daemon_pid, &wa, &age))
		return SG_EXIT_FAIL;
	{
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);

		if (!bpf_obj_get_info_by_fd(v->pins->synced_fd, &mi, &len))
			synced_max = mi.max_entries;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (!bpf_obj_get_info_by_fd(v->pins->embryonic_fd, &mi, &len))
			emb_max = mi.max_entries;
	}
	sg_attach_query(v->pins, &ai);
	ports = sg_ports_format(slots);
	sage = ss.rotated_ns && ss.rotated_ns <= now ? now - ss.rotated_ns : 0;

	if (json) {
		struct json_object *o = json_object_new_object(), *x, *t;

		json_object_object_add(o, "iface", json_object_new_string(v->pins->iface));
		json_object_object_add(o, "pin_dir", json_object_new_string(v->pins->dir));
		json_object_object_add(o, "daemon_running", json_object_new_boolean(v->daemon_pid > 0));
		json_object_object_add(o, "daemon_pid", v->daemon_pid > 0 ? json_object_new_int(v->daemon_pid) : NULL);
		x = json_object_new_object();
		json_object_object_add(x, "prog_id", ai.xdp_prog_id ? json_object_new_int64(ai.xdp_prog_id) : NULL);
		json_object_object_add(x, "mode", json_object_new_string(ai.have_ifindex ? ai.xdp_mode : "unknown"));
		json_object_object_add(x, "ours", json_object_new_boolean(ai.xdp_prog_id && (ai.xdp_prog_id == ai.xdp_ours_id || !strcmp(ai.xdp_mode, "multi"))));
		json_object_object_add(o, "xdp", x);
		for (int d = 0; d < 2; d++) {
			x = json_object_new_object();
			json_object_object_add(x, "link_id", ai.tc_link_id[d] ? json_object_new_int64(ai.tc_link_id[d]) : NULL);
			json_object_object_add(x, "prog_id", ai.tc_prog_id[d] ? json_object_new_int64(ai.tc_prog_id[d]) : NULL);
			json_object_object_add(o, d ? "tc_egress" : "tc_ingress", x);
		}
		json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(c->mode)));
		json_object_object_add(o, "cookie_mode_active", json_object_new_boolean(c->cookie_active));
		json_object_object_add(o, "ports", json_object_new_string(ports ? ports : ""));
		json_object_object_add(o, "track", json_object_new_string(c->track_all ? "all" : "protected"));
		json_object_object_add(o, "drop_oow_rst", json_object_new_boolean(c->drop_oow_rst));
		json_object_object_add(o, "secret_age_s", sg_jsecs((double)sage / 1e9));
		x = json_object_new_object();
		json_object_object_add(x, "synced", sg_ju64(wa.synced));
		json_object_object_add(x, "synced_max", json_object_new_int64(synced_max));
		json_object_object_add(x, "embryonic", sg_ju64(wa.embryonic));
		json_object_object_add(x, "embryonic_max", json_object_new_int64(emb_max));
		json_object_object_add(o, "ct", x);
		t = json_object_new_object();
		for (int i = 0; i < SG_STATE_MAX; i++)
			json_object_object_add(t, sg_state_names[i], json_object_new_int64(c->timeout_s[i]));
		json_object_object_add(o, "timeouts_s", t);
		sg_json_print(o);
		json_object_put(o);
		free(ports);
		return 0;
	}

	char buf[64];

	printf("%-14s %s (pins %s)\n", "iface:", v->pins->iface, v->pins->dir);
	if (v->daemon_pid > 0)
		printf("%-14s running (pid %d)\n", "daemon:", v->daemon_pid);
	else
		printf("%-14s not running (showing the pinned maps)\n", "daemon:");
	if (!ai.have_ifindex)
		printf("%-14s unknown (%s is not in this network namespace)\n", "xdp:", v->pins->iface);
	else if (!ai.xdp_prog_id)
		printf("%-14s not attached\n", "xdp:");
	else
		printf("%-14s prog id %u, %s%s\n", "xdp:", ai.xdp_prog_id, ai.xdp_mode,
		       ai.xdp_prog_id == ai.xdp_ours_id ? "" :
		       !strcmp(ai.xdp_mode, "multi") ? " (libxdp dispatcher)" : " (NOT synguard's)");
	for (int d = 0; d < 2; d++) {
		if (ai.tc_link_id[d])
			printf("%-14s tcx link id %u (prog id %u)\n",
			       d ? "tc egress:" : "tc ingress:", ai.tc_link_id[d], ai.tc_prog_id[d]);
		else
			printf("%-14s no pinned tcx link\n", d ? "tc egress:" : "tc ingress:");
	}
	printf("%-14s %s, cookies %s", "mode:", sg_mode_name(c->mode),
	       c->cookie_active ? "active" : "inactive");
	if (!c->cookie_active && c->cookie_check_until_ns > now)
		printf(" (checking ACKs for %s more)",
		       sg_age(buf, sizeof(buf), c->cookie_check_until_ns - now));
	printf("\n%-14s %s\n", "ports:", ports ? ports : "?");
	printf("%-14s %s, drop out-of-window RSTs: %s\n", "tracking:",
	       c->track_all ? "all TCP flows" : "protected ports only",
	       c->drop_oow_rst ? "yes" : "no");
	printf("%-14s rotated %s ago\n", "secret:", sg_age(buf, sizeof(buf), sage));
	printf("%-14s synced %llu/%u, embryonic %llu/%u\n", "ct tables:",
	       (unsigned long long)wa.synced, synced_max,
	       (unsigned long long)wa.embryonic, emb_max);
	printf("%-14s", "timeouts:");
	for (int i = 0; i < SG_STATE_MAX; i++)
		printf("%s%s %us", i ? (i % 5 ? ", " : "\n               ") : " ",
		       sg_state_names[i], c->timeout_s[i]);
	printf("\n");
	free(ports);
	return 0;
}

/* ---- stats --------------------------------------------------------------------------- */
static void sg_slot_labels(const __u16 *slots, char (*label)[8])
{
	for (int s = 0; s < SG_PORT_SLOTS; s++)
		label[s][0] = 0;
	snprintf(label[SG_PORT_SLOT_OTHER], 8, "other");
	for (unsigned int p = 1; p < 65536; p++) {
		__u16 s = slots[p];

		if (s && s < SG_PORT_SLOT_OTHER && !label[s][0])
			snprintf(label[s], 8, "%u", p);
	}
}

int sg_cmd_stats(struct sg_view *v, bool json)
{
	static __u64 pc[SG_PORT_SLOTS][SG_PCNT_MAX];
	static char label[SG_PORT_SLOTS][8];
	static __u16 slots[65536];
	__u64 cnt[SG_CNT_MAX];
	struct sg_walk_args wa;
	double age;

	if (sg_gauges_read(v->pins, v->daemon_pid, &wa, &age) ||
	    sg_counters_read(v->pins->counters_fd, cnt) ||
	    sg_pcounters_read(v->pins->pcounters_fd, pc) ||
	    sg_ports_read(v->pins->ports_fd, slots))
		return SG_EXIT_FAIL;
	sg_slot_labels(slots, label);

	if (json) {
		struct json_object *o = json_object_new_object(), *x;

		json_object_object_add(o, "iface", json_object_new_string(v->pins->iface));
		json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(v->cfg.mode)));
		json_object_object_add(o, "cookie_mode_active", json_object_new_boolean(v->cfg.cookie_active));
		json_object_object_add(o, "daemon_running", json_object_new_boolean(v->daemon_pid > 0));
		x = json_object_new_object();
		for (int i = 0; i < SG_STATE_MAX; i++)
			json_object_object_add(x, sg_state_names[i], sg_ju64(wa.states[i]));
		json_object_object_add(o, "states", x);
		/* 0: walked now; else the age of the daemon's sweep shown */
		json_object_object_add(o, "states_age_s", json_object_new_double(age));
		x = json_object_new_object();
		for (int i = 0; i < SG_CNT_MAX; i++)
			json_object_object_add(x, sg_counter_names[i], sg_ju64(cnt[i]));
		json_object_object_add(o, "counters", x);
		x = json_object_new_object();
		for (int s = 1; s < SG_PORT_SLOTS; s++) {
			struct json_object *po;
			__u64 sum = 0;

			for (int i = 0; i < SG_PCNT_MAX; i++)
				sum += pc[s][i];
			if (!sum || !label[s][0])
				continue;
			po = json_object_new_object();
			for (int i = 0; i < SG_PCNT_MAX; i++)
				json_object_object_add(po, sg_pcounter_names[i], sg_ju64(pc[s][i]));
			json_object_object_add(x, label[s], po);
		}
		json_object_object_add(o, "ports", x);
		sg_json_print(o);
		json_object_put(o);
		return 0;
	}

	printf("%s: mode %s, cookies %s, daemon %s\n\n", v->pins->iface,
	       sg_mode_name(v->cfg.mode), v->cfg.cookie_active ? "active" : "inactive",
	       v->daemon_pid > 0 ? "running" : "not running");
	if (age > 0)
		printf("states as of the daemon's sweep %.1f s ago (%llu entries: "
		       "too many to walk at each call)\n\n", age,
		       (unsigned long long)(wa.synced + wa.embryonic));
	printf("%-24s %12s\n", "STATE", "CONNECTIONS");
	for (int i = 0; i < SG_STATE_MAX; i++)
		printf("%-24s %12llu\n", sg_state_names[i], (unsigned long long)wa.states[i]);
	printf("\n%-24s %12s\n", "COUNTER", "VALUE");
	for (int i = 0; i < SG_CNT_MAX; i++)
		printf("%-24s %12llu\n", sg_counter_names[i], (unsigned long long)cnt[i]);

	bool header = false;

	for (int s = 1; s < SG_PORT_SLOTS; s++) {
		__u64 sum = 0;

		for (int i = 0; i < SG_PCNT_MAX; i++)
			sum += pc[s][i];
		if (!sum || !label[s][0])
			continue;
		if (!header) {
			printf("\n%-6s", "PORT");
			for (int i = 0; i < SG_PCNT_MAX; i++)
				printf(" %*s", (int)strlen(sg_pcounter_names[i]) > 10 ?
				       (int)strlen(sg_pcounter_names[i]) : 10, sg_pcounter_names[i]);
			printf("\n");
			header = true;
		}
		printf("%-6s", label[s]);
		for (int i = 0; i < SG_PCNT_MAX; i++)
			printf(" %*llu", (int)strlen(sg_pcounter_names[i]) > 10 ?
			       (int)strlen(sg_pcounter_names[i]) : 10,
			       (unsigned long long)pc[s][i]);
		printf("\n");
	}
	return 0;
}

/* ---- conns ------------------------------------------------------------------------------ */
static void sg_addr(char *buf, size_t len, __u8 family, const __u32 *a)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

int sg_cmd_conns(struct sg_view *v, int state, bool json)
{
	struct sg_conn *cv = NULL;
	size_t n = 0;
	__u64 now = sg_now_ns();

	if (sg_conns_read(v->pins, &v->cfg, &cv, &n))
		return SG_EXIT_FAIL;

	if (json) {
		/* one object at a time, not a tree of them all: a million
		 * connections took 3.3 GB and 15 s that way */
		bool first = true;

		fputs("[", stdout);
		for (size_t i = 0; i < n; i++) {
			const struct sg_ct_key *k = &cv[i].k;
			const struct sg_ct_entry *e = &cv[i].e;
			struct json_object *o;
			char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];

			if (state >= 0 && e->state != state)
				continue;
			sg_addr(la, sizeof(la), k->family, k->laddr);
			sg_addr(ra, sizeof(ra), k->family, k->raddr);
			o = json_object_new_object();
			json_object_object_add(o, "family", json_object_new_int(k->family));
			json_object_object_add(o, "local", json_object_new_string(la));
			json_object_object_add(o, "lport", json_object_new_int(k->lport));
			json_object_object_add(o, "remote", json_object_new_string(ra));
			json_object_object_add(o, "rport", json_object_new_int(k->rport));
			json_object_object_add(o, "state", json_object_new_string(sg_state_name(e->state)));
			json_object_object_add(o, "remote_state", json_object_new_string(sg_state_name(e->rstate)));
			json_object_object_add(o, "age_s", sg_jsecs(
				now > e->created_ns ? (double)(now - e->created_ns) / 1e9 : 0));
			json_object_object_add(o, "idle_s", sg_jsecs(
				now > e->last_ns ? (double)(now - e->last_ns) / 1e9 : 0));
			json_object_object_add(o, "pkts_in", sg_ju64(e->pkts_in));
			json_object_object_add(o, "pkts_out", sg_ju64(e->pkts_out));
			json_object_object_add(o, "bytes_in", sg_ju64(e->bytes_in));
			json_object_object_add(o, "bytes_out", sg_ju64(e->bytes_out));
			json_object_object_add(o, "cookie", json_object_new_boolean(e->flags & SG_CT_COOKIE));
			printf("%s\n  %s", first ? "" : ",",
			       json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
			first = false;
		}
		puts(first ? "]" : "\n]");
		free(cv);
		return 0;
	}

	printf("%-3s %-40s %-40s %-11s %-11s %8s %8s %8s %8s %10s %10s\n",
	       "FAM", "LOCAL", "REMOTE", "STATE", "REMOTE", "AGE", "IDLE",
	       "PKTS_IN", "PKTS_OUT", "BYTES_IN", "BYTES_OUT");
	size_t shown = 0;

	for (size_t i = 0; i < n; i++) {
		const struct sg_ct_key *k = &cv[i].k;
		const struct sg_ct_entry *e = &cv[i].e;
		char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
		char l[64], r[64], age[16], idle[16];

		if (state >= 0 && e->state != state)
			continue;
		sg_addr(la, sizeof(la), k->family, k->laddr);
		sg_addr(ra, sizeof(ra), k->family, k->raddr);
		snprintf(l, sizeof(l), k->family == 6 ? "[%s]:%u" : "%s:%u", la, k->lport);
		snprintf(r, sizeof(r), k->family == 6 ? "[%s]:%u" : "%s:%u", ra, k->rport);
		printf("%-3u %-40s %-40s %-11s %-11s %8s %8s %8u %8u %10llu %10llu\n",
		       k->family, l, r, sg_state_name(e->state), sg_state_name(e->rstate),
		       sg_age(age, sizeof(age), now > e->created_ns ? now - e->created_ns : 0),
		       sg_age(idle, sizeof(idle), now > e->last_ns ? now - e->last_ns : 0),
		       e->pkts_in, e->pkts_out, (unsigned long long)e->bytes_in,
		       (unsigned long long)e->bytes_out);
		shown++;
	}
	printf("%zu connection%s%s\n", shown, shown == 1 ? "" : "s",
	       v->daemon_pid > 0 ? "" : " (daemon: not running)");
	free(cv);
	return 0;
}
