/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_util: the bottom layer of libsynguard. It owns logging, this
 * build's version, the names of states and counters, the option table and
 * help layout every command uses, integer and interface-name parsing, the
 * capability check, and the library's error convention. It calls no other
 * module of the library.
 *
 * Errors, across the library:
 * - A function that can fail returns 0 (or a count, a value, an fd >= 0)
 *   and a negative errno on failure: never -1, never an exit status.
 *   -EINVAL means the input (a value, a name, a file the operator wrote)
 *   is wrong; -ENODEV that the interface has no synguard.
 * - It says why in one line, in one of two ways, never both: into a
 *   caller's buffer (char *err, size_t n: no program name, no newline)
 *   when the caller decides how to report it (parsers, settings, the config
 *   file, checks), or through sg_err()/sg_err_errno(), the one path that
 *   prints an error ("PROG: message" on stderr). Nothing else writes to
 *   stderr, except the daemon's log (sg_log) and the commands' progress.
 * - Exit statuses (SG_EXIT_*) belong to the commands (sg_cmd_*,
 *   sg_detach_iface) and the binaries: sg_exit_code() turns a negative
 *   errno into one. */
#ifndef LIBSG_UTIL_H
#define LIBSG_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include "synguard.h"

/* exit codes */
#define SG_EXIT_OK 0
#define SG_EXIT_FAIL 1
#define SG_EXIT_USAGE 2

#define SG_RUN_DIR "/run/synguard"
#define SG_METRICS_PORT 9810
#define SG_NS 1000000000ull

/* ---- logging (libsg_util.c) ------------------------------------------- */
extern const char *sg_prog;    /* argv[0] basename, for error lines     */
extern bool sg_log_timestamps; /* daemon: prefix lines with a timestamp */
void sg_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line "PROG: message" on stderr. */
void sg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The binaries' exit status for a library result: 0 -> SG_EXIT_OK;
 * -EINVAL (a value, a name or a file the operator wrote is wrong) and
 * -ENODEV (no synguard on that interface) -> SG_EXIT_USAGE; any other
 * -errno -> SG_EXIT_FAIL. */
int sg_exit_code(int err);
/* The same for a failed call: "PROG: message: strerror(errno)", and
 * returns -errno (-EIO when errno was not set), so a failure reads
 * return sg_err_errno("cannot read %s", name). */
int sg_err_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Route libbpf/libxdp messages: warnings always, debug when verbose. */
void sg_quiet_libs(bool verbose);
/* Hide libbpf warnings for a moment (libxdp probing its dispatcher). */
extern bool sg_libbpf_hush;

/* ---- this build (build/sg_version.c, written by the Makefile) ----------- */
extern const char sg_version[];  /* git describe, or the VERSION file      */
extern const char sg_build_id[]; /* the BPF object's sha256, 12 hex digits */
/* --version: "PROG VERSION (build ID)" on stdout. */
void sg_print_version(const char *prog);

/* ---- names ------------------------------------------------------------- */
extern const char *const sg_state_names[SG_STATE_MAX];
extern const char *const sg_counter_names[SG_CNT_MAX];
extern const char *const sg_pcounter_names[SG_PCNT_MAX];
const char *sg_state_name(unsigned int st); /* "?" if out of range */
int sg_state_parse(const char *name);       /* -ENOENT if unknown */

/* ---- options: one table, xdp-tools style ------------------------------- */
enum sg_opt_id {
	SG_OPT_IFACE = 'i',
	SG_OPT_PORTS = 'p',
	SG_OPT_HELP = 'h',
	SG_OPT_WATCH = 'w',
	SG_OPT_VERBOSE = 'v',
	SG_OPT_VERSION = 'V',
	SG_OPT_MODE = 256,
	SG_OPT_BPFFS,
	SG_OPT_CT_SIZE,
	SG_OPT_SECRET_PERIOD,
	SG_OPT_KEEP_ATTACHED,
	SG_OPT_JSON,
	SG_OPT_STATE,
	SG_OPT_CONFIG = 'c',
	SG_OPT_SET = 's',
	SG_OPT_METRICS = 300,
	SG_OPT_SECRET_FILE,
	SG_OPT_CHECK,
	SG_OPT_SAMPLE_CONFIG,
	SG_OPT_LEARNED,
	SG_OPT_TOP_N = 'n',
	SG_OPT_APPLY = 320,
	SG_OPT_FORCE,
	SG_OPT_PERSIST,
	SG_OPT_SPORT = 340,
	SG_OPT_DPORT,
	SG_OPT_PORT,
	SG_OPT_SRC,
	SG_OPT_DST,
	SG_OPT_ALL,
};

struct sg_cmd {
	const char *name; /* "stats"; NULL for the daemon            */
	const char *args; /* positional arguments, for the usage line */
	const char *summary;
	const int *opts; /* enum sg_opt_id list, 0-terminated        */
};

/* Parse argv[optind..] against cmd's options; calls cb for each. cb returns
 * 0 to go on, else that value is returned. Unknown flag -> usage error. */
typedef int (*sg_opt_cb)(int id, const char *arg, void *data);
int sg_opts_parse(const struct sg_cmd *cmd, int argc, char **argv, sg_opt_cb cb, void *data);
void sg_usage(FILE *f, const char *prog, const struct sg_cmd *cmd);
/* A name the kernel could give an interface (dev_valid_name). */
bool sg_iface_valid(const char *name);
/* -i IFACE: a name the kernel could have (*iface = arg), else one line
 * and SG_EXIT_USAGE. */
int sg_iface_arg(const char *arg, const char **iface);
/* Integers with range checks; print one line and return -EINVAL on error. */
int sg_parse_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
		  unsigned long *out);

/* ---- capabilities ------------------------------------------------------ */
/* The capabilities a binary uses, checked in the effective set (not
 * euid 0): 0, or -EPERM with one line naming each missing one and why. */
#define SG_CAPS_DAEMON (SG_CAP_BPF | SG_CAP_NET_ADMIN | SG_CAP_PERFMON | SG_CAP_SYS_ADMIN)
#define SG_CAPS_CLI SG_CAP_BPF
#define SG_CAPS_DETACH (SG_CAP_BPF | SG_CAP_NET_ADMIN | SG_CAP_SYS_ADMIN)
enum sg_cap {
	SG_CAP_BPF = 1 << 0,
	SG_CAP_NET_ADMIN = 1 << 1,
	SG_CAP_PERFMON = 1 << 2,
	SG_CAP_SYS_ADMIN = 1 << 3,
};
int sg_check_caps(unsigned int need);

/* ---- files -------------------------------------------------------------- */
/* A temporary file that will be renamed over a file root reads back (the
 * state file, the sysctl.d file), opened for writing: made afresh, never
 * through a symlink, a name already there removed first, so that a name
 * planted in the directory cannot redirect the write; mode 0644 whatever
 * the umask. NULL with errno set. */
FILE *sg_file_create_new(const char *path);

/* ---- memory ------------------------------------------------------------ */
/* A buffer of many megabytes (a dump of the connection tables) backed by
 * transparent huge pages where the host allows them: one page fault per
 * 2 MiB instead of per 4 KiB, a fifth of a million-row dump's time.
 * Freed with free(); NULL on failure. */
void *sg_huge_alloc(size_t bytes);

/* A JSON document on stdout, pretty-printed as every command prints it. */
void sg_json_print(struct json_object *o);

#endif /* LIBSG_UTIL_H */
