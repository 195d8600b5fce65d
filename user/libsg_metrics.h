/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_metrics: the Prometheus text exposition of an interface's pins,
 * and the HTTP endpoint (libmicrohttpd) that serves it. */
#ifndef LIBSG_METRICS_H
#define LIBSG_METRICS_H

#include <sys/socket.h>
#include "libsg_maps.h"

struct sg_metrics;
/* Listens on addr (not "off"); NULL with err. */
struct sg_metrics *sg_metrics_start(const char *addr, const struct sg_pins *p,
				    const struct sg_walk_args *sample, char *err, size_t n);
int sg_metrics_fd(const struct sg_metrics *m);
void sg_metrics_serve(struct sg_metrics *m);
void sg_metrics_stop(struct sg_metrics *m);
/* Prometheus text exposition of the pins (sample: the daemon's last walk).
 * malloc'd, NULL on error. */
char *sg_metrics_text(const struct sg_pins *p, const struct sg_walk_args *sample, size_t *len);

/* Every counter's series, one line each: "METRIC\tLABEL=\"VALUE\"\tCOUNTER\tHELP"
 * (the label and counter empty where there is none): the generated
 * metrics docs (tools/metrics-doc.py) are made from it. */
void sg_metrics_catalog(FILE *f);

#endif /* LIBSG_METRICS_H */
