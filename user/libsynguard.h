/* SPDX-License-Identifier: GPL-2.0 */
/* libsynguard: everything synguardd and synguard share.
 *
 *   libsg_util.c    logging, names of states/counters/modes, the option
 *                   table and help layout every command uses
 *   libsg_config.c  sysctls -> struct sg_config, port lists, KEY=VALUE
 *   libsg_maps.c    pin paths, pinned maps and programs, reading them
 *   libsg_settings.c the settings table: config file, flags, set, status
 *   libsg_load.c    startup checks, loading, attaching, pidfile
 *   libsg_secrets.c cookie secrets: random, or derived from a master key
 *   libsg_daemon.c  synguardd's life: start, once-a-second sample (auto
 *                   mode, TIME_WAIT pressure, rotation), reload, stop
 *   libsg_metrics.c Prometheus text exposition over HTTP (libmicrohttpd)
 *   libsg_format.c  human tables and JSON (json-c) for status/stats/conns
 *   libsg_policy.c  prefixes, the allow/deny lists, learned sources, top
 *   libsg_events.c  synguard events: the sampled decisions, live
 *   libsg_tune.c    synguard tune: sysctl advice from what is observed
 */
#ifndef LIBSYNGUARD_H
#define LIBSYNGUARD_H

#include <stdbool.h>
#include <stdio.h>
#include <limits.h>
#include <net/if.h>
#include <sys/socket.h>
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
extern const char *sg_prog;       /* argv[0] basename, for error lines     */
extern bool sg_log_timestamps;    /* daemon: prefix lines with a timestamp */
void sg_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line "PROG: message" on stderr. */
void sg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Route libbpf/libxdp messages: warnings always, debug when verbose. */
void sg_quiet_libs(bool verbose);
/* Hide libbpf warnings for a moment (libxdp probing its dispatcher). */
extern bool sg_libbpf_hush;

/* ---- this build (build/sg_version.c, written by the Makefile) ----------- */
extern const char sg_version[];   /* git describe, or the VERSION file      */
extern const char sg_build_id[];  /* the BPF object's sha256, 12 hex digits */
/* --version: "PROG VERSION (build ID)" on stdout. */
void sg_print_version(const char *prog);

/* ---- names ------------------------------------------------------------- */
extern const char *const sg_state_names[SG_STATE_MAX];
extern const char *const sg_counter_names[SG_CNT_MAX];
extern const char *const sg_pcounter_names[SG_PCNT_MAX];
const char *sg_state_name(unsigned int st);   /* "?" if out of range */
int sg_state_parse(const char *name);         /* -1 if unknown */
const char *sg_mode_name(unsigned int mode);  /* the mode setting's names */
/* enum sg_refuse: a short name ("tcp_syncookies", "xdp_tx"), and why */
const char *sg_refuse_name(unsigned int reason);
const char *sg_refuse_why(unsigned int reason);

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
};

struct sg_cmd {
	const char *name;      /* "stats"; NULL for the daemon            */
	const char *args;      /* positional arguments, for the usage line */
	const char *summary;
	const int *opts;       /* enum sg_opt_id list, 0-terminated        */
};

/* Parse argv[optind..] against cmd's options; calls cb for each. cb returns
 * 0 to go on, else that value is returned. Unknown flag -> usage error. */
typedef int (*sg_opt_cb)(int id, const char *arg, void *data);
int sg_opts_parse(const struct sg_cmd *cmd, int argc, char **argv,
		  sg_opt_cb cb, void *data);
void sg_usage(FILE *f, const char *prog, const struct sg_cmd *cmd);
/* A name the kernel could give an interface (dev_valid_name). */
bool sg_iface_valid(const char *name);
/* -i IFACE: a name the kernel could have (*iface = arg), else one line
 * and SG_EXIT_USAGE. */
int sg_iface_arg(const char *arg, const char **iface);
/* Integers with range checks; print one line and return -1 on error. */
int sg_parse_uint(const char *opt, const char *s, unsigned long lo,
		  unsigned long hi, unsigned long *out);

