//! Private schema discovery: a [`Schema`] released from the data by differentially private
//! mechanisms on the ledger, for users who have no codebook.
//!
//! Per column, what is not declared in the optional public (partial) schema is released:
//! - **kind** (only without a declared kind): a Gaussian count of its non-null fields per
//!   format (integer, decimal, boolean, each datetime format, other text). The column is
//!   numeric, boolean or datetime when that format holds most of the noisy count, categorical
//!   otherwise; a numeric column is integer when its noisy count of fractional values is near
//!   zero. So integer-ness and datetime formats come from a declaration or from this noisy
//!   count, never from one row. A column named `id` or ending in `_id` is an id column (by its
//!   public name; no release).
//! - **categories**: Gaussian thresholding (Desfontaines, Voss, Gipson & Mandayam 2022): each
//!   value's count plus N(0, σ²), the values above τ released; τ = 1 + σ·z(δ_τ) so that a
//!   value held by one row is released with probability ≤ δ_τ. Every other value maps to the
//!   column's `other` category (the schema's JSON says which).
//! - **bounds**: a Gaussian histogram over a wide public grid (log-spaced over ±10⁹;
//!   quarter-years for datetimes), cells below a noise floor zeroed, then the `tail` and
//!   `1 − tail` quantiles read from it: the bounds are public cell edges, never a value of the
//!   data. Values beyond them are clipped when read. When nothing survives the noise (a small
//!   table, a tiny budget) the public grid's range is used: the column is kept, never dropped.
//! - **nullability**: the noisy null count, released in the same vector as the categories or
//!   the histogram (one row, one cell: L2 sensitivity 1).
//!
//! **Budget.** Every release uses one noise multiplier σ, calibrated by the accountant so that
//! the planned ledger spends at most (ε, δ): a share of δ pays the thresholds' additive δ, the
//! rest the Gaussian part ([`plan_discovery`]). A column whose kind is not declared plans its
//! value release as Gaussian thresholding, which dominates the Gaussian histogram, and records
//! it so whichever it turns out to be: the ledger is the plan, fixed before any data is read.
//!
//! ```
//! use tabveil_accountant::{AccountantSpec, PrivacyLedger};
//! use tabveil_data::{discover_schema, plan_discovery, ColumnKind, DiscoveryBudget,
//!     DiscoveryConfig, RawTable, Schema};
//! use tabveil_noise::PrivacyRng;
//!
//! // Public: the columns' kinds. Private: everything else.
//! let declared = Schema::from_json(r#"{"name": "t", "columns": [
//!     {"name": "age", "kind": "continuous", "integer": true},
//!     {"name": "city", "kind": "categorical"}
//! ]}"#)?;
//! let rows = 3_000;
//! let age = (0..rows).map(|i| Some((20 + i % 50).to_string())).collect();
//! let city = (0..rows).map(|i| Some(if i % 3 == 0 { "Oslo" } else { "Rome" }.to_owned())).collect();
//! let raw = RawTable::new(vec!["age".into(), "city".into()], vec![age, city])?;
//!
//! let budget = DiscoveryBudget::new(1.0, 1e-6, AccountantSpec::rdp())?;
//! let config = DiscoveryConfig::default();
//! let plan = plan_discovery(raw.names(), Some(&declared), &budget, &config)?;
//! assert!(plan.epsilon() <= 1.0);
//! let mut ledger = PrivacyLedger::new();
//! let mut rng = PrivacyRng::secure()?;
//! let found = discover_schema(&raw, Some(&declared), &plan, &config, &mut ledger, &mut rng)?;
//! assert_eq!(ledger.entries(), plan.entries());
//! let city = found.column("city").unwrap();
//! assert_eq!(city.categories().unwrap(), ["Oslo", "Rome", "(other)"]);
//! let (lo, hi) = found.column("age").unwrap().bounds();
//! assert!(lo.unwrap() <= 21.0 && hi.unwrap() >= 68.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod grid;
mod mechanisms;
mod raw;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use tabveil_accountant::{
    AccountantSpec, LedgerEntry, PrivacyEvent, PrivacyLedger, Stage, epsilon_of,
};
use tabveil_noise::PrivacyRng;

