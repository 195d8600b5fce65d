// SPDX-License-Identifier: GPL-2.0
/* synguard: status, stats, conns, set, allow, deny, events, top, tune —
 * from the pinned maps; detach removes what a daemon left.
 *
 * One table holds the commands: each row is the command's name, its
 * positional arguments, its help, its options and its handler. Parsing,
 * `synguard help [COMMAND]`, COMMAND --help and the command list all read
 * it; main() only finds the row and calls it. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libsynguard.h"
#include "libsg_explain.h"
#include "libsg_filter.h"
#include "libsg_state.h"

struct cli;
/* What a command needs before its handler runs. */
enum cli_needs {
	CLI_PINS,         /* an interface's pinned maps (the view)            */
	CLI_PINS_OR_NONE, /* the same, or none when synguard is not here     */
	CLI_NOTHING,      /* the handler finds what it needs itself          */
};
/* Its positional arguments. */
enum cli_args { CLI_NO_ARGS, CLI_SOME_ARGS, CLI_ANY_ARGS };

struct cli_cmd {
	struct sg_cmd use; /* name, arguments, help, options       */
	const char *brief; /* one line for the command list        */
	int (*run)(struct cli *c, struct sg_view *v);
	enum cli_needs needs;
	enum cli_args args;
	const char *args_hint; /* what to give when CLI_SOME_ARGS lacks */
	unsigned int caps;     /* SG_CAPS_*; 0: none                    */
};

struct cli {
	const struct cli_cmd *cmd;
	const char *iface;
	const char *bpffs;
	bool json, learned, apply, persist, force, all;
	struct sg_filter filter;
	unsigned long watch, top;
	char **args; /* the positional arguments              */
	int nargs;
};

static int run_status(struct cli *c, struct sg_view *v);
static int run_stats(struct cli *c, struct sg_view *v);
static int run_conns(struct cli *c, struct sg_view *v);
static int run_set(struct cli *c, struct sg_view *v);
static int run_policy(struct cli *c, struct sg_view *v);
static int run_explain(struct cli *c, struct sg_view *v);
static int run_events(struct cli *c, struct sg_view *v);
static int run_top(struct cli *c, struct sg_view *v);
static int run_tune(struct cli *c, struct sg_view *v);
static int run_detach(struct cli *c, struct sg_view *v);
static int run_help(struct cli *c, struct sg_view *v);

