//! Fit jobs: the in-memory side of a running generator (cancel flag, live progress for
//! server-sent events), the worker that runs the fit and settles its charge, and the recovery
//! of jobs a stopped server left behind.
//!
//! The order that makes the budget exact:
//! 1. the whole planned ledger is charged and the generator inserted (`queued`) in one
//!    transaction, before anything touches the table;
//! 2. the generator is marked `running` (committed) just before the fit starts — so a
//!    `queued` generator found at start-up released nothing;
//! 3. the fit's outcome replaces the planned charge by what was released, in the transaction
//!    that records the outcome. A server killed between 2 and 3 leaves the planned charge,
//!    which start-up keeps (the `interrupted` entry): nothing lost, nothing charged twice.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tabveil::Synthesizer;
use tabveil::data::Schema;
use tabveil::models::{EpochReport, Progress, StepReport, StopReason};
use tokio::sync::watch;

use crate::api::AppState;
use crate::budget::{Settlement, settle};
use crate::chain::ChargePhase;
use crate::error::{Result, ServerError};
use crate::files::Kind;
use crate::formats::Format;
use crate::store::{DatasetRow, GeneratorRow, GeneratorUpdate, LiveProgress};

/// One fit in this process.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) cancel: AtomicBool,
    pub(crate) progress: watch::Sender<LiveProgress>,
}

/// The fits of this process, until they have settled.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    map: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<Job>>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.map().get(id).cloned()
    }

    fn insert(&self, id: &str, job: Arc<Job>) {
        self.map().insert(id.to_owned(), job);
    }

    fn remove(&self, id: &str) {
        self.map().remove(id);
    }

    /// Asks every fit to stop.
    pub(crate) fn cancel_all(&self) {
        for job in self.map().values() {
            job.cancel.store(true, Ordering::SeqCst);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

/// Everything a worker needs to run one fit.
pub(crate) struct FitJob {
    pub(crate) generator: GeneratorRow,
    pub(crate) dataset: DatasetRow,
    pub(crate) schema: Schema,
    pub(crate) synth: Synthesizer,
}

/// Registers the job and starts its worker.
pub(crate) fn start(state: Arc<AppState>, job: FitJob) {
    let (tx, _) = watch::channel(LiveProgress {
        state: "queued".to_owned(),
        epoch: 0,
        epochs: job.generator.progress.epochs,
        steps: 0,
        epsilon_spent: None,
    });
    let handle = Arc::new(Job {
        cancel: AtomicBool::new(false),
        progress: tx,
    });
    state.jobs.insert(&job.generator.id, Arc::clone(&handle));
    tokio::spawn(async move {
        let id = job.generator.id.clone();
        if let Err(e) = run(&state, &handle, job).await {
            // The charge stays as it was (planned, or settled if that went through); a restart
            // settles a generator left `running` pessimistically.
            state.log(&format!("fit job {id}: {e}"));
        }
        state.jobs.remove(&id);
    });
}

async fn run(state: &Arc<AppState>, handle: &Arc<Job>, job: FitJob) -> Result<()> {
    let FitJob {
        generator,
        dataset,
        schema,
        synth,
    } = job;
    let permit = Arc::clone(&state.fit_slots).acquire_owned().await;
    if permit.is_err() || handle.cancel.load(Ordering::SeqCst) || state.is_shutting_down() {
        let (code, message) = if state.is_shutting_down() {
            (
                "server-stopped",
                "the server stopped before this fit started; nothing was released",
            )
        } else {
            (
                "cancelled",
                "cancelled before it started; nothing was released",
            )
        };
        let phase_state = if code == "cancelled" {
            "cancelled"
        } else {
            "failed"
        };
        return not_started(state, handle, &generator, phase_state, code, message).await;
    }
    // Read the table before the fit is marked running: reading releases nothing.
    let files = state.files.clone();
    let (file, sha, format) = (
        dataset.file_name.clone().unwrap_or_default(),
        dataset.file_sha256.clone().unwrap_or_default(),
        dataset.format.clone().unwrap_or_default(),
    );
    let read_schema = schema.clone();
    let table = tokio::task::spawn_blocking(move || -> Result<tabveil::data::Table> {
        let bytes = files.read(Kind::Table, &file, &sha)?;
        let format = Format::parse(&format)
            .ok_or_else(|| ServerError::Corrupt(format!("unknown stored format `{format}`")))?;
        Ok(format.read(bytes.into(), &read_schema)?)
    })
    .await
    .map_err(|_| ServerError::Internal("the table reader panicked"))?;
    let table = match table {
        Ok(t) => t,
        Err(e) => {
            state.log(&format!(
                "generator {}: stored table unreadable: {e}",
                generator.id
            ));
            return not_started(
                state,
                handle,
                &generator,
                "failed",
                "table-unreadable",
                "the stored table could not be read; nothing was released",
            )
            .await;
        }
    };
    if !state.store.mark_running(&generator.id).await? {
        return Ok(());
    }
    handle
        .progress
        .send_modify(|p| p.state = "running".to_owned());
    let writer = tokio::spawn(write_progress(
        Arc::clone(state),
        generator.id.clone(),
        handle.progress.subscribe(),
    ));
    let worker = Arc::clone(handle);
    let fit_synth = synth.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut progress = JobProgress(worker);
        fit_synth.fit_with_progress(&table, &schema, &mut progress)
    })
    .await;
    let result = finish(state, handle, &generator, outcome).await;
    writer.abort();
    drop(permit);
    result
}

