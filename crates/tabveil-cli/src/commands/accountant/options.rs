//! The flags and conversions the `accountant` subcommands share: the accounting method and its
//! settings, step counts and segments as typed, and the flag each invalid value belongs to.

use clap::{Args, ValueEnum};
use tabveil::accountant::{AccountantError, AccountantKind, AccountantSpec, PldConfig, RdpOrders};

use crate::commands::UsageError;

/// The accounting method and its settings.
#[derive(Debug, Args)]
pub(super) struct MethodArgs {
    /// Accounting method: rdp (Rényi DP, upper bound), pld (privacy loss distributions,
    /// tighter upper bound) or gdp (central-limit approximation, NOT an upper bound).
    #[arg(long, value_enum, value_name = "A", default_value_t = Method::Rdp)]
    pub(super) accountant: Method,
    /// RDP orders (rdp only): Opacus' 151 orders, or those plus 11 and 64…4096.
    #[arg(long, value_enum, value_name = "ORDERS", default_value_t = OrdersChoice::Default)]
    pub(super) rdp_orders: OrdersChoice,
    /// Discretisation interval of privacy losses (pld only).
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "H",
        default_value_t = 1e-4
    )]
    pub(super) pld_interval: f64,
    /// Largest privacy-loss grid the pld accountant may allocate (about 40 bytes a point).
    #[arg(long, value_name = "N", default_value_t = 1 << 24)]
    pub(super) pld_max_points: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Method {
    Rdp,
    Pld,
    Gdp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum BoundingMethod {
    Rdp,
    Pld,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum OrdersChoice {
    Default,
    Opacus,
}

/// `Q,S,T` as typed; validated later.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct RawSegment {
    pub(super) q: f64,
    pub(super) sigma: f64,
    pub(super) steps: u64,
}

/// The flag an event error belongs to (`--segment` for the `index`-th segment).
pub(super) fn flag_of(e: AccountantError, segment: Option<usize>) -> UsageError {
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

pub(super) fn missing(flag: &'static str) -> UsageError {
    UsageError::missing(
        flag,
        "give --sample-rate, --noise-multiplier and --steps, or one or more --segment Q,S,T",
    )
}

pub(super) fn check_delta(delta: f64) -> Result<f64, UsageError> {
    if delta > 0.0 && delta < 1.0 {
        Ok(delta)
    } else {
        Err(UsageError::new(
            "--delta",
            format!("δ = {delta} is outside (0, 1)"),
        ))
    }
}

pub(super) fn spec(
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

/// A whole number of steps: `100000`, or `1e5` when that is an exact integer.
pub(super) fn parse_count(s: &str) -> Result<u64, String> {
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
pub(super) fn parse_segment(s: &str) -> Result<RawSegment, String> {
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
