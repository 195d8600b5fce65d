#!/usr/bin/env bash
# Policy, end to end between real Linux TCP stacks: the per-source SYN
# budget (one source limited, another connects freely; a /24 and a /64 that
# rotate addresses are one source), the deny and allow lists for IPv4 and
# IPv6 (a denied SYN never reaches the server's stack; an allowed one does,
# in cookie mode, which the kernel's SYN_RECV socket proves), the learned
# allowlist (a client that completed a cookie handshake keeps connecting
# without cookies; flushed, it gets cookies again), the SYN-ACK caps (a
# flood spoofed from one victim /24 gets at most its budget of SYN-ACKs,
# counted where they arrive; the global cap likewise) and shadow mode (the
# kernel answers everything, its own syncookies move, synguard only counts
# what it would have done).
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen nstat bpftool nft
PORT=8080
T=tests/tools
X=21
PIN=$LAB_BPFFS/sg-pol-$$
trap 'rm -rf "$PIN"; lab_cleanup' EXIT
lab_up "sg-po$$" $X >/dev/null || { fail "policy: lab setup"; exit 1; }
A4=$LAB_C4 B4=198.18.$X.3 A6=$LAB_C6 B6=2001:db8:$X::3
lcli ip addr add "$B4/24" dev "$LAB_CIF"
lcli ip addr add "$B6/64" dev "$LAB_CIF" nodad
ROT4= ROT6=
for i in $(seq 10 29); do
	lcli ip addr add "198.18.$X.$i/24" dev "$LAB_CIF"
	lcli ip addr add "2001:db8:$X::$i/64" dev "$LAB_CIF" nodad
	ROT4="$ROT4 198.18.$X.$i" ROT6="$ROT6 2001:db8:$X::$i"
done
# another /64 of the same client
O6=2001:db8:$X:1::2
lcli ip addr add "$O6/64" dev "$LAB_CIF" nodad
lsrv ip -6 route add "2001:db8:$X:1::/64" dev "$LAB_SIF"
# spoofed sources (198.19.0.0/16) are answered through the veth and
# counted at its other end, where bench_count drops them
mkdir -p "$PIN" &&
	bpftool prog load build/bench_count.bpf.o "$PIN/count" type xdp pinmaps "$PIN" &&
	lcli ip link set dev "$LAB_CIF" xdpdrv off &&
	lcli ip link set dev "$LAB_CIF" xdpdrv pinned "$PIN/count" &&
	lsrv ip route add 198.19.0.0/16 via "$LAB_C4" dev "$LAB_SIF" ||
	{ fail "policy: bench_count on the client end"; exit 1; }
for a in $A4 $B4 $A6 $B6 $O6; do lcli ping -c1 -W2 -I "$a" "$( [[ $a == *:* ]] && echo "$LAB_S6" || echo "$LAB_S4")" >/dev/null 2>&1; done

lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 900 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "policy: echo server listening"; exit 1; }

# conn DST SRC... [-n N] [-T SECS]: real connections; prints the JSON summary
conn() { local dst=$1; shift; lcli timeout 120 $LAB_PY $T/src_connect.py connect "$dst" "$PORT" --src "$@"; }
c() { sg_counter "$1"; }
would() { sg_stats 2>/dev/null | jget "would.$1" -1; }
answers() { # SYN-ACKs the client end counted (to 198.19.0.0/16)
	bpftool -j map dump pinned "$PIN/sg_answers" 2>/dev/null | $LAB_PY -c '
import json, sys
n = 0
for e in json.load(sys.stdin):
    k = e.get("key", 0)
    if (k if isinstance(k, int) else int(k[0], 0)) == 0:
        n += sum(v["value"] if isinstance(v["value"], int) else
                 int.from_bytes(bytes(int(b, 0) for b in v["value"]), "little")
                 for v in e.get("values", []))
print(n)'
}
flood() { # flood CFG PACKETS PPS: packets that left the client veth
	lab_trafgen "$1" "$2" 20 "$3"
}
# trafgen SYNs from SRC (trafgen's byte list, e.g. "198, 19, 21, drnd(1)")
syn_cfg() {
	lab_trafgen_cfg 0x02 "$PORT" random | sed "s/198, 19, drnd(2)/$1/" >"$2"
}
kin() { nstat_get "$LAB_SRV" TcpInSegs; }
synrecv_from() { # request sockets of the server's kernel from address $1
	lsrv ss -Htan state syn-recv "( sport = :$PORT )" | grep -cF -e " $1:" -e "[$1]:"
}
# the client drops the SYN-ACKs of port PORT: handshakes stop half-way
hold_synacks() {
	lcli nft add table inet sgpol &&
	lcli nft "add chain inet sgpol in { type filter hook input priority 0; }" &&
	lcli nft add rule inet sgpol in tcp sport "$PORT" tcp flags syn drop
}
release_synacks() { lcli nft delete table inet sgpol 2>/dev/null; }

