// SPDX-License-Identifier: GPL-2.0
/* The host's sysctls and MTU -> struct sg_config; port lists; KEY=VALUE. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include "libsg_config.h"

/* The numbers of a sysctl ("net/ipv4/..."), up to n of them: how many
 * were read, or -errno. /proc/sys/net is per network namespace: the
 * reader's netns. */
static int sg_sysctl_longs(const char *name, long *v, int n)
{
	char path[256], buf[128], *p, *end;
	FILE *f;
	int got = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p)
		return -EIO;
	for (; got < n; got++, p = end) {
		v[got] = strtol(p, &end, 10);
		if (end == p)
			break;
	}
	return got;
}

int sg_sysctl_int(const char *name, long *val)
{
	int n = sg_sysctl_longs(name, val, 1);

	return n < 0 ? n : n == 1 ? 0 : -EIO;
}

/* last field of a multi-value sysctl such as tcp_rmem */
static int sg_sysctl_last(const char *name, long *val)
{
	long v[3];
	int n = sg_sysctl_longs(name, v, 3);

	if (n <= 0)
		return n ? n : -EIO;
	*val = v[n - 1];
	return 0;
}

/* live: sg_config_kernel mirrors it in the data path (or, for
 * tcp_syncookies, the kernel refuses BPF request sockets without it), so
 * the daemon follows its changes every second */
static const struct {
	const char *name;
	size_t off;
	long def;
	bool live;
} sg_sysctl_tab[] = {
#define SY(n, f, d, l) { n, offsetof(struct sg_sysctls, f), d, l }
	SY("net/ipv4/tcp_syncookies", syncookies, 1, true),
	SY("net/ipv4/tcp_window_scaling", window_scaling, 1, true),
	SY("net/ipv4/tcp_timestamps", timestamps, 1, true),
	SY("net/ipv4/tcp_sack", sack, 1, true),
	SY("net/ipv4/tcp_ecn", ecn, 2, true),
	SY("net/ipv4/tcp_syn_retries", syn_retries, 6, false),
	SY("net/ipv4/tcp_synack_retries", synack_retries, 5, false),
	SY("net/ipv4/tcp_fin_timeout", fin_timeout, 60, false),
	SY("net/ipv4/ip_default_ttl", default_ttl, 64, true),
#undef SY
};

void sg_sysctls_defaults(struct sg_sysctls *s)
{
	for (size_t i = 0; i < sizeof(sg_sysctl_tab) / sizeof(sg_sysctl_tab[0]); i++)
		*(int *)((char *)s + sg_sysctl_tab[i].off) = (int)sg_sysctl_tab[i].def;
	s->rmem_max = 212992;
	s->tcp_rmem2 = 6291456;
}

int sg_read_sysctls(struct sg_sysctls *s)
{
	long v;

	sg_sysctls_defaults(s);
	for (size_t i = 0; i < sizeof(sg_sysctl_tab) / sizeof(sg_sysctl_tab[0]); i++)
		if (!sg_sysctl_int(sg_sysctl_tab[i].name, &v))
			*(int *)((char *)s + sg_sysctl_tab[i].off) = (int)v;
	sg_sysctl_int("net/core/rmem_max", &s->rmem_max);
	sg_sysctl_last("net/ipv4/tcp_rmem", &s->tcp_rmem2);
	return 0;
}

/* "net.ipv4.tcp_timestamps 1 -> 0, ..." for the live sysctls that differ */
int sg_sysctls_diff(const struct sg_sysctls *a, const struct sg_sysctls *b, char *buf, size_t n)
{
	const struct {
		const char *name;
		long a, b;
	} rmem[2] = {
		{ "net/core/rmem_max", a->rmem_max, b->rmem_max },
		{ "net/ipv4/tcp_rmem (max)", a->tcp_rmem2, b->tcp_rmem2 },
	};
	size_t len = 0;
	int diffs = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(sg_sysctl_tab) / sizeof(sg_sysctl_tab[0]) + 2; i++) {
		size_t t = sizeof(sg_sysctl_tab) / sizeof(sg_sysctl_tab[0]);
		const char *name = i < t ? sg_sysctl_tab[i].name : rmem[i - t].name;
		long va = i < t ? *(const int *)((const char *)a + sg_sysctl_tab[i].off)
				: rmem[i - t].a;
		long vb = i < t ? *(const int *)((const char *)b + sg_sysctl_tab[i].off)
				: rmem[i - t].b;

		if ((i < t && !sg_sysctl_tab[i].live) || va == vb)
			continue;
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s", diffs ? ", " : "");
		/* the sysctl's name as sysctl(8) writes it */
		for (size_t k = 0, w = strcspn(name, " "); name[k] && len + 1 < n; k++)
			buf[len++] = k < w && name[k] == '/' ? '.' : name[k];
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len, " %ld -> %ld", va, vb);
		diffs++;
	}
	if (len >= n && n)
		buf[n - 1] = 0;
	return diffs;
}

