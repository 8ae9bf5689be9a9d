//! The Bayesian Gaussian mixture against scikit-learn 1.9.1 on continuous columns of the adult
//! training split. Reference values: `scripts/data/bgm_reference.py` →
//! `tests/data/bgm_reference.json`.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]
#![allow(
    clippy::needless_range_loop,
    reason = "parallel arrays indexed by component"
)]

use serde::Deserialize;
use std::collections::BTreeMap;
use tabveil_data::{BayesianMixture, BgmConfig, CsvOptions, Schema, WeightedPoints, read_csv_path};

#[derive(Deserialize)]
struct Reference {
    columns: BTreeMap<String, ColumnRef>,
}

#[derive(Deserialize)]
struct ColumnRef {
    n_rows: usize,
    kmeans_centres: Vec<f64>,
    weights: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
    n_iter: usize,
    valid: Vec<bool>,
    probes: Vec<f64>,
    predict_proba: Vec<Vec<f64>>,
}

fn load() -> (Reference, tabveil_data::Table) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/bgm_reference.json"
    ))
    .unwrap();
    let reference: Reference = serde_json::from_str(&text).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/adult");
    let schema = Schema::from_path(format!("{dir}/schema.json")).unwrap();
    let (table, _) =
        read_csv_path(format!("{dir}/train.csv"), &schema, &CsvOptions::default()).unwrap();
    (reference, table)
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Started from scikit-learn's own k-means centres, our EM must reproduce scikit-learn's fit.
/// The two differ only in the order of floating-point sums (we sum over distinct values with
/// their counts) and in the special functions (statrs vs scipy, both ~1e-15 relative): after
/// 100 iterations of an EM that has not converged, we measured agreement to ~5e-12 relative on
/// weights, means and variances; 1e-6 leaves room for platform differences while still
/// catching any formula error (a wrong prior or update moves values by > 1e-3).
#[test]
fn em_from_sklearn_centres_matches_sklearn() {
    let (reference, table) = load();
    for (name, r) in &reference.columns {
        let x = table.column(name).unwrap().as_continuous().unwrap();
        assert_eq!(x.len(), r.n_rows);
        let points = WeightedPoints::from_values(x).unwrap();
        let fit =
            BayesianMixture::fit_from_centres(&points, &BgmConfig::default(), &r.kmeans_centres)
                .unwrap();
        assert_eq!(fit.n_iter(), r.n_iter, "{name}: iterations");
        let w = fit.weights();
        let worst = (0..r.weights.len())
            .filter(|&k| r.weights[k] > 1e-6)
            .map(|k| {
                rel(w[k], r.weights[k])
                    .max(rel(fit.means()[k], r.means[k]))
                    .max(rel(fit.variances()[k], r.covariances[k]))
            })
            .fold(0.0, f64::max);
        eprintln!("{name}: worst relative difference to scikit-learn {worst:.2e}");
        for k in 0..r.weights.len() {
            // Tiny weights (< 1e-6) are dominated by the 10·ε regularisation of n_k; compare
            // them absolutely.
            if r.weights[k] > 1e-6 {
                assert!(
                    rel(w[k], r.weights[k]) < 1e-6,
                    "{name} weight {k}: {} vs {}",
                    w[k],
                    r.weights[k]
                );
                assert!(
                    rel(fit.means()[k], r.means[k]) < 1e-6,
                    "{name} mean {k}: {} vs {}",
                    fit.means()[k],
                    r.means[k]
                );
                assert!(
                    rel(fit.variances()[k], r.covariances[k]) < 1e-6,
                    "{name} variance {k}: {} vs {}",
                    fit.variances()[k],
                    r.covariances[k]
                );
            } else {
                assert!((w[k] - r.weights[k]).abs() < 1e-6, "{name} weight {k}");
            }
            assert_eq!(w[k] > 0.005, r.valid[k], "{name}: kept mode {k}");
        }
        for (p, expected) in r.probes.iter().zip(&r.predict_proba) {
            let got = fit.predict_proba(*p);
            for (g, e) in got.iter().zip(expected) {
                assert!(
                    (g - e).abs() < 1e-6,
                    "{name} predict_proba({p}): {got:?} vs {expected:?}"
                );
            }
        }
    }
}

