// SPDX-License-Identifier: GPL-2.0
/* synguard tune: what the TCP sysctls of this network namespace should be,
 * each with a one-line reason, from what is observed over a few seconds:
 * synguard's gauges and counters (when it runs here), the kernel's
 * counters (nstat: /proc/net/netstat and snmp), its listeners' queues
 * (sock_diag) and TIME_WAIT count. --apply writes them and says what
 * changed; --persist also keeps them in a sysctl.d file for the next boot.
 *
 * What the kernel does with each, and so what the advice rests on
 * (Linux >= 4.4, as synguard needs >= 6.9):
 * - a listener's SYN queue is bounded by its listen() backlog, capped by
 *   net.core.somaxconn; so is its accept queue. tcp_max_syn_backlog is
 *   read only while tcp_syncookies is 0 (it then keeps the last quarter
 *   of the queue for peers proven alive).
 * - tcp_syncookies must stay 1 or 2 under synguard: the kernel accepts a
 *   BPF-made request socket only then. 1 is the kernel's own fallback on
 *   overflow; 2 answers every SYN that reaches it with a cookie.
 * - tcp_tw_reuse only lets connect() take a TIME_WAIT port (with
 *   timestamps): it does nothing for connections a server accepted.
 *   tcp_tw_recycle was removed in Linux 4.12 (it broke clients behind NAT).
 * - past tcp_max_tw_buckets the kernel kills TIME_WAIT sockets at once
 *   (TCPTimeWaitOverflow), losing what TIME_WAIT is for.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include "libsg_tune.h"
#include "libsg_config.h"
#include "libsg_maps.h"
#include "libsg_settings.h"

/* ---- what is observed ------------------------------------------------------------- */
/* The kernel's counters tune reads (nstat names without the group). */
#define SG_KCOUNTERS(X)                 \
	X(TcpExt, ListenOverflows)      \
	X(TcpExt, ListenDrops)          \
	X(TcpExt, SyncookiesSent)       \
	X(TcpExt, SyncookiesRecv)       \
	X(TcpExt, SyncookiesFailed)     \
	X(TcpExt, TW)                   \
	X(TcpExt, TWRecycled)           \
	X(TcpExt, TWKilled)             \
	X(TcpExt, TCPTimeWaitOverflow)  \
	X(TcpExt, TCPReqQFullDrop)      \
	X(TcpExt, TCPReqQFullDoCookies) \
	X(Tcp, ActiveOpens)             \
	X(Tcp, PassiveOpens)            \
	X(Tcp, AttemptFails)

enum sg_kcounter {
#define SG_KC_ENUM(g, n) SG_KC_##n,
	SG_KCOUNTERS(SG_KC_ENUM)
#undef SG_KC_ENUM
	SG_KC_MAX,
};

static const struct {
	const char *group, *name;
} sg_kc[SG_KC_MAX] = {
#define SG_KC_NAME(g, n) { #g, #n },
	SG_KCOUNTERS(SG_KC_NAME)
#undef SG_KC_NAME
};

/* A header line of names and a line of values per group, as nstat reads. */
static void sg_kcounters_file(const char *path, __u64 *out)
{
	char *names = NULL, *vals = NULL;
	size_t nn = 0, nv = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (getline(&names, &nn, f) > 0 && getline(&vals, &nv, f) > 0) {
		char *sn, *sv, *n = strtok_r(names, " \n", &sn), *v = strtok_r(vals, " \n", &sv);
		char group[32];

		if (!n || !v)
			continue;
		snprintf(group, sizeof(group), "%.*s", (int)strcspn(n, ":"), n);
		while ((n = strtok_r(NULL, " \n", &sn)) && (v = strtok_r(NULL, " \n", &sv)))
			for (int i = 0; i < SG_KC_MAX; i++)
				if (!strcmp(group, sg_kc[i].group) && !strcmp(n, sg_kc[i].name))
					out[i] = strtoull(v, NULL, 10);
	}
	free(names);
	free(vals);
	fclose(f);
}

static void sg_kcounters_read(__u64 *out)
{
	memset(out, 0, sizeof(__u64) * SG_KC_MAX);
	sg_kcounters_file("/proc/net/netstat", out);
	sg_kcounters_file("/proc/net/snmp", out);
}

__u64 sg_tw_overflows(void)
{
	__u64 kc[SG_KC_MAX] = { 0 };

	sg_kcounters_file("/proc/net/netstat", kc);
	return kc[SG_KC_TCPTimeWaitOverflow];
}

/* TIME_WAIT sockets now ("tw" of /proc/net/sockstat, IPv4 and IPv6). */
static __u64 sg_sockstat_tw(void)
{
	char line[256];
	unsigned long long tw = 0;
	FILE *f = fopen("/proc/net/sockstat", "re");
	char *p;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "TCP:", 4) && (p = strstr(line, " tw ")))
			tw = strtoull(p + 4, NULL, 10);
	fclose(f);
	return tw;
}

