//! One regression tree of the boosting: grown best-first on gradient / hessian histograms, as
//! scikit-learn's `TreeGrower` and `Splitter` do it.
//!
//! - A node's histogram holds, per feature and bin, the sums of the gradients and hessians of its
//!   rows and their count. The smaller child's histogram is built from its rows, the larger
//!   child's by subtracting it from the parent's.
//! - The gain of a split is `G_L²/H_L + G_R²/H_R − G²/H` (Chen & Guestrin 2016, eq. 7; the root
//!   leaves out `G²/H`, as scikit-learn does, which only scales the root's gain). A split needs
//!   a positive gain, [`MIN_ROWS_PER_LEAF`] rows and a hessian sum of [`MIN_HESSIAN_TO_SPLIT`]
//!   on each side.
//! - Per feature, the bins are scanned left to right with missing values on the right, then,
//!   when the training values had missing values, right to left with them on the left. A
//!   feature without missing values in training sends them to the child with more rows.
//! - The open node of highest gain splits next, until [`MAX_LEAVES`] leaves; a leaf's value is
//!   `−G/H` times [`LEARNING_RATE`] (the root as a leaf predicts 0).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use super::binning::{BinMapper, Binned, MISSING_BIN, N_BINS};
use super::{LEARNING_RATE, MAX_LEAVES, MIN_ROWS_PER_LEAF};

/// A side of a split needs at least this hessian sum (scikit-learn's `min_hessian_to_split`).
const MIN_HESSIAN_TO_SPLIT: f64 = 1e-3;

/// A fitted tree.
#[derive(Debug, Clone)]
pub(super) struct Tree {
    /// Node 0 is the root.
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, Copy)]
enum Node {
    Leaf {
        /// Already multiplied by the learning rate.
        value: f64,
    },
    Split {
        feature: usize,
        /// Rows with a non-missing bin ≤ `bin` go left.
        bin: u8,
        missing_left: bool,
        left: usize,
        right: usize,
    },
}

impl Tree {
    /// The tree's value for row `row` of `binned`.
    pub fn predict(&self, binned: &Binned, row: usize) -> f64 {
        let mut k = 0;
        loop {
            match self.nodes[k] {
                Node::Leaf { value } => return value,
                Node::Split {
                    feature,
                    bin,
                    missing_left,
                    left,
                    right,
                } => {
                    let b = binned.columns[feature][row];
                    let goes_left = if b == MISSING_BIN {
                        missing_left
                    } else {
                        b <= bin
                    };
                    k = if goes_left { left } else { right };
                }
            }
        }
    }

    /// The number of leaves.
    #[cfg(test)]
    pub fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }
}

/// Grows trees on one binned training table, reusing its buffers.
#[derive(Debug)]
pub(super) struct Grower<'a> {
    binned: &'a Binned,
    bins: &'a BinMapper,
    /// Row indices, partitioned so that every node's rows are a contiguous range.
    rows: Vec<u32>,
    scratch: Vec<u32>,
    /// The leaves of the last tree grown: node index and row range.
    leaves: Vec<(usize, Range<usize>)>,
}

/// Sums over the rows of one bin.
#[derive(Debug, Clone, Copy, Default)]
struct BinStats {
    gradient: f64,
    hessian: f64,
    count: u32,
}

/// One node's bins, per feature.
type Histogram = Vec<[BinStats; N_BINS]>;

/// The best split of a node.
#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
    n_left: usize,
    gradient_left: f64,
    hessian_left: f64,
}

/// A node's rows and sums.
#[derive(Debug, Clone)]
struct NodeRows {
    node: usize,
    rows: Range<usize>,
    gradient: f64,
    hessian: f64,
}

/// A node that can split, waiting in the queue.
#[derive(Debug)]
struct Open {
    at: NodeRows,
    histogram: Histogram,
    split: Split,
    /// Order of arrival, to break ties in gain the same way on every run.
    seq: usize,
}

impl PartialEq for Open {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Open {}

impl PartialOrd for Open {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Open {
    /// Higher gain first; among equal gains, the earlier node.
    fn cmp(&self, other: &Self) -> Ordering {
        self.split
            .gain
            .total_cmp(&other.split.gain)
            .then(other.seq.cmp(&self.seq))
    }
}

impl<'a> Grower<'a> {
    pub fn new(binned: &'a Binned, bins: &'a BinMapper) -> Self {
        Self {
            binned,
            bins,
            rows: Vec::with_capacity(binned.n_rows),
            scratch: Vec::new(),
            leaves: Vec::new(),
        }
    }

