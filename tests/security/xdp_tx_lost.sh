#!/usr/bin/env bash
# Cookie mode where XDP_TX fails: a veth whose peer runs no XDP program
# loses every frame XDP_TX sends (some drivers too), so cookie SYN-ACKs
# never leave and every connection to a protected port would time out,
# while syn_cookies_sent rises and only the driver's xdp_tx errors know.
# synguardd must see the driver's losses, refuse cookie mode in one log
# line, pass SYNs to the kernel (connections work, through the kernel),
# show why in status and metrics, and try XDP_TX again on SIGHUP.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" ethtool curl
PORT=8080
MPORT=9810
T=tests/tools
lab_up "sg-xt$$" 101 >/dev/null || { fail "xdp_tx_lost: lab setup"; exit 1; }
# the client end runs no XDP program: XDP_TX on the server end is lost
lcli ip link set dev "$LAB_CIF" xdpdrv off
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
if ! sg_start -p "$PORT" --mode on --metrics "127.0.0.1:$MPORT"; then
	fail "xdp_tx_lost: synguardd --mode on starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
status() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
# xdp_tx_errors: the driver's count (ethtool -S), summed over the queues
xdp_tx_errors() { lsrv ethtool -S "$LAB_SIF" | awk '/xdp_tx_errors:/ {s += $2} END {print s + 0}'; }
# conns N TIMEOUT CONCURRENCY: prints how many of N connections worked
conns() {
	lcli timeout 120 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n "$1" -T "$2" -c "$3" \
		-b 1000 -q 2>&1 | tail -n 1 | jget summary.ok 0
}

# The first connections meet cookie mode: their SYN-ACKs are lost until
# the daemon judges; their retransmitted SYNs then reach the kernel.
e0=$(xdp_tx_errors) cs0=$(sg_counter syn_cookies_sent)
n=$(conns 4 15 4)
e=$(( $(xdp_tx_errors) - e0 )) cs=$(( $(sg_counter syn_cookies_sent) - cs0 ))
expect "xdp_tx_lost: the driver lost the cookie SYN-ACKs ($e of $cs, ethtool -S xdp_tx_errors)" "$e" -ge "$cs"
expect "xdp_tx_lost: ...at least 4 of them" "$cs" -ge 4
expect "xdp_tx_lost: connections during detection: $n/4 work (their SYN retransmits)" "$n" -eq 4
check "xdp_tx_lost: the daemon refuses cookie mode in one log line naming XDP_TX" \
	grep -q 'cookie mode refused: XDP_TX fails on' "$SG_LOG"
expect "xdp_tx_lost: ...one line only" "$(grep -c 'cookie mode refused' "$SG_LOG")" -eq 1
st=$(status)
expect "xdp_tx_lost: status --json: cookie mode inactive" "$(echo "$st" | jget cookie_mode_active)" = false
expect "xdp_tx_lost: status --json: cookie_refused names xdp_tx" "$(echo "$st" | jget cookie_refused)" = '["xdp_tx"]'
expect "xdp_tx_lost: status --json: the refusal counted" "$(echo "$st" | jget cookie_refusals.xdp_tx)" -eq 1
check "xdp_tx_lost: status says why" sh -c "nsenter --net=/run/netns/$LAB_SRV $LAB_CLI_BIN status -i $LAB_SIF --bpffs $LAB_BPFFS | grep -q 'cookie mode refused: the driver loses the XDP_TX frames'"
m=$(lsrv curl -s -m 5 "http://127.0.0.1:$MPORT/metrics")
check "xdp_tx_lost: metrics: synguard_cookie_mode_refused{reason=\"xdp_tx\"} 1" \
	grep -q '^synguard_cookie_mode_refused{iface="'"$LAB_SIF"'",reason="xdp_tx"} 1$' <<<"$m"
check "xdp_tx_lost: metrics: synguard_cookie_mode_refusals_total{reason=\"xdp_tx\"} 1" \
	grep -q '^synguard_cookie_mode_refusals_total{iface="'"$LAB_SIF"'",reason="xdp_tx"} 1$' <<<"$m"

cs0=$(sg_counter syn_cookies_sent) sp0=$(sg_counter syn_passed)
n=$(conns 20 3 1)
expect "xdp_tx_lost: after detection: $n/20 connections work at once (connect timeout 3 s)" "$n" -eq 20
expect "xdp_tx_lost: ...through the kernel (syn_passed +$(( $(sg_counter syn_passed) - sp0 )))" \
	$(( $(sg_counter syn_passed) - sp0 )) -ge 20
expect "xdp_tx_lost: ...no cookie sent (syn_cookies_sent +$(( $(sg_counter syn_cookies_sent) - cs0 )))" \
	$(( $(sg_counter syn_cookies_sent) - cs0 )) -eq 0

# The operator gives the peer an XDP program and asks for a retry
lcli ip link set dev "$LAB_CIF" xdpdrv obj "$LAB_ROOT/build/xdp_pass.bpf.o" sec xdp.frags
kill -HUP "$SG_PID"
wait_for true 10 logged 'cookie mode allowed again: reload'
check "xdp_tx_lost: SIGHUP allows cookie mode again" grep -q 'cookie mode allowed again: reload' "$SG_LOG"
sleep 1.5   # the next sample switches cookie mode back on
cs0=$(sg_counter syn_cookies_sent) e0=$(xdp_tx_errors)
n=$(conns 5 3 1)
expect "xdp_tx_lost: peer with XDP: $n/5 connections work" "$n" -eq 5
expect "xdp_tx_lost: ...through cookies (syn_cookies_sent +$(( $(sg_counter syn_cookies_sent) - cs0 )))" \
	$(( $(sg_counter syn_cookies_sent) - cs0 )) -ge 5
expect "xdp_tx_lost: ...none lost (xdp_tx_errors +$(( $(xdp_tx_errors) - e0 )))" $(( $(xdp_tx_errors) - e0 )) -eq 0
expect "xdp_tx_lost: status --json: nothing refused" "$(status | jget cookie_refused)" = '[]'
lab_finish
