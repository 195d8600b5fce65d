#!/usr/bin/env bash
# Restart safety. A long-lived connection streams data (opened through a
# cookie) while synguardd is killed with SIGKILL: XDP and the tcx links stay
# attached, counters keep counting, the connection keeps flowing and stays
# tracked. A new synguardd takes the pins over (the XDP program swapped in
# place, the tcx links updated): the tracked connection, the counters and
# the cookie secret survive, new connections made across the restart all
# work, and nothing is reset. keep_attached leaves protection in place on
# SIGTERM; without it SIGTERM detaches, and the stream still flows, and
# keeps the cookie secrets: the ACK of a SYN-ACK sent before a SIGTERM
# restart is accepted by the next daemon. Over pins of another build a
# start takes over the attachments with new maps. synguard detach removes
# XDP, TC and every pin that keep_attached left.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nstat bpftool
PORT=8080 EPORT=8081   # the stream; echo connections
T=tests/tools
lab_up "sg-rs$$" 18 >/dev/null || { fail "restart: lab setup"; exit 1; }

status() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null; }
progress() { cut -d' ' -f1 "$LAB_TMP/progress" 2>/dev/null || echo 0; }
# flowing SECS: the stream received more bytes within SECS seconds
flowing() {
	local b0 b1
	b0=$(progress)
	for _ in $(seq $(( $1 * 10 ))); do
		sleep 0.1
		b1=$(progress)
		[ "$b1" -gt "$b0" ] && return 0
	done
	return 1
}
# the stream's tracker entry: "STATE PKTS_IN AGE_S" (server side: pkts_in
# counts the client's ACKs of the data streamed to it)
entry() {
	local lport
	lport=$(cut -d' ' -f2 "$LAB_TMP/progress" 2>/dev/null)
	sg_cli conns -i "$LAB_SIF" --json 2>/dev/null | $LAB_PY -c '
import json, sys
for c in json.load(sys.stdin):
    if c["lport"] == int(sys.argv[1]) and c["rport"] == int(sys.argv[2]):
        print(c["state"], c["pkts_in"], int(c["age_s"]))' "$PORT" "${lport:-0}"
}
rsts() { echo $(( $(nstat_get "$LAB_SRV" TcpOutRsts) + $(nstat_get "$LAB_CLI" TcpOutRsts) +
	$(nstat_get "$LAB_SRV" TcpEstabResets) + $(nstat_get "$LAB_CLI" TcpEstabResets) )); }

if ! sg_start -p "$PORT,$EPORT" --mode on; then
	fail "restart: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
lab_bg lsrv $LAB_PY $T/stream.py server "$PORT" -t 300 --ready "$LAB_TMP/ready" >"$LAB_TMP/server.out"
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$EPORT" -n 0 -t 300 --ready "$LAB_TMP/eready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && [ -e "$LAB_TMP/eready" ] && break; sleep 0.1; done
rst0=$(rsts)
ca0=$(sg_counter cookies_accepted)
lab_bg lcli $LAB_PY $T/stream.py client "$LAB_S4" "$PORT" --progress "$LAB_TMP/progress" \
	--stop "$LAB_TMP/stop" -t 300 >"$LAB_TMP/client.out"
STREAM=${LAB_PIDS[-1]}
if flowing 10; then ok "restart: a long-lived connection streams data"
else fail "restart: a long-lived connection streams data" "$(cat "$LAB_TMP/client.out")"; lab_finish; fi
expect "restart: ...opened through a cookie (cookies_accepted +$(( $(sg_counter cookies_accepted) - ca0 )))" \
	$(( $(sg_counter cookies_accepted) - ca0 )) -eq 1
read -r st0 pk0 age0 <<<"$(entry)"
expect "restart: ...tracked ESTABLISHED" "${st0:-none}" = ESTABLISHED
J0=$(status)
id0=$(echo "$J0" | jget secret.id)
links0=$(echo "$J0" | jget tc_ingress.link_id)/$(echo "$J0" | jget tc_egress.link_id)
sent0=$(sg_counter syn_cookies_sent)

# ---- SIGKILL: everything keeps working without a daemon --------------------------------------
kill -KILL "$SG_PID"; wait "$SG_PID" 2>/dev/null; SG_PID=
if lab_xdp_attached && [ -d "$LAB_BPFFS/synguard/$LAB_SIF" ]; then
	ok "restart: after SIGKILL, XDP stays attached and the pins stay"