/* The fullest listener (accept queue and SYN queue against its backlog)
 * and all SYN_RECV request sockets, through sock_diag. */
struct sg_listeners {
	unsigned int n;
	__u64 syn_recv;             /* request sockets in all            */
	unsigned int port, backlog; /* the fullest one                   */
	__u64 acceptq, synq;        /* its queues                        */
	double fill;                /* max(acceptq, synq) / backlog      */
};

#define SG_PORTS_SEEN 65536

static void sg_listeners_family(int fam, struct sg_listeners *l, __u32 *synq_by_port,
				__u16 *backlog_by_port, __u32 *acceptq_by_port)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = (__u8)fam,
		       .sdiag_protocol = IPPROTO_TCP,
		       /* TCP_LISTEN 10, TCP_SYN_RECV 3, TCP_NEW_SYN_RECV 12 */
		       .idiag_states = (1u << 10) | (1u << 3) | (1u << 12) },
	};
	static char buf[32768];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	bool done = false;

	if (fd < 0)
		return;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		close(fd);
		return;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len <= 0)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			__u16 port;

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			port = ntohs(m->id.idiag_sport);
			if (m->idiag_state == 10) {
				l->n++;
				backlog_by_port[port % SG_PORTS_SEEN] =
					(__u16)(m->idiag_wqueue > 65535 ? 65535 : m->idiag_wqueue);
				acceptq_by_port[port % SG_PORTS_SEEN] = m->idiag_rqueue;
			} else {
				l->syn_recv++;
				synq_by_port[port % SG_PORTS_SEEN]++;
			}
		}
	}
	close(fd);
}

static void sg_listeners_read(struct sg_listeners *l)
{
	static __u32 synq[SG_PORTS_SEEN], acceptq[SG_PORTS_SEEN];
	static __u16 backlog[SG_PORTS_SEEN];

	memset(l, 0, sizeof(*l));
	memset(synq, 0, sizeof(synq));
	memset(acceptq, 0, sizeof(acceptq));
	memset(backlog, 0, sizeof(backlog));
	sg_listeners_family(AF_INET, l, synq, backlog, acceptq);
	sg_listeners_family(AF_INET6, l, synq, backlog, acceptq);
	for (unsigned int p = 0; p < SG_PORTS_SEEN; p++) {
		double fill;

		if (!backlog[p])
			continue;
		fill = (double)(acceptq[p] > synq[p] ? acceptq[p] : synq[p]) / backlog[p];
		if (fill >= l->fill) {
			l->fill = fill;
			l->port = p;
			l->backlog = backlog[p];
			l->acceptq = acceptq[p];
			l->synq = synq[p];
		}
	}
}

struct sg_observation {
	double secs;
	__u64 k0[SG_KC_MAX], k1[SG_KC_MAX];
	__u64 tw; /* TIME_WAIT sockets (kernel)          */
	struct sg_listeners lis;
	bool synguard;          /* synguard's numbers below are valid */
	struct sg_walk_args wa; /* its gauges                          */
	double syn_rate;        /* SYNs/s to protected ports           */
	bool cookies;
	const char *mode;
};

static __u64 sg_kdelta(const struct sg_observation *o, enum sg_kcounter c)
{
	return o->k1[c] >= o->k0[c] ? o->k1[c] - o->k0[c] : 0;
}

/* secs seconds; on a terminal, stderr counts them (a long -w would look
 * hung otherwise), and the line is cleared before the advice prints. */
