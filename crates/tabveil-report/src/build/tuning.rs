//! Tuning suggestions: what more epochs, a larger batch or another ε would cost or buy, each
//! computed by the validator's planner (the same calibration a fit runs) or the accountant.

use tabveil_accountant::{AccountantKind, AccountantSpec, PrivacyEvent, PrivacyLedger, Stage};
use tabveil_data::Schema;
use tabveil_validate::{DpConfig, Privacy, TrainingConfig, ValidateOptions, validate_with};

use crate::error::Result;
use crate::types::{Scenario, Tuning};

pub(crate) fn tuning(
    ledger: &PrivacyLedger,
    config: &TrainingConfig,
    dp: &DpConfig,
    schema: &Schema,
    n_rows: u64,
) -> Result<Tuning> {
    // The what-ifs need dozens of calibrations; with the PLD accountant (seconds each) they are
    // computed with RDP instead, an upper bound on PLD's values, and the note says so.
    let pld = dp.accountant.kind == AccountantKind::Pld;
    let mut planning = dp.clone();
    if pld {
        planning.accountant = AccountantSpec::rdp();
    }
    let dp = &planning;
    let no_ranges = ValidateOptions {
        ranges: false,
        memory_limit_bytes: None,
    };
    let with_dp = |epsilon: f64, epochs: u64, batch: u64| -> TrainingConfig {
        let mut c = config.clone().with_epochs(epochs).with_batch_size(batch);
        let mut at = dp.clone();
        at.epsilon = epsilon;
        c.set_privacy(Privacy::Dp(at));
        c
    };
    let (e, b, eps) = (config.epochs(), config.batch_size(), dp.epsilon);
    let mut scenarios = vec![scenario(
        "as fitted (target)",
        &with_dp(eps, e, b),
        schema,
        n_rows,
        &no_ranges,
        dp.clipping_norm,
    )];
    let variants: [(&str, f64, u64, u64); 6] = [
        ("twice the epochs", eps, e.saturating_mul(2), b),
        ("half the epochs", eps, (e / 2).max(1), b),
        (
            "twice the batch size",
            eps,
            e,
            b.saturating_mul(2).min(n_rows),
        ),
        ("half the batch size", eps, e, (b / 2).max(1)),
        ("twice the ε", eps * 2.0, e, b),
        ("half the ε", eps / 2.0, e, b),
    ];
    for (label, eps_v, e_v, b_v) in variants {
        if (e_v, b_v, eps_v.to_bits()) == (e, b, eps.to_bits()) {
            continue;
        }
        let mut s = scenario(
            label,
            &with_dp(eps_v, e_v, b_v),
            schema,
            n_rows,
            &no_ranges,
            dp.clipping_norm,
        );
        if label == "twice the epochs" {
            s.epsilon_at_same_noise = epsilon_with_more_steps(ledger, &dp.accountant, dp.delta, 2)?;
        }
        scenarios.push(s);
    }
    let ranges = validate_with(
        &with_dp(eps, e, b),
        schema,
        n_rows,
        &ValidateOptions {
            ranges: true,
            memory_limit_bytes: None,
        },
    )
    .plan
    .and_then(|p| p.ranges);
    Ok(Tuning {
        scenarios,
        ranges,
        note: format!(
            "{}Each row recalibrates the noise for its settings with the same accountant and preprocessing share (the calibration a fit runs). More noise per step (a larger σ relative to the batch) means a noisier model at the same ε; a blocked row names the validator's error. \"ε at the same noise\" is what the change would spend if σ were kept as fitted.",
            if pld {
                "This fit was accounted with PLD; the rows below are computed with RDP (faster, and an upper bound on PLD, so their σ are slightly larger than PLD would give). "
            } else {
                ""
            }
        ),
    })
}

fn scenario(
    change: &str,
    config: &TrainingConfig,
    schema: &Schema,
    n_rows: u64,
    options: &ValidateOptions,
    clipping_norm: f64,
) -> Scenario {
    let report = validate_with(config, schema, n_rows, options);
    let blocked_by: Vec<String> = report
        .errors()
        .map(|f| f.code.as_str().to_owned())
        .collect();
    let sigma = report
        .plan
        .as_ref()
        .and_then(|p| p.private.as_ref())
        .map(|p| p.training_noise_multiplier);
    Scenario {
        change: change.to_owned(),
        epsilon: config.dp().map_or(f64::NAN, |d| d.epsilon),
        epochs: config.epochs(),
        batch_size: config.batch_size(),
        noise_multiplier: sigma,
        mean_gradient_noise_std: sigma.map(|s| s * clipping_norm / config.batch_size() as f64),
        blocked_by,
        epsilon_at_same_noise: None,
    }
}

/// ε if every training entry of the ledger were run `factor` times as many steps, with the same
/// noise: what more epochs would cost without recalibrating.
fn epsilon_with_more_steps(
    ledger: &PrivacyLedger,
    spec: &AccountantSpec,
    delta: f64,
    factor: u64,
) -> Result<Option<f64>> {
    let mut acc = spec.build();
    let mut any = false;
    for entry in ledger.entries() {
        let event: PrivacyEvent = if entry.stage() == Stage::Training {
            any = true;
            entry
                .event()
                .with_steps(entry.event().steps().saturating_mul(factor))?
        } else {
            *entry.event()
        };
        acc.compose(&event)?;
    }
    if !any {
        return Ok(None);
    }
    Ok(acc.epsilon(delta).ok())
}
