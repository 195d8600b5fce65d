# synguard — build, test, bench, demo, install.
# Debian 12: clang-19 for BPF, gcc for userspace, libbpf 1.1 + libxdp 1.3.

CLANG     ?= clang-19
BPFTOOL   ?= bpftool
# make's built-in CC is cc, so ?= would never apply: gcc unless CC was given
ifeq ($(origin CC),default)
CC        := gcc
endif
PREFIX    ?= /usr/local
DESTDIR   ?=
SYSCONFDIR ?= /etc
UNITDIR   ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
BUILD     := build
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

# Debian packages, by what needs them. A server that runs synguard needs
# only RUNTIME_PKGS (the .deb's Depends come from the libraries the
# binaries link: ${shlibs:Depends}); BUILD_PKGS build it, its man pages and
# its package; TEST_PKGS are the lab's tools (traffic generators, scapy,
# nftables, promtool and the server from the prometheus package, packaging and
# container tools for tests/packaging, matplotlib for docs/flood.png).
# make deps installs all three.
RUNTIME_PKGS := libbpf1 libxdp1 libjson-c5 libinih1 libmicrohttpd12
BUILD_PKGS := clang-19 llvm-19 bpftool libbpf-dev libxdp-dev libelf-dev zlib1g-dev \
              pkg-config libjson-c-dev libinih-dev libmicrohttpd-dev gcc groff-base \
              debhelper dpkg-dev
TEST_PKGS := clang-14 xdp-tools iproute2 ethtool netsniff-ng nftables python3-scapy \
             gnuplot-nox procps curl prometheus python3-prometheus-client time \
             libclang-rt-19-dev libfuzzer-19-dev bsdextrautils python3-markdown-it \
             python3-yaml python3-kubernetes lintian buildah podman runc bash-completion \
             python3-matplotlib clang-format-19
DEB_PKGS  := $(BUILD_PKGS) $(RUNTIME_PKGS) $(TEST_PKGS)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -I$(BUILD) -Iinclude -Ibpf
CFLAGS    ?= -O2 -g
CFLAGS    += -Wall -Wextra -Werror -std=gnu11 -I$(BUILD) -Iinclude -Iuser \
             $(shell pkg-config --cflags libbpf libxdp json-c 2>/dev/null)
LDLIBS    := $(shell pkg-config --libs libxdp libbpf json-c 2>/dev/null) \
             -linih -lmicrohttpd -lelf -lz -lm

