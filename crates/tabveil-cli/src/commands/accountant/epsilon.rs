//! `tabveil accountant epsilon`: ε of a history of (Poisson-subsampled) Gaussian steps.

use std::io::Write;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use tabveil::accountant::{
    Accountant, AccountantError, AccountantKind, AccountantSpec, BoundKind, CompactNumber,
    Neighbouring, PrivacyEvent, RdpAccountant,
};

use super::describe::{orders_name, print_report, write_method, write_vacuous_note};
use super::options::{
    Method, MethodArgs, RawSegment, check_delta, flag_of, missing, parse_count, parse_segment, spec,
};
use crate::commands::UsageError;

/// Flags of `tabveil accountant epsilon`.
#[derive(Debug, Args)]
pub(crate) struct EpsilonArgs {
    /// Sampling rate q ∈ (0, 1] of every step (1 = the plain Gaussian mechanism).
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "Q",
        conflicts_with = "segment"
    )]
    sample_rate: Option<f64>,
    /// Noise multiplier σ (noise standard deviation / clipping norm), > 0.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "S",
        conflicts_with = "segment"
    )]
    noise_multiplier: Option<f64>,
    /// Number of steps T ≥ 1 (e.g. 100000 or 1e5).
    #[arg(long, allow_hyphen_values = true, value_name = "T", value_parser = parse_count, conflicts_with = "segment")]
    steps: Option<u64>,
    /// A segment of a heterogeneous history: T steps with sampling rate Q and noise multiplier
    /// S. Repeat it for each segment, in order, instead of the three flags above.
    #[arg(long, allow_hyphen_values = true, value_name = "Q,S,T", value_parser = parse_segment)]
    segment: Vec<RawSegment>,
    /// δ ∈ (0, 1) at which ε is computed.
    #[arg(long, allow_negative_numbers = true, value_name = "D")]
    delta: f64,
    #[command(flatten)]
    method: MethodArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The validated form of `epsilon`'s flags.
#[derive(Debug)]
struct EpsilonPlan {
    events: Vec<PrivacyEvent>,
    delta: f64,
    spec: AccountantSpec,
}

/// Runs `tabveil accountant epsilon`.
pub(super) fn run(args: &EpsilonArgs) -> anyhow::Result<()> {
    let plan = EpsilonPlan::try_from(args)?;
    let computed = match plan.spec.kind {
        // The RDP path also reports the order that achieved ε.
        AccountantKind::Rdp => {
            let mut acc = RdpAccountant::new(plan.spec.rdp_orders.clone());
            compose_all(&mut acc, &plan.events)?;
            acc.epsilon_with_order(plan.delta)
                .map(|c| (c.epsilon, Some(c.order)))
        }
        _ => {
            let mut acc = plan.spec.build();
            for e in &plan.events {
                acc.compose(e).context("composing the history")?;
            }
            acc.epsilon(plan.delta).map(|e| (e, None))
        }
    };
    // "No finite ε" is an answer, not a failure: ε = ∞, said plainly.
    let (epsilon, optimal_order) = match computed {
        Ok(found) => found,
        Err(AccountantError::EpsilonUnbounded { .. }) => (f64::INFINITY, None),
        Err(e) => return Err(anyhow::Error::new(e).context("computing ε")),
    };
    let kind = plan.spec.kind;
    let report = EpsilonReport {
        epsilon: epsilon.is_finite().then_some(epsilon),
        unbounded: !epsilon.is_finite(),
        delta: plan.delta,
        accountant: kind,
        bound: kind.bound(),
        neighbouring: Neighbouring::AddRemoveOne,
        rdp_orders: (kind == AccountantKind::Rdp).then(|| orders_name(&plan.spec.rdp_orders)),
        rdp_optimal_order: optimal_order,
        pld_discretisation_interval: (kind == AccountantKind::Pld)
            .then(|| plan.spec.pld_config.discretisation_interval()),
        segments: plan.events.iter().map(SegmentReport::from).collect(),
    };
    print_report(args.json, &report, |out, report| {
        if epsilon.is_finite() {
            writeln!(
                out,
                "ε = {} at δ = {}",
                CompactNumber(epsilon),
                CompactNumber(plan.delta)
            )?;
        } else {
            writeln!(
                out,
                "ε = ∞ at δ = {}: no finite ε can be certified for this history",
                CompactNumber(plan.delta)
            )?;
        }
        write_vacuous_note(out, epsilon)?;
        write_method(out, &plan.spec, optimal_order)?;
        for s in &report.segments {
            writeln!(
                out,
                "history: {} × {} (q = {}, σ = {})",
                s.steps,
                if s.sample_rate == 1.0 {
                    "Gaussian mechanism"
                } else {
                    "Poisson-subsampled Gaussian"
                },
                CompactNumber(s.sample_rate),
                CompactNumber(s.noise_multiplier.unwrap_or(f64::NAN))
            )?;
        }
        Ok(())
    })
}

impl TryFrom<&EpsilonArgs> for EpsilonPlan {
    type Error = UsageError;

    fn try_from(args: &EpsilonArgs) -> Result<Self, UsageError> {
        let mut events = Vec::new();
        if args.segment.is_empty() {
            let q = args.sample_rate.ok_or_else(|| missing("--sample-rate"))?;
            let sigma = args
                .noise_multiplier
                .ok_or_else(|| missing("--noise-multiplier"))?;
            let steps = args.steps.ok_or_else(|| missing("--steps"))?;
            events.push(
                PrivacyEvent::sampled_gaussian(q, sigma, steps).map_err(|e| flag_of(e, None))?,
            );
        } else {
            for (i, s) in args.segment.iter().enumerate() {
                events.push(
                    PrivacyEvent::sampled_gaussian(s.q, s.sigma, s.steps)
                        .map_err(|e| flag_of(e, Some(i)))?,
                );
            }
        }
        let delta = check_delta(args.delta)?;
        let method = match args.method.accountant {
            Method::Rdp => AccountantKind::Rdp,
            Method::Pld => AccountantKind::Pld,
            Method::Gdp => AccountantKind::Gdp,
        };
        let spec = spec(
            method,
            args.method.rdp_orders,
            args.method.pld_interval,
            args.method.pld_max_points,
        )?;
        Ok(EpsilonPlan {
            events,
            delta,
            spec,
        })
    }
}

#[derive(Debug, Serialize)]
struct EpsilonReport {
    /// `null` when no finite ε holds (`unbounded` is then true).
    epsilon: Option<f64>,
    unbounded: bool,
    delta: f64,
    accountant: AccountantKind,
    bound: BoundKind,
    neighbouring: Neighbouring,
    #[serde(skip_serializing_if = "Option::is_none")]
    rdp_orders: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rdp_optimal_order: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pld_discretisation_interval: Option<f64>,
    segments: Vec<SegmentReport>,
}

#[derive(Debug, Serialize)]
struct SegmentReport {
    sample_rate: f64,
    /// Always present for the Gaussian segments this command builds.
    noise_multiplier: Option<f64>,
    steps: u64,
}

impl From<&PrivacyEvent> for SegmentReport {
    fn from(e: &PrivacyEvent) -> Self {
        SegmentReport {
            sample_rate: e.sample_rate(),
            noise_multiplier: e.noise_multiplier(),
            steps: e.steps(),
        }
    }
}

/// Composes `events` on `acc`.
fn compose_all(acc: &mut RdpAccountant, events: &[PrivacyEvent]) -> anyhow::Result<()> {
    for e in events {
        acc.compose(e).context("composing the history")?;
    }
    Ok(())
}
