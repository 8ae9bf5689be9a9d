//! [`Privacy`]: whether a run is differentially private, and [`DpConfig`], the settings of a
//! private run — the one definition every model, the validator and the privacy report use.
//!
//! ```
//! use tabveil_models::{DpConfig, Privacy};
//!
//! // ε and δ are constructor arguments: there is no default privacy budget.
//! let dp = DpConfig::new(3.0, 1e-6).with_clipping_norm(1.0);
//! dp.check()?;
//! let privacy = Privacy::Dp(dp);
//! assert!(privacy.is_private());
//! # Ok::<(), tabveil_models::ModelError>(())
//! ```

use serde::{Deserialize, Serialize};
use tabveil_accountant::{AccountantKind, AccountantSpec, LedgerEntry, PrivacyLedger, RunBudget};
use tabveil_data::{DEFAULT_HISTOGRAM_BINS, DEFAULT_ZERO_BELOW};
use tabveil_noise::NoiseSource;

use crate::error::{ConfigError, ConfigResult, Result};

/// Private (private preprocessing and a private model stage, accounted end to end) or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Privacy {
    /// No differential privacy: the model runs as SDV's and **no privacy guarantee holds** for
    /// it or its samples.
    NonPrivate,
    /// Differentially private; see [`DpConfig`].
    Dp(DpConfig),
}

impl Privacy {
    /// True for [`Privacy::Dp`].
    pub fn is_private(&self) -> bool {
        matches!(self, Privacy::Dp(_))
    }

    /// The private settings, if any.
    pub fn dp(&self) -> Option<&DpConfig> {
        match self {
            Privacy::Dp(dp) => Some(dp),
            Privacy::NonPrivate => None,
        }
    }
}

/// The settings of a differentially private run.
///
/// The whole pipeline — the preprocessing releases (noisy counts and histograms) and every
/// release of the model's own stage (for CTGAN and TVAE, every DP-SGD step) — spends at most
/// (ε, δ) under add/remove-one-row neighbouring. The noise of both stages is planned together
/// ([`PreprocessingPlan`](tabveil_accountant::PreprocessingPlan)).
///
/// Nothing is checked on construction: [`DpConfig::check`] (which every model's `check` runs)
/// stops at the first bad value, and the validator reports every problem at once.
///
/// # Defaults
/// - `clipping_norm` C = 1 (per-example L2 clipping of DP-SGD);
/// - `preprocessing_share` 0.1 (the preprocessing alone may spend 10 % of ε);
/// - `accountant`: RDP with the default orders ([`AccountantSpec::rdp`]);
/// - `histogram_bins` [`DEFAULT_HISTOGRAM_BINS`] and `zero_below` [`DEFAULT_ZERO_BELOW`] (the
///   private preprocessing, see `tabveil_data::PrivateConfig`);
/// - privacy randomness from the operating system (`noise_seeded` false, no noise seed);
/// - no `row_estimate`: the model's stage is planned with the run's own private estimate N̂.
///
/// ε and δ have no default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpConfig {
    /// Target ε: the whole pipeline (preprocessing and the model's stage) spends at most this.
    pub epsilon: f64,
    /// δ of the (ε, δ) guarantee.
    pub delta: f64,
    /// Per-example L2 clipping norm C of the gradients (DP-SGD models).
    #[serde(default = "default_clipping_norm")]
    pub clipping_norm: f64,
    /// Share of ε that the preprocessing releases alone may spend, in (0, 1).
    #[serde(default = "default_preprocessing_share")]
    pub preprocessing_share: f64,
    /// The accountant that plans the noise and enforces the budget (RDP or PLD).
    #[serde(default = "AccountantSpec::rdp")]
    pub accountant: AccountantSpec,
    /// Interior histogram bins of continuous columns in the private preprocessing.
    #[serde(default = "default_histogram_bins")]
    pub histogram_bins: usize,
    /// Noisy histogram counts below `zero_below` noise standard deviations are set to 0.
    #[serde(default = "default_zero_below")]
    pub zero_below: f64,
    /// Whether the privacy randomness is fixed by a noise seed (tests and research only: the
    /// guarantee then rests on the seed staying secret). The seed itself is never serialised
    /// (anyone who knew it could remove the noise).
    #[serde(default)]
    pub noise_seeded: bool,
    #[serde(skip)]
    noise_seed: Option<u64>,
    /// A row count released (or public) before the run, to plan the model's stage with instead
    /// of the run's own estimate N̂ (see [`DpConfig::with_row_estimate`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_estimate: Option<f64>,
    /// Releases already made on the same table before this run (see
    /// [`DpConfig::with_prior_releases`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior_releases: Vec<LedgerEntry>,
}

impl DpConfig {
    /// A private run spending at most `epsilon` at `delta`, with the defaults above.
    pub fn new(epsilon: f64, delta: f64) -> Self {
        DpConfig {
            epsilon,
            delta,
            clipping_norm: default_clipping_norm(),
            preprocessing_share: default_preprocessing_share(),
            accountant: AccountantSpec::rdp(),
            histogram_bins: default_histogram_bins(),
            zero_below: default_zero_below(),
            noise_seeded: false,
            noise_seed: None,
            row_estimate: None,
            prior_releases: Vec::new(),
        }
    }

