//! The curator's compact copy of the data: each attribute's fine cells, one code per row in
//! the smallest unsigned width that holds the attribute's cell count ([`Codes`]), appended
//! batch by batch as a [`TableSource`](tabveil_data::TableSource) streams by
//! ([`encode_batch`]). Model cells are never stored: they are read through the grouping's
//! lookup table (fine cell → model cell) when counting.
//!
//! Memory: one byte per row and attribute for up to 256 cells (categories, and numeric
//! columns at a coarse resolution), two bytes up to 65 536; the in-memory fit used to hold
//! two `u32` copies per attribute.

use std::collections::HashMap;

use tabveil_data::{ColumnData, Table};

use super::discretise::{Coding, FineCells};
use crate::error::{ModelError, Result};

/// Rows counted per block when reading model cells through the lookup tables.
pub(crate) const BLOCK_ROWS: usize = 4096;

/// One attribute's fine cells, one per row, in the narrowest width that fits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Codes {
    /// At most 256 cells.
    U8(Vec<u8>),
    /// At most 65 536 cells.
    U16(Vec<u16>),
    /// More cells.
    U32(Vec<u32>),
}

/// A code type of [`Codes`].
trait Code: Copy {
    fn index(self) -> usize;
    fn from_u32(v: u32) -> Option<Self>;
}

impl Code for u8 {
    fn index(self) -> usize {
        usize::from(self)
    }
    fn from_u32(v: u32) -> Option<Self> {
        u8::try_from(v).ok()
    }
}

impl Code for u16 {
    fn index(self) -> usize {
        usize::from(self)
    }
    fn from_u32(v: u32) -> Option<Self> {
        u16::try_from(v).ok()
    }
}

impl Code for u32 {
    fn index(self) -> usize {
        self as usize
    }
    fn from_u32(v: u32) -> Option<Self> {
        Some(v)
    }
}

impl Codes {
    /// Empty codes for an attribute of `cells` cells.
    pub(crate) fn for_cells(cells: usize) -> Self {
        if cells <= 1 << 8 {
            Codes::U8(Vec::new())
        } else if cells <= 1 << 16 {
            Codes::U16(Vec::new())
        } else {
            Codes::U32(Vec::new())
        }
    }

    /// Appends `codes` (each below the cell count the width was chosen for).
    ///
    /// # Errors
    /// [`ModelError::Internal`] for a code too wide (cannot happen: codes are cells).
    pub(crate) fn extend(&mut self, codes: &[u32]) -> Result<()> {
        fn push<T: Code>(v: &mut Vec<T>, codes: &[u32]) -> Result<()> {
            v.reserve(codes.len());
            for &c in codes {
                v.push(T::from_u32(c).ok_or(ModelError::Internal("a cell wider than its codes"))?);
            }
            Ok(())
        }
        match self {
            Codes::U8(v) => push(v, codes),
            Codes::U16(v) => push(v, codes),
            Codes::U32(v) => push(v, codes),
        }
    }

    /// Adds 1 to `counts[code]` for every row.
    pub(crate) fn count_into(&self, counts: &mut [f64]) {
        fn each<T: Code>(v: &[T], counts: &mut [f64]) {
            for &c in v {
                counts[c.index()] += 1.0;
            }
        }
        match self {
            Codes::U8(v) => each(v, counts),
            Codes::U16(v) => each(v, counts),
            Codes::U32(v) => each(v, counts),
        }
    }

    /// For rows `start..start + index.len()`: `index[i] += lookup[code] · stride`.
    pub(crate) fn add_cells(
        &self,
        start: usize,
        index: &mut [usize],
        lookup: &[u32],
        stride: usize,
    ) {
        fn each<T: Code>(v: &[T], index: &mut [usize], lookup: &[u32], stride: usize) {
            for (i, &c) in index.iter_mut().zip(v) {
                *i += lookup[c.index()] as usize * stride;
            }
        }
        let end = start + index.len();
        match self {
            Codes::U8(v) => each(&v[start..end], index, lookup, stride),
            Codes::U16(v) => each(&v[start..end], index, lookup, stride),
            Codes::U32(v) => each(&v[start..end], index, lookup, stride),
        }
    }
}

/// The fine cells of `coding`'s column in `batch`, appended to `out` (cleared first).
///
/// Categories are matched by label when the batch's domain is not the coding's (labels
/// discovered from the data differ from batch to batch; declared ones are the coding's).
///
/// # Errors
/// [`ModelError::Internal`] for a column that does not match its coding (every batch was
/// checked against the schema before).
pub(crate) fn encode_batch(batch: &Table, coding: &Coding, out: &mut Vec<u32>) -> Result<()> {
    out.clear();
    let column = batch
        .columns()
        .get(coding.column)
        .ok_or(ModelError::Internal("a coded column is missing"))?;
    let null = coding.null_cell();
    match (column.data(), &coding.cells) {
        (ColumnData::Categorical(v), FineCells::Categories { labels }) => {
            let last = labels.len().saturating_sub(1) as u32;
            let remap: Option<Vec<u32>> = match column.domain() {
                Some(domain) if domain != labels.as_slice() => {
                    let position: HashMap<&str, u32> = labels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.as_str(), i as u32))
                        .collect();
                    Some(
                        domain
                            .iter()
                            .map(|l| {
                                position
                                    .get(l.as_str())
                                    .copied()
                                    .ok_or(ModelError::Internal("a category outside the coding"))
                            })
                            .collect::<Result<_>>()?,
                    )
                }
                _ => None,
            };
            out.extend(v.iter().enumerate().map(|(i, &x)| match null {
                Some(n) if column.is_null(i) => n as u32,
                _ => match &remap {
                    Some(r) => r.get(x as usize).copied().unwrap_or(last),
                    None => x.min(last),
                },
            }));
        }
        (ColumnData::Continuous(v), FineCells::Numeric { grid }) => {
            out.extend(v.iter().enumerate().map(|(i, &x)| match null {
                Some(n) if column.is_null(i) => n as u32,
                _ => grid.cell_of(x) as u32,
            }));
        }
        _ => return Err(ModelError::Internal("a column does not match its coding")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_width_is_the_narrowest_that_holds_the_cells() {
        assert!(matches!(Codes::for_cells(256), Codes::U8(_)));
        assert!(matches!(Codes::for_cells(257), Codes::U16(_)));
        assert!(matches!(Codes::for_cells(65_536), Codes::U16(_)));
        assert!(matches!(Codes::for_cells(65_537), Codes::U32(_)));
        let mut c = Codes::for_cells(256);
        c.extend(&[0, 255, 3]).unwrap();
        assert!(c.extend(&[256]).is_err());
        let mut counts = vec![0.0; 256];
        c.count_into(&mut counts);
        assert_eq!((counts[0], counts[3], counts[255]), (1.0, 1.0, 1.0));
        let mut index = vec![1, 1];
        let mut lookup = vec![0u32; 256];
        lookup[255] = 7;
        lookup[3] = 2;
        c.add_cells(1, &mut index, &lookup, 10);
        assert_eq!(index, [71, 21]);
    }
}
