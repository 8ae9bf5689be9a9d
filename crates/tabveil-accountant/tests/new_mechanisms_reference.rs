//! The discrete Gaussian, the exponential mechanism and Gaussian thresholding against values
//! computed independently from their definitions (`tests/data/new_mechanisms_reference.json`,
//! written by `scripts/accountant/new_mechanisms_reference.py` with mpmath at 50 digits), and
//! ledgers with those events replayed in fresh accountants.

#![allow(clippy::unwrap_used, reason = "test helpers")]

use serde_json::Value;
use tabveil_accountant::{
    Accountant, AccountantError, AccountantSpec, LedgerEntry, PldAccountant, PrivacyEvent,
    PrivacyLedger, RdpAccountant, Stage, epsilon_of,
};

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/new_mechanisms_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

fn epsilon(acc: &mut dyn Accountant, events: &[PrivacyEvent], delta: f64) -> f64 {
    for e in events {
        acc.compose(e).unwrap();
    }
    acc.epsilon(delta).unwrap()
}

/// Both accountants bound the exact ε of k discrete Gaussian releases from above; PLD within
/// its discretisation (interval 1e-4) of it.
#[test]
fn discrete_gaussian_is_bounded_by_both_accountants() {
    let r = reference();
    for c in r["discrete_gaussian"].as_array().unwrap() {
        let (sigma, k, delta) = (num(&c["sigma"]), count(&c["count"]), num(&c["delta"]));
        let exact = num(&c["epsilon_exact"]);
        let event = [PrivacyEvent::discrete_gaussian(sigma, k).unwrap()];
        let pld = epsilon(&mut PldAccountant::default(), &event, delta);
        let rdp = epsilon(&mut RdpAccountant::default(), &event, delta);
        assert!(
            pld >= exact,
            "σ={sigma} k={k} δ={delta}: pld {pld} < exact {exact}"
        );
        assert!(
            pld <= exact * (1.0 + 1e-4) + 1e-3,
            "σ={sigma} k={k} δ={delta}: pld {pld} vs exact {exact}"
        );
        assert!(rdp >= exact, "σ={sigma} k={k}: rdp {rdp} < exact {exact}");
    }
}

/// The exponential mechanism (ε-bounded range). For one run the reference is the exact worst
/// case over the class; for k runs, the composition of the least dominating pair (an upper
/// bound) and, below it, k runs of one generalised randomised response (a lower bound on the
/// worst case: a mechanism of the class). Both accountants lie above the lower bound; PLD,
/// which reports the smaller of its pair composition and RDP, is below both upper bounds.
#[test]
fn exponential_mechanism_is_bounded_between_the_reference_values() {
    let r = reference();
    for c in r["bounded_range"].as_array().unwrap() {
        let (eps_run, k, delta) = (num(&c["epsilon_run"]), count(&c["count"]), num(&c["delta"]));
        let pair = num(&c["epsilon_dominating_pair"]);
        let lower = num(&c["epsilon_grr_lower"]);
        let event = [PrivacyEvent::exponential_mechanism(eps_run, k).unwrap()];
        let pld = epsilon(&mut PldAccountant::default(), &event, delta);
        let rdp = epsilon(&mut RdpAccountant::default(), &event, delta);
        assert!(
            pld >= lower && rdp >= lower,
            "ε={eps_run} k={k}: {pld} / {rdp} < {lower}"
        );
        assert!(
            pld <= pair * (1.0 + 1e-4) + 2e-3,
            "ε={eps_run} k={k}: {pld} vs {pair}"
        );
        assert!(
            pld <= rdp * (1.0 + 1e-12),
            "ε={eps_run} k={k}: pld {pld} > rdp {rdp}"
        );
        if k == 1 {
            // One run: the pair's profile is the exact worst case.
            assert!(
                pld >= pair && rdp >= pair,
                "ε={eps_run}: {pld} / {rdp} < {pair}"
            );
        }
        // Pure DP is a bound too: k·ε.
        assert!(pld <= eps_run * k as f64 * (1.0 + 1e-12) + 1e-12);
    }
}

