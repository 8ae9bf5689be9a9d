#!/usr/bin/env python3
"""Reference numbers for tabveil-eval's SDMetrics parity test.

Needs: a Python with sdmetrics 0.32.0, pandas 2.3, numpy, scipy 1.17
(`$SDV_PYTHON`, default python3; see CONTRIBUTING.md).

    "$SDV_PYTHON" scripts/eval/sdmetrics_reference.py

Writes, under crates/tabveil-eval/tests/data/parity/:
  - the synthetic tables (gzipped CSV, deterministic: numpy default_rng with fixed seeds), and a
    second, generated dataset ("mixed") with datetime, boolean, identifier columns, missing
    values everywhere, strongly correlated continuous pairs and a constant column, so parity is
    checked on more than adult;
  - sdmetrics_reference.json: SDMetrics' single-table QualityReport (overall, both properties,
    every column and pair score) for each (real, synthetic) case, plus SciPy's two-sample
    statistics (KS D, Wasserstein-1, chi-square) for the per-column kernels.

Every number is computed from the CSV files *as written* (read back with the schema), so the
Rust test reads exactly the same values. Also times the QualityReport on the adult split
(26 049 real vs 26 049 synthetic rows) for the side-by-side with our Rust evaluation.
"""

import gzip
import io
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import scipy.stats as st
import sdmetrics
from sdmetrics.reports.single_table import QualityReport
from sdmetrics.reports import QualityReport as UnifiedQualityReport

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT / "data" / "adult"
OUT = ROOT / "crates" / "tabveil-eval" / "tests" / "data" / "parity"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


# ---------------------------------------------------------------------------------------------
# Reading CSVs with a tabveil schema, the way the Rust side reads them.

def read_table(path, schema):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        text = f.read()
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    out = {}
    for col in schema["columns"]:
        name, kind = col["name"], col["kind"]
        s = raw[name]
        missing = s == ""
        if kind == "continuous":
            out[name] = pd.to_numeric(s.where(~missing, None), errors="raise").astype(float)
        elif kind == "datetime":
            out[name] = pd.to_datetime(s.where(~missing, None), format=col["format"])
        elif kind == "boolean":
            labels = col.get("categories", ["false", "true"])
            out[name] = s.map({labels[0]: False, labels[1]: True}).where(~missing, np.nan)
            out[name] = out[name].astype(object)
        elif kind == "categorical":
            out[name] = s.where(~missing, np.nan).astype(object)
        elif kind == "id":
            out[name] = s
        else:
            raise ValueError(kind)
    return pd.DataFrame(out)


def sdmetrics_metadata(schema):
    columns = {}
    for col in schema["columns"]:
        kind = col["kind"]
        if kind == "continuous":
            columns[col["name"]] = {"sdtype": "numerical"}
        elif kind == "datetime":
            columns[col["name"]] = {"sdtype": "datetime", "datetime_format": DATETIME_FORMAT}
        elif kind == "id":
            columns[col["name"]] = {"sdtype": "id"}
        else:
            columns[col["name"]] = {"sdtype": kind}
    return {"columns": columns}


def write_csv_gz(df, schema, path):
    out = pd.DataFrame()
    for col in schema["columns"]:
        name, kind = col["name"], col["kind"]
        s = df[name]
        if kind == "datetime":
            out[name] = s.dt.strftime(col["format"]).where(s.notna(), "")
        elif kind == "boolean":
            out[name] = s.map({False: "false", True: "true"}).where(s.notna(), "")
        elif kind == "continuous":
            if col.get("integer"):
                out[name] = s.map(lambda v: "" if pd.isna(v) else str(int(v)))
            else:
                out[name] = s.map(lambda v: "" if pd.isna(v) else repr(float(v)))
        else:
            out[name] = s.where(s.notna(), "")
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    # mtime=0: byte-identical files on every run.
    with open(path, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as gz:
            gz.write(buf.getvalue().encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Synthetic tables.

def resample_columns(real, n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: real[c].to_numpy()[rng.integers(0, len(real), n)] for c in real.columns})


def uniform_within_schema(schema, n, seed, null_rate=0.05):
    rng = np.random.default_rng(seed)
    out = {}
    for col in schema["columns"]:
        name, kind = col["name"], col["kind"]
        if kind == "continuous":
            lo, hi = col["min"], col["max"]
            if col.get("integer"):
                v = rng.integers(int(lo), int(hi) + 1, n).astype(float)
            else:
                v = rng.uniform(lo, hi, n)
        elif kind in ("categorical", "boolean"):
            cats = col.get("categories", [False, True]) if kind == "categorical" else [False, True]
            v = np.array(cats, dtype=object)[rng.integers(0, len(cats), n)]
        else:
            raise ValueError(kind)
        v = pd.Series(v, dtype=object if kind != "continuous" else float)
        if col.get("nullable"):
            v[rng.random(n) < null_rate] = np.nan
        out[name] = v
    return pd.DataFrame(out)


MIXED_SCHEMA = {
    "name": "mixed",
    "description": "Generated for the tabveil-eval parity test (scripts/eval/sdmetrics_reference.py).",
    "columns": [
        {"name": "row_id", "kind": "id"},
        {"name": "x", "kind": "continuous", "min": -100, "max": 100, "nullable": True},
        {"name": "y", "kind": "continuous", "min": -1000, "max": 1000, "nullable": True},
        {"name": "level", "kind": "continuous", "min": 0, "max": 10, "integer": True},
        {"name": "constant", "kind": "continuous", "min": 0, "max": 10, "integer": True},
        {"name": "when", "kind": "datetime", "format": DATETIME_FORMAT,
         "min": "2000-01-01 00:00:00", "max": "2030-12-31 23:59:59", "nullable": True},
        {"name": "flag", "kind": "boolean", "nullable": True},
        {"name": "colour", "kind": "categorical", "categories": ["red", "green", "blue", "grey", "pink"],
         "nullable": True},
        {"name": "shade", "kind": "categorical", "categories": ["light", "dark", "neon"]},
        {"name": "rare", "kind": "categorical",
         "categories": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], "nullable": True},
    ],
}


