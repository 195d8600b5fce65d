// SPDX-License-Identifier: GPL-2.0
/* synguardd's life: start (settings over the pins), the once-a-second
 * sample (auto mode, TIME_WAIT pressure, sweep), the secret schedule,
 * reload on SIGHUP, the metrics endpoint, stop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libsg_daemon.h"
#include "libsg_config.h"
#include "libsg_maps.h"
#include "libsg_addrs.h"
#include "libsg_listen.h"
#include "libsg_secrets.h"
#include "libsg_settings.h"
#include "libsg_metrics.h"
#include "libsg_load.h"
#include "libsg_reconcile.h"
#include "libsg_tune.h"
#include "libsg_state.h"
#include "synguard.skel.h"

static __u64 sg_period_ns(const struct sg_daemon *d)
{
	return (__u64)d->pins.dpage->set.secret_period_s * SG_NS;
}

/* ---- secrets ---------------------------------------------------------------------- */
/* A restart keeps the pinned secrets: cookies in flight stay valid. */
static int sg_secrets_setup(struct sg_daemon *d)
{
	struct sg_secret_state *s;
	__u64 now = sg_now_ns(), age, period = sg_period_ns(d), no;

	s = sg_secrets_mmap(d->pins.secrets_fd, &d->secrets_len);
	if (!s)
		return -EIO; /* sg_map_mmap said why */
	d->secrets = s;
	sg_secrets_period(s, period);
	if (d->have_master) {
		bool ours = false;
		struct sg_secret k;

		/* fresh unless the slots already hold this key's secrets */
		no = sg_realtime_ns() / period;
		for (int i = -1; i <= 1 && (d->reused || d->secrets_kept); i++) {
			sg_secret_derive(&d->master, no + (__u64)i, &k);
			ours |= !memcmp(&s->slot[s->cur & 1], &k, sizeof(k));
		}
		sg_secrets_derived(s, &d->master, period, sg_realtime_ns(), now, !ours, &no);
		sg_log("%s: cookie secrets derived from %s (period #%llu, id %08x)%s", d->o.iface,
		       d->pins.dpage->set.secret_file, (unsigned long long)no,
		       sg_secret_id(&s->slot[s->cur & 1]), ours ? ", kept" : "");
		return 0;
	}
	age = now - s->rotated_ns;
	if ((d->reused || d->secrets_kept) && s->rotated_ns && s->rotated_ns <= now &&
	    age < period) {
		sg_log("%s: keeping the pinned cookie secrets (rotated %llus ago, id %08x)",
		       d->o.iface, (unsigned long long)(age / SG_NS),
		       sg_secret_id(&s->slot[s->cur & 1]));
		return 0;
	}
	/* While no daemon ran, the programs went on making cookies with the
	 * current secret, up to a period and the slack after it was installed
	 * (struct sg_secret_state): rotate, so that it stays accepted as the
	 * previous one while its time lasts, rather than start fresh. */
	if ((d->reused || d->secrets_kept) && s->rotated_ns && s->rotated_ns <= now)
		return sg_secrets_rotate(s);
	return sg_secrets_fresh(s, period);
}

/* Due rotations; returns ns until the next one. */
static __u64 sg_secrets_tick(struct sg_daemon *d, __u64 now)
{
	struct sg_secret_state *s = d->secrets;
	struct sg_daemon_status *st = &d->pins.dpage->st;
	__u64 period = sg_period_ns(d), real, no, age;

	st->secret_derived = d->have_master;
	if (d->have_master) {
		real = sg_realtime_ns();
		if (sg_secrets_derived(s, &d->master, period, real, now, false, &no) ==
			    SG_SECRET_ROTATED &&
		    d->o.verbose)
			sg_log("%s: cookie secret of period #%llu (id %08x)", d->o.iface,
			       (unsigned long long)no, sg_secret_id(&s->slot[s->cur & 1]));
		st->secret_period_no = no;
		return sg_secrets_derived_due(period, sg_realtime_ns());
	}
	sg_secrets_period(s, period);
	age = now - s->rotated_ns;
	if (age >= period) {
		if (!sg_secrets_rotate(s) && d->o.verbose)
			sg_log("%s: rotated the cookie secret (id %08x)", d->o.iface,
			       sg_secret_id(&s->slot[s->cur & 1]));
		return period;
	}
	return period - age;
}

