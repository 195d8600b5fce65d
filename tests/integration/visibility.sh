#!/usr/bin/env bash
# Visibility, end to end: synguard events shows sampled decisions with the
# right fields (JSON and lines), ends cleanly on SIGINT and on a closed
# pipe, and sampling stops without a reader (also when the reader is
# killed: its lease runs out); synguard top names the flooding prefix and
# the prefix holding most connections; the metrics carry the new families;
# synguard tune gives advice that changes with the observed load (TIME_WAIT
# against tcp_max_tw_buckets, listen queue overflows against somaxconn,
# harmful settings), --apply writes it in the namespace and says old ->
# new, and it works without synguard.
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" trafgen nstat curl
PORT=8080
T=tests/tools
X=22
MPORT=9822
lab_up "sg-vi$$" $X >/dev/null || { fail "visibility: lab setup"; exit 1; }
A4=$LAB_C4 B4=198.18.$X.3
lcli ip addr add "$B4/24" dev "$LAB_CIF"
lcli ping -c1 -W2 -I "$B4" "$LAB_S4" >/dev/null 2>&1

lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 600 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "visibility: echo server listening"; exit 1; }
conn() { local dst=$1; shift; lcli timeout 60 $LAB_PY $T/src_connect.py connect "$dst" "$PORT" --src "$@"; }
c() { sg_counter "$1"; }
reader() { sg_cli status -i "$LAB_SIF" --json 2>/dev/null | jget events_reader x; }

if ! sg_start -p "$PORT" --mode on --metrics "127.0.0.1:$MPORT" -s top.threshold=50 -s metrics.sources=yes; then
	fail "visibility: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi

# ---- events ---------------------------------------------------------------------------
expect "events: no reader at start (status events_reader)" "$(reader)" = false
s0=$(c events_sampled)
conn "$LAB_S4" "$A4" -n 3 >/dev/null
expect "events: without a reader nothing is sampled (events_sampled +$(( $(c events_sampled) - s0 )) over 3 connections)" \
	"$(c events_sampled)" -eq "$s0"

# lab_bg: $! is the reader itself (nsenter execs it), so the signals reach it
lab_bg lsrv "$LAB_CLI_BIN" events -i "$LAB_SIF" --bpffs "$LAB_BPFFS" --json >"$LAB_TMP/ev.json" 2>"$LAB_TMP/ev.err"
EVP=$!
wait_for true 10 reader || fail "events: the reader takes the lease" "$(cat "$LAB_TMP/ev.err")"
lab_trafgen_cfg 0x10 "$PORT" client >"$LAB_TMP/ack.cfg"
conn "$LAB_S4" "$A4" -n 2 >/dev/null
lab_trafgen "$LAB_TMP/ack.cfg" 5 5 >/dev/null
sleep 0.5
kill -INT $EVP; wait $EVP; rc=$?
expect "events: SIGINT ends the reader with status 0" "$rc" -eq 0
res=$($LAB_PY - "$LAB_TMP/ev.json" "$A4" "$LAB_S4" "$PORT" <<'EOF'
import json, sys
path, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
evs = [json.loads(l) for l in open(path) if l.strip()]
def has(**kw):
    return any(all(e.get(k) == v for k, v in kw.items()) for e in evs)
keys = {"time", "verdict", "would", "reason", "family", "saddr", "sport", "daddr", "dport", "flags"}
print(len(evs),
      int(all(keys <= set(e) for e in evs)),
      int(has(reason="syn_cookies_sent", verdict="tx", saddr=src, daddr=dst, dport=port, flags="SYN", family=4, would=False)),
      int(has(reason="cookies_accepted", verdict="pass", saddr=src, dport=port, flags="ACK")),
      int(has(reason="cookies_rejected", verdict="drop", saddr=src, flags="ACK")))
EOF
)
read -r n allkeys synev accev rejev <<<"$res"
note "events: $n sampled decisions; first: $(head -n 1 "$LAB_TMP/ev.json")"
expect "events: every line is a JSON object with time, verdict, would, reason, family, addresses, ports, flags ($n)" "$allkeys" -eq 1
expect "events: a cookie SYN-ACK: syn_cookies_sent, tx, $A4 -> $LAB_S4:$PORT, SYN" "$synev" -eq 1
expect "events: its ACK: cookies_accepted, pass, ACK" "$accev" -eq 1
expect "events: a spoofed ACK: cookies_rejected, drop" "$rejev" -eq 1
expect "events: the reader gave the lease up on exit" "$(reader)" = false
s0=$(c events_sampled)
conn "$LAB_S4" "$A4" -n 2 >/dev/null
expect "events: after it, nothing is sampled (events_sampled +$(( $(c events_sampled) - s0 )))" "$(c events_sampled)" -eq "$s0"

