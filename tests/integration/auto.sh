#!/usr/bin/env bash
# Auto cookie mode, end to end. A bounded SYN flood from random sources
# switches cookie mode on (SYN rate over auto.syn_rate_high) and, once it
# ends and both gauges stay under their low thresholds for auto.hold, off
# again, each switch logged with its numbers; a slow flood of half-open
# connections switches it on by the SYN_RCVD gauge. Legit connections work
# throughout. status shows the thresholds beside the live values; stats -w
# prints rates (plain lines when piped, JSON lines, in place on a
# terminal) and ends cleanly on ^C. TIME_WAIT pressure is warned about
# before net.ipv4.tcp_max_tw_buckets or the ephemeral port range run out.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen nstat
PORT=8080
T=tests/tools
lab_up "sg-au$$" 13 >/dev/null || { fail "auto: lab setup"; exit 1; }

status() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
active() { status | jget cookie_mode_active x; }
# becomes WANT SECS NAME: cookie mode is WANT (true/false) within SECS
becomes() {
	if wait_for "$1" "$2" active; then ok "auto: $3"; else fail "auto: $3" "$(status | jget auto)"; fi
}
# flood PACKETS PPS SECS: SYNs from random sources, in the background,
# until PACKETS are sent, SECS pass or stop_flood (timeout hands its SIGINT
# on to trafgen)
flood() {
	lab_bg lcli timeout -s INT "$3" trafgen -o "$LAB_CIF" -i "$LAB_TMP/syn.cfg" -n "$1" -P 1 -q \
		-b "$2pps" >/dev/null 2>&1
	FLOOD=${LAB_PIDS[-1]}
}
stop_flood() { kill -INT "$FLOOD" 2>/dev/null; wait "$FLOOD" 2>/dev/null; }
tw_warnings() { status | jget time_wait.warnings; }
legit() { # N legit connections echoing 5 KB: prints how many worked
	lcli timeout 60 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$PORT" -n "$1" -b 5000 -T 3 -q 2>&1 |
		tail -n 1 | jget summary.ok 0
}

if ! sg_start -p "$PORT" -s auto.syn_rate_high=2000 -s auto.syn_rate_low=300 \
	-s auto.synrcvd_high=1000000 -s auto.synrcvd_low=50 -s auto.hold=2 -s timeout.SYN_RCVD=3; then
	fail "auto: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
expect "auto: auto is the default mode" "$(status | jget mode)" = auto
expect "auto: at rest cookie mode is off" "$(active)" = false
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
sp0=$(sg_counter syn_passed)
expect "auto: at rest, legit connections go to the kernel's listener" "$(legit 5)" -eq 5
expect "auto: ...as SYNs passed, not cookies (syn_passed +$(( $(sg_counter syn_passed) - sp0 )))" \
	$(( $(sg_counter syn_passed) - sp0 )) -ge 5

# ---- a SYN flood: on by rate, off after it ------------------------------------------------
lab_trafgen_cfg 0x02 "$PORT" random >"$LAB_TMP/syn.cfg"
# bounded by time (and packets), stopped once the checks that need it ran
flood 600000 5000 120
becomes true 15 "a 5000 SYN/s flood switches cookie mode on"
line=$(grep 'cookie mode on (auto)' "$SG_LOG" | head -n 1)
if [[ "$line" =~ SYN\ rate\ ([0-9]+)/s\ \>=\ auto.syn_rate_high\ 2000 ]] && [ "${BASH_REMATCH[1]}" -ge 2000 ]; then
	ok "auto: the switch is logged with its numbers: ${line#* }"
else
	fail "auto: the switch on is logged with the SYN rate" "'$line'"
fi
expect "auto: status: last switch with its reason" "$(status | jget auto.last_switch | grep -c 'SYN rate')" -eq 1
rate=$(status | jget auto.syn_rate 0)
expect "auto: status: the SYN rate measured now ($rate/s) beside the threshold" "$rate" -ge 2000
ca0=$(sg_counter cookies_accepted)
expect "auto: during the flood legit connections work" "$(legit 10)" -eq 10
expect "auto: ...through cookies (cookies_accepted +$(( $(sg_counter cookies_accepted) - ca0 )))" \
	$(( $(sg_counter cookies_accepted) - ca0 )) -eq 10

