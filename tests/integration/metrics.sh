#!/usr/bin/env bash
# Prometheus metrics: scraped with curl from the daemon's default endpoint
# (loopback only), the text passes promtool check metrics and Python's
# prometheus_client parser, and carries the series an operator needs:
# per-state gauges, every counter (port and reason labels), cookie mode,
# settings/thresholds, secret age, table fill; values agree with
# synguard stats. Other paths and methods are refused; metrics can move or
# be turned off on reload; a port already taken stops the start cleanly.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" curl
PORTS=8080,8443
T=tests/tools
lab_up "sg-mt$$" 21 >/dev/null || { fail "metrics: lab setup"; exit 1; }
URL=http://127.0.0.1:9810/metrics
scrape() { lsrv curl -sS --max-time 5 "${1:-$URL}"; }

printf 'metrics = 127.0.0.1:9810\n' >"$LAB_TMP/sg.conf"
if ! sg_start -c "$LAB_TMP/sg.conf" -p "$PORTS" --mode on; then
	fail "metrics: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py 8080 -n 0 -t 120 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" 8080 -n 4 -b 2000 -q >/dev/null 2>&1
# a sample of the daemon taken after the traffic: younger than the time
# since then (now read before status, which reports the sample's age)
t_end=$(date +%s.%N)
for _ in $(seq 100); do
	now=$(date +%s.%N)
	age=$(sg_cli status -i "$LAB_SIF" --json 2>/dev/null | jget auto.sample_age_s 999)
	[[ "$age" =~ ^[0-9.]+$ ]] && awk -v a="$age" -v n="$now" -v t="$t_end" 'BEGIN { exit !(a < n - t) }' && break
	sleep 0.1
done

# stats first: counters only grow, so the scrape that follows must show at
# least these (non-TCP frames such as IPv6 ND keep arriving meanwhile)
sg_stats >"$LAB_TMP/stats.json"
scrape >"$LAB_TMP/m1"; rc=$?
expect "metrics: curl scrapes /metrics on the default 127.0.0.1:9810" "$rc" -eq 0
hdr=$(lsrv curl -sS -o /dev/null -w '%{http_code} %{content_type}' "$URL")
expect "metrics: 200 with the text exposition's content type" "$hdr" = "200 text/plain; version=0.0.4; charset=utf-8"
if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$LAB_TMP/m1" 2>&1); rc=$?
	expect "metrics: promtool check metrics finds no problem${out:+ ($(echo "$out" | head -n 3 | tr '\n' '|'))}" "$rc" -eq 0
else
	skip "metrics: promtool check metrics" "prometheus package missing: make deps"
fi
build/sg_metrics_list >"$LAB_TMP/catalog"
res=$($LAB_PY - "$LAB_TMP/m1" "$LAB_TMP/stats.json" "$LAB_TMP/catalog" "$LAB_SIF" <<-'EOF'
	import json, re, sys
	from prometheus_client.parser import text_string_to_metric_families
	fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
	stats = json.load(open(sys.argv[2]))
	iface = sys.argv[4]
	def val(metric, **labels):
	    f = fams.get(metric)
	    if not f:
	        return None
	    for s in f.samples:
	        if all(s.labels.get(k) == v for k, v in labels.items()):
	            return s.value
	    return None
	bad = []
	# parser family names drop a counter's _total
	for st in stats["states"]:
	    if val("synguard_connections", state=st) != stats["states"][st]:
	        bad.append("connections{state=%s}=%s want %s" % (st, val("synguard_connections", state=st), stats["states"][st]))
	# each counter where the catalog (the source of the docs) says it is
	series = {}
	for line in open(sys.argv[3]):
	    metric, label, counter, _ = line.rstrip("\n").split("\t")
	    if counter:
	        series[counter] = (re.sub("_total$", "", metric), dict([label.replace('"', "").split("=")]) if label else {})
	for c, v in stats["counters"].items():
	    if c not in series:
	        bad.append("counter %s not in the catalog" % c)
	        continue
	    got = val(series[c][0], **series[c][1])
	    if got is None or got < v:
	        bad.append("counter %s=%s (stats %s)" % (c, got, v))
	unlabelled = sorted({f.name for f in fams.values() for s in f.samples if s.labels.get("iface") != iface})
	checks = {
	    "iface label on every series (not on: %s)" % " ".join(unlabelled[:3]): not unlabelled,
	    "cookie mode on": val("synguard_cookie_mode") == 1,
	    "threshold auto.syn_rate_high": val("synguard_setting_per_second", name="auto.syn_rate_high") == 10000,
	    "timeout.TIME_WAIT": val("synguard_setting_seconds", name="timeout.TIME_WAIT") == 60,
	    "time_wait.warn as a ratio": val("synguard_setting_ratio", name="time_wait.warn") == 0.8,
	    "a prefix length in bits": val("synguard_setting_prefix_length", name="learn.prefix4") == 32,
	    "ack_budget.rate per second": val("synguard_setting_per_second", name="ack_budget.rate") == 10,
	    "no unitless synguard_setting": "synguard_setting" not in fams,
	    "mode info": val("synguard_setting_info", name="mode", value="on") == 1,
	    "secret age": val("synguard_secret_age_seconds") is not None and 0 <= val("synguard_secret_age_seconds") < 120,
	    "table entries": val("synguard_ct_entries", table="synced") is not None,
	    "capacity": val("synguard_ct_capacity", table="synced") == 131072,
	    "port 8080 cookies": (val("synguard_port_syn_cookies_sent", port="8080") or 0) >= 4,
	    "port 8443 series": val("synguard_port_syn_cookies_sent", port="8443") == 0,
	    "drop reason tcp_csum": val("synguard_dropped", reason="tcp_csum") is not None,
	    "bad cookies are a drop reason": val("synguard_dropped", reason="cookie_rejected") is not None,
	    "no precomputed rate gauge": "synguard_syn_rate" not in fams and "synguard_cookies_rejected" not in fams,
	    "kernel ListenOverflows": val("synguard_kernel_listen_overflows") is not None,
	    "time_wait limit": val("synguard_time_wait_limit", limit="tcp_max_tw_buckets") is not None,
	    "info": val("synguard_info", mode="on") == 1,
	}
	bad += [k for k, v in checks.items() if not v]
	print("; ".join(bad) if bad else "%d families" % len(fams))
	sys.exit(1 if bad else 0)
	EOF
)
if [ $? -eq 0 ]; then ok "metrics: prometheus_client parses it; every state, counter and key series present, values = synguard stats, iface label on all, settings by unit ($res)"
else fail "metrics: the expected series" "$res"; fi

