//! `tabveil schema infer`: a schema read from a CSV file, on stdout, with a loud warning on
//! stderr that its bounds and categories are not private. The schema carries the mark
//! `"inferred_from_data": true`, which private fits refuse until the user has reviewed the
//! schema and deleted the mark.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use tabveil::data::CsvOptions;

use crate::{atomic, input};

/// Work with schemas.
#[derive(Debug, Subcommand)]
pub(crate) enum SchemaCommand {
    /// Print a schema read from a CSV file (NOT private: review it before a private fit).
    Infer(InferArgs),
}

/// `schema infer` flags.
#[derive(Debug, Args)]
pub(crate) struct InferArgs {
    /// The CSV file (with a header line; `-` for stdin).
    #[arg(long, value_name = "X.csv")]
    data: PathBuf,
    /// A CSV field meaning "missing" besides the empty field (repeatable).
    #[arg(long = "null", value_name = "TOKEN")]
    null_tokens: Vec<String>,
    /// Write the schema to this file (atomically) instead of stdout (`-`).
    #[arg(long, value_name = "S.json", default_value = "-")]
    out: PathBuf,
    /// The schema is JSON already; accepted for symmetry with the other commands.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub(crate) fn run(command: &SchemaCommand, quiet: bool) -> anyhow::Result<()> {
    match command {
        SchemaCommand::Infer(args) => infer(args, quiet),
    }
}

fn infer(args: &InferArgs, quiet: bool) -> anyhow::Result<()> {
    let options = CsvOptions::default().with_null_tokens(args.null_tokens.iter().cloned());
    let inferred = input::infer(&args.data, &options)?;
    // Loud, and first, even with --quiet: the schema below must not be used as-is for a
    // private fit (which refuses it while it carries its mark).
    let _ = writeln!(
        std::io::stderr().lock(),
        "{} The schema is marked \"inferred_from_data\": true; private fits refuse it until you have reviewed it and deleted that line.",
        crate::sanitize::line(&inferred.warning.to_string())
    );
    let mut out = atomic::create(&args.out)?;
    writeln!(out, "{}", inferred.schema.to_json()?)?;
    let to_stdout = out.is_stdout();
    out.commit()?;
    if !quiet && !to_stdout {
        writeln!(
            std::io::stdout().lock(),
            "schema written to {}",
            args.out.display()
        )?;
    }
    Ok(())
}
