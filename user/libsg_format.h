/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_format: status, stats and conns for humans (tables) and for
 * programs (JSON through json-c). */
#ifndef LIBSG_FORMAT_H
#define LIBSG_FORMAT_H

#include <json-c/json.h>
#include "libsg_maps.h"

int sg_cmd_status(struct sg_view *v, bool json);
int sg_cmd_stats(struct sg_view *v, bool json);
/* stats -w: every secs seconds until SIGINT/SIGTERM, rates per second;
 * redrawn in place on a terminal, one line (or JSON object) each else. */
int sg_cmd_stats_watch(struct sg_view *v, unsigned int secs, bool json);
int sg_cmd_conns(struct sg_view *v, int state, bool json);

#endif /* LIBSG_FORMAT_H */
