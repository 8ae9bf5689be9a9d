#!/usr/bin/env python3
"""Schema helpers for the private-discovery measurement (standard library only).

  schema_tools.py strip PUBLIC.json OUT.json
      The public schema without bounds and categories (kinds, integer and nullable flags,
      target and the rest kept; the target's classes stay declared — the classes of a
      prediction target are public): what discovery starts from.
  schema_tools.py union PUBLIC.json DISCOVERED.json OUT.json
      The public schema widened to read both the real data and the synthetic data of a model
      fitted with the discovered schema: every categorical column gains the discovered
      `other` category, bounds cover both. Quality is then scored against the real data as it
      is (a synthetic `other` value matches no real category).
"""
import json
import sys


def strip(public, out):
    s = json.load(open(public))
    for c in s["columns"]:
        if c["name"] == s.get("target") and c["kind"] == "categorical":
            continue
        for k in ("min", "max", "categories"):
            if c["kind"] in ("continuous", "categorical", "datetime"):
                c.pop(k, None)
    json.dump(s, open(out, "w"), indent=1)


def union(public, discovered, out):
    s = json.load(open(public))
    d = {c["name"]: c for c in json.load(open(discovered))["columns"]}
    for c in s["columns"]:
        dc = d.get(c["name"])
        if dc is None:
            continue
        if c["kind"] == "categorical" and dc.get("other"):
            if dc["other"] not in c["categories"]:
                c["categories"].append(dc["other"])
        if c["kind"] == "continuous":
            if "min" in dc and "min" in c:
                c["min"] = min(c["min"], dc["min"])
            if "max" in dc and "max" in c:
                c["max"] = max(c["max"], dc["max"])
        c["nullable"] = bool(c.get("nullable")) or bool(dc.get("nullable"))
    json.dump(s, open(out, "w"), indent=1)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "strip":
        strip(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "union":
        union(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
