//! Privacy events: the mechanisms an accountant composes.
//!
//! Every event is stated for the *add/remove-one-row* neighbouring relation
//! ([`Neighbouring::AddRemoveOne`]) and for a mechanism whose L2 sensitivity is 1 once the noise
//! is expressed as a *noise multiplier* σ = (noise standard deviation) / (L2 sensitivity).
//!
//! ```
//! use tabveil_accountant::PrivacyEvent;
//!
//! // 1 000 DP-SGD steps on Poisson batches of expected size 256 out of 60 000 rows.
//! let training = PrivacyEvent::poisson_subsampled_gaussian(256.0 / 60_000.0, 1.1, 1_000)?;
//! assert_eq!(training.steps(), 1_000);
//! // Noisy counts of one categorical column, released once.
//! let counts = PrivacyEvent::gaussian(20.0, 1)?;
//! assert_eq!(counts.sample_rate(), 1.0);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{AccountantError, Result};

/// The neighbouring relation under which a guarantee holds.
///
/// tabveil accounts for one relation only: two tables are neighbours when one is the other with
/// one row added or removed. It is named in every printed result so that nobody has to guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Neighbouring {
    /// Neighbouring tables differ by the addition or removal of one row.
    #[default]
    AddRemoveOne,
}

impl Neighbouring {
    /// A short human description, e.g. for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Neighbouring::AddRemoveOne => "add/remove one row",
        }
    }
}

impl std::fmt::Display for Neighbouring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// One mechanism (possibly repeated) that released data-dependent values.
///
/// Construct with the validating constructors ([`PrivacyEvent::gaussian`],
/// [`PrivacyEvent::poisson_subsampled_gaussian`], [`PrivacyEvent::discrete_gaussian`],
/// [`PrivacyEvent::exponential_mechanism`], [`PrivacyEvent::gaussian_threshold`]): they (and
/// deserialisation) reject invalid parameters. New kinds of mechanism may be added, so matches
/// outside this crate need a wildcard arm; every accountant of this crate handles every kind
/// (or refuses it with a typed error, never skips it).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
// The derives write inherent `serialize`/`deserialize` (serde's `remote = "Self"`); the trait
// impls below call them, deserialisation through the validating constructors.
#[serde(remote = "Self")]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PrivacyEvent {
    /// `count` adaptive compositions of the Gaussian mechanism, no subsampling.
    Gaussian {
        /// Noise standard deviation divided by the L2 sensitivity.
        noise_multiplier: f64,
        /// How many times the mechanism ran.
        count: u64,
    },
    /// `steps` adaptive compositions of the Poisson-subsampled Gaussian mechanism: each row is
    /// included independently with probability `sample_rate`, then the Gaussian mechanism runs
    /// on the sample (one DP-SGD step).
    PoissonSubsampledGaussian {
        /// Inclusion probability q of each row, in (0, 1].
        sample_rate: f64,
        /// Noise standard deviation divided by the L2 sensitivity (clipping norm).
        noise_multiplier: f64,
        /// How many steps ran.
        steps: u64,
    },
    /// `count` adaptive releases of an integer-valued query (a count, a histogram) with L2
    /// sensitivity 1 plus independent discrete Gaussian noise N_ℤ(0, σ²) per coordinate
    /// (Canonne, Kamath & Steinke 2020), σ = `noise_multiplier`.
    DiscreteGaussian {
        /// The discrete Gaussian's scale σ (its variance is slightly below σ²), for L2
        /// sensitivity 1.
        noise_multiplier: f64,
        /// How many times the mechanism ran.
        count: u64,
    },
    /// `count` adaptive runs of the exponential mechanism, each selecting one candidate with
    /// probability ∝ exp(ε·score/(2Δ)) for a score of sensitivity Δ: an ε-bounded-range
    /// mechanism (Durfee & Rogers 2019), hence ε-DP.
    ExponentialMechanism {
        /// ε of one run.
        epsilon: f64,
        /// How many runs.
        count: u64,
    },
    /// `count` adaptive runs of Gaussian thresholding for partition selection (Desfontaines,
    /// Voss, Gipson & Mandayam 2022): each row contributes 1 to one candidate value's count,
    /// N(0, σ²) is added to every count, and the values whose noisy count exceeds `threshold`
    /// are released (with their noisy counts). Its guarantee is the Gaussian mechanism's
    /// (σ, L2 sensitivity 1) plus an additive `δ_τ = P[1 + N(0, σ²) > τ]`, the chance that a
    /// value held by the one differing row is released.
    GaussianThreshold {
        /// Noise standard deviation of each count (L2 sensitivity 1).
        noise_multiplier: f64,
        /// The threshold τ a noisy count must exceed, in counts.
        threshold: f64,
        /// How many runs (e.g. one per column).
        count: u64,
    },
}

