#!/usr/bin/env bash
# ports=all follows the local TCP listeners, between real Linux TCP stacks:
# with cookie mode on and no -p, a SYN to a port without a listener gets
# the kernel's RST (not a cookie SYN-ACK) and connect() fails with
# ECONNREFUSED; a listener opened after synguardd started is protected
# (cookie SYN-ACK, syn_cookies_sent moves) within a few samples and
# connections to it work; closing it unprotects it; a loopback-only
# listener is never protected. An explicit -p list with a port without a
# listener is logged and shown by status, until the port gets one.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN"
$LAB_PY -c 'import scapy.all' 2>/dev/null || { skip listen "no scapy for $LAB_PY"; exit 0; }

T=tests/tools
P1=8080 P2=8181 CLOSED=9999 LOOP=8282
SPOOF=198.19.44.7
lab_up "sg-ls$$" 44 >/dev/null || { fail "listen: lab setup"; exit 1; }
# the server answers the raw prober's address through its veth
lsrv ip route replace "$SPOOF/32" dev "$LAB_SIF"
lsrv ip neigh replace "$SPOOF" lladdr "$(lab_mac "$LAB_CLI" "$LAB_CIF")" dev "$LAB_SIF" nud permanent
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF")

# serve PORT: an echo server on PORT (IPv4 and IPv6), its pid in SERVED
serve() {
	rm -f "$LAB_TMP/ready.$1"
	lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$1" -n 0 -t 300 --ready "$LAB_TMP/ready.$1" \
		>"$LAB_TMP/server.$1" 2>&1
	SERVED=$!
	for _ in $(seq 100); do [ -e "$LAB_TMP/ready.$1" ] && return 0; sleep 0.1; done
	return 1
}
status_json() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
protected() { status_json | jget protected_ports "?"; }
# has_port LIST PORT: PORT is in a "80,8000-8099" list
has_port() {
	$LAB_PY -c '
import sys
for item in sys.argv[1].split(","):
    lo, _, hi = item.partition("-")
    if lo.isdigit() and int(lo) <= int(sys.argv[2]) <= int(hi or lo): sys.exit(0)
sys.exit(1)' "$1" "$2"
}
# until_true SECONDS CMD...: CMD succeeds within SECONDS (polled)
until_true() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}
protects() { has_port "$(protected)" "$1"; }
unprotects() { ! has_port "$(protected)" "$1"; }
# syn PORT: a raw SYN from SPOOF; prints the prober's JSON (synack true/false)
syn() { lcli timeout 20 $LAB_PY $T/cookie_handshake.py syn "$LAB_CIF" "$SMAC" "$SPOOF" "$LAB_S4" "$1" "$LAB_TMP/hs.$1" 2>&1; }
ack() { lcli timeout 20 $LAB_PY $T/cookie_handshake.py ack "$LAB_CIF" "$SMAC" "$SPOOF" "$LAB_S4" "$1" "$LAB_TMP/hs.$1" 2>&1; }
# conn HOST PORT: one echoed connection; prints ok/failed and the errors
conn() {
	lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$1" "$2" -n 1 -b 2000 -T 5 -q 2>&1 |
		tail -n 1 | $LAB_PY -c '
import json, sys
s = json.load(sys.stdin)["summary"]
print("ok" if s["ok"] == 1 else "failed " + ",".join(sorted(s.get("errors", {}))))'
}

# conns_work PORT: one connection over IPv4 and one over IPv6 work, each
# through a cookie
conns_work() {
	local h acc0
	acc0=$(sg_counter cookies_accepted)
	for h in "$LAB_S4" "$LAB_S6"; do
		expect "listen: connection to $1 on $h works" "$(conn "$h" "$1")" = ok
	done
	expect "listen: both through cookies (cookies_accepted +$(( $(sg_counter cookies_accepted) - acc0 )))" \
		$(( $(sg_counter cookies_accepted) - acc0 )) -eq 2
}

serve $P1 || { fail "listen: echo server on $P1"; exit 1; }
if ! sg_start --mode on; then
	fail "listen: synguardd --mode on (no -p) starts" "$(tail -n 1 "$SG_LOG")"; sg_log; exit 1
fi
ok "listen: synguardd --mode on (no -p) starts"
st=$(status_json)
expect "listen: status says ports all" "$(echo "$st" | jget ports)" = all
expect "listen: status: protected_ports = the one listener ($P1)" "$(echo "$st" | jget protected_ports)" = "$P1"
check "listen: the log names the listeners" until_true 10 grep -q "ports: listeners now $P1\$" "$SG_LOG"
human=$(sg_cli status -i "$LAB_SIF" 2>&1)
if echo "$human" | grep -q "^protected: *$P1 (the ports with a local TCP listener)$"; then
	ok "listen: status shows the protected ports"
else
	fail "listen: status shows the protected ports" "$(echo "$human" | grep '^protected:')"
fi

# ---- a port without a listener: the kernel's RST ------------------------------
sent0=$(sg_counter syn_cookies_sent) nol0=$(sg_counter tc_no_listener)
out=$(syn $CLOSED)
if echo "$out" | grep -q '"synack": false' && echo "$out" | grep -q "$CLOSED > [0-9.:]* RA"; then
	ok "listen: a SYN to closed port $CLOSED gets RST|ACK, not a SYN-ACK"
else
	fail "listen: a SYN to closed port $CLOSED gets RST|ACK, not a SYN-ACK" "$out"
