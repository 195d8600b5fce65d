/* SPDX-License-Identifier: GPL-2.0 */
/* The reference model (model.c: bpf/synguard.bpf.c built natively), as the
 * fuzz harness calls it: plain types only, no kernel headers. A map is named
 * as in the BPF object and handled by an opaque pointer. */
#ifndef SG_FUZZ_SG_MODEL_H
#define SG_FUZZ_SG_MODEL_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* What bpf_ktime_get_ns() and bpf_ktime_get_coarse_ns() return. */
void sg_model_set_time(__u64 ns, __u64 coarse_ns);
/* The frame through sg_xdp; out gets metadata + frame as the test runner
 * returns them. Returns the XDP action. */
int sg_model_xdp(const __u8 *in, __u32 len, __u8 *out, __u32 *out_len, __u32 *meta_len);
/* The frame through sg_tc_egress; returns the TC action. */
int sg_model_tc_egress(const __u8 *in, __u32 len, __u8 *out, __u32 *out_len);
int sg_model_walk(void *args);

/* A map by name; *max, if not 0, sizes it first (as the loader did). */
void *sg_model_map(const char *name, __u32 *ksize, __u32 *vsize, __u32 *max);
void *sg_model_lookup(void *map, const void *key);
int sg_model_update(void *map, const void *key, const void *value);
void sg_model_each(void *map, void (*fn)(const void *key, const void *value, void *arg), void *arg);
void sg_model_clear(void *map);
/* The ring buffer's records since the last call (each copied into size
 * bytes of out, n at most); how many. */
int sg_model_events(void *out, __u32 size, int n);

#endif /* SG_FUZZ_SG_MODEL_H */
