#!/usr/bin/env bash
# The OCI image (make image: buildah from scratch, no base image) run by
# podman in a lab namespace as a DaemonSet would run it: host network of
# that namespace, the host's bpffs bind-mounted, every capability dropped
# but the two it needs (CAP_SYS_ADMIN, CAP_NET_ADMIN; not --privileged).
# The image holds the binaries, exactly the libraries ldd names and
# libxdp's dispatcher; without either capability the daemon refuses to
# start. Under a SYN flood (trafgen, random spoofed sources) it answers
# with cookies at XDP while legitimate clients connect; podman stop
# (SIGTERM) leaves the interface clean: no XDP, no tcx link, no pin, and
# the image's own synguard detach removes the secrets a plain stop keeps.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" podman buildah runc trafgen
IMG=localhost/synguard:latest
NAME=sg-im$$
PODMAN=(podman --runtime runc)
RUNOPTS=(--ulimit nofile=1024:1024 --ulimit nproc=1000:1000 --cap-drop all
	-v "$LAB_BPFFS:/sys/fs/bpf")
CAPS=(--cap-add SYS_ADMIN --cap-add NET_ADMIN)
T=tests/tools
trap '"${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1; lab_cleanup' EXIT

if ! out=$(make -s image 2>&1); then
	fail "image: make image" "$(echo "$out" | tail -n 2 | tr '\n' ' ')"; lab_finish
fi
size=$(podman image inspect "$IMG" --format '{{.Size}}')
ok "image: make image builds $IMG from scratch ($((size / 1024)) KiB, $(podman image inspect "$IMG" --format '{{len .RootFS.Layers}}') layer)"
# what the image holds: the binaries, the sample config, ldd's libraries
# and the dispatcher, nothing else
mnt=$(podman image mount "$IMG")
have=$(cd "$mnt" && find . -type f | sed 's/^\.//' | sort)
podman image unmount "$IMG" >/dev/null
want=$( (echo /usr/sbin/synguardd; echo /usr/sbin/synguard; echo /etc/synguard/synguard.conf.example
	ldd build/synguardd build/synguard | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'
	echo "/usr/lib/$(gcc -print-multiarch)/bpf/xdp-dispatcher.o") | sort -u)
expect "image: exactly the binaries, ldd's $(ldd build/synguardd build/synguard | grep -c '=>' ) library lines and the dispatcher ($(echo "$have" | wc -l) files)" \
	"$(diff <(echo "$have") <(echo "$want") | grep '^[<>]' | tr '\n' ' ')" = ""
v=$("${PODMAN[@]}" run --rm "${RUNOPTS[@]}" "$IMG" --version)
expect "image: synguardd --version runs in it ($v)" "$v" = "$("$LAB_DAEMON" --version)"

lab_up "$NAME" 121 >/dev/null || { fail "image: lab setup"; exit 1; }
# run IMAGE ARGS: the daemon in the server namespace, detached
run() { "${PODMAN[@]}" run -d --name "$NAME" "${RUNOPTS[@]}" --network ns:/run/netns/"$LAB_SRV" "$@" >/dev/null; }
# up: 0 once it says it runs (and XDP is attached), 1 if it exits first
up() {
	for _ in $(seq 100); do
		"${PODMAN[@]}" logs "$NAME" 2>&1 | grep -q "synguardd running on $LAB_SIF" && lab_xdp_attached && return 0
		[ "$(podman inspect "$NAME" --format '{{.State.Running}}' 2>/dev/null)" = true ] || return 1
		sleep 0.1
	done
	return 1
}
for drop in SYS_ADMIN NET_ADMIN; do
	others=(); for c in SYS_ADMIN NET_ADMIN; do [ "$c" = "$drop" ] || others+=(--cap-add "$c"); done
	run "${others[@]}" "$IMG" -i "$LAB_SIF" -p 8080 --mode on
	up; rc=$?
	why=$("${PODMAN[@]}" logs "$NAME" 2>&1 | grep -v '^libbpf' | tail -n 1)
	"${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1
	expect "image: without CAP_$drop it does not start (${why#*synguardd: })" "$rc" -eq 1
	lsrv "$LAB_CLI_BIN" detach -i "$LAB_SIF" --bpffs "$LAB_BPFFS" >/dev/null 2>&1