fi
for h in "$LAB_S4" "$LAB_S6"; do
	expect "listen: connect() to closed port $CLOSED on $h: ECONNREFUSED" "$(conn "$h" $CLOSED)" = "failed ConnectionRefusedError"
done
expect "listen: no cookie sent for the closed port (syn_cookies_sent +$(( $(sg_counter syn_cookies_sent) - sent0 )))" \
	"$(sg_counter syn_cookies_sent)" -eq "$sent0"
expect "listen: no ACK met a missing listener (tc_no_listener)" "$(sg_counter tc_no_listener)" -eq "$nol0"

# ---- the listener there from the start is protected ----------------------------
conns_work $P1

# ---- a listener opened later is protected; a loopback-only one never -------------
lab_bg lsrv $LAB_PY -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
open(sys.argv[2], "w").close(); time.sleep(300)' $LOOP "$LAB_TMP/ready.loop"
until_true 10 test -e "$LAB_TMP/ready.loop" || fail "listen: loopback listener on $LOOP"
serve $P2 || { fail "listen: echo server on $P2"; exit 1; }
P2PID=$SERVED
if until_true 15 protects $P2; then
	ok "listen: a listener opened after start ($P2) is protected within a few samples"
else
	fail "listen: a listener opened after start ($P2) is protected within a few samples" "protected_ports $(protected)"
fi
check "listen: the log says +$P2" grep -q "ports: listeners now $P1,$P2 (+$P2)" "$SG_LOG"
expect "listen: the loopback-only listener ($LOOP) is not protected (protected_ports $(protected))" "$(protected)" = "$P1,$P2"
sent0=$(sg_counter syn_cookies_sent)
out=$(syn $P2)
if echo "$out" | grep -q '"synack": true'; then ok "listen: a SYN to $P2 gets a SYN-ACK"; else fail "listen: a SYN to $P2 gets a SYN-ACK" "$out"; fi
expect "listen: ...a cookie one (syn_cookies_sent +$(( $(sg_counter syn_cookies_sent) - sent0 )))" \
	$(( $(sg_counter syn_cookies_sent) - sent0 )) -eq 1
out=$(ack $P2)
if echo "$out" | grep -q '"acked": true'; then ok "listen: its ACK with data makes a connection on $P2"; else fail "listen: its ACK with data makes a connection on $P2" "$out"; fi
conns_work $P2

# ---- closing it unprotects it ------------------------------------------------------
kill "$P2PID" 2>/dev/null; wait "$P2PID" 2>/dev/null
if until_true 15 unprotects $P2; then
	ok "listen: the closed listener ($P2) is no longer protected"
else
	fail "listen: the closed listener ($P2) is no longer protected" "protected_ports $(protected)"
fi
check "listen: the log says -$P2" grep -q "ports: listeners now $P1 (-$P2)" "$SG_LOG"
out=$(syn $P2)
if echo "$out" | grep -q "$P2 > [0-9.:]* RA"; then ok "listen: a SYN to $P2 gets RST|ACK again"; else fail "listen: a SYN to $P2 gets RST|ACK again" "$out"; fi
expect "listen: connect() to $P2: ECONNREFUSED" "$(conn "$LAB_S4" $P2)" = "failed ConnectionRefusedError"

# ---- an explicit list with a port without a listener ------------------------------
sg_stop
if ! sg_start -p "$P1,$CLOSED" --mode on; then
	fail "listen: synguardd -p $P1,$CLOSED starts" "$(tail -n 1 "$SG_LOG")"; sg_log; exit 1
fi
if until_true 10 grep -q "WARNING: no local listener on $CLOSED, listed in ports" "$SG_LOG"; then
	ok "listen: -p $P1,$CLOSED: the log warns that $CLOSED has no listener"
else
	fail "listen: -p $P1,$CLOSED: the log warns that $CLOSED has no listener" "$(tail -n 2 "$SG_LOG")"
fi
st=$(status_json)
expect "listen: status --json ports_without_listener = $CLOSED" "$(echo "$st" | jget ports_without_listener)" = "$CLOSED"
expect "listen: status --json protected_ports = the list" "$(echo "$st" | jget protected_ports)" = "$P1,$CLOSED"
human=$(sg_cli status -i "$LAB_SIF" 2>&1)
if echo "$human" | grep -q "^protected: *$P1,$CLOSED; WARNING: no local listener on $CLOSED"; then
	ok "listen: status shows the warning"
else
	fail "listen: status shows the warning" "$(echo "$human" | grep '^protected:')"
fi
serve $CLOSED || fail "listen: echo server on $CLOSED"
if until_true 15 grep -q "ports: every listed port has a local listener now" "$SG_LOG"; then
	ok "listen: a listener on $CLOSED clears the warning (log)"
else
	fail "listen: a listener on $CLOSED clears the warning (log)" "$(tail -n 2 "$SG_LOG")"
fi
expect "listen: status --json ports_without_listener = none" "$(status_json | jget ports_without_listener)" = none

# ---- back to all, live ------------------------------------------------------------
sg_cli set -i "$LAB_SIF" ports=all >/dev/null
st=$(status_json)
expect "listen: set ports=all: status says ports all" "$(echo "$st" | jget ports)" = all
expect "listen: set ports=all: the listeners are protected at once" "$(echo "$st" | jget protected_ports)" = "$P1,$CLOSED"
if sg_alive; then ok "listen: daemon alive"; else fail "listen: daemon alive"; sg_log; fi
lab_finish
