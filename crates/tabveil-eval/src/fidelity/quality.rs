//! SDMetrics 0.32's single-table QualityReport: Column Shapes, Column Pair Trends and their mean.
//!
//! - **Column Shapes**: `KSComplement` for continuous and datetime columns, `TVComplement` for
//!   categorical and boolean ones; identifier columns are skipped. The property score is the mean
//!   of the column scores that could be computed.
//! - **Column Pair Trends**: for every pair of non-identifier columns (schema order),
//!   `CorrelationSimilarity` (Pearson) when both are continuous, else `ContingencySimilarity`,
//!   with each continuous column of a mixed pair binned by [`discretize`] on its own table (the
//!   real and synthetic tables each get their own bin edges, as in SDMetrics). As in the
//!   QualityReport, a pair counts only if its real correlation |r| exceeds 0.5 (continuous pairs)
//!   or its real Cramér's V exceeds 0.3 (the others); the property score is the mean of the pairs
//!   that count.
//! - **Overall**: the mean of the two property scores that exist.
//!
//! Missing values, as SDMetrics treats them: dropped by KS and TV; rows with either value missing
//! dropped by Pearson; a category of their own in contingency tables (and, for a binned
//! continuous column, merged into the top bin, which is what numpy's `digitize` does with NaN).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::contingency::{contingency_similarity, discretize};
use super::correlation::correlation_similarity;
use super::ks::ks_complement;
use super::tv::tv_complement;
use crate::frame::{Frame, Layout, SdType};

/// The three headline numbers of SDMetrics' QualityReport, each in [0, 1] (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityScores {
    /// Mean of the two property scores (`None` when neither exists).
    pub overall: Option<f64>,
    /// Mean of the per-column shape scores.
    pub column_shapes: Option<f64>,
    /// Mean of the pair-trend scores of the pairs that meet the real-data threshold (`None`
    /// when no pair does).
    pub column_pair_trends: Option<f64>,
}

/// Which SDMetrics metric scored a column's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShapeMetric {
    /// One minus the Kolmogorov–Smirnov statistic.
    KSComplement,
    /// One minus the total variation distance.
    TVComplement,
}

/// Which SDMetrics metric scored a column pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PairMetric {
    /// Similarity of Pearson correlations.
    CorrelationSimilarity,
    /// Similarity of the normalised contingency tables.
    ContingencySimilarity,
}

/// The shape score of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnShape {
    /// Column name.
    pub column: String,
    /// Metric used.
    pub metric: ShapeMetric,
    /// Score in [0, 1], `None` when incomputable (no value left after dropping missing ones).
    pub score: Option<f64>,
}

/// The trend score of one column pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairTrend {
    /// First column (schema order).
    pub column_1: String,
    /// Second column.
    pub column_2: String,
    /// Metric used.
    pub metric: PairMetric,
    /// Score in [0, 1], `None` when incomputable or below the real-data threshold.
    pub score: Option<f64>,
    /// Pearson's r of the real pair (continuous pairs).
    pub real_correlation: Option<f64>,
    /// Pearson's r of the synthetic pair (continuous pairs meeting the threshold).
    pub synthetic_correlation: Option<f64>,
    /// Cramér's V of the real pair (other pairs).
    pub real_association: Option<f64>,
    /// Whether the pair counts towards the property score.
    pub meets_threshold: bool,
}

/// The thresholds of the QualityReport. SDMetrics 0.32's QualityReport uses 0.5 and 0.3.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityThresholds {
    /// A continuous pair counts only when |r_real| exceeds this.
    pub real_correlation: f64,
    /// Any other pair counts only when the real Cramér's V exceeds this.
    pub real_association: f64,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        Self {
            real_correlation: 0.5,
            real_association: 0.3,
        }
    }
}

/// SDMetrics' QualityReport of a synthetic table: the three scores and their details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Overall, Column Shapes and Column Pair Trends.
    pub scores: QualityScores,
    /// One entry per non-identifier column, in schema order.
    pub column_shapes: Vec<ColumnShape>,
    /// One entry per pair of non-identifier columns, in schema order.
    pub column_pair_trends: Vec<PairTrend>,
}

/// SDMetrics 0.32's single-table QualityReport of `synthetic` against `real`, with the
/// QualityReport's default thresholds. See the [module docs](crate::fidelity) for the definitions.
///
/// ```
/// use tabveil_data::{Column, ColumnSchema, Schema, Table};
/// use tabveil_eval::fidelity::quality_report;
///
/// let schema = Schema::new("t", vec![
///     ColumnSchema::continuous("x", None, None),
///     ColumnSchema::categorical("c", ["a", "b"]),
/// ])?;
/// let real = Table::new(&schema, vec![
///     Column::continuous("x", vec![1.0, 2.0, 3.0, 4.0]),
///     Column::categorical("c", vec![0, 0, 1, 1]),
/// ])?;
/// let report = quality_report(&schema, &real, &real)?;
/// assert_eq!(report.scores.overall, Some(1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`EvalError`](crate::EvalError) when a table does not match the schema or is empty.
pub fn quality_report(
    schema: &tabveil_data::Schema,
    real: &tabveil_data::Table,
    synthetic: &tabveil_data::Table,
) -> crate::Result<QualityReport> {
    quality_report_with(schema, real, synthetic, QualityThresholds::default())
}

