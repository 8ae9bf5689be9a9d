//! `tabveil schema infer`: a schema read from a CSV file, on stdout, with a loud warning on
//! stderr that its bounds and categories are not private.

use std::io::Write;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use tabveil::data::{CsvOptions, infer_schema_path};

use crate::input;

/// Work with schemas.
#[derive(Debug, Subcommand)]
pub(crate) enum SchemaCommand {
    /// Print a schema read from a CSV file (NOT private: review it before a private fit).
    Infer(InferArgs),
}

/// `schema infer` flags.
#[derive(Debug, Args)]
pub(crate) struct InferArgs {
    /// The CSV file (with a header line).
    #[arg(long, value_name = "X.csv")]
    data: PathBuf,
    /// A CSV field meaning "missing" besides the empty field (repeatable).
    #[arg(long = "null", value_name = "TOKEN")]
    null_tokens: Vec<String>,
}

/// Runs the subcommand.
pub(crate) fn run(command: &SchemaCommand) -> anyhow::Result<()> {
    match command {
        SchemaCommand::Infer(args) => infer(args),
    }
}

fn infer(args: &InferArgs) -> anyhow::Result<()> {
    let options = CsvOptions::default().with_null_tokens(args.null_tokens.iter().cloned());
    let inferred = infer_schema_path(&args.data, &options)
        .map_err(|e| anyhow!(input::data_error(&args.data, &e)))?;
    // Loud, and first: the schema below must not be used as-is for a private fit.
    let _ = writeln!(std::io::stderr().lock(), "{}", inferred.warning);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", inferred.schema.to_json()?)?;
    Ok(())
}
