#!/usr/bin/env python3
"""SDV TVAE on the adult demo data: SDMetrics quality and category collapse, for the
side-by-side with tabveil's `Tvae`.

Needs: a Python with ctgan 0.12.1 with its TVAE, torch 2.15 CPU, sdmetrics 0.32.0, pandas,
numpy
(`$SDV_PYTHON`, default python3; see CONTRIBUTING.md).

    "$SDV_PYTHON" scripts/models/tvae_sdv_quality.py --epochs 300 --seed 0 \
        [--threads 2] [--out scripts/models/tvae_sdv_quality.json]

What it does:
1. reads data/adult/train.csv (26 049 rows) with the schema's kinds (an empty cell of a
   categorical column is NaN, which SDV's one-hot encoder keeps as a category of its own);
2. fits `ctgan.TVAE(epochs=E)` — every other hyper-parameter at SDV's default — with the
   categorical columns as `discrete_columns`;
3. samples as many rows as the training split;
4. scores the sample with sdmetrics 0.32's single-table QualityReport against the training
   split (the scorer `tabveil-eval`'s `quality_report` reproduces to 1e-15), twice: the raw
   TVAE sample ("tvae") and the sample as the `sdv` wrapper post-processes it by default
   (integer columns rounded, values clipped to the training range: "sdv"). tabveil rounds
   integer columns and clamps to the schema's bounds, so "sdv" is the like-for-like number;
5. reports, for the categorical columns with the most categories, the share of the most
   frequent category in the real data and in the sample: TVAE decodes categories by argmax,
   which collapses high-entropy columns towards their modes.

Seeds: numpy's and torch's global generators are seeded with --seed (one CPU: deterministic).
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT / "data" / "adult"
# Columns whose top-category share is reported (the adult columns with many categories).
SHARE_COLUMNS = ["education", "occupation", "native_country", "workclass", "marital_status"]


def load(schema):
    """The training split as a DataFrame: floats for continuous columns, objects (NaN when
    empty) for categorical ones."""
    text = pd.read_csv(ADULT / "train.csv", dtype=str, keep_default_na=False)
    columns = {}
    for col in schema["columns"]:
        values = text[col["name"]]
        empty = values == ""
        if col["kind"] == "continuous":
            columns[col["name"]] = pd.to_numeric(values.mask(empty)).astype(float)
        elif col["kind"] == "categorical":
            columns[col["name"]] = values.mask(empty).astype(object)
        else:
            raise ValueError(f"column kind {col['kind']} is not handled here")
    return pd.DataFrame(columns)


def as_sdv_would(sample, real, schema):
    """The `sdv` wrapper's default post-processing: clip to the training range, round
    integer columns."""
    out = sample.copy()
    for col in schema["columns"]:
        if col["kind"] == "continuous":
            name = col["name"]
            v = out[name].clip(real[name].min(), real[name].max())
            out[name] = v.round() if col.get("integer") else v
    return out


def scores(real, synthetic, schema):
    from sdmetrics.reports.single_table import QualityReport

    meta = {
        "columns": {
            c["name"]: {"sdtype": "numerical" if c["kind"] == "continuous" else "categorical"}
            for c in schema["columns"]
        }
    }
    report = QualityReport()
    report.generate(real, synthetic, meta, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "overall": float(report.get_score()),
        "column_shapes": float(props["Column Shapes"]),
        "column_pair_trends": float(props["Column Pair Trends"]),
    }


def top_share(column):
    counts = column.fillna("<missing>").value_counts(normalize=True)
    return {"category": str(counts.index[0]), "share": float(counts.iloc[0])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=str, default=None)
    args = ap.parse_args()

    import ctgan
    import torch
    from ctgan import TVAE

    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    schema = json.loads((ADULT / "schema.json").read_text())
    real = load(schema)
    discrete = [c["name"] for c in schema["columns"] if c["kind"] == "categorical"]

    start = time.time()
    model = TVAE(epochs=args.epochs)
    model.fit(real, discrete_columns=discrete)
    fit_seconds = time.time() - start
    sample = model.sample(len(real))

    result = {
        "model": f"ctgan {ctgan.__version__} TVAE (SDV defaults)",
        "torch": torch.__version__,
        "epochs": args.epochs,
        "seed": args.seed,
        "threads": args.threads,
        "train_rows": len(real),
        "fit_seconds": fit_seconds,
        "tvae": scores(real, sample, schema),
        "sdv": scores(real, as_sdv_would(sample, real, schema), schema),
        "top_category_share": {
            name: {"real": top_share(real[name]), "tvae": top_share(sample[name])}
            for name in SHARE_COLUMNS
        },
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