# lines, into a pipe that closes: the reader ends by itself, status 0
( conn "$LAB_S4" "$A4" -n 30 >/dev/null ) &
CP=$!
LAB_PIDS+=($CP)
out=$(lsrv timeout 20 bash -c "'$LAB_CLI_BIN' events -i '$LAB_SIF' --bpffs '$LAB_BPFFS' | head -n 2; exit \${PIPESTATUS[0]}")
rc=$?
wait $CP
if [ $rc -eq 0 ] && [ "$(echo "$out" | wc -l)" -eq 2 ] && echo "$out" | grep -q " tx   syn_cookies_sent \+$A4:[0-9]* -> $LAB_S4:$PORT SYN$"; then
	ok "events: lines into a pipe that closes after 2: the reader ends, status 0 ($(echo "$out" | head -n 1))"
else
	fail "events: a closed pipe ends the reader with status 0" "rc $rc: $out"
fi

# a reader killed: its lease runs out on its own, sampling stops
lab_bg lsrv "$LAB_CLI_BIN" events -i "$LAB_SIF" --bpffs "$LAB_BPFFS" >/dev/null 2>&1
EVP=$!
wait_for true 10 reader || fail "events: the second reader takes the lease"
kill -KILL $EVP; wait $EVP 2>/dev/null
expect "events: killed, its lease is still there a moment" "$(reader)" = true
t0=$(date +%s%N)
if wait_for false 10 reader; then
	ok "events: ...and runs out by itself ($(( ($(date +%s%N) - t0) / 1000000 )) ms after the kill)"
else
	fail "events: a dead reader's lease runs out" "still held after 10 s"
fi
s0=$(c events_sampled)
conn "$LAB_S4" "$A4" -n 2 >/dev/null
expect "events: then nothing is sampled (events_sampled +$(( $(c events_sampled) - s0 )))" "$(c events_sampled)" -eq "$s0"

# ---- top --------------------------------------------------------------------------------
( conn "$LAB_S4" "$A4" -n 6 --hold 20 >/dev/null ) &
H1=$!
( conn "$LAB_S4" "$B4" -n 2 --hold 20 >/dev/null ) &
H2=$!
LAB_PIDS+=($H1 $H2)
lab_trafgen_cfg 0x02 "$PORT" client >"$LAB_TMP/syn.cfg"
lab_trafgen "$LAB_TMP/syn.cfg" 1500 5 1000 >/dev/null
top=$(sg_cli top -i "$LAB_SIF" --json)
note "top: $(echo "$top" | $LAB_PY -c 'import json,sys; t=json.load(sys.stdin); print("SYN sources", [(s["prefix"], s["syns"]) for s in t["syn_sources"]], "tracked", [(s["prefix"], s["entries"]) for s in t["tracked"]][:3])')"
expect "top: the flooding prefix first among SYN sources ($(echo "$top" | jget syn_sources.0.prefix x))" \
	"$(echo "$top" | jget syn_sources.0.prefix x)" = "$A4/32"
expect "top: ...with its SYNs of a window (>= top.threshold 50: $(echo "$top" | jget syn_sources.0.syns 0))" \
	"$(echo "$top" | jget syn_sources.0.syns 0)" -ge 50
