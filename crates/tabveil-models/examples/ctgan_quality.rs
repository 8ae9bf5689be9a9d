//! CTGAN's SDMetrics quality on the adult demo data (the issue's acceptance measurement).
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release -p tabveil-models --example ctgan_quality -- \
//!     --epochs 300 --seed 0 [--epsilon 3 --delta 1e-6] [--noise-seed 1] [--utility] \
//!     [--data data/adult] [--out result.json] [--sample-out synthetic.csv] [--verbose]
//! ```
//!
//! Fits CTGAN on `<data>/train.csv` (non-private, or private with `--epsilon`), samples as many
//! rows as the training split with seed 0, and scores the sample with `tabveil-eval`'s
//! SDMetrics-0.32 QualityReport against the training split — the protocol of
//! `scripts/models/ctgan_sdv_quality.py` for SDV's CTGAN. With `--utility`, also the full
//! evaluation against `<data>/holdout.csv` (train-synthetic-test-real ROC AUC of the schema's
//! target). Prints one JSON object.

#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use mimalloc::MiMalloc;
use tabveil_data::{CsvOptions, Schema, read_csv_path, write_csv_path};
use tabveil_eval::fidelity::quality_report;
use tabveil_eval::{EvaluationConfig, evaluate};
use tabveil_models::{Ctgan, CtganConfig, DpConfig, EpochReport, Privacy, Progress, Synthesizer};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

struct Args {
    epochs: usize,
    seed: u64,
    epsilon: Option<f64>,
    delta: f64,
    noise_seed: Option<u64>,
    utility: bool,
    data: PathBuf,
    out: Option<PathBuf>,
    sample_out: Option<PathBuf>,
    verbose: bool,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        epochs: 300,
        seed: 0,
        epsilon: None,
        delta: 1e-6,
        noise_seed: None,
        utility: false,
        data: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/adult"),
        out: None,
        sample_out: None,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--epochs" => a.epochs = value()?.parse()?,
            "--seed" => a.seed = value()?.parse()?,
            "--epsilon" => a.epsilon = Some(value()?.parse()?),
            "--delta" => a.delta = value()?.parse()?,
            "--noise-seed" => a.noise_seed = Some(value()?.parse()?),
            "--utility" => a.utility = true,
            "--verbose" => a.verbose = true,
            "--data" => a.data = PathBuf::from(value()?),
            "--out" => a.out = Some(PathBuf::from(value()?)),
            "--sample-out" => a.sample_out = Some(PathBuf::from(value()?)),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

/// Prints the epoch reports with `--verbose`.
struct Log(bool);

impl Progress for Log {
    fn epoch(&mut self, r: &EpochReport) -> ControlFlow<()> {
        if self.0 {
            let losses: Vec<String> = r
                .losses
                .iter()
                .map(|(n, v)| format!("{n} {v:.4}"))
                .collect();
            println!(
                "epoch {}/{}: {}{}",
                r.epoch,
                r.epochs,
                losses.join(", "),
                r.epsilon_spent
                    .map(|e| format!(", ε {e:.3}"))
                    .unwrap_or_default()
            );
        }
        ControlFlow::Continue(())
    }
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    let schema = Schema::from_path(args.data.join("schema.json"))?;
    let (train, _) = read_csv_path(args.data.join("train.csv"), &schema, &CsvOptions::default())?;
    let privacy = match args.epsilon {
        Some(eps) => {
            let mut dp = DpConfig::new(eps, args.delta);
            if let Some(s) = args.noise_seed {
                dp = dp.dangerous_noise_seed(s);
            }
            Privacy::Dp(dp)
        }
        None => Privacy::NonPrivate,
    };
    let config = CtganConfig::new(privacy)
        .with_epochs(args.epochs)
        .with_seed(args.seed)
        .check()?;
    let mut model = Ctgan::new(config);
    let start = Instant::now();
    let summary = model.fit(&train, &schema, &mut Log(args.verbose))?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let synthetic = model.sample(train.n_rows(), 0)?;
    if let Some(path) = &args.sample_out {
        write_csv_path(&synthetic, &schema, path)?;
    }
    let quality = quality_report(&schema, &train, &synthetic)?;
    let mut result = serde_json::json!({
        "model": "tabveil CTGAN",
        "epochs": args.epochs,
        "seed": args.seed,
        "train_rows": train.n_rows(),
        "fit_seconds": fit_seconds,
        "summary": summary,
        "quality": quality.scores,
        "column_shapes": quality.column_shapes.iter()
            .map(|c| (c.column.clone(), c.score)).collect::<Vec<_>>(),
    });
    if args.utility {
        let (holdout, _) = read_csv_path(
            args.data.join("holdout.csv"),
            &schema,
            &CsvOptions::default(),
        )?;
        let config = EvaluationConfig::default().with_seed(1);
        let report = evaluate(&schema, &train, &synthetic, Some(&holdout), &config)?;
        result["ml"] = serde_json::to_value(&report.ml)?;
    }
    let text = serde_json::to_string_pretty(&result)?;
    println!("{text}");
    if let Some(out) = args.out {
        std::fs::write(out, text + "\n")?;
    }
    Ok(())
}