#define CLI_COMMON SG_OPT_IFACE, SG_OPT_BPFFS
static const int status_opts[] = { CLI_COMMON, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int stats_opts[] = {
	CLI_COMMON, SG_OPT_JSON, SG_OPT_WATCH, SG_OPT_ALL, SG_OPT_HELP, 0
};
static const int conns_opts[] = { CLI_COMMON, SG_OPT_STATE, SG_OPT_SPORT, SG_OPT_DPORT, SG_OPT_PORT,
				  SG_OPT_SRC, SG_OPT_DST,   SG_OPT_JSON,  SG_OPT_HELP,  0 };
static const int set_opts[] = { CLI_COMMON, SG_OPT_FORCE, SG_OPT_HELP, 0 };
static const int allow_opts[] = { CLI_COMMON, SG_OPT_LEARNED, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int deny_opts[] = { CLI_COMMON, SG_OPT_FORCE, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int explain_opts[] = { CLI_COMMON, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int events_opts[] = { CLI_COMMON,   SG_OPT_SRC,   SG_OPT_DST,
				   SG_OPT_SPORT, SG_OPT_DPORT, SG_OPT_PORT,
				   SG_OPT_JSON,  SG_OPT_HELP,  0 };
static const int top_opts[] = {
	CLI_COMMON, SG_OPT_TOP_N, SG_OPT_WATCH, SG_OPT_JSON, SG_OPT_HELP, 0
};
static const int tune_opts[] = {
	CLI_COMMON, SG_OPT_WATCH, SG_OPT_APPLY, SG_OPT_PERSIST, SG_OPT_JSON, SG_OPT_HELP, 0
};
static const int detach_opts[] = { CLI_COMMON, SG_OPT_HELP, 0 };
static const int help_opts[] = { SG_OPT_HELP, 0 };

static const struct cli_cmd cmds[] = {
	{ { "status", NULL,
	    "Attached programs, mode, protected ports, secret age, table sizes,\n"
	    " timeouts, and whether synguardd is running.",
	    status_opts },
	  "attached programs, mode, ports, tables, daemon alive?",
	  run_status,
	  CLI_PINS,
	  CLI_NO_ARGS,
	  NULL,
	  SG_CAPS_CLI },
	{ { "stats", NULL,
	    "Connections per TCP state (an in-kernel walk of the tables), the\n"
	    " event counters that moved (--all: every one), and per-port counters.",
	    stats_opts },
	  "per-state gauges, event and per-port counters",
	  run_stats,
	  CLI_PINS,
	  CLI_NO_ARGS,
	  NULL,
	  SG_CAPS_CLI },
	{ { "conns", "[list | delete | flush]",
	    "Tracked connections, sorted by family, local and remote endpoint, as\n"
	    " ss filters them: --sport/--src are the local side, --dport/--dst the\n"
	    " remote side. delete removes the entries the filter selects from the\n"
	    " tracker (as conntrack -D), flush every entry (conntrack -F); both\n"
	    " print how many. The kernel's sockets are not touched.",
	    conns_opts },
	  "tracked connections; delete or flush tracker entries",
	  run_conns,
	  CLI_PINS,
	  CLI_ANY_ARGS,
	  NULL,
	  SG_CAPS_CLI },
	{ { "set", "KEY=VALUE...",
	    "Change settings live, in the pinned maps, whether synguardd runs or not\n"
	    " (all are checked before any is written; VALUE \"default\" restores the\n"
	    " default). Settings marked reload or start belong in the config file.\n"
	    " A deny.prefixes that adds a lockout is refused as deny add refuses it,\n"
	    " without --force.",
	    set_opts },
	  "change settings live: KEY=VALUE...",
	  run_set,
	  CLI_PINS,
	  CLI_SOME_ARGS,
	  "KEY=VALUE arguments",
	  SG_CAPS_CLI },
	{ { "allow", "add|del PREFIX... | list | flush",
	    "The allow list: SYNs from these prefixes skip the SYN budget and cookie\n"
	    " mode. With --learned, list or flush the learned sources instead (sources\n"
	    " that completed a handshake skip cookie mode for learn.time seconds).\n"
	    " Several prefixes may share an argument: \"198.18.0.0/24, 198.18.1.0/24\".",
	    allow_opts },
	  "allow list (add|del|list|flush), learned sources (--learned)",
	  run_policy,
	  CLI_PINS,
	  CLI_SOME_ARGS,
	  "add, del, list or flush",
	  SG_CAPS_CLI },
	{ { "deny", "add|del PREFIX... | list | flush",
	    "The deny list: every TCP segment from these prefixes to a protected port\n"
	    " is dropped at XDP. add refuses, without --force, a prefix of every\n"
	    " source (0.0.0.0/0, ::/0) and one holding the client of this host's SSH\n"
	    " session (SSH_CONNECTION, established sessions to port 22).",
	    deny_opts },
	  "deny list (add|del|list|flush)",
	  run_policy,
	  CLI_PINS,
	  CLI_SOME_ARGS,
	  "add, del, list or flush",
	  SG_CAPS_CLI },
	{ { "explain", "ADDR[:PORT]",
	    "What synguard would do now with a SYN and with an ACK from ADDR (to\n"
	    " PORT): allowed or denied and by which prefix, the SYN budget's tokens\n"
	    " left, learned or not, cookie mode, which counter would move; and what\n"
	    " it holds of ADDR (tracker entries, heavy-hitter record). IPv6 with a\n"
	    " port: [ADDR]:PORT.",
	    explain_opts },
	  "why a client can or cannot connect: ADDR[:PORT]",
	  run_explain,
	  CLI_PINS,
	  CLI_SOME_ARGS,
	  "ADDR[:PORT]",
	  SG_CAPS_CLI },
	{ { "events", NULL,
	    "Sampled decisions, live, one line (or JSON object) each, until ^C: the\n"
	    " time, what was done (\"would\" in shadow mode) and why, addresses,\n"
	    " ports, TCP flags. At most events.rate a second; sampling runs only\n"
	    " while a reader is there. --src/--sport are the packet's source.",
	    events_opts },
	  "sampled decisions, live",
	  run_events,
	  CLI_PINS,
	  CLI_NO_ARGS,
	  NULL,
	  SG_CAPS_CLI },
	{ { "top", NULL,
	    "Heavy hitters: the source prefixes sending most SYNs (past\n"
	    " top.threshold), and the remote prefixes holding most tracked\n"
	    " connections. -w redraws it every SECONDS.",
	    top_opts },
	  "heavy hitters: SYN sources, prefixes holding connections",
	  run_top,
	  CLI_PINS,
	  CLI_NO_ARGS,
	  NULL,
	  SG_CAPS_CLI },
	{ { "tune", NULL,
	    "Recommended values of the TCP sysctls, each with its reason, from what\n"
	    " is observed over SECONDS: synguard's gauges and the kernel's counters.\n"
	    " --apply writes them in this network namespace; --persist also keeps\n"
	    " them in /etc/sysctl.d/90-synguard.conf. Works without synguard\n"
	    " too (the kernel's counters alone).",
	    tune_opts },
	  "TCP sysctl advice from what is observed; --apply, --persist",
	  run_tune,
	  CLI_PINS_OR_NONE,
	  CLI_NO_ARGS,
	  NULL,
	  SG_CAPS_CLI },
	{ { "detach", NULL,
	    "Remove what synguardd left on the interface when it is not running:\n"
	    " XDP, then the TC links, then every pin, and the cookie secrets a\n"
	    " plain stop keeps for the next daemon. -i is required. The full\n"
	    " teardown; also what resizing the tables (ct_size) needs.",
	    detach_opts },
	  "remove XDP, TC and pins a stopped daemon left",
	  run_detach,
	  CLI_NOTHING,
	  CLI_NO_ARGS,
	  NULL,
	  SG_CAPS_DETACH },
	{ { "help", "[COMMAND]", "Show help for a command.", help_opts },
	  "help for a command",
	  run_help,
	  CLI_NOTHING,
	  CLI_ANY_ARGS,
	  NULL,
	  0 },
};
#define CLI_NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < CLI_NCMDS; i++)
		if (!strcmp(name, cmds[i].use.name))
			return &cmds[i];
	return NULL;
}

static void unknown_cmd(const char *name)
{
	char list[256] = "";

	for (size_t i = 0; i < CLI_NCMDS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? (i + 1 == CLI_NCMDS ? " or " : ", ") : "", cmds[i].use.name);
	sg_err("unknown command '%s': use %s", name, list);
}

/* `synguard help set`: the usage, then every setting from the table. */
static void usage_cmd(FILE *f, const struct cli_cmd *k)
{
	sg_usage(f, "synguard", &k->use);
	if (k->run != run_set)
		return;
	fprintf(f, "Settings (in the config file, \"a.b\" is \"b\" in section [a]):\n");
	sg_settings_for_each(st)
	{
		char desc[256];

		sg_setting_describe(st, desc, sizeof(desc));
		fprintf(f, " %-20s %s (%s)\n %-20s %s\n", st->key, desc, sg_when_name(st->when), "",
			st->help);
	}
}

static void usage_all(FILE *f)
{
	fprintf(f, "Usage: synguard COMMAND [options]\n\nCommands:\n");
	for (size_t i = 0; i < CLI_NCMDS; i++)
		fprintf(f, " %-8s %s\n", cmds[i].use.name, cmds[i].brief);
	fprintf(f, "\nUse 'synguard COMMAND --help' or 'synguard help COMMAND' for its options;\n"
		   "'synguard --version' prints the version and build id.\n");
}

static int opt_filter(struct cli *c, int id, const char *arg)
{
	struct sg_filter *f = &c->filter;
	char err[400];

	switch (id) {
	case SG_OPT_STATE:
		if (sg_state_list_parse(arg, &f->states, err, sizeof(err))) {
			sg_err("%s", err);
			return SG_EXIT_USAGE;
		}
		return 0;
	case SG_OPT_SPORT:
		return sg_filter_port("--sport", arg, &f->sport) ? SG_EXIT_USAGE : 0;
	case SG_OPT_DPORT:
		return sg_filter_port("--dport", arg, &f->dport) ? SG_EXIT_USAGE : 0;
	case SG_OPT_PORT:
		return sg_filter_port("--port", arg, &f->port) ? SG_EXIT_USAGE : 0;
	case SG_OPT_SRC:
		f->has_src = true;
		return sg_filter_prefix("--src", arg, &f->src) ? SG_EXIT_USAGE : 0;
	case SG_OPT_DST:
		f->has_dst = true;
		return sg_filter_prefix("--dst", arg, &f->dst) ? SG_EXIT_USAGE : 0;
	}
	return SG_EXIT_USAGE;
}

static int opt_cb(int id, const char *arg, void *data)
{
	struct cli *c = data;

	switch (id) {
	case SG_OPT_IFACE:
		return sg_iface_arg(arg, &c->iface);
	case SG_OPT_BPFFS:
		c->bpffs = arg;
		return 0;
	case SG_OPT_JSON:
		c->json = true;
		return 0;
	case SG_OPT_WATCH:
		return sg_parse_uint("-w", arg, 1, 86400, &c->watch) ? SG_EXIT_USAGE : 0;
	case SG_OPT_LEARNED:
		c->learned = true;
		return 0;
	case SG_OPT_APPLY:
		c->apply = true;
		return 0;
	case SG_OPT_PERSIST:
		c->persist = true;
		return 0;
	case SG_OPT_FORCE:
		c->force = true;
		return 0;
	case SG_OPT_ALL:
		c->all = true;
		return 0;
	case SG_OPT_TOP_N:
		return sg_parse_uint("-n", arg, 1, 100000, &c->top) ? SG_EXIT_USAGE : 0;
	case SG_OPT_HELP:
		usage_cmd(stdout, c->cmd);
		exit(SG_EXIT_OK);
	}
	return opt_filter(c, id, arg);
}

/* ---- handlers --------------------------------------------------------------------- */
static int run_status(struct cli *c, struct sg_view *v)
{
	return sg_cmd_status(v, c->json);
}

static int run_stats(struct cli *c, struct sg_view *v)
{
	return c->watch ? sg_cmd_stats_watch(v, (unsigned int)c->watch, c->json)
			: sg_cmd_stats(v, c->json, c->all);
}

/* conns delete FILTER | conns flush: conntrack -D / -F */
static int run_conns_delete(struct cli *c, struct sg_view *v, bool flush)
{
	struct sg_conn *cv = NULL;
	size_t n = 0, removed;
	int ret;

	if (flush && sg_filter_narrows(&c->filter)) {
		sg_err("conns flush removes every entry: use conns delete with a filter");
		return SG_EXIT_USAGE;
	}
	if (!flush && !sg_filter_narrows(&c->filter)) {
		sg_err("conns delete needs a filter (--state, --sport, --dport, --port, --src, --dst); conns flush removes every entry");
		return SG_EXIT_USAGE;
	}
	if (sg_conns_read(v->pins, &v->cfg, &cv, &n))
		return SG_EXIT_FAIL;
	ret = sg_conns_delete(v->pins, cv, n, &c->filter, &removed);
	free(cv);
	if (ret)
		return SG_EXIT_FAIL;
	printf("%s: %zu tracked connection%s removed\n", v->pins->iface, removed,
	       removed == 1 ? "" : "s");
	return SG_EXIT_OK;
}

static int run_conns(struct cli *c, struct sg_view *v)
{
	const char *op = c->nargs ? c->args[0] : "list";

	if (c->nargs > 1) {
		sg_err("unexpected argument '%s': filters are options (see synguard help conns)",
		       c->args[1]);
		return SG_EXIT_USAGE;
	}
	if (!strcmp(op, "list"))
		return sg_cmd_conns(v, &c->filter, c->json);
	if (!strcmp(op, "delete") || !strcmp(op, "flush"))
		return run_conns_delete(c, v, !strcmp(op, "flush"));
	sg_err("unknown conns command '%s': use list, delete or flush", op);
	return SG_EXIT_USAGE;
}

static const struct sg_setting *kv_setting(const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[64];

	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - kv) : 63, kv);
	return sg_setting_find(key);
}

/* A setting set aside for the config file: why `set` cannot change it. */
static bool set_refused(const struct sg_setting *st, const char *iface)
{
	if (st && st->when == SG_RELOAD) {
		sg_err("%s is read when synguardd starts or reloads: put it in the config file and reload (systemctl reload synguardd@%s, or kill -HUP the daemon)",
		       st->key, iface);
		return true;
	}
	if (st && st->when == SG_START) {
		sg_err("%s is fixed once the tables exist: stop synguardd, run synguard detach -i %s, start it with the new value",
		       st->key, iface);
		return true;
	}
	return false;
}

/* A change made live goes into the interface's state file too, which
 * synguardd applies when it starts and reloads; the output says whether
 * it got there. A change that was made but not saved is still a success. */
static int save_state(struct sg_view *v, const struct sg_setting *const *keys, int n,
		      const struct sg_setting *const *forget, int nforget,
		      const struct sg_settings *now)
{
	char err[400], path[PATH_MAX];

	if (sg_state_path(path, sizeof(path), v->pins->iface, err, sizeof(err)) ||
	    sg_state_save(v->pins->iface, now, keys, n, forget, nforget, err, sizeof(err)))
		printf("%s: not saved (%s): lost when synguardd restarts or reloads; put it in the config file\n",
		       v->pins->iface, err);
	else
		printf("%s: saved in %s: survives a restart and a reload of synguardd\n",
		       v->pins->iface, path);
	return SG_EXIT_OK;
}

/* KEY=VALUE...: all checked against the settings table before any is
 * written; only what changes is written, field by field. */
static int run_set(struct cli *c, struct sg_view *v)
{
	static struct sg_settings old, new;
	const struct sg_setting *keys[SG_SETTINGS_MAX], *forget[SG_SETTINGS_MAX];
	int nkeys = 0, nforget = 0;
	char err[400], a[256], b[256];

	if (sg_settings_read(v->pins, &old))
		return SG_EXIT_FAIL;
	new = old;
	if (c->nargs > SG_SETTINGS_MAX) {
		sg_err("set takes at most %d KEY=VALUE arguments", SG_SETTINGS_MAX);
		return SG_EXIT_USAGE;
	}
	for (int i = 0; i < c->nargs; i++) {
		keys[i] = kv_setting(c->args[i]);
		if (set_refused(keys[i], v->pins->iface))
			return SG_EXIT_USAGE;
		if (sg_settings_kv(&new, NULL, 0, c->args[i], err, sizeof(err))) {
			sg_err("%s", err);
			return SG_EXIT_USAGE;
		}
	}
	if (sg_settings_check(&new, NULL, err, sizeof(err))) {
		sg_err("%s", err);
		return SG_EXIT_USAGE;
	}
	/* the deny list set whole gets deny add's lockout check */
	if (!c->force && sg_deny_adds_lockout(&old.deny, &new.deny))
		return SG_EXIT_USAGE;
	if (sg_settings_write(v->pins, &old, &new))
		return SG_EXIT_FAIL;
	sg_settings_for_each(st)
	{
		bool named = false;

		for (int i = 0; i < c->nargs; i++)
			named |= kv_setting(c->args[i]) == st;
		if (!named)
			continue;
		sg_setting_format(st, &old, a, sizeof(a));
		sg_setting_format(st, &new, b, sizeof(b));
		if (strcmp(a, b))
			printf("%s: %s %s -> %s\n", v->pins->iface, st->key, a, b);
		else
			printf("%s: %s %s (unchanged)\n", v->pins->iface, st->key, a);
	}
	if (v->daemon_pid <= 0 && new.cfg.mode == SG_MODE_AUTO)
		printf("%s: daemon not running: auto mode switches only while it runs\n",
		       v->pins->iface);
	/* KEY=default hands the setting back to the config file */
	for (int i = 0; i < c->nargs; i++) {
		const char *eq = strchr(c->args[i], '=');

		if (eq && !strcmp(eq + 1, "default"))
			forget[nforget++] = keys[i];
		else
			keys[nkeys++] = keys[i];
	}
	return save_state(v, keys, nkeys, forget, nforget, &new);
}

/* "a, b" and "a,b c": one word per prefix, as the config file takes them.
 * The words point into a copy of the arguments that lives until exit. */
static int split_prefixes(char **args, int nargs, char ***out)
{
	char **words = NULL;
	int n = 0;

	for (int i = 0; i < nargs; i++) {
		char *save = NULL, *copy = strdup(args[i]);

		if (!copy) {
			sg_err("out of memory");
			exit(SG_EXIT_FAIL);
		}
		for (char *w = strtok_r(copy, ", \t", &save); w;
		     w = strtok_r(NULL, ", \t", &save)) {
			char **more = realloc(words, sizeof(*words) * (size_t)(n + 1));

			if (!more) {
				sg_err("out of memory");
				exit(SG_EXIT_FAIL);
			}
			words = more;
			words[n++] = w;
		}
	}
	*out = words;
	return n;
}

static int run_policy(struct cli *c, struct sg_view *v)
{
	struct sg_policy_cmd pc = {
		.act = !strcmp(c->cmd->use.name, "allow") ? SG_ACT_ALLOW : SG_ACT_DENY,
		.op = c->args[0],
		.learned = c->learned,
		.json = c->json,
		.force = c->force,
	};
	static struct sg_settings now;
	const struct sg_setting *key;
	int ret;

	pc.nargs = split_prefixes(c->args + 1, c->nargs - 1, &pc.args);
	ret = sg_cmd_policy(v, &pc);
	free(pc.args);
	if (ret || c->learned ||
	    (strcmp(pc.op, "add") && strcmp(pc.op, "del") && strcmp(pc.op, "flush")))
		return ret;
	if (sg_settings_read(v->pins, &now))
		return SG_EXIT_FAIL;
	key = sg_setting_find(pc.act == SG_ACT_ALLOW ? "allow.prefixes" : "deny.prefixes");
	return save_state(v, &key, 1, NULL, 0, &now);
}

static int run_explain(struct cli *c, struct sg_view *v)
{
	if (c->nargs > 1) {
		sg_err("explain takes one ADDR[:PORT] (see synguard help explain)");
		return SG_EXIT_USAGE;
	}
	return sg_cmd_explain(v, c->args[0], c->json);
}

static int run_events(struct cli *c, struct sg_view *v)
{
	return sg_cmd_events(v, &c->filter, c->json);
}

static volatile sig_atomic_t top_stop;

static void top_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* top -w: redrawn in place every SECONDS on a terminal (one report after
 * another when piped), until ^C. */
static int run_top(struct cli *c, struct sg_view *v)
{
	struct sigaction sa = { .sa_handler = top_signal };
	unsigned int n = c->top ? (unsigned int)c->top : 10;
	bool tty = isatty(STDOUT_FILENO);
	int ret;

	if (!c->watch)
		return sg_cmd_top(v, n, c->json);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!top_stop) {
		if (tty && !c->json)
			fputs("\033[H\033[2J", stdout);
		ret = sg_cmd_top(v, n, c->json);
		fflush(stdout);
		if (ret)
			return ret;
		for (unsigned long s = 0; s < c->watch && !top_stop; s++)
			sleep(1);
		if (!tty && !c->json && !top_stop)
			putchar('\n');
	}
	return SG_EXIT_OK;
}

