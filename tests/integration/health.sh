#!/usr/bin/env bash
# Version and health: both binaries print the same version and build id
# (--version); synguard status shows them, and the running daemon's, in
# text and JSON; /healthz beside /metrics answers 200 while synguard's XDP
# program is attached and the daemon samples, 503 with the reason once
# the XDP program is removed behind the daemon's back, and the daemon
# stops cleanly after that.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" curl
lab_up "sg-hz$$" 120 >/dev/null || { fail "health: lab setup"; exit 1; }
HEALTH=http://127.0.0.1:9810/healthz

dv=$("$LAB_DAEMON" --version); cv=$("$LAB_CLI_BIN" --version)
re='^[0-9]+\.[0-9]+\.[0-9]+[^ ]* \(build [0-9a-f]{12}\)$'
[[ "${dv#synguardd }" =~ $re ]] && ok "health: synguardd --version: $dv" ||
	fail "health: synguardd --version prints VERSION (build ID)" "$dv"
expect "health: synguard --version says the same" "${cv#synguard }" = "${dv#synguardd }"
expect "health: the version starts with the VERSION file's" \
	"$(echo "${dv#synguardd }" | grep -c "^$(sed 's/\./\\./g' VERSION)")" -eq 1
build=$(echo "$dv" | sed -n 's/.*(build \([0-9a-f]*\))$/\1/p')
expect "health: the build id is the BPF object's sha256" \
	"$build" = "$(sha256sum "$LAB_ROOT/build/synguard.bpf.o" | cut -c1-12)"

if ! sg_start -p 8080 --mode on; then
	fail "health: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
check "health: the daemon logs its version and build" grep -q "version .*, build $build)" "$SG_LOG"
line=$(sg_cli status -i "$LAB_SIF" | grep '^version:')
expect "health: status shows the version and build id" "$line" = \
	"version:       ${dv#synguardd }"
js=$(sg_cli status -i "$LAB_SIF" --json)
expect "health: status --json build_id" "$(echo "$js" | jget build_id)" = "$build"
expect "health: status --json daemon_build_id (from /run/synguard/IFACE.version)" \
	"$(echo "$js" | jget daemon_build_id)" = "$build"
expect "health: status --json daemon_version" \
	"$(echo "$js" | jget daemon_version)" = "$(echo "$js" | jget version)"

out=$(lsrv curl -s --max-time 5 -w ' %{http_code}' "$HEALTH")
expect "health: /healthz answers 200 while attached and sampling" "$out" = "ok
 200"
# remove the XDP program behind the daemon's back (netlink), as another
# tool could: not healthy any more, and it says why
lsrv ip link set dev "$LAB_SIF" xdp off
out=$(lsrv curl -s --max-time 5 -w ' %{http_code}' "$HEALTH")
expect "health: /healthz answers 503 once the XDP program is gone" "$out" = \
	"synguard's XDP program is not attached
 503"
check "health: /metrics still answers meanwhile" \
	lsrv curl -sf --max-time 5 -o /dev/null http://127.0.0.1:9810/metrics
sg_stop; rc=$?
expect "health: synguardd stops cleanly" "$rc" -eq 0
lab_finish
