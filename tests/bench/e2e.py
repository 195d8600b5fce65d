#!/usr/bin/python3
"""Helper of e2e.sh: counters before/after a flood, one record per run,
and the summary over runs.

  e2e.py snap ANSWERS_PIN CPU       stdin: the client netns' /proc/net/dev
  e2e.py point CAND FLOOD RATE ROUND SNAP0 SNAP1 CLIENT_IFACE LEGIT_OUT [COUNTERS]
                                    COUNTERS: a file with synguard's counters
                                    after the run (JSON), kept as they are
  e2e.py summary RUNS.jsonl         the medians per (flood, rate, candidate)

A snapshot: monotonic time, the flood core's busy and total jiffies from
/proc/stat (busy = user+system+irq+softirq: the benchmark's own work never
runs niced, while other work sharing the machine, such as a fuzzer, often
does; nice and steal are kept apart), the client veth's packet counters,
and the answers bench_count saw (SYN-ACKs, RSTs, other) on their way to
the flood's spoofed sources.
"""
import json
import os
import statistics
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def cpu_jiffies(cpu):
    with open("/proc/stat") as f:
        for line in f:
            v = line.split()
            if v[0] == "cpu%s" % cpu:
                n = [int(x) for x in v[1:9]]
                busy = n[0] + n[2] + n[5] + n[6]
                return busy, sum(n), n[7], n[1]
    raise SystemExit("no cpu%s in /proc/stat" % cpu)


def answers(pin):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pin],
                         capture_output=True, text=True)
    tot = [0, 0, 0]
    try:
        for e in json.loads(out.stdout):
            k = e.get("key", 0)
            k = k if isinstance(k, int) else int(k[0], 0)
            vals = e.get("values", [])
            tot[k] = sum(v["value"] if isinstance(v["value"], int) else
                         int.from_bytes(bytes(int(b, 0) for b in v["value"]), "little")
                         for v in vals)
    except (ValueError, KeyError, IndexError):
        pass
    return tot


def snap(pin, cpu):
    dev = {}
    for line in sys.stdin:
        if ":" in line:
            name, rest = line.split(":", 1)
            f = rest.split()
            dev[name.strip()] = {"rx": int(f[1]), "tx": int(f[9])}
    busy, total, steal, nice = cpu_jiffies(cpu)
    syn_ack, rst, other = answers(pin)
    print(json.dumps({"t": time.monotonic(), "busy": busy, "total": total,
                      "steal": steal, "nice": nice, "dev": dev, "synack": syn_ack,
                      "rst": rst, "other": other}))


def last_json(path):
    try:
        with open(path) as f:
            lines = [ln for ln in f if ln.strip().startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}


def point(cand, flood, rate, rnd, s0, s1, cif, legit_out, counters=None):
    a, b = json.loads(s0), json.loads(s1)
    secs = b["t"] - a["t"]
    tick = 1e9 / HZ
    legit = last_json(legit_out).get("summary", {})
    # the client veth sent the flood and the legit client's few packets
    sent = b["dev"].get(cif, {}).get("tx", 0) - a["dev"].get(cif, {}).get("tx", 0)
    if rate == "idle":
        sent = 0
    ans = {k: b[k] - a[k] for k in ("synack", "rst", "other")}
    answered = sum(ans.values())
    busy_ns = (b["busy"] - a["busy"]) * tick
    rec = {
        "cand": cand, "flood": flood, "rate": rate, "round": int(rnd),
        "secs": round(secs, 3), "sent": sent, "sent_pps": sent / secs,
        "answered": answered, "answers": ans, "answered_pps": answered / secs,
        "busy_ns": busy_ns,
        "busy_share": (b["busy"] - a["busy"]) / max(b["total"] - a["total"], 1),
        "steal_share": (b["steal"] - a["steal"]) / max(b["total"] - a["total"], 1),
        "nice_share": (b["nice"] - a["nice"]) / max(b["total"] - a["total"], 1),
        "busy_ns_per_sent": busy_ns / sent if sent else None,
        "busy_ns_per_answer": busy_ns / answered if answered else None,
        "legit": {k: legit.get(k) for k in ("n", "ok", "failed", "p50_ms", "p99_ms",
                                            "max_ms", "errors")},
    }
    if counters:
        rec["counters"] = last_json(counters)
    print(json.dumps(rec))


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def summary(path):
    runs = [json.loads(ln) for ln in open(path) if ln.strip()]
    groups = {}
    for r in runs:
        groups.setdefault((r["flood"], str(r["rate"]), r["cand"]), []).append(r)
    points = []
    for (flood, rate, cand), rs in sorted(groups.items()):
        legit_ok = sum(r["legit"].get("ok") or 0 for r in rs)
        legit_n = sum(r["legit"].get("n") or 0 for r in rs)
        points.append({
            "flood": flood, "rate": rate, "cand": cand, "runs": len(rs),
            "sent_pps": med([r["sent_pps"] for r in rs]),
            "answered_pps": med([r["answered_pps"] for r in rs]),
            "busy_share": med([r["busy_share"] for r in rs]),
            "saturated": med([r["busy_share"] for r in rs]) >= 0.9,
            "busy_ns_per_sent": med([r["busy_ns_per_sent"] for r in rs]),
            "busy_ns_per_answer": med([r["busy_ns_per_answer"] for r in rs]),
            "legit_ok": legit_ok, "legit_n": legit_n,
            "legit_p50_ms": med([r["legit"].get("p50_ms") for r in rs]),
            "legit_p99_ms": med([r["legit"].get("p99_ms") for r in rs]),
            # the data path's counters of the last run (known runs)
            "counters": rs[-1].get("counters") or {},
        })
    # net CPU per answer: minus the drop program's busy time per packet in
    # the same flood at the same offered rate (generator + veth + XDP run)
    base = {(p["flood"], p["rate"]): p["busy_ns_per_sent"]
            for p in points if p["cand"] == "drop" and p["saturated"]}
    # (per SYN answered in a SYN flood; per packet sent in ACK and mixed
    # floods, where dropping is the answer)
    for p in points:
        b = base.get((p["flood"], p["rate"]))
        per = p["busy_ns_per_answer"] if p["flood"] == "syn" and p["cand"] != "drop" \
            else p["busy_ns_per_sent"]
        p["net_ns_per_packet"] = per - b if per is not None and b is not None \
            and p["saturated"] else None
    print(json.dumps({"runs": runs, "points": points}, indent=1))


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "snap":
        snap(sys.argv[2], sys.argv[3])
    elif cmd == "point":
        point(*sys.argv[2:11])
    elif cmd == "summary":
        summary(sys.argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
