#!/usr/bin/env bash
# The TIME_WAIT gauge against the kernel's TIME_WAIT sockets under churn:
# short connections opened and closed as fast as the lab allows, half
# closed by the server first (TIME_WAIT on the server, where synguard runs),
# half by the client, IPv4 and IPv6; sampled every second (within 2%, or 20
# sockets) and equal once settled. Then past net.ipv4.tcp_max_tw_buckets,
# where the kernel makes no TIME_WAIT socket (TcpExtTCPTimeWaitOverflow):
# the gauge must follow it once the daemon's next samples ran.
# CT_TW_CHURN sets the number of connections per family (default 8000; the
# long run in docs/testing.md uses 100000).
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh
source tests/tools/gauge_vs_ss.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" ss nstat
PORT=8082
N=${CT_TW_CHURN:-8000}
T=tests/tools
lab_up "sg-tw$$" 161 >/dev/null || { fail "ct_tw: lab setup"; exit 1; }
lab_bg lsrv $LAB_PY $T/tw_churn.py serve "$PORT"
wait_for 1 5 sh -c "nsenter --net=/run/netns/$LAB_SRV ss -Htln sport = :$PORT | wc -l" ||
	{ fail "ct_tw: server"; lab_finish; }
lcli sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
if ! sg_start -p "$PORT" --mode off; then
	fail "ct_tw: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
tw_kernel() { lsrv ss -Htan state time-wait | wc -l; }

# churn ADDR SECS NAME: the churn in the background, TIME_WAIT sampled each
# second while it runs
churn() {
	local name=$3
	lab_bg lcli $LAB_PY $T/tw_churn.py churn "$1" "$PORT" "$N" "$2"
	local pid=${LAB_PIDS[-1]} bad=0 worst=0 s g k d n=0
	GAUGE_SERIES=
	while kill -0 "$pid" 2>/dev/null; do
		s=$(gauge_sample TIME_WAIT time-wait); set -- $s
		g=$1 k=$2 n=$((n + 1))
		d=$(( g > k ? g - k : k - g )); [ "$d" -gt "$worst" ] && worst=$d
		gauge_close "$g" "$k" 2 20 || bad=$((bad + 1))
		GAUGE_SERIES+=" $g/$k"
		sleep 1
	done
	wait "$pid"
	note "$name: TIME_WAIT gauge/kernel each second:$GAUGE_SERIES"
	expect "$name: TIME_WAIT within 2% (or 20) of ss at each of $n samples during the churn (worst off by $worst)" \
		"$bad" -eq 0
}
settled() {
	local name=$1
	sleep 2
	s=$(gauge_sample TIME_WAIT time-wait); set -- $s
	expect "$name: settled, the TIME_WAIT gauge equals ss ($1 vs $2)" "$1" -eq "$2"
}

churn "$LAB_S4" 120 "IPv4 churn of $N"
settled "IPv4 churn"
churn "$LAB_S6" 120 "IPv6 churn of $N"
settled "IPv6 churn"

# ---- past tcp_max_tw_buckets --------------------------------------------------------------
CAP=$(( $(tw_kernel) + 200 ))
lsrv sysctl -qw net.ipv4.tcp_max_tw_buckets=$CAP
ov0=$(nstat_get "$LAB_SRV" TcpExtTCPTimeWaitOverflow)
# between two of the daemon's samples the tracker still counts what the
# kernel refused: only the settled count is checked
note "overflow: $(lcli $LAB_PY $T/tw_churn.py churn "$LAB_S4" "$PORT" 1000 120)"
ov=$(( $(nstat_get "$LAB_SRV" TcpExtTCPTimeWaitOverflow) - ov0 ))
expect "overflow: the kernel refused TIME_WAIT sockets (TcpExtTCPTimeWaitOverflow +$ov)" "$ov" -gt 0
sleep 2
s=$(gauge_sample TIME_WAIT time-wait); set -- $s
expect "overflow: after the daemon's samples, the TIME_WAIT gauge equals ss ($1 vs $2, cap $CAP)" \
	"$1" -eq "$2"
sg_alive || fail "ct_tw: synguardd died" "$(sg_log 5)"
lab_finish
