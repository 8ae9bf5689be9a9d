#!/bin/sh
# measure.sh on adult and the bench table, for each model in MODELS, RUNS times each (seeds
# 1..RUNS; the privacy noise is secure, so every run is independent), then per (table, model)
# and metric: the mean of each side, the mean gap (discovered − public) and its sample sd.
#
#   scripts/discovery/measure_all.sh
#   MODELS="marginal tvae" RUNS=10 scripts/discovery/measure_all.sh
#
# Environment (defaults relative to the repository root): everything measure.sh reads, and
#   MODELS    models to run        ["tvae"]
#   RUNS      runs per (table, model) [1]
#   TABLES    make_tables.py output (bench_full.csv / bench_holdout.csv: the bench table split
#             8 000 / 2 000)       [target/bench-tables]; made when missing
#   OUT_ROOT  working directories  [target/discovery]; one JSON line per run in OUT_ROOT.jsonl
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TABLES=${TABLES:-$ROOT/target/bench-tables}
OUT_ROOT=${OUT_ROOT:-$ROOT/target/discovery}
MODELS=${MODELS:-tvae}
RUNS=${RUNS:-1}
[ -f "$TABLES/bench_full.csv" ] || python3 "$ROOT/scripts/bench/make_tables.py" --out "$TABLES"
: > "$OUT_ROOT.jsonl" 2>/dev/null || { mkdir -p "$(dirname "$OUT_ROOT")"; : > "$OUT_ROOT.jsonl"; }
for model in $MODELS; do
  run=1
  while [ "$run" -le "$RUNS" ]; do
    SEED=$run MODEL=$model OUT=$OUT_ROOT/adult-$model-$run "$HERE/measure.sh" adult \
      "$ROOT/data/adult/train.csv" "$ROOT/data/adult/schema.json" "$ROOT/data/adult/holdout.csv" \
      | tail -1 >> "$OUT_ROOT.jsonl"
    SEED=$run MODEL=$model OUT=$OUT_ROOT/bench-$model-$run "$HERE/measure.sh" bench \
      "$TABLES/bench_full.csv" "$ROOT/data/bench_schema.json" "$TABLES/bench_holdout.csv" \
      | tail -1 >> "$OUT_ROOT.jsonl"
    run=$((run + 1))
  done
done
python3 "$HERE/summarise.py" "$OUT_ROOT.jsonl"
