//! Planning a private training run: the DP-SGD schedule and the joint calibration of the
//! preprocessing and training noise.
//!
//! The validator, the models and the facade all plan with these two functions, so the plan that
//! `tabveil validate` prints is the plan that `fit` runs.
//!
//! ```
//! use tabveil_accountant::{AccountantSpec, PrivacyEvent, TrainingSchedule, calibrate_jointly};
//!
//! // 26 049 rows, expected batch 500, 30 epochs; 15 preprocessing releases (one discrete
//! // Gaussian histogram per column; σ to be chosen) that get 10 % of ε = 3 at δ = 1e-6.
//! let schedule = TrainingSchedule::new(26_049, 500, 30)?;
//! let preprocessing = vec![PrivacyEvent::discrete_gaussian(1.0, 15)?];
//! let plan = calibrate_jointly(3.0, 1e-6, &preprocessing, 0.1, &schedule, &AccountantSpec::rdp())?;
//! assert!(plan.epsilon <= 3.0);
//! assert!(plan.preprocessing_epsilon <= 0.3);
//! assert!(plan.preprocessing_noise_multiplier.is_some());
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::calibrate::{NoiseSchedule, calibrate_events, calibrate_noise};
use crate::error::{AccountantError, Result};
use crate::event::PrivacyEvent;
use crate::spec::AccountantSpec;

/// The schedule of a DP-SGD run on Poisson-sampled batches.
///
/// Each step includes every row independently with probability q = B/N, where B is the
/// *expected* batch size; one epoch is 1/q steps on average, so `epochs` epochs are
/// ⌈epochs·N/B⌉ steps. The row count N is treated as public, as in every DP-SGD implementation
/// that normalises by the expected batch size q·N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingSchedule {
    n_rows: u64,
    batch_size: u64,
    epochs: u64,
}

impl TrainingSchedule {
    /// The schedule for `epochs` epochs of expected batch size `batch_size` over `n_rows` rows.
    ///
    /// # Errors
    /// [`AccountantError::InvalidSchedule`] when a value is 0 or the batch is larger than the
    /// table; [`AccountantError::CountOverflow`] when the step count does not fit in `u64`.
    pub fn new(n_rows: u64, batch_size: u64, epochs: u64) -> Result<Self> {
        let reason = if n_rows == 0 {
            Some("the table has no rows")
        } else if batch_size == 0 {
            Some("the batch size is 0")
        } else if epochs == 0 {
            Some("the number of epochs is 0")
        } else if batch_size > n_rows {
            Some("the expected batch size is larger than the table")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(AccountantError::InvalidSchedule {
                n_rows,
                batch_size,
                epochs,
                reason,
            });
        }
        let schedule = TrainingSchedule {
            n_rows,
            batch_size,
            epochs,
        };
        schedule.checked_steps()?;
        Ok(schedule)
    }

    /// Rows in the table.
    pub fn n_rows(&self) -> u64 {
        self.n_rows
    }

    /// Expected batch size B = q·N.
    pub fn batch_size(&self) -> u64 {
        self.batch_size
    }

    /// Epochs planned.
    pub fn epochs(&self) -> u64 {
        self.epochs
    }

    /// Inclusion probability of each row in each step, q = B/N ∈ (0, 1].
    pub fn sample_rate(&self) -> f64 {
        self.batch_size as f64 / self.n_rows as f64
    }

    /// Steps per epoch on average, N/B (not necessarily an integer).
    pub fn steps_per_epoch(&self) -> f64 {
        self.n_rows as f64 / self.batch_size as f64
    }

    /// Steps in the whole run, ⌈epochs·N/B⌉.
    pub fn steps(&self) -> u64 {
        // `new` checked that this does not overflow.
        self.checked_steps().unwrap_or(u64::MAX)
    }

