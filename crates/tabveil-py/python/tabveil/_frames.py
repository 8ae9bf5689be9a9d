"""Tables in and out: pandas, polars and Arrow, through the Arrow PyCapsule interface."""

from __future__ import annotations

from typing import Any

OUTPUTS = ("pandas", "arrow", "polars")


def to_arrow(data: Any) -> Any:
    """An object tabveil's native module reads (``__arrow_c_stream__``), without a CSV trip.

    pandas DataFrames go through ``pyarrow.Table.from_pandas`` (the index is dropped; NaN in a
    float column is a missing value, as in pandas); pyarrow tables and polars DataFrames are
    read as they are.
    """
    module = type(data).__module__
    if module.startswith("pandas"):
        import pyarrow as pa

        return pa.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
        return data
    if module.startswith("polars") and hasattr(data, "to_arrow"):
        return data.to_arrow()
    raise TypeError(
        "expected a pandas or polars DataFrame or a pyarrow Table, got "
        f"{type(data).__module__}.{type(data).__name__}"
    )


def from_arrow(table: Any, output: str) -> Any:
    """The native module's Arrow table as ``output``: ``"pandas"``, ``"arrow"`` or ``"polars"``."""
    import pyarrow as pa

    t = pa.table(table)
    if output == "arrow":
        return t
    if output == "polars":
        import polars as pl

        return pl.from_arrow(t)
    if output == "pandas":
        return to_pandas(t)
    raise ValueError(f"output={output!r}: expected one of {OUTPUTS}")


def to_pandas(t: Any) -> Any:
    """A pandas DataFrame with faithful dtypes.

    integer columns are ``int64`` (``Int64`` when nullable), booleans ``bool`` (``boolean``
    when nullable), categorical columns ``category`` with the schema's categories in order,
    datetimes ``datetime64[s]`` (``NaT`` when missing), other numbers ``float64`` (``NaN`` when
    missing).
    """
    import pandas as pd
    import pyarrow as pa

    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    df = t.to_pandas(types_mapper=mapping.get)
    for field in t.schema:
        if field.nullable:
            continue
        if pa.types.is_int64(field.type):
            df[field.name] = df[field.name].astype("int64")
        elif pa.types.is_boolean(field.type):
            df[field.name] = df[field.name].astype("bool")
    return df
