//! The GDP (CLT) accountant against Opacus 1.6.0's `GaussianAccountant` (issue 3).

mod common;

use common::{reference, rel};
use tabveil_accountant::{Accountant, BoundKind, GdpAccountant};

#[test]
fn gdp_matches_opacus() {
    let r = reference();
    let mut checked = 0;
    for case in &r.cases {
        let Some(want) = case.eps.opacus_gdp else {
            continue;
        };
        let mut acc = GdpAccountant::new();
        for e in case.events() {
            acc.compose(&e).unwrap();
        }
        let got = acc.guarantee(case.delta).unwrap();
        assert_eq!(got.bound, BoundKind::Approximation);
        assert!(
            rel(got.epsilon, want) <= 1e-9,
            "{}: {} vs Opacus {want}",
            case.describe(),
            got.epsilon
        );
        checked += 1;
    }
    assert!(
        checked > 200,
        "only {checked} cases had an Opacus GDP value"
    );
}
