//! [`Privacy`]: whether a model trains with differential privacy, and [`DpTraining`], the
//! settings of a private run (shared by every model of this crate).
//!
//! ```
//! use tabveil_models::{DpTraining, Privacy};
//!
//! // ε and δ are constructor arguments: there is no default privacy budget.
//! let dp = DpTraining::new(3.0, 1e-6)?.with_clipping_norm(1.0)?;
//! let privacy = Privacy::Dp(dp);
//! assert!(privacy.is_private());
//! # Ok::<(), tabveil_models::ModelError>(())
//! ```

use serde::{Deserialize, Serialize};
use tabveil_accountant::{AccountantKind, AccountantSpec};

use crate::error::{ModelError, Result};

/// Private (DP-SGD with private preprocessing, accounted end to end) or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Privacy {
    /// No differential privacy: the model runs as SDV's and **no privacy guarantee holds** for
    /// it or its samples.
    NonPrivate,
    /// Differentially private training; see [`DpTraining`].
    Dp(DpTraining),
}

impl Privacy {
    /// True for [`Privacy::Dp`].
    pub fn is_private(&self) -> bool {
        matches!(self, Privacy::Dp(_))
    }

    /// The private settings, if any.
    pub fn dp(&self) -> Option<&DpTraining> {
        match self {
            Privacy::Dp(dp) => Some(dp),
            Privacy::NonPrivate => None,
        }
    }
}

/// The settings of a differentially private fit.
///
/// The whole pipeline — the preprocessing releases (noisy counts and histograms) and every
/// DP-SGD step — spends at most (ε, δ) under add/remove-one-row neighbouring. The noise of both
/// stages is calibrated jointly at fit time
/// ([`calibrate_jointly`](tabveil_accountant::calibrate_jointly)).
///
/// # Defaults
/// - `clipping_norm` C = 1 (per-example L2 clipping of the discriminator's real-data gradient);
/// - `preprocessing_share` 0.1 (the preprocessing alone may spend 10 % of ε);
/// - `accountant`: RDP with the default orders ([`AccountantSpec::rdp`]);
/// - `histogram_bins` 128 and `zero_below` 2 (the private preprocessing, see
///   `tabveil_data::PrivateConfig`);
/// - privacy randomness from the operating system (no noise seed);
/// - no `row_estimate`: the DP-SGD schedule is planned from the fit's own private estimate N̂.
///
/// ε and δ have no default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpTraining {
    epsilon: f64,
    delta: f64,
    clipping_norm: f64,
    preprocessing_share: f64,
    accountant: AccountantSpec,
    histogram_bins: usize,
    zero_below: f64,
    /// Whether the privacy randomness was fixed by a noise seed. The seed itself is never
    /// serialised (anyone who knew it could remove the noise).
    noise_seeded: bool,
    #[serde(skip)]
    noise_seed: Option<u64>,
    /// A row estimate released (or public) before the fit, to plan the schedule with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    row_estimate: Option<f64>,
}

