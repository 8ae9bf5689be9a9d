//! [`ColumnBuilder`]: turns cells (CSV text or in-memory values) into one typed column,
//! checking each against the column's schema. Shared by the CSV reader and
//! [`Table::from_rows`](crate::Table::from_rows).

use std::collections::HashMap;
use std::sync::Arc;

use crate::csv_io::OutOfBounds;
use crate::datetime;
use crate::error::ReadError;
use crate::error::{DataError, Position, Result};
use crate::schema::{ColumnKind, ColumnSchema};
use crate::table::{Column, ColumnData, Value};

/// How many distinct unknown categories an error lists.
const MAX_REPORTED_VALUES: usize = 5;
/// Longest value text copied into an error.
const MAX_VALUE_CHARS: usize = 100;

pub(crate) struct ColumnBuilder<'s> {
    schema: &'s ColumnSchema,
    kind: Kind,
    nulls: Vec<bool>,
    out_of_bounds: OutOfBounds,
    unknown: Option<UnknownCategories>,
}

enum Kind {
    Numeric {
        values: Vec<f64>,
        min: Option<f64>,
        max: Option<f64>,
        integer: bool,
        format: Option<String>,
    },
    Discrete {
        codes: Vec<u32>,
        lookup: HashMap<String, u32>,
        labels: Vec<String>,
        /// Labels were declared in the schema (otherwise they are discovered from the data).
        declared: bool,
        /// A boolean column with the default labels: accept the usual spellings.
        lenient_boolean: bool,
    },
    Id,
}

struct UnknownCategories {
    first: Position,
    values: Vec<String>,
    count: usize,
}

