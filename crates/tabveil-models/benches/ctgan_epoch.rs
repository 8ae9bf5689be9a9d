//! CTGAN and DP-CTGAN epoch time on the shared benchmark table (10 000 rows × 15 columns,
//! `data/bench_table.csv`), for the side-by-side with the Python anchors
//! (`$ANCHORS/bench_ctgan.py`, run by `scripts/bench/side_by_side.sh`: SDV CTGAN 0.87 s/epoch,
//! smartnoise DPCTGAN 5.5 s/epoch on a 2-core machine with 2 threads).
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo bench -p tabveil-models --bench ctgan_epoch [-- EPOCHS]
//! ```
//!
//! A bench binary rather than a criterion group: one epoch is 20 steps and takes a fraction of a
//! second, and what we want is the steady-state epoch time, which the progress callback gives
//! directly (the time between consecutive epoch reports, so preprocessing and start-up are
//! excluded). Prints the median and the range over the epochs after the first.

#![allow(clippy::print_stdout, reason = "a benchmark prints its measurements")]

mod common;

use mimalloc::MiMalloc;
use tabveil_models::{Ctgan, CtganConfig};

use common::{run_both, spread};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    run_both(
        8,
        (
            "CTGAN (non-private, SDV defaults)",
            "DP-CTGAN (ε = 3, δ = 1e-6, pac 1)",
        ),
        |privacy, epochs| {
            let config = CtganConfig::new(privacy).with_epochs(epochs).check()?;
            Ok(Ctgan::new(config))
        },
        |clock, summary| {
            let per_epoch = clock.per_epoch();
            let n_epochs = per_epoch.len();
            let (median, min, max) = spread(per_epoch);
            let (cpu_median, _, _) = spread(clock.cpu_per_epoch());
            format!(
                "  epoch: median {median:.3} s (min {min:.3}, max {max:.3}) over {n_epochs} \
                 epochs; CPU time per epoch (all threads): median {cpu_median:.2} s; {} \
                 generator steps",
                summary.steps
            )
        },
    )
}