/* ---- auto mode ------------------------------------------------------------------------ */
static void sg_cookie_switch(struct sg_daemon *d, bool on, __u64 now, const char *why)
{
	struct sg_daemon_status *st = &d->pins.dpage->st;

	sg_config_cookies(d->pins.cfg, on, now, sg_period_ns(d));
	d->last_cookie_active = on;
	st->switched_ns = now;
	st->switches++;
	snprintf(st->last_switch, sizeof(st->last_switch), "%s", why);
	/* shadow mode decides as auto does; the data path only counts */
	sg_log("%s: %scookie mode %s (%s): %s", d->o.iface,
	       d->pins.cfg->mode == SG_MODE_SHADOW ? "would switch " : "", on ? "on" : "off",
	       sg_mode_name(d->pins.cfg->mode), why);
}

/* ---- cookie mode refused ------------------------------------------------------------ */
/* A reason that keeps cookie mode off whatever the mode asks (sg_auto
 * applies it), and its log line: one when it starts, one when it ends. */
static void sg_cookie_refuse(struct sg_daemon *d, enum sg_refuse reason, bool refuse,
			     const char *detail)
{
	struct sg_daemon_status *st = &d->pins.dpage->st;
	__u32 bit = 1u << reason;

	if (refuse == !!(st->cookie_refused & bit))
		return;
	if (refuse) {
		st->cookie_refused |= bit;
		st->refusals[reason]++;
		sg_log("%s: cookie mode refused: %s: SYNs go to the kernel's listener (its own syncookies answer a flood)",
		       d->o.iface, detail);
		return;
	}
	st->cookie_refused &= ~bit;
	sg_log("%s: cookie mode allowed again: %s", d->o.iface, detail);
}

/* The refusals in force, for the log: "refused: WHY; WHY" */
static void sg_refused_text(__u32 refused, char *buf, size_t n)
{
	size_t len = (size_t)snprintf(buf, n, "refused:");

	for (unsigned int r = 0; r < SG_REFUSE_MAX && len < n; r++)
		if (refused & (1u << r))
			len += (size_t)snprintf(buf + len, n - len, " %s;", sg_refuse_why(r));
	if (len < n)
		buf[len - 1] = 0;
}

/* XDP_TX that the driver loses leaves a cookie SYN-ACK unsent: every
 * connection times out while syn_cookies_sent rises. The driver counts
 * the losses (veth: rx_queue_N_xdp_tx_errors when its peer runs no XDP
 * program). The counts accumulate over the samples that sent cookies until
 * SG_XDP_TX_JUDGE of them went out; nearly all lost (a full TX ring under
 * a flood loses some, not all) refuses cookie mode until a reload. */
#define SG_XDP_TX_JUDGE 4
static void sg_xdp_tx_check(struct sg_daemon *d, const __u64 *cnt)
{
	__u64 sent = cnt[SG_CNT_syn_cookies_sent], errs;
	char detail[256];

	if (sg_xdp_tx_errors(d->o.iface, &errs)) {
		d->xdp_tx.known = false;
		return;
	}
	if (d->xdp_tx.known && sent > d->xdp_tx.sent && errs >= d->xdp_tx.errs) {
		d->xdp_tx.acc_sent += sent - d->xdp_tx.sent;
		d->xdp_tx.acc_errs += errs - d->xdp_tx.errs;
	}
	d->xdp_tx.known = true;
	d->xdp_tx.sent = sent;
	d->xdp_tx.errs = errs;
	if (d->xdp_tx.acc_sent < SG_XDP_TX_JUDGE)
		return;
	if (d->xdp_tx.acc_errs * 10 >= d->xdp_tx.acc_sent * 9) {
		snprintf(
			detail, sizeof(detail),
			"XDP_TX fails on %s, the driver lost %llu of %llu cookie SYN-ACKs (ethtool -S %s: xdp_tx errors; a veth needs an XDP program on its peer); SIGHUP tries again",
			d->o.iface, (unsigned long long)d->xdp_tx.acc_errs,
			(unsigned long long)d->xdp_tx.acc_sent, d->o.iface);
		sg_cookie_refuse(d, SG_REFUSE_XDP_TX, true, detail);
	}
	d->xdp_tx.acc_sent = d->xdp_tx.acc_errs = 0;
}

