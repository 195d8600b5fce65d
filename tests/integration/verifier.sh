#!/usr/bin/env bash
# Verifier portability: every BPF object builds with Debian's clang 14 and
# with the clang the Makefile uses, and every program in it loads on this
# kernel (bpftool prog loadall runs the verifier on each). Each load runs in
# a mount namespace of its own with a fresh bpffs on /sys/fs/bpf: bpftool
# pins maps marked pin-by-name there, and pins left by an earlier run (of
# another map layout) would be refused as a mismatch.
set -u
ROOT=${SG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
work=$(mktemp -d /tmp/sg-verifier.XXXXXX)
trap 'rm -rf "$work"' EXIT
main_clang=$(sed -n 's/^CLANG *?= *//p' Makefile)
flags="-g -O2 -target bpf -D__TARGET_ARCH_$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/') -Wall -Werror -Ibuild -Iinclude -Ibpf"

for cc in clang-14 "$main_clang"; do
	if ! command -v "$cc" >/dev/null; then
		echo "not ok - verifier: $cc is not installed (make deps installs it)"
		continue
	fi
	for src in bpf/*.bpf.c tests/bench/*.bpf.c tests/tools/*.bpf.c; do
		name=$(basename "$src" .bpf.c)
		obj=$work/$cc-$name.o
		if ! $cc $flags -c "$src" -o "$obj" 2>"$work/err"; then
			echo "not ok - verifier: $cc compiles $name: $(head -1 "$work/err")"
			continue
		fi
		if progs=$(unshare -m --propagation private sh -c \
			'mount -t bpf bpf /sys/fs/bpf && bpftool prog loadall "$1" /sys/fs/bpf/p && ls /sys/fs/bpf/p' \
			sh "$obj" 2>"$work/err" | tr '\n' ' '); [ -n "$progs" ]; then
			echo "ok - verifier: $cc build of $name loads on $(uname -r) (${progs% })"
		else
			echo "not ok - verifier: $cc build of $name rejected: $(grep -v '^libbpf: elf' "$work/err" | tail -3 | tr '\n' ' ')"
		fi
	done
done
