#!/usr/bin/env bash
# Faults, each with real Linux TCP peers and `ss` as the oracle:
#  1. synguardd SIGKILLed at random moments while it rotates its secret
#     every second, restarted each time: every connection made across it
#     all succeeds; then a valid cookie ACK is accepted at once and
#     rejected when it comes after two rotation periods.
#  2. Tracker tables of 1K entries under 10K flows: established connections
#     whose entries were evicted keep working (their ACKs fail the cookie
#     check, the kernel owns them: re-tracked, passed).
#  3. synguardd stopped (detaches) in the middle of a SYN flood: the kernel
#     takes over (its own syncookies), legit clients never notice.
#  4. synguardd attached while connections are established: picked up
#     mid-stream, by the segments the host sends (cookie mode off) or by the
#     kernel's socket (cookie mode on), none reset; `synguard conns` agrees
#     with `ss`.
set -u
source "$(dirname "$0")/../lab.sh"
lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen nstat ss
T=$LAB_ROOT/tests/tools
PORT=8080

lab_up sg-ft$$ 42 || { fail "faults: lab up"; lab_finish; }
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py $PORT -n 0 -t 900 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done

# client LABEL N ARGS...: N echo connections (IPv4, IPv6 halves) in the
# background; result in $LAB_TMP/LABEL.{4,6}; client_wait waits for them
CLIENTS=()
client() {
	local label=$1 n=$2; shift 2
	lcli $LAB_PY $T/tcpinfo_client.py "$LAB_S4" $PORT -n $((n / 2)) -q -T 10 "$@" >"$LAB_TMP/$label.4" &
	CLIENTS+=($!)
	lcli $LAB_PY $T/tcpinfo_client.py "$LAB_S6" $PORT -n $((n - n / 2)) -q -T 10 "$@" >"$LAB_TMP/$label.6" &
	CLIENTS+=($!)
}
client_wait() { wait "${CLIENTS[@]}"; CLIENTS=(); }
client_ok() { # client_ok LABEL: connections that succeeded
	echo $(( $(tail -1 "$LAB_TMP/$1.4" | jget summary.ok 0) + $(tail -1 "$LAB_TMP/$1.6" | jget summary.ok 0) ))
}
# longlived LABEL N PERIOD: N established connections echoing every PERIOD
longlived() {
	rm -f "$LAB_TMP/$1.tuples" "$LAB_TMP/$1.stop"
	lab_bg lcli $LAB_PY $T/longlived.py $PORT "$LAB_S4" "$LAB_S6" -n "$2" --period "$3" \
		--tuples "$LAB_TMP/$1.tuples" --stop "$LAB_TMP/$1.stop" -t 600 >"$LAB_TMP/$1.out"
	for _ in $(seq 100); do [ -e "$LAB_TMP/$1.tuples" ] && return 0; sleep 0.1; done
	return 1
}
longlived_alive() { # longlived_alive LABEL: stops them, prints how many lived
	touch "$LAB_TMP/$1.stop"
	for _ in $(seq 100); do [ -s "$LAB_TMP/$1.out" ] && break; sleep 0.1; done
	tail -1 "$LAB_TMP/$1.out" | jget alive 0
}
resets() { echo $(( $(nstat_get "$LAB_SRV" TcpEstabResets) + $(nstat_get "$LAB_CLI" TcpEstabResets) )); }

# ---- 1. SIGKILL during rotation ---------------------------------------------
sg_start -p $PORT --mode on --secret-period 1 || fail "faults: synguardd starts" "$(sg_log 3)"
client kill 80 -b 2000 --interval 0.1 -c 2
# the two secret slots (k0 k1 of each), as the pinned map holds them
secret_keys() {
	bpftool -j map dump pinned "$LAB_BPFFS/synguard/$LAB_SIF/sg_secrets" 2>/dev/null | $LAB_PY -c '
import json, sys
v = "".join(b[2:] for b in json.load(sys.stdin)[0]["value"])
print(v[80:112], v[112:144])  # struct sg_secret_state: cur, pad, rotated_ns, period_ns,
# installed_ns[2], slot[2]'
}
kills=0 kept=0
for i in 1 2 3 4 5 6; do
	sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + r % 100 / 100 }')"
	kill -KILL "$SG_PID" 2>/dev/null && kills=$((kills + 1))
	wait "$SG_PID" 2>/dev/null; SG_PID=
	# once down longer than two periods: XDP went on making cookies
	[ $i = 6 ] && sleep 2.5
	before=$(secret_keys)
	sg_start -p $PORT --mode on --secret-period 1 || fail "faults: synguardd restarts after SIGKILL $i" "$(sg_log 3)"
	after=$(secret_keys)
	# cookies sent before the kill still check: a slot survived the restart
	for k in $before; do case " $after " in *" $k "*) kept=$((kept + 1)); break ;; esac; done
done
client_wait
note "SIGKILL x$kills during 1 s rotations: $(tail -1 "$LAB_TMP/kill.4") $(tail -1 "$LAB_TMP/kill.6")"
expect "faults: SIGKILLed $kills times while rotating every second, restarted: 80/80 connections across it succeed" \
	"$(client_ok kill)" -eq 80
