//! `tabveil.evaluate`: quality (SDMetrics-compatible), ML utility and leakage of a synthetic
//! table against the real one. Not private: it reads the real rows, and says so.

use pyo3::prelude::*;
use tabveil::eval::{EvaluationConfig, EvaluationReport};

use crate::errors::{self, to_python};
use crate::frames;
use crate::schema::PySchema;

/// An evaluation: the report as a dict, its text summary and its HTML page.
#[pyclass(module = "tabveil._tabveil", name = "Evaluation", frozen)]
#[derive(Debug)]
pub(crate) struct PyEvaluation {
    report: EvaluationReport,
}

#[pymethods]
impl PyEvaluation {
    /// The report as a dict (the JSON of ``tabveil evaluate --json``).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.report)
    }

    /// A self-contained HTML page with plots.
    fn to_html(&self, py: Python<'_>) -> PyResult<String> {
        self.report
            .to_html()
            .map_err(|e| errors::from_tabveil(py, e.into()))
    }

    /// The readable summary of ``tabveil evaluate``.
    fn summary(&self) -> String {
        self.report.summary()
    }
}

/// Evaluates `synthetic` against `real` (and `holdout`, real rows never used to fit), with the
/// GIL released.
#[pyfunction]
#[pyo3(signature = (
    real, synthetic, schema, *, holdout = None, target = None, positive_class = None,
    sensitive = None, seed = 0, threads = 2, null_values = None
))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn evaluate(
    py: Python<'_>,
    real: &Bound<'_, PyAny>,
    synthetic: &Bound<'_, PyAny>,
    schema: &PySchema,
    holdout: Option<&Bound<'_, PyAny>>,
    target: Option<String>,
    positive_class: Option<String>,
    sensitive: Option<String>,
    seed: u64,
    threads: usize,
    null_values: Option<Vec<String>>,
) -> PyResult<PyEvaluation> {
    let options = frames::read_options(null_values, "error", "error")?;
    let schema = &schema.inner;
    let (real, _) = frames::read(real, schema, &options)?;
    let (synthetic, _) = frames::read(synthetic, schema, &options)?;
    let holdout = holdout
        .map(|h| frames::read(h, schema, &options).map(|(t, _)| t))
        .transpose()?;
    let mut config = EvaluationConfig::default()
        .with_seed(seed)
        .with_threads(threads.max(1));
    if let Some(t) = target {
        config = config.with_target(t);
    }
    if let Some(c) = positive_class {
        config = config.with_positive_class(c);
    }
    if let Some(s) = sensitive {
        config = config.with_sensitive(s);
    }
    let report = py
        .detach(|| tabveil::eval::evaluate(schema, &real, &synthetic, holdout.as_ref(), &config))
        .map_err(|e| errors::from_tabveil(py, e.into()))?;
    Ok(PyEvaluation { report })
}
