// SPDX-License-Identifier: GPL-2.0
/* Startup checks, loading, pinning, attaching (libxdp + tcx), the pidfile:
 * what synguardd does to an interface and undoes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "libsg_load.h"
#include "libsg_config.h"
#include "libsg_maps.h"
#include "libsg_settings.h"
#include "synguard.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* ---- checks -------------------------------------------------------------- */
int sg_check_kernel(void)
{
	struct btf *btf;
	int id;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		sg_err("/sys/kernel/btf/vmlinux is missing: boot a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return sg_err_errno("cannot read /sys/kernel/btf/vmlinux");
	id = btf__find_by_name_kind(btf, "bpf_sk_assign_tcp_reqsk", BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0) {
		sg_err("kernel lacks the kfunc bpf_sk_assign_tcp_reqsk: run Linux 6.9 or newer");
		return -EOPNOTSUPP;
	}
	return 0;
}

int sg_check_syncookies(void)
{
	long v = 0;

	if (sg_sysctl_int("net/ipv4/tcp_syncookies", &v))
		return sg_err_errno("cannot read net.ipv4.tcp_syncookies");
	if (v == 0) {
		sg_err("net.ipv4.tcp_syncookies is 0 here, so the kernel refuses BPF request sockets: run sysctl -w net.ipv4.tcp_syncookies=1");
		return -EOPNOTSUPP;
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

	if (sg_mkdir_p(dir, 0700))
		return sg_err_errno("cannot create %s", dir);
	if (statfs(dir, &sf))
		return sg_err_errno("cannot statfs %s", dir);
	if ((unsigned long)sf.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpffs", dir, "bpf", 0, "mode=0700")) {
		int ret = -errno;

		sg_err("%s is not a bpffs and mounting one failed (%s): mount -t bpf bpffs %s", dir,
		       strerror(-ret), dir);
		return ret;
	}
	sg_log("mounted bpffs at %s", dir);
	return 0;
}

static const char *const sg_tc_names[2] = { "ingress", "egress" };
static const char *const sg_tc_pins[2] = { "link_tc_ingress", "link_tc_egress" };

/* One daemon per interface per network namespace: the pidfile's flock,
 * held for the daemon's life. A lock won on a pidfile that its owner
 * unlinked meanwhile (a daemon stopping) is no lock: retried on the file
 * now at the path. */
int sg_pidfile_lock(const char *iface)
{
	char path[PATH_MAX], buf[32];
	struct stat fst, pst;
	FILE *f;
	int fd, n;

	sg_pidfile_path(path, sizeof(path), iface, true);
	if (sg_mkdir_p(path, 0755))
		return sg_err_errno("cannot create %s", path);
	sg_pidfile_path(path, sizeof(path), iface, false);
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return sg_err_errno("cannot open %s", path);
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			ssize_t r = read(fd, buf, sizeof(buf) - 1);

			buf[r > 0 ? r : 0] = 0;
			sg_err("synguardd already runs on %s (pid %d)", iface, atoi(buf));
			close(fd);
			return -EBUSY;
		}
		if (!fstat(fd, &fst) && !stat(path, &pst) && fst.st_ino == pst.st_ino &&
		    fst.st_dev == pst.st_dev)
			break;
		close(fd);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		int ret = sg_err_errno("cannot write %s", path);

		close(fd);
		return ret;
	}
	/* beside it, the build: synguard status tells a daemon of another one */
	sg_versionfile_path(path, sizeof(path), iface);
	f = fopen(path, "we");
	if (!f || fprintf(f, "%s %s\n", sg_version, sg_build_id) < 0)
		sg_log("warning: cannot write %s: %s", path, strerror(errno));
	if (f)
		fclose(f);
	return fd;
}

/* The pin directory's flock, held as long as the pidfile's: two daemons
 * never share pins, not even from two network namespaces that each have
 * an interface of that name (the second would take over the first's
 * links). fd, or -1 with one line. */
static int sg_pins_lock(const struct sg_pins *p)
{
	int fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat fst, pst;

	if (fd < 0)
		return sg_err_errno("cannot open %s", p->dir);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		sg_err("the pins in %s are held by a running synguardd (on an interface of that name in another network namespace?): stop it there, or give each namespace its own bpffs (--bpffs DIR)",
		       p->dir);
		close(fd);
		return -EBUSY;
	}
	/* a directory its stopping owner removed meanwhile is no lock */
	if (fstat(fd, &fst) || stat(p->dir, &pst) || fst.st_ino != pst.st_ino) {
		sg_err("%s was removed by a synguardd stopping meanwhile: start again", p->dir);
		close(fd);
		return -ENOENT;
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
	char path[PATH_MAX];
	__u32 n;
	int fd;

	if (sg_pin_path(path, sizeof(path), p, name))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	n = sg_map_max_entries(fd);
	close(fd);
	return n;
}