static void sg_observe_wait(unsigned int secs)
{
	bool tty = isatty(STDERR_FILENO);

	for (unsigned int i = 0; i < secs; i++) {
		if (tty)
			fprintf(stderr, "\rsynguard tune: observing %u/%u s", i, secs);
		sleep(1);
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
}

static int sg_observe(struct sg_view *v, unsigned int secs, struct sg_observation *o)
{
	__u64 c0[SG_CNT_MAX], c1[SG_CNT_MAX], t0, t1;
	struct sg_tw_limits tw;
	double age;
	int ret;

	memset(o, 0, sizeof(*o));
	sg_tw_limits_read(&tw);
	if (v && (ret = sg_counters_read(v->pins->counters_fd, c0)))
		return ret;
	sg_kcounters_read(o->k0);
	t0 = sg_now_ns();
	sg_observe_wait(secs);
	t1 = sg_now_ns();
	sg_kcounters_read(o->k1);
	o->secs = (double)(t1 - t0) / 1e9;
	o->tw = sg_sockstat_tw();
	sg_listeners_read(&o->lis);
	if (!v)
		return 0;
	ret = sg_counters_read(v->pins->counters_fd, c1);
	if (!ret)
		ret = sg_gauges_read(v->pins, v->daemon_pid, tw.port_lo, tw.port_hi, &o->wa, &age);
	if (ret)
		return ret;
	o->synguard = true;
	o->syn_rate = (double)(c1[SG_CNT_syn_received] - c0[SG_CNT_syn_received]) / o->secs;
	o->cookies = v->pins->cfg->cookie_active;
	o->mode = sg_mode_name(v->pins->cfg->mode);
	return 0;
}

/* ---- the advice -------------------------------------------------------------------- */
struct sg_advice {
	const char *name; /* sysctl, dotted                      */
	char now[32], want[32];
	char why[320];
	bool change;  /* want differs from now               */
	bool applied; /* --apply wrote want                  */
};

#define SG_ADVICE_MAX 12

static const char *sg_sysctl_path(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "/proc/sys/%s", name);
	for (char *p = buf + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	return buf;
}

static int sg_sysctl_get(const char *name, char *val, size_t n)
{
	char path[128];
	FILE *f = fopen(sg_sysctl_path(name, path, sizeof(path)), "re");

	val[0] = 0;
	if (!f)
		return -errno;
	if (!fgets(val, (int)n, f))
		val[0] = 0;
	fclose(f);
	val[strcspn(val, "\n")] = 0;
	/* "32768\t60999" -> "32768 60999" */
	for (char *p = val; *p; p++)
		if (*p == '\t')
			*p = ' ';
	return 0;
}

static int sg_sysctl_put(const char *name, const char *val)
{
	char path[128];
	FILE *f = fopen(sg_sysctl_path(name, path, sizeof(path)), "we");
	int r;

	if (!f)
		return -errno;
	r = fputs(val, f) < 0 ? -errno : 0;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

static long sg_num(const char *s)
{
	return strtol(s, NULL, 10);
}

/* The smallest power of two >= x (and >= lo), at most hi. */
static unsigned long sg_pow2(unsigned long x, unsigned long lo, unsigned long hi)
{
	unsigned long p = lo;

	while (p < x && p < hi)
		p *= 2;
	return p > hi ? hi : p;
}

/* ---- the rules --------------------------------------------------------------------- */
/* What every rule looks at, derived once from the observation. */
struct sg_tune {
	const struct sg_observation *o;
	const struct sg_listeners *l;
	__u64 overflows;  /* ListenOverflows + ListenDrops        */
	__u64 kcookies;   /* the kernel's own SYN cookies sent    */
	__u64 twover;     /* TCPTimeWaitOverflow                  */
	__u64 synrcvd;    /* half-open: synguard's, else kernel's */
	__u64 tw;         /* TIME_WAIT: the larger count          */
	__u64 fin_wait_2; /* synguard's gauge (0 without it)      */
	double active;    /* connections/s this host opens        */
	double held;      /* ...whose ports TIME_WAIT holds 60 s  */
	double use;       /* share of the ephemeral ports held    */
	struct sg_tw_limits lim;
	long syncookies, timestamps; /* the sysctls other rules depend on    */
};

/* One row of advice: while when() holds (NULL: always), advise() writes
 * the advised value (left as it is: keep) and the reason. A sysctl has
 * rows in order; the first that holds decides, its last row keeps. */
struct sg_rule {
	const char *sysctl;
	bool (*when)(const struct sg_tune *t, long now);
	void (*advise)(const struct sg_tune *t, long now, struct sg_advice *x);
};

static void sg_want(struct sg_advice *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sg_want(struct sg_advice *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->want, sizeof(x->want), fmt, ap);
	va_end(ap);
}

static void sg_why(struct sg_advice *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sg_why(struct sg_advice *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
}

/* seconds a connection waits through n retransmissions (1 + 2 + 4 ...) */
static long sg_retry_secs(long n)
{
	return (1L << (n + 1)) - 1;
}

/* net.ipv4.tcp_syncookies */
static bool sg_cookies_off(const struct sg_tune *t, long now)
{
	(void)t;
	return now == 0;
}

static void sg_cookies_on(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)t, (void)now;
	sg_want(x, "1");
	sg_why(x,
	       "0 makes the kernel refuse synguard's cookie ACKs (it accepts BPF-made request sockets only while this is 1 or 2) and drop SYNs when a queue fills");
}

static bool sg_cookies_always(const struct sg_tune *t, long now)
{
	(void)t;
	return now == 2;
}

static void sg_cookies_fallback(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)t, (void)now;
	sg_want(x, "1");
	sg_why(x,
	       "2 answers every SYN that reaches the kernel with its own cookie (options lost without timestamps); 1 keeps full handshakes and the cookies as the fallback on overflow");
}

static void sg_cookies_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_why(x,
	       "keep: synguard needs 1 or 2; 1 is the kernel's fallback when a listen queue overflows%s",
	       t->kcookies ? " (it sent its own cookies during the observation: a queue overflowed)"
			   : "");
}

/* net.core.somaxconn */
static bool sg_queues_overflow(const struct sg_tune *t, long now)
{
	(void)now;
	return t->overflows || t->kcookies || t->l->fill >= 0.8;
}

