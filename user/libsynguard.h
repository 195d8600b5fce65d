/* SPDX-License-Identifier: GPL-2.0 */
/* libsynguard: everything synguardd and synguard share.
 *
 *   libsg_util.c    logging, names of states/counters/modes, the option
 *                   table and help layout every command uses
 *   libsg_config.c  sysctls -> struct sg_config, port lists, KEY=VALUE
 *   libsg_maps.c    pin paths, pinned maps and programs, reading them
 *   libsg_load.c    startup checks, loading, attaching, secrets, pidfile
 *   libsg_format.c  human tables and JSON (json-c) for status/stats/conns
 */
#ifndef LIBSYNGUARD_H
#define LIBSYNGUARD_H

#include <stdbool.h>
#include <stdio.h>
#include <limits.h>
#include <net/if.h>
#include <json-c/json.h>
#include "synguard.h"

/* exit codes */
#define SG_EXIT_OK 0
#define SG_EXIT_FAIL 1
#define SG_EXIT_USAGE 2

#define SG_RUN_DIR "/run/synguard"
#define SG_DEFAULT_CT_SIZE 131072
#define SG_DEFAULT_SECRET_PERIOD 60

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

/* ---- names ------------------------------------------------------------- */
extern const char *const sg_state_names[SG_STATE_MAX];
extern const char *const sg_counter_names[SG_CNT_MAX];
extern const char *const sg_pcounter_names[SG_PCNT_MAX];
const char *sg_state_name(unsigned int st);   /* SG_NONE -> "NONE" */
int sg_state_parse(const char *name);         /* -1 if unknown */
const char *sg_mode_name(unsigned int mode);
int sg_mode_parse(const char *name);          /* -1 if unknown */

