//! `tabveil fit`: validate the plan, fit a model on a CSV file, save it atomically.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use tabveil::accountant::{PrivacyLedger, epsilon_of};
use tabveil::data::{CsvOptions, DISCOVERY_LABEL, RawTable, TableFormat};
use tabveil::models::{ModelError, ModelKind, StopReason};
use tabveil::validate::Finding;
use tabveil::{Error, Fitted};

use super::UsageError;
use super::training::TrainingFlags;
use crate::atomic;
use crate::input;
use crate::progress::{FitProgress, Terminal};
use crate::stream::StreamedTable;

/// Fit a synthesizer on a CSV file and save the model.
#[derive(Debug, Args)]
pub(crate) struct FitArgs {
    /// The training data: CSV with a header line, Parquet or Arrow IPC (by extension); `-` for
    /// CSV on stdin. The marginal model reads Parquet and Arrow IPC in bounded batches
    /// (tables larger than memory); every other model, and CSV, is read whole into memory.
    #[arg(long, value_name = "X.csv")]
    data: PathBuf,
    /// The schema (JSON). Bounds and categories are public knowledge you vouch for.
    #[arg(long, value_name = "S.json")]
    schema: PathBuf,
    #[command(flatten)]
    training: TrainingFlags,
    /// Where to save the model: a folder, created, or replaced if it is an empty folder or a
    /// tabveil model holding only a model's files; anything else is refused untouched.
    #[arg(long, value_name = "MODEL_DIR")]
    out: PathBuf,
    /// A CSV field meaning "missing" besides the empty field (repeatable), e.g. `--null '?'`.
    #[arg(long = "null", value_name = "TOKEN")]
    null_tokens: Vec<String>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub(crate) fn run(args: &FitArgs, quiet: bool) -> anyhow::Result<()> {
    if atomic::is_stdout(&args.out) {
        return Err(UsageError::new(
            "--out",
            "`-` (stdout) cannot hold a model, which is a folder: name a folder",
        )
        .into());
    }
    let synth = args.training.synthesizer()?;
    let terminal = Terminal::detect(quiet);
    let schema = input::schema(&args.schema)?;
    // Everything that can fail the save is checked before the data is read, so that no fit
    // (and no privacy) is spent on a model that cannot be kept.
    synth
        .check_output(&schema, &args.out)
        .map_err(|e| output_error(&args.out, &e, false))?;
    let options = CsvOptions::default().with_null_tokens(args.null_tokens.iter().cloned());
    let epochs = synth.training_config().epochs() as usize;
    let fitted = if args.training.discover_schema.is_some() {
        // The schema gives names and kinds; the rest is released privately from the raw
        // fields, then the table is read with the discovered schema.
        if !input::is_stdin(&args.data) && TableFormat::from_path(&args.data) != TableFormat::Csv {
            return Err(UsageError::new(
                "--discover-schema",
                "reads CSV data (a .csv file or `-`); convert the table to CSV",
            )
            .into());
        }
        // Reading releases nothing; the discovery is planned from the header and the declared
        // schema before its first release, so a planning error spends nothing.
        let raw = RawTable::read_csv(input::open(&args.data)?, &options)
            .map_err(|e| anyhow::anyhow!(input::data_error(&args.data, &e)))?;
        let mut progress = FitProgress::new(terminal, epochs, args.training.target_epsilon());
        let start = Instant::now();
        let fitted =
            synth.fit_discovering_with_progress(&raw, Some(&schema), &options, &mut progress);
        progress.finish();
        (fitted, start)
    } else if streams(&synth, &args.data) {
        // The marginal model only counts cells: the file is read in bounded batches (one or a
        // few passes) and never held whole.
        let mut source = StreamedTable::open(&args.data, &schema, &options, terminal)?;
        let n_rows = source.n_rows()?;
        let mut progress = FitProgress::new(terminal, epochs, args.training.target_epsilon());
        let start = Instant::now();
        let fitted =
            synth.fit_source_with_progress(&mut source, n_rows as u64, &schema, &mut progress);
        source.finish();
        progress.finish();
        (fitted, start)
    } else {
        let table = input::training_table(&args.data, &schema, &args.null_tokens, &terminal)?;
        let mut progress = FitProgress::new(terminal, epochs, args.training.target_epsilon());
        let start = Instant::now();
        let fitted = synth.fit_with_progress(&table, &schema, &mut progress);
        progress.finish();
        (fitted, start)
    };
    let (fitted, start) = fitted;
    let fitted = fitted.map_err(|e| rejected(&terminal, e))?;
    let seconds = start.elapsed().as_secs_f64();
    print_warnings(&terminal, fitted.warnings());
    fitted
        .save(&args.out)
        .map_err(|e| output_error(&args.out, &e, true))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &summary_json(&fitted, &args.out)?)?;
        writeln!(out)?;
    } else if !quiet {
        write_summary(&mut out, &fitted, seconds)?;
        writeln!(out, "model saved to {}", args.out.display())?;
    }
    Ok(())
}

