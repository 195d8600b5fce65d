// SPDX-License-Identifier: GPL-2.0
/* Startup checks, loading, pinning, attaching (libxdp + tcx), the cookie
 * secret, the pidfile: what synguardd does to an interface and undoes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "libsynguard.h"
#include "synguard.skel.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* ---- checks -------------------------------------------------------------- */
int sg_check_root(void)
{
	if (geteuid() != 0) {
		sg_err("must run as root (needs CAP_BPF, CAP_NET_ADMIN): run with sudo");
		return -1;
	}
	return 0;
}

int sg_check_kernel(void)
{
	struct btf *btf;
	int id;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		sg_err("/sys/kernel/btf/vmlinux is missing: boot a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		sg_err("cannot read /sys/kernel/btf/vmlinux: %s", strerror(errno));
		return -1;
	}
	id = btf__find_by_name_kind(btf, "bpf_sk_assign_tcp_reqsk", BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0) {
		sg_err("kernel lacks the kfunc bpf_sk_assign_tcp_reqsk: run Linux 6.9 or newer");
		return -1;
	}
	return 0;
}

int sg_check_syncookies(void)
{
	long v = 0;

	if (sg_sysctl_int("net/ipv4/tcp_syncookies", &v)) {
		sg_err("cannot read net.ipv4.tcp_syncookies: %s", strerror(errno));
		return -1;
	}
	if (v == 0) {
		sg_err("net.ipv4.tcp_syncookies is 0 here, so the kernel refuses BPF request sockets: run sysctl -w net.ipv4.tcp_syncookies=1");
		return -1;
	}
	return 0;
}