impl PrivacyEvent {
    /// `count` runs of a Gaussian mechanism with noise multiplier `noise_multiplier`.
    ///
    /// # Errors
    /// [`AccountantError::InvalidNoiseMultiplier`] unless σ is finite and > 0;
    /// [`AccountantError::ZeroCount`] if `count` is 0.
    pub fn gaussian(noise_multiplier: f64, count: u64) -> Result<Self> {
        check_noise_multiplier(noise_multiplier)?;
        check_count(count, "count")?;
        Ok(PrivacyEvent::Gaussian {
            noise_multiplier,
            count,
        })
    }

    /// `steps` runs of the Poisson-subsampled Gaussian mechanism with sampling rate
    /// `sample_rate` and noise multiplier `noise_multiplier`.
    ///
    /// A sampling rate of exactly 1 is allowed (every row in every step); it is the plain
    /// Gaussian mechanism and accountants treat it as such.
    ///
    /// # Errors
    /// [`AccountantError::InvalidSampleRate`] unless q ∈ (0, 1];
    /// [`AccountantError::InvalidNoiseMultiplier`] unless σ is finite and > 0;
    /// [`AccountantError::ZeroCount`] if `steps` is 0.
    pub fn poisson_subsampled_gaussian(
        sample_rate: f64,
        noise_multiplier: f64,
        steps: u64,
    ) -> Result<Self> {
        check_sample_rate(sample_rate)?;
        check_noise_multiplier(noise_multiplier)?;
        check_count(steps, "steps")?;
        Ok(PrivacyEvent::PoissonSubsampledGaussian {
            sample_rate,
            noise_multiplier,
            steps,
        })
    }

    /// `count` releases of an integer query of L2 sensitivity 1 with discrete Gaussian noise
    /// of scale σ = `noise_multiplier` (see [`PrivacyEvent::DiscreteGaussian`]).
    ///
    /// # Errors
    /// [`AccountantError::InvalidNoiseMultiplier`] unless σ is finite and > 0;
    /// [`AccountantError::ZeroCount`] if `count` is 0.
    pub fn discrete_gaussian(noise_multiplier: f64, count: u64) -> Result<Self> {
        check_noise_multiplier(noise_multiplier)?;
        check_count(count, "count")?;
        Ok(PrivacyEvent::DiscreteGaussian {
            noise_multiplier,
            count,
        })
    }

