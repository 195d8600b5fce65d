// SPDX-License-Identifier: GPL-2.0
/* The settings table and the secrets, in userspace alone: every default
 * parses and round-trips, the sample config parses back to the defaults,
 * config file errors name FILE:LINE, flags win over the file, the mode's
 * side effects; SipHash against its reference vector, the master key
 * file's checks, and the derived schedule between two hosts whose clocks
 * disagree (a cookie of one is accepted by the other within P/4). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "libsynguard.h"
#include "tap.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "siphash.h"
#pragma GCC diagnostic pop

static char tmpdir[] = "/tmp/sg-settings.XXXXXX";
static struct sg_sysctls sy;

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		diag("cannot write %s", path);
	close(fd);
	chmod(path, mode);
	return path;
}

/* ---- the table ------------------------------------------------------------------- */
static void test_table(void)
{
	static struct sg_settings def, back;
	int dup = 0, badkey = 0, badrange = 0, roundtrip = 0, nohelp = 0;

	sg_settings_defaults(&def, &sy);
	sg_settings_for_each(st)
	{
		char val[256], kv[400], err[256];

		sg_settings_for_each(o) dup += o != st && !strcmp(o->key, st->key);
		badkey += sg_setting_find(st->key) != st || strpbrk(st->key, " =[];#") != NULL;
		nohelp += !st->help || !st->help[0] || (!st->def && !st->compute);
		if (st->type == &sg_t_uint)
			badrange += st->lo > st->hi || sg_setting_number(st, &def) < st->lo ||
				    sg_setting_number(st, &def) > st->hi;
		/* format(default) parses back to the same bytes */
		back = def;
		sg_setting_format(st, &def, val, sizeof(val));
		snprintf(kv, sizeof(kv), "%s=%s", st->key, val);
		if (sg_settings_kv(&back, NULL, 0, kv, err, sizeof(err)) ||
		    sg_setting_differs(st, &def, &back)) {
			diag("%s: default '%s' does not round-trip", st->key, val);
			roundtrip++;
		}
	}
	check(!dup, "settings: keys are unique (%u settings)", sg_settings_count);
	check(!badkey, "settings: every key is found and is a valid INI name");
	check(!nohelp, "settings: every setting has help and a default");
	check(!badrange, "settings: integer defaults lie in their ranges");
	check(!roundtrip, "settings: every default formats and parses back to itself");
	check(sg_setting_find("timeout.syn_rcvd") == sg_setting_find("timeout.SYN_RCVD"),
	      "settings: state names in timeout keys in any case");
}

/* The sample config, every line uncommented, gives the defaults. */
static void test_sample(void)
{
	static struct sg_settings def, s;
	static struct sg_given g;
	struct sg_sysctls kdef;
	char *text = NULL, *out, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int given = 0, lines = 0;

	sg_settings_sample(f);
	fclose(f);
	out = calloc(1, len + 1);
	for (char *l = strtok(text, "\n"), *o = out; l; l = strtok(NULL, "\n")) {
		/* "#key = value" -> "key = value" */
		bool setting = l[0] == '#' && l[1] && !strchr(" #", l[1]) && strstr(l, " =");

		o += sprintf(o, "%s\n", setting ? l + 1 : l);
		lines += setting;
	}
	sg_sysctls_defaults(&kdef);
	sg_settings_defaults(&def, &kdef);
	s = def;
	if (!check(!sg_settings_file(&s, &g, write_file("sample.conf", out, 0600), err,
				     sizeof(err)),
		   "sample config: parses with every setting uncommented"))
		diag("%s", err);
	for (unsigned int i = 0; i < sg_settings_count; i++)
		given += g.line[i] > 0;
	check(given == (int)sg_settings_count && lines == (int)sg_settings_count,
	      "sample config: names every setting once (%d of %u, %d lines)", given,
	      sg_settings_count, lines);
	check(!memcmp(&s, &def, sizeof(s)), "sample config: every value is the default");
	free(out);
	free(text);
}

