#!/usr/bin/env bash
# The marginal side of marginal_side_by_side.sh repeated over several privacy-noise seeds (the
# dangerous `--noise-seed`, for research only), AIM's cached synthetic tables re-scored once:
# TSTR and quality of one run are noisy on small tables, so compare means over seeds.
#
#   OUT=target/seeds AIM_CACHE=… bash scripts/bench/marginal_seeds.sh
#   python3 scripts/bench/summarize_seeds.py target/seeds [target/seeds-other …]
#
# Environment (besides marginal_side_by_side.sh's TABLES, ANCHORS, PYTHON, NAMES, EPSILONS,
# DELTA, SEED, TABVEIL, which are passed on):
#   OUT       one folder per seed is made in it: OUT/s1, OUT/s2, …  (target/side-by-side-seeds)
#   SEEDS     the noise seeds                                       ("1 2 3 4 5")
#   AIM_CACHE a folder of AIM's outputs (aim_<table>_e<ε>.csv and .time) from an earlier
#             marginal_side_by_side.sh run, re-scored in OUT/s<first seed> (unset: no AIM)
# Never runs AIM (hours: CACHED_ONLY); every marginal output in OUT is redone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${OUT:-$(pwd)/target/side-by-side-seeds}
seeds=${SEEDS:-1 2 3 4 5}
first=${seeds%% *}
for s in $seeds; do
    dir="$out/s$s"
    mkdir -p "$dir"
    sides=marginal
    if [ "$s" = "$first" ] && [ -n "${AIM_CACHE:-}" ]; then
        cp -n "$AIM_CACHE"/aim_* "$dir/" 2>/dev/null || true
        sides="marginal aim"
    fi
    rm -f "$dir"/marginal_* "$dir/results.tsv"
    OUT="$dir" SIDES="$sides" NOISE_SEED="$s" RERUN= CACHED_ONLY=1 \
        bash scripts/bench/marginal_side_by_side.sh >"$dir/run.log"
done
echo "per seed: $out/s*/results.tsv"
