#!/usr/bin/env bash
# synguard under `ip netns exec`, which mounts a fresh /sys and so hides
# /sys/fs/bpf: the CLI finds the namespace's daemon by its pidfile under
# /run and reads its pins through /proc/PID/root. Both directions: a
# daemon started with nsenter (the host's bpffs) queried with ip netns
# exec, and a daemon started with ip netns exec (a bpffs of its own mount
# namespace) queried with nsenter and with ip netns exec; with its counters
# moving under real connections.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
PORT=8080
T=tests/tools
X=153
trap lab_cleanup EXIT
lab_up "sg-nx$$" $X >/dev/null || { fail "netns: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
ipx() { ip netns exec "$LAB_SRV" "$@"; }
conn() { lcli timeout 30 $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$LAB_C4" -n "$1" | jget ok x; }
cookies() { "$@" stats -i "$LAB_SIF" --json 2>/dev/null | jget counters.syn_cookies_sent x; }

# a bare ip netns exec does not see the host's bpffs: the case at hand
ipx test -d /sys/fs/bpf/synguard && note "this kernel's ip netns exec shows /sys/fs/bpf/synguard"

sg_start -p "$PORT" --mode on --metrics off || { fail "netns: synguardd starts" "$(tail -n 1 "$SG_LOG")"; lab_finish; }
out=$(ipx "$LAB_CLI_BIN" status -i "$LAB_SIF" 2>&1); rc=$?
expect "netns: ip netns exec synguard status -i finds the nsenter daemon (exit $rc: $(echo "$out" | grep -m1 -i daemon))" "$rc" -eq 0
out=$(ipx "$LAB_CLI_BIN" status --json 2>&1)
expect "netns: ...and without -i (the namespace's one daemon)" "$(echo "$out" | jget daemon_running x)" = true
c0=$(cookies ipx "$LAB_CLI_BIN")
n=$(conn 3)
c1=$(cookies ipx "$LAB_CLI_BIN")
expect "netns: ...its stats move with 3 cookie connections ($n connected, syn_cookies_sent $c0 -> $c1)" $((c1 - c0)) -ge 3
sg_stop

# a daemon started with ip netns exec pins into its own mount namespace
: >"$SG_LOG"
ip netns exec "$LAB_SRV" "$LAB_DAEMON" -i "$LAB_SIF" -p "$PORT" --mode on --metrics off >>"$SG_LOG" 2>&1 &
SG_PID=$!
wait_for true 10 logged "synguardd running on $LAB_SIF" || { fail "netns: synguardd starts under ip netns exec" "$(tail -n 1 "$SG_LOG")"; lab_finish; }
out=$(lsrv "$LAB_CLI_BIN" status -i "$LAB_SIF" 2>&1); rc=$?
expect "netns: nsenter synguard status -i finds the ip netns exec daemon (exit $rc)" "$rc" -eq 0
out=$(ipx "$LAB_CLI_BIN" status -i "$LAB_SIF" 2>&1); rc=$?
expect "netns: ip netns exec synguard status -i finds it too (exit $rc)" "$rc" -eq 0
c0=$(cookies lsrv "$LAB_CLI_BIN")
n=$(conn 3)
c1=$(cookies lsrv "$LAB_CLI_BIN")
expect "netns: its stats move with 3 cookie connections ($n connected, syn_cookies_sent $c0 -> $c1)" $((c1 - c0)) -ge 3
out=$(lsrv "$LAB_CLI_BIN" set -i "$LAB_SIF" timeout.ESTABLISHED=777 2>&1)
expect "netns: set reaches its maps" "$(ipx "$LAB_CLI_BIN" status -i "$LAB_SIF" --json | $LAB_PY -c 'import json,sys; print(json.load(sys.stdin)["settings"]["timeout.ESTABLISHED"])')" = 777
sg_stop
out=$(lsrv "$LAB_CLI_BIN" status -i "$LAB_SIF" 2>&1); rc=$?
expect "netns: with no daemon and no pins: an error, exit 2 ($(echo "$out" | head -n 1))" "$rc" -eq 2
lab_finish
