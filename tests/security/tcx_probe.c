// SPDX-License-Identifier: GPL-2.0
/* Loader of the test-only tcx program tcx_probe.bpf.o (see there).
 *
 *   tcx_probe attach OBJ IFACE ingress|egress first|last DIR
 *       attach it at the head (first) or the tail (last) of IFACE's tcx
 *       chain; its link and map are pinned in DIR (a bpffs directory it
 *       makes): removing DIR detaches it.
 *   tcx_probe show DIR           prints "TCP DROPPED"
 *   tcx_probe drop DIR PORT N    drop the next N pure ACKs to PORT
 *
 * Exit status 0, or 1 with one line on stderr. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Debian's libbpf 1.1 predates tcx: the kernel's numbers */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#define BPF_F_AFTER (1U << 4)
#endif

struct probe {
	__u64 tcp, dropped;
	__u32 drop_port, drop_left;
};

static int die(const char *what, int err)
{
	fprintf(stderr, "tcx_probe: %s: %s\n", what, strerror(err));
	return 1;
}

static int attach(const char *obj_path, const char *iface, const char *dir, const char *where,
		  const char *pin)
{
	LIBBPF_OPTS(bpf_link_create_opts, o);
	struct bpf_object *obj;
	struct bpf_program *prog;
	char path[512];
	int ifindex = if_nametoindex(iface), link;

	if (!ifindex)
		return die(iface, errno);
	/* relative to nothing: the chain's very head or tail */
	o.flags = strcmp(where, "first") ? BPF_F_AFTER : BPF_F_BEFORE;
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj || bpf_object__load(obj))
		return die("load", errno);
	prog = bpf_object__find_program_by_name(obj, "tcx_probe");
	if (!prog)
		return die("no program tcx_probe", ENOENT);
	link = bpf_link_create(bpf_program__fd(prog), ifindex,
			       strcmp(dir, "egress") ? BPF_TCX_INGRESS : BPF_TCX_EGRESS, &o);
	if (link < 0)
		return die("attach", errno);
	if (mkdir(pin, 0700) && errno != EEXIST)
		return die(pin, errno);
	snprintf(path, sizeof(path), "%s/link", pin);
	if (bpf_obj_pin(link, path))
		return die(path, errno);
	snprintf(path, sizeof(path), "%s/probe", pin);
	if (bpf_map__pin(bpf_object__find_map_by_name(obj, "probe"), path))
		return die(path, errno);
	return 0;
}

static int with_map(const char *pin, struct probe *v, bool write)
{
	char path[512];
	__u32 zero = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/probe", pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return die(path, errno);
	if (write ? bpf_map_update_elem(fd, &zero, v, BPF_ANY) : bpf_map_lookup_elem(fd, &zero, v))
		return die(path, errno);
	return 0;
}

int main(int argc, char **argv)
{
	struct probe v;

	if (argc == 7 && !strcmp(argv[1], "attach"))
		return attach(argv[2], argv[3], argv[4], argv[5], argv[6]);
	if (argc == 3 && !strcmp(argv[1], "show")) {
		if (with_map(argv[2], &v, false))
			return 1;
		printf("%llu %llu\n", (unsigned long long)v.tcp, (unsigned long long)v.dropped);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "drop")) {
		if (with_map(argv[2], &v, false))
			return 1;
		v.drop_port = (__u32)atoi(argv[3]);
		v.drop_left = (__u32)atoi(argv[4]);
		return with_map(argv[2], &v, true);
	}
	fprintf(stderr, "usage: tcx_probe attach OBJ IFACE ingress|egress first|last DIR\n"
			"       tcx_probe show DIR | drop DIR PORT N\n");
	return 2;
}