use crate::datetime;
use crate::error::ReadError;
use crate::error::TransformError;
use crate::error::{DataError, Result};
use crate::schema::{ColumnKind, ColumnOrigin, ColumnSchema, PrivateOrigin, Schema};

pub use config::{DEFAULT_OTHER_LABEL, DiscoveryConfig, NoiseWeights};
pub use grid::ValueGrid;
pub use raw::RawTable;

use mechanisms::{
    CELL_BOOLEAN, CELL_DATETIME, CELL_DECIMAL, CELL_INTEGER, DATETIME_FORMATS, FORMAT_CELLS,
    release_bounds, release_formats, select_values, threshold_for, upper_quantile,
};

/// The prefix of every ledger label of schema discovery.
pub const DISCOVERY_LABEL: &str = "schema discovery";

/// The (ε, δ) that private schema discovery may spend, and the accountant that checks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryBudget {
    epsilon: f64,
    delta: f64,
    accountant: AccountantSpec,
}

impl DiscoveryBudget {
    /// A budget of (ε, δ) under `accountant` (RDP or PLD: calibration refuses GDP).
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless ε is finite and > 0 and δ ∈ (0, 1).
    pub fn new(epsilon: f64, delta: f64, accountant: AccountantSpec) -> Result<Self> {
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "epsilon",
                value: epsilon.to_string(),
                expected: "finite and > 0",
            }));
        }
        if !(delta > 0.0 && delta < 1.0) {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "delta",
                value: delta.to_string(),
                expected: "in (0, 1)",
            }));
        }
        Ok(DiscoveryBudget {
            epsilon,
            delta,
            accountant,
        })
    }

    /// The target ε.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The target δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The accountant.
    pub fn accountant(&self) -> &AccountantSpec {
        &self.accountant
    }
}

/// What discovery releases for one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Task {
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
struct ColumnPlan {
    name: String,
    tasks: Vec<Task>,
}

/// The plan of a discovery: one noise multiplier σ for every release, the threshold τ of the
/// category releases, and the ledger entries that [`discover_schema`] will record (exactly
/// these, in this order). Computed from public information only (column names, the declared
/// schema, the budget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryPlan {
    columns: Vec<ColumnPlan>,
    entries: Vec<LedgerEntry>,
    /// Per entry: its noise multiplier σ and its threshold τ (∞ for a Gaussian release).
    noise: Vec<(f64, f64)>,
    noise_multiplier: f64,
    threshold: f64,
    threshold_delta: f64,
    epsilon: f64,
    budget: DiscoveryBudget,
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
fn ledger_epsilon(entries: &[LedgerEntry], spec: &AccountantSpec, delta: f64) -> Result<f64> {
    let mut ledger = PrivacyLedger::new();
    for e in entries {
        ledger.record(e.clone())?;
    }
    Ok(epsilon_of(&ledger, spec, delta)?.epsilon)
}