# ---- the SYN budget --------------------------------------------------------------
if ! sg_start -p "$PORT" --mode off --metrics off -s syn_budget.rate=2 -s syn_budget.burst=5; then
	fail "policy: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
lab_trafgen_cfg 0x02 "$PORT" client >"$LAB_TMP/a.cfg"
rl0=$(c syn_ratelimited) sp0=$(c syn_passed)
( flood "$LAB_TMP/a.cfg" 600 300 >"$LAB_TMP/a.sent" ) &
FL=$!
LAB_PIDS+=($FL)
sleep 0.5
out=$(conn "$LAB_S4" "$B4" -n 4 -T 2)
wait $FL
sent=600 # trafgen's count; the veth's also holds B's packets
rl=$(( $(c syn_ratelimited) - rl0 )) sp=$(( $(c syn_passed) - sp0 ))
note "syn budget 2/s burst 5: $A4 sent $sent SYNs in ~2 s: $rl over budget, answered with cookies (syn_ratelimited), $sp passed in all; $B4: $out"
slow=$(echo "$out" | $LAB_PY -c 'import json,sys; print(sum(m > 500 for m in json.load(sys.stdin)["ms"]))')
expect "syn budget: $B4 connects freely meanwhile (4 of 4, none retried: $slow slow)" \
	"$(( $(echo "$out" | jget ok 0) == 4 && slow == 0 ))" -eq 1
expect "syn budget: $A4's SYNs over its budget get cookies, not the kernel (syn_ratelimited $rl of $sent)" "$rl" -ge $((sent - 30))
expect "syn budget: what $A4 got through is its burst plus 2/s ($((sp - 4)) <= 5 + 2 x ~3 s + 4)" $((sp - 4)) -le 15

# a /24 that rotates addresses is one source when prefix4=24; /32s are not
roll() { # roll PREFIXLEN ADDRS... : connections made, ratelimited delta
	local r0 out
	r0=$(c syn_ratelimited)
	out=$(conn "$@" -T 0.25)
	echo "$(echo "$out" | jget ok 0) $(( $(c syn_ratelimited) - r0 ))"
}
sg_cli set -i "$LAB_SIF" syn_budget.rate=1 syn_budget.burst=4 syn_budget.prefix4=24 syn_budget.prefix6=64 >/dev/null
read -r ok rl <<<"$(roll "$LAB_S4" $ROT4)"
note "prefix4=24: 20 addresses of one /24, one SYN each: $ok connected, $rl SYNs over budget"
# over the budget a SYN gets a cookie, not a drop: every address connects
if [ "$ok" -eq 20 ] && [ "$rl" -ge 5 ]; then ok "syn budget: prefix4=24: 20 addresses rotating inside one /24 share one budget ($rl over it, by cookie; $ok of 20 connected)"
else fail "syn budget: prefix4=24 aggregates the /24, over it by cookie" "$ok connected, $rl over budget"; fi
read -r ok rl <<<"$(roll "$LAB_S6" $ROT6)"
o6=$(conn "$LAB_S6" "$O6" -T 1 | jget ok 0)
if [ "$ok" -eq 20 ] && [ "$rl" -ge 5 ]; then ok "syn budget: prefix6=64: 20 addresses rotating inside one /64 share one budget ($rl over it, by cookie; $ok of 20 connected)"
else fail "syn budget: prefix6=64 aggregates the /64, over it by cookie" "$ok connected, $rl over budget"; fi
expect "syn budget: meanwhile another /64 of the same host connects" "$o6" -eq 1
sg_cli set -i "$LAB_SIF" syn_budget.prefix4=32 syn_budget.prefix6=128 syn_budget.burst=5 >/dev/null
read -r ok rl <<<"$(roll "$LAB_S4" $ROT4)"
read -r ok6 rl6 <<<"$(roll "$LAB_S6" $ROT6)"
expect "syn budget: prefix4=32, prefix6=128: each address its own source, all connect (IPv4 $ok, IPv6 $ok6 of 20)" $((ok + ok6)) -eq 40
sg_stop