expect "faults: every restart kept a secret of the killed daemon (cookies in flight stay valid)" "$kept" -eq "$kills"
# the right ACK to a cookie SYN-ACK, at once and 5 s later (two rotations
# of 1 s, each up to a tick late), from addresses nobody in the lab owns
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF") CMAC=$(lab_mac "$LAB_CLI" "$LAB_CIF")
for delay in 0 5; do
	a0=$(sg_counter cookies_accepted) r0=$(sg_counter cookies_rejected)
	out=$(lcli $LAB_PY $T/cookie_replay.py "$LAB_CIF" "$CMAC" "$SMAC" "198.18.42.$((70 + delay))" "$LAB_S4" $PORT $delay)
	sleep 0.3
	a1=$(sg_counter cookies_accepted) r1=$(sg_counter cookies_rejected)
	if [ "$delay" = 0 ]; then
		expect "faults: a valid cookie ACK sent at once is accepted ($out)" "$((a1 - a0))/$((r1 - r0))" = "1/0"
	else
		expect "faults: the same kind of ACK sent after two rotation periods is rejected ($out)" "$((a1 - a0))/$((r1 - r0))" = "0/1"
	fi
done
sg_stop

# ---- 2. 1K tables, 10K flows --------------------------------------------------
sg_start -p $PORT --mode on --ct-size 1024 || fail "faults: synguardd --ct-size 1024 starts" "$(sg_log 3)"
longlived evict 8 1.5 || fail "faults: established connections open"
r0=$(resets) ko0=$(sg_counter ack_kernel_owned)
client churn 10000 -b 16 -c 8 -t 240
client_wait
sleep 2 # one more round of the established connections' echoes
ko1=$(sg_counter ack_kernel_owned)
alive=$(longlived_alive evict)
note "10K flows through 1K tables: $(tail -1 "$LAB_TMP/churn.4") $(tail -1 "$LAB_TMP/churn.6"); ack_kernel_owned +$((ko1 - ko0))"
expect "faults: 10,000 flows through tables of 1,024 entries all succeed" "$(client_ok churn)" -eq 10000
expect "faults: evicted established connections came back through the kernel-socket fallback (ack_kernel_owned)" \
	$((ko1 - ko0)) -gt 0
expect "faults: the 8 established connections kept echoing through the churn" "$alive" -eq 8
expect "faults: no connection reset during the churn" $(( $(resets) - r0 )) -eq 0
sg_stop

# ---- 3. detach during a flood -------------------------------------------------
sg_start -p $PORT --mode on || fail "faults: synguardd starts" "$(sg_log 3)"
lab_trafgen_cfg 0x02 $PORT random >"$LAB_TMP/syn.cfg"
# a way back to the flood's sources (the client, which drops them): without
# a route the kernel would not even queue their requests
lsrv ip route add 198.19.0.0/16 via "$LAB_C4"
( lab_trafgen "$LAB_TMP/syn.cfg" 60000 12 10000 >/dev/null ) &
fl=$!
client detach 60 -b 2000 --interval 0.1 -T 15
sleep 2
kc0=$(srv_cookies_sent) sent0=$(sg_counter syn_cookies_sent)
sg_stop; rc=$?
expect "faults: synguardd stops on SIGTERM mid-flood (exit 0)" "$rc" -eq 0
lab_xdp_attached && fail "faults: XDP detached after the stop" || ok "faults: XDP detached after the stop"
expect "faults: no synguard link left on the interface" "$(lab_links_on_sif | wc -l)/$(lab_tcx_count)" = 0/0
wait $fl
client_wait
kc1=$(srv_cookies_sent)
note "detach mid-flood: synguard had answered $sent0 SYNs; kernel TcpExtSyncookiesSent +$((kc1 - kc0)) after; legit $(tail -1 "$LAB_TMP/detach.4") $(tail -1 "$LAB_TMP/detach.6")"
expect "faults: after the detach the kernel answers the flood itself (TcpExtSyncookiesSent)" $((kc1 - kc0)) -gt 0
expect "faults: 60/60 legit connections across the detach succeed" "$(client_ok detach)" -eq 60

# ---- 4. attach with connections established -----------------------------------
# conns_match MODE: every established connection of ss is in synguard conns
conns_match() {
	local want got
	want=$(lsrv ss -Htn state established "( sport = :$PORT )" | awk '{print $4" "$3}' |
		sed 's/\[\([^]]*\)\]/\1/g; s/%[^:]*:/:/g' | sort)
	got=$(sg_cli conns -i "$LAB_SIF" --state ESTABLISHED --json | $LAB_PY -c '
import json, sys
for c in json.load(sys.stdin):
    print("%s:%d %s:%d" % (c["remote"], c["rport"], c["local"], c["lport"]))' | sort)
	[ -n "$want" ] && [ "$(comm -23 <(echo "$want") <(echo "$got"))" = "" ] ||
		{ echo "ss has: $(echo "$want" | tr '\n' ' ') synguard: $(echo "$got" | tr '\n' ' ')"; return 1; }
}
for mode in off on; do
	r0=$(resets)
	longlived attach$mode 8 0.2 || fail "faults: established connections open before the attach"
	sleep 0.5
	sg_start -p $PORT --mode $mode || fail "faults: synguardd --mode $mode attaches" "$(sg_log 3)"
	sleep 2
	check "faults: attached in cookie mode $mode: every established connection (ss) is tracked ESTABLISHED (synguard conns)" conns_match
	expect "faults: attached in cookie mode $mode: the 8 connections kept echoing" "$(longlived_alive attach$mode)" -eq 8
	expect "faults: attached in cookie mode $mode: no connection reset" $(( $(resets) - r0 )) -eq 0
	sg_stop
done
lab_finish
