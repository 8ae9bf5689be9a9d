#!/bin/sh
# Private fit with a privately discovered schema vs the same fit with the hand-written one.
#
#   scripts/discovery/measure.sh NAME TRAIN.csv PUBLIC_SCHEMA.json [HOLDOUT.csv]
#
# Environment (defaults relative to the repository root):
#   TABVEIL   the binary            [target/release/tabveil]
#   OUT       working directory     [target/discovery/NAME]
#   MODEL     --model               [tvae]
#   EPOCHS    --epochs              [30]
#   EPSILON   total ε               [3]   split DISCOVERY_EPS (discovery) + rest (fit)
#   DISCOVERY_EPS                   [0.3]
#   DELTA     total δ               [1e-6] split DISCOVERY_DELTA + rest
#   DISCOVERY_DELTA                 [1e-7]
#   NULLS     extra --null token    [none]
#   WEIGHTS   --noise-weights F,B,C [none: 1,1,1]
# The two budgets compose sequentially: (ε₁ + ε₂, δ₁ + δ₂) bounds the whole pipeline; each
# part's ε is computed by the accountant from its own ledger.
set -eu
NAME=$1; TRAIN=$2; PUBLIC=$3; HOLDOUT=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
TABVEIL=${TABVEIL:-target/release/tabveil}
OUT=${OUT:-target/discovery/$NAME}
MODEL=${MODEL:-tvae}; EPOCHS=${EPOCHS:-30}
EPSILON=${EPSILON:-3}; DISCOVERY_EPS=${DISCOVERY_EPS:-0.3}
DELTA=${DELTA:-1e-6}; DISCOVERY_DELTA=${DISCOVERY_DELTA:-1e-7}
FIT_EPS=$(python3 -c "print($EPSILON - $DISCOVERY_EPS)")
FIT_DELTA=$(python3 -c "print($DELTA - $DISCOVERY_DELTA)")
NULLS=${NULLS:+--null $NULLS}
mkdir -p "$OUT"
python3 "$HERE/schema_tools.py" strip "$PUBLIC" "$OUT/partial.json"
# The declared binary target is closed (no `other` category): a public declaration.
TARGET=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('target') or '')" "$PUBLIC")
CLOSED=${TARGET:+--closed $TARGET}
WEIGHTS=${WEIGHTS:+--noise-weights $WEIGHTS}
"$TABVEIL" schema infer --private --data "$TRAIN" --schema "$OUT/partial.json" $NULLS $CLOSED $WEIGHTS \
  --epsilon "$DISCOVERY_EPS" --delta "$DISCOVERY_DELTA" \
  --out "$OUT/discovered.json" --ledger "$OUT/discovery_ledger.json"
python3 "$HERE/schema_tools.py" union "$PUBLIC" "$OUT/discovered.json" "$OUT/union.json"
H=${HOLDOUT:+--holdout $HOLDOUT}
for side in public discovered; do
  if [ $side = public ]; then S=$PUBLIC; E=$EPSILON; D=$DELTA; else S=$OUT/discovered.json; E=$FIT_EPS; D=$FIT_DELTA; fi
  /usr/bin/time -f "$side fit: %e s, %M KB" "$TABVEIL" fit --data "$TRAIN" --schema "$S" $NULLS \
    --model "$MODEL" --epochs "$EPOCHS" --epsilon "$E" --delta "$D" --out "$OUT/model_$side"
  "$TABVEIL" sample --model "$OUT/model_$side" --rows "$(($(wc -l < "$TRAIN") - 1))" --seed 1 \
    --out "$OUT/syn_$side.csv"
  "$TABVEIL" evaluate --real "$TRAIN" --synthetic "$OUT/syn_$side.csv" --schema "$OUT/union.json" \
    $H $NULLS --json > "$OUT/eval_$side.json"
done
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
for side in ("public", "discovered"):
    e = json.load(open(f"{out}/eval_{side}.json"))
    print(side, json.dumps({k: v for k, v in e.items() if not isinstance(v, (dict, list))}))
    for k, v in e.items():
        if isinstance(v, dict):
            print("  ", k, json.dumps({a: b for a, b in v.items() if not isinstance(b, (dict, list))}))
PY
