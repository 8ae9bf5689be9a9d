//! [`ReleasePlan`]: the privacy plan of a marginal fit, fixed by the settings and the schema
//! alone before any data is read. The fit takes its noise from it and `tabveil validate` prints
//! it: one function, so the plan shown is the plan run.
//!
//! - ρ, the run's zCDP budget: the largest whose Gaussian mechanism the run's accountant gives
//!   at most the target ε ([`total_rho`]), composed after the run's prior releases (a private
//!   schema discovery, `DpConfig::with_prior_releases`) when it has any: the fit then spends
//!   what they leave, and discovery and fit together end at the target.
//! - The one-way histograms: one Gaussian release per modelled column, sharing
//!   `one_way_share`·ρ evenly: σ₁ = √(d / (2·share·ρ)).
//! - The rounds: the rest of ρ (less the budget's slack) planned for `rounds` rounds (AIM's
//!   16·d by default), each an exponential-mechanism selection with
//!   ε_s = √(8·selection_share·ρ_r / T) and a Gaussian measurement with
//!   σ = √(T / (2·(1 − selection_share)·ρ_r)).
//!
//! The run is adaptive: when a measurement barely moves the model, σ halves and ε_s doubles,
//! and the last round spends exactly what is left, so a run usually has fewer rounds than
//! planned; its ledger never exceeds the target (every release is guarded by the accountant).
//! The planned ledger is the run without annealing: every planned round at the initial noise.

use tabveil_accountant::{PrivacyLedger, Stage};
use tabveil_data::{ColumnKind, Schema};

use super::budget::{SLACK, measurement_entry, selection_entry, total_rho};
use super::config::MarginalConfig;
use crate::error::{ModelError, Result};
use crate::privacy::DpConfig;

/// The plan of a marginal fit (see the [module docs](self)). Non-private: no noise, and the
/// rounds are at most `rounds`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReleasePlan {
    /// The run's zCDP budget ρ (0 in non-private mode).
    pub(crate) rho_total: f64,
    /// Modelled columns: one one-way histogram each.
    pub(crate) attributes: usize,
    /// The noise multiplier σ₁ of the one-way histograms (0 in non-private mode).
    pub(crate) one_way_sigma: f64,
    /// The rounds the initial noise is planned for.
    pub(crate) rounds: usize,
    /// The initial noise multiplier σ of a round's measurement (0 in non-private mode).
    pub(crate) round_sigma: f64,
    /// The initial ε_s of a round's selection (0 in non-private mode).
    pub(crate) selection_epsilon: f64,
}

impl ReleasePlan {
    /// The plan of `config` on a table of `attributes` modelled columns.
    ///
    /// # Errors
    /// Accountant errors (an unreachable target).
    pub(crate) fn new(config: &MarginalConfig, attributes: usize) -> Result<Self> {
        let rounds = config.rounds.unwrap_or(16 * attributes).max(1);
        let Some(dp) = config.privacy.dp() else {
            return Ok(ReleasePlan {
                rho_total: 0.0,
                attributes,
                one_way_sigma: 0.0,
                rounds,
                round_sigma: 0.0,
                selection_epsilon: 0.0,
            });
        };
        let rho_total = total_rho(dp.epsilon, dp.delta, &dp.accountant, &dp.run_budget().prior)?;
        let one_way_sigma = (attributes as f64 / (2.0 * config.one_way_share * rho_total)).sqrt();
        // What the budget has left after the one-way releases, summed as the budget sums.
        let mut rho_used = 0.0;
        for _ in 0..attributes {
            rho_used += 0.5 / (one_way_sigma * one_way_sigma);
        }
        let rho_rounds = (rho_total * (1.0 - SLACK) - rho_used).max(0.0);
        let share = config.selection_share;
        Ok(ReleasePlan {
            rho_total,
            attributes,
            one_way_sigma,
            rounds,
            round_sigma: (rounds as f64 / (2.0 * (1.0 - share) * rho_rounds)).sqrt(),
            selection_epsilon: (8.0 * share * rho_rounds / rounds as f64).sqrt(),
        })
    }

    /// The ledger of the run without annealing (private mode): the run's prior releases
    /// (`prior`, the ledger the fit opens with), the one-way histograms of `names` (the
    /// modelled columns, in the order the fit measures them), then every planned round's
    /// selection and measurement. Labels say "planned".
    ///
    /// # Errors
    /// Ledger errors (invalid parameters).
    pub(crate) fn ledger(&self, names: &[String], prior: PrivacyLedger) -> Result<PrivacyLedger> {
        if self.rho_total <= 0.0 {
            return Err(ModelError::Internal("a ledger of a non-private plan"));
        }
        let mut ledger = prior;
        for name in names {
            ledger.record(measurement_entry(
                format!("planned: marginal: one-way histogram of `{name}`"),
                Stage::Preprocessing,
                self.one_way_sigma,
            )?)?;
        }
        for round in 1..=self.rounds {
            ledger.record(selection_entry(
                format!("planned: marginal: selection of round {round}"),
                self.selection_epsilon,
            )?)?;
            ledger.record(measurement_entry(
                format!("planned: marginal: round {round}, the marginal selected"),
                Stage::Training,
                self.round_sigma,
            )?)?;
        }
        Ok(ledger)
    }
}

/// The ledger a private fit opens with: its prior releases, marked when a noise seed fixes
/// the privacy randomness.
///
/// # Errors
/// Ledger errors.
pub(crate) fn opening_ledger(dp: &DpConfig) -> Result<PrivacyLedger> {
    let mut ledger = dp.prior_ledger()?;
    if dp.is_noise_seeded() {
        ledger.mark_noise_seeded();
    }
    Ok(ledger)
}

/// Schema indices of the modelled columns (every column but identifiers), in schema order.
pub(crate) fn modelled_columns(schema: &Schema) -> Vec<usize> {
    schema
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(c.kind(), ColumnKind::Id))
        .map(|(i, _)| i)
        .collect()
}

/// The order in which the fit measures the one-way histograms: categorical columns first
/// (their totals give N̂, from which the numeric columns' resolution is chosen), each group in
/// schema order. `categorical[a]` says whether attribute `a` is categorical.
pub(crate) fn one_way_order(categorical: &[bool]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..categorical.len()).collect();
    order.sort_by_key(|&a| (!categorical[a], a));
    order
}

/// Whether a column is measured as categories (every modelled kind but continuous and
/// datetime).
pub(crate) fn is_categorical(kind: &ColumnKind) -> bool {
    !matches!(
        kind,
        ColumnKind::Continuous { .. } | ColumnKind::Datetime { .. }
    )
}
