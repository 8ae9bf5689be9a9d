#!/usr/bin/env bash
# Regenerates the demo data that the `tabveil-datasets` crate ships (embedded in the CLI and
# the Python module) from the repository's canonical copy in data/adult/. Run it after changing
# data/adult/; the test
# crates/tabveil-datasets/tests/shipped.rs fails until the two agree.
#
#     bash scripts/data/pack_demo_data.sh
#
# The CSV files are gzipped (-n: no name or time stamp, so the output depends on the input and
# the gzip version only); the schema and the licence stay readable.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

src=data/adult
out=crates/tabveil-datasets/data/adult
mkdir -p "$out"
cp "$src/schema.json" "$src/LICENSE.md" "$out/"
for name in train holdout; do
    gzip -9 -n -c "$src/$name.csv" >"$out/$name.csv.gz"
done
ls -l "$out"
