//! What a white-box audit costs on top of a normal fit: DP-CTGAN on the demo's plan (UCI Adult,
//! 26 049 rows, ε = 3, δ = 1e-6, 30 epochs of expected batches of 500, SDV's network sizes), fitted
//! plainly and under a white-box audit with 1 000 canaries (the audited fit, the planning of the
//! guessing rule and the bound), alternately, twice each.
//!
//! ```text
//! cargo bench -p tabveil-audit --bench white_box_overhead
//! ```
//!
//! Under `cargo test` (no `--bench` argument) it runs a smoke version: 2 000 rows, one epoch.
//! Prints wall and CPU seconds of every run and the ratio of the medians (the machine is
//! shared: compare the two numbers of one run, and the CPU times when other jobs compete).

#![allow(clippy::print_stdout, reason = "a benchmark prints its measurements")]
#![allow(clippy::unwrap_used, reason = "a benchmark aborts on failure")]

use std::path::Path;
use std::time::Instant;

use candle_core::Device;
use mimalloc::MiMalloc;
use tabveil_audit::{WhiteBoxConfig, audit_white_box};
use tabveil_data::{CsvOptions, Schema, Table, read_csv_path};
use tabveil_models::{Ctgan, CtganConfig, DpConfig, NoProgress, Privacy, Synthesizer};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// User + system CPU seconds of this process (Linux; NaN elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/adult");
    let schema = Schema::from_path(root.join("schema.json")).unwrap();
    let (table, _) =
        read_csv_path(root.join("train.csv"), &schema, &CsvOptions::default()).unwrap();
    let (table, epochs): (Table, usize) = if full {
        (table, 30)
    } else {
        let rows: Vec<usize> = (0..2_000).collect();
        (table.select_rows(&rows).unwrap(), 1)
    };
    let dp = DpConfig::new(3.0, 1e-6).dangerous_noise_seed(1);
    let model = || {
        Ctgan::new(
            CtganConfig::new(Privacy::Dp(dp.clone()))
                .with_epochs(epochs)
                .with_batch_size(500)
                .with_seed(7)
                .check()
                .unwrap(),
        )
    };
    println!(
        "DP-CTGAN, {} rows, {epochs} epochs, ε = 3: plain fit vs white-box audit (1 000 canaries)",
        table.n_rows()
    );
    let (mut plain, mut audited) = (Vec::new(), Vec::new());
    for rep in 0..2 {
        let (t, c) = (Instant::now(), cpu_seconds());
        let mut m = model();
        m.fit(&table, &schema, &mut NoProgress).unwrap();
        let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        println!("  run {rep}: plain fit    {wall:7.2} s wall, {cpu:7.2} s CPU");
        plain.push((wall, cpu));

        let (t, c) = (Instant::now(), cpu_seconds());
        let mut m = model();
        let config = WhiteBoxConfig::default().with_dangerous_noise_seed(2);
        let report = audit_white_box(
            &mut m,
            "DP-CTGAN",
            &Device::Cpu,
            &table,
            &schema,
            &config,
            &mut NoProgress,
        )
        .unwrap();
        let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        println!(
            "  run {rep}: audited fit  {wall:7.2} s wall, {cpu:7.2} s CPU (ε ≥ {:.3}, claim {:.3})",
            report.bound.epsilon_lower_bound,
            report.audited_epsilon.unwrap_or(f64::NAN)
        );
        audited.push((wall, cpu));
    }
    let m = |v: &[(f64, f64)], cpu: bool| {
        median(v.iter().map(|x| if cpu { x.1 } else { x.0 }).collect())
    };
    println!(
        "audited / plain: {:.3} (wall, medians {:.2} s / {:.2} s), {:.3} (CPU)",
        m(&audited, false) / m(&plain, false),
        m(&audited, false),
        m(&plain, false),
        m(&audited, true) / m(&plain, true)
    );
}
