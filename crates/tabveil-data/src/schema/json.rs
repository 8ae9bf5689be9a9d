//! Conversion between [`Schema`] and its JSON form, with a typed error for every problem.

use serde_json::{Map, Value};

use super::{ColumnKind, ColumnOrigin, ColumnSchema, PrivateOrigin, Schema};
use crate::datetime;
use crate::error::SchemaError;
use crate::error::{DataError, Result};

/// Every field a column may have, whatever its kind.
const COLUMN_FIELDS: [&str; 11] = [
    "name",
    "kind",
    "nullable",
    "description",
    "min",
    "max",
    "integer",
    "categories",
    "format",
    "other",
    "origin",
];

/// Top-level keys interpreted by this crate.
pub(super) const SCHEMA_FIELDS: [&str; 7] = [
    "name",
    "description",
    "target",
    "positive_class",
    "inferred_from_data",
    "columns",
    "constraints",
];

pub(super) fn schema_from_value(value: Value) -> Result<Schema> {
    let Value::Object(mut top) = value else {
        return Err(shape_error("a schema must be a JSON object"));
    };
    let name = match top.remove("name") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(shape_error("`name` must be a string")),
        None => return Err(shape_error("missing field `name`")),
    };
    let description = optional_top_string(&mut top, "description")?;
    let target = optional_top_string(&mut top, "target")?;
    let positive_class = optional_top_string(&mut top, "positive_class")?;
    let inferred_from_data = match top.remove("inferred_from_data") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(shape_error("`inferred_from_data` must be true or false")),
    };
    let columns = match top.remove("columns") {
        Some(Value::Array(cols)) => cols,
        Some(_) => return Err(shape_error("`columns` must be an array")),
        None => return Err(shape_error("missing field `columns`")),
    };
    let columns = columns
        .into_iter()
        .enumerate()
        .map(|(i, c)| column_from_value(i, c))
        .collect::<Result<Vec<_>>>()?;
    let constraints = top.remove("constraints");
    let mut schema = Schema::new(name, columns)?;
    if let Some(value) = constraints {
        let list = super::constraint_json::constraints_from_value(&schema, value)?;
        schema = schema.with_constraints(list)?;
    }
    schema.description = description;
    schema.extra = top;
    schema.inferred_from_data = inferred_from_data;
    if let Some(target) = target {
        schema = schema.with_target(target, positive_class)?;
    } else if let Some(class) = positive_class {
        return Err(DataError::Schema(SchemaError::InvalidPositiveClass {
            target: String::new(),
            class,
        }));
    }
    Ok(schema)
}

pub(super) fn schema_to_value(schema: &Schema) -> Value {
    let mut top = Map::new();
    top.insert("name".into(), Value::String(schema.name.clone()));
    if let Some(d) = &schema.description {
        top.insert("description".into(), Value::String(d.clone()));
    }
    if let Some(t) = &schema.target {
        top.insert("target".into(), Value::String(t.clone()));
    }
    if let Some(p) = &schema.positive_class {
        top.insert("positive_class".into(), Value::String(p.clone()));
    }
    if schema.inferred_from_data {
        top.insert("inferred_from_data".into(), Value::Bool(true));
    }
    for (k, v) in &schema.extra {
        if !SCHEMA_FIELDS.contains(&k.as_str()) {
            top.insert(k.clone(), v.clone());
        }
    }
    let columns = schema.columns.iter().map(column_to_value).collect();
    top.insert("columns".into(), Value::Array(columns));
    if !schema.constraints.is_empty() {
        top.insert(
            "constraints".into(),
            super::constraint_json::constraints_to_value(schema),
        );
    }
    Value::Object(top)
}