/// [`quality_report`] with other thresholds (SDMetrics' metrics alone use 0 and 0).
///
/// # Errors
/// As [`quality_report`].
pub fn quality_report_with(
    schema: &tabveil_data::Schema,
    real: &tabveil_data::Table,
    synthetic: &tabveil_data::Table,
    thresholds: QualityThresholds,
) -> crate::Result<QualityReport> {
    let inputs = crate::input::inputs(schema, real, synthetic, None)?;
    Ok(quality(
        &inputs.layout,
        &inputs.real,
        &inputs.synthetic,
        thresholds,
    ))
}

/// Computes the QualityReport of `synthetic` against `real`.
pub(crate) fn quality(
    layout: &Layout,
    real: &Frame,
    synthetic: &Frame,
    thresholds: QualityThresholds,
) -> QualityReport {
    let shapes = column_shapes(layout, real, synthetic);
    let pairs = column_pair_trends(layout, real, synthetic, thresholds);
    let column_shapes = mean(shapes.iter().filter_map(|s| s.score));
    let column_pair_trends = mean(
        pairs
            .iter()
            .filter(|p| p.meets_threshold)
            .filter_map(|p| p.score),
    );
    let overall = mean([column_shapes, column_pair_trends].into_iter().flatten());
    QualityReport {
        scores: QualityScores {
            overall,
            column_shapes,
            column_pair_trends,
        },
        column_shapes: shapes,
        column_pair_trends: pairs,
    }
}

fn column_shapes(layout: &Layout, real: &Frame, synthetic: &Frame) -> Vec<ColumnShape> {
    let mut shapes = Vec::new();
    for (j, spec) in layout.columns.iter().enumerate() {
        let (metric, score) = if spec.kind.is_continuous() {
            (
                ShapeMetric::KSComplement,
                ks_complement(real.continuous(j), synthetic.continuous(j)),
            )
        } else if spec.kind.is_discrete() {
            (
                ShapeMetric::TVComplement,
                tv_complement(real.categorical(j), synthetic.categorical(j)),
            )
        } else {
            continue;
        };
        shapes.push(ColumnShape {
            column: spec.name.clone(),
            metric,
            score,
        });
    }
    shapes
}

fn column_pair_trends(
    layout: &Layout,
    real: &Frame,
    synthetic: &Frame,
    thresholds: QualityThresholds,
) -> Vec<PairTrend> {
    let real_discrete = discrete_columns(layout, real);
    let synthetic_discrete = discrete_columns(layout, synthetic);
    let mut pairs = Vec::new();
    let n = layout.columns.len();
    for a in 0..n {
        let kind_a = layout.columns[a].kind;
        if kind_a == SdType::Id {
            continue;
        }
        for b in a + 1..n {
            let kind_b = layout.columns[b].kind;
            if kind_b == SdType::Id {
                continue;
            }
            let mut trend = PairTrend {
                column_1: layout.columns[a].name.clone(),
                column_2: layout.columns[b].name.clone(),
                metric: PairMetric::ContingencySimilarity,
                score: None,
                real_correlation: None,
                synthetic_correlation: None,
                real_association: None,
                meets_threshold: false,
            };
            if kind_a.is_continuous() && kind_b.is_continuous() {
                trend.metric = PairMetric::CorrelationSimilarity;
                let pair = correlation_similarity(
                    (real.continuous(a), real.continuous(b)),
                    (synthetic.continuous(a), synthetic.continuous(b)),
                    thresholds.real_correlation,
                );
                trend.score = pair.score;
                trend.real_correlation = pair.real;
                trend.synthetic_correlation = pair.synthetic;
                trend.meets_threshold = if thresholds.real_correlation > 0.0 {
                    pair.real
                        .is_some_and(|r| r.abs() > thresholds.real_correlation)
                } else {
                    true
                };
            } else {
                let views = (
                    real_discrete[a].as_deref(),
                    real_discrete[b].as_deref(),
                    synthetic_discrete[a].as_deref(),
                    synthetic_discrete[b].as_deref(),
                );
                if let (Some(ra), Some(rb), Some(sa), Some(sb)) = views {
                    let pair =
                        contingency_similarity((ra, rb), (sa, sb), thresholds.real_association);
                    trend.score = pair.score;
                    trend.real_association = pair.real_association;
                    trend.meets_threshold = if thresholds.real_association > 0.0 {
                        pair.real_association
                            .is_some_and(|v| v > thresholds.real_association)
                    } else {
                        true
                    };
                }
            }
            pairs.push(trend);
        }
    }
    pairs
}

/// Each column as a discrete column: categorical codes as they are, continuous columns binned
/// by [`discretize`] on this frame (`None` when binning fails), identifiers `None`.
fn discrete_columns<'f>(layout: &Layout, frame: &'f Frame) -> Vec<Option<Cow<'f, [Option<u32>]>>> {
    layout
        .columns
        .iter()
        .enumerate()
        .map(|(j, spec)| {
            if spec.kind.is_continuous() {
                discretize(frame.continuous(j)).map(Cow::Owned)
            } else if spec.kind.is_discrete() {
                Some(Cow::Borrowed(frame.categorical(j)))
            } else {
                None
            }
        })
        .collect()
}

/// Mean of the values, `None` for none (pandas' `mean` skipping NaN).
pub(crate) fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}
