// SPDX-License-Identifier: GPL-2.0
/* synguard allow|deny and synguard top: the policy module's lists and
 * summaries shown to humans (tables) and programs (JSON), and changed
 * through the settings (so a change is checked and applied as every
 * other setting is). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <bpf/bpf.h>
#include "libsg_listen.h"
#include "libsg_policy_cli.h"
#include "libsg_settings.h"

/* ---- synguard allow|deny ------------------------------------------------------------- */
static const char *sg_action_name(__u32 a)
{
	return a == SG_ACT_ALLOW ? "allow" : a == SG_ACT_DENY ? "deny" : "?";
}

static int sg_policy_list(struct sg_view *v, enum sg_action act, bool json)
{
	struct sg_lpm_key k, next;
	struct sg_lpm_value val;
	struct json_object *arr = json ? json_object_new_array() : NULL;
	void *prev = NULL;
	unsigned int n = 0;

	if (!json)
		printf("%-44s %6s %14s\n", "PREFIX", "LIST", "HITS");
	while (!bpf_map_get_next_key(v->pins->policy_fd, prev, &next)) {
		struct sg_src_key pr;
		char buf[64];

		if (!bpf_map_lookup_elem(v->pins->policy_fd, &next, &val) && val.action == act) {
			sg_prefix_of_lpm(&pr, &next);
			sg_prefix_format(&pr, buf, sizeof(buf));
			if (json) {
				struct json_object *o = json_object_new_object();

				json_object_object_add(o, "prefix", json_object_new_string(buf));
				json_object_object_add(o, "list",
						       json_object_new_string(sg_action_name(act)));
				json_object_object_add(o, "hits",
						       json_object_new_int64((int64_t)val.hits));
				json_object_array_add(arr, o);
			} else {
				printf("%-44s %6s %14llu\n", buf, sg_action_name(act),
				       (unsigned long long)val.hits);
			}
			n++;
		}
		k = next;
		prev = &k;
	}
	if (json) {
		sg_json_print(arr);
		json_object_put(arr);
	} else {
		printf("%u prefix%s\n", n, n == 1 ? "" : "es");
	}
	return SG_EXIT_OK;
}

static int sg_learned_list(struct sg_view *v, bool json)
{
	struct sg_learned_src *l = NULL;
	__u64 now = sg_coarse_now_ns();
	struct json_object *arr;
	size_t n;

	if (sg_learned_read(v->pins, &v->cfg, now, &l, &n))
		return SG_EXIT_FAIL;
	arr = json ? json_object_new_array() : NULL;
	if (!json)
		printf("%-44s %10s %12s\n", "SOURCE", "AGE", "EXPIRES IN");
	for (size_t i = 0; i < n; i++) {
		double age = now > l[i].seen_ns ? (double)(now - l[i].seen_ns) / 1e9 : 0;
		double left = v->cfg.learn_s > age ? v->cfg.learn_s - age : 0;
		char buf[64];

		sg_prefix_format(&l[i].k, buf, sizeof(buf));
		if (json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "prefix", json_object_new_string(buf));
			json_object_object_add(o, "age_s", json_object_new_double(age));
			json_object_object_add(o, "expires_s", json_object_new_double(left));
			json_object_array_add(arr, o);
		} else {
			printf("%-44s %9.0fs %11.0fs\n", buf, age, left);
		}
	}
	if (json) {
		sg_json_print(arr);
		json_object_put(arr);
	} else {
		printf("%zu learned source%s (learn.time %us)\n", n, n == 1 ? "" : "s",
		       v->cfg.learn_s);
	}
	free(l);
	return SG_EXIT_OK;
}

/* ---- deny add: the operator's own way in ---------------------------------------------- */
/* The clients of this host's management sessions, which a deny of their
 * prefix would cut once the session's port is protected: the client of
 * the CLI's own SSH session (SSH_CONNECTION "CLIENT CPORT SERVER SPORT"),
 * and the remote end of every established TCP session to the sshd port
 * (22, and SPORT). */
#define SG_MGMT_MAX 64
struct sg_mgmt {
	struct sg_src_key peer[SG_MGMT_MAX];
	bool from_env[SG_MGMT_MAX]; /* SSH_CONNECTION, not inet_diag       */
	size_t n;
	__u16 ports[2]; /* the sshd ports looked at            */
};

