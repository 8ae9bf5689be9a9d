//! Planning a private run: the preprocessing releases' noise, the DP-SGD schedule and the
//! training noise, calibrated together.
//!
//! This is the one place that decides the noise of a run: the validator and a fit call the same
//! functions, but not with the same row count. The validator plans with the row count it is
//! given (the table's true N, or a count the user supplies). A fit calls the preprocessing part
//! first (it does not depend on the row count), then the training part with round(N̂), N̂ being
//! the differentially private row estimate the preprocessing released; the true N, which is
//! private, never enters a fit's plan. So σ_pre is the same in both; q, the number of steps and
//! σ_train of the fit equal those `tabveil validate` printed only when round(N̂) equals the count
//! the validator was given, and otherwise differ as N̂ differs from it.
//!
//! ```
//! use tabveil_accountant::{
//!     AccountantSpec, LedgerEntry, PreprocessingPlan, PrivacyEvent, RunBudget, Stage,
//!     TrainingSchedule,
//! };
//!
//! // ε = 3 at δ = 1e-6, 10 % of it for the preprocessing releases (one discrete Gaussian
//! // histogram for each of 15 columns; their noise here is a placeholder: only mechanism and
//! // count count).
//! let budget = RunBudget::new(3.0, 1e-6, 0.1, AccountantSpec::rdp());
//! let planned: Vec<LedgerEntry> = (0..15)
//!     .map(|i| LedgerEntry::new(format!("column {i}"), Stage::Preprocessing, PrivacyEvent::discrete_gaussian(1.0, 1)?))
//!     .collect::<Result<_, _>>()?;
//! let preprocessing = PreprocessingPlan::calibrate(&budget, &planned)?;
//! assert_eq!(preprocessing.releases(), 15);
//! assert!(preprocessing.epsilon() <= 0.3);
//! // Then the training noise, for 26 049 rows, expected batch 500, 30 epochs.
//! let schedule = TrainingSchedule::new(26_049, 500, 30)?;
//! let plan = preprocessing.with_training(&budget, &schedule)?;
//! assert!(plan.epsilon <= 3.0);
//! assert_eq!(plan.preprocessing_noise_multiplier, preprocessing.noise_multiplier());
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::calibrate::{Calibration, NoiseSchedule, calibrate_events, calibrate_noise};
use crate::error::{AccountantError, Result};
use crate::event::PrivacyEvent;
use crate::ledger::LedgerEntry;
use crate::spec::AccountantSpec;

/// The schedule of a DP-SGD run on Poisson-sampled batches.
///
/// Each step includes every row independently with probability q = B/N, where B is the
/// *expected* batch size; one epoch is 1/q steps on average, so `epochs` epochs are
/// ⌈epochs·N/B⌉ steps. N is the row count the run is planned with; q, the step count and the
/// normaliser q·N of the gradients are computed from it, so for a private fit it must not be
/// the true row count (which is private): tabveil's fits pass round(N̂), a differentially
/// private estimate (post-processing of the preprocessing releases). The validator passes the
/// count it is given, to preview a plan.
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

    /// The schedule of a trainer that makes `releases_per_step` private gradient releases per
    /// optimiser step (CTGAN's discriminator steps, each on its own Poisson batch; 1 for TVAE):
    /// `epochs × releases_per_step` expected passes, ⌈epochs·d·N/B⌉ subsampled-Gaussian steps.
    ///
    /// # Errors
    /// As [`TrainingSchedule::new`]; [`AccountantError::CountOverflow`] when
    /// `epochs × releases_per_step` does not fit in `u64`.
    pub fn with_releases_per_step(
        n_rows: u64,
        batch_size: u64,
        epochs: u64,
        releases_per_step: u64,
    ) -> Result<Self> {
        let passes =
            epochs
                .checked_mul(releases_per_step)
                .ok_or(AccountantError::CountOverflow {
                    what: "epochs × discriminator steps",
                })?;
        TrainingSchedule::new(n_rows, batch_size, passes)
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
/// `preprocessing_share · target_epsilon` ([`calibrate_events`]); then the training noise
/// multiplier is calibrated with the preprocessing composed first, so the total is at most the
/// target. Under RDP or PLD composition the preprocessing then costs less of the total than its
/// share suggests; the report shows the real split. This is [`PreprocessingPlan::from_templates`]
/// followed by [`PreprocessingPlan::with_training`].
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
    let budget = RunBudget::new(target_epsilon, delta, preprocessing_share, spec.clone());
    PreprocessingPlan::from_templates(&budget, preprocessing)?.with_training(&budget, training)
}