void sg_tw_limits_read(struct sg_tw_limits *t)
{
	long r[2] = { 32768, 60999 }, v, lo, hi;

	if (sg_sysctl_longs("net/ipv4/ip_local_port_range", r, 2) != 2) {
		r[0] = 32768;
		r[1] = 60999;
	}
	lo = r[0];
	hi = r[1];
	t->max_buckets = sg_sysctl_int("net/ipv4/tcp_max_tw_buckets", &v) ? 0 : (__u64)v;
	t->port_lo = (__u16)lo;
	t->port_hi = (__u16)hi;
	t->port_range = hi >= lo ? (__u64)(hi - lo + 1) : 0;
}

int sg_iface_mtu(const char *iface)
{
	struct ifreq ifr = {};
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ret = ioctl(fd, SIOCGIFMTU, &ifr) ? -errno : ifr.ifr_mtu;
	close(fd);
	return ret;
}

/* ---- the driver's XDP_TX losses ------------------------------------------ */
/* A driver stat that counts XDP_TX frames it could not send: veth's
 * rx_queue_N_xdp_tx_errors, mlx5's rx_xdp_tx_err, virtio_net's
 * tx_queue_N_xdp_tx_drops. Not *xdp_xmit*: those are frames other
 * interfaces redirected here. */
static bool sg_xdp_tx_err_name(const char *name)
{
	const char *t = strstr(name, "xdp_tx");

	return t && (strstr(t, "err") || strstr(t, "drop"));
}

struct sg_ethtool {
	int fd;
	struct ifreq ifr;
};

static int sg_ethtool(struct sg_ethtool *e, void *cmd)
{
	e->ifr.ifr_data = cmd;
	return ioctl(e->fd, SIOCETHTOOL, &e->ifr) ? -errno : 0;
}

/* The number of ETH_SS_STATS strings, or -errno. */
static int sg_ethtool_nstats(struct sg_ethtool *e)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} si = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	int r = sg_ethtool(e, &si);

	if (r)
		return r;
	return si.hdr.sset_mask ? (int)si.len : 0;
}

static int sg_ethtool_xdp_tx(struct sg_ethtool *e, int n, __u64 *errs)
{
	struct ethtool_gstrings *names;
	struct ethtool_stats *vals;
	bool found = false;
	int r = -ENOMEM;

	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + (size_t)n * sizeof(__u64));
	if (!names || !vals)
		goto out;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = (__u32)n;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = (__u32)n;
	r = sg_ethtool(e, names);
	if (!r)
		r = sg_ethtool(e, vals);
	if (r)
		goto out;
	*errs = 0;
	for (__u32 i = 0; i < names->len && i < vals->n_stats; i++) {
		char name[ETH_GSTRING_LEN + 1];

		memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = 0;
		if (sg_xdp_tx_err_name(name)) {
			*errs += vals->data[i];
			found = true;
		}
	}
	r = found ? 0 : -ENOENT;
out:
	free(names);
	free(vals);
	return r;
}

int sg_xdp_tx_errors(const char *iface, __u64 *errs)
{
	struct sg_ethtool e = {};
	int n, r;

	e.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (e.fd < 0)
		return -errno;
	snprintf(e.ifr.ifr_name, sizeof(e.ifr.ifr_name), "%s", iface);
	n = sg_ethtool_nstats(&e);
	r = n < 0 ? n : n ? sg_ethtool_xdp_tx(&e, n, errs) : -ENOENT;
	close(e.fd);
	return r;
}