    /// Grows one tree on the gradients and hessians of the rows.
    pub fn grow(&mut self, gradients: &[f64], hessians: &[f64]) -> Tree {
        let n = self.binned.n_rows;
        self.rows.clear();
        // Row indices fit in u32: the tables we evaluate hold far fewer rows.
        self.rows.extend((0..n).map(|i| i as u32));
        self.leaves.clear();
        let mut nodes = vec![Node::Leaf { value: 0.0 }];
        let root = NodeRows {
            node: 0,
            rows: 0..n,
            gradient: gradients.iter().sum(),
            hessian: hessians.iter().sum(),
        };
        let mut queue = BinaryHeap::new();
        let mut seq = 0;
        if n >= 2 * MIN_ROWS_PER_LEAF && root.hessian >= MIN_HESSIAN_TO_SPLIT {
            let histogram = self.histogram(root.rows.clone(), gradients, hessians);
            // The root's value is 0 until it splits (scikit-learn's `TreeNode(value=0)`).
            match self.best_split(&histogram, &root, 0.0) {
                Some(split) => queue.push(Open {
                    at: root,
                    histogram,
                    split,
                    seq,
                }),
                None => self.leaves.push((root.node, root.rows)),
            }
        } else {
            self.leaves.push((root.node, root.rows));
        }

        let mut n_leaves = 1;
        while let Some(open) = queue.pop() {
            let Open {
                at,
                mut histogram,
                split,
                ..
            } = open;
            let (left, right) = self.split_rows(&at, &split, &mut nodes);
            n_leaves += 1;
            if n_leaves == MAX_LEAVES {
                self.leaves.push((left.node, left.rows));
                self.leaves.push((right.node, right.rows));
                self.leaves
                    .extend(queue.drain().map(|o| (o.at.node, o.at.rows)));
                break;
            }
            let can_split = |c: &NodeRows| c.rows.len() >= 2 * MIN_ROWS_PER_LEAF;
            if can_split(&left) || can_split(&right) {
                // Build the smaller child's histogram; the larger one's is the parent's minus it.
                let (small, large) = if left.rows.len() < right.rows.len() {
                    (&left, &right)
                } else {
                    (&right, &left)
                };
                let small_histogram = self.histogram(small.rows.clone(), gradients, hessians);
                subtract(&mut histogram, &small_histogram);
                let mut children = [(small, small_histogram), (large, histogram)];
                if small.node > large.node {
                    children.swap(0, 1);
                }
                for (child, histogram) in children {
                    let value = leaf_value(child.gradient, child.hessian);
                    let split = if can_split(child) {
                        self.best_split(&histogram, child, value)
                    } else {
                        None
                    };
                    match split {
                        Some(split) => {
                            seq += 1;
                            queue.push(Open {
                                at: child.clone(),
                                histogram,
                                split,
                                seq,
                            });
                        }
                        None => self.leaves.push((child.node, child.rows.clone())),
                    }
                }
            } else {
                self.leaves.push((left.node, left.rows));
                self.leaves.push((right.node, right.rows));
            }
        }
        for node in &mut nodes {
            if let Node::Leaf { value } = node {
                *value *= LEARNING_RATE;
            }
        }
        Tree { nodes }
    }

    /// Adds the value of each leaf of `tree` (the last tree grown) to the raw scores of its rows.
    pub fn add_leaf_values(&self, tree: &Tree, raw: &mut [f64]) {
        for (node, rows) in &self.leaves {
            if let Node::Leaf { value } = tree.nodes[*node] {
                for &r in &self.rows[rows.clone()] {
                    raw[r as usize] += value;
                }
            }
        }
    }

    /// The histogram of the rows in `range` of the partition.
    fn histogram(&self, range: Range<usize>, gradients: &[f64], hessians: &[f64]) -> Histogram {
        let rows = &self.rows[range];
        self.binned
            .columns
            .iter()
            .map(|column| {
                let mut bins = [BinStats::default(); N_BINS];
                for &r in rows {
                    let r = r as usize;
                    let bin = &mut bins[usize::from(column[r])];
                    bin.gradient += gradients[r];
                    bin.hessian += hessians[r];
                    bin.count += 1;
                }
                bins
            })
            .collect()
    }

    /// The best split of `at` over every feature, if one gains anything. `value` is the node's
    /// current value (scikit-learn's `loss_current_node` is `gradient × value`).
    fn best_split(&self, histogram: &Histogram, at: &NodeRows, value: f64) -> Option<Split> {
        let mut best: Option<Split> = None;
        for (feature, bins) in histogram.iter().enumerate() {
            let found = self.best_split_of_feature(feature, bins, at, value);
            if let Some(s) = found
                && best.is_none_or(|b| s.gain > b.gain)
            {
                best = Some(s);
            }
        }
        best
    }