/* ---- config (libsg_config.c) ------------------------------------------ */
struct sg_sysctls {
	int syncookies, window_scaling, timestamps, sack, ecn;
	int syn_retries, synack_retries, fin_timeout, default_ttl;
	long rmem_max, tcp_rmem2;
};
int sg_read_sysctls(struct sg_sysctls *s);          /* current netns */
int sg_sysctl_int(const char *name, long *val);     /* "net/ipv4/..." */
int sg_iface_mtu(const char *iface);                /* ioctl, netns-correct */
/* The driver's count of lost XDP_TX frames (ETHTOOL_GSTATS: the stats
 * named *xdp_tx*err* or *xdp_tx*drop*, summed): 0, or -ENOENT when the
 * driver has none, or -errno. */
int sg_xdp_tx_errors(const char *iface, __u64 *errs);
/* The sysctls mirrored in the data path (and tcp_syncookies) that differ,
 * "net.ipv4.tcp_timestamps 1 -> 0, ..." into buf: how many. */
int sg_sysctls_diff(const struct sg_sysctls *a, const struct sg_sysctls *b,
		    char *buf, size_t n);
struct sg_tw_limits {
	__u64 max_buckets;        /* net.ipv4.tcp_max_tw_buckets              */
	__u16 port_lo, port_hi;   /* net.ipv4.ip_local_port_range             */
	__u64 port_range;         /* its size                                 */
};
/* What TIME_WAIT is measured against, in the current netns. */
void sg_tw_limits_read(struct sg_tw_limits *t);
/* What a kernel has when nobody changed its sysctls (the sample config). */
void sg_sysctls_defaults(struct sg_sysctls *s);
/* Kernel facts only: MSS tables, window scale, TTL, options. */
void sg_config_kernel(struct sg_config *c, const struct sg_sysctls *s, int mtu);
/* The settings of struct sg_config at their defaults (the settings table). */
void sg_config_defaults(struct sg_config *c, const struct sg_sysctls *s);
/* Cookie mode follows mode: on/off set cookie_active; going off keeps
 * checking cookies for two secret periods. auto leaves it to synguardd. */
void sg_config_mode(struct sg_config *c, unsigned int mode, __u64 now_ns,
		    __u64 period_ns);
/* Cookie mode on or off now (going off: the two-period check window). */
void sg_config_cookies(struct sg_config *c, bool on, __u64 now_ns, __u64 period_ns);

#define SG_MAX_PORT_SLOTS (SG_PORT_SLOTS - 2)
struct sg_portset {
	bool all;                 /* no -p: the ports with a local listener  */
	unsigned char bit[65536 / 8];
};
/* "80,443,8000-8099" or "all" -> set; on error the offending token in err. */
int sg_ports_parse_err(const char *s, struct sg_portset *ps, char *err, size_t n);
/* The same, printing the error as a -p error. */
int sg_ports_parse(const char *s, struct sg_portset *ps);
/* Whether port is in the bits of ps (its "all" flag not looked at). */
bool sg_ports_has(const struct sg_portset *ps, unsigned int port);
void sg_ports_add(struct sg_portset *ps, unsigned int port);
/* values for sg_ports: slot per port; "all" is the ports in listening
 * (only read then), counted together in slot SG_PORT_SLOT_OTHER */
void sg_ports_slots(const struct sg_portset *ps, const struct sg_portset *listening,
		    __u16 *slots /* [65536] */);
/* "80,443,8000-8099" from a slot map ("none" when no port). */
char *sg_ports_format(const __u16 *slots);
/* The same from the bits of a set (its "all" flag not looked at). */
char *sg_portset_format(const struct sg_portset *ps);

/* ---- local listeners (libsg_listen.c) -----------------------------------
 * The TCP ports with a LISTEN socket (IPv4 or IPv6) in this network
 * namespace, from an inet_diag dump (NETLINK_SOCK_DIAG). Listeners bound
 * to a loopback address only are left out: nothing from a NIC reaches
 * them. 0, or -1 with one line printed. */
int sg_listen_ports(struct sg_portset *ps);
/* One buffer of a dump's replies into ps: 1 once NLMSG_DONE was seen, 0
 * when more is to come, -errno on a netlink error or a malformed reply. */
