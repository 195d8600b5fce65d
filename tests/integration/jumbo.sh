#!/usr/bin/env bash
# Jumbo frames: at MTU 9000 a veth only takes XDP programs that handle
# multi-buffer frames (xdp.frags); synguard's does. Real Linux TCP through
# XDP cookies at MTU 9000 (IPv4, IPv6), 300 KB echoed each way, so XDP sees
# 9000-byte and larger (GSO) frames spread over several buffers: every
# connection succeeds with a jumbo MSS, none of those frames fails to
# parse, and the tracker follows each connection to its close as `ss` does.
set -u
source "$(dirname "$0")/../lab.sh"
lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nstat ss
T=$LAB_ROOT/tests/tools
PORT=8080

lab_up sg-jb$$ 43 || { fail "jumbo: lab up"; lab_finish; }
lsrv ip link set "$LAB_SIF" mtu 9000 && lcli ip link set "$LAB_CIF" mtu 9000 ||
	{ fail "jumbo: MTU 9000 on both veth ends"; lab_finish; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py $PORT -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
if sg_start -p $PORT --mode on; then
	ok "jumbo: synguardd attaches at MTU 9000 ($(lsrv ip -d link show dev "$LAB_SIF" | grep -o 'prog/xdp id [0-9]*'))"
else
	fail "jumbo: synguardd attaches at MTU 9000" "$(sg_log 2 | tail -1)"
	lab_finish
fi
parse0=$(( $(sg_counter parse_ip_bad) + $(sg_counter parse_tcp_short) + $(sg_counter parse_tcp_doff) ))
acc0=$(sg_counter cookies_accepted)
for host in "$LAB_S4" "$LAB_S6"; do
	lcli $LAB_PY $T/tcpinfo_client.py "$host" $PORT -n 5 -b 300000 -T 5 --io-timeout 20 >"$LAB_TMP/out"
	okn=$(tail -1 "$LAB_TMP/out" | jget summary.ok 0)
	mss=$(head -n -1 "$LAB_TMP/out" | $LAB_PY -c '
import json, sys
print(min(json.loads(l)["info"]["snd_mss"] for l in sys.stdin))')
	expect "jumbo: $host: 5/5 connections echo 300 KB each way through cookies" "$okn" -eq 5
	expect "jumbo: $host: the cookie kept a jumbo MSS (client snd_mss $mss)" "$mss" -gt 8000
done
parse1=$(( $(sg_counter parse_ip_bad) + $(sg_counter parse_tcp_short) + $(sg_counter parse_tcp_doff) ))
expect "jumbo: cookies_accepted +10" $(( $(sg_counter cookies_accepted) - acc0 )) -eq 10
expect "jumbo: no jumbo or multi-buffer frame failed to parse" $((parse1 - parse0)) -eq 0
# each client half-closed first, so each server socket is gone (passive
# close, no TIME_WAIT): ss lists none; the tracker followed all ten to
# CLOSED, having counted their jumbo bytes
sleep 0.5
left=$(lsrv ss -Htan "( sport = :$PORT )" | grep -vc LISTEN)
read -r closed bytes <<<"$(sg_cli conns -i "$LAB_SIF" --json | $LAB_PY -c '
import json, sys
c = [x for x in json.load(sys.stdin) if x["lport"] == int(sys.argv[1])]
print(sum(x["state"] == "CLOSED" for x in c), min([x["bytes_in"] for x in c] or [0]))' $PORT)"
expect "jumbo: ss: no server socket left" "$left" -eq 0
expect "jumbo: the tracker followed all 10 connections to CLOSED" "$closed" -eq 10
expect "jumbo: the tracker counted each one's 300 KB in ($bytes bytes at least)" "$bytes" -ge 300000
lab_finish
