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

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use mimalloc::MiMalloc;
use tabveil_data::{CsvOptions, Schema, read_csv_path};
use tabveil_models::{Ctgan, CtganConfig, DpConfig, EpochReport, Privacy, Progress, Synthesizer};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// Records the wall and CPU time of each epoch report.
struct Clock {
    start: Instant,
    marks: Vec<f64>,
    cpu: Vec<f64>,
    preprocessing_done: Option<f64>,
}

/// User + system CPU seconds of this process (all threads), from `/proc/self/stat` (Linux; NaN
/// elsewhere). The machine is shared: CPU time measures the work done even when other jobs
/// compete for the cores.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let Some(rest) = stat.rsplit(')').next() else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let median = v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
    (
        median,
        v.first().copied().unwrap_or(f64::NAN),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

impl Progress for Clock {
    fn preprocessing(&mut self, done: usize, total: usize, _column: &str) -> ControlFlow<()> {
        if done == total {
            self.preprocessing_done = Some(self.start.elapsed().as_secs_f64());
        }
        ControlFlow::Continue(())
    }

    fn epoch(&mut self, _report: &EpochReport) -> ControlFlow<()> {
        self.marks.push(self.start.elapsed().as_secs_f64());
        self.cpu.push(cpu_seconds());
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
        .unwrap_or(if measuring { 8 } else { 2 });
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
        ("CTGAN (non-private, SDV defaults)", Privacy::NonPrivate),
        (
            "DP-CTGAN (ε = 3, δ = 1e-6, pac 1)",
            Privacy::Dp(DpConfig::new(3.0, 1e-6)),
        ),
    ];
    for (name, privacy) in runs {
        let config = CtganConfig::new(privacy).with_epochs(epochs).check()?;
        let mut model = Ctgan::new(config);
        let mut clock = Clock {
            start: Instant::now(),
            marks: Vec::new(),
            cpu: Vec::new(),
            preprocessing_done: None,
        };
        let summary = model.fit(&table, &schema, &mut clock)?;
        let total = clock.start.elapsed().as_secs_f64();
        let per_epoch: Vec<f64> = clock.marks.windows(2).map(|w| w[1] - w[0]).collect();
        let n_epochs = per_epoch.len();
        let (median, min, max) = spread(per_epoch);
        let (cpu_median, _, _) = spread(clock.cpu.windows(2).map(|w| w[1] - w[0]).collect());
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
            "  epoch: median {median:.3} s (min {min:.3}, max {max:.3}) over {n_epochs} epochs; \
             CPU time per epoch (all threads): median {cpu_median:.2} s; {} generator steps",
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
