//! The tables as the metrics see them: one [`Layout`] (names, kinds, category labels) shared by
//! the real, synthetic and holdout [`Frame`]s, whose columns are aligned with it by name.
//!
//! Missing values: a continuous (or datetime) value is missing when it is NaN; a categorical (or
//! boolean) value is missing when it is `None`. This is the same convention as pandas, whose
//! `NaN` SDMetrics sees.

use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result, TableRole};

/// The kind of a column as the metrics see it: SDMetrics' `sdtype` (the schema's kind is
/// `tabveil_data::ColumnKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdType {
    /// Numbers (SDMetrics `numerical`).
    Continuous,
    /// Instants, stored as seconds since the epoch (SDMetrics `datetime`).
    Datetime,
    /// Categories from a declared domain (SDMetrics `categorical`).
    Categorical,
    /// `false` / `true`, stored as codes 0 / 1 (SDMetrics `boolean`).
    Boolean,
    /// Identifiers: ignored by every metric, as SDMetrics ignores `id` columns.
    Id,
}

impl SdType {
    /// Whether the metrics treat the column as continuous (KS, Pearson, binning).
    pub fn is_continuous(self) -> bool {
        matches!(self, Self::Continuous | Self::Datetime)
    }

    /// Whether the metrics treat the column as discrete (TV, contingency tables).
    pub fn is_discrete(self) -> bool {
        matches!(self, Self::Categorical | Self::Boolean)
    }

    /// The name used in messages and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continuous => "continuous",
            Self::Datetime => "datetime",
            Self::Categorical => "categorical",
            Self::Boolean => "boolean",
            Self::Id => "id",
        }
    }
}

/// One declared column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnSpec {
    pub name: String,
    pub kind: SdType,
    /// Labels of the categories (categorical, boolean); empty otherwise.
    pub categories: Vec<String>,
}

/// The declared columns, in schema order, plus the roles the configuration gives some of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    pub columns: Vec<ColumnSpec>,
}

impl Layout {
    /// Index of the column called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    /// Continuous or datetime values; NaN is missing.
    Continuous(Vec<f64>),
    /// Category codes into the declared domain; `None` is missing.
    Categorical(Vec<Option<u32>>),
    /// An identifier column: only its length matters.
    Ignored(usize),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Self::Continuous(v) => v.len(),
            Self::Categorical(v) => v.len(),
            Self::Ignored(n) => *n,
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            Self::Continuous(_) => "continuous",
            Self::Categorical(_) => "categorical",
            Self::Ignored(_) => "id",
        }
    }
}

/// A table whose columns are aligned with a [`Layout`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    pub n_rows: usize,
    pub columns: Vec<Values>,
}

impl Frame {
    /// Builds a frame from named columns, matching them to the layout by name (so the order of
    /// the columns does not matter) and checking lengths, kinds and category codes.
    pub fn from_named(
        layout: &Layout,
        role: TableRole,
        mut named: Vec<(String, Values)>,
    ) -> Result<Self> {
        let mut columns = Vec::with_capacity(layout.columns.len());
        for spec in &layout.columns {
            let position = named
                .iter()
                .position(|(n, _)| *n == spec.name)
                .ok_or_else(|| EvalError::MissingColumn {
                    table: role,
                    column: spec.name.clone(),
                })?;
            let (_, values) = named.swap_remove(position);
            check_kind(spec, role, &values)?;
            columns.push(values);
        }
        if let Some((extra, _)) = named.into_iter().next() {
            return Err(EvalError::UnexpectedColumn {
                table: role,
                column: extra,
            });
        }
        let n_rows = columns.first().map_or(0, Values::len);
        for (spec, values) in layout.columns.iter().zip(&columns) {
            if values.len() != n_rows {
                return Err(EvalError::RaggedColumn {
                    table: role,
                    column: spec.name.clone(),
                    expected: n_rows,
                    found: values.len(),
                });
            }
        }
        Ok(Self { n_rows, columns })
    }

    /// Continuous values of column `j` (empty for other kinds).
    pub fn continuous(&self, j: usize) -> &[f64] {
        match self.columns.get(j) {
            Some(Values::Continuous(v)) => v,
            _ => &[],
        }
    }

    /// Category codes of column `j` (empty for other kinds).
    pub fn categorical(&self, j: usize) -> &[Option<u32>] {
        match self.columns.get(j) {
            Some(Values::Categorical(v)) => v,
            _ => &[],
        }
    }

    /// The rows at `indices`, in that order.
    pub fn select_rows(&self, indices: &[usize]) -> Self {
        let columns = self
            .columns
            .iter()
            .map(|c| match c {
                Values::Continuous(v) => {
                    Values::Continuous(indices.iter().map(|&i| v[i]).collect())
                }
                Values::Categorical(v) => {
                    Values::Categorical(indices.iter().map(|&i| v[i]).collect())
                }
                Values::Ignored(_) => Values::Ignored(indices.len()),
            })
            .collect();
        Self {
            n_rows: indices.len(),
            columns,
        }
    }
}

fn check_kind(spec: &ColumnSpec, role: TableRole, values: &Values) -> Result<()> {
    let ok = match values {
        Values::Continuous(_) => spec.kind.is_continuous(),
        Values::Categorical(codes) => {
            if spec.kind.is_discrete() {
                let n = spec.categories.len();
                if let Some(code) = codes.iter().flatten().find(|&&c| c as usize >= n) {
                    return Err(EvalError::CodeOutOfDomain {
                        table: role,
                        column: spec.name.clone(),
                        code: *code,
                        categories: n,
                    });
                }
                true
            } else {
                false
            }
        }
        Values::Ignored(_) => spec.kind == SdType::Id,
    };
    if ok {
        Ok(())
    } else {
        Err(EvalError::KindMismatch {
            table: role,
            column: spec.name.clone(),
            expected: spec.kind.as_str(),
            found: values.kind_name(),
        })
    }
}
