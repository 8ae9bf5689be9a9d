//! What the epoch benches share: the shared benchmark table (10 000 rows × 15 columns,
//! `data/bench_table.csv`), a progress callback that clocks the epochs, and the run of one
//! model per privacy setting with its report.

use std::error::Error;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use tabveil_data::{CsvOptions, Schema, read_csv_path};
use tabveil_models::{DpConfig, EpochReport, FitSummary, Privacy, Progress, Synthesizer};

/// Records the wall time, the steps and the CPU time of each epoch report.
pub struct Clock {
    start: Instant,
    /// Wall seconds since the start and steps taken, at each epoch report.
    marks: Vec<(f64, u64)>,
    /// CPU seconds of the process at each epoch report.
    cpu: Vec<f64>,
    preprocessing_done: Option<f64>,
}

impl Clock {
    fn new() -> Self {
        Clock {
            start: Instant::now(),
            marks: Vec::new(),
            cpu: Vec::new(),
            preprocessing_done: None,
        }
    }

    /// Wall seconds of each epoch after the first.
    pub fn per_epoch(&self) -> Vec<f64> {
        self.marks.windows(2).map(|w| w[1].0 - w[0].0).collect()
    }

    /// CPU seconds (all threads) of each epoch after the first.
    #[allow(dead_code, reason = "each bench reports the measures it needs")]
    pub fn cpu_per_epoch(&self) -> Vec<f64> {
        self.cpu.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// Mean wall seconds of a step after the first epoch.
    #[allow(dead_code, reason = "each bench reports the measures it needs")]
    pub fn per_step(&self) -> f64 {
        match (self.marks.first(), self.marks.last()) {
            (Some(a), Some(b)) if b.1 > a.1 => (b.0 - a.0) / (b.1 - a.1) as f64,
            _ => f64::NAN,
        }
    }
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
        self.cpu.push(cpu_seconds());
        ControlFlow::Continue(())
    }
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

/// (median, min, max) of `v` (NaN when empty).
pub fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let median = v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
    (
        median,
        v.first().copied().unwrap_or(f64::NAN),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

/// Fits a model built by `build` (from the privacy setting and the epochs) on the benchmark
/// table, once without privacy (`names.0`) and once at ε = 3, δ = 1e-6 (`names.1`), then
/// samples 10 000 rows, and prints each run with its epoch line from `epoch_line`.
///
/// `cargo bench` passes `--bench`; without it (`cargo test --all-targets`) this is a smoke run
/// of two epochs (the first is not timed), to keep the test suite short. Otherwise the epochs
/// are the first numeric argument, or `bench_epochs`. With `--non-private`, only the run
/// without privacy (for profiling).
///
/// # Errors
/// Errors of reading the table and of the model.
pub fn run_both<M: Synthesizer>(
    bench_epochs: usize,
    names: (&str, &str),
    build: impl Fn(Privacy, usize) -> Result<M, Box<dyn Error>>,
    epoch_line: impl Fn(&Clock, &FitSummary) -> String,
) -> Result<(), Box<dyn Error>> {
    let measuring = std::env::args().any(|a| a == "--bench");
    let epochs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if measuring { bench_epochs } else { 2 });
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
        (names.0, Privacy::NonPrivate),
        (names.1, Privacy::Dp(DpConfig::new(3.0, 1e-6))),
    ];
    // `--non-private` (for profiling): the run without privacy only.
    let non_private_only = std::env::args().any(|a| a == "--non-private");
    for (name, privacy) in runs {
        if non_private_only && !matches!(privacy, Privacy::NonPrivate) {
            continue;
        }
        let mut model = build(privacy, epochs)?;
        let mut clock = Clock::new();
        let summary = model.fit(&table, &schema, &mut clock)?;
        let total = clock.start.elapsed().as_secs_f64();
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
        println!("{}", epoch_line(&clock, &summary));
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