fn column_to_value(c: &ColumnSchema) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(c.name().to_owned()));
    m.insert("kind".into(), Value::String(c.kind().as_str().to_owned()));
    if let Some(d) = c.description() {
        m.insert("description".into(), Value::String(d.to_owned()));
    }
    let number = |v: f64| {
        // Whole numbers are written as JSON integers (as in the bundled schemas).
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Value::from(v as i64)
        } else {
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
        }
    };
    match c.kind() {
        ColumnKind::Continuous { min, max, integer } => {
            if let Some(v) = min {
                m.insert("min".into(), number(*v));
            }
            if let Some(v) = max {
                m.insert("max".into(), number(*v));
            }
            m.insert("integer".into(), Value::Bool(*integer));
        }
        ColumnKind::Categorical { categories } | ColumnKind::Boolean { categories } => {
            if let Some(cats) = categories {
                let cats = cats.iter().map(|s| Value::String(s.clone())).collect();
                m.insert("categories".into(), Value::Array(cats));
            }
            if let Some(other) = c.other() {
                m.insert("other".into(), Value::String(other.to_owned()));
            }
        }
        ColumnKind::Datetime { format, min, max } => {
            m.insert("format".into(), Value::String(format.clone()));
            for (key, v) in [("min", min), ("max", max)] {
                if let Some(v) = v {
                    // A bound that the format cannot render (it can: it was parsed with the
                    // same format, or validated as finite seconds) falls back to the number.
                    let text = datetime::format_seconds(*v, format)
                        .map_or_else(|| number(*v), Value::String);
                    m.insert(key.into(), text);
                }
            }
        }
        ColumnKind::Id => {}
    }
    m.insert("nullable".into(), Value::Bool(c.is_nullable()));
    match c.origin() {
        ColumnOrigin::Declared => {}
        ColumnOrigin::Private(p) => {
            let record = serde_json::to_value(p.as_ref()).unwrap_or(Value::Null);
            let mut o = Map::new();
            o.insert("private".into(), record);
            m.insert("origin".into(), Value::Object(o));
        }
    }
    Value::Object(m)
}

fn origin_field(column: &str, value: Option<Value>) -> Result<ColumnOrigin> {
    let invalid = |message: String| {
        DataError::Schema(SchemaError::InvalidOrigin {
            column: column.to_owned(),
            message,
        })
    };
    match value {
        None | Some(Value::Null) => Ok(ColumnOrigin::Declared),
        Some(Value::String(s)) if s == "declared" => Ok(ColumnOrigin::Declared),
        // One mark for a schema read from the data, and it is top-level
        // (`"inferred_from_data": true`, refused by private fits): a per-column "inferred"
        // would be a second mark that a reader could miss.
        Some(Value::String(s)) if s == "inferred" => Err(invalid(
            "\"inferred\" is not a column origin; a schema read from the data carries the top-level mark \"inferred_from_data\": true instead".into(),
        )),
        Some(Value::Object(mut o)) if o.len() == 1 && o.contains_key("private") => {
            let record = o.remove("private").unwrap_or(Value::Null);
            let p: PrivateOrigin =
                serde_json::from_value(record).map_err(|e| invalid(e.to_string()))?;
            Ok(ColumnOrigin::Private(Box::new(p)))
        }
        Some(_) => Err(invalid(
            "expected \"declared\" or {\"private\": {...}}".into(),
        )),
    }
}

