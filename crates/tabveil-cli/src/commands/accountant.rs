//! `tabveil accountant epsilon | sigma | rdp`: privacy accounting from the shell.
//!
//! Flags are parsed by clap into the raw `*Args` structs, then converted into validated values
//! (events, an accountant spec, δ) before the accountant is called; a value out of range is a
//! [`UsageError`] naming its flag. Every result says which accountant produced it, whether it
//! is an upper bound, and the neighbouring relation (add/remove one row), in text and JSON.

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use tabveil::accountant::{
    AccountantError, AccountantKind, AccountantSpec, BoundKind, Neighbouring, NoiseSchedule,
    PldConfig, PrivacyEvent, RdpAccountant, RdpOrders, RdpOrdersPreset, calibrate_noise,
    sampled_gaussian_rdp,
};

use super::UsageError;

/// The `accountant` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum AccountantCommand {
    /// ε spent by a DP-SGD history of Poisson-subsampled Gaussian steps, at a given δ.
    Epsilon(EpsilonArgs),
    /// The noise multiplier that spends a target ε in a given number of steps.
    Sigma(SigmaArgs),
    /// The per-step Rényi DP of the subsampled Gaussian at given orders.
    Rdp(RdpArgs),
}

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

/// The accounting method and its settings.
#[derive(Debug, Args)]
struct MethodArgs {
    /// Accounting method: rdp (Rényi DP, upper bound), pld (privacy loss distributions,
    /// tighter upper bound) or gdp (central-limit approximation, NOT an upper bound).
    #[arg(long, value_enum, value_name = "A", default_value_t = Method::Rdp)]
    accountant: Method,
    /// RDP orders (rdp only): Opacus' 151 orders, or those plus 11 and 64…4096.
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    Rdp,
    Pld,
    Gdp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BoundingMethod {
    Rdp,
    Pld,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OrdersChoice {
    Default,
    Opacus,
}

/// `Q,S,T` as typed; validated later.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RawSegment {
    q: f64,
    sigma: f64,
    steps: u64,
}

/// Runs an `accountant` subcommand.
pub(crate) fn run(command: &AccountantCommand) -> anyhow::Result<()> {
    match command {
        AccountantCommand::Epsilon(args) => epsilon(args),
        AccountantCommand::Sigma(args) => sigma(args),
        AccountantCommand::Rdp(args) => rdp(args),
    }
}

// ---------------------------------------------------------------------------------------------
// epsilon

/// The validated form of `epsilon`'s flags.
#[derive(Debug)]
struct EpsilonPlan {
    events: Vec<PrivacyEvent>,
    delta: f64,
    spec: AccountantSpec,
}

fn epsilon(args: &EpsilonArgs) -> anyhow::Result<()> {
    let plan = EpsilonPlan::try_from(args)?;
    let (epsilon, optimal_order) = match plan.spec.kind {
        // The RDP path also reports the order that achieved ε.
        AccountantKind::Rdp => {
            let mut acc = RdpAccountant::new(plan.spec.rdp_orders.clone());
            compose_all(&mut acc, &plan.events)?;
            let c = acc.epsilon_with_order(plan.delta).context("computing ε")?;
            (c.epsilon, Some(c.order))
        }
        _ => {
            let mut acc = plan.spec.build();
            for e in &plan.events {
                acc.compose(e).context("composing the history")?;
            }
            (acc.epsilon(plan.delta).context("computing ε")?, None)
        }
    };
    let kind = plan.spec.kind;
    let report = EpsilonReport {
        epsilon,
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
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "ε = {} at δ = {:e}", report.epsilon, report.delta)?;
        writeln!(
            out,
            "accountant: {}",
            describe_method(&plan.spec, optimal_order)
        )?;
        writeln!(out, "bound: {}", describe_bound(kind.bound()))?;
        writeln!(out, "neighbouring relation: {}", Neighbouring::AddRemoveOne)?;
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
                s.sample_rate,
                s.noise_multiplier
            )?;
        }
    }
    Ok(())
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
    epsilon: f64,
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
    noise_multiplier: f64,
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

// ---------------------------------------------------------------------------------------------
// sigma

fn sigma(args: &SigmaArgs) -> anyhow::Result<()> {
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
    let c = calibrate_noise(target, delta, &schedule, &spec).context("calibrating σ")?;
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
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "σ = {} (noise multiplier) spends ε = {} ≤ {} at δ = {:e}",
            report.noise_multiplier, report.epsilon, report.target_epsilon, report.delta
        )?;
        writeln!(
            out,
            "plan: {} steps with sampling rate q = {}",
            report.steps, report.sample_rate
        )?;
        writeln!(out, "accountant: {}", describe_method(&spec, None))?;
        writeln!(out, "bound: {}", describe_bound(kind.bound()))?;
        writeln!(out, "neighbouring relation: {}", Neighbouring::AddRemoveOne)?;
    }
    Ok(())
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

// ---------------------------------------------------------------------------------------------
// rdp

