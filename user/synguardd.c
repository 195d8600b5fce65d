// SPDX-License-Identifier: GPL-2.0
/* synguardd: load, attach, configure; then sample once a second (auto mode,
 * TIME_WAIT pressure, sweep), rotate secrets, serve metrics, reload on
 * SIGHUP, detach on SIGTERM. */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include "libsynguard.h"

static const int daemon_opts[] = { SG_OPT_IFACE,
				   SG_OPT_CONFIG,
				   SG_OPT_PORTS,
				   SG_OPT_MODE,
				   SG_OPT_SET,
				   SG_OPT_BPFFS,
				   SG_OPT_METRICS,
				   SG_OPT_SECRET_FILE,
				   SG_OPT_SECRET_PERIOD,
				   SG_OPT_CT_SIZE,
				   SG_OPT_KEEP_ATTACHED,
				   SG_OPT_CHECK,
				   SG_OPT_SAMPLE_CONFIG,
				   SG_OPT_VERBOSE,
				   SG_OPT_VERSION,
				   SG_OPT_HELP,
				   0 };

static const struct sg_cmd daemon_cmd = {
	.name = NULL,
	.args = NULL,
	.summary = "Protect the TCP listeners behind IFACE from SYN floods (XDP SYN cookies)\n"
		   " and track every TCP connection through it. Runs in the foreground.\n"
		   " Flags win over the config file; every setting is also -s KEY=VALUE\n"
		   " (synguard help set lists them).",
	.opts = daemon_opts,
};

struct dopts {
	struct sg_daemon_opts o;
	bool check, sample;
};

/* A named flag is a setting: KEY=VALUE for the settings table. */
static int add_override(struct dopts *d, const char *key, const char *val)
{
	char **nv = realloc(d->o.overrides, sizeof(*nv) * (size_t)(d->o.noverrides + 1));
	char *kv;

	if (!nv || asprintf(&kv, "%s%s%s", key, val ? "=" : "", val ? val : "") < 0) {
		sg_err("out of memory");
		exit(SG_EXIT_FAIL);
	}
	nv[d->o.noverrides++] = kv;
	d->o.overrides = nv;
	return 0;
}

static int opt_cb(int id, const char *arg, void *data)
{
	struct dopts *d = data;

	switch (id) {
	case SG_OPT_IFACE:
		return sg_iface_arg(arg, &d->o.iface);
	case SG_OPT_CONFIG:
		d->o.config = arg;
		return 0;
	case SG_OPT_SET:
		return add_override(d, arg, NULL);
	case SG_OPT_PORTS:
		return add_override(d, "ports", arg);
	case SG_OPT_MODE:
		return add_override(d, "mode", arg);
	case SG_OPT_METRICS:
		return add_override(d, "metrics", arg);
	case SG_OPT_SECRET_FILE:
		return add_override(d, "secret.file", arg);
	case SG_OPT_SECRET_PERIOD:
		return add_override(d, "secret.period", arg);
	case SG_OPT_CT_SIZE:
		return add_override(d, "ct_size", arg);
	case SG_OPT_KEEP_ATTACHED:
		return add_override(d, "keep_attached", "yes");
	case SG_OPT_BPFFS:
		d->o.bpffs = arg;
		return 0;
	case SG_OPT_CHECK:
		d->check = true;
		return 0;
	case SG_OPT_SAMPLE_CONFIG:
		d->sample = true;
		return 0;
	case SG_OPT_VERBOSE:
		d->o.verbose = true;
		return 0;
	case SG_OPT_VERSION:
		sg_print_version("synguardd");
		exit(SG_EXIT_OK);
	case SG_OPT_HELP:
		sg_usage(stdout, "synguardd", &daemon_cmd);
		exit(SG_EXIT_OK);
	}
	return SG_EXIT_USAGE;
}