static void sg_mgmt_add(struct sg_mgmt *g, int af, const void *addr, bool env)
{
	const __u32 *a = addr;

	if (g->n >= SG_MGMT_MAX)
		return;
	/* an IPv4 client of an IPv6 socket arrives as ::ffff:a.b.c.d */
	if (af == AF_INET6 && !a[0] && !a[1] && a[2] == htonl(0xffff))
		sg_prefix_of(&g->peer[g->n], 4, &a[3], 32);
	else
		sg_prefix_of(&g->peer[g->n], af == AF_INET6 ? 6 : 4, a, af == AF_INET6 ? 128 : 32);
	g->from_env[g->n++] = env;
}

static void sg_mgmt_diag(const struct inet_diag_msg *m, void *arg)
{
	struct sg_mgmt *g = arg;
	__u16 sport = ntohs(m->id.idiag_sport);

	if (sport == g->ports[0] || sport == g->ports[1])
		sg_mgmt_add(g, m->idiag_family, m->id.idiag_dst, false);
}

static void sg_mgmt_read(struct sg_mgmt *g)
{
	const char *env = getenv("SSH_CONNECTION");
	char client[INET6_ADDRSTRLEN + 1];
	unsigned int cport, sport;
	struct sg_diag_req q = {};
	__u32 a[4] = { 0 };

	memset(g, 0, sizeof(*g));
	g->ports[0] = g->ports[1] = 22;
	if (env && sscanf(env, "%46s %u %*s %u", client, &cport, &sport) == 3) {
		if (inet_pton(AF_INET, client, a) == 1)
			sg_mgmt_add(g, AF_INET, a, true);
		else if (inet_pton(AF_INET6, client, a) == 1)
			sg_mgmt_add(g, AF_INET6, a, true);
		if (sport && sport <= 65535)
			g->ports[1] = (__u16)sport;
	}
	/* the kernel filters by port: a busy host's other connections are
	 * not copied; best effort (no inet_diag, e.g. in a restricted
	 * container: SSH_CONNECTION alone) */
	q.states = 1u << TCP_ESTABLISHED;
	q.ports[q.nports++] = g->ports[0];
	if (g->ports[1] != g->ports[0])
		q.ports[q.nports++] = g->ports[1];
	sg_diag_dump(&q, sg_mgmt_diag, g);
}

/* true, with one line naming --force, when denying p would drop every
 * source or a management session's client; pbuf is p formatted. */
static bool sg_deny_locks_out(const struct sg_src_key *p, const char *pbuf)
{
	static struct sg_mgmt g;
	static bool read;
	struct sg_src_key m;
	char a[INET6_ADDRSTRLEN];

	if (!p->plen) {
		sg_err("deny %s would drop TCP from every source to the protected ports: add --force if that is meant",
		       pbuf);
		return true;
	}
	if (!read) {
		sg_mgmt_read(&g);
		read = true;
	}
	for (size_t i = 0; i < g.n; i++) {
		if (g.peer[i].family != p->family)
			continue;
		sg_prefix_of(&m, p->family, g.peer[i].addr, p->plen);
		if (memcmp(&m, p, sizeof(m)))
			continue;
		sg_addr_format(a, sizeof(a), g.peer[i].family, g.peer[i].addr);
		sg_err("deny %s holds %s, the client of %s: it loses this host once that port is protected; add --force if that is meant",
		       pbuf, a,
		       g.from_env[i] ? "this SSH session (SSH_CONNECTION)"
				     : "an established session to the sshd port");
		return true;
	}
	return false;
}

bool sg_deny_adds_lockout(const struct sg_plist *old, const struct sg_plist *new)
{
	char buf[INET6_ADDRSTRLEN + 8];

	for (__u32 i = 0; i < new->n; i++) {
		if (sg_plist_has(old, &new->p[i]))
			continue;
		sg_prefix_format(&new->p[i], buf, sizeof(buf));
		if (sg_deny_locks_out(&new->p[i], buf))
			return true;
	}
	return false;
}

