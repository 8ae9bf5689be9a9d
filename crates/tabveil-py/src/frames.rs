//! Tables in and out of Python through the Arrow PyCapsule interface (`__arrow_c_stream__` /
//! `__arrow_c_array__`): pyarrow Tables, polars DataFrames, pandas DataFrames (converted to
//! Arrow on the Python side), anything else that speaks it. No CSV round trip.

use pyo3::prelude::*;
use pyo3_arrow::PyTable;
use pyo3_arrow::input::AnyRecordBatch;
use tabveil::data::{CsvOptions, CsvReport, ExtraColumns, OutOfBounds, RawTable, Schema, Table};

use crate::errors;

/// The reading options of `fit`, `evaluate`…: the CSV reader's policies, by name.
pub(crate) fn read_options(
    null_values: Option<Vec<String>>,
    out_of_bounds: &str,
    extra_columns: &str,
) -> PyResult<CsvOptions> {
    let bounds = match out_of_bounds {
        "error" => OutOfBounds::Error,
        "clip" => OutOfBounds::Clip,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "out_of_bounds={other:?}: expected \"error\" or \"clip\""
            )));
        }
    };
    let extra = match extra_columns {
        "error" => ExtraColumns::Reject,
        "ignore" => ExtraColumns::Ignore,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "extra_columns={other:?}: expected \"error\" or \"ignore\""
            )));
        }
    };
    Ok(CsvOptions::default()
        .with_null_tokens(null_values.unwrap_or_default())
        .with_out_of_bounds(bounds)
        .with_extra_columns(extra))
}

/// Reads an Arrow-compatible Python object as text (a [`RawTable`]: what private schema
/// discovery reads), each cell as Arrow writes it, null tokens of `options` missing.
pub(crate) fn read_raw(data: &Bound<'_, PyAny>, options: &CsvOptions) -> PyResult<RawTable> {
    let py = data.py();
    let input: AnyRecordBatch = data.extract().map_err(|_| not_a_frame(data))?;
    let reader = input.into_reader()?;
    let arrow_schema = reader.schema();
    tabveil::data::read_raw_arrow(&arrow_schema, reader, options)
        .map_err(|e| errors::from_data(py, &e))
}

/// The error for an object that is not a frame.
fn not_a_frame(data: &Bound<'_, PyAny>) -> PyErr {
    pyo3::exceptions::PyTypeError::new_err(format!(
        "expected a pandas or polars DataFrame, or an Arrow table (an object with \
         __arrow_c_stream__), got {}",
        data.get_type()
    ))
}

/// Reads an Arrow-compatible Python object into a table checked against `schema`, with the
/// reader's notes as sentences (for Python warnings).
pub(crate) fn read(
    data: &Bound<'_, PyAny>,
    schema: &Schema,
    options: &CsvOptions,
) -> PyResult<(Table, Vec<String>)> {
    let py = data.py();
    let input: AnyRecordBatch = data.extract().map_err(|_| not_a_frame(data))?;
    let reader = input.into_reader()?;
    let arrow_schema = reader.schema();
    let (table, report) = tabveil::data::read_arrow_batches(&arrow_schema, reader, schema, options)
        .map_err(|e| errors::from_data(py, &e))?;
    Ok((table, notes(&report)))
}

/// The reader's notes, as sentences.
fn notes(report: &CsvReport) -> Vec<String> {
    report
        .notes()
        .iter()
        .map(|note| match note {
            tabveil::data::CsvNote::IgnoredColumns { columns } => {
                format!(
                    "ignored column(s) not in the schema: {}",
                    columns.join(", ")
                )
            }
            tabveil::data::CsvNote::CategoriesFromData { column } => format!(
                "the categories of column `{column}` were read from the data: not private \
                 (private mode refuses it); declare them in the schema"
            ),
            other => format!("{other:?}"),
        })
        .collect()
}

/// The table as an Arrow table object (`__arrow_c_stream__`), typed by
/// `tabveil.data.arrow_schema`: int64 / float64 / timestamp[s] / dictionary / bool.
pub(crate) fn write<'py>(
    py: Python<'py>,
    table: &Table,
    schema: &Schema,
) -> PyResult<Bound<'py, PyAny>> {
    let batch = table
        .to_arrow(schema)
        .map_err(|e| errors::from_data(py, &e))?;
    let arrow_schema = batch.schema();
    let table = PyTable::try_new(vec![batch], arrow_schema)?;
    Ok(table.into_pyobject(py)?.into_any())
}

/// Reads `data` against `schema` as `fit` does and gives the table back (Arrow, typed by the
/// schema), with the reader's notes: `tabveil.read_table`.
#[pyfunction]
#[pyo3(signature = (data, schema, *, null_values = None, out_of_bounds = "error", extra_columns = "error"))]
pub(crate) fn read_table<'py>(
    data: &Bound<'py, PyAny>,
    schema: &crate::schema::PySchema,
    null_values: Option<Vec<String>>,
    out_of_bounds: &str,
    extra_columns: &str,
) -> PyResult<(Bound<'py, PyAny>, Vec<String>)> {
    let options = read_options(null_values, out_of_bounds, extra_columns)?;
    let (table, notes) = read(data, &schema.inner, &options)?;
    Ok((write(data.py(), &table, &schema.inner)?, notes))
}
