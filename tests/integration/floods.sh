#!/usr/bin/env bash
# Floods against a protected server (synguardd --mode on, drop_oow_rst=1),
# each bounded in packets and seconds, each with legitimate clients
# connecting meanwhile and six established connections (IPv4 + IPv6)
# echoing through all of them: SYN, spoofed ACK, RST out of the window and
# inside it, FIN (with and without ACK), SYN-ACK reflection, and all mixed.
# Per flood: every legit connection succeeds, the server's stack accepted
# exactly the legit connections (TcpPassiveOpens), received no more
# segments than the client's stack sent (TcpInSegs vs TcpOutSegs: the flood
# never reached it), sent no RST and reset nothing; synguard counted the
# flood by its reason. In-window RSTs are the exception by design: they
# reach the server, whose RFC 5961 challenge ACK keeps the connection; so
# are FIN+ACKs behind the window aimed at the established connections: the
# server discards them, and the tracker must too (they stay ESTABLISHED in
# synguard conns, as in ss).
set -u
source "$(dirname "$0")/../lab.sh"
lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen nstat
T=$LAB_ROOT/tests/tools
PORT=8080
N=${FLOOD_PKTS:-20000}      # trafgen packets per flood
NRST=${FLOOD_RSTS:-500}     # RSTs per established connection
LEGIT=20                    # legit connections per flood (IPv4 + IPv6 each)

