//! `tabveil demo`: the one-command tour. DP-CTGAN on the bundled UCI Adult data at ε = 3,
//! δ = 1e-6, then synthetic rows, the privacy report and an evaluation against the real data,
//! all written into one directory.
//!
//! The data is embedded in the binary, so the demo runs from anywhere: it comes from the
//! `tabveil-datasets` crate (the schema, gzipped CSV files and the licence, checked there
//! against the repository's canonical `data/adult/`). UCI Adult is CC BY 4.0
//! (Becker & Kohavi 1996); see `data/adult/LICENSE.md`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Args;
use tabveil::data::{CsvOptions, Schema, Table, read_csv, write_csv};
use tabveil::eval::{EvaluationConfig, evaluate};
use tabveil::{Delta, Epsilon, Synthesizer, evaluation_summary};

use super::UsageError;
use super::fit::{print_warnings, rejected};
use crate::atomic;
use crate::progress::{FitProgress, Terminal};

use tabveil_datasets::adult;

const SCHEMA: &str = adult::SCHEMA_JSON;

/// The demo's budget.
const EPSILON: f64 = 3.0;
const DELTA: f64 = 1e-6;
/// The demo's training plan; see [`DemoArgs`] for why.
const EPOCHS: usize = 30;
const BATCH_SIZE: usize = 500;

