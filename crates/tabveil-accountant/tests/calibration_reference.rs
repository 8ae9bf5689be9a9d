//! Noise calibration against Opacus 1.6.0 (precise RDP root) and dp_accounting 0.6.0's PLD
//! calibration (issue 3).

#![allow(clippy::unwrap_used, reason = "test helpers panic on failure")]

mod common;

use common::{NoiseCase, reference, rel};
use tabveil_accountant::{AccountantSpec, NoiseSchedule, PrivacyEvent, RdpOrders, calibrate_noise};

fn schedule(c: &NoiseCase) -> NoiseSchedule {
    NoiseSchedule {
        fixed: vec![],
        calibrated: vec![(c.q, c.steps)],
    }
}

fn check_safe(c: &NoiseCase, spec: &AccountantSpec, sigma: f64) {
    let mut acc = spec.build();
    acc.compose(&PrivacyEvent::poisson_subsampled_gaussian(c.q, sigma, c.steps).unwrap())
        .unwrap();
    let eps = acc.epsilon(c.delta).unwrap();
    assert!(
        eps <= c.target_epsilon,
        "σ = {sigma}: ε = {eps} > {}",
        c.target_epsilon
    );
}

#[test]
fn rdp_calibration_matches_opacus_precise_sigma() {
    let r = reference();
    let spec = AccountantSpec::rdp().with_rdp_orders(RdpOrders::opacus());
    for c in &r.noise_multiplier {
        let got = calibrate_noise(c.target_epsilon, c.delta, &schedule(c), &spec).unwrap();
        let want = c.opacus_rdp.sigma_precise;
        assert!(
            rel(got.noise_multiplier, want) <= 1e-5,
            "ε={} q={} T={}: σ = {} vs Opacus {want}",
            c.target_epsilon,
            c.q,
            c.steps,
            got.noise_multiplier
        );
        assert!(got.epsilon <= c.target_epsilon);
        check_safe(c, &spec, got.noise_multiplier);
    }
}

fn check_pld(c: &NoiseCase) {
    let spec = AccountantSpec::pld();
    let got = calibrate_noise(c.target_epsilon, c.delta, &schedule(c), &spec).unwrap();
    let want = c.dpacc_calibrate_pld.sigma;
    assert!(
        (got.noise_multiplier - want).abs() <= 1e-3,
        "ε={} q={} T={}: σ = {} vs dp_accounting {want}",
        c.target_epsilon,
        c.q,
        c.steps,
        got.noise_multiplier
    );
    assert!(got.epsilon <= c.target_epsilon);
    check_safe(c, &spec, got.noise_multiplier);
}

#[test]
fn pld_calibration_matches_dp_accounting_on_short_runs() {
    let r = reference();
    let mut checked = 0;
    for c in r
        .noise_multiplier
        .iter()
        .filter(|c| c.steps <= 1_000 && c.q < 0.01)
    {
        check_pld(c);
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
#[ignore = "slow: PLD calibration on all 12 cases (~10 s in release)"]
fn pld_calibration_matches_dp_accounting_everywhere() {
    let r = reference();
    for c in &r.noise_multiplier {
        check_pld(c);
    }
}
