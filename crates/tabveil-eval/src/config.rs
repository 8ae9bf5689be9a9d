//! [`EvaluationConfig`]: what to evaluate and how.

use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::fidelity::QualityThresholds;

/// Settings of [`evaluate`](crate::evaluate).
///
/// # Defaults
/// - `seed`: 0 (every random choice — the training subset of the leakage measures — derives
///   from it, so a report is reproducible; the ML-utility classifier makes no random choice);
/// - `threads`: 2;
/// - `target`, `positive_class`: the schema's `target` / `positive_class` when it declares them;
///   without a declared positive class, the second category (`true` for booleans);
/// - `sensitive`: none (no attribute-inference attack);
/// - `quality_thresholds`: SDMetrics' QualityReport values, 0.5 and 0.3.
///
/// ```
/// use tabveil_eval::EvaluationConfig;
///
/// let config = EvaluationConfig::default().with_seed(7).with_sensitive("sex").with_threads(2);
/// assert_eq!(config.seed(), 7);
/// assert_eq!(config.sensitive(), Some("sex"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationConfig {
    seed: u64,
    threads: usize,
    target: Option<String>,
    positive_class: Option<String>,
    sensitive: Option<String>,
    quality_thresholds: QualityThresholds,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            threads: 2,
            target: None,
            positive_class: None,
            sensitive: None,
            quality_thresholds: QualityThresholds::default(),
        }
    }
}

impl EvaluationConfig {
    /// The default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the seed of every random choice.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of threads (≥ 1).
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the target column of the ML-utility measure (overrides the schema's).
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the positive class of the target.
    #[must_use]
    pub fn with_positive_class(mut self, class: impl Into<String>) -> Self {
        self.positive_class = Some(class.into());
        self
    }

    /// Names the sensitive column of the attribute-inference attack.
    #[must_use]
    pub fn with_sensitive(mut self, column: impl Into<String>) -> Self {
        self.sensitive = Some(column.into());
        self
    }

    /// Sets the QualityReport thresholds.
    #[must_use]
    pub fn with_quality_thresholds(mut self, thresholds: QualityThresholds) -> Self {
        self.quality_thresholds = thresholds;
        self
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The number of threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The target column, if set here.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The positive class, if set here.
    pub fn positive_class(&self) -> Option<&str> {
        self.positive_class.as_deref()
    }

    /// The sensitive column, if any.
    pub fn sensitive(&self) -> Option<&str> {
        self.sensitive.as_deref()
    }

    /// The QualityReport thresholds.
    pub fn quality_thresholds(&self) -> QualityThresholds {
        self.quality_thresholds
    }

    /// Checks the values that need no schema.
    pub(crate) fn check(&self) -> Result<()> {
        if self.threads == 0 {
            return Err(EvalError::InvalidConfig {
                parameter: "threads",
                value: "0".to_owned(),
                reason: "at least one thread",
            });
        }
        let t = self.quality_thresholds;
        for (parameter, value) in [
            ("quality_thresholds.real_correlation", t.real_correlation),
            ("quality_thresholds.real_association", t.real_association),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(EvalError::InvalidConfig {
                    parameter,
                    value: value.to_string(),
                    reason: "a number in [0, 1]",
                });
            }
        }
        Ok(())
    }
}
