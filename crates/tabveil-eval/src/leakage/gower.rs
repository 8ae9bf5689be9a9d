//! Gower distances between rows and the nearest-neighbour search behind every leakage metric.
//!
//! Per column, in [0, 1]: categorical (and boolean) columns give 0 when equal and 1 otherwise;
//! continuous (and datetime) columns give |a − b| / range, capped at 1, with the range taken from
//! the real training table. A missing value is at distance 0 from a missing value and 1 from
//! anything else. The Gower distance is the mean over the columns used (identifiers are never
//! used).
//!
//! The search keeps the reference rows column-major as `f32` (continuous values pre-divided by
//! the range, missing values a far-away sentinel so |a − b| caps at 1 without a branch; codes
//! with missing as `u32::MAX`) and scans them in blocks of [`BLOCK`] rows: the per-column loops
//! vectorise, and a block is dropped as soon as every partial distance in it exceeds the best
//! distance found so far (partial sums only grow). Queries are split over threads.

use crate::frame::{Frame, Layout, Values};

/// Rows scanned together; a block is abandoned once all its partial distances exceed the best.
pub(crate) const BLOCK: usize = 64;
/// Stands for a missing continuous value: |sentinel − x| ≥ 1 for any normalised x.
const MISSING_SENTINEL: f32 = 1.0e6;

/// How each used column is normalised.
#[derive(Debug, Clone)]
pub(crate) struct GowerSpace {
    /// (layout column, 1 / range) of the continuous columns used.
    continuous: Vec<(usize, f64)>,
    /// Layout columns of the categorical columns used.
    categorical: Vec<usize>,
}

/// Rows encoded for the search, column-major.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub n_rows: usize,
    continuous: Vec<Vec<f32>>,
    categorical: Vec<Vec<u32>>,
}

impl GowerSpace {
    /// Uses every non-identifier column except `exclude`, with ranges from `reference` (the
    /// real training table). A constant or empty column gets range 1.
    pub fn new(layout: &Layout, reference: &Frame, exclude: Option<usize>) -> Self {
        let mut continuous = Vec::new();
        let mut categorical = Vec::new();
        for (j, spec) in layout.columns.iter().enumerate() {
            if Some(j) == exclude {
                continue;
            }
            if spec.kind.is_continuous() {
                let (lo, hi) = reference
                    .continuous(j)
                    .iter()
                    .filter(|v| v.is_finite())
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                        (lo.min(v), hi.max(v))
                    });
                let range = hi - lo;
                let inv = if range.is_finite() && range > 0.0 {
                    1.0 / range
                } else {
                    1.0
                };
                continuous.push((j, inv));
            } else if spec.kind.is_discrete() {
                categorical.push(j);
            }
        }
        Self {
            continuous,
            categorical,
        }
    }

    /// Number of columns a distance averages over.
    pub fn n_columns(&self) -> usize {
        self.continuous.len() + self.categorical.len()
    }

    /// Encodes the rows of `frame` for the search.
    pub fn encode(&self, frame: &Frame) -> Encoded {
        let continuous = self
            .continuous
            .iter()
            .map(|&(j, inv)| match &frame.columns[j] {
                Values::Continuous(v) => v
                    .iter()
                    .map(|&x| {
                        if x.is_finite() {
                            (x * inv) as f32
                        } else {
                            MISSING_SENTINEL
                        }
                    })
                    .collect(),
                _ => vec![MISSING_SENTINEL; frame.n_rows],
            })
            .collect();
        let categorical = self
            .categorical
            .iter()
            .map(|&j| match &frame.columns[j] {
                Values::Categorical(v) => v.iter().map(|c| c.unwrap_or(u32::MAX)).collect(),
                _ => vec![u32::MAX; frame.n_rows],
            })
            .collect();
        Encoded {
            n_rows: frame.n_rows,
            continuous,
            categorical,
        }
    }
}

/// The nearest reference row of one query row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Nearest {
    /// Gower distance in [0, 1].
    pub distance: f64,
    /// Index of the nearest reference row (the first one among ties).
    pub index: usize,
}

