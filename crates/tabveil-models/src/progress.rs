//! [`Progress`]: how a fit reports what it is doing (libraries never print) and how a caller
//! cancels it.
//!
//! Every method has a default that ignores the report and continues, so an implementation
//! overrides only what it needs. Returning [`ControlFlow::Break`] stops the fit cleanly:
//! during preprocessing the fit fails with an error whose
//! [`is_cancelled`](crate::ModelError::is_cancelled) is true (in private mode it carries the
//! releases already made: [`spent_ledger`](crate::ModelError::spent_ledger));
//! during training it ends after the current step and the model is usable, with a ledger that
//! holds exactly the releases made.
//!
//! ```
//! use std::ops::ControlFlow;
//! use tabveil_models::{EpochReport, Progress};
//!
//! /// Prints nothing; keeps the generator loss of each epoch and stops after three epochs.
//! struct Keep(Vec<f64>);
//! impl Progress for Keep {
//!     fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
//!         self.0.push(report.losses.get("generator").unwrap_or(f64::NAN));
//!         if report.epoch >= 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
//!     }
//! }
//! ```
//!
//! **Privacy of the reports.** In private mode, a report carries only values that are public:
//! losses computed from generated rows through networks that are themselves post-processing of
//! DP releases, step counts, and ε spent. Losses on real rows (the discriminator's real-data
//! term) are *not* reported in private mode: they are not differentially private.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

/// Named loss values of one step or epoch (e.g. `"discriminator"`, `"generator"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Losses {
    values: Vec<(String, f64)>,
}

impl Losses {
    /// No losses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the loss `name`.
    pub fn set(&mut self, name: &str, value: f64) {
        match self.values.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((name.to_owned(), value)),
        }
    }

    /// The loss `name`, if reported.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// `(name, value)` pairs in the order they were set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.values.iter().map(|(n, v)| (n.as_str(), *v))
    }
}

/// One optimisation step of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// The epoch the step belongs to (1-based).
    pub epoch: usize,
    /// Steps taken so far in the whole fit, this one included (1-based).
    pub step: u64,
    /// The losses of this step (in private mode, public ones only).
    pub losses: Losses,
}

/// The end of an epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    /// Epochs completed (1-based).
    pub epoch: usize,
    /// Epochs planned.
    pub epochs: usize,
    /// Steps taken so far in the whole fit.
    pub steps: u64,
    /// Mean losses over the epoch's steps (in private mode, public ones only).
    pub losses: Losses,
    /// In private mode, ε spent so far (preprocessing included) at the run's δ.
    pub epsilon_spent: Option<f64>,
}

/// Receives the progress of a fit from the calling thread (see the [module docs](self)).
pub trait Progress {
    /// `done` of `total` columns are preprocessed; `column` just finished.
    fn preprocessing(&mut self, done: usize, total: usize, column: &str) -> ControlFlow<()> {
        let _ = (done, total, column);
        ControlFlow::Continue(())
    }

    /// A training step finished.
    fn step(&mut self, report: &StepReport) -> ControlFlow<()> {
        let _ = report;
        ControlFlow::Continue(())
    }

    /// An epoch finished.
    fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
        let _ = report;
        ControlFlow::Continue(())
    }
}

/// Reports step `step` of epoch `epoch` with its `losses`: `Some(Cancelled)` when the
/// callback stops the fit.
pub(crate) fn report_step(
    progress: &mut dyn Progress,
    epoch: usize,
    step: u64,
    losses: Losses,
) -> Option<StopReason> {
    let report = StepReport {
        epoch,
        step,
        losses,
    };
    (progress.step(&report) == ControlFlow::Break(())).then_some(StopReason::Cancelled)
}

/// Reports that epoch `epoch` of `epochs` of a non-private fit ended after `steps` steps, with
/// the epoch's mean `losses`: when the callback stops the fit, why it ended (`Completed` after
/// the last epoch, `Cancelled` before it).
pub(crate) fn report_epoch(
    progress: &mut dyn Progress,
    epoch: usize,
    epochs: usize,
    steps: u64,
    losses: Losses,
) -> Option<StopReason> {
    let report = EpochReport {
        epoch,
        epochs,
        steps,
        losses,
        epsilon_spent: None,
    };
    (progress.epoch(&report) == ControlFlow::Break(())).then_some(if epoch == epochs {
        StopReason::Completed
    } else {
        StopReason::Cancelled
    })
}

/// Sums of the losses reported by the steps of an epoch, for its means.
#[derive(Debug, Default)]
pub(crate) struct LossMeans {
    sums: Losses,
    count: f64,
}

impl LossMeans {
    /// Adds one step's losses.
    pub(crate) fn add(&mut self, losses: &Losses) {
        for (name, v) in losses.iter() {
            self.sums.set(name, self.sums.get(name).unwrap_or(0.0) + v);
        }
        self.count += 1.0;
    }

    /// The mean of each loss over the steps added since the last call, and a fresh start.
    pub(crate) fn take(&mut self) -> Losses {
        let mut means = Losses::new();
        for (name, v) in self.sums.iter() {
            means.set(name, v / f64::max(self.count, 1.0));
        }
        *self = LossMeans::default();
        means
    }
}

/// Ignores progress and never cancels: the data crate's [`NoProgress`], which reports to both
/// progress traits.
pub use tabveil_data::NoProgress;

impl Progress for NoProgress {}

/// Adapts a [`Progress`] to the data crate's per-column callback.
pub(crate) struct ColumnProgress<'a>(pub(crate) &'a mut dyn Progress);

impl tabveil_data::FitProgress for ColumnProgress<'_> {
    fn column_done(&mut self, done: usize, total: usize, column: &str) -> ControlFlow<()> {
        self.0.preprocessing(done, total, column)
    }
}

/// Why a fit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every planned epoch ran.
    Completed,
    /// The progress callback asked to stop.
    Cancelled,
    /// The next private step would have exceeded the target ε (it was not taken).
    BudgetExhausted,
}