expect "top: the remote prefix holding most tracked connections ($(echo "$top" | jget tracked.0.prefix x): $(echo "$top" | jget tracked.0.entries 0))" \
	"$(echo "$top" | jget tracked.0.prefix x)" = "$A4/32"
expect "top: ...then $B4 ($(echo "$top" | jget tracked.1.entries 0) entries)" "$(echo "$top" | jget tracked.1.prefix x)" = "$B4/32"
sg_cli top -i "$LAB_SIF" -n 3 >"$LAB_TMP/top.txt"
expect "top: the human table names it too" "$(grep -c "^$A4/32 " "$LAB_TMP/top.txt")" -eq 2
# a flood that stopped a few windows ago is still named, with its age
sleep 3
top=$(sg_cli top -i "$LAB_SIF" --json)
expect "top: 3 s after the flood it is still named ($(echo "$top" | jget syn_sources.0.prefix x), seen $(echo "$top" | jget syn_sources.0.seen_ago_s x) s ago)" \
	"$(echo "$top" | jget syn_sources.0.prefix x) $(echo "$top" | $LAB_PY -c 'import json,sys; print(int(json.load(sys.stdin)["syn_sources"][0]["seen_ago_s"] >= 2.5))' 2>/dev/null)" = "$A4/32 1"

# ---- metrics ------------------------------------------------------------------------------
sg_cli deny add 198.51.100.0/24 -i "$LAB_SIF" >/dev/null
m=$(lsrv curl -s "http://127.0.0.1:$MPORT/metrics")
miss=
I="iface=\"$LAB_SIF\""
for want in "synguard_would_total{$I,counter=\"syn_cookies_sent\"}" "synguard_policy_prefixes{$I,list=\"deny\"} 1" \
	"synguard_learned_sources{$I} " "synguard_events_reader{$I} 0" "synguard_hitter_syns{$I,prefix=\"$A4/32\"}" \
	"synguard_dropped_total{$I,reason=\"denied\"}" "synguard_passed_total{$I,reason=\"shadow\"}" \
	"synguard_events_sampled_total{$I} " "synguard_setting_per_second{$I,name=\"syn_budget.rate\"} 0" \
	"synguard_setting_info{$I,name=\"deny.prefixes\",value=\"198.51.100.0/24\"} 1"; do
	echo "$m" | grep -qF "$want" || miss="$miss $want"
done
if [ -z "$miss" ]; then ok "metrics: would-be counters, lists, learned sources, the events lease, hitters, new counters and settings"
else fail "metrics: the new families" "missing:$miss"; fi
if command -v promtool >/dev/null; then
	check "metrics: promtool check metrics passes" bash -c "echo \"\$1\" | promtool check metrics" _ "$m"
fi
wait $H1 $H2 2>/dev/null

# ---- tune ----------------------------------------------------------------------------------
tune() { sg_cli tune -i "$LAB_SIF" -w "${1:-1}" --json; }
advice() { # advice JSON SYSCTL FIELD
	echo "$1" | $LAB_PY -c 'import json,sys
for a in json.load(sys.stdin)["advice"]:
    if a["sysctl"] == sys.argv[1]: print(a[sys.argv[2]])' "$2" "$3"
}
j=$(tune)
expect "tune: at rest, tcp_max_tw_buckets: keep ($(advice "$j" net.ipv4.tcp_max_tw_buckets reason | cut -c1-60))" \
	"$(advice "$j" net.ipv4.tcp_max_tw_buckets change)" = False
expect "tune: at rest, somaxconn: keep" "$(advice "$j" net.core.somaxconn change)" = False
expect "tune: it read synguard's gauges (observed.synguard)" "$(echo "$j" | jget observed.synguard x)" = true