int sg_listen_parse(const void *buf, size_t len, struct sg_portset *ps);
/* Every TCP socket of this network namespace in states (1 << TCP_*),
 * and with a local port of ports[] when nports > 0 (the kernel filters),
 * IPv4 then IPv6, each to cb: 0, or -errno quietly. */
#define SG_DIAG_PORTS_MAX 4
struct sg_diag_req {
	__u32 states;
	int nports;
	__u16 ports[SG_DIAG_PORTS_MAX];
};
struct inet_diag_msg;
typedef void (*sg_diag_cb)(const struct inet_diag_msg *m, void *arg);
int sg_diag_dump(const struct sg_diag_req *q, sg_diag_cb cb, void *arg);

/* KEY=VALUE of a setting stored in struct sg_config, applied to *c (mode
 * as sg_config_mode does); on error prints one line. */
int sg_config_set(struct sg_config *c, const char *kv, __u64 period_ns);

/* ---- settings (libsg_settings.c) ----------------------------------------
 * One table holds every setting: key, type and range, where it is stored,
 * default, when a change takes effect, one line of help. That table alone
 * drives the config file (INI: key "a.b" is "b" in section "[a]"),
 * synguardd's flags (-s KEY=VALUE and the named ones), `synguard set`,
 * `synguard status` and `help set`, the metrics and the sample config.
 * A new setting is a field (struct sg_config for what BPF reads, struct
 * sg_dsettings for what userspace acts on) plus one line in the table. */

/* A list of prefixes (allow.prefixes, deny.prefixes): sorted, no
 * duplicates, so that equal lists are equal bytes. A prefix is a struct
 * sg_src_key: family, length, address with its host bits zero. */
#define SG_PLIST_MAX 4096
struct sg_plist {
	__u32 n;
	struct sg_src_key p[SG_PLIST_MAX];
};

/* Every setting's value: one field each, wherever it is stored. */
struct sg_settings {
	struct sg_config cfg;     /* SG_STORE_CONFIG: the pinned sg_config map */
	struct sg_dsettings d;    /* SG_STORE_DAEMON: the pinned sg_daemon map */
	struct sg_portset ports;  /* SG_STORE_PORTS: the pinned sg_ports map   */
	struct sg_plist allow;    /* SG_STORE_POLICY: the pinned sg_policy trie */
	struct sg_plist deny;
};

enum sg_store { SG_STORE_CONFIG, SG_STORE_DAEMON, SG_STORE_PORTS, SG_STORE_POLICY };

/* When a change takes effect: at once (`synguard set` may change it), when
 * synguardd starts or reloads (SIGHUP), or only when the tables are made. */
enum sg_when { SG_LIVE, SG_RELOAD, SG_START };

/* What status shows beside a setting: the daemon's last sample (NULL when
 * it does not run) and a walk of the tables made now. */
struct sg_live {
	const struct sg_dstatus *st;        /* NULL: no daemon, or stale      */
	const struct sg_walk_args *walk;    /* made now, with tw_ephemeral    */
	const struct sg_secret_state *secrets;
	struct sg_tw_limits tw;
	__u64 now_ns;
};

struct sg_setting;
struct sg_pins;
struct sg_stype {
	const char *name;     /* for help: what a value looks like */
	/* text -> field; -1 with one line in err */
	int (*parse)(const struct sg_setting *st, void *field, const char *val,
		     char *err, size_t n);
	void (*format)(const struct sg_setting *st, const void *field,
		       char *buf, size_t n);
	bool numeric;         /* metrics/JSON: a number (else a string) */
	/* lists: a key given again in the config file adds to the value */
	int (*append)(const struct sg_setting *st, void *field, const char *val,
		      char *err, size_t n);
};
extern const struct sg_stype sg_t_uint, sg_t_bool, sg_t_enum, sg_t_string,
	sg_t_ports, sg_t_rate, sg_t_prefixes;

