#!/usr/bin/env python3
"""Summary of measure_all.sh runs (standard library only).

  summarise.py RUNS.jsonl

One line per (table, model, metric): runs, the mean of each side, the mean gap
(discovered − public) and its sample standard deviation over runs; then the discovery's
ε per run.
"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    groups = defaultdict(list)
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            groups[(r["table"], r["model"])].append(r)
    print(f"{'table':6} {'model':8} {'metric':14} {'runs':>4} {'public':>8} {'discovered':>10}"
          f" {'gap':>8} {'sd':>7}")
    for (table, model), runs in groups.items():
        for k, v in runs[0]["public"].items():
            if not isinstance(v, (int, float)):
                continue
            pairs = [(r["public"].get(k), r["discovered"].get(k)) for r in runs]
            pairs = [(p, d) for p, d in pairs
                     if isinstance(p, (int, float)) and isinstance(d, (int, float))]
            if not pairs:
                continue
            gaps = [d - p for p, d in pairs]
            sd = statistics.stdev(gaps) if len(gaps) > 1 else float("nan")
            print(f"{table:6} {model:8} {k:14} {len(pairs):4} "
                  f"{statistics.mean(p for p, _ in pairs):8.4f} "
                  f"{statistics.mean(d for _, d in pairs):10.4f} "
                  f"{statistics.mean(gaps):+8.4f} {sd:7.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