/* rate: SYN/s to protected ports (have_rate: over a whole interval) */
static void sg_auto(struct sg_daemon *d, __u64 now, bool have_rate, __u64 rate, __u64 synrcvd)
{
	const struct sg_daemon_settings *ds = &d->pins.dpage->set;
	struct sg_daemon_status *st = &d->pins.dpage->st;
	struct sg_config *c = d->pins.cfg;
	bool active = c->cookie_active;
	char why[160];

	if (st->cookie_refused) {
		st->calm_since_ns = 0;
		if (active) {
			sg_refused_text(st->cookie_refused, why, sizeof(why));
			sg_cookie_switch(d, false, now, why);
		}
		d->last_cookie_active = false;
		return;
	}
	if (c->mode != SG_MODE_AUTO && c->mode != SG_MODE_SHADOW) {
		st->calm_since_ns = 0;
		/* on/off: cookie mode follows the mode, whoever wrote last */
		if (c->mode == SG_MODE_ON || c->mode == SG_MODE_OFF) {
			bool want = c->mode == SG_MODE_ON;

			if (active != want)
				sg_cookie_switch(d, want, now, "follows the mode");
			else if (d->last_cookie_active != active)
				sg_log("%s: cookie mode %s (mode %s)", d->o.iface,
				       active ? "on" : "off", sg_mode_name(c->mode));
			d->last_cookie_active = want;
		}
		return;
	}
	if (!active) {
		bool by_rate = have_rate && rate >= ds->syn_rate_high;

		if (!by_rate && synrcvd < ds->synrcvd_high)
			return;
		snprintf(
			why, sizeof(why),
			"SYN rate %llu/s %s auto.syn_rate_high %u, SYN_RCVD %llu %s auto.synrcvd_high %u",
			(unsigned long long)rate, by_rate ? ">=" : "<", ds->syn_rate_high,
			(unsigned long long)synrcvd, synrcvd >= ds->synrcvd_high ? ">=" : "<",
			ds->synrcvd_high);
		st->calm_since_ns = 0;
		sg_cookie_switch(d, true, now, why);
		return;
	}
	if (!have_rate || rate >= ds->syn_rate_low || synrcvd >= ds->synrcvd_low) {
		st->calm_since_ns = 0;
		return;
	}
	if (!st->calm_since_ns) {
		st->calm_since_ns = now;
		return;
	}
	if (now - st->calm_since_ns < (__u64)ds->hold_s * SG_NS)
		return;
	snprintf(
		why, sizeof(why),
		"SYN rate %llu/s < auto.syn_rate_low %u and SYN_RCVD %llu < auto.synrcvd_low %u for %llus (auto.hold %us)",
		(unsigned long long)rate, ds->syn_rate_low, (unsigned long long)synrcvd,
		ds->synrcvd_low, (unsigned long long)((now - st->calm_since_ns) / SG_NS),
		ds->hold_s);
	st->calm_since_ns = 0;
	sg_cookie_switch(d, false, now, why);
}

/* ---- TIME_WAIT pressure ---------------------------------------------------------------- */
/* Warn before the kernel starts destroying TIME_WAIT sockets (past
 * tcp_max_tw_buckets) or connect() runs out of ephemeral ports (TIME_WAIT
 * holds the local port of connections this host opened). A warning clears
 * below 9/10 of its threshold, so a gauge hovering on it logs once. */
static void sg_tw_check(struct sg_daemon *d, const struct sg_tw_limits *t)
{
	struct sg_daemon_status *st = &d->pins.dpage->st;
	__u64 pct = d->pins.dpage->set.tw_warn_pct;
	const struct {
		__u32 bit;
		__u64 value, limit;
	} chk[2] = {
		{ SG_TW_BUCKETS, st->time_wait, st->tw_max_buckets },
		{ SG_TW_PORTS, st->tw_ephemeral, st->port_range },
	};

	for (int i = 0; i < 2; i++) {
		bool on = st->tw_pressure & chk[i].bit;
		__u64 v100 = chk[i].value * 100, lim = chk[i].limit;

		if (!lim)
			continue;
		if (!on && v100 >= pct * lim) {
			st->tw_pressure |= chk[i].bit;
			if (chk[i].bit == SG_TW_BUCKETS)
				sg_log("%s: TIME_WAIT pressure: %llu connections in TIME_WAIT, %llu%% of net.ipv4.tcp_max_tw_buckets (%llu); past it the kernel destroys TIME_WAIT sockets at once (TcpExtTCPTimeWaitOverflow): raise it, or have clients close first",
				       d->o.iface, (unsigned long long)chk[i].value,
				       (unsigned long long)(v100 / lim), (unsigned long long)lim);
			else
				sg_log("%s: TIME_WAIT pressure: %llu connections this host opened hold their local port in TIME_WAIT, %llu%% of net.ipv4.ip_local_port_range (%u-%u); once a destination has them all, connect() fails with EADDRNOTAVAIL: widen the range, reuse connections, or set net.ipv4.tcp_tw_reuse=1",
				       d->o.iface, (unsigned long long)chk[i].value,
				       (unsigned long long)(v100 / lim), t->port_lo, t->port_hi);
		} else if (on && v100 * 10 < pct * lim * 9) {
			st->tw_pressure &= ~chk[i].bit;
			sg_log("%s: TIME_WAIT pressure over: %llu, %llu%% of %s", d->o.iface,
			       (unsigned long long)chk[i].value, (unsigned long long)(v100 / lim),
			       chk[i].bit == SG_TW_BUCKETS ? "net.ipv4.tcp_max_tw_buckets"
							   : "the ephemeral port range");
		}
	}
}