static int run_tune(struct cli *c, struct sg_view *v)
{
	struct sg_tune_cmd tc = { c->watch ? (unsigned int)c->watch : 2, c->apply, c->persist,
				  c->json };

	if (c->persist && !c->apply) {
		sg_err("--persist keeps what --apply writes: give both (see synguard help tune)");
		return SG_EXIT_USAGE;
	}
	return sg_cmd_tune(v, &tc);
}

static int run_detach(struct cli *c, struct sg_view *v)
{
	(void)v;
	if (!c->iface) {
		sg_err("detach needs -i IFACE");
		return SG_EXIT_USAGE;
	}
	return sg_detach_iface(c->bpffs, c->iface);
}

static int run_help(struct cli *c, struct sg_view *v)
{
	const struct cli_cmd *k;

	(void)v;
	if (!c->nargs) {
		usage_all(stdout);
		return SG_EXIT_OK;
	}
	k = find_cmd(c->args[0]);
	if (!k) {
		unknown_cmd(c->args[0]);
		return SG_EXIT_USAGE;
	}
	usage_cmd(stdout, k);
	return SG_EXIT_OK;
}

/* ---- dispatch ---------------------------------------------------------------------- */
/* Options may come before the command (synguard -i eth0 stats): the
 * command word moves to argv[1]. */
