/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_daemon: synguardd's life. It owns starting the daemon (lock,
 * settings, load, secrets, metrics, attach), its once-a-second sample (auto
 * mode, TIME_WAIT pressure, the sweep, following listeners), the secret
 * schedule, reload on SIGHUP, and the stop. */
#ifndef LIBSG_DAEMON_H
#define LIBSG_DAEMON_H

#include "libsg_load.h"

struct sg_daemon;
/* pidfile lock, settings, load, pin, secrets, metrics, attach; NULL after
 * one error line. s/g: the settings composed from file and flags. */
struct sg_daemon *sg_daemon_start(const struct sg_daemon_opts *o, const struct sg_settings *s,
				  const struct sg_given *g, int *exit_code);
/* Once a second: sample, auto mode, TIME_WAIT pressure, sweep; and the
 * secret schedule whenever due. Returns ms until it wants to run again. */
int sg_daemon_run(struct sg_daemon *d);
/* SIGHUP: re-read the file; an invalid one changes nothing. 0, or -errno
 * (-EINVAL: the file, the flags or the key file are wrong) after one line. */
int sg_daemon_reload(struct sg_daemon *d);
/* The metrics endpoint's fd to poll (-1: none); sg_daemon_serve when ready. */
int sg_daemon_poll_fd(struct sg_daemon *d);
void sg_daemon_serve(struct sg_daemon *d);
/* Detach and unpin (unless keep_attached), free. */
void sg_daemon_stop(struct sg_daemon *d);

/* The sample's look at the TCP listeners: ports=all follows them; listed
 * ports without one are published and logged. */
void sg_listen_sample(struct sg_daemon *d);

#endif /* LIBSG_DAEMON_H */
