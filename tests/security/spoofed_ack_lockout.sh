#!/usr/bin/env bash
# Spoofed bad-cookie ACKs in a client's name (docs/security.md, "Spoofed
# sources"). A spoofer who knows a client's address sends 1,000 ACKs a
# second with random sequence and ack numbers "from" it: each is a failed
# cookie check charged to that address's cookie budget (ack_budget, default
# 10/s, burst 100), which stays spent for as long as the stream lasts. The
# client connects without TCP timestamps (tcp_timestamps=0, as Windows
# clients do), so its cookie carries the 24 ISN hash bits only, the ones a
# spent budget no longer takes on their own. It must still complete every
# connection: its SYNs go to the kernel's own handshake while its budget is
# spent (counted syn_cookie_budget), and no valid cookie of it is refused.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen
PORT=8080
T=tests/tools
N=20
lab_up "sg-lk$$" 70 >/dev/null || { fail "spoofed_ack_lockout: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 120 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "spoofed_ack_lockout: echo server listening"; exit 1; }
lcli sysctl -qw net.ipv4.tcp_timestamps=0
sg_start -p "$PORT" --mode on || { fail "spoofed_ack_lockout: synguardd starts"; sg_log; exit 1; }

c() { sg_counter "$1"; }
conn() { lcli timeout 120 $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$LAB_C4" -n "$N" -T 3; }
# spoof PACKETS: bad-cookie ACKs from the client's address at 1,000 a
# second (source ports 4096-4351: never a real connection's), in the
# background; bounded in packets and seconds
spoof() {
	lab_trafgen_cfg 0x10 "$PORT" client >"$LAB_TMP/ack.cfg"
	lab_trafgen "$LAB_TMP/ack.cfg" "$1" $(($1 / 1000 + 5)) 1000 >"$LAB_TMP/spoofed" &
	SPOOF=$!
}

# without the spoofer: every cookie handshake completes
acc0=$(c cookies_accepted)
got=$(conn | jget ok 0)
acc=$(( $(c cookies_accepted) - acc0 ))   # at least one per connection
expect "spoofed_ack_lockout: no spoofer, no timestamps: $N/$N connects complete by cookie (cookies_accepted +$acc)" \
	"$got/$([ "$acc" -ge "$N" ] && echo all)" = "$N/all"

over0=$(c cookies_over_budget) ref0=$(c cookies_budget_refused) acc0=$(c cookies_accepted)
kern0=$(c syn_cookie_budget)
spoof 8000
sleep 1 # the budget's burst (100) is spent in its first 0.1 s
out=$(conn)
got=$(echo "$out" | jget ok 0)
wait "$SPOOF"
note "spoofer: $(cat "$LAB_TMP/spoofed") ACKs sent in the client's name; $out" | cut -c1-200
over=$(( $(c cookies_over_budget) - over0 ))
expect "spoofed_ack_lockout: the spoofer keeps the client's cookie budget spent (cookies_over_budget +$over)" \
	"$over" -ge 5000
expect "spoofed_ack_lockout: 1,000 spoofed bad ACKs/s in its name, no timestamps: $N/$N connects complete" \
	"$got" -eq "$N"
expect "spoofed_ack_lockout: no valid cookie of the client refused (cookies_budget_refused)" \
	"$(( $(c cookies_budget_refused) - ref0 ))" -eq 0
kern=$(( $(c syn_cookie_budget) - kern0 ))
expect "spoofed_ack_lockout: its SYNs went to the kernel's handshake meanwhile (syn_cookie_budget +$kern)" \
	"$kern" -ge "$N"
note "cookies_accepted +$(( $(c cookies_accepted) - acc0 )) during the spoofing"

# after the stream stops the budget refills (10/s: half the burst in 5 s)
# and the client is answered with cookies again
sleep 6
acc0=$(c cookies_accepted)
got=$(conn | jget ok 0)
acc=$(( $(c cookies_accepted) - acc0 ))   # at least one per connection
expect "spoofed_ack_lockout: spoofer gone, budget refilled: $N/$N connects complete by cookie again (cookies_accepted +$acc)" \
	"$got/$([ "$acc" -ge "$N" ] && echo all)" = "$N/all"
sg_stop quiet
lab_finish