static void command_first(int argc, char **argv)
{
	if (argc <= 2 || argv[1][0] != '-' || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return;
	for (int i = 2; i < argc; i++) {
		if (argv[i][0] != '-' && find_cmd(argv[i])) {
			char *cmd = argv[i];

			memmove(&argv[2], &argv[1], sizeof(*argv) * (size_t)(i - 1));
			argv[1] = cmd;
			return;
		}
	}
}

static int check_args(const struct cli *c)
{
	const char *name = c->cmd->use.name;

	if (c->cmd->args == CLI_NO_ARGS && c->nargs) {
		sg_err("unexpected argument '%s' (see synguard help %s)", c->args[0], name);
		return SG_EXIT_USAGE;
	}
	if (c->cmd->args == CLI_SOME_ARGS && !c->nargs) {
		sg_err("%s needs %s (see synguard help %s)", name, c->cmd->args_hint, name);
		return SG_EXIT_USAGE;
	}
	return 0;
}

static bool pins_visible(const char *bpffs, const char *iface)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", bpffs, SG_PIN_SUBDIR, iface ? iface : "");
	return !access(path, F_OK);
}

/* The pid of the one live daemon with a pidfile in this network
 * namespace's directory (its interface into iface), else 0. */
static int sole_daemon(char *iface, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int pid = 0, found = 0;
	DIR *d;

	sg_pidfile_path(dir, sizeof(dir), "", true);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char name[IF_NAMESIZE];
		int p;

		if (n <= 4 || n - 4 >= sizeof(name) || strcmp(de->d_name + n - 4, ".pid"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 4), de->d_name);
		p = sg_iface_valid(name) ? sg_daemon_pid(name) : 0;
		if (p <= 0)
			continue;
		found++;
		pid = p;
		snprintf(iface, len, "%s", name);
	}
	closedir(d);
	return found == 1 ? pid : 0;
}