# ---- deny and allow -------------------------------------------------------------------
if ! sg_start -p "$PORT" --mode off --metrics off; then
	fail "policy: synguardd starts again" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
out=$(sg_cli deny add "$B4/24" -i "$LAB_SIF" 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ $out == *"host bits set: the prefix is 198.18.$X.0/24"* ]]; then ok "deny: a prefix with host bits set is refused, the prefix named (exit 2: $out)"
else fail "deny: a prefix with host bits set is refused" "exit $rc: $out"; fi
sg_cli deny add "$B4" "$B6/128" -i "$LAB_SIF" >/dev/null
d0=$(c drop_denied) k0=$(kin)
o4=$(conn "$LAB_S4" "$B4" -T 1.5 | jget ok x) o6=$(conn "$LAB_S6" "$B6" -T 1.5 | jget ok x)
k1=$(kin) d1=$(c drop_denied)
expect "deny: IPv4 $B4 cannot connect" "$o4" = 0
expect "deny: IPv6 $B6 cannot connect" "$o6" = 0
expect "deny: no segment of theirs reached the server's stack (TcpInSegs $k0 -> $k1)" "$k1" -eq "$k0"
expect "deny: dropped at XDP and counted (drop_denied +$((d1 - d0)), with retransmissions)" $((d1 - d0)) -ge 4
hits=$(sg_cli deny list -i "$LAB_SIF" --json | $LAB_PY -c 'import json,sys; print(sum(e["hits"] for e in json.load(sys.stdin)))')
expect "deny: list --json counts the prefixes' hits ($hits)" "$hits" -ge 4
expect "deny: meanwhile $A4 connects" "$(conn "$LAB_S4" "$A4" -T 2 | jget ok 0)" -eq 1
sg_cli deny del "$B4" "$B6/128" -i "$LAB_SIF" >/dev/null
expect "deny: deleted, $B4 connects again" "$(conn "$LAB_S4" "$B4" -T 2 | jget ok 0)" -eq 1

# allow, in cookie mode: the kernel gets the allowed SYN (it holds a
# SYN_RECV socket while the client's end drops the SYN-ACK); the others'
# SYNs are answered at XDP and the kernel holds nothing
sg_cli set -i "$LAB_SIF" mode=on >/dev/null
sg_cli allow add "$B4/32" "$B6/128" -i "$LAB_SIF" >/dev/null
hold_synacks || fail "allow: nft on the client"
conn "$LAB_S4" "$B4" -T 0.5 >/dev/null; conn "$LAB_S6" "$B6" -T 0.5 >/dev/null
sc0=$(c syn_cookies_sent)
conn "$LAB_S4" "$A4" -T 0.5 >/dev/null
sc1=$(c syn_cookies_sent)
expect "allow: IPv4 $B4's SYN reached the kernel: a SYN_RECV socket for it" "$(synrecv_from "$B4")" -ge 1
expect "allow: IPv6 $B6's SYN reached the kernel: a SYN_RECV socket for it" "$(synrecv_from "$B6")" -ge 1
expect "allow: unlisted $A4 got a cookie instead (syn_cookies_sent +$((sc1 - sc0)), no SYN_RECV socket)" \
	"$(( sc1 - sc0 >= 1 && $(synrecv_from "$A4") == 0 ))" -eq 1
release_synacks
sa0=$(c syn_allowed) ca0=$(c cookies_accepted) sc0=$(c syn_cookies_sent)
o4=$(conn "$LAB_S4" "$B4" -n 3 -T 2 | jget ok 0) o6=$(conn "$LAB_S6" "$B6" -n 3 -T 2 | jget ok 0)
expect "allow: IPv4 and IPv6 allowed clients connect, cookie mode on (6 of 6)" $((o4 + o6)) -eq 6
expect "allow: ...without cookies (syn_allowed +$(( $(c syn_allowed) - sa0 )), cookies_accepted +$(( $(c cookies_accepted) - ca0 )), syn_cookies_sent +$(( $(c syn_cookies_sent) - sc0 )))" \
	"$(( $(c syn_allowed) - sa0 >= 6 && $(c cookies_accepted) == ca0 && $(c syn_cookies_sent) == sc0 ))" -eq 1
sg_cli allow del "$B4/32" "$B6/128" -i "$LAB_SIF" >/dev/null

