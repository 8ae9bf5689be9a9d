//! The JSON form of the schema's `constraints` list.
//!
//! ```json
//! "constraints": [
//!   {"name": "education code", "kind": "fixed_combinations",
//!    "columns": ["education", "education_num"],
//!    "combinations": [["Preschool", 1], ["1st-4th", 2]]},
//!   {"kind": "inequality", "low": "start", "op": "<=", "high": "end"},
//!   {"kind": "conditional_range", "column": "age", "min": 18,
//!    "when": {"column": "employed", "values": ["yes"]}}
//! ]
//! ```
//!
//! Values follow the column they belong to: category labels (strings; numbers and booleans
//! are read as their JSON text, as in `categories`), numbers for continuous columns, date
//! strings in the column's `format` for datetimes, `null` for a missing value.

use serde_json::{Map, Value};

use super::constraint::{Cell, Constraint, ConstraintRule};
use super::{ColumnKind, Schema};
use crate::datetime;
use crate::error::{DataError, Result, SchemaError};

const FIELDS: [&str; 9] = [
    "name",
    "kind",
    "columns",
    "combinations",
    "low",
    "op",
    "high",
    "column",
    "when",
];

/// The constraints of a schema's JSON `constraints` value, read against its columns (which
/// give datetime formats and the types of values).
pub(super) fn constraints_from_value(schema: &Schema, value: Value) -> Result<Vec<Constraint>> {
    let Value::Array(items) = value else {
        return Err(invalid("constraints", "`constraints` must be an array"));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| constraint_from_value(schema, i, item))
        .collect()
}

/// The JSON `constraints` value of `schema` (datetimes written in their column's format).
pub(super) fn constraints_to_value(schema: &Schema) -> Value {
    Value::Array(
        schema
            .constraints()
            .iter()
            .map(|c| constraint_to_value(schema, c))
            .collect(),
    )
}

fn constraint_from_value(schema: &Schema, index: usize, value: Value) -> Result<Constraint> {
    let Value::Object(mut m) = value else {
        return Err(invalid(
            &format!("#{index}"),
            "a constraint must be a JSON object",
        ));
    };
    let name = match m.remove("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(invalid(&format!("#{index}"), "`name` must be a string")),
    };
    let label = name.clone().unwrap_or_else(|| format!("#{index}"));
    let err = |message: &str| invalid(&label, message);
    let kind = match m.remove("kind") {
        Some(Value::String(s)) => s,
        _ => {
            return Err(err(
                "`kind` must be one of fixed_combinations, inequality, conditional_range",
            ));
        }
    };
    let allowed: &[&str] = match kind.as_str() {
        "fixed_combinations" => &["columns", "combinations"],
        "inequality" => &["low", "op", "high"],
        "conditional_range" => &["column", "min", "max", "when"],
        _ => {
            return Err(err(
                "`kind` must be one of fixed_combinations, inequality, conditional_range",
            ));
        }
    };
    if let Some(key) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        let known = FIELDS.contains(&key.as_str()) || key == "min" || key == "max";
        return Err(err(&if known {
            format!("the field `{key}` is not allowed for kind `{kind}`")
        } else {
            format!("unknown field `{key}`")
        }));
    }
    let string = |m: &mut Map<String, Value>, key: &str| match m.remove(key) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(err(&format!("`{key}` must be a column name (a string)"))),
    };
    let column_of = |name: &str| {
        schema.column(name).ok_or_else(|| {
            DataError::Schema(SchemaError::ConstraintUnknownColumn {
                constraint: label.clone(),
                column: name.to_owned(),
            })
        })
    };
    let rule = match kind.as_str() {
        "fixed_combinations" => {
            let columns = match m.remove("columns") {
                Some(Value::Array(cols)) => cols
                    .into_iter()
                    .map(|c| match c {
                        Value::String(s) => Ok(s),
                        _ => Err(err("`columns` must be an array of column names")),
                    })
                    .collect::<Result<Vec<_>>>()?,
                _ => return Err(err("`columns` must be an array of column names")),
            };
            let Some(Value::Array(rows)) = m.remove("combinations") else {
                return Err(err("`combinations` must be an array of arrays of values"));
            };
            let mut combinations = Vec::with_capacity(rows.len());
            for row in rows {
                let Value::Array(values) = row else {
                    return Err(err("`combinations` must be an array of arrays of values"));
                };
                if values.len() != columns.len() {
                    return Err(err(&format!(
                        "a combination has {} values for {} columns",
                        values.len(),
                        columns.len()
                    )));
                }
                let mut combo = Vec::with_capacity(values.len());
                for (v, name) in values.into_iter().zip(&columns) {
                    let col = column_of(name)?;
                    combo.push(cell_from_value(&label, col.name(), col.kind(), v)?);
                }
                combinations.push(combo);
            }
            ConstraintRule::FixedCombinations {
                columns,
                combinations,
            }
        }
        "inequality" => {
            let low = string(&mut m, "low")?;
            let high = string(&mut m, "high")?;
            let strict = match m.remove("op") {
                Some(Value::String(op)) if op == "<" => true,
                Some(Value::String(op)) if op == "<=" => false,
                _ => return Err(err("`op` must be \"<\" or \"<=\"")),
            };
            ConstraintRule::Inequality { low, high, strict }
        }
        _ => {
            let column = string(&mut m, "column")?;
            let col = column_of(&column)?;
            if !col.kind().is_numeric() {
                return Err(DataError::Schema(SchemaError::ConstraintKindMismatch {
                    constraint: label.clone(),
                    column,
                    expected: "a continuous or datetime column",
                }));
            }
            let mut bound = |key: &str| -> Result<Option<f64>> {
                match m.remove(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => match cell_from_value(&label, col.name(), col.kind(), v)? {
                        Cell::Number(x) => Ok(Some(x)),
                        _ => Err(err(&format!(
                            "`{key}` must be a value of column `{column}`"
                        ))),
                    },
                }
            };
            let min = bound("min")?;
            let max = bound("max")?;
            let Some(Value::Object(mut when)) = m.remove("when") else {
                return Err(err(
                    "`when` must be an object {\"column\": …, \"values\": […]}",
                ));
            };
            if let Some(key) = when.keys().find(|k| *k != "column" && *k != "values") {
                return Err(err(&format!("unknown field `when.{key}`")));
            }
            let when_column = string(&mut when, "column")?;
            let when_values = match when.remove("values") {
                Some(Value::Array(vs)) => vs
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        Value::Number(n) => Ok(n.to_string()),
                        Value::Bool(b) => Ok(b.to_string()),
                        _ => Err(err("`when.values` must be an array of category labels")),
                    })
                    .collect::<Result<Vec<_>>>()?,
                _ => return Err(err("`when.values` must be an array of category labels")),
            };
            ConstraintRule::ConditionalRange {
                column,
                min,
                max,
                when_column,
                when_values,
            }
        }
    };
    let constraint = Constraint::from_rule(rule);
    Ok(match name {
        Some(n) => constraint.named(n),
        None => constraint,
    })
}