/// True when the fit streams its data: a model that fits from batches (the marginal model)
/// on a Parquet or Arrow IPC file. Every other fit reads the table whole.
fn streams(synth: &tabveil::Synthesizer, data: &Path) -> bool {
    synth.training_config().model.kind() == ModelKind::Marginal
        && !input::is_stdin(data)
        && TableFormat::from_path(data) != TableFormat::Csv
}

/// One line for a model that cannot be (or was not) saved to `out`.
pub(crate) fn output_error(out: &Path, e: &Error, fitted: bool) -> anyhow::Error {
    let fix = "to fix: choose another --out, or move that folder away (tabveil replaces only an empty folder or a model it wrote)";
    let when = if fitted {
        "the model was fitted but not saved"
    } else {
        "nothing was fitted and no privacy was spent"
    };
    match e {
        Error::Model(ModelError::OutputRefused { .. }) => anyhow::anyhow!("{e} ({when}); {fix}"),
        Error::Model(ModelError::Io { path, message }) => anyhow::anyhow!(
            "cannot write the model to {}: {path}: {message} ({when}); to fix: choose an --out where you can write, with room for the model",
            out.display()
        ),
        other => anyhow::anyhow!(
            "cannot save the model to {}: {other} ({when})",
            out.display()
        ),
    }
}

/// The fit's summary as JSON: what was fitted, where, and what it spent.
fn summary_json(fitted: &Fitted, out: &Path) -> anyhow::Result<serde_json::Value> {
    let summary = fitted.summary();
    let config = fitted.training_config();
    let mut v = serde_json::json!({
        "model": config.model.kind().as_str(),
        "out": out.display().to_string(),
        "epochs": summary.epochs,
        "planned_epochs": config.epochs(),
        "steps": summary.steps,
        "stop": match summary.stop {
            StopReason::Completed => "completed",
            StopReason::Cancelled => "cancelled",
            StopReason::BudgetExhausted => "budget_exhausted",
        },
        "private": fitted.is_private(),
    });
    if let (Some(dp), Some(spent)) = (config.dp(), fitted.epsilon_spent()?) {
        v["epsilon_spent"] = spent.into();
        v["epsilon"] = dp.epsilon.into();
        v["delta"] = dp.delta.into();
        v["accountant"] = dp.accountant.kind.to_string().into();
        v["noise_seeded"] = dp.noise_seeded.into();
        if let Some((releases, alone)) = discovery_part(fitted, dp)? {
            v["discovery"] = serde_json::json!({ "releases": releases, "epsilon_alone": alone });
        }
        if let Some(p) = &summary.private {
            // The DP estimate N̂, never the true row count.
            v["estimated_rows"] = (p.estimated_rows.round().max(1.0) as u64).into();
        }
    }
    Ok(v)
}