else
	fail "restart: after SIGKILL, XDP stays attached and the pins stay" "$(lsrv ip -d link show dev "$LAB_SIF" | head -n 3)"
fi
J=$(status)
expect "restart: ...the tcx links too (ids $links0)" \
	"$(echo "$J" | jget tc_ingress.link_id)/$(echo "$J" | jget tc_egress.link_id)" = "$links0"
expect "restart: ...status says the daemon is gone" "$(echo "$J" | jget daemon_running)" = false
if flowing 5; then ok "restart: ...the stream keeps flowing"; else fail "restart: ...the stream keeps flowing" "stalled at $(progress)"; fi
n=$(lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$EPORT" -n 3 -b 1000 -T 3 -q 2>&1 | tail -n 1 | jget summary.ok 0)
expect "restart: ...new connections still get cookies with no daemon ($n of 3)" "$n" -eq 3
expect "restart: ...and are counted (syn_cookies_sent +$(( $(sg_counter syn_cookies_sent) - sent0 )))" \
	$(( $(sg_counter syn_cookies_sent) - sent0 )) -ge 3
read -r st1 pk1 age1 <<<"$(entry)"
if [ "${st1:-}" = ESTABLISHED ] && [ "${pk1:-0}" -gt "${pk0:-0}" ]; then
	ok "restart: ...the tracker keeps following the stream (pkts_in $pk0 -> $pk1)"
else
	fail "restart: ...the tracker keeps following the stream" "state ${st1:-none} bytes ${pk1:-?} (before $pk0)"
fi

# ---- a new daemon takes over while connections are being made -------------------------------
sent1=$(sg_counter syn_cookies_sent)
lab_bg lcli timeout 60 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$EPORT" -n 40 -b 1000 -T 3 --interval 0.05 -q \
	>"$LAB_TMP/loop"
LOOP=${LAB_PIDS[-1]}
sleep 0.5
if ! sg_start -p "$PORT,$EPORT" --mode on; then
	fail "restart: a new synguardd starts over the pins" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
ok "restart: a new synguardd starts over the pins"
check "restart: ...swaps its XDP program in place" grep -q 'replaced the XDP program left attached (id [0-9]*) in place' "$SG_LOG"
check "restart: ...takes over the pinned tcx links" grep -q 'took over the pinned tcx ingress link' "$SG_LOG"
J=$(status)
expect "restart: ...the same tcx links (ids $links0)" \
	"$(echo "$J" | jget tc_ingress.link_id)/$(echo "$J" | jget tc_egress.link_id)" = "$links0"
expect "restart: ...the cookie secret survived (id $id0)" "$(echo "$J" | jget secret.id)" = "$id0"
expect "restart: ...the counters survived (syn_cookies_sent $sent1 -> $(sg_counter syn_cookies_sent))" \
	"$(sg_counter syn_cookies_sent)" -ge "$sent1"
read -r st2 pk2 age2 <<<"$(entry)"
if [ "${st2:-}" = ESTABLISHED ] && [ "${age2:-0}" -ge "${age0:-0}" ] && [ "${pk2:-0}" -ge "${pk1:-0}" ]; then
	ok "restart: ...the stream is still tracked, same entry (age ${age0}s -> ${age2}s, pkts_in $pk1 -> $pk2)"
else
	fail "restart: ...the stream is still tracked, same entry" "state ${st2:-none} age ${age2:-?} (was $age0) pkts_in ${pk2:-?}"
fi
wait "$LOOP"
n=$(tail -n 1 "$LAB_TMP/loop" 2>/dev/null | jget summary.ok 0)
expect "restart: all 40 connections made across the restart worked" "$n" -eq 40
if flowing 5; then ok "restart: ...the stream keeps flowing"; else fail "restart: ...the stream keeps flowing" "stalled at $(progress)"; fi

# ---- keep_attached: SIGTERM leaves protection in place ----------------------------------------
sg_cli set -i "$LAB_SIF" keep_attached=yes >/dev/null
sg_stop; rc=$?
expect "restart: keep_attached: SIGTERM exits 0" "$rc" -eq 0
check "restart: keep_attached: the exit says so" grep -q 'programs stay attached and pinned' "$SG_LOG"
if lab_xdp_attached && [ "$(status | jget tc_ingress.link_id)" != None ]; then
	ok "restart: keep_attached: XDP and the tcx links stay"
else
	fail "restart: keep_attached: XDP and the tcx links stay"
fi
if flowing 5; then ok "restart: keep_attached: the stream keeps flowing"; else fail "restart: keep_attached: the stream keeps flowing"; fi
if ! sg_start -p "$PORT,$EPORT" --mode on; then
	fail "restart: synguardd starts over kept attachments" "$(tail -n 1 "$SG_LOG")"; lab_finish
fi
expect "restart: keep_attached survives the restart (a pinned setting)" \
	"$(status | jget settings.keep_attached)" = true
sg_cli set -i "$LAB_SIF" keep_attached=no >/dev/null

# ---- SIGTERM by default detaches; the kernel keeps the connection -----------------------------
sg_stop; rc=$?
expect "restart: SIGTERM exits 0" "$rc" -eq 0
if lab_xdp_attached; then fail "restart: SIGTERM detaches XDP"; else ok "restart: SIGTERM detaches XDP"; fi
if [ -e "$LAB_BPFFS/synguard/$LAB_SIF" ]; then fail "restart: SIGTERM removes the pins" "$(ls "$LAB_BPFFS/synguard/$LAB_SIF" | tr '\n' ' ')"
else ok "restart: SIGTERM removes the pins"; fi
if flowing 5; then ok "restart: detached, the stream keeps flowing"; else fail "restart: detached, the stream keeps flowing"; fi
check "restart: ...but the cookie secrets stay pinned apart for the next synguardd" \
	test -e "$LAB_BPFFS/synguard-kept/$LAB_SIF"

# (before the stream stops: closing with unread data sends a RST, rightly)
expect "restart: through it all no RST was sent and no connection reset (TcpOutRsts, TcpEstabResets at both ends)" \
	"$(rsts)" -eq "$rst0"
touch "$LAB_TMP/stop"
wait "$STREAM"; rc=$?
out=$(cat "$LAB_TMP/client.out")
expect "restart: the stream ended without an error, $(echo "$out" | jget received 0) bytes received" "$rc" -eq 0

# ---- a SIGTERM restart (what systemctl restart does) keeps cookie handshakes in flight -------
# a raw client (scapy): the SYN-ACK comes from one daemon, the ACK meets the next
SPOOF=198.19.18.7
lab_route_spoof "$SPOOF"
SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF")
hs() { lcli $LAB_PY $T/cookie_handshake.py "$1" "$LAB_CIF" "$SMAC" "$SPOOF" "$LAB_S4" "$EPORT" "$LAB_TMP/hs"; }
if ! sg_start -p "$PORT,$EPORT" --mode on; then
	fail "restart: synguardd starts after a SIGTERM" "$(tail -n 1 "$SG_LOG")"; lab_finish
fi
check "restart: ...with the secrets the stopped one kept" grep -q 'keeping the pinned cookie secrets' "$SG_LOG"
check "restart: ...pinned with the others now, not apart" test ! -e "$LAB_BPFFS/synguard-kept/$LAB_SIF"
if hs syn >"$LAB_TMP/hs.out" 2>&1; then
	ok "restart: a cookie SYN-ACK is sent"
else
	fail "restart: a cookie SYN-ACK is sent" "$(tail -n 1 "$LAB_TMP/hs.out")"
fi
id1=$(status | jget secret.id)
lab_bg lsrv "$LAB_CLI_BIN" stats -i "$LAB_SIF" -w 1 --bpffs "$LAB_BPFFS" >"$LAB_TMP/watch" 2>&1
WATCH=${LAB_PIDS[-1]}
sleep 1.5
sg_stop
if ! sg_start -p "$PORT,$EPORT" --mode on; then
	fail "restart: ...synguardd stopped (SIGTERM) and started again" "$(tail -n 1 "$SG_LOG")"; lab_finish
fi
out=$(hs ack 2>&1); rc=$?
expect "restart: ...its ACK, after synguardd was stopped (SIGTERM) and started again, makes the connection" "$rc" -eq 0
expect "restart: ...through the previous daemon's cookie (secret $id1 kept, cookies_accepted $(sg_counter cookies_accepted))" \
	"$(status | jget secret.id)/$(sg_counter cookies_accepted)" = "$id1/1"

# stats -w opened the maps of the stopped daemon: it must not show them as live
for _ in $(seq 50); do kill -0 "$WATCH" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$WATCH" 2>/dev/null; then
	kill -INT "$WATCH"; wait "$WATCH"
	fail "restart: stats -w across a SIGTERM restart ends, saying why" "still running: $(tail -n 1 "$LAB_TMP/watch")"
else
	wait "$WATCH"; rc=$?
	expect "restart: stats -w across a SIGTERM restart ends with status 1, saying why ($(tail -n 1 "$LAB_TMP/watch"))" \
		"$rc/$(grep -c 'were removed or replaced' "$LAB_TMP/watch")" = 1/1
fi

# ---- synguard detach: the full teardown, also of what keep_attached left --------------------
sg_cli detach -i "$LAB_SIF" >"$LAB_TMP/detach" 2>&1; rc=$?
expect "restart: detach refuses while synguardd runs ($(tail -n 1 "$LAB_TMP/detach"))" "$rc/$(grep -c 'synguardd runs on' "$LAB_TMP/detach")" = 1/1
sg_cli set -i "$LAB_SIF" keep_attached=yes >/dev/null
sg_stop

# ---- pins of another build (an upgrade that changed a map) over kept attachments ------------
pin=$LAB_BPFFS/synguard/$LAB_SIF
rm -f "$pin/sg_counters"
lsrv bpftool map create "$pin/sg_counters" type array key 4 value 4 entries 1 name sg_counters
if sg_start -p "$PORT,$EPORT" --mode on; then
	ok "restart: a synguardd starts over pins of another build"
else
	fail "restart: a synguardd starts over pins of another build" "$(tail -n 1 "$SG_LOG")"; lab_finish
fi
check "restart: ...says the tracked state starts afresh" grep -q 'are of another build: replaced by new ones' "$SG_LOG"
check "restart: ...swaps the XDP program left attached in place" grep -q 'replaced the XDP program left attached (id [0-9]*) in place' "$SG_LOG"
check "restart: ...takes over the tcx links" grep -q 'took over the pinned tcx ingress link' "$SG_LOG"
n=$(lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$EPORT" -n 3 -b 1000 -T 3 -q 2>&1 | tail -n 1 | jget summary.ok 0)
expect "restart: ...cookie connections work ($n of 3, cookies_accepted $(sg_counter cookies_accepted) on fresh counters)" \
	"$n/$(sg_counter cookies_accepted)" = 3/3
sg_cli set -i "$LAB_SIF" keep_attached=yes >/dev/null
sg_stop
sg_cli detach -i "$LAB_SIF" >"$LAB_TMP/detach" 2>&1; rc=$?
expect "restart: keep_attached, SIGTERM, then synguard detach: exit 0 ($(tail -n 1 "$LAB_TMP/detach"))" "$rc" -eq 0
expect "restart: ...it says what it detached, nothing else ($(grep -vc "^$LAB_SIF: " "$LAB_TMP/detach") other lines)" \
	"$(grep -vc "^$LAB_SIF: " "$LAB_TMP/detach")/$(grep -c "^$LAB_SIF: detached the" "$LAB_TMP/detach")" = 0/3
if lab_xdp_attached; then fail "restart: ...XDP is detached" "$(lsrv ip -d link show dev "$LAB_SIF" | grep prog)"
else ok "restart: ...XDP is detached"; fi
expect "restart: ...no tcx link is left" "$(lab_tcx_count)" -eq 0
if [ -e "$LAB_BPFFS/synguard/$LAB_SIF" ] || [ -e "$LAB_BPFFS/synguard-kept/$LAB_SIF" ]; then
	fail "restart: ...no pins are left" "$(ls -d "$LAB_BPFFS/synguard/$LAB_SIF" "$LAB_BPFFS/synguard-kept/$LAB_SIF" 2>/dev/null)"
else
	ok "restart: ...no pins are left, nor kept secrets"
fi
check "restart: ...no pidfile either" test ! -e "$(lab_pidfile)"
sg_cli detach -i "$LAB_SIF" >"$LAB_TMP/detach" 2>&1; rc=$?
expect "restart: a second detach finds nothing: exit 1, one line ($(head -n 1 "$LAB_TMP/detach"))" \
	"$rc/$(wc -l <"$LAB_TMP/detach")" = 1/1
if sg_start -p "$PORT,$EPORT" --mode on && ! grep -q 'taking them over\|keeping the pinned' "$SG_LOG"; then
	ok "restart: a new synguardd starts afresh after detach"
else
	fail "restart: a new synguardd starts afresh after detach" "$(tail -n 3 "$SG_LOG")"
fi
n=$(lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" "$EPORT" -n 3 -b 1000 -T 3 -q 2>&1 | tail -n 1 | jget summary.ok 0)
expect "restart: ...and its cookie connections work ($n of 3)" "$n" -eq 3
lab_finish