static void sg_somaxconn_raise(const struct sg_tune *t, long now, struct sg_advice *x)
{
	const struct sg_listeners *l = t->l;
	unsigned long want = sg_pow2((unsigned long)(now > 0 ? now : 128) * 2, 1024, 65535);

	if (l->backlog && (unsigned long)l->backlog * 4 > want)
		want = sg_pow2((unsigned long)l->backlog * 4, 1024, 65535);
	sg_want(x, "%lu", want);
	sg_why(x,
	       "listen queues overflowed in %.0f s (ListenOverflows+ListenDrops +%llu, kernel SYN cookies +%llu; fullest listener :%u: accept queue %llu, SYN queue %llu of its backlog %u): it caps every listen() backlog; raise the application's backlog too",
	       t->o->secs, (unsigned long long)t->overflows, (unsigned long long)t->kcookies,
	       l->port, (unsigned long long)l->acceptq, (unsigned long long)l->synq, l->backlog);
}

static bool sg_somaxconn_small(const struct sg_tune *t, long now)
{
	(void)t;
	return now < 4096;
}

static void sg_somaxconn_default(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)t;
	sg_want(x, "4096");
	sg_why(x,
	       "no overflow seen, but %ld leaves little room for a burst of connections (4096 is the default since Linux 5.4)",
	       now);
}

static void sg_somaxconn_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	const struct sg_listeners *l = t->l;

	(void)now;
	sg_why(x,
	       "keep: no listen queue overflowed in %.0f s (fullest listener%s%u at %.0f%% of its backlog %u)",
	       t->o->secs, l->n ? " :" : " ", l->port, l->fill * 100, l->backlog);
}

/* net.ipv4.tcp_max_syn_backlog */
static bool sg_syn_backlog_read(const struct sg_tune *t, long now)
{
	return t->syncookies == 0 && t->synrcvd * 2 > (__u64)now;
}

static void sg_syn_backlog_raise(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_want(x, "%lu", sg_pow2(t->synrcvd * 2, 1024, 1ul << 20));
	sg_why(x,
	       "with tcp_syncookies=0 the kernel keeps the last quarter of it for proven peers: %llu in SYN_RCVD now",
	       (unsigned long long)t->synrcvd);
}

static void sg_syn_backlog_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_why(x,
	       "keep: read only while tcp_syncookies=0; a SYN queue is bounded by its listener's backlog (somaxconn) instead (%llu in SYN_RCVD now)",
	       (unsigned long long)t->synrcvd);
}

/* net.ipv4.tcp_synack_retries */
static bool sg_half_open_pile(const struct sg_tune *t, long now)
{
	const struct sg_listeners *l = t->l;

	return (t->kcookies || (l->backlog && l->synq * 4 >= l->backlog) || t->synrcvd >= 1000) &&
	       now > 2;
}

static void sg_synack_fewer(const struct sg_tune *t, long now, struct sg_advice *x)
{
	sg_want(x, "2");
	sg_why(x,
	       "half-open connections pile up (%llu in SYN_RCVD, kernel cookies +%llu): at %ld retries each holds its queue slot %lds, at 2 for 7s; clients on lossy paths still get 3 SYN-ACKs",
	       (unsigned long long)t->synrcvd, (unsigned long long)t->kcookies, now,
	       sg_retry_secs(now));
}

static bool sg_below_2(const struct sg_tune *t, long now)
{
	(void)t;
	return now < 2;
}

static void sg_synack_more(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)t;
	sg_want(x, "2");
	sg_why(x,
	       "%ld SYN-ACK retransmission%s: one lost SYN-ACK on a lossy path loses the connection",
	       now, now == 1 ? "" : "s");
}

static void sg_synack_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_why(x, "keep: no pile of half-open connections (%llu in SYN_RCVD)",
	       (unsigned long long)t->synrcvd);
}

/* net.ipv4.tcp_syn_retries */
static bool sg_below_3(const struct sg_tune *t, long now)
{
	(void)t;
	return now < 3;
}

static void sg_syn_retries_default(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)t;
	sg_want(x, "6");
	sg_why(x,
	       "%ld: connect() gives up after %lds, after one or two lost SYNs on a lossy path (advice to set 1 is harmful); 6 is the default",
	       now, sg_retry_secs(now));
}

static void sg_syn_retries_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_why(x, "keep: affects only connections this host opens (%.1f/s, %llu failed in %.0f s)",
	       t->active, (unsigned long long)sg_kdelta(t->o, SG_KC_AttemptFails), t->o->secs);
}

/* net.ipv4.tcp_fin_timeout */
static bool sg_fin_wait_2_pile(const struct sg_tune *t, long now)
{
	return t->fin_wait_2 >= 1000 && now > 30;
}

