//! Writes the privacy report of a simulated private fit on the bundled adult schema (the
//! demo's settings: ε = 3, δ = 1e-6, 300 epochs, batch 500), in all three formats, plus a
//! comparison with a non-private fit:
//! `cargo run -p tabveil-report --example adult_report -- OUT_DIR`.
//!
//! The ledger is the one a fit records (one preprocessing release per column at the jointly
//! calibrated σ, then the training steps); no data is read.

#![allow(clippy::print_stdout, reason = "an example prints where it wrote")]

use tabveil_accountant::{LedgerEntry, PrivacyLedger, Stage};
use tabveil_data::{PrivateConfig, Schema, planned_preprocessing};
use tabveil_report::{Comparison, EvaluationSummary, PrivacyReport};
use tabveil_validate::{DpConfig, Privacy, TrainingConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/adult-report".to_owned());
    std::fs::create_dir_all(&out)?;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/adult/schema.json");
    let schema = Schema::from_path(path)?;
    let n = 26_049;
    let config = TrainingConfig::ctgan(Privacy::Dp(DpConfig::new(3.0, 1e-6)));
    let plan = tabveil_validate::validate(&config, &schema, n).into_result()?;
    let private = plan.plan().private.clone().ok_or("no private plan")?;

    let mut ledger = PrivacyLedger::new();
    let sigma_pre = private
        .preprocessing_noise_multiplier
        .ok_or("no preprocessing")?;
    for entry in planned_preprocessing(&schema, &PrivateConfig::new(sigma_pre)?)? {
        ledger.record(entry)?;
    }
    let step = tabveil_accountant::PrivacyEvent::poisson_subsampled_gaussian(
        private.sample_rate,
        private.training_noise_multiplier,
        private.private_steps,
    )?;
    ledger.record(
        LedgerEntry::new("training: CTGAN discriminator", Stage::Training, step)?
            .with_l2_sensitivity(1.0)?,
    )?;

    let report = PrivacyReport::from_fit(&ledger, &config, &schema, n)?
        .with_name("dp-ctgan eps=3")
        .with_evaluation(EvaluationSummary {
            quality_overall: Some(0.78),
            column_shapes: Some(0.84),
            column_pair_trends: Some(0.72),
            tstr_auc: Some(0.81),
            trtr_auc: Some(0.91),
        })?;
    std::fs::write(format!("{out}/report.json"), report.to_json()?)?;
    std::fs::write(format!("{out}/report.md"), report.to_markdown())?;
    std::fs::write(format!("{out}/report.html"), report.to_html()?)?;

    let plain_config = TrainingConfig::ctgan(Privacy::NonPrivate);
    let plain = PrivacyReport::from_fit(&PrivacyLedger::new(), &plain_config, &schema, n)?
        .with_name("ctgan (no DP)");
    std::fs::write(format!("{out}/plain.md"), plain.to_markdown())?;
    std::fs::write(format!("{out}/plain.html"), plain.to_html()?)?;
    let comparison = Comparison::new(&[report, plain])?;
    std::fs::write(format!("{out}/compare.md"), comparison.to_markdown())?;
    std::fs::write(format!("{out}/compare.html"), comparison.to_html()?)?;
    std::fs::write(format!("{out}/compare.json"), comparison.to_json()?)?;
    println!("wrote {out}/report.{{json,md,html}}, plain.*, compare.*");
    Ok(())
}
