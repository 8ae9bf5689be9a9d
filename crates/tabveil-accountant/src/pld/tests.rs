use super::*;

fn event(q: f64, sigma: f64, steps: u64) -> PrivacyEvent {
    PrivacyEvent::poisson_subsampled_gaussian(q, sigma, steps).unwrap()
}

#[test]
fn empty_accountant_spends_nothing() {
    let pld = PldAccountant::default();
    assert_eq!(pld.epsilon(1e-5).unwrap(), 0.0);
    assert_eq!(pld.delta(0.0).unwrap(), 0.0);
    assert_eq!(pld.infinity_mass().unwrap(), 0.0);
}

#[test]
fn merging_and_order_do_not_change_the_result() {
    let config = PldConfig::default()
        .with_discretisation_interval(1e-3)
        .unwrap();
    let mut a = PldAccountant::new(config);
    a.compose(&event(0.01, 1.0, 300)).unwrap();
    a.compose(&event(0.05, 2.0, 100)).unwrap();
    a.compose(&event(0.01, 1.0, 200)).unwrap();
    let mut b = PldAccountant::new(config);
    b.compose(&event(0.05, 2.0, 100)).unwrap();
    b.compose(&event(0.01, 1.0, 500)).unwrap();
    assert_eq!(a.epsilon(1e-6).unwrap(), b.epsilon(1e-6).unwrap());
}

#[test]
fn queries_are_cached_until_the_next_compose() {
    let mut pld = PldAccountant::new(
        PldConfig::default()
            .with_discretisation_interval(1e-3)
            .unwrap(),
    );
    pld.compose(&event(0.02, 1.0, 50)).unwrap();
    let first = pld.epsilon(1e-5).unwrap();
    assert!(pld.composed.get().is_some());
    assert_eq!(pld.epsilon(1e-5).unwrap(), first);
    pld.compose(&event(0.02, 1.0, 50)).unwrap();
    assert!(pld.composed.get().is_none());
    assert!(pld.epsilon(1e-5).unwrap() > first);
}

#[test]
fn epsilon_and_delta_are_consistent() {
    let mut pld = PldAccountant::default();
    pld.compose(&event(0.01, 1.1, 1000)).unwrap();
    for delta in [1e-3, 1e-5, 1e-8] {
        let eps = pld.epsilon(delta).unwrap();
        let back = pld.delta(eps).unwrap();
        assert!(back <= delta * (1.0 + 1e-9), "{back} > {delta}");
        assert!(back >= delta * (1.0 - 1e-6), "{back} ≪ {delta}");
    }
}

#[test]
fn delta_below_the_infinite_mass_is_unbounded() {
    let mut pld = PldAccountant::default();
    pld.compose(&event(0.01, 1.1, 1000)).unwrap();
    let floor = pld.infinity_mass().unwrap();
    assert!(floor > 0.0 && floor < 1e-14);
    assert!(matches!(
        pld.epsilon(floor / 2.0),
        Err(AccountantError::EpsilonUnbounded { .. })
    ));
}

#[test]
fn mixed_history_is_an_upper_bound_on_the_exact_gaussian() {
    // Gaussian-only history: exact. Adding a subsampled step forces discretisation, which
    // must not go below the exact value of the Gaussian part alone.
    let mut exact = PldAccountant::default();
    exact
        .compose(&PrivacyEvent::gaussian(3.0, 2).unwrap())
        .unwrap();
    let e = exact.epsilon(1e-5).unwrap();
    let mut mixed = exact.clone();
    mixed.compose(&event(1e-6, 50.0, 1)).unwrap();
    let m = mixed.epsilon(1e-5).unwrap();
    assert!(m >= e && m - e < 1e-3, "{m} vs {e}");
}

#[test]
fn too_large_compositions_are_refused_before_allocating() {
    let config = PldConfig::default().with_max_grid_points(10_000).unwrap();
    let mut pld = PldAccountant::new(config);
    assert!(matches!(
        pld.compose(&event(0.5, 0.5, 1)),
        Err(AccountantError::PldGridTooLarge { .. })
    ));
    let config = PldConfig::default()
        .with_discretisation_interval(1e-2)
        .unwrap()
        .with_max_grid_points(10_000)
        .unwrap();
    let mut pld = PldAccountant::new(config);
    pld.compose(&event(0.5, 0.5, 100_000)).unwrap();
    assert!(matches!(
        pld.epsilon(1e-5),
        Err(AccountantError::PldGridTooLarge { .. })
    ));
}

#[test]
fn config_serde_round_trip_and_validation() {
    let c = PldConfig::default()
        .with_discretisation_interval(2e-4)
        .unwrap();
    let back: PldConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    let bad = r#"{"discretisation_interval":-1.0,"log_mass_truncation_bound":-50.0,"tail_mass_truncation":1e-15,"max_grid_points":16777216}"#;
    assert!(serde_json::from_str::<PldConfig>(bad).is_err());
}

#[test]
fn accountant_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<PldAccountant>();
    check::<PldConfig>();
}
