#!/usr/bin/env python3
"""SDV CTGAN's SDMetrics quality on the adult demo data, for the side-by-side with tabveil.

Needs: a Python with ctgan 0.12.1, torch 2.15 CPU, sdmetrics 0.32.0, pandas, numpy
(`$SDV_PYTHON`, default python3; see CONTRIBUTING.md).

    "$SDV_PYTHON" scripts/models/ctgan_sdv_quality.py --epochs 300 --seed 0 \
        [--threads 2] [--out results.json]

Fits `ctgan.CTGAN(epochs=E)` (SDV's CTGAN, default hyper-parameters) on data/adult/train.csv
(26 049 rows; the categorical columns as `discrete_columns`, missing categories kept as NaN,
which CTGAN treats as a category of their own), samples as many rows as the training split,
and scores the sample with sdmetrics 0.32's single-table QualityReport against the training
split — the same scorer `tabveil-eval` reproduces to 1e-15 and the same protocol as
`cargo run --release -p tabveil-models --example ctgan_quality`.

Two scores are reported: the raw CTGAN sample ("ctgan") and the sample post-processed as the
`sdv` wrapper does by default (`enforce_rounding`: integer columns rounded; `enforce_min_max_values`:
values clipped to the training data's range), "sdv". tabveil rounds integer columns and clamps
to the schema's bounds, so "sdv" is the like-for-like number.

Seeds: numpy and torch global RNGs seeded with --seed (CTGAN is deterministic on one CPU then).
"""

import argparse
import io
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT / "data" / "adult"


def read_table(path, schema):
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = {}
    for col in schema["columns"]:
        name, kind = col["name"], col["kind"]
        s = raw[name]
        missing = s == ""
        if kind == "continuous":
            out[name] = pd.to_numeric(s.where(~missing, None), errors="raise").astype(float)
        elif kind == "categorical":
            out[name] = s.where(~missing, np.nan).astype(object)
        else:
            raise ValueError(f"unsupported kind {kind}")
    return pd.DataFrame(out)


def metadata(schema):
    return {
        "columns": {
            c["name"]: {"sdtype": "numerical" if c["kind"] == "continuous" else "categorical"}
            for c in schema["columns"]
        }
    }


def sdv_postprocess(sample, real, schema):
    out = sample.copy()
    for col in schema["columns"]:
        if col["kind"] != "continuous":
            continue
        name = col["name"]
        lo, hi = real[name].min(), real[name].max()
        v = out[name].clip(lo, hi)
        if col.get("integer"):
            v = v.round()
        out[name] = v
    return out


def quality(real, synthetic, meta):
    from sdmetrics.reports.single_table import QualityReport

    report = QualityReport()
    report.generate(real, synthetic, meta, verbose=False)
    props = report.get_properties()
    return {
        "overall": float(report.get_score()),
        "column_shapes": float(props.loc[props.Property == "Column Shapes", "Score"].iloc[0]),
        "column_pair_trends": float(
            props.loc[props.Property == "Column Pair Trends", "Score"].iloc[0]
        ),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=str, default=None)
    args = ap.parse_args()

    import torch
    from ctgan import CTGAN

    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    schema = json.loads((ADULT / "schema.json").read_text())
    train = read_table(ADULT / "train.csv", schema)
    discrete = [c["name"] for c in schema["columns"] if c["kind"] == "categorical"]
    meta = metadata(schema)

    t0 = time.time()
    model = CTGAN(epochs=args.epochs)
    model.fit(train, discrete_columns=discrete)
    fit_s = time.time() - t0
    sample = model.sample(len(train))
    result = {
        "model": "ctgan 0.12.1 CTGAN (SDV defaults)",
        "epochs": args.epochs,
        "seed": args.seed,
        "threads": args.threads,
        "train_rows": len(train),
        "fit_seconds": fit_s,
        "ctgan": quality(train, sample, meta),
        "sdv": quality(train, sdv_postprocess(sample, train, schema), meta),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
