//! Forward sampling on the junction tree: the root clique's cells are drawn jointly, then each
//! clique's new attributes given the separator it shares with its parent. Counts are rounded
//! to exact totals as private-pgm's `synthetic_data` does: a cell of probability p gets
//! ⌊n·p⌋ rows and the remainders are handed out without replacement in proportion to the
//! fractional parts, which removes most of the multinomial sampling noise; the rows are then
//! shuffled. All randomness here is ordinary (the user's seed): sampling is post-processing.

use rand::Rng;
use rand::seq::SliceRandom;

use super::factor::{Clique, cells, projection_map};
use super::junction_tree::JunctionTree;

/// `n` rows of model cells (`out[attribute][row]`) drawn from the calibrated `marginals` of
/// `tree`'s cliques (over attributes with `sizes` cells).
pub(crate) fn forward_sample<R: Rng + ?Sized>(
    tree: &JunctionTree,
    sizes: &[usize],
    marginals: &[Vec<f64>],
    n: usize,
    rng: &mut R,
) -> Vec<Vec<u32>> {
    let mut out = vec![vec![0u32; n]; sizes.len()];
    let Some(root) = tree.cliques.first() else {
        return out;
    };
    // Root: exact counts per joint cell, then shuffled over the rows.
    let counts = exact_counts(&marginals[0], n, rng);
    let mut rows: Vec<u32> = Vec::with_capacity(n);
    for (cell, &c) in counts.iter().enumerate() {
        rows.extend(std::iter::repeat_n(cell as u32, c));
    }
    rows.shuffle(rng);
    write_cells(root, sizes, &rows, &(0..n).collect::<Vec<_>>(), &mut out);
    for &(p, c) in &tree.edges {
        let clique = &tree.cliques[c];
        let sep: Clique = clique
            .iter()
            .copied()
            .filter(|a| tree.cliques[p].contains(a))
            .collect();
        let new: Clique = clique
            .iter()
            .copied()
            .filter(|a| !sep.contains(a))
            .collect();
        if new.is_empty() {
            continue;
        }
        let shape: Vec<usize> = clique.iter().map(|&a| sizes[a]).collect();
        let to_sep = projection_map(clique, &shape, &sep);
        let to_new = projection_map(clique, &shape, &new);
        let (n_sep, n_new) = (cells(&sep, sizes), cells(&new, sizes));
        // cond[s · n_new + k]: the clique's mass at separator cell s and new cell k.
        let mut cond = vec![0.0; n_sep * n_new];
        for ((&m, &s), &k) in marginals[c].iter().zip(&to_sep).zip(&to_new) {
            cond[s as usize * n_new + k as usize] += m;
        }
        // Rows bucketed by their separator cell.
        let sep_of = separator_cells(&sep, sizes, &out, n);
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); n_sep];
        for (row, &s) in sep_of.iter().enumerate() {
            buckets[s].push(row);
        }
        for (s, bucket) in buckets.iter().enumerate() {
            if bucket.is_empty() {
                continue;
            }
            let counts = exact_counts(&cond[s * n_new..(s + 1) * n_new], bucket.len(), rng);
            let mut cells_new: Vec<u32> = Vec::with_capacity(bucket.len());
            for (k, &c) in counts.iter().enumerate() {
                cells_new.extend(std::iter::repeat_n(k as u32, c));
            }
            cells_new.shuffle(rng);
            write_cells(&new, sizes, &cells_new, bucket, &mut out);
        }
    }
    out
}

/// Counts summing to `n` in proportion to the non-negative `weights` (uniform when they sum
/// to 0): ⌊n·p⌋ each, the rest one by one without replacement in proportion to the
/// fractional parts (Efraimidis–Spirakis keys).
pub(crate) fn exact_counts<R: Rng + ?Sized>(weights: &[f64], n: usize, rng: &mut R) -> Vec<usize> {
    let k = weights.len();
    if k == 0 {
        return Vec::new();
    }
    let sum: f64 = weights.iter().map(|w| w.max(0.0)).sum();
    let p = |i: usize| {
        if sum > 0.0 {
            weights[i].max(0.0) / sum
        } else {
            1.0 / k as f64
        }
    };
    let mut counts = Vec::with_capacity(k);
    let mut fractions = Vec::with_capacity(k);
    let mut assigned = 0usize;
    for i in 0..k {
        let x = n as f64 * p(i);
        let f = x.floor();
        counts.push(f as usize);
        fractions.push(x - f);
        assigned += f as usize;
    }
    // Rounding can leave Σ⌊n·p⌋ a hair above n: take back from the largest counts.
    while assigned > n {
        if let Some(i) = (0..k).max_by_key(|&i| counts[i]) {
            counts[i] -= 1;
        }
        assigned -= 1;
    }
    let remainder = n - assigned;
    if remainder > 0 {
        let mut keys: Vec<(f64, usize)> = fractions
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                // u^(1/w), in log form: larger for larger w. A cell without a fractional
                // part comes after every other, and one of probability 0 last of all.
                let key = if w > 0.0 {
                    u.ln() / w
                } else if p(i) > 0.0 {
                    f64::MIN
                } else {
                    f64::NEG_INFINITY
                };
                (key, i)
            })
            .collect();
        keys.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in keys.iter().take(remainder) {
            counts[i] += 1;
        }
    }
    counts
}

/// Writes joint cells of `attrs` (one per listed row) into the per-attribute cells.
fn write_cells(
    attrs: &[usize],
    sizes: &[usize],
    joint: &[u32],
    rows: &[usize],
    out: &mut [Vec<u32>],
) {
    for (&cell, &row) in joint.iter().zip(rows) {
        let mut rest = cell as usize;
        for &a in attrs.iter().rev() {
            out[a][row] = (rest % sizes[a]) as u32;
            rest /= sizes[a];
        }
    }
}

/// Each row's joint cell over `sep` (row-major, last attribute fastest).
fn separator_cells(sep: &[usize], sizes: &[usize], cells: &[Vec<u32>], n: usize) -> Vec<usize> {
    let mut out = vec![0usize; n];
    for &a in sep {
        for (o, &c) in out.iter_mut().zip(&cells[a]) {
            *o = *o * sizes[a] + c as usize;
        }
    }
    out
}

#[cfg(test)]
mod tests;