impl DpTraining {
    /// A private run spending at most `epsilon` at `delta`, with the defaults above.
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] unless ε is finite and > 0 and δ ∈ (0, 1).
    pub fn new(epsilon: f64, delta: f64) -> Result<Self> {
        let dp = DpTraining {
            epsilon,
            delta,
            clipping_norm: 1.0,
            preprocessing_share: 0.1,
            accountant: AccountantSpec::rdp(),
            histogram_bins: 128,
            zero_below: 2.0,
            noise_seeded: false,
            noise_seed: None,
            row_estimate: None,
        };
        dp.check()?;
        Ok(dp)
    }

    /// Sets the per-example clipping norm C.
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] unless finite and > 0.
    pub fn with_clipping_norm(mut self, clipping_norm: f64) -> Result<Self> {
        self.clipping_norm = clipping_norm;
        self.check()?;
        Ok(self)
    }

    /// Sets the share of ε the preprocessing releases alone may spend.
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] unless in (0, 1).
    pub fn with_preprocessing_share(mut self, share: f64) -> Result<Self> {
        self.preprocessing_share = share;
        self.check()?;
        Ok(self)
    }

    /// Sets the accountant (RDP or PLD; the Gaussian-DP approximation is refused).
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] for a GDP spec (not an upper bound).
    pub fn with_accountant(mut self, accountant: AccountantSpec) -> Result<Self> {
        self.accountant = accountant;
        self.check()?;
        Ok(self)
    }

    /// Sets the number of interior histogram bins of continuous columns.
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] for 0.
    pub fn with_histogram_bins(mut self, bins: usize) -> Result<Self> {
        self.histogram_bins = bins;
        self.check()?;
        Ok(self)
    }

    /// Histogram counts below `zero_below` noise standard deviations are set to 0.
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] unless finite and ≥ 0.
    pub fn with_zero_below(mut self, zero_below: f64) -> Result<Self> {
        self.zero_below = zero_below;
        self.check()?;
        Ok(self)
    }

    /// **Dangerous.** Fixes all privacy randomness (Poisson sampling of rows, every Gaussian
    /// noise draw) with `noise_seed`, for tests and research. Anyone who knows the seed can
    /// remove the noise; the ledger is marked as seeded and the report says that the guarantee
    /// rests on the seed staying secret. The seed is never saved with a model.
    pub fn dangerous_noise_seed(mut self, noise_seed: u64) -> Self {
        self.noise_seed = Some(noise_seed);
        self.noise_seeded = true;
        self
    }

    /// Plans the DP-SGD schedule (q = B / round(N̂), ⌈epochs·d·N̂/B⌉ steps, the training noise)
    /// with `rows` instead of the estimate N̂ the fit derives from its own noisy counts, so
    /// that the whole ledger of the fit is known before its first release (a service charges
    /// it to a lifetime budget up front).
    ///
    /// `rows` must be public or the output of a differentially private release accounted
    /// elsewhere (the `tabveil-server` releases one noisy row count per dataset and charges it
    /// to the dataset's budget): the schedule, the saved model and the report all reveal it.
    /// Never pass the true row count of a private table.
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] unless finite and ≥ 1.
    pub fn with_row_estimate(mut self, rows: f64) -> Result<Self> {
        self.row_estimate = Some(rows);
        self.check()?;
        Ok(self)
    }

    /// The row estimate the schedule is planned with, when set by
    /// [`with_row_estimate`](Self::with_row_estimate).
    pub fn row_estimate(&self) -> Option<f64> {
        self.row_estimate
    }

    /// Target ε.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// δ of the guarantee.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Per-example clipping norm C.
    pub fn clipping_norm(&self) -> f64 {
        self.clipping_norm
    }

    /// Share of ε the preprocessing alone may spend.
    pub fn preprocessing_share(&self) -> f64 {
        self.preprocessing_share
    }

    /// The accountant.
    pub fn accountant(&self) -> &AccountantSpec {
        &self.accountant
    }

    /// Interior histogram bins of continuous columns.
    pub fn histogram_bins(&self) -> usize {
        self.histogram_bins
    }

    /// The zeroing threshold of noisy histogram counts, in noise standard deviations.
    pub fn zero_below(&self) -> f64 {
        self.zero_below
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

    /// Checks every value.
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] naming the first bad value.
    pub fn check(&self) -> Result<()> {
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(ModelError::invalid(
                "epsilon",
                self.epsilon,
                "finite and > 0",
            ));
        }
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(ModelError::invalid("delta", self.delta, "in (0, 1)"));
        }
        if !(self.clipping_norm.is_finite() && self.clipping_norm > 0.0) {
            return Err(ModelError::invalid(
                "clipping_norm",
                self.clipping_norm,
                "finite and > 0",
            ));
        }
        if !(self.preprocessing_share > 0.0 && self.preprocessing_share < 1.0) {
            return Err(ModelError::invalid(
                "preprocessing_share",
                self.preprocessing_share,
                "in (0, 1)",
            ));
        }
        if self.accountant.kind == AccountantKind::Gdp {
            return Err(ModelError::invalid(
                "accountant",
                "gdp",
                "an upper-bound accountant (rdp or pld)",
            ));
        }
        if self.histogram_bins == 0 {
            return Err(ModelError::invalid("histogram_bins", 0, "at least 1"));
        }
        if !(self.zero_below.is_finite() && self.zero_below >= 0.0) {
            return Err(ModelError::invalid(
                "zero_below",
                self.zero_below,
                "finite and ≥ 0",
            ));
        }
        if let Some(rows) = self.row_estimate
            && !(rows.is_finite() && rows >= 1.0)
        {
            return Err(ModelError::invalid("row_estimate", rows, "finite and ≥ 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noise_seed_is_never_serialised() {
        let dp = DpTraining::new(1.0, 1e-6)
            .unwrap()
            .dangerous_noise_seed(123_456_789);
        let json = serde_json::to_string(&dp).unwrap();
        assert!(!json.contains("123456789"), "{json}");
        assert!(json.contains("\"noise_seeded\":true"));
        let back: DpTraining = serde_json::from_str(&json).unwrap();
        assert!(back.is_noise_seeded());
        assert_eq!(back.noise_seed(), None);
    }

    #[test]
    fn a_row_estimate_round_trips_and_its_absence_is_not_serialised() {
        let dp = DpTraining::new(1.0, 1e-6).unwrap();
        let json = serde_json::to_string(&dp).unwrap();
        assert!(!json.contains("row_estimate"), "{json}");
        let dp = dp.with_row_estimate(1234.0).unwrap();
        let back: DpTraining = serde_json::from_str(&serde_json::to_string(&dp).unwrap()).unwrap();
        assert_eq!(back.row_estimate(), Some(1234.0));
    }

    #[test]
    fn bad_values_are_named() {
        for (eps, delta, name) in [
            (0.0, 1e-6, "epsilon"),
            (f64::INFINITY, 1e-6, "epsilon"),
            (1.0, 0.0, "delta"),
            (1.0, 1.0, "delta"),
        ] {
            match DpTraining::new(eps, delta) {
                Err(ModelError::InvalidParameter { parameter, .. }) => assert_eq!(parameter, name),
                other => panic!("{other:?}"),
            }
        }
        let dp = DpTraining::new(1.0, 1e-6).unwrap();
        assert!(dp.clone().with_clipping_norm(0.0).is_err());
        assert!(dp.clone().with_preprocessing_share(1.0).is_err());
        assert!(
            dp.clone()
                .with_accountant(AccountantSpec::new(AccountantKind::Gdp))
                .is_err()
        );
        assert!(dp.clone().with_histogram_bins(0).is_err());
        assert!(dp.clone().with_row_estimate(0.5).is_err());
        assert!(dp.clone().with_row_estimate(f64::NAN).is_err());
        assert!(dp.with_zero_below(-1.0).is_err());
    }
}