/* `ip netns exec` mounts a fresh /sys, so the default bpffs there is not
 * the one a daemon pinned into (and a daemon started that way pinned into
 * a bpffs of its own mount namespace). The daemon of this network
 * namespace is found by its pidfile under /run, which both share, and its
 * pins through its root: /proc/PID/root/sys/fs/bpf. An explicit --bpffs
 * is taken as it is. */
static void follow_daemon(struct cli *c, char *bpffs, size_t n, char *iface, size_t len)
{
	int pid;

	if (strcmp(c->bpffs, SG_DEFAULT_BPFFS) || pins_visible(c->bpffs, c->iface))
		return;
	pid = c->iface ? sg_daemon_pid(c->iface) : sole_daemon(iface, len);
	if (pid <= 0)
		return;
	snprintf(bpffs, n, "/proc/%d/root%s", pid, SG_DEFAULT_BPFFS);
	if (!pins_visible(bpffs, c->iface ? c->iface : iface))
		return;
	c->bpffs = bpffs;
	if (!c->iface)
		c->iface = iface;
}

/* The pinned maps of -i IFACE, or of the one interface synguard protects
 * here: 0, else an exit code; *none when tune may go on without them. */
static int open_view(struct cli *c, struct sg_pins *pins, struct sg_view *v, char *iface,
		     size_t len, bool *none)
{
	static char bpffs[PATH_MAX];
	int ret;

	*none = false;
	follow_daemon(c, bpffs, sizeof(bpffs), iface, len);
	if (!c->iface) {
		ret = sg_pins_guess_iface(c->bpffs, iface, len, c->cmd->needs == CLI_PINS_OR_NONE);
		if (ret == -ENOENT && c->cmd->needs == CLI_PINS_OR_NONE) {
			*none = true;
			return 0;
		}
		if (ret)
			return SG_EXIT_USAGE;
		c->iface = iface;
	}
	sg_pins_init(pins, c->bpffs, c->iface);
	ret = sg_pins_open(pins);
	if (ret)
		return sg_exit_code(ret);
	v->pins = pins;
	v->daemon_pid = sg_daemon_pid(c->iface);
	if (sg_config_read(pins->config_fd, &v->cfg)) {
		sg_pins_close(pins);
		return SG_EXIT_FAIL;
	}
	if (v->daemon_pid <= 0 && !c->json && c->cmd->run != run_status && c->cmd->run != run_tune)
		fprintf(stderr, "daemon: not running (reading the pinned maps of %s)\n", c->iface);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { .bpffs = SG_DEFAULT_BPFFS };
	char iface[IF_NAMESIZE];
	struct sg_pins pins;
	struct sg_view v = {};
	bool none;
	int ret;

	sg_prog = "synguard";
	sg_filter_init(&c.filter);
	command_first(argc, argv);
	if (argc == 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		sg_print_version("synguard");
		return SG_EXIT_OK;
	}
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage_all(argc < 2 ? stderr : stdout);
		return argc < 2 ? SG_EXIT_USAGE : SG_EXIT_OK;
	}
	c.cmd = find_cmd(argv[1]);
	if (!c.cmd) {
		unknown_cmd(argv[1]);
		return SG_EXIT_USAGE;
	}
	ret = sg_opts_parse(&c.cmd->use, argc - 1, argv + 1, opt_cb, &c);
	if (ret)
		return ret;
	c.args = argv + 1 + optind; /* optind counts from argv + 1 */
	c.nargs = argc - 1 - optind;
	ret = check_args(&c);
	if (ret)
		return ret;
	if (c.cmd->needs == CLI_NOTHING && !c.cmd->caps)
		return c.cmd->run(&c, NULL);

	sg_quiet_libs(false);
	if (sg_check_caps(c.cmd->caps))
		return SG_EXIT_FAIL;
	if (c.cmd->needs == CLI_NOTHING)
		return c.cmd->run(&c, NULL);
	ret = open_view(&c, &pins, &v, iface, sizeof(iface), &none);
	if (ret)
		return ret;
	if (none)
		return c.cmd->run(&c, NULL);
	ret = c.cmd->run(&c, &v);
	sg_pins_close(&pins);
	return ret;
}
