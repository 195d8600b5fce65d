#!/usr/bin/env bash
# Spoofed sources against every per-source mechanism (docs/security.md,
# "Spoofed sources"): what a spoofer who puts a client's address in its
# packets can and cannot do to that client, and the counter that shows it.
#   learned allowlist: no handshake, no learning (learned_added +0); one
#     host's handshake learns that address only, not its /64
#   SYN budget: a SYN flood in a client's name spends its budget
#     (syn_ratelimited), yet the client connects: over budget is a cookie
#   SYN-ACK caps (per destination, global): a spoofer CAN spend them
#     (drop_synack_dest/_global), and an unlearned client whose SYNs meet
#     the spoofer's on one CPU then gets no SYN-ACK: the price of never
#     being a reflector; a learned client is not denied
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen
PORT=8080
T=tests/tools
X=72
lab_up "sg-ss$$" $X >/dev/null || { fail "spoofed_sources: lab setup"; exit 1; }
V1=$LAB_C4 V2=198.18.$X.3 H6=$LAB_C6 N6=2001:db8:$X::3
lcli ip addr add "$V2/24" dev "$LAB_CIF"
lcli ip addr add "$N6/64" dev "$LAB_CIF" nodad
lcli ping -c1 -W2 -I "$V2" "$LAB_S4" >/dev/null 2>&1
lcli ping -6 -c1 -W2 -I "$N6" "$LAB_S6" >/dev/null 2>&1
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "spoofed_sources: echo server listening"; exit 1; }
sg_start -p "$PORT" --mode on --metrics off -s learn.time=60 ||
	{ fail "spoofed_sources: synguardd starts"; sg_log; exit 1; }

c() { sg_counter "$1"; }
set_() { sg_cli set -i "$LAB_SIF" "$@" >/dev/null; }
# conn DST SRC N: connections made from SRC (one SYN each: -T 0.8)
conn() { lcli timeout 60 $LAB_PY $T/src_connect.py connect "$1" "$PORT" --src "$2" -n "$3" -T 0.8 | jget ok 0; }
# cfg FLAGS SRC FILE: a trafgen packet from SRC (an IPv4 address, or
# "random": 198.19.x.x) to the server, random ports 4096-4351 and numbers
cfg() {
	if [ "$2" = random ]; then lab_trafgen_cfg "$1" "$PORT" random >"$3"
	else lab_trafgen_cfg "$1" "$PORT" client | sed "s/$(echo "$V1" | tr . ,)/$(echo "$2" | tr . ,)/" >"$3"; fi
}
# spoof FILE PACKETS PPS: in the background, bounded; wait_spoof to end
SPOOFS=()
spoof() { lab_trafgen "$1" "$2" $(($2 / $3 + 5)) "$3" >/dev/null & SPOOFS+=($!); }
wait_spoof() { local p; for p in "${SPOOFS[@]}"; do wait "$p"; done; SPOOFS=(); }
delta() { echo $(( $(c "$1") - $2 )); }

# ---- the learned allowlist --------------------------------------------------------
cfg 0x02 "$V2" "$LAB_TMP/syn2"; cfg 0x10 "$V2" "$LAB_TMP/ack2"
la0=$(c learned_added)
spoof "$LAB_TMP/syn2" 500 1000; spoof "$LAB_TMP/ack2" 500 1000; wait_spoof
set_ mode=off # the kernel's handshake: SYNs, then blind ACKs
spoof "$LAB_TMP/syn2" 500 1000; wait_spoof; spoof "$LAB_TMP/ack2" 500 1000; wait_spoof
set_ mode=on
expect "spoofed_sources: learned: 2,000 spoofed SYNs and blind ACKs from $V2, cookie mode on and off: not learned (learned_added +$(delta learned_added "$la0"))" \
	"$(delta learned_added "$la0")" -eq 0
# (the spoofed ACKs spent $V2's cookie budget: its SYN goes to the kernel)
sl0=$(c syn_learned)
got=$(conn "$LAB_S4" "$V2" 1)
expect "spoofed_sources: learned: $V2's own next SYN is not taken for a learned one (syn_learned +$(delta syn_learned "$sl0")); it connects" \
	"$got/$(delta syn_learned "$sl0")" = "1/0"