static __u32 sg_fd_prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The name of a program by id, "" when it is gone. */
static void sg_prog_name(__u32 id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = 0;
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	close(fd);
}

/* An XDP program of synguard's attached to ifindex with no pin naming it
 * (a detach that removed the pins only, a bpffs unmounted or cleared):
 * recognised by its name, sg_xdp, so that it is taken over, not taken
 * for another tool's. Its fd, or -ENOENT (none) or -errno. */
static int sg_xdp_orphan(int ifindex, const char *iface)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[BPF_OBJ_NAME_LEN];
	__u32 id;

	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!id)
		return -ENOENT;
	sg_prog_name(id, name);
	if (strcmp(name, "sg_xdp"))
		return -ENOENT;
	sg_log("%s: found synguard's XDP program attached with no pin (id %u)", iface, id);
	return bpf_prog_get_fd_by_id(id);
}

/* struct bpf_link_info as far as a tcx link's device: Debian's uapi
 * headers predate tcx (kernel 6.6), the kernel fills this layout in. */
struct sg_tcx_link_info {
	__u32 type, id, prog_id, pad;
	__u32 ifindex, attach_type; /* 0 once the device went away */
	__u8 rest[48];
};
#define SG_LINK_TYPE_TCX 11

static int sg_tcx_info(int fd, struct sg_tcx_link_info *li)
{
	__u32 len = sizeof(*li);

	memset(li, 0, sizeof(*li));
	if (bpf_obj_get_info_by_fd(fd, li, &len))
		return -errno;
	return li->type == SG_LINK_TYPE_TCX ? 0 : -EINVAL;
}

enum sg_where { SG_GONE, SG_HERE, SG_ELSEWHERE };

/* Where a pinned tcx link is attached: to ifindex here, to a device
 * elsewhere (another namespace, or another interface), or nowhere. */
static enum sg_where sg_tcx_where(int fd, int ifindex, int dir, __u32 *link_ifindex)
{
	struct sg_tcx_link_info li;

	*link_ifindex = 0;
	if (sg_tcx_info(fd, &li) || !li.ifindex)
		return SG_GONE;
	*link_ifindex = li.ifindex;
	return ifindex && sg_tcx_has_prog(ifindex, dir, li.prog_id) ? SG_HERE : SG_ELSEWHERE;
}

/* True when a pinned tcx link of p is attached to a device that is not
 * ifindex of this namespace (*dir, *lif: which, and its ifindex there).
 * Otherwise *dir is the last direction with a pinned link, or -1. */
static bool sg_pins_elsewhere(const struct sg_pins *p, int ifindex, int *dir, __u32 *lif)
{
	char path[PATH_MAX];

	*dir = -1;
	for (int i = 0; i < 2; i++) {
		int fd = sg_pin_path(path, sizeof(path), p, sg_tc_pins[i]) ? -1 : bpf_obj_get(path);
		enum sg_where w;

		if (fd < 0)
			continue;
		*dir = i;
		w = sg_tcx_where(fd, ifindex, i, lif);
		close(fd);
		if (w == SG_ELSEWHERE)
			return true;
	}
	return false;
}

/* The pins name programs attached to a device of another namespace (the
 * interface was moved there, or that namespace's daemon kept them):
 * taking them over would take that device's protection. -1, and one
 * line if say. */
static int sg_daemon_pins_elsewhere(struct sg_daemon *d, bool say)
{
	__u32 lif;
	int dir;

	if (!sg_pins_elsewhere(&d->pins, d->ifindex, &dir, &lif))
		return 0;
	if (say)
		sg_err("%s: the pins in %s are of synguard's programs attached to ifindex %u of another network namespace (tcx %s): detach them there (nsenter --net=/run/netns/NAME synguard detach -i %s), or use --bpffs DIR",
		       d->o.iface, d->pins.dir, lif, sg_tc_names[dir], d->o.iface);
	return -EBUSY;
}

