"""Fit, sample, conditions, report, save/load, pickling."""

import pickle

import pandas as pd
import pytest

import tabveil

from conftest import SCHEMA, make_frame


def test_samples_have_the_schema_dtypes(fitted, schema):
    rows = fitted.sample(300, seed=3)
    assert rows.shape == (300, 8)
    assert list(rows.columns) == schema.names
    assert str(rows["age"].dtype) == "int64"
    assert rows["age"].between(18, 90).all()
    assert str(rows["visits"].dtype) == "Int64"
    assert str(rows["income"].dtype) == "float64"
    assert isinstance(rows["city"].dtype, pd.CategoricalDtype)
    assert list(rows["city"].cat.categories) == ["north", "south", "east"]
    assert str(rows["member"].dtype) == "bool"
    assert str(rows["vip"].dtype) == "boolean"
    assert str(rows["joined"].dtype) == "datetime64[s]"
    # Nullable columns generate missing values; the others never do.
    assert rows["city"].isna().any() and rows["income"].isna().any()
    assert not rows["age"].isna().any()
    # Reproducible from the seed.
    pd.testing.assert_frame_equal(rows, fitted.sample(300, seed=3))
    assert fitted.sample(10, output="arrow").num_rows == 10


def test_conditions(fitted):
    rows = fitted.sample(50, conditions={"city": "east", "member": True}, seed=1)
    assert (rows["city"] == "east").all()
    assert rows["member"].all()
    missing = fitted.sample(20, conditions={"city": None}, seed=1)
    assert missing["city"].isna().all()
    with pytest.raises(tabveil.errors.TabveilError):
        fitted.sample(5, conditions={"city": "west"})


def test_non_private_report_says_so(fitted):
    assert fitted.epsilon_spent is None and fitted.ledger is None
    report = fitted.report()
    assert "no privacy guarantee" in report.to_markdown().lower()
    assert report.to_html().lstrip().lower().startswith("<!doctype html")
    assert report._repr_html_() == report.to_html()
    assert isinstance(report.to_dict(), dict)


def test_private_fit_spends_at_most_epsilon(schema):
    synth = tabveil.Synthesizer(
        "ctgan", epsilon=2.0, delta=1e-5, epochs=2, batch_size=100, seed=0, progress=False
    )
    synth.fit(make_frame(600), schema=schema)
    assert 0 < synth.epsilon_spent <= 2.0
    ledger = synth.ledger
    assert ledger and synth.is_private
    report = synth.report().to_dict()
    assert report  # the JSON report parses
    md = synth.report().to_markdown()
    assert md.startswith("# Privacy report: (ε = ")
    summary = synth.summary
    assert summary["private"]["estimated_rows"] > 0


def test_save_load_and_pickle(tmp_path, fitted):
    fitted.save(tmp_path / "model")
    again = tabveil.Synthesizer.load(tmp_path / "model")
    pd.testing.assert_frame_equal(again.sample(40, seed=5), fitted.sample(40, seed=5))
    assert again.model == "tvae" and not again.is_private
    clone = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(clone.sample(40, seed=5), fitted.sample(40, seed=5))


def test_every_model_name_reaches_the_library(schema):
    for model in ["ctgan", "tvae", "CTGAN"]:
        s = tabveil.Synthesizer(model, non_private=True, epochs=1)
        assert s.model == model.lower()
    with pytest.raises(tabveil.errors.ConfigError) as e:
        tabveil.Synthesizer("gan-of-the-future", non_private=True)
    assert e.value.parameter == "model"


def test_non_private_fit_without_schema_infers_one():
    frame = make_frame(200)
    synth = tabveil.Synthesizer("tvae", non_private=True, epochs=1, batch_size=50,
                                progress=False).fit(frame)
    assert synth.schema.names == list(frame.columns)


def test_polars_in_arrow_out():
    pl = pytest.importorskip("polars")
    synth = tabveil.Synthesizer("tvae", non_private=True, epochs=1, batch_size=50,
                                progress=False)
    synth.fit(pl.from_pandas(make_frame(200)), schema=SCHEMA)
    assert synth.sample(7, output="polars").shape == (7, 8)


UNIQUE = "Zz-held-by-one-row"
EXTREME = 987654


def _people_with_outliers(n=4000):
    """Ages and regions; row 17 holds a unique region and an extreme age."""
    regions = ["north", "south", "east", "west"]
    age = [18 + (i * 7) % 70 for i in range(n)]
    region = [regions[i % 4] for i in range(n)]
    age[17] = EXTREME
    region[17] = UNIQUE
    return pd.DataFrame({"age": age, "region": region})


