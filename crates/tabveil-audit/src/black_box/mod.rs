//! Black-box audits of a whole fit: the threat model of the guarantee (only the outputs).
//!
//! m canary rows are crafted from the public schema ([`craft_canaries`]); each is added to
//! the real table with probability ½ (secret bits from the privacy randomness); the target
//! fits on the result — preprocessing included — and returns synthetic rows; each canary is
//! scored from them ([`BlackBoxScore`]); the guesses give the one-run bound. A canary row is
//! one unit of privacy (one row), so the claim audited is the whole run's ε.
//!
//! The target is anything that fits on a table and samples ([`BlackBoxTarget`]), so the audit
//! does not depend on the model: the facade provides a target for every model it builds, and
//! [`ModelTarget`] wraps any `tabveil_models::Synthesizer`.

mod canaries;
mod score;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tabveil_accountant::{AccountantSpec, PrivacyLedger, epsilon_of};
use tabveil_data::{Schema, Table, Value};
use tabveil_models::{NoProgress, Synthesizer};

pub use canaries::craft_canaries;
pub use score::BlackBoxScore;

use crate::error::{AuditError, Result};
use crate::guess::{Guessing, guess_and_bound};
use crate::report::{AUDIT_FORMAT, AUDIT_FORMAT_VERSION, AuditKind, AuditReport};
use crate::white_box::{draw_inclusion, privacy_stream};

/// What a black-box target returns: synthetic rows and the run's claim.
#[derive(Debug, Clone)]
pub struct BlackBoxRun {
    /// The synthetic rows.
    pub synthetic: Table,
    /// The ledger of the run (None for a non-private run).
    pub ledger: Option<PrivacyLedger>,
    /// The accountant and δ of the claim (None for a non-private run).
    pub claim: Option<(AccountantSpec, f64)>,
    /// Whether the run's privacy randomness was fixed by a noise seed.
    pub noise_seeded: bool,
}

/// Something to audit black-box: it fits on a table and samples synthetic rows.
pub trait BlackBoxTarget {
    /// A name for the report (e.g. "DP-CTGAN, ε = 3").
    fn describe(&self) -> String;

    /// Fits on `table` (of `schema`: the real rows and the included canaries) exactly as a
    /// normal fit would, and returns `rows` synthetic rows with the run's claim.
    ///
    /// # Errors
    /// Whatever the fit or the sampling returns.
    fn fit_and_sample(
        &mut self,
        table: &Table,
        schema: &Schema,
        rows: usize,
    ) -> Result<BlackBoxRun>;
}

/// The settings of a black-box audit.
///
/// # Defaults
/// `canaries` 1 000; `synthetic_rows` 20 000; `score` [`BlackBoxScore::Both`] with bandwidth
/// τ = 0.05; `guessing` [`Guessing::default_for`] m (twelve rules at β/12); `confidence` 0.95;
/// canary rows from `seed` 0; inclusion bits from the operating system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlackBoxConfig {
    /// m.
    pub canaries: usize,
    /// Synthetic rows to score the canaries with.
    pub synthetic_rows: usize,
    /// The score.
    pub score: BlackBoxScore,
    /// τ of the joint density.
    pub bandwidth: f64,
    /// The guessing rule(s); `None`: [`Guessing::default_for`] m.
    pub guessing: Option<Guessing>,
    /// 1 − β.
    pub confidence: f64,
    /// Seed of the canary rows (they may be public; the inclusion bits may not).
    pub seed: u64,
    /// Fixes the inclusion bits (tests; never serialised).
    #[serde(skip)]
    pub noise_seed: Option<u64>,
}

impl Default for BlackBoxConfig {
    fn default() -> Self {
        BlackBoxConfig {
            canaries: 1_000,
            synthetic_rows: 20_000,
            score: BlackBoxScore::default(),
            bandwidth: 0.05,
            guessing: None,
            confidence: 0.95,
            seed: 0,
            noise_seed: None,
        }
    }
}

crate::setters::audit_setters!(
    BlackBoxConfig,
    "**Dangerous** (tests): fixes the inclusion bits."
);

impl BlackBoxConfig {
    /// Sets the number of synthetic rows scored.
    pub fn with_synthetic_rows(mut self, rows: usize) -> Self {
        self.synthetic_rows = rows;
        self
    }

    /// Sets the score.
    pub fn with_score(mut self, score: BlackBoxScore) -> Self {
        self.score = score;
        self
    }
}

