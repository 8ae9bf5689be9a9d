//! The one-run bound against independently computed reference values
//! (`scripts/audit/one_run_bound_reference.py`: mpmath at 40 digits, no code shared with the
//! crate; p-values cross-checked with scipy).
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use serde::Deserialize;
use tabveil_audit::{GuessCounts, one_run_log_p_value, one_run_lower_bound, one_run_p_value};

#[derive(Deserialize)]
struct Reference {
    p_values: Vec<PCase>,
    bounds: Vec<BoundCase>,
}

#[derive(Deserialize)]
struct PCase {
    m: u64,
    r: u64,
    v: u64,
    epsilon: f64,
    delta: f64,
    p_value: f64,
    log_p_value: Option<f64>,
}

#[derive(Deserialize)]
struct BoundCase {
    m: u64,
    r: u64,
    v: u64,
    delta: f64,
    significance: f64,
    epsilon_lower_bound: f64,
}

fn reference() -> Reference {
    let text = include_str!("data/one_run_bound_reference.json");
    serde_json::from_str(text).unwrap()
}

#[test]
fn p_values_match_the_multiprecision_reference() {
    for c in reference().p_values {
        let counts = GuessCounts::new(c.m, c.r, c.v).unwrap();
        let p = one_run_p_value(&counts, c.epsilon, c.delta).unwrap();
        let ln_p = one_run_log_p_value(&counts, c.epsilon, c.delta).unwrap();
        let want = c.log_p_value.unwrap();
        // Relative 1e-9 on the p-value is 1e-9 absolute on its logarithm; the far tail
        // (e^-127) is checked in log space, where it does not underflow.
        assert!(
            (ln_p - want).abs() <= 1e-9 * want.abs().max(1.0),
            "m={} r={} v={} ε={}: ln p {ln_p} vs {want}",
            c.m,
            c.r,
            c.v,
            c.epsilon
        );
        assert!((p - c.p_value).abs() <= 1e-9 * c.p_value.max(1e-300));
    }
}

#[test]
fn lower_bounds_match_the_multiprecision_reference() {
    for c in reference().bounds {
        let counts = GuessCounts::new(c.m, c.r, c.v).unwrap();
        let eps = one_run_lower_bound(&counts, c.delta, c.significance).unwrap();
        assert!(
            (eps - c.epsilon_lower_bound).abs() <= 1e-8,
            "m={} r={} v={} δ={} β={}: {eps} vs {}",
            c.m,
            c.r,
            c.v,
            c.delta,
            c.significance,
            c.epsilon_lower_bound
        );
        // Never above the reference by more than rounding: the direction that matters.
        assert!(eps <= c.epsilon_lower_bound + 1e-9);
    }
}