/// Marks a block whose rows do not all share one code in a categorical column.
const MIXED: u32 = u32::MAX - 1;

/// Reference rows sorted so that similar rows sit together, with a bounding box per block:
/// the code every row of the block shares in a categorical column (or [`MIXED`]), and the
/// [min, max] of every continuous column. The box gives a lower bound of the distance from a
/// query to any row of the block, so most blocks are skipped without reading their rows.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    rows: Encoded,
    /// Original index of each sorted row.
    order: Vec<usize>,
    /// Per block, per categorical column: the shared code or [`MIXED`].
    shared_codes: Vec<Vec<u32>>,
    /// Per block, per continuous column: (min, max).
    ranges: Vec<Vec<(f32, f32)>>,
    /// Order in which the sort key reads the categorical columns.
    key_columns: Vec<usize>,
}

impl Reference {
    /// Sorts `rows` lexicographically by their categorical codes (columns with fewer distinct
    /// values first, so the leading columns are constant over long runs), then by their
    /// continuous values, and computes the block boxes.
    pub fn new(rows: &Encoded) -> Self {
        let mut key_columns: Vec<usize> = (0..rows.categorical.len()).collect();
        let distinct = |col: &[u32]| {
            let mut v = col.to_vec();
            v.sort_unstable();
            v.dedup();
            v.len()
        };
        let cardinality: Vec<usize> = rows.categorical.iter().map(|c| distinct(c)).collect();
        key_columns.sort_by_key(|&j| (cardinality[j], j));
        let mut order: Vec<usize> = (0..rows.n_rows).collect();
        order.sort_by(|&a, &b| {
            key_columns
                .iter()
                .map(|&j| rows.categorical[j][a].cmp(&rows.categorical[j][b]))
                .chain(rows.continuous.iter().map(|c| c[a].total_cmp(&c[b])))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let sorted = Encoded {
            n_rows: rows.n_rows,
            continuous: rows
                .continuous
                .iter()
                .map(|c| order.iter().map(|&i| c[i]).collect())
                .collect(),
            categorical: rows
                .categorical
                .iter()
                .map(|c| order.iter().map(|&i| c[i]).collect())
                .collect(),
        };
        let mut shared_codes = Vec::new();
        let mut ranges = Vec::new();
        let mut start = 0;
        while start < sorted.n_rows {
            let end = (start + BLOCK).min(sorted.n_rows);
            shared_codes.push(
                sorted
                    .categorical
                    .iter()
                    .map(|c| {
                        let first = c[start];
                        if c[start..end].iter().all(|&v| v == first) {
                            first
                        } else {
                            MIXED
                        }
                    })
                    .collect(),
            );
            ranges.push(
                sorted
                    .continuous
                    .iter()
                    .map(|c| {
                        c[start..end]
                            .iter()
                            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                                (lo.min(v), hi.max(v))
                            })
                    })
                    .collect(),
            );
            start = end;
        }
        Self {
            rows: sorted,
            order,
            shared_codes,
            ranges,
            key_columns,
        }
    }

    /// The block where rows sharing the query's categorical codes start (a good first guess).
    fn home_block(&self, query_categorical: &[u32]) -> usize {
        let below = |row: usize| {
            for &j in &self.key_columns {
                let (r, q) = (self.rows.categorical[j][row], query_categorical[j]);
                if r != q {
                    return r < q;
                }
            }
            false
        };
        let (mut lo, mut hi) = (0usize, self.rows.n_rows);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if below(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo / BLOCK).min(self.shared_codes.len().saturating_sub(1))
    }
}

