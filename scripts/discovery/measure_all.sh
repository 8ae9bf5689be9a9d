#!/bin/sh
# measure.sh on adult and the bench table in one run, for each model in MODELS, then one line
# per (table, model): quality with the public schema, with inline discovery, and the gap.
#
#   scripts/discovery/measure_all.sh
#
# Environment (defaults relative to the repository root): everything measure.sh reads, and
#   MODELS    models to run        ["tvae"]
#   TABLES    make_tables.py output (bench_full.csv / bench_holdout.csv: the bench table split
#             8 000 / 2 000)       [target/bench-tables]; made when missing
#   OUT_ROOT  working directories  [target/discovery]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TABLES=${TABLES:-$ROOT/target/bench-tables}
OUT_ROOT=${OUT_ROOT:-$ROOT/target/discovery}
MODELS=${MODELS:-tvae}
[ -f "$TABLES/bench_full.csv" ] || python3 "$ROOT/scripts/bench/make_tables.py" --out "$TABLES"
: > "$OUT_ROOT.jsonl" 2>/dev/null || { mkdir -p "$(dirname "$OUT_ROOT")"; : > "$OUT_ROOT.jsonl"; }
for model in $MODELS; do
  MODEL=$model OUT=$OUT_ROOT/adult-$model "$HERE/measure.sh" adult \
    "$ROOT/data/adult/train.csv" "$ROOT/data/adult/schema.json" "$ROOT/data/adult/holdout.csv" \
    | tail -1 >> "$OUT_ROOT.jsonl"
  MODEL=$model OUT=$OUT_ROOT/bench-$model "$HERE/measure.sh" bench \
    "$TABLES/bench_full.csv" "$ROOT/data/bench_schema.json" "$TABLES/bench_holdout.csv" \
    | tail -1 >> "$OUT_ROOT.jsonl"
done
python3 - "$OUT_ROOT.jsonl" <<'PY'
import json, sys
print(f"{'table':6} {'model':8} {'metric':16} {'public':>8} {'discovered':>10} {'gap':>7}")
for line in open(sys.argv[1]):
    r = json.loads(line)
    for k, v in r["public"].items():
        d = r["discovered"].get(k)
        if isinstance(v, (int, float)) and isinstance(d, (int, float)):
            print(f"{r['table']:6} {r['model']:8} {k:16} {v:8.4f} {d:10.4f} {d - v:+7.4f}")
    print(f"{'':6} {'':8} discovery: {r['discovered'].get('discovery')}")
PY