/// Settles a generator that never started: nothing released.
async fn not_started(
    state: &AppState,
    handle: &Job,
    generator: &GeneratorRow,
    final_state: &str,
    code: &str,
    message: &str,
) -> Result<()> {
    settle(
        state,
        &generator.dataset_id,
        &generator.id,
        ChargePhase::NotStarted,
        Settlement::Released(tabveil::accountant::PrivacyLedger::new()),
        GeneratorUpdate {
            state: final_state,
            error: Some(message),
            error_code: Some(code),
            ..GeneratorUpdate::default()
        },
    )
    .await?;
    handle
        .progress
        .send_modify(|p| p.state = final_state.to_owned());
    Ok(())
}

/// Records the outcome of a fit and settles its charge.
async fn finish(
    state: &Arc<AppState>,
    handle: &Job,
    generator: &GeneratorRow,
    outcome: std::result::Result<tabveil::Result<tabveil::Fitted>, tokio::task::JoinError>,
) -> Result<()> {
    let live = handle.progress.borrow().clone();
    let Outcome {
        phase,
        settlement,
        state: final_state,
        error,
        code,
        fitted,
    } = match outcome {
        Ok(Ok(fitted)) => {
            let ledger = fitted.ledger().cloned().unwrap_or_default();
            if fitted.summary().stop == StopReason::Cancelled {
                Outcome::cancelled(ledger)
            } else {
                Outcome {
                    fitted: Some(fitted),
                    ..Outcome::stopped(ChargePhase::Completed, Settlement::Released(ledger), "done")
                }
            }
        }
        Ok(Err(tabveil::Error::Model(e))) if e.spent_ledger().is_some() || e.is_cancelled() => {
            let ledger = e.spent_ledger().cloned().unwrap_or_default();
            if e.is_cancelled() {
                Outcome::cancelled(ledger)
            } else {
                Outcome::failed(Settlement::Released(ledger), e.to_string(), "fit-failed")
            }
        }
        // Refused by the validation inside `fit`, before anything was computed from the data.
        Ok(Err(e @ tabveil::Error::Rejected { .. })) => Outcome::failed(
            Settlement::Released(tabveil::accountant::PrivacyLedger::new()),
            e.to_string(),
            "plan-rejected",
        ),
        // Any other failure may have come after releases the error does not carry: the whole
        // plan stays charged.
        Ok(Err(e)) => Outcome::failed(Settlement::KeepPlanned, e.to_string(), "fit-failed"),
        Err(_) => Outcome::failed(
            Settlement::KeepPlanned,
            "the fit stopped unexpectedly".to_owned(),
            "fit-crashed",
        ),
    };
    let (mut epoch, mut steps, mut epsilon_spent) = (live.epoch, live.steps, live.epsilon_spent);
    let mut saved = None;
    if let Some(fitted) = fitted {
        epoch = fitted.summary().epochs as u64;
        steps = fitted.summary().steps;
        epsilon_spent = fitted.epsilon_spent().ok().flatten();
        let fitted = Arc::new(fitted);
        let files = state.files.clone();
        let name = format!("{}.tvfit", generator.id);
        let to_save = Arc::clone(&fitted);
        let file_name = name.clone();
        let sha = tokio::task::spawn_blocking(move || -> Result<String> {
            let bytes = to_save.to_bytes()?;
            files.write(Kind::Model, &file_name, &bytes)
        })
        .await
        .map_err(|_| ServerError::Internal("the model writer panicked"))?;
        match sha {
            Ok(sha) => saved = Some((name, sha, fitted)),
            Err(e) => {
                // The releases were made: charge them, but there is no model to serve.
                state.log(&format!(
                    "generator {}: saving the model failed: {e}",
                    generator.id
                ));
                let ledger = match &settlement {
                    Settlement::Released(l) => Settlement::Released(l.clone()),
                    Settlement::KeepPlanned => Settlement::KeepPlanned,
                };
                settle(
                    state,
                    &generator.dataset_id,
                    &generator.id,
                    ChargePhase::Failed,
                    ledger,
                    GeneratorUpdate {
                        state: "failed",
                        epoch,
                        steps,
                        epsilon_spent,
                        error: Some("the fitted model could not be stored"),
                        error_code: Some("storage-failed"),
                        ..GeneratorUpdate::default()
                    },
                )
                .await?;
                handle
                    .progress
                    .send_modify(|p| p.state = "failed".to_owned());
                return Ok(());
            }
        }
    }
    let settled = settle(
        state,
        &generator.dataset_id,
        &generator.id,
        phase,
        settlement,
        GeneratorUpdate {
            state: final_state,
            epoch,
            steps,
            epsilon_spent,
            error: error.as_deref(),
            error_code: code,
            model_file: saved.as_ref().map(|(n, _, _)| n.as_str()),
            model_sha256: saved.as_ref().map(|(_, s, _)| s.as_str()),
            settled_seq: None,
        },
    )
    .await;
    match settled {
        Ok(_) => {
            if let Some((_, _, fitted)) = saved {
                state.cache_model(&generator.id, fitted);
            }
            handle.progress.send_modify(|p| {
                p.state = final_state.to_owned();
                p.epoch = epoch;
                p.steps = steps;
                p.epsilon_spent = epsilon_spent;
            });
            Ok(())
        }
        Err(e) => {
            if let Some((name, _, _)) = saved {
                state.files.remove(Kind::Model, &name);
            }
            Err(e)
        }
    }
}