    fn best_split_of_feature(
        &self,
        feature: usize,
        bins: &[BinStats; N_BINS],
        at: &NodeRows,
        value: f64,
    ) -> Option<Split> {
        let n = at.rows.len();
        let (g, h) = (at.gradient, at.hessian);
        let loss_current = g * value;
        let gain = |gl: f64, hl: f64| {
            let (gr, hr) = (g - gl, h - hl);
            loss_current - gl * leaf_value(gl, hl) - gr * leaf_value(gr, hr)
        };
        let n_value_bins = self.bins.n_value_bins(feature);
        let has_missing = self.bins.has_missing(feature);
        let mut best: Option<Split> = None;
        let mut best_gain = -1.0;

        // Left to right, missing values on the right; with missing values, the last value bin
        // may split too (every value left, missing right).
        let (mut nl, mut gl, mut hl) = (0usize, 0.0, 0.0);
        for (bin, stats) in bins
            .iter()
            .enumerate()
            .take(n_value_bins - 1 + usize::from(has_missing))
        {
            nl += stats.count as usize;
            gl += stats.gradient;
            hl += stats.hessian;
            if nl < MIN_ROWS_PER_LEAF {
                continue;
            }
            if n - nl < MIN_ROWS_PER_LEAF {
                break;
            }
            if hl < MIN_HESSIAN_TO_SPLIT {
                continue;
            }
            if h - hl < MIN_HESSIAN_TO_SPLIT {
                break;
            }
            let candidate = gain(gl, hl);
            if candidate > best_gain && candidate > 0.0 {
                best_gain = candidate;
                best = Some(split_at(feature, bin, false, nl, gl, hl, candidate));
            }
        }

        // Right to left, missing values on the left.
        if has_missing && n_value_bins >= 2 {
            let (mut nr, mut gr, mut hr) = (0usize, 0.0, 0.0);
            for bin in (0..n_value_bins - 1).rev() {
                let stats = &bins[bin + 1];
                nr += stats.count as usize;
                gr += stats.gradient;
                hr += stats.hessian;
                let (nl, gl, hl) = (n - nr, g - gr, h - hr);
                if nr < MIN_ROWS_PER_LEAF {
                    continue;
                }
                if nl < MIN_ROWS_PER_LEAF {
                    break;
                }
                if hr < MIN_HESSIAN_TO_SPLIT {
                    continue;
                }
                if hl < MIN_HESSIAN_TO_SPLIT {
                    break;
                }
                let candidate = gain(gl, hl);
                if candidate > best_gain && candidate > 0.0 {
                    best_gain = candidate;
                    best = Some(split_at(feature, bin, true, nl, gl, hl, candidate));
                }
            }
        }
        best
    }

    /// Applies `split` to node `at`: partitions its rows (stably) and adds the two children.
    fn split_rows(
        &mut self,
        at: &NodeRows,
        split: &Split,
        nodes: &mut Vec<Node>,
    ) -> (NodeRows, NodeRows) {
        let column = &self.binned.columns[split.feature];
        let goes_left = |b: u8| {
            if b == MISSING_BIN {
                split.missing_left
            } else {
                b <= split.bin
            }
        };
        self.scratch.clear();
        let mut l = at.rows.start;
        for k in at.rows.clone() {
            let r = self.rows[k];
            if goes_left(column[r as usize]) {
                self.rows[l] = r;
                l += 1;
            } else {
                self.scratch.push(r);
            }
        }
        self.rows[l..at.rows.end].copy_from_slice(&self.scratch);
        debug_assert_eq!(l - at.rows.start, split.n_left);

        let (left, right) = (nodes.len(), nodes.len() + 1);
        let left_rows = NodeRows {
            node: left,
            rows: at.rows.start..l,
            gradient: split.gradient_left,
            hessian: split.hessian_left,
        };
        let right_rows = NodeRows {
            node: right,
            rows: l..at.rows.end,
            gradient: at.gradient - split.gradient_left,
            hessian: at.hessian - split.hessian_left,
        };
        // Without missing training values, missing values follow the larger child.
        let missing_left = if self.bins.has_missing(split.feature) {
            split.missing_left
        } else {
            left_rows.rows.len() > right_rows.rows.len()
        };
        nodes[at.node] = Node::Split {
            feature: split.feature,
            bin: split.bin,
            missing_left,
            left,
            right,
        };
        for child in [&left_rows, &right_rows] {
            nodes.push(Node::Leaf {
                value: leaf_value(child.gradient, child.hessian),
            });
        }
        (left_rows, right_rows)
    }
}

/// `−G / H` (scikit-learn's `compute_node_value` without L2 and bounds; 1e-15 guards H = 0).
fn leaf_value(gradient: f64, hessian: f64) -> f64 {
    -gradient / (hessian + 1e-15)
}

fn split_at(
    feature: usize,
    bin: usize,
    missing_left: bool,
    n_left: usize,
    gradient_left: f64,
    hessian_left: f64,
    gain: f64,
) -> Split {
    Split {
        gain,
        feature,
        // Value bins are below MISSING_BIN (255), so they fit in a u8.
        bin: u8::try_from(bin).unwrap_or(MISSING_BIN - 1),
        missing_left,
        n_left,
        gradient_left,
        hessian_left,
    }
}

/// `parent −= child`, bin by bin.
fn subtract(parent: &mut Histogram, child: &Histogram) {
    for (p, c) in parent.iter_mut().zip(child) {
        for (p, c) in p.iter_mut().zip(c) {
            p.gradient -= c.gradient;
            p.hessian -= c.hessian;
            p.count -= c.count;
        }
    }
}
