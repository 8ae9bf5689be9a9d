//! [`AuditReport`]: what was audited, the accountant's claim beside the empirical bound, and
//! everything needed to judge the bound (canaries, guesses, abstention thresholds).

use serde::{Deserialize, Serialize};
use tabveil_accountant::PrivacyLedger;
use tabveil_report::AuditSection;

use crate::error::{AuditError, Result};
use crate::guess::GuessBound;

/// The format name written into every audit file.
pub const AUDIT_FORMAT: &str = "tabveil-audit";
/// The format version this build writes and reads.
pub const AUDIT_FORMAT_VERSION: u32 = 1;

/// Which outputs the auditor saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// Every release of every DP-SGD step (all iterates), with Dirac canary gradients.
    WhiteBox,
    /// Only the outputs of the whole fit (synthetic rows), with crafted canary rows.
    BlackBox,
}

impl AuditKind {
    /// `"white-box"` or `"black-box"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::WhiteBox => "white-box",
            AuditKind::BlackBox => "black-box",
        }
    }
}

/// The result of one audit run.
///
/// **What the bound means.** With confidence `bound.confidence`, the audited run is *not*
/// (ε, δ)-differentially private for any ε below `bound.epsilon_lower_bound` (δ =
/// `bound.delta`), per canary. It is a lower bound from one attack on one run: a small value
/// does not show that the run is private (a better attack may find more), and it says nothing
/// about an attacker who sees more than the audit assumed. A value above the claimed ε means
/// the implementation leaks more than its accountant says — or, with probability at most
/// 1 − confidence, bad luck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// Always [`AUDIT_FORMAT`].
    pub format: String,
    /// [`AUDIT_FORMAT_VERSION`].
    pub version: u32,
    /// White- or black-box.
    pub kind: AuditKind,
    /// What was audited (e.g. "DP-CTGAN", "tabveil-sgd engine").
    pub target: String,
    /// ε the accountant claims for the audited run, at `bound.delta` (the whole ledger).
    /// `None` for a non-private run (no claim).
    pub claimed_epsilon: Option<f64>,
    /// ε of the part of the run the canaries went through (white-box: the DP-SGD steps only;
    /// black-box: the whole pipeline), at `bound.delta`; `None` without a claim.
    pub audited_epsilon: Option<f64>,
    /// The accountant that made the claim.
    pub accountant: Option<String>,
    /// How the canaries were made.
    pub canaries: String,
    /// How they were scored.
    pub score: String,
    /// The guesses and the bound.
    pub bound: GuessBound,
    /// Releases the auditor observed (white-box: DP-SGD steps; black-box: 1, the output).
    pub releases_observed: u64,
    /// Whether the run's privacy randomness was fixed by a noise seed (tests and research).
    pub noise_seeded: bool,
    /// The audited run's ledger: an audit on real data is a private run of its own, and
    /// publishing its result beside a model spends both (see the crate docs).
    pub ledger: Option<PrivacyLedger>,
}

impl AuditReport {
    /// The bound divided by the audited claim (None without a claim or for a zero claim).
    pub fn tightness(&self) -> Option<f64> {
        self.audited_epsilon
            .filter(|&e| e > 0.0)
            .map(|e| self.bound.epsilon_lower_bound / e)
    }

    /// True when the bound exceeds the claim: the run leaks more than its accountant says (or,
    /// with probability at most 1 − confidence, the audit was unlucky).
    pub fn exceeds_claim(&self) -> bool {
        self.audited_epsilon
            .is_some_and(|e| self.bound.epsilon_lower_bound > e)
    }

    /// Pretty JSON.
    ///
    /// # Errors
    /// [`AuditError::Json`] (does not happen for a report built by this crate).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| AuditError::Json {
            message: e.to_string(),
        })
    }

    /// Parses [`to_json`](Self::to_json)'s output.
    ///
    /// # Errors
    /// [`AuditError::Json`] for malformed input, another format or version.
    pub fn from_json(text: &str) -> Result<Self> {
        let report: AuditReport = serde_json::from_str(text).map_err(|e| AuditError::Json {
            message: e.to_string(),
        })?;
        if report.format != AUDIT_FORMAT || report.version != AUDIT_FORMAT_VERSION {
            return Err(AuditError::Json {
                message: format!(
                    "not a {AUDIT_FORMAT} file of version {AUDIT_FORMAT_VERSION} (found {} {})",
                    report.format, report.version
                ),
            });
        }
        Ok(report)
    }

    /// The section of the privacy report (`tabveil_report::PrivacyReport::with_audit`).
    /// `combined_epsilon` is the ε of the model's ledger and this run's together, when the
    /// audit ran on the model's data.
    pub fn to_section(&self, combined_epsilon: Option<f64>) -> AuditSection {
        let b = &self.bound;
        AuditSection {
            kind: self.kind.as_str().to_owned(),
            target: self.target.clone(),
            epsilon_lower_bound: b.epsilon_lower_bound,
            confidence: b.confidence,
            delta: b.delta,
            claimed_epsilon: self.claimed_epsilon,
            audited_epsilon: self.audited_epsilon,
            canaries: b.canaries,
            guesses: b.guesses,
            correct: b.correct,
            k_plus: b.k_plus as u64,
            k_minus: b.k_minus as u64,
            threshold_in: b.threshold_in,
            threshold_out: b.threshold_out,
            rules_tried: b.rules_tried as u64,
            canary_description: self.canaries.clone(),
            score_description: self.score.clone(),
            combined_epsilon,
        }
    }

    /// A short plain-text summary, one fact per line.
    pub fn to_text(&self) -> String {
        let b = &self.bound;
        let claim = match (self.claimed_epsilon, self.audited_epsilon) {
            (Some(c), Some(a)) if (c - a).abs() > 1e-9 => {
                format!("accountant: ε ≤ {c:.3} for the run, ε ≤ {a:.3} for the part audited")
            }
            (Some(c), _) => format!("accountant: ε ≤ {c:.3}"),
            (None, _) => "accountant: no claim (non-private run)".to_owned(),
        };
        let verdict = if self.exceeds_claim() {
            "the bound EXCEEDS the claim: the run leaks more than its accountant says"
        } else {
            "the bound is within the claim"
        };
        let mut lines = vec![
            format!(
                "{} audit of {}: ε ≥ {:.3} at {:.0} % confidence (δ = {})",
                self.kind.as_str(),
                self.target,
                (b.epsilon_lower_bound * 1000.0).floor() / 1000.0,
                100.0 * b.confidence,
                if b.delta == 0.0 {
                    "0".to_owned()
                } else {
                    format!("{:e}", b.delta)
                }
            ),
            claim,
            verdict.to_owned(),
            format!(
                "canaries: {} ({}); guesses: {} ({} \"in\", {} \"out\"), {} correct; rules tried: {}",
                b.canaries, self.canaries, b.guesses, b.k_plus, b.k_minus, b.correct, b.rules_tried
            ),
            format!(
                "abstention thresholds: \"in\" at score ≥ {}, \"out\" at score ≤ {}; score: {}",
                fmt_threshold(b.threshold_in),
                fmt_threshold(b.threshold_out),
                self.score
            ),
        ];
        if self.noise_seeded {
            lines.push("privacy randomness fixed by a noise seed (tests and research only)".into());
        }
        lines.join("\n")
    }
}

fn fmt_threshold(t: Option<f64>) -> String {
    t.map_or_else(|| "—".to_owned(), |v| format!("{v:.4}"))
}
