#!/bin/sh
# A private fit that discovers its schema inline (`tabveil fit --discover-schema SHARE`) vs the
# same fit with the hand-written public schema, at the same total (ε, δ).
#
#   scripts/discovery/measure.sh NAME TRAIN.csv PUBLIC_SCHEMA.json [HOLDOUT.csv]
#
# Environment (defaults relative to the repository root):
#   TABVEIL   the binary            [target/release/tabveil]
#   OUT       working directory     [target/discovery/NAME]
#   MODEL     --model               [tvae]
#   EPOCHS    --epochs              [30]   (ignored by the marginal model)
#   EPSILON   total ε of each fit   [3]
#   DELTA     total δ of each fit   [1e-6]
#   SHARE     --discover-schema     [0.3]  share of (ε, δ) the discovery alone may spend; the
#                                          fit composes it exactly (one ledger, ε ≤ EPSILON)
#   NULLS     extra --null token    [none]
#   SEED      --seed of both fits and of sampling [0]  (the privacy noise is secure: every run
#                                          is independent whatever the seed)
# The discovered side starts from the public schema stripped of bounds and categories; the
# target's classes stay declared (a public fact: the classes of a binary target).
set -eu
NAME=$1; TRAIN=$2; PUBLIC=$3; HOLDOUT=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
TABVEIL=${TABVEIL:-target/release/tabveil}
OUT=${OUT:-target/discovery/$NAME}
MODEL=${MODEL:-tvae}; EPOCHS=${EPOCHS:-30}
EPSILON=${EPSILON:-3}; DELTA=${DELTA:-1e-6}; SHARE=${SHARE:-0.3}
NULLS=${NULLS:+--null $NULLS}
SEED=${SEED:-0}
if [ "$MODEL" = marginal ]; then EPOCHS_FLAG=""; else EPOCHS_FLAG="--epochs $EPOCHS"; fi
mkdir -p "$OUT"
python3 "$HERE/schema_tools.py" strip "$PUBLIC" "$OUT/partial.json"
H=${HOLDOUT:+--holdout $HOLDOUT}
for side in public discovered; do
  if [ $side = public ]; then
    S=$PUBLIC; DISC=""
  else
    S=$OUT/partial.json; DISC="--discover-schema $SHARE"
  fi
  /usr/bin/time -f "$side fit: %e s, %M KB" "$TABVEIL" --quiet fit --data "$TRAIN" --schema "$S" $NULLS \
    --model "$MODEL" $EPOCHS_FLAG --epsilon "$EPSILON" --delta "$DELTA" $DISC --seed "$SEED" \
    --out "$OUT/model_$side" --json > "$OUT/fit_$side.json"
  "$TABVEIL" sample --model "$OUT/model_$side" --rows "$(($(wc -l < "$TRAIN") - 1))" --seed "$SEED" \
    --out "$OUT/syn_$side.csv"
done
# The discovered schema as the model saved it; the evaluation reads both sides with a schema
# widened to the discovered `other` categories and bounds.
cp "$OUT/model_discovered/schema.json" "$OUT/discovered.json"
python3 "$HERE/schema_tools.py" union "$PUBLIC" "$OUT/discovered.json" "$OUT/union.json"
for side in public discovered; do
  "$TABVEIL" evaluate --real "$TRAIN" --synthetic "$OUT/syn_$side.csv" --schema "$OUT/union.json" \
    $H $NULLS --json > "$OUT/eval_$side.json"
done
python3 - "$OUT" "$NAME" "$MODEL" "$SEED" <<'PY'
import json, sys
out, name, model, seed = sys.argv[1:5]
row = {"table": name, "model": model, "seed": int(seed)}
for side in ("public", "discovered"):
    fit = json.load(open(f"{out}/fit_{side}.json"))
    e = json.load(open(f"{out}/eval_{side}.json"))
    row[side] = {
        "quality": e["quality"]["overall"],
        "column_shapes": e["quality"]["column_shapes"],
        "pair_trends": e["quality"]["column_pair_trends"],
        "tstr_roc_auc": e["ml"]["tstr"]["roc_auc"],
    }
    row[side]["epsilon_spent"] = fit.get("epsilon_spent")
    if "discovery" in fit:
        row[side]["discovery"] = fit["discovery"]
print(json.dumps(row))
PY