/// What a private run may spend and how it is accounted: the target (ε, δ), the share of ε the
/// preprocessing releases alone may spend, and the accountant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunBudget {
    /// Target ε of the whole run.
    pub epsilon: f64,
    /// δ of the guarantee.
    pub delta: f64,
    /// Share of ε the preprocessing alone may spend, in (0, 1).
    pub preprocessing_share: f64,
    /// The accountant that calibrates the noise (RDP or PLD).
    pub accountant: AccountantSpec,
    /// Releases already made on the same data before the run (e.g. private schema
    /// discovery), composed first: the run's training noise is calibrated so that they, the
    /// preprocessing and the training together spend at most `epsilon` at `delta`
    /// ([`PreprocessingPlan::with_training`]). Empty by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior: Vec<PrivacyEvent>,
}

impl RunBudget {
    /// A budget of `epsilon` at `delta`, `preprocessing_share` of it for the preprocessing.
    pub fn new(
        epsilon: f64,
        delta: f64,
        preprocessing_share: f64,
        accountant: AccountantSpec,
    ) -> Self {
        RunBudget {
            epsilon,
            delta,
            preprocessing_share,
            accountant,
            prior: Vec::new(),
        }
    }

    /// The same budget with `prior` releases composed before the run (see the field).
    #[must_use]
    pub fn with_prior(mut self, prior: Vec<PrivacyEvent>) -> Self {
        self.prior = prior;
        self
    }

    /// The same budget with target `epsilon`.
    #[must_use]
    pub fn with_epsilon(&self, epsilon: f64) -> Self {
        RunBudget {
            epsilon,
            ..self.clone()
        }
    }
}

/// The preprocessing releases of a run and the one noise multiplier σ_pre they share: the
/// first half of a run's plan, which does not depend on the row count.
///
/// The releases are kept as event templates: the mechanism and count of each kind of release
/// (discrete Gaussian counts, say), with a placeholder noise multiplier that σ_pre replaces
/// ([`PrivacyEvent::with_noise_multiplier`]). σ_pre is the smallest (to 1e-6 relative, on the
/// safe side) for which the preprocessing *alone* spends at most `preprocessing_share · ε`
/// ([`calibrate_events`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreprocessingPlan {
    /// One event per mechanism, in the order of first appearance, noise multiplier 1.
    templates: Vec<PrivacyEvent>,
    /// σ_pre and the ε the preprocessing alone spends; `None` without releases.
    calibration: Option<Calibration>,
}

impl PreprocessingPlan {
    /// The plan of the releases `planned` (the entries the preprocessing will record; their
    /// noise is ignored, only their mechanisms and counts matter), calibrated for `budget`.
    ///
    /// # Errors
    /// As [`PreprocessingPlan::from_templates`].
    pub fn calibrate(budget: &RunBudget, planned: &[LedgerEntry]) -> Result<Self> {
        Self::from_templates(budget, &Self::templates_of(planned))
    }

