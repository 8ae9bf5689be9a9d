//! `tabveil evaluate`: judge a synthetic table against the real one — SDMetrics-compatible
//! quality scores, ML utility (TSTR next to TRTR), privacy leakage — as a readable summary, one
//! JSON object (`--json`) and/or a self-contained HTML page with plots (`--html FILE`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use tabveil::data::{CsvOptions, Table};
use tabveil::eval::{EvaluationConfig, evaluate};

use super::UsageError;
use crate::{atomic, input};

/// Judge a synthetic table: quality (SDMetrics 0.32 QualityReport), ML utility, privacy leakage.
#[derive(Debug, Args)]
pub(crate) struct EvaluateArgs {
    /// The real table the synthesizer was trained on (CSV with a header line, Parquet or Arrow
    /// IPC, by extension; `-` for CSV on stdin, for one of the tables).
    #[arg(long, value_name = "TRAIN.csv")]
    real: PathBuf,
    /// The synthetic table (CSV, Parquet or Arrow IPC, by extension).
    #[arg(long, value_name = "SYN.csv")]
    synthetic: PathBuf,
    /// The schema of the tables (JSON).
    #[arg(long, value_name = "S.json")]
    schema: PathBuf,
    /// Real rows the synthesizer never saw: enables ML utility, membership and attribute
    /// inference, and the DCR baseline.
    #[arg(long, value_name = "H.csv")]
    holdout: Option<PathBuf>,
    /// Target column of the ML-utility measure (default: the schema's `target`).
    #[arg(long, value_name = "COL")]
    target: Option<String>,
    /// Positive class of the target (default: the schema's `positive_class`, else the second
    /// category).
    #[arg(long, value_name = "CLASS")]
    positive_class: Option<String>,
    /// Sensitive column of the attribute-inference attack.
    #[arg(long, value_name = "COL")]
    sensitive: Option<String>,
    /// Print one JSON object on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// Also write the report as a self-contained HTML page with plots.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Seed of every random choice of the evaluation.
    #[arg(long, allow_hyphen_values = true, default_value_t = 0)]
    seed: u64,
    /// Threads to use.
    #[arg(long, allow_hyphen_values = true, default_value_t = 2)]
    threads: usize,
    /// A CSV field meaning "missing" besides the empty field (repeatable), e.g. `--null '?'`.
    #[arg(long = "null", value_name = "TOKEN")]
    null_tokens: Vec<String>,
}

/// Runs the subcommand.
pub(crate) fn run(args: &EvaluateArgs, quiet: bool) -> anyhow::Result<()> {
    if args.threads == 0 {
        return Err(UsageError::new("--threads", "must be at least 1").into());
    }
    let from_stdin = [
        Some(&args.real),
        Some(&args.synthetic),
        args.holdout.as_ref(),
    ]
    .into_iter()
    .flatten()
    .filter(|p| input::is_stdin(p))
    .count();
    if from_stdin > 1 {
        return Err(UsageError::new(
            "--real",
            "only one of --real, --synthetic and --holdout can be `-` (stdin)",
        )
        .into());
    }
    let schema = input::schema(&args.schema)?;
    let options = CsvOptions::default().with_null_tokens(args.null_tokens.iter().cloned());
    let read = |path: &Path, what: &str| -> anyhow::Result<Table> {
        let (table, _) = input::table(path, &schema, &options)
            .with_context(|| format!("reading the {what} table"))?;
        Ok(table)
    };
    let real = read(&args.real, "real")?;
    let synthetic = read(&args.synthetic, "synthetic")?;
    let holdout = args
        .holdout
        .as_deref()
        .map(|p| read(p, "holdout"))
        .transpose()?;

    let mut config = EvaluationConfig::default()
        .with_seed(args.seed)
        .with_threads(args.threads);
    if let Some(t) = &args.target {
        config = config.with_target(t);
    }
    if let Some(c) = &args.positive_class {
        config = config.with_positive_class(c);
    }
    if let Some(s) = &args.sensitive {
        config = config.with_sensitive(s);
    }
    let report = evaluate(&schema, &real, &synthetic, holdout.as_ref(), &config)
        .context("evaluating the synthetic table")?;

    if let Some(path) = &args.html {
        let html = report.to_html().context("drawing the HTML report")?;
        atomic::write_file(path, html.as_bytes())
            .with_context(|| format!("writing the HTML report {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut stdout, &report).context("writing JSON")?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", report.summary())?;
        if let Some(path) = args.html.as_ref().filter(|_| !quiet) {
            writeln!(stdout, "\nHTML report written to {}", path.display())?;
        }
    }
    Ok(())
}