    /// `count` runs of the exponential mechanism at ε = `epsilon` each (see
    /// [`PrivacyEvent::ExponentialMechanism`]).
    ///
    /// # Errors
    /// [`AccountantError::InvalidEpsilon`] unless ε is finite and > 0;
    /// [`AccountantError::ZeroCount`] if `count` is 0.
    pub fn exponential_mechanism(epsilon: f64, count: u64) -> Result<Self> {
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(AccountantError::InvalidEpsilon { value: epsilon });
        }
        check_count(count, "count")?;
        Ok(PrivacyEvent::ExponentialMechanism { epsilon, count })
    }

    /// `count` runs of Gaussian thresholding with noise σ = `noise_multiplier` and threshold
    /// τ = `threshold` (see [`PrivacyEvent::GaussianThreshold`]).
    ///
    /// # Errors
    /// [`AccountantError::InvalidNoiseMultiplier`] unless σ is finite and > 0;
    /// [`AccountantError::InvalidThreshold`] unless τ is finite;
    /// [`AccountantError::ZeroCount`] if `count` is 0.
    pub fn gaussian_threshold(noise_multiplier: f64, threshold: f64, count: u64) -> Result<Self> {
        check_noise_multiplier(noise_multiplier)?;
        if !threshold.is_finite() {
            return Err(AccountantError::InvalidThreshold { value: threshold });
        }
        check_count(count, "count")?;
        Ok(PrivacyEvent::GaussianThreshold {
            noise_multiplier,
            threshold,
            count,
        })
    }

    /// The sampling rate: the probability that a given row takes part in one run (1 for
    /// everything but [`PrivacyEvent::PoissonSubsampledGaussian`]).
    pub fn sample_rate(&self) -> f64 {
        match *self {
            PrivacyEvent::PoissonSubsampledGaussian { sample_rate, .. } => sample_rate,
            _ => 1.0,
        }
    }

    /// The noise multiplier σ of the mechanisms that add (continuous or discrete) Gaussian
    /// noise; `None` for the exponential mechanism.
    pub fn noise_multiplier(&self) -> Option<f64> {
        match *self {
            PrivacyEvent::Gaussian {
                noise_multiplier, ..
            }
            | PrivacyEvent::PoissonSubsampledGaussian {
                noise_multiplier, ..
            }
            | PrivacyEvent::DiscreteGaussian {
                noise_multiplier, ..
            }
            | PrivacyEvent::GaussianThreshold {
                noise_multiplier, ..
            } => Some(noise_multiplier),
            PrivacyEvent::ExponentialMechanism { .. } => None,
        }
    }

    /// How many times the mechanism ran (`count` or `steps`).
    pub fn steps(&self) -> u64 {
        match *self {
            PrivacyEvent::Gaussian { count, .. }
            | PrivacyEvent::DiscreteGaussian { count, .. }
            | PrivacyEvent::ExponentialMechanism { count, .. }
            | PrivacyEvent::GaussianThreshold { count, .. } => count,
            PrivacyEvent::PoissonSubsampledGaussian { steps, .. } => steps,
        }
    }

    /// A short name of the mechanism, for messages and reports (`"Gaussian"`,
    /// `"Poisson-subsampled Gaussian"`, `"discrete Gaussian"`, `"exponential mechanism"`,
    /// `"Gaussian thresholding"`).
    pub fn mechanism_name(&self) -> &'static str {
        match self {
            PrivacyEvent::Gaussian { .. } => "Gaussian",
            PrivacyEvent::PoissonSubsampledGaussian { .. } => "Poisson-subsampled Gaussian",
            PrivacyEvent::DiscreteGaussian { .. } => "discrete Gaussian",
            PrivacyEvent::ExponentialMechanism { .. } => "exponential mechanism",
            PrivacyEvent::GaussianThreshold { .. } => "Gaussian thresholding",
        }
    }

    /// True when the two events are the same mechanism (same kind and parameters, bit for
    /// bit), so that their repetitions may be merged.
    pub fn same_mechanism(&self, other: &PrivacyEvent) -> bool {
        self.with_count_for_comparison() == other.with_count_for_comparison()
    }

    /// The same mechanism repeated `steps` times instead.
    ///
    /// # Errors
    /// [`AccountantError::ZeroCount`] if `steps` is 0.
    pub fn with_steps(&self, steps: u64) -> Result<Self> {
        match *self {
            PrivacyEvent::Gaussian {
                noise_multiplier, ..
            } => PrivacyEvent::gaussian(noise_multiplier, steps),
            PrivacyEvent::PoissonSubsampledGaussian {
                sample_rate,
                noise_multiplier,
                ..
            } => PrivacyEvent::poisson_subsampled_gaussian(sample_rate, noise_multiplier, steps),
            PrivacyEvent::DiscreteGaussian {
                noise_multiplier, ..
            } => PrivacyEvent::discrete_gaussian(noise_multiplier, steps),
            PrivacyEvent::ExponentialMechanism { epsilon, .. } => {
                PrivacyEvent::exponential_mechanism(epsilon, steps)
            }
            PrivacyEvent::GaussianThreshold {
                noise_multiplier,
                threshold,
                ..
            } => PrivacyEvent::gaussian_threshold(noise_multiplier, threshold, steps),
        }
    }

    /// The same mechanism with noise multiplier `noise_multiplier` instead (a Gaussian
    /// threshold keeps its threshold). Planning uses it to calibrate the noise of releases
    /// whose kind and count are known in advance.
    ///
    /// # Errors
    /// [`AccountantError::InvalidNoiseMultiplier`] for an invalid σ, and for the exponential
    /// mechanism, which has none.
    pub fn with_noise_multiplier(&self, noise_multiplier: f64) -> Result<Self> {
        match *self {
            PrivacyEvent::Gaussian { count, .. } => PrivacyEvent::gaussian(noise_multiplier, count),
            PrivacyEvent::PoissonSubsampledGaussian {
                sample_rate, steps, ..
            } => PrivacyEvent::poisson_subsampled_gaussian(sample_rate, noise_multiplier, steps),
            PrivacyEvent::DiscreteGaussian { count, .. } => {
                PrivacyEvent::discrete_gaussian(noise_multiplier, count)
            }
            PrivacyEvent::GaussianThreshold {
                threshold, count, ..
            } => PrivacyEvent::gaussian_threshold(noise_multiplier, threshold, count),
            PrivacyEvent::ExponentialMechanism { .. } => {
                Err(AccountantError::InvalidNoiseMultiplier {
                    value: noise_multiplier,
                })
            }
        }
    }

    /// The event with its count set to 1 and its floats as bits, for exact comparison.
    fn with_count_for_comparison(&self) -> (u8, u64, u64, u64) {
        match *self {
            PrivacyEvent::Gaussian {
                noise_multiplier, ..
            } => (0, noise_multiplier.to_bits(), 0, 0),
            PrivacyEvent::PoissonSubsampledGaussian {
                sample_rate,
                noise_multiplier,
                ..
            } => (1, sample_rate.to_bits(), noise_multiplier.to_bits(), 0),
            PrivacyEvent::DiscreteGaussian {
                noise_multiplier, ..
            } => (2, noise_multiplier.to_bits(), 0, 0),
            PrivacyEvent::ExponentialMechanism { epsilon, .. } => (3, epsilon.to_bits(), 0, 0),
            PrivacyEvent::GaussianThreshold {
                noise_multiplier,
                threshold,
                ..
            } => (4, noise_multiplier.to_bits(), threshold.to_bits(), 0),
        }
    }
}