int sg_cmd_policy(struct sg_view *v, const struct sg_policy_cmd *pc)
{
	enum sg_action act = pc->act;
	const char *op = pc->op;
	char **args = pc->args;
	int nargs = pc->nargs;
	bool learned = pc->learned, json = pc->json;
	static struct sg_settings old, new;
	const char *name = sg_action_name(act);
	struct sg_plist *mine = act == SG_ACT_ALLOW ? &new.allow : &new.deny;
	struct sg_plist *other = act == SG_ACT_ALLOW ? &new.deny : &new.allow;
	bool add = !strcmp(op, "add");
	char err[256], buf[64];

	if (learned && (act != SG_ACT_ALLOW || (strcmp(op, "list") && strcmp(op, "flush")))) {
		sg_err("--learned goes with synguard allow list or allow flush");
		return SG_EXIT_USAGE;
	}
	if (!strcmp(op, "list") || !strcmp(op, "flush")) {
		if (nargs) {
			sg_err("%s %s takes no prefixes", name, op);
			return SG_EXIT_USAGE;
		}
	} else if (!add && strcmp(op, "del")) {
		sg_err("unknown %s command '%s': use add, del, list or flush", name, op);
		return SG_EXIT_USAGE;
	} else if (!nargs) {
		sg_err("%s %s needs prefixes (198.18.0.0/15, 2001:db8::/32)", name, op);
		return SG_EXIT_USAGE;
	}
	if (!strcmp(op, "list"))
		return learned ? sg_learned_list(v, json) : sg_policy_list(v, act, json);
	if (learned) {
		size_t removed;

		if (sg_learned_flush(v->pins, &removed))
			return SG_EXIT_FAIL;
		printf("%s: %zu learned source%s removed\n", v->pins->iface, removed,
		       removed == 1 ? "" : "s");
		return SG_EXIT_OK;
	}
	if (sg_settings_read(v->pins, &old))
		return SG_EXIT_FAIL;
	new = old;
	if (!strcmp(op, "flush"))
		memset(mine, 0, sizeof(*mine));
	for (int i = 0; i < nargs; i++) {
		struct sg_src_key p;

		if (sg_prefix_parse(args[i], &p, err, sizeof(err))) {
			sg_err("%s", err);
			return SG_EXIT_USAGE;
		}
		sg_prefix_format(&p, buf, sizeof(buf));
		if (add && act == SG_ACT_DENY && !pc->force && sg_deny_locks_out(&p, buf))
			return SG_EXIT_USAGE;
		if (add && sg_plist_has(other, &p)) {
			sg_err("%s is in the %s list: synguard %s del %s first", buf,
			       act == SG_ACT_ALLOW ? "deny" : "allow",
			       act == SG_ACT_ALLOW ? "deny" : "allow", buf);
			return SG_EXIT_USAGE;
		}
		if (add ? sg_plist_add(mine, &p) < 0 : sg_plist_del(mine, &p) < 0) {
			sg_err("the %s list holds at most %d prefixes", name, SG_PLIST_MAX);
			return SG_EXIT_USAGE;
		}
	}
	if (sg_settings_write(v->pins, &old, &new))
		return SG_EXIT_FAIL;
	if (!strcmp(op, "flush")) {
		printf("%s: %s list: %u prefix%s removed\n", v->pins->iface, name,
		       act == SG_ACT_ALLOW ? old.allow.n : old.deny.n,
		       (act == SG_ACT_ALLOW ? old.allow.n : old.deny.n) == 1 ? "" : "es");
		return SG_EXIT_OK;
	}
	for (int i = 0; i < nargs; i++) {
		const struct sg_plist *was = act == SG_ACT_ALLOW ? &old.allow : &old.deny;
		struct sg_src_key p;

		sg_prefix_parse(args[i], &p, err, sizeof(err));
		sg_prefix_format(&p, buf, sizeof(buf));
		printf("%s: %s %s %s\n", v->pins->iface, name, buf,
		       add ? (sg_plist_has(was, &p) ? "already listed" : "added")
			   : (sg_plist_has(was, &p) ? "removed" : "was not listed"));
	}
	return SG_EXIT_OK;
}

/* ---- synguard top -------------------------------------------------------------------- */
#define SG_TOP_CT_CAP 4096

