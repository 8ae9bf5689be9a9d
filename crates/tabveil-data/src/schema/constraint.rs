//! [`Constraint`]: a public rule that every synthetic row must follow (a fixed list of joint
//! values, an inequality between two columns, a range that holds under a condition).
//!
//! Constraints are public knowledge, like the schema's bounds and categories: they cost no ε,
//! they are checked against the schema only (never against the data: a check on the private
//! rows would leak through its outcome), and the samplers honour them on the synthetic rows
//! only (post-processing of the released model). Rows of the training data that break a
//! constraint are not looked for, not dropped and not reported.
//!
//! ```
//! use tabveil_data::{Cell, ColumnSchema, Constraint, Schema};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::categorical("level", ["low", "high"]),
//!     ColumnSchema::integer("code", Some(0.0), Some(9.0)),
//!     ColumnSchema::integer("start", Some(0.0), Some(100.0)),
//!     ColumnSchema::integer("end", Some(0.0), Some(100.0)),
//! ])?
//! .with_constraints(vec![
//!     Constraint::fixed_combinations(
//!         ["level", "code"],
//!         vec![
//!             vec![Cell::label("low"), Cell::Number(1.0)],
//!             vec![Cell::label("high"), Cell::Number(2.0)],
//!         ],
//!     )
//!     .named("level code"),
//!     Constraint::inequality("start", "end", false),
//! ])?;
//! assert_eq!(schema.constraints().len(), 2);
//! assert_eq!(schema.constraints()[0].label(), "level code");
//! assert_eq!(schema.constraints()[1].label(), "start <= end");
//! // A code outside the column's public bounds is refused without looking at any data.
//! let bad = schema.clone().with_constraints(vec![Constraint::fixed_combinations(
//!     ["level", "code"],
//!     vec![vec![Cell::label("low"), Cell::Number(10.0)]],
//! )]);
//! assert!(bad.is_err());
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

use super::{ColumnKind, ColumnSchema, Schema};
use crate::error::format::num;
use crate::error::{DataError, Result, SchemaError};

/// A public rule that every synthetic row must follow (JSON: one item of the schema's
/// `constraints` list; see the schema guide in `docs/schema.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    name: Option<String>,
    rule: ConstraintRule,
}

/// What a [`Constraint`] requires of a row.
///
/// A null in a row: an inequality holds when either side is null; a conditional range holds
/// when the range column is null or the condition column is null (null is not one of the
/// listed values); a fixed combination matches a null only where a declared combination
/// holds `null` for that column.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConstraintRule {
    /// The joint values of `columns` are one of `combinations` (JSON kind
    /// `"fixed_combinations"`). E.g. adult's `education` and `education_num`: each education
    /// level has one code.
    FixedCombinations {
        /// The columns (at least one, no repeats; not `id`).
        columns: Vec<String>,
        /// The allowed joint values, one [`Cell`] per column, in the order of `columns`.
        combinations: Vec<Vec<Cell>>,
    },
    /// `low < high` (`strict`) or `low <= high` (JSON kind `"inequality"`, with `"op"`), two
    /// continuous or two datetime columns.
    Inequality {
        /// The column that is smaller.
        low: String,
        /// The column that is larger.
        high: String,
        /// `<` when true, `<=` when false.
        strict: bool,
    },
    /// `column` lies in `[min, max]` whenever `when_column` takes one of `when_values` (JSON
    /// kind `"conditional_range"`). `column` is continuous or datetime (bounds in seconds for
    /// datetimes; written in the column's format in JSON), `when_column` categorical or
    /// boolean.
    ConditionalRange {
        /// The continuous or datetime column that is bounded.
        column: String,
        /// The lower bound, if any.
        min: Option<f64>,
        /// The upper bound, if any.
        max: Option<f64>,
        /// The categorical or boolean column of the condition.
        when_column: String,
        /// The categories of `when_column` under which the range holds.
        when_values: Vec<String>,
    },
}

/// One value of a fixed combination: a category label (categorical and boolean columns), a
/// number (continuous columns; seconds since 1970 for datetimes), or null.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A missing value (only for a nullable column).
    Null,
    /// A category label.
    Label(String),
    /// A number (datetimes: seconds since 1970-01-01T00:00:00 UTC).
    Number(f64),
}

impl Cell {
    /// A category label.
    pub fn label(label: impl Into<String>) -> Self {
        Cell::Label(label.into())
    }
}

