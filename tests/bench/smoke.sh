#!/usr/bin/env bash
# make test runs this: the benchmark harness of `make bench` with tiny
# counts (BENCH_QUICK), and checks that it produced sane output — every
# case and candidate present, verdicts right, packets answered where they
# must be, the table, the JSON and the plot. Never a timing.
set -u
cd "$(dirname "$0")/../.."
OUT=$(mktemp -d /tmp/sg-bench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

t0=$(date +%s)
if BENCH_QUICK=1 BENCH_OUT="$OUT" timeout 600 tests/bench/run.sh >"$OUT/stdout" 2>"$OUT/stderr"; then
	echo "ok - bench smoke: run.sh completes with tiny counts ($(($(date +%s) - t0)) s)"
else
	echo "not ok - bench smoke: run.sh failed: $(tail -n 3 "$OUT/stderr" | tr '\n' ' ')"
	exit 1
fi

/usr/bin/python3 - "$OUT" <<'EOF'
import json, os, sys

out = sys.argv[1]
fails = 0


def check(ok, name, detail=""):
    global fails
    print("ok - bench smoke: %s" % name if ok else
          "not ok - bench smoke: %s: %s" % (name, detail))
    fails += not ok


def load(name, lines=False):
    try:
        with open(os.path.join(out, name)) as f:
            return [json.loads(l) for l in f if l.strip()] if lines else json.load(f)
    except (OSError, ValueError) as e:
        check(False, name + " parses", str(e))
        return [] if lines else {}


micro = load("micro.json")
cases = {c["case"]: c for c in micro.get("cases", [])}
want = ["syn_synack_v4", "syn_synack_v4_ts", "syn_synack_v6", "syn_synack_v6_ts",
        "syn_pass_v4", "ack_cookie_valid_ts", "ack_cookie_valid", "ack_cookie_invalid",
        "ack_unprotected_port"]
want += ["established_%d" % t["table"] for t in micro.get("tables", [])]
missing = [c for c in want if c not in cases]
check(not missing, "sg_bench ran every case", "missing %s" % missing)
bad = {n: c["bad_verdicts"] + c["floor_bad_verdicts"] for n, c in cases.items()
       if c["bad_verdicts"] or c["floor_bad_verdicts"]}
check(not bad, "sg_bench: every run gave the expected verdict", str(bad))
zero = [n for n, c in cases.items() if not (c["ns_median"] > 0 and c["floor_ns_median"] > 0)]
check(not zero, "sg_bench: a duration for every case and the floor", str(zero))
lk = [n for n, c in cases.items() if n.startswith("established_")
      and not any(x["name"] == "lookup_only" for x in c.get("candidates", []))]
check(not lk, "sg_bench: the bare lookup beside every established case", str(lk))
tabs = micro.get("tables", [])
check(tabs and all(t["bytes_per_flow"] > 0 and t["present_fraction"] > 0.9 for t in tabs),
      "sg_bench: tables filled, memory per flow measured", str(tabs)[:200])
pc = {c["case"]: c for c in micro.get("percpu", [])}
check(set(pc) == {"percpu_floor", "percpu_syn", "percpu_ack_cookie", "percpu_ack_invalid",
                 "percpu_established"} and
      all(c["ns_one_cpu"] > 0 and c["ns_all_cpus"] > 0 and not c["bad_verdicts"]
          for c in pc.values()),
      "sg_bench: every CPU at once and one CPU measured, expected verdicts", str(pc)[:300])

e2e = load("e2e.json")
unav = {u["cand"]: u["error"] for u in load("e2e-unavailable.jsonl", lines=True)} \
    if os.path.exists(os.path.join(out, "e2e-unavailable.jsonl")) else {}
for c, err in unav.items():
    print("skip - bench smoke: %s end to end (unavailable here: %s)" % (c, err))
pts = {(p["flood"], p["rate"], p["cand"]): p for p in e2e.get("points", [])}
cands = [c for c in ("kernel", "nft", "synguard", "floor", "drop") if c not in unav]
for c in cands:
    got = [(f, r) for f, r in (("syn", "idle"), ("syn", "max"), ("ack", "max"), ("mixed", "max"))
           if (f, r, c) in pts]
    check(len(got) == 4, "e2e: %s measured idle, SYN, ACK and mixed floods" % c, str(got))
    p = pts.get(("syn", "max", c))
    if not p:
        continue
    check(p["sent_pps"] > 0 and p["busy_ns_per_sent"], "e2e: %s: the SYN flood was sent, CPU measured" % c,
          "sent %s busy/packet %s" % (p["sent_pps"], p["busy_ns_per_sent"]))
    if c == "drop":
        check(p["answered_pps"] == 0, "e2e: drop answers nothing", str(p["answered_pps"]))
    else:
        check(p["answered_pps"] > 0.5 * p["sent_pps"], "e2e: %s answers the SYN flood" % c,
              "%s of %s/s" % (p["answered_pps"], p["sent_pps"]))
    i = pts.get(("syn", "idle", c))
    if c not in ("drop", "floor") and i:
        check(i["legit_ok"] == i["legit_n"] and i["legit_n"] > 0,
              "e2e: %s: every legit connection succeeds without a flood" % c,
              "%s/%s" % (i["legit_ok"], i["legit_n"]))
a = pts.get(("ack", "max", "kernel"))
if a:
    check(a["answered_pps"] > 0.5 * a["sent_pps"], "e2e: the kernel answers spoofed ACKs (RSTs)",
          str(a["answered_pps"]))
a = pts.get(("ack", "max", "synguard"))
if a:
    check(a["answered_pps"] < 0.01 * a["sent_pps"], "e2e: synguard drops spoofed ACKs",
          str(a["answered_pps"]))
known = {(p["flood"], p["rate"]): p for p in e2e.get("points", []) if p["cand"] == "known"}
check(("syn", "idle") in known and sorted(f for f, r in known if r != "idle") == ["ack", "mixed", "syn"],
      "e2e: the known client measured idle and at SYN, ACK and mixed floods of 2x the cap",
      str(sorted(known)))
i = known.get(("syn", "idle"))
if i:
    check(i["legit_n"] > 0 and i["legit_ok"] == i["legit_n"] and
          i["counters"].get("syn_learned", 0) >= i["legit_n"],
          "e2e: known client: every connect succeeds without a flood, each SYN to the kernel "
          "as a learned source", "%s/%s, %s" % (i["legit_ok"], i["legit_n"], i["counters"]))
k = next((p for (f, r), p in known.items() if f == "syn" and r != "idle"), None)
if k:
    check(k["counters"].get("drop_syn_shed", 0) > 0 and k["answered_pps"] > 0,
          "e2e: known client's SYN flood: over the cap the flood is shed (drop_syn_shed), "
          "the cap's share still answered", "%s, answered %s/s" % (k["counters"], k["answered_pps"]))
bs = {(b["cand"], b["flood"]): b for b in load("e2e-bpfstats.jsonl", lines=True)}
check(all((bs.get(k) or {}).get("run_cnt", 0) > 0 and (bs.get(k) or {}).get("ns_per_run")
          for k in (("synguard", "syn"), ("floor", "syn"), ("drop", "syn"))),
      "e2e: bpf_stats cross-check counted runs of synguard, floor and drop", str(bs)[:200])
mem = load("memory.json")
check(mem.get("synced_bytes", 0) > 0 and (mem.get("tracked_established") or 0) >= 0.99 * mem.get("flows", 1),
      "memory: table filled and charged", "%s bytes, %s of %s tracked" % (
          mem.get("synced_bytes"), mem.get("tracked_established"), mem.get("flows")))
check(all(mem.get(k, {}).get("wall_ms_median", 0) > 0 for k in ("stats", "stats_json", "conns_json")),
      "memory: stats and conns --json timed")
check(mem.get("daemon_rss_kb", {}).get("after", 0) > 0, "memory: daemon RSS read")
bench = load("bench.json")
check(bench.get("targets") and all(k in bench for k in ("micro", "e2e", "memory", "machine")),
      "bench.json carries every section and the targets")
table = open(os.path.join(out, "table.txt")).read() if os.path.exists(os.path.join(out, "table.txt")) else ""
check("Targets" in table and "syn_synack_v4" in table and "End to end" in table and
      "known client p99 <= 3x idle, SYN flood 2x cap" in table,
      "the table is printed")
pcrows = [ln for ln in table.splitlines() if "on every CPU <= 1.1x" in ln]
check(len(pcrows) == 4 and all("the floor" in ln for ln in pcrows),
      "the every-CPU targets name the floor's own ratio beside them", "\n".join(pcrows))
png = os.path.join(out, "plot.png")
ok = os.path.exists(png) and os.path.getsize(png) > 1000 and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
check(ok, "the plot is a PNG", png)
sys.exit(1 if fails else 0)
EOF
