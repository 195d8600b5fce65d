#!/usr/bin/env bash
# make bench, end to end: floods (sg_bench flood on one core, bounded in
# packets and seconds) into a server namespace defended, in turn, by the
# kernel's syncookies, nftables synproxy, synguard, and an XDP program that
# only drops (the baseline: on a veth the generator and the receive path
# share the core). A legit client connects meanwhile. Candidates alternate
# within each round (A B C D, then D C B A), rounds repeat the sweep.
#
#   e2e.sh OUT_DIR      writes OUT_DIR/e2e-runs.jsonl (one line per run),
#                       e2e.json (medians per point), e2e-bpfstats.json
#
# Run it pinned away from CPU 0 (run.sh does): the flood takes CPU 0, where
# its whole receive path runs too, and that core's busy time (/proc/stat)
# is what is measured.
# Knobs (env): BENCH_SECS, BENCH_ROUNDS, BENCH_SYN_RATES (pps, "idle" = no
# flood, "max" = as fast as the generator goes), BENCH_ACK_RATES, BENCH_MIX_RATES,
# BENCH_LEGIT (connections per run), BENCH_CANDS, BENCH_XDP_RING (0: the
# kernel's candidates without the passing XDP program, see rx_ring),
# BENCH_KNOWN_CAP (the known client's runs, below: SYN-ACKs a second
# synguard answers; 0 skips them).
#
# Known clients first: synguard with learned sources (learn.time) and
# its SYN-ACK cap (synack.rate: BENCH_KNOWN_CAP a second on each CPU, the
# flood's CPU's share: what the machine is set to answer; on this lab the
# generator cannot outrun the receive path it shares a core with, so the
# cap stands for the machine's limit), a legit client that connected once
# before (a learned source), then SYN and ACK floods at twice the cap and
# a mixed flood whose SYNs alone are twice the cap. Candidate "known"; its runs also keep
# the data path's counters of interest (drop_syn_shed, ...).
set -u
cd "$(dirname "$0")/../.."
OUT=${1:?usage: e2e.sh OUT_DIR}
source tests/lab.sh

SECS=${BENCH_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-2}
SYN_RATES=${BENCH_SYN_RATES-idle 100000 200000 300000 max}
ACK_RATES=${BENCH_ACK_RATES-max}
MIX_RATES=${BENCH_MIX_RATES-max}
LEGIT=${BENCH_LEGIT:-100}
CANDS=${BENCH_CANDS:-kernel nft synguard floor drop}
KNOWN_CAP=${BENCH_KNOWN_CAP:-100000}
KNOWN_COUNTERS="drop_syn_shed drop_synack_global syn_learned syn_cookies_sent cookies_rejected"
PORT=80
FLOOD_CPU=0
PIN=$LAB_BPFFS/sg-bench-$$
ANS=$PIN/sg_answers
E=tests/bench/e2e.py

e2e_cleanup() {
	rm -rf "$PIN"
}
trap 'e2e_cleanup; lab_cleanup' EXIT

lab_require "$LAB_DAEMON" build/sg_bench bpftool
mkdir -p "$OUT" || exit 1
: >"$OUT/e2e-runs.jsonl"
lab_up "sg-be$$" 30 >/dev/null || { echo "e2e: lab setup failed" >&2; exit 1; }

# the client end counts the server's answers to spoofed sources and drops
# them there (bench_count): only the server's work is left on the core
mkdir -p "$PIN" &&
	bpftool prog load build/bench_count.bpf.o "$PIN/count" type xdp pinmaps "$PIN" &&
	lcli ip link set dev "$LAB_CIF" xdpdrv off &&
	lcli ip link set dev "$LAB_CIF" xdpdrv pinned "$PIN/count" ||
	{ echo "e2e: cannot attach bench_count" >&2; exit 1; }
# answers to the flood's sources leave by the veth (to be counted)
lsrv ip route add 198.19.0.0/16 via "$LAB_C4" dev "$LAB_SIF" || exit 1