/* ---- settings changed by others ------------------------------------------------------- */
static void sg_log_changes(struct sg_daemon *d, const struct sg_settings *old,
			   const struct sg_settings *new, const char *by)
{
	sg_settings_for_each(st)
	{
		char a[256], b[256];

		if (!sg_setting_differs(st, old, new))
			continue;
		sg_setting_format(st, old, a, sizeof(a));
		sg_setting_format(st, new, b, sizeof(b));
		sg_log("%s: %s: %s -> %s (%s)", d->o.iface, st->key, a, b, by);
	}
}

/* `synguard set` writes the pinned maps; say what it changed. Every
 * setting is read back, the ports from their map's mmap (~0.2 ms): cheap
 * enough for every second. */
static void sg_watch_settings(struct sg_daemon *d)
{
	static struct sg_settings now;

	if (sg_settings_read(&d->pins, &now))
		return;
	sg_log_changes(d, &d->known, &now, "synguard set");
	d->known = now;
}

/* ---- events ---------------------------------------------------------------------------- */
/* A reader of synguard events that was killed leaves its lease behind:
 * past its time the data path only reads the clock, cleared here it does
 * not even that. */
static void sg_events_lease_check(struct sg_daemon *d)
{
	__u64 until = __atomic_load_n(&d->pins.cfg->events_until_ns, __ATOMIC_RELAXED);

	if (until && until < sg_coarse_now_ns())
		__atomic_compare_exchange_n(&d->pins.cfg->events_until_ns, &until, 0, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* ---- kernel facts ----------------------------------------------------------------------- */
/* Kernel facts (MTU, sysctls) into the live config, in place, field by
 * field. At start (by NULL) always; then, every sample and on reload, only
 * when they changed, saying what changed: the kernel checks a cookie
 * ACK's options against the sysctls of the moment, so the SYN-ACKs must
 * follow them at once, not at the next SIGHUP. */
static int sg_kernel_facts(struct sg_daemon *d, const char *by)
{
	struct sg_sysctls sy;
	int mtu = sg_iface_mtu(d->o.iface);
	char what[512];
	int diffs;

	if (mtu <= 0) {
		if (!by)
			sg_err("cannot read the MTU of %s: %s", d->o.iface, strerror(-mtu));
		return by ? d->mtu : mtu;
	}
	sg_read_sysctls(&sy);
	diffs = by ? sg_sysctls_diff(&d->sy, &sy, what, sizeof(what)) : 0;
	if (by && !diffs && mtu == d->mtu)
		return mtu;
	sg_config_kernel(d->pins.cfg, &sy, mtu);
	if (by && mtu != d->mtu)
		sg_log("%s: MTU %d -> %d (%s): SYN-ACKs advertise MSS %u (IPv4), %u (IPv6)",
		       d->o.iface, d->mtu, mtu, by, d->pins.cfg->adv_mss4, d->pins.cfg->adv_mss6);
	if (diffs)
		sg_log("%s: %s (%s): SYN-ACKs follow", d->o.iface, what, by);
	if (by && !sy.syncookies != !d->sy.syncookies)
		sg_cookie_refuse(
			d, SG_REFUSE_SYSCTL, !sy.syncookies,
			sy.syncookies
				? "net.ipv4.tcp_syncookies is 1"
				: "net.ipv4.tcp_syncookies is 0, so the kernel would reset every cookie handshake, until sysctl -w net.ipv4.tcp_syncookies=1");
	d->sy = sy;
	d->mtu = mtu;
	return mtu;
}

/* ---- the kernel's sockets --------------------------------------------------------------- */
/* Entries whose kernel socket went without a segment to show for it
 * (libsg_reconcile.c) go before the sweep counts the gauges: confirmed
 * SYN_RCVD at every sample that follows one with any (the kernel drops
 * request sockets by its SYN-ACK retry schedule, sooner from a full
 * queue); TIME_WAIT in the two samples after the kernel refused TIME_WAIT
 * sockets (TcpExtTCPTimeWaitOverflow moved), the second for the
 * connections that closed while the first listed the kernel's. */
static void sg_reconcile(struct sg_daemon *d)
{
	__u64 over = sg_tw_overflows(), gone = 0;

	if (d->walk.states[SG_SYN_RCVD] &&
	    !sg_ct_reconcile(d->pins.embryonic_fd, SG_SYN_RCVD, &gone) && gone && d->o.verbose)
		sg_log("%s: %llu SYN_RCVD entries gone from the kernel", d->o.iface,
		       (unsigned long long)gone);
	if (over != d->tw_overflows) {
		d->tw_overflows = over;
		d->tw_reconcile = 2;
	}
	if (!d->tw_reconcile)
		return;
	d->tw_reconcile--;
	if (!sg_ct_reconcile(d->pins.synced_fd, SG_TIME_WAIT, &gone) && gone && d->o.verbose)
		sg_log("%s: %llu TIME_WAIT entries the kernel did not keep (tcp_max_tw_buckets)",
		       d->o.iface, (unsigned long long)gone);
}

/* ---- following the listeners ------------------------------------------ */
static void sg_listen_log_change(struct sg_daemon *d, const struct sg_portset *now,
				 const struct sg_portset *add, const struct sg_portset *del)
{
	char *n = sg_portset_format(now), *a = sg_portset_format(add), *r = sg_portset_format(del);
	bool any_a = a && strcmp(a, "none"), any_r = r && strcmp(r, "none");

	sg_log("%s: ports: listeners now %s%s%s%s%s%s%s%s", d->o.iface, n ? n : "?",
	       any_a || any_r ? " (" : "", any_a ? "+" : "", any_a ? a : "",
	       any_a && any_r ? ", " : "", any_r ? "-" : "", any_r ? r : "",
	       any_a || any_r ? ")" : "");
	free(n);
	free(a);
	free(r);
}

static void sg_listen_warn(struct sg_daemon *d, const struct sg_portset *missing, bool any)
{
	char *s;

	if (!any) {
		sg_log("%s: ports: every listed port has a local listener now", d->o.iface);
		return;
	}
	s = sg_portset_format(missing);
	sg_log("%s: ports: WARNING: no local listener on %s, listed in ports: in cookie mode a SYN there gets a SYN-ACK and its ACK a RST (forwarded or NATed destinations must not be listed)",
	       d->o.iface, s ? s : "?");
	free(s);
}

/* A slot given to a new listener starts from zero: no port is credited
 * with the counts of the one that had the slot before. */
static void sg_listen_clear_slot(const struct sg_daemon *d, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sg_port_counters *zero = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*zero));

	if (!zero || bpf_map_update_elem(d->pins.pcounters_fd, &slot, zero, BPF_ANY))
		sg_err("cannot clear the counters of port slot %u: %s", slot,
		       zero ? strerror(errno) : "out of memory");
	free(zero);
}

