#!/usr/bin/env bash
# A SYN flood larger than synguard answers (docs/security.md, "Known
# clients first"). The SYN-ACK cap (synack.rate 2/s: 1/s on each of the
# CPUs, burst 1) stands for what the machine can answer; spoofed SYNs from
# 198.19.0.0/16 come at 20,000/s, from every CPU (each CPU has its share
# of the cap, and a veth's receive path runs on whichever CPU its NAPI was
# woken on). A cap this far under the flood: the generators send in
# batches, and in the gaps between them a higher cap would have a SYN-ACK
# left for anyone, the client of the weakened config too. Over the cap, an unknown source's SYN is shed at the top of the
# SYN path (drop_syn_shed), and a client synguard has learned (it
# completed a handshake before the flood, learn.time on) goes on to the
# kernel's handshake: it connects at its first SYN (a connect timeout of
# 0.7 s, under the kernel's first retransmission), and `ss` in the server
# shows its connections ESTABLISHED. The weakened config shows the attack:
# the same client, not learned (learn.time 0), competes with the flood for
# the cap's few SYN-ACKs: of N connects at once, at most the few the cap
# holds meanwhile complete at their first SYN, the rest are shed.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" build/sg_bench
PORT=8080
T=tests/tools
N=20
RATE=20000 SECS=4
lab_up "sg-lg$$" 220 >/dev/null || { fail "syn_flood_over_cap: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 120 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "syn_flood_over_cap: echo server listening"; exit 1; }
# the answers to the spoofed sources leave by the veth (the client's XDP
# program passes them to a stack that has no such address: dropped there)
lsrv ip route add 198.19.0.0/16 via "$LAB_C4" dev "$LAB_SIF" ||
	{ fail "syn_flood_over_cap: route to the spoofed sources"; exit 1; }
sg_start -p "$PORT" --mode on || { fail "syn_flood_over_cap: synguardd starts"; sg_log; exit 1; }
sg_cli set -i "$LAB_SIF" learn.time=600 synack.rate=2 synack.burst=1 >/dev/null ||
	{ fail "syn_flood_over_cap: synguard set"; exit 1; }

c() { sg_counter "$1"; }
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF") CMAC=$(lab_mac "$LAB_CLI" "$LAB_CIF")
NCPU=$(getconf _NPROCESSORS_ONLN)
# flood: spoofed SYNs at RATE/s for SECS s, a generator on each CPU, in
# the background; flood_wait waits for them
flood() {
	local cpu
	FLOODS=()
	for cpu in $(seq 0 $((NCPU - 1))); do
		lcli build/sg_bench flood -i "$LAB_CIF" --src-mac "$CMAC" --dst-mac "$SMAC" \
			--dst "$LAB_S4" --dport "$PORT" -k syn -s "$SECS" -n $((RATE * SECS / NCPU)) \
			-r $((RATE / NCPU)) -c "$cpu" >"$LAB_TMP/flood.$cpu" 2>&1 &
		FLOODS+=($!)
	done
}
flood_wait() {
	wait "${FLOODS[@]}"
}
# conn: N connections from the client, one SYN each (-T 0.7), held open 2 s
conn() {
	lcli $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$LAB_C4" \
		-n "$N" -T 0.7 --hold 2 >"$LAB_TMP/conn.out" 2>&1 &
	CONN=$!
}
established() {
	lsrv ss -Htn state established "( sport = :$PORT )" dst "$LAB_C4" | wc -l
}

# before the flood: one handshake (a cookie) learns the client
lcli $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$LAB_C4" -n 1 -T 3 >/dev/null
expect "syn_flood_over_cap: one handshake before the flood learns the client (learned_added)" \
	"$(c learned_added)" -ge 1

# what synguard explain says of the two kinds of source
ex=$(sg_cli explain -i "$LAB_SIF" "$LAB_C4:$PORT")
echo "$ex" | grep -q "never shed" &&
	ok "syn_flood_over_cap: explain: the learned client is never shed" ||
	fail "syn_flood_over_cap: explain: the learned client is never shed" "$(echo "$ex" | grep 'a SYN now')"
ex=$(sg_cli explain -i "$LAB_SIF" "198.19.0.1:$PORT")
echo "$ex" | grep "a SYN now" | grep -q "drop_syn_shed" &&
	ok "syn_flood_over_cap: explain: an unknown source is shed past the cap (drop_syn_shed)" ||
	fail "syn_flood_over_cap: explain: an unknown source is shed past the cap" "$(echo "$ex" | grep 'a SYN now')"

shed0=$(c drop_syn_shed) lrn0=$(c syn_learned) ck0=$(c syn_cookies_sent)
flood
sleep 1 # the cap's burst is spent in the flood's first ms
conn
peak=0
for _ in $(seq 25); do
	e=$(established)
	[ "$e" -gt "$peak" ] && peak=$e
	[ "$peak" -ge "$N" ] && break
	sleep 0.1
done
wait "$CONN"
got=$(jget ok 0 <"$LAB_TMP/conn.out")
flood_wait
note "flood: $(cat "$LAB_TMP"/flood.* | tr '\n' ' ') client: $(cut -c1-160 "$LAB_TMP/conn.out")"
shed=$(($(c drop_syn_shed) - shed0))
expect "syn_flood_over_cap: $RATE spoofed SYNs/s over a cap of 2/s: the flood is shed (drop_syn_shed +$shed)" \
	"$shed" -ge $((RATE * (SECS - 1)))
expect "syn_flood_over_cap: meanwhile the learned client connects $got/$N times at its first SYN" \
	"$got" -eq "$N"
expect "syn_flood_over_cap: ss in the server shows its $N connections ESTABLISHED ($peak)" \
	"$peak" -ge "$N"
expect "syn_flood_over_cap: its SYNs went to the kernel's handshake (syn_learned +$(($(c syn_learned) - lrn0)))" \
	"$(($(c syn_learned) - lrn0))" -ge "$N"
ck=$(($(c syn_cookies_sent) - ck0))
expect "syn_flood_over_cap: the cap held: $ck cookie SYN-ACKs in ${SECS} s (rate 2/s, burst 1 a CPU)" \
	"$ck" -le $((2 * (SECS + 2) + NCPU))

# weakened: the same client not learned competes with the flood for the cap
sg_cli set -i "$LAB_SIF" learn.time=0 >/dev/null
lrn0=$(c syn_learned)
flood
sleep 1
lcli $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n "$N" -c "$N" -T 0.7 -b 16 -q \
	>"$LAB_TMP/weak.out" 2>&1
weak=$(jget summary.ok 0 <"$LAB_TMP/weak.out")
flood_wait
expect "syn_flood_over_cap: the attack itself: not learned, the client connects only $weak/$N times at its first SYN" \
	"$weak" -le $((N / 2))
expect "syn_flood_over_cap: (none of its SYNs went to the kernel as learned)" \
	"$(($(c syn_learned) - lrn0))" -eq 0
sg_stop quiet
lab_finish
