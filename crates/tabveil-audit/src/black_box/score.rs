//! Membership scores of canary rows from synthetic rows.
//!
//! The canaries sit where the real data are sparse whatever the data (a random combination of
//! declared categories, continuous values at the declared bounds), so without the canary the
//! synthetic data put little and similar mass near each of them. An included canary adds mass
//! at its own location, and a model that learnt from it puts some there too. Both scores
//! estimate, from a large synthetic sample, how much mass the fitted model puts at the canary
//! — a likelihood, as in likelihood-ratio membership attacks, whose reference (the mass
//! without the canary) is the same for every canary by construction:
//!
//! - the **marginals** term Σ over categorical columns of ln((n_c + ½)/(n + K/2)), the
//!   smoothed log-frequency of the canary's category (n_c synthetic rows share it, K
//!   categories): what a model fitted to released per-column counts reproduces (and what
//!   leaks when those counts are released without noise);
//! - the **joint density** term ln((1/n) Σₛ exp(−d(canary, s)/τ)), a kernel density estimate
//!   with the Gower distance d (categorical cells 0/1, continuous cells |x − y| over the
//!   declared range, averaged over columns): what a model that memorises rows reproduces. As
//!   τ → 0 it ranks like the distance to the closest synthetic record.

use serde::{Deserialize, Serialize};
use tabveil_data::{ColumnData, ColumnKind, Schema, Table, Value};

use crate::error::{AuditError, Result};

/// How the black-box audit scores a canary row from the synthetic rows.
///
/// The canaries sit where the real data are sparse whatever the data, so without a canary the
/// synthetic rows put little and similar mass near each; an included canary adds mass at its
/// location, and a model that learnt from it puts some there too. Both terms estimate that
/// mass from a large synthetic sample — a likelihood, whose reference (the mass without the
/// canary) is the same for every canary by construction:
/// - marginals: Σ over categorical columns of ln((n_c + ½)/(n + K/2)), the smoothed
///   log-frequency of the canary's category (what a model fitted to released per-column counts
///   reproduces, and what leaks when they are released without noise);
/// - joint density: ln((1/n) Σₛ exp(−d(canary, s)/τ)), a kernel density with the Gower distance
///   over the categorical columns (over every column when there are fewer than two): what a
///   model that memorises rows reproduces; as τ → 0 it ranks like the distance to the closest
///   synthetic record.
///
/// # Defaults
/// [`BlackBoxScore::Both`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlackBoxScore {
    /// The marginals term.
    Marginals,
    /// The joint density term.
    JointDensity,
    /// Their sum.
    #[default]
    Both,
}

impl BlackBoxScore {
    /// A one-line description for reports.
    pub fn describe(self, bandwidth: f64) -> String {
        match self {
            BlackBoxScore::Marginals => {
                "smoothed log-frequency of each canary's categories in the synthetic rows".into()
            }
            BlackBoxScore::JointDensity => format!(
                "log kernel density of the synthetic rows at each canary (Gower distance, τ = {bandwidth})"
            ),
            BlackBoxScore::Both => format!(
                "log-frequency of each canary's categories + log kernel density of the synthetic rows at the canary (Gower distance, τ = {bandwidth})"
            ),
        }
    }
}

/// One column of rows in a common form: a declared category index or a number, None = null.
enum Cells {
    Category {
        values: Vec<Option<usize>>,
        k: usize,
    },
    Number {
        values: Vec<Option<f64>>,
        range: f64,
    },
}

/// The modelled columns of `table`, aligned on `schema`.
fn cells(table: &Table, schema: &Schema) -> Result<Vec<Cells>> {
    let mut out = Vec::new();
    for spec in schema.columns() {
        let missing = || AuditError::MissingPublicDomain {
            column: spec.name().to_owned(),
        };
        let column = table.column(spec.name()).ok_or_else(missing)?;
        let n = table.n_rows();
        match (spec.kind(), column.data()) {
            (ColumnKind::Id, _) => {}
            (
                ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. },
                ColumnData::Continuous(v),
            ) => {
                let (a, b) = min.zip(*max).ok_or_else(missing)?;
                let values = (0..n).map(|i| (!column.is_null(i)).then(|| v[i])).collect();
                out.push(Cells::Number {
                    values,
                    range: (b - a).max(f64::MIN_POSITIVE),
                });
            }
            (_, ColumnData::Categorical(codes)) => {
                let declared = spec.categories().ok_or_else(missing)?;
                let domain = column.domain().unwrap_or(&[]);
                let map: Vec<Option<usize>> = domain
                    .iter()
                    .map(|d| declared.iter().position(|c| c == d))
                    .collect();
                let values = (0..n)
                    .map(|i| {
                        if column.is_null(i) {
                            None
                        } else {
                            map.get(codes[i] as usize).copied().flatten()
                        }
                    })
                    .collect();
                out.push(Cells::Category {
                    values,
                    k: declared.len() + 1,
                });
            }
            _ => return Err(missing()),
        }
    }
    Ok(out)
}

