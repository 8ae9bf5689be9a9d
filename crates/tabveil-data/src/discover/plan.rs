//! [`plan_discovery`]: which releases a discovery makes, their noise and their ledger entries,
//! fixed from public information before any data is read.

use serde::{Deserialize, Serialize};
use tabveil_accountant::{
    AccountantSpec, LedgerEntry, PrivacyEvent, PrivacyLedger, Stage, epsilon_of,
};

use super::DISCOVERY_LABEL;
use super::budget::DiscoveryBudget;
use super::config::{DiscoveryConfig, NoiseWeights};
use super::mechanisms::threshold_for;
use crate::error::ReadError;
use crate::error::TransformError;
use crate::error::{DataError, Result};
use crate::schema::{ColumnKind, Schema};

/// What discovery releases for one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Task {
    /// The format counts (no declared kind).
    Format,
    /// The histogram of a declared numeric column.
    Bounds,
    /// The categories of a declared categorical column.
    Categories,
    /// Bounds or categories, decided by the format release (accounted as thresholding).
    Values,
}

/// The releases of one column, in the order they are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ColumnPlan {
    pub(crate) name: String,
    pub(crate) tasks: Vec<Task>,
}

/// The plan of a discovery: one noise multiplier σ for every release, the threshold τ of the
/// category releases, and the ledger entries that [`discover_schema`](super::discover_schema) will record (exactly
/// these, in this order). Computed from public information only (column names, the declared
/// schema, the budget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryPlan {
    pub(crate) columns: Vec<ColumnPlan>,
    pub(crate) entries: Vec<LedgerEntry>,
    /// Per entry: its noise multiplier σ and its threshold τ (∞ for a Gaussian release).
    pub(crate) noise: Vec<(f64, f64)>,
    pub(crate) noise_multiplier: f64,
    pub(crate) threshold: f64,
    pub(crate) threshold_delta: f64,
    pub(crate) epsilon: f64,
    pub(crate) budget: DiscoveryBudget,
}

impl DiscoveryPlan {
    /// The ledger entries discovery will record.
    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    /// The common noise scale: each release's σ is this times its weight
    /// ([`NoiseWeights`]; all 1 by default, so this is every release's σ). Counts have L2
    /// sensitivity 1.
    pub fn noise_multiplier(&self) -> f64 {
        self.noise_multiplier
    }

    /// The threshold τ of the releases of declared categorical columns, in rows.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The additive δ of one threshold release: the probability that a value held by one row
    /// is released.
    pub fn threshold_delta(&self) -> f64 {
        self.threshold_delta
    }

    /// ε of the planned ledger at the budget's δ, by the budget's accountant (≤ the target).
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The budget.
    pub fn budget(&self) -> &DiscoveryBudget {
        &self.budget
    }

