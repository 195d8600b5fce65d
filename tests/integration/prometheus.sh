#!/usr/bin/env bash
# A real Prometheus server (Debian's prometheus package: no system service,
# its own config and temp storage, on the lab server's address, stopped by
# its pid) scrapes synguardd every second while SYN floods run, and what
# its HTTP API answers (curl /api/v1/query) agrees with synguard stats
# --json: the state gauges after a flood handed to the kernel (mode off),
# and the rate of cookie SYN-ACKs, rate() over the counter, during a flood
# answered with cookies (mode on), within 15% of the rate two stats
# readings give over the same seconds. With SG_FLOOD_PNG=FILE it also
# draws both floods from Prometheus's series (tools/flood-plot.py): that
# is how docs/flood.png was made.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" curl trafgen prometheus
lab_up "sg-pr$$" 140 >/dev/null || { fail "prometheus: lab setup"; exit 1; }
PROM=http://$LAB_S4:9090
SEL="iface=\"$LAB_SIF\""

if ! sg_start -p 8080 --mode off --metrics 127.0.0.1:9810; then
	fail "prometheus: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
mkdir -p "$LAB_TMP/prom"
cat >"$LAB_TMP/prometheus.yml" <<-EOT
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: synguard
	    static_configs:
	      - targets: ['127.0.0.1:9810']
EOT
lab_bg lsrv prometheus --config.file="$LAB_TMP/prometheus.yml" \
	--storage.tsdb.path="$LAB_TMP/prom" --storage.tsdb.retention.time=1h \
	--web.listen-address="$LAB_S4:9090" --log.level=warn 2>"$LAB_TMP/prometheus.log"
PROM_PID=$!
# query EXPR [TIME]: the first sample's value, or "none"
query() {
	lsrv curl -s --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$1" \
		${2:+--data-urlencode "time=$2"} |
		$LAB_PY -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "none")' 2>/dev/null || echo none
}
up() { query "up{job=\"synguard\"}"; }
if ! wait_for 1 30 up; then
	fail "prometheus: the server scrapes synguardd" "$(lsrv curl -s "$PROM/api/v1/targets" | head -c 300)"
	kill "$PROM_PID"; lab_finish
fi
ok "prometheus: a Prometheus $(prometheus --version 2>&1 | awk 'NR==1 {print $3}') server in the lab scrapes synguardd (up = 1)"

# ---- mode off: SYNs go to the listener, the kernel answers; state gauges -----------------------
lab_bg lsrv $LAB_PY -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(4096); time.sleep(120)'
# the kernel's SYN-ACKs to the spoofed sources go out through the client,
# which drops them: the handshakes stay in SYN_RCVD
lsrv ip route replace 198.19.0.0/16 via "$LAB_C4" dev "$LAB_SIF"
lab_trafgen_cfg 0x02 8080 >"$LAB_TMP/syn.cfg"
t0=$(date +%s)
sent=$(lab_trafgen "$LAB_TMP/syn.cfg" 1500 10 1000)
note "mode off: $sent SYNs at 1000/s"
# the kernel prunes its request sockets at the SYN-ACK retransmissions (1 s,
# 3 s, 7 s and 15 s after each SYN) and the gauge follows it a little later:
# compare the two once the gauges hold still, between 8 s and 14 s. A
# stats reading, the same again 1.5 s later, brackets at least one scrape,
# and Prometheus is asked for the value it holds at the second reading.
sleep 8
states() { for st in SYN_RCVD ESTABLISHED TIME_WAIT; do jget "states.$st" -1 <"$1"; done | paste -sd' '; }
for _ in 1 2 3 4; do
	sg_stats >"$LAB_TMP/s0.json"
	kernel=$(lsrv ss -Htan state syn-recv | wc -l)
	sleep 1.5
	sg_stats >"$LAB_TMP/s1.json"
	at=$(date +%s.%N)
	[ "$(states "$LAB_TMP/s0.json")" = "$(states "$LAB_TMP/s1.json")" ] && break