done

run "${CAPS[@]}" "$IMG" -i "$LAB_SIF" -p 8080 --mode on
if ! up; then
	fail "image: runs with CAP_SYS_ADMIN and CAP_NET_ADMIN only" "$("${PODMAN[@]}" logs "$NAME" 2>&1 | tail -n 2 | tr '\n' ' ')"
	lab_finish
fi
ok "image: runs with --cap-drop all --cap-add SYS_ADMIN --cap-add NET_ADMIN (not privileged)"
caps=$(podman inspect "$NAME" --format '{{.EffectiveCaps}}')
expect "image: its effective capabilities" "$caps" = "[CAP_NET_ADMIN CAP_SYS_ADMIN]"
# Debian's bpftool 7.1 shows tcx links without their interface: the
# links are known by the ids status reads from their pins
js=$(sg_cli status -i "$LAB_SIF" --json)
tcx=$(echo "$js" | jget tc_ingress.link_id 0; echo "$js" | jget tc_egress.link_id 0)
live=0; for id in $tcx; do bpftool link show id "$id" >/dev/null 2>&1 && live=$((live + 1)); done
expect "image: XDP ($(echo "$js" | jget xdp.mode)) and both tcx links (ids $(echo $tcx)) attached" \
	"$(echo "$js" | jget xdp.ours)/$live" = "true/2"

lab_bg lsrv $LAB_PY $T/tcpinfo_server.py 8080 -n 0 -t 60 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
before=$(sg_counter syn_cookies_sent); kc0=$(srv_cookies_sent)
lab_trafgen_cfg 0x02 8080 random >"$LAB_TMP/syn.cfg"
lab_bg lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" 8080 -n 20 -b 2000 --interval 0.1 -q \
	>"$LAB_TMP/legit.json"
legit=${LAB_PIDS[-1]}
sent=$(lab_trafgen "$LAB_TMP/syn.cfg" 100000 5 25000)
wait "$legit"
after=$(sg_counter syn_cookies_sent)
note "flood: $sent SYNs sent, cookies sent $((after - before))"
expect "image: the flood ($sent SYNs) is answered with cookies at XDP (>= 90%)" \
	"$((after - before))" -ge "$((sent * 9 / 10))"
expect "image: the kernel's own syncookies never ran (TcpExtSyncookiesSent +0)" "$(( $(srv_cookies_sent) - kc0 ))" -eq 0
okn=$(tail -n 1 "$LAB_TMP/legit.json" | jget summary.ok 0)
expect "image: legitimate clients connect meanwhile (20 connections)" "$okn" -eq 20

"${PODMAN[@]}" stop -t 10 "$NAME" >/dev/null
expect "image: podman stop: the daemon exits 0 on SIGTERM" "$(podman inspect "$NAME" --format '{{.State.ExitCode}}')" -eq 0
"${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1
check "image: ...no XDP program on the interface" bash -c "! nsenter --net=/run/netns/$LAB_SRV ip -d link show dev $LAB_SIF | grep -q prog/xdp"
live=0; for id in $tcx; do bpftool link show id "$id" >/dev/null 2>&1 && live=$((live + 1)); done
expect "image: ...no tcx link (ids $(echo $tcx) are gone)" "$live" -eq 0
check "image: ...no pins" test ! -e "$LAB_BPFFS/synguard/$LAB_SIF"
check "image: ...the cookie secrets a plain stop keeps" test -e "$LAB_BPFFS/synguard-kept/$LAB_SIF"
"${PODMAN[@]}" run --rm --name "$NAME" "${RUNOPTS[@]}" "${CAPS[@]}" --network ns:/run/netns/"$LAB_SRV" \
	--entrypoint /usr/sbin/synguard "$IMG" detach -i "$LAB_SIF" >/dev/null 2>&1
check "image: the image's synguard detach removes them too" test ! -e "$LAB_BPFFS/synguard-kept/$LAB_SIF"
lab_finish
