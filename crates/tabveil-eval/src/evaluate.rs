//! [`evaluate`]: the whole evaluation in one call.

use tabveil_data::{Schema, Table};

use crate::config::EvaluationConfig;
use crate::error::{EvalError, Result};
use crate::fidelity::quality;
use crate::frame::{Layout, SdType};
use crate::input::inputs;
use crate::leakage::{LeakageSettings, leakage};
use crate::report::{EvaluationReport, ReportMeta, association_matrices, column_details};
use crate::utility::{MlSettings, ml_utility};

/// Evaluates `synthetic` against the real training table `real` and, when given, the `holdout`
/// table of real rows the synthesizer never saw: SDMetrics-compatible quality scores, TSTR next
/// to TRTR for the target column (needs the holdout), and leakage measures (DCR always;
/// membership and attribute inference need the holdout).
///
/// Columns are matched by name, so the tables' column order does not matter. Deterministic for
/// a given configuration seed.
///
/// ```
/// use tabveil_data::{Column, ColumnSchema, Schema, Table};
/// use tabveil_eval::{EvaluationConfig, evaluate};
///
/// let schema = Schema::new("t", vec![
///     ColumnSchema::continuous("x", None, None),
///     ColumnSchema::categorical("c", ["a", "b"]),
/// ])?;
/// let table = |x: Vec<f64>, c: Vec<u32>| {
///     Table::new(&schema, vec![Column::continuous("x", x), Column::categorical("c", c)])
/// };
/// let real = table(vec![1.0, 2.0, 3.0, 4.0], vec![0, 0, 1, 1])?;
/// let synthetic = table(vec![1.5, 2.0, 3.5, 4.0], vec![0, 1, 1, 1])?;
/// let report = evaluate(&schema, &real, &synthetic, None, &EvaluationConfig::default())?;
/// assert!(report.quality.overall.unwrap() < 1.0);
/// assert!(report.summary().contains("Quality"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`EvalError::EmptyTable`], [`EvalError::MissingColumn`], [`EvalError::UnexpectedColumn`],
/// [`EvalError::KindMismatch`] when a table does not fit the schema;
/// [`EvalError::UnknownColumn`], [`EvalError::UnsupportedColumnKind`],
/// [`EvalError::NotBinaryTarget`], [`EvalError::UnknownPositiveClass`],
/// [`EvalError::InvalidConfig`] for a bad configuration.
pub fn evaluate(
    schema: &Schema,
    real: &Table,
    synthetic: &Table,
    holdout: Option<&Table>,
    config: &EvaluationConfig,
) -> Result<EvaluationReport> {
    config.check()?;
    let inputs = inputs(schema, real, synthetic, holdout)?;
    let layout = &inputs.layout;
    let target = resolve_target(schema, layout, config)?;
    let sensitive = match config.sensitive() {
        Some(name) => {
            let j = layout
                .index_of(name)
                .ok_or_else(|| EvalError::UnknownColumn {
                    role: "sensitive",
                    column: name.to_owned(),
                })?;
            if layout.columns[j].kind == SdType::Id {
                return Err(EvalError::UnsupportedColumnKind {
                    role: "sensitive",
                    column: name.to_owned(),
                    required: "a continuous, datetime, categorical or boolean column",
                });
            }
            Some(j)
        }
        None => None,
    };
    let mut notes = Vec::new();

    let q = quality(
        layout,
        &inputs.real,
        &inputs.synthetic,
        config.quality_thresholds(),
    );
    let columns = column_details(layout, &inputs.real, &inputs.synthetic, &q.column_shapes);
    let associations = association_matrices(layout, &inputs.real, &inputs.synthetic);

    let ml = match (&inputs.holdout, target) {
        (Some(h), Some((t, positive))) => ml_utility(
            layout,
            &inputs.real,
            &inputs.synthetic,
            h,
            MlSettings {
                target: t,
                positive,
                threads: config.threads(),
            },
        )?,
        (None, Some(_)) => {
            notes.push("ML utility skipped: it needs a holdout table to test on".to_owned());
            None
        }
        (_, None) => {
            notes.push(
                "ML utility skipped: no target column (declare one in the schema or the \
                 configuration)"
                    .to_owned(),
            );
            None
        }
    };
    let privacy = leakage(
        layout,
        &inputs.real,
        &inputs.synthetic,
        inputs.holdout.as_ref(),
        LeakageSettings {
            seed: config.seed(),
            threads: config.threads(),
            sensitive,
        },
    );
    if inputs.real.n_rows > 50_000 || inputs.synthetic.n_rows > 50_000 {
        notes.push(
            "SDMetrics subsamples 50 000 rows at random for contingency pairs of larger tables; \
             these scores use every row"
                .to_owned(),
        );
    }
    Ok(EvaluationReport {
        quality: q.scores,
        ml,
        privacy,
        columns,
        column_pairs: q.column_pair_trends,
        associations,
        meta: ReportMeta {
            real_rows: inputs.real.n_rows,
            synthetic_rows: inputs.synthetic.n_rows,
            holdout_rows: inputs.holdout.as_ref().map(|h| h.n_rows),
            seed: config.seed(),
            sdmetrics_compatible: "0.32.0".to_owned(),
            tabveil_eval_version: env!("CARGO_PKG_VERSION").to_owned(),
            notes,
            confidentiality: crate::report::CONFIDENTIALITY.to_owned(),
        },
    })
}

/// The target column and the code of its positive class, if a target is configured.
fn resolve_target(
    schema: &Schema,
    layout: &Layout,
    config: &EvaluationConfig,
) -> Result<Option<(usize, u32)>> {
    let (name, positive) = match (config.target(), schema.target()) {
        (Some(t), declared) => {
            let positive = config.positive_class().map(str::to_owned).or_else(|| {
                (declared == Some(t))
                    .then(|| schema.positive_class().map(str::to_owned))
                    .flatten()
            });
            (t.to_owned(), positive)
        }
        (None, Some(t)) => (
            t.to_owned(),
            config
                .positive_class()
                .or(schema.positive_class())
                .map(str::to_owned),
        ),
        (None, None) => return Ok(None),
    };
    let j = layout
        .index_of(&name)
        .ok_or_else(|| EvalError::UnknownColumn {
            role: "target",
            column: name.clone(),
        })?;
    let spec = &layout.columns[j];
    if !spec.kind.is_discrete() {
        return Err(EvalError::UnsupportedColumnKind {
            role: "target",
            column: name,
            required: "a categorical or boolean column with two categories",
        });
    }
    if spec.categories.len() != 2 {
        return Err(EvalError::NotBinaryTarget {
            column: name,
            classes: spec.categories.len(),
        });
    }
    let code = match positive {
        Some(class) => spec.categories.iter().position(|c| *c == class).ok_or(
            EvalError::UnknownPositiveClass {
                column: name,
                class,
            },
        )? as u32,
        None => 1,
    };
    Ok(Some((j, code)))
}
