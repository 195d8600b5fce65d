/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_tune: `synguard tune`, sysctl advice from what is observed. */
#ifndef LIBSG_TUNE_H
#define LIBSG_TUNE_H

#include "libsg_maps.h"

/* tune: advice from secs seconds of observation (libsg_tune.c); v may be
 * NULL (no synguard here: the kernel's counters alone) */
int sg_cmd_tune(struct sg_view *v, unsigned int secs, bool apply, bool json);

#endif /* LIBSG_TUNE_H */
