#!/usr/bin/env bash
# `make demo`: a SYN flood against a synguard-protected port while a legit
# client keeps connecting. Two network namespaces joined by a veth; the
# flood is trafgen (bounded: DEMO_SECS seconds or DEMO_PKTS packets),
# the legit client makes 100 connections that echo 10 KB each.
# Everything is removed on exit.
set -u
cd "$(dirname "$0")/.."
source tests/lab.sh

SECS=${DEMO_SECS:-5}
PKTS=${DEMO_PKTS:-300000}
CONNS=${DEMO_CONNS:-100}
PPS=${DEMO_PPS:-$((PKTS / SECS))}   # spread the flood over the whole window
PORT=80
T=tests/tools

die() { echo "demo: $*" >&2; [ -s "$SG_LOG" ] && sg_log 5 >&2; exit 1; }
for c in "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen nstat; do
	command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || die "$c missing: run make deps && make all"
done

lab_up "sg-dm$$" 20 >/dev/null || die "lab setup failed"
sg_start -p $PORT --mode on || die "synguardd did not start"
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py $PORT -n 0 -t $((SECS + 60)) --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || die "echo server did not start"
lab_trafgen_cfg 0x02 $PORT random >"$LAB_TMP/syn.cfg" || die "trafgen config"

echo "synguard demo: SYN flood vs. XDP SYN cookies (veth lab, $(nproc) CPUs, kernel $(uname -r))"
echo "  server  $LAB_SRV  $LAB_S4:$PORT  synguardd -i $LAB_SIF -p $PORT --mode on"
echo "  client  $LAB_CLI  $LAB_C4  trafgen SYN flood from random 198.19.0.0/16 sources"
echo "          ($PPS pps, at most ${SECS} s / $PKTS packets) + $CONNS legit connections echoing 10 KB"
echo

k0=$(srv_cookies_sent); ld0=$(nstat_get "$LAB_SRV" TcpExtListenDrops)
c0=$(sg_stats) || die "synguard stats failed"
# flood and legit traffic at the same time; both bounded
( lab_trafgen "$LAB_TMP/syn.cfg" "$PKTS" "$((SECS + 1))" "$PPS" >"$LAB_TMP/sent" ) &
FLOOD=$!
LAB_PIDS+=($FLOOD)
sleep 0.5   # let the flood ramp up
t0=$(date +%s.%N)
interval=$(awk -v s="$SECS" -v n="$CONNS" 'BEGIN { printf "%.3f", (s - 1.5) / n }')
lcli timeout $((SECS + 60)) $LAB_PY $T/tcpinfo_client.py "$LAB_S4" $PORT -n "$CONNS" -b 10240 \
	-T 3 --interval "$interval" -q >"$LAB_TMP/legit" 2>&1
t1=$(date +%s.%N)
wait $FLOOD
sleep 0.3
c1=$(sg_stats)
k1=$(srv_cookies_sent); ld1=$(nstat_get "$LAB_SRV" TcpExtListenDrops)
# trafgen's own count ("... (N packets)" per CPU); the veth counter also has the legit traffic
sent=$(grep -o '([0-9]* packets)' "$LAB_TMP/trafgen.out" 2>/dev/null | tr -dc '0-9\n' | awk '{ s += $1 } END { print s + 0 }')
[ "${sent:-0}" -gt 0 ] || sent=$(cat "$LAB_TMP/sent" 2>/dev/null || echo 0)

$LAB_PY - "$c0" "$c1" "$(tail -n 1 "$LAB_TMP/legit")" "$sent" "$SECS" "$CONNS" "$((k1 - k0))" "$((ld1 - ld0))" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" <<-'EOF'
	import json, sys
	c0, c1 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
	try:
	    legit = json.loads(sys.argv[3])["summary"]
	except Exception:
	    legit = {"ok": 0, "n": int(sys.argv[6]), "errors": {"client": sys.argv[3][:80]}}
	sent, secs, conns, ksent, ldrops, lsecs = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), sys.argv[9]
	d = lambda k: c1["counters"].get(k, 0) - c0["counters"].get(k, 0)
	n = lambda v: "{:,}".format(v)
	ms = lambda v: "-" if v is None else "%.2f ms" % v
	print("flood     %s SYN packets sent in <= %d s" % (n(sent), secs))
	print("synguard  syn_cookies_sent   %12s   (SYN-ACKs built in XDP, XDP_TX)" % n(d("syn_cookies_sent")))
	print("          cookies_accepted   %12s   (ACKs with a valid cookie -> kernel socket)" % n(d("cookies_accepted")))
	print("          cookies_rejected   %12s" % n(d("cookies_rejected")))
	print("          syn_passed         %12s   (SYNs handed to the kernel)" % n(d("syn_passed")))
	other = {k: d(k) for k in c1["counters"] if k.startswith("drop_") and d(k)}
	if other:
	    print("          dropped: " + ", ".join("%s %s" % (k, n(v)) for k, v in sorted(other.items())))
	print("          states now: " + (", ".join("%s %d" % (k, v) for k, v in c1["states"].items() if v) or "none"))
	print("legit     %d/%d connections succeeded (10 KB echoed each) in %s s; connect p50 %s, p99 %s, max %s"
	      % (legit["ok"], conns, lsecs, ms(legit.get("p50_ms")), ms(legit.get("p99_ms")), ms(legit.get("max_ms"))))
	if legit.get("errors"):
	    print("          failures: " + ", ".join("%s %d" % kv for kv in legit["errors"].items()))
	print("kernel    server TcpExtSyncookiesSent +%d, TcpExtListenDrops +%d  (the flood never reached the server's TCP stack)"
	      % (ksent, ldrops) if ksent == 0 and ldrops == 0 else
	      "kernel    server TcpExtSyncookiesSent +%d, TcpExtListenDrops +%d" % (ksent, ldrops))
	EOF
ok=$(tail -n 1 "$LAB_TMP/legit" | jget summary.ok 0)
sg_stop || true
echo
echo "cleaned up: synguardd stopped (XDP/TC detached), namespaces removed"
# the point of the demo: not one legit connection lost
if [ "$ok" -ne "$CONNS" ]; then
	echo "demo: only $ok of $CONNS legit connections succeeded" >&2
	exit 1
fi