/* --check: every setting, its value and where it came from. */
static void print_check(const struct sg_settings *s, const struct sg_given *g)
{
	printf("%s: settings OK\n", g->file ? g->file : "no config file");
	sg_settings_for_each(st)
	{
		int line = g->line[st - sg_settings_table];
		char val[256], from[PATH_MAX + 32];

		sg_setting_format(st, s, val, sizeof(val));
		if (line > 0)
			snprintf(from, sizeof(from), "%s:%d", g->file, line);
		else
			snprintf(from, sizeof(from), "%s", line ? "command line" : "default");
		printf("%-22s %-24s %s\n", st->key, val[0] ? val : "none", from);
	}
}

/* Stop (TERM, INT, QUIT), reload (HUP), or logged and ignored. */
static const int handled[] = {
	SIGTERM, SIGINT,    SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
	SIGALRM, SIGVTALRM, SIGPROF, SIGIO,  SIGPWR,  SIGSTKFLT,
};

int main(int argc, char **argv)
{
	static struct sg_settings s;
	static struct sg_given g;
	struct dopts d = { .o = { .bpffs = SG_DEFAULT_BPFFS } };
	struct sg_sysctls sy;
	struct sg_daemon *dm;
	char err[512];
	sigset_t mask;
	int ret, sfd, timeout;

	sg_prog = "synguardd";
	setvbuf(stderr, NULL, _IOLBF, 0);
	ret = sg_opts_parse(&daemon_cmd, argc, argv, opt_cb, &d);
	if (ret)
		return ret;
	if (optind < argc) {
		sg_err("unexpected argument '%s' (see --help)", argv[optind]);
		return SG_EXIT_USAGE;
	}
	if (d.sample) {
		sg_settings_sample(stdout);
		return SG_EXIT_OK;
	}
	/* every setting is checked before anything is touched */
	sg_read_sysctls(&sy);
	ret = sg_settings_compose(&s, &g, &sy, d.o.config, d.o.iface, d.o.overrides, d.o.noverrides,
				  err, sizeof(err));
	if (ret) {
		sg_err("%s", err);
		return sg_exit_code(ret);
	}
	if (d.check) {
		print_check(&s, &g);
		return SG_EXIT_OK;
	}
	if (!d.o.iface) {
		sg_err("no interface: use -i IFACE (see --help)");
		return SG_EXIT_USAGE;
	}
	sg_quiet_libs(d.o.verbose);
	sg_log_timestamps = true;

	if (sg_check_caps(SG_CAPS_DAEMON) || sg_check_kernel())
		return SG_EXIT_FAIL;

	/* signals are read from a signalfd in the main loop: every one whose
	 * default would kill the daemon silently, leaving its programs and
	 * pins behind (SIGKILL aside, which a restart recovers from) */
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&mask, handled[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(&mask, sig);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* a peer that went away is an error on that write, not our end */
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		sg_err("signalfd: %s", strerror(errno));
		return SG_EXIT_FAIL;
	}

	dm = sg_daemon_start(&d.o, &s, &g, &ret);
	if (!dm)
		return ret;
	sg_log("synguardd running on %s (pid %d, version %s, build %s)", d.o.iface, (int)getpid(),
	       sg_version, sg_build_id);

	timeout = sg_daemon_run(dm);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = sg_daemon_poll_fd(dm), .events = POLLIN },
		};
		struct signalfd_siginfo si;
		int r = poll(p, p[1].fd >= 0 ? 2 : 1, timeout);

		if (r < 0 && errno != EINTR) {
			sg_err("poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (p[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			int sig = (int)si.ssi_signo;

			if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
				sg_log("%s: stopping", strsignal(sig));
				break;
			}
			if (sig == SIGHUP)
				sg_daemon_reload(dm);
			else
				sg_log("%s (signal %d from pid %u): ignored (SIGHUP reloads, SIGTERM stops)",
				       strsignal(sig), sig, si.ssi_pid);
		}
		/* also when idle: MHD times out idle connections */
		sg_daemon_serve(dm);
		timeout = sg_daemon_run(dm);
	}
	sg_daemon_stop(dm);
	close(sfd);
	return SG_EXIT_OK;
}