    /// Steps after the first `epoch` epochs, ⌈epoch·N/B⌉ (capped at the run's total).
    pub fn steps_after_epoch(&self, epoch: u64) -> u64 {
        let epoch = epoch.min(self.epochs);
        let numerator = u128::from(epoch) * u128::from(self.n_rows);
        let steps = numerator.div_ceil(u128::from(self.batch_size));
        u64::try_from(steps).unwrap_or(u64::MAX)
    }

    fn checked_steps(&self) -> Result<u64> {
        let numerator = u128::from(self.epochs) * u128::from(self.n_rows);
        let steps = numerator.div_ceil(u128::from(self.batch_size));
        u64::try_from(steps).map_err(|_| AccountantError::CountOverflow {
            what: "training steps",
        })
    }
}

/// The noise of a private run: preprocessing and training, calibrated together.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JointCalibration {
    /// Noise multiplier shared by the preprocessing releases; `None` when there are none.
    pub preprocessing_noise_multiplier: Option<f64>,
    /// ε the preprocessing alone spends at δ (≤ share·target); 0 without preprocessing.
    pub preprocessing_epsilon: f64,
    /// Noise multiplier of every training step.
    pub training_noise_multiplier: f64,
    /// ε of the whole plan (preprocessing composed with training) at δ: ≤ the target.
    pub epsilon: f64,
}

