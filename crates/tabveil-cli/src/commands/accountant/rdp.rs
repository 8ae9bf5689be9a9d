//! `tabveil accountant rdp`: the per-step Rényi DP of the subsampled Gaussian.

use std::io::Write;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use tabveil::accountant::{Neighbouring, PrivacyEvent, RdpOrders, sampled_gaussian_rdp};

use super::describe::print_report;
use super::options::flag_of;
use crate::commands::UsageError;

/// Flags of `tabveil accountant rdp`.
#[derive(Debug, Args)]
pub(crate) struct RdpArgs {
    /// Sampling rate q ∈ (0, 1].
    #[arg(long, allow_negative_numbers = true, value_name = "Q")]
    sample_rate: f64,
    /// Noise multiplier σ > 0.
    #[arg(long, allow_negative_numbers = true, value_name = "S")]
    noise_multiplier: f64,
    /// Rényi orders α > 1, comma-separated (e.g. 1.5,2,32).
    #[arg(long, allow_negative_numbers = true, value_name = "A[,B,...]", value_delimiter = ',', required = true, num_args = 1..)]
    orders: Vec<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `tabveil accountant rdp`.
pub(super) fn run(args: &RdpArgs) -> anyhow::Result<()> {
    // Validate everything before computing anything.
    PrivacyEvent::sampled_gaussian(args.sample_rate, args.noise_multiplier, 1)
        .map_err(|e| flag_of(e, None))?;
    RdpOrders::custom(args.orders.clone()).map_err(|e| UsageError::new("--orders", e))?;
    let mut values = Vec::with_capacity(args.orders.len());
    for &order in &args.orders {
        let v = sampled_gaussian_rdp(args.sample_rate, args.noise_multiplier, order)
            .with_context(|| format!("computing the RDP at order {order}"))?;
        values.push(v);
    }
    let report = RdpReport {
        sample_rate: args.sample_rate,
        noise_multiplier: args.noise_multiplier,
        orders: args.orders.clone(),
        rdp: values,
        neighbouring: Neighbouring::AddRemoveOne,
    };
    print_report(args.json, &report, |out, report| {
        writeln!(
            out,
            "per-step Rényi DP of the Poisson-subsampled Gaussian (q = {}, σ = {}), {}:",
            report.sample_rate,
            report.noise_multiplier,
            Neighbouring::AddRemoveOne
        )?;
        writeln!(out, "{:>12}  RDP ε_α", "order α")?;
        for (a, v) in report.orders.iter().zip(&report.rdp) {
            writeln!(out, "{a:>12}  {v}")?;
        }
        Ok(())
    })
}

#[derive(Debug, Serialize)]
struct RdpReport {
    sample_rate: f64,
    noise_multiplier: f64,
    orders: Vec<f64>,
    rdp: Vec<f64>,
    neighbouring: Neighbouring,
}
