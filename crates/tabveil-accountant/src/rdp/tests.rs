use std::sync::Arc;

use super::*;
use crate::error::AccountantError;

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn plain_gaussian_is_exact() {
    for (sigma, alpha) in [(0.5, 1.1), (1.0, 2.0), (50.0, 4096.0)] {
        assert_eq!(
            sampled_gaussian_rdp(1.0, sigma, alpha).unwrap(),
            alpha / (2.0 * sigma * sigma)
        );
    }
}

#[test]
fn fractional_series_agrees_with_the_integer_sum_next_to_integers() {
    // The two algorithms are independent; α = n ± 1e-7 must land within the derivative's reach.
    for (q, sigma) in [(0.01, 1.1), (0.2, 0.8), (0.5, 5.0), (0.001, 0.5)] {
        for n in [2.0, 3.0, 10.0, 20.0] {
            let at = sampled_gaussian_rdp(q, sigma, n).unwrap();
            let below = sampled_gaussian_rdp(q, sigma, n - 1e-7).unwrap();
            let above = sampled_gaussian_rdp(q, sigma, n + 1e-7).unwrap();
            assert!(below <= at * (1.0 + 1e-9) && at <= above * (1.0 + 1e-9));
            assert!(
                rel(below, at) < 1e-5 && rel(above, at) < 1e-5,
                "q={q} σ={sigma} α={n}"
            );
        }
    }
}

#[test]
fn invalid_parameters_are_typed_errors() {
    assert!(matches!(
        sampled_gaussian_rdp(0.0, 1.0, 2.0),
        Err(AccountantError::InvalidSampleRate { .. })
    ));
    assert!(matches!(
        sampled_gaussian_rdp(0.1, f64::NAN, 2.0),
        Err(AccountantError::InvalidNoiseMultiplier { .. })
    ));
    for order in [1.0, 0.5, f64::NAN, f64::INFINITY, MAX_RDP_ORDER * 2.0] {
        assert!(matches!(
            sampled_gaussian_rdp(0.1, 1.0, order),
            Err(AccountantError::InvalidRdpOrder { .. })
        ));
    }
    assert_eq!(
        RdpOrders::custom(vec![]),
        Err(AccountantError::EmptyRdpOrders)
    );
    assert!(RdpOrders::custom(vec![2.0, 1.0]).is_err());
}

#[test]
fn extreme_but_valid_parameters_give_finite_or_infinite_values_never_nan() {
    for q in [1e-300, 1e-12, 0.5, 1.0 - 1e-16] {
        for sigma in [1e-3, 0.1, 1.0, 1e3, 1e12] {
            for alpha in [1.000_001, 1.5, 2.0, 63.0, 1024.0, 4096.5] {
                let v = sampled_gaussian_rdp(q, sigma, alpha).unwrap();
                assert!(v > 0.0, "q={q} σ={sigma} α={alpha}: {v}");
                // Never above the Gaussian mechanism's value (subsampling only helps).
                assert!(v <= sampled_gaussian_rdp(1.0, sigma, alpha).unwrap());
            }
        }
    }
}

/// Issue 12: the integer sum dropped every term once the log-terms reached 2^58 (σ = 2e-6,
/// α = 4096 gave 1e-323 instead of ~1e18); a fractional series that does not converge falls
/// back to the next integer order rather than failing.
#[test]
fn issue_12_huge_log_terms_are_summed() {
    let rdp = sampled_gaussian_rdp(0.01, 2e-6, 4096.0).unwrap();
    // At least the k = α term: ln(q^α e^{α(α−1)/(2σ²)})/(α − 1) ≈ α/(2σ²) + α ln q/(α − 1).
    let leading = 4096.0 / (2.0 * 4e-12) + 4096.0 * 0.01_f64.ln() / 4095.0;
    assert!(rdp >= leading * (1.0 - 1e-12), "{rdp:e} vs {leading:e}");
    // q ≈ ½ with σ ≫ 1: the series used to run for seconds; the value is still a bound.
    let frac = sampled_gaussian_rdp(0.5, 1e10, 1.1).unwrap();
    let at_two = sampled_gaussian_rdp(0.5, 1e10, 2.0).unwrap();
    assert!(frac > 0.0 && frac <= at_two);
}

#[test]
fn per_step_vectors_are_cached() {
    let mut acc = RdpAccountant::new(RdpOrders::opacus());
    let e = PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.0, 3).unwrap();
    let a = acc.per_step_rdp(&e).unwrap();
    let b = acc.per_step_rdp(&e.with_steps(10).unwrap()).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
}