lab_bg lsrv "$LAB_PY" tests/tools/tcpinfo_server.py $PORT -n 0 -t 3600 \
	--backlog 4096 --ready "$LAB_TMP/ready" >/dev/null
for _ in $(seq 50); do [ -e "$LAB_TMP/ready" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/ready" ] || { echo "e2e: echo server did not start" >&2; exit 1; }

SMAC=$(lab_mac "$LAB_SRV" "$LAB_SIF") CMAC=$(lab_mac "$LAB_CLI" "$LAB_CIF")

# nftables synproxy as the nftables wiki (Synproxy) gives it: untracked
# SYNs, synproxy on invalid/untracked, loose tracking off, syncookies on
cat >"$LAB_TMP/synproxy.nft" <<EOF
table ip sg_bench {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport $PORT tcp flags syn notrack
	}
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport $PORT ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
		ct state invalid drop
	}
}
EOF

# The kernel's candidates get an XDP program that passes everything on the
# server veth: every candidate's packets then go through the same receive
# ring, the way a NIC's do. Without it a veth hands packets to the stack on
# the sending CPU's backlog, a queue of its own for the legit client's
# CPU, that no NIC gives (and no XDP program gets).
XDP_RING=${BENCH_XDP_RING:-1}
rx_ring() {
	[ "$XDP_RING" = 1 ] || return 0
	lsrv ip link set dev "$LAB_SIF" xdpdrv obj build/xdp_pass.bpf.o sec xdp.frags
}

cand_up() {
	case $1 in
	kernel) lsrv sysctl -qw net.ipv4.tcp_syncookies=2 && rx_ring ;;
	nft) lsrv sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=1 \
		net.netfilter.nf_conntrack_tcp_loose=0 && lsrv nft -f "$LAB_TMP/synproxy.nft" &&
		rx_ring ;;
	synguard) sg_start -p $PORT --mode on ;;
	known) sg_start -p $PORT --mode on &&
		sg_cli set -i "$LAB_SIF" learn.time=600 synack.rate=$((KNOWN_CAP * $(getconf _NPROCESSORS_ONLN))) >/dev/null &&
		known_learn ;;
	drop) lsrv ip link set dev "$LAB_SIF" xdpdrv obj build/bench_drop.bpf.o sec xdp ;;
	floor) lsrv ip link set dev "$LAB_SIF" xdpdrv obj build/bench_floor.bpf.o sec xdp ;;
	esac
}

cand_down() {
	case $1 in
	kernel) lsrv sysctl -qw net.ipv4.tcp_syncookies=1
		lsrv ip link set dev "$LAB_SIF" xdpdrv off ;;
	nft) lsrv nft delete table ip sg_bench 2>/dev/null
	     lsrv sysctl -qw net.ipv4.tcp_syncookies=1 net.netfilter.nf_conntrack_tcp_loose=1
	     lsrv ip link set dev "$LAB_SIF" xdpdrv off ;;
	synguard|known) sg_stop quiet ;;
	drop|floor) lsrv ip link set dev "$LAB_SIF" xdpdrv off ;;
	esac
}

# The known client's source learned: one connection through a cookie
# handshake, then the learned table holds the client's address.
known_learn() {
	lcli "$LAB_PY" tests/tools/tcpinfo_client.py "$LAB_S4" $PORT -n 1 -b 16 -T 3 -q >/dev/null &&
		[ "$(sg_counter learned_added)" -gt 0 ]
}

# known_counters [BEFORE]: the counters of interest as JSON; given the
# JSON from before the run, what the run added (e2e.py point keeps it).
known_counters() {
	sg_stats | "$LAB_PY" -c '
import json, sys
c = json.load(sys.stdin)["counters"]
b = json.loads(sys.argv[1]) if sys.argv[1] else {}
print(json.dumps({k: c.get(k, 0) - b.get(k, 0) for k in sys.argv[2:]}))' "${1:-}" $KNOWN_COUNTERS
}

