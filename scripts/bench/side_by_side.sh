#!/usr/bin/env bash
# Runs tabveil's model benchmarks and the Python anchors on the same machine, one after the
# other (never concurrently: 2 cores), so both sides of each comparison come from one run.
#
#   bash scripts/bench/side_by_side.sh [OUT_DIR]     (default: target/side_by_side)
#
# Environment (defaults relative to the repository root; see CONTRIBUTING.md):
#   ANCHORS     the anchors' folder with bench_ctgan.py                (../shared/anchors)
#   SDV_PYTHON  a Python with ctgan 0.12.1 (torch CPU) installed       (python3)
#   SN_PYTHON   a Python with smartnoise-synth 1.0.8 installed         (python3)
# Python per-epoch cost = slope between a 5-epoch and a 20-epoch fit (start-up excluded);
# tabveil's = median time between epoch reports (start-up excluded too).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
out=${1:-$root/target/side_by_side}
mkdir -p "$out"
anchors=${ANCHORS:-$root/../shared/anchors}
sdv_python=${SDV_PYTHON:-python3}
sn_python=${SN_PYTHON:-python3}
export RAYON_NUM_THREADS=2
export TABLE="$root/data/bench_table.csv"

log() { printf '\n==> %s\n' "$*"; }

log "tabveil CTGAN / DP-CTGAN epoch (10 000 × 15, 2 threads)"
cargo bench --locked -p tabveil-models --bench ctgan_epoch -- 20 2>/dev/null | tee "$out/tabveil_ctgan.txt"
log "tabveil TVAE / DP-TVAE epoch"
cargo bench --locked -p tabveil-models --bench tvae_epoch -- 20 2>/dev/null | tee "$out/tabveil_tvae.txt"

cd "$out"
for which in ctgan tvae; do
    for epochs in 5 20; do
        log "SDV $which, $epochs epochs"
        "$sdv_python" "$anchors/bench_ctgan.py" "$which" --epochs "$epochs" --threads 2
    done
done
for epochs in 5 20; do
    log "smartnoise DPCTGAN, $epochs epochs"
    "$sn_python" "$anchors/bench_ctgan.py" dpctgan --epochs "$epochs" --threads 2 \
        --epsilon 3 --preprocessor-eps 0.5
done
log "per-epoch slopes (s/epoch) from results/*.json"
python3 - <<'PY'
import json
for which in ("ctgan", "tvae", "dpctgan"):
    try:
        r5 = json.load(open(f"results/{which}_t2_e5.json"))
        r20 = json.load(open(f"results/{which}_t2_e20.json"))
    except FileNotFoundError:
        continue
    key = "train_s" if "train_s" in r20 else "fit_total_s"
    slope = (r20[key] - r5[key]) / 15
    print(f"{which}: {key} 5 epochs {r5[key]:.2f} s, 20 epochs {r20[key]:.2f} s -> {slope:.3f} s/epoch")
    if "dp_epsilon_after_training" in r20:
        print(f"  smartnoise 20 epochs: target eps {r20['epsilon_target']}, "
              f"eps after training by RDP {r20['dp_epsilon_after_training']:.3f}")
PY
