//! Assembles the [`TrainingPlan`] of a validation from the session's accountant answers.

use tabveil_accountant::AccountantKind;

use super::{
    EpochEpsilon, MAX_EPOCH_POINTS, MAX_PLD_EPOCH_POINTS, PlanRanges, PrivatePlan, TrainingPlan,
    ValueRange,
};
use crate::memory::MemoryEstimate;
use crate::session::{Joint, Session};

/// The plan, or `None` when the schedule itself is invalid (the findings say why).
pub(crate) fn build(s: &mut Session<'_>) -> Option<TrainingPlan> {
    if s.config.model.spec().schedule().is_none() {
        return super::rounds::build(s);
    }
    let v = s.valid;
    if !(v.n_rows && v.epochs && v.batch && v.schedule) {
        return None;
    }
    let config = s.config;
    let n = s.n_rows;
    let memory = MemoryEstimate::new(config, s.schema, n);
    let (steps, private, ranges) = match s.dp() {
        None => {
            // SDV: max(⌊N/B⌋, 1) steps per epoch.
            let per_epoch = (n / config.batch_size()).max(1);
            (config.epochs().saturating_mul(per_epoch), None, None)
        }
        Some(_) => {
            let steps =
                tabveil_accountant::TrainingSchedule::new(n, config.batch_size(), config.epochs())
                    .ok()?
                    .steps();
            let private = private_plan(s);
            let ranges = if s.options.ranges {
                Some(ranges(s))
            } else {
                None
            };
            (steps, private, ranges)
        }
    };
    Some(TrainingPlan {
        model: config.model.name().to_owned(),
        n_rows: n,
        batch_size: config.batch_size(),
        epochs: config.epochs(),
        steps,
        private,
        ranges,
        memory,
        rounds: None,
    })
}

fn private_plan(s: &mut Session<'_>) -> Option<PrivatePlan> {
    let dp = s.dp()?;
    let Joint::Calibrated(joint) = s.joint() else {
        return None;
    };
    let planner = s.planner.clone()?;
    let config = s.config;
    let schedule = config.private_schedule(s.n_rows).ok()?;
    let epochs = config.epochs();
    let limit = if dp.accountant.kind == AccountantKind::Pld {
        MAX_PLD_EPOCH_POINTS
    } else {
        MAX_EPOCH_POINTS
    };
    let at = epoch_points(epochs, limit);
    let by_epoch = match planner.epsilon_after_epochs(&joint, config.batch_size(), epochs, &at) {
        Ok(points) => points
            .into_iter()
            .map(|(epoch, steps, epsilon)| EpochEpsilon {
                epoch,
                steps,
                epsilon,
            })
            .collect(),
        Err(e) => {
            s.failures.push(e.to_string());
            Vec::new()
        }
    };
    Some(PrivatePlan {
        accountant: dp.accountant.kind,
        target_epsilon: dp.epsilon,
        delta: dp.delta,
        sample_rate: schedule.sample_rate(),
        private_steps: schedule.steps(),
        training_noise_multiplier: joint.training_noise_multiplier,
        clipping_norm: dp.clipping_norm,
        mean_gradient_noise_std: joint.training_noise_multiplier * dp.clipping_norm
            / config.batch_size() as f64,
        preprocessing_releases: planner.preprocessing_releases(),
        preprocessing_noise_multiplier: joint.preprocessing_noise_multiplier,
        preprocessing_share: dp.preprocessing_share,
        preprocessing_epsilon: joint.preprocessing_epsilon,
        epsilon: joint.epsilon,
        epsilon_by_epoch: by_epoch,
    })
}

/// Epochs 1..=E, or `limit` evenly spaced ones ending at E.
pub(crate) fn epoch_points(epochs: u64, limit: usize) -> Vec<u64> {
    let limit = limit.max(1) as u64;
    if epochs <= limit {
        return (1..=epochs).collect();
    }
    let mut out: Vec<u64> = (1..=limit)
        .map(|i| {
            let e = u128::from(i) * u128::from(epochs);
            u64::try_from(e.div_ceil(u128::from(limit))).unwrap_or(epochs)
        })
        .collect();
    out.dedup();
    out
}

fn ranges(s: &mut Session<'_>) -> PlanRanges {
    let v = s.valid;
    let config = s.config;
    let Some(dp) = s.dp() else {
        return PlanRanges {
            batch_size: None,
            epochs: None,
            epsilon: None,
        };
    };
    let Some(rdp) = s.planner.as_ref().map(super::Planner::with_rdp) else {
        return PlanRanges {
            batch_size: None,
            epochs: None,
            epsilon: None,
        };
    };
    let batch_size = if v.epsilon && v.epochs && v.schedule {
        let privacy_max = s.max_batch();
        let memory_max = s.memory_max_batch().unwrap_or(Some(s.n_rows));
        let min = crate::batch::min_batch_size(config);
        match (privacy_max, memory_max) {
            (Some(a), Some(b)) => {
                crate::batch::largest_batch_at_most(config, a.min(b)).map(|max| {
                    let recommended = rdp
                        .recommended_batch(dp.epsilon, config.epochs(), max)
                        .map_err(|e| s.failures.push(e.to_string()))
                        .unwrap_or(max)
                        .clamp(min, max);
                    ValueRange {
                        min,
                        max,
                        recommended,
                    }
                })
            }
            _ => None,
        }
    } else {
        None
    };
    let epochs = if v.epsilon && v.batch {
        s.max_epochs().map(|max| {
            let recommended = rdp
                .recommended_epochs(dp.epsilon, config.batch_size(), max)
                .map_err(|e| s.failures.push(e.to_string()))
                .unwrap_or(max)
                .clamp(1, max);
            ValueRange {
                min: 1,
                max,
                recommended,
            }
        })
    } else {
        None
    };
    let epsilon = if v.epochs && v.batch && v.schedule {
        s.min_epsilon().map(|min| {
            let max = min.max(10.0);
            ValueRange {
                min,
                max,
                recommended: 1.0_f64.clamp(min, max),
            }
        })
    } else {
        None
    };
    PlanRanges {
        batch_size,
        epochs,
        epsilon,
    }
}
