//! [`AuditSection`]: an empirical audit of the fit's privacy — a lower bound on ε from
//! canaries — to sit beside the accountant's upper bound. Defined here so the report does not
//! depend on the audit crate; `tabveil-audit` and the facade fill it.
//!
//! ```
//! use tabveil_report::AuditSection;
//!
//! let audit = AuditSection {
//!     kind: "white-box".into(),
//!     target: "DP-CTGAN".into(),
//!     epsilon_lower_bound: 0.42,
//!     confidence: 0.95,
//!     delta: 1e-6,
//!     claimed_epsilon: Some(3.0),
//!     audited_epsilon: Some(2.9),
//!     canaries: 1_000,
//!     guesses: 70,
//!     correct: 58,
//!     k_plus: 50,
//!     k_minus: 20,
//!     threshold_in: Some(1.2),
//!     threshold_out: Some(-2.0),
//!     rules_tried: 1,
//!     canary_description: "Dirac gradients".into(),
//!     score_description: "log-likelihood ratio".into(),
//!     combined_epsilon: Some(4.4),
//! };
//! assert!(audit.check().is_ok());
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{ReportError, Result};

/// What an audit's number means, printed with it.
pub(crate) const AUDIT_MEANING: &str = "The audit inserted canaries, trained once and guessed which canaries were in. With the stated confidence, the audited run is not (ε, δ)-differentially private for any ε below the lower bound. It is a lower bound from one attack on one run, not a proof of privacy: a low value does not show that the run is private (a stronger attack may find more), and the guarantee above rests on the accountant, not on the audit. A lower bound above the accountant's ε would mean the implementation leaks more than it claims.";

/// What the audit run cost, printed with it.
pub(crate) const AUDIT_COST: &str = "The audit was a private run of its own on the same data (with the canaries added): its result is a release too. Publishing it beside this model spends the combined ε.";

/// The result of an empirical privacy audit: a lower bound on ε from canaries, to sit beside
/// the accountant's upper bound (filled by `tabveil-audit` and the facade).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditSection {
    /// `"white-box"` (every DP-SGD release observed) or `"black-box"` (only the outputs).
    pub kind: String,
    /// What was audited.
    pub target: String,
    /// The empirical lower bound on ε.
    pub epsilon_lower_bound: f64,
    /// The confidence of the bound (e.g. 0.95).
    pub confidence: f64,
    /// δ of the hypothesis tested.
    pub delta: f64,
    /// The accountant's ε for the audited run (None: no claim, a non-private run).
    pub claimed_epsilon: Option<f64>,
    /// The accountant's ε for the part of the run the canaries went through.
    pub audited_epsilon: Option<f64>,
    /// m: canaries.
    pub canaries: u64,
    /// r: guesses (the rest abstained on).
    pub guesses: u64,
    /// v: correct guesses.
    pub correct: u64,
    /// k₊: "in" guesses.
    pub k_plus: u64,
    /// k₋: "out" guesses.
    pub k_minus: u64,
    /// The lowest score guessed "in".
    pub threshold_in: Option<f64>,
    /// The highest score guessed "out".
    pub threshold_out: Option<f64>,
    /// Guessing rules tried (the confidence was divided among them).
    pub rules_tried: u64,
    /// How the canaries were made.
    pub canary_description: String,
    /// How they were scored.
    pub score_description: String,
    /// ε of this model's ledger and the audit run's together (publishing both).
    pub combined_epsilon: Option<f64>,
}

impl AuditSection {
    /// Checks the numbers: a bound ≥ 0, a confidence in (0, 1), δ in [0, 1), v ≤ r ≤ m and
    /// r = k₊ + k₋.
    ///
    /// # Errors
    /// [`ReportError::InvalidInput`] naming the first value out of range.
    pub fn check(&self) -> Result<()> {
        let bad = |parameter: &'static str, value: String, expected: &'static str| {
            Err(ReportError::InvalidInput {
                parameter,
                value,
                expected,
            })
        };
        if !(self.epsilon_lower_bound.is_finite() && self.epsilon_lower_bound >= 0.0) {
            return bad(
                "epsilon_lower_bound",
                self.epsilon_lower_bound.to_string(),
                "finite and ≥ 0",
            );
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return bad("confidence", self.confidence.to_string(), "in (0, 1)");
        }
        if !(0.0..1.0).contains(&self.delta) {
            return bad("delta", self.delta.to_string(), "in [0, 1)");
        }
        if self.correct > self.guesses
            || self.guesses > self.canaries
            || self.k_plus + self.k_minus != self.guesses
        {
            return bad(
                "guesses",
                format!(
                    "{} of {} among {}",
                    self.correct, self.guesses, self.canaries
                ),
                "correct ≤ guesses = k₊ + k₋ ≤ canaries",
            );
        }
        Ok(())
    }

    /// True when the bound exceeds the audited claim.
    pub fn exceeds_claim(&self) -> bool {
        self.audited_epsilon
            .is_some_and(|e| self.epsilon_lower_bound > e)
    }
}

impl crate::types::PrivacyReport {
    /// The same report with an empirical audit attached.
    ///
    /// # Errors
    /// [`ReportError::InvalidInput`] when the section's numbers are inconsistent.
    pub fn with_audit(mut self, audit: AuditSection) -> Result<Self> {
        audit.check()?;
        self.audit = Some(audit);
        Ok(self)
    }
}
