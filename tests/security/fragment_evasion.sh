#!/usr/bin/env bash
# Fragment and extension-header evasion: a SYN split into IP fragments (the
# TCP header across two of them, or whole in the first) or hidden behind
# eight IPv6 destination-options headers, sent with scapy from addresses no
# kernel owns. The bare kernel reassembles / walks them and answers each
# with a SYN-ACK (the attack works). With synguard: from a denied source,
# nothing reaches the server's stack (no SYN-ACK, TcpInSegs still); from an
# unlisted source in cookie mode, no SYN reaches the listener unverified (no
# SYN-ACK, no SYN_RECV socket, TcpInSegs still), each one counted; with
# cookie mode off, a fragmented SYN whose first fragment holds the whole TCP
# header still reaches the listener, and a tiny first fragment never does.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nstat py:scapy
PORT=8080
T=tests/tools
X=80
N=5
lab_up "sg-fe$$" $X >/dev/null || { fail "fragment_evasion: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 600 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "fragment_evasion: server listening"; exit 1; }
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF") CMAC=$(lab_mac "$LAB_CLI" "$LAB_CIF")

# spoof N: an IPv4 and an IPv6 source no kernel owns, answered through the veth
spoof() {
	lab_route_spoof "198.18.$X.$1"
	lsrv ip -6 neigh replace "2001:db8:$X::$1" lladdr "$CMAC" dev "$LAB_SIF" nud permanent
}
# send SRC SHAPE: N SYNs of SHAPE from SRC; prints the SYN-ACKs they got
send() {
	local dst=$LAB_S4
	[[ $1 == *:* ]] && dst=$LAB_S6
	lcli $LAB_PY $T/frag_syn.py "$LAB_CIF" "$SMAC" "$1" "$dst" "$PORT" "$2" -n $N |
		jget synacks -1
}
kin() { nstat_get "$LAB_SRV" TcpInSegs; }
synrecv_from() { lsrv ss -Htan state syn-recv "( sport = :$PORT )" | grep -cF -e " $1:" -e "[$1]:"; }
c() { sg_counter "$1"; }

# the attack, one case: LABEL SRC SHAPE
CASES="v4-tiny:tiny:4 v4-first:first:4 v6-tiny:tiny:6 v6-first:first:6 v6-deep:deep:6"
src_of() { # src_of FAMILY HOST
	if [ "$1" = 4 ]; then echo "198.18.$X.$2"; else echo "2001:db8:$X::$2"; fi
}

# ---- the bare kernel takes every shape --------------------------------------
host=10
declare -A BARE
for cs in $CASES; do
	IFS=: read -r label shape fam <<<"$cs"
	host=$((host + 1)); spoof $host
	src=$(src_of "$fam" $host)
	BARE[$label]=$(send "$src" "$shape")
	note "bare kernel: $label SYNs from $src: ${BARE[$label]} of $N answered"
done
expect "bare kernel: SYNs with the TCP header in one whole first fragment are answered (v4 ${BARE[v4-first]}, v6 ${BARE[v6-first]} of $N each)" \
	$(( BARE[v4-first] + BARE[v6-first] )) -eq $((2 * N))
expect "bare kernel: SYNs behind 8 IPv6 extension headers are answered (${BARE[v6-deep]} of $N)" "${BARE[v6-deep]}" -eq $N
expect "bare kernel: IPv4 SYNs split inside the TCP header are answered (${BARE[v4-tiny]} of $N)" "${BARE[v4-tiny]}" -eq $N
note "bare kernel: IPv6 SYNs split inside the TCP header: ${BARE[v6-tiny]} of $N answered (Linux may refuse a first fragment without the whole upper-layer header, RFC 7112)"

# ---- a denied source: nothing of it reaches the stack -----------------------
if ! sg_start -p "$PORT" --mode off --metrics off; then
	fail "fragment_evasion: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
sg_cli deny add "198.18.$X.64/26" "2001:db8:$X::40/122" -i "$LAB_SIF" >/dev/null ||
	fail "fragment_evasion: deny add"
host=64
for cs in $CASES; do
	IFS=: read -r label shape fam <<<"$cs"
	host=$((host + 1)); spoof $host
	src=$(src_of "$fam" $host)
	d0=$(c drop_denied) t0=$(c drop_frag_tiny) k0=$(kin)
	got=$(send "$src" "$shape")
	k1=$(kin) d1=$(c drop_denied) t1=$(c drop_frag_tiny)
	expect "denied, mode off: $label SYNs from $src get no SYN-ACK ($got of $N)" "$got" -eq 0
	expect "denied, mode off: $label: the server's stack saw none of it (TcpInSegs $k0 -> $k1)" "$k1" -eq "$k0"
	expect "denied, mode off: $label: every fragment dropped and counted (drop_denied +$((d1 - d0)), drop_frag_tiny +$((t1 - t0)))" \
		$(( d1 - d0 + t1 - t0 )) -ge $N
done

# ---- cookie mode, an unlisted source: no SYN unverified ---------------------
sg_cli set -i "$LAB_SIF" mode=on >/dev/null
host=130
for cs in $CASES; do
	IFS=: read -r label shape fam <<<"$cs"
	host=$((host + 1)); spoof $host
	src=$(src_of "$fam" $host)
	cnt=drop_frag_syn
	[ "$shape" = tiny ] && cnt=drop_frag_tiny
	[ "$shape" = deep ] && cnt=drop_ipv6_ext_depth
	d0=$(c $cnt) k0=$(kin) s0=$(c syn_cookies_sent)
	got=$(send "$src" "$shape")
	k1=$(kin) d1=$(c $cnt) s1=$(c syn_cookies_sent)
	expect "cookie mode: $label SYNs from $src get no SYN-ACK, neither kernel's nor cookie ($got of $N; cookies +$((s1 - s0)))" \
		$((got + s1 - s0)) -eq 0
	expect "cookie mode: $label: no SYN_RECV socket for $src" "$(synrecv_from "$src")" -eq 0
	expect "cookie mode: $label: the server's stack saw none of it (TcpInSegs $k0 -> $k1)" "$k1" -eq "$k0"
	expect "cookie mode: $label: dropped and counted ($cnt +$((d1 - d0)))" $((d1 - d0)) -ge $N
done

# ---- cookie mode off: legitimate fragmentation passes -----------------------
sg_cli set -i "$LAB_SIF" mode=off >/dev/null
for fam in 4 6; do
	host=$((200 + fam)); spoof $host
	src=$(src_of $fam $host)
	p0=$(c pass_ip_fragment)
	got=$(send "$src" first)
	p1=$(c pass_ip_fragment)
	expect "mode off: IPv$fam SYNs fragmented after the whole TCP header reach the listener ($got of $N answered, pass_ip_fragment +$((p1 - p0)))" \
		"$got" -eq $N
	expect "mode off: IPv$fam: the listener holds a SYN_RECV socket for $src" "$(synrecv_from "$src")" -ge 1
	host=$((210 + fam)); spoof $host
	src=$(src_of $fam $host)
	t0=$(c drop_frag_tiny)
	got=$(send "$src" tiny)
	t1=$(c drop_frag_tiny)
	expect "mode off: IPv$fam SYNs split inside the TCP header are dropped ($got answered, drop_frag_tiny +$((t1 - t0)))" \
		$(( got == 0 && t1 - t0 >= N )) -eq 1
done
sg_stop
lab_finish