/* ---- the config file --------------------------------------------------------------------- */
static void test_file_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "mode = auto\n[auto]\nhold = 5\nsyn_rate_high = abc\n",
		  ":4: auto.syn_rate_high: 'abc' is not a number in 1..1000000000" },
		{ "# c\n\n[deny]\nprefixes = 198.18.0.0/15, 198.18.7.1/24\n",
		  ":4: deny.prefixes: '198.18.7.1/24' has host bits set: the prefix is 198.18.7.0/24" },
		{ "[allow]\nprefixes = 2001:db8::/32\nprefixes = 2001:db8::/129\n",
		  ":3: allow.prefixes: '2001:db8::/129': the prefix length must be 0..128" },
		{ "[allow]\nprefixes = fe80::1%eth0\n",
		  ":2: allow.prefixes: 'fe80::1%eth0' is not an IPv4 or IPv6 prefix" },
		{ "[allow]\nprefixes = 198.18.0.0/24\n[deny]\nprefixes = 198.18.0.0/24\n",
		  ":4: 198.18.0.0/24 is in both allow.prefixes and deny.prefixes" },
		{ "mode = auto\nbogus = 1\n", ":2: unknown setting 'bogus' outside a [section]" },
		{ "[auto]\nhodl = 1\n", ":2: unknown setting 'auto.hodl'" },
		{ "mode = on\njust words\n", ":2: not KEY = VALUE, a [section] or a comment" },
		{ "[auto\nhold = 1\n", ":1: not KEY = VALUE" },
		{ "mode = on\n\nmode = off\n", ":3: mode set twice (first on line 1)" },
		{ "[auto]\nsyn_rate_low = 5000\n\nsyn_rate_high = 100\n",
		  ":4: auto.syn_rate_low (5000) must not exceed auto.syn_rate_high (100)" },
		{ "ports = 80,443\n  8080\n", ":2: an indented line continues the value of ports" },
		{ "ports = 80,70000\n", ":1: ports: bad port '70000'" },
		{ "metrics = 1.2.3:99\n", ":1: metrics: '1.2.3:99' is not ADDR:PORT" },
		{ "[secret]\nfile = relative/key\n",
		  ":2: secret.file: relative/key: give the key file as an absolute path" },
		{ "mode = auto # why\n",
		  ":1: mode: 'auto # why' is not off, on, auto or shadow (a comment after a value starts with \" ;\")" },
		{ "[timeout]\nTIME_WAIT = 0\n",
		  ":2: timeout.TIME_WAIT: '0' is not a number in 1..4000000" },
		{ "drop_oow_rst = maybe\n", ":1: drop_oow_rst: 'maybe' is not yes or no" },
	};
	static struct sg_settings s;
	static struct sg_given g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = write_file("bad.conf", cases[i].text, 0600);
		char err[512], want[512];
		int r;

		sg_settings_defaults(&s, &sy);
		memset(&g, 0, sizeof(g));
		r = sg_settings_file(&s, &g, path, err, sizeof(err));
		if (!r)
			r = sg_settings_check(&s, &g, err, sizeof(err)) ? -EINVAL : 0;
		snprintf(want, sizeof(want), "%s%s", path, cases[i].want);
		if (!check(sg_exit_code(r) == SG_EXIT_USAGE && !strncmp(err, want, strlen(want)),
			   "config file error %zu: %s", i, cases[i].want))
			diag("got %d '%s'", r, r ? err : "");
	}
	{
		char err[512], line[300];
		const char *path;

		memset(line, 'a', sizeof(line));
		memcpy(line, "mode = ", 7);
		line[sizeof(line) - 2] = '\n';
		line[sizeof(line) - 1] = 0;
		path = write_file("long.conf", line, 0600);
		sg_settings_defaults(&s, &sy);
		memset(&g, 0, sizeof(g));
		check(sg_exit_code(sg_settings_file(&s, &g, path, err, sizeof(err))) ==
				      SG_EXIT_USAGE &&
			      strstr(err, ":1: line longer than"),
		      "config file: an overlong line is refused");
		check(sg_exit_code(sg_settings_file(&s, &g, "/nonexistent/sg.conf", err,
						    sizeof(err))) == SG_EXIT_FAIL &&
			      strstr(err, "No such file"),
		      "config file: a missing file is a runtime error");
	}
}

/* A list setting: a key given again adds to it; the value is sorted and
 * free of duplicates, an address alone is a host. */