snap() { lcli cat /proc/net/dev | "$LAB_PY" $E snap "$ANS" $FLOOD_CPU; }

# flood KIND RATE: syn, ack or mixed packets from CPU 0 for SECS seconds at
# RATE pps or "max", never more than that rate sends in that time. By
# sg_bench flood, not trafgen: on a veth whose peer answers with XDP_TX,
# trafgen's send buffer runs out and it gives up mid-run (flood.c).
flood() {
	local kind=$1 rate=$2 n ropt=()
	if [ "$rate" = max ]; then
		n=$((3000000 * SECS))
	else
		n=$((rate * SECS * 12 / 10)) ropt=(-r "$rate")
	fi
	lcli build/sg_bench flood -i "$LAB_CIF" --src-mac "$CMAC" --dst-mac "$SMAC" \
		--dst "$LAB_S4" --dport $PORT -k "$kind" -s "$SECS" -n "$n" -c $FLOOD_CPU \
		"${ropt[@]}" >"$LAB_TMP/flood.out" 2>&1
}

# run CAND FLOOD RATE ROUND: one measured run, one line in e2e-runs.jsonl
run() {
	local cand=$1 fl=$2 rate=$3 rnd=$4 s0 s1 c0 lpid iv
	if ! cand_up "$cand" >"$LAB_TMP/up.err" 2>&1; then
		note "e2e: $cand did not come up: $(tail -n 1 "$LAB_TMP/up.err")"
		cand_down "$cand" >/dev/null 2>&1
		return 1
	fi
	# the legit client, but not through programs that answer no one; at a
	# real-time priority: its latency is the network's, not that of other
	# work sharing its CPU
	: >"$LAB_TMP/legit.out"
	# the known run's counters from before its client's first SYN
	c0=
	[ "$cand" = known ] && c0=$(known_counters)
	lpid=
	if [ "$cand" != drop ] && [ "$cand" != floor ]; then
		iv=$(awk -v s="$SECS" -v n="$LEGIT" 'BEGIN { printf "%.3f", s / n }')
		lcli chrt -f 10 "$LAB_PY" tests/tools/tcpinfo_client.py "$LAB_S4" $PORT -n "$LEGIT" -b 1024 \
			-T 3 --io-timeout 5 --interval "$iv" -t $((SECS + 20)) -q \
			>"$LAB_TMP/legit.out" 2>&1 &
		lpid=$!
	fi
	s0=$(snap)

	if [ "$rate" = idle ]; then sleep "$SECS"; else flood "$fl" "$rate"; fi
	s1=$(snap)
	[ -n "$lpid" ] && wait "$lpid"
	: >"$LAB_TMP/counters.json"
	[ "$cand" = known ] && known_counters "$c0" >"$LAB_TMP/counters.json"
	cand_down "$cand"
	"$LAB_PY" $E point "$cand" "$fl" "$rate" "$rnd" "$s0" "$s1" "$LAB_CIF" \
		"$LAB_TMP/legit.out" "$LAB_TMP/counters.json" >>"$OUT/e2e-runs.jsonl"
	tail -n 1 "$OUT/e2e-runs.jsonl" | "$LAB_PY" -c '
import json, sys
r = json.load(sys.stdin); l = r["legit"]
f = lambda v: "-" if v is None else "%.2f" % v
print("# e2e %-8s %-5s %-6s r%d: sent %8.0f/s answered %8.0f/s cpu0 busy %3.0f%% legit %s/%s p50 %s p99 %s ms" % (
    r["cand"], r["flood"], r["rate"], r["round"], r["sent_pps"], r["answered_pps"],
    100 * r["busy_share"], l.get("ok"), l.get("n"), f(l.get("p50_ms")), f(l.get("p99_ms"))))' >&2
}