fn column_from_value(index: usize, value: Value) -> Result<ColumnSchema> {
    let Value::Object(mut m) = value else {
        return Err(DataError::Schema(SchemaError::InvalidFieldType {
            column: format!("#{index}"),
            field: String::new(),
            expected: "a JSON object",
        }));
    };
    let name = match m.remove("name") {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(DataError::Schema(SchemaError::InvalidFieldType {
                column: format!("#{index}"),
                field: "name".into(),
                expected: "a string",
            }));
        }
        None => {
            return Err(DataError::Schema(SchemaError::MissingField {
                column: format!("#{index}"),
                field: "name",
            }));
        }
    };
    if name.trim().is_empty() {
        return Err(DataError::Schema(SchemaError::EmptyColumnName { index }));
    }
    if let Some(key) = m.keys().find(|k| !COLUMN_FIELDS.contains(&k.as_str())) {
        return Err(DataError::Schema(SchemaError::UnknownField {
            column: name,
            field: key.clone(),
        }));
    }
    let kind_name = match m.remove("kind") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(field_type(&name, "kind", "a string")),
        None => {
            return Err(DataError::Schema(SchemaError::MissingField {
                column: name,
                field: "kind",
            }));
        }
    };
    let nullable = match m.remove("nullable") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(field_type(&name, "nullable", "true or false")),
    };
    let description = match m.remove("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(field_type(&name, "description", "a string")),
    };
    let origin = origin_field(&name, m.remove("origin"))?;
    let (kind, allowed): (ColumnKind, &[&str]) = match kind_name.as_str() {
        "continuous" => (
            ColumnKind::Continuous {
                min: number_field(&name, &m, "min")?,
                max: number_field(&name, &m, "max")?,
                integer: match m.get("integer") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => return Err(field_type(&name, "integer", "true or false")),
                },
            },
            &["min", "max", "integer"],
        ),
        "categorical" => (
            ColumnKind::Categorical {
                categories: categories_field(&name, &m)?,
            },
            &["categories", "other"],
        ),
        "boolean" => (
            ColumnKind::Boolean {
                categories: categories_field(&name, &m)?,
            },
            &["categories"],
        ),
        "datetime" => {
            let format = match m.get("format") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(field_type(&name, "format", "a string")),
                None => {
                    return Err(DataError::Schema(SchemaError::MissingField {
                        column: name,
                        field: "format",
                    }));
                }
            };
            if !datetime::is_valid_format(&format) {
                return Err(DataError::Schema(SchemaError::InvalidDatetimeFormat {
                    column: name,
                    format,
                }));
            }
            let min = datetime_field(&name, &m, "min", &format)?;
            let max = datetime_field(&name, &m, "max", &format)?;
            (
                ColumnKind::Datetime { format, min, max },
                &["format", "min", "max"],
            )
        }
        "id" => (ColumnKind::Id, &[]),
        _ => {
            return Err(DataError::Schema(SchemaError::UnknownKind {
                column: name,
                kind: kind_name,
            }));
        }
    };
    if let Some(key) = m
        .iter()
        .find(|(k, v)| !allowed.contains(&k.as_str()) && !v.is_null())
        .map(|(k, _)| k)
    {
        return Err(DataError::Schema(SchemaError::FieldNotAllowed {
            column: name,
            field: key.clone(),
            kind: kind.as_str(),
        }));
    }
    let other = match m.get("other") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(field_type(&name, "other", "a string")),
    };
    let mut column = ColumnSchema::new(name, kind)
        .with_nullable(nullable)
        .with_origin(origin);
    if let Some(d) = description {
        column = column.with_description(d);
    }
    if let Some(o) = other {
        column = column.with_other(o);
    }
    Ok(column)
}

fn number_field(column: &str, m: &Map<String, Value>, field: &str) -> Result<Option<f64>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| field_type(column, field, "a finite number")),
        Some(_) => Err(field_type(column, field, "a number")),
    }
}

fn categories_field(column: &str, m: &Map<String, Value>) -> Result<Option<Vec<String>>> {
    match m.get("categories") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                // Numeric and boolean labels are accepted and kept as their JSON text.
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(b) => Ok(b.to_string()),
                _ => Err(field_type(
                    column,
                    "categories",
                    "an array of strings or numbers",
                )),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(field_type(
            column,
            "categories",
            "an array of strings or numbers",
        )),
    }
}

fn datetime_field(
    column: &str,
    m: &Map<String, Value>,
    field: &str,
    format: &str,
) -> Result<Option<f64>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => datetime::parse_seconds(s, format).map(Some).ok_or_else(|| {
            DataError::Schema(SchemaError::InvalidDatetimeBound {
                column: column.to_owned(),
                value: s.clone(),
                format: format.to_owned(),
            })
        }),
        Some(_) => Err(field_type(
            column,
            field,
            "a date string in the column's format",
        )),
    }
}

fn optional_top_string(top: &mut Map<String, Value>, key: &str) -> Result<Option<String>> {
    match top.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(shape_error(match key {
            "description" => "`description` must be a string",
            "target" => "`target` must be a string",
            _ => "`positive_class` must be a string",
        })),
    }
}

fn field_type(column: &str, field: &str, expected: &'static str) -> DataError {
    DataError::Schema(SchemaError::InvalidFieldType {
        column: column.to_owned(),
        field: field.to_owned(),
        expected,
    })
}

fn shape_error(message: &str) -> DataError {
    DataError::Schema(SchemaError::InvalidSchemaJson {
        message: message.to_owned(),
        line: 0,
        col: 0,
    })
}
