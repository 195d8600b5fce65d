#!/usr/bin/env python3
"""Offline check of Kubernetes manifests against the API's own models
(python3-kubernetes: the OpenAPI types of the Kubernetes API it was
generated from), since no cluster is at hand and kubectl's client-side
dry run still asks a server.

    k8s_check.py FILE...

Every object's fields are walked against its kind's model: an unknown
field (a typo, a field at the wrong level) or a value of the wrong type
is an error; then the API client builds the model, which refuses a
missing required field. Prints "KIND/NAME ok" or one line per error;
exits 1 on any error.
"""
import re
import sys

import yaml
from kubernetes import client

PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def walk(value, typ, path, errors):
    m = re.fullmatch(r"list\[(.+)\]", typ)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: a list expected")
            return
        for i, v in enumerate(value):
            walk(v, m.group(1), f"{path}[{i}]", errors)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", typ)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: a map expected")
            return
        for k, v in value.items():
            walk(v, m.group(1), f"{path}.{k}", errors)
        return
    if typ in PRIMITIVES:
        if not isinstance(value, PRIMITIVES[typ]) or (typ != "bool" and isinstance(value, bool)):
            errors.append(f"{path}: {typ} expected, got {value!r}")
        return
    if typ in ("object", "datetime"):
        return                                   # int-or-string, quantities
    klass = getattr(client.models, typ)
    if not isinstance(value, dict):
        errors.append(f"{path}: an object ({typ}) expected")
        return
    by_json = {j: p for p, j in klass.attribute_map.items()}
    for k, v in value.items():
        if k not in by_json:
            errors.append(f"{path}.{k}: no such field in {typ}")
            continue
        walk(v, klass.openapi_types[by_json[k]], f"{path}.{k}", errors)


def model_name(doc):
    group_version = doc["apiVersion"].split("/")[-1]
    return "V1" + doc["kind"] if group_version == "v1" else group_version.capitalize() + doc["kind"]


def main():
    api = client.ApiClient()
    bad = 0
    for path in sys.argv[1:]:
        for doc in yaml.safe_load_all(open(path)):
            if not doc:
                continue
            name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            errors = []
            typ = model_name(doc)
            if not hasattr(client.models, typ):
                errors.append(f"{doc.get('apiVersion')} {doc.get('kind')}: no such kind")
            else:
                walk(doc, typ, name, errors)
                try:
                    api._ApiClient__deserialize(doc, typ)
                except (ValueError, TypeError) as e:
                    errors.append(f"{name}: {e}")
            for e in errors:
                print(f"{path}: {e}")
            if not errors:
                print(f"{path}: {name} ok ({typ})")
            bad += len(errors)
    sys.exit(1 if bad else 0)


main()
