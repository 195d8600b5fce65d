// SPDX-License-Identifier: GPL-2.0
/* synguard: status, stats, conns, set, allow, deny, events, top, tune —
 * from the pinned maps; detach removes what a daemon left. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "libsynguard.h"

enum { CMD_STATUS, CMD_STATS, CMD_CONNS, CMD_SET, CMD_ALLOW, CMD_DENY, CMD_EVENTS,
       CMD_TOP, CMD_TUNE, CMD_DETACH, CMD_HELP };

static const int status_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int stats_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_JSON, SG_OPT_WATCH, SG_OPT_HELP, 0 };
static const int conns_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_STATE, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int set_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_HELP, 0 };
static const int allow_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_LEARNED, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int deny_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_FORCE, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int events_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int top_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_TOP_N, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int tune_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_WATCH, SG_OPT_APPLY, SG_OPT_PERSIST, SG_OPT_JSON, SG_OPT_HELP, 0 };
static const int detach_opts[] = { SG_OPT_IFACE, SG_OPT_BPFFS, SG_OPT_HELP, 0 };
static const int help_opts[] = { SG_OPT_HELP, 0 };

static const struct sg_cmd cmds[] = {
	[CMD_STATUS] = { "status", NULL,
		"Attached programs, mode, protected ports, secret age, table sizes,\n"
		" timeouts, and whether synguardd is running.", status_opts },
	[CMD_STATS] = { "stats", NULL,
		"Connections per TCP state (an in-kernel walk of the tables), event\n"
		" counters, and per-port counters.", stats_opts },
	[CMD_CONNS] = { "conns", NULL,
		"Tracked connections, sorted by family, local and remote endpoint.", conns_opts },
	[CMD_SET] = { "set", "KEY=VALUE...",
		"Change settings live, in the pinned maps, whether synguardd runs or not\n"
		" (all are checked before any is written; VALUE \"default\" restores the\n"
		" default). Settings marked reload or start belong in the config file.", set_opts },
	[CMD_ALLOW] = { "allow", "add|del PREFIX... | list | flush",
		"The allow list: SYNs from these prefixes skip the SYN budget and cookie\n"
		" mode. With --learned, list or flush the learned sources instead (sources\n"
		" that completed a handshake skip cookie mode for learn.time seconds).", allow_opts },
	[CMD_DENY] = { "deny", "add|del PREFIX... | list | flush",
		"The deny list: every TCP segment from these prefixes to a protected port\n"
		" is dropped at XDP. add refuses, without --force, a prefix of every\n"
		" source (0.0.0.0/0, ::/0) and one holding the client of this host's SSH\n"
		" session (SSH_CONNECTION, established sessions to port 22).", deny_opts },
	[CMD_EVENTS] = { "events", NULL,
		"Sampled decisions, live, one line (or JSON object) each, until ^C: the\n"
		" time, what was done (\"would\" in shadow mode) and why, addresses,\n"
		" ports, TCP flags. At most events.rate a second; sampling runs only\n"
		" while a reader is there.", events_opts },
	[CMD_TOP] = { "top", NULL,
		"Heavy hitters: the source prefixes sending most SYNs (past\n"
		" top.threshold), and the remote prefixes holding most tracked\n"
		" connections.", top_opts },
	[CMD_TUNE] = { "tune", NULL,
		"Recommended values of the TCP sysctls, each with its reason, from what\n"
		" is observed over SECONDS: synguard's gauges and the kernel's counters.\n"
		" --apply writes them in this network namespace; --persist also keeps\n"
		" them in /etc/sysctl.d/90-synguard.conf. Works without synguard\n"
		" too (the kernel's counters alone).", tune_opts },
	[CMD_DETACH] = { "detach", NULL,
		"Remove what synguardd left on the interface when it is not running:\n"
		" XDP, then the TC links, then every pin, and the cookie secrets a\n"
		" plain stop keeps for the next daemon. -i is required. The full\n"
		" teardown; also what resizing the tables (ct_size) needs.", detach_opts },
	[CMD_HELP] = { "help", "[COMMAND]", "Show help for a command.", help_opts },
};

struct cli {
	int cmd;
	const char *iface;
	const char *bpffs;
	bool json, learned, apply, persist, force;
	int state;
	unsigned long watch, top;
};

/* `synguard help set`: the usage, then every setting from the table. */
static void usage_set(FILE *f)
{
	sg_usage(f, "synguard", &cmds[CMD_SET]);
	fprintf(f, "Settings (in the config file, \"a.b\" is \"b\" in section [a]):\n");
	sg_settings_for_each(st) {
		char desc[256];

		sg_setting_describe(st, desc, sizeof(desc));
		fprintf(f, " %-20s %s (%s)\n %-20s %s\n", st->key, desc, sg_when_name(st->when),
			"", st->help);
	}
}

