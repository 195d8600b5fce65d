/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_settings: every setting synguard has. It owns the settings table
 * and what it drives: the config file, synguardd's flags, `synguard set`,
 * status and `help set`, the sample config, and reading and writing the
 * settings from and to the pinned maps (cookie mode included). */
#ifndef LIBSG_SETTINGS_H
#define LIBSG_SETTINGS_H

#include "libsg_config.h"
#include "libsg_maps.h"
#include "libsg_policy.h"

const char *sg_mode_name(unsigned int mode); /* the mode setting's names */
void sg_config_defaults(struct sg_config *c, const struct sg_sysctls *s);
/* Cookie mode follows mode: on/off set cookie_active; going off keeps
 * checking cookies for two secret periods. auto leaves it to synguardd. */
void sg_config_mode(struct sg_config *c, unsigned int mode, __u64 now_ns, __u64 period_ns);
/* Cookie mode on or off now (going off: the two-period check window). */
void sg_config_cookies(struct sg_config *c, bool on, __u64 now_ns, __u64 period_ns);
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
 * sg_daemon_settings for what userspace acts on) plus one line in the table. */

/* Every setting's value: one field each, wherever it is stored. */
struct sg_settings {
	struct sg_config cfg;        /* SG_STORE_CONFIG: the pinned sg_config map */
	struct sg_daemon_settings d; /* SG_STORE_DAEMON: the pinned sg_daemon map */
	struct sg_portset ports;     /* SG_STORE_PORTS: the pinned sg_ports map   */
	struct sg_plist allow;       /* SG_STORE_POLICY: the pinned sg_policy trie */
	struct sg_plist deny;
};

enum sg_store { SG_STORE_CONFIG, SG_STORE_DAEMON, SG_STORE_PORTS, SG_STORE_POLICY };

/* When a change takes effect: at once (`synguard set` may change it), when
 * synguardd starts or reloads (SIGHUP), or only when the tables are made. */
enum sg_when { SG_LIVE, SG_RELOAD, SG_START };

/* What status shows beside a setting: the daemon's last sample (NULL when
 * it does not run) and a walk of the tables made now. */
struct sg_live {
	const struct sg_daemon_status *st; /* NULL: no daemon, or stale      */
	const struct sg_walk_args *walk;   /* made now, with tw_ephemeral    */
	const struct sg_secret_state *secrets;
	struct sg_tw_limits tw;
	__u64 now_ns;
};

struct sg_setting;
struct sg_pins;
struct sg_stype {
	const char *name; /* for help: what a value looks like */
	/* text -> field; -EINVAL with one line in err */
	int (*parse)(const struct sg_setting *st, void *field, const char *val, char *err,
		     size_t n);
	void (*format)(const struct sg_setting *st, const void *field, char *buf, size_t n);
	bool numeric; /* metrics/JSON: a number (else a string) */
	/* lists: a key given again in the config file adds to the value */
	int (*append)(const struct sg_setting *st, void *field, const char *val, char *err,
		      size_t n);
};
extern const struct sg_stype sg_t_uint, sg_t_bool, sg_t_enum, sg_t_string, sg_t_ports, sg_t_rate,
	sg_t_prefixes;

struct sg_setting {
	const char *key;
	const struct sg_stype *type;
	enum sg_store store;
	enum sg_when when;
	unsigned int off, size;   /* the field in struct sg_settings     */
	unsigned long lo, hi;     /* integers: the range                 */
	const char *const *names; /* enums: names[value], NULL-terminated */
	const char *def;          /* the default, as written in the file */
	/* or, when the default follows the host's sysctls: */
	unsigned long (*compute)(const struct sg_sysctls *sy);
	const char *def_note; /* ...and how, for help and the sample */
	const char *unit;     /* "s", "SYN/s", "%" or NULL           */
	const char *help;     /* one line                            */
	/* optional: refuse a value the type accepts (one line in err) */
	int (*check)(const struct sg_settings *s, char *err, size_t n);
	/* optional: the measured value status shows beside it */
	void (*beside)(const struct sg_setting *st, const struct sg_live *l, char *buf, size_t n);
	/* optional, for what is not a field of a pinned struct (a map of its
	 * own) or has side effects: read it from / write it to the pins */
	int (*load)(const struct sg_pins *p, struct sg_settings *s);
	int (*apply)(const struct sg_pins *p, const struct sg_settings *old,
		     const struct sg_settings *new);
};

extern const struct sg_setting sg_settings_table[];
extern const unsigned int sg_settings_count;
#define SG_SETTINGS_MAX 128
#define sg_settings_for_each(st)                              \
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
 * value "default" restores the default. -EINVAL with one line in err (which
 * names the key, not the origin). */
int sg_settings_kv(struct sg_settings *s, struct sg_given *g, int origin, const char *kv, char *err,
		   size_t n);
/* The INI file: 0, -EINVAL with "FILE:LINE: reason" in err, or -errno
 * (cannot read it) with the reason in err. */
int sg_settings_file(struct sg_settings *s, struct sg_given *g, const char *path, char *err,
		     size_t n);
/* Rules between settings (low <= high); "FILE:LINE: " when from the file. */
int sg_settings_check(const struct sg_settings *s, const struct sg_given *g, char *err, size_t n);
/* dst takes every setting g marks as given from src. */
void sg_settings_merge(struct sg_settings *dst, const struct sg_settings *src,
		       const struct sg_given *g);
bool sg_setting_differs(const struct sg_setting *st, const struct sg_settings *a,
			const struct sg_settings *b);
void sg_setting_format(const struct sg_setting *st, const struct sg_settings *s, char *buf,
		       size_t n);
/* The setting as a number (uint, bool, enum index) for metrics. */
double sg_setting_number(const struct sg_setting *st, const struct sg_settings *s);
const char *sg_when_name(enum sg_when w);
/* One line of help: type, range/names, unit, default. */
void sg_setting_describe(const struct sg_setting *st, char *buf, size_t n);
/* The commented config file with every setting at its default. */
void sg_settings_sample(FILE *f);
/* Every setting from the pinned maps: 0, or -errno after one line. */
int sg_settings_read(const struct sg_pins *p, struct sg_settings *s);
/* Writes what differs between old and new into the pinned maps, field by
 * field (mode through sg_config_mode); ports with their counter slots
 * cleared where the port changes. 0, or -errno after one line (what was
 * written before it stays). */
int sg_settings_write(const struct sg_pins *p, const struct sg_settings *old,
		      const struct sg_settings *new);

/* The settings table's hooks of allow.prefixes and deny.prefixes. */
int sg_policy_load(const struct sg_pins *p, struct sg_settings *s);
int sg_policy_apply(const struct sg_pins *p, const struct sg_settings *old,
		    const struct sg_settings *new);
/* No prefix in both lists; -EINVAL with one line in err. */
int sg_policy_check(const struct sg_settings *s, char *err, size_t n);

#endif /* LIBSG_SETTINGS_H */