# TIME_WAIT near tcp_max_tw_buckets: the server closes 150 connections first
lsrv sysctl -qw net.ipv4.tcp_max_tw_buckets=64
lab_bg lsrv $LAB_PY $T/tw_make.py serve 9091 150 --first >/dev/null
sleep 0.3
lcli timeout 60 $LAB_PY $T/tw_make.py connect "$LAB_S4" 9091 150 >/dev/null
j=$(tune)
tw=$(advice "$j" net.ipv4.tcp_max_tw_buckets recommended)
note "tune, TIME_WAIT load: tcp_max_tw_buckets 64 -> $tw: $(advice "$j" net.ipv4.tcp_max_tw_buckets reason)"
expect "tune: with TIME_WAIT at tcp_max_tw_buckets=64, it advises more ($tw)" "$tw" -gt 64
expect "tune: ...saying why: TIME_WAIT" "$(advice "$j" net.ipv4.tcp_max_tw_buckets reason | grep -c 'in TIME_WAIT of 64')" -eq 1

# listen queue overflows: a listener with backlog 1 that never accepts
lab_bg lsrv $LAB_PY $T/src_connect.py listen 9092 1 15
sleep 0.3
( sleep 0.3; for i in $(seq 12); do lcli timeout 5 $LAB_PY -c "import socket; s=socket.create_connection(('$LAB_S4', 9092), 0.3)" 2>/dev/null; done ) &
CP=$!
LAB_PIDS+=($CP)
j=$(tune 3)
wait $CP
som=$(advice "$j" net.core.somaxconn recommended)
note "tune, listen overflows: somaxconn -> $som: $(advice "$j" net.core.somaxconn reason)"
expect "tune: with listen queues overflowing, it advises a larger somaxconn ($som)" "$(advice "$j" net.core.somaxconn change)" = True
expect "tune: ...saying why: the overflows it saw" "$(advice "$j" net.core.somaxconn reason | grep -c 'overflowed')" -eq 1

# harmful settings, and --apply: only this namespace changes
lsrv sysctl -qw net.ipv4.tcp_syn_retries=1 net.ipv4.tcp_syncookies=2
host_tw=$(sysctl -n net.ipv4.tcp_max_tw_buckets) host_sr=$(sysctl -n net.ipv4.tcp_syn_retries)
out=$(sg_cli tune -i "$LAB_SIF" -w 1 --apply)
echo "$out" | grep -- '->' | sed 's/^/# /'
expect "tune --apply: tcp_max_tw_buckets 64 -> more, in the namespace ($(lsrv sysctl -n net.ipv4.tcp_max_tw_buckets))" \
	"$(lsrv sysctl -n net.ipv4.tcp_max_tw_buckets)" -gt 64
expect "tune --apply: tcp_syn_retries 1 -> 6 (1 is harmful on lossy paths)" "$(lsrv sysctl -n net.ipv4.tcp_syn_retries)" -eq 6
expect "tune --apply: tcp_syncookies 2 -> 1" "$(lsrv sysctl -n net.ipv4.tcp_syncookies)" -eq 1
expect "tune --apply: says old -> new for each" "$(echo "$out" | grep -c '^net.ipv4.tcp_max_tw_buckets: 64 -> [0-9]*$')" -eq 1
expect "tune --apply: the host's own sysctls unchanged" "$(sysctl -n net.ipv4.tcp_max_tw_buckets) $(sysctl -n net.ipv4.tcp_syn_retries)" = "$host_tw $host_sr"
j=$(tune)
expect "tune: applied, no more change advised for tcp_max_tw_buckets" "$(advice "$j" net.ipv4.tcp_max_tw_buckets change)" = False
expect "tune: it says tcp_tw_recycle is gone" "$(echo "$j" | jget note | grep -c 'removed in Linux 4.12')" -eq 1

# without synguard: the client's namespace, an empty bpffs
mkdir -p "$LAB_TMP/nobpf"
lcli sysctl -qw net.ipv4.tcp_syncookies=0
j=$(lcli "$LAB_CLI_BIN" tune -w 1 --json --bpffs "$LAB_TMP/nobpf")
expect "tune: without synguard it advises from the kernel alone (observed.synguard false)" "$(echo "$j" | jget observed.synguard x)" = false
expect "tune: tcp_syncookies=0 -> 1 (the kernel refuses synguard's cookie ACKs at 0)" "$(advice "$j" net.ipv4.tcp_syncookies recommended)" = 1
lab_finish
