/* SPDX-License-Identifier: GPL-2.0 */
/* libsg_secrets: the cookie secrets. It owns making them (random, or
 * derived from a master key file by period number), rotating them, and the
 * sg_secrets map through an mmap as the data path reads it. */
#ifndef LIBSG_SECRETS_H
#define LIBSG_SECRETS_H

#include "libsg_util.h"

__u64 sg_realtime_ns(void); /* CLOCK_REALTIME */
/* The sg_secrets map through an mmap, as BPF reads it: *len to munmap. */
struct sg_secret_state *sg_secrets_mmap(int fd, size_t *len);
int sg_secrets_random(struct sg_secret *k); /* getrandom(2)          */
/* Both slots random; the data path bounds each one's life by period_ns
 * (struct sg_secret_state). */
int sg_secrets_fresh(struct sg_secret_state *s, __u64 period_ns);
int sg_secrets_rotate(struct sg_secret_state *s); /* new key becomes current */
/* The period the data path bounds the secrets' life by, changed live. */
void sg_secrets_period(struct sg_secret_state *s, __u64 period_ns);
/* A master key file: 32 hex digits, a regular file of root's (or ours) that
 * only its owner may read; -EINVAL (what the file holds or how it is kept
 * is wrong) or -errno (cannot open it) with one line in err. */
int sg_secret_file_load(const char *path, struct sg_secret *k, char *err, size_t n);
/* The secret of period number no: SipHash of no keyed by master (a PRF). */
void sg_secret_derive(const struct sg_secret *master, __u64 no, struct sg_secret *out);
/* A short keyed fingerprint of a secret, to compare hosts (not the key). */
__u32 sg_secret_id(const struct sg_secret *k);
/* Brings the slots to what wall-clock time real_ns asks of derived
 * secrets (fresh: overwrite both); *no is the current period number. */
#define SG_SECRET_ROTATED 1 /* the current secret changed */
#define SG_SECRET_NEXT 2    /* the next period's secret is now accepted */
int sg_secrets_derived(struct sg_secret_state *s, const struct sg_secret *master, __u64 period_ns,
		       __u64 real_ns, __u64 mono_ns, bool fresh, __u64 *no);
/* ns until sg_secrets_derived has something to do */
__u64 sg_secrets_derived_due(__u64 period_ns, __u64 real_ns);

#endif /* LIBSG_SECRETS_H */
