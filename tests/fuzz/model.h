/* SPDX-License-Identifier: GPL-2.0 */
/* The userspace build of the data path (SG_MODEL): the same sources,
 * compiled natively as the reference model that the differential fuzzer
 * (tests/fuzz) runs next to the kernel's verified, JITed copy. Only what
 * the BPF toolchain provides is replaced here: section and inlining
 * attributes, map definitions, and the helpers, which become plain
 * functions that tests/fuzz/model.c implements with the kernel's documented
 * semantics. The BPF object never includes this file.
 */
#ifndef SG_MODEL_H
#define SG_MODEL_H

/* The contexts the verifier rewrites: natively they hold real pointers. */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#define xdp_md sg_kernel_xdp_md
#define __sk_buff sg_kernel_sk_buff
#include "vmlinux.h"
#undef xdp_md
#undef __sk_buff

struct xdp_md {
	__u64 data;
	__u64 data_end;
	__u64 data_meta;
	__u64 hard_start; /* model only: where headroom begins          */
	__u64 hard_end;   /* model only: how far the tail may grow      */
	__u64 frags_len;  /* model only: bytes in further buffers       */
};

struct __sk_buff {
	__u64 data;
	__u64 data_end;
	__u64 data_meta;
	__u32 len;
	struct bpf_sock *sk;
};

#define SEC(name)
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))
#define __ksym
#define __kconfig
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#define NULL ((void *)0)
enum { LIBBPF_PIN_NONE, LIBBPF_PIN_BY_NAME };

/* Helpers are functions of model.c, renamed so that they never meet
 * libbpf's userspace functions of the same name in one program. */
#define bpf_map_lookup_elem sg_model_map_lookup_elem
#define bpf_map_update_elem sg_model_map_update_elem
#define bpf_map_delete_elem sg_model_map_delete_elem
#define bpf_for_each_map_elem sg_model_for_each_map_elem
#define bpf_loop sg_model_loop
#define bpf_ktime_get_ns sg_model_ktime_get_ns
#define bpf_ktime_get_coarse_ns sg_model_ktime_get_coarse_ns
#define bpf_jiffies64 sg_model_jiffies64
#define bpf_xdp_adjust_head sg_model_xdp_adjust_head
#define bpf_xdp_adjust_tail sg_model_xdp_adjust_tail
#define bpf_xdp_adjust_meta sg_model_xdp_adjust_meta
#define bpf_xdp_get_buff_len sg_model_xdp_get_buff_len
#define bpf_skc_lookup_tcp sg_model_skc_lookup_tcp
#define bpf_sk_release sg_model_sk_release
#define bpf_skc_to_tcp_sock sg_model_skc_to_tcp_sock
#define bpf_tcp_check_syncookie sg_model_tcp_check_syncookie
#define bpf_sk_assign_tcp_reqsk sg_model_sk_assign_tcp_reqsk
#define bpf_xdp_ct_lookup sg_model_xdp_ct_lookup
#define bpf_ct_release sg_model_ct_release
#define bpf_ringbuf_reserve sg_model_ringbuf_reserve
#define bpf_ringbuf_submit sg_model_ringbuf_submit

void *bpf_map_lookup_elem(void *map, const void *key);
long bpf_map_update_elem(void *map, const void *key, const void *value, __u64 flags);
long bpf_map_delete_elem(void *map, const void *key);
long bpf_for_each_map_elem(void *map, void *callback, void *ctx, __u64 flags);
long bpf_loop(__u32 n, void *callback, void *ctx, __u64 flags);
#define sg_map_max_entries(map) sg_model_max_entries(map)
__u32 sg_model_max_entries(const void *map);
__u64 bpf_ktime_get_ns(void);
__u64 bpf_ktime_get_coarse_ns(void);
__u64 bpf_jiffies64(void);
long bpf_xdp_adjust_head(struct xdp_md *ctx, int delta);
long bpf_xdp_adjust_tail(struct xdp_md *ctx, int delta);
long bpf_xdp_adjust_meta(struct xdp_md *ctx, int delta);
__u64 bpf_xdp_get_buff_len(struct xdp_md *ctx);
struct bpf_sock *bpf_skc_lookup_tcp(void *ctx, struct bpf_sock_tuple *tuple, __u32 size,
				    __u64 netns, __u64 flags);
long bpf_sk_release(void *sk);
struct tcp_sock *bpf_skc_to_tcp_sock(void *sk);
long bpf_tcp_check_syncookie(void *sk, void *iph, __u32 iph_len, struct tcphdr *th, __u32 th_len);
void *bpf_ringbuf_reserve(void *ringbuf, __u64 size, __u64 flags);
void bpf_ringbuf_submit(void *data, __u64 flags);

#endif /* SG_MODEL_H */