# bpf/ is the product; the bench's programs (tests/bench) and the lab's
# pass program for XDP_TX peers (tests/tools) build beside it, in build/.
BPF_SRCS  := $(wildcard bpf/*.bpf.c tests/bench/*.bpf.c tests/tools/*.bpf.c)
BPF_OBJS  := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(notdir $(BPF_SRCS)))
SKELS     := $(patsubst %.bpf.c,$(BUILD)/%.skel.h,$(notdir $(BPF_SRCS)))
LIB_SRCS  := $(wildcard user/lib*.c)
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/%.o,$(LIB_SRCS)) $(BUILD)/sg_version.o
BINS      := $(BUILD)/synguardd $(BUILD)/synguard
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
# Test-only programs and their loaders (tests/security/*.bpf.c, *.c)
SEC_BPF_SRCS := $(wildcard tests/security/*.bpf.c)
SEC_BPF_OBJS := $(patsubst tests/security/%.bpf.c,$(BUILD)/security/%.bpf.o,$(SEC_BPF_SRCS))
SEC_SRCS  := $(filter-out $(SEC_BPF_SRCS),$(wildcard tests/security/*.c))
SEC_BINS  := $(patsubst tests/security/%.c,$(BUILD)/security/%,$(SEC_SRCS))
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard tests/bench/*.c))
BENCH_BIN := $(BUILD)/sg_bench
# The differential fuzzer: the data path built natively as the reference
# model (tests/fuzz/model.h), libFuzzer + ASan/UBSan, against the kernel's copy.
FUZZ_BIN  := $(BUILD)/fuzz/sg_fuzz
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
             -fno-sanitize=alignment,function
FUZZ_SECONDS ?= 600
# The man pages' settings lists are generated from the settings table
# (synguard help set prints it), so they cannot drift from the binaries.
MAN_PAGES := $(patsubst man/%.in,$(BUILD)/man/%,$(wildcard man/*.8.in))

.PHONY: all deps test bench demo install uninstall deb image clean fuzz lint format metrics-doc FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BPF_OBJS) $(BINS) $(MAN_PAGES) $(BUILD)/sg_metrics_list

# Installs only what is missing; quiet and idempotent. test, demo, bench
# and fuzz depend on a stamp named after the package list instead, so once
# the list is installed they do not even ask dpkg again; a changed list
# makes a new stamp name and checks again.
DEPS_STAMP := $(BUILD)/deps-$(shell echo '$(DEB_PKGS)' | cksum | cut -d' ' -f1).stamp
define deps_install
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$(echo $$missing | sed 's/^/ /')"; \
		{ apt-get update -qq -o DPkg::Lock::Timeout=600 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends $$missing; } >/tmp/synguard-deps.log 2>&1 \
		|| { tail -20 /tmp/synguard-deps.log; exit 1; }; \
	fi
	@mkdir -p $(BUILD) && rm -f $(BUILD)/deps-*.stamp && touch $(DEPS_STAMP)
endef

deps:
	$(deps_install)

$(DEPS_STAMP):
	$(deps_install)

$(BUILD):
	@mkdir -p $@

$(BUILD)/vmlinux.h: | $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/*.h) $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: tests/bench/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/*.h) $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: tests/tools/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/*.h) $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/%.o: user/%.c $(wildcard user/*.h) $(wildcard include/*.h) $(SKELS) | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The version (tools/version.sh: git describe, or the VERSION file) and the
# build id (the BPF object's sha256, so two builds of the same data path
# say so) that --version and synguard status print. Rewritten only when
# they change, so an unchanged tree relinks nothing.
$(BUILD)/sg_version.c: FORCE $(BUILD)/synguard.bpf.o
	@printf '/* Generated by the Makefile. */\n#include "libsg_util.h"\nconst char sg_version[] = "%s";\nconst char sg_build_id[] = "%.12s";\n' \
		"$$(tools/version.sh)" "$$(sha256sum $(BUILD)/synguard.bpf.o)" > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/sg_version.o: $(BUILD)/sg_version.c user/libsg_util.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The counters' help: the comments of the X-macro in include/synguard.h.
$(BUILD)/sg_counter_help.h: include/synguard.h tools/counter-help.py | $(BUILD)
	tools/counter-help.py $< > $@

$(BUILD)/libsg_metrics.o: $(BUILD)/sg_counter_help.h

$(BUILD)/libsynguard.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/synguardd $(BUILD)/synguard: $(BUILD)/%: $(BUILD)/%.o $(BUILD)/libsynguard.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Every counter's series and help, as the daemon exports them: the metrics
# lists of the man page and of docs/metrics.md are made from it.
$(BUILD)/sg_metrics_list: tools/sg_metrics_list.c $(BUILD)/libsynguard.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsynguard.a $(LDLIBS)

$(BUILD)/man/%.8: man/%.8.in tools/man-settings.py tools/man-synopsis.py tools/metrics-doc.py \
		$(BUILD)/synguard $(BUILD)/sg_metrics_list
	@mkdir -p $(@D)
	$(BUILD)/synguard help set > $@.settings
	$(BUILD)/sg_metrics_list > $@.metrics
	tools/man-settings.py $< < $@.settings | tools/man-synopsis.py $(BUILD)/synguard | \
		tools/metrics-doc.py man $@.metrics > $@
	@rm -f $@.settings $@.metrics

# docs/metrics.md's counter list, between its markers, from the same list;
# tests/docs/metrics.sh fails while the committed file differs from it.
metrics-doc: $(BUILD)/sg_metrics_list
	$(BUILD)/sg_metrics_list | tools/metrics-doc.py markdown docs/metrics.md

# One binary per tests/unit/test_*.c, each with the shared headers there.
$(BUILD)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(SKELS) $(BPF_OBJS) $(BUILD)/libsynguard.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libsynguard.a $(LDLIBS)

$(BUILD)/security/%.bpf.o: tests/security/%.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/security/%: tests/security/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BENCH_BIN): $(BENCH_SRCS) $(wildcard tests/bench/*.h) tests/unit/frame.h $(SKELS) $(BPF_OBJS) $(BUILD)/libsynguard.a
	$(CC) $(CFLAGS) -Itests/bench -Itests/unit -o $@ $(BENCH_SRCS) $(BUILD)/libsynguard.a $(LDLIBS)

# Packets are unaligned by nature (alignment) and the model calls map
# callbacks through a generic pointer, as the kernel does (function).
$(BUILD)/fuzz/model.o: tests/fuzz/model.c $(wildcard tests/fuzz/*.h) bpf/synguard.bpf.c \
		$(wildcard bpf/*.h) $(wildcard include/*.h) $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -Wall -Werror -fsanitize=fuzzer-no-link $(FUZZ_SAN) -I$(BUILD) -Iinclude -Ibpf -Itests/fuzz -c $< -o $@

$(FUZZ_BIN): tests/fuzz/sg_fuzz.c $(BUILD)/fuzz/model.o $(wildcard tests/unit/*.h) $(SKELS) $(BUILD)/libsynguard.a
	$(CLANG) -g -O1 -Wall -Werror -std=gnu11 -fsanitize=fuzzer $(FUZZ_SAN) -I$(BUILD) -Iinclude -Iuser -Itests/unit -Itests/fuzz \
		$(shell pkg-config --cflags libbpf libxdp 2>/dev/null) -o $@ $< $(BUILD)/fuzz/model.o $(BUILD)/libsynguard.a $(LDLIBS)

# T=PATTERN (words, each a substring of a test's path: cookies, unit,
# integration, security, fuzz, bench, docs, lint, man) runs only the matching tests,
# builds only what they need and installs nothing.
# sg_bench is used by the bench smoke test and to fill a big table.
BENCH_USERS := tests/bench/smoke.sh tests/integration/stats_big.sh
tmatch     = $(if $(T),$(strip $(foreach p,$(T),$(findstring $(p),$(1)))),all)
TEST_BUILD := all $(SEC_BPF_OBJS) $(SEC_BINS) $(foreach b,$(UNIT_BINS),$(if $(call tmatch,$(b)),$(b))) \
              $(if $(call tmatch,tests/fuzz/bounded.sh),$(FUZZ_BIN)) \
              $(if $(BENCH_SRCS),$(if $(call tmatch,$(BENCH_USERS)),$(BENCH_BIN)))

test: $(if $(T),,$(DEPS_STAMP))
	@$(MAKE) --no-print-directory $(TEST_BUILD)
	@tests/run.sh $(T)

# The docs render in any CommonMark viewer and their relative links resolve
# (tools/mdlint.py), and the library's modules only look down
# (tools/layers.py); make test runs the same checks (tests/docs/lint.sh).
lint: $(if $(T),,$(DEPS_STAMP))
	@tests/docs/lint.sh

# The C sources rewritten as .clang-format says (kernel style, 100
# columns); tools/format-check.sh alone checks without writing.
format:
	@tools/format-check.sh -i

# FUZZ_SECONDS of differential fuzzing (default 600); new inputs are kept
# in build/fuzz/corpus, a mismatch leaves its input in build/fuzz/.
fuzz: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all $(FUZZ_BIN)
	@tests/fuzz/fuzz.sh $(FUZZ_SECONDS)

bench: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@tests/bench/run.sh

demo: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

# The sample config is printed by synguardd from its settings table, so it
# always lists every setting; the unit is synguardd@IFACE.service. The
# bash completion serves both binaries (synguardd is a link to it).
INSTALLED := $(PREFIX)/sbin/synguardd $(PREFIX)/sbin/synguard \
             $(PREFIX)/share/man/man8/synguardd.8 $(PREFIX)/share/man/man8/synguard.8 \
             $(SYSCONFDIR)/synguard/synguard.conf.example $(UNITDIR)/synguardd@.service \
             $(COMPLETIONDIR)/synguard $(COMPLETIONDIR)/synguardd
install: all
	install -D -m 0755 $(BUILD)/synguardd $(DESTDIR)$(PREFIX)/sbin/synguardd
	install -D -m 0755 $(BUILD)/synguard $(DESTDIR)$(PREFIX)/sbin/synguard
	install -D -m 0644 $(BUILD)/man/synguardd.8 $(DESTDIR)$(PREFIX)/share/man/man8/synguardd.8
	install -D -m 0644 $(BUILD)/man/synguard.8 $(DESTDIR)$(PREFIX)/share/man/man8/synguard.8
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/synguard $(DESTDIR)$(UNITDIR)
	$(BUILD)/synguardd --sample-config > $(DESTDIR)$(SYSCONFDIR)/synguard/synguard.conf.example
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		user/synguardd@.service.in > $(DESTDIR)$(UNITDIR)/synguardd@.service
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/synguard/synguard.conf.example $(DESTDIR)$(UNITDIR)/synguardd@.service
	install -D -m 0644 completion/synguard $(DESTDIR)$(COMPLETIONDIR)/synguard
	ln -sf synguard $(DESTDIR)$(COMPLETIONDIR)/synguardd

# What install put there, with the same PREFIX, SYSCONFDIR and DESTDIR.
# The operator's own configs (SYSCONFDIR/synguard/IFACE.conf) are kept,
# and so is the directory then.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(SYSCONFDIR)/synguard 2>/dev/null

# The Debian package, built by dpkg-buildpackage from a copy of this tree
# in build/deb/ (its .deb lands there, not beside the tree), then checked
# by lintian: its report in build/deb/lintian.txt, and an error fails.
DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_FILE = $(BUILD)/deb/synguard_$(DEB_VERSION)_$(shell dpkg --print-architecture).deb
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	tar -c --exclude=./build --exclude=./.git --exclude=./results . | tar -x -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	lintian --pedantic --display-info $(DEB_FILE) > $(BUILD)/deb/lintian.txt 2>&1; \
		rc=$$?; cat $(BUILD)/deb/lintian.txt; exit $$rc
	@echo "deb: $(DEB_FILE)"

# An OCI image with no base image (buildah from scratch): the two binaries,
# exactly the shared libraries ldd finds for them (and the loader), and
# libxdp's dispatcher object, which libxdp loads from disk to run several
# XDP programs on one interface. The root filesystem is staged in
# build/image/rootfs; the image is IMAGE (localhost/synguard:VERSION and
# :latest in the local containers storage, for podman; no registry).
IMAGE     ?= synguard
LIBXDP_BPF := /usr/lib/$(shell gcc -print-multiarch)/bpf/xdp-dispatcher.o
image: all
	rm -rf $(BUILD)/image && mkdir -p $(BUILD)/image/rootfs/usr/sbin $(BUILD)/image/rootfs/etc/synguard \
		$(BUILD)/image/rootfs/run/synguard $(BUILD)/image/rootfs/sys/fs/bpf $(BUILD)/image/rootfs/tmp
	install -m 0755 $(BINS) $(BUILD)/image/rootfs/usr/sbin/
	$(BUILD)/synguardd --sample-config > $(BUILD)/image/rootfs/etc/synguard/synguard.conf.example
	for f in $$(ldd $(BINS) | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' | sort -u) $(LIBXDP_BPF); do \
		install -D -m $$(stat -L -c %a $$f) $$f $(BUILD)/image/rootfs$$f || exit 1; \
		echo $$f >> $(BUILD)/image/files; \
	done
	c=$$(buildah from scratch) && \
	buildah copy --quiet $$c $(BUILD)/image/rootfs / && \
	buildah config --entrypoint '["/usr/sbin/synguardd"]' --cmd '["--help"]' \
		--label org.opencontainers.image.title=synguard \
		--label org.opencontainers.image.version=$$(tools/version.sh) \
		--label org.opencontainers.image.revision=$$(cat $(BUILD)/sg_version.c | sed -n 's/.*sg_build_id\[\] = "\(.*\)";/\1/p') \
		--env PATH=/usr/sbin $$c && \
	buildah commit --quiet --rm $$c $(IMAGE):latest > $(BUILD)/image/id && \
	buildah tag $(IMAGE):latest $(IMAGE):$$(tools/version.sh | tr + _)
	@podman image inspect $(IMAGE):latest --format 'image: localhost/$(IMAGE):latest, {{.Size}} bytes'

clean:
	rm -rf $(BUILD)
