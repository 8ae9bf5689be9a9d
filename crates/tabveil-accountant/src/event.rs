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
/// Construct with [`PrivacyEvent::gaussian`] or [`PrivacyEvent::poisson_subsampled_gaussian`]:
/// the constructors (and deserialisation) reject invalid parameters, so every `PrivacyEvent`
/// in existence is valid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawEvent", into = "RawEvent")]
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
}

impl PrivacyEvent {
    /// `count` runs of a Gaussian mechanism with noise multiplier `noise_multiplier`.
    ///
    /// # Errors
    /// [`AccountantError::InvalidNoiseMultiplier`] unless σ is finite and > 0;
    /// [`AccountantError::ZeroCount`] if `count` is 0.
    pub fn gaussian(noise_multiplier: f64, count: u64) -> Result<Self> {
        check_noise_multiplier(noise_multiplier)?;
        if count == 0 {
            return Err(AccountantError::ZeroCount { what: "count" });
        }
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
        if steps == 0 {
            return Err(AccountantError::ZeroCount { what: "steps" });
        }
        Ok(PrivacyEvent::PoissonSubsampledGaussian {
            sample_rate,
            noise_multiplier,
            steps,
        })
    }

    /// The sampling rate: 1 for a plain Gaussian mechanism.
    pub fn sample_rate(&self) -> f64 {
        match *self {
            PrivacyEvent::Gaussian { .. } => 1.0,
            PrivacyEvent::PoissonSubsampledGaussian { sample_rate, .. } => sample_rate,
        }
    }

    /// The noise multiplier σ.
    pub fn noise_multiplier(&self) -> f64 {
        match *self {
            PrivacyEvent::Gaussian {
                noise_multiplier, ..
            }
            | PrivacyEvent::PoissonSubsampledGaussian {
                noise_multiplier, ..
            } => noise_multiplier,
        }
    }

    /// How many times the mechanism ran (`count` or `steps`).
    pub fn steps(&self) -> u64 {
        match *self {
            PrivacyEvent::Gaussian { count, .. } => count,
            PrivacyEvent::PoissonSubsampledGaussian { steps, .. } => steps,
        }
    }

    /// True when the two events are the same mechanism (same kind, q and σ, bit for bit), so
    /// that their repetitions may be merged.
    pub fn same_mechanism(&self, other: &PrivacyEvent) -> bool {
        match (self, other) {
            (PrivacyEvent::Gaussian { .. }, PrivacyEvent::Gaussian { .. })
            | (
                PrivacyEvent::PoissonSubsampledGaussian { .. },
                PrivacyEvent::PoissonSubsampledGaussian { .. },
            ) => {
                self.sample_rate().to_bits() == other.sample_rate().to_bits()
                    && self.noise_multiplier().to_bits() == other.noise_multiplier().to_bits()
            }
            _ => false,
        }
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
        }
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

/// The serialised shape of an event; converted through the validating constructors.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawEvent {
    Gaussian {
        noise_multiplier: f64,
        count: u64,
    },
    PoissonSubsampledGaussian {
        sample_rate: f64,
        noise_multiplier: f64,
        steps: u64,
    },
}

impl TryFrom<RawEvent> for PrivacyEvent {
    type Error = AccountantError;

    fn try_from(raw: RawEvent) -> Result<Self> {
        match raw {
            RawEvent::Gaussian {
                noise_multiplier,
                count,
            } => PrivacyEvent::gaussian(noise_multiplier, count),
            RawEvent::PoissonSubsampledGaussian {
                sample_rate,
                noise_multiplier,
                steps,
            } => PrivacyEvent::poisson_subsampled_gaussian(sample_rate, noise_multiplier, steps),
        }
    }
}

impl From<PrivacyEvent> for RawEvent {
    fn from(event: PrivacyEvent) -> Self {
        match event {
            PrivacyEvent::Gaussian {
                noise_multiplier,
                count,
            } => RawEvent::Gaussian {
                noise_multiplier,
                count,
            },
            PrivacyEvent::PoissonSubsampledGaussian {
                sample_rate,
                noise_multiplier,
                steps,
            } => RawEvent::PoissonSubsampledGaussian {
                sample_rate,
                noise_multiplier,
                steps,
            },
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
