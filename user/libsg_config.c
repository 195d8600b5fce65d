// SPDX-License-Identifier: GPL-2.0
/* The host's sysctls and MTU -> struct sg_config; port lists; KEY=VALUE. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include "libsynguard.h"

/* /proc/sys/net is per network namespace: the reader's netns. */
int sg_sysctl_int(const char *name, long *val)
{
	char path[256], buf[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*val = strtol(buf, NULL, 10);
	return 0;
}

/* last field of a multi-value sysctl such as tcp_rmem */
static int sg_sysctl_last(const char *name, long *val)
{
	char path[256], buf[128], *p, *tok, *save = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p)
		return -EIO;
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save))
		*val = strtol(tok, NULL, 10);
	return 0;
}

int sg_read_sysctls(struct sg_sysctls *s)
{
	static const struct {
		const char *name;
		size_t off;
		long def;
	} tab[] = {
#define SY(n, f, d) { n, offsetof(struct sg_sysctls, f), d }
		SY("net/ipv4/tcp_syncookies", syncookies, 1),
		SY("net/ipv4/tcp_window_scaling", window_scaling, 1),
		SY("net/ipv4/tcp_timestamps", timestamps, 1),
		SY("net/ipv4/tcp_sack", sack, 1),
		SY("net/ipv4/tcp_ecn", ecn, 2),
		SY("net/ipv4/tcp_syn_retries", syn_retries, 6),
		SY("net/ipv4/tcp_synack_retries", synack_retries, 5),
		SY("net/ipv4/tcp_fin_timeout", fin_timeout, 60),
		SY("net/ipv4/ip_default_ttl", default_ttl, 64),
#undef SY
	};
	long v;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (sg_sysctl_int(tab[i].name, &v))
			v = tab[i].def;
		*(int *)((char *)s + tab[i].off) = (int)v;
	}
	if (sg_sysctl_int("net/core/rmem_max", &s->rmem_max))
		s->rmem_max = 212992;
	if (sg_sysctl_last("net/ipv4/tcp_rmem", &s->tcp_rmem2))
		s->tcp_rmem2 = 6291456;
	return 0;
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
}

void sg_config_defaults(struct sg_config *c, const struct sg_sysctls *s)
{
	int syn = s->syn_retries < 0 ? 0 : s->syn_retries > 20 ? 20 : s->syn_retries;
	int synack = s->synack_retries < 0 ? 0 : s->synack_retries > 20 ? 20 : s->synack_retries;

	c->track_all = 1;
	c->drop_oow_rst = 0;
	c->timeout_s[SG_SYN_SENT] = (1u << (syn + 1)) - 1;
	c->timeout_s[SG_SYN_RCVD] = (1u << (synack + 1)) - 1;
	c->timeout_s[SG_ESTABLISHED] = 432000;
	c->timeout_s[SG_FIN_WAIT_1] = 120;
	c->timeout_s[SG_FIN_WAIT_2] = s->fin_timeout > 0 ? s->fin_timeout : 60;
	c->timeout_s[SG_CLOSE_WAIT] = 432000;
	c->timeout_s[SG_CLOSING] = 120;
	c->timeout_s[SG_LAST_ACK] = 120;
	c->timeout_s[SG_TIME_WAIT] = 60;
	c->timeout_s[SG_CLOSED] = 10;
	/* failed cookie checks: a legit source fails one now and then (a stale
	 * ACK); at 10 a second a blind guess (2^-23 per try) takes ~10 days */
	c->budget[SG_BUDGET_cookie] = (struct sg_budget_cfg){
		.interval_ns = SG_NSEC_PER_SEC / 10, .burst = 100,
		.prefix4 = 32, .prefix6 = 64,
	};
}

/* budget.KIND.FIELD=VALUE: rate (per second, 0 = unlimited), burst,
 * prefix4, prefix6 */
static int sg_budget_set(struct sg_config *c, const char *key, const char *val)
{
	const char *field = strchr(key, '.');
	struct sg_budget_cfg *b = NULL;
	unsigned long v;

	for (int i = 0; field && i < SG_BUDGET_MAX; i++)
		if (strlen(sg_budget_names[i]) == (size_t)(field - key) &&
		    !strncmp(key, sg_budget_names[i], (size_t)(field - key)))
			b = &c->budget[i];
	if (!b) {
		sg_err("unknown budget in 'budget.%s': use budget.cookie.FIELD", key);
		return -1;
	}
	field++;
	if (!strcmp(field, "rate")) {
		if (sg_parse_uint("budget rate", val, 0, 1000000000, &v))
			return -1;
		b->interval_ns = v ? SG_NSEC_PER_SEC / v : 0;
	} else if (!strcmp(field, "burst")) {
		if (sg_parse_uint("budget burst", val, 1, 1000000, &v))
			return -1;
		b->burst = (__u32)v;
	} else if (!strcmp(field, "prefix4")) {
		if (sg_parse_uint("budget prefix4", val, 1, 32, &v))
			return -1;
		b->prefix4 = (__u8)v;
	} else if (!strcmp(field, "prefix6")) {
		if (sg_parse_uint("budget prefix6", val, 1, 128, &v))
			return -1;
		b->prefix6 = (__u8)v;
	} else {
		sg_err("unknown budget field in 'budget.%s': use rate, burst, prefix4 or prefix6", key);
		return -1;
	}
	return 0;
}

