//! [`TrainingPlan`]: what a fit will do — steps, sampling rate, noise, the preprocessing share,
//! the predicted ε after every epoch — and the ranges of batch size, epochs and ε that work for
//! this table, each computed with the accountant.
//!
//! ```
//! use tabveil_data::{ColumnSchema, Schema};
//! use tabveil_validate::{validate, DpConfig, Privacy, TrainingConfig};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::integer("age", Some(0.0), Some(100.0)),
//!     ColumnSchema::categorical("sex", ["F", "M"]),
//! ])?;
//! let config = TrainingConfig::tvae(Privacy::Dp(DpConfig::new(3.0, 1e-6)))
//!     .with_epochs(20)
//!     .with_batch_size(200);
//! let report = validate(&config, &schema, 20_000);
//! let plan = report.plan.as_ref().unwrap();
//! let private = plan.private.as_ref().unwrap();
//! assert_eq!(private.private_steps, 2_000); // ⌈20 · 20 000 / 200⌉
//! assert!(private.epsilon <= 3.0);
//! assert_eq!(private.epsilon_by_epoch.len(), 20);
//! let ranges = plan.ranges.as_ref().unwrap();
//! assert!(ranges.epochs.as_ref().unwrap().max >= 20);
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

mod build;
mod planner;
mod render;
mod rounds;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use tabveil_accountant::{AccountantKind, PrivacyLedger};

use crate::memory::MemoryEstimate;

pub(crate) use build::build;
pub use planner::MAX_TRAINING_NOISE_MULTIPLIER;
pub(crate) use planner::Planner;

/// At most this many points of the ε-per-epoch curve are computed with the PLD accountant
/// (each is a full composition); with RDP every epoch is listed up to [`MAX_EPOCH_POINTS`].
pub const MAX_PLD_EPOCH_POINTS: usize = 30;
/// At most this many points of the ε-per-epoch curve (evenly spaced, the last epoch included).
pub const MAX_EPOCH_POINTS: usize = 1_000;

/// What a fit will do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingPlan {
    /// The model's display name (`"CTGAN"`, `"TVAE"`, `"Marginal"`).
    pub model: String,
    /// Rows in the table. Private training treats this count as public: DP-SGD normalises the
    /// gradient sum by the expected batch q·N.
    pub n_rows: u64,
    /// (Expected) batch size.
    pub batch_size: u64,
    /// Epochs.
    pub epochs: u64,
    /// Optimiser steps. Private: Poisson steps, ⌈epochs·N/B⌉. Non-private: SDV's
    /// epochs × max(⌊N/B⌋, 1).
    pub steps: u64,
    /// The privacy side of the plan (`None` for a non-private fit, or when the noise could not
    /// be calibrated: the findings say why).
    pub private: Option<PrivatePlan>,
    /// Ranges of the settings that work for this table (`None` for a non-private fit or when
    /// not asked for).
    pub ranges: Option<PlanRanges>,
    /// Memory estimate of the fit.
    pub memory: MemoryEstimate,
    /// The plan of a model fitted in rounds of releases instead of DP-SGD (the marginal
    /// model); its batch size, epochs and steps above are then 0, and `private` and `ranges`
    /// `None` (they describe DP-SGD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<RoundsPlan>,
}

/// The plan of a model fitted in rounds (the marginal model): one-way histograms, then rounds
/// of a private selection and a Gaussian measurement. Made by the model's own planning
/// function, the one its fit runs (`ModelSpec::round_plan`); ε computed here by the accountant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundsPlan {
    /// One-way histogram releases (one per modelled column).
    pub one_way_releases: u64,
    /// The rounds the initial noise is planned for. A run anneals (halves the noise when a
    /// measurement barely moves the model) and its last round spends what is left, so it
    /// usually runs fewer rounds, never more ε.
    pub rounds: u64,
    /// The privacy side (`None` for a non-private fit or when the plan failed: the findings
    /// say why).
    pub private: Option<PrivateRoundsPlan>,
}

