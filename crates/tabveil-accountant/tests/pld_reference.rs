//! The PLD accountant against Google's dp_accounting 0.6.0, the Opacus PRV bounds and the
//! exact Gaussian values (issue 3).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test helpers panic on failure"
)]

mod common;

use common::{Case, reference, rel};
use tabveil_accountant::{Accountant, AccountantError, PldAccountant, PldConfig};

fn pld_epsilon(case: &Case, config: PldConfig) -> Result<f64, AccountantError> {
    let mut acc = PldAccountant::new(config);
    for e in case.events() {
        acc.compose(&e)?;
    }
    acc.epsilon(case.delta)
}

fn pure_gaussian(case: &Case) -> bool {
    case.segments.iter().all(|s| s.0 == 1.0)
}

/// Checks one case against dp_accounting (≤ 1e-5 relative) and the PRV lower bound; returns
/// the relative difference to dp_accounting.
fn check_against_dp_accounting(case: &Case, config: PldConfig) -> f64 {
    let got = pld_epsilon(case, config).unwrap_or_else(|e| panic!("{}: {e}", case.describe()));
    if let Some(prv) = &case.opacus_prv_detail {
        assert!(
            got >= prv.lower,
            "{}: PLD {got} below the PRV lower bound {}",
            case.describe(),
            prv.lower
        );
    }
    let want = case.eps.dpacc_pld.unwrap_or(f64::NAN);
    let e = rel(got, want);
    assert!(
        e <= 1e-5,
        "{}: {got} vs dp_accounting {want} (rel {e:e})",
        case.describe()
    );
    e
}

#[test]
fn pld_matches_dp_accounting_on_small_grids() {
    let r = reference();
    let mut worst = 0.0_f64;
    let mut checked = 0;
    for case in &r.cases {
        let small = case.dpacc_pmf_size.is_some_and(|n| n <= 100_000) || case.kind != "grid";
        if !small || pure_gaussian(case) || case.eps.dpacc_pld.is_none() {
            continue;
        }
        worst = worst.max(check_against_dp_accounting(case, PldConfig::default()));
        checked += 1;
    }
    assert!(checked >= 80, "only {checked} cases");
    eprintln!("{checked} cases, worst relative difference to dp_accounting {worst:e}");
}

#[test]
#[ignore = "slow: every subsampled case, some with grids of 10⁷ points (~75 s in release)"]
fn pld_matches_dp_accounting_on_every_case() {
    let r = reference();
    let config = PldConfig::default().with_max_grid_points(1 << 27).unwrap();
    let mut worst = 0.0_f64;
    for case in &r.cases {
        if pure_gaussian(case) || case.eps.dpacc_pld.is_none() {
            continue;
        }
        worst = worst.max(check_against_dp_accounting(case, config));
    }
    eprintln!("worst relative difference to dp_accounting {worst:e}");
}

#[test]
fn pure_gaussian_histories_are_exact() {
    let r = reference();
    let mut checked = 0;
    for case in r.cases.iter().filter(|c| pure_gaussian(c)) {
        let want = case
            .eps
            .exact_gaussian
            .expect("q = 1 cases carry the exact value");
        let got = pld_epsilon(case, PldConfig::default()).unwrap();
        assert!(
            rel(got, want) <= 1e-9,
            "{}: {got} vs exact {want}",
            case.describe()
        );
        if let Some(prv) = &case.opacus_prv_detail {
            assert!(got >= prv.lower - 1e-12 * prv.lower.abs());
        }
        checked += 1;
    }
    assert_eq!(checked, 48);
}

#[test]
#[ignore = "slow: PLD at 1e-5 on 20 cases (grids up to ~4·10⁶ points; ~1 min in release)"]
fn pld_at_finer_discretisation_stays_within_the_bracket() {
    let r = reference();
    let fine = PldConfig::default()
        .with_discretisation_interval(1e-5)
        .unwrap()
        .with_max_grid_points(1 << 27)
        .unwrap();
    let mut checked = 0;
    for case in &r.cases {
        let Some(bracket) = &case.pld_bracket else {
            continue;
        };
        let got = pld_epsilon(case, fine).unwrap();
        assert!(
            got <= bracket.upper + 1e-3,
            "{}: {got} above dp_accounting's 1e-5 upper {}",
            case.describe(),
            bracket.upper
        );
        assert!(
            got >= bracket.lower,
            "{}: {got} below {}",
            case.describe(),
            bracket.lower
        );
        eprintln!(
            "{}: {got} in [{}, {}]",
            case.describe(),
            bracket.lower,
            bracket.upper
        );
        checked += 1;
    }
    assert_eq!(checked, 20);
}
