//! `tabveil schema infer`: a schema read from a CSV file, on stdout (or `--out`).
//!
//! Without `--private` the bounds and categories are exact values of the data: a loud warning
//! goes to stderr and the schema carries the mark `"inferred_from_data": true`, which private
//! fits refuse until the user has reviewed the schema and deleted the mark. With `--private`
//! they are released by differentially private mechanisms within `--epsilon`/`--delta`, every
//! release on a ledger that is printed (and saved with `--ledger`); each discovered column
//! records its origin and cost.

use std::io::Write;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use tabveil::accountant::{AccountantSpec, PrivacyLedger, epsilon_of};
use tabveil::data::{
    CsvOptions, DiscoveryBudget, DiscoveryConfig, NoiseWeights, RawTable, discover_schema,
    plan_discovery,
};
use tabveil::noise::PrivacyRng;

use super::UsageError;
use super::training::AccountantArg;
use crate::{atomic, input};

/// Work with schemas.
#[derive(Debug, Subcommand)]
pub(crate) enum SchemaCommand {
    /// Print a schema read from a CSV file: NOT private unless --private (then released with
    /// differential privacy, on a ledger).
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
    /// Release the schema with differential privacy (needs --epsilon and --delta): categories
    /// by Gaussian thresholding (rare values go to an `other` category), bounds by noisy tail
    /// quantiles, nullability and kinds by noisy counts.
    #[arg(long)]
    private: bool,
    /// Privacy budget ε of the discovery (with --private).
    #[arg(
        long,
        value_name = "E",
        requires = "private",
        allow_negative_numbers = true
    )]
    epsilon: Option<f64>,
    /// δ of the discovery (with --private).
    #[arg(
        long,
        value_name = "D",
        requires = "private",
        allow_negative_numbers = true
    )]
    delta: Option<f64>,
    /// A public partial schema (JSON): its kinds, bounds, categories and flags are kept and
    /// cost nothing; only what it leaves out is discovered (with --private).
    #[arg(long, value_name = "S.json", requires = "private")]
    schema: Option<PathBuf>,
    /// The accountant that calibrates the discovery [default: rdp].
    #[arg(long, value_enum, requires = "private")]
    accountant: Option<AccountantArg>,
    /// Tail quantile clipped on each side of numeric columns [default: 0.005].
    #[arg(long, value_name = "Q", requires = "private")]
    tail: Option<f64>,
    /// A categorical column without an `other` category (repeatable): you declare that its
    /// values are the released ones (e.g. a binary target); a value that was not released
    /// then fails the read (with --private).
    #[arg(long, value_name = "COL", requires = "private")]
    closed: Vec<String>,
    /// Relative noise of the format, bounds and category releases, e.g. `1,2,0.6` to spend
    /// more of the budget on categories (a lower threshold) [default: 2,1.5,1] (with --private).
    #[arg(
        long,
        value_name = "F,B,C",
        value_delimiter = ',',
        num_args = 1,
        requires = "private"
    )]
    noise_weights: Option<Vec<f64>>,
    /// DANGEROUS: fix the privacy randomness with this seed (the guarantee then rests on the
    /// seed staying secret; the ledger says so). Never saved.
    #[arg(long, value_name = "K", requires = "private")]
    noise_seed: Option<u64>,
    /// Write the schema to this file (atomically) instead of stdout (`-`).
    #[arg(long, value_name = "S.json", default_value = "-")]
    out: PathBuf,
    /// Save the discovery's privacy ledger (JSON) to this file (with --private).
    #[arg(long, value_name = "L.json", requires = "private")]
    ledger: Option<PathBuf>,
    /// With --private: print one JSON object (schema, ledger, ε, δ) on stdout instead of the
    /// schema and a summary on stderr. Without it the schema is JSON already (accepted for
    /// symmetry with the other commands).
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub(crate) fn run(command: &SchemaCommand, quiet: bool) -> anyhow::Result<()> {
    match command {
        SchemaCommand::Infer(args) if args.private => infer_private(args, quiet),
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
    write_schema(&args.out, &inferred.schema.to_json()?, quiet)
}

/// Writes `text` to `path` (atomically; `-` is stdout) and says where, unless quiet.
fn write_schema(path: &std::path::Path, text: &str, quiet: bool) -> anyhow::Result<()> {
    let mut out = atomic::create(path)?;
    writeln!(out, "{text}")?;
    let to_stdout = out.is_stdout();
    out.commit()?;
    if !quiet && !to_stdout {
        writeln!(
            std::io::stdout().lock(),
            "schema written to {}",
            path.display()
        )?;
    }
    Ok(())
}

fn infer_private(args: &InferArgs, quiet: bool) -> anyhow::Result<()> {
    let epsilon = args
        .epsilon
        .ok_or_else(|| UsageError::missing("--epsilon", "--private needs a budget"))?;
    let delta = args
        .delta
        .ok_or_else(|| UsageError::missing("--delta", "--private needs a δ"))?;
    let spec = match args.accountant.unwrap_or(AccountantArg::Rdp) {
        AccountantArg::Rdp => AccountantSpec::rdp(),
        AccountantArg::Pld => AccountantSpec::pld(),
    };
    let budget = DiscoveryBudget::new(epsilon, delta, spec.clone())
        .map_err(|e| UsageError::new("--epsilon/--delta", e))?;
    let mut config = DiscoveryConfig::default().with_closed(args.closed.iter().cloned());
    if let Some(t) = args.tail {
        config = config
            .with_tail(t)
            .map_err(|e| UsageError::new("--tail", e))?;
    }
    if let Some(w) = &args.noise_weights {
        let [format, bounds, categories] = w[..] else {
            return Err(UsageError::new("--noise-weights", "give three numbers: F,B,C").into());
        };
        config = config
            .with_noise_weights(NoiseWeights {
                format,
                bounds,
                categories,
            })
            .map_err(|e| UsageError::new("--noise-weights", e))?;
    }
    let declared = args.schema.as_deref().map(input::schema).transpose()?;
    let options = CsvOptions::default().with_null_tokens(args.null_tokens.iter().cloned());
    let raw = RawTable::read_csv(input::open(&args.data)?, &options)
        .map_err(|e| anyhow!(input::data_error(&args.data, &e)))?;
    // Planned from public information only (the header, the declared schema, the budget).
    let plan = plan_discovery(raw.names(), declared.as_ref(), &budget, &config)
        .map_err(|e| anyhow!("cannot plan the discovery: {e}"))?;
    let mut rng = match args.noise_seed {
        Some(k) => PrivacyRng::dangerous_seeded(k),
        None => PrivacyRng::secure()?,
    };
    let mut ledger = PrivacyLedger::new();
    let schema = discover_schema(
        &raw,
        declared.as_ref(),
        &plan,
        &config,
        &mut ledger,
        &mut rng,
    )
    .map_err(|e| anyhow!(input::data_error(&args.data, &e)))?;
    // The declared public constraints carry over to the discovered schema (checked against
    // its released domains: post-processing of the releases, no data read).
    let schema = match &declared {
        Some(d) if !d.constraints().is_empty() => schema
            .with_constraints(d.constraints().to_vec())
            .map_err(|e| {
                anyhow!("the declared constraints do not fit the discovered schema: {e}")
            })?,
        _ => schema,
    };
    // ε recomputed from what was recorded, not from the plan.
    let spent = if ledger.is_empty() {
        0.0
    } else {
        epsilon_of(&ledger, &spec, delta)?.epsilon
    };
    let ledger_json = ledger.to_json()?;
    if let Some(path) = &args.ledger {
        atomic::write_file(path, format!("{ledger_json}\n").as_bytes())?;
    }
    if args.json {
        let object = serde_json::json!({
            "epsilon": spent,
            "delta": delta,
            "accountant": spec.kind.name(),
            "noise_multiplier": plan.noise_multiplier(),
            "threshold": plan.threshold().is_finite().then(|| plan.threshold()),
            "ledger": serde_json::from_str::<serde_json::Value>(&ledger_json)?,
            "schema": schema,
        });
        if !atomic::is_stdout(&args.out) {
            atomic::write_file(&args.out, format!("{}\n", schema.to_json()?).as_bytes())?;
        }
        writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&object)?
        )?;
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "private schema discovery: ε = {spent:.4} at δ = {delta:e} ({} upper bound; add/remove one row), {} release(s), noise multiplier σ = {:.3}{}",
        spec.kind.name(),
        ledger.entries().len(),
        plan.noise_multiplier(),
        if plan.threshold().is_finite() {
            format!(", category threshold τ = {:.1} rows", plan.threshold())
        } else {
            String::new()
        }
    );
    for entry in ledger.entries() {
        let _ = writeln!(err, "  {}: {:?}", entry.label(), entry.event());
    }
    if args.noise_seed.is_some() {
        let _ = writeln!(
            err,
            "warning: --noise-seed fixed the privacy randomness: the guarantee holds only while the seed stays secret"
        );
    }
    drop(err);
    write_schema(&args.out, &schema.to_json()?, quiet)
}