fn column_plans(names: &[String], declared: Option<&Schema>) -> Result<Vec<ColumnPlan>> {
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

/// Discovers a schema privately: makes the releases of `plan` (from [`plan_discovery`] with
/// the same names and declared schema), records each on `ledger` as it is made, and builds
/// the schema from the released values only. Declared columns and fields are kept as they
/// are; every discovered column is marked [`ColumnOrigin::Private`] with its ledger entries
/// and their ε alone; the schema's top-level `discovery` key records the plan's σ, τ, (ε, δ)
/// and accountant. The noise comes from `rng` (a seeded one marks the ledger).
///
/// # Errors
/// [`crate::TransformError::SchemaMismatch`] when `plan` was made for other columns;
/// [`crate::ReadError::MissingColumns`]; accountant and noise errors. Nothing is released
/// before these checks pass.
pub fn discover_schema(
    raw: &RawTable,
    declared: Option<&Schema>,
    plan: &DiscoveryPlan,
    config: &DiscoveryConfig,
    ledger: &mut PrivacyLedger,
    rng: &mut PrivacyRng,
) -> Result<Schema> {
    // Check everything before the first release, so that an error spends nothing.
    if column_plans(raw.names(), declared)? != plan.columns {
        return Err(DataError::Transform(TransformError::SchemaMismatch {
            reason: "the discovery plan was made for other columns or another declared schema"
                .into(),
        }));
    }
    if rng.is_seeded() {
        ledger.mark_noise_seeded();
    }
    let mut entries = plan.entries.iter().zip(&plan.noise);
    let mut columns = Vec::with_capacity(plan.columns.len());
    for cp in &plan.columns {
        let fields = raw
            .column(&cp.name)
            .ok_or(DataError::Internal("planned column not in the raw table"))?;
        let declared_col = declared.and_then(|s| s.column(&cp.name));
        let mut released: Vec<&'static str> = Vec::new();
        let mut used: Vec<LedgerEntry> = Vec::new();
        let mut next_entry = || -> Result<(LedgerEntry, f64, f64)> {
            entries
                .next()
                .map(|(e, (s, t))| (e.clone(), *s, *t))
                .ok_or(DataError::Internal("plan shorter than its tasks"))
        };
        // The kind: declared, by name (id), or from the format release.
        let mut kind_fallback = false;
        let kind = match (declared_col, cp.tasks.first()) {
            (Some(c), _) => c.kind().clone(),
            (None, None) => ColumnKind::Id,
            (None, Some(_)) => {
                let (entry, sigma, _) = next_entry()?;
                let noisy = release_formats(fields, sigma, rng)?;
                ledger.record(entry.clone())?;
                used.push(entry);
                // ---- post-processing of the noisy format counts ----
                let (kind, fallback) = kind_from_formats(&noisy, sigma, config);
                kind_fallback = fallback;
                released.push("kind");
                match &kind {
                    ColumnKind::Continuous { .. } => released.push("integer"),
                    ColumnKind::Datetime { .. } => released.push("format"),
                    _ => {}
                }
                kind
            }
        };
        let value_task = cp.tasks.iter().find(|t| **t != Task::Format);
        let Some(_) = value_task else {
            // Nothing to release: the declared column as it is, or an id column.
            columns.push(
                declared_col
                    .cloned()
                    .unwrap_or_else(|| ColumnSchema::new(cp.name.clone(), kind.clone())),
            );
            continue;
        };
        let (entry, sigma, tau) = next_entry()?;
        let declared_nullable = declared_col.is_some_and(ColumnSchema::is_nullable);
        let (column, noisy_nulls, fallback) = match kind {
            ColumnKind::Continuous { min, max, integer } => {
                let grid = ValueGrid::log(config.bins_per_decade, config.min_exp, config.max_exp);
                let floor = noise_floor(&grid, sigma, config)?;
                let r = release_bounds(
                    fields,
                    |t| t.parse::<f64>().ok(),
                    &grid,
                    sigma,
                    floor,
                    config.tail,
                    rng,
                )?;
                ledger.record(entry.clone())?;
                used.push(entry);
                let unit = integer.then_some(1.0);
                let (lo, hi, fallback) = bounds_from(r.bounds, &grid, min, max, unit);
                mark_bounds(&mut released, min, max);
                let col = ColumnSchema::new(
                    cp.name.clone(),
                    ColumnKind::Continuous {
                        min: Some(lo),
                        max: Some(hi),
                        integer,
                    },
                );
                (col, r.noisy_nulls, fallback)
            }
            ColumnKind::Datetime { format, min, max } => {
                let grid = ValueGrid::datetime();
                let floor = noise_floor(&grid, sigma, config)?;
                let r = release_bounds(
                    fields,
                    |t| datetime::parse_seconds(t, &format),
                    &grid,
                    sigma,
                    floor,
                    config.tail,
                    rng,
                )?;
                ledger.record(entry.clone())?;
                used.push(entry);
                // Whole days, outwards: every datetime format writes them exactly.
                let (lo, hi, fallback) = bounds_from(r.bounds, &grid, min, max, Some(86_400.0));
                mark_bounds(&mut released, min, max);
                let col = ColumnSchema::new(
                    cp.name.clone(),
                    ColumnKind::Datetime {
                        format,
                        min: Some(lo),
                        max: Some(hi),
                    },
                );
                (col, r.noisy_nulls, fallback)
            }
            ColumnKind::Boolean { categories } => {
                // Only reached without a declared kind: a boolean needs no category release,
                // but the planned (thresholding) release still gives the null count.
                let s = select_values(fields, sigma, tau, rng)?;
                ledger.record(entry.clone())?;
                used.push(entry);
                let col = ColumnSchema::new(cp.name.clone(), ColumnKind::Boolean { categories });
                (col, s.noisy_nulls, false)
            }
            ColumnKind::Categorical { .. } | ColumnKind::Id => {
                let s = select_values(fields, sigma, tau, rng)?;
                ledger.record(entry.clone())?;
                used.push(entry);
                released.push("categories");
                // ---- post-processing: the released values, plus the catch-all ----
                let fallback = s.values.is_empty();
                let closed = config.closed.contains(&cp.name) && !fallback;
                let mut cats = s.values;
                let other = (!closed).then(|| unique_label(&config.other_label, &cats));
                cats.extend(other.clone());
                let mut col = ColumnSchema::new(
                    cp.name.clone(),
                    ColumnKind::Categorical {
                        categories: Some(cats),
                    },
                );
                if let Some(o) = other {
                    col = col.with_other(o);
                }
                (col, s.noisy_nulls, fallback)
            }
        };
        let nullable = declared_nullable || noisy_nulls > config.nullable_above * sigma;
        if !declared_nullable {
            released.push("nullable");
        }
        let epsilon_alone = ledger_epsilon(&used, &plan.budget.accountant, plan.budget.delta)?;
        let origin = PrivateOrigin {
            released: released.iter().map(|s| (*s).to_owned()).collect(),
            mechanisms: used,
            epsilon_alone,
            delta: plan.budget.delta,
            fallback: fallback || kind_fallback,
        };
        let mut column = column
            .with_nullable(nullable)
            .with_origin(ColumnOrigin::Private(Box::new(origin)));
        if let Some(d) = declared_col.and_then(ColumnSchema::description) {
            column = column.with_description(d);
        }
        columns.push(column);
    }
    build_schema(declared, columns, plan, ledger)
}

/// The schema around the discovered columns: the declared schema's name, description, target
/// and extra keys (public), and the `discovery` record.
fn build_schema(
    declared: Option<&Schema>,
    columns: Vec<ColumnSchema>,
    plan: &DiscoveryPlan,
    ledger: &PrivacyLedger,
) -> Result<Schema> {
    let name = declared.map_or("discovered", Schema::name);
    let mut schema = Schema::new(name, columns)?;
    if let Some(d) = declared {
        if let Some(desc) = d.description() {
            schema = schema.with_description(desc);
        }
        for (k, v) in d.extra() {
            schema = schema.with_extra(k.clone(), v.clone());
        }
        if let Some(t) = d.target() {
            // A positive class that was not released cannot be kept: the target stays.
            let with_class = schema
                .clone()
                .with_target(t, d.positive_class().map(str::to_owned));
            schema = match with_class {
                Ok(s) => s,
                Err(_) => schema.with_target(t, None)?,
            };
        }
    }
    let record = serde_json::json!({
        "epsilon": plan.epsilon,
        "delta": plan.budget.delta,
        "accountant": plan.budget.accountant.kind.name(),
        "noise_multiplier": plan.noise_multiplier,
        "threshold": if plan.threshold.is_finite() { serde_json::json!(plan.threshold) } else { serde_json::Value::Null },
        "threshold_delta": plan.threshold_delta,
        "releases": plan.entries.len(),
        "noise_seeded": matches!(ledger.noise_randomness(), tabveil_accountant::NoiseRandomness::Seeded),
    });
    Ok(schema.with_extra("discovery", record))
}

/// The noise floor of a histogram over `grid`: the level that the noise of one empty cell
/// passes with probability `spurious_cells / cells`.
fn noise_floor(grid: &ValueGrid, sigma: f64, config: &DiscoveryConfig) -> Result<f64> {
    let p = (config.spurious_cells / grid.len() as f64).clamp(1e-300, 0.5);
    Ok(sigma * upper_quantile(p)?)
}

/// The column's bounds: declared ones kept, released ones from the histogram (`unit` 1: the
/// integers inside the cells; another unit, e.g. a day for datetimes: multiples of it,
/// outwards), the grid's public range when nothing was released.
fn bounds_from(
    released: Option<(f64, f64)>,
    grid: &ValueGrid,
    min: Option<f64>,
    max: Option<f64>,
    unit: Option<f64>,
) -> (f64, f64, bool) {
    let fallback = released.is_none();
    let (lo, hi) = released.unwrap_or_else(|| grid.range());
    // Integers: [ceil(lo), floor(hi)] holds every integer the cells [lo, hi) can hold (so the
    // centre cell (−10⁻³, 10⁻³) of an integer column is 0). Days: outwards.
    let (mut lo, mut hi) = match unit {
        Some(u) if u == 1.0 && !fallback => (lo.ceil() + 0.0, hi.floor() + 0.0),
        Some(u) => ((lo / u).floor() * u, (hi / u).ceil() * u),
        None => (lo, hi),
    };
    if unit.is_some() && lo >= hi {
        hi = lo + unit.unwrap_or(1.0);
    }
    if let Some(m) = min {
        lo = m;
    }
    if let Some(m) = max {
        hi = m;
    }
    if lo >= hi {
        // A declared bound on the wrong side of the released one: the public range instead.
        let (glo, ghi) = grid.range();
        if min.is_some() {
            hi = ghi.max(lo + 1.0);
        } else {
            lo = glo.min(hi - 1.0);
        }
    }
    (lo, hi, fallback)
}

fn mark_bounds(released: &mut Vec<&'static str>, min: Option<f64>, max: Option<f64>) {
    if min.is_none() {
        released.push("min");
    }
    if max.is_none() {
        released.push("max");
    }
}

/// The kind read from the noisy format counts (post-processing), and whether it is a
/// fallback (nothing survived the noise: categorical).
fn kind_from_formats(noisy: &[f64], sigma: f64, config: &DiscoveryConfig) -> (ColumnKind, bool) {
    let c = |i: usize| noisy.get(i).copied().unwrap_or(0.0).max(0.0);
    let total: f64 = (0..FORMAT_CELLS).map(c).sum();
    let categorical = ColumnKind::Categorical { categories: None };
    if total <= 0.0 {
        return (categorical, true);
    }
    let share = config.majority * total;
    if c(CELL_INTEGER) + c(CELL_DECIMAL) >= share {
        let integer =
            noisy.get(CELL_DECIMAL).copied().unwrap_or(0.0) < config.integer_below * sigma;
        return (
            ColumnKind::Continuous {
                min: None,
                max: None,
                integer,
            },
            false,
        );
    }
    if c(CELL_BOOLEAN) >= share {
        return (ColumnKind::Boolean { categories: None }, false);
    }
    for (k, f) in DATETIME_FORMATS.iter().enumerate() {
        if c(CELL_DATETIME + k) >= share {
            return (
                ColumnKind::Datetime {
                    format: (*f).to_owned(),
                    min: None,
                    max: None,
                },
                false,
            );
        }
    }
    (categorical, false)
}

/// `label`, or `label 2`, `label 3`, … if a released value already has it.
fn unique_label(label: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == label) {
        return label.to_owned();
    }
    (2..)
        .map(|k| format!("{label} {k}"))
        .find(|l| !taken.iter().any(|t| t == l))
        .unwrap_or_else(|| label.to_owned())
}
