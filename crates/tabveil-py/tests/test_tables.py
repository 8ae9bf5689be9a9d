"""Tables in and out: pandas, polars and Arrow read the same; dtypes come back faithfully."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import tabveil


def test_pandas_round_trip_keeps_values_nulls_and_dtypes(frame, schema):
    back = tabveil.read_table(frame, schema)
    assert list(back.columns) == schema.names
    assert str(back["age"].dtype) == "int64"
    assert str(back["income"].dtype) == "float64"
    assert str(back["visits"].dtype) == "Int64"
    assert isinstance(back["city"].dtype, pd.CategoricalDtype)
    assert list(back["city"].cat.categories) == ["north", "south", "east"]
    assert str(back["member"].dtype) == "bool"
    assert str(back["vip"].dtype) == "boolean"
    assert str(back["joined"].dtype) == "datetime64[s]"
    assert isinstance(back["paid"].dtype, pd.CategoricalDtype)
    for column in frame.columns:
        a, b = frame[column], back[column]
        assert a.isna().tolist() == b.isna().tolist(), column
        mask = ~a.isna().to_numpy()
        assert a[mask].astype(str).tolist() == b[mask].astype(str).tolist(), column
    # Float values come back bit for bit.
    assert np.array_equal(frame["income"].to_numpy(), back["income"].to_numpy(), equal_nan=True)


def test_polars_pyarrow_and_pandas_inputs_read_the_same(frame, schema):
    pl = pytest.importorskip("polars")
    expected = tabveil.read_table(frame, schema, output="arrow")
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    assert tabveil.read_table(arrow, schema, output="arrow").equals(expected)
    polars = pl.from_pandas(frame)
    assert tabveil.read_table(polars, schema, output="arrow").equals(expected)
    assert tabveil.read_table(frame, schema, output="polars").shape == frame.shape


def test_object_and_string_columns_are_parsed_like_csv_fields(schema):
    df = pd.DataFrame(
        {
            "age": ["31", "45"],
            "income": ["1.5", None],
            "visits": [1.0, np.nan],
            "city": ["north", "?"],
            "member": ["yes", "no"],
            "vip": [True, None],
            "joined": ["2001-02-03 04:05:06", None],
            "paid": ["no", "yes"],
        }
    )
    back = tabveil.read_table(df, schema, null_values=["?"])
    assert back["age"].tolist() == [31, 45]
    assert back["city"].isna().tolist() == [False, True]
    assert back["member"].tolist() == [True, False]
    assert back["joined"][0] == pd.Timestamp("2001-02-03 04:05:06")


def test_the_index_is_not_a_column(frame, schema):
    indexed = frame.set_index(pd.Index(range(1000, 1000 + len(frame))))
    assert tabveil.read_table(indexed, schema).shape == frame.shape


def test_extra_columns_and_out_of_bounds_follow_the_options(frame, schema):
    wider = frame.assign(extra=1)
    with pytest.raises(tabveil.errors.DataError) as e:
        tabveil.read_table(wider, schema)
    assert e.value.kind == "UnexpectedColumns"
    with pytest.warns(UserWarning, match="ignored column"):
        assert tabveil.read_table(wider, schema, extra_columns="ignore").shape == frame.shape
    old = frame.copy()
    old.loc[7, "age"] = 120
    clipped = tabveil.read_table(old, schema, out_of_bounds="clip")
    assert clipped["age"][7] == 90


def test_infer_schema_warns_that_it_is_not_private(frame):
    with pytest.warns(tabveil.NotPrivateWarning, match="NOT PRIVATE"):
        inferred = tabveil.infer_schema(frame, "people")
    d = inferred.to_dict()
    kinds = {c["name"]: c["kind"] for c in d["columns"]}
    assert kinds["age"] == "continuous"
    assert kinds["city"] == "categorical"
    assert kinds["member"] == "boolean"
    assert kinds["joined"] == "datetime"
    assert {c["name"]: c.get("nullable", False) for c in d["columns"]}["visits"] is True
    # The inferred schema reads the data it came from.
    assert tabveil.read_table(frame, inferred).shape == frame.shape


def test_schema_from_dict_json_path_and_pickle(tmp_path, schema):
    import json
    import pickle

    path = tmp_path / "schema.json"
    path.write_text(schema.to_json())
    assert tabveil.Schema(str(path)) == schema
    assert tabveil.Schema(path) == schema
    assert tabveil.Schema(json.dumps(schema.to_dict())) == schema
    assert pickle.loads(pickle.dumps(schema)) == schema
    assert schema.names[0] == "age" and len(schema) == 8
    with pytest.raises(tabveil.errors.DataError):
        tabveil.Schema({"name": "x", "columns": [{"name": "a", "kind": "nope"}]})


def test_adult_dataset_is_bundled():
    adult = tabveil.datasets.adult()
    schema = tabveil.datasets.adult_schema()
    assert adult.shape == (26049, 15)
    assert list(adult.columns) == schema.names
    assert isinstance(adult["workclass"].dtype, pd.CategoricalDtype)
    assert adult["workclass"].isna().any()
    assert tabveil.datasets.adult("holdout").shape[1] == 15
    assert "CC BY 4.0" in tabveil.datasets.adult_license()
