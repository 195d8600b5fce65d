#!/usr/bin/env bash
# The metrics endpoint as an attack surface. (1) Idle connections: 200 TCP
# connections that never send a request must not keep the scraper out;
# a scrape from another address still answers within a few seconds.
# (2) What a scrape hands out: no source addresses unless
# metrics.sources=yes. (3) Two daemons on two interfaces of one network
# namespace with the default endpoint: the second one says which setting
# to change, and starts once given its own.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" curl trafgen
PORT=8080
MPORT=9810
lab_up "sg-me$$" 103 >/dev/null || { fail "metrics_exhaust: lab setup"; exit 1; }
if ! sg_start -p "$PORT" --mode on --metrics "$LAB_S4:$MPORT" -s top.threshold=50; then
	fail "metrics_exhaust: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
URL=http://$LAB_S4:$MPORT/metrics
# scrape: from the server's own address, as a scraper elsewhere would;
# prints "HTTP-CODE SECONDS"
scrape() { lsrv curl -s -o "$LAB_TMP/m" --max-time "${1:-5}" -w '%{http_code} %{time_total}' "$URL"; }

# ---- (1) 200 idle connections ----------------------------------------------------------
lab_bg lcli $LAB_PY -c 'import socket, sys, time
held = []
for _ in range(200):
    try: held.append(socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2))
    except OSError: pass
open(sys.argv[3], "w").write(str(len(held)))
time.sleep(60)' "$LAB_S4" "$MPORT" "$LAB_TMP/held"
for _ in $(seq 100); do [ -s "$LAB_TMP/held" ] && break; sleep 0.1; done
note "idle connections opened: $(cat "$LAB_TMP/held" 2>/dev/null)"
read -r code secs <<<"$(scrape 5)"
expect "metrics_exhaust: 200 idle connections open: a scrape still answers (HTTP $code)" "$code" = 200
expect "metrics_exhaust: ...within 3 s (${secs}s)" "$(awk -v s="$secs" 'BEGIN { print (s < 3) }')" -eq 1
check "metrics_exhaust: ...with the exposition" grep -q '^synguard_cookie_mode{iface="'"$LAB_SIF"'"} 1' "$LAB_TMP/m"
check "metrics_exhaust: the daemon logs the refused ones, not one line each" \
	test "$(grep -c 'metrics:' "$SG_LOG")" -lt 20

# ---- (2) no source addresses unless asked --------------------------------------------------
lab_trafgen_cfg 0x02 "$PORT" client >"$LAB_TMP/syn.cfg"
lab_trafgen "$LAB_TMP/syn.cfg" 600 5 1000 >/dev/null
top=$(sg_cli top -i "$LAB_SIF" --json | jget syn_sources.0.prefix x)
expect "metrics_exhaust: synguard top names the SYN source" "$top" = "$LAB_C4/32"
scrape >/dev/null
expect "metrics_exhaust: metrics.sources=no (default): no source prefix in the metrics" \
	"$(grep -c "$LAB_C4" "$LAB_TMP/m")" -eq 0
sg_cli set -i "$LAB_SIF" metrics.sources=yes >/dev/null
lab_trafgen "$LAB_TMP/syn.cfg" 600 5 1000 >/dev/null
scrape >/dev/null
expect "metrics_exhaust: metrics.sources=yes: synguard_hitter_syns names it" \
	"$(grep -c "^synguard_hitter_syns{iface=\"$LAB_SIF\",prefix=\"$LAB_C4/32\"}" "$LAB_TMP/m")" -eq 1

# ---- (3) two interfaces, one namespace, default endpoints ---------------------------------
XIF=sg-me$$-t
ip link add "$XIF" netns "$LAB_SRV" type veth peer name "sg-me$$-u" netns "$LAB_CLI"
lsrv ip link set "$XIF" up
lcli ip link set "sg-me$$-u" up
lcli ip link set dev "sg-me$$-u" xdpdrv obj "$LAB_ROOT/build/xdp_pass.bpf.o" sec xdp.frags
# xdaemon ARGS...: synguardd on the second interface, in the background
xdaemon() {
	nsenter --net=/run/netns/"$LAB_SRV" "$LAB_DAEMON" -i "$XIF" --bpffs "$LAB_BPFFS" -p "$PORT" "$@" \
		>"$LAB_TMP/x.log" 2>&1 &
	XPID=$!
	LAB_PIDS+=($XPID)
}
sg_stop
if ! sg_start -p "$PORT" --mode on; then
	fail "metrics_exhaust: the first daemon starts with the default metrics" "$(tail -n 1 "$SG_LOG")"
fi
xdaemon
for _ in $(seq 100); do kill -0 "$XPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$XPID" 2>/dev/null; then
	fail "metrics_exhaust: the second daemon on the default metrics port stops" "it runs"
else
	wait "$XPID"; rc=$?
	out=$(grep -v '^#' "$LAB_TMP/x.log" | tail -n 1)
	note "second daemon: $out"
	expect "metrics_exhaust: the second daemon, default metrics port taken: exit 1" "$rc" -eq 1
	check "metrics_exhaust: ...one line naming the address and the setting to change" \
		grep -q "127.0.0.1:$MPORT is taken.*--metrics" <<<"$out"
	check "metrics_exhaust: ...and leaves no pins behind" test ! -e "$LAB_BPFFS/synguard/$XIF"
fi
xdaemon --metrics 127.0.0.1:$((MPORT + 1))
for _ in $(seq 100); do grep -q "synguardd running on $XIF" "$LAB_TMP/x.log" && break; sleep 0.1; done
check "metrics_exhaust: given its own port, the second daemon runs" grep -q "synguardd running on $XIF" "$LAB_TMP/x.log"
expect "metrics_exhaust: ...and both endpoints answer" \
	"$(lsrv curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics") $(lsrv curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((MPORT + 1))/metrics")" = "200 200"
kill -TERM "$XPID" 2>/dev/null
for _ in $(seq 100); do kill -0 "$XPID" 2>/dev/null || break; sleep 0.1; done
wait "$XPID" 2>/dev/null
lab_unpin "$XIF"
lab_finish
