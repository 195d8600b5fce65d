#!/usr/bin/env bash
# The kernel's settings change under a running synguardd (--mode on, no
# SIGHUP): the kernel checks a cookie ACK's options against the sysctls of
# the moment, so SYN-ACKs must follow net.ipv4.tcp_timestamps (and sack,
# window_scaling, ecn, ip_default_ttl, rmem) and the MTU within a sample or
# two, or every cookie connection is reset. tcp_syncookies=0 (the kernel
# then refuses BPF request sockets) refuses cookie mode, in the log and
# status (tests/security/syncookies_off.sh shows the connections).
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
PORT=8080
T=tests/tools
lab_up "sg-sy$$" 36 >/dev/null || { fail "sysctl: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
if ! sg_start -p "$PORT" --mode on; then
	fail "sysctl: synguardd --mode on starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
status() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
# conns NAME: 3 connections through cookies; prints "OK TS MSS": how many
# worked, whether any negotiated timestamps, the largest snd_mss
conns() {
	lcli timeout 60 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n 3 -b 2000 -T 3 2>&1 | $LAB_PY -c '
import json, sys
ok, ts, mss = 0, False, 0
for line in sys.stdin:
    try: r = json.loads(line)
    except ValueError: continue
    if "summary" in r: continue
    ok += r.get("ok", False)
    ts |= bool(r.get("info", {}).get("ts"))
    mss = max(mss, r.get("info", {}).get("snd_mss", 0))
print(ok, str(ts).lower(), mss)'
}

read -r n ts mss <<<"$(conns)"
expect "sysctl: before: 3 cookie connections work" "$n" -eq 3
expect "sysctl: ...with timestamps" "$ts" = true

# ---- tcp_timestamps off: SYN-ACKs stop offering them, connections keep working --------------
ca0=$(sg_counter cookies_accepted) af0=$(sg_counter tc_assign_failed)
lsrv sysctl -qw net.ipv4.tcp_timestamps=0
wait_for true 10 logged 'net.ipv4.tcp_timestamps 1 -> 0 (sysctl or ip link)'
check "sysctl: the daemon logs net.ipv4.tcp_timestamps 1 -> 0 within its samples, no SIGHUP" \
	grep -q 'net.ipv4.tcp_timestamps 1 -> 0 (sysctl or ip link)' "$SG_LOG"
read -r n ts mss <<<"$(conns)"
expect "sysctl: timestamps off: 3 cookie connections work" "$n" -eq 3
expect "sysctl: ...without timestamps" "$ts" = false
expect "sysctl: ...through cookies (cookies_accepted +$(( $(sg_counter cookies_accepted) - ca0 )))" \
	$(( $(sg_counter cookies_accepted) - ca0 )) -eq 3
expect "sysctl: ...none refused by the kernel (tc_assign_failed +$(( $(sg_counter tc_assign_failed) - af0 )))" \
	$(( $(sg_counter tc_assign_failed) - af0 )) -eq 0
lsrv sysctl -qw net.ipv4.tcp_timestamps=1
wait_for true 10 logged 'net.ipv4.tcp_timestamps 0 -> 1'
read -r n ts mss <<<"$(conns)"
expect "sysctl: timestamps back on: logged, 3 connections work with them" "$n/$ts/$(logged 'net.ipv4.tcp_timestamps 0 -> 1')" = 3/true/true

# ---- the MTU: the advertised MSS follows ----------------------------------------------------
lsrv ip link set dev "$LAB_SIF" mtu 1400
wait_for true 10 logged 'MTU 1500 -> 1400'
check "sysctl: the daemon logs an MTU change (1500 -> 1400) and the MSS it advertises now" \
	grep -q 'MTU 1500 -> 1400 (sysctl or ip link): SYN-ACKs advertise MSS 1360' "$SG_LOG"
read -r n ts mss <<<"$(conns)"
if [ "$n" -eq 3 ] && [ "$mss" -gt 0 ] && [ "$mss" -le 1360 ]; then
	ok "sysctl: MTU 1400: 3 connections work, the client sends segments of at most $mss bytes"
else
	fail "sysctl: MTU 1400: 3 connections work with an MSS <= 1360" "$n worked, snd_mss $mss"
fi
lsrv ip link set dev "$LAB_SIF" mtu 1500

# ---- tcp_syncookies=0: cookie mode refused, in the log and in status -------------------------
lsrv sysctl -qw net.ipv4.tcp_syncookies=0
wait_for true 10 logged 'cookie mode refused: net.ipv4.tcp_syncookies is 0'
check "sysctl: tcp_syncookies=0 refuses cookie mode, in the log" grep -q 'cookie mode refused: net.ipv4.tcp_syncookies is 0' "$SG_LOG"
expect "sysctl: ...and in status --json (kernel.warnings)" "$(status | jget kernel.warnings)" = '["tcp_syncookies"]'
check "sysctl: ...and in status" sh -c "nsenter --net=/run/netns/$LAB_SRV $LAB_CLI_BIN status -i $LAB_SIF --bpffs $LAB_BPFFS | grep -q 'WARNING: net.ipv4.tcp_syncookies is 0'"
lsrv sysctl -qw net.ipv4.tcp_syncookies=1
wait_for true 10 logged 'cookie mode allowed again: net.ipv4.tcp_syncookies is 1'
expect "sysctl: tcp_syncookies=1 again: status warns no more" "$(status | jget kernel.warnings)" = '[]'
read -r n ts mss <<<"$(conns)"
expect "sysctl: ...and cookie connections work" "$n" -eq 3
lab_finish
