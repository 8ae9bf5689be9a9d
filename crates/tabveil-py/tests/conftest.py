"""Shared fixtures: a small table of every column kind, as pandas, polars and Arrow."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(os.environ.get("TABVEIL_REPO", Path(__file__).resolve().parents[3]))

SCHEMA = {
    "name": "people",
    "target": "paid",
    "positive_class": "yes",
    "columns": [
        {"name": "age", "kind": "continuous", "min": 18, "max": 90, "integer": True},
        {"name": "income", "kind": "continuous", "min": 0, "max": 200000, "nullable": True},
        {"name": "visits", "kind": "continuous", "min": 0, "max": 50, "integer": True, "nullable": True},
        {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"], "nullable": True},
        {"name": "member", "kind": "boolean"},
        {"name": "vip", "kind": "boolean", "nullable": True},
        {"name": "joined", "kind": "datetime", "format": "%Y-%m-%d %H:%M:%S",
         "min": "2000-01-01 00:00:00", "max": "2030-01-01 00:00:00", "nullable": True},
        {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]},
    ],
}


def make_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A pandas DataFrame with pandas' own dtypes for each kind, and missing values."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 91, n)
    income = np.round(rng.lognormal(10, 0.5, n), 2).clip(0, 200000)
    income[rng.random(n) < 0.1] = np.nan
    visits = pd.array(rng.integers(0, 51, n), dtype="Int64")
    visits[rng.random(n) < 0.1] = pd.NA
    city = pd.Categorical(
        rng.choice(["north", "south", "east"], n), categories=["north", "south", "east"]
    )
    city[rng.random(n) < 0.1] = np.nan
    member = rng.random(n) < 0.6
    vip = pd.array(rng.random(n) < 0.2, dtype="boolean")
    vip[rng.random(n) < 0.1] = pd.NA
    joined = pd.to_datetime(
        rng.integers(946_684_800, 1_893_456_000, n), unit="s"
    ).as_unit("s").to_series().reset_index(drop=True)
    joined[rng.random(n) < 0.1] = pd.NaT
    paid = np.where(age > 50, "yes", "no")
    return pd.DataFrame(
        {
            "age": age.astype("int64"),
            "income": income,
            "visits": visits,
            "city": city,
            "member": member,
            "vip": vip,
            "joined": joined,
            "paid": paid,
        }
    )


@pytest.fixture
def schema():
    import tabveil

    return tabveil.Schema(SCHEMA)


@pytest.fixture
def frame():
    return make_frame()


@pytest.fixture(scope="session")
def fitted():
    """A quick non-private TVAE fit, shared by the read-only tests."""
    import tabveil

    synth = tabveil.Synthesizer("tvae", non_private=True, epochs=3, batch_size=100, seed=1,
                                progress=False)
    return synth.fit(make_frame(), schema=tabveil.Schema(SCHEMA))


def cli():
    """The `tabveil` command, when the test run was given it (CI builds it)."""
    path = os.environ.get("TABVEIL_CLI")
    if not path:
        pytest.skip("set TABVEIL_CLI to the tabveil binary to run the CLI interoperability tests")
    return path
