// SPDX-License-Identifier: GPL-2.0
/* Prints every counter's Prometheus series and help (sg_metrics_catalog),
 * for tools/metrics-doc.py: the docs are made from what the daemon exports. */
#include <stdio.h>
#include "libsynguard.h"

int main(void)
{
	sg_metrics_catalog(stdout);
	return fflush(stdout) ? 1 : 0;
}
