//! The subcommands: one module each, registered in [`Command`].
//!
//! A subcommand module exposes a clap `Args` (or `Subcommand`) type and a `run` function
//! returning `anyhow::Result<()>`. Raw flags are converted into validated values before any
//! library is called; a flag that parses but is out of range is reported as a [`UsageError`]
//! (exit status 2).

use clap::Subcommand;

pub(crate) mod accountant;
pub(crate) mod audit;
pub(crate) mod demo;
pub(crate) mod evaluate;
pub(crate) mod fit;
pub(crate) mod ledger;
pub(crate) mod report;
pub(crate) mod sample;
pub(crate) mod schema;
pub(crate) mod serve;
pub(crate) mod training;
pub(crate) mod validate;

/// Every subcommand of `tabveil`.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The one-command tour: DP-CTGAN on the bundled UCI Adult data (ε = 3, δ = 1e-6), then
    /// synthetic rows, the privacy report and an evaluation, in ./tabveil-demo.
    Demo(demo::DemoArgs),
    /// Fit a synthesizer on a CSV file (private with --epsilon/--delta, or --no-privacy) and
    /// save the model.
    Fit(fit::FitArgs),
    /// Sample synthetic rows from a saved model into a CSV file.
    Sample(sample::SampleArgs),
    /// The privacy report of a saved model (JSON, Markdown, HTML), or several compared.
    Report(report::ReportArgs),
    /// Check a training plan against a schema and a row count before any privacy is spent.
    Validate(validate::ValidateArgs),
    /// Work with schemas (`schema infer`).
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    /// Privacy accounting: ε of a training plan, calibrated noise, per-step RDP.
    #[command(subcommand)]
    Accountant(accountant::AccountantCommand),
    /// Judge a synthetic table: quality (SDMetrics 0.32 QualityReport), ML utility, leakage.
    Evaluate(evaluate::EvaluateArgs),
    /// The synthesis service over HTTP: datasets with a lifetime privacy budget, fit jobs,
    /// samples, reports and a hash-chained ledger (SQLite by default, PostgreSQL by URL).
    Serve(serve::ServeArgs),
    /// Ledger chains exported by the service (`ledger verify FILE`).
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Measure the privacy a fit really gives: canaries, one fit, an empirical lower bound on
    /// ε beside the accountant's upper bound.
    Audit(audit::AuditArgs),
}

/// Runs `command`; `quiet` is the global `--quiet`.
pub(crate) fn run(command: Command, quiet: bool) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => demo::run(&args, quiet),
        Command::Fit(args) => fit::run(&args, quiet),
        Command::Sample(args) => sample::run(&args, quiet),
        Command::Report(args) => report::run(&args, quiet),
        Command::Validate(args) => validate::run(&args),
        Command::Schema(c) => schema::run(&c, quiet),
        Command::Accountant(c) => accountant::run(&c),
        Command::Evaluate(args) => evaluate::run(&args, quiet),
        Command::Serve(args) => serve::run(&args),
        Command::Ledger(c) => ledger::run(&c),
        Command::Audit(args) => audit::run(&args),
    }
}

/// A flag that is missing or whose value is not acceptable: exit status 2, one line naming
/// the flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageError {
    /// The flag, as typed on the command line (e.g. `--sample-rate`).
    pub(crate) flag: &'static str,
    /// What is wrong with it.
    pub(crate) message: String,
    /// Whether the flag is missing rather than invalid.
    pub(crate) missing: bool,
}

impl UsageError {
    /// The value given to `flag` is not acceptable.
    pub(crate) fn new(flag: &'static str, message: impl std::fmt::Display) -> Self {
        UsageError {
            flag,
            message: message.to_string(),
            missing: false,
        }
    }

    /// `flag` is needed but was not given.
    pub(crate) fn missing(flag: &'static str, message: impl std::fmt::Display) -> Self {
        UsageError {
            flag,
            message: message.to_string(),
            missing: true,
        }
    }
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.missing {
            write!(f, "missing '{}': {}", self.flag, self.message)
        } else {
            write!(f, "invalid value for '{}': {}", self.flag, self.message)
        }
    }
}

impl std::error::Error for UsageError {}
