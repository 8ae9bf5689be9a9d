//! `Config` (a checked synthesizer configuration that fits tables) and `Fitted` (a fitted
//! model: sample, report, ledger, save and load). The Python class `tabveil.Synthesizer`
//! wraps both.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use tabveil::accountant::AccountantSpec;
use tabveil::builder::{Ready, SynthesizerBuilder};
use tabveil::models::{Condition, ModelKind};
use tabveil::{Delta, Epsilon, Fitted, Synthesizer};

use crate::errors::{self, exception, to_python};
use crate::frames;
use crate::progress::{Cancel, PyProgress};
use crate::schema::PySchema;

/// A checked synthesizer configuration: the model (by name, so every model of the library is
/// reachable) and its privacy choice.
#[pyclass(module = "tabveil._tabveil", name = "Config", frozen)]
#[derive(Debug)]
pub(crate) struct PyConfig {
    synth: Synthesizer,
    /// Built with a discovery share: `fit` then discovers the schema privately.
    discovering: bool,
}

fn config_error(py: Python<'_>, parameter: &str, message: String) -> PyErr {
    let attrs = PyDict::new(py);
    let _ = attrs.set_item("parameter", parameter);
    exception(py, "ConfigError", message, &attrs)
}

/// `memory_limit=`: a number of bytes, or the text ``"none"`` (no limit).
#[derive(Debug, Clone, Copy)]
enum MemoryLimitArg {
    Bytes(u64),
    Unlimited,
}

impl<'py> FromPyObject<'_, 'py> for MemoryLimitArg {
    type Error = PyErr;

    fn extract(value: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let py = value.py();
        if let Ok(text) = value.extract::<String>() {
            if text.eq_ignore_ascii_case("none") {
                return Ok(MemoryLimitArg::Unlimited);
            }
        } else if !value.is_instance_of::<pyo3::types::PyBool>()
            && let Ok(bytes) = value.extract::<u64>()
            && bytes > 0
        {
            return Ok(MemoryLimitArg::Bytes(bytes));
        }
        Err(config_error(
            py,
            "memory_limit",
            format!(
                "memory_limit={}: expected a positive number of bytes (e.g. 8 * 2**30) or \"none\"",
                value.repr().map(|r| r.to_string()).unwrap_or_default()
            ),
        ))
    }
}