fn check_count(count: u64, what: &'static str) -> Result<()> {
    if count == 0 {
        Err(AccountantError::ZeroCount { what })
    } else {
        Ok(())
    }
}

/// Rejects a sampling rate outside (0, 1] (NaN included).
pub(crate) fn check_sample_rate(q: f64) -> Result<()> {
    if q > 0.0 && q <= 1.0 {
        Ok(())
    } else {
        Err(AccountantError::InvalidSampleRate { value: q })
    }
}

/// Rejects a noise multiplier that is not finite and > 0.
pub(crate) fn check_noise_multiplier(sigma: f64) -> Result<()> {
    if sigma.is_finite() && sigma > 0.0 {
        Ok(())
    } else {
        Err(AccountantError::InvalidNoiseMultiplier { value: sigma })
    }
}

/// Rejects δ outside (0, 1) (NaN included).
pub(crate) fn check_delta(delta: f64) -> Result<()> {
    if delta > 0.0 && delta < 1.0 {
        Ok(())
    } else {
        Err(AccountantError::InvalidDelta { value: delta })
    }
}

/// Rejects ε that is not finite and ≥ 0.
pub(crate) fn check_epsilon(epsilon: f64) -> Result<()> {
    if epsilon.is_finite() && epsilon >= 0.0 {
        Ok(())
    } else {
        Err(AccountantError::InvalidEpsilon { value: epsilon })
    }
}

impl Serialize for PrivacyEvent {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        PrivacyEvent::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for PrivacyEvent {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        PrivacyEvent::deserialize(deserializer)?
            .checked()
            .map_err(serde::de::Error::custom)
    }
}

impl PrivacyEvent {
    /// The same event through its validating constructor (for deserialised values).
    fn checked(self) -> Result<Self> {
        match self {
            PrivacyEvent::Gaussian {
                noise_multiplier,
                count,
            } => PrivacyEvent::gaussian(noise_multiplier, count),
            PrivacyEvent::PoissonSubsampledGaussian {
                sample_rate,
                noise_multiplier,
                steps,
            } => PrivacyEvent::poisson_subsampled_gaussian(sample_rate, noise_multiplier, steps),
            PrivacyEvent::DiscreteGaussian {
                noise_multiplier,
                count,
            } => PrivacyEvent::discrete_gaussian(noise_multiplier, count),
            PrivacyEvent::ExponentialMechanism { epsilon, count } => {
                PrivacyEvent::exponential_mechanism(epsilon, count)
            }
            PrivacyEvent::GaussianThreshold {
                noise_multiplier,
                threshold,
                count,
            } => PrivacyEvent::gaussian_threshold(noise_multiplier, threshold, count),
        }
    }
}