/* ports=all: the slot port p should have. A listener keeps the slot it
 * has, so its counters go on; a new one (or one counted in "other") takes
 * the lowest slot no listener holds (used), cleared; past
 * SG_MAX_PORT_SLOTS listeners the rest share slot "other", so the series
 * stay bounded. A closed listener's slot is free again. */
static __u16 sg_listen_slot(const struct sg_daemon *d, __u16 have, bool on, bool *used)
{
	if (!on)
		return 0;
	if (have && have != SG_PORT_SLOT_OTHER)
		return have;
	for (__u16 s = 1; s <= SG_MAX_PORT_SLOTS; s++)
		if (!used[s]) {
			used[s] = true;
			sg_listen_clear_slot(d, s);
			return s;
		}
	return SG_PORT_SLOT_OTHER;
}

/* ports=all: sg_ports becomes the listeners, each with a counter slot of
 * its own (sg_listen_slot), written port by port where it differs.
 * Explicit ports: the listed ones without a listener are published in
 * sg_daemon_status, and logged when that set changes. */
void sg_listen_sample(struct sg_daemon *d)
{
	static bool used[SG_PORT_SLOTS];
	static struct sg_portset listening, add, del, missing;
	static __u16 slots[65536];
	struct sg_daemon_status *st = &d->pins.dpage->st;
	bool all = d->pins.dpage->set.ports_all, changed = false, any_missing = false;
	bool first = !st->tick_ns; /* the daemon's first sample: say them */
	int err = sg_listen_read(&listening);

	if (err != st->listen_err)
		sg_log(err ? "%s: ports: cannot list the TCP listeners (inet_diag netlink): %s; sg_ports kept as it is"
			   : "%s: ports: the TCP listeners can be listed again%s",
		       d->o.iface, err ? strerror(-err) : "");
	st->listen_err = err;
	if (err || sg_ports_read(d->pins.ports_fd, slots))
		return;
	memset(&add, 0, sizeof(add));
	memset(&del, 0, sizeof(del));
	memset(&missing, 0, sizeof(missing));
	memset(used, 0, sizeof(used));
	for (__u32 p = 1; p < 65536 && all; p++)
		if (sg_ports_has(&listening, p))
			used[slots[p]] = true;
	for (__u32 p = 1; p < 65536; p++) {
		bool on = sg_ports_has(&listening, p);
		__u16 want;

		if (!all) {
			if (slots[p] && !on) {
				sg_ports_add(&missing, p);
				any_missing = true;
			}
			continue;
		}
		want = sg_listen_slot(d, slots[p], on, used);
		if (slots[p] == want)
			continue;
		/* `synguard set ports=LIST` clears the flag before it writes */
		if (!__atomic_load_n(&d->pins.dpage->set.ports_all, __ATOMIC_RELAXED))
			return;
		if (bpf_map_update_elem(d->pins.ports_fd, &p, &want, BPF_ANY)) {
			sg_err("cannot write sg_ports: %s", strerror(errno));
			return;
		}
		sg_ports_add(on ? &add : &del, p);
		changed = true;
	}
	if (all) {
		memset(st->no_listener, 0, sizeof(st->no_listener));
		if (changed || first)
			sg_listen_log_change(d, &listening, &add, &del);
		return;
	}
	if (memcmp(st->no_listener, missing.bit, sizeof(missing.bit))) {
		memcpy(st->no_listener, missing.bit, sizeof(st->no_listener));
		sg_listen_warn(d, &missing, any_missing);
	}
}