done
res=$(for st in SYN_RCVD ESTABLISHED TIME_WAIT; do
	echo "$st $(jget "states.$st" -1 <"$LAB_TMP/s1.json") $(query "synguard_connections{$SEL,state=\"$st\"}" "$at")"
done)
note "state stats prometheus: $(echo "$res" | tr '\n' ';') (ss syn-recv: $kernel; stats still: $(states "$LAB_TMP/s0.json") -> $(states "$LAB_TMP/s1.json"))"
# the same value, unless a gauge moved between the scrape and the reading
# (then by what the kernel dropped meanwhile: the tracker's own 5% or 20)
bad=$(echo "$res" | awk '{ d = $2 - $3; if (d < 0) d = -d; if ($3 == "none" || d > 0.05 * $2 + 20) print $1 }')
expect "prometheus: synguard_connections{state} queried from Prometheus = synguard stats --json (SYN_RCVD $(echo "$res" | awk '$1 == "SYN_RCVD" {print $2 " / " $3}'), 5% + 20)" "${bad:-none}" = none
expect "prometheus: ...the SYN_RCVD of the flood is in it (the kernel held $kernel)" "$(echo "$res" | awk '$1 == "SYN_RCVD" {print ($3 >= 100)}')" -eq 1
expect "prometheus: cookie mode off, as queried" "$(query "synguard_cookie_mode{$SEL}")" = 0

# ---- mode on: a flood answered with cookies; the cookie rate ------------------------------------
sg_cli set -i "$LAB_SIF" mode=on >/dev/null
wait_for 1 10 query "synguard_cookie_mode{$SEL}" || fail "prometheus: cookie mode on, as queried"
# both rates over the whole flood, from a still counter before it to a
# still counter after it: a generator that a loaded host slows or stalls
# changes both alike
sleep 2
t1=$(date +%s.%N); c1=$(sg_counter syn_cookies_sent)
lab_trafgen "$LAB_TMP/syn.cfg" 24000 16 2000 >"$LAB_TMP/flood2"
sleep 2
t2=$(date +%s.%N); c2=$(sg_counter syn_cookies_sent)
sleep 2   # scrapes past t2
cli=$(awk -v a="$c1" -v b="$c2" -v s="$t1" -v e="$t2" 'BEGIN { printf "%.0f", (b - a) / (e - s) }')
win=$(awk -v s="$t1" -v e="$t2" 'BEGIN { printf "%d", (e - s) * 1000 }')
prom=$(query "rate(synguard_syn_cookies_sent_total{$SEL}[${win}ms])" "$t2")
note "cookie SYN-ACKs/s: synguard stats $cli, Prometheus rate() over ${win}ms $prom; flood sent $(cat "$LAB_TMP/flood2")"
expect "prometheus: rate(synguard_syn_cookies_sent_total[${win}ms]) $(printf '%.0f' "${prom/none/0}")/s = synguard stats' $cli/s within 10%" \
	"$(awk -v p="${prom/none/-1}" -v c="$cli" 'BEGIN { d = p - c; if (d < 0) d = -d; print (c > 300 && p >= 0 && d <= 0.10 * c) }')" -eq 1
expect "prometheus: the counter queried after the flood = synguard stats' syn_cookies_sent" \
	"$(awk -v p="$(query "synguard_syn_cookies_sent_total{$SEL}")" -v c="$(sg_counter syn_cookies_sent)" 'BEGIN { print (p == c) }')" -eq 1

if [ -n "${SG_FLOOD_PNG:-}" ]; then
	sleep 3
	lsrv $LAB_PY tools/flood-plot.py "$PROM" "$LAB_SIF" "$((t0 - 3))" "$(date +%s)" "$SG_FLOOD_PNG" \
		"1,500 SYNs at 1,000/s, mode off, then 24,000 at 2,000/s, mode on (veth, Linux $(uname -r | cut -d- -f1))" &&
		note "drew $SG_FLOOD_PNG" || fail "prometheus: tools/flood-plot.py draws $SG_FLOOD_PNG"
fi
kill "$PROM_PID"
for _ in $(seq 50); do kill -0 "$PROM_PID" 2>/dev/null || break; sleep 0.1; done
lab_finish