impl Constraint {
    /// The joint values of `columns` must be one of `combinations`.
    pub fn fixed_combinations<S: Into<String>>(
        columns: impl IntoIterator<Item = S>,
        combinations: Vec<Vec<Cell>>,
    ) -> Self {
        Constraint {
            name: None,
            rule: ConstraintRule::FixedCombinations {
                columns: columns.into_iter().map(Into::into).collect(),
                combinations,
            },
        }
    }

    /// `low < high` when `strict`, else `low <= high`.
    pub fn inequality(low: impl Into<String>, high: impl Into<String>, strict: bool) -> Self {
        Constraint {
            name: None,
            rule: ConstraintRule::Inequality {
                low: low.into(),
                high: high.into(),
                strict,
            },
        }
    }

    /// `column` in `[min, max]` whenever `when_column` is one of `when_values`.
    pub fn conditional_range<S: Into<String>>(
        column: impl Into<String>,
        min: Option<f64>,
        max: Option<f64>,
        when_column: impl Into<String>,
        when_values: impl IntoIterator<Item = S>,
    ) -> Self {
        Constraint {
            name: None,
            rule: ConstraintRule::ConditionalRange {
                column: column.into(),
                min,
                max,
                when_column: when_column.into(),
                when_values: when_values.into_iter().map(Into::into).collect(),
            },
        }
    }

    /// A constraint from its rule (without a name).
    pub fn from_rule(rule: ConstraintRule) -> Self {
        Constraint { name: None, rule }
    }

    /// The same constraint with a name (used in errors instead of the generated label).
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The name given with [`Constraint::named`] (JSON `"name"`), if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// What the constraint requires.
    pub fn rule(&self) -> &ConstraintRule {
        &self.rule
    }

    /// The name, or a short description generated from the rule (`start <= end`,
    /// `fixed combinations of (education, education_num)`, …): how errors name the
    /// constraint.
    pub fn label(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match &self.rule {
            ConstraintRule::FixedCombinations { columns, .. } => {
                format!("fixed combinations of ({})", columns.join(", "))
            }
            ConstraintRule::Inequality { low, high, strict } => {
                format!("{low} {} {high}", if *strict { "<" } else { "<=" })
            }
            ConstraintRule::ConditionalRange {
                column,
                min,
                max,
                when_column,
                when_values,
            } => format!(
                "{column} in {} when {when_column} in {{{}}}",
                crate::error::format::bounds(*min, *max),
                when_values.join(", ")
            ),
        }
    }

    /// The columns the constraint reads, in order.
    pub fn columns(&self) -> Vec<&str> {
        match &self.rule {
            ConstraintRule::FixedCombinations { columns, .. } => {
                columns.iter().map(String::as_str).collect()
            }
            ConstraintRule::Inequality { low, high, .. } => vec![low, high],
            ConstraintRule::ConditionalRange {
                column,
                when_column,
                ..
            } => vec![column, when_column],
        }
    }

    /// The kind's name as written in JSON.
    pub fn kind_str(&self) -> &'static str {
        match &self.rule {
            ConstraintRule::FixedCombinations { .. } => "fixed_combinations",
            ConstraintRule::Inequality { .. } => "inequality",
            ConstraintRule::ConditionalRange { .. } => "conditional_range",
        }
    }
}