/// The privacy side of a [`RoundsPlan`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateRoundsPlan {
    /// The accountant that plans and enforces the budget.
    pub accountant: AccountantKind,
    /// Target ε.
    pub target_epsilon: f64,
    /// δ.
    pub delta: f64,
    /// Releases made before the fit and composed first (a private schema discovery,
    /// `--discover-schema`); they open the planned ledger. 0 without.
    #[serde(default)]
    pub prior_releases: u64,
    /// ε the prior releases alone spend at δ (`None` without prior releases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_epsilon: Option<f64>,
    /// The fit's budget in zCDP: the largest ρ whose Gaussian mechanism, composed after the
    /// prior releases, the accountant gives at most the target ε.
    pub zcdp_rho: f64,
    /// Noise multiplier of every one-way histogram (L2 sensitivity 1).
    pub one_way_noise_multiplier: f64,
    /// ε at δ after the prior releases and the one-way histograms (the one-way histograms
    /// alone without prior releases).
    pub one_way_epsilon: f64,
    /// Initial noise multiplier of a round's measurement (L2 sensitivity 1).
    pub round_noise_multiplier: f64,
    /// Initial ε of a round's exponential-mechanism selection.
    pub selection_epsilon: f64,
    /// ε of the whole planned ledger at δ (≤ the target).
    pub epsilon: f64,
    /// ε after rounds of the planned ledger (every round up to [`MAX_EPOCH_POINTS`]; with
    /// the PLD accountant at most [`MAX_PLD_EPOCH_POINTS`] evenly spaced rounds), last round
    /// included.
    pub epsilon_by_round: Vec<RoundEpsilon>,
    /// The planned ledger: the prior releases, the one-way histograms, then each round's
    /// selection and measurement.
    pub ledger: PrivacyLedger,
}

/// ε after a number of rounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RoundEpsilon {
    /// Rounds completed.
    pub round: u64,
    /// Releases so far (one-way histograms included).
    pub releases: u64,
    /// ε spent so far at δ.
    pub epsilon: f64,
}

/// The privacy side of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivatePlan {
    /// The accountant that calibrated the noise (and will enforce the budget).
    pub accountant: AccountantKind,
    /// Target ε.
    pub target_epsilon: f64,
    /// δ.
    pub delta: f64,
    /// Poisson sampling rate q = B/N.
    pub sample_rate: f64,
    /// Private gradient releases: ⌈epochs·d·N/B⌉, d = CTGAN's discriminator steps (1 for TVAE).
    pub private_steps: u64,
    /// Noise multiplier σ of every training step.
    pub training_noise_multiplier: f64,
    /// Per-example clipping norm C.
    pub clipping_norm: f64,
    /// Standard deviation of the noise on the averaged gradient, per coordinate: σ·C/B.
    pub mean_gradient_noise_std: f64,
    /// Number of preprocessing releases (one per modelled column).
    pub preprocessing_releases: u64,
    /// Their shared noise multiplier (`None` without preprocessing).
    pub preprocessing_noise_multiplier: Option<f64>,
    /// Share of ε the preprocessing alone may spend.
    pub preprocessing_share: f64,
    /// ε the preprocessing alone spends at δ.
    pub preprocessing_epsilon: f64,
    /// Predicted ε of the whole fit at δ (≤ the target).
    pub epsilon: f64,
    /// Predicted ε after each epoch (every epoch up to [`MAX_EPOCH_POINTS`]; with the PLD
    /// accountant at most [`MAX_PLD_EPOCH_POINTS`] evenly spaced epochs), last epoch included.
    pub epsilon_by_epoch: Vec<EpochEpsilon>,
}

/// ε after a number of epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochEpsilon {
    /// Epochs completed.
    pub epoch: u64,
    /// Private steps completed.
    pub steps: u64,
    /// ε spent so far (preprocessing included) at δ.
    pub epsilon: f64,
}

/// The settings that work for this table, each varied with the others held at the config's
/// values, each computed with the accountant.
///
/// "Works" means: `validate` raises no finding about it — in particular the training noise
/// multiplier stays at most [`MAX_TRAINING_NOISE_MULTIPLIER`] and the fit fits in memory. A
/// range is `None` when no value works or when the other settings are themselves invalid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRanges {
    /// Expected batch size: from 1 (one expected row per batch) to the largest that keeps σ
    /// within the bound and the fit in memory. Recommended: the smallest batch size reaching
    /// 95 % of the best gradient signal-to-noise ratio √(steps)·B/σ (a heuristic).
    pub batch_size: Option<ValueRange<u64>>,
    /// Epochs: from 1 to the most that keep σ within the bound. Recommended: the fewest epochs
    /// reaching 95 % of the best gradient signal-to-noise ratio (a heuristic).
    pub epochs: Option<ValueRange<u64>>,
    /// ε: from the smallest target reachable with σ within the bound to 10 (above it the
    /// validator warns; a convention). Recommended: 1 (the strongest conventional tier) when
    /// reachable, else the minimum.
    pub epsilon: Option<ValueRange<f64>>,
}

/// A range of values and the one recommended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValueRange<T> {
    /// Smallest value that works.
    pub min: T,
    /// Largest value that works.
    pub max: T,
    /// The recommended value (in [min, max]).
    pub recommended: T,
}
