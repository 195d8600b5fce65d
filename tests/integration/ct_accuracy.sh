#!/usr/bin/env bash
# The SYN_RCVD gauge against the kernel's request sockets through a SYN
# flood from random sources (~13k SYN/s for 5 s, IPv4, then IPv6 with cookie
# mode off), sampled every
# second during and after it: with cookie mode off the kernel keeps a
# listener's backlog of request sockets and answers the rest with its own
# stateless syncookies (or drops them), and the gauge must count only what
# it keeps (`ss -Htan state syn-recv`, within 5% or 20 sockets). In auto
# mode the flood switches cookie mode on, and it must switch off again
# within auto.hold of the kernel's backlog falling under auto.synrcvd_low,
# not after the tracker's own timeouts.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh
source tests/tools/gauge_vs_ss.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen ss
PORT=8080
RATE=${CT_FLOOD_RATE:-13000}
SECS=5
HOLD=5
LOW=200
lab_up "sg-ca$$" 160 >/dev/null || { fail "ct_accuracy: lab setup"; exit 1; }
# the kernel's SYN-ACKs to the random sources leave by the veth (to the
# client's MAC, which drops them): no route, no request socket
lsrv ip route replace 198.19.0.0/16 via "$LAB_C4" dev "$LAB_SIF"
lsrv ip -6 route replace 2001:db8:ffff::/48 via "$LAB_C6" dev "$LAB_SIF"
lab_trafgen_cfg 0x02 "$PORT" random >"$LAB_TMP/syn4.cfg"
# the IPv6 flood: lab_trafgen_cfg's SYN from 2001:db8:ffff::rnd:rnd
bytes6() { $LAB_PY -c 'import ipaddress, sys
print(", ".join(str(b) for b in ipaddress.ip_address(sys.argv[1]).packed))' "$1"; }
mac() { lab_mac "$1" "$2" | sed 's/^/0x/;s/:/, 0x/g'; }
cat >"$LAB_TMP/syn6.cfg" <<EOT
{ $(mac "$LAB_SRV" "$LAB_SIF"), $(mac "$LAB_CLI" "$LAB_CIF"), 0x86, 0xdd,
  0x60, 0x00, 0x00, 0x00, const16(20), 6, 64,
  0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, drnd(4),
  $(bytes6 "$LAB_S6"),
  drnd(2), const16($PORT), drnd(4), drnd(4), 0x50, 0x02, const16(64240),
  csumtcp6(14, 54), const16(0) }
EOT
# a dual-stack listener with a backlog of 256 that accepts nothing
lab_bg lsrv $LAB_PY -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
s.listen(256)
time.sleep(300)' "$PORT"
wait_for 1 5 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htln sport = :$PORT | wc -l" ||
	{ fail "ct_accuracy: listener"; lab_finish; }

# flood FAMILY: RATE SYN/s for SECS in the background; its end time goes to
# $LAB_TMP/flood_end
flood() {
	rm -f "$LAB_TMP/flood_end"
	lab_bg lcli sh -c 'timeout -s INT "$1" trafgen -o "$2" -i "$3" -n "$4" -P 1 -q -b "$5pps" \
		>/dev/null 2>&1; date +%s.%N >"$6"' flood $((SECS + 3)) "$LAB_CIF" \
		"$LAB_TMP/syn$1.cfg" $((RATE * SECS)) "$RATE" "$LAB_TMP/flood_end"
	FLOOD=${LAB_PIDS[-1]}
}
# once the flood ended, the kernel's requests drain: wait for none, bounded
drained() { [ "$(lsrv ss -Htan state syn-recv | wc -l)" -eq 0 ] && echo true; }

# ---- cookie mode off: the kernel's syncookies and its backlog --------------------------------
if ! sg_start -p "$PORT" --mode off; then
	fail "ct_accuracy: synguardd starts (mode off)" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
unconfirmed() { sg_stats | jget counters.ct_unconfirmed_expired 0; }
# flood_off FAMILY: a flood from IPv4 or IPv6 sources, the gauge during it,
# after it, and once the kernel's requests drained
flood_off() {
	local name="mode off, IPv$1" ck0 ck un0 un res s what
	ck0=$(srv_cookies_sent) un0=$(unconfirmed)
	flood "$1"
	gauge_track SYN_RCVD syn-recv $((SECS + 1)) 5 20 "$name, during the flood"
	wait "$FLOOD" 2>/dev/null
	ck=$(( $(srv_cookies_sent) - ck0 ))
	what="the kernel answered most SYNs with its own syncookies"
	expect "$name: $what (TcpExtSyncookiesSent +$ck)" "$ck" -ge $((RATE * SECS / 4))
	gauge_track SYN_RCVD syn-recv 12 5 20 "$name, after the flood"
	res=$(sg_stats | jget states_source x)
	expect "$name: stats --json says the gauges were walked now (states_source $res)" \
		"$res" = walk
	un=$(( $(unconfirmed) - un0 ))
	expect "$name: the SYNs with no request socket were swept as unconfirmed (+$un)" \
		"$un" -ge $((RATE * SECS / 4))
	wait_for true 70 drained || fail "$name: the kernel's requests drained within 70 s"
	sleep 2   # a sweep (the daemon samples every second) or the retry schedule
	s=$(gauge_sample SYN_RCVD syn-recv); set -- $s
	expect "$name: settled, the gauge equals ss ($1 vs $2)" "$1" -eq "$2"
}
flood_off 4
text=$(sg_cli stats -i "$LAB_SIF")
expect "stats: each gauge line says where it came from" \
	"$(echo "$text" | grep -c '^SYN_RCVD .* walked now$')" -eq 1
flood_off 6
sg_stop

# ---- auto: on by the flood, off within auto.hold of the backlog's end -----------------------
if ! sg_start -p "$PORT" --mode auto -s auto.hold=$HOLD -s auto.synrcvd_low=$LOW; then
	fail "ct_accuracy: synguardd starts (auto)" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
active() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null | jget cookie_mode_active x; }
flood 4
gauge_track SYN_RCVD syn-recv $((SECS + 1)) 5 20 "auto, during the flood"
wait "$FLOOD" 2>/dev/null
t_end=$(cat "$LAB_TMP/flood_end")
expect "auto: the flood switched cookie mode on" "$(grep -c 'cookie mode on (auto)' "$SG_LOG")" -ge 1
# the later of the flood's end and the kernel's backlog under LOW starts
# the hold; cookie mode must be off by hold + 3 s: the daemon's sample that
# sees it, the gauge following the kernel's prune, and this loop's polling
t_calm=
for _ in $(seq 180); do
	[ -z "$t_calm" ] && [ "$(lsrv ss -Htan state syn-recv | wc -l)" -lt "$LOW" ] &&
		t_calm=$(date +%s.%N)
	[ "$(active)" = false ] && break
	sleep 0.5
done
t_off=$(date +%s.%N)
after=$(echo "($t_off - $t_end) * 10 / 1" | bc)
lag=$(echo "($t_off - ${t_calm:-$t_end}) * 10 / 1" | bc)
note "auto: cookie mode off $after/10 s after the flood's end, $lag/10 s after the kernel's SYN-RECV was under $LOW at the latest; auto.hold ${HOLD} s"
expect "auto: cookie mode off again after the flood" "$(active)" = false
note "auto: $(grep 'cookie mode o[nf]' "$SG_LOG" | tail -n 2 | cut -c1-200 | tr '\n' '|')"
expect "auto: ...not before auto.hold after the flood ($after/10 s)" "$after" -ge $(( (HOLD - 1) * 10 ))
expect "auto: ...within auto.hold + 3 s of the later of the flood's end and the backlog under $LOW ($lag/10 s)" \
	"$lag" -le $(( (HOLD + 3) * 10 ))
gauge_track SYN_RCVD syn-recv 3 5 20 "auto, after the flood"
sg_alive || fail "ct_accuracy: synguardd died" "$(sg_log 5)"
lab_finish
