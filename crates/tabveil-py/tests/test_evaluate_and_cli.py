"""tabveil.evaluate, and the model files shared with the `tabveil` command."""

import subprocess

import pandas as pd

import tabveil

from conftest import SCHEMA, cli, make_frame


def test_evaluate_returns_a_dict_and_html(fitted, schema):
    real, holdout = make_frame(400, seed=0), make_frame(200, seed=9)
    fake = fitted.sample(400, seed=2)
    result = tabveil.evaluate(real, fake, schema, holdout=holdout, target="paid")
    assert 0 < result["quality"]["overall"] <= 1
    assert isinstance(result.to_dict(), dict)
    assert result["ml"]["tstr"]["roc_auc"] is not None
    assert result.to_html().lstrip().lower().startswith("<!doctype html")
    assert "quality" in result.summary().lower()
    # The real table against itself scores 1 on column shapes.
    same = tabveil.evaluate(real, real, schema)
    assert same["quality"]["column_shapes"] == 1.0


def test_a_model_saved_in_python_samples_from_the_command_line(tmp_path, fitted):
    tabveil_bin = cli()
    fitted.save(tmp_path / "model")
    out = tmp_path / "rows.parquet"
    subprocess.run([tabveil_bin, "sample", "--model", str(tmp_path / "model"), "--rows", "30",
                    "--seed", "4", "--out", str(out), "--quiet"], check=True)
    from_cli = pd.read_parquet(out)
    pd.testing.assert_frame_equal(
        tabveil.read_table(from_cli, fitted.schema), fitted.sample(30, seed=4)
    )


def test_a_model_fitted_by_the_command_line_loads_in_python(tmp_path, schema):
    tabveil_bin = cli()
    make_frame(300).to_parquet(tmp_path / "train.parquet", index=False)
    (tmp_path / "schema.json").write_text(schema.to_json())
    subprocess.run([tabveil_bin, "fit", "--data", str(tmp_path / "train.parquet"), "--schema",
                    str(tmp_path / "schema.json"), "--model", "tvae", "--epsilon", "3",
                    "--delta", "1e-5", "--epochs", "2", "--batch-size", "100", "--quiet",
                    "--out", str(tmp_path / "model")], check=True, capture_output=True)
    synth = tabveil.Synthesizer.load(tmp_path / "model")
    assert synth.is_private and 0 < synth.epsilon_spent <= 3
    assert synth.sample(10).shape == (10, len(SCHEMA["columns"]))
    report = subprocess.run([tabveil_bin, "report", "--model", str(tmp_path / "model"),
                             "--format", "md"], check=True, capture_output=True, text=True)
    assert report.stdout == synth.report().to_markdown()
