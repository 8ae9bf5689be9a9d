"""Reference ROC AUCs for tabveil-eval's TSTR/TRTR classifier, from scikit-learn.

tabveil-eval's classifier (crates/tabveil-eval/src/utility/boosting/) is a histogram
gradient-boosting machine with scikit-learn's `HistGradientBoostingClassifier` defaults (binary
log-loss, 100 iterations, learning rate 0.1, 31 leaves, at least 20 rows per leaf, 255 bins plus
one for missing values, no L2) except early stopping, which it does not do. This script fits
scikit-learn's classifier on the same features, encoded the way tabveil-eval encodes them:

- every column but the target and identifiers;
- a continuous value as a float, a missing one as NaN;
- a categorical value as its index in the schema's category list (ordinal code), a missing one
  as NaN; scikit-learn is not told which columns are categorical, as tabveil-eval does not
  split on categories natively either;
- rows whose target is missing are left out; the label is `target == positive_class`.

For each case it prints (and with --out writes as JSON) the holdout ROC AUC of scikit-learn with
`early_stopping=False` (like for like) and with its default (`early_stopping="auto"`, on above
10 000 rows: a stratified 10 % validation split, so it depends on random_state).

Usage (from the repository root; the venv needs scikit-learn and pandas):

    python scripts/eval/hgb_reference.py                      # the committed cases
    python scripts/eval/hgb_reference.py --out crates/tabveil-eval/tests/data/hgb_reference.json
    python scripts/eval/hgb_reference.py --case NAME TRAIN.csv[.gz]   # add a case, e.g. a
                                                              # synthetic table (TSTR)

Paths are relative to the repository root; the schema and the holdout are
data/adult/schema.json and data/adult/holdout.csv unless --schema / --holdout say otherwise.
"""

import argparse
import json
import math
import pathlib
import platform
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The committed cases: (name, training table, first rows only or None).
CASES = [
    ("adult_trtr", "data/adult/train.csv", None),
    ("adult_trtr_first_2000", "data/adult/train.csv", 2000),
    ("adult_resampled_tstr", "crates/tabveil-eval/tests/data/parity/adult_resampled.csv.gz", None),
    ("dpctgan_eps3_tstr", "crates/tabveil-eval/tests/data/dpctgan_adult_eps3_5000.csv.gz", None),
]


def encode(path, schema, first=None):
    """Features (float matrix, NaN missing) and labels of the rows whose target is present."""
    frame = pd.read_csv(ROOT / path, dtype=str, keep_default_na=False)
    if first is not None:
        frame = frame.iloc[:first]
    target = schema["target"]
    labels = frame[target]
    keep = (labels != "").to_numpy()
    y = (labels[keep] == schema["positive_class"]).to_numpy()
    columns = []
    for column in schema["columns"]:
        name, kind = column["name"], column["kind"]
        if name == target or kind == "id":
            continue
        raw = frame[name][keep]
        if kind == "categorical":
            codes = {c: float(i) for i, c in enumerate(column["categories"])}
            values = raw.map(lambda v: codes[v] if v != "" else math.nan)
        elif kind == "continuous":
            values = raw.map(lambda v: float(v) if v != "" else math.nan)
        else:
            sys.exit(f"column {name}: kind {kind} is not handled by this script")
        columns.append(values.to_numpy(dtype=np.float64))
    return np.column_stack(columns), y


def auc(x, y, x_test, y_test, early_stopping):
    model = HistGradientBoostingClassifier(early_stopping=early_stopping, random_state=0)
    start = time.perf_counter()
    model.fit(x, y)
    seconds = time.perf_counter() - start
    p = model.predict_proba(x_test)[:, 1]
    return float(roc_auc_score(y_test, p)), int(model.n_iter_), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schema", default="data/adult/schema.json")
    parser.add_argument("--holdout", default="data/adult/holdout.csv")
    parser.add_argument("--case", nargs=2, action="append", metavar=("NAME", "TRAIN"), default=[])
    parser.add_argument("--only-extra", action="store_true", help="skip the committed cases")
    parser.add_argument("--out", help="write the results as JSON (path relative to the repository root)")
    args = parser.parse_args()

    schema = json.loads((ROOT / args.schema).read_text())
    x_test, y_test = encode(args.holdout, schema)
    cases = [] if args.only_extra else list(CASES)
    cases += [(name, path, None) for name, path in args.case]
    results = {}
    for name, path, first in cases:
        x, y = encode(path, schema, first)
        auc_fixed, iters_fixed, secs_fixed = auc(x, y, x_test, y_test, False)
        auc_default, iters_default, _ = auc(x, y, x_test, y_test, "auto")
        results[name] = {
            "train": path,
            "first_rows": first,
            "train_rows": int(len(y)),
            "holdout_rows": int(len(y_test)),
            "roc_auc_no_early_stopping": auc_fixed,
            "roc_auc_default": auc_default,
            "iterations_default": iters_default,
        }
        print(
            f"{name:28} rows {len(y):6}  ROC AUC {auc_fixed:.4f} (100 iterations, {secs_fixed:.2f} s)"
            f"  {auc_default:.4f} (sklearn default: early stopping after {iters_default})"
        )
    if args.out:
        out = {
            "generator": "scripts/eval/hgb_reference.py",
            "versions": {
                "python": platform.python_version(),
                "scikit-learn": sklearn.__version__,
                "numpy": np.__version__,
                "pandas": pd.__version__,
            },
            "model": "HistGradientBoostingClassifier(random_state=0), defaults otherwise",
            "schema": args.schema,
            "holdout": args.holdout,
            "cases": results,
        }
        (ROOT / args.out).write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