    /// `planned` as event templates: each entry's event with noise multiplier 1 (a placeholder
    /// for σ_pre; an event without one, the exponential mechanism, is kept as it is), entries
    /// of the same mechanism merged by adding their counts, in the order of first appearance.
    pub fn templates_of(planned: &[LedgerEntry]) -> Vec<PrivacyEvent> {
        let mut templates: Vec<PrivacyEvent> = Vec::new();
        for entry in planned {
            let event = entry.event();
            let event = event.with_noise_multiplier(1.0).unwrap_or(*event);
            // Merging cannot fail (the sum of two counts ≥ 1 is ≥ 1); were it to, the event is
            // kept as a template of its own rather than dropped.
            let merged = templates
                .iter_mut()
                .find(|t| t.same_mechanism(&event))
                .and_then(|t| {
                    *t = t.with_steps(t.steps().saturating_add(event.steps())).ok()?;
                    Some(())
                });
            if merged.is_none() {
                templates.push(event);
            }
        }
        templates
    }

    /// The plan of the releases `templates` (events whose kind and count are those of the
    /// releases; their noise multipliers are replaced by the one σ_pre they share), calibrated
    /// for `budget`.
    ///
    /// # Errors
    /// When there are releases: [`AccountantError::InvalidShare`] unless the share is in
    /// (0, 1), [`AccountantError::InvalidNoiseMultiplier`] for a template without a noise
    /// multiplier, and everything [`calibrate_events`] returns (invalid ε or δ, GDP spec,
    /// unreachable target).
    pub fn from_templates(budget: &RunBudget, templates: &[PrivacyEvent]) -> Result<Self> {
        if templates.is_empty() {
            return Ok(PreprocessingPlan {
                templates: Vec::new(),
                calibration: None,
            });
        }
        let share = budget.preprocessing_share;
        if !(share > 0.0 && share < 1.0) {
            return Err(AccountantError::InvalidShare { value: share });
        }
        let calibration = calibrate_events(
            share * budget.epsilon,
            budget.delta,
            &[],
            templates,
            &budget.accountant,
        )?;
        Ok(PreprocessingPlan {
            templates: templates.to_vec(),
            calibration: Some(calibration),
        })
    }

    /// The templates (one event per mechanism; their noise multiplier is a placeholder).
    pub fn templates(&self) -> &[PrivacyEvent] {
        &self.templates
    }

    /// Number of releases (the sum of the counts).
    pub fn releases(&self) -> u64 {
        self.templates.iter().map(PrivacyEvent::steps).sum()
    }

    /// σ_pre (`None` without releases).
    pub fn noise_multiplier(&self) -> Option<f64> {
        self.calibration.map(|c| c.noise_multiplier)
    }

    /// ε the preprocessing alone spends at the budget's δ (0 without releases).
    pub fn epsilon(&self) -> f64 {
        self.calibration.map_or(0.0, |c| c.epsilon)
    }

    /// The releases as events at σ_pre (none without releases).
    ///
    /// # Errors
    /// Event construction errors (none for a calibrated plan).
    pub fn events(&self) -> Result<Vec<PrivacyEvent>> {
        match self.noise_multiplier() {
            Some(sigma) => self.events_at(sigma),
            None => Ok(Vec::new()),
        }
    }

    /// The releases as events at noise multiplier `sigma`.
    ///
    /// # Errors
    /// [`AccountantError::InvalidNoiseMultiplier`] unless `sigma` is finite and > 0.
    pub fn events_at(&self, sigma: f64) -> Result<Vec<PrivacyEvent>> {
        self.templates
            .iter()
            .map(|t| t.with_noise_multiplier(sigma))
            .collect()
    }

