//! The bundled demo data, UCI Adult (CC BY 4.0; `data/adult/LICENSE.md`), compiled into the
//! module so that `tabveil.datasets.adult()` works right after `pip install`.

use pyo3::prelude::*;
use tabveil::data::{CsvOptions, Schema, read_csv};

use crate::errors;
use crate::frames;
use crate::schema::PySchema;

// The package is built from this workspace (maturin); it is never published as a crate.
const SCHEMA: &str = include_str!("../../../data/adult/schema.json");
const TRAIN: &[u8] = include_bytes!("../../../data/adult/train.csv");
const HOLDOUT: &[u8] = include_bytes!("../../../data/adult/holdout.csv");
const LICENSE: &str = include_str!("../../../data/adult/LICENSE.md");

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
        "train" => TRAIN,
        "holdout" => HOLDOUT,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "split={other:?}: expected \"train\" or \"holdout\""
            )));
        }
    };
    let schema = Schema::from_json(SCHEMA).map_err(|e| errors::from_data(py, &e))?;
    let (table, _) =
        read_csv(bytes, &schema, &CsvOptions::default()).map_err(|e| errors::from_data(py, &e))?;
    frames::write(py, &table, &schema)
}

/// The licence and provenance of the Adult data.
#[pyfunction]
pub(crate) fn adult_license() -> &'static str {
    LICENSE
}