# Is each candidate usable here? (nftables synproxy needs conntrack and
# nft_synproxy in the kernel: say precisely what failed.)
cands=()
for c in $CANDS; do
	if cand_up "$c" >"$LAB_TMP/up.err" 2>&1; then
		cands+=("$c")
	else
		echo "{\"cand\": \"$c\", \"error\": $(tail -n 3 "$LAB_TMP/up.err" | "$LAB_PY" -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')}" \
			>>"$OUT/e2e-unavailable.jsonl"
		note "e2e: $c unavailable: $(tail -n 1 "$LAB_TMP/up.err")"
	fi
	cand_down "$c" >/dev/null 2>&1
done

for rnd in $(seq "$ROUNDS"); do
	order=("${cands[@]}")
	if [ $((rnd % 2)) -eq 0 ]; then
		order=(); for ((i = ${#cands[@]} - 1; i >= 0; i--)); do order+=("${cands[i]}"); done
	fi
	for spec in "syn:$SYN_RATES" "ack:$ACK_RATES" "mixed:$MIX_RATES"; do
		fl=${spec%%:*}
		for rate in ${spec#*:}; do
			for c in "${order[@]}"; do
				run "$c" "$fl" "$rate" "$rnd"
			done
		done
	done
	# known clients first: idle, then each flood at twice the cap (the
	# mixed flood's SYNs are half of it: twice as many packets)
	if [ "$KNOWN_CAP" -gt 0 ]; then
		run known syn idle "$rnd"
		run known syn $((2 * KNOWN_CAP)) "$rnd"
		run known ack $((2 * KNOWN_CAP)) "$rnd"
		run known mixed $((4 * KNOWN_CAP)) "$rnd"
	fi
done
"$LAB_PY" $E summary "$OUT/e2e-runs.jsonl" >"$OUT/e2e.json" || exit 1

# Cross-check on the real path: while sg_bench stats-hold holds its
# BPF_ENABLE_STATS fd the kernel times every program run; run_time_ns /
# run_cnt is its cost per packet. Separate runs: the timing itself costs
# every XDP program a little. (Not the sysctl kernel.bpf_stats_enabled: it
# is the whole machine's, and runs side by side would undo each other's.)
lab_bg build/sg_bench stats-hold >"$LAB_TMP/stats-hold"
HOLD=${LAB_PIDS[-1]}
for _ in $(seq 50); do grep -q ready "$LAB_TMP/stats-hold" && break; sleep 0.1; done
grep -q ready "$LAB_TMP/stats-hold" || { echo "e2e: sg_bench stats-hold did not start" >&2; exit 1; }
: >"$OUT/e2e-bpfstats.jsonl"
for spec in synguard:syn synguard:ack synguard:mixed floor:syn drop:syn; do
	c=${spec%%:*} fl=${spec#*:}
	cand_up "$c" >/dev/null 2>&1 || continue
	id=$(lsrv bpftool -j net show dev "$LAB_SIF" | "$LAB_PY" -c '
import json, sys
try: print(json.load(sys.stdin)[0]["xdp"][0]["id"])
except Exception: print("")')
	if [ -n "$id" ]; then
		b0=$(bpftool -j prog show id "$id")
		flood "$fl" max
		b1=$(bpftool -j prog show id "$id")
		"$LAB_PY" - "$c" "$fl" "$b0" "$b1" >>"$OUT/e2e-bpfstats.jsonl" <<-'EOF'
		import json, sys
		a, b = json.loads(sys.argv[3]), json.loads(sys.argv[4])
		n = b.get("run_cnt", 0) - a.get("run_cnt", 0)
		t = b.get("run_time_ns", 0) - a.get("run_time_ns", 0)
		print(json.dumps({"cand": sys.argv[1], "flood": sys.argv[2], "prog": b.get("name"),
		                  "run_cnt": n, "run_time_ns": t, "ns_per_run": t / n if n else None}))
		EOF
	fi
	cand_down "$c"
done
kill "$HOLD"
wait "$HOLD" 2>/dev/null
exit 0
