// SPDX-License-Identifier: GPL-2.0
/* Logging, names, and the one option table both binaries parse with. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <net/if.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "libsg_util.h"

const char *sg_prog = "synguard";
bool sg_log_timestamps;
static bool sg_verbose;
bool sg_libbpf_hush;

static void sg_vlog(const char *prefix, const char *fmt, va_list ap)
{
	char ts[96] = "";

	if (sg_log_timestamps) {
		struct timespec t;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &t);
		localtime_r(&t.tv_sec, &tm);
		snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ld ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 t.tv_nsec / 1000000);
	}
	fprintf(stderr, "%s%s", ts, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sg_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_vlog("", fmt, ap);
	va_end(ap);
}

void sg_err(const char *fmt, ...)
{
	char prefix[64];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s: ", sg_prog);
	va_start(ap, fmt);
	sg_vlog(prefix, fmt, ap);
	va_end(ap);
}

int sg_exit_code(int err)
{
	if (!err)
		return SG_EXIT_OK;
	return err == -EINVAL || err == -ENODEV ? SG_EXIT_USAGE : SG_EXIT_FAIL;
}

int sg_err_errno(const char *fmt, ...)
{
	int e = errno ? errno : EIO;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sg_err("%s: %s", msg, strerror(e));
	return -e;
}

static int sg_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !sg_verbose)
		return 0;
	if (sg_libbpf_hush && !sg_verbose)
		return 0;
	if (level == LIBBPF_INFO && !sg_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int sg_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	/* libxdp warns when the dispatcher cannot load and it falls back to
	 * a single program; that is expected where freplace is refused. */
	if (level != LIBXDP_WARN && !sg_verbose)
		return 0;
	if (!sg_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void sg_quiet_libs(bool verbose)
{
	sg_verbose = verbose;
	libbpf_set_print(sg_libbpf_print);
	libxdp_set_print(sg_libxdp_print);
}

/* ---- names -------------------------------------------------------------- */
const char *const sg_state_names[SG_STATE_MAX] = {
#define SG_NAME(n) #n,
	SG_STATES(SG_NAME)
};
const char *const sg_counter_names[SG_CNT_MAX] = { SG_COUNTERS(SG_NAME)
};
const char *const sg_pcounter_names[SG_PCNT_MAX] = { SG_PORT_COUNTERS(SG_NAME)
#undef SG_NAME
};

const char *sg_state_name(unsigned int st)
{
	return st < SG_STATE_MAX ? sg_state_names[st] : "?";
}

int sg_state_parse(const char *name)
{
	for (int i = 0; i < SG_STATE_MAX; i++)
		if (!strcasecmp(name, sg_state_names[i]))
			return i;
	return -ENOENT;
}

void sg_print_version(const char *prog)
{
	printf("%s %s (build %s)\n", prog, sg_version, sg_build_id);
}

/* ---- the option table -------------------------------------------------- */
struct sg_opt {
	int id;
	const char *lname;
	const char *metavar; /* NULL: flag without argument */
	const char *help;
};

static const struct sg_opt sg_opt_table[] = {
	{ SG_OPT_IFACE, "iface", "IFACE",
	  "network interface (synguard: optional if only one is protected)" },
	{ SG_OPT_CONFIG, "config", "FILE",
	  "config file (INI; synguardd --sample-config prints one)" },
	{ SG_OPT_PORTS, "ports", "PORTS",
	  "protected ports: 80,443,8000-8099 (default: every port)" },
	{ SG_OPT_MODE, "mode", "MODE", "cookie mode: auto, on, off or shadow (default: auto)" },
	{ SG_OPT_SET, "set", "KEY=VALUE",
	  "any setting (synguard help set lists them); repeatable" },
	{ SG_OPT_BPFFS, "bpffs", "DIR", "bpffs mount for pins (default: " SG_DEFAULT_BPFFS ")" },
	{ SG_OPT_METRICS, "metrics", "ADDR:PORT",
	  "Prometheus metrics endpoint, or off (default: 127.0.0.1:9810)" },
	{ SG_OPT_SECRET_FILE, "secret-file", "FILE",
	  "derive cookie secrets from this master key (shared by hosts)" },
	{ SG_OPT_SECRET_PERIOD, "secret-period", "S",
	  "cookie secret rotation period, seconds (default: 60)" },
	{ SG_OPT_CT_SIZE, "ct-size", "N",
	  "tracked connections (default: 131072; embryonic: max(N/4, 1024))" },
	{ SG_OPT_KEEP_ATTACHED, "keep-attached", NULL,
	  "leave programs attached and pinned on exit" },
	{ SG_OPT_CHECK, "check", NULL,
	  "check the config file and flags, print the settings, exit" },
	{ SG_OPT_SAMPLE_CONFIG, "sample-config", NULL,
	  "print a config file with every setting at its default" },
	{ SG_OPT_JSON, "json", NULL, "print JSON" },
	{ SG_OPT_STATE, "state", "NAMES",
	  "only these local states: syn-recv,TIME_WAIT (ss, conntrack names; any case)" },
	{ SG_OPT_SPORT, "sport", "PORT", "conns: local port; events: the packet's source port" },
	{ SG_OPT_DPORT, "dport", "PORT",
	  "conns: remote port; events: the packet's destination port" },
	{ SG_OPT_PORT, "port", "PORT", "either port" },
	{ SG_OPT_SRC, "src", "PREFIX",
	  "conns: local address in PREFIX; events: the packet's source" },
	{ SG_OPT_DST, "dst", "PREFIX",
	  "conns: remote address in PREFIX; events: the packet's destination" },
	{ SG_OPT_ALL, "all", NULL, "also the counters at zero" },
	{ SG_OPT_WATCH, "watch", "SECONDS",
	  "stats, top: refresh every SECONDS, until ^C; tune: observe this long (2)" },
	{ SG_OPT_VERBOSE, "verbose", NULL, "log libbpf/libxdp debug output, rotations, sweeps" },
	{ SG_OPT_LEARNED, "learned", NULL,
	  "the learned sources, not the allow list (list, flush)" },
	{ SG_OPT_TOP_N, "top", "N", "show the N first of each list (default: 10)" },
	{ SG_OPT_APPLY, "apply", NULL, "write the recommended values (this network namespace)" },
	{ SG_OPT_PERSIST, "persist", NULL,
	  "with --apply: also write them to /etc/sysctl.d/90-synguard.conf, for the next boot" },
	{ SG_OPT_FORCE, "force", NULL,
	  "deny add: also a prefix of every source, or holding this host's SSH clients" },
	{ SG_OPT_VERSION, "version", NULL, "print the version and build id, exit" },
	{ SG_OPT_HELP, "help", NULL, "show this help" },
	{ 0, NULL, NULL, NULL },
};

static const struct sg_opt *sg_opt_find(int id)
{
	for (const struct sg_opt *o = sg_opt_table; o->id; o++)
		if (o->id == id)
			return o;
	return NULL;
}

void sg_usage(FILE *f, const char *prog, const struct sg_cmd *cmd)
{
	fprintf(f, "Usage: %s%s%s [options]%s%s\n\n %s\n\nOptions:\n", prog, cmd->name ? " " : "",
		cmd->name ? cmd->name : "", cmd->args ? " " : "", cmd->args ? cmd->args : "",
		cmd->summary);
	for (const int *id = cmd->opts; *id; id++) {
		const struct sg_opt *o = sg_opt_find(*id);
		char left[64];

		if (!o)
			continue;
		if (o->id < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->id, o->lname,
				 o->metavar ? " " : "", o->metavar ? o->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->lname,
				 o->metavar ? " " : "", o->metavar ? o->metavar : "");
		fprintf(f, " %-28s %s\n", left, o->help);
	}
	fputc('\n', f);
}

int sg_opts_parse(const struct sg_cmd *cmd, int argc, char **argv, sg_opt_cb cb, void *data)
{
	struct option lopts[32];
	char sopts[64];
	int nl = 0, ns = 0, c, ret;

	sopts[ns++] = ':'; /* report a missing argument as ':' */
	for (const int *id = cmd->opts; *id && nl < 31; id++) {
		const struct sg_opt *o = sg_opt_find(*id);

		if (!o)
			continue;
		lopts[nl++] =
			(struct option){ o->lname, o->metavar ? required_argument : no_argument,
					 NULL, o->id };
		if (o->id < 256 && ns < 60) {
			sopts[ns++] = (char)o->id;
			if (o->metavar)
				sopts[ns++] = ':';
		}
	}
	lopts[nl] = (struct option){ NULL, 0, NULL, 0 };
	sopts[ns] = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		if (c == ':') {
			sg_err("option %s needs an argument (see --help)", argv[optind - 1]);
			return SG_EXIT_USAGE;
		}
		if (c == '?') {
			if (optopt)
				sg_err("unknown option -%c (see --help)", optopt);
			else
				sg_err("unknown option %s (see --help)", argv[optind - 1]);
			return SG_EXIT_USAGE;
		}
		ret = cb(c, optarg, data);
		if (ret)
			return ret;
	}
	return 0;
}