fn cell_from_value(constraint: &str, column: &str, kind: &ColumnKind, v: Value) -> Result<Cell> {
    let mismatch = |expected: &'static str| {
        DataError::Schema(SchemaError::ConstraintKindMismatch {
            constraint: constraint.to_owned(),
            column: column.to_owned(),
            expected,
        })
    };
    match (v, kind) {
        (Value::Null, _) => Ok(Cell::Null),
        (Value::String(s), k) if k.is_discrete() => Ok(Cell::Label(s)),
        (Value::Number(n), k) if k.is_discrete() => Ok(Cell::Label(n.to_string())),
        (Value::Bool(b), k) if k.is_discrete() => Ok(Cell::Label(b.to_string())),
        (_, k) if k.is_discrete() => Err(mismatch("a category label")),
        (Value::Number(n), ColumnKind::Continuous { .. }) => n
            .as_f64()
            .map(Cell::Number)
            .ok_or_else(|| mismatch("a finite number")),
        (_, ColumnKind::Continuous { .. }) => Err(mismatch("a number")),
        (Value::String(s), ColumnKind::Datetime { format, .. }) => {
            datetime::parse_seconds(&s, format)
                .map(Cell::Number)
                .ok_or_else(|| {
                    DataError::Schema(SchemaError::ConstraintValueOutsideDomain {
                        constraint: constraint.to_owned(),
                        column: column.to_owned(),
                        value: format!("\"{s}\" (not in the format `{format}`)"),
                    })
                })
        }
        (_, ColumnKind::Datetime { .. }) => Err(mismatch("a date string in the column's format")),
        (_, _) => Err(mismatch("a modelled (not id) column")),
    }
}

fn constraint_to_value(schema: &Schema, c: &Constraint) -> Value {
    let mut m = Map::new();
    if let Some(name) = c.name() {
        m.insert("name".into(), Value::String(name.to_owned()));
    }
    m.insert("kind".into(), Value::String(c.kind_str().to_owned()));
    let cell = |column: &str, cell: &Cell| match cell {
        Cell::Null => Value::Null,
        Cell::Label(s) => Value::String(s.clone()),
        Cell::Number(x) => number_to_value(schema, column, *x),
    };
    match c.rule() {
        ConstraintRule::FixedCombinations {
            columns,
            combinations,
        } => {
            m.insert(
                "columns".into(),
                Value::Array(columns.iter().map(|s| Value::String(s.clone())).collect()),
            );
            let rows = combinations
                .iter()
                .map(|combo| {
                    Value::Array(
                        combo
                            .iter()
                            .zip(columns)
                            .map(|(v, col)| cell(col, v))
                            .collect(),
                    )
                })
                .collect();
            m.insert("combinations".into(), Value::Array(rows));
        }
        ConstraintRule::Inequality { low, high, strict } => {
            m.insert("low".into(), Value::String(low.clone()));
            m.insert(
                "op".into(),
                Value::String(if *strict { "<" } else { "<=" }.into()),
            );
            m.insert("high".into(), Value::String(high.clone()));
        }
        ConstraintRule::ConditionalRange {
            column,
            min,
            max,
            when_column,
            when_values,
        } => {
            m.insert("column".into(), Value::String(column.clone()));
            if let Some(v) = min {
                m.insert("min".into(), number_to_value(schema, column, *v));
            }
            if let Some(v) = max {
                m.insert("max".into(), number_to_value(schema, column, *v));
            }
            let mut when = Map::new();
            when.insert("column".into(), Value::String(when_column.clone()));
            when.insert(
                "values".into(),
                Value::Array(
                    when_values
                        .iter()
                        .map(|s| Value::String(s.clone()))
                        .collect(),
                ),
            );
            m.insert("when".into(), Value::Object(when));
        }
    }
    Value::Object(m)
}

/// A number of `column` as JSON: a date string for a datetime column, an integer when whole.
fn number_to_value(schema: &Schema, column: &str, v: f64) -> Value {
    if let Some(ColumnKind::Datetime { format, .. }) = schema.column(column).map(|c| c.kind())
        && let Some(text) = datetime::format_seconds(v, format)
    {
        return Value::String(text);
    }
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

fn invalid(constraint: &str, message: &str) -> DataError {
    DataError::Schema(SchemaError::InvalidConstraint {
        constraint: constraint.to_owned(),
        message: message.to_owned(),
    })
}