# ---- learned sources ------------------------------------------------------------------
sg_cli set -i "$LAB_SIF" learn.time=60 >/dev/null
sg_cli allow flush --learned -i "$LAB_SIF" >/dev/null
ca0=$(c cookies_accepted)
conn "$LAB_S4" "$A4" -T 2 >/dev/null
expect "learned: $A4's first connection went through a cookie (cookies_accepted +$(( $(c cookies_accepted) - ca0 )))" \
	$(( $(c cookies_accepted) - ca0 )) -eq 1
expect "learned: allow list --learned names it" \
	"$(sg_cli allow list --learned -i "$LAB_SIF" --json | jget 0.prefix x)" = "$A4/32"
sl0=$(c syn_learned) ca0=$(c cookies_accepted)
out=$(conn "$LAB_S4" "$A4" -n 5 -T 2)
expect "learned: it keeps connecting while cookie mode is on (5 of 5)" "$(echo "$out" | jget ok 0)" -eq 5
expect "learned: ...without cookies (syn_learned +$(( $(c syn_learned) - sl0 )), cookies_accepted +$(( $(c cookies_accepted) - ca0 )))" \
	"$(( $(c syn_learned) - sl0 == 5 && $(c cookies_accepted) == ca0 ))" -eq 1
hold_synacks
conn "$LAB_S4" "$A4" -T 0.5 >/dev/null
expect "learned: ...the kernel sees its SYN (a SYN_RECV socket)" "$(synrecv_from "$A4")" -ge 1
release_synacks
out=$(sg_cli allow flush --learned -i "$LAB_SIF")
expect "learned: flush ($out)" "$(sg_cli allow list --learned -i "$LAB_SIF" --json | jget 0 none)" = none
ca0=$(c cookies_accepted) sl0=$(c syn_learned)
conn "$LAB_S4" "$A4" -T 2 >/dev/null
expect "learned: flushed, its next connection is a cookie's again (cookies_accepted +$(( $(c cookies_accepted) - ca0 )), syn_learned +$(( $(c syn_learned) - sl0 )))" \
	"$(( $(c cookies_accepted) - ca0 == 1 && $(c syn_learned) == sl0 ))" -eq 1
sg_cli set -i "$LAB_SIF" learn.time=0 >/dev/null

# ---- SYN-ACK caps -----------------------------------------------------------------------
syn_cfg "198, 19, $X, drnd(1)" "$LAB_TMP/victim.cfg"
syn_cfg "198, 19, drnd(2)" "$LAB_TMP/spread.cfg"
sg_cli set -i "$LAB_SIF" synack.dest_rate=20 synack.dest_burst=20 syn_budget.prefix4=24 >/dev/null
a0=$(answers) d0=$(c drop_synack_dest)
sent=$(flood "$LAB_TMP/victim.cfg" 1000 500)
sleep 0.5
got=$(( $(answers) - a0 )) dd=$(( $(c drop_synack_dest) - d0 ))
note "synack.dest_rate 20/s burst 20: $sent SYNs spoofed from 198.19.$X.0/24 in ~2 s: $got SYN-ACKs arrived, $dd suppressed"
expect "synack cap: a flood aimed at one victim /24 gets at most burst + rate x time SYN-ACKs ($got <= 20 + 20 x 3)" "$got" -le 80
expect "synack cap: the victim got some (the cap is a cap: $got)" "$got" -ge 20
expect "synack cap: the rest suppressed and counted (drop_synack_dest $dd, $got + $dd = $sent sent)" $((got + dd)) -ge $((sent - 5))
a0=$(answers)
sent=$(flood "$LAB_TMP/spread.cfg" 1000 500)
sleep 0.5
got=$(( $(answers) - a0 ))
expect "synack cap: the same flood from a whole /16 (256 /24s) is answered ($got of $sent)" "$got" -ge $((sent * 95 / 100))
sg_cli set -i "$LAB_SIF" synack.dest_rate=0 synack.rate=100 synack.burst=20 >/dev/null
# over the cap an unknown source's SYN is shed before the cookie path
# (drop_syn_shed); the few the tracker's filter may know reach the cap
a0=$(answers) g0=$(( $(c drop_synack_global) + $(c drop_syn_shed) ))
sent=$(flood "$LAB_TMP/spread.cfg" 1000 500)
sleep 0.5
got=$(( $(answers) - a0 )) gd=$(( $(c drop_synack_global) + $(c drop_syn_shed) - g0 ))
ncpu=$(nproc)
note "synack.rate 100/s burst 20 per CPU ($ncpu): $sent SYNs in ~2 s: $got SYN-ACKs, $gd suppressed"
expect "synack cap: global: at most burst x CPUs + rate x time ($got <= 20 x $ncpu + 100 x 3)" "$got" -le $((20 * ncpu + 300))
expect "synack cap: global: the rest suppressed and counted (drop_syn_shed + drop_synack_global $gd)" $((got + gd)) -ge $((sent - 5))
sg_cli set -i "$LAB_SIF" synack.rate=0 >/dev/null
sg_stop