    /// True when nothing is released (every column is declared).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Plans a discovery over the columns `names` (a CSV header; public) with an optional
/// declared (partial) schema: which releases each column needs, one σ for all of them
/// calibrated by the budget's accountant, τ from the threshold share of δ. The plan's ε is
/// recomputed from its ledger entries by the accountant and is ≤ the target.
///
/// With a declared schema only its columns are discovered (in its order); a column declared
/// with both bounds (or its categories) needs nothing; an `id` or boolean column needs nothing.
///
/// # Errors
/// [`crate::SchemaError::SchemaNotReviewed`] when the declared schema is marked as read from
/// the data ([`Schema::is_inferred_from_data`]);
/// [`crate::ReadError::MissingColumns`] when declared columns are not in `names`; accountant
/// errors (an unreachable target, a GDP accountant).
pub fn plan_discovery(
    names: &[String],
    declared: Option<&Schema>,
    budget: &DiscoveryBudget,
    config: &DiscoveryConfig,
) -> Result<DiscoveryPlan> {
    let columns = column_plans(names, declared)?;
    let count = |t: Task| -> u64 {
        columns
            .iter()
            .flat_map(|c| &c.tasks)
            .filter(|x| **x == t)
            .count() as u64
    };
    let thresholds = count(Task::Categories) + count(Task::Values);
    let releases: u64 = columns.iter().map(|c| c.tasks.len() as u64).sum();
    let delta = budget.delta;
    let weights = config.weights;
    let (scale, threshold_delta) = if releases == 0 {
        (f64::INFINITY, 0.0)
    } else {
        // δ = δ_Gaussian + additive δ of the thresholds: each threshold gets δ_τ =
        // share·δ / thresholds, so the accountant's additive δ 1 − Π(1 − δ_τ) ≤ share·δ and
        // the Gaussian parts get at least δ·(1 − share).
        let threshold_delta = if thresholds > 0 {
            delta * config.threshold_delta_share / thresholds as f64
        } else {
            0.0
        };
        // σ = scale · weight, calibrated on the very entries that will be recorded (threshold
        // events included), at the budget's δ: the accountant subtracts their additive δ.
        let scale = calibrate_scale(
            &columns,
            weights,
            threshold_delta,
            budget.epsilon,
            delta,
            &budget.accountant,
        )?;
        (scale, threshold_delta)
    };
    let (entries, noise) = planned_entries(&columns, scale, weights, threshold_delta)?;
    let threshold = scale * weights.categories;
    let threshold = if thresholds > 0 {
        threshold_for(threshold, threshold_delta)?
    } else {
        f64::INFINITY
    };
    let sigma = scale;
    let epsilon = if entries.is_empty() {
        0.0
    } else {
        ledger_epsilon(&entries, &budget.accountant, delta)?
    };
    if epsilon > budget.epsilon {
        // The calibration and the threshold's rounding keep this from happening; refuse
        // rather than overspend if it ever does.
        return Err(DataError::Internal(
            "planned discovery exceeds its budget after calibration",
        ));
    }
    Ok(DiscoveryPlan {
        columns,
        entries,
        noise,
        noise_multiplier: sigma,
        threshold,
        threshold_delta,
        epsilon,
        budget: budget.clone(),
    })
}

/// The weight of a task's σ; an undeclared column's value release uses the smaller of the
/// bounds and categories weights (it may turn out to be either).
fn task_weight(task: Task, w: NoiseWeights) -> f64 {
    match task {
        Task::Format => w.format,
        Task::Bounds => w.bounds,
        Task::Categories => w.categories,
        Task::Values => w.bounds.min(w.categories),
    }
}

/// A release's noise multiplier σ and threshold τ (∞ for a Gaussian release).
type NoiseOf = (f64, f64);

/// The ledger entries of the releases of `columns` at the common scale `scale` (σ = scale ·
/// weight; τ from `threshold_delta` for the threshold releases), in order, with each one's
/// (σ, τ) (τ = ∞ for a Gaussian release).
fn planned_entries(
    columns: &[ColumnPlan],
    scale: f64,
    weights: NoiseWeights,
    threshold_delta: f64,
) -> Result<(Vec<LedgerEntry>, Vec<NoiseOf>)> {
    let mut entries = Vec::new();
    let mut noise = Vec::new();
    for c in columns {
        for t in &c.tasks {
            let sigma = scale * task_weight(*t, weights);
            let tau = if matches!(t, Task::Categories | Task::Values) {
                threshold_for(sigma, threshold_delta)?
            } else {
                f64::INFINITY
            };
            entries.push(entry_for(&c.name, *t, sigma, tau)?);
            noise.push((sigma, tau));
        }
    }
    Ok((entries, noise))
}

/// The smallest common scale s (to 1e-6 relative, on the safe side) such that the releases of
/// `columns` ([`planned_entries`] at s: Gaussian parts and the thresholds' additive δ) spend
/// at most `epsilon` at `delta` by `spec`: ε(s) is evaluated by the accountant on those
/// entries (non-increasing in s: the additive δ does not depend on s, since τ is set from
/// `threshold_delta`) and bisected in log space.
fn calibrate_scale(
    columns: &[ColumnPlan],
    weights: NoiseWeights,
    threshold_delta: f64,
    epsilon: f64,
    delta: f64,
    spec: &AccountantSpec,
) -> Result<f64> {
    let epsilon_at = |s: f64| -> Result<f64> {
        let (entries, _) = planned_entries(columns, s, weights, threshold_delta)?;
        ledger_epsilon(&entries, spec, delta)
    };
    let (mut lo, mut hi) = (1e-3_f64, 1e-3_f64);
    while epsilon_at(hi)? > epsilon {
        lo = hi;
        hi *= 4.0;
        if hi > 1e9 {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "epsilon",
                value: epsilon.to_string(),
                expected: "a budget that noise below 1e9 can meet",
            }));
        }
    }
    if hi == lo {
        return Ok(hi);
    }
    while hi / lo > 1.0 + 1e-6 {
        let mid = (lo * hi).sqrt();
        if epsilon_at(mid)? > epsilon {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

/// ε of `entries` at `delta` under `spec`.
pub(crate) fn ledger_epsilon(
    entries: &[LedgerEntry],
    spec: &AccountantSpec,
    delta: f64,
) -> Result<f64> {
    let mut ledger = PrivacyLedger::new();
    for e in entries {
        ledger.record(e.clone())?;
    }
    Ok(epsilon_of(&ledger, spec, delta)?.epsilon)
}

pub(crate) fn column_plans(names: &[String], declared: Option<&Schema>) -> Result<Vec<ColumnPlan>> {
    let Some(schema) = declared else {
        return Ok(names
            .iter()
            .map(|n| ColumnPlan {
                name: n.clone(),
                tasks: if id_by_name(n) {
                    vec![]
                } else {
                    vec![Task::Format, Task::Values]
                },
            })
            .collect());
    };
    // The declared schema's kinds, bounds and categories are taken as public and cost
    // nothing: one read from the data (and not reviewed) would release exact values.
    if schema.is_inferred_from_data() {
        return Err(DataError::Schema(crate::SchemaError::SchemaNotReviewed));
    }
    let missing: Vec<String> = schema
        .columns()
        .iter()
        .filter(|c| !names.iter().any(|n| n == c.name()))
        .map(|c| c.name().to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(DataError::Read(ReadError::MissingColumns {
            columns: missing,
        }));
    }
    Ok(schema
        .columns()
        .iter()
        .map(|c| {
            let task = match c.kind() {
                ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. }
                    if min.is_none() || max.is_none() =>
                {
                    Some(Task::Bounds)
                }
                ColumnKind::Categorical { categories: None } => Some(Task::Categories),
                _ => None,
            };
            ColumnPlan {
                name: c.name().to_owned(),
                tasks: task.into_iter().collect(),
            }
        })
        .collect())
}

fn id_by_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "id" || lower.ends_with("_id")
}