impl<'s> ColumnBuilder<'s> {
    pub(crate) fn new(schema: &'s ColumnSchema, out_of_bounds: OutOfBounds) -> Self {
        let kind = match schema.kind() {
            ColumnKind::Continuous { min, max, integer } => Kind::Numeric {
                values: Vec::new(),
                min: *min,
                max: *max,
                integer: *integer,
                format: None,
            },
            ColumnKind::Datetime { format, min, max } => Kind::Numeric {
                values: Vec::new(),
                min: *min,
                max: *max,
                integer: false,
                format: Some(format.clone()),
            },
            ColumnKind::Categorical { categories } | ColumnKind::Boolean { categories } => {
                let lenient_boolean =
                    matches!(schema.kind(), ColumnKind::Boolean { categories: None });
                let labels = schema.categories().unwrap_or_default();
                let lookup = labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.clone(), i as u32))
                    .collect();
                Kind::Discrete {
                    codes: Vec::new(),
                    lookup,
                    labels,
                    declared: categories.is_some() || lenient_boolean,
                    lenient_boolean,
                }
            }
            ColumnKind::Id => Kind::Id,
        };
        ColumnBuilder {
            schema,
            kind,
            nulls: Vec::new(),
            out_of_bounds,
            unknown: None,
        }
    }

    /// True for categorical and boolean columns.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub(crate) fn is_discrete(&self) -> bool {
        matches!(self.kind, Kind::Discrete { .. })
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        match &mut self.kind {
            Kind::Numeric { values, .. } => values.reserve(n),
            Kind::Discrete { codes, .. } => codes.reserve(n),
            Kind::Id => return,
        }
        if self.schema.is_nullable() {
            self.nulls.reserve(n);
        }
    }

    /// The first cell outside the declared categories, if any, as a pending error.
    pub(crate) fn pending_error(&self) -> Option<(Position, DataError)> {
        self.unknown.as_ref().map(|u| {
            (
                u.first,
                DataError::Read(ReadError::UnknownCategory {
                    at: u.first,
                    column: self.schema.name().to_owned(),
                    values: u.values.clone(),
                    count: u.count,
                }),
            )
        })
    }

    /// Adds one cell given as text; `None` is a null. `text` is already trimmed if the caller
    /// trims.
    pub(crate) fn push_text(&mut self, text: Option<&str>, at: Position) -> Result<()> {
        let Some(text) = text else {
            return self.push_null(at);
        };
        match &mut self.kind {
            Kind::Id => Ok(()),
            Kind::Numeric { format, .. } => {
                let value = match format {
                    None => parse_number(text).map_err(|non_finite| {
                        if non_finite {
                            DataError::Read(ReadError::NonFiniteNumber {
                                at,
                                column: self.schema.name().to_owned(),
                                value: clip_text(text),
                            })
                        } else {
                            DataError::Read(ReadError::InvalidNumber {
                                at,
                                column: self.schema.name().to_owned(),
                                value: clip_text(text),
                            })
                        }
                    })?,
                    Some(f) => datetime::parse_seconds(text, f).ok_or_else(|| {
                        DataError::Read(ReadError::InvalidDatetime {
                            at,
                            column: self.schema.name().to_owned(),
                            value: clip_text(text),
                            format: f.clone(),
                        })
                    })?,
                };
                self.push_number_checked(value, at)
            }
            Kind::Discrete { .. } => self.push_label(text, at),
        }
    }

    /// Adds one in-memory value.
    pub(crate) fn push_value(&mut self, value: &Value, at: Position) -> Result<()> {
        match value {
            Value::Null => self.push_null(at),
            Value::Text(s) => {
                let t = s.trim();
                self.push_text((!t.is_empty()).then_some(t), at)
            }
            Value::Number(x) => match &self.kind {
                Kind::Id => Ok(()),
                Kind::Numeric { .. } => {
                    if !x.is_finite() {
                        return Err(DataError::Read(ReadError::NonFiniteNumber {
                            at,
                            column: self.schema.name().to_owned(),
                            value: x.to_string(),
                        }));
                    }
                    self.push_number_checked(*x, at)
                }
                // A category given as a number is matched by its text ("1" for 1.0).
                Kind::Discrete { .. } => self.push_label(&x.to_string(), at),
            },
            Value::Bool(b) => match &mut self.kind {
                Kind::Id => Ok(()),
                Kind::Discrete { codes, .. }
                    if matches!(self.schema.kind(), ColumnKind::Boolean { .. }) =>
                {
                    codes.push(u32::from(*b));
                    self.push_mask(false);
                    Ok(())
                }
                _ => Err(DataError::Read(ReadError::WrongValueType {
                    at,
                    column: self.schema.name().to_owned(),
                    expected: expected_for(self.schema.kind()),
                })),
            },
        }
    }

    /// Adds a null (an error unless the column is nullable).
    pub(crate) fn push_null(&mut self, at: Position) -> Result<()> {
        if matches!(self.kind, Kind::Id) {
            return Ok(());
        }
        if !self.schema.is_nullable() {
            return Err(DataError::Read(ReadError::NullInNonNullable {
                at,
                column: self.schema.name().to_owned(),
            }));
        }
        match &mut self.kind {
            Kind::Numeric { values, .. } => values.push(0.0),
            Kind::Discrete { codes, .. } => codes.push(0),
            Kind::Id => {}
        }
        self.nulls.push(true);
        Ok(())
    }

    /// The finished column, or the pending unknown-category error.
    pub(crate) fn finish(self) -> Result<(Column, bool)> {
        if let Some((_, err)) = self.pending_error() {
            return Err(err);
        }
        let name = self.schema.name().to_owned();
        let nulls = self.schema.is_nullable().then_some(self.nulls);
        Ok(match self.kind {
            Kind::Numeric { values, .. } => (
                Column::from_parts(name, ColumnData::Continuous(values), nulls, None),
                false,
            ),
            Kind::Discrete {
                mut codes,
                labels,
                declared,
                ..
            } => {
                let labels = if declared {
                    labels
                } else {
                    sort_discovered(labels, &mut codes, nulls.as_deref())
                };
                let domain: Arc<[String]> = labels.into();
                (
                    Column::from_parts(name, ColumnData::Categorical(codes), nulls, Some(domain)),
                    !declared,
                )
            }
            Kind::Id => (Column::id(name), false),
        })
    }

    fn push_mask(&mut self, null: bool) {
        if self.schema.is_nullable() {
            self.nulls.push(null);
        }
    }

    fn push_label(&mut self, text: &str, at: Position) -> Result<()> {
        let Kind::Discrete {
            codes,
            lookup,
            labels,
            declared,
            lenient_boolean,
        } = &mut self.kind
        else {
            return Err(DataError::Internal("push_label on a non-discrete column"));
        };
        let code = if *lenient_boolean {
            parse_bool(text).map(u32::from)
        } else {
            lookup.get(text).copied()
        };
        let code = match code.or_else(|| self.schema.other().and_then(|o| lookup.get(o).copied())) {
            Some(c) => c,
            None if !*declared => {
                let c = labels.len() as u32;
                labels.push(text.to_owned());
                lookup.insert(text.to_owned(), c);
                c
            }
            None => {
                let u = self.unknown.get_or_insert(UnknownCategories {
                    first: at,
                    values: Vec::new(),
                    count: 0,
                });
                u.count += 1;
                if u.values.len() < MAX_REPORTED_VALUES && !u.values.iter().any(|v| v == text) {
                    u.values.push(clip_text(text));
                }
                0
            }
        };
        codes.push(code);
        self.push_mask(false);
        Ok(())
    }

    fn push_number_checked(&mut self, mut value: f64, at: Position) -> Result<()> {
        let Kind::Numeric {
            values,
            min,
            max,
            integer,
            ..
        } = &mut self.kind
        else {
            return Err(DataError::Internal("push_number on a non-numeric column"));
        };
        if *integer && value.fract() != 0.0 && self.schema.rounds_to_integer() {
            value = value.round();
        }
        if *integer && value.fract() != 0.0 {
            return Err(DataError::Read(ReadError::NotAnInteger {
                at,
                column: self.schema.name().to_owned(),
                value,
            }));
        }
        let below = min.is_some_and(|m| value < m);
        let above = max.is_some_and(|m| value > m);
        if below || above {
            let policy = if self.schema.clips_to_bounds() {
                OutOfBounds::Clip
            } else {
                self.out_of_bounds
            };
            match policy {
                OutOfBounds::Error => {
                    return Err(DataError::Read(ReadError::OutOfBounds {
                        at,
                        column: self.schema.name().to_owned(),
                        value,
                        min: *min,
                        max: *max,
                    }));
                }
                // Clipping is silent on purpose: no count or location of clipped values is
                // kept, because in private mode it would be an unaccounted release.
                OutOfBounds::Clip => {
                    if let Some(m) = min.filter(|_| below) {
                        value = m;
                    }
                    if let Some(m) = max.filter(|_| above) {
                        value = m;
                    }
                }
            }
        }
        if value.abs() > crate::MAX_ABS_VALUE {
            return Err(DataError::Read(ReadError::BeyondModelRange {
                at,
                column: self.schema.name().to_owned(),
                value,
            }));
        }
        values.push(value);
        self.push_mask(false);
        Ok(())
    }
}

