#!/usr/bin/env bash
# Off-path ACK into a handshake: a client (scapy, an address no kernel
# owns) sends its SYN; an attacker who knows the tuple but not the server's
# ISN sends an ACK for it with a wrong number. The kernel answers with a
# RST at that number (tcp_v4_send_reset) and keeps its request socket (ss:
# SYN-RECV): the attack does nothing to the kernel. The tracker saw that
# RST at TC egress and, before, took it as the end of the connection: the
# real handshake's entry was deleted, and the real ACK then completed a
# connection synguard did not track. Now the entry stays SYN_RCVD through
# the attack (counted ct_rst_host_answer) and becomes ESTABLISHED with the
# real ACK, as ss says. IPv4 and IPv6; cookie mode off (the kernel's own
# handshake), tracking the protected port.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nstat py:scapy
PORT=8080
T=tests/tools
X=81
lab_up "sg-ba$$" $X >/dev/null || { fail "tracker_bogus_ack: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "tracker_bogus_ack: server listening"; exit 1; }
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF") CMAC=$(lab_mac "$LAB_CLI" "$LAB_CIF")
if ! sg_start -p "$PORT" --mode off --metrics off; then
	fail "tracker_bogus_ack: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi

# tracked SRC SPORT: the tracked local state of the tuple, or "none"
tracked() {
	sg_cli conns -i "$LAB_SIF" --json | $LAB_PY -c '
import ipaddress, json, sys
src, sport = ipaddress.ip_address(sys.argv[1]), int(sys.argv[2])
for c in json.load(sys.stdin):
    if ipaddress.ip_address(c["remote"]) == src and c["rport"] == sport:
        print(c["state"]); break
else:
    print("none")' "$1" "$2"
}
# kstate SRC SPORT: the server kernel's state of the tuple (ss), or "none"
kstate() {
	local a=$1
	[[ $a == *:* ]] && a="[$a]"
	lsrv ss -Htan "( sport = :$PORT and dst $a:$2 )" | awk '{print $1; f=1} END {if (!f) print "none"}'
}

for fam in 4 6; do
	if [ $fam = 4 ]; then
		src=198.18.$X.50 dst=$LAB_S4
		lab_route_spoof "$src"
	else
		src=2001:db8:$X::50 dst=$LAB_S6
		lsrv ip -6 neigh replace "$src" lladdr "$CMAC" dev "$LAB_SIF" nud permanent
	fi
	st=$LAB_TMP/ba$fam.json
	r0=$(nstat_get "$LAB_SRV" TcpOutRsts) a0=$(sg_counter ct_rst_host_answer)
	c0=$(sg_counter ct_created)
	out=$(lcli $LAB_PY $T/bogus_ack.py open "$LAB_CIF" "$SMAC" "$src" "$dst" "$PORT" "$st")
	sport=$($LAB_PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["sport"])' "$st" 2>/dev/null || echo 0)
	# at once: the kernel's SYN-ACK again (at 1 s) would track the flow anew
	now=$(tracked "$src" "$sport")
	r1=$(nstat_get "$LAB_SRV" TcpOutRsts) a1=$(sg_counter ct_rst_host_answer)
	note "IPv$fam: $out; TcpOutRsts +$((r1 - r0)), ct_rst_host_answer +$((a1 - a0))"
	expect "IPv$fam: the server answered the attacker's ACK with a RST at its number" \
		"$(echo "$out" | jget answer_rst false)" = true
	expect "IPv$fam: ...and kept its request socket (ss: $(kstate "$src" "$sport"))" \
		"$(kstate "$src" "$sport")" = SYN-RECV
	expect "IPv$fam: the tracker kept the real handshake's entry (SYN_RCVD)" "$now" = SYN_RCVD
	expect "IPv$fam: the host's RST counted as an answer (ct_rst_host_answer +$((a1 - a0)))" \
		$((a1 - a0)) -ge 1
	lcli $LAB_PY $T/bogus_ack.py ack "$LAB_CIF" "$SMAC" "$src" "$dst" "$PORT" "$st" >/dev/null
	wait_for ESTAB 3 kstate "$src" "$sport"
	expect "IPv$fam: the real ACK completes the handshake (ss: $(kstate "$src" "$sport"))" \
		"$(kstate "$src" "$sport")" = ESTAB
	expect "IPv$fam: ...tracked ESTABLISHED, as ss says" "$(tracked "$src" "$sport")" = ESTABLISHED
	expect "IPv$fam: one entry from SYN to ESTABLISHED, never made anew (ct_created +$(( $(sg_counter ct_created) - c0 )))" \
		$(( $(sg_counter ct_created) - c0 )) -eq 1
done
sg_stop
lab_finish