/* What the kernel's dev_valid_name() accepts: 1 to IFNAMSIZ-1 bytes, not
 * "." or "..", no '/', ':' or white space (its isspace() also counts 0xa0).
 * The name becomes a path under the bpffs and /run, so this is what keeps
 * "-i .." from naming the bpffs root. */
bool sg_iface_valid(const char *name)
{
	if (!*name || strnlen(name, IF_NAMESIZE) >= IF_NAMESIZE || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c == '/' || *c == ':' || isspace(*c) || *c == 0xa0)
			return false;
	return true;
}

int sg_iface_arg(const char *arg, const char **iface)
{
	if (!sg_iface_valid(arg)) {
		char shown[64];
		size_t n = 0;

		/* shown escaped: the error stays one line whatever the name holds */
		for (const unsigned char *c = (const unsigned char *)arg; *c && n < 56; c++)
			n += (size_t)snprintf(shown + n, sizeof(shown) - n,
					      isprint(*c) ? "%c" : "\\x%02x", *c);
		shown[n] = 0;
		sg_err("bad interface name '%s%s': 1-%d characters, no '/', ':' or space, not . or ..",
		       shown, strlen(arg) > n ? "..." : "", IF_NAMESIZE - 1);
		return SG_EXIT_USAGE;
	}
	*iface = arg;
	return 0;
}

