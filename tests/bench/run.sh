#!/usr/bin/env bash
# `make bench`: synguard against the kernel and the floor, side by side.
#   1. per packet (sg_bench: BPF_PROG_TEST_RUN, repeat = 1, medians)
#   2. end to end (e2e.sh: floods in a veth lab; kernel syncookies,
#      nftables synproxy, synguard, XDP floor and drop, A B A B)
#   3. memory and CLI at 1M tracked flows (memory.sh)
# then the table (stdout, table.txt), every figure (bench.json) and the
# plot (plot.png) under results/STAMP (results/latest points there).
#
# Knobs (env): BENCH_OUT (the directory), BENCH_RUNS (sg_bench runs per
# case), BENCH_FLOWS (largest table), BENCH_QUICK=1 (tiny counts: the
# smoke run in make test), and those of e2e.sh and memory.sh.
set -u
cd "$(dirname "$0")/../.."
T=tests/bench

if [ -n "${BENCH_QUICK:-}" ]; then
	: "${BENCH_RUNS:=200}" "${BENCH_FLOWS:=20000}"
	export BENCH_SECS=${BENCH_SECS:-1} BENCH_ROUNDS=${BENCH_ROUNDS:-1}
	export BENCH_SYN_RATES=${BENCH_SYN_RATES:-idle max}
	export BENCH_LEGIT=${BENCH_LEGIT:-5} BENCH_CLI_RUNS=${BENCH_CLI_RUNS:-1}
fi
RUNS=${BENCH_RUNS:-20000}
export BENCH_FLOWS=${BENCH_FLOWS:-1000000}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF, network namespaces)" >&2
	exit 1
fi
for f in build/sg_bench build/synguardd build/synguard build/bench_count.bpf.o; do
	[ -e "$f" ] || { echo "bench: $f missing: make all build/sg_bench" >&2; exit 1; }
done
if [ -n "${BENCH_OUT:-}" ]; then
	OUT=$BENCH_OUT
else
	stamp=$(date +%Y%m%d-%H%M%S)
	OUT=results/$stamp
	mkdir -p results && ln -sfn "$stamp" results/latest
fi
mkdir -p "$OUT" || exit 1
# the flood runs on CPU 0 (e2e.sh); everything else on the last
# CPU, where sg_bench also measures
CPU=$(($(nproc) - 1))
PIN=(taskset -c "$CPU")

machine() { # KEY=VALUE lines -> machine.json
	/usr/bin/python3 - "$OUT/machine.json" "$@" <<-'EOF'
	import json, os, sys
	path = sys.argv[1]
	d = json.load(open(path)) if os.path.exists(path) else {}
	for kv in sys.argv[2:]:
	    k, v = kv.split("=", 1)
	    d[k] = v
	json.dump(d, open(path, "w"), indent=1)
	EOF
}
machine "date=$(date -Is)" "kernel=$(uname -r)" "cpus=$(nproc)" \
	"cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)" \
	"mem=$(free -g | awk '/^Mem:/ { print $2 " GB" }')" \
	"load_before=$(cut -d' ' -f1-3 /proc/loadavg)" \
	"busiest_before=$(ps -eo pcpu,ni,comm --sort=-pcpu | sed -n 2,4p | tr -s ' ' | paste -sd';')"

t0=$(date +%s)
echo "bench: results in $OUT (per packet, then end to end, then memory)" >&2
# tables of 1K, 100K (when below BENCH_FLOWS) and BENCH_FLOWS flows
tables=1000
[ "$BENCH_FLOWS" -gt 100000 ] && tables=$tables,100000
"${PIN[@]}" build/sg_bench -q -n "$RUNS" -f "$tables,$BENCH_FLOWS" -c "$CPU" \
	-o "$OUT/micro.json" || { echo "bench: sg_bench failed" >&2; exit 1; }
"${PIN[@]}" $T/e2e.sh "$OUT" || { echo "bench: end-to-end run failed" >&2; exit 1; }
$T/memory.sh "$OUT" || { echo "bench: memory run failed" >&2; exit 1; }
machine "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" "seconds=$(($(date +%s) - t0))" \
	"busiest_after=$(ps -eo pcpu,ni,comm --sort=-pcpu | sed -n 2,4p | tr -s ' ' | paste -sd';')"
/usr/bin/python3 $T/report.py "$OUT"
