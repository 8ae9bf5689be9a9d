//! The bundled demo data, UCI Adult (CC BY 4.0; `data/adult/LICENSE.md`), compiled into the
//! module from the `tabveil-datasets` crate so that `tabveil.datasets.adult()` works right after
//! `pip install` (and the crate, like an sdist, holds no path outside itself).

use pyo3::prelude::*;
use tabveil::data::{CsvOptions, Schema, read_csv};
use tabveil_datasets::adult as bundled;

use crate::errors;
use crate::frames;
use crate::schema::PySchema;

const SCHEMA: &str = bundled::SCHEMA_JSON;

/// The public schema of the Adult data.
#[pyfunction]
pub(crate) fn adult_schema(py: Python<'_>) -> PyResult<PySchema> {
    PySchema::from_json_text(py, SCHEMA)
}

/// The Adult rows of `split` (`"train"` or `"holdout"`) as an Arrow table.
#[pyfunction]
#[pyo3(signature = (split = "train"))]
pub(crate) fn adult<'py>(py: Python<'py>, split: &str) -> PyResult<Bound<'py, PyAny>> {
    let bytes = match split {
        "train" => bundled::train_csv(),
        "holdout" => bundled::holdout_csv(),
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "split={other:?}: expected \"train\" or \"holdout\""
            )));
        }
    }
    .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let schema = Schema::from_json(SCHEMA).map_err(|e| errors::from_data(py, &e))?;
    let (table, _) = read_csv(bytes.as_slice(), &schema, &CsvOptions::default())
        .map_err(|e| errors::from_data(py, &e))?;
    frames::write(py, &table, &schema)
}

/// The licence and provenance of the Adult data.
#[pyfunction]
pub(crate) fn adult_license() -> &'static str {
    bundled::LICENSE
}