/// CDF of the kept modes of a mixture (weights renormalised over the kept modes).
fn mixture_cdf(means: &[f64], sds: &[f64], weights: &[f64], x: f64) -> f64 {
    let total: f64 = weights.iter().sum();
    means
        .iter()
        .zip(sds)
        .zip(weights)
        .map(|((m, s), w)| {
            w / total * 0.5 * statrs::function::erf::erfc(-(x - m) / (s * std::f64::consts::SQRT_2))
        })
        .sum()
}

/// With our own (seeded) k-means initialisation the EM lands in a different local optimum than
/// scikit-learn's: 100 iterations do not converge on these columns (scikit-learn does not
/// converge either), so individual modes are not comparable one to one. What is comparable:
/// the number of kept modes (equal for every seed tried), the dominant spike modes (the 0 of
/// capital_gain, the 40 of hours_per_week) and the fitted distribution itself. We measured the
/// Kolmogorov distance between our kept-mode mixture and scikit-learn's at 0.0002–0.026 over
/// seeds 0–2 (largest on hours_per_week); 0.05 catches a wrong fit (a mixture
/// with one mode fewer or shifted by a standard deviation is > 0.1 away) without depending on
/// the initialisation.
#[test]
fn own_kmeans_init_fits_the_same_distribution_as_sklearn() {
    let (reference, table) = load();
    for (name, r) in &reference.columns {
        let x = table.column(name).unwrap().as_continuous().unwrap();
        let points = WeightedPoints::from_values(x).unwrap();
        let theirs: Vec<usize> = (0..r.valid.len()).filter(|&k| r.valid[k]).collect();
        let t_means: Vec<f64> = theirs.iter().map(|&k| r.means[k]).collect();
        let t_sds: Vec<f64> = theirs.iter().map(|&k| r.covariances[k].sqrt()).collect();
        let t_w: Vec<f64> = theirs.iter().map(|&k| r.weights[k]).collect();
        let (lo, hi) = x
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        for seed in 0..3 {
            let fit = BayesianMixture::fit(&points, &BgmConfig::default(), seed).unwrap();
            let kept = fit.kept_modes(0.005);
            assert_eq!(kept.len(), theirs.len(), "{name} seed {seed}: kept modes");
            let w = fit.weights();
            let o_means: Vec<f64> = kept.iter().map(|&k| fit.means()[k]).collect();
            let o_sds: Vec<f64> = kept.iter().map(|&k| fit.variances()[k].sqrt()).collect();
            let o_w: Vec<f64> = kept.iter().map(|&k| w[k]).collect();
            let ks = (0..=2000)
                .map(|i| lo + (hi - lo) * i as f64 / 2000.0)
                .map(|g| {
                    (mixture_cdf(&o_means, &o_sds, &o_w, g)
                        - mixture_cdf(&t_means, &t_sds, &t_w, g))
                    .abs()
                })
                .fold(0.0, f64::max);
            eprintln!("{name} seed {seed}: Kolmogorov distance to scikit-learn's mixture {ks:.4}");
            assert!(ks < 0.05, "{name} seed {seed}: {ks}");
            // The heaviest mode (a spike where one exists) is found by both.
            let heavy = |m: &[f64], w: &[f64]| {
                let i = (0..w.len()).max_by(|&a, &b| w[a].total_cmp(&w[b])).unwrap();
                (m[i], w[i])
            };
            let (om, ow) = heavy(&o_means, &o_w);
            let (tm, tw) = heavy(&t_means, &t_w);
            if tw > 0.3 {
                assert!(
                    (om - tm).abs() < 0.5 && (ow - tw).abs() < 0.01,
                    "{name}: spike {om}/{ow} vs {tm}/{tw}"
                );
            }
        }
    }
}