def mixed_table(n, seed, noise=0.0, independent=False):
    """A table with strong dependencies (x→y, x→when, colour→shade, colour→flag)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 20, n).clip(-100, 100)
    y = (3 * x + rng.normal(0, 15 + 60 * noise, n)).clip(-1000, 1000)
    level = np.clip(np.round(np.abs(x) / 10 + rng.integers(0, 3, n)), 0, 10)
    constant = np.full(n, 7.0)
    base = pd.Timestamp("2015-06-01").value // 10**9
    when = base + (x * 86400 * 30).astype(np.int64) + rng.integers(0, 86400 * (5 + int(100 * noise)), n)
    colours = np.array(["red", "green", "blue", "grey", "pink"], dtype=object)
    colour_idx = rng.choice(5, n, p=[0.4, 0.25, 0.2, 0.1, 0.05] if noise == 0 else [0.3, 0.3, 0.2, 0.1, 0.1])
    shade_idx = np.where(rng.random(n) < 0.8 - noise, colour_idx % 3, rng.integers(0, 3, n))
    flag = (colour_idx < 2) ^ (rng.random(n) < 0.1 + noise)
    rare_cats = np.array(list("abcdefghij"), dtype=object)
    # Real data uses a..f only; noisy synthetic data also produces g..j (TV regularisation).
    rare = rare_cats[rng.integers(0, 6 if noise == 0 else 10, n)]
    df = pd.DataFrame({
        "row_id": [str(i + 1) for i in range(n)],
        "x": np.round(x, 6),
        "y": np.round(y, 3),
        "level": level,
        "constant": constant,
        "when": pd.to_datetime(when, unit="s"),
        "flag": pd.Series(flag, dtype=object),
        "colour": colours[colour_idx],
        "shade": np.array(["light", "dark", "neon"], dtype=object)[shade_idx],
        "rare": rare,
    })
    for name, rate in [("x", 0.03), ("y", 0.02), ("when", 0.02), ("flag", 0.04), ("colour", 0.05), ("rare", 0.1)]:
        mask = rng.random(n) < rate
        df.loc[mask, name] = np.nan if name != "when" else pd.NaT
    if independent:
        for c in df.columns:
            if c != "row_id":
                df[c] = df[c].sample(frac=1.0, random_state=int(rng.integers(0, 2**31))).to_numpy()
    return df


# ---------------------------------------------------------------------------------------------
# SDMetrics' numbers.

def nan_to_none(v):
    if v is None:
        return None
    if isinstance(v, (float, np.floating)) and math.isnan(v):
        return None
    if v is pd.NA:
        return None
    return float(v)


def quality(real, synthetic, schema):
    report = QualityReport()
    report.generate(real, synthetic, sdmetrics_metadata(schema), verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    shapes = report.get_details("Column Shapes")
    pairs = report.get_details("Column Pair Trends")
    return {
        "overall": nan_to_none(report.get_score()),
        "column_shapes": nan_to_none(props["Column Shapes"]),
        "column_pair_trends": nan_to_none(props["Column Pair Trends"]),
        "columns": [
            {"column": r["Column"], "metric": r["Metric"], "score": nan_to_none(r["Score"])}
            for _, r in shapes.iterrows()
        ],
        "pairs": [
            {
                "column_1": r["Column 1"],
                "column_2": r["Column 2"],
                "metric": r["Metric"],
                "score": nan_to_none(r["Score"]),
                "real_correlation": nan_to_none(r["Real Correlation"]),
                "real_association": nan_to_none(r["Real Association"]),
                "meets_threshold": bool(r["Meets Threshold?"]) if not pd.isna(r["Meets Threshold?"]) else False,
            }
            for _, r in pairs.iterrows()
        ],
    }


def two_sample(real, synthetic, schema):
    """SciPy's KS D, Wasserstein-1 and chi-square test of homogeneity (missing values dropped)."""
    out = []
    for col in schema["columns"]:
        name, kind = col["name"], col["kind"]
        r, s = real[name].dropna(), synthetic[name].dropna()
        if kind in ("continuous", "datetime"):
            if kind == "datetime":
                r, s = r.astype("int64") / 1e9, s.astype("int64") / 1e9
            out.append({
                "column": name,
                "ks_statistic": float(st.ks_2samp(r, s).statistic),
                "wasserstein": float(st.wasserstein_distance(r, s)),
            })
        elif kind in ("categorical", "boolean"):
            cats = sorted(set(r) | set(s), key=str)
            table = np.array([[int((r == c).sum()) for c in cats], [int((s == c).sum()) for c in cats]])
            if table.shape[1] < 2:
                continue
            res = st.chi2_contingency(table, correction=False)
            out.append({
                "column": name,
                "chi_square": float(res.statistic),
                "dof": int(res.dof),
                "p_value": float(res.pvalue),
            })
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    adult_schema = json.loads((ADULT / "schema.json").read_text())
    (OUT / "mixed_schema.json").write_text(json.dumps(MIXED_SCHEMA, indent=1) + "\n")

    # Adult: synthetic tables written as gzipped CSV, then read back like every table.
    train = read_table(ADULT / "train.csv", adult_schema)
    write_csv_gz(resample_columns(train, 10_000, seed=901), adult_schema, OUT / "adult_resampled.csv.gz")
    write_csv_gz(uniform_within_schema(adult_schema, 10_000, seed=902), adult_schema, OUT / "adult_uniform.csv.gz")
    # Mixed: real and two synthetic tables.
    write_csv_gz(mixed_table(3000, seed=911), MIXED_SCHEMA, OUT / "mixed_real.csv.gz")
    write_csv_gz(mixed_table(2500, seed=912, noise=0.3), MIXED_SCHEMA, OUT / "mixed_noisy.csv.gz")
    write_csv_gz(mixed_table(3000, seed=913, independent=True), MIXED_SCHEMA, OUT / "mixed_independent.csv.gz")

    cases = [
        # (case name, dataset, schema path, real csv, synthetic csv), paths relative to the repo.
        ("adult_copy", "data/adult/schema.json", "data/adult/train.csv", "data/adult/train.csv"),
        ("adult_holdout", "data/adult/schema.json", "data/adult/train.csv", "data/adult/holdout.csv"),
        ("adult_resampled", "data/adult/schema.json", "data/adult/train.csv", f"{OUT.relative_to(ROOT)}/adult_resampled.csv.gz"),
        ("adult_uniform", "data/adult/schema.json", "data/adult/train.csv", f"{OUT.relative_to(ROOT)}/adult_uniform.csv.gz"),
        ("mixed_copy", f"{OUT.relative_to(ROOT)}/mixed_schema.json", f"{OUT.relative_to(ROOT)}/mixed_real.csv.gz", f"{OUT.relative_to(ROOT)}/mixed_real.csv.gz"),
        ("mixed_noisy", f"{OUT.relative_to(ROOT)}/mixed_schema.json", f"{OUT.relative_to(ROOT)}/mixed_real.csv.gz", f"{OUT.relative_to(ROOT)}/mixed_noisy.csv.gz"),
        ("mixed_independent", f"{OUT.relative_to(ROOT)}/mixed_schema.json", f"{OUT.relative_to(ROOT)}/mixed_real.csv.gz", f"{OUT.relative_to(ROOT)}/mixed_independent.csv.gz"),
    ]
    results = []
    for name, schema_path, real_path, synthetic_path in cases:
        schema = json.loads((ROOT / schema_path).read_text())
        real = read_table(ROOT / real_path, schema)
        synthetic = read_table(ROOT / synthetic_path, schema)
        q = quality(real, synthetic, schema)
        entry = {
            "case": name,
            "schema": schema_path,
            "real": real_path,
            "synthetic": synthetic_path,
            "quality": q,
            "two_sample": two_sample(real, synthetic, schema),
        }
        if name == "mixed_noisy":
            # The unified report (sdmetrics.reports.QualityReport) must agree on single tables.
            unified = UnifiedQualityReport()
            unified.generate({"t": real}, {"t": synthetic},
                             {"tables": {"t": sdmetrics_metadata(schema)}}, verbose=False)
            entry["unified_overall"] = nan_to_none(unified.get_score())
        results.append(entry)
        print(f"{name:20s} overall={q['overall']:.6f} shapes={q['column_shapes']:.6f} "
              f"pairs={q['column_pair_trends']}", file=sys.stderr)

    # Timing: the QualityReport on the adult split, 26 049 real vs 26 049 synthetic rows.
    synthetic_full = resample_columns(train, len(train), seed=903)
    metadata = sdmetrics_metadata(adult_schema)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        QualityReport().generate(train, synthetic_full, metadata, verbose=False)
        timings.append(time.perf_counter() - start)
    print(f"QualityReport 26049 vs 26049: {[round(t, 2) for t in timings]} s", file=sys.stderr)

    doc = {
        "generator": "scripts/eval/sdmetrics_reference.py",
        "versions": {
            "sdmetrics": sdmetrics.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "python": sys.version.split()[0],
        },
        "cases": results,
        "timing_seconds_quality_report_adult_26049_vs_26049": timings,
    }
    (OUT / "sdmetrics_reference.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