/// How a fit ended: its charge, its final state and, when it is done, the model.
struct Outcome {
    phase: ChargePhase,
    settlement: Settlement,
    state: &'static str,
    error: Option<String>,
    code: Option<&'static str>,
    fitted: Option<tabveil::Fitted>,
}

impl Outcome {
    fn stopped(phase: ChargePhase, settlement: Settlement, state: &'static str) -> Self {
        Outcome {
            phase,
            settlement,
            state,
            error: None,
            code: None,
            fitted: None,
        }
    }

    /// Cancelled: charged what it released.
    fn cancelled(released: tabveil::accountant::PrivacyLedger) -> Self {
        Self::stopped(
            ChargePhase::Cancelled,
            Settlement::Released(released),
            "cancelled",
        )
    }

    fn failed(settlement: Settlement, error: String, code: &'static str) -> Self {
        Outcome {
            error: Some(error),
            code: Some(code),
            ..Self::stopped(ChargePhase::Failed, settlement, "failed")
        }
    }
}

/// Writes progress to the database when an epoch ends (so a restart shows how far it got).
async fn write_progress(state: Arc<AppState>, id: String, mut rx: watch::Receiver<LiveProgress>) {
    let mut last_epoch = 0;
    while rx.changed().await.is_ok() {
        let p = rx.borrow_and_update().clone();
        if p.is_final() {
            break;
        }
        if p.epoch != last_epoch {
            last_epoch = p.epoch;
            if let Err(e) = state
                .store
                .record_progress(&id, p.epoch, p.steps, p.epsilon_spent)
                .await
            {
                state.log(&format!("generator {id}: progress not recorded: {e}"));
            }
        }
    }
}

/// The library's progress callback: updates the live progress, stops when cancelled.
struct JobProgress(Arc<Job>);

impl JobProgress {
    fn keep_going(&self) -> ControlFlow<()> {
        if self.0.cancel.load(Ordering::SeqCst) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl Progress for JobProgress {
    fn preprocessing(&mut self, _done: usize, _total: usize, _column: &str) -> ControlFlow<()> {
        self.keep_going()
    }

    fn step(&mut self, report: &StepReport) -> ControlFlow<()> {
        self.0.progress.send_if_modified(|p| {
            let changed = p.steps != report.step;
            p.steps = report.step;
            changed
        });
        self.keep_going()
    }

    fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
        self.0.progress.send_modify(|p| {
            p.epoch = report.epoch as u64;
            p.steps = report.steps;
            p.epsilon_spent = report.epsilon_spent;
        });
        self.keep_going()
    }
}

/// Settles what a stopped server left behind: a `queued` generator released nothing (its
/// charge becomes empty); a `running` one keeps its whole planned charge (the `interrupted`
/// entry), since how far it got is unknown. Both are marked failed.
pub(crate) async fn recover(state: &AppState) -> Result<usize> {
    let left = state.store.unfinished_generators().await?;
    for g in &left {
        let (phase, settlement, message) = if g.progress.state == "queued" {
            (
                ChargePhase::NotStarted,
                Settlement::Released(tabveil::accountant::PrivacyLedger::new()),
                "the server stopped before this fit started; nothing was released",
            )
        } else {
            (
                ChargePhase::Interrupted,
                Settlement::KeepPlanned,
                "the server stopped during this fit; its whole planned ledger stays charged",
            )
        };
        settle(
            state,
            &g.dataset_id,
            &g.id,
            phase,
            settlement,
            GeneratorUpdate {
                state: "failed",
                epoch: g.progress.epoch,
                steps: g.progress.steps,
                epsilon_spent: g.progress.epsilon_spent,
                error: Some(message),
                error_code: Some("interrupted"),
                ..GeneratorUpdate::default()
            },
        )
        .await?;
        state.log(&format!("generator {}: {message}", g.id));
    }
    Ok(left.len())
}