fn rdp(args: &RdpArgs) -> anyhow::Result<()> {
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
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
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
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct RdpReport {
    sample_rate: f64,
    noise_multiplier: f64,
    orders: Vec<f64>,
    rdp: Vec<f64>,
    neighbouring: Neighbouring,
}

// ---------------------------------------------------------------------------------------------
// shared conversions

fn compose_all(acc: &mut RdpAccountant, events: &[PrivacyEvent]) -> anyhow::Result<()> {
    use tabveil::accountant::Accountant;
    for e in events {
        acc.compose(e).context("composing the history")?;
    }
    Ok(())
}

/// The flag an event error belongs to (`--segment` for the `index`-th segment).
fn flag_of(e: AccountantError, segment: Option<usize>) -> UsageError {
    if let Some(i) = segment {
        return UsageError::new("--segment", format!("segment {}: {e}", i + 1));
    }
    let flag = match e {
        AccountantError::InvalidSampleRate { .. } => "--sample-rate",
        AccountantError::InvalidNoiseMultiplier { .. } => "--noise-multiplier",
        _ => "--steps",
    };
    UsageError::new(flag, e)
}

fn missing(flag: &'static str) -> UsageError {
    UsageError::missing(
        flag,
        "give --sample-rate, --noise-multiplier and --steps, or one or more --segment Q,S,T",
    )
}

fn check_delta(delta: f64) -> Result<f64, UsageError> {
    if delta > 0.0 && delta < 1.0 {
        Ok(delta)
    } else {
        Err(UsageError::new(
            "--delta",
            format!("δ = {delta} is outside (0, 1)"),
        ))
    }
}

fn spec(
    kind: AccountantKind,
    orders: OrdersChoice,
    pld_interval: f64,
    pld_max_points: u64,
) -> Result<AccountantSpec, UsageError> {
    let pld = PldConfig::default()
        .with_discretisation_interval(pld_interval)
        .map_err(|e| UsageError::new("--pld-interval", e))?
        .with_max_grid_points(pld_max_points)
        .map_err(|e| UsageError::new("--pld-max-points", e))?;
    let orders = match orders {
        OrdersChoice::Default => RdpOrders::default(),
        OrdersChoice::Opacus => RdpOrders::opacus(),
    };
    Ok(AccountantSpec::new(kind)
        .with_rdp_orders(orders)
        .with_pld_config(pld))
}

fn orders_name(orders: &RdpOrders) -> &'static str {
    orders.preset_name().map_or("custom", RdpOrdersPreset::name)
}

fn describe_method(spec: &AccountantSpec, optimal_order: Option<f64>) -> String {
    match spec.kind {
        AccountantKind::Rdp => {
            let mut s = format!(
                "rdp (Rényi DP of the sampled Gaussian, {} orders, converted by Balle et al. 2020)",
                orders_name(&spec.rdp_orders)
            );
            if let Some(a) = optimal_order {
                s.push_str(&format!("; best order α = {a}"));
            }
            s
        }
        AccountantKind::Pld => format!(
            "pld (privacy loss distributions, pessimistic connect-the-dots, interval {}; max over add and remove)",
            spec.pld_config.discretisation_interval()
        ),
        AccountantKind::Gdp => {
            "gdp (central-limit Gaussian DP, as Opacus' GaussianAccountant)".to_owned()
        }
    }
}

fn describe_bound(bound: BoundKind) -> &'static str {
    match bound {
        BoundKind::UpperBound => "upper bound on ε",
        BoundKind::Approximation => "approximation, NOT an upper bound: the true ε may be larger",
    }
}

/// A whole number of steps: `100000`, or `1e5` when that is an exact integer.
fn parse_count(s: &str) -> Result<u64, String> {
    if let Ok(n) = s.trim().parse::<u64>() {
        return Ok(n);
    }
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_992.0 => {
            Ok(x as u64)
        }
        _ => Err(format!(
            "expected a whole number of steps (e.g. 1000 or 1e5), got '{s}'"
        )),
    }
}

/// `Q,S,T`.
fn parse_segment(s: &str) -> Result<RawSegment, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [q, sigma, steps] = parts.as_slice() else {
        return Err(format!(
            "expected three comma-separated values Q,S,T (sample rate, noise multiplier, steps), got '{s}'"
        ));
    };
    let q = q
        .parse::<f64>()
        .map_err(|_| format!("sample rate '{q}' is not a number"))?;
    let sigma = sigma
        .parse::<f64>()
        .map_err(|_| format!("noise multiplier '{sigma}' is not a number"))?;
    let steps = parse_count(steps)?;
    Ok(RawSegment { q, sigma, steps })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accept_scientific_notation_when_exact() {
        assert_eq!(parse_count("100000"), Ok(100_000));
        assert_eq!(parse_count("1e5"), Ok(100_000));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("1e300").is_err());
        assert!(parse_count("nan").is_err());
    }

    #[test]
    fn segments_parse() {
        assert_eq!(
            parse_segment("0.01, 1.1, 1e3"),
            Ok(RawSegment {
                q: 0.01,
                sigma: 1.1,
                steps: 1000
            })
        );
        assert!(parse_segment("0.01,1.1").is_err());
        assert!(parse_segment("a,1,1").is_err());
    }
}