#[pymethods]
impl PyConfig {
    #[new]
    #[pyo3(signature = (
        model, *, epsilon = None, delta = None, non_private = false, epochs = None,
        batch_size = None, seed = None, clipping_norm = None, preprocessing_share = None,
        accountant = None, dangerous_noise_seed = None, discover_schema = None, target = None,
        memory_limit = None
    ))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn new(
        py: Python<'_>,
        model: &str,
        epsilon: Option<f64>,
        delta: Option<f64>,
        non_private: bool,
        epochs: Option<usize>,
        batch_size: Option<usize>,
        seed: Option<u64>,
        clipping_norm: Option<f64>,
        preprocessing_share: Option<f64>,
        accountant: Option<&str>,
        dangerous_noise_seed: Option<u64>,
        discover_schema: Option<f64>,
        target: Option<&str>,
        memory_limit: Option<MemoryLimitArg>,
    ) -> PyResult<Self> {
        let kind = ModelKind::from_name(&model.to_ascii_lowercase()).ok_or_else(|| {
            let known: Vec<&str> = ModelKind::all().map(ModelKind::as_str).collect();
            config_error(
                py,
                "model",
                format!("unknown model {model:?}: expected one of {known:?}"),
            )
        })?;
        let builder = Synthesizer::builder().model(kind);
        let shared = Shared {
            epochs,
            batch_size,
            seed,
            target,
            memory_limit,
        };
        let synth = if non_private {
            for (name, set) in [
                ("epsilon", epsilon.is_some()),
                ("delta", delta.is_some()),
                ("clipping_norm", clipping_norm.is_some()),
                ("preprocessing_share", preprocessing_share.is_some()),
                ("accountant", accountant.is_some()),
                ("dangerous_noise_seed", dangerous_noise_seed.is_some()),
                ("discover_schema", discover_schema.is_some()),
            ] {
                if set {
                    return Err(config_error(
                        py,
                        name,
                        format!("{name} is a privacy setting: it cannot go with non_private=True"),
                    ));
                }
            }
            shared.apply(builder.non_private()).build()
        } else {
            let (Some(epsilon), Some(delta)) = (epsilon, delta) else {
                return Err(config_error(
                    py,
                    if epsilon.is_none() {
                        "epsilon"
                    } else {
                        "delta"
                    },
                    "choose a privacy budget, e.g. epsilon=3.0, delta=1e-6, or \
                     non_private=True (no privacy guarantee)"
                        .to_owned(),
                ));
            };
            let mut b = shared.apply(builder.private(Epsilon(epsilon), Delta(delta)));
            if let Some(c) = clipping_norm {
                b = b.clipping_norm(c);
            }
            if let Some(s) = preprocessing_share {
                b = b.preprocessing_share(s);
            }
            if let Some(a) = accountant {
                b = b.accountant(match a {
                    "rdp" => AccountantSpec::rdp(),
                    "pld" => AccountantSpec::pld(),
                    other => {
                        return Err(config_error(
                            py,
                            "accountant",
                            format!("accountant={other:?}: expected \"rdp\" or \"pld\""),
                        ));
                    }
                });
            }
            if let Some(k) = dangerous_noise_seed {
                b = b.dangerous_noise_seed(k);
            }
            if let Some(share) = discover_schema {
                b = b.discover_schema(share);
            }
            b.build()
        };
        let synth = synth.map_err(|e| errors::from_tabveil(py, e))?;
        Ok(PyConfig {
            synth,
            discovering: discover_schema.is_some(),
        })
    }

    /// The model's name (``"ctgan"``, ``"tvae"``, …).
    #[getter]
    fn model(&self) -> &'static str {
        self.synth.kind().as_str()
    }

    /// True for a differentially private configuration.
    #[getter]
    fn is_private(&self) -> bool {
        self.synth.is_private()
    }

    /// True when `fit` discovers the schema privately first (built with `discover_schema`).
    #[getter]
    fn discovers_schema(&self) -> bool {
        self.discovering
    }

    /// The plan as the validator and the privacy report see it.
    fn training_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.synth.training_config())
    }

    /// Every finding of the validator and the training plan for a table of `schema` with
    /// `n_rows` rows; nothing is read from any data.
    fn validate<'py>(
        &self,
        py: Python<'py>,
        schema: &PySchema,
        n_rows: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.synth.validate(&schema.inner, n_rows))
    }

    /// Reads `data` against `schema`, validates the plan, and fits with the GIL released.
    /// Returns the fitted model and the reader's notes.
    ///
    /// Built with `discover_schema`: `schema` (optional) declares what is public — names,
    /// kinds, any bounds or categories — and the rest is discovered privately from `data`
    /// read as text, the discovery's releases composed first on the fit's ledger.
    #[pyo3(signature = (data, schema, *, null_values = None, out_of_bounds = "error", extra_columns = "error", callback = None))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn fit(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        schema: Option<&PySchema>,
        null_values: Option<Vec<String>>,
        out_of_bounds: &str,
        extra_columns: &str,
        callback: Option<Py<PyAny>>,
    ) -> PyResult<(PyFitted, Vec<String>)> {
        let options = frames::read_options(null_values, out_of_bounds, extra_columns)?;
        let synth = &self.synth;
        let mut progress = PyProgress::new(callback);
        let (result, notes) = if self.discovering {
            let raw = frames::read_raw(data, &options)?;
            let declared = schema.map(|s| &s.inner);
            let result = py.detach(|| {
                synth.fit_discovering_with_progress(&raw, declared, &options, &mut progress)
            });
            (result, Vec::new())
        } else {
            let schema = schema.ok_or_else(|| {
                config_error(
                    py,
                    "schema",
                    "a schema is needed (or build with discover_schema=SHARE)".to_owned(),
                )
            })?;
            let (table, notes) = frames::read(data, &schema.inner, &options)?;
            let schema = &schema.inner;
            let result = py.detach(|| synth.fit_with_progress(&table, schema, &mut progress));
            (result, notes)
        };
        match (result, progress.cancelled) {
            (Ok(fitted), None) => Ok((PyFitted { inner: fitted }, notes)),
            // Cancelled during training: the model is usable, its ledger exact.
            (Ok(fitted), Some(cancel)) => {
                let ledger = fitted.ledger().map(|l| to_python(py, l)).transpose()?;
                let epsilon = fitted.epsilon_spent().ok().flatten();
                let partial = Py::new(py, PyFitted { inner: fitted })?;
                Err(cancelled(
                    py,
                    cancel,
                    ledger,
                    epsilon,
                    Some(partial.into_any()),
                ))
            }
            // Cancelled during preprocessing: the releases made come with the error.
            (Err(tabveil::Error::Model(m)), Some(cancel)) if m.is_cancelled() => {
                let ledger = m.spent_ledger().map(|l| to_python(py, l)).transpose()?;
                Err(cancelled(py, cancel, ledger, None, None))
            }
            (Err(e), _) => Err(errors::from_tabveil(py, e)),
        }
    }

    fn __repr__(&self) -> String {
        // Epochs and batch size for a DP-SGD model; a model without them shows neither.
        let schedule = self
            .synth
            .training_config()
            .model
            .spec()
            .schedule()
            .map(|s| format!(", epochs={}, batch_size={}", s.epochs, s.batch_size))
            .unwrap_or_default();
        format!(
            "Config(model={:?}, private={}{schedule})",
            self.synth.kind().as_str(),
            self.synth.is_private(),
        )
    }
}

