#!/usr/bin/env bash
# SYN-cookie slice, end to end between two real Linux TCP stacks:
# synguardd --mode on protects the server port; clients with every
# combination that matters of timestamps / SACK / window scaling / ECN
# (client namespace sysctls) connect through XDP cookies and echo 100 KB
# both ways, over IPv4 and IPv6, with the client veth's TX checksum offload
# on and off. The accepted socket (TCP_INFO) must carry what the client
# offered; the server kernel must never send a cookie itself. Then a bounded
# spoofed-ACK flood must never reach the server stack, and SIGTERM must
# leave the interface clean.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen ethtool nstat bpftool
$LAB_PY -c 'import json' 2>/dev/null || { skip cookies "no $LAB_PY"; exit 0; }

PORT=8080
T=tests/tools
lab_up "sg-ck$$" 11 >/dev/null || { fail "cookies: lab setup"; exit 1; }
lsrv sysctl -qw net.ipv4.tcp_ecn=2 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
	net.ipv4.tcp_window_scaling=1
if ! sg_start -p "$PORT" --mode on; then
	fail "cookies: synguardd --mode on starts" "$(tail -n 1 "$SG_LOG")"
	sg_log; exit 1
fi
ok "cookies: synguardd --mode on starts on $LAB_SIF"
expect "cookies: stats say cookie mode active" "$(sg_stats | jget cookie_mode_active x)" = true

SRV_OUT=$LAB_TMP/server.jsonl
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >"$SRV_OUT"
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "cookies: echo server listening"; exit 1; }

sent0=$(sg_counter syn_cookies_sent)
acc0=$(sg_counter cookies_accepted)
kern0=$(srv_cookies_sent)

# name ts sack wscale ecn
PROFILES="all-on:1:1:1:1 all-off:0:0:0:0 no-ts:0:1:1:1 no-sack:1:0:1:1 no-wscale:1:1:0:1 no-ecn:1:1:1:0"
conns=0 good=0
for txcsum in on off; do
	if ! lcli ethtool -K "$LAB_CIF" tx "$txcsum" >/dev/null 2>&1; then
		skip "cookies: tx checksum offload $txcsum" "ethtool -K $LAB_CIF tx $txcsum failed"
		continue
	fi
	off0=$(sg_counter syn_csum_offloaded)
	for p in $PROFILES; do
		IFS=: read -r name ts sack ws ecn <<<"$p"
		lcli sysctl -qw net.ipv4.tcp_timestamps="$ts" net.ipv4.tcp_sack="$sack" \
			net.ipv4.tcp_window_scaling="$ws" net.ipv4.tcp_ecn="$ecn"
		for fam in 4 6; do
			if [ $fam = 4 ]; then dst=$LAB_S4; else dst=$LAB_S6; fi
			cout=$LAB_TMP/client.$txcsum.$name.$fam
			b0=$(sg_counter drop_synack_build)
			lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$dst" "$PORT" -n 1 -b 102400 -T 5 >"$cout" 2>&1
			conns=$((conns + 1))
			[ "$(tail -n 1 "$cout" | jget summary.ok 0)" = 1 ] && good=$((good + 1))
			res=$($LAB_PY $T/cookie_check.py "$cout" "$SRV_OUT" "$ts" "$sack" "$ws" "$ecn")
			if [ $? -eq 0 ]; then
				ok "cookies: IPv$fam txcsum=$txcsum $name: 100 KB echoed, options kept ($res)"
			else
				fail "cookies: IPv$fam txcsum=$txcsum $name" "$res (drop_synack_build +$(( $(sg_counter drop_synack_build) - b0 )))"
			fi
		done
	done
	off1=$(sg_counter syn_csum_offloaded)
	if [ "$txcsum" = on ]; then
		expect "cookies: txcsum=on: SYNs arrived with partial checksums (syn_csum_offloaded +$((off1 - off0)))" \
			$((off1 - off0)) -gt 0
	else
		expect "cookies: txcsum=off: SYNs carried full checksums (syn_csum_offloaded +$((off1 - off0)))" \
			$((off1 - off0)) -eq 0
	fi
done
lcli ethtool -K "$LAB_CIF" tx on >/dev/null 2>&1
lcli sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_ecn=2

sent1=$(sg_counter syn_cookies_sent)
acc1=$(sg_counter cookies_accepted)
kern1=$(srv_cookies_sent)
expect "cookies: server kernel sent no cookies itself (TcpExtSyncookiesSent $kern0 -> $kern1)" "$kern1" -eq "$kern0"
expect "cookies: syn_cookies_sent rose by >= $good (+$((sent1 - sent0)))" $((sent1 - sent0)) -ge "$good"
# one accepted cookie per connection that got through ($good of $conns)
expect "cookies: cookies_accepted = $good connections made (+$((acc1 - acc0)))" $((acc1 - acc0)) -eq "$good"
expect "cookies: no ACK fell back to the kernel (ack_unchecked)" "$(sg_counter ack_unchecked)" -eq 0
expect "cookies: no request socket refused (tc_assign_failed)" "$(sg_counter tc_assign_failed)" -eq 0

