//! TVAE and DP-TVAE epoch time on the shared benchmark table (10 000 rows × 15 columns,
//! `data/bench_table.csv`: 20 steps of 500 per epoch), for the side-by-side with the Python
//! anchor (`$ANCHORS/bench_ctgan.py tvae`, run by `scripts/bench/side_by_side.sh`: SDV TVAE
//! 0.13 s/epoch on a 2-core machine with 2 threads).
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo bench -p tabveil-models --bench tvae_epoch [-- EPOCHS]
//! ```
//!
//! A bench binary rather than a criterion group, as `ctgan_epoch`: what we want is the
//! steady-state epoch time, which the progress callback gives directly (the time between
//! consecutive epoch reports, so preprocessing and start-up are excluded). Prints the median
//! and the range over the epochs after the first, the mean step time, and the time to sample
//! 10 000 rows.

#![allow(clippy::print_stdout, reason = "a benchmark prints its measurements")]

mod common;

use mimalloc::MiMalloc;
use tabveil_models::{Tvae, TvaeConfig};

use common::{run_both, spread};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    run_both(
        20,
        (
            "TVAE (non-private, SDV defaults)",
            "DP-TVAE (ε = 3, δ = 1e-6)",
        ),
        |privacy, epochs| {
            let config = TvaeConfig::new(privacy).with_epochs(epochs).check()?;
            Ok(Tvae::new(config))
        },
        |clock, summary| {
            let per_epoch = clock.per_epoch();
            let n_epochs = per_epoch.len();
            let (median, min, max) = spread(per_epoch);
            format!(
                "  epoch: median {median:.4} s, min {min:.4} s, max {max:.4} s over {n_epochs} \
                 epochs; {:.2} ms per step ({} steps in total)",
                clock.per_step() * 1e3,
                summary.steps
            )
        },
    )
}