struct sg_setting {
	const char *key;
	const struct sg_stype *type;
	enum sg_store store;
	enum sg_when when;
	unsigned int off, size;      /* the field in struct sg_settings     */
	unsigned long lo, hi;        /* integers: the range                 */
	const char *const *names;    /* enums: names[value], NULL-terminated */
	const char *def;             /* the default, as written in the file */
	/* or, when the default follows the host's sysctls: */
	unsigned long (*compute)(const struct sg_sysctls *sy);
	const char *def_note;        /* ...and how, for help and the sample */
	const char *unit;            /* "s", "SYN/s", "%" or NULL           */
	const char *help;            /* one line                            */
	/* optional: refuse a value the type accepts (one line in err) */
	int (*check)(const struct sg_settings *s, char *err, size_t n);
	/* optional: the measured value status shows beside it */
	void (*beside)(const struct sg_setting *st, const struct sg_live *l,
		       char *buf, size_t n);
	/* optional, for what is not a field of a pinned struct (a map of its
	 * own) or has side effects: read it from / write it to the pins */
	int (*load)(const struct sg_pins *p, struct sg_settings *s);
	int (*apply)(const struct sg_pins *p, const struct sg_settings *old,
		     const struct sg_settings *new);
};

extern const struct sg_setting sg_settings_table[];
extern const unsigned int sg_settings_count;
#define SG_SETTINGS_MAX 128
#define sg_settings_for_each(st) \
	for (const struct sg_setting *st = sg_settings_table; \
	     st < sg_settings_table + sg_settings_count; st++)

/* Where each setting's value came from: 0 default/kept, > 0 the config
 * file's line, SG_FROM_FLAG the command line. */
#define SG_FROM_FLAG (-1)
struct sg_given {
	int line[SG_SETTINGS_MAX];
	const char *file;
};

const struct sg_setting *sg_setting_find(const char *key);
/* Every setting at its default, computed ones from the sysctls given. */
void sg_settings_defaults(struct sg_settings *s, const struct sg_sysctls *sy);
/* "KEY=VALUE": checks and stores it in *s, marks it given from origin; the
 * value "default" restores the default. -1 with one line in err (which
 * names the key, not the origin). */
int sg_settings_kv(struct sg_settings *s, struct sg_given *g, int origin,
		   const char *kv, char *err, size_t n);
/* The INI file: -SG_EXIT_FAIL (cannot read) or -SG_EXIT_USAGE with
 * "FILE:LINE: reason" in err. */
int sg_settings_file(struct sg_settings *s, struct sg_given *g,
		     const char *path, char *err, size_t n);
/* Rules between settings (low <= high); "FILE:LINE: " when from the file. */
int sg_settings_check(const struct sg_settings *s, const struct sg_given *g,
		      char *err, size_t n);
/* dst takes every setting g marks as given from src. */
void sg_settings_merge(struct sg_settings *dst, const struct sg_settings *src,
		       const struct sg_given *g);
bool sg_setting_differs(const struct sg_setting *st,
			const struct sg_settings *a, const struct sg_settings *b);
void sg_setting_format(const struct sg_setting *st, const struct sg_settings *s,
		       char *buf, size_t n);
/* The setting as a number (uint, bool, enum index) for metrics. */
double sg_setting_number(const struct sg_setting *st, const struct sg_settings *s);
const char *sg_when_name(enum sg_when w);
/* One line of help: type, range/names, unit, default. */
void sg_setting_describe(const struct sg_setting *st, char *buf, size_t n);
/* The commented config file with every setting at its default. */
void sg_settings_sample(FILE *f);

/* ---- pinned objects (libsg_maps.c) ------------------------------------ */
struct sg_pins {
	char iface[IF_NAMESIZE];
	char bpffs[PATH_MAX];
	char dir[PATH_MAX + 32];   /* bpffs/synguard/iface */
	int config_fd, ports_fd, secrets_fd, counters_fd, pcounters_fd;
	int synced_fd, embryonic_fd, walk_fd, daemon_fd;
	int policy_fd, policy_bits_fd, learned_fd, hitters_fd, events_fd;
	int local_addrs_fd;
	/* the config and daemon maps through an mmap: fields written in place */
	struct sg_config *cfg;
	struct sg_dpage *dpage;
};
void sg_pins_init(struct sg_pins *p, const char *bpffs, const char *iface);
/* p->dir is really BPFFS/synguard/IFACE (realpath: no symlink or ".."
 * leads elsewhere): checked before anything in it is made or removed. */