# ---- spoofed ACK flood: random seq/ack, random source ports --------------
N=2000
for src in random client; do
	lab_trafgen_cfg 0x10 "$PORT" "$src" >"$LAB_TMP/ack.$src.cfg"
	# a failed check, or none once the source is out of budget: a drop each
	rej0=$(( $(sg_counter cookies_rejected) + $(sg_counter cookies_over_budget) ))
	rst0=$(srv_out_rsts)
	tx=$(lab_trafgen "$LAB_TMP/ack.$src.cfg" "$N" 10 20000)
	sleep 0.5
	rej1=$(( $(sg_counter cookies_rejected) + $(sg_counter cookies_over_budget) ))
	rst1=$(srv_out_rsts)
	if [ "$tx" -lt $((N * 95 / 100)) ]; then
		fail "cookies: ACK flood ($src sources) sent" "only $tx of $N packets left the client veth: $(tail -n 2 "$LAB_TMP/trafgen.out" | tr '\n' ' ')"
		continue
	fi
	expect "cookies: ACK flood ($src sources, $tx pkts): server TcpOutRsts unchanged ($rst0 -> $rst1)" "$rst1" -eq "$rst0"
	d=$((rej1 - rej0))
	if [ "$d" -ge $((tx * 95 / 100)) ] && [ "$d" -le $((tx + 10)) ]; then
		ok "cookies: ACK flood ($src sources): cookies_rejected + cookies_over_budget +$d of $tx"
	else
		fail "cookies: ACK flood ($src sources): cookies_rejected + cookies_over_budget" "+$d for $tx sent"
	fi
done
expect "cookies: the floods forged no connection (cookies_accepted still +$((acc1 - acc0)))" \
	$(( $(sg_counter cookies_accepted) - acc0 )) -eq $((acc1 - acc0))
if sg_alive; then ok "cookies: daemon alive after the floods"; else fail "cookies: daemon alive after the floods"; sg_log; fi

# ---- SIGTERM detaches ---------------------------------------------------
st=$(sg_cli status -i "$LAB_SIF" --json 2>/dev/null)
ids=$(echo "$st" | $LAB_PY -c '
import json, sys
s = json.load(sys.stdin)
print(" ".join("link:%s" % s[k]["link_id"] for k in ("tc_ingress", "tc_egress") if s.get(k, {}).get("link_id")),
      " ".join("prog:%s" % p for p in (s.get("xdp", {}).get("prog_id"), s.get("tc_ingress", {}).get("prog_id"),
                                       s.get("tc_egress", {}).get("prog_id")) if p))' 2>/dev/null)
[ -n "$ids" ] || note "status --json gave no link/prog ids: $(echo "$st" | head -c 200)"
pin=$LAB_BPFFS/synguard/$LAB_SIF
[ -d "$pin" ] || note "pin dir $pin absent while the daemon runs"
sg_stop; rc=$?
expect "cookies: SIGTERM: synguardd exits 0" "$rc" -eq 0
if lsrv ip -d link show dev "$LAB_SIF" | grep -q 'prog/xdp'; then
	fail "cookies: SIGTERM: no XDP left on $LAB_SIF" "$(lsrv ip -d link show dev "$LAB_SIF" | grep prog/xdp)"
else
	ok "cookies: SIGTERM: no XDP left on $LAB_SIF"
fi
left=
for _ in $(seq 20); do
	left=
	for id in $ids; do
		case $id in
			link:*) bpftool link show id "${id#link:}" >/dev/null 2>&1 && left="$left $id" ;;
			prog:*) bpftool prog show id "${id#prog:}" >/dev/null 2>&1 && left="$left $id" ;;
		esac
	done
	[ -z "$left" ] && break
	sleep 0.1
done
if [ -z "$ids" ]; then
	skip "cookies: SIGTERM: tcx links and programs released" "no ids from status --json"
elif [ -z "$left" ]; then
	ok "cookies: SIGTERM: tcx links and programs released ($ids)"
else
	fail "cookies: SIGTERM: tcx links and programs released" "still there:$left"
fi
tcf=$(lsrv tc filter show dev "$LAB_SIF" ingress 2>&1; lsrv tc filter show dev "$LAB_SIF" egress 2>&1)
expect "cookies: SIGTERM: no tc filters on $LAB_SIF" "$tcf" = ""
if [ -e "$pin" ]; then fail "cookies: SIGTERM: pin dir removed" "$pin: $(ls "$pin" | tr '\n' ' ')"
else ok "cookies: SIGTERM: pin dir removed"; fi

# control: without synguard, the same ACKs do reach the kernel (proves the
# TcpOutRsts oracle above could have failed)
rst0=$(srv_out_rsts)
tx=$(lab_trafgen "$LAB_TMP/ack.client.cfg" 200 5 20000)
sleep 0.5
rst1=$(srv_out_rsts)
expect "cookies: control: detached, $tx spoofed ACKs get kernel RSTs (TcpOutRsts +$((rst1 - rst0)))" \
	$((rst1 - rst0)) -gt 0
# and a plain connection works without synguard
lcli timeout 20 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n 1 -b 10000 -q >"$LAB_TMP/after" 2>&1
expect "cookies: detached: plain connection works" "$(jget summary.ok 0 <"$LAB_TMP/after")" -eq 1

lab_finish
