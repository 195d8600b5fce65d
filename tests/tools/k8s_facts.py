#!/usr/bin/env python3
"""What tests/integration/kubernetes.sh checks of the DaemonSet, one
"name: value" line each, from deploy/kubernetes's DaemonSet and ConfigMap;
writes the ConfigMap's synguard.conf into DIR.

    k8s_facts.py DAEMONSET.yaml CONFIGMAP.yaml DIR
"""
import sys

import yaml


def main():
    ds = yaml.safe_load(open(sys.argv[1]))
    cm = yaml.safe_load(open(sys.argv[2]))
    pod = ds["spec"]["template"]
    spec = pod["spec"]
    c = spec["containers"][0]
    sc = c["securityContext"]
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in spec["volumes"]}
    bpf = [n for n, m in mounts.items() if m["mountPath"] == "/sys/fs/bpf"]
    args = c["args"]
    port = args[args.index("--metrics") + 1].rsplit(":", 1)[1]
    ann = pod["metadata"]["annotations"]
    print("hostNetwork:", spec.get("hostNetwork"))
    print("caps:", " ".join(sorted(sc["capabilities"]["add"])), "drop",
          " ".join(sc["capabilities"]["drop"]))
    print("privileged:", sc.get("privileged"))
    print("bpffs:", bpf and vols[bpf[0]]["hostPath"]["path"])
    for p in ("livenessProbe", "readinessProbe"):
        g = c[p]["httpGet"]
        print(f"{p}:", g["path"], g["port"] == int(port))
    print("scrape:", ann["prometheus.io/scrape"], ann["prometheus.io/port"] == port,
          ann["prometheus.io/path"])
    req = c["resources"]["requests"]
    print("requests:", "cpu" in req and "memory" in req)
    print("selector:", all(pod["metadata"]["labels"].get(k) == v
                           for k, v in ds["spec"]["selector"]["matchLabels"].items()))
    refs = [e["valueFrom"]["configMapKeyRef"] for e in c["env"]
            if "configMapKeyRef" in e.get("valueFrom", {})]
    refs += [dict(name=vols["config"]["configMap"]["name"], key=i["key"])
             for i in vols["config"]["configMap"]["items"]]
    print("configmap keys:", all(r["name"] == cm["metadata"]["name"] and r["key"] in cm["data"]
                                 for r in refs))
    with open(f"{sys.argv[3]}/synguard.conf", "w") as f:
        f.write(cm["data"]["synguard.conf"])
    env = {"$(SYNGUARD_IFACE)": cm["data"]["iface"], "$(HOST_IP)": "198.18.123.1"}
    words = []
    for a in args:
        for k, v in env.items():
            a = a.replace(k, v)
        words.append(a)
    print("args:", " ".join(words))
    print("readonly:", sc.get("readOnlyRootFilesystem"))


main()
