/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_maps: the pinned objects. It owns pin paths, opening the pinned
 * maps and programs of an interface, reading and writing them (config,
 * counters, ports, secrets, the walker's gauges, the tracked connections),
 * the clocks the data path uses, and what says whether a daemon holds an
 * interface (pidfile, version file, attached programs). */
#ifndef LIBSG_MAPS_H
#define LIBSG_MAPS_H

#include <limits.h>
#include <net/if.h>
#include "libsg_util.h"

struct sg_pins {
	char iface[IF_NAMESIZE];
	char bpffs[PATH_MAX];
	char dir[PATH_MAX + 32]; /* bpffs/synguard/iface */
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
/* 0, or -errno after one line: -ENODEV when iface has no synguard. */
int sg_pins_open(struct sg_pins *p);
void sg_pins_close(struct sg_pins *p);
/* false once the pins were removed or replaced (a daemon stopped, or a
 * new one started afresh): the open maps are no longer the interface's */
bool sg_pins_current(const struct sg_pins *p);
/* The single interface under bpffs/synguard; -ENOENT when there is none
 * (one line unless quiet), -ENOTUNIQ (one line) when there are several. */
int sg_pins_guess_iface(const char *bpffs, char *iface, size_t len, bool quiet);

/* The value of an mmapable single-entry array map, as BPF sees it;
 * munmap(m, sg_map_len(len)). NULL after one error line. */
void *sg_map_mmap(int fd, size_t len, const char *name);
size_t sg_map_len(size_t len);
__u32 sg_map_max_entries(int fd); /* 0 on error */
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
int sg_walk_run_tw(int prog_fd, int delete_expired, __u16 lo, __u16 hi, struct sg_walk_args *a);
/* The per-state gauges for the CLI: a walk of the tables, or over big
 * tables the daemon's last sweep (include/synguard.h SG_GAUGES_*), then
 * *age_s says how old. */
int sg_gauges_read(const struct sg_pins *p, int daemon_pid, __u16 lo, __u16 hi,
		   struct sg_walk_args *a, double *age_s);
int sg_secrets_read(int fd, struct sg_secret_state *s);
__u64 sg_now_ns(void);        /* CLOCK_MONOTONIC */
__u64 sg_coarse_now_ns(void); /* CLOCK_MONOTONIC_COARSE: bpf_ktime_get_coarse_ns */
/* The label of each port counter slot: its first port, "other", or "". */
void sg_slot_labels(const __u16 *slots, char (*label)[8]);

struct sg_conn {
	struct sg_ct_key k;
	struct sg_ct_entry e;
};
/* Both tables, unexpired entries, sorted. *out is malloc'd. */
int sg_conns_read(const struct sg_pins *p, const struct sg_config *c, struct sg_conn **out,
		  size_t *n);

#ifndef BPF_TCX_INGRESS /* Debian's uapi headers predate tcx (6.6) */
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
/* The version and build id the daemon wrote there: 0, or a negative errno. */
int sg_daemon_build(const char *iface, char *version, size_t vlen, char *build, size_t blen);

/* An interface as a command sees it: its pins, its config as read when
 * the command started, and the pid of the daemon holding it (0: none). */
struct sg_view {
	struct sg_pins *pins;
	struct sg_config cfg;
	int daemon_pid;
};

#endif /* LIBSG_MAPS_H */
