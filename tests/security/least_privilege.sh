#!/usr/bin/env bash
# Least privilege. synguardd and synguard check the capabilities they use,
# not euid 0, so a systemd unit can run them with only those (and under
# User= once the paths it writes are that user's). Shown with capsh
# (Debian's libcap2-bin): a daemon short of a capability stops with one
# line naming it (without CAP_SYS_ADMIN, libxdp 1.3 used to crash: it reads
# the program's BTF by id); a daemon as nobody with exactly CAP_BPF,
# CAP_NET_ADMIN, CAP_PERFMON and CAP_SYS_ADMIN, its bpffs and /run/synguard
# its own (a private mount namespace, as systemd would give it), protects
# connections; the CLI as nobody with CAP_BPF reads its status. The
# shipped unit passes systemd-analyze verify, and systemd-analyze security
# rates its exposure (recorded; it must stay under 5.0, "OK").
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" capsh unshare
PORT=8080
T=tests/tools
NEEDED=cap_bpf,cap_net_admin,cap_perfmon,cap_sys_admin
lab_up "sg-lp$$" 105 >/dev/null || { fail "least_privilege: lab setup"; exit 1; }
ALL=$(capsh --print | sed -n 's/^Bounding set =//p')
# drop_but CAPS: every capability of the bounding set but CAPS
drop_but() { echo "$ALL" | tr ',' '\n' | grep -vxE "$(echo "$1" | tr ',' '|')" | paste -sd,; }

# ---- root, short of a capability: one clear line, no crash -----------------------------------
for keep in cap_net_admin,cap_bpf,cap_perfmon cap_bpf,cap_perfmon,cap_sys_admin; do
	out=$(lsrv timeout 20 capsh --drop="$(drop_but "$keep")" -- -c \
		"exec $LAB_DAEMON -i $LAB_SIF --bpffs $LAB_BPFFS -p $PORT --metrics off" 2>&1); rc=$?
	missing=$(drop_but "$keep" | tr ',' '\n' | grep -xE "$(echo "$NEEDED" | tr ',' '|')" | tr a-z A-Z)
	expect "least_privilege: root with only $keep: exit 1 (no crash)" "$rc" -eq 1
	check "least_privilege: ...one line naming $missing" grep -q "missing capability $missing" <<<"$out"
	note "$(echo "$out" | tail -n 1)"
done
check "least_privilege: ...and nothing left attached" sh -c "! nsenter --net=/run/netns/$LAB_SRV ip -d link show dev $LAB_SIF | grep -q prog/xdp"

# ---- nobody with exactly the four, in a mount namespace of its own ----------------------------
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 120 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
# as_nobody CAPS CMD: CMD as nobody with CAPS ambient (capsh keeps them
# across the uid change)
as_nobody() {
	local caps=$1; shift
	echo "capsh --caps='$caps+eip cap_setuid,cap_setgid+ep' --keep=1 --user=nobody --addamb=$caps -- -c 'exec $*'"
}
: >"$SG_LOG"
# the daemon itself is $! (unshare, sh, nsenter, capsh and bash exec)
unshare -m --propagation private -- sh -c "
	mount -t tmpfs -o mode=0755,uid=65534,gid=65534 tmpfs $SG_RUN &&
	mount -t bpf -o mode=0700,uid=65534,gid=65534 bpf /sys/fs/bpf &&
	exec nsenter --net=/run/netns/$LAB_SRV $(as_nobody "$NEEDED" "$LAB_DAEMON -i $LAB_SIF -p $PORT --mode on --metrics off")" \
	>>"$SG_LOG" 2>&1 &
SG_PID=$!
for _ in $(seq 100); do
	grep -q "synguardd running on $LAB_SIF" "$SG_LOG" && break
	kill -0 "$SG_PID" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q "synguardd running on $LAB_SIF" "$SG_LOG"; then
	fail "least_privilege: synguardd as nobody with $NEEDED runs" "$(tail -n 1 "$SG_LOG")"
	SG_PID=; lab_finish
fi
ok "least_privilege: synguardd as nobody with $NEEDED runs"
expect "least_privilege: ...its uid is nobody's" "$(awk '/^Uid:/ {print $3}' /proc/$SG_PID/status)" -eq 65534
expect "least_privilege: ...its effective capabilities are the four" \
	"$(awk '/^CapEff:/ {print $2}' /proc/$SG_PID/status)" = "$(printf '%016x' $(( (1 << 12) | (1 << 21) | (1 << 38) | (1 << 39) )))"
n=$(lcli timeout 60 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n 5 -b 1000 -T 3 -q 2>&1 | tail -n 1 | jget summary.ok 0)
expect "least_privilege: ...and $n/5 connections work through it" "$n" -eq 5
st=$(nsenter --mount=/proc/$SG_PID/ns/mnt --net=/run/netns/$LAB_SRV sh -c \
	"$(as_nobody cap_bpf "$LAB_CLI_BIN status -i $LAB_SIF --json")" 2>&1)
expect "least_privilege: synguard status as nobody with cap_bpf: cookie mode on" \
	"$(echo "$st" | jget cookie_mode_active x)" = true
expect "least_privilege: ...and synguard stats as nobody: the cookies it sent counted" \
	"$(nsenter --mount=/proc/$SG_PID/ns/mnt --net=/run/netns/$LAB_SRV sh -c "$(as_nobody cap_bpf "$LAB_CLI_BIN stats -i $LAB_SIF --json")" 2>/dev/null | jget counters.syn_cookies_sent 0)" -ge 5
sg_stop; rc=$?
expect "least_privilege: ...and it detaches on SIGTERM (exit $rc)" "$rc" -eq 0
check "least_privilege: ...nothing left attached" sh -c "! nsenter --net=/run/netns/$LAB_SRV ip -d link show dev $LAB_SIF | grep -q prog/xdp"

# ---- the shipped unit -----------------------------------------------------------------------
if ! command -v systemd-analyze >/dev/null; then
	skip "least_privilege: systemd-analyze" "systemd missing"
	lab_finish
fi
unit=$LAB_TMP/synguardd@.service
sed -e "s|@SBINDIR@|$LAB_ROOT/build|g" -e "s|@SYSCONFDIR@|/etc|g" user/synguardd@.service.in >"$unit"
out=$(systemd-analyze verify --man=no "$unit" 2>&1 | grep -v 'sys-subsystem-net-devices\|Unit synguardd@.service is not')
expect "least_privilege: systemd-analyze verify: no complaint${out:+ ($(echo "$out" | head -n 2 | tr '\n' '|'))}" "${out:-none}" = none
cp "$unit" "$LAB_TMP/synguardd@eth0.service"
sec=$(systemd-analyze security --offline=true --no-pager "$LAB_TMP/synguardd@eth0.service" 2>&1)
score=$(echo "$sec" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
note "systemd-analyze security --offline: exposure $score ($(echo "$sec" | tail -n 1 | sed 's/.*: //'))"
expect "least_privilege: the unit's exposure score ($score) is under 5.0" \
	"$(awk -v s="${score:-99}" 'BEGIN { print (s < 5.0) }')" -eq 1
lab_finish