/* ---- attach / detach ------------------------------------------------------------ */
static int sg_xdp_wrap(struct sg_daemon *d, int fd)
{
	int err;

	d->xdp = xdp_program__from_fd(fd);
	err = (int)libxdp_get_error(d->xdp);
	if (err) {
		d->xdp = NULL;
		sg_err("libxdp cannot use the XDP program: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* Detach our XDP program old (id oid) that no daemon holds, through
 * libxdp (which knows its dispatcher); true when it went. */
static bool sg_xdp_detach_left(int ifindex, const char *iface, int old, __u32 oid, __u8 attach_mode)
{
	struct xdp_program *op = xdp_program__from_fd(old);
	enum xdp_attach_mode m = attach_mode == XDP_ATTACHED_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	bool gone = false;

	if (libxdp_get_error(op))
		return false;
	if (!xdp_program__detach(op, ifindex, m, 0)) {
		sg_log("%s: detached the XDP program left attached (id %u)", iface, oid);
		gone = true;
	}
	xdp_program__close(op);
	return gone;
}

/* The XDP program of ours that --keep-attached or a crash left behind
 * (pinned as prog_xdp). Attached alone, it is swapped for fd in one
 * netlink call, so no packet meets the interface without a program: 1.
 * Under a libxdp dispatcher (or when the swap fails) it is detached: 0,
 * and the caller attaches fd. -errno after one line. */
static int sg_takeover_xdp(struct sg_daemon *d, int fd, const char *path)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int old = bpf_obj_get(path);
	__u32 oid;

	/* the pin goes only once the program it names is swapped out or
	 * detached (sg_xdp_pin): a failure here leaves nothing unnamed */
	if (old < 0)
		old = sg_xdp_orphan(d->ifindex, d->o.iface);
	if (old < 0)
		return 0;
	oid = sg_fd_prog_id(old);
	if (bpf_xdp_query(d->ifindex, 0, &q) || !oid) {
		close(old);
		return 0;
	}
	if (q.prog_id == oid &&
	    (q.attach_mode == XDP_ATTACHED_DRV || q.attach_mode == XDP_ATTACHED_SKB)) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = old);
		bool skb = q.attach_mode == XDP_ATTACHED_SKB;
		int err;

		if (!bpf_xdp_attach(d->ifindex, fd,
				    XDP_FLAGS_REPLACE |
					    (skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE),
				    &ao)) {
			d->xdp_mode = skb ? XDP_MODE_SKB : XDP_MODE_NATIVE;
			sg_log("%s: replaced the XDP program left attached (id %u) in place",
			       d->o.iface, oid);
			close(old);
			err = sg_xdp_wrap(d, fd);
			return err ? err : 1;
		}
		sg_log("warning: cannot swap the XDP program left attached (id %u): %s; re-attaching",
		       oid, strerror(errno));
	}
	if ((q.prog_id == oid || q.attach_mode == XDP_ATTACHED_MULTI) &&
	    !sg_xdp_detach_left(d->ifindex, d->o.iface, old, oid, q.attach_mode) &&
	    q.prog_id == oid) {
		sg_err("%s: cannot detach the XDP program left attached (id %u): see ip link show %s",
		       d->o.iface, oid, d->o.iface);
		close(old);
		return -EBUSY;
	}
	close(old);
	return 0;
}

/* Pinned under a temporary name, then renamed over the old pin in one
 * step: prog_xdp always names an attached program, ours or the one
 * before it. */
static void sg_xdp_pin(struct sg_daemon *d, const char *path)
{
	char tmp[PATH_MAX];

	if (sg_pin_path(tmp, sizeof(tmp), &d->pins, "prog_xdp_new"))
		return;
	unlink(tmp);
	if (bpf_program__pin(d->skel->progs.sg_xdp, tmp) || rename(tmp, path)) {
		sg_log("warning: cannot pin %s: %s", path, strerror(errno));
		unlink(tmp);
	}
}

static int sg_attach_xdp(struct sg_daemon *d)
{
	int fd = bpf_program__fd(d->skel->progs.sg_xdp);
	char path[PATH_MAX];
	int err;

	err = sg_pin_path(path, sizeof(path), &d->pins, "prog_xdp");
	if (err)
		return err;
	err = sg_takeover_xdp(d, fd, path);
	if (err < 0)
		return err;
	if (err > 0)
		goto pin;

	err = sg_xdp_wrap(d, fd);
	if (err)
		return err;
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
		sg_err("cannot attach XDP to %s: %s (see ip link show %s)", d->o.iface,
		       strerror(-err), d->o.iface);
	}
	if (err) {
		xdp_program__close(d->xdp);
		d->xdp = NULL;
		return err;
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
pin:
	sg_xdp_pin(d, path);
	return 0;
}

static void sg_detach_xdp(struct sg_daemon *d)
{
	int err;

	if (!d->xdp)
		return;
	err = xdp_program__detach(d->xdp, d->ifindex, d->xdp_mode, 0);
	if (err)
		sg_log("warning: cannot detach XDP from %s: %s", d->o.iface, strerror(-err));
	xdp_program__close(d->xdp);
	d->xdp = NULL;
}

