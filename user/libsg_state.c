// SPDX-License-Identifier: GPL-2.0
/* Run-time changes that survive the daemon: SG_STATE_DIR/IFACE.state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <net/if.h>
#include <sys/stat.h>
#include "libsg_state.h"

/* Interface names repeat across network namespaces (every pod has its
 * eth0), so a namespace named in /run/netns (ip netns add) has a directory
 * of its own, by that name: an inode would not survive a reboot. An
 * unnamed namespace other than init's has no state file (-ENOENT, the
 * reason in err); where init's cannot be told (/proc/1 hidden), the
 * namespace is taken for the host's. */
static int sg_state_dir(char *buf, size_t n, char *err, size_t errn)
{
	struct stat self, init, named;
	struct dirent *de;
	DIR *d;

	if (stat("/proc/self/ns/net", &self)) {
		snprintf(buf, n, "%s", SG_STATE_DIR);
		return 0;
	}
	d = opendir(SG_NETNS_DIR);
	while (d && (de = readdir(d))) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", SG_NETNS_DIR, de->d_name);
		if (!stat(path, &named) && named.st_ino == self.st_ino &&
		    named.st_dev == self.st_dev) {
			snprintf(buf, n, "%s/netns/%s", SG_STATE_DIR, de->d_name);
			closedir(d);
			return 0;
		}
	}
	if (d)
		closedir(d);
	if (!stat("/proc/1/ns/net", &init) &&
	    (init.st_ino != self.st_ino || init.st_dev != self.st_dev)) {
		snprintf(err, errn,
			 "this network namespace has no name in %s (ip netns "
			 "add), so no state file of its own",
			 SG_NETNS_DIR);
		return -ENOENT;
	}
	snprintf(buf, n, "%s", SG_STATE_DIR);
	return 0;
}

int sg_state_path(char *buf, size_t n, const char *iface, char *err, size_t errn)
{
	char dir[PATH_MAX - IF_NAMESIZE - 8]; /* room for "/IFACE.state" */
	int r = sg_state_dir(dir, sizeof(dir), err, errn);

	if (!r)
		snprintf(buf, n, "%s/%s.state", dir, iface);
	return r;
}

/* The state file is applied by a privileged daemon (the deny list with
 * it): one that another user could have written is refused, not applied.
 * 0, or -EPERM with the reason in err. */
static int sg_state_trusted(const char *path, const struct stat *st, char *err, size_t n)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, n, "%s: not a regular file (a symlink?): refusing it; remove it",
			 path);
		return -EPERM;
	}
	if ((st->st_uid && st->st_uid != geteuid()) || (st->st_mode & 022)) {
		snprintf(err, n,
			 "%s: owned by uid %u, mode %03o: another user could have "
			 "written it; refusing it (chown root and chmod 644 it, or remove it)",
			 path, st->st_uid, st->st_mode & 0777);
		return -EPERM;
	}
	return 0;
}

int sg_state_load(struct sg_settings *s, struct sg_given *g, const char *iface, char *err, size_t n)
{
	struct stat lst;
	static struct sg_settings st;
	static struct sg_given sg;
	static char path[PATH_MAX];
	int r;

	/* an unnamed namespace has no state file: nothing to apply */
	if (sg_state_path(path, sizeof(path), iface, err, n))
		return 0;
	if (lstat(path, &lst)) {
		r = -errno;
		if (r == -ENOENT)
			return 0;
		snprintf(err, n, "%s: %s", path, strerror(-r));
		return r;
	}
	r = sg_state_trusted(path, &lst, err, n);
	if (r)
		return r;
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

/* The directories of path (SG_STATE_DIR, and netns/NAME for a named
 * namespace's), made 0755 where missing: 0, or a negative errno with the
 * reason in err. */
static int sg_state_mkdir(const char *path, char *err, size_t n)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + strlen(SG_STATE_DIR); (p = strchr(p, '/')); *p++ = '/') {
		*p = 0;
		if (mkdir(dir, 0755) && errno != EEXIST) {
			int ret = -errno;

			snprintf(err, n, "cannot make %s: %s", dir, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* One setting as config file lines; a list one prefix a line (a list
 * given again adds to it), so that no list is cut to fit a line. */
static void sg_state_write_key(FILE *f, const struct sg_setting *st, const struct sg_settings *s)
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
	ret = sg_state_path(path, sizeof(path), iface, err, n);
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	ret = sg_state_mkdir(path, err, n);
	if (ret)
		return ret;
	f = sg_file_create_new(tmp);
	if (!f) {
		ret = -errno;
		snprintf(err, n, "cannot write %s: %s", tmp, strerror(-ret));
		return ret;
	}
	fprintf(f, "# Written by synguard set / allow / deny: applied over the config file\n"
		   "# when synguardd starts or reloads. Remove a line to let the config decide.\n");
	sg_settings_for_each(st) if (g.line[st - sg_settings_table]) sg_state_write_key(f, st, s);
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, path)) {
		ret = errno ? -errno : -EIO;
		snprintf(err, n, "cannot write %s: %s", path, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	return 0;
}

int sg_settings_compose(struct sg_settings *s, struct sg_given *g, const struct sg_sysctls *sy,
			const char *file, const char *iface, char *const *kv, int nkv, char *err,
			size_t n)
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