    /// Releases already made on the same table before this run — private schema discovery
    /// (`tabveil_data::discover_schema`) — that the run composes first: its ledger starts
    /// with them, and its noise is calibrated so that they and the run together spend at
    /// most (ε, δ) by the run's accountant (not by adding ε's: the composition is evaluated
    /// whole). The preprocessing keeps its share of ε; the training noise pays for the
    /// prior releases. A model that cannot compose them refuses the setting
    /// (`ModelSpec::composes_prior_releases`).
    #[must_use]
    pub fn with_prior_releases(mut self, entries: Vec<LedgerEntry>) -> Self {
        self.prior_releases = entries;
        self
    }

    /// A ledger holding the run's prior releases ([`DpConfig::with_prior_releases`]), in
    /// order: every model's fit opens its ledger with it.
    ///
    /// # Errors
    /// Ledger errors (an entry a ledger refuses).
    pub(crate) fn prior_ledger(&self) -> Result<PrivacyLedger> {
        let mut ledger = PrivacyLedger::new();
        for entry in &self.prior_releases {
            ledger.record(entry.clone())?;
        }
        Ok(ledger)
    }

    /// Sets the per-example clipping norm C.
    #[must_use]
    pub fn with_clipping_norm(mut self, clipping_norm: f64) -> Self {
        self.clipping_norm = clipping_norm;
        self
    }

    /// Sets the share of ε the preprocessing releases alone may spend.
    #[must_use]
    pub fn with_preprocessing_share(mut self, share: f64) -> Self {
        self.preprocessing_share = share;
        self
    }

    /// Sets the accountant (RDP or PLD; the Gaussian-DP approximation is refused by
    /// [`DpConfig::check`]).
    #[must_use]
    pub fn with_accountant(mut self, accountant: AccountantSpec) -> Self {
        self.accountant = accountant;
        self
    }

    /// Sets the number of interior histogram bins of continuous columns.
    #[must_use]
    pub fn with_histogram_bins(mut self, bins: usize) -> Self {
        self.histogram_bins = bins;
        self
    }

    /// Histogram counts below `zero_below` noise standard deviations are set to 0.
    #[must_use]
    pub fn with_zero_below(mut self, zero_below: f64) -> Self {
        self.zero_below = zero_below;
        self
    }

    /// Plans the model's stage (for DP-SGD: q = B / round(N̂), ⌈epochs·d·N̂/B⌉ steps, the
    /// training noise) with `rows` instead of the estimate N̂ the run derives from its own noisy
    /// counts, so that the whole ledger of the run is known before its first release (a service
    /// charges it to a lifetime budget up front).
    ///
    /// `rows` must be public or the output of a differentially private release accounted
    /// elsewhere (`tabveil-server` releases one noisy row count per dataset and charges it to
    /// the dataset's budget): the schedule, the saved model and the report all reveal it.
    /// Never pass the true row count of a private table. [`DpConfig::check`] requires it
    /// finite and ≥ 1.
    #[must_use]
    pub fn with_row_estimate(mut self, rows: f64) -> Self {
        self.row_estimate = Some(rows);
        self
    }

    /// The row count the model's stage is planned with: the released
    /// [`row_estimate`](Self::with_row_estimate) when one was given, else `estimated_rows`
    /// (the run's own private estimate N̂).
    pub fn planning_rows(&self, estimated_rows: f64) -> f64 {
        self.row_estimate.unwrap_or(estimated_rows)
    }

    /// **Dangerous.** Fixes all privacy randomness (Poisson sampling of rows, every Gaussian
    /// noise draw) with `noise_seed`, for tests and research. Anyone who knows the seed can
    /// remove the noise; the ledger is marked as seeded and the report says that the guarantee
    /// rests on the seed staying secret. The seed is never saved with a model.
    #[must_use]
    pub fn dangerous_noise_seed(mut self, noise_seed: u64) -> Self {
        self.noise_seed = Some(noise_seed);
        self.noise_seeded = true;
        self
    }

    /// True when a noise seed fixed (or, for a loaded configuration, fixed) the privacy
    /// randomness.
    pub fn is_noise_seeded(&self) -> bool {
        self.noise_seeded
    }

    /// The noise seed, when one is set in this process (never after deserialisation).
    pub(crate) fn noise_seed(&self) -> Option<u64> {
        self.noise_seed
    }

    /// The budget the run's noise is planned for (ε, δ, the preprocessing share, the
    /// accountant).
    pub fn run_budget(&self) -> RunBudget {
        RunBudget::new(
            self.epsilon,
            self.delta,
            self.preprocessing_share,
            self.accountant.clone(),
        )
        .with_prior(self.prior_releases.iter().map(|e| *e.event()).collect())
    }

