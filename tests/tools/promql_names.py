#!/usr/bin/env python3
"""Checks that the synguard metrics a dashboard or a rules file queries
exist in a scrape of synguardd.

    promql_names.py SCRAPE FILE...      FILE: Grafana JSON or Prometheus rules YAML

Every synguard_* selector of every expression must name a metric of the
scrape, and each of its label matchers of the form label="value" (no
template variable) must match one of that metric's samples. Prints one
line per selector checked, "missing ..." for those that fail; exits 1 if
any does. Metrics of other exporters (up, node_*) are listed, not checked.
"""
import json
import re
import sys

import yaml
from prometheus_client.parser import text_string_to_metric_families

MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
BRACES = re.compile(r'\{(?:[^}"]|"[^"]*")*\}')
NAME = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(@\d+@)?')
GROUPING = re.compile(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)')
# operators and modifiers that read like names
KEYWORDS = {"and", "or", "unless", "bool", "offset"}


def expressions(path):
    text = open(path).read()
    if path.endswith(".json"):
        def walk(o):
            if isinstance(o, dict):
                if isinstance(o.get("expr"), str):
                    yield o["expr"]
                q = o.get("query")
                if isinstance(q, dict) and isinstance(q.get("query"), str):
                    # label_values(METRIC, LABEL): the metric alone
                    yield re.sub(r'label_values\(([^,]+),[^)]*\)', r'\1', q["query"])
                for v in o.values():
                    yield from walk(v)
            elif isinstance(o, list):
                for v in o:
                    yield from walk(v)
        return list(walk(json.loads(text)))
    return [r["expr"] for g in yaml.safe_load(text)["groups"] for r in g["rules"]]


def selectors(expr):
    """(name, [(label, op, value)]) of each vector selector of expr; name
    is None for a selector by __name__ alone."""
    braces = []

    def hide(m):
        braces.append(m.group(0))
        return f"@{len(braces) - 1}@"
    expr = BRACES.sub(hide, re.sub(r'\[[^\]]*\]', '', expr))
    expr = GROUPING.sub('', expr)
    for m in NAME.finditer(expr):
        name, ref = m.group(1), m.group(2)
        if not name and not ref:
            continue
        if name and (name in KEYWORDS or re.match(r'\s*\(', expr[m.end():])):
            continue                                   # a function call
        if name and re.fullmatch(r'[0-9.e]+', name):
            continue
        labels = braces[int(ref.strip("@"))] if ref else ""
        yield name, MATCHER.findall(labels)


def main():
    fams = {}
    for f in text_string_to_metric_families(open(sys.argv[1]).read()):
        for s in f.samples:
            fams.setdefault(s.name, []).append(s.labels)
    bad = 0
    for path in sys.argv[2:]:
        for expr in expressions(path):
            for name, matchers in selectors(expr):
                if not name or not name.startswith("synguard_"):
                    print(f"other exporter {name or dict((k, v) for k, _, v in matchers)} ({path})")
                    continue
                want = [(k, v) for k, op, v in matchers if op == "=" and "$" not in v]
                ok = any(all(lab.get(k) == v for k, v in want) for lab in fams.get(name, []))
                label = ",".join(f'{k}="{v}"' for k, v in want)
                print(f"{'found' if ok else 'missing'} {name}{{{label}}} ({path})")
                bad += not ok
    sys.exit(1 if bad else 0)


main()
