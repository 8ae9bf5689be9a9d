//! tabveil's errors as the Python exceptions of `tabveil.errors` (defined in Python, so they
//! have docstrings and stubs), with their structured parts as attributes: the validator's
//! finding codes, the column and row of a data error, the ledger of a fit that had already
//! released statistics.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;
use tabveil::Error;
use tabveil::data::{DataError, Position};
use tabveil::models::ModelError;

/// A Python value from anything serialisable (through JSON: every structure we pass is small).
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    value: &impl Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// An instance of `tabveil.errors.<class>` with `message` and the attributes `attrs`.
pub(crate) fn exception(
    py: Python<'_>,
    class: &str,
    message: String,
    attrs: &Bound<'_, PyDict>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("tabveil.errors")?.getattr(class)?;
        let exc = cls.call1((message,))?;
        for (k, v) in attrs.iter() {
            exc.setattr(k.extract::<String>()?.as_str(), v)?;
        }
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// The facade's error as a `tabveil.errors` exception.
pub(crate) fn from_tabveil(py: Python<'_>, e: Error) -> PyErr {
    let attrs = PyDict::new(py);
    let message = e.to_string();
    let class = match &e {
        Error::Rejected { findings } => {
            let _ = attrs.set_item("findings", to_python(py, findings).ok());
            let codes: Vec<String> = findings
                .iter()
                .filter(|f| f.is_error())
                .map(|f| f.code.to_string())
                .collect();
            let _ = attrs.set_item("codes", codes);
            "PlanRejected"
        }
        Error::Data(d) | Error::Model(ModelError::Data(d)) => return from_data(py, d),
        Error::Model(m) => return from_model(py, m, message),
        Error::CorruptFit { .. } => "ModelFileError",
        Error::Io { path, .. } => {
            let _ = attrs.set_item("filename", path);
            "FileError"
        }
        _ => "TabveilError",
    };
    exception(py, class, message, &attrs)
}

/// A models-crate error: the releases of a failed private fit are kept on the exception.
pub(crate) fn from_model(py: Python<'_>, m: &ModelError, message: String) -> PyErr {
    let attrs = PyDict::new(py);
    if let Some(ledger) = m.spent_ledger() {
        let _ = attrs.set_item("ledger", to_python(py, ledger).ok());
    }
    let class = match m {
        ModelError::SpentThenFailed { error, .. } => {
            if let ModelError::Data(d) = error.as_ref() {
                let _ = set_data_attrs(d, &attrs);
            }
            "FitFailedAfterReleases"
        }
        ModelError::InvalidParameter { parameter, .. } => {
            let _ = attrs.set_item("parameter", *parameter);
            "ConfigError"
        }
        ModelError::Data(d) => return from_data(py, d),
        ModelError::Io { path, .. } => {
            let _ = attrs.set_item("filename", path);
            "FileError"
        }
        ModelError::CorruptModel { .. }
        | ModelError::ChecksumMismatch { .. }
        | ModelError::UnsupportedFormat { .. }
        | ModelError::WrongModelKind { .. }
        | ModelError::ParameterMismatch { .. } => "ModelFileError",
        ModelError::NoConditions
        | ModelError::DuplicateCondition { .. }
        | ModelError::ConditionTooRare { .. } => "ConditionError",
        _ => "ModelError",
    };
    exception(py, class, message, &attrs)
}

/// A data error: which column, which row, which kind of problem.
pub(crate) fn from_data(py: Python<'_>, d: &DataError) -> PyErr {
    let attrs = PyDict::new(py);
    let _ = set_data_attrs(d, &attrs);
    exception(py, "DataError", d.to_string(), &attrs)
}

fn set_data_attrs(d: &DataError, attrs: &Bound<'_, PyDict>) -> PyResult<()> {
    // The variant's name ("OutOfBounds", "UnknownCategory", …) as a stable kind.
    let debug = format!("{d:?}");
    let kind: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    attrs.set_item("kind", kind)?;
    let (column, at) = data_location(d);
    attrs.set_item("column", column)?;
    let (row, line) = match at {
        Some(Position::Row(r)) => (Some(r), None),
        Some(Position::Line(l)) => (None, Some(l)),
        None => (None, None),
    };
    attrs.set_item("row", row)?;
    attrs.set_item("line", line)?;
    Ok(())
}

fn data_location(d: &DataError) -> (Option<String>, Option<Position>) {
    match d {
        DataError::InvalidNumber { at, column, .. }
        | DataError::NonFiniteNumber { at, column, .. }
        | DataError::NotAnInteger { at, column, .. }
        | DataError::OutOfBounds { at, column, .. }
        | DataError::InvalidDatetime { at, column, .. }
        | DataError::DatetimeOutOfRange { at, column, .. }
        | DataError::NullInNonNullable { at, column }
        | DataError::UnknownCategory { at, column, .. }
        | DataError::WrongValueType { at, column, .. }
        | DataError::CategoryIndex { at, column, .. }
        | DataError::NotRepresentable { at, column, .. } => (Some(column.clone()), Some(*at)),
        DataError::ArrowType { column, .. }
        | DataError::MissingBounds { column }
        | DataError::MissingCategories { column }
        | DataError::NotConditionable { column }
        | DataError::NotACategory { column, .. }
        | DataError::UnknownColumn { column }
        | DataError::CategoryIsNullToken { column, .. }
        | DataError::DuplicateHeader { column } => (Some(column.clone()), None),
        _ => (None, None),
    }
}