    /// Where the run's privacy randomness comes from: the operating system, or the dangerous
    /// noise seed set in this process (each part of a run takes its own stream of it).
    pub fn noise_source(&self) -> NoiseSource {
        match self.noise_seed() {
            Some(seed) => NoiseSource::dangerous_seeded(seed),
            None => NoiseSource::secure(),
        }
    }

    /// Checks every value.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`] naming the first bad value: ε finite and > 0,
    /// δ ∈ (0, 1), C finite and > 0, the share in (0, 1), an upper-bound accountant (RDP or
    /// PLD), at least one histogram bin, `zero_below` finite and ≥ 0, a `row_estimate` (when
    /// set) finite and ≥ 1.
    pub fn check(&self) -> ConfigResult<()> {
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(ConfigError::invalid(
                "epsilon",
                self.epsilon,
                "finite and > 0",
            ));
        }
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(ConfigError::invalid("delta", self.delta, "in (0, 1)"));
        }
        if !(self.clipping_norm.is_finite() && self.clipping_norm > 0.0) {
            return Err(ConfigError::invalid(
                "clipping_norm",
                self.clipping_norm,
                "finite and > 0",
            ));
        }
        if !(self.preprocessing_share > 0.0 && self.preprocessing_share < 1.0) {
            return Err(ConfigError::invalid(
                "preprocessing_share",
                self.preprocessing_share,
                "in (0, 1)",
            ));
        }
        if self.accountant.kind == AccountantKind::Gdp {
            return Err(ConfigError::invalid(
                "accountant",
                "gdp",
                "an upper-bound accountant (rdp or pld)",
            ));
        }
        if self.histogram_bins == 0 {
            return Err(ConfigError::invalid("histogram_bins", 0, "at least 1"));
        }
        if !(self.zero_below.is_finite() && self.zero_below >= 0.0) {
            return Err(ConfigError::invalid(
                "zero_below",
                self.zero_below,
                "finite and ≥ 0",
            ));
        }
        if let Some(rows) = self.row_estimate
            && !(rows.is_finite() && rows >= 1.0)
        {
            return Err(ConfigError::invalid("row_estimate", rows, "finite and ≥ 1"));
        }
        Ok(())
    }
}

fn default_clipping_norm() -> f64 {
    1.0
}

fn default_preprocessing_share() -> f64 {
    0.1
}

fn default_histogram_bins() -> usize {
    DEFAULT_HISTOGRAM_BINS
}

fn default_zero_below() -> f64 {
    DEFAULT_ZERO_BELOW
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noise_seed_is_never_serialised() {
        let dp = DpConfig::new(1.0, 1e-6).dangerous_noise_seed(123_456_789);
        let json = serde_json::to_string(&dp).unwrap();
        assert!(!json.contains("123456789"), "{json}");
        assert!(json.contains("\"noise_seeded\":true"));
        let back: DpConfig = serde_json::from_str(&json).unwrap();
        assert!(back.is_noise_seeded());
        assert_eq!(back.noise_seed(), None);
    }

    #[test]
    fn a_row_estimate_round_trips_and_its_absence_is_not_serialised() {
        let dp = DpConfig::new(1.0, 1e-6);
        let json = serde_json::to_string(&dp).unwrap();
        assert!(!json.contains("row_estimate"), "{json}");
        let dp = dp.with_row_estimate(1234.0);
        let back: DpConfig = serde_json::from_str(&serde_json::to_string(&dp).unwrap()).unwrap();
        assert_eq!(back.row_estimate, Some(1234.0));
        assert_eq!(back.planning_rows(99.0), 1234.0);
        assert_eq!(DpConfig::new(1.0, 1e-6).planning_rows(99.0), 99.0);
    }

    #[test]
    fn bad_values_are_named() {
        for (eps, delta, name) in [
            (0.0, 1e-6, "epsilon"),
            (f64::INFINITY, 1e-6, "epsilon"),
            (1.0, 0.0, "delta"),
            (1.0, 1.0, "delta"),
        ] {
            match DpConfig::new(eps, delta).check() {
                Err(ConfigError::InvalidParameter { parameter, .. }) => assert_eq!(parameter, name),
                other => panic!("{other:?}"),
            }
        }
        let dp = DpConfig::new(1.0, 1e-6);
        assert!(dp.clone().with_clipping_norm(0.0).check().is_err());
        assert!(dp.clone().with_preprocessing_share(1.0).check().is_err());
        assert!(
            dp.clone()
                .with_accountant(AccountantSpec::new(AccountantKind::Gdp))
                .check()
                .is_err()
        );
        assert!(dp.clone().with_histogram_bins(0).check().is_err());
        assert!(dp.clone().with_row_estimate(0.5).check().is_err());
        assert!(dp.clone().with_row_estimate(f64::NAN).check().is_err());
        assert!(dp.with_zero_below(-1.0).check().is_err());
    }

    /// The validator's JSON of a private run (which omits the defaults) still reads.
    #[test]
    fn defaults_fill_omitted_fields() {
        let back: DpConfig = serde_json::from_str(r#"{"epsilon":3.0,"delta":1e-6}"#).unwrap();
        assert_eq!(back, DpConfig::new(3.0, 1e-6));
    }
}
