#!/usr/bin/python3
"""A picture of a SYN flood from the series Prometheus scraped off synguardd.

usage: flood-plot.py PROMETHEUS_URL IFACE START END OUT.png [TITLE]

START and END are Unix times. The series come from Prometheus's HTTP API
(/api/v1/query_range, a 1 s step): SYNs received and how they were
answered (rate() of the counters), drops by reason, the SYN_RCVD gauge
and cookie mode, and the kernel's own cookies and listen drops beside
synguard's. tests/integration/prometheus.sh makes docs/flood.png with it
(SG_FLOOD_PNG=docs/flood.png) from the floods it runs in its lab.
"""
import json
import sys
import urllib.parse
import urllib.request

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def query_range(url, expr, start, end):
    """[(labels, [t - start], [value])] of one expression."""
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": "1"})
    with urllib.request.urlopen("%s/api/v1/query_range?%s" % (url, q), timeout=10) as r:
        data = json.load(r)["data"]["result"]
    return [(s["metric"], [float(t) - start for t, _ in s["values"]],
             [float(v) for _, v in s["values"]]) for s in data]


def plot(ax, url, start, end, lines, ylabel, where="upper right"):
    """lines: [(expr, legend: str or a function of the labels)]"""
    for expr, legend in lines:
        for labels, ts, vs in query_range(url, expr, start, end):
            ax.plot(ts, vs, label=legend(labels) if callable(legend) else legend)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc=where, fontsize="small")


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__.strip())
    url, iface = sys.argv[1], sys.argv[2]
    start, end = float(sys.argv[3]), float(sys.argv[4])
    sel = 'iface="%s"' % iface
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    plot(axes[0], url, start, end, [
        ("rate(synguard_syn_received_total{%s}[3s])" % sel, "SYNs received"),
        ("rate(synguard_syn_cookies_sent_total{%s}[3s])" % sel, "cookie SYN-ACKs (XDP)"),
        ("rate(synguard_syn_passed_total{%s}[3s])" % sel, "passed to the listener"),
        ("sum by (reason) (rate(synguard_dropped_total{%s}[3s])) > 0" % sel,
         lambda m: "dropped: " + m.get("reason", "?")),
    ], "per second")
    plot(axes[1], url, start, end, [
        ('synguard_connections{%s,state="SYN_RCVD"}' % sel, "SYN_RCVD (tracked)"),
    ], "connections", "upper left")
    mode = axes[1].twinx()
    plot(mode, url, start, end, [
        ("synguard_cookie_mode{%s}" % sel, "cookie mode"),
    ], "cookie mode (1 = on)", "center right")
    for line in mode.lines:
        line.set_color("tab:red")
    mode.legend(loc="center right", fontsize="small")
    mode.set_ylim(-0.05, 1.5)
    plot(axes[2], url, start, end, [
        ("rate(synguard_kernel_syncookies_sent_total{%s}[3s])" % sel, "kernel's own SYN cookies"),
        ("rate(synguard_kernel_listen_drops_total{%s}[3s])" % sel, "kernel listen drops"),
    ], "per second (kernel)")
    axes[2].set_xlabel("seconds")
    fig.suptitle(sys.argv[6] if len(sys.argv) == 7 else "synguard under a SYN flood")
    fig.tight_layout()
    fig.savefig(sys.argv[5], dpi=80)


if __name__ == "__main__":
    main()
