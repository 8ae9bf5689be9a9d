//! Small building blocks shared by the models: the activation spans of an output layout, the
//! argmax of a block, gathering rows of an encoded table.

pub(crate) mod activation;

use candle_core::WithDType;

/// Index of the first maximum (0 for an empty slice), as `torch.argmax`: a later value wins
/// only if it is strictly larger.
pub(crate) fn first_max<T: WithDType>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if x.to_f64() > v[best].to_f64() {
            best = i;
        }
    }
    best
}

/// Appends rows `rows` of the row-major matrix `data` (width `dim`) to `out`.
pub(crate) fn gather_rows(data: &[f32], dim: usize, rows: &[usize], out: &mut Vec<f32>) {
    for &r in rows {
        out.extend_from_slice(&data[r * dim..(r + 1) * dim]);
    }
}
