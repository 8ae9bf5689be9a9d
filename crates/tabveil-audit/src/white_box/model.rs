//! The white-box audit of a model's private training loop (DP-CTGAN, DP-TVAE): the model's
//! own private fit, as written, with Dirac canaries sampled, clipped and noised with the real
//! rows of every DP-SGD step.

use candle_core::{DType, Device};
use serde::{Deserialize, Serialize};
use tabveil_accountant::{PrivacyLedger, Stage, epsilon_of};
use tabveil_data::{Schema, Table};
use tabveil_models::{DynSynthesizer, Progress};
use tabveil_sgd::{DiracCanaries, WhiteBoxAudit};

use super::engine::scores_of;
use super::observer::{CanaryObserver, WhiteBoxScore};
use super::plan::{DeclaredMechanism, planned_guessing};
use super::{CANARY_PARAMETER, canary_description, draw_inclusion, privacy_stream};
use crate::error::{AuditError, Result};
use crate::guess::{Guessing, guess_and_bound};
use crate::report::{AUDIT_FORMAT, AUDIT_FORMAT_VERSION, AuditKind, AuditReport};

/// The settings of a white-box audit of a model's fit.
///
/// # Defaults
/// `canaries` 1 000, `canary_norm` 100 (× C before clipping), `score`
/// [`WhiteBoxScore::LikelihoodRatio`], `guessing` planned from the run's declared mechanism
/// ([`planned_guessing`]) once its plan is known and before any score is read, `confidence`
/// 0.95; the inclusion bits from the operating system's randomness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhiteBoxConfig {
    /// m.
    pub canaries: usize,
    /// Each canary's gradient norm before clipping, in units of the run's C.
    pub canary_norm: f64,
    /// The canary score.
    pub score: WhiteBoxScore,
    /// The guessing rule(s); `None`: planned from the run's plan.
    pub guessing: Option<Guessing>,
    /// 1 − β.
    pub confidence: f64,
    /// Fixes the inclusion bits (tests; never serialised). The run's own privacy randomness is
    /// the model's (its `noise_seed`).
    #[serde(skip)]
    pub noise_seed: Option<u64>,
}

impl Default for WhiteBoxConfig {
    fn default() -> Self {
        WhiteBoxConfig {
            canaries: 1_000,
            canary_norm: 100.0,
            score: WhiteBoxScore::default(),
            guessing: None,
            confidence: 0.95,
            noise_seed: None,
        }
    }
}

crate::setters::audit_setters!(
    WhiteBoxConfig,
    "**Dangerous** (tests): fixes the inclusion bits."
);

/// Fits `model` (configured privately, on `device`) on `table` under a white-box audit and
/// returns the audit. The fitted model is an audit artefact (it trained beside the
/// canaries) and should not be released; the report carries the run's ledger.
///
/// `target` names the model in the report (e.g. "DP-CTGAN").
///
/// # Errors
/// Invalid settings, a non-private model or one without DP-SGD training, and the fit's
/// errors.
#[allow(
    clippy::too_many_arguments,
    reason = "the run and the audit's settings"
)]
pub fn audit_white_box(
    model: &mut dyn DynSynthesizer,
    target: &str,
    device: &Device,
    table: &Table,
    schema: &Schema,
    config: &WhiteBoxConfig,
    progress: &mut dyn Progress,
) -> Result<AuditReport> {
    let settings = model.settings();
    let Some(dp) = settings.spec().privacy().dp() else {
        return Err(AuditError::InvalidParameter {
            parameter: "privacy",
            value: 0.0,
            expected: "a private configuration (a white-box audit observes DP-SGD releases)",
        });
    };
    let m = config.canaries;
    if m == 0 || !(config.canary_norm.is_finite() && config.canary_norm > 0.0) {
        return Err(AuditError::InvalidParameter {
            parameter: "canaries / canary_norm",
            value: m as f64,
            expected: "at least one canary of finite norm > 0",
        });
    }
    let included = draw_inclusion(m, &mut privacy_stream(config.noise_seed, 11)?)?;
    let members: Vec<usize> = (0..m).filter(|&j| included[j]).collect();
    let canaries = DiracCanaries::new(
        CANARY_PARAMETER,
        m,
        members,
        config.canary_norm * dp.clipping_norm,
        DType::F32,
        device,
    )?;
    let (observer, stats) = CanaryObserver::new(CANARY_PARAMETER, m, None);
    let audit = WhiteBoxAudit {
        canaries,
        observer: Box::new(observer),
    };
    let summary = model.fit_under_audit(table, schema, progress, audit)?;
    let run = summary.private.ok_or(AuditError::Internal(
        "a private fit without its private record",
    ))?;
    let ledger = model
        .ledger()
        .cloned()
        .ok_or(AuditError::Internal("a private fit without a ledger"))?;
    // The canaries went through the DP-SGD steps only: their ε is the training entries'.
    let mut training = PrivacyLedger::new();
    for entry in ledger
        .entries()
        .iter()
        .filter(|e| e.stage() == Stage::Training)
    {
        training.record(entry.clone())?;
    }
    let audited = epsilon_of(&training, &dp.accountant, dp.delta)?.epsilon;
    let guessing = match &config.guessing {
        Some(g) => g.clone(),
        // The plan is the run's declared mechanism: released by the preprocessing, independent
        // of the inclusion bits, fixed before any score is read.
        None => planned_guessing(
            DeclaredMechanism {
                sample_rate: run.sample_rate,
                noise_multiplier: run.training_noise_multiplier,
                releases: run.releases,
            },
            m,
            dp.delta,
            config.confidence,
            4,
            0,
        )?,
    };
    let scores = scores_of(&stats, config.score)?;
    let bound = guess_and_bound(&scores, &included, &guessing, dp.delta, config.confidence)?;
    Ok(AuditReport {
        format: AUDIT_FORMAT.to_owned(),
        version: AUDIT_FORMAT_VERSION,
        kind: AuditKind::WhiteBox,
        target: format!(
            "{target} (q = {:.5}, σ = {:.4}, {} DP-SGD releases)",
            run.sample_rate, run.training_noise_multiplier, run.releases
        ),
        claimed_epsilon: Some(run.epsilon_spent),
        audited_epsilon: Some(audited),
        accountant: Some(format!("{:?}", dp.accountant.kind)),
        canaries: canary_description(config.canary_norm),
        score: config.score.describe().to_owned(),
        bound,
        releases_observed: run.releases,
        noise_seeded: dp.is_noise_seeded(),
        ledger: Some(ledger),
    })
}
