//! Fitting the mixtures of the continuous columns, one job per column, on worker threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::{ContinuousTransform, DataTransformerConfig};
use crate::error::{DataError, Result};
use crate::mixture::WeightedPoints;
use crate::progress::FitProgress;

/// What one continuous column needs to be fitted.
pub(crate) struct ContinuousJob {
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) points: WeightedPoints,
    pub(crate) bounds: (Option<f64>, Option<f64>),
    pub(crate) integer: bool,
    pub(crate) nullable: bool,
}

/// Fits the continuous columns on up to `config.threads` threads, reporting progress from the
/// calling thread. Returns (column index, transform) pairs.
pub(crate) fn fit_continuous_jobs(
    jobs: Vec<ContinuousJob>,
    config: &DataTransformerConfig,
    progress: &mut dyn FitProgress,
    total_columns: usize,
) -> Result<Vec<(usize, Option<ContinuousTransform>)>> {
    let fit_one = |job: &ContinuousJob| {
        ContinuousTransform::fit(
            &job.points,
            &config.bgm,
            config.weight_threshold,
            config.seed.wrapping_add(job.index as u64),
            job.bounds,
            job.integer,
            job.nullable,
            config.std_multiplier,
            config.clip,
        )
    };
    let threads = config.n_threads().min(jobs.len()).max(1);
    let mut results: Vec<(usize, Option<ContinuousTransform>)> =
        jobs.iter().map(|j| (j.index, None)).collect();
    // Discrete and id columns need no fitting: count them as done up front.
    let mut done = total_columns - jobs.len();
    if threads <= 1 {
        for (slot, job) in results.iter_mut().zip(&jobs) {
            slot.1 = Some(fit_one(job)?);
            done += 1;
            if progress
                .column_done(done, total_columns, &job.name)
                .is_break()
            {
                return Err(DataError::Cancelled);
            }
        }
        return Ok(results);
    }
    let next = AtomicUsize::new(0);
    let cancelled = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<ContinuousTransform>)>();
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..threads {
            let tx = tx.clone();
            let (jobs, next, cancelled, fit_one) = (&jobs, &next, &cancelled, &fit_one);
            scope.spawn(move || {
                loop {
                    if cancelled.load(Ordering::Relaxed) {
                        break;
                    }
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(j) else { break };
                    if tx.send((j, fit_one(job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut first_error = None;
        for (j, result) in rx {
            match result {
                Ok(t) => {
                    results[j].1 = Some(t);
                    done += 1;
                    if first_error.is_none()
                        && progress
                            .column_done(done, total_columns, &jobs[j].name)
                            .is_break()
                    {
                        cancelled.store(true, Ordering::Relaxed);
                        first_error = Some(DataError::Cancelled);
                    }
                }
                Err(e) => {
                    cancelled.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    })?;
    Ok(results)
}
