#!/usr/bin/env bash
# Monitoring: deploy/prometheus/alerts.yml passes promtool check rules and
# its unit tests (promtool test rules alerts_test.yml: each alert fires on
# the series meant to raise it, not on those just under); the Grafana
# dashboard deploy/grafana/synguard.json is valid JSON; and every
# synguard metric the dashboard and the rules query, with its label
# values, exists in a live scrape of synguardd in a lab (the checker is
# shown to catch a metric that does not exist).
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" curl promtool py:yaml py:prometheus_client
RULES=deploy/prometheus/alerts.yml
DASH=deploy/grafana/synguard.json

out=$(promtool check rules "$RULES" 2>&1); rc=$?
expect "monitoring: promtool check rules ($(echo "$out" | grep -o '[0-9]* rules found'))" "$rc" -eq 0
out=$(cd deploy/prometheus && promtool test rules alerts_test.yml 2>&1); rc=$?
expect "monitoring: promtool test rules alerts_test.yml${out:+: $(echo "$out" | grep -E 'SUCCESS|FAILED' | head -n 1 | tr -d ' ')}" "$rc" -eq 0
alerts=$($LAB_PY -c 'import sys, yaml; print(" ".join(r["alert"] for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"]))' "$RULES")
untested=
for a in $alerts; do grep -q "alertname: $a\$" deploy/prometheus/alerts_test.yml || untested="$untested $a"; done
expect "monitoring: every alert has a promtool test ($(echo "$alerts" | wc -w) alerts)" "${untested:-none}" = none
panels=$($LAB_PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print(sum(1 for p in d["panels"] if p["targets"] and all(t["expr"] for t in p["targets"])))' "$DASH" 2>&1)
expect "monitoring: the dashboard is valid JSON, every panel has queries ($panels panels)" "$panels" -gt 5

lab_up "sg-mo$$" 122 >/dev/null || { fail "monitoring: lab setup"; exit 1; }
# the top sources of the dashboard are exported only on request: one
# source's SYNs past top.threshold make one
printf 'metrics.sources = yes\ntop.threshold = 1\n' >"$LAB_TMP/sg.conf"
if ! sg_start -c "$LAB_TMP/sg.conf" -p 8080 --mode auto --metrics 127.0.0.1:9810; then
	fail "monitoring: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
lab_bg lsrv $LAB_PY tests/tools/tcpinfo_server.py 8080 -n 0 -t 60 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
lcli timeout 30 $LAB_PY tests/tools/tcpinfo_client.py "$LAB_S4" 8080 -n 4 -q >/dev/null 2>&1
lsrv curl -sS --max-time 5 http://127.0.0.1:9810/metrics >"$LAB_TMP/scrape" ||
	fail "monitoring: scrape /metrics"
out=$($LAB_PY tests/tools/promql_names.py "$LAB_TMP/scrape" "$DASH"); rc=$?
expect "monitoring: every metric of the dashboard is in the scrape ($(echo "$out" | grep -c '^found') selectors)$(echo "$out" | grep '^missing' | head -n 3 | tr '\n' '|')" "$rc" -eq 0
out=$($LAB_PY tests/tools/promql_names.py "$LAB_TMP/scrape" "$RULES"); rc=$?
expect "monitoring: every synguard metric of the rules is in the scrape ($(echo "$out" | grep -c '^found') selectors; other exporters: $(echo "$out" | grep -c '^other'))$(echo "$out" | grep '^missing' | head -n 3 | tr '\n' '|')" "$rc" -eq 0
# the checker catches what it is for: a metric and a label value that
# synguardd does not export
cat >"$LAB_TMP/bad.yml" <<-'EOT'
	groups:
	  - name: bad
	    rules:
	      - alert: Bad
	        expr: rate(synguard_no_such_total[5m]) > on(instance) synguard_info{mode="nosuch"}
EOT
out=$($LAB_PY tests/tools/promql_names.py "$LAB_TMP/scrape" "$LAB_TMP/bad.yml")
expect "monitoring: ...and the check finds a metric and a label value that do not exist" \
	"$(echo "$out" | grep -c '^missing')" -eq 2
lab_finish
