/* SPDX-License-Identifier: GPL-2.0 */
/* The TCP option parser, the one every program uses: the XDP SYN path
 * (the cookie carries the options), the XDP ACK path (the timestamp echo
 * carries hash bits) and tc egress (the window scale the host announces).
 * The parse reads between data and data_end; a program reaches it through
 * struct sg_optsrc, which holds its context.
 */
#ifndef SG_TCPOPT_H
#define SG_TCPOPT_H

#include "parse.h"

struct sg_tcpopt {
	__u32 tsval;
	__u32 tsecr;
	__u16 mss;
	__u8 wscale;
	__u8 flags; /* SG_OPT_* */
};

#define SG_OPT_MSS (1u << 0)
#define SG_OPT_WSCALE (1u << 1)
#define SG_OPT_SACK_PERM (1u << 2)
#define SG_OPT_TS (1u << 3)

#define SG_TCP_MAX_OPTLEN 40

/* What a parse of all the options found. */
enum sg_tcpopt_result {
	SG_TCPOPT_OK,      /* every option read, or skipped by length    */
	SG_TCPOPT_OVERRUN, /* an option runs past the header             */
};

/* Whether the fast reader (sg_tcpopt_words) could read the options. */
enum sg_tcpopt_layout {
	SG_TCPOPT_ALIGNED,   /* a layout it knows: read whole              */
	SG_TCPOPT_IRREGULAR, /* anything else: walk them one by one        */
};

/* What reading one option (sg_tcpopt_one) found. */
enum sg_tcpopt_step {
	SG_TCPOPT_STEP_NEXT,    /* read or skipped; the offset moved past it  */
	SG_TCPOPT_STEP_END,     /* EOL, or the header's end                   */
	SG_TCPOPT_STEP_OVERRUN, /* the option runs past the header            */
};

/* Options on 4-byte boundaries, as common stacks send them (Linux,
 * Windows, macOS, BSD): MSS, window scale behind a NOP, SACK-permitted
 * and timestamps behind NOPs or each other, EOL padding. Read a word at a
 * time, this costs a few loads. Anything else is SG_TCPOPT_IRREGULAR, and
 * the caller walks the options one by one (sg_tcpopt_one), which takes
 * every layout this takes, to the same result. */
static __always_inline enum sg_tcpopt_layout sg_tcpopt_words(void *data, void *data_end, __u32 off,
							     __u32 end, struct sg_tcpopt *o)
{
	int i;

	for (i = 0; i < SG_TCP_MAX_OPTLEN / 4; i++) {
		__be32 *w;
		__u32 v;

		/* the header length is a multiple of 4: a word fits or none */
		if (off >= end)
			return SG_TCPOPT_ALIGNED;
		w = data + (off & 0xfff);
		if ((void *)(w + 1) > data_end)
			return SG_TCPOPT_IRREGULAR;
		v = bpf_ntohl(*w);
		off += 4;
		switch (v >> 16) {
		case 0x0204: /* MSS */
			o->mss = v & 0xffff;
			o->flags |= SG_OPT_MSS;
			continue;
		case 0x0103: /* NOP, window scale */
			if ((v & 0xff00) != 0x0300)
				return SG_TCPOPT_IRREGULAR;
			o->wscale = v & 0xff;
			o->flags |= SG_OPT_WSCALE;
			continue;
		case 0x0000: /* EOL */
			return SG_TCPOPT_ALIGNED;
		case 0x0402: /* SACK-permitted, then EOL or timestamps */
			o->flags |= SG_OPT_SACK_PERM;
			if ((v & 0xffff) == 0x0000)
				return SG_TCPOPT_ALIGNED;
			break;
		case 0x0101: /* NOP NOP, then SACK-permitted or timestamps */
			if ((v & 0xffff) == 0x0402) {
				o->flags |= SG_OPT_SACK_PERM;
				continue;
			}
			break;
		default:
			return SG_TCPOPT_IRREGULAR;
		}
		/* timestamps: kind and length end this word, the values fill
		 * the next two */
		if ((v & 0xffff) != 0x080a || off + 8 > end)
			return SG_TCPOPT_IRREGULAR;
		w = data + (off & 0xfff);
		if ((void *)(w + 2) > data_end)
			return SG_TCPOPT_IRREGULAR;
		o->tsval = bpf_ntohl(w[0]);
		o->tsecr = bpf_ntohl(w[1]);
		o->flags |= SG_OPT_TS;
		off += 8;
	}
	return SG_TCPOPT_ALIGNED;
}