/// For every row of `queries`, its nearest row of `reference` (both encoded in `space`), using
/// up to `threads` threads. `None` entries only when `reference` is empty.
pub(crate) fn nearest(
    space: &GowerSpace,
    queries: &Encoded,
    reference: &Reference,
    threads: usize,
) -> Vec<Option<Nearest>> {
    let p = space.n_columns().max(1) as f64;
    let threads = threads.max(1).min(queries.n_rows.max(1));
    let chunk = queries.n_rows.div_ceil(threads).max(1);
    let mut out: Vec<Option<Nearest>> = vec![None; queries.n_rows];
    std::thread::scope(|scope| {
        for (t, slot) in out.chunks_mut(chunk).enumerate() {
            let start = t * chunk;
            scope.spawn(move || {
                let mut scratch = Scratch::new(queries);
                for (k, result) in slot.iter_mut().enumerate() {
                    *result =
                        scratch
                            .nearest_of(start + k, queries, reference)
                            .map(|(sum, index)| Nearest {
                                distance: f64::from(sum) / p,
                                index,
                            });
                }
            });
        }
    });
    out
}

struct Scratch {
    acc: [f32; BLOCK],
    query_continuous: Vec<f32>,
    query_categorical: Vec<u32>,
}

impl Scratch {
    fn new(queries: &Encoded) -> Self {
        Self {
            acc: [0.0; BLOCK],
            query_continuous: vec![0.0; queries.continuous.len()],
            query_categorical: vec![0; queries.categorical.len()],
        }
    }

    /// (sum of per-column distances, original index) of the nearest reference row to query `q`.
    fn nearest_of(
        &mut self,
        q: usize,
        queries: &Encoded,
        reference: &Reference,
    ) -> Option<(f32, usize)> {
        for (slot, col) in self.query_continuous.iter_mut().zip(&queries.continuous) {
            *slot = col[q];
        }
        for (slot, col) in self.query_categorical.iter_mut().zip(&queries.categorical) {
            *slot = col[q];
        }
        let rows = &reference.rows;
        let n_blocks = reference.shared_codes.len();
        let home = reference.home_block(&self.query_categorical);
        let mut best = f32::INFINITY;
        let mut best_row: Option<usize> = None;
        for step in 0..n_blocks {
            let block = (home + step) % n_blocks;
            // Lower bound of the distance to any row of the block, from its box.
            let mut bound = 0.0f32;
            for (&shared, &qv) in reference.shared_codes[block]
                .iter()
                .zip(&self.query_categorical)
            {
                bound += f32::from(u8::from(shared != MIXED && shared != qv));
            }
            for (&(lo, hi), &qv) in reference.ranges[block].iter().zip(&self.query_continuous) {
                bound += (lo - qv).max(qv - hi).clamp(0.0, 1.0);
            }
            if bound > best {
                continue;
            }
            let start = block * BLOCK;
            let len = BLOCK.min(rows.n_rows - start);
            let acc = &mut self.acc[..len];
            acc.fill(0.0);
            let mut alive = true;
            // Categorical columns first: cheap, and one mismatch already costs a whole unit.
            for (col, &qv) in rows.categorical.iter().zip(&self.query_categorical) {
                for (a, &v) in acc.iter_mut().zip(&col[start..start + len]) {
                    *a += f32::from(u8::from(v != qv));
                }
            }
            if block_min(acc) > best {
                alive = false;
            }
            if alive {
                for (c, (col, &qv)) in rows
                    .continuous
                    .iter()
                    .zip(&self.query_continuous)
                    .enumerate()
                {
                    for (a, &v) in acc.iter_mut().zip(&col[start..start + len]) {
                        *a += (v - qv).abs().min(1.0);
                    }
                    // Re-check every other column: the check costs about one column's work.
                    if c % 2 == 1 && block_min(acc) > best {
                        alive = false;
                        break;
                    }
                }
            }
            if alive {
                for (k, &a) in acc.iter().enumerate() {
                    let original = reference.order[start + k];
                    // Ties go to the smallest original index, whatever the visiting order.
                    if a < best || (a == best && best_row.is_some_and(|b| original < b)) {
                        best = a;
                        best_row = Some(original);
                    }
                }
            }
        }
        best_row.map(|i| (best, i))
    }
}

