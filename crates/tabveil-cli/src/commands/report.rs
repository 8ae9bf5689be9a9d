//! `tabveil report`: the privacy report of a saved model (JSON, Markdown or HTML), or several
//! models side by side with `--compare`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tabveil::report::Comparison;

use crate::{atomic, input};

/// The rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// JSON (stable field names, `schema_version`).
    Json,
    /// Markdown.
    Md,
    /// A self-contained HTML page with SVG plots.
    Html,
}

/// Print or write the privacy report of a saved model, or compare several.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The model directory written by `tabveil fit`.
    #[arg(
        long,
        value_name = "MODEL_DIR",
        required_unless_present = "compare",
        conflicts_with = "compare"
    )]
    model: Option<PathBuf>,
    /// Several model directories side by side.
    #[arg(long, value_name = "MODEL_DIR", num_args = 2..)]
    compare: Vec<PathBuf>,
    /// The rendering.
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Write to this file (atomically; written through for a FIFO or device; `-` for stdout)
    /// instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs the subcommand.
pub(crate) fn run(args: &ReportArgs, quiet: bool) -> anyhow::Result<()> {
    let format = if args.json { Format::Json } else { args.format };
    let text = match &args.model {
        Some(dir) => {
            let report = input::model(dir)?.report()?;
            match format {
                Format::Json => report.to_json()?,
                Format::Md => report.to_markdown(),
                Format::Html => report.to_html()?,
            }
        }
        None => {
            let mut reports = Vec::with_capacity(args.compare.len());
            for dir in &args.compare {
                let name = dir.file_name().map_or_else(
                    || dir.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                reports.push(input::model(dir)?.report()?.with_name(name));
            }
            let comparison = Comparison::new(&reports)?;
            match format {
                Format::Json => comparison.to_json()?,
                Format::Md => comparison.to_markdown(),
                Format::Html => comparison.to_html()?,
            }
        }
    };
    match args.out.as_deref().filter(|p| !atomic::is_stdout(p)) {
        Some(path) => {
            atomic::write_file(path, text.as_bytes())?;
            if !quiet {
                writeln!(
                    std::io::stdout().lock(),
                    "report written to {}",
                    path.display()
                )?;
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                writeln!(out)?;
            }
        }
    }
    Ok(())
}
