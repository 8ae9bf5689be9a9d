//! Factors: functions of a few attributes stored as flat `f64` arrays (row-major, the last
//! attribute varying fastest), and the index maps that make the hot loops of inference
//! gathers and scatters over flat slices.
//!
//! An attribute set ("clique") is a sorted, duplicate-free `Vec<usize>` of attribute indices;
//! `sizes[a]` is attribute `a`'s number of cells.

/// The sorted attribute set of a clique.
pub(crate) type Clique = Vec<usize>;

/// A function of the attributes `attrs` (sorted), one value per joint cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Factor {
    /// The attributes, sorted.
    pub(crate) attrs: Clique,
    /// Cells per attribute, in the order of `attrs`.
    pub(crate) shape: Vec<usize>,
    /// One value per joint cell, row-major.
    pub(crate) values: Vec<f64>,
}

impl Factor {
    /// The constant factor `value` over `attrs`.
    pub(crate) fn filled(attrs: &[usize], sizes: &[usize], value: f64) -> Self {
        let shape: Vec<usize> = attrs.iter().map(|&a| sizes[a]).collect();
        let n = shape.iter().product();
        Factor {
            attrs: attrs.to_vec(),
            shape,
            values: vec![value; n],
        }
    }

    /// A factor over `attrs` with the given values (row-major).
    pub(crate) fn from_values(attrs: &[usize], sizes: &[usize], values: Vec<f64>) -> Option<Self> {
        let shape: Vec<usize> = attrs.iter().map(|&a| sizes[a]).collect();
        (shape.iter().product::<usize>() == values.len()).then(|| Factor {
            attrs: attrs.to_vec(),
            shape,
            values,
        })
    }

    /// Σ of the values.
    pub(crate) fn total(&self) -> f64 {
        self.values.iter().sum()
    }

    /// The sum of the values onto the sub-clique `onto` (which must be ⊆ `attrs`).
    pub(crate) fn sum_onto(&self, onto: &[usize], sizes: &[usize]) -> Factor {
        let map = projection_map(&self.attrs, &self.shape, onto);
        let mut out = Factor::filled(onto, sizes, 0.0);
        scatter_add(&self.values, &map, &mut out.values);
        out
    }

    /// The product `self · other` over the union of both attribute sets.
    pub(crate) fn product(&self, other: &Factor, sizes: &[usize]) -> Factor {
        let attrs = union(&self.attrs, &other.attrs);
        let mut out = Factor::filled(&attrs, sizes, 1.0);
        let a = projection_map(&out.attrs, &out.shape, &self.attrs);
        let b = projection_map(&out.attrs, &out.shape, &other.attrs);
        for ((v, &i), &j) in out.values.iter_mut().zip(&a).zip(&b) {
            *v = self.values[i as usize] * other.values[j as usize];
        }
        out
    }

    /// `self / other` where `other.attrs ⊆ self.attrs`; 0 / 0 is 0.
    pub(crate) fn divide_by(&mut self, other: &Factor) {
        let map = projection_map(&self.attrs, &self.shape, &other.attrs);
        for (v, &j) in self.values.iter_mut().zip(&map) {
            let d = other.values[j as usize];
            *v = if d > 0.0 { *v / d } else { 0.0 };
        }
    }

    /// The slice where attribute `attr` (one of `attrs`) takes cell `cell`, as a factor over
    /// the same attributes in which `attr` has a single cell.
    pub(crate) fn slice(&self, attr: usize, cell: usize) -> Factor {
        let Some(pos) = self.attrs.iter().position(|&a| a == attr) else {
            return self.clone();
        };
        let inner: usize = self.shape[pos + 1..].iter().product();
        let width = self.shape[pos];
        let outer = self.values.len() / (inner * width).max(1);
        let mut values = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            let start = (o * width + cell) * inner;
            values.extend_from_slice(&self.values[start..start + inner]);
        }
        let mut shape = self.shape.clone();
        shape[pos] = 1;
        Factor {
            attrs: self.attrs.clone(),
            shape,
            values,
        }
    }
}