/// Checks every constraint against the columns of `schema` (no data is read): columns exist
/// and have the right kinds, declared values lie in the columns' public domains, and each
/// constraint — alone or with another one, where that is cheap to see — can be met.
pub(super) fn validate(schema: &Schema) -> Result<()> {
    let constraints = schema.constraints();
    for c in constraints {
        validate_one(schema, c)?;
    }
    for (i, c) in constraints.iter().enumerate() {
        for other in &constraints[..i] {
            contradiction(other, c)?;
        }
        if let ConstraintRule::FixedCombinations {
            columns,
            combinations,
        } = &c.rule
        {
            // A combination that breaks another constraint over the same columns can never
            // appear: if every one does, the constraint cannot be met.
            for other in constraints.iter().filter(|o| !std::ptr::eq(*o, c)) {
                let alive = combinations
                    .iter()
                    .any(|combo| !tuple_breaks(columns, combo, other));
                if !alive {
                    return Err(impossible(
                        c,
                        format!(
                            "every declared combination breaks the constraint `{}`",
                            other.label()
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn validate_one(schema: &Schema, c: &Constraint) -> Result<()> {
    if let Some(name) = &c.name
        && name.trim().is_empty()
    {
        return Err(invalid(c, "the name is empty"));
    }
    match &c.rule {
        ConstraintRule::FixedCombinations {
            columns,
            combinations,
        } => {
            if columns.is_empty() {
                return Err(invalid(c, "no column is listed"));
            }
            let mut schemas = Vec::with_capacity(columns.len());
            for (i, name) in columns.iter().enumerate() {
                if columns[..i].contains(name) {
                    return Err(invalid(c, &format!("the column `{name}` is listed twice")));
                }
                let col = column(schema, c, name)?;
                if matches!(col.kind(), ColumnKind::Id) {
                    return Err(kind_mismatch(c, name, "a modelled (not id) column"));
                }
                schemas.push(col);
            }
            if combinations.is_empty() {
                return Err(impossible(c, "no combination is declared".into()));
            }
            for combo in combinations {
                if combo.len() != columns.len() {
                    return Err(invalid(
                        c,
                        &format!(
                            "a combination has {} values for {} columns",
                            combo.len(),
                            columns.len()
                        ),
                    ));
                }
                for (cell, col) in combo.iter().zip(&schemas) {
                    check_cell(c, col, cell)?;
                }
            }
        }
        ConstraintRule::Inequality { low, high, strict } => {
            let a = column(schema, c, low)?;
            let b = column(schema, c, high)?;
            for col in [a, b] {
                if !col.kind().is_numeric() {
                    return Err(kind_mismatch(
                        c,
                        col.name(),
                        "a continuous or datetime column",
                    ));
                }
            }
            if std::mem::discriminant(a.kind()) != std::mem::discriminant(b.kind()) {
                return Err(kind_mismatch(
                    c,
                    high,
                    if matches!(a.kind(), ColumnKind::Datetime { .. }) {
                        "a datetime column (as the other side)"
                    } else {
                        "a continuous column (as the other side)"
                    },
                ));
            }
            if low == high {
                return Err(if *strict {
                    impossible(c, "a column is never smaller than itself".into())
                } else {
                    invalid(c, "compares a column with itself")
                });
            }
            if let (Some(lo), Some(hi)) = (a.bounds().0, b.bounds().1)
                && (lo > hi || (*strict && lo >= hi))
            {
                return Err(impossible(
                    c,
                    format!(
                        "the public minimum of `{low}` ({}) is not below the public maximum of `{high}` ({})",
                        num(lo),
                        num(hi)
                    ),
                ));
            }
        }
        ConstraintRule::ConditionalRange {
            column: name,
            min,
            max,
            when_column,
            when_values,
        } => {
            let col = column(schema, c, name)?;
            if !col.kind().is_numeric() {
                return Err(kind_mismatch(c, name, "a continuous or datetime column"));
            }
            let cond = column(schema, c, when_column)?;
            if !cond.kind().is_discrete() {
                return Err(kind_mismatch(
                    c,
                    when_column,
                    "a categorical or boolean column",
                ));
            }
            if min.is_none() && max.is_none() {
                return Err(invalid(c, "neither `min` nor `max` is given"));
            }
            if when_values.is_empty() {
                return Err(invalid(c, "no value of the condition column is listed"));
            }
            for v in when_values {
                check_cell(c, cond, &Cell::Label(v.clone()))?;
            }
            for v in [min, max].into_iter().flatten() {
                if !v.is_finite() {
                    return Err(invalid(c, "a bound is not a finite number"));
                }
            }
            let (lo, hi) = (*min, *max);
            if let (Some(lo), Some(hi)) = (lo, hi)
                && lo > hi
            {
                return Err(impossible(
                    c,
                    format!("its range is empty (min {} > max {})", num(lo), num(hi)),
                ));
            }
            let (cmin, cmax) = col.bounds();
            let lo_all = max_opt(lo, cmin);
            let hi_all = min_opt(hi, cmax);
            if let (Some(a), Some(b)) = (lo_all, hi_all) {
                let empty = if col.is_integer() {
                    a.ceil() > b.floor()
                } else {
                    a > b
                };
                if empty {
                    return Err(impossible(
                        c,
                        format!(
                            "its range {} holds no value of the column's public bounds {}",
                            crate::error::format::bounds(lo, hi),
                            crate::error::format::bounds(cmin, cmax)
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Cheap contradictions between two constraints: opposite inequalities, and two conditional
/// ranges on one column under a shared condition value whose ranges do not meet.
fn contradiction(first: &Constraint, second: &Constraint) -> Result<()> {
    match (&first.rule, &second.rule) {
        (
            ConstraintRule::Inequality {
                low: a1,
                high: b1,
                strict: s1,
            },
            ConstraintRule::Inequality {
                low: a2,
                high: b2,
                strict: s2,
            },
        ) if a1 == b2 && b1 == a2 && (*s1 || *s2) => Err(impossible(
            second,
            format!("it contradicts the constraint `{}`", first.label()),
        )),
        (
            ConstraintRule::ConditionalRange {
                column: c1,
                min: lo1,
                max: hi1,
                when_column: w1,
                when_values: v1,
            },
            ConstraintRule::ConditionalRange {
                column: c2,
                min: lo2,
                max: hi2,
                when_column: w2,
                when_values: v2,
            },
        ) if c1 == c2 && w1 == w2 && v1.iter().any(|v| v2.contains(v)) => {
            if let (Some(lo), Some(hi)) = (max_opt(*lo1, *lo2), min_opt(*hi1, *hi2))
                && lo > hi
            {
                return Err(impossible(
                    second,
                    format!(
                        "under a shared condition its range does not meet the range of the constraint `{}`",
                        first.label()
                    ),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// True when the joint values `combo` of `columns` break `other` for certain (`other` reads
/// only columns among `columns`).
fn tuple_breaks(columns: &[String], combo: &[Cell], other: &Constraint) -> bool {
    let value = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| combo.get(i))
    };
    match &other.rule {
        ConstraintRule::FixedCombinations { .. } => false,
        ConstraintRule::Inequality { low, high, strict } => match (value(low), value(high)) {
            (Some(Cell::Number(a)), Some(Cell::Number(b))) => {
                if *strict {
                    a >= b
                } else {
                    a > b
                }
            }
            _ => false,
        },
        ConstraintRule::ConditionalRange {
            column,
            min,
            max,
            when_column,
            when_values,
        } => match (value(column), value(when_column)) {
            (Some(Cell::Number(x)), Some(Cell::Label(w))) if when_values.contains(w) => {
                min.is_some_and(|lo| *x < lo) || max.is_some_and(|hi| *x > hi)
            }
            _ => false,
        },
    }
}

fn check_cell(c: &Constraint, col: &ColumnSchema, cell: &Cell) -> Result<()> {
    let outside = |value: String| {
        DataError::Schema(SchemaError::ConstraintValueOutsideDomain {
            constraint: c.label(),
            column: col.name().to_owned(),
            value,
        })
    };
    match (cell, col.kind()) {
        (Cell::Null, _) => {
            if !col.is_nullable() {
                return Err(outside("null".into()));
            }
        }
        (Cell::Label(label), kind) if kind.is_discrete() => {
            if let Some(cats) = col.categories()
                && !cats.contains(label)
            {
                return Err(outside(label.clone()));
            }
        }
        (Cell::Number(v), kind) if kind.is_numeric() => {
            let (lo, hi) = col.bounds();
            let off = !v.is_finite()
                || lo.is_some_and(|lo| *v < lo)
                || hi.is_some_and(|hi| *v > hi)
                || (col.is_integer() && v.fract() != 0.0);
            if off {
                return Err(outside(num(*v)));
            }
        }
        (_, kind) => {
            return Err(kind_mismatch(
                c,
                col.name(),
                if kind.is_discrete() {
                    "a category label"
                } else {
                    "a number (a date in the column's format for a datetime)"
                },
            ));
        }
    }
    Ok(())
}

fn column<'s>(schema: &'s Schema, c: &Constraint, name: &str) -> Result<&'s ColumnSchema> {
    schema.column(name).ok_or_else(|| {
        DataError::Schema(SchemaError::ConstraintUnknownColumn {
            constraint: c.label(),
            column: name.to_owned(),
        })
    })
}

fn kind_mismatch(c: &Constraint, column: &str, expected: &'static str) -> DataError {
    DataError::Schema(SchemaError::ConstraintKindMismatch {
        constraint: c.label(),
        column: column.to_owned(),
        expected,
    })
}

fn impossible(c: &Constraint, reason: String) -> DataError {
    DataError::Schema(SchemaError::ImpossibleConstraint {
        constraint: c.label(),
        reason,
    })
}

fn invalid(c: &Constraint, message: &str) -> DataError {
    DataError::Schema(SchemaError::InvalidConstraint {
        constraint: c.label(),
        message: message.to_owned(),
    })
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
