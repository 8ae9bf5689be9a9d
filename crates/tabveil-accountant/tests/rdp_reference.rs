//! The RDP accountant against Opacus 1.6.0 and the 50-digit ground truth (issue 3).

mod common;

use common::{reference, rel};
use tabveil_accountant::{Accountant, RdpAccountant, RdpOrders, sampled_gaussian_rdp};

#[test]
fn opacus_preset_is_opacus_orders_bit_for_bit() {
    let r = reference();
    assert_eq!(
        RdpOrders::opacus().orders(),
        r.meta.rdp_orders.opacus_default.as_slice()
    );
}

#[test]
fn single_orders_match_the_ground_truth() {
    let r = reference();
    let mut worst_int = 0.0_f64;
    let mut worst_frac = 0.0_f64;
    for g in &r.rdp_ground_truth {
        let got = sampled_gaussian_rdp(g.q, g.sigma, g.order).unwrap();
        let e = rel(got, g.rdp_true);
        if g.order.fract() == 0.0 {
            worst_int = worst_int.max(e);
            assert!(
                e <= 1e-10,
                "q={} σ={} α={}: {got} vs {}",
                g.q,
                g.sigma,
                g.order,
                g.rdp_true
            );
        } else {
            worst_frac = worst_frac.max(e);
            assert!(
                e <= 1e-7,
                "q={} σ={} α={}: {got} vs {}",
                g.q,
                g.sigma,
                g.order,
                g.rdp_true
            );
        }
    }
    eprintln!("worst relative error: integer orders {worst_int:e}, fractional {worst_frac:e}");
}

#[test]
fn opacus_preset_reproduces_opacus_epsilon() {
    let r = reference();
    let mut worst = 0.0_f64;
    for case in &r.cases {
        let Some(want) = case.eps.opacus_rdp else {
            continue;
        };
        let mut acc = RdpAccountant::new(RdpOrders::opacus());
        for e in case.events() {
            acc.compose(&e).unwrap();
        }
        let got = acc.epsilon(case.delta).unwrap();
        let e = rel(got, want);
        worst = worst.max(e);
        assert!(
            e <= 1e-9,
            "{}: {got} vs Opacus {want} (rel {e:e})",
            case.describe()
        );
    }
    eprintln!("worst relative difference to Opacus: {worst:e}");
}

#[test]
fn default_grid_never_gives_a_larger_epsilon_than_opacus() {
    let r = reference();
    for case in &r.cases {
        let mut opacus = RdpAccountant::new(RdpOrders::opacus());
        let mut default = RdpAccountant::default();
        for e in case.events() {
            opacus.compose(&e).unwrap();
            default.compose(&e).unwrap();
        }
        let (o, d) = (
            opacus.epsilon(case.delta).unwrap(),
            default.epsilon(case.delta).unwrap(),
        );
        assert!(d <= o, "{}: default {d} > opacus {o}", case.describe());
    }
}

/// `tests/data/rdp_quadrature.json`: 40-digit quadrature (scripts/accountant/rdp_ground_truth.py)
/// over a wider range than the reference file: q from 1e-4 to 0.999, σ from 0.4 to 100,
/// orders from 1.05 to 1024.
#[test]
fn single_orders_match_the_quadrature_ground_truth() {
    #[derive(serde::Deserialize)]
    struct Quadrature {
        cases: Vec<Point>,
    }
    #[derive(serde::Deserialize)]
    struct Point {
        q: f64,
        sigma: f64,
        order: f64,
        rdp: f64,
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rdp_quadrature.json"
    );
    let data: Quadrature = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(data.cases.len() >= 150);
    let mut worst = 0.0_f64;
    for p in &data.cases {
        let got = sampled_gaussian_rdp(p.q, p.sigma, p.order).unwrap();
        let e = rel(got, p.rdp);
        worst = worst.max(e);
        if e > 1e-10 {
            eprintln!("q={} σ={} α={}: rel {e:e}", p.q, p.sigma, p.order);
        }
        let tol = if p.order.fract() == 0.0 { 1e-10 } else { 1e-7 };
        assert!(
            e <= tol,
            "q={} σ={} α={}: {got} vs {} (rel {e:e})",
            p.q,
            p.sigma,
            p.order,
            p.rdp
        );
        // Never below the truth by more than rounding: the value is an upper bound.
        assert!(
            got >= p.rdp * (1.0 - 1e-14),
            "q={} σ={} α={}: {got} < {}",
            p.q,
            p.sigma,
            p.order,
            p.rdp
        );
    }
    eprintln!("worst relative error vs quadrature: {worst:e}");
}