    /// The second half of the plan: σ_train for `training`, calibrated with the budget's
    /// prior releases and these releases composed first, so that the whole run — prior
    /// releases included — spends at most the budget's ε.
    ///
    /// σ_pre was calibrated for the preprocessing alone (its share of ε, whatever came
    /// before); only this step sees the prior releases. That is enough for the guarantee:
    /// the accountant evaluates the composition of every event of the run, prior ones first.
    ///
    /// **Guarantee.** The returned plan's ε, evaluated by the budget's accountant (an upper
    /// bound for add/remove-one), is ≤ the target; see [`calibrate_noise`].
    ///
    /// # Errors
    /// Everything [`calibrate_noise`] returns (invalid ε or δ, GDP spec, unreachable target).
    pub fn with_training(
        &self,
        budget: &RunBudget,
        training: &TrainingSchedule,
    ) -> Result<JointCalibration> {
        let training_segment = vec![(training.sample_rate(), training.steps())];
        let mut fixed = budget.prior.clone();
        fixed.extend(self.events()?);
        let train = calibrate_noise(
            budget.epsilon,
            budget.delta,
            &NoiseSchedule {
                fixed,
                calibrated: training_segment,
            },
            &budget.accountant,
        )?;
        Ok(JointCalibration {
            preprocessing_noise_multiplier: self.noise_multiplier(),
            preprocessing_epsilon: self.epsilon(),
            training_noise_multiplier: train.noise_multiplier,
            epsilon: train.epsilon,
        })
    }
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

    /// Prior releases (a discovery's Gaussian and thresholding events) are composed first:
    /// the replayed run — prior, preprocessing, training — stays under the target, for both
    /// accountants, and the training gets more noise than without them.
    #[test]
    fn prior_releases_are_composed_before_the_run() {
        let schedule = TrainingSchedule::new(20_000, 500, 10).unwrap();
        let prior = vec![
            PrivacyEvent::gaussian(8.0, 3).unwrap(),
            PrivacyEvent::gaussian_threshold(8.0, 60.0, 4).unwrap(),
        ];
        for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
            let budget = RunBudget::new(3.0, 1e-6, 0.1, spec.clone());
            let pre = [PrivacyEvent::discrete_gaussian(1.0, 12).unwrap()];
            let alone = PreprocessingPlan::from_templates(&budget, &pre).unwrap();
            let without = alone.with_training(&budget, &schedule).unwrap();
            let with_prior = budget.clone().with_prior(prior.clone());
            let plan = alone.with_training(&with_prior, &schedule).unwrap();
            assert!(plan.training_noise_multiplier > without.training_noise_multiplier);
            let mut acc = spec.build();
            for e in &prior {
                acc.compose(e).unwrap();
            }
            for e in alone.events().unwrap() {
                acc.compose(&e).unwrap();
            }
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
            assert!(total <= 3.0 && total > 2.98, "{:?}: {total}", spec.kind);
        }
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

    /// Planned entries of one mechanism merge whatever their placeholder noise; different
    /// mechanisms stay apart, in the order of first appearance.
    #[test]
    fn templates_merge_releases_of_one_mechanism() {
        let entry = |event: PrivacyEvent| {
            LedgerEntry::new("release", crate::Stage::Preprocessing, event).unwrap()
        };
        let planned = [
            entry(PrivacyEvent::discrete_gaussian(1.0, 2).unwrap()),
            entry(PrivacyEvent::gaussian(3.0, 1).unwrap()),
            entry(PrivacyEvent::discrete_gaussian(7.0, 3).unwrap()),
        ];
        assert_eq!(
            PreprocessingPlan::templates_of(&planned),
            vec![
                PrivacyEvent::discrete_gaussian(1.0, 5).unwrap(),
                PrivacyEvent::gaussian(1.0, 1).unwrap(),
            ]
        );
        let budget = RunBudget::new(1.0, 1e-6, 0.2, AccountantSpec::rdp());
        let plan = PreprocessingPlan::calibrate(&budget, &planned).unwrap();
        assert_eq!(plan.releases(), 6);
        let sigma = plan.noise_multiplier().unwrap();
        assert_eq!(
            plan.events().unwrap(),
            vec![
                PrivacyEvent::discrete_gaussian(sigma, 5).unwrap(),
                PrivacyEvent::gaussian(sigma, 1).unwrap(),
            ]
        );
    }
}