/// What an in-memory value of this kind must be, for [`crate::ReadError::WrongValueType`].
pub(crate) fn expected_for(kind: &ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Continuous { .. } => "a number",
        ColumnKind::Datetime { .. } => "a number of seconds or a date string",
        ColumnKind::Categorical { .. } => "a category (text)",
        ColumnKind::Boolean { .. } => "a boolean or one of its labels",
        ColumnKind::Id => "anything",
    }
}

/// Parses a number; `Err(true)` when it parses but is not finite, `Err(false)` when it does
/// not parse.
fn parse_number(text: &str) -> std::result::Result<f64, bool> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(true),
        Err(_) => Err(false),
    }
}

/// The usual spellings of a boolean, in any case.
fn parse_bool(text: &str) -> Option<bool> {
    const TRUE: [&str; 5] = ["true", "t", "yes", "y", "1"];
    const FALSE: [&str; 5] = ["false", "f", "no", "n", "0"];
    if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

/// Labels discovered from the data are sorted, so that the domain does not depend on row
/// order; codes are remapped accordingly (null entries keep 0).
fn sort_discovered(labels: Vec<String>, codes: &mut [u32], nulls: Option<&[bool]>) -> Vec<String> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| labels[a].cmp(&labels[b]));
    let mut new_code = vec![0u32; labels.len()];
    for (new, &old) in order.iter().enumerate() {
        new_code[old] = new as u32;
    }
    for (i, c) in codes.iter_mut().enumerate() {
        let is_null = nulls.is_some_and(|m| m.get(i).copied().unwrap_or(false));
        if !is_null && let Some(n) = new_code.get(*c as usize) {
            *c = *n;
        }
    }
    order.into_iter().map(|i| labels[i].clone()).collect()
}

/// A value copied into an error, shortened if very long.
pub(crate) fn clip_text(text: &str) -> String {
    if text.chars().count() <= MAX_VALUE_CHARS {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(MAX_VALUE_CHARS).collect();
        s.push('…');
        s
    }
}