bool sg_pins_dir_safe(const struct sg_pins *p);
int sg_pin_path(char *buf, size_t len, const struct sg_pins *p, const char *name);
/* -1 and one line if iface is not ours (usage error). */
int sg_pins_open(struct sg_pins *p);
void sg_pins_close(struct sg_pins *p);
/* false once the pins were removed or replaced (a daemon stopped, or a
 * new one started afresh): the open maps are no longer the interface's */
bool sg_pins_current(const struct sg_pins *p);
/* The single interface under bpffs/synguard; -1 when there is none (one
 * line unless quiet), -2 (one line) when there are several. */
int sg_pins_guess_iface(const char *bpffs, char *iface, size_t len, bool quiet);

/* ---- the host's addresses (libsg_addrs.c) ----------------------------- */
/* sg_local_addrs becomes this network namespace's addresses and IPv4
 * broadcasts, and sg_config.local_addrs says the data path may rely on
 * it. Returns how many entries changed, or -1 (then the map is kept as
 * it is); logs once when the addresses cannot be read, or can again
 * (*last_err: the previous call's 0 or -errno). */
int sg_local_addrs_sync(const struct sg_pins *p, int *last_err);

/* Every setting from the pinned maps. */
int sg_settings_read(const struct sg_pins *p, struct sg_settings *s);
/* Writes what differs between old and new into the pinned maps, field by
 * field (mode through sg_config_mode); ports with their counter slots
 * cleared where the port changes. */
int sg_settings_write(const struct sg_pins *p, const struct sg_settings *old,
		      const struct sg_settings *new);
/* The value of an mmapable single-entry array map, as BPF sees it;
 * munmap(m, sg_map_len(len)). NULL after one error line. */
void *sg_map_mmap(int fd, size_t len, const char *name);
size_t sg_map_len(size_t len);
__u32 sg_map_max_entries(int fd);                   /* 0 on error */
int sg_config_read(int fd, struct sg_config *c);
int sg_config_write(int fd, const struct sg_config *c);
int sg_counters_read(int fd, __u64 out[SG_CNT_MAX]);
/* One bank of them (SG_BANK_REAL, SG_BANK_WOULD: shadow mode's). */
int sg_counters_read_bank(int fd, __u32 bank, __u64 out[SG_CNT_MAX]);
/* out[slot][counter] summed over CPUs; nslots = SG_PORT_SLOTS */
int sg_pcounters_read(int fd, __u64 (*out)[SG_PCNT_MAX]);
int sg_ports_read(int fd, __u16 *slots /* [65536] */);
int sg_ports_write(int fd, const __u16 *slots);
int sg_walk_run(int prog_fd, int delete_expired, struct sg_walk_args *a);
/* The same, also counting TIME_WAIT entries on local ports lo..hi. */
int sg_walk_run_tw(int prog_fd, int delete_expired, __u16 lo, __u16 hi,
		   struct sg_walk_args *a);
/* The per-state gauges for the CLI: a walk of the tables, or over big
 * tables the daemon's last sweep (include/synguard.h SG_GAUGES_*), then
 * *age_s says how old. */
int sg_gauges_read(const struct sg_pins *p, int daemon_pid, __u16 lo, __u16 hi,
		   struct sg_walk_args *a, double *age_s);
int sg_secrets_read(int fd, struct sg_secret_state *s);
__u64 sg_now_ns(void);                               /* CLOCK_MONOTONIC */
__u64 sg_coarse_now_ns(void);     /* CLOCK_MONOTONIC_COARSE: bpf_ktime_get_coarse_ns */
/* The label of each port counter slot: its first port, "other", or "". */
void sg_slot_labels(const __u16 *slots, char (*label)[8]);

struct sg_conn {
	struct sg_ct_key k;
	struct sg_ct_entry e;
};
/* Both tables, unexpired entries, sorted. *out is malloc'd. */
int sg_conns_read(const struct sg_pins *p, const struct sg_config *c,
		  struct sg_conn **out, size_t *n);