static const char *const sg_refuse_tab[SG_REFUSE_MAX][2] = {
	[SG_REFUSE_SYSCTL] = { "tcp_syncookies",
			       "net.ipv4.tcp_syncookies is 0, the kernel would reset every cookie handshake" },
	[SG_REFUSE_XDP_TX] = { "xdp_tx",
			       "the driver loses the XDP_TX frames (SYN-ACKs) of this interface" },
};

const char *sg_refuse_name(unsigned int reason)
{
	return reason < SG_REFUSE_MAX ? sg_refuse_tab[reason][0] : "?";
}

const char *sg_refuse_why(unsigned int reason)
{
	return reason < SG_REFUSE_MAX ? sg_refuse_tab[reason][1] : "?";
}

/* Four ascending MSS values from the family's minimum to the top one the
 * MTU allows. Never below the minimum: bpf_sk_assign_tcp_reqsk() refuses
 * an MSS under 536 (IPv4) / 1220 (IPv6). The usual defaults are kept where
 * they fit under the top; the rest is spread evenly. */
static void sg_msstab(__u16 *tab, int top, const __u16 *cand, int ncand)
{
	int min = cand[0], n = SG_MSS_BUCKETS - 1;

	if (top < min)
		top = min;
	tab[n] = (__u16)top;
	for (int i = ncand - 1; i >= 1 && n > 1; i--)
		if (cand[i] < tab[n])
			tab[--n] = cand[i];
	for (int i = 1; i < n; i++)
		tab[i] = (__u16)(min + (tab[n] - min) * i / n);
	tab[0] = (__u16)min;
}

static int sg_ilog2(unsigned long v)
{
	int r = -1;

	while (v) {
		v >>= 1;
		r++;
	}
	return r;
}

void sg_config_kernel(struct sg_config *c, const struct sg_sysctls *s, int mtu)
{
	static const __u16 cand4[] = { 536, 1300, 1440, 1460 };
	static const __u16 cand6[] = { 1220, 1340, 1440 };
	long rmem = s->tcp_rmem2 > s->rmem_max ? s->tcp_rmem2 : s->rmem_max;
	int ws;

	sg_msstab(c->msstab4, mtu - 40, cand4, 4);
	sg_msstab(c->msstab6, mtu - 60, cand6, 3);
	c->adv_mss4 = c->msstab4[SG_MSS_BUCKETS - 1];
	c->adv_mss6 = c->msstab6[SG_MSS_BUCKETS - 1];
	c->synack_window = 64240;
	ws = s->window_scaling ? sg_ilog2(rmem > 0 ? (unsigned long)rmem : 1) - 15 : 0;
	c->rcv_wscale = (__u8)(ws < 0 ? 0 : ws > 14 ? 14 : ws);
	c->ttl = (__u8)(s->default_ttl > 0 && s->default_ttl < 256 ? s->default_ttl : 64);
	c->allow_ts = s->timestamps != 0;
	c->allow_sack = s->sack != 0;
	c->allow_wscale = s->window_scaling != 0;
	c->allow_ecn = s->ecn != 0;
	/* the *_cpu budgets share their rate among the CPUs that run XDP */
	c->ncpus = (__u32)(sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1);
}

/* ---- ports ---------------------------------------------------------------- */
static int sg_port_num(const char *s, const char *end, unsigned int *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 5)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

int sg_ports_parse_err(const char *s, struct sg_portset *ps, char *err, size_t n)
{
	const char *tok = s;

	memset(ps, 0, sizeof(*ps));
	if (!strcmp(s, "all")) {
		ps->all = true;
		return 0;
	}
	for (;;) {
		const char *end = strchr(tok, ',');
		const char *dash;
		unsigned int lo, hi;
		int len;

		if (!end)
			end = tok + strlen(tok);
		/* "80, 443" as "80,443": blanks around a token are not part of it */
		while (tok < end && (*tok == ' ' || *tok == '\t'))
			tok++;
		len = (int)(end - tok);
		while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
			len--;
		dash = memchr(tok, '-', (size_t)len);
		if (dash ? sg_port_num(tok, dash, &lo) || sg_port_num(dash + 1, tok + len, &hi) ||
				    lo > hi
			 : sg_port_num(tok, tok + len, &lo) || ((hi = lo), 0)) {
			snprintf(
				err, n,
				"bad port '%.*s': use ports and ranges 1..65535 like 80,443,8000-8099, or all",
				len, tok);
			return -EINVAL;
		}
		for (unsigned int p = lo; p <= hi; p++)
			sg_ports_add(ps, p);
		if (!*end)
			return 0;
		tok = end + 1;
	}
}