fn block_min(acc: &[f32]) -> f32 {
    acc.iter().copied().fold(f32::INFINITY, f32::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{ColumnSpec, SdType};

    fn layout() -> Layout {
        Layout {
            columns: vec![
                ColumnSpec {
                    name: "x".into(),
                    kind: SdType::Continuous,
                    categories: vec![],
                },
                ColumnSpec {
                    name: "c".into(),
                    kind: SdType::Categorical,
                    categories: vec!["a".into(), "b".into()],
                },
                ColumnSpec {
                    name: "id".into(),
                    kind: SdType::Id,
                    categories: vec![],
                },
            ],
        }
    }

    fn frame(x: Vec<f64>, c: Vec<Option<u32>>) -> Frame {
        let n = x.len();
        Frame {
            n_rows: n,
            columns: vec![
                Values::Continuous(x),
                Values::Categorical(c),
                Values::Ignored(n),
            ],
        }
    }

    /// Brute-force Gower distance, written from the definition.
    fn gower(layout: &Layout, range: f64, a: &Frame, i: usize, b: &Frame, k: usize) -> f64 {
        let _ = layout;
        let (x, y) = (a.continuous(0)[i], b.continuous(0)[k]);
        let dx = match (x.is_nan(), y.is_nan()) {
            (true, true) => 0.0,
            (true, false) | (false, true) => 1.0,
            _ => ((x - y).abs() / range).min(1.0),
        };
        let dc = if a.categorical(1)[i] == b.categorical(1)[k] {
            0.0
        } else {
            1.0
        };
        (dx + dc) / 2.0
    }

    #[test]
    fn hand_checked_distances() {
        let l = layout();
        // Range of x in the reference: 10.
        let reference = frame(vec![0.0, 10.0, 5.0], vec![Some(0), Some(1), None]);
        let space = GowerSpace::new(&l, &reference, None);
        assert_eq!(space.n_columns(), 2);
        let queries = frame(vec![5.0, 1.0, f64::NAN], vec![None, Some(0), Some(1)]);
        let got = nearest(
            &space,
            &space.encode(&queries),
            &Reference::new(&space.encode(&reference)),
            2,
        );
        // (5, missing) is an exact copy of reference row 2.
        assert_eq!(
            got[0],
            Some(Nearest {
                distance: 0.0,
                index: 2
            })
        );
        // (1, a): row 0 at (0.1 + 0) / 2.
        let n1 = got[1].unwrap();
        assert_eq!(n1.index, 0);
        assert!((n1.distance - 0.05).abs() < 1e-6);
        // (missing, b): row 1 at (1 + 0) / 2.
        let n2 = got[2].unwrap();
        assert_eq!(n2.index, 1);
        assert!((n2.distance - 0.5).abs() < 1e-6);
    }

    #[test]
    fn matches_brute_force_across_blocks() {
        use rand::{Rng, SeedableRng};
        let l = layout();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut make = |n: usize| {
            let x = (0..n)
                .map(|_| {
                    if rng.random_bool(0.05) {
                        f64::NAN
                    } else {
                        rng.random_range(0.0..50.0)
                    }
                })
                .collect();
            let c = (0..n)
                .map(|_| {
                    if rng.random_bool(0.05) {
                        None
                    } else {
                        Some(rng.random_range(0..2))
                    }
                })
                .collect();
            frame(x, c)
        };
        let reference = make(300);
        let queries = make(97);
        let space = GowerSpace::new(&l, &reference, None);
        let range = {
            let v: Vec<f64> = reference
                .continuous(0)
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                - v.iter().copied().fold(f64::INFINITY, f64::min)
        };
        let got = nearest(
            &space,
            &space.encode(&queries),
            &Reference::new(&space.encode(&reference)),
            3,
        );
        for (i, g) in got.iter().enumerate() {
            let best = (0..reference.n_rows)
                .map(|k| gower(&l, range, &queries, i, &reference, k))
                .fold(f64::INFINITY, f64::min);
            assert!((g.unwrap().distance - best).abs() < 1e-5, "row {i}");
        }
    }
}
