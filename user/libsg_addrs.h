/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_addrs: the host's own addresses, kept in the sg_local_addrs map
 * so the data path answers only for flows that end on this host. */
#ifndef LIBSG_ADDRS_H
#define LIBSG_ADDRS_H

#include "libsg_maps.h"

/* sg_local_addrs becomes this network namespace's addresses and IPv4
 * broadcasts, and sg_config.local_addrs says the data path may rely on
 * it. Returns how many entries changed, or a negative errno (then the map is kept as
 * it is); logs once when the addresses cannot be read, or can again
 * (*last_err: the previous call's 0 or -errno). */
int sg_local_addrs_sync(const struct sg_pins *p, int *last_err);

#endif /* LIBSG_ADDRS_H */