/// Prints every finding of a rejected plan on stderr (the error line follows).
pub(crate) fn rejected(terminal: &Terminal, e: Error) -> anyhow::Error {
    if let Some(findings) = e.findings() {
        for f in findings {
            terminal.warn(&one_line(f));
        }
        let errors = findings.iter().filter(|f| f.is_error()).count();
        return anyhow::anyhow!(
            "the training plan has {errors} blocking problem(s) (listed above); nothing was trained and no privacy was spent"
        );
    }
    e.into()
}

/// The validator's warnings, one line each, on stderr (shown even with --quiet).
pub(crate) fn print_warnings(terminal: &Terminal, warnings: &[Finding]) {
    for f in warnings {
        terminal.warn(&one_line(f));
    }
}

/// `error[CODE] field: reason; fix: fix` on one line; the fields the command sets are named
/// by their flags.
pub(crate) fn one_line(f: &Finding) -> String {
    let field = match f.field.as_str() {
        "batch_size" => "--batch-size",
        "epochs" => "--epochs",
        "privacy.epsilon" => "--epsilon",
        "privacy.delta" => "--delta",
        "privacy.clipping_norm" => "--clipping-norm",
        other => other,
    };
    format!(
        "{}[{}] {}: {}; fix: {}",
        f.severity, f.code, field, f.reason, f.fix
    )
}

/// What the fit did, on stdout.
pub(crate) fn write_summary(
    out: &mut impl Write,
    fitted: &Fitted,
    seconds: f64,
) -> anyhow::Result<()> {
    let summary = fitted.summary();
    let config = fitted.training_config();
    let stop = match summary.stop {
        StopReason::Completed => "completed",
        StopReason::Cancelled => "cancelled",
        StopReason::BudgetExhausted => "stopped: the next step would have exceeded ε",
    };
    if config.model.spec().schedule().is_some() {
        writeln!(
            out,
            "{} fitted in {seconds:.1} s: {} of {} epochs, {} steps ({stop})",
            config.model.name(),
            summary.epochs,
            config.epochs(),
            summary.steps
        )?;
    } else {
        // A model without a DP-SGD schedule counts its own rounds and releases.
        writeln!(
            out,
            "{} fitted in {seconds:.1} s: {} rounds, {} releases ({stop})",
            config.model.name(),
            summary.epochs,
            summary.steps
        )?;
    }
    match (config.dp(), fitted.epsilon_spent()?) {
        (Some(dp), Some(spent)) => {
            writeln!(
                out,
                "privacy: ε = {spent:.4} spent of {} at δ = {:e} ({} accountant, add/remove one row, whole pipeline)",
                dp.epsilon, dp.delta, dp.accountant.kind
            )?;
            if let Some((releases, alone)) = discovery_part(fitted, dp)? {
                writeln!(
                    out,
                    "privacy: the schema was discovered privately first ({releases} release(s), ε = {alone:.4} alone; composed into the total above); the saved schema records what each column released"
                )?;
            }
            if dp.noise_seeded {
                writeln!(
                    out,
                    "privacy: the noise was SEEDED (--noise-seed): the guarantee rests on that seed staying secret"
                )?;
            }
        }
        _ => writeln!(
            out,
            "privacy: NONE (--no-privacy): no privacy guarantee holds"
        )?,
    }
    Ok(())
}

/// The private schema discovery's part of a fit's ledger: its releases and their ε alone at
/// the run's δ (`None` without discovery).
fn discovery_part(
    fitted: &Fitted,
    dp: &tabveil::models::DpConfig,
) -> anyhow::Result<Option<(usize, f64)>> {
    let Some(ledger) = fitted.ledger() else {
        return Ok(None);
    };
    let mut part = PrivacyLedger::new();
    for e in ledger.entries() {
        if e.label().starts_with(DISCOVERY_LABEL) {
            part.record(e.clone())?;
        }
    }
    if part.is_empty() {
        return Ok(None);
    }
    let alone = epsilon_of(&part, &dp.accountant, dp.delta)?.epsilon;
    Ok(Some((part.entries().len(), alone)))
}