static int sg_attach_tc(struct sg_daemon *d, int dir, struct bpf_program *prog)
{
	int prog_fd = bpf_program__fd(prog);
	char path[PATH_MAX];
	int fd, err;

	err = sg_pin_path(path, sizeof(path), &d->pins, sg_tc_pins[dir]);
	if (err)
		return err;
	/* a link left by --keep-attached: swap the program in atomically
	 * (one whose device went away is dropped, it filters nothing) */
	fd = bpf_obj_get(path);
	if (fd >= 0 && sg_tcx_where(fd, d->ifindex, dir, &(__u32){ 0 }) == SG_GONE) {
		close(fd);
		unlink(path);
		fd = -1;
	}
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

	fd = bpf_link_create(prog_fd, d->ifindex, dir ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, NULL);
	if (fd >= 0) {
		if (bpf_obj_pin(fd, path))
			sg_log("warning: cannot pin %s: %s", path, strerror(errno));
		d->tc_link_fd[dir] = fd;
		return 0;
	}
	sg_log("warning: tcx %s attach on %s failed (%s); using a clsact filter", sg_tc_names[dir],
	       d->o.iface, strerror(errno));
	{
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = 0x5347, .priority = 1);

		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST) {
			sg_err("cannot create clsact on %s: %s", d->o.iface, strerror(-err));
			return err;
		}
		opts.flags = BPF_TC_F_REPLACE;
		err = bpf_tc_attach(&hook, &opts);
		if (err) {
			sg_err("cannot attach TC %s on %s: %s", sg_tc_names[dir], d->o.iface,
			       strerror(-err));
			return err;
		}
	}
	d->tc_clsact[dir] = true;
	return 0;
}

static void sg_tc_link_drop(int fd, int dir)
{
	if (bpf_link_detach(fd))
		sg_log("warning: cannot detach the tcx %s link: %s", sg_tc_names[dir],
		       strerror(errno));
	close(fd);
}

/* the fallback's clsact filter, ours by handle and priority */
static void sg_tc_clsact_drop(int ifindex, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 0x5347, .priority = 1);

	/* detach looks for one without knowing: its absence is no error */
	sg_libbpf_hush = true;
	bpf_tc_detach(&hook, &opts);
	sg_libbpf_hush = false;
}

static void sg_detach_tc(struct sg_daemon *d, int dir)
{
	if (d->tc_link_fd[dir] >= 0) {
		sg_tc_link_drop(d->tc_link_fd[dir], dir);
		d->tc_link_fd[dir] = -1;
		sg_pin_unlink(&d->pins, sg_tc_pins[dir]);
	}
	if (d->tc_clsact[dir]) {
		sg_tc_clsact_drop(d->ifindex, dir);
		d->tc_clsact[dir] = false;
	}
}

/* ---- the cookie secrets across a plain stop ------------------------------------------- */
/* A stop without keep_attached pins the secrets map apart, as
 * BPFFS/synguard-kept/IFACE (bpffs refuses dots in names), and the next
 * synguardd on the interface makes it its own: the ACKs of SYN-ACKs the
 * previous daemon sent are accepted. `synguard detach` removes it. */
static int sg_kept_secrets_path(char *buf, size_t n, const struct sg_pins *p, bool dir)
{
	int len = snprintf(buf, n, "%s/%s%s%s", p->bpffs, SG_KEPT_SUBDIR, dir ? "" : "/",
			   dir ? "" : p->iface);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

void sg_daemon_keep_secrets(struct sg_daemon *d)
{
	char path[PATH_MAX];

	if (sg_kept_secrets_path(path, sizeof(path), &d->pins, true) || sg_mkdir_p(path, 0700) ||
	    sg_kept_secrets_path(path, sizeof(path), &d->pins, false)) {
		sg_log("warning: cannot keep the cookie secrets in %s: %s", path, strerror(errno));
		return;
	}
	unlink(path);
	if (bpf_obj_pin(d->pins.secrets_fd, path))
		sg_log("warning: cannot keep the cookie secrets in %s: %s", path, strerror(errno));
	else
		sg_log("%s: cookie secrets kept in %s for the next synguardd (synguard detach -i %s removes them)",
		       d->o.iface, path, d->o.iface);
}

void sg_kept_secrets_drop(const struct sg_pins *p)
{
	char path[PATH_MAX];

	if (!sg_kept_secrets_path(path, sizeof(path), p, false))
		unlink(path);
	if (!sg_kept_secrets_path(path, sizeof(path), p, true))
		rmdir(path); /* only when no other interface's are left */
}

/* Only a map of this build's layout is taken; otherwise fresh secrets. */
static void sg_kept_secrets_adopt(struct sg_daemon *d)
{
	struct bpf_map *m = d->skel->maps.sg_secrets;
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	char path[PATH_MAX];
	int fd;

	if (d->reused || sg_kept_secrets_path(path, sizeof(path), &d->pins, false))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len) || mi.type != bpf_map__type(m) ||
	    mi.key_size != bpf_map__key_size(m) || mi.value_size != bpf_map__value_size(m) ||
	    mi.max_entries != bpf_map__max_entries(m) || mi.map_flags != bpf_map__map_flags(m))
		sg_log("%s: the kept cookie secrets in %s are of another build: new ones are made",
		       d->o.iface, path);
	else if (!bpf_map__reuse_fd(m, fd))
		d->secrets_kept = true;
	close(fd);
}