# ---- shadow mode ----------------------------------------------------------------------
if ! sg_start -p "$PORT" --mode shadow --metrics off -s auto.syn_rate_high=300 -s auto.syn_rate_low=20 \
	-s auto.hold=2 -s syn_budget.rate=1 -s syn_budget.burst=3; then
	fail "shadow: synguardd --mode shadow starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
sg_cli deny add "$B4" -i "$LAB_SIF" >/dev/null
kc0=$(srv_cookies_sent) a0=$(answers) sc0=$(c syn_cookies_sent) w0=$(would syn_cookies_sent)
dr0=$(sg_stats | $LAB_PY -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print(sum(v for k,v in c.items() if k.startswith("drop_")))')
( flood "$LAB_TMP/spread.cfg" 3000 1000 >"$LAB_TMP/shadow.sent" ) &
FL=$!
LAB_PIDS+=($FL)
for _ in $(seq 100); do grep -q "would switch cookie mode on (shadow)" "$SG_LOG" && break; sleep 0.1; done
sleep 0.5
out=$(conn "$LAB_S4" "$A4" -n 5 -T 2) ob=$(conn "$LAB_S4" "$B4" -T 2 | jget ok 0)
wait $FL
sleep 1
sent=$(cat "$LAB_TMP/shadow.sent")
got=$(( $(answers) - a0 )) kc=$(( $(srv_cookies_sent) - kc0 ))
dr1=$(sg_stats | $LAB_PY -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print(sum(v for k,v in c.items() if k.startswith("drop_")))')
line=$(grep -m1 "would switch cookie mode on (shadow)" "$SG_LOG")
note "shadow: $sent SYNs: kernel answered $got, its own syncookies +$kc; would-be: syn_cookies_sent +$(( $(would syn_cookies_sent) - w0 )), drop_denied $(would drop_denied), syn_ratelimited $(would syn_ratelimited); pass_shadow $(c pass_shadow)"
if [ -n "$line" ]; then ok "shadow: auto's decision runs and is logged as would-be: ${line#* }"
else fail "shadow: 'would switch cookie mode on' logged" "$(grep -i cookie "$SG_LOG" | tail -n 2)"; fi
expect "shadow: the kernel answered every SYN itself ($got of $sent)" "$got" -ge $((sent * 95 / 100))
expect "shadow: ...its own syncookies moved (TcpExtSyncookiesSent +$kc)" "$kc" -gt 0
expect "shadow: synguard answered nothing (syn_cookies_sent +$(( $(c syn_cookies_sent) - sc0 )))" "$(c syn_cookies_sent)" -eq "$sc0"
expect "shadow: and dropped nothing (drop_* counters +$((dr1 - dr0)))" "$dr1" -eq "$dr0"
expect "shadow: but counted the cookies it would have sent (would syn_cookies_sent +$(( $(would syn_cookies_sent) - w0 )))" \
	$(( $(would syn_cookies_sent) - w0 )) -gt 100
expect "shadow: legit connections work (5 of 5)" "$(echo "$out" | jget ok 0)" -eq 5
expect "shadow: a denied source connects (nothing is dropped)" "$ob" -eq 1
expect "shadow: ...counted as would-be drop_denied ($(would drop_denied))" "$(would drop_denied)" -ge 1
expect "shadow: what passed only because of shadow mode is counted (pass_shadow $(c pass_shadow))" "$(c pass_shadow)" -gt 100
sm=$(sg_cli stats -i "$LAB_SIF" | grep -A3 '^WOULD' | head -n 2 | tr -s ' ' | tr '\n' ' ')
expect "shadow: stats shows the would-be counters ($sm)" "$(sg_cli stats -i "$LAB_SIF" | grep -c '^WOULD')" -eq 1
lab_finish