static void test_lists(void)
{
	static struct sg_settings s;
	static struct sg_given g;
	char err[512], val[256];
	const char *path =
		write_file("lists.conf",
			   "[allow]\nprefixes = 198.18.7.0/24, 2001:db8::/32\n"
			   "prefixes = 198.18.0.0/15 ; more\nprefixes = 198.18.7.0/24 198.18.9.9\n",
			   0600);

	sg_settings_defaults(&s, &sy);
	memset(&g, 0, sizeof(g));
	if (!check(!sg_settings_file(&s, &g, path, err, sizeof(err)),
		   "lists: a key given again in the file adds to the list"))
		diag("%s", err);
	sg_setting_format(sg_setting_find("allow.prefixes"), &s, val, sizeof(val));
	check(s.allow.n == 4 &&
		      !strcmp(val, "198.18.0.0/15, 198.18.7.0/24, 198.18.9.9/32, 2001:db8::/32"),
	      "lists: sorted, one of each, a host is /32 (%s)", val);
}

/* defaults <- file <- flags; ; comments; `default` restores */
static void test_precedence(void)
{
	static struct sg_settings s, cur, merged;
	static struct sg_given g;
	char *kv[] = { "auto.hold=9", "mode=on" };
	const char *path =
		write_file("prec.conf",
			   "mode = off ; inline comment\n[auto]\nhold = 7\nsyn_rate_high = 5000\n"
			   "[timeout]\nsyn_rcvd = 5\n",
			   0600);
	char err[512];
	int r = sg_settings_compose(&s, &g, &sy, path, NULL, kv, 2, err, sizeof(err));

	if (!check(!r, "compose: file and flags together"))
		diag("%s", err);
	check(s.d.hold_s == 9 &&
		      g.line[sg_setting_find("auto.hold") - sg_settings_table] == SG_FROM_FLAG,
	      "compose: a flag wins over the file (auto.hold 9, from the command line)");
	check(s.cfg.mode == SG_MODE_ON, "compose: --mode on wins over mode = off in the file");
	check(s.d.syn_rate_high == 5000 &&
		      g.line[sg_setting_find("auto.syn_rate_high") - sg_settings_table] == 4,
	      "compose: the file's value and line for what flags leave alone");
	check(s.cfg.timeout_s[SG_SYN_RCVD] == 5, "compose: [timeout] syn_rcvd = 5 (any case)");
	check(s.d.syn_rate_low == 2000 &&
		      !g.line[sg_setting_find("auto.syn_rate_low") - sg_settings_table],
	      "compose: the rest keeps its default");

	/* a restart: what the pins hold stays unless the file or flags name it */
	sg_settings_defaults(&cur, &sy);
	cur.d.syn_rate_low = 1234;
	cur.d.hold_s = 1;
	merged = cur;
	sg_settings_merge(&merged, &s, &g);
	check(merged.d.syn_rate_low == 1234 && merged.d.hold_s == 9 &&
		      merged.d.syn_rate_high == 5000,
	      "merge: named settings replace the pinned ones, the others stay");
	check(!sg_settings_kv(&merged, NULL, 0, "auto.syn_rate_low=default", err, sizeof(err)) &&
		      merged.d.syn_rate_low == 2000,
	      "kv: the value default restores the default");
	check(sg_settings_kv(&merged, NULL, 0, "nokey", err, sizeof(err)) &&
		      strstr(err, "is not KEY=VALUE"),
	      "kv: a word without = is refused");
}

/* sg_config_set: mode switches the cookie fields as synguardd expects */
static void test_mode(void)
{
	struct sg_config c = {};
	__u64 before = sg_now_ns();

	check(!sg_config_set(&c, "mode=on", 60 * SG_NS) && c.cookie_active && c.mode == SG_MODE_ON,
	      "mode=on: cookies active");
	check(!sg_config_set(&c, "mode=off", 60 * SG_NS) && !c.cookie_active &&
		      c.cookie_check_until_ns >= before + 120 * SG_NS,
	      "mode=off after on: cookies checked two more periods");
	c.cookie_active = 1;
	check(!sg_config_set(&c, "mode=auto", 60 * SG_NS) && c.cookie_active &&
		      c.mode == SG_MODE_AUTO,
	      "mode=auto: cookie state left to the daemon");
	check(sg_config_set(&c, "auto.hold=3", 60 * SG_NS) == -EINVAL,
	      "sg_config_set refuses a setting outside struct sg_config");
}