int sg_cmd_top(struct sg_view *v, unsigned int n, bool json)
{
	const struct sg_budget_cfg *b = &v->cfg.budget[SG_BUDGET_syn];
	struct sg_top_src *hs = NULL;
	struct sg_top_ct *cs = NULL;
	size_t nh = 0, nc = 0;
	__u64 now = sg_coarse_now_ns(), walked = 0;
	double window = (double)(1ull << SG_SKETCH_EPOCH_SHIFT) / 1e9;
	char buf[64];

	if (sg_hitters_read(v->pins, now, &hs, &nh) ||
	    sg_ct_top(v->pins, &v->cfg, b->prefix4, b->prefix6, SG_TOP_CT_CAP, &cs, &nc, &walked)) {
		free(hs);
		return SG_EXIT_FAIL;
	}
	if (json) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();

		json_object_object_add(o, "iface", json_object_new_string(v->pins->iface));
		json_object_object_add(o, "threshold", json_object_new_int64(v->cfg.top_threshold));
		json_object_object_add(o, "window_s", json_object_new_double(window));
		for (size_t i = 0; i < nh && i < n; i++) {
			struct json_object *x = json_object_new_object();

			sg_prefix_format(&hs[i].k, buf, sizeof(buf));
			json_object_object_add(x, "prefix", json_object_new_string(buf));
			json_object_object_add(x, "syns",
					       json_object_new_int64((int64_t)hs[i].syns));
			json_object_object_add(x, "syn_rate",
					       json_object_new_double((double)hs[i].syns / window));
			json_object_object_add(
				x, "seen_ago_s",
				json_object_new_double(now > hs[i].seen_ns
							       ? (double)(now - hs[i].seen_ns) / 1e9
							       : 0));
			json_object_array_add(a, x);
		}
		json_object_object_add(o, "syn_sources", a);
		a = json_object_new_array();
		for (size_t i = 0; i < nc && i < n; i++) {
			struct json_object *x = json_object_new_object();

			sg_prefix_format(&cs[i].k, buf, sizeof(buf));
			json_object_object_add(x, "prefix", json_object_new_string(buf));
			json_object_object_add(x, "entries",
					       json_object_new_int64((int64_t)cs[i].entries));
			json_object_object_add(x, "embryonic",
					       json_object_new_int64((int64_t)cs[i].embryonic));
			json_object_object_add(x, "max_error",
					       json_object_new_int64((int64_t)cs[i].error));
			json_object_array_add(a, x);
		}
		json_object_object_add(o, "tracked", a);
		json_object_object_add(o, "tracked_walked", json_object_new_int64((int64_t)walked));
		sg_json_print(o);
		json_object_put(o);
	} else {
		printf("%s: SYN sources over top.threshold (%u SYNs a %.2f s window, per CPU) in the last %u s\n",
		       v->pins->iface, v->cfg.top_threshold, window, SG_TOP_RECENT_S);
		printf("%-44s %12s %10s %10s\n", "PREFIX", "SYNS/WINDOW", "SYN/S", "SEEN");
		for (size_t i = 0; i < nh && i < n; i++) {
			sg_prefix_format(&hs[i].k, buf, sizeof(buf));
			printf("%-44s %12llu %10.0f %9.1fs\n", buf, (unsigned long long)hs[i].syns,
			       (double)hs[i].syns / window,
			       now > hs[i].seen_ns ? (double)(now - hs[i].seen_ns) / 1e9 : 0);
		}
		if (!nh)
			printf("(none%s)\n", v->cfg.top_threshold ? "" : ": top.threshold is 0");
		printf("\nremote prefixes holding most tracked connections (%llu walked)\n",
		       (unsigned long long)walked);
		printf("%-44s %12s %10s\n", "PREFIX", "TRACKED", "EMBRYONIC");
		for (size_t i = 0; i < nc && i < n; i++) {
			sg_prefix_format(&cs[i].k, buf, sizeof(buf));
			printf("%-44s %12llu %10llu%s\n", buf, (unsigned long long)cs[i].entries,
			       (unsigned long long)cs[i].embryonic,
			       cs[i].error ? " (approx.)" : "");
		}
		if (!nc)
			printf("(none)\n");
	}
	free(hs);
	free(cs);
	return SG_EXIT_OK;
}
