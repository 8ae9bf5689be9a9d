//! [`OutputLayout`]: how the transformed matrix is cut into spans, for the models'
//! activations and losses.

use serde::{Deserialize, Serialize};

/// What a softmax span encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftmaxRole {
    /// One-hot of a categorical or boolean column; for a nullable column the last slot is
    /// "missing".
    Category,
    /// One-hot of the mixture mode of a continuous or datetime column.
    Mode,
    /// Missing-value indicator of a nullable continuous or datetime column:
    /// `[present, missing]`.
    NullIndicator,
}

/// The activation a span takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "activation", content = "role")]
pub enum SpanKind {
    /// One scalar in [−1, 1] (the normalised value within its mode): `tanh`.
    Tanh,
    /// A block that sums to one: softmax / gumbel-softmax, cross-entropy loss.
    Softmax(SoftmaxRole),
}

/// A contiguous block of columns of the transformed matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Index of the schema column the span belongs to.
    pub column: usize,
    /// First matrix column of the span.
    pub start: usize,
    /// Number of matrix columns.
    pub width: usize,
    /// Activation and meaning.
    pub kind: SpanKind,
}

impl Span {
    /// One past the last matrix column.
    pub fn end(&self) -> usize {
        self.start + self.width
    }
}

/// The layout of the transformed matrix: spans in order, covering every matrix column once.
///
/// Per schema column, in schema order: continuous and datetime columns give
/// `[Tanh (1), Softmax(Mode) (kept modes)]` plus `[Softmax(NullIndicator) (2)]` when nullable;
/// categorical and boolean columns give `[Softmax(Category) (categories, +1 when nullable)]`;
/// id columns give nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputLayout {
    spans: Vec<Span>,
    width: usize,
    columns: Vec<String>,
}

impl OutputLayout {
    pub(crate) fn new(spans: Vec<Span>, columns: Vec<String>) -> Self {
        let width = spans.last().map_or(0, Span::end);
        OutputLayout {
            spans,
            width,
            columns,
        }
    }

    /// All spans, in matrix order.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Width of the transformed matrix.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The schema column names, by index (for [`Span::column`]).
    pub fn column_names(&self) -> &[String] {
        &self.columns
    }

    /// The spans of schema column `column`.
    pub fn spans_of(&self, column: usize) -> impl Iterator<Item = &Span> {
        self.spans.iter().filter(move |s| s.column == column)
    }
}
