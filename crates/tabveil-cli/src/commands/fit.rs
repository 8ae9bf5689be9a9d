//! `tabveil fit`: validate the plan, fit a model on a CSV file, save it atomically.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use tabveil::data::CsvOptions;
use tabveil::models::StopReason;
use tabveil::validate::Finding;
use tabveil::{Error, Fitted};

use super::training::TrainingFlags;
use crate::atomic;
use crate::input;
use crate::progress::{FitProgress, Terminal};

/// Fit a synthesizer on a CSV file and save the model.
#[derive(Debug, Args)]
pub(crate) struct FitArgs {
    /// The training data (CSV with a header line).
    #[arg(long, value_name = "X.csv")]
    data: PathBuf,
    /// The schema (JSON). Bounds and categories are public knowledge you vouch for.
    #[arg(long, value_name = "S.json")]
    schema: PathBuf,
    #[command(flatten)]
    training: TrainingFlags,
    /// Where to save the model (a directory; replaced only if it holds a tabveil model).
    #[arg(long, value_name = "MODEL_DIR")]
    out: PathBuf,
    /// A CSV field meaning "missing" besides the empty field (repeatable), e.g. `--null '?'`.
    #[arg(long = "null", value_name = "TOKEN")]
    null_tokens: Vec<String>,
    /// No progress and no notes on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the subcommand.
pub(crate) fn run(args: &FitArgs) -> anyhow::Result<()> {
    let synth = args.training.synthesizer()?;
    atomic::check_replaceable(&args.out)?;
    let terminal = Terminal::detect(args.quiet);
    let schema = input::schema(&args.schema)?;
    let options = CsvOptions::default().with_null_tokens(args.null_tokens.iter().cloned());
    let (table, notes) = input::table(&args.data, &schema, &options)?;
    for note in notes {
        terminal.warn(&note);
    }
    let epochs = synth.training_config().epochs() as usize;
    let mut progress = FitProgress::new(terminal, epochs, args.training.target_epsilon());
    let start = Instant::now();
    let fitted = synth.fit_with_progress(&table, &schema, &mut progress);
    progress.finish();
    let fitted = fitted.map_err(|e| rejected(&terminal, e))?;
    let seconds = start.elapsed().as_secs_f64();
    print_warnings(&terminal, fitted.warnings());
    atomic::write_dir(&args.out, |dir| Ok(fitted.save(dir)?))?;
    let mut out = std::io::stdout().lock();
    write_summary(&mut out, &fitted, seconds)?;
    writeln!(out, "model saved to {}", args.out.display())?;
    Ok(())
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

/// `error[CODE] field: reason; fix: fix` on one line.
pub(crate) fn one_line(f: &Finding) -> String {
    format!(
        "{}[{}] {}: {}; fix: {}",
        f.severity, f.code, f.field, f.reason, f.fix
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