/* libbpf fills the object's CONFIG_HZ (bpf/conntrack.h) from the kernel's
 * config, and refuses to load the object at all when it finds none to read:
 * a container without the host's /boot, on a kernel without
 * /proc/config.gz. Where neither file opens, the object gets this instead,
 * and the tracker keeps its fixed timeouts. */
#define SG_KCONFIG_NO_HZ "CONFIG_HZ=0\n"

static bool sg_kconfig_readable(void)
{
	char path[sizeof("/boot/config-") + sizeof(((struct utsname *)0)->release)];
	struct utsname u;
	int fd = -1;

	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		fd = open("/proc/config.gz", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Open and load the object, with kconfig for libbpf (NULL: the kernel's
 * own config). Its maps re-use the pins in d->pins.dir, or, with unpinned,
 * none: they are made new and *unpinned marks which to pin (sg_maps_repin)
 * once they loaded. 0 or -errno. */
static int sg_skel_load(struct sg_daemon *d, const char *kconfig, __u64 *unpinned)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = d->pins.dir, .kconfig = kconfig);
	struct bpf_map *m;
	int i = 0;

	d->skel = synguard_bpf__open_opts(&oo);
	if (!d->skel) {
		int e = -errno;

		sg_err("cannot open the BPF object: %s", strerror(-e));
		return e;
	}
	bpf_map__set_max_entries(d->skel->maps.sg_ct_synced, d->ct_size);
	bpf_map__set_max_entries(d->skel->maps.sg_ct_embryonic, d->emb_size);
	bpf_map__set_max_entries(d->skel->maps.sg_ct_bits, sg_bits_entries(d->ct_size));
	if (!unpinned)
		sg_kept_secrets_adopt(d);
	bpf_object__for_each_map(m, d->skel->obj)
	{
		if (unpinned && i < 64 && bpf_map__pin_path(m)) {
			*unpinned |= 1ULL << i;
			bpf_map__set_pin_path(m, NULL);
		}
		i++;
	}
	return synguard_bpf__load(d->skel) ? -errno : 0;
}

static int sg_maps_repin(struct sg_daemon *d, __u64 unpinned)
{
	struct bpf_map *m;
	char path[PATH_MAX];
	int i = 0;

	bpf_object__for_each_map(m, d->skel->obj)
	{
		if (i < 64 && (unpinned >> i & 1)) {
			if (sg_pin_path(path, sizeof(path), &d->pins, bpf_map__name(m)))
				return -ENAMETOOLONG;
			unlink(path);
			if (bpf_map__pin(m, path)) {
				int e = -errno;

				sg_err("cannot pin %s: %s", path, strerror(-e));
				return e;
			}
		}
		i++;
	}
	return 0;
}

/* ---- load, attach, detach, unpin ------------------------------------------------------ */
int sg_daemon_load(struct sg_daemon *d, const struct sg_settings *s, const struct sg_given *g)
{
	const struct sg_setting *cts = sg_setting_find("ct_size");
	const char *kconfig;
	__u32 pinned_synced, pinned_emb;
	char path[PATH_MAX];
	int err;

	err = sg_ensure_bpffs(d->o.bpffs);
	if (err)
		return err;
	sg_pins_init(&d->pins, d->o.bpffs, d->o.iface);
	if (sg_mkdir_p(d->pins.dir, 0700))
		return sg_err_errno("cannot create %s", d->pins.dir);
	if (!sg_pins_dir_safe(&d->pins)) {
		sg_err("%s is not a directory of synguard's (a symlink?): remove it, or use --bpffs",
		       d->pins.dir);
		return -ENOTDIR;
	}
	d->pins_lock_fd = sg_pins_lock(&d->pins);
	if (d->pins_lock_fd < 0)
		return d->pins_lock_fd;
	err = sg_daemon_pins_elsewhere(d, true);
	if (err)
		return err;
	if (sg_pin_exists(&d->pins, "link_tc_ingress") || sg_pin_exists(&d->pins, "prog_xdp"))
		sg_log("%s: found attachments of a synguardd that is gone; taking them over",
		       d->o.iface);

	/* table sizes are fixed once pinned: protection comes back after a
	 * crash even when the config asks for another size */
	pinned_synced = sg_pinned_max_entries(&d->pins, "sg_ct_synced");
	pinned_emb = sg_pinned_max_entries(&d->pins, "sg_ct_embryonic");
	d->ct_size = s->d.ct_size;
	if (pinned_synced && pinned_synced != d->ct_size) {
		if (g->line[cts - sg_settings_table])
			sg_log("warning: ct_size %u ignored: the pinned tables in %s hold %u connections (to resize: stop synguardd, synguard detach -i %s, start it)",
			       d->ct_size, d->pins.dir, pinned_synced, d->o.iface);
		d->ct_size = pinned_synced;
	}
	d->emb_size = pinned_emb ? pinned_emb : (d->ct_size / 4 > 1024 ? d->ct_size / 4 : 1024);
	d->reused = sg_pin_exists(&d->pins, "sg_config");

	kconfig = sg_kconfig_readable() ? NULL : SG_KCONFIG_NO_HZ;
	if (kconfig)
		sg_log("%s: no kernel config to read (/boot/config-RELEASE, /proc/config.gz): TIME_WAIT and SYN_RCVD entries expire at their fixed timeouts, not when the kernel's timer fires (give synguardd the host's /boot to fix)",
		       d->o.iface);
	/* libbpf's complaints about pins of another build: not errors here */
	sg_libbpf_hush = d->reused;
	err = sg_skel_load(d, kconfig, NULL);
	sg_libbpf_hush = false;
	if (err && d->reused) {
		__u64 pinned = 0;

		/* pins of another build: fresh maps, pinned once they load;
		 * the attachments left are still swapped in place */
		synguard_bpf__destroy(d->skel);
		err = sg_skel_load(d, kconfig, &pinned);
		if (!err)
			err = sg_maps_repin(d, pinned);
		if (!err) {
			d->maps_reset = true;
			sg_log("%s: the maps pinned in %s are of another build: replaced by new ones (tracked connections, counters, settings and secrets start afresh)",
			       d->o.iface, d->pins.dir);
		}
	}
	if (err) {
		sg_err("cannot load the BPF programs: %s (run with -v for the verifier log)",
		       strerror(-err));
		return err;
	}
	err = sg_pin_path(path, sizeof(path), &d->pins, "prog_walk");
	if (err)
		return err;
	unlink(path);
	if (bpf_program__pin(d->skel->progs.sg_walk, path))
		return sg_err_errno("cannot pin %s", path);
	return sg_pins_open(&d->pins);
}

