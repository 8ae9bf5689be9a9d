//! `tabveil.Schema` and `tabveil.infer_schema`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3_arrow::input::AnyRecordBatch;
use tabveil::data::{CsvOptions, Schema};

use crate::errors;

/// The public description of a table: column kinds, bounds, categories (the JSON format of
/// ``tabveil schema infer`` and ``data/adult/schema.json``).
///
/// ``Schema(source)`` takes a dict, a JSON string, a path to a JSON file, or a Schema. Bounds and
/// categories are public knowledge you vouch for: in private mode they must not come from the
/// data.
#[pyclass(module = "tabveil._tabveil", name = "Schema", frozen, eq)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PySchema {
    pub(crate) inner: Schema,
}

impl PySchema {
    pub(crate) fn from_json_text(py: Python<'_>, text: &str) -> PyResult<Self> {
        Schema::from_json(text)
            .map(|inner| PySchema { inner })
            .map_err(|e| errors::from_data(py, &e))
    }
}

#[pymethods]
impl PySchema {
    #[new]
    fn new(source: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = source.py();
        if let Ok(s) = source.cast::<PySchema>() {
            return Ok(s.get().clone());
        }
        if source.is_instance_of::<PyDict>() {
            let text: String = py
                .import("json")?
                .call_method1("dumps", (source,))?
                .extract()?;
            return Self::from_json_text(py, &text);
        }
        if source.is_instance_of::<PyString>() {
            let text: String = source.extract()?;
            if text.trim_start().starts_with('{') {
                return Self::from_json_text(py, &text);
            }
        }
        // A path (str or os.PathLike).
        let path: std::path::PathBuf = source.extract().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "Schema() takes a dict, a JSON string, a path to a JSON file, or a Schema",
            )
        })?;
        Schema::from_path(&path)
            .map(|inner| PySchema { inner })
            .map_err(|e| errors::from_data(py, &e))
    }

    /// A schema from JSON text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Self::from_json_text(py, text)
    }

    /// The schema as pretty-printed JSON.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.to_json().map_err(|e| errors::from_data(py, &e))
    }

    /// The schema as a dict (the JSON format).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?
            .call_method1("loads", (self.to_json(py)?,))
    }

    /// The schema's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    /// The column names, in order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.inner
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect()
    }

    /// The prediction target, if declared.
    #[getter]
    fn target(&self) -> Option<String> {
        self.inner.target().map(str::to_owned)
    }

    fn __len__(&self) -> usize {
        self.inner.n_columns()
    }

    fn __repr__(&self) -> String {
        let columns: Vec<String> = self
            .inner
            .columns()
            .iter()
            .map(|c| format!("{}: {}", c.name(), c.kind().as_str()))
            .collect();
        format!("Schema({:?}, [{}])", self.inner.name(), columns.join(", "))
    }

    fn __reduce__(&self, py: Python<'_>) -> PyResult<(Py<PyAny>, (String,))> {
        let cls = py.get_type::<PySchema>().getattr("from_json")?.unbind();
        Ok((cls, (self.to_json(py)?,)))
    }
}

/// Infers a draft schema from Arrow-compatible data; returns it with the not-private warning
/// text (the Python wrapper raises it as a warning).
#[pyfunction]
#[pyo3(signature = (data, name = "table".to_owned(), null_values = None))]
pub(crate) fn infer_schema(
    data: &Bound<'_, PyAny>,
    name: String,
    null_values: Option<Vec<String>>,
) -> PyResult<(PySchema, String, Vec<String>)> {
    let py = data.py();
    let input: AnyRecordBatch = data.extract()?;
    let reader = input.into_reader()?;
    let arrow_schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let options = CsvOptions::default().with_null_tokens(null_values.unwrap_or_default());
    let inferred = tabveil::data::infer_schema_arrow(&arrow_schema, &batches, &name, &options)
        .map_err(|e| errors::from_data(py, &e))?;
    Ok((
        PySchema {
            inner: inferred.schema,
        },
        inferred.warning.to_string(),
        inferred.warning.columns,
    ))
}
