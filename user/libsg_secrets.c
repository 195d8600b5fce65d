// SPDX-License-Identifier: GPL-2.0
/* Cookie secrets: the two slots BPF accepts (current and other), filled
 * with random keys that rotate every period, or derived from a master key
 * file and the wall clock so that hosts sharing the file share secrets. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "libsg_secrets.h"
#include "libsg_maps.h"
/* the cookie's SipHash, here as the PRF that derives period secrets */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "siphash.h"
#pragma GCC diagnostic pop

__u64 sg_realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (__u64)t.tv_sec * SG_NS + (__u64)t.tv_nsec;
}

int sg_secrets_random(struct sg_secret *k)
{
	size_t got = 0;

	while (got < sizeof(*k)) {
		ssize_t r = getrandom((char *)k + got, sizeof(*k) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sg_err_errno("getrandom");
		}
		got += (size_t)r;
	}
	return 0;
}

/* Slot i gets key k, installed at mono_ns: the data path makes and checks
 * cookies with it for so long from then (struct sg_secret_state). The
 * time goes first: a reader that meets the new key meets its time too
 * (one that meets the new time with the old key gives that key a few ns
 * more). */
static void sg_secrets_put(struct sg_secret_state *s, __u32 i, const struct sg_secret *k,
			   __u64 mono_ns)
{
	s->installed_ns[i & 1] = mono_ns;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->slot[i & 1] = *k;
}

/* k becomes current; the current one stays accepted in the other slot.
 * BPF reads cur and both slots at any time: the new key is in place
 * before cur flips to it. */
static void sg_secrets_install(struct sg_secret_state *s, const struct sg_secret *k, __u64 mono_ns)
{
	__u32 next = (s->cur ^ 1) & 1;

	sg_secrets_put(s, next, k, mono_ns);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->cur = next;
	s->rotated_ns = mono_ns;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int sg_secrets_rotate(struct sg_secret_state *s)
{
	struct sg_secret k;
	int ret = sg_secrets_random(&k);

	if (ret)
		return ret;
	sg_secrets_install(s, &k, sg_now_ns());
	return 0;
}

int sg_secrets_fresh(struct sg_secret_state *s, __u64 period_ns)
{
	struct sg_secret k[2];
	__u64 now = sg_now_ns();
	int ret;

	/* both slots random, so no zero key is ever accepted */
	ret = sg_secrets_random(&k[0]);
	if (!ret)
		ret = sg_secrets_random(&k[1]);
	if (ret)
		return ret;
	s->period_ns = period_ns;
	sg_secrets_put(s, 0, &k[0], now);
	sg_secrets_put(s, 1, &k[1], now);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->cur = 0;
	s->rotated_ns = now;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

void sg_secrets_period(struct sg_secret_state *s, __u64 period_ns)
{
	__atomic_store_n(&s->period_ns, period_ns, __ATOMIC_RELAXED);
}

struct sg_secret_state *sg_secrets_mmap(int fd, size_t *len)
{
	*len = sg_map_len(sizeof(struct sg_secret_state));
	return sg_map_mmap(fd, sizeof(struct sg_secret_state), "sg_secrets");
}

/* ---- master key file ---------------------------------------------------------- */
static int sg_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -EINVAL;
}

#define SG_KEY_HOWTO "umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \\n' > FILE"

int sg_secret_file_load(const char *path, struct sg_secret *k, char *err, size_t n)
{
	unsigned char key[16] = {};
	char buf[40];
	struct stat st;
	ssize_t len;
	int fd;

	if (path[0] != '/') {
		snprintf(err, n, "%s: give the key file as an absolute path", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int ret = -errno;

		snprintf(err, n, "cannot read the key file %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, n, "%s is not a regular file", path);
		goto fail;
	}
	if (st.st_mode & 077) {
		snprintf(err, n, "%s is open to group or others (mode %04o): chmod 600 %s", path,
			 (unsigned int)(st.st_mode & 07777), path);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, n, "%s belongs to uid %u, not root: chown root %s", path,
			 (unsigned int)st.st_uid, path);
		goto fail;
	}
	len = read(fd, buf, sizeof(buf));
	if (len == 33 && buf[32] == '\n')
		len = 32;
	if (len != 32) {
		snprintf(err, n,
			 "%s must hold exactly 32 hex digits (a 128-bit key), e.g. made with: %s",
			 path, SG_KEY_HOWTO);
		goto fail;
	}
	for (int i = 0; i < 32; i++) {
		int v = sg_hex((unsigned char)buf[i]);

		if (v < 0) {
			snprintf(
				err, n,
				"%s: character %d is not a hex digit: the file must hold 32 hex digits",
				path, i + 1);
			goto fail;
		}
		key[i / 2] |= (unsigned char)(v << (i % 2 ? 0 : 4));
	}
	close(fd);
	/* SipHash's key convention: two little-endian words */
	k->k0 = k->k1 = 0;
	for (int i = 7; i >= 0; i--) {
		k->k0 = k->k0 << 8 | key[i];
		k->k1 = k->k1 << 8 | key[8 + i];
	}
	if (!k->k0 && !k->k1) {
		snprintf(err, n, "%s holds an all-zero key: make a random one with: %s", path,
			 SG_KEY_HOWTO);
		return -EINVAL;
	}
	return 0;
fail:
	close(fd);
	return -EINVAL;
}

void sg_secret_derive(const struct sg_secret *master, __u64 no, struct sg_secret *out)
{
	out->k0 = sg_siphash(master, &no, 1, 1);
	out->k1 = sg_siphash(master, &no, 1, 2);
}

__u32 sg_secret_id(const struct sg_secret *k)
{
	__u64 zero = 0;

	return (__u32)(sg_siphash(k, &zero, 1, 0xff) >> 32);
}

/* The derived schedule. At wall-clock time t in period n = t / P the
 * current slot holds K(n); the other slot holds K(n-1) (the previous
 * current, kept at the flip) until the last quarter of the period, then
 * K(n+1). Another host's cookie made with K(m) is accepted while m is n-1
 * or n, or n+1 in that last quarter: clocks may disagree by up to P/4. */
int sg_secrets_derived(struct sg_secret_state *s, const struct sg_secret *master, __u64 period_ns,
		       __u64 real_ns, __u64 mono_ns, bool fresh, __u64 *no)
{
	__u64 n = real_ns / period_ns, into = real_ns % period_ns;
	bool last_quarter = into >= period_ns - period_ns / 4;
	struct sg_secret cur, other;

	*no = n;
	sg_secret_derive(master, n, &cur);
	sg_secret_derive(master, last_quarter ? n + 1 : n - 1, &other);
	sg_secrets_period(s, period_ns);
	if (fresh) {
		sg_secrets_put(s, 1, &other, mono_ns);
		sg_secrets_put(s, 0, &cur, mono_ns);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		s->cur = 0;
		s->rotated_ns = mono_ns;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return SG_SECRET_ROTATED;
	}
	if (memcmp(&s->slot[s->cur & 1], &cur, sizeof(cur))) {
		sg_secrets_install(s, &cur, mono_ns);
		return SG_SECRET_ROTATED;
	}
	if (last_quarter && memcmp(&s->slot[(s->cur ^ 1) & 1], &other, sizeof(other))) {
		sg_secrets_put(s, s->cur ^ 1, &other, mono_ns);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return SG_SECRET_NEXT;
	}
	return 0;
}

__u64 sg_secrets_derived_due(__u64 period_ns, __u64 real_ns)
{
	__u64 into = real_ns % period_ns, q = period_ns - period_ns / 4;

	return into < q ? q - into : period_ns - into;
}