impl PrivacyEvent {
    /// `count` runs of a Gaussian mechanism at noise multiplier `noise_multiplier` on a
    /// Poisson sample of rate `sample_rate`: [`PrivacyEvent::gaussian`] when the rate is 1 (no
    /// subsampling), [`PrivacyEvent::poisson_subsampled_gaussian`] otherwise. The one way a
    /// `(rate, count)` segment of a plan becomes an event.
    ///
    /// # Errors
    /// As the two constructors.
    pub fn sampled_gaussian(sample_rate: f64, noise_multiplier: f64, count: u64) -> Result<Self> {
        if sample_rate == 1.0 {
            PrivacyEvent::gaussian(noise_multiplier, count)
        } else {
            PrivacyEvent::poisson_subsampled_gaussian(sample_rate, noise_multiplier, count)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_reject_invalid_parameters() {
        for q in [0.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                PrivacyEvent::poisson_subsampled_gaussian(q, 1.0, 1),
                Err(AccountantError::InvalidSampleRate { .. })
            ));
        }
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                PrivacyEvent::gaussian(s, 1),
                Err(AccountantError::InvalidNoiseMultiplier { .. })
            ));
        }
        assert_eq!(
            PrivacyEvent::gaussian(1.0, 0),
            Err(AccountantError::ZeroCount { what: "count" })
        );
        assert_eq!(
            PrivacyEvent::poisson_subsampled_gaussian(0.5, 1.0, 0),
            Err(AccountantError::ZeroCount { what: "steps" })
        );
    }

    #[test]
    fn deserialisation_validates() {
        let bad = r#"{"type":"poisson_subsampled_gaussian","sample_rate":2.0,"noise_multiplier":1.0,"steps":3}"#;
        assert!(serde_json::from_str::<PrivacyEvent>(bad).is_err());
        let good = r#"{"type":"gaussian","noise_multiplier":3.0,"count":2}"#;
        let event: PrivacyEvent = serde_json::from_str(good).unwrap();
        assert_eq!(event, PrivacyEvent::gaussian(3.0, 2).unwrap());
        let back = serde_json::to_string(&event).unwrap();
        assert_eq!(back, good);
    }

    #[test]
    fn new_events_validate_and_round_trip() {
        assert!(matches!(
            PrivacyEvent::exponential_mechanism(0.0, 1),
            Err(AccountantError::InvalidEpsilon { .. })
        ));
        assert!(PrivacyEvent::exponential_mechanism(f64::INFINITY, 1).is_err());
        assert!(matches!(
            PrivacyEvent::gaussian_threshold(1.0, f64::NAN, 1),
            Err(AccountantError::InvalidThreshold { .. })
        ));
        assert!(PrivacyEvent::discrete_gaussian(-1.0, 1).is_err());
        assert!(PrivacyEvent::discrete_gaussian(1.0, 0).is_err());
        for (event, json) in [
            (
                PrivacyEvent::discrete_gaussian(4.5, 3).unwrap(),
                r#"{"type":"discrete_gaussian","noise_multiplier":4.5,"count":3}"#,
            ),
            (
                PrivacyEvent::exponential_mechanism(0.25, 7).unwrap(),
                r#"{"type":"exponential_mechanism","epsilon":0.25,"count":7}"#,
            ),
            (
                PrivacyEvent::gaussian_threshold(3.0, 12.5, 2).unwrap(),
                r#"{"type":"gaussian_threshold","noise_multiplier":3.0,"threshold":12.5,"count":2}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&event).unwrap(), json);
            assert_eq!(serde_json::from_str::<PrivacyEvent>(json).unwrap(), event);
            assert!(event.same_mechanism(&event.with_steps(99).unwrap()));
            assert_eq!(event.with_steps(99).unwrap().steps(), 99);
        }
        let bad = r#"{"type":"exponential_mechanism","epsilon":-1.0,"count":7}"#;
        assert!(serde_json::from_str::<PrivacyEvent>(bad).is_err());
        let dg = PrivacyEvent::discrete_gaussian(4.5, 3).unwrap();
        assert!(!dg.same_mechanism(&PrivacyEvent::gaussian(4.5, 3).unwrap()));
        assert_eq!(
            dg.with_noise_multiplier(2.0).unwrap(),
            PrivacyEvent::discrete_gaussian(2.0, 3).unwrap()
        );
        let em = PrivacyEvent::exponential_mechanism(0.25, 7).unwrap();
        assert_eq!(em.noise_multiplier(), None);
        assert!(em.with_noise_multiplier(2.0).is_err());
    }

    #[test]
    fn same_mechanism_ignores_counts_only() {
        let a = PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.0, 5).unwrap();
        let b = PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.0, 7).unwrap();
        let c = PrivacyEvent::poisson_subsampled_gaussian(0.02, 1.0, 5).unwrap();
        let g = PrivacyEvent::gaussian(1.0, 5).unwrap();
        assert!(a.same_mechanism(&b));
        assert!(!a.same_mechanism(&c));
        assert!(
            !g.same_mechanism(&PrivacyEvent::poisson_subsampled_gaussian(1.0, 1.0, 5).unwrap())
        );
    }
}
