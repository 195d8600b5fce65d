// SPDX-License-Identifier: GPL-2.0
/* Lab helper: XDP_TX on a veth is only delivered when the peer end runs an
 * XDP program too; this one passes everything. */
#include "common.h"

SEC("xdp.frags") /* any MTU: the lab runs jumbo frames too */
int sg_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