#[test]
fn composition_adds_up() {
    let e = PrivacyEvent::poisson_subsampled_gaussian(0.02, 0.9, 1).unwrap();
    let mut once = RdpAccountant::default();
    once.compose(&e.with_steps(7).unwrap()).unwrap();
    let mut seven = RdpAccountant::default();
    for _ in 0..7 {
        seven.compose(&e).unwrap();
    }
    for (a, b) in once
        .rdp_curve()
        .values()
        .iter()
        .zip(seven.rdp_curve().values())
    {
        assert!(rel(*a, *b) < 1e-14);
    }
    // Gaussian events and q = 1 events are the same mechanism.
    let mut g = RdpAccountant::default();
    g.compose(&PrivacyEvent::gaussian(2.0, 3).unwrap()).unwrap();
    let mut p = RdpAccountant::default();
    p.compose(&PrivacyEvent::poisson_subsampled_gaussian(1.0, 2.0, 3).unwrap())
        .unwrap();
    assert_eq!(g.rdp_curve(), p.rdp_curve());
}

#[test]
fn empty_accountant_spends_nothing() {
    let acc = RdpAccountant::default();
    assert_eq!(acc.epsilon(1e-5).unwrap(), 0.0);
    assert_eq!(acc.delta(0.0).unwrap(), 0.0);
}

#[test]
fn epsilon_is_clamped_at_zero_and_delta_inverts_epsilon() {
    let mut acc = RdpAccountant::default();
    acc.compose(&PrivacyEvent::poisson_subsampled_gaussian(1e-4, 50.0, 1).unwrap())
        .unwrap();
    // With δ close to 1 the Balle et al. formula goes negative: reported as 0.
    assert_eq!(acc.epsilon(0.999).unwrap(), 0.0);
    acc.compose(&PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.0, 1000).unwrap())
        .unwrap();
    for delta in [1e-3, 1e-5, 1e-9] {
        let eps = acc.epsilon(delta).unwrap();
        let back = acc.delta(eps).unwrap();
        assert!(back <= delta * (1.0 + 1e-9), "{back} > {delta}");
        assert!(back >= delta * (1.0 - 1e-6), "{back} ≪ {delta}");
    }
}

#[test]
fn bad_queries_are_typed_errors() {
    let acc = RdpAccountant::default();
    for d in [0.0, 1.0, -1.0, f64::NAN] {
        assert!(matches!(
            acc.epsilon(d),
            Err(AccountantError::InvalidDelta { .. })
        ));
    }
    for e in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            acc.delta(e),
            Err(AccountantError::InvalidEpsilon { .. })
        ));
    }
}

#[test]
fn infinite_rdp_is_a_vacuous_order_not_an_error() {
    // σ so small that α/(2σ²) overflows at every order: no finite ε.
    let mut acc = RdpAccountant::new(RdpOrders::custom(vec![2.0, 3.0]).unwrap());
    acc.compose(&PrivacyEvent::gaussian(1e-160, 1).unwrap())
        .unwrap();
    assert!(matches!(
        acc.epsilon(1e-5),
        Err(AccountantError::EpsilonUnbounded { .. })
    ));
}

#[test]
fn huge_step_counts_round_up() {
    let steps = (1_u64 << 53) + 1;
    assert!(steps_rounded_up(steps) >= steps as f64);
    assert!(steps_rounded_up(steps) as u128 >= u128::from(steps));
    assert_eq!(steps_rounded_up(1000), 1000.0);
}

#[test]
fn orders_serde_round_trip() {
    for orders in [
        RdpOrders::opacus(),
        RdpOrders::default(),
        RdpOrders::custom(vec![1.5, 7.0]).unwrap(),
    ] {
        let json = serde_json::to_string(&orders).unwrap();
        let back: RdpOrders = serde_json::from_str(&json).unwrap();
        assert_eq!(back, orders);
    }
    assert_eq!(
        serde_json::to_string(&RdpOrders::opacus()).unwrap(),
        "\"opacus\""
    );
    assert!(serde_json::from_str::<RdpOrders>("[0.5]").is_err());
    assert_eq!(RdpOrders::default().orders().len(), 177);
}

#[test]
fn accountants_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<RdpAccountant>();
    check::<RdpCurve>();
    check::<RdpOrders>();
}
