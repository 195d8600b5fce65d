#!/usr/bin/env bash
# net.ipv4.tcp_syncookies=0 under a running synguardd --mode on: the kernel
# then refuses every BPF-assigned request socket (the kfunc succeeds, the
# kernel resets the ACK later), so answering SYNs with cookies resets every
# connection. synguardd must stop answering with cookies within a sample
# (SYNs go to the kernel's listener), say why in its log and status, count
# the cookie ACKs the kernel would refuse as such (not as tc_assigned), and
# answer with cookies again once the sysctl is back.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" py:scapy
PORT=8080
T=tests/tools
SPOOF=198.19.100.7
lab_up "sg-so$$" 100 >/dev/null || { fail "syncookies_off: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
if ! sg_start -p "$PORT" --mode on; then
	fail "syncookies_off: synguardd --mode on starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
lab_route_spoof "$SPOOF"
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF")
hs() { lcli timeout 20 $LAB_PY $T/cookie_handshake.py "$1" "$LAB_CIF" "$SMAC" "$SPOOF" "$LAB_S4" "$PORT" "$LAB_TMP/hs" 2>&1; }
status() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
# conns N: N connections from the client's own stack; prints how many worked
conns() {
	lcli timeout 90 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n "$1" -b 1000 -T 3 -q 2>&1 |
		tail -n 1 | jget summary.ok 0
}

cs0=$(sg_counter syn_cookies_sent)
expect "syncookies_off: before: 5/5 connections" "$(conns 5)" -eq 5
expect "syncookies_off: ...through cookies (syn_cookies_sent +$(( $(sg_counter syn_cookies_sent) - cs0 )))" \
	$(( $(sg_counter syn_cookies_sent) - cs0 )) -ge 5

# A cookie handshake whose SYN-ACK went out before the sysctl flipped: its
# ACK is still checked (the cookie window), but the kernel would reset it.
if ! hs syn >"$LAB_TMP/hs.out"; then
	fail "syncookies_off: a raw SYN gets a cookie SYN-ACK" "$(tail -n 1 "$LAB_TMP/hs.out")"
fi
lsrv sysctl -qw net.ipv4.tcp_syncookies=0
wait_for true 10 logged 'cookie mode refused: net.ipv4.tcp_syncookies is 0'
check "syncookies_off: the daemon refuses cookie mode in one log line" \
	grep -q 'cookie mode refused: net.ipv4.tcp_syncookies is 0' "$SG_LOG"
st=$(status)
expect "syncookies_off: status --json: cookie mode inactive" "$(echo "$st" | jget cookie_mode_active)" = false
expect "syncookies_off: status --json: cookie_refused names tcp_syncookies" \
	"$(echo "$st" | jget cookie_refused)" = '["tcp_syncookies"]'
check "syncookies_off: status says why" sh -c "nsenter --net=/run/netns/$LAB_SRV $LAB_CLI_BIN status -i $LAB_SIF --bpffs $LAB_BPFFS | grep -q 'refused: net.ipv4.tcp_syncookies is 0'"

ta0=$(sg_counter tc_assigned) tr0=$(sg_counter tc_assign_sysctl)
hs ack >"$LAB_TMP/hs.out"
ta=$(( $(sg_counter tc_assigned) - ta0 )) tr=$(( $(sg_counter tc_assign_sysctl) - tr0 ))
expect "syncookies_off: the in-flight cookie ACK is not counted as handed off (tc_assigned +$ta)" "$ta" -eq 0
expect "syncookies_off: ...but as refused by the sysctl (tc_assign_sysctl +$tr)" "$tr" -eq 1

cs0=$(sg_counter syn_cookies_sent) sp0=$(sg_counter syn_passed)
n=$(conns 20)
expect "syncookies_off: tcp_syncookies=0: $n/20 connections work (through the kernel)" "$n" -eq 20
expect "syncookies_off: ...no cookie sent (syn_cookies_sent +$(( $(sg_counter syn_cookies_sent) - cs0 )))" \
	$(( $(sg_counter syn_cookies_sent) - cs0 )) -eq 0
expect "syncookies_off: ...SYNs passed (syn_passed +$(( $(sg_counter syn_passed) - sp0 )))" \
	$(( $(sg_counter syn_passed) - sp0 )) -ge 20
ref=$(status | jget cookie_refusals.tcp_syncookies -1)
expect "syncookies_off: the refusal is counted (status cookie_refusals.tcp_syncookies $ref)" "$ref" -eq 1

lsrv sysctl -qw net.ipv4.tcp_syncookies=1
wait_for true 10 logged 'cookie mode allowed again: net.ipv4.tcp_syncookies is 1'
wait_for true 5 sh -c "nsenter --net=/run/netns/$LAB_SRV $LAB_CLI_BIN status -i $LAB_SIF --bpffs $LAB_BPFFS --json | $LAB_PY -c 'import json,sys; print(str(json.load(sys.stdin)[\"cookie_mode_active\"]).lower())'"
cs0=$(sg_counter syn_cookies_sent)
expect "syncookies_off: tcp_syncookies=1 again: 5/5 connections" "$(conns 5)" -eq 5
expect "syncookies_off: ...through cookies again (syn_cookies_sent +$(( $(sg_counter syn_cookies_sent) - cs0 )))" \
	$(( $(sg_counter syn_cookies_sent) - cs0 )) -ge 5
expect "syncookies_off: status --json: nothing refused" "$(status | jget cookie_refused)" = '[]'
lab_finish