#ifndef BPF_TCX_INGRESS          /* Debian's uapi headers predate tcx (6.6) */
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif
/* Is program id attached by tcx at ifindex of this network namespace, in
 * direction dir (0 ingress, 1 egress)? Ifindexes repeat across
 * namespaces; this query does not. */
bool sg_tcx_has_prog(int ifindex, int dir, __u32 id);
/* Daemon liveness from the pidfile lock: pid if running, 0 if not. */
int sg_daemon_pid(const char *iface);
/* A daemon holds p's pin directory: this namespace's (sg_daemon_pid), or
 * one in another namespace that shares the bpffs. */
bool sg_pins_held(const struct sg_pins *p);
/* This network namespace's pidfile of iface, or (dir) its directory. */
void sg_pidfile_path(char *buf, size_t len, const char *iface, bool dir);
/* The XDP program on p->iface is synguard's pinned one (or libxdp's
 * multi-program dispatcher, which runs it). */
bool sg_xdp_is_ours(const struct sg_pins *p);
/* Beside the pidfile, "VERSION BUILD" of the daemon holding it. */
void sg_versionfile_path(char *buf, size_t len, const char *iface);
/* The version and build id the daemon wrote there: 0, or -1. */
int sg_daemon_build(const char *iface, char *version, size_t vlen, char *build, size_t blen);

/* ---- load/attach (libsg_load.c) ---------------------------------------- */
/* synguard detach: XDP, the TC links and every pin of iface, with no
 * daemon running there; an SG_EXIT_* code. */
int sg_detach_iface(const char *bpffs, const char *iface);
/* The capabilities a binary uses, checked in the effective set (not
 * euid 0): 0, or -1 with one line naming each missing one and why. */
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
int sg_check_kernel(void);        /* BTF + bpf_sk_assign_tcp_reqsk kfunc */
int sg_check_syncookies(void);
int sg_ensure_bpffs(const char *dir);

/* ---- cookie secrets (libsg_secrets.c) ----------------------------------- */
__u64 sg_realtime_ns(void);                           /* CLOCK_REALTIME */
/* The sg_secrets map through an mmap, as BPF reads it: *len to munmap. */
struct sg_secret_state *sg_secrets_mmap(int fd, size_t *len);
int sg_secrets_random(struct sg_secret *k);        /* getrandom(2)          */
/* Both slots random; the data path bounds each one's life by period_ns
 * (struct sg_secret_state). */
int sg_secrets_fresh(struct sg_secret_state *s, __u64 period_ns);
int sg_secrets_rotate(struct sg_secret_state *s);  /* new key becomes current */
/* The period the data path bounds the secrets' life by, changed live. */
void sg_secrets_period(struct sg_secret_state *s, __u64 period_ns);
/* A master key file: 32 hex digits, a regular file of root's (or ours) that
 * only its owner may read; -1 with one line in err. */
int sg_secret_file_load(const char *path, struct sg_secret *k, char *err, size_t n);
/* The secret of period number no: SipHash of no keyed by master (a PRF). */
void sg_secret_derive(const struct sg_secret *master, __u64 no, struct sg_secret *out);
/* A short keyed fingerprint of a secret, to compare hosts (not the key). */
__u32 sg_secret_id(const struct sg_secret *k);
/* Brings the slots to what wall-clock time real_ns asks of derived
 * secrets (fresh: overwrite both); *no is the current period number. */
#define SG_SECRET_ROTATED 1   /* the current secret changed */
#define SG_SECRET_NEXT 2      /* the next period's secret is now accepted */
int sg_secrets_derived(struct sg_secret_state *s, const struct sg_secret *master,
		       __u64 period_ns, __u64 real_ns, __u64 mono_ns, bool fresh,
		       __u64 *no);
/* ns until sg_secrets_derived has something to do */
__u64 sg_secrets_derived_due(__u64 period_ns, __u64 real_ns);

/* ---- the daemon (libsg_daemon.c) ---------------------------------------- */
struct sg_daemon_opts {
	const char *iface;
	const char *bpffs;
	const char *config;       /* -c FILE, or NULL                          */
	char **overrides;         /* KEY=VALUE from the command line           */
	int noverrides;
	bool verbose;
};

