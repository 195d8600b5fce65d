/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_format: status, stats and conns for humans (tables) and for
 * programs (JSON through json-c). */
#ifndef LIBSG_FORMAT_H
#define LIBSG_FORMAT_H

#include <json-c/json.h>
#include "libsg_maps.h"

struct sg_filter;
int sg_cmd_status(struct sg_view *v, bool json);
/* stats: the gauges and the non-zero counters; all: every counter */
int sg_cmd_stats(struct sg_view *v, bool json, bool all);
/* stats -w: every secs seconds until SIGINT/SIGTERM, rates per second;
 * redrawn in place on a terminal, one line (or JSON object) each else. */
int sg_cmd_stats_watch(struct sg_view *v, unsigned int secs, bool json);
/* conns: the tracked connections f selects (libsg_filter.h) */
int sg_cmd_conns(struct sg_view *v, const struct sg_filter *f, bool json);

#endif /* LIBSG_FORMAT_H */