got=$(conn "$LAB_S6" "$H6" 1)
sl0=$(c syn_learned) cs0=$(c syn_cookies_sent)
n6=$(conn "$LAB_S6" "$N6" 1)
expect "spoofed_sources: learned: $H6 connected (learned); $N6 in its /64 still gets a cookie (syn_learned +$(delta syn_learned "$sl0"), syn_cookies_sent +$(delta syn_cookies_sent "$cs0"))" \
	"$got/$n6/$(delta syn_learned "$sl0")/$(delta syn_cookies_sent "$cs0")" = "1/1/0/1"
sl0=$(c syn_learned)
got=$(conn "$LAB_S6" "$H6" 1)
expect "spoofed_sources: learned: $H6 itself skips cookie mode (syn_learned +$(delta syn_learned "$sl0"))" \
	"$got/$(delta syn_learned "$sl0")" = "1/1"
sg_cli allow flush --learned -i "$LAB_SIF" >/dev/null 2>&1 || set_ learn.time=0

# ---- the SYN budget -----------------------------------------------------------------
set_ mode=off learn.time=0 syn_budget.rate=10 syn_budget.burst=20
cfg 0x02 "$V1" "$LAB_TMP/syn1"
rl0=$(c syn_ratelimited) sp0=$(c syn_passed)
spoof "$LAB_TMP/syn1" 4000 1000
sleep 1
got=$(conn "$LAB_S4" "$V1" 10)
wait_spoof
rl=$(delta syn_ratelimited "$rl0") sp=$(delta syn_passed "$sp0")
expect "spoofed_sources: syn budget: 4,000 spoofed SYNs in $V1's name spend its budget (syn_ratelimited +$rl)" "$rl" -ge 3000
expect "spoofed_sources: syn budget: ...the kernel got only its burst and rate (syn_passed +$sp <= 20 + 10/s x 6 s + 10)" "$sp" -le 90
expect "spoofed_sources: syn budget: $V1 still connects 10/10 (over budget: by cookie)" "$got" -eq 10
set_ syn_budget.rate=0

# ---- the SYN-ACK caps -----------------------------------------------------------------
# cap NAME COUNTER MIN SPOOFCFG...: spoofed SYNs from each SPOOFCFG, 3,000 at
# 500/s each, twice: once with learning off ($V2: a client never learned;
# once one of its SYNs got through it would be learned), then with
# learning on and $V1 learned before the attack
cap() {
	local name=$1 cnt=$2 min=$3 f d0 d g sl0; shift 3
	set_ learn.time=0
	d0=$(c "$cnt")
	for f in "$@"; do spoof "$f" 3000 500; done
	sleep 1
	g=$(conn "$LAB_S4" "$V2" 10)
	wait_spoof
	d=$(delta "$cnt" "$d0")
	# what the unlearned client gets is not asserted: in this lab it
	# still connected 8-10/10 (per-CPU sketch gate and global buckets,
	# trafgen's pacing: not pinned down; docs/security.md)
	note "$name: unlearned $V2 connected $g/10 while the spoofer spent the cap"
	expect "spoofed_sources: $name: a spoofer CAN spend these SYN-ACKs ($cnt +$d)" "$d" -ge "$min"
	set_ learn.time=60
	g=$(conn "$LAB_S4" "$V1" 1)
	sl0=$(c syn_learned)
	for f in "$@"; do spoof "$f" 3000 500; done
	sleep 1
	g=$(conn "$LAB_S4" "$V1" 10)
	wait_spoof
	expect "spoofed_sources: $name: a learned client is not denied: $V1 $g/10 (syn_learned +$(delta syn_learned "$sl0"))" "$g" -eq 10
}
cfg 0x02 "$V2" "$LAB_TMP/syn2"
set_ mode=on synack.dest_rate=10 synack.dest_burst=20
cap "dest cap 10/s (SYNs in $V1's and $V2's names)" drop_synack_dest 2000 "$LAB_TMP/syn1" "$LAB_TMP/syn2"
cfg 0x02 random "$LAB_TMP/synr"
set_ synack.dest_rate=0 synack.rate=50 synack.burst=20
# over the global cap, SYNs from sources synguard does not know are shed
# before the cookie path (drop_syn_shed), not refused at the cap
cap "global cap 50/s (SYNs from random sources)" drop_syn_shed 4000 "$LAB_TMP/synr" "$LAB_TMP/synr"
sg_stop quiet
lab_finish