struct sg_daemon;
/* pidfile lock, settings, load, pin, secrets, metrics, attach; NULL after
 * one error line. s/g: the settings composed from file and flags. */
struct sg_daemon *sg_daemon_start(const struct sg_daemon_opts *o,
				  const struct sg_settings *s,
				  const struct sg_given *g, int *exit_code);
/* Once a second: sample, auto mode, TIME_WAIT pressure, sweep; and the
 * secret schedule whenever due. Returns ms until it wants to run again. */
int sg_daemon_run(struct sg_daemon *d);
/* SIGHUP: re-read the file; an invalid one changes nothing. */
int sg_daemon_reload(struct sg_daemon *d);
/* The metrics endpoint's fd to poll (-1: none); sg_daemon_serve when ready. */
int sg_daemon_poll_fd(struct sg_daemon *d);
void sg_daemon_serve(struct sg_daemon *d);
/* Detach and unpin (unless keep_attached), free. */
void sg_daemon_stop(struct sg_daemon *d);

/* ---- metrics (libsg_metrics.c) ------------------------------------------ */
/* "off" -> 1; "ADDR:PORT" or "[ADDR6]:PORT" -> 0; else -1 with err. */
int sg_metrics_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		    char *err, size_t n);
struct sg_metrics;
/* Listens on addr (not "off"); NULL with err. */
struct sg_metrics *sg_metrics_start(const char *addr, const struct sg_pins *p,
				    const struct sg_walk_args *sample,
				    char *err, size_t n);
int sg_metrics_fd(const struct sg_metrics *m);
void sg_metrics_serve(struct sg_metrics *m);
void sg_metrics_stop(struct sg_metrics *m);
/* Prometheus text exposition of the pins (sample: the daemon's last walk).
 * malloc'd, NULL on error. */
char *sg_metrics_text(const struct sg_pins *p, const struct sg_walk_args *sample,
		      size_t *len);

/* ---- policy and visibility (libsg_policy.c) ------------------------------ */
/* "198.18.0.0/15", "2001:db8::/32", an address alone (a host); -1 with one
 * line in err (host bits set: the prefix meant is named). */
int sg_prefix_parse(const char *s, struct sg_src_key *p, char *err, size_t n);
void sg_prefix_format(const struct sg_src_key *p, char *buf, size_t n);
/* The address of family fam (4/6, network order) masked to plen bits. */
void sg_prefix_of(struct sg_src_key *p, __u8 fam, const __u32 *addr, __u8 plen);
int sg_plist_add(struct sg_plist *l, const struct sg_src_key *p);   /* 1: new */
int sg_plist_del(struct sg_plist *l, const struct sg_src_key *p);   /* 1: was */
bool sg_plist_has(const struct sg_plist *l, const struct sg_src_key *p);
/* The trie's entries as two lists. */
int sg_policy_read(int fd, struct sg_plist *allow, struct sg_plist *deny);
/* The trie and its filter as the lists say; *flags gets sg_config.policy. */
int sg_policy_write(int policy_fd, int bits_fd, const struct sg_plist *allow,
		    const struct sg_plist *deny, __u32 *flags);
/* The filter's words alone (SG_POLICY_BITS_ENTRIES), and the flags. */
void sg_policy_bits_make(const struct sg_plist *allow, const struct sg_plist *deny,
			 __u64 *words, __u32 *flags);
void sg_lpm_key_of(struct sg_lpm_key *k, const struct sg_src_key *p);
/* The settings table's hooks of allow.prefixes and deny.prefixes. */
int sg_policy_load(const struct sg_pins *p, struct sg_settings *s);
int sg_policy_apply(const struct sg_pins *p, const struct sg_settings *old,
		    const struct sg_settings *new);
/* No prefix in both lists; -1 with one line in err. */
int sg_policy_check(const struct sg_settings *s, char *err, size_t n);
/* Live learned sources (now: CLOCK_MONOTONIC); flush empties the list. */
struct sg_learned_src {
	struct sg_src_key k;
	__u64 seen_ns;
};
int sg_learned_read(const struct sg_pins *p, const struct sg_config *c, __u64 now,
		    struct sg_learned_src **out, size_t *n);