int sg_daemon_attach(struct sg_daemon *d)
{
	struct bpf_program *eg;
	int err;

	/* TC first: an ACK of the first cookie XDP sends needs TC ingress
	 * there to make its socket (detach goes the other way) */
	err = sg_attach_tc(d, 0, d->skel->progs.sg_tc_ingress);
	if (err)
		return err;
	eg = bpf_object__find_program_by_name(d->skel->obj, "sg_tc_egress");
	if (eg && (err = sg_attach_tc(d, 1, eg)))
		return err;
	err = sg_attach_xdp(d);
	if (err)
		return err;
	sg_log("%s: attached XDP (%s), TC ingress (%s)%s%s%s, ct %u+%u", d->o.iface,
	       d->xdp_mode == XDP_MODE_SKB ? "skb" : "native", d->tc_clsact[0] ? "clsact" : "tcx",
	       eg ? ", TC egress (" : "", eg ? (d->tc_clsact[1] ? "clsact" : "tcx") : "",
	       eg ? ")" : "", d->ct_size, d->emb_size);
	return 0;
}

void sg_daemon_detach(struct sg_daemon *d)
{
	sg_detach_xdp(d);
	sg_detach_tc(d, 0);
	sg_detach_tc(d, 1);
}

/* The interface went away with our programs: they are gone from it, the
 * kernel emptied the tcx links. What we held is let go of, not detached;
 * the pins stay for the re-attach (which swaps or replaces them). */
static void sg_daemon_let_go(struct sg_daemon *d)
{
	if (d->xdp)
		xdp_program__close(d->xdp);
	d->xdp = NULL;
	for (int dir = 0; dir < 2; dir++) {
		if (d->tc_link_fd[dir] >= 0)
			close(d->tc_link_fd[dir]);
		d->tc_link_fd[dir] = -1;
		d->tc_clsact[dir] = false;
	}
	d->attached = false;
}

/* A device gone from this namespace still carries our tcx ingress link
 * when it was moved to another one, not deleted (and keeps its XDP
 * program: a move does not detach it). */
static bool sg_daemon_moved_away(struct sg_daemon *d)
{
	struct sg_tcx_link_info li;

	return d->tc_link_fd[0] >= 0 && !sg_tcx_info(d->tc_link_fd[0], &li) && li.ifindex;
}

/* Once a second: is IFACE still the device we attached to? Synguard
 * follows the name, as the operator gave it (-i, synguardd@IFACE): a
 * device deleted, or renamed away, is left (a renamed one detached, so
 * nothing of ours stays on a device we no longer name), and whatever
 * device next carries the name is attached, the way a start would. */