/* Reads the one option at byte *off of the frame, whose TCP header ends
 * at byte end, and moves *off past it. Unknown options are skipped by
 * their length. */
static __always_inline enum sg_tcpopt_step sg_tcpopt_one(void *data, void *data_end, __u32 *off,
							 __u32 end, struct sg_tcpopt *o)
{
	__u8 *c;
	__u8 kind, len;

	if (*off >= end)
		return SG_TCPOPT_STEP_END;
	c = data + (*off & 0xfff);
	if ((void *)(c + 1) > data_end)
		return SG_TCPOPT_STEP_OVERRUN;
	kind = c[0];
	if (kind == 0) /* EOL */
		return SG_TCPOPT_STEP_END;
	if (kind == 1) { /* NOP */
		*off += 1;
		return SG_TCPOPT_STEP_NEXT;
	}
	if ((void *)(c + 2) > data_end)
		return SG_TCPOPT_STEP_OVERRUN;
	len = c[1];
	if (len < 2 || *off + len > end)
		return SG_TCPOPT_STEP_OVERRUN;
	switch (kind) {
	case 2: /* MSS */
		if (len == 4 && (void *)(c + 4) <= data_end) {
			o->mss = (c[2] << 8) | c[3];
			o->flags |= SG_OPT_MSS;
		}
		break;
	case 3: /* window scale */
		if (len == 3 && (void *)(c + 3) <= data_end) {
			o->wscale = c[2];
			o->flags |= SG_OPT_WSCALE;
		}
		break;
	case 4: /* SACK permitted */
		if (len == 2)
			o->flags |= SG_OPT_SACK_PERM;
		break;
	case 8: /* timestamps */
		if (len == 10 && (void *)(c + 10) <= data_end) {
			o->tsval = bpf_ntohl(*(__be32 *)(c + 2));
			o->tsecr = bpf_ntohl(*(__be32 *)(c + 6));
			o->flags |= SG_OPT_TS;
		}
		break;
	}
	*off += len;
	return SG_TCPOPT_STEP_NEXT;
}

/* The readers as global functions, so that the verifier checks each once.
 * A global function must name its context's type, so these four are the
 * only code written once per program type; each only hands its context's
 * packet bounds to the shared reader above. */
__noinline int sg_tcpopt_words_xdp(struct xdp_md *ctx, __u32 off, __u32 end, struct sg_tcpopt *o)
{
	if (!o)
		return SG_TCPOPT_IRREGULAR;
	return sg_tcpopt_words((void *)(long)ctx->data, (void *)(long)ctx->data_end, off, end, o);
}

__noinline int sg_tcpopt_words_skb(struct __sk_buff *ctx, __u32 off, __u32 end, struct sg_tcpopt *o)
{
	if (!o)
		return SG_TCPOPT_IRREGULAR;
	return sg_tcpopt_words((void *)(long)ctx->data, (void *)(long)ctx->data_end, off, end, o);
}

__noinline int sg_tcpopt_one_xdp(struct xdp_md *ctx, __u32 *off, __u32 end, struct sg_tcpopt *o)
{
	if (!off || !o)
		return SG_TCPOPT_STEP_OVERRUN;
	return sg_tcpopt_one((void *)(long)ctx->data, (void *)(long)ctx->data_end, off, end, o);
}

__noinline int sg_tcpopt_one_skb(struct __sk_buff *ctx, __u32 *off, __u32 end, struct sg_tcpopt *o)
{
	if (!off || !o)
		return SG_TCPOPT_STEP_OVERRUN;
	return sg_tcpopt_one((void *)(long)ctx->data, (void *)(long)ctx->data_end, off, end, o);
}

/* The context adapter: the options of a parsed packet, and the program
 * context they are read through. Built inline with a constant kind, so
 * that the compiler keeps only that kind's calls. */
enum sg_ctx_kind {
	SG_CTX_XDP, /* ctx is a struct xdp_md                     */
	SG_CTX_SKB, /* ctx is a struct __sk_buff (tc)             */
};

