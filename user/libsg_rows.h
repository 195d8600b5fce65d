/* SPDX-License-Identifier: GPL-2.0 */
/* conns rows, JSON and text, written straight into a buffer. */
#ifndef LIBSG_ROWS_H
#define LIBSG_ROWS_H

#include <stdio.h>
#include "libsg_maps.h"

/* A buffered writer over a stdio stream: one fwrite per 64 KB. */
struct sg_rows {
	FILE *f;
	size_t n;
	char buf[1 << 16];
};

void sg_rows_init(struct sg_rows *w, FILE *f);
void sg_rows_flush(struct sg_rows *w);
void sg_rows_str(struct sg_rows *w, const char *s);
/* One connection as the JSON object conns --json prints (json-c's
 * spaced style, the same fields), or as a line of conns' table. */
void sg_rows_conn_json(struct sg_rows *w, const struct sg_conn *c, __u64 now);
void sg_rows_conn_text(struct sg_rows *w, const struct sg_conn *c, __u64 now);

#endif /* LIBSG_ROWS_H */
