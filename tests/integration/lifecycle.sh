#!/usr/bin/env bash
# Host safety across a daemon's life (docs/security.md, "Host safety"):
#  1. one daemon per interface per network namespace: five started at once
#     leave one running and one program attached; two namespaces that each
#     have an interface of the same name each run one; two daemons never
#     share one pin directory (the second would take the first's links).
#  2. synguard detach run in the wrong network namespace fails loudly and
#     touches nothing; in the right one it detaches; a daemon finds and
#     takes over synguard programs that lost their pins.
#  3. the interface deleted, renamed, re-created; stray signals: the daemon
#     logs it, restores protection, never dies leaving programs behind,
#     and status tells the truth.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" bpftool
PORT=8080
T=tests/tools
B2=$LAB_TMP/bpffs2        # a second namespace's own bpffs, as a container has
mkdir -p "$B2"
trap 'umount -l "$B2" 2>/dev/null; lab_cleanup' EXIT
BPFFS1=$LAB_BPFFS

# xdp_ids: the XDP program ids attached on the current lab's server veth
xdp_ids() { lsrv ip -j -d link show dev "$LAB_SIF" 2>/dev/null | $LAB_PY -c '
import json, sys
try: l = json.load(sys.stdin)[0]
except Exception: sys.exit(0)
x = l.get("xdp") or {}
ids = [p.get("id") for p in x.get("attached", []) if p.get("id")] or ([x["prog"]["id"]] if "prog" in x else [])
print(" ".join(str(i) for i in ids))'; }
# connects N: N echo connections to PORT from the client, how many worked
connects() { lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n "$1" -b 1000 -T 3 -q 2>&1 |
	tail -n 1 | jget summary.ok 0; }
server() { lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready.$LAB_CUR" >/dev/null
	for _ in $(seq 50); do [ -e "$LAB_TMP/ready.$LAB_CUR" ] && break; sleep 0.1; done; }

# ---- 1. five daemons at once on one interface ------------------------------------------------
lab_up "sg-la$$" 91 >/dev/null || { fail "lifecycle: lab A setup"; exit 1; }
server
pids=()
for i in 1 2 3 4 5; do
	nsenter --net=/run/netns/"$LAB_SRV" "$LAB_DAEMON" -i "$LAB_SIF" -p "$PORT" --mode on \
		--bpffs "$LAB_BPFFS" >"$LAB_TMP/five.$i" 2>&1 &
	pids+=($!)
done
LAB_PIDS+=("${pids[@]}")
for _ in $(seq 100); do
	up=0 alive=0
	for i in 1 2 3 4 5; do
		grep -q "synguardd running on" "$LAB_TMP/five.$i" && up=$((up + 1))
		kill -0 "${pids[$((i - 1))]}" 2>/dev/null && alive=$((alive + 1))
	done
	[ "$up" -ge 1 ] && [ "$alive" -le 1 ] && break
	sleep 0.1
done
expect "lifecycle: five daemons started at once: one runs ($alive alive, $up up)" "$alive/$up" = 1/1
refused=$(grep -l "already runs on $LAB_SIF" "$LAB_TMP"/five.* | wc -l)
expect "lifecycle: ...the four others are refused, saying so" "$refused" -eq 4
expect "lifecycle: ...one XDP program attached ($(xdp_ids))" "$(xdp_ids | wc -w)" -eq 1
expect "lifecycle: ...two tcx links (ingress, egress)" "$(lab_tcx_count)" -eq 2
expect "lifecycle: ...and connections work (of 5)" "$(connects 5)" -eq 5
for i in 1 2 3 4 5; do
	if kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then SG_PID=${pids[$((i - 1))]} SG_LOG=$LAB_TMP/five.$i; fi
done
st=$(sg_cli status -i "$LAB_SIF" --json 2>/dev/null)
expect "lifecycle: ...status finds its pid" "$(echo "$st" | jget daemon_pid x)" = "$SG_PID"
st=$("$LAB_CLI_BIN" status -i "$LAB_SIF" --json --bpffs "$LAB_BPFFS" 2>/dev/null)
expect "lifecycle: ...status from another namespace: not running here, but held elsewhere" \
	"$(echo "$st" | jget daemon_running x)/$(echo "$st" | jget daemon_elsewhere x)" = false/true
out=$("$LAB_CLI_BIN" detach -i "$LAB_SIF" --bpffs "$LAB_BPFFS" 2>&1); rc=$?
expect "lifecycle: ...detach from another namespace while it runs: exit 1 ($out)" \
	"$rc/$(xdp_ids | wc -w)/$(lab_tcx_count)" = 1/1/2

# ---- two namespaces, each with an interface of the same name ----------------------------------
lab_up "sg-lb$$" 92 >/dev/null || { fail "lifecycle: lab B setup"; exit 1; }
# lab B's server veth takes lab A's name (addresses stay)
NAME=sg-la$$-s
lsrv ip link set "$LAB_SIF" down && lsrv ip link set "$LAB_SIF" name "$NAME" &&
	lsrv ip link set "$NAME" up || fail "lifecycle: rename lab B's veth"
LAB_SIF=$NAME
lcli ping -c1 -W2 "$LAB_S4" >/dev/null 2>&1
server
if sg_start -p "$PORT" --mode on; then
	fail "lifecycle: a daemon on the same pins from another namespace is refused" "it started"
	sg_stop
else
	ok "lifecycle: a daemon on the same pins from another namespace is refused ($(grep -v '^$' "$SG_LOG" | tail -n 1 | cut -c 25-))"
fi
check "lifecycle: ...its error names the fix (--bpffs)" grep -q -- "--bpffs" "$SG_LOG"
lab_use "sg-la$$"
expect "lifecycle: ...and the first keeps its links (two tcx links on A)" "$(lab_tcx_count)" -eq 2
expect "lifecycle: ...and its connections work (of 5)" "$(connects 5)" -eq 5
lab_use "sg-lb$$"
mount -t bpf bpffs "$B2" || fail "lifecycle: a second bpffs"
LAB_BPFFS=$B2
if sg_start -p "$PORT" --mode on; then
	ok "lifecycle: with its own bpffs, a daemon runs on $NAME in namespace B too"
else
	fail "lifecycle: with its own bpffs, a daemon runs on $NAME in namespace B too" "$(tail -n 1 "$SG_LOG")"
fi
expect "lifecycle: ...B's connections work (of 5)" "$(connects 5)" -eq 5
expect "lifecycle: ...status in B finds B's daemon" \
	"$(sg_cli status -i "$NAME" --json 2>/dev/null | jget daemon_pid x)" = "$SG_PID"
LAB_BPFFS=$BPFFS1
lab_use "sg-la$$"
expect "lifecycle: ...status in A finds A's daemon" \
	"$(sg_cli status -i "$NAME" --json 2>/dev/null | jget daemon_pid x)" = "$SG_PID"
lab_use "sg-lb$$"
LAB_BPFFS=$B2
sg_stop
LAB_BPFFS=$BPFFS1
lab_use "sg-la$$"

# ---- 2. synguard detach from the wrong namespace ----------------------------------------------
sg_cli set -i "$LAB_SIF" keep_attached=yes >/dev/null
sg_stop
ids0=$(xdp_ids)
# detach_in NS: synguard detach -i LAB_SIF run in namespace NS ("" for this one)
detach_in() {
	if [ -n "$1" ]; then nsenter --net=/run/netns/"$1" "$LAB_CLI_BIN" detach -i "$LAB_SIF" --bpffs "$LAB_BPFFS"
	else "$LAB_CLI_BIN" detach -i "$LAB_SIF" --bpffs "$LAB_BPFFS"; fi
}
intact() { [ "$(xdp_ids)" = "$ids0" ] && [ "$(lab_tcx_count)" -eq 2 ] && [ -e "$LAB_BPFFS/synguard/$LAB_SIF/prog_xdp" ]; }
for ns in "" "$LAB_CLI" "sg-lb$$-srv"; do
	where=${ns:-the host namespace}
	[ "$ns" = "sg-lb$$-srv" ] && where="a namespace with another $LAB_SIF"
	out=$(detach_in "$ns" 2>&1); rc=$?
	expect "lifecycle: detach in $where fails: exit 1, one line ($out)" "$rc/$(echo "$out" | grep -c .)" = 1/1
	check "lifecycle: ...its error says where to run it (nsenter)" grep -q nsenter <<<"$out"
	if intact; then ok "lifecycle: ...XDP, both tcx links and the pins stay"
	else fail "lifecycle: ...XDP, both tcx links and the pins stay" "xdp '$(xdp_ids)' (was $ids0), tcx $(lab_tcx_count), pins $(ls "$LAB_BPFFS/synguard/$LAB_SIF" 2>&1 | wc -l)"; fi
done
expect "lifecycle: ...and the protected port still answers (of 5)" "$(connects 5)" -eq 5

# ---- orphans: programs whose pins were removed (what such a detach used to leave) ------------
rm -r "${LAB_BPFFS:?}/synguard/$LAB_SIF"
# the tcx links go with their last pin; the XDP program stays, alone
expect "lifecycle: pins removed by hand: XDP stays with no TC behind it (xdp '$(xdp_ids)', tcx $(lab_tcx_count))" \
	"$(xdp_ids | wc -w)/$(lab_tcx_count)" = 1/0
if sg_start -p "$PORT" --mode on; then ok "lifecycle: synguardd starts over its own programs left with no pins"
else fail "lifecycle: synguardd starts over its own programs left with no pins" "$(tail -n 1 "$SG_LOG")"; fi
check "lifecycle: ...recognises its XDP program by name" grep -q "found synguard's XDP program attached with no pin" "$SG_LOG"
expect "lifecycle: ...one XDP program attached ($(xdp_ids))" "$(xdp_ids | wc -w)" -eq 1
expect "lifecycle: ...two tcx links" "$(lab_tcx_count)" -eq 2
expect "lifecycle: ...connections work (of 5)" "$(connects 5)" -eq 5

# ---- detach in the right namespace ----------------------------------------------------------
sg_cli set -i "$LAB_SIF" keep_attached=yes >/dev/null
sg_stop
out=$(detach_in "$LAB_SRV" 2>&1); rc=$?
expect "lifecycle: detach in the interface's namespace: exit 0 ($(echo "$out" | tail -n 1))" "$rc" -eq 0
expect "lifecycle: ...nothing attached is left (xdp '$(xdp_ids)', tcx $(lab_tcx_count))" "$(xdp_ids | wc -w)/$(lab_tcx_count)" = 0/0
check "lifecycle: ...nor pins" test ! -e "$LAB_BPFFS/synguard/$LAB_SIF"
expect "lifecycle: ...and the kernel answers alone (of 5)" "$(connects 5)" -eq 5

# ---- 3. stray signals -------------------------------------------------------------------------
sg_start -p "$PORT" --mode on || { fail "lifecycle: synguardd starts for the signals" "$(tail -n 1 "$SG_LOG")"; lab_finish; }
for sig in USR1 USR2 PIPE ALRM; do
	kill -"$sig" "$SG_PID"
	sleep 0.3
	if sg_alive; then ok "lifecycle: SIG$sig: synguardd keeps running"
	else fail "lifecycle: SIG$sig: synguardd keeps running" "it died: $(tail -n 1 "$SG_LOG")"; sg_start -p "$PORT" --mode on; fi
done
expect "lifecycle: ...and logs each one it was sent (of 3; SIGPIPE is ignored silently)" \
	"$(grep -c 'ignored (SIGHUP reloads' "$SG_LOG")" -eq 3
expect "lifecycle: ...protection intact: connections work (of 5)" "$(connects 5)" -eq 5

# ---- the interface deleted, re-created, renamed -------------------------------------------------
status_json() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
# veth_make: the lab's veth pair again, as lab_up made it
veth_make() {
	ip link add "$LAB_SIF" netns "$LAB_SRV" type veth peer name "$LAB_CIF" netns "$LAB_CLI" &&
	lsrv ip addr add "$LAB_S4/24" dev "$LAB_SIF" && lcli ip addr add "$LAB_C4/24" dev "$LAB_CIF" &&
	lsrv ip link set "$LAB_SIF" up && lcli ip link set "$LAB_CIF" up &&
	lcli ip link set dev "$LAB_CIF" xdpdrv obj "$LAB_ROOT/build/xdp_pass.bpf.o" sec xdp.frags
}
# backs: how many times synguardd said the interface is back
backs() { grep -c "the interface is back" "$SG_LOG"; }
lsrv ip link del "$LAB_SIF"
if wait_for true 5 logged "the interface went away"; then ok "lifecycle: interface deleted: synguardd says so"
else fail "lifecycle: interface deleted: synguardd says so" "$(tail -n 1 "$SG_LOG")"; fi
if sg_alive; then ok "lifecycle: ...and keeps running, waiting for it"; else fail "lifecycle: ...and keeps running, waiting for it"; fi
J=$(status_json)
expect "lifecycle: ...status: running but not protecting" \
	"$(echo "$J" | jget daemon_running x)/$(echo "$J" | jget protecting x)" = true/false
check "lifecycle: ...the human status says so too" grep -q "NOT protecting" <<<"$(sg_cli status -i "$LAB_SIF" 2>&1)"
veth_make || fail "lifecycle: re-create the veth"
if wait_for 1 5 backs; then ok "lifecycle: interface re-created: synguardd re-attaches"
else fail "lifecycle: interface re-created: synguardd re-attaches" "$(tail -n 1 "$SG_LOG")"; fi
expect "lifecycle: ...one XDP program, two tcx links (xdp '$(xdp_ids)', tcx $(lab_tcx_count))" \
	"$(xdp_ids | wc -w)/$(lab_tcx_count)" = 1/2
expect "lifecycle: ...status: protecting" "$(status_json | jget protecting x)" = true
note "after the re-create: xdp '$(xdp_ids)', tcx $(lab_tcx_count)"
ac0=$(sg_counter cookies_accepted)
expect "lifecycle: ...connections work (of 5)" "$(connects 5)" -eq 5
expect "lifecycle: ...through cookies (cookies_accepted +$(( $(sg_counter cookies_accepted) - ac0 )))" \
	$(( $(sg_counter cookies_accepted) - ac0 )) -ge 5
OTHER=sg-lr$$
lsrv ip link set "$LAB_SIF" name "$OTHER"
if wait_for true 5 logged "renamed to $OTHER"; then ok "lifecycle: interface renamed: synguardd says so"
else fail "lifecycle: interface renamed: synguardd says so" "$(tail -n 1 "$SG_LOG")"; fi
x=$(lsrv ip -d link show dev "$OTHER" | grep -c prog/xdp) t=$(lsrv $LAB_PY $T/tcx_query.py "$OTHER" | wc -w)
expect "lifecycle: ...and leaves the renamed device (xdp $x, tcx $((t - 2)))" "$x/$((t - 2))" = 0/0
expect "lifecycle: ...status: not protecting" "$(status_json | jget protecting x)" = false
lsrv ip link set "$OTHER" name "$LAB_SIF"
if wait_for 2 5 backs; then ok "lifecycle: renamed back: re-attached"
else fail "lifecycle: renamed back: re-attached" "$(tail -n 1 "$SG_LOG")"; fi
expect "lifecycle: ...status: protecting" "$(status_json | jget protecting x)" = true
expect "lifecycle: ...connections work (of 5)" "$(connects 5)" -eq 5
[ -n "${LIFECYCLE_LOG:-}" ] && sg_log 40
sg_stop; rc=$?
expect "lifecycle: SIGTERM after all that: exit 0" "$rc" -eq 0
expect "lifecycle: ...nothing left attached (xdp '$(xdp_ids)', tcx $(lab_tcx_count))" "$(xdp_ids | wc -w)/$(lab_tcx_count)" = 0/0
check "lifecycle: ...nor pins" test ! -e "$LAB_BPFFS/synguard/$LAB_SIF"

# ---- the interface moved to another namespace, programs and all --------------------------------
# (a move keeps the XDP program on the device; the tcx links go with it)
lab_keep
lab_up "sg-lm$$" 94 >/dev/null || { fail "lifecycle: lab M setup"; lab_finish; }
M=$LAB_SRV
lab_use "sg-la$$"
in_m() { nsenter --net=/run/netns/"$M" "$@"; }
m_state() { echo "$(in_m ip -d link show dev "$LAB_SIF" 2>/dev/null | grep -o 'prog/xdp id [0-9]*' | wc -l)/$(
	in_m $LAB_PY $T/tcx_query.py "$LAB_SIF" | awk '{n += NF - 1} END {print n + 0}')"; }
sg_start -p "$PORT" --mode on || { fail "lifecycle: synguardd starts for the move" "$(tail -n 1 "$SG_LOG")"; lab_finish; }
lsrv ip link set "$LAB_SIF" netns "$M"
if wait_for true 5 logged "moved to another network namespace"; then ok "lifecycle: interface moved away: synguardd says so"
else fail "lifecycle: interface moved away: synguardd says so" "$(tail -n 1 "$SG_LOG")"; fi
expect "lifecycle: ...its programs go on there (xdp/tcx in the new namespace)" "$(m_state)" = 1/2
expect "lifecycle: ...status here: not protecting" "$(status_json | jget protecting x)" = false
sg_stop; rc=$?
expect "lifecycle: ...SIGTERM: exit 0" "$rc" -eq 0
expect "lifecycle: ...and XDP is not left without TC there (xdp/tcx)" "$(m_state)" = 1/2
out=$(lsrv "$LAB_CLI_BIN" detach -i "$LAB_SIF" --bpffs "$LAB_BPFFS" 2>&1); rc=$?
expect "lifecycle: ...detach in the old namespace refuses (exit 1)" "$rc" -eq 1
out=$(in_m "$LAB_CLI_BIN" detach -i "$LAB_SIF" --bpffs "$LAB_BPFFS" 2>&1); rc=$?
expect "lifecycle: ...detach in the new namespace: exit 0 ($(echo "$out" | tail -n 1))" "$rc" -eq 0
expect "lifecycle: ...nothing left there (xdp/tcx)" "$(m_state)" = 0/0
check "lifecycle: ...nor pins" test ! -e "$LAB_BPFFS/synguard/$LAB_SIF"
lab_finish
