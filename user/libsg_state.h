/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_state.c: what synguard set and allow/deny add|del|flush change at
 * run time, kept in SG_STATE_DIR/IFACE.state so that it outlives the
 * daemon: synguardd applies it over the config file (and under its own
 * command-line flags) when it starts and when it reloads. The file is in
 * the config file's syntax, one "KEY = VALUE" a line. */
#ifndef LIBSG_STATE_H
#define LIBSG_STATE_H

#include "libsg_settings.h"

#define SG_STATE_DIR "/var/lib/synguard"

#define SG_NETNS_DIR "/run/netns"

/* SG_STATE_DIR/IFACE.state in init's network namespace, and
 * SG_STATE_DIR/netns/NAME/IFACE.state in one that ip netns named NAME: 0,
 * or -ENOENT with the reason in err (an unnamed namespace has none). */
int sg_state_path(char *buf, size_t n, const char *iface, char *err, size_t errn);
/* The state file of iface, if there is one, over s; the settings it gives
 * are marked given in g (a reload then applies them). 0, or -EINVAL or
 * -errno with "FILE:LINE: reason" in err; -EPERM for a file that is not
 * regular or that a user other than root (or us) could have written. */
int sg_state_load(struct sg_settings *s, struct sg_given *g, const char *iface, char *err,
		  size_t n);
/* iface's state file: the settings it held and those of keys[0..nkeys)
 * with their values in s, but none of forget[0..nforget) (set KEY=default:
 * the config file decides again). 0, or -errno with the reason in err. */
int sg_state_save(const char *iface, const struct sg_settings *s,
		  const struct sg_setting *const *keys, int nkeys,
		  const struct sg_setting *const *forget, int nforget, char *err, size_t n);

/* defaults(sy) <- the config file (if any) <- iface's state file (none
 * when iface is NULL) <- the KEY=VALUE overrides of the command line, then
 * sg_settings_check: 0, or -EINVAL (or the file's -errno) with one line
 * in err. */
int sg_settings_compose(struct sg_settings *s, struct sg_given *g, const struct sg_sysctls *sy,
			const char *file, const char *iface, char *const *kv, int nkv, char *err,
			size_t n);

#endif /* LIBSG_STATE_H */
