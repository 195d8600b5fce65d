/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_load: what a running synguardd holds (struct sg_daemon) and how
 * it gets there: startup checks, the pidfile lock, loading the BPF object
 * with its pinned maps, attaching XDP and tc, detaching, unpinning, and
 * `synguard detach`. */
#ifndef LIBSG_LOAD_H
#define LIBSG_LOAD_H

#include <xdp/libxdp.h>
#include "libsg_settings.h"
#include "libsg_secrets.h"

/* synguard detach: XDP, the TC links and every pin of iface, with no
 * daemon running there; an SG_EXIT_* code. */
int sg_detach_iface(const char *bpffs, const char *iface);
int sg_check_kernel(void); /* BTF + bpf_sk_assign_tcp_reqsk kfunc */
int sg_check_syncookies(void);
int sg_ensure_bpffs(const char *dir);

struct sg_daemon_opts {
	const char *iface;
	const char *bpffs;
	const char *config; /* -c FILE, or NULL                          */
	char **overrides;   /* KEY=VALUE from the command line           */
	int noverrides;
	bool verbose;
};

struct synguard_bpf;
struct sg_metrics;

struct sg_daemon {
	struct sg_daemon_opts o;
	struct synguard_bpf *skel;
	struct sg_pins pins;     /* fds and mmaps of the pinned maps   */
	bool reused;             /* pins of an earlier run were found  */
	bool secrets_kept;       /* ...or the secrets a plain stop kept */
	bool maps_reset;         /* ...of another build: maps made new  */
	__u32 ct_size, emb_size; /* the tables' real sizes             */
	int ifindex;
	struct xdp_program *xdp;
	enum xdp_attach_mode xdp_mode;
	int tc_link_fd[2];    /* tcx links: ingress, egress         */
	bool tc_clsact[2];    /* fallback: clsact filter attached   */
	bool attached;        /* on ifindex, which carries o.iface  */
	bool reattach_failed; /* ...said once while it keeps failing */
	bool moved_away;      /* the device went to another netns with
				       * our programs: a stop keeps the pins */
	int pid_fd;           /* the pidfile, locked               */
	int pins_lock_fd;     /* the pin directory, locked         */

	struct sg_secret_state *secrets;
	size_t secrets_len;
	struct sg_secret master; /* secret.file's key ...              */
	bool have_master;        /* ... when there is one              */
	struct sg_metrics *metrics;
	struct sg_settings known; /* as last seen: `synguard set` shows */
	struct sg_walk_args walk; /* the last sample's walk             */
	__u64 next_sample_ns;
	__u64 last_syn, last_syn_ns; /* syn_received at the last sample    */
	__u32 last_cookie_active;
	struct sg_sysctls sy;             /* what sg_config_kernel last mirrored */
	int mtu;                          /* ...and the MTU                      */
	struct {                          /* sg_xdp_tx_check: the driver's view  */
		bool known;               /* errs/sent hold the last sample's    */
		__u64 errs, sent;         /* xdp_tx errors, syn_cookies_sent     */
		__u64 acc_errs, acc_sent; /* since the last judgement        */
	} xdp_tx;
	int addrs_err;      /* the host's addresses: last 0/-errno */
	__u64 tw_overflows; /* TcpExtTCPTimeWaitOverflow, last seen */
	int tw_reconcile;   /* samples left to check TIME_WAIT     */
};

int sg_pidfile_lock(const char *iface);
/* bpffs, pin directory, table sizes, the BPF object (pinned maps re-used),
 * the walker's pin, the pins opened: d->pins, d->reused, d->ct_size. */
int sg_daemon_load(struct sg_daemon *d, const struct sg_settings *s, const struct sg_given *g);
int sg_daemon_attach(struct sg_daemon *d);
void sg_daemon_detach(struct sg_daemon *d);
/* The interface deleted, renamed or back: logged, left, re-attached. */
void sg_daemon_watch_iface(struct sg_daemon *d);
/* Removes every pin, and the pin directories once empty. */
void sg_daemon_unpin(struct sg_daemon *d);
/* A plain stop: the secrets map pinned apart for the next daemon
 * (sg_daemon_load adopts it); dropped once adopted, or by a detach. */
void sg_daemon_keep_secrets(struct sg_daemon *d);
void sg_kept_secrets_drop(const struct sg_pins *p);
/* Frees what sg_daemon_load made (not the pins themselves). */
void sg_daemon_unload(struct sg_daemon *d);

#endif /* LIBSG_LOAD_H */
