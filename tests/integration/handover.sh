#!/usr/bin/env bash
# Handshakes the server kernel answered itself while cookie mode was off,
# finished after it went on, between a raw client and the server's real
# TCP stack (the oracle: the server acks the data, or resets):
#  - the client's SYN again (the kernel's SYN-ACK was lost): the kernel
#    answers it again, with a request socket (tcp_syncookies=1) or with its
#    own cookie (=2), and the ACK of that opens the connection;
#  - the kernel's own cookie (tcp_syncookies=2: it keeps nothing), acked
#    once the tracker no longer has the flow (its entry expired, as LRU
#    eviction under a flood would do): passed, the connection opens.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nstat py:scapy.all

PORT=8080
SPOOF=198.19.22.7 # a client address the client namespace does not own
lab_up "sg-ho$$" 22 >/dev/null || { fail "handover: lab setup"; exit 1; }
lsrv ip route replace "$SPOOF/32" dev "$LAB_SIF"
lsrv ip neigh replace "$SPOOF" lladdr "$(lab_mac "$LAB_CLI" "$LAB_CIF")" dev "$LAB_SIF" nud permanent
lab_bg lsrv $LAB_PY tests/tools/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "handover: server listening"; exit 1; }
SMAC=$(lab_mac "$LAB_CLI" "$LAB_CIF")
DMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF")
# The control, before synguard runs: does this kernel answer a SYN sent
# again with its request socket's SYN-ACK (same ISN), as the handover case
# below expects? Some kernels answer it with a new request socket and then
# reset the ACK, with or without synguard: that case is then skipped.
echo true >"$LAB_TMP/noop.sh"
lsrv sysctl -qw net.ipv4.tcp_syncookies=1
ctl=$(lcli timeout 30 $LAB_PY tests/tools/kernel_handshake.py retx "$LAB_CIF" \
	"$SMAC" "$DMAC" "$SPOOF" "$LAB_S4" "$PORT" bash "$LAB_TMP/noop.sh" 2>&1 | tail -n 1)
note "bare kernel, SYN again: $ctl"
KERNEL_REPEATS=no
[ "$(echo "$ctl" | jget data_acked x)" = true ] && [ "$(echo "$ctl" | jget reset x)" = false ] &&
	KERNEL_REPEATS=yes
if ! sg_start -p "$PORT" --mode off; then
	fail "handover: synguardd --mode off starts" "$(tail -n 1 "$SG_LOG")"; sg_log; exit 1
fi
SYN_RCVD_S=$(sg_cli status -i "$LAB_SIF" --json | jget timeouts_s.SYN_RCVD "")
sgset() { sg_cli set -i "$LAB_SIF" "$@" >/dev/null; }

# the hooks the handshake runs between its SYN-ACK and the rest
cat >"$LAB_TMP/mode_on.sh" <<EOF
nsenter --net=/run/netns/$LAB_SRV $LAB_CLI_BIN set -i $LAB_SIF --bpffs $LAB_BPFFS mode=on
EOF
# the flow's SYN_RCVD entry lets go after 1 s; 2 s later cookie mode goes on
cat >"$LAB_TMP/forget_on.sh" <<EOF
nsenter --net=/run/netns/$LAB_SRV $LAB_CLI_BIN set -i $LAB_SIF --bpffs $LAB_BPFFS timeout.SYN_RCVD=1
sleep 2.2
nsenter --net=/run/netns/$LAB_SRV $LAB_CLI_BIN set -i $LAB_SIF --bpffs $LAB_BPFFS mode=on
EOF

# handshake NAME MODE HOOK COUNTER: the handshake from SPOOF, with cookie
# mode off at its SYN and on from HOOK on; COUNTER must count it
handshake() {
	local name=$1 mode=$2 hook=$3 cnt=$4 c0 c1 rej0 rej1 out
	sgset mode=off
	c0=$(sg_counter "$cnt") rej0=$(sg_counter cookies_rejected)
	out=$(lcli timeout 30 $LAB_PY tests/tools/kernel_handshake.py "$mode" "$LAB_CIF" \
		"$SMAC" "$DMAC" "$SPOOF" "$LAB_S4" "$PORT" bash "$hook" 2>&1 | tail -n 1)
	c1=$(sg_counter "$cnt") rej1=$(sg_counter cookies_rejected)
	note "$name: $out; $cnt +$((c1 - c0)), cookies_rejected +$((rej1 - rej0))"
	if [ "$(echo "$out" | jget data_acked x)" = true ] && [ "$(echo "$out" | jget reset x)" = false ]; then
		ok "handover: $name: the server acked the data, no reset"
	else
		fail "handover: $name: the server acked the data, no reset" "$out"
	fi
	expect "handover: $name: counted $cnt (+$((c1 - c0)))" $((c1 - c0)) -ge 1
	if [ "$mode" = retx ]; then
		expect "handover: $name: the second SYN-ACK is the kernel's again (same ISN)" \
			"$(echo "$out" | jget synack2 x)" = "$(echo "$out" | jget synack1 y)"
	fi
}

lsrv sysctl -qw net.ipv4.tcp_syncookies=1
if [ "$KERNEL_REPEATS" = yes ]; then
	handshake "SYN again, kernel request socket" retx "$LAB_TMP/mode_on.sh" syn_retrans_kernel
else
	skip "handover: SYN again, kernel request socket" \
		"this kernel answers a SYN sent again with a new request socket, without synguard too"
fi
lsrv sysctl -qw net.ipv4.tcp_syncookies=2
handshake "SYN again, kernel cookie" retx "$LAB_TMP/mode_on.sh" syn_retrans_kernel
recv0=$(nstat_get "$LAB_SRV" TcpExtSyncookiesRecv)
handshake "kernel cookie ACK, tracker entry gone" ack "$LAB_TMP/forget_on.sh" ack_kernel_cookie
recv1=$(nstat_get "$LAB_SRV" TcpExtSyncookiesRecv)
expect "handover: the server kernel checked its own cookie (TcpExtSyncookiesRecv +$((recv1 - recv0)))" \
	$((recv1 - recv0)) -ge 1
[ -n "$SYN_RCVD_S" ] && sgset timeout.SYN_RCVD="$SYN_RCVD_S"
lsrv sysctl -qw net.ipv4.tcp_syncookies=1
if sg_alive; then ok "handover: daemon alive"; else fail "handover: daemon alive"; sg_log; fi
sg_stop
lab_finish
