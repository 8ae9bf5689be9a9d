#!/usr/bin/env bash
# tabveil's private models against smartnoise-synth's AIM (the anchor of the marginal model),
# on the same tables, same machine, one after the other (never concurrently: 2 cores), so both
# columns of each comparison come from one run.
#
#   bash scripts/bench/marginal_side_by_side.sh
#
# Environment (defaults relative to the repository root):
#   TABLES   folder made by scripts/bench/make_tables.py        (target/bench-tables; made if absent)
#   OUT      where synthetic tables, logs and results.tsv go    (target/side-by-side-marginal)
#   ANCHORS  the anchors' folder with marginal_anchors.py       (../shared/anchors)
#   PYTHON   a Python with smartnoise-synth==1.0.8 installed    (python3)
#   SIDES    which synthesizers to run, any of: marginal aim mst dpctgan   ("marginal aim")
#   NAMES    which tables                                       ("adult_800 adult_2000 adult_full bench_800 bench_2000 bench_full")
#   EPSILONS which budgets                                      ("1 3 10")
#   DELTA    δ of every run                                     (1e-6)
#   SEED     seed of the non-private randomness                 (0)
#   NOISE_SEED  DANGEROUS, research only: fixes tabveil's privacy noise (`--noise-seed`), so
#            runs of two builds are paired and repeated runs differ only by this seed (unset:
#            OS-seeded privacy noise, every run different)
#   RERUN    set to redo runs whose synthetic table is already in OUT (default: score them again)
#   CACHED_ONLY  set to never start an aim or mst run: only their synthetic tables already in
#            OUT are scored (a cell without one is skipped, with a message)
#   CARGO_TARGET_DIR  cargo's target folder, where the release CLI is built   (target)
#   TABVEIL  a tabveil CLI to run instead of building this checkout's (e.g. a copy of an
#            earlier build, to compare two builds)
#
# Every synthetic table has as many rows as its training table and is scored by
# `tabveil evaluate` against that training table (SDMetrics-compatible quality) and its
# holdout (TSTR: ROC AUC of gradient-boosted trees trained on synthetic rows, tested on the
# real holdout). Wall time and peak RSS come from GNU time (`/usr/bin/time -v`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
tables=${TABLES:-$root/target/bench-tables}
out=${OUT:-$root/target/side-by-side-marginal}
anchors=${ANCHORS:-$root/../shared/anchors}
python=${PYTHON:-python3}
sides=${SIDES:-marginal aim}
names=${NAMES:-adult_800 adult_2000 adult_full bench_800 bench_2000 bench_full}
epsilons=${EPSILONS:-1 3 10}
delta=${DELTA:-1e-6}
seed=${SEED:-0}
noise_seed=${NOISE_SEED:-}
mkdir -p "$out"
[ -d "$tables" ] || python3 scripts/bench/make_tables.py --out "$tables"
if [ -n "${TABVEIL:-}" ]; then
    tabveil=$TABVEIL
else
    cargo build --release --locked -p tabveil-cli --quiet
    tabveil="${CARGO_TARGET_DIR:-$root/target}/release/tabveil"
fi
export RAYON_NUM_THREADS=2

results="$out/results.tsv"
[ -f "$results" ] || printf 'table\trows\tsynthesizer\tepsilon\tquality\tshapes\tpairs\ttstr_auc\ttrtr_auc\tfit_s\tpeak_rss_mb\n' >"$results"

# wall seconds and peak RSS (MB) of a GNU time log
timing() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
wall = re.search(r'Elapsed \(wall clock\) time.*: (.*)', text).group(1).strip().split(':')
secs = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall)))
rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', text).group(1)) / 1024
print(f'{secs:.1f}\t{rss:.0f}')
PY
}

score() { # name synthesizer epsilon synthetic.csv timing-log
    local name=$1 syn=$2 eps=$3 file=$4 tlog=$5 kind=${1%%_*}
    local json="$out/${syn}_${name}_e${eps}.eval.json"
    "$tabveil" evaluate --real "$tables/$name.csv" --synthetic "$file" \
        --schema "$tables/${kind}_schema.json" --holdout "$tables/${kind}_holdout.csv" \
        --seed "$seed" --json >"$json"
    python3 - "$json" "$name" "$syn" "$eps" "$(timing "$tlog")" "$(($(wc -l <"$tables/$name.csv") - 1))" >>"$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
q = r['quality']
u = r.get('ml') or {}
auc = lambda k: (u.get(k) or {}).get('roc_auc')
f = lambda v: 'NA' if v is None else f'{v:.3f}'
fit_s, rss = sys.argv[5].split('\t')
print('\t'.join([sys.argv[2], sys.argv[6], sys.argv[3], sys.argv[4], f(q['overall']),
                 f(q['column_shapes']), f(q['column_pair_trends']), f(auc('tstr')), f(auc('trtr')),
                 fit_s, rss]))
PY
    tail -n 1 "$results"
}

for name in $names; do
    kind=${name%%_*}
    schema="$tables/${kind}_schema.json"
    for eps in $epsilons; do
        for side in $sides; do
            syn="$out/${side}_${name}_e${eps}.csv"
            tlog="$out/${side}_${name}_e${eps}.time"
            if [ -s "$syn" ] && [ -s "$tlog" ] && [ -z "${RERUN:-}" ]; then
                score "$name" "$side" "$eps" "$syn" "$tlog" # kept from an earlier run (RERUN=1 redoes it)
                continue
            fi
            case $side in
            aim | mst)
                if [ -n "${CACHED_ONLY:-}" ]; then
                    echo "skipped: no cached $side output for $name at ε = $eps" >&2
                    continue
                fi
                /usr/bin/time -v -o "$tlog" "$python" "$anchors/marginal_anchors.py" "$side" \
                    --data "$tables/$name.csv" --schema "$schema" --epsilon "$eps" \
                    --delta "$delta" --seed "$seed" --out "$syn" >"$out/${side}_${name}_e${eps}.log"
                ;;
            marginal | dpctgan)
                model=$side
                [ "$side" = dpctgan ] && model=ctgan
                rm -rf "$out/model_${side}_${name}_e${eps}"
                /usr/bin/time -v -o "$tlog" "$tabveil" fit --quiet --model "$model" \
                    --data "$tables/$name.csv" --schema "$schema" --epsilon "$eps" \
                    --delta "$delta" --seed "$seed" ${noise_seed:+--noise-seed "$noise_seed"} \
                    --out "$out/model_${side}_${name}_e${eps}" \
                    >"$out/${side}_${name}_e${eps}.log"
                rows=$(($(wc -l <"$tables/$name.csv") - 1))
                "$tabveil" sample --quiet --model "$out/model_${side}_${name}_e${eps}" \
                    --rows "$rows" --seed "$seed" --out "$syn"
                ;;
            *) echo "unknown side $side" >&2; exit 2 ;;
            esac
            score "$name" "$side" "$eps" "$syn" "$tlog"
        done
    done
done
echo "results: $results"
