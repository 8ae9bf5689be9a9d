//! Fit jobs: their shared state, the worker's progress callback and cancellation.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tabveil::Fitted;
use tabveil::models::{EpochReport, Progress, StepReport};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Accepted, waiting for a worker.
    Queued,
    /// The private (or plain) preprocessing is running.
    Preprocessing,
    /// Training.
    Training,
    /// Fitted: reports and samples are available.
    Done,
    /// Cancelled on request (no model is kept).
    Cancelled,
    /// The fit failed (see `error`).
    Failed,
}

/// What `GET /jobs/{id}` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// The job id.
    pub id: u64,
    /// The model's registered name (`ctgan`, `tvae`, `marginal`, …).
    pub model: String,
    /// Where the job is.
    pub state: JobState,
    /// Epochs completed.
    pub epoch: usize,
    /// Epochs planned.
    pub epochs: usize,
    /// Training steps taken.
    pub steps: u64,
    /// ε spent so far (private fits; preprocessing included).
    pub epsilon_spent: Option<f64>,
    /// The target ε (private fits).
    pub target_epsilon: Option<f64>,
    /// Why the fit failed.
    pub error: Option<String>,
    /// The validator's warnings: at first those that do not depend on the row count (in
    /// private mode the row count is private), once fitted the model's own (computed on the DP
    /// estimate N̂ in private mode).
    pub warnings: Vec<String>,
}

/// One job.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) status: Mutex<JobStatus>,
    pub(crate) cancel: AtomicBool,
    pub(crate) fitted: Mutex<Option<Arc<Fitted>>>,
}

impl Job {
    pub(crate) fn new(status: JobStatus) -> Self {
        Job {
            status: Mutex::new(status),
            cancel: AtomicBool::new(false),
            fitted: Mutex::new(None),
        }
    }

    /// The status, even if a worker panicked while holding the lock.
    pub(crate) fn status(&self) -> MutexGuard<'_, JobStatus> {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn fitted(&self) -> Option<Arc<Fitted>> {
        self.fitted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_fitted(&self, fitted: Fitted) {
        *self
            .fitted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(fitted));
    }
}

/// Every job of the process.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Arc<Job>>>,
}

impl Jobs {
    /// Registers a job built from its id.
    pub(crate) fn insert(&self, make: impl FnOnce(u64) -> Job) -> Arc<Job> {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let job = Arc::new(make(id));
        self.map().insert(id, Arc::clone(&job));
        job
    }

    pub(crate) fn get(&self, id: u64) -> Option<Arc<Job>> {
        self.map().get(&id).cloned()
    }

    fn map(&self) -> MutexGuard<'_, HashMap<u64, Arc<Job>>> {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The worker's progress callback: updates the job's status and stops when cancelled.
pub(crate) struct JobProgress(pub(crate) Arc<Job>);

impl JobProgress {
    fn keep_going(&self) -> ControlFlow<()> {
        if self.0.cancel.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl Progress for JobProgress {
    fn preprocessing(&mut self, _done: usize, _total: usize, _column: &str) -> ControlFlow<()> {
        self.0.status().state = JobState::Preprocessing;
        self.keep_going()
    }

    fn step(&mut self, report: &StepReport) -> ControlFlow<()> {
        let mut status = self.0.status();
        status.state = JobState::Training;
        status.steps = report.step;
        drop(status);
        self.keep_going()
    }

    fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
        let mut status = self.0.status();
        status.epoch = report.epoch;
        status.steps = report.steps;
        // Public: ε is computed from the ledger's parameters, not from the data.
        status.epsilon_spent = report.epsilon_spent;
        drop(status);
        self.keep_going()
    }
}