/* ---- ports ---------------------------------------------------------------- */
static int sg_port_num(const char *s, const char *end, unsigned int *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 5)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int sg_ports_parse(const char *s, struct sg_portset *ps)
{
	const char *tok = s;

	memset(ps, 0, sizeof(*ps));
	for (;;) {
		const char *end = strchr(tok, ',');
		const char *dash;
		unsigned int lo, hi;
		int len;

		if (!end)
			end = tok + strlen(tok);
		len = (int)(end - tok);
		dash = memchr(tok, '-', (size_t)len);
		if (dash ? sg_port_num(tok, dash, &lo) || sg_port_num(dash + 1, end, &hi) || lo > hi
			 : sg_port_num(tok, end, &lo) || ((hi = lo), 0)) {
			sg_err("bad port '%.*s' in -p: use ports and ranges 1..65535 like 80,443,8000-8099",
			       len, tok);
			return -1;
		}
		for (unsigned int p = lo; p <= hi; p++)
			ps->bit[p / 8] |= (unsigned char)(1u << (p % 8));
		if (!*end)
			return 0;
		tok = end + 1;
	}
}

bool sg_ports_has(const struct sg_portset *ps, unsigned int port)
{
	if (port == 0 || port > 65535)
		return false;
	return ps->all || (ps->bit[port / 8] & (1u << (port % 8)));
}

void sg_ports_slots(const struct sg_portset *ps, __u16 *slots)
{
	__u16 next = 1;

	slots[0] = 0;
	for (unsigned int p = 1; p < 65536; p++) {
		if (!sg_ports_has(ps, p))
			slots[p] = 0;
		else if (ps->all || next > SG_MAX_PORT_SLOTS)
			slots[p] = SG_PORT_SLOT_OTHER;
		else
			slots[p] = next++;
	}
}

char *sg_ports_format(const __u16 *slots)
{
	size_t cap = 256, len = 0;
	char *buf = malloc(cap);
	bool all = true;

	if (!buf)
		return NULL;
	buf[0] = 0;
	for (unsigned int p = 1; p < 65536; p++)
		if (!slots[p])
			all = false;
	if (all) {
		snprintf(buf, cap, "all");
		return buf;
	}
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

/* ---- synguard set KEY=VALUE ------------------------------------------------ */
int sg_config_set(struct sg_config *c, const char *kv, __u64 period_ns)
{
	const char *eq = strchr(kv, '=');
	const char *val;
	char key[64];
	unsigned long v;

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		sg_err("bad setting '%s': use KEY=VALUE (see synguard help set)", kv);
		return -1;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = 0;
	val = eq + 1;

	if (!strcmp(key, "mode")) {
		int m = sg_mode_parse(val);

		if (m == SG_MODE_AUTO || m == SG_MODE_SHADOW) {
			sg_err("mode=%s is not implemented yet: use mode=on or mode=off", val);
			return -1;
		}
		if (m < 0) {
			sg_err("bad value in '%s': use mode=on or mode=off", kv);
			return -1;
		}
		if (m == SG_MODE_OFF && c->cookie_active)
			c->cookie_check_until_ns = sg_now_ns() + 2 * period_ns;
		c->mode = (__u32)m;
		c->cookie_active = m == SG_MODE_ON;
		return 0;
	}
	if (!strncmp(key, "timeout.", 8)) {
		int st = sg_state_parse(key + 8);

		if (st < 0) {
			sg_err("unknown state in '%s': use one of SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT CLOSED", kv);
			return -1;
		}
		if (sg_parse_uint(key, val, 1, 4000000, &v))
			return -1;
		c->timeout_s[st] = (__u32)v;
		return 0;
	}
	if (!strcmp(key, "track")) {
		if (!strcmp(val, "all"))
			c->track_all = 1;
		else if (!strcmp(val, "protected"))
			c->track_all = 0;
		else {
			sg_err("bad value in '%s': use track=all or track=protected", kv);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "drop_oow_rst")) {
		if (strcmp(val, "0") && strcmp(val, "1")) {
			sg_err("bad value in '%s': use drop_oow_rst=0 or drop_oow_rst=1", kv);
			return -1;
		}
		c->drop_oow_rst = val[0] == '1';
		return 0;
	}
	if (!strncmp(key, "budget.", 7)) {
		return sg_budget_set(c, key + 7, val);
	}
	if (!strcmp(key, "secret_period")) {
		sg_err("secret_period is a daemon setting: restart synguardd with --secret-period %s", val);
		return -1;
	}
	sg_err("unknown setting '%s': use mode, timeout.STATE, track, drop_oow_rst or budget.KIND.FIELD", key);
	return -1;
}
