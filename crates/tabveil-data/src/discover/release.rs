//! [`discover_schema`]: the releases of a plan, made in order, and the schema built from the
//! released values only.

use tabveil_accountant::{LedgerEntry, PrivacyLedger};
use tabveil_noise::PrivacyRng;

use super::config::DiscoveryConfig;
use super::decode::{bounds_from, kind_from_formats, mark_bounds, noise_floor, unique_label};
use super::grid::ValueGrid;
use super::mechanisms::{release_bounds, release_formats, select_values};
use super::plan::{DiscoveryPlan, Task, column_plans, ledger_epsilon};
use super::raw::RawTable;
use crate::datetime;
use crate::error::TransformError;
use crate::error::{DataError, Result};
use crate::schema::{ColumnKind, ColumnOrigin, ColumnSchema, PrivateOrigin, Schema};

/// Discovers a schema privately: makes the releases of `plan` (from [`plan_discovery`](super::plan_discovery) with
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
                let numeric = NumericRelease {
                    grid: &grid,
                    sigma,
                    declared: (min, max),
                    // Integers: the integers inside the released cells.
                    unit: integer.then_some(1.0),
                };
                let parse = |t: &str| t.parse::<f64>().ok();
                let (lo, hi, nulls, fallback) = numeric.release(fields, parse, config, rng)?;
                ledger.record(entry.clone())?;
                used.push(entry);
                mark_bounds(&mut released, min, max);
                let (min, max) = (Some(lo), Some(hi));
                let kind = ColumnKind::Continuous { min, max, integer };
                (ColumnSchema::new(cp.name.clone(), kind), nulls, fallback)
            }
            ColumnKind::Datetime { format, min, max } => {
                let grid = ValueGrid::datetime();
                let numeric = NumericRelease {
                    grid: &grid,
                    sigma,
                    declared: (min, max),
                    // Whole days, outwards: every datetime format writes them exactly.
                    unit: Some(86_400.0),
                };
                let parse = |t: &str| datetime::parse_seconds(t, &format);
                let (lo, hi, nulls, fallback) = numeric.release(fields, parse, config, rng)?;
                ledger.record(entry.clone())?;
                used.push(entry);
                mark_bounds(&mut released, min, max);
                let (min, max) = (Some(lo), Some(hi));
                let kind = ColumnKind::Datetime { format, min, max };
                (ColumnSchema::new(cp.name.clone(), kind), nulls, fallback)
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

/// The histogram release of a numeric column (a number or a datetime in seconds) over a
/// public grid, and the bounds read from it.
struct NumericRelease<'a> {
    grid: &'a ValueGrid,
    sigma: f64,
    /// Declared bounds, kept as they are.
    declared: (Option<f64>, Option<f64>),
    /// The bounds' unit ([`bounds_from`]).
    unit: Option<f64>,
}

impl NumericRelease<'_> {
    /// Releases the noisy histogram of `fields` (parsed by `parse`; see
    /// [`release_bounds`]) and returns the bounds (declared ones kept), the noisy null count
    /// and whether the public range had to stand in for released bounds.
    fn release(
        &self,
        fields: &[Option<String>],
        parse: impl Fn(&str) -> Option<f64>,
        config: &DiscoveryConfig,
        rng: &mut PrivacyRng,
    ) -> Result<(f64, f64, f64, bool)> {
        let floor = noise_floor(self.grid, self.sigma, config)?;
        let r = release_bounds(fields, parse, self.grid, self.sigma, floor, config, rng)?;
        let (min, max) = self.declared;
        let (lo, hi, fallback) = bounds_from(r.bounds, self.grid, min, max, self.unit);
        Ok((lo, hi, r.noisy_nulls, fallback))
    }
}