# Public: names and kinds only. Private: categories, bounds, nullability.
KINDS = {
    "name": "people",
    "columns": [
        {"name": "age", "kind": "continuous", "integer": True},
        {"name": "region", "kind": "categorical"},
    ],
}


@pytest.mark.parametrize(
    "model, schedule",
    [("marginal", {}), ("tvae", {"epochs": 1, "batch_size": 400})],
)
def test_discover_schema_inline_for_every_model(model, schedule):
    synth = tabveil.Synthesizer(
        model,
        epsilon=3.0,
        delta=1e-6,
        discover_schema=0.2,
        seed=3,
        progress=False,
        **schedule,
    )
    synth.fit(_people_with_outliers(), schema=KINDS)
    # One ledger: the discovery's releases first, the whole run within ε and close to it.
    labels = [e["label"] for e in synth.ledger["entries"]]
    assert labels[0].startswith("schema discovery") and labels[1].startswith("schema discovery")
    assert not any(label.startswith("schema discovery") for label in labels[2:])
    assert 2.9 < synth.epsilon_spent <= 3.0
    # Nothing rare or extreme of the data in the saved model.
    saved = synth.schema.to_json()
    assert UNIQUE not in saved
    region = next(c for c in synth.schema.to_dict()["columns"] if c["name"] == "region")
    assert sorted(region["categories"]) == sorted(["north", "south", "east", "west", "(other)"])
    age = next(c for c in synth.schema.to_dict()["columns"] if c["name"] == "age")
    assert 0 < age["min"] and age["max"] < EXTREME
    rows = synth.sample(500, seed=1)
    assert len(rows) == 500 and rows["age"].max() < EXTREME


def test_discover_schema_without_a_schema_and_refusals():
    # Kinds discovered too: no schema at all.
    synth = tabveil.Synthesizer(
        "marginal", epsilon=3.0, delta=1e-6, discover_schema=0.3, progress=False
    )
    synth.fit(_people_with_outliers())
    assert synth.epsilon_spent <= 3.0
    assert UNIQUE not in synth.schema.to_json()
    # A share outside (0, 1), or discovery without privacy, is refused before anything is read.
    with pytest.raises(tabveil.errors.ConfigError):
        tabveil.Synthesizer("marginal", epsilon=3.0, delta=1e-6, discover_schema=1.0)
    with pytest.raises(tabveil.errors.ConfigError):
        tabveil.Synthesizer("tvae", non_private=True, discover_schema=0.3)


def test_target_and_memory_limit_reach_the_library(tmp_path, schema):
    # A limit below what the marginal model of this schema needs whatever the data: refused by
    # the validator, and by fit before any data is read.
    tiny = tabveil.Synthesizer("marginal", epsilon=3.0, delta=1e-6, memory_limit=1000)
    codes = [f["code"] for f in tiny.validate(schema, 600)["findings"]]
    assert "E-MODEL-TOO-WIDE" in codes
    with pytest.raises(tabveil.errors.PlanRejected) as refused:
        tiny.fit(make_frame(600), schema=schema)
    assert "E-MODEL-TOO-WIDE" in str(refused.value)
    unlimited = tabveil.Synthesizer("marginal", epsilon=3.0, delta=1e-6, memory_limit="none")
    assert "E-MODEL-TOO-WIDE" not in [f["code"] for f in unlimited.validate(schema, 600)["findings"]]
    for bad in (-5, 0, True, 1.5, "lots"):
        with pytest.raises(tabveil.errors.ConfigError) as e:
            tabveil.Synthesizer("marginal", epsilon=3.0, delta=1e-6, memory_limit=bad)
        assert e.value.parameter == "memory_limit"

    # The target the marginal model weighs (the schema's is `paid`), kept by save/load.
    synth = tabveil.Synthesizer(
        "marginal", epsilon=3.0, delta=1e-6, target="city", memory_limit=2**33, seed=0,
        progress=False,
    )
    synth.fit(make_frame(600), schema=schema)
    assert synth.epsilon_spent <= 3.0
    synth.save(tmp_path / "model")
    loaded = tabveil.Synthesizer.load(tmp_path / "model")
    assert loaded._settings["target"] == "city"
    # A model that weighs no target refuses one; an unknown column is refused by fit.
    with pytest.raises(tabveil.errors.ConfigError) as e:
        tabveil.Synthesizer("ctgan", epsilon=3.0, delta=1e-6, target="city")
    assert e.value.parameter == "target"
    with pytest.raises(tabveil.errors.ConfigError):
        tabveil.Synthesizer("marginal", epsilon=3.0, delta=1e-6, target="nope").fit(
            make_frame(600), schema=schema
        )