struct sg_optsrc {
	void *ctx;
	enum sg_ctx_kind kind;
	__u32 off; /* the first option's byte in the frame       */
	__u32 end; /* the TCP header's end                       */
};

static __always_inline struct sg_optsrc sg_optsrc_xdp(struct xdp_md *ctx, const struct sg_pkt *p)
{
	struct sg_optsrc s = {
		.ctx = ctx,
		.kind = SG_CTX_XDP,
		.off = p->l4_off + sizeof(struct tcphdr),
		.end = p->l4_off + p->thlen,
	};

	return s;
}

static __always_inline struct sg_optsrc sg_optsrc_skb(struct __sk_buff *ctx, const struct sg_pkt *p)
{
	struct sg_optsrc s = {
		.ctx = ctx,
		.kind = SG_CTX_SKB,
		.off = p->l4_off + sizeof(struct tcphdr),
		.end = p->l4_off + p->thlen,
	};

	return s;
}

static __always_inline enum sg_tcpopt_layout sg_optsrc_words(const struct sg_optsrc *s,
							     struct sg_tcpopt *o)
{
	if (s->kind == SG_CTX_XDP)
		return sg_tcpopt_words_xdp(s->ctx, s->off, s->end, o);
	return sg_tcpopt_words_skb(s->ctx, s->off, s->end, o);
}

static __always_inline enum sg_tcpopt_step sg_optsrc_one(const struct sg_optsrc *s, __u32 *off,
							 struct sg_tcpopt *o)
{
	if (s->kind == SG_CTX_XDP)
		return sg_tcpopt_one_xdp(s->ctx, off, s->end, o);
	return sg_tcpopt_one_skb(s->ctx, off, s->end, o);
}

/* Every option one at a time, one call each: the loop carries no packet
 * pointer, so the verifier walks it once per iteration, not once per
 * option layout. */
static __always_inline enum sg_tcpopt_result sg_tcpopt_walk(const struct sg_optsrc *s,
							    struct sg_tcpopt *o)
{
	enum sg_tcpopt_step step;
	__u32 off = s->off;
	int i;

	o->flags = 0;
	for (i = 0; i < SG_TCP_MAX_OPTLEN; i++) {
		step = sg_optsrc_one(s, &off, o);
		if (step == SG_TCPOPT_STEP_OVERRUN)
			return SG_TCPOPT_OVERRUN;
		if (step == SG_TCPOPT_STEP_END)
			break;
	}
	return SG_TCPOPT_OK;
}

/* The options of s: the aligned layouts in one call, the rest walked. */
static __always_inline enum sg_tcpopt_result sg_tcpopt_parse(const struct sg_optsrc *s,
							     struct sg_tcpopt *o)
{
	o->flags = 0;
	if (sg_optsrc_words(s, o) == SG_TCPOPT_ALIGNED)
		return SG_TCPOPT_OK;
	return sg_tcpopt_walk(s, o);
}

/* The SYN path's walk, out of line: inline, its states times those of
 * the SYN-ACK build pass the verifier's limit. */
__noinline int sg_tcpopt_walk_xdp(struct xdp_md *ctx, const struct sg_pkt *p, struct sg_tcpopt *o)
{
	struct sg_optsrc s;

	if (!p || !o)
		return SG_TCPOPT_OVERRUN;
	s = sg_optsrc_xdp(ctx, p);
	return sg_tcpopt_walk(&s, o);
}

/* The SYN path's parse, with the aligned layouts read inline: a call
 * costs more than the few loads sg_tcpopt_words makes (where the kernel
 * mitigates SRSO, every return is a mispredicted one); inline on every
 * path, the verifier's walk of the program passes its limit. */
static __always_inline enum sg_tcpopt_result
sg_tcpopt_syn(struct xdp_md *ctx, const struct sg_pkt *p, struct sg_tcpopt *o)
{
	o->flags = 0;
	if (sg_tcpopt_words((void *)(long)ctx->data, (void *)(long)ctx->data_end,
			    p->l4_off + sizeof(struct tcphdr), p->l4_off + p->thlen,
			    o) == SG_TCPOPT_ALIGNED)
		return SG_TCPOPT_OK;
	return sg_tcpopt_walk_xdp(ctx, p, o);
}

#endif /* SG_TCPOPT_H */
