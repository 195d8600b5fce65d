// SPDX-License-Identifier: GPL-2.0
/* conns rows written directly: at a million rows, building a json-c object
 * per row (a hash table, a dozen allocations) and printf's format parsing
 * took most of the 16 us a row cost. Every string in a row is an address
 * from inet_ntop or a fixed state name, so nothing needs escaping. */
#include <string.h>
#include <arpa/inet.h>
#include "libsg_rows.h"
#include "libsg_policy.h"

void sg_rows_init(struct sg_rows *w, FILE *f)
{
	w->f = f;
	w->n = 0;
}

void sg_rows_flush(struct sg_rows *w)
{
	if (w->n)
		fwrite(w->buf, 1, w->n, w->f);
	w->n = 0;
}

static void sg_rows_mem(struct sg_rows *w, const char *s, size_t len)
{
	if (w->n + len > sizeof(w->buf))
		sg_rows_flush(w);
	memcpy(w->buf + w->n, s, len);
	w->n += len;
}

void sg_rows_str(struct sg_rows *w, const char *s)
{
	sg_rows_mem(w, s, strlen(s));
}

/* Decimal digits of v into the end of buf[24]; returns the first. */
static char *sg_rows_digits(char *end, __u64 v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static void sg_rows_u64(struct sg_rows *w, __u64 v)
{
	char buf[24], *s = sg_rows_digits(buf + sizeof(buf), v);

	sg_rows_mem(w, s, (size_t)(buf + sizeof(buf) - s));
}

/* Nanoseconds as seconds with three decimals, as "%.3f" prints them. */
static void sg_rows_secs(struct sg_rows *w, __u64 ns)
{
	__u64 ms = (ns + 500000) / 1000000;
	char frac[4] = { (char)('0' + ms % 1000 / 100), (char)('0' + ms % 100 / 10),
			 (char)('0' + ms % 10), 0 };

	sg_rows_u64(w, ms / 1000);
	sg_rows_mem(w, ".", 1);
	sg_rows_mem(w, frac, 3);
}

/* An IPv4 address without inet_ntop's sprintf; IPv6 through inet_ntop. */
static size_t sg_rows_addr(char *buf, size_t len, __u8 family, const __u32 *a)
{
	const unsigned char *b = (const unsigned char *)a;
	char *p = buf;

	if (family == 6) {
		sg_addr_format(buf, len, family, a);
		return strlen(buf);
	}
	for (int i = 0; i < 4; i++) {
		char d[24], *s = sg_rows_digits(d + sizeof(d), b[i]);

		if (i)
			*p++ = '.';
		memcpy(p, s, (size_t)(d + sizeof(d) - s));
		p += d + sizeof(d) - s;
	}
	*p = 0;
	return (size_t)(p - buf);
}

static __u64 sg_rows_since(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

void sg_rows_conn_json(struct sg_rows *w, const struct sg_conn *c, __u64 now)
{
	const struct sg_ct_key *k = &c->k;
	const struct sg_ct_entry *e = &c->e;
	char a[INET6_ADDRSTRLEN];
	size_t len;

	sg_rows_str(w, "{ \"family\": ");
	sg_rows_u64(w, k->family);
	sg_rows_str(w, ", \"local\": \"");
	len = sg_rows_addr(a, sizeof(a), k->family, k->laddr);
	sg_rows_mem(w, a, len);
	sg_rows_str(w, "\", \"lport\": ");
	sg_rows_u64(w, k->lport);
	sg_rows_str(w, ", \"remote\": \"");
	len = sg_rows_addr(a, sizeof(a), k->family, k->raddr);
	sg_rows_mem(w, a, len);
	sg_rows_str(w, "\", \"rport\": ");
	sg_rows_u64(w, k->rport);
	sg_rows_str(w, ", \"state\": \"");
	sg_rows_str(w, sg_state_name(e->state));
	sg_rows_str(w, "\", \"remote_state\": \"");
	sg_rows_str(w, sg_state_name(e->rstate));
	sg_rows_str(w, "\", \"age_s\": ");
	sg_rows_secs(w, sg_rows_since(now, e->created_ns));
	sg_rows_str(w, ", \"idle_s\": ");
	sg_rows_secs(w, sg_rows_since(now, e->last_ns));
	sg_rows_str(w, ", \"pkts_in\": ");
	sg_rows_u64(w, e->pkts_in);
	sg_rows_str(w, ", \"pkts_out\": ");
	sg_rows_u64(w, e->pkts_out);
	/* json-c's int64: counters past INT64_MAX print as INT64_MAX */
	sg_rows_str(w, ", \"bytes_in\": ");
	sg_rows_u64(w, e->bytes_in > INT64_MAX ? INT64_MAX : e->bytes_in);
	sg_rows_str(w, ", \"bytes_out\": ");
	sg_rows_u64(w, e->bytes_out > INT64_MAX ? INT64_MAX : e->bytes_out);
	sg_rows_str(w,
		    (e->flags & SG_CT_COOKIE) ? ", \"cookie\": true }" : ", \"cookie\": false }");
}

/* s left-aligned (right when right is set) in a field of width columns. */
static void sg_rows_field(struct sg_rows *w, const char *s, size_t len, size_t width, bool right)
{
	static const char spaces[64] =
		"                                                               ";
	size_t pad = len < width ? width - len : 0;

	if (right)
		sg_rows_mem(w, spaces, pad);
	sg_rows_mem(w, s, len);
	if (!right)
		sg_rows_mem(w, spaces, pad);
}

static void sg_rows_num(struct sg_rows *w, __u64 v, size_t width)
{
	char buf[24], *s = sg_rows_digits(buf + sizeof(buf), v);

	sg_rows_mem(w, " ", 1);
	sg_rows_field(w, s, (size_t)(buf + sizeof(buf) - s), width, true);
}

/* ADDR:PORT, [ADDR]:PORT for IPv6, in a 40-column field. */
static void sg_rows_endpoint(struct sg_rows *w, __u8 family, const __u32 *a, __u16 port)
{
	char buf[INET6_ADDRSTRLEN + 10], d[24], *s = sg_rows_digits(d + sizeof(d), port);
	size_t len = family == 6;

	buf[0] = '[';
	len += sg_rows_addr(buf + len, INET6_ADDRSTRLEN, family, a);
	if (family == 6)
		buf[len++] = ']';
	buf[len++] = ':';
	memcpy(buf + len, s, (size_t)(d + sizeof(d) - s));
	len += (size_t)(d + sizeof(d) - s);
	sg_rows_mem(w, " ", 1);
	sg_rows_field(w, buf, len, 40, false);
}

/* An age as conns' table shows it: 59s, 2m05s, 3h07m. */
static void sg_rows_age(struct sg_rows *w, __u64 ns)
{
	__u64 s = ns / 1000000000ull, hi = s, lo = 0;
	char buf[48], *p = buf, d[24], *q;
	const char *unit = "s", *lunit = "";

	if (s >= 7200) {
		hi = s / 3600, lo = s % 3600 / 60, unit = "h", lunit = "m";
	} else if (s >= 120) {
		hi = s / 60, lo = s % 60, unit = "m", lunit = "s";
	}
	q = sg_rows_digits(d + sizeof(d), hi);
	memcpy(p, q, (size_t)(d + sizeof(d) - q));
	p += d + sizeof(d) - q;
	*p++ = unit[0];
	if (lunit[0]) {
		*p++ = (char)('0' + lo / 10);
		*p++ = (char)('0' + lo % 10);
		*p++ = lunit[0];
	}
	sg_rows_mem(w, " ", 1);
	sg_rows_field(w, buf, (size_t)(p - buf), 8, true);
}

void sg_rows_conn_text(struct sg_rows *w, const struct sg_conn *c, __u64 now)
{
	const struct sg_ct_key *k = &c->k;
	const struct sg_ct_entry *e = &c->e;
	const char *st = sg_state_name(e->state), *rst = sg_state_name(e->rstate);
	char fam[24], *s = sg_rows_digits(fam + sizeof(fam), k->family);

	sg_rows_field(w, s, (size_t)(fam + sizeof(fam) - s), 3, false);
	sg_rows_endpoint(w, k->family, k->laddr, k->lport);
	sg_rows_endpoint(w, k->family, k->raddr, k->rport);
	sg_rows_mem(w, " ", 1);
	sg_rows_field(w, st, strlen(st), 11, false);
	sg_rows_mem(w, " ", 1);
	sg_rows_field(w, rst, strlen(rst), 11, false);
	sg_rows_age(w, sg_rows_since(now, e->created_ns));
	sg_rows_age(w, sg_rows_since(now, e->last_ns));
	sg_rows_num(w, e->pkts_in, 8);
	sg_rows_num(w, e->pkts_out, 8);
	sg_rows_num(w, e->bytes_in, 10);
	sg_rows_num(w, e->bytes_out, 10);
	sg_rows_mem(w, "\n", 1);
}
