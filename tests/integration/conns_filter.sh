#!/usr/bin/env bash
# The habits of ss and conntrack in synguard's CLI, with ss in the server's
# namespace as the oracle: conns filters (--state in ss's, conntrack's and
# synguard's spellings, any case; --sport/--dport/--src/--dst as ss means
# them), conns delete FILTER and conns flush (as conntrack -D/-F: how many
# removed, and only those), events --src, top -w redrawing, and stats
# showing the counters that moved first (--all: every one).
set -u
cd "$(dirname "$0")/../.."
source tests/lab.sh

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" nft
PORT=8080
T=tests/tools
X=151
trap 'lcli nft delete table inet sgcf 2>/dev/null; lab_cleanup' EXIT
lab_up "sg-cf$$" $X >/dev/null || { fail "conns_filter: lab setup"; exit 1; }
A=$LAB_C4 B=198.18.$X.3 C=198.18.$X.4
for a in $B $C; do lcli ip addr add "$a/24" dev "$LAB_CIF"; done
for a in $B $C; do lcli ping -c1 -W2 -I "$a" "$LAB_S4" >/dev/null 2>&1; done
lab_bg lsrv $LAB_PY $T/tcpinfo_server.py "$PORT" -n 0 -t 300 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { fail "conns_filter: echo server listening"; exit 1; }
if ! sg_start -p "$PORT" --mode off --metrics off; then
	fail "conns_filter: synguardd starts" "$(tail -n 1 "$SG_LOG")"; sg_log; lab_finish
fi
conn() { lcli timeout 60 $LAB_PY $T/src_connect.py connect "$LAB_S4" "$PORT" --src "$@"; }
n_conns() { sg_cli conns -i "$LAB_SIF" --json "$@" | $LAB_PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
n_ss() { lsrv ss -Htn "$@" | wc -l; }

# 3 connections from A and 2 from B held open; 2 half-open ones from C
# (its end drops the SYN-ACKs: the server's kernel holds SYN_RECV)
lab_bg conn "$A" -n 3 --hold 40 >/dev/null
lab_bg conn "$B" -n 2 --hold 40 >/dev/null
wait_for 5 10 n_ss state established "( sport = :$PORT )" || fail "conns_filter: 5 connections held" "$(n_ss state established)"
lcli nft add table inet sgcf && lcli nft "add chain inet sgcf in { type filter hook input priority 0; }" &&
	lcli nft add rule inet sgcf in ip daddr "$C" tcp sport "$PORT" tcp flags syn drop ||
	fail "conns_filter: nft on the client"
conn "$C" -n 2 -T 0.3 >/dev/null
wait_for 2 5 n_ss state syn-recv || fail "conns_filter: 2 half-open" "$(n_ss state syn-recv)"

want=$(n_ss state syn-recv)
for s in syn-recv SYN_RECV syn_rcvd Syn-Rcvd; do
	expect "conns --state $s: the server's SYN_RECV sockets (ss: $want)" "$(n_conns --state "$s")" -eq "$want"
done
want=$(n_ss state established "( sport = :$PORT )")
for s in established ESTABLISHED estab; do
	expect "conns --state $s = ss state established ($want)" "$(n_conns --state "$s")" -eq "$want"
done
want=$(( $(n_ss state established) + $(n_ss state syn-recv) ))
expect "conns --state 'established, syn-recv': a list of states ($want)" \
	"$(n_conns --state "established, syn-recv")" -eq "$want"
want=$(n_ss state established dst "$A")
expect "conns --dst $A (the remote side, as ss's dst: $want)" "$(n_conns --dst "$A")" -eq "$want"
want=$(n_ss state established state syn-recv "( sport = :$PORT )" dst 198.18.$X.0/24)
expect "conns --dst 198.18.$X.0/24 --sport $PORT: every one (ss: $want)" \
	"$(n_conns --dst 198.18.$X.0/24 --sport "$PORT")" -eq "$want"
expect "conns --src $A: none (the local side is the server)" "$(n_conns --src "$A")" -eq 0
expect "conns --src $LAB_S4 --dport :$PORT: none (the remote port is the client's)" \
	"$(n_conns --src "$LAB_S4" --dport ":$PORT")" -eq 0
cport=$(lsrv ss -Htn state established dst "$B" | awk 'NR==1 {n = split($4, a, ":"); print a[n]}')
expect "conns --dport $cport: $B's one connection from that port" "$(n_conns --dport "$cport")" -eq 1
sg_cli conns -i "$LAB_SIF" --state BOGUS >/dev/null 2>&1
expect "conns --state BOGUS is a usage error" $? -eq 2

# ---- events --src: only that source's decisions --------------------------------------
lsrv timeout 4 "$LAB_CLI_BIN" events -i "$LAB_SIF" --bpffs "$LAB_BPFFS" --src "$B" --json >"$LAB_TMP/ev" 2>/dev/null &
EV=$!
sleep 1
conn "$A" -n 2 >/dev/null; conn "$B" -n 2 >/dev/null
wait "$EV"
res=$($LAB_PY -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(len(ev), sum(e["saddr"] != sys.argv[2] for e in ev))' "$LAB_TMP/ev" "$B")
read -r nev other <<<"$res"
expect "events --src $B: $nev of its decisions shown, $other of another source" "$(( nev >= 1 && other == 0 ))" -eq 1

# ---- delete and flush -------------------------------------------------------------
want=$(n_conns --dst "$B")
out=$(sg_cli conns delete -i "$LAB_SIF" --dst "$B")
expect "conns delete --dst $B: '$out'" "$out" = "$LAB_SIF: $want tracked connections removed"
expect "conns delete: none of $B's left" "$(n_conns --dst "$B")" -eq 0
expect "conns delete: $A's connections stay ($(n_conns --dst "$A"))" "$(n_conns --dst "$A")" -ge 3
sg_cli conns delete -i "$LAB_SIF" >/dev/null 2>&1
expect "conns delete without a filter is a usage error" $? -eq 2
left=$(n_conns)
out=$(sg_cli conns flush -i "$LAB_SIF")
expect "conns flush: '$out'" "$out" = "$LAB_SIF: $left tracked connections removed"
expect "conns flush: the tracker is empty" "$(n_conns)" -eq 0

# ---- stats and stats --all --------------------------------------------------------
nz=$(sg_stats | $LAB_PY -c 'import json,sys; print(sum(v != 0 for v in json.load(sys.stdin)["counters"].values()))')
all=$(sg_stats | $LAB_PY -c 'import json,sys; print(len(json.load(sys.stdin)["counters"]))')
sec() { sed -n '/^COUNTER/,/^$/p' | grep -cE '^[a-z_0-9]+ +[0-9]+$'; }
expect "stats: the $nz counters that moved, not all $all" "$(sg_cli stats -i "$LAB_SIF" | sec)" -eq "$nz"
expect "stats --all: every counter ($all)" "$(sg_cli stats -i "$LAB_SIF" --all | sec)" -eq "$all"

# ---- top -w --------------------------------------------------------------------------
lsrv timeout 3.5 "$LAB_CLI_BIN" top -w 1 -i "$LAB_SIF" --bpffs "$LAB_BPFFS" >"$LAB_TMP/top" 2>/dev/null
expect "top -w 1: a report each second, piped ($(grep -c '^remote prefixes' "$LAB_TMP/top") in 3.5 s)" \
	"$(grep -c '^remote prefixes' "$LAB_TMP/top")" -ge 3
sg_stop
lab_finish