static void usage_all(FILE *f)
{
	fprintf(f, "Usage: synguard COMMAND [options]\n\nCommands:\n");
	static const char *const brief[] = {
		[CMD_STATUS] = "attached programs, mode, ports, tables, daemon alive?",
		[CMD_STATS] = "per-state gauges, event and per-port counters",
		[CMD_CONNS] = "tracked connections",
		[CMD_SET] = "change settings live: KEY=VALUE...",
		[CMD_ALLOW] = "allow list (add|del|list|flush), learned sources (--learned)",
		[CMD_DENY] = "deny list (add|del|list|flush)",
		[CMD_EVENTS] = "sampled decisions, live",
		[CMD_TOP] = "heavy hitters: SYN sources, prefixes holding connections",
		[CMD_TUNE] = "TCP sysctl advice from what is observed; --apply",
		[CMD_DETACH] = "remove XDP, TC and pins a stopped daemon left",
		[CMD_HELP] = "help for a command",
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, " %-8s %s\n", cmds[i].name, brief[i]);
	fprintf(f, "\nUse 'synguard COMMAND --help' or 'synguard help COMMAND' for its options;\n"
		"'synguard --version' prints the version and build id.\n");
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
	case SG_OPT_STATE:
		c->state = sg_state_parse(arg);
		if (c->state < 0) {
			sg_err("unknown state '%s': use one of SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT CLOSED",
			       arg);
			return SG_EXIT_USAGE;
		}
		return 0;
	case SG_OPT_WATCH:
		if (sg_parse_uint("-w", arg, 1, 86400, &c->watch))
			return SG_EXIT_USAGE;
		return 0;
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
	case SG_OPT_TOP_N:
		if (sg_parse_uint("-n", arg, 1, 100000, &c->top))
			return SG_EXIT_USAGE;
		return 0;
	case SG_OPT_HELP:
		if (c->cmd == CMD_SET)
			usage_set(stdout);
		else
			sg_usage(stdout, "synguard", &cmds[c->cmd]);
		exit(SG_EXIT_OK);
	}
	return SG_EXIT_USAGE;
}

static const struct sg_setting *kv_setting(const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[64];

	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - kv) : 63, kv);
	return sg_setting_find(key);
}

/* KEY=VALUE...: all checked against the settings table before any is
 * written; only what changes is written, field by field. */
static int cmd_set(struct sg_view *v, char **kv, int n)
{
	static struct sg_settings old, new;
	char err[400], a[256], b[256];

	if (sg_settings_read(v->pins, &old))
		return SG_EXIT_FAIL;
	new = old;
	for (int i = 0; i < n; i++) {
		const struct sg_setting *st = kv_setting(kv[i]);

		if (st && st->when == SG_RELOAD) {
			sg_err("%s is read when synguardd starts or reloads: put it in the config file and reload (systemctl reload synguardd@%s, or kill -HUP the daemon)",
			       st->key, v->pins->iface);
			return SG_EXIT_USAGE;
		}
		if (st && st->when == SG_START) {
			sg_err("%s is fixed once the tables exist: stop synguardd, run synguard detach -i %s, start it with the new value",
			       st->key, v->pins->iface);
			return SG_EXIT_USAGE;
		}
		if (sg_settings_kv(&new, NULL, 0, kv[i], err, sizeof(err))) {
			sg_err("%s", err);
			return SG_EXIT_USAGE;
		}
	}
	if (sg_settings_check(&new, NULL, err, sizeof(err))) {
		sg_err("%s", err);
		return SG_EXIT_USAGE;
	}
	if (sg_settings_write(v->pins, &old, &new))
		return SG_EXIT_FAIL;
	sg_settings_for_each(st) {
		bool named = false;

		for (int i = 0; i < n; i++)
			named |= kv_setting(kv[i]) == st;
		if (!named)
			continue;
		sg_setting_format(st, &old, a, sizeof(a));
		sg_setting_format(st, &new, b, sizeof(b));
		if (strcmp(a, b))
			printf("%s: %s %s -> %s\n", v->pins->iface, st->key, a, b);
		else
			printf("%s: %s %s (unchanged)\n", v->pins->iface, st->key, a);
	}
	if (v->daemon_pid <= 0)
		printf("%s: daemon not running: settings kept for its next start%s\n",
		       v->pins->iface, new.cfg.mode == SG_MODE_AUTO ?
		       "; auto mode switches only while it runs" : "");
	return SG_EXIT_OK;
}

static int find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return (int)i;
	return -1;
}

