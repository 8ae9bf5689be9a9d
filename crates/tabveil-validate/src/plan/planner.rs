//! [`Planner`]: the accountant questions behind a plan, its ranges and the suggested fixes.
//!
//! Every noise multiplier comes from the accountant's run plan
//! ([`PreprocessingPlan`] and [`PreprocessingPlan::with_training`]), the functions a fit
//! calls too — with the row count the validator is given, where a fit uses round(N̂), a
//! differentially private estimate: the printed plan is the fit's plan exactly only when the
//! two counts agree (σ_pre always is the same). The searches
//! over epochs, batch sizes and ε do not calibrate from scratch at every probe: they ask "does
//! the plan fit with the training noise at its bound?" — one accountant evaluation, with the
//! per-step RDP of the mechanism cached.

use tabveil_accountant::{
    AccountantSpec, JointCalibration, LedgerEntry, PreprocessingPlan, PrivacyEvent, RunBudget,
    TrainingSchedule, epsilon_or_infinite, last_fitting, max_steps_within,
};

use crate::error::Result;

/// The largest training noise multiplier the validator accepts. Beyond it the noise on the
/// averaged gradient is so large relative to the clipped signal that DP-SGD learns little; the
/// issue fixes the bound at 50.
pub const MAX_TRAINING_NOISE_MULTIPLIER: f64 = 50.0;

/// The bound used inside the searches: a hair below [`MAX_TRAINING_NOISE_MULTIPLIER`], so that
/// a value the searches call feasible calibrates to a σ strictly below the bound even after the
/// calibration's 1e-6 relative tolerance.
const SEARCH_NOISE_BOUND: f64 = MAX_TRAINING_NOISE_MULTIPLIER * (1.0 - 1e-5);

/// Share of the best gradient signal-to-noise ratio at which the recommended batch size and
/// epochs are placed (see [`Planner::recommended_epochs`]).
const KNEE: f64 = 0.95;

/// The fixed facts of one planning problem.
#[derive(Debug, Clone)]
pub(crate) struct Planner {
    /// The run's budget (its ε is the configured target; searches vary it).
    pub budget: RunBudget,
    pub n_rows: u64,
    /// Private gradient releases per optimiser step (CTGAN's discriminator steps).
    pub releases_per_step: u64,
    /// Preprocessing releases as event templates sharing one σ (kind and count; the noise
    /// multiplier is a placeholder): [`PreprocessingPlan::templates_of`].
    pub preprocessing: Vec<PrivacyEvent>,
}

impl Planner {
    /// A planner for a table of `n_rows` rows with the preprocessing releases `planned` (the
    /// entries of `tabveil_data::planned_preprocessing`, whose noise is ignored here: only their
    /// mechanism and count matter).
    pub fn new(
        budget: RunBudget,
        n_rows: u64,
        releases_per_step: u64,
        planned: &[LedgerEntry],
    ) -> Self {
        Planner {
            budget,
            n_rows,
            releases_per_step: releases_per_step.max(1),
            preprocessing: PreprocessingPlan::templates_of(planned),
        }
    }

    /// The same planner with the RDP accountant: for the heuristic recommendations, which need
    /// many evaluations (RDP bounds PLD from above, so an RDP-feasible value is PLD-feasible).
    pub fn with_rdp(&self) -> Self {
        Planner {
            budget: RunBudget {
                accountant: AccountantSpec::rdp(),
                ..self.budget.clone()
            },
            ..self.clone()
        }
    }

    /// Number of preprocessing releases.
    pub fn preprocessing_releases(&self) -> u64 {
        self.preprocessing.iter().map(PrivacyEvent::steps).sum()
    }

    /// The schedule of the private gradient releases for `batch` and `epochs`.
    pub fn schedule(&self, batch: u64, epochs: u64) -> Result<TrainingSchedule> {
        Ok(TrainingSchedule::with_releases_per_step(
            self.n_rows,
            batch,
            epochs,
            self.releases_per_step,
        )?)
    }

