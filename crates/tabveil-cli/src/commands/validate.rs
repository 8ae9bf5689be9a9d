//! `tabveil validate`: check a training plan against a schema and a row count — no data is
//! read — and print the findings and the plan. Exit status 1 if any finding is an error.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::UsageError;
use super::training::TrainingFlags;
use crate::input;

/// Check a training plan before spending any privacy: findings with fixes, and the plan.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The schema (JSON).
    #[arg(long, value_name = "S.json")]
    schema: PathBuf,
    /// The number of rows of the table.
    #[arg(long, allow_hyphen_values = true, value_name = "N")]
    rows: u64,
    #[command(flatten)]
    training: TrainingFlags,
    /// Print the findings and the plan as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub(crate) fn run(args: &ValidateArgs) -> anyhow::Result<()> {
    if args.rows == 0 {
        return Err(UsageError::new("--rows", "must be at least 1").into());
    }
    let synth = args.training.synthesizer()?;
    let schema = input::schema(&args.schema)?;
    let report = synth.validate(&schema, args.rows);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        let text = crate::sanitize::text(&report.to_string());
        write!(out, "{text}")?;
        if !text.ends_with('\n') {
            writeln!(out)?;
        }
        // The joint plan: the discovery's releases come first, and the training noise above
        // is calibrated for what they leave of ε.
        let names: Vec<String> = schema
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        if let Ok(Some(plan)) = synth.discovery_plan(&names, Some(&schema)) {
            let tau = plan.threshold();
            writeln!(
                out,
                "discovery (before the plan above, which composes it): {} release(s), noise scale σ = {:.3}{}, ε alone = {:.4} at δ = {:e}",
                plan.entries().len(),
                plan.noise_multiplier(),
                if tau.is_finite() {
                    format!(", category threshold τ = {tau:.1} rows")
                } else {
                    String::new()
                },
                plan.epsilon(),
                plan.budget().delta()
            )?;
        }
    }
    out.flush()?;
    let errors = report.errors().count();
    if errors > 0 {
        bail!(
            "the plan has {errors} blocking problem(s); apply the fixes above and validate again"
        );
    }
    Ok(())
}
