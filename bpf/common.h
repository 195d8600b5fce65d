/* SPDX-License-Identifier: GPL-2.0 */
/* What every synguard BPF program includes: kernel types from the generated
 * vmlinux.h, libbpf helpers, and the structs shared with userspace. */
#ifndef SG_COMMON_H
#define SG_COMMON_H

#ifdef SG_MODEL
#include "model.h" /* the native build (tests/fuzz): the fuzzer's reference model */
#else
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#endif
#include <bpf/bpf_endian.h>
#include "synguard.h"

/* #defines that BTF cannot carry into vmlinux.h */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_ALEN 6
#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
/* tcx: hand the packet on to the next program of the chain (and then to
 * the legacy tc filters and the stack); TC_ACT_OK would end the chain, so
 * a CNI's program attached after ours would never see the packet. In a
 * clsact filter (the fallback) it is TC_ACT_UNSPEC: the next filter. */
#define TCX_NEXT (-1)

#ifndef SG_MODEL
/* A map's size as loaded (the loader may have changed it): CO-RE reads it
 * off the kernel's struct bpf_map. */
#define sg_map_max_entries(map) (((struct bpf_map *)(map))->max_entries)
#endif

/* Hide a value from clang's rewrites so the verifier sees the check as written. */
#define sg_barrier_var(v) asm volatile("" : "+r"(v))

#endif /* SG_COMMON_H */