static void sg_fin_timeout_shorter(const struct sg_tune *t, long now, struct sg_advice *x)
{
	sg_want(x, "30");
	sg_why(x,
	       "%llu connections wait in FIN_WAIT_2 for peers that do not close: they hold memory %lds each",
	       (unsigned long long)t->fin_wait_2, now);
}

static bool sg_below_10(const struct sg_tune *t, long now)
{
	(void)t;
	return now < 10;
}

static void sg_fin_timeout_longer(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)t;
	sg_want(x, "15");
	sg_why(x,
	       "%lds is shorter than a slow peer needs to send its FIN: it then meets a closed socket and a RST",
	       now);
}

static void sg_fin_timeout_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	if (t->o->synguard)
		sg_why(x, "keep: %llu connections in FIN_WAIT_2",
		       (unsigned long long)t->fin_wait_2);
	else
		sg_why(x, "keep: not measured (no synguard here): in FIN_WAIT_2");
}

/* net.ipv4.tcp_max_tw_buckets */
static bool sg_tw_near_max(const struct sg_tune *t, long now)
{
	return t->twover || (now > 0 && t->tw * 2 >= (__u64)now);
}

static void sg_tw_buckets_raise(const struct sg_tune *t, long now, struct sg_advice *x)
{
	sg_want(x, "%lu", sg_pow2((t->tw > (__u64)now ? t->tw : (__u64)now) * 2, 1024, 1ul << 24));
	sg_why(x,
	       "%llu in TIME_WAIT of %ld (TCPTimeWaitOverflow +%llu): past it the kernel kills TIME_WAIT sockets at once and loses their protection against old segments; lowering it (as some tables advise) makes that happen sooner",
	       (unsigned long long)t->tw, now, (unsigned long long)t->twover);
}

static void sg_tw_buckets_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	sg_why(x, "keep: %llu in TIME_WAIT, %.0f%% of it", (unsigned long long)t->tw,
	       now > 0 ? (double)t->tw * 100 / now : 0);
}

/* net.ipv4.tcp_tw_reuse: this host's own connections (active opens) keep
 * their local port in TIME_WAIT 60 s */
static bool sg_ports_short_reuse(const struct sg_tune *t, long now)
{
	return t->use >= 0.5 && now != 1 && t->timestamps;
}

static void sg_tw_reuse_on(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_want(x, "1");
	sg_why(x,
	       "this host opens %.0f connections/s: %.0f%% of its %llu ephemeral ports sit in TIME_WAIT; 1 lets connect() reuse them safely (timestamps are on); it does nothing for accepted connections",
	       t->active, t->use * 100, (unsigned long long)t->lim.port_range);
}

static void sg_tw_reuse_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_why(x,
	       "keep: it only affects connections this host opens (%.1f/s, %.0f%% of the ephemeral ports in TIME_WAIT), never accepted ones%s",
	       t->active, t->use * 100, t->timestamps ? "" : "; it needs tcp_timestamps=1");
}

/* net.ipv4.ip_local_port_range */
static bool sg_ports_short_range(const struct sg_tune *t, long now)
{
	(void)now;
	return t->use >= 0.5 && t->lim.port_lo > 10240;
}

static void sg_port_range_widen(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_want(x, "10240 %u", t->lim.port_hi > 60999 ? t->lim.port_hi : 65000);
	sg_why(x,
	       "%.0f connections/s x 60 s of TIME_WAIT need %.0f ports of the %llu in the range: widen it (keep listening ports out of it: ip_local_reserved_ports)",
	       t->active, t->held, (unsigned long long)t->lim.port_range);
}

static void sg_port_range_keep(const struct sg_tune *t, long now, struct sg_advice *x)
{
	(void)now;
	sg_why(x,
	       "keep: %.0f%% of its %llu ports held by TIME_WAIT (%.1f connections/s opened here)",
	       t->use * 100, (unsigned long long)t->lim.port_range, t->active);
}