void sg_daemon_watch_iface(struct sg_daemon *d)
{
	char name[IF_NAMESIZE];
	int now = (int)if_nametoindex(d->o.iface);

	if (d->attached && now == d->ifindex)
		return;
	if (d->attached && !if_indextoname((unsigned int)d->ifindex, name)) {
		d->moved_away = sg_daemon_moved_away(d);
		if (d->moved_away)
			sg_log("%s: the interface moved to another network namespace with synguard's programs, which go on protecting it there (its pins stay: synguard detach -i %s there removes them); waiting for an interface of that name here",
			       d->o.iface, d->o.iface);
		else
			sg_log("%s: the interface went away (ifindex %d): not protected until an interface of that name is back, then re-attached",
			       d->o.iface, d->ifindex);
		sg_daemon_let_go(d);
	} else if (d->attached) {
		sg_log("%s: the interface was renamed to %s: detached from it (synguard follows the name %s, not the device); re-attached when an interface is named %s again",
		       d->o.iface, name, d->o.iface, d->o.iface);
		sg_daemon_detach(d);
		d->attached = false;
	}
	if (!now)
		return;
	d->ifindex = now;
	if (sg_daemon_pins_elsewhere(d, !d->reattach_failed) || sg_daemon_attach(d)) {
		if (!d->reattach_failed)
			sg_log("%s: cannot attach to the interface that is back (ifindex %d): retrying every second",
			       d->o.iface, now);
		d->reattach_failed = true;
		sg_daemon_let_go(d);
		return;
	}
	d->attached = true;
	d->reattach_failed = d->moved_away = false;
	sg_log("%s: the interface is back (ifindex %d): protected again", d->o.iface, now);
}

/* Every pin in the interface's directory, then the directories once
 * empty (synguard/ holds the other interfaces' and the kept secrets).
 * Nothing is removed unless the directory really is synguard's: -1. */
