#!/usr/bin/env python3
"""tabveil against SDV CTGAN and smartnoise DPCTGAN, in ONE Python process, on ONE DataFrame.

Per-epoch time is the slope between a short and a long fit (5 and 20 epochs by default), as the
anchors in the shared benchmark scripts measure it: start-up and preprocessing cancel out (each
contestant first runs one untimed one-epoch fit, so first-call set-up does not either). Each
fit runs once per length; all of them run one after the other in this process (never
concurrently), so the ratios come from one run on one machine. Quality is the SDMetrics 0.32
QualityReport score (tabveil.evaluate, equal to sdmetrics to 1e-15) of rows sampled from the
long fits, scored against the same real table for every synthesizer.

Set-up (PyPI only), e.g. one venv with every contestant:
    python3 -m venv VENV
    VENV/bin/pip install ctgan==0.12.1 smartnoise-synth==1.0.8 maturin
    VENV/bin/maturin build --release -m crates/tabveil-py/Cargo.toml --out target/wheels
    VENV/bin/pip install target/wheels/tabveil-*.whl
Run from the repository root:
    VENV/bin/python scripts/python/side_by_side.py [--table data/bench_table.csv]
        [--schema data/bench_schema.json] [--short 5] [--long 20] [--threads 2]
        [--epsilon 3] [--only tabveil_ctgan,sdv_ctgan,...] [--out target/side_by_side_py.json]
Paths default to the repository's files; TABLE / SCHEMA environment variables override them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTESTANTS = ("tabveil_ctgan", "sdv_ctgan", "tabveil_dpctgan", "smartnoise_dpctgan")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default=os.environ.get("TABLE", REPO / "data/bench_table.csv"))
    ap.add_argument("--schema", default=os.environ.get("SCHEMA", REPO / "data/bench_schema.json"))
    ap.add_argument("--short", type=int, default=5, help="epochs of the short fit")
    ap.add_argument("--long", type=int, default=20, help="epochs of the long fit")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epsilon", type=float, default=3.0)
    ap.add_argument("--delta", type=float, default=1e-6, help="tabveil's δ (smartnoise picks its own)")
    ap.add_argument("--preprocessor-eps", type=float, default=0.5,
                    help="smartnoise's share of ε for its bounds (as the anchors)")
    ap.add_argument("--sample-rows", type=int, default=10_000)
    ap.add_argument("--only", default=",".join(CONTESTANTS))
    ap.add_argument("--out", default=REPO / "target/side_by_side_py.json")
    return ap.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.setdefault("RAYON_NUM_THREADS", str(args.threads))
    import pandas as pd
    import torch

    import tabveil

    torch.set_num_threads(args.threads)
    data = pd.read_csv(args.table)
    schema = tabveil.Schema(str(args.schema))
    kinds = {c["name"]: c["kind"] for c in schema.to_dict()["columns"]}
    discrete = [c for c, k in kinds.items() if k in ("categorical", "boolean")]
    continuous = [c for c, k in kinds.items() if k == "continuous"]
    columns = schema.to_dict()["columns"]
    integer = [c["name"] for c in columns if c["kind"] == "continuous" and c.get("integer")]
    bounds = {c["name"]: (c.get("min"), c.get("max")) for c in columns if c["kind"] == "continuous"}
    # One DataFrame for everyone: the categorical columns as pandas categoricals in the schema's
    # order would favour nobody, but SDV and smartnoise expect plain object columns.
    print(f"table {args.table}: {data.shape[0]} rows x {data.shape[1]} columns; "
          f"{args.threads} threads; epochs {args.short} and {args.long}", flush=True)

    def fit_tabveil(epochs: int, private: bool):
        privacy = dict(epsilon=args.epsilon, delta=args.delta) if private else dict(non_private=True)
        synth = tabveil.Synthesizer("ctgan", epochs=epochs, seed=0, progress=False, **privacy)
        synth.fit(data, schema=schema)
        return (lambda n: synth.sample(n, seed=1)), epochs

    def fit_sdv(epochs: int, private: bool):
        from ctgan import CTGAN

        model = CTGAN(epochs=epochs, enable_gpu=False)
        model.fit(data, discrete)
        return model.sample, epochs

    def fit_smartnoise(epochs: int, private: bool):
        from snsynth import Synthesizer

        synth = Synthesizer.create("dpctgan", epsilon=args.epsilon, epochs=epochs)
        synth.fit(data, categorical_columns=discrete, continuous_columns=continuous,
                  preprocessor_eps=args.preprocessor_eps)
        # DPCTGAN stops at the first epoch that starts over its budget: count the epochs it
        # trained (its spent ε is recorded at the start of each epoch), so a slope over fewer
        # epochs than asked is seen, not hidden.
        gan = getattr(synth, "gan", synth)  # the wrapper (older snsynth) or DPCTGAN itself (1.0.8)
        trained = sum(1 for e in gan.epsilon_list if e <= gan.epsilon)
        return synth.sample, trained

    runs = {
        "tabveil_ctgan": (fit_tabveil, False),
        "sdv_ctgan": (fit_sdv, False),
        "tabveil_dpctgan": (fit_tabveil, True),
        "smartnoise_dpctgan": (fit_smartnoise, True),
    }
    results: dict = {"versions": versions(), "args": {k: str(v) for k, v in vars(args).items()}}
    def scoreable(fake):
        # SDV and smartnoise return floats in integer columns and values outside the declared
        # bounds; the scorer reads the schema's types and bounds, so clip and round them (the
        # same post-processing every synthesizer's output gets here; tabveil's are within
        # bounds and integers already, unchanged by it).
        fake = fake.copy()
        for c, (lo, hi) in bounds.items():
            fake[c] = pd.to_numeric(fake[c]).clip(lower=lo, upper=hi)
        for c in integer:
            fake[c] = fake[c].round().astype("Int64")
        return fake

    for name in args.only.split(","):
        fit, private = runs[name]
        times = {}
        trained = {}
        sampler = None
        # A one-epoch warm-up, not timed: imports, thread pools and first-call set-up (PyTorch's
        # and ours) would otherwise land in the short fit and bend the slope.
        fit(1, private)
        for epochs in (args.short, args.long):
            start = time.perf_counter()
            sampler, trained[epochs] = fit(epochs, private)
            times[epochs] = time.perf_counter() - start
            print(f"{name}: {epochs} epochs asked, {trained[epochs]} trained, in "
                  f"{times[epochs]:.2f} s", flush=True)
        if trained[args.long] == trained[args.short]:
            print(f"{name}: both fits trained {trained[args.long]} epochs: no slope", flush=True)
            per_epoch = float("nan")
        else:
            per_epoch = (times[args.long] - times[args.short]) / (
                trained[args.long] - trained[args.short])
        fake = scoreable(sampler(args.sample_rows))
        quality = tabveil.evaluate(data, fake, schema)["quality"]
        results[name] = {
            "fit_s": times,
            "epochs_trained": trained,
            "per_epoch_s": per_epoch,
            "quality_overall": quality["overall"],
            "column_shapes": quality["column_shapes"],
            "column_pair_trends": quality["column_pair_trends"],
        }
        print(f"{name}: {per_epoch:.3f} s/epoch, quality {quality['overall']:.3f} after "
              f"{args.long} epochs", flush=True)

    def ratio(slow: str, fast: str):
        if slow in results and fast in results:
            return results[slow]["per_epoch_s"] / results[fast]["per_epoch_s"]
        return None

    results["speedup"] = {
        "ctgan_vs_sdv": ratio("sdv_ctgan", "tabveil_ctgan"),
        "dpctgan_vs_smartnoise": ratio("smartnoise_dpctgan", "tabveil_dpctgan"),
    }
    print(json.dumps(results["speedup"], indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1, default=str))
    print(f"written to {args.out}")
    return 0


def versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version(), "cpus": os.cpu_count()}
    for p in ["tabveil", "torch", "ctgan", "rdt", "smartnoise-synth", "opacus", "pandas"]:
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            pass
    return out


if __name__ == "__main__":
    sys.exit(main())
