//! `tabveil sample`: synthetic rows from a saved model, written atomically as CSV.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tabveil::data::{TableFormat, write_table};
use tabveil::models::Condition;

use super::UsageError;
use crate::{atomic, input};

/// Sample synthetic rows from a saved model (post-processing: costs no privacy).
#[derive(Debug, Args)]
pub(crate) struct SampleArgs {
    /// The model directory written by `tabveil fit`.
    #[arg(long, value_name = "MODEL_DIR")]
    model: PathBuf,
    /// Number of rows.
    #[arg(long, value_name = "N")]
    rows: usize,
    /// Only rows where the categorical column COL is VALUE (repeatable).
    #[arg(long = "condition", value_name = "COL=VALUE")]
    conditions: Vec<String>,
    /// Seed of the generation.
    #[arg(long, value_name = "K", default_value_t = 0)]
    seed: u64,
    /// The file to write (replaced atomically): CSV, Parquet or Arrow IPC, by extension.
    #[arg(long, value_name = "OUT.csv")]
    out: PathBuf,
    /// Print nothing on success (as `fit`'s `--quiet`).
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the subcommand.
pub(crate) fn run(args: &SampleArgs) -> anyhow::Result<()> {
    if args.rows == 0 {
        return Err(UsageError::new("--rows", "must be at least 1").into());
    }
    let conditions = args
        .conditions
        .iter()
        .map(|c| parse_condition(c))
        .collect::<Result<Vec<_>, _>>()?;
    let format = TableFormat::from_path(&args.out);
    let fitted = input::model(&args.model)?;
    let table = if conditions.is_empty() {
        fitted.sample(args.rows, args.seed)?
    } else {
        fitted
            .sample_conditional(args.rows, &conditions, args.seed)
            .context("conditional sampling")?
    };
    let mut bytes = Vec::new();
    write_table(&table, fitted.schema(), format, &mut bytes)
        .with_context(|| format!("encoding the {}", format.name()))?;
    atomic::write_file(&args.out, &bytes)?;
    if args.quiet {
        return Ok(());
    }
    writeln!(
        std::io::stdout().lock(),
        "{} synthetic rows written to {}",
        table.n_rows(),
        args.out.display()
    )?;
    Ok(())
}

fn parse_condition(raw: &str) -> Result<Condition, UsageError> {
    match raw.split_once('=') {
        Some((column, value)) if !column.is_empty() && !value.is_empty() => {
            Ok(Condition::new(column, value))
        }
        _ => Err(UsageError::new(
            "--condition",
            format!("`{raw}`: expected COL=VALUE, e.g. --condition sex=Female"),
        )),
    }
}