/// Fit DP-CTGAN on the bundled UCI Adult data (ε = 3, δ = 1e-6), then write synthetic rows,
/// the privacy report and an evaluation into one directory.
///
/// The plan (30 epochs of expected batches of 500, SDV's network sizes) is what fits in a few
/// minutes on two CPU cores; at a fixed ε more epochs mean more noise per step.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The directory to write into (created; the demo's files in it are replaced).
    #[arg(long, value_name = "DIR", default_value = "tabveil-demo")]
    out: PathBuf,
    /// Passes over the data.
    #[arg(long, allow_hyphen_values = true, value_name = "N", default_value_t = EPOCHS)]
    epochs: usize,
    /// Expected rows per Poisson batch.
    #[arg(long, allow_hyphen_values = true, value_name = "B", default_value_t = BATCH_SIZE)]
    batch_size: usize,
    /// Seed of initialisation, generation and the evaluation (not of the privacy noise).
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "K",
        default_value_t = 7
    )]
    seed: u64,
    /// Print the outcome as one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub(crate) fn run(args: &DemoArgs, quiet: bool) -> anyhow::Result<()> {
    if args.epochs == 0 {
        return Err(UsageError::new("--epochs", "must be at least 1").into());
    }
    if args.batch_size < 2 {
        return Err(UsageError::new("--batch-size", "must be at least 2").into());
    }
    let start = Instant::now();
    let terminal = Terminal::detect(quiet);
    let schema = Schema::from_json(SCHEMA).context("the bundled schema")?;
    let synth = Synthesizer::builder()
        .ctgan()
        .private(Epsilon(EPSILON), Delta(DELTA))
        .epochs(args.epochs)
        .batch_size(args.batch_size)
        .seed(args.seed)
        .build()?;
    // The output folder and the model's place in it are checked before anything is spent.
    let out = &args.out;
    if out.exists() && !out.is_dir() {
        return Err(UsageError::new(
            "--out",
            format!(
                "{} exists and is not a folder: name a folder",
                out.display()
            ),
        )
        .into());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    synth
        .check_output(&schema, &out.join("model"))
        .map_err(|e| super::fit::output_error(&out.join("model"), &e, false))?;
    let train = bundled(&adult::train_csv()?, &schema, "train.csv")?;
    let holdout = bundled(&adult::holdout_csv()?, &schema, "holdout.csv")?;
    // The row count is private like everything else about the table: the demo prints and
    // samples only its DP estimate N̂, as a user's fit would.
    terminal.note(&format!(
        "tabveil demo: DP-CTGAN on UCI Adult ({} columns, CC BY 4.0) at ε = {EPSILON}, δ = {DELTA:e}; {} epochs of expected batches of {}",
        schema.n_columns(),
        args.epochs,
        args.batch_size
    ));

    let mut progress = FitProgress::new(terminal, args.epochs, Some(EPSILON));
    let fitted = synth.fit_with_progress(&train, &schema, &mut progress);
    progress.finish();
    let fitted = fitted.map_err(|e| rejected(&terminal, e))?;
    print_warnings(&terminal, fitted.warnings());
    let fit_seconds = start.elapsed().as_secs_f64();

    terminal.note("sampling and evaluating…");
    // As many rows as the table has, by its private estimate N̂ (post-processing of the
    // released counts), never the true count.
    let estimated_rows = fitted
        .summary()
        .private
        .as_ref()
        .map(|p| p.estimated_rows.round().max(1.0) as usize)
        .context("the demo's fit is private and has a row estimate")?;
    let synthetic = fitted.sample(estimated_rows, args.seed)?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let config = EvaluationConfig::default()
        .with_seed(args.seed)
        .with_threads(threads);
    let evaluation = evaluate(&schema, &train, &synthetic, Some(&holdout), &config)
        .context("evaluating the synthetic table")?;
    let report = fitted
        .report()?
        .with_evaluation(evaluation_summary(&evaluation))?;

    let mut csv = Vec::new();
    write_csv(&synthetic, &schema, &mut csv).context("encoding the synthetic CSV")?;
    atomic::write_file(&out.join("synthetic.csv"), &csv)?;
    atomic::write_file(&out.join("report.json"), report.to_json()?.as_bytes())?;
    atomic::write_file(&out.join("report.md"), report.to_markdown().as_bytes())?;
    atomic::write_file(&out.join("report.html"), report.to_html()?.as_bytes())?;
    atomic::write_file(
        &out.join("evaluation.json"),
        serde_json::to_string_pretty(&evaluation)?.as_bytes(),
    )?;
    atomic::write_file(
        &out.join("evaluation.html"),
        evaluation.to_html()?.as_bytes(),
    )?;
    fitted
        .save(&out.join("model"))
        .map_err(|e| super::fit::output_error(&out.join("model"), &e, true))?;

    let spent = fitted.epsilon_spent()?.unwrap_or(f64::NAN);
    let summary = fitted.summary();
    let mut o = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({
            "epsilon_spent": spent,
            "epsilon": EPSILON,
            "delta": DELTA,
            "steps": summary.private.as_ref().map_or(0, |p| p.releases),
            "estimated_rows": estimated_rows,
            "synthetic_rows": synthetic.n_rows(),
            "quality": {
                "overall": evaluation.quality.overall,
                "column_shapes": evaluation.quality.column_shapes,
                "column_pair_trends": evaluation.quality.column_pair_trends,
            },
            "utility": evaluation.ml.as_ref().map(|ml| serde_json::json!({
                "target": ml.target,
                "tstr_roc_auc": ml.tstr.roc_auc,
                "trtr_roc_auc": ml.trtr.roc_auc,
            })),
            "out": out.display().to_string(),
        });
        serde_json::to_writer(&mut o, &v)?;
        writeln!(o)?;
        return Ok(());
    }
    // Timings are progress, not results: --quiet leaves them out.
    if !quiet {
        writeln!(
            o,
            "tabveil demo done in {} (fit {})",
            minutes(start.elapsed().as_secs_f64()),
            minutes(fit_seconds)
        )?;
    }
    writeln!(
        o,
        "  privacy  ε = {spent:.3} spent of {EPSILON} at δ = {DELTA:e}: the whole pipeline (private preprocessing + {} DP-SGD steps), add/remove one row",
        summary.private.as_ref().map_or(0, |p| p.releases)
    )?;
    writeln!(
        o,
        "  rows     {} synthetic rows, as many as the table's private row estimate N̂",
        synthetic.n_rows()
    )?;
    writeln!(
        o,
        "  quality  {} overall (column shapes {}, column pair trends {}; SDMetrics-compatible, 1 = identical)",
        score(evaluation.quality.overall),
        score(evaluation.quality.column_shapes),
        score(evaluation.quality.column_pair_trends)
    )?;
    if let Some(ml) = &evaluation.ml {
        writeln!(
            o,
            "  utility  predicting {}: ROC AUC {} trained on synthetic vs {} trained on real rows",
            ml.target,
            score(ml.tstr.roc_auc),
            score(ml.trtr.roc_auc)
        )?;
    }
    writeln!(
        o,
        "  files    {0}/synthetic.csv, {0}/report.{{json,md,html}}, {0}/evaluation.{{json,html}}, {0}/model/",
        out.display()
    )?;
    writeln!(
        o,
        "  note     evaluation.* compare with the real rows and are not private: keep them as confidential as the data"
    )?;
    writeln!(
        o,
        "  next     tabveil sample --model {}/model --rows 1000 --condition sex=Female --out women.csv",
        out.display()
    )?;
    Ok(())
}

/// Reads one of the embedded CSV files.
fn bundled(csv: &[u8], schema: &Schema, name: &str) -> anyhow::Result<Table> {
    let (table, _) = read_csv(csv, schema, &CsvOptions::default())
        .map_err(|e| anyhow!(crate::input::data_error(Path::new(name), &e)))?;
    Ok(table)
}

fn score(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

fn minutes(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{} min {:02.0} s", (seconds / 60.0).floor(), seconds % 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_demo_data_reads_as_the_adult_split() {
        let schema = Schema::from_json(SCHEMA).unwrap();
        assert_eq!(schema.n_columns(), 15);
        let train = bundled(&adult::train_csv().unwrap(), &schema, "train.csv").unwrap();
        let holdout = bundled(&adult::holdout_csv().unwrap(), &schema, "holdout.csv").unwrap();
        assert_eq!((train.n_rows(), holdout.n_rows()), (26_049, 6_512));
    }

    #[test]
    fn truncated_embedded_data_is_an_error_not_a_panic() {
        let schema = Schema::from_json(SCHEMA).unwrap();
        let train = adult::train_csv().unwrap();
        assert!(bundled(&train[..1000], &schema, "train.csv").is_err());
    }
}