static void test_metrics_addr(void)
{
	static const struct {
		const char *s;
		int want;
	} cases[] = {
		{ "off", 1 },
		{ "127.0.0.1:9810", 0 },
		{ "0.0.0.0:1", 0 },
		{ "[::1]:9810", 0 },
		{ "[::]:80", 0 },
		{ "127.0.0.1", -EINVAL },
		{ "127.0.0.1:0", -EINVAL },
		{ "127.0.0.1:65536", -EINVAL },
		{ "::1:9810", -EINVAL },
		{ "[::1]9810", -EINVAL },
		{ "localhost:9810", -EINVAL },
		{ ":9810", -EINVAL },
		{ "1.2.3.4:80x", -EINVAL },
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		char err[200];
		int r = sg_metrics_addr(cases[i].s, &ss, &len, err, sizeof(err));

		if (r != cases[i].want) {
			diag("metrics '%s': got %d want %d", cases[i].s, r, cases[i].want);
			bad++;
		}
	}
	check(!bad, "metrics address: ADDR:PORT, [ADDR6]:PORT, off; nothing else");
}

/* ---- secrets -------------------------------------------------------------------------------- */
static void test_siphash(void)
{
	struct sg_secret k = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	__u64 m = 0x0706050403020100ull;

	/* the reference implementation's vector for the 9-byte message 00..08 */
	check(sg_siphash(&k, &m, 1, 0x08) == 0x9e0082df0ba9e4b0ull,
	      "siphash: SipHash-2-4 reference vector (key 00..0f, message 00..08)");
}

static void test_key_file(void)
{
	static const struct {
		const char *name, *text;
		mode_t mode;
		const char *want; /* NULL: accepted */
	} cases[] = {
		{ "ok", "000102030405060708090a0b0c0d0e0f\n", 0600, NULL },
		{ "ok-nonl", "000102030405060708090A0B0C0D0E0F", 0400, NULL },
		{ "open", "000102030405060708090a0b0c0d0e0f\n", 0644,
		  "open to group or others (mode 0644): chmod 600" },
		{ "short", "0001020304\n", 0600, "must hold exactly 32 hex digits" },
		{ "long", "000102030405060708090a0b0c0d0e0f00\n", 0600,
		  "must hold exactly 32 hex digits" },
		{ "nothex", "000102030405060708090a0b0c0d0e0g\n", 0600,
		  "character 32 is not a hex digit" },
		{ "zero", "00000000000000000000000000000000\n", 0600, "all-zero key" },
	};
	struct sg_secret k;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = write_file(cases[i].name, cases[i].text, cases[i].mode);
		int r = sg_secret_file_load(path, &k, err, sizeof(err));

		if (!cases[i].want)
			check(!r && k.k0 == 0x0706050403020100ull && k.k1 == 0x0f0e0d0c0b0a0908ull,
			      "key file %s: accepted, little-endian words as SipHash keys",
			      cases[i].name);
		else if (!check(r && strstr(err, cases[i].want), "key file %s: refused (%s)",
				cases[i].name, cases[i].want))
			diag("got %d '%s'", r, r ? err : "");
	}
	check(sg_secret_file_load(tmpdir, &k, err, sizeof(err)) &&
		      strstr(err, "not a regular file"),
	      "key file: a directory is refused");
}

/* Two hosts share a master key; their clocks differ by skew. Host A makes
 * a cookie at true time t (its current secret); host B checks it at
 * t + rtt with both of its slots. Each host's slots evolve only through
 * sg_secrets_derived with its own clock, once per step, as the daemon's
 * loop does. Returns how many cookies B refused. */
static int simulate(double skew_s, double rtt_s, __u64 period_s)
{
	struct sg_secret master = { 0x1234, 0xabcdef };
	struct sg_secret_state a = {}, b = {};
	const double step = 0.1;
	const __u64 P = period_s * SG_NS;
	__u64 base = 1700000000ull * SG_NS, no;
	int refused = 0;

	for (int i = 0; i < (int)(6 * period_s / step); i++) {
		double t = i * step;
		__u64 ta = base + (__u64)(t * 1e9);
		__u64 tb = base + (__u64)((t + rtt_s + skew_s + 100) * 1e9) - 100 * SG_NS;
		const struct sg_secret *ck;

		sg_secrets_derived(&a, &master, P, ta, ta, i == 0, &no);
		sg_secrets_derived(&b, &master, P, tb, tb, i == 0, &no);
		ck = &a.slot[a.cur & 1];
		if (memcmp(ck, &b.slot[0], sizeof(*ck)) && memcmp(ck, &b.slot[1], sizeof(*ck)))
			refused++;
	}
	return refused;
}