/* ---- the sample ------------------------------------------------------------------------ */
static void sg_sample(struct sg_daemon *d, __u64 now)
{
	struct sg_daemon_status *st = &d->pins.dpage->st;
	__u64 cnt[SG_CNT_MAX], rate = 0, sweep_ns;
	struct sg_tw_limits tw;
	bool have_rate = false;

	sg_daemon_watch_iface(d);
	sg_watch_settings(d);
	sg_kernel_facts(d, "sysctl or ip link");
	sg_listen_sample(d);
	sg_local_addrs_sync(&d->pins, &d->addrs_err);
	sg_tw_limits_read(&tw);
	sg_reconcile(d);
	if (sg_walk_run_tw(d->pins.walk_fd, 1, tw.port_lo, tw.port_hi, &d->walk))
		return;
	sweep_ns = sg_now_ns() - d->walk.now_ns;
	if (d->walk.expired && d->o.verbose)
		sg_log("swept %llu expired connections", (unsigned long long)d->walk.expired);
	if (sg_counters_read(d->pins.counters_fd, cnt))
		return;
	sg_xdp_tx_check(d, cnt);
	if (d->last_syn_ns && now > d->last_syn_ns && cnt[SG_CNT_syn_received] >= d->last_syn) {
		__u64 dt = now - d->last_syn_ns;

		rate = ((cnt[SG_CNT_syn_received] - d->last_syn) * SG_NS + dt / 2) / dt;
		have_rate = true;
	}
	d->last_syn = cnt[SG_CNT_syn_received];
	d->last_syn_ns = now;

	st->tick_ns = now;
	st->syn_rate = rate;
	st->syn_rcvd = d->walk.states[SG_SYN_RCVD];
	st->time_wait = d->walk.states[SG_TIME_WAIT];
	st->tw_ephemeral = d->walk.tw_ephemeral;
	st->sweep = d->walk;
	st->sweep_ns = sweep_ns;
	st->tw_max_buckets = tw.max_buckets;
	st->port_range = tw.port_range;
	sg_auto(d, now, have_rate, rate, st->syn_rcvd);
	sg_tw_check(d, &tw);
	sg_events_lease_check(d);
}

int sg_daemon_run(struct sg_daemon *d)
{
	__u64 now = sg_now_ns(), wait;

	wait = sg_secrets_tick(d, now);
	if (now >= d->next_sample_ns) {
		sg_sample(d, now);
		/* a fixed cadence, not drifting with the sample's own cost */
		d->next_sample_ns += SG_NS;
		if (d->next_sample_ns <= now)
			d->next_sample_ns = now + SG_NS;
	}
	if (d->next_sample_ns - now < wait)
		wait = d->next_sample_ns - now;
	return (int)(wait / 1000000) + 1;
}

/* ---- metrics ------------------------------------------------------------------------------ */
/* A listener for addr (NULL for "off"); -EIO with one line on failure
 * (sg_metrics_start says why in words, not as an errno). */
static int sg_metrics_open(struct sg_daemon *d, const char *addr, struct sg_metrics **m)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];

	*m = NULL;
	if (sg_metrics_addr(addr, &ss, &len, err, sizeof(err)))
		return 0; /* "off" (the address was checked when parsed) */
	*m = sg_metrics_start(addr, &d->pins, &d->walk, err, sizeof(err));
	if (!*m) {
		sg_err("%s", err);
		return -EIO;
	}
	return 0;
}

