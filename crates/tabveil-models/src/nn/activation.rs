//! [`SpanAct`]: the spans of a transformer's output layout with the activation a model's
//! output applies to each — tanh on the scalar of a continuous value, a softmax on every
//! block (a category, a mode, a null indicator).

use tabveil_data::{OutputLayout, SpanKind};

/// A span of a model's output and its activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpanAct {
    /// One scalar: tanh.
    Tanh { start: usize },
    /// A block: a softmax (CTGAN's generator: a soft gumbel-softmax).
    Softmax { start: usize, width: usize },
}

/// The activation spans of a transformer's output layout.
pub(crate) fn span_acts(layout: &OutputLayout) -> Vec<SpanAct> {
    layout
        .spans()
        .iter()
        .map(|s| match s.kind {
            SpanKind::Tanh => SpanAct::Tanh { start: s.start },
            SpanKind::Softmax(_) => SpanAct::Softmax {
                start: s.start,
                width: s.width,
            },
        })
        .collect()
}