/// The settings of private and non-private configurations alike (`None`: the library's
/// default).
struct Shared<'a> {
    epochs: Option<usize>,
    batch_size: Option<usize>,
    seed: Option<u64>,
    target: Option<&'a str>,
    memory_limit: Option<MemoryLimitArg>,
}

impl Shared<'_> {
    /// The builder with the settings given.
    fn apply<P>(&self, mut b: SynthesizerBuilder<Ready<P>>) -> SynthesizerBuilder<Ready<P>> {
        if let Some(e) = self.epochs {
            b = b.epochs(e);
        }
        if let Some(s) = self.batch_size {
            b = b.batch_size(s);
        }
        if let Some(s) = self.seed {
            b = b.seed(s);
        }
        if let Some(column) = self.target {
            b = b.target(column);
        }
        match self.memory_limit {
            None => b,
            Some(MemoryLimitArg::Bytes(bytes)) => b.memory_limit(bytes),
            Some(MemoryLimitArg::Unlimited) => b.no_memory_limit(),
        }
    }
}

/// `tabveil.errors.FitCancelled`, chained to what cancelled the fit.
fn cancelled(
    py: Python<'_>,
    cancel: Cancel,
    ledger: Option<Bound<'_, PyAny>>,
    epsilon: Option<f64>,
    partial: Option<Py<PyAny>>,
) -> PyErr {
    let attrs = PyDict::new(py);
    let _ = attrs.set_item("ledger", ledger);
    let _ = attrs.set_item("epsilon_spent", epsilon);
    let _ = attrs.set_item("fitted", partial);
    let (message, cause) = match cancel {
        Cancel::Callback => ("the fit was cancelled by the progress callback", None),
        Cancel::Raised(e) => ("the fit was interrupted", Some(e)),
    };
    let err = exception(py, "FitCancelled", message.to_owned(), &attrs);
    if let Some(cause) = cause {
        err.set_cause(py, Some(cause));
    }
    err
}