int sg_daemon_poll_fd(struct sg_daemon *d)
{
	return d->metrics ? sg_metrics_fd(d->metrics) : -1;
}

void sg_daemon_serve(struct sg_daemon *d)
{
	if (d->metrics)
		sg_metrics_serve(d->metrics);
}

/* ---- start, reload, stop ------------------------------------------------------------------ */
/* The pidfile goes while we still hold its lock (a refused second daemon
 * never held it, and leaves it alone). */
static void sg_pidfile_remove(struct sg_daemon *d)
{
	char path[PATH_MAX];

	if (d->pid_fd < 0)
		return;
	sg_pidfile_path(path, sizeof(path), d->o.iface, false);
	unlink(path);
	sg_versionfile_path(path, sizeof(path), d->o.iface);
	unlink(path);
}

static void sg_daemon_free(struct sg_daemon *d)
{
	sg_metrics_stop(d->metrics);
	if (d->xdp)
		xdp_program__close(d->xdp);
	if (d->secrets)
		munmap(d->secrets, d->secrets_len);
	sg_daemon_unload(d);
	free(d);
}

struct sg_daemon *sg_daemon_start(const struct sg_daemon_opts *o, const struct sg_settings *s,
				  const struct sg_given *g, int *exit_code)
{
	static struct sg_settings old, new;
	struct sg_daemon *d = calloc(1, sizeof(*d));
	char err[256], ports[128];
	bool attached = false;
	int mtu;

	*exit_code = SG_EXIT_FAIL;
	if (!d)
		return NULL;
	d->o = *o;
	d->pid_fd = d->pins_lock_fd = -1;
	d->tc_link_fd[0] = d->tc_link_fd[1] = -1;
	sg_pins_init(&d->pins, o->bpffs, o->iface);

	d->ifindex = (int)if_nametoindex(o->iface);
	if (!d->ifindex) {
		sg_err("no interface %s in this network namespace: check ip link (or enter its netns with nsenter --net=)",
		       o->iface);
		goto fail;
	}
	d->pid_fd = sg_pidfile_lock(o->iface);
	if (d->pid_fd < 0 || sg_check_syncookies() || sg_daemon_load(d, s, g))
		goto fail;
	if (s->d.secret_file[0]) {
		if (sg_secret_file_load(s->d.secret_file, &d->master, err, sizeof(err))) {
			sg_err("%s", err);
			goto fail;
		}
		d->have_master = true;
	}

	/* settings: what the pins hold (a restart keeps what `synguard set`
	 * changed), or the composed ones on a fresh start; then whatever the
	 * file and flags name */
	if (sg_settings_read(&d->pins, &old))
		goto fail;
	new = d->reused && !d->maps_reset ? old : *s;
	sg_settings_merge(&new, s, g);
	new.d.ct_size = d->ct_size;
	if (d->reused && !d->maps_reset)
		sg_log_changes(d, &old, &new, o->config ? "config file or flags" : "flags");
	if (sg_settings_write(&d->pins, &old, &new))
		goto fail;
	d->known = new;
	mtu = sg_kernel_facts(d, NULL);
	if (mtu < 0 || sg_secrets_setup(d))
		goto fail;
	/* the sketch's hash key: random, kept by the pins (learned sources'
	 * filter bits follow it) */
	if (!d->pins.cfg->sketch_seed) {
		struct sg_secret k;

		if (sg_secrets_random(&k))
			goto fail;
		__atomic_store_n(&d->pins.cfg->sketch_seed, k.k0 | 1, __ATOMIC_RELAXED);
	}
	if (sg_metrics_open(d, new.d.metrics, &d->metrics))
		goto fail;

	/* a sweep before attaching: the tracker filter (sg_ct_bits) learns
	 * the entries of reused tables */
	if (sg_walk_run(d->pins.walk_fd, 1, &d->walk))
		goto fail;
	/* the host's addresses before attaching: from the first packet on,
	 * only flows that end here are answered */
	if (sg_local_addrs_sync(&d->pins, &d->addrs_err) < 0)
		goto fail;
	attached = true;
	if (sg_daemon_attach(d))
		goto fail;
	d->attached = true;
	d->last_cookie_active = d->pins.cfg->cookie_active;
	memset(&d->pins.dpage->st, 0, sizeof(d->pins.dpage->st));
	d->pins.dpage->st.started_ns = sg_now_ns();
	d->next_sample_ns = sg_now_ns();
	if (d->secrets_kept)
		sg_kept_secrets_drop(&d->pins); /* pinned with the others now */
	sg_setting_format(sg_setting_find("ports"), &new, ports, sizeof(ports));
	sg_log("%s: mode %s (cookies %s), ports %s, MTU %d (mss4 %u, mss6 %u, wscale %u), secret period %us, metrics %s%s",
	       o->iface, sg_mode_name(new.cfg.mode), d->pins.cfg->cookie_active ? "on" : "off",
	       ports, mtu, d->pins.cfg->adv_mss4, d->pins.cfg->adv_mss6, d->pins.cfg->rcv_wscale,
	       new.d.secret_period_s, new.d.metrics,
	       d->reused && !d->maps_reset
		       ? "; tracked connections, counters and secrets kept from the pins"
		       : "");
	*exit_code = 0;
	return d;

fail:
	if (attached)
		sg_daemon_detach(d);
	/* a failed fresh start leaves nothing behind; reused pins stay */
	if (d->skel && !d->reused && d->pins.dir[0])
		sg_daemon_unpin(d);
	sg_pidfile_remove(d);
	sg_daemon_free(d);
	return NULL;
}

