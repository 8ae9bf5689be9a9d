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

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use mimalloc::MiMalloc;
use tabveil_data::{CsvOptions, Schema, read_csv_path};
use tabveil_models::{DpConfig, EpochReport, Privacy, Progress, Synthesizer, Tvae, TvaeConfig};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// Records the time of each epoch report.
struct Clock {
    start: Instant,
    marks: Vec<(f64, u64)>,
    preprocessing_done: Option<f64>,
}

impl Progress for Clock {
    fn preprocessing(&mut self, done: usize, total: usize, _column: &str) -> ControlFlow<()> {
        if done == total {
            self.preprocessing_done = Some(self.start.elapsed().as_secs_f64());
        }
        ControlFlow::Continue(())
    }

    fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
        self.marks
            .push((self.start.elapsed().as_secs_f64(), report.steps));
        ControlFlow::Continue(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; without it (`cargo test --all-targets`) this is a smoke
    // run of two epochs (the first is not timed), to keep the test suite short.
    let measuring = std::env::args().any(|a| a == "--bench");
    let epochs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if measuring { 20 } else { 2 });
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/bench_table.csv");
    // The public schema of the generated table (bounds from the generator, not the rows).
    let schema = Schema::from_path(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/bench_schema.json"),
    )?;
    let (table, _) = read_csv_path(&path, &schema, &CsvOptions::default())?;
    println!(
        "table: {} rows × {} columns; {} epochs per run; RAYON_NUM_THREADS={}",
        table.n_rows(),
        table.n_columns(),
        epochs,
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into())
    );
    let runs = [
        ("TVAE (non-private, SDV defaults)", Privacy::NonPrivate),
        (
            "DP-TVAE (ε = 3, δ = 1e-6)",
            Privacy::Dp(DpConfig::new(3.0, 1e-6)),
        ),
    ];
    for (name, privacy) in runs {
        let config = TvaeConfig::new(privacy).with_epochs(epochs).check()?;
        let mut model = Tvae::new(config);
        let mut clock = Clock {
            start: Instant::now(),
            marks: Vec::new(),
            preprocessing_done: None,
        };
        let summary = model.fit(&table, &schema, &mut clock)?;
        let total = clock.start.elapsed().as_secs_f64();
        let mut per_epoch: Vec<f64> = clock.marks.windows(2).map(|w| w[1].0 - w[0].0).collect();
        let (first, last) = (clock.marks.first(), clock.marks.last());
        let per_step = match (first, last) {
            (Some(a), Some(b)) if b.1 > a.1 => (b.0 - a.0) / (b.1 - a.1) as f64,
            _ => f64::NAN,
        };
        per_epoch.sort_by(f64::total_cmp);
        let median = per_epoch
            .get(per_epoch.len() / 2)
            .copied()
            .unwrap_or(f64::NAN);
        let t = Instant::now();
        let sample = model.sample(10_000, 0)?;
        let sampling = t.elapsed().as_secs_f64();
        println!("\n{name}");
        println!(
            "  transformer fit{}: {:.3} s",
            if summary.private.is_some() {
                ", private"
            } else {
                ""
            },
            clock.preprocessing_done.unwrap_or(f64::NAN)
        );
        println!(
            "  epoch: median {:.4} s, min {:.4} s, max {:.4} s over {} epochs; {:.2} ms per step ({} steps in total)",
            median,
            per_epoch.first().copied().unwrap_or(f64::NAN),
            per_epoch.last().copied().unwrap_or(f64::NAN),
            per_epoch.len(),
            per_step * 1e3,
            summary.steps
        );
        println!("  whole fit: {total:.2} s; sample 10 000 rows: {sampling:.3} s");
        if let Some(p) = summary.private {
            println!(
                "  private: N̂ = {:.0}, q = {:.4}, σ_train = {:.3}, ε spent = {:.3}",
                p.estimated_rows, p.sample_rate, p.training_noise_multiplier, p.epsilon_spent
            );
        }
        assert_eq!(sample.n_rows(), 10_000);
    }
    Ok(())
}