    /// The preprocessing plan at `target`: the run plan's first half.
    fn preprocessing_at(&self, target: f64) -> Result<PreprocessingPlan> {
        Ok(PreprocessingPlan::from_templates(
            &self.budget.with_epsilon(target),
            &self.preprocessing,
        )?)
    }

    /// The joint calibration of the preprocessing and training noise at `target`: the run
    /// plan a fit computes.
    pub fn joint(&self, target: f64, batch: u64, epochs: u64) -> Result<JointCalibration> {
        let schedule = self.schedule(batch, epochs)?;
        Ok(self
            .preprocessing_at(target)?
            .with_training(&self.budget.with_epsilon(target), &schedule)?)
    }

    /// The events before the training at the noise the run plan picks for `target`: the
    /// budget's prior releases (a private schema discovery), then the preprocessing's.
    pub fn preprocessing_events(&self, target: f64) -> Result<Vec<PrivacyEvent>> {
        let mut events = self.budget.prior.clone();
        events.extend(self.preprocessing_at(target)?.events()?);
        Ok(events)
    }

    /// The events before the training with the preprocessing at noise multiplier `sigma`:
    /// the budget's prior releases, then the preprocessing's.
    pub fn preprocessing_events_at(&self, sigma: f64) -> Result<Vec<PrivacyEvent>> {
        let mut events = self.budget.prior.clone();
        for t in &self.preprocessing {
            events.push(t.with_noise_multiplier(sigma)?);
        }
        Ok(events)
    }

    /// Whether `target` is reachable for `batch` and `epochs` with the training noise at most
    /// the bound.
    #[cfg(test)]
    pub fn feasible(&self, target: f64, batch: u64, epochs: u64) -> Result<bool> {
        let pre = self.preprocessing_events(target)?;
        self.fits_at_bound(target, &pre, batch, epochs)
    }

    /// Whether `pre` followed by the training of `batch` and `epochs` at the search's noise
    /// bound spends at most `target`.
    fn fits_at_bound(
        &self,
        target: f64,
        pre: &[PrivacyEvent],
        batch: u64,
        epochs: u64,
    ) -> Result<bool> {
        let schedule = self.schedule(batch, epochs)?;
        let mut acc = self.budget.accountant.build();
        for e in pre {
            acc.compose(e)?;
        }
        acc.compose(&PrivacyEvent::poisson_subsampled_gaussian(
            schedule.sample_rate(),
            SEARCH_NOISE_BOUND,
            schedule.steps(),
        )?)?;
        Ok(epsilon_or_infinite(acc.as_ref(), self.budget.delta)? <= target)
    }

    /// The most epochs at `target` and `batch` with the training noise within the bound
    /// (`None` when not even one epoch fits).
    pub fn max_epochs(&self, target: f64, batch: u64) -> Result<Option<u64>> {
        self.max_epochs_at(
            target,
            batch,
            SEARCH_NOISE_BOUND,
            &self.preprocessing_events(target)?,
        )
    }

    fn max_epochs_at(
        &self,
        target: f64,
        batch: u64,
        sigma: f64,
        pre: &[PrivacyEvent],
    ) -> Result<Option<u64>> {
        let q = self.schedule(batch, 1)?.sample_rate();
        let steps = max_steps_within(
            target,
            self.budget.delta,
            pre,
            q,
            sigma,
            &self.budget.accountant,
        )?;
        // Steps of E epochs: ⌈E·d·N/B⌉ ≤ T  ⟺  E·d·N ≤ T·B.
        let per_epoch = u128::from(self.n_rows) * u128::from(self.releases_per_step);
        let mut epochs =
            (u128::from(steps) * u128::from(batch) / per_epoch).min(u128::from(u64::MAX / 2));
        while epochs > 0 {
            let e = u64::try_from(epochs).unwrap_or(u64::MAX / 2);
            match self.schedule(batch, e) {
                Ok(s) if s.steps() <= steps => return Ok(Some(e)),
                _ => epochs -= 1,
            }
        }
        Ok(None)
    }

