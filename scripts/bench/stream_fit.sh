#!/usr/bin/env bash
# Issue 16, "larger than memory": peak RSS and wall time of `tabveil fit --model marginal` on a
# generated Parquet table of ROWS rows (streamed: bounded batches, one to two bytes per cell
# kept), and optionally of an older build of the CLI (BASELINE, e.g. one built from main before
# the streamed fit) on BASE_ROWS rows, which read the table whole.
#
#   bash scripts/bench/stream_fit.sh
#
# Environment (defaults relative to the repository root):
#   CARGO_TARGET_DIR  cargo's target folder: the release CLI and example are built there   (target)
#   OUT       where the model, the Parquet files and the logs go ($CARGO_TARGET_DIR/stream-bench)
#   ROWS      rows of the big table                                 (10000000)
#   BASE_ROWS rows of the table for the comparison                   (1000000)
#   BASELINE  another tabveil binary to run on BASE_ROWS as well     (none)
#   EPSILON, DELTA  the measured fits' budget                        (3, 1e-6)
#   GEN_EPSILON     the budget of the generator model fitted on the bench table   (10)
#   TABVEIL, GENERATE  the CLI and the big_parquet example to run   (the release builds)
#   NO_BUILD  set to use the binaries already built
#
# The tables come from the bench table's distributions (data/bench_table.csv, schema
# data/bench_schema.json): a marginal model is fitted on it (privately at GEN_EPSILON: the
# non-private fit of the bench table takes many minutes), and the `big_parquet` example
# samples from it in chunks of 500 000 rows, each written as one row group (the writer holds
# one chunk). Wall time and peak RSS come from GNU time (`-v`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=${OUT:-$target/stream-bench}
rows=${ROWS:-10000000}
base_rows=${BASE_ROWS:-1000000}
epsilon=${EPSILON:-3}
delta=${DELTA:-1e-6}
mkdir -p "$out"

if [ -z "${NO_BUILD:-}" ]; then
    CARGO_TARGET_DIR=$target cargo build --release -p tabveil-cli
    CARGO_TARGET_DIR=$target cargo build --release --features arrow --example big_parquet
fi
tabveil=${TABVEIL:-$target/release/tabveil}
generate=${GENERATE:-$target/release/examples/big_parquet}

if [ ! -d "$out/bench_model" ]; then
    "$tabveil" fit --model marginal --epsilon "${GEN_EPSILON:-10}" --delta 1e-6 --quiet \
        --data data/bench_table.csv \
        --schema data/bench_schema.json --out "$out/bench_model"
fi
for n in "$rows" "$base_rows"; do
    if [ ! -f "$out/bench_$n.parquet" ]; then
        /usr/bin/time -v "$generate" "$out/bench_model" "$n" "$out/bench_$n.parquet" \
            2> "$out/generate_$n.log" >/dev/null
        grep -E "Maximum resident|Elapsed" "$out/generate_$n.log" | sed "s/^/generate $n rows: /"
    fi
done

# One fit: its peak RSS (MB) and wall time, one line.
measure() {
    local name=$1 bin=$2 data=$3
    rm -rf "$out/model_$name"
    /usr/bin/time -v "$bin" fit --model marginal --data "$data" --schema data/bench_schema.json \
        --epsilon "$epsilon" --delta "$delta" --quiet --out "$out/model_$name" \
        > "$out/fit_$name.out" 2> "$out/fit_$name.log"
    local rss wall
    rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$out/fit_$name.log")
    wall=$(awk -F': ' '/Elapsed \(wall/ {print $2}' "$out/fit_$name.log")
    printf '%-28s %10s rows  peak RSS %6s MB  wall %s\n' "$name" "$4" "$rss" "$wall"
}

measure "streamed_$rows" "$tabveil" "$out/bench_$rows.parquet" "$rows"
measure "streamed_$base_rows" "$tabveil" "$out/bench_$base_rows.parquet" "$base_rows"
if [ -n "${BASELINE:-}" ]; then
    measure "baseline_$base_rows" "$BASELINE" "$out/bench_$base_rows.parquet" "$base_rows"
fi
