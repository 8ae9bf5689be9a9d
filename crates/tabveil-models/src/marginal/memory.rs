//! The memory of a marginal fit, from the settings and the schema's public domain sizes
//! ([`ModelMemory`]): the validator's estimate, and its refusal of a table too wide to fit.
//!
//! A fit holds, besides the table and two `u32` codes per cell (fine and model cells):
//! - the one-way histograms of the fine cells (a few copies);
//! - for every candidate marginal (each subset of a workload marginal: the pairs, and the
//!   triples with the target), its true counts and the model's answer, and the candidate's
//!   book-keeping;
//! - the junction tree, at most `max_model_cells` cells in [`CELL_COPIES`] `f64` copies.
//!
//! A column's model cells are not public (rare categories merge, numeric columns get as many
//! cells as the noisy histogram supports), but they are bounded by public numbers: at most its
//! categories (and a missing cell), or `max_bins` plus the point cells of its grid; at least
//! one, and all its categories for a categorical target. The floor counts every quantity at its
//! smallest — the candidates certainly in the workload (those small enough even at the largest
//! cell counts), each at its fewest cells — and the model bytes at its largest; neither reads
//! the data or the row count.

use tabveil_data::{ColumnKind, Schema};

use super::config::MarginalConfig;
use super::release_plan::{is_categorical, modelled_columns};
use crate::spec::ModelMemory;

/// Copies of the model's cells held while fitting: potentials, marginals, the gradient and
/// their trial copies, and the junction tree's beliefs and messages, as `f64`.
pub(crate) const CELL_COPIES: u64 = 8;
/// Bytes a candidate marginal takes besides its cells: its clique, weight, true-answer and
/// model-answer vectors and its entry in a round's candidate list.
const CANDIDATE_BYTES: u64 = 128;
/// Bytes per cell of a candidate: its true count and the model's answer (`f64` each).
const CANDIDATE_CELL_BYTES: u64 = 16;
/// Bytes per fine cell of the one-way stage: the noisy and denoised histograms, the grouping,
/// the decoder's weights.
const FINE_CELL_BYTES: u64 = 32;
/// The largest automatic fine resolution of a numeric column (`fit::RESOLUTION_RANGE`).
const MAX_RESOLUTION: usize = 256;
/// The smallest automatic fine resolution of a numeric column.
const MIN_RESOLUTION: usize = 16;
/// Point cells of a numeric grid at most (its bounds and zero).
const POINT_CELLS: usize = 3;
/// Bytes of a saved model besides its potentials and per-cell tables.
const SAVED_FIXED_BYTES: u64 = 64 << 10;
/// JSON bytes per fine cell of the saved model (its label or bounds, its decoding weight).
const SAVED_FINE_CELL_BYTES: u64 = 48;

/// Bounds on one modelled column's cells.
#[derive(Debug, Clone, Copy)]
struct Cells {
    fine_lo: u64,
    fine_hi: u64,
    model_lo: u64,
    model_hi: u64,
}

/// The memory of a fit of `config` on a table of `schema` (see the [module docs](self)).
pub(crate) fn model_memory(config: &MarginalConfig, schema: &Schema) -> ModelMemory {
    let columns = modelled_columns(schema);
    let target = config.target.as_deref().or(schema.target());
    let cells: Vec<Cells> = columns
        .iter()
        .map(|&i| {
            let c = &schema.columns()[i];
            let categories = c.categories();
            let is_target = Some(c.name()) == target;
            column_cells(
                config,
                c.kind(),
                categories.as_deref(),
                c.is_nullable(),
                is_target,
            )
        })
        .collect();
    let t = columns
        .iter()
        .position(|&i| Some(schema.columns()[i].name()) == target)
        .filter(|_| config.target_triples);
    let max = config.max_clique_cells as u64;
    let d = cells.len();
    let (mut floor, mut most) = (0_u64, 0_u64);
    let mut add = |lo: &[u64], hi: &[u64]| {
        let lo_cells = lo.iter().fold(1_u64, |p, &x| p.saturating_mul(x));
        let hi_cells = hi.iter().fold(1_u64, |p, &x| p.saturating_mul(x));
        // Certainly in the workload when small enough at the largest cell counts; possibly
        // when small enough at the smallest.
        if hi_cells <= max {
            floor = floor.saturating_add(candidate_bytes(lo_cells));
        }
        if lo_cells <= max {
            most = most.saturating_add(candidate_bytes(hi_cells.min(max)));
        }
    };
    for a in 0..d {
        add(&[cells[a].model_lo], &[cells[a].model_hi]);
        for b in a + 1..d {
            let (x, y) = (cells[a], cells[b]);
            add(&[x.model_lo, y.model_lo], &[x.model_hi, y.model_hi]);
            if let Some(t) = t
                && a != t
                && b != t
            {
                let z = cells[t];
                add(
                    &[x.model_lo, y.model_lo, z.model_lo],
                    &[x.model_hi, y.model_hi, z.model_hi],
                );
            }
        }
    }
    let sum = |f: fn(&Cells) -> u64| cells.iter().map(f).fold(0_u64, u64::saturating_add);
    let one_way_lo = sum(|c| c.fine_lo).saturating_mul(FINE_CELL_BYTES);
    let one_way_hi = sum(|c| c.fine_hi).saturating_mul(FINE_CELL_BYTES);
    let smallest_model = sum(|c| c.model_lo).saturating_mul(CELL_COPIES * 8);
    let largest_model = (config.max_model_cells as u64).saturating_mul(CELL_COPIES * 8);
    ModelMemory {
        floor_bytes: floor
            .saturating_add(one_way_lo)
            .saturating_add(smallest_model),
        model_bytes: most
            .saturating_add(one_way_hi)
            .saturating_add(largest_model),
        bytes_per_row: 8 * schema.n_columns() as u64 + 8 * d as u64,
        saved_bytes: (config.max_model_cells as u64)
            .saturating_mul(4)
            .saturating_add(sum(|c| c.fine_hi).saturating_mul(SAVED_FINE_CELL_BYTES))
            .saturating_add(SAVED_FIXED_BYTES),
    }
}

