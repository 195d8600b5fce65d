/* SPDX-License-Identifier: GPL-2.0 */
/* The test runner's line protocol: "ok - NAME", "not ok - NAME",
 * "skip - NAME (reason)"; "# ..." lines are comments. */
#ifndef SG_TEST_TAP_H
#define SG_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_failed;

__attribute__((format(printf, 2, 3))) static inline bool check(bool cond, const char *fmt, ...)
{
	va_list ap;

	fputs(cond ? "ok - " : "not ok - ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	tap_failed += !cond;
	return cond;
}

__attribute__((format(printf, 1, 2))) static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#endif /* SG_TEST_TAP_H */