int sg_daemon_reload(struct sg_daemon *d)
{
	static struct sg_settings staged, cur, new;
	static struct sg_given g;
	struct sg_metrics *m = NULL;
	struct sg_secret master;
	struct sg_sysctls sy;
	char err[400];
	int mtu, ret;

	sg_read_sysctls(&sy);
	ret = sg_settings_compose(&staged, &g, &sy, d->o.config, d->o.iface, d->o.overrides,
				  d->o.noverrides, err, sizeof(err));
	if (ret) {
		sg_log("%s: reload refused, nothing changed: %s", d->o.iface, err);
		return ret;
	}
	ret = sg_settings_read(&d->pins, &cur);
	if (ret)
		return ret;
	new = cur;
	sg_settings_merge(&new, &staged, &g);
	if (new.d.ct_size != cur.d.ct_size) {
		sg_log("%s: ct_size %u needs new tables (stop synguardd, synguard detach -i %s, start it): keeping %u",
		       d->o.iface, new.d.ct_size, d->o.iface, cur.d.ct_size);
		new.d.ct_size = cur.d.ct_size;
	}
	/* the key file is read again even under the same name: that is how
	 * an operator replaces the key */
	if (new.d.secret_file[0] &&
	    (ret = sg_secret_file_load(new.d.secret_file, &master, err, sizeof(err)))) {
		sg_log("%s: reload refused, nothing changed: %s", d->o.iface, err);
		return ret;
	}
	if (strcmp(new.d.metrics, cur.d.metrics) && (ret = sg_metrics_open(d, new.d.metrics, &m))) {
		sg_log("%s: reload refused, nothing changed: metrics %s cannot listen", d->o.iface,
		       new.d.metrics);
		return ret;
	}
	ret = sg_settings_write(&d->pins, &cur, &new);
	if (ret) {
		sg_metrics_stop(m);
		return ret;
	}
	sg_log_changes(d, &cur, &new, "reload");
	d->known = new;
	if (strcmp(new.d.metrics, cur.d.metrics)) {
		sg_metrics_stop(d->metrics);
		d->metrics = m;
	}
	if (new.d.secret_file[0] &&
	    (!d->have_master || memcmp(&master, &d->master, sizeof(master)))) {
		sg_log("%s: cookie secrets now derived from %s", d->o.iface, new.d.secret_file);
		d->master = master;
		d->have_master = true;
	} else if (!new.d.secret_file[0] && d->have_master) {
		sg_log("%s: cookie secrets now random", d->o.iface);
		d->have_master = false;
		sg_secrets_rotate(d->secrets);
	}
	sg_secrets_tick(d, sg_now_ns());
	sg_cookie_refuse(d, SG_REFUSE_XDP_TX, false, "reload, XDP_TX is tried again");
	mtu = sg_kernel_facts(d, "reload");
	sg_log("%s: reloaded%s%s (MTU %d)", d->o.iface, d->o.config ? " " : "",
	       d->o.config ? d->o.config : "", mtu);
	return 0;
}

void sg_daemon_stop(struct sg_daemon *d)
{
	if (!d)
		return;
	if (d->pins.dpage->set.keep_attached || d->moved_away) {
		sg_log("%s: exiting, programs stay attached and pinned in %s (%s)", d->o.iface,
		       d->pins.dir,
		       d->moved_away ? "on the interface moved to another network namespace"
				     : "keep_attached");
	} else {
		sg_daemon_detach(d);
		sg_daemon_keep_secrets(d);
		sg_daemon_unpin(d);
		sg_log("%s: detached, pins removed", d->o.iface);
	}
	sg_pidfile_remove(d);
	sg_daemon_free(d);
}
