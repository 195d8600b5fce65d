/* SPDX-License-Identifier: GPL-2.0 */
/* SipHash-2-4 (Aumasson & Bernstein) over whole 64-bit words plus one
 * trailing byte, which is how a cookie binds its option bits to the hash
 * at no extra cost: the byte rides in the final block SipHash needs anyway. */
#ifndef SG_SIPHASH_H
#define SG_SIPHASH_H

/* One implementation for BPF (the cookies) and userspace (secrets derived
 * from a key file), so it lives in include/ beside the structs both share. */
#include "synguard.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define SG_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define SG_SIPROUND(v0, v1, v2, v3)   \
	do {                          \
		v0 += v1;             \
		v1 = SG_ROTL(v1, 13); \
		v1 ^= v0;             \
		v0 = SG_ROTL(v0, 32); \
		v2 += v3;             \
		v3 = SG_ROTL(v3, 16); \
		v3 ^= v2;             \
		v0 += v3;             \
		v3 = SG_ROTL(v3, 21); \
		v3 ^= v0;             \
		v2 += v1;             \
		v1 = SG_ROTL(v1, 17); \
		v1 ^= v2;             \
		v2 = SG_ROTL(v2, 32); \
	} while (0)

/* nwords is a compile-time constant at every call site (2 or 5). */
static __always_inline __u64 sg_siphash(const struct sg_secret *k, const __u64 *m, int nwords,
					__u8 tail)
{
	__u64 v0 = 0x736f6d6570736575ULL ^ k->k0;
	__u64 v1 = 0x646f72616e646f6dULL ^ k->k1;
	__u64 v2 = 0x6c7967656e657261ULL ^ k->k0;
	__u64 v3 = 0x7465646279746573ULL ^ k->k1;
	__u64 b;
	int i;

#pragma unroll
	for (i = 0; i < nwords; i++) {
		v3 ^= m[i];
		SG_SIPROUND(v0, v1, v2, v3);
		SG_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	b = ((__u64)(nwords * 8 + 1) << 56) | tail;
	v3 ^= b;
	SG_SIPROUND(v0, v1, v2, v3);
	SG_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SG_SIPROUND(v0, v1, v2, v3);
	SG_SIPROUND(v0, v1, v2, v3);
	SG_SIPROUND(v0, v1, v2, v3);
	SG_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif /* SG_SIPHASH_H */
