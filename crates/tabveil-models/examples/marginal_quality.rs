//! Fits the marginal model on a CSV table and scores its synthetic rows: SDMetrics-compatible
//! quality against the training table, TSTR ROC AUC on a holdout, fit seconds. One JSON line
//! per run — the quick loop for tuning (the side-by-side comparison with AIM is
//! `scripts/bench/marginal_side_by_side.sh`).
//!
//! ```text
//! cargo run --release -p tabveil-models --example marginal_quality -- \
//!     --data T.csv --schema S.json [--holdout H.csv] [--epsilon 3 | --no-privacy] \
//!     [--delta 1e-6] [--seed 0] [--noise-seed K] [--set key=value ...] [--out SYN.csv]
//! ```
//! `--set` overrides a field of `MarginalConfig` (JSON value), e.g. `--set max_bins=16`.

#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::path::PathBuf;
use std::time::Instant;

use tabveil_data::{CsvOptions, Schema, read_csv_path};
use tabveil_eval::fidelity::quality_report;
use tabveil_eval::{EvaluationConfig, evaluate};
use tabveil_models::{DpConfig, Marginal, MarginalConfig, NoProgress, Privacy, Synthesizer};

fn main() -> anyhow::Result<()> {
    let mut data = None;
    let mut schema = None;
    let mut holdout = None;
    let mut epsilon = Some(3.0);
    let mut delta = 1e-6;
    let mut seed = 0u64;
    let mut noise_seed = None;
    let mut sets: Vec<(String, String)> = Vec::new();
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--data" => data = Some(PathBuf::from(value()?)),
            "--schema" => schema = Some(PathBuf::from(value()?)),
            "--holdout" => holdout = Some(PathBuf::from(value()?)),
            "--epsilon" => epsilon = Some(value()?.parse()?),
            "--no-privacy" => epsilon = None,
            "--delta" => delta = value()?.parse()?,
            "--seed" => seed = value()?.parse()?,
            "--noise-seed" => noise_seed = Some(value()?.parse()?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--set" => {
                let kv = value()?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--set key=value"))?;
                sets.push((k.to_owned(), v.to_owned()));
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let data = data.ok_or_else(|| anyhow::anyhow!("--data is required"))?;
    let schema = Schema::from_path(schema.ok_or_else(|| anyhow::anyhow!("--schema is required"))?)?;
    let options = CsvOptions::default();
    let (table, _) = read_csv_path(&data, &schema, &options)?;
    let privacy = match epsilon {
        Some(e) => {
            let mut dp = DpConfig::new(e, delta);
            if let Some(k) = noise_seed {
                dp = dp.dangerous_noise_seed(k);
            }
            Privacy::Dp(dp)
        }
        None => Privacy::NonPrivate,
    };
    let mut config = serde_json::to_value(MarginalConfig::new(privacy.clone()).with_seed(seed))?;
    for (k, v) in &sets {
        config[k] = serde_json::from_str(v)?;
    }
    let mut config: MarginalConfig = serde_json::from_value(config)?;
    config.privacy = privacy;
    let mut model = Marginal::new(config.check()?);
    let start = Instant::now();
    let summary = model.fit(&table, &schema, &mut NoProgress)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let synthetic = model.sample(table.n_rows(), seed)?;
    if let Some(out) = &out {
        tabveil_data::write_csv_path(&synthetic, &schema, out)?;
    }
    let quality = quality_report(&schema, &table, &synthetic)?;
    let ml = match &holdout {
        Some(h) => {
            let (holdout, _) = read_csv_path(h, &schema, &options)?;
            evaluate(
                &schema,
                &table,
                &synthetic,
                Some(&holdout),
                &EvaluationConfig::default().with_seed(seed),
            )?
            .ml
            .map(|m| (m.tstr.roc_auc, m.trtr.roc_auc))
        }
        None => None,
    };
    let result = serde_json::json!({
        "data": data.display().to_string(),
        "epsilon": epsilon,
        "sets": sets,
        "quality": quality.scores,
        "tstr_auc": ml.and_then(|m| m.0),
        "trtr_auc": ml.and_then(|m| m.1),
        "fit_seconds": fit_seconds,
        "rounds": summary.epochs,
        "epsilon_spent": summary.private.as_ref().map(|p| p.epsilon_spent),
        "cliques": model.cliques(),
        "pairs": quality
            .column_pair_trends
            .iter()
            .filter(|p| p.meets_threshold)
            .map(|p| format!("{}~{}={:.3}", p.column_1, p.column_2, p.score.unwrap_or(f64::NAN)))
            .collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}