/// Gaussian + exponential-mechanism ledgers: the RDP accountant gives the zCDP composition
/// ρ = Σ 1/(2σ²) + Σ ε²/8 per order (capped by ε per run), converted by Balle et al.
#[test]
fn rdp_of_gaussian_and_exponential_mechanism_ledgers() {
    let r = reference();
    for c in r["rdp_ledgers"].as_array().unwrap() {
        let mut events = Vec::new();
        for g in c["gaussians"].as_array().unwrap() {
            events.push(PrivacyEvent::gaussian(num(&g[0]), count(&g[1])).unwrap());
        }
        for e in c["exponential_mechanisms"].as_array().unwrap() {
            events.push(PrivacyEvent::exponential_mechanism(num(&e[0]), count(&e[1])).unwrap());
        }
        let delta = num(&c["delta"]);
        let got = epsilon(&mut RdpAccountant::default(), &events, delta);
        let want = num(&c["epsilon_rdp"]);
        assert!(got >= want, "{c}: {got} < {want}");
        assert!((got - want) / want < 1e-9, "{c}: {got} vs {want}");
        assert!(got <= num(&c["epsilon_zcdp_on_orders"]) * (1.0 + 1e-9));
        // A ledger of those events replays to the same ε in fresh accountants, both methods.
        let mut ledger = PrivacyLedger::new();
        for (i, e) in events.iter().enumerate() {
            let stage = if matches!(e, PrivacyEvent::ExponentialMechanism { .. }) {
                Stage::Other
            } else {
                Stage::Preprocessing
            };
            ledger
                .record(LedgerEntry::new(format!("release {i}"), stage, *e).unwrap())
                .unwrap();
        }
        let back = PrivacyLedger::from_json(&ledger.to_json().unwrap()).unwrap();
        assert_eq!(back, ledger);
        for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
            let a = epsilon_of(&ledger, &spec, delta).unwrap().epsilon;
            let b = epsilon_of(&back, &spec, delta).unwrap().epsilon;
            assert_eq!(a.to_bits(), b.to_bits(), "{spec:?}");
        }
        let rdp = epsilon_of(&back, &AccountantSpec::rdp(), delta).unwrap();
        assert_eq!(rdp.epsilon.to_bits(), got.to_bits());
        // PLD is never looser than RDP here (it reports the smaller; its RDP view merges the
        // plain Gaussians into one, which can round an ulp up).
        let pld = epsilon_of(&back, &AccountantSpec::pld(), delta).unwrap();
        assert!(
            pld.epsilon <= got * (1.0 + 1e-12),
            "pld {} > rdp {got}",
            pld.epsilon
        );
    }
}

/// Gaussian thresholding: ε at δ minus the additive δ_τ, with the Gaussian parts composed.
#[test]
fn gaussian_thresholds_subtract_their_additive_delta() {
    let r = reference();
    for c in r["gaussian_thresholds"].as_array().unwrap() {
        let mut events = Vec::new();
        for t in c["thresholds"].as_array().unwrap() {
            events.push(
                PrivacyEvent::gaussian_threshold(num(&t[0]), num(&t[1]), count(&t[2])).unwrap(),
            );
        }
        for g in c["gaussians"].as_array().unwrap() {
            events.push(PrivacyEvent::gaussian(num(&g[0]), count(&g[1])).unwrap());
        }
        let delta = num(&c["delta"]);
        let additive = num(&c["additive_delta"]);
        let mut rdp = RdpAccountant::default();
        let e_rdp = epsilon(&mut rdp, &events, delta);
        assert!(rdp.additive_delta() >= additive * (1.0 - 1e-14));
        assert!(rdp.additive_delta() <= additive * (1.0 + 1e-9));
        let want = num(&c["epsilon_rdp"]);
        assert!(
            e_rdp >= want * (1.0 - 1e-12) && e_rdp <= want * (1.0 + 1e-9),
            "{e_rdp} vs {want}"
        );
        let mut pld = PldAccountant::default();
        let e_pld = epsilon(&mut pld, &events, delta);
        let want = num(&c["epsilon_exact_gaussian_part"]);
        assert!(
            e_pld >= want * (1.0 - 1e-12) && e_pld <= want * (1.0 + 1e-9),
            "{e_pld} vs {want}"
        );
        // δ(ε) includes the additive part.
        assert!(rdp.delta(e_rdp).unwrap() <= delta * (1.0 + 1e-9));
        assert!(pld.delta(0.0).unwrap() >= additive);
        // No ε can be certified at a δ the thresholds alone exceed.
        assert!(matches!(
            rdp.epsilon(additive * 0.5),
            Err(AccountantError::AdditiveDeltaTooLarge { .. })
        ));
        assert!(matches!(
            pld.epsilon(additive * 0.5),
            Err(AccountantError::AdditiveDeltaTooLarge { .. })
        ));
    }
}

/// The GDP approximation refuses what it cannot approximate; it never skips an event.
#[test]
fn gdp_refuses_selection_and_thresholds() {
    let mut gdp = tabveil_accountant::GdpAccountant::new();
    for e in [
        PrivacyEvent::exponential_mechanism(0.5, 3).unwrap(),
        PrivacyEvent::gaussian_threshold(2.0, 10.0, 1).unwrap(),
    ] {
        assert!(matches!(
            gdp.compose(&e),
            Err(AccountantError::UnsupportedEvent { .. })
        ));
    }
    gdp.compose(&PrivacyEvent::discrete_gaussian(3.0, 2).unwrap())
        .unwrap();
    assert!(gdp.epsilon(1e-5).unwrap() > 0.0);
}