static const struct sg_rule sg_rules[] = {
	{ "net.ipv4.tcp_syncookies", sg_cookies_off, sg_cookies_on },
	{ "net.ipv4.tcp_syncookies", sg_cookies_always, sg_cookies_fallback },
	{ "net.ipv4.tcp_syncookies", NULL, sg_cookies_keep },
	{ "net.core.somaxconn", sg_queues_overflow, sg_somaxconn_raise },
	{ "net.core.somaxconn", sg_somaxconn_small, sg_somaxconn_default },
	{ "net.core.somaxconn", NULL, sg_somaxconn_keep },
	{ "net.ipv4.tcp_max_syn_backlog", sg_syn_backlog_read, sg_syn_backlog_raise },
	{ "net.ipv4.tcp_max_syn_backlog", NULL, sg_syn_backlog_keep },
	{ "net.ipv4.tcp_synack_retries", sg_half_open_pile, sg_synack_fewer },
	{ "net.ipv4.tcp_synack_retries", sg_below_2, sg_synack_more },
	{ "net.ipv4.tcp_synack_retries", NULL, sg_synack_keep },
	{ "net.ipv4.tcp_syn_retries", sg_below_3, sg_syn_retries_default },
	{ "net.ipv4.tcp_syn_retries", NULL, sg_syn_retries_keep },
	{ "net.ipv4.tcp_fin_timeout", sg_fin_wait_2_pile, sg_fin_timeout_shorter },
	{ "net.ipv4.tcp_fin_timeout", sg_below_10, sg_fin_timeout_longer },
	{ "net.ipv4.tcp_fin_timeout", NULL, sg_fin_timeout_keep },
	{ "net.ipv4.tcp_max_tw_buckets", sg_tw_near_max, sg_tw_buckets_raise },
	{ "net.ipv4.tcp_max_tw_buckets", NULL, sg_tw_buckets_keep },
	{ "net.ipv4.tcp_tw_reuse", sg_ports_short_reuse, sg_tw_reuse_on },
	{ "net.ipv4.tcp_tw_reuse", NULL, sg_tw_reuse_keep },
	{ "net.ipv4.ip_local_port_range", sg_ports_short_range, sg_port_range_widen },
	{ "net.ipv4.ip_local_port_range", NULL, sg_port_range_keep },
};

#define SG_RULES_N (sizeof(sg_rules) / sizeof(sg_rules[0]))

static void sg_tune_derive(const struct sg_observation *o, struct sg_tune *t)
{
	char val[32];
	__u64 eph = o->synguard ? o->wa.tw_ephemeral : 0;

	memset(t, 0, sizeof(*t));
	t->o = o;
	t->l = &o->lis;
	t->overflows = sg_kdelta(o, SG_KC_ListenOverflows) + sg_kdelta(o, SG_KC_ListenDrops);
	t->kcookies = sg_kdelta(o, SG_KC_SyncookiesSent);
	t->twover = sg_kdelta(o, SG_KC_TCPTimeWaitOverflow);
	t->active = (double)sg_kdelta(o, SG_KC_ActiveOpens) / o->secs;
	t->synrcvd = o->synguard ? o->wa.states[SG_SYN_RCVD] : o->lis.syn_recv;
	t->tw = o->synguard && o->wa.states[SG_TIME_WAIT] > o->tw ? o->wa.states[SG_TIME_WAIT]
								  : o->tw;
	t->fin_wait_2 = o->synguard ? o->wa.states[SG_FIN_WAIT_2] : 0;
	sg_tw_limits_read(&t->lim);
	t->held = t->active * 60;
	t->use = t->lim.port_range ? (t->held > (double)eph ? t->held : (double)eph) /
					     (double)t->lim.port_range
				   : 0;
	sg_sysctl_get("net.ipv4.tcp_syncookies", val, sizeof(val));
	t->syncookies = sg_num(val);
	sg_sysctl_get("net.ipv4.tcp_timestamps", val, sizeof(val));
	t->timestamps = sg_num(val);
}

/* One advice per sysctl, in the table's order: its first row that holds. */
static int sg_advice_all(const struct sg_observation *o, struct sg_advice *a)
{
	struct sg_tune t;
	int n = 0;

	sg_tune_derive(o, &t);
	for (size_t i = 0; i < SG_RULES_N; i++) {
		const struct sg_rule *r = &sg_rules[i];
		struct sg_advice *x = &a[n];
		long now;

		if (n && !strcmp(a[n - 1].name, r->sysctl))
			continue; /* an earlier row of this sysctl decided */
		memset(x, 0, sizeof(*x));
		x->name = r->sysctl;
		sg_sysctl_get(r->sysctl, x->now, sizeof(x->now));
		memcpy(x->want, x->now, sizeof(x->want));
		now = sg_num(x->now);
		if (r->when && !r->when(&t, now))
			continue;
		r->advise(&t, now, x);
		x->change = strcmp(x->now, x->want) != 0;
		n++;
	}
	return n;
}

/* ---- the command ------------------------------------------------------------------ */
static const char sg_recycle_note[] =
	"net.ipv4.tcp_tw_recycle no longer exists (removed in Linux 4.12: it dropped clients behind NAT); tcp_tw_reuse covers connections this host opens";

static struct json_object *sg_observed_json(const struct sg_observation *o)
{
	struct json_object *ob = json_object_new_object(), *k = json_object_new_object();