/* ---- options: one table, xdp-tools style ------------------------------- */
enum sg_opt_id {
	SG_OPT_IFACE = 'i',
	SG_OPT_PORTS = 'p',
	SG_OPT_HELP = 'h',
	SG_OPT_WATCH = 'w',
	SG_OPT_VERBOSE = 'v',
	SG_OPT_MODE = 256,
	SG_OPT_BPFFS,
	SG_OPT_CT_SIZE,
	SG_OPT_SECRET_PERIOD,
	SG_OPT_KEEP_ATTACHED,
	SG_OPT_JSON,
	SG_OPT_STATE,
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
/* Kernel facts only: MSS tables, window scale, TTL, options. */
void sg_config_kernel(struct sg_config *c, const struct sg_sysctls *s, int mtu);
/* Defaults a fresh start uses for the settings `synguard set` changes. */
void sg_config_defaults(struct sg_config *c, const struct sg_sysctls *s);

#define SG_MAX_PORT_SLOTS (SG_PORT_SLOTS - 2)
struct sg_portset {
	bool all;                 /* no -p: every port                       */
	unsigned char bit[65536 / 8];
};
/* "80,443,8000-8099" -> set. On error prints the offending token. */
int sg_ports_parse(const char *s, struct sg_portset *ps);
bool sg_ports_has(const struct sg_portset *ps, unsigned int port);
/* values for sg_ports: slot per port */
void sg_ports_slots(const struct sg_portset *ps, __u16 *slots /* [65536] */);
/* "80,443,8000-8099" from a slot map ("all" when every port). */
char *sg_ports_format(const __u16 *slots);

/* `synguard set KEY=VALUE`: validates into *c; on error prints one line. */
int sg_config_set(struct sg_config *c, const char *kv, __u64 period_ns);

/* ---- pinned objects (libsg_maps.c) ------------------------------------ */
struct sg_pins {
	char iface[IF_NAMESIZE];
	char bpffs[PATH_MAX];
	char dir[PATH_MAX + 32];   /* bpffs/synguard/iface */
	int config_fd, ports_fd, secrets_fd, counters_fd, pcounters_fd;
	int synced_fd, embryonic_fd, walk_fd, gauges_fd;
};
void sg_pins_init(struct sg_pins *p, const char *bpffs, const char *iface);
int sg_pin_path(char *buf, size_t len, const struct sg_pins *p, const char *name);
/* -1 and one line if iface is not ours (usage error). */
int sg_pins_open(struct sg_pins *p);
void sg_pins_close(struct sg_pins *p);
/* The single interface under bpffs/synguard; -1 (one line) otherwise. */
int sg_pins_guess_iface(const char *bpffs, char *iface, size_t len);

int sg_config_read(int fd, struct sg_config *c);
int sg_config_write(int fd, const struct sg_config *c);
int sg_counters_read(int fd, __u64 out[SG_CNT_MAX]);
/* out[slot][counter] summed over CPUs; nslots = SG_PORT_SLOTS */
int sg_pcounters_read(int fd, __u64 (*out)[SG_PCNT_MAX]);
int sg_ports_read(int fd, __u16 *slots /* [65536] */);
int sg_ports_write(int fd, const __u16 *slots);
int sg_walk_run(int prog_fd, int delete_expired, struct sg_walk_args *a);
/* The per-state gauges for the CLI: a walk of the tables, or over big
 * tables the daemon's last sweep (include/synguard.h SG_GAUGES_*), then
 * *age_s says how old. */
int sg_gauges_read(const struct sg_pins *p, int daemon_pid,
		   struct sg_walk_args *a, double *age_s);
int sg_secrets_read(int fd, struct sg_secret_state *s);
__u64 sg_now_ns(void);                               /* CLOCK_MONOTONIC */

struct sg_conn {
	struct sg_ct_key k;
	struct sg_ct_entry e;
};
/* Both tables, unexpired entries, sorted. *out is malloc'd. */
int sg_conns_read(const struct sg_pins *p, const struct sg_config *c,
		  struct sg_conn **out, size_t *n);

/* Daemon liveness from the pidfile lock: pid if running, 0 if not. */
int sg_daemon_pid(const char *iface);
void sg_pidfile_path(char *buf, size_t len, const char *iface);

/* ---- load/attach (libsg_load.c) ---------------------------------------- */
int sg_check_root(void);
int sg_check_kernel(void);        /* BTF + bpf_sk_assign_tcp_reqsk kfunc */
int sg_check_syncookies(void);
int sg_ensure_bpffs(const char *dir);

/* The sg_secrets map through an mmap, as BPF reads it: *len to munmap. */
struct sg_secret_state *sg_secrets_mmap(int fd, size_t *len);
int sg_secrets_fresh(struct sg_secret_state *s);   /* both slots random     */
int sg_secrets_rotate(struct sg_secret_state *s);  /* new key becomes current */

struct sg_daemon_opts {
	const char *iface;
	const char *bpffs;
	struct sg_portset ports;
	int mode;                 /* -1: keep pinned / default                */
	unsigned long ct_size;    /* 0: keep pinned / default                 */
	unsigned long secret_period;
	bool keep_attached;
	bool verbose;
};

struct sg_daemon;
/* pidfile lock, load, pin, configure, attach; NULL after one error line */
struct sg_daemon *sg_daemon_start(const struct sg_daemon_opts *o, int *exit_code);
void sg_daemon_tick(struct sg_daemon *d);   /* rotate + sweep, once a second */
/* Detach and unpin (unless keep_attached), free. */
void sg_daemon_stop(struct sg_daemon *d);

/* ---- output (libsg_format.c) ------------------------------------------ */
struct sg_view {
	struct sg_pins *pins;
	struct sg_config cfg;
	int daemon_pid;
};
int sg_cmd_status(struct sg_view *v, bool json);
int sg_cmd_stats(struct sg_view *v, bool json);
int sg_cmd_conns(struct sg_view *v, int state, bool json);
void sg_json_print(struct json_object *o);

#endif /* LIBSYNGUARD_H */