    /// The largest (expected) batch size ≤ N at `target` and `epochs` with the training noise
    /// within the bound (`None` when not even a batch of one fits). ε grows with q at a fixed
    /// number of epochs, so a bisection over B finds it.
    pub fn max_batch(&self, target: f64, epochs: u64) -> Result<Option<u64>> {
        let pre = self.preprocessing_events(target)?;
        let fits = |batch: u64| self.fits_at_bound(target, &pre, batch, epochs);
        if fits(self.n_rows)? {
            return Ok(Some(self.n_rows));
        }
        if !fits(1)? {
            return Ok(None);
        }
        Ok(Some(last_fitting(1, self.n_rows, fits)?))
    }

    /// The smallest target ε reachable for `batch` and `epochs` with the training noise within
    /// the bound, rounded *up* to three significant digits (so the rounded value is reachable
    /// too). `None` when even ε = 10⁴ is not.
    pub fn min_epsilon(&self, batch: u64, epochs: u64) -> Result<Option<f64>> {
        let schedule = self.schedule(batch, epochs)?;
        let mut base = self.budget.accountant.build();
        base.compose(&PrivacyEvent::poisson_subsampled_gaussian(
            schedule.sample_rate(),
            SEARCH_NOISE_BOUND,
            schedule.steps(),
        )?)?;
        let fits = |target: f64| -> Result<bool> {
            let mut acc = base.boxed_clone();
            for e in self.preprocessing_events(target)? {
                acc.compose(&e)?;
            }
            Ok(epsilon_or_infinite(acc.as_ref(), self.budget.delta)? <= target)
        };
        // Bracket [lo (does not fit), hi (fits)] by doubling or halving from 1.
        let (mut lo, mut hi);
        if fits(1.0)? {
            hi = 1.0;
            lo = 0.5;
            while fits(lo)? {
                hi = lo;
                lo /= 2.0;
                if lo < 1e-6 {
                    return Ok(Some(round_up_3(hi)));
                }
            }
        } else {
            lo = 1.0;
            hi = 2.0;
            while !fits(hi)? {
                lo = hi;
                hi *= 2.0;
                if hi > 1e4 {
                    return Ok(None);
                }
            }
        }
        while hi / lo > 1.0 + 1e-4 {
            let mid = (lo * hi).sqrt();
            if fits(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let rounded = round_up_3(hi);
        // Rounding up keeps it reachable (ε(target) − target only falls as target grows, since
        // the preprocessing is calibrated to a fixed share of the target); check anyway.
        if fits(rounded)? {
            Ok(Some(rounded))
        } else {
            Ok(Some(hi))
        }
    }

    /// The recommended number of epochs at `target` and `batch`, at most `max_epochs`.
    ///
    /// Rule (a heuristic evaluated with the accountant, not an optimum of model quality): the
    /// signal-to-noise ratio of the sum of all gradient updates grows like √(steps)·B/σ. With ε
    /// fixed, more epochs need more noise per step, so this ratio rises with the epochs and
    /// levels off. The recommendation is the fewest epochs that reach 95 % of the best ratio
    /// found up to `max_epochs`: past it, more epochs buy less than 5 % more signal at a linear
    /// cost in time. Evaluated on a grid of noise multipliers (one cached RDP vector each).
    pub fn recommended_epochs(&self, target: f64, batch: u64, max_epochs: u64) -> Result<u64> {
        let pre = self.preprocessing_events(target)?;
        let mut points: Vec<(u64, f64)> = Vec::new();
        let mut sigma = 0.4_f64;
        while sigma <= SEARCH_NOISE_BOUND {
            if let Some(e) = self.max_epochs_at(target, batch, sigma, &pre)? {
                let e = e.min(max_epochs);
                points.push((e, (e as f64).sqrt() / sigma));
                if e == max_epochs {
                    break;
                }
            }
            sigma *= 1.2;
        }
        Ok(knee(&points).unwrap_or(max_epochs))
    }

    /// The recommended expected batch size at `target` and `epochs`, at most `max_batch`: the
    /// same rule as [`Planner::recommended_epochs`] over batch sizes (the ratio √(steps)·B/σ
    /// with the epochs fixed grows like √B/σ(B) and levels off), evaluated on batch sizes
    /// `max_batch / 2^k`, each calibrated with the preprocessing of `target`.
    pub fn recommended_batch(&self, target: f64, epochs: u64, max_batch: u64) -> Result<u64> {
        let budget = self.budget.with_epsilon(target);
        let pre = self.preprocessing_at(target)?;
        let mut points: Vec<(u64, f64)> = Vec::new();
        // The largest batch, then the powers of two below it (at most ten of them).
        let mut grid = vec![max_batch];
        let mut p = 1_u64 << (63 - max_batch.leading_zeros());
        if p == max_batch {
            p /= 2;
        }
        while p >= 1 && grid.len() < 11 {
            grid.push(p);
            p /= 2;
        }
        for batch in grid {
            let schedule = self.schedule(batch, epochs)?;
            if let Ok(c) = pre.with_training(&budget, &schedule) {
                points.push((batch, (batch as f64).sqrt() / c.training_noise_multiplier));
            }
        }
        points.sort_by_key(|&(b, _)| b);
        Ok(knee(&points).unwrap_or(max_batch))
    }

    /// ε at `delta` after the preprocessing (σ_pre) and the first `epochs_done` epochs of
    /// training at σ_train, for each requested epoch.
    pub fn epsilon_after_epochs(
        &self,
        joint: &JointCalibration,
        batch: u64,
        epochs: u64,
        at: &[u64],
    ) -> Result<Vec<(u64, u64, f64)>> {
        let schedule = self.schedule(batch, epochs)?;
        let mut base = self.budget.accountant.build();
        let before = match joint.preprocessing_noise_multiplier {
            Some(sigma) => self.preprocessing_events_at(sigma)?,
            None => self.budget.prior.clone(),
        };
        for e in before {
            base.compose(&e)?;
        }
        let step = PrivacyEvent::poisson_subsampled_gaussian(
            schedule.sample_rate(),
            joint.training_noise_multiplier,
            1,
        )?;
        base.prepare(&step)?;
        let mut out = Vec::with_capacity(at.len());
        for &epoch in at {
            let steps = schedule.steps_after_epoch(epoch.saturating_mul(self.releases_per_step));
            let mut acc = base.boxed_clone();
            if steps > 0 {
                acc.compose(&step.with_steps(steps)?)?;
            }
            out.push((epoch, steps, acc.epsilon(self.budget.delta)?));
        }
        Ok(out)
    }
}

/// The smallest x whose value reaches [`KNEE`] of the best value (points sorted by x).
fn knee(points: &[(u64, f64)]) -> Option<u64> {
    let best = points
        .iter()
        .map(|&(_, s)| s)
        .filter(|s| s.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !best.is_finite() {
        return None;
    }
    let mut sorted: Vec<(u64, f64)> = points.to_vec();
    sorted.sort_by_key(|&(x, _)| x);
    sorted
        .iter()
        .find(|&&(_, s)| s >= KNEE * best)
        .map(|&(x, _)| x)
}

/// `x` rounded up to three significant digits.
pub(crate) fn round_up_3(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return x;
    }
    let scale = 10_f64.powf(x.log10().floor() - 2.0);
    let r = (x / scale).ceil() * scale;
    // Undo representation error so that e.g. 6.2 prints as 6.2.
    let digits = (2.0 - x.log10().floor()).max(0.0) as usize;
    let text = format!("{r:.digits$}");
    text.parse::<f64>()
        .map_or(r, |v| if v >= x { v } else { r })
}