/// For every cell of a factor over `attrs` (with `shape`), the index of its cell in the
/// factor over the sub-clique `sub` (⊆ `attrs`, sorted). `u32` indices keep the maps small;
/// models are refused long before a clique has 2³² cells.
pub(crate) fn projection_map(attrs: &[usize], shape: &[usize], sub: &[usize]) -> Vec<u32> {
    let n: usize = shape.iter().product();
    // Stride of each of `attrs` in the sub factor (0 when not in `sub`).
    let mut strides = vec![0usize; attrs.len()];
    let mut stride = 1usize;
    for (k, &a) in attrs.iter().enumerate().rev() {
        if sub.binary_search(&a).is_ok() {
            strides[k] = stride;
            stride *= shape[k];
        }
    }
    let mut map = Vec::with_capacity(n);
    if attrs.is_empty() {
        map.push(0);
        return map;
    }
    let mut counter = vec![0usize; attrs.len()];
    let mut index = 0usize;
    let last = attrs.len() - 1;
    for _ in 0..n {
        map.push(index as u32);
        // Odometer increment, updating the sub index incrementally.
        let mut k = last;
        loop {
            counter[k] += 1;
            index += strides[k];
            if counter[k] < shape[k] {
                break;
            }
            index -= strides[k] * shape[k];
            counter[k] = 0;
            if k == 0 {
                break;
            }
            k -= 1;
        }
    }
    map
}

/// `dst[i] += src[map[i]]` (broadcast of a sub factor into a larger one).
#[inline]
pub(crate) fn gather_add(dst: &mut [f64], src: &[f64], map: &[u32]) {
    for (d, &j) in dst.iter_mut().zip(map) {
        *d += src[j as usize];
    }
}

/// `dst[map[i]] += src[i]` (sum of a factor onto a sub factor; `dst` is not cleared).
#[inline]
pub(crate) fn scatter_add(src: &[f64], map: &[u32], dst: &mut [f64]) {
    for (&s, &j) in src.iter().zip(map) {
        dst[j as usize] += s;
    }
}

/// `dst[j] = log Σ_{i: map[i] = j} exp(src[i])`: the log-space sum onto a sub factor.
/// Every `src` value must be finite; `dst` is overwritten.
pub(crate) fn logsumexp_onto(src: &[f64], map: &[u32], dst: &mut [f64]) {
    dst.fill(f64::NEG_INFINITY);
    for (&s, &j) in src.iter().zip(map) {
        let d = &mut dst[j as usize];
        if s > *d {
            *d = s;
        }
    }
    // Second pass: Σ exp(src − max) per cell, in a stack buffer for small sub factors.
    if dst.len() <= STACK_SEPARATOR {
        let mut acc = [0.0f64; STACK_SEPARATOR];
        for (&s, &j) in src.iter().zip(map) {
            acc[j as usize] += (s - dst[j as usize]).exp();
        }
        for (d, a) in dst.iter_mut().zip(acc.iter()) {
            *d += a.ln();
        }
    } else {
        let mut acc = vec![0.0f64; dst.len()];
        for (&s, &j) in src.iter().zip(map) {
            acc[j as usize] += (s - dst[j as usize]).exp();
        }
        for (d, a) in dst.iter_mut().zip(&acc) {
            *d += a.ln();
        }
    }
}

/// Separators up to this many cells are summed in a stack buffer (no allocation).
const STACK_SEPARATOR: usize = 512;

/// log Σ exp(values) (−∞ for an empty slice).
pub(crate) fn logsumexp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// The sorted union of two sorted cliques.
pub(crate) fn union(a: &[usize], b: &[usize]) -> Clique {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                out.push(x);
                i += 1;
                j += 1;
            }
            (Some(&x), Some(&y)) if x < y => {
                out.push(x);
                i += 1;
            }
            (Some(_), Some(&y)) => {
                out.push(y);
                j += 1;
            }
            (Some(&x), None) => {
                out.push(x);
                i += 1;
            }
            (None, Some(&y)) => {
                out.push(y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// The sorted intersection of two sorted cliques.
pub(crate) fn intersection(a: &[usize], b: &[usize]) -> Clique {
    a.iter()
        .copied()
        .filter(|x| b.binary_search(x).is_ok())
        .collect()
}

/// True when sorted `a` ⊆ sorted `b`.
pub(crate) fn is_subset(a: &[usize], b: &[usize]) -> bool {
    a.iter().all(|x| b.binary_search(x).is_ok())
}

/// Number of joint cells of `attrs` (saturating).
pub(crate) fn cells(attrs: &[usize], sizes: &[usize]) -> usize {
    attrs
        .iter()
        .fold(1usize, |acc, &a| acc.saturating_mul(sizes[a]))
}

#[cfg(test)]
mod tests;