int main(int argc, char **argv)
{
	struct cli c = { .bpffs = SG_DEFAULT_BPFFS, .state = -1 };
	char iface[IF_NAMESIZE];
	struct sg_pins pins;
	struct sg_view v = {};
	int ret;

	sg_prog = "synguard";
	/* options may come before the command: synguard -i eth0 stats */
	if (argc > 2 && argv[1][0] == '-' && strcmp(argv[1], "-h") && strcmp(argv[1], "--help")) {
		for (int i = 2; i < argc; i++) {
			if (argv[i][0] != '-' && find_cmd(argv[i]) >= 0) {
				char *cmd = argv[i];

				memmove(&argv[2], &argv[1], sizeof(*argv) * (size_t)(i - 1));
				argv[1] = cmd;
				break;
			}
		}
	}
	if (argc == 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		sg_print_version("synguard");
		return SG_EXIT_OK;
	}
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage_all(argc < 2 ? stderr : stdout);
		return argc < 2 ? SG_EXIT_USAGE : SG_EXIT_OK;
	}
	c.cmd = find_cmd(argv[1]);
	if (c.cmd < 0) {
		sg_err("unknown command '%s': use status, stats, conns, set, allow, deny, events, top, tune, detach or help", argv[1]);
		return SG_EXIT_USAGE;
	}
	ret = sg_opts_parse(&cmds[c.cmd], argc - 1, argv + 1, opt_cb, &c);
	if (ret)
		return ret;
	optind++;  /* index into argv, not argv + 1 */

	if (c.cmd == CMD_HELP) {
		int k;

		if (optind >= argc) {
			usage_all(stdout);
			return SG_EXIT_OK;
		}
		k = find_cmd(argv[optind]);
		if (k < 0) {
			sg_err("unknown command '%s': use status, stats, conns, set, allow, deny, events, top, tune, detach or help", argv[optind]);
			return SG_EXIT_USAGE;
		}
		if (k == CMD_SET)
			usage_set(stdout);
		else
			sg_usage(stdout, "synguard", &cmds[k]);
		return SG_EXIT_OK;
	}
	if (c.cmd == CMD_SET) {
		if (optind >= argc) {
			sg_err("set needs KEY=VALUE arguments (see synguard help set)");
			return SG_EXIT_USAGE;
		}
	} else if (c.cmd == CMD_ALLOW || c.cmd == CMD_DENY) {
		if (optind >= argc) {
			sg_err("%s needs add, del, list or flush (see synguard help %s)",
			       cmds[c.cmd].name, cmds[c.cmd].name);
			return SG_EXIT_USAGE;
		}
	} else if (optind < argc) {
		sg_err("unexpected argument '%s' (see synguard help %s)", argv[optind],
		       cmds[c.cmd].name);
		return SG_EXIT_USAGE;
	}
	if (c.persist && !c.apply) {
		sg_err("--persist keeps what --apply writes: give both (see synguard help tune)");
		return SG_EXIT_USAGE;
	}
	struct sg_tune_cmd tc = { c.watch ? (unsigned int)c.watch : 2, c.apply, c.persist, c.json };

	sg_quiet_libs(false);
	if (sg_check_caps(c.cmd == CMD_DETACH ? SG_CAPS_DETACH : SG_CAPS_CLI))
		return SG_EXIT_FAIL;
	if (c.cmd == CMD_DETACH) {
		if (!c.iface) {
			sg_err("detach needs -i IFACE");
			return SG_EXIT_USAGE;
		}
		return sg_detach_iface(c.bpffs, c.iface);
	}
	/* tune also advises a host without synguard */
	if (!c.iface) {
		ret = sg_pins_guess_iface(c.bpffs, iface, sizeof(iface), c.cmd == CMD_TUNE);
		if (ret == -ENOENT && c.cmd == CMD_TUNE)
			return sg_cmd_tune(NULL, &tc);
		if (ret)
			return SG_EXIT_USAGE;
		c.iface = iface;
	}
	sg_pins_init(&pins, c.bpffs, c.iface);
	ret = sg_pins_open(&pins);
	if (ret)
		return sg_exit_code(ret);
	v.pins = &pins;
	v.daemon_pid = sg_daemon_pid(c.iface);
	if (sg_config_read(pins.config_fd, &v.cfg)) {
		sg_pins_close(&pins);
		return SG_EXIT_FAIL;
	}
	if (v.daemon_pid <= 0 && !c.json && c.cmd != CMD_STATUS && c.cmd != CMD_TUNE)
		fprintf(stderr, "daemon: not running (reading the pinned maps of %s)\n", c.iface);

	switch (c.cmd) {
	case CMD_STATUS:
		ret = sg_cmd_status(&v, c.json);
		break;
	case CMD_STATS:
		ret = c.watch ? sg_cmd_stats_watch(&v, (unsigned int)c.watch, c.json) :
				sg_cmd_stats(&v, c.json);
		break;
	case CMD_CONNS:
		ret = sg_cmd_conns(&v, c.state, c.json);
		break;
	case CMD_SET:
		ret = cmd_set(&v, argv + optind, argc - optind);
		break;
	case CMD_ALLOW:
	case CMD_DENY: {
		struct sg_policy_cmd pc = {
			.act = c.cmd == CMD_ALLOW ? SG_ACT_ALLOW : SG_ACT_DENY,
			.op = argv[optind], .args = argv + optind + 1,
			.nargs = argc - optind - 1,
			.learned = c.learned, .json = c.json, .force = c.force,
		};

		ret = sg_cmd_policy(&v, &pc);
		break;
	}
	case CMD_EVENTS:
		ret = sg_cmd_events(&v, c.json);
		break;
	case CMD_TOP:
		ret = sg_cmd_top(&v, c.top ? (unsigned int)c.top : 10, c.json);
		break;
	case CMD_TUNE:
		ret = sg_cmd_tune(&v, &tc);
		break;
	}
	sg_pins_close(&pins);
	return ret;
}
