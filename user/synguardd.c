// SPDX-License-Identifier: GPL-2.0
/* synguardd: load, attach, configure, rotate the cookie secret, sweep. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include "libsynguard.h"

static const int daemon_opts[] = {
	SG_OPT_IFACE, SG_OPT_PORTS, SG_OPT_MODE, SG_OPT_BPFFS, SG_OPT_CT_SIZE,
	SG_OPT_SECRET_PERIOD, SG_OPT_KEEP_ATTACHED, SG_OPT_VERBOSE, SG_OPT_HELP, 0
};

static const struct sg_cmd daemon_cmd = {
	.name = NULL,
	.args = NULL,
	.summary = "Protect the TCP listeners behind IFACE from SYN floods (XDP SYN cookies)\n"
		   " and track every TCP connection through it. Runs in the foreground.",
	.opts = daemon_opts,
};

struct dopts {
	struct sg_daemon_opts o;
	bool have_ports;
};

static int opt_cb(int id, const char *arg, void *data)
{
	struct dopts *d = data;
	unsigned long v;

	switch (id) {
	case SG_OPT_IFACE:
		if (strlen(arg) >= IF_NAMESIZE || !*arg || strchr(arg, '/')) {
			sg_err("bad interface name '%s'", arg);
			return SG_EXIT_USAGE;
		}
		d->o.iface = arg;
		return 0;
	case SG_OPT_PORTS:
		if (sg_ports_parse(arg, &d->o.ports))
			return SG_EXIT_USAGE;
		d->have_ports = true;
		return 0;
	case SG_OPT_MODE:
		d->o.mode = sg_mode_parse(arg);
		if (d->o.mode == SG_MODE_AUTO || d->o.mode == SG_MODE_SHADOW) {
			sg_err("--mode %s is not implemented yet: use --mode on or --mode off", arg);
			return SG_EXIT_USAGE;
		}
		if (d->o.mode < 0) {
			sg_err("bad --mode '%s': use on or off", arg);
			return SG_EXIT_USAGE;
		}
		return 0;
	case SG_OPT_BPFFS:
		d->o.bpffs = arg;
		return 0;
	case SG_OPT_CT_SIZE:
		if (sg_parse_uint("--ct-size", arg, 1024, 1ul << 26, &v))
			return SG_EXIT_USAGE;
		d->o.ct_size = v;
		return 0;
	case SG_OPT_SECRET_PERIOD:
		if (sg_parse_uint("--secret-period", arg, 1, 86400, &v))
			return SG_EXIT_USAGE;
		d->o.secret_period = v;
		return 0;
	case SG_OPT_KEEP_ATTACHED:
		d->o.keep_attached = true;
		return 0;
	case SG_OPT_VERBOSE:
		d->o.verbose = true;
		return 0;
	case SG_OPT_HELP:
		sg_usage(stdout, "synguardd", &daemon_cmd);
		exit(SG_EXIT_OK);
	}
	return SG_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct dopts d = { .o = { .bpffs = SG_DEFAULT_BPFFS, .mode = -1,
				  .secret_period = SG_DEFAULT_SECRET_PERIOD } };
	struct sg_daemon *dm;
	sigset_t mask;
	int ret, sfd;

	sg_prog = "synguardd";
	setvbuf(stderr, NULL, _IOLBF, 0);
	ret = sg_opts_parse(&daemon_cmd, argc, argv, opt_cb, &d);
	if (ret)
		return ret;
	if (optind < argc) {
		sg_err("unexpected argument '%s' (see --help)", argv[optind]);
		return SG_EXIT_USAGE;
	}
	if (!d.o.iface) {
		sg_err("no interface: use -i IFACE (see --help)");
		return SG_EXIT_USAGE;
	}
	if (!d.have_ports)
		d.o.ports.all = true;
	sg_quiet_libs(d.o.verbose);
	sg_log_timestamps = true;

	if (sg_check_root() || sg_check_kernel())
		return SG_EXIT_FAIL;

	/* signals are read from a signalfd in the main loop */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		sg_err("signalfd: %s", strerror(errno));
		return SG_EXIT_FAIL;
	}

	dm = sg_daemon_start(&d.o, &ret);
	if (!dm)
		return ret;
	sg_log("synguardd running on %s (pid %d)", d.o.iface, (int)getpid());

	for (;;) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int r = poll(&p, 1, 1000);

		if (r < 0 && errno != EINTR) {
			sg_err("poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				sg_log("SIGHUP: reloading settings is not implemented yet; use synguard set");
				continue;
			}
			sg_log("%s: stopping", strsignal((int)si.ssi_signo));
			break;
		}
		sg_daemon_tick(dm);
	}
	sg_daemon_stop(dm);
	close(sfd);
	return SG_EXIT_OK;
}