/// A fitted model: sample (post-processing, free), report, ledger, save and load — the same
/// model directory as the ``tabveil`` command's.
#[pyclass(module = "tabveil._tabveil", name = "Fitted", frozen)]
#[derive(Debug)]
pub(crate) struct PyFitted {
    inner: Fitted,
}

#[pymethods]
impl PyFitted {
    /// `n` synthetic rows as an Arrow table, with the GIL released while generating.
    /// `conditions` maps categorical columns to a category (or `None` for missing).
    #[pyo3(signature = (n, seed = 0, conditions = None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        seed: u64,
        conditions: Option<Vec<(String, Option<String>)>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fitted = &self.inner;
        let table = py
            .detach(|| match &conditions {
                Some(c) if !c.is_empty() => {
                    let conditions: Vec<Condition> = c
                        .iter()
                        .map(|(column, value)| match value {
                            Some(v) => Condition::new(column, v),
                            None => Condition::missing(column),
                        })
                        .collect();
                    fitted.sample_conditional(n, &conditions, seed)
                }
                _ => fitted.sample(n, seed),
            })
            .map_err(|e| errors::from_tabveil(py, e))?;
        frames::write(py, &table, fitted.schema())
    }

    /// The model's name.
    #[getter]
    fn model(&self) -> &'static str {
        self.inner.kind().as_str()
    }

    /// True for a differentially private fit.
    #[getter]
    fn is_private(&self) -> bool {
        self.inner.is_private()
    }

    /// ε spent (whole pipeline) at the fit's δ, from the ledger; `None` without privacy.
    #[getter]
    fn epsilon_spent(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        self.inner
            .epsilon_spent()
            .map_err(|e| errors::from_tabveil(py, e))
    }

    /// The privacy ledger (every release, in order) as a dict; `None` without privacy.
    #[getter]
    fn ledger<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner.ledger().map(|l| to_python(py, l)).transpose()
    }

    /// The schema the model was fitted on.
    #[getter]
    fn schema(&self) -> PySchema {
        PySchema {
            inner: self.inner.schema().clone(),
        }
    }

    /// What the fit did: why it stopped, epochs, steps, the private plan.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.inner.summary())
    }

    /// The validator's warnings kept with the model.
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.warnings())
    }

    /// The plan as the validator and the report see it.
    fn training_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.training_config())
    }

    /// The privacy report as JSON text.
    fn report_json(&self, py: Python<'_>) -> PyResult<String> {
        let report = self
            .inner
            .report()
            .map_err(|e| errors::from_tabveil(py, e))?;
        report
            .to_json()
            .map_err(|e| errors::from_tabveil(py, e.into()))
    }

    /// The privacy report as Markdown.
    fn report_markdown(&self, py: Python<'_>) -> PyResult<String> {
        let report = self
            .inner
            .report()
            .map_err(|e| errors::from_tabveil(py, e))?;
        Ok(report.to_markdown())
    }

    /// The privacy report as a self-contained HTML page.
    fn report_html(&self, py: Python<'_>) -> PyResult<String> {
        let report = self
            .inner
            .report()
            .map_err(|e| errors::from_tabveil(py, e))?;
        report
            .to_html()
            .map_err(|e| errors::from_tabveil(py, e.into()))
    }

    /// Saves the model into directory `path` (the ``tabveil fit --out`` layout).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        std::fs::create_dir_all(&path).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display()))
        })?;
        let fitted = &self.inner;
        py.detach(|| fitted.save(&path))
            .map_err(|e| errors::from_tabveil(py, e))
    }

    /// Loads a model directory written by `save` or by ``tabveil fit``.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        py.detach(|| Fitted::load(&path))
            .map(|inner| PyFitted { inner })
            .map_err(|e| errors::from_tabveil(py, e))
    }

    /// The model as bytes (for pickling).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self
            .inner
            .to_bytes()
            .map_err(|e| errors::from_tabveil(py, e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A model from the bytes of `to_bytes`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        Fitted::from_bytes(data)
            .map(|inner| PyFitted { inner })
            .map_err(|e| errors::from_tabveil(py, e))
    }
}
