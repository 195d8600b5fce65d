#!/usr/bin/env bash
# The kernel's side beside synguard's: synguardd exports the TcpExt
# counters of its network namespace (/proc/net/netstat) as
# synguard_kernel_*_total, and they move with what the kernel does: a
# listener with a backlog of 1 that never accepts overflows
# (ListenOverflows, ListenDrops); with net.ipv4.tcp_syncookies=2 the kernel
# answers every SYN with its own cookie (SyncookiesSent), a real client's
# handshake completes by it (SyncookiesRecv) and blind ACKs fail it
# (SyncookiesFailed). Each delta in the metrics equals nstat's in the
# same namespace over the same time. Cookie mode stays off throughout, so
# the kernel sees all of it.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" curl trafgen nstat
lab_up "sg-mk$$" 141 >/dev/null || { fail "metrics_kernel: lab setup"; exit 1; }
if ! sg_start -p 8080,8081 --mode off --metrics 127.0.0.1:9810; then
	fail "metrics_kernel: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
FIELDS="ListenOverflows ListenDrops SyncookiesSent SyncookiesRecv SyncookiesFailed"
metric() {  # TcpExt field -> its series' name
	case $1 in
		ListenOverflows) echo synguard_kernel_listen_overflows_total ;;
		ListenDrops) echo synguard_kernel_listen_drops_total ;;
		SyncookiesSent) echo synguard_kernel_syncookies_sent_total ;;
		SyncookiesRecv) echo synguard_kernel_syncookies_recv_total ;;
		SyncookiesFailed) echo synguard_kernel_syncookies_failed_total ;;
	esac
}
# snap FILE: each field's value in the scrape and in nstat, one line each
snap() {
	local m f
	m=$(lsrv curl -s --max-time 5 http://127.0.0.1:9810/metrics)
	for f in $FIELDS; do
		echo "$f $(echo "$m" | awk -v n="$(metric "$f"){iface=\"$LAB_SIF\"}" '$1 == n {print $2}') $(nstat_get "$LAB_SRV" "TcpExt$f")"
	done >"$1"
}
# delta FIELD: "METRICS_DELTA NSTAT_DELTA" between snapshots a and b
delta() {
	join <(sort "$LAB_TMP/a") <(sort "$LAB_TMP/b") |
		awk -v f="$1" '$1 == f {print $4 - $2, $5 - $3}'
}

# ---- an accept queue that overflows --------------------------------------------------------------
lab_bg lsrv $LAB_PY -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8081)); s.listen(1); time.sleep(60)'
sleep 0.5
snap "$LAB_TMP/a"
lcli timeout 20 $LAB_PY -c 'import socket, sys, time
socks = []
for _ in range(10):
    s = socket.socket(); s.setblocking(False)
    try: s.connect((sys.argv[1], 8081))
    except BlockingIOError: pass
    socks.append(s)
time.sleep(3)' "$LAB_S4"
snap "$LAB_TMP/b"
for f in ListenOverflows ListenDrops; do
	read -r dm dn <<<"$(delta "$f")"
	expect "metrics_kernel: 10 connects to a backlog of 1: $(metric "$f") +$dm = nstat TcpExt$f +$dn" \
		"$(( dm > 0 && dm - dn <= 2 && dn - dm <= 2 ))" -eq 1
done

# ---- the kernel's own cookies --------------------------------------------------------------------
lsrv sysctl -qw net.ipv4.tcp_syncookies=2
lab_bg lsrv $LAB_PY tests/tools/tcpinfo_server.py 8080 -n 0 -t 60 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
lsrv ip route replace 198.19.0.0/16 via "$LAB_C4" dev "$LAB_SIF"
snap "$LAB_TMP/a"
lab_trafgen_cfg 0x02 8080 >"$LAB_TMP/syn.cfg"
lab_trafgen "$LAB_TMP/syn.cfg" 200 5 1000 >/dev/null
lcli timeout 30 $LAB_PY tests/tools/tcpinfo_client.py "$LAB_S4" 8080 -n 3 -b 100 -q >/dev/null 2>&1
lab_trafgen_cfg 0x10 8080 >"$LAB_TMP/ack.cfg"
lab_trafgen "$LAB_TMP/ack.cfg" 100 5 1000 >/dev/null
sleep 0.5
snap "$LAB_TMP/b"
lsrv sysctl -qw net.ipv4.tcp_syncookies=1
for f in SyncookiesSent SyncookiesRecv SyncookiesFailed; do
	read -r dm dn <<<"$(delta "$f")"
	expect "metrics_kernel: tcp_syncookies=2, 200 SYNs, 3 connects, 100 blind ACKs: $(metric "$f") +$dm = nstat TcpExt$f +$dn" \
		"$(( dm > 0 && dm - dn <= 2 && dn - dm <= 2 ))" -eq 1
done
expect "metrics_kernel: ...and synguard passed them all (cookie mode off: no cookie of its own)" \
	"$(sg_counter syn_cookies_sent)" -eq 0
lab_finish
