//! [`Matrix`]: the row-major `f32` matrix the models train on.

use serde::{Deserialize, Serialize};

use crate::error::TransformError;
use crate::error::{DataError, Result};

/// A dense row-major matrix of `f32`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    data: Vec<f32>,
    n_rows: usize,
    n_cols: usize,
}

impl Matrix {
    /// A matrix of `n_cols` columns holding `data` row after row.
    ///
    /// # Errors
    /// [`crate::TransformError::MatrixShape`] when `data.len()` is not a multiple of `n_cols` (or
    /// `n_cols` is 0 with data).
    pub fn new(data: Vec<f32>, n_cols: usize) -> Result<Self> {
        if n_cols == 0 {
            if data.is_empty() {
                return Ok(Matrix {
                    data,
                    n_rows: 0,
                    n_cols,
                });
            }
            return Err(DataError::Transform(TransformError::MatrixShape {
                len: data.len(),
                width: 0,
            }));
        }
        if !data.len().is_multiple_of(n_cols) {
            return Err(DataError::Transform(TransformError::MatrixShape {
                len: data.len(),
                width: n_cols,
            }));
        }
        Ok(Matrix {
            n_rows: data.len() / n_cols,
            data,
            n_cols,
        })
    }

    pub(crate) fn zeros(n_rows: usize, n_cols: usize) -> Self {
        Matrix {
            data: vec![0.0; n_rows * n_cols],
            n_rows,
            n_cols,
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// The values, row after row.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// The values, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Row `i` (panics past the end, like slice indexing).
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// The values, by value.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }
}