expect "metrics: another path: 404" "$(lsrv curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9810/)" = 404
expect "metrics: POST: 405" "$(lsrv curl -s -o /dev/null -w '%{http_code}' -X POST "$URL")" = 405
expect "metrics: loopback only by default: not reachable on $LAB_S4" \
	"$(lcli curl -s -o /dev/null --max-time 3 -w '%{http_code}' "http://$LAB_S4:9810/metrics")" = 000
n=$(for _ in $(seq 20); do scrape >/dev/null && echo y; done | grep -c y)
expect "metrics: 20 scrapes in a row" "$n" -eq 20

# ---- reload: move, then off ---------------------------------------------------------------------
printf 'metrics = [::1]:9811\n' >"$LAB_TMP/sg.conf"
kill -HUP "$SG_PID"
for _ in $(seq 50); do scrape 'http://[::1]:9811/metrics' >/dev/null 2>&1 && break; sleep 0.1; done
if [ "$(scrape 'http://[::1]:9811/metrics' | grep -c '^synguard_cookie_mode{iface="'"$LAB_SIF"'"} 1')" -eq 1 ]; then ok "metrics: reload moves it to [::1]:9811"
else fail "metrics: reload moves it to [::1]:9811" "$(grep metrics "$SG_LOG" | tail -n 2)"; fi
expect "metrics: ...and the old address is closed" "$(lsrv curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$URL")" = 000
printf 'metrics = off\n' >"$LAB_TMP/sg.conf"
kill -HUP "$SG_PID"
for _ in $(seq 50); do grep -q 'metrics: \[::1\]:9811 -> off' "$SG_LOG" && break; sleep 0.1; done
expect "metrics: metrics = off closes it" "$(lsrv curl -s -o /dev/null --max-time 3 -w '%{http_code}' 'http://[::1]:9811/metrics')" = 000

# ---- a taken port: the start fails cleanly ---------------------------------------------------------
sg_stop
lab_bg lsrv $LAB_PY -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9810)); s.listen(); time.sleep(60)'
sleep 0.5
out=$(lsrv timeout 10 "$LAB_DAEMON" -i "$LAB_SIF" --bpffs "$LAB_BPFFS" -p "$PORTS" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ "$out" == *"metrics: cannot listen on 127.0.0.1:9810: 127.0.0.1:9810 is taken"* ]]; then
	ok "metrics: a port in use stops the start with one clear line"
else
	fail "metrics: a port in use stops the start" "exit $rc: $out"
fi
if lab_xdp_attached || [ -e "$LAB_BPFFS/synguard/$LAB_SIF" ]; then fail "metrics: ...and nothing is left attached"
else ok "metrics: ...and nothing is left attached"; fi
if [ -e "$(lab_pidfile)" ]; then fail "metrics: ...and no pidfile is left" "$(lab_pidfile)"
else ok "metrics: ...and no pidfile is left"; fi
lab_finish
