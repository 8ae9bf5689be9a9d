//! `tabveil audit`: measure the privacy a fit really gives — an empirical lower bound on ε from
//! canaries and one training run (Steinke, Nasr & Jagielski 2023), beside the accountant's
//! upper bound.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use tabveil::audit::{AuditReport, BlackBoxConfig, WhiteBoxConfig};

use super::UsageError;
use super::fit::rejected;
use super::training::TrainingFlags;
use crate::atomic;
use crate::input;
use crate::progress::{FitProgress, Terminal};

/// What the auditor sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// Every DP-SGD release (all iterates), with Dirac canary gradients: the tightest bound,
    /// private fits only.
    WhiteBox,
    /// Only the synthetic rows of the whole fit, with canary rows: the threat model of the
    /// guarantee; works for every model and without privacy.
    BlackBox,
}

/// Audit a training configuration on a table: canaries, one fit, a lower bound on ε.
///
/// The audit fits the configuration once more, on the data with canaries added: on real data
/// that run is a private release of its own (its ε is printed), and publishing its result
/// beside a model spends both. Audit on a public table of the same schema to spend nothing.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// The table (CSV with a header line).
    #[arg(long, value_name = "X.csv")]
    data: PathBuf,
    /// The schema (JSON): the canaries are made from its public bounds and categories.
    #[arg(long, value_name = "S.json")]
    schema: PathBuf,
    #[command(flatten)]
    training: TrainingFlags,
    /// White-box (private fits) or black-box.
    #[arg(long, value_enum, default_value_t = KindArg::WhiteBox)]
    kind: KindArg,
    /// Number of canaries m (each included with probability ½).
    #[arg(long, value_name = "M", default_value_t = 1_000)]
    canaries: usize,
    /// Confidence of the lower bound.
    #[arg(long, value_name = "C", default_value_t = 0.95)]
    confidence: f64,
    /// Black-box: synthetic rows to score the canaries with.
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    synthetic_rows: usize,
    /// Print the audit as JSON on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Also write the audit as JSON to this file (atomically).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Save the audit into this model directory (written by `tabveil fit`), so that its
    /// privacy report shows it with the ε of the model and the audit run together.
    #[arg(long, value_name = "MODEL_DIR")]
    save_into: Option<PathBuf>,
    /// A CSV field meaning "missing" besides the empty field (repeatable).
    #[arg(long = "null", value_name = "TOKEN")]
    null_tokens: Vec<String>,
    /// No progress and no notes on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the subcommand.
pub(crate) fn run(args: &AuditArgs) -> anyhow::Result<()> {
    let synth = args.training.synthesizer()?;
    if args.canaries < 2 {
        return Err(UsageError::new("--canaries", "must be at least 2").into());
    }
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        return Err(UsageError::new("--confidence", "must be in (0, 1)").into());
    }
    if args.synthetic_rows == 0 {
        return Err(UsageError::new("--synthetic-rows", "must be at least 1").into());
    }
    if args.kind == KindArg::WhiteBox && !synth.is_private() {
        return Err(UsageError::new(
            "--kind",
            "white-box audits observe DP-SGD releases: use --kind black-box with --no-privacy",
        )
        .into());
    }
    let terminal = Terminal::detect(args.quiet);
    // Fail before any work when the model directory is not one.
    if let Some(dir) = &args.save_into {
        let model = input::model(dir)?;
        if model.training_config() != synth.training_config() {
            terminal.warn(&format!(
                "warning: the model in {} was fitted with another configuration than the one audited",
                dir.display()
            ));
        }
    }
    let schema = input::schema(&args.schema)?;
    let table = input::training_table(&args.data, &schema, &args.null_tokens, &terminal)?;
    let epochs = synth.training_config().epochs() as usize;
    let mut progress = FitProgress::new(terminal, epochs, args.training.target_epsilon());
    let start = Instant::now();
    let seed = args.training.noise_seed;
    let audit = match args.kind {
        KindArg::WhiteBox => {
            let mut config = WhiteBoxConfig::default()
                .with_canaries(args.canaries)
                .with_confidence(args.confidence);
            if let Some(k) = seed {
                config = config.with_dangerous_noise_seed(k);
            }
            synth.audit_white_box(&table, &schema, &config, &mut progress)
        }
        KindArg::BlackBox => {
            let mut config = BlackBoxConfig::default()
                .with_canaries(args.canaries)
                .with_confidence(args.confidence)
                .with_synthetic_rows(args.synthetic_rows);
            if let Some(k) = seed {
                config = config.with_dangerous_noise_seed(k);
            }
            synth.audit_black_box(&table, &schema, &config, &mut progress)
        }
    };
    progress.finish();
    let audit = audit.map_err(|e| rejected(&terminal, e))?;
    let seconds = start.elapsed().as_secs_f64();
    let json = audit.to_json()?;
    if let Some(path) = &args.out {
        atomic::write_file(path, json.as_bytes())?;
    }
    if let Some(dir) = &args.save_into {
        tabveil::save_audit_into(dir, &audit)?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{json}")?;
    } else {
        write_text(&mut out, &audit, seconds)?;
        if let Some(path) = &args.out {
            writeln!(out, "audit written to {}", path.display())?;
        }
        if let Some(dir) = &args.save_into {
            writeln!(
                out,
                "audit saved into {} (see `tabveil report --model {0}`)",
                dir.display()
            )?;
        }
    }
    Ok(())
}

fn write_text(out: &mut impl Write, audit: &AuditReport, seconds: f64) -> anyhow::Result<()> {
    writeln!(out, "{}", audit.to_text())?;
    match audit.claimed_epsilon {
        Some(e) => writeln!(
            out,
            "the audit run (canaries added) spent ε = {e:.3} on the data in {seconds:.1} s: a private run of its own; publishing this result beside a model spends both"
        )?,
        None => writeln!(
            out,
            "the audited run had no privacy (--no-privacy); {seconds:.1} s"
        )?,
    }
    writeln!(
        out,
        "a lower bound from one attack on one run, not a proof of privacy: the accountant's ε is the guarantee"
    )?;
    Ok(())
}
