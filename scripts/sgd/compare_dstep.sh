#!/usr/bin/env bash
# Side-by-side timing of one CTGAN discriminator step (pac = 1, WGAN-GP), tabveil vs PyTorch,
# on this machine, 2 threads each, in alternating rounds so that both see similar background load.
#
# Needs a Python with torch 2.15.0 (CPU) installed: SDV_PYTHON (default python3; see
# CONTRIBUTING.md). Run from anywhere: scripts/sgd/compare_dstep.sh [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds="${1:-3}"
sdv_python=${SDV_PYTHON:-python3}
export RAYON_NUM_THREADS=2
cargo bench -p tabveil-sgd --bench dp_step --no-run >/dev/null 2>&1
for r in $(seq 1 "$rounds"); do
    echo "== round $r: $(uptime | sed 's/.*load/load/')"
    cargo bench -q -p tabveil-sgd --bench dp_step -- --warm-up-time 2 --measurement-time 6 2>/dev/null \
        | grep -E "^ctgan|time:" | paste - - | awk '{print "tabveil", $1, $5, $6}'
    "$sdv_python" scripts/sgd/bench_torch_dstep.py --threads 2 --reps 40 \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); [print("torch", k, round(v["median_ms"],2), "ms") for k,v in d.items() if isinstance(v, dict)]'
done
