//! [`PyProgress`]: the fit's progress, reported to a Python callable from the training thread,
//! which holds no GIL; Ctrl-C and the callable's answer cancel the fit.

use std::ops::ControlFlow;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tabveil::models::{EpochReport, Losses, Progress, StepReport};

/// Why a fit was cancelled from Python.
#[derive(Debug)]
pub(crate) enum Cancel {
    /// The callable returned `False`.
    Callback,
    /// Python raised (Ctrl-C's `KeyboardInterrupt`, or the callable's own exception).
    Raised(PyErr),
}

/// Reports preprocessing columns and epochs to `callback(event: dict) -> bool | None`, and
/// checks for Ctrl-C after every step. The GIL is taken only for those moments.
#[derive(Debug)]
pub(crate) struct PyProgress {
    callback: Option<Py<PyAny>>,
    pub(crate) cancelled: Option<Cancel>,
}

impl PyProgress {
    pub(crate) fn new(callback: Option<Py<PyAny>>) -> Self {
        PyProgress {
            callback,
            cancelled: None,
        }
    }

    /// Runs `event` (building the dict) and the callback with the GIL; records a cancellation.
    fn report(
        &mut self,
        event: impl FnOnce(&Bound<'_, PyDict>) -> PyResult<()>,
    ) -> ControlFlow<()> {
        if self.cancelled.is_some() {
            return ControlFlow::Break(());
        }
        let outcome = Python::attach(|py| -> PyResult<bool> {
            py.check_signals()?;
            let Some(callback) = &self.callback else {
                return Ok(true);
            };
            let dict = PyDict::new(py);
            event(&dict)?;
            let answer = callback.call1(py, (dict,))?;
            // `None` (no return statement) continues; only an explicit False cancels.
            Ok(!matches!(answer.extract::<bool>(py), Ok(false)))
        });
        match outcome {
            Ok(true) => ControlFlow::Continue(()),
            Ok(false) => {
                self.cancelled = Some(Cancel::Callback);
                ControlFlow::Break(())
            }
            Err(e) => {
                self.cancelled = Some(Cancel::Raised(e));
                ControlFlow::Break(())
            }
        }
    }

    fn check_signals(&mut self) -> ControlFlow<()> {
        if self.cancelled.is_some() {
            return ControlFlow::Break(());
        }
        match Python::attach(|py| py.check_signals()) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.cancelled = Some(Cancel::Raised(e));
                ControlFlow::Break(())
            }
        }
    }
}

fn losses(dict: &Bound<'_, PyDict>, losses: &Losses) -> PyResult<()> {
    let l = PyDict::new(dict.py());
    for (name, value) in losses.iter() {
        l.set_item(name, value)?;
    }
    dict.set_item("losses", l)
}

impl Progress for PyProgress {
    fn preprocessing(&mut self, done: usize, total: usize, column: &str) -> ControlFlow<()> {
        self.report(|d| {
            d.set_item("event", "preprocessing")?;
            d.set_item("done", done)?;
            d.set_item("total", total)?;
            d.set_item("column", column)
        })
    }

    fn step(&mut self, _report: &StepReport) -> ControlFlow<()> {
        self.check_signals()
    }

    fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
        self.report(|d| {
            d.set_item("event", "epoch")?;
            d.set_item("epoch", report.epoch)?;
            d.set_item("epochs", report.epochs)?;
            d.set_item("steps", report.steps)?;
            d.set_item("epsilon", report.epsilon_spent)?;
            losses(d, &report.losses)
        })
    }
}