/// Audits `target` black-box on `table`: m canary rows crafted from the public schema
/// ([`craft_canaries`]) are each added to the table with probability ½ (secret bits from the
/// privacy randomness), the target fits on the result — preprocessing included — and returns
/// synthetic rows, each canary is scored from them ([`BlackBoxScore`]), and the guesses give the
/// one-run bound. A canary row is one unit of privacy, so the claim audited is the whole run's
/// ε. Returns the report; without a claim (a non-private target) `claimed_epsilon` is None and
/// the bound stands alone.
///
/// # Errors
/// Invalid settings, a schema without public bounds or categories, and the target's errors.
pub fn audit_black_box(
    target: &mut dyn BlackBoxTarget,
    table: &Table,
    schema: &Schema,
    config: &BlackBoxConfig,
) -> Result<AuditReport> {
    let m = config.canaries;
    if m == 0 || config.synthetic_rows == 0 || config.bandwidth.is_nan() || config.bandwidth <= 0.0
    {
        return Err(AuditError::InvalidParameter {
            parameter: "canaries / synthetic_rows / bandwidth",
            value: m as f64,
            expected: "at least one canary and one synthetic row, bandwidth > 0",
        });
    }
    let canaries = craft_canaries(schema, m, &mut ChaCha8Rng::seed_from_u64(config.seed))?;
    let included = draw_inclusion(m, &mut privacy_stream(config.noise_seed, 21)?)?;
    let members: Vec<Vec<Value>> = canaries
        .iter()
        .zip(&included)
        .filter(|(_, inc)| **inc)
        .map(|(row, _)| row.clone())
        .collect();
    let audited_table = canaries::with_rows_appended(table, schema, &members)?;
    let run = target.fit_and_sample(&audited_table, schema, config.synthetic_rows)?;
    let claimed = match (&run.ledger, &run.claim) {
        (Some(ledger), Some((spec, delta))) => Some(epsilon_of(ledger, spec, *delta)?.epsilon),
        _ => None,
    };
    let delta = run.claim.as_ref().map_or(0.0, |(_, d)| *d);
    let scores = score::score_canaries(
        &canaries,
        &run.synthetic,
        schema,
        config.score,
        config.bandwidth,
    )?;
    let guessing = config
        .guessing
        .clone()
        .unwrap_or_else(|| Guessing::default_for(m));
    let bound = guess_and_bound(&scores, &included, &guessing, delta, config.confidence)?;
    Ok(AuditReport {
        format: AUDIT_FORMAT.to_owned(),
        version: AUDIT_FORMAT_VERSION,
        kind: AuditKind::BlackBox,
        target: target.describe(),
        claimed_epsilon: claimed,
        audited_epsilon: claimed,
        accountant: run.claim.as_ref().map(|(s, _)| format!("{:?}", s.kind)),
        canaries: "rows from the public schema: random declared categories, continuous values at \
                   the declared bounds; each added with probability ½"
            .to_owned(),
        score: format!(
            "{} ({} synthetic rows)",
            config.score.describe(config.bandwidth),
            run.synthetic.n_rows()
        ),
        bound,
        releases_observed: 1,
        noise_seeded: run.noise_seeded,
        ledger: run.ledger,
    })
}

/// A black-box target around any `tabveil_models::Synthesizer`: `fit`, then `sample` with
/// `sample_seed`; the claim from the model's ledger with `claim` (accountant and δ; None for
/// a non-private model).
#[derive(Debug)]
pub struct ModelTarget<M> {
    /// The model (refitted by each audit).
    pub model: M,
    /// A name for the report.
    pub name: String,
    /// The accountant and δ of the model's claim (None: non-private).
    pub claim: Option<(AccountantSpec, f64)>,
    /// Whether the model's privacy randomness is seeded.
    pub noise_seeded: bool,
    /// The seed of the synthetic rows.
    pub sample_seed: u64,
}

impl<M: Synthesizer> BlackBoxTarget for ModelTarget<M> {
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn fit_and_sample(
        &mut self,
        table: &Table,
        schema: &Schema,
        rows: usize,
    ) -> Result<BlackBoxRun> {
        self.model.fit(table, schema, &mut NoProgress)?;
        let synthetic = self.model.sample(rows, self.sample_seed)?;
        Ok(BlackBoxRun {
            synthetic,
            ledger: self.model.ledger().cloned(),
            claim: self.claim.clone(),
            noise_seeded: self.noise_seeded,
        })
    }
}

#[cfg(test)]
mod tests;