	json_object_object_add(ob, "seconds", json_object_new_double(o->secs));
	json_object_object_add(ob, "synguard", json_object_new_boolean(o->synguard));
	if (o->synguard) {
		json_object_object_add(ob, "mode", json_object_new_string(o->mode));
		json_object_object_add(ob, "cookie_mode_active",
				       json_object_new_boolean(o->cookies));
		json_object_object_add(ob, "syn_rate", json_object_new_double(o->syn_rate));
		json_object_object_add(ob, "SYN_RCVD",
				       json_object_new_int64((int64_t)o->wa.states[SG_SYN_RCVD]));
		json_object_object_add(ob, "TIME_WAIT",
				       json_object_new_int64((int64_t)o->wa.states[SG_TIME_WAIT]));
		json_object_object_add(ob, "FIN_WAIT_2",
				       json_object_new_int64((int64_t)o->wa.states[SG_FIN_WAIT_2]));
		json_object_object_add(ob, "time_wait_ephemeral",
				       json_object_new_int64((int64_t)o->wa.tw_ephemeral));
	}
	json_object_object_add(ob, "kernel_time_wait", json_object_new_int64((int64_t)o->tw));
	json_object_object_add(ob, "kernel_syn_recv",
			       json_object_new_int64((int64_t)o->lis.syn_recv));
	json_object_object_add(ob, "listeners", json_object_new_int((int)o->lis.n));
	for (int i = 0; i < SG_KC_MAX; i++)
		json_object_object_add(k, sg_kc[i].name,
				       json_object_new_int64((int64_t)sg_kdelta(o, i)));
	json_object_object_add(ob, "kernel_counters", k);
	return ob;
}

static void sg_observed_print(const struct sg_view *v, const struct sg_observation *o)
{
	printf("synguard tune: %.0f s observed in this network namespace%s%s%s%s\n", o->secs,
	       v ? " (synguard on " : " (no synguard here: kernel counters only)",
	       v ? v->pins->iface : "", v ? (o->cookies ? ", cookies on" : ", cookies off") : "",
	       v ? ")" : "");
	if (o->synguard)
		printf("  SYN rate %.0f/s, SYN_RCVD %llu, TIME_WAIT %llu, FIN_WAIT_2 %llu\n",
		       o->syn_rate, (unsigned long long)o->wa.states[SG_SYN_RCVD],
		       (unsigned long long)o->wa.states[SG_TIME_WAIT],
		       (unsigned long long)o->wa.states[SG_FIN_WAIT_2]);
	printf("  kernel: ListenOverflows +%llu, ListenDrops +%llu, SyncookiesSent +%llu, SyncookiesRecv +%llu, SyncookiesFailed +%llu, TW +%llu, TWKilled +%llu, TCPTimeWaitOverflow +%llu, ActiveOpens +%llu; TIME_WAIT %llu, SYN_RECV %llu\n\n",
	       (unsigned long long)sg_kdelta(o, SG_KC_ListenOverflows),
	       (unsigned long long)sg_kdelta(o, SG_KC_ListenDrops),
	       (unsigned long long)sg_kdelta(o, SG_KC_SyncookiesSent),
	       (unsigned long long)sg_kdelta(o, SG_KC_SyncookiesRecv),
	       (unsigned long long)sg_kdelta(o, SG_KC_SyncookiesFailed),
	       (unsigned long long)sg_kdelta(o, SG_KC_TW),
	       (unsigned long long)sg_kdelta(o, SG_KC_TWKilled),
	       (unsigned long long)sg_kdelta(o, SG_KC_TCPTimeWaitOverflow),
	       (unsigned long long)sg_kdelta(o, SG_KC_ActiveOpens), (unsigned long long)o->tw,
	       (unsigned long long)o->lis.syn_recv);
	printf("%-30s %-12s %-12s %s\n", "SYSCTL", "NOW", "ADVISED", "WHY");
}

static struct json_object *sg_advice_json(const struct sg_advice *a)
{
	struct json_object *x = json_object_new_object();

	json_object_object_add(x, "sysctl", json_object_new_string(a->name));
	json_object_object_add(x, "current", json_object_new_string(a->now));
	json_object_object_add(x, "recommended", json_object_new_string(a->want));
	json_object_object_add(x, "change", json_object_new_boolean(a->change));
	json_object_object_add(x, "applied", json_object_new_boolean(a->applied));
	json_object_object_add(x, "reason", json_object_new_string(a->why));
	return x;
}

/* --apply: each advised change written; how many could not be. */
static int sg_advice_apply(struct sg_advice *a, int n)
{
	int fails = 0;

	for (int i = 0; i < n; i++) {
		int ret;

		if (!a[i].change)
			continue;
		ret = sg_sysctl_put(a[i].name, a[i].want);
		a[i].applied = !ret;
		if (ret) {
			sg_err("cannot write %s: %s", a[i].name, strerror(-ret));
			fails++;
		}
	}
	return fails;
}

/* What --apply did, as the kernel reads it back: "NAME: OLD -> NEW". */
static void sg_applied_print(const struct sg_advice *a, int n)
{
	bool any = false;

	printf("\n");
	for (int i = 0; i < n; i++) {
		char now[32];

		if (!a[i].change)
			continue;
		sg_sysctl_get(a[i].name, now, sizeof(now));
		printf("%s: %s -> %s%s\n", a[i].name, a[i].now, now,
		       strcmp(now, a[i].want) ? " (NOT applied)" : "");
		any = true;
	}
	if (!any)
		printf("nothing to change\n");
}