/// Gaussian thresholding with noise σ and threshold τ: its Gaussian part and its additive
/// δ_τ = Φ((1 − τ)/σ) (the chance that a value held by one row is released) are both on the
/// ledger; the accountant computes ε at δ minus the composed additive δ.
fn threshold_event(sigma: f64, tau: f64) -> Result<PrivacyEvent> {
    Ok(PrivacyEvent::gaussian_threshold(sigma, tau, 1)?)
}

fn entry_for(column: &str, task: Task, sigma: f64, tau: f64) -> Result<LedgerEntry> {
    let (what, event) = match task {
        Task::Format => ("formats", PrivacyEvent::gaussian(sigma, 1)?),
        Task::Bounds => (
            "histogram and nulls (bounds, nullability)",
            PrivacyEvent::gaussian(sigma, 1)?,
        ),
        Task::Categories => (
            "categories and nulls (Gaussian thresholding)",
            threshold_event(sigma, tau)?,
        ),
        Task::Values => (
            "categories or histogram, and nulls (accounted as Gaussian thresholding)",
            threshold_event(sigma, tau)?,
        ),
    };
    Ok(LedgerEntry::new(
        format!("{DISCOVERY_LABEL}: {what} of column {column}"),
        Stage::Preprocessing,
        event,
    )?
    .with_l2_sensitivity(1.0)?)
}
