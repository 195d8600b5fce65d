/* SPDX-License-Identifier: GPL-2.0 */
/* Internet checksums (RFC 1071) over packet memory, computed with 32-bit
 * loads into a 64-bit accumulator and folded at the end; a SYN's checked
 * as the kernel will check them. */
#ifndef SG_CSUM_H
#define SG_CSUM_H

#include "common.h"
#include "parse.h"

static __always_inline __u16 sg_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Sum of the pseudo-header (addresses, protocol, TCP length), not folded. */
static __always_inline __u64 sg_csum_pseudo(const __u32 *saddr, const __u32 *daddr, __u8 family,
					    __u32 len)
{
	__u64 sum = bpf_htonl((__u32)IPPROTO_TCP + len);

	if (family == 4)
		return sum + saddr[0] + daddr[0];
	return sum + saddr[0] + saddr[1] + saddr[2] + saddr[3] + daddr[0] + daddr[1] + daddr[2] +
	       daddr[3];
}

/* Sum len bytes at p (len <= max_words * 4 + 3), bounds-checked. */
static __always_inline int sg_csum_add(const void *p, __u32 len, const void *data_end,
				       __u32 max_words, __u64 *sum)
{
	const __u8 *b;
	__u32 i;

	for (i = 0; i < max_words; i++) {
		const __u32 *w;

		if (len < 4)
			break;
		w = p;
		/* keep clang from folding the check into pkt_end arithmetic */
		sg_barrier_var(w);
		if ((const void *)(w + 1) > data_end)
			return -1;
		*sum += *w;
		p += 4;
		len -= 4;
	}
	if (len >= 4)
		return -1;
	b = p;
	sg_barrier_var(b);
	if (len >= 2) {
		if ((const void *)(b + 2) > data_end)
			return -1;
		*sum += *(const __u16 *)b;
		b += 2;
		len -= 2;
	}
	if (len) {
		if ((const void *)(b + 1) > data_end)
			return -1;
		/* the odd byte is the high byte of a zero-padded word */
		*sum += bpf_htons((__u16)*b << 8);
	}
	return 0;
}

/* The sum of a header of len bytes at p (a multiple of 4, at most 60:
 * any IPv4 or TCP header) added to sum, unrolled: one bounds check per
 * word and no loop. -1 when the frame ends first or len is not such. */
static __always_inline int sg_csum_hdr(const void *p, __u32 len, const void *data_end, __u64 *sum)
{
	const __u32 *w = p;
	__u64 s = *sum;

	if (len > 60 || len & 3)
		return -1;
#define SG_CSUM_WORD(i)                                     \
	if (len > (i) * 4) {                                \
		if ((const void *)(w + (i) + 1) > data_end) \
			return -1;                          \
		s += w[i];                                  \
	}
	SG_CSUM_WORD(0)
	SG_CSUM_WORD(1)
	SG_CSUM_WORD(2)
	SG_CSUM_WORD(3)
	SG_CSUM_WORD(4)
	SG_CSUM_WORD(5)
	SG_CSUM_WORD(6)
	SG_CSUM_WORD(7)
	SG_CSUM_WORD(8)
	SG_CSUM_WORD(9)
	SG_CSUM_WORD(10)
	SG_CSUM_WORD(11)
	SG_CSUM_WORD(12)
	SG_CSUM_WORD(13)
	SG_CSUM_WORD(14)
#undef SG_CSUM_WORD
	*sum = s;
	return 0;
}

/* Is the SYN's checksum exactly what a sender with TX checksum offload
 * leaves in it (the folded pseudo-header sum only)? On a veth the peer's
 * own SYNs arrive like that; random corruption matches it with p = 2^-16. */
static __always_inline bool sg_csum_is_offload_partial(const struct sg_pkt *p)
{
	__u64 ph = sg_csum_pseudo(p->saddr, p->daddr, p->family, p->tcp_len);

	return p->th.check == sg_csum_fold(ph);
}

enum sg_csum_verdict {
	SG_CSUM_OK,
	SG_CSUM_OFFLOAD,
	SG_CSUM_BAD_IP,
	SG_CSUM_BAD_TCP,
};

/* The longest TCP segment (header + data) whose checksum a SYN gets
 * verified over: beyond it (only with jumbo MTUs and SYN data) the SYN is
 * the kernel's. */
#define SG_SYN_CSUM_WORDS 384
#define SG_SYN_CSUM_MAX (SG_SYN_CSUM_WORDS * 4 + 3)

/* Verify the IPv4 header checksum and the TCP checksum of a SYN. */
static __always_inline int sg_verify_syn_csum(const struct sg_pkt *p, void *data, void *data_end)
{
	__u32 l3 = p->l3_off, l4 = p->l4_off;
	__u64 sum = 0;

	if (l3 > 0xff || l4 > 0xfff)
		return SG_CSUM_BAD_IP;
	if (p->family == 4) {
		struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > data_end || sg_csum_hdr(ip, ip->ihl * 4, data_end, &sum) ||
		    sg_csum_fold(sum) != 0xffff)
			return SG_CSUM_BAD_IP;
	}
	sum = sg_csum_pseudo(p->saddr, p->daddr, p->family, p->tcp_len);
	/* a SYN may carry data (TFO): then the sum covers it too, word by
	 * word; a header alone is one helper call */
	if (sg_csum_hdr(data + l4, p->tcp_len, data_end, &sum) &&
	    sg_csum_add(data + l4, p->tcp_len, data_end, SG_SYN_CSUM_WORDS, &sum))
		return SG_CSUM_BAD_TCP;
	if (sg_csum_fold(sum) == 0xffff)
		return SG_CSUM_OK;
	return sg_csum_is_offload_partial(p) ? SG_CSUM_OFFLOAD : SG_CSUM_BAD_TCP;
}

#endif /* SG_CSUM_H */
