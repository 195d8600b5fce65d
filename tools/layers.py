#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks that libsynguard's modules only look down.

Each user/libsg_MODULE.c and user/libsg_MODULE.h belongs to a layer
(LAYERS below, bottom first). A module may include the headers of, and
call the functions of, modules of its own layer or lower ones, never
higher ones; within a layer the dependencies must not form a circle. The
library includes module headers, not the umbrella libsynguard.h (that is
for the binaries and the tests), and nothing from bpf/: what BPF and
userspace share lives in include/.

A dependency is a quoted #include of another module's header, a use of a
function or variable another module's .c defines, or of a struct another
module's header defines (found by name: every library symbol starts with
sg_). Exit status 1, and one line per
violation, when any is found.
"""
import os
import re
import sys

LAYERS = [
    ["util"],
    ["config", "maps"],
    ["policy", "secrets", "listen", "addrs", "settings", "reconcile", "filter", "rows"],
    ["format", "metrics", "events", "tune", "policy_cli", "state", "explain"],
    ["load", "daemon"],
    ["synguard", "synguardd"],
]
LAYER = {m: i for i, mods in enumerate(LAYERS) for m in mods}

DEFINITION = re.compile(
    r"^(?!static\b)[A-Za-z_][\w \t\*]*?\b(sg_\w+)\s*(\(|\[|=|;)", re.M)
INCLUDE = re.compile(r'^#include\s+"([^"]+)"', re.M)
IDENT = re.compile(r"\b(?:struct\s+)?sg_\w+\b")
STRUCT = re.compile(r"^struct\s+(sg_\w+)\s*\{", re.M)


def uncomment(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text,
                  flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def unquote(text):
    """Code without its string literals (an #include keeps its name)."""
    return re.sub(r'^(?!#include)(.*)$',
                  lambda m: re.sub(r'"(\\.|[^"\\\n])*"', '""', m.group(1)),
                  text, flags=re.M)


def module_of(name):
    base = os.path.basename(name)
    m = re.fullmatch(r"libsg_(\w+)\.[ch]", base) or re.fullmatch(
        r"(synguardd?)\.c", base)
    return m.group(1) if m else None


def main(top):
    udir = os.path.join(top, "user")
    files = sorted(f for f in os.listdir(udir) if f.endswith((".c", ".h")))
    errors = []
    owner = {}      # symbol -> module whose .c defines it
    code = {}
    for f in files:
        mod = module_of(f)
        if f == "libsynguard.h":
            continue
        if mod is None or mod not in LAYER:
            errors.append("user/%s: not a module of a known layer (add it to "
                          "tools/layers.py LAYERS)" % f)
            continue
        with open(os.path.join(udir, f)) as fh:
            code[f] = unquote(uncomment(fh.read()))
        if f.endswith(".c"):
            for m in DEFINITION.finditer(code[f]):
                owner.setdefault(m.group(1), mod)
        else:
            for m in STRUCT.finditer(code[f]):
                owner.setdefault("struct " + m.group(1), mod)

    deps = {}       # (from, to) -> first evidence
    with_includes = {}
    for f, text in code.items():
        mod = module_of(f)
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            if "bpf/" in inc:
                errors.append("user/%s: includes %s: what BPF and userspace "
                              "share belongs in include/" % (f, inc))
                continue
            if inc == "libsynguard.h" and LAYER[mod] < LAYER["synguard"]:
                errors.append("user/%s: includes the umbrella libsynguard.h; "
                              "include the module headers it needs" % f)
                continue
            to = module_of(inc)
            if to in LAYER and to != mod:
                deps.setdefault((mod, to), "user/%s includes %s" % (f, inc))
        for name in set(IDENT.findall(text)):
            to = owner.get(re.sub(r"\s+", " ", name))
            if to and to != mod:
                deps.setdefault((mod, to), "user/%s uses %s" % (f, name))

    graph = {}
    for (a, b), why in sorted(deps.items()):
        if LAYER[b] > LAYER[a]:
            errors.append("%s: %s (layer %d) looks up at %s (layer %d)"
                          % (why, a, LAYER[a], b, LAYER[b]))
        elif LAYER[b] == LAYER[a]:
            graph.setdefault(a, set()).add(b)

    # circles within a layer: depth-first search for a back edge
    state = {}

    def visit(m, path):
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                circle = path[path.index(n):] + [n]
                errors.append("circle within layer %d: %s (%s)" % (
                    LAYER[m], " -> ".join(circle),
                    "; ".join(deps[(x, y)] for x, y in zip(circle, circle[1:]))))
            elif n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])

    for e in errors:
        print("layers: " + e)
    if not errors:
        print("layers: ok - %d files of user/ only look down" % len(code))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