fn candidate_bytes(cells: u64) -> u64 {
    CANDIDATE_BYTES.saturating_add(cells.saturating_mul(CANDIDATE_CELL_BYTES))
}

/// Bounds on the cells of one column (see the [module docs](self)).
fn column_cells(
    config: &MarginalConfig,
    kind: &ColumnKind,
    categories: Option<&[String]>,
    nullable: bool,
    is_target: bool,
) -> Cells {
    let null = u64::from(nullable);
    if is_categorical(kind) {
        // An undeclared domain (non-private mode) is read from the data; unknown here, it is
        // counted as two labels (as the DP-SGD models' estimate counts it).
        let k = categories.map_or(2, |c| c.len().max(1)) as u64 + null;
        return Cells {
            fine_lo: k,
            fine_hi: k,
            model_lo: if is_target { k } else { 1 },
            model_hi: k,
        };
    }
    let (lo_res, hi_res) = match config.resolution {
        Some(r) => (r, r),
        None => (MIN_RESOLUTION, MAX_RESOLUTION),
    };
    // An integer grid narrower than the resolution has one cell per integer.
    let integers = match kind {
        ColumnKind::Continuous {
            min: Some(lo),
            max: Some(hi),
            integer: true,
        } if hi.floor() >= lo.ceil() => Some((hi.floor() - lo.ceil()) as u64 + 1),
        _ => None,
    };
    let fine_lo = integers.map_or(lo_res as u64, |n| n.min(lo_res as u64)) + null;
    let fine_hi = (hi_res + POINT_CELLS) as u64 + null;
    Cells {
        fine_lo,
        fine_hi,
        model_lo: 1,
        model_hi: fine_hi.min((config.max_bins + POINT_CELLS) as u64 + null),
    }
}

#[cfg(test)]
mod tests {
    use tabveil_data::ColumnSchema;

    use super::*;
    use crate::privacy::Privacy;

    fn schema(categorical: usize, numeric: usize, target: bool) -> Schema {
        let mut cols: Vec<ColumnSchema> = (0..categorical)
            .map(|i| ColumnSchema::categorical(format!("c{i}"), ["a", "b", "c", "d"]))
            .collect();
        cols.extend(
            (0..numeric).map(|i| ColumnSchema::continuous(format!("x{i}"), Some(0.0), Some(1.0))),
        );
        let s = Schema::new("t", cols).unwrap();
        if target {
            s.with_target("c0", None).unwrap()
        } else {
            s
        }
    }

    #[test]
    fn the_floor_is_below_the_most_and_grows_with_the_width() {
        let config = MarginalConfig::new(Privacy::NonPrivate);
        let narrow = model_memory(&config, &schema(5, 5, true));
        let wide = model_memory(&config, &schema(50, 50, true));
        assert!(narrow.floor_bytes < narrow.model_bytes);
        assert!(wide.floor_bytes < wide.model_bytes);
        // Candidates grow as the square of the width (pairs, triples with the target).
        assert!(wide.floor_bytes > 50 * narrow.floor_bytes.min(narrow.model_bytes) / 10);
        // The largest junction tree alone: 2 000 000 cells in eight f64 copies.
        assert!(narrow.model_bytes >= 2_000_000 * 64);
    }

    #[test]
    fn the_floor_counts_every_pair_and_target_triple_at_its_fewest_cells() {
        // 3 categorical columns of 4 categories, target c0: pairs (3), triples with the target
        // (1: {c1, c2, c0}), singles (3); the target's cells stay 4, the others at least 1.
        let config = MarginalConfig::new(Privacy::NonPrivate);
        let m = model_memory(&config, &schema(3, 0, true));
        let candidates = [4, 1, 1, 4, 4, 1, 4]
            .iter()
            .map(|&c| candidate_bytes(c))
            .sum::<u64>();
        let one_way = 12 * FINE_CELL_BYTES;
        let model = (4 + 1 + 1) * CELL_COPIES * 8;
        assert_eq!(m.floor_bytes, candidates + one_way + model);
    }
}