/* ---- --persist: the applied values in a sysctl.d file --------------------------------- */
#define SG_PERSIST_MAX 64

struct sg_persist {
	int n;
	char name[SG_PERSIST_MAX][64];
	char val[SG_PERSIST_MAX][32];
};

static void sg_persist_set(struct sg_persist *p, const char *name, const char *val)
{
	int i = 0;

	while (i < p->n && strcmp(p->name[i], name))
		i++;
	if (i == SG_PERSIST_MAX)
		return;
	if (i == p->n)
		p->n++;
	snprintf(p->name[i], sizeof(p->name[i]), "%s", name);
	snprintf(p->val[i], sizeof(p->val[i]), "%s", val);
}

/* "name = value" lines of an earlier run (comments and blanks dropped), so
 * that a second run which changes nothing keeps what the first wrote. */
static void sg_persist_read(const char *path, struct sg_persist *p)
{
	char line[160], name[64], val[32];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %63[^#= \t] = %31[^\n]", name, val) == 2)
			sg_persist_set(p, name, val);
	fclose(f);
}

/* Written beside the target and renamed over it: a reader (systemd-sysctl
 * at boot) sees the old file or the new one, never half of one. 0, or
 * -errno with one line in err. */
static int sg_persist_write(const char *path, const struct sg_persist *p, char *err, size_t n)
{
	char tmp[PATH_MAX];
	FILE *f;
	int r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = sg_file_create_new(tmp);
	if (!f) {
		r = -errno;
		snprintf(err, n, "cannot write %s: %s", tmp, strerror(errno));
		return r;
	}
	fprintf(f, "# Written by synguard tune --apply --persist: the TCP sysctls it applied,\n"
		   "# read at boot by systemd-sysctl (or sysctl --system). See synguard(8).\n");
	for (int i = 0; i < p->n; i++)
		fprintf(f, "%s = %s\n", p->name[i], p->val[i]);
	if (fflush(f) || fsync(fileno(f)))
		r = -errno;
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		snprintf(err, n, "cannot write %s: %s", path, strerror(-r));
		unlink(tmp);
	}
	return r;
}

static const char *sg_persist_path(void)
{
	const char *p = getenv("SYNGUARD_SYSCTL_CONF");

	return p && *p ? p : SG_TUNE_PERSIST_FILE;
}

/* The values the kernel holds now for every applied sysctl, merged into
 * the file: 0, or -errno with one line in err. */
static int sg_advice_persist(const struct sg_advice *a, int n, char *err, size_t len)
{
	static struct sg_persist p;
	const char *path = sg_persist_path();

	memset(&p, 0, sizeof(p));
	sg_persist_read(path, &p);
	for (int i = 0; i < n; i++) {
		char now[32];

		if (a[i].applied && !sg_sysctl_get(a[i].name, now, sizeof(now)))
			sg_persist_set(&p, a[i].name, now);
	}
	return sg_persist_write(path, &p, err, len);
}

int sg_cmd_tune(struct sg_view *v, const struct sg_tune_cmd *tc)
{
	struct sg_advice a[SG_ADVICE_MAX];
	struct sg_observation o;
	struct json_object *jo = NULL, *arr = NULL;
	char err[PATH_MAX + 64];
	int n, fails = 0;

	if (sg_observe(v, tc->secs, &o))
		return SG_EXIT_FAIL;
	n = sg_advice_all(&o, a);
	if (tc->apply)
		fails = sg_advice_apply(a, n);
	if (tc->persist && sg_advice_persist(a, n, err, sizeof(err))) {
		sg_err("%s", err);
		fails++;
	}
	if (tc->json) {
		jo = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(jo, "iface",
				       v ? json_object_new_string(v->pins->iface) : NULL);
		json_object_object_add(jo, "observed", sg_observed_json(&o));
		for (int i = 0; i < n; i++)
			json_object_array_add(arr, sg_advice_json(&a[i]));
		json_object_object_add(jo, "advice", arr);
		json_object_object_add(jo, "note", json_object_new_string(sg_recycle_note));
		if (tc->persist)
			json_object_object_add(jo, "persisted",
					       json_object_new_string(sg_persist_path()));
		sg_json_print(jo);
		json_object_put(jo);
		return fails ? SG_EXIT_FAIL : SG_EXIT_OK;
	}
	sg_observed_print(v, &o);
	for (int i = 0; i < n; i++)
		printf("%-30s %-12s %-12s %s\n", a[i].name, a[i].now, a[i].change ? a[i].want : "=",
		       a[i].why);
	printf("\nnote: %s\n", sg_recycle_note);
	if (tc->apply)
		sg_applied_print(a, n);
	if (tc->persist)
		printf("persisted in %s (read at boot by systemd-sysctl)\n", sg_persist_path());
	return fails ? SG_EXIT_FAIL : SG_EXIT_OK;
}