/// Calibrates the preprocessing and training noise of a run so that the composition of both
/// spends at most `target_epsilon` at `delta`.
///
/// `preprocessing` lists the preprocessing releases as the events the ledger will record, with
/// their kind and count (e.g. one discrete Gaussian histogram per column); their noise
/// multipliers are placeholders, replaced by one shared σ_pre
/// ([`PrivacyEvent::with_noise_multiplier`]). σ_pre is the smallest (to 1e-6 relative, on the
/// safe side) for which the preprocessing *alone* spends at most
/// `preprocessing_share · target_epsilon` ([`crate::calibrate_events`]); then the
/// training noise multiplier is calibrated with the preprocessing composed first, so the total
/// is at most the target. Under RDP or PLD composition the preprocessing then costs less of the
/// total than its share suggests; the report shows the real split.
///
/// **Guarantee.** The returned plan's ε, evaluated by `spec`'s accountant (an upper bound for
/// add/remove-one), is ≤ `target_epsilon`; see [`calibrate_noise`].
///
/// # Errors
/// [`AccountantError::InvalidShare`] unless the share is in (0, 1) when there is
/// preprocessing; [`AccountantError::InvalidNoiseMultiplier`] for a preprocessing event
/// without a noise multiplier; everything [`calibrate_noise`] returns (invalid ε or δ, GDP
/// spec, unreachable target).
pub fn calibrate_jointly(
    target_epsilon: f64,
    delta: f64,
    preprocessing: &[PrivacyEvent],
    preprocessing_share: f64,
    training: &TrainingSchedule,
    spec: &AccountantSpec,
) -> Result<JointCalibration> {
    let training_segment = vec![(training.sample_rate(), training.steps())];
    if preprocessing.is_empty() {
        let c = calibrate_noise(
            target_epsilon,
            delta,
            &NoiseSchedule {
                fixed: Vec::new(),
                calibrated: training_segment,
            },
            spec,
        )?;
        return Ok(JointCalibration {
            preprocessing_noise_multiplier: None,
            preprocessing_epsilon: 0.0,
            training_noise_multiplier: c.noise_multiplier,
            epsilon: c.epsilon,
        });
    }
    if !(preprocessing_share > 0.0 && preprocessing_share < 1.0) {
        return Err(AccountantError::InvalidShare {
            value: preprocessing_share,
        });
    }
    let pre = calibrate_events(
        preprocessing_share * target_epsilon,
        delta,
        &[],
        preprocessing,
        spec,
    )?;
    let fixed = preprocessing
        .iter()
        .map(|e| e.with_noise_multiplier(pre.noise_multiplier))
        .collect::<Result<Vec<_>>>()?;
    let train = calibrate_noise(
        target_epsilon,
        delta,
        &NoiseSchedule {
            fixed,
            calibrated: training_segment,
        },
        spec,
    )?;
    Ok(JointCalibration {
        preprocessing_noise_multiplier: Some(pre.noise_multiplier),
        preprocessing_epsilon: pre.epsilon,
        training_noise_multiplier: train.noise_multiplier,
        epsilon: train.epsilon,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_counts_poisson_steps() {
        let s = TrainingSchedule::new(26_049, 500, 300).unwrap();
        assert_eq!(s.steps(), (300u64 * 26_049).div_ceil(500));
        assert_eq!(s.steps_after_epoch(1), 53);
        assert_eq!(s.steps_after_epoch(300), s.steps());
        assert_eq!(s.steps_after_epoch(1_000), s.steps());
        assert!((s.sample_rate() - 500.0 / 26_049.0).abs() < 1e-15);
    }

    #[test]
    fn schedule_rejects_impossible_plans() {
        for (n, b, e) in [(0, 1, 1), (10, 0, 1), (10, 1, 0), (10, 11, 1)] {
            assert!(matches!(
                TrainingSchedule::new(n, b, e),
                Err(AccountantError::InvalidSchedule { .. })
            ));
        }
        assert!(matches!(
            TrainingSchedule::new(u64::MAX, 1, u64::MAX),
            Err(AccountantError::CountOverflow { .. })
        ));
    }

    /// The composed plan, replayed independently through a fresh accountant, stays under the
    /// target, and the preprocessing alone stays under its share.
    #[test]
    fn joint_plan_meets_the_target_when_replayed() {
        let spec = AccountantSpec::rdp();
        let schedule = TrainingSchedule::new(10_000, 250, 20).unwrap();
        let pre = [
            PrivacyEvent::discrete_gaussian(1.0, 9).unwrap(),
            PrivacyEvent::discrete_gaussian(1.0, 6).unwrap(),
        ];
        let plan = calibrate_jointly(2.0, 1e-6, &pre, 0.2, &schedule, &spec).unwrap();
        let sigma_pre = plan.preprocessing_noise_multiplier.unwrap();

        let mut acc = spec.build();
        acc.compose(&PrivacyEvent::discrete_gaussian(sigma_pre, 15).unwrap())
            .unwrap();
        assert!(acc.epsilon(1e-6).unwrap() <= 0.4);
        acc.compose(
            &PrivacyEvent::poisson_subsampled_gaussian(
                schedule.sample_rate(),
                plan.training_noise_multiplier,
                schedule.steps(),
            )
            .unwrap(),
        )
        .unwrap();
        let total = acc.epsilon(1e-6).unwrap();
        assert!(total <= 2.0, "{total}");
        assert!(total > 1.99, "calibration should be tight: {total}");
    }

    #[test]
    fn without_preprocessing_the_whole_budget_goes_to_training() {
        let spec = AccountantSpec::rdp();
        let schedule = TrainingSchedule::new(1_000, 100, 5).unwrap();
        let plan = calibrate_jointly(1.0, 1e-5, &[], 0.5, &schedule, &spec).unwrap();
        assert_eq!(plan.preprocessing_noise_multiplier, None);
        assert_eq!(plan.preprocessing_epsilon, 0.0);
        assert!(plan.epsilon <= 1.0 && plan.epsilon > 0.999);
    }

    #[test]
    fn share_must_be_a_proper_fraction() {
        let spec = AccountantSpec::rdp();
        let schedule = TrainingSchedule::new(1_000, 100, 5).unwrap();
        for share in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(matches!(
                calibrate_jointly(
                    1.0,
                    1e-5,
                    &[PrivacyEvent::gaussian(1.0, 3).unwrap()],
                    share,
                    &schedule,
                    &spec
                ),
                Err(AccountantError::InvalidShare { .. })
            ));
        }
    }
}