static void test_schedule(void)
{
	static const double ok_skews[] = { 0, 0.5, -0.5, 5, -5, 14.5, -14.5 };
	struct sg_secret master = { 1, 2 }, k0, k1;
	struct sg_secret_state s = {};
	__u64 P = 60 * SG_NS, t = 1700000000ull * SG_NS / P * P, no;
	int bad = 0;

	sg_secret_derive(&master, 7, &k0);
	sg_secret_derive(&master, 7, &k1);
	check(!memcmp(&k0, &k1, sizeof(k0)) && (k0.k0 || k0.k1),
	      "derive: the same key and period give the same secret");
	sg_secret_derive(&master, 8, &k1);
	check(memcmp(&k0, &k1, sizeof(k0)), "derive: the next period gives another secret");

	/* one host: flips at the boundary, the next one preloaded at 3/4 */
	sg_secrets_derived(&s, &master, P, t + 1 * SG_NS, 1, true, &no);
	sg_secret_derive(&master, no, &k0);
	sg_secret_derive(&master, no - 1, &k1);
	check(!memcmp(&s.slot[s.cur & 1], &k0, sizeof(k0)) &&
		      !memcmp(&s.slot[(s.cur ^ 1) & 1], &k1, sizeof(k1)),
	      "schedule: fresh start holds K(n) and K(n-1)");
	check(sg_secrets_derived(&s, &master, P, t + 44 * SG_NS, 2, false, &no) == 0,
	      "schedule: nothing to do within the first three quarters");
	check(sg_secrets_derived(&s, &master, P, t + 45 * SG_NS, 3, false, &no) == SG_SECRET_NEXT,
	      "schedule: the next period's secret is accepted from 3/4 on");
	check(sg_secrets_derived(&s, &master, P, t + 60 * SG_NS, 4, false, &no) ==
			      SG_SECRET_ROTATED &&
		      !memcmp(&s.slot[(s.cur ^ 1) & 1], &k0, sizeof(k0)) && s.rotated_ns == 4,
	      "schedule: at the boundary K(n+1) is current and K(n) still accepted");
	check(sg_secrets_derived_due(P, t + 10 * SG_NS) == 35 * SG_NS &&
		      sg_secrets_derived_due(P, t + 50 * SG_NS) == 10 * SG_NS,
	      "schedule: due at 3/4 of the period, then at its end");

	for (size_t i = 0; i < sizeof(ok_skews) / sizeof(ok_skews[0]); i++) {
		int r = simulate(ok_skews[i], 0.3, 60);

		if (r) {
			diag("skew %+.1fs: %d cookies refused", ok_skews[i], r);
			bad++;
		}
	}
	check(!bad,
	      "two hosts, 6 periods of 60 s, a cookie every 0.1 s, RTT 0.3 s: none refused with clocks up to 14.5 s apart either way");
	/* the checking host behind the issuer by more than P/4 misses the
	 * first seconds of each of the issuer's periods; ahead, it keeps the
	 * issuer's current secret as its previous for 3/4 of a period: traffic
	 * both ways makes P/4 the bound */
	check(simulate(-20, 0.3, 60) > 0,
	      "checking host 20 s behind (beyond P/4 = 15 s): some cookies refused (the bound is real)");
	check(simulate(40, 0.3, 60) == 0,
	      "checking host 40 s ahead: none refused (it still holds the issuer's secret as previous)");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		check(false, "settings: mkdtemp");
		return 1;
	}
	sg_quiet_libs(false);
	sg_read_sysctls(&sy);
	test_table();
	test_sample();
	test_file_errors();
	test_lists();
	test_precedence();
	test_mode();
	test_metrics_addr();
	test_siphash();
	test_key_file();
	test_schedule();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd))
			diag("cannot remove %s", tmpdir);
	}
	return tap_failed ? 1 : 0;
}
