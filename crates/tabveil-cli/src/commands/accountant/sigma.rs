//! `tabveil accountant sigma`: the noise multiplier that spends a target ε.

use std::io::Write;

use clap::Args;
use serde::Serialize;
use tabveil::accountant::{
    AccountantError, AccountantKind, BoundKind, CompactNumber, Neighbouring, NoiseSchedule,
    PrivacyEvent, calibrate_noise,
};

use super::describe::{orders_name, print_report, write_method, write_vacuous_note};
use super::options::{BoundingMethod, OrdersChoice, check_delta, flag_of, parse_count, spec};
use crate::commands::UsageError;

/// Flags of `tabveil accountant sigma`.
#[derive(Debug, Args)]
pub(crate) struct SigmaArgs {
    /// Target ε > 0.
    #[arg(long, allow_negative_numbers = true, value_name = "E")]
    epsilon: f64,
    /// δ ∈ (0, 1).
    #[arg(long, allow_negative_numbers = true, value_name = "D")]
    delta: f64,
    /// Sampling rate q ∈ (0, 1] of every step (1 = the plain Gaussian mechanism).
    #[arg(long, allow_negative_numbers = true, value_name = "Q")]
    sample_rate: f64,
    /// Number of steps T ≥ 1 (e.g. 10000 or 1e4).
    #[arg(long, allow_hyphen_values = true, value_name = "T", value_parser = parse_count)]
    steps: u64,
    /// Accounting method; calibration needs an upper bound, so GDP is not offered.
    #[arg(long, value_enum, value_name = "A", default_value_t = BoundingMethod::Rdp)]
    accountant: BoundingMethod,
    /// RDP orders (rdp only).
    #[arg(long, value_enum, value_name = "ORDERS", default_value_t = OrdersChoice::Default)]
    rdp_orders: OrdersChoice,
    /// Discretisation interval of privacy losses (pld only).
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "H",
        default_value_t = 1e-4
    )]
    pld_interval: f64,
    /// Largest privacy-loss grid the pld accountant may allocate (about 40 bytes a point).
    #[arg(long, value_name = "N", default_value_t = 1 << 24)]
    pld_max_points: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `tabveil accountant sigma`.
pub(super) fn run(args: &SigmaArgs) -> anyhow::Result<()> {
    let target = if args.epsilon.is_finite() && args.epsilon > 0.0 {
        args.epsilon
    } else {
        return Err(UsageError::new(
            "--epsilon",
            format!("ε = {} must be finite and > 0", args.epsilon),
        )
        .into());
    };
    let delta = check_delta(args.delta)?;
    // Validate q and T through the event constructor (σ = 1 is a placeholder).
    PrivacyEvent::sampled_gaussian(args.sample_rate, 1.0, args.steps)
        .map_err(|e| flag_of(e, None))?;
    let kind = match args.accountant {
        BoundingMethod::Rdp => AccountantKind::Rdp,
        BoundingMethod::Pld => AccountantKind::Pld,
    };
    let spec = spec(
        kind,
        args.rdp_orders,
        args.pld_interval,
        args.pld_max_points,
    )?;
    let schedule = NoiseSchedule {
        fixed: Vec::new(),
        calibrated: vec![(args.sample_rate, args.steps)],
    };
    let c = match calibrate_noise(target, delta, &schedule, &spec) {
        Ok(c) => c,
        // A target met by every noise multiplier is a bad --epsilon, not a failure.
        Err(e @ AccountantError::TargetMeetsNoNoise { .. }) => {
            return Err(UsageError::new("--epsilon", e).into());
        }
        Err(e) => return Err(anyhow::Error::new(e).context("calibrating σ")),
    };
    let report = SigmaReport {
        noise_multiplier: c.noise_multiplier,
        epsilon: c.epsilon,
        target_epsilon: target,
        delta,
        sample_rate: args.sample_rate,
        steps: args.steps,
        accountant: kind,
        bound: kind.bound(),
        neighbouring: Neighbouring::AddRemoveOne,
        rdp_orders: (kind == AccountantKind::Rdp).then(|| orders_name(&spec.rdp_orders)),
        pld_discretisation_interval: (kind == AccountantKind::Pld)
            .then(|| spec.pld_config.discretisation_interval()),
    };
    print_report(args.json, &report, |out, report| {
        writeln!(
            out,
            "σ = {} (noise multiplier) spends ε = {} ≤ {} at δ = {}",
            CompactNumber(report.noise_multiplier),
            CompactNumber(report.epsilon),
            CompactNumber(report.target_epsilon),
            CompactNumber(report.delta)
        )?;
        write_vacuous_note(out, report.epsilon)?;
        writeln!(
            out,
            "plan: {} steps with sampling rate q = {}",
            report.steps,
            CompactNumber(report.sample_rate)
        )?;
        write_method(out, &spec, None)
    })
}

#[derive(Debug, Serialize)]
struct SigmaReport {
    noise_multiplier: f64,
    epsilon: f64,
    target_epsilon: f64,
    delta: f64,
    sample_rate: f64,
    steps: u64,
    accountant: AccountantKind,
    bound: BoundKind,
    neighbouring: Neighbouring,
    #[serde(skip_serializing_if = "Option::is_none")]
    rdp_orders: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pld_discretisation_interval: Option<f64>,
}