# stats -w while the flood runs: piped, plain lines with rates, ^C ends it
out=$(lsrv timeout -s INT --preserve-status 3.6 "$LAB_CLI_BIN" stats -i "$LAB_SIF" -w 1 --bpffs "$LAB_BPFFS" 2>&1); rc=$?
n=$(echo "$out" | grep -c 'syn_received=[0-9.]*/s')
expect "stats -w 1 piped: ^C ends it with status 0" "$rc" -eq 0
expect "stats -w 1 piped: one plain line a second with the SYN rate ($n lines: $(echo "$out" | head -n 1 | cut -c1-100)...)" "$n" -ge 2
out=$(lsrv timeout -s INT --preserve-status 2.6 "$LAB_CLI_BIN" stats -i "$LAB_SIF" -w 1 --json --bpffs "$LAB_BPFFS" 2>&1)
res=$(echo "$out" | $LAB_PY -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
ok = rows and all(r["rates"]["syn_received"] > 0 and "SYN_RCVD" in r["states"] for r in rows)
print("%d %s" % (len(rows), "ok" if ok else "bad"))' 2>&1)
expect "stats -w 1 --json: one JSON object a second, rates per counter ($res)" "${res#* }" = ok
if command -v script >/dev/null; then
	lsrv script -qec "timeout -s INT 2.6 $LAB_CLI_BIN stats -i $LAB_SIF -w 1 --bpffs $LAB_BPFFS" /dev/null \
		>"$LAB_TMP/tty" 2>&1
	frames=$(grep -o $'\e\\[H\e\\[2J' "$LAB_TMP/tty" | wc -l)
	expect "stats -w 1 on a terminal: redrawn in place ($frames frames)" "$frames" -ge 2
	check "stats -w 1 on a terminal: the cursor is given back at ^C" grep -q $'\e\\[?25h' "$LAB_TMP/tty"
else
	skip "stats -w on a terminal" "script (util-linux) missing"
fi

stop_flood
becomes false 40 "after the flood cookie mode goes off again"
line=$(grep 'cookie mode off (auto)' "$SG_LOG" | head -n 1)
if [[ "$line" =~ SYN\ rate\ [0-9]+/s\ \<\ auto.syn_rate_low\ 300\ and\ SYN_RCVD\ [0-9]+\ \<\ auto.synrcvd_low\ 50\ for\ [0-9]+s\ \(auto.hold\ 2s\) ]]; then
	ok "auto: the switch off is logged with its numbers: ${line#* }"
else
	fail "auto: the switch off is logged with its numbers" "'$line'"
fi
chk=$(status | jget cookie_check_s 0)
if awk -v c="$chk" 'BEGIN { exit !(c > 60) }'; then
	ok "auto: after cookie mode went off, ACKs are still checked for two periods (${chk}s left)"
else
	fail "auto: ACKs still checked after cookie mode went off" "cookie_check_s $chk"
fi
sp0=$(sg_counter syn_passed)
expect "auto: after the flood legit connections work" "$(legit 5)" -eq 5
expect "auto: ...through the kernel again (syn_passed +$(( $(sg_counter syn_passed) - sp0 )))" \
	$(( $(sg_counter syn_passed) - sp0 )) -ge 5

# ---- half-open connections: on by the SYN_RCVD gauge ---------------------------------------
if ! sg_cli set -i "$LAB_SIF" auto.syn_rate_high=1000000 auto.synrcvd_high=150 auto.synrcvd_low=20 >/dev/null; then
	fail "auto: synguard set of the thresholds"
fi
wait_for true 10 logged 'auto.synrcvd_high: 1000000 -> 150 (synguard set)'
check "auto: the daemon logs what synguard set changed" grep -q 'auto.synrcvd_high: 1000000 -> 150 (synguard set)' "$SG_LOG"
sg_cli set -i "$LAB_SIF" ports=$PORT,9090 >/dev/null && wait_for true 10 logged "ports: $PORT -> $PORT,9090 (synguard set)"
check "auto: ...ports too" grep -q "ports: $PORT -> $PORT,9090 (synguard set)" "$SG_LOG"
sg_cli set -i "$LAB_SIF" ports=$PORT >/dev/null
# SYN_RCVD counts the request sockets the kernel holds: it keeps one only
# where its SYN-ACK has a way out (to the client's MAC, which drops it),
# and gives up on it after 1 + 2 + 4 s with two retries
lsrv ip route replace 198.19.0.0/16 via "$LAB_C4" dev "$LAB_SIF"
lsrv sysctl -qw net.ipv4.tcp_synack_retries=2
flood 400 100 10
becomes true 15 "100 SYN/s of half-open connections switch cookie mode on"
line=$(grep 'cookie mode on (auto)' "$SG_LOG" | tail -n 1)
if [[ "$line" =~ SYN_RCVD\ ([0-9]+)\ \>=\ auto.synrcvd_high\ 150 ]] && [[ "$line" == *"< auto.syn_rate_high"* ]]; then
	ok "auto: ...by the SYN_RCVD gauge, logged: ${line#* }"
else
	fail "auto: the SYN_RCVD switch is logged with its numbers" "'$line'"
fi
wait "$FLOOD"
becomes false 40 "the kernel drops the half-open connections, cookie mode goes off"

# ---- TIME_WAIT pressure ----------------------------------------------------------------------
# the server closes first: its side holds TIME_WAIT; limits made small
lsrv sysctl -qw net.ipv4.tcp_max_tw_buckets=20 net.ipv4.ip_local_port_range="40000 40019"
sg_cli set -i "$LAB_SIF" time_wait.warn=50 >/dev/null
lab_bg lsrv $LAB_PY $T/tw_make.py serve 8081 12 --first >/dev/null
sleep 0.5
lcli timeout 30 $LAB_PY $T/tw_make.py connect "$LAB_S4" 8081 12 >/dev/null
wait_for true 10 logged 'TIME_WAIT pressure: .*tcp_max_tw_buckets'
line=$(grep 'TIME_WAIT pressure: .*tcp_max_tw_buckets' "$SG_LOG" | head -n 1)
if [ -n "$line" ]; then ok "auto: TIME_WAIT near tcp_max_tw_buckets is warned about: ${line#* }"
else fail "auto: TIME_WAIT near tcp_max_tw_buckets is warned about" "$(status | jget time_wait)"; fi
expect "auto: status: the warning is shown" "$(tw_warnings)" = '["tcp_max_tw_buckets"]'
# connections the server opens hold an ephemeral port in TIME_WAIT (with
# room in tcp_max_tw_buckets: past it the kernel would recycle the ports)
lsrv sysctl -qw net.ipv4.tcp_max_tw_buckets=1000
lab_bg lcli $LAB_PY $T/tw_make.py serve 8082 12 >/dev/null
sleep 0.5
lsrv timeout 30 $LAB_PY $T/tw_make.py connect "$LAB_C4" 8082 12 --first >/dev/null
wait_for true 10 logged 'TIME_WAIT pressure: .*ip_local_port_range'
line=$(grep 'TIME_WAIT pressure: .*ip_local_port_range' "$SG_LOG" | head -n 1)
if [ -n "$line" ]; then ok "auto: TIME_WAIT holding most ephemeral ports is warned about: ${line#* }"
else fail "auto: TIME_WAIT on ephemeral ports is warned about" "$(status | jget time_wait)"; fi
eph=$(status | jget time_wait.ephemeral 0)
expect "auto: status: TIME_WAIT on ephemeral ports counted ($eph)" "$eph" -eq 12
sg_cli set -i "$LAB_SIF" timeout.TIME_WAIT=1 >/dev/null
if wait_for '[]' 15 tw_warnings; then
	ok "auto: the warnings clear once TIME_WAIT drains"
else
	fail "auto: the warnings clear once TIME_WAIT drains" "$(status | jget time_wait)"
fi
check "auto: the end of the pressure is logged" grep -q 'TIME_WAIT pressure over' "$SG_LOG"

sg_stop; rc=$?
expect "auto: SIGTERM: synguardd exits 0" "$rc" -eq 0
lab_finish