static int sg_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int sg_ensure_bpffs(const char *dir)
{
	struct statfs sf;

	if (sg_mkdir_p(dir, 0700)) {
		sg_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (statfs(dir, &sf)) {
		sg_err("cannot statfs %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((unsigned long)sf.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpffs", dir, "bpf", 0, "mode=0700")) {
		sg_err("%s is not a bpffs and mounting one failed (%s): mount -t bpf bpffs %s",
		       dir, strerror(errno), dir);
		return -1;
	}
	sg_log("mounted bpffs at %s", dir);
	return 0;
}

/* ---- the daemon's state --------------------------------------------------- */
struct sg_daemon {
	struct sg_daemon_opts o;
	struct synguard_bpf *skel;
	struct sg_pins pins;
	int ifindex;
	struct xdp_program *xdp;
	enum xdp_attach_mode xdp_mode;
	int tc_link_fd[2];           /* tcx links: ingress, egress         */
	bool tc_clsact[2];           /* fallback: clsact filter attached   */
	struct sg_secret_state *secrets;
	size_t secrets_len;
	__u64 period_ns;
	__u32 last_cookie_active;
	int pid_fd;
};

static const char *const sg_tc_names[2] = { "ingress", "egress" };

static int sg_pidfile_lock(const char *iface)
{
	char path[PATH_MAX], buf[32];
	int fd, n;

	if (sg_mkdir_p(SG_RUN_DIR, 0755)) {
		sg_err("cannot create %s: %s", SG_RUN_DIR, strerror(errno));
		return -1;
	}
	sg_pidfile_path(path, sizeof(path), iface);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		sg_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ssize_t r = read(fd, buf, sizeof(buf) - 1);

		buf[r > 0 ? r : 0] = 0;
		sg_err("synguardd already runs on %s (pid %d)", iface, atoi(buf));
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		sg_err("cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static bool sg_pin_exists(const struct sg_pins *p, const char *name)
{
	char path[PATH_MAX];

	return !sg_pin_path(path, sizeof(path), p, name) && !access(path, F_OK);
}

static void sg_pin_unlink(const struct sg_pins *p, const char *name)
{
	char path[PATH_MAX];

	if (!sg_pin_path(path, sizeof(path), p, name))
		unlink(path);
}

static __u32 sg_pinned_max_entries(const struct sg_pins *p, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (sg_pin_path(path, sizeof(path), p, name))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

static __u32 sg_fd_prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* ---- secrets --------------------------------------------------------------- */
static int sg_random_key(struct sg_secret *k)
{
	size_t got = 0;

	while (got < sizeof(*k)) {
		ssize_t r = getrandom((char *)k + got, sizeof(*k) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			sg_err("getrandom: %s", strerror(errno));
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int sg_secrets_rotate(struct sg_secret_state *s)
{
	struct sg_secret k;
	__u32 next = (s->cur ^ 1) & 1;

	if (sg_random_key(&k))
		return -1;
	/* the oldest slot takes the new key; BPF keeps accepting the
	 * current one as "previous" once cur flips */
	s->slot[next] = k;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->cur = next;
	s->rotated_ns = sg_now_ns();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

int sg_secrets_fresh(struct sg_secret_state *s)
{
	/* both slots random, so no zero key is ever accepted */
	if (sg_random_key(&s->slot[0]) || sg_random_key(&s->slot[1]))
		return -1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->cur = 0;
	s->rotated_ns = sg_now_ns();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

struct sg_secret_state *sg_secrets_mmap(int fd, size_t *len)
{
	long page = sysconf(_SC_PAGESIZE);
	struct sg_secret_state *s;

	*len = ((sizeof(*s) + (size_t)page - 1) / (size_t)page) * (size_t)page;
	s = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED) {
		sg_err("cannot mmap sg_secrets: %s", strerror(errno));
		return NULL;
	}
	return s;
}

static int sg_secrets_setup(struct sg_daemon *d, bool reused)
{
	struct sg_secret_state *s;
	__u64 now = sg_now_ns(), age;

	s = sg_secrets_mmap(bpf_map__fd(d->skel->maps.sg_secrets), &d->secrets_len);
	if (!s)
		return -1;
	d->secrets = s;
	age = now - s->rotated_ns;
	if (reused && s->rotated_ns && s->rotated_ns <= now && age < d->period_ns) {
		sg_log("keeping the pinned cookie secrets (rotated %llus ago)",
		       (unsigned long long)(age / 1000000000ull));
		return 0;
	}
	if (reused && s->rotated_ns && s->rotated_ns <= now && age < 2 * d->period_ns)
		return sg_secrets_rotate(s);
	return sg_secrets_fresh(s);
}

/* ---- config and ports ------------------------------------------------------- */
static int sg_configure(struct sg_daemon *d, bool reused)
{
	int fd = bpf_map__fd(d->skel->maps.sg_config);
	struct sg_config old = {}, c = {};
	struct sg_sysctls sy = {};
	bool have_old = false;
	static __u16 slots[65536];
	int mtu, mode;

	if (reused && !sg_config_read(fd, &old) && old.msstab4[SG_MSS_BUCKETS - 1])
		have_old = true;
	mtu = sg_iface_mtu(d->o.iface);
	if (mtu <= 0) {
		sg_err("cannot read the MTU of %s: %s", d->o.iface, strerror(-mtu));
		return -1;
	}
	sg_read_sysctls(&sy);
	if (have_old) {
		/* keep what `synguard set` changed; kernel facts are re-read */
		c = old;
	} else {
		sg_config_defaults(&c, &sy);
	}
	sg_config_kernel(&c, &sy, mtu);

	mode = d->o.mode;
	if (mode < 0)
		mode = have_old && old.mode <= SG_MODE_ON ? (int)old.mode : SG_MODE_ON;
	c.mode = (__u32)mode;
	c.cookie_active = mode == SG_MODE_ON;
	if (mode == SG_MODE_OFF && have_old && old.cookie_active)
		c.cookie_check_until_ns = sg_now_ns() + 2 * d->period_ns;
	if (sg_config_write(fd, &c))
		return -1;
	d->last_cookie_active = c.cookie_active;

	sg_ports_slots(&d->o.ports, slots);
	if (sg_ports_write(bpf_map__fd(d->skel->maps.sg_ports), slots))
		return -1;
	{
		char *ps = sg_ports_format(slots);

		sg_log("%s: mode %s, ports %s, MTU %d (mss4 %u, mss6 %u, wscale %u)%s",
		       d->o.iface, sg_mode_name(c.mode), ps ? ps : "?", mtu,
		       c.adv_mss4, c.adv_mss6, c.rcv_wscale,
		       have_old ? ", settings kept from the pinned config" : "");
		free(ps);
	}
	return 0;
}

/* ---- attach / detach ------------------------------------------------------------ */
static int sg_attach_xdp(struct sg_daemon *d)
{
	int fd = bpf_program__fd(d->skel->progs.sg_xdp);
	char path[PATH_MAX];
	int err;

	/* an XDP program of ours left by --keep-attached or a crash: replace it */
	if (!sg_pin_path(path, sizeof(path), &d->pins, "prog_xdp") && !access(path, F_OK)) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		int old = bpf_obj_get(path);

		if (old >= 0 && !bpf_xdp_query(d->ifindex, 0, &q)) {
			__u32 oid = sg_fd_prog_id(old);
			struct xdp_program *op = xdp_program__from_fd(old);
			enum xdp_attach_mode m = q.attach_mode == XDP_ATTACHED_SKB ?
				XDP_MODE_SKB : XDP_MODE_NATIVE;

			if (!libxdp_get_error(op) &&
			    (q.prog_id == oid || q.attach_mode == XDP_ATTACHED_MULTI) &&
			    !xdp_program__detach(op, (int)d->ifindex, m, 0))
				sg_log("%s: replaced the XDP program left attached (id %u)",
				       d->o.iface, oid);
			if (!libxdp_get_error(op))
				xdp_program__close(op);
		}
		if (old >= 0)
			close(old);
		unlink(path);
	}

	d->xdp = xdp_program__from_fd(fd);
	err = (int)libxdp_get_error(d->xdp);
	if (err) {
		d->xdp = NULL;
		sg_err("libxdp cannot use the XDP program: %s", strerror(-err));
		return -1;
	}
	d->xdp_mode = XDP_MODE_NATIVE;
	/* libxdp first tries its multi-program dispatcher (freplace); where
	 * that is refused it attaches the program alone. Say so once, instead
	 * of libbpf's load errors for the dispatcher. */
	sg_libbpf_hush = true;
	err = xdp_program__attach(d->xdp, d->ifindex, XDP_MODE_NATIVE, 0);
	if (err && err != -EBUSY && err != -EEXIST) {
		sg_log("warning: native XDP on %s failed (%s); using generic (skb) mode, which is slower",
		       d->o.iface, strerror(-err));
		d->xdp_mode = XDP_MODE_SKB;
		err = xdp_program__attach(d->xdp, d->ifindex, XDP_MODE_SKB, 0);
	}
	sg_libbpf_hush = false;
	if (err == -EBUSY || err == -EEXIST) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		bpf_xdp_query(d->ifindex, 0, &q);
		sg_err("%s already has an XDP program (id %u) not loaded with libxdp: remove it (ip link set %s xdp off) or load it with xdp-loader",
		       d->o.iface, q.prog_id, d->o.iface);
	} else if (err) {
		sg_err("cannot attach XDP to %s: %s (see ip link show %s)",
		       d->o.iface, strerror(-err), d->o.iface);
	}
	if (err) {
		xdp_program__close(d->xdp);
		d->xdp = NULL;
		return -1;
	}
	{
		struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(d->ifindex);

		if (!libxdp_get_error(mp) && mp) {
			if (xdp_multiprog__is_legacy(mp))
				sg_log("%s: libxdp dispatcher unavailable (freplace refused?): XDP attached as the only program",
				       d->o.iface);
			xdp_multiprog__close(mp);
		}
	}
	if (bpf_program__pin(d->skel->progs.sg_xdp, path))
		sg_log("warning: cannot pin %s", path);
	return 0;
}

static void sg_detach_xdp(struct sg_daemon *d)
{
	int err;

	if (!d->xdp)
		return;
	err = xdp_program__detach(d->xdp, d->ifindex, d->xdp_mode, 0);
	if (err)
		sg_log("warning: cannot detach XDP from %s: %s", d->o.iface,
		       strerror(-err));
	xdp_program__close(d->xdp);
	d->xdp = NULL;
}

static int sg_attach_tc(struct sg_daemon *d, int dir, struct bpf_program *prog)
{
	static const char *const pins[2] = { "link_tc_ingress", "link_tc_egress" };
	int prog_fd = bpf_program__fd(prog);
	char path[PATH_MAX];
	int fd, err;

	if (sg_pin_path(path, sizeof(path), &d->pins, pins[dir]))
		return -1;
	/* a link left by --keep-attached: swap the program in atomically */
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (!bpf_link_update(fd, prog_fd, NULL)) {
			d->tc_link_fd[dir] = fd;
			sg_log("%s: took over the pinned tcx %s link", d->o.iface,
			       sg_tc_names[dir]);
			return 0;
		}
		sg_log("warning: cannot update the pinned tcx %s link (%s); re-attaching",
		       sg_tc_names[dir], strerror(errno));
		bpf_link_detach(fd);
		close(fd);
		unlink(path);
	}

	fd = bpf_link_create(prog_fd, d->ifindex,
			     dir ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, NULL);
	if (fd >= 0) {
		if (bpf_obj_pin(fd, path))
			sg_log("warning: cannot pin %s: %s", path, strerror(errno));
		d->tc_link_fd[dir] = fd;
		return 0;
	}
	sg_log("warning: tcx %s attach on %s failed (%s); using a clsact filter",
	       sg_tc_names[dir], d->o.iface, strerror(errno));
	{
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = 0x5347,
			    .priority = 1);

		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST) {
			sg_err("cannot create clsact on %s: %s", d->o.iface, strerror(-err));
			return -1;
		}
		opts.flags = BPF_TC_F_REPLACE;
		err = bpf_tc_attach(&hook, &opts);
		if (err) {
			sg_err("cannot attach TC %s on %s: %s", sg_tc_names[dir],
			       d->o.iface, strerror(-err));
			return -1;
		}
	}
	d->tc_clsact[dir] = true;
	return 0;
}

static void sg_detach_tc(struct sg_daemon *d, int dir)
{
	static const char *const pins[2] = { "link_tc_ingress", "link_tc_egress" };

	if (d->tc_link_fd[dir] >= 0) {
		if (bpf_link_detach(d->tc_link_fd[dir]))
			sg_log("warning: cannot detach the tcx %s link: %s",
			       sg_tc_names[dir], strerror(errno));
		close(d->tc_link_fd[dir]);
		d->tc_link_fd[dir] = -1;
		sg_pin_unlink(&d->pins, pins[dir]);
	}
	if (d->tc_clsact[dir]) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 0x5347, .priority = 1);

		bpf_tc_detach(&hook, &opts);
		d->tc_clsact[dir] = false;
	}
}

/* ---- start / tick / stop ------------------------------------------------------------ */
static void sg_daemon_free(struct sg_daemon *d)
{
	if (d->secrets)
		munmap(d->secrets, d->secrets_len);
	synguard_bpf__destroy(d->skel);
	if (d->pid_fd >= 0)
		close(d->pid_fd);
	free(d);
}

static void sg_unpin_all(struct sg_daemon *d)
{
	char path[PATH_MAX + 16];

	if (d->skel)
		bpf_object__unpin_maps(d->skel->obj, NULL);
	sg_pin_unlink(&d->pins, "prog_walk");
	sg_pin_unlink(&d->pins, "prog_xdp");
	sg_pin_unlink(&d->pins, "link_tc_ingress");
	sg_pin_unlink(&d->pins, "link_tc_egress");
	if (rmdir(d->pins.dir) && errno != ENOENT)
		sg_log("warning: cannot remove %s: %s", d->pins.dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", d->pins.bpffs, SG_PIN_SUBDIR);
	rmdir(path);   /* only when no other interface is left */
}

struct sg_daemon *sg_daemon_start(const struct sg_daemon_opts *o, int *exit_code)
{
	struct sg_daemon *d = calloc(1, sizeof(*d));
	struct bpf_program *eg;
	__u32 pinned_synced, pinned_emb, size, emb;
	bool reused = false, attached_any = false;
	char path[PATH_MAX];

	*exit_code = SG_EXIT_FAIL;
	if (!d)
		return NULL;
	d->o = *o;
	d->pid_fd = -1;
	d->tc_link_fd[0] = d->tc_link_fd[1] = -1;
	d->period_ns = (__u64)o->secret_period * 1000000000ull;

	d->ifindex = (int)if_nametoindex(o->iface);
	if (!d->ifindex) {
		sg_err("no interface %s in this network namespace: check ip link (or enter its netns with nsenter --net=)",
		       o->iface);
		goto fail;
	}
	d->pid_fd = sg_pidfile_lock(o->iface);
	if (d->pid_fd < 0)
		goto fail;
	if (sg_check_syncookies())
		goto fail;
	if (sg_ensure_bpffs(o->bpffs))
		goto fail;
	sg_pins_init(&d->pins, o->bpffs, o->iface);
	if (sg_mkdir_p(d->pins.dir, 0700)) {
		sg_err("cannot create %s: %s", d->pins.dir, strerror(errno));
		goto fail;
	}
	if (sg_pin_exists(&d->pins, "link_tc_ingress") || sg_pin_exists(&d->pins, "prog_xdp"))
		sg_log("%s: found attachments of a synguardd that is gone; taking them over",
		       o->iface);

	/* table sizes are fixed once pinned */
	pinned_synced = sg_pinned_max_entries(&d->pins, "sg_ct_synced");
	pinned_emb = sg_pinned_max_entries(&d->pins, "sg_ct_embryonic");
	size = o->ct_size ? (__u32)o->ct_size : SG_DEFAULT_CT_SIZE;
	if (pinned_synced && o->ct_size && pinned_synced != size) {
		sg_err("pinned tables in %s hold %u connections: omit --ct-size, or stop synguardd and rm -r %s to resize",
		       d->pins.dir, pinned_synced, d->pins.dir);
		goto fail;
	}
	if (pinned_synced)
		size = pinned_synced;
	emb = pinned_emb ? pinned_emb : (size / 4 > 1024 ? size / 4 : 1024);
	reused = sg_pin_exists(&d->pins, "sg_config");

	{
		LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = d->pins.dir);

		d->skel = synguard_bpf__open_opts(&oo);
	}
	if (!d->skel) {
		sg_err("cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(d->skel->maps.sg_ct_synced, size);
	bpf_map__set_max_entries(d->skel->maps.sg_ct_embryonic, emb);
	bpf_map__set_max_entries(d->skel->maps.sg_ct_bits, sg_ct_bits_entries(size));
	if (synguard_bpf__load(d->skel)) {
		int e = errno;

		sg_err("cannot load the BPF programs: %s%s", strerror(e),
		       reused ? " (pinned maps from an older build? stop synguardd and rm -r the pin dir)" :
				" (run with -v for the verifier log)");
		goto fail;
	}

	if (sg_configure(d, reused) || sg_secrets_setup(d, reused))
		goto fail;
	if (sg_pin_path(path, sizeof(path), &d->pins, "prog_walk"))
		goto fail;
	unlink(path);
	if (bpf_program__pin(d->skel->progs.sg_walk, path)) {
		sg_err("cannot pin %s: %s", path, strerror(errno));
		goto fail;
	}
	/* a first sweep before attaching: the tracker filter (sg_ct_bits)
	 * learns the entries of reused tables */
	{
		struct sg_walk_args a;

		if (sg_walk_run(bpf_program__fd(d->skel->progs.sg_walk), 1, &a))
			goto fail;
	}

	attached_any = true;
	if (sg_attach_xdp(d) ||
	    sg_attach_tc(d, 0, d->skel->progs.sg_tc_ingress))
		goto fail;
	eg = bpf_object__find_program_by_name(d->skel->obj, "sg_tc_egress");
	if (eg && sg_attach_tc(d, 1, eg))
		goto fail;
	sg_log("%s: attached XDP (%s)%s, TC ingress (%s)%s%s%s, ct %u+%u, secret period %lus",
	       o->iface, d->xdp_mode == XDP_MODE_SKB ? "skb" : "native",
	       "", d->tc_clsact[0] ? "clsact" : "tcx",
	       eg ? ", TC egress (" : "", eg ? (d->tc_clsact[1] ? "clsact" : "tcx") : "",
	       eg ? ")" : "", size, emb, o->secret_period);
	*exit_code = 0;
	return d;

fail:
	if (attached_any) {
		sg_detach_xdp(d);
		sg_detach_tc(d, 0);
		sg_detach_tc(d, 1);
	}
	/* a failed fresh start leaves nothing behind; reused pins stay */
	if (d->skel && !reused && d->pins.dir[0])
		sg_unpin_all(d);
	sg_daemon_free(d);
	return NULL;
}

void sg_daemon_tick(struct sg_daemon *d)
{
	struct sg_walk_args a;
	struct sg_config c;
	__u64 now = sg_now_ns();
	int cfd = bpf_map__fd(d->skel->maps.sg_config);

	if (now - d->secrets->rotated_ns >= d->period_ns) {
		if (!sg_secrets_rotate(d->secrets) && d->o.verbose)
			sg_log("rotated the cookie secret");
	}
	if (!sg_walk_run(bpf_program__fd(d->skel->progs.sg_walk), 1, &a) &&
	    a.expired && d->o.verbose)
		sg_log("swept %llu expired connections",
		       (unsigned long long)a.expired);

	/* `synguard set mode=...` does not know the secret period: keep
	 * checking cookies for two periods after cookie mode goes off. */
	if (!sg_config_read(cfd, &c)) {
		if (c.cookie_active != d->last_cookie_active) {
			sg_log("%s: cookie mode %s (mode %s)", d->o.iface,
			       c.cookie_active ? "on" : "off", sg_mode_name(c.mode));
			if (!c.cookie_active &&
			    c.cookie_check_until_ns < now + 2 * d->period_ns) {
				c.cookie_check_until_ns = now + 2 * d->period_ns;
				sg_config_write(cfd, &c);
			}
			d->last_cookie_active = c.cookie_active;
		}
	}
}

void sg_daemon_stop(struct sg_daemon *d)
{
	char path[PATH_MAX];

	if (!d)
		return;
	if (d->o.keep_attached) {
		sg_log("%s: exiting, programs stay attached and pinned in %s",
		       d->o.iface, d->pins.dir);
	} else {
		sg_detach_xdp(d);
		sg_detach_tc(d, 0);
		sg_detach_tc(d, 1);
		sg_unpin_all(d);
		sg_log("%s: detached, pins removed", d->o.iface);
	}
	sg_pidfile_path(path, sizeof(path), d->o.iface);
	unlink(path);
	sg_daemon_free(d);
}