static int sg_pins_remove(const struct sg_pins *p)
{
	char path[PATH_MAX + 16];
	struct dirent *de;
	DIR *dir;

	if (!sg_pins_dir_safe(p)) {
		sg_err("%s is not a directory of synguard's (a symlink?): nothing removed; look at it with ls -la",
		       p->dir);
		return -ENOTDIR;
	}
	dir = opendir(p->dir);
	while (dir && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			sg_pin_unlink(p, de->d_name);
	if (dir)
		closedir(dir);
	if (rmdir(p->dir) && errno != ENOENT)
		sg_log("warning: cannot remove %s: %s", p->dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", p->bpffs, SG_PIN_SUBDIR);
	rmdir(path);
	return 0;
}

void sg_daemon_unpin(struct sg_daemon *d)
{
	sg_pins_remove(&d->pins);
}

void sg_daemon_unload(struct sg_daemon *d)
{
	sg_pins_close(&d->pins);
	synguard_bpf__destroy(d->skel);
	d->skel = NULL;
	if (d->pins_lock_fd >= 0)
		close(d->pins_lock_fd);
	d->pins_lock_fd = -1;
	if (d->pid_fd >= 0)
		close(d->pid_fd);
	d->pid_fd = -1;
}

/* ---- synguard detach ---------------------------------------------------------------------- */
struct sg_detach {
	struct sg_pins p;
	const char *iface;
	int ifindex; /* in this network namespace; 0: not here */
	int n;       /* attachments detached */
	bool failed; /* one could not be: every pin stays */
};

/* The pins of programs that cannot be detached from here must stay:
 * refused (one line, true) when a pinned tcx link is attached to a
 * device that is not this namespace's IFACE, or when the interface is
 * not here and no tcx link says where the pinned XDP program is. */
static bool sg_detach_refused(struct sg_detach *x)
{
	int dir;
	__u32 lif;

	if (sg_pins_elsewhere(&x->p, x->ifindex, &dir, &lif)) {
		sg_err("%s: synguard's tcx %s link is attached to ifindex %u of another network namespace: nothing detached or removed; run this there (nsenter --net=/run/netns/NAME synguard detach -i %s)",
		       x->iface, sg_tc_names[dir], lif, x->iface);
		return true;
	}
	if (!x->ifindex && dir < 0 && sg_pin_exists(&x->p, "prog_xdp")) {
		sg_err("%s is not in this network namespace and nothing says where synguard's XDP program is: nothing removed; run this in its namespace (nsenter --net=/run/netns/NAME synguard detach -i %s), or if it is gone, rm -r %s",
		       x->iface, x->iface, x->p.dir);
		return true;
	}
	return false;
}

/* XDP first (no more cookies sent): the pinned program, or one of ours
 * attached with no pin. (A tcx link has no such orphan: with its last
 * pin and fd gone, the kernel detaches it.) */
static void sg_detach_xdp_left(struct sg_detach *x)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char path[PATH_MAX];
	int old = sg_pin_path(path, sizeof(path), &x->p, "prog_xdp") ? -1 : bpf_obj_get(path);
	__u32 oid;

	if (old < 0 && x->ifindex)
		old = sg_xdp_orphan(x->ifindex, x->iface);
	if (old < 0 || !x->ifindex) {
		if (old >= 0)
			close(old);
		return;
	}
	oid = sg_fd_prog_id(old);
	if (oid && !bpf_xdp_query(x->ifindex, 0, &q) &&
	    (q.prog_id == oid || q.attach_mode == XDP_ATTACHED_MULTI)) {
		if (sg_xdp_detach_left(x->ifindex, x->iface, old, oid, q.attach_mode)) {
			x->n++;
		} else if (q.prog_id == oid) {
			sg_err("%s: cannot detach synguard's XDP program (id %u): nothing removed; see ip link show %s",
			       x->iface, oid, x->iface);
			x->failed = true;
		}
	} else if (oid && q.prog_id) {
		sg_log("%s: the XDP program attached (id %u) is not synguard's: left alone",
		       x->iface, q.prog_id);
	}
	close(old);
}

/* Then TC (the ACKs of cookies in flight meet the kernel now). */
static void sg_detach_tc_left(struct sg_detach *x, int dir)
{
	char path[PATH_MAX];
	int fd = sg_pin_path(path, sizeof(path), &x->p, sg_tc_pins[dir]) ? -1 : bpf_obj_get(path);
	__u32 lif;

	if (fd >= 0 && sg_tcx_where(fd, x->ifindex, dir, &lif) == SG_HERE) {
		if (bpf_link_detach(fd)) {
			sg_err("%s: cannot detach synguard's tcx %s link: %s; nothing removed",
			       x->iface, sg_tc_names[dir], strerror(errno));
			x->failed = true;
		} else {
			sg_log("%s: detached the tcx %s link", x->iface, sg_tc_names[dir]);
			x->n++;
		}
	}
	if (fd >= 0)
		close(fd);
	if (x->ifindex)
		sg_tc_clsact_drop(x->ifindex, dir);
}

/* What keep_attached, a crash or a plain stop left on iface, removed in
 * the daemon's order: XDP, TC, then every pin and the kept secrets; the
 * pins only once everything they name is detached. Refused while a
 * synguardd runs there (the pidfile's and the pins' locks are held while
 * detaching, so none starts meanwhile). */
int sg_detach_iface(const char *bpffs, const char *iface)
{
	struct sg_detach x = { .iface = iface, .ifindex = (int)if_nametoindex(iface) };
	char path[PATH_MAX], kept[PATH_MAX];
	int pid = sg_daemon_pid(iface), lock, pins_lock, ret = SG_EXIT_FAIL;
	bool have_dir, have_kept;
	struct stat st;

	if (pid > 0) {
		sg_err("synguardd runs on %s (pid %d): stop it (SIGTERM detaches; systemctl stop synguardd@%s), then detach what it keeps",
		       iface, pid, iface);
		return SG_EXIT_FAIL;
	}
	sg_pins_init(&x.p, bpffs, iface);
	have_dir = !stat(x.p.dir, &st) && S_ISDIR(st.st_mode);
	have_kept = !sg_kept_secrets_path(kept, sizeof(kept), &x.p, false) && !access(kept, F_OK);
	if (!have_dir && !have_kept) {
		sg_err("nothing of synguard on %s: no pins in %s", iface, x.p.dir);
		return SG_EXIT_FAIL;
	}
	if (have_dir && !sg_pins_dir_safe(&x.p)) {
		sg_err("%s is not a directory of synguard's (a symlink?): nothing detached or removed; look at it with ls -la",
		       x.p.dir);
		return SG_EXIT_FAIL;
	}
	lock = sg_pidfile_lock(iface);
	if (lock < 0)
		return SG_EXIT_FAIL;
	pins_lock = have_dir ? sg_pins_lock(&x.p) : -1;
	if (have_dir && (pins_lock < 0 || sg_detach_refused(&x)))
		goto out;
	if (!x.ifindex && have_dir)
		sg_log("%s: the interface is gone (its tcx links say so): removing the pins",
		       iface);
	sg_detach_xdp_left(&x);
	for (int dir = 0; dir < 2 && !x.failed; dir++)
		sg_detach_tc_left(&x, dir);
	if (x.failed || (have_dir && sg_pins_remove(&x.p)))
		goto out;
	sg_kept_secrets_drop(&x.p);
	printf("%s: detached (%d attachment%s), pins removed%s\n", iface, x.n, x.n == 1 ? "" : "s",
	       have_kept ? ", kept cookie secrets too" : "");
	ret = SG_EXIT_OK;
out:
	sg_pidfile_path(path, sizeof(path), iface, false);
	unlink(path);
	sg_versionfile_path(path, sizeof(path), iface);
	unlink(path);
	close(lock);
	if (pins_lock >= 0)
		close(pins_lock);
	return ret;
}