/// The scores of the `canaries` (rows of `schema`) against `synthetic`: higher = more likely
/// included.
///
/// # Errors
/// The data crate's errors for canaries that do not fit the schema; an empty synthetic table.
pub(crate) fn score_canaries(
    canaries: &[Vec<Value>],
    synthetic: &Table,
    schema: &Schema,
    score: BlackBoxScore,
    bandwidth: f64,
) -> Result<Vec<f64>> {
    let n = synthetic.n_rows();
    if n == 0 {
        return Err(AuditError::InvalidParameter {
            parameter: "synthetic rows",
            value: 0.0,
            expected: "at least one",
        });
    }
    let canary_table = Table::from_rows(schema, canaries)?;
    let syn = cells(synthetic, schema)?;
    let can = cells(&canary_table, schema)?;
    let n_cols = syn.len().max(1) as f64;
    let mut scores = vec![0.0; canaries.len()];
    if matches!(score, BlackBoxScore::Marginals | BlackBoxScore::Both) {
        for (s, c) in syn.iter().zip(&can) {
            if let (Cells::Category { values: sv, k }, Cells::Category { values: cv, .. }) = (s, c)
            {
                let mut counts = vec![0.0f64; *k];
                for v in sv {
                    counts[v.unwrap_or(k - 1)] += 1.0;
                }
                let denom = n as f64 + 0.5 * *k as f64;
                for (score, v) in scores.iter_mut().zip(cv) {
                    *score += ((counts[v.unwrap_or(k - 1)] + 0.5) / denom).ln();
                }
            }
        }
    }
    if matches!(score, BlackBoxScore::JointDensity | BlackBoxScore::Both) {
        // The canaries' numbers are the declared bounds, shared by half the canaries each:
        // they tell canaries apart only jointly with the categories, and add the same offset
        // to every canary of one pattern. With two or more categorical columns the density is
        // taken over the categories alone.
        let n_categorical = syn
            .iter()
            .filter(|c| matches!(c, Cells::Category { .. }))
            .count();
        let with_numbers = n_categorical < 2;
        let n_cols = if with_numbers {
            n_cols
        } else {
            n_categorical as f64
        };
        let inv_tau = 1.0 / (bandwidth * n_cols);
        for (j, score) in scores.iter_mut().enumerate() {
            // ln (1/n) Σₛ exp(−d/τ), d = (Σ_col δ_col)/n_cols, by log-sum-exp.
            let mut dist = vec![0.0f64; n];
            for (s, c) in syn.iter().zip(&can) {
                match (s, c) {
                    (Cells::Category { values: sv, .. }, Cells::Category { values: cv, .. }) => {
                        let x = cv[j];
                        for (d, y) in dist.iter_mut().zip(sv) {
                            *d += f64::from(u8::from(*y != x));
                        }
                    }
                    (Cells::Number { values: sv, range }, Cells::Number { values: cv, .. })
                        if with_numbers =>
                    {
                        let x = cv[j];
                        for (d, y) in dist.iter_mut().zip(sv) {
                            *d += match (x, *y) {
                                (Some(a), Some(b)) => ((a - b).abs() / range).min(1.0),
                                (None, None) => 0.0,
                                _ => 1.0,
                            };
                        }
                    }
                    (Cells::Number { .. }, Cells::Number { .. }) => {}
                    _ => return Err(AuditError::Internal("columns out of step")),
                }
            }
            let min = dist.iter().copied().fold(f64::INFINITY, f64::min);
            let sum: f64 = dist.iter().map(|d| (-(d - min) * inv_tau).exp()).sum();
            *score += -min * inv_tau + (sum / n as f64).ln();
        }
    }
    Ok(scores)
}
