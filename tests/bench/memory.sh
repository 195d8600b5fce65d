#!/usr/bin/env bash
# make bench, memory: synguardd with a table for FLOWS connections, filled
# with that many established flows (sg_bench --populate); the kernel's
# charge for each map (memlock), bytes per flow, the daemon's RSS, and the
# wall time of `synguard stats` and `synguard conns --json` over that table.
#
#   memory.sh OUT_DIR     writes OUT_DIR/memory.json
# Knobs (env): BENCH_FLOWS (1000000), BENCH_CLI_RUNS (5).
set -u
cd "$(dirname "$0")/../.."
OUT=${1:?usage: memory.sh OUT_DIR}
source tests/lab.sh

FLOWS=${BENCH_FLOWS:-1000000}
RUNS=${BENCH_CLI_RUNS:-5}

lab_require "$LAB_DAEMON" "$LAB_CLI_BIN" build/sg_bench bpftool /usr/bin/time
mkdir -p "$OUT" || exit 1
lab_up "sg-bm$$" 31 >/dev/null || { echo "memory: lab setup failed" >&2; exit 1; }
sg_start -p 80 --mode on --ct-size "$FLOWS" || { echo "memory: synguardd did not start" >&2; sg_log >&2; exit 1; }
PINS=$LAB_BPFFS/synguard/$LAB_SIF
rss0=$(awk '/^VmRSS/ { print $2 }' /proc/"$SG_PID"/status)
build/sg_bench --populate "$PINS/sg_ct_synced" -f "$FLOWS" >"$LAB_TMP/populate.json" ||
	{ echo "memory: populate failed" >&2; exit 1; }
# two of the daemon's sweeps: the tracker filter knows the entries and is
# sized to them, as in steady operation
sleep 2.5

# time_runs N CMD...: N runs of CMD in the server netns, one line each:
# wall seconds, the run's peak RSS (KB), bytes of output
time_runs() {
	local n=$1 i t0 t1
	shift
	for i in $(seq "$n"); do
		t0=$(date +%s%N)
		lsrv /usr/bin/time -f "%M" -o "$LAB_TMP/time" "$@" >"$LAB_TMP/cli.out" 2>/dev/null
		t1=$(date +%s%N)
		echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }') $(cat "$LAB_TMP/time") $(wc -c <"$LAB_TMP/cli.out")"
	done
}
C=("$LAB_CLI_BIN")
time_runs "$RUNS" "${C[@]}" stats -i "$LAB_SIF" --bpffs "$LAB_BPFFS" >"$LAB_TMP/t.stats"
time_runs "$RUNS" "${C[@]}" stats --json -i "$LAB_SIF" --bpffs "$LAB_BPFFS" >"$LAB_TMP/t.statsj"
time_runs 2 "${C[@]}" conns --json -i "$LAB_SIF" --bpffs "$LAB_BPFFS" >"$LAB_TMP/t.conns"
lsrv "$LAB_CLI_BIN" stats --json -i "$LAB_SIF" --bpffs "$LAB_BPFFS" >"$LAB_TMP/stats.json"

for m in "$PINS"/sg_*; do
	[ -e "$m" ] || continue
	bpftool -j map show pinned "$m" 2>/dev/null
	echo
done >"$LAB_TMP/maps.jsonl"
rss1=$(awk '/^VmRSS/ { print $2 }' /proc/"$SG_PID"/status)
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/"$SG_PID"/status)

"$LAB_PY" - "$FLOWS" "$rss0" "$rss1" "$hwm" "$LAB_TMP" >"$OUT/memory.json" <<'EOF'
import json, statistics, sys
flows, rss0, rss1, hwm, tmp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

def runs(name):
    v = [ln.split() for ln in open("%s/%s" % (tmp, name)) if ln.strip()]
    secs = [float(x[0]) for x in v]
    return {"runs": len(v), "wall_ms_median": 1000 * statistics.median(secs),
            "wall_ms": [1000 * s for s in secs], "max_rss_kb": max(int(x[1]) for x in v),
            "output_bytes": int(v[-1][2])}

maps = {}
for ln in open(tmp + "/maps.jsonl"):
    if ln.strip():
        m = json.loads(ln)
        maps[m["name"]] = {"type": m.get("type"), "max_entries": m.get("max_entries"),
                           "key_bytes": m.get("bytes_key"), "value_bytes": m.get("bytes_value"),
                           "memlock_bytes": m.get("bytes_memlock")}
st = json.load(open(tmp + "/stats.json"))
pop = json.load(open(tmp + "/populate.json"))
synced = maps.get("sg_ct_synced", {}).get("memlock_bytes") or 0
total = sum(m.get("memlock_bytes") or 0 for m in maps.values())
print(json.dumps({
    "flows": flows, "populated": pop, "tracked_established": st.get("states", {}).get("ESTABLISHED"),
    "maps": maps, "synced_bytes": synced, "all_maps_bytes": total,
    "bytes_per_flow_synced": synced / flows, "bytes_per_flow_all_maps": total / flows,
    "daemon_rss_kb": {"before_fill": rss0, "after": rss1, "peak": hwm},
    "stats": runs("t.stats"), "stats_json": runs("t.statsj"), "conns_json": runs("t.conns"),
}, indent=1))
EOF
