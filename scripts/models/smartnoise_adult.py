#!/usr/bin/env python3
"""smartnoise-synth anchors (MST, DPCTGAN) on the adult demo data, for the side-by-side with
tabveil's DP-CTGAN.

Needs: a Python with smartnoise-synth 1.0.8, opacus 0.14, torch, pandas, numpy
(`$SN_PYTHON`, default python3; see CONTRIBUTING.md).

    "$SN_PYTHON" scripts/models/smartnoise_adult.py --synth mst --epsilon 3 \
        --seed 0 --out target/mst_e3.csv

Fits the synthesizer on data/adult/train.csv at (ε, δ = 1e-6) and writes a synthetic table of
the training split's size as CSV in the schema's format, to be scored by
`cargo run --release -p tabveil-models --example score_synthetic -- target/mst_e3.csv` (the same
SDMetrics-0.32 quality and train-synthetic-test-real classifier as tabveil's own runs).

Both get the schema's public bounds (no privacy spent on bounds): MST bins each continuous
column into smartnoise's default 10 equal-width bins between them (`BinTransformer`), DPCTGAN
scales it to [-1, 1] (`MinMaxTransformer`). Categories are read from the data by smartnoise
(not private; tabveil takes them from the schema). Everything else is smartnoise's default
(DPCTGAN: 300 epochs at most, stopping on ε; batch 500; σ = 5; C = 1).
"""

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT / "data" / "adult"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--synth", choices=["mst", "dpctgan"], required=True)
    ap.add_argument("--epsilon", type=float, default=3.0)
    ap.add_argument("--delta", type=float, default=1e-6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=str, required=True)
    ap.add_argument("--epochs", type=int, default=None,
                    help="DPCTGAN only: cap the epochs (smartnoise's default is 300, stopping on ε)")
    args = ap.parse_args()

    import torch
    from snsynth import Synthesizer
    from snsynth.transform import BinTransformer, MinMaxTransformer

    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    random.seed(args.seed)
    torch.manual_seed(args.seed)

    schema = json.loads((ADULT / "schema.json").read_text())
    raw = pd.read_csv(ADULT / "train.csv", dtype=str, keep_default_na=False)
    data = pd.DataFrame()
    constraints = {}
    categorical = []
    for col in schema["columns"]:
        name = col["name"]
        if col["kind"] == "continuous":
            data[name] = pd.to_numeric(raw[name]).astype(float)
            lo, hi = float(col["min"]), float(col["max"])
            if args.synth == "mst":
                constraints[name] = BinTransformer(bins=10, lower=lo, upper=hi)
            else:
                constraints[name] = MinMaxTransformer(lower=lo, upper=hi, negative=True)
        else:
            # Missing categories become a category of their own ("" in the CSV).
            data[name] = raw[name].replace("", "<missing>")
            categorical.append(name)

    kwargs = {"epsilon": args.epsilon, "delta": args.delta}
    if args.synth == "dpctgan":
        kwargs["verbose"] = True
        if args.epochs is not None:
            kwargs["epochs"] = args.epochs
    synth = Synthesizer.create(args.synth, **kwargs)
    t0 = time.time()
    synth.fit(
        data,
        transformer=constraints,
        categorical_columns=categorical,
        preprocessor_eps=0.0,
    )
    fit_s = time.time() - t0
    sample = synth.sample(len(data))
    out = pd.DataFrame()
    for col in schema["columns"]:
        name = col["name"]
        s = sample[name]
        if col["kind"] == "continuous":
            v = pd.to_numeric(s).astype(float).clip(col["min"], col["max"])
            if col.get("integer"):
                out[name] = v.round().astype(int).astype(str)
            else:
                out[name] = v.map(repr)
        else:
            out[name] = s.astype(str).replace("<missing>", "")
    out.to_csv(args.out, index=False, lineterminator="\n")
    print(json.dumps({"synth": args.synth, "epsilon": args.epsilon, "delta": args.delta,
                      "seed": args.seed, "fit_seconds": fit_s, "rows": len(out),
                      "out": args.out}))


if __name__ == "__main__":
    main()
