/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_events: `synguard events`, the data path's sampled decisions
 * as they happen. */
#ifndef LIBSG_EVENTS_H
#define LIBSG_EVENTS_H

#include "libsg_maps.h"

/* events: until SIGINT/SIGTERM or a closed pipe (libsg_events.c) */
/* events: until SIGINT/SIGTERM or a closed pipe, those f selects */
struct sg_filter;
int sg_cmd_events(struct sg_view *v, const struct sg_filter *f, bool json);

#endif /* LIBSG_EVENTS_H */