int sg_learned_flush(const struct sg_pins *p, size_t *removed);
/* Heavy hitters: SYN sources past top.threshold seen in the last
 * SG_TOP_RECENT_S, summed over CPUs, and the remote prefixes holding most
 * tracked connections. */
#define SG_TOP_RECENT_S 60
struct sg_top_src {
	struct sg_src_key k;
	__u64 syns;               /* in its last window, all CPUs            */
	__u64 seen_ns;            /* last recorded                          */
};
int sg_hitters_read(const struct sg_pins *p, __u64 now, struct sg_top_src **out,
		    size_t *n);
struct sg_top_ct {
	struct sg_src_key k;
	__u64 entries, embryonic; /* tracked (at least: a bounded summary)   */
	__u64 error;              /* ...overcounted by at most this          */
};
/* A bounded-memory walk of both tables (Space-Saving summary of cap
 * prefixes, prefixes of plen4/plen6 bits); sorted, most first. */
int sg_ct_top(const struct sg_pins *p, const struct sg_config *c, __u8 plen4,
	      __u8 plen6, size_t cap, struct sg_top_ct **out, size_t *n,
	      __u64 *walked);

/* ---- output (libsg_format.c) ------------------------------------------ */
struct sg_view {
	struct sg_pins *pins;
	struct sg_config cfg;
	int daemon_pid;
};
int sg_cmd_status(struct sg_view *v, bool json);
/* stats -w: every secs seconds until SIGINT/SIGTERM, rates per second;
 * redrawn in place on a terminal, one line (or JSON object) each else. */
int sg_cmd_stats_watch(struct sg_view *v, unsigned int secs, bool json);
void sg_json_print(struct json_object *o);
/* allow|deny add|del|list|flush (libsg_policy.c) */
struct sg_policy_cmd {
	enum sg_action act;
	const char *op;           /* add, del, list, flush                 */
	char **args;              /* the prefixes                          */
	int nargs;
	bool learned, json;
	bool force;               /* deny add: no lockout check            */
};
int sg_cmd_policy(struct sg_view *v, const struct sg_policy_cmd *pc);
int sg_cmd_top(struct sg_view *v, unsigned int n, bool json);
/* tune: advice from secs seconds of observation (libsg_tune.c); v may be
 * NULL (no synguard here: the kernel's counters alone) */
int sg_cmd_tune(struct sg_view *v, unsigned int secs, bool apply, bool json);
/* An address of family 4/6 (network order) as text. */
void sg_addr_format(char *buf, size_t len, __u8 family, const __u32 *a);

/* ---- the CLI's additions (branch cli) ----------------------------------
 * Kept together at the end so that the split into per-module headers can
 * move each line to its module: the commands' new arguments (filters, all
 * counters) and the option ids of the new flags (rows in libsg_util.c). */
struct sg_filter;
/* stats: the gauges and the non-zero counters; all: every counter */
int sg_cmd_stats(struct sg_view *v, bool json, bool all);
/* conns: the tracked connections f selects (libsg_filter.h) */
int sg_cmd_conns(struct sg_view *v, const struct sg_filter *f, bool json);
/* events: until SIGINT/SIGTERM or a closed pipe, those f selects
 * (libsg_events.c) */
int sg_cmd_events(struct sg_view *v, const struct sg_filter *f, bool json);
/* defaults(sy) <- the config file (if any) <- iface's state file (what
 * synguard set/allow/deny saved, libsg_state.h; none when iface is NULL)
 * <- the KEY=VALUE overrides of the command line, then sg_settings_check:
 * 0, or -exit code with err. */
int sg_settings_compose(struct sg_settings *s, struct sg_given *g,
			const struct sg_sysctls *sy, const char *file, const char *iface,
			char *const *kv, int nkv, char *err, size_t n);
enum sg_opt_id_cli {
	SG_OPT_SPORT = 340,
	SG_OPT_DPORT,
	SG_OPT_PORT,
	SG_OPT_SRC,
	SG_OPT_DST,
	SG_OPT_ALL,
};

#endif /* LIBSYNGUARD_H */