int sg_parse_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
		  unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < lo || v > hi) {
		sg_err("%s: '%s' is not a number in %lu..%lu", opt, s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* ---- capabilities ------------------------------------------------------------ */
/* Why each is needed. The kernel lets CAP_SYS_ADMIN stand in for CAP_BPF
 * and CAP_PERFMON (bpf_capable(), perfmon_capable()), so a root shell that
 * predates them still passes. */
static const struct {
	unsigned int bit;
	int cap;
	const char *name, *why;
} sg_caps_tab[] = {
	{ SG_CAP_BPF, CAP_BPF, "CAP_BPF", "maps and programs" },
	{ SG_CAP_NET_ADMIN, CAP_NET_ADMIN, "CAP_NET_ADMIN", "attaching XDP and tc" },
	{ SG_CAP_PERFMON, CAP_PERFMON, "CAP_PERFMON",
	  "the data path reads kernel structs: the listener's tcp_syncookies" },
	{ SG_CAP_SYS_ADMIN, CAP_SYS_ADMIN, "CAP_SYS_ADMIN",
	  "libxdp reads a program's BTF by id and loads its dispatcher; mounting bpffs" },
};

static bool sg_cap_has(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int sg_check_caps(unsigned int need)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
	char line[512];
	size_t len = 0;

	if (syscall(SYS_capget, &h, d))
		return sg_err_errno("capget");
	for (size_t i = 0; i < sizeof(sg_caps_tab) / sizeof(sg_caps_tab[0]); i++) {
		int cap = sg_caps_tab[i].cap;

		if (!(need & sg_caps_tab[i].bit) || sg_cap_has(d, cap) ||
		    ((cap == CAP_BPF || cap == CAP_PERFMON) && sg_cap_has(d, CAP_SYS_ADMIN)))
			continue;
		if (len < sizeof(line))
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						"%smissing capability %s (%s)", len ? "; " : "",
						sg_caps_tab[i].name, sg_caps_tab[i].why);
	}
	if (!len)
		return 0;
	sg_err("%s: run as root, or grant them (systemd: AmbientCapabilities=)", line);
	return -EPERM;
}

void sg_json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
}

FILE *sg_file_create_new(const char *path)
{
	FILE *f;
	int fd;

	if (unlink(path) && errno != ENOENT)
		return NULL;
	/* O_EXCL fails on a name planted again since the unlink (EEXIST):
	 * the caller reports it, nothing is written elsewhere */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	f = fchmod(fd, 0644) ? NULL : fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		unlink(path);
		errno = e;
	}
	return f;
}

void *sg_huge_alloc(size_t bytes)
{
	const size_t huge = 2u << 20;
	void *p;

	if (bytes < huge)
		return malloc(bytes);
	bytes = (bytes + huge - 1) & ~(huge - 1);
	if (posix_memalign(&p, huge, bytes))
		return NULL;
	/* advice only: where THP is off the buffer still works */
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}
