#!/usr/bin/env bash
# ports = all: every listener gets counters of its own. Two listeners
# (8080, 8443) under ports=all, cookie mode on: 4 connects to 8080 and 2 to
# 8443 show up as synguard_port_syn_cookies_sent_total{port="8080"} and
# {port="8443"} with those counts (no port="other" series: no port past the
# slots, synguard_ports_other 0); a third listener opened while the daemon
# runs gets a series of its own within a few seconds, starting from 0.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" curl
T=tests/tools
lab_up "sg-mp$$" 142 >/dev/null || { fail "metrics_ports: lab setup"; exit 1; }
for port in 8080 8443; do
	lab_bg lsrv $LAB_PY $T/tcpinfo_server.py $port -n 0 -t 60 --ready "$LAB_TMP/ready.$port" >/dev/null
done
for _ in $(seq 50); do [ -e "$LAB_TMP/ready.8080" ] && [ -e "$LAB_TMP/ready.8443" ] && break; sleep 0.1; done
if ! sg_start --mode on --metrics 127.0.0.1:9810; then
	fail "metrics_ports: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
scrape() { lsrv curl -s --max-time 5 http://127.0.0.1:9810/metrics; }
# value NAME{LABELS}: the sample's value in a fresh scrape, or "none"
value() { scrape | awk -v s="$1" '$1 == s {print $2; f=1} END {if (!f) print "none"}'; }
I="iface=\"$LAB_SIF\""
lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" 8080 -n 4 -q >/dev/null 2>&1
lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" 8443 -n 2 -q >/dev/null 2>&1
m=$(scrape)
c80=$(echo "$m" | awk -v s="synguard_port_syn_cookies_sent_total{$I,port=\"8080\"}" '$1 == s {print $2}')
c443=$(echo "$m" | awk -v s="synguard_port_syn_cookies_sent_total{$I,port=\"8443\"}" '$1 == s {print $2}')
note "cookies by port: 8080 ${c80:-none}, 8443 ${c443:-none}; synguard stats: $(sg_counter syn_cookies_sent)"
expect "metrics_ports: ports=all, 4 connects to 8080: port=\"8080\" counts ${c80:-none} cookies" "${c80:-0}" -ge 4
expect "metrics_ports: ...2 to 8443: port=\"8443\" counts ${c443:-none} (2 or 3: not 8080's 4)" \
	"$(( ${c443:-0} >= 2 && ${c443:-0} < 4 ))" -eq 1
expect "metrics_ports: no port=\"other\" series" "$(echo "$m" | grep -v '^#' | grep -c 'port="other"')" -eq 0
expect "metrics_ports: synguard_ports_other 0" "$(echo "$m" | awk -v s="synguard_ports_other{$I}" '$1 == s {print $2}')" = 0

lab_bg lsrv $LAB_PY $T/tcpinfo_server.py 9000 -n 0 -t 60 --ready "$LAB_TMP/ready.9000" >/dev/null
if wait_for 0 10 value "synguard_port_syn_cookies_sent_total{$I,port=\"9000\"}"; then
	ok "metrics_ports: a listener opened later gets its own series, from 0"
else
	fail "metrics_ports: a listener opened later gets its own series" "$(scrape | grep 'port="' | head -n 4 | tr '\n' ' ')"
fi
lcli timeout 30 $LAB_PY $T/tcpinfo_client.py "$LAB_S4" 9000 -n 3 -q >/dev/null 2>&1
c9=$(value "synguard_port_syn_cookies_sent_total{$I,port=\"9000\"}")
expect "metrics_ports: ...and counts its 3 connects ($c9)" "$(( ${c9/none/0} >= 3 ))" -eq 1
expect "metrics_ports: ...while 8080 keeps its count" "$(value "synguard_port_syn_cookies_sent_total{$I,port=\"8080\"}")" = "$c80"
lab_finish
