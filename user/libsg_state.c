// SPDX-License-Identifier: GPL-2.0
/* Run-time changes that survive the daemon: SG_STATE_DIR/IFACE.state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "libsg_state.h"

void sg_state_path(char *buf, size_t n, const char *iface)
{
	snprintf(buf, n, "%s/%s.state", SG_STATE_DIR, iface);
}

int sg_state_load(struct sg_settings *s, struct sg_given *g, const char *iface,
		  char *err, size_t n)
{
	static struct sg_settings st;
	static struct sg_given sg;
	static char path[PATH_MAX];
	int r;

	sg_state_path(path, sizeof(path), iface);
	if (access(path, F_OK) && errno == ENOENT)
		return 0;
	/* parsed over a copy with nothing given, so that a list in the state
	 * file replaces the config file's instead of adding to it */
	st = *s;
	memset(&sg, 0, sizeof(sg));
	r = sg_settings_file(&st, &sg, path, err, n);
	if (r)
		return r;
	sg_settings_merge(s, &st, &sg);
	for (unsigned int i = 0; i < sg_settings_count; i++)
		if (sg.line[i])
			g->line[i] = sg.line[i];
	return 0;
}

/* One setting as config file lines; a list one prefix a line (a list
 * given again adds to it), so that no list is cut to fit a line. */
static void sg_state_write_key(FILE *f, const struct sg_setting *st,
			       const struct sg_settings *s)
{
	char buf[512];

	if (st->type == &sg_t_prefixes) {
		const struct sg_plist *l = (const void *)((const char *)s + st->off);

		fprintf(f, "%s = none\n", st->key);
		for (__u32 i = 0; i < l->n; i++) {
			sg_prefix_format(&l->p[i], buf, sizeof(buf));
			fprintf(f, "%s = %s\n", st->key, buf);
		}
		return;
	}
	sg_setting_format(st, s, buf, sizeof(buf));
	fprintf(f, "%s = %s\n", st->key, buf);
}

int sg_state_save(const char *iface, const struct sg_settings *s,
		  const struct sg_setting *const *keys, int nkeys,
		  const struct sg_setting *const *forget, int nforget, char *err, size_t n)
{
	static struct sg_settings old;
	static struct sg_given g;
	char path[PATH_MAX], tmp[PATH_MAX + 8], why[400];
	FILE *f;
	int ret;

	memset(&g, 0, sizeof(g));
	old = *s;
	ret = sg_state_load(&old, &g, iface, why, sizeof(why));
	if (ret) {
		snprintf(err, n, "%s", why);
		return ret;
	}
	for (int i = 0; i < nkeys; i++)
		g.line[keys[i] - sg_settings_table] = 1;
	for (int i = 0; i < nforget; i++)
		g.line[forget[i] - sg_settings_table] = 0;
	sg_state_path(path, sizeof(path), iface);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (mkdir(SG_STATE_DIR, 0755) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, n, "cannot make %s: %s", SG_STATE_DIR, strerror(-ret));
		return ret;
	}
	f = fopen(tmp, "we");
	if (!f) {
		ret = -errno;
		snprintf(err, n, "cannot write %s: %s", tmp, strerror(-ret));
		return ret;
	}
	fprintf(f, "# Written by synguard set / allow / deny: applied over the config file\n"
		"# when synguardd starts or reloads. Remove a line to let the config decide.\n");
	sg_settings_for_each(st)
		if (g.line[st - sg_settings_table])
			sg_state_write_key(f, st, s);
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, path)) {
		ret = errno ? -errno : -EIO;
		snprintf(err, n, "cannot write %s: %s", path, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	return 0;
}

int sg_settings_compose(struct sg_settings *s, struct sg_given *g,
			const struct sg_sysctls *sy, const char *file, const char *iface,
			char *const *kv, int nkv, char *err, size_t n)
{
	int r;

	sg_settings_defaults(s, sy);
	memset(g, 0, sizeof(*g));
	if (file && (r = sg_settings_file(s, g, file, err, n)))
		return r;
	/* what synguard set / allow / deny saved, over the file, under flags */
	if (iface && (r = sg_state_load(s, g, iface, err, n)))
		return r;
	for (int i = 0; i < nkv; i++)
		if (sg_settings_kv(s, g, SG_FROM_FLAG, kv[i], err, n))
			return -EINVAL;
	return sg_settings_check(s, g, err, n) ? -EINVAL : 0;
}
