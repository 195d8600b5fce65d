/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_tune: `synguard tune`, sysctl advice from what is observed. */
#ifndef LIBSG_TUNE_H
#define LIBSG_TUNE_H

#include "libsg_maps.h"

/* tune: advice from secs seconds of observation (libsg_tune.c); v may be
 * NULL (no synguard here: the kernel's counters alone) */
struct sg_tune_cmd {
	unsigned int secs; /* how long to observe                     */
	bool apply;        /* write the advised values                */
	bool persist;      /* ...and keep them in SG_TUNE_PERSIST_FILE */
	bool json;
};
int sg_cmd_tune(struct sg_view *v, const struct sg_tune_cmd *tc);
/* --persist's file (the environment's SYNGUARD_SYSCTL_CONF instead, when
 * set: tests write theirs elsewhere). */
#define SG_TUNE_PERSIST_FILE "/etc/sysctl.d/90-synguard.conf"

/* TcpExtTCPTimeWaitOverflow of this network namespace (0 if unreadable). */
__u64 sg_tw_overflows(void);

#endif /* LIBSG_TUNE_H */