int sg_ports_parse(const char *s, struct sg_portset *ps)
{
	char err[160];

	if (!sg_ports_parse_err(s, ps, err, sizeof(err)))
		return 0;
	sg_err("-p: %s", err);
	return -EINVAL;
}

bool sg_ports_has(const struct sg_portset *ps, unsigned int port)
{
	if (port == 0 || port > 65535)
		return false;
	return ps->bit[port / 8] & (1u << (port % 8));
}

void sg_ports_add(struct sg_portset *ps, unsigned int port)
{
	if (port && port <= 65535)
		ps->bit[port / 8] |= (unsigned char)(1u << (port % 8));
}

void sg_ports_slots(const struct sg_portset *ps, const struct sg_portset *listening, __u16 *slots)
{
	__u16 next = 1;

	slots[0] = 0;
	for (unsigned int p = 1; p < 65536; p++) {
		if (!sg_ports_has(ps->all ? listening : ps, p))
			slots[p] = 0;
		else if (next > SG_MAX_PORT_SLOTS)
			slots[p] = SG_PORT_SLOT_OTHER;
		else
			slots[p] = next++;
	}
}

char *sg_portset_format(const struct sg_portset *ps)
{
	static __u16 slots[65536];

	for (unsigned int p = 0; p < 65536; p++)
		slots[p] = sg_ports_has(ps, p);
	return sg_ports_format(slots);
}

char *sg_ports_format(const __u16 *slots)
{
	size_t cap = 256, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	buf[0] = 0;
	for (unsigned int p = 1; p < 65536; p++) {
		unsigned int q = p;
		char item[16];
		int n;

		if (!slots[p])
			continue;
		while (q + 1 < 65536 && slots[q + 1])
			q++;
		n = q == p ? snprintf(item, sizeof(item), "%s%u", len ? "," : "", p)
			   : snprintf(item, sizeof(item), "%s%u-%u", len ? "," : "", p, q);
		if (len + (size_t)n + 1 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		memcpy(buf + len, item, (size_t)n + 1);
		len += (size_t)n;
		p = q;
	}
	if (!len)
		snprintf(buf, cap, "none");
	return buf;
}

int sg_metrics_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t n)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	const char *host = s, *port, *end;
	unsigned long p = 0;
	char h[64];

	if (!strcmp(s, "off"))
		return 1;
	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		host = s + 1;
		end = strchr(host, ']');
		port = end && end[1] == ':' ? end + 2 : NULL;
	} else {
		end = strrchr(s, ':');
		port = end ? end + 1 : NULL;
	}
	if (port && (size_t)(end - host) < sizeof(h) && *port) {
		snprintf(h, sizeof(h), "%.*s", (int)(end - host), host);
		for (; *port >= '0' && *port <= '9' && p <= 65535; port++)
			p = p * 10 + (unsigned long)(*port - '0');
		if (!*port && p >= 1 && p <= 65535) {
			if (*s == '[' && inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
				v6->sin6_family = AF_INET6;
				v6->sin6_port = htons((__u16)p);
				*len = sizeof(*v6);
				return 0;
			}
			if (*s != '[' && inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
				v4->sin_family = AF_INET;
				v4->sin_port = htons((__u16)p);
				*len = sizeof(*v4);
				return 0;
			}
		}
	}
	snprintf(err, n, "'%s' is not ADDR:PORT (e.g. 127.0.0.1:%d, [::1]:%d) or off", s,
		 SG_METRICS_PORT, SG_METRICS_PORT);
	return -EINVAL;
}
