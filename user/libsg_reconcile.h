/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_reconcile: the tracker's entries checked against the sockets the
 * kernel holds (inet_diag, as ss lists them), for the gauges' accuracy. */
#ifndef LIBSG_RECONCILE_H
#define LIBSG_RECONCILE_H

#include <linux/types.h>

/* Removes from tracker table fd the entries in state (SG_SYN_RCVD: those
 * the kernel confirmed; SG_TIME_WAIT) whose socket the kernel no longer
 * holds, counting them in *gone: 0 or -errno, quietly. */
int sg_ct_reconcile(int fd, __u8 state, __u64 *gone);

#endif /* LIBSG_RECONCILE_H */