lab_up sg-fl$$ 41 || { fail "floods: lab up"; lab_finish; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py $PORT -n 0 -t 900 --ready "$LAB_TMP/ready" >"$LAB_TMP/srv.out"
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
if ! sg_start -p $PORT --mode on; then fail "floods: synguardd starts" "$(sg_log 3)"; lab_finish; fi
sg_cli set -i "$LAB_SIF" drop_oow_rst=1 >/dev/null || fail "floods: set drop_oow_rst=1"
lab_bg lcli $LAB_PY $T/longlived.py $PORT "$LAB_S4" "$LAB_S6" -n 6 \
	--tuples "$LAB_TMP/tuples" --stop "$LAB_TMP/stop" -t 600 >"$LAB_TMP/longlived.out"
LL_PID=${LAB_PIDS[-1]}
for _ in $(seq 100); do [ -e "$LAB_TMP/tuples" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/tuples" ] || { fail "floods: established connections open"; lab_finish; }
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF") CMAC=$(lab_mac "$LAB_CLI" "$LAB_CIF")

# kernel counters of both stacks, one line
snap() {
	echo "$(nstat_get "$LAB_SRV" TcpInSegs) $(nstat_get "$LAB_SRV" TcpPassiveOpens)" \
	     "$(nstat_get "$LAB_SRV" TcpOutRsts) $(nstat_get "$LAB_SRV" TcpEstabResets)" \
	     "$(nstat_get "$LAB_SRV" TcpExtTCPChallengeACK) $(nstat_get "$LAB_CLI" TcpOutSegs)" \
	     "$(nstat_get "$LAB_CLI" TcpEstabResets)"
}

# trafgen template for FLAGS from random sources; reflect: random dport
cfg() {
	lab_trafgen_cfg "$1" "${2:-$PORT}" random >"$LAB_TMP/$3.cfg"
	[ "${2:-}" = reflect ] && sed -i 's/const16(reflect)/drnd(2)/' "$LAB_TMP/$3.cfg"
	echo "$LAB_TMP/$3.cfg"
}
trafgen_flood() { lab_trafgen "$1" "$2" 15 "$3" >/dev/null; }
rst_flood() {
	lcli $LAB_PY $T/rst_flood.py "$LAB_CIF" "$CMAC" "$SMAC" "$LAB_TMP/tuples" "$1" "$NRST" \
		>>"$LAB_TMP/rst.out" 2>&1
}

# the established connections' tuples, ESTABLISHED both in synguard conns
# (server side) and in the server's ss
established_agree() {
	$LAB_PY - "$LAB_TMP/tuples" "$(sg_cli conns -i "$LAB_SIF" --json)" \
		"$(lsrv ss -Htn state established)" <<-'EOF'
	import ipaddress, json, sys
	tuples = json.load(open(sys.argv[1]))
	conns = {(ipaddress.ip_address(c["remote"]), c["rport"]): c["state"] for c in json.loads(sys.argv[2])}
	ss = set()
	for l in sys.argv[3].splitlines():
	    peer = l.split()[3].rsplit(":", 1)
	    ss.add((ipaddress.ip_address(peer[0].strip("[]")), int(peer[1])))
	bad = [(t["local"], t["lport"], conns.get((ipaddress.ip_address(t["local"]), t["lport"])),
	        (ipaddress.ip_address(t["local"]), t["lport"]) in ss) for t in tuples
	       if conns.get((ipaddress.ip_address(t["local"]), t["lport"])) != "ESTABLISHED" or
	       (ipaddress.ip_address(t["local"]), t["lport"]) not in ss]
	print("%d tuples agree" % len(tuples) if not bad else "tracked/ss: %s" % bad)
	sys.exit(1 if bad else 0)
	EOF
}

# flood NAME "COUNTERS..." CMD...: CMD floods in the background while the
# legit clients run; the synguard counters named must grow by >= MIN.
flood() {
	local name=$1 counters=$2 min=$3 s0 s1 c0 c1 legit4 legit6 grown=0 c
	shift 3
	s0=($(snap)); c0=$(sg_stats)
	"$@" &
	local fpid=$!
	sleep 0.3
	legit4=$(lcli $LAB_PY $T/tcpinfo_client.py "$LAB_S4" $PORT -n $LEGIT -b 4000 --interval 0.05 -T 5 -t 60 -q | jget summary.ok 0)
	legit6=$(lcli $LAB_PY $T/tcpinfo_client.py "$LAB_S6" $PORT -n $LEGIT -b 4000 --interval 0.05 -T 5 -t 60 -q | jget summary.ok 0)
	wait $fpid
	sleep 1 # let the last legit segments land
	s1=($(snap)); c1=$(sg_stats)
	for c in $counters; do
		grown=$((grown + $(echo "$c1" | jget "counters.$c" 0) - $(echo "$c0" | jget "counters.$c" 0)))
	done
	note "$name: synguard $counters +$grown; server TcpInSegs +$((s1[0] - s0[0])), client TcpOutSegs +$((s1[5] - s0[5])), challenge ACKs +$((s1[4] - s0[4]))"
	expect "floods: $name: legit IPv4 connections succeed" "$legit4" -eq $LEGIT
	expect "floods: $name: legit IPv6 connections succeed" "$legit6" -eq $LEGIT
	expect "floods: $name: synguard counts the flood ($counters)" "$grown" -ge "$min"
	expect "floods: $name: server accepted exactly the legit connections (TcpPassiveOpens)" \
		$((s1[1] - s0[1])) -eq $((2 * LEGIT))
	expect "floods: $name: server sent no RST (TcpOutRsts)" $((s1[2] - s0[2])) -eq 0
	expect "floods: $name: no established connection reset (TcpEstabResets, both ends)" \
		$((s1[3] - s0[3] + s1[6] - s0[6])) -eq 0
	if [ "$name" = "RST in window" ]; then
		expect "floods: $name: the server challenged them (TcpExtTCPChallengeACK)" $((s1[4] - s0[4])) -gt 0
	elif [ "$name" = "FIN behind the window" ]; then
		check "floods: $name: the established connections stay ESTABLISHED in synguard conns and in ss" \
			established_agree
	else
		# every segment the server's stack took was one the client's stack sent
		expect "floods: $name: the server's stack saw none of it (TcpInSegs <= client TcpOutSegs + 50)" \
			$((s1[0] - s0[0])) -le $((s1[5] - s0[5] + 50))
	fi
}

rate=$((N / 3))
flood "SYN" "syn_cookies_sent" $((N * 9 / 10)) trafgen_flood "$(cfg 0x02 "" syn)" $N $rate
flood "spoofed ACK" "cookies_rejected cookies_over_budget" $((N * 9 / 10)) \
	trafgen_flood "$(cfg 0x10 "" ack)" $N $rate
flood "RST out of window" "drop_rst_oow" $((NRST * 6 * 9 / 10)) rst_flood oow
flood "RST in window" "ct_rst_challenged" $((NRST * 6 * 9 / 10)) rst_flood inwin
flood "FIN behind the window" "ct_fin_oow" $((NRST * 6 * 9 / 10)) rst_flood finold
flood "FIN+ACK" "cookies_rejected cookies_over_budget" $((N * 9 / 10)) \
	trafgen_flood "$(cfg 0x11 "" finack)" $N $rate
flood "bare FIN" "drop_no_ack" $((N * 9 / 10)) trafgen_flood "$(cfg 0x01 "" fin)" $N $rate
flood "SYN-ACK reflection" "drop_synack_unsolicited" $((N * 9 / 10)) \
	trafgen_flood "$(cfg 0x12 reflect synack)" $N $rate
mix() {
	trafgen_flood "$LAB_TMP/syn.cfg" $((N / 4)) $((rate / 4)) &
	trafgen_flood "$LAB_TMP/ack.cfg" $((N / 4)) $((rate / 4)) &
	trafgen_flood "$LAB_TMP/finack.cfg" $((N / 4)) $((rate / 4)) &
	trafgen_flood "$LAB_TMP/synack.cfg" $((N / 4)) $((rate / 4)) &
	rst_flood oow
	wait
}
flood "mix" "syn_cookies_sent cookies_rejected cookies_over_budget drop_synack_unsolicited drop_rst_oow" \
	$((N * 9 / 10)) mix

touch "$LAB_TMP/stop"
wait "$LL_PID" 2>/dev/null
ll=$(tail -1 "$LAB_TMP/longlived.out")
expect "floods: the 6 established connections echoed through every flood" "$(echo "$ll" | jget alive 0)" -eq 6
[ "$(echo "$ll" | jget alive 0)" -eq 6 ] || note "longlived: $ll"
expect "floods: synguard still running" "$(sg_alive && echo up)" = up
lab_finish
